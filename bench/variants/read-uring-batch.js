'use strict'
// Workload 1, uring batch API: what the C baseline does, through ring.sq / ring.cq.
// `qd` READ_FIXED ops (one RegisteredBuf each, the file a RegisteredFd) stay in flight; each
// completion re-arms its own op object with a new offset, and one submitAndWait(1) per batch
// submits the re-armed reads and waits for more completions: one io_uring_enter per batch.
const fs = require('node:fs')
const uring = require('uring')
const { args, BS, phase, offsets, checkRead, expertRing } = require('./common')

const qd = args.qd
const fd = fs.openSync(args.file, 'r')
const next = offsets(fd)
const { ring, setup } = expertRing(uring, { entries: qd })
const bufs = ring.registrar.registerBuffers(new Array(qd).fill(BS))
const [file] = ring.registrar.registerFiles([fd])
let ringFd = false
try {
  ring.registrar.registerRingFd()
  ringFd = true
} catch {}
const reads = bufs.map((b, i) => uring.op.read(file, b, 0, { userData: i }))

const p = phase()
let ops = 0
let inflight = 0
let go = true
for (const r of reads) {
  r.offset = next()
  ring.sq.push(r)
  inflight++
}
const cq = ring.cq
const sq = ring.sq
while (inflight > 0) {
  sq.submitAndWait(1)
  for (const cqe of cq) {
    checkRead(cqe.res)
    ops++
    inflight--
    if (go) {
      const r = cqe.op
      r.offset = next()
      sq.push(r)
      inflight++
    }
  }
  if (go) go = p.tick(ops)
}
p.report(ops, { setup, ringFd })
ring.close()
