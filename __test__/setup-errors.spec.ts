// Setup errors as the kernel really gives them: a seccomp filter (what Docker's default profile
// does) makes io_uring_setup fail with a chosen errno in a child process, and fd exhaustion
// gives a real EMFILE. Each must become a RingSetupError with the right code, errno and advice.
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { buildNoring } from './_noring'

const repo = path.resolve(__dirname, '..', '..')
const entry = path.join(repo, 'dist', 'index.js')
const source = path.join(repo, '__test__', 'fixtures', 'noring.c')


const launcher = buildNoring()
const withCc = launcher ? test : test.skip
const suffix = launcher ? '' : ' (skipped: no C compiler to build the seccomp launcher)'

interface Seen {
  name: string
  code: string
  errno: number
  message: string
  syscall: string
}

function setupUnder(errno: number): Seen {
  const script = `
    const { Ring } = require(${JSON.stringify(entry)})
    try { new Ring(); console.log(JSON.stringify({ ok: true })) }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, errno: e.errno, message: e.message, syscall: e.syscall })) }`
  const out = execFileSync(launcher!, [String(errno), process.execPath, '-e', script], { encoding: 'utf8' })
  return JSON.parse(out.trim()) as Seen
}

withCc('EPERM from a seccomp filter is ERR_URING_DISABLED naming seccomp' + suffix, (t) => {
  const e = setupUnder(1)
  t.is(e.name, 'RingSetupError')
  t.is(e.code, 'ERR_URING_DISABLED')
  t.is(e.errno, 1)
  t.is(e.syscall, 'io_uring_setup')
  t.regex(e.message, /seccomp filter/)
})

withCc('ENOSYS is ERR_URING_UNSUPPORTED' + suffix, (t) => {
  const e = setupUnder(38)
  t.is(e.code, 'ERR_URING_UNSUPPORTED')
  t.is(e.errno, 38)
  t.regex(e.message, /ENOSYS/)
})

withCc('ENOMEM is ERR_URING_MEMLOCK with the RLIMIT_MEMLOCK value' + suffix, (t) => {
  const e = setupUnder(12)
  t.is(e.code, 'ERR_URING_MEMLOCK')
  t.is(e.errno, 12)
  t.regex(e.message, /RLIMIT_MEMLOCK, which is (unlimited|\d+ (bytes|KiB|MiB))/)
})

withCc('ENFILE is ERR_URING_TOO_MANY_FILES' + suffix, (t) => {
  const e = setupUnder(23)
  t.is(e.code, 'ERR_URING_TOO_MANY_FILES')
  t.regex(e.message, /ENFILE/)
})

withCc('uring doctor --json diagnoses the seccomp filter' + suffix, (t) => {
  const r = spawnSync(launcher!, ['1', process.execPath, path.join(repo, 'dist', 'bin', 'uring.js'), 'doctor', '--json'], { encoding: 'utf8' })
  t.is(r.status, 1, 'exit 1 when io_uring is not available')
  const report = JSON.parse(r.stdout)
  t.false(report.available)
  t.is(report.diagnosis.code, 'ERR_URING_DISABLED')
  t.is(report.seccomp.mode, 2)
  t.true(report.seccomp.filters >= 1)
})

test('a real EMFILE (every fd in use) is ERR_URING_TOO_MANY_FILES', (t) => {
  const script = `
    const fs = require('fs')
    const { Ring } = require(${JSON.stringify(entry)})
    const fds = []
    try { for (;;) fds.push(fs.openSync('/dev/null', 'r')) } catch (e) { if (e.code !== 'EMFILE') throw e }
    let out
    try { new Ring(); out = { ok: true } } catch (e) { out = { code: e.code, errno: e.errno, message: e.message } }
    for (const fd of fds) fs.closeSync(fd)
    console.log(JSON.stringify(out))`
  const r = spawnSync('prlimit', ['--nofile=256:256', process.execPath, '-e', script], { encoding: 'utf8' })
  if (r.error) {
    t.log('prlimit is missing; running the same child under the inherited limit')
  }
  const out = r.error ? execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }) : r.stdout
  const e = JSON.parse(out.trim())
  t.is(e.code, 'ERR_URING_TOO_MANY_FILES')
  t.is(e.errno, 24)
  t.regex(e.message, /EMFILE/)
})
