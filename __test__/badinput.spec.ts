/**
 * Bad input, table-driven: every bad argument throws an error with a string `code` (Node's
 * ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE, or uring's own), and nothing staged before it is lost:
 * the good ops queued earlier still complete with the right bytes.
 */
import test, { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Op, Ring, op } from '../index'
import { openFile, ring, tempDir, throwsCode } from './_helpers'

const TYPE = 'ERR_INVALID_ARG_TYPE'
const RANGE = 'ERR_OUT_OF_RANGE'
const UNKNOWN = 'ERR_URING_UNKNOWN_OPTION'
const ANY_ARG = [TYPE, RANGE]

type Case = [title: string, bad: (r: Ring, fd: number) => unknown, codes: string | string[]]

const buf = (): Buffer => Buffer.alloc(8)
const FD = 3 // never used for I/O: these ops all fail validation

const cases: Case[] = [
  // fd
  ['op.read fd -1', () => op.read(-1, buf(), 0), RANGE],
  ['op.read fd 1.5', () => op.read(1.5, buf(), 0), RANGE],
  ['op.read fd NaN', () => op.read(NaN, buf(), 0), RANGE],
  ['op.read fd Infinity', () => op.read(Infinity, buf(), 0), RANGE],
  ['op.read fd 2**31', () => op.read(2 ** 31, buf(), 0), RANGE],
  ["op.read fd '3'", () => op.read('3' as unknown as number, buf(), 0), TYPE],
  ['op.read fd undefined', () => op.read(undefined as unknown as number, buf(), 0), TYPE],
  ['op.read fd null', () => op.read(null as unknown as number, buf(), 0), TYPE],
  ['op.read fd 3n', () => op.read(3n as unknown as number, buf(), 0), TYPE],
  ['op.write fd -1', () => op.write(-1, buf(), 0), RANGE],
  ['op.readv fd -1', () => op.readv(-1, [buf()], 0), RANGE],
  ['op.writev fd 1.5', () => op.writev(1.5, [buf()], 0), RANGE],
  ['op.fsync fd -1', () => op.fsync(-1), RANGE],
  ["op.fsync fd '3'", () => op.fsync('3' as unknown as number), TYPE],
  // buffer
  ["op.read buffer 'abc'", () => op.read(FD, 'abc' as unknown as Buffer, 0), TYPE],
  ['op.read buffer 123', () => op.read(FD, 123 as unknown as Buffer, 0), TYPE],
  ['op.read buffer null', () => op.read(FD, null as unknown as Buffer, 0), TYPE],
  ['op.read buffer {}', () => op.read(FD, {} as unknown as Buffer, 0), TYPE],
  ['op.read buffer undefined', () => op.read(FD, undefined as unknown as Buffer, 0), TYPE],
  ['op.read buffer [1, 2]', () => op.read(FD, [1, 2] as unknown as Buffer, 0), TYPE],
  ["op.write buffer 'abc'", () => op.write(FD, 'abc' as unknown as Buffer, 0), TYPE],
  // length / bufferOffset
  ['length beyond the buffer', () => op.read(FD, buf(), 0, { length: 9 }), RANGE],
  ['bufferOffset beyond the buffer', () => op.read(FD, buf(), 0, { bufferOffset: 9 }), RANGE],
  ['bufferOffset + length beyond the buffer', () => op.read(FD, buf(), 0, { bufferOffset: 4, length: 5 }), RANGE],
  ['negative length', () => op.read(FD, buf(), 0, { length: -1 }), RANGE],
  ['negative bufferOffset', () => op.read(FD, buf(), 0, { bufferOffset: -1 }), RANGE],
  ['fractional length', () => op.read(FD, buf(), 0, { length: 1.5 }), RANGE],
  ["length '4'", () => op.read(FD, buf(), 0, { length: '4' as unknown as number }), TYPE],
  ['write length beyond the buffer', () => op.write(FD, buf(), 0, { length: 100 }), RANGE],
  // offset
  ['offset -2', () => op.read(FD, buf(), -2), RANGE],
  ['offset 1.5', () => op.read(FD, buf(), 1.5), RANGE],
  ['offset NaN', () => op.read(FD, buf(), NaN), RANGE],
  ['offset 2**53 (beyond safe integers)', () => op.read(FD, buf(), 2 ** 53), RANGE],
  ['offset 2n**63n', () => op.read(FD, buf(), 2n ** 63n), RANGE],
  ['offset -2n', () => op.read(FD, buf(), -2n), RANGE],
  ["offset 'x'", () => op.read(FD, buf(), 'x' as unknown as number), TYPE],
  ['offset null', () => op.read(FD, buf(), null as unknown as number), TYPE],
  ['readv offset -2', () => op.readv(FD, [buf()], -2), RANGE],
  // options
  ['an unknown option', () => op.read(FD, buf(), 0, { nosuch: 1 } as never), UNKNOWN],
  ['an unknown nop option', () => op.nop({ length: 4 } as never), UNKNOWN],
  ['an unknown fsync option', () => op.fsync(FD, { length: 4 } as never), UNKNOWN],
  ['an unknown readv option (bufferOffset is read/write only)', () => op.readv(FD, [buf()], 0, { bufferOffset: 1 } as never), UNKNOWN],
  ['options null', () => op.read(FD, buf(), 0, null as never), TYPE],
  ["options 'x'", () => op.nop('x' as never), TYPE],
  ['link: 1', () => op.nop({ link: 1 as unknown as boolean }), TYPE],
  ["drain: 'yes'", () => op.nop({ drain: 'yes' as unknown as boolean }), TYPE],
  ['ioprio 70000', () => op.nop({ ioprio: 70000 }), RANGE],
  ['ioprio -1', () => op.nop({ ioprio: -1 }), RANGE],
  ['rwFlags -1', () => op.read(FD, buf(), 0, { rwFlags: -1 }), RANGE],
  ["rwFlags '1'", () => op.read(FD, buf(), 0, { rwFlags: '1' as unknown as number }), TYPE],
  ['fsync datasync: 1', () => op.fsync(FD, { datasync: 1 as unknown as boolean }), TYPE],
  // userData
  ['userData -1', () => op.nop({ userData: -1 }), RANGE],
  ['userData 1.5', () => op.nop({ userData: 1.5 }), RANGE],
  ['userData 2**53', () => op.nop({ userData: 2 ** 53 }), RANGE],
  ['userData NaN', () => op.nop({ userData: NaN }), RANGE],
  ['userData 2n**64n', () => op.nop({ userData: 2n ** 64n }), RANGE],
  ['userData -1n', () => op.nop({ userData: -1n }), RANGE],
  ["userData 'x'", () => op.nop({ userData: 'x' as unknown as number }), TYPE],
  ['userData on a read', () => op.read(FD, buf(), 0, { userData: -1 }), RANGE],
  // readv / writev lists
  ['readv []', () => op.readv(FD, [], 0), RANGE],
  ["readv 'x'", () => op.readv(FD, 'x' as unknown as Buffer[], 0), TYPE],
  ['readv [1, 2]', () => op.readv(FD, [1, 2] as unknown as Buffer[], 0), TYPE],
  ['readv of a Buffer, not an array', () => op.readv(FD, buf() as unknown as Buffer[], 0), TYPE],
  ["readv [buffer, 'x']", () => op.readv(FD, [buf(), 'x'] as unknown as Buffer[], 0), TYPE],
  ['readv null', () => op.readv(FD, null as unknown as Buffer[], 0), TYPE],
  ['readv of 1025 buffers', () => op.readv(FD, Array.from({ length: 1025 }, buf), 0), RANGE],
  ['writev []', () => op.writev(FD, [], 0), RANGE],
  ['writev [{}]', () => op.writev(FD, [{}] as unknown as Buffer[], 0), TYPE],
  // push / pushMany of non-ops
  ['sq.push({})', (r) => r.sq.push({} as unknown as Op), TYPE],
  ['sq.push(123)', (r) => r.sq.push(123 as unknown as Op), TYPE],
  ['sq.push(null)', (r) => r.sq.push(null as unknown as Op), TYPE],
  ['sq.push(undefined)', (r) => r.sq.push(undefined as unknown as Op), TYPE],
  ['sq.push of a look-alike object', (r) => r.sq.push({ opcode: 0, name: 'nop', userData: 0, sqeFlags: 0, ioprio: 0, encode() {} } as unknown as Op), TYPE],
  ["sq.pushMany('x')", (r) => r.sq.pushMany('x' as unknown as Op[]), TYPE],
  ['sq.pushMany([op, 5])', (r) => r.sq.pushMany([op.nop({ userData: 9 }), 5 as unknown as Op]), TYPE],
  // waits
  ['sq.submitAndWait(-1)', (r) => r.sq.submitAndWait(-1), RANGE],
  ['sq.submitAndWait(1.5)', (r) => r.sq.submitAndWait(1.5), RANGE],
  ["sq.submitAndWait('1')", (r) => r.sq.submitAndWait('1' as unknown as number), TYPE],
  ['cq.wait(-1)', (r) => r.cq.wait(-1), RANGE],
  ['cq.wait(1, { timeoutMs: -1 })', (r) => r.cq.wait(1, { timeoutMs: -1 }), RANGE],
  ['cq.wait(1, { timeoutMs: NaN })', (r) => r.cq.wait(1, { timeoutMs: NaN }), RANGE],
  ['cq.wait(1, { timeoutMs: Infinity })', (r) => r.cq.wait(1, { timeoutMs: Infinity }), RANGE],
  ["cq.wait(1, { timeoutMs: 'x' })", (r) => r.cq.wait(1, { timeoutMs: 'x' as unknown as number }), TYPE],
  ['cq.wait(1, { timeout: 5 })', (r) => r.cq.wait(1, { timeout: 5 } as never), UNKNOWN],
  ['cq.wait(1, null)', (r) => r.cq.wait(1, null as never), TYPE],
  ['sq.submitAndWait(1, { timeoutMs: -5 })', (r) => r.sq.submitAndWait(1, { timeoutMs: -5 }), RANGE],
]

// Ops changed after construction are checked again when pushed.
type Mutation = [title: string, make: (fd: number) => Op, mutate: (o: Record<string, unknown>) => void, codes: string | string[]]
const mutations: Mutation[] = [
  ['read: fd changed to -1', (fd) => op.read(fd, buf(), 0), (o) => { o.fd = -1 }, RANGE],
  ['read: fd changed to 1.5', (fd) => op.read(fd, buf(), 0), (o) => { o.fd = 1.5 }, RANGE],
  ["read: fd changed to '3'", (fd) => op.read(fd, buf(), 0), (o) => { o.fd = '3' }, TYPE],
  ["read: buffer changed to 'x'", (fd) => op.read(fd, buf(), 0), (o) => { o.buffer = 'x' }, TYPE],
  ['read: length changed past the buffer', (fd) => op.read(fd, buf(), 0), (o) => { o.length = 100 }, RANGE],
  ['read: bufferOffset changed past the buffer', (fd) => op.read(fd, buf(), 0), (o) => { o.bufferOffset = 9 }, RANGE],
  ['read: buffer swapped for a smaller one with length kept', (fd) => op.read(fd, buf(), 0, { length: 8 }), (o) => { o.buffer = Buffer.alloc(4) }, RANGE],
  ['read: offset changed to -5', (fd) => op.read(fd, buf(), 0), (o) => { o.offset = -5 }, RANGE],
  ["read: offset changed to 'x'", (fd) => op.read(fd, buf(), 0), (o) => { o.offset = 'x' }, TYPE],
  ['read: rwFlags changed to -1', (fd) => op.read(fd, buf(), 0), (o) => { o.rwFlags = -1 }, RANGE],
  ['nop: userData changed to -1', () => op.nop(), (o) => { o.userData = -1 }, RANGE],
  ["nop: userData changed to 'x'", () => op.nop(), (o) => { o.userData = 'x' }, TYPE],
  ['nop: userData changed to 2n**64n', () => op.nop(), (o) => { o.userData = 2n ** 64n }, RANGE],
  ['nop: sqeFlags changed to FIXED_FILE (1)', () => op.nop(), (o) => { o.sqeFlags = 1 }, ['ERR_INVALID_ARG_VALUE', RANGE]],
  ['nop: sqeFlags changed to 1 << 5', () => op.nop(), (o) => { o.sqeFlags = 1 << 5 }, ['ERR_INVALID_ARG_VALUE', RANGE]],
  ['nop: ioprio changed to 1e6', () => op.nop(), (o) => { o.ioprio = 1e6 }, RANGE],
  ['readv: buffers changed to []', (fd) => op.readv(fd, [buf()], 0), (o) => { o.buffers = [] }, RANGE],
  ["readv: buffers[0] changed to 'x'", (fd) => op.readv(fd, [buf()], 0), (o) => { (o.buffers as unknown[])[0] = 'x' }, TYPE],
  ['readv: buffers changed to a Buffer', (fd) => op.readv(fd, [buf()], 0), (o) => { o.buffers = buf() }, TYPE],
  ['fsync: fd changed to -1', (fd) => op.fsync(fd), (o) => { o.fd = -1 }, RANGE],
  ["fsync: datasync changed to 'yes'", (fd) => op.fsync(fd), (o) => { o.datasync = 'yes' }, TYPE],
]

/**
 * A ring with two good ops staged (a NOP, and a readv of a real file), so that each bad input
 * can be checked to lose nothing: they must still complete, with the right bytes.
 */
function withStaged(t: ExecutionContext): { r: Ring; fd: number; finish: () => void } {
  const dir = tempDir(t)
  const file = path.join(dir, 'good')
  fs.writeFileSync(file, 'staged-before')
  const fd = openFile(t, file, 'r')
  const r = ring(t, { entries: 8 })
  const into = Buffer.alloc(13)
  r.sq.push(op.nop({ userData: 1 }))
  r.sq.push(op.readv(fd, [into], 0, { userData: 2 }))
  const finish = (): void => {
    t.is(r.sq.pending, 2, 'the good ops are still staged')
    t.is(r.sq.submitAndWait(2), 2)
    // Both complete, each with its result; the kernel does not order the CQEs of independent ops
    // (on 6.12 with COOP_TASKRUN the readv's came first once).
    const cqes = r.cq.drain().sort((a, b) => Number(a.userData) - Number(b.userData))
    t.deepEqual(cqes.map((c) => [c.userData, c.res]), [[1, 0], [2, 13]])
    t.is(into.toString(), 'staged-before')
    t.is(r.inFlight, 0)
    // And the ring takes more work afterwards.
    r.sq.push(op.nop({ userData: 3 }))
    r.sq.submitAndWait(1)
    t.deepEqual(r.cq.drain().map((c) => c.userData), [3])
  }
  return { r, fd, finish }
}

for (const [title, bad, codes] of cases) {
  test(`${title} → ${Array.isArray(codes) ? codes.join(' | ') : codes}`, (t) => {
    const { r, fd, finish } = withStaged(t)
    throwsCode(t, () => bad(r, fd), codes)
    finish()
  })
}

for (const [title, make, mutate, codes] of mutations) {
  test(`op mutated after construction (${title}) → push throws ${Array.isArray(codes) ? codes.join(' | ') : codes}, nothing staged`, (t) => {
    const { r, fd, finish } = withStaged(t)
    const o = make(fd)
    mutate(o as unknown as Record<string, unknown>)
    throwsCode(t, () => r.sq.push(o), codes)
    throwsCode(t, () => r.sq.pushMany([op.nop({ userData: 50 }), o]), codes, 'pushMany')
    finish()
  })
}

test('a buffer detached after the op was made: push refuses an explicit length', (t) => {
  const { r, fd, finish } = withStaged(t)
  const ab = new ArrayBuffer(8)
  const o = op.read(fd, ab, 0, { length: 8 })
  structuredClone(ab, { transfer: [ab] })
  t.is(ab.byteLength, 0)
  throwsCode(t, () => r.sq.push(o), RANGE)
  finish()
})

test('a buffer detached after the op was made, no explicit length: the kernel reads 0 bytes', (t) => {
  const { r, fd, finish } = withStaged(t)
  finish()
  const ab = new ArrayBuffer(8)
  const o = op.read(fd, ab, 0, { userData: 4 })
  structuredClone(ab, { transfer: [ab] })
  r.sq.push(o)
  r.sq.submitAndWait(1)
  const [c] = r.cq.drain()
  t.is(c.userData, 4)
  t.is(c.res, 0)
})

test('every thrown error is an Error with a string code and a message', (t) => {
  const r = ring(t, { entries: 8 })
  for (const [title, bad] of cases) {
    try {
      bad(r, FD)
      t.fail(`${title}: did not throw`)
    } catch (e) {
      const err = e as Error & { code?: unknown }
      t.true(err instanceof Error, title)
      t.is(typeof err.code, 'string', title)
      t.regex(err.code as string, /^ERR_[A-Z_]+$/, title)
      t.true(err.message.length > 0, title)
      t.true(['TypeError', 'RangeError', 'UringError'].includes(err.name), `${title}: name ${err.name}`)
    }
  }
  t.is(r.sq.pending, 0)
})
