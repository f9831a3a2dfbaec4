/**
 * The ring (L1) and its queues (L2).
 *
 * ```ts
 * using ring = new Ring({ entries: 64 })
 * ring.sq.push(op.read(fd, buf, 0, { userData: 1 }))
 * ring.sq.submitAndWait(1)
 * for (const cqe of ring.cq) console.log(cqe.userData, cqe.res)
 * ```
 *
 * Ops are staged as numbers in a preallocated `Float64Array`; `submit()` hands the whole batch
 * to Rust in one call, which validates every field, pushes the SQEs and enters the kernel once.
 * Completions are copied into a preallocated `Int32Array` and read from there: one napi
 * crossing per batch, and nothing allocated per op on the `push`/iterate path.
 */
import {
  fromNative,
  invalidType,
  RingSetupError,
  SetupErrorCode,
  UringError,
  validateBoolean,
  validateInteger,
  validateKeys,
  validateObject,
} from './errors'
import { markAsUntransferable } from 'node:worker_threads'
import { release as osRelease } from 'node:os'
import { native, LAYOUT } from './native'
import { F, IOSQE_CQE_SKIP_SUCCESS, IOSQE_IO_HARDLINK, IOSQE_IO_LINK, Op } from './opbase'
import { Probe, OP_TABLE } from './probe'
import { Registrar } from './registrar'
import type { RegisteredFd } from './registrar'
import type { NativeRing, NativeSetupOptions } from '../binding'
import { Driver } from './driver'
import type { RingStats, RunLinkedOptions, RunOptions } from './driver'
import type { Accept, AcceptResult, SendZc, SendmsgZc } from './ops-net'

/**
 * Options of `new Ring()`: every io_uring_setup flag and parameter.
 *
 * Unless one of `singleIssuer`, `deferTaskrun`, `coopTaskrun`, `taskrunFlag`, `sqpoll` or
 * `iopoll` is given (even as `false`), the ring picks the best completion mode the kernel has:
 * SINGLE_ISSUER + DEFER_TASKRUN (6.1+; not on a kernel with `kernelQuirks().eventfdLosesDeferredSignals`),
 * else COOP_TASKRUN (5.19+), else neither, each with TASKRUN_FLAG. `ring.params.flags` says which it got.
 */
export interface RingOptions {
  /** SQ size (rounded up to a power of two by the kernel). Default 256; 1 to 32768, more with `clamp`. */
  entries?: number
  /** CQ size (IORING_SETUP_CQSIZE); at least `entries`. Default: twice the SQ. */
  cqEntries?: number
  /** IORING_SETUP_CLAMP: clamp too-large sizes to the kernel's maximum instead of failing. */
  clamp?: boolean
  /**
   * IORING_SETUP_SQPOLL: a kernel thread polls the SQ, so submitting needs no syscall while it is
   * awake. `idleMs` (default 1000) is how long it spins before sleeping; `cpu` pins it (SQ_AFF).
   * Needs CAP_SYS_ADMIN before 5.11 (`ERR_URING_SQPOLL_PERMISSION`).
   */
  sqpoll?: boolean | { idleMs?: number; cpu?: number }
  /** IORING_SETUP_IOPOLL: busy-poll for completions; only O_DIRECT I/O on polled block devices. */
  iopoll?: boolean
  /** IORING_SETUP_SINGLE_ISSUER (6.0): only one thread submits; lets the kernel skip locking. */
  singleIssuer?: boolean
  /** IORING_SETUP_DEFER_TASKRUN (6.1): completion work runs only when this process enters the kernel. Needs `singleIssuer`. */
  deferTaskrun?: boolean
  /** IORING_SETUP_COOP_TASKRUN (5.19): no IPI to interrupt the task for completion work. */
  coopTaskrun?: boolean
  /** IORING_SETUP_TASKRUN_FLAG (5.19): set IORING_SQ_TASKRUN when completion work is pending. Needs `coopTaskrun` or `deferTaskrun`. */
  taskrunFlag?: boolean
  /** IORING_SETUP_SUBMIT_ALL (5.18): keep submitting a batch past an SQE that fails. */
  submitAll?: boolean
  /** IORING_SETUP_ATTACH_WQ: share the async worker pool of another ring. */
  attachWq?: Ring
  /** IORING_SETUP_R_DISABLED (5.10): start disabled; `ring.enable()` starts it. */
  disabled?: boolean
  /** IORING_SETUP_NO_SQARRAY (6.6): no SQ index array; SQEs are used in ring order. */
  noSqarray?: boolean
  /** madvise(MADV_DONTFORK) on the ring memory, so a forked child does not share it. */
  dontfork?: boolean
}

const OPTION_KEYS = new Set<string>([
  'entries', 'cqEntries', 'clamp', 'sqpoll', 'iopoll', 'singleIssuer', 'deferTaskrun', 'coopTaskrun',
  'taskrunFlag', 'submitAll', 'attachWq', 'disabled', 'noSqarray', 'dontfork',
])
/** Options that take the taskrun mode out of uring's hands (see `RingOptions`). */
const MODE_KEYS = ['singleIssuer', 'deferTaskrun', 'coopTaskrun', 'taskrunFlag', 'sqpoll', 'iopoll'] as const
const BOOL_KEYS = ['clamp', 'iopoll', 'singleIssuer', 'deferTaskrun', 'coopTaskrun', 'taskrunFlag', 'submitAll', 'disabled', 'noSqarray', 'dontfork'] as const
const SQPOLL_KEYS = new Set<string>(['idleMs', 'cpu'])

/** Setup flags in force, by name (`ring.params.flags.sqpoll`, ...). */
export type SetupFlags = Record<
  | 'iopoll' | 'sqpoll' | 'sqAff' | 'cqsize' | 'clamp' | 'attachWq' | 'disabled' | 'submitAll'
  | 'coopTaskrun' | 'taskrunFlag' | 'sqe128' | 'cqe32' | 'singleIssuer' | 'deferTaskrun' | 'noMmap'
  | 'registeredFdOnly' | 'noSqarray' | 'hybridIopoll',
  boolean
>

/** Every IORING_FEAT_* bit of the running kernel, by name. */
export type Features = Record<
  | 'singleMmap' | 'nodrop' | 'submitStable' | 'rwCurPos' | 'curPersonality' | 'fastPoll' | 'poll32Bits'
  | 'sqpollNonfixed' | 'extArg' | 'nativeWorkers' | 'rsrcTags' | 'cqeSkip' | 'linkedFile' | 'regRegRing'
  | 'recvsendBundle' | 'minTimeout' | 'rwAttr' | 'noIowait',
  boolean
>

/** What the kernel set up. */
export interface RingParams {
  readonly sqEntries: number
  readonly cqEntries: number
  /** The raw IORING_SETUP_* bits. */
  readonly rawFlags: number
  readonly flags: Readonly<SetupFlags>
  /** sqpoll: the CPU the SQ thread is pinned to, and its idle time in ms. */
  readonly sqThreadCpu: number
  readonly sqThreadIdle: number
  /** The raw IORING_FEAT_* bits. */
  readonly rawFeatures: number
}

const FLAG_TABLE = native.setupFlagTable()
const FEATURE_TABLE = native.featureTable()

function decodeBits<T>(bits: number, table: Array<{ bit: number; name: string }>): T {
  const o: Record<string, boolean> = {}
  for (const r of table) o[r.name] = (bits & r.bit) !== 0
  return o as T
}

/** The kernel release that adds each feature bit (for messages and `uring doctor`). */
export const FEATURE_SINCE: Readonly<Record<keyof Features, string>> = Object.freeze(
  Object.fromEntries(FEATURE_TABLE.map((r) => [r.name, r.since ?? '?'])) as Record<keyof Features, string>,
)

const CQE_F_BUFFER = 1 << 0
const CQE_F_MORE = 1 << 1
const CQE_F_SOCK_NONEMPTY = 1 << 2
const CQE_F_NOTIF = 1 << 3

/** @internal Mirror header words (crates/uring-core/src/cqueue.rs). */
export const H_COUNT = 0
export const H_SQ_PENDING = 1
export const H_CQ_READY = 2
export const H_OVERFLOW = 3
export const H_IN_FLIGHT = 4
export const H_ENTERS = 5

/** A completion, copied out of the CQ. */
export class Cqe {
  /** The op's `userData`. */
  userData: number | bigint = 0
  /** The result: >= 0 on success (bytes, an fd, ...), -errno on failure. */
  res = 0
  /** The raw IORING_CQE_F_* flags. */
  flags = 0
  /**
   * @internal What the ring added to this CQE: the generation of a direct descriptor the op
   * created (read by `registrar.directFd`), or where a provided buffer's data starts (read by
   * `group.take`).
   */
  aux = 0
  /**
   * The op object this CQE belongs to (what was pushed), so a result can be decoded with it
   * (`cqe.op.decode(cqe)` where the op has a decoder) and a multishot op re-armed.
   */
  op: Op | undefined = undefined
  /** The provided buffer's id (IORING_CQE_F_BUFFER), or undefined. */
  get bufferId(): number | undefined {
    return this.flags & CQE_F_BUFFER ? this.flags >>> 16 : undefined
  }
  /** IORING_CQE_F_MORE: a multishot op will post more CQEs. */
  get more(): boolean {
    return (this.flags & CQE_F_MORE) !== 0
  }
  /** IORING_CQE_F_NOTIF: a zero-copy send's notification that its buffer is free. */
  get notification(): boolean {
    return (this.flags & CQE_F_NOTIF) !== 0
  }
  /** IORING_CQE_F_SOCK_NONEMPTY: the socket has more data to read. */
  get sockNonEmpty(): boolean {
    return (this.flags & CQE_F_SOCK_NONEMPTY) !== 0
  }
  /** A copy that stays valid (the iterator reuses its object). */
  clone(): Cqe {
    const c = new Cqe()
    c.userData = this.userData
    c.res = this.res
    c.flags = this.flags
    c.aux = this.aux
    c.op = this.op
    return c
  }
  /** JSON has no bigint: a bigint `userData` is written as its decimal string. */
  toJSON(): { userData: number | string; res: number; flags: number } {
    return { userData: typeof this.userData === 'bigint' ? this.userData.toString() : this.userData, res: this.res, flags: this.flags }
  }
}

function setupOptions(options: RingOptions | undefined): NativeSetupOptions {
  const o = options === undefined ? {} : validateObject(options, 'options')
  validateKeys(o, OPTION_KEYS, 'options')
  const n: NativeSetupOptions = {
    entries: o.entries === undefined ? 256 : validateInteger(o.entries, 'options.entries', 0, 0xffffffff),
  }
  if (o.cqEntries !== undefined) n.cqEntries = validateInteger(o.cqEntries, 'options.cqEntries', 0, 0xffffffff)
  for (const k of BOOL_KEYS) {
    if (o[k] !== undefined) n[k] = validateBoolean(o[k], `options.${k}`)
  }
  if (o.sqpoll !== undefined && o.sqpoll !== false) {
    n.sqpoll = true
    if (o.sqpoll !== true) {
      const s = validateObject(o.sqpoll, 'options.sqpoll')
      validateKeys(s, SQPOLL_KEYS, 'options.sqpoll')
      if (s.idleMs !== undefined) n.sqThreadIdle = validateInteger(s.idleMs, 'options.sqpoll.idleMs', 0, 0xffffffff)
      if (s.cpu !== undefined) n.sqThreadCpu = validateInteger(s.cpu, 'options.sqpoll.cpu', 0, 0xffffffff)
    }
  }
  if (o.attachWq !== undefined) {
    if (!(o.attachWq instanceof Ring)) throw invalidType('options.attachWq', 'an instance of Ring', o.attachWq)
    n.attachWqFd = o.attachWq.fd
  }
  return n
}

/** A link chain with skip-success ops: its slots in order (the last one ends it). */
interface Chain {
  slots: number[]
  hard: boolean
}

/** @internal The state a Ring shares with its queues, registrar and driver. */
export interface RingState {
  native: NativeRing
  staging: Float64Array
  mirror: Int32Array
  stride: number
  cqeStride: number
  header: number
  capacity: number // CQEs the mirror holds
  staged: number
  bufs: unknown[]
  /** userData by slot. */
  user: Array<number | bigint>
  /** The op in flight in each slot (undefined when the slot is free). */
  ops: Array<Op | undefined>
  /** Slots of skip-success ops: they post a CQE only when they fail. */
  skip: boolean[]
  /** For each op of a pushLinked chain with skip-success ops: that chain. */
  chain: Array<Chain | undefined>
  /** Slots of the staged entries, in staging order (to release them on close). */
  freeSlots: number[]
  nextSlot: number
  /** Read position (in CQEs) in the mirror. */
  pos: number
  sqEntries: number
  closed: boolean
  /** supported[opcode], from the probe at setup. */
  supported: boolean[]
  /** IORING_FEAT_CQE_SKIP (5.17): the kernel knows IOSQE_CQE_SKIP_SUCCESS (skipSuccess). */
  cqeSkip: boolean
  sqpoll: boolean
  /** The async driver, once `ring.run()` (or ref/unref/stream) was first used. */
  drv: DriverHooks | undefined
  /** CQEs of ops pushed with `ring.sq` that the driver read out of the mirror, for `ring.cq`. */
  extra: Cqe[]
  extraPos: number
}

/** @internal What the ring asks of its driver. */
export interface DriverHooks {
  /** Whether the op in `slot` was issued by the driver (its CQEs settle promises). */
  owns(slot: number): boolean
  /** A CQE of a driver op (read from the mirror by whoever got there first). */
  dispatch(slot: number, res: number, flags: number, aux: number): void
  /** The ring was closed: reject whatever is pending. */
  closed(): void
  /**
   * A staged driver op that the native layer refused (a stale handle, ...): take it (and its
   * chain) out of the staging area and reject it with `err`.
   */
  failStaged(slot: number, err: Error): void
}

/** An io_uring instance. Close it with `ring.close()` or `using ring = new Ring()`. */
export class Ring implements Disposable {
  /** What the kernel set up. */
  readonly params: RingParams
  /** Every IORING_FEAT_* bit of this kernel, by name. */
  readonly features: Readonly<Features>
  /** The submission queue. */
  readonly sq: SubmissionQueue
  /** The completion queue. */
  readonly cq: CompletionQueue
  /** Registered buffers and files, buffer groups, eventfd, personalities (see docs/registrar.md). */
  readonly registrar: Registrar
  readonly #s: RingState
  #probe: Probe | undefined

  /**
   * Sets up a ring. Throws {@link RingSetupError} when the kernel refuses, with a `code` that
   * says why (`ERR_URING_DISABLED`, `ERR_URING_INVALID_OPTION`, ...).
   */
  constructor(options?: RingOptions) {
    const opts = setupOptions(options)
    const { stride, cqeStride, mirrorHeader } = LAYOUT
    // Sized from what the kernel can give at most (it clamps, or Rust rejects, anything larger),
    // so a huge request fails with a coded error instead of a huge allocation.
    const sq = Math.max(1, Math.min(opts.entries, 32768))
    const staging = new Float64Array(nextPow2(sq) * stride)
    const capacity = Math.min(Math.max(2 * nextPow2(Math.min(opts.cqEntries ?? sq * 2, 65536)), 64), 16384)
    const mirror = new Int32Array(mirrorHeader + capacity * cqeStride)
    const o = options as Record<string, unknown> | undefined
    const auto = o === undefined || MODE_KEYS.every((k) => o[k] === undefined)
    const r = native.openRing(opts, staging, mirror, auto)
    if (!('submit' in r)) {
      const f = r as { code: string; errno: number; message: string; options: string[] }
      throw new RingSetupError(f.code as SetupErrorCode, f.errno, f.message, f.options)
    }
    const nr = r as NativeRing
    const p = nr.params()
    this.params = Object.freeze({
      sqEntries: p.sqEntries,
      cqEntries: p.cqEntries,
      rawFlags: p.flags,
      flags: Object.freeze(decodeBits<SetupFlags>(p.flags, FLAG_TABLE)),
      sqThreadCpu: p.sqThreadCpu,
      sqThreadIdle: p.sqThreadIdle,
      rawFeatures: p.features,
    })
    this.features = Object.freeze(decodeBits<Features>(p.features, FEATURE_TABLE))
    // The staging area was sized for the SQ the kernel can give (it rounds up to a power of two
    // and clamps to 32768), and the native ring holds that very array: it is never replaced.
    this.#s = {
      native: nr,
      staging,
      mirror,
      stride,
      cqeStride,
      header: mirrorHeader,
      capacity,
      staged: 0,
      bufs: [],
      user: [],
      ops: [],
      skip: [],
      chain: [],
      freeSlots: [],
      nextSlot: 0,
      pos: 0,
      sqEntries: p.sqEntries,
      closed: false,
      supported: nr.probe().supported,
      cqeSkip: this.features.cqeSkip,
      sqpoll: (p.flags & 2) !== 0,
      drv: undefined,
      extra: [],
      extraPos: 0,
    }
    this.sq = new SubmissionQueue(this.#s)
    this.cq = new CompletionQueue(this.#s)
    this.registrar = new Registrar(this.#s)
  }

  #drv: Driver | undefined

  #driver(): Driver {
    if (this.#drv === undefined) {
      this.#drv = new Driver(this.#s, this.registrar)
      this.#s.drv = this.#drv
    }
    return this.#drv
  }

  /**
   * Runs one op and resolves with its result: a byte count or fd (`res`), a `RegisteredFd` for
   * a `direct: true` open/accept/socket, or the op's decoded result (statx, accept, recvmsg, ...).
   * Rejects with a Node-style error (`code` 'ENOENT', negative `errno`, `syscall`, `path`).
   *
   * Every op run in the same tick goes to the kernel in one io_uring_enter (from a microtask);
   * completions that come later wake the event loop. When the SQ is full, ops wait in a queue
   * and go as room frees. An aborted `signal` cancels the op (IORING_OP_ASYNC_CANCEL): the
   * promise rejects with an AbortError once the kernel confirms; if the op finished first, it
   * settles with its real result.
   */
  run<O extends Op>(o: O, options?: RunOptions): Promise<RunResult<O>> {
    return this.#driver().run(o, options) as Promise<RunResult<O>>
  }

  /**
   * Runs `ops` as one link chain (IOSQE_IO_LINK, or HARDLINK with `hard: true`) and resolves
   * with every op's result, in order (`undefined` for skip-success ops, which post nothing when
   * they succeed). A failure rejects with the first op's error that is not a cancellation; the
   * error carries `results` and `errors` for each op.
   */
  runLinked(ops: readonly Op[], options?: RunLinkedOptions): Promise<unknown[]> {
    return this.#driver().runLinked(ops, options)
  }

  /**
   * Runs a multishot op (acceptMultishot, recvMultishot, readMultishot, pollAdd/timeout with
   * `multishot`, ...) and yields each completion's result as it comes. Breaking out of the loop
   * (or aborting `signal`) cancels the op. The iteration throws the op's error, if it fails.
   */
  stream<O extends Op>(o: O, options?: RunOptions): AsyncIterableIterator<RunResult<O>> {
    return this.#driver().stream(o, options) as AsyncIterableIterator<RunResult<O>>
  }

  /** Ops in flight keep the process alive (the default), like a socket's `ref()`. */
  ref(): this {
    if (!this.#s.closed) this.#driver().ref(true)
    return this
  }

  /** Ops in flight no longer keep the process alive, like a socket's `unref()`. */
  unref(): this {
    if (!this.#s.closed) this.#driver().ref(false)
    return this
  }

  /** Debug counters: io_uring_enter calls, driver flushes and wakeups, queued ops. */
  get stats(): RingStats {
    if (this.#drv !== undefined) return this.#drv.stats
    return { enters: this.#s.closed ? 0 : this.#s.mirror[H_ENTERS], flushes: 0, wakeups: 0, queued: 0 }
  }

  /** Probes the running kernel's ops with a short-lived ring. */
  static probe(): Probe {
    const r = new Ring({ entries: 1 })
    try {
      return r.probe
    } finally {
      r.close()
    }
  }

  /** The ops this kernel supports (read once, then cached). */
  get probe(): Probe {
    const s = live(this.#s)
    if (!this.#probe) this.#probe = new Probe(s.native.probe())
    return this.#probe
  }

  /** The ring's file descriptor. */
  get fd(): number {
    return live(this.#s).native.fd()
  }

  /** Whether `close()` has run. */
  get closed(): boolean {
    return this.#s.closed
  }

  /** Ops submitted and not yet completed (their final CQE not yet reaped). */
  get inFlight(): number {
    return this.#s.closed ? 0 : this.#s.native.inFlight()
  }

  /** Starts a ring set up with `disabled: true` (IORING_REGISTER_ENABLE_RINGS). */
  enable(): void {
    try {
      live(this.#s).native.enable()
    } catch (e) {
      throw fromNative(e)
    }
  }

  /**
   * Cancels every op in flight, waits for their CQEs (so no memory is freed while the kernel
   * may still use it), and frees the ring. Staged ops that were never submitted are dropped.
   * Idempotent. Returns how many ops were cancelled.
   */
  close(): { cancelled: number } {
    const s = this.#s
    if (s.closed) return { cancelled: 0 }
    s.closed = true
    s.staged = 0
    s.bufs = []
    const o = s.native.close(10_000)
    for (const op of s.ops) if (op !== undefined) op.inFlight = 0
    s.ops.length = 0
    s.skip.length = 0
    s.chain.length = 0
    s.user.length = 0
    s.freeSlots.length = 0
    s.pos = 0
    s.mirror[H_COUNT] = 0
    s.extra.length = 0
    s.extraPos = 0
    s.drv?.closed()
    return { cancelled: o.cancelled }
  }

  [Symbol.dispose](): void {
    this.close()
  }
}

/**
 * What `ring.run(op)` resolves with: the op's decoded result where it has a decoder, the byte
 * count of a zero-copy send, else `res` (or a RegisteredFd for a `direct: true` descriptor, also
 * as the `fd` of a direct accept).
 */
export type RunResult<O> = O extends SendZc | SendmsgZc
  ? number
  : O extends Accept
    ? Omit<AcceptResult, 'fd'> & { fd: number | RegisteredFd }
  : O extends { decode(c: Cqe): infer R }
    ? R
    : O extends { direct: boolean | RegisteredFd }
      ? number | RegisteredFd
      : number

function nextPow2(n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}

/** @internal */
export function live(s: RingState): RingState {
  if (s.closed) throw new UringError('ERR_URING_CLOSED', 'the ring is closed')
  return s
}

/** Moves unread CQEs to the front of the mirror so the next native call appends after them. */
/** @internal */
export function compact(s: RingState): void {
  const m = s.mirror
  const count = m[H_COUNT]
  if (s.pos === 0) return
  if (s.pos >= count) {
    m[H_COUNT] = 0
  } else {
    const from = s.header + s.pos * s.cqeStride
    m.copyWithin(s.header, from, s.header + count * s.cqeStride)
    m[H_COUNT] = count - s.pos
  }
  s.pos = 0
}

/** One native call: submit what is staged, wait for `wait` CQEs in all. Returns whether it timed out. */
function flush(s: RingState, wait: number, timeoutMs: number): { submitted: number; timedOut: boolean } {
  compact(s)
  for (;;) {
    const n = s.staged
    const bufs = s.bufs
    let r: number
    try {
      r = s.native.submit(n, n > 0 && bufs.length > 0 ? bufs : null, wait, timeoutMs)
    } catch (e) {
      const err = fromNative(e)
      if (n > 0) {
        // The batch can hold ops of the driver (ring.run in this tick, before its microtask):
        // those are not the caller's to drop. One the native layer refused fails its own
        // promise and the rest goes again; the others stay staged for the driver's tick.
        const m = /^entry (\d+): /.exec(err.message)
        const slot = m === null ? -1 : s.staging[Math.min(Number(m[1]), n - 1) * s.stride + F.SLOT]
        if (slot >= 0 && s.drv !== undefined && s.drv.owns(slot)) {
          s.drv.failStaged(slot, err)
          continue
        }
        // Nothing of this batch reached the SQ (Rust validates all before pushing any): free
        // the slots of the ops pushed with ring.sq.
        dropStaged(s)
      }
      throw err
    }
    s.staged = 0
    if (bufs.length > 0) s.bufs = []
    return { submitted: n, timedOut: r < 0 }
  }
}

/**
 * Drops the staged ops pushed with ring.sq (their slots are freed) after a refused submit. Ops
 * the driver staged stay, in order, for the driver's tick: dropping them would leave their
 * promises pending for ever, with their slots handed to other ops.
 */
function dropStaged(s: RingState): void {
  const st = s.staging
  const w = s.stride
  const drv = s.drv
  let kept = 0
  for (let i = 0; i < s.staged; i++) {
    const slot = st[i * w + F.SLOT]
    if (drv !== undefined && drv.owns(slot)) {
      if (kept !== i) st.copyWithin(kept * w, i * w, (i + 1) * w)
      kept++
    } else {
      releaseSlot(s, slot)
    }
  }
  s.staged = kept
  // The kept entries name their buffers by index into s.bufs: keep it whole while any are left.
  if (kept === 0) s.bufs = []
}

function takeSlot(s: RingState): number {
  return s.freeSlots.length > 0 ? s.freeSlots.pop()! : s.nextSlot++
}

/** @internal */
export function releaseSlot(s: RingState, slot: number): void {
  const o = s.ops[slot]
  if (o === undefined) return // already free (a chain member freed with its chain)
  o.inFlight--
  s.ops[slot] = undefined
  s.user[slot] = 0
  s.skip[slot] = false
  s.chain[slot] = undefined
  s.freeSlots.push(slot)
}

/**
 * The final CQE of `slot` was read. Mirrors ring.rs `complete_slot`: the last op of a chain
 * frees the chain's skip-success ops; a skip-success op posts only when it fails, and then in a
 * soft chain the kernel ends the chain without CQEs for the rest, so all of it is done.
 */
/** @internal */
export function completeSlot(s: RingState, slot: number): void {
  const c = s.chain[slot]
  if (c === undefined) {
    releaseSlot(s, slot)
    return
  }
  const last = c.slots[c.slots.length - 1]
  if (s.skip[slot] === true) {
    if (c.hard) return
    const at = c.slots.indexOf(slot)
    for (let i = 0; i < c.slots.length; i++) {
      const x: number = c.slots[i]
      // s.chain[x] === c: a slot of this chain freed by its own CQE may be another chain's now.
      if (s.chain[x] === c && (i >= at || s.skip[x] === true)) releaseSlot(s, x)
    }
    return
  }
  releaseSlot(s, slot)
  if (slot === last) for (const x of c.slots) if (s.skip[x] === true && s.chain[x] === c) releaseSlot(s, x)
}

/** The submission queue: stage ops, then submit them in one syscall. */
export class SubmissionQueue {
  readonly #s: RingState
  /** @internal */
  constructor(s: RingState) {
    this.#s = s
  }

  /**
   * Free entries: how many more ops can be pushed before a submit.
   *
   * With sqpoll the kernel's SQ thread takes entries on its own, and it publishes the SQ head
   * only after a whole batch (after posting the batch's CQEs). Where the answer would be 0
   * while the kernel still has entries to take, this waits for the SQ thread
   * (IORING_ENTER_SQ_WAIT, waking it if idle) rather than report a full SQ the kernel is about
   * to empty, so a "push while there is space, submit, wait" loop never waits on nothing.
   */
  get space(): number {
    const s = this.#s
    if (s.closed) return 0
    // With sqpoll the kernel thread consumes SQEs on its own: ask the ring, not the last header.
    if (s.sqpoll) {
      const free = s.native.sqSpace() - s.staged
      return free > 0 ? free : s.native.sqWaitSpace(s.staged + 1) - s.staged
    }
    return s.sqEntries - s.staged - s.mirror[H_SQ_PENDING]
  }

  /** Ops pushed and not yet submitted. */
  get pending(): number {
    return this.#s.staged
  }

  /** The SQ's size. */
  get entries(): number {
    return this.#s.sqEntries
  }

  /**
   * Stages one op. Throws `ERR_URING_SQ_FULL` when there is no room (submit first), a
   * validation error for a bad op; in both cases nothing is staged.
   */
  push(o: Op): void {
    const s = live(this.#s)
    if (!hasRoom(s, 1)) throw new UringError('ERR_URING_SQ_FULL', `the SQ is full (${s.sqEntries} entries); submit() first`)
    noSkip(o)
    stage(s, o)
  }

  /** Stages several ops contiguously: all of them, or (on any error) none. */
  pushMany(ops: readonly Op[]): void {
    const s = live(this.#s)
    if (!Array.isArray(ops)) throw invalidType('ops', 'an array of ops', ops)
    if (!hasRoom(s, ops.length)) {
      throw new UringError('ERR_URING_SQ_FULL', `${ops.length} ops do not fit the ${this.space} free SQ entries; submit() first`)
    }
    for (let i = 0; i < ops.length; i++) noSkip(ops[i])
    stageAll(s, ops)
  }

  /**
   * Stages `ops` as one link chain, atomically (all or none): each op but the last gets
   * IOSQE_IO_LINK (or IOSQE_IO_HARDLINK with `hard: true`), the last gets neither, whatever the
   * ops' own options say. In a soft chain an op that fails cancels the rest (their CQEs have
   * -ECANCELED); a hard chain goes on. Put `op.linkTimeout(ms)` right after an op to bound it.
   * Ops here may use `skipSuccess` (not the last): they post a CQE only if they fail.
   */
  pushLinked(ops: readonly Op[], options?: { hard?: boolean }): void {
    const s = live(this.#s)
    if (!Array.isArray(ops)) throw invalidType('ops', 'an array of ops', ops)
    if (ops.length === 0) throw new UringError('ERR_INVALID_ARG_VALUE', 'a link chain needs at least one op')
    let hard = false
    if (options !== undefined) {
      const o = validateObject(options, 'options')
      validateKeys(o, new Set(['hard']), 'options')
      if (o.hard !== undefined) hard = validateBoolean(o.hard, 'options.hard')
    }
    if (ops.length > s.sqEntries) {
      throw new UringError('ERR_URING_CHAIN_TOO_LONG', `a chain of ${ops.length} ops cannot fit an SQ of ${s.sqEntries} entries (a chain is submitted whole)`)
    }
    if (!hasRoom(s, ops.length)) {
      throw new UringError('ERR_URING_SQ_FULL', `a chain of ${ops.length} ops does not fit the ${this.space} free SQ entries; submit() first`)
    }
    stageLinked(s, ops, hard)
  }

  /** Submits everything staged with one io_uring_enter; returns how many ops were submitted. */
  submit(): number {
    return flush(live(this.#s), 0, -1).submitted
  }

  /**
   * Submits everything staged and waits until at least `n` completions are ready to be read
   * from `ring.cq` (counting ones already there), `timeoutMs` passes, or the completion mirror
   * (twice the CQ) is full. Returns how many ops were submitted.
   */
  submitAndWait(n = 1, options?: { timeoutMs?: number }): number {
    const s = live(this.#s)
    const want = validateInteger(n, 'n', 0, 0xffffffff)
    const timeoutMs = waitTimeout(options)
    // CQEs of ring.sq ops that the driver already read out of the kernel (kept for ring.cq) are
    // ready too: the kernel will not post them again, so waiting for them would wait for ever.
    const kept = s.extra.length - s.extraPos
    return flush(s, Math.max(0, want - kept), timeoutMs).submitted
  }
}

function waitTimeout(options: { timeoutMs?: number } | undefined): number {
  if (options === undefined) return -1
  const o = validateObject(options, 'options')
  validateKeys(o, new Set(['timeoutMs']), 'options')
  if (o.timeoutMs === undefined) return -1
  if (typeof o.timeoutMs !== 'number') throw invalidType('options.timeoutMs', 'of type number', o.timeoutMs)
  if (!(o.timeoutMs >= 0) || !Number.isFinite(o.timeoutMs)) {
    throw new UringError('ERR_OUT_OF_RANGE', `The value of "options.timeoutMs" is out of range. It must be a finite number >= 0. Received ${o.timeoutMs}`)
  }
  return o.timeoutMs
}

/**
 * Whether `n` more ops fit. The pending count in the last header is an upper bound (the kernel
 * only consumes SQEs), so it answers without a native call unless sqpoll may have made room.
 */
/**
 * @internal Stages `ops` as one link chain (all or none), after the caller checked room: fixes
 * the link flags and records the chain's skip-success ops. Returns the chain's slots.
 */
export function stageLinked(s: RingState, ops: readonly Op[], hard: boolean): number[] {
  const last = ops[ops.length - 1]
  if (last instanceof Op && (last.sqeFlags & IOSQE_CQE_SKIP_SUCCESS) !== 0) {
    throw new UringError('ERR_URING_SKIP_SUCCESS', 'the last op of a chain cannot use skipSuccess: its CQE is what frees the chain')
  }
  if (!s.cqeSkip) {
    // An older kernel fails an op with this flag with -EINVAL, and then every op of the chain
    // posts a CQE that the bookkeeping of skipped ops does not expect.
    for (const o of ops) {
      if (o instanceof Op && (o.sqeFlags & IOSQE_CQE_SKIP_SUCCESS) !== 0) {
        throw new UringError('ERR_URING_OP_UNSUPPORTED', `skipSuccess (IOSQE_CQE_SKIP_SUCCESS) is not supported by this kernel (${osRelease()}); it needs Linux ${FEATURE_SINCE.cqeSkip}`)
      }
    }
  }
  const first = s.staged
  stageAll(s, ops)
  const link = hard ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK
  const chain: Chain = { slots: [], hard }
  let skips = false
  for (let i = 0; i < ops.length; i++) {
    const at = (first + i) * s.stride
    let f = s.staging[at + F.FLAGS] & ~(IOSQE_IO_LINK | IOSQE_IO_HARDLINK)
    if (i < ops.length - 1) f |= link
    s.staging[at + F.FLAGS] = f
    const slot = s.staging[at + F.SLOT]
    chain.slots.push(slot)
    if ((f & IOSQE_CQE_SKIP_SUCCESS) !== 0) {
      s.skip[slot] = true
      skips = true
    }
  }
  if (skips) for (const slot of chain.slots) s.chain[slot] = chain
  return chain.slots
}

/** @internal */
export function hasRoom(s: RingState, n: number): boolean {
  if (s.sqEntries - s.staged - s.mirror[H_SQ_PENDING] >= n) return true
  // sqpoll: the SQ thread may have taken the entries without publishing the head yet; wait for
  // it (see SubmissionQueue.space) rather than refuse a push or queue an op with none in flight.
  return s.sqpoll && s.native.sqWaitSpace(s.staged + n) - s.staged >= n
}

/** @internal */
export function noSkip(o: Op): void {
  if (o instanceof Op && (o.sqeFlags & IOSQE_CQE_SKIP_SUCCESS) !== 0) {
    throw new UringError('ERR_URING_SKIP_SUCCESS', `${o.name} uses skipSuccess: push it with ring.sq.pushLinked(), before the chain's last op (which posts the CQE that frees it)`)
  }
}

/** Stages ops contiguously: all of them, or (on any error) none. */
/** @internal */
export function stageAll(s: RingState, ops: readonly Op[]): void {
  const staged = s.staged
  const nbufs = s.bufs.length
  try {
    for (let i = 0; i < ops.length; i++) stage(s, ops[i])
  } catch (e) {
    for (let i = staged; i < s.staged; i++) releaseSlot(s, s.staging[i * s.stride + F.SLOT])
    s.staged = staged
    s.bufs.length = nbufs
    throw e
  }
}

function ready(s: RingState): number {
  return s.mirror[H_COUNT] - s.pos
}

/** @internal */
export function stage(s: RingState, o: Op): void {
  if (!(o instanceof Op)) throw invalidType('op', 'an op made by op.*()', o)
  if (o.exclusive && o.inFlight > 0) {
    throw new UringError('ERR_URING_OP_IN_FLIGHT', `this ${o.name} op is still in flight and owns memory the kernel writes; wait for its final CQE, or make another op`)
  }
  const at = s.staged * s.stride
  const nbufs = s.bufs.length
  try {
    // The op's fields first, as where it is made: a bad argument has its own code on any kernel.
    o.encode(s.staging, at, s.bufs, s)
    if (!s.supported[o.opcode]) {
      const since = OP_TABLE[o.opcode]?.since ?? '?'
      throw new UringError('ERR_URING_OP_UNSUPPORTED', `${o.name} (${OP_TABLE[o.opcode]?.kernelName}) is not supported by this kernel; it needs Linux ${since} or newer`)
    }
  } catch (e) {
    s.bufs.length = nbufs
    throw e
  }
  for (let i = nbufs; i < s.bufs.length; i++) pin(s.bufs[i])
  const slot = takeSlot(s)
  s.staging[at + F.SLOT] = slot
  s.user[slot] = o.userData
  s.ops[slot] = o
  o.inFlight++
  s.staged++
}

/**
 * Keeps the memory of a staged op where it is until the kernel is done with it. The native ring
 * references the op's views and ArrayBuffers until the final CQE, but a reference does not stop
 * a transfer: `structuredClone(ab, { transfer: [ab] })` or `postMessage(ab, [ab])` would detach
 * `ab` and hand its backing store to the clone, which frees it when it is collected, while the
 * kernel may still be writing into it (heap corruption; found by __test__/catalogue.spec.ts).
 * Node's untransferable mark makes those calls copy (Node 20) or throw DataCloneError (21+)
 * instead. The mark is permanent (Node has no way to lift it), like the one on Node's own
 * Buffer pool. SharedArrayBuffers cannot be detached and are left alone.
 */
function pin(b: unknown): void {
  if (ArrayBuffer.isView(b)) {
    const ab = b.buffer
    if (!(ab instanceof SharedArrayBuffer)) markAsUntransferable(ab)
  } else if (b instanceof ArrayBuffer) {
    markAsUntransferable(b)
  } else if (Array.isArray(b)) {
    for (let i = 0; i < b.length; i++) pin(b[i])
  }
}

/**
 * Fills `c` from mirror entry `i`, and frees the op's slot on its final CQE. A CQE of an op the
 * driver issued goes to the driver instead: then it returns false and `c` is untouched.
 * @internal
 */
export function readCqe(s: RingState, i: number, c: Cqe): boolean {
  const at = s.header + i * s.cqeStride
  const m = s.mirror
  const slot = m[at]
  if (slot >= 0 && s.drv !== undefined && s.drv.owns(slot)) {
    s.drv.dispatch(slot, m[at + 1], m[at + 2] >>> 0, m[at + 3])
    return false
  }
  c.res = m[at + 1]
  c.flags = m[at + 2] >>> 0
  c.aux = m[at + 3]
  if (slot < 0) {
    // Posted by another ring (op.msgRing sets bit 31 of its user_data, past any slot): no op of
    // ours; userData is what the sender gave.
    c.userData = c.aux & 0x7fffffff
    c.op = undefined
    return true
  }
  c.userData = s.user[slot] ?? 0
  c.op = s.ops[slot]
  if ((c.flags & CQE_F_MORE) === 0) completeSlot(s, slot)
  return true
}

/** The completion queue: CQEs copied out of the kernel's ring. */
export class CompletionQueue implements Iterable<Cqe> {
  readonly #s: RingState
  readonly #cursor = new Cqe()
  /** @internal */
  constructor(s: RingState) {
    this.#s = s
  }

  /** CQEs ready to read now (copied out already, plus what the kernel's CQ holds). */
  get ready(): number {
    const s = this.#s
    if (s.closed) return 0
    // Completions arrive while JS runs (async work, sqpoll): copy out what is there now.
    compact(s)
    try {
      s.native.reap()
    } catch (e) {
      throw fromNative(e)
    }
    return ready(s) + s.mirror[H_CQ_READY] + s.extra.length - s.extraPos
  }

  /**
   * The kernel's dropped-CQE counter (`cq.koverflow`). With IORING_FEAT_NODROP (5.5+) a full CQ
   * does not drop anything (the kernel keeps the extra CQEs and uring flushes them), so this
   * stays 0 unless the kernel could not even allocate room to keep one.
   */
  get overflow(): number {
    return this.#s.mirror[H_OVERFLOW]
  }

  /** Reads one CQE into `into` (or a new Cqe). Returns undefined when none is ready. Does not block. */
  next(into?: Cqe): Cqe | undefined {
    const s = live(this.#s)
    for (;;) {
      if (s.extraPos < s.extra.length) {
        // Read out of the mirror by the async driver, kept for ring.cq.
        const e = s.extra[s.extraPos]
        s.extra[s.extraPos++] = undefined as unknown as Cqe
        if (s.extraPos === s.extra.length) {
          s.extra.length = 0
          s.extraPos = 0
        }
        if (into === undefined) return e
        into.userData = e.userData
        into.res = e.res
        into.flags = e.flags
        into.aux = e.aux
        into.op = e.op
        return into
      }
      if (s.pos >= s.mirror[H_COUNT]) {
        compact(s)
        try {
          s.native.reap()
        } catch (e) {
          throw fromNative(e)
        }
        if (s.mirror[H_COUNT] === 0) return undefined
      }
      const c = into ?? new Cqe()
      if (readCqe(s, s.pos++, c)) return c
    }
  }

  /** Every CQE ready now, as new objects. Does not block. */
  drain(): Cqe[] {
    const out: Cqe[] = []
    for (;;) {
      const c = this.next()
      if (!c) return out
      out.push(c)
    }
  }

  /**
   * Blocks until at least `n` CQEs are ready (or `timeoutMs` passes), then returns every CQE
   * ready, as new objects (fewer than `n` only on timeout).
   */
  wait(n = 1, options?: { timeoutMs?: number }): Cqe[] {
    const s = live(this.#s)
    const want = validateInteger(n, 'n', 0, 0xffffffff)
    const timeoutMs = waitTimeout(options)
    const deadline = timeoutMs >= 0 ? Date.now() + timeoutMs : -1
    const out: Cqe[] = []
    for (;;) {
      out.push(...this.drain())
      if (out.length >= want) return out
      const rem = deadline < 0 ? -1 : Math.max(0, deadline - Date.now())
      if (deadline >= 0 && rem === 0) return out
      const r = flush(s, Math.min(want - out.length, s.capacity), rem)
      if (r.timedOut) {
        out.push(...this.drain())
        return out
      }
    }
  }

  /**
   * Iterates the CQEs ready now without blocking. The yielded object is reused for every CQE
   * (no allocation per completion): read it in the loop body, or `clone()` it to keep it.
   */
  [Symbol.iterator](): Iterator<Cqe> {
    return new CqeIterator(this, this.#cursor)
  }
}

const ITER_DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true })

/**
 * The iterator of `ring.cq`: a plain object rather than a generator (a generator's resume and
 * suspend were ~5% of the CPU of a NOP batch loop), with one result object for every step (the
 * value is the reused cursor anyway).
 */
class CqeIterator implements Iterator<Cqe> {
  readonly #cq: CompletionQueue
  readonly #c: Cqe
  readonly #r: IteratorYieldResult<Cqe>
  constructor(cq: CompletionQueue, c: Cqe) {
    this.#cq = cq
    this.#c = c
    this.#r = { value: c, done: false }
  }
  next(): IteratorResult<Cqe> {
    if (this.#cq.next(this.#c) !== undefined) return this.#r
    this.#c.op = undefined // the reused object should not keep the last op (and its buffers) alive
    return ITER_DONE
  }
  return(): IteratorResult<Cqe> {
    this.#c.op = undefined
    return ITER_DONE
  }
  [Symbol.iterator](): this {
    return this
  }
}

