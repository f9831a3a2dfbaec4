'use strict'
// Workload 4, uring batch API: the C liburing server written with ring.sq / ring.cq. A multishot
// accept; per connection a multishot recv into a buffer ring (1024 x 2 KiB, like the C server);
// each received buffer goes straight back out with a send of its bytes (no copy) and returns to
// the ring when the send completes. One submitAndWait(1) per batch submits every send and re-arm.
const path = require('node:path')
const uring = require('uring')
const { expertRing, skip } = require('./common')

// getsockname is not public API: the bench reaches into the build for the port the kernel picked.
const sock = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'sock.js'))

const AF_INET = 2
const SOCK_STREAM = 1
const { ring } = expertRing(uring, { entries: 1024 })
let group
try {
  group = ring.registrar.bufferGroup({ count: 1024, size: 2048 })
} catch (e) {
  skip(`buffer ring: ${e.code ?? e.message}`)
}

const lfd = sock.socket(AF_INET, SOCK_STREAM)
sock.bind(lfd, { family: 'ipv4', address: '127.0.0.1', port: 0 })
sock.listen(lfd, 1024)
const { port } = sock.getsockname(lfd)

const sq = ring.sq
const cq = ring.cq
const accept = uring.op.acceptMultishot(lfd)
sq.push(accept)
process.stdout.write(JSON.stringify({ port, pid: process.pid }) + '\n')

/** A send of `bytes` (a view of provided buffer `pb`, released when the whole of it is sent). */
function send(fd, pb, bytes) {
  const s = uring.op.send(fd, bytes)
  s.pb = pb
  sq.push(s)
}

for (;;) {
  sq.submitAndWait(1)
  for (const cqe of cq) {
    const o = cqe.op
    if (o === accept) {
      if (cqe.res >= 0) sq.push(uring.op.recvMultishot(cqe.res, group))
      if (!cqe.more) sq.push(accept)
    } else if (o.name === 'recv') {
      if (cqe.res > 0) {
        const pb = group.take(cqe)
        send(o.fd, pb, pb.bytes)
      }
      if (!cqe.more) {
        // -ENOBUFS: every buffer is out in a send; re-arm. EOF or an error: the connection is done.
        if (cqe.res === -105) sq.push(o)
        else if (cqe.res <= 0) sq.push(uring.op.close(o.fd))
      }
    } else if (o.name === 'send') {
      if (cqe.res > 0 && cqe.res < o.buffer.length) send(o.fd, o.pb, o.buffer.subarray(cqe.res))
      else o.pb.release()
    }
  }
}
