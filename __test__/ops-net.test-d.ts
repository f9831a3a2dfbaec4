/**
 * Type tests of the net ops, checked by `tsc --noEmit -p tsconfig.json` (excluded from the build,
 * never run). Each `@ts-expect-error` line must NOT compile: if the library's types ever accept
 * it, tsc reports the directive as unused and the type check fails.
 */
import {
  AcceptResult,
  ControlMessage,
  Cqe,
  RecvmsgResult,
  Ring,
  SocketAddress,
  ZeroCopyResult,
  op,
} from '../index'

export function netTypeTests(): void {
  const ring = new Ring({ entries: 8 })
  const [file] = ring.registrar.registerFiles([3])
  const [fixed] = ring.registrar.registerBuffers([4096])
  const group = ring.registrar.bufferGroup({ count: 4, size: 4096 })
  const buf = Buffer.alloc(8)
  const cqe = new Cqe()
  const v4: SocketAddress = { family: 'ipv4', address: '127.0.0.1', port: 80 }
  const v6: SocketAddress = { family: 'ipv6', address: '::1', port: 80, scopeId: 1 }
  const un: SocketAddress = { family: 'unix', path: '\0abstract' }

  // ---- these compile ---------------------------------------------------------------------------

  ring.sq.pushMany([
    op.socket(2, 1, 0, { direct: true }),
    op.bind(3, v4),
    op.bind(file, v6, { link: true }),
    op.listen(file, 128),
    op.connect(3, un),
    op.accept(3, { flags: 0o2000000, direct: true }),
    op.acceptMultishot(file, { direct: true }),
    op.send(3, buf, { to: v4, flags: 0, bufferOffset: 1, length: 2 }),
    op.sendZc(file, buf, { reportUsage: true }),
    op.recv(3, group, { length: 16 }),
    op.recvMultishot(3, group, { length: 16 }),
    op.recvBundle(3, group, { multishot: true }),
    op.sendmsg(3, { buffers: [buf, new Uint8Array(2)], to: v6, control: [{ level: 1, type: 1, data: buf }] }),
    op.sendmsgZc(3, { buffers: [buf], control: buf }, { reportUsage: true }),
    op.recvmsg(3, [buf], { controlSize: 64 }),
    op.recvmsgMultishot(3, group, { nameSize: 16, controlSize: 0 }),
    op.shutdown(3, 'both'),
    op.socketCmd.siocinq(file),
    op.socketCmd.siocoutq(3),
    op.socketCmd.getsockopt(3, 1, 8, 4),
    op.socketCmd.setsockopt(3, 1, 8, 65536),
    op.socketCmd.setsockopt(3, 1, 8, buf),
  ])
  const acc = op.accept(3)
  const a: AcceptResult = acc.decode(cqe)
  if (a.address?.family === 'ipv6') {
    const scope: number | undefined = a.address.scopeId
    void scope
  }
  const m: RecvmsgResult = op.recvmsg(3, [buf]).decode(cqe)
  const c: ControlMessage[] = m.control
  const z: ZeroCopyResult = op.sendZc(3, buf).decode(cqe)
  if (!z.notification) {
    const n: number = z.bytes
    void n
  }
  const inq: number = op.socketCmd.siocinq(3).decode(cqe)
  const opt: number | undefined = op.socketCmd.getsockopt(3, 1, 8).decode(cqe).int
  void [c, inq, opt]

  // ---- must not compile: addresses of the wrong shape ------------------------------------------

  // @ts-expect-error an address is an object, not "host:port" text
  op.connect(3, '127.0.0.1:80')
  // @ts-expect-error an IPv4 address needs a port
  op.connect(3, { family: 'ipv4', address: '127.0.0.1' })
  // @ts-expect-error no such family
  op.bind(3, { family: 'ipx', address: '1', port: 1 })
  // @ts-expect-error a unix path is a string
  op.bind(3, { family: 'unix', path: 1 })
  // @ts-expect-error unix addresses have no port
  op.bind(3, { family: 'unix', path: '/tmp/s', port: 1 })
  // @ts-expect-error scopeId is for IPv6 only
  op.bind(3, { family: 'ipv4', address: '127.0.0.1', port: 1, scopeId: 1 })
  // @ts-expect-error bind needs an address
  op.bind(3)
  // @ts-expect-error sendto's destination is an address object
  op.send(3, buf, { to: 80 })

  // ---- must not compile: missing or wrongly typed fields -------------------------------------

  // @ts-expect-error listen needs a backlog
  op.listen(3)
  // @ts-expect-error shutdown takes 'read' | 'write' | 'both'
  op.shutdown(3, 'sideways')
  // @ts-expect-error shutdown does not take SHUT_* numbers
  op.shutdown(3, 1)
  // @ts-expect-error getsockopt needs an optname
  op.socketCmd.getsockopt(3, 1)
  // @ts-expect-error setsockopt takes bytes or a number
  op.socketCmd.setsockopt(3, 1, 8, '65536')
  // @ts-expect-error sendmsg takes a message object
  op.sendmsg(3, [buf])
  // @ts-expect-error a message's buffers are a list
  op.sendmsg(3, { buffers: buf })
  // @ts-expect-error recvmsg takes a list of buffers
  op.recvmsg(3, buf)
  // @ts-expect-error a control message needs its data
  op.sendmsg(3, { buffers: [buf], control: [{ level: 1, type: 1 }] })
  // @ts-expect-error net ops take no ioprio (the field carries their flags)
  op.send(3, buf, { ioprio: 1 })
  // @ts-expect-error net ops take no ioprio
  op.socket(2, 1, 0, { ioprio: 1 })
  // @ts-expect-error reportUsage is for the zero-copy sends
  op.send(3, buf, { reportUsage: true })
  // @ts-expect-error a multishot accept has no peer address to keep, and no such option
  op.acceptMultishot(3, { peer: true })
  // @ts-expect-error recvBundle takes no length
  op.recvBundle(3, group, { length: 4 })

  // ---- must not compile: buffers and handles in the wrong place --------------------------------

  // @ts-expect-error send has no fixed-buffer form
  op.send(3, fixed)
  // @ts-expect-error send takes bytes, not a group
  op.send(3, group)
  // @ts-expect-error a multishot recv needs a BufferGroup
  op.recvMultishot(3, buf)
  // @ts-expect-error a bundle needs a BufferGroup
  op.recvBundle(3, buf)
  // @ts-expect-error recvmsg multishot needs a BufferGroup
  op.recvmsgMultishot(3, [buf])
  // @ts-expect-error socket's domain is a number, not a handle
  op.socket(file, 1)
  // @ts-expect-error the socket of an op is an fd or a RegisteredFd, not a group
  op.accept(group)

  // ---- must not compile: results used without their checks -------------------------------------

  // @ts-expect-error the peer's address may be undefined
  const peer: SocketAddress = acc.decode(cqe).address
  // @ts-expect-error a unix address has no port: narrow on family first
  const port: number = (acc.decode(cqe).address as SocketAddress).port
  // @ts-expect-error a notification has no byte count: narrow on `notification` first
  const sent: number = z.bytes
  void [peer, port, sent]
}
