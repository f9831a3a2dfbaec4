/**
 * Type tests, checked by `tsc --noEmit -p tsconfig.json` (excluded from the build, never run).
 * Each `@ts-expect-error` line must NOT compile: if the library's types ever accept it, tsc
 * reports the directive as unused and the type check fails.
 */
import { AnyOp, Cqe, FileOffset, Op, Probe, Ring, RingOptions, RingParams, RingSetupError, UringError, op, Opcode } from '../index'
import type { KernelOpName } from '../index'

export function typeTests(): void {
  const buf = Buffer.alloc(8)
  const ring = new Ring({ entries: 8 })

  // ---- must not compile -----------------------------------------------------------------------

  // @ts-expect-error entries is a number
  new Ring({ entries: '8' })
  // @ts-expect-error clamp is a boolean
  new Ring({ clamp: 1 })
  // @ts-expect-error unknown option
  new Ring({ nosuch: true })
  // @ts-expect-error sqpoll takes idleMs, not idle
  new Ring({ sqpoll: { idle: 5 } })
  // @ts-expect-error sqpoll is a boolean or an object
  new Ring({ sqpoll: 'yes' })
  // @ts-expect-error attachWq is a Ring
  new Ring({ attachWq: 3 })
  // @ts-expect-error fd is a number
  op.read('3', buf)
  // @ts-expect-error the buffer is bytes, not a string
  op.read(3, 'str')
  // @ts-expect-error readv takes an array of buffers
  op.readv(3, buf)
  // @ts-expect-error writev takes an array of buffers
  op.writev(3, [buf, 'x'])
  // @ts-expect-error length is a number
  op.write(3, buf, 0, { length: '4' })
  // @ts-expect-error offset is a number or a bigint
  op.write(3, buf, '0')
  // @ts-expect-error bufferOffset is not an option of readv
  op.readv(3, [buf], 0, { bufferOffset: 1 })
  // @ts-expect-error datasync is a boolean
  op.fsync(3, { datasync: 1 })
  // @ts-expect-error userData is a number or a bigint
  op.nop({ userData: 'x' })
  // @ts-expect-error link is a boolean
  op.nop({ link: 'yes' })
  // @ts-expect-error nop has no length
  op.nop({ length: 4 })
  // @ts-expect-error push takes an op
  ring.sq.push(123)
  // @ts-expect-error push takes an op, not a plain object
  ring.sq.push({ opcode: 0 })
  // @ts-expect-error pushMany takes an array
  ring.sq.pushMany(op.nop())
  // @ts-expect-error wait's timeout is timeoutMs
  ring.cq.wait(1, { timeout: 5 })
  // @ts-expect-error params is a read-only property
  ring.params = ring.params
  // @ts-expect-error sq is a read-only property
  ring.sq = ring.sq
  // @ts-expect-error a Cqe's res is a number
  const s: string = new Cqe().res
  void s

  // ---- must compile ---------------------------------------------------------------------------

  const opts: RingOptions = {
    entries: 64,
    cqEntries: 128,
    clamp: true,
    sqpoll: { idleMs: 10, cpu: 0 },
    iopoll: false,
    singleIssuer: true,
    deferTaskrun: false,
    coopTaskrun: false,
    taskrunFlag: false,
    submitAll: true,
    attachWq: ring,
    disabled: false,
    noSqarray: false,
    dontfork: true,
  }
  new Ring(opts).close()
  new Ring().close()
  new Ring({ sqpoll: true }).close()
  const params: RingParams = ring.params
  const sq: number = params.sqEntries
  const sqpoll: boolean = params.flags.sqpoll
  const nodrop: boolean = ring.features.nodrop
  void [sq, sqpoll, nodrop]

  const offsets: FileOffset[] = [0, -1, 10n, -1n]
  void offsets
  const ops: AnyOp[] = [
    op.nop(),
    op.nop({ userData: 1n, link: true, hardlink: false, drain: false, async: true, ioprio: 0 }),
    op.read(3, buf),
    op.read(3, new Uint8Array(4), 0, { bufferOffset: 1, length: 2, rwFlags: 0, userData: 2 }),
    op.read(3, new DataView(new ArrayBuffer(4)), 5n),
    op.read(3, new ArrayBuffer(4), -1),
    op.write(3, buf, 0, { length: 4 }),
    op.readv(3, [buf, new Uint8Array(2)], 0, { rwFlags: 0 }),
    op.writev(3, [buf], -1n),
    op.fsync(3),
    op.fsync(3, { datasync: true, userData: 9 }),
  ]
  const asOps: Op[] = ops
  ring.sq.push(ops[0])
  ring.sq.pushMany(asOps)
  const submitted: number = ring.sq.submit()
  const waited: number = ring.sq.submitAndWait(1, { timeoutMs: 5 })
  void [submitted, waited]
  const cqes: Cqe[] = ring.cq.wait(1, { timeoutMs: 10 })
  const first: Cqe | undefined = ring.cq.next()
  const ud: number | bigint = cqes[0].userData
  const more: boolean = cqes[0].more
  const res: number = cqes[0].res
  void [first, ud, more, res]
  for (const c of ring.cq) {
    const kept: Cqe = c.clone()
    void kept
  }
  const drained: Cqe[] = ring.cq.drain()
  void drained
  const probe: Probe = Ring.probe()
  const yes: boolean = probe.supports('nop')
  const since: string | undefined = probe.requiredKernel('nop')
  void [yes, since]
  const closed: { cancelled: number } = ring.close()
  void closed
  {
    using r = new Ring()
    void r
  }
  try {
    new Ring({ entries: 0 })
  } catch (e) {
    if (e instanceof RingSetupError) {
      const errno: number = e.errno
      const names: string[] = e.options
      const code: 'ERR_URING_INVALID_OPTION' | 'ERR_URING_DISABLED' | string = e.code
      void [errno, names, code]
    } else if (e instanceof UringError) {
      const code: string = e.code
      void code
    }
  }
}

/** Chains, skipSuccess, cqe.op, the opcode table. */
export function chains(ring: Ring): void {
  ring.sq.pushLinked([op.nop({ skipSuccess: true }), op.nop()])
  ring.sq.pushLinked([op.nop(), op.nop()], { hard: true })
  // @ts-expect-error hard is a boolean
  ring.sq.pushLinked([op.nop()], { hard: 'yes' })
  // @ts-expect-error pushLinked takes an array of ops
  ring.sq.pushLinked(op.nop())
  // @ts-expect-error skipSuccess is a boolean
  op.nop({ skipSuccess: 1 })
  const o: Op | undefined = ring.cq.next()?.op
  void o
  const code: number = Opcode.READ_FIXED
  // @ts-expect-error no such opcode name
  void Opcode.READ_FIXD
  const name: KernelOpName = 'SEND_ZC'
  void [code, name]
}
