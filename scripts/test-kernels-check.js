#!/usr/bin/env node
// Run by `npm run test:kernels` where io_uring is switched off (a guest with
// kernel.io_uring_disabled=2, or the host under fixtures/noring): checks that `new Ring()` fails
// with ERR_URING_DISABLED naming the cause, and that `uring doctor --json` diagnoses it. Prints one
// JSON object {checks: [{name, ok, detail}]}; exit status 1 when a check failed.
'use strict'
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.join(__dirname, '..')
const cause = process.argv[2] // 'sysctl' or 'seccomp': which cause the messages must name
const causeRe = cause === 'sysctl' ? /io_uring_disabled/ : /seccomp/
const checks = []
const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail })

const { Ring } = require(path.join(root, 'dist', 'index.js'))
try {
  const r = new Ring()
  r.close()
  check('new Ring() fails with ERR_URING_DISABLED', false, 'new Ring() succeeded')
} catch (e) {
  check('new Ring() fails with ERR_URING_DISABLED', e.code === 'ERR_URING_DISABLED', `${e.name} ${e.code} errno ${e.errno}`)
  check(`the error names the cause (${causeRe})`, causeRe.test(e.message), e.message)
}

const doctor = spawnSync(process.execPath, [path.join(root, 'dist', 'bin', 'uring.js'), 'doctor', '--json'], { encoding: 'utf8' })
let report
try {
  report = JSON.parse(doctor.stdout)
} catch (e) {
  check('uring doctor --json prints JSON', false, `${e.message}: ${doctor.stdout.slice(0, 300)} ${doctor.stderr.slice(0, 300)}`)
}
if (report) {
  const d = report.diagnosis || {}
  check('uring doctor --json exits 1 and says unavailable', doctor.status === 1 && report.available === false, `status ${doctor.status}, available ${report.available}`)
  check('uring doctor --json diagnoses ERR_URING_DISABLED', d.code === 'ERR_URING_DISABLED', `diagnosis ${JSON.stringify(d).slice(0, 400)}`)
  check(`uring doctor names the cause (${causeRe})`, causeRe.test(JSON.stringify(d)), '')
}

process.stdout.write(JSON.stringify({ checks }) + '\n')
process.exitCode = checks.every((c) => c.ok) ? 0 : 1
