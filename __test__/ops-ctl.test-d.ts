/**
 * Type tests of the control ops, checked by `tsc --noEmit -p tsconfig.json` (excluded from the
 * build, never run). Each `@ts-expect-error` line must NOT compile.
 */
import {
  AsyncCancel,
  CancelTarget,
  EpollEventResult,
  FutexWait,
  MsgRing,
  PollAdd,
  PollResult,
  RegisteredFd,
  Ring,
  Timeout,
  WaitidResult,
  op,
} from '../index'

export function ctlTypeTests(): void {
  const ring = new Ring({ entries: 8 })
  const [file] = ring.registrar.registerFiles([3])
  const w = new Int32Array(1)

  // ---- these compile ----------------------------------------------------------------------------
  const p: PollAdd = op.pollAdd(file, ['in', 'rdhup'], { multishot: true })
  op.pollAdd(3, 0x1)
  const pr: PollResult = p.decode({ res: 1 })
  void pr.events.includes('in')
  op.pollUpdate(1n, ['out'])
  const t: Timeout = op.timeout({ sec: 1, nsec: 5 }, { absolute: true, clock: 'realtime', etimeSuccess: true })
  op.timeout(10, { multishot: 3 })
  op.timeoutUpdate(1, 5, { linkTimeout: true })
  op.linkTimeout(50)
  const c: AsyncCancel = op.cancel({ userData: 1 })
  op.cancel({ fd: file, all: true })
  op.cancel({ fd: 3, opcode: 'readFixed' })
  op.cancel({ opcode: 'pollAdd', all: true })
  op.cancel({ any: true })
  const m: MsgRing = op.msgRing(ring, { res: -1, userData: 5 }, { userData: 9n })
  op.msgRing(file)
  op.msgRingFd(ring, file, { targetSlot: 2, userData: 1 })
  op.msgRingFd(4, file, { alloc: true })
  const fw: FutexWait = op.futexWait(w, 0, { mask: 1 })
  op.futexWake({ buffer: new Uint8Array(8), byteOffset: 4 }, 1)
  op.futexWaitv([{ word: new Uint32Array(1), expected: 0 }])
  const wr: WaitidResult = op.waitid('pid', 1, { exited: true, nowait: true }).decode({ res: 0 })
  op.epollCtl(3, 'add', 4, ['in', 'et'], 1n)
  op.epollWait(file, 1)
  const ev: EpollEventResult[] = op.epollWait(3, 8).decode({ res: 0 })
  const data: bigint = ev[0].data
  op.provideBuffers(1, new Uint8Array(64), 4, 16, 0, { byteOffset: 0 })
  op.removeBuffers(1, 4)
  void [t, c, m, fw, wr, data]

  // ---- must not compile: missing or mistyped arguments ------------------------------------------

  // @ts-expect-error pollAdd needs events
  op.pollAdd(3)
  // @ts-expect-error not a poll event
  op.pollAdd(3, ['bogus'])
  // @ts-expect-error events are an array or a mask, not one name
  op.pollAdd(3, 'in')
  // @ts-expect-error epoll-only flags are not poll events
  op.pollAdd(3, ['et'])
  // @ts-expect-error pollRemove takes a userData, not an op
  op.pollRemove(p)
  // @ts-expect-error a time is ms or { sec, nsec }
  op.timeout('10')
  // @ts-expect-error timespec needs sec
  op.timeout({ nsec: 5 })
  // @ts-expect-error no such clock
  op.timeout(10, { clock: 'tai' })
  // @ts-expect-error linkTimeout has no count
  op.linkTimeout(10, { count: 1 })
  // @ts-expect-error timeoutUpdate needs a time
  op.timeoutUpdate(1)
  // @ts-expect-error a cancel needs a target
  op.cancel({})
  // @ts-expect-error any is true or absent
  op.cancel({ any: false })
  // @ts-expect-error any takes no other key
  op.cancel({ any: true, userData: 1 })
  // @ts-expect-error not an op name
  op.cancel({ opcode: 'reed' })
  // @ts-expect-error kernel names are not op names here
  op.cancel({ opcode: 'IORING_OP_READ' })
  // @ts-expect-error all alone is no target
  const noTarget: CancelTarget = { all: true }
  void noTarget
  // @ts-expect-error a msg_ring userData is a number (31 bits), not a bigint
  op.msgRing(ring, { userData: 1n })
  // @ts-expect-error a ring target, not a string
  op.msgRing('ring')
  // @ts-expect-error msgRingFd's source is a RegisteredFd, not a process fd
  op.msgRingFd(ring, 3, { alloc: true })
  // @ts-expect-error msgRingFd's target is a Ring or a ring fd, not a RegisteredFd
  op.msgRingFd(file, file, { alloc: true })
  // @ts-expect-error targetSlot and alloc exclude each other
  op.msgRingFd(ring, file, { targetSlot: 1, alloc: true })
  // @ts-expect-error msgRingFd needs targetSlot or alloc
  op.msgRingFd(ring, file, { userData: 1 })
  // @ts-expect-error a futex word is 32 bits
  op.futexWait(new Float64Array(1), 0)
  // @ts-expect-error futexWait needs the expected value
  op.futexWait(w)
  // @ts-expect-error futexWaitv takes { word, expected } entries
  op.futexWaitv([w])
  // @ts-expect-error no such idtype
  op.waitid('process', 1)
  // @ts-expect-error options are booleans
  op.waitid('pid', 1, { exited: 'yes' })
  // @ts-expect-error no such epoll op
  op.epollCtl(3, 'insert', 4)
  // @ts-expect-error the watched fd is a process fd, not a RegisteredFd
  op.epollCtl(3, 'add', file)
  // @ts-expect-error epoll_ctl takes the epoll fd as a number (the kernel refuses a registered one)
  op.epollCtl(file, 'add', 3)
  // @ts-expect-error epollWait needs maxEvents
  op.epollWait(3)
  // @ts-expect-error provideBuffers takes a buffer
  op.provideBuffers(1, 'abc', 4, 16)
  // @ts-expect-error removeBuffers needs a count
  op.removeBuffers(1)
  // @ts-expect-error a RegisteredFd is not a number
  const n: number = file as RegisteredFd
  void n
}
