/**
 * `uring/fs` (L4): a drop-in for `node:fs/promises` on io_uring.
 *
 * ```ts
 * import * as fs from 'uring/fs'          // instead of 'node:fs/promises'
 * const text = await fs.readFile('/etc/hostname', 'utf8')
 * await using f = await fs.open('/tmp/x', 'w')
 * await f.write('hello')
 * ```
 *
 * The functions have node:fs/promises' signatures, results and errors (same `code`, `errno`,
 * `syscall`, `path`, `dest` and message). They run on the thread's default ring (`uring/os`'s
 * `ring()`), so uring/os and uring/fs share one ring and one io_uring_enter per tick. Calls
 * io_uring has no op for, and argument forms uring/fs does not take itself (wrong types, NUL
 * bytes, non-file URLs, unknown flags), go to node:fs/promises: Node's own answer, Node's own
 * error. Where io_uring cannot be set up, everything goes to node:fs/promises (see `backend()`,
 * `configure()`). docs/fs.md has the table of which call uses which op.
 */
import * as nfs from 'node:fs/promises'
import * as fs from 'node:fs'
import { EventEmitter } from 'node:events'
import { AsyncResource } from 'node:async_hooks'
import { Readable, Writable } from 'node:stream'
import { createInterface } from 'node:readline'
import type { Interface } from 'node:readline'
import { inspect, promisify } from 'node:util'
import { ring as osRing, run } from './os'
import type { Ring } from './ring'
import { RingSetupError } from './errors'
import { AT_FDCWD, F, FX_FD, FX_SLOT, Opcode } from './opbase'
import { Read, Write, Readv, Writev, Fsync, uncheckedRead, uncheckedWrite } from './ops'
import { Openat, Close, Statx, Renameat, Unlinkat, Mkdirat, Symlinkat, Linkat, Ftruncate } from './ops-fs'
import type { StatxResult } from './ops-fs'
import { checkHandle } from './registrar'
import type { RegisteredFd, RegistrarHost } from './registrar'
import {
  AbortError,
  O_CLOEXEC,
  bytesOf,
  checkAborted,
  errInvalidArgType,
  errOutOfRange,
  errGeneric,
  errnoOf,
  isArrayBufferView,
  rethrow,
  toFlags,
  toMode,
  toOptions,
  toPath,
  pathString,
  uvError,
  validateInteger,
} from './fs-util'
import type { Path } from './fs-util'

/** `fs.constants` of Node (O_*, S_*, COPYFILE_*, F_OK/R_OK/W_OK/X_OK, ...). */
export const constants = fs.constants

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, S_IFMT, S_IFREG, COPYFILE_EXCL, COPYFILE_FICLONE_FORCE } = fs.constants

// ---- backend -----------------------------------------------------------------------------------

/** Which implementation runs the calls: io_uring, or node:fs/promises (the fallback). */
export type Backend = 'io_uring' | 'node'

const FALLBACK_CODES = new Set(['ERR_URING_DISABLED', 'ERR_URING_UNSUPPORTED', 'ERR_URING_MEMLOCK'])

// Module state lives in one object: the ESM face snapshots exports at import.
const state: { fallback: boolean; backend: Backend | undefined; setupError: RingSetupError | undefined; warned: boolean } = {
  fallback: true,
  backend: undefined,
  setupError: undefined,
  warned: false,
}

/** Options of `configure()`. */
export interface ConfigureOptions {
  /**
   * Where io_uring cannot be set up (ERR_URING_DISABLED / ERR_URING_UNSUPPORTED /
   * ERR_URING_MEMLOCK): `true` (default) runs every call on node:fs/promises (with one
   * URING_FALLBACK warning); `false` rejects every call with the RingSetupError instead.
   */
  fallback?: boolean
}

/** Sets how uring/fs behaves; returns the settings now in force. */
export function configure(options: ConfigureOptions = {}): Required<ConfigureOptions> {
  if (options === null || typeof options !== 'object') throw errInvalidArgType('options', 'of type object', options)
  for (const k of Object.keys(options)) {
    if (k !== 'fallback') throw errGeneric(TypeError, 'ERR_URING_UNKNOWN_OPTION', `"options.${k}" is not an option; known options: fallback`)
  }
  if (options.fallback !== undefined) {
    if (typeof options.fallback !== 'boolean') throw errInvalidArgType('options.fallback', 'of type boolean', options.fallback)
    state.fallback = options.fallback
  }
  return { fallback: state.fallback }
}

/**
 * 'io_uring' or 'node' (io_uring could not be set up and calls go to node:fs/promises). Sets up
 * the thread's ring if nothing did yet. With `configure({ fallback: false })` and no io_uring,
 * throws the RingSetupError.
 */
export function backend(): Backend {
  return uring() === undefined ? 'node' : 'io_uring'
}

/** The thread's ring, or undefined when calls go to node:fs/promises. Throws in strict mode. */
function uring(): Ring | undefined {
  if (state.backend === 'node') {
    if (!state.fallback) throw state.setupError!
    return undefined
  }
  try {
    const r = osRing()
    state.backend = 'io_uring'
    return r
  } catch (e) {
    if (e instanceof RingSetupError && FALLBACK_CODES.has(e.code)) {
      state.setupError = e
      state.backend = 'node'
      if (!state.fallback) throw e
      if (!state.warned) {
        state.warned = true
        process.emitWarning(`uring/fs: io_uring is not available (${e.code}: ${e.message}); using node:fs/promises instead`, { code: 'URING_FALLBACK' })
      }
      return undefined
    }
    throw e
  }
}

const probeCache = new WeakMap<Ring, Map<string, boolean>>()

/** Whether the ring's kernel has the op (by uring name), cached per ring. */
function has(r: Ring, name: string): boolean {
  let m = probeCache.get(r)
  if (m === undefined) probeCache.set(r, (m = new Map()))
  let v = m.get(name)
  if (v === undefined) m.set(name, (v = r.probe.supports(name)))
  return v
}

// ---- running ops -------------------------------------------------------------------------------


/** Whether an error is the ring going away under a call (then the call is retried by Node). */
function errorOf(e: unknown, syscall: string, path?: string, dest?: string): never {
  rethrow(e, syscall, path, dest)
}

// ---- Stats -------------------------------------------------------------------------------------

type StatsCtor = new (...a: unknown[]) => fs.Stats
type BigIntStatsCtor = new (...a: unknown[]) => fs.BigIntStats
let ctors: [StatsCtor, BigIntStatsCtor] | undefined

/** Node's own Stats / BigIntStats constructors (taken from instances: not deprecated, exact). */
function statsCtors(): [StatsCtor, BigIntStatsCtor] {
  if (ctors === undefined) {
    ctors = [fs.statSync('/').constructor as StatsCtor, fs.statSync('/', { bigint: true }).constructor as BigIntStatsCtor]
  }
  return ctors
}

/** A statx result as the fs.Stats (or BigIntStats) Node makes from the same statx. */
export function toStats(x: StatxResult, bigint: true): fs.BigIntStats
export function toStats(x: StatxResult, bigint?: false): fs.Stats
export function toStats(x: StatxResult, bigint?: boolean): fs.Stats | fs.BigIntStats
export function toStats(x: StatxResult, bigint = false): fs.Stats | fs.BigIntStats {
  const [S, B] = statsCtors()
  if (!bigint) {
    return new S(x.dev, x.mode, x.nlink, x.uid, x.gid, x.rdev, x.blksize, x.ino, x.size, x.blocks, x.atimeMs, x.mtimeMs, x.ctimeMs, x.birthtimeMs)
  }
  const N = BigInt
  return new B(N(x.dev), N(x.mode), N(x.nlink), N(x.uid), N(x.gid), N(x.rdev), N(x.blksize), x.inoBig, x.sizeBig, N(x.blocks), x.atimeNs, x.mtimeNs, x.ctimeNs, x.birthtimeNs)
}

function bigintOption(options: unknown): boolean | undefined {
  if (options == null) return false
  if (typeof options !== 'object') return undefined
  const b = (options as { bigint?: unknown }).bigint
  return b === undefined ? false : b === true ? true : b === false ? false : Boolean(b)
}

// ---- File --------------------------------------------------------------------------------------

function fileClosed(syscall: string): Error {
  const e = new Error('file closed') as Error & { code: string; syscall: string }
  e.code = 'EBADF'
  e.syscall = syscall
  return e
}

const kEmpty = Object.freeze({}) as Record<string, unknown>
const fchmod = promisify(fs.fchmod)
const fchown = promisify(fs.fchown)
const futimes = promisify(fs.futimes)
const ftruncateNode = promisify(fs.ftruncate)

/** Result of `File.read`: like FileHandle.read's (a null-prototype object). */
export interface ReadResult<T extends ArrayBufferView> {
  bytesRead: number
  buffer: T
}

/** Result of `File.write`. */
export interface WriteResult<T> {
  bytesWritten: number
  buffer: T
}

/** Options of `File.read(options)` / `File.read(buffer, options)`. */
export interface FileReadOptions<T extends ArrayBufferView = Buffer> {
  buffer?: T
  offset?: number | null
  length?: number | null
  position?: number | bigint | null
}

/**
 * A position as FileHandle methods take it: a safe integer >= 0 is where the I/O happens;
 * anything else (null, -1, other negatives, bigints, fractions) means the current position.
 */
function position(p: unknown): number {
  return typeof p === 'number' && Number.isSafeInteger(p) && p >= 0 ? p : -1
}

/**
 * An open file, shaped like node:fs/promises' FileHandle: `fd`, read/write (all of FileHandle's
 * call forms), readv/writev, stat, truncate, sync, datasync, readFile/writeFile/appendFile,
 * chmod/chown/utimes, close, `Symbol.asyncDispose`, streams. Reads and writes go through the
 * ring; position `null` (or -1) means the file's current position, as in Node.
 */
export class File extends EventEmitter {
  #fd: number
  #closing: Promise<void> | undefined
  #ringOf: Ring
  readonly #asyncId = executionAsyncIdOf()

  /** @internal (files come from `open()`) */
  constructor(ring: Ring, fd: number) {
    super()
    this.#ringOf = ring
    this.#fd = fd
    gcClose.register(this, fd, this)
  }

  /** The ring the file's ops run on: the thread's default one (a new one if that was closed). */
  #ring(): Ring {
    const r = this.#ringOf
    return r.closed ? (this.#ringOf = osRing()) : r
  }

  /** A number that identifies this file for async_hooks-style bookkeeping (FileHandle's getAsyncId). */
  getAsyncId(): number {
    return this.#asyncId
  }

  /** The process fd (-1 once closed). */
  get fd(): number {
    return this.#fd
  }

  #live(syscall: string): number {
    if (this.#fd === -1) throw fileClosed(syscall)
    return this.#fd
  }

  /** read(2)/pread(2); the three forms of FileHandle.read. Resolves with `{ bytesRead, buffer }`. */
  read<T extends ArrayBufferView = Buffer>(buffer: T, offset?: number | null, length?: number | null, position?: number | bigint | null): Promise<ReadResult<T>>
  read<T extends ArrayBufferView = Buffer>(buffer: T, options?: FileReadOptions<T>): Promise<ReadResult<T>>
  read<T extends ArrayBufferView = Buffer>(options?: FileReadOptions<T>): Promise<ReadResult<T>>
  async read(bufferOrOptions?: unknown, offset?: unknown, length?: unknown, pos?: unknown): Promise<ReadResult<ArrayBufferView>> {
    const fd = this.#live('read')
    let buffer = bufferOrOptions as ArrayBufferView
    if (!isArrayBufferView(buffer)) {
      if (bufferOrOptions !== undefined && (bufferOrOptions === null || typeof bufferOrOptions !== 'object')) {
        throw errInvalidArgType('options', 'of type object', bufferOrOptions)
      }
      const o = (bufferOrOptions ?? kEmpty) as FileReadOptions<ArrayBufferView>
      buffer = o.buffer ?? Buffer.alloc(16384)
      offset = o.offset ?? 0
      length = o.length ?? buffer.byteLength - (offset as number)
      pos = o.position ?? null
      if (!isArrayBufferView(buffer)) throw errInvalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer)
    }
    if (offset !== null && typeof offset === 'object') {
      const o = offset as FileReadOptions<ArrayBufferView>
      offset = o.offset ?? 0
      length = o.length ?? buffer.byteLength - (offset as number)
      pos = o.position ?? null
    }
    if (offset == null) offset = 0
    else validateInteger(offset, 'offset', 0)
    length ??= buffer.byteLength - (offset as number)
    if (length === 0) return { __proto__: null, bytesRead: 0, buffer } as unknown as ReadResult<ArrayBufferView>
    if (buffer.byteLength === 0) {
      throw errGeneric(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'buffer' is empty and cannot be written. Received ${inspect(buffer)}`)
    }
    // node's order (validateOffsetLengthRead): length >= 0, then offset + length within the buffer
    if ((length as number) < 0) throw errOutOfRange('length', '>= 0', length)
    if ((offset as number) + (length as number) > buffer.byteLength) throw errOutOfRange('length', `<= ${buffer.byteLength - (offset as number)}`, length)
    validateInteger(length, 'length', 0, 2147483647)
    const p = position(pos)
    const o = uncheckedRead(fd, bytesOf(buffer), p)
    o.bufferOffset = offset as number
    o.length = length as number
    let n: number
    try {
      n = await run<number>(this.#ring(), o)
    } catch (e) {
      errorOf(e, 'read')
    }
    return { __proto__: null, bytesRead: n, buffer } as unknown as ReadResult<ArrayBufferView>
  }

  /** write(2)/pwrite(2): `(buffer, offset?, length?, position?)`, `(buffer, options?)` or `(string, position?, encoding?)`. */
  write<T extends ArrayBufferView>(buffer: T, offset?: number | null, length?: number | null, position?: number | bigint | null): Promise<WriteResult<T>>
  write<T extends ArrayBufferView>(buffer: T, options?: { offset?: number; length?: number; position?: number | bigint | null }): Promise<WriteResult<T>>
  write(data: string, position?: number | bigint | null, encoding?: BufferEncoding | null): Promise<WriteResult<string>>
  async write(buffer: unknown, offsetOrOptions?: unknown, length?: unknown, pos?: unknown): Promise<WriteResult<unknown>> {
    const fd = this.#live('write')
    if ((buffer as ArrayBufferView | undefined)?.byteLength === 0) return { __proto__: null, bytesWritten: 0, buffer } as unknown as WriteResult<unknown>
    let bytes: Uint8Array
    let offset: number
    let len: number
    let p: number
    if (isArrayBufferView(buffer)) {
      let off = offsetOrOptions
      if (off !== null && typeof off === 'object') {
        const o = off as { offset?: number; length?: number; position?: number | bigint | null }
        off = o.offset ?? 0
        length = o.length ?? buffer.byteLength - (off as number)
        pos = o.position ?? null
      }
      if (off == null) off = 0
      else validateInteger(off, 'offset', 0)
      offset = off as number
      len = typeof length === 'number' ? length : buffer.byteLength - offset
      if (offset > buffer.byteLength) throw errOutOfRange('offset', `<= ${buffer.byteLength}`, offset)
      if (len > buffer.byteLength - offset) throw errOutOfRange('length', `<= ${buffer.byteLength - offset}`, len)
      if (len < 0) throw errOutOfRange('length', '>= 0', len)
      validateInteger(len, 'length', 0, 2147483647)
      p = position(pos)
      bytes = bytesOf(buffer)
    } else {
      if (typeof buffer !== 'string') throw errInvalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', buffer)
      // As Node: an odd-length hex string is refused; an unknown encoding means utf8.
      const enc = typeof length === 'string' && Buffer.isEncoding(length) ? length : 'utf8'
      if (enc.toLowerCase() === 'hex' && buffer.length % 2 !== 0) {
        throw errGeneric(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument 'encoding' is invalid for data of length ${buffer.length}. Received ${inspect(length)}`)
      }
      bytes = Buffer.from(buffer, enc)
      offset = 0
      len = bytes.byteLength
      p = position(offsetOrOptions)
    }
    const o = uncheckedWrite(fd, bytes, p)
    o.bufferOffset = offset
    o.length = len
    let n: number
    try {
      n = await run<number>(this.#ring(), o)
    } catch (e) {
      errorOf(e, 'write')
    }
    return { __proto__: null, bytesWritten: n, buffer } as unknown as WriteResult<unknown>
  }

  /** readv(2)/preadv(2) into `buffers`. Resolves with `{ bytesRead, buffers }`. */
  async readv<T extends readonly ArrayBufferView[]>(buffers: T, pos?: number | bigint | null): Promise<{ bytesRead: number; buffers: T }> {
    const fd = this.#live('readv')
    validateBuffers(buffers)
    if (buffers.length === 0) return { __proto__: null, bytesRead: 0, buffers } as unknown as { bytesRead: number; buffers: T }
    const p = position(pos)
    let n: number
    try {
      // as libuv: one preadv of the first IOV_MAX buffers (the kernel refuses more)
      n = await run<number>(this.#ring(), new Readv(fd, buffers.slice(0, IOV_MAX).map(bytesOf), p, undefined))
    } catch (e) {
      errorOf(e, 'read')
    }
    return { __proto__: null, bytesRead: n, buffers } as unknown as { bytesRead: number; buffers: T }
  }

  /** writev(2)/pwritev(2) from `buffers`. Resolves with `{ bytesWritten, buffers }`. */
  async writev<T extends readonly ArrayBufferView[]>(buffers: T, pos?: number | bigint | null): Promise<{ bytesWritten: number; buffers: T }> {
    const fd = this.#live('writev')
    validateBuffers(buffers)
    if (buffers.length === 0) return { __proto__: null, bytesWritten: 0, buffers } as unknown as { bytesWritten: number; buffers: T }
    let p = position(pos)
    let n = 0
    try {
      // as libuv (uv__fs_write_all): IOV_MAX buffers per pwritev, on from where a write stopped
      let rest = buffers.map(bytesOf)
      while (rest.length > 0) {
        const w = await run<number>(this.#ring(), new Writev(fd, rest.slice(0, IOV_MAX), p, undefined))
        if (w <= 0) break
        n += w
        if (p >= 0) p += w
        let skip = w
        let i = 0
        while (i < rest.length && skip >= rest[i].byteLength) skip -= rest[i++].byteLength
        rest = rest.slice(i)
        if (skip > 0) rest[0] = rest[0].subarray(skip)
      }
    } catch (e) {
      if (n === 0) errorOf(e, 'write')
    }
    return { __proto__: null, bytesWritten: n, buffers } as unknown as { bytesWritten: number; buffers: T }
  }

  /** fstat (statx of the fd): an fs.Stats, or fs.BigIntStats with `{ bigint: true }`. */
  stat(options?: { bigint?: false }): Promise<fs.Stats>
  stat(options: { bigint: true }): Promise<fs.BigIntStats>
  stat(options?: { bigint?: boolean }): Promise<fs.Stats | fs.BigIntStats>
  async stat(options?: { bigint?: boolean }): Promise<fs.Stats | fs.BigIntStats> {
    const fd = this.#live('fstat')
    const big = bigintOption(options) ?? false
    let x: StatxResult
    try {
      x = await run<StatxResult>(this.#ring(), new Statx(fd, '', { flags: ['emptyPath'] }))
    } catch (e) {
      errorOf(e, 'fstat')
    }
    return toStats(x, big)
  }

  /** ftruncate(2) (IORING_OP_FTRUNCATE on 6.9+, node:fs before). */
  async truncate(len = 0): Promise<void> {
    const fd = this.#live('ftruncate')
    validateInteger(len, 'len')
    len = Math.max(0, len)
    if (!has(this.#ring(), 'ftruncate')) return ftruncateNode(fd, len)
    try {
      await run(this.#ring(), new Ftruncate(fd, len))
    } catch (e) {
      errorOf(e, 'ftruncate')
    }
  }

  /** fsync(2) (IORING_OP_FSYNC). */
  async sync(): Promise<void> {
    const fd = this.#live('fsync')
    try {
      await run(this.#ring(), new Fsync(fd))
    } catch (e) {
      errorOf(e, 'fsync')
    }
  }

  /** fdatasync(2) (IORING_OP_FSYNC, DATASYNC). */
  async datasync(): Promise<void> {
    const fd = this.#live('fdatasync')
    try {
      await run(this.#ring(), new Fsync(fd, { datasync: true }))
    } catch (e) {
      errorOf(e, 'fdatasync')
    }
  }

  /** fchmod(2) (node:fs: io_uring has no op). */
  async chmod(mode: number | string): Promise<void> {
    return fchmod(this.#live('fchmod'), mode)
  }

  /** fchown(2) (node:fs: io_uring has no op). */
  async chown(uid: number, gid: number): Promise<void> {
    return fchown(this.#live('fchown'), uid, gid)
  }

  /** futimes (node:fs: io_uring has no op). */
  async utimes(atime: fs.TimeLike, mtime: fs.TimeLike): Promise<void> {
    return futimes(this.#live('futime'), atime, mtime)
  }

  /** Reads from the current position to the end of the file (as FileHandle.readFile). */
  readFile(options?: { encoding?: null; signal?: AbortSignal } | null): Promise<Buffer>
  readFile(options: { encoding: BufferEncoding; signal?: AbortSignal } | BufferEncoding): Promise<string>
  readFile(options?: { encoding?: BufferEncoding | null; signal?: AbortSignal } | BufferEncoding | null): Promise<string | Buffer>
  async readFile(options?: unknown): Promise<string | Buffer> {
    const o = toOptions(options)
    if (o === undefined || o.encoding === 'buffer') throw await badOptions(() => nfs.readFile('', options as never))
    const fd = this.#live('readFile')
    return readFd(this.#ring(), fd, o.signal as AbortSignal | undefined, o.encoding as BufferEncoding | undefined)
  }

  /** Writes `data` at the current position (as FileHandle.writeFile). */
  async writeFile(data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
    const o = toOptions(options)
    if (o === undefined) throw await badOptions(() => nfs.writeFile('', data as never, options as never))
    const d = dataOf(data, o.encoding as BufferEncoding | undefined)
    if (d === undefined) throw await badOptions(() => nfs.writeFile('', data as never, options as never))
    const signal = o.signal as AbortSignal | undefined
    checkAborted(signal)
    const fd = this.#live('writeFile')
    await writeAll(this.#ring(), fd, d, signal, (o.encoding as BufferEncoding | undefined) ?? 'utf8')
  }

  /** The same as `writeFile` (a file handle writes where it stands; 'a' files append anyway). */
  appendFile(data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
    return this.writeFile(data, options)
  }

  /** close(2) (IORING_OP_CLOSE); later calls resolve at once. Emits 'close'. */
  close(): Promise<void> {
    if (this.#fd === -1) return Promise.resolve()
    if (this.#closing !== undefined) return this.#closing
    const fd = this.#fd
    this.#closing = run(this.#ring(), new Close(fd)).then(
      () => {
        this.#fd = -1
        this.#closing = undefined
        gcClose.unregister(this)
        this.emit('close')
      },
      (e: unknown) => {
        this.#closing = undefined
        errorOf(e, 'close')
      },
    )
    return this.#closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /**
   * A web ReadableStream of the file from its current position: ArrayBuffer chunks as Node 20's,
   * or with `{ type: 'bytes' }` a byte stream of Uint8Array chunks.
   */
  readableWebStream(options?: { type?: 'bytes' }): ReadableStream {
    this.#live('readableWebStream')
    if (options?.type === 'bytes') {
      return new ReadableStream({
        type: 'bytes',
        pull: async (c: ReadableByteStreamController) => {
          const buf = new Uint8Array(65536)
          const { bytesRead } = await this.read(buf, 0, buf.length, null)
          if (bytesRead === 0) {
            c.close()
            c.byobRequest?.respond(0)
          } else c.enqueue(buf.subarray(0, bytesRead))
        },
      })
    }
    return new ReadableStream<ArrayBuffer>({
      pull: async (c) => {
        const buf = new Uint8Array(65536)
        const { bytesRead } = await this.read(buf, 0, buf.length, null)
        if (bytesRead === 0) c.close()
        else c.enqueue(buf.buffer.slice(0, bytesRead))
      },
    })
  }

  /** A stream.Readable of the file whose reads go through the ring. */
  createReadStream(options?: ReadStreamOptions): FileReadStream {
    return new FileReadStream(this, options)
  }

  /** A stream.Writable of the file whose writes go through the ring. */
  createWriteStream(options?: WriteStreamOptions): FileWriteStream {
    return new FileWriteStream(this, options)
  }

  /** A readline Interface over `createReadStream(options)` (lines without their ends). */
  readLines(options?: ReadStreamOptions): Interface {
    return createInterface({ input: this.createReadStream(options), crlfDelay: Infinity })
  }
}

/** A fresh async id (an AsyncResource's), as a FileHandle has its native handle's. */
function executionAsyncIdOf(): number {
  return new AsyncResource('FILEHANDLE').asyncId()
}

/** As a FileHandle: a File dropped without close() has its fd closed by the GC, with a warning. */
const gcClose = new FinalizationRegistry<number>((fd) => {
  fs.close(fd, () => undefined)
  process.emitWarning(`Closing file descriptor ${fd} on garbage collection`)
})

/** The most iovecs one readv/writev takes (UIO_MAXIOV). */
const IOV_MAX = 1024

function validateBuffers(buffers: unknown): asserts buffers is readonly ArrayBufferView[] {
  if (!Array.isArray(buffers) || !buffers.every(isArrayBufferView)) throw errInvalidArgType('buffers', 'an ArrayBufferView[]', buffers)
}

/** Makes node:fs/promises produce its own error for arguments uring/fs does not take. */
async function badOptions(f: () => Promise<unknown>): Promise<Error> {
  try {
    await f()
  } catch (e) {
    return e as Error
  }
  return errGeneric(TypeError, 'ERR_INVALID_ARG_VALUE', 'invalid arguments')
}

// ---- streams -----------------------------------------------------------------------------------

/** Options of `File.createReadStream`. */
export interface ReadStreamOptions {
  encoding?: BufferEncoding | null
  autoClose?: boolean
  emitClose?: boolean
  start?: number
  end?: number
  highWaterMark?: number
  signal?: AbortSignal
}

/** A stream.Readable over a File (reads through the ring). */
export class FileReadStream extends Readable {
  readonly file: File
  bytesRead = 0
  #pos: number
  #end: number
  #autoClose: boolean

  constructor(file: File, options: ReadStreamOptions = {}) {
    super({ highWaterMark: options.highWaterMark ?? 65536, encoding: options.encoding ?? undefined, emitClose: options.emitClose ?? true, signal: options.signal })
    this.file = file
    if (options.start !== undefined) validateInteger(options.start, 'start', 0)
    if (options.end !== undefined) validateInteger(options.end, 'end', 0)
    if (options.start !== undefined && options.end !== undefined && options.start > options.end) {
      throw errOutOfRange('start', `<= "end" (here: ${options.end})`, options.start)
    }
    this.#pos = options.start ?? -1
    this.#end = options.end ?? Infinity
    this.#autoClose = options.autoClose ?? true
  }

  override _read(n: number): void {
    let want = Math.max(n, this.readableHighWaterMark)
    if (this.#end !== Infinity) {
      const at = this.#pos === -1 ? this.bytesRead : this.#pos
      want = Math.min(want, this.#end - at + 1)
      if (want <= 0) {
        this.push(null)
        return
      }
    }
    const buf = Buffer.allocUnsafeSlow(want)
    this.file.read(buf, 0, want, this.#pos === -1 ? null : this.#pos).then(
      ({ bytesRead }) => {
        if (this.#pos !== -1) this.#pos += bytesRead
        this.bytesRead += bytesRead
        this.push(bytesRead === 0 ? null : bytesRead === want ? buf : buf.subarray(0, bytesRead))
      },
      (e: Error) => this.destroy(e),
    )
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.#autoClose || this.file.fd === -1) return cb(err)
    this.file.close().then(
      () => cb(err),
      (e: Error) => cb(err ?? e),
    )
  }
}

/** Options of `File.createWriteStream`. */
export interface WriteStreamOptions {
  encoding?: BufferEncoding | null
  autoClose?: boolean
  emitClose?: boolean
  start?: number
  highWaterMark?: number
  signal?: AbortSignal
}

/** A stream.Writable over a File (writes through the ring). */
export class FileWriteStream extends Writable {
  readonly file: File
  bytesWritten = 0
  #pos: number
  #autoClose: boolean

  constructor(file: File, options: WriteStreamOptions = {}) {
    super({
      highWaterMark: options.highWaterMark ?? 16384,
      defaultEncoding: options.encoding ?? 'utf8',
      emitClose: options.emitClose ?? true,
      signal: options.signal,
      decodeStrings: true,
    })
    this.file = file
    if (options.start !== undefined) validateInteger(options.start, 'start', 0)
    this.#pos = options.start ?? -1
    this.#autoClose = options.autoClose ?? true
  }

  async #writeAll(chunks: Uint8Array[]): Promise<void> {
    for (const c of chunks) {
      let done = 0
      while (done < c.byteLength) {
        const { bytesWritten } = await this.file.write(c, done, c.byteLength - done, this.#pos === -1 ? null : this.#pos)
        done += bytesWritten
        if (this.#pos !== -1) this.#pos += bytesWritten
        this.bytesWritten += bytesWritten
      }
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.#writeAll([chunk]).then(() => cb(), cb)
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.#writeAll(chunks.map((c) => c.chunk)).then(() => cb(), cb)
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.#autoClose || this.file.fd === -1) return cb(err)
    this.file.close().then(
      () => cb(err),
      (e: Error) => cb(err ?? e),
    )
  }
}

// ---- open --------------------------------------------------------------------------------------

/**
 * open(2) (IORING_OP_OPENAT, O_CLOEXEC added as libuv does): a {@link File}. `flags` as Node
 * takes them ('r', 'w+', 'ax', ... or a number), `mode` a number or an octal string (default
 * 0o666). With the node fallback this resolves with Node's FileHandle.
 */
export function open(path: fs.PathLike, flags?: string | number | null, mode?: string | number | null): Promise<File> {
  const p = toPath(path)
  const f = toFlags(flags)
  const m = toMode(mode, 0o666)
  if (p === undefined || f === undefined || m === undefined) return nfs.open(path, flags ?? undefined, mode ?? undefined) as unknown as Promise<File>
  let r: Ring | undefined
  try {
    r = uring()
  } catch (e) {
    return Promise.reject(e)
  }
  if (r === undefined) return nfs.open(path, flags ?? undefined, mode ?? undefined) as unknown as Promise<File>
  const ring = r
  return openFd(ring, p, f, m).then((fd) => new File(ring, fd))
}

function openFd(r: Ring, p: Path, flags: number, mode: number, signal?: AbortSignal): Promise<number> {
  const o = new Openat(AT_FDCWD, p.arg, (flags | O_CLOEXEC) >>> 0, mode & 0o7777)
  return run<number>(r, o, signal).catch((e: unknown) => errorOf(e, 'open', p.str))
}

// ---- readFile ----------------------------------------------------------------------------------

const kIoMaxLength = 2 ** 31 - 1
const kReadFileUnknownBufferLength = 64 * 1024
const kReadFileBufferLength = 512 * 1024

/** Reads an open fd from its current position to EOF the way Node's readFileHandle does. */
export async function readFd(r: Ring, fd: number, signal: AbortSignal | undefined, encoding: BufferEncoding | undefined | null): Promise<string | Buffer> {
  checkAborted(signal)
  let x: StatxResult
  try {
    x = await run<StatxResult>(r, new Statx(fd, '', { flags: ['emptyPath'] }), signal)
  } catch (e) {
    errorOf(e, 'fstat')
  }
  checkAborted(signal)
  const size = (x.mode & S_IFMT) === S_IFREG ? x.size : 0
  if (size > kIoMaxLength) throw errGeneric(RangeError, 'ERR_FS_FILE_TOO_LARGE', `File size (${size}) is greater than 2 GiB`)
  return readLoop(r, fd, size, signal, encoding)
}

/** The read loop of readFile once the size is known (0: unknown, read to EOF). */
export async function readLoop(r: Ring, fd: number, size: number, signal: AbortSignal | undefined, encoding: BufferEncoding | undefined | null, first?: Buffer): Promise<string | Buffer> {
  let buf: Buffer
  let total = 0
  if (size > 0) {
    buf = first ?? Buffer.allocUnsafeSlow(size)
    if (first !== undefined) total = first.byteLength
    while (total < size) {
      checkAborted(signal)
      const o = uncheckedRead(fd, buf, -1)
      o.bufferOffset = total
      o.length = Math.min(size - total, kReadFileBufferLength)
      let n: number
      try {
        n = await run<number>(r, o, signal)
      } catch (e) {
        errorOf(e, 'read')
      }
      total += n
      if (n === 0 || n < o.length) break
    }
    if (total !== size) buf = buf.subarray(0, total)
  } else {
    const chunks: Buffer[] = first === undefined ? [] : [first]
    total = first?.byteLength ?? 0
    for (;;) {
      checkAborted(signal)
      const b = Buffer.allocUnsafeSlow(kReadFileUnknownBufferLength)
      let n: number
      try {
        n = await run<number>(r, uncheckedRead(fd, b, -1), signal)
      } catch (e) {
        errorOf(e, 'read')
      }
      if (n === 0) break
      chunks.push(n === b.length ? b : b.subarray(0, n))
      total += n
      if (total > kIoMaxLength) throw errGeneric(RangeError, 'ERR_FS_FILE_TOO_LARGE', `File size (${total}) is greater than 2 GiB`)
    }
    buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total)
  }
  return encoding ? buf.toString(encoding) : buf
}

/** Options of readFile. */
export interface ReadFileOptions {
  encoding?: BufferEncoding | null
  flag?: string | number
  signal?: AbortSignal
}

/**
 * Reads a whole file (node:fs/promises readFile). Small regular files: statx, then one linked
 * chain openat(direct) -> read(fixed file) -> close(direct) where the kernel has direct
 * descriptors; otherwise open, fstat, read to EOF, close, as Node does.
 */
export function readFile(path: fs.PathLike | File, options?: ({ encoding?: null; flag?: string | number; signal?: AbortSignal } | null)): Promise<Buffer>
export function readFile(path: fs.PathLike | File, options: { encoding: BufferEncoding; flag?: string | number; signal?: AbortSignal } | BufferEncoding): Promise<string>
export function readFile(path: fs.PathLike | File, options?: ReadFileOptions | BufferEncoding | null): Promise<string | Buffer>
export function readFile(path: fs.PathLike | File, options?: ReadFileOptions | BufferEncoding | null): Promise<string | Buffer> {
  if (path instanceof File) return path.readFile(options)
  // The common call, readFile(string) of a plain path, without the option parsing.
  if (options === undefined && typeof path === 'string' && path.length > 0 && !path.includes('\u0000')) return readFileOf(path, { arg: path, str: pathString(path) }, options, null, O_RDONLY, undefined)
  const o = typeof options === 'string' ? undefined : toOptions(options)
  let p: Path | undefined
  let encoding: BufferEncoding | undefined | null = null
  let flags: number | undefined
  let signal: AbortSignal | undefined
  if (o === undefined) {
    // The common string form without an object.
    if (typeof options !== 'string' || !Buffer.isEncoding(options)) return nfs.readFile(path as fs.PathLike, options)
    encoding = options
    flags = O_RDONLY
  } else {
    if (o.encoding === 'buffer') return nfs.readFile(path as fs.PathLike, options)
    encoding = o.encoding as BufferEncoding | undefined | null
    flags = toFlags(o.flag, O_RDONLY)
    signal = o.signal as AbortSignal | undefined
  }
  p = toPath(path)
  if (p === undefined || flags === undefined) return nfs.readFile(path as fs.PathLike, options)
  return readFileOf(path, p, options, encoding, flags, signal)
}

/** readFile of a path uring/fs handles, options parsed. */
function readFileOf(path: fs.PathLike, p: Path, options: ReadFileOptions | BufferEncoding | null | undefined, encoding: BufferEncoding | undefined | null, flags: number, signal: AbortSignal | undefined): Promise<string | Buffer> {
  let r: Ring | undefined
  try {
    r = uring()
  } catch (e) {
    return Promise.reject(e)
  }
  if (r === undefined) return nfs.readFile(path, options)
  if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))
  // Not with a signal: an abort cancels only the ops of a hard chain that already started, and a
  // later one (the second read, on a FIFO) could then block; single ops cancel cleanly.
  if (flags === O_RDONLY && signal === undefined) {
    const lane = lanePool(r)?.free.pop()
    if (lane !== undefined) return readFileFast(r, lane, p, encoding, signal)
  }
  return readFilePath(r, p, flags, signal, encoding)
}

// The fast path: ONE hard-linked chain per file, openat(into a pinned direct slot) -> read(fixed
// file, 64 KiB) -> read(16 KiB more), one promise each. A lane is a pinned slot with its own op
// objects and buffers (re-run, not re-made). Both reads are at the file's current position, so
// the second one returning 0 proves the end of ANY file (regular, /proc, /sys, FIFO, tty) the
// way Node's read loop does, and the first one's bytes are the answer. Otherwise the file is
// still open in its slot, just past what was read: the rest is read from there to EOF.
// The chain does not close the file: the lane's next openat replaces it (the kernel closes the
// old file then), and a sweep right after the tick closes the slots no chain reused, so no file
// stays open past the current turn of the event loop.

/** Pinned slots for readFile chains (the most chains in flight; more calls take the Node way). */
const LANES = 128
/** The sparse file table reserved on the default ring when it has none yet. */
const TABLE = 1024
/** Bytes of the chain's two reads. */
const LANE_BYTES = 64 * 1024
const LANE_MORE = 16 * 1024
const HARD = Object.freeze({ hard: true })

interface Lane {
  slot: RegisteredFd
  open: LaneOpen
  read: LaneRead
  more: LaneRead
  close: Close
  buf: Buffer | undefined
  buf2: Buffer | undefined
  chain: [LaneOpen, LaneRead, LaneRead]
  /** The slot holds a file (closed by the next open into it or by the sweep). */
  dirty: boolean
  pool: LanePool
  /** The call in flight. */
  path: Path | undefined
  encoding: BufferEncoding | undefined | null
  signal: AbortSignal | undefined
  ok: (res: unknown[]) => string | Buffer | Promise<string | Buffer>
  fail: (e: { errors?: unknown[]; code?: unknown }) => Promise<string | Buffer>
}

interface LanePool {
  ring: Ring
  free: Lane[]
  sweeping: boolean
}

const lanePools = new WeakMap<Ring, LanePool | null>()
/** The last ring asked for and its lanes (one WeakMap lookup less per call). */
let lastRing: Ring | undefined
let lastPool: LanePool | null = null

function setPool(r: Ring, pool: LanePool | null): void {
  lanePools.set(r, pool)
  lastRing = r
  lastPool = pool
}

/**
 * The ring's lanes, made on first use; null where the chain cannot run: no direct slots (a full
 * table of the user's, 5.19 without alloc ranges, < 5.15) or fixed files resolved at queue time
 * instead of run time (before 5.18, IORING_FEAT_LINKED_FILE).
 */
function lanePool(r: Ring): LanePool | null {
  if (r === lastRing) return lastPool
  let pool = lanePools.get(r)
  if (pool !== undefined) {
    lastRing = r
    lastPool = pool
    return pool
  }
  pool = null
  try {
    if (r.features.linkedFile && has(r, 'openat') && has(r, 'close') && has(r, 'read')) {
      try {
        r.registrar.reserveFiles(TABLE)
      } catch {
        // A table exists already (the user's): take slots from its top.
      }
      const slots = r.registrar.directSlots(LANES)
      const p: LanePool = { ring: r, free: [], sweeping: false }
      for (const slot of slots) {
        const open = new LaneOpen(slot)
        const read = new LaneRead(slot)
        const more = new LaneRead(slot)
        const lane: Lane = {
          slot,
          open,
          read,
          more,
          close: new Close(slot),
          buf: undefined,
          buf2: undefined,
          chain: [open, read, more],
          dirty: false,
          pool: p,
          path: undefined,
          encoding: undefined,
          signal: undefined,
          ok: (res) => laneOk(lane, res),
          fail: (e) => laneFail(lane, e),
        }
        p.free.push(lane)
      }
      pool = p
    }
  } catch {
    pool = null
  }
  setPool(r, pool)
  return pool
}

const EMPTY = Buffer.alloc(1)

/** PATH_MAX: the longest path the kernel takes, NUL included. Longer ones go the Node way. */
const PATH_BYTES = 4096

/**
 * A lane's openat: the path comes from the lane's own buffer, written in place per call (UTF-8 +
 * NUL), instead of a fresh copy per push (TextEncoder output + copy + a backing store each file).
 * The lane is in one chain at a time, so the bytes cannot change while the kernel reads them.
 */
class LaneOpen extends Openat {
  /** Made on the lane's first call, as its read buffers are. */
  pathBuf: Buffer = EMPTY
  readonly slot: RegisteredFd
  constructor(slot: RegisteredFd) {
    // Not skipSuccess: one CQE less per file measured no gain (within noise, 200k-file runs).
    super(AT_FDCWD, '.', O_RDONLY, 0, { direct: slot })
    this.slot = slot
  }
  /** Writes `p` as the path; false when it does not fit (PATH_MAX). */
  setPath(p: string | Uint8Array): boolean {
    if (this.pathBuf === EMPTY) this.pathBuf = Buffer.allocUnsafeSlow(PATH_BYTES)
    const b = this.pathBuf
    let n: number
    if (typeof p === 'string') {
      // Three bytes per UTF-16 unit at most: only then can the UTF-8 form be too long.
      if (p.length * 3 >= PATH_BYTES && Buffer.byteLength(p) >= PATH_BYTES) return false
      n = b.write(p, 0, 'utf8')
    } else {
      if (p.length >= PATH_BYTES) return false
      b.set(p, 0)
      n = p.length
    }
    b[n] = 0
    return true
  }
  /** Every staging word at once (Op.encode's checks cannot fail: the fields never change). */
  encode(s: Float64Array, at: number, bufs: unknown[], host?: RegistrarHost): void {
    laneWords(s, at, OP_OPENAT, this.sqeFlags, AT_FDCWD, bufs.length, 0, this.slot.index, 0, O_RDONLY, FX_SLOT, this.slot, host)
    bufs.push(this.pathBuf)
  }
}

const OP_OPENAT = Opcode.OPENAT
const OP_READ = Opcode.READ

/**
 * Writes the 16 staging words of a lane op (opbase F; what Op.encode + encodeFields would write
 * for these fields), after the one check that can fail: the slot still belongs to the ring.
 */
function laneWords(s: Float64Array, at: number, op: number, flags: number, fd: number, buf: number, aux: number, len: number, offLo: number, opFlags: number, fixed: number, slot: RegisteredFd, host: RegistrarHost | undefined): void {
  checkHandle(slot, host, 'RegisteredFd')
  s[at + F.OP] = op
  s[at + F.FLAGS] = flags
  s[at + F.FD] = fd
  s[at + F.BUF] = buf
  s[at + F.BUF_OFF] = 0
  s[at + F.LEN] = len
  s[at + F.OFF_LO] = offLo
  s[at + F.OFF_HI] = 0
  s[at + F.OP_FLAGS] = opFlags
  s[at + F.IOPRIO] = 0
  s[at + F.PERSONALITY] = 0
  s[at + F.FIXED] = fixed
  s[at + F.FD_GEN] = slot.gen
  s[at + F.BUF_GEN] = 0
  s[at + F.AUX] = aux
}

/**
 * A lane's read: `read(slot, buffer)` at the file's current position (offset -1) into the
 * whole of the lane's buffer, encoded without Read's per-push checks (its fields never change
 * but the buffer, set once, a plain Buffer).
 */
class LaneRead extends Read {
  declare fd: RegisteredFd
  constructor(slot: RegisteredFd) {
    super(slot, EMPTY, -1, undefined)
  }
  get opcode(): number {
    return OP_READ
  }
  get name(): string {
    return 'read'
  }
  encode(s: Float64Array, at: number, bufs: unknown[], host?: RegistrarHost): void {
    const b = this.buffer as Buffer
    // (Read's constructor checks the op through this method, before any field of a subclass is set.)
    const slot = this.fd
    laneWords(s, at, OP_READ, this.sqeFlags, slot.index, bufs.length, 0, b.length, -1, 0, FX_FD, slot, host)
    bufs.push(b)
  }
}

/** A lane is free again; if it holds a file, a sweep after this tick closes it unless reused first. */
function release(lane: Lane): void {
  const p = lane.pool
  p.free.push(lane)
  if (lane.dirty && !p.sweeping) {
    p.sweeping = true
    setImmediate(sweep, p)
  }
}

function sweep(p: LanePool): void {
  p.sweeping = false
  const keep: Lane[] = []
  for (const lane of p.free) {
    if (!lane.dirty) {
      keep.push(lane)
      continue
    }
    // Out of the free list until its close completes, so no chain can open into it meanwhile.
    const back = (): void => {
      lane.dirty = false
      p.free.push(lane)
    }
    ;(p.ring.run(lane.close) as Promise<unknown>).then(back, back)
  }
  p.free = keep
}

function readFileFast(r: Ring, lane: Lane, p: Path, encoding: BufferEncoding | undefined | null, signal: AbortSignal | undefined): Promise<string | Buffer> {
  if (lane.buf === undefined) {
    lane.buf = lane.read.buffer = Buffer.allocUnsafeSlow(LANE_BYTES)
    lane.buf2 = lane.more.buffer = Buffer.allocUnsafeSlow(LANE_MORE)
  }
  if (!lane.open.setPath(p.arg)) {
    lane.pool.free.push(lane)
    return readFilePath(r, p, O_RDONLY, signal, encoding)
  }
  lane.path = p
  lane.encoding = encoding
  lane.signal = signal
  // The lane's own continuations: no closures per file.
  return r.runLinked(lane.chain, signal === undefined ? HARD : { hard: true, signal }).then(lane.ok, lane.fail) as Promise<string | Buffer>
}

function laneOk(lane: Lane, res: unknown[]): string | Buffer | Promise<string | Buffer> {
  lane.dirty = true
  const n = res[1] as number
  const m = res[2] as number
  const buf = lane.buf!
  const encoding = lane.encoding
  if (m !== 0) return readRest(lane.pool.ring, lane, [Buffer.from(buf.subarray(0, n)), Buffer.from(lane.buf2!.subarray(0, m))], n + m, encoding, lane.signal)
  let out: string | Buffer
  if (encoding) out = buf.toString(encoding, 0, n)
  else {
    // As Node's: a Buffer of its own memory (not a slice of a pool).
    out = Buffer.allocUnsafeSlow(n)
    buf.copy(out, 0, 0, n)
  }
  lane.path = undefined
  lane.signal = undefined
  release(lane)
  return out
}

function laneFail(lane: Lane, e: { errors?: unknown[]; code?: unknown }): Promise<string | Buffer> {
  const errs = e.errors
  const p = lane.path!
  const encoding = lane.encoding
  const signal = lane.signal
  lane.path = undefined
  lane.signal = undefined
  if ((e as Error).name === 'AbortError') {
    // Whatever the chain got to, its file is closed before the lane serves again.
    closeThenFree(lane)
    throw e
  }
  if (errs === undefined) {
    // The chain never ran: the slots went away (the file table was unregistered) or the ring
    // was closed. Stop using the lanes of this ring; this call goes the Node way.
    const ring = lane.pool.ring
    setPool(ring, null)
    if (e.code === 'ERR_URING_CLOSED') throw e
    return readFilePath(ring, p, O_RDONLY, signal, encoding)
  }
  if (errs[0] !== undefined) {
    // The open failed (the reads then met an empty slot or the lane's last file: ignored).
    lane.dirty = true
    release(lane)
    errorOf(errs[0], 'open', p.str)
  }
  // A file the reads failed on is closed before the lane serves again (the next chain's reads
  // must never meet it, should its open fail).
  closeThenFree(lane)
  // Node meets a read error (EISDIR, EIO) at its first read, and reports it the same way.
  errorOf(errs[1] ?? errs[2], 'read')
}

/** Closes the lane's slot, then makes the lane free again. */
function closeThenFree(lane: Lane): void {
  const back = (): void => {
    lane.dirty = false
    lane.pool.free.push(lane)
  }
  ;(lane.pool.ring.run(lane.close) as Promise<unknown>).then(back, back)
}

/** The rest of a file a lane opened, from its current position to EOF; then the slot is closed. */
async function readRest(r: Ring, lane: Lane, chunks: Buffer[], total: number, encoding: BufferEncoding | undefined | null, signal: AbortSignal | undefined): Promise<string | Buffer> {
  lane.signal = undefined
  let size = kReadFileUnknownBufferLength
  try {
    for (;;) {
      const b = Buffer.allocUnsafeSlow(size)
      let n: number
      try {
        n = await run<number>(r, new Read(lane.slot, b, -1, undefined), signal)
      } catch (e) {
        errorOf(e, 'read')
      }
      if (n === 0) break
      chunks.push(n === b.length ? b : b.subarray(0, n))
      total += n
      if (total > kIoMaxLength) throw errGeneric(RangeError, 'ERR_FS_FILE_TOO_LARGE', `File size (${total}) is greater than 2 GiB`)
      if (size < kReadFileBufferLength) size *= 2
    }
  } finally {
    await run(r, lane.close).catch(() => undefined)
    lane.dirty = false
    lane.pool.free.push(lane)
  }
  const out = Buffer.concat(chunks, total)
  return encoding ? out.toString(encoding) : out
}

/** readFile the way Node does it: open, fstat, read to EOF, close (close errors win only without others). */
export async function readFilePath(r: Ring, p: Path, flags: number, signal: AbortSignal | undefined, encoding: BufferEncoding | undefined | null): Promise<string | Buffer> {
  const fd = await openFd(r, p, flags, 0o666, signal)
  let out: string | Buffer
  try {
    out = await readFd(r, fd, signal, encoding)
  } catch (e) {
    await run(r, new Close(fd)).catch(() => undefined)
    throw e
  }
  try {
    await run(r, new Close(fd))
  } catch (e) {
    errorOf(e, 'close')
  }
  return out
}

// ---- writeFile / appendFile --------------------------------------------------------------------

/** What writeFile takes: a string, bytes, or an (async) iterable of strings/bytes (a stream too). */
export type WriteData = string | ArrayBufferView | Iterable<string | ArrayBufferView> | AsyncIterable<string | ArrayBufferView>

/** Options of writeFile / appendFile. */
export interface WriteFileOptions {
  encoding?: BufferEncoding | null
  mode?: number | string
  flag?: string | number
  signal?: AbortSignal
  flush?: boolean
}

/** The data as bytes or an iterable of chunks, or undefined for what Node must judge. */
function dataOf(data: unknown, encoding: BufferEncoding | null | undefined): Uint8Array | Iterable<unknown> | AsyncIterable<unknown> | undefined {
  if (isArrayBufferView(data)) return bytesOf(data)
  if (typeof data === 'string') return Buffer.from(data, encoding || 'utf8')
  if (data != null && typeof data === 'object' && (typeof (data as Iterable<unknown>)[Symbol.iterator] === 'function' || typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')) {
    return data as Iterable<unknown>
  }
  return undefined
}

async function writeBytes(r: Ring, fd: number, b: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
  let done = 0
  while (done < b.byteLength) {
    checkAborted(signal)
    const o = uncheckedWrite(fd, b, -1)
    o.bufferOffset = done
    o.length = Math.min(b.byteLength - done, kReadFileBufferLength)
    let n: number
    try {
      n = await run<number>(r, o, signal)
    } catch (e) {
      errorOf(e, 'write')
    }
    done += n
  }
}

async function writeAll(r: Ring, fd: number, d: Uint8Array | Iterable<unknown> | AsyncIterable<unknown>, signal: AbortSignal | undefined, encoding: BufferEncoding): Promise<void> {
  if (d instanceof Uint8Array) return writeBytes(r, fd, d, signal)
  for await (const chunk of d as AsyncIterable<unknown>) {
    checkAborted(signal)
    let b: Uint8Array
    if (typeof chunk === 'string') b = Buffer.from(chunk, encoding)
    else if (isArrayBufferView(chunk)) b = bytesOf(chunk)
    else throw errInvalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', chunk)
    await writeBytes(r, fd, b, signal)
  }
}

function writeFileImpl(fn: 'writeFile' | 'appendFile', path: fs.PathLike | File, data: WriteData, options: WriteFileOptions | BufferEncoding | null | undefined, dflag: number): Promise<void> {
  const node = (): Promise<void> => nfs[fn](path as fs.PathLike, data as never, options as never)
  const o = toOptions(options)
  if (o === undefined) return node()
  const encoding = o.encoding as BufferEncoding | undefined | null
  if ((encoding as string) === 'buffer') return node()
  const d = dataOf(data, encoding)
  if (d === undefined) return node()
  if (o.flush !== undefined && typeof o.flush !== 'boolean') return node()
  if (path instanceof File) return path.writeFile(data, options)
  const p = toPath(path)
  const flags = toFlags(o.flag || undefined, dflag)
  const mode = toMode(o.mode, 0o666)
  if (p === undefined || flags === undefined || mode === undefined) return node()
  let r: Ring | undefined
  try {
    r = uring()
  } catch (e) {
    return Promise.reject(e)
  }
  if (r === undefined) return node()
  const signal = o.signal as AbortSignal | undefined
  if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))
  return writePath(r, p, flags, mode, d, signal, encoding || 'utf8', o.flush === true)
}

async function writePath(r: Ring, p: Path, flags: number, mode: number, d: Uint8Array | Iterable<unknown> | AsyncIterable<unknown>, signal: AbortSignal | undefined, encoding: BufferEncoding, flush: boolean): Promise<void> {
  const fd = await openFd(r, p, flags, mode)
  try {
    await writeAll(r, fd, d, signal, encoding)
    if (flush) await run(r, new Fsync(fd)).catch((e: unknown) => errorOf(e, 'fsync'))
  } catch (e) {
    await run(r, new Close(fd)).catch(() => undefined)
    throw e
  }
  await run(r, new Close(fd)).catch((e: unknown) => errorOf(e, 'close'))
}

/** Writes `data` to a file (node:fs/promises writeFile): open ('w'), write until done, close. */
export function writeFile(path: fs.PathLike | File, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
  return writeFileImpl('writeFile', path, data, options, fs.constants.O_TRUNC | O_CREAT | O_WRONLY)
}

/** Appends `data` to a file (node:fs/promises appendFile): open ('a'), write, close. */
export function appendFile(path: fs.PathLike | File, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
  return writeFileImpl('appendFile', path, data, options, fs.constants.O_APPEND | O_CREAT | O_WRONLY)
}

// ---- stat / lstat ------------------------------------------------------------------------------

function statImpl(syscall: 'stat' | 'lstat', path: fs.PathLike, options: unknown): Promise<fs.Stats | fs.BigIntStats> {
  const node = (): Promise<fs.Stats | fs.BigIntStats> => nfs[syscall](path, options as never)
  const p = toPath(path)
  const big = bigintOption(options)
  if (p === undefined || big === undefined) return node()
  let r: Ring | undefined
  try {
    r = uring()
  } catch (e) {
    return Promise.reject(e)
  }
  if (r === undefined) return node()
  let o: Statx
  try {
    o = new Statx(AT_FDCWD, p.arg, syscall === 'lstat' ? { flags: ['symlinkNoFollow'] } : undefined)
  } catch {
    return node()
  }
  return run<StatxResult>(r, o).then(
    (x) => toStats(x, big),
    (e: unknown) => errorOf(e, syscall, p.str),
  )
}

/** stat(2) (IORING_OP_STATX): fs.Stats, or fs.BigIntStats with `{ bigint: true }`. */
export function stat(path: fs.PathLike, options?: { bigint?: false }): Promise<fs.Stats>
export function stat(path: fs.PathLike, options: { bigint: true }): Promise<fs.BigIntStats>
export function stat(path: fs.PathLike, options?: { bigint?: boolean }): Promise<fs.Stats | fs.BigIntStats>
export function stat(path: fs.PathLike, options?: { bigint?: boolean }): Promise<fs.Stats | fs.BigIntStats> {
  return statImpl('stat', path, options)
}

/** lstat(2) (IORING_OP_STATX with AT_SYMLINK_NOFOLLOW). */
export function lstat(path: fs.PathLike, options?: { bigint?: false }): Promise<fs.Stats>
export function lstat(path: fs.PathLike, options: { bigint: true }): Promise<fs.BigIntStats>
export function lstat(path: fs.PathLike, options?: { bigint?: boolean }): Promise<fs.Stats | fs.BigIntStats>
export function lstat(path: fs.PathLike, options?: { bigint?: boolean }): Promise<fs.Stats | fs.BigIntStats> {
  return statImpl('lstat', path, options)
}

// ---- path ops ----------------------------------------------------------------------------------

/** Runs a path op when the ring and the op are there, Node otherwise. */
function pathOp(opName: string, node: () => Promise<void>, make: () => import('./opbase').Op, syscall: string, path: string, dest?: string): Promise<void> {
  let r: Ring | undefined
  try {
    r = uring()
  } catch (e) {
    return Promise.reject(e)
  }
  if (r === undefined || !has(r, opName)) return node()
  let o: import('./opbase').Op
  try {
    o = make()
  } catch {
    return node()
  }
  return run<number>(r, o).then(
    () => undefined,
    (e: unknown) => errorOf(e, syscall, path, dest),
  )
}

/** unlink(2) (IORING_OP_UNLINKAT, 5.11). */
export function unlink(path: fs.PathLike): Promise<void> {
  const p = toPath(path)
  const node = (): Promise<void> => nfs.unlink(path)
  if (p === undefined) return node()
  return pathOp('unlinkat', node, () => new Unlinkat(AT_FDCWD, p.arg), 'unlink', p.str)
}

/** rename(2) (IORING_OP_RENAMEAT, 5.11); errors carry `path` and `dest`. */
export function rename(oldPath: fs.PathLike, newPath: fs.PathLike): Promise<void> {
  const a = toPath(oldPath)
  const b = toPath(newPath)
  const node = (): Promise<void> => nfs.rename(oldPath, newPath)
  if (a === undefined || b === undefined) return node()
  return pathOp('renameat', node, () => new Renameat(AT_FDCWD, a.arg, AT_FDCWD, b.arg, 0), 'rename', a.str, b.str)
}

/** link(2) (IORING_OP_LINKAT, 5.15). */
export function link(existingPath: fs.PathLike, newPath: fs.PathLike): Promise<void> {
  const a = toPath(existingPath)
  const b = toPath(newPath)
  const node = (): Promise<void> => nfs.link(existingPath, newPath)
  if (a === undefined || b === undefined) return node()
  return pathOp('linkat', node, () => new Linkat(AT_FDCWD, a.arg, AT_FDCWD, b.arg, 0), 'link', a.str, b.str)
}

/** symlink(2) (IORING_OP_SYMLINKAT, 5.15); `type` is for Windows and ignored here, as Node does on Linux. */
export function symlink(target: fs.PathLike, path: fs.PathLike, type?: string | null): Promise<void> {
  const a = toPath(target)
  const b = toPath(path)
  const node = (): Promise<void> => nfs.symlink(target, path, type)
  if (a === undefined || b === undefined || (type != null && type !== 'dir' && type !== 'file' && type !== 'junction')) return node()
  return pathOp('symlinkat', node, () => new Symlinkat(a.arg, AT_FDCWD, b.arg), 'symlink', a.str, b.str)
}

/** Options of mkdir. */
export interface MakeDirectoryOptions {
  recursive?: boolean
  mode?: number | string
}

/**
 * mkdir(2) (IORING_OP_MKDIRAT, 5.15). `recursive: true` resolves with the first directory it
 * made (undefined if none), as Node: the whole path is tried with mkdirat first; when a parent is
 * missing, node:fs makes the chain.
 */
export function mkdir(path: fs.PathLike, options: MakeDirectoryOptions & { recursive: true }): Promise<string | undefined>
export function mkdir(path: fs.PathLike, options?: number | string | (MakeDirectoryOptions & { recursive?: false }) | null): Promise<void>
export function mkdir(path: fs.PathLike, options?: number | string | MakeDirectoryOptions | null): Promise<string | undefined | void>
export function mkdir(path: fs.PathLike, options?: number | string | MakeDirectoryOptions | null): Promise<string | undefined | void> {
  const node = (): Promise<string | undefined> => nfs.mkdir(path, options as never)
  const p = toPath(path)
  let mode: number | undefined
  let recursive = false
  if (typeof options === 'number' || typeof options === 'string') mode = toMode(options, 0o777)
  else if (options == null) mode = 0o777
  else if (typeof options === 'object') {
    const rec = (options as MakeDirectoryOptions).recursive ?? false
    if (typeof rec !== 'boolean') return node()
    recursive = rec
    mode = toMode((options as MakeDirectoryOptions).mode, 0o777)
  }
  if (p === undefined || mode === undefined) return node()
  let r: Ring | undefined
  try {
    r = uring()
  } catch (e) {
    return Promise.reject(e)
  }
  if (r === undefined || !has(r, 'mkdirat')) return node()
  const m = mode & 0o7777
  const o = new Mkdirat(AT_FDCWD, p.arg, m)
  if (!recursive) return run<number>(r, o).then(() => undefined, (e: unknown) => errorOf(e, 'mkdir', p.str))
  const ring = r
  return run<number>(ring, o).then(
    // Node answers the first directory made as the path given (made absolute by libuv? no: as given).
    () => (Buffer.isBuffer(path) || path instanceof Uint8Array ? p.str : p.str),
    async (e: unknown) => {
      const n = errnoOf(e)
      if (n === -17) {
        // EEXIST: fine for a directory (nothing made), Node's error otherwise.
        const st = await run<StatxResult>(ring, new Statx(AT_FDCWD, p.arg)).catch(() => undefined)
        if (st !== undefined && st.isDirectory()) return undefined
      }
      return node()
    },
  )
}

/** rmdir(2) (IORING_OP_UNLINKAT with AT_REMOVEDIR, 5.11); `recursive` goes to node:fs. */
export function rmdir(path: fs.PathLike, options?: fs.RmDirOptions): Promise<void> {
  const node = (): Promise<void> => nfs.rmdir(path, options)
  const p = toPath(path)
  if (p === undefined || (options != null && (typeof options !== 'object' || (options as fs.RmDirOptions).recursive !== undefined))) return node()
  return pathOp('unlinkat', node, () => new Unlinkat(AT_FDCWD, p.arg, { removeDir: true }), 'rmdir', p.str)
}

/**
 * rm: a file or symlink is one IORING_OP_UNLINKAT; directories, `recursive` and every error go to
 * node:fs/promises rm (which reports them as Node does: ERR_FS_EISDIR, lstat's ENOENT, ...).
 */
export function rm(path: fs.PathLike, options?: fs.RmOptions): Promise<void> {
  const node = (): Promise<void> => nfs.rm(path, options)
  const p = toPath(path)
  if (p === undefined || !plainRm(options)) return node()
  let r: Ring | undefined
  try {
    r = uring()
  } catch (e) {
    return Promise.reject(e)
  }
  if (r === undefined || !has(r, 'unlinkat')) return node()
  return run<number>(r, new Unlinkat(AT_FDCWD, p.arg)).then(
    () => undefined,
    () => node(),
  )
}

/** Options rm takes itself: none, or only `force` (a boolean) and `recursive: false`. */
function plainRm(o: unknown): boolean {
  if (o == null) return true
  if (typeof o !== 'object') return false
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k]
    if (k === 'force' ? typeof v !== 'boolean' : k === 'recursive' ? v !== false : true) return false
  }
  return true
}

/** truncate(2): open 'r+', IORING_OP_FTRUNCATE (6.9; node:fs before), close. */
export async function truncate(path: fs.PathLike, len = 0): Promise<void> {
  const p = toPath(path)
  if (p === undefined || typeof len !== 'number' || !Number.isSafeInteger(len)) return nfs.truncate(path, len)
  const r = uring()
  if (r === undefined || !has(r, 'ftruncate')) return nfs.truncate(path, len)
  const fd = await openFd(r, p, O_RDWR, 0o666)
  try {
    await run(r, new Ftruncate(fd, Math.max(0, len))).catch((e: unknown) => errorOf(e, 'ftruncate'))
  } finally {
    await run(r, new Close(fd)).catch(() => undefined)
  }
}

// ---- copyFile ----------------------------------------------------------------------------------

/**
 * Bytes per read -> write pair, and pairs in flight. Measured with workload 5 of bench/ (a
 * page-cached file copied on ext4, 2 CPUs): 1 MiB x 2 moved the most MiB per second and per CPU
 * second; smaller chunks pay the per-op cost (a promise, an SQE, a page-cache lookup) more
 * often (256 KiB x 4 and 64 KiB x 8: ~0.6x), larger or more ones gained nothing and cost
 * memory. See bench/README.md.
 */
const COPY_CHUNK = 1024 * 1024
const COPY_DEPTH = 2
/**
 * Chunk buffers kept for the next copy (at most COPY_DEPTH): a fresh 1 MiB pair per call is
 * external memory V8 frees late, and peak RSS grew by 2 MiB per copy. Only copyRange ever
 * holds them, and only while no op of its own is in flight on them.
 */
const copyBufs: Buffer[] = []

/**
 * copyFile as libuv does it (open src, fstat, open dest with src's mode, same file: done,
 * ftruncate, fchmod, copy st_size bytes), with the bytes moved by linked read -> write pairs
 * on the ring, COPY_DEPTH of them in flight. COPYFILE_FICLONE_FORCE goes to node:fs (a reflink
 * needs the FICLONE ioctl). Errors name syscall 'copyfile' with `path` and `dest`, as Node's.
 *
 * One difference that only shows in speed: libuv truncates the destination even when it is
 * empty (a new file), and on ext4 a truncate to 0 marks the file for writeback at close
 * (auto_da_alloc, for replace-by-truncate): close() then starts writing the whole copy to disk,
 * and an unlink or overwrite soon after waits for it. An empty file is left as it is here.
 */
export async function copyFile(src: fs.PathLike, dest: fs.PathLike, mode?: number): Promise<void> {
  const a = toPath(src)
  const b = toPath(dest)
  const node = (): Promise<void> => nfs.copyFile(src, dest, mode)
  if (a === undefined || b === undefined || (mode !== undefined && (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 7))) return node()
  if (mode !== undefined && (mode & COPYFILE_FICLONE_FORCE) !== 0) return node()
  const r = uring()
  if (r === undefined) return node()
  const fail = (e: unknown): never => errorOf(e, 'copyfile', a.str, b.str)
  const sfd = await run<number>(r, new Openat(AT_FDCWD, a.arg, O_RDONLY | O_CLOEXEC, 0)).catch(fail)
  let dfd = -1
  try {
    const sst = await run<StatxResult>(r, new Statx(sfd, '', { flags: ['emptyPath'] })).catch(fail)
    const dflags = O_WRONLY | O_CREAT | O_CLOEXEC | ((mode ?? 0) & COPYFILE_EXCL ? O_EXCL : 0)
    dfd = await run<number>(r, new Openat(AT_FDCWD, b.arg, dflags, sst.mode & 0o7777)).catch(fail)
    const dst = await run<StatxResult>(r, new Statx(dfd, '', { flags: ['emptyPath'] })).catch(fail)
    if (sst.dev === dst.dev && sst.inoBig === dst.inoBig) return
    if (dst.size !== 0) {
      if (has(r, 'ftruncate')) {
        await run(r, new Ftruncate(dfd, 0)).catch((e: unknown) => {
          if (errnoOf(e) !== -22) fail(e)
        })
      } else {
        await ftruncateNode(dfd, 0).catch((e: unknown) => {
          if ((e as { errno?: number }).errno !== -22) throw uvError((e as { errno: number }).errno, 'copyfile', a.str, b.str)
        })
      }
    }
    await fchmod(dfd, sst.mode).catch((e: { errno: number }) => {
      if (e.errno !== -1) throw uvError(e.errno, 'copyfile', a.str, b.str)
    })
    await copyRange(r, sfd, dfd, sst.size, fail)
  } catch (e) {
    // As libuv: a failed copy removes the destination it opened.
    if (dfd !== -1) {
      await run(r, new Close(dfd)).catch(() => undefined)
      dfd = -1
      await nfs.unlink(b.arg as string).catch(() => undefined)
    }
    throw e
  } finally {
    if (dfd !== -1) await run(r, new Close(dfd)).catch(() => undefined)
    await run(r, new Close(sfd)).catch(() => undefined)
  }
}

/**
 * Copies `size` bytes from offset 0 of `sfd` to the same offsets of `dfd`: up to COPY_DEPTH
 * lanes, each a loop of linked read -> write pairs of COPY_CHUNK bytes on its own buffer, taking
 * the next chunk of the file as its pair completes. A short read (the file shrank) writes what
 * came and ends the copy there. Every lane has finished (nothing left in flight on the
 * buffers or fds) before this settles; the first error, if any, is then thrown through `fail`.
 */
async function copyRange(r: Ring, sfd: number, dfd: number, size: number, fail: (e: unknown) => never): Promise<void> {
  let next = 0
  let end = size // lowered by a short read
  let error: { e: unknown } | undefined
  const lane = async (buf: Buffer): Promise<void> => {
    // One read and one write op per lane, re-aimed at each chunk (ops are re-usable once done).
    const rd = new Read(sfd, buf, 0, { length: buf.length })
    const wr = new Write(dfd, buf, 0, { length: buf.length })
    const pair = [rd, wr]
    while (error === undefined && next < end) {
      const off = next
      const len = Math.min(buf.length, end - off)
      next += len
      rd.offset = off
      rd.length = len
      wr.offset = off
      wr.length = len
      let n: number
      try {
        const res = await r.runLinked(pair)
        n = res[0] as number
        if (res[1] !== n) throw uvError(-5, 'write') // a short write to a regular file: out of room
      } catch (e) {
        const le = e as { results?: unknown[]; errors?: unknown[] }
        // A short read breaks the chain (the write is cancelled): write what came, then stop there.
        const got = le.results?.[0]
        if (typeof got !== 'number' || le.errors?.[0] !== undefined || got >= len) throw e
        n = got
        for (let done = 0; done < n; ) {
          const w = await run<number>(r, new Write(dfd, buf, off + done, { bufferOffset: done, length: n - done }))
          if (w <= 0) throw uvError(-5, 'write')
          done += w
        }
        end = Math.min(end, off + n)
      }
    }
  }
  const lanes = Math.min(COPY_DEPTH, Math.ceil(size / COPY_CHUNK))
  const bufs: Buffer[] = []
  for (let i = 0; i < lanes; i++) bufs.push(size >= COPY_CHUNK ? (copyBufs.pop() ?? Buffer.allocUnsafeSlow(COPY_CHUNK)) : Buffer.allocUnsafeSlow(size))
  await Promise.all(
    bufs.map((buf) =>
      lane(buf).catch((e: unknown) => {
        error ??= { e }
      }),
    ),
  )
  // Every lane has settled: nothing of ours is in flight on these buffers any more.
  for (const buf of bufs) if (buf.length === COPY_CHUNK && copyBufs.length < COPY_DEPTH) copyBufs.push(buf)
  if (error !== undefined) fail(error.e)
}

// ---- calls io_uring has no op for: node:fs/promises --------------------------------------------

/** access(2): node:fs/promises (io_uring has no faccessat op). */
export const access: typeof nfs.access = (...a) => nfs.access(...a)
/** readlink(2): node:fs/promises (no io_uring op). */
export const readlink: typeof nfs.readlink = ((...a: Parameters<typeof nfs.readlink>) => nfs.readlink(...a)) as typeof nfs.readlink
/** realpath(3): node:fs/promises (no io_uring op). */
export const realpath: typeof nfs.realpath = ((...a: Parameters<typeof nfs.realpath>) => nfs.realpath(...a)) as typeof nfs.realpath
/** utimensat(2): node:fs/promises (no io_uring op). */
export const utimes: typeof nfs.utimes = (...a) => nfs.utimes(...a)
/** lutimes: node:fs/promises (no io_uring op). */
export const lutimes: typeof nfs.lutimes = (...a) => nfs.lutimes(...a)
/** chmod(2): node:fs/promises (no io_uring op). */
export const chmod: typeof nfs.chmod = (...a) => nfs.chmod(...a)
/** chown(2) / lchown(2): node:fs/promises (no io_uring op). */
export const chown: typeof nfs.chown = (...a) => nfs.chown(...a)
export const lchown: typeof nfs.lchown = (...a) => nfs.lchown(...a)
/** lchmod: node:fs/promises (on Linux it rejects with ERR_METHOD_NOT_IMPLEMENTED, as Node's). */
export const lchmod: typeof nfs.lchmod = (...a) => nfs.lchmod(...a)
/** readdir (getdents64): node:fs/promises (no io_uring op), `withFileTypes` included. */
export const readdir: typeof nfs.readdir = ((...a: Parameters<typeof nfs.readdir>) => nfs.readdir(...a)) as typeof nfs.readdir
/** opendir, mkdtemp, cp, statfs, watch: node:fs/promises. */
export const opendir: typeof nfs.opendir = (...a) => nfs.opendir(...a)
export const mkdtemp: typeof nfs.mkdtemp = ((...a: Parameters<typeof nfs.mkdtemp>) => nfs.mkdtemp(...a)) as typeof nfs.mkdtemp
export const cp: typeof nfs.cp = (...a) => nfs.cp(...a)
export const statfs: typeof nfs.statfs = ((...a: Parameters<typeof nfs.statfs>) => nfs.statfs(...a)) as typeof nfs.statfs
export const watch: typeof nfs.watch = ((...a: Parameters<typeof nfs.watch>) => nfs.watch(...a)) as typeof nfs.watch

/** The io_uring handle type, for code that wants to name it. */
export type { RegisteredFd }
