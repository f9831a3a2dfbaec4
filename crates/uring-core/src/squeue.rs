//! The staging format: how JavaScript describes an SQE in numbers, and how each staged entry is
//! validated and turned into a real SQE. One encoding path for every op (as liburing's
//! `io_uring_prep_rw`): JS writes numbers, this file checks every one before it reaches the kernel.

use crate::registrar::{Region, Registrar};
use crate::ring::RingError;
use io_uring::{opcode, squeue::Entry as Sqe, squeue::Flags, types, types::Fd, types::FsyncFlags};
pub use libc::iovec as Iovec;
use std::rc::Rc;

/// `f64` words per staged entry.
pub const STRIDE: usize = 16;

/// Word offsets inside one staged entry.
pub mod field {
    pub const OP: usize = 0;
    pub const FLAGS: usize = 1;
    pub const FD: usize = 2;
    pub const SLOT: usize = 3;
    /// Index into the batch's buffer list, or -1.
    pub const BUF: usize = 4;
    /// Byte offset into that buffer.
    pub const BUF_OFF: usize = 5;
    pub const LEN: usize = 6;
    /// File offset: low 32 bits, or -1 for "the current file position".
    pub const OFF_LO: usize = 7;
    pub const OFF_HI: usize = 8;
    /// rw_flags, fsync_flags, ...: the op-specific 32-bit flags word.
    pub const OP_FLAGS: usize = 9;
    pub const IOPRIO: usize = 10;
    pub const PERSONALITY: usize = 11;
    /// Which fields are handles: [`FX_FD`], [`FX_BUF`], [`FX_GROUP`], [`FX_DIRECT`] bits.
    pub const FIXED: usize = 12;
    /// Generation of the `RegisteredFd` in FD.
    pub const FD_GEN: usize = 13;
    /// Generation of the `RegisteredBuf` in BUF (or in AUX for readv/writev), or of the group.
    pub const BUF_GEN: usize = 14;
    /// Op-specific: openat mode, socket domain, the registered buffer of a fixed readv/writev.
    pub const AUX: usize = 15;
}

/// FD is a `RegisteredFd` index (IOSQE_FIXED_FILE).
pub const FX_FD: u32 = 1;
/// BUF is a `RegisteredBuf` index (the *_FIXED opcodes).
pub const FX_BUF: u32 = 2;
/// BUF is a buffer group id (IOSQE_BUFFER_SELECT).
pub const FX_GROUP: u32 = 4;
/// The op creates a direct descriptor (IORING_FILE_INDEX_ALLOC).
pub const FX_DIRECT: u32 = 8;
/// The op creates its descriptor in a chosen pinned slot (`Registrar::direct_slots`): the slot's
/// index in LEN, its generation in FD_GEN.
pub const FX_SLOT: u32 = 16;
pub const AT_FDCWD: i32 = -100;

/// The opcodes this encoder builds (the registrar and the full op set extend it).
pub const OP_NOP: u8 = 0;
pub const OP_READV: u8 = 1;
pub const OP_WRITEV: u8 = 2;
pub const OP_FSYNC: u8 = 3;
pub const OP_READ_FIXED: u8 = 4;
pub const OP_WRITE_FIXED: u8 = 5;
pub const OP_OPENAT: u8 = 18;
pub const OP_CLOSE: u8 = 19;
pub const OP_READ: u8 = 22;
pub const OP_WRITE: u8 = 23;
pub const OP_SOCKET: u8 = 45;
pub const OP_FIXED_FD_INSTALL: u8 = 54;
pub const OP_READV_FIXED: u8 = 60;
pub const OP_WRITEV_FIXED: u8 = 61;

/// SQE flags JS may set: IO_DRAIN, IO_LINK, IO_HARDLINK, ASYNC, CQE_SKIP_SUCCESS. FIXED_FILE
/// and BUFFER_SELECT are chosen by typed handles (registrar), never by hand. CQE_SKIP_SUCCESS
/// is accepted only inside a link chain that ends in this batch (the ring frees such an op's
/// memory when the chain's last op completes; see `ring.rs`).
pub const USER_SQE_FLAGS: u32 = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | SQE_SKIP_SUCCESS;
pub const SQE_IO_LINK: u32 = 1 << 2;
pub const SQE_IO_HARDLINK: u32 = 1 << 3;
pub const SQE_SKIP_SUCCESS: u32 = 1 << 6;

/// user_data of a target that is not in flight (cancel / timeout_remove / poll_remove of a
/// userData no live op has): no op ever carries it, so the kernel answers -ENOENT.
pub const NO_TARGET: u64 = 1 << 62;

/// Most iovecs in one readv/writev (UIO_MAXIOV).
pub const IOV_MAX: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    pub code: &'static str,
    pub message: String,
}

impl OpError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        OpError {
            code,
            message: message.into(),
        }
    }
}

/// Where staged entries find their memory: the batch's list of JS buffers.
pub trait Buffers {
    /// Pointer and byte length of buffer `index` of this batch.
    fn bytes(&mut self, index: u32) -> Result<(*mut u8, usize), OpError>;
    /// The buffers of list `index` of this batch, as iovecs appended to `out`.
    fn list(&mut self, index: u32, out: &mut Vec<libc::iovec>) -> Result<(), OpError>;
}

/// A batch with no buffers.
pub struct NoBuffers;

impl Buffers for NoBuffers {
    fn bytes(&mut self, index: u32) -> Result<(*mut u8, usize), OpError> {
        Err(OpError::new(
            "ERR_INVALID_ARG_VALUE",
            format!("buffer {index} is not in this batch"),
        ))
    }
    fn list(&mut self, index: u32, _out: &mut Vec<libc::iovec>) -> Result<(), OpError> {
        Err(OpError::new(
            "ERR_INVALID_ARG_VALUE",
            format!("buffer list {index} is not in this batch"),
        ))
    }
}

/// Reads an integer word, checking it is an integer in `[min, max]`.
///
/// Every entry reads ~12 words through here, so the accepting path is two compares and a
/// round trip through i64 (`fract()` is a libm call on baseline x86-64); the messages are built
/// out of line. `min`/`max` are within +-2^53, so a value in range is finite and its i64 exact.
#[inline]
pub fn int(rec: &[f64], at: usize, min: f64, max: f64, name: &str) -> Result<i64, OpError> {
    let v = rec[at];
    // NaN fails both compares.
    if v >= min && v <= max {
        let i = v as i64;
        if i as f64 == v {
            return Ok(i);
        }
    }
    Err(int_error(v, min, max, name))
}

#[cold]
#[inline(never)]
fn int_error(v: f64, min: f64, max: f64, name: &str) -> OpError {
    if !v.is_finite() || v.fract() != 0.0 {
        return OpError::new(
            "ERR_OUT_OF_RANGE",
            format!("The value of \"{name}\" is out of range. It must be an integer. Received {v}"),
        );
    }
    OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"{name}\" is out of range. It must be >= {min} && <= {max}. Received {v}"))
}

pub fn slot_of(rec: &[f64]) -> Result<u32, OpError> {
    Ok(int(
        rec,
        field::SLOT,
        0.0,
        (crate::ring::MAX_SLOTS - 1) as f64,
        "slot",
    )? as u32)
}

fn fd(rec: &[f64]) -> Result<i32, OpError> {
    Ok(int(rec, field::FD, 0.0, i32::MAX as f64, "fd")? as i32)
}

/// The file offset: -1 (current position) or 0..2^63-1 from two words.
fn offset(rec: &[f64]) -> Result<u64, OpError> {
    let lo = int(rec, field::OFF_LO, -1.0, u32::MAX as f64, "offset")?;
    let hi = int(rec, field::OFF_HI, 0.0, i32::MAX as f64, "offset")?;
    if lo == -1 {
        if hi != 0 {
            return Err(OpError::new(
                "ERR_OUT_OF_RANGE",
                "The value of \"offset\" is out of range. -1 (current position) has no high word",
            ));
        }
        return Ok(u64::MAX);
    }
    Ok(((hi as u64) << 32) | lo as u64)
}

/// The byte range `[buf_off, buf_off + len)` of the entry's buffer.
fn buffer_range(rec: &[f64], bufs: &mut dyn Buffers) -> Result<(*mut u8, u32), OpError> {
    let index = int(rec, field::BUF, 0.0, u32::MAX as f64, "buffer")? as u32;
    let (ptr, size) = bufs.bytes(index)?;
    let off = int(rec, field::BUF_OFF, 0.0, 9007199254740991.0, "bufferOffset")? as u64;
    let len = int(rec, field::LEN, 0.0, u32::MAX as f64, "length")? as u64;
    if off > size as u64 {
        return Err(OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"bufferOffset\" is out of range. It must be <= {size}. Received {off}")));
    }
    if len > size as u64 - off {
        return Err(OpError::new(
            "ERR_OUT_OF_RANGE",
            format!(
                "The value of \"length\" is out of range. It must be <= {}. Received {len}",
                size as u64 - off
            ),
        ));
    }
    // SAFETY: off <= size, so the result stays inside (or one past the end of) the buffer.
    let p = if size == 0 {
        ptr
    } else {
        unsafe { ptr.add(off as usize) }
    };
    Ok((p, len as u32))
}

fn sqe_flags(rec: &[f64]) -> Result<Flags, OpError> {
    let f = int(rec, field::FLAGS, 0.0, 255.0, "flags")? as u32;
    if f & !USER_SQE_FLAGS != 0 {
        return Err(OpError::new("ERR_INVALID_ARG_VALUE", format!("SQE flags 0x{:x} are not allowed here (allowed: drain, link, hardlink, async, skipSuccess)", f & !USER_SQE_FLAGS)));
    }
    Ok(Flags::from_bits_truncate(f as u8))
}

/// What an op does to the registrar when it completes, and what it keeps alive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Effect {
    #[default]
    None,
    /// A direct descriptor is created (FILE_INDEX_ALLOC): `res` is its table index.
    DirectAlloc,
    /// A direct descriptor is closed.
    CloseDirect { index: u32, gen: u32 },
    /// The kernel picks a buffer of this group.
    Select { group: u16, gen: u32 },
}

/// A validated entry: the SQE, its effect, and registered memory it uses (kept until its CQE).
pub struct Encoded {
    pub sqe: Sqe,
    pub effect: Effect,
    pub hold: Option<Rc<Region>>,
}

/// What encoding may consult: the ring's registrations, which ops its kernel has, and the
/// kernel's release (for variants the probe cannot see, such as multishot flags).
pub struct Ctx<'a> {
    pub reg: &'a Registrar,
    pub supported: &'a [bool],
    pub kernel: (u32, u32),
}

impl Ctx<'_> {
    /// A variant of an op (a flag, a mode) that the opcode probe cannot see: checked against the
    /// running kernel's release.
    pub fn need_kernel(&self, since: &str, what: &str) -> Result<(), OpError> {
        if crate::probe::parse_version(since) <= self.kernel {
            return Ok(());
        }
        Err(OpError::new(
            "ERR_URING_OP_UNSUPPORTED",
            format!(
                "{what} is not supported by this kernel ({}.{}); it needs Linux {since}",
                self.kernel.0, self.kernel.1
            ),
        ))
    }

    fn need(&self, code: u8) -> Result<(), OpError> {
        if self.supported.get(code as usize).copied().unwrap_or(false) {
            return Ok(());
        }
        let (name, since) = crate::probe::op_by_code(code)
            .map(|o| (o.name, o.since))
            .unwrap_or(("unknown", "?"));
        Err(OpError::new(
            "ERR_URING_OP_UNSUPPORTED",
            format!(
                "{name} (opcode {code}) is not supported by this kernel; it needs Linux {since}"
            ),
        ))
    }
}

impl From<RingError> for OpError {
    fn from(e: RingError) -> Self {
        OpError {
            code: e.code,
            message: e.message,
        }
    }
}

/// Memory an op's SQE points at that the ring builds itself (iovecs, timespecs, open_how,
/// epoll_event, futex_waitv): one per slot, boxed so it never moves while the kernel may read it,
/// and left alone until the slot's final CQE.
pub struct SlotMem {
    pub iov: Vec<libc::iovec>,
    pub ts: types::Timespec,
    pub how: types::OpenHow,
    pub epoll: libc::epoll_event,
    pub waitv: Vec<types::FutexWaitV>,
    /// Small scratch words (getsockopt's optlen, ...).
    pub words: [u64; 4],
}

impl Default for SlotMem {
    fn default() -> Self {
        SlotMem {
            iov: Vec::new(),
            ts: types::Timespec::new(),
            how: types::OpenHow::new(),
            epoll: libc::epoll_event { events: 0, u64: 0 },
            waitv: Vec::new(),
            words: [0; 4],
        }
    }
}

impl SlotMem {
    /// Forgets what the last op left (capacity is kept).
    pub fn clear(&mut self) {
        self.iov.clear();
        self.waitv.clear();
    }
}

/// One entry being encoded: its words, the batch's buffers, the slot's memory, and what the
/// family encoders (`ops_fs`, `ops_net`, `ops_ctl`) set besides the SQE.
pub struct Enc<'a, 'c> {
    pub rec: &'a [f64],
    pub bufs: &'a mut dyn Buffers,
    pub mem: &'a mut SlotMem,
    pub ctx: &'a Ctx<'c>,
    /// The FIXED word: which fields are handles.
    pub bits: u32,
    pub ioprio: u16,
    /// SQE flags; an encoder may add BUFFER_SELECT.
    pub flags: Flags,
    pub effect: Effect,
    pub hold: Option<Rc<Region>>,
}

impl Enc<'_, '_> {
    /// An integer word in `[min, max]`.
    pub fn int(&self, at: usize, min: f64, max: f64, name: &str) -> Result<i64, OpError> {
        int(self.rec, at, min, max, name)
    }
    /// A u32 word.
    pub fn u32(&self, at: usize, name: &str) -> Result<u32, OpError> {
        Ok(int(self.rec, at, 0.0, u32::MAX as f64, name)? as u32)
    }
    /// A process fd word (>= 0).
    pub fn raw_fd(&self, at: usize, name: &str) -> Result<i32, OpError> {
        Ok(int(self.rec, at, 0.0, i32::MAX as f64, name)? as i32)
    }
    /// A dirfd word: >= 0 or AT_FDCWD.
    pub fn dirfd(&self, at: usize, name: &str) -> Result<i32, OpError> {
        let d = int(self.rec, at, AT_FDCWD as f64, i32::MAX as f64, name)? as i32;
        if d < 0 && d != AT_FDCWD {
            return Err(OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"{name}\" is out of range. It must be >= 0 or AT_FDCWD (-100). Received {d}")));
        }
        Ok(d)
    }
    /// Refuses handle bits this op cannot take.
    pub fn only(&self, allowed: u32, op: &str) -> Result<(), OpError> {
        only(self.bits, allowed, op)
    }
    /// The opcode must be in the probe.
    pub fn need(&self, code: u8) -> Result<(), OpError> {
        self.ctx.need(code)
    }
    /// The op's FD word: a process fd or a registered file.
    pub fn target(&self) -> Result<Target, OpError> {
        target(self.rec, self.ctx)
    }
    /// The 64-bit offset of OFF_LO/OFF_HI (-1 gives u64::MAX).
    pub fn offset(&self) -> Result<u64, OpError> {
        offset(self.rec)
    }
    /// The batch buffer at BUF + k: pointer and byte length.
    pub fn buf_at(&mut self, k: u32) -> Result<(*mut u8, usize), OpError> {
        let index = int(self.rec, field::BUF, 0.0, u32::MAX as f64, "buffer")? as u32;
        self.bufs.bytes(index + k)
    }
    /// `[BUF_OFF, BUF_OFF + LEN)` of the buffer at BUF.
    pub fn range(&mut self) -> Result<(*mut u8, u32), OpError> {
        buffer_range(self.rec, self.bufs)
    }
    /// The NUL-terminated string at BUF + k.
    pub fn cstr_at(&mut self, k: u32) -> Result<*const libc::c_char, OpError> {
        let (p, n) = self.buf_at(k)?;
        // SAFETY: p..p+n is the live bytes of the batch's buffer.
        let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, n) };
        match bytes.iter().position(|&b| b == 0) {
            Some(0) => Err(OpError::new("ERR_INVALID_ARG_VALUE", "path is empty")),
            Some(_) => Ok(p as *const libc::c_char),
            None => Err(OpError::new(
                "ERR_INVALID_ARG_VALUE",
                "a path or name must end with a NUL byte",
            )),
        }
    }
    /// The buffer at BUF + k as a `T` the kernel reads or writes: at least `size_of::<T>()`
    /// bytes, aligned for `T`.
    pub fn struct_at<T>(&mut self, k: u32, what: &str) -> Result<*mut T, OpError> {
        let (p, n) = self.buf_at(k)?;
        if n < std::mem::size_of::<T>() || !(p as usize).is_multiple_of(std::mem::align_of::<T>()) {
            return Err(OpError::new(
                "ERR_INVALID_ARG_VALUE",
                format!(
                    "{what} needs {} bytes aligned to {}",
                    std::mem::size_of::<T>(),
                    std::mem::align_of::<T>()
                ),
            ));
        }
        Ok(p.cast())
    }
    /// The timespec of BUF_OFF (seconds) and LEN (nanoseconds), stored in the slot.
    pub fn timespec(&mut self) -> Result<*const types::Timespec, OpError> {
        let sec = int(
            self.rec,
            field::BUF_OFF,
            0.0,
            9007199254740991.0,
            "timeout seconds",
        )? as u64;
        let nsec = int(
            self.rec,
            field::LEN,
            0.0,
            999_999_999.0,
            "timeout nanoseconds",
        )? as u32;
        self.mem.ts = types::Timespec::new().sec(sec).nsec(nsec);
        Ok(&self.mem.ts as *const _)
    }
    /// A buffer group to select from (BUF = id, BUF_GEN = generation): sets BUFFER_SELECT, the
    /// Select effect, and holds the group's memory. Returns (id, buffer size).
    pub fn select(&mut self) -> Result<(u16, u32), OpError> {
        let (id, g, size, region) = group(self.rec, self.ctx)?;
        self.hold = Some(region);
        self.effect = Effect::Select { group: id, gen: g };
        self.flags |= Flags::BUFFER_SELECT;
        Ok((id, size))
    }
    /// The iovecs of the buffer list at BUF + k (1..=IOV_MAX), stored in the slot.
    pub fn iovecs_at(&mut self, k: u32) -> Result<(*const libc::iovec, u32), OpError> {
        let index = int(self.rec, field::BUF, 0.0, u32::MAX as f64, "buffers")? as u32;
        self.mem.iov.clear();
        self.bufs.list(index + k, &mut self.mem.iov)?;
        let n = self.mem.iov.len();
        if n == 0 || n > IOV_MAX {
            self.mem.iov.clear();
            return Err(OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"buffers.length\" is out of range. It must be >= 1 && <= {IOV_MAX}. Received {n}")));
        }
        Ok((self.mem.iov.as_ptr(), n as u32))
    }
}

/// Sets raw SQE bytes the `io-uring` builders do not expose (a cancel's opcode match, a socket
/// command's level/optname).
pub fn patch_sqe(e: &mut Sqe, f: impl FnOnce(&mut RawSqe)) {
    const _: () = assert!(std::mem::size_of::<RawSqe>() == 64 && std::mem::size_of::<Sqe>() == 64);
    // SAFETY: `squeue::Entry` is `#[repr(C)]` around exactly one `io_uring_sqe` (64 bytes, 8-aligned
    // for its u64 fields), so a pointer to it is a pointer to those 64 bytes; `RawSqe` is the
    // kernel's layout of them (include/uapi/linux/io_uring.h) with every field plain old data.
    let raw = unsafe { &mut *(e as *mut Sqe as *mut RawSqe) };
    f(raw)
}

/// The 64 bytes of an SQE, as the kernel lays them out (unions named by the field used here).
#[repr(C, align(8))]
pub struct RawSqe {
    pub opcode: u8,
    pub flags: u8,
    pub ioprio: u16,
    pub fd: i32,
    /// off / addr2 / cmd_op+pad
    pub off: u64,
    /// addr / splice_off_in / level+optname
    pub addr: u64,
    pub len: u32,
    /// rw_flags, cancel_flags, ...
    pub op_flags: u32,
    pub user_data: u64,
    pub buf_index: u16,
    pub personality: u16,
    /// splice_fd_in / file_index / optlen / addr_len+pad
    pub file_index: i32,
    /// addr3 / optval
    pub addr3: u64,
    pub pad2: u64,
}

pub enum Target {
    Fd(i32),
    Fixed(u32),
}

/// Builds `$body` with `$f` bound to the op's fd: a process fd or a fixed-file index (the
/// io-uring builders take either type). Shared by every family encoder.
macro_rules! with_fd {
    ($t:expr, |$f:ident| $body:expr) => {
        match $t {
            $crate::squeue::Target::Fd(x) => {
                let $f = io_uring::types::Fd(x);
                $body
            }
            $crate::squeue::Target::Fixed(i) => {
                let $f = io_uring::types::Fixed(i);
                $body
            }
        }
    };
}
pub(crate) use with_fd;

fn fixed_bits(rec: &[f64]) -> Result<u32, OpError> {
    Ok(int(rec, field::FIXED, 0.0, 31.0, "fixed")? as u32)
}

fn gen(rec: &[f64], at: usize, name: &str) -> Result<u32, OpError> {
    Ok(int(rec, at, 0.0, 0x7fff_ffff as f64, name)? as u32)
}

/// The op's file: a process fd, or (FX_FD) a `RegisteredFd` checked against the table.
fn target(rec: &[f64], ctx: &Ctx) -> Result<Target, OpError> {
    if fixed_bits(rec)? & FX_FD != 0 {
        let index = int(rec, field::FD, 0.0, u32::MAX as f64, "fd")? as u32;
        Ok(Target::Fixed(
            ctx.reg
                .file(index, gen(rec, field::FD_GEN, "fd generation")?)?,
        ))
    } else {
        Ok(Target::Fd(fd(rec)?))
    }
}

/// A byte range of a registered buffer: pointer, length, table index, region.
fn fixed_range(rec: &[f64], ctx: &Ctx) -> Result<(*mut u8, u32, u16, Rc<Region>), OpError> {
    let index = int(rec, field::BUF, 0.0, u16::MAX as f64, "buffer")? as u32;
    let region = ctx
        .reg
        .buffer(index, gen(rec, field::BUF_GEN, "buffer generation")?)?
        .clone();
    let size = region.len() as u64;
    let off = int(rec, field::BUF_OFF, 0.0, 9007199254740991.0, "bufferOffset")? as u64;
    let len = int(rec, field::LEN, 0.0, u32::MAX as f64, "length")? as u64;
    if off > size || len > size - off {
        return Err(OpError::new(
            "ERR_OUT_OF_RANGE",
            format!(
                "bytes {off}..{} are outside the registered buffer of {size} bytes",
                off + len
            ),
        ));
    }
    // SAFETY: off <= size, inside (or one past) the region.
    let p = unsafe { region.ptr().add(off as usize) };
    Ok((p, len as u32, index as u16, region))
}

/// The buffer group of a buffer-select op.
fn group(rec: &[f64], ctx: &Ctx) -> Result<(u16, u32, u32, Rc<Region>), OpError> {
    let id = int(rec, field::BUF, 0.0, u16::MAX as f64, "group")? as u32;
    let g = gen(rec, field::BUF_GEN, "group generation")?;
    let grp = ctx.reg.group(id, g)?;
    Ok((id as u16, g, grp.size, grp.region.clone()))
}

fn only(bits: u32, allowed: u32, op: &str) -> Result<(), OpError> {
    if bits & !allowed != 0 {
        return Err(OpError::new(
            "ERR_INVALID_ARG_VALUE",
            format!(
                "{op} cannot take that kind of handle (fixed bits 0x{:x})",
                bits & !allowed
            ),
        ));
    }
    Ok(())
}

/// Validates one staged entry and builds its SQE. `mem` is the slot's own memory (iovecs,
/// timespec, ...); the SQE may point into it, so it must stay put until the slot's final CQE.
pub fn encode(
    rec: &[f64],
    bufs: &mut dyn Buffers,
    mem: &mut SlotMem,
    ctx: &Ctx,
) -> Result<Encoded, OpError> {
    if rec.len() < STRIDE {
        return Err(OpError::new("ERR_INVALID_ARG_VALUE", "short staged entry"));
    }
    let op = int(rec, field::OP, 0.0, 255.0, "opcode")? as u8;
    let mut flags = sqe_flags(rec)?;
    let ioprio = int(rec, field::IOPRIO, 0.0, u16::MAX as f64, "ioprio")? as u16;
    let personality = int(rec, field::PERSONALITY, 0.0, u16::MAX as f64, "personality")? as u16;
    if personality != 0 && !ctx.reg.personalities.contains_key(&personality) {
        return Err(OpError::new(
            "ERR_URING_STALE_HANDLE",
            format!("personality {personality} is not registered with this ring"),
        ));
    }
    let bits = fixed_bits(rec)?;
    // The *_FIXED opcodes are what JS names (and probes); they are built from the base op with a
    // registered buffer, which must then be there.
    let op = match op {
        OP_READ_FIXED | OP_WRITE_FIXED | OP_READV_FIXED | OP_WRITEV_FIXED if bits & FX_BUF == 0 => {
            return Err(OpError::new(
                "ERR_INVALID_ARG_VALUE",
                "a *_FIXED op needs a registered buffer",
            ));
        }
        OP_READ_FIXED => OP_READ,
        OP_WRITE_FIXED => OP_WRITE,
        OP_READV_FIXED => OP_READV,
        OP_WRITEV_FIXED => OP_WRITEV,
        other => other,
    };
    let rw_flags =
        || int(rec, field::OP_FLAGS, 0.0, u32::MAX as f64, "flags").map(|v| v as u32 as i32);
    let mut effect = Effect::None;
    let mut hold = None;
    mem.clear();
    let iov = &mut mem.iov;
    let e = match op {
        OP_NOP => {
            only(bits, 0, "nop")?;
            opcode::Nop::new().build()
        }
        OP_READ | OP_WRITE => {
            only(
                bits,
                FX_FD | FX_BUF | if op == OP_READ { FX_GROUP } else { 0 },
                "read/write",
            )?;
            let t = target(rec, ctx)?;
            let off = offset(rec)?;
            let rwf = rw_flags()?;
            if bits & FX_BUF != 0 {
                let (p, len, index, region) = fixed_range(rec, ctx)?;
                hold = Some(region);
                if op == OP_READ {
                    ctx.need(OP_READ_FIXED)?;
                    with_fd!(t, |f| opcode::ReadFixed::new(f, p, len, index)
                        .offset(off)
                        .rw_flags(rwf)
                        .ioprio(ioprio)
                        .build())
                } else {
                    ctx.need(OP_WRITE_FIXED)?;
                    with_fd!(t, |f| opcode::WriteFixed::new(f, p, len, index)
                        .offset(off)
                        .rw_flags(rwf)
                        .ioprio(ioprio)
                        .build())
                }
            } else if bits & FX_GROUP != 0 {
                ctx.need(op)?;
                let (id, g, size, region) = group(rec, ctx)?;
                hold = Some(region);
                effect = Effect::Select { group: id, gen: g };
                flags |= Flags::BUFFER_SELECT;
                with_fd!(t, |f| opcode::Read::new(f, std::ptr::null_mut(), size)
                    .offset(off)
                    .rw_flags(rwf)
                    .ioprio(ioprio)
                    .buf_group(id)
                    .build())
            } else {
                ctx.need(op)?;
                let (p, len) = buffer_range(rec, bufs)?;
                if op == OP_READ {
                    with_fd!(t, |f| opcode::Read::new(f, p, len)
                        .offset(off)
                        .rw_flags(rwf)
                        .ioprio(ioprio)
                        .build())
                } else {
                    with_fd!(t, |f| opcode::Write::new(f, p, len)
                        .offset(off)
                        .rw_flags(rwf)
                        .ioprio(ioprio)
                        .build())
                }
            }
        }
        OP_READV | OP_WRITEV => {
            only(bits, FX_FD | FX_BUF, "readv/writev")?;
            let t = target(rec, ctx)?;
            let list = int(rec, field::BUF, 0.0, u32::MAX as f64, "buffers")? as u32;
            let mut fixed_index = None;
            if bits & FX_BUF != 0 {
                // The list is (offset, length) pairs inside one registered buffer.
                let index = int(rec, field::AUX, 0.0, u16::MAX as f64, "buffer")? as u32;
                let region = ctx
                    .reg
                    .buffer(index, gen(rec, field::BUF_GEN, "buffer generation")?)?
                    .clone();
                let (p, n) = bufs.bytes(list)?;
                if !n.is_multiple_of(16) || !(p as usize).is_multiple_of(8) {
                    return Err(OpError::new(
                        "ERR_INVALID_ARG_VALUE",
                        "a fixed buffer list must be a Float64Array of (offset, length) pairs",
                    ));
                }
                // SAFETY: p is an 8-aligned Float64Array of n bytes, alive for this call.
                let pairs = unsafe { std::slice::from_raw_parts(p as *const f64, n / 8) };
                for (i, pair) in pairs.chunks(2).enumerate() {
                    let (o, l) = (pair[0], pair[1]);
                    let size = region.len() as f64;
                    if !(o.fract() == 0.0
                        && l.fract() == 0.0
                        && o >= 0.0
                        && l >= 0.0
                        && o + l <= size)
                    {
                        iov.clear();
                        return Err(OpError::new("ERR_OUT_OF_RANGE", format!("buffers[{i}] ({o}, {l}) is outside the registered buffer of {size} bytes")));
                    }
                    // SAFETY: o + l <= size: inside the region.
                    iov.push(libc::iovec {
                        iov_base: unsafe { region.ptr().add(o as usize) }.cast(),
                        iov_len: l as usize,
                    });
                }
                fixed_index = Some(index as u16);
                hold = Some(region);
            } else {
                bufs.list(list, iov)?;
            }
            if iov.is_empty() || iov.len() > IOV_MAX {
                let n = iov.len();
                iov.clear();
                return Err(OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"buffers.length\" is out of range. It must be >= 1 && <= {IOV_MAX}. Received {n}")));
            }
            let off = offset(rec)?;
            let rwf = rw_flags()?;
            let (ptr, n) = (iov.as_ptr(), iov.len() as u32);
            match (op, fixed_index) {
                (OP_READV, Some(i)) => {
                    ctx.need(OP_READV_FIXED)?;
                    with_fd!(t, |f| opcode::ReadvFixed::new(f, ptr, n, i)
                        .offset(off)
                        .rw_flags(rwf)
                        .ioprio(ioprio)
                        .build())
                }
                (_, Some(i)) => {
                    ctx.need(OP_WRITEV_FIXED)?;
                    with_fd!(t, |f| opcode::WritevFixed::new(f, ptr, n, i)
                        .offset(off)
                        .rw_flags(rwf)
                        .ioprio(ioprio)
                        .build())
                }
                (OP_READV, None) => with_fd!(t, |f| opcode::Readv::new(f, ptr, n)
                    .offset(off)
                    .rw_flags(rwf)
                    .ioprio(ioprio)
                    .build()),
                _ => with_fd!(t, |f| opcode::Writev::new(f, ptr, n)
                    .offset(off)
                    .rw_flags(rwf)
                    .ioprio(ioprio)
                    .build()),
            }
        }
        OP_FSYNC => {
            only(bits, FX_FD, "fsync")?;
            let t = target(rec, ctx)?;
            let f = int(rec, field::OP_FLAGS, 0.0, 1.0, "fsyncFlags")? as u32;
            with_fd!(t, |x| opcode::Fsync::new(x)
                .flags(FsyncFlags::from_bits_truncate(f))
                .build())
        }
        OP_OPENAT => {
            ctx.need(op)?;
            only(bits, FX_DIRECT | FX_SLOT, "openat")?;
            let dirfd = int(rec, field::FD, AT_FDCWD as f64, i32::MAX as f64, "dirfd")? as i32;
            if dirfd < 0 && dirfd != AT_FDCWD {
                return Err(OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"dirfd\" is out of range. It must be >= 0 or AT_FDCWD (-100). Received {dirfd}")));
            }
            let path = c_string(rec, bufs)?;
            let oflags = int(rec, field::OP_FLAGS, 0.0, u32::MAX as f64, "flags")? as u32 as i32;
            let mode = int(rec, field::AUX, 0.0, 0o7777 as f64, "mode")? as libc::mode_t;
            let mut b = opcode::OpenAt::new(Fd(dirfd), path)
                .flags(oflags)
                .mode(mode);
            if bits & FX_SLOT != 0 {
                let i = int(rec, field::LEN, 0.0, u32::MAX as f64, "direct slot")? as u32;
                let i = ctx
                    .reg
                    .file(i, gen(rec, field::FD_GEN, "slot generation")?)?;
                if !ctx.reg.is_pinned(i) {
                    return Err(OpError::new("ERR_INVALID_ARG_VALUE", "openat can open into a slot of registrar.directSlots() only; this RegisteredFd names a registered file or a direct descriptor"));
                }
                let slot = types::DestinationSlot::try_from_slot_target(i).map_err(|_| {
                    OpError::new("ERR_OUT_OF_RANGE", "direct slot index out of range")
                })?;
                b = b.file_index(Some(slot));
            } else if bits & FX_DIRECT != 0 {
                b = b.file_index(Some(types::DestinationSlot::auto_target()));
                effect = Effect::DirectAlloc;
            }
            b.build()
        }
        OP_CLOSE => {
            ctx.need(op)?;
            only(bits, FX_FD, "close")?;
            match target(rec, ctx)? {
                Target::Fixed(i) => {
                    effect = Effect::CloseDirect {
                        index: i,
                        gen: gen(rec, field::FD_GEN, "fd generation")?,
                    };
                    opcode::Close::new(types::Fixed(i)).build()
                }
                Target::Fd(fd) => opcode::Close::new(Fd(fd)).build(),
            }
        }
        OP_SOCKET => {
            ctx.need(op)?;
            only(bits, FX_DIRECT, "socket")?;
            let domain = int(rec, field::AUX, 0.0, i32::MAX as f64, "domain")? as i32;
            let ty = int(rec, field::OP_FLAGS, 0.0, i32::MAX as f64, "type")? as i32;
            let proto = int(rec, field::LEN, 0.0, i32::MAX as f64, "protocol")? as i32;
            let slot = (bits & FX_DIRECT != 0).then(types::DestinationSlot::auto_target);
            if slot.is_some() {
                effect = Effect::DirectAlloc;
            }
            opcode::Socket::new(domain, ty, proto)
                .file_index(slot)
                .build()
        }
        OP_FIXED_FD_INSTALL => {
            ctx.need(op)?;
            only(bits, FX_FD, "fixedFdInstall")?;
            let Target::Fixed(i) = target(rec, ctx)? else {
                return Err(OpError::new(
                    "ERR_INVALID_ARG_TYPE",
                    "fixedFdInstall needs a RegisteredFd",
                ));
            };
            let f = int(rec, field::OP_FLAGS, 0.0, 1.0, "flags")? as u32;
            opcode::FixedFdInstall::new(types::Fixed(i), f).build()
        }
        other => {
            let mut enc = Enc {
                rec,
                bufs,
                mem,
                ctx,
                bits,
                ioprio,
                flags,
                effect,
                hold: None,
            };
            let built = crate::ops_fs::encode(other, &mut enc)
                .or_else(|| crate::ops_net::encode(other, &mut enc))
                .or_else(|| crate::ops_ctl::encode(other, &mut enc));
            let Some(built) = built else {
                let name = crate::probe::op_by_code(other)
                    .map(|o| o.name)
                    .unwrap_or("unknown");
                return Err(OpError::new(
                    "ERR_URING_OP_NOT_ENCODABLE",
                    format!("opcode {other} ({name}) cannot be staged by this version of uring"),
                ));
            };
            let e = built.inspect_err(|_| enc.mem.clear())?;
            flags = enc.flags;
            effect = enc.effect;
            hold = enc.hold;
            e
        }
    };
    // `flags` ORs into what the builder set (IOSQE_FIXED_FILE for a `types::Fixed` fd).
    let e = e.flags(flags);
    let sqe = if personality != 0 {
        e.personality(personality)
    } else {
        e
    };
    Ok(Encoded { sqe, effect, hold })
}

/// A NUL-terminated path from the entry's buffer (the kernel reads up to the NUL, so the NUL must
/// be inside the buffer).
fn c_string(rec: &[f64], bufs: &mut dyn Buffers) -> Result<*const libc::c_char, OpError> {
    let index = int(rec, field::BUF, 0.0, u32::MAX as f64, "path")? as u32;
    let (p, n) = bufs.bytes(index)?;
    // SAFETY: p..p+n is the live bytes of the batch's buffer.
    let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, n) };
    match bytes.iter().position(|&b| b == 0) {
        Some(0) => Err(OpError::new("ERR_INVALID_ARG_VALUE", "path is empty")),
        Some(_) => Ok(p as *const libc::c_char),
        None => Err(OpError::new(
            "ERR_INVALID_ARG_VALUE",
            "path must end with a NUL byte",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_accepts_integers_in_range_and_names_what_is_wrong_otherwise() {
        let ok = |v: f64, min: f64, max: f64| int(&[v], 0, min, max, "x");
        assert_eq!(ok(0.0, 0.0, 255.0), Ok(0));
        assert_eq!(ok(255.0, 0.0, 255.0), Ok(255));
        assert_eq!(ok(-1.0, -1.0, u32::MAX as f64), Ok(-1));
        assert_eq!(ok(-0.0, 0.0, 1.0), Ok(0));
        assert_eq!(
            ok(9007199254740991.0, 0.0, 9007199254740991.0),
            Ok(9007199254740991)
        );
        assert_eq!(
            ok(u32::MAX as f64, 0.0, u32::MAX as f64),
            Ok(u32::MAX as i64)
        );
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1.5,
            -0.5,
            4294967295.5,
        ] {
            let e = ok(v, -1.0, u32::MAX as f64).unwrap_err();
            assert_eq!(e.code, "ERR_OUT_OF_RANGE");
            assert!(
                e.message.contains("must be an integer"),
                "{v}: {}",
                e.message
            );
        }
        for v in [256.0, -1.0, 1e300] {
            let e = ok(v, 0.0, 255.0).unwrap_err();
            assert!(
                e.message.contains("must be >= 0 && <= 255"),
                "{v}: {}",
                e.message
            );
        }
    }

    struct One(Vec<u8>, Vec<Vec<u8>>);
    impl Buffers for One {
        fn bytes(&mut self, index: u32) -> Result<(*mut u8, usize), OpError> {
            if index == 0 {
                Ok((self.0.as_mut_ptr(), self.0.len()))
            } else {
                NoBuffers.bytes(index)
            }
        }
        fn list(&mut self, index: u32, out: &mut Vec<libc::iovec>) -> Result<(), OpError> {
            if index != 0 {
                return NoBuffers.list(index, out);
            }
            for b in &mut self.1 {
                out.push(libc::iovec {
                    iov_base: b.as_mut_ptr().cast(),
                    iov_len: b.len(),
                });
            }
            Ok(())
        }
    }

    fn ctx() -> (Registrar, Vec<bool>) {
        (Registrar::default(), vec![true; 64])
    }

    #[test]
    fn handles_are_checked_against_the_registrar() {
        let (reg, sup) = ctx();
        let ctx = Ctx {
            reg: &reg,
            supported: &sup,
            kernel: (6, 18),
        };
        let mut b = One(vec![0; 16], vec![]);
        let mut r = rec(OP_READ);
        r[field::FIXED] = FX_FD as f64;
        r[field::FD_GEN] = 7.0;
        assert_eq!(
            encode(&r, &mut b, &mut SlotMem::default(), &ctx)
                .err()
                .unwrap()
                .code,
            "ERR_URING_STALE_HANDLE"
        );
        let mut r = rec(OP_WRITE);
        r[field::FIXED] = FX_GROUP as f64; // write has no buffer-select form
        assert_eq!(
            encode(&r, &mut b, &mut SlotMem::default(), &ctx)
                .err()
                .unwrap()
                .code,
            "ERR_INVALID_ARG_VALUE"
        );
        let mut r = rec(OP_READ);
        r[field::FIXED] = 32.0;
        assert_eq!(
            encode(&r, &mut b, &mut SlotMem::default(), &ctx)
                .err()
                .unwrap()
                .code,
            "ERR_OUT_OF_RANGE"
        );
        let sup = vec![false; 64];
        let ctx = Ctx {
            reg: &reg,
            supported: &sup,
            kernel: (6, 18),
        };
        let mut r = rec(OP_READ);
        r[field::LEN] = 1.0;
        assert_eq!(
            encode(&r, &mut b, &mut SlotMem::default(), &ctx)
                .err()
                .unwrap()
                .code,
            "ERR_URING_OP_UNSUPPORTED"
        );
    }

    #[test]
    fn paths_must_be_nul_terminated() {
        let (reg, sup) = ctx();
        let ctx = Ctx {
            reg: &reg,
            supported: &sup,
            kernel: (6, 18),
        };
        let mut r = rec(OP_OPENAT);
        r[field::FD] = AT_FDCWD as f64;
        let mut b = One(b"/tmp".to_vec(), vec![]);
        assert_eq!(
            encode(&r, &mut b, &mut SlotMem::default(), &ctx)
                .err()
                .unwrap()
                .code,
            "ERR_INVALID_ARG_VALUE"
        );
        let mut b = One(b"/tmp\0".to_vec(), vec![]);
        assert!(encode(&r, &mut b, &mut SlotMem::default(), &ctx).is_ok());
        r[field::FD] = -2.0;
        assert_eq!(
            encode(&r, &mut b, &mut SlotMem::default(), &ctx)
                .err()
                .unwrap()
                .code,
            "ERR_OUT_OF_RANGE"
        );
    }

    fn rec(op: u8) -> [f64; STRIDE] {
        let mut r = [0.0; STRIDE];
        r[field::OP] = op as f64;
        r[field::BUF] = 0.0;
        r[field::OFF_LO] = 0.0;
        r
    }

    fn err(r: &[f64], b: &mut One) -> &'static str {
        let (reg, sup) = ctx();
        encode(
            r,
            b,
            &mut SlotMem::default(),
            &Ctx {
                reg: &reg,
                supported: &sup,
                kernel: (6, 18),
            },
        )
        .err()
        .unwrap()
        .code
    }

    #[test]
    fn read_checks_every_field() {
        let mut b = One(vec![0; 16], vec![]);
        let mut r = rec(OP_READ);
        r[field::FD] = 3.0;
        r[field::LEN] = 16.0;
        let (reg, sup) = ctx();
        assert!(encode(
            &r,
            &mut b,
            &mut SlotMem::default(),
            &Ctx {
                reg: &reg,
                supported: &sup,
                kernel: (6, 18)
            }
        )
        .is_ok());
        for (f, v) in [
            (field::FD, -1.0),
            (field::FD, 1.5),
            (field::FD, f64::NAN),
            (field::FD, 2f64.powi(31)),
            (field::LEN, 17.0),
            (field::BUF_OFF, 17.0),
            (field::OFF_LO, -2.0),
            (field::OFF_HI, 2f64.powi(31)),
            (field::IOPRIO, 70000.0),
            (field::LEN, -1.0),
        ] {
            let mut bad = r;
            bad[f] = v;
            assert_eq!(err(&bad, &mut b), "ERR_OUT_OF_RANGE", "field {f} = {v}");
        }
        let mut bad = r;
        bad[field::BUF] = 1.0;
        assert_eq!(err(&bad, &mut b), "ERR_INVALID_ARG_VALUE");
        let mut bad = r;
        bad[field::FLAGS] = 1.0; // FIXED_FILE by hand
        assert_eq!(err(&bad, &mut b), "ERR_INVALID_ARG_VALUE");
        let mut bad = r;
        bad[field::BUF_OFF] = 8.0;
        bad[field::LEN] = 9.0;
        assert_eq!(err(&bad, &mut b), "ERR_OUT_OF_RANGE");
    }

    #[test]
    fn offsets_decode() {
        let mut r = rec(OP_NOP);
        r[field::OFF_LO] = -1.0;
        assert_eq!(offset(&r).unwrap(), u64::MAX);
        r[field::OFF_LO] = 5.0;
        r[field::OFF_HI] = 1.0;
        assert_eq!(offset(&r).unwrap(), (1 << 32) | 5);
        r[field::OFF_LO] = -1.0;
        assert!(offset(&r).is_err());
    }

    #[test]
    fn readv_needs_one_to_iov_max_buffers() {
        let mut b = One(vec![], vec![]);
        let mut r = rec(OP_READV);
        assert_eq!(err(&r, &mut b), "ERR_OUT_OF_RANGE");
        b.1 = vec![vec![0; 4], vec![0; 8]];
        let mut mem = SlotMem::default();
        r[field::FD] = 0.0;
        let (reg, sup) = ctx();
        assert!(encode(
            &r,
            &mut b,
            &mut mem,
            &Ctx {
                reg: &reg,
                supported: &sup,
                kernel: (6, 18)
            }
        )
        .is_ok());
        assert_eq!(mem.iov.len(), 2);
        assert_eq!(mem.iov[1].iov_len, 8);
    }

    #[test]
    fn unknown_opcode_is_refused() {
        let mut b = One(vec![], vec![]);
        assert_eq!(err(&rec(200), &mut b), "ERR_URING_OP_NOT_ENCODABLE");
        // Past the op table: every opcode in it belongs to a family encoder.
        assert_eq!(err(&rec(63), &mut b), "ERR_URING_OP_NOT_ENCODABLE");
        let mut r = rec(OP_FSYNC);
        r[field::OP_FLAGS] = 2.0;
        assert_eq!(err(&r, &mut b), "ERR_OUT_OF_RANGE");
    }
}
