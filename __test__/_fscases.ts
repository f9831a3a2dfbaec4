/**
 * The differential fs cases: one list, run against `node:fs/promises` and `uring/fs` alike, each
 * in a fresh temporary directory holding the same standard tree (STD below). A case gets the
 * module (node:fs/promises-shaped) and a Ctx and returns a result; `runCase` turns what happened
 * (value or error, sync throw or rejection, and the directory tree afterwards) into plain JSON so
 * two runs, in this process or in a child, compare field by field. Not a spec (ava runs *.spec.ts):
 * fs-diff.spec.ts and fixtures/fsdiff-child.ts use it.
 */
import * as nfs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { createHash } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { execFileSync } from 'node:child_process'
import { Readable } from 'node:stream'

/** The module under test: shaped like node:fs/promises. */
export type Fs = typeof import('node:fs/promises')
type Handle = import('node:fs/promises').FileHandle

export interface FsCase {
  name: string
  /** Calls the module. What it returns (or throws / rejects with) is the case's result. */
  run(fs: Fs, c: Ctx): unknown
  /** Extra setup after the standard tree (node:fs sync). */
  setup?(c: Ctx): void
  /** Needs an unprivileged user (EACCES): run as nobody in a child when this process is root. */
  asUser?: boolean
  /** Whether the result is an error (for counting; the comparison does not use it). */
  error?: boolean
  /**
   * The case expects EFBIG from the largest file size of the temp dir's filesystem (ext4: 16 TiB):
   * it is skipped, with SIZE_UNLIMITED as the reason, where that filesystem takes such a file.
   */
  needsSizeLimit?: boolean
}

/**
 * Why the EFBIG cases cannot hold here, or undefined: whether the filesystem of the temp dir
 * refuses a byte at offset 2**50 (ext4 does; tmpfs, xfs and btrfs take files that large), tried.
 */
export const SIZE_UNLIMITED: string | undefined = (() => {
  const dir = nfs.mkdtempSync(path.join(os.tmpdir(), 'uring-efbig-'))
  try {
    const fd = nfs.openSync(path.join(dir, 'f'), 'w')
    try {
      nfs.writeSync(fd, 'x', 2 ** 50)
      return `the temp dir's filesystem (${os.tmpdir()}) takes a file of 2**50 bytes: no EFBIG`
    } catch {
      return undefined
    } finally {
      nfs.closeSync(fd)
    }
  } finally {
    nfs.rmSync(dir, { recursive: true, force: true })
  }
})()

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW } = nfs.constants
const { R_OK, W_OK, X_OK, F_OK, COPYFILE_EXCL, COPYFILE_FICLONE, COPYFILE_FICLONE_FORCE } = nfs.constants

/** Per-run context: the temp dir, path makers, cleanups, and how each call came back. */
export class Ctx {
  /** 'throw' (synchronous), 'promise' or 'value', for each call made through `call()` (the top one included). */
  readonly modes: string[] = []
  private readonly cleanups: Array<() => unknown> = []
  private otherDir: string | undefined
  constructor(readonly dir: string) {}

  /** A path inside the temp dir. */
  p(...parts: string[]): string {
    return path.join(this.dir, ...parts)
  }
  /** The same path as a Buffer. */
  b(...parts: string[]): Buffer {
    return Buffer.from(this.p(...parts))
  }
  /** The same path as a file: URL. */
  u(...parts: string[]): URL {
    return pathToFileURL(this.p(...parts))
  }
  /** Calls `fn`, noting whether it threw synchronously or returned a promise / a value. */
  call<T>(fn: () => T): T {
    let r: T
    try {
      r = fn()
    } catch (e) {
      this.modes.push('throw')
      throw e
    }
    this.modes.push(isThenable(r) ? 'promise' : 'value')
    return r
  }
  /** Runs `fn` when the case is over (errors ignored). */
  defer(fn: () => unknown): void {
    this.cleanups.push(fn)
  }
  /** Closes `h` when the case is over; returns it. */
  keep<T extends { close(): unknown }>(h: T): T {
    this.defer(() => h.close())
    return h
  }
  /** A temp dir on another filesystem than `dir` (/dev/shm), or undefined when there is none. */
  other(): string | undefined {
    if (this.otherDir !== undefined) return this.otherDir
    for (const base of ['/dev/shm', '/run', '/var/tmp']) {
      try {
        if (nfs.statSync(base).dev === nfs.statSync(this.dir).dev) continue
        const d = nfs.mkdtempSync(path.join(base, 'uring-fsdiff-'))
        nfs.accessSync(d, W_OK)
        this.otherDir = d
        return d
      } catch {
        // not usable; try the next
      }
    }
    return undefined
  }
  /** Replaces the temp dirs in `s` by placeholders. */
  norm(s: string): string {
    let out = s.split(this.dir).join('<dir>')
    // a Buffer path shows in a message as util.inspect renders it: <Buffer 2f 74 6d 70 ...>
    out = out.split(spacedHex(this.dir)).join('<dir hex>')
    if (this.otherDir !== undefined) out = out.split(this.otherDir).join('<other>')
    return out
  }
  async cleanup(): Promise<void> {
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn()
      } catch {
        // already closed / removed by the case
      }
    }
    if (this.otherDir !== undefined) removeTree(this.otherDir)
  }
}

function spacedHex(s: string): string {
  return Buffer.from(s).toString('hex').replace(/(..)(?!$)/g, '$1 ')
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function'
}

// ---- the standard tree -------------------------------------------------------------------------

const BIG = Buffer.alloc(200_000)
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 7 + (i >> 8)) & 255
const BIN = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

/**
 * The tree every case starts from. Permission-bearing entries are made last. `big` (200 kB) only
 * when asked for: written for every case it was most of the suite's time.
 */
export function makeStd(dir: string, big = true): void {
  const w = (rel: string, data: string | Buffer, mode = 0o644): void => {
    nfs.writeFileSync(path.join(dir, rel), data)
    nfs.chmodSync(path.join(dir, rel), mode)
  }
  const d = (rel: string): void => nfs.mkdirSync(path.join(dir, rel))
  const l = (target: string, rel: string): void => nfs.symlinkSync(target, path.join(dir, rel))
  w('file.txt', 'hello world\n')
  w('empty', '')
  w('bin', BIN)
  if (big) w('big', BIG)
  w('utf8.txt', 'héllo wörld ☃ 😀\n')
  w('ro.txt', 'read only\n', 0o444)
  w('secret', 'secret\n', 0o000)
  w('script.sh', '#!/bin/sh\n', 0o755)
  d('dir')
  w('dir/a', 'A')
  w('dir/b', 'BB')
  d('dir/sub')
  w('dir/sub/c', 'ccc')
  d('emptydir')
  d('rodir')
  w('rodir/f', 'f')
  d('noxdir')
  w('noxdir/f', 'f')
  l('file.txt', 'link')
  l('missing', 'dangling')
  l('dir', 'dirlink')
  l('loop2', 'loop1')
  l('loop1', 'loop2')
  l(path.join(dir, 'file.txt'), 'abslink')
  nfs.chmodSync(path.join(dir, 'rodir'), 0o555)
  nfs.chmodSync(path.join(dir, 'noxdir'), 0o600)
}

/** rm -rf that first gives back the permissions the tree took away. */
export function removeTree(dir: string): void {
  const open = (p: string): void => {
    let st: nfs.Stats
    try {
      st = nfs.lstatSync(p)
    } catch {
      return
    }
    if (!st.isDirectory()) return
    try {
      nfs.chmodSync(p, 0o700)
      for (const n of nfs.readdirSync(p)) open(path.join(p, n))
    } catch {
      // not ours
    }
  }
  open(dir)
  nfs.rmSync(dir, { recursive: true, force: true })
}

// ---- normalising results -----------------------------------------------------------------------

const RECENT_MS = 3600_000

/** A time: 'recent' (set by the clock: differs between two runs) or the exact value (set by utimes). */
function time(ms: number | bigint): unknown {
  if (typeof ms === 'bigint') {
    const n = Number(ms)
    return Math.abs(n - Date.now()) < RECENT_MS ? 'recent bigint' : `${ms}n`
  }
  if (typeof ms !== 'number') return { $: typeof ms, v: String(ms) }
  if (Number.isNaN(ms)) return 'NaN'
  return Math.abs(ms - Date.now()) < RECENT_MS ? 'recent' : ms
}
function timeNs(ns: unknown): unknown {
  if (typeof ns !== 'bigint') return { $: typeof ns, v: String(ns) }
  const ms = Number(ns / 1_000_000n)
  return Math.abs(ms - Date.now()) < RECENT_MS ? 'recent bigint' : String(ns)
}

const STAT_KINDS = ['isFile', 'isDirectory', 'isSymbolicLink', 'isFIFO', 'isSocket', 'isBlockDevice', 'isCharacterDevice'] as const

function kinds(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of STAT_KINDS) {
    const f = v[k]
    out[k] = typeof f === 'function' ? (f as () => unknown).call(v) : `no ${k}()`
  }
  return out
}

function ctorName(v: object): string {
  const c = (v as { constructor?: { name?: unknown } }).constructor
  return typeof c === 'function' && typeof c.name === 'string' ? c.name : String(c)
}

/** Turns a result into plain JSON (Buffers by bytes, Stats by field, errors by their parts). */
export function shape(v: unknown, c: Ctx, handles: Array<{ close(): unknown }>, depth = 0): unknown {
  if (depth > 8) return '<deep>'
  if (v === undefined) return { $: 'undefined' }
  if (v === null) return null
  switch (typeof v) {
    case 'string':
      return c.norm(v)
    case 'number':
      return Number.isFinite(v) ? v : { $: 'number', v: String(v) }
    case 'bigint':
      return { $: 'bigint', v: String(v) }
    case 'boolean':
      return v
    case 'function':
      return { $: 'function', name: v.name }
    case 'symbol':
      return { $: 'symbol', v: String(v) }
  }
  const o = v as Record<string, unknown>
  if (v instanceof Error) return shapeError(v, c, handles, depth)
  if (ArrayBuffer.isView(v)) {
    const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    return { $: ctorName(v), bytes: bytesOf(bytes, c) }
  }
  if (v instanceof ArrayBuffer) return { $: 'ArrayBuffer', bytes: bytesOf(Buffer.from(v), c) }
  if (v instanceof Date) return { $: 'Date', t: time(v.getTime()) }
  if (v instanceof URL) return { $: 'URL', href: c.norm(v.href) }
  if (typeof o.isFile === 'function' && 'mode' in o) return shapeStats(o)
  if (typeof o.isFile === 'function' && 'name' in o) {
    return {
      $: ctorName(o),
      keys: Object.keys(o).sort(),
      name: shape(o.name, c, handles, depth + 1),
      parentPath: shape(o.parentPath, c, handles, depth + 1),
      path: shape(o.path, c, handles, depth + 1),
      kinds: kinds(o),
    }
  }
  if (typeof o.fd === 'number' && typeof o.close === 'function') {
    handles.push(o as { close(): unknown })
    return { $: 'handle', fd: o.fd >= 0 ? 'open' : o.fd }
  }
  if (Array.isArray(v)) return v.map((x) => shape(x, c, handles, depth + 1))
  const out: Record<string, unknown> = {}
  const name = ctorName(o)
  if (name !== 'Object') out.$ = name
  for (const k of Object.keys(o).sort()) out[k] = shape(o[k], c, handles, depth + 1)
  return out
}

function bytesOf(b: Buffer, c: Ctx): unknown {
  if (b.length <= 4096) return c.norm(b.toString('latin1'))
  return { length: b.length, sha1: createHash('sha1').update(b).digest('hex') }
}

const TIME_MS = new Set(['atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs'])
const TIME_NS = new Set(['atimeNs', 'mtimeNs', 'ctimeNs', 'birthtimeNs'])
const TIME_DATE = new Set(['atime', 'mtime', 'ctime', 'birthtime'])
const STAT_FIELDS = ['dev', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'blksize', 'ino', 'size', 'blocks', 'atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs', 'atimeNs', 'mtimeNs', 'ctimeNs', 'birthtimeNs', 'atime', 'mtime', 'ctime', 'birthtime']

/** Stats by every field; the inode number by type only (two different files), times as time(). */
function shapeStats(o: Record<string, unknown>): unknown {
  const fields: Record<string, unknown> = {}
  for (const k of STAT_FIELDS) {
    if (!(k in o)) continue
    const x = o[k]
    if (k === 'ino') fields[k] = typeof x
    else if (TIME_MS.has(k)) fields[k] = time(x as number | bigint)
    else if (TIME_NS.has(k)) fields[k] = timeNs(x)
    else if (TIME_DATE.has(k)) fields[k] = x instanceof Date ? { $: 'Date', t: time(x.getTime()) } : { $: typeof x }
    else fields[k] = typeof x === 'bigint' ? `${x}n` : typeof x === 'number' ? x : { $: typeof x }
  }
  return { $: ctorName(o), keys: Object.keys(o).sort(), fields, kinds: kinds(o) }
}

function shapeError(e: Error, c: Ctx, handles: Array<{ close(): unknown }>, depth: number): unknown {
  const x = e as Error & Record<string, unknown>
  const out: Record<string, unknown> = {
    $: 'error',
    ctor: ctorName(e),
    name: x.name,
    message: c.norm(String(x.message)),
    keys: Object.keys(x).sort(),
    TypeError: e instanceof TypeError,
    RangeError: e instanceof RangeError,
  }
  for (const k of ['code', 'errno', 'syscall', 'path', 'dest']) {
    if (k in x) out[k] = shape(x[k], c, handles, depth + 1)
  }
  if (x.info !== undefined) out.info = shape(x.info, c, handles, depth + 1)
  if (x.cause !== undefined) {
    const cause = x.cause as Record<string, unknown>
    out.cause = cause instanceof Error ? { ctor: ctorName(cause), name: cause.name, message: c.norm(String(cause.message)) } : shape(cause, c, handles, depth + 1)
  }
  return out
}

/** The tree under `dir` after a case, by what node:fs sync sees (type, mode, size, bytes, links, set times). */
export function snapshot(c: Ctx, root: string = c.dir): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const walk = (rel: string): void => {
    const abs = path.join(root, rel)
    let st: nfs.Stats
    try {
      st = nfs.lstatSync(abs)
    } catch (e) {
      out[rel] = { error: (e as NodeJS.ErrnoException).code }
      return
    }
    const mode = (st.mode & 0o7777).toString(8)
    const owner = `${st.uid}:${st.gid}`
    if (st.isSymbolicLink()) {
      out[rel] = { link: c.norm(nfs.readlinkSync(abs)), owner }
    } else if (st.isFile()) {
      let bytes: unknown
      try {
        bytes = bytesOf(nfs.readFileSync(abs), c)
      } catch (e) {
        bytes = { error: (e as NodeJS.ErrnoException).code }
      }
      out[rel] = { file: bytes, mode, size: st.size, nlink: st.nlink, owner, mtime: time(st.mtimeMs), atime: time(st.atimeMs) }
    } else if (st.isDirectory()) {
      out[rel] = { dir: true, mode, owner, mtime: time(st.mtimeMs) }
      let names: string[]
      try {
        names = nfs.readdirSync(abs).sort()
      } catch (e) {
        out[rel] = { dir: true, mode, owner, error: (e as NodeJS.ErrnoException).code }
        return
      }
      for (const n of names) walk(rel === '' ? n : path.join(rel, n))
    } else {
      out[rel] = { other: true, mode, owner }
    }
  }
  walk('')
  return out
}

// ---- running -----------------------------------------------------------------------------------

/** Whether the case names the 200 kB file. */
function usesBig(kase: FsCase): boolean {
  const src = String(kase.run) + String(kase.setup ?? '')
  return src.includes("'big'")
}

/** What one case did with one module, as plain JSON. */
export interface Outcome {
  /** 'resolve' / 'reject' for a promise, 'value' / 'throw' when the call was synchronous. */
  how: string
  result: unknown
  modes: string[]
  tree: unknown
  other?: unknown
}

/** Runs `kase` against `fs` in a fresh temp dir (under `base`), removed afterwards. */
export async function runCase(fs: Fs, kase: FsCase, base = os.tmpdir()): Promise<Outcome> {
  const dir = nfs.mkdtempSync(path.join(base, 'uring-fsdiff-'))
  const c = new Ctx(dir)
  try {
    makeStd(dir, usesBig(kase))
    kase.setup?.(c)
    let how: string
    let value: unknown
    let p: unknown
    try {
      p = c.call(() => kase.run(fs, c))
      if (isThenable(p)) {
        try {
          value = await p
          how = 'resolve'
        } catch (e) {
          value = e
          how = 'reject'
        }
      } else {
        value = p
        how = 'value'
      }
    } catch (e) {
      value = e
      how = 'throw'
    }
    const handles: Array<{ close(): unknown }> = []
    const result = shape(value, c, handles)
    for (const h of handles) {
      try {
        await h.close()
      } catch {
        // closed by the case
      }
    }
    await c.cleanup()
    const out: Outcome = { how, result, modes: c.modes, tree: snapshot(c) }
    return out
  } finally {
    removeTree(dir)
  }
}

/** Runs every case (those matching `filter`) against each module, `width` cases at a time. */
export async function runAll(modules: Record<string, Fs>, filter: (k: FsCase) => boolean, width = 8): Promise<Record<string, Record<string, Outcome>>> {
  const out: Record<string, Record<string, Outcome>> = {}
  const todo = CASES.filter(filter)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const k = todo[next++]
      const row: Record<string, Outcome> = {}
      for (const [name, fs] of Object.entries(modules)) row[name] = await runCase(fs, k)
      out[k.name] = row
    }
  }
  await Promise.all(Array.from({ length: width }, worker))
  return out
}

// ---- helpers for the cases ---------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const A = (x: unknown): any => x

/** Opens `rel` with `flags` (closed when the case ends). */
async function openK(fs: Fs, c: Ctx, rel: string, flags: string | number = 'r', mode?: number): Promise<Handle> {
  return c.keep(await fs.open(c.p(rel), flags, mode))
}

/** Collects a stream's chunks: their types and their bytes. */
async function collect(stream: AsyncIterable<unknown>): Promise<{ types: string[]; bytes: Buffer }> {
  const types = new Set<string>()
  const parts: Buffer[] = []
  for await (const chunk of stream) {
    types.add(ctorName(chunk as object))
    if (chunk instanceof ArrayBuffer) parts.push(Buffer.from(chunk))
    else if (ArrayBuffer.isView(chunk)) parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    else parts.push(Buffer.from(String(chunk)))
  }
  return { types: [...types].sort(), bytes: Buffer.concat(parts) }
}

/** A few stat fields that a case about times or modes cares about. */
async function times(fs: Fs, p: string): Promise<unknown> {
  const s = await fs.stat(p)
  return { atimeMs: s.atimeMs, mtimeMs: s.mtimeMs, atime: s.atime, mtime: s.mtime }
}

const LONG = 'x'.repeat(300)
const aborted = (): AbortSignal => AbortSignal.abort()

// ---- the cases ---------------------------------------------------------------------------------

const list: FsCase[] = []
/** A case whose result is a value. */
function ok(name: string, run: FsCase['run'], more: Partial<FsCase> = {}): void {
  list.push({ name, run, ...more })
}
/** A case whose result is an error. */
function err(name: string, run: FsCase['run'], more: Partial<FsCase> = {}): void {
  list.push({ name, run, error: true, ...more })
}

// open + File -------------------------------------------------------------------------------------
ok('open: default flags, then readFile utf8', async (fs, c) => (await openK(fs, c, 'file.txt')).readFile('utf8'))
ok('open: Buffer path', async (fs, c) => (await c.keep(await fs.open(c.b('file.txt')))).readFile())
ok('open: URL path', async (fs, c) => (await c.keep(await fs.open(c.u('file.txt')))).readFile('latin1'))
err('open: a file: URL as a string is a relative path (ENOENT)', (fs, c) => fs.open(c.u('file.txt').href))
ok("open: 'r+' then write at 0", async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).write('HELLO', 0))
ok("open: 'w' truncates", async (fs, c) => (await openK(fs, c, 'file.txt', 'w')).stat())
ok("open: 'w' creates with mode 0o600", async (fs, c) => (await openK(fs, c, 'new', 'w', 0o600)).write(Buffer.from('new')))
err("open: 'wx' on an existing file is EEXIST", (fs, c) => fs.open(c.p('file.txt'), 'wx'))
ok("open: 'wx' creates", async (fs, c) => (await openK(fs, c, 'new', 'wx')).writeFile('x'))
ok("open: 'xw' creates", async (fs, c) => (await openK(fs, c, 'new', 'xw')).writeFile('x'))
ok("open: 'a' appends wherever the position is", async (fs, c) => (await openK(fs, c, 'file.txt', 'a')).write('APP', 0))
err("open: 'ax' on an existing file is EEXIST", (fs, c) => fs.open(c.p('file.txt'), 'ax'))
ok("open: 'a+' reads from 0 and appends", async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'a+')
  await h.write('+tail')
  const b = Buffer.alloc(64)
  return h.read(b, 0, 64, 0)
})
ok("open: 'w+' truncates and reads back", async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'w+')
  await h.write('abc')
  return h.read(Buffer.alloc(8), 0, 8, 0)
})
ok("open: 'wx+' creates", async (fs, c) => (await openK(fs, c, 'n', 'wx+')).write('abc'))
ok("open: 'rs+' and 'as+' (sync flags)", async (fs, c) => {
  await (await openK(fs, c, 'file.txt', 'rs+')).write('R', 0)
  return (await openK(fs, c, 'file.txt', 'as+')).write('S')
})
ok("open: 'as' and 'sr' flags", async (fs, c) => {
  await (await openK(fs, c, 'empty', 'as')).write('as')
  return (await openK(fs, c, 'file.txt', 'sr')).readFile('utf8')
})
ok('open: numeric O_RDWR|O_CREAT|O_TRUNC with mode 0o640', async (fs, c) => (await openK(fs, c, 'n', O_RDWR | O_CREAT | O_TRUNC, 0o640)).write('num'))
ok('open: numeric O_WRONLY|O_APPEND', async (fs, c) => (await openK(fs, c, 'file.txt', O_WRONLY | O_APPEND)).write('!'))
ok("open: mode as an octal string '0640'", async (fs, c) => c.keep(await fs.open(c.p('n'), 'w', A('0640'))))
err('open: O_CREAT|O_EXCL on an existing file is EEXIST', (fs, c) => fs.open(c.p('file.txt'), O_WRONLY | O_CREAT | O_EXCL))
err('open: O_DIRECTORY on a file is ENOTDIR', (fs, c) => fs.open(c.p('file.txt'), O_RDONLY | O_DIRECTORY))
err('open: O_NOFOLLOW on a symlink is ELOOP', (fs, c) => fs.open(c.p('link'), O_RDONLY | O_NOFOLLOW))
err('open: a missing file is ENOENT', (fs, c) => fs.open(c.p('nope')))
err("open: a directory with 'r+' is EISDIR", (fs, c) => fs.open(c.p('dir'), 'r+'))
err("open: a directory with 'w' is EISDIR", (fs, c) => fs.open(c.p('dir'), 'w'))
ok("open: a directory with 'r' works", async (fs, c) => (await openK(fs, c, 'dir')).stat())
err('open: read on a directory handle is EISDIR', async (fs, c) => {
  const h = await openK(fs, c, 'dir')
  return c.call(() => h.read(Buffer.alloc(4), 0, 4, 0))
})
err("open: bad flag string 'zz'", (fs, c) => fs.open(c.p('file.txt'), 'zz'))
err("open: bad flag string 'rw'", (fs, c) => fs.open(c.p('file.txt'), 'rw'))
err('open: flags as an object', (fs, c) => fs.open(c.p('file.txt'), A({})))
err('open: flags 1.5', (fs, c) => fs.open(c.p('file.txt'), A(1.5)))
err("open: mode 'abc'", (fs, c) => fs.open(c.p('n'), 'w', A('abc')))
err('open: mode -1', (fs, c) => fs.open(c.p('n'), 'w', -1))
err('open: mode 2**32', (fs, c) => fs.open(c.p('n'), 'w', 2 ** 32))
err('open: NUL in the path', (fs, c) => fs.open(c.p('file.txt\0x')))
err('open: NUL in a Buffer path', (fs, c) => fs.open(Buffer.from(c.p('a\0b'))))
err('open: path is a number', (fs) => fs.open(A(42)))
err('open: path is undefined', (fs) => fs.open(A(undefined)))
err('open: symlink loop is ELOOP', (fs, c) => fs.open(c.p('loop1')))
err('open: name too long is ENAMETOOLONG', (fs, c) => fs.open(c.p(LONG)))
err('open: a file used as a directory is ENOTDIR', (fs, c) => fs.open(c.p('file.txt', 'x')))
err("open: a dangling symlink with 'r' is ENOENT", (fs, c) => fs.open(c.p('dangling')))
ok("open: a dangling symlink with 'w' creates the target", async (fs, c) => (await openK(fs, c, 'dangling', 'w')).write('made'))
err("open: a dangling symlink with 'wx' is EEXIST", (fs, c) => fs.open(c.p('dangling'), 'wx'))
err('open: URL of another scheme', (fs) => fs.open(A(new URL('http://localhost/x'))))
err('open: file URL with a host', (fs) => fs.open(A(new URL('file://example.com/etc/hostname'))))
err('open: file URL with an encoded slash', (fs, c) => fs.open(A(new URL(c.u('dir').href + '%2Fa'))))
ok('open: File.fd is a number', async (fs, c) => typeof (await openK(fs, c, 'file.txt')).fd)

ok('File.read(buffer, offset, length, position)', async (fs, c) => (await openK(fs, c, 'file.txt')).read(Buffer.alloc(8), 2, 5, 6))
ok('File.read() with no arguments', async (fs, c) => (await openK(fs, c, 'file.txt')).read())
ok('File.read({ buffer, offset, length, position })', async (fs, c) => (await openK(fs, c, 'bin')).read({ buffer: Buffer.alloc(16), offset: 4, length: 8, position: 100 }))
ok('File.read(buffer, { offset, length, position })', async (fs, c) => (await openK(fs, c, 'bin')).read(Buffer.alloc(16), { offset: 1, length: 10, position: 250 }))
ok('File.read: position null reads on from the current position', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  const a = await h.read(Buffer.alloc(5), 0, 5, null)
  const b = await h.read(Buffer.alloc(5), 0, 5, null)
  return [a, b]
})
ok('File.read: bigint position', async (fs, c) => (await openK(fs, c, 'file.txt')).read(Buffer.alloc(4), 0, 4, A(6n)))
ok('File.read: into a Uint8Array', async (fs, c) => (await openK(fs, c, 'file.txt')).read(new Uint8Array(5), 0, 5, 0))
ok('File.read: at end of file is 0 bytes', async (fs, c) => (await openK(fs, c, 'file.txt')).read(Buffer.alloc(4), 0, 4, 1000))
ok('File.read: a 200 kB file in one read', async (fs, c) => (await openK(fs, c, 'big')).read(Buffer.alloc(200_000), 0, 200_000, 0))
err('File.read: offset past the buffer', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.read(Buffer.alloc(4), 10, 1, 0))
})
err('File.read: length past the buffer', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.read(Buffer.alloc(4), 0, 10, 0))
})
err('File.read: buffer is a string', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.read(A('nope'), 0, 1, 0))
})
ok('File.read: position -2', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.read(Buffer.alloc(4), 0, 4, -2))
})
err('File.read: on a write-only handle is EBADF', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'a')
  return c.call(() => h.read(Buffer.alloc(4), 0, 4, 0))
})
err('File.read: after close is EBADF', async (fs, c) => {
  const h = await fs.open(c.p('file.txt'))
  await h.close()
  return c.call(() => h.read(Buffer.alloc(4), 0, 4, 0))
})
ok('File.write(buffer)', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).write(Buffer.from('JELLO')))
ok('File.write(buffer, offset, length, position)', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).write(Buffer.from('0123456789'), 2, 3, 4))
ok('File.write(buffer, { offset, length, position })', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).write(Buffer.from('0123456789'), A({ offset: 5, length: 2, position: 1 })))
ok("File.write(string, position, 'hex')", async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).write('414243', 1, 'hex'))
ok("File.write(string, null, 'latin1')", async (fs, c) => (await openK(fs, c, 'empty', 'r+')).write('ÿé', null, 'latin1'))
ok('File.write: utf8 string', async (fs, c) => (await openK(fs, c, 'empty', 'w')).write('☃😀'))
ok('File.write: past the end leaves a hole', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).write('Z', 20))
ok('File.write: a Uint8Array', async (fs, c) => (await openK(fs, c, 'empty', 'w')).write(new Uint8Array([65, 66, 67])))
err('File.write: on a read-only handle is EBADF', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.write('x'))
})
err('File.write: a number', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  return c.call(() => h.write(A(123)))
})
err('File.write: offset past the buffer', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  return c.call(() => h.write(Buffer.from('abc'), 5, 1, 0))
})
err('File.write: after close is EBADF', async (fs, c) => {
  const h = await fs.open(c.p('file.txt'), 'r+')
  await h.close()
  return c.call(() => h.write('x'))
})
ok('File.readv', async (fs, c) => (await openK(fs, c, 'file.txt')).readv([Buffer.alloc(3), Buffer.alloc(4), Buffer.alloc(20)], 1))
ok('File.readv: position null, twice', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return [await h.readv([Buffer.alloc(2), Buffer.alloc(2)]), await h.readv([Buffer.alloc(3)])]
})
err('File.readv: not an array', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.readv(A(Buffer.alloc(3))))
})
err('File.readv: an array holding a string', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.readv(A(['abc'])))
})
ok('File.writev at a position', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).writev([Buffer.from('AB'), Buffer.from('CDE')], 3))
ok('File.writev on an append handle', async (fs, c) => (await openK(fs, c, 'file.txt', 'a')).writev([Buffer.from('1'), Buffer.from('23')]))
ok('File.writev of nothing', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).writev([]))
ok('File.stat', async (fs, c) => (await openK(fs, c, 'file.txt')).stat())
ok('File.stat({ bigint: true })', async (fs, c) => (await openK(fs, c, 'bin')).stat({ bigint: true }))
ok('File.truncate(3)', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).truncate(3))
ok('File.truncate() empties', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).truncate())
ok('File.truncate(50) extends with zeros', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).truncate(50))
err('File.truncate on a read-only handle', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.truncate(1))
})
ok('File.truncate(-1)', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  return c.call(() => h.truncate(-1))
})
err("File.truncate('3')", async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  return c.call(() => h.truncate(A('3')))
})
ok('File.sync and File.datasync', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  return [await h.sync(), await h.datasync()]
})
ok('File.readFile() gives a Buffer', async (fs, c) => (await openK(fs, c, 'bin')).readFile())
ok("File.readFile({ encoding: 'base64' })", async (fs, c) => (await openK(fs, c, 'bin')).readFile({ encoding: 'base64' }))
ok('File.readFile reads from the current position', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  await h.read(Buffer.alloc(6), 0, 6, null)
  return h.readFile('utf8')
})
ok('File.readFile of a 200 kB file', async (fs, c) => (await openK(fs, c, 'big')).readFile())
err('File.readFile on a write-only handle is EBADF', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'w')
  return c.call(() => h.readFile())
})
err('File.readFile: aborted signal', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.readFile({ signal: aborted() }))
})
ok('File.writeFile writes from the current position', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  await h.read(Buffer.alloc(6), 0, 6, null)
  return h.writeFile('WORLD')
})
ok("File.writeFile(string, 'hex')", async (fs, c) => (await openK(fs, c, 'empty', 'w')).writeFile('deadbeef', 'hex'))
ok('File.appendFile', async (fs, c) => (await openK(fs, c, 'file.txt', 'a')).appendFile('more\n'))
err('File.writeFile: a number', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'w')
  return c.call(() => h.writeFile(A(5)))
})
ok('File.close resolves undefined, fd is -1 after', async (fs, c) => {
  const h = await fs.open(c.p('file.txt'))
  const r = await h.close()
  return [r, h.fd]
})
ok('File.close twice', async (fs, c) => {
  const h = await fs.open(c.p('file.txt'))
  await h.close()
  return h.close()
})
ok('File[Symbol.asyncDispose] closes', async (fs, c) => {
  const h = await fs.open(c.p('file.txt'))
  const dispose = (h as unknown as Record<symbol, () => Promise<void>>)[Symbol.asyncDispose]
  if (typeof dispose !== 'function') return 'no Symbol.asyncDispose'
  const r = await dispose.call(h)
  return [r, h.fd]
})
ok('File.createReadStream: the whole file', async (fs, c) => collect((await openK(fs, c, 'big')).createReadStream()))
ok('File.createReadStream: start and end', async (fs, c) => collect((await openK(fs, c, 'big')).createReadStream({ start: 1000, end: 70_000 })))
ok("File.createReadStream: encoding 'utf8'", async (fs, c) => collect((await openK(fs, c, 'utf8.txt')).createReadStream({ encoding: 'utf8' })))
// { type: 'bytes' }: Node 20's default form reads through the handle's StreamBase and segfaults
// when a GC runs while many such streams are open (node 20.20, reproduced outside this suite).
ok("File.readableWebStream({ type: 'bytes' })", async (fs, c) => collect((await openK(fs, c, 'big')).readableWebStream({ type: 'bytes' }) as unknown as AsyncIterable<unknown>))

// readFile ----------------------------------------------------------------------------------------
ok('readFile: string path gives a Buffer', (fs, c) => fs.readFile(c.p('file.txt')))
ok('readFile: Buffer path', (fs, c) => fs.readFile(c.b('bin')))
ok('readFile: URL path', (fs, c) => fs.readFile(c.u('file.txt')))
ok("readFile: encoding 'utf8' as a string", (fs, c) => fs.readFile(c.p('utf8.txt'), 'utf8'))
ok("readFile: { encoding: 'hex' }", (fs, c) => fs.readFile(c.p('bin'), { encoding: 'hex' }))
ok("readFile: 'base64'", (fs, c) => fs.readFile(c.p('bin'), 'base64'))
ok("readFile: 'latin1'", (fs, c) => fs.readFile(c.p('bin'), 'latin1'))
ok("readFile: 'ascii'", (fs, c) => fs.readFile(c.p('utf8.txt'), 'ascii'))
ok("readFile: 'utf16le'", (fs, c) => fs.readFile(c.p('file.txt'), 'utf16le'))
ok("readFile: 'base64url'", (fs, c) => fs.readFile(c.p('bin'), 'base64url'))
ok('readFile: { encoding: null }', (fs, c) => fs.readFile(c.p('file.txt'), { encoding: null }))
ok('readFile: empty file', (fs, c) => fs.readFile(c.p('empty')))
ok('readFile: 200 kB file', (fs, c) => fs.readFile(c.p('big')))
ok('readFile: through a symlink', (fs, c) => fs.readFile(c.p('link'), 'utf8'))
ok('readFile: through a directory symlink', (fs, c) => fs.readFile(c.p('dirlink', 'sub', 'c'), 'utf8'))
ok('readFile: /proc/version (st_size 0, has bytes)', (fs) => fs.readFile('/proc/version', 'utf8'))
ok('readFile: /proc/self/cmdline', (fs) => fs.readFile('/proc/self/cmdline'))
ok('readFile: /dev/null', (fs) => fs.readFile('/dev/null'))
ok("readFile: flag 'a+' creates a missing file", (fs, c) => fs.readFile(c.p('made'), { flag: 'a+' }))
ok("readFile: flag 'w+' truncates", (fs, c) => fs.readFile(c.p('file.txt'), { flag: 'w+', encoding: 'utf8' }))
ok('readFile: a File of the same module', async (fs, c) => fs.readFile(await openK(fs, c, 'file.txt'), 'utf8'))
ok('readFile: ro.txt (0444)', (fs, c) => fs.readFile(c.p('ro.txt'), 'utf8'))
err('readFile: a directory is EISDIR', (fs, c) => fs.readFile(c.p('dir')))
err('readFile: missing is ENOENT', (fs, c) => fs.readFile(c.p('nope')))
err('readFile: missing, Buffer path', (fs, c) => fs.readFile(c.b('nope')))
err('readFile: missing, URL path', (fs, c) => fs.readFile(c.u('nope')))
err('readFile: a dangling symlink is ENOENT', (fs, c) => fs.readFile(c.p('dangling')))
err('readFile: a file as a directory is ENOTDIR', (fs, c) => fs.readFile(c.p('file.txt', 'a')))
err('readFile: symlink loop is ELOOP', (fs, c) => fs.readFile(c.p('loop1')))
err('readFile: name too long', (fs, c) => fs.readFile(c.p(LONG)))
err('readFile: path too long', (fs, c) => fs.readFile(c.p(Array(20).fill('y'.repeat(250)).join('/'))))
err('readFile: NUL in the path', (fs, c) => fs.readFile(c.p('a\0b')))
err('readFile: path is a number', (fs) => fs.readFile(A(1.5)))
err('readFile: path is an object', (fs) => fs.readFile(A({ path: '/x' })))
err('readFile: path is null', (fs) => fs.readFile(A(null)))
err("readFile: unknown encoding 'bogus'", (fs, c) => fs.readFile(c.p('file.txt'), A('bogus')))
err("readFile: unknown flag 'q'", (fs, c) => fs.readFile(c.p('file.txt'), { flag: 'q' }))
err('readFile: signal already aborted', (fs, c) => fs.readFile(c.p('file.txt'), { signal: aborted() }))
err('readFile: signal already aborted with a reason', (fs, c) => fs.readFile(c.p('file.txt'), { signal: AbortSignal.abort(new Error('why')) }))
err('readFile: signal is not an AbortSignal', (fs, c) => fs.readFile(c.p('file.txt'), { signal: A({}) }))
err('readFile: options is a number', (fs, c) => fs.readFile(c.p('file.txt'), A(42)))
err('readFile: secret (0000) is EACCES', (fs, c) => fs.readFile(c.p('secret')), { asUser: true })
err('readFile: inside a no-search directory is EACCES', (fs, c) => fs.readFile(c.p('noxdir', 'f')), { asUser: true })

// readFile at the edges of a 64 KiB read (the chain's first read) and many at once
const sized = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255))
for (const n of [4095, 4096, 65535, 65536, 65537, 81919, 81920, 81921, 131072, 131073]) {
  ok(`readFile: a file of ${n} bytes`, (fs, c) => fs.readFile(c.p('sized')), { setup: (c) => nfs.writeFileSync(c.p('sized'), sized(n)) })
}
ok("readFile: 65536 bytes as 'base64'", (fs, c) => fs.readFile(c.p('sized'), 'base64'), { setup: (c) => nfs.writeFileSync(c.p('sized'), sized(65536)) })
const many = (c: Ctx): void => {
  nfs.mkdirSync(c.p('many'))
  for (let i = 0; i < 200; i++) nfs.writeFileSync(c.p('many', `f${i}`), `file ${i} `.repeat(i % 7))
}
ok('readFile: 200 files at once', (fs, c) => Promise.all(Array.from({ length: 200 }, (_, i) => fs.readFile(c.p('many', `f${i}`), 'utf8'))), { setup: many })
ok('readFile: 200 at once, every third missing or a directory', (fs, c) =>
  Promise.allSettled(
    Array.from({ length: 200 }, (_, i) => fs.readFile(i % 3 === 0 ? c.p('many', `nope${i}`) : i % 3 === 1 ? c.p('many', `f${i}`) : c.p('dir'))),
  ).then((rs) => rs.map((r) => (r.status === 'fulfilled' ? r.value : r.reason))),
  { setup: many },
)
ok('stat: 200 files at once', (fs, c) => Promise.all(Array.from({ length: 200 }, (_, i) => fs.stat(c.p('many', `f${i}`)).then((s) => s.size))), { setup: many })
ok('File.read: 50 positioned reads at once on one handle', async (fs, c) => {
  const h = await openK(fs, c, 'bin')
  return Promise.all(Array.from({ length: 50 }, (_, i) => h.read(Buffer.alloc(5), 0, 5, i * 5)))
})
ok('readFile: a FIFO, written and closed by another opener', (fs, c) => {
  const reading = fs.readFile(c.p('fifo'), 'utf8')
  // node:fs for the writer: the same on both sides (opening for write waits for the reader)
  const writing = nfs.promises.writeFile(c.p('fifo'), 'through a pipe '.repeat(5000))
  return Promise.all([reading, writing])
}, { setup: (c) => execFileSync('mkfifo', [c.p('fifo')]) })
ok('readFile: an empty FIFO (the writer closes at once)', (fs, c) => {
  const reading = fs.readFile(c.p('fifo'))
  return Promise.all([reading, nfs.promises.writeFile(c.p('fifo'), '')])
}, { setup: (c) => execFileSync('mkfifo', [c.p('fifo')]) })
ok('writeFile: { flush: true }', (fs, c) => fs.writeFile(c.p('new'), 'flushed', A({ flush: true })))
ok('appendFile: { flush: true }', (fs, c) => fs.appendFile(c.p('file.txt'), 'flushed', A({ flush: true })))
err('writeFile: flush is a string', (fs, c) => fs.writeFile(c.p('new'), 'x', A({ flush: 'yes' })))
ok("open: 'sa+' and 'xa+'", async (fs, c) => {
  await (await openK(fs, c, 'file.txt', 'sa+')).write('S')
  return (await openK(fs, c, 'new', 'xa+')).write('X')
})
err("open: 'xa' on an existing file is EEXIST", (fs, c) => fs.open(c.p('file.txt'), 'xa'))

// writeFile / appendFile --------------------------------------------------------------------------
ok('writeFile: a string', (fs, c) => fs.writeFile(c.p('file.txt'), 'replaced'))
ok('writeFile: a Buffer to a new file', (fs, c) => fs.writeFile(c.p('new'), BIN))
ok('writeFile: a Uint8Array', (fs, c) => fs.writeFile(c.p('new'), new Uint8Array([1, 2, 3])))
ok('writeFile: a DataView', (fs, c) => fs.writeFile(c.p('new'), new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2)))
ok('writeFile: Buffer path', (fs, c) => fs.writeFile(c.b('new'), 'b'))
ok('writeFile: URL path', (fs, c) => fs.writeFile(c.u('new'), 'u'))
ok("writeFile: encoding 'hex'", (fs, c) => fs.writeFile(c.p('new'), '00ff10', 'hex'))
ok("writeFile: { encoding: 'base64', mode: 0o600 }", (fs, c) => fs.writeFile(c.p('new'), 'aGVsbG8=', { encoding: 'base64', mode: 0o600 }))
ok('writeFile: mode on an existing file is ignored', (fs, c) => fs.writeFile(c.p('file.txt'), 'x', { mode: 0o600 }))
ok("writeFile: flag 'a' appends", (fs, c) => fs.writeFile(c.p('file.txt'), 'more', { flag: 'a' }))
ok("writeFile: flag 'wx' on a new file", (fs, c) => fs.writeFile(c.p('new'), 'x', { flag: 'wx' }))
ok('writeFile: empty string', (fs, c) => fs.writeFile(c.p('file.txt'), ''))
ok('writeFile: 1 MiB', (fs, c) => fs.writeFile(c.p('new'), Buffer.alloc(1 << 20, 'ab')))
ok('writeFile: through a symlink writes the target', (fs, c) => fs.writeFile(c.p('link'), 'via link'))
ok('writeFile: through a dangling symlink creates the target', (fs, c) => fs.writeFile(c.p('dangling'), 'made'))
ok('writeFile: an array of strings (iterable)', (fs, c) => fs.writeFile(c.p('new'), A(['a', 'b', 'c'])))
ok('writeFile: an async iterable', (fs, c) =>
  fs.writeFile(
    c.p('new'),
    (async function* () {
      yield 'x'
      yield Buffer.from('y')
    })(),
  ),
)
ok('writeFile: a File of the same module', async (fs, c) => fs.writeFile(await openK(fs, c, 'file.txt', 'r+'), 'AB'))
ok('writeFile: ro.txt as root is allowed', (fs, c) => fs.writeFile(c.p('ro.txt'), 'root writes'))
err("writeFile: flag 'wx' on an existing file is EEXIST", (fs, c) => fs.writeFile(c.p('file.txt'), 'x', { flag: 'wx' }))
err('writeFile: to a directory is EISDIR', (fs, c) => fs.writeFile(c.p('dir'), 'x'))
err('writeFile: missing parent is ENOENT', (fs, c) => fs.writeFile(c.p('nodir', 'f'), 'x'))
err('writeFile: parent is a file, ENOTDIR', (fs, c) => fs.writeFile(c.p('file.txt', 'f'), 'x'))
err('writeFile: data is a number', (fs, c) => fs.writeFile(c.p('new'), A(42)))
err('writeFile: data is an object', (fs, c) => fs.writeFile(c.p('new'), A({ a: 1 })))
err('writeFile: NUL in the path', (fs, c) => fs.writeFile(c.p('n\0'), 'x'))
err('writeFile: signal already aborted', (fs, c) => fs.writeFile(c.p('new'), 'x', { signal: aborted() }))
err('writeFile: bad mode', (fs, c) => fs.writeFile(c.p('new'), 'x', { mode: A('rwx') }))
err("writeFile: flag 'bogus'", (fs, c) => fs.writeFile(c.p('new'), 'x', { flag: 'bogus' }))
err('writeFile: ro.txt as a user is EACCES', (fs, c) => fs.writeFile(c.p('ro.txt'), 'x'), { asUser: true })
err('writeFile: new file in a read-only directory is EACCES', (fs, c) => fs.writeFile(c.p('rodir', 'new'), 'x'), { asUser: true })
ok('appendFile: to an existing file', (fs, c) => fs.appendFile(c.p('file.txt'), 'more\n'))
ok('appendFile: creates a new file with mode 0o640', (fs, c) => fs.appendFile(c.p('new'), 'first', { mode: 0o640 }))
ok("appendFile: encoding 'latin1'", (fs, c) => fs.appendFile(c.p('file.txt'), 'é', 'latin1'))
ok('appendFile: a Buffer, URL path', (fs, c) => fs.appendFile(c.u('bin'), Buffer.from([0, 1])))
ok('appendFile: a File of the same module', async (fs, c) => fs.appendFile(await openK(fs, c, 'file.txt', 'a'), 'H'))
err('appendFile: to a directory is EISDIR', (fs, c) => fs.appendFile(c.p('dir'), 'x'))
err('appendFile: data is a number', (fs, c) => fs.appendFile(c.p('file.txt'), A(1)))
err('appendFile: signal already aborted', (fs, c) => fs.appendFile(c.p('file.txt'), 'x', A({ signal: aborted() })))
err("appendFile: flag 'ax' on an existing file is EEXIST", (fs, c) => fs.appendFile(c.p('file.txt'), 'x', { flag: 'ax' }))
err('appendFile: ro.txt as a user is EACCES', (fs, c) => fs.appendFile(c.p('ro.txt'), 'x'), { asUser: true })

// stat / lstat ------------------------------------------------------------------------------------
ok('stat: a file', (fs, c) => fs.stat(c.p('file.txt')))
ok('stat: a directory', (fs, c) => fs.stat(c.p('dir')))
ok('stat: follows a symlink', (fs, c) => fs.stat(c.p('link')))
ok('stat: { bigint: true }', (fs, c) => fs.stat(c.p('bin'), { bigint: true }))
ok('stat: Buffer path', (fs, c) => fs.stat(c.b('ro.txt')))
ok('stat: URL path', (fs, c) => fs.stat(c.u('script.sh')))
ok('stat: /dev/null (a character device)', (fs) => fs.stat('/dev/null'))
ok('stat: / ', (fs) => fs.stat('/'))
ok("stat: '.' (relative)", (fs) => fs.stat('.'))
ok('stat: a 200 kB file (blocks)', (fs, c) => fs.stat(c.p('big')))
ok('lstat: a symlink is a symlink', (fs, c) => fs.lstat(c.p('link')))
ok('lstat: a dangling symlink', (fs, c) => fs.lstat(c.p('dangling')))
ok('lstat: { bigint: true } of a directory', (fs, c) => fs.lstat(c.p('dir'), { bigint: true }))
ok('lstat: a file', (fs, c) => fs.lstat(c.p('file.txt')))
err('stat: missing is ENOENT', (fs, c) => fs.stat(c.p('nope')))
err('stat: a dangling symlink is ENOENT', (fs, c) => fs.stat(c.p('dangling')))
err('stat: ENOTDIR', (fs, c) => fs.stat(c.p('file.txt', 'x')))
err('stat: ELOOP', (fs, c) => fs.stat(c.p('loop1')))
err('stat: ENAMETOOLONG', (fs, c) => fs.stat(c.p(LONG)))
err('stat: NUL in the path', (fs, c) => fs.stat(c.p('\0')))
err('stat: path is a number', (fs) => fs.stat(A(3)))
err('stat: empty path is ENOENT', (fs) => fs.stat(''))
err('lstat: missing is ENOENT', (fs, c) => fs.lstat(c.p('nope')))
err('lstat: ENOTDIR', (fs, c) => fs.lstat(c.p('file.txt', 'x')))
err('lstat: path is an array', (fs) => fs.lstat(A(['/'])))
err('stat: inside a no-search directory is EACCES', (fs, c) => fs.stat(c.p('noxdir', 'f')), { asUser: true })
err('lstat: inside a no-search directory is EACCES', (fs, c) => fs.lstat(c.p('noxdir', 'f')), { asUser: true })

// access ------------------------------------------------------------------------------------------
ok('access: exists (F_OK default)', (fs, c) => fs.access(c.p('file.txt')))
ok('access: R_OK | W_OK', (fs, c) => fs.access(c.p('file.txt'), R_OK | W_OK))
ok('access: X_OK on an executable', (fs, c) => fs.access(c.p('script.sh'), X_OK))
ok('access: F_OK on a directory, URL path', (fs, c) => fs.access(c.u('dir'), F_OK))
ok("access: '.' (relative)", (fs) => fs.access('.'))
err('access: missing is ENOENT', (fs, c) => fs.access(c.p('nope')))
err('access: X_OK on a 0644 file is EACCES (even for root)', (fs, c) => fs.access(c.p('file.txt'), X_OK))
err('access: a dangling symlink is ENOENT', (fs, c) => fs.access(c.p('dangling')))
err('access: mode 8 is out of range', (fs, c) => fs.access(c.p('file.txt'), 8))
err("access: mode 'r'", (fs, c) => fs.access(c.p('file.txt'), A('r')))
err('access: NUL in the path', (fs, c) => fs.access(c.p('\0x')))
err('access: W_OK on ro.txt as a user is EACCES', (fs, c) => fs.access(c.p('ro.txt'), W_OK), { asUser: true })
err('access: R_OK on secret as a user is EACCES', (fs, c) => fs.access(c.p('secret'), R_OK), { asUser: true })

// unlink --------------------------------------------------------------------------------------------
ok('unlink: a file', (fs, c) => fs.unlink(c.p('file.txt')))
ok('unlink: a symlink removes the link, not the target', (fs, c) => fs.unlink(c.p('link')))
ok('unlink: a dangling symlink', (fs, c) => fs.unlink(c.b('dangling')))
ok('unlink: URL path', (fs, c) => fs.unlink(c.u('dir', 'a')))
err('unlink: missing is ENOENT', (fs, c) => fs.unlink(c.p('nope')))
err('unlink: a directory is EISDIR', (fs, c) => fs.unlink(c.p('dir')))
err('unlink: ENOTDIR', (fs, c) => fs.unlink(c.p('file.txt', 'x')))
err('unlink: NUL in the path', (fs, c) => fs.unlink(c.p('file.txt\0')))
err('unlink: path is a boolean', (fs) => fs.unlink(A(true)))
err('unlink: in a read-only directory as a user is EACCES', (fs, c) => fs.unlink(c.p('rodir', 'f')), { asUser: true })

// rename --------------------------------------------------------------------------------------------
ok('rename: a file to a new name', (fs, c) => fs.rename(c.p('file.txt'), c.p('moved')))
ok('rename: over an existing file', (fs, c) => fs.rename(c.p('file.txt'), c.p('bin')))
ok('rename: a directory', (fs, c) => fs.rename(c.p('dir'), c.p('dir2')))
ok('rename: a directory over an empty directory', (fs, c) => fs.rename(c.p('dir'), c.p('emptydir')))
ok('rename: Buffer and URL paths', (fs, c) => fs.rename(c.b('file.txt'), c.u('dir', 'moved')))
ok('rename: to itself', (fs, c) => fs.rename(c.p('file.txt'), c.p('file.txt')))
ok('rename: a symlink moves the link', (fs, c) => fs.rename(c.p('link'), c.p('dir', 'link')))
err('rename: missing source is ENOENT', (fs, c) => fs.rename(c.p('nope'), c.p('x')))
err('rename: over a non-empty directory is ENOTEMPTY', (fs, c) => fs.rename(c.p('emptydir'), c.p('dir')))
err('rename: a file over a directory is EISDIR', (fs, c) => fs.rename(c.p('file.txt'), c.p('emptydir')))
err('rename: a directory over a file is ENOTDIR', (fs, c) => fs.rename(c.p('dir'), c.p('file.txt')))
err('rename: a directory into itself is EINVAL', (fs, c) => fs.rename(c.p('dir'), c.p('dir', 'sub', 'x')))
err('rename: missing destination parent is ENOENT', (fs, c) => fs.rename(c.p('file.txt'), c.p('nodir', 'x')))
err('rename: NUL in the destination', (fs, c) => fs.rename(c.p('file.txt'), c.p('x\0')))
err('rename: destination is a number', (fs, c) => fs.rename(c.p('file.txt'), A(7)))
err('rename: to another filesystem is EXDEV', (fs, c) => {
  const o = c.other()
  if (o === undefined) return 'skipped: no second filesystem'
  return fs.rename(c.p('file.txt'), path.join(o, 'x'))
})
err('rename: out of a read-only directory as a user is EACCES', (fs, c) => fs.rename(c.p('rodir', 'f'), c.p('f')), { asUser: true })

// mkdir ---------------------------------------------------------------------------------------------
ok('mkdir: a new directory', (fs, c) => fs.mkdir(c.p('new')))
ok('mkdir: mode 0o700 as a number', (fs, c) => fs.mkdir(c.p('new'), 0o700))
ok("mkdir: { mode: '750' } as a string", (fs, c) => fs.mkdir(c.p('new'), { mode: A('750') }))
ok('mkdir: recursive, new nested, resolves with the first made', (fs, c) => fs.mkdir(c.p('n1', 'n2', 'n3'), { recursive: true }))
ok('mkdir: recursive, existing, resolves undefined', (fs, c) => fs.mkdir(c.p('dir', 'sub'), { recursive: true }))
ok('mkdir: recursive with mode', (fs, c) => fs.mkdir(c.p('m1', 'm2'), { recursive: true, mode: 0o711 }))
ok('mkdir: recursive through a directory symlink', (fs, c) => fs.mkdir(c.p('dirlink', 'x', 'y'), { recursive: true }))
ok('mkdir: Buffer path', (fs, c) => fs.mkdir(c.b('bufdir')))
ok('mkdir: URL path, recursive', (fs, c) => fs.mkdir(c.u('u1', 'u2'), { recursive: true }))
err('mkdir: existing is EEXIST', (fs, c) => fs.mkdir(c.p('dir')))
err('mkdir: on an existing file is EEXIST', (fs, c) => fs.mkdir(c.p('file.txt')))
err('mkdir: recursive on an existing file is EEXIST', (fs, c) => fs.mkdir(c.p('file.txt'), { recursive: true }))
err('mkdir: recursive through a file is ENOTDIR', (fs, c) => fs.mkdir(c.p('file.txt', 'a', 'b'), { recursive: true }))
err('mkdir: missing parent is ENOENT', (fs, c) => fs.mkdir(c.p('n1', 'n2')))
err('mkdir: on a dangling symlink is EEXIST', (fs, c) => fs.mkdir(c.p('dangling')))
err('mkdir: ENAMETOOLONG', (fs, c) => fs.mkdir(c.p(LONG)))
err('mkdir: NUL in the path', (fs, c) => fs.mkdir(c.p('d\0')))
err("mkdir: mode 'rwx'", (fs, c) => fs.mkdir(c.p('new'), A('rwx')))
err('mkdir: recursive is a string', (fs, c) => fs.mkdir(c.p('new'), { recursive: A('yes') }))
err('mkdir: in a read-only directory as a user is EACCES', (fs, c) => fs.mkdir(c.p('rodir', 'new')), { asUser: true })
err('mkdir: recursive in a read-only directory as a user is EACCES', (fs, c) => fs.mkdir(c.p('rodir', 'a', 'b'), { recursive: true }), { asUser: true })

// rmdir / rm ----------------------------------------------------------------------------------------
ok('rmdir: an empty directory', (fs, c) => fs.rmdir(c.p('emptydir')))
ok('rmdir: URL path', (fs, c) => fs.rmdir(c.u('emptydir')))
err('rmdir: a non-empty directory is ENOTEMPTY', (fs, c) => fs.rmdir(c.p('dir')))
err('rmdir: missing is ENOENT', (fs, c) => fs.rmdir(c.p('nope')))
err('rmdir: a file is ENOTDIR', (fs, c) => fs.rmdir(c.p('file.txt')))
err('rmdir: a symlink to a directory is ENOTDIR', (fs, c) => fs.rmdir(c.p('dirlink')))
err('rmdir: NUL in the path', (fs, c) => fs.rmdir(c.p('e\0')))
err('rmdir: in a read-only directory as a user is EACCES', (fs, c) => fs.rmdir(c.p('rodir', 'f')), {
  asUser: true,
  setup: (c) => {
    nfs.chmodSync(c.p('rodir'), 0o755)
    nfs.unlinkSync(c.p('rodir', 'f'))
    nfs.mkdirSync(c.p('rodir', 'f'))
    nfs.chmodSync(c.p('rodir'), 0o555)
  },
})
ok('rm: a file', (fs, c) => fs.rm(c.p('file.txt')))
ok('rm: a directory, recursive', (fs, c) => fs.rm(c.p('dir'), { recursive: true }))
ok('rm: missing with force', (fs, c) => fs.rm(c.p('nope'), { force: true }))
ok('rm: a symlink to a directory removes the link', (fs, c) => fs.rm(c.p('dirlink'), { recursive: true }))
ok('rm: an empty directory, recursive', (fs, c) => fs.rm(c.u('emptydir'), { recursive: true, force: true }))
err('rm: missing is ENOENT', (fs, c) => fs.rm(c.p('nope')))
err('rm: a directory without recursive is ERR_FS_EISDIR', (fs, c) => fs.rm(c.p('dir')))
err('rm: ENOTDIR', (fs, c) => fs.rm(c.p('file.txt', 'x'), { force: true }))
err('rm: options.recursive is a number', (fs, c) => fs.rm(c.p('dir'), { recursive: A(1) }))
err('rm: maxRetries -1', (fs, c) => fs.rm(c.p('file.txt'), { maxRetries: -1 }))
err('rm: in a read-only directory as a user is EACCES', (fs, c) => fs.rm(c.p('rodir', 'f')), { asUser: true })

// readdir -------------------------------------------------------------------------------------------
const byName = <T>(xs: T[]): T[] => [...xs].sort((a, b) => String((a as { name?: unknown }).name ?? a).localeCompare(String((b as { name?: unknown }).name ?? b)))
ok('readdir: names', async (fs, c) => byName(await fs.readdir(c.p())))
ok('readdir: withFileTypes', async (fs, c) => byName(await fs.readdir(c.p(), { withFileTypes: true })))
ok("readdir: encoding 'buffer'", async (fs, c) => (await fs.readdir(c.p('dir'), { encoding: 'buffer' })).sort(Buffer.compare))
ok("readdir: encoding 'hex' as a string", async (fs, c) => (await fs.readdir(c.p('dir'), 'hex')).sort())
ok('readdir: recursive', async (fs, c) => (await fs.readdir(c.p('dir'), { recursive: true })).sort())
ok('readdir: recursive withFileTypes', async (fs, c) => byName(await fs.readdir(c.p('dir'), { recursive: true, withFileTypes: true })).map((d) => [d.name, d.parentPath, d.isDirectory()]).sort())
ok('readdir: an empty directory', (fs, c) => fs.readdir(c.p('emptydir')))
ok('readdir: Buffer path', async (fs, c) => (await fs.readdir(c.b('dir'))).sort())
ok('readdir: URL path withFileTypes', async (fs, c) => byName(await fs.readdir(c.u('dir'), { withFileTypes: true })))
ok('readdir: through a directory symlink', async (fs, c) => (await fs.readdir(c.p('dirlink'))).sort())
err('readdir: missing is ENOENT', (fs, c) => fs.readdir(c.p('nope')))
err('readdir: a file is ENOTDIR', (fs, c) => fs.readdir(c.p('file.txt')))
err('readdir: ELOOP', (fs, c) => fs.readdir(c.p('loop1')))
err('readdir: NUL in the path', (fs, c) => fs.readdir(c.p('dir\0')))
err("readdir: encoding 'bogus'", (fs, c) => fs.readdir(c.p('dir'), A({ encoding: 'bogus' })))
err('readdir: a no-search directory as a user is EACCES', (fs, c) => fs.readdir(c.p('noxdir', 'x')), { asUser: true })
err('readdir: an unreadable directory as a user is EACCES', (fs, c) => fs.readdir(c.p('noxdir')), {
  asUser: true,
  setup: (c) => nfs.chmodSync(c.p('noxdir'), 0o311),
})

// copyFile ------------------------------------------------------------------------------------------
ok('copyFile: to a new file', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('copy')))
ok('copyFile: over an existing file', (fs, c) => fs.copyFile(c.p('bin'), c.p('file.txt')))
ok('copyFile: 200 kB', (fs, c) => fs.copyFile(c.p('big'), c.p('copy')))
ok('copyFile: an empty file', (fs, c) => fs.copyFile(c.p('empty'), c.p('copy')))
ok('copyFile: keeps the mode of the source (0444)', (fs, c) => fs.copyFile(c.p('ro.txt'), c.p('copy')))
ok('copyFile: keeps the mode of the source (0755)', (fs, c) => fs.copyFile(c.p('script.sh'), c.p('copy')))
ok('copyFile: COPYFILE_EXCL to a new file', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('copy'), COPYFILE_EXCL))
ok('copyFile: COPYFILE_FICLONE falls back to a copy', (fs, c) => fs.copyFile(c.p('big'), c.p('copy'), COPYFILE_FICLONE))
ok('copyFile: through a symlink copies the target', (fs, c) => fs.copyFile(c.p('link'), c.p('copy')))
ok('copyFile: Buffer and URL paths', (fs, c) => fs.copyFile(c.b('bin'), c.u('copy')))
ok('copyFile: onto itself', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('file.txt')))
ok('copyFile: to another filesystem', async (fs, c) => {
  const o = c.other()
  if (o === undefined) return 'skipped: no second filesystem'
  await fs.copyFile(c.p('big'), path.join(o, 'copy'))
  return snapshot(c, o)
})
err('copyFile: COPYFILE_EXCL over an existing file is EEXIST', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('bin'), COPYFILE_EXCL))
err('copyFile: COPYFILE_FICLONE_FORCE where the filesystem cannot clone', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('copy'), COPYFILE_FICLONE_FORCE))
err('copyFile: missing source is ENOENT', (fs, c) => fs.copyFile(c.p('nope'), c.p('copy')))
err('copyFile: missing destination directory is ENOENT', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('nodir', 'copy')))
err('copyFile: a directory as the source', (fs, c) => fs.copyFile(c.p('dir'), c.p('copy')))
err('copyFile: a directory as the destination is EISDIR', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('dir')))
err('copyFile: mode 8', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('copy'), 8))
err("copyFile: mode 'x'", (fs, c) => fs.copyFile(c.p('file.txt'), c.p('copy'), A('x')))
err('copyFile: NUL in the destination', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('c\0')))
err('copyFile: source is a number', (fs, c) => fs.copyFile(A(3), c.p('copy')))
err('copyFile: secret as a user is EACCES', (fs, c) => fs.copyFile(c.p('secret'), c.p('copy')), { asUser: true })
err('copyFile: into a read-only directory as a user is EACCES', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('rodir', 'copy')), { asUser: true })

// truncate ------------------------------------------------------------------------------------------
ok('truncate: to 3', (fs, c) => fs.truncate(c.p('file.txt'), 3))
ok('truncate: default is 0', (fs, c) => fs.truncate(c.p('file.txt')))
ok('truncate: extends to 100 with zeros', (fs, c) => fs.truncate(c.p('file.txt'), 100))
ok('truncate: through a symlink, URL path', (fs, c) => fs.truncate(c.u('link'), 5))
err('truncate: missing is ENOENT', (fs, c) => fs.truncate(c.p('nope'), 1))
err('truncate: a directory is EISDIR', (fs, c) => fs.truncate(c.p('dir')))
ok('truncate: length -1', (fs, c) => fs.truncate(c.p('file.txt'), -1))
err("truncate: length '3'", (fs, c) => fs.truncate(c.p('file.txt'), A('3')))
err('truncate: length 1.5', (fs, c) => fs.truncate(c.p('file.txt'), 1.5))
err('truncate: NUL in the path', (fs, c) => fs.truncate(c.p('f\0'), 1))
err('truncate: ro.txt as a user is EACCES', (fs, c) => fs.truncate(c.p('ro.txt'), 1), { asUser: true })

// symlink / link / readlink / realpath --------------------------------------------------------------
ok('symlink: a relative target', (fs, c) => fs.symlink('file.txt', c.p('sl')))
ok('symlink: a dangling target', (fs, c) => fs.symlink('nowhere', c.p('sl')))
ok("symlink: type 'dir' (ignored on Linux)", (fs, c) => fs.symlink('dir', c.p('sl'), 'dir'))
ok("symlink: type 'junction'", (fs, c) => fs.symlink(c.p('dir'), c.p('sl'), 'junction'))
ok('symlink: Buffer target and URL path', (fs, c) => fs.symlink(Buffer.from('bin'), c.u('sl')))
err('symlink: an existing path is EEXIST', (fs, c) => fs.symlink('file.txt', c.p('link')))
err('symlink: missing parent is ENOENT', (fs, c) => fs.symlink('x', c.p('nodir', 'sl')))
err("symlink: type 'bogus'", (fs, c) => fs.symlink('x', c.p('sl'), A('bogus')))
err('symlink: NUL in the target', (fs, c) => fs.symlink('a\0b', c.p('sl')))
err('symlink: target is a number', (fs, c) => fs.symlink(A(5), c.p('sl')))
err('symlink: in a read-only directory as a user is EACCES', (fs, c) => fs.symlink('x', c.p('rodir', 'sl')), { asUser: true })
ok('link: a hard link (nlink 2)', (fs, c) => fs.link(c.p('file.txt'), c.p('hard')))
ok('link: to a symlink links the symlink itself', (fs, c) => fs.link(c.p('link'), c.p('hard')))
ok('link: Buffer and URL paths', (fs, c) => fs.link(c.b('bin'), c.u('hard')))
err('link: an existing destination is EEXIST', (fs, c) => fs.link(c.p('file.txt'), c.p('bin')))
err('link: missing source is ENOENT', (fs, c) => fs.link(c.p('nope'), c.p('hard')))
err('link: a directory is EPERM', (fs, c) => fs.link(c.p('dir'), c.p('hard')))
err('link: to another filesystem is EXDEV', (fs, c) => {
  const o = c.other()
  if (o === undefined) return 'skipped: no second filesystem'
  return fs.link(c.p('file.txt'), path.join(o, 'hard'))
})
err('link: NUL in the source', (fs, c) => fs.link(c.p('\0'), c.p('hard')))
err('link: into a read-only directory as a user is EACCES', (fs, c) => fs.link(c.p('file.txt'), c.p('rodir', 'h')), { asUser: true })
ok('readlink: a relative symlink', (fs, c) => fs.readlink(c.p('link')))
ok('readlink: an absolute symlink', (fs, c) => fs.readlink(c.p('abslink')))
ok('readlink: a dangling symlink', (fs, c) => fs.readlink(c.b('dangling')))
ok("readlink: encoding 'buffer'", (fs, c) => fs.readlink(c.p('link'), { encoding: 'buffer' }))
ok('readlink: URL path', (fs, c) => fs.readlink(c.u('dirlink')))
err('readlink: a file is EINVAL', (fs, c) => fs.readlink(c.p('file.txt')))
err('readlink: missing is ENOENT', (fs, c) => fs.readlink(c.p('nope')))
err('readlink: NUL in the path', (fs, c) => fs.readlink(c.p('l\0')))
err('readlink: inside a no-search directory as a user is EACCES', (fs, c) => fs.readlink(c.p('noxdir', 'f')), { asUser: true })
ok('realpath: a symlink', (fs, c) => fs.realpath(c.p('link')))
ok('realpath: through a directory symlink', (fs, c) => fs.realpath(c.p('dirlink', 'sub', '..', 'a')))
ok("realpath: '.'", (fs) => fs.realpath('.'))
ok("realpath: encoding 'buffer'", (fs, c) => fs.realpath(c.p('abslink'), { encoding: 'buffer' }))
ok('realpath: URL path', (fs, c) => fs.realpath(c.u('dir')))
err('realpath: a loop is ELOOP', (fs, c) => fs.realpath(c.p('loop1')))
err('realpath: a dangling symlink is ENOENT', (fs, c) => fs.realpath(c.p('dangling')))
err('realpath: ENOTDIR', (fs, c) => fs.realpath(c.p('file.txt', 'x')))
err('realpath: NUL in the path', (fs, c) => fs.realpath(c.p('\0')))
err('realpath: inside a no-search directory as a user is EACCES', (fs, c) => fs.realpath(c.p('noxdir', 'f')), { asUser: true })

// utimes / chmod ------------------------------------------------------------------------------------
ok('utimes: seconds as numbers', async (fs, c) => {
  await fs.utimes(c.p('file.txt'), 1_000_000_000, 1_000_000_001.5)
  return times(fs, c.p('file.txt'))
})
ok('utimes: Dates', async (fs, c) => {
  await fs.utimes(c.p('file.txt'), new Date('2001-02-03T04:05:06.789Z'), new Date('2002-03-04T05:06:07.891Z'))
  return times(fs, c.p('file.txt'))
})
ok('utimes: numeric strings', async (fs, c) => {
  await fs.utimes(c.p('file.txt'), A('123456789'), A('987654321'))
  return times(fs, c.p('file.txt'))
})
ok('utimes: through a symlink sets the target', (fs, c) => fs.utimes(c.p('link'), 86400, 86400 * 2))
ok('utimes: a directory, URL path', (fs, c) => fs.utimes(c.u('emptydir'), 5e8, 6e8))
ok('utimes: negative times', (fs, c) => fs.utimes(c.p('file.txt'), -1, -86400.25))
err('utimes: missing is ENOENT', (fs, c) => fs.utimes(c.p('nope'), 1, 1))
err("utimes: atime 'soon'", (fs, c) => fs.utimes(c.p('file.txt'), A('soon'), 1))
err('utimes: mtime is an object', (fs, c) => fs.utimes(c.p('file.txt'), 1, A({})))
err('utimes: NUL in the path', (fs, c) => fs.utimes(c.p('\0'), 1, 1))
ok('chmod: 0o600', (fs, c) => fs.chmod(c.p('file.txt'), 0o600))
ok("chmod: '755' as a string", (fs, c) => fs.chmod(c.p('file.txt'), '755'))
ok('chmod: setuid, setgid, sticky bits', (fs, c) => fs.chmod(c.p('file.txt'), 0o7755))
ok('chmod: through a symlink changes the target', (fs, c) => fs.chmod(c.p('link'), 0o640))
ok('chmod: a directory, URL path', (fs, c) => fs.chmod(c.u('emptydir'), 0o701))
err('chmod: missing is ENOENT', (fs, c) => fs.chmod(c.p('nope'), 0o600))
err("chmod: mode 'rw'", (fs, c) => fs.chmod(c.p('file.txt'), A('rw')))
err('chmod: mode -1', (fs, c) => fs.chmod(c.p('file.txt'), -1))
err('chmod: mode missing', (fs, c) => fs.chmod(c.p('file.txt'), A(undefined)))
err('chmod: NUL in the path', (fs, c) => fs.chmod(c.p('x\0'), 0o600))
err('chmod: a file the user does not own is EPERM', (fs) => fs.chmod('/', 0o755), { asUser: true })

// where uring/fs takes its own road (docs/fs.md's op table): positions, copy loops, live signals
ok('File.read at a position does not move the current one', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  await h.read(Buffer.alloc(3), 0, 3, 6)
  await h.write('AB', null)
  return [await h.readFile('utf8'), await h.read(Buffer.alloc(20), 0, 20, 0)]
})
ok('File.writev at the current position moves it', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  await h.writev([Buffer.from('12'), Buffer.from('3')], A(null))
  await h.write('|', null)
  return h.stat().then((st) => st.size)
})
ok('File.stat after writes and a truncate', async (fs, c) => {
  const h = await openK(fs, c, 'new', 'w+')
  await h.write(Buffer.alloc(5000, 1))
  await h.truncate(1234)
  return h.stat()
})
ok('File.createReadStream: an empty file', async (fs, c) => collect((await openK(fs, c, 'empty')).createReadStream()))
ok('File.createReadStream: highWaterMark 3', async (fs, c) => collect((await openK(fs, c, 'file.txt')).createReadStream({ highWaterMark: 3 })))
ok('readFile: with a live signal', (fs, c) => fs.readFile(c.p('file.txt'), { signal: new AbortController().signal }))
ok("readFile: a 200 kB file, 'latin1', live signal", (fs, c) => fs.readFile(c.p('big'), { encoding: 'latin1', signal: new AbortController().signal }))
ok('writeFile: with a live signal', (fs, c) => fs.writeFile(c.p('new'), 'signalled', { signal: new AbortController().signal }))
ok('appendFile: with a live signal', (fs, c) => fs.appendFile(c.p('file.txt'), 'signalled', A({ signal: new AbortController().signal })))
ok('writeFile: a Readable', (fs, c) => fs.writeFile(c.p('new'), Readable.from(['r', 'e', 'a', 'd'])))
ok('writeFile: a String object (node 20 still takes it)', (fs, c) => fs.writeFile(c.p('new'), A(new String('boxed'))))
ok('copyFile: 2.5 MiB (several copy rounds)', (fs, c) => fs.copyFile(c.p('large'), c.p('copy')), { setup: (c) => nfs.writeFileSync(c.p('large'), Buffer.concat(Array(13).fill(BIG)).subarray(0, 2.5 * 1024 * 1024)) })
ok('copyFile: a short file over a longer one', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('big')))
ok('copyFile: onto an existing file takes the source mode', (fs, c) => fs.copyFile(c.p('script.sh'), c.p('file.txt')))
ok('copyFile: onto a symlink writes its target', (fs, c) => fs.copyFile(c.p('bin'), c.p('link')))
ok('copyFile: onto a dangling symlink creates its target', (fs, c) => fs.copyFile(c.p('bin'), c.p('dangling')))
ok('copyFile: onto a hard link of itself', async (fs, c) => fs.copyFile(c.p('file.txt'), c.p('hard')), { setup: (c) => nfs.linkSync(c.p('file.txt'), c.p('hard')) })
ok('copyFile: /proc/version (st_size 0)', (fs, c) => fs.copyFile('/proc/version', c.p('copy')))
ok('copyFile: /dev/null', (fs, c) => fs.copyFile('/dev/null', c.p('copy')))
ok('truncate: ro.txt as root', (fs, c) => fs.truncate(c.p('ro.txt'), 2))
ok('truncate: a 200 kB file to 70000', (fs, c) => fs.truncate(c.p('big'), 70_000))
ok('mkdir: recursive with a trailing slash', (fs, c) => fs.mkdir(c.p('t1', 't2') + '/', { recursive: true }))
err('mkdir: recursive through a dangling symlink', (fs, c) => fs.mkdir(c.p('dangling', 'x'), { recursive: true }))
err('mkdir: recursive through a symlink loop', (fs, c) => fs.mkdir(c.p('loop1', 'x'), { recursive: true }))
ok('rm: a dangling symlink', (fs, c) => fs.rm(c.p('dangling')))
ok('rm: a file with recursive', (fs, c) => fs.rm(c.p('file.txt'), { recursive: true }))
ok('rm: Buffer path', (fs, c) => fs.rm(c.b('bin')))
err('unlink: a file with a trailing slash is ENOTDIR', (fs, c) => fs.unlink(c.p('file.txt') + '/'))
err('stat: a file with a trailing slash is ENOTDIR', (fs, c) => fs.stat(c.p('file.txt') + '/'))
ok('stat: a directory with a trailing slash', (fs, c) => fs.stat(c.p('dir') + '/'))
err('rename: a file with a trailing slash is ENOTDIR', (fs, c) => fs.rename(c.p('file.txt') + '/', c.p('x')))
err('rmdir: a trailing-slash symlink to a directory is ENOTDIR', (fs, c) => fs.rmdir(c.p('dirlink') + '/'))
ok('rename: a file over a hard link of itself does nothing', (fs, c) => fs.rename(c.p('file.txt'), c.p('hard')), { setup: (c) => nfs.linkSync(c.p('file.txt'), c.p('hard')) })
err('open: an empty path is ENOENT', (fs) => fs.open(''))
err('mkdir: an empty path is ENOENT', (fs) => fs.mkdir(''))
err('unlink: an empty Buffer path is ENOENT', (fs) => fs.unlink(Buffer.alloc(0)))

// the surface: what node:fs/promises and FileHandle have, uring/fs and File have too
const FH_METHODS = ['appendFile', 'chmod', 'chown', 'close', 'createReadStream', 'createWriteStream', 'datasync', 'getAsyncId', 'read', 'readFile', 'readLines', 'readableWebStream', 'readv', 'stat', 'sync', 'truncate', 'utimes', 'write', 'writeFile', 'writev']
ok('module: every export of node:fs/promises, by type', (fs) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const names = Object.keys(require('node:fs/promises') as object).sort()
  return Object.fromEntries(names.map((n) => [n, typeof (fs as unknown as Record<string, unknown>)[n]]))
})
ok('module: constants', (fs) => fs.constants)
ok('File: the methods of a FileHandle', async (fs, c) => {
  const h = (await openK(fs, c, 'file.txt')) as unknown as Record<string | symbol, unknown>
  return [...FH_METHODS.map((m) => `${m}: ${typeof h[m]}`), `asyncDispose: ${typeof h[Symbol.asyncDispose]}`]
})
ok('File.chmod', async (fs, c) => (await openK(fs, c, 'file.txt')).chmod(0o640))
ok('File.utimes', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  await h.utimes(1_000_000, new Date('2003-04-05T06:07:08.009Z'))
  return h.stat()
})
ok('File.createWriteStream', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  const w = h.createWriteStream({ start: 3 })
  await new Promise<void>((resolve, reject) => {
    w.on('error', reject)
    w.write('abc')
    w.write(Buffer.from('DEF'))
    w.end('!', () => resolve())
  })
  return w.bytesWritten
})
ok('File.readLines', async (fs, c) => {
  const lines: string[] = []
  for await (const l of (await openK(fs, c, 'lines')).readLines()) lines.push(l)
  return lines
}, { setup: (c) => nfs.writeFileSync(c.p('lines'), 'one\ntwo\r\n\nfour') })
ok('opendir: names', async (fs, c) => {
  const names: string[] = []
  for await (const d of await fs.opendir(c.p('dir'))) names.push(`${d.name}:${d.isDirectory()}`)
  return names.sort()
})
ok('cp: a directory, recursive', (fs, c) => fs.cp(c.p('dir'), c.p('dir2'), { recursive: true }))
err('cp: a directory without recursive', (fs, c) => fs.cp(c.p('dir'), c.p('dir2')))
ok('lutimes: a symlink itself', async (fs, c) => {
  await fs.lutimes(c.p('link'), 1000, 2000)
  return fs.lstat(c.p('link'))
})
ok('chown: to nobody', (fs, c) => fs.chown(c.p('file.txt'), 65534, 65534))
ok('mkdtemp: makes a directory with a 6-character suffix', async (fs, c) => {
  const d = await fs.mkdtemp(c.p('tmp-'))
  return [path.basename(d).length, path.dirname(d), nfs.statSync(d).isDirectory(), nfs.rmdirSync(d)]
})

// odd values: none may crash the process; each must come back as node's does
const bufs = (n: number, size: number): Buffer[] => Array.from({ length: n }, () => Buffer.alloc(size))
ok('File.readv: 2000 buffers (more than IOV_MAX)', async (fs, c) => (await openK(fs, c, 'bin')).readv(bufs(2000, 1), 0))
ok('File.writev: 2000 buffers (more than IOV_MAX)', async (fs, c) => (await openK(fs, c, 'new', 'w')).writev(Array.from({ length: 2000 }, (_, i) => Buffer.from([i & 255])), 0))
ok('File.writev: 1500 buffers at the current position, then a write', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  const r = await h.writev(Array.from({ length: 1500 }, (_, i) => Buffer.from([97 + (i % 26)])))
  await h.write('|')
  return r.bytesWritten
})
ok('File.readv: 1500 buffers at the current position, then a read', async (fs, c) => {
  const h = await openK(fs, c, 'big')
  const r = await h.readv(bufs(1500, 3))
  return [r.bytesRead, await h.read(Buffer.alloc(4), 0, 4, null)]
})
ok('File.read: length 0', async (fs, c) => (await openK(fs, c, 'file.txt')).read(Buffer.alloc(4), 0, 0, 0))
ok('File.write: an empty buffer', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).write(Buffer.alloc(0)))
ok('File.read: position 2**52 (far past the end)', async (fs, c) => (await openK(fs, c, 'file.txt')).read(Buffer.alloc(4), 0, 4, 2 ** 52))
err('File.write: position 2**50 (past the largest file) is EFBIG', async (fs, c) => (await openK(fs, c, 'file.txt', 'r+')).write('x', 2 ** 50), { needsSizeLimit: true })
ok('File.read: position 2**53 (not a safe integer: node reads at the current position)', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.read(Buffer.alloc(4), 0, 4, 2 ** 53))
})
err('File.read: offset NaN', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.read(Buffer.alloc(4), NaN, 4, 0))
})
err('File.read: length 2**31', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt')
  return c.call(() => h.read(Buffer.alloc(4), 0, 2 ** 31, 0))
})
err('File.write: length -1', async (fs, c) => {
  const h = await openK(fs, c, 'file.txt', 'r+')
  return c.call(() => h.write(Buffer.from('abc'), 0, -1, 0))
})
err('truncate: length 2**50 is EFBIG', (fs, c) => fs.truncate(c.p('file.txt'), 2 ** 50), { needsSizeLimit: true })
err('truncate: length 2**53', (fs, c) => fs.truncate(c.p('file.txt'), 2 ** 53))
err('readFile: path is a Symbol', (fs) => fs.readFile(A(Symbol('p'))))
err('readFile: path is a bigint', (fs) => fs.readFile(A(1n)))
err('stat: path is a Proxy', (fs) => fs.stat(A(new Proxy({}, {}))))
ok('readFile: a Uint8Array path', (fs, c) => fs.readFile(A(new Uint8Array(c.b('file.txt'))), 'utf8'))
err('readFile: a file URL with an encoded NUL', (fs, c) => fs.readFile(A(new URL(c.u('file.txt').href + '%00x'))))
ok('readFile: a numeric flag O_RDONLY', (fs, c) => fs.readFile(c.p('file.txt'), { flag: O_RDONLY, encoding: 'utf8' }))
ok("appendFile: flag 'w' truncates first", (fs, c) => fs.appendFile(c.p('file.txt'), 'only', { flag: 'w' }))
ok("writeFile: 'utf16le'", (fs, c) => fs.writeFile(c.p('new'), 'ab☃', 'utf16le'))
ok('writeFile: mode 0o777 (masked by the umask)', (fs, c) => fs.writeFile(c.p('new'), 'x', { mode: 0o777 }))
ok('mkdir: mode 0o7777', (fs, c) => fs.mkdir(c.p('new'), 0o7777))
ok('chmod: mode 0o170644 (type bits too)', (fs, c) => fs.chmod(c.p('file.txt'), 0o170644))
err('utimes: NaN', (fs, c) => fs.utimes(c.p('file.txt'), NaN, 1))
err('utimes: Infinity', (fs, c) => fs.utimes(c.p('file.txt'), 1, Infinity))
err('utimes: an invalid Date', async (fs, c) => {
  await fs.utimes(c.p('file.txt'), new Date(NaN), 1)
  return fs.stat(c.p('file.txt')).then((st) => st.mtimeMs)
})
ok('copyFile: COPYFILE_EXCL | COPYFILE_FICLONE', (fs, c) => fs.copyFile(c.p('file.txt'), c.p('copy'), COPYFILE_EXCL | COPYFILE_FICLONE))
ok('readdir: withFileTypes sees a FIFO', async (fs, c) => byName(await fs.readdir(c.p('dir'), { withFileTypes: true })), { setup: (c) => execFileSync('mkfifo', [c.p('dir', 'fifo')]) })
ok('stat: a FIFO', (fs, c) => fs.stat(c.p('fifo')), { setup: (c) => execFileSync('mkfifo', [c.p('fifo')]) })
ok("open: a FIFO with 'r+' (no wait)", async (fs, c) => (await openK(fs, c, 'fifo', 'r+')).stat(), { setup: (c) => execFileSync('mkfifo', [c.p('fifo')]) })

/** Every case, in order; names are unique. */
export const CASES: readonly FsCase[] = list

const names = new Set<string>()
for (const k of list) {
  if (names.has(k.name)) throw new Error(`duplicate fs case name: ${k.name}`)
  names.add(k.name)
}
