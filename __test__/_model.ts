/**
 * The model side of the fuzz (fuzz.spec.ts): a cheap deterministic PRNG for the bulk of the op
 * parameters (fast-check draws one seed per action; the thousands of offsets and lengths of a
 * batch come from here, so an op costs nanoseconds to generate), the file's bytes as a Buffer,
 * and a tracker that counts promise settlements.
 */
import * as fs from 'node:fs'

/** xorshift32: deterministic, fast, and good enough to spread offsets and lengths. */
export class Rng {
  #x: number
  constructor(seed: number) {
    this.#x = seed >>> 0 || 0x9e3779b9
  }
  /** A uint32. */
  u32(): number {
    let x = this.#x
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    this.#x = x
    return x
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.u32() % n
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() < p * 0x100000000
  }
  /** A length skewed toward small values, at most `max`: mostly short, sometimes the whole span. */
  len(max: number): number {
    const r = this.int(16)
    if (r < 10) return Math.min(max, this.int(64))
    if (r < 14) return Math.min(max, this.int(4096))
    return this.int(max + 1)
  }
  /** Fills `b[from, to)` with pseudo-random bytes (four per draw). */
  fill(b: Uint8Array, from: number, to: number): void {
    let v = 0
    for (let i = from; i < to; i++) {
      if (((i - from) & 3) === 0) v = this.u32()
      b[i] = v & 0xff
      v >>>= 8
    }
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]
  }
}

/** A regular file's bytes as the fuzz expects them: holes read as zeros. */
export class FileModel {
  bytes: Buffer
  size: number
  constructor(initial: Buffer) {
    this.bytes = Buffer.alloc(Math.max(4096, initial.length * 2))
    initial.copy(this.bytes)
    this.size = initial.length
  }
  /** What pread(off, len) returns. */
  read(off: number, len: number): Buffer {
    if (off >= this.size) return this.bytes.subarray(0, 0)
    return this.bytes.subarray(off, Math.min(this.size, off + len))
  }
  /** pwrite(off, data). */
  write(off: number, data: Uint8Array): void {
    const end = off + data.length
    if (end > this.bytes.length) {
      const grown = Buffer.alloc(Math.max(end, this.bytes.length * 2))
      this.bytes.copy(grown, 0, 0, this.size)
      this.bytes = grown
    }
    // Bytes between the old end and `off` were zero already (alloc, and never written past size).
    this.bytes.set(data, off)
    if (end > this.size) this.size = end
  }
  contents(): Buffer {
    return this.bytes.subarray(0, this.size)
  }
}

/** One settlement of a tracked promise. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error & { code?: unknown; cause?: unknown } }

/**
 * Counts promises issued and settled. `track(p)` never rejects: it resolves with the outcome,
 * and counts a settlement once per promise (a promise cannot settle twice, so a second
 * settlement would only show as a wrong value on some other op: the result checks catch that).
 */
export class Settler {
  issued = 0
  settled = 0
  track<T>(p: Promise<T>): Promise<Outcome<T>> {
    this.issued++
    return p.then(
      (value) => {
        this.settled++
        return { ok: true, value } as Outcome<T>
      },
      (error: Error) => {
        this.settled++
        return { ok: false, error } as Outcome<T>
      },
    )
  }
  get pending(): number {
    return this.issued - this.settled
  }
}

/** The fds this process has open, each as 'number -> what' (the listing's own fd left out). */
export function openFds(): string[] {
  const out: string[] = []
  for (const n of fs.readdirSync('/proc/self/fd')) {
    try {
      const to = fs.readlinkSync(`/proc/self/fd/${n}`)
      // Anonymous inodes are all alike: tell them apart by what fdinfo says (an eventfd's id, a ring's...).
      const id = to.startsWith('anon_inode:') ? /^(?:eventfd-id|ino):\s*(\S+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${n}`, 'utf8'))?.[1] : undefined
      out.push(`${n} -> ${to}${id === undefined ? '' : ` #${id}`}`)
    } catch {
      // the fd of the listing itself, closed by now
    }
  }
  return out
}
