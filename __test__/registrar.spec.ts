/**
 * ring.registrar: registered buffers and files, direct descriptors, installFd, stale handles,
 * eventfd, personalities and the registered ring fd. Every behaviour is checked against what the
 * kernel did: bytes in files (read back with node:fs), the ring's tables as the kernel lists them
 * in /proc/self/fdinfo, the fds of the process in /proc/self/fd, and child processes where a
 * limit or a credential has to change.
 */
import test, { ExecutionContext } from 'ava'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { AT_FDCWD, Op, Ring, op } from '../index'
import { buildWithEvfd } from './_noring'
import {
  closedFd,
  hasOp,
  Impl,
  isCloexec,
  kernelFileName,
  kernelSocketName,
  kernelAtLeast,
  memlockPrefix,
  openFile,
  pattern,
  processFdsOn,
  ring,
  refusedStale,
  run,
  RingTables,
  ringTables,
  testWhen,
  tempDir,
  throwsCode,
  tmpFile,
} from './_helpers'

const STALE = 'ERR_URING_STALE_HANDLE'
const RANGE = 'ERR_OUT_OF_RANGE'
const TYPE = 'ERR_INVALID_ARG_TYPE'
const VALUE = 'ERR_INVALID_ARG_VALUE'
const TABLE_FULL = 'ERR_URING_TABLE_FULL'
const ENFILE = 23
const EINVAL = 22
const EACCES = 13
const PAGE = 4096
/** IORING_OP_* of the fixed variants the ops must pick. */
const READ_FIXED = 4
const WRITE_FIXED = 5
const READV_FIXED = 60
const WRITEV_FIXED = 61
const AF_INET = 2
const SOCK_STREAM = 1


/** `test` when `ok`, else `test.skip` with ` (skipped: REASON)` in the title. */
function testIf(ok: boolean, reason: string): (title: string, impl: Impl) => void {
  return (title, impl) => (ok ? test : test.skip)(`${title}${ok ? '' : ` (skipped: ${reason})`}`, impl)
}

/** `test`, or `test.skip` naming the missing feature and the kernel that adds it. */
const rwTest = testWhen(hasOp('read') && hasOp('write'), 'IORING_OP_READ/WRITE', '5.6')
const fixedRwTest = testWhen(hasOp('readFixed') && hasOp('writeFixed') && hasOp('read'), 'IORING_OP_READ_FIXED/WRITE_FIXED with IORING_OP_READ', '5.6')
const sparseTest = testWhen(kernelAtLeast('5.19') && hasOp('read'), 'IORING_RSRC_REGISTER_SPARSE', '5.19')
const fixedCloseTest = testWhen(kernelAtLeast('5.15') && hasOp('close') && hasOp('read'), 'IORING_OP_CLOSE of a fixed file', '5.15')
const directOpenTest = testWhen(kernelAtLeast('5.19') && hasOp('openat') && hasOp('close') && hasOp('read'), 'IORING_OP_OPENAT with IORING_FILE_INDEX_ALLOC', '5.19')
const directSocketTest = testWhen(kernelAtLeast('5.19') && hasOp('socket') && hasOp('close'), 'IORING_OP_SOCKET with IORING_FILE_INDEX_ALLOC', '5.19')
const installTest = testWhen(kernelAtLeast('6.8'), 'IORING_OP_FIXED_FD_INSTALL (installFd)', '6.8')
const installDirectTest = testWhen(kernelAtLeast('6.8') && hasOp('openat'), 'installFd of a direct openat (IORING_OP_FIXED_FD_INSTALL)', '6.8')
const installOpTest = testWhen(hasOp('fixedFdInstall'), 'IORING_OP_FIXED_FD_INSTALL', '6.8')
const fixedVecTest = testWhen(hasOp('readvFixed') && hasOp('writevFixed'), 'IORING_OP_READV_FIXED/WRITEV_FIXED', '6.15')
const ringFdTest = testWhen(kernelAtLeast('5.18'), 'IORING_REGISTER_RING_FDS', '5.18')
const isRoot = process.getuid?.() === 0
const personalityTest = isRoot
  ? testWhen(kernelAtLeast('5.6') && hasOp('openat'), 'IORING_REGISTER_PERSONALITY with IORING_OP_OPENAT', '5.6')
  : testIf(false, 'switching the effective uid needs root')

/** The kernel's view of the ring's tables (the slots that hold something); fails the test when the kernel did not list them. */
function tables(t: ExecutionContext, r: Ring): RingTables {
  const tb = ringTables(r)
  if (!tb) {
    t.fail('/proc/self/fdinfo of the ring has no UserFiles/UserBufs tables')
    return { files: new Map(), bufs: new Map() }
  }
  return tb
}

// ---- registered buffers ------------------------------------------------------------------------

test('registerBuffers: one RegisteredBuf per size, with index, size and bytes; the kernel lists them', (t) => {
  const r = ring(t, { entries: 8 })
  const bufs = r.registrar.registerBuffers([PAGE, 2 * PAGE, 100])
  t.is(bufs.length, 3)
  t.deepEqual(bufs.map((b) => b.size), [PAGE, 2 * PAGE, 100])
  t.deepEqual(bufs.map((b) => b.bytes.byteLength), [PAGE, 2 * PAGE, 100])
  t.true(bufs.every((b) => b.bytes instanceof Uint8Array))
  t.is(new Set(bufs.map((b) => b.index)).size, 3, 'distinct slots')
  t.true(bufs.every((b) => b.bytes.every((x) => x === 0)), 'fresh pages are zeroed')
  const tb = tables(t, r)
  t.is(tb.bufs.get(bufs[0].index), PAGE, 'the kernel has the 4 KiB buffer in its slot')
  t.is(tb.bufs.get(bufs[1].index), 2 * PAGE, 'the kernel has the 8 KiB buffer in its slot')
  t.true(tb.bufs.has(bufs[2].index), 'the kernel has the 100-byte buffer in its slot')
})

fixedRwTest('op.write from a RegisteredBuf (WRITE_FIXED) puts its bytes in the file byte for byte', (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [buf] = r.registrar.registerBuffers([2 * PAGE])
  const data = pattern(2 * PAGE, 1)
  buf.bytes.set(data)
  const w = op.write(fd, buf, 0, { userData: 1 })
  t.is(w.opcode, WRITE_FIXED, 'a RegisteredBuf makes the write WRITE_FIXED')
  const [c] = run(r, w)
  t.is(c.userData, 1)
  t.is(c.res, 2 * PAGE)
  t.deepEqual(fs.readFileSync(file), data)
})

fixedRwTest('op.write from a RegisteredBufSlice writes exactly that range at the file offset', (t) => {
  const file = tmpFile(t, Buffer.alloc(64, '.'))
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [buf] = r.registrar.registerBuffers([PAGE])
  buf.bytes.set(pattern(PAGE, 2))
  const slice = buf.slice(100, 20)
  t.is(slice.buf, buf)
  t.is(slice.offset, 100)
  t.is(slice.length, 20)
  t.deepEqual(Buffer.from(slice.bytes), pattern(PAGE, 2).subarray(100, 120))
  const w = op.write(fd, slice, 10)
  t.is(w.opcode, WRITE_FIXED, 'a slice is still fixed')
  const [c] = run(r, w)
  t.is(c.res, 20)
  const expected = Buffer.alloc(64, '.')
  pattern(PAGE, 2).copy(expected, 10, 100, 120)
  t.deepEqual(fs.readFileSync(file), expected)
  // slice(offset) without a length runs to the end of the buffer.
  const tail = buf.slice(PAGE - 5)
  t.is(tail.length, 5)
  const [c2] = run(r, op.write(fd, tail, 64))
  t.is(c2.res, 5)
  t.deepEqual(fs.readFileSync(file).subarray(64), pattern(PAGE, 2).subarray(PAGE - 5))
})

fixedRwTest('op.read into a RegisteredBuf (READ_FIXED) fills buf.bytes in place', (t) => {
  const data = pattern(3000, 3)
  const file = tmpFile(t, data)
  const fd = openFile(t, file, 'r')
  const r = ring(t, { entries: 8 })
  const [buf] = r.registrar.registerBuffers([PAGE])
  const view = buf.bytes // taken before the read: the kernel must write into this very memory
  const rd = op.read(fd, buf, 0)
  t.is(rd.opcode, READ_FIXED, 'a RegisteredBuf makes the read READ_FIXED')
  const [c] = run(r, rd)
  t.is(c.res, 3000)
  t.deepEqual(Buffer.from(view.subarray(0, 3000)), data, 'the view taken before the read holds the file')
  t.true(view.subarray(3000).every((x) => x === 0), 'nothing past the bytes read')
  t.deepEqual(Buffer.from(buf.bytes.subarray(0, 3000)), data)
  // Into a slice: only the slice's bytes change.
  view.fill(0xee)
  const [c2] = run(r, op.read(fd, buf.slice(500, 8), 2990))
  t.is(c2.res, 8)
  t.deepEqual(Buffer.from(view.subarray(500, 508)), data.subarray(2990, 2998))
  t.true(view.subarray(0, 500).every((x) => x === 0xee), 'bytes before the slice untouched')
  t.true(view.subarray(508).every((x) => x === 0xee), 'bytes after the slice untouched')
})

fixedRwTest('bytes written through buf.bytes and slice.bytes reach the file by WRITE_FIXED', (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [buf] = r.registrar.registerBuffers([PAGE])
  const slice = buf.slice(16, 11)
  slice.bytes.set(Buffer.from('written via'))
  t.is(Buffer.from(buf.bytes.subarray(16, 27)).toString(), 'written via', 'slice.bytes is the same memory as buf.bytes')
  buf.bytes.set(Buffer.from('text '), 11)
  const [c] = run(r, op.write(fd, buf.slice(11, 16), 0))
  t.is(c.res, 16)
  t.is(fs.readFileSync(file, 'latin1'), 'text written via')
})

test('registerBuffers twice without a reserved table keeps the first buffers and their handles', (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [a] = r.registrar.registerBuffers([PAGE])
  a.bytes.set(Buffer.from('first'))
  const [b] = r.registrar.registerBuffers([2 * PAGE])
  t.not(a.index, b.index)
  const tb = tables(t, r)
  t.is(tb.bufs.get(a.index), PAGE)
  t.is(tb.bufs.get(b.index), 2 * PAGE)
  b.bytes.set(Buffer.from('+second'))
  const cqes = run(r, op.write(fd, a.slice(0, 5), 0, { userData: 1 }), op.write(fd, b.slice(0, 7), 5, { userData: 2 }))
  t.true(cqes.every((c) => c.res > 0), `results ${cqes.map((c) => c.res).join(', ')}`)
  t.is(fs.readFileSync(file, 'latin1'), 'first+second')
})

sparseTest('reserveBuffers + updateBuffer(slot): a buffer appears in that slot; registerBuffers fills free slots', (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  r.registrar.reserveBuffers(4)
  t.is(tables(t, r).bufs.size, 0, 'a reserved table has no buffers')
  const b = r.registrar.updateBuffer(2, 2 * PAGE)
  t.is(b.index, 2)
  t.is(b.size, 2 * PAGE)
  t.is(tables(t, r).bufs.get(2), 2 * PAGE, 'the kernel has the buffer in slot 2')
  const more = r.registrar.registerBuffers([PAGE, PAGE])
  t.true(more.every((m) => m.index >= 0 && m.index < 4 && m.index !== 2), `free slots used: ${more.map((m) => m.index).join(', ')}`)
  t.is(tables(t, r).bufs.size, 3)
  b.bytes.set(Buffer.from('slot two'))
  const [c] = run(r, op.write(fd, b.slice(0, 8), 0))
  t.is(c.res, 8)
  t.is(fs.readFileSync(file, 'latin1'), 'slot two')
})

sparseTest('updateBuffer(handle, size): a fresh buffer in the same slot; only the new handle works', (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [old] = r.registrar.registerBuffers([PAGE])
  old.bytes.set(Buffer.from('old'))
  const fresh = r.registrar.updateBuffer(old, 2 * PAGE)
  t.is(fresh.index, old.index)
  t.is(fresh.size, 2 * PAGE)
  t.is(tables(t, r).bufs.get(fresh.index), 2 * PAGE, 'the kernel has the new length in the slot')
  t.true(fresh.bytes.every((x) => x === 0), 'a fresh buffer, not the old memory')
  fresh.bytes.set(Buffer.from('new'))
  const [c] = run(r, op.write(fd, fresh.slice(0, 3), 0))
  t.is(c.res, 3)
  t.is(fs.readFileSync(file, 'latin1'), 'new')
  refusedStale(t, r, () => op.write(fd, old, 0), 'the replaced handle')
})

// ---- registered files --------------------------------------------------------------------------

rwTest('a RegisteredFd keeps working after the process fd is closed (write, read, fsync)', (t) => {
  const file = tmpFile(t)
  const real = fs.realpathSync(file)
  const fd = fs.openSync(file, 'r+')
  const r = ring(t, { entries: 8 })
  const [h] = r.registrar.registerFiles([fd])
  t.is(typeof h.index, 'number')
  t.is(tables(t, r).files.get(h.index), kernelFileName(file), 'the kernel table has the file')
  fs.closeSync(fd)
  t.deepEqual(processFdsOn(real), [], 'no process fd is open on the file any more')
  const [w] = run(r, op.write(h, Buffer.from('through the slot'), 0))
  t.is(w.res, 16)
  t.is(fs.readFileSync(file, 'latin1'), 'through the slot')
  const back = Buffer.alloc(4)
  const [rd] = run(r, op.read(h, back, 8))
  t.is(rd.res, 4)
  t.is(back.toString(), 'the ')
  const [s] = run(r, op.fsync(h))
  t.is(s.res, 0)
})

fixedRwTest('a RegisteredFd with a RegisteredBufSlice: WRITE_FIXED on a fixed file', (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [h] = r.registrar.registerFiles([fd])
  const [buf] = r.registrar.registerBuffers([PAGE])
  buf.bytes.set(Buffer.from('hello'))
  const [c] = run(r, op.write(h, buf.slice(0, 5), 0))
  t.is(c.res, 5)
  t.is(fs.readFileSync(file, 'latin1'), 'hello')
})

rwTest('updateFile puts another file in the slot: the new handle reads it, the old one is stale', (t) => {
  const a = tmpFile(t, 'file A')
  const b = path.join(path.dirname(a), 'b')
  fs.writeFileSync(b, 'file B')
  const fa = openFile(t, a, 'r')
  const fb = openFile(t, b, 'r')
  const r = ring(t, { entries: 8 })
  const [old] = r.registrar.registerFiles([fa])
  const fresh = r.registrar.updateFile(old, fb)
  t.is(fresh.index, old.index)
  t.is(tables(t, r).files.get(fresh.index), kernelFileName(b), 'the kernel has file B in the slot')
  const out = Buffer.alloc(6)
  const [c] = run(r, op.read(fresh, out, 0))
  t.is(c.res, 6)
  t.is(out.toString(), 'file B')
  refusedStale(t, r, () => op.read(old, Buffer.alloc(6), 0), 'the replaced RegisteredFd')
})

sparseTest('reserveFiles: registerFiles fills free slots; a full table is ERR_URING_TABLE_FULL', (t) => {
  const file = tmpFile(t, 'x')
  const f1 = openFile(t, file, 'r')
  const f2 = openFile(t, file, 'r')
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(2)
  t.is(tables(t, r).files.size, 0)
  const hs = r.registrar.registerFiles([f1, f2])
  t.deepEqual(hs.map((h) => h.index).sort(), [0, 1])
  t.is(tables(t, r).files.size, 2)
  throwsCode(t, () => r.registrar.registerFiles([f1]), TABLE_FULL, 'a third file in a table of 2')
  const out = Buffer.alloc(1)
  const [c] = run(r, op.read(hs[1], out, 0))
  t.is(c.res, 1, 'the table still works')
  t.is(out.toString(), 'x')
})

sparseTest('reserveBuffers: a full buffer table is ERR_URING_TABLE_FULL', (t) => {
  const r = ring(t, { entries: 8 })
  r.registrar.reserveBuffers(1)
  r.registrar.registerBuffers([PAGE])
  throwsCode(t, () => r.registrar.registerBuffers([PAGE]), TABLE_FULL)
  t.is(tables(t, r).bufs.size, 1)
})

rwTest('unregisterBuffers / unregisterFiles empty the tables; every handle is stale; registering again works', (t) => {
  const file = tmpFile(t, 'again')
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [buf] = r.registrar.registerBuffers([PAGE])
  const [h] = r.registrar.registerFiles([fd])
  r.registrar.unregisterBuffers()
  r.registrar.unregisterFiles()
  const tb = tables(t, r)
  t.is(tb.bufs.size, 0)
  t.is(tb.files.size, 0)
  refusedStale(t, r, () => op.write(fd, buf, 0), 'a buffer after unregisterBuffers()')
  refusedStale(t, r, () => op.read(h, Buffer.alloc(4), 0), 'a file after unregisterFiles()')
  const [buf2] = r.registrar.registerBuffers([PAGE])
  const [h2] = r.registrar.registerFiles([fd])
  const [c] = run(r, op.read(h2, buf2.slice(0, 5), 0))
  t.is(c.res, 5)
  t.is(Buffer.from(buf2.bytes.subarray(0, 5)).toString(), 'again')
})

// ---- direct descriptors and installFd ------------------------------------------------------------

directOpenTest('direct openat: read through registrar.directFd(cqe), op.close(handle); never a process fd', (t) => {
  const data = pattern(300, 4)
  const file = tmpFile(t, data)
  const real = fs.realpathSync(file)
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(4)
  const [c] = run(r, op.openat(AT_FDCWD, file, fs.constants.O_RDONLY, 0, { direct: true, userData: 1 }))
  t.is(c.userData, 1)
  t.true(c.res >= 0, `openat res ${c.res}`)
  const h = r.registrar.directFd(c)
  t.is(h.index, c.res, 'with IORING_FILE_INDEX_ALLOC the result is the slot')
  t.deepEqual(processFdsOn(real), [], 'no process fd is open on the file')
  t.is(tables(t, r).files.get(h.index), kernelFileName(file), 'the kernel table has the file in that slot')
  const out = Buffer.alloc(300)
  const [rd] = run(r, op.read(h, out, 0))
  t.is(rd.res, 300)
  t.deepEqual(out, data)
  const [cl] = run(r, op.close(h))
  t.is(cl.res, 0)
  t.false(tables(t, r).files.has(h.index), 'the slot is empty after op.close')
  refusedStale(t, r, () => op.read(h, Buffer.alloc(4), 0), 'a closed direct descriptor')
})

directOpenTest('direct openat with a path given as bytes', (t) => {
  const file = tmpFile(t, 'bytes path')
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(1)
  const [c] = run(r, op.openat(AT_FDCWD, new Uint8Array(Buffer.from(file)), fs.constants.O_RDONLY, 0, { direct: true }))
  t.true(c.res >= 0, `openat res ${c.res}`)
  const h = r.registrar.directFd(c)
  const out = Buffer.alloc(10)
  t.is(run(r, op.read(h, out, 0))[0].res, 10)
  t.is(out.toString(), 'bytes path')
})

directOpenTest('direct openat into a full file table completes with -ENFILE', (t) => {
  const file = tmpFile(t, 'x')
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(1)
  const [c1] = run(r, op.openat(AT_FDCWD, file, fs.constants.O_RDONLY, 0, { direct: true }))
  t.true(c1.res >= 0)
  const [c2] = run(r, op.openat(AT_FDCWD, file, fs.constants.O_RDONLY, 0, { direct: true }))
  t.is(c2.res, -ENFILE)
  t.is(tables(t, r).files.size, 1)
})

directSocketTest('direct socket: op.socket { direct: true } puts a socket in the table, op.close removes it', (t) => {
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(2)
  const [c] = run(r, op.socket(AF_INET, SOCK_STREAM, 0, { direct: true }))
  t.true(c.res >= 0, `socket res ${c.res}`)
  const h = r.registrar.directFd(c)
  t.is(h.index, c.res)
  t.regex(tables(t, r).files.get(h.index) ?? '', kernelSocketName('TCP'), 'the kernel table has a socket in that slot')
  const [cl] = run(r, op.close(h))
  t.is(cl.res, 0)
  t.false(tables(t, r).files.has(h.index))
})

installTest('installFd gives a real process fd (O_CLOEXEC unless cloexec: false) that fs.readSync reads', (t) => {
  const file = tmpFile(t, 'installed fd reads this')
  const real = fs.realpathSync(file)
  const fd = fs.openSync(file, 'r')
  const r = ring(t, { entries: 8 })
  const [h] = r.registrar.registerFiles([fd])
  fs.closeSync(fd)
  const nfd = r.registrar.installFd(h)
  t.teardown(() => fs.closeSync(nfd))
  t.true(Number.isInteger(nfd) && nfd >= 0)
  t.is(fs.readlinkSync(`/proc/self/fd/${nfd}`), real)
  const out = Buffer.alloc(64)
  const n = fs.readSync(nfd, out, 0, 64, 0)
  t.is(out.toString('utf8', 0, n), 'installed fd reads this')
  t.true(isCloexec(nfd), 'O_CLOEXEC by default')
  const nfd2 = r.registrar.installFd(h, { cloexec: false })
  t.teardown(() => fs.closeSync(nfd2))
  t.not(nfd2, nfd)
  t.false(isCloexec(nfd2), 'no O_CLOEXEC with cloexec: false')
  const back = Buffer.alloc(9)
  t.is(run(r, op.read(h, back, 0))[0].res, 9, 'the handle keeps working')
  t.is(back.toString(), 'installed')
})

installDirectTest('installFd of a direct openat: the file gets a process fd only now', (t) => {
  const file = tmpFile(t, 'direct, then installed')
  const real = fs.realpathSync(file)
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(2)
  const [c] = run(r, op.openat(AT_FDCWD, file, fs.constants.O_RDONLY, 0, { direct: true }))
  t.true(c.res >= 0, `openat res ${c.res}`)
  const h = r.registrar.directFd(c)
  t.deepEqual(processFdsOn(real), [])
  const nfd = r.registrar.installFd(h)
  t.teardown(() => fs.closeSync(nfd))
  t.deepEqual(processFdsOn(real), [nfd])
  t.is(fs.readFileSync(nfd, 'utf8'), 'direct, then installed')
})

installOpTest('op.fixedFdInstall: cqe.res is a process fd on the same file', (t) => {
  const file = tmpFile(t, 'via the op')
  const fd = fs.openSync(file, 'r')
  const r = ring(t, { entries: 8 })
  const [h] = r.registrar.registerFiles([fd])
  fs.closeSync(fd)
  const [c] = run(r, op.fixedFdInstall(h))
  t.true(c.res >= 0, `fixedFdInstall res ${c.res}`)
  t.teardown(() => fs.closeSync(c.res))
  t.true(isCloexec(c.res), 'O_CLOEXEC by default')
  const out = Buffer.alloc(10)
  t.is(fs.readSync(c.res, out, 0, 10, 0), 10)
  t.is(out.toString(), 'via the op')
  const [c2] = run(r, op.fixedFdInstall(h, { cloexec: false }))
  t.true(c2.res >= 0)
  t.teardown(() => fs.closeSync(c2.res))
  t.false(isCloexec(c2.res), 'IORING_FIXED_FD_NO_CLOEXEC')
})

// ---- vectored fixed I/O ------------------------------------------------------------------------

fixedVecTest('writev/readv with slices of one RegisteredBuf (WRITEV_FIXED/READV_FIXED)', (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [buf] = r.registrar.registerBuffers([2 * PAGE])
  buf.bytes.set(Buffer.from('hello, fixed world'))
  const w = op.writev(fd, [buf.slice(7, 6), buf.slice(0, 7), buf.slice(13, 5)], 0)
  t.is(w.opcode, WRITEV_FIXED)
  const [c] = run(r, w)
  t.is(c.res, 18)
  t.is(fs.readFileSync(file, 'latin1'), 'fixed hello, world')
  const rd = op.readv(fd, [buf.slice(PAGE, 6), buf.slice(6000, 12)], 0)
  t.is(rd.opcode, READV_FIXED)
  const [c2] = run(r, rd)
  t.is(c2.res, 18)
  t.is(Buffer.from(buf.bytes.subarray(PAGE, PAGE + 6)).toString(), 'fixed ')
  t.is(Buffer.from(buf.bytes.subarray(6000, 6012)).toString(), 'hello, world')
  // A whole RegisteredBuf as an element.
  const [c3] = run(r, op.writev(fd, [buf], 0))
  t.is(c3.res, 2 * PAGE)
  t.deepEqual(fs.readFileSync(file), Buffer.from(buf.bytes))
})

fixedVecTest('readv/writev mixing two RegisteredBufs, or registered and plain buffers, is refused with a code', (t) => {
  const file = tmpFile(t)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [a, b] = r.registrar.registerBuffers([PAGE, PAGE])
  const codes = [VALUE, TYPE]
  const refused = (make: () => Op, what: string): void => {
    throwsCode(
      t,
      () => {
        r.sq.push(make())
        r.sq.submit()
      },
      codes,
      what,
    )
    t.is(r.sq.pending, 0)
    t.is(r.inFlight, 0)
  }
  refused(() => op.writev(fd, [a.slice(0, 4), b.slice(0, 4)], 0), 'writev of two registered buffers')
  refused(() => op.readv(fd, [a, b], 0), 'readv of two registered buffers')
  refused(() => op.writev(fd, [a.slice(0, 4), Buffer.from('x')] as never, 0), 'writev of a slice and a Buffer')
  refused(() => op.readv(fd, [Buffer.alloc(4), a] as never, 0), 'readv of a Buffer and a RegisteredBuf')
  t.is(fs.readFileSync(file).length, 0, 'nothing was written')
  a.bytes.set(Buffer.from('ok'))
  const [c] = run(r, op.writev(fd, [a.slice(0, 2)], 0))
  t.is(c.res, 2, 'the ring still works')
  t.is(fs.readFileSync(file, 'latin1'), 'ok')
})

// ---- stale handles -----------------------------------------------------------------------------

interface StaleCase {
  title: string
  run: (t: ExecutionContext) => void
}

/** A ring with a file to write to, and the file's fd. */
function withFile(t: ExecutionContext): { r: Ring; fd: number; file: string } {
  const file = tmpFile(t, 'content of the file')
  return { r: ring(t, { entries: 8 }), fd: openFile(t, file, 'r+'), file }
}

const staleCases: StaleCase[] = [
  {
    title: 'RegisteredBuf after unregister(buf)',
    run: (t) => {
      const { r, fd } = withFile(t)
      const [buf] = r.registrar.registerBuffers([PAGE])
      r.registrar.unregister(buf)
      t.false(tables(t, r).bufs.has(buf.index), 'the kernel slot is empty')
      refusedStale(t, r, () => op.write(fd, buf, 0), 'the buffer')
      refusedStale(t, r, () => op.write(fd, buf.slice(0, 4), 0), 'a slice of it')
    },
  },
  {
    title: 'RegisteredBuf after updateBuffer(buf, size)',
    run: (t) => {
      const { r, fd } = withFile(t)
      const [buf] = r.registrar.registerBuffers([PAGE])
      const slice = buf.slice(0, 4)
      r.registrar.updateBuffer(buf, PAGE)
      refusedStale(t, r, () => op.write(fd, buf, 0), 'the replaced buffer')
      refusedStale(t, r, () => op.read(fd, slice, 0), 'a slice made before the update')
    },
  },
  {
    title: 'RegisteredBuf used on another ring that has a buffer at the same index',
    run: (t) => {
      const { r, fd } = withFile(t)
      const other = ring(t, { entries: 8 })
      const [mine] = r.registrar.registerBuffers([PAGE])
      const [theirs] = other.registrar.registerBuffers([PAGE])
      t.is(mine.index, theirs.index, 'the same slot number on both rings')
      refusedStale(t, other, () => op.write(fd, mine, 0), "the first ring's buffer on the second ring")
    },
  },
  {
    title: 'RegisteredBuf after ring.close(), on a new ring; its bytes stay readable',
    run: (t) => {
      const { fd } = withFile(t)
      const first = new Ring({ entries: 8 })
      t.teardown(() => first.close())
      const [buf] = first.registrar.registerBuffers([PAGE])
      buf.bytes.set(Buffer.from('kept'))
      first.close()
      throwsCode(t, () => first.sq.push(op.write(fd, buf, 0)), ['ERR_URING_CLOSED', STALE], 'on the closed ring itself')
      const next = ring(t, { entries: 8 })
      const [fresh] = next.registrar.registerBuffers([PAGE])
      t.is(fresh.index, buf.index)
      refusedStale(t, next, () => op.write(fd, buf, 0), 'the closed ring\'s buffer')
      t.is(Buffer.from(buf.bytes.subarray(0, 4)).toString(), 'kept', 'buf.bytes is still usable')
    },
  },
  {
    title: 'RegisteredFd after unregister(handle)',
    run: (t) => {
      const { r, fd } = withFile(t)
      const [h] = r.registrar.registerFiles([fd])
      r.registrar.unregister(h)
      t.false(tables(t, r).files.has(h.index), 'the kernel slot is empty')
      refusedStale(t, r, () => op.read(h, Buffer.alloc(4), 0), 'the file')
    },
  },
  {
    title: 'RegisteredFd after updateFile(handle, fd)',
    run: (t) => {
      const { r, fd } = withFile(t)
      const [h] = r.registrar.registerFiles([fd])
      r.registrar.updateFile(h, fd)
      refusedStale(t, r, () => op.write(h, Buffer.from('x'), 0), 'the replaced handle (even with the same file)')
    },
  },
  {
    title: 'RegisteredFd used on another ring that has a file at the same index',
    run: (t) => {
      const { r, fd } = withFile(t)
      const other = ring(t, { entries: 8 })
      const [mine] = r.registrar.registerFiles([fd])
      const [theirs] = other.registrar.registerFiles([fd])
      t.is(mine.index, theirs.index)
      refusedStale(t, other, () => op.read(mine, Buffer.alloc(4), 0), "the first ring's file on the second ring")
    },
  },
  {
    title: 'RegisteredFd after ring.close(), on a new ring',
    run: (t) => {
      const { fd } = withFile(t)
      const first = new Ring({ entries: 8 })
      t.teardown(() => first.close())
      const [h] = first.registrar.registerFiles([fd])
      first.close()
      const next = ring(t, { entries: 8 })
      const [fresh] = next.registrar.registerFiles([fd])
      t.is(fresh.index, h.index)
      refusedStale(t, next, () => op.read(h, Buffer.alloc(4), 0), "the closed ring's file")
    },
  },
]

for (const c of staleCases) {
  rwTest(`stale: ${c.title} is ERR_URING_STALE_HANDLE and the ring keeps working`, c.run)
}

fixedCloseTest('stale: RegisteredFd after op.close(handle) is ERR_URING_STALE_HANDLE and the ring keeps working', (t) => {
  const { r, fd, file } = withFile(t)
  const [h] = r.registrar.registerFiles([fd])
  const [c] = run(r, op.close(h))
  t.is(c.res, 0)
  t.false(tables(t, r).files.has(h.index), 'the kernel slot is empty')
  refusedStale(t, r, () => op.read(h, Buffer.alloc(4), 0), 'the closed slot')
  t.is(fs.readFileSync(file, 'latin1'), 'content of the file')
})

// ---- bad input ---------------------------------------------------------------------------------

type BadCase = [title: string, bad: (r: Ring, fd: number) => unknown, codes: string | string[]]

const badCases: BadCase[] = [
  ['registerBuffers([0])', (r) => r.registrar.registerBuffers([0]), RANGE],
  ['registerBuffers([-1])', (r) => r.registrar.registerBuffers([-1]), RANGE],
  ['registerBuffers([1.5])', (r) => r.registrar.registerBuffers([1.5]), RANGE],
  ['registerBuffers([NaN])', (r) => r.registrar.registerBuffers([NaN]), RANGE],
  ['registerBuffers([1 GiB + 1])', (r) => r.registrar.registerBuffers([2 ** 30 + 1]), RANGE],
  ["registerBuffers(['4096'])", (r) => r.registrar.registerBuffers(['4096'] as never), TYPE],
  ['registerBuffers(4096)', (r) => r.registrar.registerBuffers(4096 as never), TYPE],
  ['registerBuffers([])', (r) => r.registrar.registerBuffers([]), [VALUE, RANGE]],
  ['registerBuffers of 16385 buffers', (r) => r.registrar.registerBuffers(new Array<number>(16385).fill(1)), [RANGE, TABLE_FULL]],
  ['reserveBuffers(-1)', (r) => r.registrar.reserveBuffers(-1), RANGE],
  ['reserveBuffers(1.5)', (r) => r.registrar.reserveBuffers(1.5), RANGE],
  ['reserveBuffers(16385)', (r) => r.registrar.reserveBuffers(16385), RANGE],
  ["reserveBuffers('4')", (r) => r.registrar.reserveBuffers('4' as never), TYPE],
  ['updateBuffer(1.5, 4096)', (r) => r.registrar.updateBuffer(1.5, PAGE), RANGE],
  ['updateBuffer(-1, 4096)', (r) => r.registrar.updateBuffer(-1, PAGE), RANGE],
  ['updateBuffer(slot past the table, 4096)', (r) => r.registrar.updateBuffer(16384, PAGE), RANGE],
  ['updateBuffer(buf, 0)', (r) => r.registrar.updateBuffer(r.registrar.registerBuffers([PAGE])[0], 0), RANGE],
  ["updateBuffer('0', 4096)", (r) => r.registrar.updateBuffer('0' as never, PAGE), TYPE],
  ['slice(-1)', (r) => r.registrar.registerBuffers([PAGE])[0].slice(-1), RANGE],
  ['slice(1.5)', (r) => r.registrar.registerBuffers([PAGE])[0].slice(1.5), RANGE],
  ['slice(size + 1)', (r) => r.registrar.registerBuffers([PAGE])[0].slice(PAGE + 1), RANGE],
  ['slice(0, size + 1)', (r) => r.registrar.registerBuffers([PAGE])[0].slice(0, PAGE + 1), RANGE],
  ['slice(100, size - 99)', (r) => r.registrar.registerBuffers([PAGE])[0].slice(100, PAGE - 99), RANGE],
  ['slice(0, -1)', (r) => r.registrar.registerBuffers([PAGE])[0].slice(0, -1), RANGE],
  ['unregister(buf) twice', (r) => {
    const [b] = r.registrar.registerBuffers([PAGE])
    r.registrar.unregister(b)
    r.registrar.unregister(b)
  }, STALE],
  ['unregister(fd handle) twice', (r, fd) => {
    const [h] = r.registrar.registerFiles([fd])
    r.registrar.unregister(h)
    r.registrar.unregister(h)
  }, STALE],
  ['registerFiles([a closed fd])', (r) => r.registrar.registerFiles([closedFd()]), 'EBADF'],
  ['registerFiles([-1])', (r) => r.registrar.registerFiles([-1]), RANGE],
  ['registerFiles([1.5])', (r) => r.registrar.registerFiles([1.5]), RANGE],
  ["registerFiles(['3'])", (r) => r.registrar.registerFiles(['3'] as never), TYPE],
  ['registerFiles(3)', (r) => r.registrar.registerFiles(3 as never), TYPE],
  ['registerFiles([])', (r) => r.registrar.registerFiles([]), [VALUE, RANGE]],
  ['reserveFiles(-1)', (r) => r.registrar.reserveFiles(-1), RANGE],
  ['updateFile(handle, a closed fd)', (r, fd) => r.registrar.updateFile(r.registrar.registerFiles([fd])[0], closedFd()), 'EBADF'],
  ['updateFile(handle, -1)', (r, fd) => r.registrar.updateFile(r.registrar.registerFiles([fd])[0], -1), RANGE],
  ['a number as a handle: unregister(3)', (r) => r.registrar.unregister(3 as never), TYPE],
  ['a number as a handle: updateFile(3, fd)', (r, fd) => r.registrar.updateFile(3 as never, fd), TYPE],
  ['a number as a handle: installFd(3)', (r) => r.registrar.installFd(3 as never), TYPE],
  ['a number as a CQE: directFd(3)', (r) => r.registrar.directFd(3 as never), TYPE],
  ['a number as a handle: op.fixedFdInstall(3)', () => op.fixedFdInstall(3 as never), TYPE],
  ['a forged handle: unregister({ index: 0 })', (r) => r.registrar.unregister({ index: 0 } as never), [TYPE, STALE]],
  ['a forged buffer: op.write(fd, { index: 0, size: 4096 })', (r, fd) => {
    r.registrar.registerBuffers([PAGE])
    r.sq.push(op.write(fd, { index: 0, size: PAGE } as never, 0))
    r.sq.submit()
  }, [TYPE, STALE]],
  ['installFd(handle, { cloexec: 1 })', (r, fd) => r.registrar.installFd(r.registrar.registerFiles([fd])[0], { cloexec: 1 as never }), TYPE],
  ['registerEventfd(a closed fd)', (r) => r.registrar.registerEventfd(closedFd()), 'EBADF'],
  ['registerEventfd(-1)', (r) => r.registrar.registerEventfd(-1), RANGE],
  ['a number as a personality: op.nop({ personality: 1 })', () => op.nop({ personality: 1 as never }), TYPE],
  ['a number as a personality: unregisterPersonality(1)', (r) => r.registrar.unregisterPersonality(1 as never), TYPE],
]

for (const [title, bad, codes] of badCases) {
  fixedRwTest(`bad input: ${title} throws ${Array.isArray(codes) ? codes.join(' or ') : codes}; the ring keeps working`, (t) => {
    const file = tmpFile(t)
    const fd = openFile(t, file, 'r+')
    const r = ring(t, { entries: 8 })
    // A good buffer registered before the bad call must survive it.
    const [good] = r.registrar.registerBuffers([PAGE])
    good.bytes.set(Buffer.from('still good'))
    throwsCode(t, () => bad(r, fd), codes, title)
    t.is(r.sq.pending, 0, 'nothing staged')
    const cqes = run(r, op.write(fd, good.slice(0, 10), 0, { userData: 1 }), op.nop({ userData: 2 }))
    t.deepEqual(cqes.map((c) => [c.userData, c.res]).sort(), [[1, 10], [2, 0]])
    t.is(fs.readFileSync(file, 'latin1'), 'still good')
  })
}

rwTest('bad input: updateFile with a closed fd leaves the old file in the slot and its handle valid', (t) => {
  const file = tmpFile(t, 'unchanged')
  const fd = openFile(t, file, 'r')
  const r = ring(t, { entries: 8 })
  const [h] = r.registrar.registerFiles([fd])
  throwsCode(t, () => r.registrar.updateFile(h, closedFd()), 'EBADF')
  t.is(tables(t, r).files.get(h.index), kernelFileName(file))
  const out = Buffer.alloc(9)
  t.is(run(r, op.read(h, out, 0))[0].res, 9)
  t.is(out.toString(), 'unchanged')
})

// ---- child processes: memlock, eventfd, personality -----------------------------------------------

const repo = path.resolve(__dirname, '..', '..')
const entry = path.join(repo, 'dist', 'index.js')
const MEMLOCK = 65536

const memlock = memlockPrefix(MEMLOCK)
testIf(memlock !== undefined, 'neither prlimit nor setpriv can run a child without CAP_IPC_LOCK')(
  'a 16 MiB buffer over RLIMIT_MEMLOCK (64 KiB, no CAP_IPC_LOCK) is ERR_URING_MEMLOCK with limit and requested',
  (t) => {
    t.log(`child run with ${memlock!.how}`)
    const script = `
      const { Ring, op } = require(${JSON.stringify(entry)})
      const r = new Ring({ entries: 4 })
      const out = {}
      try { r.registrar.registerBuffers([${16 * 2 ** 20}]); out.big = { ok: true } }
      catch (e) { out.big = { name: e.name, code: e.code, limit: e.limit, requested: e.requested, message: e.message } }
      try { const [b] = r.registrar.registerBuffers([4096]); out.small = { size: b.size } }
      catch (e) { out.small = { code: e.code, message: e.message } }
      r.sq.push(op.nop({ userData: 5 })); r.sq.submitAndWait(1)
      out.nop = r.cq.drain().map((c) => [c.userData, c.res])
      console.log(JSON.stringify(out))`
    const [cmd, ...args] = memlock!.argv
    const res = spawnSync(cmd, [...args, process.execPath, '-e', script], { encoding: 'utf8' })
    t.is(res.status, 0, `child stderr: ${res.stderr}`)
    const out = JSON.parse(res.stdout.trim())
    t.is(out.big.code, 'ERR_URING_MEMLOCK', `big: ${JSON.stringify(out.big)}`)
    t.is(typeof out.big.limit, 'number')
    t.is(out.big.limit, MEMLOCK, 'limit is the RLIMIT_MEMLOCK in force')
    t.is(typeof out.big.requested, 'number')
    t.true(out.big.requested >= 16 * 2 ** 20, `requested ${out.big.requested} covers the 16 MiB`)
    t.deepEqual(out.small, { size: 4096 }, 'a buffer under the limit still registers')
    t.deepEqual(out.nop, [[5, 0]], 'the ring keeps working')
  },
)

const evfdLauncher = buildWithEvfd()
if (evfdLauncher !== undefined) process.once('exit', () => fs.rmSync(path.dirname(evfdLauncher), { recursive: true, force: true }))
testIf(evfdLauncher !== undefined, 'no C compiler to build the eventfd launcher')(
  'registerEventfd: the eventfd counts completions; unregisterEventfd stops it; async skips inline completions',
  (t) => {
    const script = `
      const fs = require('fs')
      const { Ring, op } = require(${JSON.stringify(entry)})
      const counter = () => {
        const b = Buffer.alloc(8)
        try { fs.readSync(3, b, 0, 8, null); return Number(b.readBigUInt64LE(0)) }
        catch (e) { if (e.code === 'EAGAIN') return 0; throw e }
      }
      const nop = (r, n) => { for (let i = 0; i < n; i++) r.sq.push(op.nop()); r.sq.submitAndWait(n); return r.cq.drain().length }
      const step = (s) => process.stderr.write(s + '\\n')
      const out = { isEventfd: fs.readlinkSync('/proc/self/fd/3') }
      const r = new Ring({ entries: 8 })
      out.before = counter()
      step('registerEventfd'); r.registrar.registerEventfd(3)
      step('3 NOPs'); out.reaped = nop(r, 3)
      out.afterNops = counter()
      step('unregisterEventfd'); r.registrar.unregisterEventfd()
      step('2 NOPs'); nop(r, 2)
      out.afterUnregister = counter()
      step('registerEventfd async'); r.registrar.registerEventfd(3, { async: true })
      step('2 NOPs'); nop(r, 2)
      out.asyncInline = counter()
      step('done')
      console.log(JSON.stringify(out))`
    // a child that hangs must fail this test, not block the worker (spawnSync) until ava gives up
    const res = spawnSync(evfdLauncher!, [process.execPath, '-e', script], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' })
    t.is(res.status, 0, `child ${res.signal ? `killed by ${res.signal} (timed out)` : `exited ${res.status}`}; its steps: ${res.stderr}`)
    const out = JSON.parse(res.stdout.trim())
    t.is(out.isEventfd, 'anon_inode:[eventfd]')
    t.is(out.before, 0)
    t.is(out.reaped, 3)
    t.true(out.afterNops >= 1 && out.afterNops <= 3, `the eventfd was signalled (${out.afterNops})`)
    t.is(out.afterUnregister, 0, 'no signal after unregisterEventfd()')
    t.is(out.asyncInline, 0, 'with async: true, NOPs completed inline do not signal')
  },
)

personalityTest(
  'registerPersonality: an openat with { personality } runs with the registered credentials',
  (t) => {
    // A file in a 0700 directory of root: nobody cannot reach it, root's personality can.
    const dir = tempDir(t)
    fs.chmodSync(dir, 0o700)
    const file = path.join(dir, 'secret')
    fs.writeFileSync(file, 'only root reads this', { mode: 0o600 })
    const script = `
      const fs = require('fs')
      const { Ring, op, AT_FDCWD } = require(${JSON.stringify(entry)})
      const file = ${JSON.stringify(file)}
      const r = new Ring({ entries: 8 })
      const one = (o) => { r.sq.push(o); r.sq.submitAndWait(1); return r.cq.drain()[0].res }
      const p = r.registrar.registerPersonality()
      const out = { id: p.id }
      out.nop = one(op.nop({ personality: p }))
      process.seteuid(65534)
      out.without = one(op.openat(AT_FDCWD, file, fs.constants.O_RDONLY, 0))
      out.with = one(op.openat(AT_FDCWD, file, fs.constants.O_RDONLY, 0, { personality: p }))
      if (out.with >= 0) { out.text = fs.readFileSync(out.with, 'utf8'); fs.closeSync(out.with) }
      process.seteuid(0)
      r.registrar.unregisterPersonality(p)
      try { out.after = { res: one(op.nop({ personality: p })) } } catch (e) { out.after = { code: e.code } }
      out.still = one(op.nop())
      console.log(JSON.stringify(out))`
    const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
    t.is(res.status, 0, `child stderr: ${res.stderr}`)
    const out = JSON.parse(res.stdout.trim())
    t.true(Number.isInteger(out.id) && out.id > 0, `personality id ${out.id}`)
    t.is(out.nop, 0, 'a NOP with the personality completes')
    t.is(out.without, -EACCES, 'as nobody, without the personality: EACCES')
    t.true(out.with >= 0, `with the personality the open succeeds (res ${out.with})`)
    t.is(out.text, 'only root reads this')
    t.true(out.after.code === STALE || out.after.res === -EINVAL, `after unregisterPersonality: ${JSON.stringify(out.after)}`)
    t.is(out.still, 0, 'the ring keeps working')
  },
)

// ---- the registered ring fd ----------------------------------------------------------------------

ringFdTest('registerRingFd: ringFdRegistered turns true; 10,000 NOPs and a read still complete', (t) => {
  const file = tmpFile(t, 'after registerRingFd')
  const fd = openFile(t, file, 'r')
  const r = ring(t, { entries: 64 })
  t.false(r.registrar.ringFdRegistered)
  r.registrar.registerRingFd()
  t.true(r.registrar.ringFdRegistered)
  const ops = Array.from({ length: 64 }, () => op.nop())
  let done = 0
  let bad = 0
  for (let batch = 0; batch < 10_000 / 64 + 1 && done < 10_000; batch++) {
    const n = Math.min(64, 10_000 - done)
    r.sq.pushMany(ops.slice(0, n))
    r.sq.submitAndWait(n, { timeoutMs: 5000 })
    for (const c of r.cq) {
      if (c.res !== 0) bad++
      done++
    }
  }
  t.is(done, 10_000)
  t.is(bad, 0)
  const out = Buffer.alloc(20)
  t.is(run(r, op.read(fd, out, 0))[0].res, 20)
  t.is(out.toString(), 'after registerRingFd')
  t.deepEqual(r.cq.wait(1, { timeoutMs: 20 }), [], 'a timed wait returns with nothing')
})

// ---- pinned direct slots -----------------------------------------------------------------------

const slotsTest = testWhen(kernelAtLeast('6.0'), 'direct slots (IORING_REGISTER_FILE_ALLOC_RANGE)', '6.0')

slotsTest('directSlots: one linked chain openat(into the slot) -> read(slot) -> close(slot), and the handle serves the next chain', (t) => {
  const r = ring(t)
  r.registrar.reserveFiles(8)
  const [a, b] = r.registrar.directSlots(2)
  t.deepEqual([a.index, b.index], [6, 7], 'taken from the top of the table')
  const dir = tempDir(t)
  for (let k = 0; k < 3; k++) {
    const file = path.join(dir, `f${k}`)
    fs.writeFileSync(file, pattern(3000, k))
    const buf = Buffer.alloc(4096)
    const cqes = run(
      r,
      op.openat(AT_FDCWD, file, 0, 0, { direct: a, link: true }),
      // A short read (the file is smaller than the buffer) fails a soft link: the close hangs on
      // a hard link so it runs whatever the read did.
      op.read(a, buf, 0, { hardlink: true }),
      op.close(a),
    )
    t.deepEqual(cqes.map((c) => c.res), [0, 3000, 0], `chain ${k}`)
    t.true(buf.subarray(0, 3000).equals(pattern(3000, k)), `bytes of file ${k}`)
    t.true(a.live, 'the handle names the slot: still valid after the close')
  }
  // The closed slot holds no file: a read is EBADF, not another file's bytes.
  t.is(run(r, op.read(a, Buffer.alloc(8), 0))[0].res, -9)
  t.true(b.live)
})

slotsTest('directSlots: the kernel allocates direct descriptors only below them', (t) => {
  const r = ring(t)
  r.registrar.reserveFiles(4)
  const [slot] = r.registrar.directSlots(1)
  const file = tmpFile(t, 'x')
  const got = run(r, ...[0, 1, 2, 3].map(() => op.openat(AT_FDCWD, file, 0, 0, { direct: true }))).map((c) => c.res)
  t.deepEqual(got, [0, 1, 2, -ENFILE], 'three free slots below the pinned one, then the table is full')
  // Opening into the pinned slot still works.
  t.is(run(r, op.openat(AT_FDCWD, file, 0, 0, { direct: slot }))[0].res, 0)
  const buf = Buffer.alloc(4)
  t.is(run(r, op.read(slot, buf, 0))[0].res, 1)
  t.is(buf.toString('latin1', 0, 1), 'x')
})

slotsTest('directSlots: refusals name what is wrong; unregister unpins and makes the handle stale', (t) => {
  const r = ring(t)
  throwsCode(t, () => r.registrar.directSlots(1), 'ERR_URING_NOT_REGISTERED', 'no file table')
  const fd = openFile(t, tmpFile(t, 'abc'), 'r')
  r.registrar.reserveFiles(2)
  const [reg] = r.registrar.registerFiles([fd]) // slot 0
  throwsCode(t, () => r.registrar.directSlots(3), RANGE, 'more than the table')
  const [s1] = r.registrar.directSlots(1) // slot 1
  t.is(s1.index, 1)
  throwsCode(t, () => r.registrar.directSlots(1), TABLE_FULL, 'slot 0 holds a registered file')
  // Only pinned slots can be opened into: a registered file's handle is refused before any SQE.
  const file = tmpFile(t, 'z')
  throwsCode(t, () => (r.sq.push(op.openat(AT_FDCWD, file, 0, 0, { direct: reg })), r.sq.submit()), VALUE)
  throwsCode(t, () => op.openat(AT_FDCWD, file, 0, 0, { direct: 1 as unknown as boolean }), TYPE)
  r.registrar.unregister(s1)
  t.false(s1.live)
  refusedStale(t, r, () => op.openat(AT_FDCWD, file, 0, 0, { direct: s1 }), 'an unregistered slot')
  // Another ring's slot is refused too.
  const other = ring(t)
  other.registrar.reserveFiles(1)
  const [foreign] = other.registrar.directSlots(1)
  throwsCode(t, () => (r.sq.push(op.openat(AT_FDCWD, file, 0, 0, { direct: foreign })), r.sq.submit()), STALE)
})
