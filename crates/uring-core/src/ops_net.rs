//! Encoders of the net op family (see squeue::Enc): bind, listen, connect, accept (with the peer's
//! address, multishot), send/sendto, recv (multishot, bundle), sendmsg/recvmsg (multishot),
//! zero-copy sends, shutdown, and the socket commands of IORING_OP_URING_CMD.
//!
//! Every op's FD word is the socket (a process fd, or a `RegisteredFd` with FX_FD). JS encodes
//! socket addresses as sockaddr bytes; they are checked again here ([`sockaddr`]). The word layout
//! of each op is written above its arm in [`encode`] (and in the TS class, lib/ops-net.ts).
//!
//! The SQE's ioprio field carries op flags on these opcodes (IORING_RECV_MULTISHOT,
//! IORING_RECVSEND_*, IORING_ACCEPT_*), so an I/O priority is refused here rather than sent as
//! flags the caller never asked for.

use crate::squeue::{field, patch_sqe, with_fd, Enc, OpError, FX_DIRECT, FX_FD, FX_GROUP};
use io_uring::{opcode, squeue::Entry as Sqe, types};

pub const OP_SENDMSG: u8 = 9;
pub const OP_RECVMSG: u8 = 10;
pub const OP_ACCEPT: u8 = 13;
pub const OP_CONNECT: u8 = 16;
pub const OP_SEND: u8 = 26;
pub const OP_RECV: u8 = 27;
pub const OP_SHUTDOWN: u8 = 34;
pub const OP_URING_CMD: u8 = 46;
pub const OP_SEND_ZC: u8 = 47;
pub const OP_SENDMSG_ZC: u8 = 48;
pub const OP_BIND: u8 = 56;
pub const OP_LISTEN: u8 = 57;

/// AUX word of accept: one connection with its peer's address, or IORING_ACCEPT_MULTISHOT.
pub const ACCEPT_SINGLE: i64 = 0;
pub const ACCEPT_MULTISHOT: i64 = 1;
/// AUX word of recv / recvmsg: bit 0 multishot (IORING_RECV_MULTISHOT), bit 1 bundle (recv only).
pub const RECV_MULTISHOT: i64 = 1;
pub const RECV_BUNDLE: i64 = 2;
/// AUX word of send / sendZc / sendmsgZc: bit 0 a destination address at BUF + 1 (send, sendZc),
/// bit 1 IORING_SEND_ZC_REPORT_USAGE (the zero-copy ones).
pub const SEND_TO: i64 = 1;
pub const SEND_REPORT_USAGE: i64 = 2;
/// OFF_HI word of an IORING_OP_URING_CMD this family owns: a socket command.
pub const CMD_KIND_SOCKET: i64 = 1;

/// IORING_SEND_ZC_REPORT_USAGE (include/uapi/linux/io_uring.h): a bit of the SQE's ioprio field.
const IORING_SEND_ZC_REPORT_USAGE: u16 = 1 << 3;
/// sizeof(struct io_uring_recvmsg_out): the header of each multishot recvmsg buffer.
const RECVMSG_OUT: usize = 16;
/// SOCKET_URING_OP_*: the cmd_op of a socket command.
const SOCKET_URING_OP_SIOCINQ: u32 = 0;
const SOCKET_URING_OP_SIOCOUTQ: u32 = 1;
const SOCKET_URING_OP_GETSOCKOPT: u32 = 2;
const SOCKET_URING_OP_SETSOCKOPT: u32 = 3;

/// Builds the SQE of `op` if it belongs to this family; None otherwise.
pub fn encode(op: u8, e: &mut Enc) -> Option<Result<Sqe, OpError>> {
    let r = match op {
        OP_BIND | OP_CONNECT => bind_connect(op, e),
        OP_LISTEN => listen(e),
        OP_ACCEPT => accept(e),
        OP_SEND | OP_SEND_ZC => send(op, e),
        OP_RECV => recv(e),
        OP_SENDMSG | OP_SENDMSG_ZC => sendmsg(op, e),
        OP_RECVMSG => recvmsg(e),
        OP_SHUTDOWN => shutdown(e),
        OP_URING_CMD if e.rec[field::OFF_HI] == CMD_KIND_SOCKET as f64 => socket_cmd(e),
        _ => return None,
    };
    Some(r)
}

/// The ioprio field carries op flags on net ops: no I/O priority.
fn no_ioprio(e: &Enc, what: &str) -> Result<(), OpError> {
    if e.ioprio != 0 {
        return Err(OpError::new(
            "ERR_INVALID_ARG_VALUE",
            format!("{what} takes no ioprio: the SQE's ioprio field carries its flags"),
        ));
    }
    Ok(())
}

fn msg_flags(e: &Enc) -> Result<u32, OpError> {
    e.u32(field::OP_FLAGS, "flags")
}

/// A sockaddr the kernel reads: `len` bytes at `p`, whose family matches its length
/// (AF_INET 16 bytes, AF_INET6 28, AF_UNIX 2 to 110).
pub fn sockaddr(
    p: *const u8,
    len: usize,
    what: &str,
) -> Result<(*const libc::sockaddr, libc::socklen_t), OpError> {
    let bad = |why: String| {
        Err(OpError::new(
            "ERR_INVALID_ARG_VALUE",
            format!("{what} is not a socket address: {why}"),
        ))
    };
    if len < 2 {
        return bad(format!("{len} bytes"));
    }
    // SAFETY: p..p+len is live memory of the batch and len >= 2; read_unaligned needs no alignment.
    let family = unsafe { (p as *const libc::sa_family_t).read_unaligned() } as i32;
    let ok = match family {
        libc::AF_INET => len == std::mem::size_of::<libc::sockaddr_in>(),
        libc::AF_INET6 => len == std::mem::size_of::<libc::sockaddr_in6>(),
        libc::AF_UNIX => len <= std::mem::size_of::<libc::sockaddr_un>(),
        _ => {
            return bad(format!(
                "family {family} is not AF_INET, AF_INET6 or AF_UNIX"
            ))
        }
    };
    if !ok {
        return bad(format!("{len} bytes is not the size of family {family}"));
    }
    Ok((p as *const libc::sockaddr, len as libc::socklen_t))
}

/// The sockaddr at BUF + k.
fn addr_at(
    e: &mut Enc,
    k: u32,
    what: &str,
) -> Result<(*const libc::sockaddr, libc::socklen_t), OpError> {
    let (p, n) = e.buf_at(k)?;
    sockaddr(p, n, what)
}

/// The buffer at BUF + k, or a null pointer when it is empty (an absent name or control).
fn optional_at(e: &mut Enc, k: u32) -> Result<(*mut u8, usize), OpError> {
    let (p, n) = e.buf_at(k)?;
    Ok(if n == 0 {
        (std::ptr::null_mut(), 0)
    } else {
        (p, n)
    })
}

/// connect's address, which may also be AF_UNSPEC (exactly a 16-byte sockaddr of zeros but the
/// family): connect(2) with it dissolves a datagram socket's association (dgram's disconnect()).
fn unspec_or_addr(e: &mut Enc) -> Result<(*const libc::sockaddr, libc::socklen_t), OpError> {
    let (p, n) = e.buf_at(0)?;
    if n == std::mem::size_of::<libc::sockaddr>() {
        // SAFETY: p..p+16 is live memory of the batch.
        let b = unsafe { std::slice::from_raw_parts(p as *const u8, n) };
        if b.iter().all(|&x| x == 0) {
            return Ok((p as *const libc::sockaddr, n as libc::socklen_t));
        }
    }
    sockaddr(p, n, "address")
}

/// bind (6.11) / connect (5.5). BUF: the address (sockaddr bytes, exactly its length).
fn bind_connect(op: u8, e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(op)?;
    e.only(FX_FD, if op == OP_BIND { "bind" } else { "connect" })?;
    no_ioprio(e, "bind/connect")?;
    let t = e.target()?;
    let (a, len) = if op == OP_CONNECT {
        unspec_or_addr(e)?
    } else {
        addr_at(e, 0, "address")?
    };
    Ok(if op == OP_BIND {
        with_fd!(t, |f| opcode::Bind::new(f, a, len).build())
    } else {
        with_fd!(t, |f| opcode::Connect::new(f, a, len).build())
    })
}

/// listen (6.11). LEN: the backlog.
fn listen(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_LISTEN)?;
    e.only(FX_FD, "listen")?;
    no_ioprio(e, "listen")?;
    let t = e.target()?;
    let backlog = e.int(field::LEN, 0.0, i32::MAX as f64, "backlog")? as i32;
    Ok(with_fd!(t, |f| opcode::Listen::new(f, backlog).build()))
}

/// accept (5.5). OP_FLAGS: accept4 flags (SOCK_NONBLOCK, SOCK_CLOEXEC); FX_DIRECT: a direct
/// descriptor (5.19); AUX: [`ACCEPT_SINGLE`] with BUF = the peer's sockaddr_storage and BUF + 1 =
/// its socklen_t (both the op's own memory, written by the kernel), or [`ACCEPT_MULTISHOT`] (5.19,
/// no address).
fn accept(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_ACCEPT)?;
    e.only(FX_FD | FX_DIRECT, "accept")?;
    no_ioprio(e, "accept")?;
    let t = e.target()?;
    let flags = e.int(field::OP_FLAGS, 0.0, i32::MAX as f64, "flags")? as i32;
    if flags & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) != 0 {
        return Err(OpError::new(
            "ERR_INVALID_ARG_VALUE",
            format!("accept flags 0x{flags:x}: only SOCK_NONBLOCK and SOCK_CLOEXEC"),
        ));
    }
    let direct = e.bits & FX_DIRECT != 0;
    if direct {
        e.ctx
            .need_kernel("5.19", "a direct accept (IORING_FILE_INDEX_ALLOC)")?;
        e.effect = crate::squeue::Effect::DirectAlloc;
    }
    match e.int(field::AUX, 0.0, 1.0, "accept mode")? {
        ACCEPT_MULTISHOT => {
            e.ctx
                .need_kernel("5.19", "multishot accept (IORING_ACCEPT_MULTISHOT)")?;
            Ok(with_fd!(t, |f| opcode::AcceptMulti::new(f)
                .allocate_file_index(direct)
                .flags(flags)
                .build()))
        }
        _ => {
            let (addr, n) = e.buf_at(0)?;
            if n < std::mem::size_of::<libc::sockaddr_storage>() {
                return Err(OpError::new(
                    "ERR_INVALID_ARG_VALUE",
                    format!(
                        "accept's address buffer has {n} bytes; it needs {}",
                        std::mem::size_of::<libc::sockaddr_storage>()
                    ),
                ));
            }
            let len = e.struct_at::<libc::socklen_t>(1, "accept's address length")?;
            // SAFETY: `len` is the op's own 4-aligned socklen_t (checked by struct_at), kept alive by
            // the batch until the final CQE; no other op can have it in flight (the op is exclusive).
            unsafe { len.write(n.min(u32::MAX as usize) as libc::socklen_t) };
            let slot = direct.then(types::DestinationSlot::auto_target);
            Ok(with_fd!(t, |f| opcode::Accept::new(f, addr.cast(), len)
                .flags(flags)
                .file_index(slot)
                .build()))
        }
    }
}

/// send (5.6) / sendZc (6.0). BUF/BUF_OFF/LEN: the bytes; OP_FLAGS: MSG_* flags; AUX bit 0
/// ([`SEND_TO`]): BUF + 1 is the destination address (sendto; 6.1 for send); bit 1
/// ([`SEND_REPORT_USAGE`], sendZc, 6.2): the notification tells whether the bytes were copied.
fn send(op: u8, e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(op)?;
    let what = if op == OP_SEND { "send" } else { "sendZc" };
    e.only(FX_FD, what)?;
    no_ioprio(e, what)?;
    let t = e.target()?;
    let flags = msg_flags(e)? as i32;
    let mode = e.int(field::AUX, 0.0, 3.0, "send mode")?;
    let (p, len) = e.range()?;
    let (to, to_len) = if mode & SEND_TO != 0 {
        if op == OP_SEND {
            e.ctx
                .need_kernel("6.1", "send with a destination address")?;
        }
        addr_at(e, 1, "to")?
    } else {
        (std::ptr::null(), 0)
    };
    if op == OP_SEND {
        if mode & SEND_REPORT_USAGE != 0 {
            return Err(OpError::new(
                "ERR_INVALID_ARG_VALUE",
                "reportUsage is for zero-copy sends only",
            ));
        }
        return Ok(with_fd!(t, |f| opcode::Send::new(f, p, len)
            .flags(flags)
            .dest_addr(to)
            .dest_addr_len(to_len)
            .build()));
    }
    let mut zc = 0;
    if mode & SEND_REPORT_USAGE != 0 {
        e.ctx.need_kernel("6.2", "IORING_SEND_ZC_REPORT_USAGE")?;
        zc |= IORING_SEND_ZC_REPORT_USAGE;
    }
    Ok(with_fd!(t, |f| opcode::SendZc::new(f, p, len)
        .flags(flags)
        .dest_addr(to)
        .dest_addr_len(to_len)
        .zc_flags(zc)
        .build()))
}

/// recv (5.6). FX_GROUP: BUF = the group (the kernel picks a buffer); otherwise BUF/BUF_OFF/LEN
/// are the destination. LEN with a group: at most that many bytes (0 = the group's buffer size).
/// OP_FLAGS: MSG_* flags. AUX: bit 0 [`RECV_MULTISHOT`] (6.0), bit 1 [`RECV_BUNDLE`] (6.10): both
/// need a group.
fn recv(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_RECV)?;
    e.only(FX_FD | FX_GROUP, "recv")?;
    no_ioprio(e, "recv")?;
    let t = e.target()?;
    let flags = msg_flags(e)? as i32;
    let mode = e.int(field::AUX, 0.0, 3.0, "recv mode")?;
    if e.bits & FX_GROUP == 0 {
        if mode != 0 {
            return Err(OpError::new(
                "ERR_INVALID_ARG_VALUE",
                "a multishot or bundle recv needs a BufferGroup",
            ));
        }
        let (p, len) = e.range()?;
        return Ok(with_fd!(t, |f| opcode::Recv::new(f, p, len)
            .flags(flags)
            .build()));
    }
    if mode & RECV_MULTISHOT != 0 {
        e.ctx
            .need_kernel("6.0", "multishot recv (IORING_RECV_MULTISHOT)")?;
        if flags & libc::MSG_WAITALL != 0 {
            return Err(OpError::new(
                "ERR_INVALID_ARG_VALUE",
                "a multishot recv cannot use MSG_WAITALL",
            ));
        }
    }
    if mode & RECV_BUNDLE != 0 {
        e.ctx
            .need_kernel("6.10", "recv bundles (IORING_RECVSEND_BUNDLE)")?;
        let g = e.ctx.reg.group(
            e.u32(field::BUF, "group")?,
            e.u32(field::BUF_GEN, "group generation")?,
        )?;
        if g.incremental || g.is_legacy() {
            return Err(OpError::new("ERR_INVALID_ARG_VALUE", "a recv bundle needs a buffer ring without incremental consumption (not a legacy or incremental group)"));
        }
    }
    let (id, size) = e.select()?;
    let len = e.int(field::LEN, 0.0, size as f64, "length")? as u32;
    Ok(
        match (mode & RECV_MULTISHOT != 0, mode & RECV_BUNDLE != 0) {
            (true, false) => with_fd!(t, |f| opcode::RecvMulti::new(f, id)
                .flags(flags)
                .len(len)
                .build()),
            (false, true) => with_fd!(t, |f| opcode::RecvBundle::new(f, id).flags(flags).build()),
            (true, true) => with_fd!(t, |f| opcode::RecvMultiBundle::new(f, id)
                .flags(flags)
                .build()),
            (false, false) => with_fd!(t, |f| opcode::Recv::new(
                f,
                std::ptr::null_mut(),
                if len == 0 { size } else { len }
            )
            .flags(flags)
            .buf_group(id)
            .build()),
        },
    )
}

/// Fills the msghdr at `m` (JS memory the batch keeps alive) with the slot's iovecs and the given
/// name and control.
fn fill_msghdr(
    m: *mut libc::msghdr,
    iov: (*const libc::iovec, u32),
    name: (*mut u8, usize),
    control: (*mut u8, usize),
) {
    // SAFETY: `m` is a live, aligned msghdr of the op (checked by struct_at); every field written
    // is plain data. Zeroing first leaves no stale pointer in it.
    unsafe {
        m.write(std::mem::zeroed());
        (*m).msg_name = name.0.cast();
        (*m).msg_namelen = name.1 as libc::socklen_t;
        (*m).msg_iov = iov.0 as *mut libc::iovec;
        (*m).msg_iovlen = iov.1 as _;
        (*m).msg_control = control.0.cast();
        (*m).msg_controllen = control.1 as _;
    }
}

/// sendmsg (5.3) / sendmsgZc (6.1). BUF: a fresh msghdr to fill (56 bytes, JS copies it per
/// push); BUF + 1: the data buffers (a list); BUF + 2: the destination address (empty: none);
/// BUF + 3: control messages (empty: none). OP_FLAGS: MSG_* flags. AUX bit 1
/// ([`SEND_REPORT_USAGE`], sendmsgZc, 6.2).
fn sendmsg(op: u8, e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(op)?;
    let what = if op == OP_SENDMSG {
        "sendmsg"
    } else {
        "sendmsgZc"
    };
    e.only(FX_FD, what)?;
    no_ioprio(e, what)?;
    let t = e.target()?;
    let flags = msg_flags(e)?;
    let mode = e.int(field::AUX, 0.0, SEND_REPORT_USAGE as f64, "sendmsg mode")?;
    let mut zc = 0;
    if mode & SEND_REPORT_USAGE != 0 {
        if op == OP_SENDMSG {
            return Err(OpError::new(
                "ERR_INVALID_ARG_VALUE",
                "reportUsage is for zero-copy sends only",
            ));
        }
        e.ctx.need_kernel("6.2", "IORING_SEND_ZC_REPORT_USAGE")?;
        zc |= IORING_SEND_ZC_REPORT_USAGE;
    }
    let m = e.struct_at::<libc::msghdr>(0, "sendmsg's msghdr")?;
    let name = optional_at(e, 2)?;
    if !name.0.is_null() {
        sockaddr(name.0, name.1, "to")?;
    }
    let control = optional_at(e, 3)?;
    let iov = e.iovecs_at(1)?;
    fill_msghdr(m, iov, name, control);
    Ok(if op == OP_SENDMSG {
        with_fd!(t, |f| opcode::SendMsg::new(f, m).flags(flags).build())
    } else {
        with_fd!(t, |f| opcode::SendMsgZc::new(f, m)
            .flags(flags)
            .ioprio(zc)
            .build())
    })
}

/// recvmsg (5.3). OP_FLAGS: MSG_* flags. AUX 0: BUF = the op's msghdr (the kernel writes
/// msg_namelen, msg_controllen and msg_flags back into it), BUF + 1 = the data buffers (a list),
/// BUF + 2 = the op's name buffer, BUF + 3 = the op's control buffer (empty: none).
/// AUX [`RECV_MULTISHOT`] (6.0): FX_GROUP with BUF = the group; OFF_LO = the index (in the batch)
/// of the op's msghdr; BUF_OFF = bytes kept for the name, LEN = bytes kept for control messages,
/// in each buffer after its io_uring_recvmsg_out header.
fn recvmsg(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_RECVMSG)?;
    e.only(FX_FD | FX_GROUP, "recvmsg")?;
    no_ioprio(e, "recvmsg")?;
    let t = e.target()?;
    let flags = msg_flags(e)?;
    let mode = e.int(field::AUX, 0.0, RECV_MULTISHOT as f64, "recvmsg mode")?;
    if mode == 0 {
        if e.bits & FX_GROUP != 0 {
            return Err(OpError::new(
                "ERR_INVALID_ARG_VALUE",
                "a single recvmsg takes buffers, not a BufferGroup",
            ));
        }
        let m = e.struct_at::<libc::msghdr>(0, "recvmsg's msghdr")?;
        let name = optional_at(e, 2)?;
        let control = optional_at(e, 3)?;
        let iov = e.iovecs_at(1)?;
        fill_msghdr(m, iov, name, control);
        return Ok(with_fd!(t, |f| opcode::RecvMsg::new(f, m)
            .flags(flags)
            .build()));
    }
    if e.bits & FX_GROUP == 0 {
        return Err(OpError::new(
            "ERR_INVALID_ARG_VALUE",
            "a multishot recvmsg needs a BufferGroup",
        ));
    }
    e.ctx
        .need_kernel("6.0", "multishot recvmsg (IORING_RECV_MULTISHOT)")?;
    if flags & libc::MSG_WAITALL as u32 != 0 {
        return Err(OpError::new(
            "ERR_INVALID_ARG_VALUE",
            "a multishot recvmsg cannot use MSG_WAITALL",
        ));
    }
    let name_len = e.int(
        field::BUF_OFF,
        0.0,
        std::mem::size_of::<libc::sockaddr_storage>() as f64,
        "nameSize",
    )? as usize;
    let control_len = e.int(field::LEN, 0.0, u32::MAX as f64, "controlSize")? as usize;
    let index = e.u32(field::OFF_LO, "msghdr")?;
    let (p, n) = e.bufs.bytes(index)?;
    if n < std::mem::size_of::<libc::msghdr>()
        || !(p as usize).is_multiple_of(std::mem::align_of::<libc::msghdr>())
    {
        return Err(OpError::new(
            "ERR_INVALID_ARG_VALUE",
            "recvmsg's msghdr needs 56 bytes aligned to 8",
        ));
    }
    let (id, size) = e.select()?;
    let header = RECVMSG_OUT + name_len + control_len;
    if header >= size as usize {
        return Err(OpError::new("ERR_OUT_OF_RANGE", format!("the group's buffers ({size} bytes) leave no room for data after the 16-byte header, {name_len} name bytes and {control_len} control bytes")));
    }
    let m = p as *mut libc::msghdr;
    // Only msg_namelen and msg_controllen matter for multishot: the kernel lays each buffer out as
    // header, name, control, payload.
    fill_msghdr(
        m,
        (std::ptr::null(), 0),
        (std::ptr::null_mut(), name_len),
        (std::ptr::null_mut(), control_len),
    );
    Ok(with_fd!(t, |f| opcode::RecvMsgMulti::new(f, m, id)
        .flags(flags)
        .build()))
}

/// shutdown (5.11). LEN: how (SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2).
fn shutdown(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_SHUTDOWN)?;
    e.only(FX_FD, "shutdown")?;
    no_ioprio(e, "shutdown")?;
    let t = e.target()?;
    let how = e.int(field::LEN, 0.0, 2.0, "how")? as i32;
    Ok(with_fd!(t, |f| opcode::Shutdown::new(f, how).build()))
}

/// A socket command (IORING_OP_URING_CMD on a socket, 6.7). OFF_HI: [`CMD_KIND_SOCKET`]; OFF_LO:
/// the SOCKET_URING_OP_* (SIOCINQ 0, SIOCOUTQ 1, GETSOCKOPT 2, SETSOCKOPT 3). For the sockopts:
/// AUX = level, OP_FLAGS = optname, BUF = optval (getsockopt: the op's own buffer the kernel
/// writes; setsockopt: a copy of the value), LEN = optlen (at most the buffer's size). The SQE
/// carries level and optname in `addr` (level in the low half), optval in `addr3`, optlen in the
/// u32 at `file_index`.
fn socket_cmd(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_URING_CMD)?;
    e.only(FX_FD, "socket command")?;
    no_ioprio(e, "socket command")?;
    e.ctx
        .need_kernel("6.7", "socket commands (IORING_OP_URING_CMD on a socket)")?;
    let t = e.target()?;
    let cmd = e.int(
        field::OFF_LO,
        0.0,
        SOCKET_URING_OP_SETSOCKOPT as f64,
        "socket command",
    )? as u32;
    if cmd == SOCKET_URING_OP_SIOCINQ || cmd == SOCKET_URING_OP_SIOCOUTQ {
        return Ok(with_fd!(t, |f| opcode::UringCmd16::new(f, cmd).build()));
    }
    let level = e.int(field::AUX, 0.0, i32::MAX as f64, "level")? as u32;
    let optname = e.int(field::OP_FLAGS, 0.0, i32::MAX as f64, "optname")? as u32;
    let (p, n) = e.buf_at(0)?;
    let optlen = e.int(field::LEN, 0.0, n.min(i32::MAX as usize) as f64, "optlen")? as u32;
    let optval = if n == 0 { 0 } else { p as u64 };
    if cmd == SOCKET_URING_OP_SETSOCKOPT {
        return Ok(with_fd!(t, |f| opcode::SetSockOpt::new(
            f,
            level,
            optname,
            optval as *const libc::c_void,
            optlen
        )
        .build()));
    }
    debug_assert_eq!(cmd, SOCKET_URING_OP_GETSOCKOPT);
    let mut sqe = with_fd!(t, |f| opcode::UringCmd16::new(f, cmd).build());
    patch_sqe(&mut sqe, |raw| {
        let mut lo = [0u8; 8];
        lo[..4].copy_from_slice(&level.to_ne_bytes());
        lo[4..].copy_from_slice(&optname.to_ne_bytes());
        raw.addr = u64::from_ne_bytes(lo);
        raw.file_index = optlen as i32;
        raw.addr3 = optval;
    });
    Ok(sqe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registrar::Registrar;
    use crate::squeue::{Buffers, Ctx, Effect, NoBuffers, SlotMem, STRIDE};
    use io_uring::squeue::Flags;

    /// Buffers of a test batch: index i is `bytes[i]`; list 1 is `list`.
    struct Bufs(Vec<Vec<u8>>, Vec<Vec<u8>>);
    impl Buffers for Bufs {
        fn bytes(&mut self, index: u32) -> Result<(*mut u8, usize), OpError> {
            match self.0.get_mut(index as usize) {
                Some(b) => Ok((b.as_mut_ptr(), b.len())),
                None => NoBuffers.bytes(index),
            }
        }
        fn list(&mut self, index: u32, out: &mut Vec<libc::iovec>) -> Result<(), OpError> {
            if index != 1 {
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

    fn rec(op: u8) -> [f64; STRIDE] {
        let mut r = [0.0; STRIDE];
        r[field::OP] = op as f64;
        r[field::FD] = 3.0;
        r
    }

    fn run(r: &[f64], b: &mut Bufs, kernel: (u32, u32)) -> Result<RawView, OpError> {
        let reg = Registrar::default();
        let sup = vec![true; 64];
        let ctx = Ctx {
            reg: &reg,
            supported: &sup,
            kernel,
        };
        let mut mem = SlotMem::default();
        let bits = r[field::FIXED] as u32;
        let ioprio = r[field::IOPRIO] as u16;
        let mut e = Enc {
            rec: r,
            bufs: b,
            mem: &mut mem,
            ctx: &ctx,
            bits,
            ioprio,
            flags: Flags::empty(),
            effect: Effect::None,
            hold: None,
        };
        let op = r[field::OP] as u8;
        let mut sqe = encode(op, &mut e).expect("a net op")?;
        let mut v = RawView::default();
        patch_sqe(&mut sqe, |raw| {
            v = RawView {
                opcode: raw.opcode,
                fd: raw.fd,
                off: raw.off,
                addr: raw.addr,
                len: raw.len,
                op_flags: raw.op_flags,
                file_index: raw.file_index,
                addr3: raw.addr3,
                ioprio: raw.ioprio,
            }
        });
        Ok(v)
    }

    #[derive(Default, Debug)]
    struct RawView {
        opcode: u8,
        fd: i32,
        off: u64,
        addr: u64,
        len: u32,
        op_flags: u32,
        file_index: i32,
        addr3: u64,
        ioprio: u16,
    }

    fn v4() -> Vec<u8> {
        let mut a = vec![0u8; 16];
        a[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        a
    }

    #[test]
    fn addresses_must_match_their_family() {
        let mut r = rec(OP_CONNECT);
        let mut b = Bufs(vec![v4()], vec![]);
        let v = run(&r, &mut b, (6, 18)).unwrap();
        assert_eq!((v.opcode, v.fd, v.off), (OP_CONNECT, 3, 16));
        for bad in [
            vec![0u8; 1],
            {
                let mut a = v4();
                a.push(0);
                a
            },
            vec![0u8; 15],
            vec![0u8; 17],
            {
                let mut a = vec![0u8; 111];
                a[..2].copy_from_slice(&(libc::AF_UNIX as u16).to_ne_bytes());
                a
            },
        ] {
            let mut b = Bufs(vec![bad], vec![]);
            assert_eq!(
                run(&r, &mut b, (6, 18)).unwrap_err().code,
                "ERR_INVALID_ARG_VALUE"
            );
        }
        // AF_UNSPEC (16 zero bytes): connect's disconnect; not a bind address.
        let mut b = Bufs(vec![vec![0u8; 16]], vec![]);
        assert_eq!(run(&r, &mut b, (6, 18)).unwrap().off, 16);
        let rb = rec(OP_BIND);
        let mut b = Bufs(vec![vec![0u8; 16]], vec![]);
        assert_eq!(
            run(&rb, &mut b, (6, 18)).unwrap_err().code,
            "ERR_INVALID_ARG_VALUE"
        );
        r[field::IOPRIO] = 1.0;
        let mut b = Bufs(vec![v4()], vec![]);
        assert_eq!(
            run(&r, &mut b, (6, 18)).unwrap_err().code,
            "ERR_INVALID_ARG_VALUE"
        );
    }

    #[test]
    fn accept_writes_the_address_length_and_checks_variants() {
        let mut r = rec(OP_ACCEPT);
        let mut b = Bufs(vec![vec![0; 128], vec![0; 4]], vec![]);
        let v = run(&r, &mut b, (6, 18)).unwrap();
        assert_eq!(u32::from_ne_bytes(b.0[1][..4].try_into().unwrap()), 128);
        assert_eq!(v.addr, b.0[0].as_ptr() as u64);
        assert_eq!(v.off, b.0[1].as_ptr() as u64);
        r[field::AUX] = ACCEPT_MULTISHOT as f64;
        assert_eq!(
            run(&r, &mut b, (5, 18)).unwrap_err().code,
            "ERR_URING_OP_UNSUPPORTED"
        );
        r[field::OP_FLAGS] = libc::SOCK_CLOEXEC as f64;
        let v = run(&r, &mut b, (6, 18)).unwrap();
        assert_eq!(
            (v.ioprio, v.addr, v.op_flags),
            (1, 0, libc::SOCK_CLOEXEC as u32)
        );
        r[field::OP_FLAGS] = 1.0; // not a SOCK_* flag
        assert_eq!(
            run(&r, &mut b, (6, 18)).unwrap_err().code,
            "ERR_INVALID_ARG_VALUE"
        );
    }

    #[test]
    fn socket_commands_put_level_optname_optval_optlen_where_the_kernel_reads_them() {
        let mut r = rec(OP_URING_CMD);
        r[field::OFF_HI] = CMD_KIND_SOCKET as f64;
        r[field::OFF_LO] = SOCKET_URING_OP_GETSOCKOPT as f64;
        r[field::AUX] = libc::SOL_SOCKET as f64;
        r[field::OP_FLAGS] = libc::SO_RCVBUF as f64;
        r[field::LEN] = 4.0;
        let mut b = Bufs(vec![vec![0; 4]], vec![]);
        let v = run(&r, &mut b, (6, 18)).unwrap();
        assert_eq!(v.off as u32, SOCKET_URING_OP_GETSOCKOPT);
        assert_eq!(
            (v.addr as u32, (v.addr >> 32) as u32),
            (libc::SOL_SOCKET as u32, libc::SO_RCVBUF as u32)
        );
        assert_eq!((v.file_index, v.addr3), (4, b.0[0].as_ptr() as u64));
        r[field::OFF_LO] = SOCKET_URING_OP_SETSOCKOPT as f64;
        let v = run(&r, &mut b, (6, 18)).unwrap();
        assert_eq!(
            (v.off as u32, v.addr as u32, v.file_index, v.addr3),
            (
                SOCKET_URING_OP_SETSOCKOPT,
                libc::SOL_SOCKET as u32,
                4,
                b.0[0].as_ptr() as u64
            )
        );
        r[field::LEN] = 5.0; // more than the buffer
        assert_eq!(
            run(&r, &mut b, (6, 18)).unwrap_err().code,
            "ERR_OUT_OF_RANGE"
        );
        r[field::LEN] = 4.0;
        assert_eq!(
            run(&r, &mut b, (6, 6)).unwrap_err().code,
            "ERR_URING_OP_UNSUPPORTED"
        );
        r[field::OFF_LO] = 4.0;
        assert_eq!(
            run(&r, &mut b, (6, 18)).unwrap_err().code,
            "ERR_OUT_OF_RANGE"
        );
        r[field::OFF_HI] = 0.0; // not a socket command: another family's
        let reg = Registrar::default();
        let sup = vec![true; 64];
        let ctx = Ctx {
            reg: &reg,
            supported: &sup,
            kernel: (6, 18),
        };
        let mut mem = SlotMem::default();
        let mut e = Enc {
            rec: &r,
            bufs: &mut b,
            mem: &mut mem,
            ctx: &ctx,
            bits: 0,
            ioprio: 0,
            flags: Flags::empty(),
            effect: Effect::None,
            hold: None,
        };
        assert!(encode(OP_URING_CMD, &mut e).is_none());
    }

    #[test]
    fn sendmsg_fills_the_msghdr_with_iovecs_name_and_control() {
        let r = rec(OP_SENDMSG);
        let mut b = Bufs(
            vec![vec![0; 56], vec![], v4(), vec![7; 24]],
            vec![vec![1; 3], vec![2; 5]],
        );
        let v = run(&r, &mut b, (6, 18)).unwrap();
        let m = b.0[0].as_ptr() as *const libc::msghdr;
        assert_eq!(v.addr, m as u64);
        // SAFETY: the test's 56-byte Vec<u8> holds the msghdr just written (read unaligned).
        let h = unsafe { m.read_unaligned() };
        assert_eq!((h.msg_namelen, h.msg_iovlen, h.msg_controllen), (16, 2, 24));
        assert_eq!(h.msg_name as *const u8, b.0[2].as_ptr());
        let mut b = Bufs(vec![vec![0; 56], vec![], vec![], vec![]], vec![vec![1; 3]]);
        run(&r, &mut b, (6, 18)).unwrap();
        // SAFETY: as above.
        let h = unsafe { (b.0[0].as_ptr() as *const libc::msghdr).read_unaligned() };
        assert!(h.msg_name.is_null() && h.msg_control.is_null());
        let mut b = Bufs(vec![vec![0; 55], vec![], vec![], vec![]], vec![vec![1; 3]]);
        assert_eq!(
            run(&r, &mut b, (6, 18)).unwrap_err().code,
            "ERR_INVALID_ARG_VALUE"
        );
    }

    #[test]
    fn send_to_and_shutdown_and_listen_check_their_words() {
        let mut r = rec(OP_SEND);
        r[field::LEN] = 3.0;
        r[field::AUX] = SEND_TO as f64;
        let mut b = Bufs(vec![vec![1, 2, 3], v4()], vec![]);
        let v = run(&r, &mut b, (6, 18)).unwrap();
        assert_eq!(
            (v.len, v.off, v.file_index),
            (3, b.0[1].as_ptr() as u64, 16)
        );
        assert_eq!(
            run(&r, &mut b, (6, 0)).unwrap_err().code,
            "ERR_URING_OP_UNSUPPORTED"
        );
        r[field::AUX] = SEND_REPORT_USAGE as f64;
        assert_eq!(
            run(&r, &mut b, (6, 18)).unwrap_err().code,
            "ERR_INVALID_ARG_VALUE"
        );
        let mut r = rec(OP_SHUTDOWN);
        r[field::LEN] = 3.0;
        assert_eq!(
            run(&r, &mut b, (6, 18)).unwrap_err().code,
            "ERR_OUT_OF_RANGE"
        );
        r[field::LEN] = 1.0;
        assert_eq!(run(&r, &mut b, (6, 18)).unwrap().len, 1);
        let mut r = rec(OP_LISTEN);
        r[field::LEN] = 2f64.powi(31);
        assert_eq!(
            run(&r, &mut b, (6, 18)).unwrap_err().code,
            "ERR_OUT_OF_RANGE"
        );
        let mut r = rec(OP_RECV);
        r[field::AUX] = RECV_MULTISHOT as f64; // multishot without a group
        assert_eq!(
            run(&r, &mut b, (6, 18)).unwrap_err().code,
            "ERR_INVALID_ARG_VALUE"
        );
    }
}
