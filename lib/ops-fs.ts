/**
 * File-system ops: openat, close, and the rest of the fs family (see `op` in ops.ts).
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

/** Options of openat. */
export interface OpenatOptions extends OpOptions {
  /** Create a direct descriptor in a free slot of the file table (IORING_FILE_INDEX_ALLOC, 5.19): no process fd at all. */
  direct?: boolean
}

const OPENAT_KEYS = new Set<string>([...COMMON, 'direct'])

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

/** The fs family's constructors (merged into `op`). */
export const fsOps = {
  /** IORING_OP_OPENAT: open `path` relative to `dirfd` (AT_FDCWD: the current directory). */
  openat: (dirfd: number, path: string | Uint8Array, flags = 0, mode = 0o666, options?: OpenatOptions): Openat =>
    new Openat(dirfd, path, flags, mode, options),
  /** IORING_OP_CLOSE: a process fd, or a direct descriptor / registered slot. */
  close: (fd: FdLike, options?: OpOptions): Close => new Close(fd, options),
} as const
