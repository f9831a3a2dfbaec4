/**
 * Shared helpers of the specs (not a spec itself: ava only runs `*.spec.ts`).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { execFileSync } from 'node:child_process'
import type { ExecutionContext } from 'ava'
import { Ring, RingOptions, RingSetupError } from '../index'

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
