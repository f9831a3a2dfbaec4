'use strict'
// Workload 2, uring Promise API: each round issues `batch` ring.run(nop) in one tick (one
// submit for all of them), then awaits them all.
const { args, phase, requireDriver } = require('./common')

const uring = requireDriver()

async function main() {
  const batch = args.batch
  const ring = new uring.Ring()
  const nops = Array.from({ length: batch }, () => uring.op.nop())
  const pending = new Array(batch)
  const p = phase()
  let ops = 0
  do {
    for (let i = 0; i < batch; i++) pending[i] = ring.run(nops[i])
    await Promise.all(pending)
    ops += batch
  } while (p.tick(ops))
  p.report(ops, { stats: ring.stats })
  ring.close()
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
