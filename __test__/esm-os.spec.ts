/**
 * `uring/os` as a package subpath: `import * as os from 'uring/os'` (the ES module face written by
 * scripts/esm-entry.js) and `require('uring/os')` are one module, with one default ring, and the
 * root's `os` namespace is that module too.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { tmpFile } from './_helpers'

// The compiled spec runs from dist/__test__; the repository is two levels up.
const root = path.resolve(__dirname, '..', '..')

function runNode(args: string[]): string {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 60_000 })
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

test("__test__/esm-os-check.mjs: import * as os from 'uring/os' and require('uring/os') are one module that reads files", (t) => {
  const file = tmpFile(t, 'hello world')
  const out = JSON.parse(runNode([path.join(root, '__test__', 'esm-os-check.mjs'), file]))
  t.deepEqual(out.esmRead, [5, 'hello'], 'read through the ES module face')
  t.deepEqual(out.cjsRead, [5, 'world'], 'read through the CommonJS face')
  t.is(out.size, 11)
  t.true(out.sameFunctions, "the same functions from import, require and the root's os")
  t.true(out.sameRing, 'one default ring behind all faces')
  t.true(out.defaultIsCjs)
  t.deepEqual(out.names, out.cjsNames, 'the ES module face exports every name of the CommonJS build')
  for (const name of ['read', 'write', 'open', 'openat', 'close', 'statx', 'sleep', 'ring', 'socket', 'AT_FDCWD']) t.true(out.names.includes(name), name)
})

test("package.json maps './os' to the built files, and they exist", (t) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  t.deepEqual(pkg.exports['./os'], { types: './dist/lib/os.d.ts', import: './dist/lib/os.mjs', require: './dist/lib/os.js' })
  for (const f of Object.values(pkg.exports['./os']) as string[]) t.true(fs.existsSync(path.join(root, f)), f)
  t.true((pkg.files as string[]).some((f) => 'dist/lib/os.mjs'.startsWith(f)), "npm's files list ships dist/lib/os.mjs")
})
