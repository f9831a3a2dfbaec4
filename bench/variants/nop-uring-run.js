'use strict'
// Workload 2, uring Promise API: each round issues `batch` ring.run(nop) in one tick (one
// submit for all of them), then awaits them all.
const { args, measure, requireDriver } = require('./common')

const uring = requireDriver()
const batch = args.batch
const ring = new uring.Ring()
const nops = Array.from({ length: batch }, () => uring.op.nop())
const pending = new Array(batch)

async function chunk(n) {
  for (let done = 0; done < n; done += batch) {
    for (let i = 0; i < batch; i++) pending[i] = ring.run(nops[i])
    await Promise.all(pending)
  }
}

measure(chunk, { chunk: batch * Math.ceil(16384 / batch), extra: () => ({ stats: ring.stats }) })
  .then(() => ring.close())
  .catch((e) => {
    console.error(e)
    process.exit(1)
  })
