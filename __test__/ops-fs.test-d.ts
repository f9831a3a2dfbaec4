/**
 * Type tests of the fs op family, checked by `tsc --noEmit -p tsconfig.json` (excluded from the
 * build, never run). Each `@ts-expect-error` line must NOT compile: if the library's types ever
 * accept it, tsc reports the directive as unused and the type check fails.
 */
import {
  AT_FDCWD,
  BufferGroup,
  Cqe,
  RegisteredFd,
  Ring,
  StatxResult,
  op,
} from '../index'

export function fsOpTypeTests(): void {
  const ring = new Ring({ entries: 8 })
  const [buf] = ring.registrar.registerBuffers([4096])
  const [file] = ring.registrar.registerFiles([3])
  const group: BufferGroup = ring.registrar.bufferGroup({ count: 4, size: 4096 })
  const cqe = new Cqe()

  // ---- compiles: registered files where the kernel takes them, bigint offsets, names ----------

  op.syncFileRange(file, 0n, 4096, ['waitBefore', 'write', 'waitAfter'])
  op.fallocate(file, ['keepSize', 'punchHole'], 0, 4096n)
  op.fadvise(file, 0, 0, 'willneed')
  op.ftruncate(file, 10n)
  op.madvise(buf.bytes, 'willneed')
  op.fsetxattr(file, 'user.a', 'value', ['create'])
  op.fgetxattr(file, 'user.a', 64)
  op.splice(file, -1, 4, 10n, 100, ['move', 'more'])
  op.tee(file, file, 10)
  op.readMultishot(file, group, { offset: -1 })
  op.openat2(AT_FDCWD, '/tmp', { flags: 0, resolve: ['beneath', 'noSymlinks'], direct: true })
  op.statx(3, '', { flags: ['emptyPath'], mask: 0x7ff })
  op.renameat(AT_FDCWD, 'a', 3, 'b', ['noReplace'])
  op.linkat(3, '', AT_FDCWD, 'b', ['emptyPath'])
  op.unlinkat(AT_FDCWD, 'd', { removeDir: true })
  op.filesUpdate([3, -1], 0)
  op.filesUpdate([3], 'alloc')
  const st: StatxResult = op.statx(AT_FDCWD, '/').decode(cqe)
  const atimeNs: bigint = st.atimeNs
  const isDir: boolean = st.isDirectory()
  const pair: [number, number] = op.pipe({ flags: ['cloexec'] }).decode(cqe)
  const slots: number[] = op.filesUpdate([3], 0).decode(cqe)
  const value: Buffer = op.getxattr('/tmp', 'user.a', 8).decode(cqe)
  void [atimeNs, isDir, pair, slots, value]

  // ---- must not compile: path-based ops take no RegisteredFd as dirfd -------------------------

  // @ts-expect-error statx's dirfd is a process fd or AT_FDCWD
  op.statx(file, '', { flags: ['emptyPath'] })
  // @ts-expect-error openat2's dirfd is a process fd
  op.openat2(file, 'x')
  // @ts-expect-error renameat's newdirfd is a process fd
  op.renameat(AT_FDCWD, 'a', file, 'b')
  // @ts-expect-error mkdirat's dirfd is a process fd
  op.mkdirat(file, 'd')
  // @ts-expect-error filesUpdate puts process fds into the table
  op.filesUpdate([file], 0)

  // ---- must not compile: unknown names, numbers where names are asked ------------------------

  // @ts-expect-error not a RESOLVE_* name
  op.openat2(AT_FDCWD, 'x', { resolve: ['noDots'] })
  // @ts-expect-error resolve is a list of names
  op.openat2(AT_FDCWD, 'x', { resolve: 4 })
  // @ts-expect-error not a statx flag name
  op.statx(AT_FDCWD, 'x', { flags: ['follow'] })
  // @ts-expect-error fadvise advice by name only
  op.fadvise(3, 0, 0, 4)
  // @ts-expect-error not an madvise advice offered on JS memory
  op.madvise(buf.bytes, 'hwpoison')
  // @ts-expect-error not a splice flag
  op.splice(3, -1, 4, -1, 10, ['fast'])
  // @ts-expect-error not a rename flag
  op.renameat(AT_FDCWD, 'a', AT_FDCWD, 'b', ['overwrite'])
  // @ts-expect-error not an xattr flag
  op.setxattr('/tmp/x', 'user.a', 'v', ['upsert'])
  // @ts-expect-error offset is a slot or 'alloc'
  op.filesUpdate([3], 'auto')

  // ---- must not compile: handles and buffers where they do not fit ----------------------------

  // @ts-expect-error madvise takes the memory itself, not a RegisteredBuf handle
  op.madvise(buf, 'normal')
  // @ts-expect-error readMultishot reads into a BufferGroup, not a plain buffer
  op.readMultishot(3, Buffer.alloc(16))
  // @ts-expect-error readMultishot has no registered-buffer form
  op.readMultishot(3, buf)
  // @ts-expect-error a RegisteredBuf is not a fd
  op.tee(buf, 4, 10)
  // @ts-expect-error fsetxattr's first argument is a fd, not a path
  op.fsetxattr('/tmp/x', 'user.a', 'v')
  // @ts-expect-error getxattr's first argument is a path, not a fd
  op.getxattr(3, 'user.a', 8)
  // @ts-expect-error a RegisteredFd is not a path
  op.setxattr(file, 'user.a', 'v')

  // ---- must not compile: missing or mistyped fields -------------------------------------------

  // @ts-expect-error splice needs len
  op.splice(3, -1, 4, -1)
  // @ts-expect-error fgetxattr needs a size
  op.fgetxattr(3, 'user.a')
  // @ts-expect-error syncFileRange needs flags
  op.syncFileRange(3, 0, 0)
  // @ts-expect-error fallocate needs offset and len
  op.fallocate(3, 0)
  // @ts-expect-error ftruncate's length is a number or bigint
  op.ftruncate(3, '10')
  // @ts-expect-error symlinkat is (target, newdirfd, linkpath)
  op.symlinkat(AT_FDCWD, 'target', 'link')
  // @ts-expect-error pipe decodes to a pair of numbers
  const notPair: [RegisteredFd, RegisteredFd] = op.pipe().decode(cqe)
  // @ts-expect-error statx's result times in ns are bigints
  const notNs: number = st.mtimeNs
  void [notPair, notNs]
}
