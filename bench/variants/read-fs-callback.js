'use strict'
// Workload 1, node fs.read with a callback: `qd` reads in flight, each completion issues the
// next. Runs on libuv's thread pool, or on libuv's io_uring when UV_USE_IO_URING=1.
const fs = require('node:fs')
const { args, BS, measure, offsets, checkRead } = require('./common')

const qd = args.qd
const fd = fs.openSync(args.file, 'r')
const next = offsets(fd)
const bufs = Array.from({ length: qd }, () => Buffer.allocUnsafe(BS))

async function chunk(n) {
  await new Promise((resolve, reject) => {
    let issued = 0
    let done = 0
    function issue(buf) {
      issued++
      fs.read(fd, buf, 0, BS, next(), (err, got) => {
        if (err) return reject(err)
        try {
          checkRead(got)
        } catch (e) {
          return reject(e)
        }
        if (++done === n) resolve()
        else if (issued < n) issue(buf)
      })
    }
    for (const b of bufs) if (issued < n) issue(b)
  })
}

measure(chunk, { chunk: Math.max(1024, 64 * qd), extra: { uvIoUring: process.env.UV_USE_IO_URING === '1' } }).catch((e) => {
  console.error(e)
  process.exit(1)
})
