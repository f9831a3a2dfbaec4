'use strict'
// Workload 3, node fs.promises.readFile: `qd` async loops, each awaiting one file at a time.
const fsp = require('node:fs/promises')
const { readFileLoops } = require('./files-common')

readFileLoops((name) => fsp.readFile(name)).catch((e) => {
  console.error(e)
  process.exit(1)
})
