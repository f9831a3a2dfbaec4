'use strict'
// Workload 1, uring/fs: `qd` async loops of `await file.read(buffer, 0, 4096, position)` on a
// uring/fs File (the FileHandle look-alike), exactly like FileHandle code is written.
const { args, BS, measure, offsets, checkRead, requireDriver, skip } = require('./common')

requireDriver()
let ufs
try {
  ufs = require('uring/fs')
} catch (e) {
  skip('uring/fs not built')
}

async function main() {
  if (ufs.backend() !== 'io_uring') skip(`uring/fs fell back to ${ufs.backend()}`)
  const f = await ufs.open(args.file, 'r')
  const next = offsets(f.fd)
  const bufs = Array.from({ length: args.qd }, () => Buffer.allocUnsafe(BS))
  async function chunk(n) {
    let left = n
    async function worker(buf) {
      while (left-- > 0) checkRead((await f.read(buf, 0, BS, next())).bytesRead)
    }
    await Promise.all(bufs.map(worker))
  }
  await measure(chunk, { chunk: Math.max(4096, 256 * args.qd) })
  await f.close()
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
