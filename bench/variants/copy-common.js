'use strict'
// Shared parts of the workload-5 variants (copy of a page-cached file). One op = one MiB copied;
// one chunk of measure() = one whole copy (the source is a whole number of MiB), so runChunk(n)
// copies the file exactly once. Every copy goes to a fresh file next to the source
// (`<src>.copy-<pid>`, same file system), whose size is checked after the copy; the first copy
// of the process also has 64 sampled 4 KiB blocks and its last block compared with the source.
// Then the copy is unlinked: its dirty pages are dropped before writeback, so the disk stays out
// of the measurement (creating, filling and dropping the page-cache pages stays in it, as in
// the C programs).
const fs = require('node:fs')
const { args, measure } = require('./common')

const MiB = 1024 * 1024
const src = args.file
const dest = `${src}.copy-${process.pid}`
const srcStat = fs.statSync(src)
const size = srcStat.size
if (size === 0 || size % MiB !== 0) throw new Error(`${src}: the source must be a whole number of MiB, has ${size} bytes`)
const mib = size / MiB
/** Bytes per read/write (params.chunk; 1 MiB by default) and chunks in flight (params.qd). */
const CHUNK = args.chunk ?? MiB
const QD = args.qd ?? 1

let copies = 0

/** Checks the copy just made (size every time, sampled bytes the first time), then unlinks it. */
function finish() {
  const st = fs.statSync(dest)
  if (st.size !== size) throw new Error(`the copy has ${st.size} bytes, the source ${size}`)
  if (copies++ === 0) verify()
  fs.unlinkSync(dest)
}

function verify() {
  const a = fs.openSync(src, 'r')
  const b = fs.openSync(dest, 'r')
  try {
    const x = Buffer.alloc(4096)
    const y = Buffer.alloc(4096)
    const blocks = Math.ceil(size / 4096)
    let s = 0x2545f491
    for (let i = 0; i <= 64; i++) {
      s ^= s << 13
      s ^= s >>> 17
      s ^= s << 5
      const blk = i === 64 ? blocks - 1 : (s >>> 0) % blocks
      const n = fs.readSync(a, x, 0, 4096, blk * 4096)
      const m = fs.readSync(b, y, 0, 4096, blk * 4096)
      if (n !== m || !x.subarray(0, n).equals(y.subarray(0, m))) throw new Error(`the copy differs from the source in block ${blk}`)
    }
  } finally {
    fs.closeSync(a)
    fs.closeSync(b)
  }
}

/** Times `copy()` (sync, or async when `copy` is an async function) with measure(). */
function run(copy, extra) {
  const more = () => ({ copies, copyChunk: CHUNK, qd: QD, ...(typeof extra === 'function' ? extra() : extra) })
  const done = (e) => {
    try {
      fs.unlinkSync(dest)
    } catch {}
    if (e) {
      console.error(e)
      process.exit(1)
    }
  }
  const p =
    copy.constructor.name === 'AsyncFunction'
      ? measure(async (n) => {
          for (let k = 0; k < n; k += mib) {
            await copy()
            finish()
          }
        }, { chunk: mib, extra: more })
      : measure((n) => {
          for (let k = 0; k < n; k += mib) {
            copy()
            finish()
          }
        }, { chunk: mib, extra: more })
  p.then(() => done(), done)
}

/** Throws unless a read/write moved what it had to (a benchmark of short copies is worthless). */
function expect(n, want, what) {
  if (n !== want) throw new Error(`${what} returned ${n}, expected ${want}`)
}

module.exports = { MiB, src, dest, size, mode: srcStat.mode & 0o7777, CHUNK, QD, run, expect }
