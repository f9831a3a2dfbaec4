/**
 * Property-based tests (fast-check) of rings and the driver, and the plain regression tests of
 * what they found.
 */
import test from 'ava'
import * as fs from 'node:fs'
import { op } from '../index'
import { ring, throwsCode, tmpFile } from './_helpers'
import { tracker } from './_driver'

// ---- regressions found by the fuzz (plain tests, so they run whatever the seed) ---------------

test.serial('regression: ring.sq.submit() refused for an sq op keeps the ring.run ops of the same tick (they settle, with their bytes)', async (t) => {
  const fd = fs.openSync(tmpFile(t, 'hello world'), 'r')
  t.teardown(() => fs.closeSync(fd))
  const r = ring(t, { entries: 8 })
  const [b] = r.registrar.registerBuffers([64])
  const stale = op.read(fd, b, 0, { userData: 1 })
  r.registrar.unregister(b)
  const into = Buffer.alloc(5)
  const p = tracker(r.run(op.read(fd, into, 0)))
  r.sq.push(stale)
  throwsCode(t, () => r.sq.submit(), 'ERR_URING_STALE_HANDLE', 'the sq batch with a stale handle')
  // Before the fix the run's entry was dropped with the sq batch: its promise never settled and
  // its slot went to the next op (whose CQE could then settle it with a foreign result).
  t.is(await p.promise, 5)
  t.is(into.toString(), 'hello')
  r.sq.push(op.nop({ userData: 77 }))
  r.sq.submitAndWait(1)
  t.deepEqual(r.cq.drain().map((c) => [c.userData, c.res]), [[77, 0]], 'the sq NOP completes on ring.cq, not into a promise')
  t.is(r.inFlight, 0)
})

test.serial('regression: a ring.run op refused at ring.sq.submit() (stale handle) fails alone; the sq ops of the batch go', async (t) => {
  const fd = fs.openSync(tmpFile(t, 'hello world'), 'r')
  t.teardown(() => fs.closeSync(fd))
  const r = ring(t, { entries: 8 })
  const [b] = r.registrar.registerBuffers([64])
  const bad = tracker(r.run(op.read(fd, b, 0)))
  const into = Buffer.alloc(5)
  const good = tracker(r.run(op.read(fd, into, 6)))
  r.registrar.unregister(b)
  r.sq.push(op.nop({ userData: 5 }))
  t.is(r.sq.submitAndWait(1), 2, 'the sq NOP and the good run go; the stale run is taken out')
  t.deepEqual(r.cq.drain().map((c) => [c.userData, c.res]), [[5, 0]])
  const e = await t.throwsAsync(bad.promise)
  t.is((e as Error & { code?: string }).code, 'ERR_URING_STALE_HANDLE')
  t.is(await good.promise, 5)
  t.is(into.toString(), 'world')
  t.is(r.inFlight, 0)
})
