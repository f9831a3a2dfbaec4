/**
 * The package's two faces (ES module and CommonJS) give the same working classes, and the
 * `uring doctor` command reports this machine.
 */
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import * as os from 'node:os'
import * as path from 'node:path'
import { OP_TABLE, Ring, kernelQuirks } from '../index'
import { kernelAtLeast } from './_helpers'

// The compiled spec runs from dist/__test__; the repository is two levels up.
const root = path.resolve(__dirname, '..', '..')
const node = process.execPath

function runNode(args: string[], cwd = root): string {
  const r = spawnSync(node, args, { cwd, encoding: 'utf8', timeout: 60_000 })
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

test('node --input-type=module: import from dist/index.mjs and require dist/index.js give the same working Ring', (t) => {
  const mjs = JSON.stringify(path.join(root, 'dist', 'index.mjs'))
  const cjs = JSON.stringify(path.join(root, 'dist', 'index.js'))
  const src = `
    import { Ring, op } from ${mjs}
    import { createRequire } from 'node:module'
    const require = createRequire(import.meta.url)
    const c = require(${cjs})
    const results = []
    for (const [R, o, ud] of [[Ring, op, 1], [c.Ring, c.op, 2]]) {
      const ring = new R({ entries: 4 })
      ring.sq.push(o.nop({ userData: ud }))
      ring.sq.submitAndWait(1)
      results.push(ring.cq.drain().map((x) => [x.userData, x.res]))
      ring.close()
    }
    console.log(JSON.stringify({ same: Ring === c.Ring && op === c.op, results }))
  `
  const out = JSON.parse(runNode(['--input-type=module', '-e', src]))
  t.true(out.same, 'Ring and op are the same objects from both faces')
  t.deepEqual(out.results, [[[1, 0]], [[2, 0]]])
})

test('__test__/esm-check.mjs: a plain ES module file using the package', (t) => {
  const out = JSON.parse(runNode([path.join(root, '__test__', 'esm-check.mjs')]))
  t.deepEqual(out.esm, { userData: '11', res: 0 })
  t.deepEqual(out.cjs, { userData: '12', res: 0 })
  t.true(out.sameRing)
  t.true(out.sameOp)
  t.true(out.sameErrors)
  t.true(out.sameTable)
  t.true(out.defaultIsCjs)
  t.deepEqual(out.crossInstance, [13])
})

test("the package name resolves to the same classes: import 'uring' and require('uring')", (t) => {
  const src = `
    import { Ring } from 'uring'
    import { createRequire } from 'node:module'
    const require = createRequire(${JSON.stringify(path.join(root, 'package.json'))})
    const c = require('uring')
    const ring = new Ring({ entries: 2 })
    ring.sq.push(c.op.nop({ userData: 5 }))
    ring.sq.submitAndWait(1)
    const got = ring.cq.drain().map((x) => [x.userData, x.res])
    ring.close()
    console.log(JSON.stringify({ same: Ring === c.Ring, got }))
  `
  const out = JSON.parse(runNode(['--input-type=module', '-e', src], root))
  t.true(out.same)
  t.deepEqual(out.got, [[5, 0]])
})

test('require() from this CommonJS spec gives the classes the spec imported', (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const c = require(path.join(root, 'dist', 'index.js')) as typeof import('../index')
  t.is(c.Ring, Ring)
})

test('uring doctor --json reports this kernel, io_uring available, nodrop and the 63-op probe', (t) => {
  const stdout = execFileSync(node, [path.join(root, 'dist', 'bin', 'uring.js'), 'doctor', '--json'], { encoding: 'utf8', timeout: 60_000 })
  const report = JSON.parse(stdout)
  t.is(report.kernel, os.release())
  t.true(report.available)
  t.is(report.diagnosis, undefined)
  if (kernelAtLeast('5.5')) t.true(report.features.nodrop)
  t.is(typeof report.features.singleMmap, 'boolean')
  t.is(report.probe.ops.length, 63)
  t.is(report.probe.ops.length, OP_TABLE.length)
  const nop = report.probe.ops.find((o: { name: string }) => o.name === 'nop')
  t.truthy(nop)
  t.true(nop.supported)
  t.is(nop.kernelName, 'IORING_OP_NOP')
  t.is(nop.code, 0)
  // The report agrees with this process's probe.
  const probe = Ring.probe()
  for (const row of report.probe.ops as Array<{ name: string; supported: boolean; since: string }>) {
    t.is(row.supported, probe.supports(row.name), row.name)
    t.regex(row.since, /^\d+\.\d+$/)
  }
  for (const m of report.missingFeatures as Array<{ name: string; since: string }>) {
    t.false(report.features[m.name], m.name)
  }
  t.true(Array.isArray(report.recommended))
  // The quirks are the ones this process finds (the doctor runs in a child process).
  const quirks = kernelQuirks()
  t.deepEqual(
    report.quirks.map((q: { name: string }) => q.name),
    Object.entries(quirks).filter(([, v]) => v).map(([k]) => k),
  )
  const deferOk = kernelAtLeast('6.1') && !quirks.eventfdLosesDeferredSignals
  t.is(report.recommended.some((r: { option: string }) => r.option === 'deferTaskrun'), deferOk, 'deferTaskrun is recommended where it exists and works')
  t.true('ioUringDisabled' in report.sysctl)
  t.true('soft' in report.memlock)
})

test('uring doctor (text) and bad usage', (t) => {
  const text = execFileSync(node, [path.join(root, 'dist', 'bin', 'uring.js'), 'doctor'], { encoding: 'utf8', timeout: 60_000 })
  t.regex(text, /^uring doctor/)
  t.true(text.includes(os.release()))
  t.regex(text, /io_uring\s+available/)
  const bad = spawnSync(node, [path.join(root, 'dist', 'bin', 'uring.js'), 'nosuch'], { encoding: 'utf8' })
  t.is(bad.status, 2)
  t.regex(bad.stderr, /usage: uring doctor/)
})
