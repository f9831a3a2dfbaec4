// Run by esm-os.spec.ts as a plain ES module: `node __test__/esm-os-check.mjs FILE`. Imports
// 'uring/os' by the package name (ES module face), requires it (CommonJS), reads FILE through
// each, and prints what it saw as JSON.
import * as os from 'uring/os'
import { read, open, close, ring } from 'uring/os'
import { os as rootOs } from 'uring'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const cjs = require('uring/os')
const file = process.argv[2]

const b1 = Buffer.alloc(5)
const fd = await open(file)
const n1 = await read(fd, b1, 0)
const b2 = Buffer.alloc(5)
const n2 = await cjs.read(fd, b2, 6)
await close(fd)
const st = await os.statx(file)

const out = {
  esmRead: [n1, b1.toString()],
  cjsRead: [n2, b2.toString()],
  size: st.size,
  sameFunctions: os.read === cjs.read && read === cjs.read && rootOs.read === cjs.read,
  sameRing: ring() === cjs.ring() && rootOs.ring() === ring(),
  defaultIsCjs: os.default === cjs,
  names: Object.keys(os).filter((k) => k !== 'default').sort(),
  cjsNames: Object.keys(cjs).sort(),
}
process.stdout.write(JSON.stringify(out) + '\n')
