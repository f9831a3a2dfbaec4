#!/usr/bin/env node
// Which glibc a shared object (the .node addon) needs: the GLIBC_x.y versions in its ELF
// .gnu.version_r section (what the dynamic loader checks before it will load the file, failing
// with "version `GLIBC_2.34' not found" when libc lacks one), and which undefined dynamic symbols
// ask for each. Parsed here rather than with objdump/readelf so it works without binutils.
//
//   node scripts/elf-glibc.js <file.node> [--json]
//
// As a module: `glibcNeeds(buffer)` -> { needed, symbols, max }, `compareVersions(a, b)`, and
// GLIBC_FLOOR, the newest glibc a release binary may need (see docs/shipping.md).
'use strict'
const fs = require('node:fs')

/**
 * Release binaries (the uring-linux-*-gnu packages) must load on glibc 2.17: that is what
 * napi-rs's cross toolchains for the gnu targets (`napi build --use-napi-cross`) link against,
 * and Rust's own floor for the *-linux-gnu targets.
 */
const GLIBC_FLOOR = '2.17'

const SHT_DYNSYM = 11
const SHT_GNU_VERNEED = 0x6ffffffe
const SHT_GNU_VERSYM = 0x6fffffff
const VER_FLG_WEAK = 0x2
const STB_WEAK = 2

/** Numeric comparison of dotted versions: '2.9' < '2.17'. */
function compareVersions(a, b) {
  const x = String(a).split('.').map(Number)
  const y = String(b).split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] || 0) - (y[i] || 0)
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return 0
}

function glibcNeeds(buf) {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file')
  const is64 = buf[4] === 2
  if (!is64 && buf[4] !== 1) throw new Error(`unknown ELF class ${buf[4]}`)
  const le = buf[5] === 1
  if (!le && buf[5] !== 2) throw new Error(`unknown ELF data encoding ${buf[5]}`)
  const u16 = (o) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o))
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o))
  const word = (o) => (is64 ? Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : u32(o))
  const shoff = word(is64 ? 0x28 : 0x20)
  const shentsize = u16(is64 ? 0x3a : 0x2e)
  const shnum = u16(is64 ? 0x3c : 0x30)
  if (shoff === 0 || shnum === 0) throw new Error('no section headers (stripped of them?)')
  if (shoff + shnum * shentsize > buf.length) throw new Error('section headers lie past the end of the file')
  const sections = []
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * shentsize
    sections.push(is64
      ? { type: u32(h + 4), offset: word(h + 0x18), size: word(h + 0x20), link: u32(h + 0x28), info: u32(h + 0x2c), entsize: word(h + 0x38) }
      : { type: u32(h + 4), offset: u32(h + 0x10), size: u32(h + 0x14), link: u32(h + 0x18), info: u32(h + 0x1c), entsize: u32(h + 0x24) })
  }
  const str = (sec, off) => {
    const start = sec.offset + off
    const end = buf.indexOf(0, start)
    if (start >= sec.offset + sec.size || end < 0) throw new Error(`string offset ${off} outside its table`)
    return buf.toString('latin1', start, end)
  }

  // .gnu.version_r: per library, the versions it must define. Index (vna_other) -> name for versym.
  const needed = []
  const byIndex = new Map()
  for (const sec of sections.filter((s) => s.type === SHT_GNU_VERNEED)) {
    const strtab = sections[sec.link]
    let vn = sec.offset
    for (let n = 0; n < sec.info; n++) {
      const file = str(strtab, u32(vn + 4))
      let aux = vn + u32(vn + 8)
      for (let k = 0, cnt = u16(vn + 2); k < cnt; k++) {
        const v = { file, version: str(strtab, u32(aux + 8)), weak: (u16(aux + 4) & VER_FLG_WEAK) !== 0 }
        needed.push(v)
        byIndex.set(u16(aux + 6) & 0x7fff, v)
        const next = u32(aux + 12)
        if (next === 0) break
        aux += next
      }
      const next = u32(vn + 12)
      if (next === 0) break
      vn += next
    }
  }

  // Undefined dynamic symbols and the version each asks for (.dynsym + .gnu.version).
  const symbols = []
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM)
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM)
  if (dynsym && versym) {
    const strtab = sections[dynsym.link]
    const entsize = dynsym.entsize || (is64 ? 24 : 16)
    for (let i = 1; i < dynsym.size / entsize; i++) {
      const s = dynsym.offset + i * entsize
      const info = buf[s + (is64 ? 4 : 12)]
      const shndx = u16(s + (is64 ? 6 : 14))
      const v = byIndex.get(u16(versym.offset + 2 * i) & 0x7fff)
      if (shndx !== 0 || !v) continue
      symbols.push({ name: str(strtab, u32(s)), file: v.file, version: v.version, weak: info >> 4 === STB_WEAK })
    }
  }

  let max = null
  for (const { version } of needed) {
    const m = /^GLIBC_(\d+(?:\.\d+)+)$/.exec(version)
    if (m && (max === null || compareVersions(m[1], max) > 0)) max = m[1]
  }
  return { needed, symbols, max }
}

module.exports = { glibcNeeds, compareVersions, GLIBC_FLOOR }

if (require.main === module) {
  const args = process.argv.slice(2)
  const file = args.find((a) => !a.startsWith('--'))
  if (!file) {
    console.error('usage: node scripts/elf-glibc.js <file.node> [--json]')
    process.exit(2)
  }
  const r = glibcNeeds(fs.readFileSync(file))
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify({ ...r, floor: GLIBC_FLOOR }, null, 2) + '\n')
  } else {
    console.log(`${file}: needs glibc ${r.max ?? '(none: not linked against glibc)'}; release floor ${GLIBC_FLOOR}`)
    for (const s of r.symbols.filter((s) => /^GLIBC_/.test(s.version) && compareVersions(s.version.slice(6), GLIBC_FLOOR) > 0)) {
      console.log(`  ${s.name}@${s.version}${s.weak ? ' (weak)' : ''}`)
    }
  }
}
