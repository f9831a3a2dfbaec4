/**
 * Ops of every result shape through ring.run / ring.stream, checked against the other end: a TCP
 * connection made, accepted, read and written with the driver while a Node socket is the peer
 * (completions that wait for the peer come through the poll handle), a zero-copy send (settled
 * by its notification), multishot accept as a stream, direct descriptors as RegisteredFd, and
 * io_uring's own pipe.
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as net from 'node:net'
import { AT_FDCWD, RegisteredFd, op } from '../index'
import type { Ring, SocketAddress } from '../index'
import { hasOp, kernelAtLeast, openFile, pattern, ring, testWhen, tmpFile, closeLater } from './_helpers'
import { delay, tracker } from './_driver'

const AF_INET = 2
const SOCK_STREAM = 1
const LOOPBACK: SocketAddress = { family: 'ipv4', address: '127.0.0.1', port: 0 }

const netTest = testWhen(hasOp('socket') && hasOp('bind') && hasOp('listen'), 'IORING_OP_SOCKET/BIND/LISTEN', '6.11')
const zcTest = testWhen(hasOp('bind') && hasOp('sendZc') && kernelAtLeast('6.2'), 'IORING_OP_SEND_ZC (and IORING_OP_BIND)', '6.11')
const acceptMultiTest = testWhen(hasOp('bind') && kernelAtLeast('5.19'), 'multishot accept (and IORING_OP_BIND)', '6.11')
const pipeTest = testWhen(hasOp('pipe'), 'IORING_OP_PIPE', '6.16')
const directTest = testWhen(kernelAtLeast('5.19'), 'direct descriptors in free slots (IORING_FILE_INDEX_ALLOC)', '5.19')

/** The local port of a socket, from the kernel's table. */
function localPort(fd: number): number {
  const ino = String(fs.fstatSync(fd).ino)
  for (const line of fs.readFileSync('/proc/self/net/tcp', 'utf8').split('\n').slice(1)) {
    const c = line.trim().split(/\s+/)
    if (c[9] === ino) return parseInt(c[1].split(':')[1], 16)
  }
  throw new Error(`socket ${fd} is not in /proc/self/net/tcp`)
}

/** A listening TCP socket on 127.0.0.1 made with the driver, and its port. */
async function listener(t: ExecutionContext, r: Ring): Promise<{ fd: number; port: number }> {
  const fd = closeLater(t, (await r.run(op.socket(AF_INET, SOCK_STREAM))) as number)
  t.is(await r.run(op.bind(fd, LOOPBACK)), 0)
  t.is(await r.run(op.listen(fd, 16)), 0)
  return { fd, port: localPort(fd) }
}

function client(t: ExecutionContext, port: number): net.Socket {
  const c = net.connect({ port, host: '127.0.0.1', noDelay: true })
  c.on('error', () => {})
  t.teardown(() => {
    c.destroy()
  })
  return c
}

function received(s: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = []
    let have = 0
    s.on('data', (d: Buffer) => {
      parts.push(d)
      have += d.length
      if (have >= n) resolve(Buffer.concat(parts))
    })
  })
}

netTest('a TCP connection driven by ring.run: accept waits for the peer, recv for its bytes, send reaches it', async (t) => {
  const r = ring(t)
  const { fd, port } = await listener(t, r)
  const w0 = r.stats.wakeups
  const accepting = tracker(r.run(op.accept(fd)))
  await r.run(op.nop())
  t.false(accepting.settled(), 'no peer yet')
  const c = client(t, port)
  const { fd: conn, address } = await accepting.promise
  closeLater(t, conn as number)
  t.is(address?.family, 'ipv4')
  t.is<unknown, unknown>((address as { port: number }).port, c.localPort, 'the peer address is the Node socket\'s')
  // recv waits for the peer.
  const buf = Buffer.alloc(64)
  const receiving = tracker(r.run(op.recv(conn, buf)))
  await r.run(op.nop())
  t.false(receiving.settled())
  c.write('hello from node')
  const n = await receiving.promise
  t.is(buf.toString('latin1', 0, n), 'hello from node')
  t.true(r.stats.wakeups > w0, 'the waits ended through the event loop')
  // send: the peer gets it.
  const got = received(c, 16)
  t.is(await r.run(op.send(conn, Buffer.from('hello from uring'), {})), 16)
  t.is((await got).toString(), 'hello from uring')
  // The peer closes: recv resolves with 0.
  c.end()
  t.is(await r.run(op.recv(conn, buf)), 0)
  t.is(r.inFlight, 0)
})

zcTest('a zero-copy send through ring.run resolves with the byte count once the notification came', async (t) => {
  const r = ring(t)
  const { fd, port } = await listener(t, r)
  const c = client(t, port)
  const { fd: conn } = await r.run(op.accept(fd))
  closeLater(t, conn as number)
  const payload = pattern(100_000, 7)
  const got = received(c, payload.length)
  const zc = op.sendZc(conn, payload)
  const n = await r.run(zc)
  t.true(n > 0 && n <= payload.length, `bytes sent: ${n}`)
  t.is(zc.inFlight, 0, 'settled only with the notification (the buffer is free)')
  let sent = n
  while (sent < payload.length) sent += await r.run(op.sendZc(conn, payload.subarray(sent)))
  t.deepEqual(await got, payload)
})

acceptMultiTest('ring.stream(acceptMultishot): one fd per connection; break cancels the accept', async (t) => {
  const r = ring(t)
  const { fd, port } = await listener(t, r)
  const it = r.stream(op.acceptMultishot(fd))
  const first = tracker(it.next())
  await r.run(op.nop())
  t.false(first.settled(), 'no connection yet')
  const clients = [client(t, port), client(t, port), client(t, port)]
  await Promise.all(clients.map((c) => new Promise((res) => c.once('connect', res))))
  const fds: number[] = [closeLater(t, (await first.promise).value as number)]
  for await (const conn of it) {
    fds.push(closeLater(t, conn as number))
    if (fds.length === 3) break
  }
  const peers = fds.map((x) => remotePort(x)).sort()
  t.deepEqual(peers, clients.map((c) => c.localPort!).sort(), 'each accepted fd is one of the Node clients')
  for (let k = 0; k < 40 && r.inFlight > 0; k++) await delay(5)
  t.is(r.inFlight, 0, 'the multishot accept was cancelled')
})

/** The remote port of a connected socket, from the kernel's table. */
function remotePort(fd: number): number {
  const ino = String(fs.fstatSync(fd).ino)
  for (const line of fs.readFileSync('/proc/self/net/tcp', 'utf8').split('\n').slice(1)) {
    const c = line.trim().split(/\s+/)
    if (c[9] === ino) return parseInt(c[2].split(':')[1], 16)
  }
  throw new Error(`socket ${fd} is not in /proc/self/net/tcp`)
}

directTest('openat with direct: true resolves with a RegisteredFd that reads the file; close frees the slot', async (t) => {
  const file = tmpFile(t, 'direct bytes')
  const r = ring(t)
  r.registrar.reserveFiles(4)
  const h = await r.run(op.openat(AT_FDCWD, file, fs.constants.O_RDONLY, 0, { direct: true }))
  t.true(h instanceof RegisteredFd, String(h))
  const buf = Buffer.alloc(32)
  const n = await r.run(op.read(h as RegisteredFd, buf, 0))
  t.is(buf.toString('latin1', 0, n), 'direct bytes')
  t.is(await r.run(op.close(h as RegisteredFd)), 0)
  const e = (await t.throwsAsync(r.run(op.read(h as RegisteredFd, buf, 0)))) as { code?: string }
  t.is(e.code, 'ERR_URING_STALE_HANDLE', 'a closed direct descriptor is stale')
})

pipeTest('io_uring\'s own pipe through ring.run: a read waits on it until a write lands', async (t) => {
  const r = ring(t)
  const [rd, wr] = await r.run(op.pipe())
  closeLater(t, rd)
  closeLater(t, wr)
  const buf = Buffer.alloc(16)
  const reading = tracker(r.run(op.read(rd, buf, -1)))
  await r.run(op.nop())
  t.false(reading.settled())
  t.is(await r.run(op.write(wr, Buffer.from('through'), -1)), 7)
  t.is(await reading.promise, 7)
  t.is(buf.toString('latin1', 0, 7), 'through')
  // Writer closed: the next read gets EOF.
  fs.closeSync(wr)
  t.is(await r.run(op.read(rd, buf, -1)), 0)
})

test('a statx through ring.run decodes to a StatxResult matching fs.statSync', async (t) => {
  const file = tmpFile(t, 'twelve bytes')
  openFile(t, file, 'r')
  const r = ring(t)
  const st = await r.run(op.statx(AT_FDCWD, file))
  const ns = fs.statSync(file)
  t.is(st.size, 12)
  t.is(st.ino, ns.ino)
  t.is(st.mode, ns.mode)
})

netTest('a direct accept through ring.run resolves with { fd: RegisteredFd, address }, and the connection carries bytes', async (t) => {
  const r = ring(t)
  r.registrar.reserveFiles(4)
  const { fd, port } = await listener(t, r)
  const c = client(t, port)
  const got = new Promise<Buffer>((resolve) => c.once('data', resolve))
  const a = await r.run(op.accept(fd, { direct: true }))
  t.true(a.fd instanceof RegisteredFd, String(a.fd))
  t.is(a.address?.family, 'ipv4')
  const conn = a.fd as RegisteredFd
  t.is(await r.run(op.send(conn, Buffer.from('direct hello'))), 12)
  t.is((await got).toString(), 'direct hello')
  t.is(await r.run(op.close(conn)), 0)
})
