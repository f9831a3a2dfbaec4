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
import { BufferGroup, checkHandle, Personality, RegisteredBuf, RegisteredBufSlice, RegisteredFd } from './registrar'
import type { RegistrarHost } from './registrar'

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

/** Bits of the FIXED word: which fields are handles (squeue.rs FX_*). */
const FX_FD = 1
const FX_BUF = 2
const FX_GROUP = 4
const FX_DIRECT = 8

/** `openat`'s dirfd for "relative to the current directory". */
export const AT_FDCWD = -100

/** IORING_OP_* codes of the ops in this module. */
export const Opcode = {
  NOP: 0,
  READV: 1,
  WRITEV: 2,
  FSYNC: 3,
  READ_FIXED: 4,
  WRITE_FIXED: 5,
  ACCEPT: 13,
  OPENAT: 18,
  CLOSE: 19,
  READ: 22,
  WRITE: 23,
  RECV: 27,
  SOCKET: 45,
  FIXED_FD_INSTALL: 54,
  READV_FIXED: 60,
  WRITEV_FIXED: 61,
} as const

/** A process file descriptor, or a slot of the ring's file table (IOSQE_FIXED_FILE). */
export type FdLike = number | RegisteredFd
/** Memory of a read/write: any buffer, or registered memory (READ_FIXED / WRITE_FIXED). */
export type WriteBuffer = BufferLike | RegisteredBuf | RegisteredBufSlice
/** A read's destination: a buffer, registered memory, or a group the kernel picks a buffer from. */
export type ReadBuffer = WriteBuffer | BufferGroup

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

const COMMON = ['userData', 'link', 'hardlink', 'drain', 'async', 'ioprio', 'personality'] as const
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
  personality: Personality | undefined

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
    if (o.personality !== undefined) {
      if (!(o.personality instanceof Personality)) throw invalidType('options.personality', 'a Personality', o.personality)
      this.personality = o.personality
    }
  }

  /**
   * Writes this op into staging words `s[at..at+STRIDE)` (all fields but SLOT), after checking
   * every field. Buffers go into `bufs`; their index is staged. Handles must belong to `host`
   * (when given: at push; not when the op is only checked where it is made). @internal
   */
  encode(s: Float64Array, at: number, bufs: unknown[], host?: RegistrarHost): void {
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
    this.encodeFields(s, at, bufs, host)
  }

  protected abstract encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void
}

/** Stages an fd: a process fd, or a RegisteredFd (index + generation, IOSQE_FIXED_FILE). */
function encodeFd(s: Float64Array, at: number, fd: unknown, host: RegistrarHost | undefined, name = 'fd'): void {
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

function checkFdArg(fd: unknown, name = 'fd'): FdLike {
  if (fd instanceof RegisteredFd) return fd
  return validateFd(fd, name)
}

function isRegistered(b: unknown): b is RegisteredBuf | RegisteredBufSlice {
  return b instanceof RegisteredBuf || b instanceof RegisteredBufSlice
}

/** Stages a byte range of registered memory: buffer index + generation, offset, length. */
function encodeFixed(s: Float64Array, at: number, b: RegisteredBuf | RegisteredBufSlice, bo: number, len: number | undefined, host: RegistrarHost | undefined): void {
  const buf = b instanceof RegisteredBufSlice ? b.buf : b
  const base = b instanceof RegisteredBufSlice ? b.offset : 0
  const size = b instanceof RegisteredBufSlice ? b.length : b.size
  checkHandle(buf, host, 'RegisteredBuf')
  validateInteger(bo, 'bufferOffset', 0, size)
  const n = len === undefined ? size - bo : validateInteger(len, 'length', 0, size - bo)
  s[at + F.FIXED] += FX_BUF
  s[at + F.BUF] = buf.index
  s[at + F.BUF_GEN] = buf.gen
  s[at + F.BUF_OFF] = base + bo
  s[at + F.LEN] = n
}

function encodeGroup(s: Float64Array, at: number, g: BufferGroup, host: RegistrarHost | undefined): void {
  checkHandle(g, host, 'BufferGroup')
  s[at + F.FIXED] += FX_GROUP
  s[at + F.BUF] = g.id
  s[at + F.BUF_GEN] = g.gen
  s[at + F.LEN] = g.size
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
  fd: FdLike
  buffer: ReadBuffer
  offset: FileOffset
  bufferOffset = 0
  length: number | undefined
  rwFlags = 0
  constructor(fd: FdLike, buffer: ReadBuffer, offset: FileOffset, options: ReadWriteOptions | undefined) {
    super()
    this.fd = checkFdArg(fd)
    this.buffer = isRegistered(buffer) || buffer instanceof BufferGroup ? buffer : validateBuffer(buffer)
    this.offset = offset
    this.applyOptions(options, RW_KEYS)
    if (options?.bufferOffset !== undefined) this.bufferOffset = options.bufferOffset
    if (options?.length !== undefined) this.length = options.length
    if (options?.rwFlags !== undefined) this.rwFlags = options.rwFlags
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    encodeOffset(s, at, this.offset, 'offset')
    s[at + F.OP_FLAGS] = validateInteger(this.rwFlags, 'rwFlags', 0, 0xffffffff)
    const b = this.buffer
    if (isRegistered(b)) {
      encodeFixed(s, at, b, this.bufferOffset, this.length, host)
      return
    }
    if (b instanceof BufferGroup) {
      if (this.opcode !== Opcode.READ) throw invalidType('buffer', 'a buffer or registered buffer (write takes no buffer group)', b)
      encodeGroup(s, at, b, host)
      return
    }
    const buf = validateBuffer(b)
    const size = byteLength(buf)
    const bo = validateInteger(this.bufferOffset, 'bufferOffset', 0, size)
    const len = this.length === undefined ? size - bo : validateInteger(this.length, 'length', 0, Math.min(size - bo, 0xffffffff))
    s[at + F.BUF] = bufs.length
    s[at + F.BUF_OFF] = bo
    s[at + F.LEN] = len
    bufs.push(buf)
  }
}

/**
 * IORING_OP_READ (5.6): read(2)/pread(2) into `buffer`; `res` is the byte count. Registered
 * memory makes it IORING_OP_READ_FIXED; a BufferGroup lets the kernel pick the buffer.
 */
export class Read extends ReadWrite {
  get opcode(): number {
    return isRegistered(this.buffer) ? Opcode.READ_FIXED : Opcode.READ
  }
  get name(): string {
    return isRegistered(this.buffer) ? 'readFixed' : 'read'
  }
}

/** IORING_OP_WRITE (5.6): write(2)/pwrite(2) from `buffer`; registered memory makes it WRITE_FIXED. */
export class Write extends ReadWrite {
  declare buffer: WriteBuffer
  get opcode(): number {
    return isRegistered(this.buffer) ? Opcode.WRITE_FIXED : Opcode.WRITE
  }
  get name(): string {
    return isRegistered(this.buffer) ? 'writeFixed' : 'write'
  }
}

/** The buffers of readv/writev: any buffers, or pieces of one registered buffer (READV_FIXED). */
export type VectorBuffers = readonly BufferLike[] | readonly (RegisteredBuf | RegisteredBufSlice)[]

abstract class Vectored extends Op {
  fd: FdLike
  buffers: VectorBuffers
  offset: FileOffset
  rwFlags = 0
  constructor(fd: FdLike, buffers: VectorBuffers, offset: FileOffset, options: VectoredOptions | undefined) {
    super()
    this.fd = checkFdArg(fd)
    this.buffers = buffers
    this.offset = offset
    this.applyOptions(options, V_KEYS)
    if (options?.rwFlags !== undefined) this.rwFlags = options.rwFlags
    check(this)
  }
  /** Whether the buffers are registered memory (the *V_FIXED opcodes). */
  protected get fixed(): boolean {
    const l = this.buffers
    return Array.isArray(l) && l.length > 0 && isRegistered(l[0])
  }

  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    const list = this.buffers as readonly unknown[]
    if (!Array.isArray(list)) throw invalidType('buffers', 'an array of ArrayBufferViews', list)
    if (list.length < 1 || list.length > 1024) throw outOfRange('buffers.length', '>= 1 && <= 1024', list.length)
    if (isRegistered(list[0])) {
      // (offset, length) pairs inside one registered buffer; Rust checks each against it.
      const first = list[0]
      const buf = first instanceof RegisteredBufSlice ? first.buf : first
      checkHandle(buf, host, 'RegisteredBuf')
      const pairs = new Float64Array(list.length * 2)
      for (let i = 0; i < list.length; i++) {
        const b = list[i]
        if (!isRegistered(b)) throw invalidType(`buffers[${i}]`, 'a RegisteredBuf or RegisteredBufSlice (like buffers[0])', b)
        const owner = b instanceof RegisteredBufSlice ? b.buf : b
        if (owner !== buf) {
          throw new UringError('ERR_INVALID_ARG_VALUE', `buffers[${i}] is in another registered buffer than buffers[0]: a fixed readv/writev uses one registered buffer`)
        }
        pairs[2 * i] = b instanceof RegisteredBufSlice ? b.offset : 0
        pairs[2 * i + 1] = b instanceof RegisteredBufSlice ? b.length : b.size
      }
      encodeOffset(s, at, this.offset, 'offset')
      s[at + F.OP_FLAGS] = validateInteger(this.rwFlags, 'rwFlags', 0, 0xffffffff)
      s[at + F.FIXED] += FX_BUF
      s[at + F.AUX] = buf.index
      s[at + F.BUF_GEN] = buf.gen
      s[at + F.BUF] = bufs.length
      bufs.push(pairs)
      return
    }
    // A copy, so changing the op's array later cannot change what the kernel was given.
    const copy = new Array<BufferLike>(list.length)
    for (let i = 0; i < list.length; i++) copy[i] = validateBuffer(list[i], `buffers[${i}]`)
    encodeOffset(s, at, this.offset, 'offset')
    s[at + F.OP_FLAGS] = validateInteger(this.rwFlags, 'rwFlags', 0, 0xffffffff)
    s[at + F.BUF] = bufs.length
    bufs.push(copy)
  }
}

/** IORING_OP_READV (5.1): readv(2)/preadv2(2) into `buffers`; pieces of one registered buffer make it READV_FIXED (6.15). */
export class Readv extends Vectored {
  get opcode(): number {
    return this.fixed ? Opcode.READV_FIXED : Opcode.READV
  }
  get name(): string {
    return this.fixed ? 'readvFixed' : 'readv'
  }
}

/** IORING_OP_WRITEV (5.1): writev(2)/pwritev2(2) from `buffers`; pieces of one registered buffer make it WRITEV_FIXED (6.15). */
export class Writev extends Vectored {
  get opcode(): number {
    return this.fixed ? Opcode.WRITEV_FIXED : Opcode.WRITEV
  }
  get name(): string {
    return this.fixed ? 'writevFixed' : 'writev'
  }
}

/** IORING_OP_FSYNC (5.1): fsync(2), or fdatasync(2) with `datasync: true`. */
export class Fsync extends Op {
  readonly opcode = Opcode.FSYNC
  readonly name = 'fsync'
  fd: FdLike
  datasync = false
  constructor(fd: FdLike, options?: FsyncOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.applyOptions(options, FSYNC_KEYS)
    if (options?.datasync !== undefined) this.datasync = validateBoolean(options.datasync, 'options.datasync')
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = validateBoolean(this.datasync, 'datasync') ? 1 : 0
  }
}

/** Options of openat. */
export interface OpenatOptions extends OpOptions {
  /** Create a direct descriptor in a free slot of the file table (IORING_FILE_INDEX_ALLOC, 5.19): no process fd at all. */
  direct?: boolean
}

const OPENAT_KEYS = new Set<string>([...COMMON, 'direct'])
const TEXT = new TextEncoder()

/** A path as NUL-terminated bytes (the kernel reads up to the NUL). */
function cPath(path: unknown): Uint8Array {
  if (typeof path === 'string') {
    if (path.length === 0) throw new UringError('ERR_INVALID_ARG_VALUE', 'The argument "path" must not be empty')
    if (path.includes('\0')) throw new UringError('ERR_INVALID_ARG_VALUE', 'The argument "path" must be a string without null bytes')
    const b = TEXT.encode(path)
    const out = new Uint8Array(b.length + 1)
    out.set(b)
    return out
  }
  if (path instanceof Uint8Array) {
    const n = path.indexOf(0)
    if (n === 0 || path.length === 0) throw new UringError('ERR_INVALID_ARG_VALUE', 'The argument "path" must not be empty')
    if (n > 0 && n !== path.length - 1) throw new UringError('ERR_INVALID_ARG_VALUE', 'The argument "path" must not contain null bytes')
    if (n === path.length - 1) return path
    const out = new Uint8Array(path.length + 1)
    out.set(path)
    return out
  }
  throw invalidType('path', 'of type string or an instance of Uint8Array', path)
}

/**
 * IORING_OP_OPENAT (5.6): openat(2). `res` is the new fd, or with `direct: true` the table slot
 * of a direct descriptor (turn the CQE into a handle with `ring.registrar.directFd(cqe)`).
 */
export class Openat extends Op {
  readonly opcode = Opcode.OPENAT
  readonly name = 'openat'
  dirfd: number
  path: Uint8Array
  flags: number
  mode: number
  direct = false
  constructor(dirfd: number, path: string | Uint8Array, flags = 0, mode = 0o666, options?: OpenatOptions) {
    super()
    this.dirfd = dirfd === AT_FDCWD ? dirfd : validateFd(dirfd, 'dirfd')
    this.path = cPath(path)
    this.flags = validateInteger(flags, 'flags', 0, 0xffffffff)
    this.mode = validateInteger(mode, 'mode', 0, 0o7777)
    this.applyOptions(options, OPENAT_KEYS)
    if (options?.direct !== undefined) this.direct = validateBoolean(options.direct, 'options.direct')
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.FD] = this.dirfd === AT_FDCWD ? AT_FDCWD : validateFd(this.dirfd, 'dirfd')
    s[at + F.OP_FLAGS] = validateInteger(this.flags, 'flags', 0, 0xffffffff)
    s[at + F.AUX] = validateInteger(this.mode, 'mode', 0, 0o7777)
    if (validateBoolean(this.direct, 'direct')) s[at + F.FIXED] += FX_DIRECT
    // The op keeps its own copy: changing `path` afterwards cannot change what the kernel reads.
    s[at + F.BUF] = bufs.length
    bufs.push(cPath(this.path))
  }
}

/** IORING_OP_CLOSE (5.6): close(2) a process fd, or (5.15) a direct descriptor / registered slot. */
export class Close extends Op {
  readonly opcode = Opcode.CLOSE
  readonly name = 'close'
  fd: FdLike
  constructor(fd: FdLike, options?: OpOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.applyOptions(options, NOP_KEYS)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
  }
}

/** Options of recv. */
export interface RecvOptions extends OpOptions {
  /** MSG_* flags (recv(2)). */
  flags?: number
  /** How many bytes at most (default: the whole buffer). */
  length?: number
}

const RECV_KEYS = new Set<string>([...COMMON, 'flags', 'length'])

/** IORING_OP_RECV (5.6): recv(2) into `buffer`, or into a buffer the kernel picks from a BufferGroup. */
export class Recv extends Op {
  readonly opcode = Opcode.RECV
  readonly name = 'recv'
  fd: FdLike
  buffer: BufferLike | BufferGroup
  flags = 0
  length: number | undefined
  constructor(fd: FdLike, buffer: BufferLike | BufferGroup, options?: RecvOptions) {
    super()
    this.fd = checkFdArg(fd)
    if (isRegistered(buffer)) throw invalidType('buffer', 'a Buffer, TypedArray, DataView, ArrayBuffer or BufferGroup (recv has no fixed-buffer form)', buffer)
    this.buffer = buffer instanceof BufferGroup ? buffer : validateBuffer(buffer)
    this.applyOptions(options, RECV_KEYS)
    if (options?.flags !== undefined) this.flags = options.flags
    if (options?.length !== undefined) this.length = options.length
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = validateInteger(this.flags, 'flags', 0, 0xffffffff)
    const b = this.buffer
    if (b instanceof BufferGroup) {
      if (this.length !== undefined) validateInteger(this.length, 'length', 1, b.size)
      encodeGroup(s, at, b, host)
      if (this.length !== undefined) s[at + F.LEN] = this.length
      return
    }
    const buf = validateBuffer(b)
    const size = byteLength(buf)
    s[at + F.LEN] = this.length === undefined ? size : validateInteger(this.length, 'length', 0, Math.min(size, 0xffffffff))
    s[at + F.BUF] = bufs.length
    bufs.push(buf)
  }
}

/** Options of accept. */
export interface AcceptOptions extends OpOptions {
  /** SOCK_NONBLOCK / SOCK_CLOEXEC (accept4(2)). */
  flags?: number
  /** Create the connection as a direct descriptor (5.19). */
  direct?: boolean
}

const ACCEPT_KEYS = new Set<string>([...COMMON, 'flags', 'direct'])

/** IORING_OP_ACCEPT (5.5): accept4(2) on a listening socket; `res` is the connection's fd or (direct) table slot. */
export class Accept extends Op {
  readonly opcode = Opcode.ACCEPT
  readonly name = 'accept'
  fd: FdLike
  flags = 0
  direct = false
  constructor(fd: FdLike, options?: AcceptOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.applyOptions(options, ACCEPT_KEYS)
    if (options?.flags !== undefined) this.flags = validateInteger(options.flags, 'options.flags', 0, 0x7fffffff)
    if (options?.direct !== undefined) this.direct = validateBoolean(options.direct, 'options.direct')
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = validateInteger(this.flags, 'flags', 0, 0x7fffffff)
    if (validateBoolean(this.direct, 'direct')) s[at + F.FIXED] += FX_DIRECT
  }
}

/** Options of socket. */
export interface SocketOptions extends OpOptions {
  /** Create the socket as a direct descriptor (5.19). */
  direct?: boolean
}

const SOCKET_KEYS = new Set<string>([...COMMON, 'direct'])

/** IORING_OP_SOCKET (5.19): socket(2); `res` is the fd or (direct) table slot. */
export class Socket extends Op {
  readonly opcode = Opcode.SOCKET
  readonly name = 'socket'
  domain: number
  type: number
  protocol: number
  direct = false
  constructor(domain: number, type: number, protocol = 0, options?: SocketOptions) {
    super()
    this.domain = validateInteger(domain, 'domain', 0, 0x7fffffff)
    this.type = validateInteger(type, 'type', 0, 0x7fffffff)
    this.protocol = validateInteger(protocol, 'protocol', 0, 0x7fffffff)
    this.applyOptions(options, SOCKET_KEYS)
    if (options?.direct !== undefined) this.direct = validateBoolean(options.direct, 'options.direct')
  }
  protected encodeFields(s: Float64Array, at: number): void {
    s[at + F.AUX] = validateInteger(this.domain, 'domain', 0, 0x7fffffff)
    s[at + F.OP_FLAGS] = validateInteger(this.type, 'type', 0, 0x7fffffff)
    s[at + F.LEN] = validateInteger(this.protocol, 'protocol', 0, 0x7fffffff)
    if (validateBoolean(this.direct, 'direct')) s[at + F.FIXED] += FX_DIRECT
  }
}

/** IORING_OP_FIXED_FD_INSTALL (6.8): a process fd for a direct descriptor; `res` is the new fd. */
export class FixedFdInstall extends Op {
  readonly opcode = Opcode.FIXED_FD_INSTALL
  readonly name = 'fixedFdInstall'
  fd: RegisteredFd
  cloexec = true
  constructor(fd: RegisteredFd, options?: OpOptions & { cloexec?: boolean }) {
    super()
    if (!(fd instanceof RegisteredFd)) throw invalidType('fd', 'a RegisteredFd', fd)
    this.fd = fd
    this.applyOptions(options, new Set([...COMMON, 'cloexec']))
    if (options?.cloexec !== undefined) this.cloexec = validateBoolean(options.cloexec, 'options.cloexec')
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    if (!(this.fd instanceof RegisteredFd)) throw invalidType('fd', 'a RegisteredFd', this.fd)
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = validateBoolean(this.cloexec, 'cloexec') ? 0 : 1
  }
}

/** The op constructors, as one namespace. */
export const op = {
  /** IORING_OP_NOP. */
  nop: (options?: OpOptions): Nop => new Nop(options),
  /**
   * IORING_OP_READ into `buffer` from file offset `offset` (-1: the current position).
   * A RegisteredBuf/slice makes it READ_FIXED, a RegisteredFd sets IOSQE_FIXED_FILE, a
   * BufferGroup lets the kernel pick the buffer.
   */
  read: (fd: FdLike, buffer: ReadBuffer, offset: FileOffset = -1, options?: ReadWriteOptions): Read =>
    new Read(fd, buffer, offset, options),
  /** IORING_OP_WRITE from `buffer` at file offset `offset` (-1: the current position); registered memory makes it WRITE_FIXED. */
  write: (fd: FdLike, buffer: WriteBuffer, offset: FileOffset = -1, options?: ReadWriteOptions): Write =>
    new Write(fd, buffer, offset, options),
  /** IORING_OP_READV into `buffers` (1 to 1024 of them); pieces of one RegisteredBuf make it READV_FIXED. */
  readv: (fd: FdLike, buffers: VectorBuffers, offset: FileOffset = -1, options?: VectoredOptions): Readv =>
    new Readv(fd, buffers, offset, options),
  /** IORING_OP_WRITEV from `buffers` (1 to 1024 of them); pieces of one RegisteredBuf make it WRITEV_FIXED. */
  writev: (fd: FdLike, buffers: VectorBuffers, offset: FileOffset = -1, options?: VectoredOptions): Writev =>
    new Writev(fd, buffers, offset, options),
  /** IORING_OP_FSYNC (`datasync: true` for fdatasync). */
  fsync: (fd: FdLike, options?: FsyncOptions): Fsync => new Fsync(fd, options),
  /** IORING_OP_OPENAT: open `path` relative to `dirfd` (AT_FDCWD: the current directory). */
  openat: (dirfd: number, path: string | Uint8Array, flags = 0, mode = 0o666, options?: OpenatOptions): Openat =>
    new Openat(dirfd, path, flags, mode, options),
  /** IORING_OP_CLOSE: a process fd, or a direct descriptor / registered slot. */
  close: (fd: FdLike, options?: OpOptions): Close => new Close(fd, options),
  /** IORING_OP_RECV into `buffer`, or into a buffer the kernel picks from a BufferGroup. */
  recv: (fd: FdLike, buffer: BufferLike | BufferGroup, options?: RecvOptions): Recv => new Recv(fd, buffer, options),
  /** IORING_OP_ACCEPT on a listening socket. */
  accept: (fd: FdLike, options?: AcceptOptions): Accept => new Accept(fd, options),
  /** IORING_OP_SOCKET (5.19). */
  socket: (domain: number, type: number, protocol = 0, options?: SocketOptions): Socket => new Socket(domain, type, protocol, options),
  /** IORING_OP_FIXED_FD_INSTALL (6.8): a process fd for a direct descriptor. */
  fixedFdInstall: (fd: RegisteredFd, options?: OpOptions & { cloexec?: boolean }): FixedFdInstall => new FixedFdInstall(fd, options),
} as const

/** Any op `ring.sq.push` accepts. */
export type AnyOp = Nop | Read | Write | Readv | Writev | Fsync | Openat | Close | Recv | Accept | Socket | FixedFdInstall
