/**
 * The bad-input catalogue (issue 9): one test per bad input, titled with the input and the EXACT
 * error code it gets ('no error' where the input is accepted and the test shows what really
 * happens). Every case runs with work already in flight on the ring it hits: a read submitted
 * with `ring.sq` and a read issued with `ring.run`, each on a FIFO no one has written to (for
 * `uring/os` and `uring/fs` cases, an `os.read` on the default ring). After the bad call the
 * harness writes to the FIFOs and checks that each in-flight read settles once with its bytes,
 * that nothing else arrived, and that the ring still completes a NOP both ways; a case that
 * closes the ring checks instead that the in-flight run rejects once with ERR_URING_CLOSED and
 * the cancelled reads took nothing.
 *
 * Cases that already live in badinput.spec.ts, driver-badinput.spec.ts, registrar.spec.ts,
 * queues.spec.ts and setup.spec.ts are not repeated; these go through other entry points
 * (ring.run, uring/os, uring/fs, ring.sq with the kernel's answer), or with work in flight.
 *
 * Buffers transferred while their op is in flight (`structuredClone`/`postMessage` with a
 * transfer list) are the regression tests of lib/ring.ts `pin`: before it, the transfer
 * detached the view and handed the backing store to the clone, which freed it when collected
 * while the kernel was still writing into it (glibc aborted with "corrupted size vs. prev_size").
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { AT_FDCWD, Op, Ring, RingOptions, op } from '../index'
import * as uos from '../lib/os'
import * as ufs from '../lib/fs'
import { resultOf } from '../lib/opbase'
import { closedFd, openFile, run, tempDir } from './_helpers'
import { fifoPair, tracker } from './_driver'

const OK = 'no error'
const TYPE = 'ERR_INVALID_ARG_TYPE'
const RANGE = 'ERR_OUT_OF_RANGE'
const VALUE = 'ERR_INVALID_ARG_VALUE'
const UNKNOWN = 'ERR_URING_UNKNOWN_OPTION'
const CLOSED = 'ERR_URING_CLOSED'
const STALE = 'ERR_URING_STALE_HANDLE'
const NODE_MAJOR = Number(process.versions.node.split('.')[0])
/** What transferring a buffer an op has used does: Node 20 copies an untransferable ArrayBuffer, 21+ throws. */
const CLONE = NODE_MAJOR >= 21 ? 'DataCloneError' : OK
const HAS_AB_TRANSFER = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'
const CONTENT = 'catalogue-content-0123456789'
const LONG_PATH = '/' + 'x'.repeat(5000) // past PATH_MAX (4096)
const SQ_UD = 0xf1f0

/** What a case works with. */
interface World {
  t: ExecutionContext
  /** The ring the bad call hits: a fresh 8-entry ring, or uring/os's default ring. */
  r: Ring
  /** A file opened r+ holding CONTENT. */
  file: string
  fd: number
  dir: string
  /** Anything a case keeps between its bad call and its `then`. */
  scratch: Record<string, unknown>
}

interface Case {
  title: string
  /** The exact `code` of the error (or the DOMException name), or OK. */
  code: string
  /** 'os': the bad call goes through uring/os or uring/fs, whose default ring has the in-flight read. */
  on?: 'ring' | 'os'
  options?: RingOptions
  /** Throws, returns a promise that rejects, or returns what it got. */
  bad: (w: World) => unknown
  /** More checks of what really happened (and clean-up of what the case staged). */
  then?: (t: ExecutionContext, w: World, out: { err?: Err; value?: unknown }) => unknown
  /** The case closes w.r. */
  closes?: boolean
  /** Not run here, and why. */
  skip?: string
  /** A known library gap (a test.failing; the comment says what). */
  failing?: boolean
}

type Err = Error & { code?: unknown }

/** Pushes `o` with ring.sq, submits, and returns its CQE's res (throws a CqeError, code = errno name, for res < 0). */
function kernel(w: World, o: Op, what: string): number {
  o.userData = 0x5eed
  w.r.sq.push(o)
  w.r.sq.submitAndWait(1, { timeoutMs: 5000 })
  const cqes = w.r.cq.drain()
  w.t.deepEqual(
    cqes.map((c) => c.userData),
    [0x5eed],
    'exactly the one CQE of the bad op',
  )
  return resultOf(cqes[0], what)
}

/** A FIFO with a read in flight that the case controls: `feed(s)` writes `s` to it. */
function fifoRead(w: World, into: ArrayBufferView, ud: number): { fd: number; feed: (s: string) => void } {
  const { fd } = fifoPair(w.t)
  w.r.sq.push(op.read(fd, into, -1, { userData: ud }))
  w.r.sq.submit()
  return { fd, feed: (s) => void fs.writeSync(fd, s) }
}

/** Waits for the CQE of `ud` (and nothing else). */
function cqeOf(w: World, ud: number): number {
  const cqes = w.r.cq.wait(1, { timeoutMs: 5000 })
  w.t.deepEqual(
    cqes.map((c) => c.userData),
    [ud],
    `one CQE, of ${ud}`,
  )
  return cqes[0]?.res
}

const text = (v: ArrayBufferView, n: number): string => Buffer.from(v.buffer, v.byteOffset, n).toString('latin1')

const cases: Case[] = [
  // ---- fds ------------------------------------------------------------------------------------
  { title: 'fds: ring.run of a read whose fd was changed to -1 after it was made', code: RANGE, bad: (w) => {
    const o = op.read(w.fd, Buffer.alloc(4), 0)
    ;(o as { fd: unknown }).fd = -1
    return w.r.run(o)
  } },
  { title: 'fds: op.statx dirfd -5 (only AT_FDCWD may be negative)', code: RANGE, bad: () => op.statx(-5, 'x') },
  { title: 'fds: uring/os read fd -1', code: RANGE, on: 'os', bad: () => uos.read(-1, Buffer.alloc(4)) },
  { title: 'fds: uring/os close fd NaN', code: RANGE, on: 'os', bad: () => uos.close(NaN) },
  { title: 'fds: op.close fd NaN', code: RANGE, bad: () => op.close(NaN) },
  { title: 'fds: op.read fd 2**53', code: RANGE, bad: () => op.read(2 ** 53, Buffer.alloc(4), 0) },
  { title: 'fds: op.fsync fd 2**53', code: RANGE, bad: () => op.fsync(2 ** 53) },
  { title: 'fds: ring.sq read of a closed fd (the CQE says EBADF)', code: 'EBADF', bad: (w) => kernel(w, op.read(closedFd(), Buffer.alloc(4), 0), 'read') },
  { title: 'fds: ring.run write to a closed fd (the promise rejects EBADF)', code: 'EBADF', bad: (w) => w.r.run(op.write(closedFd(), Buffer.from('x'), 0)),
    then: (t, w, { err }) => {
      t.is((err as { errno?: number }).errno, -9)
      t.is((err as { syscall?: string }).syscall, 'write')
    } },
  { title: 'fds: uring/os write to a closed fd', code: 'EBADF', on: 'os', bad: () => uos.write(closedFd(), Buffer.from('x'), 0) },
  { title: 'fds: openat of a directory for writing (O_WRONLY)', code: 'EISDIR', bad: (w) => w.r.run(op.openat(AT_FDCWD, w.dir, fs.constants.O_WRONLY)),
    then: (t, w, { err }) => t.is((err as { path?: string }).path, w.dir) },
  { title: 'fds: ring.sq read of a directory fd (the CQE says EISDIR)', code: 'EISDIR', bad: (w) => kernel(w, op.read(openFile(w.t, w.dir, 'r'), Buffer.alloc(4), 0), 'read') },
  { title: 'fds: ring.sq write to a directory fd (opened read-only: the CQE says EBADF)', code: 'EBADF', bad: (w) => kernel(w, op.write(openFile(w.t, w.dir, 'r'), Buffer.from('x'), 0), 'write') },
  { title: 'fds: op.write fd {}', code: TYPE, bad: () => op.write({} as never, Buffer.from('x'), 0) },
  { title: "fds: uring/os fsync fd '3'", code: TYPE, on: 'os', bad: () => uos.fsync('3' as never) },

  // ---- buffers --------------------------------------------------------------------------------
  { title: 'buffers: detached (structuredClone transfer) after the op was made, then ring.run with an explicit length', code: RANGE, bad: (w) => {
    const ab = new ArrayBuffer(8)
    const o = op.read(w.fd, ab, 0, { length: 8 })
    structuredClone(ab, { transfer: [ab] })
    w.t.is(ab.byteLength, 0, 'detached')
    return w.r.run(o)
  } },
  { title: 'buffers: structuredClone transfer of a read buffer after push, before submit', code: CLONE, bad: (w) => {
    const u = new Uint8Array(8)
    w.scratch.u = u
    w.r.sq.push(op.read(w.fd, u, 0, { userData: 0xb0 }))
    w.scratch.clone = structuredClone(u.buffer, { transfer: [u.buffer] })
  }, then: (t, w) => {
    const u = w.scratch.u as Uint8Array
    t.is(u.byteLength, 8, 'the staged view was not detached')
    t.is(w.r.sq.submitAndWait(1, { timeoutMs: 5000 }), 1)
    t.is(cqeOf(w, 0xb0), 8)
    t.is(text(u, 8), CONTENT.slice(0, 8), 'the bytes are in the original buffer')
    if (w.scratch.clone !== undefined) t.deepEqual([...new Uint8Array(w.scratch.clone as ArrayBuffer)], new Array(8).fill(0), 'the clone is a copy taken before the read')
  } },
  { title: 'buffers: structuredClone transfer of a read buffer while the read is in flight (ring.sq)', code: CLONE, bad: (w) => {
    const u = new Uint8Array(200) // a small malloc'd backing store: freeing it under the kernel corrupted the heap
    w.scratch.u = u
    w.scratch.f = fifoRead(w, u, 0xb1)
    w.scratch.clone = structuredClone(u.buffer, { transfer: [u.buffer] })
  }, then: (t, w) => {
    const u = w.scratch.u as Uint8Array
    t.is(u.byteLength, 200, 'the in-flight view was not detached')
    ;(w.scratch.f as { feed: (s: string) => void }).feed('kernel-bytes')
    t.is(cqeOf(w, 0xb1), 12)
    t.is(text(u, 12), 'kernel-bytes', 'the kernel wrote into the original backing store')
    const clone = w.scratch.clone as ArrayBuffer | undefined
    if (clone !== undefined) {
      t.is(new Uint8Array(clone)[0], 0, 'the clone is a separate copy')
      new Uint8Array(clone)[0] = 1
      t.is(u[0], 'k'.charCodeAt(0), 'writing the clone does not touch the view')
    }
  } },
  { title: 'buffers: MessagePort postMessage transfer of a read buffer while the read is in flight', code: CLONE, bad: (w) => {
    const u = new Uint8Array(64)
    w.scratch.u = u
    w.scratch.f = fifoRead(w, u, 0xb2)
    const ch = new MessageChannel()
    w.t.teardown(() => {
      ch.port1.close()
      ch.port2.close()
    })
    ch.port1.postMessage(u.buffer, [u.buffer])
  }, then: (t, w) => {
    const u = w.scratch.u as Uint8Array
    t.is(u.byteLength, 64)
    ;(w.scratch.f as { feed: (s: string) => void }).feed('posted')
    t.is(cqeOf(w, 0xb2), 6)
    t.is(text(u, 6), 'posted')
  } },
  { title: 'buffers: structuredClone transfer of a ring.run read buffer while it is in flight', code: CLONE, bad: async (w) => {
    const { fd } = fifoPair(w.t)
    const u = new Uint8Array(32)
    w.scratch.u = u
    w.scratch.fd = fd
    w.scratch.p = tracker(w.r.run(op.read(fd, u, -1)))
    await w.r.run(op.nop())
    structuredClone(u.buffer, { transfer: [u.buffer] })
  }, then: async (t, w) => {
    const u = w.scratch.u as Uint8Array
    t.is(u.byteLength, 32)
    fs.writeSync(w.scratch.fd as number, 'driven')
    t.is(await (w.scratch.p as { promise: Promise<number> }).promise, 6)
    t.is(text(u, 6), 'driven')
  } },
  { title: 'buffers: structuredClone transfer of one readv buffer while the readv is in flight', code: CLONE, bad: (w) => {
    const a = new Uint8Array(3)
    const b = new Uint8Array(5)
    w.scratch.ab = [a, b]
    const { fd } = fifoPair(w.t)
    w.scratch.fd = fd
    w.r.sq.push(op.readv(fd, [a, b], -1, { userData: 0xb3 }))
    w.r.sq.submit()
    structuredClone(b.buffer, { transfer: [b.buffer] })
  }, then: (t, w) => {
    const [a, b] = w.scratch.ab as Uint8Array[]
    t.is(b.byteLength, 5)
    fs.writeSync(w.scratch.fd as number, 'abcdefgh')
    t.is(cqeOf(w, 0xb3), 8)
    t.is(text(a, 3) + text(b, 5), 'abcdefgh')
  } },
  { title: 'buffers: ArrayBuffer.prototype.transfer() of a read buffer while the read is in flight', code: 'TypeError',
    skip: HAS_AB_TRANSFER ? undefined : `ArrayBuffer.prototype.transfer is not in Node ${process.versions.node}`,
    // Node's untransferable mark does not stop transfer() before Node sets a V8 detach key with it:
    // the view is detached and the kernel writes into the backing store of the returned buffer,
    // which frees it when collected. A known gap (see docs/safety.md); the test keeps the
    // returned buffer alive, so it cannot corrupt memory here.
    failing: true,
    bad: (w) => {
      const u = new Uint8Array(16)
      w.scratch.u = u
      w.scratch.f = fifoRead(w, u, 0xb4)
      w.scratch.moved = (u.buffer as ArrayBuffer & { transfer: () => ArrayBuffer }).transfer()
    }, then: (t, w) => {
      ;(w.scratch.f as { feed: (s: string) => void }).feed('moved')
      t.is(cqeOf(w, 0xb4), 5)
      t.is((w.scratch.u as Uint8Array).byteLength, 16)
    } },
  { title: 'buffers: a SharedArrayBuffer-backed view read into, its SharedArrayBuffer cloned while in flight', code: OK, bad: (w) => {
    const sab = new SharedArrayBuffer(16)
    const u = new Uint8Array(sab)
    w.scratch.u = u
    w.scratch.f = fifoRead(w, u, 0xb5)
    w.scratch.clone = structuredClone(sab) // shared, never detached
  }, then: (t, w) => {
    ;(w.scratch.f as { feed: (s: string) => void }).feed('shared')
    t.is(cqeOf(w, 0xb5), 6)
    t.is(text(w.scratch.u as Uint8Array, 6), 'shared')
    t.is(text(new Uint8Array(w.scratch.clone as SharedArrayBuffer), 6), 'shared', 'the clone is the same memory')
  } },
  { title: 'buffers: a bare SharedArrayBuffer (not a view)', code: TYPE, bad: (w) => op.read(w.fd, new SharedArrayBuffer(8) as never, 0) },
  { title: 'buffers: a resizable ArrayBuffer shrunk to 0 while a read into it is in flight (the CQE says EFAULT)', code: 'EFAULT', bad: (w) => {
    const ab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize: (n: number) => void })(8, { maxByteLength: 1 << 16 })
    const u = new Uint8Array(ab)
    const f = fifoRead(w, u, 0xb6)
    ab.resize(0)
    f.feed('resized!')
    w.scratch.fd = f.fd
    const res = cqeOf(w, 0xb6)
    if (res < 0) resultOf({ res }, 'read')
    return res
  }, then: (t, w) => {
    t.is(fs.readSync(w.scratch.fd as number, Buffer.alloc(16)), 8, 'the faulted read took nothing from the FIFO')
  } },
  { title: 'buffers: zero-length read on an empty FIFO (pending until the FIFO is readable, then 0; takes nothing)', code: OK, bad: (w) => {
    const f = fifoRead(w, Buffer.alloc(0), 0xb7)
    w.t.deepEqual(w.r.cq.wait(1, { timeoutMs: 100 }), [], 'not complete while the FIFO is empty')
    f.feed('abc')
    w.scratch.fd = f.fd
    return cqeOf(w, 0xb7)
  }, then: (t, w, { value }) => {
    t.is(value, 0)
    t.is(fs.readSync(w.scratch.fd as number, Buffer.alloc(8)), 3, 'the bytes are still in the FIFO')
  } },
  { title: 'buffers: zero-length read of a regular file', code: OK, bad: (w) => kernel(w, op.read(w.fd, Buffer.alloc(0), 0), 'read'),
    then: (t, _w, { value }) => t.is(value, 0) },
  { title: 'buffers: zero-length write (the file is unchanged)', code: OK, bad: (w) => kernel(w, op.write(w.fd, new Uint8Array(0), 0), 'write'),
    then: (t, w, { value }) => {
      t.is(value, 0)
      t.is(fs.readFileSync(w.file, 'latin1'), CONTENT)
    } },
  { title: 'buffers: a DataView at byte offset 3 (the bytes land at its offset)', code: OK, bad: (w) => {
    const ab = new ArrayBuffer(12)
    w.scratch.ab = ab
    return kernel(w, op.read(w.fd, new DataView(ab, 3, 5), 0), 'read')
  }, then: (t, w, { value }) => {
    t.is(value, 5)
    t.deepEqual(Buffer.from(w.scratch.ab as ArrayBuffer), Buffer.concat([Buffer.alloc(3), Buffer.from(CONTENT.slice(0, 5)), Buffer.alloc(4)]))
  } },
  { title: "buffers: uring/os write of a string 'abc'", code: TYPE, on: 'os', bad: (w) => uos.write(w.fd, 'abc' as never, 0) },
  { title: "buffers: ring.run of a write whose buffer was changed to a string", code: TYPE, bad: (w) => {
    const o = op.write(w.fd, Buffer.from('x'), 0)
    ;(o as { buffer: unknown }).buffer = 'x'
    return w.r.run(o)
  } },
  { title: 'buffers: uring/os read into a plain array [1, 2]', code: TYPE, on: 'os', bad: (w) => uos.read(w.fd, [1, 2] as never) },
  { title: 'buffers: uring/os writev of [[1, 2]]', code: TYPE, on: 'os', bad: (w) => uos.writev(w.fd, [[1, 2]] as never) },

  // ---- offsets and lengths --------------------------------------------------------------------
  { title: 'offsets: uring/os read at position -2', code: RANGE, on: 'os', bad: (w) => uos.read(w.fd, Buffer.alloc(2), -2) },
  { title: 'offsets: op.read at offset 2**64 (a number)', code: RANGE, bad: (w) => op.read(w.fd, Buffer.alloc(2), 2 ** 64) },
  { title: 'offsets: uring/os read at offset 2n**64n', code: RANGE, on: 'os', bad: (w) => uos.read(w.fd, Buffer.alloc(2), 2n ** 64n) },
  { title: 'offsets: read at offset 2n**63n - 1n (accepted; the kernel answers EINVAL)', code: 'EINVAL', bad: (w) => kernel(w, op.read(w.fd, Buffer.alloc(2), 2n ** 63n - 1n), 'read') },
  { title: 'offsets: read at offset 1n (a bigint offset is accepted)', code: OK, bad: (w) => {
    const b = Buffer.alloc(4)
    w.scratch.b = b
    return kernel(w, op.read(w.fd, b, 1n), 'read')
  }, then: (t, w, { value }) => {
    t.is(value, 4)
    t.is((w.scratch.b as Buffer).toString(), CONTENT.slice(1, 5))
  } },
  { title: 'lengths: length 4n (a bigint)', code: TYPE, bad: (w) => op.read(w.fd, Buffer.alloc(4), 0, { length: 4n as never }) },
  { title: 'lengths: bufferOffset 1n (a bigint)', code: TYPE, bad: (w) => op.write(w.fd, Buffer.alloc(4), 0, { bufferOffset: 1n as never }) },
  { title: 'lengths: length 2**32 on a 4-byte buffer', code: RANGE, bad: (w) => op.read(w.fd, Buffer.alloc(4), 0, { length: 2 ** 32 }) },
  { title: 'lengths: uring/os read with length 100 past a 2-byte buffer', code: RANGE, on: 'os', bad: (w) => uos.read(w.fd, Buffer.alloc(2), 0, { length: 100 }) },
  { title: 'lengths: uring/os ftruncate to -1', code: RANGE, on: 'os', bad: (w) => uos.ftruncate(w.fd, -1),
    then: (t, w) => t.is(fs.readFileSync(w.file, 'latin1'), CONTENT) },
  { title: 'lengths: ring.run of a read whose length was changed past its buffer', code: RANGE, bad: (w) => {
    const o = op.read(w.fd, Buffer.alloc(4), 0)
    ;(o as { length: unknown }).length = 5
    return w.r.run(o)
  } },

  // ---- handles ----------------------------------------------------------------------------------
  { title: "handles: ring.run with another ring's RegisteredBuf", code: STALE, bad: (w) => {
    const other = new Ring({ entries: 2 })
    w.t.teardown(() => other.close())
    const [b] = other.registrar.registerBuffers([4096])
    return w.r.run(op.read(w.fd, b, 0))
  } },
  { title: "handles: ring.run with another ring's RegisteredFd", code: STALE, bad: (w) => {
    const other = new Ring({ entries: 2 })
    w.t.teardown(() => other.close())
    const [h] = other.registrar.registerFiles([w.fd])
    return w.r.run(op.read(h, Buffer.alloc(4), 0))
  } },
  { title: 'handles: ring.run with a RegisteredBuf after unregister', code: STALE, bad: (w) => {
    const [b] = w.r.registrar.registerBuffers([4096])
    w.r.registrar.unregister(b)
    return w.r.run(op.write(w.fd, b, 0))
  }, then: (t, w) => t.is(fs.readFileSync(w.file, 'latin1'), CONTENT) },
  { title: 'handles: uring/os read with a RegisteredFd of a closed ring', code: STALE, on: 'os', bad: (w) => {
    const other = new Ring({ entries: 2 })
    const [h] = other.registrar.registerFiles([w.fd])
    other.close()
    return uos.read(h, Buffer.alloc(4), 0)
  } },
  { title: 'handles: unregister a RegisteredBuf twice while a fixed read into it is in flight (the read still lands)', code: STALE, bad: (w) => {
    const [b] = w.r.registrar.registerBuffers([4096])
    w.scratch.b = b
    w.scratch.f = fifoRead(w, b.slice(0, 16) as never, 0xc1)
    w.r.registrar.unregister(b)
    w.r.registrar.unregister(b)
  }, then: (t, w) => {
    ;(w.scratch.f as { feed: (s: string) => void }).feed('fixed-read')
    t.is(cqeOf(w, 0xc1), 10)
    t.is(Buffer.from((w.scratch.b as { bytes: Uint8Array }).bytes.subarray(0, 10)).toString(), 'fixed-read')
  } },
  { title: 'handles: a BufferGroup closed twice', code: STALE, bad: (w) => {
    const g = w.r.registrar.bufferGroup({ count: 2, size: 16 })
    g.close()
    g.close()
  } },
  { title: 'handles: a Personality unregistered twice', code: STALE, bad: (w) => {
    const p = w.r.registrar.registerPersonality()
    w.r.registrar.unregisterPersonality(p)
    w.r.registrar.unregisterPersonality(p)
  } },

  // ---- paths ----------------------------------------------------------------------------------
  { title: 'paths: op.openat with a NUL byte in a Uint8Array path', code: VALUE, bad: () => op.openat(AT_FDCWD, new Uint8Array([97, 0, 98]), 0) },
  { title: 'paths: op.openat of an empty path', code: VALUE, bad: () => op.openat(AT_FDCWD, '', 0) },
  { title: 'paths: ring.run op.openat past PATH_MAX (the kernel answers ENAMETOOLONG)', code: 'ENAMETOOLONG', bad: (w) => w.r.run(op.openat(AT_FDCWD, LONG_PATH, 0)) },
  { title: 'paths: ring.run op.statx past PATH_MAX', code: 'ENAMETOOLONG', bad: (w) => w.r.run(op.statx(AT_FDCWD, LONG_PATH)) },
  { title: 'paths: op.statx of a path that is an object', code: TYPE, bad: () => op.statx(AT_FDCWD, {} as never) },
  { title: 'paths: uring/os statx with a NUL byte', code: VALUE, on: 'os', bad: () => uos.statx('a\0b') },
  { title: 'paths: uring/os open past PATH_MAX', code: 'ENAMETOOLONG', on: 'os', bad: () => uos.open(LONG_PATH) },
  { title: 'paths: uring/os open of a path that is a number', code: TYPE, on: 'os', bad: () => uos.open(5 as never) },
  { title: 'paths: uring/fs open with a NUL byte', code: VALUE, on: 'os', bad: () => ufs.open('a\0b') },
  { title: 'paths: uring/fs stat past PATH_MAX', code: 'ENAMETOOLONG', on: 'os', bad: () => ufs.stat(LONG_PATH) },
  { title: 'paths: uring/fs stat of a path that is an object', code: TYPE, on: 'os', bad: () => ufs.stat({} as never) },

  // ---- options --------------------------------------------------------------------------------
  { title: 'options: new Ring with a misspelt key (sqPoll)', code: UNKNOWN, bad: () => new Ring({ entries: 8, sqPoll: true } as never) },
  { title: 'options: new Ring singleIssuer: 1', code: TYPE, bad: () => new Ring({ entries: 8, singleIssuer: 1 as never }) },
  { title: 'options: new Ring entries: {}', code: TYPE, bad: () => new Ring({ entries: {} as never }) },
  { title: 'options: op.statx with an unknown key', code: UNKNOWN, bad: () => op.statx(AT_FDCWD, '/', { nosuch: 1 } as never) },
  { title: "options: op.timeout multishot: 'x'", code: TYPE, bad: () => op.timeout(5, { multishot: 'x' as never }) },
  { title: 'options: op.timeout of -1 ms', code: RANGE, bad: () => op.timeout(-1) },
  { title: 'options: ring.runLinked with an unknown key', code: UNKNOWN, bad: (w) => w.r.runLinked([op.nop()], { nosuch: 1 } as never) },
  { title: 'options: ring.stream with an unknown key', code: UNKNOWN, bad: (w) => w.r.stream(op.timeout(1, { multishot: 1 }), { nosuch: 1 } as never).next() },
  { title: 'options: sq.pushLinked with an unknown key', code: UNKNOWN, bad: (w) => w.r.sq.pushLinked([op.nop()], { nosuch: 1 } as never) },
  { title: 'options: uring/os read with an unknown key', code: UNKNOWN, on: 'os', bad: (w) => uos.read(w.fd, Buffer.alloc(1), 0, { nosuch: 1 } as never) },
  { title: 'options: uring/os close signal: 5', code: TYPE, on: 'os', bad: (w) => uos.close(w.fd, { signal: 5 as never }),
    then: (t, w) => t.notThrows(() => fs.fstatSync(w.fd), 'the fd was not closed') },
  { title: 'options: uring/fs configure with an unknown key', code: UNKNOWN, on: 'os', bad: () => ufs.configure({ nosuch: 1 } as never) },
  { title: "options: uring/fs readFile encoding 'nope'", code: VALUE, on: 'os', bad: (w) => ufs.readFile(w.file, { encoding: 'nope' as never }) },
  { title: "options: uring/fs open flags 'zz'", code: VALUE, on: 'os', bad: (w) => ufs.open(w.file, 'zz') },

  // ---- rings ----------------------------------------------------------------------------------
  { title: 'rings: sq.push on a closed ring', code: CLOSED, bad: () => {
    const x = new Ring({ entries: 2 })
    x.close()
    x.sq.push(op.nop())
  } },
  { title: 'rings: cq.wait on a closed ring', code: CLOSED, bad: () => {
    const x = new Ring({ entries: 2 })
    x.close()
    return x.cq.wait(1)
  } },
  { title: 'rings: registrar.registerBuffers on a closed ring', code: CLOSED, bad: () => {
    const x = new Ring({ entries: 2 })
    x.close()
    return x.registrar.registerBuffers([4096])
  } },
  { title: 'rings: ring.fd of a closed ring', code: CLOSED, bad: () => {
    const x = new Ring({ entries: 2 })
    x.close()
    return x.fd
  } },
  { title: 'rings: close() with reads in flight, then close() again (no error, nothing cancelled twice)', code: OK, closes: true, bad: (w) => {
    w.scratch.first = w.r.close()
    return w.r.close()
  }, then: (t, w, { value }) => {
    t.deepEqual(w.scratch.first, { cancelled: 2 })
    t.deepEqual(value, { cancelled: 0 })
  } },
  { title: 'rings: closed inside a .then of ring.run, then run again', code: CLOSED, closes: true, bad: async (w) => {
    await w.r.run(op.nop()).then(() => w.r.close())
    return w.r.run(op.nop())
  } },
  { title: 'rings: closed while iterating ring.cq (the next step of the loop)', code: CLOSED, closes: true, bad: (w) => {
    for (let i = 0; i < 3; i++) w.r.sq.push(op.nop({ userData: 0xd0 + i }))
    w.r.sq.submitAndWait(3, { timeoutMs: 5000 })
    const got: unknown[] = []
    w.scratch.got = got
    for (const c of w.r.cq) {
      got.push(c.userData)
      w.r.close()
    }
  }, then: (t, w) => t.deepEqual(w.scratch.got, [0xd0]) },
  { title: 'rings: closed inside a for await over ring.stream', code: CLOSED, closes: true, bad: async (w) => {
    let n = 0
    for await (const _ of w.r.stream(op.timeout(1, { multishot: 5 }))) {
      n++
      w.r.close()
    }
    w.scratch.n = n
  }, then: (t, w) => t.is(w.scratch.n, undefined, 'the loop ended by throwing') },

  // ---- queues ---------------------------------------------------------------------------------
  { title: 'queues: sq.push on a full SQ with reads in flight', code: 'ERR_URING_SQ_FULL', bad: (w) => {
    for (let i = 0; i < w.r.sq.entries; i++) w.r.sq.push(op.nop({ userData: 0xe000 + i }))
    w.r.sq.push(op.nop({ userData: 0xefff }))
  }, then: (t, w) => {
    const n = w.r.sq.entries
    t.is(w.r.sq.pending, n)
    w.r.sq.submitAndWait(n, { timeoutMs: 5000 })
    t.deepEqual(w.r.cq.drain().map((c) => c.userData), Array.from({ length: n }, (_, i) => 0xe000 + i))
  } },
  { title: 'queues: sq.pushLinked of a chain longer than the SQ', code: 'ERR_URING_CHAIN_TOO_LONG', bad: (w) => w.r.sq.pushLinked(Array.from({ length: w.r.sq.entries + 1 }, () => op.nop())) },
  { title: 'queues: 40 ring.run reads on an 8-entry SQ (they wait in the queue; each resolves once)', code: OK, bad: async (w) => {
    const bufs = Array.from({ length: 40 }, () => Buffer.alloc(4))
    const res = await Promise.all(bufs.map((b, i) => w.r.run(op.read(w.fd, b, i % 20))))
    w.scratch.bufs = bufs
    return res
  }, then: (t, w, { value }) => {
    t.deepEqual(value, new Array(40).fill(4))
    ;(w.scratch.bufs as Buffer[]).forEach((b, i) => t.is(b.toString(), CONTENT.slice(i % 20, (i % 20) + 4)))
  } },
  { title: 'queues: 8-entry CQ, 64 reads submitted without reaping (every CQE arrives once, with its bytes)', code: OK, options: { entries: 8, cqEntries: 8 }, bad: (w) => {
    const bufs = Array.from({ length: 64 }, () => Buffer.alloc(3))
    w.scratch.bufs = bufs
    let pushed = 0
    while (pushed < 64) {
      const n = Math.min(w.r.sq.space, 64 - pushed)
      for (let i = 0; i < n; i++, pushed++) w.r.sq.push(op.read(w.fd, bufs[pushed], pushed % 25, { userData: 0x1000 + pushed }))
      w.r.sq.submit()
    }
    const seen = new Map<number, number>()
    for (let round = 0; round < 100 && [...seen.values()].length < 64; round++) {
      for (const c of w.r.cq.wait(1, { timeoutMs: 5000 })) {
        w.t.is(c.res, 3)
        const ud = c.userData as number
        seen.set(ud, (seen.get(ud) ?? 0) + 1)
      }
    }
    return seen
  }, then: (t, w, { value }) => {
    const seen = value as Map<number, number>
    t.deepEqual([...seen.keys()].sort((a, b) => a - b), Array.from({ length: 64 }, (_, i) => 0x1000 + i))
    t.true([...seen.values()].every((n) => n === 1), 'each once')
    ;(w.scratch.bufs as Buffer[]).forEach((b, i) => t.is(b.toString(), CONTENT.slice(i % 25, (i % 25) + 3)))
    t.is(w.r.cq.overflow, 0)
  } },
  { title: 'queues: 8-entry CQ, 100 ring.run reads at once', code: OK, options: { entries: 8, cqEntries: 8 }, bad: async (w) => {
    const bufs = Array.from({ length: 100 }, () => Buffer.alloc(2))
    w.scratch.bufs = bufs
    return Promise.all(bufs.map((b, i) => w.r.run(op.read(w.fd, b, i % 26))))
  }, then: (t, w, { value }) => {
    t.deepEqual(value, new Array(100).fill(2))
    ;(w.scratch.bufs as Buffer[]).forEach((b, i) => t.is(b.toString(), CONTENT.slice(i % 26, (i % 26) + 2)))
  } },
]

/** Runs `fn`: what it threw, or what the promise it returned rejected with, or its value. */
async function outcome(fn: () => unknown): Promise<{ err?: Err; value?: unknown }> {
  try {
    let v = fn()
    if (v instanceof Promise) v = await v
    return { value: v }
  } catch (e) {
    return { err: e as Err }
  }
}

function codeOf(e: Err): unknown {
  return typeof e.code === 'string' ? e.code : e.name
}

async function check(t: ExecutionContext, c: Case): Promise<void> {
  const dir = tempDir(t)
  const file = path.join(dir, 'file')
  fs.writeFileSync(file, CONTENT)
  const fd = openFile(t, file, 'r+')
  let r: Ring
  if (c.on === 'os') {
    r = uos.ring()
  } else {
    r = new Ring(c.options ?? { entries: 8 })
    t.teardown(() => r.close())
  }
  const w: World = { t, r, file, fd, dir, scratch: {} }

  // Work in flight before the bad call.
  const A = fifoPair(t)
  const B = fifoPair(t)
  const bufA = Buffer.alloc(16)
  const bufB = Buffer.alloc(16)
  if (c.on !== 'os') r.sq.push(op.read(A.fd, bufA, -1, { userData: SQ_UD }))
  const pB = tracker(c.on === 'os' ? uos.read(B.fd, bufB) : r.run(op.read(B.fd, bufB, -1)))
  let settles = 0
  pB.promise.then(
    () => settles++,
    () => settles++,
  )
  if (c.on === 'os') await uos.fsync(fd)
  else {
    t.is(await r.run(op.nop()), 0)
    t.is(r.inFlight, 2, 'two reads in flight')
  }

  const out = await outcome(() => c.bad(w))
  if (c.code === OK) t.is(out.err, undefined, `no error (${String(out.err?.code)}: ${out.err?.message})`)
  else {
    t.true(out.err instanceof Error, `it failed (${String(out.err)})`)
    if (out.err !== undefined) t.is(codeOf(out.err), c.code, out.err.message)
  }
  await c.then?.(t, w, out)

  if (c.closes === true) {
    t.true(r.closed)
    const e = (await t.throwsAsync(pB.promise)) as Err
    t.is(e?.code, CLOSED, 'the in-flight run rejects with ERR_URING_CLOSED')
    fs.writeSync(A.fd, 'late-A')
    fs.writeSync(B.fd, 'late-B')
    t.is(fs.readSync(A.fd, Buffer.alloc(16)), 6, 'the cancelled ring.sq read took nothing')
    t.is(fs.readSync(B.fd, Buffer.alloc(16)), 6, 'the cancelled run read took nothing')
    t.is(settles, 1, 'the run settled once')
    const fresh = new Ring({ entries: 2 })
    t.deepEqual(run(fresh, op.nop({ userData: 7 })).map((x) => [x.userData, x.res]), [[7, 0]], 'a new ring works')
    fresh.close()
    return
  }

  t.false(r.closed)
  if (c.on !== 'os') t.is(r.sq.pending, 0, 'nothing of the bad call stays staged')
  fs.writeSync(A.fd, 'in-flight-A')
  fs.writeSync(B.fd, 'in-flight-B')
  if (c.on !== 'os') {
    const cqes = r.cq.wait(1, { timeoutMs: 5000 })
    t.deepEqual(cqes.map((x) => [x.userData, x.res]), [[SQ_UD, 11]], 'the ring.sq read completes once')
    t.is(bufA.toString('latin1', 0, 11), 'in-flight-A')
  }
  t.is(await pB.promise, 11, 'the in-flight run resolves with its bytes')
  t.is(bufB.toString('latin1', 0, 11), 'in-flight-B')
  t.is(await r.run(op.nop()), 0, 'ring.run still works')
  if (c.on !== 'os') {
    t.deepEqual(run(r, op.nop({ userData: 0xabc })).map((x) => [x.userData, x.res]), [[0xabc, 0]], 'ring.sq still works, and nothing else arrives')
    t.deepEqual(r.cq.drain(), [])
    t.is(r.inFlight, 0)
  }
  t.is(settles, 1, 'the run settled once')
}

for (const c of cases) {
  const title = `${c.title} → ${c.code}${c.skip !== undefined ? ` (skipped: ${c.skip})` : ''}`
  if (c.skip !== undefined) test.skip(title, () => {})
  else if (c.failing === true) test.failing(title, (t) => check(t, c))
  else test(title, (t) => check(t, c))
}

test('the catalogue has at least 60 cases, each with a distinct title', (t) => {
  t.true(cases.length >= 60, `${cases.length} cases`)
  t.is(new Set(cases.map((c) => c.title)).size, cases.length)
})
