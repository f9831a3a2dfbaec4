'use strict'
// Shared parts of the Node variants. Each variant runs in its own process, started by
// bench/run.js with one JSON argument ({ file, qd, batch, seconds, warmup }); it warms up, runs
// its timed phase and prints one JSON line, the same shape the C programs print:
//   { ops, seconds, cpu, rssKb, opsTotal, ...extra }
// ops/seconds/cpu cover the timed phase only; opsTotal counts the warm-up too (bench/run.js
// divides strace's syscall count by it). A variant that cannot run prints { skipped: reason }.
const fs = require('node:fs')

const args = JSON.parse(process.argv[2] || '{}')
const BS = 4096

function cpuSeconds() {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/**
 * Times a variant with tinybench and prints its JSON line. `runChunk(n)` does n ops: a plain
 * function for synchronous work, an `async` function (or one returning a promise) otherwise.
 * tinybench calls it over and over, first for the warm-up, then for `seconds`, one latency sample
 * per chunk; a chunk should take a few milliseconds so the timer's cost stays off the per-op cost,
 * and so the in-flight ops of a chunk (`qd` of them) drain only once per chunk.
 *
 * Reported: ops, seconds (wall clock of the timed phase, from tinybench's setup to its teardown
 * hook, so the gaps between samples count too, as they do for the C programs), CPU seconds of the
 * same span, peak RSS, and tinybench's statistics of the chunk latencies (`chunkMs`: mean, p50,
 * p99, rme in percent, samples). `extra` (an object or a function returning one) is merged in.
 */
async function measure(runChunk, { chunk, extra } = {}) {
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`measure: chunk must be a positive integer, got ${chunk}`)
  const { Bench } = await import('tinybench')
  const warmup = Number(args.warmup ?? 0)
  const seconds = Number(args.seconds ?? 1)
  let ops = 0
  const span = { ops0: 0, t0: 0, cpu0: 0, t1: 0, cpu1: 0 }
  const bench = new Bench({
    time: seconds * 1000,
    // One iteration at least; otherwise time decides (a 1 GiB copy is one chunk of ~1 s).
    iterations: 1,
    warmup: warmup > 0,
    warmupTime: warmup * 1000,
    warmupIterations: 1,
    throws: true,
    setup: (_task, mode) => {
      if (mode !== 'run') return
      span.ops0 = ops
      span.cpu0 = cpuSeconds()
      span.t0 = performance.now()
    },
    teardown: (_task, mode) => {
      if (mode !== 'run') return
      span.t1 = performance.now()
      span.cpu1 = cpuSeconds()
    },
  })
  const fn =
    runChunk.constructor.name === 'AsyncFunction'
      ? async () => {
          await runChunk(chunk)
          ops += chunk
        }
      : () => {
          const r = runChunk(chunk)
          if (r && typeof r.then === 'function') throw new Error('measure: a chunk that returns a promise must be an async function')
          ops += chunk
        }
  bench.add('variant', fn)
  await bench.run()
  const task = bench.tasks[0]
  const lat = task.result.latency
  const out = {
    ops: ops - span.ops0,
    seconds: (span.t1 - span.t0) / 1000,
    cpu: span.cpu1 - span.cpu0,
    rssKb: peakRssKb(),
    opsTotal: ops,
    chunk,
    chunkMs: { mean: lat.mean, p50: lat.p50, p99: lat.p99, rme: lat.rme, samples: lat.samplesCount ?? task.runs },
    ...(typeof extra === 'function' ? extra() : extra),
  }
  process.stdout.write(JSON.stringify(out) + '\n')
  exitGuard()
}

/**
 * Nothing should keep the process alive once the last op is done (a ring left ref'd, a handle
 * never closed): say so and exit instead of making bench/run.js wait for its timeout.
 */
function exitGuard() {
  setTimeout(() => {
    process.stderr.write('the process did not exit within 2 s of its last op: something keeps the event loop alive\n')
    process.exit(3)
  }, 2000).unref()
}

/**
 * Peak RSS in KiB: VmHWM of /proc/self/status, this process's own high-water mark.
 * resourceUsage().maxRSS is not: Linux carries the parent's (bench/run.js's) peak over the exec.
 */
function peakRssKb() {
  try {
    const m = /^VmHWM:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))
    if (m) return Number(m[1])
  } catch {}
  return process.resourceUsage().maxRSS
}

/** Tells bench/run.js this variant cannot run here, and why; exits. */
function skip(reason) {
  process.stdout.write(JSON.stringify({ skipped: reason }) + '\n')
  process.exit(0)
}

/** Random 4 KiB-aligned offsets in the file (xorshift32: a few ns, no allocation). */
function offsets(fd) {
  const blocks = Math.floor(fs.fstatSync(fd).size / BS)
  if (blocks < 1) throw new Error('the benchmark file is smaller than 4 KiB')
  let x = 0x9e3779b9 | 0
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return ((x >>> 0) % blocks) * BS
  }
}

/** Fails the run loudly on a short or failed read (a benchmark of errors is worthless). */
function checkRead(n) {
  if (n !== BS) throw new Error(`read returned ${n}, expected ${BS}`)
}

/**
 * A ring set up like the C baseline: SINGLE_ISSUER + DEFER_TASKRUN, else COOP_TASKRUN +
 * TASKRUN_FLAG, else plain. Returns { ring, setup }.
 */
function expertRing(uring, options) {
  const tries = [
    // TASKRUN_FLAG lets a reap skip io_uring_enter unless completion work is pending (what new Ring() picks by itself).
    ['single_issuer+defer_taskrun+taskrun_flag', { singleIssuer: true, deferTaskrun: true, taskrunFlag: true }],
    ['coop_taskrun+taskrun_flag', { coopTaskrun: true, taskrunFlag: true }],
    ['plain', {}],
  ]
  let last
  for (const [setup, flags] of tries) {
    try {
      return { ring: new uring.Ring({ ...options, ...flags }), setup }
    } catch (e) {
      if (!(e instanceof uring.RingSetupError)) throw e
      last = e
    }
  }
  throw last
}

/** The Promise API (issue 5's driver) when this build has it; otherwise skips the variant. */
function requireDriver() {
  const uring = require('uring')
  if (typeof uring.Ring.prototype.run !== 'function') skip('driver not built')
  return uring
}

module.exports = { args, BS, measure, exitGuard, skip, offsets, checkRead, expertRing, requireDriver }
