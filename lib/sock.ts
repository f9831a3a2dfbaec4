/**
 * Synchronous socket calls that io_uring has no op for on every supported kernel (getsockname,
 * getpeername; int setsockopt/getsockopt, which IORING_OP_URING_CMD has only from 6.7). Each is
 * one non-blocking syscall in the native addon. Failures throw Node-style SystemErrors (`code`,
 * negative `errno`, `syscall`). Used by `uring/net`.
 * @internal
 */
import { native } from './native'
import { SystemError } from './driver'
import { validateFd, validateInteger } from './errors'
import type { Ring } from './ring'
import { encodeSockaddr } from './ops-net'
import type { SocketAddress } from './ops-net'

/** A socket address: family 'IPv4' | 'IPv6' | 'unix' (a Unix socket's path is `address`, port 0). */
export interface SockAddress {
  family: string
  address: string
  port: number
  flowinfo: number
  scopeid: number
}

// Option levels and names of linux/socket.h, netinet/in.h, netinet/tcp.h (the same numbers on
// every architecture uring ships for: x86_64 and aarch64 use the asm-generic values).
export const SOL_SOCKET = 1
export const SO_REUSEADDR = 2
export const SO_BROADCAST = 6
export const SO_SNDBUF = 7
export const SO_RCVBUF = 8
export const SO_KEEPALIVE = 9
export const SO_REUSEPORT = 15
export const SO_ERROR = 4
export const IPPROTO_IP = 0
export const IPPROTO_TCP = 6
export const IPPROTO_IPV6 = 41
export const IP_TTL = 2
export const IP_MULTICAST_TTL = 33
export const IP_MULTICAST_LOOP = 34
export const IPV6_UNICAST_HOPS = 16
export const IPV6_MULTICAST_HOPS = 18
export const IPV6_MULTICAST_LOOP = 19
export const IPV6_V6ONLY = 26
export const TCP_NODELAY = 1
export const TCP_KEEPIDLE = 4
export const TCP_KEEPINTVL = 5
export const TCP_KEEPCNT = 6

function named(r: ReturnType<typeof native.sockName>, syscall: string): SockAddress {
  if (typeof r === 'number') throw new SystemError(r, syscall)
  return r
}

/** getsockname(2). */
export function getsockname(fd: number): SockAddress {
  return named(native.sockName(validateFd(fd)), 'getsockname')
}

/** getpeername(2). */
export function getpeername(fd: number): SockAddress {
  return named(native.peerName(validateFd(fd)), 'getpeername')
}

/** setsockopt(2) of an int option. */
export function setsockoptInt(fd: number, level: number, name: number, value: number): void {
  const r = native.setSockOptInt(
    validateFd(fd),
    validateInteger(level, 'level', 0, 0x7fffffff),
    validateInteger(name, 'name', 0, 0x7fffffff),
    validateInteger(value, 'value', -0x80000000, 0x7fffffff),
  )
  if (r < 0) throw new SystemError(r, 'setsockopt')
}

/** getsockopt(2) of an int option. */
export function getsockoptInt(fd: number, level: number, name: number): number {
  const r = native.getSockOptInt(validateFd(fd), validateInteger(level, 'level', 0, 0x7fffffff), validateInteger(name, 'name', 0, 0x7fffffff))
  if (typeof r === 'number') throw new SystemError(r, 'getsockopt')
  return r[0]
}

/**
 * socket(2), bind(2), listen(2) as synchronous calls: what `uring/net` uses where the kernel has
 * no IORING_OP_SOCKET (before 5.19) or IORING_OP_BIND/LISTEN (before 6.11). None of them blocks.
 */
export function socket(domain: number, type: number, protocol = 0): number {
  const r = native.socketSync(validateInteger(domain, 'domain', 0, 0x7fffffff), validateInteger(type, 'type', 0, 0x7fffffff), validateInteger(protocol, 'protocol', 0, 0x7fffffff))
  if (r < 0) throw new SystemError(r, 'socket')
  return r
}

/** bind(2) to a socket address of the net ops (`{ family: 'ipv4', address, port }`, ipv6, unix). */
export function bind(fd: number, address: SocketAddress): void {
  const r = native.bindSync(validateFd(fd), encodeSockaddr(address, 'address'))
  if (r < 0) throw new SystemError(r, 'bind')
}

/** listen(2). */
export function listen(fd: number, backlog: number): void {
  const r = native.listenSync(validateFd(fd), validateInteger(backlog, 'backlog', 0, 0x7fffffff))
  if (r < 0) throw new SystemError(r, 'listen')
}

/**
 * shutdown(2) (`how`: 0 SHUT_RD, 1 SHUT_WR, 2 SHUT_RDWR), synchronous: what `uring/net` uses where
 * the kernel has no IORING_OP_SHUTDOWN (before 5.11). It does not block.
 */
export function shutdown(fd: number, how: number): void {
  const r = native.shutdownSync(validateFd(fd), validateInteger(how, 'how', 0, 2))
  if (r < 0) throw new SystemError(r, 'shutdown')
}

// ---- handles and process lifetime ---------------------------------------------------------------

/**
 * Every open uring/net handle of this thread (TCP and Unix sockets and servers, UDP sockets), each
 * with its own ref()/unref(). They share the thread's default ring, which keeps the process alive
 * while it has ops in flight (a receiving socket or a listening server always has one).
 */
export const liveHandles = new Set<{ refed: boolean }>()
let unrefdHere = false

/**
 * After a handle opened, closed or changed its ref: the ring is unref'd when every live handle
 * is, and ref'd again only if it was unref'd here (so as not to undo the user's own unref()).
 */
export function updateRef(r: Ring): void {
  if (r.closed) return
  let any = false
  for (const h of liveHandles) if (h.refed) any = true
  if (liveHandles.size > 0 && !any) {
    r.unref()
    unrefdHere = true
  } else if (unrefdHere) {
    r.ref()
    unrefdHere = false
  }
}
