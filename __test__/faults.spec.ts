/**
 * Faults and stress (issue 9): what happens when the queues overflow, when ops are aborted by the
 * tens of thousands at random points, when the process forks children, when a worker is killed or
 * the process exits with ops in flight, when RLIMIT_NOFILE / RLIMIT_MEMLOCK are exhausted, and when
 * a socket's peer vanishes mid-send. Each case counts what the kernel did (every userData, the
 * bytes left in a pipe, /proc/self/fd), and the child-process cases run in children
 * (__test__/fixtures/faults-child.js, faults-worker.js) whose exit code and signal are checked.
 *
 * What this file does not repeat (proved elsewhere): 100,000 NOPs through an 8-entry CQ reaping
 * every 16 submits (queues.spec.ts), a worker terminated with a few ops in flight
 * (driver-workers.spec.ts), process.exit / uncaught exception with one read in flight
 * (driver-lifetime.spec.ts), io_uring_setup's EMFILE / seccomp errors (setup-errors.spec.ts), one
 * registration over RLIMIT_MEMLOCK (registrar.spec.ts), a read on a reset socket (net.spec.ts).
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import { spawn, spawnSync } from 'node:child_process'
import { Worker } from 'node:worker_threads'
import { Ring, op } from '../index'
import type { Cqe, Op } from '../index'
import { memlockPrefix, ring } from './_helpers'
import { fifoPair, fixture, ringFds } from './_driver'

const ECANCELED = 125
const ETIME = 62
const ENOENT = 2
const EALREADY = 114

/** mulberry32: a small seeded PRNG, so every run (and every failure) is the same sequence. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** The number of CQEs on the ring's kernel overflow list (fdinfo's CqOverflowList). */
function overflowListed(r: Ring): number {
  const text = fs.readFileSync(`/proc/self/fdinfo/${r.fd}`, 'utf8')
  const at = text.indexOf('CqOverflowList:')
  if (at < 0) return -1
  return (text.slice(at).match(/user_data=/g) ?? []).length
}

/** The process's open fds, by number (the listing's own fd excluded). */
function openFds(): Set<number> {
  const out = new Set<number>()
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      fs.readlinkSync(`/proc/self/fd/${name}`)
      out.add(Number(name))
    } catch {
      // the fd of the listing itself, gone by now
    }
  }
  return out
}

// ---- CQ overflow ------------------------------------------------------------------------------

test('8-entry CQ: 1,000,000 NOPs, 512 submitted between reaps (64x the CQ), every userData seen exactly once', (t) => {
  const r = ring(t, { entries: 8, cqEntries: 8 })
  t.is(r.params.cqEntries, 8)
  t.true(r.params.flags.cqsize)
  const N = 1_000_000
  const PER_REAP = 64 // submits of a full SQ (8) between two reaps
  const seen = new Uint8Array(N)
  const ops = Array.from({ length: 8 }, () => op.nop())
  let pushed = 0
  let done = 0
  let bad = 0
  let maxListed = 0
  let sampled = 0
  let guard = 0
  const take = (c: Cqe): void => {
    if (c.res !== 0) bad++
    seen[c.userData as number]++
    done++
  }
  while (done < N && guard++ < N) {
    for (let k = 0; k < PER_REAP && pushed < N; k++) {
      const n = Math.min(r.sq.space, N - pushed)
      for (let i = 0; i < n; i++) {
        ops[i].userData = pushed++
        r.sq.push(ops[i])
      }
      r.sq.submit()
    }
    // Now and then, look at the kernel's side: the CQEs beyond the 8 slots wait on its overflow list.
    if (sampled < 8 && pushed % 65536 < 512) {
      sampled++
      maxListed = Math.max(maxListed, overflowListed(r))
    }
    let got = 0
    for (const c of r.cq) {
      take(c)
      got++
    }
    if (got === 0 && pushed === N) {
      const late = r.cq.wait(1, { timeoutMs: 5000 })
      if (late.length === 0) break
      late.forEach(take)
    }
  }
  t.log(`largest kernel overflow list sampled: ${maxListed} CQEs`)
  t.true(maxListed > 8, `the CQ really overflowed (the kernel listed ${maxListed} overflowed CQEs)`)
  const wrong: number[] = []
  for (let i = 0; i < N && wrong.length < 10; i++) if (seen[i] !== 1) wrong.push(i)
  t.deepEqual(wrong, [], `userData seen other than once (first 10); done ${done}, inFlight ${r.inFlight}`)
  t.is(done, N)
  t.is(bad, 0, 'every NOP res 0')
  t.is(r.cq.overflow, 0, 'FEAT_NODROP: the kernel dropped nothing')
  t.is(r.inFlight, 0)
  t.is(overflowListed(r), 0, 'the overflow list is empty at the end')
})

// ---- cancel storms ----------------------------------------------------------------------------

test('batch API: 100,000 timeouts and ASYNC_CANCELs at random points (seed 9): one CQE each, results consistent', (t) => {
  const r = ring(t, { entries: 64 })
  const rand = prng(9)
  const N = 100_000
  const CANCEL = 1 << 24 // userData of the cancel aimed at op i: CANCEL + i
  const tres = new Int32Array(N).fill(1) // 1: no CQE yet
  const cres = new Int32Array(N).fill(1) // 1: no CQE yet
  const tSeen = new Uint8Array(N)
  const cSeen = new Uint8Array(N)
  const pendingCancels: number[] = []
  let issued = 0
  let cqes = 0
  let extra = 0
  const record = (c: Cqe): void => {
    cqes++
    const u = c.userData as number
    if (u >= CANCEL) {
      cSeen[u - CANCEL]++
      cres[u - CANCEL] = c.res
    } else if (u < N) {
      tSeen[u]++
      tres[u] = c.res
    } else extra++
  }
  const reap = (): void => {
    for (const c of r.cq) record(c)
  }
  const timeouts = Array.from({ length: 32 }, () => op.timeout(0))
  const cancelOp = op.cancel({ userData: 0 })
  let rounds = 0
  while ((issued < N || pendingCancels.length > 0) && rounds++ < 10 * N) {
    // Up to 32 new timeouts: 0 to 3 ms (so some expire before or while their cancel comes) or
    // 60 s (they only end by being cancelled).
    const n = Math.min(32, N - issued, r.sq.space)
    for (let i = 0; i < n; i++) {
      const o = timeouts[i]
      o.time = rand() < 0.5 ? Math.floor(rand() * 4) : 60_000
      o.userData = issued
      r.sq.push(o)
      // Its cancel goes in this same submission (after it), or a random number of rounds later.
      const when = rand()
      if (when < 0.25 && r.sq.space > 0) {
        cancelOp.target = { userData: issued }
        cancelOp.userData = CANCEL + issued
        r.sq.push(cancelOp)
      } else pendingCancels.push(issued)
      issued++
    }
    // Some of the waiting cancels, picked at random.
    for (let k = 0; k < 24 && pendingCancels.length > 0 && r.sq.space > 0; k++) {
      // While new timeouts come, cancel half at random, more once many wait (the kernel keeps
      // timeouts in a sorted list: tens of thousands pending would make each insert slow).
      if (issued < N && pendingCancels.length < 256 && rand() < 0.5) continue
      const j = Math.floor(rand() * pendingCancels.length)
      const target = pendingCancels[j]
      pendingCancels[j] = pendingCancels[pendingCancels.length - 1]
      pendingCancels.pop()
      cancelOp.target = { userData: target }
      cancelOp.userData = CANCEL + target
      r.sq.push(cancelOp)
    }
    r.sq.submit()
    if (rand() < 0.5) reap()
  }
  // Everything ended (each timeout has had its cancel): read what is ready, wait for the stragglers.
  reap()
  let idle = 0
  while (r.inFlight > 0 && idle < 3) {
    const got = r.cq.wait(1, { timeoutMs: 5000 })
    if (got.length === 0) idle++
    got.forEach(record)
    reap()
  }
  t.is(issued, N)
  t.is(extra, 0, 'no CQE with a userData nobody used')
  t.is(r.inFlight, 0, 'nothing left in flight')
  let twice = 0
  let never = 0
  let wrongRes = 0
  let inconsistent = 0
  let cancelled = 0
  let expired = 0
  const detail: string[] = []
  for (let i = 0; i < N; i++) {
    if (tSeen[i] !== 1 || cSeen[i] !== 1) {
      if (tSeen[i] > 1 || cSeen[i] > 1) twice++
      else never++
      if (detail.length < 5) detail.push(`op ${i}: timeout CQEs ${tSeen[i]}, cancel CQEs ${cSeen[i]}`)
      continue
    }
    const tr = -tres[i]
    const cr = -cres[i]
    if (tr !== ECANCELED && tr !== ETIME) wrongRes++
    if (cr !== 0 && cr !== ENOENT && cr !== EALREADY) wrongRes++
    // The cancel found the op exactly when the op ended by cancellation.
    if ((cr === 0) !== (tr === ECANCELED)) {
      inconsistent++
      if (detail.length < 5) detail.push(`op ${i}: timeout res ${tres[i]}, cancel res ${cres[i]}`)
    }
    if (tr === ECANCELED) cancelled++
    else expired++
  }
  t.log(`${cancelled} cancelled, ${expired} expired first; ${cqes} CQEs`)
  t.is(twice, 0, `no CQE twice: ${detail.join('; ')}`)
  t.is(never, 0, `no CQE missing: ${detail.join('; ')}`)
  t.is(wrongRes, 0, 'timeouts end -ECANCELED or -ETIME; cancels 0, -ENOENT or -EALREADY')
  t.is(inconsistent, 0, `a cancel res 0 always matches an -ECANCELED op: ${detail.join('; ')}`)
  t.true(cancelled > 0 && expired > 0, 'both outcomes happened (the random points hit both sides)')
  t.is(cqes, 2 * N)
})

/** Resolves after `n` turns of the event loop (setImmediate), so the driver flushes and reaps in between. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
}

test('ring.run: 100,000 timeouts and pipe reads aborted at random points (seed 7): each settles once, as its own op; inFlight 0', async (t) => {
  const r = ring(t)
  const { fd } = fifoPair(t)
  const rand = prng(7)
  const N = 100_000
  const WAVE = 10_000
  const buf = Buffer.alloc(16)
  // What each op did: 0 pending, 1 resolved, 2 rejected with its own AbortError, 3 anything else.
  const outcome = new Uint8Array(N)
  const settles = new Uint8Array(N)
  const wrong: string[] = []
  let resolvedReads = 0
  for (let base = 0; base < N; base += WAVE) {
    const acs: AbortController[] = []
    const later: Array<{ i: number; at: number }> = []
    const ps: Promise<void>[] = []
    for (let i = base; i < base + WAVE; i++) {
      const ac = new AbortController()
      acs.push(ac)
      const isRead = rand() < 0.5
      // Reads never complete (the FIFO stays empty): they must all be aborted. Timeouts of 0-2 ms
      // may end by themselves, before or after their abort.
      const o: Op = isRead ? op.read(fd, buf, -1) : op.timeout(Math.floor(rand() * 3))
      const point = rand()
      if (point < 0.1) ac.abort(i) // already aborted: never queued
      const p = r.run(o, { signal: ac.signal })
      ps.push(
        p.then(
          () => {
            settles[i]++
            outcome[i] = 1
            if (isRead) resolvedReads++
          },
          (e: { name?: string; cause?: unknown }) => {
            settles[i]++
            if (e?.name === 'AbortError' && e.cause === i) outcome[i] = 2
            else {
              outcome[i] = 3
              if (wrong.length < 5) wrong.push(`op ${i} rejected with ${String(e?.name)} cause ${String(e?.cause)}`)
            }
          },
        ),
      )
      if (point >= 0.1 && point < 0.3) ac.abort(i) // staged in this tick
      else if (point >= 0.3 && (isRead || point < 0.8)) later.push({ i, at: 1 + Math.floor(rand() * 4) }) // in flight, 1-4 turns later
    }
    for (let turn = 1; turn <= 4; turn++) {
      await turns(1)
      for (const x of later) if (x.at === turn) acs[x.i - base].abort(x.i)
    }
    const guard = setTimeout(() => {
      let pending = 0
      for (let i = base; i < base + WAVE; i++) if (settles[i] === 0) pending++
      t.fail(`wave at ${base}: ${pending} ops did not settle within 60 s (inFlight ${r.inFlight})`)
    }, 60_000)
    await Promise.all(ps)
    clearTimeout(guard)
  }
  let notOnce = 0
  let other = 0
  let aborted = 0
  let resolved = 0
  for (let i = 0; i < N; i++) {
    if (settles[i] !== 1) notOnce++
    if (outcome[i] === 3) other++
    if (outcome[i] === 2) aborted++
    if (outcome[i] === 1) resolved++
  }
  t.log(`${aborted} aborted, ${resolved} resolved (timeouts that ended first)`)
  t.is(notOnce, 0, 'every op settled exactly once')
  t.deepEqual(wrong, [], 'no op settled with another op\'s result or another signal\'s reason')
  t.is(other, 0)
  t.is(resolvedReads, 0, 'no read resolved: nothing was ever written to the FIFO')
  t.true(aborted > 0 && resolved > 0)
  t.is(r.inFlight, 0, 'nothing left in the kernel')
  t.is(r.stats.queued, 0, 'nothing left queued')
  // No cancelled read lingers in the kernel: what is written now stays in the pipe.
  fs.writeSync(fd, 'after-the-storm')
  const back = Buffer.alloc(32)
  t.is(fs.readSync(fd, back), 15)
  t.is(back.toString('latin1', 0, 15), 'after-the-storm')
  t.is(await r.run(op.nop()), 0, 'the ring still works')
})

// ---- child processes --------------------------------------------------------------------------

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** The last JSON line of stdout, parsed (undefined when there is none). */
  json: Record<string, unknown> | undefined
  ms: number
}

/**
 * Runs `argv` (a command and its arguments) to its end and reports how it ended. A child still
 * running after `guardMs` is killed with SIGKILL: the test then fails on the signal, not by hanging.
 */
function runChild(t: ExecutionContext, argv: string[], guardMs = 30_000): Promise<Exit> {
  const t0 = Date.now()
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
  const guard = setTimeout(() => child.kill('SIGKILL'), guardMs)
  t.teardown(() => {
    clearTimeout(guard)
    child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(guard)
      const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'))
      let json: Record<string, unknown> | undefined
      try {
        json = lines.length ? (JSON.parse(lines[lines.length - 1]) as Record<string, unknown>) : undefined
      } catch {
        json = undefined
      }
      resolve({ code, signal, stdout, stderr, json, ms: Date.now() - t0 })
    })
  })
}

const CHILD = fixture('faults-child.js')

function endedCleanly(t: ExecutionContext, r: Exit, what: string): void {
  t.is(r.signal, null, `${what}: not killed by a signal (the hang guard is SIGKILL); stderr: ${r.stderr}`)
  t.is(r.code, 0, `${what}: exit code 0; stderr: ${r.stderr}; stdout: ${r.stdout}`)
  t.is(r.json?.error, undefined, `${what}: ${String(r.json?.error)}`)
}

/** A FIFO path (no fd of this process on it). */
function fifoPath(t: ExecutionContext): string {
  const { path: p, fd } = fifoPair(t)
  fs.closeSync(fd)
  return p
}

for (const how of ['spawn', 'fork'] as const) {
  test(`child_process.${how} with rings busy: the child inherits no ring, makes its own and does I/O; the parent's ops still complete`, async (t) => {
    const r = ring(t)
    const dontfork = ring(t, { entries: 8, dontfork: true })
    // In flight while the child starts: a read on each of 16 FIFOs, 200 timeouts of 60 s, and a read on the dontfork ring.
    const pipes = Array.from({ length: 16 }, () => fifoPair(t))
    const bufs = pipes.map(() => Buffer.alloc(32))
    const reads = pipes.map((p, i) => r.run(op.read(p.fd, bufs[i], -1)))
    const ac = new AbortController()
    const timeouts = Array.from({ length: 200 }, () => r.run(op.timeout(60_000), { signal: ac.signal }))
    const other = fifoPair(t)
    const otherBuf = Buffer.alloc(8)
    const otherRead = dontfork.run(op.read(other.fd, otherBuf, -1))
    await r.run(op.nop())
    await dontfork.run(op.nop())
    t.is(r.inFlight, 216)
    t.is(dontfork.inFlight, 1)
    const file = fs.mkdtempSync('/tmp/uring-fault-') + '/child-file'
    t.teardown(() => fs.rmSync(file.slice(0, file.lastIndexOf('/')), { recursive: true, force: true }))
    let out: Record<string, unknown>
    if (how === 'spawn') {
      const res = await runChild(t, [process.execPath, CHILD, 'spawned', file])
      endedCleanly(t, res, 'spawned child')
      out = res.json!
    } else {
      const { fork } = await import('node:child_process')
      const child = fork(CHILD, ['spawned', file], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
      const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
      t.teardown(() => child.kill('SIGKILL'))
      const msg = new Promise<Record<string, unknown>>((resolve) => child.once('message', (m) => resolve(m as Record<string, unknown>)))
      const exit = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])))
      out = await msg
      t.deepEqual(await exit, [0, null], 'the forked child exited by itself, code 0')
      clearTimeout(guard)
      t.true(out.ipc, 'fork gave it an IPC channel')
    }
    const inherited = out.inherited as string[]
    t.false(inherited.includes('anon_inode:[io_uring]'), `no io_uring fd crossed into the child: ${JSON.stringify(inherited)}`)
    for (const p of pipes) t.false(inherited.some((l) => l.startsWith('/') && l === fs.realpathSync(p.path)), 'no FIFO fd of the parent crossed into it')
    t.is(typeof out.ringFd, 'number', 'the child made a ring of its own')
    t.is(out.wrote, out.read!.toString().length)
    t.regex(out.read as string, /^written by child \d+$/, 'and wrote and read a file through it')
    t.is(fs.readFileSync(file, 'latin1'), out.read as string, 'the kernel really wrote the file')
    // The parent's ops were untouched: the reads get what is written now, each its own.
    t.is(r.inFlight, 216)
    pipes.forEach((p, i) => fs.writeSync(p.fd, `after-${how}-${i}`))
    fs.writeSync(other.fd, 'dontfrk')
    const n = await Promise.all(reads)
    t.deepEqual(
      bufs.map((b, i) => b.toString('latin1', 0, n[i])),
      pipes.map((_, i) => `after-${how}-${i}`),
    )
    t.is(otherBuf.toString('latin1', 0, await otherRead), 'dontfrk')
    ac.abort()
    const settled = await Promise.allSettled(timeouts)
    t.true(settled.every((s) => s.status === 'rejected' && (s.reason as Error).name === 'AbortError'))
    t.is(r.inFlight, 0)
  })
}

test.serial('a worker terminated with 10,000 ops in flight on three rings: no crash or hang, its fds are released, this ring works', async (t) => {
  const { fd } = fifoPair(t)
  // Warm up: the first worker of a process opens things that stay (a worker's own fds come and go).
  {
    const w = new Worker('require("node:worker_threads").parentPort.postMessage(1)', { eval: true })
    await new Promise((r) => w.once('message', r))
    await w.terminate()
  }
  const before = openFds()
  const baseRings = ringFds()
  const w = new Worker(fixture('faults-worker.js'), { workerData: { fd, count: 10_000 } })
  t.teardown(() => w.terminate())
  w.on('error', (e) => t.fail(`worker error: ${e.stack}`))
  const exit = new Promise<number>((resolve) => w.on('exit', resolve))
  const m = await new Promise<{ type: string; inFlight: number; message?: string }>((resolve) => w.on('message', resolve))
  t.is(m.type, 'ready', String(m.message))
  t.true(m.inFlight >= 9_000, `the worker had ${m.inFlight} ops in the kernel`)
  t.is(ringFds(), baseRings + 3, 'its three rings are open')
  await w.terminate()
  t.is(await exit, 1, 'terminated')
  const after = openFds()
  const leaked = [...after].filter((x) => !before.has(x)).map((x) => {
    try {
      return `${x} -> ${fs.readlinkSync(`/proc/self/fd/${x}`)}`
    } catch {
      return String(x)
    }
  })
  t.deepEqual(leaked, [], 'every fd the worker opened (rings, eventfds, its loop) is closed')
  t.is(ringFds(), baseRings)
  // None of its 4,000 reads lingers on the FIFO: what is written now stays for this thread.
  fs.writeSync(fd, 'after-terminate')
  const back = Buffer.alloc(32)
  t.is(fs.readSync(fd, back), 15)
  const r = ring(t)
  const b = Buffer.alloc(16)
  const rd = r.run(op.read(fd, b, -1))
  fs.writeSync(fd, 'main-works')
  t.is(b.toString('latin1', 0, await rd), 'main-works')
})

for (const [which, title] of [
  ['exit-many', 'process.exit(0) with 10,000 ops in flight on four rings (reads, timeouts, READ_FIXED, a stream)'],
  ['return-unref', 'main returns with 10,000 ops in flight on four unref\'d rings'],
  ['exit-worker', 'process.exit(0) while a worker has 10,000 ops in flight and the main thread 1,000'],
] as const) {
  test(`${title}: the process ends at once, code 0, no signal`, async (t) => {
    const res = await runChild(t, [process.execPath, CHILD, which, fifoPath(t), '10000'])
    endedCleanly(t, res, which)
    const j = res.json!
    if (which === 'exit-worker') {
      t.true((j.worker as { inFlight: number }).inFlight >= 9_000, JSON.stringify(j))
      t.true((j.mine as number) >= 1_000, JSON.stringify(j))
    } else t.true((j.inFlight as number) >= 10_000, `ops in flight at the exit: ${String(j.inFlight)}`)
  })
}

test('RLIMIT_NOFILE exhausted: uring/os open, socket and accept reject EMFILE, the driver\'s eventfd too; direct descriptors still work; all recover once fds are freed', async (t) => {
  const dir = fs.mkdtempSync('/tmp/uring-nofile-')
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const res = await runChild(t, ['prlimit', '--nofile=64:64', process.execPath, CHILD, 'nofile', `${dir}/sock`])
  endedCleanly(t, res, 'nofile child')
  const j = res.json as Record<string, { code?: string; errno?: number; syscall?: string; ok?: unknown } & Record<string, unknown>>
  t.true((j.exhausted as unknown as number) > 0, 'the child used up its fds')
  for (const [k, syscall] of [['open', 'openat'], ['socket', 'socket'], ['accept', 'accept']] as const) {
    t.like(j[k], { code: 'EMFILE', errno: -24, syscall }, `${k}: ${JSON.stringify(j[k])}`)
  }
  t.is(j.driverStart.code, 'EMFILE', `the first ring.run on a fresh ring needs an eventfd: ${JSON.stringify(j.driverStart)}`)
  t.regex(String(j.driverStart.message), /eventfd/)
  t.deepEqual(j.direct, { ok: 'registered' }, 'an open into a direct descriptor takes no process fd')
  t.deepEqual(j.nop, { ok: 0 }, 'a started ring keeps working')
  t.is(j.openAfter as unknown, 'fd', 'open works again once fds are free')
  t.is(j.acceptAfter as unknown, 'fd', 'the connection that waited is accepted')
  t.deepEqual(j.driverAfter, { ok: 0 }, 'the ring whose driver could not start starts now')
})

const MEMLOCK = 65536

const memlock = memlockPrefix(MEMLOCK)?.argv
;(memlock ? test : test.skip)(
  'RLIMIT_MEMLOCK (64 KiB, no CAP_IPC_LOCK): buffers past it are ERR_URING_MEMLOCK, earlier ones still work, unregister and close give the memory back' +
    (memlock ? '' : ' (skipped: neither prlimit nor setpriv can drop CAP_IPC_LOCK here)'),
  async (t) => {
    const dir = fs.mkdtempSync('/tmp/uring-memlock-')
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
    const res = await runChild(t, [...memlock!, process.execPath, CHILD, 'memlock', String(MEMLOCK), `${dir}/f`])
    endedCleanly(t, res, 'memlock child')
    const j = res.json!
    t.like(j.second, { code: 'ERR_URING_MEMLOCK', limit: MEMLOCK, requested: MEMLOCK }, 'the second registration (32 + 64 KiB in all) is refused')
    t.is(j.writeFixed, 100, 'the first buffer still serves WRITE_FIXED')
    t.is(j.fileHas, 'a'.repeat(100), 'with its bytes')
    t.is(j.cycles, 200, `200 unregister + register cycles of 48 KiB all fit: unregistering gives the memory back (${JSON.stringify(j.failed)})`)
    t.is(j.rings, 10, `10 rings with 48 KiB each, one after the other: closing gives the memory back (${JSON.stringify(j.ringFailed)})`)
    t.log(`retries while the kernel freed closed rings: ${String(j.retries)}`)
  },
)

test('a peer that resets mid-send: uring/os send/write and uring/net writes fail with ECONNRESET / EPIPE, no SIGPIPE from send, the process lives', async (t) => {
  const res = await runChild(t, [process.execPath, CHILD, 'sigpipe'])
  endedCleanly(t, res, 'sigpipe child')
  const j = res.json as Record<string, { codes?: string[]; sigs: number; code?: string; syscall?: string; destroyed?: boolean }>
  for (const k of ['send', 'sendNoFlags', 'write']) {
    t.true(j[k].codes!.length === 3 && j[k].codes!.every((c) => c === 'ECONNRESET' || c === 'EPIPE'), `${k}: ${JSON.stringify(j[k])}`)
  }
  t.is(j.send.sigs, 0, 'send with MSG_NOSIGNAL raises no SIGPIPE')
  t.true(j.net.code === 'ECONNRESET' || j.net.code === 'EPIPE', JSON.stringify(j.net))
  t.is(j.net.syscall, 'write')
  t.true(j.net.destroyed)
  t.is(j.net.sigs, 0, 'uring/net sends with MSG_NOSIGNAL: no SIGPIPE')
  // os.write is write(2): on a socket it raises SIGPIPE like write(2) does (Node ignores SIGPIPE,
  // so it is harmless: the process lived to report). Logged, since that is the kernel's doing.
  t.log(`SIGPIPEs seen: send ${j.send.sigs}, send without flags ${j.sendNoFlags.sigs}, write ${j.write.sigs}, uring/net ${j.net.sigs}`)
})
