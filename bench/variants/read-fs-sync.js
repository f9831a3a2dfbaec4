'use strict'
// Workload 1, node fs.readSync: one random 4 KiB read at a time, one syscall each.
const fs = require('node:fs')
const { args, BS, phase, offsets, checkRead } = require('./common')

const fd = fs.openSync(args.file, 'r')
const next = offsets(fd)
const buf = Buffer.allocUnsafe(BS)
const p = phase()
let ops = 0
do {
  for (let i = 0; i < 32; i++) checkRead(fs.readSync(fd, buf, 0, BS, next()))
  ops += 32
} while (p.tick(ops))
p.report(ops)
