'use strict'
// Workload 5, node promises: params.qd async loops of `await src.read(chunk)` then
// `await dst.write(same bytes)` on FileHandles, each loop on its own Buffer.
const fsp = require('node:fs/promises')
const { src, dest, size, mode, CHUNK, QD, run, expect } = require('./copy-common')

const bufs = Array.from({ length: QD }, () => Buffer.allocUnsafeSlow(CHUNK))
let sfh
run(async () => {
  sfh ??= await fsp.open(src, 'r')
  const dfh = await fsp.open(dest, 'w', mode)
  try {
    let next = 0
    await Promise.all(
      bufs.map(async (buf) => {
        while (next < size) {
          const off = next
          const len = Math.min(CHUNK, size - off)
          next += len
          expect((await sfh.read(buf, 0, len, off)).bytesRead, len, 'FileHandle.read')
          expect((await dfh.write(buf, 0, len, off)).bytesWritten, len, 'FileHandle.write')
        }
      }),
    )
  } finally {
    await dfh.close()
  }
})
