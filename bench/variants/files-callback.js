'use strict'
// Workload 3, node fs.readFile with a callback: `qd` files in flight, each completion reads the next.
const fs = require('node:fs')
const { args, measure } = require('./common')
const { fileNames, checkFile } = require('./files-common')

const next = fileNames()

async function chunk(n) {
  await new Promise((resolve, reject) => {
    let issued = 0
    let done = 0
    function issue() {
      issued++
      fs.readFile(next(), (err, buf) => {
        if (err) return reject(err)
        try {
          checkFile(buf)
        } catch (e) {
          return reject(e)
        }
        if (++done === n) resolve()
        else if (issued < n) issue()
      })
    }
    for (let i = 0; i < args.qd && issued < n; i++) issue()
  })
}

measure(chunk, { chunk: 1024 }).catch((e) => {
  console.error(e)
  process.exit(1)
})
