'use strict'
// Workload 3 (small files): the file names bench/run.js made ({ dir, count }: f00000, f00001, ...),
// taken in turn, round and round.
const path = require('node:path')
const { args } = require('./common')

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

/** `qd` async loops of `await readFile(name)`; prints the report. */
async function readFileLoops(readFile, phase, extra) {
  const next = fileNames()
  const p = phase()
  let ops = 0
  let go = true
  async function worker() {
    while (go) {
      checkFile(await readFile(next()))
      ops++
      if ((ops & 31) === 0) go = p.tick(ops)
    }
  }
  await Promise.all(Array.from({ length: args.qd }, worker))
  p.report(ops, extra ? extra() : undefined)
}

module.exports = { fileNames, checkFile, readFileLoops }
