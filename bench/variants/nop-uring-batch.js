'use strict'
// Workload 2, uring batch API: push `batch` NOPs, one submitAndWait(batch), read every CQE.
const uring = require('uring')
const { args, measure, expertRing } = require('./common')

const batch = args.batch
const { ring, setup } = expertRing(uring, { entries: batch })
let ringFd = false
try {
  ring.registrar.registerRingFd()
  ringFd = true
} catch {}
const nops = Array.from({ length: batch }, (_, i) => uring.op.nop({ userData: i }))
const sq = ring.sq
const cq = ring.cq

/** n NOPs (a multiple of `batch`), `batch` per io_uring_enter. */
function chunk(n) {
  for (let done = 0; done < n; ) {
    for (let i = 0; i < batch; i++) sq.push(nops[i])
    sq.submitAndWait(batch)
    for (const cqe of cq) {
      if (cqe.res < 0) throw new Error(`nop failed: ${cqe.res}`)
      done++
    }
  }
}

measure(chunk, { chunk: batch * Math.ceil(32768 / batch), extra: { setup, ringFd } })
  .then(() => ring.close())
  .catch((e) => {
    console.error(e)
    process.exit(1)
  })
