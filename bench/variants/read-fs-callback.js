'use strict'
// Workload 1, node fs.read with a callback: `qd` reads in flight, each completion issues the
// next. Runs on libuv's thread pool, or on libuv's io_uring when UV_USE_IO_URING=1.
const fs = require('node:fs')
const { args, BS, phase, offsets, checkRead } = require('./common')

const qd = args.qd
const fd = fs.openSync(args.file, 'r')
const next = offsets(fd)
const p = phase()
let ops = 0
let go = true
let active = qd

function issue(buf) {
  fs.read(fd, buf, 0, BS, next(), (err, n) => {
    if (err) throw err
    checkRead(n)
    ops++
    if (go && (ops & 31) === 0) go = p.tick(ops)
    if (go) issue(buf)
    else if (--active === 0) p.report(ops, { uvIoUring: process.env.UV_USE_IO_URING === '1' })
  })
}
for (let i = 0; i < qd; i++) issue(Buffer.allocUnsafe(BS))
