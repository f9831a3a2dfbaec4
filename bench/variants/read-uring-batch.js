'use strict'
// Workload 1, uring batch API: what the C baseline does, through ring.sq / ring.cq.
// `qd` READ_FIXED ops (one RegisteredBuf each, the file a RegisteredFd) stay in flight; each
// completion re-arms its own op object with a new offset, and one submitAndWait(1) per batch
// submits the re-armed reads and waits for more completions: one io_uring_enter per batch.
const fs = require('node:fs')
const uring = require('uring')
const { args, BS, measure, offsets, checkRead, expertRing } = require('./common')

const qd = args.qd
const fd = fs.openSync(args.file, 'r')
const next = offsets(fd)
const { ring, setup } = expertRing(uring, { entries: Math.max(qd, 8) })
const bufs = ring.registrar.registerBuffers(new Array(qd).fill(BS))
const [file] = ring.registrar.registerFiles([fd])
let ringFd = false
try {
  ring.registrar.registerRingFd()
  ringFd = true
} catch {}
const reads = bufs.map((b, i) => uring.op.read(file, b, 0, { userData: i }))
const cq = ring.cq
const sq = ring.sq

/** n reads, `qd` in flight until the last ones drain. */
function chunk(n) {
  let issued = 0
  let done = 0
  for (const r of reads) {
    if (issued === n) break
    r.offset = next()
    sq.push(r)
    issued++
  }
  while (done < n) {
    sq.submitAndWait(1)
    for (const cqe of cq) {
      checkRead(cqe.res)
      done++
      if (issued < n) {
        const r = cqe.op
        r.offset = next()
        sq.push(r)
        issued++
      }
    }
  }
}

measure(chunk, { chunk: Math.max(4096, 256 * qd), extra: { setup, ringFd } })
  .then(() => ring.close())
  .catch((e) => {
    console.error(e)
    process.exit(1)
  })
