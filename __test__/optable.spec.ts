/**
 * The op table is written once, in Rust (crates/uring-core/src/probe.rs): opcode numbers, names
 * and first kernels reach TypeScript through the native binding. These tests check the few things
 * TypeScript does spell out against it: the `KernelOpName` union, and that every opcode has a
 * typed constructor on `op`.
 */
import test from 'ava'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { OP_TABLE, Opcode, op, Ring } from '../index'
import { throwsCode } from './_helpers'

/** Opcodes made by another constructor than their own name (the fixed variants are picked by the buffer). */
const MADE_BY: Record<string, string> = {
  readFixed: 'read',
  writeFixed: 'write',
  readvFixed: 'readv',
  writevFixed: 'writev',
  uringCmd: 'socketCmd',
  asyncCancel: 'cancel',
}

/** Opcodes without a constructor, and why. */
const NOT_OFFERED: Record<string, string> = {
  recvZc: 'zero-copy receive needs a NIC with header split and a registered interface queue (not a loopback socket); out of scope for issue 4',
}

test('the KernelOpName union in lib/opbase.ts names exactly the native table', (t) => {
  const src = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'opbase.ts'), 'utf8')
  const union = src.slice(src.indexOf('export type KernelOpName ='), src.indexOf('/**', src.indexOf('export type KernelOpName =')))
  const names = [...union.matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1])
  t.deepEqual(names, OP_TABLE.map((o) => o.kernelName.slice('IORING_OP_'.length)))
  for (const o of OP_TABLE) t.is(Opcode[o.kernelName.slice('IORING_OP_'.length) as keyof typeof Opcode], o.code)
})

test('every opcode of the table has a typed constructor on op (or a stated reason)', (t) => {
  const ctors = new Set(Object.keys(op))
  const missing: string[] = []
  for (const o of OP_TABLE) {
    if (o.name in NOT_OFFERED) continue
    const name = MADE_BY[o.name] ?? o.name
    if (!ctors.has(name)) missing.push(`${o.name} (${o.kernelName}, ${o.since})`)
  }
  t.deepEqual(missing, [])
})

test('an op object names its opcode as the table does', (t) => {
  const r = new Ring({ entries: 2 })
  try {
    for (const o of [op.nop(), op.fsync(0), op.read(0, Buffer.alloc(1)), op.readv(0, [Buffer.alloc(1)])]) {
      t.is(OP_TABLE[o.opcode].name, o.name)
    }
  } finally {
    r.close()
  }
  throwsCode(t, () => op.nop({ userData: -1 }), 'ERR_OUT_OF_RANGE')
})
