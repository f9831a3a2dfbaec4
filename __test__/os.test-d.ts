/**
 * Type tests of `uring/os`, checked by `tsc --noEmit -p tsconfig.json` (excluded from the build,
 * never run). Each `@ts-expect-error` line must NOT compile: if the types ever accept it, tsc
 * reports the directive as unused and the type check fails.
 */
import * as os from '../lib/os'
import { os as osFromRoot, BufferGroup, RegisteredFd, Ring, StatxResult } from '../index'
import type { AcceptResult } from '../index'

export async function osTypeTests(): Promise<void> {
  const ring: Ring = os.ring()
  const same: typeof os.read = osFromRoot.read
  const [buf] = ring.registrar.registerBuffers([4096])
  const [file] = ring.registrar.registerFiles([3])
  const group: BufferGroup = ring.registrar.bufferGroup({ count: 4, size: 4096 })
  const b = Buffer.alloc(16)
  const signal = new AbortController().signal

  // ---- compiles: the results, handles, positions, options, flag strings ----------------------

  const n: number = await os.read(3, b)
  const n2: number = await os.read(file, buf.slice(0, 8), 0n, { signal })
  const n3: number = await os.write(3, new Uint8Array(4), null, { bufferOffset: 1, length: 2, rwFlags: 0 })
  const n4: number = await os.readv(3, [b, new Uint16Array(2)], -1, { signal })
  const n5: number = await os.writev(file, [buf.slice(0, 4), buf.slice(8, 4)], 0)
  const fd: number = await os.open('/tmp/x', 'w+', 0o600)
  const fd2: number = await os.openat(os.AT_FDCWD, Buffer.from('x'), os.AT_FDCWD, undefined, { resolve: ['beneath'] })
  const direct: RegisteredFd = await os.open('/tmp/x', 'r', undefined, { direct: true })
  const either: number | RegisteredFd = await os.open('/tmp/x', 0, 0, { direct: Math.random() > 0.5 })
  const st: StatxResult = await os.statx('/tmp', { flags: ['symlinkNoFollow'], mask: 0x7ff })
  const st2: StatxResult = await os.statx(fd, { signal })
  const nothing: void = await os.close(direct)
  await os.fsync(file)
  await os.fdatasync(3)
  await os.fallocate(3, ['keepSize', 'punchHole'], 0, 4096n)
  await os.ftruncate(3, 10n)
  await os.renameat(3, 'a', os.AT_FDCWD, 'b', ['noReplace'])
  await os.rename('a', 'b')
  await os.unlinkat(3, 'd', { removeDir: true })
  await os.unlink('a')
  await os.rmdir('d')
  await os.mkdirat(3, 'd', 0o700)
  await os.mkdir('d')
  await os.symlinkat('t', 3, 'l')
  await os.symlink('t', 'l')
  await os.linkat(3, '', os.AT_FDCWD, 'b', ['emptyPath'])
  await os.link('a', 'b')
  const moved: number = await os.splice(3, -1, 4, 0n, 100, ['move'])
  const sock: number = await os.socket(os.AF_INET6, os.SOCK_STREAM | os.SOCK_CLOEXEC)
  const dsock: RegisteredFd = await os.socket(os.AF_INET, os.SOCK_DGRAM, 0, { direct: true })
  await os.bind(sock, { family: 'ipv6', address: '::1', port: 0 })
  await os.listen(sock)
  const conn: AcceptResult = await os.accept(sock, { flags: os.SOCK_NONBLOCK })
  await os.connect(dsock, { family: 'unix', path: '/tmp/s' })
  const sent: number = await os.send(conn.fd, b, 0, { length: 4, to: { family: 'ipv4', address: '127.0.0.1', port: 1 } })
  const got: number = await os.recv(conn.fd, b, 0, { length: 4 })
  await os.shutdown(conn.fd, 'both')
  const slept: void = await os.sleep(10, { signal })
  void [same, n, n2, n3, n4, n5, fd2, either, st, st2, nothing, moved, sent, got, slept]

  // ---- must not compile -----------------------------------------------------------------------

  // @ts-expect-error a direct open resolves with a RegisteredFd, not a number
  const notNumber: number = await os.open('/tmp/x', 'r', undefined, { direct: true })
  // @ts-expect-error a plain open resolves with a number, not a RegisteredFd
  const notHandle: RegisteredFd = await os.open('/tmp/x')
  // @ts-expect-error an fd is a number or a RegisteredFd, not a string
  os.read('3', b)
  // @ts-expect-error read takes no BufferGroup (its buffer id would be lost): use ring.run(op.read())
  os.read(3, group)
  // @ts-expect-error the buffer is bytes, not a string
  os.write(3, 'text')
  // @ts-expect-error the position is a number, bigint or null
  os.read(3, b, '0')
  // @ts-expect-error not an option of read
  os.read(3, b, 0, { offset: 1 })
  // @ts-expect-error signal is an AbortSignal
  os.read(3, b, 0, { signal: true })
  // @ts-expect-error not a node:fs flag string
  os.open('/tmp/x', 'rw')
  // @ts-expect-error a path is a string or bytes
  os.open(3)
  // @ts-expect-error path-based calls take a process dirfd, not a RegisteredFd
  os.openat(file, 'x')
  // @ts-expect-error resolve takes RESOLVE_* names
  os.open('/tmp/x', 'r', undefined, { resolve: ['nope'] })
  // @ts-expect-error statx takes a path or a process fd, not a RegisteredFd
  os.statx(file)
  // @ts-expect-error not a statx flag
  os.statx('/tmp', { flags: ['follow'] })
  // @ts-expect-error not a FALLOC_FL_* name
  os.fallocate(3, ['grow'], 0, 1)
  // @ts-expect-error not a RENAME_* name
  os.rename('a', 'b', { flags: ['noReplace'] })
  // @ts-expect-error unlinkat's options are an object
  os.unlinkat(3, 'x', true)
  // @ts-expect-error an address object, not a string
  os.connect(3, '127.0.0.1:80')
  // @ts-expect-error not an address family
  os.bind(3, { family: 'inet', address: '127.0.0.1', port: 0 })
  // @ts-expect-error shutdown takes 'read', 'write' or 'both'
  os.shutdown(3, 1)
  // @ts-expect-error send takes bytes
  os.send(3, 'hello')
  // @ts-expect-error recv takes no registered buffer
  os.recv(3, buf)
  // @ts-expect-error sleep takes milliseconds
  os.sleep('10')
  // @ts-expect-error sleep resolves with nothing
  const notSlept: number = await os.sleep(1)
  // @ts-expect-error accept takes no direct option (its AcceptResult has a plain fd)
  os.accept(3, { direct: true })
  void [notNumber, notHandle, notSlept]
}
