/**
 * The queues: ring.sq (push, pushMany, submit, submitAndWait, space, pending) and ring.cq (next,
 * drain, wait, the iterator), checked by counting what the kernel completed.
 */
import test, { ExecutionContext } from 'ava'
import { Cqe, Ring, RingOptions, op, Op } from '../index'
import { fifo, kernelAtLeast, ring, skipNote, throwsCode } from './_helpers'

const sleepCell = new Int32Array(new SharedArrayBuffer(4))
/** Blocks this thread for `ms` (to give a kernel thread time; never asserted on). */
function sleep(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms)
}

/** Reaps until `expected` CQEs have been seen, failing (not hanging) when none come for `ms`. */
function reapAll(t: ExecutionContext, r: Ring, expected: number, onCqe: (c: Cqe) => void, ms = 5000): number {
  let n = 0
  while (n < expected) {
    const got = r.cq.wait(1, { timeoutMs: ms })
    if (got.length === 0) {
      t.fail(`no completion within ${ms} ms: ${n} of ${expected} seen, inFlight ${r.inFlight}, cq.ready ${r.cq.ready}, cq.overflow ${r.cq.overflow}, sq.pending ${r.sq.pending}`)
      return n
    }
    for (const c of got) {
      onCqe(c)
      n++
    }
  }
  return n
}

test('1,000,000 NOPs through ring.sq / ring.cq: every one completes once with res 0', (t) => {
  const r = ring(t, { entries: 256 })
  const N = 1_000_000
  const seen = new Uint8Array(N)
  // Op objects are reused: push copies userData at staging time.
  const ops = Array.from({ length: r.sq.entries }, () => op.nop())
  let pushed = 0
  let done = 0
  let bad = 0
  let sum = 0
  let submits = 0
  while (done < N) {
    const room = Math.min(r.sq.space, N - pushed)
    for (let i = 0; i < room; i++) {
      const o = ops[i]
      o.userData = pushed++
      r.sq.push(o)
    }
    if (pushed - done === 0) break
    r.sq.submitAndWait(1)
    submits++
    for (const c of r.cq) {
      if (c.res !== 0) bad++
      seen[c.userData as number]++
      sum += c.userData as number
      done++
    }
    if (submits > N) break // a stall would otherwise loop forever
  }
  t.is(done, N)
  t.is(bad, 0)
  t.is(sum, (N * (N - 1)) / 2)
  t.true(seen.every((v) => v === 1), 'every userData exactly once')
  t.is(r.inFlight, 0)
  t.is(r.cq.overflow, 0)
  t.is(r.cq.ready, 0)
  t.is(r.cq.next(), undefined)
})

function wrapCase(title: string, options: RingOptions, since: string): void {
  const ok = kernelAtLeast(since)
  ;(ok ? test : test.skip)(`${title}${ok ? '' : ` (skipped: needs Linux ${since})`}`, (t) => {
    const r = ring(t, options)
    t.is(r.sq.entries, 8)
    const sqpoll = r.params.flags.sqpoll
    const ROUNDS = 4000
    const N = ROUNDS * 5
    const seen = new Uint8Array(N)
    let next = 0
    let done = 0
    const record = (c: Cqe): void => {
      t.is(c.res, 0)
      seen[c.userData as number]++
      done++
    }
    for (let round = 0; round < ROUNDS; round++) {
      if (sqpoll && r.sq.space < 5) {
        // The SQ thread consumes entries on its own schedule; wait for what is in flight.
        while (r.inFlight > 0) {
          const got = r.cq.wait(1, { timeoutMs: 5000 })
          if (got.length === 0) return t.fail(`sqpoll ring stalled with ${r.inFlight} in flight`)
          got.forEach(record)
        }
      }
      const batch: Op[] = []
      for (let i = 0; i < 5; i++) batch.push(op.nop({ userData: next++ }))
      r.sq.pushMany(batch)
      t.is(r.sq.pending, 5)
      t.is(r.sq.submit(), 5)
      t.is(r.sq.pending, 0)
      // Reap every other round so that the SQ and CQ heads and tails drift apart.
      if (round % 2 === 1) for (const c of r.cq) record(c)
    }
    reapAll(t, r, N - done, record)
    t.is(done, N)
    t.true(seen.every((v) => v === 1), 'every userData exactly once')
    t.is(r.inFlight, 0)
  })
}

wrapCase('pushMany of 5 across the wrap of an 8-entry SQ: every op completes once', { entries: 8 }, '5.1')
wrapCase('pushMany across the SQ wrap with noSqarray', { entries: 8, noSqarray: true }, '6.6')
wrapCase('pushMany across the SQ wrap with sqpoll', { entries: 8, sqpoll: { idleMs: 10 } }, '5.13')

test('pushMany is all-or-none: a bad op in the middle stages nothing, earlier pushes survive', (t) => {
  const r = ring(t, { entries: 16 })
  r.sq.push(op.nop({ userData: 100 }))
  r.sq.push(op.nop({ userData: 101 }))
  t.is(r.sq.pending, 2)
  const bad = op.nop({ userData: 2 })
  bad.userData = -5 // corrupted after construction: caught when staged
  const batch = [op.nop({ userData: 1 }), bad, op.nop({ userData: 3 })]
  throwsCode(t, () => r.sq.pushMany(batch), 'ERR_OUT_OF_RANGE')
  t.is(r.sq.pending, 2)
  t.is(r.sq.space, 14)
  // A non-op in the middle, too.
  throwsCode(t, () => r.sq.pushMany([op.nop({ userData: 4 }), {} as Op, op.nop({ userData: 5 })]), 'ERR_INVALID_ARG_TYPE')
  t.is(r.sq.pending, 2)
  t.is(r.sq.submitAndWait(2), 2)
  const cqes = r.cq.drain()
  t.deepEqual(cqes.map((c) => [c.userData, c.res]), [[100, 0], [101, 0]])
  t.is(r.inFlight, 0)
  // The same ops, fixed, go through.
  bad.userData = 2
  r.sq.pushMany(batch)
  r.sq.submitAndWait(3)
  t.deepEqual(r.cq.drain().map((c) => c.userData), [1, 2, 3])
})

test('pushMany of more ops than sq.space is ERR_URING_SQ_FULL and stages none', (t) => {
  const r = ring(t, { entries: 8 })
  r.sq.push(op.nop({ userData: 50 }))
  r.sq.push(op.nop({ userData: 51 }))
  throwsCode(t, () => r.sq.pushMany(Array.from({ length: 7 }, (_, i) => op.nop({ userData: i }))), 'ERR_URING_SQ_FULL')
  t.is(r.sq.pending, 2)
  r.sq.pushMany([])
  t.is(r.sq.pending, 2)
  r.sq.submitAndWait(2)
  t.deepEqual(r.cq.drain().map((c) => c.userData), [50, 51])
})

test('push on a full SQ is ERR_URING_SQ_FULL and loses nothing', (t) => {
  const r = ring(t, { entries: 8 })
  for (let i = 0; i < 8; i++) r.sq.push(op.nop({ userData: i }))
  t.is(r.sq.space, 0)
  t.is(r.sq.pending, 8)
  throwsCode(t, () => r.sq.push(op.nop({ userData: 99 })), 'ERR_URING_SQ_FULL')
  t.is(r.sq.pending, 8)
  t.is(r.sq.submitAndWait(8), 8)
  const cqes = r.cq.drain()
  t.deepEqual(cqes.map((c) => c.userData), [0, 1, 2, 3, 4, 5, 6, 7])
  t.true(cqes.every((c) => c.res === 0))
  t.is(r.sq.space, 8)
  r.sq.push(op.nop({ userData: 99 }))
  r.sq.submitAndWait(1)
  t.deepEqual(r.cq.drain().map((c) => c.userData), [99])
})

test('8-entry CQ: 100,000 NOPs with many submitted before reaping, each completion seen once', (t) => {
  const r = ring(t, { entries: 8, cqEntries: 8 })
  t.is(r.params.cqEntries, 8)
  const N = 100_000
  const seen = new Uint8Array(N)
  let pushed = 0
  let done = 0
  let stalls = 0
  while (done < N) {
    // 16 submits of up to 8 before reading the CQ: far more than the CQ (8) holds.
    for (let round = 0; round < 16 && pushed < N; round++) {
      const n = Math.min(r.sq.space, N - pushed)
      for (let i = 0; i < n; i++) r.sq.push(op.nop({ userData: pushed++ }))
      r.sq.submit()
    }
    let got = 0
    for (const c of r.cq) {
      t.is(c.res, 0)
      seen[c.userData as number]++
      got++
    }
    done += got
    if (got === 0 && pushed === N) {
      // Nothing new to push and nothing reaped: wait (bounded) rather than spin.
      const late = r.cq.wait(1, { timeoutMs: 2000 })
      for (const c of late) seen[c.userData as number]++
      done += late.length
      if (late.length === 0 && ++stalls > 2) break
    }
  }
  const missing: number[] = []
  for (let i = 0; i < N && missing.length < 10; i++) if (seen[i] !== 1) missing.push(i)
  t.deepEqual(missing, [], `userData seen other than once (first 10); done ${done}, inFlight ${r.inFlight}`)
  t.is(done, N)
  t.is(r.cq.overflow, 0, 'FEAT_NODROP: no CQE dropped')
  t.is(r.inFlight, 0)
})

test('8-entry CQ: 800 NOPs submitted without reaping at all, then drained', (t) => {
  const r = ring(t, { entries: 8, cqEntries: 8 })
  const seen = new Uint8Array(800)
  let pushed = 0
  for (let round = 0; round < 400 && pushed < 800; round++) {
    const n = Math.min(r.sq.space, 800 - pushed)
    for (let i = 0; i < n; i++) r.sq.push(op.nop({ userData: pushed++ }))
    r.sq.submit()
  }
  t.is(pushed, 800)
  const n = reapAll(t, r, 800, (c) => {
    t.is(c.res, 0)
    seen[c.userData as number]++
  })
  t.is(n, 800)
  t.true(seen.every((v) => v === 1))
  t.is(r.inFlight, 0)
  t.deepEqual(r.cq.drain(), [])
})

test('cq.wait with nothing in flight returns [] after the timeout', (t) => {
  const r = ring(t, { entries: 8 })
  t.deepEqual(r.cq.wait(1, { timeoutMs: 50 }), [])
  t.deepEqual(r.cq.wait(0), [])
  t.deepEqual(r.cq.wait(3, { timeoutMs: 0 }), [])
})

test('cq.wait returns the completions present, fewer than n only on timeout', (t) => {
  const r = ring(t, { entries: 8 })
  for (let i = 0; i < 3; i++) r.sq.push(op.nop({ userData: i + 1 }))
  t.is(r.sq.submit(), 3)
  const got = r.cq.wait(3, { timeoutMs: 5000 })
  t.deepEqual(got.map((c) => [c.userData, c.res]), [[1, 0], [2, 0], [3, 0]])
  t.not(got[0], got[1], 'new objects')
  for (let i = 0; i < 2; i++) r.sq.push(op.nop({ userData: 10 + i }))
  r.sq.submit()
  const fewer = r.cq.wait(5, { timeoutMs: 50 })
  t.deepEqual(fewer.map((c) => c.userData), [10, 11])
  // wait() submits what is staged, too.
  r.sq.push(op.nop({ userData: 20 }))
  t.deepEqual(r.cq.wait(1).map((c) => c.userData), [20])
  t.is(r.sq.pending, 0)
})

test('cq.wait times out with an op in flight that never completes', (t) => {
  const r = ring(t, { entries: 8 })
  const fd = fifo(t)
  r.sq.push(op.readv(fd, [Buffer.alloc(8)], -1, { userData: 1 }))
  r.sq.push(op.nop({ userData: 2 }))
  r.sq.submit()
  const got = r.cq.wait(2, { timeoutMs: 50 })
  t.deepEqual(got.map((c) => c.userData), [2])
  t.is(r.inFlight, 1)
  t.deepEqual(r.close(), { cancelled: 1 })
})

test('submitAndWait(n, { timeoutMs }) returns the submitted count and leaves CQEs in ring.cq', (t) => {
  const r = ring(t, { entries: 8 })
  for (let i = 0; i < 4; i++) r.sq.push(op.nop({ userData: i }))
  t.is(r.sq.submitAndWait(4, { timeoutMs: 5000 }), 4)
  t.is(r.cq.ready, 4)
  t.is(r.sq.submitAndWait(0), 0)
  t.is(r.sq.submitAndWait(8, { timeoutMs: 20 }), 0, 'times out: only 4 exist')
  t.deepEqual(r.cq.drain().map((c) => c.userData), [0, 1, 2, 3])
  t.is(r.cq.ready, 0)
})

test('cq.next / drain / iterator semantics', (t) => {
  const r = ring(t, { entries: 16 })
  t.is(r.cq.next(), undefined)
  t.deepEqual(r.cq.drain(), [])
  for (let i = 0; i < 6; i++) r.sq.push(op.nop({ userData: i }))
  r.sq.submitAndWait(6)
  t.is(r.cq.ready, 6)

  // next(into) fills the given object.
  const into = new Cqe()
  t.is(r.cq.next(into), into)
  t.is(into.userData, 0)
  // next() makes a new one.
  const fresh = r.cq.next()!
  t.true(fresh instanceof Cqe)
  t.not(fresh, into)
  t.is(fresh.userData, 1)

  // The iterator reuses one object; clone() keeps the values; breaking out loses nothing.
  const yielded: Cqe[] = []
  const kept: Cqe[] = []
  for (const c of r.cq) {
    yielded.push(c)
    kept.push(c.clone())
    if (kept.length === 2) break
  }
  t.is(yielded[0], yielded[1], 'the same object each time')
  t.is(yielded[0].userData, 3, 'it holds the last CQE read')
  t.deepEqual(kept.map((c) => c.userData), [2, 3])
  t.not(kept[0], kept[1])
  t.true(kept[0] instanceof Cqe)
  t.is(r.cq.ready, 2)

  const rest = r.cq.drain()
  t.deepEqual(rest.map((c) => c.userData), [4, 5])
  t.not(rest[0], rest[1])
  t.is(r.cq.ready, 0)
  t.is(r.cq.next(), undefined)
  t.deepEqual([...r.cq], [])
  // The values kept stay valid after more CQEs pass through the iterator.
  r.sq.push(op.nop({ userData: 77 }))
  r.sq.submitAndWait(1)
  for (const c of r.cq) t.is(c.userData, 77)
  t.deepEqual(kept.map((c) => c.userData), [2, 3])
  t.deepEqual(kept[0].toJSON(), { userData: 2, res: 0, flags: 0 })
})

test('bigint userData round trips through the kernel', (t) => {
  const r = ring(t, { entries: 8 })
  const values: Array<number | bigint> = [2n ** 64n - 1n, 2n ** 63n, 2n ** 32n + 1n, 0n, Number.MAX_SAFE_INTEGER, 0, 123456789]
  for (const v of values) r.sq.push(op.nop({ userData: v }))
  r.sq.submitAndWait(values.length)
  const got = r.cq.drain()
  t.is(got.length, values.length)
  got.forEach((c, i) => {
    t.is(typeof c.userData, typeof values[i])
    t.is(c.userData, values[i])
    t.is(c.res, 0)
  })
  // JSON has no bigint: toJSON writes a bigint userData as its decimal string.
  t.is(JSON.stringify(got[0]), '{"userData":"18446744073709551615","res":0,"flags":0}')
  t.is(JSON.stringify(got[4]), `{"userData":${Number.MAX_SAFE_INTEGER},"res":0,"flags":0}`)
})

test('a NOP CQE has res 0, no flags, more false, no bufferId', (t) => {
  const r = ring(t, { entries: 8 })
  r.sq.push(op.nop({ userData: 9 }))
  r.sq.submitAndWait(1)
  const c = r.cq.next()!
  t.is(c.res, 0)
  t.is(c.flags, 0)
  t.false(c.more)
  t.false(c.notification)
  t.false(c.sockNonEmpty)
  t.is(c.bufferId, undefined)
})

test('sq.space, sq.pending, ring.inFlight and cq.ready track the queues', (t) => {
  const r = ring(t, { entries: 8 })
  const fd = fifo(t)
  t.is(r.sq.space, 8)
  t.is(r.sq.pending, 0)
  r.sq.push(op.nop({ userData: 1 }))
  r.sq.push(op.readv(fd, [Buffer.alloc(4)], -1, { userData: 2 }))
  t.is(r.sq.space, 6)
  t.is(r.sq.pending, 2)
  t.is(r.inFlight, 0)
  t.is(r.sq.submit(), 2)
  t.is(r.sq.pending, 0)
  t.is(r.sq.space, 8)
  t.is(r.inFlight, 1, 'the FIFO read is still in flight; the NOP is done')
  t.is(r.cq.ready, 1)
  const [c] = r.cq.drain()
  t.is(c.userData, 1)
  t.is(r.cq.ready, 0)
  t.deepEqual(r.close(), { cancelled: 1 })
  t.is(r.inFlight, 0)
  t.is(r.sq.space, 0)
  t.is(r.cq.ready, 0)
})

test('an op object can be pushed again, and mutated between pushes', (t) => {
  const r = ring(t, { entries: 8 })
  const o = op.nop({ userData: 1 })
  r.sq.push(o)
  o.userData = 2
  r.sq.push(o)
  r.sq.submitAndWait(2)
  t.deepEqual(r.cq.drain().map((c) => c.userData), [1, 2])
})

// Every setup mode runs a NOP batch: the queues work whatever the ring's flags.
const modes: Array<[string, RingOptions, string]> = [
  ['sqpoll', { sqpoll: { idleMs: 10 } }, '5.13'],
  ['iopoll', { iopoll: true }, '5.1'],
  ['singleIssuer + deferTaskrun', { singleIssuer: true, deferTaskrun: true }, '6.1'],
  ['singleIssuer + deferTaskrun + taskrunFlag', { singleIssuer: true, deferTaskrun: true, taskrunFlag: true }, '6.1'],
  ['coopTaskrun + taskrunFlag', { coopTaskrun: true, taskrunFlag: true }, '5.19'],
  ['submitAll', { submitAll: true }, '5.18'],
  ['noSqarray', { noSqarray: true }, '6.6'],
  ['dontfork', { dontfork: true }, '5.1'],
]
/**
 * Whether the kernel runs a NOP on an IOPOLL ring, by trying one: before 5.19 io_nop fails it
 * with -EINVAL (commit ebbe59f49556, "io_uring: allow NOP opcode in IOPOLL mode").
 */
function nopOnIopoll(): boolean {
  const r = new Ring({ entries: 2, iopoll: true })
  try {
    r.sq.push(op.nop())
    r.sq.submitAndWait(1, { timeoutMs: 5000 })
    const c = r.cq.drain()
    if (c.length !== 1) throw new Error(`a NOP on an IOPOLL ring posted ${c.length} CQEs`)
    if (c[0].res !== 0 && c[0].res !== -22) throw new Error(`a NOP on an IOPOLL ring: res ${c[0].res}, neither 0 nor -EINVAL`)
    return c[0].res === 0
  } finally {
    r.close()
  }
}
for (const [name, opts, since] of modes) {
  let ok = kernelAtLeast(since)
  let note = ok ? '' : ` (skipped: needs Linux ${since})`
  if (ok && name === 'iopoll') {
    ok = nopOnIopoll()
    note = skipNote(ok, 'IORING_OP_NOP on an IOPOLL ring', '5.19')
  }
  ;(ok ? test : test.skip)(`20,000 NOPs on a ${name} ring${note}`, (t) => {
    const r = ring(t, { entries: 8, ...opts })
    const N = 20_000
    const seen = new Uint8Array(N)
    let pushed = 0
    let done = 0
    while (done < N) {
      while (r.sq.space > 0 && pushed < N) r.sq.push(op.nop({ userData: pushed++ }))
      r.sq.submit()
      const got = r.cq.wait(1, { timeoutMs: 5000 })
      if (got.length === 0) {
        t.fail(`stalled at ${done} of ${N}`)
        return
      }
      for (const c of got) {
        t.is(c.res, 0)
        seen[c.userData as number]++
      }
      done += got.length
    }
    t.is(done, N)
    t.true(seen.every((v) => v === 1))
    t.is(r.inFlight, 0)
  })
}

// The SQ thread posts a batch's CQEs before it publishes the SQ head. A reaper that has every
// completion must still see the whole SQ free, or "push while there is space, submit, wait for a
// CQE" waits for nothing. The window is a few hundred ns: before sq.space waited for the SQ
// thread, this check failed about once in 50,000 idle points, and the 20,000-NOP sqpoll loop
// above stalled in CI once in a few runs.
;(kernelAtLeast('5.13') ? test : test.skip)(`sqpoll: with nothing in flight sq.space is the whole SQ${kernelAtLeast('5.13') ? '' : ' (skipped: unprivileged sqpoll needs Linux 5.13)'}`, (t) => {
  let idle = 0
  for (let round = 0; round < 10; round++) {
    const r = ring(t, { entries: 8, sqpoll: { idleMs: 10 } })
    let pushed = 0
    let done = 0
    while (done < 5000) {
      while (r.sq.space > 0 && pushed < 5000) r.sq.push(op.nop({ userData: pushed++ }))
      r.sq.submit()
      done += r.cq.wait(1, { timeoutMs: 5000 }).length
      if (r.inFlight === 0 && pushed < 5000) {
        idle++
        if (r.sq.space !== 8) return t.fail(`sq.space ${r.sq.space} with nothing in flight after ${done} NOPs`)
      }
    }
    r.close()
  }
  t.true(idle > 0, 'the loop reached an empty ring at least once')
})

// With sqpoll the kernel's SQ thread consumes entries and posts completions while this thread
// makes no call at all; sq.space and cq.ready must see that (they are documented as "free
// entries" and "what the kernel's CQ holds").
const hasSqpoll = kernelAtLeast('5.13')
;(hasSqpoll ? test : test.skip)(`sqpoll: sq.space returns to full once the SQ thread has consumed the entries${hasSqpoll ? '' : ' (skipped: unprivileged sqpoll needs Linux 5.13)'}`, (t) => {
  const r = ring(t, { entries: 8, sqpoll: { idleMs: 1000 } })
  r.sq.pushMany(Array.from({ length: 8 }, (_, i) => op.nop({ userData: i })))
  r.sq.submit()
  let space = r.sq.space
  for (let i = 0; i < 500 && space < 8; i++) {
    sleep(4)
    space = r.sq.space
  }
  t.is(space, 8, 'sq.space still counts entries the SQ thread took long ago')
  // And so a second full batch can be pushed without another call in between.
  let second = 0
  t.notThrows(() => {
    r.sq.pushMany(Array.from({ length: 8 }, (_, i) => op.nop({ userData: 8 + i })))
    second = 8
  })
  r.sq.submit()
  const seen: number[] = []
  reapAll(t, r, 8 + second, (c) => seen.push(c.userData as number))
  t.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 8 + second }, (_, i) => i))
})

;(hasSqpoll ? test : test.skip)(`sqpoll: cq.ready counts completions the SQ thread posted${hasSqpoll ? '' : ' (skipped: unprivileged sqpoll needs Linux 5.13)'}`, (t) => {
  const r = ring(t, { entries: 8, sqpoll: { idleMs: 1000 } })
  r.sq.push(op.nop({ userData: 1 }))
  r.sq.submit()
  let ready = r.cq.ready
  for (let i = 0; i < 500 && ready < 1; i++) {
    sleep(4)
    ready = r.cq.ready
  }
  t.is(ready, 1, 'cq.ready still 0 though the kernel CQ holds the NOP completion')
  const got = r.cq.wait(1, { timeoutMs: 5000 })
  t.deepEqual(got.map((c) => [c.userData, c.res]), [[1, 0]])
})
