'use strict'
// Workload 3, node fs.readFileSync: one file after the other.
const fs = require('node:fs')
const { phase } = require('./common')
const { fileNames, checkFile } = require('./files-common')

const next = fileNames()
const p = phase()
let ops = 0
do {
  for (let i = 0; i < 32; i++) checkFile(fs.readFileSync(next()))
  ops += 32
} while (p.tick(ops))
p.report(ops)
