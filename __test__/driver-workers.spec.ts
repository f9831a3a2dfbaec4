/**
 * worker_threads: each worker drives its own ring (__test__/fixtures/driver-worker.js). Workers
 * read concurrently with correct bytes; a worker terminated with ops in flight leaves this
 * process running, and its env cleanup hook closes its ring (the process's io_uring fds, read
 * from /proc/self/fd, go back to what they were; the cancelled read took nothing from the pipe).
 * Cases that count fds run serially.
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import { Worker } from 'node:worker_threads'
import { Ring, op } from '../index'
import type { RingOptions } from '../index'
import { ring, skipNote, tmpFile } from './_helpers'
import { MODES, fifoPair, fixture, ringFds } from './_driver'

type Msg = { type: string; [k: string]: unknown }

function worker(t: ExecutionContext, data: Record<string, unknown>): { w: Worker; next: (type: string) => Promise<Msg>; exit: Promise<number> } {
  const w = new Worker(fixture('driver-worker.js'), { workerData: data })
  const got: Msg[] = []
  const waiting: Array<{ type: string; resolve: (m: Msg) => void }> = []
  w.on('message', (m: Msg) => {
    if (m.type === 'error') t.fail(`worker: ${String(m.message)}`)
    const i = waiting.findIndex((x) => x.type === m.type)
    if (i >= 0) waiting.splice(i, 1)[0].resolve(m)
    else got.push(m)
  })
  w.on('error', (e) => t.fail(`worker error: ${e.stack}`))
  const exit = new Promise<number>((resolve) => w.on('exit', resolve))
  t.teardown(() => w.terminate())
  return {
    w,
    exit,
    next: (type) => {
      const i = got.findIndex((m) => m.type === type)
      if (i >= 0) return Promise.resolve(got.splice(i, 1)[0])
      return new Promise((resolve) => waiting.push({ type, resolve }))
    },
  }
}

function patternFile(t: ExecutionContext, n: number): string {
  const b = Buffer.alloc(n * 4)
  for (let i = 0; i < n; i++) b.writeUInt32LE((i * 2654435761) >>> 0, i * 4)
  return tmpFile(t, b)
}

test.serial('four workers, each with its own ring, read concurrently with the main thread: every byte right', async (t) => {
  const per = 5000
  const file = patternFile(t, per * 5)
  const ws = [0, 1, 2, 3].map((k) => worker(t, { case: 'reads', file, count: per, offset: k * per }))
  // The main thread reads the last fifth meanwhile.
  const r = ring(t)
  const fd = fs.openSync(file, 'r')
  t.teardown(() => fs.closeSync(fd))
  const bufs = Array.from({ length: per }, () => Buffer.alloc(4))
  const mine = Promise.all(bufs.map((b, i) => r.run(op.read(fd, b, (4 * per + i) * 4))))
  const msgs = await Promise.all(ws.map((w) => w.next('done')))
  t.true((await mine).every((n) => n === 4))
  t.true(bufs.every((b, i) => b.readUInt32LE(0) === ((4 * per + i) * 2654435761) >>> 0))
  msgs.forEach((m, k) => {
    t.true(m.ok, `worker ${k}: every read returned 4`)
    const values = m.values as number[]
    let wrong = 0
    for (let i = 0; i < per; i++) if (values[i] !== ((k * per + i) * 2654435761) >>> 0) wrong++
    t.is(wrong, 0, `worker ${k}: every value from its own offsets`)
    t.is(m.deferTaskrun, r.params.flags.deferTaskrun, `worker ${k}: same default mode as the main thread`)
  })
  t.deepEqual(await Promise.all(ws.map((w) => w.exit)), [0, 0, 0, 0])
})

async function terminatedWith(t: ExecutionContext, which: string, options?: RingOptions): Promise<void> {
  const { fd, path: fifo } = fifoPair(t)
  const base = ringFds()
  const w = worker(t, { case: which, fifo, options })
  const ready = await w.next('ready')
  t.true((ready.inFlight as number) >= 1, `the worker has ops in flight (${String(ready.inFlight)})`)
  t.is(ringFds(), base + 1, 'the worker\'s ring is open')
  await w.w.terminate()
  t.is(await w.exit, 1, 'terminated')
  t.is(ringFds(), base, 'the env cleanup hook closed the worker\'s ring')
  // The worker's read was cancelled, not left in the kernel: what is written now stays in the pipe.
  fs.writeSync(fd, 'after-terminate')
  const back = Buffer.alloc(32)
  t.is(fs.readSync(fd, back), 15)
  t.is(back.toString('latin1', 0, 15), 'after-terminate')
  // This thread's rings still work.
  const r = new Ring()
  t.is(await r.run(op.nop()), 0)
  r.close()
}

test.serial('a worker terminated with a pipe read in flight: this process goes on, the worker\'s ring is closed', (t) => terminatedWith(t, 'pending'))

for (const mode of MODES) {
  const title = `[${mode.name}] a worker terminated with a pipe read in flight on a ring of this mode` + skipNote(mode.ok, mode.name, mode.since)
  ;(mode.ok ? test.serial : test.skip)(title, (t) => terminatedWith(t, 'pending', mode.options))
}

test.serial('a worker terminated with a read, a timeout, a chain and a stream in flight', (t) => terminatedWith(t, 'pending-many'))

test.serial('a worker terminated in the middle of a busy loop with a read in flight', (t) => terminatedWith(t, 'busy'))

test.serial('a worker that returns with its ops done (ring left open) ends by itself; its ring is closed', async (t) => {
  const file = patternFile(t, 4)
  const base = ringFds()
  const w = worker(t, { case: 'return', file })
  const m = await w.next('done')
  t.is(m.n, 4)
  t.is(m.value, 0 * 2654435761)
  t.is(m.inFlight, 0)
  t.is(await w.exit, 0, 'the worker ended on its own: nothing held its loop')
  t.is(ringFds(), base, 'the ring it never closed was closed at its exit')
})

test.serial('a worker with ring.unref() ends by itself with a read pending; the ring is closed', async (t) => {
  const { fd, path: fifo } = fifoPair(t)
  const base = ringFds()
  const w = worker(t, { case: 'unref', fifo })
  const ready = await w.next('ready')
  t.is(ready.inFlight, 1)
  t.is(await w.exit, 0)
  t.is(ringFds(), base)
  fs.writeSync(fd, 'x')
  t.is(fs.readSync(fd, Buffer.alloc(4)), 1, 'the pending read was cancelled, not left to take the data')
})

test.serial('close() in a worker with runs pending: they reject with ERR_URING_CLOSED', async (t) => {
  const { path: fifo } = fifoPair(t)
  const w = worker(t, { case: 'close', fifo })
  const m = await w.next('done')
  t.is(m.before, 2)
  t.is(m.cancelled, 2)
  t.deepEqual(m.codes, ['ERR_URING_CLOSED', 'ERR_URING_CLOSED', 'ERR_URING_CLOSED'], 'in flight and staged alike')
  t.is(await w.exit, 0)
})
