'use strict'
// Workload 4, uring/os: the server written with awaited syscalls on the default ring: an accept
// loop, and per connection a loop of `n = await os.recv(fd, buf)` -> `await os.send(fd, ...)`.
// No multishot, no provided buffers: one recv and one send SQE per message, each its own promise.
const path = require('node:path')
const { skip } = require('./common')

let os
let sock
try {
  os = require('uring/os')
  // getsockname is not public API: the bench reaches into the build for the port the kernel picked.
  sock = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'sock.js'))
} catch (e) {
  skip(`uring/os does not load: ${e.message.split('\n')[0]}`)
}

const AF_INET = 2
const SOCK_STREAM = 1

async function serve(fd) {
  const buf = Buffer.allocUnsafe(4096)
  try {
    for (;;) {
      const n = await os.recv(fd, buf)
      if (n === 0) break
      for (let off = 0; off < n; ) off += await os.send(fd, buf.subarray(off, n))
    }
  } catch {
    // the client went away (ECONNRESET): close below
  }
  await os.close(fd).catch(() => {})
}

async function main() {
  const lfd = sock.socket(AF_INET, SOCK_STREAM)
  await os.bind(lfd, { family: 'ipv4', address: '127.0.0.1', port: 0 })
  await os.listen(lfd, 1024)
  const { port } = sock.getsockname(lfd)
  process.stdout.write(JSON.stringify({ port, pid: process.pid }) + '\n')
  for (;;) {
    const { fd } = await os.accept(lfd)
    serve(fd)
  }
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
