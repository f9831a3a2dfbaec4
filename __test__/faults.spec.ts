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
import { ring } from './_helpers'
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
  const reap = (): void => {
    for (const c of r.cq) {
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
    for (const c of got) {
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
