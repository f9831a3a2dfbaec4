/**
 * Typed op constructors (L3): `op.nop()`, `op.read(fd, buf, offset)`, ... Each returns an op
 * object that `ring.sq.push()` stages as numbers; an op object can be pushed again after its
 * completion (or changed and pushed again), so a hot loop allocates nothing.
 *
 * Every op accepts {@link OpOptions} (`userData`, `link`, `hardlink`, `drain`, `async`, `ioprio`).
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
} as const

/** IORING_OP_* codes of the ops in this module. */
export const Opcode = {
  NOP: 0,
  READV: 1,
  WRITEV: 2,
  FSYNC: 3,
  READ: 22,
  WRITE: 23,
} as const

const IOSQE_IO_DRAIN = 1 << 1
const IOSQE_IO_LINK = 1 << 2
const IOSQE_IO_HARDLINK = 1 << 3
const IOSQE_ASYNC = 1 << 4
const USER_SQE_FLAGS = IOSQE_IO_DRAIN | IOSQE_IO_LINK | IOSQE_IO_HARDLINK | IOSQE_ASYNC
const TWO_32 = 2 ** 32
/** Scratch staging words for checking an op where it is made (one entry is 16 words). */
const CHECK = new Float64Array(16)
const CHECK_BUFS: unknown[] = []

/** Checks an op where it is made, so a bad op fails there and not where it is pushed. */
function check(o: Op): void {
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
  /** The request's I/O priority (ioprio_set(2) encoding). */
  ioprio?: number
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

const COMMON = ['userData', 'link', 'hardlink', 'drain', 'async', 'ioprio'] as const
const RW_KEYS = new Set<string>([...COMMON, 'bufferOffset', 'length', 'rwFlags'])
const V_KEYS = new Set<string>([...COMMON, 'rwFlags'])
const FSYNC_KEYS = new Set<string>([...COMMON, 'datasync'])
const NOP_KEYS = new Set<string>(COMMON)

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
    this.sqeFlags = f
    if (o.ioprio !== undefined) this.ioprio = validateInteger(o.ioprio, 'options.ioprio', 0, 0xffff)
  }

  /**
   * Writes this op into staging words `s[at..at+STRIDE)` (all fields but SLOT), after checking
   * every field. Buffers go into `bufs`; their index is staged. @internal
   */
  encode(s: Float64Array, at: number, bufs: unknown[]): void {
    validateUserData(this.userData, 'userData')
    validateInteger(this.sqeFlags, 'sqeFlags', 0, 0xff)
    if ((this.sqeFlags & ~USER_SQE_FLAGS) !== 0) {
      throw new UringError('ERR_INVALID_ARG_VALUE', `sqeFlags 0x${this.sqeFlags.toString(16)} are not allowed (drain, link, hardlink, async)`)
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
    this.encodeFields(s, at, bufs)
  }

  protected abstract encodeFields(s: Float64Array, at: number, bufs: unknown[]): void
}

function encodeOffset(s: Float64Array, at: number, off: unknown, name: string): void {
  if (typeof off === 'number') {
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

function byteLength(b: BufferLike): number {
  return b.byteLength
}

/** IORING_OP_NOP: completes at once with res 0. The per-op floor of the ring. */
export class Nop extends Op {
  readonly opcode = Opcode.NOP
  readonly name = 'nop'
  constructor(options?: OpOptions) {
    super()
    this.applyOptions(options, NOP_KEYS)
  }
  protected encodeFields(): void {}
}

abstract class ReadWrite extends Op {
  fd: number
  buffer: BufferLike
  offset: FileOffset
  bufferOffset = 0
  length: number | undefined
  rwFlags = 0
  constructor(fd: number, buffer: BufferLike, offset: FileOffset, options: ReadWriteOptions | undefined) {
    super()
    this.fd = validateFd(fd)
    this.buffer = validateBuffer(buffer)
    this.offset = offset
    this.applyOptions(options, RW_KEYS)
    if (options?.bufferOffset !== undefined) this.bufferOffset = options.bufferOffset
    if (options?.length !== undefined) this.length = options.length
    if (options?.rwFlags !== undefined) this.rwFlags = options.rwFlags
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.FD] = validateFd(this.fd)
    const buf = validateBuffer(this.buffer)
    const size = byteLength(buf)
    const bo = validateInteger(this.bufferOffset, 'bufferOffset', 0, size)
    const len = this.length === undefined ? size - bo : validateInteger(this.length, 'length', 0, Math.min(size - bo, 0xffffffff))
    encodeOffset(s, at, this.offset, 'offset')
    s[at + F.OP_FLAGS] = validateInteger(this.rwFlags, 'rwFlags', 0, 0xffffffff)
    s[at + F.BUF] = bufs.length
    s[at + F.BUF_OFF] = bo
    s[at + F.LEN] = len
    bufs.push(buf)
  }
}

/** IORING_OP_READ (5.6): read(2)/pread(2) into `buffer`; `res` is the byte count. */
export class Read extends ReadWrite {
  readonly opcode = Opcode.READ
  readonly name = 'read'
}

/** IORING_OP_WRITE (5.6): write(2)/pwrite(2) from `buffer`; `res` is the byte count. */
export class Write extends ReadWrite {
  readonly opcode = Opcode.WRITE
  readonly name = 'write'
}

abstract class Vectored extends Op {
  fd: number
  buffers: BufferLike[]
  offset: FileOffset
  rwFlags = 0
  constructor(fd: number, buffers: BufferLike[], offset: FileOffset, options: VectoredOptions | undefined) {
    super()
    this.fd = validateFd(fd)
    this.buffers = buffers
    this.offset = offset
    this.applyOptions(options, V_KEYS)
    if (options?.rwFlags !== undefined) this.rwFlags = options.rwFlags
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.FD] = validateFd(this.fd)
    const list = this.buffers
    if (!Array.isArray(list)) throw invalidType('buffers', 'an array of ArrayBufferViews', list)
    if (list.length < 1 || list.length > 1024) throw outOfRange('buffers.length', '>= 1 && <= 1024', list.length)
    // A copy, so changing the op's array later cannot change what the kernel was given.
    const copy = new Array<BufferLike>(list.length)
    for (let i = 0; i < list.length; i++) copy[i] = validateBuffer(list[i], `buffers[${i}]`)
    encodeOffset(s, at, this.offset, 'offset')
    s[at + F.OP_FLAGS] = validateInteger(this.rwFlags, 'rwFlags', 0, 0xffffffff)
    s[at + F.BUF] = bufs.length
    bufs.push(copy)
  }
}

/** IORING_OP_READV (5.1): readv(2)/preadv2(2) into `buffers`. */
export class Readv extends Vectored {
  readonly opcode = Opcode.READV
  readonly name = 'readv'
}

/** IORING_OP_WRITEV (5.1): writev(2)/pwritev2(2) from `buffers`. */
export class Writev extends Vectored {
  readonly opcode = Opcode.WRITEV
  readonly name = 'writev'
}

/** IORING_OP_FSYNC (5.1): fsync(2), or fdatasync(2) with `datasync: true`. */
export class Fsync extends Op {
  readonly opcode = Opcode.FSYNC
  readonly name = 'fsync'
  fd: number
  datasync = false
  constructor(fd: number, options?: FsyncOptions) {
    super()
    this.fd = validateFd(fd)
    this.applyOptions(options, FSYNC_KEYS)
    if (options?.datasync !== undefined) this.datasync = validateBoolean(options.datasync, 'options.datasync')
  }
  protected encodeFields(s: Float64Array, at: number): void {
    s[at + F.FD] = validateFd(this.fd)
    s[at + F.OP_FLAGS] = validateBoolean(this.datasync, 'datasync') ? 1 : 0
  }
}

/** The op constructors, as one namespace. */
export const op = {
  /** IORING_OP_NOP. */
  nop: (options?: OpOptions): Nop => new Nop(options),
  /** IORING_OP_READ into `buffer` from file offset `offset` (-1: the current position). */
  read: (fd: number, buffer: BufferLike, offset: FileOffset = -1, options?: ReadWriteOptions): Read =>
    new Read(fd, buffer, offset, options),
  /** IORING_OP_WRITE from `buffer` at file offset `offset` (-1: the current position). */
  write: (fd: number, buffer: BufferLike, offset: FileOffset = -1, options?: ReadWriteOptions): Write =>
    new Write(fd, buffer, offset, options),
  /** IORING_OP_READV into `buffers` (1 to 1024 of them). */
  readv: (fd: number, buffers: BufferLike[], offset: FileOffset = -1, options?: VectoredOptions): Readv =>
    new Readv(fd, buffers, offset, options),
  /** IORING_OP_WRITEV from `buffers` (1 to 1024 of them). */
  writev: (fd: number, buffers: BufferLike[], offset: FileOffset = -1, options?: VectoredOptions): Writev =>
    new Writev(fd, buffers, offset, options),
  /** IORING_OP_FSYNC (`datasync: true` for fdatasync). */
  fsync: (fd: number, options?: FsyncOptions): Fsync => new Fsync(fd, options),
} as const

/** Any op `ring.sq.push` accepts. */
export type AnyOp = Nop | Read | Write | Readv | Writev | Fsync
