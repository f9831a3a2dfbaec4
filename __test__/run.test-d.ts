/**
 * Type tests of the async driver, checked by `tsc --noEmit -p tsconfig.json` (excluded from the
 * build, never run). Each `@ts-expect-error` line must NOT compile.
 */
import { AT_FDCWD, AbortError, RegisteredFd, Ring, RunResult, StatxResult, SystemError, op } from '../index'
import type { AcceptResult } from '../index'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function expectType<T extends true>(): T | undefined {
  return undefined
}

export async function runTypeTests(): Promise<void> {
  const ring = new Ring()
  const buf = Buffer.alloc(16)

  // ---- the result type follows the op --------------------------------------------------------
  const n: number = await ring.run(op.read(3, buf, 0))
  const st: StatxResult = await ring.run(op.statx(AT_FDCWD, '/'))
  const fd: number | RegisteredFd = await ring.run(op.openat(AT_FDCWD, '/', 0))
  const acc: Omit<AcceptResult, 'fd'> & { fd: number | RegisteredFd } = await ring.run(op.accept(3))
  const zc: number = await ring.run(op.sendZc(3, buf))
  expectType<Equal<RunResult<ReturnType<typeof op.nop>>, number>>()
  expectType<Equal<RunResult<ReturnType<typeof op.statx>>, StatxResult>>()
  expectType<Equal<RunResult<ReturnType<typeof op.sendZc>>, number>>()
  void [n, st, fd, acc, zc]

  const results: unknown[] = await ring.runLinked([op.write(3, buf, 0), op.fsync(3)], { hard: true })
  void results
  for await (const r of ring.stream(op.timeout(10, { multishot: 3 }))) {
    const k: number = r
    void k
  }
  const ac = new AbortController()
  await ring.run(op.nop(), { signal: ac.signal })
  const r: Ring = ring.unref().ref()
  const e1: number = ring.stats.enters + ring.stats.flushes + ring.stats.wakeups + ring.stats.queued
  void [r, e1]
  const err = new SystemError(-2, 'openat', '/x')
  const code: string = err.code
  const errno: number = err.errno
  const sys: string = err.syscall
  const ab: 'ABORT_ERR' = new AbortError().code
  void [code, errno, sys, ab]

  // ---- must not compile ------------------------------------------------------------------------
  // @ts-expect-error: a read resolves with a number
  const bad1: StatxResult = await ring.run(op.read(3, buf, 0))
  // @ts-expect-error: run takes an op, not a plain object
  await ring.run({ opcode: 0 })
  // @ts-expect-error: signal must be an AbortSignal
  await ring.run(op.nop(), { signal: true })
  // @ts-expect-error: unknown option
  await ring.run(op.nop(), { timeout: 5 })
  // @ts-expect-error: runLinked takes an array
  await ring.runLinked(op.nop())
  // @ts-expect-error: hard is a boolean
  await ring.runLinked([op.nop()], { hard: 1 })
  // @ts-expect-error: stats are read-only numbers, not a method
  ring.stats()
  void bad1
}
