/**
 * Errors with a stable `code`, in Node's style (`err.code === 'ERR_OUT_OF_RANGE'`), and the
 * argument validators that produce them. Codes follow Node where Node has one
 * (`ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`, `ERR_INVALID_ARG_VALUE`) and are
 * `ERR_URING_*` where the condition is io_uring's own.
 */

/** Every code uring itself throws (kernel errnos such as `ENOENT` come on top). */
export type UringErrorCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_URING_UNKNOWN_OPTION'
  | 'ERR_URING_CLOSED'
  | 'ERR_URING_SQ_FULL'
  | 'ERR_URING_DISABLED_RING'
  | 'ERR_URING_ALREADY_ENABLED'
  | 'ERR_URING_OP_UNSUPPORTED'
  | 'ERR_URING_OP_NOT_ENCODABLE'
  | 'ERR_URING_SLOT_BUSY'
  | 'ERR_URING_UNSUPPORTED_PLATFORM'
  | 'ERR_URING_INTERNAL'
  | 'ERR_URING_STALE_HANDLE'
  | 'ERR_URING_TABLE_FULL'
  | 'ERR_URING_TABLE_EXISTS'
  | 'ERR_URING_NOT_REGISTERED'
  | 'ERR_URING_GROUP_EXISTS'
  | 'ERR_URING_BUFFER_RELEASED'
  | 'ERR_URING_NO_EXTERNAL_BUFFERS'
  | 'ERR_URING_OP_IN_FLIGHT'
  | 'ERR_URING_SKIP_SUCCESS'
  | 'ERR_URING_CHAIN_TOO_LONG'
  | 'ERR_URING_UNALIGNED'
  | 'ERR_URING_OP_FAILED'
  | 'ERR_URING_MULTISHOT'
  | 'ERR_URING_EVENTFD_IN_USE'
  | 'ERR_URING_NO_EVENT_LOOP'
  | SetupErrorCode

/** Codes of {@link RingSetupError}. */
export type SetupErrorCode =
  | 'ERR_URING_DISABLED'
  | 'ERR_URING_UNSUPPORTED'
  | 'ERR_URING_MEMLOCK'
  | 'ERR_URING_INVALID_OPTION'
  | 'ERR_URING_TOO_MANY_FILES'
  | 'ERR_URING_SQPOLL_PERMISSION'
  | 'ERR_URING_SETUP_FAILED'

/** An error thrown by uring: `code` says what went wrong, the message says why. */
export class UringError extends Error {
  readonly code: string
  constructor(code: UringErrorCode | string, message: string) {
    super(message)
    this.name = code.startsWith('ERR_URING') ? 'UringError' : code === 'ERR_OUT_OF_RANGE' ? 'RangeError' : 'TypeError'
    this.code = code
  }
  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`
  }
}

/**
 * `new Ring()` could not set up a ring. `code` says which of the known causes it is and the
 * message says what to do; `errno` is the kernel's answer to io_uring_setup(2).
 */
export class RingSetupError extends UringError {
  declare readonly code: SetupErrorCode
  /** The errno io_uring_setup returned (e.g. 1 for EPERM). */
  readonly errno: number
  readonly syscall = 'io_uring_setup'
  /** For `ERR_URING_INVALID_OPTION`: the options this kernel rejects. */
  readonly options: string[]
  constructor(code: SetupErrorCode, errno: number, message: string, options: string[] = []) {
    super(code, message)
    this.name = 'RingSetupError'
    this.errno = errno
    this.options = options
  }
}

/** Turns an error thrown by the native layer (which carries `code` already) into a UringError. */
export function fromNative(e: unknown): Error {
  const code = e instanceof Error ? (e as unknown as { code?: unknown }).code : undefined
  if (e instanceof Error && typeof code === 'string') return new UringError(code, e.message)
  return e as Error
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (v === undefined) return 'undefined'
  if (typeof v === 'function') return `function ${v.name || '<anonymous>'}`
  if (typeof v === 'object') {
    const c = (v as object).constructor
    return c && c.name ? `an instance of ${c.name}` : 'an object'
  }
  if (typeof v === 'bigint') return `type bigint (${v}n)`
  let s = String(v)
  if (typeof v === 'string') s = `'${s.length > 28 ? s.slice(0, 25) + '...' : s}'`
  return `type ${typeof v} (${s})`
}

export function invalidType(name: string, expected: string, actual: unknown): UringError {
  return new UringError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. Received ${describe(actual)}`)
}

export function outOfRange(name: string, range: string, actual: unknown): UringError {
  const shown = typeof actual === 'bigint' ? `${actual}n` : String(actual)
  return new UringError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${shown}`)
}

/** An integer number in [min, max]. */
export function validateInteger(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number') throw invalidType(name, 'of type number', v)
  if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v)
  if (v < min || v > max) throw outOfRange(name, `>= ${min} && <= ${max}`, v)
  return v
}

export function validateBoolean(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw invalidType(name, 'of type boolean', v)
  return v
}

export function validateObject(v: unknown, name: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidType(name, 'of type object', v)
  return v as Record<string, unknown>
}

/** Rejects keys of `obj` that are not in `known`. */
export function validateKeys(obj: Record<string, unknown>, known: ReadonlySet<string>, name: string): void {
  for (const k of Object.keys(obj)) {
    if (!known.has(k)) {
      throw new UringError('ERR_URING_UNKNOWN_OPTION', `"${name}.${k}" is not an option; known options: ${[...known].join(', ')}`)
    }
  }
}

/** A file descriptor: an integer in [0, 2^31 - 1]. */
export function validateFd(v: unknown, name = 'fd'): number {
  return validateInteger(v, name, 0, 0x7fffffff)
}

export const MAX_U64 = (1n << 64n) - 1n

/** user_data: a non-negative safe integer or a bigint that fits 64 bits. */
export function validateUserData(v: unknown, name = 'userData'): number | bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > MAX_U64) throw outOfRange(name, '>= 0n && <= 2n ** 64n - 1n', v)
    return v
  }
  if (typeof v !== 'number') throw invalidType(name, 'of type number or bigint', v)
  if (!Number.isSafeInteger(v) || v < 0) throw outOfRange(name, `a safe integer >= 0 (or a bigint)`, v)
  return v
}

/** Bytes an op may read or write. */
export type BufferLike = ArrayBufferView | ArrayBuffer

export function validateBuffer(v: unknown, name = 'buffer'): BufferLike {
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v
  throw invalidType(name, 'an instance of Buffer, TypedArray, DataView or ArrayBuffer', v)
}
