'use strict'
// Workload 2, uring batch API: push `batch` NOPs, one submitAndWait(batch), read every CQE.
const uring = require('uring')
const { args, phase, expertRing } = require('./common')

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
const p = phase()
let ops = 0
let inflight = 0
do {
  for (let i = 0; i < batch; i++) sq.push(nops[i])
  inflight += batch
  sq.submitAndWait(inflight)
  for (const cqe of cq) {
    if (cqe.res < 0) throw new Error(`nop failed: ${cqe.res}`)
    inflight--
    ops++
  }
} while (p.tick(ops))
p.report(ops, { setup, ringFd })
ring.close()
