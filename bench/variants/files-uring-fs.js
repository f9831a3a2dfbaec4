'use strict'
// Workload 3, uring/fs readFile: `qd` async loops of `await readFile(name)`, written exactly like
// the fs.promises variant (uring/fs is a drop-in for node:fs/promises).
const { phase, skip } = require('./common')
const { readFileLoops } = require('./files-common')

let ufs
try {
  ufs = require('uring/fs')
} catch (e) {
  skip(`uring/fs does not load: ${e.message.split('\n')[0]}`)
}
if (typeof ufs.readFile !== 'function') skip('uring/fs not built (no readFile)')

readFileLoops((name) => ufs.readFile(name), phase, () => {
  try {
    return { stats: require('uring/os').ring().stats }
  } catch {
    return undefined
  }
}).catch((e) => {
  console.error(e)
  process.exit(1)
})
