/**
 * `uring/os` (L2.1): plain async syscalls on a default ring per thread.
 *
 * ```ts
 * import * as os from 'uring/os'
 * const fd = await os.open('/etc/hostname')
 * const n = await os.read(fd, buf, 0)
 * await os.close(fd)
 * ```
 *
 * Each function makes one op (the same constructors as `op.*()`, no encoding of its own) and runs
 * it with `ring.run()` on the thread's default ring, made on first use by `new Ring({ entries:
 * 1024 })` (module state: each worker thread gets its own). So `os.read(fd, buf, pos, { signal })`
 * is `os.ring().run(op.read(fd, buf, pos), { signal })`, and everything issued in one tick goes to
 * the kernel in one `io_uring_enter`. Ops in flight keep the process alive; an idle ring does not.
 *
 * Every function returns a Promise: bad arguments reject (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE,
 * ...), kernel failures reject with Node-style errors (`code`, negative `errno`, `syscall` naming
 * the op, `path`/`dest` where the call has them). Nothing throws synchronously.
 */
import { constants as fsc } from 'node:fs'
import { constants as osc } from 'node:os'
import { Ring } from './ring'
import { SystemError } from './driver'
import { BufferLike, UringError, invalidType, validateObject } from './errors'
import { BufferGroup, RegisteredBuf, RegisteredBufSlice, RegisteredFd } from './registrar'
import { AT_FDCWD, FdLike, FileOffset, Op } from './opbase'
import { Read, Write, Readv, Writev, Fsync, uncheckedRead, uncheckedWrite } from './ops'
import type { VectorBuffers } from './ops'
import {
  Openat,
  Openat2,
  Close,
  Statx,
  Renameat,
  Unlinkat,
  Mkdirat,
  Symlinkat,
  Linkat,
  Fallocate,
  Ftruncate,
  Splice,
} from './ops-fs'
import type { FallocateFlag, LinkFlag, RenameFlag, ResolveFlag, SpliceFlag, StatxFlag, StatxResult } from './ops-fs'
import { Socket, Bind, Listen, Connect, Accept, Send, Recv, Shutdown } from './ops-net'
import type { AcceptResult, ShutdownHow, SocketAddress } from './ops-net'
import { Timeout } from './ops-ctl'

export { AT_FDCWD }
export type { FdLike, FileOffset, StatxResult, AcceptResult, SocketAddress, ShutdownHow, RegisteredFd, RegisteredBuf, RegisteredBufSlice }

// ---- the default ring --------------------------------------------------------------------------

let current: Ring | undefined

/**
 * The default ring of this thread: made on first use (`new Ring({ entries: 1024 })`), the same
 * object on every call. Register buffers and files on it (`os.ring().registrar`) and pass the
 * handles to `os.read` / `os.write` (READ_FIXED / WRITE_FIXED, IOSQE_FIXED_FILE are picked by
 * themselves). If it was closed, the next call makes a new one (handles of the old one are stale).
 * Throws a RingSetupError when io_uring is unavailable.
 */
export function ring(): Ring {
  let r = current
  if (r === undefined || r.closed) r = current = new Ring({ entries: 1024 })
  return r
}

// ---- shared helpers ----------------------------------------------------------------------------

/** Options every function takes. */
export interface SignalOptions {
  /** Cancels the op (IORING_OP_ASYNC_CANCEL); the promise rejects with an AbortError once the kernel confirms. */
  signal?: AbortSignal
}

/** A path: a string, or bytes (no NUL inside). */
export type PathLike = string | Uint8Array

// One options object for ring.run(), filled and emptied around each call (run reads it at once),
// so passing a signal allocates nothing here.
const RUN: { signal: AbortSignal | undefined } = { signal: undefined }

/** `r.run(o, { signal })` without an options object per call. @internal */
export function run<T>(r: Ring, o: Op, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return r.run(o) as Promise<T>
  RUN.signal = signal
  try {
    return r.run(o, RUN) as Promise<T>
  } finally {
    RUN.signal = undefined
  }
}

function defaultRing(): Ring {
  const r = current
  return r === undefined || r.closed ? ring() : r
}

const toVoid = (): void => undefined

/** Checks `options` against `known` keys (allocation-free) and returns it. */
function opts<T extends object>(options: T | undefined, known: readonly string[]): T | undefined {
  if (options === undefined) return undefined
  validateObject(options, 'options')
  for (const k in options) {
    if (known.indexOf(k) < 0) {
      throw new UringError('ERR_URING_UNKNOWN_OPTION', `"options.${k}" is not an option; known options: ${known.join(', ')}`)
    }
  }
  return options
}

const SIGNAL_ONLY = ['signal'] as const

function signalOf(options: SignalOptions | undefined): AbortSignal | undefined {
  return opts(options, SIGNAL_ONLY)?.signal
}

/** Runs `o` and resolves with nothing (ops whose result is 0). */
function runVoid(o: Op, signal: AbortSignal | undefined): Promise<void> {
  return run<number>(defaultRing(), o, signal).then(toVoid)
}

// ---- read / write ------------------------------------------------------------------------------

/** Memory of `read`/`write`: any buffer, or registered memory of `os.ring()` (READ_FIXED / WRITE_FIXED). */
export type IoBuffer = BufferLike | RegisteredBuf | RegisteredBufSlice

/** Options of `read` and `write`. */
export interface ReadWriteOptions extends SignalOptions {
  /** Where in `buffer` the bytes go / come from. Default 0. */
  bufferOffset?: number
  /** How many bytes. Default: the rest of `buffer` after `bufferOffset`. */
  length?: number
  /** RWF_* flags (preadv2(2)), e.g. RWF_NOWAIT, RWF_DSYNC. */
  rwFlags?: number
}

const RW_KEYS = ['bufferOffset', 'length', 'rwFlags', 'signal'] as const

/** Copies the op's own options onto `o` (checked again when it is staged); the signal. */
function rwOptions(o: Read | Write, options: ReadWriteOptions): AbortSignal | undefined {
  opts(options, RW_KEYS)
  if (options.bufferOffset !== undefined) o.bufferOffset = options.bufferOffset
  if (options.length !== undefined) o.length = options.length
  if (options.rwFlags !== undefined) o.rwFlags = options.rwFlags
  return options.signal
}

function noGroup(buffer: unknown): void {
  if (buffer instanceof BufferGroup) {
    throw invalidType('buffer', 'a Buffer, TypedArray, DataView, ArrayBuffer or registered buffer (a BufferGroup read goes through ring.run(op.read()))', buffer)
  }
}

/**
 * read(2) / pread(2) (IORING_OP_READ, READ_FIXED for registered memory) into `buffer`, from file
 * offset `position` (-1 or null: the current position, which then advances). Resolves with the
 * number of bytes read (0 at end of file).
 */
export function read(fd: FdLike, buffer: IoBuffer, position: FileOffset | null = -1, options?: ReadWriteOptions): Promise<number> {
  try {
    const r = defaultRing()
    noGroup(buffer)
    const o = uncheckedRead(fd, buffer, position ?? -1)
    if (options === undefined) return r.run(o)
    return run(r, o, rwOptions(o, options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/**
 * write(2) / pwrite(2) (IORING_OP_WRITE, WRITE_FIXED for registered memory) from `buffer`, at file
 * offset `position` (-1 or null: the current position, which then advances). Resolves with the
 * number of bytes written.
 */
export function write(fd: FdLike, buffer: IoBuffer, position: FileOffset | null = -1, options?: ReadWriteOptions): Promise<number> {
  try {
    const r = defaultRing()
    noGroup(buffer)
    const o = uncheckedWrite(fd, buffer, position ?? -1)
    if (options === undefined) return r.run(o)
    return run(r, o, rwOptions(o, options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/** Options of `readv` and `writev`. */
export interface VectoredOptions extends SignalOptions {
  /** RWF_* flags (preadv2(2)). */
  rwFlags?: number
}

const V_KEYS = ['rwFlags', 'signal'] as const

/**
 * readv(2) / preadv2(2) into `buffers` (1 to 1024; or pieces of one registered buffer: READV_FIXED,
 * 6.15), from `position` (-1 or null: the current position). Resolves with the bytes read.
 */
export function readv(fd: FdLike, buffers: VectorBuffers, position: FileOffset | null = -1, options?: VectoredOptions): Promise<number> {
  try {
    const r = defaultRing()
    const o = new Readv(fd, buffers, position ?? -1, undefined)
    if (opts(options, V_KEYS)?.rwFlags !== undefined) o.rwFlags = options!.rwFlags!
    return run(r, o, options?.signal)
  } catch (e) {
    return Promise.reject(e)
  }
}

/** writev(2) / pwritev2(2) from `buffers`, at `position` (-1 or null: the current position). Resolves with the bytes written. */
export function writev(fd: FdLike, buffers: VectorBuffers, position: FileOffset | null = -1, options?: VectoredOptions): Promise<number> {
  try {
    const r = defaultRing()
    const o = new Writev(fd, buffers, position ?? -1, undefined)
    if (opts(options, V_KEYS)?.rwFlags !== undefined) o.rwFlags = options!.rwFlags!
    return run(r, o, options?.signal)
  } catch (e) {
    return Promise.reject(e)
  }
}

// ---- open / close ------------------------------------------------------------------------------

/**
 * Open flags as `node:fs` spells them. They mean what they mean to `fs.open` (including the
 * O_CLOEXEC that libuv adds): 'r' O_RDONLY, 'r+' O_RDWR, 'w' O_WRONLY|O_CREAT|O_TRUNC, 'a'
 * O_WRONLY|O_CREAT|O_APPEND, 'x' adds O_EXCL, 's' adds O_SYNC, '+' makes it O_RDWR.
 */
export type OpenFlagString =
  | 'r' | 'rs' | 'sr' | 'r+' | 'rs+' | 'sr+'
  | 'w' | 'wx' | 'xw' | 'w+' | 'wx+' | 'xw+'
  | 'a' | 'ax' | 'xa' | 'as' | 'sa' | 'a+' | 'ax+' | 'xa+' | 'as+' | 'sa+'

/** O_* flags as a number (exactly these bits reach the kernel), or a `node:fs` flag string. */
export type OpenFlags = number | OpenFlagString

/** O_CLOEXEC (the same on every Linux architecture uring builds for), which libuv adds to every open. @internal */
export const O_CLOEXEC = 0o2000000
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_EXCL, O_SYNC } = fsc
const O_TMPFILE = 0o20000000 | fsc.O_DIRECTORY

/** Node's flag strings ('r', 'wx+', ...) and the open(2) flags they stand for. @internal */
export const FLAG_STRINGS: ReadonlyMap<string, number> = new Map<string, number>([
  ['r', O_RDONLY],
  ['rs', O_RDONLY | O_SYNC],
  ['sr', O_RDONLY | O_SYNC],
  ['r+', O_RDWR],
  ['rs+', O_RDWR | O_SYNC],
  ['sr+', O_RDWR | O_SYNC],
  ['w', O_TRUNC | O_CREAT | O_WRONLY],
  ['wx', O_TRUNC | O_CREAT | O_WRONLY | O_EXCL],
  ['xw', O_TRUNC | O_CREAT | O_WRONLY | O_EXCL],
  ['w+', O_TRUNC | O_CREAT | O_RDWR],
  ['wx+', O_TRUNC | O_CREAT | O_RDWR | O_EXCL],
  ['xw+', O_TRUNC | O_CREAT | O_RDWR | O_EXCL],
  ['a', O_APPEND | O_CREAT | O_WRONLY],
  ['ax', O_APPEND | O_CREAT | O_WRONLY | O_EXCL],
  ['xa', O_APPEND | O_CREAT | O_WRONLY | O_EXCL],
  ['as', O_APPEND | O_CREAT | O_WRONLY | O_SYNC],
  ['sa', O_APPEND | O_CREAT | O_WRONLY | O_SYNC],
  ['a+', O_APPEND | O_CREAT | O_RDWR],
  ['ax+', O_APPEND | O_CREAT | O_RDWR | O_EXCL],
  ['xa+', O_APPEND | O_CREAT | O_RDWR | O_EXCL],
  ['as+', O_APPEND | O_CREAT | O_RDWR | O_SYNC],
  ['sa+', O_APPEND | O_CREAT | O_RDWR | O_SYNC],
])

/**
 * The O_* bits of `flags` (a number as given; a string as node:fs opens it). A direct descriptor
 * has no process fd, and the kernel refuses O_CLOEXEC for one (EINVAL).
 */
function openFlags(flags: unknown, direct: boolean): number {
  if (typeof flags !== 'string') return flags as number // the op checks it
  const f = FLAG_STRINGS.get(flags)
  if (f === undefined) {
    throw new UringError('ERR_INVALID_ARG_VALUE', `The argument "flags" must be a number or one of ${[...FLAG_STRINGS.keys()].map((k) => `'${k}'`).join(', ')}. Received '${flags}'`)
  }
  return direct ? f : f | O_CLOEXEC
}

/** Options of `openat` and `open`. */
export interface OpenOptions extends SignalOptions {
  /**
   * Open into a direct descriptor: a free slot of `os.ring()`'s file table (5.19; reserve the
   * table first with `os.ring().registrar.reserveFiles(n)`). Resolves with a RegisteredFd.
   */
  direct?: boolean
  /** RESOLVE_* restrictions on the path lookup: makes it openat2(2) (IORING_OP_OPENAT2, 5.6). */
  resolve?: readonly ResolveFlag[]
}

const OPEN_KEYS = ['direct', 'resolve', 'signal'] as const

/**
 * openat(2) (IORING_OP_OPENAT; openat2 when `resolve` is given): opens `path` relative to `dirfd`
 * (AT_FDCWD: the current directory). Resolves with the new fd, or with `direct: true` a
 * RegisteredFd of `os.ring()`. `mode` (default 0o666, less the umask) applies when a file is made.
 */
export function openat(dirfd: number, path: PathLike, flags: OpenFlags | undefined, mode: number | undefined, options: OpenOptions & { direct: true }): Promise<RegisteredFd>
export function openat(dirfd: number, path: PathLike, flags?: OpenFlags, mode?: number, options?: OpenOptions & { direct?: false }): Promise<number>
export function openat(dirfd: number, path: PathLike, flags?: OpenFlags, mode?: number, options?: OpenOptions): Promise<number | RegisteredFd>
export function openat(dirfd: number, path: PathLike, flags: OpenFlags = O_RDONLY, mode?: number, options?: OpenOptions): Promise<number | RegisteredFd> {
  try {
    const r = defaultRing()
    const o = opts(options, OPEN_KEYS)
    const f = openFlags(flags, o?.direct === true)
    let op: Op
    if (o?.resolve !== undefined) {
      // openat2 refuses a mode when nothing is created.
      const creates = typeof f === 'number' && ((f & O_CREAT) !== 0 || (f & O_TMPFILE) === O_TMPFILE)
      op = new Openat2(dirfd, path, { flags: f, mode: creates ? (mode ?? 0o666) : mode, resolve: o.resolve, direct: o.direct })
    } else {
      op = new Openat(dirfd, path, f, mode ?? 0o666, o?.direct === undefined ? undefined : { direct: o.direct })
    }
    return run(r, op, o?.signal)
  } catch (e) {
    return Promise.reject(e)
  }
}

/** `openat(AT_FDCWD, path, flags, mode, options)`: open(2). `flags` default 'r' (O_RDONLY). */
export function open(path: PathLike, flags: OpenFlags | undefined, mode: number | undefined, options: OpenOptions & { direct: true }): Promise<RegisteredFd>
export function open(path: PathLike, flags?: OpenFlags, mode?: number, options?: OpenOptions & { direct?: false }): Promise<number>
export function open(path: PathLike, flags?: OpenFlags, mode?: number, options?: OpenOptions): Promise<number | RegisteredFd>
export function open(path: PathLike, flags?: OpenFlags, mode?: number, options?: OpenOptions): Promise<number | RegisteredFd> {
  return openat(AT_FDCWD, path, flags, mode, options)
}

/** close(2) (IORING_OP_CLOSE): a process fd, or (5.15) a direct descriptor / registered slot of `os.ring()`. */
export function close(fd: FdLike, options?: SignalOptions): Promise<void> {
  try {
    return runVoid(new Close(fd), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

// ---- statx -------------------------------------------------------------------------------------

/** Options of `statx`. */
export interface StatxOptions extends SignalOptions {
  /** A path is relative to this directory fd. Default AT_FDCWD. */
  dirfd?: number
  /** AT_* flags by name, e.g. `['symlinkNoFollow']` (lstat). 'emptyPath' is added for an fd. */
  flags?: readonly StatxFlag[]
  /** STATX_* bits to ask for (`STATX` of 'uring'). Default STATX.BASIC_STATS | STATX.BTIME. */
  mask?: number
}

const STATX_KEYS = ['dirfd', 'flags', 'mask', 'signal'] as const

/**
 * statx(2) (IORING_OP_STATX) of a path (relative to `options.dirfd`, default the current
 * directory), or of an open fd (AT_EMPTY_PATH). Resolves with a {@link StatxResult}: the names and
 * units of `fs.Stats` (`size`, `mode`, `nlink`, `ino`, `mtimeMs`, `isFile()`, ...) plus ns times.
 */
export function statx(target: PathLike | number, options?: StatxOptions): Promise<StatxResult> {
  try {
    const r = defaultRing()
    const o = opts(options, STATX_KEYS)
    if (typeof target === 'number') {
      if (o?.dirfd !== undefined) throw new UringError('ERR_INVALID_ARG_VALUE', 'statx of an fd takes no options.dirfd')
      const flags: StatxFlag[] = o?.flags === undefined ? ['emptyPath'] : [...o.flags, 'emptyPath']
      const op = new Statx(target, '', { flags, mask: o?.mask })
      // The op's path is '': an fd's error names no path (as fs.fstat's does not).
      return run<StatxResult>(r, op, o?.signal).catch((e: unknown) => {
        if (e instanceof SystemError && e.path === '') throw new SystemError(e.errno, e.syscall)
        throw e
      })
    }
    if (typeof target !== 'string' && !(target instanceof Uint8Array)) {
      throw invalidType('target', 'a path (string or Uint8Array) or a file descriptor', target)
    }
    return run(r, new Statx(o?.dirfd ?? AT_FDCWD, target, { flags: o?.flags, mask: o?.mask }), o?.signal)
  } catch (e) {
    return Promise.reject(e)
  }
}

// ---- sync, space -------------------------------------------------------------------------------

/** fsync(2) (IORING_OP_FSYNC): data and metadata of `fd` reach the device. */
export function fsync(fd: FdLike, options?: SignalOptions): Promise<void> {
  try {
    return runVoid(new Fsync(fd), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/** fdatasync(2) (IORING_OP_FSYNC with IORING_FSYNC_DATASYNC): the data, and the metadata needed to read it. */
export function fdatasync(fd: FdLike, options?: SignalOptions): Promise<void> {
  try {
    return runVoid(new Fsync(fd, { datasync: true }), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/**
 * fallocate(2) (IORING_OP_FALLOCATE): `mode` 0 (or []) allocates `length` bytes at `offset` and
 * grows the file; named FALLOC_FL_* bits (`['keepSize', 'punchHole']`) or a number otherwise.
 */
export function fallocate(fd: FdLike, mode: number | readonly FallocateFlag[], offset: number | bigint, length: number | bigint, options?: SignalOptions): Promise<void> {
  try {
    return runVoid(new Fallocate(fd, mode, offset, length), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/** ftruncate(2) (IORING_OP_FTRUNCATE, 6.9): the file becomes `length` bytes long. */
export function ftruncate(fd: FdLike, length: number | bigint = 0, options?: SignalOptions): Promise<void> {
  try {
    return runVoid(new Ftruncate(fd, length), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

// ---- paths -------------------------------------------------------------------------------------

/** renameat2(2) (IORING_OP_RENAMEAT, 5.11); `flags` RENAME_* by name (`['noReplace']`) or a number. */
export function renameat(olddirfd: number, oldpath: PathLike, newdirfd: number, newpath: PathLike, flags: number | readonly RenameFlag[] = 0, options?: SignalOptions): Promise<void> {
  try {
    const o = new Renameat(olddirfd, oldpath, newdirfd, newpath, flags)
    return runVoid(o, signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/** rename(2): `renameat(AT_FDCWD, oldPath, AT_FDCWD, newPath)`. */
export function rename(oldPath: PathLike, newPath: PathLike, options?: SignalOptions): Promise<void> {
  return renameat(AT_FDCWD, oldPath, AT_FDCWD, newPath, 0, options)
}

/** Options of `unlinkat`. */
export interface UnlinkatOptions extends SignalOptions {
  /** AT_REMOVEDIR: remove a directory (rmdir(2)). */
  removeDir?: boolean
}

const UNLINK_KEYS = ['removeDir', 'signal'] as const

/** unlinkat(2) (IORING_OP_UNLINKAT, 5.11): a file, or with `removeDir: true` an empty directory. */
export function unlinkat(dirfd: number, path: PathLike, options?: UnlinkatOptions): Promise<void> {
  try {
    const o = opts(options, UNLINK_KEYS)
    return runVoid(new Unlinkat(dirfd, path, o?.removeDir === undefined ? undefined : { removeDir: o.removeDir }), o?.signal)
  } catch (e) {
    return Promise.reject(e)
  }
}

/** unlink(2): `unlinkat(AT_FDCWD, path)`. */
export function unlink(path: PathLike, options?: SignalOptions): Promise<void> {
  try {
    return unlinkat(AT_FDCWD, path, { signal: signalOf(options) })
  } catch (e) {
    return Promise.reject(e)
  }
}

/** rmdir(2): `unlinkat(AT_FDCWD, path, { removeDir: true })`. */
export function rmdir(path: PathLike, options?: SignalOptions): Promise<void> {
  try {
    return unlinkat(AT_FDCWD, path, { removeDir: true, signal: signalOf(options) })
  } catch (e) {
    return Promise.reject(e)
  }
}

/** mkdirat(2) (IORING_OP_MKDIRAT, 5.15); `mode` default 0o777, less the umask. */
export function mkdirat(dirfd: number, path: PathLike, mode = 0o777, options?: SignalOptions): Promise<void> {
  try {
    return runVoid(new Mkdirat(dirfd, path, mode), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/** mkdir(2): `mkdirat(AT_FDCWD, path, mode)`. */
export function mkdir(path: PathLike, mode = 0o777, options?: SignalOptions): Promise<void> {
  return mkdirat(AT_FDCWD, path, mode, options)
}

/** symlinkat(2) (IORING_OP_SYMLINKAT, 5.15): a symbolic link at `linkpath` (relative to `newdirfd`) holding `target`. */
export function symlinkat(target: PathLike, newdirfd: number, linkpath: PathLike, options?: SignalOptions): Promise<void> {
  try {
    const o = new Symlinkat(target, newdirfd, linkpath)
    return runVoid(o, signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/** symlink(2): `symlinkat(target, AT_FDCWD, path)`. */
export function symlink(target: PathLike, path: PathLike, options?: SignalOptions): Promise<void> {
  return symlinkat(target, AT_FDCWD, path, options)
}

/** linkat(2) (IORING_OP_LINKAT, 5.15): a hard link; `flags` AT_* by name (`['symlinkFollow']`, `['emptyPath']`). */
export function linkat(olddirfd: number, oldpath: PathLike, newdirfd: number, newpath: PathLike, flags: number | readonly LinkFlag[] = 0, options?: SignalOptions): Promise<void> {
  try {
    const o = new Linkat(olddirfd, oldpath, newdirfd, newpath, flags)
    return runVoid(o, signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/** link(2): `linkat(AT_FDCWD, existingPath, AT_FDCWD, newPath)`. */
export function link(existingPath: PathLike, newPath: PathLike, options?: SignalOptions): Promise<void> {
  return linkat(AT_FDCWD, existingPath, AT_FDCWD, newPath, 0, options)
}

// ---- pipes -------------------------------------------------------------------------------------

/**
 * splice(2) (IORING_OP_SPLICE, 5.7): moves up to `length` bytes between `fdIn` and `fdOut`, one of
 * which is a pipe; the offsets are -1 for a pipe end (or for the file's current position).
 * Resolves with the bytes moved (0: end of input).
 */
export function splice(fdIn: FdLike, offIn: FileOffset, fdOut: FdLike, offOut: FileOffset, length: number, flags: number | readonly SpliceFlag[] = 0, options?: SignalOptions): Promise<number> {
  try {
    return run(defaultRing(), new Splice(fdIn, offIn, fdOut, offOut, length, flags), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

// ---- sockets -----------------------------------------------------------------------------------

/** Address families and socket types for `socket()` (linux/socket.h, linux/net.h). */
export const AF_UNIX = 1
export const AF_INET = 2
export const AF_INET6 = 10
export const SOCK_STREAM = 1
export const SOCK_DGRAM = 2
export const SOCK_SEQPACKET = 5
/** Flags or'ed into `type` (socket) or given to `accept`. */
export const SOCK_NONBLOCK = 0o4000
export const SOCK_CLOEXEC = 0o2000000

/** Options of `socket`. */
export interface SocketOptions extends SignalOptions {
  /** Make the socket a direct descriptor of `os.ring()` (5.19): resolves with a RegisteredFd. */
  direct?: boolean
}

const SOCKET_KEYS = ['direct', 'signal'] as const

/**
 * socket(2) (IORING_OP_SOCKET, 5.19): `os.socket(os.AF_INET, os.SOCK_STREAM)`. Resolves with the
 * fd, or with `direct: true` a RegisteredFd of `os.ring()`.
 */
export function socket(domain: number, type: number, protocol: number | undefined, options: SocketOptions & { direct: true }): Promise<RegisteredFd>
export function socket(domain: number, type: number, protocol?: number, options?: SocketOptions & { direct?: false }): Promise<number>
export function socket(domain: number, type: number, protocol?: number, options?: SocketOptions): Promise<number | RegisteredFd>
export function socket(domain: number, type: number, protocol = 0, options?: SocketOptions): Promise<number | RegisteredFd> {
  try {
    const o = opts(options, SOCKET_KEYS)
    return run(defaultRing(), new Socket(domain, type, protocol, o?.direct === undefined ? undefined : { direct: o.direct }), o?.signal)
  } catch (e) {
    return Promise.reject(e)
  }
}

/** bind(2) (IORING_OP_BIND, 6.11) to `{ family: 'ipv4', address: '127.0.0.1', port: 0 }` (or ipv6, unix). */
export function bind(fd: FdLike, address: SocketAddress, options?: SignalOptions): Promise<void> {
  try {
    return runVoid(new Bind(fd, address), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/** listen(2) (IORING_OP_LISTEN, 6.11); `backlog` default 511 (as node:net). */
export function listen(fd: FdLike, backlog = 511, options?: SignalOptions): Promise<void> {
  try {
    return runVoid(new Listen(fd, backlog), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/** Options of `accept`. */
export interface AcceptOptions extends SignalOptions {
  /** SOCK_NONBLOCK / SOCK_CLOEXEC (accept4(2)). */
  flags?: number
}

const ACCEPT_KEYS = ['flags', 'signal'] as const

/** accept4(2) (IORING_OP_ACCEPT, 5.5): waits for a connection; resolves with its `fd` and the peer's `address`. */
export function accept(fd: FdLike, options?: AcceptOptions): Promise<AcceptResult> {
  try {
    const o = opts(options, ACCEPT_KEYS)
    return run(defaultRing(), new Accept(fd, o?.flags === undefined ? undefined : { flags: o.flags }), o?.signal)
  } catch (e) {
    return Promise.reject(e)
  }
}

/** connect(2) (IORING_OP_CONNECT, 5.5) to `address`; resolves once connected. */
export function connect(fd: FdLike, address: SocketAddress, options?: SignalOptions): Promise<void> {
  try {
    return runVoid(new Connect(fd, address), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

/** Options of `send`. */
export interface SendOptions extends SignalOptions {
  /** Where in `buffer` the bytes start. Default 0. */
  bufferOffset?: number
  /** How many bytes. Default: the rest of `buffer`. */
  length?: number
  /** sendto(2): the destination of a datagram on an unconnected socket (6.1). */
  to?: SocketAddress
}

const SEND_KEYS = ['bufferOffset', 'length', 'to', 'signal'] as const

/** send(2) / sendto(2) (IORING_OP_SEND, 5.6) with MSG_* `flags`; resolves with the bytes sent. */
export function send(fd: FdLike, buffer: BufferLike, flags = 0, options?: SendOptions): Promise<number> {
  try {
    const r = defaultRing()
    const o = new Send(fd, buffer)
    o.flags = flags
    const p = opts(options, SEND_KEYS)
    if (p !== undefined) {
      if (p.bufferOffset !== undefined) o.bufferOffset = p.bufferOffset
      if (p.length !== undefined) o.length = p.length
      if (p.to !== undefined) o.to = p.to
    }
    return run(r, o, p?.signal)
  } catch (e) {
    return Promise.reject(e)
  }
}

/** Options of `recv`. */
export interface RecvOptions extends SignalOptions {
  /** At most this many bytes. Default: the whole buffer. */
  length?: number
}

const RECV_KEYS = ['length', 'signal'] as const

/** recv(2) (IORING_OP_RECV, 5.6) into `buffer` with MSG_* `flags`; resolves with the bytes received (0: the peer shut down). */
export function recv(fd: FdLike, buffer: BufferLike, flags = 0, options?: RecvOptions): Promise<number> {
  try {
    const r = defaultRing()
    if (buffer instanceof BufferGroup) throw invalidType('buffer', 'a Buffer, TypedArray, DataView or ArrayBuffer (a BufferGroup recv goes through ring.run(op.recv()))', buffer)
    const o = new Recv(fd, buffer)
    o.flags = flags
    const p = opts(options, RECV_KEYS)
    if (p?.length !== undefined) o.length = p.length
    return run(r, o, p?.signal)
  } catch (e) {
    return Promise.reject(e)
  }
}

/** shutdown(2) (IORING_OP_SHUTDOWN, 5.11): 'read', 'write' or 'both'. */
export function shutdown(fd: FdLike, how: ShutdownHow, options?: SignalOptions): Promise<void> {
  try {
    return runVoid(new Shutdown(fd, how), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}

// ---- time --------------------------------------------------------------------------------------

/**
 * Waits `ms` milliseconds (IORING_OP_TIMEOUT on the monotonic clock), then resolves with nothing.
 * An aborted `signal` rejects with an AbortError.
 */
export function sleep(ms: number, options?: SignalOptions): Promise<void> {
  try {
    // The driver settles a timeout's expiry (-ETIME) as its result, not as a failure.
    return runVoid(new Timeout(ms), signalOf(options))
  } catch (e) {
    return Promise.reject(e)
  }
}
