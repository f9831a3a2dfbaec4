/**
 * Control ops: poll, timeouts, cancellation, msg_ring, futexes, waitid, epoll, provided
 * buffers (see `op` in ops.ts).
 */
import {
  BufferLike,
  invalidType,
  outOfRange,
  UringError,
  validateBoolean,
  validateBuffer,
  validateFd,
  validateInteger,
  validateKeys,
  validateObject,
  validateUserData,
} from './errors'
import { BufferGroup, checkHandle, Personality, RegisteredBuf, RegisteredBufSlice, RegisteredFd } from './registrar'
import type { RegistrarHost } from './registrar'
import {
  F,
  FX_FD,
  FX_BUF,
  FX_GROUP,
  FX_DIRECT,
  AT_FDCWD,
  Opcode,
  FdLike,
  WriteBuffer,
  ReadBuffer,
  FileOffset,
  Op,
  OpOptions,
  COMMON,
  NOP_KEYS,
  check,
  checkFdArg,
  encodeFd,
  encodeFixed,
  encodeGroup,
  encodeOffset,
  isRegistered,
  byteLength,
  cPath,
  targetSlot,
} from './opbase'
import type { OpHost } from './opbase'

/** The control family's constructors (merged into `op`). */
export const ctlOps = {} as const
