/**
 * uring: Linux io_uring for Node.js and TypeScript.
 *
 * - {@link Ring}: the ring (every setup flag, params, features, probe) with its queues
 *   `ring.sq` and `ring.cq`, and the async driver: `await ring.run(op)`, `ring.runLinked(ops)`,
 *   `for await (const r of ring.stream(op))`.
 * - {@link op}: typed op constructors (`op.nop()`, `op.read(fd, buf, offset)`, ...).
 * - {@link Registrar} (`ring.registrar`): registered buffers and files as typed handles
 *   ({@link RegisteredBuf}, {@link RegisteredFd}), direct descriptors, provided buffer groups.
 * - {@link Probe}: what the running kernel supports, and the kernel that adds what it lacks.
 * - {@link fs} (`uring/fs`), {@link net} (`uring/net`), {@link os} (`uring/os`): the layers on top.
 * - Errors carry a `code`: {@link RingSetupError} for setup, {@link UringError} otherwise.
 */
export { Ring, SubmissionQueue, CompletionQueue, Cqe, FEATURE_SINCE } from './lib/ring'
export type { RingOptions, RingParams, SetupFlags, Features, RunResult } from './lib/ring'
export { AbortError, SystemError } from './lib/driver'
export type { RunOptions, RunLinkedOptions, RingStats } from './lib/driver'
export { op, Op, Nop, Read, Write, Readv, Writev, Fsync, FixedFdInstall, Opcode, AT_FDCWD } from './lib/ops'
// Each op family's classes, option types and result types.
export * from './lib/ops-fs'
export * from './lib/ops-net'
export * from './lib/ops-ctl'
export type {
  OpOptions,
  ReadWriteOptions,
  VectoredOptions,
  FsyncOptions,
  FileOffset,
  KernelOpName,
  FdLike,
  ReadBuffer,
  WriteBuffer,
  VectorBuffers,
  AnyOp,
} from './lib/ops'
export { Registrar, RegisteredBuf, RegisteredBufSlice, RegisteredFd, BufferGroup, ProvidedBuffer, Personality } from './lib/registrar'
export type { BufferGroupOptions } from './lib/registrar'
export { Probe, OP_TABLE, opInfo, kernelQuirks } from './lib/probe'
export type { OpInfo, KernelQuirks } from './lib/probe'
export { UringError, RingSetupError } from './lib/errors'
export type { UringErrorCode, SetupErrorCode, BufferLike } from './lib/errors'
export { doctor } from './lib/doctor'
export type { DoctorReport } from './lib/doctor'
/** `uring/os`: plain async syscalls (`os.read`, `os.open`, `os.statx`, ...) on a default ring per thread. */
export * as os from './lib/os'
/** `uring/fs`: a drop-in for `node:fs/promises` on io_uring (the same calls, results and errors). */
export * as fs from './lib/fs'
/** `uring/net`: TCP, Unix and UDP sockets on io_uring (`createServer`, `connect`, `createSocket`). */
export * as net from './lib/net'
