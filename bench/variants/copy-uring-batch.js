'use strict'
// Workload 5, uring batch API: what the C program does, through ring.sq / ring.cq. params.qd
// linked pairs in flight: READ_FIXED of params.chunk bytes from the source (a RegisteredFd) into
// RegisteredBuf i (skipSuccess: only a failed read posts) -> WRITE_FIXED of the same bytes to the
// destination (a RegisteredFd, registered per copy). A completed write re-arms its pair for the
// next chunk; one submitAndWait(1) per batch. Ring: SINGLE_ISSUER + DEFER_TASKRUN, registered
// ring fd. The destination slot is emptied before the fd is closed and the file unlinked, so
// the inode is freed on the copy's clock (as in the C program).
const fs = require('node:fs')
const uring = require('uring')
const { expertRing } = require('./common')
const { src, dest, size, mode, CHUNK, QD, run } = require('./copy-common')

const { ring, setup } = expertRing(uring, { entries: 2 * QD })
const bufs = ring.registrar.registerBuffers(new Array(QD).fill(CHUNK))
ring.registrar.reserveFiles(2)
const sfd = fs.openSync(src, 'r')
const [srcFile] = ring.registrar.registerFiles([sfd])
let ringFd = false
try {
  ring.registrar.registerRingFd()
  ringFd = true
} catch {}
const reads = bufs.map((b, i) => uring.op.read(srcFile, b, 0, { skipSuccess: true, userData: 2 * i }))
const writes = bufs.map((b, i) => uring.op.write(srcFile, b, 0, { userData: 2 * i + 1 }))
const lens = new Array(QD).fill(0)
const sq = ring.sq
const cq = ring.cq

run(() => {
  const dfd = fs.openSync(dest, 'w', mode)
  const [dstFile] = ring.registrar.registerFiles([dfd])
  try {
    let next = 0
    let inflight = 0
    const arm = (i) => {
      const len = Math.min(CHUNK, size - next)
      const r = reads[i]
      const w = writes[i]
      r.offset = next
      r.length = len
      w.fd = dstFile
      w.offset = next
      w.length = len
      lens[i] = len
      next += len
      sq.pushLinked([r, w])
      inflight++
    }
    for (let i = 0; i < QD && next < size; i++) arm(i)
    while (inflight > 0) {
      sq.submitAndWait(1)
      for (const cqe of cq) {
        const ud = Number(cqe.userData)
        const i = ud >> 1
        if ((ud & 1) === 0) throw new Error(`read failed: ${cqe.res}`)
        if (cqe.res !== lens[i]) throw new Error(`write returned ${cqe.res}, expected ${lens[i]}`)
        inflight--
        if (next < size) arm(i)
      }
    }
  } finally {
    ring.registrar.unregister(dstFile)
    fs.closeSync(dfd)
  }
}, { setup, ringFd })
