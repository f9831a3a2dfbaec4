/**
 * read / write / readv / writev / fsync against real files, checked on disk with node:fs;
 * links; errors in the CQE; closing a ring with ops in flight.
 */
import test, { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as v8 from 'node:v8'
import * as vm from 'node:vm'
import { Cqe, Ring, op, Op } from '../index'
import { closedFd, fifo, kernelAtLeast, openFile, ring, tempDir, throwsCode } from './_helpers'

const EBADF = 9
const ECANCELED = 125
const ETIME = 62
const hasRw = kernelAtLeast('5.6') // IORING_OP_READ/WRITE and FEAT_RW_CUR_POS
const rwTest = hasRw ? test : test.skip
const rw = (title: string): string => `${title}${hasRw ? '' : ' (skipped: IORING_OP_READ/WRITE need Linux 5.6)'}`

/** Pushes `ops`, submits, waits for all of them and returns their CQEs in completion order. */
function run(r: Ring, ...ops: Op[]): Cqe[] {
  for (const o of ops) r.sq.push(o)
  r.sq.submitAndWait(ops.length)
  const out = r.cq.drain()
  if (out.length !== ops.length) throw new Error(`expected ${ops.length} CQEs, got ${out.length}`)
  return out
}

function byUserData(cqes: Cqe[]): Map<number | bigint, Cqe> {
  return new Map(cqes.map((c) => [c.userData, c]))
}

function tmpFile(t: ExecutionContext, content: string | Buffer = ''): string {
  const file = path.join(tempDir(t), 'f')
  fs.writeFileSync(file, content)
  return file
}

rwTest(rw('op.write at an offset puts the bytes there on disk'), (t) => {
  const file = tmpFile(t, 'aaaaaaaaaa')
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.write(fd, Buffer.from('XYZ'), 4, { userData: 1 }))
  t.is(c.userData, 1)
  t.is(c.res, 3)
  t.is(fs.readFileSync(file, 'latin1'), 'aaaaXYZaaa')
  // Past the end: the file grows, with a hole of zeros.
  const [c2] = run(r, op.write(fd, Buffer.from('END'), 12))
  t.is(c2.res, 3)
  t.deepEqual(fs.readFileSync(file), Buffer.concat([Buffer.from('aaaaXYZaaa'), Buffer.alloc(2), Buffer.from('END')]))
  t.is(fs.fstatSync(fd).size, 15)
})

rwTest(rw('op.write with bufferOffset and length writes that slice only'), (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const src = Buffer.from('0123456789')
  const [c] = run(r, op.write(fd, src, 0, { bufferOffset: 2, length: 5 }))
  t.is(c.res, 5)
  t.is(fs.readFileSync(file, 'latin1'), '23456')
  // A Uint8Array view at a byte offset into its ArrayBuffer.
  const backing = new ArrayBuffer(9)
  new Uint8Array(backing).set(Buffer.from('__hello__'))
  const view = new Uint8Array(backing, 2, 5)
  const [c2] = run(r, op.write(fd, view, 5))
  t.is(c2.res, 5)
  t.is(fs.readFileSync(file, 'latin1'), '23456hello')
})

rwTest(rw('op.read into Buffer, Uint8Array, DataView, ArrayBuffer and a Uint32Array'), (t) => {
  const file = tmpFile(t, 'abcdefghijklmnop')
  const fd = openFile(t, file, 'r')
  const r = ring(t, { entries: 8 })
  const buf = Buffer.alloc(4)
  const u8 = new Uint8Array(6)
  const dvBacking = new ArrayBuffer(12)
  const dv = new DataView(dvBacking, 4, 5)
  const ab = new ArrayBuffer(3)
  const u32 = new Uint32Array(2)
  const cqes = byUserData(
    run(
      r,
      op.read(fd, buf, 0, { userData: 1 }),
      op.read(fd, u8, 2, { userData: 2 }),
      op.read(fd, dv, 10, { userData: 3 }),
      op.read(fd, ab, 13, { userData: 4 }),
      op.read(fd, u32, 8, { userData: 5 }),
    ),
  )
  t.is(cqes.get(1)!.res, 4)
  t.is(buf.toString('latin1'), 'abcd')
  t.is(cqes.get(2)!.res, 6)
  t.is(Buffer.from(u8).toString('latin1'), 'cdefgh')
  t.is(cqes.get(3)!.res, 5)
  t.is(Buffer.from(dvBacking).toString('latin1'), '\0\0\0\0klmno\0\0\0', 'only the view\'s bytes are written')
  t.is(cqes.get(4)!.res, 3)
  t.is(Buffer.from(ab).toString('latin1'), 'nop')
  t.is(cqes.get(5)!.res, 8, 'a Uint32Array of 2 is 8 bytes')
  t.is(Buffer.from(u32.buffer).toString('latin1'), 'ijklmnop')
})

rwTest(rw('op.read with bufferOffset and length fills only that part; short read at EOF'), (t) => {
  const file = tmpFile(t, 'ABCDEFGH')
  const fd = openFile(t, file, 'r')
  const r = ring(t, { entries: 8 })
  const buf = Buffer.alloc(10, '.')
  const [c] = run(r, op.read(fd, buf, 1, { bufferOffset: 3, length: 4 }))
  t.is(c.res, 4)
  t.is(buf.toString('latin1'), '...BCDE...')
  const big = Buffer.alloc(10, '.')
  const [c2] = run(r, op.read(fd, big, 5))
  t.is(c2.res, 3, 'only 3 bytes left in the file')
  t.is(big.toString('latin1'), 'FGH.......')
  const [c3] = run(r, op.read(fd, big, 100))
  t.is(c3.res, 0, 'EOF')
  const [c4] = run(r, op.read(fd, Buffer.alloc(4), 0, { length: 0 }))
  t.is(c4.res, 0, 'a zero-length read')
})

rwTest(rw('offset -1 uses and advances the file position'), (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  t.is(run(r, op.write(fd, Buffer.from('first;'), -1))[0].res, 6)
  t.is(run(r, op.write(fd, Buffer.from('second;')))[0].res, 7, 'the default offset is -1')
  t.is(fs.readFileSync(file, 'latin1'), 'first;second;')
  // The fd position is now 13; a positional write does not move it.
  t.is(run(r, op.write(fd, Buffer.from('F'), 0))[0].res, 1)
  t.is(run(r, op.write(fd, Buffer.from('third'), -1n))[0].res, 5, 'bigint -1n too')
  t.is(fs.readFileSync(file, 'latin1'), 'First;second;third')
  // Reads at -1 advance the position of a separate descriptor.
  const rfd = openFile(t, file, 'r')
  const a = Buffer.alloc(6)
  const b = Buffer.alloc(7)
  t.is(run(r, op.read(rfd, a, -1))[0].res, 6)
  t.is(run(r, op.read(rfd, b, -1))[0].res, 7)
  t.is(a.toString() + b.toString(), 'First;second;')
})

rwTest(rw('bigint offsets, including beyond 2**32'), (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  t.is(run(r, op.write(fd, Buffer.from('big'), 7n))[0].res, 3)
  const at = 2n ** 32n + 5n
  t.is(run(r, op.write(fd, Buffer.from('far'), at))[0].res, 3)
  const st = fs.fstatSync(fd, { bigint: true })
  t.is(st.size, at + 3n)
  const b = Buffer.alloc(3)
  t.is(fs.readSync(fd, b, 0, 3, Number(at)), 3)
  t.is(b.toString(), 'far')
  const b2 = Buffer.alloc(3)
  t.is(run(r, op.read(fd, b2, at))[0].res, 3)
  t.is(b2.toString(), 'far')
  // A number offset beyond 2**32 is split into the same two words.
  const b3 = Buffer.alloc(3)
  t.is(run(r, op.read(fd, b3, Number(at)))[0].res, 3)
  t.is(b3.toString(), 'far')
  const b4 = Buffer.alloc(10)
  t.is(run(r, op.read(fd, b4, 0n))[0].res, 10)
  t.deepEqual(b4, Buffer.concat([Buffer.alloc(7), Buffer.from('big')]))
})

test('writev of 3 buffers, then readv into 3 buffers', (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [w] = run(r, op.writev(fd, [Buffer.from('one,'), new Uint8Array(Buffer.from('two,')), Buffer.from('three')], 0, { userData: 7 }))
  t.is(w.userData, 7)
  t.is(w.res, 13)
  t.is(fs.readFileSync(file, 'latin1'), 'one,two,three')
  const parts = [Buffer.alloc(2), Buffer.alloc(5), new Uint8Array(10)]
  const [rd] = run(r, op.readv(fd, parts, 1))
  t.is(rd.res, 12)
  t.is(parts[0].toString(), 'ne')
  t.is(parts[1].toString(), ',two,')
  t.is(Buffer.from(parts[2]).toString('latin1'), 'three\0\0\0\0\0')
  // writev at an offset.
  const [w2] = run(r, op.writev(fd, [Buffer.from('T'), Buffer.from('W')], 4))
  t.is(w2.res, 2)
  t.is(fs.readFileSync(file, 'latin1'), 'one,TWo,three')
})

test('changing the readv array after pushing does not change what the kernel reads into', (t) => {
  const file = tmpFile(t, 'abcdef')
  const fd = openFile(t, file, 'r')
  const r = ring(t, { entries: 8 })
  const a = Buffer.alloc(3)
  const b = Buffer.alloc(3)
  const list = [a, b]
  const o = op.readv(fd, list, 0)
  r.sq.push(o)
  const other = Buffer.alloc(3)
  list[0] = other
  r.sq.submitAndWait(1)
  const [c] = r.cq.drain()
  t.is(c.res, 6)
  t.is(a.toString(), 'abc')
  t.is(b.toString(), 'def')
  t.deepEqual(other, Buffer.alloc(3))
})

test('fsync and fsync { datasync: true } complete with res 0 on a real file', (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  fs.writeSync(fd, 'durable')
  const r = ring(t, { entries: 8 })
  const cqes = byUserData(run(r, op.fsync(fd, { userData: 1 }), op.fsync(fd, { datasync: true, userData: 2 })))
  t.is(cqes.get(1)!.res, 0)
  t.is(cqes.get(2)!.res, 0)
  t.is(fs.readFileSync(file, 'latin1'), 'durable')
})

test('fsync of a closed fd gives -EBADF in the CQE', (t) => {
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.fsync(closedFd(), { userData: 3 }))
  t.is(c.userData, 3)
  t.is(c.res, -EBADF)
})

rwTest(rw('a read of a closed fd completes with res -EBADF'), (t) => {
  const r = ring(t, { entries: 8 })
  const buf = Buffer.alloc(4, 1)
  const [c] = run(r, op.read(closedFd(), buf, 0, { userData: 42 }))
  t.is(c.userData, 42)
  t.is(c.res, -EBADF)
  t.deepEqual(buf, Buffer.alloc(4, 1), 'nothing written')
  // A write to an fd opened read-only is EBADF too.
  const file = tmpFile(t, 'ro')
  const ro = openFile(t, file, 'r')
  const [w] = run(r, op.write(ro, Buffer.from('x'), 0))
  t.is(w.res, -EBADF)
  t.is(fs.readFileSync(file, 'latin1'), 'ro')
})

rwTest(rw('linked write -> fsync: both complete, in order, and the bytes are on disk'), (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const cqes = run(r, op.write(fd, Buffer.from('linked'), 0, { userData: 1, link: true }), op.fsync(fd, { userData: 2 }))
  t.deepEqual(cqes.map((c) => [c.userData, c.res]), [[1, 6], [2, 0]])
  t.is(fs.readFileSync(file, 'latin1'), 'linked')
})

rwTest(rw('a link chain whose first op fails cancels the rest with -ECANCELED'), (t) => {
  const file = tmpFile(t, 'keep')
  const wfd = openFile(t, file, fs.constants.O_WRONLY)
  const r = ring(t, { entries: 8 })
  const buf = Buffer.alloc(4)
  const cqes = byUserData(
    run(
      r,
      op.read(wfd, buf, 0, { userData: 1, link: true }),
      op.write(wfd, Buffer.from('XXXX'), 0, { userData: 2, link: true }),
      op.nop({ userData: 3 }),
    ),
  )
  t.is(cqes.get(1)!.res, -EBADF, 'read on a write-only fd')
  t.is(cqes.get(2)!.res, -ECANCELED)
  t.is(cqes.get(3)!.res, -ECANCELED)
  t.is(fs.readFileSync(file, 'latin1'), 'keep', 'the cancelled write never ran')
  // A hardlink keeps the chain going past the failure of an op that ran: a timeout that expires
  // (-ETIME). Not the read above: older kernels refuse it while submitting (5.10 checks FMODE_READ in
  // io_read_prep), and a failure at submission cancels even a hard chain ("fail even hard links
  // since we don't submit", io_submit_sqe, to this day).
  const hard = byUserData(run(r, op.timeout(1, { userData: 4, hardlink: true }), op.write(wfd, Buffer.from('HARD'), 0, { userData: 5 })))
  t.is(hard.get(4)!.res, -ETIME)
  t.is(hard.get(5)!.res, 4)
  t.is(fs.readFileSync(file, 'latin1'), 'HARD')
})

rwTest(rw('drain: an op with drain runs after every earlier op'), (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const buf = Buffer.alloc(5)
  const cqes = run(
    r,
    op.write(fd, Buffer.from('first'), 0, { userData: 1 }),
    op.read(fd, buf, 0, { userData: 2, drain: true }),
  )
  const m = byUserData(cqes)
  t.is(m.get(1)!.res, 5)
  t.is(m.get(2)!.res, 5)
  t.is(buf.toString(), 'first')
})

rwTest(rw('async: true still reads the right bytes (io-wq path)'), (t) => {
  const file = tmpFile(t, 'through the worker pool')
  const fd = openFile(t, file, 'r')
  const r = ring(t, { entries: 8 })
  const buf = Buffer.alloc(7)
  const [c] = run(r, op.read(fd, buf, 12, { async: true }))
  t.is(c.res, 7)
  t.is(buf.toString(), 'worker ')
})

rwTest(rw('many writes in one batch land at their own offsets'), (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 64 })
  const ops: Op[] = []
  for (let i = 0; i < 64; i++) ops.push(op.write(fd, Buffer.from(String.fromCharCode(65 + (i % 26)).repeat(4)), i * 4, { userData: i }))
  const cqes = run(r, ...ops)
  t.true(cqes.every((c) => c.res === 4))
  const expected = Array.from({ length: 64 }, (_, i) => String.fromCharCode(65 + (i % 26)).repeat(4)).join('')
  t.is(fs.readFileSync(file, 'latin1'), expected)
})

// A full GC on demand (ava runs the specs without --expose-gc).
v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Pushes `n` reads of 4 bytes into buffers only the ring references; returns weak refs to them. */
function pushUnreferencedReads(r: Ring, fd: number, n: number): Array<WeakRef<Buffer>> {
  const refs: Array<WeakRef<Buffer>> = []
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(4)
    refs.push(new WeakRef(b))
    r.sq.push(op.read(fd, b, -1, { userData: i }))
  }
  return refs
}

function contents(refs: Array<WeakRef<Buffer>>): Array<string | undefined> {
  return refs.map((w) => w.deref()?.toString('latin1'))
}

rwTest(rw('the ring keeps buffers alive while the kernel may write into them, and lets them go after'), async (t) => {
  const r = ring(t, { entries: 8 })
  const fd = fifo(t)
  const refs = pushUnreferencedReads(r, fd, 4)
  r.sq.submit()
  t.is(r.inFlight, 4)
  await nextTurn()
  gc()
  await nextTurn()
  gc()
  t.deepEqual(refs.map((w) => w.deref() !== undefined), [true, true, true, true], 'in-flight buffers survive a full GC')
  await nextTurn()
  fs.writeSync(fd, 'AAAABBBBCCCCDDDD')
  let n = 0
  while (n < 4) {
    const got = r.cq.wait(4 - n, { timeoutMs: 5000 })
    if (got.length === 0) return t.fail(`stalled after ${n} reads`)
    for (let i = 0; i < got.length; i++) t.is(got[i].res, 4)
    n += got.length
    got.length = 0 // a Cqe holds its op (cqe.op), which holds its buffer
  }
  t.deepEqual(contents(refs).sort(), ['AAAA', 'BBBB', 'CCCC', 'DDDD'], 'the kernel wrote into the live buffers')
  await nextTurn()
  gc()
  await nextTurn()
  gc()
  t.deepEqual(refs.map((w) => w.deref() !== undefined), [false, false, false, false], 'completed ops release their buffers')
})

test('close() with a read in flight on a FIFO cancels it: { cancelled: 1 }, inFlight 0', (t) => {
  const r = new Ring({ entries: 8 })
  const fd = fifo(t)
  const buf = Buffer.alloc(16)
  r.sq.push(op.readv(fd, [buf], -1, { userData: 1 }))
  r.sq.submit()
  t.is(r.inFlight, 1)
  t.is(r.cq.drain().length, 0, 'the read cannot complete: no writer')
  t.deepEqual(r.close(), { cancelled: 1 })
  t.true(r.closed)
  t.is(r.inFlight, 0)
  t.deepEqual(buf, Buffer.alloc(16))
  // The FIFO is still usable: the cancelled read took nothing.
  fs.writeSync(fd, 'after')
  const b = Buffer.alloc(5)
  t.is(fs.readSync(fd, b), 5)
  t.is(b.toString(), 'after')
})

rwTest(rw('close() cancels several reads in flight'), (t) => {
  const r = new Ring({ entries: 8 })
  const fd = fifo(t)
  for (let i = 0; i < 5; i++) r.sq.push(op.read(fd, Buffer.alloc(4), -1, { userData: i }))
  r.sq.push(op.nop({ userData: 99 }))
  r.sq.submit()
  t.is(r.inFlight, 5)
  t.deepEqual(r.close(), { cancelled: 5 })
  t.is(r.inFlight, 0)
})

test('close() drops staged ops that were never submitted', (t) => {
  const r = new Ring({ entries: 8 })
  r.sq.push(op.nop())
  r.sq.push(op.nop())
  t.is(r.sq.pending, 2)
  t.deepEqual(r.close(), { cancelled: 0 })
  t.is(r.sq.pending, 0)
  t.is(r.inFlight, 0)
})

test('after close(), every use is ERR_URING_CLOSED; close() again is fine', (t) => {
  const r = new Ring({ entries: 8 })
  const fd = fifo(t)
  r.sq.push(op.readv(fd, [Buffer.alloc(4)], -1))
  r.sq.submit()
  t.deepEqual(r.close(), { cancelled: 1 })
  throwsCode(t, () => r.sq.push(op.nop()), 'ERR_URING_CLOSED', 'push')
  throwsCode(t, () => r.sq.pushMany([op.nop()]), 'ERR_URING_CLOSED', 'pushMany')
  throwsCode(t, () => r.sq.submit(), 'ERR_URING_CLOSED', 'submit')
  throwsCode(t, () => r.sq.submitAndWait(1), 'ERR_URING_CLOSED', 'submitAndWait')
  throwsCode(t, () => r.cq.drain(), 'ERR_URING_CLOSED', 'drain')
  throwsCode(t, () => r.cq.next(), 'ERR_URING_CLOSED', 'next')
  throwsCode(t, () => r.cq.wait(1, { timeoutMs: 10 }), 'ERR_URING_CLOSED', 'wait')
  throwsCode(t, () => [...r.cq], 'ERR_URING_CLOSED', 'iterate')
  throwsCode(t, () => r.probe, 'ERR_URING_CLOSED', 'probe')
  throwsCode(t, () => r.enable(), 'ERR_URING_CLOSED', 'enable')
  throwsCode(t, () => r.fd, 'ERR_URING_CLOSED', 'fd')
  t.is(r.sq.space, 0)
  t.is(r.cq.ready, 0)
  t.is(r.inFlight, 0)
  t.deepEqual(r.close(), { cancelled: 0 })
  t.notThrows(() => r[Symbol.dispose]())
  t.true(r.closed)
})
