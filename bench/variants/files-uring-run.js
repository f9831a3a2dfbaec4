'use strict'
// Workload 3, uring Promise API: `qd` async loops, each awaiting ring.runLinked() of its own
// chain openat(into a pinned direct slot) -> read(fixed file, registered buffer) -> close(slot),
// re-armed with the next file name: the C chain, one promise per file.
const { args, measure, requireDriver, skip } = require('./common')
const { fileNames } = require('./files-common')

const uring = requireDriver()
const AT_FDCWD = -100
const qd = args.qd
const ring = new uring.Ring({ entries: 256 })
let slots
try {
  ring.registrar.reserveFiles(qd)
  slots = ring.registrar.directSlots(qd)
} catch (e) {
  skip(`pinned direct slots: ${e.code ?? e.message}`)
}
const bufs = ring.registrar.registerBuffers(new Array(qd).fill(65536))
const names = fileNames()
// Hard links: the read returns less than it asked (the file is smaller than the buffer), and a
// short read would cancel the close on a soft link.
const HARD = { hard: true }
const chains = slots.map((slot, i) => [
  uring.op.openat(AT_FDCWD, '.', 0, 0, { direct: slot }),
  uring.op.read(slot, bufs[i], 0),
  uring.op.close(slot),
])

async function chunk(n) {
  let left = n
  async function worker(chain) {
    while (left-- > 0) {
      chain[0].path = names()
      const res = await ring.runLinked(chain, HARD)
      if (res[1] !== args.size) throw new Error(`read returned ${res[1]}, expected ${args.size}`)
    }
  }
  await Promise.all(chains.map(worker))
}

measure(chunk, { chunk: 1024, extra: () => ({ stats: ring.stats }) })
  .then(() => ring.close())
  .catch((e) => {
    console.error(e)
    process.exit(1)
  })
