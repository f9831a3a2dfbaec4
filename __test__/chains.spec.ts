/**
 * ring.sq.pushLinked: atomic chains, soft and hard links, skipSuccess bookkeeping (memory and
 * slots of skipped ops are freed by the chain's last CQE), and what is refused, with codes.
 */
import test from 'ava'
import * as fs from 'node:fs'
import { Cqe, op, Op, Ring } from '../index'
import { openFile, ring, skipSuccessTest, testWhen, throwsCode, tmpFile } from './_helpers'

const EBADF = 9
const ECANCELED = 125
const ETIME = 62

const skipTest = skipSuccessTest()

function waitAll(r: ReturnType<typeof ring>, n: number): Cqe[] {
  r.sq.submitAndWait(n, { timeoutMs: 5000 })
  return r.cq.drain()
}

test('pushLinked makes a soft chain whatever the ops say: a failure cancels the rest, nothing after the chain is linked', (t) => {
  const file = tmpFile(t, 'keep')
  const wfd = openFile(t, file, fs.constants.O_WRONLY)
  const r = ring(t, { entries: 8 })
  const buf = Buffer.alloc(4)
  // The last op asks for link: pushLinked clears it, so the nop pushed after the chain is not cancelled.
  r.sq.pushLinked([op.read(wfd, buf, 0, { userData: 1 }), op.write(wfd, Buffer.from('XXXX'), 0, { userData: 2, link: true })])
  r.sq.push(op.nop({ userData: 3 }))
  const got = new Map(waitAll(r, 3).map((c) => [c.userData, c.res]))
  t.is(got.get(1), -EBADF)
  t.is(got.get(2), -ECANCELED)
  t.is(got.get(3), 0, 'the op after the chain is not part of it')
  t.is(fs.readFileSync(file, 'latin1'), 'keep')
})

skipTest('skipSuccess in a hard chain: the failure is posted, the chain goes on, its last op frees it', (t) => {
  const file = tmpFile(t, 'keep')
  const wfd = openFile(t, file, fs.constants.O_WRONLY)
  const r = ring(t, { entries: 8 })
  const bad = op.read(wfd, Buffer.alloc(4), 0, { userData: 1, skipSuccess: true })
  r.sq.pushLinked([bad, op.write(wfd, Buffer.from('HARD'), 0, { userData: 2, skipSuccess: true }), op.nop({ userData: 3 })], { hard: true })
  const got = new Map<number | bigint, number>()
  for (let i = 0; i < 2 && got.size < 2; i++) for (const c of waitAll(r, 2 - got.size)) got.set(c.userData, c.res)
  t.is(got.get(1), -EBADF)
  t.false(got.has(2), 'the write that succeeded posted nothing')
  t.is(got.get(3), 0)
  t.is(r.inFlight, 0)
  t.is(fs.readFileSync(file, 'latin1'), 'HARD')
})

test('pushLinked({ hard: true }) goes on past a failure', (t) => {
  const file = tmpFile(t, 'keep')
  const wfd = openFile(t, file, fs.constants.O_WRONLY)
  const r = ring(t, { entries: 8 })
  // The failure is one the kernel runs into (a timeout expires, -ETIME) on every kernel. A read of
  // a write-only fd is refused while submitting on older ones (5.10 checks FMODE_READ in
  // io_read_prep), and a failure at submission cancels even a hard chain (io_submit_sqe: "fail
  // even hard links since we don't submit").
  r.sq.pushLinked([op.timeout(1, { userData: 1 }), op.write(wfd, Buffer.from('HARD'), 0, { userData: 2 })], { hard: true })
  const got = new Map(waitAll(r, 2).map((c) => [c.userData, c.res]))
  t.is(got.get(1), -ETIME)
  t.is(got.get(2), 4)
  t.is(fs.readFileSync(file, 'latin1'), 'HARD')
})

skipTest('skipSuccess: only the chain\'s last CQE arrives, and the skipped ops\' slots are freed with it', (t) => {
  const file = tmpFile(t, '')
  const fd = openFile(t, file, 'r+')
  const r = ring(t, { entries: 8 })
  for (let round = 0; round < 3; round++) {
    const w1 = op.write(fd, Buffer.from('ab'), 0, { userData: 10, skipSuccess: true })
    const w2 = op.write(fd, Buffer.from('cd'), 2, { userData: 11, skipSuccess: true })
    const last = op.fsync(fd, { userData: 12 })
    r.sq.pushLinked([w1, w2, last])
    const got = waitAll(r, 1)
    t.deepEqual(got.map((c) => [c.userData, c.res]), [[12, 0]], 'no CQE for the writes that succeeded')
    t.is(r.inFlight, 0, 'the skipped writes are not counted as in flight once the chain ended')
    t.is(w1.inFlight + w2.inFlight + last.inFlight, 0)
    t.is(r.cq.next(), undefined, 'and no late CQE for them')
  }
  t.is(fs.readFileSync(file, 'latin1'), 'abcd')
})

skipTest('skipSuccess in a soft chain: a skipped op that fails posts its CQE and the kernel ends the chain silently; all of it is freed', (t) => {
  const file = tmpFile(t, 'keep')
  const wfd = openFile(t, file, fs.constants.O_WRONLY)
  const r = ring(t, { entries: 8 })
  const bad = op.read(wfd, Buffer.alloc(4), 0, { userData: 1, skipSuccess: true })
  const after = op.write(wfd, Buffer.from('XXXX'), 0, { userData: 2 })
  const last = op.nop({ userData: 3 })
  r.sq.pushLinked([op.nop({ userData: 0, skipSuccess: true }), bad, after, last])
  const got = waitAll(r, 1)
  t.deepEqual(got.map((c) => [c.userData, c.res]), [[1, -EBADF]], 'the failure is reported; the cancelled rest posts nothing (REQ_F_SKIP_LINK_CQES)')
  r.sq.submitAndWait(1, { timeoutMs: 50 })
  t.is(r.cq.next(), undefined, 'no late CQE for the rest of the chain')
  t.is(r.inFlight, 0, 'the whole chain is freed')
  t.is(bad.inFlight + after.inFlight + last.inFlight, 0)
  t.is(fs.readFileSync(file, 'latin1'), 'keep', 'the op after the failure never ran')
  // The slots are reusable: many more rounds do not grow anything or collide.
  for (let i = 0; i < 20; i++) {
    r.sq.pushLinked([op.nop({ userData: 100 + i, skipSuccess: true }), op.nop({ userData: 200 + i })])
    const c = waitAll(r, 1)
    t.deepEqual(c.map((x) => x.userData), [200 + i])
  }
  t.is(r.inFlight, 0)
})

test('skipSuccess outside pushLinked, or on the chain\'s last op, is refused with ERR_URING_SKIP_SUCCESS', (t) => {
  const r = ring(t, { entries: 8 })
  throwsCode(t, () => r.sq.push(op.nop({ skipSuccess: true })), 'ERR_URING_SKIP_SUCCESS')
  throwsCode(t, () => r.sq.pushMany([op.nop({ skipSuccess: true, link: true }), op.nop()]), 'ERR_URING_SKIP_SUCCESS')
  throwsCode(t, () => r.sq.pushLinked([op.nop(), op.nop({ skipSuccess: true })]), 'ERR_URING_SKIP_SUCCESS')
  if (!r.features.cqeSkip) {
    // The kernel would fail the op with -EINVAL, and every op of the chain would post a CQE.
    const e = throwsCode(t, () => r.sq.pushLinked([op.nop({ skipSuccess: true }), op.nop()]), 'ERR_URING_OP_UNSUPPORTED')
    t.regex(e.message, /needs Linux 5\.17/)
  }
  t.is(r.sq.pending, 0, 'nothing was staged')
  throwsCode(t, () => op.nop({ skipSuccess: 'yes' as unknown as boolean }), 'ERR_INVALID_ARG_TYPE')
})

test('a chain longer than the SQ is ERR_URING_CHAIN_TOO_LONG; one that does not fit now is ERR_URING_SQ_FULL; both stage nothing', (t) => {
  const r = ring(t, { entries: 4 })
  const ops = (n: number): Op[] => Array.from({ length: n }, () => op.nop())
  throwsCode(t, () => r.sq.pushLinked(ops(5)), 'ERR_URING_CHAIN_TOO_LONG')
  r.sq.push(op.nop())
  throwsCode(t, () => r.sq.pushLinked(ops(4)), 'ERR_URING_SQ_FULL')
  t.is(r.sq.pending, 1)
  throwsCode(t, () => r.sq.pushLinked([]), 'ERR_INVALID_ARG_VALUE')
  throwsCode(t, () => r.sq.pushLinked([op.nop()], { hard: 1 as unknown as boolean }), 'ERR_INVALID_ARG_TYPE')
  throwsCode(t, () => r.sq.pushLinked([op.nop()], { soft: true } as never), 'ERR_URING_UNKNOWN_OPTION')
})

test('a bad op anywhere in a chain stages none of it', (t) => {
  const r = ring(t, { entries: 8 })
  const o = op.nop()
  ;(o as unknown as { userData: unknown }).userData = 'x'
  throwsCode(t, () => r.sq.pushLinked([op.nop(), o]), 'ERR_INVALID_ARG_TYPE')
  t.is(r.sq.pending, 0)
  r.sq.pushLinked([op.nop({ userData: 1 }), op.nop({ userData: 2 })])
  t.deepEqual(waitAll(r, 2).map((c) => c.userData).sort(), [1, 2])
})

test('cqe.op is the op object that was pushed; the reused iterator object lets it go after the loop', (t) => {
  const r = ring(t, { entries: 8 })
  const a = op.nop({ userData: 1 })
  const b = op.nop({ userData: 2 })
  r.sq.pushMany([a, b])
  r.sq.submitAndWait(2, { timeoutMs: 5000 })
  const seen = new Map<number | bigint, Op | undefined>()
  let cursor: Cqe | undefined
  for (const c of r.cq) {
    seen.set(c.userData, c.op)
    cursor = c
  }
  t.is(seen.get(1), a)
  t.is(seen.get(2), b)
  t.is(cursor?.op, undefined)
  t.is(a.inFlight + b.inFlight, 0)
})
