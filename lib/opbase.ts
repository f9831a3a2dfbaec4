/**
 * The base of every typed op (L3): the staging words, the options every op takes, and the
 * helpers each op family (`ops.ts`, `ops-fs.ts`, `ops-net.ts`, `ops-ctl.ts`) encodes with.
 *
 * An op object is staged as 16 numbers (crates/uring-core/src/squeue.rs `field`); memory it
 * points at (buffers, paths, socket addresses, output structs) goes into the batch's buffer
 * list, which the native ring keeps alive until the op's final CQE.
 */
import {
  BufferLike,
  invalidType,
  outOfRange,
  UringError,
  validateBoolean,
  validateBuffer,
  validateFd,
  validateInteger,
  validateKeys,
  validateObject,
  validateUserData,
} from './errors'
import { BufferGroup, checkHandle, Personality, RegisteredBuf, RegisteredBufSlice, RegisteredFd } from './registrar'
import type { RegistrarHost } from './registrar'
import { OP_TABLE } from './probe'
import { constants, release as osRelease } from 'node:os'

/** Word offsets of a staged entry (crates/uring-core/src/squeue.rs `field`). @internal */
export const F = {
  OP: 0,
  FLAGS: 1,
  FD: 2,
  SLOT: 3,
  BUF: 4,
  BUF_OFF: 5,
  LEN: 6,
  OFF_LO: 7,
  OFF_HI: 8,
  OP_FLAGS: 9,
  IOPRIO: 10,
  PERSONALITY: 11,
  FIXED: 12,
  FD_GEN: 13,
  BUF_GEN: 14,
  AUX: 15,
} as const

/** Bits of the FIXED word: which fields are handles (squeue.rs FX_*). @internal */
export const FX_FD = 1
export const FX_BUF = 2
export const FX_GROUP = 4
export const FX_DIRECT = 8
/** The op opens into a chosen pinned slot (registrar.directSlots): index in LEN, generation in FD_GEN. */
export const FX_SLOT = 16

const KERNEL = ((): [number, number] => {
  const m = /^(\d+)\.(\d+)/.exec(osRelease())
  return m ? [Number(m[1]), Number(m[2])] : [0, 0]
})()

/**
 * Whether the running kernel is `since` ('6.0') or newer: for variants the opcode probe cannot
 * see (a flag of an op, a multishot form).
 */
export function kernelAtLeast(since: string): boolean {
  const [a, b] = since.split('.').map(Number)
  const [x, y] = KERNEL
  return x > a || (x === a && y >= b)
}

/**
 * While an op is encoded (Op.encode): the first variant this kernel lacks. It is thrown once
 * every field was checked, so a bad argument gets its own code (ERR_INVALID_ARG_TYPE, ...) on any
 * kernel, as Node checks arguments before anything else.
 */
let lacking: UringError | undefined
let encoding = 0

/**
 * ERR_URING_OP_UNSUPPORTED, naming the kernel that adds `what`, on an older kernel: thrown at
 * once, or, inside Op.encode, after the op's other fields were checked.
 */
export function needKernel(since: string, what: string): void {
  if (kernelAtLeast(since)) return
  const e = new UringError('ERR_URING_OP_UNSUPPORTED', `${what} is not supported by this kernel (${osRelease()}); it needs Linux ${since}`)
  if (encoding === 0) throw e
  lacking ??= e
}

/** `openat`'s dirfd for "relative to the current directory". */
export const AT_FDCWD = -100

/** Names of every IORING_OP_* (without the prefix), as the kernel spells them. */
export type KernelOpName =
  | 'NOP' | 'READV' | 'WRITEV' | 'FSYNC' | 'READ_FIXED' | 'WRITE_FIXED' | 'POLL_ADD' | 'POLL_REMOVE'
  | 'SYNC_FILE_RANGE' | 'SENDMSG' | 'RECVMSG' | 'TIMEOUT' | 'TIMEOUT_REMOVE' | 'ACCEPT' | 'ASYNC_CANCEL'
  | 'LINK_TIMEOUT' | 'CONNECT' | 'FALLOCATE' | 'OPENAT' | 'CLOSE' | 'FILES_UPDATE' | 'STATX' | 'READ'
  | 'WRITE' | 'FADVISE' | 'MADVISE' | 'SEND' | 'RECV' | 'OPENAT2' | 'EPOLL_CTL' | 'SPLICE'
  | 'PROVIDE_BUFFERS' | 'REMOVE_BUFFERS' | 'TEE' | 'SHUTDOWN' | 'RENAMEAT' | 'UNLINKAT' | 'MKDIRAT'
  | 'SYMLINKAT' | 'LINKAT' | 'MSG_RING' | 'FSETXATTR' | 'SETXATTR' | 'FGETXATTR' | 'GETXATTR' | 'SOCKET'
  | 'URING_CMD' | 'SEND_ZC' | 'SENDMSG_ZC' | 'READ_MULTISHOT' | 'WAITID' | 'FUTEX_WAIT' | 'FUTEX_WAKE'
  | 'FUTEX_WAITV' | 'FIXED_FD_INSTALL' | 'FTRUNCATE' | 'BIND' | 'LISTEN' | 'RECV_ZC' | 'EPOLL_WAIT'
  | 'READV_FIXED' | 'WRITEV_FIXED' | 'PIPE'

/**
 * IORING_OP_* numbers by kernel name. Read from the native op table (crates/uring-core/src/probe.rs,
 * the one place opcodes and their first kernels are written); a test checks the names above
 * against it.
 */
export const Opcode: Readonly<Record<KernelOpName, number>> = Object.freeze(
  Object.fromEntries(OP_TABLE.map((o) => [o.kernelName.slice('IORING_OP_'.length), o.code])) as Record<KernelOpName, number>,
)

/** A process file descriptor, or a slot of the ring's file table (IOSQE_FIXED_FILE). */
export type FdLike = number | RegisteredFd
/** Memory of a read/write: any buffer, or registered memory (READ_FIXED / WRITE_FIXED). */
export type WriteBuffer = BufferLike | RegisteredBuf | RegisteredBufSlice
/** A read's destination: a buffer, registered memory, or a group the kernel picks a buffer from. */
export type ReadBuffer = WriteBuffer | BufferGroup

export const IOSQE_IO_DRAIN = 1 << 1
export const IOSQE_IO_LINK = 1 << 2
export const IOSQE_IO_HARDLINK = 1 << 3
export const IOSQE_ASYNC = 1 << 4
export const IOSQE_CQE_SKIP_SUCCESS = 1 << 6
const USER_SQE_FLAGS = IOSQE_IO_DRAIN | IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_ASYNC | IOSQE_CQE_SKIP_SUCCESS
export const TWO_32 = 2 ** 32
/** Scratch staging words for checking an op where it is made (one entry is 16 words). */
const CHECK = new Float64Array(16)
const CHECK_BUFS: unknown[] = []

/** Checks an op where it is made, so a bad op fails there and not where it is pushed. */
export function check(o: Op): void {
  try {
    o.encode(CHECK, 0, CHECK_BUFS)
  } finally {
    CHECK_BUFS.length = 0
  }
}

/** Options every op takes. */
export interface OpOptions {
  /** Handed back on the op's CQEs as `cqe.userData` (a number or a bigint up to 2^64 - 1). */
  userData?: number | bigint
  /** IOSQE_IO_LINK: the next op starts only after this one succeeds; a failure cancels the rest of the chain. */
  link?: boolean
  /** IOSQE_IO_HARDLINK: like `link`, but the chain goes on even when this op fails. */
  hardlink?: boolean
  /** IOSQE_IO_DRAIN: start only after every earlier op has completed. */
  drain?: boolean
  /** IOSQE_ASYNC: skip the non-blocking attempt and go to the kernel's worker pool at once. */
  async?: boolean
  /**
   * IOSQE_CQE_SKIP_SUCCESS (5.17): post no CQE when the op succeeds. Only inside
   * `ring.sq.pushLinked()` and not on the chain's last op, which does post one (and frees the
   * skipped ops' memory when it completes).
   */
  skipSuccess?: boolean
  /** The request's I/O priority (ioprio_set(2) encoding). */
  ioprio?: number
  /** Run the op with the credentials of a registered personality. */
  personality?: Personality
}

/** Options of read and write. */
export interface ReadWriteOptions extends OpOptions {
  /** Where in `buffer` the bytes go / come from. Default 0. */
  bufferOffset?: number
  /** How many bytes. Default: the rest of `buffer` after `bufferOffset`. */
  length?: number
  /** RWF_* flags (preadv2(2)), e.g. RWF_NOWAIT, RWF_HIPRI, RWF_DSYNC. */
  rwFlags?: number
}

/** Options of readv and writev. */
export interface VectoredOptions extends OpOptions {
  rwFlags?: number
}

/** Options of fsync. */
export interface FsyncOptions extends OpOptions {
  /** IORING_FSYNC_DATASYNC: fdatasync(2) instead of fsync(2). */
  datasync?: boolean
}

/**
 * A file offset: a non-negative integer (number or bigint), or -1 for the file's current
 * position (kernel 5.6+, IORING_FEAT_RW_CUR_POS).
 */
export type FileOffset = number | bigint

export const COMMON = ['userData', 'link', 'hardlink', 'drain', 'async', 'skipSuccess', 'ioprio', 'personality'] as const
export const RW_KEYS = new Set<string>([...COMMON, 'bufferOffset', 'length', 'rwFlags'])
export const V_KEYS = new Set<string>([...COMMON, 'rwFlags'])
export const FSYNC_KEYS = new Set<string>([...COMMON, 'datasync'])
export const NOP_KEYS = new Set<string>(COMMON)

/** The base of every op. Fields are checked again each time the op is pushed. */
export abstract class Op {
  /** The IORING_OP_* code. */
  abstract readonly opcode: number
  /** The op's name in the probe table (`'read'`, `'writev'`, ...). */
  abstract readonly name: string
  userData: number | bigint = 0
  /** IOSQE_* flags from the options. */
  sqeFlags = 0
  ioprio = 0
  personality: Personality | undefined
  /**
   * How many times this op is in flight (pushed, final CQE not yet read). Ops that own memory
   * the kernel writes (statx's buffer, accept's peer address, ...) can be in flight only once.
   */
  inFlight = 0
  /** True for ops whose output memory belongs to the op: pushing one twice at once is refused. */
  get exclusive(): boolean {
    return false
  }

  protected applyOptions(o: OpOptions | undefined, known: ReadonlySet<string>): void {
    if (o === undefined) return
    const obj = validateObject(o, 'options')
    validateKeys(obj, known, 'options')
    if (o.userData !== undefined) this.userData = validateUserData(o.userData, 'options.userData')
    let f = 0
    if (o.link !== undefined && validateBoolean(o.link, 'options.link')) f |= IOSQE_IO_LINK
    if (o.hardlink !== undefined && validateBoolean(o.hardlink, 'options.hardlink')) f |= IOSQE_IO_HARDLINK
    if (o.drain !== undefined && validateBoolean(o.drain, 'options.drain')) f |= IOSQE_IO_DRAIN
    if (o.async !== undefined && validateBoolean(o.async, 'options.async')) f |= IOSQE_ASYNC
    if (o.skipSuccess !== undefined && validateBoolean(o.skipSuccess, 'options.skipSuccess')) f |= IOSQE_CQE_SKIP_SUCCESS
    this.sqeFlags = f
    if (o.ioprio !== undefined) this.ioprio = validateInteger(o.ioprio, 'options.ioprio', 0, 0xffff)
    if (o.personality !== undefined) {
      if (!(o.personality instanceof Personality)) throw invalidType('options.personality', 'a Personality', o.personality)
      this.personality = o.personality
    }
  }

  /**
   * Writes this op into staging words `s[at..at+STRIDE)` (all fields but SLOT), after checking
   * every field. Buffers go into `bufs`; their index is staged. Handles must belong to `host`
   * (when given: at push; not when the op is only checked where it is made). A variant the
   * kernel lacks (needKernel) is refused last, after every field was checked. @internal
   */
  encode(s: Float64Array, at: number, bufs: unknown[], host?: RegistrarHost): void {
    validateUserData(this.userData, 'userData')
    validateInteger(this.sqeFlags, 'sqeFlags', 0, 0xff)
    if ((this.sqeFlags & ~USER_SQE_FLAGS) !== 0) {
      throw new UringError('ERR_INVALID_ARG_VALUE', `sqeFlags 0x${this.sqeFlags.toString(16)} are not allowed (drain, link, hardlink, async, skipSuccess)`)
    }
    validateInteger(this.ioprio, 'ioprio', 0, 0xffff)
    s[at + F.OP] = this.opcode
    s[at + F.FLAGS] = this.sqeFlags
    s[at + F.FD] = 0
    s[at + F.BUF] = -1
    s[at + F.BUF_OFF] = 0
    s[at + F.LEN] = 0
    s[at + F.OFF_LO] = 0
    s[at + F.OFF_HI] = 0
    s[at + F.OP_FLAGS] = 0
    s[at + F.IOPRIO] = this.ioprio
    s[at + F.PERSONALITY] = 0
    s[at + F.FIXED] = 0
    s[at + F.FD_GEN] = 0
    s[at + F.BUF_GEN] = 0
    s[at + F.AUX] = 0
    const p = this.personality
    if (p !== undefined) {
      if (!(p instanceof Personality)) throw invalidType('personality', 'a Personality', p)
      checkHandle(p, host, 'Personality')
      s[at + F.PERSONALITY] = p.id
    }
    const outer = lacking
    lacking = undefined
    encoding++
    try {
      this.encodeFields(s, at, bufs, host)
      if (lacking !== undefined) throw lacking
    } finally {
      encoding--
      lacking = outer
    }
  }

  protected abstract encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void
}

/** Stages an fd: a process fd, or a RegisteredFd (index + generation, IOSQE_FIXED_FILE). */
export function encodeFd(s: Float64Array, at: number, fd: unknown, host: RegistrarHost | undefined, name = 'fd'): void {
  if (fd instanceof RegisteredFd) {
    checkHandle(fd, host, 'RegisteredFd')
    s[at + F.FD] = fd.index
    s[at + F.FD_GEN] = fd.gen
    s[at + F.FIXED] += FX_FD
    return
  }
  if (typeof fd !== 'number') throw invalidType(name, 'a file descriptor (number) or a RegisteredFd', fd)
  s[at + F.FD] = validateFd(fd, name)
}

export function checkFdArg(fd: unknown, name = 'fd'): FdLike {
  if (fd instanceof RegisteredFd) return fd
  return validateFd(fd, name)
}

export function isRegistered(b: unknown): b is RegisteredBuf | RegisteredBufSlice {
  // A plain buffer (the common case) answers with one instance-type check instead of two
  // prototype-chain walks.
  return !ArrayBuffer.isView(b) && (b instanceof RegisteredBuf || b instanceof RegisteredBufSlice)
}

/** Stages a byte range of registered memory: buffer index + generation, offset, length. */
export function encodeFixed(s: Float64Array, at: number, b: RegisteredBuf | RegisteredBufSlice, bo: number, len: number | undefined, host: RegistrarHost | undefined): void {
  const slice = b instanceof RegisteredBufSlice
  const buf = slice ? b.buf : b
  const base = slice ? b.offset : 0
  const size = slice ? b.length : b.size
  checkHandle(buf, host, 'RegisteredBuf')
  validateInteger(bo, 'bufferOffset', 0, size)
  const n = len === undefined ? size - bo : validateInteger(len, 'length', 0, size - bo)
  s[at + F.FIXED] += FX_BUF
  s[at + F.BUF] = buf.index
  s[at + F.BUF_GEN] = buf.gen
  s[at + F.BUF_OFF] = base + bo
  s[at + F.LEN] = n
}

export function encodeGroup(s: Float64Array, at: number, g: BufferGroup, host: RegistrarHost | undefined): void {
  checkHandle(g, host, 'BufferGroup')
  s[at + F.FIXED] += FX_GROUP
  s[at + F.BUF] = g.id
  s[at + F.BUF_GEN] = g.gen
  s[at + F.LEN] = g.size
}

export function encodeOffset(s: Float64Array, at: number, off: unknown, name: string): void {
  if (typeof off === 'number') {
    // The common case without a float modulo (`%` of a double is a C call in V8).
    if (off >= 0 && off < TWO_32 && Math.floor(off) === off) {
      s[at + F.OFF_LO] = off
      s[at + F.OFF_HI] = 0
      return
    }
    if (!Number.isInteger(off)) throw outOfRange(name, 'an integer', off)
    if (off < -1 || off > Number.MAX_SAFE_INTEGER) throw outOfRange(name, `>= -1 && <= ${Number.MAX_SAFE_INTEGER} (use a bigint beyond)`, off)
    if (off === -1) {
      s[at + F.OFF_LO] = -1
      s[at + F.OFF_HI] = 0
    } else {
      s[at + F.OFF_LO] = off % TWO_32
      s[at + F.OFF_HI] = Math.floor(off / TWO_32)
    }
    return
  }
  if (typeof off === 'bigint') {
    if (off === -1n) {
      s[at + F.OFF_LO] = -1
      s[at + F.OFF_HI] = 0
      return
    }
    if (off < 0n || off > (1n << 63n) - 1n) throw outOfRange(name, '>= -1n && <= 2n ** 63n - 1n', off)
    s[at + F.OFF_LO] = Number(off & 0xffffffffn)
    s[at + F.OFF_HI] = Number(off >> 32n)
    return
  }
  throw invalidType(name, 'of type number or bigint', off)
}

export function byteLength(b: BufferLike): number {
  return b.byteLength
}

export const TEXT = new TextEncoder()

/** A path as NUL-terminated bytes (the kernel reads up to the NUL). */
export function cPath(path: unknown, name = 'path'): Uint8Array {
  if (typeof path === 'string') {
    if (path.length === 0) throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "${name}" must not be empty`)
    if (path.includes('\0')) throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "${name}" must be a string without null bytes`)
    const b = TEXT.encode(path)
    const out = new Uint8Array(b.length + 1)
    out.set(b)
    return out
  }
  if (path instanceof Uint8Array) {
    const n = path.indexOf(0)
    if (n === 0 || path.length === 0) throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "${name}" must not be empty`)
    if (n > 0 && n !== path.length - 1) throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "${name}" must not contain null bytes`)
    if (n === path.length - 1) return path
    const out = new Uint8Array(path.length + 1)
    out.set(path)
    return out
  }
  throw invalidType(name, 'of type string or an instance of Uint8Array', path)
}

/** What an op staged at push may consult: the ring's in-flight ops by slot. @internal */
export interface OpHost extends RegistrarHost {
  user: Array<number | bigint>
  ops: Array<Op | undefined>
}

/**
 * The slot of an in-flight op (the lowest slot) whose userData is `ud`, for ops that target another op
 * (async_cancel, timeout_remove/update, poll_remove). -1 when no op in flight has it (the kernel
 * then answers -ENOENT on the CQE), or when the op is only being checked (no ring yet).
 */
export function targetSlot(host: RegistrarHost | undefined, ud: number | bigint): number {
  if (host === undefined || !('ops' in host)) return -1
  const h = host as OpHost
  for (let i = 0; i < h.ops.length; i++) {
    if (h.ops[i] !== undefined && h.user[i] === ud) return i
  }
  return -1
}

const ERRNO_NAMES: Record<number, string> = Object.fromEntries(Object.entries(constants.errno).map(([k, v]) => [v, k]))

/** The name of errno `n` (positive) from the kernel's table: 'ENOENT', 'ETIME', ... ('E<n>' if unknown). */
export function errnoName(n: number): string {
  return ERRNO_NAMES[n] ?? `E${n}`
}

/** An error for a CQE with res < 0: `code` is the errno name (`ENOENT`), `errno` the number. */
export class CqeError extends UringError {
  readonly errno: number
  constructor(res: number, what: string) {
    const name = errnoName(-res)
    super(name, `${what} failed: ${name} (${-res})`)
    this.name = 'CqeError'
    this.errno = -res
  }
}

/** The CQE's result, or (res < 0) a {@link CqeError} thrown for it. */
export function resultOf(cqe: { res: number }, what: string): number {
  if (cqe.res < 0) throw new CqeError(cqe.res, what)
  return cqe.res
}
