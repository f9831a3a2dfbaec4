/**
 * Helpers of `uring/fs` that make its arguments and errors Node's own: argument errors with the
 * codes and messages of node:internal/errors, system errors shaped like libuv's uvException.
 * @internal
 */
import { getSystemErrorMap, inspect } from 'node:util'
import { fileURLToPath } from 'node:url'
import { constants as fsc } from 'node:fs'
import { FLAG_STRINGS as FLAGS, O_CLOEXEC } from './os'

const SYSTEM_ERRORS = getSystemErrorMap()

/**
 * A system error exactly as node:fs/promises makes one: `ENOENT: no such file or directory, open
 * '/x'`, own keys errno, code, syscall, path, dest (in that order).
 */
export function uvError(errno: number, syscall: string, path?: string, dest?: string): Error {
  const [code, desc] = SYSTEM_ERRORS.get(errno) ?? [`Unknown system error ${errno}`, `Unknown system error ${errno}`]
  let msg = `${code}: ${desc}, ${syscall}`
  if (path !== undefined) msg += ` '${path}'`
  if (dest !== undefined) msg += ` -> '${dest}'`
  const e = new Error(msg) as Error & Record<string, unknown>
  e.errno = errno
  e.code = code
  e.syscall = syscall
  if (path !== undefined) e.path = path
  if (dest !== undefined) e.dest = dest
  return e
}

/** The errno of an error from the ring (a driver SystemError), or undefined for anything else. */
export function errnoOf(e: unknown): number | undefined {
  if (e === null || typeof e !== 'object') return undefined
  const n = (e as { errno?: unknown }).errno
  const s = (e as { syscall?: unknown }).syscall
  return typeof n === 'number' && n < 0 && typeof s === 'string' && s !== 'io_uring_setup' ? n : undefined
}

/** Rethrows a ring error as Node's error for `syscall` (non-system errors unchanged). */
export function rethrow(e: unknown, syscall: string, path?: string, dest?: string): never {
  const n = errnoOf(e)
  if (n === undefined) throw e
  throw uvError(n, syscall, path, dest)
}

// ---- argument errors, as node:internal/errors words them ---------------------------------------

function nodeError(Ctor: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, code: string, message: string): Error {
  const e = new Ctor(message) as Error & { code: string }
  e.code = code
  // As Node's: the name shows the code in the stack, the own property is only `code`.
  Object.defineProperty(e, 'toString', {
    value(): string {
      return `${e.name} [${code}]: ${e.message}`
    },
    enumerable: false,
    configurable: true,
    writable: true,
  })
  return e
}

function addNumericalSeparator(val: string): string {
  let res = ''
  let i = val.length
  const start = val[0] === '-' ? 1 : 0
  for (; i >= start + 4; i -= 3) res = `_${val.slice(i - 3, i)}${res}`
  return `${val.slice(0, i)}${res}`
}

/** Node's determineSpecificType (the "Received ..." of ERR_INVALID_ARG_TYPE). */
export function received(value: unknown): string {
  if (value == null) return `Received ${value}`
  if (typeof value === 'function' && value.name) return `Received function ${value.name}`
  if (typeof value === 'object') {
    const c = (value as { constructor?: { name?: string } }).constructor
    if (c?.name) return `Received an instance of ${c.name}`
    return `Received ${inspect(value, { depth: -1 })}`
  }
  let inspected = inspect(value, { colors: false })
  if (inspected.length > 28) inspected = `${inspected.slice(0, 25)}...`
  return `Received type ${typeof value} (${inspected})`
}

export function errInvalidArgType(name: string, expected: string, value: unknown): Error {
  const what = name.includes('.') ? 'property' : 'argument'
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" ${what} must be ${expected}. ${received(value)}`)
}

export function errOutOfRange(name: string, range: string, value: unknown): Error {
  let r: string
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) > 2 ** 32) r = addNumericalSeparator(String(value))
  else if (typeof value === 'bigint') {
    r = String(value)
    if (value > 2n ** 32n || value < -(2n ** 32n)) r = addNumericalSeparator(r)
    r += 'n'
  } else r = inspect(value)
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${r}`)
}

export function errInvalidArgValue(name: string, value: unknown, reason = 'is invalid'): Error {
  let v = inspect(value)
  if (v.length > 128) v = `${v.slice(0, 128)}...`
  const type = name.includes('.') ? 'property' : 'argument'
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The ${type} '${name}' ${reason}. Received ${v}`)
}

export function errGeneric(Ctor: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, code: string, message: string): Error {
  return nodeError(Ctor, code, message)
}

export function validateInteger(v: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number') throw errInvalidArgType(name, 'of type number', v)
  if (!Number.isInteger(v)) throw errOutOfRange(name, 'an integer', v)
  if (v < min || v > max) throw errOutOfRange(name, `>= ${min} && <= ${max}`, v)
  return v
}

export function validateInt32(v: unknown, name: string, min = -2147483648, max = 2147483647): number {
  if (typeof v !== 'number') throw errInvalidArgType(name, 'of type number', v)
  if (!Number.isInteger(v)) throw errOutOfRange(name, 'an integer', v)
  if (v < min || v > max) throw errOutOfRange(name, `>= ${min} && <= ${max}`, v)
  return v
}

export function isArrayBufferView(v: unknown): v is ArrayBufferView {
  return ArrayBuffer.isView(v)
}

/** Bytes of a view (Buffer, TypedArray, DataView) without copying. */
export function bytesOf(v: ArrayBufferView): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

// ---- paths, flags, modes -----------------------------------------------------------------------

/** A path uring/fs handles itself: the bytes/string for the op and the string Node puts in errors. */
export interface Path {
  arg: string | Uint8Array
  str: string
}

/**
 * A string path as Node's errors show it: the kernel gets its UTF-8 bytes, and Node's error
 * message and `path` are those bytes decoded again, so a lone surrogate shows as U+FFFD.
 */
export function pathString(p: string): string {
  return (p as unknown as { isWellFormed(): boolean }).isWellFormed() ? p : Buffer.from(p, 'utf8').toString('utf8')
}

function isURL(p: unknown): p is URL {
  return p != null && typeof p === 'object' && typeof (p as URL).href === 'string' && typeof (p as URL).protocol === 'string' && (p as { auth?: unknown }).auth === undefined && (p as URL).origin !== undefined
}

/**
 * `p` as uring/fs handles it, or undefined when Node must decide (NUL bytes, wrong types,
 * non-file URLs): the caller then hands the call to node:fs/promises, which throws Node's error.
 */
export function toPath(p: unknown): Path | undefined {
  if (typeof p === 'string') {
    if (p.length === 0 || p.includes('\u0000')) return undefined
    return { arg: p, str: pathString(p) }
  }
  if (p instanceof Uint8Array) {
    if (p.length === 0 || p.includes(0)) return undefined
    return { arg: p, str: Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString() }
  }
  if (isURL(p)) {
    if (p.protocol !== 'file:') return undefined
    let s: string
    try {
      s = fileURLToPath(p)
    } catch {
      return undefined
    }
    if (s.includes('\u0000')) return undefined
    return { arg: s, str: s }
  }
  return undefined
}

export { O_CLOEXEC }
const { O_RDONLY } = fsc

/** open(2) flags as Node computes them (stringToFlags), or undefined for what Node must judge. */
export function toFlags(f: unknown, dflt: number = O_RDONLY): number | undefined {
  if (f == null) return dflt
  if (typeof f === 'number') return Number.isInteger(f) && f >= -2147483648 && f <= 2147483647 ? f : undefined
  if (typeof f === 'string') return FLAGS.get(f)
  return undefined
}

/** A mode as Node's parseFileMode takes it, or undefined for what Node must judge. */
export function toMode(m: unknown, dflt: number): number | undefined {
  if (m == null) return dflt
  if (typeof m === 'string') return /^[0-7]+$/.test(m) && parseInt(m, 8) <= 0xffffffff ? parseInt(m, 8) : undefined
  if (typeof m === 'number') return Number.isInteger(m) && m >= 0 && m <= 0xffffffff ? m : undefined
  return undefined
}

/** The options object of a call as Node's getOptions sees it, or undefined for what Node must judge. */
export function toOptions(o: unknown): Record<string, unknown> | undefined {
  if (o == null || typeof o === 'function') return {}
  let r: Record<string, unknown>
  if (typeof o === 'string') r = { encoding: o }
  else if (typeof o === 'object') r = o as Record<string, unknown>
  else return undefined
  const enc = r.encoding
  if (enc != null && enc !== 'buffer' && (typeof enc !== 'string' || !Buffer.isEncoding(enc))) return undefined
  const s = r.signal
  if (s !== undefined && (s === null || typeof s !== 'object' || !('aborted' in s))) return undefined
  return r
}

/** Node's AbortError for an aborted signal. */
export class AbortError extends Error {
  code = 'ABORT_ERR'
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AbortError'
  }
}

export function checkAborted(signal: AbortSignal | undefined | null): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason })
}
