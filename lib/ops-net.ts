/**
 * Socket ops: socket, accept, recv, and the rest of the net family (see `op` in ops.ts).
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
import {
  F,
  FX_FD,
  FX_BUF,
  FX_GROUP,
  FX_DIRECT,
  AT_FDCWD,
  Opcode,
  FdLike,
  WriteBuffer,
  ReadBuffer,
  FileOffset,
  Op,
  OpOptions,
  COMMON,
  NOP_KEYS,
  check,
  checkFdArg,
  encodeFd,
  encodeFixed,
  encodeGroup,
  encodeOffset,
  isRegistered,
  byteLength,
  cPath,
  targetSlot,
} from './opbase'
import type { OpHost } from './opbase'

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

/** The net family's constructors (merged into `op`). */
export const netOps = {
  /** IORING_OP_RECV into `buffer`, or into a buffer the kernel picks from a BufferGroup. */
  recv: (fd: FdLike, buffer: BufferLike | BufferGroup, options?: RecvOptions): Recv => new Recv(fd, buffer, options),
  /** IORING_OP_ACCEPT on a listening socket. */
  accept: (fd: FdLike, options?: AcceptOptions): Accept => new Accept(fd, options),
  /** IORING_OP_SOCKET (5.19). */
  socket: (domain: number, type: number, protocol = 0, options?: SocketOptions): Socket => new Socket(domain, type, protocol, options),
} as const
