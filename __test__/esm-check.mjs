// Run by esm.spec.ts as a plain ES module: `node __test__/esm-check.mjs`. Imports the package's
// ES module face and its CommonJS build, runs a NOP through each, and prints what it saw as JSON.
import { createRequire } from 'node:module'
import { Ring, op, RingSetupError, UringError, OP_TABLE } from '../dist/index.mjs'
import defaultExport from '../dist/index.mjs'

const require = createRequire(import.meta.url)
const cjs = require('../dist/index.js')

function nop(R, o, userData) {
  const ring = new R({ entries: 4 })
  try {
    ring.sq.push(o.nop({ userData }))
    ring.sq.submitAndWait(1)
    const [c] = ring.cq.drain()
    return { userData: String(c.userData), res: c.res }
  } finally {
    ring.close()
  }
}

const out = {
  esm: nop(Ring, op, 11n),
  cjs: nop(cjs.Ring, cjs.op, 12),
  sameRing: Ring === cjs.Ring,
  sameOp: op === cjs.op,
  sameErrors: RingSetupError === cjs.RingSetupError && UringError === cjs.UringError,
  sameTable: OP_TABLE === cjs.OP_TABLE,
  defaultIsCjs: defaultExport === cjs,
  crossInstance: (() => {
    // An op made by one face is accepted by a ring of the other.
    const ring = new cjs.Ring({ entries: 4 })
    try {
      ring.sq.push(op.nop({ userData: 13 }))
      ring.sq.submitAndWait(1)
      return ring.cq.drain().map((c) => c.userData)
    } finally {
      ring.close()
    }
  })(),
}
process.stdout.write(JSON.stringify(out) + '\n')
