/**
 * The registrar: registered buffers and files as typed handles, direct descriptors, provided
 * buffer groups, eventfd, personalities and the registered ring fd. See docs/registrar.md.
 *
 * ```ts
 * const [buf] = ring.registrar.registerBuffers([4096])
 * const [file] = ring.registrar.registerFiles([fd])
 * ring.sq.push(op.read(file, buf, 0))   // READ_FIXED + IOSQE_FIXED_FILE, chosen by the handles
 * ```
 *
 * A handle is `(ring, index, generation)`. JavaScript checks the ring; Rust checks the
 * generation against what the ring has at that index when the op is submitted, so a handle that
 * was unregistered, replaced or closed is `ERR_URING_STALE_HANDLE`, never a wrong slot.
 */
import { fromNative, invalidType, UringError, validateBoolean, validateFd, validateInteger, validateKeys, validateObject } from './errors'
import type { NativeRing } from '../binding'

/** What a registrar needs of its ring. @internal */
export interface RegistrarHost {
  native: NativeRing
  closed: boolean
}

/** IORING_CQE_F_BUFFER / IORING_CQE_F_BUF_MORE. */
const CQE_F_BUFFER = 1 << 0
const CQE_F_BUF_MORE = 1 << 4

/** The parts of a CQE the registrar reads (a `Cqe` of `ring.cq`). */
export interface CqeLike {
  res: number
  flags: number
  /** @internal The aux word: a direct descriptor's generation, or a provided buffer's data offset. */
  aux: number
}

function stale(what: string): UringError {
  return new UringError('ERR_URING_STALE_HANDLE', `this ${what} is stale: its ring is closed, or it was unregistered, replaced or closed`)
}

function call<T>(f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw fromNative(e)
  }
}

/** Checks that a handle belongs to `host` (when given) and that its ring is open. @internal */
export function checkHandle(h: RegisteredBuf | RegisteredFd | BufferGroup | Personality, host: RegistrarHost | undefined, what: string): void {
  const r = h.registrar
  if (r.host.closed) throw stale(what)
  if (host !== undefined && r.host !== host) {
    throw new UringError('ERR_URING_STALE_HANDLE', `this ${what} belongs to another ring`)
  }
}

/** A registered buffer: `bytes` is a view of the very pages the kernel reads and writes. */
export class RegisteredBuf {
  declare private readonly brand: 'RegisteredBuf'
  /** The slot in the ring's buffer table (the SQE's buf_index). */
  readonly index: number
  /** Its size in bytes. */
  readonly size: number
  /** The buffer's memory, shared with the kernel without a copy. Stays valid after unregister. */
  readonly bytes: Uint8Array
  /** @internal */
  readonly gen: number
  /** @internal */
  readonly registrar: Registrar

  /** @internal */
  constructor(registrar: Registrar, index: number, gen: number, bytes: Uint8Array) {
    this.registrar = registrar
    this.index = index
    this.gen = gen
    this.bytes = bytes
    this.size = bytes.byteLength
    Object.freeze(this) // a handle's index and generation cannot be changed after the fact
  }

  /** A byte range of this buffer that ops still treat as fixed (READ_FIXED inside the range). */
  slice(offset = 0, length?: number): RegisteredBufSlice {
    const off = validateInteger(offset, 'offset', 0, this.size)
    const len = length === undefined ? this.size - off : validateInteger(length, 'length', 0, this.size - off)
    return new RegisteredBufSlice(this, off, len)
  }
}

/** A byte range of a {@link RegisteredBuf}. */
export class RegisteredBufSlice {
  declare private readonly brand: 'RegisteredBufSlice'
  readonly buf: RegisteredBuf
  readonly offset: number
  readonly length: number

  /** @internal */
  constructor(buf: RegisteredBuf, offset: number, length: number) {
    this.buf = buf
    this.offset = offset
    this.length = length
    Object.freeze(this)
  }

  /** The range's memory (a view of the registered pages). */
  get bytes(): Uint8Array {
    return this.buf.bytes.subarray(this.offset, this.offset + this.length)
  }
}

/** A slot of the ring's file table: a registered file or a direct descriptor. */
export class RegisteredFd {
  declare private readonly brand: 'RegisteredFd'
  /** The slot in the ring's file table. */
  readonly index: number
  /** @internal */
  readonly gen: number
  /** @internal */
  readonly registrar: Registrar

  /** @internal */
  constructor(registrar: Registrar, index: number, gen: number) {
    this.registrar = registrar
    this.index = index
    this.gen = gen
    Object.freeze(this)
  }

  /** Whether the slot still holds this handle's file (false after unregister, update or close). */
  get live(): boolean {
    const h = this.registrar.host
    return !h.closed && h.native.fileLive(this.index, this.gen)
  }
}

/** A registered personality (the credentials the process had when it was registered). */
export class Personality {
  declare private readonly brand: 'Personality'
  readonly id: number
  /** @internal */
  readonly gen: number
  /** @internal */
  readonly registrar: Registrar

  /** @internal */
  constructor(registrar: Registrar, id: number, gen: number) {
    this.registrar = registrar
    this.id = id
    this.gen = gen
    Object.freeze(this)
  }
}

/** A buffer the kernel picked from a {@link BufferGroup} and filled. */
export class ProvidedBuffer {
  /** The buffer id (`cqe.bufferId`). */
  readonly id: number
  /** Exactly the bytes the kernel wrote, as a view of the group's memory (no copy). */
  readonly bytes: Uint8Array
  /**
   * The kernel keeps filling this buffer after these bytes (incremental consumption,
   * IORING_CQE_F_BUF_MORE). Release it all the same: the buffer goes back to the kernel once
   * the piece that fills it has come and every piece of it is released.
   */
  readonly more: boolean
  readonly #group: BufferGroup
  #released = false

  /** @internal */
  constructor(group: BufferGroup, id: number, bytes: Uint8Array, more: boolean) {
    this.#group = group
    this.id = id
    this.bytes = bytes
    this.more = more
  }

  /**
   * Done with these bytes. The buffer goes back to the kernel (and may be overwritten from then
   * on) when this was its last piece not yet released and the kernel has finished filling it;
   * in a group that is not incremental every buffer is one piece.
   */
  release(): void {
    if (this.#released) {
      throw new UringError('ERR_URING_BUFFER_RELEASED', `buffer ${this.id} of group ${this.#group.id} was released already`)
    }
    this.#group.releasePiece(this.id)
    this.#released = true
  }
}

/** Options of {@link Registrar.bufferGroup}. */
export interface BufferGroupOptions {
  /** How many buffers (1 to 32768). */
  count: number
  /** Bytes per buffer (1 to 2^31 - 1). */
  size: number
  /** IOU_PBUF_RING_INC (6.12): a buffer is filled piece by piece across several completions. */
  incremental?: boolean
  /** Use the PROVIDE_BUFFERS op (5.7) even where buffer rings (5.19) exist. */
  legacy?: boolean
  /** The group id (0 to 65535); default: the lowest free one. */
  id?: number
}

const GROUP_KEYS = new Set(['count', 'size', 'incremental', 'legacy', 'id'])

/** A group of provided buffers: ops given the group let the kernel pick a buffer. */
export class BufferGroup {
  declare private readonly brand: 'BufferGroup'
  /** The buffer group id (the SQE's buf_group). */
  readonly id: number
  readonly count: number
  readonly size: number
  readonly incremental: boolean
  /** Whether buffers are given with PROVIDE_BUFFERS ops rather than a buffer ring. */
  readonly legacy: boolean
  /** @internal */
  readonly gen: number
  /** @internal */
  readonly registrar: Registrar
  readonly #memory: ArrayBuffer
  // Per buffer: pieces taken and not released, and whether the piece that fills it came. In an
  // incremental group the kernel fills one buffer for several CQEs (of several ops, sockets...),
  // so the buffer may go back only when all those views are done with: giving it back when its
  // last piece is released would let the kernel overwrite earlier pieces still unread.
  readonly #pieces: Int32Array
  readonly #filled: Uint8Array

  /** @internal */
  constructor(registrar: Registrar, id: number, gen: number, o: { count: number; size: number; incremental: boolean; legacy: boolean }, memory: ArrayBuffer) {
    this.#pieces = new Int32Array(o.count)
    this.#filled = new Uint8Array(o.count)
    this.registrar = registrar
    this.id = id
    this.gen = gen
    this.count = o.count
    this.size = o.size
    this.incremental = o.incremental
    this.legacy = o.legacy
    this.#memory = memory
    Object.freeze(this)
  }

  /** Buffers the kernel can pick from now. */
  get available(): number {
    checkHandle(this, undefined, 'BufferGroup')
    return call(() => this.registrar.host.native.groupAvailable(this.id, this.gen))
  }

  /**
   * The buffer a CQE of an op on this group was given, viewing exactly the bytes the kernel
   * wrote. Call `release()` on it when done so the kernel can use it again.
   */
  take(cqe: CqeLike): ProvidedBuffer {
    if (cqe === null || typeof cqe !== 'object' || typeof cqe.flags !== 'number') throw invalidType('cqe', 'a Cqe', cqe)
    checkHandle(this, undefined, 'BufferGroup')
    if ((cqe.flags & CQE_F_BUFFER) === 0) {
      throw new UringError('ERR_INVALID_ARG_VALUE', `this CQE carries no provided buffer (res ${cqe.res}${cqe.res === -105 ? ': ENOBUFS, the group was empty' : ''})`)
    }
    const id = cqe.flags >>> 16
    const start = cqe.aux | 0
    if (id >= this.count || cqe.res < 0 || start + cqe.res > this.size) {
      throw new UringError('ERR_INVALID_ARG_VALUE', `this CQE (buffer ${id}, ${cqe.res} bytes) is not of this group`)
    }
    const bytes = new Uint8Array(this.#memory, id * this.size + start, cqe.res)
    const more = (cqe.flags & CQE_F_BUF_MORE) !== 0
    this.#pieces[id]++
    if (!more) this.#filled[id] = 1
    return new ProvidedBuffer(this, id, bytes, more)
  }

  /**
   * The buffers of a bundle CQE (IORING_RECVSEND_BUNDLE): consecutive buffers of the ring from
   * `cqe.bufferId`, filled in order; each is taken and must be released.
   */
  takeBundle(cqe: CqeLike): ProvidedBuffer[] {
    if (cqe === null || typeof cqe !== 'object' || typeof cqe.flags !== 'number') throw invalidType('cqe', 'a Cqe', cqe)
    checkHandle(this, undefined, 'BufferGroup')
    if ((cqe.flags & CQE_F_BUFFER) === 0 || cqe.res < 0) {
      throw new UringError('ERR_INVALID_ARG_VALUE', `this CQE carries no provided buffer (res ${cqe.res})`)
    }
    const ids = call(() => this.registrar.host.native.groupBundle(this.id, this.gen, cqe.flags >>> 16))
    if (cqe.res > ids.length * this.size) throw new UringError('ERR_INVALID_ARG_VALUE', `this CQE (${cqe.res} bytes) is not a bundle of this group`)
    return ids.map((id, i) => {
      const n = Math.min(this.size, cqe.res - i * this.size)
      this.#pieces[id]++
      this.#filled[id] = 1
      return new ProvidedBuffer(this, id, new Uint8Array(this.#memory, id * this.size, n), false)
    })
  }

  /**
   * Gives buffer `id` back to the kernel now, whatever pieces of it are still held (what
   * `ProvidedBuffer.release()` does once the last piece is released).
   */
  release(id: number): void {
    checkHandle(this, undefined, 'BufferGroup')
    validateInteger(id, 'id', 0, this.count - 1)
    call(() => this.registrar.host.native.releaseBuffer(this.id, this.gen, id))
    this.#pieces[id] = 0
    this.#filled[id] = 0
  }

  /** @internal One piece of buffer `id` is done with (ProvidedBuffer.release). */
  releasePiece(id: number): void {
    checkHandle(this, undefined, 'BufferGroup')
    if (this.#pieces[id] > 0) this.#pieces[id]--
    if (this.#pieces[id] === 0 && this.#filled[id] === 1) this.release(id)
  }

  /** Unregisters the group. Ops in flight on it keep its memory until they complete. */
  close(): void {
    checkHandle(this, undefined, 'BufferGroup')
    call(() => this.registrar.host.native.closeGroup(this.id, this.gen))
  }
}

function handleOf<T>(v: unknown, cls: abstract new (...a: never[]) => T, name: string, what: string): T {
  if (!(v instanceof cls)) throw invalidType(name, `a ${what}`, v)
  return v
}

function numbers(v: unknown, name: string): number[] {
  if (!Array.isArray(v)) throw invalidType(name, 'an array of numbers', v)
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'number') throw invalidType(`${name}[${i}]`, 'of type number', v[i])
  }
  return v as number[]
}

/** Registered memory as an ArrayBuffer; null is a runtime that refuses external ArrayBuffers. */
function external(ab: ArrayBuffer | null): ArrayBuffer {
  if (ab === null) {
    throw new UringError(
      'ERR_URING_NO_EXTERNAL_BUFFERS',
      'this runtime refuses external ArrayBuffers (V8 sandbox), so registered memory cannot be shared with JavaScript without a copy',
    )
  }
  return ab
}

/** Parses the memlock numbers Rust appends to an ERR_URING_MEMLOCK message. */
function memlock(e: Error): Error {
  const m = / \[limit=(-?[\d.e+]+) requested=([\d.e+]+)\]/.exec(e.message)
  if ((e as UringError).code !== 'ERR_URING_MEMLOCK' || !m) return e
  const message = e.message.slice(0, m.index) + e.message.slice(m.index + m[0].length)
  const err = new UringError('ERR_URING_MEMLOCK', message) as UringError & { limit: number; requested: number }
  err.limit = Number(m[1])
  err.requested = Number(m[2])
  return err
}

/** `ring.registrar`: registers buffers, files, buffer groups and more with one ring. */
export class Registrar {
  /** @internal */
  readonly host: RegistrarHost
  #ringFd = false

  /** @internal */
  constructor(host: RegistrarHost) {
    this.host = host
  }

  #native(): NativeRing {
    if (this.host.closed) throw new UringError('ERR_URING_CLOSED', 'the ring is closed')
    return this.host.native
  }

  #check(h: RegisteredBuf | RegisteredFd | BufferGroup | Personality, what: string): void {
    checkHandle(h, this.host, what)
  }

  /**
   * Registers one buffer per size (each 1 byte to 1 GiB, at most 16384 in the table). The memory
   * is page-aligned, pinned while registered, and `buf.bytes` is a view of it (no copy).
   * Throws `ERR_URING_MEMLOCK` (with `limit` and `requested`) when RLIMIT_MEMLOCK is too low.
   */
  registerBuffers(sizeList: readonly number[]): RegisteredBuf[] {
    const list = numbers(sizeList, 'sizes')
    const n = this.#native()
    let pairs: number[]
    try {
      pairs = n.registerBuffers(list)
    } catch (e) {
      throw memlock(fromNative(e))
    }
    const out: RegisteredBuf[] = []
    for (let i = 0; i < pairs.length; i += 2) out.push(this.#buf(pairs[i], pairs[i + 1], list[i / 2]))
    return out
  }

  #buf(index: number, gen: number, size: number): RegisteredBuf {
    const ab = external(call(() => this.host.native.bufferBytes(index, gen)))
    return new RegisteredBuf(this, index, gen, new Uint8Array(ab, 0, size))
  }

  /** A sparse buffer table of `n` empty slots (or the current table grown to `n`). */
  reserveBuffers(n: number): void {
    validateInteger(n, 'n', 1, 16384)
    call(() => this.#native().reserveBuffers(n))
  }

  /** A fresh buffer of `size` bytes in a slot (a number or that slot's handle); the slot's old handle goes stale. */
  updateBuffer(slot: number | RegisteredBuf, size: number): RegisteredBuf {
    let index: number
    if (slot instanceof RegisteredBuf) {
      this.#check(slot, 'RegisteredBuf')
      index = slot.index
    } else if (typeof slot === 'number') {
      index = validateInteger(slot, 'slot', 0, 16383)
    } else {
      throw invalidType('slot', 'a slot number or a RegisteredBuf', slot)
    }
    validateInteger(size, 'size', 1, 2 ** 30)
    let r: number[]
    try {
      r = this.#native().updateBuffer(index, size)
    } catch (e) {
      throw memlock(fromNative(e))
    }
    return this.#buf(r[0], r[1], size)
  }

  /** Empties the slot of a registered buffer or file; the handle goes stale. */
  unregister(handle: RegisteredBuf | RegisteredFd): void {
    if (handle instanceof RegisteredBuf) {
      this.#check(handle, 'RegisteredBuf')
      call(() => this.host.native.unregisterBuffer(handle.index, handle.gen))
    } else if (handle instanceof RegisteredFd) {
      this.#check(handle, 'RegisteredFd')
      call(() => this.host.native.unregisterFile(handle.index, handle.gen))
    } else {
      throw invalidType('handle', 'a RegisteredBuf or RegisteredFd', handle)
    }
  }

  /** Unregisters the whole buffer table. */
  unregisterBuffers(): void {
    call(() => this.#native().unregisterBuffers())
  }

  /**
   * Registers files (process fds): into free slots of a reserved table, or as a table of exactly
   * these. The kernel keeps its own reference, so the process fds may be closed afterwards.
   */
  registerFiles(fds: readonly number[]): RegisteredFd[] {
    const list = numbers(fds, 'fds')
    for (let i = 0; i < list.length; i++) validateFd(list[i], `fds[${i}]`)
    const pairs = call(() => this.#native().registerFiles(list))
    const out: RegisteredFd[] = []
    for (let i = 0; i < pairs.length; i += 2) out.push(new RegisteredFd(this, pairs[i], pairs[i + 1]))
    return out
  }

  /** A sparse file table of `n` slots, needed for direct descriptors. */
  reserveFiles(n: number): void {
    validateInteger(n, 'n', 1, 1 << 20)
    call(() => this.#native().reserveFiles(n))
  }

  /** Puts another file (a process fd) in a handle's slot; the old handle goes stale. */
  updateFile(handle: RegisteredFd, fd: number): RegisteredFd {
    handleOf(handle, RegisteredFd, 'handle', 'RegisteredFd')
    this.#check(handle, 'RegisteredFd')
    validateFd(fd)
    const gen = call(() => this.host.native.updateFile(handle.index, handle.gen, fd))
    return new RegisteredFd(this, handle.index, gen)
  }

  /**
   * `n` slots of the file table that stay yours (pinned), for chains that must name their
   * descriptor before it exists: `op.openat(dir, path, flags, mode, { direct: slot })` opens into
   * the slot (5.15), `op.read(slot, ...)` reads it, `op.close(slot)` closes it, all linked in one
   * submission, and the same handle serves the next chain. The handle names the slot, not a file:
   * it stays valid across those opens and closes until `unregister(slot)` (which also closes what
   * the slot holds). The kernel's own allocation (`{ direct: true }`) no longer picks these slots
   * (IORING_REGISTER_FILE_ALLOC_RANGE, 6.0; on 5.19, which allocates but has no range, this
   * throws ERR_URING_OP_UNSUPPORTED). Taken from the top of the table (below slots pinned
   * before), which must be empty there: call it right after `reserveFiles`. A slot that holds no
   * file reads as EBADF. Note that before 5.18 the kernel resolves a fixed file when a linked op
   * is queued, not when it runs, so a read linked after the open into its slot fails there.
   * A read shorter than asked fails a soft link, so hang the close on a hard link (`hardlink:
   * true` on the read) to have it run whatever the read returned.
   */
  directSlots(n: number): RegisteredFd[] {
    validateInteger(n, 'n', 1, 1 << 20)
    const pairs = call(() => this.#native().directSlots(n))
    const out: RegisteredFd[] = []
    for (let i = 0; i < pairs.length; i += 2) out.push(new RegisteredFd(this, pairs[i], pairs[i + 1]))
    return out
  }

  /** Unregisters the whole file table (direct descriptors in it are closed). */
  unregisterFiles(): void {
    call(() => this.#native().unregisterFiles())
  }

  /**
   * The direct descriptor a CQE of `op.openat/accept/socket(..., { direct: true })` created.
   * Throws `ERR_INVALID_ARG_VALUE` for a CQE that created none (a failed op, another op).
   */
  directFd(cqe: CqeLike): RegisteredFd {
    if (cqe === null || typeof cqe !== 'object' || typeof cqe.res !== 'number') throw invalidType('cqe', 'a Cqe', cqe)
    this.#native()
    if (cqe.res < 0 || !cqe.aux) {
      throw new UringError('ERR_INVALID_ARG_VALUE', `this CQE created no direct descriptor (res ${cqe.res})`)
    }
    return new RegisteredFd(this, cqe.res, cqe.aux)
  }

  /**
   * A process fd for the file of a registered or direct descriptor (IORING_OP_FIXED_FD_INSTALL,
   * Linux 6.8). `cloexec` defaults to true. Runs now and waits for the kernel.
   */
  installFd(handle: RegisteredFd, options?: { cloexec?: boolean }): number {
    handleOf(handle, RegisteredFd, 'handle', 'RegisteredFd')
    this.#check(handle, 'RegisteredFd')
    let cloexec = true
    if (options !== undefined) {
      validateKeys(validateObject(options, 'options'), new Set(['cloexec']), 'options')
      if (options.cloexec !== undefined) cloexec = validateBoolean(options.cloexec, 'options.cloexec')
    }
    return call(() => this.host.native.installFd(handle.index, handle.gen, cloexec))
  }

  /**
   * A group of `count` provided buffers of `size` bytes: a buffer ring (5.19+; `incremental`
   * 6.12+), or PROVIDE_BUFFERS (5.7+) before 5.19 or with `legacy: true`.
   */
  bufferGroup(options: BufferGroupOptions): BufferGroup {
    const o = validateObject(options, 'options')
    validateKeys(o, GROUP_KEYS, 'options')
    const count = validateInteger(o.count, 'options.count', 1, 32768)
    const size = validateInteger(o.size, 'options.size', 1, 2 ** 31 - 1)
    const incremental = o.incremental === undefined ? false : validateBoolean(o.incremental, 'options.incremental')
    const legacy = o.legacy === undefined ? false : validateBoolean(o.legacy, 'options.legacy')
    const id = o.id === undefined ? undefined : validateInteger(o.id, 'options.id', 0, 65535)
    const n = this.#native()
    const r = call(() => n.bufferGroup(count, size, id, incremental, legacy))
    const memory = external(call(() => n.groupBytes(r[0], r[1])))
    return new BufferGroup(this, r[0], r[1], { count, size, incremental, legacy: r[2] === 1 }, memory)
  }

  /** The ring signals `fd` (an eventfd) on completions; `async`: only for ops that went async. */
  registerEventfd(fd: number, options?: { async?: boolean }): void {
    validateFd(fd)
    let only = false
    if (options !== undefined) {
      validateKeys(validateObject(options, 'options'), new Set(['async']), 'options')
      if (options.async !== undefined) only = validateBoolean(options.async, 'options.async')
    }
    call(() => this.#native().registerEventfd(fd, only))
  }

  unregisterEventfd(): void {
    call(() => this.#native().unregisterEventfd())
  }

  /** Registers the process's current credentials; ops given `{ personality }` run with them. */
  registerPersonality(): Personality {
    const r = call(() => this.#native().registerPersonality())
    return new Personality(this, r[0], r[1])
  }

  unregisterPersonality(p: Personality): void {
    handleOf(p, Personality, 'personality', 'Personality')
    this.#check(p, 'Personality')
    call(() => this.host.native.unregisterPersonality(p.id, p.gen))
  }

  /**
   * Registers the ring's own fd (IORING_REGISTER_RING_FDS, 5.18): every io_uring_enter of this
   * ring then skips the fd lookup. Idempotent.
   */
  registerRingFd(): void {
    call(() => this.#native().registerRingFd())
    this.#ringFd = true
  }

  /** Whether `registerRingFd()` has run. */
  get ringFdRegistered(): boolean {
    return this.#ringFd && !this.host.closed
  }
}
