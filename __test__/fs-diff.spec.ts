// The differential fs suite: every case of _fscases.ts runs against node:fs/promises and uring/fs,
// each in its own fresh temp dir, and the two outcomes must be equal field by field: the result
// (Buffers by bytes, Stats by every field but the inode number and clock-set times, Dirents),
// the error (constructor, name, code, errno, syscall, path, dest, message, own keys, cause),
// whether it threw synchronously or rejected, and the directory tree afterwards.
//
// Twice over: uring/fs on io_uring (here, in this process) and uring/fs on its fallback (a child
// under fixtures/noring, whose seccomp filter makes io_uring_setup fail with EPERM). The EACCES
// cases need a user root is not: when this process is root they run in children that drop to
// nobody (one with io_uring, one under noring).
import test from 'ava'
import type { ExecutionContext, Implementation } from 'ava'
import { spawn } from 'node:child_process'
import * as nfs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { CASES, Fs, FsCase, Outcome, SIZE_UNLIMITED, runCase } from './_fscases'
import { buildNoring } from './_noring'
import { testOnRing } from './_helpers'

const repo = path.resolve(__dirname, '..', '..')
const child = path.join(__dirname, 'fixtures', 'fsdiff-child.js')
const SELF = process.env.FSDIFF_SELF === '1'
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeFs = require('node:fs/promises') as Fs
// eslint-disable-next-line @typescript-eslint/no-require-imports
const uringFs = (SELF ? nodeFs : require('../lib/fs')) as Fs & { backend?: unknown }
const isRoot = process.getuid?.() === 0
const NOBODY = 65534

function backendOf(m: { backend?: unknown }): unknown {
  return typeof m.backend === 'function' ? (m.backend as () => unknown)() : m.backend
}

interface ChildReport {
  backend: unknown
  warnings: Array<{ name: string; code?: string; message: string }>
  uid: number
  results: Record<string, { node: Outcome; uring: Outcome }>
}

/** Runs fixtures/fsdiff-child.js (under noring when `noring`), resolves with its report. */
function runChild(args: { uid?: number; only: string }, noring: string | undefined): Promise<ChildReport> {
  const argv = [child, JSON.stringify(args)]
  const cmd = noring ?? process.execPath
  const cmdArgs = noring ? ['1', process.execPath, ...argv] : argv
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, cmdArgs, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], timeout: 100_000 })
    const out: Buffer[] = []
    const errs: Buffer[] = []
    p.stdout.on('data', (b: Buffer) => out.push(b))
    p.stderr.on('data', (b: Buffer) => errs.push(b))
    p.on('error', reject)
    p.on('close', (code) => {
      const text = Buffer.concat(out).toString()
      if (code !== 0) return reject(new Error(`fsdiff child ${JSON.stringify(args)} exited ${code}: ${Buffer.concat(errs).toString()}`))
      try {
        resolve(JSON.parse(text) as ChildReport)
      } catch (e) {
        reject(new Error(`fsdiff child printed no JSON (${(e as Error).message}): ${text.slice(0, 500)} ${Buffer.concat(errs).toString()}`))
      }
    })
  })
}

const launcher = buildNoring()
if (launcher) process.on('exit', () => nfs.rmSync(path.dirname(launcher), { recursive: true, force: true }))
// Started now, awaited by the tests that need them; they run while the in-process cases do.
const lazy = <T>(f: () => Promise<T>): (() => Promise<T>) => {
  let p: Promise<T> | undefined
  return () => (p ??= f())
}
const fallbackRoot = lazy(() => runChild({ only: isRoot ? 'root' : 'all' }, launcher))
const userRing = lazy(() => runChild({ uid: NOBODY, only: 'user' }, undefined))
const userNoring = lazy(() => runChild({ uid: NOBODY, only: 'user' }, launcher))
if (launcher) fallbackRoot().catch(() => undefined)
if (isRoot) {
  userRing().catch(() => undefined)
  if (launcher) userNoring().catch(() => undefined)
}

/** Compares the uring outcome with node's, naming what differs. */
function same(t: ExecutionContext, kase: FsCase, nodeOut: Outcome, uringOut: Outcome): void {
  if (typeof nodeOut.result === 'string' && nodeOut.result.startsWith('skipped:')) t.log(nodeOut.result)
  t.deepEqual(uringOut.how, nodeOut.how, 'resolves / rejects / throws as node does')
  t.deepEqual(uringOut.modes, nodeOut.modes, 'each call is sync or async as in node')
  t.deepEqual(uringOut.result, nodeOut.result, 'the result or error, field by field')
  t.deepEqual(uringOut.tree, nodeOut.tree, 'the directory tree afterwards')
  // the list's error count is only honest if each label says what node really does
  const skipped = typeof nodeOut.result === 'string' && nodeOut.result.startsWith('skipped:')
  if (!skipped) t.is(kase.error === true, nodeOut.how === 'reject' || nodeOut.how === 'throw', 'listed with err() exactly when node fails')
}

test('the case list: at least 150 cases, 40% or more of them errors, every function covered', (t) => {
  const errors = CASES.filter((k) => k.error).length
  t.log(`${CASES.length} cases, ${errors} errors (${Math.round((100 * errors) / CASES.length)}%), ${CASES.filter((k) => k.asUser).length} as a user`)
  t.true(CASES.length >= 150)
  t.true(errors / CASES.length >= 0.4)
  const fns = ['open', 'readFile', 'writeFile', 'appendFile', 'stat', 'lstat', 'access', 'unlink', 'rename', 'mkdir', 'rmdir', 'rm', 'readdir', 'copyFile', 'truncate', 'symlink', 'link', 'readlink', 'realpath', 'utimes', 'chmod']
  for (const f of fns) t.true(CASES.some((k) => k.name.startsWith(`${f}:`)), `a case for ${f}`)
  for (const m of ['read', 'write', 'readv', 'writev', 'stat', 'truncate', 'sync', 'readFile', 'writeFile', 'appendFile', 'close', 'createReadStream', 'readableWebStream']) {
    t.true(CASES.some((k) => k.name.startsWith(`File.${m}`)), `a case for File.${m}`)
  }
})

testOnRing('uring/fs is complete and, in this process, on io_uring', async (t) => {
  if (SELF) return t.pass('FSDIFF_SELF=1: node against itself')
  const fns = ['open', 'readFile', 'writeFile', 'appendFile', 'stat', 'lstat', 'access', 'unlink', 'rename', 'mkdir', 'rmdir', 'rm', 'readdir', 'copyFile', 'truncate', 'symlink', 'link', 'readlink', 'realpath', 'utimes', 'chmod']
  for (const f of fns) t.is(typeof (uringFs as unknown as Record<string, unknown>)[f], 'function', `uring/fs exports ${f}`)
  await uringFs.stat(os.tmpdir())
  const b = backendOf(uringFs)
  t.log(`backend: ${String(b)}`)
  t.is(b, 'io_uring', 'not the fallback')
  if (isRoot) {
    const r = await userRing()
    t.is(r.uid, NOBODY)
    t.is(r.backend, 'io_uring', 'the child that runs the EACCES cases as nobody is on io_uring too')
    t.deepEqual(r.warnings.filter((w) => w.code === 'URING_FALLBACK'), [])
  }
})

/** `test`, or a visible skip naming why for a case the temp dir's filesystem cannot show. */
function caseTest(kase: FsCase, title: string, run: (title: string, impl: Implementation<[]>) => void, impl: Implementation<[]>): void {
  if (kase.needsSizeLimit && SIZE_UNLIMITED) test.skip(`${title} (skipped: ${SIZE_UNLIMITED})`, impl)
  else run(title, impl)
}

for (const kase of CASES) {
  const user = kase.asUser === true && isRoot
  const title = `uring: ${kase.name}${user ? ' (as nobody, in a child)' : ''}`
  caseTest(kase, title, test, async (t) => {
    if (user) {
      const r = (await userRing()).results[kase.name]
      t.truthy(r, 'the child ran the case')
      return same(t, kase, r.node, r.uring)
    }
    const n = await runCase(nodeFs, kase)
    const u = await runCase(uringFs, kase)
    same(t, kase, n, u)
  })
}

const withCc = launcher ? test : test.skip
const noCc = launcher ? '' : ' (skipped: no C compiler to build the seccomp launcher)'

withCc(`fallback: under seccomp uring/fs runs on node:fs/promises and says so once${noCc}`, async (t) => {
  const reports = [await fallbackRoot()]
  if (isRoot) reports.push(await userNoring())
  for (const r of reports) {
    t.log(`uid ${r.uid}: backend ${String(r.backend)}, warnings ${JSON.stringify(r.warnings)}`)
    if (SELF) {
      t.pass('FSDIFF_SELF=1: node against itself')
      continue
    }
    t.is(r.backend, 'node', 'the fallback backend')
    const fallback = r.warnings.filter((w) => w.code === 'URING_FALLBACK')
    t.is(fallback.length, 1, 'one URING_FALLBACK warning')
  }
})

for (const kase of CASES) {
  const user = kase.asUser === true && isRoot
  caseTest(kase, `fallback: ${kase.name}${user ? ' (as nobody)' : ''}${noCc}`, withCc, async (t) => {
    const report = user ? await userNoring() : await fallbackRoot()
    const r = report.results[kase.name]
    t.truthy(r, 'the child ran the case')
    same(t, kase, r.node, r.uring)
  })
}
