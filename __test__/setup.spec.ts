/**
 * Every `new Ring()` option, accepted or rejected with the right code by the running kernel.
 * Where a flag is newer than the kernel, the expectation is a RingSetupError with code
 * ERR_URING_INVALID_OPTION naming the option in `err.options`.
 */
import test, { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { Ring, RingOptions, RingSetupError, UringError, op, OP_TABLE, FEATURE_SINCE } from '../index'
import { kernelAtLeast, openFile, ring, tempDir, thrown, throwsCode, trySetup } from './_helpers'

const release = os.release()

/** IORING_SETUP_* in bit order (include/uapi/linux/io_uring.h). */
const SETUP_BITS = [
  'iopoll', 'sqpoll', 'sqAff', 'cqsize', 'clamp', 'attachWq', 'disabled', 'submitAll', 'coopTaskrun',
  'taskrunFlag', 'sqe128', 'cqe32', 'singleIssuer', 'deferTaskrun', 'noMmap', 'registeredFdOnly', 'noSqarray',
  'hybridIopoll',
] as const
/** IORING_FEAT_* in bit order. */
const FEATURE_BITS = [
  'singleMmap', 'nodrop', 'submitStable', 'rwCurPos', 'curPersonality', 'fastPoll', 'poll32Bits', 'sqpollNonfixed',
  'extArg', 'nativeWorkers', 'rsrcTags', 'cqeSkip', 'linkedFile', 'regRegRing', 'recvsendBundle', 'minTimeout',
  'rwAttr', 'noIowait',
] as const

/** Submits one NOP and checks the kernel completed it with res 0 and our userData. */
function nopCompletes(t: ExecutionContext, r: Ring, userData: number | bigint = 77): void {
  r.sq.push(op.nop({ userData }))
  t.is(r.sq.submitAndWait(1), 1)
  const cqes = r.cq.drain()
  t.is(cqes.length, 1)
  t.is(cqes[0].userData, userData)
  t.is(cqes[0].res, 0)
  t.is(r.inFlight, 0)
}

/** Reads a file through the ring and checks the bytes (proves completion task work ran). */
function readWorks(t: ExecutionContext, r: Ring): void {
  const dir = tempDir(t)
  const file = path.join(dir, 'data')
  fs.writeFileSync(file, 'setup-mode read check')
  const fd = openFile(t, file, 'r')
  const buf = Buffer.alloc(32)
  r.sq.push(op.read(fd, buf, 6, { userData: 5 }))
  r.sq.submitAndWait(1)
  const [c] = r.cq.drain()
  t.is(c.userData, 5)
  t.is(c.res, 'mode read check'.length)
  t.is(buf.subarray(0, c.res).toString(), 'mode read check')
}

/**
 * A ring with options needing Linux `since`: on that kernel or newer it must be set up and
 * `check` runs on it; on an older one it may instead be refused naming one of `names`.
 */
function optionCase(
  title: string,
  options: RingOptions,
  names: string[],
  since: string,
  check: (t: ExecutionContext, r: Ring) => void,
  alsoAllowed: string[] = [],
): void {
  test(`${title} (needs Linux ${since}; running ${release})`, (t) => {
    const r = trySetup(options)
    if (r instanceof RingSetupError) {
      t.false(kernelAtLeast(since), `Linux ${release} >= ${since} must accept ${JSON.stringify(Object.keys(options))}: ${r.code} ${r.message}`)
      t.true(['ERR_URING_INVALID_OPTION', ...alsoAllowed].includes(r.code), r.code)
      t.true(names.some((n) => r.options.includes(n)), `err.options ${JSON.stringify(r.options)} names one of ${names.join(', ')}`)
      t.is(r.errno > 0, true)
      return
    }
    try {
      check(t, r)
    } finally {
      r.close()
    }
  })
}

/** The first CPU this process may run on (for sqpoll's cpu). */
function firstAllowedCpu(): number {
  try {
    const m = /Cpus_allowed_list:\s*(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))
    if (m) return Number(m[1])
  } catch {
    // fall through
  }
  return 0
}

// ---- entries ----------------------------------------------------------------------------------

test('default entries: the kernel sets up 256 SQ and 512 CQ entries', (t) => {
  const r = ring(t)
  t.is(r.params.sqEntries, 256)
  t.is(r.params.cqEntries, 512)
  t.is(r.sq.entries, 256)
  t.false(r.params.flags.cqsize)
  nopCompletes(t, r)
})

test('entries: 8 gives an 8-entry SQ and a 16-entry CQ', (t) => {
  const r = ring(t, { entries: 8 })
  t.is(r.params.sqEntries, 8)
  t.is(r.params.cqEntries, 16)
  t.is(r.sq.entries, 8)
  t.is(r.sq.space, 8)
  nopCompletes(t, r)
})

test('entries: 5 is rounded up to a power of two by the kernel', (t) => {
  const r = ring(t, { entries: 5 })
  t.is(r.params.sqEntries, 8)
  t.is(r.params.cqEntries, 16)
})

test('entries: 1 works (the smallest ring)', (t) => {
  const r = ring(t, { entries: 1 })
  t.is(r.params.sqEntries, 1)
  nopCompletes(t, r)
})

test('entries: 0 is ERR_URING_INVALID_OPTION naming entries', (t) => {
  const e = throwsCode(t, () => new Ring({ entries: 0 }), 'ERR_URING_INVALID_OPTION')
  t.true(e instanceof RingSetupError)
  t.deepEqual((e as RingSetupError).options, ['entries'])
})

test('entries: 65536 without clamp is ERR_URING_INVALID_OPTION naming entries', (t) => {
  const e = throwsCode(t, () => new Ring({ entries: 65536 }), 'ERR_URING_INVALID_OPTION')
  t.true(e instanceof RingSetupError)
  const se = e as RingSetupError
  t.deepEqual(se.options, ['entries'])
  t.is(se.errno, 22)
  t.is(typeof se.errno, 'number')
})

test('entries: 32768 (the kernel maximum) works without clamp', (t) => {
  const r = ring(t, { entries: 32768 })
  t.is(r.params.sqEntries, 32768)
  t.is(r.params.cqEntries, 65536)
})

optionCase('entries: 65536 with clamp is clamped to 32768', { entries: 65536, clamp: true }, ['clamp'], '5.6', (t, r) => {
  t.is(r.params.sqEntries, 32768)
  t.is(r.params.cqEntries, 65536)
  t.true(r.params.flags.clamp)
  t.is(r.sq.entries, 32768)
  nopCompletes(t, r)
})

optionCase('entries: 2**32 - 1 with clamp is clamped to 32768', { entries: 2 ** 32 - 1, clamp: true }, ['clamp'], '5.6', (t, r) => {
  t.is(r.params.sqEntries, 32768)
  nopCompletes(t, r)
})

optionCase('clamp: true on a small ring changes nothing', { entries: 8, clamp: true }, ['clamp'], '5.6', (t, r) => {
  t.is(r.params.sqEntries, 8)
  t.is(r.params.cqEntries, 16)
  t.true(r.params.flags.clamp)
})

// ---- cqEntries --------------------------------------------------------------------------------

optionCase('cqEntries: 32 with entries 8 gives a 32-entry CQ', { entries: 8, cqEntries: 32 }, ['cqEntries'], '5.5', (t, r) => {
  t.is(r.params.sqEntries, 8)
  t.is(r.params.cqEntries, 32)
  t.true(r.params.flags.cqsize)
  nopCompletes(t, r)
})

optionCase('cqEntries equal to entries is accepted', { entries: 8, cqEntries: 8 }, ['cqEntries'], '5.5', (t, r) => {
  t.is(r.params.cqEntries, 8)
  nopCompletes(t, r)
})

optionCase('cqEntries: 100 is rounded up to 128', { entries: 8, cqEntries: 100 }, ['cqEntries'], '5.5', (t, r) => {
  t.is(r.params.cqEntries, 128)
})

test('cqEntries: 0 is refused (ERR_OUT_OF_RANGE, or ERR_URING_INVALID_OPTION naming cqEntries)', (t) => {
  const e = throwsCode(t, () => new Ring({ entries: 8, cqEntries: 0 }), ['ERR_OUT_OF_RANGE', 'ERR_URING_INVALID_OPTION'])
  if (e instanceof RingSetupError) t.deepEqual(e.options, ['cqEntries'])
})

test('cqEntries smaller than entries is ERR_URING_INVALID_OPTION naming cqEntries', (t) => {
  const e = throwsCode(t, () => new Ring({ entries: 64, cqEntries: 32 }), 'ERR_URING_INVALID_OPTION') as RingSetupError
  t.deepEqual(e.options, ['cqEntries'])
})

test('cqEntries: 65537 without clamp is ERR_URING_INVALID_OPTION naming cqEntries', (t) => {
  const e = throwsCode(t, () => new Ring({ entries: 8, cqEntries: 65537 }), 'ERR_URING_INVALID_OPTION') as RingSetupError
  t.deepEqual(e.options, ['cqEntries'])
})

test('cqEntries: 2**32 - 1 without clamp is ERR_URING_INVALID_OPTION naming cqEntries', (t) => {
  const e = throwsCode(t, () => new Ring({ entries: 8, cqEntries: 2 ** 32 - 1 }), 'ERR_URING_INVALID_OPTION') as RingSetupError
  t.true(e instanceof RingSetupError)
  t.deepEqual(e.options, ['cqEntries'])
})

optionCase('cqEntries: 100000 with clamp is clamped to 65536', { entries: 8, cqEntries: 100000, clamp: true }, ['clamp', 'cqEntries'], '5.6', (t, r) => {
  t.is(r.params.cqEntries, 65536)
  t.true(r.params.flags.clamp)
  t.true(r.params.flags.cqsize)
})

test('cqEntries: 2**32 - 1 with clamp is clamped to 65536', (t) => {
  let r: Ring | RingSetupError
  try {
    r = trySetup({ entries: 8, cqEntries: 2 ** 32 - 1, clamp: true })
  } catch (e) {
    t.fail(`new Ring() threw ${String(e)} (code ${String((e as { code?: unknown }).code)}) instead of clamping`)
    return
  }
  if (r instanceof RingSetupError) {
    t.false(kernelAtLeast('5.6'), r.message)
    return
  }
  try {
    t.is(r.params.cqEntries, 65536)
    nopCompletes(t, r)
  } finally {
    r.close()
  }
})

// ---- sqpoll -----------------------------------------------------------------------------------

optionCase('sqpoll: true starts an SQ thread (idle 1000 ms by default)', { entries: 8, sqpoll: true }, ['sqpoll'], '5.13', (t, r) => {
  t.true(r.params.flags.sqpoll)
  t.false(r.params.flags.sqAff)
  t.is(r.params.sqThreadIdle, 1000)
  t.is(r.params.rawFlags & 2, 2)
  nopCompletes(t, r)
  readWorks(t, r)
}, ['ERR_URING_SQPOLL_PERMISSION'])

const cpu = firstAllowedCpu()
optionCase(`sqpoll: { idleMs: 5, cpu: ${cpu} } pins the SQ thread`, { entries: 8, sqpoll: { idleMs: 5, cpu } }, ['sqpoll'], '5.13', (t, r) => {
  t.true(r.params.flags.sqpoll)
  t.true(r.params.flags.sqAff)
  t.is(r.params.sqThreadIdle, 5)
  t.is(r.params.sqThreadCpu, cpu)
  t.is(r.params.rawFlags & 6, 6)
  nopCompletes(t, r)
}, ['ERR_URING_SQPOLL_PERMISSION'])

test('sqpoll: false is the same as no sqpoll', (t) => {
  const r = ring(t, { entries: 8, sqpoll: false })
  t.false(r.params.flags.sqpoll)
  t.is(r.params.sqThreadIdle, 0)
})

test('sqpoll with deferTaskrun is refused naming both', (t) => {
  const e = throwsCode(t, () => new Ring({ entries: 8, sqpoll: true, singleIssuer: true, deferTaskrun: true }), 'ERR_URING_INVALID_OPTION') as RingSetupError
  t.true(e.options.includes('deferTaskrun'))
  t.true(e.options.includes('sqpoll'))
})

// ---- the other flags --------------------------------------------------------------------------

optionCase('iopoll: true', { entries: 8, iopoll: true }, ['iopoll'], '5.1', (t, r) => {
  t.true(r.params.flags.iopoll)
  t.is(r.params.rawFlags & 1, 1)
})

optionCase('singleIssuer: true', { entries: 8, singleIssuer: true }, ['singleIssuer'], '6.0', (t, r) => {
  t.true(r.params.flags.singleIssuer)
  nopCompletes(t, r)
  readWorks(t, r)
})

test('deferTaskrun alone is refused naming deferTaskrun and singleIssuer', (t) => {
  const e = throwsCode(t, () => new Ring({ entries: 8, deferTaskrun: true }), 'ERR_URING_INVALID_OPTION')
  t.true(e instanceof RingSetupError)
  const se = e as RingSetupError
  t.true(se.options.includes('deferTaskrun'))
  t.true(se.options.includes('singleIssuer'))
  t.is(typeof se.errno, 'number')
})

optionCase('deferTaskrun with singleIssuer', { entries: 8, singleIssuer: true, deferTaskrun: true }, ['deferTaskrun', 'singleIssuer'], '6.1', (t, r) => {
  t.true(r.params.flags.deferTaskrun)
  t.true(r.params.flags.singleIssuer)
  nopCompletes(t, r)
  readWorks(t, r)
})

optionCase('coopTaskrun: true', { entries: 8, coopTaskrun: true }, ['coopTaskrun'], '5.19', (t, r) => {
  t.true(r.params.flags.coopTaskrun)
  nopCompletes(t, r)
  readWorks(t, r)
})

test('taskrunFlag alone is refused naming taskrunFlag', (t) => {
  const e = throwsCode(t, () => new Ring({ entries: 8, taskrunFlag: true }), 'ERR_URING_INVALID_OPTION') as RingSetupError
  t.true(e.options.includes('taskrunFlag'))
})

optionCase('taskrunFlag with coopTaskrun', { entries: 8, coopTaskrun: true, taskrunFlag: true }, ['taskrunFlag', 'coopTaskrun'], '5.19', (t, r) => {
  t.true(r.params.flags.taskrunFlag)
  t.true(r.params.flags.coopTaskrun)
  nopCompletes(t, r)
  readWorks(t, r)
})

optionCase('submitAll: true', { entries: 8, submitAll: true }, ['submitAll'], '5.18', (t, r) => {
  t.true(r.params.flags.submitAll)
  nopCompletes(t, r)
})

optionCase('noSqarray: true', { entries: 8, noSqarray: true }, ['noSqarray'], '6.6', (t, r) => {
  t.true(r.params.flags.noSqarray)
  nopCompletes(t, r)
  readWorks(t, r)
})

test('dontfork: true marks the ring memory VM_DONTCOPY', (t) => {
  const plain = ring(t, { entries: 8 })
  const r = ring(t, { entries: 8, dontfork: true })
  nopCompletes(t, r)
  // /proc/self/smaps shows madvise(MADV_DONTFORK) as the "dc" VmFlag of the ring's mappings.
  const maps = fs.readFileSync('/proc/self/smaps', 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)
  const inode = (fd: number): number => fs.fstatSync(fd).ino
  const flagsOf = (ino: number): string[][] =>
    maps
      .filter((m) => m.includes('io_uring') && m.split('\n')[0].trim().split(/\s+/)[4] === String(ino))
      .map((m) => (/VmFlags:(.*)/.exec(m)?.[1] ?? '').trim().split(/\s+/))
  const mine = inode(r.fd)
  const theirs = inode(plain.fd)
  const ringMaps = flagsOf(mine)
  t.true(ringMaps.length > 0, 'the ring memory is mapped')
  if (mine !== theirs) {
    t.true(ringMaps.every((f) => f.includes('dc')), `every mapping of the dontfork ring is VM_DONTCOPY: ${JSON.stringify(ringMaps)}`)
    t.true(flagsOf(theirs).every((f) => !f.includes('dc')), 'a plain ring is not')
  } else {
    // Older kernels share one anon inode between rings: at least the dontfork ring's maps carry dc.
    t.true(ringMaps.some((f) => f.includes('dc')))
  }
})

// ---- attachWq ---------------------------------------------------------------------------------

optionCase('attachWq: another Ring', { entries: 8 }, ['attachWq'], '5.6', (t, first) => {
  const r = trySetup({ entries: 8, attachWq: first })
  if (r instanceof RingSetupError) {
    t.false(kernelAtLeast('5.6'), r.message)
    t.is(r.code, 'ERR_URING_INVALID_OPTION')
    t.true(r.options.includes('attachWq'))
    return
  }
  try {
    t.true(r.params.flags.attachWq)
    t.is(r.params.rawFlags & 32, 32)
    // An async op runs on the shared worker pool.
    r.sq.push(op.nop({ userData: 1, async: true }))
    r.sq.submitAndWait(1)
    const [c] = r.cq.drain()
    t.is(c.userData, 1)
    t.is(c.res, 0)
    nopCompletes(t, first)
  } finally {
    r.close()
  }
})

test('attachWq: a closed Ring is ERR_URING_CLOSED', (t) => {
  const other = new Ring({ entries: 8 })
  other.close()
  throwsCode(t, () => new Ring({ entries: 8, attachWq: other }), 'ERR_URING_CLOSED')
})

test('attachWq: a non-Ring is ERR_INVALID_ARG_TYPE', (t) => {
  throwsCode(t, () => new Ring({ entries: 8, attachWq: { fd: 3 } as unknown as Ring }), 'ERR_INVALID_ARG_TYPE')
  throwsCode(t, () => new Ring({ entries: 8, attachWq: 3 as unknown as Ring }), 'ERR_INVALID_ARG_TYPE')
  throwsCode(t, () => new Ring({ entries: 8, attachWq: null as unknown as Ring }), 'ERR_INVALID_ARG_TYPE')
})

// ---- disabled + enable() ----------------------------------------------------------------------

const hasDisabled = kernelAtLeast('5.10')
;(hasDisabled ? test : test.skip)(`disabled: submit before enable() is ERR_URING_DISABLED_RING; enable() starts the ring${hasDisabled ? '' : ' (skipped: IORING_SETUP_R_DISABLED needs Linux 5.10)'}`, (t) => {
  const r = ring(t, { entries: 8, disabled: true })
  t.true(r.params.flags.disabled)
  t.is(r.params.rawFlags & 64, 64)
  r.sq.push(op.nop({ userData: 1 }))
  t.is(r.sq.pending, 1)
  throwsCode(t, () => r.sq.submit(), 'ERR_URING_DISABLED_RING')
  // The refused batch never reached the kernel.
  t.is(r.sq.pending, 0)
  t.is(r.inFlight, 0)
  r.enable()
  r.sq.push(op.nop({ userData: 2 }))
  t.is(r.sq.submitAndWait(1), 1)
  const cqes = r.cq.drain()
  t.deepEqual(cqes.map((c) => [c.userData, c.res]), [[2, 0]])
  throwsCode(t, () => r.enable(), 'ERR_URING_ALREADY_ENABLED')
  nopCompletes(t, r)
})

test('enable() on a ring that was never disabled is ERR_URING_ALREADY_ENABLED', (t) => {
  const r = ring(t, { entries: 8 })
  throwsCode(t, () => r.enable(), 'ERR_URING_ALREADY_ENABLED')
  nopCompletes(t, r)
})

// ---- option names and types -------------------------------------------------------------------

test('an unknown option key is ERR_URING_UNKNOWN_OPTION', (t) => {
  const e = throwsCode(t, () => new Ring({ nosuch: true } as unknown as RingOptions), 'ERR_URING_UNKNOWN_OPTION')
  t.true(e instanceof UringError)
  t.regex(e.message, /nosuch/)
  throwsCode(t, () => new Ring({ entries: 8, sqpoll: { idle: 5 } } as unknown as RingOptions), 'ERR_URING_UNKNOWN_OPTION')
})

const badTypes: Array<[string, unknown, string]> = [
  ["entries: '8'", { entries: '8' }, 'ERR_INVALID_ARG_TYPE'],
  ['entries: 1.5', { entries: 1.5 }, 'ERR_OUT_OF_RANGE'],
  ['entries: -1', { entries: -1 }, 'ERR_OUT_OF_RANGE'],
  ['entries: NaN', { entries: NaN }, 'ERR_OUT_OF_RANGE'],
  ['entries: Infinity', { entries: Infinity }, 'ERR_OUT_OF_RANGE'],
  ['entries: 2**32', { entries: 2 ** 32 }, 'ERR_OUT_OF_RANGE'],
  ['entries: 8n', { entries: 8n }, 'ERR_INVALID_ARG_TYPE'],
  ["cqEntries: '16'", { entries: 8, cqEntries: '16' }, 'ERR_INVALID_ARG_TYPE'],
  ['clamp: 1', { clamp: 1 }, 'ERR_INVALID_ARG_TYPE'],
  ["iopoll: 'true'", { iopoll: 'true' }, 'ERR_INVALID_ARG_TYPE'],
  ['disabled: null', { disabled: null }, 'ERR_INVALID_ARG_TYPE'],
  ["sqpoll: 'yes'", { sqpoll: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
  ['sqpoll: 1', { sqpoll: 1 }, 'ERR_INVALID_ARG_TYPE'],
  ['sqpoll: { idleMs: -1 }', { sqpoll: { idleMs: -1 } }, 'ERR_OUT_OF_RANGE'],
  ["sqpoll: { cpu: '0' }", { sqpoll: { cpu: '0' } }, 'ERR_INVALID_ARG_TYPE'],
  ['options: null', null, 'ERR_INVALID_ARG_TYPE'],
  ["options: 'x'", 'x', 'ERR_INVALID_ARG_TYPE'],
  ['options: []', [], 'ERR_INVALID_ARG_TYPE'],
]
for (const [title, options, code] of badTypes) {
  test(`new Ring(${title}) is ${code}`, (t) => {
    const e = throwsCode(t, () => new Ring(options as RingOptions), code)
    t.true(e instanceof UringError)
    t.false(e instanceof RingSetupError)
  })
}

test('RingSetupError carries errno, code, syscall and options', (t) => {
  const e = thrown(t, () => new Ring({ entries: 65536 })) as RingSetupError
  t.true(e instanceof RingSetupError)
  t.true(e instanceof UringError)
  t.true(e instanceof Error)
  t.is(e.name, 'RingSetupError')
  t.is(e.code, 'ERR_URING_INVALID_OPTION')
  t.is(typeof e.errno, 'number')
  t.is(e.errno, 22) // EINVAL
  t.is(e.syscall, 'io_uring_setup')
  t.true(Array.isArray(e.options))
  t.true(e.message.length > 0)
  t.regex(String(e), /RingSetupError \[ERR_URING_INVALID_OPTION\]/)
})

// ---- params, features, probe ------------------------------------------------------------------

test('ring.features decodes the kernel feature bits; nodrop is set', (t) => {
  const r = ring(t, { entries: 8 })
  t.is(typeof r.params.rawFeatures, 'number')
  t.deepEqual(Object.keys(r.features).sort(), [...FEATURE_BITS].sort())
  FEATURE_BITS.forEach((name, bit) => {
    t.is(r.features[name], (r.params.rawFeatures & (1 << bit)) !== 0, name)
  })
  if (kernelAtLeast('5.5')) t.true(r.features.nodrop)
  if (kernelAtLeast('5.6')) t.true(r.features.rwCurPos)
  if (kernelAtLeast('5.11')) t.true(r.features.extArg)
  t.true(Object.isFrozen(r.features))
  t.deepEqual(Object.keys(FEATURE_SINCE).sort(), [...FEATURE_BITS].sort())
  for (const v of Object.values(FEATURE_SINCE)) t.regex(v, /^\d+\.\d+$/)
})

test('ring.params.flags decodes rawFlags', (t) => {
  // coopTaskrun: false takes the completion mode out of uring's hands: only CQSIZE is set.
  const r = ring(t, { entries: 8, cqEntries: 64, coopTaskrun: false })
  t.deepEqual(Object.keys(r.params.flags).sort(), [...SETUP_BITS].sort())
  SETUP_BITS.forEach((name, bit) => {
    t.is(r.params.flags[name], (r.params.rawFlags & (1 << bit)) !== 0, name)
  })
  t.true(r.params.flags.cqsize)
  t.is(r.params.rawFlags, 1 << 3)
  t.true(Object.isFrozen(r.params))
  t.true(Object.isFrozen(r.params.flags))
  t.throws(() => {
    ;(r.params as { sqEntries: number }).sqEntries = 4
  }, { instanceOf: TypeError })
  t.is(r.params.sqEntries, 8)
})

test('ring.fd is an io_uring file descriptor, closed by close()', (t) => {
  const r = new Ring({ entries: 8 })
  const fd = r.fd
  t.true(Number.isInteger(fd) && fd >= 0)
  t.is(fs.readlinkSync(`/proc/self/fd/${fd}`), 'anon_inode:[io_uring]')
  r.close()
  let link: string | undefined
  try {
    link = fs.readlinkSync(`/proc/self/fd/${fd}`)
  } catch {
    link = undefined
  }
  t.not(link, 'anon_inode:[io_uring]')
  throwsCode(t, () => r.fd, 'ERR_URING_CLOSED')
})

test('Ring.probe() reports what the kernel supports', (t) => {
  const p = Ring.probe()
  t.true(p.supports('nop'))
  t.true(p.supports('IORING_OP_NOP'))
  if (kernelAtLeast('5.6')) {
    t.true(p.probed)
    t.true(p.supports('IORING_OP_READ'))
    t.true(p.supports('read'))
    t.true(p.supports('write'))
  }
  t.true(p.supports('readv'))
  t.true(p.supports('fsync'))
  t.false(p.supports('nosuch'))
  t.is(p.requiredKernel('nosuch'), undefined)
  t.is(p.requiredKernel('nop'), undefined)
  t.true(p.ops.includes('nop'))
  const table = p.table()
  t.is(table.length, OP_TABLE.length)
  for (const row of table) {
    t.regex(row.since, /^\d+\.\d+$/, row.name)
    t.is(row.supported, p.supports(row.name), row.name)
    t.is(row.supported, p.ops.includes(row.name), row.name)
  }
  for (const m of p.missing) {
    t.regex(m.since, /^\d+\.\d+$/, m.name)
    t.false(p.supports(m.name))
    t.is(p.requiredKernel(m.name), m.since)
    t.is(p.requiredKernel(m.kernelName), m.since)
  }
  t.is(p.missing.length + p.ops.length, OP_TABLE.length)
  // The same answer from a ring's own probe.
  const r = ring(t, { entries: 8 })
  t.deepEqual(r.probe.ops, p.ops)
  t.is(r.probe, r.probe, 'cached')
})

test('OP_TABLE names every opcode with its kernel name and since', (t) => {
  OP_TABLE.forEach((o, i) => {
    t.is(o.code, i)
    t.regex(o.kernelName, /^IORING_OP_[A-Z0-9_]+$/)
    t.regex(o.since, /^\d+\.\d+$/)
  })
  t.is(OP_TABLE[0].name, 'nop')
  t.is(OP_TABLE[22].kernelName, 'IORING_OP_READ')
})

// ---- disposal ---------------------------------------------------------------------------------

test('`using` closes the ring at the end of its scope', (t) => {
  let kept: Ring | undefined
  {
    using r = new Ring({ entries: 8 })
    kept = r
    t.false(r.closed)
    nopCompletes(t, r)
  }
  t.true(kept.closed)
  t.is(kept.inFlight, 0)
  throwsCode(t, () => kept!.sq.push(op.nop()), 'ERR_URING_CLOSED')
})

test('Symbol.dispose closes; calling it again (or close()) is harmless', (t) => {
  const r = new Ring({ entries: 8 })
  r[Symbol.dispose]()
  t.true(r.closed)
  t.notThrows(() => r[Symbol.dispose]())
  t.deepEqual(r.close(), { cancelled: 0 })
})
