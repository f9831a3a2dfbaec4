/**
 * `uring/net` (L4): TCP and Unix stream sockets on io_uring, shaped like `node:net`.
 *
 * `createServer` / `Server` accept with multishot accept (5.19+; a loop of single accepts before),
 * `connect` / `createConnection` / `Socket` are `stream.Duplex`es (so node:http, node:tls and
 * `pipeline` run on them). Everything runs on the thread's default ring (`uring/os`'s `ring()`),
 * so uring/os, uring/fs and uring/net share one ring and one io_uring_enter per tick.
 *
 * Receive: one provided-buffer group per ring, shared by all its sockets; each socket has at
 * most one recv in flight, the kernel picks a buffer at completion, the bytes are copied out and
 * the buffer goes back at once. A socket stops receiving when `push()` says the reader is full
 * and starts again in `_read()`. Send: `send` (`sendmsg` with iovecs for `_writev`, `send_zc`
 * from `zeroCopyThreshold` bytes on 6.0+), looping over short sends: a write's callback runs
 * when the kernel has taken every byte of it. See docs/net.md.
 */
import { EventEmitter } from 'node:events'
import { Duplex, DuplexOptions } from 'node:stream'
import * as dns from 'node:dns'
import { isIP, isIPv4, isIPv6 } from 'node:net'
import { unlinkSync } from 'node:fs'
import { getSystemErrorMap, inspect } from 'node:util'
import { ring as defaultRing } from './os'
import type { Ring } from './ring'
import type { Cqe } from './ring'
import { BufferGroup, ProvidedBuffer } from './registrar'
import {
  Socket as SocketOp,
  Connect,
  Bind,
  Listen,
  Shutdown,
  Accept,
  AcceptMultishot,
  Send,
  SendZc,
  Sendmsg,
  Recv,
  RecvMultishot,
  SocketAddress,
} from './ops-net'
import { AsyncCancel } from './ops-ctl'
import { Close } from './ops-fs'
import { kernelAtLeast, resultOf } from './opbase'
import * as sock from './sock'

export * from './net-dgram'
export { isIP, isIPv4, isIPv6 }

// ---- constants and kernel features -------------------------------------------------------------

const AF_UNIX = 1
const AF_INET = 2
const AF_INET6 = 10
const SOCK_STREAM = 1
const SOCK_CLOEXEC = 0o2000000
const MSG_NOSIGNAL = 0x4000
const SHUT_WR = 1
const SHUT_RDWR = 2
const ENOBUFS = 105
const ENOTCONN = 107
const EMFILE = 24
const ENFILE = 23
const ECONNABORTED = 103


/** Provided buffers of the group every socket of a ring receives into (half as many when incremental: small receives share a buffer). */
const GROUP_COUNT = 256
const GROUP_SIZE = 16384
/** Receive buffer of a socket when its ring has no buffer group. */
const PLAIN_RECV = 65536

/** What uring/net keeps per ring: the shared buffer group and which ops the kernel has. */
interface RingNet {
  group: BufferGroup | undefined
  zc: boolean
  socketOp: boolean
  bindListenOps: boolean
  shutdownOp: boolean
  multishotAccept: boolean
  multishotRecv: boolean
}

const rings = new WeakMap<Ring, RingNet>()

function netOf(r: Ring): RingNet {
  let n = rings.get(r)
  if (n !== undefined) return n
  const p = r.probe
  let group: BufferGroup | undefined
  // Incremental buffers (6.12): receives take consecutive pieces of one buffer, which goes back
  // to the kernel once every piece is released; so one native release per buffer, not per receive.
  for (const incremental of kernelAtLeast('6.12') ? [true, false] : [false]) {
    try {
      group = r.registrar.bufferGroup({ count: incremental ? GROUP_COUNT / 2 : GROUP_COUNT, size: GROUP_SIZE, incremental })
      break
    } catch {
      group = undefined // no provided buffers (or no memory for them): plain recv into a buffer
    }
  }
  n = {
    group,
    zc: p.supports('sendZc') && kernelAtLeast('6.0'),
    socketOp: p.supports('socket'),
    bindListenOps: p.supports('bind') && p.supports('listen'),
    shutdownOp: p.supports('shutdown'),
    multishotAccept: kernelAtLeast('5.19'),
    multishotRecv: group !== undefined && kernelAtLeast('6.0'),
  }
  rings.set(r, n)
  return n
}

/**
 * @internal Turns features off on this thread's default ring, so tests run the paths older
 * kernels take (sync socket/bind/listen/shutdown, single accepts, single recvs, no send_zc) here too.
 */
export function _setFeatures(f: Partial<Omit<RingNet, 'group'>> & { group?: false | 'legacy' }): void {
  const r = defaultRing()
  const n = netOf(r)
  if (f.group === false) n.group = undefined
  // A PROVIDE_BUFFERS group, as kernels before 5.19 get.
  if (f.group === 'legacy') n.group = r.registrar.bufferGroup({ count: GROUP_COUNT, size: GROUP_SIZE, legacy: true })
  const { group: _g, ...rest } = f
  Object.assign(n, rest)
}

/** A stream socket: IORING_OP_SOCKET (5.19), else socket(2). */
async function openSocket(r: Ring, n: RingNet, domain: number): Promise<number> {
  if (n.socketOp) return (await r.run(new SocketOp(domain, SOCK_STREAM | SOCK_CLOEXEC, 0))) as number
  return sock.socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0)
}

/** bind: IORING_OP_BIND (6.11), else bind(2). */
async function bindTo(r: Ring, n: RingNet, fd: number, a: SocketAddress): Promise<void> {
  if (n.bindListenOps) await r.run(new Bind(fd, a))
  else sock.bind(fd, a)
}

/** listen: IORING_OP_LISTEN (6.11), else listen(2). */
async function listenOn(r: Ring, n: RingNet, fd: number, backlog: number): Promise<void> {
  if (n.bindListenOps) await r.run(new Listen(fd, backlog))
  else sock.listen(fd, backlog)
}

// ---- Node-shaped errors --------------------------------------------------------------------------

const ERRMAP = getSystemErrorMap()

type NodeError = Error & { code?: string; errno?: number; syscall?: string; address?: string; port?: number }

/** The negative errno of a rejection from the ring (a SystemError or CqeError), or undefined. */
function errnoOf(e: unknown): number | undefined {
  const n = (e as { errno?: unknown } | null)?.errno
  if (typeof n !== 'number') return undefined
  return n > 0 ? -n : n
}

function codeOf(errno: number): [string, string] {
  const m = ERRMAP.get(errno)
  return m === undefined ? ['UNKNOWN', 'unknown error'] : [m[0], m[1]]
}

/** Node's errnoException: `read ECONNRESET`. */
function errnoException(errno: number, syscall: string): NodeError {
  const [code] = codeOf(errno)
  const e: NodeError = new Error(`${syscall} ${code}`)
  e.errno = errno
  e.code = code
  e.syscall = syscall
  return e
}

/** Node's exceptionWithHostPort: `connect ECONNREFUSED 127.0.0.1:1`. */
function exceptionWithHostPort(errno: number, syscall: string, address: string, port?: number): NodeError {
  const [code] = codeOf(errno)
  const details = port !== undefined && port > 0 ? `${address}:${port}` : address
  const e: NodeError = new Error(`${syscall} ${code} ${details}`)
  e.errno = errno
  e.code = code
  e.syscall = syscall
  e.address = address
  if (port !== undefined && port > 0) e.port = port
  return e
}

/** Node's uvExceptionWithHostPort: `listen EADDRINUSE: address already in use 127.0.0.1:80`. */
function uvExceptionWithHostPort(errno: number, syscall: string, address: string, port: number): NodeError {
  const [code, msg] = codeOf(errno)
  const details = port > 0 ? ` ${address}:${port}` : address ? ` ${address}` : ''
  const e: NodeError = new Error(`${syscall} ${code}: ${msg}${details}`)
  e.code = code
  e.errno = errno
  e.syscall = syscall
  e.address = address
  if (port) e.port = port
  return e
}

/** An error from the ring that is not a plain errno (a closed ring, an unsupported op) passes as is. */
function asNodeError(e: unknown, make: (errno: number) => NodeError): Error {
  const n = errnoOf(e)
  return n === undefined ? (e as Error) : make(n)
}

function nodeError(code: string, message: string, Ctor: ErrorConstructor = Error): NodeError {
  const e: NodeError = new Ctor(message)
  e.code = code
  Object.defineProperty(e, 'name', { value: `${Ctor.name} [${code}]`, configurable: true, writable: true })
  e.stack // capture the stack with the name above
  Object.defineProperty(e, 'name', { value: Ctor.name, configurable: true, writable: true })
  return e
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return ` ${v}`
  if (typeof v === 'function') return ` function ${v.name}`
  if (typeof v === 'object') return ` an instance of ${(v as object).constructor?.name ?? 'Object'}`
  let shown = String(v)
  if (typeof v === 'string') shown = `'${v.length > 28 ? v.slice(0, 25) + '...' : v}'`
  return ` type ${typeof v} (${shown})`
}

/** Node's validatePort: a number or numeric string 0..65535, else ERR_SOCKET_BAD_PORT. */
function validatePort(port: unknown, name = 'Port'): number {
  const ok =
    (typeof port === 'number' || (typeof port === 'string' && port.trim().length !== 0)) &&
    +(port as number) === +(port as number) >>> 0 &&
    +(port as number) <= 0xffff
  if (!ok) throw nodeError('ERR_SOCKET_BAD_PORT', `${name} should be >= 0 and < 65536. Received${describe(port)}.`, RangeError as ErrorConstructor)
  return +(port as number) | 0
}

function invalidArg(name: string, expected: string, v: unknown): NodeError {
  const what = name.includes('.') ? 'property' : 'argument'
  return nodeError('ERR_INVALID_ARG_TYPE', `The "${name}" ${what} must be ${expected}. Received${describe(v)}`, TypeError as ErrorConstructor)
}

/** Node's ERR_INVALID_ARG_VALUE: `The argument 'options' is invalid. Received { path: 5 }`. */
function invalidValue(name: string, v: unknown, reason = 'is invalid'): NodeError {
  const what = name.includes('.') ? 'property' : 'argument'
  return nodeError('ERR_INVALID_ARG_VALUE', `The ${what} '${name}' ${reason}. Received ${inspect(v)}`, TypeError as ErrorConstructor)
}

// ---- addresses -------------------------------------------------------------------------------------

/** `address()` of a TCP socket, as node:net gives it. */
export interface AddressInfo {
  address: string
  family: string
  port: number
}

function sockaddr(address: string, port: number): SocketAddress {
  return isIPv6(address) ? { family: 'ipv6', address, port } : { family: 'ipv4', address, port }
}

function lookupAll(host: string, family: number): Promise<Array<{ address: string; family: number }>> {
  const ip = isIP(host)
  if (ip !== 0) return Promise.resolve([{ address: host, family: ip }])
  return new Promise((resolve, reject) => {
    dns.lookup(host, { all: true, family }, (err, addrs) => {
      if (err) reject(err)
      else resolve(addrs as Array<{ address: string; family: number }>)
    })
  })
}

// ---- recv with a buffer from the group ---------------------------------------------------------

/** A recv whose buffer the kernel picks from the group; resolves with the taken buffer (undefined at EOF). */
class GroupRecv extends Recv {
  decode(cqe: Cqe): ProvidedBuffer | undefined {
    resultOf(cqe, this.name)
    return cqe.bufferId === undefined ? undefined : (this.buffer as BufferGroup).take(cqe)
  }
}

/** userData of each multishot recv or accept, so a pause or close() can cancel exactly that op. */
let nextUserData = 1

// ---- Socket ------------------------------------------------------------------------------------------

/** Options of `new Socket()`. */
export interface SocketConstructorOptions extends Pick<DuplexOptions, 'readableHighWaterMark' | 'writableHighWaterMark' | 'highWaterMark'> {
  /** An existing connected stream socket fd to wrap (it becomes the Socket's: closed with it). */
  fd?: number
  /** Keep the writable side open after the peer's FIN (default false, as node:net). */
  allowHalfOpen?: boolean
  readable?: boolean
  writable?: boolean
  signal?: AbortSignal
  noDelay?: boolean
  keepAlive?: boolean
  keepAliveInitialDelay?: number
}

/** Options of `connect()`. */
export interface TcpConnectOptions extends SocketConstructorOptions {
  port: number | string
  host?: string
  family?: number
  localAddress?: string
  localPort?: number
  timeout?: number
}

export interface IpcConnectOptions extends SocketConstructorOptions {
  path: string
  timeout?: number
}

export type ConnectOptions = TcpConnectOptions | IpcConnectOptions

type Pending = { chunk: Buffer | undefined; chunks: Array<{ chunk: Buffer }> | undefined; cb: (e?: Error | null) => void }

/** Sends from this many bytes go out as IORING_OP_SEND_ZC (6.0+) to non-loopback peers. */
let zeroCopyThreshold = 16384
/** Sets the size from which writes use send_zc (6.0+, non-loopback TCP peers); Infinity: never. */
export function setZeroCopyThreshold(bytes: number): void {
  if (typeof bytes !== 'number') throw invalidArg('bytes', 'of type number', bytes)
  if (!(bytes >= 0)) throw nodeError('ERR_OUT_OF_RANGE', `The value of "bytes" is out of range. It must be >= 0. Received ${String(bytes)}`, RangeError as ErrorConstructor)
  zeroCopyThreshold = bytes
}
/** The size from which writes use send_zc. */
export function getZeroCopyThreshold(): number {
  return zeroCopyThreshold
}

/**
 * A TCP or Unix stream socket on io_uring: a `stream.Duplex` shaped like `net.Socket`.
 */
export class Socket extends Duplex {
  #fd = -1
  #ring: Ring
  #net: RingNet
  #recvOp: Recv | undefined
  #plainBuf: Buffer | undefined
  #sendOp: Send | undefined
  #zcOp: SendZc | undefined
  #reading = false
  #wantRead = false
  #multi: RecvMultishot | undefined
  #multiIt: AsyncIterator<unknown> | undefined
  #pausing = false
  #eof = false
  #finalInFlight: Promise<unknown> | undefined
  #zcOk: boolean | undefined
  #pending: Pending | undefined
  #pendingFinal: ((e?: Error | null) => void) | undefined
  #bytesWritten = 0
  #timeoutMs = 0
  #timer: NodeJS.Timeout | undefined
  #handle = { refed: true }
  #remote: sock.SockAddress | undefined
  #closeCb: (() => void) | undefined
  #isUnix = false
  #noDelay = false
  /** The server that accepted this connection (node:http replaces it with its own, as it does on node:net sockets). */
  server: unknown
  /** @internal the uring/net Server whose connection this is. */
  _owner: Server | undefined
  /** True from connect() until the connection is made or fails. */
  connecting = false
  /** Bytes received. */
  bytesRead = 0

  constructor(options: SocketConstructorOptions | number = {}) {
    if (typeof options === 'number') options = { fd: options } // node's legacy form
    if (options === null || typeof options !== 'object') throw invalidArg('options', 'of type object', options)
    if (options.fd !== undefined) {
      if (typeof options.fd !== 'number') throw invalidArg('fd', 'of type number', options.fd)
      if (!Number.isInteger(options.fd) || options.fd < 0 || options.fd > 0x7fffffff)
        throw nodeError('ERR_OUT_OF_RANGE', `The value of "fd" is out of range. It must be >= 0 && <= 2147483647. Received ${String(options.fd)}`, RangeError as ErrorConstructor)
    }
    super({
      allowHalfOpen: options.allowHalfOpen === true,
      readable: options.readable,
      writable: options.writable,
      signal: options.signal,
      highWaterMark: options.highWaterMark,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark,
      emitClose: false,
      autoDestroy: true,
    } as DuplexOptions)
    this.#ring = defaultRing()
    this.#net = netOf(this.#ring)
    if (options.fd !== undefined) {
      this.#fd = options.fd
      this.#isUnix = safeName(this.#fd)?.family === 'unix'
      sock.liveHandles.add(this.#handle)
      sock.updateRef(this.#ring)
      if (options.noDelay) this.setNoDelay(true)
      if (options.keepAlive) this.setKeepAlive(true, options.keepAliveInitialDelay)
    }
  }

  /** The socket's fd (-1 before connect and after close). Not part of node:net; for setsockopt and friends. */
  get fd(): number {
    return this.#fd
  }

  // ---- connect ----

  connect(options: ConnectOptions, connectListener?: () => void): this
  connect(port: number | string, host?: string, connectListener?: () => void): this
  connect(path: string, connectListener?: () => void): this
  connect(...args: unknown[]): this {
    const [opts, cb] = normalizeConnectArgs(args)
    if (this.#fd >= 0 || this.connecting) throw nodeError('ERR_SOCKET_CONNECTING', 'Socket is already connected or connecting')
    const isPath = 'path' in opts && opts.path !== undefined && opts.path !== null
    const o = opts as TcpConnectOptions
    let port = 0
    let host = 'localhost'
    let family = 0
    if (isPath) {
      if (typeof (opts as IpcConnectOptions).path !== 'string') throw invalidArg('options.path', 'of type string', (opts as IpcConnectOptions).path)
    } else {
      if (o.port === undefined) throw nodeError('ERR_MISSING_ARGS', 'The "options" or "port" or "path" argument must be specified', TypeError as ErrorConstructor)
      if (typeof o.port !== 'number' && typeof o.port !== 'string') throw nodeError('ERR_INVALID_ARG_TYPE', `The "options.port" property must be one of type number or string. Received ${inspect(o.port)}`, TypeError as ErrorConstructor)
      port = validatePort(o.port)
      if (o.host !== undefined && o.host !== null) {
        if (typeof o.host !== 'string') throw invalidArg('hostname', 'of type string', o.host)
        host = o.host
      }
      family = o.family ?? 0
      if (family !== 0 && family !== 4 && family !== 6) throw nodeError('ERR_INVALID_ARG_VALUE', `The property 'options.family' must be one of: 0, 4, 6. Received ${String(family)}`, TypeError as ErrorConstructor)
    }
    if (cb !== undefined) this.once('connect', cb)
    if (opts.timeout !== undefined) this.setTimeout(opts.timeout)
    this.connecting = true
    sock.liveHandles.add(this.#handle)
    sock.updateRef(this.#ring)
    if (isPath) {
      this.#isUnix = true
      this.#connectTo([{ family: 'unix', path: (opts as IpcConnectOptions).path }], opts)
      return this
    }
    lookupAll(host, family).then(
      (addrs) => {
        if (this.destroyed) return
        if (addrs.length === 0) {
          this.destroy(errnoException(-3008, 'getaddrinfo'))
          return
        }
        this.emit('lookup', null, addrs[0].address, addrs[0].family, host)
        this.#connectTo(addrs.map((a) => sockaddr(a.address, port)), o)
      },
      (err: NodeError) => {
        if (this.destroyed) return
        this.emit('lookup', err, undefined, undefined, host)
        this.destroy(err)
      },
    )
    return this
  }

  /** Tries each address in turn (node's autoSelectFamily, without the parallel attempt). */
  async #connectTo(addrs: SocketAddress[], o: Partial<TcpConnectOptions>): Promise<void> {
    const r = this.#ring
    let lastErr: Error | undefined
    for (const a of addrs) {
      if (this.destroyed) return
      const domain = a.family === 'unix' ? AF_UNIX : a.family === 'ipv6' ? AF_INET6 : AF_INET
      let fd = -1
      try {
        fd = await openSocket(r, this.#net, domain)
        if (this.destroyed) {
          void r.run(new Close(fd)).catch(() => {})
          return
        }
        this.#fd = fd
        if (o.localAddress !== undefined || o.localPort !== undefined) {
          const la = o.localAddress ?? (domain === AF_INET6 ? '::' : '0.0.0.0')
          try {
            await bindTo(r, this.#net, fd, sockaddr(la, o.localPort ?? 0))
          } catch (e) {
            throw asNodeError(e, (n) => exceptionWithHostPort(n, 'bind', la, o.localPort ?? 0))
          }
        }
        try {
          await r.run(new Connect(fd, a))
        } catch (e) {
          throw asNodeError(e, (n) =>
            a.family === 'unix' ? exceptionWithHostPort(n, 'connect', a.path) : exceptionWithHostPort(n, 'connect', a.address, a.port),
          )
        }
      } catch (e) {
        lastErr = e as Error
        if (this.#fd === fd && fd >= 0) {
          this.#fd = -1
          void r.run(new Close(fd)).catch(() => {})
        }
        continue
      }
      if (this.destroyed) return
      this.#connected()
      return
    }
    if (!this.destroyed) this.destroy(lastErr)
  }

  #connected(): void {
    this.connecting = false
    if (this.#noDelay) this.setNoDelay(true)
    this.#touch()
    this.emit('connect')
    this.emit('ready')
    const p = this.#pending
    this.#pending = undefined
    if (p !== undefined) {
      if (p.chunks !== undefined) this._writev(p.chunks, p.cb)
      else this._write(p.chunk!, 'buffer' as BufferEncoding, p.cb)
    }
    const f = this.#pendingFinal
    this.#pendingFinal = undefined
    if (f !== undefined) this._final(f)
    if (this.#wantRead) this.#recv()
  }

  // ---- reading ----

  #recv(): void {
    if (this.#reading || this.#fd < 0 || this.destroyed || this.#eof) return
    this.#wantRead = false
    this.#reading = true
    if (this.#net.multishotRecv) {
      this.#recvMulti()
      return
    }
    const group = this.#net.group
    let o = this.#recvOp
    if (o === undefined) {
      if (group !== undefined) o = new GroupRecv(this.#fd, group)
      else o = new Recv(this.#fd, (this.#plainBuf = Buffer.allocUnsafe(PLAIN_RECV)))
      this.#recvOp = o
    }
    this.#ring.run(o).then(this.#onRecv, this.#onRecvError)
  }

  /**
   * Multishot recv (6.0+): one SQE receives until EOF, an error, ENOBUFS or a pause. A pause
   * (push() said the reader is full) cancels it by its userData with an op of our own, not by
   * ending the iteration: what the kernel posted before the cancel took effect is still read
   * out and pushed (at most a few chunks over the high-water mark), never dropped.
   */
  #recvMulti(): void {
    this.#pausing = false
    const o = (this.#multi ??= new RecvMultishot(this.#fd, this.#net.group!, { userData: nextUserData++ }))
    const it = this.#ring.stream(o)[Symbol.asyncIterator]()
    this.#multiIt = it
    it.next().then(this.#onMulti, this.#onMultiError)
  }

  #onMulti = (r: IteratorResult<unknown>): void => {
    if (r.done) {
      // Ended without EOF or error (the kernel may end a multishot at any time): re-arm if wanted.
      this.#reading = false
      this.#multiIt = undefined
      if (!this.destroyed && !this.#pausing) this.#recv()
      else if (this.#wantRead && !this.destroyed) this.#recv()
      return
    }
    const pb = r.value as ProvidedBuffer | undefined
    let chunk: Buffer | null = null
    if (pb !== undefined) {
      // A 0-byte receive is EOF even when it carries a buffer (see #onRecv).
      chunk = pb.bytes.length === 0 ? null : Buffer.from(pb.bytes)
      pb.release()
    }
    if (!this.destroyed) {
      if (chunk === null) {
        this.#eof = true
        this.push(null)
      } else {
        this.bytesRead += chunk.length
        this.#touch()
        if (!this.push(chunk) && !this.#pausing) {
          this.#pausing = true
          this.#ring.run(new AsyncCancel({ userData: this.#multi!.userData })).catch(() => {})
        }
      }
    }
    this.#multiIt!.next().then(this.#onMulti, this.#onMultiError)
  }

  #onMultiError = (e: unknown): void => {
    this.#reading = false
    this.#multiIt = undefined
    if (this.destroyed) return
    const n = errnoOf(e)
    if (n === -125 /* ECANCELED: our pause */ && this.#pausing) {
      this.#pausing = false
      if (this.#wantRead) this.#recv()
      return
    }
    this.#onRecvError(e)
  }

  override _read(): void {
    if (this.#fd < 0 || this.connecting) {
      this.#wantRead = true
      return
    }
    if (this.#pausing) {
      // Wanted again before the pause's cancel completed: start over once it has.
      this.#wantRead = true
      return
    }
    this.#recv()
  }

  #onRecv = (v: unknown): void => {
    this.#reading = false
    let chunk: Buffer | null
    if (typeof v === 'number') {
      chunk = v === 0 ? null : Buffer.from(this.#plainBuf!.subarray(0, v))
    } else if (v === undefined) {
      chunk = null
    } else {
      // A 0-byte receive is EOF. Kernels with PROVIDE_BUFFERS groups (Debian's 5.10, for one)
      // still take a buffer for it and flag it in the CQE: read as data, the empty chunk made
      // the socket receive again forever, never ending and never letting its ring idle.
      const pb = v as ProvidedBuffer
      chunk = pb.bytes.length === 0 ? null : Buffer.from(pb.bytes)
      pb.release()
    }
    if (this.destroyed) return
    if (chunk === null) {
      this.#eof = true
      this.push(null)
      return
    }
    this.bytesRead += chunk.length
    this.#touch()
    if (this.push(chunk)) this.#recv()
  }

  #onRecvError = (e: unknown): void => {
    this.#reading = false
    if (this.destroyed) return
    const n = errnoOf(e)
    if (n === -ENOBUFS) {
      // Every buffer of the group was taken in one go; they are back once this tick's copies are done.
      setImmediate(() => this.#recv())
      return
    }
    this.destroy(asNodeError(e, (x) => errnoException(x, 'read')))
  }

  // ---- writing ----

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.connecting || this.#fd < 0) {
      if (this.connecting) {
        this.#pending = { chunk, chunks: undefined, cb }
        return
      }
      cb(nodeError('ERR_SOCKET_CLOSED', 'Socket is closed'))
      return
    }
    this.#sendAll(chunk, 0, cb)
  }

  #sendAll(buf: Buffer, off: number, cb: (e?: Error | null) => void): void {
    const len = buf.length - off
    const zc = len >= zeroCopyThreshold && this.#net.zc && this.#zcPeer()
    let o: Send | SendZc
    if (zc) {
      o = this.#zcOp ??= new SendZc(this.#fd, buf, { flags: MSG_NOSIGNAL })
    } else {
      o = this.#sendOp ??= new Send(this.#fd, buf, { flags: MSG_NOSIGNAL })
    }
    o.buffer = buf
    o.bufferOffset = off
    o.length = len
    this.#ring.run(o as Send).then(
      (n) => {
        const sent = n as number
        this.#bytesWritten += sent
        this.#touch()
        if (this.destroyed) return cb()
        if (sent < len) this.#sendAll(buf, off + sent, cb)
        else cb()
      },
      (e) => cb(asNodeError(e, (x) => errnoException(x, 'write'))),
    )
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (e?: Error | null) => void): void {
    if (this.connecting || this.#fd < 0) {
      if (this.connecting) {
        this.#pending = { chunk: undefined, chunks, cb }
        return
      }
      cb(nodeError('ERR_SOCKET_CLOSED', 'Socket is closed'))
      return
    }
    this.#sendv(
      chunks.map((c) => c.chunk),
      cb,
    )
  }

  #sendv(bufs: Buffer[], cb: (e?: Error | null) => void): void {
    if (bufs.length === 1) return this.#sendAll(bufs[0], 0, cb)
    const batch = bufs.length > 1024 ? bufs.slice(0, 1024) : bufs
    let total = 0
    for (const b of batch) total += b.length
    this.#ring.run(new Sendmsg(this.#fd, { buffers: batch }, { flags: MSG_NOSIGNAL })).then(
      (n) => {
        let sent = n as number
        this.#bytesWritten += sent
        this.#touch()
        if (this.destroyed) return cb()
        let rest = bufs.slice(batch.length)
        if (sent < total) {
          let i = 0
          while (sent >= batch[i].length) sent -= batch[i++].length
          rest = [batch[i].subarray(sent), ...batch.slice(i + 1), ...rest]
        }
        if (rest.length === 0) cb()
        else this.#sendv(rest, cb)
      },
      (e) => cb(asNodeError(e, (x) => errnoException(x, 'write'))),
    )
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.connecting) {
      this.#pendingFinal = cb
      return
    }
    if (this.#fd < 0) return cb()
    if (!this.#net.shutdownOp) {
      // Before 5.11 (no IORING_OP_SHUTDOWN): shutdown(2), which does not block.
      try {
        sock.shutdown(this.#fd, SHUT_WR)
      } catch (e) {
        if (errnoOf(e) !== -ENOTCONN) return cb(asNodeError(e, (x) => errnoException(x, 'shutdown')))
      }
      return cb()
    }
    const p = (this.#finalInFlight = this.#ring.run(new Shutdown(this.#fd, 'write')))
    p.then(
      () => {
        this.#finalInFlight = undefined
        cb()
      },
      (e) => {
        this.#finalInFlight = undefined
        if (errnoOf(e) === -ENOTCONN) cb()
        else cb(asNodeError(e, (x) => errnoException(x, 'shutdown')))
      },
    )
  }

  // ---- closing ----

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.connecting = false
    this.#clearTimer()
    sock.liveHandles.delete(this.#handle)
    const fd = this.#fd
    this.#fd = -1
    const pending = this.#pending
    this.#pending = undefined
    const done = (): void => {
      sock.updateRef(this.#ring)
      cb(err)
      // node:net emits 'close' (with hadError) once the handle is closed.
      process.nextTick(() => {
        this.emit('close', err != null)
        this.#closeCb?.()
        this._owner?._connectionClosed(this)
      })
    }
    pending?.cb(err ?? nodeError('ERR_SOCKET_CLOSED', 'Socket is closed'))
    if (fd < 0) {
      done()
      return
    }
    const r = this.#ring
    // shutdown wakes a recv or send still in flight (they then see `destroyed`). IORING_OP_SHUTDOWN
    // runs in the kernel's worker pool and looks the fd up there, so a close it does not wait for
    // could free the number for another socket first: the two go as one hard-linked chain, and
    // only after a shutdown(SHUT_WR) of end() that may still be in flight.
    const closeIt = (): void => {
      if (!this.#net.shutdownOp) {
        // Before 5.11 IORING_OP_SHUTDOWN is -EINVAL, and a close alone wakes nothing (the op in
        // flight holds the file): shutdown(2) first, which returns once the socket is shut.
        try {
          sock.shutdown(fd, SHUT_RDWR)
        } catch {
          // ENOTCONN: nothing to wake
        }
        r.run(new Close(fd)).then(done, done)
        return
      }
      r.runLinked([new Shutdown(fd, 'both'), new Close(fd)], { hard: true }).then(done, done)
    }
    if (this.#finalInFlight !== undefined) this.#finalInFlight.then(closeIt, closeIt)
    else closeIt()
  }

  /** @internal called by Server.close() bookkeeping. */
  _onClose(fn: () => void): void {
    this.#closeCb = fn
  }

  // ---- options and addresses ----

  setNoDelay(noDelay = true): this {
    this.#noDelay = noDelay
    if (this.#fd >= 0 && !this.#isUnix && !this.connecting) {
      try {
        sock.setsockoptInt(this.#fd, sock.IPPROTO_TCP, sock.TCP_NODELAY, noDelay ? 1 : 0)
      } catch {
        // as node: ignored on sockets that do not have it
      }
    }
    return this
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    if (this.#fd < 0 || this.#isUnix) return this
    try {
      sock.setsockoptInt(this.#fd, sock.SOL_SOCKET, sock.SO_KEEPALIVE, enable ? 1 : 0)
      if (enable && initialDelay > 0) sock.setsockoptInt(this.#fd, sock.IPPROTO_TCP, sock.TCP_KEEPIDLE, Math.max(1, Math.floor(initialDelay / 1000)))
    } catch {
      // as node: ignored
    }
    return this
  }

  setTimeout(ms: number, callback?: () => void): this {
    if (typeof ms !== 'number') throw invalidArg('msecs', 'of type number', ms)
    if (!(ms >= 0)) throw nodeError('ERR_OUT_OF_RANGE', `The value of "msecs" is out of range. It must be a non-negative finite number. Received ${String(ms)}`, RangeError as ErrorConstructor)
    this.#timeoutMs = ms
    this.#clearTimer()
    if (ms > 0 && Number.isFinite(ms)) {
      this.#timer = setTimeout(() => this.emit('timeout'), ms)
      this.#timer.unref()
    }
    if (callback !== undefined) {
      if (ms === 0) this.removeListener('timeout', callback)
      else this.once('timeout', callback)
    }
    return this
  }

  get timeout(): number | undefined {
    return this.#timeoutMs === 0 ? undefined : this.#timeoutMs
  }

  /**
   * Whether zero-copy can pay off for this peer: not for Unix sockets nor loopback, where the
   * kernel copies anyway and the notification is pure cost (measured: 12-21% slower on 127.0.0.1).
   */
  #zcPeer(): boolean {
    if (this.#zcOk === undefined) {
      const p = this.#isUnix ? undefined : this.#peer()
      this.#zcOk = p !== undefined && p.family !== 'unix' && (zcLoopback || !isLoopback(p.address))
    }
    return this.#zcOk
  }

  #touch(): void {
    this.#timer?.refresh()
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  ref(): this {
    this.#handle.refed = true
    sock.updateRef(this.#ring)
    return this
  }

  unref(): this {
    this.#handle.refed = false
    sock.updateRef(this.#ring)
    return this
  }

  address(): AddressInfo | Record<string, never> | string {
    const a = this.#fd >= 0 ? safeName(this.#fd) : undefined
    if (a === undefined) return {}
    if (a.family === 'unix') return a.address
    return { address: a.address, family: a.family, port: a.port }
  }

  #peer(): sock.SockAddress | undefined {
    if (this.#remote === undefined && this.#fd >= 0 && !this.connecting) {
      try {
        this.#remote = sock.getpeername(this.#fd)
      } catch {
        return undefined
      }
    }
    return this.#remote
  }

  get remoteAddress(): string | undefined {
    const p = this.#peer()
    return p === undefined || p.family === 'unix' ? undefined : p.address
  }
  get remotePort(): number | undefined {
    const p = this.#peer()
    return p === undefined || p.family === 'unix' ? undefined : p.port
  }
  get remoteFamily(): string | undefined {
    const p = this.#peer()
    return p === undefined || p.family === 'unix' ? undefined : p.family
  }
  get localAddress(): string | undefined {
    const a = this.#fd >= 0 ? safeName(this.#fd) : undefined
    return a === undefined || a.family === 'unix' ? undefined : a.address
  }
  get localPort(): number | undefined {
    const a = this.#fd >= 0 ? safeName(this.#fd) : undefined
    return a === undefined || a.family === 'unix' ? undefined : a.port
  }
  get localFamily(): string | undefined {
    const a = this.#fd >= 0 ? safeName(this.#fd) : undefined
    return a === undefined || a.family === 'unix' ? undefined : a.family
  }

  /** Bytes the kernel has taken (sent), as node's counter of written bytes. */
  get bytesWritten(): number {
    return this.#bytesWritten
  }

  get pending(): boolean {
    return this.#fd < 0 || this.connecting
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening'
    if (this.readable && this.writable) return 'open'
    if (this.readable && !this.writable) return 'readOnly'
    if (!this.readable && this.writable) return 'writeOnly'
    return 'closed'
  }

  /** Destroys the socket (node's resetAndDestroy sends an RST; this closes it). */
  resetAndDestroy(): this {
    this.destroy()
    return this
  }
}

function isLoopback(a: string): boolean {
  return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.')
}

/** @internal For tests and measurements: send_zc even to loopback peers. */
export function _zeroCopyLoopback(on: boolean): void {
  zcLoopback = on
}
let zcLoopback = false

function safeName(fd: number): sock.SockAddress | undefined {
  try {
    return sock.getsockname(fd)
  } catch {
    return undefined
  }
}

function normalizeConnectArgs(args: unknown[]): [ConnectOptions, (() => void) | undefined] {
  let cb: (() => void) | undefined
  if (args.length > 0 && typeof args[args.length - 1] === 'function') cb = args.pop() as () => void
  const a0 = args[0]
  if (a0 === null) return [{ port: null } as unknown as ConnectOptions, cb]
  if (a0 !== null && typeof a0 === 'object') return [a0 as ConnectOptions, cb]
  if (typeof a0 === 'string' && !/^\s*\d+\s*$/.test(a0) && args.length === 1) return [{ path: a0 }, cb]
  const o: TcpConnectOptions = { port: a0 as number }
  if (typeof args[1] === 'string') o.host = args[1]
  return [o, cb]
}

/** `net.connect()`: a Socket connecting to `port`/`host`, or to a Unix socket `path`. */
export function connect(options: ConnectOptions, connectListener?: () => void): Socket
export function connect(port: number | string, host?: string, connectListener?: () => void): Socket
export function connect(path: string, connectListener?: () => void): Socket
export function connect(...args: unknown[]): Socket {
  const [opts] = normalizeConnectArgs([...args])
  const s = new Socket(opts)
  return (s.connect as (...a: unknown[]) => Socket)(...args)
}

/** `net.createConnection()`: the same as connect(). */
export const createConnection = connect

// ---- Server ----------------------------------------------------------------------------------------

/** Options of `createServer()`. */
export interface ServerOptions {
  allowHalfOpen?: boolean
  pauseOnConnect?: boolean
  noDelay?: boolean
  keepAlive?: boolean
  keepAliveInitialDelay?: number
  highWaterMark?: number
}

/** Options of `server.listen()`. */
export interface ListenOptions {
  port?: number | string
  host?: string
  path?: string
  backlog?: number
  ipv6Only?: boolean
  exclusive?: boolean
  signal?: AbortSignal
}

/** A TCP or Unix listening socket on io_uring, shaped like `net.Server`. */
export class Server extends EventEmitter {
  #fd = -1
  #ring: Ring
  #net: RingNet
  #options: ServerOptions
  #connections = new Set<Socket>()
  #closing = false
  #handle = { refed: true }
  #path: string | undefined
  #acceptAbort: AbortController | undefined
  #accepting = false
  #acceptDone: (() => void) | undefined
  #multiAccept: AcceptMultishot | undefined
  /** Connections beyond this many are closed at once (as node:net). */
  maxConnections: number | undefined
  listening = false

  constructor(options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void) {
    super()
    if (typeof options === 'function') {
      connectionListener = options
      options = {}
    }
    if (options === undefined || options === null) options = {}
    if (typeof options !== 'object') throw invalidArg('options', 'of type object', options)
    this.#options = { ...options }
    if (connectionListener !== undefined) this.on('connection', connectionListener)
    this.#ring = defaultRing()
    this.#net = netOf(this.#ring)
  }

  listen(port?: number | string, host?: string, backlog?: number, listeningListener?: () => void): this
  listen(port?: number | string, host?: string, listeningListener?: () => void): this
  listen(port?: number | string, listeningListener?: () => void): this
  listen(path: string, listeningListener?: () => void): this
  listen(options: ListenOptions, listeningListener?: () => void): this
  listen(listeningListener?: () => void): this
  listen(...args: unknown[]): this {
    let cb: (() => void) | undefined
    if (args.length > 0 && typeof args[args.length - 1] === 'function') cb = args.pop() as () => void
    let o: ListenOptions
    const a0 = args[0]
    if (a0 !== null && typeof a0 === 'object') o = { ...(a0 as ListenOptions) }
    else if (typeof a0 === 'string' && !/^\s*\d+\s*$/.test(a0)) o = { path: a0, backlog: args[1] as number | undefined }
    else o = { port: a0 as number | undefined, host: args[1] as string | undefined, backlog: args[2] as number | undefined }
    if (typeof o.host === 'number') {
      o.backlog = o.host
      o.host = undefined
    }
    if (this.listening || this.#fd >= 0) throw nodeError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once without closing.')
    // node's order of checks: a port (number, string, or present but undefined), then a path,
    // then what is left is invalid.
    const noArgs = args.length === 0
    if (noArgs) o.port = 0
    if (typeof o.port === 'number' || typeof o.port === 'string' || (o.port === undefined && 'port' in o && !(typeof a0 === 'object' && a0 !== null && !('port' in a0)))) {
      o.port = o.port === undefined ? 0 : validatePort(o.port, 'options.port')
      o.path = undefined
    } else if (typeof o.path === 'string' && o.path !== '') {
      // a Unix socket path
    } else if (typeof a0 === 'object' && a0 !== null && !('port' in a0) && !('path' in a0)) {
      throw invalidValue('options', a0, 'must have the property "port" or "path"')
    } else {
      throw invalidValue('options', typeof a0 === 'object' && a0 !== null ? a0 : { port: a0 })
    }
    if (cb !== undefined) this.once('listening', cb)
    sock.liveHandles.add(this.#handle)
    sock.updateRef(this.#ring)
    this.#closing = false
    this.#closedEmitted = false
    this.#open(o).catch((e: Error) => {
      this.#closeFd()
      sock.liveHandles.delete(this.#handle)
      sock.updateRef(this.#ring)
      // close() while the listen was still on its way: not an error, just closed.
      if (this.#closing) this.#maybeClosed()
      else this.emit('error', e)
    })
    return this
  }

  async #open(o: ListenOptions): Promise<void> {
    const r = this.#ring
    const backlog = o.backlog === undefined || o.backlog === null ? 511 : Number(o.backlog)
    let addr: SocketAddress
    let shown: [string, number]
    let domain: number
    if (o.path !== undefined) {
      if (typeof o.path !== 'string') throw invalidArg('options.path', 'of type string', o.path)
      domain = AF_UNIX
      addr = { family: 'unix', path: o.path }
      shown = [o.path, -1]
    } else {
      const port = o.port === undefined || o.port === null ? 0 : validatePort(o.port, 'options.port')
      let host = o.host
      if (host === undefined || host === null || host === '') {
        host = '::'
        try {
          // Node listens on '::' (dual stack) where IPv6 exists, else on 0.0.0.0.
          const probe = await openSocket(r, this.#net, AF_INET6)
          await r.run(new Close(probe))
        } catch {
          host = '0.0.0.0'
        }
      } else if (isIP(host) === 0) {
        host = (await lookupAll(host, 0))[0].address
      }
      domain = isIPv6(host) ? AF_INET6 : AF_INET
      addr = sockaddr(host, port)
      shown = [host, port]
    }
    const fd = await openSocket(r, this.#net, domain)
    this.#fd = fd
    if (this.#closing) throw nodeError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')
    if (domain !== AF_UNIX) sock.setsockoptInt(fd, sock.SOL_SOCKET, sock.SO_REUSEADDR, 1)
    if (domain === AF_INET6) sock.setsockoptInt(fd, sock.IPPROTO_IPV6, sock.IPV6_V6ONLY, o.ipv6Only ? 1 : 0)
    try {
      await bindTo(r, this.#net, fd, addr)
      if (domain === AF_UNIX) this.#path = o.path // bound: the socket file is ours to unlink
      await listenOn(r, this.#net, fd, backlog)
    } catch (e) {
      throw asNodeError(e, (n) => uvExceptionWithHostPort(n, 'listen', shown[0], shown[1]))
    }
    if (this.#closing) throw nodeError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')
    this.listening = true
    this.#accept()
    process.nextTick(() => this.emit('listening'))
  }

  #accept(): void {
    if (this.#net.multishotAccept) void this.#acceptMultishot()
    else void this.#acceptLoop()
  }

  async #acceptMultishot(): Promise<void> {
    const fd = this.#fd
    this.#accepting = true
    // close() cancels it by userData with an op of its own (not by ending the iteration, which
    // would drop, and leak, a connection accepted just before the cancel took effect).
    const o = (this.#multiAccept = new AcceptMultishot(fd, { flags: SOCK_CLOEXEC, userData: nextUserData++ }))
    let err: unknown
    try {
      for await (const c of this.#ring.stream(o)) this.#onConnection(c as number)
    } catch (e) {
      err = e
    }
    this.#afterAccept(err)
  }

  async #acceptLoop(): Promise<void> {
    const fd = this.#fd
    this.#accepting = true
    const ac = (this.#acceptAbort = new AbortController())
    const o = new Accept(fd, { flags: SOCK_CLOEXEC })
    let err: unknown
    try {
      for (;;) {
        const res = await this.#ring.run(o, { signal: ac.signal })
        this.#onConnection(res.fd as number)
        if (this.#closing) break
      }
    } catch (e) {
      err = e
    }
    this.#afterAccept(err)
  }

  #afterAccept(err: unknown): void {
    this.#accepting = false
    if (this.#closing || this.#fd < 0) {
      this.#acceptDone?.()
      return
    }
    const n = errnoOf(err)
    // Out of fds, or a connection that went away before it was accepted: wait a little, go on.
    if (err === undefined || n === -EMFILE || n === -ENFILE || n === -ECONNABORTED || n === -ENOBUFS) {
      setTimeout(() => {
        if (!this.#closing && this.#fd >= 0) this.#accept()
        else this.#acceptDone?.()
      }, err === undefined ? 0 : 50).unref()
      return
    }
    this.emit('error', asNodeError(err, (x) => errnoException(x, 'accept')))
  }

  #onConnection(fd: number): void {
    if (this.#closing || (this.maxConnections !== undefined && this.#connections.size >= this.maxConnections)) {
      void this.#ring.run(new Close(fd)).catch(() => {})
      if (!this.#closing) this.emit('drop', undefined)
      return
    }
    const o = this.#options
    const s = new Socket({ fd, allowHalfOpen: o.allowHalfOpen, noDelay: o.noDelay, keepAlive: o.keepAlive, keepAliveInitialDelay: o.keepAliveInitialDelay, highWaterMark: o.highWaterMark })
    s.server = this
    s._owner = this
    if (!this.#handle.refed) s.unref()
    this.#connections.add(s)
    if (o.pauseOnConnect) s.pause()
    this.emit('connection', s)
  }

  /** @internal a connection of this server closed. */
  _connectionClosed(s: Socket): void {
    if (this.#connections.delete(s)) this.#maybeClosed()
  }

  #maybeClosed(): void {
    if (this.#closing && this.#fd < 0 && !this.#accepting && this.#connections.size === 0 && !this.#closedEmitted) {
      this.#closedEmitted = true
      process.nextTick(() => this.emit('close'))
    }
  }
  #closedEmitted = false

  #closeFd(): void {
    const fd = this.#fd
    this.#fd = -1
    if (fd >= 0) void this.#ring.run(new Close(fd)).catch(() => {})
    if (this.#path !== undefined && !this.#path.startsWith('\0')) {
      try {
        unlinkSync(this.#path) // as libuv does when it closes a pipe server
      } catch {
        // gone already
      }
    }
    this.#path = undefined
  }

  address(): AddressInfo | string | null {
    if (this.#fd < 0 || !this.listening) return null
    const a = safeName(this.#fd)
    if (a === undefined) return null
    if (a.family === 'unix') return a.address
    return { address: a.address, family: a.family, port: a.port }
  }

  /** Stops accepting; 'close' comes when every connection has ended too (as node:net). */
  close(cb?: (err?: Error) => void): this {
    if (typeof cb === 'function') {
      if (!this.listening) this.once('close', () => cb(nodeError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')))
      else this.once('close', () => cb())
    }
    if (this.#closing && !this.listening) {
      this.#maybeClosed()
      return this
    }
    this.#closing = true
    this.listening = false
    sock.liveHandles.delete(this.#handle)
    const finish = (): void => {
      this.#acceptDone = undefined
      this.#closeFd()
      sock.updateRef(this.#ring)
      this.#maybeClosed()
    }
    if (this.#accepting) {
      this.#acceptDone = finish
      this.#acceptAbort?.abort()
      if (this.#multiAccept !== undefined) void this.#ring.run(new AsyncCancel({ userData: this.#multiAccept.userData })).catch(() => {})
    } else {
      finish()
    }
    return this
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.#connections.size
    process.nextTick(() => cb(null, n))
    return this
  }

  ref(): this {
    this.#handle.refed = true
    sock.updateRef(this.#ring)
    return this
  }

  unref(): this {
    this.#handle.refed = false
    sock.updateRef(this.#ring)
    return this
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.listening) return
    await new Promise<void>((resolve) => this.close(() => resolve()))
  }
}

/** `net.createServer()`. */
export function createServer(options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void): Server {
  return new Server(options, connectionListener)
}
