//! io_uring_setup(2) with every flag and parameter, and setup errors that say why and what to do.

use crate::diagnose::{explain_eperm, fmt_limit, system_facts};
use io_uring::IoUring;
use std::io;
use std::os::fd::RawFd;

/// Most SQ entries the kernel accepts without `clamp` (IORING_MAX_ENTRIES).
pub const MAX_ENTRIES: u32 = 32768;
/// Most CQ entries the kernel accepts without `clamp` (IORING_MAX_CQ_ENTRIES).
pub const MAX_CQ_ENTRIES: u32 = 2 * MAX_ENTRIES;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SqPoll {
    pub idle_ms: Option<u32>,
    pub cpu: Option<u32>,
}

/// Every io_uring_setup flag and parameter. Names are the JS option names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetupOptions {
    pub entries: u32,
    pub cq_entries: Option<u32>,
    pub clamp: bool,
    pub sqpoll: Option<SqPoll>,
    pub iopoll: bool,
    pub single_issuer: bool,
    pub defer_taskrun: bool,
    pub coop_taskrun: bool,
    pub taskrun_flag: bool,
    pub submit_all: bool,
    pub attach_wq: Option<RawFd>,
    pub disabled: bool,
    pub no_sqarray: bool,
    pub dontfork: bool,
}

/// The option names that can be dropped one at a time when the kernel answers EINVAL.
const OPTIONAL: &[&str] = &[
    "cqEntries",
    "clamp",
    "sqpoll",
    "iopoll",
    "singleIssuer",
    "deferTaskrun",
    "coopTaskrun",
    "taskrunFlag",
    "submitAll",
    "attachWq",
    "disabled",
    "noSqarray",
];

impl SetupOptions {
    pub fn new(entries: u32) -> Self {
        SetupOptions {
            entries,
            ..Default::default()
        }
    }

    fn is_set(&self, name: &str) -> bool {
        match name {
            "cqEntries" => self.cq_entries.is_some(),
            "clamp" => self.clamp,
            "sqpoll" => self.sqpoll.is_some(),
            "iopoll" => self.iopoll,
            "singleIssuer" => self.single_issuer,
            "deferTaskrun" => self.defer_taskrun,
            "coopTaskrun" => self.coop_taskrun,
            "taskrunFlag" => self.taskrun_flag,
            "submitAll" => self.submit_all,
            "attachWq" => self.attach_wq.is_some(),
            "disabled" => self.disabled,
            "noSqarray" => self.no_sqarray,
            _ => false,
        }
    }

    fn without(&self, name: &str) -> Self {
        let mut o = self.clone();
        match name {
            "cqEntries" => o.cq_entries = None,
            "clamp" => o.clamp = false,
            "sqpoll" => o.sqpoll = None,
            "iopoll" => o.iopoll = false,
            "singleIssuer" => o.single_issuer = false,
            "deferTaskrun" => o.defer_taskrun = false,
            "coopTaskrun" => o.coop_taskrun = false,
            "taskrunFlag" => o.taskrun_flag = false,
            "submitAll" => o.submit_all = false,
            "attachWq" => o.attach_wq = None,
            "disabled" => o.disabled = false,
            "noSqarray" => o.no_sqarray = false,
            _ => {}
        }
        o
    }

    /// The names of the options that are set.
    pub fn set_names(&self) -> Vec<&'static str> {
        OPTIONAL
            .iter()
            .copied()
            .filter(|n| self.is_set(n))
            .collect()
    }

    /// Rules the kernel enforces with a bare EINVAL, checked first so the error can say which.
    fn check_rules(&self) -> Result<(), SetupError> {
        let bad = |names: &[&'static str], why: &str| {
            Err(SetupError::invalid(names.to_vec(), format!("{why}.")))
        };
        if self.entries == 0 {
            return bad(&["entries"], "entries must be at least 1");
        }
        if self.entries > MAX_ENTRIES && !self.clamp {
            return bad(
                &["entries"],
                &format!("entries must be at most {MAX_ENTRIES} (or set clamp: true)"),
            );
        }
        if let Some(cq) = self.cq_entries {
            if cq == 0 {
                return bad(&["cqEntries"], "cqEntries must be at least 1");
            }
            if cq > MAX_CQ_ENTRIES && !self.clamp {
                return bad(
                    &["cqEntries"],
                    &format!("cqEntries must be at most {MAX_CQ_ENTRIES} (or set clamp: true)"),
                );
            }
            if cq < self.entries {
                return bad(&["cqEntries"], "cqEntries must be at least entries");
            }
        }
        if self.defer_taskrun && !self.single_issuer {
            return bad(
                &["deferTaskrun", "singleIssuer"],
                "deferTaskrun requires singleIssuer: true",
            );
        }
        if self.defer_taskrun && self.sqpoll.is_some() {
            return bad(
                &["deferTaskrun", "sqpoll"],
                "deferTaskrun cannot be combined with sqpoll",
            );
        }
        if self.taskrun_flag && !(self.coop_taskrun || self.defer_taskrun) {
            return bad(
                &["taskrunFlag"],
                "taskrunFlag requires coopTaskrun or deferTaskrun",
            );
        }
        if self.coop_taskrun && self.sqpoll.is_some() {
            return bad(
                &["coopTaskrun", "sqpoll"],
                "coopTaskrun has no effect with sqpoll and the kernel rejects the pair",
            );
        }
        Ok(())
    }

    fn try_build(&self) -> io::Result<IoUring> {
        let mut b = IoUring::builder();
        if let Some(cq) = self.cq_entries {
            b.setup_cqsize(cq);
        }
        if self.clamp {
            b.setup_clamp();
        }
        if let Some(sq) = self.sqpoll {
            b.setup_sqpoll(sq.idle_ms.unwrap_or(1000));
            if let Some(cpu) = sq.cpu {
                b.setup_sqpoll_cpu(cpu);
            }
        }
        if self.iopoll {
            b.setup_iopoll();
        }
        if self.single_issuer {
            b.setup_single_issuer();
        }
        if self.defer_taskrun {
            b.setup_defer_taskrun();
        }
        if self.coop_taskrun {
            b.setup_coop_taskrun();
        }
        if self.taskrun_flag {
            b.setup_taskrun_flag();
        }
        if self.submit_all {
            b.setup_submit_all();
        }
        if let Some(fd) = self.attach_wq {
            b.setup_attach_wq(fd);
        }
        if self.disabled {
            b.setup_r_disabled();
        }
        if self.no_sqarray {
            b.setup_no_sqarray();
        }
        if self.dontfork {
            b.dontfork();
        }
        b.build(self.entries)
    }
}

/// A setup failure with a stable code, the errno, and a message that says why and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError {
    pub code: &'static str,
    pub errno: i32,
    pub message: String,
    /// For ERR_URING_INVALID_OPTION: the option names the kernel rejects.
    pub options: Vec<&'static str>,
}

impl SetupError {
    fn invalid(options: Vec<&'static str>, message: String) -> Self {
        SetupError {
            code: "ERR_URING_INVALID_OPTION",
            errno: libc::EINVAL,
            message,
            options,
        }
    }
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for SetupError {}

/// Sets up a ring, or explains precisely why it cannot be.
pub fn setup(opts: &SetupOptions) -> Result<IoUring, SetupError> {
    opts.check_rules()?;
    let err = match opts.try_build() {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    Err(diagnose(opts, &err))
}

fn diagnose(opts: &SetupOptions, err: &io::Error) -> SetupError {
    let errno = err.raw_os_error().unwrap_or(0);
    let kernel = crate::diagnose::kernel_release();
    let mk = |code, message: String| SetupError {
        code,
        errno,
        message,
        options: vec![],
    };
    match errno {
        libc::ENOSYS => {
            let seccomp = system_facts().seccomp_mode == Some(2);
            mk(
                "ERR_URING_UNSUPPORTED",
                if seccomp {
                    format!("io_uring_setup returned ENOSYS: either this kernel ({kernel}) was built without CONFIG_IO_URING, or this process's seccomp filter hides the syscall (some container profiles answer ENOSYS). uring needs Linux 5.10+ with io_uring allowed.")
                } else {
                    format!("this kernel ({kernel}) has no io_uring (io_uring_setup: ENOSYS): it needs Linux 5.1 or newer built with CONFIG_IO_URING; uring supports 5.10+.")
                },
            )
        }
        libc::EPERM => {
            if opts.sqpoll.is_some() && opts.without("sqpoll").try_build().is_ok() {
                return SetupError {
                    code: "ERR_URING_SQPOLL_PERMISSION",
                    errno,
                    message: format!("this kernel ({kernel}) refuses sqpoll to this process: before 5.11 SQPOLL needs CAP_SYS_ADMIN (and registered files); newer kernels allow it unprivileged. Run without sqpoll, with the capability, or on a newer kernel."),
                    options: vec!["sqpoll"],
                };
            }
            mk("ERR_URING_DISABLED", format!("io_uring is not allowed for this process: {}", explain_eperm(&system_facts())))
        }
        libc::ENOMEM => {
            let (soft, hard) = crate::diagnose::memlock_limit();
            mk(
                "ERR_URING_MEMLOCK",
                format!(
                    "the kernel could not allocate the ring (ENOMEM). Without CAP_IPC_LOCK, ring memory counts against RLIMIT_MEMLOCK (before 5.12, and again on recent kernels such as 6.18), together with registered buffers and rings closed a moment ago (the kernel frees those in the background). The limit is RLIMIT_MEMLOCK, which is {} (hard {}): raise it (ulimit -l, LimitMEMLOCK= in systemd, --ulimit memlock= in docker), ask for fewer entries, or retry shortly.",
                    fmt_limit(soft), fmt_limit(hard)
                ),
            )
        }
        libc::EMFILE | libc::ENFILE => mk(
            "ERR_URING_TOO_MANY_FILES",
            format!("no file descriptor is left for the ring ({}): close descriptors or raise the limit (ulimit -n).", if errno == libc::EMFILE { "EMFILE: this process's RLIMIT_NOFILE is reached" } else { "ENFILE: the system-wide file table is full" }),
        ),
        libc::EINVAL | libc::EOPNOTSUPP | libc::EBADF => {
            // Find which options this kernel rejects by retrying without each one.
            let set = opts.set_names();
            let culprits: Vec<&'static str> =
                set.iter().copied().filter(|n| opts.without(n).try_build().is_ok()).collect();
            let culprits = if culprits.is_empty() && !set.is_empty() {
                let mut bare = SetupOptions::new(opts.entries);
                bare.dontfork = opts.dontfork;
                if bare.try_build().is_ok() { set } else { vec!["entries"] }
            } else if culprits.is_empty() {
                vec!["entries"]
            } else {
                culprits
            };
            let what = if errno == libc::EBADF { "attachWq does not name an open ring".to_string() } else {
                format!("this kernel ({kernel}) rejects {}", culprits.join(", "))
            };
            SetupError {
                code: "ERR_URING_INVALID_OPTION",
                errno,
                message: format!("{what} (io_uring_setup: {}); drop the option(s) or use a kernel that has them.", errno_name(errno)),
                options: culprits,
            }
        }
        _ => mk("ERR_URING_SETUP_FAILED", format!("io_uring_setup failed: {err}")),
    }
}

pub fn errno_name(e: i32) -> &'static str {
    match e {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::ENFILE => "ENFILE",
        libc::EMFILE => "EMFILE",
        libc::ENOSPC => "ENOSPC",
        libc::ESPIPE => "ESPIPE",
        libc::EPIPE => "EPIPE",
        libc::ENOSYS => "ENOSYS",
        libc::ETIME => "ETIME",
        libc::ECANCELED => "ECANCELED",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EALREADY => "EALREADY",
        libc::ENOBUFS => "ENOBUFS",
        libc::EOVERFLOW => "EOVERFLOW",
        _ => "EUNKNOWN",
    }
}

/// Setup flag bits, in the order of the kernel's header, with the JS names used in `ring.params.flags`.
pub const SETUP_FLAGS: &[(u32, &str)] = &[
    (1 << 0, "iopoll"),
    (1 << 1, "sqpoll"),
    (1 << 2, "sqAff"),
    (1 << 3, "cqsize"),
    (1 << 4, "clamp"),
    (1 << 5, "attachWq"),
    (1 << 6, "disabled"),
    (1 << 7, "submitAll"),
    (1 << 8, "coopTaskrun"),
    (1 << 9, "taskrunFlag"),
    (1 << 10, "sqe128"),
    (1 << 11, "cqe32"),
    (1 << 12, "singleIssuer"),
    (1 << 13, "deferTaskrun"),
    (1 << 14, "noMmap"),
    (1 << 15, "registeredFdOnly"),
    (1 << 16, "noSqarray"),
    (1 << 17, "hybridIopoll"),
];

/// IORING_FEAT_* bits with their JS names and the kernel that added them.
pub const FEATURES: &[(u32, &str, &str)] = &[
    (1 << 0, "singleMmap", "5.4"),
    (1 << 1, "nodrop", "5.5"),
    (1 << 2, "submitStable", "5.5"),
    (1 << 3, "rwCurPos", "5.6"),
    (1 << 4, "curPersonality", "5.6"),
    (1 << 5, "fastPoll", "5.7"),
    (1 << 6, "poll32Bits", "5.9"),
    (1 << 7, "sqpollNonfixed", "5.11"),
    (1 << 8, "extArg", "5.11"),
    (1 << 9, "nativeWorkers", "5.12"),
    (1 << 10, "rsrcTags", "5.13"),
    (1 << 11, "cqeSkip", "5.17"),
    (1 << 12, "linkedFile", "5.17"),
    (1 << 13, "regRegRing", "6.3"),
    (1 << 14, "recvsendBundle", "6.10"),
    (1 << 15, "minTimeout", "6.12"),
    (1 << 16, "rwAttr", "6.14"),
    (1 << 17, "noIowait", "6.15"),
];

/// The raw `io_uring_params` the kernel filled in.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawParams {
    pub sq_entries: u32,
    pub cq_entries: u32,
    pub flags: u32,
    pub sq_thread_cpu: u32,
    pub sq_thread_idle: u32,
    pub features: u32,
}

/// Mirror of the kernel's `struct io_uring_params` (120 bytes), to read fields the crate does not expose.
#[repr(C)]
struct KernelParams {
    sq_entries: u32,
    cq_entries: u32,
    flags: u32,
    sq_thread_cpu: u32,
    sq_thread_idle: u32,
    features: u32,
    wq_fd: u32,
    resv: [u32; 3],
    sq_off: [u32; 10],
    cq_off: [u32; 10],
}

pub fn raw_params(ring: &IoUring) -> RawParams {
    let p = ring.params();
    const _: () = assert!(std::mem::size_of::<KernelParams>() == 120);
    assert_eq!(
        std::mem::size_of_val(p),
        std::mem::size_of::<KernelParams>()
    );
    // SAFETY: `Parameters` is #[repr(transparent)] over the kernel's io_uring_params, whose layout
    // KernelParams reproduces field for field (size checked above); we only read it.
    let k = unsafe { &*(p as *const io_uring::Parameters as *const KernelParams) };
    RawParams {
        sq_entries: k.sq_entries,
        cq_entries: k.cq_entries,
        flags: k.flags,
        sq_thread_cpu: k.sq_thread_cpu,
        sq_thread_idle: k.sq_thread_idle,
        features: k.features,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails(o: &SetupOptions) -> SetupError {
        match setup(o) {
            Ok(_) => panic!("setup should fail for {o:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn plain_ring_reports_sizes_and_nodrop() {
        let Ok(r) = setup(&SetupOptions::new(8)) else {
            eprintln!("SKIP: no io_uring");
            return;
        };
        let p = raw_params(&r);
        assert_eq!(p.sq_entries, 8);
        assert_eq!(p.cq_entries, 16);
        assert!(p.features & 2 != 0, "FEAT_NODROP");
    }

    #[test]
    fn rules_name_the_options() {
        let mut o = SetupOptions::new(8);
        o.defer_taskrun = true;
        let e = fails(&o);
        assert_eq!(e.code, "ERR_URING_INVALID_OPTION");
        assert_eq!(e.options, vec!["deferTaskrun", "singleIssuer"]);
        let e = fails(&SetupOptions::new(0));
        assert_eq!(e.options, vec!["entries"]);
        let mut o = SetupOptions::new(64);
        o.cq_entries = Some(32);
        assert_eq!(fails(&o).options, vec!["cqEntries"]);
    }

    #[test]
    fn clamp_accepts_huge_entries() {
        let mut o = SetupOptions::new(1 << 20);
        o.clamp = true;
        let Ok(r) = setup(&o) else {
            eprintln!("SKIP: no io_uring");
            return;
        };
        assert_eq!(raw_params(&r).sq_entries, MAX_ENTRIES);
    }

    #[test]
    fn bad_attach_wq_is_invalid_option() {
        let mut o = SetupOptions::new(8);
        o.attach_wq = Some(0); // stdin is not a ring
        let e = fails(&o);
        assert_eq!(e.code, "ERR_URING_INVALID_OPTION");
        assert!(e.options.contains(&"attachWq"), "{e}");
    }
}
