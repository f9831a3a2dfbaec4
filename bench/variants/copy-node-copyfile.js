'use strict'
// Workload 5, node's copyFile: fs.copyFileSync (params.api 'sync') or fs.promises.copyFile
// ('promises'). libuv copies with copy_file_range(2) (an in-kernel copy: no user-space buffer,
// one syscall per ~2 GiB), on the calling thread or on its thread pool. What Node users get.
const fs = require('node:fs')
const { args } = require('./common')
const { src, dest, run } = require('./copy-common')

if (args.api === 'sync') {
  run(() => fs.copyFileSync(src, dest))
} else {
  run(async () => fs.promises.copyFile(src, dest))
}
