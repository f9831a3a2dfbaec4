'use strict'
// Workload 1, uring Promise API through the driver: `qd` async loops, each awaiting
// `ring.run(readOp)` on its own op object (READ_FIXED into a RegisteredBuf from a RegisteredFd),
// re-armed with a new offset each time. The driver submits everything issued in a tick at once.
const fs = require('node:fs')
const { args, BS, phase, offsets, checkRead, requireDriver } = require('./common')

const uring = requireDriver()

async function main() {
  const qd = args.qd
  const fd = fs.openSync(args.file, 'r')
  const next = offsets(fd)
  const ring = new uring.Ring() // the driver picks SINGLE_ISSUER + DEFER_TASKRUN where it can
  const bufs = ring.registrar.registerBuffers(new Array(qd).fill(BS))
  const [file] = ring.registrar.registerFiles([fd])
  const p = phase()
  let ops = 0
  let go = true
  async function worker(i) {
    const r = uring.op.read(file, bufs[i], 0)
    while (go) {
      r.offset = next()
      checkRead(await ring.run(r))
      ops++
      if ((ops & 31) === 0) go = p.tick(ops)
    }
  }
  await Promise.all(Array.from({ length: qd }, (_, i) => worker(i)))
  p.report(ops, { flags: ring.params.flags.deferTaskrun ? 'defer_taskrun' : ring.params.flags.coopTaskrun ? 'coop_taskrun' : 'plain', stats: ring.stats })
  ring.close()
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
