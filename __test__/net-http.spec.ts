/**
 * node:http and node:tls over uring/net sockets, both as server and as client, and
 * examples/http-server.ts run in a child process and hit by a real client from another process
 * (curl, or node's fetch when there is no curl). 127.0.0.1 only. Checks bodies and bytes.
 */
import test, { ExecutionContext } from 'ava'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as path from 'node:path'
import * as tls from 'node:tls'
import { once } from 'node:events'
import * as unet from '../lib/net'
import { hasOp, pattern, tempDir, testWhen } from './_helpers'

// uring/net makes sockets and binds with syscalls where the kernel lacks IORING_OP_SOCKET/BIND/
// LISTEN (net-legacy runs these cases that way); it needs IORING_OP_SHUTDOWN.
const ok = hasOp('shutdown')
const netTest = testWhen(ok, 'IORING_OP_SHUTDOWN', '5.11')
const hasOpenssl = spawnSync('openssl', ['version']).status === 0
type Impl = (t: ExecutionContext) => Promise<void>
const tlsTest: (title: string, impl: Impl) => void = ok && hasOpenssl ? test : (title: string, impl: (t: ExecutionContext) => Promise<void>) => test.skip(`${title} (skipped: ${ok ? 'no openssl to make a test certificate' : 'IORING_OP_SHUTDOWN needs Linux 5.11'})`, impl)

/** A node:http server fed by a uring/net server; returns the port. */
async function httpOverUring(t: ExecutionContext, handler: http.RequestListener): Promise<number> {
  const h = http.createServer(handler)
  const srv = unet.createServer((s) => h.emit('connection', s))
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => {
    srv.close()
    h.close()
    h.closeAllConnections()
  })
  return (srv.address() as unet.AddressInfo).port
}

netTest('node:http server on uring/net: fetch and http.request from node, with a 2 MiB body each way', async (t) => {
  const port = await httpOverUring(t, (req, res) => {
    const parts: Buffer[] = []
    req.on('data', (d: Buffer) => parts.push(d))
    req.on('end', () => {
      const body = Buffer.concat(parts)
      res.setHeader('x-len', String(body.length))
      res.end(body.length > 0 ? body : 'hello from uring')
    })
  })
  const r = await fetch(`http://127.0.0.1:${port}/x`)
  t.is(r.status, 200)
  t.is(await r.text(), 'hello from uring')
  const big = pattern(2 << 20, 4)
  const got = await new Promise<Buffer>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', agent: false }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (d: Buffer) => parts.push(d))
      res.on('end', () => resolve(Buffer.concat(parts)))
    })
    req.on('error', reject)
    req.end(big)
  })
  t.true(got.equals(big))
  // keep-alive: several requests over one connection
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  for (let i = 0; i < 5; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: `/k${i}`, agent }, (res) => {
          let s = ''
          res.setEncoding('utf8')
          res.on('data', (d: string) => (s += d))
          res.on('end', () => resolve(s))
        })
        .on('error', reject)
    })
    t.is(body, 'hello from uring')
  }
})

netTest('node:http client over a uring/net socket (createConnection) to a node:http server', async (t) => {
  const h = http.createServer((req, res) => res.end(`${req.method} ${req.url}`))
  h.listen(0, '127.0.0.1')
  await once(h, 'listening')
  t.teardown(() => {
    h.close()
    h.closeAllConnections()
  })
  const port = (h.address() as { port: number }).port
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/via-uring', createConnection: () => unet.connect(port, '127.0.0.1') as unknown as import('node:net').Socket },
      (res) => {
        let s = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (s += d))
        res.on('end', () => resolve(s))
      },
    )
    req.on('error', reject)
    req.end()
  })
  t.is(body, 'GET /via-uring')
})

function makeCert(t: ExecutionContext): { key: Buffer; cert: Buffer } {
  const dir = tempDir(t)
  const key = path.join(dir, 'key.pem')
  const cert = path.join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' })
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) }
}

tlsTest('tls server over uring/net sockets: a node tls client sends and gets back 1 MiB', async (t) => {
  const { key, cert } = makeCert(t)
  const ctx = tls.createSecureContext({ key, cert })
  // allowHalfOpen: TLS sends its close_notify after the peer's FIN, so the raw socket must stay
  // writable until TLS ends it (node:tls does the same with its own sockets).
  const srv = unet.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => s.destroy())
    const ts = new tls.TLSSocket(s as unknown as import('node:net').Socket, { isServer: true, secureContext: ctx })
    ts.on('error', () => ts.destroy())
    ts.pipe(ts)
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => srv.close())
  const port = (srv.address() as unet.AddressInfo).port
  const c = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' })
  t.teardown(() => c.destroy())
  await once(c, 'secureConnect')
  t.true(c.authorized)
  const data = pattern(1 << 20, 6)
  const parts: Buffer[] = []
  c.on('data', (d: Buffer) => parts.push(d))
  c.write(data)
  while (Buffer.concat(parts).length < data.length) await once(c, 'data')
  t.true(Buffer.concat(parts).equals(data))
})

tlsTest('tls client over a uring/net socket (tls.connect({ socket })) to a node tls server', async (t) => {
  const { key, cert } = makeCert(t)
  const srv = tls.createServer({ key, cert }, (s) => {
    s.on('error', () => s.destroy())
    s.end('secret hello')
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => srv.close())
  const port = (srv.address() as { port: number }).port
  // allowHalfOpen: TLS writes its close_notify after the peer's FIN (see the server test).
  const raw = unet.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  raw.on('error', () => raw.destroy())
  const c = tls.connect({ socket: raw as unknown as import('node:net').Socket, ca: cert, servername: 'localhost' })
  t.teardown(() => c.destroy())
  let s = ''
  c.setEncoding('utf8')
  c.on('data', (d: string) => (s += d))
  await once(c, 'end')
  t.true(c.authorized)
  t.is(s, 'secret hello')
})

netTest('examples/http-server.ts in a child process answers a real client from another process', async (t) => {
  const script = path.join(__dirname, '..', 'examples', 'http-server.js')
  const child = spawn(process.execPath, [script, '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  // The port line, or (if the child dies first) its exit status and stderr in the failure.
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (d: string) => (err += d))
  const exited = once(child, 'exit').then(([code, signal]) => `the child exited (code ${code}, signal ${signal}) before printing its port; stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`)
  while (!out.includes('\n')) {
    const d = await Promise.race([once(child.stdout, 'data').then(([x]) => x as string), exited.then((why) => Promise.reject(new Error(why)))])
    out += d
  }
  const { port } = JSON.parse(out.split('\n')[0]) as { port: number }
  const url = `http://127.0.0.1:${port}/hello?x=1`
  const hasCurl = spawnSync('curl', ['--version']).status === 0
  const client = hasCurl ? spawn('curl', ['-s', '--max-time', '20', url]) : spawn(process.execPath, ['-e', `fetch(${JSON.stringify(url)}).then(r => r.text()).then(t => process.stdout.write(t))`])
  let body = ''
  client.stdout.setEncoding('utf8')
  client.stdout.on('data', (d: string) => (body += d))
  const [code] = await once(client, 'exit')
  t.is(code, 0)
  t.deepEqual(JSON.parse(body), { method: 'GET', url: '/hello?x=1', via: 'uring/net' })
  t.log(`client: ${hasCurl ? 'curl' : 'node fetch'}`)
  child.kill('SIGTERM')
  await once(child, 'exit')
})
