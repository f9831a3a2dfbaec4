/**
 * `uring doctor`: can this process use io_uring, and if not, why; what the kernel has; which
 * setup flags uring would use here.
 */
import { RingSetupError } from './errors'
import { native } from './native'
import { kernelQuirks } from './probe'
import { FEATURE_SINCE, Features, Ring } from './ring'

export interface DoctorReport {
  kernel: string
  /** Whether `new Ring()` works in this process. */
  available: boolean
  /** Why not, when it does not. */
  diagnosis?: { code: string; errno: number; message: string }
  sysctl: { ioUringDisabled: number | null; ioUringGroup: number | null }
  seccomp: { mode: number | null; filters: number | null }
  /** RLIMIT_MEMLOCK in bytes (null: unlimited). */
  memlock: { soft: number | null; hard: number | null }
  features?: Features
  /** Feature bits this kernel lacks, with the kernel that adds each. */
  missingFeatures?: Array<{ name: string; since: string }>
  probe?: {
    lastOp: number | undefined
    ops: Array<{ name: string; kernelName: string; code: number; since: string; supported: boolean }>
  }
  /** Kernel bugs found by trying them, and what uring does about each (see `kernelQuirks()`). */
  quirks?: Array<{ name: string; effect: string }>
  /** Setup options recommended for this kernel, each with the reason. */
  recommended?: Array<{ option: string; why: string }>
}

function trySetup(options: ConstructorParameters<typeof Ring>[0]): boolean {
  try {
    new Ring(options).close()
    return true
  } catch {
    return false
  }
}

/** Collects the report `uring doctor` prints. */
export function doctor(): DoctorReport {
  const f = native.systemFacts()
  const report: DoctorReport = {
    kernel: f.kernelRelease,
    available: false,
    sysctl: { ioUringDisabled: f.ioUringDisabled ?? null, ioUringGroup: f.ioUringGroup ?? null },
    seccomp: { mode: f.seccompMode ?? null, filters: f.seccompFilters ?? null },
    memlock: { soft: f.memlockSoft < 0 ? null : f.memlockSoft, hard: f.memlockHard < 0 ? null : f.memlockHard },
  }
  let ring: Ring
  try {
    ring = new Ring({ entries: 8 })
  } catch (e) {
    if (e instanceof RingSetupError) {
      report.diagnosis = { code: e.code, errno: e.errno, message: e.message }
      return report
    }
    throw e
  }
  try {
    report.available = true
    report.features = { ...ring.features }
    report.missingFeatures = Object.entries(ring.features)
      .filter(([, v]) => !v)
      .map(([k]) => ({ name: k, since: FEATURE_SINCE[k as keyof Features] }))
    const p = ring.probe
    report.probe = { lastOp: p.lastOp, ops: p.table() }
  } finally {
    ring.close()
  }
  const quirks = kernelQuirks()
  report.quirks = []
  if (quirks.eventfdLosesDeferredSignals) {
    report.quirks.push({
      name: 'eventfdLosesDeferredSignals',
      effect: 'a DEFER_TASKRUN ring\'s eventfd hears only the first socket/pipe completion: new Ring() uses COOP_TASKRUN, and the driver of a deferTaskrun ring re-registers its eventfd per wakeup',
    })
  }
  const rec: Array<{ option: string; why: string }> = []
  if (!quirks.eventfdLosesDeferredSignals && trySetup({ entries: 8, singleIssuer: true, deferTaskrun: true })) {
    rec.push({ option: 'singleIssuer', why: 'one thread submits: the kernel skips its submission locking' })
    rec.push({ option: 'deferTaskrun', why: 'completion work runs only when the process asks for completions, batched (6.1+)' })
  } else if (trySetup({ entries: 8, coopTaskrun: true, taskrunFlag: true })) {
    rec.push({ option: 'coopTaskrun', why: 'no inter-processor interrupt per completion (5.19+)' })
    rec.push({ option: 'taskrunFlag', why: 'the SQ flags tell when completion work is pending' })
  }
  if (trySetup({ entries: 8, noSqarray: true })) rec.push({ option: 'noSqarray', why: 'one less indirection per SQE (6.6+)' })
  if (trySetup({ entries: 8, submitAll: true })) rec.push({ option: 'submitAll', why: 'a failing SQE does not stop the rest of a batch (5.18+)' })
  report.recommended = rec
  return report
}

function fmtBytes(v: number | null): string {
  if (v === null) return 'unlimited'
  if (v >= 1 << 20 && v % (1 << 20) === 0) return `${v / (1 << 20)} MiB`
  if (v >= 1024 && v % 1024 === 0) return `${v / 1024} KiB`
  return `${v} bytes`
}

/** The report as text for a terminal. */
export function formatDoctor(r: DoctorReport): string {
  const out: string[] = []
  const dis = r.sysctl.ioUringDisabled
  out.push(`uring doctor`)
  out.push(`  kernel                    ${r.kernel}`)
  out.push(`  io_uring                  ${r.available ? 'available' : `NOT available: ${r.diagnosis?.code}`}`)
  if (r.diagnosis) out.push(`  why                       ${r.diagnosis.message}`)
  out.push(`  kernel.io_uring_disabled  ${dis === null ? 'absent (kernel < 6.6)' : `${dis}${dis === 0 ? ' (allowed)' : dis === 1 ? ' (CAP_SYS_ADMIN or io_uring_group only)' : ' (disabled)'}`}`)
  if (r.sysctl.ioUringGroup !== null) out.push(`  kernel.io_uring_group     ${r.sysctl.ioUringGroup}`)
  const sm = r.seccomp.mode
  out.push(`  seccomp                   ${sm === null ? 'unknown' : sm === 0 ? 'off' : sm === 1 ? 'strict' : `filter (${r.seccomp.filters ?? '?'} attached)`}`)
  out.push(`  RLIMIT_MEMLOCK            ${fmtBytes(r.memlock.soft)} (hard ${fmtBytes(r.memlock.hard)})`)
  if (r.features) {
    const on = Object.entries(r.features).filter(([, v]) => v).map(([k]) => k)
    out.push(`  features                  ${on.join(' ')}`)
    if (r.missingFeatures && r.missingFeatures.length > 0) {
      out.push(`  missing features          ${r.missingFeatures.map((m) => `${m.name} (${m.since})`).join(' ')}`)
    }
  }
  if (r.probe) {
    const ops = r.probe.ops
    const sup = ops.filter((o) => o.supported)
    out.push(`  ops                       ${sup.length} of ${ops.length} supported (last op ${r.probe.lastOp})`)
    for (const o of ops) {
      out.push(`    ${o.supported ? 'yes' : ' - '}  ${o.name.padEnd(16)} ${o.kernelName.padEnd(28)} ${o.supported ? '' : `needs ${o.since}`}`)
    }
  }
  if (r.quirks) {
    out.push(`  kernel quirks             ${r.quirks.length === 0 ? 'none found' : r.quirks.map((q) => q.name).join(' ')}`)
    for (const q of r.quirks) out.push(`    ${q.name}: ${q.effect}`)
  }
  if (r.recommended) {
    out.push(`  recommended setup         ${r.recommended.map((x) => x.option).join(', ') || '(defaults)'}`)
    for (const x of r.recommended) out.push(`    ${x.option}: ${x.why}`)
  }
  return out.join('\n')
}
