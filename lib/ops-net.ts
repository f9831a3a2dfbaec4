/**
 * Socket ops (the net family, see `op` in ops.ts): socket, bind, listen, connect, accept (with the
 * peer's address; multishot), send/sendto, recv (multishot, bundle), sendmsg/recvmsg (multishot),
 * zero-copy sends, shutdown, and the socket commands of IORING_OP_URING_CMD.
 *
 * Socket addresses are objects (`{ family: 'ipv4', address: '127.0.0.1', port: 80 }`, `{ family:
 * 'ipv6', ... }`, `{ family: 'unix', path }`), turned into sockaddr bytes afresh at each push and
 * decoded back into the same shape. Every op's `fd` is the socket (a process fd or a RegisteredFd);
 * the staging words each op uses are written above its class (and again in
 * crates/uring-core/src/ops_net.rs, which checks them all).
 *
 * Net ops take every common option but `ioprio`: on these opcodes the SQE's ioprio field carries
 * the op's own flags (multishot, bundle, zero-copy usage), set through the op's own options.
 */
import { endianness } from 'node:os'
import { isIPv4, isIPv6 } from 'node:net'
import {
  BufferLike,
  invalidType,
  outOfRange,
  UringError,
  validateBoolean,
  validateBuffer,
  validateInteger,
  validateKeys,
  validateObject,
} from './errors'
import { BufferGroup, ProvidedBuffer } from './registrar'
import type { RegistrarHost } from './registrar'
import type { Cqe } from './ring'
import {
  F,
  FX_DIRECT,
  Opcode,
  FdLike,
  Op,
  OpOptions,
  COMMON,
  check,
  checkFdArg,
  encodeFd,
  encodeGroup,
  isRegistered,
  byteLength,
  resultOf,
  TEXT,
  needKernel,
} from './opbase'

// ---- socket addresses -------------------------------------------------------------------------

/** An IPv4 socket address (sockaddr_in). */
export interface Ipv4Address {
  family: 'ipv4'
  /** Dotted decimal, e.g. `'127.0.0.1'`. */
  address: string
  /** 0 to 65535 (0 with bind: the kernel picks one). */
  port: number
}

/** An IPv6 socket address (sockaddr_in6). Decoded addresses always carry `flowinfo` and `scopeId`. */
export interface Ipv6Address {
  family: 'ipv6'
  /** IPv6 text, e.g. `'::1'` or `'::ffff:127.0.0.1'` (no `%zone`: use `scopeId`). */
  address: string
  port: number
  /** sin6_flowinfo (traffic class and flow label). Default 0. */
  flowinfo?: number
  /** sin6_scope_id: the interface index of a link-local address. Default 0. */
  scopeId?: number
}

/**
 * A unix-domain socket address (sockaddr_un). `path` is a file-system path (at most 107 bytes),
 * or an abstract name: a string starting with `'\0'` (at most 107 bytes after it). `''` binds to
 * an address the kernel picks (autobind) and is what an unnamed peer decodes to.
 */
export interface UnixAddress {
  family: 'unix'
  path: string
}

/** A socket address of the families the net ops encode and decode. */
export type SocketAddress = Ipv4Address | Ipv6Address | UnixAddress

const AF_UNIX = 1
const AF_INET = 2
const AF_INET6 = 10
/** sizeof(struct sockaddr_storage): the room the kernel may write a peer's address into. */
const SOCKADDR_STORAGE = 128
/** sizeof(sun_path). */
const UNIX_PATH_MAX = 108
const LE = endianness() === 'LE'
const DECODER = new TextDecoder()
const EMPTY = new Uint8Array(0)
const V4_KEYS = new Set(['family', 'address', 'port'])
const V6_KEYS = new Set(['family', 'address', 'port', 'flowinfo', 'scopeId'])
const UNIX_KEYS = new Set(['family', 'path'])

function badValue(name: string, why: string, v: unknown): UringError {
  return new UringError('ERR_INVALID_ARG_VALUE', `The argument "${name}" ${why}. Received ${typeof v === 'string' ? `'${v}'` : String(v)}`)
}

function parseIpv4(v: unknown, name: string): number[] {
  if (typeof v !== 'string') throw invalidType(name, 'of type string', v)
  if (!isIPv4(v)) throw badValue(name, 'must be an IPv4 address in dotted decimal', v)
  return v.split('.').map(Number)
}

function parseIpv6(v: unknown, name: string): Uint8Array {
  if (typeof v !== 'string') throw invalidType(name, 'of type string', v)
  if (v.includes('%') || !isIPv6(v)) throw badValue(name, 'must be an IPv6 address (no %zone: use scopeId)', v)
  let text = v
  const last = text.slice(text.lastIndexOf(':') + 1)
  if (last.includes('.')) {
    const q = parseIpv4(last, name)
    text = text.slice(0, text.length - last.length) + ((q[0] << 8) | q[1]).toString(16) + ':' + ((q[2] << 8) | q[3]).toString(16)
  }
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)))
  const gap = text.indexOf('::')
  let words: number[]
  if (gap >= 0) {
    const a = groups(text.slice(0, gap))
    const b = groups(text.slice(gap + 2))
    words = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b]
  } else {
    words = groups(text)
  }
  if (words.length !== 8) throw badValue(name, 'must be an IPv6 address', v)
  const out = new Uint8Array(16)
  words.forEach((w, i) => {
    out[2 * i] = w >> 8
    out[2 * i + 1] = w & 0xff
  })
  return out
}

/** RFC 5952 text of 16 address bytes (`::ffff:a.b.c.d` for v4-mapped ones, as Node prints them). */
function formatIpv6(b: Uint8Array): string {
  const w: number[] = []
  for (let i = 0; i < 8; i++) w.push((b[2 * i] << 8) | b[2 * i + 1])
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`
  }
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && w[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':')
  if (best < 0) return hex(w)
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`
}

/** Fresh sockaddr bytes for `a` (a new copy at every call: the kernel reads this copy). @internal also used by sock.ts (bind on kernels before 6.11) */
export function encodeSockaddr(a: unknown, name: string): Uint8Array {
  const o = validateObject(a, name)
  switch (o.family) {
    case 'ipv4': {
      validateKeys(o, V4_KEYS, name)
      const ip = parseIpv4(o.address, `${name}.address`)
      const port = validateInteger(o.port, `${name}.port`, 0, 65535)
      const b = new Uint8Array(16)
      const v = new DataView(b.buffer)
      v.setUint16(0, AF_INET, LE)
      v.setUint16(2, port, false)
      b.set(ip, 4)
      return b
    }
    case 'ipv6': {
      validateKeys(o, V6_KEYS, name)
      const ip = parseIpv6(o.address, `${name}.address`)
      const port = validateInteger(o.port, `${name}.port`, 0, 65535)
      const flowinfo = o.flowinfo === undefined ? 0 : validateInteger(o.flowinfo, `${name}.flowinfo`, 0, 0xffffffff)
      const scopeId = o.scopeId === undefined ? 0 : validateInteger(o.scopeId, `${name}.scopeId`, 0, 0xffffffff)
      const b = new Uint8Array(28)
      const v = new DataView(b.buffer)
      v.setUint16(0, AF_INET6, LE)
      v.setUint16(2, port, false)
      v.setUint32(4, flowinfo, false)
      b.set(ip, 8)
      v.setUint32(24, scopeId, LE)
      return b
    }
    case 'unix': {
      validateKeys(o, UNIX_KEYS, name)
      if (typeof o.path !== 'string') throw invalidType(`${name}.path`, 'of type string', o.path)
      const path = TEXT.encode(o.path)
      const abstract = path.length > 0 && path[0] === 0
      if (!abstract && path.includes(0)) throw badValue(`${name}.path`, 'must not contain null bytes (only an abstract name starts with one)', JSON.stringify(o.path))
      const max = UNIX_PATH_MAX - 1 // a path keeps room for its NUL; an abstract name for its leading one
      if (path.length - (abstract ? 1 : 0) > max) {
        throw outOfRange(`${name}.path`, `at most ${max} bytes${abstract ? ' after the leading NUL' : ''}`, `${path.length - (abstract ? 1 : 0)} bytes`)
      }
      const b = new Uint8Array(2 + path.length + (abstract || path.length === 0 ? 0 : 1))
      new DataView(b.buffer).setUint16(0, AF_UNIX, LE)
      b.set(path, 2)
      return b
    }
    default:
      throw badValue(`${name}.family`, "must be 'ipv4', 'ipv6' or 'unix'", typeof o.family === 'string' ? o.family : String(o.family))
  }
}

/** The address in the first `len` bytes of `b`; undefined for none (len < 2) or another family. */
function decodeSockaddr(b: Uint8Array, len: number): SocketAddress | undefined {
  const n = Math.min(len, b.length)
  if (n < 2) return undefined
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const family = v.getUint16(0, LE)
  if (family === AF_INET && n >= 16) {
    return { family: 'ipv4', address: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port: v.getUint16(2, false) }
  }
  if (family === AF_INET6 && n >= 28) {
    return { family: 'ipv6', address: formatIpv6(b.subarray(8, 24)), port: v.getUint16(2, false), flowinfo: v.getUint32(4, false), scopeId: v.getUint32(24, LE) }
  }
  if (family === AF_UNIX) {
    const p = b.subarray(2, n)
    if (p.length === 0) return { family: 'unix', path: '' }
    if (p[0] === 0) return { family: 'unix', path: '\0' + DECODER.decode(p.subarray(1)) }
    const nul = p.indexOf(0)
    return { family: 'unix', path: DECODER.decode(nul < 0 ? p : p.subarray(0, nul)) }
  }
  return undefined
}

// ---- control messages -------------------------------------------------------------------------

/** One control message (cmsghdr): e.g. SCM_RIGHTS is `{ level: 1, type: 1, data: <int32 fds> }`. */
export interface ControlMessage {
  /** cmsg_level (SOL_SOCKET = 1, IPPROTO_IP = 0, ...). */
  level: number
  /** cmsg_type (SCM_RIGHTS = 1, SCM_CREDENTIALS = 2, IP_PKTINFO = 8, ...). */
  type: number
  data: Uint8Array
}

/** sizeof(struct cmsghdr) on 64-bit Linux; data and each next header are 8-aligned. */
const CMSG_HDR = 16
const align8 = (n: number): number => (n + 7) & ~7

/** Control bytes for `c`: raw bytes (copied) or messages laid out as CMSG_SPACE each. */
function encodeControl(c: unknown, name: string): Uint8Array {
  if (!Array.isArray(c)) {
    const raw = validateBuffer(c, name)
    const bytes = raw instanceof ArrayBuffer ? new Uint8Array(raw) : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
    return bytes.slice()
  }
  const list = c.map((m, i) => {
    const o = validateObject(m, `${name}[${i}]`)
    validateKeys(o, new Set(['level', 'type', 'data']), `${name}[${i}]`)
    const d = validateBuffer(o.data, `${name}[${i}].data`)
    const data = d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
    return {
      level: validateInteger(o.level, `${name}[${i}].level`, -0x80000000, 0x7fffffff),
      type: validateInteger(o.type, `${name}[${i}].type`, -0x80000000, 0x7fffffff),
      data,
    }
  })
  const out = new Uint8Array(list.reduce((n, m) => n + align8(CMSG_HDR + m.data.length), 0))
  const v = new DataView(out.buffer)
  let at = 0
  for (const m of list) {
    v.setBigUint64(at, BigInt(CMSG_HDR + m.data.length), LE)
    v.setInt32(at + 8, m.level, LE)
    v.setInt32(at + 12, m.type, LE)
    out.set(m.data, at + CMSG_HDR)
    at += align8(CMSG_HDR + m.data.length)
  }
  return out
}

/** The control messages in the first `len` bytes of `b` (copies of their data). */
function decodeControl(b: Uint8Array, len: number): ControlMessage[] {
  const n = Math.min(len, b.length)
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const out: ControlMessage[] = []
  for (let at = 0; at + CMSG_HDR <= n; ) {
    const l = Number(v.getBigUint64(at, LE))
    if (l < CMSG_HDR || at + l > n) break
    out.push({ level: v.getInt32(at + 8, LE), type: v.getInt32(at + 12, LE), data: b.slice(at + CMSG_HDR, at + l) })
    at += align8(l)
  }
  return out
}

// ---- shared checks ----------------------------------------------------------------------------

/** Options every net op takes: those of every op but `ioprio` (see the file's comment). */
export type NetOpOptions = Omit<OpOptions, 'ioprio'>

const NET_COMMON = COMMON.filter((k) => k !== 'ioprio')
const keys = (...own: string[]): Set<string> => new Set<string>([...NET_COMMON, ...own])
const NET_KEYS = keys()

function noIoprio(o: Op): void {
  if (o.ioprio !== 0) throw new UringError('ERR_INVALID_ARG_VALUE', `${o.name} takes no ioprio: on this op the SQE's ioprio field carries its flags`)
}

/** A CQE handed to `decode` must be one of this op's (when the ring says whose it is). */
function ownCqe(o: Op, cqe: Cqe): void {
  if (cqe === null || typeof cqe !== 'object' || typeof cqe.res !== 'number') throw invalidType('cqe', 'a Cqe', cqe)
  if (cqe.op !== undefined && cqe.op !== o) throw new UringError('ERR_INVALID_ARG_VALUE', `this CQE belongs to another op (${cqe.op.name}), not to this ${o.name}`)
}

const msgFlags = (v: unknown, name = 'flags'): number => validateInteger(v, name, 0, 0xffffffff)
const MSG_WAITALL = 0x100
const SOCK_NONBLOCK = 0o4000
const SOCK_CLOEXEC = 0o2000000

function acceptFlags(v: unknown, name: string): number {
  const f = validateInteger(v, name, 0, 0x7fffffff)
  if ((f & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) !== 0) throw badValue(name, 'may only hold SOCK_NONBLOCK (0o4000) and SOCK_CLOEXEC (0o2000000)', f)
  return f
}

function dataBuffer(b: unknown, name: string): BufferLike {
  if (isRegistered(b) || b instanceof BufferGroup) throw invalidType(name, 'a Buffer, TypedArray, DataView or ArrayBuffer', b)
  return validateBuffer(b, name)
}

/** A copy of a list of buffers (1 to 1024), so changing the op's array later cannot change what the kernel gets. */
function bufferList(list: unknown, name: string): BufferLike[] {
  if (!Array.isArray(list)) throw invalidType(name, 'an array of Buffers, TypedArrays, DataViews or ArrayBuffers', list)
  if (list.length < 1 || list.length > 1024) throw outOfRange(`${name}.length`, '>= 1 && <= 1024', list.length)
  return list.map((b, i) => dataBuffer(b, `${name}[${i}]`))
}

// ---- socket -----------------------------------------------------------------------------------

/** Options of socket. */
export interface SocketOptions extends NetOpOptions {
  /** Create the socket as a direct descriptor (5.19). */
  direct?: boolean
}

const SOCKET_KEYS = keys('direct')

/**
 * IORING_OP_SOCKET (5.19): socket(2); `res` is the fd or (direct) table slot.
 * Words: AUX domain, OP_FLAGS type, LEN protocol, FIXED FX_DIRECT.
 */
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
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number): void {
    noIoprio(this)
    s[at + F.AUX] = validateInteger(this.domain, 'domain', 0, 0x7fffffff)
    s[at + F.OP_FLAGS] = validateInteger(this.type, 'type', 0, 0x7fffffff)
    s[at + F.LEN] = validateInteger(this.protocol, 'protocol', 0, 0x7fffffff)
    if (validateBoolean(this.direct, 'direct')) s[at + F.FIXED] += FX_DIRECT
  }
}

// ---- bind, connect, listen, shutdown ----------------------------------------------------------

/** Words: FD the socket, BUF a fresh copy of the address as sockaddr bytes (exactly its length). */
abstract class AddressOp extends Op {
  fd: FdLike
  address: SocketAddress
  constructor(fd: FdLike, address: SocketAddress, options: NetOpOptions | undefined) {
    super()
    this.fd = checkFdArg(fd)
    this.address = address
    this.applyOptions(options, NET_KEYS)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    encodeFd(s, at, this.fd, host)
    s[at + F.BUF] = bufs.length
    bufs.push(encodeSockaddr(this.address, 'address'))
  }
}

/** IORING_OP_BIND (6.11): bind(2) the socket to `address`. Words: FD, BUF = sockaddr bytes. */
export class Bind extends AddressOp {
  readonly opcode = Opcode.BIND
  readonly name = 'bind'
  constructor(fd: FdLike, address: SocketAddress, options?: NetOpOptions) {
    super(fd, address, options)
    check(this) // here, not in the base: the base runs before opcode and name are set
  }
}

/** IORING_OP_CONNECT (5.5): connect(2) the socket to `address`. Words: FD, BUF = sockaddr bytes. */
export class Connect extends AddressOp {
  readonly opcode = Opcode.CONNECT
  readonly name = 'connect'
  constructor(fd: FdLike, address: SocketAddress, options?: NetOpOptions) {
    super(fd, address, options)
    check(this)
  }
}

/** IORING_OP_LISTEN (6.11): listen(2). Words: FD, LEN = backlog. */
export class Listen extends Op {
  readonly opcode = Opcode.LISTEN
  readonly name = 'listen'
  fd: FdLike
  backlog: number
  constructor(fd: FdLike, backlog: number, options?: NetOpOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.backlog = backlog
    this.applyOptions(options, NET_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    encodeFd(s, at, this.fd, host)
    s[at + F.LEN] = validateInteger(this.backlog, 'backlog', 0, 0x7fffffff)
  }
}

/** Which direction(s) shutdown closes: SHUT_RD, SHUT_WR, SHUT_RDWR. */
export type ShutdownHow = 'read' | 'write' | 'both'
const HOW: Record<ShutdownHow, number> = { read: 0, write: 1, both: 2 }

/** IORING_OP_SHUTDOWN (5.11): shutdown(2). Words: FD, LEN = how (0 read, 1 write, 2 both). */
export class Shutdown extends Op {
  readonly opcode = Opcode.SHUTDOWN
  readonly name = 'shutdown'
  fd: FdLike
  how: ShutdownHow
  constructor(fd: FdLike, how: ShutdownHow, options?: NetOpOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.how = how
    this.applyOptions(options, NET_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    encodeFd(s, at, this.fd, host)
    const how = typeof this.how === 'string' && Object.hasOwn(HOW, this.how) ? HOW[this.how] : undefined
    if (how === undefined) throw badValue('how', "must be 'read', 'write' or 'both'", this.how)
    s[at + F.LEN] = how
  }
}

// ---- accept -----------------------------------------------------------------------------------

/** Options of accept. */
export interface AcceptOptions extends NetOpOptions {
  /** SOCK_NONBLOCK / SOCK_CLOEXEC (accept4(2)). */
  flags?: number
  /** Create the connection as a direct descriptor (5.19): `res` is its slot (`ring.registrar.directFd(cqe)`). */
  direct?: boolean
}

/** What an accept's CQE says: the connection and who is on the other end. */
export interface AcceptResult {
  /** The connection's fd, or with `direct: true` its slot in the file table. */
  fd: number
  /** The peer's address (`{ family: 'unix', path: '' }` for an unnamed unix peer). */
  address: SocketAddress | undefined
}

const ACCEPT_KEYS = keys('flags', 'direct')

/**
 * IORING_OP_ACCEPT (5.5): accept4(2) on a listening socket, keeping the peer's address.
 * The address memory belongs to the op, so one Accept is in flight at most once at a time.
 * Words: FD, OP_FLAGS accept4 flags, FIXED FX_DIRECT (5.19), AUX 0 (single), BUF = the op's
 * 128-byte sockaddr_storage, BUF + 1 = its socklen_t (the kernel writes both).
 */
export class Accept extends Op {
  readonly opcode = Opcode.ACCEPT
  readonly name = 'accept'
  fd: FdLike
  flags = 0
  direct = false
  readonly #addr = new Uint8Array(new ArrayBuffer(SOCKADDR_STORAGE))
  readonly #len = new Uint32Array(new ArrayBuffer(4))
  constructor(fd: FdLike, options?: AcceptOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.applyOptions(options, ACCEPT_KEYS)
    if (options?.flags !== undefined) this.flags = acceptFlags(options.flags, 'options.flags')
    if (options?.direct !== undefined) this.direct = validateBoolean(options.direct, 'options.direct')
    check(this)
  }
  override get exclusive(): boolean {
    return true
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = acceptFlags(this.flags, 'flags')
    if (validateBoolean(this.direct, 'direct')) {
      needKernel('5.19', 'a direct accept (IORING_FILE_INDEX_ALLOC)')
      s[at + F.FIXED] += FX_DIRECT
    }
    s[at + F.BUF] = bufs.length
    bufs.push(this.#addr, this.#len)
  }
  /** The connection and the peer's address (read before this op is pushed again). Throws a CqeError on failure. */
  decode(cqe: Cqe): AcceptResult {
    ownCqe(this, cqe)
    const fd = resultOf(cqe, this.name)
    return { fd, address: decodeSockaddr(this.#addr, this.#len[0]) }
  }
}

/** Options of acceptMultishot. */
export interface AcceptMultishotOptions extends NetOpOptions {
  /** SOCK_NONBLOCK / SOCK_CLOEXEC (accept4(2)). */
  flags?: number
  /** Every connection becomes a direct descriptor (`ring.registrar.directFd(cqe)` on each CQE). */
  direct?: boolean
}

/**
 * IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT (5.19): one CQE per connection while `cqe.more`;
 * a CQE without it (an error, a full file table, a cancel) ends it: push the op again to re-arm.
 * No peer addresses. Words: FD, OP_FLAGS accept4 flags, FIXED FX_DIRECT, AUX 1 (multishot).
 */
export class AcceptMultishot extends Op {
  readonly opcode = Opcode.ACCEPT
  readonly name = 'accept'
  fd: FdLike
  flags = 0
  direct = false
  constructor(fd: FdLike, options?: AcceptMultishotOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.applyOptions(options, ACCEPT_KEYS)
    if (options?.flags !== undefined) this.flags = acceptFlags(options.flags, 'options.flags')
    if (options?.direct !== undefined) this.direct = validateBoolean(options.direct, 'options.direct')
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    needKernel('5.19', 'multishot accept (IORING_ACCEPT_MULTISHOT)')
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = acceptFlags(this.flags, 'flags')
    if (validateBoolean(this.direct, 'direct')) s[at + F.FIXED] += FX_DIRECT
    s[at + F.AUX] = 1
  }
}

// ---- send -------------------------------------------------------------------------------------

/** Options of send. */
export interface SendOptions extends NetOpOptions {
  /** MSG_* flags (send(2)), e.g. MSG_MORE, MSG_NOSIGNAL. */
  flags?: number
  /** Where in `buffer` the bytes start. Default 0. */
  bufferOffset?: number
  /** How many bytes. Default: the rest of `buffer`. */
  length?: number
  /** sendto(2): the destination of a datagram on an unconnected socket (send: 6.1). */
  to?: SocketAddress
}

/** Options of sendZc. */
export interface SendZcOptions extends SendOptions {
  /** IORING_SEND_ZC_REPORT_USAGE (6.2): the notification says whether the kernel had to copy. */
  reportUsage?: boolean
}

/** What a CQE of a zero-copy send says. */
export type ZeroCopyResult =
  /** The send itself (`cqe.more`: a notification follows): bytes sent. */
  | { notification: false; bytes: number }
  /** The notification: the buffer is free again. `copied` (with `reportUsage`): the kernel copied the bytes after all. */
  | { notification: true; copied: boolean | undefined }

const SEND_KEYS = keys('flags', 'bufferOffset', 'length', 'to')
const SEND_ZC_KEYS = keys('flags', 'bufferOffset', 'length', 'to', 'reportUsage')
/** IORING_NOTIF_USAGE_ZC_COPIED: bit 31 of a notification's res. */
const NOTIF_COPIED = 0x80000000

/**
 * Words: FD, BUF/BUF_OFF/LEN the bytes, OP_FLAGS MSG_* flags, AUX bit 0: BUF + 1 holds a fresh
 * copy of `to` (sockaddr bytes), bit 1: reportUsage (zero-copy only).
 */
abstract class SendBase extends Op {
  fd: FdLike
  buffer: BufferLike
  flags = 0
  bufferOffset = 0
  length: number | undefined
  to: SocketAddress | undefined
  reportUsage = false
  constructor(fd: FdLike, buffer: BufferLike, options: SendZcOptions | undefined, known: ReadonlySet<string>) {
    super()
    this.fd = checkFdArg(fd)
    this.buffer = dataBuffer(buffer, 'buffer')
    this.applyOptions(options, known)
    if (options?.flags !== undefined) this.flags = options.flags
    if (options?.bufferOffset !== undefined) this.bufferOffset = options.bufferOffset
    if (options?.length !== undefined) this.length = options.length
    if (options?.to !== undefined) this.to = options.to
    if (options?.reportUsage !== undefined) this.reportUsage = validateBoolean(options.reportUsage, 'options.reportUsage')
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = msgFlags(this.flags)
    const buf = dataBuffer(this.buffer, 'buffer')
    const size = byteLength(buf)
    const bo = validateInteger(this.bufferOffset, 'bufferOffset', 0, size)
    s[at + F.BUF_OFF] = bo
    s[at + F.LEN] = this.length === undefined ? size - bo : validateInteger(this.length, 'length', 0, Math.min(size - bo, 0xffffffff))
    let mode = 0
    if (validateBoolean(this.reportUsage, 'reportUsage')) {
      if (this.opcode === Opcode.SEND) throw new UringError('ERR_INVALID_ARG_VALUE', 'reportUsage is for zero-copy sends only')
      needKernel('6.2', 'IORING_SEND_ZC_REPORT_USAGE')
      mode |= 2
    }
    s[at + F.BUF] = bufs.length
    bufs.push(buf)
    if (this.to !== undefined) {
      if (this.opcode === Opcode.SEND) needKernel('6.1', 'send with a destination address')
      mode |= 1
      bufs.push(encodeSockaddr(this.to, 'to'))
    }
    s[at + F.AUX] = mode
  }
}

/** IORING_OP_SEND (5.6): send(2), or sendto(2) with `to` (6.1); `res` is the byte count. */
export class Send extends SendBase {
  readonly opcode = Opcode.SEND
  readonly name = 'send'
  constructor(fd: FdLike, buffer: BufferLike, options?: SendOptions) {
    super(fd, buffer, options, SEND_KEYS)
    check(this) // here, not in the base: the base runs before opcode and name are set
  }
}

/** A notification's meaning (shared by sendZc and sendmsgZc). */
function decodeZc(o: Op, cqe: Cqe, reportUsage: boolean): ZeroCopyResult {
  ownCqe(o, cqe)
  if (cqe.notification) return { notification: true, copied: reportUsage ? ((cqe.res >>> 0) & NOTIF_COPIED) !== 0 : undefined }
  return { notification: false, bytes: resultOf(cqe, o.name) }
}

/**
 * IORING_OP_SEND_ZC (6.0): a zero-copy send (sendto with `to`). Two CQEs: the send (`res`
 * bytes, `cqe.more` set), then a notification (`cqe.notification`) once the kernel is done with
 * the buffer; the ring keeps the buffer until then.
 */
export class SendZc extends SendBase {
  readonly opcode = Opcode.SEND_ZC
  readonly name = 'sendZc'
  constructor(fd: FdLike, buffer: BufferLike, options?: SendZcOptions) {
    super(fd, buffer, options, SEND_ZC_KEYS)
    check(this)
  }
  /** The send's byte count, or the notification (whether the kernel copied, with `reportUsage`). */
  decode(cqe: Cqe): ZeroCopyResult {
    return decodeZc(this, cqe, this.reportUsage)
  }
}

// ---- recv -------------------------------------------------------------------------------------

/** Options of recv. */
export interface RecvOptions extends NetOpOptions {
  /** MSG_* flags (recv(2)). */
  flags?: number
  /** How many bytes at most (default: the whole buffer). */
  length?: number
}

const RECV_KEYS = keys('flags', 'length')

/**
 * IORING_OP_RECV (5.6): recv(2) into `buffer`, or into a buffer the kernel picks from a
 * BufferGroup (`group.take(cqe)`). Words: FD, BUF/BUF_OFF/LEN the buffer (or FX_GROUP: BUF the
 * group, LEN at most that many bytes), OP_FLAGS MSG_* flags, AUX 0.
 */
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
    noIoprio(this)
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = msgFlags(this.flags)
    const b = this.buffer
    if (b instanceof BufferGroup) {
      if (this.length !== undefined) validateInteger(this.length, 'length', 1, b.size)
      encodeGroup(s, at, b, host)
      if (this.length !== undefined) s[at + F.LEN] = this.length
      return
    }
    const buf = dataBuffer(b, 'buffer')
    const size = byteLength(buf)
    s[at + F.LEN] = this.length === undefined ? size : validateInteger(this.length, 'length', 0, Math.min(size, 0xffffffff))
    s[at + F.BUF] = bufs.length
    bufs.push(buf)
  }
}

function checkGroup(g: unknown, name = 'group'): BufferGroup {
  if (!(g instanceof BufferGroup)) throw invalidType(name, 'a BufferGroup (ring.registrar.bufferGroup())', g)
  return g
}

/** Options of recvMultishot. */
export interface RecvMultishotOptions extends NetOpOptions {
  /** MSG_* flags (recv(2)); not MSG_WAITALL. */
  flags?: number
  /** At most this many bytes per CQE (default: a whole buffer of the group). */
  length?: number
}

const RECV_MULTI_KEYS = keys('flags', 'length')

/**
 * IORING_OP_RECV with IORING_RECV_MULTISHOT (6.0): one CQE per receive, each in a buffer of
 * `group`, while `cqe.more`. It ends with a CQE without `more`: EOF (`res` 0), -ENOBUFS (the
 * group ran dry; release buffers and push the op again), or an error.
 * Words: FD, FX_GROUP (BUF the group, LEN at most that many bytes; 0 = a whole buffer),
 * OP_FLAGS MSG_* flags, AUX 1.
 */
export class RecvMultishot extends Op {
  readonly opcode = Opcode.RECV
  readonly name = 'recv'
  fd: FdLike
  group: BufferGroup
  flags = 0
  length: number | undefined
  constructor(fd: FdLike, group: BufferGroup, options?: RecvMultishotOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.group = checkGroup(group)
    this.applyOptions(options, RECV_MULTI_KEYS)
    if (options?.flags !== undefined) this.flags = options.flags
    if (options?.length !== undefined) this.length = options.length
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    needKernel('6.0', 'multishot recv (IORING_RECV_MULTISHOT)')
    encodeFd(s, at, this.fd, host)
    const flags = msgFlags(this.flags)
    if ((flags & MSG_WAITALL) !== 0) throw new UringError('ERR_INVALID_ARG_VALUE', 'a multishot recv cannot use MSG_WAITALL')
    s[at + F.OP_FLAGS] = flags
    const g = checkGroup(this.group)
    const len = this.length === undefined ? 0 : validateInteger(this.length, 'length', 1, g.size)
    encodeGroup(s, at, g, host)
    s[at + F.LEN] = len
    s[at + F.AUX] = 1
  }
  /** The buffer this CQE filled (release it when done), or undefined at EOF. Throws a CqeError (`ENOBUFS`, ...) on failure. */
  decode(cqe: Cqe): ProvidedBuffer | undefined {
    ownCqe(this, cqe)
    resultOf(cqe, this.name)
    return cqe.bufferId === undefined ? undefined : this.group.take(cqe)
  }
}

/** Options of recvBundle. */
export interface RecvBundleOptions extends NetOpOptions {
  /** MSG_* flags (recv(2)). */
  flags?: number
  /** Keep receiving (IORING_RECV_MULTISHOT too): a bundle per CQE while `cqe.more`. */
  multishot?: boolean
}

/** What a bundle CQE holds: consecutive buffers of the group, filled in order. */
export interface RecvBundleResult {
  /** The bytes received, in order (a copy). */
  bytes: Uint8Array
  /** The buffer ids the bundle used, in order. */
  bufferIds: number[]
  /** The buffers (views of the bytes each holds): release each when done. */
  buffers: ProvidedBuffer[]
}

const BUNDLE_KEYS = keys('flags', 'multishot')

/**
 * IORING_OP_RECV with IORING_RECVSEND_BUNDLE (6.10; `ring.features.recvsendBundle`): one CQE
 * covers as many buffers of `group` as the data fills, starting at `cqe.bufferId`; `decode`
 * gathers them. Words: FD, FX_GROUP (BUF the group), OP_FLAGS MSG_* flags, AUX 2 (bundle) or 3
 * (multishot bundle).
 */
export class RecvBundle extends Op {
  readonly opcode = Opcode.RECV
  readonly name = 'recv'
  fd: FdLike
  group: BufferGroup
  flags = 0
  multishot = false
  constructor(fd: FdLike, group: BufferGroup, options?: RecvBundleOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.group = checkGroup(group)
    this.applyOptions(options, BUNDLE_KEYS)
    if (options?.flags !== undefined) this.flags = options.flags
    if (options?.multishot !== undefined) this.multishot = validateBoolean(options.multishot, 'options.multishot')
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    needKernel('6.10', 'recv bundles (IORING_RECVSEND_BUNDLE)')
    encodeFd(s, at, this.fd, host)
    const multishot = validateBoolean(this.multishot, 'multishot')
    const flags = msgFlags(this.flags)
    if (multishot && (flags & MSG_WAITALL) !== 0) throw new UringError('ERR_INVALID_ARG_VALUE', 'a multishot recv cannot use MSG_WAITALL')
    s[at + F.OP_FLAGS] = flags
    const g = checkGroup(this.group)
    if (g.incremental || g.legacy) throw new UringError('ERR_INVALID_ARG_VALUE', 'a recv bundle needs a buffer ring without incremental consumption (not a legacy or incremental group)')
    encodeGroup(s, at, g, host)
    s[at + F.LEN] = 0
    s[at + F.AUX] = multishot ? 3 : 2
  }
  /** The bytes and buffers of a bundle CQE (empty at EOF). Throws a CqeError on failure. */
  decode(cqe: Cqe): RecvBundleResult {
    ownCqe(this, cqe)
    const n = resultOf(cqe, this.name)
    const first = cqe.bufferId
    if (first === undefined) return { bytes: new Uint8Array(0), bufferIds: [], buffers: [] }
    const buffers = this.group.takeBundle(cqe)
    const bytes = new Uint8Array(n)
    let at = 0
    for (const b of buffers) {
      bytes.set(b.bytes, at)
      at += b.bytes.length
    }
    const bufferIds = buffers.map((b) => b.id)
    return { bytes, bufferIds, buffers }
  }
}

// ---- sendmsg / recvmsg ------------------------------------------------------------------------

/** What sendmsg sends: data, and optionally a destination and control messages. */
export interface OutgoingMessage {
  /** The data, gathered from these buffers in order (1 to 1024). */
  buffers: readonly BufferLike[]
  /** The destination (msg_name), for an unconnected socket. */
  to?: SocketAddress
  /** Control messages (msg_control): a list, or raw cmsghdr bytes (copied). */
  control?: readonly ControlMessage[] | BufferLike
}

/** Options of sendmsg. */
export interface SendmsgOptions extends NetOpOptions {
  /** MSG_* flags (sendmsg(2)). */
  flags?: number
}

/** Options of sendmsgZc. */
export interface SendmsgZcOptions extends SendmsgOptions {
  /** IORING_SEND_ZC_REPORT_USAGE (6.2): the notification says whether the kernel had to copy. */
  reportUsage?: boolean
}

const MESSAGE_KEYS = new Set(['buffers', 'to', 'control'])
const SENDMSG_KEYS = keys('flags')
const SENDMSG_ZC_KEYS = keys('flags', 'reportUsage')
/** sizeof(struct msghdr) on 64-bit Linux. */
const MSGHDR = 56

/**
 * Words: FD, OP_FLAGS MSG_* flags, AUX bit 1 reportUsage (zero-copy); BUF a fresh 56-byte msghdr
 * Rust fills, BUF + 1 the data buffers (a list), BUF + 2 a copy of `to` (empty: none), BUF + 3
 * the control bytes (empty: none).
 */
abstract class SendmsgBase extends Op {
  fd: FdLike
  buffers: readonly BufferLike[]
  to: SocketAddress | undefined
  control: readonly ControlMessage[] | BufferLike | undefined
  flags = 0
  reportUsage = false
  constructor(fd: FdLike, message: OutgoingMessage, options: SendmsgZcOptions | undefined, known: ReadonlySet<string>) {
    super()
    this.fd = checkFdArg(fd)
    const m = validateObject(message, 'message')
    validateKeys(m, MESSAGE_KEYS, 'message')
    this.buffers = message.buffers
    this.to = message.to
    this.control = message.control
    this.applyOptions(options, known)
    if (options?.flags !== undefined) this.flags = options.flags
    if (options?.reportUsage !== undefined) this.reportUsage = validateBoolean(options.reportUsage, 'options.reportUsage')
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = msgFlags(this.flags)
    let mode = 0
    if (validateBoolean(this.reportUsage, 'reportUsage')) {
      if (this.opcode === Opcode.SENDMSG) throw new UringError('ERR_INVALID_ARG_VALUE', 'reportUsage is for zero-copy sends only')
      needKernel('6.2', 'IORING_SEND_ZC_REPORT_USAGE')
      mode |= 2
    }
    s[at + F.AUX] = mode
    const data = bufferList(this.buffers, 'buffers')
    const to = this.to === undefined ? EMPTY : encodeSockaddr(this.to, 'to')
    const control = this.control === undefined ? EMPTY : encodeControl(this.control, 'control')
    s[at + F.BUF] = bufs.length
    bufs.push(new Uint8Array(new ArrayBuffer(MSGHDR)), data, to, control)
  }
}

/** IORING_OP_SENDMSG (5.3): sendmsg(2) of data buffers, an optional destination and control messages. */
export class Sendmsg extends SendmsgBase {
  readonly opcode = Opcode.SENDMSG
  readonly name = 'sendmsg'
  constructor(fd: FdLike, message: OutgoingMessage, options?: SendmsgOptions) {
    super(fd, message, options, SENDMSG_KEYS)
    check(this) // here, not in the base: the base runs before opcode and name are set
  }
}

/**
 * IORING_OP_SENDMSG_ZC (6.1): a zero-copy sendmsg. Like sendZc: the send's CQE (`cqe.more`),
 * then a notification once the buffers are free.
 */
export class SendmsgZc extends SendmsgBase {
  readonly opcode = Opcode.SENDMSG_ZC
  readonly name = 'sendmsgZc'
  constructor(fd: FdLike, message: OutgoingMessage, options?: SendmsgZcOptions) {
    super(fd, message, options, SENDMSG_ZC_KEYS)
    check(this)
  }
  /** The send's byte count, or the notification (whether the kernel copied, with `reportUsage`). */
  decode(cqe: Cqe): ZeroCopyResult {
    return decodeZc(this, cqe, this.reportUsage)
  }
}

/** Options of recvmsg. */
export interface RecvmsgOptions extends NetOpOptions {
  /** MSG_* flags (recvmsg(2)), e.g. MSG_CMSG_CLOEXEC for received fds. */
  flags?: number
  /** Bytes for control messages (msg_controllen). Default 0: none. */
  controlSize?: number
}

/** What a recvmsg received. */
export interface RecvmsgResult {
  /** Bytes received into the buffers. */
  bytes: number
  /** The sender (msg_name); undefined when the socket gives none (a connected stream). */
  address: SocketAddress | undefined
  /** The control messages (e.g. SCM_RIGHTS with the fds received). */
  control: ControlMessage[]
  /** msg_flags: MSG_TRUNC, MSG_CTRUNC, MSG_EOR, ... */
  flags: number
}

const RECVMSG_KEYS = keys('flags', 'controlSize')
const MAX_CONTROL = 1 << 20

/**
 * IORING_OP_RECVMSG (5.3): recvmsg(2) into `buffers`, with the sender's address and control
 * messages. The msghdr, name and control memory belong to the op (one in flight at a time);
 * `decode` reads what the kernel wrote back. Words: FD, OP_FLAGS MSG_* flags, AUX 0; BUF the
 * op's msghdr, BUF + 1 the buffers (a list), BUF + 2 the op's 128-byte name buffer, BUF + 3 its
 * control buffer (empty: none).
 */
export class Recvmsg extends Op {
  readonly opcode = Opcode.RECVMSG
  readonly name = 'recvmsg'
  fd: FdLike
  buffers: readonly BufferLike[]
  flags = 0
  readonly controlSize: number
  readonly #msg = new Uint8Array(new ArrayBuffer(MSGHDR))
  readonly #name = new Uint8Array(new ArrayBuffer(SOCKADDR_STORAGE))
  readonly #control: Uint8Array
  constructor(fd: FdLike, buffers: readonly BufferLike[], options?: RecvmsgOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.buffers = buffers
    this.applyOptions(options, RECVMSG_KEYS)
    if (options?.flags !== undefined) this.flags = options.flags
    this.controlSize = options?.controlSize === undefined ? 0 : validateInteger(options.controlSize, 'options.controlSize', 0, MAX_CONTROL)
    this.#control = this.controlSize === 0 ? EMPTY : new Uint8Array(new ArrayBuffer(this.controlSize))
    check(this)
  }
  override get exclusive(): boolean {
    return true
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    encodeFd(s, at, this.fd, host)
    s[at + F.OP_FLAGS] = msgFlags(this.flags)
    const data = bufferList(this.buffers, 'buffers')
    s[at + F.BUF] = bufs.length
    bufs.push(this.#msg, data, this.#name, this.#control)
  }
  /** What the kernel wrote back (read before this op is pushed again). Throws a CqeError on failure. */
  decode(cqe: Cqe): RecvmsgResult {
    ownCqe(this, cqe)
    const bytes = resultOf(cqe, this.name)
    const v = new DataView(this.#msg.buffer)
    const namelen = v.getUint32(8, LE)
    const controllen = Number(v.getBigUint64(40, LE))
    return {
      bytes,
      address: decodeSockaddr(this.#name, namelen),
      control: decodeControl(this.#control, controllen),
      flags: v.getInt32(48, LE),
    }
  }
}

/** Options of recvmsgMultishot. */
export interface RecvmsgMultishotOptions extends NetOpOptions {
  /** MSG_* flags (recvmsg(2)); not MSG_WAITALL. */
  flags?: number
  /** Bytes kept for the sender's address in each buffer (0 to 128). Default 128. */
  nameSize?: number
  /** Bytes kept for control messages in each buffer. Default 0. */
  controlSize?: number
}

/** One message of a multishot recvmsg, read out of its provided buffer. */
export interface RecvmsgMultishotResult {
  /** The sender; undefined when the socket gives none or `nameSize` is 0. */
  address: SocketAddress | undefined
  control: ControlMessage[]
  /** The payload, a view of the provided buffer (valid until `buffer.release()`). */
  data: Uint8Array
  /** The payload did not fit the buffer (its full length was `payloadLength`). */
  truncated: boolean
  payloadLength: number
  /** msg_flags of this message (MSG_TRUNC, MSG_CTRUNC, ...). */
  flags: number
  /** The provided buffer: release it when done. */
  buffer: ProvidedBuffer
}

const RECVMSG_MULTI_KEYS = keys('flags', 'nameSize', 'controlSize')
/** sizeof(struct io_uring_recvmsg_out). */
const RECVMSG_OUT = 16

/**
 * IORING_OP_RECVMSG with IORING_RECV_MULTISHOT (6.0): one CQE per message, each in a buffer of
 * `group` laid out as an io_uring_recvmsg_out header, the name (`nameSize` bytes), the control
 * messages (`controlSize` bytes), then the payload; `decode` reads it. Ends like recvMultishot.
 * Words: FD, FX_GROUP (BUF the group), OP_FLAGS MSG_* flags, AUX 1, OFF_LO the batch index of the
 * op's msghdr, BUF_OFF nameSize, LEN controlSize.
 */
export class RecvmsgMultishot extends Op {
  readonly opcode = Opcode.RECVMSG
  readonly name = 'recvmsg'
  fd: FdLike
  group: BufferGroup
  flags = 0
  readonly nameSize: number
  readonly controlSize: number
  readonly #msg = new Uint8Array(new ArrayBuffer(MSGHDR))
  constructor(fd: FdLike, group: BufferGroup, options?: RecvmsgMultishotOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.group = checkGroup(group)
    this.applyOptions(options, RECVMSG_MULTI_KEYS)
    if (options?.flags !== undefined) this.flags = options.flags
    this.nameSize = options?.nameSize === undefined ? SOCKADDR_STORAGE : validateInteger(options.nameSize, 'options.nameSize', 0, SOCKADDR_STORAGE)
    this.controlSize = options?.controlSize === undefined ? 0 : validateInteger(options.controlSize, 'options.controlSize', 0, MAX_CONTROL)
    check(this)
  }
  override get exclusive(): boolean {
    return true
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    noIoprio(this)
    needKernel('6.0', 'multishot recvmsg (IORING_RECV_MULTISHOT)')
    encodeFd(s, at, this.fd, host)
    const flags = msgFlags(this.flags)
    if ((flags & MSG_WAITALL) !== 0) throw new UringError('ERR_INVALID_ARG_VALUE', 'a multishot recvmsg cannot use MSG_WAITALL')
    s[at + F.OP_FLAGS] = flags
    const g = checkGroup(this.group)
    const head = RECVMSG_OUT + this.nameSize + this.controlSize
    if (head >= g.size) {
      throw outOfRange('group.size', `> ${head} (the 16-byte header, nameSize ${this.nameSize} and controlSize ${this.controlSize}) to leave room for data`, g.size)
    }
    encodeGroup(s, at, g, host)
    s[at + F.BUF_OFF] = this.nameSize
    s[at + F.LEN] = this.controlSize
    s[at + F.AUX] = 1
    s[at + F.OFF_LO] = bufs.length
    bufs.push(this.#msg)
  }
  /** The message in this CQE's buffer. Throws a CqeError (`ENOBUFS`, ...) on failure. */
  decode(cqe: Cqe): RecvmsgMultishotResult {
    ownCqe(this, cqe)
    resultOf(cqe, this.name)
    const buffer = this.group.take(cqe)
    const b = buffer.bytes
    if (b.length < RECVMSG_OUT + this.nameSize + this.controlSize) {
      throw new UringError('ERR_INVALID_ARG_VALUE', `this CQE's buffer (${b.length} bytes) holds no recvmsg header`)
    }
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
    const namelen = v.getUint32(0, LE)
    const controllen = v.getUint32(4, LE)
    const payloadLength = v.getUint32(8, LE)
    const name = b.subarray(RECVMSG_OUT, RECVMSG_OUT + this.nameSize)
    const control = b.subarray(RECVMSG_OUT + this.nameSize, RECVMSG_OUT + this.nameSize + this.controlSize)
    const data = b.subarray(RECVMSG_OUT + this.nameSize + this.controlSize)
    return {
      address: decodeSockaddr(name, Math.min(namelen, this.nameSize)),
      control: decodeControl(control, controllen),
      data,
      truncated: payloadLength > data.length,
      payloadLength,
      flags: v.getInt32(12, LE),
      buffer,
    }
  }
}

// ---- socket commands (IORING_OP_URING_CMD on a socket) ----------------------------------------

const SOCKET_CMD_KIND = 1
const SIOCINQ = 0
const SIOCOUTQ = 1
const GETSOCKOPT = 2
const SETSOCKOPT = 3

/** Stages a socket command: FD, OFF_HI the socket-command kind (1), OFF_LO the SOCKET_URING_OP_*. */
function encodeCmd(o: Op, s: Float64Array, at: number, fd: FdLike, cmd: number, host: RegistrarHost | undefined): void {
  noIoprio(o)
  needKernel('6.7', 'socket commands (IORING_OP_URING_CMD on a socket)')
  encodeFd(s, at, fd, host)
  s[at + F.OFF_HI] = SOCKET_CMD_KIND
  s[at + F.OFF_LO] = cmd
}

/** The queue a socket ioctl command measures. */
export type SocketQueue = 'siocinq' | 'siocoutq'

/**
 * IORING_OP_URING_CMD SOCKET_URING_OP_SIOCINQ / SIOCOUTQ (6.7): the bytes waiting in the
 * socket's receive queue (unread) or send queue (unsent or unacknowledged); `res` is the count.
 * Words: FD, OFF_HI 1, OFF_LO 0 (SIOCINQ) or 1 (SIOCOUTQ).
 */
export class SocketIoctl extends Op {
  readonly opcode = Opcode.URING_CMD
  readonly name = 'uringCmd'
  fd: FdLike
  command: SocketQueue
  constructor(fd: FdLike, command: SocketQueue, options?: NetOpOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.command = command
    this.applyOptions(options, NET_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, _bufs: unknown[], host: RegistrarHost | undefined): void {
    if (this.command !== 'siocinq' && this.command !== 'siocoutq') throw badValue('command', "must be 'siocinq' or 'siocoutq'", this.command)
    encodeCmd(this, s, at, this.fd, this.command === 'siocinq' ? SIOCINQ : SIOCOUTQ, host)
  }
  /** The byte count. Throws a CqeError on failure. */
  decode(cqe: Cqe): number {
    ownCqe(this, cqe)
    return resultOf(cqe, this.name)
  }
}

/** The socket option a CQE of getsockopt read. */
export interface SockoptValue {
  /** The option's bytes (optlen of them; a copy). */
  bytes: Uint8Array
  /** The value as a native int when it is 4 bytes long (most SOL_SOCKET options), else undefined. */
  int: number | undefined
}

/**
 * IORING_OP_URING_CMD SOCKET_URING_OP_GETSOCKOPT (6.7): getsockopt(2) of `level` (the kernel
 * serves only SOL_SOCKET here; others give -EOPNOTSUPP) into the op's own `size`-byte buffer (one
 * in flight at a time); `res` is the option's length. Words: FD, OFF_HI 1, OFF_LO 2, AUX level,
 * OP_FLAGS optname, BUF the op's buffer, LEN optlen.
 */
export class GetSockOpt extends Op {
  readonly opcode = Opcode.URING_CMD
  readonly name = 'uringCmd'
  fd: FdLike
  level: number
  optname: number
  readonly size: number
  readonly #value: Uint8Array
  constructor(fd: FdLike, level: number, optname: number, size = 4, options?: NetOpOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.level = level
    this.optname = optname
    this.size = validateInteger(size, 'size', 1, 0x10000)
    this.#value = new Uint8Array(new ArrayBuffer(this.size))
    this.applyOptions(options, NET_KEYS)
    check(this)
  }
  override get exclusive(): boolean {
    return true
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeCmd(this, s, at, this.fd, GETSOCKOPT, host)
    s[at + F.AUX] = validateInteger(this.level, 'level', 0, 0x7fffffff)
    s[at + F.OP_FLAGS] = validateInteger(this.optname, 'optname', 0, 0x7fffffff)
    s[at + F.LEN] = this.size
    s[at + F.BUF] = bufs.length
    bufs.push(this.#value)
  }
  /** The option's bytes (and its int value when 4 bytes long). Throws a CqeError on failure. */
  decode(cqe: Cqe): SockoptValue {
    ownCqe(this, cqe)
    const n = Math.min(resultOf(cqe, this.name), this.size)
    const bytes = this.#value.slice(0, n)
    return { bytes, int: n === 4 ? new DataView(bytes.buffer).getInt32(0, LE) : undefined }
  }
}

/**
 * IORING_OP_URING_CMD SOCKET_URING_OP_SETSOCKOPT (6.7): setsockopt(2). `value` is bytes (copied
 * at each push) or a number (a native int, as most options take). Words: FD, OFF_HI 1, OFF_LO 3,
 * AUX level, OP_FLAGS optname, BUF a copy of the value, LEN its length.
 */
export class SetSockOpt extends Op {
  readonly opcode = Opcode.URING_CMD
  readonly name = 'uringCmd'
  fd: FdLike
  level: number
  optname: number
  value: BufferLike | number
  constructor(fd: FdLike, level: number, optname: number, value: BufferLike | number, options?: NetOpOptions) {
    super()
    this.fd = checkFdArg(fd)
    this.level = level
    this.optname = optname
    this.value = value
    this.applyOptions(options, NET_KEYS)
    check(this)
  }
  protected encodeFields(s: Float64Array, at: number, bufs: unknown[], host: RegistrarHost | undefined): void {
    encodeCmd(this, s, at, this.fd, SETSOCKOPT, host)
    s[at + F.AUX] = validateInteger(this.level, 'level', 0, 0x7fffffff)
    s[at + F.OP_FLAGS] = validateInteger(this.optname, 'optname', 0, 0x7fffffff)
    let bytes: Uint8Array
    if (typeof this.value === 'number') {
      bytes = new Uint8Array(4)
      new DataView(bytes.buffer).setInt32(0, validateInteger(this.value, 'value', -0x80000000, 0x7fffffff), LE)
    } else {
      const v = dataBuffer(this.value, 'value')
      bytes = (v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).slice()
      if (bytes.length > 0x10000) throw outOfRange('value.byteLength', '<= 65536', bytes.length)
    }
    s[at + F.LEN] = bytes.length
    s[at + F.BUF] = bufs.length
    bufs.push(bytes)
  }
}

// ---- the family's constructors ----------------------------------------------------------------

/** The net family's constructors (merged into `op`). */
export const netOps = {
  /** IORING_OP_SOCKET (5.19): socket(2); `direct: true` makes a direct descriptor. */
  socket: (domain: number, type: number, protocol = 0, options?: SocketOptions): Socket => new Socket(domain, type, protocol, options),
  /** IORING_OP_BIND (6.11): bind the socket to `address`. */
  bind: (fd: FdLike, address: SocketAddress, options?: NetOpOptions): Bind => new Bind(fd, address, options),
  /** IORING_OP_LISTEN (6.11): listen with `backlog`. */
  listen: (fd: FdLike, backlog: number, options?: NetOpOptions): Listen => new Listen(fd, backlog, options),
  /** IORING_OP_CONNECT (5.5): connect the socket to `address`. */
  connect: (fd: FdLike, address: SocketAddress, options?: NetOpOptions): Connect => new Connect(fd, address, options),
  /** IORING_OP_ACCEPT (5.5): one connection; `decode(cqe)` gives its fd and the peer's address. */
  accept: (fd: FdLike, options?: AcceptOptions): Accept => new Accept(fd, options),
  /** IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT (5.19): a CQE per connection while `cqe.more`. */
  acceptMultishot: (fd: FdLike, options?: AcceptMultishotOptions): AcceptMultishot => new AcceptMultishot(fd, options),
  /** IORING_OP_SEND (5.6): send `buffer`; sendto with `to` (6.1). */
  send: (fd: FdLike, buffer: BufferLike, options?: SendOptions): Send => new Send(fd, buffer, options),
  /** IORING_OP_SEND_ZC (6.0): zero-copy send; a notification CQE follows. */
  sendZc: (fd: FdLike, buffer: BufferLike, options?: SendZcOptions): SendZc => new SendZc(fd, buffer, options),
  /** IORING_OP_RECV (5.6): into `buffer`, or into a buffer the kernel picks from a BufferGroup. */
  recv: (fd: FdLike, buffer: BufferLike | BufferGroup, options?: RecvOptions): Recv => new Recv(fd, buffer, options),
  /** IORING_OP_RECV with IORING_RECV_MULTISHOT (6.0): a CQE per receive, buffers from `group`. */
  recvMultishot: (fd: FdLike, group: BufferGroup, options?: RecvMultishotOptions): RecvMultishot => new RecvMultishot(fd, group, options),
  /** IORING_OP_RECV with IORING_RECVSEND_BUNDLE (6.10): one CQE over several buffers of `group`. */
  recvBundle: (fd: FdLike, group: BufferGroup, options?: RecvBundleOptions): RecvBundle => new RecvBundle(fd, group, options),
  /** IORING_OP_SENDMSG (5.3): data buffers, optional destination and control messages. */
  sendmsg: (fd: FdLike, message: OutgoingMessage, options?: SendmsgOptions): Sendmsg => new Sendmsg(fd, message, options),
  /** IORING_OP_SENDMSG_ZC (6.1): zero-copy sendmsg; a notification CQE follows. */
  sendmsgZc: (fd: FdLike, message: OutgoingMessage, options?: SendmsgZcOptions): SendmsgZc => new SendmsgZc(fd, message, options),
  /** IORING_OP_RECVMSG (5.3): into `buffers`, with sender and control messages (`decode`). */
  recvmsg: (fd: FdLike, buffers: readonly BufferLike[], options?: RecvmsgOptions): Recvmsg => new Recvmsg(fd, buffers, options),
  /** IORING_OP_RECVMSG with IORING_RECV_MULTISHOT (6.0): a CQE per message, buffers from `group`. */
  recvmsgMultishot: (fd: FdLike, group: BufferGroup, options?: RecvmsgMultishotOptions): RecvmsgMultishot =>
    new RecvmsgMultishot(fd, group, options),
  /** IORING_OP_SHUTDOWN (5.11): shut down reading, writing or both. */
  shutdown: (fd: FdLike, how: ShutdownHow, options?: NetOpOptions): Shutdown => new Shutdown(fd, how, options),
  /** Socket commands (IORING_OP_URING_CMD on a socket, 6.7). */
  socketCmd: {
    /** SOCKET_URING_OP_SIOCINQ (6.7): unread bytes in the receive queue. */
    siocinq: (fd: FdLike, options?: NetOpOptions): SocketIoctl => new SocketIoctl(fd, 'siocinq', options),
    /** SOCKET_URING_OP_SIOCOUTQ (6.7): bytes in the send queue not yet acknowledged. */
    siocoutq: (fd: FdLike, options?: NetOpOptions): SocketIoctl => new SocketIoctl(fd, 'siocoutq', options),
    /** SOCKET_URING_OP_GETSOCKOPT (6.7): getsockopt(2) of SOL_SOCKET options into `size` bytes. */
    getsockopt: (fd: FdLike, level: number, optname: number, size = 4, options?: NetOpOptions): GetSockOpt =>
      new GetSockOpt(fd, level, optname, size, options),
    /** SOCKET_URING_OP_SETSOCKOPT (6.7): setsockopt(2) of bytes or a native int. */
    setsockopt: (fd: FdLike, level: number, optname: number, value: BufferLike | number, options?: NetOpOptions): SetSockOpt =>
      new SetSockOpt(fd, level, optname, value, options),
  },
} as const
