#!/usr/bin/env node
// Checks that the per-platform packages in npm/ are in step with package.json (`napi.targets`,
// `version`, `license`, `engines`) and with the loader napi generates (binding.js): one
// directory per target, each naming the package and the .node file binding.js requires.
// Prints every drift and exits 1 when there is any.
//
//   node scripts/check-npm.js [--root <dir>] [--strict]
//
// --strict: a missing binding.js is drift too (by default it is only reported, since a clean
// checkout has none until `npm install` builds it).
// As a module: `require('./scripts/check-npm.js').check(root, { strict })` returns
// `{ problems: string[], notes: string[], packages: string[] }`.
'use strict'
const fs = require('node:fs')
const path = require('node:path')

// Rust target triple -> Node's process.arch / process.platform, as napi-rs names them.
const ARCH = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm', loongarch64: 'loong64', riscv64gc: 'riscv64', powerpc64le: 'ppc64', s390x: 's390x' }
const PLATFORM = { linux: 'linux', darwin: 'darwin', windows: 'win32', freebsd: 'freebsd' }
const LIBC = { gnu: 'glibc', musl: 'musl' }

/** `x86_64-unknown-linux-gnu` -> { platformArchABI: 'linux-x64-gnu', platform, arch, abi }. */
function parseTriple(triple) {
  const parts = String(triple).split('-')
  let cpu, sys, abi
  if (parts.length === 4) [cpu, , sys, abi] = parts
  else if (parts.length === 3) [cpu, , sys] = parts
  else return null
  const arch = ARCH[cpu]
  const platform = PLATFORM[sys]
  if (!arch || !platform) return null
  if (abi === 'gnu' && platform === 'win32') abi = undefined
  return { triple, platform, arch, abi, platformArchABI: abi ? `${platform}-${arch}-${abi}` : `${platform}-${arch}` }
}

function readJson(file, problems) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    problems.push(`${file}: ${e.code === 'ENOENT' ? 'missing' : `unreadable (${e.message})`}`)
    return null
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)
const show = (v) => (v === undefined ? 'nothing' : JSON.stringify(v))

function check(root = path.join(__dirname, '..'), { strict = false } = {}) {
  const problems = []
  const notes = []
  const rel = (p) => path.relative(root, p) || '.'
  const pkg = readJson(path.join(root, 'package.json'), problems)
  if (!pkg) return { problems, notes, packages: [] }
  const napi = pkg.napi || {}
  const targets = Array.isArray(napi.targets) ? napi.targets : []
  if (targets.length === 0) problems.push('package.json: napi.targets is empty or missing')
  const binaryName = napi.binaryName || pkg.name
  const packageName = napi.packageName || pkg.name

  const expected = []
  for (const t of targets) {
    const p = parseTriple(t)
    if (!p) {
      problems.push(`package.json: napi.targets has ${JSON.stringify(t)}, which this check cannot map to a platform package`)
      continue
    }
    expected.push({ ...p, dir: p.platformArchABI, name: `${packageName}-${p.platformArchABI}`, node: `${binaryName}.${p.platformArchABI}.node` })
  }

  // npm/<platformArchABI>/ for every target, and nothing else.
  const npmDir = path.join(root, 'npm')
  const present = fs.existsSync(npmDir)
    ? fs.readdirSync(npmDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name)
    : []
  for (const d of present) {
    if (!expected.some((e) => e.dir === d)) problems.push(`npm/${d}: no target in package.json napi.targets builds it (remove it or add the target)`)
  }
  for (const e of expected) {
    const dir = path.join(npmDir, e.dir)
    if (!fs.existsSync(dir)) {
      problems.push(`npm/${e.dir}: missing (target ${e.triple})`)
      continue
    }
    const file = path.join(dir, 'package.json')
    const p = readJson(file, problems)
    if (p) {
      const want = {
        name: e.name,
        version: pkg.version,
        os: [e.platform],
        cpu: [e.arch],
        main: e.node,
        files: [e.node],
        license: pkg.license,
      }
      if (LIBC[e.abi]) want.libc = [LIBC[e.abi]]
      if (pkg.engines) want.engines = pkg.engines
      for (const [k, v] of Object.entries(want)) {
        if (!same(p[k], v)) problems.push(`${rel(file)}: "${k}" is ${show(p[k])}, expected ${JSON.stringify(v)}`)
      }
    }
    if (!fs.existsSync(path.join(dir, 'README.md'))) problems.push(`npm/${e.dir}/README.md: missing`)
  }

  // The root's optionalDependencies (napi prepublish adds them at publish time), when present.
  const optional = pkg.optionalDependencies || {}
  for (const [name, range] of Object.entries(optional)) {
    if (!name.startsWith(`${packageName}-`)) continue
    if (!expected.some((e) => e.name === name)) problems.push(`package.json: optionalDependencies has ${name}, which no napi target builds`)
    else if (range !== pkg.version) problems.push(`package.json: optionalDependencies.${name} is ${JSON.stringify(range)}, expected "${pkg.version}"`)
  }

  // The generated loader must ask for exactly these names, and check this version.
  const bindingFile = path.join(root, 'binding.js')
  if (!fs.existsSync(bindingFile)) {
    const msg = 'binding.js: not generated yet (npm install or npm run build:native writes it); its names were not checked'
    if (strict) problems.push(msg)
    else notes.push(msg)
  } else {
    const src = fs.readFileSync(bindingFile, 'utf8')
    for (const e of expected) {
      if (!src.includes(`require('./${e.node}')`)) problems.push(`binding.js: does not load ./${e.node} (target ${e.triple})`)
      if (!src.includes(`require('${e.name}')`)) problems.push(`binding.js: does not require the package ${e.name} (target ${e.triple})`)
    }
    const versions = new Set([...src.matchAll(/bindingPackageVersion !== '([^']*)'/g)].map((m) => m[1]))
    for (const v of versions) {
      if (v !== pkg.version) problems.push(`binding.js: expects platform packages at version ${v}, package.json is ${pkg.version} (rebuild: npm run build:native)`)
    }
  }
  return { problems, notes, packages: expected.map((e) => e.name) }
}

module.exports = { check, parseTriple }

if (require.main === module) {
  const args = process.argv.slice(2)
  let root
  let strict = false
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--root' && i + 1 < args.length) root = path.resolve(args[++i])
    else if (args[i] === '--strict') strict = true
    else {
      console.error('usage: node scripts/check-npm.js [--root <dir>] [--strict]')
      process.exit(2)
    }
  }
  const r = check(root, { strict })
  for (const n of r.notes) console.log(`note: ${n}`)
  if (r.problems.length > 0) {
    console.error(`npm/ is out of step (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}):`)
    for (const p of r.problems) console.error(`- ${p}`)
    process.exit(1)
  }
  console.log(`npm/: ${r.packages.length} platform packages in step with package.json and binding.js (${r.packages.join(', ')})`)
}
