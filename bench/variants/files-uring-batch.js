'use strict'
// Workload 3, uring batch API: what the C chain does, through ring.sq / ring.cq. `qd` lanes,
// each a pinned direct-descriptor slot and a 64 KiB registered buffer; a file is one chain
// openat(into the slot) -link-> read(fixed file, fixed buffer) -hardlink-> close(slot). When a
// lane's close completes, the next file's chain is pushed in its place; one submitAndWait(1) per
// batch submits them all and reaps every ready CQE.
const uring = require('uring')
const { args, measure, expertRing, skip } = require('./common')
const { fileNames } = require('./files-common')

const AT_FDCWD = -100
const BUF = 65536
const qd = args.qd
let entries = 1
while (entries < qd * 3) entries <<= 1
const { ring, setup } = expertRing(uring, { entries })
let slots
try {
  ring.registrar.reserveFiles(qd)
  slots = ring.registrar.directSlots(qd)
} catch (e) {
  skip(`pinned direct slots: ${e.code ?? e.message}`)
}
const bufs = ring.registrar.registerBuffers(new Array(qd).fill(BUF))
const names = fileNames()
// userData: lane * 4 + step (0 open, 1 read, 2 close)
const lanes = slots.map((slot, i) => [
  uring.op.openat(AT_FDCWD, '.', 0, 0, { direct: slot, link: true, userData: i * 4 }),
  uring.op.read(slot, bufs[i], 0, { hardlink: true, userData: i * 4 + 1 }),
  uring.op.close(slot, { userData: i * 4 + 2 }),
])
const sq = ring.sq
const cq = ring.cq

function push(lane) {
  lane[0].path = names()
  sq.push(lane[0])
  sq.push(lane[1])
  sq.push(lane[2])
}

function chunk(n) {
  let issued = 0
  let done = 0
  for (const lane of lanes) {
    if (issued === n) break
    push(lane)
    issued++
  }
  while (done < n) {
    sq.submitAndWait(1)
    for (const cqe of cq) {
      const step = cqe.userData & 3
      if (step === 1) {
        if (cqe.res !== args.size) throw new Error(`read returned ${cqe.res}, expected ${args.size}`)
      } else if (cqe.res < 0) {
        throw new Error(`${step === 0 ? 'openat' : 'close'} failed: errno ${-cqe.res}`)
      } else if (step === 2) {
        done++
        if (issued < n) {
          push(lanes[cqe.userData >> 2])
          issued++
        }
      }
    }
  }
}

measure(chunk, { chunk: 1024, extra: { setup } })
  .then(() => ring.close())
  .catch((e) => {
    console.error(e)
    process.exit(1)
  })
