//! Kernel bugs that change how the library must drive a ring, found by trying them.
//!
//! # A registered eventfd that stops hearing about deferred completion work
//!
//! On a ring with IORING_SETUP_DEFER_TASKRUN, completion work queued from a poll wakeup (a
//! socket or pipe becoming ready for an op waiting on it) signals the ring's registered eventfd
//! when it lands on an empty work list. Linux 6.12.117 (Debian's 6.12, from the 6.12.y stable
//! line) sends that signal from an RCU callback, guarded by a bit of the eventfd registration
//! (`IO_EVENTFD_OP_SIGNAL_BIT`) that the callback never clears: the first such signal of a
//! registration is delivered, every later one is dropped. A program that sleeps until the
//! eventfd is readable then never hears of a socket that became ready, and the op stays
//! pending until something else enters the kernel. Mainline and 6.1 signal these directly.
//!
//! [`probe_on`] finds out by doing it twice on a fresh DEFER_TASKRUN ring the library has just
//! set up (before anything else uses it), so that no ring is made for the test alone: without
//! CAP_IPC_LOCK a ring's memory counts against RLIMIT_MEMLOCK, and a closed ring gives it back
//! only some milliseconds later, from the kernel's background work, which made the first buffer
//! registration of a process under a 64 KiB limit fail. [`eventfd_loses_deferred_signals`] falls
//! back to a scratch ring only when no such ring has answered yet.

use io_uring::{opcode, types, IoUring};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static ANSWER: OnceLock<bool> = OnceLock::new();

/// What a probe of this process has found, if one has run.
pub fn known() -> Option<bool> {
    ANSWER.get().copied()
}

/// Whether this kernel drops the eventfd signal for deferred completion work after the first
/// one of a registration (see the module docs). False where DEFER_TASKRUN does not exist, and
/// where the test cannot run (no eventfd, no pipe: nothing to decide with). When no ring has
/// answered yet ([`probe_on`]), sets up a scratch ring to ask (see the module docs for its cost).
pub fn eventfd_loses_deferred_signals() -> bool {
    if let Some(v) = known() {
        return v;
    }
    let scratch = IoUring::builder()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .build(4);
    // No DEFER_TASKRUN (before 6.1), or no io_uring at all: nothing to work around.
    let v = scratch
        .ok()
        .and_then(|mut r| lost_signal(&mut r))
        .unwrap_or(false);
    *ANSWER.get_or_init(|| v)
}

/// Answers the question on `ring`, a DEFER_TASKRUN ring just set up by this thread, with nothing
/// submitted, registered or waiting in it yet; once per process. Leaves the ring as it found it:
/// no eventfd, nothing in flight, an empty CQ (the SQ and CQ indexes have moved on by two).
pub fn probe_on(ring: &mut IoUring) {
    if known().is_none() {
        if let Some(v) = lost_signal(ring) {
            let _ = ANSWER.set(v);
        }
    }
}

/// Waits until `fd` is readable or `timeout` passes; true if readable.
fn readable(fd: &OwnedFd, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let left = deadline.saturating_duration_since(Instant::now());
        // SAFETY: one pollfd, valid for the call.
        let n = unsafe { libc::poll(&mut p, 1, left.as_millis().min(i32::MAX as u128) as i32) };
        if n > 0 {
            return true;
        }
        if n == 0 || Instant::now() >= deadline {
            return false;
        }
        // EINTR: poll again for what is left
    }
}

/// Drains a non-blocking fd of up to 8 bytes (an eventfd's count, a pipe's byte).
fn drain(fd: &OwnedFd) {
    let mut v = 0u64;
    // SAFETY: reads at most 8 bytes into `v`; the fd is non-blocking, so EAGAIN just returns.
    unsafe { libc::read(fd.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
}

/// None when the test cannot run here; Some(lost) otherwise.
fn lost_signal(ring: &mut IoUring) -> Option<bool> {
    // SAFETY: eventfd(2) and pipe2(2) return new fds (or -1), owned from here on.
    let efd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if efd < 0 {
        return None;
    }
    // SAFETY: `efd` is a new fd nothing else owns.
    let efd = unsafe { OwnedFd::from_raw_fd(efd) };
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return None;
    }
    // SAFETY: both are new fds nothing else owns.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    ring.submitter().register_eventfd(efd.as_raw_fd()).ok()?;
    let answer = rounds(ring, &efd, &rd, &wr);
    let _ = ring.submitter().unregister_eventfd();
    answer
}

/// The two rounds of [`lost_signal`]: each polls the pipe, writes to it, and sees whether the
/// eventfd hears of the poll's completion work; then runs that work and takes its CQE, so the
/// next round (and whoever uses the ring next) starts from an empty work list and CQ.
fn rounds(ring: &mut IoUring, efd: &OwnedFd, rd: &OwnedFd, wr: &OwnedFd) -> Option<bool> {
    // How long the first (maybe deferred) signal took bounds how long the second may take.
    let mut first = Duration::ZERO;
    let mut lost = false;
    for round in 0..2 {
        let poll = opcode::PollAdd::new(types::Fd(rd.as_raw_fd()), libc::POLLIN as u32)
            .build()
            .user_data(round);
        // SAFETY: the SQE refers to no memory, only to `rd`, which outlives the poll: the poll
        // completes below (its CQE is taken) before `rd` is closed.
        unsafe { ring.submission().push(&poll).ok()? };
        ring.submit().ok()?;
        drain(efd); // whatever the submission itself signalled
        let t0 = Instant::now();
        // SAFETY: writes one byte from a live buffer to our pipe.
        if unsafe { libc::write(wr.as_raw_fd(), b"x".as_ptr().cast(), 1) } != 1 {
            return None;
        }
        // The poll wakeup happened inside write(): the signal is there already, or deferred to
        // an RCU callback. An affected kernel delivers the first and drops the second.
        let wait = if round == 0 {
            Duration::from_secs(1)
        } else {
            (first * 20).clamp(Duration::from_millis(100), Duration::from_secs(1))
        };
        let got = readable(efd, wait);
        if round == 0 {
            if !got {
                return None; // not even the first came: something else is wrong; do not guess
            }
            first = t0.elapsed();
        } else {
            lost = !got;
        }
        drain(efd);
        drain(rd);
        // Run the deferred work (GETEVENTS) and take the poll's CQE.
        let ts = types::Timespec::new().sec(1);
        let args = types::SubmitArgs::new().timespec(&ts);
        ring.submitter().submit_with_args(1, &args).ok()?;
        ring.completion().for_each(drop);
    }
    Some(lost)
}
