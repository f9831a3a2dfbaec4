//! Encoders of the fs op family (see squeue::Enc): file-system calls, splice/tee/pipe, xattrs,
//! multishot read and file-table updates. Every word JS staged is checked again here.
//!
//! Word layout of each op (field::*; the TS classes in lib/ops-fs.ts write the same):
//!
//! | op               | FD          | AUX          | BUF (+k)                     | LEN            | OFF            | OP_FLAGS         | other          |
//! |------------------|-------------|--------------|------------------------------|----------------|----------------|------------------|----------------|
//! | syncFileRange    | fd          |              |                              | nbytes (u32)   | offset >= 0    | SYNC_FILE_RANGE_*|                |
//! | fallocate        | fd          |              |                              | len >= 1       | offset >= 0    | FALLOC_FL_* mode |                |
//! | fadvise          | fd          |              |                              | len (0: to EOF)| offset >= 0    | POSIX_FADV_*     |                |
//! | madvise          |             |              | the memory itself            |                |                | MADV_*           |                |
//! | ftruncate        | fd          |              |                              |                | length >= 0    |                  |                |
//! | openat2          | dirfd       | mode         | path                         | RESOLVE_* bits |                | O_* flags        | FX_DIRECT      |
//! | statx            | dirfd       |              | path, out (256 B)            | STATX_* mask   |                | AT_* flags       |                |
//! | renameat         | olddirfd    | newdirfd     | oldpath, newpath             |                |                | RENAME_*         |                |
//! | unlinkat         | dirfd       |              | path                         |                |                | 0 / AT_REMOVEDIR |                |
//! | mkdirat          | dirfd       | mode         | path                         |                |                |                  |                |
//! | symlinkat        | newdirfd    |              | target, linkpath             |                |                |                  |                |
//! | linkat           | olddirfd    | newdirfd     | oldpath, newpath             |                |                | AT_* flags       |                |
//! | fsetxattr        | fd          |              | name, value                  |                |                | XATTR_*          |                |
//! | setxattr         |             |              | name, value, path            |                |                | XATTR_*          |                |
//! | fgetxattr        | fd          |              | name, out                    |                |                |                  |                |
//! | getxattr         |             |              | name, out, path              |                |                |                  |                |
//! | splice           | fdOut       | fdIn         |                              | len (u32)      | offOut / -1    | SPLICE_F_*       | BUF_OFF offIn / -1, BUF_GEN fdIn gen |
//! | tee              | fdOut       | fdIn         |                              | len (u32)      |                | SPLICE_F_*       | BUF_GEN fdIn gen |
//! | pipe             |             |              | out (2 x i32)                |                |                | O_* pipe2 flags  | FX_DIRECT      |
//! | readMultishot    | fd          |              | group id (FX_GROUP)          | (group size)   | offset / -1    |                  | BUF_GEN group gen |
//! | filesUpdate      |             | slot / -1    | fds (i32 array, op-owned)    | count          |                |                  |                |
//!
//! `fd` words may be a `RegisteredFd` (FX_FD + FD_GEN); fdIn of splice/tee is a registered one
//! when OP_FLAGS has SPLICE_F_FD_IN_FIXED (its generation in BUF_GEN). dirfds are process fds or
//! AT_FDCWD: the kernel takes no fixed file for path-based ops.

use crate::squeue::{field, with_fd, Enc, OpError, Target, AT_FDCWD, FX_DIRECT, FX_FD, FX_GROUP};
use io_uring::opcode;
use io_uring::squeue::Entry as Sqe;
use io_uring::types::{DestinationSlot, Fd, OpenHow};

pub const OP_SYNC_FILE_RANGE: u8 = 8;
pub const OP_FALLOCATE: u8 = 17;
pub const OP_FILES_UPDATE: u8 = 20;
pub const OP_STATX: u8 = 21;
pub const OP_FADVISE: u8 = 24;
pub const OP_MADVISE: u8 = 25;
pub const OP_OPENAT2: u8 = 28;
pub const OP_SPLICE: u8 = 30;
pub const OP_TEE: u8 = 33;
pub const OP_RENAMEAT: u8 = 35;
pub const OP_UNLINKAT: u8 = 36;
pub const OP_MKDIRAT: u8 = 37;
pub const OP_SYMLINKAT: u8 = 38;
pub const OP_LINKAT: u8 = 39;
pub const OP_FSETXATTR: u8 = 41;
pub const OP_SETXATTR: u8 = 42;
pub const OP_FGETXATTR: u8 = 43;
pub const OP_GETXATTR: u8 = 44;
pub const OP_READ_MULTISHOT: u8 = 49;
pub const OP_FTRUNCATE: u8 = 55;
pub const OP_PIPE: u8 = 62;

/// Largest safe integer of a JS number: lengths that fit one staging word.
const MAX_SAFE: f64 = 9007199254740991.0;
/// XATTR_NAME_MAX / XATTR_SIZE_MAX (include/uapi/linux/limits.h).
pub const XATTR_NAME_MAX: usize = 255;
pub const XATTR_SIZE_MAX: usize = 65536;
/// SPLICE_F_FD_IN_FIXED (include/uapi/linux/io_uring.h): fd_in is a fixed-file index.
const SPLICE_F_FD_IN_FIXED: u32 = 1 << 31;
const SPLICE_FLAGS: u32 =
    libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK | libc::SPLICE_F_MORE | libc::SPLICE_F_GIFT;
/// O_NOTIFICATION_PIPE is O_EXCL (include/uapi/linux/watch_queue.h).
const PIPE_FLAGS: i32 = libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_DIRECT | libc::O_EXCL;
/// IORING_FILE_INDEX_ALLOC as the offset of FILES_UPDATE: the kernel picks free slots (5.19).
const FILE_INDEX_ALLOC: i32 = -1;
/// IORING_REGISTER_FILES_SKIP: leave a slot as it is (5.12).
const FILES_SKIP: i32 = -2;
const STATX_AT_FLAGS: u32 = (libc::AT_SYMLINK_NOFOLLOW
    | libc::AT_NO_AUTOMOUNT
    | libc::AT_EMPTY_PATH
    | libc::AT_STATX_FORCE_SYNC
    | libc::AT_STATX_DONT_SYNC) as u32;
const RESOLVE_ALL: u64 = libc::RESOLVE_NO_XDEV
    | libc::RESOLVE_NO_MAGICLINKS
    | libc::RESOLVE_NO_SYMLINKS
    | libc::RESOLVE_BENEATH
    | libc::RESOLVE_IN_ROOT
    | libc::RESOLVE_CACHED;

/// madvise advice that only change how the kernel treats the range (contents are kept). Advice
/// that would make touching the memory fault (MADV_HWPOISON, MADV_SOFT_OFFLINE,
/// MADV_GUARD_INSTALL) is never staged: the memory is JavaScript's.
const MADV_KEEPING: &[i32] = &[
    libc::MADV_NORMAL,
    libc::MADV_RANDOM,
    libc::MADV_SEQUENTIAL,
    libc::MADV_WILLNEED,
    libc::MADV_DONTFORK,
    libc::MADV_DOFORK,
    libc::MADV_MERGEABLE,
    libc::MADV_UNMERGEABLE,
    libc::MADV_HUGEPAGE,
    libc::MADV_NOHUGEPAGE,
    libc::MADV_DONTDUMP,
    libc::MADV_DODUMP,
    libc::MADV_WIPEONFORK,
    libc::MADV_KEEPONFORK,
    libc::MADV_COLD,
    libc::MADV_PAGEOUT,
    libc::MADV_POPULATE_READ,
    libc::MADV_POPULATE_WRITE,
];
/// Advice that drops the pages (the range reads as zeros afterwards, or may): refused on a
/// registered buffer, whose JS view would then no longer be the pages the kernel pinned.
const MADV_DROPPING: &[i32] = &[libc::MADV_DONTNEED, libc::MADV_FREE];

fn err(code: &'static str, message: impl Into<String>) -> OpError {
    OpError::new(code, message)
}

/// A 64-bit file position of OFF_LO/OFF_HI that must not be -1 ("current position").
fn position(e: &Enc, name: &str) -> Result<u64, OpError> {
    let lo = e.int(field::OFF_LO, 0.0, u32::MAX as f64, name)? as u64;
    let hi = e.int(field::OFF_HI, 0.0, i32::MAX as f64, name)? as u64;
    Ok((hi << 32) | lo)
}

/// The NUL-terminated string at BUF + k; empty only when `empty_ok` (AT_EMPTY_PATH).
fn path_at(
    e: &mut Enc,
    k: u32,
    empty_ok: bool,
    name: &str,
) -> Result<*const libc::c_char, OpError> {
    let (p, n) = e.buf_at(k)?;
    // SAFETY: p..p+n is the live bytes of the batch's buffer k.
    let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, n) };
    match bytes.iter().position(|&b| b == 0) {
        Some(0) if !empty_ok => Err(err(
            "ERR_INVALID_ARG_VALUE",
            format!("{name} is empty (an empty path needs AT_EMPTY_PATH)"),
        )),
        Some(_) => Ok(p as *const libc::c_char),
        None => Err(err(
            "ERR_INVALID_ARG_VALUE",
            format!("{name} must end with a NUL byte"),
        )),
    }
}

/// An xattr name at BUF + k: 1 to XATTR_NAME_MAX bytes, NUL-terminated.
fn xattr_name(e: &mut Enc, k: u32) -> Result<*const libc::c_char, OpError> {
    let p = path_at(e, k, false, "name")?;
    // SAFETY: path_at found a NUL inside the buffer, so this is a valid C string.
    let n = unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes().len();
    if n > XATTR_NAME_MAX {
        return Err(err("ERR_OUT_OF_RANGE", format!("The value of \"name\" is out of range. It must be 1 to {XATTR_NAME_MAX} bytes. Received {n}")));
    }
    Ok(p)
}

/// An xattr value buffer at BUF + k (read or written by the kernel): at most XATTR_SIZE_MAX bytes.
fn xattr_value(e: &mut Enc, k: u32) -> Result<(*mut libc::c_void, u32), OpError> {
    let (p, n) = e.buf_at(k)?;
    if n > XATTR_SIZE_MAX {
        return Err(err("ERR_OUT_OF_RANGE", format!("The value of \"value.byteLength\" is out of range. It must be <= {XATTR_SIZE_MAX}. Received {n}")));
    }
    Ok((
        if n == 0 {
            std::ptr::null_mut()
        } else {
            p.cast()
        },
        n as u32,
    ))
}

/// A flags word that must be a subset of `allowed`.
fn bits(e: &Enc, allowed: u32, name: &str) -> Result<u32, OpError> {
    let f = e.u32(field::OP_FLAGS, name)?;
    if f & !allowed != 0 {
        return Err(err(
            "ERR_INVALID_ARG_VALUE",
            format!("{name} 0x{f:x} has unknown bits 0x{:x}", f & !allowed),
        ));
    }
    Ok(f)
}

/// The second dirfd of renameat/linkat (AUX): >= 0 or AT_FDCWD.
fn aux_dirfd(e: &Enc, name: &str) -> Result<i32, OpError> {
    let d = e.int(field::AUX, AT_FDCWD as f64, i32::MAX as f64, name)? as i32;
    if d < 0 && d != AT_FDCWD {
        return Err(err("ERR_OUT_OF_RANGE", format!("The value of \"{name}\" is out of range. It must be >= 0 or AT_FDCWD (-100). Received {d}")));
    }
    Ok(d)
}

/// fd_in of splice/tee (AUX): a process fd, or with SPLICE_F_FD_IN_FIXED a registered file
/// whose generation is in BUF_GEN. Returns the target and the flags without that bit.
fn fd_in(e: &Enc) -> Result<(Target, u32), OpError> {
    let flags = bits(e, SPLICE_FLAGS | SPLICE_F_FD_IN_FIXED, "flags")?;
    if flags & SPLICE_F_FD_IN_FIXED != 0 {
        let index = e.int(field::AUX, 0.0, u32::MAX as f64, "fdIn")? as u32;
        let gen = e.int(field::BUF_GEN, 0.0, 0x7fff_ffff as f64, "fdIn generation")? as u32;
        Ok((
            Target::Fixed(e.ctx.reg.file(index, gen)?),
            flags & !SPLICE_F_FD_IN_FIXED,
        ))
    } else {
        Ok((Target::Fd(e.raw_fd(field::AUX, "fdIn")?), flags))
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// Builds the SQE of `op` if it belongs to this family; None otherwise.
pub fn encode(op: u8, e: &mut Enc) -> Option<Result<Sqe, OpError>> {
    let built = match op {
        OP_SYNC_FILE_RANGE => sync_file_range(e),
        OP_FALLOCATE => fallocate(e),
        OP_FADVISE => fadvise(e),
        OP_MADVISE => madvise(e),
        OP_FTRUNCATE => ftruncate(e),
        OP_OPENAT2 => openat2(e),
        OP_STATX => statx(e),
        OP_RENAMEAT => renameat(e),
        OP_UNLINKAT => unlinkat(e),
        OP_MKDIRAT => mkdirat(e),
        OP_SYMLINKAT => symlinkat(e),
        OP_LINKAT => linkat(e),
        OP_FSETXATTR | OP_SETXATTR => setxattr(op, e),
        OP_FGETXATTR | OP_GETXATTR => getxattr(op, e),
        OP_SPLICE => splice(e),
        OP_TEE => tee(e),
        OP_PIPE => pipe(e),
        OP_READ_MULTISHOT => read_multishot(e),
        OP_FILES_UPDATE => files_update(e),
        _ => return None,
    };
    Some(built)
}

/// FD = fd, OFF = offset (>= 0), LEN = nbytes (u32; 0 = to the end of the file), OP_FLAGS =
/// SYNC_FILE_RANGE_WAIT_BEFORE | _WRITE | _WAIT_AFTER. (The kernel reads nbytes from the 32-bit
/// sqe->len.)
fn sync_file_range(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_SYNC_FILE_RANGE)?;
    e.only(FX_FD, "syncFileRange")?;
    let t = e.target()?;
    let off = position(e, "offset")?;
    let n = e.u32(field::LEN, "nbytes")?;
    let all = libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | libc::SYNC_FILE_RANGE_WRITE
        | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    let f = bits(e, all, "flags")?;
    Ok(with_fd!(t, |x| opcode::SyncFileRange::new(x, n)
        .offset(off)
        .flags(f)
        .build()))
}

/// FD = fd, OFF = offset (>= 0), LEN = len (>= 1), OP_FLAGS = FALLOC_FL_* mode (the kernel
/// judges combinations).
fn fallocate(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_FALLOCATE)?;
    e.only(FX_FD, "fallocate")?;
    let t = e.target()?;
    let off = position(e, "offset")?;
    let len = e.int(field::LEN, 1.0, MAX_SAFE, "len")? as u64;
    let mode = e.int(field::OP_FLAGS, 0.0, 0xff as f64, "mode")? as i32;
    Ok(with_fd!(t, |x| opcode::Fallocate::new(x, len)
        .offset(off)
        .mode(mode)
        .build()))
}

/// FD = fd, OFF = offset (>= 0), LEN = len (0 = to the end of the file; beyond u32 it goes in
/// sqe->addr, which needs 6.11), OP_FLAGS = POSIX_FADV_* advice.
fn fadvise(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_FADVISE)?;
    e.only(FX_FD, "fadvise")?;
    let t = e.target()?;
    let off = position(e, "offset")?;
    let len = e.int(field::LEN, 0.0, MAX_SAFE, "len")? as u64;
    let advice = e.int(
        field::OP_FLAGS,
        0.0,
        libc::POSIX_FADV_NOREUSE as f64,
        "advice",
    )? as i32;
    if len <= u32::MAX as u64 {
        return Ok(with_fd!(t, |x| opcode::Fadvise::new(
            x,
            len as libc::off_t,
            advice
        )
        .offset(off)
        .build()));
    }
    e.ctx.need_kernel("6.11", "fadvise of more than 4 GiB")?;
    let mut sqe = with_fd!(t, |x| opcode::Fadvise::new(x, 0, advice)
        .offset(off)
        .build());
    crate::squeue::patch_sqe(&mut sqe, |r| r.addr = len);
    Ok(sqe)
}

/// BUF = the memory itself (page-aligned, a whole number of pages: the kernel rounds the length
/// up to a page, which must not reach past the buffer), OP_FLAGS = MADV_* advice from
/// [`MADV_KEEPING`] or [`MADV_DROPPING`]. Beyond u32 the length goes in sqe->off (6.11).
fn madvise(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_MADVISE)?;
    e.only(0, "madvise")?;
    let advice = e.int(field::OP_FLAGS, 0.0, i32::MAX as f64, "advice")? as i32;
    let dropping = MADV_DROPPING.contains(&advice);
    if !dropping && !MADV_KEEPING.contains(&advice) {
        return Err(err(
            "ERR_INVALID_ARG_VALUE",
            format!("madvise advice {advice} is not allowed on JavaScript memory"),
        ));
    }
    let (p, n) = e.buf_at(0)?;
    let page = page_size();
    if n == 0 || !(p as usize).is_multiple_of(page) || !n.is_multiple_of(page) {
        return Err(err("ERR_URING_UNALIGNED", format!("madvise needs memory that starts on a page boundary and is a whole number of pages ({page} bytes); this is {n} bytes at 0x{:x}", p as usize)));
    }
    if dropping {
        let (a, b) = (p as usize, p as usize + n);
        for s in &e.ctx.reg.bufs {
            if let Some(r) = &s.region {
                let (c, d) = (r.ptr() as usize, r.ptr() as usize + r.pinned());
                if a < d && c < b {
                    return Err(err("ERR_INVALID_ARG_VALUE", "MADV_DONTNEED/MADV_FREE on a registered buffer would part its JavaScript view from the pages the kernel pinned"));
                }
            }
        }
    }
    if n <= u32::MAX as usize {
        return Ok(
            opcode::Madvise::new(p as *const libc::c_void, n as libc::off_t, advice).build(),
        );
    }
    e.ctx.need_kernel("6.11", "madvise of more than 4 GiB")?;
    let mut sqe = opcode::Madvise::new(p as *const libc::c_void, 0, advice).build();
    crate::squeue::patch_sqe(&mut sqe, |r| r.off = n as u64);
    Ok(sqe)
}

/// FD = fd, OFF = length (>= 0).
fn ftruncate(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_FTRUNCATE)?;
    e.only(FX_FD, "ftruncate")?;
    let t = e.target()?;
    let len = position(e, "length")?;
    Ok(with_fd!(t, |x| opcode::Ftruncate::new(x, len).build()))
}

/// FD = dirfd, BUF = path, OP_FLAGS = O_* flags, AUX = mode, LEN = RESOLVE_* bits (CACHED: 5.12),
/// FX_DIRECT = a direct descriptor. The open_how lives in the slot's memory (`mem.how`).
fn openat2(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_OPENAT2)?;
    e.only(FX_DIRECT, "openat2")?;
    let dirfd = e.dirfd(field::FD, "dirfd")?;
    let path = path_at(e, 0, false, "path")?;
    let flags = e.u32(field::OP_FLAGS, "flags")? as u64;
    let mode = e.int(field::AUX, 0.0, 0o7777 as f64, "mode")? as u64;
    let resolve = e.int(field::LEN, 0.0, RESOLVE_ALL as f64, "resolve")? as u64;
    if resolve & !RESOLVE_ALL != 0 {
        return Err(err(
            "ERR_INVALID_ARG_VALUE",
            format!("resolve 0x{resolve:x} has unknown bits"),
        ));
    }
    if resolve & libc::RESOLVE_CACHED != 0 {
        e.ctx.need_kernel("5.12", "openat2 with RESOLVE_CACHED")?;
    }
    e.mem.how = OpenHow::new().flags(flags).mode(mode).resolve(resolve);
    let how = &e.mem.how as *const OpenHow;
    let mut b = opcode::OpenAt2::new(Fd(dirfd), path, how);
    if e.bits & FX_DIRECT != 0 {
        e.ctx.need_kernel(
            "5.19",
            "openat2 into a direct descriptor (IORING_FILE_INDEX_ALLOC)",
        )?;
        b = b.file_index(Some(DestinationSlot::auto_target()));
        e.effect = crate::squeue::Effect::DirectAlloc;
    }
    Ok(b.build())
}

/// FD = dirfd, BUF = path (empty only with AT_EMPTY_PATH), BUF+1 = the op's 256-byte struct statx,
/// OP_FLAGS = AT_* flags, LEN = STATX_* mask.
fn statx(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_STATX)?;
    e.only(0, "statx")?;
    let dirfd = e.dirfd(field::FD, "dirfd")?;
    let flags = bits(e, STATX_AT_FLAGS, "flags")?;
    let path = path_at(e, 0, flags & libc::AT_EMPTY_PATH as u32 != 0, "path")?;
    let mask = e.int(field::LEN, 0.0, i32::MAX as f64, "mask")? as u32;
    const _: () = assert!(std::mem::size_of::<libc::statx>() == 256);
    let out = e.struct_at::<libc::statx>(1, "the statx buffer")?;
    Ok(opcode::Statx::new(Fd(dirfd), path, out.cast())
        .flags(flags as i32)
        .mask(mask)
        .build())
}

/// FD = olddirfd, AUX = newdirfd, BUF = oldpath, BUF+1 = newpath, OP_FLAGS = RENAME_*.
fn renameat(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_RENAMEAT)?;
    e.only(0, "renameat")?;
    let old_dir = e.dirfd(field::FD, "olddirfd")?;
    let new_dir = aux_dirfd(e, "newdirfd")?;
    let old = path_at(e, 0, false, "oldpath")?;
    let new = path_at(e, 1, false, "newpath")?;
    let f = bits(
        e,
        libc::RENAME_NOREPLACE | libc::RENAME_EXCHANGE | libc::RENAME_WHITEOUT,
        "flags",
    )?;
    Ok(opcode::RenameAt::new(Fd(old_dir), old, Fd(new_dir), new)
        .flags(f)
        .build())
}

/// FD = dirfd, BUF = path, OP_FLAGS = 0 or AT_REMOVEDIR.
fn unlinkat(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_UNLINKAT)?;
    e.only(0, "unlinkat")?;
    let dirfd = e.dirfd(field::FD, "dirfd")?;
    let path = path_at(e, 0, false, "path")?;
    let f = bits(e, libc::AT_REMOVEDIR as u32, "flags")?;
    Ok(opcode::UnlinkAt::new(Fd(dirfd), path)
        .flags(f as i32)
        .build())
}

/// FD = dirfd, BUF = path, AUX = mode.
fn mkdirat(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_MKDIRAT)?;
    e.only(0, "mkdirat")?;
    let dirfd = e.dirfd(field::FD, "dirfd")?;
    let path = path_at(e, 0, false, "path")?;
    let mode = e.int(field::AUX, 0.0, 0o7777 as f64, "mode")? as libc::mode_t;
    Ok(opcode::MkDirAt::new(Fd(dirfd), path).mode(mode).build())
}

/// FD = newdirfd, BUF = target, BUF+1 = linkpath.
fn symlinkat(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_SYMLINKAT)?;
    e.only(0, "symlinkat")?;
    let dirfd = e.dirfd(field::FD, "newdirfd")?;
    let target = path_at(e, 0, false, "target")?;
    let link = path_at(e, 1, false, "linkpath")?;
    Ok(opcode::SymlinkAt::new(Fd(dirfd), target, link).build())
}

/// FD = olddirfd, AUX = newdirfd, BUF = oldpath (empty only with AT_EMPTY_PATH), BUF+1 =
/// newpath, OP_FLAGS = AT_SYMLINK_FOLLOW | AT_EMPTY_PATH.
fn linkat(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_LINKAT)?;
    e.only(0, "linkat")?;
    let old_dir = e.dirfd(field::FD, "olddirfd")?;
    let new_dir = aux_dirfd(e, "newdirfd")?;
    let f = bits(
        e,
        (libc::AT_SYMLINK_FOLLOW | libc::AT_EMPTY_PATH) as u32,
        "flags",
    )?;
    let old = path_at(e, 0, f & libc::AT_EMPTY_PATH as u32 != 0, "oldpath")?;
    let new = path_at(e, 1, false, "newpath")?;
    Ok(opcode::LinkAt::new(Fd(old_dir), old, Fd(new_dir), new)
        .flags(f as i32)
        .build())
}

/// fsetxattr: FD = fd, BUF = name, BUF+1 = value. setxattr: BUF = name, BUF+1 = value, BUF+2 =
/// path. OP_FLAGS = XATTR_CREATE | XATTR_REPLACE.
fn setxattr(op: u8, e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(op)?;
    let f = bits(
        e,
        (libc::XATTR_CREATE | libc::XATTR_REPLACE) as u32,
        "flags",
    )? as i32;
    if op == OP_FSETXATTR {
        e.only(FX_FD, "fsetxattr")?;
        let t = e.target()?;
        let name = xattr_name(e, 0)?;
        let (value, len) = xattr_value(e, 1)?;
        return Ok(with_fd!(t, |x| opcode::FSetXattr::new(x, name, value, len)
            .flags(f)
            .build()));
    }
    e.only(0, "setxattr")?;
    let name = xattr_name(e, 0)?;
    let (value, len) = xattr_value(e, 1)?;
    let path = path_at(e, 2, false, "path")?;
    Ok(opcode::SetXattr::new(name, value, path, len)
        .flags(f)
        .build())
}

/// fgetxattr: FD = fd, BUF = name, BUF+1 = the op's value buffer. getxattr: BUF = name, BUF+1 =
/// the value buffer, BUF+2 = path. A 0-byte buffer asks for the value's size.
fn getxattr(op: u8, e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(op)?;
    if op == OP_FGETXATTR {
        e.only(FX_FD, "fgetxattr")?;
        let t = e.target()?;
        let name = xattr_name(e, 0)?;
        let (value, len) = xattr_value(e, 1)?;
        return Ok(with_fd!(t, |x| opcode::FGetXattr::new(x, name, value, len).build()));
    }
    e.only(0, "getxattr")?;
    let name = xattr_name(e, 0)?;
    let (value, len) = xattr_value(e, 1)?;
    let path = path_at(e, 2, false, "path")?;
    Ok(opcode::GetXattr::new(name, value, path, len).build())
}

/// Builds splice/tee for each pair of (process fd, fixed file) ends.
macro_rules! with_fds {
    ($a:expr, $b:expr, |$x:ident, $y:ident| $body:expr) => {
        with_fd!($a, |$x| with_fd!($b, |$y| $body))
    };
}

/// FD = fdOut (FX_FD: registered), AUX = fdIn (SPLICE_F_FD_IN_FIXED in OP_FLAGS: registered,
/// generation in BUF_GEN), OFF = offOut or -1, BUF_OFF = offIn or -1 (a pipe end takes -1),
/// LEN = len (u32), OP_FLAGS = SPLICE_F_*.
fn splice(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_SPLICE)?;
    e.only(FX_FD, "splice")?;
    let out = e.target()?;
    let (inp, flags) = fd_in(e)?;
    let off_out = e.offset()? as i64;
    let off_in = e.int(field::BUF_OFF, -1.0, MAX_SAFE, "offIn")?;
    let len = e.u32(field::LEN, "len")?;
    Ok(with_fds!(inp, out, |i, o| opcode::Splice::new(
        i, off_in, o, off_out, len
    )
    .flags(flags)
    .build()))
}

/// FD = fdOut, AUX = fdIn (as for splice), LEN = len (u32), OP_FLAGS = SPLICE_F_*.
fn tee(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_TEE)?;
    e.only(FX_FD, "tee")?;
    let out = e.target()?;
    let (inp, flags) = fd_in(e)?;
    let len = e.u32(field::LEN, "len")?;
    Ok(with_fds!(inp, out, |i, o| opcode::Tee::new(i, o, len)
        .flags(flags)
        .build()))
}

/// BUF = the op's two-int output (the kernel writes [read end, write end]), OP_FLAGS = pipe2(2)
/// flags, FX_DIRECT = both ends become direct descriptors (their slots are written instead).
fn pipe(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_PIPE)?;
    e.only(FX_DIRECT, "pipe")?;
    let flags = bits(e, PIPE_FLAGS as u32, "flags")?;
    let fds = e.struct_at::<[libc::c_int; 2]>(0, "the pipe's fd pair")?;
    let slot = (e.bits & FX_DIRECT != 0).then(DestinationSlot::auto_target);
    Ok(opcode::Pipe::new(fds.cast())
        .flags(flags)
        .file_index(slot)
        .build())
}

/// FD = fd (pollable: a pipe, socket, ...), FX_GROUP with BUF = group id / BUF_GEN, OFF = offset or
/// -1 (LEN, the group's buffer size, is not sent: the kernel wants sqe->len 0). One CQE per read (cqe.more), each with a buffer of the group, until an error, ENOBUFS or EOF.
fn read_multishot(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_READ_MULTISHOT)?;
    e.only(FX_FD | FX_GROUP, "readMultishot")?;
    if e.bits & FX_GROUP == 0 {
        return Err(err(
            "ERR_INVALID_ARG_VALUE",
            "readMultishot needs a buffer group",
        ));
    }
    let t = e.target()?;
    let off = e.offset()?;
    let (id, _size) = e.select()?;
    // sqe->len must be 0: each read fills at most the buffer the kernel picks (EINVAL otherwise).
    Ok(with_fd!(t, |x| opcode::ReadMulti::new(x, 0, id)
        .offset(off)
        .build()))
}

/// BUF = the op's i32 array of fds (LEN of them), AUX = first slot, or -1: the kernel picks free
/// slots (5.19) and writes their indexes over the fds. Only slots no `RegisteredFd` names may be
/// written: the registrar's generations stay true (see lib/ops-fs.ts `FilesUpdate`).
fn files_update(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_FILES_UPDATE)?;
    e.only(0, "filesUpdate")?;
    let count = e.int(
        field::LEN,
        1.0,
        crate::registrar::MAX_FILES as f64,
        "fds.length",
    )? as usize;
    let offset = e.int(
        field::AUX,
        -1.0,
        (crate::registrar::MAX_FILES - 1) as f64,
        "offset",
    )? as i32;
    let (p, n) = e.buf_at(0)?;
    if n != count * 4 || !(p as usize).is_multiple_of(4) {
        return Err(err(
            "ERR_INVALID_ARG_VALUE",
            format!("filesUpdate needs an Int32Array of {count} fds"),
        ));
    }
    // SAFETY: p is 4-aligned with n = count * 4 live bytes of the batch's buffer.
    let fds = unsafe { std::slice::from_raw_parts(p as *const i32, count) };
    let reg = e.ctx.reg;
    if !reg.file_table {
        return Err(err(
            "ERR_URING_NOT_REGISTERED",
            "filesUpdate needs a file table (registerFiles or reserveFiles)",
        ));
    }
    if offset == FILE_INDEX_ALLOC {
        e.ctx.need_kernel(
            "5.19",
            "filesUpdate into free slots (IORING_FILE_INDEX_ALLOC)",
        )?;
        if let Some(i) = fds.iter().position(|&f| f < 0) {
            return Err(err("ERR_OUT_OF_RANGE", format!("The value of \"fds[{i}]\" is out of range. It must be a file descriptor >= 0 when the kernel picks the slots. Received {}", fds[i])));
        }
    } else {
        let end = offset as usize + count;
        if end > reg.files.len() {
            return Err(err(
                "ERR_OUT_OF_RANGE",
                format!(
                    "slots {offset}..{end} are outside the file table of {} slots",
                    reg.files.len()
                ),
            ));
        }
        if let Some(i) = (offset as usize..end).find(|&i| reg.files[i] != 0) {
            return Err(err("ERR_INVALID_ARG_VALUE", format!("slot {i} holds a RegisteredFd; filesUpdate only fills slots no handle names (use registrar.updateFile / unregister for those)")));
        }
        if let Some(i) = fds.iter().position(|&f| f < FILES_SKIP) {
            return Err(err("ERR_OUT_OF_RANGE", format!("The value of \"fds[{i}]\" is out of range. It must be a file descriptor, -1 (empty the slot) or -2 (skip it). Received {}", fds[i])));
        }
        if fds.contains(&FILES_SKIP) {
            e.ctx
                .need_kernel("5.12", "filesUpdate with -2 (IORING_REGISTER_FILES_SKIP)")?;
        }
    }
    Ok(opcode::FilesUpdate::new(p as *const i32, count as u32)
        .offset(offset)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registrar::Registrar;
    use crate::squeue::{encode as encode_entry, Buffers, Ctx, NoBuffers, SlotMem, STRIDE};

    /// A batch of owned byte buffers (8-aligned, as a JS ArrayBuffer's are).
    struct Bufs(Vec<Vec<u64>>, Vec<usize>);
    impl Bufs {
        fn new(list: &[&[u8]]) -> Self {
            let mut words = Vec::new();
            let mut lens = Vec::new();
            for b in list {
                let mut w = vec![0u64; b.len().div_ceil(8).max(1)];
                // SAFETY: w has at least b.len() bytes.
                unsafe {
                    std::ptr::copy_nonoverlapping(b.as_ptr(), w.as_mut_ptr().cast::<u8>(), b.len())
                };
                words.push(w);
                lens.push(b.len());
            }
            Bufs(words, lens)
        }
    }
    impl Buffers for Bufs {
        fn bytes(&mut self, index: u32) -> Result<(*mut u8, usize), OpError> {
            match self.0.get_mut(index as usize) {
                Some(w) => Ok((w.as_mut_ptr().cast(), self.1[index as usize])),
                None => NoBuffers.bytes(index),
            }
        }
        fn list(&mut self, index: u32, out: &mut Vec<libc::iovec>) -> Result<(), OpError> {
            NoBuffers.list(index, out)
        }
    }

    fn rec(op: u8) -> [f64; STRIDE] {
        let mut r = [0.0; STRIDE];
        r[field::OP] = op as f64;
        r
    }

    fn run(r: &[f64], b: &mut Bufs, reg: &Registrar) -> Result<(), &'static str> {
        let sup = vec![true; 64];
        let ctx = Ctx {
            reg,
            supported: &sup,
            kernel: (6, 18),
        };
        encode_entry(r, b, &mut SlotMem::default(), &ctx)
            .map(|_| ())
            .map_err(|e| e.code)
    }

    #[test]
    fn paths_need_nul_and_may_be_empty_only_with_at_empty_path() {
        let reg = Registrar::default();
        let mut r = rec(OP_STATX);
        r[field::FD] = AT_FDCWD as f64;
        let mut b = Bufs::new(&[b"\0", &[0; 256]]);
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_INVALID_ARG_VALUE"));
        r[field::OP_FLAGS] = libc::AT_EMPTY_PATH as f64;
        assert_eq!(run(&r, &mut b, &reg), Ok(()));
        let mut b = Bufs::new(&[b"/tmp", &[0; 256]]);
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_INVALID_ARG_VALUE"));
        let mut b = Bufs::new(&[b"/tmp\0", &[0; 255]]);
        assert_eq!(
            run(&r, &mut b, &reg),
            Err("ERR_INVALID_ARG_VALUE"),
            "a short statx buffer"
        );
        r[field::OP_FLAGS] = 1.0; // not an AT_* flag statx takes
        let mut b = Bufs::new(&[b"/tmp\0", &[0; 256]]);
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_INVALID_ARG_VALUE"));
    }

    #[test]
    fn dirfds_and_flags_are_checked() {
        let reg = Registrar::default();
        let mut r = rec(OP_RENAMEAT);
        r[field::FD] = AT_FDCWD as f64;
        r[field::AUX] = -5.0;
        let mut b = Bufs::new(&[b"a\0", b"b\0"]);
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_OUT_OF_RANGE"));
        r[field::AUX] = AT_FDCWD as f64;
        assert_eq!(run(&r, &mut b, &reg), Ok(()));
        r[field::OP_FLAGS] = 8.0;
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_INVALID_ARG_VALUE"));
        let mut r = rec(OP_OPENAT2);
        r[field::FD] = AT_FDCWD as f64;
        r[field::LEN] = 0x40 as f64; // not a RESOLVE_* bit
        let mut b = Bufs::new(&[b"a\0"]);
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_OUT_OF_RANGE"));
        r[field::LEN] = libc::RESOLVE_BENEATH as f64;
        assert_eq!(run(&r, &mut b, &reg), Ok(()));
        r[field::FIXED] = FX_FD as f64; // a dirfd cannot be a registered file
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_INVALID_ARG_VALUE"));
    }

    #[test]
    fn xattr_names_and_values_have_kernel_limits() {
        let reg = Registrar::default();
        let mut r = rec(OP_SETXATTR);
        let long = [b'a'; 256];
        let mut name = long.to_vec();
        name.push(0);
        let mut b = Bufs::new(&[&name, b"v", b"/tmp\0"]);
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_OUT_OF_RANGE"));
        let big = vec![0u8; XATTR_SIZE_MAX + 1];
        let mut b = Bufs::new(&[b"user.a\0", &big, b"/tmp\0"]);
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_OUT_OF_RANGE"));
        let mut b = Bufs::new(&[b"user.a\0", b"v", b"/tmp\0"]);
        assert_eq!(run(&r, &mut b, &reg), Ok(()));
        r[field::OP_FLAGS] = 4.0;
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_INVALID_ARG_VALUE"));
    }

    #[test]
    fn madvise_needs_whole_pages() {
        let reg = Registrar::default();
        let mut r = rec(OP_MADVISE);
        r[field::OP_FLAGS] = libc::MADV_WILLNEED as f64;
        let mut b = Bufs::new(&[&[0; 100]]);
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_URING_UNALIGNED"));
        r[field::OP_FLAGS] = 100.0; // MADV_HWPOISON
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_INVALID_ARG_VALUE"));
    }

    #[test]
    fn splice_fd_in_fixed_is_checked_against_the_table() {
        let reg = Registrar::default();
        let mut r = rec(OP_SPLICE);
        r[field::FD] = 1.0;
        r[field::AUX] = 0.0;
        r[field::OFF_LO] = -1.0;
        r[field::BUF_OFF] = -1.0;
        r[field::LEN] = 10.0;
        let mut b = Bufs::new(&[]);
        assert_eq!(run(&r, &mut b, &reg), Ok(()));
        r[field::OP_FLAGS] = SPLICE_F_FD_IN_FIXED as f64;
        r[field::BUF_GEN] = 3.0;
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_URING_STALE_HANDLE"));
        r[field::OP_FLAGS] = 16.0;
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_INVALID_ARG_VALUE"));
        r[field::OP_FLAGS] = 0.0;
        r[field::BUF_OFF] = -2.0;
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_OUT_OF_RANGE"));
    }

    #[test]
    fn files_update_leaves_slots_with_handles_alone() {
        let mut reg = Registrar::default();
        let mut r = rec(OP_FILES_UPDATE);
        r[field::LEN] = 2.0;
        r[field::AUX] = 0.0;
        let fds: Vec<u8> = [0i32, -1].iter().flat_map(|v| v.to_ne_bytes()).collect();
        let mut b = Bufs::new(&[&fds]);
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_URING_NOT_REGISTERED"));
        reg.file_table = true;
        reg.files = vec![0, 0, 7];
        assert_eq!(run(&r, &mut b, &reg), Ok(()));
        r[field::AUX] = 1.0;
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_INVALID_ARG_VALUE"));
        r[field::AUX] = 2.0;
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_OUT_OF_RANGE"));
        r[field::AUX] = -1.0; // the kernel picks: every fd must be real
        assert_eq!(run(&r, &mut b, &reg), Err("ERR_OUT_OF_RANGE"));
        r[field::LEN] = 3.0;
        r[field::AUX] = 0.0;
        assert_eq!(
            run(&r, &mut b, &reg),
            Err("ERR_INVALID_ARG_VALUE"),
            "count and array length differ"
        );
    }
}
