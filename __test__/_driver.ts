/**
 * Helpers of the driver specs (driver*.spec.ts): the three completion modes, FIFOs, fixtures.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { execFileSync } from 'node:child_process'
import type { ExecutionContext } from 'ava'
import type { RingOptions, SetupFlags } from '../index'
import { kernelAtLeast, openFile, tempDir } from './_helpers'

/** A completion mode forced by option, and how `ring.params.flags` shows it. */
export interface Mode {
  name: string
  options: RingOptions
  /** The first kernel with the mode. */
  since: string
  ok: boolean
  shows: (f: Readonly<SetupFlags>) => boolean
}

export const MODES: Mode[] = [
  {
    name: 'DEFER_TASKRUN',
    options: { singleIssuer: true, deferTaskrun: true, taskrunFlag: true },
    since: '6.1',
    ok: kernelAtLeast('6.1'),
    shows: (f) => f.singleIssuer && f.deferTaskrun && f.taskrunFlag && !f.coopTaskrun,
  },
  {
    name: 'COOP_TASKRUN',
    options: { coopTaskrun: true, taskrunFlag: true },
    since: '5.19',
    ok: kernelAtLeast('5.19'),
    shows: (f) => f.coopTaskrun && f.taskrunFlag && !f.deferTaskrun && !f.singleIssuer,
  },
  {
    name: 'plain (neither)',
    options: { coopTaskrun: false },
    since: '5.10',
    ok: true,
    shows: (f) => !f.coopTaskrun && !f.deferTaskrun && !f.taskrunFlag && !f.singleIssuer,
  },
]

/**
 * A FIFO and an fd on it opened read-write: the fd is a reader and a writer at once, so a read
 * on it blocks (no EOF) until someone writes to the FIFO (through this fd or by path).
 */
export function fifoPair(t: ExecutionContext): { path: string; fd: number } {
  const p = path.join(tempDir(t), 'fifo')
  execFileSync('mkfifo', [p])
  return { path: p, fd: openFile(t, p, fs.constants.O_RDWR) }
}

/** The repository root (specs run from dist/__test__). */
export const ROOT = path.resolve(__dirname, '..', '..')

/** A fixture script of __test__/fixtures. */
export function fixture(name: string): string {
  return path.join(ROOT, '__test__', 'fixtures', name)
}

/** How many io_uring instances this process has open (fds that are `anon_inode:[io_uring]`). */
export function ringFds(): number {
  let n = 0
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${name}`) === 'anon_inode:[io_uring]') n++
    } catch {
      // the fd of the listing itself, gone by now
    }
  }
  return n
}

/** Whether `p` has settled, checked without waiting for it. */
export function tracker<T>(p: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false
  const promise = p.then(
    (v) => {
      done = true
      return v
    },
    (e: unknown) => {
      done = true
      throw e
    },
  )
  promise.catch(() => {})
  return { settled: () => done, promise }
}

/** Resolves after `ms` (to give the kernel time for something that must NOT happen). */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
