// uring/fs: what the kernel really did (bytes in files, stat fields), compared with what
// node:fs/promises gives for the same call: results, Stats and errors field by field.
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as nfs from 'node:fs/promises'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { execFileSync, spawn } from 'node:child_process'
import * as crypto from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import * as ufs from '../lib/fs'
import { ring } from '../lib/os'
import { Ring } from '../index'
import { ringFeature, skipNote, tempDir, testOnRing, testOnRingSerial } from './_helpers'
import { buildNoring } from './_noring'

const repo = path.resolve(__dirname, '..', '..')

/** The error a call gives (undefined if none), as the fields a program can see. */
async function errorOf(p: () => Promise<unknown>): Promise<Record<string, unknown> | undefined> {
  try {
    await p()
  } catch (e) {
    const o: Record<string, unknown> = { name: (e as Error).name, message: (e as Error).message, keys: Object.keys(e as object) }
    for (const k of Object.keys(e as object)) o[k] = (e as Record<string, unknown>)[k]
    o.ctor = (e as object).constructor.name
    return o
  }
  return undefined
}

/** Both modules give the same error (or none) for the same call. */
async function sameError(t: ExecutionContext, f: (m: typeof nfs) => Promise<unknown>, label: string): Promise<void> {
  const a = await errorOf(() => f(ufs as unknown as typeof nfs))
  const b = await errorOf(() => f(nfs))
  t.deepEqual(a, b, label)
}

/** A handle whose methods take anything (for calls with wrong arguments). */
type Loose = Record<'read' | 'write' | 'writev', (...a: unknown[]) => Promise<unknown>>

function writeTemp(t: ExecutionContext, name: string, data: string | Buffer): string {
  const f = path.join(tempDir(t), name)
  fs.writeFileSync(f, data)
  return f
}

testOnRing('backend is io_uring here; configure reports its settings', (t) => {
  t.is(ufs.backend(), 'io_uring')
  t.deepEqual(ufs.configure(), { fallback: true })
  t.is(ufs.constants, fs.constants)
})

// ---- Stats ---------------------------------------------------------------------------------------

test('stat / lstat / File.stat are Node Stats equal field by field to node:fs ones', async (t) => {
  const dir = tempDir(t)
  const f = path.join(dir, 'f')
  fs.writeFileSync(f, 'x'.repeat(1234))
  fs.symlinkSync(f, path.join(dir, 'l'))
  for (const p of [f, dir, path.join(dir, 'l'), '/dev/null', '/proc/self/status']) {
    const a = await ufs.stat(p)
    t.true(a instanceof fs.Stats)
    t.deepEqual(a, await nfs.stat(p), p)
    t.deepEqual(Object.keys(a), Object.keys(await nfs.stat(p)))
    t.deepEqual(await ufs.lstat(p), await nfs.lstat(p), `lstat ${p}`)
    const big = await ufs.stat(p, { bigint: true })
    t.is(typeof big.ino, 'bigint')
    t.is(typeof big.mtimeNs, 'bigint')
    t.deepEqual(big, await nfs.stat(p, { bigint: true }), `bigint ${p}`)
  }
  t.true((await ufs.lstat(path.join(dir, 'l'))).isSymbolicLink())
  t.true((await ufs.stat(dir)).isDirectory())
  t.true((await ufs.stat('/dev/null')).isCharacterDevice())
  const h = await ufs.open(f)
  const nh = await nfs.open(f)
  t.teardown(() => nh.close())
  t.deepEqual(await h.stat(), await nh.stat())
  t.deepEqual(await h.stat({ bigint: true }), await nh.stat({ bigint: true }))
  await h.close()
})

// ---- readFile ------------------------------------------------------------------------------------

test('readFile: small, empty, exactly 64 KiB, big, encodings, Buffer and URL paths', async (t) => {
  const dir = tempDir(t)
  const sizes = [0, 1, 4096, 65535, 65536, 65537, 3 * 1024 * 1024 + 7]
  for (const n of sizes) {
    const data = Buffer.alloc(n)
    for (let i = 0; i < n; i++) data[i] = (i * 7 + n) & 0xff
    const f = path.join(dir, `f${n}`)
    fs.writeFileSync(f, data)
    const got = await ufs.readFile(f)
    t.true(Buffer.isBuffer(got))
    t.true(got.equals(data), `size ${n}`)
    t.is(got.length, n)
    t.true((await ufs.readFile(Buffer.from(f))).equals(data))
    t.true((await ufs.readFile(pathToFileURL(f))).equals(data))
  }
  const txt = path.join(dir, 't')
  fs.writeFileSync(txt, 'héllo wörld')
  t.is(await ufs.readFile(txt, 'utf8'), 'héllo wörld')
  t.is(await ufs.readFile(txt, { encoding: 'base64' }), await nfs.readFile(txt, { encoding: 'base64' }))
  t.is(await ufs.readFile(txt, { encoding: 'latin1', flag: 'r+' }), await nfs.readFile(txt, 'latin1'))
})

test('readFile: /proc and /sys files (size 0 or 4096 in stat) read to their end as Node does', async (t) => {
  for (const p of ['/proc/self/stat', '/proc/cpuinfo', '/proc/self/mountinfo', '/proc/version', '/sys/kernel/mm/transparent_hugepage/enabled']) {
    if (!fs.existsSync(p)) continue
    const a = await ufs.readFile(p, 'utf8')
    const b = await nfs.readFile(p, 'utf8')
    t.true(a.length > 0, p)
    // Content may move between two reads (/proc/self/stat); the shape may not.
    t.is(a.split('\n').length, b.split('\n').length, p)
  }
  t.is(await ufs.readFile('/proc/version', 'utf8'), fs.readFileSync('/proc/version', 'utf8'))
})

test('readFile: a file that grew past the first read is read to its end', async (t) => {
  const f = writeTemp(t, 'grow', 'a'.repeat(1000))
  fs.appendFileSync(f, 'b'.repeat(200000))
  t.is((await ufs.readFile(f, 'utf8')).length, 201000)
})

/** Whether mkfifo(1) runs here: the FIFO tests make their FIFO with it. */
const hasMkfifo = ((): boolean => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-fifo-'))
  try {
    execFileSync('mkfifo', [path.join(dir, 'p')], { stdio: 'ignore' })
    return true
  } catch {
    return false
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})()
/** `run` (test or testOnRing) with mkfifo, else `test.skip` saying so in the title. */
function withMkfifo(run: (title: string, impl: (t: ExecutionContext) => Promise<void>) => void): (title: string, impl: (t: ExecutionContext) => Promise<void>) => void {
  return (title, impl) => (hasMkfifo ? run(title, impl) : test.skip(`${title} (skipped: no mkfifo(1) here to make the FIFO)`, impl))
}

withMkfifo(test)('readFile: a FIFO is read to EOF (the chain backs off with ESPIPE before taking a byte)', async (t) => {
  const dir = tempDir(t)
  const fifo = path.join(dir, 'fifo')
  execFileSync('mkfifo', [fifo])
  const payload = 'z'.repeat(300000)
  const child = spawn(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(fifo)}, 'z'.repeat(${payload.length}))`])
  t.teardown(() => child.kill())
  const got = await ufs.readFile(fifo, 'utf8')
  t.is(got.length, payload.length)
  t.is(got, payload)
})

withMkfifo(testOnRing)('readFile: a FIFO waits for its writer; aborting the wait rejects with an AbortError', async (t) => {
  const dir = tempDir(t)
  const fifo = path.join(dir, 'fifo')
  execFileSync('mkfifo', [fifo])
  const ac = new AbortController()
  const p = ufs.readFile(fifo, { signal: ac.signal })
  setTimeout(() => ac.abort(), 50)
  const e = await errorOf(() => p)
  t.like(e, { name: 'AbortError', code: 'ABORT_ERR', message: 'The operation was aborted' })
  // Without a signal it waits for the writer, as Node's does (its open blocks until one comes).
  const child = spawn('sh', ['-c', `sleep 0.2; echo late > ${JSON.stringify(fifo)}`])
  t.teardown(() => child.kill())
  t.is(await ufs.readFile(fifo, 'utf8'), 'late\n')
})

test('readFile: many at once (more than the pinned slots) each get their own bytes', async (t) => {
  const dir = tempDir(t)
  const N = 400
  for (let i = 0; i < N; i++) fs.writeFileSync(path.join(dir, String(i)), `file ${i} `.repeat(i % 50 + 1))
  const all = await Promise.all(Array.from({ length: N }, (_, i) => ufs.readFile(path.join(dir, String(i)), 'utf8')))
  for (let i = 0; i < N; i++) t.is(all[i], `file ${i} `.repeat(i % 50 + 1))
  // Missing files mixed in fail alone, with Node's error.
  const mixed = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => ufs.readFile(path.join(dir, i % 2 ? String(i) : `nope${i}`))))
  for (let i = 0; i < 100; i++) {
    const r = mixed[i]
    if (i % 2) t.is(r.status, 'fulfilled')
    else {
      t.is(r.status, 'rejected')
      const e = (r as PromiseRejectedResult).reason
      t.is(e.message, `ENOENT: no such file or directory, open '${path.join(dir, `nope${i}`)}'`)
    }
  }
})

test('readFile: files, directories and missing paths mixed, over and over: every lane recovers', async (t) => {
  const dir = tempDir(t)
  fs.mkdirSync(path.join(dir, 'sub'))
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, `f${i}`), `content ${i}`)
  for (let round = 0; round < 3; round++) {
    const calls = Array.from({ length: 300 }, (_, i) => {
      const k = i % 3
      const p = k === 0 ? path.join(dir, `f${i % 50}`) : k === 1 ? path.join(dir, 'sub') : path.join(dir, `missing${i}`)
      return ufs.readFile(p, 'utf8').then(
        (v) => ({ ok: v }),
        (e: NodeJS.ErrnoException) => ({ code: e.code, syscall: e.syscall }),
      )
    })
    const got = await Promise.all(calls)
    for (let i = 0; i < 300; i++) {
      const k = i % 3
      if (k === 0) t.deepEqual(got[i], { ok: `content ${i % 50}` })
      else if (k === 1) t.deepEqual(got[i], { code: 'EISDIR', syscall: 'read' })
      else t.deepEqual(got[i], { code: 'ENOENT', syscall: 'open' })
    }
  }
})

test('readFile errors are Node\'s: ENOENT, EISDIR, EACCES, ENOTDIR, NUL bytes, bad URL, bad options', async (t) => {
  const dir = tempDir(t)
  const f = path.join(dir, 'f')
  fs.writeFileSync(f, 'x')
  const locked = path.join(dir, 'locked')
  fs.writeFileSync(locked, 'x', { mode: 0 })
  const cases: Array<[string, (m: typeof nfs) => Promise<unknown>]> = [
    ['ENOENT', (m) => m.readFile(path.join(dir, 'nope'))],
    ['EISDIR', (m) => m.readFile(dir)],
    ['ENOTDIR', (m) => m.readFile(path.join(f, 'x'))],
    ['NUL', (m) => m.readFile('a\0b')],
    ['http URL', (m) => m.readFile(new URL('http://example.com/x'))],
    ['number path', (m) => m.readFile(12.5 as never)],
    ['bad encoding', (m) => m.readFile(f, 'nope' as never)],
    ['bad flag', (m) => m.readFile(f, { flag: 'q' })],
    ['options type', (m) => m.readFile(f, 42 as never)],
    ['empty path', (m) => m.readFile('')],
  ]
  if (process.getuid?.() !== 0) cases.push(['EACCES', (m) => m.readFile(locked)])
  for (const [label, c] of cases) await sameError(t, c, label)
  const e = await errorOf(() => ufs.readFile(path.join(dir, 'nope')))
  t.like(e, { code: 'ENOENT', errno: -2, syscall: 'open', path: path.join(dir, 'nope') })
})

test('readFile / writeFile with an aborted signal reject with Node\'s AbortError', async (t) => {
  const f = writeTemp(t, 'f', 'data')
  const ac = new AbortController()
  ac.abort()
  const a = await errorOf(() => ufs.readFile(f, { signal: ac.signal }))
  const b = await errorOf(() => nfs.readFile(f, { signal: ac.signal }))
  t.is(a?.name, 'AbortError')
  t.is(a?.code, 'ABORT_ERR')
  t.is(a?.message, b?.message)
  t.is(a?.name, b?.name)
  const w = await errorOf(() => ufs.writeFile(f, 'x', { signal: ac.signal }))
  t.like(w, { name: 'AbortError', code: 'ABORT_ERR' })
  t.is(fs.readFileSync(f, 'utf8'), 'data')
  // Not aborted: a signal is fine.
  t.is(await ufs.readFile(f, { signal: new AbortController().signal, encoding: 'utf8' }), 'data')
})

// ---- writeFile / appendFile ----------------------------------------------------------------------

test('writeFile / appendFile: strings, Buffers, TypedArrays, DataViews, iterables, streams, flags, mode', async (t) => {
  const dir = tempDir(t)
  const f = path.join(dir, 'w')
  await ufs.writeFile(f, 'héllo')
  t.is(fs.readFileSync(f, 'utf8'), 'héllo')
  await ufs.writeFile(f, Buffer.from('buf'))
  t.is(fs.readFileSync(f, 'utf8'), 'buf')
  await ufs.writeFile(f, new Uint16Array([0x6968, 0x2121]))
  t.is(fs.readFileSync(f, 'utf8'), 'hi!!')
  await ufs.writeFile(f, new DataView(Buffer.from('dataview').buffer, 0, 4))
  t.is(fs.readFileSync(f).length, 4)
  await ufs.writeFile(f, ['a', Buffer.from('b'), 'c'])
  t.is(fs.readFileSync(f, 'utf8'), 'abc')
  await ufs.writeFile(f, (async function* () {
    yield 'x'
    yield Buffer.from('y')
  })())
  t.is(fs.readFileSync(f, 'utf8'), 'xy')
  await ufs.writeFile(f, Readable.from(['s', 't', 'r']))
  t.is(fs.readFileSync(f, 'utf8'), 'str')
  await ufs.writeFile(f, '68656c6c6f', 'hex')
  t.is(fs.readFileSync(f, 'utf8'), 'hello')
  await ufs.appendFile(f, ' world')
  await ufs.appendFile(f, Buffer.from('!'), { flag: 'a' })
  t.is(fs.readFileSync(f, 'utf8'), 'hello world!')
  const big = Buffer.alloc(5 * 1024 * 1024 + 3, 'q')
  await ufs.writeFile(f, big)
  t.true(fs.readFileSync(f).equals(big))
  const m = path.join(dir, 'mode')
  await ufs.writeFile(m, 'x', { mode: 0o600 })
  t.is(fs.statSync(m).mode & 0o777, 0o600 & ~process.umask())
  await sameError(t, (x) => x.writeFile(m, 'y', { flag: 'wx' }), 'wx on an existing file')
  await sameError(t, (x) => x.writeFile(m, 42 as never), 'data of a wrong type')
  await sameError(t, (x) => x.writeFile(path.join(dir, 'no', 'x'), 'y'), 'missing dir')
  await sameError(t, (x) => x.appendFile(dir, 'y'), 'append to a directory')
})

// ---- File ----------------------------------------------------------------------------------------

testOnRing('File.read: the three call forms, current position for null, {bytesRead, buffer} with a null prototype', async (t) => {
  const f = writeTemp(t, 'r', '0123456789')
  const h = await ufs.open(f, 'r')
  t.teardown(() => h.close())
  t.true(h instanceof ufs.File)
  t.is(typeof h.fd, 'number')
  const a = await h.read(Buffer.alloc(4), 0, 4, null)
  t.is(Object.getPrototypeOf(a), null)
  t.is(a.bytesRead, 4)
  t.is(a.buffer.toString(), '0123')
  const b = await h.read(Buffer.alloc(4), { position: null })
  t.is(b.buffer.toString(), '4567')
  const c = await h.read({ buffer: Buffer.alloc(3), position: 1 })
  t.is(c.buffer.toString(), '123')
  const d = await h.read()
  t.is(d.bytesRead, 2)
  t.is(d.buffer.length, 16384)
  t.is(d.buffer.subarray(0, 2).toString(), '89')
  const e = await h.read(Buffer.alloc(4), 0, 4, null)
  t.is(e.bytesRead, 0)
  const z = await h.read(Buffer.alloc(4), 0, 0, 0)
  t.is(z.bytesRead, 0)
  const u16 = new Uint16Array(2)
  t.is((await h.read(u16, 0, 4, 0)).bytesRead, 4)
  t.is(Buffer.from(u16.buffer).toString(), '0123')
  const nh = await nfs.open(f, 'r')
  t.teardown(() => nh.close())
  // Positions that are not safe integers >= 0 mean the current position, as FileHandle.read has it.
  const h2 = await ufs.open(f, 'r')
  t.teardown(() => h2.close())
  await h2.read(Buffer.alloc(3), 0, 3, null)
  await nh.read(Buffer.alloc(3), 0, 3, null)
  for (const pos of [6, 6n, -2, 1.5, 2 ** 53]) {
    const a = await h2.read(Buffer.alloc(2), 0, 2, pos as number)
    const b = await nh.read(Buffer.alloc(2), 0, 2, pos as number)
    t.deepEqual([a.bytesRead, a.buffer.toString()], [b.bytesRead, b.buffer.toString()], `position ${pos}`)
  }
  const bad: Array<(x: Loose) => Promise<unknown>> = [
    (x) => x.read(Buffer.alloc(4), -1, 2, 0),
    (x) => x.read(Buffer.alloc(4), 0, 5, 0),
    (x) => x.read(Buffer.alloc(4), 1.5, 1, 0),
    (x) => x.read(Buffer.alloc(4), 'x' as never, 1, 0),
  ]
  for (const [i, c] of bad.entries()) t.deepEqual(await errorOf(() => c(h as unknown as Loose)), await errorOf(() => c(nh as unknown as Loose)), `bad read ${i}`)
})

test('File.write: buffer and string forms, positions, append mode; readv / writev', async (t) => {
  const dir = tempDir(t)
  const f = path.join(dir, 'w')
  const h = await ufs.open(f, 'w+')
  t.teardown(() => h.close())
  const w = await h.write(Buffer.from('hello'))
  t.is(Object.getPrototypeOf(w), null)
  t.is(w.bytesWritten, 5)
  t.is((await h.write(' world')).bytesWritten, 6)
  t.is((await h.write('J', 0)).bytesWritten, 1)
  t.is((await h.write(Buffer.from('xxABCxx'), 2, 3, 11)).bytesWritten, 3)
  t.is((await h.write(Buffer.from('!?'), { offset: 0, length: 1, position: 14 })).bytesWritten, 1)
  t.is((await h.write('636363', null, 'hex')).bytesWritten, 3)
  // pwrites (a position) leave the file position at 11, where the hex string lands.
  t.is(fs.readFileSync(f, 'latin1'), 'Jello worldccc!')
  const v = await h.writev([Buffer.from('12'), Buffer.from('34')], 0)
  t.is(v.bytesWritten, 4)
  const bufs = [Buffer.alloc(2), Buffer.alloc(3)]
  const rv = await h.readv(bufs, 0)
  t.is(rv.bytesRead, 5)
  t.is(Buffer.concat(bufs).toString(), '1234o')
  await h.truncate(3)
  await h.sync()
  await h.datasync()
  t.is(fs.readFileSync(f, 'utf8'), '123')
  await h.chmod(0o640)
  t.is(fs.statSync(f).mode & 0o777, 0o640)
  await h.utimes(1000, 2000)
  t.is(fs.statSync(f).mtimeMs, 2000000)
  const a = await ufs.open(path.join(dir, 'a'), 'a')
  await a.write('one')
  await a.write('two', 0) // O_APPEND: the position is ignored by the kernel
  await a.close()
  t.is(fs.readFileSync(path.join(dir, 'a'), 'utf8'), 'onetwo')
  const nh = await nfs.open(f, 'r+')
  t.teardown(() => nh.close())
  const bad: Array<(x: Loose) => Promise<unknown>> = [
    (x) => x.write(Buffer.alloc(4), 5),
    (x) => x.write(Buffer.alloc(4), 0, 5),
    (x) => x.write(42 as never),
    (x) => x.write('s', 0, 'nope' as never),
    (x) => x.write('abc', 0, 'hex'),
    (x) => x.writev('x' as never),
  ]
  for (const [i, c] of bad.entries()) t.deepEqual(await errorOf(() => c(h as unknown as Loose)), await errorOf(() => c(nh as unknown as Loose)), `bad write ${i}`)
})

test('File: readFile / writeFile / appendFile on the handle, close twice, closed handle errors, asyncDispose', async (t) => {
  const dir = tempDir(t)
  const f = path.join(dir, 'h')
  const h = await ufs.open(f, 'w+')
  await h.writeFile('abc')
  await h.appendFile(Buffer.from('def'))
  t.is(fs.readFileSync(f, 'utf8'), 'abcdef')
  await h.read(Buffer.alloc(2), 0, 2, 0)
  t.is(await h.readFile('utf8'), '') // the position is at the end (reads at offset 0 do not move it)
  let closed = 0
  h.on('close', () => closed++)
  await h.close()
  await h.close()
  t.is(h.fd, -1)
  t.is(closed, 1)
  const nh = await nfs.open(f)
  await nh.close()
  for (const m of ['read', 'write', 'stat', 'readFile', 'truncate', 'sync', 'datasync', 'readv', 'writev', 'chmod'] as const) {
    const args: Record<string, unknown[]> = { write: [Buffer.from('x')], readv: [[Buffer.alloc(1)]], writev: [[Buffer.from('x')]], chmod: [0o600] }
    const a = await errorOf(() => (h as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>)[m](...(args[m] ?? [])))
    const b = await errorOf(() => (nh as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>)[m](...(args[m] ?? [])))
    t.deepEqual(a, b, m)
  }
  let disposed: ufs.File | undefined
  {
    await using d = await ufs.open(f)
    t.true(d.fd >= 0)
    disposed = d
  }
  t.is(disposed.fd, -1)
})

test('File streams: createReadStream (start/end), createWriteStream, readableWebStream, readLines', async (t) => {
  const dir = tempDir(t)
  const f = path.join(dir, 's')
  const data = Buffer.alloc(300000)
  for (let i = 0; i < data.length; i++) data[i] = i % 251
  fs.writeFileSync(f, data)
  const h1 = await ufs.open(f)
  const chunks: Buffer[] = []
  for await (const c of h1.createReadStream()) chunks.push(c as Buffer)
  t.true(Buffer.concat(chunks).equals(data))
  t.is(h1.fd, -1, 'autoClose')
  const h2 = await ufs.open(f)
  const part: Buffer[] = []
  for await (const c of h2.createReadStream({ start: 10, end: 20 })) part.push(c as Buffer)
  t.true(Buffer.concat(part).equals(data.subarray(10, 21)))
  const out = path.join(dir, 'out')
  const h3 = await ufs.open(out, 'w')
  const ws = h3.createWriteStream()
  t.true(ws instanceof Writable)
  const h4 = await ufs.open(f)
  await pipeline(h4.createReadStream({ highWaterMark: 7777 }), ws)
  t.true(fs.readFileSync(out).equals(data))
  t.is(ws.bytesWritten, data.length)
  t.is(h3.fd, -1)
  const h5 = await ufs.open(f)
  t.teardown(() => h5.close())
  const web: Uint8Array[] = []
  for await (const c of h5.readableWebStream() as unknown as AsyncIterable<ArrayBuffer>) {
    t.true(c instanceof ArrayBuffer)
    web.push(new Uint8Array(c))
  }
  t.true(Buffer.concat(web).equals(data))
  const h5b = await ufs.open(f)
  t.teardown(() => h5b.close())
  const bytes: Uint8Array[] = []
  for await (const c of h5b.readableWebStream({ type: 'bytes' }) as unknown as AsyncIterable<Uint8Array>) {
    t.true(c instanceof Uint8Array)
    bytes.push(c)
  }
  t.true(Buffer.concat(bytes).equals(data))
  const lines = path.join(dir, 'lines')
  fs.writeFileSync(lines, 'a\nbb\r\nccc')
  const h6 = await ufs.open(lines)
  const got: string[] = []
  for await (const l of h6.readLines()) got.push(l)
  t.deepEqual(got, ['a', 'bb', 'ccc'])
  const h7 = await ufs.open(f)
  const ws7 = h7.createWriteStream({ start: 1 })
  await t.throwsAsync(pipeline(Readable.from([Buffer.from('x')]), ws7), { code: 'EBADF' })
})

// ---- path ops ------------------------------------------------------------------------------------

test('path ops: rename, unlink, link, symlink, mkdir (recursive), rmdir, rm, truncate, readdir, readlink, realpath, access', async (t) => {
  const dir = tempDir(t)
  const a = path.join(dir, 'a')
  fs.writeFileSync(a, 'aaa')
  await ufs.rename(a, path.join(dir, 'b'))
  t.false(fs.existsSync(a))
  await ufs.link(path.join(dir, 'b'), path.join(dir, 'c'))
  t.is(fs.statSync(path.join(dir, 'b')).nlink, 2)
  await ufs.symlink('b', path.join(dir, 'l'))
  t.is(await ufs.readlink(path.join(dir, 'l')), 'b')
  t.is(await ufs.realpath(path.join(dir, 'l')), fs.realpathSync(path.join(dir, 'b')))
  await ufs.access(path.join(dir, 'b'), fs.constants.R_OK)
  await ufs.unlink(path.join(dir, 'c'))
  t.false(fs.existsSync(path.join(dir, 'c')))
  t.is(await ufs.mkdir(path.join(dir, 'd')), undefined)
  t.true(fs.statSync(path.join(dir, 'd')).isDirectory())
  t.is(await ufs.mkdir(path.join(dir, 'e', 'f', 'g'), { recursive: true }), await nfs.mkdir(path.join(dir, 'e2', 'f', 'g'), { recursive: true }).then((p) => p?.replace('e2', 'e')))
  t.is(await ufs.mkdir(path.join(dir, 'e'), { recursive: true }), undefined)
  t.is(await ufs.mkdir(path.join(dir, 'h'), { recursive: true }), path.join(dir, 'h'))
  await ufs.mkdir(path.join(dir, 'm'), 0o700)
  t.is(fs.statSync(path.join(dir, 'm')).mode & 0o777, 0o700 & ~process.umask())
  await ufs.rmdir(path.join(dir, 'd'))
  t.false(fs.existsSync(path.join(dir, 'd')))
  await ufs.rm(path.join(dir, 'l'))
  t.true(fs.existsSync(path.join(dir, 'b')))
  await ufs.rm(path.join(dir, 'e'), { recursive: true })
  t.false(fs.existsSync(path.join(dir, 'e')))
  await ufs.rm(path.join(dir, 'nope'), { force: true })
  await ufs.truncate(path.join(dir, 'b'), 1)
  t.is(fs.readFileSync(path.join(dir, 'b'), 'utf8'), 'a')
  await ufs.truncate(path.join(dir, 'b'))
  t.is(fs.statSync(path.join(dir, 'b')).size, 0)
  t.deepEqual((await ufs.readdir(dir)).sort(), fs.readdirSync(dir).sort())
  const ents = await ufs.readdir(dir, { withFileTypes: true })
  t.true(ents.every((e) => e instanceof fs.Dirent))
})

test('path op errors are Node\'s, field by field (path and dest included)', async (t) => {
  const dir = tempDir(t)
  const f = path.join(dir, 'f')
  fs.writeFileSync(f, 'x')
  fs.mkdirSync(path.join(dir, 'full'))
  fs.writeFileSync(path.join(dir, 'full', 'x'), '')
  const n = (s: string): string => path.join(dir, s)
  const cases: Array<[string, (m: typeof nfs) => Promise<unknown>]> = [
    ['stat ENOENT', (m) => m.stat(n('nope'))],
    ['lstat ENOTDIR', (m) => m.lstat(path.join(f, 'x'))],
    ['unlink ENOENT', (m) => m.unlink(n('nope'))],
    ['unlink EISDIR', (m) => m.unlink(dir)],
    ['rename ENOENT', (m) => m.rename(n('nope'), n('other'))],
    ['rename EISDIR', (m) => m.rename(f, n('full'))],
    ['link EEXIST', (m) => m.link(f, f)],
    ['link ENOENT', (m) => m.link(n('nope'), n('x'))],
    ['symlink EEXIST', (m) => m.symlink('t', f)],
    ['mkdir EEXIST', (m) => m.mkdir(f)],
    ['mkdir ENOENT', (m) => m.mkdir(n('a/b/c'))],
    ['mkdir -p on a file', (m) => m.mkdir(f, { recursive: true })],
    ['mkdir -p through a file', (m) => m.mkdir(path.join(f, 'x'), { recursive: true })],
    ['rmdir ENOTEMPTY', (m) => m.rmdir(n('full'))],
    ['rmdir ENOTDIR', (m) => m.rmdir(f)],
    ['rm a directory', (m) => m.rm(n('full'))],
    ['rm ENOENT', (m) => m.rm(n('nope'))],
    ['truncate ENOENT', (m) => m.truncate(n('nope'), 1)],
    ['truncate EISDIR', (m) => m.truncate(dir)],
    ['copyFile ENOENT', (m) => m.copyFile(n('nope'), n('x'))],
    ['copyFile EXCL', (m) => m.copyFile(f, f, fs.constants.COPYFILE_EXCL)],
    ['copyFile FICLONE_FORCE', (m) => m.copyFile(f, n('clone'), fs.constants.COPYFILE_FICLONE_FORCE)],
    ['copyFile bad mode', (m) => m.copyFile(f, n('y'), 99)],
    ['copyFile of a directory', (m) => m.copyFile(n('full'), n('dircopy'))],
    ['rm with maxRetries -1', (m) => m.rm(n('nope'), { maxRetries: -1 })],
    ['open bad flags', (m) => m.open(f, 'rw')],
    ['open bad mode', (m) => m.open(f, 'r', 'abc')],
    ['open number flags out of range', (m) => m.open(f, 2 ** 40)],
    ['open EEXIST', (m) => m.open(f, 'wx')],
    ['open O_DIRECTORY on a file', (m) => m.open(f, fs.constants.O_DIRECTORY)],
    ['path of a wrong type', (m) => m.stat(42 as never)],
    ['NUL in a Buffer path', (m) => m.unlink(Buffer.from('a\0b'))],
    ['file URL with a host', (m) => m.stat(new URL('file://host/x'))],
  ]
  for (const [label, c] of cases) await sameError(t, c, label)
  t.false(fs.existsSync(n('dircopy')), 'a failed copy removes its destination, as libuv')
})

test('copyFile copies bytes and mode, EXCL, onto itself, big files', async (t) => {
  const dir = tempDir(t)
  const src = path.join(dir, 'src')
  const data = Buffer.alloc(3 * 1024 * 1024 + 17)
  for (let i = 0; i < data.length; i++) data[i] = (i * 13) & 0xff
  fs.writeFileSync(src, data, { mode: 0o640 })
  fs.chmodSync(src, 0o640)
  const dst = path.join(dir, 'dst')
  fs.writeFileSync(dst, 'x'.repeat(5 * 1024 * 1024)) // longer: must be truncated
  await ufs.copyFile(src, dst)
  t.true(fs.readFileSync(dst).equals(data))
  t.is(fs.statSync(dst).mode & 0o777, 0o640)
  await ufs.copyFile(src, src)
  t.true(fs.readFileSync(src).equals(data))
  await t.throwsAsync(ufs.copyFile(src, dst, fs.constants.COPYFILE_EXCL), { code: 'EEXIST' })
  const empty = path.join(dir, 'empty')
  fs.writeFileSync(empty, '')
  await ufs.copyFile(empty, path.join(dir, 'e2'), fs.constants.COPYFILE_FICLONE)
  t.is(fs.statSync(path.join(dir, 'e2')).size, 0)
})

test('copyFile: a multi-MiB file of random bytes (several pairs in flight, a partial last chunk) arrives byte for byte', async (t) => {
  const dir = tempDir(t)
  const src = path.join(dir, 'src')
  const data = crypto.randomBytes(9 * 1024 * 1024 + 12345)
  fs.writeFileSync(src, data, { mode: 0o600 })
  fs.chmodSync(src, 0o604)
  // A new destination, an existing empty one (left as it is, not truncated) and a longer one.
  const fresh = path.join(dir, 'fresh')
  const empty = path.join(dir, 'empty')
  const longer = path.join(dir, 'longer')
  fs.writeFileSync(empty, '')
  fs.writeFileSync(longer, crypto.randomBytes(11 * 1024 * 1024))
  await Promise.all([ufs.copyFile(src, fresh), ufs.copyFile(src, empty), ufs.copyFile(src, longer)])
  for (const f of [fresh, empty, longer]) {
    const got = fs.readFileSync(f)
    t.is(got.length, data.length, f)
    t.true(got.equals(data), f)
    t.is(fs.statSync(f).mode & 0o7777, 0o604, f)
  }
  // The same copies through node:fs give the same files.
  const viaNode = path.join(dir, 'node')
  await nfs.copyFile(src, viaNode)
  t.true(fs.readFileSync(viaNode).equals(fs.readFileSync(fresh)))
})

const sysfsOnline = '/sys/devices/system/cpu/online'
const sysfsTest =
  fs.existsSync(sysfsOnline) && fs.statSync(sysfsOnline).size > fs.readFileSync(sysfsOnline).length
    ? testOnRing
    : (title: string, impl: (t: ExecutionContext) => Promise<void>) => test.skip(`${title} (skipped: no ${sysfsOnline} with st_size above its content here)`, impl)

sysfsTest('copyFile: a sysfs file (st_size 4096, a few bytes in it) copies what a read gives, then stops', async (t) => {
  // Not compared with node:fs: libuv's copyFile loops forever on such a file (sendfile keeps
  // returning 0 before st_size bytes came) on this kernel.
  const src = sysfsOnline
  const dst = path.join(tempDir(t), 'online')
  await ufs.copyFile(src, dst)
  t.deepEqual(fs.readFileSync(dst), fs.readFileSync(src))
})

// ---- the fallback --------------------------------------------------------------------------------

/** The seccomp launcher (fixtures/noring), built once; undefined where it cannot be had. */
const launcher = buildNoring()
if (launcher !== undefined) process.once('exit', () => fs.rmSync(path.dirname(launcher), { recursive: true, force: true }))
/** `test` with the launcher, else `test.skip` saying why in the title. */
const withLauncher = (title: string, impl: (t: ExecutionContext, launcher: string) => void | Promise<void>): void =>
  launcher === undefined
    ? test.skip(`${title} (skipped: no C compiler to build the seccomp launcher, and no URING_TEST_NORING)`, () => {})
    : test(title, (t) => impl(t, launcher))

withLauncher('fallback: with io_uring_setup failing (seccomp EPERM), everything runs on node:fs, warns once; strict mode throws', async (t, launcher) => {
  const dir = tempDir(t)
  const entry = path.join(repo, 'dist', 'lib', 'fs.js')
  const script = `
    const fs = require(${JSON.stringify(entry)})
    const warnings = []
    process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }))
    ;(async () => {
      const f = ${JSON.stringify(path.join(dir, 'x'))}
      const out = { backend: fs.backend() }
      await fs.writeFile(f, 'fallback works')
      out.read = await fs.readFile(f, 'utf8')
      out.stat = (await fs.stat(f)).size
      const h = await fs.open(f)
      out.handle = (await h.read(Buffer.alloc(8), 0, 8, 0)).bytesRead
      await h.close()
      try { await fs.readFile(f + '.nope') } catch (e) { out.err = e.message }
      fs.configure({ fallback: false })
      try { await fs.readFile(f); out.strict = 'no error' } catch (e) { out.strict = { name: e.name, code: e.code } }
      try { fs.backend(); out.strictBackend = 'no error' } catch (e) { out.strictBackend = e.code }
      setImmediate(() => { out.warnings = warnings; console.log(JSON.stringify(out)) })
    })()`
  const out = JSON.parse(execFileSync(launcher, ['1', process.execPath, '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim())
  t.is(out.backend, 'node')
  t.is(out.read, 'fallback works')
  t.is(out.stat, 14)
  t.is(out.handle, 8)
  t.is(out.err, `ENOENT: no such file or directory, open '${path.join(dir, 'x.nope')}'`)
  t.deepEqual(out.strict, { name: 'RingSetupError', code: 'ERR_URING_DISABLED' })
  t.is(out.strictBackend, 'ERR_URING_DISABLED')
  t.is(out.warnings.length, 1)
  t.is(out.warnings[0].code, 'URING_FALLBACK')
  t.regex(out.warnings[0].message, /ERR_URING_DISABLED/)
})

withLauncher('strict mode from the start: configure({ fallback: false }) before any call rejects with the setup error', (t, launcher) => {
  const entry = path.join(repo, 'dist', 'lib', 'fs.js')
  const script = `
    const fs = require(${JSON.stringify(entry)})
    let warned = 0
    process.on('warning', () => warned++)
    fs.configure({ fallback: false })
    fs.stat('/').then(() => console.log('resolved'), (e) => setImmediate(() => console.log(JSON.stringify({ code: e.code, errno: e.errno, warned }))))`
  const out = JSON.parse(execFileSync(launcher, ['38', process.execPath, '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim())
  t.deepEqual(out, { code: 'ERR_URING_UNSUPPORTED', errno: 38, warned: 0 })
})

testOnRing('worker threads: each thread reads through its own default ring', async (t) => {
  const { Worker } = await import('node:worker_threads')
  const f = writeTemp(t, 'w', 'from a worker')
  const entry = path.join(repo, 'dist', 'lib', 'fs.js')
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const fs = require(workerData.entry)
    Promise.all(Array.from({ length: 20 }, () => fs.readFile(workerData.f, 'utf8'))).then((r) => parentPort.postMessage({ r, backend: fs.backend() }))`
  const results = await Promise.all(
    [1, 2].map(
      () =>
        new Promise<{ r: string[]; backend: string }>((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: { entry, f } })
          w.once('message', (m) => {
            resolve(m)
            void w.terminate()
          })
          w.once('error', reject)
        }),
    ),
  )
  for (const m of results) {
    t.is(m.backend, 'io_uring')
    t.true(m.r.every((s) => s === 'from a worker'))
  }
  t.is(await ufs.readFile(f, 'utf8'), 'from a worker')
})

// ---- sharing the ring with uring/os --------------------------------------------------------------

testOnRing('uring/fs runs on uring/os\'s default ring (one ring, shared enters)', async (t) => {
  const f = writeTemp(t, 'x', 'shared')
  const r = ring()
  const before = r.stats.enters
  await ufs.readFile(f)
  t.true(r.stats.enters > before)
  t.is(await ufs.readFile(f, 'utf8'), 'shared')
})

/**
 * Whether readFile's chains take direct slots of a file table on the default ring here: lib/fs.ts
 * makes its lanes only with IORING_FEAT_LINKED_FILE (5.17). Undefined when no ring can be set up.
 */
const linkedFile = ringFeature('linkedFile')
const laneTableTest = (title: string, impl: (t: ExecutionContext) => Promise<void>): void =>
  linkedFile === false ? test.skip(title + skipNote(false, "readFile's file table (IORING_FEAT_LINKED_FILE)", '5.17'), impl) : testOnRingSerial(title, impl)

laneTableTest('readFile and open files still work after the shared ring\'s file table is unregistered, or the ring closed', async (t) => {
  const f = writeTemp(t, 'x', 'still here')
  const h = await ufs.open(f)
  t.teardown(() => h.close())
  t.is(await ufs.readFile(f, 'utf8'), 'still here')
  ring().registrar.unregisterFiles()
  t.is(await ufs.readFile(f, 'utf8'), 'still here')
  t.is(await ufs.readFile(f, 'utf8'), 'still here')
  ring().close()
  t.is(await ufs.readFile(f, 'utf8'), 'still here', 'a new default ring, with new lanes')
  t.true((await ufs.readFile(f)).equals(Buffer.from('still here')))
  t.is((await h.read(Buffer.alloc(5), 0, 5, 0)).buffer.toString(), 'still')
})

testOnRingSerial('readFile and open files still work after the shared ring is closed (a new default ring, with new lanes where it has them)', async (t) => {
  const f = writeTemp(t, 'x', 'still here')
  const h = await ufs.open(f)
  t.teardown(() => h.close())
  t.is(await ufs.readFile(f, 'utf8'), 'still here')
  ring().close()
  t.is(await ufs.readFile(f, 'utf8'), 'still here', 'a new default ring')
  t.true((await ufs.readFile(f)).equals(Buffer.from('still here')))
  t.is((await h.read(Buffer.alloc(5), 0, 5, 0)).buffer.toString(), 'still')
})
