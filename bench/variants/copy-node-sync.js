'use strict'
// Workload 5, node sync loop: fs.readSync params.chunk bytes into one Buffer, fs.writeSync them.
const fs = require('node:fs')
const { src, dest, size, mode, CHUNK, run, expect } = require('./copy-common')

const buf = Buffer.allocUnsafeSlow(CHUNK)
const sfd = fs.openSync(src, 'r')
run(() => {
  const dfd = fs.openSync(dest, 'w', mode)
  try {
    for (let off = 0; off < size; off += CHUNK) {
      const len = Math.min(CHUNK, size - off)
      expect(fs.readSync(sfd, buf, 0, len, off), len, 'readSync')
      expect(fs.writeSync(dfd, buf, 0, len, off), len, 'writeSync')
    }
  } finally {
    fs.closeSync(dfd)
  }
})
