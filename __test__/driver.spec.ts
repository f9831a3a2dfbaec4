/**
 * The async driver's core, run three times: on rings forced to DEFER_TASKRUN, to COOP_TASKRUN
 * and to neither. Batching (one io_uring_enter per tick, never per op; an SQ much smaller than
 * the ops of a tick), completions that come later through the event loop's poll handle, and
 * AbortSignal before, during and after submission. Each case checks what the kernel did: the
 * bytes read, the file's content, the data left in a pipe.
 */
import test from 'ava'
import * as fs from 'node:fs'
import { getEventListeners } from 'node:events'
import { spawn } from 'node:child_process'
import { Ring, kernelQuirks, op } from '../index'
import type { Op } from '../index'
import { AbortError } from '../lib/driver'
import { busyWait, openFile, ring, testWhen, tmpFile, kernelAtLeast } from './_helpers'
import { MODES, delay, fifoPair, tracker } from './_driver'

test('new Ring() picks SINGLE_ISSUER + DEFER_TASKRUN on a kernel that has it (and whose eventfd hears its completion work), else COOP_TASKRUN', (t) => {
  const r = ring(t)
  const f = r.params.flags
  if (kernelAtLeast('6.1') && !kernelQuirks().eventfdLosesDeferredSignals) {
    t.true(f.singleIssuer && f.deferTaskrun && f.taskrunFlag, `flags: ${JSON.stringify(f)}`)
  } else if (kernelAtLeast('5.19')) {
    t.true(f.coopTaskrun && f.taskrunFlag && !f.deferTaskrun)
  } else {
    t.false(f.coopTaskrun || f.deferTaskrun)
  }
  // Any mode option given (even false) leaves the choice to the caller.
  const plain = ring(t, { singleIssuer: false })
  t.false(plain.params.flags.deferTaskrun || plain.params.flags.coopTaskrun || plain.params.flags.singleIssuer)
})

/** Multishot poll (IORING_POLL_ADD_MULTI, 5.13): the op the stream tests run (see `quietPoll`). */
const MULTISHOT_POLL = kernelAtLeast('5.13')

/**
 * A poll for input on a FIFO that only the test writes to: it completes when the test writes and
 * never on its own, however slow the machine (a short timer's CQEs pile up while a slow CPU
 * blocks the loop, and a multishot timeout also needs 6.4). Multishot where the kernel has it.
 */
function quietPoll(fd: number): Op {
  return op.pollAdd(fd, ['in'], { multishot: MULTISHOT_POLL })
}

/** An AbortError for `signal`, as the contract says. */
function isAbortError(t: import('ava').ExecutionContext, e: unknown, signal: AbortSignal, what: string): void {
  t.true(e instanceof AbortError, `${what}: an AbortError (${String(e)})`)
  const a = e as AbortError & { cause?: unknown }
  t.is(a.name, 'AbortError', what)
  t.is(a.code, 'ABORT_ERR', what)
  t.is(a.cause, signal.reason, `${what}: cause is the signal's reason`)
}

for (const mode of MODES) {
  const when = testWhen(mode.ok, mode.name, mode.since)
  /** A test of a multishot stream: needs the mode and multishot poll. */
  const whenMultishot = mode.ok ? testWhen(MULTISHOT_POLL, 'multishot poll (IORING_POLL_ADD_MULTI)', '5.13') : when
  const title = (s: string): string => `[${mode.name}] ${s}`
  const mk = (t: import('ava').ExecutionContext, entries?: number): Ring => {
    const r = ring(t, { ...mode.options, ...(entries === undefined ? {} : { entries }) })
    t.true(mode.shows(r.params.flags), `ring.params.flags show ${mode.name}: ${JSON.stringify(r.params.flags)}`)
    return r
  }

  // ---- 1. batching --------------------------------------------------------------------------

  when(title('100,000 reads issued in one tick all resolve with their bytes, one enter per driver flush'), async (t) => {
    const N = 100_000
    const content = Buffer.alloc(N * 4)
    for (let i = 0; i < N; i++) content.writeUInt32LE((i * 2654435761) >>> 0, i * 4)
    const fd = openFile(t, tmpFile(t, content), 'r')
    const r = mk(t)
    const sq = r.params.sqEntries
    const before = r.stats
    const bufs = new Array<Buffer>(N)
    const ps = new Array<Promise<number>>(N)
    // Read back to front, each at its own offset, all in this one synchronous loop.
    for (let k = 0; k < N; k++) {
      const i = N - 1 - k
      bufs[i] = Buffer.alloc(4)
      ps[i] = r.run(op.read(fd, bufs[i], i * 4))
    }
    t.is(r.stats.enters, before.enters, 'nothing entered the kernel while the ops were issued')
    t.is(r.stats.queued, N - sq, 'what does not fit the SQ waits in the queue')
    const res = await Promise.all(ps)
    const after = r.stats
    let wrong = 0
    for (let i = 0; i < N; i++) if (res[i] !== 4 || bufs[i].readUInt32LE(0) !== (i * 2654435761) >>> 0) wrong++
    t.is(wrong, 0, 'every read resolved with 4 and its own bytes')
    const enters = after.enters - before.enters
    const flushes = after.flushes - before.flushes
    t.log(`${mode.name}: ${enters} enters, ${flushes} flushes, ${after.wakeups - before.wakeups} wakeups for ${N} reads (SQ ${sq})`)
    // Each flush submits with one enter. A reap enters again only when the kernel flags
    // completion work it must run in an enter (IORING_SQ_TASKRUN: reads that went async complete
    // as task work). How often that happens depends on timing: on the host it is about one enter
    // per flush, on a loaded TCG guest 2.4 per flush (938 for 391 flushes). What must hold on any
    // machine is that enters come per batch, not per op: at least 16 reads per enter on average.
    t.true(flushes <= Math.ceil(N / sq) + 2, `${flushes} flushes <= ceil(${N} / ${sq}) + 2: one per SQ-full batch, never one per op`)
    t.true(enters >= flushes, `${enters} enters >= ${flushes} flushes: each flush submitted`)
    t.true(enters <= N / 16, `${enters} enters <= ${N} / 16: enters are per batch, never per op`)
    t.is(after.queued, 0)
    t.is(r.inFlight, 0)
  })

  when(title('an SQ of 8 entries and 1000 runs in one tick: every op resolves, the queue drains'), async (t) => {
    const file = tmpFile(t, '')
    const fd = openFile(t, file, 'r+')
    const r = mk(t, 8)
    t.is(r.params.sqEntries, 8)
    const ps: Promise<number>[] = []
    for (let i = 0; i < 1000; i++) {
      const b = Buffer.alloc(2)
      b.writeUInt16LE(i)
      ps.push(r.run(op.write(fd, b, i * 2)))
    }
    t.is(r.stats.queued, 992)
    const res = await Promise.all(ps)
    t.true(res.every((n) => n === 2), 'every write wrote its 2 bytes')
    t.is(r.stats.queued, 0, 'stats.queued drains to 0')
    t.is(r.inFlight, 0)
    const data = fs.readFileSync(file)
    t.is(data.length, 2000)
    let wrong = 0
    for (let i = 0; i < 1000; i++) if (data.readUInt16LE(i * 2) !== i) wrong++
    t.is(wrong, 0, 'the file holds every write at its offset')
  })

  when(title('chains and single ops queued behind a 4-entry SQ: all go out whole and in order'), async (t) => {
    const file = tmpFile(t, '')
    const fd = openFile(t, file, 'r+')
    const r = mk(t, 4)
    const ps: Promise<unknown>[] = []
    for (let i = 0; i < 60; i++) {
      const at = i * 4
      if (i % 2 === 0) ps.push(r.runLinked([op.write(fd, Buffer.from('a'), at), op.write(fd, Buffer.from('b'), at + 1), op.write(fd, Buffer.from('c'), at + 2)]))
      else ps.push(r.run(op.write(fd, Buffer.from('xyz'), at)))
      ps.push(r.run(op.write(fd, Buffer.from('|'), at + 3)))
    }
    const res = await Promise.all(ps)
    t.deepEqual(res[0], [1, 1, 1])
    t.is(res[2], 3)
    t.is(r.stats.queued, 0)
    t.is(fs.readFileSync(file, 'latin1'), 'abc|xyz|'.repeat(30))
  })

  when(title('more completions at once than the CQ holds: none is lost'), async (t) => {
    const r = mk(t, 4)
    t.is(r.params.cqEntries, 8)
    const pipes = Array.from({ length: 40 }, () => fifoPair(t))
    const bufs = pipes.map(() => Buffer.alloc(8))
    const reads = pipes.map((p, i) => r.run(op.read(p.fd, bufs[i], -1)))
    const timers = Array.from({ length: 40 }, () => r.run(op.timeout(15)))
    await r.run(op.nop())
    t.true(r.inFlight >= 40, 'the reads wait (the timers may have fired already on a busy machine)')
    // All 40 reads become ready in this one tick, the timers all fire together: 80 CQEs for 8 CQ entries.
    for (let i = 0; i < pipes.length; i++) fs.writeSync(pipes[i].fd, `p${i}`)
    const res = await Promise.all(reads)
    for (let i = 0; i < pipes.length; i++) t.is(bufs[i].toString('latin1', 0, res[i]), `p${i}`)
    t.true((await Promise.all(timers)).every((v) => v === -62))
    t.is(r.inFlight, 0)
    t.is(r.cq.overflow, 0, 'nothing dropped')
  })

  when(title('ops issued in later ticks each go in their own flush, and a tick with nothing issued makes no call'), async (t) => {
    const r = mk(t)
    await r.run(op.nop())
    const s0 = r.stats
    await Promise.all([r.run(op.nop()), r.run(op.nop()), r.run(op.nop())])
    const s1 = r.stats
    t.is(s1.flushes - s0.flushes, 1, 'three NOPs of one tick: one flush')
    t.is(s1.enters - s0.enters, 1, 'and one enter')
    await delay(5)
    t.is(r.stats.flushes, s1.flushes, 'idle ticks flush nothing')
  })

  // ---- 2. completions that come later -------------------------------------------------------

  when(title('a read on a pipe with no data yet resolves when a timer writes, through the poll handle'), async (t) => {
    const { fd } = fifoPair(t)
    const r = mk(t)
    const buf = Buffer.alloc(64)
    const w0 = r.stats.wakeups
    const p = tracker(r.run(op.read(fd, buf, -1)))
    await r.run(op.nop()) // the read went in with this flush and is waiting in the kernel
    t.false(p.settled())
    t.is(r.inFlight, 1)
    setTimeout(() => fs.writeSync(fd, 'from a timer'), 20)
    const n = await p.promise
    t.is(n, 12)
    t.is(buf.toString('latin1', 0, n), 'from a timer')
    t.true(r.stats.wakeups > w0, `the event loop woke the driver (${r.stats.wakeups - w0} wakeups)`)
    t.is(r.inFlight, 0)
  })

  // Each round's bytes come after the read is armed, from this thread, while nothing else of the
  // ring is in flight: only the eventfd can wake the driver. Linux 6.12.117 delivered the eventfd
  // signal of a DEFER_TASKRUN ring for the first such completion only (kernelQuirks()); there the
  // second round stayed pending for ever, which is what hung os.spec on that kernel.
  when(title('every read on a FIFO that is written after it is armed wakes the driver (8 rounds)'), async (t) => {
    const { fd } = fifoPair(t)
    const r = mk(t)
    for (let round = 0; round < 8; round++) {
      const buf = Buffer.alloc(16)
      const p = r.run(op.read(fd, buf, -1))
      await delay(20) // the read is submitted (and armed: the FIFO is empty) at the end of the tick
      t.is(r.inFlight, 1)
      const w0 = r.stats.wakeups
      fs.writeSync(fd, `round ${round}`)
      const got = await Promise.race([p, delay(10_000).then(() => 'stuck' as const)])
      if (got === 'stuck') {
        await r.run(op.nop()) // a reap runs the completion work the eventfd did not tell of
        await p
        t.fail(`round ${round}: the read stayed pending 10 s after its bytes were written (wakeups +${r.stats.wakeups - w0}); kernelQuirks(): ${JSON.stringify(kernelQuirks())}`)
        return
      }
      t.is(buf.toString('latin1', 0, got), `round ${round}`)
      t.true(r.stats.wakeups > w0, `round ${round}: the eventfd woke the loop`)
    }
    t.is(r.inFlight, 0)
  })

  when(title('a read on a FIFO resolves with what another process writes to it'), async (t) => {
    const { path: fifo, fd } = fifoPair(t)
    const r = mk(t)
    const buf = Buffer.alloc(64)
    const w0 = r.stats.wakeups
    const p = r.run(op.read(fd, buf, -1))
    const child = spawn(process.execPath, ['-e', 'require("fs").writeFileSync(process.argv[1], "from-child")', fifo], { stdio: 'ignore' })
    const code = new Promise<number | null>((res) => child.on('exit', res))
    const n = await p
    t.is(buf.toString('latin1', 0, n), 'from-child')
    t.is(await code, 0)
    t.true(r.stats.wakeups > w0)
  })

  when(title('a timeout resolves from the event loop after its time, with no other work pending'), async (t) => {
    const r = mk(t)
    const w0 = r.stats.wakeups
    const start = process.hrtime.bigint()
    await r.run(op.timeout(30))
    t.true(process.hrtime.bigint() - start >= 25_000_000n, 'not before its time')
    t.true(r.stats.wakeups > w0)
    t.is(r.inFlight, 0)
  })

  when(title('many later completions in one wakeup: 50 pipe reads, then one write each'), async (t) => {
    const r = mk(t)
    // More than IO_LOCAL_TW_DEFAULT_MAX (20): one GETEVENTS enter runs at most 20 deferred
    // completions and leaves the rest flagged (IORING_SQ_TASKRUN) for a later one.
    const pipes = Array.from({ length: 50 }, () => fifoPair(t))
    const bufs = pipes.map(() => Buffer.alloc(8))
    const ps = pipes.map((p, i) => r.run(op.read(p.fd, bufs[i], -1)))
    await r.run(op.nop())
    t.is(r.inFlight, 50)
    for (let i = 0; i < pipes.length; i++) fs.writeSync(pipes[i].fd, `pipe-${i}`)
    const res = await Promise.all(ps)
    for (let i = 0; i < pipes.length; i++) t.is(bufs[i].toString('latin1', 0, res[i]), `pipe-${i}`)
  })

  // ---- 4. AbortSignal -----------------------------------------------------------------------

  when(title('an already-aborted signal: the op is never queued, the file is unchanged'), async (t) => {
    const file = tmpFile(t, 'keep')
    const fd = openFile(t, file, 'r+')
    const { fd: pfd } = fifoPair(t)
    const r = mk(t)
    const ac = new AbortController()
    ac.abort(new Error('before'))
    const w = op.write(fd, Buffer.from('XXXX'), 0)
    const s0 = r.stats
    const p = r.run(w, { signal: ac.signal })
    t.is(w.inFlight, 0, 'the op was not staged')
    t.is(r.sq.pending, 0)
    const e = await t.throwsAsync(p)
    isAbortError(t, e, ac.signal, 'already aborted')
    t.is(r.stats.enters, s0.enters, 'no enter for it')
    t.is(r.stats.flushes, s0.flushes, 'no flush for it')
    await r.run(op.nop())
    t.is(fs.readFileSync(file, 'latin1'), 'keep')
    // runLinked and stream too.
    await t.throwsAsync(r.runLinked([op.write(fd, Buffer.from('YYYY'), 0)], { signal: ac.signal }), { name: 'AbortError' })
    const it = r.stream(quietPoll(pfd), { signal: ac.signal })
    await t.throwsAsync(it.next(), { name: 'AbortError' })
    await r.run(op.nop())
    t.is(fs.readFileSync(file, 'latin1'), 'keep')
    t.is(r.inFlight, 0)
  })

  when(title('aborted while staged in the same tick: never reaches the kernel, the rest of the batch does'), async (t) => {
    const file = tmpFile(t, '........')
    const fd = openFile(t, file, 'r+')
    const r = mk(t)
    const ac = new AbortController()
    const wa = op.write(fd, Buffer.from('AAAA'), 0)
    const pa = r.run(wa, { signal: ac.signal })
    const pb = r.run(op.write(fd, Buffer.from('BBBB'), 4))
    t.is(r.sq.pending, 2)
    ac.abort('staged')
    t.is(wa.inFlight, 0, 'taken out of the batch')
    t.is(r.sq.pending, 1)
    isAbortError(t, await t.throwsAsync(pa), ac.signal, 'staged')
    t.is(await pb, 4)
    t.is(fs.readFileSync(file, 'latin1'), '....BBBB', 'only the write that was not aborted reached the file')
    t.is(r.inFlight, 0)
  })

  when(title('aborted while waiting in the queue for SQ room: never reaches the kernel'), async (t) => {
    const file = tmpFile(t, Buffer.alloc(16, '.'))
    const fd = openFile(t, file, 'r+')
    const r = mk(t, 4)
    const ac = new AbortController()
    const ps: Promise<number>[] = []
    for (let i = 0; i < 16; i++) ps.push(r.run(op.write(fd, Buffer.from(String.fromCharCode(65 + i)), i), i === 10 ? { signal: ac.signal } : undefined))
    t.is(r.stats.queued, 12)
    ac.abort()
    t.is(r.stats.queued, 11)
    const res = await Promise.allSettled(ps)
    t.is(res.filter((x) => x.status === 'rejected').length, 1)
    t.is((res[10] as PromiseRejectedResult).reason.name, 'AbortError')
    t.is(fs.readFileSync(file, 'latin1'), 'ABCDEFGHIJ.LMNOP')
  })

  when(title('aborted in flight (a pipe read): rejects with AbortError only after the kernel\'s CQE; the data stays in the pipe'), async (t) => {
    const { fd } = fifoPair(t)
    const r = mk(t)
    const ac = new AbortController()
    const reason = new Error('stop reading')
    const buf = Buffer.alloc(16)
    const rd = op.read(fd, buf, -1)
    const p = tracker(r.run(rd, { signal: ac.signal }))
    await r.run(op.nop())
    t.is(r.inFlight, 1, 'the read is in the kernel')
    ac.abort(reason)
    t.false(p.settled(), 'not settled by abort() itself')
    t.is(r.inFlight, 1, 'still in the kernel right after abort()')
    let inFlightAtReject = -1
    let opInFlightAtReject = -1
    const e = await p.promise.then(
      () => undefined,
      (err: unknown) => {
        inFlightAtReject = r.inFlight
        opInFlightAtReject = rd.inFlight
        return err
      },
    )
    isAbortError(t, e, ac.signal, 'in flight')
    t.is(inFlightAtReject, 0, 'the kernel had posted the read\'s CQE when the promise rejected')
    t.is(opInFlightAtReject, 0)
    // The cancelled read took nothing: what is written now is still there to read.
    fs.writeSync(fd, 'later')
    const back = Buffer.alloc(16)
    t.is(fs.readSync(fd, back), 5)
    t.is(back.toString('latin1', 0, 5), 'later')
    t.is(buf.toString('latin1', 0, 5), '\0\0\0\0\0')
  })

  when(title('aborted in flight (a timeout): rejects with AbortError at once, not after the timeout'), async (t) => {
    const r = mk(t)
    const ac = new AbortController()
    const p = r.run(op.timeout(60_000), { signal: ac.signal })
    await r.run(op.nop())
    t.is(r.inFlight, 1)
    ac.abort()
    isAbortError(t, await t.throwsAsync(p), ac.signal, 'timeout')
    t.is(r.inFlight, 0)
  })

  when(title('abort after completion is a no-op; aborting twice is a no-op; one signal for several runs'), async (t) => {
    const file = tmpFile(t, 'abcd')
    const fd = openFile(t, file, 'r')
    const { fd: pfd } = fifoPair(t)
    const r = mk(t)
    const ac = new AbortController()
    let unhandled = 0
    // Only this test's: other tests' teardowns close rings with work pending at the same time.
    const onUnhandled = (e: unknown): void => {
      if ((e as { cause?: unknown })?.cause === ac.signal.reason) unhandled++
    }
    process.on('unhandledRejection', onUnhandled)
    t.teardown(() => process.off('unhandledRejection', onUnhandled))
    const buf = Buffer.alloc(4)
    const done = r.run(op.read(fd, buf, 0), { signal: ac.signal })
    const r1 = r.run(op.read(pfd, Buffer.alloc(4), -1), { signal: ac.signal })
    const r2 = r.run(op.timeout(60_000), { signal: ac.signal })
    t.is(await done, 4)
    t.is(r.inFlight, 2)
    ac.abort()
    ac.abort() // a second abort() does not fire again
    ac.signal.dispatchEvent(new Event('abort')) // nor does a forged second event do anything
    isAbortError(t, await t.throwsAsync(r1), ac.signal, 'pipe read')
    isAbortError(t, await t.throwsAsync(r2), ac.signal, 'timeout')
    t.is(await done, 4, 'the completed run stays resolved')
    t.is(buf.toString('latin1'), 'abcd')
    t.is(r.inFlight, 0)
    // The ring goes on as before.
    t.is(await r.run(op.read(fd, Buffer.alloc(2), 1)), 2)
    await delay(10)
    t.is(unhandled, 0)
  })

  when(title('a signal aborted after its op settled with an error: still a no-op'), async (t) => {
    const r = mk(t)
    const ac = new AbortController()
    const e = await t.throwsAsync(r.run(op.read(1_000_000, Buffer.alloc(1), 0), { signal: ac.signal }))
    t.is((e as { code?: string }).code, 'EBADF')
    ac.abort()
    t.is(await r.run(op.nop()), 0)
  })

  when(title('runLinked aborted in flight: the chain is cancelled, its write never happens'), async (t) => {
    const file = tmpFile(t, 'keep')
    const wfd = openFile(t, file, 'r+')
    const { fd } = fifoPair(t)
    const r = mk(t)
    const ac = new AbortController()
    const p = tracker(r.runLinked([op.read(fd, Buffer.alloc(4), -1), op.write(wfd, Buffer.from('XXXX'), 0)], { signal: ac.signal }))
    await r.run(op.nop())
    t.is(r.inFlight, 2, 'both ops of the chain are in the kernel')
    ac.abort('chain')
    t.false(p.settled())
    const e = await t.throwsAsync(p.promise)
    isAbortError(t, e, ac.signal, 'chain')
    t.is(r.inFlight, 0)
    t.is(fs.readFileSync(file, 'latin1'), 'keep', 'the linked write was cancelled with the chain')
    fs.writeSync(fd, 'left')
    const back = Buffer.alloc(8)
    t.is(fs.readSync(fd, back), 4, 'the cancelled read took nothing from the pipe')
  })

  when(title('a hard chain aborted in flight: each op is cancelled as it starts, none blocks for ever'), async (t) => {
    // The kernel cannot cancel an op that waits behind another in its chain; a hard chain runs
    // its next op after a cancelled one. So the driver cancels them one by one as they start.
    const { fd } = fifoPair(t)
    const r = mk(t)
    const ac = new AbortController()
    const bufs = [Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(4)]
    const p = tracker(r.runLinked(bufs.map((b) => op.read(fd, b, -1)), { hard: true, signal: ac.signal }))
    await r.run(op.nop())
    t.is(r.inFlight, 3)
    ac.abort('hard')
    const e = (await t.throwsAsync(p.promise)) as AbortError & { errors?: Array<{ code?: string } | undefined> }
    isAbortError(t, e, ac.signal, 'hard')
    t.deepEqual(e.errors?.map((x) => x?.code), ['ECANCELED', 'ECANCELED', 'ECANCELED'], 'all three reads were cancelled')
    t.is(r.inFlight, 0)
    fs.writeSync(fd, 'left')
    t.is(fs.readSync(fd, Buffer.alloc(8)), 4, 'no cancelled read took bytes from the pipe')
  })

  when(title('runLinked aborted while staged: nothing of the chain reaches the kernel'), async (t) => {
    const file = tmpFile(t, 'keep')
    const wfd = openFile(t, file, 'r+')
    const r = mk(t)
    const ac = new AbortController()
    const p = r.runLinked([op.write(wfd, Buffer.from('XX'), 0), op.write(wfd, Buffer.from('YY'), 2)], { signal: ac.signal })
    const other = r.run(op.write(wfd, Buffer.from('Z'), 4))
    ac.abort()
    isAbortError(t, await t.throwsAsync(p), ac.signal, 'staged chain')
    t.is(await other, 1)
    t.is(fs.readFileSync(file, 'latin1'), 'keepZ')
    t.is(r.inFlight, 0)
  })

  when(title('an abort that waits for SQ room cancels its own op, never a later op given the same slot'), async (t) => {
    const a = fifoPair(t)
    const b = fifoPair(t)
    const r = mk(t, 8)
    const ac = new AbortController()
    const bufA = Buffer.alloc(8)
    const pa = r.run(op.read(a.fd, bufA, -1), { signal: ac.signal })
    await r.run(op.nop())
    t.is(r.inFlight, 1)
    // In one tick: the read's data arrives, the SQ fills up, a new read waits for room, and the
    // first read's signal fires (its cancel waits for room behind the new read).
    fs.writeSync(a.fd, 'first')
    const nops = Array.from({ length: 8 }, () => r.run(op.nop()))
    const bufB = Buffer.alloc(8)
    const pb = tracker(r.run(op.read(b.fd, bufB, -1)))
    ac.abort()
    t.is(r.stats.queued, 2, 'the new read and the cancel wait for room')
    await Promise.all(nops)
    // The first read finished before its cancel went out: it keeps its real result.
    t.is(await pa, 5)
    t.is(bufA.toString('latin1', 0, 5), 'first')
    await r.run(op.nop())
    await delay(10)
    t.false(pb.settled(), 'the new read was not cancelled in its place')
    t.is(r.inFlight, 1)
    fs.writeSync(b.fd, 'second')
    t.is(await pb.promise, 6)
    t.is(bufB.toString('latin1', 0, 6), 'second')
  })

  when(title('a chain and a stream aborted while queued for SQ room: neither reaches the kernel'), async (t) => {
    const file = tmpFile(t, 'keep')
    const fd = openFile(t, file, 'r+')
    const { fd: pfd } = fifoPair(t)
    const r = mk(t, 4)
    const ac = new AbortController()
    const nops = Array.from({ length: 4 }, () => r.run(op.nop()))
    const chain = r.runLinked([op.write(fd, Buffer.from('XX'), 0), op.write(fd, Buffer.from('YY'), 2)], { signal: ac.signal })
    const it = r.stream(quietPoll(pfd), { signal: ac.signal })
    const first = it.next()
    const after = r.run(op.write(fd, Buffer.from('!'), 4))
    t.is(r.stats.queued, 3)
    ac.abort()
    t.is(r.stats.queued, 1, 'both left the queue')
    isAbortError(t, await t.throwsAsync(chain), ac.signal, 'queued chain')
    isAbortError(t, await t.throwsAsync(first), ac.signal, 'queued stream')
    await Promise.all(nops)
    t.is(await after, 1)
    t.is(fs.readFileSync(file, 'latin1'), 'keep!')
    t.is(r.inFlight, 0)
  })

  whenMultishot(title('abort listeners are removed once runs, chains and streams settle (no leak on a long-lived signal)'), async (t) => {
    const r = mk(t, 4)
    const { fd: pfd } = fifoPair(t)
    const ac = new AbortController()
    const count = (): number => getEventListeners(ac.signal, 'abort').length
    for (let round = 0; round < 3; round++) {
      // Staged, queued (SQ of 4), chains and a stream, all on the one signal.
      const ps: Promise<unknown>[] = []
      for (let i = 0; i < 20; i++) ps.push(r.run(op.nop(), { signal: ac.signal }))
      ps.push(r.runLinked([op.nop(), op.nop()], { signal: ac.signal }))
      // One listener for the signal however many ops share it: 21 would pass EventTarget's
      // limit of 10 and make Node print a MaxListenersExceededWarning.
      t.is(count(), 1)
      await Promise.all(ps)
      fs.writeSync(pfd, 'x')
      if (round === 1) {
        // A stream left early (a multishot poll): its listener goes with its final CQE.
        for await (const _ of r.stream(op.pollAdd(pfd, ['in'], { multishot: true }), { signal: ac.signal })) break
      } else {
        // A stream the kernel ends (a one-shot poll of a readable FIFO: its one CQE is final).
        const got: unknown[] = []
        for await (const v of r.stream(op.pollAdd(pfd, ['in']), { signal: ac.signal })) got.push(v)
        t.is(got.length, 1)
      }
      fs.readSync(pfd, Buffer.alloc(1))
      for (let k = 0; k < 400 && r.inFlight > 0; k++) await delay(5)
      t.is(r.inFlight, 0, `round ${round}: the stream's op is over`)
      t.is(count(), 0, `round ${round}: no listener left`)
    }
  })

  whenMultishot(title('a stream aborted in flight: the iteration throws AbortError and the op is gone'), async (t) => {
    const r = mk(t)
    const { fd } = fifoPair(t)
    const ac = new AbortController()
    const got: unknown[] = []
    fs.writeSync(fd, 'a')
    const e = await t.throwsAsync(
      (async () => {
        // A multishot poll of a FIFO: a CQE each time the test makes it readable, none by itself.
        for await (const v of r.stream(op.pollAdd(fd, ['in'], { multishot: true }), { signal: ac.signal })) {
          got.push(v)
          fs.readSync(fd, Buffer.alloc(8)) // empty it, so that the next write is new readiness
          if (got.length === 2) ac.abort('enough')
          else fs.writeSync(fd, 'b')
        }
      })(),
    )
    isAbortError(t, e, ac.signal, 'stream')
    t.is(got.length, 2)
    t.is(r.inFlight, 0)
  })

  // A multishot timeout is off the kernel's timeout list from its timer firing until its task
  // work posts the CQE and re-arms it, so a cancel sent in that window gets -ENOENT. With a 1 ms
  // timer and a loop body that takes 5 ms the window is open whenever the cancel goes out: the
  // driver must try again, or the timeout fires for ever and keeps the process alive.
  const whenTimeoutMultishot = mode.ok ? testWhen(kernelAtLeast('6.4'), 'multishot timeout (IORING_TIMEOUT_MULTISHOT)', '6.4') : when
  whenTimeoutMultishot(title('leaving a stream of a 1 ms multishot timeout from a slow loop ends the timeout'), async (t) => {
    const r = mk(t)
    let n = 0
    for await (const v of r.stream(op.timeout(1, { multishot: true }))) {
      t.is(v, -62, 'each fire yields -ETIME')
      busyWait(5)
      if (++n === 3) break
    }
    const deadline = Date.now() + 5000
    while (r.inFlight > 0 && Date.now() < deadline) await delay(10)
    t.is(r.inFlight, 0, 'the timeout was cancelled')
    // A last eventfd signal may still be on its way; a timer still firing would wake it ~100 times.
    await delay(20)
    const wakeups = r.stats.wakeups
    await delay(100)
    t.true(r.stats.wakeups - wakeups <= 1, `no longer wakes the driver (${r.stats.wakeups - wakeups} wakeups in 100 ms)`)
  })

  when(title('a run of an op that owns no memory can be issued again after it settles'), async (t) => {
    const r = mk(t)
    const nop: Op = op.nop()
    for (let i = 0; i < 3; i++) t.is(await r.run(nop), 0)
    t.is(nop.inFlight, 0)
  })
}
