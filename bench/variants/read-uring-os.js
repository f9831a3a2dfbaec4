'use strict'
// Workload 1, uring/os: `qd` async loops of `await os.read(fd, buffer, position)` with a plain
// fd and a plain Buffer, exactly like fs.promises code would be written (the default ring).
const fs = require('node:fs')
const { args, BS, phase, offsets, checkRead, requireDriver, skip } = require('./common')

requireDriver()
let os
try {
  os = require('uring/os')
} catch (e) {
  skip('driver not built')
}

async function main() {
  const fd = fs.openSync(args.file, 'r')
  const next = offsets(fd)
  const p = phase()
  let ops = 0
  let go = true
  async function worker() {
    const buf = Buffer.allocUnsafe(BS)
    while (go) {
      checkRead(await os.read(fd, buf, next()))
      ops++
      if ((ops & 31) === 0) go = p.tick(ops)
    }
  }
  await Promise.all(Array.from({ length: args.qd }, worker))
  p.report(ops, { stats: os.ring().stats })
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
