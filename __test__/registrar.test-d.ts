/**
 * Type tests of the registrar's handles, checked by `tsc --noEmit -p tsconfig.json` (excluded from
 * the build, never run). Each `@ts-expect-error` line must NOT compile: if the library's types
 * ever accept it, tsc reports the directive as unused and the type check fails.
 */
import {
  AT_FDCWD,
  BufferGroup,
  Cqe,
  Personality,
  ProvidedBuffer,
  RegisteredBuf,
  RegisteredBufSlice,
  RegisteredFd,
  Registrar,
  Ring,
  op,
} from '../index'

export function registrarTypeTests(): void {
  const ring = new Ring({ entries: 8 })
  const reg: Registrar = ring.registrar
  const [buf] = reg.registerBuffers([4096])
  const slice: RegisteredBufSlice = buf.slice(0, 16)
  const [file] = reg.registerFiles([3])
  const group: BufferGroup = reg.bufferGroup({ count: 4, size: 4096 })
  const p: Personality = reg.registerPersonality()
  const plain = Buffer.alloc(8)
  const cqe = new Cqe()

  // ---- must not compile: a number is not a RegisteredFd ---------------------------------------

  // @ts-expect-error installFd takes a RegisteredFd, not a process fd number
  reg.installFd(3)
  // @ts-expect-error updateFile's first argument is a RegisteredFd
  reg.updateFile(3, 4)
  // @ts-expect-error unregister takes a handle
  reg.unregister(3)
  // @ts-expect-error fixedFdInstall takes a RegisteredFd
  op.fixedFdInstall(3)
  // @ts-expect-error a number is not a RegisteredFd
  const asHandle: RegisteredFd = 3
  void asHandle

  // ---- must not compile: a RegisteredFd is not a process fd ------------------------------------

  // @ts-expect-error registerFiles takes process fds
  reg.registerFiles([file])
  // @ts-expect-error updateFile's second argument is a process fd
  reg.updateFile(file, file)
  // @ts-expect-error registerEventfd takes a process fd
  reg.registerEventfd(file)
  // @ts-expect-error a RegisteredFd is not a number
  const asNumber: number = file
  void asNumber

  // ---- must not compile: registered buffers where they do not fit -----------------------------

  // @ts-expect-error recv has no fixed-buffer variant
  op.recv(3, buf)
  // @ts-expect-error recv has no fixed-buffer variant (slices neither)
  op.recv(3, slice)
  // @ts-expect-error a RegisteredBuf is not a Uint8Array
  const asBytes: Uint8Array = buf
  void asBytes
  // @ts-expect-error a RegisteredBuf is not a Buffer for Node's own APIs
  plain.set(buf)
  // @ts-expect-error a slice is not a RegisteredBuf
  reg.updateBuffer(slice, 10)
  // @ts-expect-error a slice is not a RegisteredBuf
  const asBuf: RegisteredBuf = slice
  void asBuf
  // @ts-expect-error a RegisteredFd is not a buffer
  op.write(3, file, 0)
  // @ts-expect-error a RegisteredBuf is not an fd
  op.read(buf, plain, 0)
  // @ts-expect-error registered and plain buffers cannot share one readv/writev list
  op.writev(3, [slice, plain], 0)
  // @ts-expect-error registerBuffers takes an array of sizes
  reg.registerBuffers(4096)

  // ---- must not compile: buffer groups where they do not fit ----------------------------------

  // @ts-expect-error write cannot take a BufferGroup: the kernel picks buffers for reads only
  op.write(3, group, 0)
  // @ts-expect-error readv takes buffers, not a BufferGroup
  op.readv(3, [group], 0)
  // @ts-expect-error take() takes a Cqe
  group.take(3)
  // @ts-expect-error bufferGroup needs a size
  reg.bufferGroup({ count: 4 })
  // @ts-expect-error incremental is a boolean
  reg.bufferGroup({ count: 4, size: 64, incremental: 1 })

  // ---- must not compile: personalities, options, CQEs -----------------------------------------

  // @ts-expect-error a Personality is not a number
  const pid: number = p
  void pid
  // @ts-expect-error a number is not a Personality
  op.nop({ personality: 1 })
  // @ts-expect-error unregisterPersonality takes a Personality
  reg.unregisterPersonality(1)
  // @ts-expect-error directFd takes a Cqe
  reg.directFd(3)
  // @ts-expect-error cloexec is a boolean
  reg.installFd(file, { cloexec: 1 })
  // @ts-expect-error direct is a boolean
  op.openat(AT_FDCWD, '/tmp/x', 0, 0, { direct: 'yes' })
  // @ts-expect-error async is a boolean
  reg.registerEventfd(5, { async: 1 })
  // @ts-expect-error ringFdRegistered is a boolean
  const rfd: number = reg.ringFdRegistered
  void rfd

  // ---- must compile ---------------------------------------------------------------------------

  const idx: number = buf.index
  const size: number = buf.size
  const bytes: Uint8Array = buf.bytes
  const sliceBuf: RegisteredBuf = slice.buf
  const sliceOffset: number = slice.offset
  const sliceLength: number = slice.length
  const sliceBytes: Uint8Array = slice.bytes
  const tail: RegisteredBufSlice = buf.slice(8)
  const fileIndex: number = file.index
  void [idx, size, bytes, sliceBuf, sliceOffset, sliceLength, sliceBytes, tail, fileIndex]

  const ops = [
    op.read(3, buf, 0),
    op.read(file, slice, 0),
    op.read(file, plain, 0, { length: 4 }),
    op.read(3, group, -1),
    op.read(file, group, 0, { personality: p }),
    op.write(file, buf, 0),
    op.write(3, slice, 0, { personality: p, userData: 1 }),
    op.readv(file, [buf.slice(0, 4), buf.slice(8, 4)], 0),
    op.writev(3, [buf], 0),
    op.writev(file, [plain], 0),
    op.fsync(file),
    op.fsync(3, { personality: p }),
    op.openat(AT_FDCWD, '/tmp/x'),
    op.openat(AT_FDCWD, '/tmp/x', 0, 0o644, { direct: true, userData: 2 }),
    op.openat(3, new Uint8Array(4), 0),
    op.close(file),
    op.close(3),
    op.recv(3, group),
    op.recv(file, plain, { flags: 0, length: 4 }),
    op.accept(3, { direct: true }),
    op.accept(file, { flags: 0 }),
    op.socket(2, 1, 0, { direct: true }),
    op.socket(2, 1, 0),
    op.fixedFdInstall(file),
    op.fixedFdInstall(file, { cloexec: false }),
    op.nop({ personality: p }),
  ]
  ring.sq.pushMany(ops)

  reg.reserveBuffers(4)
  reg.reserveFiles(4)
  const updated: RegisteredBuf = reg.updateBuffer(0, 4096)
  const replaced: RegisteredBuf = reg.updateBuffer(buf, 8192)
  const swapped: RegisteredFd = reg.updateFile(file, 4)
  reg.unregister(updated)
  reg.unregister(swapped)
  reg.unregisterBuffers()
  reg.unregisterFiles()
  void replaced

  const direct: RegisteredFd = reg.directFd(cqe)
  const installed: number = reg.installFd(direct)
  const installedInheritable: number = reg.installFd(direct, { cloexec: false })
  void [installed, installedInheritable]

  const g: BufferGroup = reg.bufferGroup({ count: 8, size: 256, incremental: true, legacy: false, id: 3 })
  const gid: number = g.id
  const gcount: number = g.count
  const gsize: number = g.size
  const inc: boolean = g.incremental
  const legacy: boolean = g.legacy
  const available: number = g.available
  void [gid, gcount, gsize, inc, legacy, available]
  const taken: ProvidedBuffer = g.take(cqe)
  const takenId: number = taken.id
  const takenBytes: Uint8Array = taken.bytes
  void [takenId, takenBytes]
  taken.release()
  g.close()

  reg.registerEventfd(5)
  reg.registerEventfd(5, { async: true })
  reg.unregisterEventfd()
  const personalityId: number = p.id
  void personalityId
  reg.unregisterPersonality(p)
  reg.registerRingFd()
  const registered: boolean = reg.ringFdRegistered
  const cwd: number = AT_FDCWD
  void [registered, cwd]
  ring.close()
}
