'use strict'
// Workload 1, node fs.promises FileHandle.read: `qd` async loops, each awaiting one read at a time.
const fs = require('node:fs')
const { args, BS, measure, offsets, checkRead } = require('./common')

async function main() {
  const fh = await fs.promises.open(args.file, 'r')
  const next = offsets(fh.fd)
  const bufs = Array.from({ length: args.qd }, () => Buffer.allocUnsafe(BS))
  async function chunk(n) {
    let left = n
    async function worker(buf) {
      while (left-- > 0) checkRead((await fh.read(buf, 0, BS, next())).bytesRead)
    }
    await Promise.all(bufs.map(worker))
  }
  // FileHandle.read runs at 10-100k/s: 64 reads per in-flight slot keep a chunk at a few ms.
  await measure(chunk, { chunk: Math.max(256, 64 * args.qd) })
  await fh.close()
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
