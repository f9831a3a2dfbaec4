/**
 * UDP sockets for `uring/net`: a `node:dgram`-shaped socket whose I/O is io_uring's sendmsg and
 * recvmsg on the thread's default ring (`uring/os`'s `ring()`).
 *
 * ```ts
 * import { createSocket } from 'uring/net'
 * const s = createSocket('udp4', (msg, rinfo) => console.log(msg, rinfo))
 * s.bind(41234, '127.0.0.1')
 * ```
 *
 * Receiving is one multishot recvmsg (6.0+) into a provided-buffer group of the socket's own
 * (one CQE per datagram, no syscall per datagram); before 6.0, or with `multishot: false`, a loop
 * of single recvmsg ops into one buffer. Each send is one sendmsg with the destination. Socket,
 * bind and connect are io_uring ops too (socket 5.19, bind 6.11, connect 5.5); getsockname,
 * getpeername and the int socket options are synchronous calls (lib/sock.ts).
 *
 * Argument checks, error codes and messages follow Node 20's lib/dgram.js (see docs/net-dgram.md
 * for where this differs).
 */
import { EventEmitter } from 'node:events'
import * as dns from 'node:dns'
import { isIP } from 'node:net'
import { getSystemErrorMap } from 'node:util'
import { ring as defaultRing } from './os'
import type { Ring } from './ring'
import type { BufferGroup } from './registrar'
import { F, Op, Opcode, check, encodeFd, kernelAtLeast } from './opbase'
import type { RegistrarHost } from './registrar'
import { Socket as SocketOp, Bind, Connect, Sendmsg, Recvmsg, RecvmsgMultishot } from './ops-net'
import type { SocketAddress, RecvmsgMultishotResult, RecvmsgResult } from './ops-net'
import { Close } from './ops-fs'
import {
  getsockname,
  getpeername,
  setsockoptInt,
  getsockoptInt,
  SOL_SOCKET,
  SO_REUSEADDR,
  SO_BROADCAST,
  SO_RCVBUF,
  SO_SNDBUF,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IP_TTL,
  IP_MULTICAST_TTL,
  IP_MULTICAST_LOOP,
  IPV6_UNICAST_HOPS,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_LOOP,
  IPV6_V6ONLY,
  liveHandles as live,
  updateRef,
} from './sock'

// ---- Node-shaped errors --------------------------------------------------------------------------

const SYSTEM_ERRORS = getSystemErrorMap()
const EBADF = -9
const EINVAL = -22

/** An error as Node's internal/errors makes them: a TypeError/RangeError/Error with `code`. */
export interface DgramError extends Error {
  code: string
  errno?: number
  syscall?: string
  address?: string
  port?: number
}

function nodeError(code: string, message: string, Base: ErrorConstructor = Error): DgramError {
  const e = new Base(message) as DgramError
  e.code = code
  Object.defineProperty(e, 'toString', {
    value(this: DgramError) {
      return `${this.name} [${this.code}]: ${this.message}`
    },
    enumerable: false,
    configurable: true,
    writable: true,
  })
  return e
}

function errName(errno: number): string {
  return SYSTEM_ERRORS.get(errno)?.[0] ?? `Unknown system error ${errno}`
}

/** Node's errnoException: `setTTL EINVAL`. */
function errnoException(errno: number, syscall: string): DgramError {
  const code = errName(errno)
  const e = new Error(`${syscall} ${code}`) as DgramError
  e.errno = errno
  e.code = code
  e.syscall = syscall
  return e
}

/** Node's exceptionWithHostPort: `send ECONNREFUSED 127.0.0.1:41234`. */
function exceptionWithHostPort(errno: number, syscall: string, address: string | undefined, port: number | undefined): DgramError {
  const code = errName(errno)
  let details = ''
  if (port && port > 0) details = ` ${address}:${port}`
  else if (address) details = ` ${address}`
  const e = new Error(`${syscall} ${code}${details}`) as DgramError
  e.errno = errno
  e.code = code
  e.syscall = syscall
  e.address = address
  if (port) e.port = port
  return e
}

/** Node's ERR_SOCKET_BUFFER_SIZE (a SystemError with `info`). */
function bufferSizeError(errno: number, recv: boolean): DgramError {
  const [code, desc] = SYSTEM_ERRORS.get(errno) ?? [errName(errno), 'unknown error']
  const syscall = recv ? 'uv_recv_buffer_size' : 'uv_send_buffer_size'
  const e = nodeError('ERR_SOCKET_BUFFER_SIZE', `Could not get or set buffer size: ${syscall} returned ${code} (${desc})`)
  Object.defineProperty(e, 'name', { value: 'SystemError', enumerable: false, configurable: true, writable: true })
  const info = { errno, code, message: desc, syscall }
  Object.assign(e, { info, errno, syscall })
  return e
}

/** Node's determineSpecificType (the "Received ..." of argument errors). */
function received(v: unknown): string {
  if (v === null) return 'null'
  if (v === undefined) return 'undefined'
  switch (typeof v) {
    case 'bigint':
      return `type bigint (${v}n)`
    case 'number':
      if (v === 0) return 1 / v === -Infinity ? 'type number (-0)' : 'type number (0)'
      return `type number (${String(v)})`
    case 'boolean':
      return `type boolean (${v})`
    case 'symbol':
      return `type symbol (${String(v)})`
    case 'function':
      return `function ${v.name}`
    case 'object': {
      const c = (v as object).constructor
      if (c && 'name' in c) return `an instance of ${c.name}`
      return 'an object'
    }
    case 'string': {
      let s = v
      if (s.length > 28) s = `${s.slice(0, 25)}...`
      return s.indexOf("'") === -1 ? `type string ('${s}')` : `type string (${JSON.stringify(s)})`
    }
    default:
      return `type ${typeof v}`
  }
}

function invalidArgType(name: string, expected: string, v: unknown): DgramError {
  const what = name.endsWith(' argument') ? name : `"${name}" ${name.includes('.') ? 'property' : 'argument'}`
  return nodeError('ERR_INVALID_ARG_TYPE', `The ${what} must be ${expected}. Received ${received(v)}`, TypeError)
}

const BUFFER_TYPES = 'of type string or an instance of Buffer, TypedArray, or DataView'

function validateString(v: unknown, name: string): asserts v is string {
  if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v)
}

function validateNumber(v: unknown, name: string): asserts v is number {
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v)
}

/** Node's validatePort(port, 'Port', allowZero). */
function validatePort(port: unknown, allowZero: boolean): number {
  if (
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 0xffff ||
    (+port === 0 && !allowZero)
  ) {
    throw nodeError('ERR_SOCKET_BAD_PORT', `Port should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${received(port)}.`, RangeError)
  }
  return +port | 0
}

const notRunning = (): DgramError => nodeError('ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running')
const isConnected = (): DgramError => nodeError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected')
const notConnected = (): DgramError => nodeError('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected')

/** The errno of an error from lib/sock.ts or the driver (negative), or EINVAL. */
function errnoOf(e: unknown): number {
  const n = (e as { errno?: unknown }).errno
  return typeof n === 'number' && n < 0 ? n : EINVAL
}

// ---- public shapes ------------------------------------------------------------------------------

export type SocketType = 'udp4' | 'udp6'

/** Node's `dns.lookup`-shaped resolver (the `lookup` option). */
export type LookupFunction = (hostname: string, family: number, callback: (err: Error | null, address: string, family: number) => void) => void

/** Options of {@link createSocket}: Node's, and two of uring's own. */
export interface SocketOptions {
  type: SocketType
  /** SO_REUSEADDR before bind. */
  reuseAddr?: boolean
  /** udp6: IPV6_V6ONLY (no IPv4 traffic on `::`). */
  ipv6Only?: boolean
  /** SO_RCVBUF, set once bound. */
  recvBufferSize?: number
  /** SO_SNDBUF, set once bound. */
  sendBufferSize?: number
  /** Resolves host names (default `dns.lookup`). */
  lookup?: LookupFunction
  /** Closes the socket when aborted. */
  signal?: AbortSignal
  /**
   * uring: the largest datagram received whole, in bytes (default 65536: every UDP datagram). A
   * longer one is delivered cut to this size, with `rinfo.truncated` true.
   */
  maxMessageSize?: number
  /** uring: provided buffers of the multishot receive (default 16); each holds one datagram. */
  receiveBuffers?: number
  /** uring: use multishot recvmsg (6.0+; the default where the kernel has it); false: one recvmsg at a time. */
  multishot?: boolean
}

/** The sender of a datagram (Node's rinfo). */
export interface RemoteInfo {
  address: string
  family: 'IPv4' | 'IPv6'
  port: number
  /** The payload's length (`msg.length`). */
  size: number
  /** Set (true) only when the datagram was longer than `maxMessageSize` and was cut. */
  truncated?: boolean
}

/** A bound address (Node's AddressInfo). */
export interface AddressInfo {
  address: string
  family: string
  port: number
}

export interface BindOptions {
  port?: number
  address?: string
  /** Accepted for Node's sake; there is no cluster sharing here. */
  exclusive?: boolean
}

/** One received datagram (what the socket's async iterator yields). */
export interface Message {
  msg: Buffer
  rinfo: RemoteInfo
}

type MessageListener = (msg: Buffer, rinfo: RemoteInfo) => void
/** What send() sends: bytes, or a string (UTF-8). */
export type SendData = string | ArrayBufferView
/** Called once the datagram was sent (`bytes`) or failed (`send ECONNREFUSED 127.0.0.1:41234`, ...). */
export type SendCallback = (error: Error | null, bytes?: number) => void

const UNBOUND = 0
const BINDING = 1
const BOUND = 2
const DISCONNECTED = 0
const CONNECTING = 1
const CONNECTED = 2

const AF_INET = 2
const AF_INET6 = 10
const SOCK_DGRAM = 2
const SOCK_CLOEXEC = 0o2000000
const MSG_TRUNC = 0x20
const ENOBUFS = 'ENOBUFS'
const MAX_IOV = 1024
/** Receive errors in a row (no datagram between) after which the socket stops receiving. */
const MAX_RECV_ERRORS = 64

// ---- disconnect: connect(2) with AF_UNSPEC ------------------------------------------------------

/** connect(2) to an AF_UNSPEC address: dissolves a datagram socket's association. */
class Disconnect extends Op {
  readonly opcode = Opcode.CONNECT
  readonly name = 'connect'
  fd: number
  constructor(fd: number) {
    super()
    this.fd = fd
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeFd(s, at, this.fd, host)
    s[at + F.BUF] = bufs.length
    bufs.push(new Uint8Array(16)) // sa_family 0 = AF_UNSPEC
  }
}

function family(type: SocketType): 'IPv4' | 'IPv6' {
  return type === 'udp4' ? 'IPv4' : 'IPv6'
}

function toAddressInfo(a: { address: string; family: string; port: number }): AddressInfo {
  return { address: a.address, family: a.family, port: a.port }
}

function sockaddr(ip: string, port: number): SocketAddress {
  return isIP(ip) === 6 ? { family: 'ipv6', address: ip, port } : { family: 'ipv4', address: ip, port }
}

/** A list of buffers as Node's fixBufferList makes it (strings encoded), or null for a bad entry. */
function fixBufferList(list: readonly unknown[]): Buffer[] | null {
  const out = new Array<Buffer>(list.length)
  for (let i = 0; i < list.length; i++) {
    const b = list[i]
    if (typeof b === 'string') out[i] = Buffer.from(b)
    else if (!ArrayBuffer.isView(b)) return null
    else out[i] = Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  }
  return out
}

function sliceBuffer(buffer: unknown, offset: unknown, length: unknown): Buffer {
  let b: ArrayBufferView
  if (typeof buffer === 'string') b = Buffer.from(buffer)
  else if (!ArrayBuffer.isView(buffer)) throw invalidArgType('buffer', BUFFER_TYPES, buffer)
  else b = buffer
  const off = (offset as number) >>> 0
  const len = (length as number) >>> 0
  if (off > b.byteLength) throw nodeError('ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds', RangeError)
  if (off + len > b.byteLength) throw nodeError('ERR_BUFFER_OUT_OF_BOUNDS', '"length" is outside of buffer bounds', RangeError)
  return Buffer.from(b.buffer, b.byteOffset + off, len)
}

// ---- the socket ---------------------------------------------------------------------------------

/**
 * A UDP socket shaped like `dgram.Socket`: events 'listening', 'message' (msg, rinfo),
 * 'connect', 'error', 'close'; an async iterator of `{ msg, rinfo }`.
 */
export class UdpSocket extends EventEmitter implements AsyncIterable<Message> {
  readonly type: SocketType
  /** @internal */
  refed = true
  #fd = -1
  #ring: Ring | undefined
  #open = true
  #bindState = UNBOUND
  #connectState = DISCONNECTED
  #queue: Array<() => void> | undefined
  readonly #reuseAddr: boolean
  readonly #ipv6Only: boolean
  readonly #recvBufferSize: number | undefined
  readonly #sendBufferSize: number | undefined
  readonly #lookup: LookupFunction
  readonly #maxMessage: number
  readonly #buffers: number
  readonly #multishot: boolean | undefined
  /** Stops the receive loop (cancels its op). */
  #stopRecv: (() => void) | undefined
  #receiving: Promise<void> | undefined
  #sendQueueSize = 0
  #sendQueueCount = 0

  constructor(type: SocketType | SocketOptions, listener?: MessageListener) {
    super()
    let options: SocketOptions | undefined
    let t: unknown = type
    if (type !== null && typeof type === 'object') {
      options = type
      t = options.type
    }
    if (t !== 'udp4' && t !== 'udp6') throw nodeError('ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6', TypeError)
    this.type = t
    const lookup = options?.lookup
    if (lookup !== undefined && typeof lookup !== 'function') throw invalidArgType('lookup', 'of type function', lookup)
    this.#lookup = lookup ?? (dns.lookup as unknown as LookupFunction)
    this.#reuseAddr = !!options?.reuseAddr
    this.#ipv6Only = !!options?.ipv6Only
    this.#recvBufferSize = options?.recvBufferSize
    this.#sendBufferSize = options?.sendBufferSize
    this.#maxMessage = options?.maxMessageSize === undefined ? 65536 : intOption(options.maxMessageSize, 'options.maxMessageSize', 1, 1 << 24)
    this.#buffers = options?.receiveBuffers === undefined ? 16 : intOption(options.receiveBuffers, 'options.receiveBuffers', 1, 32768)
    if (options?.multishot !== undefined && typeof options.multishot !== 'boolean') throw invalidArgType('options.multishot', 'of type boolean', options.multishot)
    this.#multishot = options?.multishot
    if (typeof listener === 'function') this.on('message', listener)
    const signal = options?.signal
    if (signal !== undefined) {
      if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal)
      const onAbort = (): void => {
        if (this.#open) this.close()
      }
      if (signal.aborted) onAbort()
      else {
        signal.addEventListener('abort', onAbort, { once: true })
        this.once('close', () => signal.removeEventListener('abort', onAbort))
      }
    }
  }

  // ---- bind ----

  bind(port?: number, address?: string, callback?: () => void): this
  bind(port: number, callback?: () => void): this
  bind(callback?: () => void): this
  bind(options: BindOptions, callback?: () => void): this
  bind(...args: unknown[]): this {
    this.#healthCheck()
    if (this.#bindState !== UNBOUND) throw nodeError('ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound')
    let port: unknown = args[0]
    const cb = args.length > 0 ? args[args.length - 1] : undefined
    let address: unknown
    if (port !== null && typeof port === 'object') {
      const o = port as BindOptions & { fd?: unknown }
      if (o.fd !== undefined) throw new TypeError('uring/net UDP sockets cannot adopt an fd (bind({ fd }))')
      address = o.address || ''
      port = o.port
    } else {
      address = typeof args[1] === 'function' ? '' : args[1]
    }
    if (typeof port === 'function' || port === undefined || port === null) port = 0
    // Node passes the port to libuv unchecked; here a bad one is ERR_SOCKET_BAD_PORT.
    const p = validatePort(port, true)
    if (address !== undefined && address !== null && address !== '') validateString(address, 'address')
    this.#bindState = BINDING
    if (typeof cb === 'function') {
      const onListening = (): void => {
        this.removeListener('error', onError)
        cb.call(this)
      }
      const onError = (): void => {
        this.removeListener('listening', onListening)
      }
      this.once('listening', onListening)
      this.once('error', onError)
    }
    const host = (address as string) || (this.type === 'udp4' ? '0.0.0.0' : '::')
    this.#resolve(host, (err, ip) => {
      if (err) {
        this.#bindState = UNBOUND
        this.emit('error', err)
        return
      }
      this.#doBind(ip!, p).catch((e: unknown) => {
        if (this.#open) this.#emitSafe('error', e)
      })
    })
    return this
  }

  async #doBind(ip: string, port: number): Promise<void> {
    let r: Ring
    let fd: number
    try {
      r = this.#ring = defaultRing()
      fd = (await r.run(new SocketOp(this.type === 'udp4' ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC))) as number
    } catch (e) {
      this.#bindState = UNBOUND
      this.#queue = undefined
      throw asBindError(e, ip, port)
    }
    if (!this.#open) {
      await r.run(new Close(fd)).catch(() => undefined)
      return
    }
    this.#fd = fd
    try {
      if (this.#reuseAddr) setsockoptInt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
      if (this.#ipv6Only && this.type === 'udp6') setsockoptInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)
      const any = port === 0 && (ip === '0.0.0.0' || ip === '::')
      if (r.probe.supports('bind')) await r.run(new Bind(fd, sockaddr(ip, port)))
      else if (!any) {
        throw Object.assign(new Error(`bind to ${ip}:${port} needs IORING_OP_BIND (Linux 6.11); this kernel binds only to any address and port 0`), { code: 'ERR_URING_OP_UNSUPPORTED' })
      }
      // Before 6.11, an any-address port-0 socket is left to the kernel's autobind (first send or connect).
    } catch (e) {
      this.#fd = -1
      await r.run(new Close(fd)).catch(() => undefined)
      this.#bindState = UNBOUND
      throw asBindError(e, ip, port)
    }
    if (!this.#open) {
      // closed while binding: close() found no fd to close
      await r.run(new Close(fd)).catch(() => undefined)
      return
    }
    this.#bindState = BOUND
    live.add(this)
    updateRef(r)
    if (this.#recvBufferSize) this.#bufferSize(this.#recvBufferSize, true)
    if (this.#sendBufferSize) this.#bufferSize(this.#sendBufferSize, false)
    this.#startReceiving(r, fd)
    this.#emitSafe('listening')
  }

  #resolve(host: string, cb: (err: Error | null, ip?: string) => void): void {
    const fam = this.type === 'udp4' ? 4 : 6
    this.#lookup(host, fam, (err, ip) => cb(err, ip))
  }

  // ---- connect ----

  connect(port: number, address?: string | (() => void), callback?: () => void): void {
    const p = validatePort(port, false)
    let addr: unknown = address
    let cb = callback
    if (typeof addr === 'function') {
      cb = addr as () => void
      addr = ''
    } else if (addr === undefined) {
      addr = ''
    }
    validateString(addr, 'address')
    this.#healthCheck()
    if (this.#connectState !== DISCONNECTED) throw isConnected()
    this.#connectState = CONNECTING
    if (this.#bindState === UNBOUND) this.bind({ port: 0, exclusive: true })
    if (this.#bindState !== BOUND) {
      this.#enqueue(() => this.#connect(p, addr as string, cb))
      return
    }
    this.#connect(p, addr, cb)
  }

  #connect(port: number, address: string, cb: ((err?: Error) => void) | undefined): void {
    if (cb) this.once('connect', cb)
    const host = address || (this.type === 'udp4' ? '127.0.0.1' : '::1')
    this.#resolve(host, (ex, ip) => {
      if (!this.#open) return
      const fail = (e: Error): void => {
        this.#connectState = DISCONNECTED
        process.nextTick(() => {
          if (cb) {
            this.removeListener('connect', cb)
            cb(e)
          } else this.emit('error', e)
        })
      }
      if (ex) return fail(ex)
      this.#ring!.run(new Connect(this.#fd, sockaddr(ip!, port))).then(
        () => {
          if (!this.#open) return
          this.#connectState = CONNECTED
          this.#emitSafe('connect')
        },
        (e: unknown) => fail(exceptionWithHostPort(errnoOf(e), 'connect', address, port)),
      )
    })
  }

  /** Dissolves the association (connect(2) with AF_UNSPEC); sends again need a port. */
  disconnect(): void {
    if (this.#connectState !== CONNECTED) throw notConnected()
    this.#connectState = DISCONNECTED
    // Async here (an io_uring connect), submitted before any later send of this tick.
    this.#ring!.run(new Disconnect(this.#fd)).catch((e: unknown) => {
      if (this.#open) this.#emitSafe('error', errnoException(errnoOf(e), 'connect'))
    })
  }

  remoteAddress(): AddressInfo {
    this.#healthCheck()
    if (this.#connectState !== CONNECTED) throw notConnected()
    try {
      return toAddressInfo(getpeername(this.#fd))
    } catch (e) {
      throw errnoException(errnoOf(e), 'getpeername')
    }
  }

  address(): AddressInfo {
    this.#healthCheck()
    if (this.#fd < 0) throw errnoException(EBADF, 'getsockname')
    try {
      return toAddressInfo(getsockname(this.#fd))
    } catch (e) {
      throw errnoException(errnoOf(e), 'getsockname')
    }
  }

  // ---- send ----

  /**
   * send(msg, [offset, length,] port, address?, callback?); connected: send(msg, [offset,
   * length,] callback?). `msg`: a Buffer, TypedArray, DataView, string, or an array of them.
   */
  send(msg: SendData | readonly SendData[], port?: number, address?: string, callback?: SendCallback): void
  send(msg: SendData | readonly SendData[], port?: number, callback?: SendCallback): void
  send(msg: SendData, offset: number, length: number, port?: number, address?: string, callback?: SendCallback): void
  send(msg: SendData, offset: number, length: number, port?: number, callback?: SendCallback): void
  send(msg: SendData, offset: number, length: number, callback?: SendCallback): void
  send(msg: SendData | readonly SendData[], callback?: SendCallback): void
  send(msg: unknown, ...rest: unknown[]): void {
    // The argument shuffle of Node's dgram.js send(buffer, offset, length, port, address, callback).
    let buffer: unknown = msg
    let [offset, length, port, address, callback] = rest
    let list: Buffer[]
    const connected = this.#connectState === CONNECTED
    if (!connected) {
      if (address || (port && typeof port !== 'function')) {
        buffer = sliceBuffer(buffer, offset, length)
      } else {
        callback = port
        port = offset
        address = length
      }
    } else {
      if (typeof length === 'number') {
        buffer = sliceBuffer(buffer, offset, length)
        if (typeof port === 'function') {
          callback = port
          port = null
        }
      } else {
        callback = offset
      }
      if (port || address) throw isConnected()
    }
    if (!Array.isArray(buffer)) {
      if (typeof buffer === 'string') list = [Buffer.from(buffer)]
      else if (!ArrayBuffer.isView(buffer)) throw invalidArgType('buffer', BUFFER_TYPES, buffer)
      else list = [buffer as Buffer]
    } else {
      const l = fixBufferList(buffer)
      if (l === null) throw invalidArgType('buffer list arguments', BUFFER_TYPES, buffer)
      list = l
    }
    let p = 0
    if (!connected) p = validatePort(port, false)
    if (typeof callback !== 'function') callback = undefined
    if (typeof address === 'function') {
      callback = address
      address = undefined
    } else if (address !== undefined && address !== null) {
      validateString(address, 'address')
    }
    this.#healthCheck()
    if (this.#bindState === UNBOUND) this.bind({ port: 0, exclusive: true })
    if (list.length === 0) list.push(Buffer.alloc(0))
    if (this.#bindState !== BOUND) {
      const l = list
      const a = address as string | undefined
      const c = callback as SendCallback | undefined
      this.#enqueue(() => (this.send as (...a: unknown[]) => void)(l, p, a, c))
      return
    }
    const cb = callback as SendCallback | undefined
    const addr = (address ?? undefined) as string | undefined
    if (connected) {
      this.#doSend(null, undefined, list, addr, 0, cb)
      return
    }
    const host = addr || (this.type === 'udp4' ? '127.0.0.1' : '::1')
    // An IP literal needs no lookup (dns.lookup would hand it back as it is).
    if (this.#lookup === (dns.lookup as unknown) && isIP(host) !== 0) this.#doSend(null, host, list, addr, p, cb)
    else this.#resolve(host, (ex, ip) => this.#doSend(ex, ip, list, addr, p, cb))
  }

  #doSend(ex: Error | null, ip: string | undefined, list: Buffer[], address: string | undefined, port: number, cb: SendCallback | undefined): void {
    if (ex) {
      if (cb) process.nextTick(cb, ex)
      else process.nextTick(() => this.emit('error', ex))
      return
    }
    if (!this.#open) return
    if (list.length > MAX_IOV) list = [Buffer.concat(list)]
    let bytes = 0
    for (const b of list) bytes += b.byteLength
    const o = new Sendmsg(this.#fd, ip === undefined ? { buffers: list } : { buffers: list, to: sockaddr(ip, port) })
    this.#sendQueueSize += bytes
    this.#sendQueueCount++
    this.#ring!.run(o).then(
      (n: number) => {
        this.#sendQueueSize -= bytes
        this.#sendQueueCount--
        if (cb) cb(null, n)
      },
      (e: unknown) => {
        this.#sendQueueSize -= bytes
        this.#sendQueueCount--
        // As Node: a failed send is reported to its callback only.
        if (cb) cb(exceptionWithHostPort(errnoOf(e), 'send', address, port || undefined))
      },
    )
  }

  /** Node's old sendto(buffer, offset, length, port, address, callback). */
  sendto(buffer: unknown, offset: number, length: number, port: number, address: string, callback?: SendCallback): void {
    validateNumber(offset, 'offset')
    validateNumber(length, 'length')
    validateNumber(port, 'port')
    validateString(address, 'address')
    ;(this.send as (...a: unknown[]) => void)(buffer, offset, length, port, address, callback)
  }

  #enqueue(fn: () => void): void {
    if (this.#queue === undefined) {
      this.#queue = []
      const onError = (): void => {
        this.removeListener('listening', onListening)
        this.#queue = undefined
      }
      const onListening = (): void => {
        this.removeListener(EventEmitter.errorMonitor, onError)
        const q = this.#queue ?? []
        this.#queue = undefined
        for (const f of q) f()
      }
      this.once(EventEmitter.errorMonitor, onError)
      this.once('listening', onListening)
    }
    this.#queue.push(fn)
  }

  // ---- receive ----

  #startReceiving(r: Ring, fd: number): void {
    const multishot = this.#multishot ?? (r.probe.supports('recvmsg') && kernelAtLeast('6.0'))
    let stop = false
    let cancel: (() => void) | undefined
    this.#stopRecv = () => {
      stop = true
      cancel?.()
    }
    const nameSize = this.type === 'udp4' ? 16 : 28
    const loop = multishot
      ? this.#multishotLoop(r, fd, nameSize, () => stop, (c) => (cancel = c))
      : this.#singleLoop(r, fd, () => stop, (c) => (cancel = c))
    this.#receiving = loop.catch((e: unknown) => {
      if (this.#open) this.#emitSafe('error', e)
    })
  }

  async #multishotLoop(r: Ring, fd: number, nameSize: number, stopped: () => boolean, onCancel: (c: () => void) => void): Promise<void> {
    const group: BufferGroup = r.registrar.bufferGroup({ count: this.#buffers, size: 16 + nameSize + this.#maxMessage })
    let errors = 0
    try {
      while (!stopped()) {
        // MSG_TRUNC: the kernel reports a datagram's whole length even when it was cut.
        const it = r.stream(new RecvmsgMultishot(fd, group, { nameSize, flags: MSG_TRUNC }))
        onCancel(() => void it.return!())
        try {
          for (;;) {
            const n = await it.next()
            if (n.done) break
            const m = n.value as RecvmsgMultishotResult
            const msg = Buffer.from(m.data) // a copy; the provided buffer goes back at once
            const truncated = m.truncated || (m.flags & MSG_TRUNC) !== 0
            m.buffer.release()
            errors = 0
            if (stopped()) continue
            this.#deliver(msg, m.address, truncated)
          }
        } catch (e) {
          if (stopped()) break
          if ((e as { code?: string }).code === ENOBUFS) continue // every buffer was in use: go again
          // An ICMP error (ECONNREFUSED, ...) ends the multishot op; report it and go again.
          if (!this.#recvError(e, ++errors)) break
        }
      }
    } finally {
      group.close()
    }
  }

  async #singleLoop(r: Ring, fd: number, stopped: () => boolean, onCancel: (c: () => void) => void): Promise<void> {
    const buf = Buffer.allocUnsafe(this.#maxMessage)
    const o = new Recvmsg(fd, [buf], { flags: MSG_TRUNC })
    let errors = 0
    while (!stopped()) {
      const ac = new AbortController()
      onCancel(() => ac.abort())
      let res: RecvmsgResult
      try {
        res = await r.run(o, { signal: ac.signal })
      } catch (e) {
        if (stopped()) break
        if (!this.#recvError(e, ++errors)) break
        continue
      }
      errors = 0
      if (stopped()) break
      const n = Math.min(res.bytes, buf.length)
      this.#deliver(Buffer.from(buf.subarray(0, n)), res.address, res.bytes > buf.length || (res.flags & MSG_TRUNC) !== 0)
    }
  }

  #deliver(msg: Buffer, from: SocketAddress | undefined, truncated: boolean): void {
    if (!this.#open) return
    let rinfo: RemoteInfo
    if (from !== undefined && from.family !== 'unix') {
      rinfo = { address: from.address, family: from.family === 'ipv4' ? 'IPv4' : 'IPv6', port: from.port, size: msg.length }
    } else {
      rinfo = { address: '', family: family(this.type), port: 0, size: msg.length }
    }
    if (truncated) rinfo.truncated = true
    this.#emitSafe('message', msg, rinfo)
  }

  /** Async iteration of the datagrams: `for await (const { msg, rinfo } of socket)`; ends at 'close', throws an 'error'. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    const values: Message[] = []
    const waiters: Array<{ resolve: (r: IteratorResult<Message>) => void; reject: (e: unknown) => void }> = []
    let done = false
    let error: unknown
    const onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
      const w = waiters.shift()
      if (w) w.resolve({ value: { msg, rinfo }, done: false })
      else values.push({ msg, rinfo })
    }
    const finish = (e?: unknown): void => {
      if (done) return
      done = true
      error = e
      this.removeListener('message', onMessage)
      this.removeListener('error', onError)
      this.removeListener('close', onClose)
      for (const w of waiters.splice(0)) {
        if (error !== undefined) {
          w.reject(error)
          error = undefined
        } else w.resolve({ value: undefined, done: true })
      }
    }
    const onError = (e: unknown): void => finish(e)
    const onClose = (): void => finish()
    this.on('message', onMessage)
    this.on('error', onError)
    this.on('close', onClose)
    const it: AsyncIterableIterator<Message> = {
      next: () => {
        if (values.length > 0) return Promise.resolve({ value: values.shift()!, done: false })
        if (done) {
          if (error !== undefined) {
            const e = error
            error = undefined
            return Promise.reject(e)
          }
          return Promise.resolve({ value: undefined, done: true })
        }
        return new Promise((resolve, reject) => waiters.push({ resolve, reject }))
      },
      return: () => {
        values.length = 0
        finish()
        return Promise.resolve({ value: undefined, done: true })
      },
      [Symbol.asyncIterator]() {
        return it
      },
    }
    return it
  }

  // ---- close ----

  close(callback?: () => void): this {
    if (typeof callback === 'function') this.on('close', callback)
    if (this.#queue !== undefined) {
      this.#queue.push(() => this.close())
      return this
    }
    this.#healthCheck()
    this.#open = false
    const fd = this.#fd
    const r = this.#ring
    this.#fd = -1
    this.#stopRecv?.()
    live.delete(this)
    // While binding, #doBind closes its own fd when it sees the socket closed.
    if (fd >= 0 && r !== undefined && this.#bindState === BOUND) {
      // The fd closes once the receive op has posted its last CQE (the kernel holds the file till then).
      const receiving = this.#receiving ?? Promise.resolve()
      void receiving.then(() => r.run(new Close(fd))).catch(() => undefined).finally(() => updateRef(r))
    }
    process.nextTick(() => this.emit('close'))
    return this
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#open) return
    await new Promise<void>((resolve) => this.close(resolve))
  }

  /**
   * emit() from a promise continuation: a listener that throws (or an 'error' nobody listens
   * to) becomes an uncaught exception, as it would from a libuv callback in node:dgram, instead
   * of a rejection inside uring's own loops.
   */
  #emitSafe(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args)
    } catch (e) {
      process.nextTick(() => {
        throw e
      })
    }
  }

  /** A receive failure: reported, and whether to go on receiving (not after a run of them). */
  #recvError(e: unknown, errorsInARow: number): boolean {
    const errno = (e as { errno?: unknown }).errno
    this.#emitSafe('error', typeof errno === 'number' && errno < 0 ? errnoException(errno, 'recvmsg') : e)
    return errorsInARow < MAX_RECV_ERRORS
  }

  #healthCheck(): void {
    if (!this.#open) throw notRunning()
  }

  // ---- options ----

  #setInt(level: number, name: number, value: number, syscall: string): void {
    if (!this.#open) throw notRunning()
    if (this.#fd < 0) throw errnoException(EBADF, syscall)
    try {
      setsockoptInt(this.#fd, level, name, value)
    } catch (e) {
      throw errnoException(errnoOf(e), syscall)
    }
  }

  setBroadcast(flag: boolean): void {
    this.#setInt(SOL_SOCKET, SO_BROADCAST, flag ? 1 : 0, 'setBroadcast')
  }

  setTTL(ttl: number): number {
    validateNumber(ttl, 'ttl')
    const v = ttl | 0
    if (v < 1 || v > 255) {
      if (!this.#open) throw notRunning()
      throw errnoException(EINVAL, 'setTTL') // libuv checks the range before the fd
    }
    if (this.type === 'udp4') this.#setInt(IPPROTO_IP, IP_TTL, v, 'setTTL')
    else this.#setInt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, v, 'setTTL')
    return ttl
  }

  setMulticastTTL(ttl: number): number {
    validateNumber(ttl, 'ttl')
    const v = ttl | 0
    if (v < 0 || v > 255) {
      if (!this.#open) throw notRunning()
      throw errnoException(EINVAL, 'setMulticastTTL')
    }
    if (this.type === 'udp4') this.#setInt(IPPROTO_IP, IP_MULTICAST_TTL, v, 'setMulticastTTL')
    else this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, v, 'setMulticastTTL')
    return ttl
  }

  setMulticastLoopback(flag: boolean): boolean {
    if (this.type === 'udp4') this.#setInt(IPPROTO_IP, IP_MULTICAST_LOOP, flag ? 1 : 0, 'setMulticastLoopback')
    else this.#setInt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, flag ? 1 : 0, 'setMulticastLoopback')
    return flag
  }

  /** Not in uring/net (needs struct socket options): throws ERR_METHOD_NOT_IMPLEMENTED. */
  setMulticastInterface(_interfaceAddress: string): void {
    throw notImplemented('setMulticastInterface()')
  }
  /** Not in uring/net: throws ERR_METHOD_NOT_IMPLEMENTED. */
  addMembership(_multicastAddress: string, _interfaceAddress?: string): void {
    throw notImplemented('addMembership()')
  }
  /** Not in uring/net: throws ERR_METHOD_NOT_IMPLEMENTED. */
  dropMembership(_multicastAddress: string, _interfaceAddress?: string): void {
    throw notImplemented('dropMembership()')
  }
  /** Not in uring/net: throws ERR_METHOD_NOT_IMPLEMENTED. */
  addSourceSpecificMembership(_source: string, _group: string, _interfaceAddress?: string): void {
    throw notImplemented('addSourceSpecificMembership()')
  }
  /** Not in uring/net: throws ERR_METHOD_NOT_IMPLEMENTED. */
  dropSourceSpecificMembership(_source: string, _group: string, _interfaceAddress?: string): void {
    throw notImplemented('dropSourceSpecificMembership()')
  }

  #bufferSize(size: number, recv: boolean): number {
    if (size >>> 0 !== size) throw nodeError('ERR_SOCKET_BAD_BUFFER_SIZE', 'Buffer size must be a positive integer', TypeError)
    if (!this.#open) throw notRunning()
    if (this.#fd < 0) throw bufferSizeError(EBADF, recv)
    const opt = recv ? SO_RCVBUF : SO_SNDBUF
    try {
      if (size !== 0) {
        setsockoptInt(this.#fd, SOL_SOCKET, opt, size)
        return size
      }
      return getsockoptInt(this.#fd, SOL_SOCKET, opt)
    } catch (e) {
      throw bufferSizeError(errnoOf(e), recv)
    }
  }

  setRecvBufferSize(size: number): void {
    this.#bufferSize(size, true)
  }
  setSendBufferSize(size: number): void {
    this.#bufferSize(size, false)
  }
  getRecvBufferSize(): number {
    return this.#bufferSize(0, true)
  }
  getSendBufferSize(): number {
    return this.#bufferSize(0, false)
  }
  /** Bytes of sends not yet completed. */
  getSendQueueSize(): number {
    return this.#sendQueueSize
  }
  /** Sends not yet completed. */
  getSendQueueCount(): number {
    return this.#sendQueueCount
  }

  ref(): this {
    this.refed = true
    if (this.#ring !== undefined) updateRef(this.#ring)
    return this
  }

  unref(): this {
    this.refed = false
    if (this.#ring !== undefined) updateRef(this.#ring)
    return this
  }
}

function notImplemented(what: string): DgramError {
  return nodeError('ERR_METHOD_NOT_IMPLEMENTED', `The ${what} method is not implemented`)
}

function intOption(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v)
  if (!Number.isInteger(v) || v < min || v > max) {
    throw nodeError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be >= ${min} && <= ${max}. Received ${String(v)}`, RangeError)
  }
  return v
}

/** Bind failures as Node reports them: `bind EADDRINUSE 127.0.0.1:41234`; uring's own errors as they are. */
function asBindError(e: unknown, ip: string, port: number): Error {
  const code = (e as { code?: unknown }).code
  if (typeof code === 'string' && code.startsWith('ERR_')) return e as Error
  return exceptionWithHostPort(errnoOf(e), 'bind', ip, port)
}

/** Node's `dgram.createSocket(type | options, onMessage?)`. */
export function createSocket(type: SocketType | SocketOptions, listener?: MessageListener): UdpSocket {
  return new UdpSocket(type, listener)
}

