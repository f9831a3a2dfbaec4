/**
 * The net ops on real loopback sockets made with op.socket + op.bind/listen/connect. Every test
 * checks what the other end saw: bytes a Node socket received, the peer address Node reports,
 * the kernel's socket tables in /proc/self/net, fds passed over a unix socket, EOF after
 * shutdown. Waits are bounded (`timeoutMs`), so a missing completion fails instead of hanging.
 */
import test, { ExecutionContext } from 'ava'
import * as dgram from 'node:dgram'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { Accept, Cqe, Op, Ring, SocketAddress, op } from '../index'
import { hasOp, isCloexec, kernelAtLeast, kernelSocketName, pattern, ring, ringTables, run, tempDir, testWhen, throwsCode, closeLater } from './_helpers'

const AF_UNIX = 1
const AF_INET = 2
const AF_INET6 = 10
const SOCK_STREAM = 1
const SOCK_DGRAM = 2
const SOL_SOCKET = 1
const SO_SNDBUF = 7
const SO_RCVBUF = 8
const SCM_RIGHTS = 1
const IPPROTO_TCP = 6
const TCP_NODELAY = 1
const MSG_TRUNC = 0x20
const MSG_WAITALL = 0x100
const MSG_CMSG_CLOEXEC = 0x40000000
const E = os.constants.errno
const RANGE = 'ERR_OUT_OF_RANGE'
const TYPE = 'ERR_INVALID_ARG_TYPE'
const VALUE = 'ERR_INVALID_ARG_VALUE'
const LOOPBACK: SocketAddress = { family: 'ipv4', address: '127.0.0.1', port: 0 }

const bindTest = testWhen(hasOp('socket') && hasOp('bind') && hasOp('listen'), 'IORING_OP_SOCKET/BIND/LISTEN', '6.11')
const has6 = (() => {
  try {
    return /^0{31}1 /m.test(fs.readFileSync('/proc/net/if_inet6', 'utf8'))
  } catch {
    return false
  }
})()
const ipv6Test = has6 ? bindTest : testWhen(false, 'an IPv6 loopback (::1) on this machine', 'any')
const multishotTest = testWhen(hasOp('bind') && kernelAtLeast('6.0'), 'IORING_RECV_MULTISHOT (with IORING_OP_BIND)', '6.11')
const zcTest = testWhen(hasOp('bind') && hasOp('sendZc') && hasOp('sendmsgZc') && kernelAtLeast('6.2'), 'IORING_OP_SEND_ZC/SENDMSG_ZC with REPORT_USAGE (and IORING_OP_BIND)', '6.11')
const cmdTest = testWhen(hasOp('bind') && hasOp('uringCmd') && kernelAtLeast('6.7'), 'socket commands of IORING_OP_URING_CMD (and IORING_OP_BIND)', '6.11')
const bundleOk = hasOp('bind') && kernelAtLeast('6.10') && (() => {
  const r = new Ring({ entries: 1 })
  try {
    return r.features.recvsendBundle
  } finally {
    r.close()
  }
})()
const bundleTest = testWhen(bundleOk, 'IORING_RECVSEND_BUNDLE (IORING_FEAT_RECVSEND_BUNDLE, with IORING_OP_BIND)', '6.11')

// ---- helpers ------------------------------------------------------------------------------------

/** A socket made by IORING_OP_SOCKET, closed when the test ends. */
function socket(t: ExecutionContext, r: Ring, domain: number, type: number): number {
  const [c] = run(r, op.socket(domain, type, 0))
  if (c.res < 0) throw new Error(`socket failed: ${c.res}`)
  return closeLater(t, c.res)
}

/** A TCP listener on 127.0.0.1 (or `addr`) made with op.socket + op.bind + op.listen, and its port. */
function listener(t: ExecutionContext, r: Ring, addr: SocketAddress = LOOPBACK): { fd: number; port: number } {
  const fd = socket(t, r, addr.family === 'ipv6' ? AF_INET6 : AF_INET, SOCK_STREAM)
  // One after the other: a listen racing its bind (a bind can go async) would find it unbound.
  const cs = [...run(r, op.bind(fd, addr)), ...run(r, op.listen(fd, 16))]
  if (cs.some((c) => c.res !== 0)) throw new Error(`bind/listen failed: ${cs.map((c) => c.res)}`)
  return { fd, port: boundPort(fd) }
}

/** The kernel's view of an inet socket: its local and remote port and address from /proc/self/net/*. */
function procSocket(fd: number): { local: string; localPort: number; remotePort: number; table: string } {
  const ino = String(fs.fstatSync(fd).ino)
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    for (const line of fs.readFileSync(`/proc/self/net/${table}`, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/)
      if (c[9] !== ino) continue
      const [local, lport] = c[1].split(':')
      return { local, localPort: parseInt(lport, 16), remotePort: parseInt(c[2].split(':')[1], 16), table }
    }
  }
  throw new Error(`socket ${fd} (inode ${ino}) is in no /proc/self/net table`)
}

function boundPort(fd: number): number {
  return procSocket(fd).localPort
}

/** A Node client connected to `port`, destroyed when the test ends. */
async function nodeClient(t: ExecutionContext, port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const c = net.connect({ port, host, noDelay: true })
  c.on('error', () => {}) // a reset at teardown is fine
  t.teardown(() => {
    c.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    c.once('error', reject)
    c.once('connect', () => resolve())
  })
  return c
}

/** The first `n` bytes a Node socket receives. */
function received(s: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = []
    let have = 0
    const on = (d: Buffer): void => {
      parts.push(d)
      have += d.length
      if (have >= n) {
        s.off('data', on)
        resolve(Buffer.concat(parts))
      }
    }
    s.on('data', on)
  })
}

function write(s: net.Socket, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => s.write(data, (e) => (e ? reject(e) : resolve())))
}

/** Pushes `o`, submits, and waits (bounded) until `n` CQEs are ready; returns them. */
function pushWait(r: Ring, o: Op | undefined, n: number, timeoutMs = 2000): Cqe[] {
  if (o) r.sq.push(o)
  r.sq.submit()
  return r.cq.wait(n, { timeoutMs })
}

const v4 = (port: number): SocketAddress => ({ family: 'ipv4', address: '127.0.0.1', port })

// ---- addresses: bad input -----------------------------------------------------------------------

const badAddresses: Array<[string, unknown, string]> = [
  ['not an object', '127.0.0.1:80', TYPE],
  ['null', null, TYPE],
  ['family unknown', { family: 'ipx', address: '1.2.3.4', port: 1 }, VALUE],
  ['family missing', { address: '1.2.3.4', port: 1 }, VALUE],
  ['ipv4 text', { family: 'ipv4', address: '256.1.1.1', port: 1 }, VALUE],
  ['ipv4 given IPv6 text', { family: 'ipv4', address: '::1', port: 1 }, VALUE],
  ['ipv4 address not a string', { family: 'ipv4', address: 0x7f000001, port: 1 }, TYPE],
  ['ipv6 text', { family: 'ipv6', address: '1:::2', port: 1 }, VALUE],
  ['ipv6 with a %zone', { family: 'ipv6', address: 'fe80::1%lo', port: 1 }, VALUE],
  ['port -1', { family: 'ipv4', address: '127.0.0.1', port: -1 }, RANGE],
  ['port 65536', { family: 'ipv4', address: '127.0.0.1', port: 65536 }, RANGE],
  ['port 1.5', { family: 'ipv4', address: '127.0.0.1', port: 1.5 }, RANGE],
  ['port missing', { family: 'ipv4', address: '127.0.0.1' }, TYPE],
  ['flowinfo 2^32', { family: 'ipv6', address: '::1', port: 1, flowinfo: 2 ** 32 }, RANGE],
  ['unknown key', { family: 'ipv4', address: '127.0.0.1', port: 1, host: 'x' }, 'ERR_URING_UNKNOWN_OPTION'],
  ['unix path of 108 bytes', { family: 'unix', path: '/' + 'x'.repeat(107) }, RANGE],
  ['abstract name of 108 bytes after the NUL', { family: 'unix', path: '\0' + 'x'.repeat(108) }, RANGE],
  ['unix path with a NUL inside', { family: 'unix', path: '/tmp/a\0b' }, VALUE],
  ['unix path not a string', { family: 'unix', path: Buffer.from('/tmp/x') }, TYPE],
]

for (const [what, addr, code] of badAddresses) {
  test(`address ${what}: bind, connect and sendto throw ${code}`, (t) => {
    throwsCode(t, () => op.bind(3, addr as SocketAddress), code, 'bind')
    throwsCode(t, () => op.connect(3, addr as SocketAddress), code, 'connect')
    throwsCode(t, () => op.send(3, Buffer.alloc(1), { to: addr as SocketAddress }), code, 'send to')
    throwsCode(t, () => op.sendmsg(3, { buffers: [Buffer.alloc(1)], to: addr as SocketAddress }), code, 'sendmsg to')
  })
}

test('addresses at the limits encode: a 107-byte path, a 107-byte abstract name, port 65535, IPv6 forms', (t) => {
  t.notThrows(() => op.bind(3, { family: 'unix', path: '/' + 'x'.repeat(106) }))
  t.notThrows(() => op.bind(3, { family: 'unix', path: '\0' + 'x'.repeat(107) }))
  t.notThrows(() => op.bind(3, { family: 'unix', path: '' }))
  t.notThrows(() => op.connect(3, { family: 'ipv4', address: '0.0.0.0', port: 65535 }))
  for (const a of ['::', '::1', 'fe80::1', '::ffff:10.0.0.1', '2001:db8:0:0:1:0:0:1', '1:2:3:4:5:6:7:8']) {
    t.notThrows(() => op.connect(3, { family: 'ipv6', address: a, port: 1, flowinfo: 5, scopeId: 2 }), a)
  }
})

bindTest('an address changed after the op was made is checked again at push; the op keeps its own copy', (t) => {
  const r = ring(t, { entries: 8 })
  const o = op.bind(3, LOOPBACK)
  o.address = { family: 'ipv4', address: 'localhost', port: 0 }
  throwsCode(t, () => r.sq.push(o), VALUE)
  t.is(r.sq.pending, 0, 'nothing staged')
  // The address is encoded afresh at push: mutating the object afterwards changes nothing staged.
  const fd = socket(t, r, AF_INET, SOCK_STREAM)
  const addr = { family: 'ipv4' as const, address: '127.0.0.1', port: 0 }
  r.sq.push(op.bind(fd, addr))
  addr.address = '10.255.255.1' // not a local address: binding to it would fail with EADDRNOTAVAIL
  r.sq.submitAndWait(1, { timeoutMs: 2000 })
  t.deepEqual(r.cq.drain().map((c) => c.res), [0])
  t.is(run(r, op.listen(fd, 1))[0].res, 0)
  t.is(procSocket(fd).local, '0100007F', 'bound to the address as it was at push')
})

// ---- TCP over IPv4 -------------------------------------------------------------------------------

bindTest('bind + listen + accept: the peer address is the Node client; send/recv bytes; shutdown gives the peer EOF', async (t) => {
  const r = ring(t, { entries: 8 })
  const { fd, port } = listener(t, r)
  t.is(procSocket(fd).local, '0100007F', 'the kernel lists the socket bound to 127.0.0.1')
  t.true(port > 0)
  const client = await nodeClient(t, port)
  const acc = op.accept(fd)
  const [c] = run(r, acc)
  const { fd: conn, address } = acc.decode(c)
  closeLater(t, conn)
  t.deepEqual(address, { family: 'ipv4', address: '127.0.0.1', port: client.localPort })
  t.is(procSocket(conn).remotePort, client.localPort!, 'the accepted socket is connected to the client')

  const out = pattern(3000, 1)
  const got = received(client, out.length)
  t.is(run(r, op.send(conn, out))[0].res, out.length)
  t.deepEqual(await got, out, 'the client received exactly the bytes sent')

  await write(client, 'from node')
  const buf = Buffer.alloc(64)
  const [rc] = run(r, op.recv(conn, buf))
  t.is(buf.toString('utf8', 0, rc.res), 'from node')

  const ended = new Promise<string>((resolve) => client.once('end', () => resolve('end')))
  t.is(run(r, op.shutdown(conn, 'write'))[0].res, 0)
  t.is(await ended, 'end', 'the client read EOF')
  t.is(run(r, op.send(conn, Buffer.from('x')))[0].res, -E.EPIPE, 'sending after shutdown(write) is EPIPE')
})

bindTest('connect reaches a Node server, which sees our port; sendmsg gathers buffers; a closed port is ECONNREFUSED', async (t) => {
  const r = ring(t, { entries: 8 })
  const server = net.createServer()
  t.teardown(() => {
    server.close()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const conn = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
  const fd = socket(t, r, AF_INET, SOCK_STREAM)
  t.is(run(r, op.connect(fd, v4((server.address() as net.AddressInfo).port)))[0].res, 0)
  const peer = await conn
  t.teardown(() => {
    peer.destroy()
  })
  t.is(peer.remoteAddress, '127.0.0.1')
  t.is(peer.remotePort, procSocket(fd).localPort, 'Node sees the port the kernel gave our socket')
  const got = received(peer, 11)
  t.is(run(r, op.sendmsg(fd, { buffers: [Buffer.from('hello'), Buffer.from(' '), Buffer.from('world')] }))[0].res, 11)
  t.is((await got).toString(), 'hello world')

  // A port nobody listens on: bind and listen, learn the port, close, then connect there.
  const { fd: gone, port } = listener(t, r)
  fs.closeSync(gone)
  const other = socket(t, r, AF_INET, SOCK_STREAM)
  t.is(run(r, op.connect(other, v4(port)))[0].res, -E.ECONNREFUSED)
})

ipv6Test('IPv6: bind ::1, accept decodes the Node client as ::1 with its port; a dual-stack listener sees ::ffff:127.0.0.1', async (t) => {
  const r = ring(t, { entries: 8 })
  const { fd, port } = listener(t, r, { family: 'ipv6', address: '::1', port: 0 })
  t.is(procSocket(fd).table, 'tcp6')
  const client = await nodeClient(t, port, '::1')
  const acc = op.accept(fd)
  const [c] = run(r, acc)
  const res = acc.decode(c)
  closeLater(t, res.fd)
  t.deepEqual(res.address, { family: 'ipv6', address: '::1', port: client.localPort, flowinfo: 0, scopeId: 0 })

  const any = listener(t, r, { family: 'ipv6', address: '::', port: 0 })
  const v4client = await nodeClient(t, any.port, '127.0.0.1')
  const acc2 = op.accept(any.fd)
  const [c2] = run(r, acc2)
  const res2 = acc2.decode(c2)
  closeLater(t, res2.fd)
  t.deepEqual(res2.address, { family: 'ipv6', address: '::ffff:127.0.0.1', port: v4client.localPort, flowinfo: 0, scopeId: 0 })
})

bindTest('one Accept is in flight at most once (it owns the address memory); a decode of another op\'s CQE is refused', (t) => {
  const r = ring(t, { entries: 8 })
  const { fd } = listener(t, r)
  const acc = op.accept(fd, { flags: 0o2000000 })
  t.true(acc.exclusive)
  r.sq.push(acc)
  throwsCode(t, () => r.sq.push(acc), 'ERR_URING_OP_IN_FLIGHT')
  r.sq.submit()
  const [nop] = run(r, op.nop())
  throwsCode(t, () => acc.decode(nop), VALUE)
  throwsCode(t, () => op.accept(fd, { flags: 1 }), VALUE, 'a flag other than SOCK_NONBLOCK/SOCK_CLOEXEC')
})

// ---- accept: multishot and direct ----------------------------------------------------------------

bindTest('acceptMultishot: three connections, three CQEs with more, each connected to its client; ends when the listener shuts down', async (t) => {
  const r = ring(t, { entries: 8 })
  const { fd, port } = listener(t, r)
  const am = op.acceptMultishot(fd)
  r.sq.push(am)
  r.sq.submit()
  const clients = []
  for (let i = 0; i < 3; i++) clients.push(await nodeClient(t, port))
  const cs = r.cq.wait(3, { timeoutMs: 2000 })
  t.is(cs.length, 3)
  t.true(cs.every((c) => c.more && c.op === am && c.res >= 0), 'each CQE has a connection and says more will come')
  const peers = cs.map((c) => procSocket(closeLater(t, c.res)).remotePort).sort()
  t.deepEqual(peers, clients.map((c) => c.localPort).sort(), 'one accepted socket per client')
  t.is(am.inFlight, 1, 'still armed')
  // Shutting the listener down ends the multishot with a final CQE (no more).
  const end = pushWait(r, op.shutdown(fd, 'read'), 2)
  const last = end.find((c) => c.op === am)
  t.truthy(last)
  t.false(last!.more)
  t.true(last!.res < 0, `the final CQE is an error (${last!.res})`)
  t.is(am.inFlight, 0)
})

bindTest('acceptMultishot direct: slots until the table is full (-ENFILE ends it), then a re-armed op accepts again', async (t) => {
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(2)
  const { fd, port } = listener(t, r)
  const am = op.acceptMultishot(fd, { direct: true })
  r.sq.push(am)
  r.sq.submit()
  const clients = []
  for (let i = 0; i < 3; i++) clients.push(await nodeClient(t, port))
  const cs = r.cq.wait(3, { timeoutMs: 2000 })
  t.deepEqual(cs.map((c) => [c.res >= 0, c.more]), [[true, true], [true, true], [false, false]])
  t.is(cs[2].res, -E.ENFILE, 'the third connection found no free slot: the multishot ends')
  const handles = cs.slice(0, 2).map((c) => r.registrar.directFd(c))
  t.deepEqual(handles.map((h) => h.index).sort(), [0, 1])
  const tb = ringTables(r)
  if (tb !== undefined) t.regex(tb.files.get(handles[0].index) ?? '(empty)', kernelSocketName('TCP'), 'the kernel table has a socket in the slot')
  // Which client each slot holds: send its slot number and see who gets it.
  const gots = clients.slice(0, 2).map((c) => received(c, 1))
  for (const h of handles) t.is(run(r, op.send(h, Buffer.from([h.index])))[0].res, 1)
  t.deepEqual((await Promise.all(gots)).map((b) => b[0]).sort(), [0, 1], 'each of the first two clients got a byte over its direct descriptor')

  t.is(run(r, op.close(handles[0]))[0].res, 0)
  r.sq.push(am) // re-arm the same op
  r.sq.submit()
  await nodeClient(t, port)
  const [again] = r.cq.wait(1, { timeoutMs: 2000 })
  t.is(again.op, am)
  t.true(again.more)
  t.is(again.res, handles[0].index, 'the re-armed multishot put the new connection in the freed slot')
})

bindTest('a direct accept over TCP: the connection is a RegisteredFd; recv through it gets the client\'s bytes', async (t) => {
  const r = ring(t, { entries: 8 })
  r.registrar.reserveFiles(4)
  const { fd, port } = listener(t, r)
  const client = await nodeClient(t, port)
  const acc = op.accept(fd, { direct: true })
  const [c] = run(r, acc)
  const h = r.registrar.directFd(c)
  t.deepEqual(acc.decode(c), { fd: h.index, address: v4(client.localPort!) })
  await write(client, 'over a direct descriptor')
  const buf = Buffer.alloc(64)
  const [rc] = run(r, op.recv(h, buf))
  t.is(buf.toString('utf8', 0, rc.res), 'over a direct descriptor')
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()))
  t.is(run(r, op.shutdown(h, 'both'))[0].res, 0)
  await ended
  t.pass('the client saw EOF after shutdown through the handle')
})

// ---- UDP ------------------------------------------------------------------------------------------

bindTest('UDP: sendto keeps datagram boundaries; recvmsg names the sender and says MSG_TRUNC on a short buffer', (t) => {
  const r = ring(t, { entries: 8 })
  const a = socket(t, r, AF_INET, SOCK_DGRAM)
  const b = socket(t, r, AF_INET, SOCK_DGRAM)
  t.deepEqual(run(r, op.bind(a, LOOPBACK), op.bind(b, LOOPBACK)).map((c) => c.res), [0, 0])
  const pa = boundPort(a)
  const pb = boundPort(b)
  const sends = run(r, op.send(b, Buffer.from('first'), { to: v4(pa) }), op.send(b, Buffer.from('second datagram'), { to: v4(pa) }))
  t.deepEqual(sends.map((c) => c.res).sort(), [15, 5].sort())
  // Two datagrams, two receives: one each, never merged.
  const buf = Buffer.alloc(64)
  const rm = op.recvmsg(a, [buf])
  const [c1] = run(r, rm)
  const first = rm.decode(c1)
  t.deepEqual(first.address, v4(pb), 'the sender is socket b')
  const one = buf.toString('utf8', 0, first.bytes)
  t.true(one === 'first' || one === 'second datagram', one)
  const short = Buffer.alloc(4)
  const rm2 = op.recvmsg(a, [short])
  const [c2] = run(r, rm2)
  const second = rm2.decode(c2)
  t.is(second.bytes, 4)
  t.true((second.flags & MSG_TRUNC) !== 0, 'a datagram larger than the buffer says MSG_TRUNC')
  t.is(short.toString(), (one === 'first' ? 'second datagram' : 'first').slice(0, 4))
})

bindTest('recvmsg scatters into several buffers; recv of a connected UDP socket after connect', (t) => {
  const r = ring(t, { entries: 8 })
  const a = socket(t, r, AF_INET, SOCK_DGRAM)
  const b = socket(t, r, AF_INET, SOCK_DGRAM)
  run(r, op.bind(a, LOOPBACK))
  const pa = boundPort(a)
  t.is(run(r, op.connect(b, v4(pa)))[0].res, 0)
  t.is(run(r, op.send(b, Buffer.from('abcdefghij')))[0].res, 10)
  const x = Buffer.alloc(3)
  const y = Buffer.alloc(3)
  const z = Buffer.alloc(10)
  const rm = op.recvmsg(a, [x, y, z])
  const [c] = run(r, rm)
  const res = rm.decode(c)
  t.is(res.bytes, 10)
  t.deepEqual([x.toString(), y.toString(), z.toString('utf8', 0, 4)], ['abc', 'def', 'ghij'])
  t.deepEqual(res.address, v4(boundPort(b)), 'the kernel auto-bound b on connect and names it')
})

// ---- unix sockets: paths, abstract names, SCM_RIGHTS ---------------------------------------------

bindTest('unix: bind a path (a socket file appears), connect from an abstract-named client; accept decodes its name', (t) => {
  const r = ring(t, { entries: 8 })
  const file = path.join(tempDir(t), 'sock')
  const srv = socket(t, r, AF_UNIX, SOCK_STREAM)
  t.is(run(r, op.bind(srv, { family: 'unix', path: file }))[0].res, 0)
  t.is(run(r, op.listen(srv, 4))[0].res, 0)
  t.true(fs.statSync(file).isSocket(), 'bind made a socket file')
  const name = `\0uring-net-client-${process.pid}`
  const cli = socket(t, r, AF_UNIX, SOCK_STREAM)
  t.is(run(r, op.bind(cli, { family: 'unix', path: name }))[0].res, 0)
  t.true(fs.readFileSync('/proc/net/unix', 'utf8').includes(`@${name.slice(1)}`), 'the kernel lists the abstract name')
  const acc = op.accept(srv)
  r.sq.push(acc)
  r.sq.push(op.connect(cli, { family: 'unix', path: file }))
  r.sq.submitAndWait(2, { timeoutMs: 2000 })
  const cs = r.cq.drain()
  t.deepEqual(cs.map((c) => c.res >= 0), [true, true])
  const res = acc.decode(cs.find((c) => c.op === acc)!)
  closeLater(t, res.fd)
  t.deepEqual(res.address, { family: 'unix', path: name })
})

bindTest('SCM_RIGHTS over a unix pair on an abstract address: the fd arrives (MSG_CMSG_CLOEXEC) and reads the file', (t) => {
  const r = ring(t, { entries: 8 })
  const name = `\0uring-net-rights-${process.pid}`
  const srv = socket(t, r, AF_UNIX, SOCK_STREAM)
  t.is(run(r, op.bind(srv, { family: 'unix', path: name }))[0].res, 0)
  t.is(run(r, op.listen(srv, 4))[0].res, 0)
  const cli = socket(t, r, AF_UNIX, SOCK_STREAM)
  const acc = op.accept(srv)
  r.sq.push(acc)
  r.sq.push(op.connect(cli, { family: 'unix', path: name }))
  r.sq.submitAndWait(2, { timeoutMs: 2000 })
  const cs = r.cq.drain()
  const { fd: conn, address } = acc.decode(cs.find((c) => c.op === acc)!)
  closeLater(t, conn)
  t.deepEqual(address, { family: 'unix', path: '' }, 'an unnamed client')

  const file = path.join(tempDir(t), 'passed')
  fs.writeFileSync(file, 'passed over SCM_RIGHTS')
  const pass = closeLater(t, fs.openSync(file, 'r'))
  const fds = Buffer.alloc(4)
  fds.writeInt32LE(pass)
  const sm = op.sendmsg(cli, { buffers: [Buffer.from('fd')], control: [{ level: SOL_SOCKET, type: SCM_RIGHTS, data: fds }] })
  t.is(run(r, sm)[0].res, 2)
  const data = Buffer.alloc(8)
  const rm = op.recvmsg(conn, [data], { controlSize: 64, flags: MSG_CMSG_CLOEXEC })
  const res = rm.decode(run(r, rm)[0])
  t.is(res.bytes, 2)
  t.is(data.toString('utf8', 0, 2), 'fd')
  t.is(res.control.length, 1)
  t.deepEqual([res.control[0].level, res.control[0].type, res.control[0].data.length], [SOL_SOCKET, SCM_RIGHTS, 4])
  const got = closeLater(t, Buffer.from(res.control[0].data).readInt32LE(0))
  t.not(got, pass, 'a new fd in this process')
  t.is(fs.readlinkSync(`/proc/self/fd/${got}`), fs.realpathSync(file))
  t.true(isCloexec(got), 'MSG_CMSG_CLOEXEC')
  const back = Buffer.alloc(64)
  t.is(back.toString('utf8', 0, fs.readSync(got, back, 0, 64, 0)), 'passed over SCM_RIGHTS')
})

// ---- multishot recv / recvmsg, bundles -----------------------------------------------------------

multishotTest('recvMultishot over TCP: a CQE per buffer, -ENOBUFS ends it, a re-arm reads the rest, EOF ends it', async (t) => {
  const r = ring(t, { entries: 8 })
  const { fd, port } = listener(t, r)
  const client = await nodeClient(t, port)
  const acc = op.accept(fd)
  const conn = closeLater(t, acc.decode(run(r, acc)[0]).fd)
  const g = r.registrar.bufferGroup({ count: 2, size: 16 })
  const data = pattern(40, 3)
  await write(client, data)
  const rm = op.recvMultishot(conn, g)
  const cs = pushWait(r, rm, 3)
  t.deepEqual(cs.map((c) => [c.res, c.more]), [[16, true], [16, true], [-E.ENOBUFS, false]])
  throwsCode(t, () => rm.decode(cs[2]), 'ENOBUFS')
  const parts = cs.slice(0, 2).map((c) => rm.decode(c)!)
  t.deepEqual(Buffer.concat(parts.map((p) => Buffer.from(p.bytes))), data.subarray(0, 32))
  for (const p of parts) p.release()
  t.is(rm.inFlight, 0, 'the final CQE freed the op')
  const [rest] = pushWait(r, rm, 1) // re-arm the same op
  t.deepEqual([rest.res, rest.more], [8, true])
  const last = rm.decode(rest)!
  t.deepEqual(Buffer.from(last.bytes), data.subarray(32))
  last.release()
  await new Promise<void>((resolve) => client.end(() => resolve()))
  const [eof] = r.cq.wait(1, { timeoutMs: 2000 })
  t.deepEqual([eof.res, eof.more], [0, false], 'EOF ends the multishot')
  t.is(rm.decode(eof), undefined)
})

multishotTest('recvmsgMultishot over UDP: a CQE per datagram with its sender; -ENOBUFS ends it; the re-arm gets the rest', (t) => {
  const r = ring(t, { entries: 16 })
  const a = socket(t, r, AF_INET, SOCK_DGRAM)
  const b = socket(t, r, AF_INET, SOCK_DGRAM)
  run(r, op.bind(a, LOOPBACK), op.bind(b, LOOPBACK))
  const pa = boundPort(a)
  const pb = boundPort(b)
  const g = r.registrar.bufferGroup({ count: 3, size: 256 })
  const rm = op.recvmsgMultishot(a, g)
  r.sq.push(rm)
  r.sq.submit()
  const msgs = ['d1', 'd22', 'd333', 'd4444']
  const mine: Cqe[] = []
  for (const m of msgs) {
    for (const c of pushWait(r, op.send(b, Buffer.from(m), { to: v4(pa) }), 1)) if (c.op === rm) mine.push(c)
  }
  for (let i = 0; i < 5 && !mine.some((c) => !c.more); i++) for (const c of r.cq.wait(1, { timeoutMs: 500 })) if (c.op === rm) mine.push(c)
  const shots = mine.filter((c) => c.more)
  t.is(shots.length, 3, 'one CQE per buffer of the group')
  const got = shots.map((c) => {
    const m = rm.decode(c)
    t.deepEqual(m.address, v4(pb), 'each message names its sender')
    t.false(m.truncated)
    const s = Buffer.from(m.data).toString()
    m.buffer.release()
    return s
  })
  t.deepEqual(got, msgs.slice(0, 3), 'datagrams arrive whole and in order')
  const final = mine.find((c) => !c.more)!
  t.is(final.res, -E.ENOBUFS)
  t.is(rm.inFlight, 0)
  const [again] = pushWait(r, rm, 1)
  const m4 = rm.decode(again)
  t.is(Buffer.from(m4.data).toString(), 'd4444', 'the re-armed op gets the datagram left in the queue')
  t.is(m4.payloadLength, 5)
  m4.buffer.release()
})

bundleTest('recvBundle: one CQE covers several buffers of the group; the bytes come back in order', async (t) => {
  const r = ring(t, { entries: 8 })
  const { fd, port } = listener(t, r)
  const client = await nodeClient(t, port)
  const acc = op.accept(fd)
  const conn = closeLater(t, acc.decode(run(r, acc)[0]).fd)
  const g = r.registrar.bufferGroup({ count: 8, size: 16 })
  const data = pattern(62, 9)
  await write(client, data)
  const rb = op.recvBundle(conn, g)
  const got: Buffer[] = []
  let most = 0
  for (let n = 0; n < 62 && got.length < 8; ) {
    const [c] = run(r, rb)
    const d = rb.decode(c)
    t.is(d.bufferIds.length, Math.ceil(c.res / 16))
    most = Math.max(most, d.bufferIds.length)
    got.push(Buffer.from(d.bytes))
    for (const b of [...d.buffers].reverse()) b.release() // back in reverse: the ring order is no longer by id
    n += c.res
  }
  t.deepEqual(Buffer.concat(got), data)
  t.true(most > 1, `a CQE covered ${most} buffers`)
  t.is(g.available, 8, 'every buffer of every bundle went back to the kernel')
  // Again, now that the ring order is no longer 0..7: the ids still name the right buffers.
  const more = pattern(100, 10)
  await write(client, more)
  const again: Buffer[] = []
  for (let n = 0; n < 100 && again.length < 10; ) {
    const [c] = run(r, rb)
    const d = rb.decode(c)
    again.push(Buffer.from(d.bytes))
    for (const b of d.buffers) b.release()
    n += c.res
  }
  t.deepEqual(Buffer.concat(again), more)
  t.is(g.available, 8)
})

// ---- zero-copy sends -------------------------------------------------------------------------------

zcTest('sendZc and sendmsgZc: the send CQE (more), then a notification; the slot is held until it; the peer gets the bytes', async (t) => {
  const r = ring(t, { entries: 8 })
  const { fd, port } = listener(t, r)
  const client = await nodeClient(t, port)
  const acc = op.accept(fd)
  const conn = closeLater(t, acc.decode(run(r, acc)[0]).fd)
  const payload = pattern(5000, 4)
  const got = received(client, 5000 + 6)
  const zc = op.sendZc(conn, payload, { reportUsage: true })
  r.sq.push(zc)
  r.sq.submitAndWait(2, { timeoutMs: 2000 })
  const first = r.cq.next()!
  t.true(first.more)
  t.false(first.notification)
  t.deepEqual(zc.decode(first), { notification: false, bytes: 5000 })
  t.is(zc.inFlight, 1, 'after the send CQE the op (and its buffer) is still held')
  const note = r.cq.next()!
  t.true(note.notification)
  t.false(note.more)
  t.deepEqual(zc.decode(note), { notification: true, copied: true }, 'loopback copies: the kernel says so')
  t.is(zc.inFlight, 0, 'the notification freed the op')
  const zm = op.sendmsgZc(conn, { buffers: [Buffer.from('zc'), Buffer.from('-msg')] })
  const cs = pushWait(r, zm, 2)
  t.deepEqual(cs.map((c) => [c.more, c.notification]), [[true, false], [false, true]])
  t.deepEqual(zm.decode(cs[0]), { notification: false, bytes: 6 })
  t.deepEqual(zm.decode(cs[1]), { notification: true, copied: undefined })
  const all = await got
  t.deepEqual(all.subarray(0, 5000), payload)
  t.is(all.subarray(5000).toString(), 'zc-msg')
})

// ---- socket commands --------------------------------------------------------------------------------

/** The fd under a Node dgram socket (its UDP handle), without the deprecated `_handle` getter. */
function dgramFd(s: dgram.Socket): number {
  const sym = Object.getOwnPropertySymbols(s).find((x) => x.description === 'state symbol')
  const fd = (s as unknown as Record<symbol, { handle: { fd: number } }>)[sym!].handle.fd
  if (!(Number.isInteger(fd) && fd >= 0)) throw new Error('no fd under the dgram socket')
  return fd
}

cmdTest('setsockopt / getsockopt: SO_RCVBUF reads back doubled, and Node\'s dgram socket reports the same', async (t) => {
  const r = ring(t, { entries: 8 })
  const s = dgram.createSocket('udp4')
  t.teardown(() => s.close())
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()))
  const fd = dgramFd(s)
  t.is(run(r, op.socketCmd.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 40000))[0].res, 0)
  const g = op.socketCmd.getsockopt(fd, SOL_SOCKET, SO_RCVBUF)
  const v = g.decode(run(r, g)[0])
  t.is(v.int, 80000, 'the kernel doubles SO_RCVBUF')
  t.is(v.int, s.getRecvBufferSize(), 'Node (getsockopt(2)) reads the same value')
  s.setSendBufferSize(30000)
  const g2 = op.socketCmd.getsockopt(fd, SOL_SOCKET, SO_SNDBUF, 8)
  const v2 = g2.decode(run(r, g2)[0])
  t.is(v2.bytes.length, 4, 'optlen comes back as the option\'s size')
  t.is(v2.int, s.getSendBufferSize())
  const bytes = Buffer.alloc(4)
  bytes.writeInt32LE(50000)
  t.is(run(r, op.socketCmd.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, bytes))[0].res, 0)
  t.is(s.getSendBufferSize(), 100000, 'a value given as bytes')
  const tcp = op.socketCmd.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY)
  throwsCode(t, () => tcp.decode(run(r, tcp)[0]), 'EOPNOTSUPP', 'getsockopt serves SOL_SOCKET only')
})

cmdTest('SIOCINQ counts the unread bytes (TCP: all of them; UDP: the first datagram); SIOCOUTQ is 0 once acked', async (t) => {
  const r = ring(t, { entries: 8 })
  const { fd, port } = listener(t, r)
  const client = await nodeClient(t, port)
  const acc = op.accept(fd)
  const conn = closeLater(t, acc.decode(run(r, acc)[0]).fd)
  await write(client, pattern(1234))
  const q = op.socketCmd.siocinq(conn)
  t.is(q.decode(run(r, q)[0]), 1234)
  t.is(run(r, op.recv(conn, Buffer.alloc(1000)))[0].res, 1000)
  t.is(run(r, q)[0].res, 234, 'reading lowers it')
  const oq = op.socketCmd.siocoutq(conn)
  t.is(oq.decode(run(r, oq)[0]), 0, 'nothing unsent or unacknowledged on an idle loopback connection')

  const a = socket(t, r, AF_INET, SOCK_DGRAM)
  const b = socket(t, r, AF_INET, SOCK_DGRAM)
  run(r, op.bind(a, LOOPBACK))
  run(r, op.send(b, Buffer.alloc(5), { to: v4(boundPort(a)) }), op.send(b, Buffer.alloc(9), { to: v4(boundPort(a)) }))
  t.is(run(r, op.socketCmd.siocinq(a))[0].res, 5, 'UDP: the size of the next datagram')
  t.is(run(r, op.socketCmd.siocinq(fd))[0].res, -E.EINVAL, 'a listening socket has no receive queue')
})

// ---- bad input ----------------------------------------------------------------------------------------

test('net ops refuse bad arguments with coded errors', (t) => {
  // Arguments are checked before the kernel: on a kernel without the op's variant a bad argument
  // still gets its own code (ERR_URING_OP_UNSUPPORTED only for a good op the kernel lacks).
  const group = new Ring({ entries: 1 })
  t.teardown(() => group.close())
  const g = group.registrar.bufferGroup({ count: 1, size: 64 })
  const legacy = group.registrar.bufferGroup({ count: 1, size: 64, legacy: true })
  const cases: Array<[string, () => unknown, string]> = [
    ['ioprio is not a net option', () => op.send(3, Buffer.alloc(1), { ioprio: 1 } as never), 'ERR_URING_UNKNOWN_OPTION'],
    ['ioprio set on the op', () => {
      const o = op.recv(3, Buffer.alloc(1))
      o.ioprio = 1
      group.sq.push(o)
    }, VALUE],
    ['listen backlog -1', () => op.listen(3, -1), RANGE],
    ['listen without a backlog', () => (op.listen as (fd: number) => unknown)(3), TYPE],
    ['shutdown how', () => op.shutdown(3, 'sideways' as never), VALUE],
    ['fd -1', () => op.connect(-1, LOOPBACK), RANGE],
    ['send a BufferGroup', () => op.send(3, g as never), TYPE],
    ['send bufferOffset past the end', () => op.send(3, Buffer.alloc(4), { bufferOffset: 5 }), RANGE],
    ['send flags 2^32', () => op.send(3, Buffer.alloc(1), { flags: 2 ** 32 }), RANGE],
    ['send reportUsage', () => op.send(3, Buffer.alloc(1), { reportUsage: true } as never), 'ERR_URING_UNKNOWN_OPTION'],
    ['recvMultishot into a buffer', () => op.recvMultishot(3, Buffer.alloc(4) as never), TYPE],
    ['recvMultishot MSG_WAITALL', () => op.recvMultishot(3, g, { flags: MSG_WAITALL }), VALUE],
    ['recvMultishot length past the buffer size', () => op.recvMultishot(3, g, { length: 65 }), RANGE],
    ['recvBundle on a legacy group', () => op.recvBundle(3, legacy), VALUE],
    ['recvmsgMultishot leaves no room for data', () => op.recvmsgMultishot(3, g, { nameSize: 48 }), RANGE],
    ['recvmsgMultishot nameSize 129', () => op.recvmsgMultishot(3, g, { nameSize: 129 }), RANGE],
    ['recvmsg no buffers', () => op.recvmsg(3, []), RANGE],
    ['recvmsg controlSize -1', () => op.recvmsg(3, [Buffer.alloc(1)], { controlSize: -1 }), RANGE],
    ['sendmsg buffers not an array', () => op.sendmsg(3, { buffers: Buffer.alloc(1) as never }), TYPE],
    ['sendmsg unknown message key', () => op.sendmsg(3, { buffers: [Buffer.alloc(1)], name: 'x' } as never), 'ERR_URING_UNKNOWN_OPTION'],
    ['sendmsg control message without data', () => op.sendmsg(3, { buffers: [Buffer.alloc(1)], control: [{ level: 1, type: 1 } as never] }), TYPE],
    ['getsockopt size 0', () => op.socketCmd.getsockopt(3, SOL_SOCKET, SO_RCVBUF, 0), RANGE],
    ['setsockopt value 2^31', () => op.socketCmd.setsockopt(3, SOL_SOCKET, SO_RCVBUF, 2 ** 31), RANGE],
    ['setsockopt value a string', () => op.socketCmd.setsockopt(3, SOL_SOCKET, SO_RCVBUF, '1' as never), TYPE],
    ['getsockopt level -1', () => op.socketCmd.getsockopt(3, -1, SO_RCVBUF), RANGE],
  ]
  for (const [what, fn, code] of cases) throwsCode(t, fn, code, what)
  // The same ops with good arguments, on a kernel without their variant: only then is it that.
  const lacking: Array<[string, string, () => unknown]> = [
    ['6.0', 'recvMultishot', () => op.recvMultishot(3, g)],
    ['6.1', 'send with to', () => op.send(3, Buffer.alloc(1), { to: LOOPBACK })],
    ['6.7', 'setsockopt', () => op.socketCmd.setsockopt(3, SOL_SOCKET, SO_RCVBUF, 1)],
  ]
  for (const [v, what, fn] of lacking) {
    if (kernelAtLeast(v)) t.notThrows(fn, what)
    else throwsCode(t, fn, 'ERR_URING_OP_UNSUPPORTED', what)
  }
})

bindTest('an op changed into something bad after it was made is refused at push; nothing is staged', (t) => {
  const r = ring(t, { entries: 8 })
  const s = op.shutdown(3, 'read')
  s.how = 'up' as never
  throwsCode(t, () => r.sq.push(s), VALUE)
  const l = op.listen(3, 1)
  l.backlog = 2 ** 31
  throwsCode(t, () => r.sq.push(l), RANGE)
  const a: Accept = op.accept(3)
  a.flags = 0x40
  throwsCode(t, () => r.sq.push(a), VALUE)
  const m = op.sendmsg(3, { buffers: [Buffer.alloc(1)] })
  m.to = { family: 'unix', path: 'x'.repeat(200) }
  throwsCode(t, () => r.sq.push(m), RANGE)
  t.is(r.sq.pending, 0)
  t.is(r.inFlight, 0)
})
