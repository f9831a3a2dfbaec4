'use strict'
// Workload 3, uring/fs readFile: `qd` async loops of `await readFile(name)`, written exactly like
// the fs.promises variant (uring/fs is a drop-in for node:fs/promises).
const { skip } = require('./common')
const { readFileLoops } = require('./files-common')

let ufs
try {
  ufs = require('uring/fs')
} catch (e) {
  skip(`uring/fs does not load: ${e.message.split('\n')[0]}`)
}
if (typeof ufs.readFile !== 'function') skip('uring/fs not built (no readFile)')
// Measure io_uring, not uring/fs's node:fs fallback: without a ring the run fails instead.
if (typeof ufs.configure === 'function') ufs.configure({ fallback: false })

readFileLoops((name) => ufs.readFile(name), () => {
  try {
    return { backend: typeof ufs.backend === 'function' ? ufs.backend() : undefined, stats: require('uring/os').ring().stats }
  } catch {
    return undefined
  }
}).catch((e) => {
  console.error(e)
  process.exit(1)
})
