/**
 * uring/net: TCP and Unix sockets on io_uring against node:net peers and each other. Every test
 * checks what the other end got (bytes, EOF, errors as Node gives them) or what the kernel says
 * (getsockopt, the socket file). Loopback and Unix sockets only; no timing is asserted.
 */
import test, { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { once } from 'node:events'
import { spawnSync } from 'node:child_process'
import { pipeline } from 'node:stream/promises'
import * as unet from '../lib/net'
import * as sock from '../lib/sock'
import { hasOp, pattern, tempDir, testWhen } from './_helpers'

// uring/net makes sockets, binds and shuts down with syscalls where the kernel lacks
// IORING_OP_SOCKET/BIND/LISTEN/SHUTDOWN (net-legacy runs these cases that way); it needs the
// accept, connect, send and recv ops.
const ok = hasOp('accept') && hasOp('connect') && hasOp('send') && hasOp('recv')
const netTest = testWhen(ok, 'IORING_OP_ACCEPT/CONNECT/SEND/RECV', '5.6')
const has6 = (() => {
  try {
    return /^0{31}1 /m.test(fs.readFileSync('/proc/net/if_inet6', 'utf8'))
  } catch {
    return false
  }
})()

/** A uring/net server listening on 127.0.0.1 (or `host`), closed at teardown. */
async function serve(t: ExecutionContext, onConn: (s: unet.Socket) => void, options: unet.ServerOptions = {}, host = '127.0.0.1'): Promise<[unet.Server, number]> {
  const srv = unet.createServer(options, onConn)
  srv.listen(0, host)
  await once(srv, 'listening')
  t.teardown(() => {
    srv.close()
  })
  return [srv, (srv.address() as unet.AddressInfo).port]
}

/** A node:net server, closed at teardown. */
async function nodeServe(t: ExecutionContext, onConn: (s: net.Socket) => void, host = '127.0.0.1'): Promise<[net.Server, number]> {
  const srv = net.createServer(onConn)
  srv.listen(0, host)
  await once(srv, 'listening')
  t.teardown(() => {
    srv.close()
  })
  return [srv, (srv.address() as net.AddressInfo).port]
}

function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    s.on('data', (d: Buffer) => parts.push(d))
    s.on('end', () => resolve(Buffer.concat(parts)))
    s.on('error', reject)
  })
}

const echo = (s: unet.Socket | net.Socket): void => {
  s.on('error', () => s.destroy())
  s.pipe(s as NodeJS.WritableStream)
}

netTest('echo: a node:net client gets back exactly the 1 MiB it sent', async (t) => {
  const [, port] = await serve(t, echo)
  const data = pattern(1 << 20, 3)
  const c = net.connect(port, '127.0.0.1')
  t.teardown(() => c.destroy())
  c.end(data)
  const got = await collect(c)
  t.true(got.equals(data))
})

netTest('a uring/net client talks to a node:net server: bytes, addresses, events', async (t) => {
  let gotServerSide: (s: net.Socket) => void = () => {}
  const serverSide = new Promise<net.Socket>((r) => (gotServerSide = r))
  const [, port] = await nodeServe(t, (s) => {
    gotServerSide(s)
    echo(s)
  })
  const c = unet.connect(port, '127.0.0.1')
  t.teardown(() => c.destroy())
  t.true(c.connecting)
  t.is(c.readyState, 'opening')
  t.true(c.pending)
  await once(c, 'connect')
  t.false(c.connecting)
  t.is(c.readyState, 'open')
  t.is(c.remoteAddress, '127.0.0.1')
  t.is(c.remotePort, port)
  t.is(c.remoteFamily, 'IPv4')
  t.is(c.localAddress, '127.0.0.1')
  t.is(c.localPort, (await serverSide).remotePort)
  const data = pattern(300_000, 5)
  c.end(data)
  const got = await collect(c)
  t.true(got.equals(data))
  t.is(c.bytesRead, data.length)
  t.is(c.bytesWritten, data.length)
  const [hadError] = await once(c, 'close')
  t.false(hadError)
})

netTest('many connections at once, each echoed exactly (uring client and server)', async (t) => {
  const [, port] = await serve(t, echo)
  const n = 40
  const results = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const c = unet.connect({ port, host: '127.0.0.1' })
      t.teardown(() => c.destroy())
      const data = pattern(10_000 + i * 97, i)
      c.end(data)
      return (await collect(c)).equals(data)
    }),
  )
  t.deepEqual(results, Array(n).fill(true))
})

netTest('connect by name: localhost resolves and connects', async (t) => {
  const [, port] = await serve(t, echo, {}, '127.0.0.1')
  const c = unet.connect(port, 'localhost')
  t.teardown(() => c.destroy())
  c.end('by name')
  t.is((await collect(c)).toString(), 'by name')
})

netTest('half-close: the client ends, the server still writes and the client reads it', async (t) => {
  const [, port] = await serve(
    t,
    (s) => {
      const parts: Buffer[] = []
      s.on('data', (d) => parts.push(d))
      s.on('end', () => {
        // The peer's FIN came; this side is still writable (allowHalfOpen).
        t.true(s.writable)
        s.end(Buffer.concat([Buffer.from('got:'), ...parts]))
      })
    },
    { allowHalfOpen: true },
  )
  const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  t.teardown(() => c.destroy())
  c.end('question')
  t.is((await collect(c)).toString(), 'got:question')
})

netTest('half-close: the server ends first, a uring client (allowHalfOpen) still sends', async (t) => {
  let received: Promise<Buffer> | undefined
  const [, port] = await nodeServe(t, (s) => {
    received = collect(s)
    s.end('bye early')
  })
  const c = unet.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  t.teardown(() => c.destroy())
  const got = await collect(c)
  t.is(got.toString(), 'bye early')
  t.true(c.writable)
  c.end('still talking')
  t.is((await received!).toString(), 'still talking')
})

netTest('without allowHalfOpen the socket ends its side when the peer ends', async (t) => {
  const [, port] = await serve(t, (s) => s.resume())
  const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  t.teardown(() => c.destroy())
  c.end('x')
  // The server's socket got EOF and ended too: the client sees EOF.
  t.is((await collect(c)).length, 0)
})

netTest('a peer reset is an ECONNRESET error as node gives it (read ECONNRESET)', async (t) => {
  const errors = new Promise<NodeJS.ErrnoException>((resolve) => {
    void serve(t, (s) => {
      s.on('error', resolve)
      s.on('data', () => {})
    }).then(([, port]) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.write('hi')
        setTimeout(() => c.resetAndDestroy(), 20)
      })
    })
  })
  const e = await errors
  t.is(e.code, 'ECONNRESET')
  t.is(e.errno, -os.constants.errno.ECONNRESET)
  t.is(e.syscall, 'read')
  t.is(e.message, 'read ECONNRESET')
})

netTest('back-pressure on send: a client that stops reading bounds the server, which drains when it reads', async (t) => {
  const chunk = pattern(65536, 9)
  let total = 0
  let maxBuffered = 0
  let sawFalse = false
  const stalled = new Promise<void>((resolve) => {
    void serve(t, (s) => {
      s.on('error', () => {})
      const pump = (): void => {
        while (total < 64 << 20) {
          total += chunk.length
          const more = s.write(chunk)
          maxBuffered = Math.max(maxBuffered, s.writableLength)
          if (!more) {
            sawFalse = true
            resolve()
            s.once('drain', pump)
            return
          }
        }
        s.end()
      }
      pump()
    }).then(([, port]) => {
      client = net.connect(port, '127.0.0.1')
      client.pause()
    })
  })
  let client: net.Socket | undefined
  t.teardown(() => client?.destroy())
  await stalled
  // Let the kernel buffers fill: the server must not keep buffering in JS.
  await new Promise((r) => setTimeout(r, 100))
  const stuckAt = total
  t.true(sawFalse)
  t.true(maxBuffered <= 16384 + chunk.length, `writableLength peaked at ${maxBuffered}`)
  t.true(total < 64 << 20, 'the server stopped writing while the client did not read')
  client!.resume()
  const got = await collect(client!)
  t.true(total > stuckAt, 'writing went on after the client read (drain)')
  t.is(got.length, total)
  t.true(got.subarray(0, chunk.length).equals(chunk))
  t.true(got.subarray(got.length - chunk.length).equals(chunk))
})

netTest('back-pressure on receive: a paused uring socket stops receiving; the sender sees back-pressure', async (t) => {
  let server: unet.Socket | undefined
  const ready = new Promise<void>((resolve) => {
    void serve(t, (s) => {
      server = s
      s.pause()
      resolve()
    }).then(([, port]) => {
      client = net.connect(port, '127.0.0.1')
    })
  })
  let client: net.Socket | undefined
  t.teardown(() => client?.destroy())
  await ready
  await once(client!, 'connect')
  const chunk = pattern(65536, 2)
  let sent = 0
  // Write until the sender's kernel buffers are full too: no 'drain' within 100 ms.
  for (;;) {
    sent += chunk.length
    if (client!.write(chunk)) continue
    const drained = await Promise.race([once(client!, 'drain').then(() => true), new Promise((r) => setTimeout(() => r(false), 100))])
    if (!drained || sent > 64 << 20) break
  }
  t.true(sent < 64 << 20, 'the sender was stopped by back-pressure')
  t.true(server!.readableLength <= 16384 + 65536, `readableLength ${server!.readableLength}`)
  t.true(server!.bytesRead < sent, 'the kernel holds the rest, not JS')
  client!.end()
  const got = collect(server!)
  server!.resume()
  const all = await got
  t.is(all.length, sent)
  t.true(all.equals(Buffer.concat(Array(sent / chunk.length).fill(chunk))), 'every byte, in order, across the pause')
})

const v6Test = has6 ? netTest : (title: string, impl: (t: ExecutionContext) => Promise<void>) => test.skip(title + ' (skipped: no IPv6 loopback)', impl)
v6Test('IPv6: a server on ::1 echoes a uring client', async (t) => {
  const [srv, port] = await serve(t, echo, {}, '::1')
  t.deepEqual(srv.address(), { address: '::1', family: 'IPv6', port })
  const c = unet.connect({ port, host: '::1' })
  t.teardown(() => c.destroy())
  await once(c, 'connect')
  t.is(c.remoteFamily, 'IPv6')
  t.is(c.remoteAddress, '::1')
  c.end('six')
  t.is((await collect(c)).toString(), 'six')
})

netTest('Unix sockets: listen(path), connect(path), echo, the socket file goes with close()', async (t) => {
  const dir = tempDir(t)
  const p = path.join(dir, 's.sock')
  const srv = unet.createServer(echo)
  srv.listen(p)
  await once(srv, 'listening')
  t.is(srv.address(), p)
  t.true(fs.statSync(p).isSocket())
  const c = unet.connect(p)
  t.teardown(() => c.destroy())
  c.end('over unix')
  t.is((await collect(c)).toString(), 'over unix')
  // node:net interop on the same path
  const n = net.connect(p)
  n.end('node too')
  t.is((await collect(n)).toString(), 'node too')
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  t.false(fs.existsSync(p))
})

netTest('errors: ECONNREFUSED with address and port, exactly as node:net', async (t) => {
  const mine = unet.connect(1, '127.0.0.1')
  const closed = new Promise<unknown[]>((r) => mine.once('close', (...a: unknown[]) => r(a)))
  const [e] = (await once(mine, 'error')) as [NodeJS.ErrnoException & { address: string; port: number }]
  const theirs = net.connect(1, '127.0.0.1')
  const [n] = (await once(theirs, 'error')) as [NodeJS.ErrnoException & { address: string; port: number }]
  t.is(e.message, 'connect ECONNREFUSED 127.0.0.1:1')
  for (const k of ['message', 'code', 'errno', 'syscall', 'address', 'port'] as const) t.is(e[k], n[k], k)
  t.deepEqual(await closed, [true])
  t.true(mine.destroyed)
})

netTest('errors: a Unix path that does not exist', async (t) => {
  const p = path.join(tempDir(t), 'none.sock')
  const [e] = (await once(unet.connect(p), 'error')) as [NodeJS.ErrnoException]
  const [n] = (await once(net.connect(p), 'error')) as [NodeJS.ErrnoException]
  for (const k of ['message', 'code', 'errno', 'syscall'] as const) t.is(e[k], n[k], k)
})

test('errors: ports out of range throw ERR_SOCKET_BAD_PORT with node’s message', (t) => {
  for (const port of [70000, -1, 65536, 1.5, { port: 'abc' }, { port: 99999, host: '127.0.0.1' }]) {
    const n = t.throws(() => (net.connect as (p: unknown) => net.Socket)(port))
    const e = t.throws(() => (unet.connect as (p: unknown) => unet.Socket)(port))
    t.is(e?.message, n?.message)
    t.is((e as NodeJS.ErrnoException).code, 'ERR_SOCKET_BAD_PORT')
    t.is(e?.name, n?.name)
  }
  const n = t.throws(() => net.createServer().listen(70000))
  const e = t.throws(() => unet.createServer().listen(70000))
  t.is(e?.message, n?.message)
  t.is((e as NodeJS.ErrnoException).code, 'ERR_SOCKET_BAD_PORT')
})

netTest('errors: EADDRINUSE on listen, message as node:net', async (t) => {
  const [, port] = await nodeServe(t, () => {})
  const mine = unet.createServer()
  mine.listen(port, '127.0.0.1')
  const [e] = (await once(mine, 'error')) as [NodeJS.ErrnoException & { address: string; port: number }]
  const theirs = net.createServer()
  theirs.listen(port, '127.0.0.1')
  const [n] = (await once(theirs, 'error')) as [NodeJS.ErrnoException & { address: string; port: number }]
  t.is(e.message, `listen EADDRINUSE: address already in use 127.0.0.1:${port}`)
  for (const k of ['message', 'code', 'errno', 'syscall', 'address', 'port'] as const) t.is(e[k], n[k], k)
  t.false(mine.listening)
})

netTest('write after end is ERR_STREAM_WRITE_AFTER_END', async (t) => {
  const [, port] = await serve(t, (s) => s.resume())
  const c = unet.connect(port, '127.0.0.1')
  t.teardown(() => c.destroy())
  c.end('last')
  const emitted = once(c, 'error')
  const [e] = await new Promise<[Error & { code?: string }]>((resolve) => c.write('late', (err) => resolve([err as Error])))
  t.is(e.code, 'ERR_STREAM_WRITE_AFTER_END')
  t.is(((await emitted)[0] as NodeJS.ErrnoException).code, 'ERR_STREAM_WRITE_AFTER_END')
})

netTest('setNoDelay and setKeepAlive set the kernel options', async (t) => {
  const [, port] = await serve(t, (s) => s.resume())
  const c = unet.connect(port, '127.0.0.1')
  t.teardown(() => c.destroy())
  await once(c, 'connect')
  c.setNoDelay(true)
  t.is(sock.getsockoptInt(c.fd, sock.IPPROTO_TCP, sock.TCP_NODELAY), 1)
  c.setNoDelay(false)
  t.is(sock.getsockoptInt(c.fd, sock.IPPROTO_TCP, sock.TCP_NODELAY), 0)
  c.setKeepAlive(true, 5000)
  t.is(sock.getsockoptInt(c.fd, sock.SOL_SOCKET, sock.SO_KEEPALIVE), 1)
  t.is(sock.getsockoptInt(c.fd, sock.IPPROTO_TCP, sock.TCP_KEEPIDLE), 5)
})

netTest('setTimeout emits timeout on an idle socket; destroy() closes it', async (t) => {
  const [, port] = await serve(t, (s) => s.resume())
  const c = unet.connect(port, '127.0.0.1')
  t.teardown(() => c.destroy())
  c.setTimeout(30)
  await once(c, 'timeout')
  t.is(c.timeout, 30)
  c.destroy()
  const [hadError] = await once(c, 'close')
  t.false(hadError)
  t.is(c.readyState, 'closed')
})

netTest('server.close(): stops accepting, close comes after the last connection ends', async (t) => {
  const conns: unet.Socket[] = []
  const [srv, port] = await serve(t, (s) => {
    conns.push(s)
    s.resume()
  })
  const c = net.connect(port, '127.0.0.1')
  t.teardown(() => c.destroy())
  await once(srv, 'connection')
  let closed = false
  srv.close(() => {
    closed = true
  })
  t.false(srv.listening)
  t.is(srv.address(), null)
  await new Promise((r) => setTimeout(r, 30))
  t.false(closed, 'a connection is still open')
  const refused = net.connect(port, '127.0.0.1')
  const [e] = (await once(refused, 'error')) as [NodeJS.ErrnoException]
  t.is(e.code, 'ECONNREFUSED')
  c.end()
  await once(srv, 'close')
  t.true(closed)
  t.is(conns.length, 1)
})

netTest('maxConnections: connections over the limit are closed', async (t) => {
  const [srv, port] = await serve(t, (s) => s.resume())
  srv.maxConnections = 1
  const a = net.connect(port, '127.0.0.1')
  t.teardown(() => a.destroy())
  await once(srv, 'connection')
  const b = net.connect(port, '127.0.0.1')
  t.teardown(() => b.destroy())
  b.resume()
  await once(b, 'close')
  const n = await new Promise<number>((r) => srv.getConnections((_e, k) => r(k)))
  t.is(n, 1)
})

netTest('pipeline and the async iterator work on a uring socket', async (t) => {
  const [, port] = await serve(t, (s) => {
    void pipeline(s, async function* (src: AsyncIterable<Buffer>) {
      for await (const chunk of src) yield Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1')
    }, s).catch(() => {})
  })
  const c = unet.connect(port, '127.0.0.1')
  t.teardown(() => c.destroy())
  c.end('shout this')
  const parts: Buffer[] = []
  for await (const chunk of c) parts.push(chunk as Buffer)
  t.is(Buffer.concat(parts).toString(), 'SHOUT THIS')
})

netTest('writev: corked small writes go out in order (sendmsg with iovecs)', async (t) => {
  let gotConn: (s: net.Socket) => void = () => {}
  const conn = new Promise<net.Socket>((r) => (gotConn = r))
  const got = conn.then(collect)
  const [, port] = await nodeServe(t, gotConn)
  const c = unet.connect(port, '127.0.0.1')
  t.teardown(() => c.destroy())
  await once(c, 'connect')
  c.cork()
  const parts = Array.from({ length: 50 }, (_, i) => pattern(100 + i, i))
  for (const p of parts) c.write(p)
  c.uncork()
  c.end()
  await once(c, 'finish')
  t.true((await got).equals(Buffer.concat(parts)))
})

netTest('large writes (zero-copy sends where the kernel has them) arrive intact', async (t) => {
  // Loopback peers normally get plain sends (zero-copy only costs there): force send_zc.
  unet._zeroCopyLoopback(true)
  t.teardown(() => unet._zeroCopyLoopback(false))
  let gotConn: (s: net.Socket) => void = () => {}
  const conn = new Promise<net.Socket>((r) => (gotConn = r))
  const got = conn.then(collect)
  const [, port] = await nodeServe(t, gotConn)
  const c = unet.connect(port, '127.0.0.1')
  t.teardown(() => c.destroy())
  const big = pattern(4 << 20, 11)
  c.end(big)
  await once(c, 'finish')
  t.true((await got).equals(big))
  t.is(c.bytesWritten, big.length)
})

test('bad input: the same error (code, class, message) as node:net, thrown at the call', (t) => {
  type M = typeof net | typeof unet
  const cases: Record<string, (m: M) => unknown> = {
    'connect({ path: 5 })': (m) => (m.connect as (o: unknown) => unknown)({ path: 5 }),
    'connect({ port: 80, host: 5 })': (m) => (m.connect as (o: unknown) => unknown)({ port: 80, host: 5 }),
    'connect({ port: 80, family: 3 })': (m) => (m.connect as (o: unknown) => unknown)({ port: 80, family: 3 }),
    'connect()': (m) => (m.connect as () => unknown)(),
    'connect(null)': (m) => (m.connect as (o: unknown) => unknown)(null),
    'connect({})': (m) => (m.connect as (o: unknown) => unknown)({}),
    'new Socket({ fd: -1 })': (m) => new m.Socket({ fd: -1 }),
    "new Socket({ fd: 'x' })": (m) => new m.Socket({ fd: 'x' as unknown as number }),
    'setTimeout(-1)': (m) => new m.Socket().setTimeout(-1),
    "setTimeout('x')": (m) => new m.Socket().setTimeout('x' as unknown as number),
    'listen({})': (m) => m.createServer().listen({}),
    "listen({ port: 'abc' })": (m) => m.createServer().listen({ port: 'abc' as unknown as number }),
    'listen(true)': (m) => (m.createServer().listen as (p: unknown) => unknown)(true),
    'listen({ port: 1.5 })': (m) => m.createServer().listen({ port: 1.5 }),
    'listen({ path: 5 })': (m) => m.createServer().listen({ path: 5 as unknown as string }),
    'createServer(5)': (m) => (m.createServer as (o: unknown) => unknown)(5),
    'write(5)': (m) => new m.Socket().write(5 as unknown as string),
  }
  for (const [what, f] of Object.entries(cases)) {
    const n = t.throws(() => f(net), undefined, `node:net ${what}`) as NodeJS.ErrnoException
    const e = t.throws(() => f(unet), undefined, `uring/net ${what}`) as NodeJS.ErrnoException
    t.is(e.code, n.code, what)
    t.is(e.name, n.name, what)
    t.is(e.message, n.message, what)
  }
})

netTest('unref(): a process whose server and connection are unref’d exits by itself; with refs it runs until closed', async (t) => {
  const lib = path.join(__dirname, '..', 'lib', 'net.js')
  const script = (ref: boolean): string => `
    const unet = require(${JSON.stringify(lib)})
    const srv = unet.createServer((s) => { s.resume(); ${ref ? '' : 's.unref()'} })
    srv.listen(0, '127.0.0.1', () => {
      const c = unet.connect(srv.address().port, '127.0.0.1', () => {
        console.log('connected')
        ${ref ? 'setTimeout(() => { c.destroy(); srv.close() }, 50)' : 'srv.unref(); c.unref()'}
      })
      c.resume()
    })`
  for (const ref of [false, true]) {
    const r = spawnSync(process.execPath, ['-e', script(ref)], { encoding: 'utf8', timeout: 20_000 })
    t.is(r.status, 0, `${ref ? 'ref' : 'unref'}: ${r.stderr}`)
    t.is(r.stdout.trim(), 'connected', ref ? 'ref' : 'unref')
  }
})

netTest('pause/resume on every chunk: all bytes arrive, in order, none twice (multishot recv cancelled and re-armed)', async (t) => {
  const data = pattern(8 << 20, 13)
  let got: Promise<Buffer> | undefined
  const [, port] = await serve(t, (s) => {
    got = new Promise((resolve, reject) => {
      const parts: Buffer[] = []
      s.on('data', (d: Buffer) => {
        parts.push(d)
        s.pause()
        setImmediate(() => s.resume())
      })
      s.on('end', () => resolve(Buffer.concat(parts)))
      s.on('error', reject)
    })
  })
  const c = net.connect(port, '127.0.0.1')
  t.teardown(() => c.destroy())
  c.end(data)
  await once(c, 'finish')
  while (got === undefined) await new Promise((r) => setImmediate(r))
  const all = await got
  t.is(all.length, data.length)
  t.true(all.equals(data))
})

netTest('a server listens again after close(), and close() right after listen() is no error', async (t) => {
  const srv = unet.createServer(echo)
  t.teardown(() => srv.close())
  for (let i = 0; i < 2; i++) {
    srv.listen(0, '127.0.0.1')
    await once(srv, 'listening')
    const c = unet.connect((srv.address() as unet.AddressInfo).port, '127.0.0.1')
    c.end(`round ${i}`)
    t.is((await collect(c)).toString(), `round ${i}`)
    await new Promise<void>((resolve, reject) => srv.close((e) => (e ? reject(e) : resolve())))
  }
  const quick = unet.createServer()
  let errored = false
  quick.on('error', () => (errored = true))
  quick.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => quick.close(() => resolve()))
  await new Promise((r) => setTimeout(r, 20))
  t.false(errored)
  t.false(quick.listening)
})
