'use strict'
// Workload 1, node fs.readSync: one random 4 KiB read at a time, one syscall each.
const fs = require('node:fs')
const { args, BS, measure, offsets, checkRead } = require('./common')

const fd = fs.openSync(args.file, 'r')
const next = offsets(fd)
const buf = Buffer.allocUnsafe(BS)
function chunk(n) {
  for (let i = 0; i < n; i++) checkRead(fs.readSync(fd, buf, 0, BS, next()))
}
measure(chunk, { chunk: 4096 }).catch((e) => {
  console.error(e)
  process.exit(1)
})
