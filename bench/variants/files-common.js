'use strict'
// Workload 3 (small files): the file names bench/run.js made ({ dir, count }: f00000, f00001, ...),
// taken in turn, round and round.
const path = require('node:path')
const { args, measure } = require('./common')

function fileNames() {
  const names = []
  for (let i = 0; i < args.count; i++) names.push(path.join(args.dir, `f${String(i).padStart(5, '0')}`))
  let next = 0
  return () => {
    const n = names[next]
    if (++next === names.length) next = 0
    return n
  }
}

/** Fails the run loudly when a file did not come back whole. */
function checkFile(buf) {
  if (buf.length !== args.size) throw new Error(`readFile returned ${buf.length} bytes, expected ${args.size}`)
}

/** `qd` async loops of `await readFile(name)`, timed by measure(); prints the report. */
async function readFileLoops(readFile, extra) {
  const next = fileNames()
  async function chunk(n) {
    let left = n
    async function worker() {
      while (left-- > 0) checkFile(await readFile(next()))
    }
    await Promise.all(Array.from({ length: args.qd }, worker))
  }
  // 1024 files: 3-30 ms a chunk, and the 64 in flight drain once per 1024.
  await measure(chunk, { chunk: 1024, extra })
}

module.exports = { fileNames, checkFile, readFileLoops }
