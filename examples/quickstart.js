// A short tour: write a file with io_uring, read it back in one batch, fsync, and count NOPs.
// Run with `node examples/quickstart.js` after `npm install`.
'use strict'
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Ring, op } = require('..')

const ring = new Ring({ entries: 64 })
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'uring-')), 'hello.txt')
const fd = fs.openSync(file, 'w+')
try {
  const text = Buffer.from('hello from io_uring\n')
  ring.sq.push(op.write(fd, text, 0, { userData: 1, link: true }))
  ring.sq.push(op.fsync(fd, { userData: 2 }))
  ring.sq.submitAndWait(2)
  for (const cqe of ring.cq) console.log(`op ${cqe.userData}: res ${cqe.res}`)

  const a = Buffer.alloc(6)
  const b = Buffer.alloc(14)
  ring.sq.push(op.readv(fd, [a, b], 0, { userData: 3 }))
  ring.sq.submitAndWait(1)
  const [r] = ring.cq.drain()
  console.log(`readv: ${r.res} bytes: ${JSON.stringify(a.toString() + b.toString())}`)

  const n = 100000
  const nop = op.nop()
  const t0 = process.hrtime.bigint()
  let done = 0
  while (done < n) {
    const batch = Math.min(ring.sq.space, n - done)
    for (let i = 0; i < batch; i++) ring.sq.push(nop)
    ring.sq.submitAndWait(batch)
    for (const c of ring.cq) done += c.res === 0 ? 1 : 0
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  console.log(`${n} NOPs in ${(s * 1000).toFixed(1)} ms (${Math.round(n / s / 1000)}k/s)`)
} finally {
  fs.closeSync(fd)
  ring.close()
  fs.rmSync(path.dirname(file), { recursive: true, force: true })
}
