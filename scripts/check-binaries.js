#!/usr/bin/env node
// Before publishing: every platform package in npm/ has its native addon, and it is the right
// one: an ELF shared object for the package's cpu; for -gnu packages, needing no glibc newer than
// the release floor (GLIBC_FLOOR in scripts/elf-glibc.js, see docs/shipping.md); for -musl ones,
// needing no glibc at all. Prints one line per package and exits 1 when any is missing or wrong.
//
//   node scripts/check-binaries.js [--root <dir>]
//
// The release workflow runs it after `napi artifacts` has copied the built .node files into npm/.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const { glibcNeeds, compareVersions, GLIBC_FLOOR } = require('./elf-glibc.js')

// process.arch (package.json "cpu") -> ELF e_machine.
const MACHINE = { x64: 62, arm64: 183, ia32: 3, arm: 40, riscv64: 243, ppc64: 21, s390x: 22, loong64: 258 }

function inspect(file) {
  const buf = fs.readFileSync(file)
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) return { error: 'not an ELF file' }
  const little = buf[5] === 1
  const u16 = (o) => (little ? buf.readUInt16LE(o) : buf.readUInt16BE(o))
  const type = u16(16) // 3 = ET_DYN
  const machine = u16(18)
  // The GLIBC_x.y versions the dynamic loader will ask libc for (none for a musl build).
  const { max } = glibcNeeds(buf)
  return { type, machine, glibc: max || null, size: buf.length }
}

function check(root) {
  const problems = []
  const lines = []
  const npmDir = path.join(root, 'npm')
  const dirs = fs.existsSync(npmDir)
    ? fs.readdirSync(npmDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    : []
  if (dirs.length === 0) problems.push('npm/: no platform packages')
  for (const d of dirs) {
    const pkgFile = path.join(npmDir, d, 'package.json')
    let pkg
    try {
      pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'))
    } catch (e) {
      problems.push(`npm/${d}/package.json: ${e.message}`)
      continue
    }
    const main = pkg.main
    const file = path.join(npmDir, d, String(main))
    if (!main || !fs.existsSync(file)) {
      problems.push(`npm/${d}: ${main || 'its "main"'} is missing (no artifact was copied in)`)
      continue
    }
    if (Array.isArray(pkg.files) && !pkg.files.includes(main)) problems.push(`npm/${d}: "files" does not include ${main}`)
    const info = inspect(file)
    if (info.error) {
      problems.push(`npm/${d}/${main}: ${info.error}`)
      continue
    }
    const cpu = Array.isArray(pkg.cpu) ? pkg.cpu[0] : undefined
    const libc = Array.isArray(pkg.libc) ? pkg.libc[0] : undefined
    if (info.type !== 3) problems.push(`npm/${d}/${main}: not a shared object (ELF type ${info.type})`)
    if (MACHINE[cpu] === undefined) problems.push(`npm/${d}: cpu ${JSON.stringify(cpu)} is not one this check knows`)
    else if (info.machine !== MACHINE[cpu]) problems.push(`npm/${d}/${main}: built for ELF machine ${info.machine}, the package's cpu ${cpu} is ${MACHINE[cpu]}`)
    if (libc === 'glibc' && !info.glibc) problems.push(`npm/${d}/${main}: needs no glibc version; is it a musl build?`)
    if (libc === 'glibc' && info.glibc && compareVersions(info.glibc, GLIBC_FLOOR) > 0) {
      problems.push(`npm/${d}/${main}: needs glibc ${info.glibc}, above the release floor ${GLIBC_FLOOR} (build it with napi build --use-napi-cross)`)
    }
    if (libc === 'musl' && info.glibc) problems.push(`npm/${d}/${main}: needs glibc ${info.glibc}, the package is for musl`)
    lines.push(`npm/${d}/${main}: ${info.size} bytes, ${cpu}, ${info.glibc ? `glibc ${info.glibc}` : 'no glibc'}`)
  }
  return { problems, lines }
}

module.exports = { check, inspect }

if (require.main === module) {
  const args = process.argv.slice(2)
  let root = path.join(__dirname, '..')
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--root' && i + 1 < args.length) root = path.resolve(args[++i])
    else {
      console.error('usage: node scripts/check-binaries.js [--root <dir>]')
      process.exit(2)
    }
  }
  const r = check(root)
  for (const l of r.lines) console.log(l)
  if (r.problems.length > 0) {
    console.error(`platform packages not ready to publish (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}):`)
    for (const p of r.problems) console.error(`- ${p}`)
    process.exit(1)
  }
  console.log(`npm/: all ${r.lines.length} platform packages have their binary`)
}
