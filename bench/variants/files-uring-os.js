'use strict'
// Workload 3, uring/os: `qd` async loops of open -> read -> close as three awaited calls, the
// way fs.promises code opens, reads and closes (plain fds, one Buffer per loop, the default ring).
const { args, measure, requireDriver, skip } = require('./common')
const { fileNames } = require('./files-common')

requireDriver()
let os
try {
  os = require('uring/os')
} catch (e) {
  skip('uring/os not built')
}
const names = fileNames()

async function chunk(n) {
  let left = n
  async function worker() {
    const buf = Buffer.allocUnsafe(65536)
    while (left-- > 0) {
      const fd = await os.open(names())
      try {
        const got = await os.read(fd, buf, 0)
        if (got !== args.size) throw new Error(`read returned ${got}, expected ${args.size}`)
      } finally {
        await os.close(fd)
      }
    }
  }
  await Promise.all(Array.from({ length: args.qd }, worker))
}

measure(chunk, { chunk: 1024, extra: () => ({ stats: os.ring().stats }) }).catch((e) => {
  console.error(e)
  process.exit(1)
})
