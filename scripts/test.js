#!/usr/bin/env node
// `npm test`: build what is stale, then the Rust core's tests, the TypeScript type check (which
// includes the type tests that must not compile), and the ava specs.
'use strict'
const { execFileSync } = require('node:child_process')
const path = require('node:path')
const root = path.join(__dirname, '..')
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' })

run(process.execPath, [path.join(__dirname, 'install.js'), '--quiet'])
run('npm', ['run', '--silent', 'build:ts'])
run('cargo', ['test', '--workspace', '--quiet'])
run('npm', ['run', '--silent', 'typecheck'])
run(process.execPath, [path.join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs')])
