'use strict'
// Workload 5, uring/os: params.qd async loops of `await os.read(src, buf, off)` then
// `await os.write(dst, buf, off)` with plain fds and Buffers, written like fs.promises code (the
// default ring; everything issued in a tick goes in one io_uring_enter).
const fs = require('node:fs')
const { requireDriver, skip } = require('./common')
const { src, dest, size, mode, CHUNK, QD, run, expect } = require('./copy-common')

requireDriver()
let os
try {
  os = require('uring/os')
} catch {
  skip('driver not built')
}

const bufs = Array.from({ length: QD }, () => Buffer.allocUnsafeSlow(CHUNK))
const sfd = fs.openSync(src, 'r')
run(async () => {
  const dfd = fs.openSync(dest, 'w', mode)
  try {
    let next = 0
    await Promise.all(
      bufs.map(async (buf) => {
        while (next < size) {
          const off = next
          const len = Math.min(CHUNK, size - off)
          next += len
          const b = len === CHUNK ? buf : buf.subarray(0, len)
          expect(await os.read(sfd, b, off), len, 'os.read')
          expect(await os.write(dfd, b, off), len, 'os.write')
        }
      }),
    )
  } finally {
    fs.closeSync(dfd)
  }
}, () => ({ stats: os.ring().stats }))
