//! The staging format: how JavaScript describes an SQE in numbers, and how each staged entry is
//! validated and turned into a real SQE. One encoding path for every op (as liburing's
//! `io_uring_prep_rw`): JS writes numbers, this file checks every one before it reaches the kernel.

pub use libc::iovec as Iovec;
use io_uring::{opcode, squeue::Entry as Sqe, squeue::Flags, types::Fd, types::FsyncFlags};

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
}

/// The opcodes this encoder builds (the registrar and the full op set extend it).
pub const OP_NOP: u8 = 0;
pub const OP_READV: u8 = 1;
pub const OP_WRITEV: u8 = 2;
pub const OP_FSYNC: u8 = 3;
pub const OP_READ: u8 = 22;
pub const OP_WRITE: u8 = 23;

/// SQE flags JS may set: IO_DRAIN, IO_LINK, IO_HARDLINK, ASYNC. FIXED_FILE and BUFFER_SELECT
/// are chosen by typed handles (registrar), never by hand; CQE_SKIP_SUCCESS would end an op
/// without telling us its memory is free, so it is not accepted on ops that carry memory.
pub const USER_SQE_FLAGS: u32 = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4);

/// Most iovecs in one readv/writev (UIO_MAXIOV).
pub const IOV_MAX: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    pub code: &'static str,
    pub message: String,
}

impl OpError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        OpError { code, message: message.into() }
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
        Err(OpError::new("ERR_INVALID_ARG_VALUE", format!("buffer {index} is not in this batch")))
    }
    fn list(&mut self, index: u32, _out: &mut Vec<libc::iovec>) -> Result<(), OpError> {
        Err(OpError::new("ERR_INVALID_ARG_VALUE", format!("buffer list {index} is not in this batch")))
    }
}

/// Reads an integer word, checking it is an integer in `[min, max]`.
pub fn int(rec: &[f64], at: usize, min: f64, max: f64, name: &str) -> Result<i64, OpError> {
    let v = rec[at];
    if !v.is_finite() || v.fract() != 0.0 {
        return Err(OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"{name}\" is out of range. It must be an integer. Received {v}")));
    }
    if v < min || v > max {
        return Err(OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"{name}\" is out of range. It must be >= {min} && <= {max}. Received {v}")));
    }
    Ok(v as i64)
}

pub fn slot_of(rec: &[f64]) -> Result<u32, OpError> {
    Ok(int(rec, field::SLOT, 0.0, (crate::ring::MAX_SLOTS - 1) as f64, "slot")? as u32)
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
            return Err(OpError::new("ERR_OUT_OF_RANGE", "The value of \"offset\" is out of range. -1 (current position) has no high word"));
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
        return Err(OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"length\" is out of range. It must be <= {}. Received {len}", size as u64 - off)));
    }
    // SAFETY: off <= size, so the result stays inside (or one past the end of) the buffer.
    let p = if size == 0 { ptr } else { unsafe { ptr.add(off as usize) } };
    Ok((p, len as u32))
}

fn sqe_flags(rec: &[f64]) -> Result<Flags, OpError> {
    let f = int(rec, field::FLAGS, 0.0, 255.0, "flags")? as u32;
    if f & !USER_SQE_FLAGS != 0 {
        return Err(OpError::new("ERR_INVALID_ARG_VALUE", format!("SQE flags 0x{:x} are not allowed here (allowed: drain, link, hardlink, async)", f & !USER_SQE_FLAGS)));
    }
    Ok(Flags::from_bits_truncate(f as u8))
}

/// Validates one staged entry and builds its SQE. `iov` is the slot's iovec storage; for
/// readv/writev it is filled and the SQE points into it.
pub fn encode(rec: &[f64], bufs: &mut dyn Buffers, iov: &mut Vec<libc::iovec>) -> Result<Sqe, OpError> {
    if rec.len() < STRIDE {
        return Err(OpError::new("ERR_INVALID_ARG_VALUE", "short staged entry"));
    }
    let op = int(rec, field::OP, 0.0, 255.0, "opcode")? as u8;
    let flags = sqe_flags(rec)?;
    let ioprio = int(rec, field::IOPRIO, 0.0, u16::MAX as f64, "ioprio")? as u16;
    let personality = int(rec, field::PERSONALITY, 0.0, u16::MAX as f64, "personality")? as u16;
    let rw_flags = || int(rec, field::OP_FLAGS, 0.0, u32::MAX as f64, "flags").map(|v| v as u32 as i32);
    iov.clear();
    let e = match op {
        OP_NOP => opcode::Nop::new().build(),
        OP_READ | OP_WRITE => {
            let fd = Fd(fd(rec)?);
            let (p, len) = buffer_range(rec, bufs)?;
            let off = offset(rec)?;
            if op == OP_READ {
                opcode::Read::new(fd, p, len).offset(off).rw_flags(rw_flags()?).ioprio(ioprio).build()
            } else {
                opcode::Write::new(fd, p, len).offset(off).rw_flags(rw_flags()?).ioprio(ioprio).build()
            }
        }
        OP_READV | OP_WRITEV => {
            let fd = Fd(fd(rec)?);
            let index = int(rec, field::BUF, 0.0, u32::MAX as f64, "buffers")? as u32;
            bufs.list(index, iov)?;
            if iov.is_empty() || iov.len() > IOV_MAX {
                let n = iov.len();
                iov.clear();
                return Err(OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"buffers.length\" is out of range. It must be >= 1 && <= {IOV_MAX}. Received {n}")));
            }
            let off = offset(rec)?;
            let (ptr, n) = (iov.as_ptr(), iov.len() as u32);
            if op == OP_READV {
                opcode::Readv::new(fd, ptr, n).offset(off).rw_flags(rw_flags()?).ioprio(ioprio).build()
            } else {
                opcode::Writev::new(fd, ptr, n).offset(off).rw_flags(rw_flags()?).ioprio(ioprio).build()
            }
        }
        OP_FSYNC => {
            let fd = Fd(fd(rec)?);
            let f = int(rec, field::OP_FLAGS, 0.0, 1.0, "fsyncFlags")? as u32;
            opcode::Fsync::new(fd).flags(FsyncFlags::from_bits_truncate(f)).build()
        }
        other => {
            let name = crate::probe::op_by_code(other).map(|o| o.name).unwrap_or("unknown");
            return Err(OpError::new("ERR_URING_OP_NOT_ENCODABLE", format!("opcode {other} ({name}) cannot be staged by this version of uring")));
        }
    };
    let e = e.flags(flags);
    Ok(if personality != 0 { e.personality(personality) } else { e })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct One(Vec<u8>, Vec<Vec<u8>>);
    impl Buffers for One {
        fn bytes(&mut self, index: u32) -> Result<(*mut u8, usize), OpError> {
            if index == 0 { Ok((self.0.as_mut_ptr(), self.0.len())) } else { NoBuffers.bytes(index) }
        }
        fn list(&mut self, index: u32, out: &mut Vec<libc::iovec>) -> Result<(), OpError> {
            if index != 0 { return NoBuffers.list(index, out) }
            for b in &mut self.1 {
                out.push(libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() });
            }
            Ok(())
        }
    }

    fn rec(op: u8) -> [f64; STRIDE] {
        let mut r = [0.0; STRIDE];
        r[field::OP] = op as f64;
        r[field::BUF] = 0.0;
        r[field::OFF_LO] = 0.0;
        r
    }

    fn err(r: &[f64], b: &mut One) -> &'static str {
        encode(r, b, &mut Vec::new()).unwrap_err().code
    }

    #[test]
    fn read_checks_every_field() {
        let mut b = One(vec![0; 16], vec![]);
        let mut r = rec(OP_READ);
        r[field::FD] = 3.0;
        r[field::LEN] = 16.0;
        assert!(encode(&r, &mut b, &mut Vec::new()).is_ok());
        for (f, v) in [(field::FD, -1.0), (field::FD, 1.5), (field::FD, f64::NAN), (field::FD, 2f64.powi(31)),
                       (field::LEN, 17.0), (field::BUF_OFF, 17.0), (field::OFF_LO, -2.0), (field::OFF_HI, 2f64.powi(31)),
                       (field::IOPRIO, 70000.0), (field::LEN, -1.0)] {
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
        let mut iov = Vec::new();
        r[field::FD] = 0.0;
        encode(&r, &mut b, &mut iov).unwrap();
        assert_eq!(iov.len(), 2);
        assert_eq!(iov[1].iov_len, 8);
    }

    #[test]
    fn unknown_opcode_is_refused() {
        let mut b = One(vec![], vec![]);
        assert_eq!(err(&rec(200), &mut b), "ERR_URING_OP_NOT_ENCODABLE");
        assert_eq!(err(&rec(13), &mut b), "ERR_URING_OP_NOT_ENCODABLE");
        let mut r = rec(OP_FSYNC);
        r[field::OP_FLAGS] = 2.0;
        assert_eq!(err(&r, &mut b), "ERR_OUT_OF_RANGE");
    }
}
