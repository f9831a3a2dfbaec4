/**
 * Shared helpers of the specs (not a spec itself: ava only runs `*.spec.ts`).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'
import test from 'ava'
import type { ExecutionContext, Implementation } from 'ava'
import { Cqe, Op, Ring, RingOptions, RingSetupError, op } from '../index'

/** The running kernel's release as [major, minor]. */
export function kernelVersion(): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(os.release())
  return m ? [Number(m[1]), Number(m[2])] : [0, 0]
}

/** Whether the running kernel is at least `v` ('5.19'). */
export function kernelAtLeast(v: string): boolean {
  const [a, b] = v.split('.').map(Number)
  const [x, y] = kernelVersion()
  return x > a || (x === a && y >= b)
}

/** A fresh temporary directory, removed when the test ends. */
export function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-test-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Opens `file` with `flags`, closed when the test ends. */
export function openFile(t: ExecutionContext, file: string, flags: string | number, mode?: number): number {
  const fd = fs.openSync(file, flags, mode)
  t.teardown(() => {
    try {
      fs.closeSync(fd)
    } catch {
      // already closed by the test
    }
  })
  return fd
}

/** A ring closed when the test ends. */
export function ring(t: ExecutionContext, options?: RingOptions): Ring {
  const r = new Ring(options)
  t.teardown(() => {
    r.close()
  })
  return r
}

/** An fd number that is certainly not open in this process (EBADF for the kernel). */
export function closedFd(): number {
  const fd = fs.openSync(os.devNull, 'r')
  fs.closeSync(fd)
  return fd
}

/** Calls `fn` and returns what it threw (fails the test when it did not throw). */
export function thrown(t: ExecutionContext, fn: () => unknown, message?: string): Error & { code?: unknown } {
  try {
    fn()
  } catch (e) {
    t.true(e instanceof Error, `${message ?? 'the thrown value'} is an Error`)
    return e as Error & { code?: unknown }
  }
  t.fail(`${message ?? 'the call'} did not throw`)
  return new Error('did not throw')
}

/** Asserts `fn` throws an error whose `code` is one of `codes` (and is a string). */
export function throwsCode(t: ExecutionContext, fn: () => unknown, codes: string | string[], message?: string): Error & { code?: unknown } {
  const e = thrown(t, fn, message)
  const list = Array.isArray(codes) ? codes : [codes]
  t.is(typeof e.code, 'string', `${message ?? ''} err.code is a string (${e.name}: ${e.message})`)
  t.true(list.includes(e.code as string), `${message ?? ''} code ${String(e.code)} is one of ${list.join(', ')} (${e.message})`)
  return e
}

/** Tries `new Ring(options)`; returns the ring or the RingSetupError. */
export function trySetup(options: RingOptions): Ring | RingSetupError {
  try {
    return new Ring(options)
  } catch (e) {
    if (e instanceof RingSetupError) return e
    throw e
  }
}

/**
 * A FIFO opened read-write (so opening does not block and no writer ever appears): a read on
 * it never completes until cancelled.
 */
export function fifo(t: ExecutionContext): number {
  const dir = tempDir(t)
  const p = path.join(dir, 'fifo')
  execFileSync('mkfifo', [p])
  return openFile(t, p, fs.constants.O_RDWR)
}

// ---- registrar / buffer-group helpers ----------------------------------------------------------

let probed: ReturnType<typeof Ring.probe> | undefined

/** Whether the running kernel has the op `name` (uring's probe name: 'readvFixed', 'fixedFdInstall'). */
export function hasOp(name: string): boolean {
  probed ??= Ring.probe()
  return probed.supports(name)
}

/** '' when `ok`, else ' (skipped: WHAT needs Linux SINCE)': appended to a test title. */
export function skipNote(ok: boolean, what: string, since: string): string {
  return ok ? '' : ` (skipped: ${what} needs Linux ${since}, this is ${os.release()})`
}

/** A test body. */
export type Impl = (t: ExecutionContext) => void | Promise<void>

/** `test` when `ok`, else `test.skip` with the feature, the kernel that adds it and this kernel in the title. */
export function testWhen(ok: boolean, what: string, since: string): (title: string, impl: Impl) => void {
  return (title, impl) => (ok ? test : test.skip)(title + skipNote(ok, what, since), impl)
}

/** A feature flag of a fresh ring (`ring.features[name]`); undefined when no ring can be set up. */
export function ringFeature(name: keyof Ring['features']): boolean | undefined {
  try {
    const r = new Ring({ entries: 2 })
    try {
      return Boolean(r.features[name])
    } finally {
      r.close()
    }
  } catch {
    return undefined
  }
}

/** Whether the kernel takes skipSuccess (IOSQE_CQE_SKIP_SUCCESS: IORING_FEAT_CQE_SKIP, 5.17). */
export function hasCqeSkip(): boolean {
  return ringFeature('cqeSkip') === true
}

/** `test` for a test that uses skipSuccess, a visible skip where the kernel lacks it. */
export function skipSuccessTest(): (title: string, impl: Impl) => void {
  return testWhen(hasCqeSkip(), 'skipSuccess (IOSQE_CQE_SKIP_SUCCESS, IORING_FEAT_CQE_SKIP)', '5.17')
}

/** Keeps the JS thread busy for `ms` milliseconds (a slow loop body, a loaded machine). */
export function busyWait(ms: number): void {
  const end = Date.now() + ms
  while (Date.now() < end);
}

/** `n` bytes, different at neighbouring offsets, different per `seed`. */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 101 + 7) & 0xff
  return b
}

/** The file and buffer tables of a ring as the kernel lists them in /proc/self/fdinfo/<ring fd>. */
export interface RingTables {
  /** Slot -> path of the file in it (sockets show as `socket:[inode]`); empty slots are absent. */
  files: Map<number, string>
  /** Slot -> length in bytes of the buffer registered there; empty slots are absent. */
  bufs: Map<number, number>
}

/**
 * Reads the ring's registered files and buffers from the kernel (fdinfo of the ring fd), the slots
 * that hold something: new kernels (6.18) list only those; older ones (Debian's 5.10, 6.1, 6.12)
 * list every slot, an empty file slot as `<none>`, an empty buffer slot as the kernel's dummy
 * buffer at 0xffffffffffffffff, which are left out here. Undefined when the kernel did not list
 * the tables (it only does when it gets the ring's lock at once).
 */
export function ringTables(r: Ring): RingTables | undefined {
  const text = fs.readFileSync(`/proc/self/fdinfo/${r.fd}`, 'utf8')
  if (!/^UserFiles:/m.test(text) || !/^UserBufs:/m.test(text)) return undefined
  const files = new Map<number, string>()
  const bufs = new Map<number, number>()
  let section: 'files' | 'bufs' | undefined
  for (const line of text.split('\n')) {
    if (/^UserFiles:/.test(line)) section = 'files'
    else if (/^UserBufs:/.test(line)) section = 'bufs'
    else if (/^\S/.test(line)) section = undefined
    else if (section !== undefined) {
      const m = /^\s+(\d+): (.*)$/.exec(line)
      if (!m) continue
      const slot = Number(m[1])
      if (section === 'files') {
        if (m[2] !== '<none>') files.set(slot, m[2])
      } else {
        const b = /^0x([0-9a-f]+)\/(\d+)$/.exec(m[2])
        if (b && b[1] !== 'ffffffffffffffff') bufs.set(slot, Number(b[2]))
      }
    }
  }
  return { files, bufs }
}

let fdinfoPrintsPaths: boolean | undefined

/**
 * How the ring's fdinfo names `file` in its UserFiles table: its real path on kernels that print
 * paths (seq_file_path, newer kernels), only its last component (the dentry name) on older ones
 * (Debian's 6.1 and 6.12 print names). Which one is probed once, with a scratch ring.
 */
export function kernelFileName(file: string): string {
  if (fdinfoPrintsPaths === undefined) {
    const r = new Ring({ entries: 2 })
    const fd = fs.openSync(process.execPath, 'r')
    try {
      r.registrar.registerFiles([fd])
      const listed = ringTables(r)?.files.get(0)
      if (listed === undefined) throw new Error('kernelFileName: the kernel did not list the file table of an idle ring')
      fdinfoPrintsPaths = listed.startsWith('/')
    } finally {
      fs.closeSync(fd)
      r.close()
    }
  }
  const real = fs.realpathSync(file)
  return fdinfoPrintsPaths ? real : path.basename(real)
}

/**
 * How the ring's fdinfo names a socket of protocol `proto` ('TCP', 'UDP', 'UNIX'): its dentry's
 * d_dname, `socket:[inode]`, on kernels that print paths; the dentry's stored name, which for a
 * socket is its protocol's name, on kernels that print names (see kernelFileName).
 */
export function kernelSocketName(proto: string): RegExp {
  return kernelFileName(process.execPath).startsWith('/') ? /^socket:\[\d+\]$/ : new RegExp(`^${proto}$`)
}

/** The fds of this process open on `file` (compared by real path), from /proc/self/fd. */
export function processFdsOn(file: string): number[] {
  const real = fs.realpathSync(file)
  const out: number[] = []
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${name}`) === real) out.push(Number(name))
    } catch {
      // the fd of the directory listing itself, gone by now
    }
  }
  return out
}

/** Whether process fd `fd` has FD_CLOEXEC (the `flags` line of /proc/self/fdinfo carries O_CLOEXEC). */
export function isCloexec(fd: number): boolean {
  const m = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))
  if (!m) throw new Error(`no flags line in /proc/self/fdinfo/${fd}`)
  return (parseInt(m[1], 8) & 0o2000000) !== 0
}

/** Pushes `ops`, submits, waits (5 s at most: an op must never hang) and returns their CQEs in completion order. */
export function run(r: Ring, ...ops: Op[]): Cqe[] {
  for (const o of ops) r.sq.push(o)
  r.sq.submitAndWait(ops.length, { timeoutMs: 5000 })
  const out = r.cq.drain()
  if (out.length !== ops.length) throw new Error(`expected ${ops.length} CQEs within 5 s, got ${out.length} (inFlight ${r.inFlight})`)
  return out
}

/** A temporary file holding `content`. */
export function tmpFile(t: ExecutionContext, content: string | Buffer = ''): string {
  const file = path.join(tempDir(t), 'f')
  fs.writeFileSync(file, content)
  return file
}

/**
 * `make()` builds an op with a stale handle; pushing and submitting it on `r` must throw
 * ERR_URING_STALE_HANDLE (from the op, push or submit: wherever the check is), leave nothing
 * staged or in flight, and the ring must keep working.
 */
export function refusedStale(t: ExecutionContext, r: Ring, make: () => Op, what: string): void {
  throwsCode(
    t,
    () => {
      r.sq.push(make())
      r.sq.submit()
    },
    'ERR_URING_STALE_HANDLE',
    what,
  )
  t.is(r.sq.pending, 0, `${what}: nothing of the refused op stays staged`)
  t.is(r.inFlight, 0, `${what}: nothing reached the kernel`)
  const cqes = run(r, op.nop({ userData: 0xabc }))
  t.deepEqual(cqes.map((c) => [c.userData, c.res]), [[0xabc, 0]], `${what}: the ring still completes a NOP, and nothing else`)
}

/**
 * Closes `fd` when the test ends, unless the test closed it already: the fd must still be the
 * same file (tests run concurrently, and a closed number may belong to another test by then).
 */
export function closeLater(t: ExecutionContext, fd: number): number {
  const ino = fs.fstatSync(fd).ino
  t.teardown(() => {
    try {
      if (fs.fstatSync(fd).ino === ino) fs.closeSync(fd)
    } catch {
      // closed by the test
    }
  })
  return fd
}

let ringSetup: string | undefined | null = null

/** Why `new Ring()` fails here (a seccomp filter, kernel.io_uring_disabled...), or undefined when it works. */
export function ringUnavailable(): string | undefined {
  if (ringSetup === null) {
    try {
      new Ring().close()
      ringSetup = undefined
    } catch (e) {
      ringSetup = `${(e as { code?: string }).code ?? (e as Error).name}`
    }
  }
  return ringSetup
}

/**
 * `test` where io_uring works, else `test.skip` naming why: for the uring/fs tests that check
 * io_uring's own behaviour, which the node:fs fallback (kernel.io_uring_disabled, a seccomp
 * filter) does not have.
 */
export function testOnRing(title: string, impl: Implementation<[]>, run: typeof test | typeof test.serial = test): void {
  const why = ringUnavailable()
  if (why === undefined) run(title, impl)
  else test.skip(`${title} (skipped: needs io_uring, here ${why}: uring/fs is on its node:fs fallback)`, impl)
}

/** testOnRing for test.serial. */
export function testOnRingSerial(title: string, impl: Implementation<[]>): void {
  testOnRing(title, impl, test.serial)
}

const CAP_IPC_LOCK = 14n

/**
 * How to run a child under RLIMIT_MEMLOCK = `limit` without CAP_IPC_LOCK (which lifts the limit
 * for registered memory): prlimit alone when this process lacks the capability already, else with
 * setpriv dropping it, else as nobody. `argv` goes before the child's own command; undefined when
 * none of them can run here.
 */
export function memlockPrefix(limit: number): { argv: string[]; how: string } | undefined {
  const candidates = [
    { argv: [] as string[], how: 'prlimit' },
    { argv: ['setpriv', '--inh-caps=-ipc_lock', '--bounding-set=-ipc_lock'], how: 'prlimit + setpriv dropping CAP_IPC_LOCK' },
    { argv: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], how: 'prlimit + setpriv as nobody' },
  ]
  for (const c of candidates) {
    const r = spawnSync('prlimit', [`--memlock=${limit}:${limit}`, ...c.argv, 'cat', '/proc/self/status'], { encoding: 'utf8' })
    if (r.error || r.status !== 0) continue
    const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(r.stdout)
    if (eff && (BigInt(`0x${eff[1]}`) & (1n << CAP_IPC_LOCK)) === 0n) {
      return { argv: ['prlimit', `--memlock=${limit}:${limit}`, ...c.argv], how: c.how }
    }
  }
  return undefined
}
