/**
 * A node:http server whose connections are uring/net sockets: io_uring accepts, receives and
 * sends; node:http parses and writes HTTP on top (a Socket is a stream.Duplex).
 *
 *   npm run build:ts && node dist/examples/http-server.js [port]     # prints the port it listens on
 *   curl http://127.0.0.1:<port>/hello
 */
import * as http from 'node:http'
import { createServer } from '../lib/net'

const httpServer = http.createServer((req, res) => {
  const body = JSON.stringify({ method: req.method, url: req.url, via: 'uring/net' }) + '\n'
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
})

// node:http only needs its 'connection' event: hand it every socket uring/net accepts.
const server = createServer((socket) => httpServer.emit('connection', socket))
const port = Number(process.argv[2] ?? 0)
server.listen(port, '127.0.0.1', () => {
  const a = server.address()
  console.log(JSON.stringify({ port: typeof a === 'object' && a !== null ? a.port : a }))
})

process.on('SIGTERM', () => {
  server.close()
  httpServer.close()
  process.exit(0)
})
