/**
 * Control ops: poll, timeouts, cancellation, msg_ring, futexes, waitid, epoll, provided
 * buffers (see `op` in ops.ts).
 *
 * Ops that target another op (cancel, pollRemove/pollUpdate, timeoutRemove/timeoutUpdate) name
 * it by `userData`; the ring resolves that to the op's slot when the op is pushed. The target
 * must be in flight (pushed before, in this batch or an earlier one); otherwise the CQE has
 * -ENOENT (never an exception). When several ops in flight share a userData, the one in the
 * lowest slot is the target (slots are reused, so not necessarily the first pushed): one op,
 * never several.
 */
import * as os from 'node:os'
import { BufferLike, invalidType, outOfRange, UringError, validateBoolean, validateBuffer, validateFd, validateInteger, validateObject } from './errors'
import { RegisteredFd, checkHandle } from './registrar'
import type { RegistrarHost } from './registrar'
import type { Ring } from './ring'
import { F, Opcode, FdLike, Op, OpOptions, COMMON, NOP_KEYS, KernelOpName, check, checkFdArg, encodeFd, needKernel, resultOf, targetSlot } from './opbase'
import { opInfo } from './probe'

// ---- shared helpers (not exported) -------------------------------------------------------------

function keys(...own: string[]): Set<string> {
  return new Set<string>([...COMMON, ...own])
}

function bool(v: unknown, name: string): boolean {
  return v === undefined ? false : validateBoolean(v, name)
}

/** A time: milliseconds (fractions allowed), or a timespec `{ sec, nsec }`. */
export type TimeSpec = number | { sec: number; nsec?: number }

/** `t` as [seconds, nanoseconds]; NaN, negative or infinite milliseconds are ERR_OUT_OF_RANGE. */
function timespec(t: unknown, name: string): [number, number] {
  if (typeof t === 'number') {
    if (!Number.isFinite(t) || t < 0) throw outOfRange(name, 'a finite number of milliseconds >= 0', t)
    let sec = Math.floor(t / 1000)
    let nsec = Math.round((t - sec * 1000) * 1e6)
    if (nsec >= 1e9) {
      sec += 1
      nsec -= 1e9
    }
    if (sec > Number.MAX_SAFE_INTEGER) throw outOfRange(name, `<= ${Number.MAX_SAFE_INTEGER * 1000} ms`, t)
    return [sec, nsec]
  }
  if (typeof t === 'object' && t !== null && !Array.isArray(t)) {
    const o = t as { sec?: unknown; nsec?: unknown }
    for (const k of Object.keys(o)) {
      if (k !== 'sec' && k !== 'nsec') throw new UringError('ERR_URING_UNKNOWN_OPTION', `"${name}.${k}" is not a timespec field (sec, nsec)`)
    }
    const sec = validateInteger(o.sec, `${name}.sec`, 0, Number.MAX_SAFE_INTEGER)
    const nsec = o.nsec === undefined ? 0 : validateInteger(o.nsec, `${name}.nsec`, 0, 999_999_999)
    return [sec, nsec]
  }
  throw invalidType(name, 'a number of milliseconds or a { sec, nsec } object', t)
}

/** IORING_TIMEOUT_* bits. */
const TIMEOUT_ABS = 1 << 0
const TIMEOUT_UPDATE = 1 << 1
const TIMEOUT_BOOTTIME = 1 << 2
const TIMEOUT_REALTIME = 1 << 3
const LINK_TIMEOUT_UPDATE = 1 << 4
const TIMEOUT_ETIME_SUCCESS = 1 << 5
const TIMEOUT_MULTISHOT = 1 << 6

/** The clock a timeout counts on: CLOCK_MONOTONIC (default), CLOCK_BOOTTIME, CLOCK_REALTIME. */
export type TimeoutClock = 'monotonic' | 'boottime' | 'realtime'

/** ABS and clock bits of a timeout's options. */
function clockFlags(absolute: unknown, clock: unknown): number {
  let f = bool(absolute, 'options.absolute') ? TIMEOUT_ABS : 0
  if (clock === undefined || clock === 'monotonic') return f
  if (clock === 'boottime') f |= TIMEOUT_BOOTTIME
  else if (clock === 'realtime') f |= TIMEOUT_REALTIME
  else throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "options.clock" must be 'monotonic', 'boottime' or 'realtime'. Received ${String(clock)}`)
  needKernel('5.15', `a timeout on the ${clock} clock`)
  return f
}

function stageTime(s: Float64Array, at: number, t: TimeSpec, name: string): void {
  const [sec, nsec] = timespec(t, name)
  s[at + F.BUF_OFF] = sec
  s[at + F.LEN] = nsec
}

/** A userData naming the op to act on (a number or bigint, like `options.userData`). */
function checkTarget(ud: unknown, name = 'targetUserData'): number | bigint {
  if (typeof ud === 'bigint') {
    if (ud < 0n || ud >= 1n << 64n) throw outOfRange(name, '>= 0n && <= 2n ** 64n - 1n', ud)
    return ud
  }
  if (typeof ud !== 'number') throw invalidType(name, 'of type number or bigint', ud)
  if (!Number.isSafeInteger(ud) || ud < 0) throw outOfRange(name, 'a safe integer >= 0 (or a bigint)', ud)
  return ud
}

// ---- poll ---------------------------------------------------------------------------------------

/** poll(2) events by name. */
export type PollEvent = 'in' | 'out' | 'pri' | 'err' | 'hup' | 'rdhup'

const POLL_BITS: Readonly<Record<PollEvent, number>> = { in: 0x1, pri: 0x2, out: 0x4, err: 0x8, hup: 0x10, rdhup: 0x2000 }
/** Bits a numeric mask may have: the poll(2) bits and EPOLLEXCLUSIVE. */
const POLL_MASK = 0xffff | 0x10000000

function pollMask(events: unknown, name: string, table: Readonly<Record<string, number>> = POLL_BITS, allowed = POLL_MASK): number {
  if (typeof events === 'number') {
    validateInteger(events, name, 0, 0xffffffff)
    if ((events & ~allowed) !== 0) throw outOfRange(name, `a mask of bits in 0x${(allowed >>> 0).toString(16)}`, events)
    return events >>> 0
  }
  if (!Array.isArray(events)) throw invalidType(name, `an array of event names (${Object.keys(table).join(', ')}) or a number mask`, events)
  let m = 0
  for (let i = 0; i < events.length; i++) {
    const bit = typeof events[i] === 'string' ? table[events[i] as string] : undefined
    if (bit === undefined) throw new UringError('ERR_INVALID_ARG_VALUE', `${name}[${i}] must be one of ${Object.keys(table).join(', ')}. Received ${String(events[i])}`)
    m |= bit
  }
  return m >>> 0
}

/** What a poll CQE reports: the raw mask and the named events in it. */
export interface PollResult {
  mask: number
  events: PollEvent[]
}

/** Options of pollAdd. */
export interface PollOptions extends OpOptions {
  /** IORING_POLL_ADD_MULTI (5.13): post a CQE (with `cqe.more`) every time the fd becomes ready, until removed. */
  multishot?: boolean
}

const POLL_KEYS = keys('multishot')

/**
 * IORING_OP_POLL_ADD (5.1): waits until `fd` is ready for `events`; `res` is the mask of events
 * that fired (`decode()` names them). One-shot unless `multishot` (5.13).
 *
 * Words: FD fd (RegisteredFd: FX_FD), OP_FLAGS events, LEN 1 = multishot.
 */
export class PollAdd extends Op {
  readonly opcode = Opcode.POLL_ADD
  readonly name = 'pollAdd'
  fd: FdLike
  events: readonly PollEvent[] | number
  multishot = false
  constructor(fd: FdLike, events: readonly PollEvent[] | number, options?: PollOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.events = events
    this.applyOptions(options, POLL_KEYS)
    this.multishot = bool(options?.multishot, 'options.multishot')
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = pollMask(this.events, 'events')
    if (validateBoolean(this.multishot, 'multishot')) {
      needKernel('5.13', 'multishot poll (IORING_POLL_ADD_MULTI)')
      s[at + F.LEN] = 1
    }
  }
  /** The events that fired (throws a CqeError for a failed CQE, e.g. ECANCELED after pollRemove). */
  decode(cqe: { res: number }): PollResult {
    const mask = resultOf(cqe, this.name)
    return { mask, events: (Object.keys(POLL_BITS) as PollEvent[]).filter((k) => (mask & POLL_BITS[k]) !== 0) }
  }
}

/**
 * IORING_OP_POLL_REMOVE (5.1): removes the poll whose userData is `targetUserData`; `res` 0, or
 * -ENOENT when no such poll is in flight. The removed poll completes with -ECANCELED.
 *
 * Words: AUX target slot (-1: none).
 */
export class PollRemove extends Op {
  readonly opcode = Opcode.POLL_REMOVE
  readonly name = 'pollRemove'
  targetUserData: number | bigint
  constructor(targetUserData: number | bigint, options?: OpOptions) {
    super()
    this.targetUserData = checkTarget(targetUserData)
    this.applyOptions(options, NOP_KEYS)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    s[at + F.AUX] = targetSlot(host, checkTarget(this.targetUserData))
  }
}

const POLL_UPDATE_EVENTS = 2
const POLL_ADD_MULTI = 1

/**
 * IORING_OP_POLL_REMOVE with IORING_POLL_UPDATE_EVENTS (5.13): changes the events an in-flight
 * poll waits for (and with `multishot`, makes it multishot). `res` 0 or -ENOENT. The poll keeps
 * its userData.
 *
 * Words: AUX target slot, OP_FLAGS new events, LEN IORING_POLL_UPDATE_EVENTS (| ADD_MULTI).
 */
export class PollUpdate extends Op {
  readonly opcode = Opcode.POLL_REMOVE
  readonly name = 'pollRemove'
  targetUserData: number | bigint
  events: readonly PollEvent[] | number
  multishot = false
  constructor(targetUserData: number | bigint, events: readonly PollEvent[] | number, options?: PollOptions) {
    super()
    this.targetUserData = checkTarget(targetUserData)
    this.events = events
    this.applyOptions(options, POLL_KEYS)
    this.multishot = bool(options?.multishot, 'options.multishot')
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    needKernel('5.13', 'poll update (IORING_POLL_UPDATE_EVENTS)')
    s[at + F.AUX] = targetSlot(host, checkTarget(this.targetUserData))
    s[at + F.OP_FLAGS] = pollMask(this.events, 'events')
    s[at + F.LEN] = POLL_UPDATE_EVENTS | (validateBoolean(this.multishot, 'multishot') ? POLL_ADD_MULTI : 0)
  }
}

// ---- timeouts -----------------------------------------------------------------------------------

/** Options of timeout. */
export interface TimeoutOptions extends OpOptions {
  /** Complete (res 0) once this many other CQEs have been posted, if that comes first. Default 0: only the time. */
  count?: number
  /** The time is an absolute point on `clock`, not a duration. */
  absolute?: boolean
  /** The clock (5.15 for boottime / realtime). Default monotonic (the clock of `process.hrtime`). */
  clock?: TimeoutClock
  /**
   * IORING_TIMEOUT_MULTISHOT (6.4): fire every interval, each CQE with -ETIME and `cqe.more`:
   * `true` until removed, or a number of times. Not with `count` or `absolute`.
   */
  multishot?: boolean | number
  /** IORING_TIMEOUT_ETIME_SUCCESS (5.16): expiring does not fail (cancel) the rest of a link chain. */
  etimeSuccess?: boolean
}

const TIMEOUT_KEYS = keys('count', 'absolute', 'clock', 'multishot', 'etimeSuccess')

/**
 * IORING_OP_TIMEOUT (5.4): completes with -ETIME when the time passes, or with 0 when `count`
 * other completions came first (or -ECANCELED when removed).
 *
 * Words: BUF_OFF seconds, LEN nanoseconds (the slot's timespec), OP_FLAGS IORING_TIMEOUT_*,
 * OFF_LO count (with multishot: how many times; 0 = until removed).
 */
export class Timeout extends Op {
  readonly opcode = Opcode.TIMEOUT
  readonly name = 'timeout'
  time: TimeSpec
  count = 0
  absolute = false
  clock: TimeoutClock = 'monotonic'
  multishot: boolean | number = false
  etimeSuccess = false
  constructor(time: TimeSpec, options?: TimeoutOptions) {
    super()
    this.time = time
    this.applyOptions(options, TIMEOUT_KEYS)
    if (options?.count !== undefined) this.count = options.count
    this.absolute = bool(options?.absolute, 'options.absolute')
    if (options?.clock !== undefined) this.clock = options.clock
    if (options?.multishot !== undefined) this.multishot = options.multishot
    this.etimeSuccess = bool(options?.etimeSuccess, 'options.etimeSuccess')
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number): void {
    stageTime(s, at, this.time, 'time')
    let f = clockFlags(this.absolute, this.clock)
    let count = validateInteger(this.count, 'count', 0, 0xffffffff)
    const m = this.multishot
    if (m !== false) {
      if (m !== true) validateInteger(m, 'multishot', 1, 0xffffffff)
      needKernel('6.4', 'a multishot timeout (IORING_TIMEOUT_MULTISHOT)')
      if (count !== 0) throw new UringError('ERR_INVALID_ARG_VALUE', 'a multishot timeout takes no count (multishot: n fires n times)')
      if ((f & TIMEOUT_ABS) !== 0) throw new UringError('ERR_INVALID_ARG_VALUE', 'a multishot timeout is relative: it cannot be absolute')
      f |= TIMEOUT_MULTISHOT
      count = m === true ? 0 : m
    }
    if (validateBoolean(this.etimeSuccess, 'etimeSuccess')) {
      needKernel('5.16', 'etimeSuccess (IORING_TIMEOUT_ETIME_SUCCESS)')
      f |= TIMEOUT_ETIME_SUCCESS
    }
    s[at + F.OP_FLAGS] = f
    s[at + F.OFF_LO] = count
  }
}

/**
 * IORING_OP_TIMEOUT_REMOVE (5.5): removes the timeout whose userData is `targetUserData`; `res`
 * 0, -ENOENT (no such timeout in flight) or -EALREADY (it is expiring). The removed timeout
 * completes with -ECANCELED.
 *
 * A multishot timeout is off the kernel's timeout list from its timer firing until its task work
 * posts that fire's CQE and re-arms it (the next io_uring_enter that waits): a removal (or an
 * asyncCancel) in that window gets -ENOENT while the timeout stays in flight. Send it again after
 * reaping; `ring.stream()` does that for you when you leave the loop.
 *
 * Words: AUX target slot (-1: none), OP_FLAGS 0.
 */
export class TimeoutRemove extends Op {
  readonly opcode = Opcode.TIMEOUT_REMOVE
  readonly name = 'timeoutRemove'
  targetUserData: number | bigint
  constructor(targetUserData: number | bigint, options?: OpOptions) {
    super()
    this.targetUserData = checkTarget(targetUserData)
    this.applyOptions(options, NOP_KEYS)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    s[at + F.AUX] = targetSlot(host, checkTarget(this.targetUserData))
  }
}

/** Options of timeoutUpdate. */
export interface TimeoutUpdateOptions extends OpOptions {
  absolute?: boolean
  clock?: TimeoutClock
  /** The target is a link timeout (IORING_LINK_TIMEOUT_UPDATE, 5.15), not a timeout. */
  linkTimeout?: boolean
}

const TIMEOUT_UPDATE_KEYS = keys('absolute', 'clock', 'linkTimeout')

/**
 * IORING_OP_TIMEOUT_REMOVE with IORING_TIMEOUT_UPDATE (5.11): gives an in-flight timeout (or,
 * with `linkTimeout`, link timeout) a new time, counted from now. `res` 0 or -ENOENT.
 *
 * Words: AUX target slot, BUF_OFF seconds, LEN nanoseconds, OP_FLAGS UPDATE (| LINK_TIMEOUT_UPDATE),
 * with ABS and a clock.
 */
export class TimeoutUpdate extends Op {
  readonly opcode = Opcode.TIMEOUT_REMOVE
  readonly name = 'timeoutRemove'
  targetUserData: number | bigint
  time: TimeSpec
  absolute = false
  clock: TimeoutClock = 'monotonic'
  linkTimeout = false
  constructor(targetUserData: number | bigint, time: TimeSpec, options?: TimeoutUpdateOptions) {
    super()
    this.targetUserData = checkTarget(targetUserData)
    this.time = time
    this.applyOptions(options, TIMEOUT_UPDATE_KEYS)
    this.absolute = bool(options?.absolute, 'options.absolute')
    if (options?.clock !== undefined) this.clock = options.clock
    this.linkTimeout = bool(options?.linkTimeout, 'options.linkTimeout')
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    const link = validateBoolean(this.linkTimeout, 'linkTimeout')
    if (link) needKernel('5.15', 'updating a link timeout (IORING_LINK_TIMEOUT_UPDATE)')
    else needKernel('5.11', 'timeoutUpdate (IORING_TIMEOUT_UPDATE)')
    stageTime(s, at, this.time, 'time')
    // The kernel takes the update path on TIMEOUT_UPDATE; LINK_TIMEOUT_UPDATE says of which kind.
    s[at + F.OP_FLAGS] = clockFlags(this.absolute, this.clock) | TIMEOUT_UPDATE | (link ? LINK_TIMEOUT_UPDATE : 0)
    s[at + F.AUX] = targetSlot(host, checkTarget(this.targetUserData))
  }
}

/** Options of linkTimeout. */
export interface LinkTimeoutOptions extends OpOptions {
  absolute?: boolean
  clock?: TimeoutClock
}

const LINK_TIMEOUT_KEYS = keys('absolute', 'clock')

/**
 * IORING_OP_LINK_TIMEOUT (5.5): bounds the op right before it in a link chain
 * (`ring.sq.pushLinked([op, op.linkTimeout(50)])`). If the time passes first, the op is
 * cancelled (-ECANCELED, -EINTR for some) and this CQE has -ETIME; if the op completes first,
 * this CQE has -ECANCELED. Alone (not after a linked op) it fails with -EINVAL.
 *
 * Words: BUF_OFF seconds, LEN nanoseconds, OP_FLAGS ABS and a clock.
 */
export class LinkTimeout extends Op {
  readonly opcode = Opcode.LINK_TIMEOUT
  readonly name = 'linkTimeout'
  time: TimeSpec
  absolute = false
  clock: TimeoutClock = 'monotonic'
  constructor(time: TimeSpec, options?: LinkTimeoutOptions) {
    super()
    this.time = time
    this.applyOptions(options, LINK_TIMEOUT_KEYS)
    this.absolute = bool(options?.absolute, 'options.absolute')
    if (options?.clock !== undefined) this.clock = options.clock
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number): void {
    stageTime(s, at, this.time, 'time')
    s[at + F.OP_FLAGS] = clockFlags(this.absolute, this.clock)
  }
}

// ---- cancel -------------------------------------------------------------------------------------

/** camelCase of a kernel op name ('READ_FIXED' -> 'readFixed'): uring's op names. */
type CamelTail<S extends string> = S extends `${infer H}_${infer T}` ? `${Capitalize<Lowercase<H>>}${CamelTail<T>}` : Capitalize<Lowercase<S>>
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${Lowercase<H>}${CamelTail<T>}` : Lowercase<S>
/** An op by uring's name ('read', 'pollAdd', 'readFixed', ...). */
export type OpName = Camel<KernelOpName>

/**
 * What to cancel: the op with a userData; every op on an fd; every op of an opcode; or any op.
 * `userData`, `fd` and `opcode` may be combined (an op must match all); `all` cancels every match
 * instead of the first.
 */
export type CancelTarget =
  | { userData: number | bigint; fd?: FdLike; opcode?: OpName; all?: boolean; any?: never }
  | { userData?: never; fd: FdLike; opcode?: OpName; all?: boolean; any?: never }
  | { userData?: never; fd?: never; opcode: OpName; all?: boolean; any?: never }
  | { any: true; userData?: never; fd?: never; opcode?: never; all?: never }

const CANCEL_ALL = 1 << 0
const CANCEL_FD = 1 << 1
const CANCEL_ANY = 1 << 2
const CANCEL_USERDATA = 1 << 4
const CANCEL_OP = 1 << 5
const CANCEL_TARGET_KEYS = new Set(['userData', 'fd', 'opcode', 'all', 'any'])

/**
 * IORING_OP_ASYNC_CANCEL (5.5): cancels in-flight ops. The cancelled ops complete with
 * -ECANCELED (-EINTR for some that were already running). This CQE's `res`:
 *
 * - `{ userData }` (5.5): 0 when found, -ENOENT when no op in flight has that userData, -EALREADY
 *   when it is already running and cannot be stopped (it completes on its own). It names ONE
 *   op: the ring's targets are slots, and each op has its own, so `{ userData, all: true }` still
 *   cancels only one op with that userData, the one in the lowest slot (res 1, or 0 when none).
 * - `{ fd }` (5.19; a RegisteredFd too), `{ opcode }` (6.6), `{ any: true }` (5.19), and any
 *   target with `all: true`: the number of ops cancelled (0 when none); without `all`, like
 *   `{ userData }`. Combining userData with fd or opcode needs 6.6.
 *
 * Words: OP_FLAGS IORING_ASYNC_CANCEL_* (ALL, FD, ANY, USERDATA, OP), AUX target slot (-1:
 * none) when matching by userData, FD the fd (RegisteredFd: FX_FD), LEN the opcode.
 */
export class AsyncCancel extends Op {
  readonly opcode = Opcode.ASYNC_CANCEL
  readonly name = 'asyncCancel'
  target: CancelTarget
  constructor(target: CancelTarget, options?: OpOptions) {
    super()
    this.target = target
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    const t = validateObject(this.target, 'target') as { userData?: unknown; fd?: unknown; opcode?: unknown; all?: unknown; any?: unknown }
    for (const k of Object.keys(t)) {
      if (!CANCEL_TARGET_KEYS.has(k)) throw new UringError('ERR_URING_UNKNOWN_OPTION', `"target.${k}" is not a cancel key; known: ${[...CANCEL_TARGET_KEYS].join(', ')}`)
    }
    let f = 0
    if (t.any !== undefined) {
      if (t.any !== true) throw new UringError('ERR_INVALID_ARG_VALUE', 'The argument "target.any" must be true')
      if (t.userData !== undefined || t.fd !== undefined || t.opcode !== undefined) {
        throw new UringError('ERR_INVALID_ARG_VALUE', 'cancel { any: true } matches every op: it takes no userData, fd or opcode')
      }
      needKernel('5.19', 'cancel { any } (IORING_ASYNC_CANCEL_ANY)')
      s[at + F.OP_FLAGS] = CANCEL_ANY
      s[at + F.FD] = 0
      return
    }
    if (t.userData === undefined && t.fd === undefined && t.opcode === undefined) {
      throw new UringError('ERR_INVALID_ARG_VALUE', 'cancel needs a target: { userData }, { fd }, { opcode } or { any: true }')
    }
    if (bool(t.all, 'target.all')) f |= CANCEL_ALL
    if (t.fd !== undefined) {
      checkFdArg(t.fd, 'target.fd')
      encodeFd(s, at, t.fd, host, 'target.fd')
      f |= CANCEL_FD
    }
    if (t.opcode !== undefined) {
      const info = typeof t.opcode === 'string' ? opInfo(t.opcode) : undefined
      if (info === undefined || info.name !== t.opcode) throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "target.opcode" must be an op name such as 'read' or 'pollAdd'. Received ${String(t.opcode)}`)
      f |= CANCEL_OP
      s[at + F.LEN] = info.code
    }
    if (t.userData !== undefined) {
      s[at + F.AUX] = targetSlot(host, checkTarget(t.userData, 'target.userData'))
      if ((f & (CANCEL_FD | CANCEL_OP)) !== 0) f |= CANCEL_USERDATA
    }
    if ((f & (CANCEL_ALL | CANCEL_FD)) !== 0) needKernel('5.19', 'cancel by fd or all (IORING_ASYNC_CANCEL_FD/ALL)')
    if ((f & (CANCEL_OP | CANCEL_USERDATA)) !== 0) needKernel('6.6', 'cancel by opcode, or by userData with fd/opcode (IORING_ASYNC_CANCEL_OP/USERDATA)')
    s[at + F.OP_FLAGS] = f
  }
}

// ---- msg_ring -----------------------------------------------------------------------------------

/** The largest userData a msg_ring message can carry (it travels in 31 bits, see {@link MsgRing}). */
export const MSG_RING_MAX_USER_DATA = 0x7fffffff

/** A ring to post to: a uring Ring, a ring fd (of this or another process), or a RegisteredFd holding one. */
export type RingTarget = Ring | FdLike

function isRing(t: unknown): t is Ring {
  return typeof t === 'object' && t !== null && !(t instanceof RegisteredFd) && 'sq' in t && 'cq' in t && 'registrar' in t
}

function encodeRing(s: Float64Array, at: number, t: unknown, host: RegistrarHost | undefined, allowFixed: boolean): void {
  if (isRing(t)) {
    s[at + F.FD] = t.fd // throws ERR_URING_CLOSED for a closed ring
    return
  }
  if (t instanceof RegisteredFd && !allowFixed) throw invalidType('targetRing', 'a Ring or a ring fd (number)', t)
  if (typeof t !== 'number' && !(t instanceof RegisteredFd)) throw invalidType('targetRing', 'a Ring, a ring fd (number) or a RegisteredFd', t)
  encodeFd(s, at, t, host, 'targetRing')
}

/** What msgRing posts on the target ring. */
export interface RingMessage {
  /** The target CQE's `res` (any 32-bit signed integer). Default 0. */
  res?: number
  /** The target CQE's `userData`: 0 to 2^31 - 1. Default 0. */
  userData?: number
}

const MESSAGE_KEYS = new Set(['res', 'userData'])

function messageUserData(v: unknown, name: string): number {
  return v === undefined ? 0 : validateInteger(v, name, 0, MSG_RING_MAX_USER_DATA)
}

/**
 * IORING_OP_MSG_RING (5.18): posts a CQE on another ring (or this one) with the given `res` and
 * `userData`; this op's own CQE has res 0 (or -EBADFD when the target is not a ring, -EOVERFLOW
 * when its CQ is full).
 *
 * The target sees a CQE that belongs to none of its ops: its user_data is bit 31 | userData
 * (userData 0..2^31-1), a value no slot of a uring ring ever has, so a uring target delivers it
 * with `cqe.userData === userData` and `cqe.op === undefined` and frees nothing.
 *
 * Words: FD the target ring fd (RegisteredFd: FX_FD), AUX 0 (data message), BUF_OFF the
 * message userData, LEN the message res.
 */
export class MsgRing extends Op {
  readonly opcode = Opcode.MSG_RING
  readonly name = 'msgRing'
  targetRing: RingTarget
  message: RingMessage
  constructor(targetRing: RingTarget, message: RingMessage = {}, options?: OpOptions) {
    super()
    this.targetRing = isRing(targetRing) ? targetRing : checkFdArg(targetRing, 'targetRing')
    this.message = message
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    const m = validateObject(this.message, 'message') as { res?: unknown; userData?: unknown }
    for (const k of Object.keys(m)) if (!MESSAGE_KEYS.has(k)) throw new UringError('ERR_URING_UNKNOWN_OPTION', `"message.${k}" is not a message field (res, userData)`)
    encodeRing(s, at, this.targetRing, host, true)
    s[at + F.AUX] = 0
    s[at + F.BUF_OFF] = messageUserData(m.userData, 'message.userData')
    s[at + F.LEN] = m.res === undefined ? 0 : validateInteger(m.res, 'message.res', -0x80000000, 0x7fffffff)
  }
}

/** Where msgRingFd puts the file in the target ring's table. */
export type FdMessage =
  | { targetSlot: number; alloc?: never; userData?: number }
  | { alloc: true; targetSlot?: never; userData?: number }

const FD_MESSAGE_KEYS = new Set(['targetSlot', 'alloc', 'userData'])

/**
 * IORING_OP_MSG_RING with IORING_MSG_SEND_FD (6.0): installs the file of `sourceFd` (a
 * RegisteredFd of the ring this op is pushed on) in the target ring's file table, at
 * `targetSlot` (replacing what is there) or (`alloc: true`) in a free slot, and posts a CQE
 * there whose `res` is the slot (alloc) or 0, and whose `userData` is the message's (as
 * {@link MsgRing}). This op's CQE has the same `res`, or -errno (-ENFILE: no free slot,
 * -EBADFD: not a ring).
 *
 * The target ring's registrar is not told: it holds no RegisteredFd for the new entry (to run
 * ops on it there, register the file anew), and a target slot it manages is replaced under it.
 *
 * Words: FD the target ring's fd, AUX 1 (send fd), BUF_OFF the message userData, OFF_LO the
 * source RegisteredFd's index, BUF_GEN its generation, LEN the target slot or -1 (alloc).
 */
export class MsgRingFd extends Op {
  readonly opcode = Opcode.MSG_RING
  readonly name = 'msgRing'
  targetRing: Ring | number
  sourceFd: RegisteredFd
  message: FdMessage
  constructor(targetRing: Ring | number, sourceFd: RegisteredFd, message: FdMessage, options?: OpOptions) {
    super()
    this.targetRing = isRing(targetRing) ? targetRing : (checkFdArg(targetRing, 'targetRing') as number)
    if (!(sourceFd instanceof RegisteredFd)) throw invalidType('sourceFd', 'a RegisteredFd', sourceFd)
    this.sourceFd = sourceFd
    this.message = message
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    needKernel('6.0', 'msgRingFd (IORING_MSG_SEND_FD)')
    const m = validateObject(this.message, 'message') as { targetSlot?: unknown; alloc?: unknown; userData?: unknown }
    for (const k of Object.keys(m)) if (!FD_MESSAGE_KEYS.has(k)) throw new UringError('ERR_URING_UNKNOWN_OPTION', `"message.${k}" is not a field (targetSlot, alloc, userData)`)
    encodeRing(s, at, this.targetRing, host, false)
    const src = this.sourceFd
    if (!(src instanceof RegisteredFd)) throw invalidType('sourceFd', 'a RegisteredFd', src)
    checkHandle(src, host, 'RegisteredFd')
    s[at + F.AUX] = 1
    s[at + F.BUF_OFF] = messageUserData(m.userData, 'message.userData')
    s[at + F.OFF_LO] = src.index
    s[at + F.BUF_GEN] = src.gen
    const alloc = bool(m.alloc, 'message.alloc')
    if (alloc === (m.targetSlot !== undefined)) throw new UringError('ERR_INVALID_ARG_VALUE', 'msgRingFd needs exactly one of message.targetSlot and message.alloc: true')
    s[at + F.LEN] = alloc ? -1 : validateInteger(m.targetSlot, 'message.targetSlot', 0, 0xfffffffd)
  }
}

// ---- futex --------------------------------------------------------------------------------------

/** FUTEX2_SIZE_U32: the futex word is 32 bits (the only size uring takes). */
export const FUTEX2_SIZE_U32 = 0x02
/** FUTEX2_PRIVATE: the word is not shared with other processes (faster). */
export const FUTEX2_PRIVATE = 128

/**
 * A 32-bit futex word: element 0 of an Int32Array / Uint32Array, or the 4 bytes at `byteOffset`
 * of any buffer. Its address must be 4-aligned (ERR_URING_UNALIGNED). The kernel reads it where
 * it is (no copy): it is the memory the waiters and wakers share.
 */
export type FutexWord = Int32Array | Uint32Array | { buffer: ArrayBufferView; byteOffset: number }

/** Where a futex word lives: the view, and the byte offset of the word in it. */
function futexWord(w: unknown, name: string): [ArrayBufferView, number] {
  let view: ArrayBufferView
  let off: number
  if (w instanceof Int32Array || w instanceof Uint32Array) {
    if (w.length < 1) throw new UringError('ERR_INVALID_ARG_VALUE', `${name} is empty: the futex word is its element 0`)
    view = w
    off = 0
  } else if (typeof w === 'object' && w !== null && 'buffer' in w && ArrayBuffer.isView((w as { buffer: unknown }).buffer)) {
    const o = w as { buffer: ArrayBufferView; byteOffset: unknown }
    view = o.buffer
    off = validateInteger(o.byteOffset, `${name}.byteOffset`, 0, Math.max(0, view.byteLength - 4))
    if (view.byteLength < 4) throw outOfRange(`${name}.byteOffset`, 'inside a buffer of at least 4 bytes', o.byteOffset)
  } else {
    throw invalidType(name, 'an Int32Array, a Uint32Array or a { buffer: ArrayBufferView, byteOffset } object', w)
  }
  if ((view.byteOffset + off) % 4 !== 0) {
    throw new UringError('ERR_URING_UNALIGNED', `${name}: a futex word must be 4-byte aligned (byte ${view.byteOffset + off} of its ArrayBuffer)`)
  }
  return [view, off]
}

/** futex2 flags: FUTEX2_SIZE_U32, optionally FUTEX2_PRIVATE. */
function futexFlags(f: unknown): number {
  const v = validateInteger(f, 'flags', 0, 0xffffffff)
  if ((v & ~(0x3 | FUTEX2_PRIVATE)) !== 0 || (v & 0x3) !== FUTEX2_SIZE_U32) {
    throw new UringError('ERR_INVALID_ARG_VALUE', `futex flags 0x${v.toString(16)}: the word is 32 bits (FUTEX2_SIZE_U32), optionally FUTEX2_PRIVATE`)
  }
  return v
}

/** Options of futexWait / futexWake / futexWaitv. */
export interface FutexOptions extends OpOptions {
  /** futex2 flags. Default FUTEX2_SIZE_U32 | FUTEX2_PRIVATE (a word private to this process). */
  flags?: number
}

/** Options of futexWait / futexWake: a bitset a waiter and a waker must share a bit of. */
export interface FutexMaskOptions extends FutexOptions {
  /** Default 0xffffffff (FUTEX_BITSET_MATCH_ANY). */
  mask?: number
}

const FUTEX_KEYS = keys('mask', 'flags')
const FUTEXV_KEYS = keys('flags')
const DEFAULT_FUTEX_FLAGS = FUTEX2_SIZE_U32 | FUTEX2_PRIVATE

abstract class FutexOp extends Op {
  word: FutexWord
  mask = 0xffffffff
  flags = DEFAULT_FUTEX_FLAGS
  constructor(word: FutexWord, options: FutexMaskOptions | undefined) {
    super()
    this.word = word
    this.applyOptions(options, FUTEX_KEYS)
    if (options?.mask !== undefined) this.mask = options.mask
    if (options?.flags !== undefined) this.flags = options.flags
  }
  protected stage(s: Float64Array, at: number, bufs: unknown[], value: number): void {
    const [view, off] = futexWord(this.word, 'word')
    s[at + F.OP_FLAGS] = futexFlags(this.flags)
    s[at + F.AUX] = validateInteger(this.mask, 'mask', 1, 0xffffffff)
    s[at + F.OFF_LO] = value
    s[at + F.BUF] = bufs.length
    s[at + F.BUF_OFF] = off
    bufs.push(view)
  }
}

/**
 * IORING_OP_FUTEX_WAIT (6.7): sleeps until a futexWake on `word` (res 0), or fails at once with
 * -EAGAIN when the word does not hold `expected`.
 *
 * Words: BUF the word's buffer (by reference), BUF_OFF the word's byte offset, OFF_LO expected,
 * AUX mask, OP_FLAGS futex2 flags.
 */
export class FutexWait extends FutexOp {
  readonly opcode = Opcode.FUTEX_WAIT
  readonly name = 'futexWait'
  expected: number
  constructor(word: FutexWord, expected: number, options?: FutexMaskOptions) {
    super(word, options)
    this.expected = expected
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    // An Int32Array holds negative values: compare the word's 32 bits either way.
    this.stage(s, at, bufs, validateInteger(this.expected, 'expected', -0x80000000, 0xffffffff) >>> 0)
  }
}

/**
 * IORING_OP_FUTEX_WAKE (6.7): wakes up to `count` waiters on `word` (whose mask shares a bit with
 * this one); `res` is how many were woken.
 *
 * Words: as futexWait, with OFF_LO the count (1..2^31-1).
 */
export class FutexWake extends FutexOp {
  readonly opcode = Opcode.FUTEX_WAKE
  readonly name = 'futexWake'
  count: number
  constructor(word: FutexWord, count: number, options?: FutexMaskOptions) {
    super(word, options)
    this.count = count
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    this.stage(s, at, bufs, validateInteger(this.count, 'count', 1, 0x7fffffff))
  }
}

/** One word of futexWaitv. */
export interface FutexWaitvEntry {
  word: FutexWord
  expected: number
}

/**
 * IORING_OP_FUTEX_WAITV (6.7): waits on up to 128 words at once; `res` is the index of the word
 * that was woken, -EAGAIN when one does not hold its expected value.
 *
 * Words: BUF a Float64Array of (byte offset, expected) pairs, then (BUF + 1 + i) the buffer of
 * word i; LEN the number of words; OP_FLAGS futex2 flags. Rust builds the futex_waitv array in
 * the slot's memory.
 */
export class FutexWaitv extends Op {
  readonly opcode = Opcode.FUTEX_WAITV
  readonly name = 'futexWaitv'
  words: readonly FutexWaitvEntry[]
  flags = DEFAULT_FUTEX_FLAGS
  constructor(words: readonly FutexWaitvEntry[], options?: FutexOptions) {
    super()
    this.words = words
    this.applyOptions(options, FUTEXV_KEYS)
    if (options?.flags !== undefined) this.flags = options.flags
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    const list = this.words as readonly unknown[]
    if (!Array.isArray(list)) throw invalidType('words', 'an array of { word, expected }', list)
    if (list.length < 1 || list.length > 128) throw outOfRange('words.length', '>= 1 && <= 128', list.length)
    const pairs = new Float64Array(2 * list.length)
    const views: ArrayBufferView[] = []
    for (let i = 0; i < list.length; i++) {
      const w = validateObject(list[i], `words[${i}]`) as { word?: unknown; expected?: unknown }
      const [view, off] = futexWord(w.word, `words[${i}].word`)
      pairs[2 * i] = off
      pairs[2 * i + 1] = validateInteger(w.expected, `words[${i}].expected`, -0x80000000, 0xffffffff) >>> 0
      views.push(view)
    }
    s[at + F.OP_FLAGS] = futexFlags(this.flags)
    s[at + F.LEN] = list.length
    s[at + F.BUF] = bufs.length
    bufs.push(pairs, ...views)
  }
}

// ---- waitid -------------------------------------------------------------------------------------

/** Which children: one by pid, a process group, or any child. */
export type IdType = 'pid' | 'pgid' | 'all'
const ID_TYPES: Readonly<Record<IdType, number>> = { all: 0, pid: 1, pgid: 2 }

/** The state changes waitid waits for (waitid(2) WEXITED, WSTOPPED, WCONTINUED, WNOWAIT). */
export interface WaitidOptions extends OpOptions {
  /** Children that exited or were killed. Default true when none of exited/stopped/continued is given. */
  exited?: boolean
  stopped?: boolean
  continued?: boolean
  /** Leave the child waitable (a zombie): a later wait still reaps it. */
  nowait?: boolean
}

const WAITID_KEYS = keys('exited', 'stopped', 'continued', 'nowait')
const WEXITED = 4
const WSTOPPED = 2
const WCONTINUED = 8
const WNOWAIT = 0x01000000

/** How a child changed state (siginfo's si_code: CLD_*). */
export type ChildCode = 'exited' | 'killed' | 'dumped' | 'trapped' | 'stopped' | 'continued'
const CLD_CODES: readonly (ChildCode | undefined)[] = [undefined, 'exited', 'killed', 'dumped', 'trapped', 'stopped', 'continued']

/** What waitid reports about the child. */
export interface WaitidResult {
  pid: number
  uid: number
  /** The exit status for 'exited'; the signal number otherwise. */
  status: number
  code: ChildCode
}

/** sizeof(siginfo_t). */
const SIGINFO_SIZE = 128

/**
 * IORING_OP_WAITID (6.7): waitid(2). `res` 0 once a child changed state (`decode()` reads the
 * siginfo_t the kernel wrote), -ECHILD when there is no such child.
 *
 * Words: LEN idtype (P_ALL 0, P_PID 1, P_PGID 2), FD id, OP_FLAGS options, BUF the op's own
 * 128-byte siginfo_t (so it is in flight once at a time).
 */
export class Waitid extends Op {
  readonly opcode = Opcode.WAITID
  readonly name = 'waitid'
  idtype: IdType
  id: number
  exited: boolean
  stopped: boolean
  continued: boolean
  nowait: boolean
  /** The siginfo_t the kernel writes. */
  readonly info = new Uint8Array(SIGINFO_SIZE)
  constructor(idtype: IdType, id: number, options?: WaitidOptions) {
    super()
    this.idtype = idtype
    this.id = id
    this.applyOptions(options, WAITID_KEYS)
    this.stopped = bool(options?.stopped, 'options.stopped')
    this.continued = bool(options?.continued, 'options.continued')
    this.exited = options?.exited === undefined ? !this.stopped && !this.continued : validateBoolean(options.exited, 'options.exited')
    this.nowait = bool(options?.nowait, 'options.nowait')
    check(this)
  }
  override get exclusive(): boolean {
    return true
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    const t = ID_TYPES[this.idtype as IdType]
    if (typeof this.idtype !== 'string' || t === undefined) throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "idtype" must be 'pid', 'pgid' or 'all'. Received ${String(this.idtype)}`)
    s[at + F.LEN] = t
    s[at + F.FD] = t === 0 ? validateInteger(this.id, 'id', 0, 0) : validateInteger(this.id, 'id', 1, 0x7fffffff)
    let o = 0
    if (validateBoolean(this.exited, 'exited')) o |= WEXITED
    if (validateBoolean(this.stopped, 'stopped')) o |= WSTOPPED
    if (validateBoolean(this.continued, 'continued')) o |= WCONTINUED
    if (validateBoolean(this.nowait, 'nowait')) o |= WNOWAIT
    if ((o & ~WNOWAIT) === 0) throw new UringError('ERR_INVALID_ARG_VALUE', 'waitid needs at least one of exited, stopped, continued')
    s[at + F.OP_FLAGS] = o
    s[at + F.BUF] = bufs.length
    bufs.push(this.info)
  }
  /** The child's state change, from the siginfo_t (throws a CqeError for a failed CQE). */
  decode(cqe: { res: number }): WaitidResult {
    resultOf(cqe, this.name)
    const w = new Int32Array(this.info.buffer, this.info.byteOffset, SIGINFO_SIZE / 4)
    // siginfo_t (64-bit): si_signo, si_errno, si_code, pad, then si_pid, si_uid, si_status.
    const code = CLD_CODES[w[2]]
    if (code === undefined) throw new UringError('ERR_URING_OP_FAILED', `waitid: unexpected si_code ${w[2]}`)
    return { pid: w[4], uid: w[5] >>> 0, status: w[6], code }
  }
}

// ---- epoll --------------------------------------------------------------------------------------

/** epoll events by name: the poll ones, and the epoll-only flags. */
export type EpollEvent = PollEvent | 'et' | 'oneshot' | 'exclusive' | 'wakeup'
const EPOLL_BITS: Readonly<Record<EpollEvent, number>> = {
  ...POLL_BITS,
  exclusive: 1 << 28,
  wakeup: 1 << 29,
  oneshot: 1 << 30,
  et: 0x80000000,
}
const EPOLL_OPS = { add: 1, del: 2, mod: 3 } as const
export type EpollOp = keyof typeof EPOLL_OPS

/**
 * IORING_OP_EPOLL_CTL (5.6): epoll_ctl(2) on `epfd`: add, modify or delete `fd` with `events` and
 * `data` (what epoll_wait reports for it). `res` 0 or -errno (-EINVAL: epfd is not an epoll fd,
 * -EEXIST / -ENOENT: already added / not added). Both fds are process fds: the kernel hands the
 * numbers to epoll_ctl (a registered epfd would be -EINVAL).
 *
 * Words: FD epfd, OFF_LO fd, LEN EPOLL_CTL_ADD/DEL/MOD, OP_FLAGS events,
 * BUF_OFF / AUX low / high 32 bits of data. Rust builds the epoll_event in the slot's memory.
 */
export class EpollCtl extends Op {
  readonly opcode = Opcode.EPOLL_CTL
  readonly name = 'epollCtl'
  epfd: number
  op: EpollOp
  fd: number
  events: readonly EpollEvent[] | number
  data: number | bigint
  constructor(epfd: number, op: EpollOp, fd: number, events: readonly EpollEvent[] | number = 0, data: number | bigint = 0, options?: OpOptions) {
    super()
    this.epfd = epfd
    this.op = op
    this.fd = fd
    this.events = events
    this.data = data
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number): void {
    s[at + F.FD] = validateFd(this.epfd, 'epfd')
    const o = EPOLL_OPS[this.op as EpollOp]
    if (typeof this.op !== 'string' || o === undefined) throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "op" must be 'add', 'mod' or 'del'. Received ${String(this.op)}`)
    s[at + F.LEN] = o
    s[at + F.OFF_LO] = validateInteger(this.fd, 'fd', 0, 0x7fffffff)
    s[at + F.OP_FLAGS] = pollMask(this.events, 'events', EPOLL_BITS, 0xffffffff)
    const d = checkTarget(this.data, 'data')
    const big = BigInt(d)
    s[at + F.BUF_OFF] = Number(big & 0xffffffffn)
    s[at + F.AUX] = Number(big >> 32n)
  }
}

/** One event epollWait reports. */
export interface EpollEventResult {
  events: number
  /** The `data` given to epollCtl for the fd. */
  data: bigint
}

/** sizeof(struct epoll_event): packed (12 bytes) on x86, 16 elsewhere. */
const EPOLL_EVENT_SIZE = process.arch === 'x64' || process.arch === 'ia32' ? 12 : 16
const EPOLL_DATA_AT = EPOLL_EVENT_SIZE === 12 ? 4 : 8
const LE = os.endianness() === 'LE'

/**
 * IORING_OP_EPOLL_WAIT (6.15): epoll_wait(2) on `epfd` for up to `maxEvents` events; `res` is how
 * many the kernel wrote (`decode()` reads them).
 *
 * Words: FD epfd (RegisteredFd: FX_FD), LEN maxEvents, BUF the op's own epoll_event array (so it
 * is in flight once at a time).
 */
export class EpollWait extends Op {
  readonly opcode = Opcode.EPOLL_WAIT
  readonly name = 'epollWait'
  epfd: FdLike
  maxEvents: number
  /** The epoll_event array the kernel writes. */
  events: Uint8Array
  constructor(epfd: FdLike, maxEvents: number, options?: OpOptions) {
    super()
    this.epfd = checkFdArg(epfd, 'epfd')
    this.maxEvents = validateInteger(maxEvents, 'maxEvents', 1, 65536)
    this.events = new Uint8Array(this.maxEvents * EPOLL_EVENT_SIZE)
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  override get exclusive(): boolean {
    return true
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.epfd, host, 'epfd')
    const n = validateInteger(this.maxEvents, 'maxEvents', 1, 65536)
    if (this.events.byteLength < n * EPOLL_EVENT_SIZE) this.events = new Uint8Array(n * EPOLL_EVENT_SIZE)
    s[at + F.LEN] = n
    s[at + F.BUF] = bufs.length
    bufs.push(this.events)
  }
  /** The events the kernel wrote (throws a CqeError for a failed CQE). */
  decode(cqe: { res: number }): EpollEventResult[] {
    const n = resultOf(cqe, this.name)
    const v = new DataView(this.events.buffer, this.events.byteOffset, this.events.byteLength)
    const out: EpollEventResult[] = []
    for (let i = 0; i < n; i++) {
      const at = i * EPOLL_EVENT_SIZE
      out.push({ events: v.getUint32(at, LE), data: v.getBigUint64(at + EPOLL_DATA_AT, LE) })
    }
    return out
  }
}

// ---- raw provided buffers -----------------------------------------------------------------------

/**
 * IORING_OP_PROVIDE_BUFFERS (5.7): gives the kernel `count` buffers of `size` bytes, cut from
 * `buffer` (from `byteOffset`), as buffer ids `startId`.. of group `groupId`; `res` 0 or -errno.
 *
 * A raw op: no op of uring selects from a raw group (op.read / op.recv take a registrar
 * BufferGroup, `ring.registrar.bufferGroup()`, the managed way), and ids the ring's registrar
 * manages are refused (ERR_URING_GROUP_EXISTS). The kernel keeps pointers into `buffer` after
 * this op's CQE: keep `buffer` alive (this op holds it) until removeBuffers, and do not give a
 * later registrar BufferGroup the same id.
 *
 * Words: AUX group id, BUF the memory (by reference), BUF_OFF where the first buffer starts,
 * LEN each buffer's size, FD count, OFF_LO the first buffer id.
 */
export class ProvideBuffers extends Op {
  readonly opcode = Opcode.PROVIDE_BUFFERS
  readonly name = 'provideBuffers'
  groupId: number
  buffer: BufferLike
  count: number
  size: number
  startId: number
  byteOffset = 0
  constructor(groupId: number, buffer: BufferLike, count: number, size: number, startId = 0, options?: OpOptions & { byteOffset?: number }) {
    super()
    this.groupId = groupId
    this.buffer = validateBuffer(buffer)
    this.count = count
    this.size = size
    this.startId = startId
    this.applyOptions(options, keys('byteOffset'))
    if (options?.byteOffset !== undefined) this.byteOffset = options.byteOffset
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.AUX] = validateInteger(this.groupId, 'groupId', 0, 0xffff)
    const b = validateBuffer(this.buffer)
    const count = validateInteger(this.count, 'count', 1, 0xffff)
    const size = validateInteger(this.size, 'size', 1, 0x7fffffff)
    const start = validateInteger(this.startId, 'startId', 0, 0x10000 - count)
    const off = validateInteger(this.byteOffset, 'byteOffset', 0, b.byteLength)
    if (count * size > b.byteLength - off) throw outOfRange('count * size', `<= ${b.byteLength - off} (the buffer's bytes after byteOffset)`, count * size)
    s[at + F.FD] = count
    s[at + F.LEN] = size
    s[at + F.OFF_LO] = start
    s[at + F.BUF] = bufs.length
    s[at + F.BUF_OFF] = off
    bufs.push(b)
  }
}

/**
 * IORING_OP_REMOVE_BUFFERS (5.7): takes up to `count` buffers of raw group `groupId` back from the
 * kernel; `res` is how many were removed, -ENOENT when the group has none. Registrar-managed
 * ids are refused (ERR_URING_GROUP_EXISTS).
 *
 * Words: AUX group id, FD count.
 */
export class RemoveBuffers extends Op {
  readonly opcode = Opcode.REMOVE_BUFFERS
  readonly name = 'removeBuffers'
  groupId: number
  count: number
  constructor(groupId: number, count: number, options?: OpOptions) {
    super()
    this.groupId = groupId
    this.count = count
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number): void {
    s[at + F.AUX] = validateInteger(this.groupId, 'groupId', 0, 0xffff)
    s[at + F.FD] = validateInteger(this.count, 'count', 1, 0xffff)
  }
}

/** The control family's constructors (merged into `op`). */
export const ctlOps = {
  /** IORING_OP_POLL_ADD (5.1; multishot 5.13): wait until `fd` is ready for `events`. */
  pollAdd: (fd: FdLike, events: readonly PollEvent[] | number, options?: PollOptions): PollAdd => new PollAdd(fd, events, options),
  /** IORING_OP_POLL_REMOVE (5.1): remove the poll with userData `targetUserData`. */
  pollRemove: (targetUserData: number | bigint, options?: OpOptions): PollRemove => new PollRemove(targetUserData, options),
  /** IORING_OP_POLL_REMOVE with IORING_POLL_UPDATE_EVENTS (5.13): new events for an in-flight poll. */
  pollUpdate: (targetUserData: number | bigint, events: readonly PollEvent[] | number, options?: PollOptions): PollUpdate =>
    new PollUpdate(targetUserData, events, options),
  /** IORING_OP_TIMEOUT (5.4): -ETIME after `time` (ms or { sec, nsec }), 0 after `count` completions. */
  timeout: (time: TimeSpec, options?: TimeoutOptions): Timeout => new Timeout(time, options),
  /** IORING_OP_TIMEOUT_REMOVE (5.5): remove the timeout with userData `targetUserData`. */
  timeoutRemove: (targetUserData: number | bigint, options?: OpOptions): TimeoutRemove => new TimeoutRemove(targetUserData, options),
  /** IORING_OP_TIMEOUT_REMOVE with IORING_TIMEOUT_UPDATE (5.11): a new time for an in-flight timeout. */
  timeoutUpdate: (targetUserData: number | bigint, time: TimeSpec, options?: TimeoutUpdateOptions): TimeoutUpdate =>
    new TimeoutUpdate(targetUserData, time, options),
  /** IORING_OP_LINK_TIMEOUT (5.5): bound the op before it in `ring.sq.pushLinked([op, op.linkTimeout(ms)])`. */
  linkTimeout: (time: TimeSpec, options?: LinkTimeoutOptions): LinkTimeout => new LinkTimeout(time, options),
  /** IORING_OP_ASYNC_CANCEL (5.5; fd/any/all 5.19, opcode 6.6): cancel in-flight ops. */
  cancel: (target: CancelTarget, options?: OpOptions): AsyncCancel => new AsyncCancel(target, options),
  /** IORING_OP_MSG_RING (5.18): post a CQE `{ res, userData }` on `targetRing`. */
  msgRing: (targetRing: RingTarget, message?: RingMessage, options?: OpOptions): MsgRing => new MsgRing(targetRing, message, options),
  /** IORING_OP_MSG_RING with IORING_MSG_SEND_FD (6.0): put `sourceFd`'s file in `targetRing`'s file table. */
  msgRingFd: (targetRing: Ring | number, sourceFd: RegisteredFd, message: FdMessage, options?: OpOptions): MsgRingFd =>
    new MsgRingFd(targetRing, sourceFd, message, options),
  /** IORING_OP_FUTEX_WAIT (6.7): sleep until woken, if `word` holds `expected`. */
  futexWait: (word: FutexWord, expected: number, options?: FutexMaskOptions): FutexWait => new FutexWait(word, expected, options),
  /** IORING_OP_FUTEX_WAKE (6.7): wake up to `count` waiters on `word`. */
  futexWake: (word: FutexWord, count: number, options?: FutexMaskOptions): FutexWake => new FutexWake(word, count, options),
  /** IORING_OP_FUTEX_WAITV (6.7): wait on several words; `res` is the index of the one woken. */
  futexWaitv: (words: readonly FutexWaitvEntry[], options?: FutexOptions): FutexWaitv => new FutexWaitv(words, options),
  /** IORING_OP_WAITID (6.7): waitid(2) for a child's state change. */
  waitid: (idtype: IdType, id: number, options?: WaitidOptions): Waitid => new Waitid(idtype, id, options),
  /** IORING_OP_EPOLL_CTL (5.6): epoll_ctl(2). */
  epollCtl: (epfd: number, op: EpollOp, fd: number, events?: readonly EpollEvent[] | number, data?: number | bigint, options?: OpOptions): EpollCtl =>
    new EpollCtl(epfd, op, fd, events, data, options),
  /** IORING_OP_EPOLL_WAIT (6.15): epoll_wait(2) for up to `maxEvents` events. */
  epollWait: (epfd: FdLike, maxEvents: number, options?: OpOptions): EpollWait => new EpollWait(epfd, maxEvents, options),
  /** IORING_OP_PROVIDE_BUFFERS (5.7): raw provided buffers (the managed way: `ring.registrar.bufferGroup()`). */
  provideBuffers: (groupId: number, buffer: BufferLike, count: number, size: number, startId = 0, options?: OpOptions & { byteOffset?: number }): ProvideBuffers =>
    new ProvideBuffers(groupId, buffer, count, size, startId, options),
  /** IORING_OP_REMOVE_BUFFERS (5.7): take up to `count` raw provided buffers of a group back. */
  removeBuffers: (groupId: number, count: number, options?: OpOptions): RemoveBuffers => new RemoveBuffers(groupId, count, options),
} as const
