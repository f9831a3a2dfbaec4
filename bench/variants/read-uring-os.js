'use strict'
// Workload 1, uring/os: `qd` async loops of `await os.read(fd, buffer, position)` with a plain
// fd and a plain Buffer, exactly like fs.promises code would be written (the default ring).
const fs = require('node:fs')
const { args, BS, measure, offsets, checkRead, requireDriver, skip } = require('./common')

requireDriver()
let os
try {
  os = require('uring/os')
} catch (e) {
  skip('driver not built')
}

const fd = fs.openSync(args.file, 'r')
const next = offsets(fd)
const bufs = Array.from({ length: args.qd }, () => Buffer.allocUnsafe(BS))

async function chunk(n) {
  let left = n
  async function worker(buf) {
    while (left-- > 0) checkRead(await os.read(fd, buf, next()))
  }
  await Promise.all(bufs.map(worker))
}

measure(chunk, { chunk: Math.max(4096, 256 * args.qd), extra: () => ({ stats: os.ring().stats }) }).catch((e) => {
  console.error(e)
  process.exit(1)
})
