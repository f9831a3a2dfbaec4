/**
 * Typed op constructors (L3): `op.nop()`, `op.read(fd, buf, offset)`, ... Each returns an op
 * object that `ring.sq.push()` stages as numbers; an op object can be pushed again after its
 * completion (or changed and pushed again), so a hot loop allocates nothing.
 *
 * Every op accepts {@link OpOptions} (`userData`, `link`, `hardlink`, `drain`, `async`,
 * `skipSuccess`, `ioprio`, `personality`). This file holds nop and the read/write family and
 * gathers every family's constructors into `op`.
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
import { BufferGroup, checkHandle, RegisteredBuf, RegisteredBufSlice, RegisteredFd } from './registrar'
import type { RegistrarHost } from './registrar'
import {
  F,
  Opcode,
  FdLike,
  WriteBuffer,
  ReadBuffer,
  FileOffset,
  Op,
  OpOptions,
  ReadWriteOptions,
  VectoredOptions,
  FsyncOptions,
  COMMON,
  NOP_KEYS,
  RW_KEYS,
  V_KEYS,
  FSYNC_KEYS,
  FX_BUF,
  check,
  checkFdArg,
  encodeFd,
  encodeFixed,
  encodeGroup,
  encodeOffset,
  isRegistered,
  byteLength,
} from './opbase'
import { fsOps } from './ops-fs'
import { netOps } from './ops-net'
import { ctlOps } from './ops-ctl'

export * from './opbase'
export * from './ops-fs'
export * from './ops-net'
export * from './ops-ctl'

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

/**
 * Set only while `uncheckedRead`/`uncheckedWrite` construct: the op is checked once, when it is
 * staged (where a bad field rejects the run), instead of also where it is made.
 */
let deferCheck = false

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
    this.buffer = ArrayBuffer.isView(buffer) || isRegistered(buffer) || buffer instanceof BufferGroup ? buffer : validateBuffer(buffer)
    this.offset = offset
    this.applyOptions(options, RW_KEYS)
    if (options?.bufferOffset !== undefined) this.bufferOffset = options.bufferOffset
    if (options?.length !== undefined) this.length = options.length
    if (options?.rwFlags !== undefined) this.rwFlags = options.rwFlags
    if (!deferCheck) check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    encodeOffset(s, at, this.offset, 'offset')
    s[at + F.OP_FLAGS] = validateInteger(this.rwFlags, 'rwFlags', 0, 0xffffffff)
    const b = this.buffer
    if (!ArrayBuffer.isView(b)) {
      if (isRegistered(b)) {
        encodeFixed(s, at, b, this.bufferOffset, this.length, host)
        return
      }
      if (b instanceof BufferGroup) {
        if (this.opcode !== Opcode.READ) throw invalidType('buffer', 'a buffer or registered buffer (write takes no buffer group)', b)
        encodeGroup(s, at, b, host)
        return
      }
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

/**
 * A Read whose fields are checked only when it is staged, for callers that stage it at once
 * and report errors from there (`uring/os`): one encode per op instead of two. @internal
 */
export function uncheckedRead(fd: FdLike, buffer: ReadBuffer, offset: FileOffset): Read {
  deferCheck = true
  try {
    return new Read(fd, buffer, offset, undefined)
  } finally {
    deferCheck = false
  }
}

/** The Write counterpart of {@link uncheckedRead}. @internal */
export function uncheckedWrite(fd: FdLike, buffer: WriteBuffer, offset: FileOffset): Write {
  deferCheck = true
  try {
    return new Write(fd, buffer, offset, undefined)
  } finally {
    deferCheck = false
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
  /** IORING_OP_FIXED_FD_INSTALL (6.8): a process fd for a direct descriptor. */
  fixedFdInstall: (fd: RegisteredFd, options?: OpOptions & { cloexec?: boolean }): FixedFdInstall => new FixedFdInstall(fd, options),
  ...fsOps,
  ...netOps,
  ...ctlOps,
} as const

/** Any op `ring.sq.push` accepts. */
export type AnyOp = Op
