'use strict'
// Workload 3, node fs.readFileSync: one file after the other.
const fs = require('node:fs')
const { measure } = require('./common')
const { fileNames, checkFile } = require('./files-common')

const next = fileNames()
function chunk(n) {
  for (let i = 0; i < n; i++) checkFile(fs.readFileSync(next()))
}
measure(chunk, { chunk: 1024 }).catch((e) => {
  console.error(e)
  process.exit(1)
})
