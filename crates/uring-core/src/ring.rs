//! The ring (L1) and its queues (L2): staged entries in, copied completions out.
//!
//! JavaScript stages ops as numbers in a `Float64Array` (see [`crate::squeue`]); one call to
//! [`Ring::submit`] validates every staged entry, pushes them as SQEs (all or none), enters the
//! kernel at most once (plus retries for EINTR/EBUSY), and copies completions into an `Int32Array`
//! mirror (see [`crate::cqueue`]). Each op occupies a *slot*; the slot is the SQE's user_data, and
//! it stays live until the op's final CQE, which is also when the memory the op refers to may be
//! released (the `K` keepalive token of its batch).

use crate::cqueue::{self, MIRROR_HEADER};
use crate::probe::{probe_ring, ProbeResult};
use crate::registrar::{Region, Registrar};
use crate::setup::{self, RawParams, SetupError, SetupOptions};
use crate::squeue::{self, Buffers, Effect, OpError};
use io_uring::{cqueue::Entry as Cqe, opcode, squeue::Entry as Sqe, types, IoUring};
use std::collections::VecDeque;
use std::io;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::{Duration, Instant};

const IORING_ENTER_GETEVENTS: u32 = 1 << 0;
const IORING_ENTER_SQ_WAKEUP: u32 = 1 << 1;
const IORING_ENTER_SQ_WAIT: u32 = 1 << 2;
const IORING_ENTER_EXT_ARG: u32 = 1 << 3;
const IORING_ENTER_REGISTERED_RING: u32 = 1 << 4;
const SETUP_IOPOLL: u32 = 1 << 0;
const SETUP_SQPOLL: u32 = 1 << 1;
const SETUP_R_DISABLED: u32 = 1 << 6;
const SETUP_DEFER_TASKRUN: u32 = 1 << 13;
const SETUP_TASKRUN_FLAG: u32 = 1 << 9;
const FEAT_EXT_ARG: u32 = 1 << 8;
const CQE_F_MORE: u32 = 1 << 1;
const CQE_F_BUFFER: u32 = 1 << 0;
const CQE_F_BUF_MORE: u32 = 1 << 4;

/// user_data of ops the ring issues itself (cancel on close, wait timeouts on pre-5.11 kernels):
/// their CQEs never reach JavaScript.
pub(crate) const INTERNAL: u64 = 1 << 63;
/// Marks an op the ring runs and waits for itself (installFd, PROVIDE_BUFFERS at group setup).
const SYNC: u64 = 1 << 60;
/// Marks an internal wait timer; the low 32 bits carry its generation.
const TIMER: u64 = 1 << 62;
const CANCEL_ANY: u64 = 2;
const CANCEL_ONE: u64 = 3;
/// Most slots a ring tracks; a slot number beyond it is an error, not an allocation.
pub const MAX_SLOTS: u32 = 1 << 22;
const NO_KEEP: u32 = u32::MAX;

/// `struct io_uring_getevents_arg` (5.11+), for a wait with a timeout.
#[repr(C)]
struct GetEventsArg {
    sigmask: u64,
    sigmask_sz: u32,
    min_wait_usec: u32,
    ts: u64,
}

#[derive(Default)]
struct Slot {
    live: bool,
    keep: u32,
    /// Memory the SQE points at that the ring built (iovecs, timespec, ...): boxed so it stays
    /// put when `slots` grows, and untouched until the final CQE (capacity reused across ops).
    mem: Box<squeue::SlotMem>,
    /// CQE_SKIP_SUCCESS: the op posts a CQE only if it fails (see `complete_slot`).
    skip: bool,
    /// Set with `skip`: the op was hard-linked (a failure does not end the chain).
    hard: bool,
    /// Set with `skip`: the slot of the op that ends its chain.
    term: u32,
    /// On a chain's last op, when the chain has skip-success ops: the chain's other ops, in order.
    chain: Vec<u32>,
    effect: Effect,
    /// Registered or provided memory the op uses, kept until its final CQE.
    hold: Option<Rc<Region>>,
}

/// An error of a ring operation, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingError {
    pub code: &'static str,
    pub message: String,
    pub errno: Option<i32>,
}

/// How many times a register call is made again after EINTR before the EINTR is returned.
const EINTR_RETRIES: u32 = 8;

/// Runs an io_uring_register call again while it fails with EINTR, a few times at most. Before
/// 5.19 most register opcodes quiesce the ring first (kill its refs, wait interruptibly for every
/// request to drop them); a signal arriving meanwhile makes the call return -EINTR having changed
/// nothing, and returning to user space delivers the signal, so the next attempt waits again.
/// Bounded, so a wait that keeps being interrupted ends as a coded EINTR error rather than never;
/// [`Ring::check_quiesce`] keeps such calls from waiting on ops in flight in the first place.
pub(crate) fn retry_eintr<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let mut tries = 0;
    loop {
        match f() {
            Err(e) if e.raw_os_error() == Some(libc::EINTR) && tries < EINTR_RETRIES => tries += 1,
            r => return r,
        }
    }
}

/// An io_uring_register opcode and its name (for messages).
#[derive(Clone, Copy)]
pub(crate) struct RegOp(pub u32, pub &'static str);

/// The io_uring_register opcodes the registrar checks with [`Ring::check_quiesce`].
pub(crate) mod reg {
    use super::RegOp;
    pub const BUFFERS: RegOp = RegOp(0, "IORING_REGISTER_BUFFERS");
    pub const UNREGISTER_BUFFERS: RegOp = RegOp(1, "IORING_UNREGISTER_BUFFERS");
    pub const FILES: RegOp = RegOp(2, "IORING_REGISTER_FILES");
    pub const UNREGISTER_FILES: RegOp = RegOp(3, "IORING_UNREGISTER_FILES");
    pub const EVENTFD: RegOp = RegOp(4, "IORING_REGISTER_EVENTFD");
    pub const UNREGISTER_EVENTFD: RegOp = RegOp(5, "IORING_UNREGISTER_EVENTFD");
    pub const FILES_UPDATE: RegOp = RegOp(6, "IORING_REGISTER_FILES_UPDATE");
    pub const PROBE: RegOp = RegOp(8, "IORING_REGISTER_PROBE");
    pub const PERSONALITY: RegOp = RegOp(9, "IORING_REGISTER_PERSONALITY");
    pub const UNREGISTER_PERSONALITY: RegOp = RegOp(10, "IORING_UNREGISTER_PERSONALITY");
    pub const FILES2: RegOp = RegOp(13, "IORING_REGISTER_FILES2");
    pub const BUFFERS2: RegOp = RegOp(15, "IORING_REGISTER_BUFFERS2");
    pub const BUFFERS_UPDATE: RegOp = RegOp(16, "IORING_REGISTER_BUFFERS_UPDATE");
    pub const PBUF_RING: RegOp = RegOp(22, "IORING_REGISTER_PBUF_RING");
    pub const UNREGISTER_PBUF_RING: RegOp = RegOp(23, "IORING_UNREGISTER_PBUF_RING");
}

/// Whether io_uring_register with `op` may quiesce the ring on the running kernel. FILES_UPDATE,
/// PROBE and (UN)REGISTER_PERSONALITY never did; the 5.13 rsrc opcodes (FILES2, FILES_UPDATE2,
/// BUFFERS2, BUFFERS_UPDATE) never did where they exist, but are unknown, so quiescing, before.
/// Every other opcode did on some release before 5.19 (files and buffers, eventfd until 5.18, an
/// unknown opcode such as PBUF_RING as the opcode is checked after the wait), so this is
/// conservative between 5.13 and 5.18.
pub(crate) fn quiesces(op: RegOp) -> bool {
    let k = crate::probe::running_kernel();
    match op.0 {
        x if [
            reg::FILES_UPDATE.0,
            reg::PROBE.0,
            reg::PERSONALITY.0,
            reg::UNREGISTER_PERSONALITY.0,
        ]
        .contains(&x) =>
        {
            false
        }
        x if (reg::FILES2.0..=reg::BUFFERS_UPDATE.0).contains(&x) => k < (5, 13),
        _ => k < (5, 19),
    }
}

impl RingError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        RingError {
            code,
            message: message.into(),
            errno: None,
        }
    }
    /// A failed syscall, coded by its errno name (`EBADF`, ...).
    pub(crate) fn io(what: &str, e: io::Error) -> Self {
        let errno = e.raw_os_error();
        let name = errno.map(setup::errno_name).unwrap_or("EIO");
        RingError {
            code: name,
            message: format!("{what} failed: {e}"),
            errno,
        }
    }
    pub fn closed() -> Self {
        RingError::new("ERR_URING_CLOSED", "the ring is closed")
    }
}

impl From<OpError> for RingError {
    fn from(e: OpError) -> Self {
        RingError {
            code: e.code,
            message: e.message,
            errno: None,
        }
    }
}

impl std::fmt::Display for RingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for RingError {}

/// Staged entries to submit: `count` records of `staging`, whose buffers `bufs` resolves and
/// `keep` keeps alive until the last of them completes.
pub struct Batch<'a, K> {
    pub staging: &'a [f64],
    pub count: usize,
    pub bufs: &'a mut dyn Buffers,
    pub keep: Option<K>,
}

/// How long [`Ring::submit`] blocks: until `min` completions are ready, or `timeout` passes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wait {
    pub min: u32,
    pub timeout: Option<Duration>,
}

/// What one [`Ring::submit`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubmitOutcome {
    /// Staged entries pushed into the SQ.
    pub pushed: u32,
    /// Completions copied into the mirror.
    pub completions: u32,
    /// The wait ended on its timeout before `wait` completions arrived.
    pub timed_out: bool,
}

/// How [`Ring::close`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseOutcome {
    /// Ops that were in flight when close began.
    pub cancelled: usize,
    /// Ops whose CQE never came within the grace period: their memory is leaked, not freed.
    pub leaked: usize,
}

/// A ring and the bookkeeping that keeps op memory alive until the kernel is done with it.
/// `K` is a keepalive token (in the Node binding: a reference to the batch's JS buffers); it is
/// dropped when the last op that used it completes.
pub struct Ring<K> {
    pub(crate) io: Option<IoUring>,
    params: RawParams,
    probe: Option<ProbeResult>,
    slots: Vec<Slot>,
    in_flight: usize,
    keeps: Vec<Option<(K, u32)>>,
    free_keeps: Vec<u32>,
    scratch: Vec<Sqe>,
    enabled: bool,
    timer_gen: u64,
    timer_fired: bool,
    /// CQEs taken from the ring in one copy_out (reused, so reaping allocates nothing).
    cqe_buf: Vec<Cqe>,
    /// CQEs reaped while the ring waited for an op of its own; they reach the mirror first.
    stash: VecDeque<Cqe>,
    sync_seq: u64,
    /// io_uring_enter calls made so far (a debug counter; written to the mirror header).
    enters: u64,
    pub(crate) reg: Registrar,
}

impl<K> Ring<K> {
    pub fn new(opts: &SetupOptions) -> Result<Self, SetupError> {
        let io = setup::setup(opts)?;
        let params = setup::raw_params(&io);
        Ok(Ring {
            io: Some(io),
            params,
            probe: None,
            slots: Vec::new(),
            in_flight: 0,
            keeps: Vec::new(),
            free_keeps: Vec::new(),
            scratch: Vec::new(),
            enabled: params.flags & SETUP_R_DISABLED == 0,
            timer_gen: 0,
            timer_fired: false,
            cqe_buf: Vec::new(),
            stash: VecDeque::new(),
            sync_seq: 0,
            enters: 0,
            reg: Registrar::default(),
        })
    }

    pub fn params(&self) -> RawParams {
        self.params
    }

    pub fn is_closed(&self) -> bool {
        self.io.is_none()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Whether the ring was set up with IORING_SETUP_DEFER_TASKRUN: completion work runs only
    /// inside this thread's GETEVENTS enters.
    pub fn defers_taskrun(&self) -> bool {
        self.params.flags & SETUP_DEFER_TASKRUN != 0
    }

    /// On a DEFER_TASKRUN ring nothing has used yet: answers [`crate::quirks`]' question with it
    /// (once per process), so that no ring has to be set up for the test alone.
    /// A ring made `disabled` (its submissions would wait in the SQ until it is enabled) or with
    /// IOPOLL (which cannot poll) leaves the question to a scratch ring.
    pub fn probe_quirks(&mut self) {
        if self.defers_taskrun() && self.enabled && self.params.flags & SETUP_IOPOLL == 0 {
            if let Some(io) = self.io.as_mut() {
                crate::quirks::probe_on(io);
            }
        }
    }

    /// How many times this ring has entered the kernel (io_uring_enter), for tests and benchmarks.
    pub fn enters(&self) -> u64 {
        self.enters
    }

    pub fn fd(&self) -> Result<i32, RingError> {
        Ok(self.io()?.as_raw_fd())
    }

    pub(crate) fn io(&self) -> Result<&IoUring, RingError> {
        self.io.as_ref().ok_or_else(RingError::closed)
    }

    /// Refuses an io_uring_register call that would quiesce the ring (see [`quiesces`]) while
    /// ops are in flight: the kernel would block this thread until every one of them completed,
    /// forever if one needs this thread (a recv whose peer is in this process, a poll, an
    /// accept), and retrying on EINTR would not end it either.
    pub(crate) fn check_quiesce(&self, op: RegOp) -> Result<(), RingError> {
        if self.in_flight == 0 || !quiesces(op) {
            return Ok(());
        }
        Err(RingError::new(
            "ERR_URING_BUSY",
            format!(
                "{} on Linux {} (before 5.19) waits for every op in flight on the ring to complete, and {} are in flight: do it before starting ops or once they have completed",
                op.1,
                crate::diagnose::kernel_release(),
                self.in_flight
            ),
        ))
    }

    pub fn probe(&mut self) -> Result<&ProbeResult, RingError> {
        if self.probe.is_none() {
            self.probe = Some(probe_ring(self.io()?));
        }
        Ok(self.probe.as_ref().unwrap())
    }

    /// IORING_REGISTER_ENABLE_RINGS for a ring set up with `disabled`.
    pub fn enable(&mut self) -> Result<(), RingError> {
        let io = self.io()?;
        if self.enabled {
            return Err(RingError::new(
                "ERR_URING_ALREADY_ENABLED",
                "the ring is already enabled",
            ));
        }
        retry_eintr(|| io.submitter().register_enable_rings())
            .map_err(|e| RingError::io("IORING_REGISTER_ENABLE_RINGS", e))?;
        self.enabled = true;
        Ok(())
    }

    /// SQEs pushed but not yet consumed by the kernel (only non-zero with sqpoll, or after an
    /// enter that stopped early).
    pub fn sq_pending(&mut self) -> u32 {
        match self.io.as_mut() {
            Some(io) => io.submission().len() as u32,
            None => 0,
        }
    }

    /// Free SQ slots.
    pub fn sq_space(&mut self) -> u32 {
        match self.io.as_mut() {
            Some(io) => {
                let sq = io.submission();
                (sq.capacity() - sq.len()) as u32
            }
            None => 0,
        }
    }

    /// Free SQ entries, waiting (with sqpoll only) until there are at least `need`.
    ///
    /// The SQ thread publishes the SQ head after a whole batch, and it posts the batch's CQEs
    /// first: a reaper can have every completion and still see a full SQ for a moment. Instead
    /// of reporting that full SQ (which would leave a "push while there is space, then wait for
    /// a CQE" loop waiting for nothing), this enters with IORING_ENTER_SQ_WAIT (and
    /// SQ_WAKEUP if the thread went idle) until the head moves. It returns at once when the SQ
    /// holds nothing the kernel has yet to take, so `need` beyond the SQ size cannot block.
    pub fn sq_wait_space(&mut self, need: u32) -> Result<u32, RingError> {
        let sqpoll = self.params.flags & SETUP_SQPOLL != 0;
        loop {
            let io = self.io.as_mut().ok_or_else(RingError::closed)?;
            let mut sq = io.submission();
            let space = (sq.capacity() - sq.len()) as u32;
            if space >= need || !sqpoll || sq.is_empty() {
                return Ok(space);
            }
            sq.sync();
            let wake = sq.need_wakeup();
            drop(sq);
            let flags = IORING_ENTER_SQ_WAIT | if wake { IORING_ENTER_SQ_WAKEUP } else { 0 };
            self.enters += 1;
            let io = self.io()?;
            // SAFETY: SQ_WAIT and SQ_WAKEUP take no argument; nothing is submitted or reaped.
            match unsafe { io.submitter().enter::<libc::sigset_t>(0, 0, flags, None) } {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
                Err(e) => return Err(RingError::io("io_uring_enter(SQ_WAIT)", e)),
            }
        }
    }

    fn add_keep(&mut self, k: K) -> u32 {
        if let Some(i) = self.free_keeps.pop() {
            self.keeps[i as usize] = Some((k, 0));
            i
        } else {
            self.keeps.push(Some((k, 0)));
            (self.keeps.len() - 1) as u32
        }
    }

    fn release_slot(&mut self, slot: u32) {
        let s = &mut self.slots[slot as usize];
        if !s.live {
            return;
        }
        s.live = false;
        s.skip = false;
        s.term = u32::MAX;
        s.mem.clear();
        s.hold = None;
        s.effect = Effect::None;
        let chain = std::mem::take(&mut s.chain);
        let keep = std::mem::replace(&mut s.keep, NO_KEEP);
        self.in_flight -= 1;
        if keep != NO_KEEP {
            let entry = &mut self.keeps[keep as usize];
            if let Some((_, n)) = entry.as_mut() {
                *n -= 1;
                if *n == 0 {
                    *entry = None; // drops K: the batch's memory may go now
                    self.free_keeps.push(keep);
                }
            }
        }
        // The chain's last op is done, so every op before it is too: the skip-success ones
        // posted nothing (or their failure CQE, which did not free them).
        // A member that completed on its own CQE may be another chain's op by now (its slot
        // reused): only this chain's ones (term == slot) are freed.
        for &d in &chain {
            let m = &self.slots[d as usize];
            if m.live && m.skip && m.term == slot {
                self.release_slot(d);
            }
        }
        let mut chain = chain;
        chain.clear();
        self.slots[slot as usize].chain = chain;
    }

    /// The final CQE of `slot` arrived. A skip-success op posts one only when it fails:
    /// hard-linked, the chain goes on and its last op frees it; soft-linked, the kernel ends the
    /// chain there and posts nothing for the ops after it (REQ_F_SKIP_LINK_CQES), so they, it,
    /// and the skipped ops before it are all done now.
    fn complete_slot(&mut self, slot: u32) {
        let s = &self.slots[slot as usize];
        if !s.skip {
            self.release_slot(slot);
            return;
        }
        if s.hard {
            return;
        }
        let term = s.term;
        let chain = std::mem::take(&mut self.slots[term as usize].chain);
        let at = chain.iter().position(|&c| c == slot).unwrap_or(0);
        for (i, &c) in chain.iter().enumerate() {
            let m = &self.slots[c as usize];
            // Members before `slot` that completed on their own CQEs may be reused by now.
            if m.term == term && (i >= at || m.skip) {
                self.release_slot(c);
            }
        }
        self.release_slot(term);
    }

    /// Validates `count` staged entries, pushes them (all or none), enters the kernel, and copies
    /// completions into `mirror`. `wait` > 0 blocks until that many completions are available
    /// (or `timeout` passes).
    pub fn submit(
        &mut self,
        batch: Batch<'_, K>,
        wait: Wait,
        mirror: &mut [i32],
    ) -> Result<SubmitOutcome, RingError> {
        let Batch {
            staging,
            count,
            bufs,
            keep,
        } = batch;
        let Wait { min: wait, timeout } = wait;
        if self.io.is_none() {
            return Err(RingError::closed());
        }
        if mirror.len() < MIRROR_HEADER + cqueue::CQE_STRIDE {
            return Err(RingError::new(
                "ERR_INVALID_ARG_VALUE",
                "the completion mirror is too small",
            ));
        }
        if count * squeue::STRIDE > staging.len() {
            return Err(RingError::new(
                "ERR_OUT_OF_RANGE",
                format!("{count} entries do not fit the staging area"),
            ));
        }
        if count > 0 && !self.enabled {
            return Err(RingError::new(
                "ERR_URING_DISABLED_RING",
                "the ring was set up with disabled: true; call ring.enable() first",
            ));
        }
        let pushed = if count > 0 {
            self.push_staged(staging, count, bufs, keep)?
        } else {
            0
        };
        let mut out = SubmitOutcome {
            pushed,
            ..Default::default()
        };
        // CQEs JS has not consumed yet stay at the front; new ones are appended after them.
        let cap = ((mirror.len() - MIRROR_HEADER) / cqueue::CQE_STRIDE) as i32;
        mirror[cqueue::H_COUNT] = mirror[cqueue::H_COUNT].clamp(0, cap);
        let before = mirror[cqueue::H_COUNT];
        let timed_out = self.enter(wait, timeout, mirror)?;
        out.timed_out = timed_out;
        out.completions = (mirror[cqueue::H_COUNT] - before) as u32;
        self.write_header(mirror);
        Ok(out)
    }

    /// Copies what is in the CQ into the mirror without submitting; enters the kernel only when
    /// it must (DEFER_TASKRUN task work, IOPOLL reaping, overflowed CQEs to flush).
    pub fn reap(&mut self, mirror: &mut [i32]) -> Result<u32, RingError> {
        let batch = Batch {
            staging: &[],
            count: 0,
            bufs: &mut squeue::NoBuffers,
            keep: None,
        };
        self.submit(batch, Wait::default(), mirror)
            .map(|o| o.completions)
    }

    fn write_header(&mut self, mirror: &mut [i32]) {
        let io = self.io.as_mut().expect("open");
        let cq = io.completion();
        let (overflow, ready) = (cq.overflow(), cq.len());
        drop(cq);
        let pending = io.submission().len();
        mirror[cqueue::H_SQ_PENDING] = pending as i32;
        mirror[cqueue::H_CQ_READY] = (ready + self.stash.len()) as i32;
        mirror[cqueue::H_OVERFLOW] = overflow as i32;
        mirror[cqueue::H_IN_FLIGHT] = self.in_flight as i32;
        mirror[cqueue::H_ENTERS] = (self.enters & 0x7fff_ffff) as i32;
    }

    fn push_staged(
        &mut self,
        staging: &[f64],
        count: usize,
        bufs: &mut dyn Buffers,
        keep: Option<K>,
    ) -> Result<u32, RingError> {
        let sqpoll = self.params.flags & SETUP_SQPOLL != 0;
        // Room in the SQ: with sqpoll the kernel thread may not have consumed earlier SQEs yet.
        if (self.sq_space() as usize) < count {
            if count > self.params.sq_entries as usize {
                return Err(RingError::new(
                    "ERR_URING_SQ_FULL",
                    format!(
                        "{count} entries do not fit an SQ of {}",
                        self.params.sq_entries
                    ),
                ));
            }
            if sqpoll {
                self.sq_wait_space(count as u32)?;
            } else {
                self.flush_sq()?;
            }
            if (self.sq_space() as usize) < count {
                return Err(RingError::new(
                    "ERR_URING_SQ_FULL",
                    format!("the SQ has room for {} of {count} entries", self.sq_space()),
                ));
            }
        }

        // Pass 1: decode and validate everything; mark slots live only once all are valid.
        // The probe (read once per ring) is lent to the encoder while `self` is borrowed mutably.
        self.probe()?;
        let probe = self.probe.take().expect("probed above");
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        // A slot is marked live as soon as its entry is accepted, so a slot named twice in one
        // batch is caught; if any entry fails, every mark of this batch is undone.
        let mut failed = None;
        for i in 0..count {
            let rec = &staging[i * squeue::STRIDE..(i + 1) * squeue::STRIDE];
            let slot = match squeue::slot_of(rec)
                .map_err(RingError::from)
                .and_then(|s| self.ensure_slot(s).map(|_| s))
            {
                Ok(s) => s,
                Err(e) => {
                    failed = Some(e.at(i));
                    break;
                }
            };
            let s = &mut self.slots[slot as usize];
            if s.live {
                failed = Some(
                    RingError::new(
                        "ERR_URING_SLOT_BUSY",
                        format!("slot {slot} is already in flight"),
                    )
                    .at(i),
                );
                break;
            }
            // Ops may point into the slot's own memory, which lives until the slot's final CQE
            // (it is boxed: it does not move when `slots` grows).
            let ctx = squeue::Ctx {
                reg: &self.reg,
                supported: &probe.supported,
                kernel: probe.kernel,
            };
            match squeue::encode(rec, bufs, &mut s.mem, &ctx) {
                Ok(e) => {
                    s.live = true;
                    s.effect = e.effect;
                    s.hold = e.hold;
                    scratch.push(e.sqe.user_data(slot as u64));
                }
                Err(e) => {
                    s.mem.clear();
                    failed = Some(RingError::from(e).at(i));
                    break;
                }
            }
        }
        // Skip-success ops: each must be followed, in this batch, by the end of its link chain
        // (the first later op without LINK/HARDLINK), which frees it when it completes.
        if failed.is_none() {
            // The current chain's ops, and whether it has a skip-success op.
            let mut members: Vec<u32> = Vec::new();
            let mut has_skip = false;
            for (i, e) in scratch.iter().enumerate() {
                let rec = &staging[i * squeue::STRIDE..(i + 1) * squeue::STRIDE];
                let f = rec[squeue::field::FLAGS] as u32;
                let slot = e.get_user_data() as u32;
                let linked = f & (squeue::SQE_IO_LINK | squeue::SQE_IO_HARDLINK) != 0;
                if f & squeue::SQE_SKIP_SUCCESS != 0 {
                    if !linked {
                        failed = Some(RingError::new("ERR_URING_SKIP_SUCCESS", "skipSuccess is allowed only on an op followed by more of its link chain (use ring.sq.pushLinked); the chain's last op must post a CQE").at(i));
                        break;
                    }
                    let s = &mut self.slots[slot as usize];
                    s.skip = true;
                    s.hard = f & squeue::SQE_IO_HARDLINK != 0;
                    has_skip = true;
                }
                if linked {
                    members.push(slot);
                    continue;
                }
                if has_skip {
                    for &m in &members {
                        self.slots[m as usize].term = slot;
                    }
                    self.slots[slot as usize].chain = std::mem::take(&mut members);
                }
                members.clear();
                has_skip = false;
            }
            if failed.is_none() && has_skip {
                failed = Some(
                    RingError::new(
                        "ERR_URING_SKIP_SUCCESS",
                        "a skipSuccess op's link chain does not end in this batch",
                    )
                    .at(count - 1),
                );
            }
        }
        if let Some(e) = failed {
            for entry in &scratch {
                let s = &mut self.slots[entry.get_user_data() as usize];
                s.live = false;
                s.skip = false;
                s.chain.clear();
                s.mem.clear();
                s.hold = None;
                s.effect = Effect::None;
            }
            self.scratch = scratch;
            self.probe = Some(probe);
            return Err(e);
        }

        let keep_id = keep.map(|k| self.add_keep(k)).unwrap_or(NO_KEEP);
        for e in &scratch {
            let slot = e.get_user_data() as usize;
            self.slots[slot].keep = keep_id;
        }
        if keep_id != NO_KEEP {
            if let Some((_, n)) = self.keeps[keep_id as usize].as_mut() {
                *n = scratch.len() as u32;
            }
        }
        self.probe = Some(probe);
        self.in_flight += scratch.len();
        let io = self.io.as_mut().expect("open");
        // SAFETY: every entry was validated by squeue::encode: its pointers come from `bufs`
        // (kept alive by `keep` until the slot's final CQE) or from the slot's own iovec storage,
        // which is not touched until release_slot runs for that CQE.
        unsafe { io.submission().push_multiple(&scratch) }
            .map_err(|_| RingError::new("ERR_URING_SQ_FULL", "the SQ filled up while pushing"))?;
        self.scratch = scratch;
        Ok(count as u32)
    }

    fn ensure_slot(&mut self, slot: u32) -> Result<(), RingError> {
        if slot >= MAX_SLOTS {
            return Err(RingError::new(
                "ERR_OUT_OF_RANGE",
                format!("slot {slot} is beyond {MAX_SLOTS}"),
            ));
        }
        if self.slots.len() <= slot as usize {
            let n = (slot as usize + 1).next_power_of_two().max(64);
            self.slots.resize_with(n, || Slot {
                live: false,
                keep: NO_KEEP,
                mem: Box::default(),
                skip: false,
                hard: false,
                term: u32::MAX,
                chain: Vec::new(),
                effect: Effect::None,
                hold: None,
            });
        }
        Ok(())
    }

    /// Submits what the SQ holds without waiting (used when the SQ is full before a push).
    fn flush_sq(&mut self) -> Result<(), RingError> {
        self.enters += 1;
        let io = self.io()?;
        match io.submit() {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EBUSY) | Some(libc::EAGAIN) | Some(libc::EINTR)
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(RingError::io("io_uring_enter", e)),
        }
    }

    /// One io_uring_enter (retried on EINTR and, after making CQ room, on EBUSY), then copies
    /// completions out. Returns whether the wait timed out.
    fn enter(
        &mut self,
        wait: u32,
        timeout: Option<Duration>,
        mirror: &mut [i32],
    ) -> Result<bool, RingError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let flags = self.params.flags;
        let ext_arg = self.params.features & FEAT_EXT_ARG != 0;
        let ring_idx = self.reg.ring_fd;
        let mut timed_out = false;
        let mut fallback_timer_armed = false;
        loop {
            // Completions already here count toward the wait and make room in the CQ.
            self.copy_out(mirror);
            let have = mirror[cqueue::H_COUNT] as u32;
            let want = wait.saturating_sub(have);
            let io = self.io.as_mut().expect("open");
            let mut sq = io.submission();
            sq.sync();
            let to_submit = sq.len() as u32;
            let need_wakeup = sq.need_wakeup();
            let overflow = sq.cq_overflow();
            let taskrun = sq.taskrun();
            drop(sq);
            let sqpoll = flags & SETUP_SQPOLL != 0;
            let mut enter_flags = 0;
            if sqpoll && need_wakeup {
                enter_flags |= IORING_ENTER_SQ_WAKEUP;
            }
            // DEFER_TASKRUN completion work runs only inside a GETEVENTS enter. With TASKRUN_FLAG
            // the kernel says when there is some (IORING_SQ_TASKRUN, `taskrun`), so an idle reap
            // costs no syscall; without it every reap must enter to find out.
            let defer_blind = flags & SETUP_DEFER_TASKRUN != 0 && flags & SETUP_TASKRUN_FLAG == 0;
            let getevents =
                want > 0 || overflow || taskrun || defer_blind || flags & SETUP_IOPOLL != 0;
            if getevents {
                enter_flags |= IORING_ENTER_GETEVENTS;
            }
            let submit_now = if sqpoll { 0 } else { to_submit };
            if submit_now == 0 && enter_flags == 0 {
                return Ok(timed_out);
            }
            if want > 0 && (have as usize + 1) * cqueue::CQE_STRIDE + MIRROR_HEADER > mirror.len() {
                // The mirror is full: return what we have; the caller reaps and waits again.
                return Ok(false);
            }
            let remaining = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d && want > 0 {
                        return Ok(true);
                    }
                    Some(
                        d.saturating_duration_since(now)
                            .max(Duration::from_micros(1)),
                    )
                }
                None => None,
            };
            self.enters += 1;
            let res = match remaining {
                Some(rem) if want > 0 && ext_arg => {
                    let ts = types::Timespec::from(rem);
                    let arg = GetEventsArg {
                        sigmask: 0,
                        sigmask_sz: 0,
                        min_wait_usec: 0,
                        ts: &ts as *const _ as u64,
                    };
                    // SAFETY: `arg` and `ts` outlive the call; EXT_ARG tells the kernel `arg` is an
                    // io_uring_getevents_arg of size_of::<GetEventsArg>() bytes, which it is.
                    unsafe {
                        sys_enter(
                            io,
                            ring_idx,
                            submit_now,
                            want,
                            enter_flags | IORING_ENTER_EXT_ARG,
                            (&arg as *const GetEventsArg).cast(),
                            std::mem::size_of::<GetEventsArg>(),
                        )
                    }
                }
                Some(rem) if want > 0 => {
                    // Before 5.11: a TIMEOUT op of our own bounds the wait; its CQE is internal.
                    if !fallback_timer_armed {
                        let ts = types::Timespec::from(rem);
                        self.timer_gen = self.timer_gen.wrapping_add(1) & 0xffff_ffff;
                        self.timer_fired = false;
                        let t = opcode::Timeout::new(&ts)
                            .build()
                            .user_data(INTERNAL | TIMER | self.timer_gen);
                        // SAFETY: the kernel copies the timespec at prep, which happens inside the
                        // enter below, while `ts` is alive (FEAT_SUBMIT_STABLE, 5.5+).
                        if unsafe { io.submission().push(&t) }.is_ok() {
                            fallback_timer_armed = true;
                        }
                    }
                    let mut sq = io.submission();
                    sq.sync();
                    let n = if sqpoll { 0 } else { sq.len() as u32 };
                    drop(sq);
                    // SAFETY: no argument is passed.
                    unsafe { sys_enter(io, ring_idx, n, 1, enter_flags, std::ptr::null(), 0) }
                }
                _ => {
                    // SAFETY: no argument is passed; flags are GETEVENTS/SQ_WAKEUP only.
                    unsafe {
                        sys_enter(
                            io,
                            ring_idx,
                            submit_now,
                            want,
                            enter_flags,
                            std::ptr::null(),
                            0,
                        )
                    }
                }
            };
            match res {
                Ok(_) => {
                    self.copy_out(mirror);
                    if fallback_timer_armed && self.timer_fired {
                        return Ok((mirror[cqueue::H_COUNT] as u32) < wait);
                    }
                    if (mirror[cqueue::H_COUNT] as u32) >= wait {
                        return Ok(false);
                    }
                    if want == 0 {
                        // Nothing to wait for; one pass was the job (a later pass only if the
                        // kernel did not take all SQEs).
                        let io = self.io.as_mut().expect("open");
                        if sqpoll || io.submission().is_empty() {
                            return Ok(false);
                        }
                    }
                }
                Err(e) => match e.raw_os_error() {
                    Some(libc::ETIME) => {
                        timed_out = true;
                        self.copy_out(mirror);
                        return Ok(timed_out);
                    }
                    Some(libc::EINTR) => continue,
                    Some(libc::EBUSY) | Some(libc::EAGAIN) => {
                        // CQ overflow backlog or no memory for requests: copy out what is there
                        // to make room; if nothing could be copied, give the caller the turn.
                        let before = mirror[cqueue::H_COUNT];
                        self.copy_out(mirror);
                        if mirror[cqueue::H_COUNT] == before {
                            return Ok(false);
                        }
                    }
                    _ => return Err(RingError::io("io_uring_enter", e)),
                },
            }
        }
    }

    /// Copies CQEs into the mirror after its header, up to its capacity, releasing the slots of
    /// final completions. Internal CQEs are consumed here.
    fn copy_out(&mut self, mirror: &mut [i32]) {
        let cap = (mirror.len() - MIRROR_HEADER) / cqueue::CQE_STRIDE;
        let mut n = mirror[cqueue::H_COUNT] as usize;
        let (timer_gen, mut timer_fired) = (self.timer_gen, false);
        if n < cap {
            let io = self.io.as_mut().expect("open");
            let mut taken = std::mem::take(&mut self.cqe_buf);
            taken.clear();
            while n + taken.len() < cap {
                match self.stash.pop_front() {
                    Some(c) => taken.push(c),
                    None => break,
                }
            }
            if self.stash.is_empty() {
                let mut cq = io.completion();
                while n + taken.len() < cap {
                    match cq.next() {
                        Some(c) => {
                            let ud = c.user_data();
                            if ud & INTERNAL == 0 {
                                taken.push(c);
                            } else if ud == INTERNAL | TIMER | timer_gen {
                                timer_fired = true;
                            }
                        }
                        None => break,
                    }
                }
            }
            for c in &taken {
                self.deliver(c, mirror, n);
                n += 1;
            }
            self.cqe_buf = taken;
        }
        self.timer_fired |= timer_fired;
        mirror[cqueue::H_COUNT] = n as i32;
    }

    /// Writes one CQE into the mirror. The fourth word is `aux`: the generation of a direct
    /// descriptor the op created, or where a provided buffer's data starts.
    fn deliver(&mut self, c: &Cqe, mirror: &mut [i32], n: usize) {
        let ud = c.user_data();
        let (res, flags) = (c.result(), c.flags());
        let at = MIRROR_HEADER + n * cqueue::CQE_STRIDE;
        // A CQE no op of ours posted: a message from another ring (msg_ring, whose user_data
        // uring tags with MSG_TAG), or anything else foreign. It names no slot (-1) and frees
        // none; its low 32 bits of user_data go in aux.
        let live = ud < self.slots.len() as u64 && self.slots[ud as usize].live;
        if !live {
            mirror[at] = -1;
            mirror[at + 1] = res;
            mirror[at + 2] = flags as i32;
            mirror[at + 3] = (ud & 0xffff_ffff) as u32 as i32;
            return;
        }
        let slot = ud as u32;
        let mut aux = 0;
        let s = &self.slots[slot as usize];
        match s.effect {
            Effect::None => {}
            Effect::DirectAlloc if res >= 0 => aux = self.reg.direct_created(res as u32) as i32,
            Effect::DirectAlloc => {}
            Effect::CloseDirect { index, gen } => {
                if res >= 0 {
                    self.reg.direct_closed(index, gen);
                }
            }
            Effect::Select { group, gen } => {
                if flags & CQE_F_BUFFER != 0 {
                    aux = self.reg.buffer_selected(
                        group,
                        gen,
                        (flags >> 16) as u16,
                        res,
                        flags & CQE_F_BUF_MORE != 0,
                    );
                }
            }
        }
        mirror[at] = slot as i32;
        mirror[at + 1] = res;
        mirror[at + 2] = flags as i32;
        mirror[at + 3] = aux;
        if flags & CQE_F_MORE == 0 {
            self.complete_slot(slot);
        }
    }

    /// Pushes an SQE of the ring's own (its CQE never reaches JS); it goes in with the next enter.
    pub(crate) fn push_internal(&mut self, e: Sqe) -> Result<(), RingError> {
        if self.sq_space() == 0 {
            self.flush_sq()?;
        }
        let io = self.io.as_mut().ok_or_else(RingError::closed)?;
        // SAFETY: internal SQEs point only at memory the registrar owns for the ring's life
        // (provided-buffer regions), or at nothing.
        unsafe { io.submission().push(&e) }
            .map_err(|_| RingError::new("ERR_URING_SQ_FULL", "no SQ room for an internal op"))
    }

    /// Runs one SQE of the ring's own and waits for its CQE. CQEs of user ops that arrive
    /// meanwhile are stashed and reach the mirror, in order, at the next submit or reap.
    pub(crate) fn run_internal(&mut self, e: Sqe) -> Result<i32, RingError> {
        if !self.enabled {
            return Err(RingError::new(
                "ERR_URING_DISABLED_RING",
                "the ring was set up with disabled: true; call ring.enable() first",
            ));
        }
        self.sync_seq = self.sync_seq.wrapping_add(1) & 0xffff_ffff;
        let ud = INTERNAL | SYNC | self.sync_seq;
        self.push_internal(e.user_data(ud))?;
        let sqpoll = self.params.flags & SETUP_SQPOLL != 0;
        let ring_idx = self.reg.ring_fd;
        loop {
            let io = self.io.as_mut().expect("open");
            let mut sq = io.submission();
            sq.sync();
            let n = if sqpoll { 0 } else { sq.len() as u32 };
            let wake = sqpoll && sq.need_wakeup();
            drop(sq);
            let flags = IORING_ENTER_GETEVENTS | if wake { IORING_ENTER_SQ_WAKEUP } else { 0 };
            self.enters += 1;
            // SAFETY: no argument is passed.
            match unsafe { sys_enter(io, ring_idx, n, 1, flags, std::ptr::null(), 0) } {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.raw_os_error(),
                        Some(libc::EINTR) | Some(libc::EBUSY) | Some(libc::EAGAIN)
                    ) => {}
                Err(e) => return Err(RingError::io("io_uring_enter", e)),
            }
            let mut found = None;
            let io = self.io.as_mut().expect("open");
            for c in io.completion() {
                let u = c.user_data();
                if u == ud {
                    found = Some(c.result());
                } else if u & INTERNAL == 0 {
                    self.stash.push_back(c);
                }
                // Other internal CQEs (a stale wait timer, a PROVIDE_BUFFERS that gave a buffer
                // back) need nothing.
            }
            if let Some(r) = found {
                return Ok(r);
            }
        }
    }

    /// Cancels what is in flight, waits for those CQEs (up to `grace`), then frees the ring.
    /// Ops that never complete keep their memory (leaked) rather than having it freed under the
    /// kernel. Idempotent.
    pub fn close(&mut self, grace: Duration) -> CloseOutcome {
        if self.io.is_none() {
            return CloseOutcome {
                cancelled: 0,
                leaked: 0,
            };
        }
        let cancelled = self.in_flight;
        // CQEs stashed by an internal wait are final for their ops too.
        while let Some(c) = self.stash.pop_front() {
            if c.flags() & CQE_F_MORE == 0 && (c.user_data() as usize) < self.slots.len() {
                self.complete_slot(c.user_data() as u32);
            }
        }
        let io = self.io.as_mut().expect("open");
        // Staged-but-unsubmitted SQEs reach the kernel with the cancel and are cancelled too.
        let deadline = Instant::now() + grace;
        let mut last_cancel: Option<Instant> = None;
        // IORING_ASYNC_CANCEL_ANY (5.19) cancels everything with one SQE; a kernel without it
        // answers that SQE with -EINVAL, and then each live slot is cancelled by user_data.
        let mut any_cancel = true;
        if !self.enabled && self.in_flight > 0 {
            // A disabled ring cannot run anything; what was pushed never reached the kernel.
            let _ = retry_eintr(|| io.submitter().register_enable_rings());
            self.enabled = true;
        }
        while self.in_flight > 0 && Instant::now() < deadline {
            if last_cancel.is_none_or(|t| t.elapsed() > Duration::from_millis(50)) {
                last_cancel = Some(Instant::now());
                let io = self.io.as_mut().expect("open");
                if any_cancel {
                    let e = opcode::AsyncCancel2::new(types::CancelBuilder::any())
                        .build()
                        .user_data(INTERNAL | CANCEL_ANY);
                    // SAFETY: AsyncCancel2 carries no pointers into our memory.
                    let _ = unsafe { io.submission().push(&e) };
                } else {
                    let live: Vec<u64> = self
                        .slots
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.live)
                        .map(|(i, _)| i as u64)
                        .collect();
                    for ud in live {
                        let e = opcode::AsyncCancel::new(ud)
                            .build()
                            .user_data(INTERNAL | CANCEL_ONE);
                        // SAFETY: AsyncCancel carries no pointers.
                        if unsafe { io.submission().push(&e) }.is_err() {
                            let _ = io.submit();
                            break;
                        }
                    }
                }
            }
            let io = self.io.as_mut().expect("open");
            let ts = types::Timespec::from(Duration::from_millis(20));
            let args = types::SubmitArgs::new().timespec(&ts);
            let r = if self.params.features & FEAT_EXT_ARG != 0 {
                io.submitter().submit_with_args(1, &args)
            } else {
                io.submitter().submit_and_wait(1)
            };
            if let Err(e) = r {
                if !matches!(
                    e.raw_os_error(),
                    Some(libc::ETIME) | Some(libc::EINTR) | Some(libc::EBUSY) | Some(libc::EAGAIN)
                ) {
                    break;
                }
            }
            let ready: Vec<(u64, i32, u32)> = self
                .io
                .as_mut()
                .expect("open")
                .completion()
                .map(|c| (c.user_data(), c.result(), c.flags()))
                .collect();
            for (ud, res, flags) in ready {
                if ud == INTERNAL | CANCEL_ANY && res == -libc::EINVAL && any_cancel {
                    any_cancel = false;
                    last_cancel = None; // go again at once, slot by slot
                }
                if ud & INTERNAL == 0 && flags & CQE_F_MORE == 0 && (ud as usize) < self.slots.len()
                {
                    self.complete_slot(ud as u32);
                }
            }
        }
        let leaked = self.in_flight;
        if leaked > 0 {
            // The kernel may still write into these ops' memory: never free it.
            for k in self.keeps.drain(..).flatten() {
                std::mem::forget(k);
            }
            for s in self.slots.drain(..) {
                std::mem::forget(s.mem);
                std::mem::forget(s.hold);
            }
            // Registered and provided memory too: an op that never completed may still use it.
            std::mem::forget(std::mem::take(&mut self.reg));
        }
        self.io = None; // munmap + close(ring fd)
        self.reg = Registrar::default(); // every handle is stale; JS views keep their memory
        self.slots.clear();
        self.keeps.clear();
        self.free_keeps.clear();
        self.in_flight = 0;
        CloseOutcome { cancelled, leaked }
    }
}

/// io_uring_enter through the registered ring index when there is one (IORING_ENTER_REGISTERED_RING).
///
/// # Safety
/// `arg`/`size` must be what `flags` tells the kernel to expect (null/0 without EXT_ARG).
unsafe fn sys_enter(
    io: &IoUring,
    ring_idx: Option<u32>,
    to_submit: u32,
    min: u32,
    flags: u32,
    arg: *const libc::c_void,
    size: usize,
) -> io::Result<usize> {
    let (fd, flags) = match ring_idx {
        Some(i) => (i as i32, flags | IORING_ENTER_REGISTERED_RING),
        None => (io.as_raw_fd(), flags),
    };
    // SAFETY: the caller vouches for arg/size; the other arguments are plain integers.
    let r = unsafe {
        libc::syscall(
            libc::SYS_io_uring_enter,
            fd,
            to_submit,
            min,
            flags,
            arg,
            size,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

impl<K> Drop for Ring<K> {
    fn drop(&mut self) {
        self.close(Duration::from_secs(10));
    }
}

impl RingError {
    fn at(mut self, index: usize) -> Self {
        self.message = format!("entry {index}: {}", self.message);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::squeue::{field, NoBuffers, STRIDE};
    use std::cell::Cell;
    use std::rc::Rc;

    /// A keepalive that counts its drops.
    struct Token(Rc<Cell<u32>>);
    impl Drop for Token {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

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

    fn ring(entries: u32, cq: Option<u32>) -> Option<Ring<Token>> {
        let mut o = SetupOptions::new(entries);
        o.cq_entries = cq;
        match Ring::new(&o) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("SKIP: no io_uring here: {e}");
                None
            }
        }
    }

    fn nops(slots: std::ops::Range<u32>) -> Vec<f64> {
        let mut v = Vec::new();
        for s in slots {
            let mut r = [0.0; STRIDE];
            r[field::SLOT] = s as f64;
            r[field::BUF] = -1.0;
            v.extend_from_slice(&r);
        }
        v
    }

    fn mirror(cap: usize) -> Vec<i32> {
        vec![0; MIRROR_HEADER + cap * cqueue::CQE_STRIDE]
    }

    /// Takes every CQE out of the mirror, returning (slot, res) pairs.
    fn take(m: &mut [i32]) -> Vec<(u32, i32)> {
        let n = m[cqueue::H_COUNT] as usize;
        let out = (0..n)
            .map(|i| {
                let at = MIRROR_HEADER + i * cqueue::CQE_STRIDE;
                (m[at] as u32, m[at + 1])
            })
            .collect();
        m[cqueue::H_COUNT] = 0;
        out
    }

    #[test]
    fn nops_complete_with_their_slots_and_free_the_keepalive() {
        let Some(mut r) = ring(8, None) else { return };
        let drops = Rc::new(Cell::new(0));
        let st = nops(0..8);
        let mut m = mirror(16);
        let batch = Batch {
            staging: &st,
            count: 8,
            bufs: &mut NoBuffers,
            keep: Some(Token(drops.clone())),
        };
        let out = r
            .submit(
                batch,
                Wait {
                    min: 8,
                    timeout: None,
                },
                &mut m,
            )
            .unwrap();
        assert_eq!(out.pushed, 8);
        let mut got = take(&mut m);
        got.sort();
        assert_eq!(got, (0..8).map(|s| (s, 0)).collect::<Vec<_>>());
        assert_eq!(r.in_flight(), 0);
        assert_eq!(
            drops.get(),
            1,
            "the batch keepalive is dropped after its last CQE"
        );
    }

    #[test]
    fn a_batch_is_one_enter_and_the_mirror_counts_enters() {
        let Some(mut r) = ring(64, None) else { return };
        let st = nops(0..64);
        let mut m = mirror(128);
        let before = r.enters();
        let batch = Batch {
            staging: &st,
            count: 64,
            bufs: &mut NoBuffers,
            keep: None,
        };
        let out = r.submit(batch, Wait::default(), &mut m).unwrap();
        assert_eq!(out.pushed, 64);
        assert_eq!(
            r.enters() - before,
            1,
            "64 NOPs go to the kernel with one io_uring_enter"
        );
        assert_eq!(m[cqueue::H_ENTERS] as u64, r.enters() & 0x7fff_ffff);
        // NOPs complete inside the enter: all 64 CQEs are in the mirror already.
        assert_eq!(take(&mut m).len(), 64);
        // A reap with nothing pending (no DEFER_TASKRUN here) needs no syscall at all.
        let e = r.enters();
        r.reap(&mut m).unwrap();
        assert_eq!(r.enters(), e);
    }

    #[test]
    fn a_busy_slot_or_bad_entry_rejects_the_whole_batch() {
        let Some(mut r) = ring(8, None) else { return };
        let mut st = nops(0..3);
        st[STRIDE + field::SLOT] = 0.0; // slot 0 twice
        let mut m = mirror(16);
        let e = r
            .submit(
                Batch {
                    staging: &st,
                    count: 3,
                    bufs: &mut NoBuffers,
                    keep: None,
                },
                Wait::default(),
                &mut m,
            )
            .unwrap_err();
        assert_eq!(e.code, "ERR_URING_SLOT_BUSY");
        assert_eq!(r.in_flight(), 0);
        assert_eq!(r.sq_pending(), 0, "nothing was pushed");
        let mut st = nops(0..3);
        st[2 * STRIDE + field::FD] = -5.0;
        st[2 * STRIDE + field::OP] = squeue::OP_READ as f64;
        let e = r
            .submit(
                Batch {
                    staging: &st,
                    count: 3,
                    bufs: &mut NoBuffers,
                    keep: None,
                },
                Wait::default(),
                &mut m,
            )
            .unwrap_err();
        assert_eq!(e.code, "ERR_OUT_OF_RANGE");
        assert!(e.message.starts_with("entry 2"), "{}", e.message);
        // The same slots are free for a good batch.
        let st = nops(0..3);
        r.submit(
            Batch {
                staging: &st,
                count: 3,
                bufs: &mut NoBuffers,
                keep: None,
            },
            Wait {
                min: 3,
                timeout: None,
            },
            &mut m,
        )
        .unwrap();
        assert_eq!(take(&mut m).len(), 3);
    }

    #[test]
    fn an_8_entry_cq_loses_nothing_under_overflow() {
        let Some(mut r) = ring(8, Some(8)) else {
            return;
        };
        let total = 100_000u32;
        let mut m = mirror(4); // smaller than what arrives: forces CQ overflow in the kernel
        let mut seen = vec![false; total as usize];
        let mut next = 0u32;
        let mut done = 0u32;
        let mut free: Vec<u32> = (0..64).collect();
        while done < total {
            let n = (r.sq_space()).min(total - next).min(free.len() as u32);
            let slots: Vec<u32> = (0..n).map(|_| free.pop().unwrap()).collect();
            let mut st = Vec::new();
            for (i, s) in slots.iter().enumerate() {
                let mut rec = nops(*s..*s + 1);
                rec[field::IOPRIO] = 0.0;
                st.extend_from_slice(&rec);
                let _ = i;
            }
            let _ = r
                .submit(
                    Batch {
                        staging: &st,
                        count: n as usize,
                        bufs: &mut NoBuffers,
                        keep: None,
                    },
                    Wait::default(),
                    &mut m,
                )
                .unwrap();
            for (slot, res) in take(&mut m) {
                assert_eq!(res, 0);
                free.push(slot);
                done += 1;
            }
            // Map slots to op numbers only for counting: every op is counted once.
            for _ in 0..n {
                seen[next as usize] = true;
                next += 1;
            }
            if free.is_empty() || next == total {
                let _ = r
                    .submit(
                        Batch {
                            staging: &[],
                            count: 0,
                            bufs: &mut NoBuffers,
                            keep: None,
                        },
                        Wait {
                            min: 1,
                            timeout: Some(Duration::from_secs(5)),
                        },
                        &mut m,
                    )
                    .unwrap();
                for (slot, _) in take(&mut m) {
                    free.push(slot);
                    done += 1;
                }
            }
        }
        assert_eq!(done, total);
        assert!(seen.iter().all(|s| *s));
        assert_eq!(r.in_flight(), 0);
    }

    #[test]
    fn read_and_write_move_the_bytes() {
        let Some(mut r) = ring(8, None) else { return };
        let path = std::env::temp_dir().join(format!("uring-core-rw-{}", std::process::id()));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        let fd = f.as_raw_fd() as f64;
        let mut bufs = Bufs(vec![b"hello, ring".to_vec(), vec![0; 11]]);
        let mut st = nops(0..2);
        st[field::OP] = squeue::OP_WRITE as f64;
        st[field::FD] = fd;
        st[field::BUF] = 0.0;
        st[field::LEN] = 11.0;
        st[field::FLAGS] = 4.0; // IO_LINK: the read waits for the write
        st[STRIDE + field::OP] = squeue::OP_READ as f64;
        st[STRIDE + field::FD] = fd;
        st[STRIDE + field::BUF] = 1.0;
        st[STRIDE + field::LEN] = 11.0;
        let mut m = mirror(8);
        r.submit(
            Batch {
                staging: &st,
                count: 2,
                bufs: &mut bufs,
                keep: None,
            },
            Wait {
                min: 2,
                timeout: None,
            },
            &mut m,
        )
        .unwrap();
        let got = take(&mut m);
        assert_eq!(got, vec![(0, 11), (1, 11)]);
        assert_eq!(std::fs::read(&path).unwrap(), b"hello, ring");
        assert_eq!(bufs.0[1], b"hello, ring");
        std::fs::remove_file(&path).unwrap();
    }

    /// A pipe whose read end never gets data; closed on drop.
    struct Pipe([i32; 2]);
    impl Pipe {
        fn new() -> Self {
            let mut fds = [0; 2];
            // SAFETY: pipe writes two fds into the array.
            assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
            Pipe(fds)
        }
        /// A staged read of `len` bytes from the read end into buffer 0.
        fn read(&self, len: usize) -> Vec<f64> {
            let mut st = nops(0..1);
            st[field::OP] = squeue::OP_READ as f64;
            st[field::FD] = self.0[0] as f64;
            st[field::BUF] = 0.0;
            st[field::LEN] = len as f64;
            st[field::OFF_LO] = -1.0;
            st
        }
    }
    impl Drop for Pipe {
        fn drop(&mut self) {
            // SAFETY: closing the fds pipe() gave us, once.
            unsafe {
                libc::close(self.0[0]);
                libc::close(self.0[1]);
            }
        }
    }

    #[test]
    fn defer_taskrun_with_taskrun_flag_reaps_without_a_syscall_until_work_is_pending() {
        let mut o = SetupOptions::new(8);
        o.single_issuer = true;
        o.defer_taskrun = true;
        o.taskrun_flag = true;
        let Ok(mut r) = Ring::<Token>::new(&o) else {
            eprintln!("SKIP: DEFER_TASKRUN needs Linux 6.1");
            return;
        };
        let pipe = Pipe::new();
        let mut bufs = Bufs(vec![vec![0; 4]]);
        let st = pipe.read(4);
        let mut m = mirror(8);
        r.submit(
            Batch {
                staging: &st,
                count: 1,
                bufs: &mut bufs,
                keep: None,
            },
            Wait::default(),
            &mut m,
        )
        .unwrap();
        let e = r.enters();
        r.reap(&mut m).unwrap();
        assert_eq!(r.enters(), e, "nothing pending: no enter");
        // SAFETY: writes 4 bytes from a live array to the pipe's write end.
        assert_eq!(
            unsafe { libc::write(pipe.0[1], b"ping".as_ptr().cast(), 4) },
            4
        );
        // The read completes as deferred task work: IORING_SQ_TASKRUN tells reap to enter for it.
        let deadline = Instant::now() + Duration::from_secs(5);
        while m[cqueue::H_COUNT] == 0 && Instant::now() < deadline {
            r.reap(&mut m).unwrap();
        }
        assert_eq!(take(&mut m), vec![(0, 4)]);
        assert_eq!(&bufs.0[0], b"ping");
    }

    #[test]
    fn close_cancels_what_is_in_flight_and_waits_for_it() {
        let Some(mut r) = ring(8, None) else { return };
        let pipe = Pipe::new();
        let drops = Rc::new(Cell::new(0));
        let mut bufs = Bufs(vec![vec![0; 16]]);
        let st = pipe.read(16);
        let mut m = mirror(8);
        r.submit(
            Batch {
                staging: &st,
                count: 1,
                bufs: &mut bufs,
                keep: Some(Token(drops.clone())),
            },
            Wait::default(),
            &mut m,
        )
        .unwrap();
        assert_eq!(r.in_flight(), 1);
        assert_eq!(drops.get(), 0, "still referenced while the read is pending");
        let out = r.close(Duration::from_secs(5));
        assert_eq!(
            out,
            CloseOutcome {
                cancelled: 1,
                leaked: 0
            }
        );
        assert_eq!(drops.get(), 1, "released once the cancelled CQE arrived");
        assert!(r.is_closed());
        assert_eq!(r.close(Duration::from_secs(1)).cancelled, 0, "idempotent");
        let e = r
            .submit(
                Batch {
                    staging: &st,
                    count: 1,
                    bufs: &mut bufs,
                    keep: None,
                },
                Wait::default(),
                &mut m,
            )
            .unwrap_err();
        assert_eq!(e.code, "ERR_URING_CLOSED");
    }

    #[test]
    fn wait_times_out() {
        let Some(mut r) = ring(8, None) else { return };
        let mut m = mirror(8);
        let pipe = Pipe::new();
        let mut bufs = Bufs(vec![vec![0; 4]]);
        let st = pipe.read(4);
        let out = r
            .submit(
                Batch {
                    staging: &st,
                    count: 1,
                    bufs: &mut bufs,
                    keep: None,
                },
                Wait {
                    min: 1,
                    timeout: Some(Duration::from_millis(30)),
                },
                &mut m,
            )
            .unwrap();
        assert!(out.timed_out);
        assert_eq!(out.completions, 0);
        r.close(Duration::from_secs(5));
    }
}
