'use strict'
// Workload 5, uring/fs: `await copyFile(src, dest)` with require('uring/fs'), as one would
// write it with node:fs/promises.
const { skip } = require('./common')
const { src, dest, run } = require('./copy-common')

let ufs
try {
  ufs = require('uring/fs')
} catch {
  skip('uring/fs not built')
}
if (typeof ufs.copyFile !== 'function') skip('uring/fs has no copyFile')
run(async () => ufs.copyFile(src, dest))
