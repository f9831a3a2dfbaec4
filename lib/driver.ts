/**
 * The async driver: a Promise per op, one `io_uring_enter` per tick for everything issued in it,
 * and completions that arrive later woken through the Node event loop.
 *
 * ```ts
 * const ring = new Ring()
 * const n = await ring.run(op.read(fd, buf, 0))
 * ```
 *
 * How it runs (DESIGN.md, "The hot path"):
 * - `run()` stages the op as numbers in the ring's staging area and schedules one microtask per
 *   tick. That microtask makes ONE native call, which pushes every op staged in the tick, enters
 *   the kernel once, and copies the completions already there into the mirror; the promises of
 *   those completions are settled from the mirror in the same microtask.
 * - Completions that come later (a socket, a pipe, a timeout) signal an eventfd registered with
 *   the ring. A libuv poll handle on this thread's loop watches it and calls back into JS inside a
 *   callback scope, so promise reactions run at once. With DEFER_TASKRUN the reap enters the
 *   kernel with GETEVENTS to run the completion work.
 * - The poll handle keeps the process alive exactly while ops are in flight (`ref()`/`unref()`).
 * - Nothing crosses napi per op, and the only per-op allocation is the promise.
 */
import { UringError, fromNative, invalidType, validateKeys, validateObject, validateBoolean } from './errors'
import { F, Op, Opcode, errnoName } from './opbase'
import type { Registrar } from './registrar'
import { AcceptMultishot, RecvMultishot, RecvmsgMultishot } from './ops-net'
import { ReadMultishot } from './ops-fs'
import {
  Cqe,
  DriverHooks,
  H_COUNT,
  H_CQ_READY,
  H_ENTERS,
  RingState,
  compact,
  completeSlot,
  hasRoom,
  readCqe,
  releaseSlot,
  stage,
  stageLinked,
  noSkip,
} from './ring'
import { getSystemErrorMap } from 'node:util'

const CQE_F_MORE = 1 << 1
const ECANCELED = 125
const ENOENT = 2
const EINTR = 4
const ETIME = 62

const K_NONE = 0
const K_RUN = 1
const K_LINK = 2
const K_STREAM = 3
const K_INTERNAL = 4

/** Node's AbortError (`name` 'AbortError', `code` 'ABORT_ERR'), with the signal's reason as `cause`. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR'
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AbortError'
  }
}

// libuv's map (names and descriptions) lacks errnos io_uring ops do return (ETIME of a timeout,
// ECHILD of waitid, ESTALE, ...): those are named from the kernel's table (errnoName).
const SYSTEM_ERRORS = getSystemErrorMap()

/**
 * A failed op, shaped like Node's system errors: `code` ('ENOENT'), `errno` (negative, as Node
 * has it), `syscall` (the op's name), and `path` / `dest` where the op has them.
 */
export class SystemError extends UringError {
  readonly errno: number
  readonly syscall: string
  declare path?: string
  declare dest?: string
  constructor(res: number, syscall: string, path?: string, dest?: string) {
    const [code, desc] = SYSTEM_ERRORS.get(res) ?? [errnoName(-res), 'unknown error']
    let msg = `${code}: ${desc}, ${syscall}`
    if (path !== undefined) msg += ` '${path}'`
    if (dest !== undefined) msg += ` -> '${dest}'`
    super(code, msg)
    this.name = 'Error'
    this.errno = res
    this.syscall = syscall
    if (path !== undefined) this.path = path
    if (dest !== undefined) this.dest = dest
  }
}

const DECODER = new TextDecoder()

function pathString(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (v instanceof Uint8Array) {
    const n = v.indexOf(0)
    return DECODER.decode(n >= 0 ? v.subarray(0, n) : v)
  }
  return undefined
}

/** The error for a CQE with res < 0, naming the op and (where it has them) its paths. */
export function systemError(o: Op | undefined, res: number): SystemError {
  const any = o as unknown as Record<string, unknown> | undefined
  // The ops' own field names (ops-fs.ts): renameat/linkat oldpath -> newpath, symlinkat
  // target -> linkpath; as node:fs, `path` is the first and `dest` the second.
  const path = any === undefined ? undefined : pathString(any.path ?? any.oldpath ?? any.target)
  const dest = any === undefined ? undefined : pathString(any.newpath ?? any.linkpath)
  return new SystemError(res, o?.name ?? 'io_uring', path, dest)
}

/** Opcodes that have a multishot form (a table: a Set lookup showed in ring.run's profile). */
const MULTISHOT_OPCODES = new Uint8Array(256)
for (const c of [Opcode.ACCEPT, Opcode.RECV, Opcode.RECVMSG, Opcode.READ_MULTISHOT, Opcode.POLL_ADD, Opcode.TIMEOUT]) MULTISHOT_OPCODES[c] = 1

/** Ops that post many CQEs: `ring.run()` resolves once, so these go through `ring.stream()`. */
export function isMultishot(o: Op): boolean {
  if (MULTISHOT_OPCODES[o.opcode] !== 1) return false
  if (o instanceof AcceptMultishot || o instanceof RecvMultishot || o instanceof RecvmsgMultishot || o instanceof ReadMultishot) return true
  const m = (o as unknown as { multishot?: unknown }).multishot
  return m === true || (typeof m === 'number' && m !== 1)
}

/** Options of `ring.run()`. */
export interface RunOptions {
  /** Cancels the op (IORING_OP_ASYNC_CANCEL); the promise rejects with an AbortError once the kernel confirms. */
  signal?: AbortSignal
}

/** Options of `ring.runLinked()`. */
export interface RunLinkedOptions extends RunOptions {
  /** IOSQE_IO_HARDLINK: the chain goes on past a failed op. */
  hard?: boolean
}

/** Debug counters of a ring. */
export interface RingStats {
  /** io_uring_enter calls made by this ring (modulo 2^31). */
  enters: number
  /** Native submit calls made by the driver (one per tick with ops to submit or reap). */
  flushes: number
  /** Times the event loop woke the driver for completions. */
  wakeups: number
  /** Ops waiting in the driver's queue for SQ room. */
  queued: number
}

/** A `runLinked` in progress. */
interface LinkRun {
  ops: readonly Op[]
  slots: number[]
  results: unknown[]
  errors: Array<Error | undefined>
  settled: boolean
  aborted: boolean
  resolve: (v: unknown[]) => void
  reject: (e: Error) => void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

/** A `stream` in progress. */
interface StreamRun {
  op: Op
  slot: number
  values: unknown[]
  waiters: Array<{ resolve: (r: IteratorResult<unknown>) => void; reject: (e: Error) => void }>
  error: Error | undefined
  done: boolean
  cancelled: boolean
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

/** Work waiting for SQ room (submitted in order, before anything newer). */
interface Job {
  kind: number
  op: Op | undefined
  ops: readonly Op[] | undefined
  hard: boolean
  resolve: ((v: never) => void) | undefined
  reject: ((e: Error) => void) | undefined
  signal: AbortSignal | undefined
  link: LinkRun | undefined
  stream: StreamRun | undefined
  target: number
  onAbort: (() => void) | undefined
}

/**
 * Cancels the op in one slot (an internal op; its own CQE is ignored). The kernel matches by
 * user_data, which is the slot: `targetOp` says which op the cancel is for, so a cancel that
 * waited for SQ room is dropped if that op completed meanwhile (its slot may hold another).
 */
class SlotCancel extends Op {
  readonly opcode = Opcode.ASYNC_CANCEL
  readonly name = 'asyncCancel'
  target: number
  targetOp: Op
  constructor(target: number, targetOp: Op) {
    super()
    this.target = target
    this.targetOp = targetOp
  }
  protected encodeFields(s: Float64Array, at: number): void {
    s[at + F.AUX] = this.target
  }
}

// The promise executor stores its functions here, so making a promise allocates no closure.
let pendingResolve: ((v: never) => void) | undefined
let pendingReject: ((e: Error) => void) | undefined
function executor(resolve: (v: never) => void, reject: (e: Error) => void): void {
  pendingResolve = resolve
  pendingReject = reject
}

function closedError(): UringError {
  return new UringError('ERR_URING_CLOSED', 'the ring is closed')
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason })
}

function checkSignal(options: RunOptions | undefined, keys: ReadonlySet<string>): AbortSignal | undefined {
  if (options === undefined) return undefined
  const o = validateObject(options, 'options')
  validateKeys(o, keys, 'options')
  const sig = o.signal
  if (sig === undefined) return undefined
  if (!(sig instanceof AbortSignal)) throw invalidType('options.signal', 'an instance of AbortSignal', sig)
  return sig
}

const RUN_KEYS = new Set(['signal'])
const LINK_KEYS = new Set(['signal', 'hard'])

/** The driver of one ring. Made on first use; lives as long as the ring. @internal */
export class Driver implements DriverHooks {
  readonly #s: RingState
  readonly #registrar: Registrar
  #started = false
  #scheduled = false
  #flushes = 0
  #user = true
  // Per slot: what kind of driver op it is, and how to settle it.
  readonly #kind: number[] = []
  readonly #resolve: Array<((v: never) => void) | undefined> = []
  readonly #reject: Array<((e: Error) => void) | undefined> = []
  /** The value of a CQE that had IORING_CQE_F_MORE (a zero-copy send), settled with the final one. */
  readonly #first: unknown[] = []
  readonly #hasFirst: boolean[] = []
  readonly #signal: Array<AbortSignal | undefined> = []
  readonly #onAbort: Array<(() => void) | undefined> = []
  readonly #aborted: boolean[] = []
  readonly #link: Array<LinkRun | undefined> = []
  readonly #stream: Array<StreamRun | undefined> = []
  readonly #queue: Job[] = []
  #queueHead = 0
  readonly #cqe = new Cqe()
  /** Where #drain reads a CQE that is not the driver's (then kept for ring.cq, and replaced). */
  #spare = new Cqe()
  /**
   * One 'abort' listener per signal, however many ops share it (a listener per op would pass
   * EventTarget's limit of 10 and make Node warn of a leak).
   */
  readonly #hub = new Map<AbortSignal, { fns: Set<() => void>; fire: () => void }>()

  #listen(sig: AbortSignal, fn: () => void): void {
    let e = this.#hub.get(sig)
    if (e === undefined) {
      const fns = new Set<() => void>()
      const fire = (): void => {
        this.#hub.delete(sig)
        for (const f of fns) f()
      }
      e = { fns, fire }
      this.#hub.set(sig, e)
      sig.addEventListener('abort', fire, { once: true })
    }
    e.fns.add(fn)
  }

  #unlisten(sig: AbortSignal, fn: () => void): void {
    const e = this.#hub.get(sig)
    if (e === undefined) return
    e.fns.delete(fn)
    if (e.fns.size === 0) {
      this.#hub.delete(sig)
      sig.removeEventListener('abort', e.fire)
    }
  }
  readonly #flush = (): void => this.#tick()
  readonly #wake = (): void => this.#onWake()

  constructor(s: RingState, registrar: Registrar) {
    this.#s = s
    this.#registrar = registrar
  }

  get stats(): RingStats {
    const s = this.#s
    return {
      enters: s.closed ? 0 : s.mirror[H_ENTERS],
      flushes: this.#flushes,
      wakeups: this.#started && !s.closed ? s.native.driverStats().wakeups : 0,
      queued: this.#queue.length - this.#queueHead,
    }
  }

  ref(on: boolean): void {
    this.#user = on
    if (this.#started && !this.#s.closed) this.#s.native.driverRef(on)
  }

  owns(slot: number): boolean {
    return this.#kind[slot] !== undefined && this.#kind[slot] !== K_NONE
  }

  #start(): void {
    if (this.#started) return
    try {
      this.#s.native.driverStart(this.#wake)
    } catch (e) {
      throw fromNative(e)
    }
    this.#started = true
    if (!this.#user) this.#s.native.driverRef(false)
  }

  #schedule(): void {
    if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(this.#flush)
    }
  }

  // ---- issuing ------------------------------------------------------------------------------

  run(o: Op, options?: RunOptions): Promise<never> {
    const s = this.#s
    let signal: AbortSignal | undefined
    try {
      if (s.closed) throw closedError()
      signal = checkSignal(options, RUN_KEYS)
      if (!(o instanceof Op)) throw invalidType('op', 'an op made by op.*()', o)
      if (isMultishot(o)) {
        throw new UringError('ERR_URING_MULTISHOT', `${o.name} is multishot (many completions): use ring.stream(op), not ring.run(op)`)
      }
      noSkip(o)
      if (signal?.aborted) return Promise.reject(abortError(signal))
      this.#start()
    } catch (e) {
      return Promise.reject(e)
    }
    const p = new Promise<never>(executor)
    const resolve = pendingResolve!
    const reject = pendingReject!
    if (this.#queueHead < this.#queue.length || !hasRoom(s, 1)) {
      this.#enqueue({ kind: K_RUN, op: o, ops: undefined, hard: false, resolve, reject, signal, link: undefined, stream: undefined, target: -1, onAbort: undefined })
      return p
    }
    try {
      stage(s, o)
    } catch (e) {
      reject(e as Error)
      return p
    }
    this.#own(s.staging[(s.staged - 1) * s.stride + F.SLOT], K_RUN, resolve, reject, signal)
    this.#schedule()
    return p
  }

  #own(slot: number, kind: number, resolve: ((v: never) => void) | undefined, reject: ((e: Error) => void) | undefined, signal: AbortSignal | undefined): void {
    this.#kind[slot] = kind
    this.#resolve[slot] = resolve
    this.#reject[slot] = reject
    this.#aborted[slot] = false
    this.#hasFirst[slot] = false
    if (signal !== undefined && kind === K_RUN) {
      const f = (): void => this.#abortSlot(slot)
      this.#signal[slot] = signal
      this.#onAbort[slot] = f
      this.#listen(signal, f)
    }
  }

  runLinked(ops: readonly Op[], options?: RunLinkedOptions): Promise<unknown[]> {
    const s = this.#s
    let signal: AbortSignal | undefined
    let hard = false
    try {
      if (s.closed) throw closedError()
      signal = checkSignal(options, LINK_KEYS)
      if (options?.hard !== undefined) hard = validateBoolean(options.hard, 'options.hard')
      if (!Array.isArray(ops)) throw invalidType('ops', 'an array of ops', ops)
      if (ops.length === 0) throw new UringError('ERR_INVALID_ARG_VALUE', 'a link chain needs at least one op')
      if (ops.length > s.sqEntries) {
        throw new UringError('ERR_URING_CHAIN_TOO_LONG', `a chain of ${ops.length} ops cannot fit an SQ of ${s.sqEntries} entries (a chain is submitted whole)`)
      }
      for (const o of ops) {
        if (!(o instanceof Op)) throw invalidType('ops[i]', 'an op made by op.*()', o)
        if (isMultishot(o)) throw new UringError('ERR_URING_MULTISHOT', `${o.name} is multishot: it cannot be part of ring.runLinked()`)
      }
      if (signal?.aborted) return Promise.reject(abortError(signal))
      this.#start()
    } catch (e) {
      return Promise.reject(e)
    }
    const p = new Promise<unknown[]>(executor as never)
    const lr: LinkRun = {
      ops,
      slots: [],
      results: new Array(ops.length).fill(undefined),
      errors: new Array(ops.length).fill(undefined),
      settled: false,
      aborted: false,
      resolve: pendingResolve as (v: unknown[]) => void,
      reject: pendingReject!,
      signal,
      onAbort: undefined,
    }
    if (signal !== undefined) {
      lr.onAbort = (): void => this.#abortLink(lr)
      this.#listen(signal, lr.onAbort)
    }
    if (this.#queueHead < this.#queue.length || !hasRoom(s, ops.length)) {
      this.#enqueue({ kind: K_LINK, op: undefined, ops, hard, resolve: undefined, reject: undefined, signal, link: lr, stream: undefined, target: -1, onAbort: undefined })
      return p
    }
    this.#stageLink(lr, hard)
    return p
  }

  #stageLink(lr: LinkRun, hard: boolean): void {
    let slots: number[]
    try {
      slots = stageLinked(this.#s, lr.ops, hard)
    } catch (e) {
      this.#finishLink(lr, e as Error)
      return
    }
    lr.slots = slots
    for (const slot of slots) {
      this.#own(slot, K_LINK, undefined, undefined, undefined)
      this.#link[slot] = lr
    }
    this.#schedule()
  }

  stream(o: Op, options?: RunOptions): AsyncIterableIterator<unknown> {
    const s = this.#s
    if (s.closed) throw closedError()
    const signal = checkSignal(options, RUN_KEYS)
    if (!(o instanceof Op)) throw invalidType('op', 'an op made by op.*()', o)
    noSkip(o)
    const st: StreamRun = { op: o, slot: -1, values: [], waiters: [], error: undefined, done: false, cancelled: false, signal, onAbort: undefined }
    const it: AsyncIterableIterator<unknown> = {
      next: (): Promise<IteratorResult<unknown>> => {
        if (st.values.length > 0) return Promise.resolve({ value: st.values.shift(), done: false })
        if (st.error !== undefined && st.done) {
          const e = st.error
          st.error = undefined
          return Promise.reject(e)
        }
        if (st.done) return Promise.resolve({ value: undefined, done: true })
        return new Promise((resolve, reject) => st.waiters.push({ resolve, reject }))
      },
      return: (): Promise<IteratorResult<unknown>> => {
        // Stop: cancel the op; what it still posts is dropped, and its memory is released with its final CQE.
        st.values.length = 0
        if (!st.done) this.#cancelStream(st)
        return Promise.resolve({ value: undefined, done: true })
      },
      [Symbol.asyncIterator]() {
        return it
      },
    }
    if (signal?.aborted) {
      st.done = true
      st.error = abortError(signal)
      return it
    }
    this.#start()
    if (signal !== undefined) {
      st.onAbort = (): void => {
        if (st.done) return
        // Like events.on() and streams: an abort drops what was not read yet; the next read
        // rejects with the AbortError once the kernel has posted the op's final CQE.
        st.values.length = 0
        st.error = abortError(signal)
        this.#cancelStream(st)
      }
      this.#listen(signal, st.onAbort)
    }
    if (this.#queueHead < this.#queue.length || !hasRoom(s, 1)) {
      this.#enqueue({ kind: K_STREAM, op: o, ops: undefined, hard: false, resolve: undefined, reject: undefined, signal, link: undefined, stream: st, target: -1, onAbort: undefined })
    } else {
      this.#stageStream(st)
    }
    return it
  }

  #stageStream(st: StreamRun): void {
    const s = this.#s
    try {
      stage(s, st.op)
    } catch (e) {
      this.#endStream(st, e as Error)
      return
    }
    const slot = s.staging[(s.staged - 1) * s.stride + F.SLOT]
    st.slot = slot
    this.#own(slot, K_STREAM, undefined, undefined, undefined)
    this.#stream[slot] = st
    this.#schedule()
  }

  #endStream(st: StreamRun, err: Error | undefined): void {
    if (st.done) return
    st.done = true
    if (err !== undefined && st.error === undefined) st.error = err
    if (st.signal !== undefined && st.onAbort !== undefined) this.#unlisten(st.signal, st.onAbort)
    const ws = st.waiters.splice(0)
    for (const w of ws) {
      if (st.error !== undefined) {
        const e = st.error
        st.error = undefined
        w.reject(e)
      } else {
        w.resolve({ value: undefined, done: true })
      }
    }
  }

  #pushStream(st: StreamRun, v: unknown): void {
    if (st.cancelled) return
    const w = st.waiters.shift()
    if (w !== undefined) w.resolve({ value: v, done: false })
    else st.values.push(v)
  }

  #cancelStream(st: StreamRun): void {
    if (st.cancelled || st.done) return
    st.cancelled = true
    if (st.slot < 0) {
      // Still queued: it never reaches the kernel.
      this.#dropJob((j) => j.stream === st)
      this.#endStream(st, undefined)
      return
    }
    if (this.#unstage(st.slot)) {
      this.#clearSlot(st.slot)
      releaseSlot(this.#s, st.slot)
      this.#endStream(st, undefined)
      return
    }
    this.#cancel(st.slot)
  }

  #enqueue(j: Job): void {
    this.#queue.push(j)
    if (j.kind === K_RUN && j.signal !== undefined) {
      const sig = j.signal
      j.onAbort = (): void => {
        if (this.#dropJob((x) => x === j)) j.reject!(abortError(sig))
      }
      this.#listen(sig, j.onAbort)
    }
    this.#schedule()
  }

  /** Removes a queued job; whether it was there. */
  #dropJob(match: (j: Job) => boolean): boolean {
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      if (match(this.#queue[i])) {
        this.#queue.splice(i, 1)
        return true
      }
    }
    return false
  }

  /** Moves queued jobs into the staging area while they fit (in order). */
  #fill(): void {
    const s = this.#s
    const q = this.#queue
    while (this.#queueHead < q.length) {
      const j = q[this.#queueHead]
      const need = j.kind === K_LINK ? j.ops!.length : 1
      if (!hasRoom(s, need)) break
      q[this.#queueHead++] = undefined as unknown as Job
      if (j.kind === K_RUN) {
        if (j.signal !== undefined && j.onAbort !== undefined) this.#unlisten(j.signal, j.onAbort)
        try {
          stage(s, j.op!)
        } catch (e) {
          j.reject!(e as Error)
          continue
        }
        this.#own(s.staging[(s.staged - 1) * s.stride + F.SLOT], K_RUN, j.resolve, j.reject, j.signal)
      } else if (j.kind === K_LINK) {
        this.#stageLink(j.link!, j.hard)
      } else if (j.kind === K_STREAM) {
        this.#stageStream(j.stream!)
      } else {
        this.#stageCancel(j.target, j.op!)
      }
    }
    if (this.#queueHead === q.length) {
      q.length = 0
      this.#queueHead = 0
    }
  }

  // ---- cancelling ---------------------------------------------------------------------------

  /** The abort signal of a run() fired. */
  #abortSlot(slot: number): void {
    if (this.#kind[slot] !== K_RUN || this.#aborted[slot]) return
    const sig = this.#signal[slot]!
    this.#aborted[slot] = true
    if (this.#unstage(slot)) {
      // Staged in this tick and not submitted yet: it never reaches the kernel.
      const reject = this.#reject[slot]!
      this.#clearSlot(slot)
      releaseSlot(this.#s, slot)
      reject(abortError(sig))
      return
    }
    this.#cancel(slot)
  }

  #abortLink(lr: LinkRun): void {
    if (lr.settled || lr.aborted) return
    lr.aborted = true
    if (lr.slots.length === 0) {
      // Still queued.
      this.#dropJob((j) => j.link === lr)
      this.#finishLink(lr, abortError(lr.signal!))
      return
    }
    if (this.#unstageMany(lr.slots)) {
      for (const slot of lr.slots) {
        this.#clearSlot(slot)
        releaseSlot(this.#s, slot)
      }
      this.#finishLink(lr, abortError(lr.signal!))
      return
    }
    this.#cancelFirstLive(lr)
  }

  /**
   * Cancels the first op of an aborted chain that has not completed. A soft chain's rest then
   * fails with ECANCELED by itself; a hard chain goes on to its next op, which is cancelled in
   * turn when this one's CQE arrives (dispatch). Only the first can be cancelled: the kernel does
   * not find an op that waits behind another in its chain, so a cancel of the whole chain at
   * once would miss the later ops, and one of those could block for ever (a read of a FIFO).
   */
  #cancelFirstLive(lr: LinkRun): void {
    for (let k = 0; k < lr.slots.length; k++) {
      const slot = lr.slots[k]
      if (this.#link[slot] === lr && this.#s.ops[slot] === lr.ops[k]) {
        this.#cancel(slot)
        return
      }
    }
  }

  /** Queues an ASYNC_CANCEL of the op in `slot`. */
  #cancel(slot: number): void {
    const target = this.#s.ops[slot]
    if (target === undefined) return
    if (hasRoom(this.#s, 1) && this.#queueHead === this.#queue.length) this.#stageCancel(slot, target)
    else this.#enqueue({ kind: K_INTERNAL, op: target, ops: undefined, hard: false, resolve: undefined, reject: undefined, signal: undefined, link: undefined, stream: undefined, target: slot, onAbort: undefined })
    this.#schedule()
  }

  #stageCancel(target: number, targetOp: Op): void {
    const s = this.#s
    // Completed while the cancel waited for room (its slot may hold a newer op by now): nothing
    // to cancel. Once staged, a cancel is safe: an op that takes the slot later is staged after
    // it, and the kernel runs the cancel before it even sees that op.
    if (s.ops[target] !== targetOp || !this.owns(target)) return
    stage(s, new SlotCancel(target, targetOp))
    this.#own(s.staging[(s.staged - 1) * s.stride + F.SLOT], K_INTERNAL, undefined, undefined, undefined)
    this.#schedule()
  }

  /** Removes a staged, not yet submitted entry for `slot`; whether it was staged. */
  #unstage(slot: number): boolean {
    return this.#unstageMany([slot])
  }

  /** Removes the staged entries of `slots` (contiguous: one op or one chain). */
  #unstageMany(slots: number[]): boolean {
    const s = this.#s
    const st = s.staging
    const w = s.stride
    for (let i = 0; i < s.staged; i++) {
      if (st[i * w + F.SLOT] !== slots[0]) continue
      const n = slots.length
      st.copyWithin(i * w, (i + n) * w, s.staged * w)
      s.staged -= n
      return true
    }
    return false
  }

  #clearSlot(slot: number): void {
    this.#kind[slot] = K_NONE
    this.#resolve[slot] = undefined
    this.#reject[slot] = undefined
    this.#first[slot] = undefined
    this.#link[slot] = undefined
    this.#stream[slot] = undefined
    const sig = this.#signal[slot]
    if (sig !== undefined) {
      this.#unlisten(sig, this.#onAbort[slot]!)
      this.#signal[slot] = undefined
      this.#onAbort[slot] = undefined
    }
  }

  // ---- completing ---------------------------------------------------------------------------

  /** The tick's one native call: submit what is staged, reap what is there, settle. */
  #tick(): void {
    this.#scheduled = false
    const s = this.#s
    if (s.closed) return
    this.#fill()
    this.#flushes++
    this.#submit()
    this.#drain()
    if (this.#queueHead < this.#queue.length || s.staged > 0) this.#schedule()
  }

  #submit(): void {
    const s = this.#s
    for (;;) {
      compact(s)
      const n = s.staged
      const bufs = s.bufs
      try {
        s.native.submit(n, n > 0 && bufs.length > 0 ? bufs : null, 0, -1)
        s.staged = 0
        if (bufs.length > 0) s.bufs = []
        return
      } catch (e) {
        const err = fromNative(e)
        if (n === 0) return // a reap that failed: the next wake or tick tries again
        if (err.message.startsWith('io_uring_enter')) {
          // The batch was pushed; only the enter failed. The ops are in the SQ and go with the
          // next enter.
          s.staged = 0
          if (bufs.length > 0) s.bufs = []
          return
        }
        const m = /^entry (\d+): /.exec(err.message)
        if (m === null) {
          // Refused as a whole before anything was pushed (a disabled ring, ...).
          const slots: number[] = []
          for (let i = 0; i < n; i++) slots.push(s.staging[i * s.stride + F.SLOT])
          s.staged = 0
          s.bufs = []
          for (const slot of slots) this.#fail(slot, err)
          return
        }
        // Rust validates the whole batch before pushing any of it; the entry it refused (a
        // handle unregistered since the op was staged) fails alone, and the rest goes again.
        const i = Math.min(Number(m[1]), n - 1)
        this.failStaged(s.staging[i * s.stride + F.SLOT], err)
      }
    }
  }

  /** Takes a refused staged op (its whole chain, for runLinked) out of the batch and fails it. */
  failStaged(bad: number, err: Error): void {
    const lr = this.#link[bad]
    const ids = lr !== undefined && lr.slots.length > 0 ? lr.slots : [bad]
    this.#unstageMany(ids)
    for (const slot of ids) this.#fail(slot, err)
  }

  /** Settles a driver op that never reached the kernel. */
  #fail(slot: number, err: Error): void {
    const kind = this.#kind[slot]
    if (kind === undefined || kind === K_NONE) {
      releaseSlot(this.#s, slot) // an op pushed with ring.sq in the same batch
      return
    }
    const reject = this.#reject[slot]
    const lr = this.#link[slot]
    const st = this.#stream[slot]
    this.#clearSlot(slot)
    releaseSlot(this.#s, slot)
    if (kind === K_RUN) reject!(err)
    else if (kind === K_LINK && lr !== undefined) this.#finishLink(lr, err)
    else if (kind === K_STREAM && st !== undefined) this.#endStream(st, err)
  }

  #onWake(): void {
    const s = this.#s
    if (s.closed) return
    compact(s)
    try {
      s.native.wakeReap()
    } catch {
      return
    }
    this.#drain()
    if (this.#queueHead < this.#queue.length) this.#schedule()
  }

  /** Settles every CQE in the mirror; keeps the others (ops pushed with ring.sq) for ring.cq. */
  #drain(): void {
    const s = this.#s
    for (;;) {
      const m = s.mirror
      const count = m[H_COUNT]
      while (s.pos < count) {
        // readCqe settles driver ops; a CQE of an op pushed with ring.sq is kept for ring.cq.
        if (readCqe(s, s.pos++, this.#spare)) {
          s.extra.push(this.#spare)
          this.#spare = new Cqe()
        }
      }
      compact(s)
      if (s.closed || m[H_CQ_READY] === 0) return
      // More CQEs than the mirror holds: copy the rest (no syscall unless the kernel needs one).
      try {
        s.native.reap()
      } catch {
        return
      }
      if (m[H_COUNT] === 0) return
    }
  }

  dispatch(slot: number, res: number, flags: number, aux: number): void {
    const s = this.#s
    const kind = this.#kind[slot]
    const o = s.ops[slot]
    const more = (flags & CQE_F_MORE) !== 0
    // A timeout that fires posts -ETIME: that is what it is for, not a failure (a multishot one
    // posts it on every fire). It settles with res: -ETIME when the time passed, 0 when `count`
    // completions came first. A link timeout whose op finished in time posts -ECANCELED: that
    // is its success (its -ETIME, the op timed out, is the chain's failure).
    const failed = res < 0 && !(o !== undefined && ((res === -ETIME && o.opcode === Opcode.TIMEOUT) || (res === -ECANCELED && o.opcode === Opcode.LINK_TIMEOUT)))
    if (kind === K_INTERNAL) {
      if (!more) {
        this.#kind[slot] = K_NONE
        // A chain's next op is started by the kernel's task work after its predecessor's CQE,
        // so a cancel sent on that CQE can come first and find nothing: try again while that op
        // of an aborted chain is still live (the next enter has started it).
        // A multishot timeout is off the kernel's timeout list from its timer firing until its
        // task work posts the CQE and re-arms it: a cancel in that window finds nothing too, and
        // the stream would go on for ever. Try again while the stopped stream's op is live.
        const c = o as SlotCancel | undefined
        const t = c instanceof SlotCancel ? c.target : -1
        const missed = t >= 0 && res === -ENOENT && s.ops[t] === c!.targetOp
        const lr = missed ? this.#link[t] : undefined
        const st = missed && this.#kind[t] === K_STREAM ? this.#stream[t] : undefined
        completeSlot(s, slot)
        if (lr !== undefined && lr.aborted && !lr.settled) this.#cancel(t)
        else if (st !== undefined && st.cancelled && !st.done) this.#cancel(t)
      }
      return
    }
    if (kind === K_STREAM) {
      const st = this.#stream[slot]!
      if (!more) {
        this.#clearSlot(slot)
        completeSlot(s, slot)
      }
      if (failed) {
        const cancelled = res === -ECANCELED || res === -EINTR
        if (!(st.cancelled && cancelled)) st.error ??= systemError(o, res)
      } else if (!st.cancelled) {
        try {
          this.#pushStream(st, this.#value(o!, slot, res, flags, aux))
        } catch (e) {
          st.error ??= e as Error
        }
      }
      if (!more) this.#endStream(st, undefined)
      // A failure the op goes on after: stop it, so its final CQE ends the iteration with the error.
      else if (st.error !== undefined) this.#cancelStream(st)
      return
    }
    if (kind === K_LINK) {
      const lr = this.#link[slot]!
      const i = lr.slots.indexOf(slot)
      if (more) {
        if (failed) lr.errors[i] = systemError(o, res)
        else lr.results[i] = this.#valueOrError(o!, slot, res, flags, aux, lr, i)
        return
      }
      if (lr.errors[i] === undefined) {
        if (failed) lr.errors[i] = systemError(o, res)
        else if (lr.results[i] === undefined) lr.results[i] = this.#valueOrError(o!, slot, res, flags, aux, lr, i)
      }
      // The chain is over once none of its ops is in flight (a skip-success failure in a soft
      // chain ends it without CQEs for the rest: completeSlot frees them all).
      completeSlot(s, slot)
      this.#clearSlot(slot)
      let live = false
      for (let k = 0; k < lr.slots.length; k++) {
        const x = lr.slots[k]
        if (this.#link[x] === lr && s.ops[x] === lr.ops[k]) live = true
        else if (this.#link[x] === lr) this.#clearSlot(x)
      }
      if (!live) this.#finishLink(lr, undefined)
      else if (lr.aborted) this.#cancelFirstLive(lr)
      return
    }
    // K_RUN
    if (more) {
      // A zero-copy send: the result now, the buffer's release later; settle with the last CQE.
      if (!this.#hasFirst[slot]) {
        this.#hasFirst[slot] = true
        this.#first[slot] = failed ? systemError(o, res) : zcBytes(o!, res, this.#valueSafe(o!, slot, res, flags, aux))
      }
      return
    }
    const resolve = this.#resolve[slot]!
    const reject = this.#reject[slot]!
    const aborted = this.#aborted[slot]
    const sig = this.#signal[slot]
    const hadFirst = this.#hasFirst[slot]
    const first = this.#first[slot]
    let value: unknown
    let error: Error | undefined
    if (hadFirst) {
      if (first instanceof Error) error = first
      else value = first
    } else if (failed) {
      error = aborted && (res === -ECANCELED || res === -EINTR) && sig !== undefined ? abortError(sig) : systemError(o, res)
    } else {
      try {
        value = this.#value(o!, slot, res, flags, aux)
      } catch (e) {
        error = e as Error
      }
    }
    this.#clearSlot(slot)
    completeSlot(s, slot)
    if (error !== undefined) reject(error)
    else resolve(value as never)
  }

  #valueOrError(o: Op, slot: number, res: number, flags: number, aux: number, lr: LinkRun, i: number): unknown {
    try {
      return this.#value(o, slot, res, flags, aux)
    } catch (e) {
      lr.errors[i] = e as Error
      return undefined
    }
  }

  #valueSafe(o: Op, slot: number, res: number, flags: number, aux: number): unknown {
    try {
      return this.#value(o, slot, res, flags, aux)
    } catch {
      return res
    }
  }

  /** The op's result: its decoder's value, a RegisteredFd for a direct descriptor, or res. */
  #value(o: Op, slot: number, res: number, flags: number, aux: number): unknown {
    const dec = (o as unknown as { decode?: (c: Cqe) => unknown }).decode
    if (dec === undefined && aux === 0) return res
    const c = this.#cqe
    c.userData = this.#s.user[slot] ?? 0
    c.res = res
    c.flags = flags
    c.aux = aux
    c.op = o
    try {
      const direct = (o as unknown as { direct?: unknown }).direct === true && aux !== 0
      if (dec !== undefined) {
        const v = dec.call(o, c)
        // A direct accept decodes to { fd: slot, address }: give the slot as a handle, as for
        // a direct openat or socket (the generation in aux makes it a RegisteredFd).
        if (direct && v !== null && typeof v === 'object' && typeof (v as { fd?: unknown }).fd === 'number') {
          return { ...(v as object), fd: this.#registrar.directFd(c) }
        }
        return v
      }
      if (direct) return this.#registrar.directFd(c)
      return res
    } finally {
      c.op = undefined
    }
  }

  #finishLink(lr: LinkRun, err: Error | undefined): void {
    if (lr.settled) return
    lr.settled = true
    if (lr.signal !== undefined && lr.onAbort !== undefined) this.#unlisten(lr.signal, lr.onAbort)
    if (err !== undefined) {
      lr.reject(err)
      return
    }
    // The first real failure (ops after it were cancelled because of it).
    let first: Error | undefined
    let cancelled = false
    for (const e of lr.errors) {
      if (e === undefined) continue
      const en = (e as { errno?: number }).errno
      if (en === -ECANCELED || en === -EINTR) {
        cancelled = true
        continue
      }
      first ??= e
    }
    if (first === undefined && cancelled) {
      first = lr.aborted && lr.signal !== undefined ? abortError(lr.signal) : lr.errors.find((e) => e !== undefined)
    }
    if (first !== undefined) {
      ;(first as Error & { results?: unknown[]; errors?: Array<Error | undefined> }).results = lr.results
      ;(first as Error & { errors?: Array<Error | undefined> }).errors = lr.errors
      lr.reject(first)
      return
    }
    lr.resolve(lr.results)
  }

  /** The ring closed: whatever was pending rejects with ERR_URING_CLOSED. */
  closed(): void {
    const err = closedError()
    for (let slot = 0; slot < this.#kind.length; slot++) {
      const kind = this.#kind[slot]
      if (kind === undefined || kind === K_NONE) continue
      const reject = this.#reject[slot]
      const lr = this.#link[slot]
      const st = this.#stream[slot]
      this.#clearSlot(slot)
      if (kind === K_RUN) reject!(err)
      else if (lr !== undefined) this.#finishLink(lr, err)
      else if (st !== undefined) this.#endStream(st, err)
    }
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      const j = this.#queue[i]
      if (j.signal !== undefined && j.onAbort !== undefined) this.#unlisten(j.signal, j.onAbort)
      if (j.kind === K_RUN) j.reject!(err)
      else if (j.link !== undefined) this.#finishLink(j.link, err)
      else if (j.stream !== undefined) this.#endStream(j.stream, err)
    }
    this.#queue.length = 0
    this.#queueHead = 0
  }
}

/** What run() gives for a zero-copy send: the byte count (the buffer is free once it settles). */
function zcBytes(_o: Op, res: number, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && 'bytes' in v) return (v as { bytes: number }).bytes
  return res
}
