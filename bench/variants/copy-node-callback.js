'use strict'
// Workload 5, node callbacks: params.qd chains of fs.read(chunk) -> fs.write(same bytes) in
// flight, each on its own Buffer (libuv's thread pool; with UV_USE_IO_URING=1 libuv's io_uring).
const fs = require('node:fs')
const { src, dest, size, mode, CHUNK, QD, run } = require('./copy-common')

const bufs = Array.from({ length: QD }, () => Buffer.allocUnsafeSlow(CHUNK))
const sfd = fs.openSync(src, 'r')
run(async () => {
  const dfd = fs.openSync(dest, 'w', mode)
  try {
    await new Promise((resolve, reject) => {
      let next = 0
      let active = 0
      let failed = false
      const fail = (e) => {
        if (!failed) (failed = true), reject(e)
      }
      const step = (buf) => {
        if (failed) return
        if (next >= size) {
          if (--active === 0) resolve()
          return
        }
        const off = next
        const len = Math.min(CHUNK, size - off)
        next += len
        fs.read(sfd, buf, 0, len, off, (err, n) => {
          if (err) return fail(err)
          if (n !== len) return fail(new Error(`read returned ${n}, expected ${len}`))
          fs.write(dfd, buf, 0, len, off, (err2, m) => {
            if (err2) return fail(err2)
            if (m !== len) return fail(new Error(`write returned ${m}, expected ${len}`))
            step(buf)
          })
        })
      }
      active = bufs.length
      for (const b of bufs) step(b)
    })
  } finally {
    fs.closeSync(dfd)
  }
})
