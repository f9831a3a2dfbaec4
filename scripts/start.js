#!/usr/bin/env node
// `npm start`: make sure the addon is built, then run `uring doctor` and a short demo.
'use strict'
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const root = path.join(__dirname, '..')
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' })

run(process.execPath, [path.join(__dirname, 'install.js'), '--quiet'])
if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) run('npm', ['run', '--silent', 'build:ts'])
run(process.execPath, [path.join(root, 'dist', 'bin', 'uring.js'), 'doctor'])
run(process.execPath, [path.join(root, 'examples', 'quickstart.js')])
