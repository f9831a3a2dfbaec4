/**
 * `uring/os` end to end: every call runs on this thread's default ring against real files,
 * directories, FIFOs and sockets, and each test checks what the kernel did (bytes in files and on
 * the wire, file offsets, stat fields against node:fs, directory entries), the Node-style errors,
 * that bad arguments reject with codes (never throw), and the default ring itself: one per thread,
 * made lazily, holding the process only while ops are in flight.
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as path from 'node:path'
import { constants as osc } from 'node:os'
import { spawnSync } from 'node:child_process'
import { Worker } from 'node:worker_threads'
import * as os from '../lib/os'
import { Ring } from '../lib/ring'
import { RegisteredFd } from '../lib/registrar'
import { fifo, hasOp, isCloexec, pattern, processFdsOn, tempDir, testWhen, tmpFile, closeLater } from './_helpers'

const E = osc.errno
const TYPE = 'ERR_INVALID_ARG_TYPE'
const VALUE = 'ERR_INVALID_ARG_VALUE'
const RANGE = 'ERR_OUT_OF_RANGE'
const MSG_WAITALL = 0x100
const osLib = path.join(__dirname, '..', 'lib', 'os.js')

const pathTest = testWhen(hasOp('renameat') && hasOp('unlinkat') && hasOp('mkdirat') && hasOp('symlinkat') && hasOp('linkat'), 'IORING_OP_MKDIRAT/SYMLINKAT/LINKAT', '5.15')
const ftruncateTest = testWhen(hasOp('ftruncate'), 'IORING_OP_FTRUNCATE', '6.9')
const socketTest = testWhen(hasOp('socket'), 'IORING_OP_SOCKET', '5.19')
const bindTest = testWhen(hasOp('socket') && hasOp('bind') && hasOp('listen'), 'IORING_OP_BIND/LISTEN', '6.11')

/** An error with Node's system-error fields. */
type SysErr = Error & { code?: string; errno?: number; syscall?: string; path?: string; dest?: string }

/**
 * `call()` returns a promise (it does not throw) that rejects with an error whose `code` is
 * `code`; the error.
 */
async function rejects(t: ExecutionContext, call: () => Promise<unknown>, code: string, what: string): Promise<SysErr> {
  let p: Promise<unknown>
  try {
    p = call()
  } catch (e) {
    t.fail(`${what}: threw synchronously (${String(e)}) instead of rejecting`)
    return e as SysErr
  }
  t.true(p instanceof Promise, `${what}: returns a promise`)
  try {
    await p
  } catch (e) {
    const err = e as SysErr
    t.true(err instanceof Error, `${what}: rejects with an Error`)
    t.is(err.code, code, `${what}: code (${err.message})`)
    return err
  }
  t.fail(`${what}: resolved`)
  return new Error('resolved')
}

/** Closes process fd `fd` when the test ends unless the test did (and the number is still that file). */
/** Opens with os.open and closes at teardown. */
async function osOpen(t: ExecutionContext, file: string, flags: os.OpenFlags, mode?: number): Promise<number> {
  return closeLater(t, await os.open(file, flags, mode))
}

// ---- read / write ------------------------------------------------------------------------------

test('write puts the bytes in the file; read gets them back, at positions and within the buffer', async (t) => {
  const file = path.join(tempDir(t), 'f')
  const fd = await osOpen(t, file, 'w+')
  const data = pattern(10000, 1)
  t.is(await os.write(fd, data, 0), 10000)
  t.deepEqual(fs.readFileSync(file), data, 'node:fs sees the bytes os.write wrote')
  // A slice of a buffer, at a position past the end: a hole of zeros before it.
  t.is(await os.write(fd, data, 20000, { bufferOffset: 100, length: 50 }), 50)
  const disk = fs.readFileSync(file)
  t.is(disk.length, 20050)
  t.deepEqual(disk.subarray(20000), data.subarray(100, 150))
  t.true(disk.subarray(10000, 20000).every((b) => b === 0))

  const buf = Buffer.alloc(300, 0xee)
  t.is(await os.read(fd, buf, 5000, { bufferOffset: 10, length: 200 }), 200)
  t.deepEqual(buf.subarray(10, 210), data.subarray(5000, 5200))
  t.true(buf.subarray(0, 10).every((b) => b === 0xee) && buf.subarray(210).every((b) => b === 0xee), 'bytes outside the range untouched')
  t.is(await os.read(fd, buf, 20000), 50, 'a short read at the end of the file')
  t.is(await os.read(fd, buf, 30000), 0, 'past the end: 0')
  // bigint positions and typed arrays other than Buffer.
  const u16 = new Uint16Array(4)
  t.is(await os.read(fd, u16, 2n), 8)
  t.deepEqual(Buffer.from(u16.buffer), data.subarray(2, 10))
})

test('position -1 (or null) reads and writes at the current offset and moves it; positional calls leave it', async (t) => {
  const file = path.join(tempDir(t), 'f')
  const fd = await osOpen(t, file, 'w+')
  t.is(await os.write(fd, Buffer.from('abc')), 3, 'default position: -1')
  t.is(await os.write(fd, Buffer.from('def'), -1), 3)
  t.is(await os.write(fd, Buffer.from('XY'), 10), 2, 'positional write at 10')
  t.is(await os.write(fd, Buffer.from('ghi'), null), 3, 'current offset was still 6')
  t.deepEqual(fs.readFileSync(file), Buffer.from('abcdefghi\0XY'))

  const rd = await osOpen(t, file, 'r')
  const b = Buffer.alloc(3)
  t.is(await os.read(rd, b), 3)
  t.is(b.toString(), 'abc')
  t.is(await os.read(rd, b, 6), 3, 'positional read')
  t.is(b.toString(), 'ghi')
  t.is(await os.read(rd, b, -1), 3)
  t.is(b.toString(), 'def', 'the positional read did not move the offset')
  t.is(await os.read(rd, b, null), 3)
  t.is(b.toString(), 'ghi')
  // node:fs reading at the current position sees the offset os.read left.
  const n = Buffer.alloc(8)
  t.is(fs.readSync(rd, n, 0, 8, null), 3)
  t.is(n.subarray(0, 3).toString('latin1'), '\0XY')
})

test('writev gathers, readv scatters, positional and at the current offset', async (t) => {
  const file = path.join(tempDir(t), 'f')
  const fd = await osOpen(t, file, 'w+')
  const parts = [pattern(100, 1), pattern(7, 2), pattern(4096, 3)]
  t.is(await os.writev(fd, parts, 0), 4203)
  t.deepEqual(fs.readFileSync(file), Buffer.concat(parts))
  t.is(await os.writev(fd, [Buffer.from('xy'), Buffer.from('z')]), 3, 'at the current offset (0: the positional writev left it)')
  t.is(fs.readFileSync(file).subarray(0, 3).toString(), 'xyz')

  const a = Buffer.alloc(10)
  const b = Buffer.alloc(20)
  t.is(await os.readv(fd, [a, b], 100), 30)
  t.deepEqual(Buffer.concat([a, b]), Buffer.concat(parts).subarray(100, 130))
  const c = Buffer.alloc(4)
  t.is(await os.readv(fd, [c], -1), 4, 'at the current offset (3)')
  t.deepEqual(c, Buffer.concat(parts).subarray(3, 7))
  t.is(await os.readv(fd, [c], 1_000_000), 0, 'past the end')
})

// ---- open / close ------------------------------------------------------------------------------

test('open: node:fs flag strings mean what they mean to fs.open (with O_CLOEXEC); numbers are the bits as given', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'f')
  const w = await osOpen(t, file, 'w', 0o640)
  t.is(fs.statSync(file).mode & 0o777, 0o640 & ~currentUmask(), "'w' creates with the mode, less the umask")
  t.true(isCloexec(w), 'string flags: O_CLOEXEC, as node:fs')
  await os.write(w, Buffer.from('hello'))
  await os.close(w)
  const a = await osOpen(t, file, 'a')
  await os.write(a, Buffer.from(' world'), -1)
  t.is(fs.readFileSync(file, 'utf8'), 'hello world', "'a' appends")
  await rejects(t, () => os.open(file, 'wx'), 'EEXIST', "'wx' on an existing file")
  const rw = await osOpen(t, file, 'r+')
  await os.write(rw, Buffer.from('J'), 0)
  t.is(fs.readFileSync(file, 'utf8'), 'Jello world', "'r+' writes in place")
  const tr = await osOpen(t, file, 'w+')
  t.is(fs.statSync(file).size, 0, "'w+' truncates")
  t.is(await os.write(tr, Buffer.from('x')), 1)

  const fsc = fs.constants
  const num = await osOpen(t, path.join(dir, 'g'), fsc.O_CREAT | fsc.O_WRONLY, 0o600)
  t.false(isCloexec(num), 'numeric flags: exactly the bits given')
  t.true(fs.existsSync(path.join(dir, 'g')))
  const ro = closeLater(t, await os.open(file))
  await rejects(t, () => os.write(ro, Buffer.from('no')), 'EBADF', 'default flags: read-only')

  // openat relative to a directory fd, and with RESOLVE_* (openat2).
  const dfd = closeLater(t, fs.openSync(dir, 'r'))
  const rel = await os.openat(dfd, 'f')
  closeLater(t, rel)
  const b = Buffer.alloc(1)
  await os.read(rel, b, 0)
  t.is(b.toString(), 'x')
  fs.symlinkSync(file, path.join(dir, 'link'))
  await rejects(t, () => os.openat(dfd, 'link', 'r', undefined, { resolve: ['noSymlinks'] }), 'ELOOP', "resolve: ['noSymlinks'] refuses a symlink")
  const viaResolve = closeLater(t, await os.openat(dfd, 'h', 'w', undefined, { resolve: ['beneath'] }))
  t.true(fs.existsSync(path.join(dir, 'h')), 'openat2 with O_CREAT made the file')
  await os.close(viaResolve)
  await rejects(t, () => os.openat(dfd, '../etc', 'r', undefined, { resolve: ['beneath'] }), 'EXDEV', "resolve: ['beneath'] refuses '..'")
})

function currentUmask(): number {
  // Reading the umask without changing it (process.umask() with no argument is deprecated).
  const m = /^Umask:\s*([0-7]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))
  return m ? parseInt(m[1], 8) : 0o022
}

test('close closes the fd: the process has it no more', async (t) => {
  const file = tmpFile(t, 'abc')
  const fd = await os.open(file)
  t.deepEqual(processFdsOn(file), [fd])
  t.is(await os.close(fd), undefined)
  t.deepEqual(processFdsOn(file), [], 'no fd of this process is open on the file')
  await rejects(t, () => os.close(closedFdNumber()), 'EBADF', 'close of an fd that is not open')
})

// ---- statx -------------------------------------------------------------------------------------

test('statx of a path and of an fd: the fields node:fs reports', async (t) => {
  const file = tmpFile(t, pattern(12345))
  fs.chmodSync(file, 0o604)
  const st = fs.statSync(file, { bigint: true })
  const fd = await osOpen(t, file, 'r')
  for (const [what, s] of [['path', await os.statx(file)], ['fd', await os.statx(fd)]] as const) {
    t.is(s.size, 12345, what)
    t.is(s.mode, Number(st.mode), `${what}: mode`)
    t.true(s.isFile(), what)
    t.is(s.nlink, 1, what)
    t.is(s.inoBig, st.ino, `${what}: ino`)
    t.is(s.uid, Number(st.uid), what)
    t.is(s.mtimeNs, st.mtimeNs, `${what}: mtime`)
    t.is(s.dev, Number(st.dev), `${what}: dev`)
  }
  // A write moves mtime; statx sees what node:fs sees.
  const before = (await os.statx(file)).mtimeNs
  const wfd = await osOpen(t, file, 'r+')
  await new Promise((r) => setTimeout(r, 15))
  await os.write(wfd, Buffer.from('z'), 0)
  const after = await os.statx(file)
  t.is(after.mtimeNs, fs.statSync(file, { bigint: true }).mtimeNs)
  t.true(after.mtimeNs >= before)

  const dir = tempDir(t)
  t.true((await os.statx(dir)).isDirectory())
  fs.symlinkSync(file, path.join(dir, 'l'))
  t.true((await os.statx(path.join(dir, 'l'))).isFile(), 'follows symlinks by default')
  t.true((await os.statx(path.join(dir, 'l'), { flags: ['symlinkNoFollow'] })).isSymbolicLink(), 'symlinkNoFollow: lstat')
  const dfd = closeLater(t, fs.openSync(dir, 'r'))
  t.is((await os.statx('l', { dirfd: dfd })).size, 12345, 'relative to options.dirfd')
})

// ---- sync and space ----------------------------------------------------------------------------

test('fsync and fdatasync resolve on a real file (and refuse a pipe)', async (t) => {
  const file = path.join(tempDir(t), 'f')
  const fd = await osOpen(t, file, 'w+')
  await os.write(fd, pattern(65536))
  t.is(await os.fsync(fd), undefined)
  await os.write(fd, pattern(10, 2), 0)
  t.is(await os.fdatasync(fd), undefined)
  const disk = fs.readFileSync(file)
  t.is(disk.length, 65536)
  t.deepEqual(disk.subarray(0, 10), pattern(10, 2))
  const e = await rejects(t, () => os.fsync(fifo(t)), 'EINVAL', 'fsync of a FIFO')
  t.is(e.syscall, 'fsync')
})

test('fallocate grows the file and punches holes; ftruncate sets the size', async (t) => {
  const file = path.join(tempDir(t), 'f')
  const fd = await osOpen(t, file, 'w+')
  await os.fallocate(fd, 0, 0, 1 << 20)
  const st = fs.statSync(file)
  t.is(st.size, 1 << 20, 'mode 0: the file grows')
  t.true(st.blocks * 512 >= 1 << 20, 'and the space is allocated')
  await os.write(fd, Buffer.alloc(8192, 0xab), 0)
  try {
    await os.fallocate(fd, ['keepSize', 'punchHole'], 0, 4096)
    const disk = fs.readFileSync(file)
    t.is(disk.length, 1 << 20, 'keepSize: the size stays')
    t.true(disk.subarray(0, 4096).every((b) => b === 0), 'the hole reads as zeros')
    t.true(disk.subarray(4096, 8192).every((b) => b === 0xab), 'past the hole: the data')
  } catch (e) {
    if ((e as SysErr).code !== 'EOPNOTSUPP') throw e
    t.log(`punchHole: not supported by the file system of ${file}`)
  }
  await rejects(t, () => os.fallocate(fd, 0, 0, 0), RANGE, 'length 0')
})

ftruncateTest('ftruncate: the file becomes that long, keeping the prefix', async (t) => {
  const file = tmpFile(t, 'hello world')
  const fd = await osOpen(t, file, 'r+')
  await os.ftruncate(fd, 5)
  t.is(fs.readFileSync(file, 'utf8'), 'hello')
  await os.ftruncate(fd, 100n)
  t.is(fs.statSync(file).size, 100)
  await os.ftruncate(fd)
  t.is(fs.statSync(file).size, 0, 'default length 0')
  const ro = await osOpen(t, file, 'r')
  await rejects(t, () => os.ftruncate(ro, 1), 'EINVAL', 'a read-only fd')
})

// ---- paths -------------------------------------------------------------------------------------

pathTest('rename and renameat move files; noReplace refuses to overwrite', async (t) => {
  const dir = tempDir(t)
  const a = path.join(dir, 'a')
  fs.writeFileSync(a, 'A')
  await os.rename(a, path.join(dir, 'b'))
  t.false(fs.existsSync(a))
  t.is(fs.readFileSync(path.join(dir, 'b'), 'utf8'), 'A')
  fs.mkdirSync(path.join(dir, 'sub'))
  const dfd = closeLater(t, fs.openSync(dir, 'r'))
  const sfd = closeLater(t, fs.openSync(path.join(dir, 'sub'), 'r'))
  await os.renameat(dfd, 'b', sfd, 'c')
  t.is(fs.readFileSync(path.join(dir, 'sub', 'c'), 'utf8'), 'A', 'relative to two directory fds')
  fs.writeFileSync(path.join(dir, 'd'), 'D')
  const e = await rejects(t, () => os.renameat(sfd, 'c', dfd, 'd', ['noReplace']), 'EEXIST', 'noReplace onto an existing file')
  t.is(e.path, 'c')
  t.is(e.dest, 'd')
  t.is(fs.readFileSync(path.join(dir, 'd'), 'utf8'), 'D', 'not replaced')
})

pathTest('mkdir, mkdirat, unlink, unlinkat and rmdir change the directory as node:fs sees it', async (t) => {
  const dir = tempDir(t)
  await os.mkdir(path.join(dir, 'm'), 0o700)
  const st = fs.statSync(path.join(dir, 'm'))
  t.true(st.isDirectory())
  t.is(st.mode & 0o777, 0o700)
  const dfd = closeLater(t, fs.openSync(dir, 'r'))
  await os.mkdirat(dfd, 'n')
  t.true(fs.statSync(path.join(dir, 'n')).isDirectory())
  fs.writeFileSync(path.join(dir, 'm', 'f'), '')
  const e = await rejects(t, () => os.rmdir(path.join(dir, 'm')), 'ENOTEMPTY', 'rmdir of a non-empty directory')
  t.is(e.path, path.join(dir, 'm'))
  await os.unlink(path.join(dir, 'm', 'f'))
  t.false(fs.existsSync(path.join(dir, 'm', 'f')))
  await os.rmdir(path.join(dir, 'm'))
  t.false(fs.existsSync(path.join(dir, 'm')))
  await rejects(t, () => os.unlinkat(dfd, 'n'), 'EISDIR', 'unlinkat of a directory without removeDir')
  await os.unlinkat(dfd, 'n', { removeDir: true })
  t.false(fs.existsSync(path.join(dir, 'n')))
  const ee = await rejects(t, () => os.mkdir(dir), 'EEXIST', 'mkdir of an existing directory')
  t.is(ee.path, dir)
  t.is(ee.syscall, 'mkdirat')
  t.deepEqual(fs.readdirSync(dir), [])
})

pathTest('symlink and symlinkat make links node:fs reads back', async (t) => {
  const dir = tempDir(t)
  const target = tmpFile(t, 'T')
  await os.symlink(target, path.join(dir, 's'))
  t.is(fs.readlinkSync(path.join(dir, 's')), target)
  t.is(fs.readFileSync(path.join(dir, 's'), 'utf8'), 'T')
  const dfd = closeLater(t, fs.openSync(dir, 'r'))
  await os.symlinkat('dangling', dfd, 'r')
  t.is(fs.readlinkSync(path.join(dir, 'r')), 'dangling')
  const e = await rejects(t, () => os.symlink('x', path.join(dir, 's')), 'EEXIST', 'symlink onto an existing name')
  t.is(e.path, 'x')
  t.is(e.dest, path.join(dir, 's'))
})

pathTest('link and linkat: a second name of the same inode (nlink 2), sharing the bytes', async (t) => {
  const dir = tempDir(t)
  const a = path.join(dir, 'a')
  fs.writeFileSync(a, 'one')
  await os.link(a, path.join(dir, 'b'))
  const [sa, sb] = [await os.statx(a), await os.statx(path.join(dir, 'b'))]
  t.is(sa.nlink, 2)
  t.is(sb.nlink, 2)
  t.is(sa.inoBig, sb.inoBig, 'the same inode')
  const fd = await osOpen(t, path.join(dir, 'b'), 'r+')
  await os.write(fd, Buffer.from('two'), 0)
  t.is(fs.readFileSync(a, 'utf8'), 'two', 'a write through one name shows through the other')
  const dfd = closeLater(t, fs.openSync(dir, 'r'))
  await os.linkat(dfd, 'a', dfd, 'c')
  t.is((await os.statx(a)).nlink, 3)
  const e = await rejects(t, () => os.link(path.join(dir, 'missing'), path.join(dir, 'd')), 'ENOENT', 'link of a missing file')
  t.is(e.path, path.join(dir, 'missing'))
  t.is(e.dest, path.join(dir, 'd'))
})

// ---- splice ------------------------------------------------------------------------------------

test('splice moves bytes file -> pipe -> file', async (t) => {
  const src = tmpFile(t, pattern(5000, 4))
  const dst = path.join(tempDir(t), 'out')
  const inFd = await osOpen(t, src, 'r')
  const outFd = await osOpen(t, dst, 'w')
  const pipe = fifo(t)
  t.is(await os.splice(inFd, 1000, pipe, -1, 3000), 3000)
  t.is(await os.splice(pipe, -1, outFd, 0, 3000), 3000)
  t.deepEqual(fs.readFileSync(dst), pattern(5000, 4).subarray(1000, 4000))
})

// ---- sockets -----------------------------------------------------------------------------------

/** The local port of an inet socket, found by the inode `os.statx(fd)` reports in /proc/self/net/tcp. */
async function localPort(fd: number): Promise<number> {
  const s = await os.statx(fd)
  if (!s.isSocket()) throw new Error(`fd ${fd} is not a socket`)
  for (const line of fs.readFileSync('/proc/self/net/tcp', 'utf8').split('\n').slice(1)) {
    const c = line.trim().split(/\s+/)
    if (c[9] === String(s.ino)) return parseInt(c[1].split(':')[1], 16)
  }
  throw new Error(`socket inode ${s.ino} is not in /proc/self/net/tcp`)
}

bindTest('TCP on loopback: socket, bind, listen, accept, connect, send, recv, shutdown; bytes both ways', async (t) => {
  const lfd = closeLater(t, await os.socket(os.AF_INET, os.SOCK_STREAM | os.SOCK_CLOEXEC))
  await os.bind(lfd, { family: 'ipv4', address: '127.0.0.1', port: 0 })
  await os.listen(lfd, 8)
  const port = await localPort(lfd)
  t.true(port > 0)

  const cfd = closeLater(t, await os.socket(os.AF_INET, os.SOCK_STREAM))
  const [conn] = await Promise.all([os.accept(lfd), os.connect(cfd, { family: 'ipv4', address: '127.0.0.1', port })])
  const sfd = closeLater(t, conn.fd)
  t.deepEqual(conn.address, { family: 'ipv4', address: '127.0.0.1', port: await localPort(cfd) }, "accept gives the client's address")

  const ping = pattern(3000, 5)
  t.is(await os.send(cfd, ping), 3000)
  const got = Buffer.alloc(3000)
  let n = 0
  while (n < 3000) n += await os.recv(sfd, got.subarray(n))
  t.deepEqual(got, ping, 'client -> server')

  const pong = Buffer.from('pong!')
  t.is(await os.send(sfd, pong, 0, { bufferOffset: 1, length: 3 }), 3)
  const back = Buffer.alloc(16)
  t.is(await os.recv(cfd, back, MSG_WAITALL, { length: 3 }), 3)
  t.is(back.subarray(0, 3).toString(), 'ong', 'server -> client')

  await os.shutdown(cfd, 'write')
  t.is(await os.recv(sfd, back), 0, 'the peer shut down writing: recv 0')
  await os.close(cfd)
  await os.close(sfd)
  await os.close(lfd)
  const e = await rejects(t, () => os.send(closedFdNumber(), pong), 'EBADF', 'send on an fd that is not open')
  t.is(e.syscall, 'send')
})

socketTest('an os client talks to a node:net server: connect, send, recv, shutdown', async (t) => {
  const received: Buffer[] = []
  const server = net.createServer((s) => {
    s.on('data', (d) => received.push(d))
    s.on('end', () => s.end('bye'))
    s.write('hi')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const port = (server.address() as net.AddressInfo).port
  const fd = closeLater(t, await os.socket(os.AF_INET, os.SOCK_STREAM))
  await os.connect(fd, { family: 'ipv4', address: '127.0.0.1', port })
  const b = Buffer.alloc(2)
  t.is(await os.recv(fd, b, MSG_WAITALL), 2)
  t.is(b.toString(), 'hi')
  t.is(await os.send(fd, Buffer.from('hello server')), 12)
  await os.shutdown(fd, 'write')
  const bye = Buffer.alloc(8)
  let n = 0
  for (;;) {
    const k = await os.recv(fd, bye.subarray(n))
    if (k === 0) break
    n += k
  }
  t.is(bye.subarray(0, n).toString(), 'bye')
  t.is(Buffer.concat(received).toString(), 'hello server', 'the server got the bytes')
  await rejects(t, () => os.connect(fd, { family: 'ipv4', address: '127.0.0.1', port }), 'EISCONN', 'connect twice')
})

// ---- sleep and abort ---------------------------------------------------------------------------

test('sleep(ms) waits at least ms and resolves with nothing', async (t) => {
  const t0 = process.hrtime.bigint()
  t.is(await os.sleep(60), undefined)
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  t.true(ms >= 60, `waited ${ms} ms`)
  t.is(await os.sleep(0), undefined)
})

test('an aborted signal rejects with AbortError: sleep and a blocked read, in flight and before', async (t) => {
  const ac = new AbortController()
  const p = os.sleep(60_000, { signal: ac.signal })
  setTimeout(() => ac.abort(new Error('stop')), 20)
  const e = await rejects(t, () => p, 'ABORT_ERR', 'a sleep aborted in flight')
  t.is(e.name, 'AbortError')
  t.is((e.cause as Error).message, 'stop')

  const fd = fifo(t)
  const rc = new AbortController()
  const read = os.read(fd, Buffer.alloc(8), -1, { signal: rc.signal })
  setTimeout(() => rc.abort(), 20)
  t.is((await rejects(t, () => read, 'ABORT_ERR', 'a read of an empty FIFO aborted')).name, 'AbortError')

  await rejects(t, () => os.sleep(10, { signal: AbortSignal.abort() }), 'ABORT_ERR', 'already aborted: never queued')
  // After the aborted read, the FIFO still works: the read did not consume anything.
  fs.writeSync(fd, 'data')
  const b = Buffer.alloc(4)
  t.is(await os.read(fd, b, -1), 4)
  t.is(b.toString(), 'data')
})

// ---- errors ------------------------------------------------------------------------------------

test('kernel failures reject with Node-style errors: code, negative errno, syscall, path', async (t) => {
  const dir = tempDir(t)
  const missing = path.join(dir, 'missing')
  const e = await rejects(t, () => os.open(missing), 'ENOENT', 'open of a missing path')
  t.is(e.errno, -E.ENOENT)
  t.is(e.syscall, 'openat')
  t.is(e.path, missing)
  t.true(e.message.includes(missing))
  const s = await rejects(t, () => os.statx(missing), 'ENOENT', 'statx of a missing path')
  t.is(s.path, missing)
  const f = await rejects(t, () => os.statx(closedFdNumber()), 'EBADF', 'statx of a closed fd')
  t.is(f.path, undefined, 'an fd has no path')
  const x = await rejects(t, () => os.open(dir, 'w'), 'EISDIR', 'open a directory for writing')
  t.is(x.errno, -E.EISDIR)
  const r = await rejects(t, () => os.read(closedFdNumber(), Buffer.alloc(1)), 'EBADF', 'read of a closed fd')
  t.is(r.syscall, 'read')
  t.is(r.errno, -E.EBADF)
  const rn = await rejects(t, () => os.rename(missing, path.join(dir, 'b')), 'ENOENT', 'rename of a missing file')
  t.is(rn.path, missing)
  t.is(rn.dest, path.join(dir, 'b'))
  t.is(rn.syscall, 'renameat')
})

function closedFdNumber(): number {
  // Far above anything the tests open, so no concurrent test owns it.
  return 1 << 20
}

test('bad arguments reject with codes and never throw', async (t) => {
  const file = tmpFile(t, 'abc')
  const fd = closeLater(t, fs.openSync(file, 'r'))
  const buf = Buffer.alloc(4)
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    ['read: fd a string', () => os.read('3' as unknown as number, buf), TYPE],
    ['read: fd negative', () => os.read(-1, buf), RANGE],
    ['read: buffer a string', () => os.read(fd, 'abc' as unknown as Buffer), TYPE],
    ['read: position 1.5', () => os.read(fd, buf, 1.5), RANGE],
    ['read: position -2', () => os.read(fd, buf, -2), RANGE],
    ['read: length past the buffer', () => os.read(fd, buf, 0, { length: 5 }), RANGE],
    ['read: bufferOffset a string', () => os.read(fd, buf, 0, { bufferOffset: '1' as unknown as number }), TYPE],
    ['read: unknown option', () => os.read(fd, buf, 0, { bogus: 1 } as never), 'ERR_URING_UNKNOWN_OPTION'],
    ['read: options not an object', () => os.read(fd, buf, 0, 5 as never), TYPE],
    ['read: signal not an AbortSignal', () => os.read(fd, buf, 0, { signal: {} as AbortSignal }), TYPE],
    ['write: buffer a number', () => os.write(fd, 5 as unknown as Buffer), TYPE],
    ['readv: buffers not an array', () => os.readv(fd, buf as never), TYPE],
    ['readv: no buffers', () => os.readv(fd, []), RANGE],
    ['open: unknown flag string', () => os.open(file, 'rw' as never), VALUE],
    ['open: empty path', () => os.open(''), VALUE],
    ['open: path with NUL', () => os.open('a\0b'), VALUE],
    ['open: mode too big', () => os.open(file, 'w', 0o10000), RANGE],
    ['openat: dirfd a string', () => os.openat('x' as never, 'f'), TYPE],
    ['statx: target an object', () => os.statx({} as never), TYPE],
    ['statx: unknown flag', () => os.statx(file, { flags: ['nope' as never] }), VALUE],
    ['statx: fd with dirfd', () => os.statx(fd, { dirfd: fd }), VALUE],
    ['close: fd a string', () => os.close('x' as never), TYPE],
    ['fallocate: unknown mode name', () => os.fallocate(fd, ['grow' as never], 0, 1), VALUE],
    ['mkdir: mode a string', () => os.mkdir(path.join(path.dirname(file), 'd'), '755' as never), TYPE],
    ['unlinkat: removeDir a string', () => os.unlinkat(-100, file, { removeDir: 'yes' as never }), TYPE],
    ['splice: len negative', () => os.splice(fd, 0, fd, -1, -1), RANGE],
    ['socket: domain a string', () => os.socket('inet' as never, os.SOCK_STREAM), TYPE],
    ['bind: a bad address', () => os.bind(fd, { family: 'ipv4', address: 'nope', port: 1 }), VALUE],
    ['connect: port out of range', () => os.connect(fd, { family: 'ipv4', address: '127.0.0.1', port: 70000 }), RANGE],
    ['shutdown: how unknown', () => os.shutdown(fd, 'sideways' as never), VALUE],
    ['send: buffer a string', () => os.send(fd, 'x' as never), TYPE],
    ['recv: flags a string', () => os.recv(fd, buf, 'x' as never), TYPE],
    ['listen: backlog negative', () => os.listen(fd, -1), RANGE],
    ['accept: flags outside SOCK_NONBLOCK|SOCK_CLOEXEC', () => os.accept(fd, { flags: 1 }), VALUE],
    ['sleep: negative', () => os.sleep(-1), RANGE],
    ['sleep: NaN', () => os.sleep(NaN), RANGE],
    ['sleep: unknown option', () => os.sleep(1, { delay: 1 } as never), 'ERR_URING_UNKNOWN_OPTION'],
  ]
  for (const [what, call, code] of cases) await rejects(t, call, code, what)
  // The ring still works after all that.
  t.is(await os.read(fd, buf, 0), 3)
})

// ---- the default ring --------------------------------------------------------------------------

test('os.ring() is one Ring per thread, made once, and the calls run on it', async (t) => {
  const r = os.ring()
  t.true(r instanceof Ring)
  t.is(os.ring(), r, 'the same object on every call')
  t.false(r.closed)
  const before = r.stats.flushes
  const file = tmpFile(t, 'abc')
  const fd = closeLater(t, fs.openSync(file, 'r'))
  await Promise.all([os.read(fd, Buffer.alloc(1), 0), os.read(fd, Buffer.alloc(1), 1), os.statx(file)])
  t.true(r.stats.flushes > before, 'the default ring submitted them')
  t.true(r.params.sqEntries >= 1024, `entries ${r.params.sqEntries}`)
})

test('a worker thread gets its own default ring; closing it makes the next call open a fresh one', async (t) => {
  const file = tmpFile(t, 'worker data')
  const mainFd = os.ring().fd
  const src = `
    const { parentPort, workerData } = require('node:worker_threads')
    const os = require(workerData.lib)
    ;(async () => {
      const r = os.ring()
      const fd = await os.open(workerData.file)
      const b = Buffer.alloc(11)
      const n = await os.read(fd, b, 0)
      await os.close(fd)
      const same = os.ring() === r
      const ringFd = r.fd
      r.close()
      const again = os.ring()
      const fresh = again !== r && !again.closed
      const st = await os.statx(workerData.file)
      parentPort.postMessage({ ringFd, same, n, text: b.toString(), fresh, size: st.size })
    })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }))
  `
  const w = new Worker(src, { eval: true, workerData: { lib: osLib, file } })
  const msg = await new Promise<Record<string, unknown>>((resolve, reject) => {
    w.once('message', resolve)
    w.once('error', reject)
  })
  await w.terminate()
  t.is(msg.error, undefined)
  t.true(msg.same, 'os.ring() is one object within the worker')
  t.not(msg.ringFd, mainFd, "the worker's ring is not the main thread's (another io_uring fd)")
  t.is(msg.n, 11)
  t.is(msg.text, 'worker data')
  t.true(msg.fresh, 'after close, os.ring() makes a new ring')
  t.is(msg.size, 11, 'and calls run on it')
  t.is(os.ring().fd, mainFd, "the main thread's ring is untouched")
})

test.serial('registered buffers and files of os.ring() go to os.read/os.write (READ_FIXED, WRITE_FIXED, fixed files)', async (t) => {
  const r = os.ring()
  const file = tmpFile(t, pattern(8192, 6))
  const fd = closeLater(t, fs.openSync(file, 'r+'))
  const [buf] = r.registrar.registerBuffers([4096])
  t.teardown(() => r.registrar.unregisterBuffers())
  t.is(await os.read(fd, buf.slice(100, 200), 1000), 200)
  t.deepEqual(Buffer.from(buf.bytes.subarray(100, 300)), pattern(8192, 6).subarray(1000, 1200), 'READ_FIXED filled the registered memory')
  buf.bytes.set(Buffer.from('fixed write'), 0)
  t.is(await os.write(fd, buf, 4000, { length: 11 }), 11)
  t.is(fs.readFileSync(file).subarray(4000, 4011).toString(), 'fixed write', 'WRITE_FIXED wrote the registered memory')

  // A file table with room for direct descriptors, and a registered process fd.
  let directOk = hasOp('socket')
  try {
    if (directOk) r.registrar.reserveFiles(8)
  } catch (e) {
    t.log(`reserveFiles: ${String(e)}`)
    directOk = false
  }
  t.teardown(() => r.registrar.unregisterFiles())
  const [fixed] = r.registrar.registerFiles([fd])
  const b = Buffer.alloc(5)
  t.is(await os.read(fixed, b, 0), 5)
  t.deepEqual(b, pattern(8192, 6).subarray(0, 5), 'a RegisteredFd of os.ring() reads the file')
  t.is(await os.read(fixed, buf.slice(0, 8), 8), 8, 'fixed file and fixed buffer together')
  t.deepEqual(Buffer.from(buf.bytes.subarray(0, 8)), pattern(8192, 6).subarray(8, 16))

  // Handles of another ring are refused, not used as slots of this one.
  const other = new Ring({ entries: 4 })
  t.teardown(() => {
    other.close()
  })
  const [foreign] = other.registrar.registerBuffers([64])
  await rejects(t, () => os.read(fd, foreign, 0), 'ERR_URING_STALE_HANDLE', "a RegisteredBuf of another ring")
  t.is(await os.read(fd, b, 0), 5, 'the ring still works')

  if (!directOk) {
    t.log('direct descriptors: skipped (they need Linux 5.19)')
    return
  }
  const direct = await os.open(file, 'r', undefined, { direct: true })
  t.true(direct instanceof RegisteredFd, 'direct: true resolves with a RegisteredFd')
  const d = Buffer.alloc(4)
  t.is(await os.read(direct, d, 100), 4)
  t.deepEqual(d, pattern(8192, 6).subarray(100, 104))
  await os.close(direct)
  await rejects(t, () => os.read(direct, d, 0), 'ERR_URING_STALE_HANDLE', 'a closed direct descriptor')
  const sock = await os.socket(os.AF_INET, os.SOCK_STREAM, 0, { direct: true })
  t.true(sock instanceof RegisteredFd, 'a direct socket is a RegisteredFd too')
  await os.close(sock)
})

test('ops in flight keep the process alive; an idle default ring does not', (t) => {
  const src = `
    const os = require(${JSON.stringify(osLib)})
    const t0 = process.hrtime.bigint()
    os.sleep(200).then(() => {
      console.log('slept', Number(process.hrtime.bigint() - t0) / 1e6 >= 200)
      return os.statx('/')
    }).then((s) => console.log('idle', s.isDirectory()))
  `
  const r = spawnSync(process.execPath, ['-e', src], { encoding: 'utf8', timeout: 20_000 })
  t.is(r.signal, null, 'exited by itself (not killed by the timeout)')
  t.is(r.status, 0, r.stderr)
  t.is(r.stdout, 'slept true\nidle true\n', 'the sleep held the process until it fired')
})
