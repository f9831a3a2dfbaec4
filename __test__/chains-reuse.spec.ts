/**
 * A chain's last CQE frees the chain's skip-success ops, and only them: a member that completed
 * on its own CQE gave its slot back, and another chain's op may hold that slot by then.
 */
import test from 'ava'
import { Cqe, op } from '../index'
import { ring, skipSuccessTest } from './_helpers'

const ETIME = 62

function waitFor(r: ReturnType<typeof ring>, n: number): Cqe[] {
  const out: Cqe[] = []
  const end = Date.now() + 5000
  while (out.length < n && Date.now() < end) {
    r.sq.submitAndWait(1, { timeoutMs: 1000 })
    for (const c of r.cq.drain()) out.push(c.clone())
  }
  return out
}

skipSuccessTest()("a hard chain's last CQE does not free another chain's skip-success op that took the slot of one of its members", (t) => {
  const r = ring(t, { entries: 16 })
  // Chain A: its middle nop completes at once and gives its slot back; its last op ends it later.
  r.sq.pushLinked([op.nop({ userData: 1, skipSuccess: true }), op.nop({ userData: 2 }), op.timeout(100, { userData: 3 })], { hard: true })
  t.deepEqual(
    waitFor(r, 1).map((c) => [c.userData, c.res]),
    [[2, 0]],
  )
  // Chain B takes that slot for a skip-success timeout that fails (-ETIME) after A has ended.
  r.sq.pushLinked([op.timeout(400, { userData: 4, skipSuccess: true }), op.nop({ userData: 5 })], { hard: true })
  t.deepEqual(
    waitFor(r, 1).map((c) => [c.userData, c.res]),
    [[3, -ETIME]],
    'A ends',
  )
  t.is(r.inFlight, 2, "B's two ops are still in flight after A ended")
  // Something else runs meanwhile (it may reuse any slot A freed).
  r.sq.push(op.nop({ userData: 6 }))
  const rest = waitFor(r, 3)
  t.deepEqual(
    rest.map((c) => [c.userData, c.res]),
    [
      [6, 0],
      [4, -ETIME],
      [5, 0],
    ],
    "B's timeout posts its failure under its own userData, then B's last op completes",
  )
  t.is(r.inFlight, 0)
})
