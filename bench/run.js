#!/usr/bin/env node
'use strict'
// `npm run bench`: workloads 1 (4 KiB random reads from a page-cached file), 2 (NOP), 3 (small
// files read whole) and 4 (TCP echo) of /work/shared/BENCH.md, every variant in its own process,
// in interleaved rounds; one table per workload, bench/results.json and bench/chart.svg.
// See bench/README.md.
//
//   node bench/run.js [--quick] [--rounds N] [--seconds S] [--only read4k|nop|files|echo]
//                     [--file-mb N] [--filter TEXT] [--no-strace] [--out FILE] [--chart FILE]

const cp = require('node:child_process')
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '..')
const BENCH = __dirname
const BUILD = path.join(BENCH, '.build')

// ---------------------------------------------------------------------------------------------
// Command line

function usage(code) {
  const text = `usage: node bench/run.js [options]

  --quick           3 rounds of 0.3 s, fewer variants (under 2 minutes in all)
  --rounds N        rounds per variant (default 5; the median is reported)
  --seconds S       timed seconds per variant per round (default 2; --quick 0.3)
  --warmup S        warm-up seconds before each timed phase (default 0.3; --quick 0.1)
  --only W          one workload: read4k (or 1), nop (or 2), files (or 3), echo (or 4),
                    copy (or 5);
                    may be repeated or comma-separated
  --filter TEXT     only variants whose id contains TEXT (the C reference is always kept)
  --file-mb N       size of the workload-1 file in MiB (default 1024)
  --no-strace       skip the syscalls/op measurement
  --out FILE        where to write the results (default bench/results.json)
  --chart FILE      where to write the chart (default bench/chart.svg)
`
  ;(code ? process.stderr : process.stdout).write(text)
  process.exit(code)
}

function parseArgs(argv) {
  const o = { rounds: 5, seconds: 2, warmup: 0.3, fileMb: 1024, only: [], filter: null, strace: true, quick: false, out: path.join(BENCH, 'results.json'), chart: path.join(BENCH, 'chart.svg') }
  const set = { rounds: false, seconds: false, warmup: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const val = () => {
      if (i + 1 >= argv.length) usage(2)
      return argv[++i]
    }
    const num = (v, name, min) => {
      const n = Number(v)
      if (!Number.isFinite(n) || n < min) {
        process.stderr.write(`${name}: expected a number >= ${min}, got ${v}\n`)
        process.exit(2)
      }
      return n
    }
    if (a === '--quick') o.quick = true
    else if (a === '--rounds') (o.rounds = Math.floor(num(val(), a, 1))), (set.rounds = true)
    else if (a === '--seconds') (o.seconds = num(val(), a, 0.05)), (set.seconds = true)
    else if (a === '--warmup') (o.warmup = num(val(), a, 0)), (set.warmup = true)
    else if (a === '--file-mb') o.fileMb = Math.floor(num(val(), a, 1))
    else if (a === '--only') o.only.push(...val().split(','))
    else if (a === '--filter') o.filter = val()
    else if (a === '--no-strace') o.strace = false
    else if (a === '--out') o.out = path.resolve(val())
    else if (a === '--chart') o.chart = path.resolve(val())
    else if (a === '--help' || a === '-h') usage(0)
    else {
      process.stderr.write(`unknown option ${a}\n`)
      usage(2)
    }
  }
  // `npm run bench --quick` (without `--`) reaches us as npm_config_quick, not as an argument.
  if (process.env.npm_config_quick === 'true') o.quick = true
  if (o.quick) {
    if (!set.rounds) o.rounds = 3
    if (!set.seconds) o.seconds = 0.3
    if (!set.warmup) o.warmup = 0.1
  }
  const alias = { 1: 'read4k', 2: 'nop', 3: 'files', 4: 'echo', 5: 'copy' }
  o.only = o.only.map((w) => alias[w] ?? w)
  for (const w of o.only) {
    if (!WORKLOADS[w]) {
      process.stderr.write(`--only: unknown workload ${w} (read4k, nop, files, echo or copy)\n`)
      process.exit(2)
    }
  }
  return o
}

// ---------------------------------------------------------------------------------------------
// Workloads and their variants
//
// A variant is a C program (bench/c/<prog>.c, built on the fly) or a Node script
// (bench/variants/<script>); `params` go to it (C: as arguments, Node: as one JSON argument).
// `ref` is the C liburing variant its ratio is paired with, round by round.

const QD = 32 // workload 1: the depth the targets are about
const READ_QDS = [1, QD, 128] // workload 1: the depths measured
const FILES_QD = 64 // workload 3: files in flight
const FILES = { count: 10000, size: 4096 } // workload 3: the directory's files
const ECHO = { conns: 64, size: 64 } // workload 4: connections, bytes per message
// Workload 5: bytes per read/write and chunks in flight of the chunked copies (README: why), and
// the size of the file copied with --quick (the full run copies the workload-1 file, --file-mb).
const COPY = { chunk: 1024 * 1024, qd: 2, quickMb: 128 }
const COPY_CHUNK = COPY.chunk >= 1 << 20 ? `${COPY.chunk / (1 << 20)} MiB` : `${COPY.chunk / 1024} KiB`

/**
 * Workload 1 at each depth of READ_QDS: every variant that keeps reads in flight runs at 1, 32 and
 * 128 (paired with the C liburing program at the same depth); pread and readSync have one depth.
 * `quick: false` leaves a variant out of --quick (which keeps QD 32 whole and, at 1 and 128, C
 * and the uring batch and uring/os variants).
 */
function read4kVariants() {
  const vs = []
  for (const qd of READ_QDS) {
    const q = `qd${qd}`
    const ref = `c-uring-${q}`
    const full = qd === QD ? {} : { quick: false }
    vs.push(
      { id: ref, name: `C liburing QD${qd} (fixed buf+file)`, c: 'read4k', params: { qd } },
      { id: `uring-batch-${q}`, name: `uring batch (sq/cq) QD${qd}`, script: 'read-uring-batch.js', params: { qd }, ref, uring: true },
      { id: `uring-run-${q}`, name: `uring ring.run QD${qd}`, script: 'read-uring-run.js', params: { qd }, ref, uring: true, ...full },
      { id: `uring-os-${q}`, name: `uring/os read QD${qd}`, script: 'read-uring-os.js', params: { qd }, ref, uring: true },
      { id: `uring-fs-${q}`, name: `uring/fs File.read QD${qd}`, script: 'read-uring-fs.js', params: { qd }, ref, uring: true, ...full },
      { id: `node-read-cb-${q}`, name: `node fs.read callback QD${qd}`, script: 'read-fs-callback.js', params: { qd }, ref, ...full },
      { id: `node-read-cb-uv-iouring-${q}`, name: `node fs.read callback QD${qd}, UV_USE_IO_URING=1`, script: 'read-fs-callback.js', params: { qd }, env: { UV_USE_IO_URING: '1' }, ref, ...full },
      { id: `node-filehandle-${q}`, name: `node FileHandle.read QD${qd}`, script: 'read-filehandle.js', params: { qd }, ref, ...full },
    )
    if (qd === QD) vs.push({ id: `node-filehandle-uv-iouring-${q}`, name: `node FileHandle.read QD${qd}, UV_USE_IO_URING=1`, script: 'read-filehandle.js', params: { qd }, env: { UV_USE_IO_URING: '1' }, ref, quick: false })
  }
  const ref = `c-uring-qd${QD}`
  vs.push(
    { id: 'c-pread', name: 'C pread() loop', c: 'pread', ref },
    { id: 'node-readsync', name: 'node fs.readSync', script: 'read-fs-sync.js', ref },
  )
  return vs
}

const WORKLOADS = {
  read4k: {
    title: 'Workload 1: 4 KiB random reads from a page-cached file, one thread',
    unit: 'reads',
    cachedFile: true,
    variants: read4kVariants(),
  },
  nop: {
    title: 'Workload 2: per-op floor, NOP',
    unit: 'nops',
    variants: [
      { id: 'c-nop-256', name: 'C liburing NOP batch 256', c: 'nop', params: { batch: 256 } },
      { id: 'c-nop-32', name: 'C liburing NOP batch 32', c: 'nop', params: { batch: 32 } },
      { id: 'c-nop-1', name: 'C liburing NOP batch 1', c: 'nop', params: { batch: 1 } },
      { id: 'uring-batch-256', name: 'uring batch NOP batch 256', script: 'nop-uring-batch.js', params: { batch: 256 }, ref: 'c-nop-256', uring: true },
      { id: 'uring-batch-32', name: 'uring batch NOP batch 32', script: 'nop-uring-batch.js', params: { batch: 32 }, ref: 'c-nop-32', uring: true },
      { id: 'uring-run', name: 'uring ring.run NOP, 32 per tick', script: 'nop-uring-run.js', params: { batch: 32 }, ref: 'c-nop-32', uring: true },
    ],
  },
  files: {
    title: `Workload 3: small files (${FILES.count} x ${FILES.size / 1024} KiB, page-cached), open + read whole + close`,
    unit: 'files',
    smallFiles: true,
    variants: [
      { id: 'c-chain', name: `C liburing open->read->close chains, ${FILES_QD} in flight`, c: 'readfile', params: { qd: FILES_QD } },
      { id: 'c-loop', name: 'C open + read + close loop', c: 'openread', ref: 'c-chain' },
      { id: 'node-readfilesync', name: 'node fs.readFileSync', script: 'files-readfilesync.js', ref: 'c-chain' },
      { id: 'node-promises', name: `node fs.promises.readFile, ${FILES_QD} in flight`, script: 'files-promises.js', params: { qd: FILES_QD }, ref: 'c-chain' },
      { id: 'node-promises-uv-iouring', name: `node fs.promises.readFile, ${FILES_QD} in flight, UV_USE_IO_URING=1`, script: 'files-promises.js', params: { qd: FILES_QD }, env: { UV_USE_IO_URING: '1' }, ref: 'c-chain' },
      { id: 'node-callback', name: `node fs.readFile callback, ${FILES_QD} in flight`, script: 'files-callback.js', params: { qd: FILES_QD }, ref: 'c-chain', quick: false },
      { id: 'uring-batch', name: `uring batch (sq/cq) open->read->close chains, ${FILES_QD} in flight`, script: 'files-uring-batch.js', params: { qd: FILES_QD }, ref: 'c-chain', uring: true },
      { id: 'uring-run', name: `uring ring.runLinked(open, read, close), ${FILES_QD} in flight`, script: 'files-uring-run.js', params: { qd: FILES_QD }, ref: 'c-chain', uring: true, quick: false },
      { id: 'uring-os', name: `uring/os open, read, close, ${FILES_QD} in flight`, script: 'files-uring-os.js', params: { qd: FILES_QD }, ref: 'c-chain', uring: true, quick: false },
      { id: 'uring-fs', name: `uring/fs readFile, ${FILES_QD} in flight`, script: 'files-uring-fs.js', params: { qd: FILES_QD }, ref: 'c-chain', uring: true },
    ],
  },
  echo: {
    title: `Workload 4: TCP echo on 127.0.0.1, ${ECHO.conns} connections, ${ECHO.size}-byte ping-pong (server's numbers)`,
    unit: 'messages',
    server: true,
    variants: [
      { id: 'c-uring', name: 'C liburing (multishot accept + recv, buffer ring)', c: 'echo-uring' },
      { id: 'c-epoll', name: 'C epoll read/write', c: 'echo-epoll', ref: 'c-uring' },
      { id: 'node-net', name: "node net (on('data') -> write)", script: 'echo-node-net.js', ref: 'c-uring' },
      { id: 'uring-net', name: "uring/net (on('data') -> write)", script: 'echo-uring-net.js', ref: 'c-uring', uring: true },
      { id: 'uring-batch', name: 'uring batch (sq/cq): multishot accept + recv, buffer ring', script: 'echo-uring-batch.js', ref: 'c-uring', uring: true },
      { id: 'uring-os', name: 'uring/os (await accept; await recv -> await send)', script: 'echo-uring-os.js', ref: 'c-uring', uring: true, quick: false },
      { id: 'uring-net-iter', name: 'uring/net (for await chunk -> write)', script: 'echo-uring-net-iter.js', ref: 'c-uring', uring: true },
    ],
  },
  // One op = one MiB copied; `quick: false` variants are left out of --quick (README).
  copy: {
    title: 'Workload 5: copy of a page-cached file to a new file on the same file system (MiB copied)',
    unit: 'MiB',
    cachedFile: true,
    copyFile: true,
    // A traced run must copy the file more than once: the untraced baseline run copies it once too.
    straceSeconds: 2,
    variants: [
      { id: 'c-uring', name: `C liburing read_fixed->write_fixed pairs, ${COPY.qd} x ${COPY_CHUNK}`, c: 'copy-uring', params: { mode: 'rw', chunk: COPY.chunk, qd: COPY.qd } },
      { id: 'c-uring-splice', name: `C liburing splice file->pipe->file, ${COPY.qd} x ${COPY_CHUNK} pipes`, c: 'copy-uring', params: { mode: 'splice', chunk: COPY.chunk, qd: COPY.qd }, ref: 'c-uring', quick: false },
      { id: 'c-cfr', name: 'C copy_file_range loop', c: 'copy-sys', params: { mode: 'cfr' }, ref: 'c-uring' },
      { id: 'c-rw', name: `C read/write loop, ${COPY_CHUNK}`, c: 'copy-sys', params: { mode: 'rw', chunk: COPY.chunk }, ref: 'c-uring', quick: false },
      { id: 'node-copyfilesync', name: 'node fs.copyFileSync', script: 'copy-node-copyfile.js', params: { api: 'sync' }, ref: 'c-uring', quick: false },
      { id: 'node-copyfile', name: 'node fs.promises.copyFile', script: 'copy-node-copyfile.js', params: { api: 'promises' }, ref: 'c-uring' },
      { id: 'node-rw-sync', name: `node readSync/writeSync loop, ${COPY_CHUNK}`, script: 'copy-node-sync.js', params: { chunk: COPY.chunk }, ref: 'c-uring', quick: false },
      { id: 'node-cb', name: `node fs.read->fs.write callback, ${COPY.qd} x ${COPY_CHUNK}`, script: 'copy-node-callback.js', params: { chunk: COPY.chunk, qd: COPY.qd }, ref: 'c-uring', quick: false },
      { id: 'node-cb-uv-iouring', name: `node fs.read->fs.write callback, ${COPY.qd} x ${COPY_CHUNK}, UV_USE_IO_URING=1`, script: 'copy-node-callback.js', params: { chunk: COPY.chunk, qd: COPY.qd }, env: { UV_USE_IO_URING: '1' }, ref: 'c-uring', quick: false },
      { id: 'node-filehandle', name: `node FileHandle read->write, ${COPY.qd} x ${COPY_CHUNK}`, script: 'copy-node-filehandle.js', params: { chunk: COPY.chunk, qd: COPY.qd }, ref: 'c-uring' },
      { id: 'node-filehandle-uv-iouring', name: `node FileHandle read->write, ${COPY.qd} x ${COPY_CHUNK}, UV_USE_IO_URING=1`, script: 'copy-node-filehandle.js', params: { chunk: COPY.chunk, qd: COPY.qd }, env: { UV_USE_IO_URING: '1' }, ref: 'c-uring', quick: false },
      { id: 'node-stream', name: 'node createReadStream -> createWriteStream (pipeline)', script: 'copy-node-stream.js', ref: 'c-uring', quick: false },
      { id: 'uring-batch', name: `uring batch (sq/cq) linked pairs, ${COPY.qd} x ${COPY_CHUNK}`, script: 'copy-uring-batch.js', params: { chunk: COPY.chunk, qd: COPY.qd }, ref: 'c-uring', uring: true },
      { id: 'uring-os', name: `uring/os read->write, ${COPY.qd} x ${COPY_CHUNK}`, script: 'copy-uring-os.js', params: { chunk: COPY.chunk, qd: COPY.qd }, ref: 'c-uring', uring: true },
      { id: 'uring-fs', name: 'uring/fs copyFile', script: 'copy-uring-fs.js', ref: 'c-uring', uring: true },
    ],
  },
}

// The targets of BENCH.md for these workloads, checked against this run's numbers.
const TARGETS = {
  read4k: [
    { what: 'batch API >= 0.90 x C liburing', kind: 'ratio', a: 'uring-batch-qd32', b: 'c-uring-qd32', min: 0.9 },
    { what: 'ring.run >= 0.75 x C liburing', kind: 'ratio', a: 'uring-run-qd32', b: 'c-uring-qd32', min: 0.75 },
    { what: 'ring.run >= 12 x node FileHandle.read', kind: 'ratio', a: 'uring-run-qd32', b: 'node-filehandle-qd32', min: 12 },
    { what: 'ring.run >= 1.0 x node fs.readSync', kind: 'ratio', a: 'uring-run-qd32', b: 'node-readsync', min: 1 },
    { what: 'uring/os read >= 0.75 x C liburing', kind: 'ratio', a: 'uring-os-qd32', b: 'c-uring-qd32', min: 0.75 },
    { what: 'uring/os read >= 12 x node FileHandle.read', kind: 'ratio', a: 'uring-os-qd32', b: 'node-filehandle-qd32', min: 12 },
    { what: 'uring/os read >= 1.0 x node fs.readSync', kind: 'ratio', a: 'uring-os-qd32', b: 'node-readsync', min: 1 },
    { what: 'batch API syscalls/read <= 0.04', kind: 'syscalls', a: 'uring-batch-qd32', max: 0.04 },
    { what: 'ring.run syscalls/read <= 0.04', kind: 'syscalls', a: 'uring-run-qd32', max: 0.04 },
    { what: 'uring/os syscalls/read <= 0.04', kind: 'syscalls', a: 'uring-os-qd32', max: 0.04 },
    { what: 'batch API peak RSS <= 1.5 x node fs.read callback', kind: 'rss', a: 'uring-batch-qd32', b: 'node-read-cb-qd32', max: 1.5 },
    { what: 'ring.run peak RSS <= 1.5 x node FileHandle.read', kind: 'rss', a: 'uring-run-qd32', b: 'node-filehandle-qd32', max: 1.5 },
    { what: 'uring/os peak RSS <= 1.5 x node FileHandle.read', kind: 'rss', a: 'uring-os-qd32', b: 'node-filehandle-qd32', max: 1.5 },
  ],
  nop: [
    { what: 'batch API NOP, batch 256 >= 0.40 x C liburing', kind: 'ratio', a: 'uring-batch-256', b: 'c-nop-256', min: 0.4 },
    { what: 'Promise API NOP >= 2M/s', kind: 'rate', a: 'uring-run', min: 2e6 },
  ],
  files: [
    { what: 'uring/fs readFile >= 0.60 x C liburing chain', kind: 'ratio', a: 'uring-fs', b: 'c-chain', min: 0.6 },
    { what: 'uring/fs readFile >= 10 x node fs.promises.readFile', kind: 'ratio', a: 'uring-fs', b: 'node-promises', min: 10 },
    { what: 'uring/fs readFile >= 1.4 x node fs.readFileSync', kind: 'ratio', a: 'uring-fs', b: 'node-readfilesync', min: 1.4 },
    { what: 'uring/fs peak RSS <= 1.5 x node fs.promises.readFile', kind: 'rss', a: 'uring-fs', b: 'node-promises', max: 1.5 },
  ],
  echo: [
    { what: 'uring/net >= 0.80 x C liburing server', kind: 'ratio', a: 'uring-net', b: 'c-uring', min: 0.8 },
    { what: 'uring/net >= 1.5 x node net', kind: 'ratio', a: 'uring-net', b: 'node-net', min: 1.5 },
    { what: 'uring/net server syscalls/message <= 0.2', kind: 'syscalls', a: 'uring-net', max: 0.2 },
    { what: 'uring/net peak RSS <= 1.5 x node net', kind: 'rss', a: 'uring-net', b: 'node-net', max: 1.5 },
    { what: 'uring/net for-await >= 0.80 x C liburing server', kind: 'ratio', a: 'uring-net-iter', b: 'c-uring', min: 0.8 },
    { what: 'uring/net for-await >= 1.5 x node net', kind: 'ratio', a: 'uring-net-iter', b: 'node-net', min: 1.5 },
    { what: 'uring/net for-await server syscalls/message <= 0.2', kind: 'syscalls', a: 'uring-net-iter', max: 0.2 },
    { what: 'uring/net for-await peak RSS <= 1.5 x node net', kind: 'rss', a: 'uring-net-iter', b: 'node-net', max: 1.5 },
  ],
  // BENCH.md sets no rate target for workload 5: the table reports it. Only the RSS rule for all.
  copy: [
    { what: 'uring/fs copyFile peak RSS <= 1.5 x node fs.promises.copyFile', kind: 'rss', a: 'uring-fs', b: 'node-copyfile', max: 1.5 },
    { what: 'uring/os peak RSS <= 1.5 x node FileHandle', kind: 'rss', a: 'uring-os', b: 'node-filehandle', max: 1.5 },
    { what: 'batch API peak RSS <= 1.5 x node FileHandle', kind: 'rss', a: 'uring-batch', b: 'node-filehandle', max: 1.5 },
  ],
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function median(xs) {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function fmtRate(x) {
  if (x == null) return '-'
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`
  if (x >= 1e3) return `${(x / 1e3).toFixed(x >= 1e5 ? 0 : 1)}k`
  return x.toFixed(0)
}

function fmtNum(x, digits) {
  if (x == null || !Number.isFinite(x)) return '-'
  if (x !== 0 && Math.abs(x) < 10 ** -digits) return x.toPrecision(1)
  return x.toFixed(digits)
}

function log(msg) {
  progress.clear()
  process.stderr.write(msg + '\n')
  progress.redraw()
}

// ---------------------------------------------------------------------------------------------
// Progress on stderr: on a terminal one status line, rewritten in place (workload, round k/N,
// variant, elapsed, ETA) under the log lines; otherwise one plain line per run. Every run is
// planned in seconds (warm-up + timed phase + a guess at process start and teardown); the ETA is
// the planned seconds left times the wall seconds the runs done so far took per planned second.

const progress = {
  tty: !!process.stderr.isTTY,
  t0: performance.now(),
  runW: 0, // planned seconds of one timed run
  straceW: 0, // planned seconds of one variant's two strace runs (0: no strace)
  planned: 0,
  done: 0,
  runs: 0,
  runsDone: 0,
  first: 0, // when the first run started
  current: null, // { text, w, at }
  shown: false,
  timer: null,

  setup(opts, strace) {
    this.runW = opts.seconds + opts.warmup + 0.3
    this.straceW = strace ? Math.min(opts.seconds, 1) + 0.8 : 0
  },
  /** Plans `n` variants of a workload (`rounds` timed runs each, plus strace), or unplans with n < 0. */
  plan(n, rounds) {
    this.planned += n * (rounds * this.runW + this.straceW)
    this.runs += n * (rounds + (this.straceW ? 1 : 0))
  },
  /** A variant found skipped in round `round` (0-based): its later rounds and strace will not run. */
  skip(round, rounds) {
    const later = rounds - round - 1
    this.planned -= later * this.runW + this.straceW
    this.runs -= later + (this.straceW ? 1 : 0)
  },
  /** A variant whose strace runs will not happen (all its rounds failed). */
  noStrace() {
    this.planned -= this.straceW
    if (this.straceW) this.runs--
  },
  start(text, strace) {
    const now = performance.now()
    this.end()
    if (!this.first) this.first = now
    this.current = { text, w: strace ? this.straceW : this.runW, at: now }
    if (this.tty) {
      this.redraw()
      // Server runs (workload 4) are awaited: keep the clock going meanwhile.
      this.timer ??= setInterval(() => this.redraw(), 1000).unref()
    } else process.stderr.write(`  ${this.status()}\n`)
  },
  end() {
    if (!this.current) return
    this.done += this.current.w
    this.runsDone++
    this.current = null
  },
  status() {
    const now = performance.now()
    const c = this.current
    const perPlanned = this.done > 0 ? (c ? c.at : now) - this.first : 0
    const factor = this.done > 0 ? perPlanned / 1000 / this.done : 1.3
    const left = Math.max(0, (this.planned - this.done) * factor - (c ? (now - c.at) / 1000 : 0))
    const n = Math.min(this.runsDone + (c ? 1 : 0), this.runs)
    return `[${n}/${this.runs}] ${c ? c.text : 'done'} | ${fmtDuration((now - this.t0) / 1000)} elapsed, ETA ${fmtDuration(left)}`
  },
  redraw() {
    if (!this.tty || !this.current) return
    const cols = process.stderr.columns || 100
    process.stderr.write(`\r\x1b[K${this.status().slice(0, cols - 1)}`)
    this.shown = true
  },
  clear() {
    if (!this.shown) return
    process.stderr.write('\r\x1b[K')
    this.shown = false
  },
  finish() {
    this.end()
    clearInterval(this.timer)
    this.timer = null
    this.clear()
  },
}

function fmtDuration(s) {
  s = Math.round(s)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

function which(cmd) {
  const r = cp.spawnSync(cmd, ['--version'], { stdio: 'ignore' })
  return !r.error
}

function table(headers, rows, align) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) =>
    '| ' + cells.map((c, i) => (align[i] === 'r' ? String(c).padStart(w[i]) : String(c).padEnd(w[i]))).join(' | ') + ' |'
  const sep = '|' + w.map((n, i) => (align[i] === 'r' ? '-'.repeat(n + 1) + ':' : '-'.repeat(n + 2))).join('|') + '|'
  return [line(headers), sep, ...rows.map(line)].join('\n')
}

// ---------------------------------------------------------------------------------------------
// C programs: built into bench/.build, named by a hash of their source and the flags, so an
// edited source is rebuilt and an unchanged one never is.

const cBuilds = new Map()

function buildC(prog) {
  if (cBuilds.has(prog)) return cBuilds.get(prog)
  const r = buildCUncached(prog)
  cBuilds.set(prog, r)
  return r
}

function buildCUncached(prog) {
  const cc = process.env.CC || 'cc'
  if (!which(cc)) return { skipped: `no C compiler (${cc})` }
  const src = path.join(BENCH, 'c', `${prog}.c`)
  const hdr = path.join(BENCH, 'c', 'common.h')
  const usesUring = fs.readFileSync(src, 'utf8').includes('BENCH_URING')
  const flags = ['-O2', '-Wall', '-o']
  const libs = usesUring ? ['-luring'] : []
  const h = crypto.createHash('sha256')
  h.update(cc).update(fs.readFileSync(src)).update(fs.readFileSync(hdr)).update(flags.join(' ') + libs.join(' '))
  const bin = path.join(BUILD, `${prog}-${h.digest('hex').slice(0, 12)}`)
  if (fs.existsSync(bin)) return { bin }
  fs.mkdirSync(BUILD, { recursive: true })
  const tmp = `${bin}.tmp${process.pid}`
  const r = cp.spawnSync(cc, [...flags, tmp, src, ...libs], { encoding: 'utf8' })
  if (r.status !== 0) {
    const err = (r.stderr || '') + (r.error ? String(r.error) : '')
    fs.rmSync(tmp, { force: true })
    if (/liburing\.h/.test(err)) return { skipped: 'liburing headers not found (install liburing-dev)' }
    if (/-luring|cannot find -luring/.test(err)) return { skipped: 'liburing library not found (install liburing-dev)' }
    return { skipped: `C build failed: ${err.split('\n').find((l) => /error/.test(l)) || err.split('\n')[0]}` }
  }
  fs.renameSync(tmp, bin)
  return { bin }
}

// ---------------------------------------------------------------------------------------------
// The workload-1 file: written once (real blocks, no holes) in os.tmpdir() and kept there for
// the next run; read through once per run so every block is in the page cache.

function prepareFile(mb) {
  const file = path.join(os.tmpdir(), `uring-bench-${mb}MiB.dat`)
  const size = mb * 1024 * 1024
  let ok = false
  try {
    const st = fs.statSync(file)
    ok = st.size === size && st.blocks * 512 >= size
  } catch {}
  const chunk = Buffer.allocUnsafe(1024 * 1024)
  if (!ok) {
    log(`creating ${file} (${mb} MiB)...`)
    const tmp = `${file}.tmp${process.pid}`
    const fd = fs.openSync(tmp, 'w')
    try {
      for (let i = 0; i < mb; i++) {
        crypto.randomFillSync(chunk)
        fs.writeSync(fd, chunk, 0, chunk.length)
      }
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, file)
  }
  const ctx = { file, size, fincore: which('fincore'), rewarms: 0 }
  const secs = readThrough(ctx)
  log(`page-cached ${file}: read in ${secs.toFixed(2)} s (${(mb / 1024 / secs).toFixed(1)} GiB/s)`)
  return { ...ctx, warmReadSeconds: secs }
}

/** Reads the whole file once (puts it in the page cache); returns the seconds it took. */
function readThrough(ctx) {
  const chunk = Buffer.allocUnsafe(1024 * 1024)
  const t0 = performance.now()
  const fd = fs.openSync(ctx.file, 'r')
  try {
    let pos = 0
    while (pos < ctx.size) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, pos)
      if (n <= 0) throw new Error(`short read of ${ctx.file} at ${pos}`)
      pos += n
    }
  } finally {
    fs.closeSync(fd)
  }
  return (performance.now() - t0) / 1000
}

/** The fraction of the file in the page cache (fincore, util-linux), or null without fincore. */
function resident(ctx) {
  if (!ctx.fincore) return null
  const r = cp.spawnSync('fincore', ['-b', '-n', '-o', 'RES', ctx.file], { encoding: 'utf8' })
  const n = Number((r.stdout || '').trim())
  return r.status === 0 && Number.isFinite(n) ? n / ctx.size : null
}

/**
 * Something on this machine drops the page cache now and then, and reads that miss it go to the
 * disk (and to io_uring's workers): 20-40x slower, a different benchmark. So the file is checked
 * before every run of a variant and read through again when any of it is gone (always, without
 * fincore: a cached read-through costs ~0.2 s).
 */
function ensureCached(ctx) {
  const before = resident(ctx)
  if (before !== null && before >= 0.999) return
  readThrough(ctx)
  ctx.rewarms++
  if (before !== null) log(`  (the file was ${(before * 100).toFixed(0)}% in the page cache: read it through again)`)
}

/**
 * Workload 5's copies are `<file>.copy-<pid>` (Node variants) and `<file>.copy-<pid>-c` (C, the
 * pid of run.js), unlinked after each copy; a variant killed mid-copy leaves one behind (up to
 * the file's size). Removes those whose process is gone (a concurrent run's are left alone).
 */
function removeStaleCopies(file) {
  const dir = path.dirname(file)
  const base = path.basename(file)
  for (const name of fs.readdirSync(dir)) {
    const m = name.startsWith(`${base}.copy-`) && /^(\d+)(-c)?$/.exec(name.slice(base.length + 6))
    if (m && !fs.existsSync(`/proc/${m[1]}`)) fs.rmSync(path.join(dir, name), { force: true })
  }
}

// ---------------------------------------------------------------------------------------------
// The workload-3 files: a fresh directory in os.tmpdir() per run (removed at the end), `count`
// files of `size` random bytes named f00000, f00001, ...; read through before every run of a
// variant, so page cache and dentry cache hold them all whatever dropped them in between.

function prepareFiles({ count, size }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-bench-files-'))
  const t0 = performance.now()
  const buf = Buffer.allocUnsafe(size)
  for (let i = 0; i < count; i++) {
    crypto.randomFillSync(buf)
    fs.writeFileSync(filePath(dir, i), buf)
  }
  const ctx = { dir, count, size }
  log(`made ${count} files of ${size} bytes in ${dir} (${((performance.now() - t0) / 1000).toFixed(2)} s)`)
  return ctx
}

function filePath(dir, i) {
  return path.join(dir, `f${String(i).padStart(5, '0')}`)
}

function warmFiles(f) {
  for (let i = 0; i < f.count; i++) {
    if (fs.readFileSync(filePath(f.dir, i)).length !== f.size) throw new Error(`${filePath(f.dir, i)} changed size`)
  }
}

// ---------------------------------------------------------------------------------------------
// Running one variant once, in its own process

function command(v, ctx, seconds, warmup) {
  const f = ctx.files || {}
  const p = { ...v.params, file: ctx.file, dir: f.dir, count: f.count, size: f.size, seconds, warmup }
  const env = { ...process.env, ...(v.env || {}) }
  if (!(v.env && 'UV_USE_IO_URING' in v.env)) delete env.UV_USE_IO_URING
  if (v.c) {
    const b = buildC(v.c)
    if (b.skipped) return { skipped: b.skipped }
    const argv = {
      read4k: [p.file, p.qd, seconds, warmup],
      pread: [p.file, seconds, warmup],
      nop: [p.batch, seconds, warmup],
      readfile: [p.dir, p.count, p.size, p.qd, seconds, warmup],
      openread: [p.dir, p.count, p.size, seconds, warmup],
      // Workload 5: the copy goes next to the source (same file system), named after this run.
      'copy-uring': [p.mode, p.file, `${p.file}.copy-${process.pid}-c`, p.chunk, p.qd, seconds, warmup],
      'copy-sys': [p.mode, p.file, `${p.file}.copy-${process.pid}-c`, p.chunk ?? 0, seconds, warmup],
      'echo-uring': [],
      'echo-epoll': [],
    }[v.c]
    return withClient({ file: b.bin, args: argv.map(String), env }, v, seconds, warmup)
  }
  return withClient({ file: process.execPath, args: [path.join(BENCH, 'variants', v.script), JSON.stringify(p)], env }, v, seconds, warmup)
}

/**
 * Workload 4's variants are servers: the command gets the load client (c/echo-client.c) to run
 * against it, and CPUs to pin both to (server on CPU 0, client on CPU 1) when taskset exists.
 */
function withClient(cmd, v, seconds, warmup) {
  if (!WORKLOADS.echo.variants.includes(v)) return cmd
  const client = buildC('echo-client')
  if (client.skipped) return { skipped: `needs the C load client: ${client.skipped}` }
  return { ...cmd, server: true, client: { file: client.bin, args: [ECHO.conns, ECHO.size, seconds, warmup].map(String) }, pin: pinning() }
}

let pinned
function pinning() {
  if (pinned === undefined) pinned = os.cpus().length >= 2 && which('taskset') ? { server: '0', client: '1' } : null
  return pinned
}

/** Runs the command (under strace -f -c when `straceOut` is given); returns its JSON line or an error. */
function runOnce(cmd, seconds, warmup, straceOut) {
  if (cmd.server) return runServer(cmd, seconds, warmup, straceOut)
  let file = cmd.file
  let args = cmd.args
  if (straceOut) {
    args = ['-f', '-c', '-o', straceOut, file, ...args]
    file = 'strace'
  }
  const timeout = (seconds + warmup) * 1000 + 60_000
  const r = cp.spawnSync(file, args, { env: cmd.env, cwd: ROOT, encoding: 'utf8', timeout, maxBuffer: 16 << 20 })
  const line = (r.stdout || '').trim().split('\n').filter(Boolean).pop()
  let out = null
  try {
    out = line ? JSON.parse(line) : null
  } catch {}
  const how = r.error ? (r.error.code === 'ETIMEDOUT' ? `timed out after ${timeout / 1000} s` : String(r.error)) : r.signal ? `killed by ${r.signal}` : r.status !== 0 ? `exit code ${r.status}` : null
  // The error's own line (a JS "Error: ..." or a C "what: strerror"), else the last line.
  const lines = (r.stderr || '').split('\n').map((l) => l.trim()).filter(Boolean)
  const stderr = lines.find((l) => /^(\w*Error\b|[\w.]+: )/.test(l) && !/^at /.test(l)) ?? lines[lines.length - 1] ?? ''
  if (out && (out.skipped || out.ops !== undefined)) {
    if (how) out.warning = `printed its result, then ${how}${stderr ? `: ${stderr}` : ''}`
    return out
  }
  return { error: `${how || 'no result line'}${stderr ? `: ${stderr}` : ''}` }
}

/** The parent pid of a process (from /proc), or null. */
function parentPid(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return null
  }
}

/** Spawns a program and collects its output; resolves when it has exited (or was killed at `timeoutMs`). */
function spawnAsync(file, args, opts, timeoutMs) {
  return new Promise((resolve) => {
    const child = cp.spawn(file, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => stderr.length < 65536 && (stderr += d))
    const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), timeoutMs)
    child.on('error', (error) => (clearTimeout(timer), resolve({ error, stdout, stderr })))
    child.on('close', (status, signal) => (clearTimeout(timer), resolve({ status, signal, stdout, stderr, timedOut })))
  })
}

/** The JSON object on the last line of `text`, or null. */
function lastJson(text) {
  const line = (text || '').trim().split('\n').filter(Boolean).pop()
  try {
    return line ? JSON.parse(line) : null
  } catch {
    return null
  }
}

/** The line of a program's stderr that says what went wrong (a JS "Error: ...", a C "what: strerror"), else its last. */
function errorLine(stderr) {
  const lines = (stderr || '').split('\n').map((l) => l.trim()).filter(Boolean)
  return lines.find((l) => /^(\w*Error\b|[\w.]+: )/.test(l) && !/^at /.test(l)) ?? lines[lines.length - 1] ?? ''
}

/**
 * Workload 4: starts the server (on CPU 0, under strace when `straceOut` is given), waits for the
 * line with its port and pid, runs the load client against it (on CPU 1) for warm-up + timed
 * seconds, then stops the server (SIGTERM to its own pid, so strace, if any, writes its summary).
 * The result is the client's line with the server's CPU time and peak RSS in `cpu` and `rssKb`.
 * With 0 seconds (strace's baseline run) no client runs: the server only starts and stops.
 */
async function runServer(cmd, seconds, warmup, straceOut) {
  let file = cmd.file
  let args = cmd.args
  if (straceOut) (args = ['-f', '-c', '-o', straceOut, file, ...args]), (file = 'strace')
  if (cmd.pin) (args = ['-c', cmd.pin.server, file, ...args]), (file = 'taskset')
  const server = cp.spawn(file, args, { env: cmd.env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  server.stderr.setEncoding('utf8').on('data', (d) => stderr.length < 65536 && (stderr += d))
  let exited = null
  const closed = new Promise((resolve) => server.on('close', (code, signal) => resolve((exited = { code, signal }))))
  const first = await new Promise((resolve) => {
    let buf = ''
    const timer = setTimeout(() => resolve({ error: 'printed no port within 15 s' }), 15_000)
    server.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d
      const i = buf.indexOf('\n')
      if (i < 0) return
      clearTimeout(timer)
      try {
        resolve(JSON.parse(buf.slice(0, i)))
      } catch {
        resolve({ error: `printed ${JSON.stringify(buf.slice(0, i))} instead of its port` })
      }
    })
    server.on('error', (e) => (clearTimeout(timer), resolve({ error: String(e) })))
    closed.then(({ code, signal }) => (clearTimeout(timer), resolve({ error: `exited (${signal || `code ${code}`}) before it listened` })))
  })
  // The pid the server printed is only signalled if it is the process we started or its child
  // (under strace); anything else is not ours to kill.
  const own = Number.isInteger(first.pid) && (first.pid === server.pid || parentPid(first.pid) === server.pid) ? first.pid : null
  const kill = (sig) => {
    try {
      if (own) process.kill(own, sig)
      else server.kill(sig)
    } catch {}
  }
  const stop = async () => {
    if (!exited) kill('SIGTERM')
    const t = setTimeout(() => (kill('SIGKILL'), server.kill('SIGKILL')), 10_000)
    await closed
    clearTimeout(t)
  }
  if (first.skipped) return await stop(), { skipped: first.skipped }
  if (first.error || !first.port || !own) {
    await stop()
    const why = errorLine(stderr)
    return { error: `server: ${first.error || (!first.port ? 'no port' : `printed pid ${first.pid}, which is not the process started`)}${why ? `: ${why}` : ''}` }
  }
  if (seconds === 0 && warmup === 0) {
    await stop()
    return { ops: 0, opsTotal: 0, seconds: 0, cpu: 0, rssKb: 0 }
  }
  let cf = cmd.client.file
  let ca = [String(first.port), ...cmd.client.args, String(first.pid)]
  if (cmd.pin) (ca = ['-c', cmd.pin.client, cf, ...ca]), (cf = 'taskset')
  const c = await spawnAsync(cf, ca, { cwd: ROOT }, (seconds + warmup) * 1000 + 60_000)
  const died = exited
  await stop()
  const out = lastJson(c.stdout)
  if (!out || out.ops === undefined) {
    const how = c.error ? String(c.error) : c.timedOut ? 'timed out' : c.signal ? `killed by ${c.signal}` : `exit code ${c.status}`
    const server = died ? `; the server had exited (${died.signal || `code ${died.code}`})${errorLine(stderr) ? `: ${errorLine(stderr)}` : ''}` : ''
    return { error: `load client: ${how}${errorLine(c.stderr) ? `: ${errorLine(c.stderr)}` : ''}${server}` }
  }
  if (!(out.serverCpu >= 0)) return { error: `could not read the server's CPU time from /proc/${first.pid}/stat` }
  const { serverCpu, serverRssKb, cpu, ...rest } = out
  return { ...rest, cpu: serverCpu, rssKb: serverRssKb, clientCpu: cpu, pinned: !!cmd.pin }
}

/**
 * Runs `fn` with the workload's file fully in the page cache, and again (once) if part of the
 * file left the cache while it ran; a run that lost it twice is an error. Workload 3's files are
 * read through before every run.
 */
async function runCached(w, ctx, fn) {
  if (w.smallFiles) {
    warmFiles(ctx.files)
    return fn()
  }
  if (!w.cachedFile) return fn()
  let out
  for (let attempt = 0; attempt < 2; attempt++) {
    ensureCached(ctx)
    out = await fn()
    const after = resident(ctx)
    if (after === null || after >= 0.999 || out.error || out.skipped) return out
    log(`  (${(after * 100).toFixed(0)}% of the file left in the page cache after a run: ${attempt === 0 ? 'running it again' : 'giving up'})`)
  }
  return { error: 'the file left the page cache during the run, twice' }
}

/** Total syscalls in a `strace -c` summary (with -f: every thread), and the count per syscall. */
function parseStrace(file) {
  const text = fs.readFileSync(file, 'utf8')
  const by = {}
  let total = null
  for (const l of text.split('\n')) {
    const f = l.trim().split(/\s+/)
    if (f.length < 5 || !/^\d+\.\d+$/.test(f[0])) continue
    // % time, seconds, usecs/call, calls, [errors], syscall
    const name = f[f.length - 1]
    const calls = Number(f[3])
    if (name === 'total') total = calls
    else by[name] = calls
  }
  return { total, by }
}

// ---------------------------------------------------------------------------------------------
// A workload: interleaved rounds, then the strace runs, then the summary

/** The workload's variants that --quick and --filter keep (and the C variants they are paired with). */
function selectVariants(w, opts) {
  const all = opts.quick ? w.variants.filter((v) => v.quick !== false) : w.variants
  if (!opts.filter) return all
  const refs = new Set(all.filter((v) => v.id.includes(opts.filter)).map((v) => v.ref).filter(Boolean))
  return all.filter((v) => v.id.includes(opts.filter) || refs.has(v.id))
}

async function runWorkload(key, ctx, opts) {
  const w = WORKLOADS[key]
  const variants = selectVariants(w, opts)
  const res = variants.map((v) => ({ id: v.id, name: v.name, ref: v.ref ?? null, kind: v.c ? 'c' : 'node', uring: !!v.uring, env: v.env ?? {}, params: v.params ?? {}, rounds: [], errors: [], skipped: null }))
  const byId = new Map(res.map((r) => [r.id, r]))
  const cmds = new Map()
  for (const v of variants) {
    const c = command(v, ctx, opts.seconds, opts.warmup)
    if (c.skipped) byId.get(v.id).skipped = c.skipped
    else cmds.set(v.id, c)
  }
  progress.plan(cmds.size - variants.length, opts.rounds)

  log(`\n${w.title}: ${variants.length} variants x ${opts.rounds} rounds of ${opts.seconds} s`)
  for (let round = 0; round < opts.rounds; round++) {
    // Rotate the order every round so no variant always runs right after the same other one.
    const order = variants.map((_, i) => variants[(i + round) % variants.length])
    const parts = []
    for (const v of order) {
      const r = byId.get(v.id)
      if (r.skipped) continue
      progress.start(`${key} round ${round + 1}/${opts.rounds}: ${v.id}`)
      const out = await runCached(w, ctx, () => runOnce(cmds.get(v.id), opts.seconds, opts.warmup))
      if (out.skipped) {
        progress.skip(round, opts.rounds)
        r.skipped = out.skipped
        continue
      }
      if (out.error) {
        r.errors.push(`round ${round + 1}: ${out.error}`)
        r.rounds.push(null)
        parts.push(`${v.id} ERROR`)
        continue
      }
      out.rate = out.ops / out.seconds
      r.rounds.push(out)
      parts.push(`${v.id} ${fmtRate(out.rate)}`)
    }
    log(`  round ${round + 1}/${opts.rounds}: ${parts.join(', ')}`)
  }

  // Syscalls per op: strace -f -c of a timed run minus that of a run that only sets up and
  // tears down, divided by the ops of the timed run (warm-up included: it is traced too).
  if (opts.strace && ctx.strace) {
    log(`  strace: syscalls per op (${opts.quick ? 'the variants with a syscalls target' : `${variants.length} variants`})...`)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-bench-strace-'))
    try {
      // --quick traces only the variants a syscalls target is about.
      const traced = opts.quick ? new Set((TARGETS[key] || []).filter((t) => t.kind === 'syscalls').map((t) => t.a)) : null
      for (const v of variants) {
        const r = byId.get(v.id)
        if (r.skipped) continue
        if (r.rounds.every((x) => x === null) || (traced && !traced.has(v.id))) {
          progress.noStrace()
          continue
        }
        progress.start(`${key} strace: ${v.id}`, true)
        const secs = Math.min(opts.seconds, w.straceSeconds ?? 1)
        const full = await runCached(w, ctx, () => runOnce(command(v, ctx, secs, 0), secs, 0, path.join(dir, `${v.id}.full`)))
        const empty = await runCached(w, ctx, () => runOnce(command(v, ctx, 0, 0), 0, 0, path.join(dir, `${v.id}.empty`)))
        if (full.error || empty.error || full.skipped || empty.skipped) {
          r.errors.push(`strace: ${full.error || empty.error || full.skipped || empty.skipped}`)
          continue
        }
        const a = parseStrace(path.join(dir, `${v.id}.full`))
        const b = parseStrace(path.join(dir, `${v.id}.empty`))
        const ops = full.opsTotal - empty.opsTotal
        if (a.total == null || b.total == null || ops <= 0) continue
        const perOp = {}
        for (const [name, n] of Object.entries(a.by)) {
          const d = (n - (b.by[name] || 0)) / ops
          if (d > 0.0005) perOp[name] = Number(d.toFixed(4))
        }
        r.syscalls = { perOp: Math.max(0, (a.total - b.total) / ops), ops, traced: a.total, setup: b.total, bySyscall: perOp }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }

  // Summary per variant.
  for (const r of res) {
    const ok = r.rounds.filter(Boolean)
    if (ok.length === 0) continue
    const rates = ok.map((x) => x.rate)
    r.median = median(rates)
    r.min = Math.min(...rates)
    r.max = Math.max(...rates)
    r.cpuPerMillion = median(ok.map((x) => (x.cpu / x.ops) * 1e6))
    // CPUs kept busy on average (more than 1: helper threads, e.g. libuv's pool or an SQPOLL thread).
    r.cores = median(ok.map((x) => x.cpu / x.seconds))
    r.rssKb = Math.max(...ok.map((x) => x.rssKb))
    // Workload 4: how busy the load client was (near 1, it may be what limits the rate).
    if (ok.every((x) => x.clientCpu != null)) r.clientCores = median(ok.map((x) => x.clientCpu / x.seconds))
    const { ops, seconds, cpu, rssKb, opsTotal, rate, warning, clientCpu, ...extra } = ok[ok.length - 1]
    r.info = extra
    r.warnings = [...new Set(ok.map((x) => x.warning).filter(Boolean))]
    if (r.ref) {
      r.ratio = paired(byId, r.id, r.ref)
      r.cpuRatio = paired(byId, r.id, r.ref, (x) => x.ops / x.cpu)
    }
  }
  return { key, title: w.title, unit: w.unit, variants: res, targets: checkTargets(key, byId) }
}

/**
 * Median over rounds of a's rate / b's rate in the same round (or of another per-round measure:
 * ops per CPU second is what the cpuRatio pairs).
 */
function paired(byId, a, b, measure = (x) => x.rate) {
  const x = byId.get(a)
  const y = byId.get(b)
  if (!x || !y) return null
  const rs = []
  for (let i = 0; i < Math.min(x.rounds.length, y.rounds.length); i++) {
    if (x.rounds[i] && y.rounds[i]) rs.push(measure(x.rounds[i]) / measure(y.rounds[i]))
  }
  return median(rs)
}

function checkTargets(key, byId) {
  return (TARGETS[key] || []).map((t) => {
    const a = byId.get(t.a)
    const b = t.b ? byId.get(t.b) : null
    const missing = [a, ...(t.b ? [b] : [])].find((v) => !v || v.skipped || v.median == null)
    if (!a || (t.b && !b)) return { ...t, value: null, status: 'n/a (filtered out)' }
    if (missing) return { ...t, value: null, status: `n/a (${missing.skipped ? `${missing.id} skipped: ${missing.skipped}` : `${missing.id} has no result`})` }
    let value
    let pass
    let perCpu
    if (t.kind === 'ratio') (value = paired(byId, t.a, t.b)), (pass = value >= t.min), (perCpu = paired(byId, t.a, t.b, (x) => x.ops / x.cpu))
    else if (t.kind === 'rate') (value = a.median), (pass = value >= t.min)
    else if (t.kind === 'syscalls') {
      if (!a.syscalls) return { ...t, value: null, status: 'n/a (no strace run)' }
      ;(value = a.syscalls.perOp), (pass = value <= t.max)
    } else (value = a.rssKb / b.rssKb), (pass = value <= t.max)
    return { ...t, value, ...(perCpu != null ? { perCpu } : {}), status: pass ? 'met' : 'MISSED' }
  })
}

// ---------------------------------------------------------------------------------------------
// Output

function printWorkload(r, refNames) {
  // A ratio names its reference when that is not the C row above it.
  let lastRef = null
  const rows = r.variants.map((v) => {
    if (!v.ref) lastRef = v.id
    if (v.median == null) return [v.name, v.skipped ? 'skipped' : 'failed', ...new Array(7).fill('')]
    return [
      v.name + (v.errors.length ? ' (!)' : ''),
      fmtRate(v.median),
      `${fmtRate(v.min)}-${fmtRate(v.max)}`,
      v.ref ? (v.ratio == null ? '-' : `${v.ratio.toFixed(2)}${v.ref !== lastRef ? ` (${refNames[v.ref] ?? `vs ${v.ref}`})` : ''}`) : 'ref',
      v.ref ? fmtNum(v.cpuRatio, 2) : 'ref',
      v.syscalls ? fmtNum(v.syscalls.perOp, 3) : '-',
      fmtNum(v.cpuPerMillion, 2),
      fmtNum(v.cores, 2),
      `${(v.rssKb / 1024).toFixed(1)} MB`,
    ]
  })
  const out = [`\n## ${r.title}\n`]
  out.push(
    table(
      ['variant', `${r.unit}/s (median)`, 'min-max', 'x C liburing', 'x C per CPU s', `syscalls/${r.unit.replace(/s$/, '')}`, `CPU s/1M ${r.unit}`, 'CPUs busy', 'peak RSS'],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  )
  const notes = []
  for (const v of r.variants) {
    if (v.skipped) notes.push(`${v.name}: skipped: ${v.skipped}`)
    else if (v.median == null && !v.errors.length) notes.push(`${v.name}: failed: no result`)
    if (v.errors.length) notes.push(`${v.name}: ${v.errors.join('; ')}`)
    for (const w of v.warnings || []) notes.push(`${v.name}: ${w}`)
    if (v.clientCores > 0.9) notes.push(`${v.name}: the load client kept ${v.clientCores.toFixed(2)} of a CPU busy: it may be what limits this rate`)
  }
  const ref = r.variants[0]
  if (ref.cores != null && ref.cores < 0.85) {
    notes.push(`${ref.name} had ${ref.cores.toFixed(2)} of a CPU on median: other work shared the CPUs, so rates are low and ratios skewed by who got how much CPU; "x C per CPU s" (ops per CPU second, paired) is steadier`)
  }
  if (notes.length) out.push('\n' + notes.map((n) => `- ${n}`).join('\n'))
  if (r.targets.length) {
    out.push('\nTargets (BENCH.md; differences under ~15% are noise on this machine):')
    for (const t of r.targets) {
      // Ratio targets also show the per-CPU-second ratio: when other work took CPU time from one
      // side more than the other, that one tells what the wall-clock ratio cannot.
      const v = t.value == null ? '' : t.kind === 'rate' ? ` ${fmtRate(t.value)}/s` : t.kind === 'syscalls' ? ` ${fmtNum(t.value, 3)}` : ` ${t.value.toFixed(2)}x${t.perCpu != null ? ` (per CPU s: ${t.perCpu.toFixed(2)}x)` : ''}`
      out.push(`  ${t.status === 'met' ? 'met   ' : t.status === 'MISSED' ? 'MISSED' : '  -   '} ${t.what}:${v}${t.status.startsWith('n/a') ? ` ${t.status}` : ''}`)
    }
  }
  const text = out.join('\n') + '\n'
  process.stdout.write(text)
  return text
}

// ---------------------------------------------------------------------------------------------
// Machine and options, for results.json (and the chart's title: bench/chart.js)

/** One markdown paragraph: the machine, the software and the run's options. */
function machineLine(m) {
  const o = m.options
  const mem = `${Math.round(os.totalmem() / 2 ** 30)} GiB`
  return (
    `Machine: ${m.cpus} x ${m.cpu ?? 'unknown CPU'}, ${mem} RAM, Linux ${m.kernel}, Node ${m.node}` +
    `${m.liburingDev ? `, liburing-dev ${m.liburingDev}` : ''}${m.file?.fsType ? `, files on ${m.file.fsType}` : ''}. ` +
    `Run ${m.date.slice(0, 16).replace('T', ' ')} UTC at commit ${m.commit ?? '?'}: ${o.rounds} rounds of ${o.seconds} s per variant` +
    ` (${o.warmup} s warm-up)${o.quick ? ', --quick' : ''}${o.strace ? '' : ', no strace'}, ${Math.round(m.totalSeconds ?? 0)} s in all.\n`
  )
}

function meta(opts, ctx) {
  let kernel = os.release()
  let liburing = null
  try {
    liburing = cp.execFileSync('dpkg-query', ['-W', '-f=${Version}', 'liburing-dev'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) || null
  } catch {}
  let fsType = null
  try {
    fsType = cp.execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', os.tmpdir()], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null
  } catch {}
  let commit = null
  try {
    commit = cp.execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {}
  return {
    date: new Date().toISOString(),
    node: process.version,
    kernel,
    cpu: os.cpus()[0]?.model ?? null,
    cpus: os.cpus().length,
    loadavg: os.loadavg(),
    commit,
    liburingDev: liburing,
    options: { rounds: opts.rounds, seconds: opts.seconds, warmup: opts.warmup, quick: opts.quick, fileMb: opts.fileMb, strace: opts.strace && ctx.strace },
    file: ctx.file ? { path: ctx.file, bytes: ctx.size, fsType, warmReadSeconds: ctx.warmReadSeconds, rewarms: ctx.rewarms, residencyChecked: ctx.fincore } : null,
    files: ctx.files ? { count: ctx.files.count, bytes: ctx.files.size, inFlight: FILES_QD } : null,
    echo: { ...ECHO, pinned: pinned ?? null },
    copy: ctx.copy ? { path: ctx.copy.file, bytes: ctx.copy.size, chunk: COPY.chunk, inFlight: COPY.qd, rewarms: ctx.copy.rewarms } : null,
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const keys = opts.only.length ? [...new Set(opts.only)] : Object.keys(WORKLOADS)
  const t0 = performance.now()
  const ctx = { strace: opts.strace && which('strace') }
  if (opts.strace && !ctx.strace) log('strace not found: syscalls/op will not be measured')
  progress.setup(opts, ctx.strace)
  for (const k of keys) progress.plan(selectVariants(WORKLOADS[k], opts).length, opts.rounds)
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) log('dist/ is missing: build the package first (npm run build); the uring variants will fail')
  if (keys.includes('read4k')) Object.assign(ctx, prepareFile(opts.fileMb))
  if (keys.includes('files')) ctx.files = prepareFiles(FILES)
  // Workload 5 copies the workload-1 file (a smaller one with --quick), with its own residency
  // bookkeeping: its runs go through a context of their own.
  const copyMb = opts.quick ? Math.min(COPY.quickMb, opts.fileMb) : opts.fileMb
  if (keys.includes('copy')) ctx.copy = ctx.file && ctx.size === copyMb * 1024 * 1024 ? ctx : { strace: ctx.strace, ...prepareFile(copyMb) }
  if (ctx.copy) removeStaleCopies(ctx.copy.file)
  const results = []
  try {
    for (const k of keys) {
      const r = await runWorkload(k, WORKLOADS[k].copyFile ? ctx.copy : ctx, opts)
      results.push(r)
    }
  } finally {
    if (ctx.files) fs.rmSync(ctx.files.dir, { recursive: true, force: true })
  }
  const refNames = { 'c-nop-256': 'vs C batch 256', 'c-nop-32': 'vs C batch 32', 'c-nop-1': 'vs C batch 1', 'c-uring': 'vs C liburing', 'c-uring-qd32': 'vs C QD32', 'c-chain': 'vs C chain' }
  progress.finish()
  const tables = results.map((r) => printWorkload(r, refNames))
  const doc = { meta: meta(opts, ctx), workloads: Object.fromEntries(results.map((r) => [r.key, r])) }
  doc.meta.totalSeconds = (performance.now() - t0) / 1000
  fs.writeFileSync(opts.out, JSON.stringify(doc, null, 2) + '\n')
  // The same tables as markdown, headed by the machine they ran on: what bench/README.md shows.
  const md = opts.out.replace(/\.json$/, '') + '.md'
  fs.writeFileSync(md, machineLine(doc.meta) + '\n' + tables.join(''))
  // The chart (bench/chart.js: Vega-Lite rendered to SVG). vega and vega-lite are devDependencies:
  // without them the run still has its tables and results.json, and `node bench/chart.js` redraws.
  let wrote = `${path.relative(process.cwd(), opts.out) || opts.out}, ${path.relative(process.cwd(), md) || md}`
  try {
    fs.writeFileSync(opts.chart, await require('./chart').renderChart(doc))
    wrote += ` and ${path.relative(process.cwd(), opts.chart) || opts.chart}`
  } catch (e) {
    log(`no chart: ${e.code === 'ERR_MODULE_NOT_FOUND' ? 'vega / vega-lite not installed (npm install)' : e.stack || e}`)
  }
  process.stdout.write(`\nWrote ${wrote} (${doc.meta.totalSeconds.toFixed(0)} s in all; ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}).\n`)
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
