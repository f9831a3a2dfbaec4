// scripts/elf-glibc.js, which `npm run test:pack` uses to hold release binaries to the glibc
// floor: against hand-built ELF files (both classes, both byte orders) and the real addon.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const repo = path.resolve(__dirname, '..', '..')

interface Needs {
  needed: Array<{ file: string; version: string; weak: boolean }>
  symbols: Array<{ name: string; file: string; version: string; weak: boolean }>
  max: string | null
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const elf = require(path.join(repo, 'scripts', 'elf-glibc.js')) as {
  glibcNeeds(buf: Buffer): Needs
  compareVersions(a: string, b: string): number
  GLIBC_FLOOR: string
}

interface Lib {
  file: string
  versions: Array<{ name: string; index: number; weak?: boolean }>
}
interface Sym {
  name: string
  /** Version index (vna_other of a Lib version); 1 = unversioned global. */
  index: number
  defined?: boolean
  weak?: boolean
}

/** A minimal ELF shared object: .dynstr, .dynsym, .gnu.version and .gnu.version_r, nothing else. */
function buildElf(is64: boolean, le: boolean, libs: Lib[], syms: Sym[]): Buffer {
  const strs = [0]
  const strOff = new Map<string, number>()
  const str = (s: string): number => {
    if (!strOff.has(s)) {
      strOff.set(s, strs.length)
      strs.push(...Buffer.from(s, 'latin1'), 0)
    }
    return strOff.get(s)!
  }
  for (const l of libs) {
    str(l.file)
    for (const v of l.versions) str(v.name)
  }
  for (const s of syms) str(s.name)
  const dynstr = Buffer.from(strs)

  const w16 = (b: Buffer, o: number, v: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o))
  const w32 = (b: Buffer, o: number, v: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o))
  const wword = (b: Buffer, o: number, v: number) =>
    is64 ? (le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o)) : w32(b, o, v)

  const symSize = is64 ? 24 : 16
  const dynsym = Buffer.alloc(symSize * (syms.length + 1))
  const versym = Buffer.alloc(2 * (syms.length + 1))
  syms.forEach((s, i) => {
    const o = symSize * (i + 1)
    const info = ((s.weak ? 2 : 1) << 4) | 2 // STB_WEAK/STB_GLOBAL, STT_FUNC
    const shndx = s.defined ? 5 : 0
    w32(dynsym, o, str(s.name))
    if (is64) {
      dynsym[o + 4] = info
      w16(dynsym, o + 6, shndx)
    } else {
      dynsym[o + 12] = info
      w16(dynsym, o + 14, shndx)
    }
    w16(versym, 2 * (i + 1), s.index)
  })

  const verneed = Buffer.alloc(libs.reduce((n, l) => n + 16 + 16 * l.versions.length, 0))
  let o = 0
  libs.forEach((l, li) => {
    const size = 16 + 16 * l.versions.length
    w16(verneed, o, 1)
    w16(verneed, o + 2, l.versions.length)
    w32(verneed, o + 4, str(l.file))
    w32(verneed, o + 8, 16)
    w32(verneed, o + 12, li === libs.length - 1 ? 0 : size)
    l.versions.forEach((v, vi) => {
      const a = o + 16 + 16 * vi
      w16(verneed, a + 4, v.weak ? 2 : 0)
      w16(verneed, a + 6, v.index)
      w32(verneed, a + 8, str(v.name))
      w32(verneed, a + 12, vi === l.versions.length - 1 ? 0 : 16)
    })
    o += size
  })

  const ehsize = is64 ? 64 : 52
  const shentsize = is64 ? 64 : 40
  const bodies = [dynstr, dynsym, versym, verneed]
  const offsets: number[] = []
  let at = ehsize
  for (const b of bodies) {
    offsets.push(at)
    at += b.length
  }
  const shoff = at
  const out = Buffer.alloc(shoff + 5 * shentsize)
  out.writeUInt32BE(0x7f454c46, 0)
  out[4] = is64 ? 2 : 1
  out[5] = le ? 1 : 2
  out[6] = 1
  wword(out, is64 ? 0x28 : 0x20, shoff)
  w16(out, is64 ? 0x3a : 0x2e, shentsize)
  w16(out, is64 ? 0x3c : 0x30, 5)
  bodies.forEach((b, i) => b.copy(out, offsets[i]))
  // [type, link, info, entsize] for sections 1..4; section 0 is the null section.
  const headers: Array<[number, number, number, number]> = [
    [3, 0, 0, 0], // .dynstr
    [11, 1, 1, symSize], // .dynsym
    [0x6fffffff, 2, 0, 2], // .gnu.version
    [0x6ffffffe, 1, libs.length, 0], // .gnu.version_r
  ]
  headers.forEach(([type, link, info, entsize], i) => {
    const h = shoff + (i + 1) * shentsize
    w32(out, h + 4, type)
    if (is64) {
      wword(out, h + 0x18, offsets[i])
      wword(out, h + 0x20, bodies[i].length)
      w32(out, h + 0x28, link)
      w32(out, h + 0x2c, info)
      wword(out, h + 0x38, entsize)
    } else {
      w32(out, h + 0x10, offsets[i])
      w32(out, h + 0x14, bodies[i].length)
      w32(out, h + 0x18, link)
      w32(out, h + 0x1c, info)
      w32(out, h + 0x24, entsize)
    }
  })
  return out
}

const LIBS: Lib[] = [
  { file: 'libgcc_s.so.1', versions: [{ name: 'GCC_4.2.0', index: 2 }] },
  {
    file: 'libc.so.6',
    versions: [
      { name: 'GLIBC_2.2.5', index: 3 },
      { name: 'GLIBC_2.17', index: 4 },
      { name: 'GLIBC_2.3.4', index: 5 },
      { name: 'GLIBC_2.9', index: 6, weak: true },
    ],
  },
  { file: 'ld-linux-x86-64.so.2', versions: [{ name: 'GLIBC_2.3', index: 7 }] },
]
const SYMS: Sym[] = [
  { name: '_Unwind_Resume', index: 2 },
  { name: 'memcpy', index: 3 },
  { name: 'clock_gettime', index: 4 },
  { name: '__memcpy_chk', index: 5 },
  { name: 'pipe2', index: 6, weak: true },
  { name: 'napi_register_module_v1', index: 1, defined: true },
  { name: '__tls_get_addr', index: 7 },
]

for (const [is64, le] of [[true, true], [true, false], [false, true], [false, false]] as const) {
  test(`synthetic ELF${is64 ? 64 : 32} ${le ? 'LE' : 'BE'}: versions needed, the symbols asking for them, the highest glibc`, (t) => {
    const r = elf.glibcNeeds(buildElf(is64, le, LIBS, SYMS))
    // Numerically highest: 2.17 beats 2.9, 2.3.4 and 2.2.5 (a string sort would pick 2.9).
    t.is(r.max, '2.17')
    t.deepEqual(
      r.needed.map((n) => `${n.file}:${n.version}${n.weak ? ':weak' : ''}`),
      ['libgcc_s.so.1:GCC_4.2.0', 'libc.so.6:GLIBC_2.2.5', 'libc.so.6:GLIBC_2.17', 'libc.so.6:GLIBC_2.3.4', 'libc.so.6:GLIBC_2.9:weak', 'ld-linux-x86-64.so.2:GLIBC_2.3'],
    )
    // Only undefined symbols with a needed version; the defined export is not a reference.
    t.deepEqual(
      r.symbols.map((s) => `${s.name}@${s.version}${s.weak ? ':weak' : ''}`),
      ['_Unwind_Resume@GCC_4.2.0', 'memcpy@GLIBC_2.2.5', 'clock_gettime@GLIBC_2.17', '__memcpy_chk@GLIBC_2.3.4', 'pipe2@GLIBC_2.9:weak', '__tls_get_addr@GLIBC_2.3'],
    )
  })
}

test('synthetic ELF without glibc (musl-like): max is null', (t) => {
  const r = elf.glibcNeeds(buildElf(true, true, [{ file: 'libgcc_s.so.1', versions: [{ name: 'GCC_3.0', index: 2 }] }], [{ name: '_Unwind_Resume', index: 2 }]))
  t.is(r.max, null)
  t.is(r.symbols.length, 1)
})

test('not an ELF file, or one without section headers, is an error', (t) => {
  t.throws(() => elf.glibcNeeds(Buffer.from('#!/bin/sh\necho not elf\n'.padEnd(80))), { message: /not an ELF/ })
  const bare = buildElf(true, true, LIBS, SYMS)
  bare.writeBigUInt64LE(0n, 0x28)
  t.throws(() => elf.glibcNeeds(bare), { message: /no section headers/ })
})

test('compareVersions is numeric per component', (t) => {
  t.is(elf.compareVersions('2.9', '2.17'), -1)
  t.is(elf.compareVersions('2.17', '2.17'), 0)
  t.is(elf.compareVersions('2.34', '2.3.4'), 1)
  t.is(elf.compareVersions('2.2.5', '2.2'), 1)
  t.is(elf.GLIBC_FLOOR, '2.17')
})

test('the built addon: same versions as readelf, and the highest glibc among them', (t) => {
  const name = fs.readdirSync(repo).find((f) => /^uring\.linux-[a-z0-9]+-(gnu|musl)\.node$/.test(f))
  if (!name) return t.fail('no uring.linux-*.node in the checkout (node scripts/install.js builds it)')
  const r = elf.glibcNeeds(fs.readFileSync(path.join(repo, name)))
  if (name.endsWith('-gnu.node')) {
    t.regex(r.max ?? '', /^2\.\d+$/)
    t.true(elf.compareVersions(r.max!, '2.2.5') >= 0)
    t.true(r.symbols.some((s) => s.file === 'libc.so.6' && s.version === `GLIBC_${r.max}`), 'some symbol asks for the highest version')
  } else {
    t.is(r.max, null)
  }
  const re = spawnSync('readelf', ['-V', '-W', path.join(repo, name)], { encoding: 'utf8' })
  if (re.error) return t.log('readelf not installed: not cross-checked')
  const section = re.stdout.slice(re.stdout.indexOf("Version needs section '.gnu.version_r'"))
  const fromReadelf = [...section.matchAll(/Name: (\S+)\s+Flags: (\S+)/g)].map((m) => m[1]).sort()
  t.deepEqual(r.needed.map((n) => n.version).sort(), fromReadelf)
})
