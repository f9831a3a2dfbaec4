/**
 * The driver under bad input and at its edges: closed rings, close() with work pending, bad
 * arguments (each rejecting with a code, never throwing from run()), the eventfd slot, Node-style
 * system errors, runLinked results and failures, streams over multishot ops, and ring.sq/ring.cq
 * used on the same ring as ring.run.
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { AT_FDCWD, Ring, op } from '../index'
import { SystemError } from '../lib/driver'
import { hasOp, openFile, ring, skipSuccessTest, tempDir, tmpFile } from './_helpers'
import { delay, fifoPair, tracker } from './_driver'

/** Asserts `p` rejects with an error whose `code` is `code`; returns the error. */
async function rejectsCode(t: ExecutionContext, p: unknown, code: string, what: string): Promise<Error & { code?: string }> {
  t.true(p instanceof Promise, `${what}: returns a promise (does not throw)`)
  const e = (await t.throwsAsync(p as Promise<unknown>, undefined, what)) as Error & { code?: string }
  t.is(e?.code, code, `${what}: ${e?.message}`)
  return e
}

/** Calls `fn`; what it threw, or what the promise it returned rejected with. */
async function failure(fn: () => unknown): Promise<(Error & { code?: string }) | undefined> {
  try {
    const v = fn() as { next?: () => Promise<unknown> } | Promise<unknown>
    if (v instanceof Promise) await v
    else if (v !== undefined && typeof v.next === 'function') await v.next()
  } catch (e) {
    return e as Error & { code?: string }
  }
  return undefined
}

// ---- closed rings ----------------------------------------------------------------------------

test('run, runLinked and stream on a closed ring fail with ERR_URING_CLOSED', async (t) => {
  const r = new Ring()
  await r.run(op.nop())
  r.close()
  await rejectsCode(t, r.run(op.nop()), 'ERR_URING_CLOSED', 'run')
  await rejectsCode(t, r.runLinked([op.nop()]), 'ERR_URING_CLOSED', 'runLinked')
  t.is((await failure(() => r.stream(op.timeout(1, { multishot: 2 }))))?.code, 'ERR_URING_CLOSED', 'stream')
  // A ring closed before the driver ever started, too.
  const r2 = new Ring()
  r2.close()
  await rejectsCode(t, r2.run(op.nop()), 'ERR_URING_CLOSED', 'run on a ring closed before any run')
  t.notThrows(() => r2.ref().unref())
  t.deepEqual(r2.stats, { enters: 0, flushes: 0, wakeups: 0, queued: 0 })
})

test('close() with runs in flight, staged and queued: every one rejects with ERR_URING_CLOSED, nothing hangs', async (t) => {
  const { fd } = fifoPair(t)
  const file = tmpFile(t, 'keep')
  const wfd = openFile(t, file, 'r+')
  const r = new Ring({ entries: 4 })
  const inFlight = [r.run(op.read(fd, Buffer.alloc(4), -1)), r.run(op.timeout(60_000))]
  const chain = r.runLinked([op.read(fd, Buffer.alloc(4), -1), op.write(wfd, Buffer.from('XXXX'), 0)])
  const it = r.stream(op.timeout(60_000, { multishot: true }))
  const first = it.next()
  await r.run(op.nop())
  t.is(r.inFlight, 5)
  const staged = [r.run(op.write(wfd, Buffer.from('YYYY'), 0)), r.run(op.nop()), r.run(op.nop()), r.run(op.nop())]
  const queued = [r.run(op.write(wfd, Buffer.from('ZZZZ'), 0)), r.runLinked([op.nop(), op.nop()])]
  t.is(r.stats.queued, 2)
  const out = r.close()
  t.is(out.cancelled, 5)
  for (const [i, p] of [...inFlight, chain, ...staged, ...queued].entries()) await rejectsCode(t, p, 'ERR_URING_CLOSED', `pending #${i}`)
  t.is((await failure(() => first))?.code, 'ERR_URING_CLOSED', 'the stream')
  t.deepEqual(await it.next(), { value: undefined, done: true })
  t.is(fs.readFileSync(file, 'latin1'), 'keep', 'nothing staged or queued reached the file')
  t.is(r.stats.queued, 0)
})

test('close() from a promise reaction inside a wakeup: the other pending run rejects, nothing crashes', async (t) => {
  const a = fifoPair(t)
  const b = fifoPair(t)
  const r = new Ring()
  const buf = Buffer.alloc(8)
  const pa = r.run(op.read(a.fd, buf, -1))
  const pb = r.run(op.read(b.fd, Buffer.alloc(8), -1))
  const closed = pa.then((n) => {
    r.close()
    return n
  })
  await r.run(op.nop())
  setTimeout(() => fs.writeSync(a.fd, 'wake'), 10)
  t.is(await closed, 4)
  t.is(buf.toString('latin1', 0, 4), 'wake')
  await rejectsCode(t, pb, 'ERR_URING_CLOSED', 'the other read')
  t.true(r.closed)
  // The event loop still works (the poll handle was closed, not left dangling).
  await delay(5)
  fs.writeSync(b.fd, 'late')
  t.is(fs.readSync(b.fd, Buffer.alloc(8)), 4, 'the cancelled read took nothing')
})

test('closing one ring leaves another ring\'s driver working', async (t) => {
  const { fd } = fifoPair(t)
  const r1 = ring(t)
  const r2 = new Ring()
  const p = r1.run(op.read(fd, Buffer.alloc(4), -1))
  await r2.run(op.nop())
  r2.close()
  setTimeout(() => fs.writeSync(fd, 'ok'), 5)
  t.is(await p, 2)
})

// ---- bad arguments ---------------------------------------------------------------------------

test('run() of something that is not an op rejects with ERR_INVALID_ARG_TYPE (never throws)', async (t) => {
  const r = ring(t)
  for (const bad of [undefined, null, 0, 'nop', {}, { opcode: 0 }, op.nop, [op.nop()]]) {
    await rejectsCode(t, r.run(bad as never), 'ERR_INVALID_ARG_TYPE', `run(${String(bad)})`)
  }
  await rejectsCode(t, r.runLinked('x' as never), 'ERR_INVALID_ARG_TYPE', 'runLinked(string)')
  await rejectsCode(t, r.runLinked([op.nop(), {} as never]), 'ERR_INVALID_ARG_TYPE', 'runLinked([op, {}])')
  await rejectsCode(t, r.runLinked([]), 'ERR_INVALID_ARG_VALUE', 'runLinked([])')
  await rejectsCode(t, ring(t, { entries: 2 }).runLinked([op.nop(), op.nop(), op.nop()]), 'ERR_URING_CHAIN_TOO_LONG', 'a chain longer than the SQ')
  t.is((await failure(() => r.stream({} as never)))?.code, 'ERR_INVALID_ARG_TYPE', 'stream({})')
  t.is(await r.run(op.nop()), 0, 'the ring works after all that')
  t.is(r.inFlight, 0)
})

test('run() of a multishot op rejects with ERR_URING_MULTISHOT (use ring.stream)', async (t) => {
  const r = ring(t)
  const { fd } = fifoPair(t)
  await rejectsCode(t, r.run(op.timeout(10, { multishot: 2 })), 'ERR_URING_MULTISHOT', 'multishot timeout')
  await rejectsCode(t, r.run(op.timeout(10, { multishot: true })), 'ERR_URING_MULTISHOT', 'endless multishot timeout')
  await rejectsCode(t, r.run(op.pollAdd(fd, ['in'], { multishot: true })), 'ERR_URING_MULTISHOT', 'multishot poll')
  await rejectsCode(t, r.run(op.acceptMultishot(fd)), 'ERR_URING_MULTISHOT', 'acceptMultishot')
  await rejectsCode(t, r.runLinked([op.nop(), op.timeout(10, { multishot: 2 })]), 'ERR_URING_MULTISHOT', 'in a chain')
  t.is(r.inFlight, 0, 'none of them reached the kernel')
  // A one-shot timeout (multishot: false) is fine.
  t.is(await r.run(op.timeout(1, { multishot: false })), -62)
})

test('bad options reject with a code: a signal that is not an AbortSignal, unknown keys, a non-object', async (t) => {
  const r = ring(t)
  await rejectsCode(t, r.run(op.nop(), { signal: {} as never }), 'ERR_INVALID_ARG_TYPE', 'signal: {}')
  await rejectsCode(t, r.run(op.nop(), { signal: 'abort' as never }), 'ERR_INVALID_ARG_TYPE', 'signal: string')
  await rejectsCode(t, r.run(op.nop(), { signal: new AbortController() as never }), 'ERR_INVALID_ARG_TYPE', 'an AbortController, not its signal')
  await rejectsCode(t, r.run(op.nop(), { sigal: new AbortController().signal } as never), 'ERR_URING_UNKNOWN_OPTION', 'a misspelt key')
  await rejectsCode(t, r.run(op.nop(), 5 as never), 'ERR_INVALID_ARG_TYPE', 'options: 5')
  await rejectsCode(t, r.runLinked([op.nop()], { hard: 'yes' as never }), 'ERR_INVALID_ARG_TYPE', 'hard: string')
  await rejectsCode(t, r.runLinked([op.nop()], { signal: 1 as never }), 'ERR_INVALID_ARG_TYPE', 'runLinked signal: 1')
  t.is((await failure(() => r.stream(op.timeout(1, { multishot: 1 }), { signal: {} as never })))?.code, 'ERR_INVALID_ARG_TYPE', 'stream signal: {}')
  await rejectsCode(t, r.run(op.nop({ skipSuccess: true })), 'ERR_URING_SKIP_SUCCESS', 'skipSuccess outside a chain')
  t.is(await r.run(op.nop(), undefined), 0)
  t.is(await r.run(op.nop(), {}), 0)
  t.is(r.inFlight, 0)
})

test('an op that owns output memory cannot run twice at once: ERR_URING_OP_IN_FLIGHT', async (t) => {
  const r = ring(t)
  const st = op.statx(AT_FDCWD, '/')
  const p1 = r.run(st)
  await rejectsCode(t, r.run(st), 'ERR_URING_OP_IN_FLIGHT', 'the same statx twice')
  const s = await p1
  t.is(s.ino, fs.statSync('/').ino)
  const again = await r.run(st)
  t.is(again.ino, s.ino, 'runs again once settled')
})

test('a handle unregistered between run() and the flush fails its op alone; the rest of the batch goes', async (t) => {
  const file = tmpFile(t, 'abcdef')
  const fd = openFile(t, file, 'r')
  const r = ring(t)
  const [h] = r.registrar.registerFiles([fd])
  const b1 = Buffer.alloc(3)
  const before = r.run(op.read(fd, b1, 0))
  const bad = r.run(op.read(h, Buffer.alloc(3), 0))
  const b2 = Buffer.alloc(3)
  const after = r.run(op.read(fd, b2, 3))
  r.registrar.unregister(h)
  await rejectsCode(t, bad, 'ERR_URING_STALE_HANDLE', 'the stale handle')
  t.is(await before, 3)
  t.is(await after, 3)
  t.is(b1.toString() + b2.toString(), 'abcdef')
  t.is(r.inFlight, 0)
})

// ---- the eventfd slot ------------------------------------------------------------------------

test.serial('registrar.registerEventfd once the driver started: ERR_URING_EVENTFD_IN_USE; and the other way round', async (t) => {
  const r = ring(t)
  await r.run(op.nop())
  const e = t.throws(() => r.registrar.registerEventfd(0)) as Error & { code?: string } // the check comes before the fd's
  t.is(e.code, 'ERR_URING_EVENTFD_IN_USE')
  t.is(await r.run(op.nop()), 0, 'the driver still works')

  // A ring with a user eventfd cannot start the driver, and says so. Node makes no eventfds:
  // borrow the one the driver of `r` made (registering one eventfd on two rings is allowed).
  const efds = eventfds()
  const other = ring(t)
  await other.run(op.nop())
  const made = eventfds().filter((x) => !efds.includes(x))
  t.is(made.length, 1, 'starting a driver made one eventfd')
  const r2 = ring(t)
  r2.registrar.registerEventfd(made[0])
  await rejectsCode(t, r2.run(op.nop()), 'ERR_URING_EVENTFD_IN_USE', 'run on a ring with a user eventfd')
  t.is(r2.inFlight, 0)
  r2.registrar.unregisterEventfd()
  t.is(await r2.run(op.nop()), 0, 'after unregisterEventfd the driver starts')
})

/** The process's eventfds (fds that are `anon_inode:[eventfd]`). */
function eventfds(): number[] {
  const out: number[] = []
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${name}`) === 'anon_inode:[eventfd]') out.push(Number(name))
    } catch {
      // the listing's own fd
    }
  }
  return out
}

// ---- errors shaped like Node's -----------------------------------------------------------------

test('openat of a missing path rejects like node:fs: code ENOENT, errno -2, syscall openat, path', async (t) => {
  const r = ring(t)
  const missing = path.join(tempDir(t), 'no', 'such', 'file')
  const e = (await t.throwsAsync(r.run(op.openat(AT_FDCWD, missing, fs.constants.O_RDONLY)))) as SystemError
  t.true(e instanceof SystemError)
  t.true(e instanceof Error)
  t.is(e.code, 'ENOENT')
  t.is(e.errno, -2)
  t.is(e.syscall, 'openat')
  t.is(e.path, missing)
  t.is(e.message, `ENOENT: no such file or directory, openat '${missing}'`)
  // The same fields node:fs gives.
  const n = t.throws(() => fs.openSync(missing, 'r')) as NodeJS.ErrnoException
  t.is<unknown, unknown>(e.code, n.code)
  t.is<unknown, unknown>(e.errno, n.errno)
  t.is<unknown, unknown>(e.path, n.path)
})

test('errors of ops with two paths carry path and dest; a fd op has no path', async (t) => {
  const r = ring(t)
  const dir = tempDir(t)
  const from = path.join(dir, 'missing')
  const to = path.join(dir, 'new')
  const e = (await t.throwsAsync(r.run(op.renameat(AT_FDCWD, from, AT_FDCWD, to)))) as SystemError
  t.is(e.code, 'ENOENT')
  t.is(e.syscall, 'renameat')
  t.is(e.path, from)
  t.is(e.dest, to)
  t.false(fs.existsSync(to))
  t.is(e.message, `ENOENT: no such file or directory, renameat '${from}' -> '${to}'`)
  const l = (await t.throwsAsync(r.run(op.linkat(AT_FDCWD, from, AT_FDCWD, to)))) as SystemError
  t.is(l.syscall, 'linkat')
  t.is(l.path, from)
  t.is(l.dest, to)
  // symlink(target, linkpath) onto an existing name: as node:fs, path is the target, dest the link.
  fs.writeFileSync(to, '')
  const s = (await t.throwsAsync(r.run(op.symlinkat('somewhere', AT_FDCWD, to)))) as SystemError
  t.is(s.code, 'EEXIST')
  t.is(s.path, 'somewhere')
  t.is(s.dest, to)
  const n = t.throws(() => fs.symlinkSync('somewhere', to)) as NodeJS.ErrnoException & { dest?: string }
  t.is<unknown, unknown>(s.path, n.path)
  t.is<unknown, unknown>(s.dest, n.dest)
  const b = (await t.throwsAsync(r.run(op.read(1_000_000, Buffer.alloc(1), 0)))) as SystemError
  t.is(b.code, 'EBADF')
  t.is(b.errno, -9)
  t.is(b.syscall, 'read')
  t.false('path' in b)
})

test('a fired timeout resolves with -ETIME; an errno libuv does not name still gets its name', async (t) => {
  const r = ring(t)
  t.is(await r.run(op.timeout(1)), -62, 'the time passed')
  // count: 1 completion comes first
  const tm = r.run(op.timeout(60_000, { count: 1 }))
  await r.run(op.nop())
  t.is(await tm, 0, 'count completions came first')
  // ECHILD (waitid with no children) is not in libuv's map.
  if (hasOp('waitid')) {
    const e = (await t.throwsAsync(r.run(op.waitid('pid', 1, { exited: true })))) as SystemError
    t.is(e.code, 'ECHILD', e.message)
    t.is(e.errno, -10)
  }
})

// ---- runLinked -------------------------------------------------------------------------------

skipSuccessTest()('runLinked resolves with every result in order; skipSuccess ops give undefined', async (t) => {
  const file = tmpFile(t, '')
  const fd = openFile(t, file, 'r+')
  const r = ring(t)
  const back = Buffer.alloc(5)
  const res = await r.runLinked([op.write(fd, Buffer.from('hello'), 0), op.fsync(fd, { skipSuccess: true }), op.read(fd, back, 0)])
  t.deepEqual(res, [5, undefined, 5])
  t.is(back.toString(), 'hello')
  t.is(fs.readFileSync(file, 'latin1'), 'hello')
  const st = await r.runLinked([op.statx(AT_FDCWD, file), op.nop()])
  t.is((st[0] as { size: number }).size, 5, 'decoded results too')
  t.is(r.inFlight, 0)
})

test('a failing soft chain rejects with its first real error, with results and errors; the rest never ran', async (t) => {
  const file = tmpFile(t, 'keep')
  const rfd = openFile(t, file, 'r')
  const r = ring(t)
  const e = (await t.throwsAsync(r.runLinked([op.nop(), op.write(rfd, Buffer.from('XXXX'), 0), op.write(rfd, Buffer.from('YYYY'), 0)]))) as SystemError & {
    results: unknown[]
    errors: Array<(Error & { code?: string }) | undefined>
  }
  t.is(e.code, 'EBADF', 'the write on a read-only fd')
  t.is(e.syscall, 'write')
  t.deepEqual(e.results, [0, undefined, undefined])
  t.deepEqual(e.errors.map((x) => x?.code), [undefined, 'EBADF', 'ECANCELED'])
  t.is(fs.readFileSync(file, 'latin1'), 'keep')
})

test('a hard chain goes on past a failure and still rejects with it', async (t) => {
  const file = tmpFile(t, 'keep')
  const rfd = openFile(t, file, 'r')
  const wfd = openFile(t, file, 'r+')
  const r = ring(t)
  const e = (await t.throwsAsync(r.runLinked([op.write(rfd, Buffer.from('XXXX'), 0), op.write(wfd, Buffer.from('HARD'), 0)], { hard: true }))) as SystemError & {
    results: unknown[]
  }
  t.is(e.code, 'EBADF')
  t.deepEqual(e.results, [undefined, 4])
  t.is(fs.readFileSync(file, 'latin1'), 'HARD')
})

test('runLinked with a link timeout: the op in time resolves the chain; a late one rejects with ETIME', async (t) => {
  const r = ring(t)
  const fd = openFile(t, tmpFile(t, 'abcd'), 'r')
  const buf = Buffer.alloc(4)
  const ok = await r.runLinked([op.read(fd, buf, 0), op.linkTimeout(10_000)])
  t.is(ok[0], 4)
  t.is(buf.toString(), 'abcd')
  const { fd: pfd } = fifoPair(t)
  const e = (await t.throwsAsync(r.runLinked([op.read(pfd, Buffer.alloc(4), -1), op.linkTimeout(10)]))) as SystemError & { errors: Array<{ code?: string } | undefined> }
  t.is(e.code, 'ETIME')
  t.is(e.errors[0]?.code, 'ECANCELED')
  t.is(r.inFlight, 0)
  fs.writeSync(pfd, 'z')
  t.is(fs.readSync(pfd, Buffer.alloc(4)), 1, 'the timed-out read took nothing')
})

test('a timeout with etimeSuccess does not fail its chain', async (t) => {
  const r = ring(t)
  t.deepEqual(await r.runLinked([op.timeout(1, { etimeSuccess: true }), op.nop()]), [-62, 0])
})

// ---- streams ---------------------------------------------------------------------------------

test('ring.stream over a multishot timeout of N fires yields N results and ends', async (t) => {
  const r = ring(t)
  const got: number[] = []
  for await (const v of r.stream(op.timeout(2, { multishot: 4 }))) got.push(v)
  t.deepEqual(got, [-62, -62, -62, -62])
  t.is(r.inFlight, 0)
  const it = r.stream(op.timeout(1, { multishot: 1 }))
  t.deepEqual(await it.next(), { value: -62, done: false })
  t.deepEqual(await it.next(), { value: undefined, done: true })
  t.deepEqual(await it.next(), { value: undefined, done: true }, 'stays done')
})

test('breaking out of a stream cancels its op: inFlight drops to 0', async (t) => {
  const r = ring(t)
  let n = 0
  for await (const _ of r.stream(op.timeout(1, { multishot: true }))) {
    if (++n === 3) break
  }
  t.is(n, 3)
  // The cancel goes with the next flush; its CQE comes at once.
  await r.run(op.nop())
  for (let i = 0; i < 20 && r.inFlight > 0; i++) await delay(5)
  t.is(r.inFlight, 0)
})

test('a multishot poll stream yields when the pipe becomes readable; break cancels the poll', async (t) => {
  const r = ring(t)
  const { fd } = fifoPair(t)
  const it = r.stream(op.pollAdd(fd, ['in'], { multishot: true }))
  const first = tracker(it.next())
  await r.run(op.nop())
  t.false(first.settled(), 'nothing to read yet')
  fs.writeSync(fd, 'x')
  const v = (await first.promise) as IteratorResult<{ events: string[] } | number>
  t.false(v.done)
  t.true(JSON.stringify(v.value).includes('in'), JSON.stringify(v.value))
  await it.return!()
  await r.run(op.nop())
  for (let i = 0; i < 20 && r.inFlight > 0; i++) await delay(5)
  t.is(r.inFlight, 0)
  t.is(fs.readSync(fd, Buffer.alloc(4)), 1, 'poll consumed nothing')
})

test('a stream returned before its op was ever submitted never reaches the kernel', async (t) => {
  const r = ring(t)
  const it = r.stream(op.timeout(1, { multishot: true }))
  await it.return!()
  await r.run(op.nop())
  t.is(r.inFlight, 0)
  t.deepEqual(await it.next(), { value: undefined, done: true })
})

// ---- ring.sq / ring.cq next to ring.run ------------------------------------------------------

test('ring.sq.push + ring.cq next to ring.run: each CQE goes to whoever issued its op', async (t) => {
  const r = ring(t)
  const f1 = fifoPair(t)
  const f2 = fifoPair(t)
  const f3 = fifoPair(t)
  // A driver read in flight.
  const b1 = Buffer.alloc(8)
  const p1 = r.run(op.read(f1.fd, b1, -1))
  // An op pushed by hand goes out with the driver's flush; the driver keeps its CQE for ring.cq.
  r.sq.push(op.nop({ userData: 41 }))
  t.is(await r.run(op.nop()), 0)
  t.deepEqual(r.cq.drain().map((c) => [c.userData, c.res]), [[41, 0]])
  // A synchronous wait meets the driver's CQE: it settles the promise and is not returned.
  const b2 = Buffer.alloc(8)
  r.sq.push(op.read(f2.fd, b2, -1, { userData: 42 }))
  r.sq.submit()
  fs.writeSync(f1.fd, 'one')
  fs.writeSync(f2.fd, 'two')
  const cqes = r.cq.wait(1, { timeoutMs: 5000 })
  t.deepEqual(cqes.map((c) => [c.userData, c.res]), [[42, 3]])
  t.is(b2.toString('latin1', 0, 3), 'two')
  t.is(await p1, 3)
  t.is(b1.toString('latin1', 0, 3), 'one')
  // A wakeup of the driver reads a hand-pushed op's CQE: kept for ring.cq, in order.
  r.sq.push(op.read(f3.fd, Buffer.alloc(8), -1, { userData: 43 }))
  r.sq.submit()
  fs.writeSync(f3.fd, 'three')
  await r.run(op.timeout(20))
  t.deepEqual(r.cq.drain().map((c) => [c.userData, c.res]), [[43, 5]])
  t.is(r.inFlight, 0)
})

test('ops staged by run() go with a synchronous submit of the same tick; their promises still settle', async (t) => {
  const r = ring(t)
  const p = r.run(op.nop())
  r.sq.push(op.nop({ userData: 5 }))
  t.is(r.sq.submitAndWait(2, { timeoutMs: 5000 }), 2, 'the driver\'s op and the hand-pushed one went together')
  t.deepEqual(r.cq.drain().map((c) => c.userData), [5], 'ring.cq sees only its own op')
  t.is(await p, 0)
  // A synchronous wait that meets only a driver op's completion: the promise settles.
  const tm = r.run(op.timeout(5))
  r.sq.submitAndWait(1, { timeoutMs: 5000 })
  t.deepEqual(r.cq.drain(), [])
  t.is(await tm, -62)
  t.is(r.inFlight, 0)
})

test('run() on a ring set up disabled rejects with ERR_URING_DISABLED_RING until enable()', async (t) => {
  const r = ring(t, { disabled: true })
  await rejectsCode(t, r.run(op.nop()), 'ERR_URING_DISABLED_RING', 'disabled')
  r.enable()
  t.is(await r.run(op.nop()), 0)
})
