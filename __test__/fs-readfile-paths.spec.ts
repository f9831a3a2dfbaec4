// uring/fs readFile: the chain's openat takes its path from a lane's own buffer (UTF-8 + NUL,
// PATH_MAX bytes); paths that do not fit go the Node way. Whatever the path, the bytes or the
// error are node:fs/promises' own.
import test from 'ava'
import * as nfs from 'node:fs/promises'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as ufs from '../lib/fs'
import { tempDir } from './_helpers'

async function outcome(p: () => Promise<Buffer>): Promise<string> {
  try {
    const b = await p()
    return `bytes ${b.toString('hex')}`
  } catch (e) {
    const x = e as NodeJS.ErrnoException
    return `${x.code} ${x.syscall} ${x.message}`
  }
}

test('readFile at the PATH_MAX boundary (4095 bytes read, 4096 ENAMETOOLONG), as a string and as a Buffer', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'x.txt')
  fs.writeFileSync(file, 'xx')
  t.true(ufs.backend() === 'io_uring')
  for (const n of [4094, 4095, 4096, 4097]) {
    // Extra slashes make a path of exactly n bytes that names the same file.
    const p = '/'.repeat(n - Buffer.byteLength(file)) + file
    for (const arg of [p, Buffer.from(p)]) {
      const mine = await outcome(() => ufs.readFile(arg))
      t.is(mine, await outcome(() => nfs.readFile(arg)), `${n} bytes, ${typeof arg}`)
      t.is(mine.startsWith('bytes'), n < 4096, `${n} bytes`)
    }
  }
})

test('readFile: non-ASCII names, a Buffer name that is not UTF-8, lone surrogates, a long name', async (t) => {
  const dir = tempDir(t)
  fs.writeFileSync(path.join(dir, 'ファイル-é.txt'), 'héllo')
  const raw = Buffer.concat([Buffer.from(dir + '/raw'), Buffer.from([0xff, 0xfe])])
  fs.writeFileSync(raw, 'raw')
  const cases: Array<string | Buffer> = [
    path.join(dir, 'ファイル-é.txt'),
    raw,
    path.join(dir, '\ud800x'),
    path.join(dir, 'é'.repeat(1300)),
    path.join(dir, 'é'.repeat(100)),
  ]
  for (const p of cases) {
    // Read twice: a lane used before holds its last path's bytes, which must not leak into the next.
    for (let i = 0; i < 2; i++) t.is(await outcome(() => ufs.readFile(p)), await outcome(() => nfs.readFile(p)), String(p).slice(-40))
  }
  t.is((await ufs.readFile(path.join(dir, 'ファイル-é.txt'))).toString(), 'héllo')
  t.is((await ufs.readFile(raw)).toString(), 'raw')
})
