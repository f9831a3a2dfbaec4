/**
 * File-system ops (see `op` in ops.ts): open/close, openat2, statx, the *at path calls, xattrs,
 * fallocate / fadvise / madvise / sync_file_range / ftruncate, splice / tee / pipe, multishot
 * read, and file-table updates.
 *
 * Each class documents the staging words it writes; crates/uring-core/src/ops_fs.rs reads the same
 * words and checks every one again. Paths, names and xattr values are copied when an op is pushed
 * (changing the op afterwards cannot change what the kernel reads); memory the kernel writes
 * (statx's struct, a getxattr value, pipe's fd pair, filesUpdate's slots) belongs to the op, which
 * therefore can be in flight only once at a time.
 */
import { constants as fsc } from 'node:fs'
import { BufferLike, invalidType, outOfRange, UringError, validateBoolean, validateBuffer, validateFd, validateInteger } from './errors'
import { BufferGroup, checkHandle, RegisteredFd } from './registrar'
import type { RegistrarHost } from './registrar'
import type { Cqe } from './ring'
import {
  F,
  FX_DIRECT,
  FX_SLOT,
  AT_FDCWD,
  Opcode,
  FdLike,
  FileOffset,
  Op,
  OpOptions,
  COMMON,
  NOP_KEYS,
  check,
  checkFdArg,
  encodeFd,
  encodeGroup,
  encodeOffset,
  resultOf,
  TEXT,
  TWO_32,
  needKernel,
} from './opbase'

// ---- helpers (internal) --------------------------------------------------------------------

/** A fresh NUL-terminated copy of a path (string or bytes); '' only when `emptyOk`. */
function ownPath(path: unknown, name: string, emptyOk = false): Uint8Array {
  let bytes: Uint8Array
  if (typeof path === 'string') {
    if (path.includes('\0')) throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "${name}" must be a string without null bytes`)
    bytes = TEXT.encode(path)
  } else if (path instanceof Uint8Array) {
    const n = path.indexOf(0)
    if (n >= 0 && n !== path.length - 1) throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "${name}" must not contain null bytes`)
    bytes = n === path.length - 1 ? path.subarray(0, n) : path
  } else {
    throw invalidType(name, 'of type string or an instance of Uint8Array', path)
  }
  if (bytes.length === 0 && !emptyOk) throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "${name}" must not be empty`)
  const out = new Uint8Array(bytes.length + 1)
  out.set(bytes)
  return out
}

/** A path as the op keeps it (checked now, copied again at each push). */
function pathArg(path: unknown, name: string, emptyOk = false): string | Uint8Array {
  ownPath(path, name, emptyOk)
  return path as string | Uint8Array
}

/** XATTR_NAME_MAX and XATTR_SIZE_MAX (include/uapi/linux/limits.h). */
const XATTR_NAME_MAX = 255
const XATTR_SIZE_MAX = 65536

/** An xattr name: 1 to 255 bytes, no NUL. */
function xattrName(name: unknown): Uint8Array {
  const b = ownPath(name, 'name')
  if (b.length - 1 > XATTR_NAME_MAX) throw outOfRange('name', `1 to ${XATTR_NAME_MAX} bytes long`, `${b.length - 1} bytes`)
  return b
}

/** A fresh copy of bytes to hand the kernel (a string is UTF-8). */
function ownBytes(v: unknown, name: string, max: number): Uint8Array {
  let src: Uint8Array
  if (typeof v === 'string') src = TEXT.encode(v)
  else {
    const b = validateBuffer(v, name)
    src = b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  }
  if (src.byteLength > max) throw outOfRange(`${name}.byteLength`, `<= ${max}`, src.byteLength)
  return src.slice()
}

/** A dirfd: a process fd or AT_FDCWD (the kernel takes no registered file for path-based ops). */
function dirfdArg(v: unknown, name: string): number {
  if (v === AT_FDCWD) return AT_FDCWD
  if (v instanceof RegisteredFd) throw invalidType(name, 'a process fd or AT_FDCWD (path-based ops take no RegisteredFd)', v)
  return validateFd(v, name)
}

/** Named bits (a list of names), or (`numbers`) a raw number of them, checked against `table`. */
function flagBits<N extends string>(v: unknown, table: Readonly<Record<N, number>>, name: string, numbers = true): number {
  let all = 0
  for (const k in table) all |= table[k]
  if (typeof v === 'number' && numbers) {
    validateInteger(v, name, 0, 0xffffffff)
    if ((v & ~all) !== 0) throw new UringError('ERR_INVALID_ARG_VALUE', `${name} 0x${v.toString(16)} has bits this op does not take (known: ${Object.keys(table).join(', ')})`)
    return v >>> 0
  }
  if (!Array.isArray(v)) throw invalidType(name, `an array of flag names (${Object.keys(table).join(', ')})${numbers ? ' or a number' : ''}`, v)
  let bits = 0
  for (let i = 0; i < v.length; i++) {
    const n = v[i]
    if (typeof n !== 'string' || !Object.prototype.hasOwnProperty.call(table, n)) {
      throw new UringError('ERR_INVALID_ARG_VALUE', `${name}[${i}] ${JSON.stringify(n)} is not one of ${Object.keys(table).join(', ')}`)
    }
    bits |= table[n as N]
  }
  return bits >>> 0
}

/** One name of `table`. */
function oneOf<N extends string>(v: unknown, table: Readonly<Record<N, number>>, name: string): number {
  if (typeof v !== 'string' || !Object.prototype.hasOwnProperty.call(table, v)) {
    throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "${name}" must be one of ${Object.keys(table).join(', ')}. Received ${String(v)}`)
  }
  return table[v as N]
}

/** A file position (>= 0; not -1) in OFF_LO/OFF_HI. */
function encodePosition(s: Float64Array, at: number, v: unknown, name: string): void {
  if (v === -1 || v === -1n) throw outOfRange(name, '>= 0', v)
  encodeOffset(s, at, v, name)
}

/** A length or offset that fits one staging word: an integer (number or bigint) in [min, 2^53 - 1]. */
function safeInt(v: unknown, name: string, min: number): number {
  if (typeof v === 'bigint') {
    if (v < BigInt(min) || v > BigInt(Number.MAX_SAFE_INTEGER)) throw outOfRange(name, `>= ${min} && <= ${Number.MAX_SAFE_INTEGER}`, v)
    return Number(v)
  }
  return validateInteger(v, name, min, Number.MAX_SAFE_INTEGER)
}

/** The CQE must be one of this op's. */
function ownCqe(cqe: unknown, o: Op): Cqe {
  if (cqe === null || typeof cqe !== 'object' || typeof (cqe as Cqe).res !== 'number') throw invalidType('cqe', 'a Cqe', cqe)
  const c = cqe as Cqe
  if (c.op !== undefined && c.op !== o) throw new UringError('ERR_INVALID_ARG_VALUE', `this CQE belongs to another op (${c.op.name}), not to this ${o.name}`)
  return c
}

// ---- openat / close ----------------------------------------------------------------------------

/** Options of openat. */
export interface OpenatOptions extends OpOptions {
  /**
   * `true`: create a direct descriptor in a free slot of the file table (IORING_FILE_INDEX_ALLOC,
   * 5.19): no process fd at all. A slot of `registrar.directSlots()`: open into that slot (5.15),
   * replacing what it held; `res` is 0 and the slot's handle reads, writes and closes the file,
   * so ops linked after the open can use it.
   */
  direct?: boolean | RegisteredFd
}

const OPENAT_KEYS = new Set<string>([...COMMON, 'direct'])

/**
 * IORING_OP_OPENAT (5.6): openat(2). `res` is the new fd, or with `direct: true` the table slot
 * of a direct descriptor (turn the CQE into a handle with `ring.registrar.directFd(cqe)`).
 * Words: FD = dirfd, BUF = path, OP_FLAGS = flags, AUX = mode, FIXED = FX_DIRECT.
 */
export class Openat extends Op {
  readonly opcode = Opcode.OPENAT
  readonly name = 'openat'
  dirfd: number
  path: Uint8Array
  flags: number
  mode: number
  direct: boolean | RegisteredFd = false
  constructor(dirfd: number, path: string | Uint8Array, flags = 0, mode = 0o666, options?: OpenatOptions) {
    super()
    this.dirfd = dirfdArg(dirfd, 'dirfd')
    this.path = ownPath(path, 'path')
    this.flags = validateInteger(flags, 'flags', 0, 0xffffffff)
    this.mode = validateInteger(mode, 'mode', 0, 0o7777)
    this.applyOptions(options, OPENAT_KEYS)
    if (options?.direct !== undefined) this.direct = directArg(options.direct)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    s[at + F.FD] = dirfdArg(this.dirfd, 'dirfd')
    s[at + F.OP_FLAGS] = validateInteger(this.flags, 'flags', 0, 0xffffffff)
    s[at + F.AUX] = validateInteger(this.mode, 'mode', 0, 0o7777)
    const d = directArg(this.direct)
    if (d instanceof RegisteredFd) {
      checkHandle(d, host, 'RegisteredFd')
      s[at + F.LEN] = d.index
      s[at + F.FD_GEN] = d.gen
      s[at + F.FIXED] += FX_SLOT
    } else if (d) s[at + F.FIXED] += FX_DIRECT
    // The op keeps its own copy: changing `path` afterwards cannot change what the kernel reads.
    s[at + F.BUF] = bufs.length
    bufs.push(ownPath(this.path, 'path'))
  }
}

function directArg(v: unknown): boolean | RegisteredFd {
  if (v instanceof RegisteredFd) return v
  if (typeof v !== 'boolean') throw invalidType('options.direct', 'of type boolean or a RegisteredFd of registrar.directSlots()', v)
  return v
}

/** IORING_OP_CLOSE (5.6): close(2) a process fd, or (5.15) a direct descriptor / registered slot. Words: FD = fd. */
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

// ---- openat2 -----------------------------------------------------------------------------------

/** RESOLVE_* of openat2(2), by name. */
const RESOLVE = {
  noXdev: 0x01,
  noMagiclinks: 0x02,
  noSymlinks: 0x04,
  beneath: 0x08,
  inRoot: 0x10,
  /** RESOLVE_CACHED (5.12): fail with EAGAIN unless the lookup can be done from the caches. */
  cached: 0x20,
} as const

/** A RESOLVE_* flag of openat2(2) by name. */
export type ResolveFlag = keyof typeof RESOLVE

/** O_TMPFILE (__O_TMPFILE | O_DIRECTORY): with O_CREAT, the flags that make openat2 take a mode. */
const O_TMPFILE = 0o20000000 | fsc.O_DIRECTORY

/** Options of openat2. */
export interface Openat2Options extends OpOptions {
  /** O_* flags (open(2)). Default 0 (O_RDONLY). */
  flags?: number
  /**
   * The new file's mode. openat2 refuses (EINVAL) a mode without O_CREAT or O_TMPFILE; default:
   * 0o666 when `flags` create a file, else 0.
   */
  mode?: number
  /** How the path may be resolved (RESOLVE_*), e.g. `['beneath', 'noSymlinks']`. */
  resolve?: readonly ResolveFlag[]
  /** Create a direct descriptor in a free slot of the file table (5.19). */
  direct?: boolean
}

const OPENAT2_KEYS = new Set<string>([...COMMON, 'flags', 'mode', 'resolve', 'direct'])

/**
 * IORING_OP_OPENAT2 (5.6): openat2(2) with a `struct open_how`. `res` is the new fd, or with
 * `direct: true` the slot of a direct descriptor (`ring.registrar.directFd(cqe)`).
 * Words: FD = dirfd, BUF = path, OP_FLAGS = flags, AUX = mode, LEN = RESOLVE_* bits, FIXED =
 * FX_DIRECT. The open_how itself is built by Rust in the slot's memory.
 */
export class Openat2 extends Op {
  readonly opcode = Opcode.OPENAT2
  readonly name = 'openat2'
  dirfd: number
  path: string | Uint8Array
  flags = 0
  mode: number | undefined
  resolve: readonly ResolveFlag[] = []
  direct = false
  constructor(dirfd: number, path: string | Uint8Array, options?: Openat2Options) {
    super()
    this.dirfd = dirfdArg(dirfd, 'dirfd')
    this.path = pathArg(path, 'path')
    this.applyOptions(options, OPENAT2_KEYS)
    if (options?.flags !== undefined) this.flags = options.flags
    if (options?.mode !== undefined) this.mode = options.mode
    if (options?.resolve !== undefined) this.resolve = options.resolve
    if (options?.direct !== undefined) this.direct = options.direct
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.FD] = dirfdArg(this.dirfd, 'dirfd')
    const flags = validateInteger(this.flags, 'flags', 0, 0xffffffff)
    const creates = (flags & fsc.O_CREAT) !== 0 || (flags & O_TMPFILE) === O_TMPFILE
    s[at + F.OP_FLAGS] = flags
    s[at + F.AUX] = this.mode === undefined ? (creates ? 0o666 : 0) : validateInteger(this.mode, 'mode', 0, 0o7777)
    const resolve = flagBits(this.resolve, RESOLVE, 'resolve', false)
    if (resolve & RESOLVE.cached) needKernel('5.12', "openat2 with resolve 'cached' (RESOLVE_CACHED)")
    s[at + F.LEN] = resolve
    if (validateBoolean(this.direct, 'direct')) {
      needKernel('5.19', 'openat2 into a direct descriptor (IORING_FILE_INDEX_ALLOC)')
      s[at + F.FIXED] += FX_DIRECT
    }
    s[at + F.BUF] = bufs.length
    bufs.push(ownPath(this.path, 'path'))
  }
}

// ---- statx -------------------------------------------------------------------------------------

/** AT_* flags of statx(2), by name. */
const STATX_FLAGS = {
  /** AT_SYMLINK_NOFOLLOW: a symlink itself, not what it points at. */
  symlinkNoFollow: 0x100,
  /** AT_NO_AUTOMOUNT: do not mount an automount point. */
  noAutomount: 0x800,
  /** AT_EMPTY_PATH: with path '', the file `dirfd` itself is stat'ed. */
  emptyPath: 0x1000,
  /** AT_STATX_FORCE_SYNC: network filesystems refetch the attributes. */
  forceSync: 0x2000,
  /** AT_STATX_DONT_SYNC: whatever is cached locally. */
  dontSync: 0x4000,
} as const

/** An AT_* flag of statx(2) by name. */
export type StatxFlag = keyof typeof STATX_FLAGS

/** STATX_* mask bits (statx(2)): which fields to fetch, and in `mask` of the result which came. */
export const STATX = Object.freeze({
  TYPE: 0x1,
  MODE: 0x2,
  NLINK: 0x4,
  UID: 0x8,
  GID: 0x10,
  ATIME: 0x20,
  MTIME: 0x40,
  CTIME: 0x80,
  INO: 0x100,
  SIZE: 0x200,
  BLOCKS: 0x400,
  /** Everything stat(2) has. */
  BASIC_STATS: 0x7ff,
  BTIME: 0x800,
  MNT_ID: 0x1000,
  DIOALIGN: 0x2000,
  MNT_ID_UNIQUE: 0x4000,
  SUBVOL: 0x8000,
  WRITE_ATOMIC: 0x10000,
  DIO_READ_ALIGN: 0x20000,
} as const)

/** Options of statx. */
export interface StatxOptions extends OpOptions {
  /** AT_* flags by name; `path` may be '' only with 'emptyPath'. */
  flags?: readonly StatxFlag[]
  /** STATX_* bits to ask for. Default STATX.BASIC_STATS | STATX.BTIME. */
  mask?: number
}

const STATX_KEYS = new Set<string>([...COMMON, 'flags', 'mask'])
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const S_IFMT = 0o170000

/** makedev(3) of glibc (what Node's `Stats.dev` / `rdev` are). */
function makedev(major: number, minor: number): number {
  const ma = BigInt(major)
  const mi = BigInt(minor)
  return Number(((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n))
}

/** The result of statx: a `struct statx`, with the names and units of Node's `fs.Stats`. */
export class StatxResult {
  /** STATX_* bits of the fields the kernel filled (others are 0). */
  readonly mask: number
  readonly dev: number
  readonly devMajor: number
  readonly devMinor: number
  readonly ino: number
  /** `ino` exactly (the number loses precision beyond 2^53). */
  readonly inoBig: bigint
  readonly mode: number
  readonly nlink: number
  readonly uid: number
  readonly gid: number
  readonly rdev: number
  readonly rdevMajor: number
  readonly rdevMinor: number
  readonly size: number
  /** `size` exactly. */
  readonly sizeBig: bigint
  readonly blksize: number
  readonly blocks: number
  /** STATX_ATTR_* bits, and which of them this filesystem supports. */
  readonly attributes: bigint
  readonly attributesMask: bigint
  readonly atimeMs: number
  readonly mtimeMs: number
  readonly ctimeMs: number
  readonly birthtimeMs: number
  readonly atimeNs: bigint
  readonly mtimeNs: bigint
  readonly ctimeNs: bigint
  readonly birthtimeNs: bigint
  /** The mount id (STATX_MNT_ID). */
  readonly mntId: bigint
  /** O_DIRECT alignment of memory and file offsets (STATX_DIOALIGN), 0 when not given. */
  readonly dioMemAlign: number
  readonly dioOffsetAlign: number

  /** @internal */
  constructor(b: Uint8Array) {
    const v = new DataView(b.buffer, b.byteOffset, 256)
    const u32 = (o: number): number => v.getUint32(o, LE)
    const u64 = (o: number): bigint => v.getBigUint64(o, LE)
    const ts = (o: number): [number, number] => [Number(v.getBigInt64(o, LE)), v.getUint32(o + 8, LE)]
    const ms = ([sec, nsec]: [number, number]): number => sec * 1e3 + nsec / 1e6
    const ns = ([sec, nsec]: [number, number]): bigint => BigInt(sec) * 1000000000n + BigInt(nsec)
    this.mask = u32(0)
    this.blksize = u32(4)
    this.attributes = u64(8)
    this.nlink = u32(16)
    this.uid = u32(20)
    this.gid = u32(24)
    this.mode = v.getUint16(28, LE)
    this.inoBig = u64(32)
    this.ino = Number(this.inoBig)
    this.sizeBig = u64(40)
    this.size = Number(this.sizeBig)
    this.blocks = Number(u64(48))
    this.attributesMask = u64(56)
    const [a, bt, c, m] = [ts(64), ts(80), ts(96), ts(112)]
    this.atimeMs = ms(a)
    this.birthtimeMs = ms(bt)
    this.ctimeMs = ms(c)
    this.mtimeMs = ms(m)
    this.atimeNs = ns(a)
    this.birthtimeNs = ns(bt)
    this.ctimeNs = ns(c)
    this.mtimeNs = ns(m)
    this.rdevMajor = u32(128)
    this.rdevMinor = u32(132)
    this.devMajor = u32(136)
    this.devMinor = u32(140)
    this.rdev = makedev(this.rdevMajor, this.rdevMinor)
    this.dev = makedev(this.devMajor, this.devMinor)
    this.mntId = u64(144)
    this.dioMemAlign = u32(152)
    this.dioOffsetAlign = u32(156)
  }

  isFile(): boolean {
    return (this.mode & S_IFMT) === fsc.S_IFREG
  }
  isDirectory(): boolean {
    return (this.mode & S_IFMT) === fsc.S_IFDIR
  }
  isSymbolicLink(): boolean {
    return (this.mode & S_IFMT) === fsc.S_IFLNK
  }
  isFIFO(): boolean {
    return (this.mode & S_IFMT) === fsc.S_IFIFO
  }
  isSocket(): boolean {
    return (this.mode & S_IFMT) === fsc.S_IFSOCK
  }
  isCharacterDevice(): boolean {
    return (this.mode & S_IFMT) === fsc.S_IFCHR
  }
  isBlockDevice(): boolean {
    return (this.mode & S_IFMT) === fsc.S_IFBLK
  }
}

/**
 * IORING_OP_STATX (5.6): statx(2) into a 256-byte `struct statx` the op owns; `decode(cqe)` reads
 * it. With `flags: ['emptyPath']` and path '', the file `dirfd` itself (an open fd) is stat'ed.
 * Words: FD = dirfd, BUF = path, BUF+1 = the op's struct statx, OP_FLAGS = AT_* flags, LEN = mask.
 */
export class Statx extends Op {
  readonly opcode = Opcode.STATX
  readonly name = 'statx'
  dirfd: number
  path: string | Uint8Array
  flags: readonly StatxFlag[] = []
  mask: number = STATX.BASIC_STATS | STATX.BTIME
  readonly #out = new Uint8Array(256)
  constructor(dirfd: number, path: string | Uint8Array, options?: StatxOptions) {
    super()
    this.dirfd = dirfdArg(dirfd, 'dirfd')
    this.path = path
    this.applyOptions(options, STATX_KEYS)
    if (options?.flags !== undefined) this.flags = options.flags
    if (options?.mask !== undefined) this.mask = options.mask
    check(this)
  }
  /** The kernel writes the op's own struct statx: one push at a time. */
  override get exclusive(): boolean {
    return true
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.FD] = dirfdArg(this.dirfd, 'dirfd')
    const flags = flagBits(this.flags, STATX_FLAGS, 'flags', false)
    s[at + F.OP_FLAGS] = flags
    s[at + F.LEN] = validateInteger(this.mask, 'mask', 0, 0x7fffffff)
    const path = ownPath(this.path, 'path', true)
    if (path.length === 1 && (flags & STATX_FLAGS.emptyPath) === 0) {
      throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "path" must not be empty (statx of an fd takes flags: ['emptyPath'])`)
    }
    s[at + F.BUF] = bufs.length
    bufs.push(path, this.#out)
  }
  /** The file's attributes from a CQE of this op (throws CqeError for res < 0). */
  decode(cqe: Cqe): StatxResult {
    resultOf(ownCqe(cqe, this), this.name)
    return new StatxResult(this.#out)
  }
}

// ---- path ops: renameat, unlinkat, mkdirat, symlinkat, linkat ---------------------------------

/** RENAME_* of renameat2(2), by name. */
const RENAME = { noReplace: 1, exchange: 2, whiteout: 4 } as const
/** A RENAME_* flag by name. */
export type RenameFlag = keyof typeof RENAME

/** AT_* flags of linkat(2), by name. */
const LINK = { symlinkFollow: 0x400, emptyPath: 0x1000 } as const
/** A linkat AT_* flag by name. */
export type LinkFlag = keyof typeof LINK

/**
 * IORING_OP_RENAMEAT (5.11): renameat2(2). Words: FD = olddirfd, AUX = newdirfd, BUF = oldpath,
 * BUF+1 = newpath, OP_FLAGS = RENAME_* bits.
 */
export class Renameat extends Op {
  readonly opcode = Opcode.RENAMEAT
  readonly name = 'renameat'
  olddirfd: number
  oldpath: string | Uint8Array
  newdirfd: number
  newpath: string | Uint8Array
  flags: number | readonly RenameFlag[]
  constructor(olddirfd: number, oldpath: string | Uint8Array, newdirfd: number, newpath: string | Uint8Array, flags: number | readonly RenameFlag[] = 0, options?: OpOptions) {
    super()
    this.olddirfd = dirfdArg(olddirfd, 'olddirfd')
    this.oldpath = pathArg(oldpath, 'oldpath')
    this.newdirfd = dirfdArg(newdirfd, 'newdirfd')
    this.newpath = pathArg(newpath, 'newpath')
    this.flags = flags
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.FD] = dirfdArg(this.olddirfd, 'olddirfd')
    s[at + F.AUX] = dirfdArg(this.newdirfd, 'newdirfd')
    s[at + F.OP_FLAGS] = flagBits(this.flags, RENAME, 'flags')
    s[at + F.BUF] = bufs.length
    bufs.push(ownPath(this.oldpath, 'oldpath'), ownPath(this.newpath, 'newpath'))
  }
}

/** Options of unlinkat. */
export interface UnlinkatOptions extends OpOptions {
  /** AT_REMOVEDIR: remove a directory (rmdir(2)) instead of a file. */
  removeDir?: boolean
}

const UNLINK_KEYS = new Set<string>([...COMMON, 'removeDir'])
const AT_REMOVEDIR = 0x200

/** IORING_OP_UNLINKAT (5.11): unlinkat(2). Words: FD = dirfd, BUF = path, OP_FLAGS = 0 or AT_REMOVEDIR. */
export class Unlinkat extends Op {
  readonly opcode = Opcode.UNLINKAT
  readonly name = 'unlinkat'
  dirfd: number
  path: string | Uint8Array
  removeDir = false
  constructor(dirfd: number, path: string | Uint8Array, options?: UnlinkatOptions) {
    super()
    this.dirfd = dirfdArg(dirfd, 'dirfd')
    this.path = pathArg(path, 'path')
    this.applyOptions(options, UNLINK_KEYS)
    if (options?.removeDir !== undefined) this.removeDir = options.removeDir
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.FD] = dirfdArg(this.dirfd, 'dirfd')
    s[at + F.OP_FLAGS] = validateBoolean(this.removeDir, 'removeDir') ? AT_REMOVEDIR : 0
    s[at + F.BUF] = bufs.length
    bufs.push(ownPath(this.path, 'path'))
  }
}

/** IORING_OP_MKDIRAT (5.15): mkdirat(2) (the umask applies). Words: FD = dirfd, BUF = path, AUX = mode. */
export class Mkdirat extends Op {
  readonly opcode = Opcode.MKDIRAT
  readonly name = 'mkdirat'
  dirfd: number
  path: string | Uint8Array
  mode: number
  constructor(dirfd: number, path: string | Uint8Array, mode = 0o777, options?: OpOptions) {
    super()
    this.dirfd = dirfdArg(dirfd, 'dirfd')
    this.path = pathArg(path, 'path')
    this.mode = mode
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.FD] = dirfdArg(this.dirfd, 'dirfd')
    s[at + F.AUX] = validateInteger(this.mode, 'mode', 0, 0o7777)
    s[at + F.BUF] = bufs.length
    bufs.push(ownPath(this.path, 'path'))
  }
}

/** IORING_OP_SYMLINKAT (5.15): symlinkat(2), a link at `linkpath` to `target`. Words: FD = newdirfd, BUF = target, BUF+1 = linkpath. */
export class Symlinkat extends Op {
  readonly opcode = Opcode.SYMLINKAT
  readonly name = 'symlinkat'
  target: string | Uint8Array
  newdirfd: number
  linkpath: string | Uint8Array
  constructor(target: string | Uint8Array, newdirfd: number, linkpath: string | Uint8Array, options?: OpOptions) {
    super()
    this.target = pathArg(target, 'target')
    this.newdirfd = dirfdArg(newdirfd, 'newdirfd')
    this.linkpath = pathArg(linkpath, 'linkpath')
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.FD] = dirfdArg(this.newdirfd, 'newdirfd')
    s[at + F.BUF] = bufs.length
    bufs.push(ownPath(this.target, 'target'), ownPath(this.linkpath, 'linkpath'))
  }
}

/**
 * IORING_OP_LINKAT (5.15): linkat(2), a hard link. `oldpath` may be '' only with 'emptyPath'.
 * Words: FD = olddirfd, AUX = newdirfd, BUF = oldpath, BUF+1 = newpath, OP_FLAGS = AT_* bits.
 */
export class Linkat extends Op {
  readonly opcode = Opcode.LINKAT
  readonly name = 'linkat'
  olddirfd: number
  oldpath: string | Uint8Array
  newdirfd: number
  newpath: string | Uint8Array
  flags: number | readonly LinkFlag[]
  constructor(olddirfd: number, oldpath: string | Uint8Array, newdirfd: number, newpath: string | Uint8Array, flags: number | readonly LinkFlag[] = 0, options?: OpOptions) {
    super()
    this.olddirfd = dirfdArg(olddirfd, 'olddirfd')
    this.oldpath = oldpath
    this.newdirfd = dirfdArg(newdirfd, 'newdirfd')
    this.newpath = pathArg(newpath, 'newpath')
    this.flags = flags
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.FD] = dirfdArg(this.olddirfd, 'olddirfd')
    s[at + F.AUX] = dirfdArg(this.newdirfd, 'newdirfd')
    const flags = flagBits(this.flags, LINK, 'flags')
    s[at + F.OP_FLAGS] = flags
    const old = ownPath(this.oldpath, 'oldpath', true)
    if (old.length === 1 && (flags & LINK.emptyPath) === 0) {
      throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "oldpath" must not be empty (a link to an open fd takes flags: ['emptyPath'])`)
    }
    s[at + F.BUF] = bufs.length
    bufs.push(old, ownPath(this.newpath, 'newpath'))
  }
}

// ---- xattrs ------------------------------------------------------------------------------------

/** XATTR_CREATE / XATTR_REPLACE (setxattr(2)), by name. */
const XATTR = { create: 1, replace: 2 } as const
/** A setxattr flag by name: 'create' fails if the attribute exists, 'replace' if it does not. */
export type XattrFlag = keyof typeof XATTR

/** An xattr value to set: bytes, or a string (UTF-8). */
export type XattrValue = string | BufferLike

abstract class SetxattrBase extends Op {
  /** The attribute's name ('user.x'). */
  attr: string | Uint8Array
  value: XattrValue
  flags: number | readonly XattrFlag[]
  constructor(attr: string | Uint8Array, value: XattrValue, flags: number | readonly XattrFlag[]) {
    super()
    xattrName(attr)
    ownBytes(value, 'value', XATTR_SIZE_MAX)
    this.attr = attr
    this.value = value
    this.flags = flags
  }
  /** Stages name, value (copies) and flags at BUF, BUF+1 and OP_FLAGS. */
  protected encodeXattr(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.OP_FLAGS] = flagBits(this.flags, XATTR, 'flags')
    s[at + F.BUF] = bufs.length
    bufs.push(xattrName(this.attr), ownBytes(this.value, 'value', XATTR_SIZE_MAX))
  }
}

/**
 * IORING_OP_FSETXATTR (5.19): fsetxattr(2). `attr` is the attribute's name ('user.x'); the value
 * is copied at push. A RegisteredFd needs Linux 6.13: before it the kernel completes the op with
 * -EBADF. Words: FD = fd, BUF = name, BUF+1 = value, OP_FLAGS = XATTR_*.
 */
export class Fsetxattr extends SetxattrBase {
  readonly opcode = Opcode.FSETXATTR
  readonly name = 'fsetxattr'
  fd: FdLike
  constructor(fd: FdLike, attr: string | Uint8Array, value: XattrValue, flags: number | readonly XattrFlag[] = 0, options?: OpOptions) {
    super(attr, value, flags)
    this.fd = checkFdArg(fd)
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    this.encodeXattr(s, at, bufs)
  }
}

/**
 * IORING_OP_SETXATTR (5.19): setxattr(2) on a path (symlinks followed). Words: BUF = name, BUF+1
 * = value, BUF+2 = path, OP_FLAGS = XATTR_*.
 */
export class Setxattr extends SetxattrBase {
  readonly opcode = Opcode.SETXATTR
  readonly name = 'setxattr'
  path: string | Uint8Array
  constructor(path: string | Uint8Array, attr: string | Uint8Array, value: XattrValue, flags: number | readonly XattrFlag[] = 0, options?: OpOptions) {
    super(attr, value, flags)
    this.path = pathArg(path, 'path')
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    this.encodeXattr(s, at, bufs)
    bufs.push(ownPath(this.path, 'path'))
  }
}

abstract class GetxattrBase extends Op {
  /** The attribute's name ('user.x'). */
  attr: string | Uint8Array
  /** Bytes to read at most (0 to 65536); 0 only asks for the value's size (`cqe.res`). */
  size: number
  #value: Uint8Array
  constructor(attr: string | Uint8Array, size: number) {
    super()
    xattrName(attr)
    this.attr = attr
    this.size = validateInteger(size, 'size', 0, XATTR_SIZE_MAX)
    this.#value = new Uint8Array(size)
  }
  /** The kernel writes the op's own value buffer: one push at a time. */
  override get exclusive(): boolean {
    return true
  }
  /** Stages name and the op's value buffer at BUF, BUF+1. */
  protected encodeXattr(s: Float64Array, at: number, bufs: unknown[]): void {
    const size = validateInteger(this.size, 'size', 0, XATTR_SIZE_MAX)
    // Not in flight (exclusive), so the old buffer is nobody's now.
    if (this.#value.length !== size) this.#value = new Uint8Array(size)
    s[at + F.BUF] = bufs.length
    bufs.push(xattrName(this.attr), this.#value)
  }
  /** The value from a CQE of this op: a copy of its `res` bytes (empty for size 0). Throws CqeError (ENODATA, ERANGE, ...) for res < 0. */
  decode(cqe: Cqe): Buffer {
    const n = resultOf(ownCqe(cqe, this), this.name)
    return Buffer.from(this.#value.subarray(0, Math.min(n, this.#value.length)))
  }
}

/**
 * IORING_OP_FGETXATTR (5.19): fgetxattr(2) into the op's buffer of `size` bytes. A RegisteredFd
 * needs Linux 6.13: before it the kernel completes the op with -EBADF. Words: FD = fd, BUF = name,
 * BUF+1 = value buffer.
 */
export class Fgetxattr extends GetxattrBase {
  readonly opcode = Opcode.FGETXATTR
  readonly name = 'fgetxattr'
  fd: FdLike
  constructor(fd: FdLike, attr: string | Uint8Array, size: number, options?: OpOptions) {
    super(attr, size)
    this.fd = checkFdArg(fd)
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    this.encodeXattr(s, at, bufs)
  }
}

/** IORING_OP_GETXATTR (5.19): getxattr(2) of a path into the op's buffer. Words: BUF = name, BUF+1 = value buffer, BUF+2 = path. */
export class Getxattr extends GetxattrBase {
  readonly opcode = Opcode.GETXATTR
  readonly name = 'getxattr'
  path: string | Uint8Array
  constructor(path: string | Uint8Array, attr: string | Uint8Array, size: number, options?: OpOptions) {
    super(attr, size)
    this.path = pathArg(path, 'path')
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    this.encodeXattr(s, at, bufs)
    bufs.push(ownPath(this.path, 'path'))
  }
}

// ---- space and caching: fallocate, fadvise, madvise, sync_file_range, ftruncate ----------------

/** FALLOC_FL_* (fallocate(2)), by name. */
const FALLOC = {
  keepSize: 0x01,
  punchHole: 0x02,
  noHideStale: 0x04,
  collapseRange: 0x08,
  zeroRange: 0x10,
  insertRange: 0x20,
  unshareRange: 0x40,
  /** FALLOC_FL_WRITE_ZEROES (6.17). */
  writeZeroes: 0x80,
} as const
/** A FALLOC_FL_* mode bit by name. */
export type FallocateFlag = keyof typeof FALLOC

/**
 * IORING_OP_FALLOCATE (5.6): fallocate(2). `mode` 0 allocates (and grows the file); the kernel
 * judges combinations (e.g. 'punchHole' needs 'keepSize'). Words: FD = fd, OFF = offset, LEN =
 * len, OP_FLAGS = mode.
 */
export class Fallocate extends Op {
  readonly opcode = Opcode.FALLOCATE
  readonly name = 'fallocate'
  fd: FdLike
  mode: number | readonly FallocateFlag[]
  offset: number | bigint
  len: number | bigint
  constructor(fd: FdLike, mode: number | readonly FallocateFlag[], offset: number | bigint, len: number | bigint, options?: OpOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.mode = mode
    this.offset = offset
    this.len = len
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = flagBits(this.mode, FALLOC, 'mode')
    encodePosition(s, at, this.offset, 'offset')
    s[at + F.LEN] = safeInt(this.len, 'len', 1)
  }
}

/** POSIX_FADV_* (posix_fadvise(2)), by name. */
const FADV = { normal: 0, random: 1, sequential: 2, willneed: 3, dontneed: 4, noreuse: 5 } as const
/** posix_fadvise advice by name. */
export type FadviseAdvice = keyof typeof FADV

/**
 * IORING_OP_FADVISE (5.6): posix_fadvise(2) on `len` bytes from `offset` (`len` 0: to the end of
 * the file; more than 4 GiB needs 6.11). Words: FD = fd, OFF = offset, LEN = len, OP_FLAGS = advice.
 */
export class Fadvise extends Op {
  readonly opcode = Opcode.FADVISE
  readonly name = 'fadvise'
  fd: FdLike
  offset: number | bigint
  len: number | bigint
  advice: FadviseAdvice
  constructor(fd: FdLike, offset: number | bigint, len: number | bigint, advice: FadviseAdvice, options?: OpOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.offset = offset
    this.len = len
    this.advice = advice
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    encodePosition(s, at, this.offset, 'offset')
    const len = safeInt(this.len, 'len', 0)
    if (len >= TWO_32) needKernel('6.11', 'fadvise of 4 GiB or more')
    s[at + F.LEN] = len
    s[at + F.OP_FLAGS] = oneOf(this.advice, FADV, 'advice')
  }
}

/**
 * MADV_* (madvise(2)) allowed on JavaScript memory, by name. Advice after which touching the
 * memory faults (hwpoison, soft-offline, guard-install) is not offered. 'dontneed' and 'free'
 * (the range reads as zeros afterwards, or may) are refused on this ring's registered buffers,
 * whose view would otherwise part from the pages the kernel pinned; the ring cannot see buffers
 * registered with another ring, so do not drop those.
 */
const MADV = {
  normal: 0,
  random: 1,
  sequential: 2,
  willneed: 3,
  dontneed: 4,
  free: 8,
  dontfork: 10,
  dofork: 11,
  mergeable: 12,
  unmergeable: 13,
  hugepage: 14,
  nohugepage: 15,
  dontdump: 16,
  dodump: 17,
  wipeonfork: 18,
  keeponfork: 19,
  cold: 20,
  pageout: 21,
  populateRead: 22,
  populateWrite: 23,
} as const
/** madvise advice by name. */
export type MadviseAdvice = keyof typeof MADV

/**
 * IORING_OP_MADVISE (5.6): madvise(2) on the memory of `buffer` itself. The kernel works on whole
 * pages, so the memory must start on a page boundary and be a whole number of pages long
 * (ERR_URING_UNALIGNED otherwise): a RegisteredBuf's `bytes` of a page multiple are, ordinary
 * Buffers usually are not. Words: BUF = the buffer (not a copy), OP_FLAGS = advice.
 */
export class Madvise extends Op {
  readonly opcode = Opcode.MADVISE
  readonly name = 'madvise'
  buffer: BufferLike
  advice: MadviseAdvice
  constructor(buffer: BufferLike, advice: MadviseAdvice, options?: OpOptions) {
    super()
    this.buffer = validateBuffer(buffer)
    this.advice = advice
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.OP_FLAGS] = oneOf(this.advice, MADV, 'advice')
    const b = validateBuffer(this.buffer)
    if (b.byteLength >= TWO_32) needKernel('6.11', 'madvise of 4 GiB or more')
    s[at + F.BUF] = bufs.length
    bufs.push(b)
  }
}

/** SYNC_FILE_RANGE_* (sync_file_range(2)), by name. */
const SYNC_RANGE = { waitBefore: 1, write: 2, waitAfter: 4 } as const
/** A sync_file_range flag by name. */
export type SyncFileRangeFlag = keyof typeof SYNC_RANGE

/**
 * IORING_OP_SYNC_FILE_RANGE (5.2): sync_file_range(2) of `nbytes` from `offset` (`nbytes` 0: to
 * the end of the file; the SQE carries at most 2^32 - 1). Words: FD = fd, OFF = offset, LEN =
 * nbytes, OP_FLAGS = SYNC_FILE_RANGE_* bits.
 */
export class SyncFileRange extends Op {
  readonly opcode = Opcode.SYNC_FILE_RANGE
  readonly name = 'syncFileRange'
  fd: FdLike
  offset: number | bigint
  nbytes: number
  flags: number | readonly SyncFileRangeFlag[]
  constructor(fd: FdLike, offset: number | bigint, nbytes: number, flags: number | readonly SyncFileRangeFlag[], options?: OpOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.offset = offset
    this.nbytes = nbytes
    this.flags = flags
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    encodePosition(s, at, this.offset, 'offset')
    s[at + F.LEN] = validateInteger(this.nbytes, 'nbytes', 0, 0xffffffff)
    s[at + F.OP_FLAGS] = flagBits(this.flags, SYNC_RANGE, 'flags')
  }
}

/** IORING_OP_FTRUNCATE (6.9): ftruncate(2) to `length` bytes. Words: FD = fd, OFF = length. */
export class Ftruncate extends Op {
  readonly opcode = Opcode.FTRUNCATE
  readonly name = 'ftruncate'
  fd: FdLike
  length: number | bigint
  constructor(fd: FdLike, length: number | bigint, options?: OpOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.length = length
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    encodePosition(s, at, this.length, 'length')
  }
}

// ---- pipes: splice, tee, pipe ------------------------------------------------------------------

/** SPLICE_F_* (splice(2)), by name. */
const SPLICE = { move: 1, nonblock: 2, more: 4, gift: 8 } as const
/** A splice/tee flag by name. */
export type SpliceFlag = keyof typeof SPLICE
/** SPLICE_F_FD_IN_FIXED: fd_in is a registered file (set by a RegisteredFd, never by hand). */
const SPLICE_F_FD_IN_FIXED = 2 ** 31

/** Stages fd_in of splice/tee: AUX = fd or table index; a RegisteredFd adds SPLICE_F_FD_IN_FIXED and its generation in BUF_GEN. */
function encodeFdIn(s: Float64Array, at: number, fd: unknown, flags: number, host: RegistrarHost | undefined): void {
  if (fd instanceof RegisteredFd) {
    checkHandle(fd, host, 'RegisteredFd')
    s[at + F.AUX] = fd.index
    s[at + F.BUF_GEN] = fd.gen
    s[at + F.OP_FLAGS] = flags + SPLICE_F_FD_IN_FIXED
    return
  }
  if (typeof fd !== 'number') throw invalidType('fdIn', 'a file descriptor (number) or a RegisteredFd', fd)
  s[at + F.AUX] = validateFd(fd, 'fdIn')
  s[at + F.OP_FLAGS] = flags
}

/**
 * IORING_OP_SPLICE (5.7): splice(2) of up to `len` bytes from `fdIn` to `fdOut`; one of them
 * must be a pipe, whose offset is -1 (for a file, -1 means its current position). Either fd may
 * be a RegisteredFd. `res` is the bytes moved. Words: FD = fdOut, AUX = fdIn, OFF = offOut,
 * BUF_OFF = offIn (-1 or up to 2^53 - 1), LEN = len, OP_FLAGS = SPLICE_F_* (+ FD_IN_FIXED),
 * BUF_GEN = fdIn's generation.
 */
export class Splice extends Op {
  readonly opcode = Opcode.SPLICE
  readonly name = 'splice'
  fdIn: FdLike
  offIn: FileOffset
  fdOut: FdLike
  offOut: FileOffset
  len: number
  flags: number | readonly SpliceFlag[]
  constructor(fdIn: FdLike, offIn: FileOffset, fdOut: FdLike, offOut: FileOffset, len: number, flags: number | readonly SpliceFlag[] = 0, options?: OpOptions) {
    super()
    this.fdIn = checkFdArg(fdIn, 'fdIn')
    this.offIn = offIn
    this.fdOut = checkFdArg(fdOut, 'fdOut')
    this.offOut = offOut
    this.len = len
    this.flags = flags
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fdOut, host, 'fdOut')
    encodeFdIn(s, at, this.fdIn, flagBits(this.flags, SPLICE, 'flags'), host)
    encodeOffset(s, at, this.offOut, 'offOut')
    s[at + F.BUF_OFF] = this.offIn === -1 || this.offIn === -1n ? -1 : safeInt(this.offIn, 'offIn', 0)
    s[at + F.LEN] = validateInteger(this.len, 'len', 0, 0xffffffff)
  }
}

/**
 * IORING_OP_TEE (5.8): tee(2): copies up to `len` bytes from pipe `fdIn` to pipe `fdOut` without
 * consuming them. Words: FD = fdOut, AUX = fdIn, LEN = len, OP_FLAGS = SPLICE_F_* (+ FD_IN_FIXED),
 * BUF_GEN = fdIn's generation.
 */
export class Tee extends Op {
  readonly opcode = Opcode.TEE
  readonly name = 'tee'
  fdIn: FdLike
  fdOut: FdLike
  len: number
  flags: number | readonly SpliceFlag[]
  constructor(fdIn: FdLike, fdOut: FdLike, len: number, flags: number | readonly SpliceFlag[] = 0, options?: OpOptions) {
    super()
    this.fdIn = checkFdArg(fdIn, 'fdIn')
    this.fdOut = checkFdArg(fdOut, 'fdOut')
    this.len = len
    this.flags = flags
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fdOut, host, 'fdOut')
    encodeFdIn(s, at, this.fdIn, flagBits(this.flags, SPLICE, 'flags'), host)
    s[at + F.LEN] = validateInteger(this.len, 'len', 0, 0xffffffff)
  }
}

/** pipe2(2) flags, by name. */
const PIPE = {
  /** O_CLOEXEC. */
  cloexec: 0o2000000,
  /** O_NONBLOCK. */
  nonblock: fsc.O_NONBLOCK,
  /** O_DIRECT: a packet-mode pipe (each write is one packet). */
  packet: fsc.O_DIRECT,
} as const
/** A pipe2 flag by name. */
export type PipeFlag = keyof typeof PIPE

/** Options of pipe. */
export interface PipeOptions extends OpOptions {
  /** pipe2(2) flags. Default none (like pipe2 with 0: not close-on-exec). */
  flags?: number | readonly PipeFlag[]
  /**
   * Both ends become direct descriptors in free slots of the file table; `decode` then gives the
   * two slots. The registrar does not learn of them (no RegisteredFd handles for them yet), so
   * they are for ops staged by other means or for `registerFiles` to reuse.
   */
  direct?: boolean
}

const PIPE_KEYS = new Set<string>([...COMMON, 'flags', 'direct'])

/**
 * IORING_OP_PIPE (6.16): pipe2(2). The kernel writes the two fds into memory the op owns;
 * `decode(cqe)` gives [readFd, writeFd] (with `direct: true`, the two table slots).
 * Words: BUF = the op's two-int output, OP_FLAGS = flags, FIXED = FX_DIRECT.
 */
export class Pipe extends Op {
  readonly opcode = Opcode.PIPE
  readonly name = 'pipe'
  flags: number | readonly PipeFlag[] = 0
  direct = false
  readonly #fds = new Int32Array(2)
  constructor(options?: PipeOptions) {
    super()
    this.applyOptions(options, PIPE_KEYS)
    if (options?.flags !== undefined) this.flags = options.flags
    if (options?.direct !== undefined) this.direct = options.direct
    check(this)
  }
  /** The kernel writes the op's own fd pair: one push at a time. */
  override get exclusive(): boolean {
    return true
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    s[at + F.OP_FLAGS] = flagBits(this.flags, PIPE, 'flags')
    if (validateBoolean(this.direct, 'direct')) s[at + F.FIXED] += FX_DIRECT
    this.#fds.fill(-1)
    s[at + F.BUF] = bufs.length
    bufs.push(this.#fds)
  }
  /** [readFd, writeFd] from a CQE of this op (throws CqeError for res < 0). */
  decode(cqe: Cqe): [number, number] {
    resultOf(ownCqe(cqe, this), this.name)
    return [this.#fds[0], this.#fds[1]]
  }
}

// ---- multishot read ----------------------------------------------------------------------------

/** Options of readMultishot. */
export interface ReadMultishotOptions extends OpOptions {
  /** File offset, or -1 (default) for the current position / a stream. */
  offset?: FileOffset
}

const READ_MS_KEYS = new Set<string>([...COMMON, 'offset'])

/**
 * IORING_OP_READ_MULTISHOT (6.7): reads again each time `fd` (a pipe, socket, eventfd: anything
 * pollable) has data, each into a buffer the kernel picks from `group`: one CQE per read with
 * `cqe.more` set, read with `group.take(cqe)`. It ends (a CQE without `more`) on an error, on
 * ENOBUFS when the group runs empty, or at EOF (res 0); push the op again to re-arm it.
 * Words: FD = fd, BUF = group id (FX_GROUP), BUF_GEN = its generation, LEN = its buffer size
 * (not sent: the kernel fills at most one buffer per read and wants sqe->len 0), OFF = offset.
 */
export class ReadMultishot extends Op {
  readonly opcode = Opcode.READ_MULTISHOT
  readonly name = 'readMultishot'
  fd: FdLike
  group: BufferGroup
  offset: FileOffset = -1
  constructor(fd: FdLike, group: BufferGroup, options?: ReadMultishotOptions) {
    super()
    this.fd = checkFdArg(fd)
    if (!(group instanceof BufferGroup)) throw invalidType('group', 'a BufferGroup', group)
    this.group = group
    this.applyOptions(options, READ_MS_KEYS)
    if (options?.offset !== undefined) this.offset = options.offset
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    if (!(this.group instanceof BufferGroup)) throw invalidType('group', 'a BufferGroup', this.group)
    encodeGroup(s, at, this.group, host)
    encodeOffset(s, at, this.offset, 'offset')
  }
}

// ---- files update ------------------------------------------------------------------------------

/**
 * IORING_OP_FILES_UPDATE (5.6): puts process fds into slots of the ring's file table from inside
 * the ring (what `IORING_REGISTER_FILES_UPDATE` does as a syscall). The fds are copied into an
 * Int32Array the op owns at each push.
 *
 * - `offset` a slot number: `fds[i]` goes to slot `offset + i`; -1 empties a slot, -2 (5.12)
 *   leaves it as it is. Only slots that no RegisteredFd names may be written
 *   (ERR_INVALID_ARG_VALUE otherwise), so no handle ever changes its file behind the registrar's
 *   back; the files put there have no handle (they can be replaced by `registerFiles`). Do not
 *   run it while an op creating a direct descriptor (`direct: true`) is in flight: that op may
 *   have taken the slot already, and its handle would then name this file.
 * - `offset` 'alloc' (IORING_FILE_INDEX_ALLOC, 5.19): the kernel picks free slots, never
 *   replacing anything; `decode` gives the slots it chose.
 *
 * `res` is how many slots were updated. Words: BUF = the op's Int32Array, LEN = fds.length, AUX =
 * offset (-1 for 'alloc').
 */
export class FilesUpdate extends Op {
  readonly opcode = Opcode.FILES_UPDATE
  readonly name = 'filesUpdate'
  fds: readonly number[]
  offset: number | 'alloc'
  #table = new Int32Array(0)
  constructor(fds: readonly number[], offset: number | 'alloc', options?: OpOptions) {
    super()
    this.fds = fds
    this.offset = offset
    this.applyOptions(options, NOP_KEYS)
    check(this)
  }
  /** The kernel reads (and with 'alloc' writes) the op's own array: one push at a time. */
  override get exclusive(): boolean {
    return true
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[]): void {
    const list = this.fds as readonly unknown[]
    if (!Array.isArray(list)) throw invalidType('fds', 'an array of numbers', list)
    if (list.length < 1 || list.length > 1 << 20) throw outOfRange('fds.length', '>= 1 && <= 1048576', list.length)
    const alloc = this.offset === 'alloc'
    if (!alloc && typeof this.offset !== 'number') throw invalidType('offset', "a slot number or 'alloc'", this.offset)
    s[at + F.AUX] = alloc ? -1 : validateInteger(this.offset, 'offset', 0, (1 << 20) - 1)
    if (this.#table.length !== list.length) this.#table = new Int32Array(list.length)
    let skips = false
    for (let i = 0; i < list.length; i++) {
      const fd = list[i]
      if (alloc) this.#table[i] = validateFd(fd, `fds[${i}]`)
      else {
        this.#table[i] = validateInteger(fd, `fds[${i}]`, -2, 0x7fffffff)
        skips ||= fd === -2
      }
    }
    // Bad arguments get their own code on every kernel; only good ones are measured against it.
    if (alloc) needKernel('5.19', "filesUpdate with offset 'alloc' (IORING_FILE_INDEX_ALLOC)")
    if (skips) needKernel('5.12', 'filesUpdate with -2 (IORING_REGISTER_FILES_SKIP)')
    s[at + F.LEN] = list.length
    s[at + F.BUF] = bufs.length
    bufs.push(this.#table)
  }
  /** The slots updated by a CQE of this op (throws CqeError for res < 0). */
  decode(cqe: Cqe): number[] {
    const n = resultOf(ownCqe(cqe, this), this.name)
    if (this.offset === 'alloc') return Array.from(this.#table.subarray(0, n))
    const first = this.offset
    return Array.from({ length: n }, (_, i) => first + i)
  }
}

// ---- constructors ------------------------------------------------------------------------------

/** The fs family's constructors (merged into `op`). */
export const fsOps = {
  /** IORING_OP_OPENAT (5.6): open `path` relative to `dirfd` (AT_FDCWD: the current directory). */
  openat: (dirfd: number, path: string | Uint8Array, flags = 0, mode = 0o666, options?: OpenatOptions): Openat =>
    new Openat(dirfd, path, flags, mode, options),
  /** IORING_OP_CLOSE (5.6): a process fd, or a direct descriptor / registered slot. */
  close: (fd: FdLike, options?: OpOptions): Close => new Close(fd, options),
  /** IORING_OP_OPENAT2 (5.6): openat2(2) with flags, mode and RESOLVE_* by name. */
  openat2: (dirfd: number, path: string | Uint8Array, options?: Openat2Options): Openat2 => new Openat2(dirfd, path, options),
  /** IORING_OP_STATX (5.6): statx(2); `op.decode(cqe)` gives a Stats-like {@link StatxResult}. */
  statx: (dirfd: number, path: string | Uint8Array, options?: StatxOptions): Statx => new Statx(dirfd, path, options),
  /** IORING_OP_RENAMEAT (5.11): renameat2(2). */
  renameat: (olddirfd: number, oldpath: string | Uint8Array, newdirfd: number, newpath: string | Uint8Array, flags: number | readonly RenameFlag[] = 0, options?: OpOptions): Renameat =>
    new Renameat(olddirfd, oldpath, newdirfd, newpath, flags, options),
  /** IORING_OP_UNLINKAT (5.11): unlinkat(2); `removeDir: true` for a directory. */
  unlinkat: (dirfd: number, path: string | Uint8Array, options?: UnlinkatOptions): Unlinkat => new Unlinkat(dirfd, path, options),
  /** IORING_OP_MKDIRAT (5.15): mkdirat(2). */
  mkdirat: (dirfd: number, path: string | Uint8Array, mode = 0o777, options?: OpOptions): Mkdirat => new Mkdirat(dirfd, path, mode, options),
  /** IORING_OP_SYMLINKAT (5.15): symlinkat(2). */
  symlinkat: (target: string | Uint8Array, newdirfd: number, linkpath: string | Uint8Array, options?: OpOptions): Symlinkat =>
    new Symlinkat(target, newdirfd, linkpath, options),
  /** IORING_OP_LINKAT (5.15): linkat(2). */
  linkat: (olddirfd: number, oldpath: string | Uint8Array, newdirfd: number, newpath: string | Uint8Array, flags: number | readonly LinkFlag[] = 0, options?: OpOptions): Linkat =>
    new Linkat(olddirfd, oldpath, newdirfd, newpath, flags, options),
  /** IORING_OP_FSETXATTR (5.19): fsetxattr(2). Through a RegisteredFd from 6.13 (-EBADF before). */
  fsetxattr: (fd: FdLike, name: string | Uint8Array, value: XattrValue, flags: number | readonly XattrFlag[] = 0, options?: OpOptions): Fsetxattr =>
    new Fsetxattr(fd, name, value, flags, options),
  /** IORING_OP_SETXATTR (5.19): setxattr(2). */
  setxattr: (path: string | Uint8Array, name: string | Uint8Array, value: XattrValue, flags: number | readonly XattrFlag[] = 0, options?: OpOptions): Setxattr =>
    new Setxattr(path, name, value, flags, options),
  /** IORING_OP_FGETXATTR (5.19): fgetxattr(2) of up to `size` bytes; `op.decode(cqe)` gives them. Through a RegisteredFd from 6.13 (-EBADF before). */
  fgetxattr: (fd: FdLike, name: string | Uint8Array, size: number, options?: OpOptions): Fgetxattr => new Fgetxattr(fd, name, size, options),
  /** IORING_OP_GETXATTR (5.19): getxattr(2) of up to `size` bytes; `op.decode(cqe)` gives them. */
  getxattr: (path: string | Uint8Array, name: string | Uint8Array, size: number, options?: OpOptions): Getxattr => new Getxattr(path, name, size, options),
  /** IORING_OP_FALLOCATE (5.6): fallocate(2). */
  fallocate: (fd: FdLike, mode: number | readonly FallocateFlag[], offset: number | bigint, len: number | bigint, options?: OpOptions): Fallocate =>
    new Fallocate(fd, mode, offset, len, options),
  /** IORING_OP_FADVISE (5.6): posix_fadvise(2). */
  fadvise: (fd: FdLike, offset: number | bigint, len: number | bigint, advice: FadviseAdvice, options?: OpOptions): Fadvise =>
    new Fadvise(fd, offset, len, advice, options),
  /** IORING_OP_MADVISE (5.6): madvise(2) on whole pages of `buffer`'s memory. */
  madvise: (buffer: BufferLike, advice: MadviseAdvice, options?: OpOptions): Madvise => new Madvise(buffer, advice, options),
  /** IORING_OP_SYNC_FILE_RANGE (5.2): sync_file_range(2). */
  syncFileRange: (fd: FdLike, offset: number | bigint, nbytes: number, flags: number | readonly SyncFileRangeFlag[], options?: OpOptions): SyncFileRange =>
    new SyncFileRange(fd, offset, nbytes, flags, options),
  /** IORING_OP_FTRUNCATE (6.9): ftruncate(2). */
  ftruncate: (fd: FdLike, length: number | bigint, options?: OpOptions): Ftruncate => new Ftruncate(fd, length, options),
  /** IORING_OP_SPLICE (5.7): splice(2); offsets -1 for pipe ends. */
  splice: (fdIn: FdLike, offIn: FileOffset, fdOut: FdLike, offOut: FileOffset, len: number, flags: number | readonly SpliceFlag[] = 0, options?: OpOptions): Splice =>
    new Splice(fdIn, offIn, fdOut, offOut, len, flags, options),
  /** IORING_OP_TEE (5.8): tee(2) between two pipes. */
  tee: (fdIn: FdLike, fdOut: FdLike, len: number, flags: number | readonly SpliceFlag[] = 0, options?: OpOptions): Tee => new Tee(fdIn, fdOut, len, flags, options),
  /** IORING_OP_PIPE (6.16): pipe2(2); `op.decode(cqe)` gives [readFd, writeFd]. */
  pipe: (options?: PipeOptions): Pipe => new Pipe(options),
  /** IORING_OP_READ_MULTISHOT (6.7): repeated reads of a pollable fd into buffers of `group`. */
  readMultishot: (fd: FdLike, group: BufferGroup, options?: ReadMultishotOptions): ReadMultishot => new ReadMultishot(fd, group, options),
  /** IORING_OP_FILES_UPDATE (5.6): process fds into free slots of the file table (see {@link FilesUpdate}). */
  filesUpdate: (fds: readonly number[], offset: number | 'alloc', options?: OpOptions): FilesUpdate => new FilesUpdate(fds, offset, options),
} as const
