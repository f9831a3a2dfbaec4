#!/usr/bin/env node
// Makes sure a native addon matching this machine is there: a prebuilt one from the
// per-platform package (uring-linux-x64-gnu, ...) when npm installed it, otherwise one built
// from source with cargo. Runs as the package's `install` script and from `npm start`.
'use strict'
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const quiet = process.argv.includes('--quiet')
const log = (...a) => { if (!quiet) console.error('[uring install]', ...a) }

function loads() {
  if (!fs.existsSync(path.join(root, 'binding.js'))) return false
  const r = spawnSync(process.execPath, ['-e', "require(require('path').join(process.argv[1], 'binding.js')).opTable()", root], { stdio: 'ignore' })
  return r.status === 0
}

function libcSuffix() {
  const report = process.report && process.report.getReport ? process.report.getReport() : null
  const glibc = report && report.header && report.header.glibcVersionRuntime
  return glibc ? 'gnu' : 'musl'
}

if (process.platform !== 'linux') {
  log(`io_uring exists only on Linux; this is ${process.platform}. Nothing to build.`)
  process.exit(0)
}
// A development checkout (it has the tests, which are not published) always rebuilds: cargo is
// incremental, and a stale addon would test old code. An installed package keeps a binary that loads.
const devCheckout = fs.existsSync(path.join(root, '__test__'))
if (!devCheckout && !process.argv.includes('--force') && loads()) process.exit(0)
const cli = path.join(root, 'node_modules', '@napi-rs', 'cli')
const hasCargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0
if (!hasCargo) {
  if (loads()) process.exit(0)
  console.error('[uring install] no prebuilt binary matches this machine and cargo is not installed: install Rust (https://rustup.rs) and run `npm rebuild uring`.')
  process.exit(1)
}
if (fs.existsSync(cli)) {
  // Development checkout: napi build also generates binding.js and binding.d.ts.
  log('building the native addon with cargo (napi build --release)...')
  execFileSync('npm', ['run', '--silent', 'build:native'], { cwd: root, stdio: 'inherit' })
} else {
  log('no prebuilt binary matches this machine; building it from source with cargo...')
  execFileSync('cargo', ['build', '--release', '-p', 'uring-node'], { cwd: root, stdio: 'inherit' })
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch] || process.arch
  const out = path.join(root, `uring.linux-${arch}-${libcSuffix()}.node`)
  fs.copyFileSync(path.join(root, 'target', 'release', 'liburing_node.so'), out)
}
if (!loads()) {
  console.error('[uring install] the native addon was built but does not load')
  process.exit(1)
}
