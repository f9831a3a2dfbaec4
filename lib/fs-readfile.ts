/**
 * The readFile fast path of `uring/fs`. @internal
 */
import type { Ring } from './ring'
import type { Path } from './fs-util'

/** Whether the fast path can run on this ring. */
export function fastReady(_r: Ring): boolean {
  return false
}

export function readFileFast(_r: Ring, _p: Path, _encoding: BufferEncoding | undefined | null): Promise<string | Buffer> {
  throw new Error('not ready')
}
