/**
 * What the ring's fdinfo lists, read the same way on every kernel of the matrix (not a spec
 * itself). ringTables (in _helpers.ts) gives every line of the UserFiles/UserBufs tables; the
 * kernels differ in what those lines say for an empty slot and for a socket.
 */
import * as fs from 'node:fs'
import type { Ring } from '../index'
import { kernelFileName, ringTables, RingTables } from './_helpers'

/**
 * The ring's tables without the slots that hold nothing; undefined when the kernel did not list
 * them. New kernels (the host's 6.18) list only slots that hold something; older ones (Debian's
 * 6.1 and 6.12, and its 5.10, which carries 5.15's io_uring) list every slot of the table: an
 * empty file slot as `<none>`, an empty buffer slot as the kernel's dummy buffer, whose address
 * is 0xffffffffffffffff (its length 1 or 4294967295, by version).
 */
export function liveTables(r: Ring): RingTables | undefined {
  const tb = ringTables(r)
  if (tb === undefined) return undefined
  let section: 'files' | 'bufs' | undefined
  for (const line of fs.readFileSync(`/proc/self/fdinfo/${r.fd}`, 'utf8').split('\n')) {
    if (/^UserFiles:/.test(line)) section = 'files'
    else if (/^UserBufs:/.test(line)) section = 'bufs'
    else if (/^\S/.test(line)) section = undefined
    else if (section !== undefined) {
      const m = /^\s+(\d+): (.*)$/.exec(line)
      if (!m) continue
      if (section === 'files' && m[2] === '<none>') tb.files.delete(Number(m[1]))
      if (section === 'bufs' && /^0xffffffffffffffff\//.test(m[2])) tb.bufs.delete(Number(m[1]))
    }
  }
  return tb
}

/**
 * How the ring's fdinfo names a socket of protocol `proto` ('TCP', 'UDP', 'UNIX'): its dentry's
 * d_dname, `socket:[inode]`, on kernels that print paths; the dentry's stored name, which for a
 * socket is its protocol's name, on kernels that print names (see kernelFileName).
 */
export function kernelSocketName(proto: string): RegExp {
  return kernelFileName(process.execPath).startsWith('/') ? /^socket:\[\d+\]$/ : new RegExp(`^${proto}$`)
}
