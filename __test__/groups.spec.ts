/**
 * Provided buffers (`ring.registrar.bufferGroup()`): the kernel picks a buffer for op.read over a
 * FIFO and op.recv over a real TCP connection; `take()` shows exactly the bytes it wrote,
 * `release()` gives the buffer back, an empty group completes with -ENOBUFS instead of hanging.
 * Each behaviour runs for ring-mapped groups (5.19), legacy PROVIDE_BUFFERS groups (5.7) and
 * incremental groups (6.12), skipped by name where the kernel lacks one.
 */
import type { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as net from 'node:net'
import { BufferGroup, Ring, op } from '../index'
import { fifo, hasOp, Impl, kernelAtLeast, pattern, refusedStale, ring, run, testWhen, throwsCode, tmpFile } from './_helpers'

const ENOBUFS = 105
/** IORING_CQE_F_BUF_MORE: an incremental buffer was only partly used. */
const CQE_F_BUF_MORE = 1 << 4
const RANGE = 'ERR_OUT_OF_RANGE'
const TYPE = 'ERR_INVALID_ARG_TYPE'
const VALUE = 'ERR_INVALID_ARG_VALUE'


/** `test`, or `test.skip` naming the missing feature and the kernel that adds it. */
interface Mode {
  name: string
  options: { legacy?: boolean; incremental?: boolean }
  test: (title: string, impl: Impl) => void
}

const hasRead = hasOp('read')
const hasRecv = hasOp('recv')
const modes: Mode[] = [
  {
    name: 'ring-mapped group',
    options: {},
    test: testWhen(kernelAtLeast('5.19') && hasRead, 'IORING_REGISTER_PBUF_RING', '5.19'),
  },
  {
    name: 'legacy group',
    options: { legacy: true },
    test: testWhen(hasOp('provideBuffers') && hasRead, 'IORING_OP_PROVIDE_BUFFERS', '5.7'),
  },
  {
    name: 'incremental group',
    options: { incremental: true },
    test: testWhen(kernelAtLeast('6.12') && hasRead, 'IOU_PBUF_RING_INC (incremental buffer rings)', '6.12'),
  },
]
const ringMapped = modes[0]
const incremental = modes[2]

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1')

// ---- over a FIFO -------------------------------------------------------------------------------

for (const m of modes) {
  m.test(`${m.name}: a FIFO read picks a buffer, take() gives exactly the bytes, release() gives it back`, (t) => {
    const r = ring(t, { entries: 8 })
    const fd = fifo(t)
    const g = r.registrar.bufferGroup({ count: 2, size: 64, ...m.options })
    t.is(g.count, 2)
    t.is(g.size, 64)
    t.is(g.legacy, m.options.legacy === true)
    t.is(g.incremental, m.options.incremental === true)
    t.true(Number.isInteger(g.id) && g.id >= 0 && g.id <= 65535)
    t.is(g.available, 2)
    const data = pattern(64, 1)
    fs.writeSync(fd, data)
    const [c] = run(r, op.read(fd, g, -1, { userData: 1 }))
    t.is(c.userData, 1)
    t.is(c.res, 64)
    t.not(c.bufferId, undefined, 'the CQE names the buffer the kernel picked')
    const pb = g.take(c)
    t.is(c.bufferId, pb.id)
    t.true(pb.bytes instanceof Uint8Array)
    t.is(pb.bytes.byteLength, 64)
    t.deepEqual(Buffer.from(pb.bytes), data)
    t.is(g.available, 1)
    pb.release()
    t.is(g.available, 2)
    // A short read: the view is exactly as long as what the kernel wrote.
    fs.writeSync(fd, 'short')
    const [c2] = run(r, op.read(fd, g, -1))
    t.is(c2.res, 5)
    t.is(text(g.take(c2).bytes), 'short')
  })

  m.test(`${m.name}: an exhausted group completes with -ENOBUFS at once; release() makes reads work again`, (t) => {
    const r = ring(t, { entries: 8 })
    const fd = fifo(t)
    const g = r.registrar.bufferGroup({ count: 2, size: 64, ...m.options })
    const data = pattern(3 * 64 + 10, 2)
    fs.writeSync(fd, data)
    const [c1] = run(r, op.read(fd, g, -1))
    const [c2] = run(r, op.read(fd, g, -1))
    t.is(c1.res, 64)
    t.is(c2.res, 64)
    const a = g.take(c1)
    const b = g.take(c2)
    t.not(a.id, b.id, 'two different buffers')
    t.deepEqual(Buffer.from(a.bytes), data.subarray(0, 64))
    t.deepEqual(Buffer.from(b.bytes), data.subarray(64, 128))
    t.is(g.available, 0)
    // Data is waiting, but no buffer: the kernel answers ENOBUFS instead of blocking.
    const [none] = run(r, op.read(fd, g, -1, { userData: 3 }))
    t.is(none.userData, 3)
    t.is(none.res, -ENOBUFS)
    t.is(none.bufferId, undefined)
    throwsCode(t, () => g.take(none), VALUE, 'take() of a CQE without a buffer')
    t.deepEqual(Buffer.from(a.bytes), data.subarray(0, 64), 'the taken buffers are untouched')
    a.release()
    t.is(g.available, 1)
    const [c3] = run(r, op.read(fd, g, -1))
    t.is(c3.res, 64)
    t.is(c3.bufferId, a.id, 'the released buffer is the only one the kernel has')
    const c = g.take(c3)
    t.deepEqual(Buffer.from(c.bytes), data.subarray(128, 192), 'the -ENOBUFS read consumed nothing')
    c.release()
    b.release()
    const [c4] = run(r, op.read(fd, g, -1))
    t.is(c4.res, 10)
    t.deepEqual(Buffer.from(g.take(c4).bytes), data.subarray(192))
  })

  m.test(`${m.name}: a read of a regular file at an offset through the group`, (t) => {
    const data = pattern(200, 3)
    const file = tmpFile(t, data)
    const fd = fs.openSync(file, 'r')
    t.teardown(() => fs.closeSync(fd))
    const r = ring(t, { entries: 8 })
    const g = r.registrar.bufferGroup({ count: 1, size: 32, ...m.options })
    const [c] = run(r, op.read(fd, g, 100))
    t.is(c.res, 32)
    const pb = g.take(c)
    t.deepEqual(Buffer.from(pb.bytes), data.subarray(100, 132))
    pb.release()
  })
}

ringMapped.test('take().bytes is a view of the group memory, not a copy: the next use of the buffer shows through', (t) => {
  const r = ring(t, { entries: 8 })
  const fd = fifo(t)
  const g = r.registrar.bufferGroup({ count: 1, size: 16 })
  fs.writeSync(fd, 'AAAA')
  const first = g.take(run(r, op.read(fd, g, -1))[0])
  t.is(text(first.bytes), 'AAAA')
  first.release()
  fs.writeSync(fd, 'BBBB')
  const [c] = run(r, op.read(fd, g, -1))
  const second = g.take(c)
  t.is(second.id, first.id)
  t.is(text(second.bytes), 'BBBB')
  t.is(text(first.bytes), 'BBBB', 'the first view is the same memory the kernel wrote again')
  second.release()
})

incremental.test('incremental group: small reads share one buffer, each view keeps its own bytes', (t) => {
  const r = ring(t, { entries: 8 })
  const fd = fifo(t)
  const g = r.registrar.bufferGroup({ count: 1, size: 64, incremental: true })
  fs.writeSync(fd, 'abc')
  const [c1] = run(r, op.read(fd, g, -1))
  t.is(c1.res, 3)
  t.not(c1.flags & CQE_F_BUF_MORE, 0, 'IORING_CQE_F_BUF_MORE: the buffer has room left')
  const p1 = g.take(c1)
  fs.writeSync(fd, 'defg')
  const [c2] = run(r, op.read(fd, g, -1))
  t.is(c2.res, 4, 'a one-buffer group serves a second read: the first one used only part of it')
  t.is(c2.bufferId, c1.bufferId)
  const p2 = g.take(c2)
  t.is(text(p2.bytes), 'defg')
  t.is(text(p1.bytes), 'abc', 'the second read went after the first bytes, not over them')
})

// ---- over TCP ----------------------------------------------------------------------------------

/** A loopback TCP connection: the server side's fd (Node never reads it) and the client socket. */
async function tcpPair(t: ExecutionContext): Promise<{ fd: number; client: net.Socket }> {
  const server = net.createServer({ pauseOnConnect: true })
  t.teardown(() => {
    server.close()
  })
  const accepted = new Promise<net.Socket>((resolve) => {
    server.once('connection', (s) => {
      s.pause()
      resolve(s)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as net.AddressInfo
  const client = net.connect(port, '127.0.0.1')
  t.teardown(() => {
    client.destroy()
  })
  await new Promise<void>((resolve, reject) => {
    client.once('error', reject)
    client.once('connect', () => resolve())
  })
  const sock = await accepted
  t.teardown(() => {
    sock.destroy()
  })
  const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd
  if (!(Number.isInteger(fd) && fd >= 0)) throw new Error(`no fd on the accepted socket (${fd})`)
  return { fd, client }
}

function send(client: net.Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => client.write(data, (e) => (e ? reject(e) : resolve())))
}

for (const m of modes) {
  const tcpTest = hasRecv ? m.test : testWhen(false, 'IORING_OP_RECV', '5.6')
  tcpTest(`${m.name}: op.recv over TCP gets the client's bytes; -ENOBUFS when the group is empty`, async (t) => {
    const { fd, client } = await tcpPair(t)
    const r = ring(t, { entries: 8 })
    const g = r.registrar.bufferGroup({ count: 2, size: 64, ...m.options })
    const data = pattern(2 * 64 + 20, 5)
    await send(client, data)
    const [c1] = run(r, op.recv(fd, g, { userData: 1 }))
    const [c2] = run(r, op.recv(fd, g, { userData: 2 }))
    t.is(c1.res, 64)
    t.is(c2.res, 64)
    const a = g.take(c1)
    const b = g.take(c2)
    t.deepEqual(Buffer.from(a.bytes), data.subarray(0, 64))
    t.deepEqual(Buffer.from(b.bytes), data.subarray(64, 128))
    const [none] = run(r, op.recv(fd, g, { userData: 3 }))
    t.is(none.res, -ENOBUFS, 'bytes are waiting but no buffer: ENOBUFS, no hang')
    b.release()
    const [c3] = run(r, op.recv(fd, g))
    t.is(c3.res, 20)
    t.is(c3.bufferId, b.id)
    t.deepEqual(Buffer.from(g.take(c3).bytes), data.subarray(128), 'the -ENOBUFS recv consumed nothing')
    // Bytes sent after the first batch arrive too.
    a.release()
    await send(client, Buffer.from('later'))
    const [c4] = run(r, op.recv(fd, g))
    t.is(c4.res, 5)
    t.is(text(g.take(c4).bytes), 'later')
  })
}

// ---- stale groups ------------------------------------------------------------------------------

ringMapped.test('stale: a BufferGroup after close() is ERR_URING_STALE_HANDLE; its id can be used again', (t) => {
  const file = tmpFile(t, 'abcdef')
  const fd = fs.openSync(file, 'r')
  t.teardown(() => fs.closeSync(fd))
  const r = ring(t, { entries: 8 })
  const g = r.registrar.bufferGroup({ count: 2, size: 8, id: 5 })
  g.close()
  refusedStale(t, r, () => op.read(fd, g, 0), 'read with a closed group')
  const again = r.registrar.bufferGroup({ count: 1, size: 8, id: 5 })
  t.is(again.id, 5)
  const [c] = run(r, op.read(fd, again, 0))
  t.is(c.res, 6)
  t.is(text(again.take(c).bytes), 'abcdef')
})

ringMapped.test('stale: a BufferGroup used on another ring with a group of the same id', (t) => {
  const file = tmpFile(t, 'abcdef')
  const fd = fs.openSync(file, 'r')
  t.teardown(() => fs.closeSync(fd))
  const r = ring(t, { entries: 8 })
  const other = ring(t, { entries: 8 })
  const mine = r.registrar.bufferGroup({ count: 1, size: 8, id: 3 })
  other.registrar.bufferGroup({ count: 1, size: 8, id: 3 })
  refusedStale(t, other, () => op.read(fd, mine, 0), "the first ring's group on the second ring")
})

ringMapped.test('stale: a BufferGroup after ring.close(), on a new ring with a group of the same id', (t) => {
  const file = tmpFile(t, 'abcdef')
  const fd = fs.openSync(file, 'r')
  t.teardown(() => fs.closeSync(fd))
  const first = new Ring({ entries: 8 })
  t.teardown(() => first.close())
  const g = first.registrar.bufferGroup({ count: 1, size: 8, id: 4 })
  first.close()
  const next = ring(t, { entries: 8 })
  next.registrar.bufferGroup({ count: 1, size: 8, id: 4 })
  refusedStale(t, next, () => op.read(fd, g, 0), "the closed ring's group")
})

// ---- ids ---------------------------------------------------------------------------------------

ringMapped.test('group ids: distinct by default, `id` is honoured, a used id is ERR_URING_GROUP_EXISTS', (t) => {
  const r = ring(t, { entries: 8 })
  const a = r.registrar.bufferGroup({ count: 1, size: 8 })
  const b = r.registrar.bufferGroup({ count: 1, size: 8 })
  t.not(a.id, b.id)
  const c = r.registrar.bufferGroup({ count: 1, size: 8, id: 700 })
  t.is(c.id, 700)
  throwsCode(t, () => r.registrar.bufferGroup({ count: 1, size: 8, id: 700 }), 'ERR_URING_GROUP_EXISTS')
  throwsCode(t, () => r.registrar.bufferGroup({ count: 1, size: 8, id: a.id, legacy: true }), 'ERR_URING_GROUP_EXISTS', 'a legacy group with the id of a ring-mapped one')
  const d = r.registrar.bufferGroup({ count: 1, size: 8 })
  t.false([a.id, b.id, c.id].includes(d.id), 'a default id skips ids in use')
})

// ---- bad input ---------------------------------------------------------------------------------

/** `bad(r, g, fd)`: `g` is a live group of 2 buffers of 16 bytes on `r`; `fd` is an empty FIFO. */
type BadCase = [title: string, bad: (r: Ring, g: BufferGroup, fd: number) => unknown, codes: string | string[]]

const badCases: BadCase[] = [
  ['bufferGroup({ count: 0 })', (r) => r.registrar.bufferGroup({ count: 0, size: 8 }), RANGE],
  ['bufferGroup({ count: 32769 })', (r) => r.registrar.bufferGroup({ count: 32769, size: 8 }), RANGE],
  ['bufferGroup({ count: 1.5 })', (r) => r.registrar.bufferGroup({ count: 1.5, size: 8 }), RANGE],
  ["bufferGroup({ count: '2' })", (r) => r.registrar.bufferGroup({ count: '2' as never, size: 8 }), TYPE],
  ['bufferGroup({ size: 0 })', (r) => r.registrar.bufferGroup({ count: 1, size: 0 }), RANGE],
  ['bufferGroup({ size: -8 })', (r) => r.registrar.bufferGroup({ count: 1, size: -8 }), RANGE],
  ['bufferGroup({ size: 2**31 + 1 })', (r) => r.registrar.bufferGroup({ count: 1, size: 2 ** 31 + 1 }), RANGE],
  ['bufferGroup({ id: -1 })', (r) => r.registrar.bufferGroup({ count: 1, size: 8, id: -1 }), RANGE],
  ['bufferGroup({ id: 65536 })', (r) => r.registrar.bufferGroup({ count: 1, size: 8, id: 65536 }), RANGE],
  ["bufferGroup({ incremental: 'yes' })", (r) => r.registrar.bufferGroup({ count: 1, size: 8, incremental: 'yes' as never }), TYPE],
  ['bufferGroup({ size: 8 }) without a count', (r) => r.registrar.bufferGroup({ size: 8 } as never), TYPE],
  ['bufferGroup(null)', (r) => r.registrar.bufferGroup(null as never), TYPE],
  ['bufferGroup with the id of a live group', (r, g) => r.registrar.bufferGroup({ count: 1, size: 8, id: g.id }), 'ERR_URING_GROUP_EXISTS'],
  ['take() of a NOP CQE (no buffer)', (r, g) => g.take(run(r, op.nop())[0]), VALUE],
  ['take(3)', (_r, g) => g.take(3 as never), TYPE],
  ['take(null)', (_r, g) => g.take(null as never), TYPE],
  ['release() twice', (r, g, fd) => {
    fs.writeSync(fd, 'once')
    const pb = g.take(run(r, op.read(fd, g, -1))[0])
    pb.release()
    pb.release()
  }, 'ERR_URING_BUFFER_RELEASED'],
  ['a BufferGroup as the buffer of op.write', (_r, g) => op.write(0, g as never, 0), TYPE],
  ['a BufferGroup in op.readv', (_r, g) => op.readv(0, [g] as never, 0), TYPE],
]

for (const [title, bad, codes] of badCases) {
  ringMapped.test(`bad input: ${title} throws ${Array.isArray(codes) ? codes.join(' or ') : codes}; the group keeps working`, (t) => {
    const r = ring(t, { entries: 8 })
    const fd = fifo(t)
    const g = r.registrar.bufferGroup({ count: 2, size: 16 })
    throwsCode(t, () => bad(r, g, fd), codes, title)
    t.is(r.sq.pending, 0, 'nothing staged')
    // The group still serves a read afterwards.
    fs.writeSync(fd, 'after')
    const [c] = run(r, op.read(fd, g, -1))
    t.is(c.res, 5)
    const pb = g.take(c)
    t.is(text(pb.bytes), 'after')
    pb.release()
  })
}

incremental.test('incremental group: the buffer goes back only when every piece is released, so no held piece is overwritten', (t) => {
  const r = ring(t, { entries: 8 })
  const fd = fifo(t)
  const g = r.registrar.bufferGroup({ count: 1, size: 8, incremental: true })
  fs.writeSync(fd, 'abc')
  const [c1] = run(r, op.read(fd, g, -1))
  const p1 = g.take(c1)
  t.true(p1.more)
  fs.writeSync(fd, 'defgh')
  const [c2] = run(r, op.read(fd, g, -1))
  t.is(c2.res, 5)
  const p2 = g.take(c2)
  t.false(p2.more, 'this piece filled the buffer')
  p2.release()
  t.is(g.available, 0, 'the first piece is still held: the buffer stays out of the kernel')
  fs.writeSync(fd, 'XYZ')
  t.is(run(r, op.read(fd, g, -1))[0].res, -ENOBUFS)
  t.is(text(p1.bytes), 'abc', 'the held piece keeps its bytes')
  p1.release()
  t.is(g.available, 1)
  const [c3] = run(r, op.read(fd, g, -1))
  t.is(text(g.take(c3).bytes), 'XYZ')
  throwsCode(t, () => p1.release(), 'ERR_URING_BUFFER_RELEASED')
})
