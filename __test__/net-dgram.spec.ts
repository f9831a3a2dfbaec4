/**
 * `uring/net` UDP (lib/net-dgram.ts) end to end on 127.0.0.1 and ::1: datagrams between two
 * uring sockets and between uring and node:dgram both ways, checked byte for byte with the
 * sender's address; connected sockets; many datagrams, large, empty and truncated ones; the
 * single-recvmsg receive path (what kernels before 6.0 use); close while receiving (nothing left
 * in flight, the process exits); and bad calls, whose errors are compared field by field with
 * what node:dgram throws for the same call.
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as dgram from 'node:dgram'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { once } from 'node:events'
import { spawnSync } from 'node:child_process'
import { createSocket, UdpSocket } from '../lib/net'
import type { RemoteInfo, SocketOptions } from '../lib/net'
import { ring as defaultRing } from '../lib/os'
import { op } from '../lib/ops'
import { hasOp, kernelAtLeast, pattern, skipNote, testWhen } from './_helpers'
import type { Impl } from './_helpers'

const netLib = path.join(__dirname, '..', 'lib', 'net.js')
const udpTest = testWhen(hasOp('socket') && hasOp('bind'), 'IORING_OP_SOCKET and IORING_OP_BIND', '6.11')
/** Serial tests run before the others: nothing else opens fds meanwhile. */
const serialUdpTest = (title: string, impl: Impl): void => {
  const ok = hasOp('socket') && hasOp('bind')
  ;(ok ? test.serial : test.skip)(title + skipNote(ok, 'IORING_OP_SOCKET and IORING_OP_BIND', '6.11'), impl)
}
const multishotTest = testWhen(hasOp('socket') && hasOp('bind') && kernelAtLeast('6.0'), 'multishot recvmsg (and IORING_OP_BIND)', '6.11')

/** Whether ::1 can be bound here (no IPv6 in some containers). */
const ipv6 = ((): boolean => {
  const r = spawnSync(process.execPath, ['-e', "const s=require('dgram').createSocket('udp6');s.on('error',()=>process.exit(1));s.bind(0,'::1',()=>{s.close();process.exit(0)})"], { timeout: 10000 })
  return r.status === 0
})()

type AnySocket = UdpSocket | dgram.Socket
interface Received {
  msg: Buffer
  rinfo: RemoteInfo
}

function uring(t: ExecutionContext, type: SocketOptions['type'] | SocketOptions = 'udp4'): UdpSocket {
  const s = createSocket(type)
  t.teardown(() => {
    try {
      s.close()
    } catch {
      // closed by the test
    }
  })
  return s
}

function node(t: ExecutionContext, type: 'udp4' | 'udp6' = 'udp4'): dgram.Socket {
  const s = dgram.createSocket(type)
  t.teardown(() => {
    try {
      s.close()
    } catch {
      // closed by the test
    }
  })
  return s
}

async function bound(s: AnySocket, address = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject)
    ;(s as dgram.Socket).bind(0, address, () => {
      s.removeListener('error', reject)
      resolve()
    })
  })
  return s.address().port
}

/** The next `n` datagrams `s` receives (fails after `ms` without them). */
function receive(s: AnySocket, n: number, ms = 10000): Promise<Received[]> {
  return new Promise((resolve, reject) => {
    const got: Received[] = []
    const timer = setTimeout(() => {
      s.removeListener('message', on)
      reject(new Error(`received ${got.length} of ${n} datagrams in ${ms} ms`))
    }, ms)
    const on = (msg: Buffer, rinfo: RemoteInfo): void => {
      got.push({ msg, rinfo })
      if (got.length === n) {
        clearTimeout(timer)
        s.removeListener('message', on)
        resolve(got)
      }
    }
    s.on('message', on)
  })
}

function sendP(s: AnySocket, msg: Buffer | string | Array<Buffer | string>, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => (s as dgram.Socket).send(msg, port, address, (e, n) => (e ? reject(e) : resolve(n))))
}

// ---- round trips --------------------------------------------------------------------------------

for (const [label, family, local] of [
  ['IPv4', 'udp4', '127.0.0.1'],
  ['IPv6', 'udp6', '::1'],
] as const) {
  const t6 = family === 'udp6' && !ipv6
  const title = (s: string): string => `${label}: ${s}${t6 ? ' (skipped: ::1 cannot be bound here)' : ''}`
  const run: (title: string, impl: Impl) => void = t6 ? test.skip : udpTest

  run(title('uring <-> uring: bytes and the sender address arrive as sent'), async (t) => {
    const a = uring(t, family)
    const b = uring(t, family)
    const pa = await bound(a, local)
    const pb = await bound(b, local)
    t.deepEqual(a.address(), { address: local, family: label, port: pa })
    const got = receive(b, 2)
    t.is(await sendP(a, pattern(1000, 1), pb, local), 1000)
    t.is(await sendP(a, ['multi', Buffer.from('-part'), new Uint8Array([33]) as Buffer], pb, local), 11)
    const [m1, m2] = await got
    t.deepEqual(m1.msg, pattern(1000, 1))
    t.deepEqual(m1.rinfo, { address: local, family: label, port: pa, size: 1000 })
    t.is(m2.msg.toString(), 'multi-part!')
    t.is(m2.rinfo.size, 11)
    const back = receive(a, 1)
    b.send('reply', m1.rinfo.port, m1.rinfo.address)
    const [r] = await back
    t.is(r.msg.toString(), 'reply')
    t.deepEqual(r.rinfo, { address: local, family: label, port: pb, size: 5 })
  })

  run(title('uring -> node:dgram and node:dgram -> uring'), async (t) => {
    const u = uring(t, family)
    const n = node(t, family)
    const pu = await bound(u, local)
    const pn = await bound(n, local)
    const toNode = receive(n, 1)
    await sendP(u, pattern(1472, 2), pn, local)
    const [a] = await toNode
    t.deepEqual(a.msg, pattern(1472, 2))
    t.deepEqual(a.rinfo, { address: local, family: label, port: pu, size: 1472 })
    const toUring = receive(u, 1)
    await sendP(n, pattern(999, 3), pu, local)
    const [b] = await toUring
    t.deepEqual(b.msg, pattern(999, 3))
    t.deepEqual(b.rinfo, { address: local, family: label, port: pn, size: 999 })
  })

  run(title('a 60 KB datagram and the largest one UDP carries, both ways'), async (t) => {
    const u = uring(t, family)
    const n = node(t, family)
    const pu = await bound(u, local)
    const pn = await bound(n, local)
    const max = family === 'udp4' ? 65507 : 65527
    const toNode = receive(n, 2)
    await sendP(u, pattern(60 * 1024, 4), pn, local)
    await sendP(u, pattern(max, 5), pn, local)
    const [a, b] = await toNode
    t.deepEqual(a.msg, pattern(60 * 1024, 4))
    t.deepEqual(b.msg, pattern(max, 5))
    const toUring = receive(u, 2)
    await sendP(n, pattern(60 * 1024, 6), pu, local)
    await sendP(n, pattern(max, 7), pu, local)
    const [c, d] = await toUring
    t.deepEqual(c.msg, pattern(60 * 1024, 6))
    t.deepEqual(d.msg, pattern(max, 7))
    t.falsy(d.rinfo.truncated)
  })
}

udpTest('empty datagrams, both ways', async (t) => {
  const u = uring(t)
  const n = node(t)
  const pu = await bound(u)
  const pn = await bound(n)
  const toNode = receive(n, 2)
  t.is(await sendP(u, Buffer.alloc(0), pn, '127.0.0.1'), 0)
  t.is(await sendP(u, [], pn, '127.0.0.1'), 0)
  const got = await toNode
  t.deepEqual(got.map((g) => g.msg.length), [0, 0])
  const toUring = receive(u, 2)
  n.send(Buffer.alloc(0), pu, '127.0.0.1')
  n.send('after', pu, '127.0.0.1')
  const [e, after] = await toUring
  t.is(e.msg.length, 0)
  t.deepEqual(e.rinfo, { address: '127.0.0.1', family: 'IPv4', port: pn, size: 0 })
  t.is(after.msg.toString(), 'after')
})

udpTest('send offset/length slices and strings', async (t) => {
  const u = uring(t)
  const n = node(t)
  await bound(u)
  const pn = await bound(n)
  const got = receive(n, 2)
  const src = Buffer.from('0123456789')
  await new Promise<void>((resolve, reject) => u.send(src, 2, 5, pn, '127.0.0.1', (e: Error | null) => (e ? reject(e) : resolve())))
  u.send('text é', pn, '127.0.0.1')
  const [a, b] = await got
  t.is(a.msg.toString(), '23456')
  t.is(b.msg.toString(), 'text é')
})

udpTest('many datagrams: every one arrives, bytes and order of sequence numbers checked', async (t) => {
  const u = uring(t)
  const n = node(t)
  const pu = await bound(u)
  const pn = await bound(n)
  const total = 3000
  const window = 100
  const seen = new Map<number, Buffer>()
  let onProgress: (() => void) | undefined
  u.on('message', (msg: Buffer) => {
    seen.set(msg.readUInt32LE(0), msg)
    onProgress?.()
  })
  const datagram = (i: number): Buffer => {
    const b = pattern(8 + (i % 200), i)
    b.writeUInt32LE(i, 0)
    return b
  }
  // node:dgram -> uring in windows that fit the socket's receive buffer.
  for (let i = 0; i < total; i += window) {
    for (let j = i; j < i + window; j++) n.send(datagram(j), pu, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stuck at ${seen.size} of ${i + window}`)), 10000)
      onProgress = () => {
        if (seen.size >= i + window) {
          clearTimeout(timer)
          resolve()
        }
      }
      onProgress()
    })
  }
  t.is(seen.size, total)
  let bad = 0
  for (let i = 0; i < total; i++) if (!datagram(i).equals(seen.get(i)!)) bad++
  t.is(bad, 0)
  // uring -> node:dgram, a window at a time (each window's sends go to the kernel in one enter).
  const back = new Map<number, Buffer>()
  let onBack: (() => void) | undefined
  n.on('message', (msg: Buffer) => {
    back.set(msg.readUInt32LE(0), msg)
    onBack?.()
  })
  let bytes = 0
  for (let i = 0; i < 1000; i += window) {
    const arrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stuck at ${back.size} of ${i + window}`)), 10000)
      onBack = () => {
        if (back.size >= i + window) {
          clearTimeout(timer)
          resolve()
        }
      }
    })
    const sent = await Promise.all(Array.from({ length: window }, (_, k) => sendP(u, datagram(i + k), pn, '127.0.0.1')))
    for (let k = 0; k < window; k++) t.is(sent[k], datagram(i + k).length)
    for (const n of sent) bytes += n
    await arrived
  }
  t.is(back.size, 1000)
  let wrong = 0
  for (let i = 0; i < 1000; i++) if (!datagram(i).equals(back.get(i)!)) wrong++
  t.is(wrong, 0)
  t.true(bytes > 0)
  t.is(u.getSendQueueCount(), 0)
  t.is(u.getSendQueueSize(), 0)
})

udpTest('the single-recvmsg receive path (multishot: false, as before 6.0) delivers the same', async (t) => {
  const u = uring(t, { type: 'udp4', multishot: false })
  const n = node(t)
  const pu = await bound(u)
  const pn = await bound(n)
  const got = receive(u, 4)
  n.send(pattern(100, 1), pu, '127.0.0.1')
  n.send(Buffer.alloc(0), pu, '127.0.0.1')
  n.send(pattern(65507, 2), pu, '127.0.0.1')
  n.send('last', pu, '127.0.0.1')
  const [a, b, c, d] = await got
  t.deepEqual(a.msg, pattern(100, 1))
  t.deepEqual(a.rinfo, { address: '127.0.0.1', family: 'IPv4', port: pn, size: 100 })
  t.is(b.msg.length, 0)
  t.deepEqual(c.msg, pattern(65507, 2))
  t.is(d.msg.toString(), 'last')
})

for (const multishot of [true, false]) {
  ;(multishot ? multishotTest : udpTest)(`a datagram longer than maxMessageSize arrives cut, with rinfo.truncated (multishot: ${multishot})`, async (t) => {
    const u = uring(t, { type: 'udp4', maxMessageSize: 100, multishot })
    const n = node(t)
    const pu = await bound(u)
    await bound(n)
    const got = receive(u, 3)
    n.send(pattern(300, 1), pu, '127.0.0.1')
    n.send(pattern(100, 2), pu, '127.0.0.1')
    n.send(pattern(101, 3), pu, '127.0.0.1')
    const [a, b, c] = await got
    t.deepEqual(a.msg, pattern(300, 1).subarray(0, 100))
    t.is(a.rinfo.size, 100)
    t.true(a.rinfo.truncated)
    t.deepEqual(b.msg, pattern(100, 2))
    t.is(b.rinfo.truncated, undefined)
    t.deepEqual(c.msg, pattern(101, 3).subarray(0, 100))
    t.true(c.rinfo.truncated)
  })
}

multishotTest('a burst larger than the provided buffers: the receive re-arms after ENOBUFS, nothing is lost', async (t) => {
  const u = uring(t, { type: 'udp4', receiveBuffers: 2 })
  const n = node(t)
  const pu = await bound(u)
  await bound(n)
  const got = receive(u, 64)
  for (let i = 0; i < 64; i++) n.send(pattern(50, i), pu, '127.0.0.1')
  const msgs = await got
  t.deepEqual(
    msgs.map((m) => m.msg.toString('hex')).sort(),
    Array.from({ length: 64 }, (_, i) => pattern(50, i).toString('hex')).sort(),
  )
})

// ---- binding, connecting ------------------------------------------------------------------------

udpTest('the first send binds implicitly (any address, a kernel-chosen port) and emits listening', async (t) => {
  const u = uring(t)
  const n = node(t)
  const pn = await bound(n)
  const listening = once(u, 'listening')
  const got = receive(n, 2)
  u.send('one', pn, '127.0.0.1')
  u.send('two', pn) // the address defaults to 127.0.0.1, as in node:dgram
  await listening
  const [a, b] = await got
  t.is(a.msg.toString(), 'one')
  t.is(b.msg.toString(), 'two')
  const addr = u.address()
  t.is(addr.address, '0.0.0.0')
  t.is(a.rinfo.port, addr.port)
})

udpTest('bind forms: bind({ port, address }), bind(cb), host names through dns.lookup', async (t) => {
  const a = uring(t)
  await new Promise<void>((resolve) => a.bind({ port: 0, address: 'localhost' }, resolve))
  t.is(a.address().address, '127.0.0.1')
  const b = uring(t)
  await new Promise<void>((resolve) => b.bind(resolve))
  t.is(b.address().address, '0.0.0.0')
  t.true(b.address().port > 0)
  const got = receive(a, 1)
  b.send('by name', a.address().port, 'localhost')
  const [m] = await got
  t.is(m.msg.toString(), 'by name')
})

udpTest('connected sockets: send without an address, peers filtered, remoteAddress, disconnect', async (t) => {
  const u = uring(t)
  const n = node(t)
  const other = node(t)
  const pn = await bound(n)
  await bound(other)
  await new Promise<void>((resolve, reject) => u.connect(pn, '127.0.0.1', (e?: Error) => (e ? reject(e) : resolve())))
  const pu = u.address().port
  t.deepEqual(u.remoteAddress(), { address: '127.0.0.1', family: 'IPv4', port: pn })
  const got = receive(n, 2)
  u.send('connected')
  u.send(Buffer.from('xxsliceyy'), 2, 5)
  const [a, b] = await got
  t.is(a.msg.toString(), 'connected')
  t.is(b.msg.toString(), 'slice')
  t.is(a.rinfo.port, pu)
  // The kernel drops datagrams from anyone but the peer on a connected socket.
  const fromPeer = receive(u, 1)
  other.send('not the peer', pu, '127.0.0.1')
  await new Promise((r) => setTimeout(r, 50))
  n.send('the peer', pu, '127.0.0.1')
  const [p] = await fromPeer
  t.is(p.msg.toString(), 'the peer')
  u.disconnect()
  t.is(thrown(() => u.remoteAddress()).code, 'ERR_SOCKET_DGRAM_NOT_CONNECTED')
  // As with node:dgram: a port the kernel chose is given up with the association. (Here the
  // disconnect is an io_uring connect(AF_UNSPEC) submitted with this tick's batch.)
  for (let i = 0; i < 200 && u.address().port !== 0; i++) await new Promise((r) => setTimeout(r, 5))
  t.deepEqual(u.address(), { address: '0.0.0.0', family: 'IPv4', port: 0 })
  const again = receive(other, 1)
  u.send('with a port', other.address().port, '127.0.0.1')
  const [w] = await again
  const fromOther = receive(u, 1)
  other.send('now anyone', w.rinfo.port, '127.0.0.1')
  t.is((await fromOther)[0].msg.toString(), 'now anyone')
  t.is(w.msg.toString(), 'with a port')
})

udpTest('a connected socket whose peer has no socket gets ECONNREFUSED as an error event and goes on receiving', async (t) => {
  const gone = node(t)
  const deadPort = await bound(gone)
  gone.close()
  const u = uring(t)
  const n = node(t)
  await new Promise<void>((resolve) => u.connect(deadPort, '127.0.0.1', () => resolve()))
  const err = once(u, 'error')
  u.send('into the void')
  const [e] = (await err) as [Error & { code?: string; syscall?: string }]
  t.is(e.code, 'ECONNREFUSED')
  t.is(e.syscall, 'recvmsg')
  // Still receiving after the error.
  u.disconnect()
  const pn = await bound(n)
  const hello = receive(n, 1)
  u.send('hello', pn, '127.0.0.1')
  const [h] = await hello
  const got = receive(u, 1)
  n.send('still here', h.rinfo.port, '127.0.0.1')
  t.is((await got)[0].msg.toString(), 'still here')
})

udpTest('bind failures are error events as node:dgram emits them (EADDRINUSE)', async (t) => {
  const holder = node(t)
  const port = await bound(holder)
  const errOf = async (s: AnySocket): Promise<Record<string, unknown>> => {
    const e = once(s, 'error')
    ;(s as dgram.Socket).bind(port, '127.0.0.1')
    const [err] = (await e) as [Error & Record<string, unknown>]
    return { name: err.name, message: err.message, code: err.code, errno: err.errno, syscall: err.syscall, address: err.address, port: err.port }
  }
  const ours = await errOf(uring(t))
  const theirs = await errOf(node(t))
  t.deepEqual(ours, theirs)
  t.is(ours.code, 'EADDRINUSE')
})

udpTest('a failing lookup is an error event for bind and the send callback, as in node:dgram', async (t) => {
  const lookup = (host: string, _family: number, cb: (e: Error | null, a: string, f: number) => void): void => {
    const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: host })
    process.nextTick(cb, e, '', 0)
  }
  const u = uring(t, { type: 'udp4', lookup })
  const n = dgram.createSocket({ type: 'udp4', lookup: lookup as never })
  t.teardown(() => n.close())
  const bindErr = async (s: AnySocket): Promise<string> => {
    const e = once(s, 'error')
    ;(s as dgram.Socket).bind(0, 'nowhere.localhost')
    return ((await e)[0] as Error).message
  }
  t.is(await bindErr(u), await bindErr(n))
})

udpTest('socket options: broadcast, TTLs, multicast loopback, buffer sizes (as node:dgram reports them)', async (t) => {
  const u = uring(t)
  const n = node(t)
  await bound(u)
  await bound(n)
  for (const s of [u, n] as AnySocket[]) {
    s.setBroadcast(true)
    t.is(s.setTTL(64), 64)
    t.is(s.setTTL(1.5), 1.5) // as node:dgram: the integer part is set
    t.is(s.setMulticastTTL(0), 0)
    t.is(s.setMulticastLoopback(false), false)
    s.setRecvBufferSize(100000)
    s.setSendBufferSize(100000)
  }
  t.is(u.getRecvBufferSize(), n.getRecvBufferSize())
  t.is(u.getSendBufferSize(), n.getSendBufferSize())
  const c = uring(t, { type: 'udp4', recvBufferSize: 65536, sendBufferSize: 65536 })
  await bound(c)
  t.is(c.getRecvBufferSize(), 131072)
  t.is(c.getSendBufferSize(), 131072)
})

// ---- iteration, close, lifetime -----------------------------------------------------------------

udpTest('for await (const { msg, rinfo } of socket): ends at close', async (t) => {
  const u = uring(t)
  const n = node(t)
  const pu = await bound(u)
  const pn = await bound(n)
  for (let i = 0; i < 3; i++) n.send(`m${i}`, pu, '127.0.0.1')
  const seen: string[] = []
  for await (const { msg, rinfo } of u) {
    seen.push(msg.toString())
    t.is(rinfo.port, pn)
    if (seen.length === 3) u.close()
  }
  t.deepEqual(seen, ['m0', 'm1', 'm2'])
})

serialUdpTest('close while receiving: no message after close, the op is cancelled, the fd goes away', async (t) => {
  const count = (): number => fs.readdirSync('/proc/self/fd').length
  const n = node(t)
  await bound(n)
  await defaultRing().run(op.nop()) // the default ring and its driver exist before counting
  const before = count()
  const u = createSocket('udp4')
  const pu = await bound(u)
  t.is(count(), before + 1)
  let after = 0
  const closed = once(u, 'close')
  u.close()
  u.on('message', () => after++)
  n.send('too late', pu, '127.0.0.1')
  await closed
  // The fd closes once the cancelled receive has posted its last CQE.
  const deadline = Date.now() + 5000
  while (count() > before && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10))
  t.is(count(), before)
  t.is(after, 0)
  t.is(thrown(() => u.send('x', 1, '127.0.0.1')).code, 'ERR_SOCKET_DGRAM_NOT_RUNNING')
})

udpTest('a process whose socket is closed while receiving exits by itself; so does one whose socket is unref()d', (t) => {
  const script = `
    const { createSocket } = require(${JSON.stringify(netLib)})
    const a = createSocket('udp4'); const b = createSocket('udp4', (m) => {
      if (m.toString() !== 'ping') process.exit(3)
      b.close(); a.close(() => console.log('closed'))
    })
    b.bind(0, '127.0.0.1', () => a.send('ping', b.address().port, '127.0.0.1'))
    const c = createSocket('udp4'); c.bind(0, '127.0.0.1', () => c.unref())
    setTimeout(() => process.exit(2), 20000).unref()
  `
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 })
  t.is(r.stderr, '')
  t.is(r.stdout.trim(), 'closed')
  t.is(r.status, 0)
})

udpTest('a message listener that throws is an uncaught exception (as in node:dgram), and receiving goes on', (t) => {
  const script = `
    const { createSocket } = require(${JSON.stringify(netLib)})
    let caught = 0
    process.on('uncaughtException', (e) => { if (e.message === 'boom') caught++ })
    const b = createSocket('udp4', (m) => {
      if (m.toString() === 'first') throw new Error('boom')
      console.log(m.toString(), caught)
      b.close(); a.close()
    })
    const a = createSocket('udp4')
    b.bind(0, '127.0.0.1', () => {
      a.send('first', b.address().port, '127.0.0.1')
      setTimeout(() => a.send('second', b.address().port, '127.0.0.1'), 50)
    })
    setTimeout(() => process.exit(2), 20000).unref()
  `
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 })
  t.is(r.stderr, '')
  t.is(r.stdout.trim(), 'second 1')
  t.is(r.status, 0)
})

udpTest('the signal option closes the socket when aborted (and at once when already aborted)', async (t) => {
  const ac = new AbortController()
  const u = createSocket({ type: 'udp4', signal: ac.signal })
  await bound(u)
  const closed = once(u, 'close')
  ac.abort()
  await closed
  t.is(thrown(() => u.address()).code, 'ERR_SOCKET_DGRAM_NOT_RUNNING')
  const v = createSocket({ type: 'udp4', signal: AbortSignal.abort() })
  await once(v, 'close')
  t.is(thrown(() => v.bind(0)).code, 'ERR_SOCKET_DGRAM_NOT_RUNNING')
})

// ---- bad input, compared with node:dgram ---------------------------------------------------------

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (e) {
    return e as Error & { code?: string }
  }
  throw new Error('did not throw')
}

/** The fields of an error that Node's user sees. */
function shape(e: unknown): Record<string, unknown> {
  const o = e as Error & Record<string, unknown>
  const out: Record<string, unknown> = { name: o.name, code: o.code, message: o.message }
  for (const k of ['errno', 'syscall', 'address', 'port', 'info']) if (o[k] !== undefined) out[k] = o[k]
  out.keys = Object.keys(o).sort()
  out.isTypeError = o instanceof TypeError
  out.isRangeError = o instanceof RangeError
  return out
}

function outcome(fn: () => unknown): Record<string, unknown> {
  try {
    fn()
  } catch (e) {
    return shape(e)
  }
  return { ok: true }
}

type Call = [string, (s: dgram.Socket) => unknown]
const buf4 = Buffer.alloc(4)

const UNBOUND_CALLS: Call[] = [
  ['send port 0', (s) => s.send('x', 0, '127.0.0.1')],
  ['send port -1', (s) => s.send('x', -1, '127.0.0.1')],
  ['send port 70000', (s) => s.send('x', 70000, '127.0.0.1')],
  ['send port "abc"', (s) => (s as dgram.Socket).send('x', 'abc' as never, '127.0.0.1')],
  ['send port ""', (s) => (s as dgram.Socket).send('x', '' as never, '127.0.0.1')],
  ['send no port', (s) => (s as dgram.Socket).send('x')],
  ['send port null', (s) => (s as dgram.Socket).send('x', null as never)],
  ['send port 1.5', (s) => s.send('x', 1.5, '127.0.0.1')],
  ['send port NaN', (s) => s.send('x', NaN, '127.0.0.1')],
  ['send port true', (s) => (s as dgram.Socket).send('x', true as never, '127.0.0.1')],
  ['send port 2n', (s) => (s as dgram.Socket).send('x', 2n as never, '127.0.0.1')],
  ['send number', (s) => (s as dgram.Socket).send(5 as never, 1234, '127.0.0.1')],
  ['send object', (s) => (s as dgram.Socket).send({} as never, 1234, '127.0.0.1')],
  ['send null', (s) => (s as dgram.Socket).send(null as never, 1234, '127.0.0.1')],
  ['send list with a number', (s) => (s as dgram.Socket).send([1] as never, 1234, '127.0.0.1')],
  ['send address number', (s) => (s as dgram.Socket).send('x', 1234, 5 as never)],
  ['send offset out of bounds', (s) => s.send(buf4, 5, 1, 1234, '127.0.0.1')],
  ['send length out of bounds', (s) => s.send(buf4, 1, 4, 1234, '127.0.0.1')],
  ['send slice of a number', (s) => (s as dgram.Socket).send(7 as never, 0, 1, 1234, '127.0.0.1')],
  ['send long string as port', (s) => (s as dgram.Socket).send('x', 'a'.repeat(40) as never, '127.0.0.1')],
  ["send port with a quote", (s) => (s as dgram.Socket).send('x', "it's" as never, '127.0.0.1')],
  ['sendto offset string', (s) => (s as unknown as UdpSocket).sendto('x', 'a' as never, 1, 1, '127.0.0.1')],
  ['disconnect', (s) => s.disconnect()],
  ['remoteAddress', (s) => s.remoteAddress()],
  ['connect port 0', (s) => s.connect(0)],
  ['connect port 70000', (s) => s.connect(70000, '127.0.0.1')],
  ['connect port string', (s) => (s as dgram.Socket).connect('x' as never, '127.0.0.1')],
  ['connect address number', (s) => (s as dgram.Socket).connect(1234, 5 as never)],
  ['setTTL string', (s) => (s as dgram.Socket).setTTL('x' as never)],
  ['setTTL unbound', (s) => s.setTTL(5)],
  ['setTTL 0 unbound', (s) => s.setTTL(0)],
  ['setMulticastTTL string', (s) => (s as dgram.Socket).setMulticastTTL('x' as never)],
  ['setMulticastTTL unbound', (s) => s.setMulticastTTL(5)],
  ['setBroadcast unbound', (s) => s.setBroadcast(true)],
  ['setMulticastLoopback unbound', (s) => s.setMulticastLoopback(true)],
  ['getRecvBufferSize unbound', (s) => s.getRecvBufferSize()],
  ['getSendBufferSize unbound', (s) => s.getSendBufferSize()],
  ['setRecvBufferSize -1', (s) => s.setRecvBufferSize(-1)],
  ['setRecvBufferSize string', (s) => (s as dgram.Socket).setRecvBufferSize('x' as never)],
  ['setSendBufferSize 1.5', (s) => s.setSendBufferSize(1.5)],
  ['setRecvBufferSize unbound', (s) => s.setRecvBufferSize(1000)],
  ['address unbound', (s) => s.address()],
]

const BOUND_CALLS: Call[] = [
  ['bind again', (s) => s.bind(0)],
  ['setTTL 0', (s) => s.setTTL(0)],
  ['setTTL 256', (s) => s.setTTL(256)],
  ['setMulticastTTL 256', (s) => s.setMulticastTTL(256)],
  ['setMulticastTTL -1', (s) => s.setMulticastTTL(-1)],
  ['setRecvBufferSize 2^32', (s) => s.setRecvBufferSize(2 ** 32)],
  ['disconnect unconnected', (s) => s.disconnect()],
  ['remoteAddress unconnected', (s) => s.remoteAddress()],
]

const CLOSED_CALLS: Call[] = [
  ['address', (s) => s.address()],
  ['send', (s) => s.send('x', 1234, '127.0.0.1')],
  ['close', (s) => s.close()],
  ['bind', (s) => s.bind(0)],
  ['remoteAddress', (s) => s.remoteAddress()],
]

const CONNECTED_CALLS: Call[] = [
  ['connect again', (s) => s.connect(1234)],
  ['send with offset and an address', (s) => s.send('x', 0, 1, 1234, '127.0.0.1')],
  ['send with a port and address', (s) => (s as dgram.Socket).send('x', 0, 1, 1234 as never)],
  ['send slice out of bounds', (s) => s.send(buf4, 3, 2)],
]

test('bad createSocket arguments: the same errors as node:dgram', (t) => {
  const cases: Array<[string, unknown]> = [
    ['udp5', 'udp5'],
    ['{ type: x }', { type: 'x' }],
    ['{}', {}],
    ['undefined', undefined],
    ['lookup number', { type: 'udp4', lookup: 5 }],
    ['lookup string', { type: 'udp6', lookup: 'dns' }],
    ['signal number', { type: 'udp4', signal: 5 }],
    ['signal object', { type: 'udp4', signal: {} }],
  ]
  for (const [label, arg] of cases) {
    t.deepEqual(outcome(() => createSocket(arg as never)), outcome(() => dgram.createSocket(arg as never)), label)
  }
})

udpTest('bad calls on unbound, bound, connected and closed sockets: the same errors as node:dgram', async (t) => {
  const compare = (label: string, calls: Call[], u: UdpSocket, n: dgram.Socket): void => {
    for (const [name, fn] of calls) {
      const theirs = outcome(() => fn(n))
      t.not(theirs.ok, true, `${label} ${name}: node:dgram throws`)
      t.deepEqual(outcome(() => fn(u as unknown as dgram.Socket)), theirs, `${label} ${name}`)
    }
  }
  compare('unbound', UNBOUND_CALLS, uring(t), node(t))
  const bu = uring(t)
  const bn = node(t)
  await bound(bu)
  await bound(bn)
  compare('bound', BOUND_CALLS, bu, bn)
  const peer = node(t)
  const pp = await bound(peer)
  const cu = uring(t)
  const cn = node(t)
  await new Promise((r) => cu.connect(pp, '127.0.0.1', () => r(undefined)))
  await new Promise((r) => cn.connect(pp, '127.0.0.1', () => r(undefined)))
  compare('connected', CONNECTED_CALLS, cu, cn)
  const xu = uring(t)
  const xn = node(t)
  await bound(xu)
  await bound(xn)
  xu.close()
  xn.close()
  compare('closed', CLOSED_CALLS, xu, xn)
})

udpTest('what node:dgram leaves unchecked or crashes on is an error here', async (t) => {
  const u = uring(t)
  t.is(thrown(() => u.bind(-5)).code, 'ERR_SOCKET_BAD_PORT')
  t.is(thrown(() => u.bind(70000)).code, 'ERR_SOCKET_BAD_PORT')
  t.is(thrown(() => u.bind(0, 5 as never)).code, 'ERR_INVALID_ARG_TYPE')
  t.is(thrown(() => createSocket({ type: 'udp4', maxMessageSize: 0 })).code, 'ERR_OUT_OF_RANGE')
  t.is(thrown(() => createSocket({ type: 'udp4', multishot: 1 as never })).code, 'ERR_INVALID_ARG_TYPE')
  t.is(thrown(() => u.addMembership('224.0.0.1')).code, 'ERR_METHOD_NOT_IMPLEMENTED')
  await bound(u)
  u.close()
  // node:dgram throws a TypeError from a null handle for these.
  for (const fn of [() => u.setTTL(5), () => u.setBroadcast(true), () => u.getRecvBufferSize(), () => u.connect(1234)]) {
    t.is(thrown(fn).code, 'ERR_SOCKET_DGRAM_NOT_RUNNING')
  }
})
