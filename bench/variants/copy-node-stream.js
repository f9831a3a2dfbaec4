'use strict'
// Workload 5, node streams: stream.promises.pipeline(fs.createReadStream(src),
// fs.createWriteStream(dest)) with the streams' default highWaterMark (64 KiB): how a copy is
// usually written with streams.
const fs = require('node:fs')
const { pipeline } = require('node:stream/promises')
const { src, dest, mode, run } = require('./copy-common')

run(async () => pipeline(fs.createReadStream(src), fs.createWriteStream(dest, { mode })))
