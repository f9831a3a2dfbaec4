/**
 * The probe: which io_uring ops the running kernel has, and for each missing one the first
 * kernel release that adds it. Read with IORING_REGISTER_PROBE (5.6+); on older kernels the
 * ops of 5.1-5.5 are assumed.
 */
import { native } from './native'

/** One row of the op table. */
export interface OpInfo {
  /** IORING_OP_* number. */
  code: number
  /** The name uring uses (`'readFixed'`). */
  name: string
  /** The kernel's name (`'IORING_OP_READ_FIXED'`). */
  kernelName: string
  /** The first kernel release that has it (`'5.1'`). */
  since: string
}

/** Every opcode the table knows, in opcode order. */
export const OP_TABLE: readonly OpInfo[] = Object.freeze(native.opTable().map((r) => Object.freeze({ ...r })))

const byName = new Map<string, OpInfo>()
for (const o of OP_TABLE) {
  byName.set(o.name, o)
  byName.set(o.kernelName, o)
}

/** Looks an op up by uring name or kernel name. */
export function opInfo(name: string): OpInfo | undefined {
  return byName.get(name)
}

/** Kernel bugs uring works around, found by trying them once per process (not by version). */
export interface KernelQuirks {
  /**
   * A DEFER_TASKRUN ring's registered eventfd delivers only the first signal for completion work
   * queued from a poll wakeup (a socket or pipe becoming ready); later ones are dropped, so an
   * event loop sleeping on the eventfd never hears of them. Seen on Linux 6.12.117 (Debian's 6.12
   * kernel package). Where true, `new Ring()` picks COOP_TASKRUN instead of DEFER_TASKRUN, and
   * the driver of a ring made with `deferTaskrun: true` registers its eventfd afresh on every
   * wakeup (two more syscalls per wakeup). Asked on the first DEFER_TASKRUN ring a process
   * sets up; called before any, it sets up a scratch ring to ask.
   */
  eventfdLosesDeferredSignals: boolean
}

/** The kernel bugs of {@link KernelQuirks} this kernel has. */
export function kernelQuirks(): KernelQuirks {
  return { ...native.kernelQuirks() }
}

export interface MissingOp extends OpInfo {
  supported: false
}

/** What the running kernel supports. */
export class Probe {
  /** The highest opcode the kernel reports as supported. */
  readonly lastOp: number | undefined
  /** False where IORING_REGISTER_PROBE itself is missing (before 5.6). */
  readonly probed: boolean
  readonly #supported: readonly boolean[]

  /** @internal */
  constructor(raw: { supported: boolean[]; lastOp?: number | null; probed: boolean }) {
    this.#supported = Object.freeze([...raw.supported])
    this.lastOp = raw.lastOp ?? undefined
    this.probed = raw.probed
  }

  /** Whether the kernel has the op, by uring name (`'read'`) or kernel name (`'IORING_OP_READ'`). */
  supports(name: string): boolean {
    const o = byName.get(name)
    return o !== undefined && this.#supported[o.code] === true
  }

  /** Names of the supported ops, in opcode order. */
  get ops(): string[] {
    return OP_TABLE.filter((o) => this.#supported[o.code]).map((o) => o.name)
  }

  /** The ops this kernel lacks, each with the first kernel release that has it. */
  get missing(): OpInfo[] {
    return OP_TABLE.filter((o) => !this.#supported[o.code])
  }

  /** The kernel release that adds `name`, or undefined when it is supported or unknown. */
  requiredKernel(name: string): string | undefined {
    const o = byName.get(name)
    return o && !this.#supported[o.code] ? o.since : undefined
  }

  /** One row per op: name, kernel name, code, since, supported. */
  table(): Array<OpInfo & { supported: boolean }> {
    return OP_TABLE.map((o) => ({ ...o, supported: this.#supported[o.code] === true }))
  }

  toJSON(): { lastOp: number | undefined; probed: boolean; supported: string[]; missing: Array<{ name: string; since: string }> } {
    return {
      lastOp: this.lastOp,
      probed: this.probed,
      supported: this.ops,
      missing: this.missing.map((o) => ({ name: o.name, since: o.since })),
    }
  }
}
