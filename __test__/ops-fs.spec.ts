/**
 * The fs op family end to end: every op runs against real files, directories, FIFOs and pipes,
 * and each test checks what the kernel did (bytes and sizes on disk, directory entries, link
 * targets, xattrs read back by the other op, stat fields against fs.statSync, slots of the file
 * table in /proc). Bad input is refused with a code, where the op is made and where it is pushed.
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { execFileSync } from 'node:child_process'
import { AT_FDCWD, Cqe, Op, ProvidedBuffer, Ring, StatxResult, op } from '../index'
import {
  hasOp,
  isCloexec,
  kernelAtLeast,
  kernelFileName,
  openFile,
  pattern,
  refusedStale,
  ring,
  ringTables,
  run,
  tempDir,
  testWhen,
  throwsCode,
  tmpFile,
} from './_helpers'

const E = os.constants.errno
const TYPE = 'ERR_INVALID_ARG_TYPE'
const VALUE = 'ERR_INVALID_ARG_VALUE'
const RANGE = 'ERR_OUT_OF_RANGE'
const O_TMPFILE = 0o20000000 | fs.constants.O_DIRECTORY

/** Pushes `o` and submits: what the native encoder (Rust) says about it, with nothing left behind. */
function pushed(r: Ring, o: Op): void {
  try {
    r.sq.push(o)
    r.sq.submit()
  } finally {
    r.cq.drain()
  }
}

/** `make()` throws an error with `code` (an op refused where it is made). */
function refused(t: ExecutionContext, make: () => unknown, code: string | string[], what: string): void {
  throwsCode(t, make, code, what)
}

/** `n` waits for CQEs of a multishot op (bounded). */
function waitCqes(r: Ring, n: number): Cqe[] {
  const out = r.cq.wait(n, { timeoutMs: 5000 })
  if (out.length < n) throw new Error(`expected ${n} CQEs within 5 s, got ${out.length}`)
  return out
}

/** A FIFO's read end (non-blocking, so it opens without a writer) and write end. */
function fifoPair(t: ExecutionContext): { rd: number; wr: number; file: string } {
  const dir = tempDir(t)
  const file = path.join(dir, 'fifo')
  execFileSync('mkfifo', [file])
  const rd = openFile(t, file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  const wr = openFile(t, file, fs.constants.O_WRONLY)
  return { rd, wr, file }
}

/** A FIFO opened read-write: one fd that is both ends of a pipe. */
function fifoRw(t: ExecutionContext): number {
  const dir = tempDir(t)
  const file = path.join(dir, 'fifo')
  execFileSync('mkfifo', [file])
  return openFile(t, file, fs.constants.O_RDWR)
}

function readAll(fd: number, max = 4096): Buffer {
  const b = Buffer.alloc(max)
  const n = fs.readSync(fd, b, 0, max, null)
  return b.subarray(0, n)
}

// ---- sync_file_range, fallocate, fadvise, ftruncate ------------------------------------------

const syncTest = testWhen(hasOp('syncFileRange'), 'IORING_OP_SYNC_FILE_RANGE', '5.2')

syncTest('syncFileRange writes back a range: res 0 and the bytes are intact, through a fd and a RegisteredFd', (t) => {
  const data = pattern(10000, 3)
  const file = tmpFile(t, data)
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.syncFileRange(fd, 0, 0, ['waitBefore', 'write', 'waitAfter'], { userData: 5 }))
  t.is(c.userData, 5)
  t.is(c.res, 0)
  const [reg] = r.registrar.registerFiles([fd])
  const [c2] = run(r, op.syncFileRange(reg, 4096, 4096, 2 | 4))
  t.is(c2.res, 0)
  t.deepEqual(fs.readFileSync(file), data)
  // A bad fd is the kernel's answer on the CQE.
  const [c3] = run(r, op.syncFileRange(fd + 1000, 0, 0, ['write']))
  t.is(c3.res, -E.EBADF)
})

test('syncFileRange: bad input has codes', (t) => {
  refused(t, () => op.syncFileRange(3, -1, 0, ['write']), RANGE, 'offset -1 (no current position here)')
  refused(t, () => op.syncFileRange(3, 0, 2 ** 32, ['write']), RANGE, 'nbytes beyond the 32-bit SQE field')
  refused(t, () => op.syncFileRange(3, 0, -1, ['write']), RANGE, 'negative nbytes')
  refused(t, () => op.syncFileRange(3, 0, 0, 8), VALUE, 'an unknown flag bit')
  // @ts-expect-error an unknown flag name
  refused(t, () => op.syncFileRange(3, 0, 0, ['flush']), VALUE, 'an unknown flag name')
  // @ts-expect-error a string is not a fd
  refused(t, () => op.syncFileRange('3', 0, 0, []), TYPE, 'fd of the wrong type')
})

const fallocTest = testWhen(hasOp('fallocate'), 'IORING_OP_FALLOCATE', '5.6')

fallocTest('fallocate: mode 0 grows the file; keepSize+punchHole zeroes a range and keeps the size', (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'f')
  const fd = openFile(t, file, 'w+')
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.fallocate(fd, 0, 0, 16384))
  t.is(c.res, 0)
  t.is(fs.statSync(file).size, 16384)
  t.deepEqual(fs.readFileSync(file), Buffer.alloc(16384))
  const data = pattern(16384, 1)
  fs.writeSync(fd, data, 0, data.length, 0)
  const [c2] = run(r, op.fallocate(fd, ['keepSize', 'punchHole'], 4096, 4096n))
  if (c2.res === -E.EOPNOTSUPP) {
    t.log(`this filesystem cannot punch holes (${c2.res}); mode 0 was checked`)
    return
  }
  t.is(c2.res, 0)
  const want = Buffer.from(data)
  want.fill(0, 4096, 8192)
  t.deepEqual(fs.readFileSync(file), want)
  t.is(fs.statSync(file).size, 16384)
  // keepSize beyond the end allocates blocks without growing the file.
  const [c3] = run(r, op.fallocate(fd, ['keepSize'], 16384, 65536))
  t.is(c3.res, 0)
  t.is(fs.statSync(file).size, 16384)
  t.true(fs.statSync(file).blocks * 512 >= 16384 + 65536 - 4096, 'blocks were allocated past the end')
})

test('fallocate: bad input has codes', (t) => {
  refused(t, () => op.fallocate(3, 0, 0, 0), RANGE, 'len 0 (fallocate needs >= 1)')
  refused(t, () => op.fallocate(3, 0, -1, 10), RANGE, 'offset -1')
  refused(t, () => op.fallocate(3, 0, 0, -5n), RANGE, 'negative bigint len')
  refused(t, () => op.fallocate(3, 0x100, 0, 10), VALUE, 'an unknown mode bit')
  // @ts-expect-error an unknown mode name
  refused(t, () => op.fallocate(3, ['shrink'], 0, 10), VALUE, 'an unknown mode name')
  // @ts-expect-error a mode string instead of a list
  refused(t, () => op.fallocate(3, 'keepSize', 0, 10), TYPE, 'a mode string instead of a list')
})

const fadviseTest = testWhen(hasOp('fadvise'), 'IORING_OP_FADVISE', '5.6')

fadviseTest('fadvise: every advice returns 0 and the data stays intact; past 4 GiB on 6.11+', (t) => {
  const data = pattern(8192, 2)
  const file = tmpFile(t, data)
  const fd = openFile(t, file, 'r')
  const r = ring(t, { entries: 8 })
  const advices = ['normal', 'random', 'sequential', 'willneed', 'dontneed', 'noreuse'] as const
  const cqes = run(r, ...advices.map((a, i) => op.fadvise(fd, 0, 0, a, { userData: i })))
  t.deepEqual(cqes.map((c) => c.res), advices.map(() => 0))
  t.deepEqual(fs.readFileSync(file), data)
  if (kernelAtLeast('6.11')) {
    const [big] = run(r, op.fadvise(fd, 4096n, 2 ** 32 + 4096, 'willneed'))
    t.is(big.res, 0, 'a 64-bit length')
  } else {
    throwsCode(t, () => op.fadvise(fd, 0, 2 ** 32, 'willneed'), 'ERR_URING_OP_UNSUPPORTED')
  }
  // The kernel's answers: EBADF for a bad fd, ESPIPE for a pipe.
  const [bad] = run(r, op.fadvise(fd + 1000, 0, 0, 'normal'))
  t.is(bad.res, -E.EBADF)
  const pipeFd = fifoRw(t)
  const [p] = run(r, op.fadvise(pipeFd, 0, 0, 'normal'))
  t.is(p.res, -E.ESPIPE)
})

test('fadvise: bad input has codes', (t) => {
  // @ts-expect-error an unknown advice
  refused(t, () => op.fadvise(3, 0, 0, 'forget'), VALUE, 'an unknown advice')
  // @ts-expect-error advice is a name, not a number
  refused(t, () => op.fadvise(3, 0, 0, 4), VALUE, 'a numeric advice')
  refused(t, () => op.fadvise(3, 0, -1, 'normal'), RANGE, 'negative len')
  refused(t, () => op.fadvise(3, -1, 0, 'normal'), RANGE, 'offset -1')
  refused(t, () => op.fadvise(3, 0, 1.5, 'normal'), RANGE, 'fractional len')
})

const ftruncTest = testWhen(hasOp('ftruncate'), 'IORING_OP_FTRUNCATE', '6.9')

ftruncTest('ftruncate shrinks and grows the file, through a fd and a RegisteredFd', (t) => {
  const file = tmpFile(t, 'abcdefghij')
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.ftruncate(fd, 4))
  t.is(c.res, 0)
  t.is(fs.readFileSync(file, 'latin1'), 'abcd')
  const [reg] = r.registrar.registerFiles([fd])
  const [c2] = run(r, op.ftruncate(reg, 10n))
  t.is(c2.res, 0)
  t.deepEqual(fs.readFileSync(file), Buffer.concat([Buffer.from('abcd'), Buffer.alloc(6)]))
  const ro = openFile(t, file, 'r')
  const [c3] = run(r, op.ftruncate(ro, 0))
  t.true(c3.res === -E.EINVAL || c3.res === -E.EBADF, `a read-only fd: ${c3.res}`)
  t.is(fs.statSync(file).size, 10)
})

test('ftruncate: bad input has codes', (t) => {
  refused(t, () => op.ftruncate(3, -1), RANGE, 'length -1')
  refused(t, () => op.ftruncate(3, 2n ** 63n), RANGE, 'length beyond 2^63 - 1')
  // @ts-expect-error length is a number or bigint
  refused(t, () => op.ftruncate(3, '4'), TYPE, 'a string length')
})

// ---- madvise -----------------------------------------------------------------------------------

const madviseTest = testWhen(hasOp('madvise'), 'IORING_OP_MADVISE', '5.6')
const PAGE = 4096

madviseTest('madvise on a registered buffer (whole mmap pages): normal/willneed/sequential return 0, bytes intact; dontneed is refused', (t) => {
  const r = ring(t, { entries: 8 })
  const [buf] = r.registrar.registerBuffers([4 * PAGE])
  buf.bytes.set(pattern(4 * PAGE, 4))
  const cqes = run(r, op.madvise(buf.bytes, 'normal'), op.madvise(buf.bytes, 'willneed'), op.madvise(buf.bytes.subarray(PAGE, 3 * PAGE), 'sequential'))
  t.deepEqual(cqes.map((c) => c.res), [0, 0, 0])
  t.deepEqual(Buffer.from(buf.bytes), pattern(4 * PAGE, 4))
  // DONTNEED would give the JS view fresh zero pages while the kernel keeps the pinned ones.
  throwsCode(t, () => pushed(r, op.madvise(buf.bytes, 'dontneed')), VALUE)
  t.is(r.inFlight, 0)
  t.deepEqual(Buffer.from(buf.bytes), pattern(4 * PAGE, 4))
  // The memory is advised, not read: the registered buffer still works for I/O.
  const file = tmpFile(t, pattern(PAGE, 9))
  const fd = openFile(t, file, 'r')
  const [rd] = run(r, op.read(fd, buf.slice(0, PAGE), 0))
  t.is(rd.res, PAGE)
  t.deepEqual(Buffer.from(buf.bytes.subarray(0, PAGE)), pattern(PAGE, 9))
})

madviseTest('madvise dontneed on whole pages of an ordinary ArrayBuffer: the kernel really drops them (they read as zeros)', (t) => {
  const r = ring(t, { entries: 8 })
  const ab = new ArrayBuffer(8 * PAGE)
  const all = new Uint8Array(ab)
  all.fill(0xa5)
  // Find the page boundary inside the buffer: unaligned views are refused by the encoder.
  let start = -1
  for (let off = 0; off < PAGE && start < 0; off += 8) {
    try {
      const [c] = run(r, op.madvise(all.subarray(off, off + 4 * PAGE), 'normal'))
      t.is(c.res, 0)
      start = off
    } catch (e) {
      t.is((e as { code?: string }).code, 'ERR_URING_UNALIGNED')
    }
  }
  t.true(start >= 0, 'a page boundary was found')
  const pages = all.subarray(start, start + 4 * PAGE)
  const [c] = run(r, op.madvise(pages, 'dontneed'))
  t.is(c.res, 0)
  t.true(pages.every((b) => b === 0), 'the advised pages read as zeros')
  t.true(all.subarray(0, start).every((b) => b === 0xa5), 'bytes before them are untouched')
  t.true(all.subarray(start + 4 * PAGE).every((b) => b === 0xa5), 'bytes after them are untouched')
})

madviseTest('madvise: memory that is not whole pages is ERR_URING_UNALIGNED; unknown advice is refused', (t) => {
  const r = ring(t, { entries: 8 })
  const [buf] = r.registrar.registerBuffers([2 * PAGE])
  throwsCode(t, () => pushed(r, op.madvise(buf.bytes.subarray(0, 100), 'willneed')), 'ERR_URING_UNALIGNED', 'part of a page')
  throwsCode(t, () => pushed(r, op.madvise(buf.bytes.subarray(8, PAGE + 8), 'willneed')), 'ERR_URING_UNALIGNED', 'not on a page boundary')
  throwsCode(t, () => pushed(r, op.madvise(new Uint8Array(0), 'willneed')), 'ERR_URING_UNALIGNED', 'empty')
  t.is(r.inFlight, 0)
  // @ts-expect-error hwpoison is never offered: touching the memory would fault
  refused(t, () => op.madvise(buf.bytes, 'hwpoison'), VALUE, 'hwpoison')
  // @ts-expect-error advice by number is not taken
  refused(t, () => op.madvise(buf.bytes, 4), VALUE, 'numeric advice')
  // @ts-expect-error a RegisteredBuf handle is not memory: pass its bytes
  refused(t, () => op.madvise(buf, 'normal'), TYPE, 'a handle')
})

// ---- openat2 -----------------------------------------------------------------------------------

const openat2Test = testWhen(hasOp('openat2'), 'IORING_OP_OPENAT2', '5.6')

openat2Test('openat2 creates a file with its mode relative to a dirfd; the fd it returns writes it', (t) => {
  const dir = tempDir(t)
  const dfd = openFile(t, dir, 'r')
  const r = ring(t, { entries: 8 })
  const flags = fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_EXCL
  const [c] = run(r, op.openat2(dfd, 'new.txt', { flags, mode: 0o640 }))
  t.true(c.res >= 0, `res ${c.res}`)
  fs.writeSync(c.res, 'via openat2')
  fs.closeSync(c.res)
  t.deepEqual(fs.readdirSync(dir), ['new.txt'])
  t.is(fs.readFileSync(path.join(dir, 'new.txt'), 'utf8'), 'via openat2')
  const umask = process.umask()
  t.is(fs.statSync(path.join(dir, 'new.txt')).mode & 0o777, 0o640 & ~umask)
  // O_EXCL on an existing file, and a mode without O_CREAT: the kernel's answers.
  const [again] = run(r, op.openat2(dfd, 'new.txt', { flags }))
  t.is(again.res, -E.EEXIST)
  const [modeOnly] = run(r, op.openat2(dfd, 'new.txt', { flags: fs.constants.O_RDONLY, mode: 0o600 }))
  t.is(modeOnly.res, -E.EINVAL, 'openat2 takes a mode only with O_CREAT/O_TMPFILE')
  // Default mode with O_CREAT is 0o666 (then the umask).
  const [dflt] = run(r, op.openat2(AT_FDCWD, path.join(dir, 'd.txt'), { flags: fs.constants.O_CREAT | fs.constants.O_RDWR }))
  t.true(dflt.res >= 0)
  fs.closeSync(dflt.res)
  t.is(fs.statSync(path.join(dir, 'd.txt')).mode & 0o777, 0o666 & ~umask)
})

openat2Test('openat2 resolve flags: beneath refuses .., noSymlinks refuses a symlink, inRoot keeps / inside the dirfd', (t) => {
  const root = tempDir(t)
  const dir = path.join(root, 'jail')
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(root, 'outside'), 'out')
  fs.writeFileSync(path.join(dir, 'inside'), 'in')
  fs.symlinkSync('inside', path.join(dir, 'link'))
  const dfd = openFile(t, dir, 'r')
  const r = ring(t, { entries: 8 })
  const [esc] = run(r, op.openat2(dfd, '../outside', { resolve: ['beneath'] }))
  t.is(esc.res, -E.EXDEV, 'beneath: .. out of the dirfd')
  const [plain] = run(r, op.openat2(dfd, '../outside'))
  t.true(plain.res >= 0, 'without resolve flags .. is fine')
  t.is(readAll(plain.res).toString(), 'out')
  fs.closeSync(plain.res)
  const [sym] = run(r, op.openat2(dfd, 'link', { resolve: ['noSymlinks'] }))
  t.is(sym.res, -E.ELOOP, 'noSymlinks: a symlink on the way')
  const [viaLink] = run(r, op.openat2(dfd, 'link', { resolve: ['beneath'] }))
  t.true(viaLink.res >= 0)
  t.is(readAll(viaLink.res).toString(), 'in')
  fs.closeSync(viaLink.res)
  const [inRoot] = run(r, op.openat2(dfd, '/inside', { resolve: ['inRoot', 'noMagiclinks', 'noXdev'] }))
  t.true(inRoot.res >= 0, `inRoot: / is the dirfd (${inRoot.res})`)
  t.is(readAll(inRoot.res).toString(), 'in')
  fs.closeSync(inRoot.res)
  if (kernelAtLeast('5.12')) {
    const [cached] = run(r, op.openat2(dfd, 'inside', { resolve: ['cached'] }))
    t.true(cached.res >= 0 || cached.res === -E.EAGAIN, `cached: an fd or EAGAIN (${cached.res})`)
    if (cached.res >= 0) fs.closeSync(cached.res)
  }
})

const directOpen2Test = testWhen(hasOp('openat2') && kernelAtLeast('5.19'), 'IORING_OP_OPENAT2 with IORING_FILE_INDEX_ALLOC', '5.19')

directOpen2Test('openat2 direct: a direct descriptor that reads the file, closed by op.close', (t) => {
  const file = tmpFile(t, 'direct bytes')
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(4)
  const [c] = run(r, op.openat2(AT_FDCWD, file, { direct: true, flags: fs.constants.O_RDONLY }))
  t.true(c.res >= 0, `res ${c.res}`)
  const h = r.registrar.directFd(c)
  const buf = Buffer.alloc(32)
  const [rd] = run(r, op.read(h, buf, 0))
  t.is(buf.subarray(0, rd.res).toString(), 'direct bytes')
  const [cl] = run(r, op.close(h))
  t.is(cl.res, 0)
  t.false(h.live)
})

test('openat2: bad input has codes', (t) => {
  // @ts-expect-error an unknown resolve name
  refused(t, () => op.openat2(AT_FDCWD, '/tmp', { resolve: ['noDots'] }), VALUE, 'unknown resolve name')
  // @ts-expect-error resolve is a list of names
  refused(t, () => op.openat2(AT_FDCWD, '/tmp', { resolve: 8 }), TYPE, 'numeric resolve')
  refused(t, () => op.openat2(AT_FDCWD, '/tm\0p'), VALUE, 'NUL in the path')
  refused(t, () => op.openat2(AT_FDCWD, ''), VALUE, 'empty path')
  refused(t, () => op.openat2(AT_FDCWD, '/tmp', { mode: 0o10000 }), RANGE, 'mode beyond 0o7777')
  refused(t, () => op.openat2(-5, '/tmp'), RANGE, 'a negative dirfd that is not AT_FDCWD')
  refused(t, () => op.openat2(AT_FDCWD, '/tmp', { flags: -1 }), RANGE, 'negative flags')
  // @ts-expect-error an unknown option
  refused(t, () => op.openat2(AT_FDCWD, '/tmp', { how: 1 }), 'ERR_URING_UNKNOWN_OPTION', 'unknown option')
  // A made op changed afterwards is checked again where it is pushed.
  const o = op.openat2(AT_FDCWD, '/tmp')
  ;(o as unknown as { resolve: string[] }).resolve = ['bogus']
  const r = new Ring({ entries: 4 })
  try {
    throwsCode(t, () => r.sq.push(o), VALUE, 'changed resolve at push')
    t.is(r.sq.pending, 0)
  } finally {
    r.close()
  }
})

// ---- statx -------------------------------------------------------------------------------------

const statxTest = testWhen(hasOp('statx'), 'IORING_OP_STATX', '5.6')

/** Compares a statx result with fs.statSync / fs.statSync(bigint) (or the lstat versions). */
function sameAsNode(t: ExecutionContext, s: StatxResult, n: fs.Stats, b: fs.BigIntStats, what: string): void {
  for (const k of ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks', 'atimeMs', 'mtimeMs', 'ctimeMs'] as const) {
    t.is(s[k], n[k], `${what}: ${k}`)
  }
  t.is(s.inoBig, b.ino, `${what}: inoBig`)
  t.is(s.sizeBig, b.size, `${what}: sizeBig`)
  t.is(s.atimeNs, b.atimeNs, `${what}: atimeNs`)
  t.is(s.mtimeNs, b.mtimeNs, `${what}: mtimeNs`)
  t.is(s.ctimeNs, b.ctimeNs, `${what}: ctimeNs`)
  if (s.mask & 0x800) {
    t.is(s.birthtimeMs, n.birthtimeMs, `${what}: birthtimeMs`)
    t.is(s.birthtimeNs, b.birthtimeNs, `${what}: birthtimeNs`)
  }
  t.is(s.isFile(), n.isFile(), `${what}: isFile`)
  t.is(s.isDirectory(), n.isDirectory(), `${what}: isDirectory`)
  t.is(s.isSymbolicLink(), n.isSymbolicLink(), `${what}: isSymbolicLink`)
  t.is(s.isFIFO(), n.isFIFO(), `${what}: isFIFO`)
}

statxTest('statx of a file, a directory and a symlink matches fs.statSync / lstatSync field by field', (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'f')
  fs.writeFileSync(file, pattern(5000, 1))
  fs.symlinkSync('f', path.join(dir, 'l'))
  const r = ring(t, { entries: 8 })
  const sf = op.statx(AT_FDCWD, file)
  const sd = op.statx(AT_FDCWD, dir)
  const sl = op.statx(AT_FDCWD, path.join(dir, 'l'), { flags: ['symlinkNoFollow'] })
  const cqes = run(r, sf, sd, sl)
  for (const c of cqes) t.is(c.res, 0)
  const by = new Map(cqes.map((c) => [c.op, c]))
  const f = sf.decode(by.get(sf)!)
  t.true((f.mask & 0x7ff) === 0x7ff, `basic stats all filled (mask 0x${f.mask.toString(16)})`)
  sameAsNode(t, f, fs.statSync(file), fs.statSync(file, { bigint: true }), 'file')
  t.is(f.size, 5000)
  t.true(f.isFile())
  sameAsNode(t, sd.decode(by.get(sd)!), fs.statSync(dir), fs.statSync(dir, { bigint: true }), 'directory')
  const l = sl.decode(by.get(sl)!)
  sameAsNode(t, l, fs.lstatSync(path.join(dir, 'l')), fs.lstatSync(path.join(dir, 'l'), { bigint: true }), 'symlink')
  t.true(l.isSymbolicLink())
  t.is(l.size, 1, 'a symlink\'s size is its target\'s length')
  // Following the link reads it (and may touch its atime): only after the lstat comparison.
  const sfollow = op.statx(AT_FDCWD, path.join(dir, 'l'))
  t.is(sfollow.decode(run(r, sfollow)[0]).ino, f.ino, 'without symlinkNoFollow the target is stat\'ed')
})

statxTest('statx of an open fd with emptyPath; a mask asks only for some fields', (t) => {
  const file = tmpFile(t, 'abc')
  const fd = openFile(t, file, 'r')
  const r = ring(t, { entries: 8 })
  const s = op.statx(fd, '', { flags: ['emptyPath'] })
  const [c] = run(r, s)
  t.is(c.res, 0)
  sameAsNode(t, s.decode(c), fs.fstatSync(fd), fs.fstatSync(fd, { bigint: true }), 'fd')
  const m = op.statx(AT_FDCWD, file, { mask: 0x200 /* STATX_SIZE */ })
  const [c2] = run(r, m)
  const sz = m.decode(c2)
  t.true((sz.mask & 0x200) !== 0)
  t.is(sz.size, 3)
  // The same op again (after its CQE), with its fields changed: a fresh result.
  fs.appendFileSync(file, 'defg')
  s.flags = ['emptyPath', 'forceSync']
  const [c3] = run(r, s)
  t.is(s.decode(c3).size, 7)
})

statxTest('statx: a failed CQE decodes to a CqeError; the op owns its buffer (one push at a time)', (t) => {
  const r = ring(t, { entries: 8 })
  const s = op.statx(AT_FDCWD, '/nonexistent/uring-test')
  const [c] = run(r, s)
  t.is(c.res, -E.ENOENT)
  const e = throwsCode(t, () => s.decode(c), 'ENOENT')
  t.is((e as unknown as { errno: number }).errno, E.ENOENT)
  const ok = op.statx(AT_FDCWD, os.tmpdir())
  r.sq.push(ok)
  throwsCode(t, () => r.sq.push(ok), 'ERR_URING_OP_IN_FLIGHT', 'a second push while in flight')
  r.sq.submitAndWait(1, { timeoutMs: 5000 })
  const [c2] = r.cq.drain()
  t.true(ok.decode(c2).isDirectory())
  throwsCode(t, () => ok.decode(c), VALUE, 'a CQE of another op')
})

test('statx: bad input has codes', (t) => {
  refused(t, () => op.statx(AT_FDCWD, ''), VALUE, "'' without emptyPath")
  refused(t, () => op.statx(AT_FDCWD, 'a\0b'), VALUE, 'NUL in the path')
  // @ts-expect-error an unknown flag name
  refused(t, () => op.statx(AT_FDCWD, '/', { flags: ['follow'] }), VALUE, 'unknown flag name')
  refused(t, () => op.statx(AT_FDCWD, '/', { mask: -1 }), RANGE, 'negative mask')
  refused(t, () => op.statx(AT_FDCWD, '/', { mask: 2 ** 31 }), RANGE, 'STATX__RESERVED')
  // @ts-expect-error dirfd is a process fd: the kernel takes no registered file for statx
  refused(t, () => op.statx({ index: 0 }, '/'), TYPE, 'an object dirfd')
  refused(t, () => op.statx(1.5, '/'), RANGE, 'a fractional dirfd')
})

// ---- renameat, unlinkat, mkdirat, symlinkat, linkat -------------------------------------------

const renameTest = testWhen(hasOp('renameat'), 'IORING_OP_RENAMEAT', '5.11')

renameTest('renameat moves an entry between directory fds; noReplace and exchange do what renameat2 does', (t) => {
  const a = tempDir(t)
  const b = tempDir(t)
  fs.writeFileSync(path.join(a, 'x'), 'X')
  fs.writeFileSync(path.join(b, 'y'), 'Y')
  const afd = openFile(t, a, 'r')
  const bfd = openFile(t, b, 'r')
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.renameat(afd, 'x', bfd, 'x2'))
  t.is(c.res, 0)
  t.deepEqual(fs.readdirSync(a), [])
  t.deepEqual(fs.readdirSync(b).sort(), ['x2', 'y'])
  const [nr] = run(r, op.renameat(bfd, 'x2', bfd, 'y', ['noReplace']))
  t.is(nr.res, -E.EEXIST)
  t.is(fs.readFileSync(path.join(b, 'y'), 'utf8'), 'Y', 'noReplace left the target alone')
  const [ex] = run(r, op.renameat(AT_FDCWD, path.join(b, 'x2'), bfd, 'y', ['exchange']))
  t.is(ex.res, 0)
  t.is(fs.readFileSync(path.join(b, 'y'), 'utf8'), 'X')
  t.is(fs.readFileSync(path.join(b, 'x2'), 'utf8'), 'Y')
  const [missing] = run(r, op.renameat(afd, 'nothing', afd, 'z'))
  t.is(missing.res, -E.ENOENT)
})

const unlinkTest = testWhen(hasOp('unlinkat'), 'IORING_OP_UNLINKAT', '5.11')

unlinkTest('unlinkat removes a file; removeDir removes a directory; a directory without it is EISDIR', (t) => {
  const dir = tempDir(t)
  fs.writeFileSync(path.join(dir, 'f'), '')
  fs.mkdirSync(path.join(dir, 'd'))
  const dfd = openFile(t, dir, 'r')
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.unlinkat(dfd, 'f'))
  t.is(c.res, 0)
  t.deepEqual(fs.readdirSync(dir), ['d'])
  const [isdir] = run(r, op.unlinkat(dfd, 'd'))
  t.is(isdir.res, -E.EISDIR)
  const [rd] = run(r, op.unlinkat(AT_FDCWD, path.join(dir, 'd'), { removeDir: true }))
  t.is(rd.res, 0)
  t.deepEqual(fs.readdirSync(dir), [])
  const [gone] = run(r, op.unlinkat(dfd, 'f'))
  t.is(gone.res, -E.ENOENT)
})

const mkdirTest = testWhen(hasOp('mkdirat'), 'IORING_OP_MKDIRAT', '5.15')

mkdirTest('mkdirat makes a directory with its mode (under the umask); again is EEXIST', (t) => {
  const dir = tempDir(t)
  const dfd = openFile(t, dir, 'r')
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.mkdirat(dfd, 'sub', 0o750))
  t.is(c.res, 0)
  const st = fs.statSync(path.join(dir, 'sub'))
  t.true(st.isDirectory())
  t.is(st.mode & 0o777, 0o750 & ~process.umask())
  const [again] = run(r, op.mkdirat(AT_FDCWD, path.join(dir, 'sub')))
  t.is(again.res, -E.EEXIST)
  const [deep] = run(r, op.mkdirat(dfd, 'no/such/parent'))
  t.is(deep.res, -E.ENOENT)
})

const symlinkTest = testWhen(hasOp('symlinkat'), 'IORING_OP_SYMLINKAT', '5.15')

symlinkTest('symlinkat makes a link whose target readlinkSync gives back (bytes too)', (t) => {
  const dir = tempDir(t)
  const dfd = openFile(t, dir, 'r')
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.symlinkat('../some/where', dfd, 'ln'))
  t.is(c.res, 0)
  t.is(fs.readlinkSync(path.join(dir, 'ln')), '../some/where')
  const target = Buffer.from([0x74, 0xc3, 0xa9, 0x74]) // 'tét' as UTF-8 bytes
  const [c2] = run(r, op.symlinkat(new Uint8Array(target), AT_FDCWD, path.join(dir, 'ln2')))
  t.is(c2.res, 0)
  t.deepEqual(fs.readlinkSync(path.join(dir, 'ln2'), { encoding: 'buffer' }), target)
  const [exists] = run(r, op.symlinkat('x', dfd, 'ln'))
  t.is(exists.res, -E.EEXIST)
})

const linkTest = testWhen(hasOp('linkat'), 'IORING_OP_LINKAT', '5.15')

linkTest('linkat makes a hard link (same inode, nlink 2); emptyPath links an O_TMPFILE fd into place', (t) => {
  const dir = tempDir(t)
  fs.writeFileSync(path.join(dir, 'a'), 'hard')
  const dfd = openFile(t, dir, 'r')
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.linkat(dfd, 'a', dfd, 'b'))
  t.is(c.res, 0)
  const sa = fs.statSync(path.join(dir, 'a'))
  t.is(fs.statSync(path.join(dir, 'b')).ino, sa.ino)
  t.is(sa.nlink, 2)
  t.is(fs.readFileSync(path.join(dir, 'b'), 'utf8'), 'hard')
  // symlinkFollow: a link to what a symlink points at, not to the symlink.
  fs.symlinkSync('a', path.join(dir, 's'))
  const [c2] = run(r, op.linkat(dfd, 's', dfd, 'c', ['symlinkFollow']))
  t.is(c2.res, 0)
  t.is(fs.lstatSync(path.join(dir, 'c')).ino, sa.ino)
  let tmp: number
  try {
    tmp = fs.openSync(dir, O_TMPFILE | fs.constants.O_RDWR, 0o600)
  } catch (e) {
    t.log(`O_TMPFILE is not available here (${(e as Error).message}); emptyPath not checked`)
    return
  }
  t.teardown(() => fs.closeSync(tmp))
  fs.writeSync(tmp, 'from tmpfile')
  const [c3] = run(r, op.linkat(tmp, '', dfd, 'named', ['emptyPath']))
  if (c3.res === -E.ENOENT || c3.res === -E.EPERM) {
    t.log(`linkat AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH (res ${c3.res}); the refusal was the kernel's`)
    return
  }
  t.is(c3.res, 0)
  t.is(fs.readFileSync(path.join(dir, 'named'), 'utf8'), 'from tmpfile')
})

test('path ops: bad input has codes', (t) => {
  refused(t, () => op.renameat(AT_FDCWD, 'a\0', AT_FDCWD, 'b'), VALUE, 'renameat NUL in oldpath')
  refused(t, () => op.renameat(AT_FDCWD, 'a', AT_FDCWD, ''), VALUE, 'renameat empty newpath')
  refused(t, () => op.renameat(AT_FDCWD, 'a', -3, 'b'), RANGE, 'renameat bad newdirfd')
  // @ts-expect-error an unknown rename flag
  refused(t, () => op.renameat(AT_FDCWD, 'a', AT_FDCWD, 'b', ['overwrite']), VALUE, 'renameat unknown flag')
  refused(t, () => op.renameat(AT_FDCWD, 'a', AT_FDCWD, 'b', 8), VALUE, 'renameat unknown flag bit')
  refused(t, () => op.unlinkat(AT_FDCWD, ''), VALUE, 'unlinkat empty path')
  // @ts-expect-error removeDir is a boolean
  refused(t, () => op.unlinkat(AT_FDCWD, 'x', { removeDir: 1 }), TYPE, 'unlinkat removeDir of the wrong type')
  refused(t, () => op.mkdirat(AT_FDCWD, 'x', 0o10000), RANGE, 'mkdirat mode beyond 0o7777')
  refused(t, () => op.mkdirat(AT_FDCWD, 'x', -1), RANGE, 'mkdirat negative mode')
  refused(t, () => op.symlinkat('', AT_FDCWD, 'x'), VALUE, 'symlinkat empty target')
  refused(t, () => op.symlinkat('t', AT_FDCWD, new Uint8Array([0x61, 0, 0x62])), VALUE, 'symlinkat NUL inside linkpath bytes')
  // @ts-expect-error a path is a string or bytes
  refused(t, () => op.symlinkat(42, AT_FDCWD, 'x'), TYPE, 'symlinkat numeric target')
  refused(t, () => op.linkat(AT_FDCWD, '', AT_FDCWD, 'x'), VALUE, "linkat '' without emptyPath")
  // @ts-expect-error an unknown link flag
  refused(t, () => op.linkat(AT_FDCWD, 'a', AT_FDCWD, 'b', ['follow']), VALUE, 'linkat unknown flag')
  refused(t, () => op.linkat(AT_FDCWD, 'a', AT_FDCWD, 'b', 0x100), VALUE, 'linkat AT_SYMLINK_NOFOLLOW is not a linkat flag')
})

// ---- xattrs ------------------------------------------------------------------------------------

/**
 * Runs one op made by `make` (given a ring and a fresh file's fd) on a scratch ring and returns
 * what `judge` says of its CQE: a probe by a real attempt.
 */
function xattrProbe(make: (r: Ring, fd: number) => Op, judge: (c: Cqe | undefined) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-xattr-'))
  const r = new Ring({ entries: 2 })
  try {
    const fd = fs.openSync(path.join(dir, 'f'), 'w')
    try {
      r.sq.push(make(r, fd))
      r.sq.submitAndWait(1, { timeoutMs: 5000 })
      return judge(r.cq.drain()[0])
    } finally {
      fs.closeSync(fd)
    }
  } finally {
    r.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Why user xattrs cannot be tested under os.tmpdir(), or '' when they can. */
function xattrRefusal(): string {
  if (!hasOp('fsetxattr') || !hasOp('fgetxattr')) return `IORING_OP_FSETXATTR needs Linux 5.19, this is ${os.release()}`
  return xattrProbe(
    (_r, fd) => op.fsetxattr(fd, 'user.probe', 'x'),
    (c) => {
      if (c === undefined) return 'no CQE for a probing fsetxattr'
      if (c.res === -E.EOPNOTSUPP) return `the filesystem of ${os.tmpdir()} refuses user xattrs (EOPNOTSUPP)`
      if (c.res < 0) return `fsetxattr of a user xattr under ${os.tmpdir()} failed (${c.res})`
      return ''
    },
  )
}

const xattrWhy = xattrRefusal()
const xattrTest = (title: string, impl: (t: ExecutionContext) => void): void =>
  xattrWhy === '' ? test(title, impl) : test.skip(`${title} (skipped: ${xattrWhy})`, impl)

/**
 * Why fsetxattr/fgetxattr cannot be tested through a RegisteredFd here, or '' when they can: from
 * 5.19 to 6.12 the kernel's prep refuses IOSQE_FIXED_FILE for them with -EBADF (6.13 lets the f*
 * variants take one). Probed by a real fgetxattr through a registered file.
 */
function xattrFixedRefusal(): string {
  if (xattrWhy !== '') return xattrWhy
  return xattrProbe(
    (r, fd) => op.fgetxattr(r.registrar.registerFiles([fd])[0], 'user.none', 0),
    (c) => {
      if (c === undefined) return 'no CQE for a probing fgetxattr through a RegisteredFd'
      if (c.res === -E.EBADF) return `IORING_OP_FGETXATTR/FSETXATTR on a fixed file (IOSQE_FIXED_FILE) needs Linux 6.13, this is ${os.release()}`
      return ''
    },
  )
}

const xattrFixedWhy = xattrFixedRefusal()
const xattrFixedTest = (title: string, impl: (t: ExecutionContext) => void): void =>
  xattrFixedWhy === '' ? test(title, impl) : test.skip(`${title} (skipped: ${xattrFixedWhy})`, impl)

xattrTest('fsetxattr then getxattr (and setxattr then fgetxattr) read back the very bytes, through fds', (t) => {
  const file = tmpFile(t, 'body')
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.fsetxattr(fd, 'user.greeting', 'héllo'))
  t.is(c.res, 0)
  const g = op.getxattr(file, 'user.greeting', 64)
  const [c2] = run(r, g)
  t.is(c2.res, Buffer.byteLength('héllo'))
  t.is(g.decode(c2).toString('utf8'), 'héllo')
  const bytes = pattern(300, 7)
  const [c3] = run(r, op.setxattr(file, 'user.bin', bytes))
  t.is(c3.res, 0)
  const fg = op.fgetxattr(fd, 'user.bin', 1024)
  const [c4] = run(r, fg)
  t.is(c4.res, 300)
  t.deepEqual(fg.decode(c4), bytes)
  // The op's value is copied where it is pushed: changing the source afterwards changes nothing.
  const src = Buffer.from('first')
  r.sq.push(op.fsetxattr(fd, 'user.copy', src))
  src.write('WRONG')
  r.sq.submitAndWait(1, { timeoutMs: 5000 })
  t.is(r.cq.drain()[0].res, 0)
  const back = op.getxattr(file, 'user.copy', 16)
  t.is(back.decode(run(r, back)[0]).toString(), 'first')
  // A value of 0 bytes is a value.
  const [c5] = run(r, op.fsetxattr(fd, 'user.empty', new Uint8Array(0)))
  t.is(c5.res, 0)
  const e = op.fgetxattr(fd, 'user.empty', 8)
  const [c6] = run(r, e)
  t.is(c6.res, 0)
  t.is(e.decode(c6).length, 0)
})

xattrFixedTest('fsetxattr then fgetxattr through a RegisteredFd (IOSQE_FIXED_FILE) read back the very bytes', (t) => {
  const file = tmpFile(t, 'body')
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [reg] = r.registrar.registerFiles([fd])
  const bytes = pattern(300, 9)
  const [c] = run(r, op.fsetxattr(reg, 'user.bin', bytes))
  t.is(c.res, 0)
  const g = op.getxattr(file, 'user.bin', 1024)
  t.deepEqual(g.decode(run(r, g)[0]), bytes, 'the path sees what the slot set')
  const [c2] = run(r, op.setxattr(file, 'user.other', 'by path'))
  t.is(c2.res, 0)
  const fg = op.fgetxattr(reg, 'user.other', 64)
  const [c3] = run(r, fg)
  t.is(c3.res, 7)
  t.is(fg.decode(c3).toString(), 'by path', 'the slot sees what the path set')
})

xattrTest('xattr flags and sizes: create/replace, size 0 asks the size, too small is ERANGE, missing is ENODATA', (t) => {
  const file = tmpFile(t, '')
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  const [rep] = run(r, op.fsetxattr(fd, 'user.k', 'v1', ['replace']))
  t.is(rep.res, -E.ENODATA, 'replace of a missing attribute')
  const [cr] = run(r, op.setxattr(file, 'user.k', 'v1', ['create']))
  t.is(cr.res, 0)
  const [cr2] = run(r, op.fsetxattr(fd, 'user.k', 'v2', ['create']))
  t.is(cr2.res, -E.EEXIST, 'create of an existing attribute')
  const [rep2] = run(r, op.fsetxattr(fd, 'user.k', 'value-2', ['replace']))
  t.is(rep2.res, 0)
  const size = op.fgetxattr(fd, 'user.k', 0)
  const [cs] = run(r, size)
  t.is(cs.res, 7, 'size 0 gives the length of the value')
  t.is(size.decode(cs).length, 0)
  const small = op.getxattr(file, 'user.k', 3)
  const [csm] = run(r, small)
  t.is(csm.res, -E.ERANGE)
  throwsCode(t, () => small.decode(csm), 'ERANGE')
  const missing = op.fgetxattr(fd, 'user.none', 8)
  throwsCode(t, () => missing.decode(run(r, missing)[0]), 'ENODATA')
  // The op owns its value buffer: it is in flight once at a time.
  const fg = op.fgetxattr(fd, 'user.k', 16)
  r.sq.push(fg)
  throwsCode(t, () => r.sq.push(fg), 'ERR_URING_OP_IN_FLIGHT')
  r.sq.submitAndWait(1, { timeoutMs: 5000 })
  t.is(fg.decode(r.cq.drain()[0]).toString(), 'value-2')
  // Changing size between pushes gives a buffer of the new size.
  fg.size = 4
  const [c4] = run(r, fg)
  t.is(c4.res, -E.ERANGE)
})

test('xattr ops: bad input has codes', (t) => {
  refused(t, () => op.fsetxattr(3, 'user.a\0b', 'v'), VALUE, 'NUL in the name')
  refused(t, () => op.fsetxattr(3, '', 'v'), VALUE, 'empty name')
  refused(t, () => op.setxattr('/tmp/x', 'user.' + 'a'.repeat(251), 'v'), RANGE, 'a name longer than 255 bytes')
  refused(t, () => op.fsetxattr(3, 'user.a', Buffer.alloc(65537)), RANGE, 'a value longer than 65536 bytes')
  // @ts-expect-error a value is bytes or a string
  refused(t, () => op.fsetxattr(3, 'user.a', 42), TYPE, 'a numeric value')
  // @ts-expect-error an unknown flag name
  refused(t, () => op.fsetxattr(3, 'user.a', 'v', ['overwrite']), VALUE, 'unknown flag')
  refused(t, () => op.setxattr('/tmp/x', 'user.a', 'v', 4), VALUE, 'unknown flag bit')
  refused(t, () => op.fgetxattr(3, 'user.a', -1), RANGE, 'negative size')
  refused(t, () => op.getxattr('/tmp/x', 'user.a', 65537), RANGE, 'size beyond 65536')
  refused(t, () => op.getxattr('', 'user.a', 8), VALUE, 'empty path')
  refused(t, () => op.getxattr('/tmp/x', 'user.a\0', 8), VALUE, 'NUL at the end of a string name')
})

// ---- splice, tee, pipe -------------------------------------------------------------------------

const spliceTest = testWhen(hasOp('splice'), 'IORING_OP_SPLICE', '5.7')

spliceTest('splice moves file bytes into a pipe and out into another file at an offset', (t) => {
  const src = tmpFile(t, 'hello, splice!')
  const dstFile = path.join(tempDir(t), 'dst')
  fs.writeFileSync(dstFile, '....................')
  const sfd = openFile(t, src, 'r')
  const dfd = openFile(t, dstFile, 'r+')
  const p = fifoRw(t)
  const r = ring(t, { entries: 8 })
  const [c] = run(r, op.splice(sfd, 7, p, -1, 100))
  t.is(c.res, 7, 'up to the end of the file')
  const [c2] = run(r, op.splice(p, -1, dfd, 5n, 7, ['move']))
  t.is(c2.res, 7)
  t.is(fs.readFileSync(dstFile, 'latin1'), '.....splice!........')
  // A pipe end with an offset: the kernel's ESPIPE.
  fs.writeSync(p, 'x')
  const [bad] = run(r, op.splice(p, 0, dfd, 0, 1))
  t.is(bad.res, -E.ESPIPE)
})

spliceTest('splice with RegisteredFds at both ends (SPLICE_F_FD_IN_FIXED for fdIn); stale handles are refused', (t) => {
  const src = tmpFile(t, 'registered ends')
  const dstFile = path.join(tempDir(t), 'dst')
  fs.writeFileSync(dstFile, '')
  const p = fifoRw(t)
  const r = ring(t, { entries: 8 })
  const [sreg, preg, dreg] = r.registrar.registerFiles([openFile(t, src, 'r'), p, openFile(t, dstFile, 'r+')])
  const [c] = run(r, op.splice(sreg, 0, preg, -1, 64))
  t.is(c.res, 15)
  const [c2] = run(r, op.splice(preg, -1, dreg, 0, 64))
  t.is(c2.res, 15)
  t.is(fs.readFileSync(dstFile, 'latin1'), 'registered ends')
  r.registrar.unregister(sreg)
  refusedStale(t, r, () => op.splice(sreg, 0, p, -1, 1), 'splice with a stale fdIn')
  r.registrar.unregister(dreg)
  refusedStale(t, r, () => op.tee(p, dreg, 1), 'tee with a stale fdOut')
})

test('splice / tee: bad input has codes', (t) => {
  refused(t, () => op.splice(3, -2, 4, -1, 1), RANGE, 'offIn -2')
  refused(t, () => op.splice(3, -1, 4, -2, 1), RANGE, 'offOut -2')
  refused(t, () => op.splice(3, 2 ** 53, 4, -1, 1), RANGE, 'offIn beyond a safe integer')
  refused(t, () => op.splice(3, -1, 4, -1, -1), RANGE, 'negative len')
  refused(t, () => op.splice(3, -1, 4, -1, 2 ** 32), RANGE, 'len beyond u32')
  refused(t, () => op.splice(3, -1, 4, -1, 1, 2 ** 31), VALUE, 'SPLICE_F_FD_IN_FIXED by hand')
  // @ts-expect-error an unknown splice flag
  refused(t, () => op.splice(3, -1, 4, -1, 1, ['fast']), VALUE, 'unknown flag')
  // @ts-expect-error fdIn is a fd or a RegisteredFd
  refused(t, () => op.splice('3', -1, 4, -1, 1), TYPE, 'a string fdIn')
  refused(t, () => op.tee(3, -4, 1), RANGE, 'a negative fdOut')
  refused(t, () => op.tee(3, 4, 1, 16), VALUE, 'an unknown tee flag bit')
})

const teeTest = testWhen(hasOp('tee'), 'IORING_OP_TEE', '5.8')

teeTest('tee copies pipe bytes into another pipe without consuming them', (t) => {
  const a = fifoRw(t)
  const b = fifoRw(t)
  const r = ring(t, { entries: 8 })
  fs.writeSync(a, 'duplicate me')
  const [c] = run(r, op.tee(a, b, 64))
  t.is(c.res, 12)
  t.is(readAll(b).toString(), 'duplicate me')
  t.is(readAll(a).toString(), 'duplicate me', 'the source still has the bytes')
  const file = openFile(t, tmpFile(t, 'x'), 'r')
  const [notPipe] = run(r, op.tee(file, b, 1))
  t.is(notPipe.res, -E.EINVAL, 'tee needs two pipes')
})

const pipeTest = testWhen(hasOp('pipe'), 'IORING_OP_PIPE', '6.16')

pipeTest('pipe gives [readFd, writeFd] that carry bytes; cloexec and nonblock flags are set as asked', (t) => {
  const r = ring(t, { entries: 8 })
  const p = op.pipe()
  const [c] = run(r, p)
  t.is(c.res, 0)
  const [rd, wr] = p.decode(c)
  t.teardown(() => {
    fs.closeSync(rd)
    fs.closeSync(wr)
  })
  t.not(rd, wr)
  fs.writeSync(wr, 'through the pipe')
  t.is(readAll(rd).toString(), 'through the pipe')
  t.false(isCloexec(rd), 'no flags: not close-on-exec (as pipe2 with 0)')
  const p2 = op.pipe({ flags: ['cloexec', 'nonblock'] })
  const [rd2, wr2] = p2.decode(run(r, p2)[0])
  t.teardown(() => {
    fs.closeSync(rd2)
    fs.closeSync(wr2)
  })
  t.true(isCloexec(rd2) && isCloexec(wr2))
  throwsCode(t, () => fs.readSync(rd2, Buffer.alloc(1)), 'EAGAIN', 'nonblocking read of an empty pipe')
  // The op owns its fd pair: one push at a time; pushed again after its CQE it makes a new pipe.
  r.sq.push(p)
  throwsCode(t, () => r.sq.push(p), 'ERR_URING_OP_IN_FLIGHT')
  r.sq.submitAndWait(1, { timeoutMs: 5000 })
  const [rd3, wr3] = p.decode(r.cq.drain()[0])
  t.not(rd3, rd)
  fs.closeSync(rd3)
  fs.closeSync(wr3)
})

pipeTest('pipe direct: both ends become direct descriptors in the file table', (t) => {
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(4)
  const p = op.pipe({ direct: true })
  const [c] = run(r, p)
  t.is(c.res, 0)
  const [a, b] = p.decode(c)
  t.true(a >= 0 && a < 4 && b >= 0 && b < 4 && a !== b, `slots ${a}, ${b}`)
  const tb = ringTables(r)
  if (tb === undefined) t.log('the kernel did not list the file table; slots not checked in /proc')
  else {
    t.regex(tb.files.get(a) ?? '', /^pipe:/)
    t.regex(tb.files.get(b) ?? '', /^pipe:/)
  }
})

test('pipe: bad input has codes', (t) => {
  // @ts-expect-error an unknown pipe flag
  refused(t, () => op.pipe({ flags: ['fast'] }), VALUE, 'unknown flag name')
  refused(t, () => op.pipe({ flags: 1 }), VALUE, 'O_WRONLY is not a pipe2 flag')
  // @ts-expect-error direct is a boolean
  refused(t, () => op.pipe({ direct: 'yes' }), TYPE, 'direct of the wrong type')
  // @ts-expect-error an unknown option
  refused(t, () => op.pipe({ size: 4096 }), 'ERR_URING_UNKNOWN_OPTION', 'unknown option')
})

// ---- multishot read ----------------------------------------------------------------------------

const readMsTest = testWhen(hasOp('readMultishot') && kernelAtLeast('5.19'), 'IORING_OP_READ_MULTISHOT', '6.7')

readMsTest('readMultishot: one CQE per write with cqe.more, bytes via group.take; EOF ends it', (t) => {
  const r = ring(t, { entries: 8 })
  const { rd, wr } = fifoPair(t)
  const g = r.registrar.bufferGroup({ count: 4, size: 32 })
  const m = op.readMultishot(rd, g, { userData: 9 })
  r.sq.push(m)
  r.sq.submit()
  const got: string[] = []
  for (const chunk of ['first', 'second write', 'third']) {
    fs.writeSync(wr, chunk)
    const [c] = waitCqes(r, 1)
    t.is(c.userData, 9)
    t.is(c.op, m)
    t.true(c.more, 'the op stays armed')
    const pb = g.take(c)
    got.push(Buffer.from(pb.bytes).toString())
    pb.release()
  }
  t.deepEqual(got, ['first', 'second write', 'third'])
  fs.closeSync(wr)
  const [end] = waitCqes(r, 1)
  t.is(end.res, 0, 'EOF')
  t.false(end.more, 'the final CQE')
  t.is(r.inFlight, 0)
})

readMsTest('readMultishot ends with ENOBUFS when the group runs dry; pushed again after release it reads on', (t) => {
  const r = ring(t, { entries: 8 })
  const { rd, wr } = fifoPair(t)
  const g = r.registrar.bufferGroup({ count: 2, size: 16 })
  const m = op.readMultishot(rd, g)
  r.sq.push(m)
  r.sq.submit()
  const held: ProvidedBuffer[] = []
  for (const chunk of ['aa', 'bb']) {
    fs.writeSync(wr, chunk)
    const [c] = waitCqes(r, 1)
    t.true(c.more)
    held.push(g.take(c))
  }
  t.deepEqual(held.map((b) => Buffer.from(b.bytes).toString()), ['aa', 'bb'])
  fs.writeSync(wr, 'cc')
  const [dry] = waitCqes(r, 1)
  t.is(dry.res, -E.ENOBUFS)
  t.false(dry.more, 'ENOBUFS is the final CQE')
  for (const b of held) b.release()
  // Re-armed: the bytes that found no buffer are read now.
  r.sq.push(m)
  r.sq.submit()
  const [again] = waitCqes(r, 1)
  t.true(again.more)
  const pb = g.take(again)
  t.is(Buffer.from(pb.bytes).toString(), 'cc')
  pb.release()
  fs.closeSync(wr)
  const [end] = waitCqes(r, 1)
  t.is(end.res, 0)
  t.false(end.more)
})

readMsTest('readMultishot on a regular file is the kernel\'s EBADFD; a closed group is a stale handle', (t) => {
  const r = ring(t, { entries: 8 })
  const g = r.registrar.bufferGroup({ count: 2, size: 16 })
  const fd = openFile(t, tmpFile(t, 'abc'), 'r')
  const [c] = run(r, op.readMultishot(fd, g, { offset: 0 }))
  t.true(c.res < 0 && !c.more, `a regular file cannot be polled (res ${c.res})`)
  const { rd } = fifoPair(t)
  g.close()
  refusedStale(t, r, () => op.readMultishot(rd, g), 'readMultishot on a closed group')
})

test('readMultishot: bad input has codes', (t) => {
  // @ts-expect-error the buffers come from a group
  refused(t, () => op.readMultishot(3, Buffer.alloc(8)), TYPE, 'a plain buffer')
  const r = new Ring({ entries: 4 })
  try {
    const g = r.registrar.bufferGroup({ count: 1, size: 8 })
    refused(t, () => op.readMultishot(3, g, { offset: -2 }), RANGE, 'offset -2')
    // @ts-expect-error an unknown option
    refused(t, () => op.readMultishot(3, g, { length: 4 }), 'ERR_URING_UNKNOWN_OPTION', 'unknown option')
  } finally {
    r.close()
  }
})

// ---- files update ------------------------------------------------------------------------------

const filesUpdateTest = testWhen(hasOp('filesUpdate'), 'IORING_OP_FILES_UPDATE', '5.6')

filesUpdateTest('filesUpdate puts fds into empty slots and empties them again; the kernel lists them', (t) => {
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(4)
  const a = tmpFile(t, 'a')
  const b = path.join(path.dirname(a), 'b')
  fs.writeFileSync(b, 'b')
  const fa = openFile(t, a, 'r')
  const fb = openFile(t, b, 'r')
  const u = op.filesUpdate([fa, fb], 1)
  const [c] = run(r, u)
  t.is(c.res, 2)
  t.deepEqual(u.decode(c), [1, 2])
  const tb = ringTables(r)
  if (tb !== undefined) {
    t.is(tb.files.get(1), kernelFileName(a))
    t.is(tb.files.get(2), kernelFileName(b))
    t.false(tb.files.has(0))
  }
  // -1 empties a slot, -2 (5.12) leaves it.
  const skip = kernelAtLeast('5.12')
  const [c2] = run(r, op.filesUpdate(skip ? [-1, -2] : [-1], 1))
  t.is(c2.res, skip ? 2 : 1)
  const tb2 = ringTables(r)
  if (tb2 !== undefined) {
    t.false(tb2.files.has(1))
    t.is(tb2.files.get(2), kernelFileName(b))
  }
  // The registrar still hands out slots: registerFiles replaces what filesUpdate left there.
  const [h0] = r.registrar.registerFiles([fa])
  t.is(h0.index, 0)
  const buf = Buffer.alloc(4)
  const [rd] = run(r, op.read(h0, buf, 0))
  t.is(buf.subarray(0, rd.res).toString(), 'a')
})

filesUpdateTest('filesUpdate never rewrites a slot a RegisteredFd names; no file table is ERR_URING_NOT_REGISTERED', (t) => {
  const r = ring(t, { entries: 8 })
  const fd = openFile(t, tmpFile(t, 'x'), 'r')
  throwsCode(t, () => pushed(r, op.filesUpdate([fd], 0)), 'ERR_URING_NOT_REGISTERED')
  r.registrar.reserveFiles(2)
  const [h] = r.registrar.registerFiles([fd])
  throwsCode(t, () => pushed(r, op.filesUpdate([fd], h.index)), VALUE, 'the slot of a live handle')
  throwsCode(t, () => pushed(r, op.filesUpdate([fd, fd], 1)), RANGE, 'past the end of the table')
  t.is(r.inFlight, 0)
  t.true(h.live)
})

const allocUpdateTest = testWhen(hasOp('filesUpdate') && kernelAtLeast('5.19'), "filesUpdate with offset 'alloc' (IORING_FILE_INDEX_ALLOC)", '5.19')

allocUpdateTest("filesUpdate 'alloc': the kernel picks free slots and decode gives them", (t) => {
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(4)
  const fd = openFile(t, tmpFile(t, 'z'), 'r')
  const [h] = r.registrar.registerFiles([fd])
  const u = op.filesUpdate([fd, fd], 'alloc')
  const [c] = run(r, u)
  t.is(c.res, 2)
  const slots = u.decode(c)
  t.is(slots.length, 2)
  t.false(slots.includes(h.index), 'the handle\'s slot is not taken')
  const tb = ringTables(r)
  if (tb !== undefined) for (const s of slots) t.true(tb.files.has(s), `slot ${s} holds the file`)
  t.true(h.live)
  const [bad] = run(r, op.filesUpdate([fd + 1000], 'alloc'))
  t.is(bad.res, -E.EBADF)
})

test('filesUpdate: bad input has codes', (t) => {
  refused(t, () => op.filesUpdate([], 0), RANGE, 'no fds')
  // @ts-expect-error fds are numbers
  refused(t, () => op.filesUpdate(['3'], 0), TYPE, 'a string fd')
  refused(t, () => op.filesUpdate([3], -1), RANGE, 'a negative slot')
  refused(t, () => op.filesUpdate([-3], 0), RANGE, 'fd -3')
  refused(t, () => op.filesUpdate([-1], 'alloc'), RANGE, "-1 with 'alloc'")
  // @ts-expect-error offset is a slot or 'alloc'
  refused(t, () => op.filesUpdate([3], 'auto'), TYPE, 'an unknown offset word')
})

// ---- openat / close keep working -------------------------------------------------------------

testWhen(hasOp('openat') && hasOp('close'), 'IORING_OP_OPENAT', '5.6')('openat and close still work; a NUL-terminated byte path is copied, not kept', (t) => {
  const file = tmpFile(t, 'still here')
  const r = ring(t, { entries: 8 })
  const bytes = new Uint8Array([...Buffer.from(file), 0])
  const o = op.openat(AT_FDCWD, bytes, fs.constants.O_RDONLY)
  bytes.fill(0x41, 0, bytes.length - 1)
  const [c] = run(r, o)
  t.true(c.res >= 0, `res ${c.res}`)
  t.is(readAll(c.res).toString(), 'still here')
  const [cl] = run(r, op.close(c.res))
  t.is(cl.res, 0)
})
