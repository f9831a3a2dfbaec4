'use strict'
// Workload 1, node fs.promises FileHandle.read: `qd` async loops, each awaiting one read at a time.
const fs = require('node:fs')
const { args, BS, phase, offsets, checkRead } = require('./common')

async function main() {
  const fh = await fs.promises.open(args.file, 'r')
  const next = offsets(fh.fd)
  const p = phase()
  let ops = 0
  let go = true
  async function worker() {
    const buf = Buffer.allocUnsafe(BS)
    while (go) {
      const { bytesRead } = await fh.read(buf, 0, BS, next())
      checkRead(bytesRead)
      ops++
      if ((ops & 31) === 0) go = p.tick(ops)
    }
  }
  await Promise.all(Array.from({ length: args.qd }, worker))
  p.report(ops)
  await fh.close()
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
