//! Encoders of the ctl op family (see squeue::Enc): poll, timeouts, cancellation, msg_ring,
//! futexes, waitid, epoll and raw provided buffers. Each arm says which staging word carries
//! what (the same table is in lib/ops-ctl.ts); every word is checked here again.

use crate::ring::MAX_SLOTS;
use crate::squeue::{field, patch_sqe, Enc, OpError, Target, FX_FD, NO_TARGET};
use io_uring::squeue::{Entry as Sqe, Flags};
use io_uring::{opcode, types};

pub const OP_POLL_ADD: u8 = 6;
pub const OP_POLL_REMOVE: u8 = 7;
pub const OP_TIMEOUT: u8 = 11;
pub const OP_TIMEOUT_REMOVE: u8 = 12;
pub const OP_ASYNC_CANCEL: u8 = 14;
pub const OP_LINK_TIMEOUT: u8 = 15;
pub const OP_EPOLL_CTL: u8 = 29;
pub const OP_PROVIDE_BUFFERS: u8 = 31;
pub const OP_REMOVE_BUFFERS: u8 = 32;
pub const OP_MSG_RING: u8 = 40;
pub const OP_WAITID: u8 = 50;
pub const OP_FUTEX_WAIT: u8 = 51;
pub const OP_FUTEX_WAKE: u8 = 52;
pub const OP_FUTEX_WAITV: u8 = 53;
pub const OP_EPOLL_WAIT: u8 = 59;

/// IORING_POLL_ADD_MULTI / IORING_POLL_UPDATE_EVENTS (include/uapi/linux/io_uring.h).
const POLL_ADD_MULTI: u32 = 1;
const POLL_UPDATE_EVENTS: u32 = 2;
/// Poll bits an op may wait for: the poll(2) bits (POLLIN..POLLRDHUP and the *NORM/*BAND ones)
/// and EPOLLEXCLUSIVE. EPOLLONESHOT/EPOLLET are chosen by io_uring from `multishot`.
const POLL_EVENTS: u32 = 0xffff | libc::EPOLLEXCLUSIVE as u32;

/// IORING_TIMEOUT_* flags.
const TIMEOUT_ABS: u32 = 1 << 0;
const TIMEOUT_UPDATE: u32 = 1 << 1;
const TIMEOUT_BOOTTIME: u32 = 1 << 2;
const TIMEOUT_REALTIME: u32 = 1 << 3;
const LINK_TIMEOUT_UPDATE: u32 = 1 << 4;
const TIMEOUT_ETIME_SUCCESS: u32 = 1 << 5;
const TIMEOUT_MULTISHOT: u32 = 1 << 6;
const TIMEOUT_CLOCKS: u32 = TIMEOUT_BOOTTIME | TIMEOUT_REALTIME;

/// IORING_ASYNC_CANCEL_* flags.
const CANCEL_ALL: u32 = 1 << 0;
const CANCEL_FD: u32 = 1 << 1;
const CANCEL_ANY: u32 = 1 << 2;
const CANCEL_FD_FIXED: u32 = 1 << 3;
const CANCEL_USERDATA: u32 = 1 << 4;
const CANCEL_OP: u32 = 1 << 5;

/// The user_data a msg_ring message carries to the target ring: bit 31 set, the sender's value
/// (0..2^31-1) in bits 0..30. As a slot number it is beyond MAX_SLOTS, so the target ring's
/// bookkeeping never takes it for one of its own ops; its mirror shows it as a negative slot.
pub const MSG_USER_DATA: u64 = 1 << 31;

/// futex2 flags a futex op may use: a 32-bit word, private or shared.
const FUTEX_FLAGS: u32 = (libc::FUTEX2_SIZE_MASK | libc::FUTEX2_PRIVATE) as u32;

/// waitid options: WEXITED, WSTOPPED, WCONTINUED, WNOWAIT.
const WAITID_OPTIONS: u32 =
    (libc::WEXITED | libc::WSTOPPED | libc::WCONTINUED | libc::WNOWAIT) as u32;

/// Most events one epoll_wait op may return.
pub const EPOLL_MAX_EVENTS: u32 = 65536;

/// epoll_create1(EPOLL_CLOEXEC): a new epoll instance for EPOLL_CTL / EPOLL_WAIT (no io_uring op
/// creates one, and Node has no API for it).
pub fn epoll_create() -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: epoll_create1 takes only flags and returns a new fd or -1.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and nothing else owns it.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// Builds the SQE of `op` if it belongs to this family; None otherwise.
pub fn encode(op: u8, e: &mut Enc) -> Option<Result<Sqe, OpError>> {
    Some(match op {
        OP_POLL_ADD => poll_add(e),
        OP_POLL_REMOVE => poll_remove(e),
        OP_TIMEOUT => timeout(e),
        OP_TIMEOUT_REMOVE => timeout_remove(e),
        OP_LINK_TIMEOUT => link_timeout(e),
        OP_ASYNC_CANCEL => cancel(e),
        OP_MSG_RING => msg_ring(e),
        OP_FUTEX_WAIT | OP_FUTEX_WAKE => futex(op, e),
        OP_FUTEX_WAITV => futex_waitv(e),
        OP_WAITID => waitid(e),
        OP_EPOLL_CTL => epoll_ctl(e),
        OP_EPOLL_WAIT => epoll_wait(e),
        OP_PROVIDE_BUFFERS => provide_buffers(e),
        OP_REMOVE_BUFFERS => remove_buffers(e),
        _ => return None,
    })
}

fn bad(code: &'static str, msg: impl Into<String>) -> OpError {
    OpError::new(code, msg)
}

/// The user_data of the op a cancel / remove / update targets: its slot (AUX), or NO_TARGET for
/// -1 (no such op in flight: the kernel answers -ENOENT on the CQE).
fn target_user_data(e: &Enc) -> Result<u64, OpError> {
    let slot = e.int(field::AUX, -1.0, (MAX_SLOTS - 1) as f64, "target slot")?;
    Ok(if slot < 0 { NO_TARGET } else { slot as u64 })
}

/// poll32_events as the kernel reads it (the io-uring builder swaps halves on big-endian too).
fn poll32(events: u32) -> u32 {
    if cfg!(target_endian = "big") {
        events.rotate_left(16)
    } else {
        events
    }
}

/// Clock and absolute bits of a timeout, with the kernels that add them.
fn clock_flags(e: &Enc, f: u32) -> Result<(), OpError> {
    if f & TIMEOUT_CLOCKS == TIMEOUT_CLOCKS {
        return Err(bad(
            "ERR_INVALID_ARG_VALUE",
            "a timeout has one clock: boottime or realtime, not both",
        ));
    }
    if f & TIMEOUT_CLOCKS != 0 {
        e.ctx
            .need_kernel("5.15", "a timeout on the boottime or realtime clock")?;
    }
    Ok(())
}

fn only_flags(f: u32, allowed: u32, what: &str) -> Result<(), OpError> {
    if f & !allowed != 0 {
        return Err(bad(
            "ERR_INVALID_ARG_VALUE",
            format!("{what} flags 0x{:x} are not allowed", f & !allowed),
        ));
    }
    Ok(())
}

// POLL_ADD. FD: fd (or RegisteredFd), OP_FLAGS: poll events, LEN: 1 = multishot.
fn poll_add(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_POLL_ADD)?;
    e.only(FX_FD, "pollAdd")?;
    let events = e.u32(field::OP_FLAGS, "events")?;
    only_flags(events, POLL_EVENTS, "poll")?;
    let multi = e.int(field::LEN, 0.0, 1.0, "multishot")? == 1;
    if multi {
        e.ctx
            .need_kernel("5.13", "multishot poll (IORING_POLL_ADD_MULTI)")?;
    }
    Ok(match e.target()? {
        Target::Fd(fd) => opcode::PollAdd::new(types::Fd(fd), events)
            .multi(multi)
            .build(),
        Target::Fixed(i) => opcode::PollAdd::new(types::Fixed(i), events)
            .multi(multi)
            .build(),
    })
}

// POLL_REMOVE. AUX: target slot (-1: none). LEN: 0 = remove, else IORING_POLL_UPDATE_EVENTS
// (| IORING_POLL_ADD_MULTI) with the new events in OP_FLAGS (5.13). The target's user_data is
// never updated (it is the slot the ring tracks the op by).
fn poll_remove(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_POLL_REMOVE)?;
    e.only(0, "pollRemove")?;
    let ud = target_user_data(e)?;
    let upd = e.u32(field::LEN, "poll update flags")?;
    let events = e.u32(field::OP_FLAGS, "events")?;
    let mut sqe = opcode::PollRemove::new(ud).build();
    match upd {
        0 if events == 0 => {}
        0 => {
            return Err(bad(
                "ERR_INVALID_ARG_VALUE",
                "pollRemove takes no events (a poll update does)",
            ))
        }
        u if u == POLL_UPDATE_EVENTS || u == POLL_UPDATE_EVENTS | POLL_ADD_MULTI => {
            e.ctx
                .need_kernel("5.13", "poll update (IORING_POLL_UPDATE_EVENTS)")?;
            only_flags(events, POLL_EVENTS, "poll")?;
            patch_sqe(&mut sqe, |r| {
                r.len = u;
                r.op_flags = poll32(events);
            });
        }
        u => {
            return Err(bad(
                "ERR_INVALID_ARG_VALUE",
                format!("poll update flags 0x{u:x} are not allowed"),
            ))
        }
    }
    Ok(sqe)
}

// TIMEOUT. BUF_OFF: seconds, LEN: nanoseconds (the slot's timespec), OP_FLAGS: IORING_TIMEOUT_*
// (ABS, BOOTTIME/REALTIME, ETIME_SUCCESS, MULTISHOT), OFF_LO: count (completions, or with
// MULTISHOT the number of expirations; 0 = until removed).
fn timeout(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_TIMEOUT)?;
    e.only(0, "timeout")?;
    let f = e.u32(field::OP_FLAGS, "timeout flags")?;
    only_flags(
        f,
        TIMEOUT_ABS | TIMEOUT_CLOCKS | TIMEOUT_ETIME_SUCCESS | TIMEOUT_MULTISHOT,
        "timeout",
    )?;
    clock_flags(e, f)?;
    if f & TIMEOUT_ETIME_SUCCESS != 0 {
        e.ctx
            .need_kernel("5.16", "etimeSuccess (IORING_TIMEOUT_ETIME_SUCCESS)")?;
    }
    if f & TIMEOUT_MULTISHOT != 0 {
        e.ctx
            .need_kernel("6.4", "a multishot timeout (IORING_TIMEOUT_MULTISHOT)")?;
        if f & TIMEOUT_ABS != 0 {
            return Err(bad(
                "ERR_INVALID_ARG_VALUE",
                "a multishot timeout is relative: it cannot be absolute",
            ));
        }
    }
    let count = e.u32(field::OFF_LO, "count")?;
    let ts = e.timespec()?;
    Ok(opcode::Timeout::new(ts)
        .count(count)
        .flags(types::TimeoutFlags::from_bits_retain(f))
        .build())
}

// TIMEOUT_REMOVE. AUX: target slot (-1: none). OP_FLAGS: 0 = remove; else an update (5.11):
// IORING_TIMEOUT_UPDATE, plus IORING_LINK_TIMEOUT_UPDATE (5.15) for a link timeout (the kernel
// takes the update path only with TIMEOUT_UPDATE set), with ABS and a clock, and the new time
// in BUF_OFF (seconds) / LEN (nanoseconds).
fn timeout_remove(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_TIMEOUT_REMOVE)?;
    e.only(0, "timeoutRemove")?;
    let ud = target_user_data(e)?;
    let f = e.u32(field::OP_FLAGS, "timeout flags")?;
    if f == 0 {
        return Ok(opcode::TimeoutRemove::new(ud).build());
    }
    only_flags(
        f,
        TIMEOUT_UPDATE | LINK_TIMEOUT_UPDATE | TIMEOUT_ABS | TIMEOUT_CLOCKS,
        "timeout update",
    )?;
    if f & TIMEOUT_UPDATE == 0 {
        return Err(bad(
            "ERR_INVALID_ARG_VALUE",
            "a timeout update carries IORING_TIMEOUT_UPDATE",
        ));
    }
    e.ctx
        .need_kernel("5.11", "timeoutUpdate (IORING_TIMEOUT_UPDATE)")?;
    if f & LINK_TIMEOUT_UPDATE != 0 {
        e.ctx.need_kernel(
            "5.15",
            "updating a link timeout (IORING_LINK_TIMEOUT_UPDATE)",
        )?;
    }
    clock_flags(e, f)?;
    let ts = e.timespec()?;
    Ok(opcode::TimeoutUpdate::new(ud, ts)
        .flags(types::TimeoutFlags::from_bits_retain(f))
        .build())
}

// LINK_TIMEOUT. BUF_OFF: seconds, LEN: nanoseconds, OP_FLAGS: ABS and a clock.
fn link_timeout(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_LINK_TIMEOUT)?;
    e.only(0, "linkTimeout")?;
    let f = e.u32(field::OP_FLAGS, "timeout flags")?;
    only_flags(f, TIMEOUT_ABS | TIMEOUT_CLOCKS, "linkTimeout")?;
    clock_flags(e, f)?;
    let ts = e.timespec()?;
    Ok(opcode::LinkTimeout::new(ts)
        .flags(types::TimeoutFlags::from_bits_retain(f))
        .build())
}

// ASYNC_CANCEL. OP_FLAGS: IORING_ASYNC_CANCEL_{ALL, FD, ANY, USERDATA, OP} (FD_FIXED is added
// here for a RegisteredFd); AUX: target slot (-1: none) when matching by user_data; FD: the fd
// (FX_FD: a RegisteredFd) with CANCEL_FD; LEN: the opcode with CANCEL_OP.
fn cancel(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_ASYNC_CANCEL)?;
    e.only(FX_FD, "asyncCancel")?;
    let mut f = e.u32(field::OP_FLAGS, "cancel flags")?;
    only_flags(
        f,
        CANCEL_ALL | CANCEL_FD | CANCEL_ANY | CANCEL_USERDATA | CANCEL_OP,
        "cancel",
    )?;
    if f & (CANCEL_ALL | CANCEL_FD | CANCEL_ANY) != 0 {
        e.ctx.need_kernel(
            "5.19",
            "cancel by fd, all or any (IORING_ASYNC_CANCEL_FD/ALL/ANY)",
        )?;
    }
    if f & (CANCEL_USERDATA | CANCEL_OP) != 0 {
        e.ctx.need_kernel(
            "6.6",
            "cancel by opcode, or by userData with fd/opcode (IORING_ASYNC_CANCEL_OP/USERDATA)",
        )?;
    }
    if f & CANCEL_ANY != 0 && f & (CANCEL_FD | CANCEL_OP | CANCEL_USERDATA) != 0 {
        return Err(bad(
            "ERR_INVALID_ARG_VALUE",
            "cancel { any: true } matches every op: it takes no userData, fd or opcode",
        ));
    }
    let by_user_data = f & CANCEL_USERDATA != 0 || f & (CANCEL_FD | CANCEL_OP | CANCEL_ANY) == 0;
    let ud = if by_user_data {
        target_user_data(e)?
    } else {
        0
    };
    let fd = if f & CANCEL_FD != 0 {
        match e.target()? {
            Target::Fd(fd) => fd,
            Target::Fixed(i) => {
                f |= CANCEL_FD_FIXED;
                i as i32
            }
        }
    } else {
        if e.bits & FX_FD != 0 {
            return Err(bad(
                "ERR_INVALID_ARG_VALUE",
                "a RegisteredFd is only taken by cancel { fd }",
            ));
        }
        -1
    };
    let code = if f & CANCEL_OP != 0 {
        e.int(field::LEN, 0.0, 255.0, "opcode")? as u32
    } else {
        0
    };
    let mut sqe = opcode::AsyncCancel::new(ud).build();
    patch_sqe(&mut sqe, |r| {
        r.fd = fd;
        r.op_flags = f;
        r.len = code;
    });
    Ok(sqe)
}

// MSG_RING. FD: the target ring's fd (or a RegisteredFd holding it), AUX: 0 = data, 1 = send a
// fd, BUF_OFF: the value the target's CQE carries (0..2^31-1, sent as MSG_USER_DATA | value).
// Data: LEN = the target CQE's res. Send fd (6.0): OFF_LO = this ring's RegisteredFd index,
// BUF_GEN = its generation, LEN = the target table slot or -1 for any free one.
fn msg_ring(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_MSG_RING)?;
    e.only(FX_FD, "msgRing")?;
    let kind = e.int(field::AUX, 0.0, 1.0, "message kind")?;
    let value = e.int(
        field::BUF_OFF,
        0.0,
        (MSG_USER_DATA - 1) as f64,
        "message userData",
    )? as u64;
    let (ring_fd, fixed) = match e.target()? {
        Target::Fd(fd) => (fd, false),
        Target::Fixed(i) => (i as i32, true),
    };
    let ud = MSG_USER_DATA | value;
    let sqe = if kind == 0 {
        let res = e.int(field::LEN, i32::MIN as f64, i32::MAX as f64, "res")? as i32;
        opcode::MsgRingData::new(types::Fd(ring_fd), res, ud, None).build()
    } else {
        e.ctx.need_kernel("6.0", "msgRingFd (IORING_MSG_SEND_FD)")?;
        let index = e.u32(field::OFF_LO, "sourceFd")?;
        let gen = e.int(
            field::BUF_GEN,
            0.0,
            0x7fff_ffff as f64,
            "sourceFd generation",
        )? as u32;
        let src = e.ctx.reg.file(index, gen)?;
        let slot = e.int(field::LEN, -1.0, (u32::MAX - 2) as f64, "targetSlot")?;
        let dest = if slot < 0 {
            types::DestinationSlot::auto_target()
        } else {
            types::DestinationSlot::try_from_slot_target(slot as u32).map_err(|s| {
                bad(
                    "ERR_OUT_OF_RANGE",
                    format!("targetSlot {s} is out of range"),
                )
            })?
        };
        opcode::MsgRingSendFd::new(types::Fd(ring_fd), types::Fixed(src), dest, ud).build()
    };
    if fixed {
        // The builder only takes a process fd; the kernel resolves the ring fd like any file.
        e.flags |= Flags::FIXED_FILE;
    }
    Ok(sqe)
}

/// The futex word at BUF + k, byte offset `off`: 4 bytes inside the buffer, 4-aligned.
fn futex_word(e: &mut Enc, k: u32, off: f64, name: &str) -> Result<*const u32, OpError> {
    let (p, n) = e.buf_at(k)?;
    if !(off.is_finite() && off.fract() == 0.0 && off >= 0.0 && off + 4.0 <= n as f64) {
        return Err(bad(
            "ERR_OUT_OF_RANGE",
            format!("{name}: byte offset {off} leaves no 4-byte word in a buffer of {n} bytes"),
        ));
    }
    // SAFETY: off + 4 <= n: the word lies inside the buffer.
    let w = unsafe { p.add(off as usize) };
    if !(w as usize).is_multiple_of(4) {
        return Err(bad(
            "ERR_URING_UNALIGNED",
            format!(
                "{name}: a futex word must be 4-byte aligned (address 0x{:x})",
                w as usize
            ),
        ));
    }
    Ok(w as *const u32)
}

fn futex_flags(e: &Enc) -> Result<u32, OpError> {
    let f = e.u32(field::OP_FLAGS, "futex flags")?;
    if f & !FUTEX_FLAGS != 0 || f & libc::FUTEX2_SIZE_MASK as u32 != libc::FUTEX2_SIZE_U32 as u32 {
        return Err(bad("ERR_INVALID_ARG_VALUE", format!("futex flags 0x{f:x}: the word is 32 bits (FUTEX2_SIZE_U32), optionally FUTEX2_PRIVATE")));
    }
    Ok(f)
}

// FUTEX_WAIT / FUTEX_WAKE. BUF: the buffer holding the word, BUF_OFF: its byte offset,
// OFF_LO: the expected value (wait) or how many to wake (wake), AUX: the bitset mask,
// OP_FLAGS: futex2 flags. The word is shared memory: never copied.
fn futex(op: u8, e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(op)?;
    e.only(
        0,
        if op == OP_FUTEX_WAIT {
            "futexWait"
        } else {
            "futexWake"
        },
    )?;
    let flags = futex_flags(e)?;
    let mask = e.u32(field::AUX, "mask")? as u64;
    if mask == 0 {
        return Err(bad("ERR_OUT_OF_RANGE", "a futex mask of 0 matches nothing"));
    }
    let val = if op == OP_FUTEX_WAIT {
        e.u32(field::OFF_LO, "expected")? as u64
    } else {
        e.int(field::OFF_LO, 1.0, i32::MAX as f64, "count")? as u64
    };
    let off = e.rec[field::BUF_OFF];
    let word = futex_word(e, 0, off, "word")?;
    Ok(if op == OP_FUTEX_WAIT {
        opcode::FutexWait::new(word, val, mask, flags).build()
    } else {
        opcode::FutexWake::new(word, val, mask, flags).build()
    })
}

// FUTEX_WAITV. BUF: a Float64Array of (byte offset, expected) pairs, BUF + 1 + i: the buffer of
// word i; LEN: the number of words (1..128); OP_FLAGS: futex2 flags of every word. The
// futex_waitv array is the slot's own (`mem.waitv`).
fn futex_waitv(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_FUTEX_WAITV)?;
    e.only(0, "futexWaitv")?;
    let flags = futex_flags(e)?;
    let n = e.int(
        field::LEN,
        1.0,
        libc::FUTEX_WAITV_MAX as f64,
        "words.length",
    )? as usize;
    let (p, bytes) = e.buf_at(0)?;
    if bytes != n * 16 || !(p as usize).is_multiple_of(8) {
        return Err(bad(
            "ERR_INVALID_ARG_VALUE",
            "futexWaitv needs a Float64Array of (byte offset, expected) pairs, one per word",
        ));
    }
    // SAFETY: p is an 8-aligned buffer of exactly 2n f64s, alive for this call (it is read here only).
    let pairs: Vec<f64> = unsafe { std::slice::from_raw_parts(p as *const f64, 2 * n) }.to_vec();
    let mut waitv = std::mem::take(&mut e.mem.waitv);
    waitv.clear();
    for i in 0..n {
        let expected = pairs[2 * i + 1];
        if !(expected.is_finite()
            && expected.fract() == 0.0
            && (0.0..=u32::MAX as f64).contains(&expected))
        {
            e.mem.waitv = waitv;
            return Err(bad(
                "ERR_OUT_OF_RANGE",
                format!(
                    "words[{i}].expected must be a 32-bit unsigned integer. Received {expected}"
                ),
            ));
        }
        match futex_word(e, 1 + i as u32, pairs[2 * i], &format!("words[{i}]")) {
            Ok(w) => waitv.push(
                types::FutexWaitV::new()
                    .val(expected as u64)
                    .uaddr(w as u64)
                    .flags(flags),
            ),
            Err(err) => {
                e.mem.waitv = waitv;
                return Err(err);
            }
        }
    }
    e.mem.waitv = waitv;
    Ok(opcode::FutexWaitV::new(e.mem.waitv.as_ptr(), n as u32).build())
}

// WAITID. LEN: idtype (P_ALL, P_PID, P_PGID), FD: id, OP_FLAGS: WEXITED | WSTOPPED |
// WCONTINUED | WNOWAIT, BUF: the op's own siginfo_t (128 bytes) the kernel fills.
fn waitid(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_WAITID)?;
    e.only(0, "waitid")?;
    let idtype = e.int(
        field::LEN,
        libc::P_ALL as f64,
        libc::P_PGID as f64,
        "idtype",
    )? as libc::idtype_t;
    let id = e.int(field::FD, 0.0, i32::MAX as f64, "id")? as libc::id_t;
    let options = e.u32(field::OP_FLAGS, "options")?;
    only_flags(options, WAITID_OPTIONS, "waitid")?;
    if options & (libc::WEXITED | libc::WSTOPPED | libc::WCONTINUED) as u32 == 0 {
        return Err(bad(
            "ERR_INVALID_ARG_VALUE",
            "waitid needs at least one of exited, stopped, continued",
        ));
    }
    let info = e.struct_at::<libc::siginfo_t>(0, "waitid's siginfo_t")?;
    Ok(opcode::WaitId::new(idtype, id, options as libc::c_int)
        .infop(info)
        .build())
}

// EPOLL_CTL. FD: the epoll fd (a process fd: the kernel passes the number to epoll_ctl, so a
// registered file is -EINVAL), OFF_LO: the fd to add/modify/delete, LEN: EPOLL_CTL_ADD/DEL/MOD,
// OP_FLAGS: events, BUF_OFF / AUX: low / high 32 bits of `data`. The epoll_event is the slot's
// own (`mem.epoll`).
fn epoll_ctl(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_EPOLL_CTL)?;
    e.only(0, "epollCtl")?;
    let epfd = e.raw_fd(field::FD, "epfd")?;
    let fd = e.raw_fd(field::OFF_LO, "fd")?;
    let op = e.int(
        field::LEN,
        libc::EPOLL_CTL_ADD as f64,
        libc::EPOLL_CTL_MOD as f64,
        "epoll op",
    )? as i32;
    let events = e.u32(field::OP_FLAGS, "events")?;
    let lo = e.u32(field::BUF_OFF, "data")? as u64;
    let hi = e.u32(field::AUX, "data")? as u64;
    e.mem.epoll = libc::epoll_event {
        events,
        u64: (hi << 32) | lo,
    };
    let ev = &e.mem.epoll as *const libc::epoll_event as *const types::epoll_event;
    Ok(opcode::EpollCtl::new(types::Fd(epfd), types::Fd(fd), op, ev).build())
}

// EPOLL_WAIT (6.15). FD: the epoll fd (or RegisteredFd), LEN: most events, BUF: the op's own
// array of epoll_event the kernel fills (LEN * sizeof(epoll_event) bytes at least).
fn epoll_wait(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_EPOLL_WAIT)?;
    e.only(FX_FD, "epollWait")?;
    let max = e.int(field::LEN, 1.0, EPOLL_MAX_EVENTS as f64, "maxEvents")? as u32;
    let (p, n) = e.buf_at(0)?;
    let size = std::mem::size_of::<libc::epoll_event>();
    if n < max as usize * size
        || !(p as usize).is_multiple_of(std::mem::align_of::<libc::epoll_event>())
    {
        return Err(bad(
            "ERR_INVALID_ARG_VALUE",
            format!(
                "epollWait needs {} bytes for {max} events of {size} bytes",
                max as usize * size
            ),
        ));
    }
    let events = p as *mut types::epoll_event;
    Ok(match e.target()? {
        Target::Fd(fd) => opcode::EpollWait::new(types::Fd(fd), events, max).build(),
        Target::Fixed(i) => opcode::EpollWait::new(types::Fixed(i), events, max).build(),
    })
}

/// A raw group id: not one the ring's registrar manages (its BufferGroups).
fn raw_group(e: &Enc) -> Result<u16, OpError> {
    let id = e.int(field::AUX, 0.0, u16::MAX as f64, "groupId")? as u16;
    if e.ctx.reg.groups.contains_key(&id) {
        return Err(bad("ERR_URING_GROUP_EXISTS", format!("buffer group {id} is managed by this ring's registrar (a BufferGroup): raw provide/remove ops cannot touch it")));
    }
    Ok(id)
}

// PROVIDE_BUFFERS. AUX: group id, BUF: the memory (by reference), BUF_OFF: where the first
// buffer starts in it, LEN: each buffer's size, FD: how many, OFF_LO: the first buffer id.
fn provide_buffers(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_PROVIDE_BUFFERS)?;
    e.only(0, "provideBuffers")?;
    let gid = raw_group(e)?;
    let count = e.int(field::FD, 1.0, u16::MAX as f64, "count")? as u64;
    let size = e.int(field::LEN, 1.0, i32::MAX as f64, "size")? as u64;
    let bid = e.int(field::OFF_LO, 0.0, u16::MAX as f64, "startId")? as u64;
    if bid + count > 1 << 16 {
        return Err(bad(
            "ERR_OUT_OF_RANGE",
            format!("buffer ids {bid}..{} go beyond 65535", bid + count - 1),
        ));
    }
    let off = e.int(field::BUF_OFF, 0.0, 9007199254740991.0, "bufferOffset")? as u64;
    let (p, n) = e.buf_at(0)?;
    if off > n as u64 || count * size > n as u64 - off {
        return Err(bad(
            "ERR_OUT_OF_RANGE",
            format!(
                "{count} buffers of {size} bytes do not fit {} bytes",
                n as u64 - off.min(n as u64)
            ),
        ));
    }
    // SAFETY: off <= n: inside (or one past) the buffer.
    let base = unsafe { p.add(off as usize) };
    Ok(opcode::ProvideBuffers::new(base, size as i32, count as u16, gid, bid as u16).build())
}

// REMOVE_BUFFERS. AUX: group id, FD: how many buffers at most.
fn remove_buffers(e: &mut Enc) -> Result<Sqe, OpError> {
    e.need(OP_REMOVE_BUFFERS)?;
    e.only(0, "removeBuffers")?;
    let gid = raw_group(e)?;
    let count = e.int(field::FD, 1.0, u16::MAX as f64, "count")? as u16;
    Ok(opcode::RemoveBuffers::new(count, gid).build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registrar::Registrar;
    use crate::squeue::{self, Buffers, Ctx, SlotMem, STRIDE};

    struct Bufs(Vec<Vec<u8>>);
    impl Buffers for Bufs {
        fn bytes(&mut self, index: u32) -> Result<(*mut u8, usize), OpError> {
            let b = self
                .0
                .get_mut(index as usize)
                .ok_or_else(|| OpError::new("ERR_INVALID_ARG_VALUE", "no such buffer"))?;
            Ok((b.as_mut_ptr(), b.len()))
        }
        fn list(&mut self, _: u32, _: &mut Vec<libc::iovec>) -> Result<(), OpError> {
            Err(OpError::new("ERR_INVALID_ARG_VALUE", "none"))
        }
    }

    fn rec(op: u8) -> [f64; STRIDE] {
        let mut r = [0.0; STRIDE];
        r[field::OP] = op as f64;
        r[field::BUF] = -1.0;
        r
    }

    fn run(r: &[f64], b: &mut Bufs, kernel: (u32, u32)) -> Result<squeue::Encoded, OpError> {
        let reg = Registrar::default();
        let sup = vec![true; 64];
        squeue::encode(
            r,
            b,
            &mut SlotMem::default(),
            &Ctx {
                reg: &reg,
                supported: &sup,
                kernel,
            },
        )
    }

    fn code(r: &[f64], b: &mut Bufs) -> &'static str {
        run(r, b, (6, 18)).err().map(|e| e.code).unwrap_or("ok")
    }

    #[test]
    fn timeouts_check_flags_and_kernels() {
        let mut b = Bufs(vec![]);
        let mut r = rec(OP_TIMEOUT);
        r[field::LEN] = 5e8;
        assert_eq!(code(&r, &mut b), "ok");
        r[field::LEN] = 1e9; // nanoseconds beyond a second
        assert_eq!(code(&r, &mut b), "ERR_OUT_OF_RANGE");
        r[field::LEN] = 0.0;
        r[field::BUF_OFF] = f64::NAN;
        assert_eq!(code(&r, &mut b), "ERR_OUT_OF_RANGE");
        r[field::BUF_OFF] = 1.0;
        r[field::OP_FLAGS] = (TIMEOUT_BOOTTIME | TIMEOUT_REALTIME) as f64;
        assert_eq!(code(&r, &mut b), "ERR_INVALID_ARG_VALUE");
        r[field::OP_FLAGS] = (TIMEOUT_MULTISHOT | TIMEOUT_ABS) as f64;
        assert_eq!(code(&r, &mut b), "ERR_INVALID_ARG_VALUE");
        r[field::OP_FLAGS] = TIMEOUT_UPDATE as f64; // not a flag of TIMEOUT itself
        assert_eq!(code(&r, &mut b), "ERR_INVALID_ARG_VALUE");
        r[field::OP_FLAGS] = TIMEOUT_MULTISHOT as f64;
        assert_eq!(
            run(&r, &mut b, (6, 3)).err().unwrap().code,
            "ERR_URING_OP_UNSUPPORTED"
        );
        let mut u = rec(OP_TIMEOUT_REMOVE);
        u[field::AUX] = -1.0;
        u[field::OP_FLAGS] = LINK_TIMEOUT_UPDATE as f64; // without TIMEOUT_UPDATE the kernel would remove
        assert_eq!(code(&u, &mut b), "ERR_INVALID_ARG_VALUE");
        u[field::OP_FLAGS] = (TIMEOUT_UPDATE | LINK_TIMEOUT_UPDATE) as f64;
        assert_eq!(
            run(&u, &mut b, (5, 14)).err().unwrap().code,
            "ERR_URING_OP_UNSUPPORTED"
        );
        let mut sqe = run(&u, &mut b, (6, 18)).unwrap().sqe;
        patch_sqe(&mut sqe, |raw| {
            assert_eq!(raw.op_flags, TIMEOUT_UPDATE | LINK_TIMEOUT_UPDATE);
            assert_eq!(raw.addr, NO_TARGET);
        });
    }

    #[test]
    fn cancel_flags_are_checked() {
        let mut b = Bufs(vec![]);
        let mut r = rec(OP_ASYNC_CANCEL);
        r[field::AUX] = 3.0;
        let mut sqe = run(&r, &mut b, (5, 5)).unwrap().sqe;
        patch_sqe(&mut sqe, |raw| {
            assert_eq!(raw.addr, 3);
            assert_eq!(raw.fd, -1);
            assert_eq!(raw.op_flags, 0);
        });
        r[field::OP_FLAGS] = (CANCEL_ANY | CANCEL_FD) as f64;
        assert_eq!(code(&r, &mut b), "ERR_INVALID_ARG_VALUE");
        r[field::OP_FLAGS] = CANCEL_FD_FIXED as f64; // chosen by a RegisteredFd, never by hand
        assert_eq!(code(&r, &mut b), "ERR_INVALID_ARG_VALUE");
        r[field::OP_FLAGS] = CANCEL_OP as f64;
        r[field::LEN] = 22.0;
        assert_eq!(
            run(&r, &mut b, (6, 5)).err().unwrap().code,
            "ERR_URING_OP_UNSUPPORTED"
        );
        let mut sqe = run(&r, &mut b, (6, 6)).unwrap().sqe;
        patch_sqe(&mut sqe, |raw| {
            assert_eq!(raw.len, 22);
            assert_eq!(raw.op_flags, CANCEL_OP);
        });
        r[field::AUX] = MAX_SLOTS as f64;
        r[field::OP_FLAGS] = 0.0;
        assert_eq!(code(&r, &mut b), "ERR_OUT_OF_RANGE");
    }

    #[test]
    fn futex_words_must_be_aligned_and_inside() {
        let mut b = Bufs(vec![vec![0; 16]]);
        let base = b.0[0].as_ptr() as usize;
        let mut r = rec(OP_FUTEX_WAIT);
        r[field::BUF] = 0.0;
        r[field::AUX] = u32::MAX as f64;
        r[field::OP_FLAGS] = (libc::FUTEX2_SIZE_U32 | libc::FUTEX2_PRIVATE) as f64;
        // The first 4-aligned offset of the Vec's memory, and one past it.
        let aligned = ((4 - base % 4) % 4) as f64;
        r[field::BUF_OFF] = aligned;
        assert_eq!(code(&r, &mut b), "ok");
        r[field::BUF_OFF] = aligned + 1.0;
        assert_eq!(code(&r, &mut b), "ERR_URING_UNALIGNED");
        r[field::BUF_OFF] = 13.0;
        assert_eq!(code(&r, &mut b), "ERR_OUT_OF_RANGE");
        r[field::BUF_OFF] = aligned;
        r[field::OP_FLAGS] = libc::FUTEX2_SIZE_U64 as f64;
        assert_eq!(code(&r, &mut b), "ERR_INVALID_ARG_VALUE");
        r[field::OP_FLAGS] = libc::FUTEX2_SIZE_U32 as f64;
        r[field::AUX] = 0.0;
        assert_eq!(code(&r, &mut b), "ERR_OUT_OF_RANGE");
    }

    /// EPOLL_CTL then EPOLL_WAIT through a real ring, on a pipe that has a byte to read.
    #[test]
    fn epoll_ctl_and_wait_end_to_end() {
        use crate::cqueue::{CQE_STRIDE, H_COUNT, MIRROR_HEADER};
        use crate::ring::{Batch, Ring, Wait};
        use std::os::fd::AsRawFd;
        let Ok(mut r) = Ring::<()>::new(&crate::setup::SetupOptions::new(8)) else {
            return;
        };
        let p = r.probe().unwrap();
        if !p.supports(OP_EPOLL_CTL) || !p.supports(OP_EPOLL_WAIT) {
            return;
        }
        let ep = epoll_create().unwrap();
        let mut pipe = [0; 2];
        // SAFETY: pipe writes two fds into the array.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        // SAFETY: writes one byte from a live local to the pipe we own.
        assert_eq!(unsafe { libc::write(pipe[1], b"x".as_ptr().cast(), 1) }, 1);
        let mut st = [rec(OP_EPOLL_CTL), rec(OP_EPOLL_WAIT)].concat();
        st[field::FD] = ep.as_raw_fd() as f64;
        st[field::OFF_LO] = pipe[0] as f64;
        st[field::LEN] = libc::EPOLL_CTL_ADD as f64;
        st[field::OP_FLAGS] = libc::EPOLLIN as f64;
        st[field::BUF_OFF] = 42.0; // data, low word
        st[field::AUX] = 7.0; // data, high word
        st[field::FLAGS] = squeue::SQE_IO_LINK as f64; // the wait runs after the add
        st[STRIDE + field::SLOT] = 1.0;
        st[STRIDE + field::FD] = ep.as_raw_fd() as f64;
        st[STRIDE + field::LEN] = 4.0;
        st[STRIDE + field::BUF] = 0.0;
        let mut b = Bufs(vec![vec![0; 4 * std::mem::size_of::<libc::epoll_event>()]]);
        let mut m = vec![0i32; MIRROR_HEADER + 8 * CQE_STRIDE];
        r.submit(
            Batch {
                staging: &st,
                count: 2,
                bufs: &mut b,
                keep: None,
            },
            Wait {
                min: 2,
                timeout: Some(std::time::Duration::from_secs(5)),
            },
            &mut m,
        )
        .unwrap();
        assert_eq!(m[H_COUNT], 2);
        let res: Vec<(i32, i32)> = (0..2)
            .map(|i| {
                (
                    m[MIRROR_HEADER + i * CQE_STRIDE],
                    m[MIRROR_HEADER + i * CQE_STRIDE + 1],
                )
            })
            .collect();
        assert_eq!(res, vec![(0, 0), (1, 1)], "add ok, one event");
        // SAFETY: the kernel wrote one epoll_event at the start of the buffer (read unaligned: packed on x86).
        let ev = unsafe { std::ptr::read_unaligned(b.0[0].as_ptr() as *const libc::epoll_event) };
        let (events, data) = (ev.events, ev.u64);
        assert_eq!(events, libc::EPOLLIN as u32);
        assert_eq!(data, (7 << 32) | 42);
        // SAFETY: closing the pipe fds we own, once.
        unsafe {
            libc::close(pipe[0]);
            libc::close(pipe[1]);
        }
    }

    #[test]
    fn raw_buffer_groups_fit_their_memory() {
        let mut b = Bufs(vec![vec![0; 64]]);
        let mut r = rec(OP_PROVIDE_BUFFERS);
        r[field::BUF] = 0.0;
        r[field::AUX] = 7.0;
        r[field::FD] = 4.0;
        r[field::LEN] = 16.0;
        assert_eq!(code(&r, &mut b), "ok");
        r[field::BUF_OFF] = 1.0;
        assert_eq!(code(&r, &mut b), "ERR_OUT_OF_RANGE");
        r[field::BUF_OFF] = 0.0;
        r[field::OFF_LO] = 65533.0;
        assert_eq!(code(&r, &mut b), "ERR_OUT_OF_RANGE");
        r[field::OFF_LO] = 0.0;
        r[field::AUX] = 65536.0;
        assert_eq!(code(&r, &mut b), "ERR_OUT_OF_RANGE");
    }
}
