'use strict'
// Workload 1, uring Promise API through the driver: `qd` async loops, each awaiting
// `ring.run(readOp)` on its own op object (READ_FIXED into a RegisteredBuf from a RegisteredFd),
// re-armed with a new offset each time. The driver submits everything issued in a tick at once.
const fs = require('node:fs')
const { args, BS, measure, offsets, checkRead, requireDriver } = require('./common')

const uring = requireDriver()
const qd = args.qd
const fd = fs.openSync(args.file, 'r')
const next = offsets(fd)
const ring = new uring.Ring() // the driver picks SINGLE_ISSUER + DEFER_TASKRUN where it can
const bufs = ring.registrar.registerBuffers(new Array(qd).fill(BS))
const [file] = ring.registrar.registerFiles([fd])
const reads = bufs.map((b) => uring.op.read(file, b, 0))

async function chunk(n) {
  let left = n
  async function worker(r) {
    while (left-- > 0) {
      r.offset = next()
      checkRead(await ring.run(r))
    }
  }
  await Promise.all(reads.map(worker))
}

const flags = () => (ring.params.flags.deferTaskrun ? 'defer_taskrun' : ring.params.flags.coopTaskrun ? 'coop_taskrun' : 'plain')
measure(chunk, { chunk: Math.max(4096, 256 * qd), extra: () => ({ flags: flags(), stats: ring.stats }) })
  .then(() => ring.close())
  .catch((e) => {
    console.error(e)
    process.exit(1)
  })
