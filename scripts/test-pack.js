#!/usr/bin/env node
// `npm run test:pack`: what a user gets from the registry, checked on this machine. Packs the root
// package and this platform's binary package (npm/linux-<arch>-<gnu|musl>, with the built .node
// copied into a temporary copy of it), installs both tarballs into an empty project offline and
// with no cargo on PATH, then: require('uring') and import('uring') work, a Ring reads a real
// file, require('uring/fs').readFile works, `npx uring doctor --json` says io_uring is usable, and
// the addon that loaded is the platform package's. Prints the glibc the binary needs against the
// floor for release binaries (scripts/elf-glibc.js, docs/shipping.md). Ends with a table; exits 1
// on any failure.
//
//   node scripts/test-pack.js [--keep] [--no-build]
//
// --keep: leave the temporary directory (its path is printed) to look at.
// --no-build: skip `npm run build:ts` (dist/ is known to be fresh). `npm publish` runs it as the
//   package's `prepare` script, so by default it runs here too.
// URING_RELEASE=1: the binary is a release build: fail when it needs a newer glibc than the floor.
'use strict'
const { spawnSync } = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { check } = require('./check-npm.js')
const { glibcNeeds, compareVersions, GLIBC_FLOOR } = require('./elf-glibc.js')

const root = path.join(__dirname, '..')
const args = process.argv.slice(2)
for (const a of args) {
  if (a !== '--keep' && a !== '--no-build') {
    console.error('usage: node scripts/test-pack.js [--keep] [--no-build]')
    process.exit(2)
  }
}
const keep = args.includes('--keep')
const build = !args.includes('--no-build')
const release = process.env.URING_RELEASE === '1'

class Failure extends Error {}
const fail = (msg) => {
  throw new Failure(msg)
}

// Children get no npm_* variables from an enclosing `npm run` (its cache, prefix, config files).
function baseEnv() {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v
  return env
}

/** PATH without ~/.cargo/bin or any directory that holds cargo, rustc or rustup. */
function pathWithoutCargo(p) {
  const cargoBin = path.join(os.homedir(), '.cargo', 'bin')
  const dropped = []
  const kept = []
  for (const dir of (p || '').split(path.delimiter)) {
    if (!dir) continue
    const rust = path.resolve(dir) === cargoBin || ['cargo', 'rustc', 'rustup'].some((b) => {
      try {
        fs.accessSync(path.join(dir, b), fs.constants.X_OK)
        return true
      } catch {
        return false
      }
    })
    ;(rust ? dropped : kept).push(dir)
  }
  return { PATH: kept.join(path.delimiter), dropped: [...new Set(dropped)] }
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000, ...opts })
  if (r.error) fail(`${cmd} ${argv.join(' ')}: ${r.error.message}`)
  if (r.status !== 0 && !opts.allowFail) {
    const tail = (r.stdout + r.stderr).trim().split('\n').slice(-25).join('\n')
    fail(`${cmd} ${argv.join(' ')} exited ${r.status ?? r.signal} in ${opts.cwd || root}:\n${tail}`)
  }
  return r
}

/** `npm pack --json` output (the JSON array, even if a script wrote to stdout before it). */
function packJson(stdout) {
  const i = stdout.indexOf('[\n')
  return JSON.parse(i >= 0 ? stdout.slice(i) : stdout)[0]
}

function libcSuffix() {
  const report = process.report && process.report.getReport ? process.report.getReport() : null
  const glibc = report && report.header && report.header.glibcVersionRuntime
  return { abi: glibc ? 'gnu' : 'musl', glibc: glibc || null }
}

const steps = []
let failed = false
function step(name, fn) {
  if (failed) {
    steps.push({ name, result: 'skipped', ms: 0 })
    return undefined
  }
  const t0 = process.hrtime.bigint()
  process.stdout.write(`-- ${name}\n`)
  try {
    const detail = fn()
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    steps.push({ name, result: detail && detail.skipped ? 'skipped' : 'ok', detail: detail && detail.summary, ms })
    if (detail && detail.summary) process.stdout.write(`   ${detail.summary}\n`)
    return detail
  } catch (e) {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    failed = true
    const msg = e instanceof Failure ? e.message : (e && e.stack) || String(e)
    steps.push({ name, result: 'FAIL', detail: msg.split('\n')[0], ms })
    process.stderr.write(`   FAILED: ${msg.replace(/\n/g, '\n   ')}\n`)
    return undefined
  }
}

const { abi, glibc: glibcRuntime } = libcSuffix()
const platform = `linux-${process.arch}-${abi}`
const platformPkg = `uring-${platform}`
const nodeFile = `uring.${platform}.node`
const t0 = Date.now()
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-test-pack-'))
const tarballs = path.join(work, 'tarballs')
const project = path.join(work, 'project')
fs.mkdirSync(tarballs)
let cleaned = false
function cleanup() {
  if (cleaned) return
  cleaned = true
  if (keep) console.log(`kept ${work}`)
  else fs.rmSync(work, { recursive: true, force: true })
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup()
    process.exit(130)
  })
}

// The environment everything after packing runs in: no cargo, no network, no npm config but ours.
const noCargo = pathWithoutCargo(process.env.PATH)
fs.writeFileSync(path.join(work, 'npmrc'), '')
const isolated = {
  ...baseEnv(),
  PATH: noCargo.PATH,
  npm_config_userconfig: path.join(work, 'npmrc'),
  npm_config_cache: path.join(work, 'npm-cache'),
  npm_config_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
}

try {
  step('npm/ in step with package.json', () => {
    const r = check(root, { strict: true })
    if (r.problems.length) fail(`scripts/check-npm.js: ${r.problems.join('; ')}`)
    if (!fs.existsSync(path.join(root, 'npm', platform, 'package.json'))) fail(`no npm/${platform}: this machine's platform is not a napi target`)
    return { summary: `${r.packages.length} platform packages; this machine is ${platform}` }
  })

  let rootPkg
  step('root package: dependencies', () => {
    rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
    const deps = Object.keys(rootPkg.dependencies || {})
    const bundled = new Set(rootPkg.bundleDependencies || rootPkg.bundledDependencies || [])
    const missing = deps.filter((d) => !bundled.has(d))
    if (missing.length) fail(`runtime dependencies that an offline install cannot fetch: ${missing.join(', ')}`)
    return { summary: deps.length ? `${deps.length} dependencies, all bundled` : 'no runtime dependencies' }
  })

  step('build:ts (the prepare script)', () => {
    if (!build) return { skipped: true, summary: 'skipped (--no-build)' }
    run('npm', ['run', '--silent', 'build:ts'], { cwd: root, env: baseEnv() })
    return { summary: 'dist/ rebuilt' }
  })

  let platformTgz
  step(`pack ${platformPkg}`, () => {
    const bin = path.join(root, nodeFile)
    if (!fs.existsSync(bin)) fail(`${nodeFile} is not built (node scripts/install.js builds it)`)
    // A copy of npm/<platform>: the binary must not land in the git-tracked npm/ directory.
    const stage = path.join(work, 'stage', platform)
    fs.cpSync(path.join(root, 'npm', platform), stage, { recursive: true })
    fs.copyFileSync(bin, path.join(stage, nodeFile))
    const r = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], { cwd: stage, env: baseEnv() })
    const p = packJson(r.stdout)
    const files = p.files.map((f) => f.path).sort()
    for (const want of ['package.json', nodeFile]) if (!files.includes(want)) fail(`${p.filename} lacks ${want} (has ${files.join(', ')})`)
    platformTgz = { file: path.join(tarballs, p.filename), integrity: p.integrity }
    return { summary: `${p.filename}: ${files.join(', ')} (${(p.size / 1024).toFixed(0)} KiB)` }
  })

  let rootTgz
  step('pack uring (as napi prepublish publishes it)', () => {
    const r = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', path.join(work, 'stage')], { cwd: root, env: baseEnv() })
    const p = packJson(r.stdout)
    const files = p.files.map((f) => f.path)
    const required = ['package.json', 'binding.js', 'binding.d.ts', 'scripts/install.js', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/lib/fs.js', 'dist/lib/fs.mjs', 'dist/bin/uring.js']
    const lacking = required.filter((f) => !files.includes(f))
    if (lacking.length) fail(`${p.filename} lacks ${lacking.join(', ')}`)
    const binaries = files.filter((f) => f.endsWith('.node'))
    if (binaries.length) fail(`${p.filename} carries native binaries (${binaries.join(', ')}): they belong in the platform packages`)
    // `napi prepublish` adds every target's package to optionalDependencies before publishing;
    // give the tarball that shape, so the install below resolves it the way users' installs do.
    const unpacked = path.join(work, 'stage', 'uring')
    fs.mkdirSync(unpacked)
    run('tar', ['-xzf', path.join(work, 'stage', p.filename), '-C', unpacked, '--strip-components=1'])
    const pj = path.join(unpacked, 'package.json')
    const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'))
    const optional = { ...(pkg.optionalDependencies || {}) }
    const targets = check(root).packages
    for (const name of targets) optional[name] = pkg.version
    pkg.optionalDependencies = optional
    fs.writeFileSync(pj, JSON.stringify(pkg, null, 2) + '\n')
    const r2 = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], { cwd: unpacked, env: baseEnv() })
    const p2 = packJson(r2.stdout)
    const again = p2.files.map((f) => f.path).sort()
    if (JSON.stringify(again) !== JSON.stringify([...files].sort())) fail(`re-packing ${p.filename} changed its file list`)
    rootTgz = { file: path.join(tarballs, p2.filename), integrity: p2.integrity }
    return { summary: `${p2.filename}: ${files.length} files, ${(p2.size / 1024).toFixed(0)} KiB; optionalDependencies: ${targets.join(', ')}` }
  })

  step('no cargo on the install PATH', () => {
    const r = spawnSync('/bin/sh', ['-c', 'command -v cargo || command -v rustc || true'], { env: isolated, encoding: 'utf8' })
    if (r.stdout.trim()) fail(`still found ${r.stdout.trim()} on the filtered PATH`)
    const c = spawnSync('cargo', ['--version'], { env: isolated })
    if (!c.error || c.error.code !== 'ENOENT') fail('spawning cargo with the filtered environment did not fail with ENOENT')
    const npm = spawnSync('/bin/sh', ['-c', 'command -v npm'], { env: isolated, encoding: 'utf8' })
    if (npm.status !== 0) fail('npm is not on the filtered PATH (it shares a directory with cargo?)')
    return { summary: `dropped from PATH: ${noCargo.dropped.join(', ') || 'nothing (no cargo here)'}` }
  })

  let installLog = ''
  step('npm install --offline (both tarballs, empty cache)', () => {
    fs.mkdirSync(project)
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'uring-pack-smoke', version: '1.0.0', private: true }, null, 2) + '\n')
    const r = run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', rootTgz.file, platformTgz.file], { cwd: project, env: isolated })
    installLog = (r.stdout + r.stderr).trim()
    const lock = JSON.parse(fs.readFileSync(path.join(project, 'package-lock.json'), 'utf8')).packages
    const installed = lock[`node_modules/${platformPkg}`]
    if (!installed) fail(`${platformPkg} was not installed:\n${installLog}`)
    // The root's optionalDependency on this platform must be met by our tarball, not fetched.
    if (installed.integrity !== platformTgz.integrity) fail(`node_modules/${platformPkg} is not the local tarball (integrity ${installed.integrity}, expected ${platformTgz.integrity}; resolved ${installed.resolved})`)
    if (lock['node_modules/uring'].integrity !== rootTgz.integrity) fail('node_modules/uring is not the local tarball')
    const others = check(root).packages.filter((n) => n !== platformPkg && fs.existsSync(path.join(project, 'node_modules', n)))
    if (others.length) fail(`other platforms' packages were installed: ${others.join(', ')}`)
    const uringDir = path.join(project, 'node_modules', 'uring')
    const built = fs.readdirSync(uringDir).filter((f) => f.endsWith('.node') || f === 'target')
    if (built.length) fail(`the install script built the addon (${built.join(', ')} in node_modules/uring)`)
    // Did npm run uring's install script, and did it pass? (npm 11 runs it and warns that
    // allowScripts does not cover it; an npm that blocks install scripts skips it, which is fine:
    // binding.js finds the platform package on its own.) The debug log says.
    const logs = path.join(work, 'npm-cache', '_logs')
    const log = fs.existsSync(logs) ? fs.readdirSync(logs).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('\n') : ''
    const ran = /run uring@[^ ]+ install node_modules\/uring node scripts\/install\.js/.test(log)
    if (ran && !/run uring@[^ ]+ install \{ code: 0/.test(log)) fail(`uring's install script failed:\n${installLog}`)
    return { summary: `${platformPkg} from ${installed.resolved}; uring's install script ${ran ? 'ran and exited 0' : 'was not run by npm'}` }
  })

  step('scripts/install.js without cargo exits 0', () => {
    // What `npm rebuild uring` would do: a prebuilt binary that loads needs no cargo.
    const r = run(process.execPath, [path.join(project, 'node_modules', 'uring', 'scripts', 'install.js')], { cwd: project, env: isolated, allowFail: true })
    if (r.status !== 0) fail(`node_modules/uring/scripts/install.js exited ${r.status}:\n${r.stdout}${r.stderr}`)
    return { summary: 'the prebuilt addon loads; nothing to build' }
  })

  const installedBin = path.join(project, 'node_modules', platformPkg, nodeFile)
  step('smoke: require, Ring read, uring/fs readFile (CJS)', () => {
    const smoke = path.join(project, 'smoke.cjs')
    fs.writeFileSync(smoke, smokeCjs())
    const r = run(process.execPath, [smoke], { cwd: project, env: isolated, timeout: 30_000 })
    const out = JSON.parse(r.stdout.trim().split('\n').pop())
    const want = fs.realpathSync(installedBin)
    const loaded = out.mapped.map((p) => fs.realpathSync(p))
    if (loaded.length !== 1 || loaded[0] !== want) fail(`the process mapped ${JSON.stringify(out.mapped)}, expected only ${want}`)
    if (!crypto.createHash('sha256').update(fs.readFileSync(want)).digest().equals(crypto.createHash('sha256').update(fs.readFileSync(path.join(root, nodeFile))).digest())) {
      fail(`${want} differs from the ${nodeFile} that was packed`)
    }
    return { summary: `read ${out.read} bytes through a Ring, readFile ${out.readFile} bytes, both equal; addon: node_modules/${platformPkg}/${nodeFile}` }
  })

  step("smoke: import('uring') and import('uring/fs') (ESM)", () => {
    const smoke = path.join(project, 'smoke.mjs')
    fs.writeFileSync(smoke, smokeMjs())
    const r = run(process.execPath, [smoke], { cwd: project, env: isolated, timeout: 30_000 })
    const out = JSON.parse(r.stdout.trim().split('\n').pop())
    return { summary: `${out.resolved}: ${out.exports} exports, same objects as require(); a nop completed with res ${out.nopRes}` }
  })

  step('npx uring doctor --json', () => {
    const r = run('npx', ['--no', 'uring', 'doctor', '--json'], { cwd: project, env: isolated, allowFail: true, timeout: 30_000 })
    let report
    try {
      report = JSON.parse(r.stdout)
    } catch {
      fail(`uring doctor --json did not print JSON (exit ${r.status}):\n${r.stdout}${r.stderr}`)
    }
    if (r.status !== 0 || report.available !== true) fail(`uring doctor --json exited ${r.status}, available=${report.available}${report.diagnosis ? `: ${report.diagnosis.code} ${report.diagnosis.message}` : ''}`)
    const ops = report.probe ? report.probe.ops.filter((o) => o.supported).length : 0
    return { summary: `kernel ${report.kernel}: io_uring available, ${ops} ops supported` }
  })

  step(`glibc the binary needs (release floor ${GLIBC_FLOOR})`, () => {
    const needs = glibcNeeds(fs.readFileSync(installedBin))
    const above = needs.symbols.filter((s) => /^GLIBC_/.test(s.version) && compareVersions(s.version.slice(6), GLIBC_FLOOR) > 0)
    const culprits = [...new Set(above.map((s) => `${s.name}@${s.version.slice(6)}`))]
    if (abi === 'musl') {
      if (needs.max) fail(`the musl binary references glibc ${needs.max}`)
      return { summary: 'musl binary: no glibc versions referenced' }
    }
    if (!needs.max) fail('a gnu binary that references no GLIBC_ version: not what the linker produces, is the parser wrong?')
    if (glibcRuntime && compareVersions(needs.max, glibcRuntime) > 0) fail(`needs glibc ${needs.max}, this machine has ${glibcRuntime}`)
    const head = `needs glibc ${needs.max} (this machine has ${glibcRuntime}), floor for release binaries ${GLIBC_FLOOR}`
    if (compareVersions(needs.max, GLIBC_FLOOR) <= 0) return { summary: `${head}: within the floor` }
    const why = `${culprits.slice(0, 6).join(', ')}${culprits.length > 6 ? ', ...' : ''}`
    if (release) fail(`${head}: a release binary must not need more than ${GLIBC_FLOOR} (${why}); build the gnu targets with \`napi build --use-napi-cross\` (a glibc 2.17 toolchain) or \`napi build -x --target <triple>.${GLIBC_FLOOR}\` (zig); see docs/shipping.md`)
    return { summary: `${head}: above the floor (${why}); passes as a local build, fails with URING_RELEASE=1` }
  })
} finally {
  cleanup()
}

const total = (Date.now() - t0) / 1000
const w = Math.max(...steps.map((s) => s.name.length), 4)
console.log('')
console.log(`${'step'.padEnd(w)}  result   time`)
for (const s of steps) console.log(`${s.name.padEnd(w)}  ${s.result.padEnd(7)}  ${(s.ms / 1000).toFixed(1).padStart(5)} s`)
console.log(`${'total'.padEnd(w)}  ${(failed ? 'FAIL' : 'ok').padEnd(7)}  ${total.toFixed(1).padStart(5)} s`)
if (failed) {
  const f = steps.find((s) => s.result === 'FAIL')
  console.error(`\ntest:pack failed at "${f.name}": ${f.detail}`)
  process.exit(1)
}

// Runs in the temporary project with `uring` installed from the tarball.
function smokeCjs() {
  return `'use strict'
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Ring, op } = require('uring')
const { readFile } = require('uring/fs')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-smoke-'))
const file = path.join(dir, 'data.bin')
const content = crypto.randomBytes(100_003)
fs.writeFileSync(file, content)
;(async () => {
  const ring = new Ring({ entries: 8 })
  const fd = fs.openSync(file, 'r')
  const buf = Buffer.alloc(content.length + 17)
  let res, userData
  try {
    ring.sq.push(op.read(fd, buf, 0, { userData: 42 }))
    ring.sq.submitAndWait(1)
    for (const cqe of ring.cq) {
      res = cqe.res
      userData = cqe.userData
    }
  } finally {
    fs.closeSync(fd)
    ring.close()
  }
  assert.equal(BigInt(userData), 42n)
  assert.equal(res, content.length, 'read result')
  assert.ok(buf.subarray(0, res).equals(content), 'bytes read through the ring differ from the file')
  const viaFs = await readFile(file)
  assert.ok(Buffer.isBuffer(viaFs) && viaFs.equals(content), 'uring/fs readFile returned other bytes')
  fs.rmSync(dir, { recursive: true, force: true })
  // Which addon the dynamic loader mapped into this process.
  const mapped = [...new Set(fs.readFileSync('/proc/self/maps', 'utf8').split('\\n')
    .map((l) => l.slice(l.indexOf('/'))).filter((p) => p.startsWith('/') && p.endsWith('.node')))]
  console.log(JSON.stringify({ read: res, readFile: viaFs.length, mapped }))
})().catch((e) => {
  fs.rmSync(dir, { recursive: true, force: true })
  console.error(e)
  process.exit(1)
})
`
}

function smokeMjs() {
  return `import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const m = await import('uring')
const mfs = await import('uring/fs')
const cjs = require('uring')
const resolved = import.meta.resolve('uring')
assert.ok(resolved.endsWith('/node_modules/uring/dist/index.mjs'), resolved)
assert.equal(m.Ring, cjs.Ring)
assert.equal(m.op, cjs.op)
assert.equal(mfs.readFile, require('uring/fs').readFile)
const ring = new m.Ring({ entries: 4 })
let nopRes
try {
  ring.sq.push(m.op.nop({ userData: 1 }))
  ring.sq.submitAndWait(1)
  for (const cqe of ring.cq) nopRes = cqe.res
} finally {
  ring.close()
}
assert.equal(nopRes, 0)
const exports = Object.keys(m).filter((k) => k !== 'default').length
console.log(JSON.stringify({ resolved: 'node_modules/uring/dist/index.mjs', exports, nopRes }))
`
}
