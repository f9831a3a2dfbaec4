/**
 * Property-based tests (fast-check) of rings and the driver, and the plain regression tests of
 * what they found (at the end of this file).
 *
 * Each fast-check run sets up a ring (random SQ size and completion mode), a temp file with
 * random contents (its model: a Buffer, __test__/_model.ts) and a FIFO, and applies a generated
 * list of actions in order: batches of NOPs and reads through ring.sq/ring.cq (userData
 * bookkeeping), reads and writes through ring.run and uring/os, random aborts (already aborted,
 * aborted in the same tick, aborted later), ops blocked on the FIFO or on a long timeout that
 * are cancelled, timeouts removed and cancelled through ring.sq, invalid arguments (each must
 * throw synchronously, or reject from ring.run / uring/os, with its exact `code`), registrations
 * and unregistrations of buffers and files (a stale handle must give ERR_URING_STALE_HANDLE),
 * ring.sq.submit() mixed with ring.run in one tick, and ring.close() with work staged, queued and
 * in flight (all of it rejects with ERR_URING_CLOSED, every later call too; the run goes on
 * with a new ring). Checked after every action: each read's count and bytes equal the model's,
 * the file equals the model after writes, every promise has settled exactly as expected (a
 * settle tracker counts them), no stray CQE, ring.inFlight is back to the ops deliberately left
 * in flight; after every run: /proc/self/fd has as many fds as before.
 *
 * A fast-check action draws one seed, and the offsets and lengths of its hundreds of ops come
 * from a cheap PRNG (Rng): that keeps the cost per op at a few microseconds, so the default run
 * does its 1,000,000 ops (the issue's floor, counted and shown by t.log) in seconds. Rounds of
 * fast-check runs (seed, seed + 1, ...) go on until the op count is reached.
 *
 *   URING_FUZZ_OPS=<n>     ops to run (default 1000000): e.g. 50000000 for a long soak.
 *   URING_FUZZ_SEED=<s>    the first round's seed (default 0x5eed9, fixed so CI is deterministic).
 *   URING_FUZZ_PATH=<p>    with URING_FUZZ_SEED: replay exactly that fast-check counterexample.
 *
 * A failure prints the round's seed and the counterexample's path as the exact command line that
 * replays it (`URING_FUZZ_SEED=... URING_FUZZ_PATH=... npx ava __test__/fuzz.spec.ts`), then
 * fast-check's report (the shrunk action list).
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as fc from 'fast-check'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'
import { Op, Ring, op } from '../index'
import type { RegisteredBuf, RegisteredFd } from '../index'
import * as uos from '../lib/os'
import { kernelAtLeast, ring, tempDir, throwsCode, tmpFile } from './_helpers'
import { MODES, ROOT, tracker } from './_driver'
import { FileModel, Outcome, Rng, Settler, openFds } from './_model'

const TYPE = 'ERR_INVALID_ARG_TYPE'
const RANGE = 'ERR_OUT_OF_RANGE'
const UNKNOWN = 'ERR_URING_UNKNOWN_OPTION'
const STALE = 'ERR_URING_STALE_HANDLE'
const CLOSED = 'ERR_URING_CLOSED'
const EBADF = -9
const ECANCELED = -125
const EINTR = -4
const ENOENT = -2
const ETIME = -62
/** An fd that passes validation and is never open (far above any RLIMIT_NOFILE): EBADF. */
const NEVER_OPEN = 0x7fffffff
const SENTINEL = 0xa5
const MAX_FILE = 1 << 20
/** Hang guard only: a promise that takes this long has hung (the machine may be loaded). */
const HANG_MS = 20_000
const BUF_SLOTS = 8
const FILE_SLOTS = 4

// ---- the system under test and its model ---------------------------------------------------

type Handle = RegisteredBuf | RegisteredFd

interface Bg {
  out: Promise<Outcome<unknown>>
  ac: AbortController
  os: boolean
  done: boolean
}

interface Ctx {
  r: Ring
  fd: number
  fifo: number
  file: string
  model: FileModel
  settler: Settler
  bufs: RegisteredBuf[]
  files: RegisteredFd[]
  stale: Handle[]
  bg: Bg[]
  reserved: boolean
  ops: number
}

class Fail extends Error {}

function check(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new Fail(msg)
}

function eq(a: unknown, b: unknown, msg: string): void {
  if (a !== b) throw new Fail(`${msg}: got ${String(a)}, want ${String(b)}`)
}

/** `fn` must throw synchronously an error whose code is exactly `code`. */
function throwsExact(fn: () => unknown, code: string, what: string): void {
  let threw = false
  try {
    fn()
  } catch (e) {
    threw = true
    eq((e as { code?: unknown }).code, code, `${what}: code (${(e as Error).message})`)
  }
  check(threw, `${what}: did not throw`)
}

/** `fn` must return a promise (not throw) that rejects with exactly `code`. */
async function rejectsExact(c: Ctx, fn: () => Promise<unknown>, code: string, what: string): Promise<void> {
  let p: Promise<unknown>
  try {
    p = fn()
  } catch (e) {
    throw new Fail(`${what}: threw synchronously (${(e as Error).message}); it must reject`)
  }
  check(p instanceof Promise, `${what}: returns a promise`)
  const o = await settle(c.settler.track(p), what)
  check(!o.ok, `${what}: resolved with ${String((o as { value?: unknown }).value)}; must reject with ${code}`)
  eq(o.error.code, code, `${what}: code (${o.error.message})`)
}

/** Awaits a tracked promise, failing (instead of hanging) if it never settles. */
async function settle<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Fail(`${what}: never settled (${HANG_MS} ms)`)), HANG_MS)
  })
  try {
    return await Promise.race([p, hang])
  } finally {
    clearTimeout(timer)
  }
}

function isAbort(o: Outcome<unknown>, reason: unknown): boolean {
  return !o.ok && o.error.name === 'AbortError' && o.error.code === 'ABORT_ERR' && o.error.cause === reason
}

function immediate(): Promise<void> {
  return new Promise((r) => setImmediate(r))
}

/** Waits (a hang guard, not a timing assertion) for inFlight to come down to `want`. */
async function inFlightIs(r: Ring, want: number, what: string): Promise<void> {
  const end = Date.now() + HANG_MS
  while (r.inFlight !== want && Date.now() < end) await immediate()
  eq(r.inFlight, want, `${what}: ring.inFlight`)
}

function liveBg(c: Ctx, os: boolean): number {
  return c.bg.filter((b) => !b.done && b.os === os).length
}

function openRing(c: Ctx, rng: Rng): void {
  const entries = rng.pick([1, 2, 4, 8, 32, 256])
  const mode = rng.pick(MODES.filter((m) => m.ok))
  c.r = new Ring({ entries, ...mode.options })
  c.reserved = rng.chance(0.5)
  if (c.reserved) c.r.registrar.reserveBuffers(BUF_SLOTS)
  c.r.registrar.reserveFiles(FILE_SLOTS)
  c.bufs = []
  c.files = []
}

/** Pushes `o` on the SQ, submitting first when it is full. */
function pushRoom(r: Ring, o: Op): void {
  if (r.sq.space === 0) r.sq.submit()
  r.sq.push(o)
}

/** Submits and reads CQEs until `want` more have come, handing each to `see` (the cursor object is reused). */
function reapAll(r: Ring, want: number, see: (ud: number, res: number, o: Op | undefined) => void, what: string): void {
  let got = 0
  let idle = 0
  while (got < want) {
    const before = got
    r.sq.submitAndWait(Math.min(want - got, 64), { timeoutMs: 1000 })
    for (const cqe of r.cq) {
      see(Number(cqe.userData), cqe.res, cqe.op)
      got++
    }
    idle = got === before ? idle + 1 : 0
    check(idle < HANG_MS / 1000, `${what}: ${want - got} of ${want} CQEs never came`)
  }
}

// ---- actions --------------------------------------------------------------------------------

/** n NOPs through ring.sq, one op object with its userData changed between pushes. */
function sqNops(c: Ctx, n: number, seed: number): void {
  const r = c.r
  const rng = new Rng(seed)
  const o = op.nop()
  const seen = new Uint8Array(n + 1)
  let next = 1
  let reaped = 0
  const see = (ud: number, res: number, from: Op | undefined): void => {
    check(ud >= 1 && ud <= n && seen[ud] === 0, `sqNops: CQE userData ${ud} unexpected or twice`)
    seen[ud] = 1
    eq(res, 0, 'sqNops: res')
    check(from === o, 'sqNops: cqe.op is the pushed op')
    reaped++
  }
  while (next <= n) {
    let room = r.sq.space
    if (room === 0) {
      throwsExact(() => r.sq.push(o), 'ERR_URING_SQ_FULL', 'push on a full SQ')
      c.ops++
      r.sq.submit()
      room = r.sq.space
    }
    const k = Math.min(room, n - next + 1, 1 + rng.int(room))
    for (let i = 0; i < k; i++) {
      o.userData = next++
      r.sq.push(o)
    }
    c.ops += k
    if (rng.chance(0.3)) reapAll(r, next - 1 - reaped, see, 'sqNops')
    else r.sq.submit()
  }
  reapAll(r, n - reaped, see, 'sqNops')
}

interface ReadPlan {
  bo: number
  len: number
  off: number
  want: number // bytes, or -errno
}

/** Picks a read: offset mostly in or just past the file, sometimes huge (0 bytes) or on a bad fd. */
function planRead(c: Ctx, rng: Rng, bo: number, len: number, badFdOk: boolean): ReadPlan {
  const roll = rng.int(100)
  if (roll < 2) return { bo, len, off: 2 ** 40 + rng.int(1 << 20), want: 0 }
  if (roll < 4 && badFdOk) return { bo, len, off: 0, want: EBADF }
  const off = rng.int(c.model.size + 1024)
  return { bo, len, off, want: c.model.read(off, len).length }
}

/** n reads through ring.sq into disjoint ranges of a plain or registered buffer, by fd or registered file. */
function sqReads(c: Ctx, n: number, seed: number): void {
  const r = c.r
  const rng = new Rng(seed)
  const rb = c.bufs.length > 0 && rng.chance(0.5) ? rng.pick(c.bufs) : undefined
  const rf = c.files.length > 0 && rng.chance(0.4) ? rng.pick(c.files) : undefined
  const size = rb !== undefined ? rb.size : rng.range(1, 1 << 18)
  const mem = rb !== undefined ? Buffer.from(rb.bytes.buffer, rb.bytes.byteOffset, size) : Buffer.allocUnsafe(size)
  const expected = Buffer.allocUnsafe(size)
  let done = 0
  while (done < n) {
    mem.fill(SENTINEL)
    expected.fill(SENTINEL)
    const plans: ReadPlan[] = []
    let cursor = 0
    let reaped = 0
    const see = (ud: number, res: number): void => {
      const p = plans[ud - 1]
      check(p !== undefined && p.want !== 1e9, `sqReads: CQE userData ${ud} unexpected or twice`)
      eq(res, p.want, `sqReads: read ${ud} (offset ${p.off}, length ${p.len}) res`)
      p.want = 1e9
      reaped++
    }
    while (done < n) {
      const len = rng.len(Math.min(16384, size))
      const bo = cursor + rng.int(16)
      if (bo + len > size) break
      cursor = bo + len
      const p = planRead(c, rng, bo, len, rf === undefined)
      plans.push(p)
      const fd = p.want === EBADF ? NEVER_OPEN : (rf ?? c.fd)
      const userData = plans.length
      let o: Op
      if (rb !== undefined) o = rng.chance(0.5) ? op.read(fd, rb.slice(bo, len), p.off, { userData }) : op.read(fd, rb, p.off, { bufferOffset: bo, length: len, userData })
      else o = op.read(fd, mem, p.off, { bufferOffset: bo, length: len, userData })
      if (p.want > 0) c.model.read(p.off, len).copy(expected, bo)
      if (r.sq.space === 0) {
        r.sq.submit()
        if (rng.chance(0.5)) reapAll(r, plans.length - 1 - reaped, see, 'sqReads')
      }
      r.sq.push(o)
      done++
      c.ops++
    }
    if (plans.length === 0) {
      // Not even one read fits what is left of this buffer: a zero-length one does.
      const p = planRead(c, rng, 0, 0, rf === undefined)
      plans.push(p)
      r.sq.push(op.read(p.want === EBADF ? NEVER_OPEN : (rf ?? c.fd), rb ?? mem, p.off, { bufferOffset: 0, length: 0, userData: 1 }))
      done++
      c.ops++
    }
    reapAll(r, plans.length - reaped, see, 'sqReads')
    check(mem.equals(expected), `sqReads: the buffer holds other bytes than the model's (${rb ? 'registered' : 'plain'} buffer, ${rf ? 'registered file' : 'fd'})`)
  }
}

type AbortKind = 'none' | 'pre' | 'sync' | 'late'

function abortKind(rng: Rng, late: boolean): AbortKind {
  const x = rng.int(100)
  return x < 3 ? 'pre' : x < 6 ? 'sync' : x < 9 && late ? 'late' : 'none'
}

/** Controllers of one segment (ops issued in one synchronous stretch). */
class Segment {
  readonly preReason = { why: 'pre' }
  readonly syncReason = { why: 'sync' }
  readonly lateReason = { why: 'late' }
  readonly pre = new AbortController()
  sync = new AbortController()
  late = new AbortController()
  constructor() {
    this.pre.abort(this.preReason)
  }
  signal(k: AbortKind): AbortSignal | undefined {
    return k === 'pre' ? this.pre.signal : k === 'sync' ? this.sync.signal : k === 'late' ? this.late.signal : undefined
  }
  reason(k: AbortKind): unknown {
    return k === 'pre' ? this.preReason : k === 'sync' ? this.syncReason : this.lateReason
  }
  /** Ends the synchronous stretch: the 'sync' controller aborts before anything was flushed. */
  async end(rng: Rng): Promise<void> {
    this.sync.abort(this.syncReason)
    this.sync = new AbortController()
    if (rng.chance(0.5)) await null
    else await immediate()
    this.late.abort(this.lateReason)
    this.late = new AbortController()
  }
}

interface RunRead extends ReadPlan {
  kind: AbortKind
  reason: unknown
  out: Promise<Outcome<number>>
}

/** n reads through ring.run (op.read) or uring/os (os.read), in segments, some aborted. */
async function runReads(c: Ctx, n: number, seed: number, api: 'run' | 'os'): Promise<void> {
  const r = c.r
  const rng = new Rng(seed)
  const rb = api === 'run' && c.bufs.length > 0 && rng.chance(0.3) ? rng.pick(c.bufs) : undefined
  const rf = api === 'run' && c.files.length > 0 && rng.chance(0.3) ? rng.pick(c.files) : undefined
  const size = rb !== undefined ? rb.size : rng.range(1, 1 << 18)
  const mem = rb !== undefined ? Buffer.from(rb.bytes.buffer, rb.bytes.byteOffset, size) : Buffer.allocUnsafe(size)
  const expected = Buffer.allocUnsafe(size)
  const seg = new Segment()
  let done = 0
  while (done < n) {
    mem.fill(SENTINEL)
    expected.fill(SENTINEL)
    const reads: RunRead[] = []
    let cursor = 0
    while (done < n) {
      const len = rng.len(Math.min(16384, size))
      const bo = cursor + rng.int(16)
      if (bo + len > size) break
      cursor = bo + len
      const p = planRead(c, rng, bo, len, rf === undefined)
      const kind = abortKind(rng, true)
      const signal = seg.signal(kind)
      const fd = p.want === EBADF ? NEVER_OPEN : (rf ?? c.fd)
      let pr: Promise<number>
      if (api === 'os') pr = uos.read(fd, mem, p.off, { bufferOffset: bo, length: len, signal })
      else {
        const o = rb !== undefined ? op.read(fd, rb, p.off, { bufferOffset: bo, length: len }) : op.read(fd, mem, p.off, { bufferOffset: bo, length: len })
        pr = signal === undefined ? r.run(o) : r.run(o, { signal })
      }
      reads.push({ ...p, kind, reason: seg.reason(kind), out: c.settler.track(pr) })
      done++
      c.ops++
      if (rng.chance(0.005)) await seg.end(rng)
    }
    await seg.end(rng)
    for (const [i, x] of reads.entries()) {
      const o = await settle(x.out, `runReads(${api}) #${i}`)
      const what = `runReads(${api}) #${i} (offset ${x.off}, length ${x.len}, abort ${x.kind})`
      if (x.kind === 'pre' || x.kind === 'sync') {
        check(isAbort(o, x.reason), `${what}: must reject with the AbortError of its signal (${o.ok ? `resolved ${o.value}` : o.error.message})`)
        continue // never reached the kernel: its range must still hold the sentinel
      }
      if (x.kind === 'late' && isAbort(o, x.reason)) {
        mem.copy(expected, x.bo, x.bo, x.bo + x.len) // cancelled: what it read, if anything, is unknown
        continue
      }
      if (x.want === EBADF) {
        check(!o.ok && o.error.code === 'EBADF' && (o.error as { errno?: number }).errno === EBADF && (o.error as { syscall?: string }).syscall === (rb ? 'readFixed' : 'read'), `${what}: must reject with EBADF (${o.ok ? `resolved ${o.value}` : o.error.message})`)
        continue
      }
      check(o.ok, `${what}: rejected (${o.ok ? '' : o.error.message})`)
      eq(o.value, x.want, `${what}: result`)
      if (x.want > 0) c.model.read(x.off, x.len).copy(expected, x.bo)
    }
    check(mem.equals(expected), `runReads(${api}): the buffer holds other bytes than the model's`)
  }
}

/** n writes to disjoint ranges (holes between some), in random order, through ring.sq, ring.run or uring/os. */
async function writes(c: Ctx, n: number, seed: number, api: 'sq' | 'run' | 'os'): Promise<void> {
  const r = c.r
  const rng = new Rng(seed)
  const rf = api !== 'os' && c.files.length > 0 && rng.chance(0.4) ? rng.pick(c.files) : undefined
  const fd = rf ?? c.fd
  const plan: Array<{ off: number; data: Buffer; kind: AbortKind }> = []
  let cursor = rng.int(c.model.size + 1)
  for (let i = 0; i < n; i++) {
    const off = cursor + (rng.chance(0.1) ? rng.int(65536) : rng.int(64))
    const len = rng.range(1, 8192)
    if (off + len > MAX_FILE) break
    const data = Buffer.allocUnsafe(len)
    rng.fill(data, 0, len)
    plan.push({ off, data, kind: api === 'sq' ? 'none' : abortKind(rng, false) })
    cursor = off + len
  }
  for (let i = plan.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[plan[i], plan[j]] = [plan[j], plan[i]]
  }
  if (api === 'sq') {
    for (const [i, w] of plan.entries()) {
      pushRoom(r, op.write(fd, w.data, w.off, { userData: i + 1 }))
      c.ops++
    }
    const seen = new Uint8Array(plan.length + 1)
    reapAll(r, plan.length, (ud, res) => {
      check(ud >= 1 && ud <= plan.length && seen[ud] === 0, `writes(sq): CQE userData ${ud} unexpected or twice`)
      seen[ud] = 1
      eq(res, plan[ud - 1].data.length, `writes(sq): write ${ud} res`)
    }, 'writes(sq)')
  } else {
    const seg = new Segment()
    const outs: Array<Promise<Outcome<number>>> = []
    for (const w of plan) {
      const signal = seg.signal(w.kind)
      const p = api === 'os' ? uos.write(fd, w.data, w.off, { signal }) : r.run(op.write(fd, w.data, w.off), signal === undefined ? undefined : { signal })
      outs.push(c.settler.track(p))
      c.ops++
    }
    await seg.end(rng)
    for (const [i, w] of plan.entries()) {
      const o = await settle(outs[i], `writes(${api}) #${i}`)
      if (w.kind !== 'none') check(isAbort(o, seg.reason(w.kind)), `writes(${api}) #${i}: aborted before it was flushed, must reject with its AbortError`)
      else {
        check(o.ok, `writes(${api}) #${i}: rejected (${o.ok ? '' : o.error.message})`)
        eq(o.value, w.data.length, `writes(${api}) #${i}: result`)
      }
    }
  }
  for (const w of plan) if (w.kind === 'none') c.model.write(w.off, w.data)
  const disk = fs.readFileSync(c.file)
  eq(disk.length, c.model.size, `writes(${api}): file size`)
  check(disk.equals(c.model.contents()), `writes(${api}): the file differs from the model (an aborted write reached it, or a write is missing)`)
}

// Bad arguments: [what, value, code]. Each must throw from op.read() with exactly this code.
type Bad = [field: 'fd' | 'offset' | 'length' | 'bufferOffset' | 'buffer' | 'userData' | 'option', value: unknown, code: string]
const BAD: Bad[] = [
  ['fd', -1, RANGE], ['fd', 1.5, RANGE], ['fd', NaN, RANGE], ['fd', Infinity, RANGE], ['fd', 2 ** 31, RANGE],
  ['fd', '3', TYPE], ['fd', null, TYPE], ['fd', undefined, TYPE], ['fd', 3n, TYPE], ['fd', {}, TYPE],
  ['offset', -2, RANGE], ['offset', 1.5, RANGE], ['offset', NaN, RANGE], ['offset', 2 ** 53, RANGE], ['offset', -Infinity, RANGE],
  ['offset', 2n ** 63n, RANGE], ['offset', -2n, RANGE], ['offset', 'x', TYPE], ['offset', null, TYPE],
  ['length', 9, RANGE], ['length', -1, RANGE], ['length', 1.5, RANGE], ['length', 2 ** 32, RANGE], ['length', '4', TYPE],
  ['bufferOffset', 9, RANGE], ['bufferOffset', -1, RANGE], ['bufferOffset', NaN, RANGE], ['bufferOffset', '1', TYPE],
  ['buffer', 'abc', TYPE], ['buffer', 123, TYPE], ['buffer', null, TYPE], ['buffer', {}, TYPE], ['buffer', undefined, TYPE], ['buffer', [1, 2], TYPE],
  ['userData', -1, RANGE], ['userData', 1.5, RANGE], ['userData', 2 ** 53, RANGE], ['userData', 2n ** 64n, RANGE], ['userData', -1n, RANGE], ['userData', 'x', TYPE],
  ['option', 1, UNKNOWN],
]

function badArgs(fd: number, b: Bad): [unknown, unknown, unknown, Record<string, unknown>] {
  const [field, value] = b
  const args: [unknown, unknown, unknown, Record<string, unknown>] = [fd, Buffer.alloc(8), 0, {}]
  if (field === 'fd') args[0] = value
  else if (field === 'buffer') args[1] = value
  else if (field === 'offset') args[2] = value
  else if (field === 'option') args[3] = { nosuch: value }
  else args[3] = { [field]: value }
  return args
}

/** Bad arguments: thrown synchronously by op.read/sq.push, rejected by ring.run/os.read; nothing staged or lost. */
async function bad(c: Ctx, count: number, seed: number): Promise<void> {
  const r = c.r
  const rng = new Rng(seed)
  const inflight = r.inFlight
  for (let i = 0; i < count; i++) {
    const b = rng.pick(BAD)
    const [field, value, code] = b
    const what = `bad ${field} ${typeof value === 'bigint' ? `${value}n` : String(value)}`
    const [fd, buf, off, opts] = badArgs(c.fd, b)
    const read = op.read as (...a: unknown[]) => Op
    throwsExact(() => read(fd, buf, off, opts), code, `op.read with ${what}`)
    c.ops++
    // The same field changed on a good op after construction: push and run check it again.
    if (field !== 'option') {
      const good = op.read(c.fd, Buffer.alloc(8), 0)
      const key = field === 'buffer' ? 'buffer' : field
      ;(good as unknown as Record<string, unknown>)[key] = value
      throwsExact(() => r.sq.push(good), code, `sq.push of an op mutated to ${what}`)
      eq(r.sq.pending, 0, `${what}: nothing staged after the refused push`)
      await rejectsExact(c, () => r.run(good), code, `ring.run of an op mutated to ${what}`)
      c.ops += 2
    }
    // (os.read takes no userData, and null as its position means the current one.)
    if (field !== 'userData' && !(field === 'offset' && value === null)) {
      const osRead = uos.read as (...a: unknown[]) => Promise<number>
      const osOpts = field === 'option' ? { nosuch: value } : field === 'length' || field === 'bufferOffset' ? opts : undefined
      await rejectsExact(c, () => osRead(fd, buf, off, osOpts), code, `os.read with ${what}`)
      c.ops++
    }
  }
  // ring.run's own arguments.
  const which = rng.int(5)
  const runBad: Array<[() => Promise<unknown>, string]> = [
    [() => r.run({} as Op), TYPE],
    [() => r.run(op.nop(), { signal: 'x' } as never), TYPE],
    [() => r.run(op.nop(), null as never), TYPE],
    [() => r.run(op.nop(), { nosuch: 1 } as never), UNKNOWN],
    [() => r.run(op.timeout(1, { multishot: true })), 'ERR_URING_MULTISHOT'],
  ]
  await rejectsExact(c, runBad[which][0], runBad[which][1], `ring.run bad argument #${which}`)
  throwsExact(() => r.sq.push({} as Op), TYPE, 'sq.push({})')
  c.ops += 2
  eq(r.sq.pending, 0, 'bad: nothing staged')
  eq(r.inFlight, inflight, 'bad: nothing reached the kernel')
  // And the ring works.
  eq(await settle(r.run(op.nop()), 'a NOP after bad input'), 0, 'a NOP after bad input')
  c.ops++
}

/** Ops blocked for good (a FIFO nobody writes, a 60 s timeout), left in flight for later aborts or close. */
function startBg(c: Ctx, k: number, seed: number): void {
  const rng = new Rng(seed)
  const shared = new AbortController()
  for (let i = 0; i < k; i++) {
    const ac = rng.chance(0.3) ? shared : new AbortController()
    const x = rng.int(3)
    let p: Promise<unknown>
    if (x === 0) p = c.r.run(op.read(c.fifo, Buffer.alloc(16)), { signal: ac.signal })
    else if (x === 1) p = c.r.run(op.timeout(60_000), { signal: ac.signal })
    else p = uos.read(c.fifo, Buffer.alloc(16), -1, { signal: ac.signal })
    c.bg.push({ out: c.settler.track(p), ac, os: x === 2, done: false })
    c.ops++
  }
}

/** Aborts a background op's signal (and so every op sharing it): each must reject with its AbortError. */
async function abortBg(c: Ctx, seed: number): Promise<void> {
  const live = c.bg.filter((b) => !b.done)
  if (live.length === 0) return
  const rng = new Rng(seed)
  const ac = rng.pick(live).ac
  const reason = { why: 'abortBg', seed }
  if (rng.chance(0.5)) await immediate() // sometimes a tick after the ops were flushed, sometimes in it
  ac.abort(reason)
  for (const b of live) {
    if (b.ac !== ac) continue
    const o = await settle(b.out, 'abortBg')
    check(isAbort(o, reason), `abortBg: a blocked op must reject with the AbortError (${o.ok ? `resolved ${String(o.value)}` : o.error.message})`)
    b.done = true
  }
}

/** Timeouts removed (timeoutRemove) or cancelled (cancel), a FIFO read cancelled, a remove of nothing, a short timeout that fires: all through ring.sq. */
function sqCancels(c: Ctx, n: number, seed: number): void {
  const r = c.r
  const rng = new Rng(seed)
  const want = new Map<number, number[]>()
  let ud = 1
  const targets: number[] = []
  for (let i = 0; i < n; i++) {
    const u = ud++
    if (rng.chance(0.2)) {
      pushRoom(r, op.read(c.fifo, Buffer.alloc(8), -1, { userData: u }))
      want.set(u, [ECANCELED, EINTR])
    } else {
      pushRoom(r, op.timeout(60_000, { userData: u }))
      want.set(u, [ECANCELED])
    }
    targets.push(u)
    c.ops++
  }
  if (rng.chance(0.3)) {
    pushRoom(r, op.timeout(1, { userData: ud }))
    want.set(ud++, [ETIME])
    c.ops++
  }
  r.sq.submit()
  for (const u of targets) {
    const isRead = want.get(u)!.length === 2
    const viaCancel = isRead || rng.chance(0.5)
    pushRoom(r, viaCancel ? op.cancel({ userData: u }, { userData: ud }) : op.timeoutRemove(u, { userData: ud }))
    want.set(ud++, [0])
    c.ops++
  }
  pushRoom(r, op.timeoutRemove(0x7ffffff0, { userData: ud }))
  want.set(ud++, [ENOENT])
  c.ops++
  reapAll(r, want.size, (u, res) => {
    const w = want.get(u)
    check(w !== undefined, `sqCancels: CQE userData ${u} unexpected or twice`)
    check(w.includes(res), `sqCancels: op ${u} res ${res}, want ${w.join(' or ')}`)
    want.delete(u)
  }, 'sqCancels')
}

/** Registers buffers or a file; a full reserved table must give ERR_URING_TABLE_FULL. */
function register(c: Ctx, seed: number): void {
  const rng = new Rng(seed)
  const reg = c.r.registrar
  if (rng.chance(0.5)) {
    const free = BUF_SLOTS - c.bufs.length
    if (free === 0) {
      if (c.reserved) throwsExact(() => reg.registerBuffers([1]), 'ERR_URING_TABLE_FULL', 'registerBuffers into a full table')
      return
    }
    const sizes = Array.from({ length: rng.range(1, Math.min(3, free)) }, () => rng.range(1, 65536))
    const hs = reg.registerBuffers(sizes)
    eq(hs.length, sizes.length, 'registerBuffers: handles')
    for (const [i, h] of hs.entries()) {
      eq(h.size, sizes[i], 'registerBuffers: size')
      eq(h.bytes.byteLength, sizes[i], 'registerBuffers: bytes')
      c.bufs.push(h)
    }
  } else {
    if (c.files.length === FILE_SLOTS) {
      throwsExact(() => reg.registerFiles([c.fd]), 'ERR_URING_TABLE_FULL', 'registerFiles into a full table')
      return
    }
    const [h] = reg.registerFiles([c.fd])
    check(h.live, 'registerFiles: the handle is live')
    c.files.push(h)
  }
  c.ops++
}

/** Uses a stale handle: sq.push+submit throws, ring.run rejects, both with ERR_URING_STALE_HANDLE; nothing staged or in flight. */
async function useStale(c: Ctx, h: Handle, what: string): Promise<void> {
  const r = c.r
  const inflight = r.inFlight
  const make = (): Op => ('size' in h ? op.read(c.fd, h, 0, { userData: 9 }) : op.read(h, Buffer.alloc(8), 0, { userData: 9 }))
  throwsExact(() => {
    r.sq.push(make())
    r.sq.submit()
  }, STALE, `${what}: sq`)
  eq(r.sq.pending, 0, `${what}: nothing staged`)
  eq(r.inFlight, inflight, `${what}: nothing reached the kernel`)
  // The op may refuse the handle where it is made (a handle of a closed ring) or where it is
  // staged; ring.run itself rejects, never throws.
  let o: Op | undefined
  try {
    o = make()
  } catch (e) {
    eq((e as { code?: unknown }).code, STALE, `${what}: the op refused the handle (${(e as Error).message})`)
  }
  if (o !== undefined) await rejectsExact(c, () => r.run(o), STALE, `${what}: ring.run`)
  if (!('size' in h)) check(!h.live, `${what}: handle.live is false`)
  c.ops += 2
}

async function unregister(c: Ctx, seed: number): Promise<void> {
  const rng = new Rng(seed)
  if (c.bufs.length + c.files.length === 0) register(c, seed)
  const pool: Handle[] = [...c.bufs, ...c.files]
  if (pool.length === 0) return
  const h = rng.pick(pool)
  c.r.registrar.unregister(h)
  c.bufs = c.bufs.filter((x) => x !== h)
  c.files = c.files.filter((x) => x !== h)
  c.stale.push(h)
  c.ops++
  await useStale(c, h, 'a handle just unregistered')
  throwsExact(() => c.r.registrar.unregister(h), STALE, 'unregister twice')
}

/** ring.run ops and ring.sq ops in one tick, sq.submit() in it, stale handles on either side. */
async function mix(c: Ctx, seed: number): Promise<void> {
  const r = c.r
  const rng = new Rng(seed)
  const k = rng.range(1, 8)
  const mem = Buffer.alloc(k * 64, SENTINEL)
  const reads: Array<{ off: number; out: Promise<Outcome<number>> }> = []
  for (let i = 0; i < k; i++) {
    const off = rng.int(c.model.size + 64)
    reads.push({ off, out: c.settler.track(r.run(op.read(c.fd, mem, off, { bufferOffset: i * 64, length: 64 }))) })
    c.ops++
  }
  // A run whose registered buffer is unregistered before the tick's flush: it alone fails.
  let doomed: Promise<Outcome<number>> | undefined
  if (c.bufs.length > 0 && rng.chance(0.5)) {
    const h = rng.pick(c.bufs)
    doomed = c.settler.track(r.run(op.read(c.fd, h, 0)))
    c.r.registrar.unregister(h)
    c.bufs = c.bufs.filter((x) => x !== h)
    c.stale.push(h)
    c.ops++
  }
  const m = Math.min(rng.range(0, 8), r.sq.space)
  for (let i = 0; i < m; i++) r.sq.push(op.nop({ userData: 100 + i }))
  c.ops += m
  let staleSq = false
  if (c.stale.length > 0 && r.sq.space > 0 && rng.chance(0.5)) {
    const h = rng.pick(c.stale)
    c.ops++
    try {
      // Made and pushed fine for a handle unregistered from this ring (the submit refuses it);
      // a handle of a closed ring is refused where the op is made or pushed.
      r.sq.push('size' in h ? op.read(c.fd, h, 0, { userData: 99 }) : op.read(h, Buffer.alloc(8), 0, { userData: 99 }))
      staleSq = true
    } catch (e) {
      eq((e as { code?: unknown }).code, STALE, `mix: a stale handle refused before the submit (${(e as Error).message})`)
    }
  }
  if (staleSq) throwsExact(() => r.sq.submit(), STALE, 'mix: sq.submit with a stale sq op')
  else r.sq.submit()
  for (const [i, x] of reads.entries()) {
    const o = await settle(x.out, `mix: run #${i}`)
    check(o.ok, `mix: run #${i} rejected (${o.ok ? '' : o.error.message}): an sq.submit() in its tick must not take it down`)
    const want = c.model.read(x.off, 64)
    eq(o.value, want.length, `mix: run #${i} result`)
    check(mem.subarray(i * 64, i * 64 + want.length).equals(want), `mix: run #${i} bytes`)
  }
  if (doomed !== undefined) {
    const o = await settle(doomed, 'mix: the run with a buffer unregistered in its tick')
    check(!o.ok && o.error.code === STALE, `mix: the run with a buffer unregistered in its tick must reject with ${STALE} (${o.ok ? `resolved ${o.value}` : o.error.message})`)
  }
  const cqes: number[] = []
  if (!staleSq && m > 0) reapAll(r, m, (u, res) => {
    eq(res, 0, 'mix: sq NOP res')
    cqes.push(u)
  }, 'mix')
  cqes.sort((a, b) => a - b)
  eq(cqes.join(), staleSq ? '' : Array.from({ length: m }, (_, i) => 100 + i).join(), 'mix: the sq CQEs (none when the sq batch was refused)')
}

/** ring.close() with ops in flight, staged and queued: all reject ERR_URING_CLOSED, later calls too; then a new ring. */
async function closeRing(c: Ctx, seed: number): Promise<void> {
  const old = c.r
  const rng = new Rng(seed)
  const pending: Array<Promise<Outcome<number>>> = []
  const k = rng.range(0, 2 * old.sq.entries + 2) // more than the SQ: some wait in the driver's queue
  for (let i = 0; i < k; i++) {
    pending.push(c.settler.track(old.run(rng.chance(0.5) ? op.nop() : op.read(c.fd, Buffer.alloc(16), rng.int(c.model.size + 16)))))
    c.ops++
  }
  if (rng.chance(0.5)) await immediate() // or close while they are still staged
  const before = old.inFlight
  const out = old.close()
  c.ops++
  if (k === 0) eq(out.cancelled, before, 'close: cancelled is what was in flight')
  for (const [i, p] of pending.entries()) {
    const o = await settle(p, `close: pending #${i}`)
    // Ops flushed before the close completed (NOPs and cached reads complete at submit).
    if (!o.ok) eq(o.error.code, CLOSED, `close: pending #${i}`)
  }
  for (const b of c.bg) {
    if (b.done || b.os) continue
    const o = await settle(b.out, 'close: a blocked op')
    check(!o.ok && o.error.code === CLOSED, `close: a blocked op must reject with ${CLOSED} (${o.ok ? 'resolved' : o.error.message})`)
    b.done = true
  }
  check(old.closed, 'close: ring.closed')
  eq(old.inFlight, 0, 'close: inFlight')
  await rejectsExact(c, () => old.run(op.nop()), CLOSED, 'run after close')
  throwsExact(() => old.sq.push(op.nop()), CLOSED, 'sq.push after close')
  throwsExact(() => old.sq.submit(), CLOSED, 'sq.submit after close')
  throwsExact(() => old.registrar.registerBuffers([1]), CLOSED, 'registerBuffers after close')
  eq(old.close().cancelled, 0, 'close twice')
  c.ops += 4
  for (const h of c.bufs) void h.bytes[0] // still readable: the memory lives while a view does
  for (const h of c.files) check(!h.live, 'close: a file handle of the closed ring is not live')
  c.stale.push(...c.bufs, ...c.files)
  openRing(c, rng)
  // Handles of the closed ring are stale on the new one.
  if (c.stale.length > 0) await useStale(c, rng.pick(c.stale), 'a handle of a closed ring, on the new ring')
}

// ---- the property ------------------------------------------------------------------------------

/** Per action kind: how many ran, their ops, their time (shown by t.log). */
const STATS: Record<string, { ms: number; ops: number; n: number }> = {}

type Action =
  | { k: 'sqNops'; n: number; seed: number }
  | { k: 'sqReads'; n: number; seed: number }
  | { k: 'runReads'; n: number; seed: number; os: boolean }
  | { k: 'writes'; n: number; seed: number; api: 'sq' | 'run' | 'os' }
  | { k: 'bad'; n: number; seed: number }
  | { k: 'bg'; n: number; seed: number }
  | { k: 'abortBg'; seed: number }
  | { k: 'sqCancels'; n: number; seed: number }
  | { k: 'register'; seed: number }
  | { k: 'unregister'; seed: number }
  | { k: 'stale'; seed: number }
  | { k: 'mix'; seed: number }
  | { k: 'close'; seed: number }

const seed = fc.integer({ min: 0, max: 0x7fffffff })
const bulk = (max: number) => fc.integer({ min: 1, max })
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('sqNops' as const), n: bulk(6000), seed }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('sqReads' as const), n: bulk(3000), seed }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('runReads' as const), n: bulk(3000), seed, os: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('writes' as const), n: bulk(48), seed, api: fc.constantFrom('sq' as const, 'run' as const, 'os' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('bad' as const), n: bulk(6), seed }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('bg' as const), n: bulk(4), seed }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('abortBg' as const), seed }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('sqCancels' as const), n: bulk(12), seed }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('register' as const), seed }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('unregister' as const), seed }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('stale' as const), seed }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('mix' as const), seed }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), seed }) },
)
const runArb = fc.record({
  seed,
  fileSize: fc.integer({ min: 0, max: 65536 }),
  actions: fc.array(actionArb, { minLength: 1, maxLength: 30 }),
})
type RunSpec = { seed: number; fileSize: number; actions: Action[] }

async function apply(c: Ctx, a: Action): Promise<void> {
  switch (a.k) {
    case 'sqNops':
      return sqNops(c, a.n, a.seed)
    case 'sqReads':
      return sqReads(c, a.n, a.seed)
    case 'runReads':
      return runReads(c, a.n, a.seed, a.os ? 'os' : 'run')
    case 'writes':
      return writes(c, a.n, a.seed, a.api)
    case 'bad':
      return bad(c, a.n, a.seed)
    case 'bg':
      return startBg(c, a.n, a.seed)
    case 'abortBg':
      return abortBg(c, a.seed)
    case 'sqCancels':
      return sqCancels(c, a.n, a.seed)
    case 'register':
      return register(c, a.seed)
    case 'unregister':
      return unregister(c, a.seed)
    case 'stale':
      if (c.stale.length === 0) return unregister(c, a.seed)
      return useStale(c, new Rng(a.seed).pick(c.stale), 'a stale handle')
    case 'mix':
      return mix(c, a.seed)
    case 'close':
      return closeRing(c, a.seed)
  }
}

/** One fast-check run: a fresh ring, file and FIFO; the actions; checks; everything closed. */
async function runOne(dir: string, fifoPath: string, spec: RunSpec, total: { ops: number }): Promise<void> {
  const fdsBefore = openFds()
  const rng = new Rng(spec.seed)
  const initial = Buffer.allocUnsafe(spec.fileSize)
  rng.fill(initial, 0, initial.length)
  const file = path.join(dir, 'data')
  fs.writeFileSync(file, initial)
  const c: Ctx = {
    r: undefined as unknown as Ring,
    fd: fs.openSync(file, 'r+'),
    fifo: fs.openSync(fifoPath, fs.constants.O_RDWR),
    file,
    model: new FileModel(initial),
    settler: new Settler(),
    bufs: [],
    files: [],
    stale: [],
    bg: [],
    reserved: false,
    ops: 0,
  }
  let ok = false
  try {
    openRing(c, rng)
    for (const [i, a] of spec.actions.entries()) {
      try {
        const t0 = performance.now()
        const ops0 = c.ops
        await apply(c, a)
        const st = (STATS[a.k] ??= { ms: 0, ops: 0, n: 0 })
        st.ms += performance.now() - t0
        st.ops += c.ops - ops0
        st.n++
        // After every action: no stray CQE, nothing staged, every promise settled but the blocked
        // ones, and inFlight back to those.
        const stray = c.r.cq.drain()
        check(stray.length === 0, `stray CQEs on ring.cq: ${JSON.stringify(stray)}`)
        eq(c.r.sq.pending, 0, 'sq.pending')
        eq(c.settler.pending, liveBg(c, false) + liveBg(c, true), 'promises not settled (besides the blocked ones)')
        await inFlightIs(c.r, liveBg(c, false), 'after the action')
        await inFlightIs(uos.ring(), liveBg(c, true), 'uring/os ring, after the action')
      } catch (e) {
        if (e instanceof Error) e.message = `action #${i} ${JSON.stringify(a)}: ${e.message}`
        throw e
      }
    }
    // The end: abort whatever is blocked; it all settles; nothing in flight.
    const ac = new Set(c.bg.filter((b) => !b.done).map((b) => b.ac))
    for (const a of ac) a.abort('end')
    for (const b of c.bg) {
      if (b.done) continue
      const o = await settle(b.out, 'the end: a blocked op')
      check(isAbort(o, 'end'), `the end: a blocked op must reject with the AbortError (${o.ok ? 'resolved' : o.error.message})`)
      b.done = true
    }
    eq(c.settler.pending, 0, 'the end: promises not settled')
    await inFlightIs(c.r, 0, 'the end')
    await inFlightIs(uos.ring(), 0, 'the end (uring/os ring)')
    ok = true
  } finally {
    // On a failure, abort the blocked ops of the os ring too (the test ring's close rejects its own).
    for (const b of c.bg) if (!b.done) b.ac.abort('cleanup')
    c.r?.close()
    await Promise.all(c.bg.map((b) => b.out))
    // A ring closed from a promise reaction inside a wakeup frees its eventfd when that wakeup's
    // callback returns: let it, before the next run takes its fd baseline.
    await immediate()
    fs.closeSync(c.fd)
    fs.closeSync(c.fifo)
    total.ops += c.ops
  }
  if (ok) {
    const now = openFds()
    const extra = now.filter((x) => !fdsBefore.includes(x))
    const gone = fdsBefore.filter((x) => !now.includes(x))
    check(extra.length === 0 && gone.length === 0, `fds after the run differ from before: new ${extra.join(', ') || 'none'}; gone ${gone.join(', ') || 'none'}`)
  }
}

function envInt(name: string, dflt: number): number {
  const v = process.env[name]
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${v} is not a non-negative integer`)
  return n
}

const TARGET = envInt('URING_FUZZ_OPS', 1_000_000)
const SEED = envInt('URING_FUZZ_SEED', 0x5eed9)
const REPLAY_PATH = process.env.URING_FUZZ_PATH
const RUNS_PER_ROUND = 16

const fuzzTest = kernelAtLeast('5.19') ? test.serial : test.serial.skip
fuzzTest(`fuzz: random op sequences over real rings, the driver and uring/os against a model (${TARGET} ops at least, seed ${SEED})`, async (t: ExecutionContext) => {
  t.timeout(30 * 60_000)
  const dir = tempDir(t)
  const fifoPath = path.join(dir, 'fifo')
  execFileSync('mkfifo', [fifoPath])
  // The default ring of uring/os and its driver (an eventfd) exist before the fd baseline of each run.
  await uos.ring().run(op.nop())
  const total = { ops: 0 }
  const started = Date.now()
  let rounds = 0
  for (let s = SEED; total.ops < TARGET || rounds === 0; s++) {
    const prop = fc.asyncProperty(runArb, (spec) => runOne(dir, fifoPath, spec, total))
    const details = await fc.check(prop, REPLAY_PATH !== undefined ? { seed: s, path: REPLAY_PATH, numRuns: 1, endOnFailure: true } : { seed: s, numRuns: RUNS_PER_ROUND })
    rounds++
    if (details.failed) {
      const replay = `URING_FUZZ_SEED=${details.seed} URING_FUZZ_PATH=${details.counterexamplePath ?? ''} npx ava __test__/fuzz.spec.ts`
      t.log(`replay: ${replay}`)
      t.fail(`fuzz failed (round seed ${details.seed}, path ${details.counterexamplePath}); replay with:
  ${replay}

${fc.defaultReportMessage(details)}\n\nerror: ${String((details.errorInstance as Error | undefined)?.stack ?? details.errorInstance)}`)
      return
    }
    if (REPLAY_PATH !== undefined) break
  }
  t.log(`${total.ops} ops in ${rounds} rounds of ${RUNS_PER_ROUND} fast-check runs (seeds ${SEED}..${SEED + rounds - 1}), ${((Date.now() - started) / 1000).toFixed(1)} s`)
  t.log(Object.entries(STATS).map(([k, v]) => `${k}: ${v.n} actions, ${v.ops} ops, ${Math.round(v.ms)} ms`).join('; '))
  t.true(total.ops >= TARGET || REPLAY_PATH !== undefined, `at least ${TARGET} ops ran`)
})

// ---- regressions found by the fuzz (plain tests, so they run whatever the seed) ---------------

test.serial('regression: ring.sq.submit() refused for an sq op keeps the ring.run ops of the same tick (they settle, with their bytes)', async (t) => {
  const fd = fs.openSync(tmpFile(t, 'hello world'), 'r')
  t.teardown(() => fs.closeSync(fd))
  const r = ring(t, { entries: 8 })
  const [b] = r.registrar.registerBuffers([64])
  const stale = op.read(fd, b, 0, { userData: 1 })
  r.registrar.unregister(b)
  const into = Buffer.alloc(5)
  const p = tracker(r.run(op.read(fd, into, 0)))
  r.sq.push(stale)
  throwsCode(t, () => r.sq.submit(), 'ERR_URING_STALE_HANDLE', 'the sq batch with a stale handle')
  // Before the fix the run's entry was dropped with the sq batch: its promise never settled and
  // its slot went to the next op (whose CQE could then settle it with a foreign result).
  t.is(await p.promise, 5)
  t.is(into.toString(), 'hello')
  r.sq.push(op.nop({ userData: 77 }))
  r.sq.submitAndWait(1)
  t.deepEqual(r.cq.drain().map((c) => [c.userData, c.res]), [[77, 0]], 'the sq NOP completes on ring.cq, not into a promise')
  t.is(r.inFlight, 0)
})

test.serial('regression: a ring.run op refused at ring.sq.submit() (stale handle) fails alone; the sq ops of the batch go', async (t) => {
  const fd = fs.openSync(tmpFile(t, 'hello world'), 'r')
  t.teardown(() => fs.closeSync(fd))
  const r = ring(t, { entries: 8 })
  const [b] = r.registrar.registerBuffers([64])
  const bad = tracker(r.run(op.read(fd, b, 0)))
  const into = Buffer.alloc(5)
  const good = tracker(r.run(op.read(fd, into, 6)))
  r.registrar.unregister(b)
  r.sq.push(op.nop({ userData: 5 }))
  t.is(r.sq.submitAndWait(1), 2, 'the sq NOP and the good run go; the stale run is taken out')
  t.deepEqual(r.cq.drain().map((c) => [c.userData, c.res]), [[5, 0]])
  const e = await t.throwsAsync(bad.promise)
  t.is((e as Error & { code?: string }).code, 'ERR_URING_STALE_HANDLE')
  t.is(await good.promise, 5)
  t.is(into.toString(), 'world')
  t.is(r.inFlight, 0)
})

test.serial('regression: sq.submitAndWait(n) counts the sq CQEs the driver already read out for ring.cq (it waited for ever for them)', (t) => {
  // In a child process: before the fix the wait below never returned (no timeout given), and a
  // blocked thread cannot fail an ava timeout; spawnSync's timeout is the hang guard.
  const script = `
    const { Ring, op } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))})
    ;(async () => {
      const r = new Ring({ entries: 8 })
      const p = r.run(op.nop())
      r.sq.push(op.nop({ userData: 5 }))
      r.sq.submit()
      await p // the driver's reap read the sq NOP's CQE too, and kept it for ring.cq
      r.sq.submitAndWait(1)
      console.log(JSON.stringify(r.cq.drain().map((c) => [c.userData, c.res])), r.inFlight)
      r.close()
    })()`
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 })
  t.is(out.signal, null, `the child hung in submitAndWait (killed by ${out.signal}); stderr: ${out.stderr}`)
  t.is(out.status, 0, out.stderr)
  t.is(out.stdout.trim(), '[[5,0]] 0')
})
