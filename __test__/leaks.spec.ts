/**
 * Leaks (issue 9): open fds and memory before and after 1,000,000 mixed ops (batch NOPs, batch
 * reads, ring.run and uring/os ops) and after 1,000-ring runs of rings created and closed (batch
 * only, driver started, registered buffers and files, closed with a read in flight). Each runs in
 * its own `node --expose-gc` child (__test__/fixtures/leaks-child.js) so that nothing else in the
 * ava worker moves the numbers; the child warms up, measures (A), does the work (B), does it again
 * (C).
 *
 * - fds: the same set, fd for fd, at A, B and C.
 * - V8 heap and ArrayBuffers after GC: within 2 MiB (exact accounting; a retained op object,
 *   promise or buffer per op would be tens of MiB here).
 * - RSS after GC: measured noise (this machine, 2 cores, loaded) for 1,000,000 mixed ops was up to
 *   ~9 MiB for A->C at the default scale (the allocator and V8 keep pages they grew to), and up to
 *   ~3 MiB for 1,000 rings; so the bounds are 24 MiB for 2,000,000 ops (a native leak of 12 bytes
 *   per op would pass it) and 4 MiB per 1,000 rings between B and C (a closed ring's native state
 *   is ~7 KiB: leaking it whole would fail; a leak below 4 KiB per ring would not). Slow leaks
 *   below these show with URING_LEAK_SCALE=10 (ten times the work, same bounds).
 *
 * Default cost ~8 s; URING_LEAK_SCALE=n does n times the work (n x 1,000,000 ops, n x 3,000 rings).
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import { spawn } from 'node:child_process'
import { tmpFile } from './_helpers'
import { fixture } from './_driver'

const SCALE = Math.max(1, Number(process.env.URING_LEAK_SCALE) || 1)
const MiB = 1024 * 1024

interface Report {
  which: string
  scale: number
  ms: number
  fds: number
  fdsAB: { added: string[]; gone: string[] }
  fdsAC: { added: string[]; gone: string[] }
  rssA: number
  rssIdle: number
  rssB: number
  rssC: number
  heapA: number
  heapC: number
  arrayBuffersA: number
  arrayBuffersC: number
  error?: string
}

function child(t: ExecutionContext, which: string, scale: number, file: string): Promise<Report> {
  const c = spawn(process.execPath, ['--expose-gc', fixture('leaks-child.js'), which, String(scale), file], { stdio: ['ignore', 'pipe', 'pipe'] })
  // A hang guard only: the default run takes seconds.
  const guard = setTimeout(() => c.kill('SIGKILL'), 120_000 * scale)
  t.teardown(() => {
    clearTimeout(guard)
    c.kill('SIGKILL')
  })
  let out = ''
  let err = ''
  c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
  return new Promise((resolve, reject) =>
    c.on('close', (code, signal) => {
      clearTimeout(guard)
      if (code !== 0 || signal !== null) return reject(new Error(`leaks child ${which}: code ${code} signal ${signal}; ${err} ${out}`))
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Report)
    }),
  )
}

function common(t: ExecutionContext, r: Report): void {
  t.is(r.error, undefined)
  t.log(
    `${r.which} x${r.scale}: ${r.ms} ms; RSS A ${(r.rssA / MiB).toFixed(1)} MiB, idle ${((r.rssIdle - r.rssA) / MiB).toFixed(2)}, ` +
      `A->B ${((r.rssB - r.rssA) / MiB).toFixed(2)}, B->C ${((r.rssC - r.rssB) / MiB).toFixed(2)} MiB; heap ${((r.heapC - r.heapA) / MiB).toFixed(2)} MiB; ${r.fds} fds`,
  )
  t.deepEqual(r.fdsAB, { added: [], gone: [] }, 'the same fds after the work as before it')
  t.deepEqual(r.fdsAC, { added: [], gone: [] }, 'and after doing it again')
  t.true(r.heapC - r.heapA < 2 * MiB, `V8 heap after GC grew ${r.heapC - r.heapA} bytes`)
  t.true(r.arrayBuffersC - r.arrayBuffersA < 2 * MiB, `ArrayBuffers after GC grew ${r.arrayBuffersC - r.arrayBuffersA} bytes`)
}

test.serial(`${(2 * SCALE).toLocaleString('en')},000,000 mixed ops (batch NOPs and reads, ring.run, uring/os): fds exact, heap flat, RSS within 24 MiB`, async (t) => {
  const file = tmpFile(t, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37 + 11) & 0xff)))
  const r = await child(t, 'mixed', SCALE, file)
  common(t, r)
  t.true(r.rssC - r.rssA < 24 * MiB, `RSS after GC grew ${((r.rssC - r.rssA) / MiB).toFixed(2)} MiB over ${2 * SCALE}M ops`)
})

test.serial(`${(6 * SCALE).toLocaleString('en')},000 rings created and closed (batch, driver, registered buffers/files, a read in flight): fds exact, RSS flat`, async (t) => {
  const file = tmpFile(t, Buffer.alloc(4096, 7))
  t.teardown(() => fs.rmSync(`${file}.fifo`, { force: true }))
  const r = await child(t, 'rings', 3 * SCALE, file)
  common(t, r)
  t.true(r.rssC - r.rssB < 4 * MiB, `RSS after GC grew ${((r.rssC - r.rssB) / MiB).toFixed(2)} MiB between the two runs of ${3 * SCALE},000 rings`)
})
