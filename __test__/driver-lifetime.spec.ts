/**
 * Process lifetime with the driver, in child processes (__test__/fixtures/driver-lifetime.js)
 * that never close their ring: a process exits by itself once nothing is in flight, stays while
 * a read is pending on a pipe (and receives what is written to it later), exits with the read
 * pending after `ring.unref()`, and stays again after `ring.ref()`. Whether the child stayed is
 * shown by what it read, not by timing.
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { spawn, execFileSync } from 'node:child_process'
import { tempDir } from './_helpers'
import { delay, fixture } from './_driver'

interface Child {
  /** Resolves with the first stdout line starting with `prefix`. */
  line: (prefix: string) => Promise<string>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string }>
  exitCode: () => number | null
}

function start(t: ExecutionContext, which: string, fifo: string, nodeArgs: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeArgs, fixture('driver-lifetime.js'), which, fifo], { stdio: ['ignore', 'pipe', 'pipe'] })
  // A child that never exits fails the test instead of hanging it.
  const guard = setTimeout(() => child.kill('SIGKILL'), 15_000)
  t.teardown(() => {
    clearTimeout(guard)
    child.kill('SIGKILL')
  })
  const lines: string[] = []
  let stderr = ''
  const waiting: Array<{ prefix: string; resolve: (s: string) => void }> = []
  let buf = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d: string) => {
    buf += d
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i)
      buf = buf.slice(i + 1)
      lines.push(l)
      for (let k = waiting.length - 1; k >= 0; k--) {
        if (l.startsWith(waiting[k].prefix)) waiting.splice(k, 1)[0].resolve(l)
      }
    }
  })
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (d: string) => (stderr += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(guard)
      for (const w of waiting) w.resolve(`(exited before a line starting with "${w.prefix}")`)
      resolve({ code, signal, lines, stderr })
    }),
  )
  return {
    line: (prefix) => {
      const have = lines.find((l) => l.startsWith(prefix))
      if (have !== undefined) return Promise.resolve(have)
      return new Promise((resolve) => waiting.push({ prefix, resolve }))
    },
    exited,
    exitCode: () => child.exitCode,
  }
}

function mkfifo(t: ExecutionContext): string {
  const p = path.join(tempDir(t), 'fifo')
  execFileSync('mkfifo', [p])
  return p
}

/** Writes to the FIFO only if a reader has it open (ENXIO otherwise: never blocks). */
function writeFifo(p: string, data: string): void {
  const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
  try {
    fs.writeSync(fd, data)
  } finally {
    fs.closeSync(fd)
  }
}

function exitedCleanly(t: ExecutionContext, r: { code: number | null; signal: NodeJS.Signals | null; stderr: string }, what: string): void {
  t.is(r.signal, null, `${what}: exited by itself, not killed (stderr: ${r.stderr})`)
  t.is(r.code, 0, `${what}: exit code 0 (stderr: ${r.stderr})`)
}

test('a process whose ops have all completed exits by itself (the ring is never closed)', async (t) => {
  const c = start(t, 'idle', mkfifo(t))
  const r = await c.exited
  exitedCleanly(t, r, 'idle')
  t.deepEqual(r.lines, ['done 8 inFlight=0'])
})

/** A child whose read must keep it alive until this process writes `data` to the FIFO. */
async function staysForData(t: ExecutionContext, which: string): Promise<void> {
  const fifo = mkfifo(t)
  const c = start(t, which, fifo)
  t.is(await c.line('reading'), 'reading inFlight=1')
  // Give a wrongly unref'd child ample time to be gone; what it prints below is the proof.
  await delay(150)
  t.is(c.exitCode(), null, 'still running with the read pending')
  writeFifo(fifo, `data-for-${which}`)
  const r = await c.exited
  exitedCleanly(t, r, which)
  t.true(r.lines.includes(`got data-for-${which}`), `the child was alive to read what was written later: ${JSON.stringify(r.lines)}`)
}

test('a read pending on a pipe keeps the process alive until another process writes', (t) => staysForData(t, 'pending'))

test('ring.unref() then ring.ref() before the first op: the pending read keeps the process alive', (t) => staysForData(t, 'ref-again'))

test('ring.unref() then ring.ref() with the read in flight: it keeps the process alive', (t) => staysForData(t, 'ref-after-unref-late'))

test('two rings, one idle and one with a read pending: the process stays for the pending one', (t) => staysForData(t, 'two-rings'))

test('the pending read alone keeps the loop alive: an unref\'d timer gets to write to the pipe', async (t) => {
  const c = start(t, 'unref-timer', mkfifo(t))
  const r = await c.exited
  exitedCleanly(t, r, 'unref-timer')
  t.deepEqual(r.lines, ['reading inFlight=1', 'got from-timer'])
})

test('with ring.unref() (before the first op) the process exits with the read still pending', async (t) => {
  const c = start(t, 'unref', mkfifo(t))
  const r = await c.exited
  exitedCleanly(t, r, 'unref')
  t.deepEqual(r.lines, ['reading inFlight=1'], 'the read never completed: nobody wrote')
})

test('ring.unref() with the read already in flight: the process exits', async (t) => {
  const c = start(t, 'unref-late', mkfifo(t))
  const r = await c.exited
  exitedCleanly(t, r, 'unref-late')
  t.deepEqual(r.lines, ['reading inFlight=1', 'unref'])
})

test('a throw inside a user\'s .then is an unhandled rejection; the driver goes on settling ops', async (t) => {
  const c = start(t, 'throw-in-then', mkfifo(t))
  const r = await c.exited
  exitedCleanly(t, r, 'throw-in-then')
  t.true(r.lines.includes('unhandled from user code'), JSON.stringify(r.lines))
  t.true(r.lines.includes('unhandled again'), JSON.stringify(r.lines))
  t.true(r.lines.includes('got after-throws'), 'a later completion (through the poll handle) still settles')
  t.true(r.lines.includes('unhandled in a wakeup'), JSON.stringify(r.lines))
  t.true(r.lines.includes('nop 0'), 'and a later run too')
  t.true(r.lines.includes('got second'), 'and a later wakeup after a throw inside one')
})

test('process.exit() with a read in flight exits with its code (the ring is closed on the way out)', async (t) => {
  const c = start(t, 'exit-call', mkfifo(t))
  const r = await c.exited
  t.is(r.signal, null, r.stderr)
  t.is(r.code, 7, r.stderr)
  t.deepEqual(r.lines, ['reading inFlight=1'])
})

test('an uncaught exception with a read in flight exits with code 1, not a crash of the addon', async (t) => {
  const c = start(t, 'uncaught', mkfifo(t))
  const r = await c.exited
  t.is(r.signal, null, r.stderr)
  t.is(r.code, 1)
  t.true(r.stderr.includes('boom'), r.stderr)
})

test('garbage collection: an idle ring nobody holds is collected and closed; an unref\'d one with a read in flight is not, and its promise settles', async (t) => {
  const c = start(t, 'gc', mkfifo(t), ['--expose-gc'])
  const r = await c.exited
  exitedCleanly(t, r, 'gc')
  t.deepEqual(r.lines, ['open 2', 'after gc 1', 'got late'])
})
