#!/usr/bin/env node
'use strict'
// The benchmark's headline chart: every variant's rate as a ratio to the C liburing variant it is
// paired with, one panel per workload, as a Vega-Lite spec compiled by vega-lite and rendered to
// SVG by vega (no browser, no canvas, no external resource in the SVG).
//
//   node bench/chart.js [results.json] [out.svg]     (defaults: bench/results.json, bench/chart.svg)
//
// run.js calls renderChart(doc) with the object it writes to results.json ({ meta, workloads }).
// Everything drawn comes from that object, so a saved results file redraws the same chart.

const fs = require('node:fs')
const path = require('node:path')

// Colours by what a variant is. uring must stand out from both baselines.
const KINDS = [
  { kind: 'C liburing (reference = 1)', color: '#555555' },
  { kind: 'C', color: '#a6a6a6' },
  { kind: 'node', color: '#4c78a8' },
  { kind: 'uring', color: '#f58518' },
]

// Widths in px: variant labels, then the plot; the numbers take ~110 px right of the bars.
const LABEL_W = 370
const LABEL_FONT = 11.5
const PLOT_W = 400

// Text widths for the layout. Without a canvas vega guesses 0.8 em per character, which reserves
// far too much room for labels and cuts them short; these are Helvetica's advance widths (1/1000
// em, as Arial and Liberation Sans), widened by 18% to cover DejaVu Sans (Linux's usual
// sans-serif) since the viewer picks the font.
const HELVETICA = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 to ?
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ to O
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P to _
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` to o
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p to ~
]

function textWidth(item, text) {
  const t = text == null ? '' : String(text)
  const size = item.fontSize != null ? +item.fontSize || 0 : 11
  let em = 0
  for (const ch of t) {
    const c = ch.codePointAt(0)
    em += c >= 32 && c <= 126 ? HELVETICA[c - 32] : 600
  }
  const bold = item.fontWeight === 'bold' || +item.fontWeight >= 600
  return (em / 1000) * size * 1.18 * (bold ? 1.15 : 1)
}

// Axis ticks, and the values the axis may start or end at.
const TICKS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
const ENDS = [0.001, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 1.5, 2, 3, 5, 10, 15, 20, 30, 50, 100]

function median(xs) {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const pos = (x) => typeof x === 'number' && Number.isFinite(x) && x > 0

/** Per-round ratios of variant `v` to variant `ref` (rounds run side by side), by `measure`. */
function pairedRounds(v, ref, measure) {
  const out = []
  for (let i = 0; i < Math.min(v.rounds?.length ?? 0, ref.rounds?.length ?? 0); i++) {
    const a = v.rounds[i]
    const b = ref.rounds[i]
    if (!a || !b) continue
    const r = measure(a) / measure(b)
    if (pos(r)) out.push(r)
  }
  return out
}

const rateOf = (x) => x.rate ?? x.ops / x.seconds
const perCpu = (x) => x.ops / x.cpu

function fmtRatio(x) {
  if (!pos(x)) return '-'
  return x >= 10 ? `${x.toFixed(0)}x` : x >= 0.1 ? `${x.toFixed(2)}x` : `${x.toPrecision(2)}x`
}

/**
 * A label cut to LABEL_W px in the middle: the ends of a variant's name are what tell it apart
 * ("node fs.promises.readFile, 64 in flight, UV_USE_IO_URING=1"). vega is not left to cut them:
 * it would cut the end, and size the layout by the uncut text.
 */
function fitLabel(text) {
  const w = (t) => textWidth({ fontSize: LABEL_FONT }, t)
  if (w(text) <= LABEL_W) return text
  let keep = text.length
  while (keep > 8 && w(`${text.slice(0, Math.ceil(keep / 2))}…${text.slice(text.length - Math.floor(keep / 2))}`) > LABEL_W) keep--
  return `${text.slice(0, Math.ceil(keep / 2))}…${text.slice(text.length - Math.floor(keep / 2))}`
}

/**
 * One row per variant (and per target tick) of the chart, from a results document.
 * Exported for checking the numbers without rendering.
 */
function chartRows(doc) {
  const workloads = Array.isArray(doc.workloads) ? doc.workloads : Object.values(doc.workloads || {})
  const bars = []
  const targets = []
  workloads.forEach((w, wi) => {
    const byId = new Map(w.variants.map((v) => [v.id, v]))
    const panel = /^Workload \d/.test(w.title) ? w.title : `${wi + 1}. ${w.title}`
    let lastRef = null
    for (const [vi, v] of w.variants.entries()) {
      const ref = v.ref ? byId.get(v.ref) : null
      if (!v.ref) lastRef = v.id
      // Variants follow the reference they are paired with (one per QD, say); the label says
      // what the ratio is to when it is not the nearest reference above.
      const vs = v.ref && v.ref !== lastRef ? ` (vs ${(ref?.name ?? v.ref).replace(/\s*\(.*\)$/, '').replace(/^C liburing /, 'C ')})` : ''
      const uring = v.uring ?? /^uring\b/.test(v.id)
      const kind = v.kind === 'c' ? (v.ref ? 'C' : 'C liburing (reference = 1)') : uring ? 'uring' : 'node'
      const row = { panel, order: vi, label: fitLabel(v.name + vs), id: v.id, kind }
      const has = v.median != null && !v.skipped
      if (!has) {
        const why = v.skipped ? `skipped: ${v.skipped}` : `failed${v.errors?.length ? `: ${v.errors[0]}` : ''}`
        bars.push({ ...row, note: why.length > 90 ? why.slice(0, 89) + '…' : why })
        continue
      }
      if (!v.ref) {
        // A reference: 1 by definition; its rounds' spread shows how steady the machine was.
        const rates = (v.rounds || []).filter(Boolean).map(rateOf)
        const m = median(rates)
        bars.push({ ...row, ratio: 1, lo: m ? Math.min(...rates) / m : null, hi: m ? Math.max(...rates) / m : null, text: 'ref' })
        continue
      }
      const rs = ref ? pairedRounds(v, ref, rateOf) : []
      const cs = ref ? pairedRounds(v, ref, perCpu) : []
      const ratio = v.ratio ?? median(rs)
      const cpuRatio = v.cpuRatio ?? median(cs)
      if (!pos(ratio)) {
        bars.push({ ...row, note: 'no paired ratio (its reference has no result)' })
        continue
      }
      bars.push({
        ...row,
        ratio,
        lo: rs.length ? Math.min(...rs) : null,
        hi: rs.length ? Math.max(...rs) : null,
        cpuRatio: pos(cpuRatio) ? cpuRatio : null,
        text: fmtRatio(ratio) + (pos(cpuRatio) ? ` (CPU ${fmtRatio(cpuRatio)})` : ''),
      })
      // BENCH.md targets of this variant, placed on its "x C liburing" axis: a ratio to its own
      // reference as it is; a ratio to another variant (>= 12 x node FileHandle.read) at that
      // variant's ratio to the same reference times the factor; a rate (>= 2M/s) divided by the
      // reference's median rate.
      for (const t of w.targets || []) {
        if (t.a !== v.id) continue
        let at = null
        let direct = false
        if (t.kind === 'ratio' && t.b === v.ref) (at = t.min), (direct = true)
        else if (t.kind === 'ratio') {
          const b = byId.get(t.b)
          const bRatio = b && (b.id === v.ref ? 1 : b.ref === v.ref ? b.ratio : null)
          if (pos(bRatio)) at = t.min * bRatio
        } else if (t.kind === 'rate' && pos(ref?.median)) at = t.min / ref.median
        if (!pos(at)) continue
        targets.push({ isTarget: true, panel, order: vi, label: row.label, target: at, direct, what: t.what, status: t.status ?? '' })
      }
    }
  })
  return { bars, targets }
}

/** The x domain: a log scale from a round value under the smallest ratio to one over the largest. */
function domainOf(bars, targets) {
  const xs = [...bars.flatMap((b) => [b.ratio, b.lo, b.hi, b.cpuRatio]), ...targets.map((t) => t.target)].filter(pos)
  const lo = Math.min(0.5, ...xs)
  const hi = Math.max(1.5, ...xs)
  const min = [...ENDS].reverse().find((t) => t <= lo * 0.9) ?? ENDS[0]
  const max = ENDS.find((t) => t >= hi * 1.1) ?? ENDS[ENDS.length - 1]
  return [min, max]
}

function subtitle(meta) {
  if (!meta) return []
  const o = meta.options || {}
  const when = meta.date ? `${meta.date.slice(0, 16).replace('T', ' ')} UTC` : 'date unknown'
  const machine = [
    meta.kernel && `Linux ${meta.kernel}`,
    meta.node && `Node ${meta.node}`,
    meta.cpu && `${meta.cpu}${meta.cpus ? ` x ${meta.cpus} CPUs` : ''}`,
    meta.liburingDev && `liburing ${meta.liburingDev}`,
  ].filter(Boolean)
  const run = [
    o.rounds && `${o.rounds} round${o.rounds === 1 ? '' : 's'} of ${o.seconds} s per variant${o.quick ? ' (--quick)' : ''}`,
    meta.commit && `commit ${meta.commit}`,
  ].filter(Boolean)
  return [`${when}, ${machine.join(', ')}`, run.join(', ')].filter((l) => l.trim())
}

/** The Vega-Lite spec of the chart (exported so it can be inspected or fed to another renderer). */
function chartSpec(doc) {
  const { bars, targets } = chartRows(doc)
  const [dMin, dMax] = domainOf(bars, targets)
  const ticks = TICKS.filter((t) => t >= dMin && t <= dMax)
  const panels = [...new Set(bars.map((b) => b.panel))]
  const x = { type: 'quantitative', scale: { type: 'log', domain: [dMin, dMax], clamp: true, nice: false } }
  // Rows of the panel: every variant in run.js's order (y is resolved per panel: own labels only).
  const y = { field: 'label', type: 'nominal', sort: { field: 'order', op: 'min' }, title: null, axis: { labelLimit: 0, labelFontSize: LABEL_FONT, labelColor: '#222', ticks: false, domain: false, labelPadding: 6, minExtent: LABEL_W + 6 } }
  const ref = (dx) => ({ datum: dx })
  const layers = [
    // A faint band behind every third row helps the eye across long labels.
    {
      mark: { type: 'bar', color: '#000', opacity: 0.035 },
      transform: [{ filter: '!datum.isTarget && datum.order % 2 === 1' }],
      encoding: { y, x: { ...x, datum: dMin }, x2: { datum: dMax } },
    },
    {
      mark: { type: 'rule', color: '#222', strokeDash: [4, 3] },
      encoding: { x: { ...x, datum: 1 } },
    },
    // The median paired ratio ("x C liburing").
    {
      transform: [{ filter: 'isValid(datum.ratio)' }],
      mark: { type: 'bar', height: { band: 0.55 }, yOffset: -2 },
      encoding: {
        y,
        x: { ...x, field: 'ratio', title: null, axis: { values: ticks, format: '~g', labelExpr: "datum.label + 'x'", grid: true, gridColor: '#e6e6e6', orient: 'bottom' } },
        x2: ref(dMin),
        color: { field: 'kind', type: 'nominal', scale: { domain: KINDS.map((k) => k.kind), range: KINDS.map((k) => k.color) }, legend: { title: null, orient: 'top', direction: 'horizontal' } },
        tooltip: [
          { field: 'label', title: 'variant' },
          { field: 'ratio', title: 'x C liburing (median)', format: '.3f' },
          { field: 'lo', title: 'min over rounds', format: '.3f' },
          { field: 'hi', title: 'max over rounds', format: '.3f' },
          { field: 'cpuRatio', title: 'x C per CPU second', format: '.3f' },
        ],
      },
    },
    // The same pairing per CPU second: a thin dark bar just under the main one.
    {
      transform: [{ filter: 'isValid(datum.cpuRatio)' }],
      mark: { type: 'bar', height: 2.5, yOffset: 7, color: '#222' },
      encoding: { y, x: { ...x, field: 'cpuRatio' }, x2: ref(dMin) },
    },
    // Min-max of the paired ratio over the rounds.
    {
      transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
      mark: { type: 'rule', color: '#000', strokeWidth: 1.2, yOffset: -2 },
      encoding: { y, x: { ...x, field: 'lo' }, x2: { field: 'hi' } },
    },
    {
      transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }, { fold: ['lo', 'hi'], as: ['end', 'at'] }],
      mark: { type: 'tick', color: '#000', thickness: 1.2, size: 7, yOffset: -2 },
      encoding: { y, x: { ...x, field: 'at' } },
    },
    // BENCH.md targets: red ticks (a ratio to another variant, moved onto this axis: hollow).
    {
      mark: { type: 'tick', color: '#d62728', thickness: 3, size: 16 },
      transform: [{ filter: 'datum.isTarget && datum.direct' }],
      encoding: { y, x: { ...x, field: 'target' }, tooltip: [{ field: 'what', title: 'target' }, { field: 'status', title: 'this run' }] },
    },
    {
      mark: { type: 'point', shape: 'diamond', color: '#d62728', strokeWidth: 1.5, size: 55, filled: false },
      transform: [{ filter: 'datum.isTarget && !datum.direct' }],
      encoding: { y, x: { ...x, field: 'target' }, tooltip: [{ field: 'what', title: 'target' }, { field: 'status', title: 'this run' }] },
    },
    // The numbers, in a column right of the plot.
    {
      transform: [{ filter: '!datum.isTarget && isValid(datum.ratio)' }],
      mark: { type: 'text', align: 'left', dx: 8, fontSize: 11, color: '#222' },
      encoding: { y, x: { ...x, datum: dMax }, text: { field: 'text' } },
    },
    // Variants without a result say why where their bar would be.
    {
      transform: [{ filter: 'isValid(datum.note)' }],
      mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, fontStyle: 'italic', color: '#888' },
      encoding: { y, x: { ...x, datum: dMin }, text: { field: 'note' } },
    },
  ]
  const title = {
    text: 'uring: rate as a ratio to C liburing (paired per round, median over rounds)',
    subtitle: [
      ...subtitle(doc.meta),
      'bar: x C liburing; thin dark bar: the same per CPU second; black rule: min-max over rounds (on a reference: its rate / median); dashed: 1.0;',
      'red tick: BENCH.md target; red diamond: a target relative to another variant, placed at that variant x the factor (log scale)',
    ],
    anchor: 'start',
    fontSize: 15,
    subtitleFontSize: 11,
    subtitleColor: '#555',
    offset: 12,
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    background: '#ffffff',
    padding: 12,
    data: { values: [...bars, ...targets] },
    // One panel per workload, stacked; each has its own rows (variants) and its title starts at
    // the left edge of its labels. Every panel's x scale has the same fixed domain.
    vconcat: panels.map((p) => ({
      title: { text: p, anchor: 'start', frame: 'bounds', fontSize: 13, fontWeight: 'bold', offset: 6 },
      transform: [{ filter: { field: 'panel', equal: p } }],
      width: PLOT_W,
      height: { step: 21 },
      layer: layers,
    })),
    spacing: 22,
    config: {
      font: 'sans-serif',
      view: { stroke: '#ccc' },
      axisX: { labelFontSize: 10.5, labelColor: '#444', tickColor: '#bbb', domainColor: '#bbb' },
      legend: { labelFontSize: 12, symbolType: 'square', labelLimit: 300, columnPadding: 16 },
    },
  }
}

/** The chart as an SVG string, from the results document run.js writes ({ meta, workloads }). */
async function renderChart(doc) {
  const vl = await import('vega-lite')
  const vega = await import('vega')
  const compile = vl.compile ?? vl.default?.compile
  const parse = vega.parse ?? vega.default?.parse
  const View = vega.View ?? vega.default?.View
  const { spec } = compile(chartSpec(doc))
  // vega's own text measurer is module state: swapped for the table above while this renders.
  const metrics = vega.textMetrics ?? vega.default?.textMetrics
  const saved = metrics.width
  metrics.width = textWidth
  const view = new View(parse(spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
    metrics.width = saved
  }
}

module.exports = { renderChart, chartSpec, chartRows }

if (require.main === module) {
  const [input = path.join(__dirname, 'results.json'), output = path.join(__dirname, 'chart.svg')] = process.argv.slice(2)
  if (input === '-h' || input === '--help') {
    process.stdout.write('usage: node bench/chart.js [results.json] [out.svg]   (defaults: bench/results.json, bench/chart.svg)\n')
    process.exit(0)
  }
  let doc
  try {
    doc = JSON.parse(fs.readFileSync(input, 'utf8'))
  } catch (e) {
    process.stderr.write(`${input}: ${e.message}\n`)
    process.exit(1)
  }
  renderChart(doc).then(
    (svg) => {
      fs.writeFileSync(output, svg)
      process.stdout.write(`wrote ${output}\n`)
    },
    (e) => {
      console.error(e)
      process.exitCode = 1
    },
  )
}
