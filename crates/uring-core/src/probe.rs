//! The opcode table and the probe: which ops the running kernel has, and for each one it lacks,
//! the first kernel release that added it (one table, written once).

use io_uring::{IoUring, Probe as RawProbe};

/// One io_uring opcode: its number, the name the JS layer uses (camelCase of the kernel name),
/// the kernel's own name, and the first kernel release that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpInfo {
    pub code: u8,
    pub name: &'static str,
    pub kernel_name: &'static str,
    pub since: &'static str,
}

macro_rules! ops {
    ($($code:literal $name:literal $kname:literal $since:literal;)*) => {
        /// Every opcode up to IORING_OP_PIPE, in opcode order (index == code).
        pub const OPS: &[OpInfo] = &[
            $(OpInfo { code: $code, name: $name, kernel_name: $kname, since: $since },)*
        ];
    };
}

ops! {
    0 "nop" "IORING_OP_NOP" "5.1";
    1 "readv" "IORING_OP_READV" "5.1";
    2 "writev" "IORING_OP_WRITEV" "5.1";
    3 "fsync" "IORING_OP_FSYNC" "5.1";
    4 "readFixed" "IORING_OP_READ_FIXED" "5.1";
    5 "writeFixed" "IORING_OP_WRITE_FIXED" "5.1";
    6 "pollAdd" "IORING_OP_POLL_ADD" "5.1";
    7 "pollRemove" "IORING_OP_POLL_REMOVE" "5.1";
    8 "syncFileRange" "IORING_OP_SYNC_FILE_RANGE" "5.2";
    9 "sendmsg" "IORING_OP_SENDMSG" "5.3";
    10 "recvmsg" "IORING_OP_RECVMSG" "5.3";
    11 "timeout" "IORING_OP_TIMEOUT" "5.4";
    12 "timeoutRemove" "IORING_OP_TIMEOUT_REMOVE" "5.5";
    13 "accept" "IORING_OP_ACCEPT" "5.5";
    14 "asyncCancel" "IORING_OP_ASYNC_CANCEL" "5.5";
    15 "linkTimeout" "IORING_OP_LINK_TIMEOUT" "5.5";
    16 "connect" "IORING_OP_CONNECT" "5.5";
    17 "fallocate" "IORING_OP_FALLOCATE" "5.6";
    18 "openat" "IORING_OP_OPENAT" "5.6";
    19 "close" "IORING_OP_CLOSE" "5.6";
    20 "filesUpdate" "IORING_OP_FILES_UPDATE" "5.6";
    21 "statx" "IORING_OP_STATX" "5.6";
    22 "read" "IORING_OP_READ" "5.6";
    23 "write" "IORING_OP_WRITE" "5.6";
    24 "fadvise" "IORING_OP_FADVISE" "5.6";
    25 "madvise" "IORING_OP_MADVISE" "5.6";
    26 "send" "IORING_OP_SEND" "5.6";
    27 "recv" "IORING_OP_RECV" "5.6";
    28 "openat2" "IORING_OP_OPENAT2" "5.6";
    29 "epollCtl" "IORING_OP_EPOLL_CTL" "5.6";
    30 "splice" "IORING_OP_SPLICE" "5.7";
    31 "provideBuffers" "IORING_OP_PROVIDE_BUFFERS" "5.7";
    32 "removeBuffers" "IORING_OP_REMOVE_BUFFERS" "5.7";
    33 "tee" "IORING_OP_TEE" "5.8";
    34 "shutdown" "IORING_OP_SHUTDOWN" "5.11";
    35 "renameat" "IORING_OP_RENAMEAT" "5.11";
    36 "unlinkat" "IORING_OP_UNLINKAT" "5.11";
    37 "mkdirat" "IORING_OP_MKDIRAT" "5.15";
    38 "symlinkat" "IORING_OP_SYMLINKAT" "5.15";
    39 "linkat" "IORING_OP_LINKAT" "5.15";
    40 "msgRing" "IORING_OP_MSG_RING" "5.18";
    41 "fsetxattr" "IORING_OP_FSETXATTR" "5.19";
    42 "setxattr" "IORING_OP_SETXATTR" "5.19";
    43 "fgetxattr" "IORING_OP_FGETXATTR" "5.19";
    44 "getxattr" "IORING_OP_GETXATTR" "5.19";
    45 "socket" "IORING_OP_SOCKET" "5.19";
    46 "uringCmd" "IORING_OP_URING_CMD" "5.19";
    47 "sendZc" "IORING_OP_SEND_ZC" "6.0";
    48 "sendmsgZc" "IORING_OP_SENDMSG_ZC" "6.1";
    49 "readMultishot" "IORING_OP_READ_MULTISHOT" "6.7";
    50 "waitid" "IORING_OP_WAITID" "6.7";
    51 "futexWait" "IORING_OP_FUTEX_WAIT" "6.7";
    52 "futexWake" "IORING_OP_FUTEX_WAKE" "6.7";
    53 "futexWaitv" "IORING_OP_FUTEX_WAITV" "6.7";
    54 "fixedFdInstall" "IORING_OP_FIXED_FD_INSTALL" "6.8";
    55 "ftruncate" "IORING_OP_FTRUNCATE" "6.9";
    56 "bind" "IORING_OP_BIND" "6.11";
    57 "listen" "IORING_OP_LISTEN" "6.11";
    58 "recvZc" "IORING_OP_RECV_ZC" "6.15";
    59 "epollWait" "IORING_OP_EPOLL_WAIT" "6.15";
    60 "readvFixed" "IORING_OP_READV_FIXED" "6.15";
    61 "writevFixed" "IORING_OP_WRITEV_FIXED" "6.15";
    62 "pipe" "IORING_OP_PIPE" "6.16";
}

/// Looks an op up by its JS name (`"readFixed"`) or kernel name (`"IORING_OP_READ_FIXED"`).
pub fn op_by_name(name: &str) -> Option<&'static OpInfo> {
    OPS.iter().find(|o| o.name == name || o.kernel_name == name)
}

pub fn op_by_code(code: u8) -> Option<&'static OpInfo> {
    OPS.get(code as usize)
}

/// What the running kernel supports, read once with IORING_REGISTER_PROBE (5.6+).
#[derive(Debug, Clone)]
pub struct ProbeResult {
    /// `supported[code]` for every code in [`OPS`].
    pub supported: Vec<bool>,
    /// The highest opcode the kernel knows (`io_uring_probe.last_op`), if the probe worked.
    pub last_op: Option<u8>,
    /// False on kernels before 5.6, where IORING_REGISTER_PROBE itself does not exist; then only
    /// the ops of 5.1-5.5 are assumed present.
    pub probed: bool,
    /// The running kernel's release (major, minor), for op variants the probe cannot see.
    pub kernel: (u32, u32),
}

impl ProbeResult {
    pub fn supports(&self, code: u8) -> bool {
        self.supported.get(code as usize).copied().unwrap_or(false)
    }
}

/// Probes through an existing ring.
pub fn probe_ring(ring: &IoUring) -> ProbeResult {
    let mut raw = RawProbe::new();
    match crate::ring::retry_eintr(|| ring.submitter().register_probe(&mut raw)) {
        Ok(()) => {
            let supported: Vec<bool> = OPS.iter().map(|o| raw.is_supported(o.code)).collect();
            let last_op = OPS
                .iter()
                .rev()
                .find(|o| raw.is_supported(o.code))
                .map(|o| o.code);
            ProbeResult {
                supported,
                last_op,
                probed: true,
                kernel: running_kernel(),
            }
        }
        // EINVAL: IORING_REGISTER_PROBE is 5.6+. The ops that predate it are there by definition.
        Err(_) => ProbeResult {
            supported: OPS
                .iter()
                .map(|o| kernel_version_le(o.since, "5.5"))
                .collect(),
            last_op: Some(15),
            probed: false,
            kernel: running_kernel(),
        },
    }
}

/// The running kernel's (major, minor) from uname.
pub fn running_kernel() -> (u32, u32) {
    parse_version(&crate::diagnose::kernel_release())
}

/// `a <= b` for dotted kernel versions such as "5.19" and "6.1".
pub fn kernel_version_le(a: &str, b: &str) -> bool {
    parse_version(a) <= parse_version(b)
}

pub fn parse_version(v: &str) -> (u32, u32) {
    let mut it = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    let major = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let minor = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (major, minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_code() {
        for (i, o) in OPS.iter().enumerate() {
            assert_eq!(o.code as usize, i, "{} out of place", o.name);
            assert!(o.kernel_name.starts_with("IORING_OP_"));
        }
        assert_eq!(OPS.len(), 63);
    }

    #[test]
    fn lookup_by_either_name() {
        assert_eq!(op_by_name("readFixed").unwrap().code, 4);
        assert_eq!(op_by_name("IORING_OP_PIPE").unwrap().since, "6.16");
        assert!(op_by_name("nosuchop").is_none());
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(kernel_version_le("5.9", "5.19"));
        assert!(!kernel_version_le("6.10", "6.9"));
        assert_eq!(parse_version("6.18.44-fc-v669"), (6, 18));
    }

    #[test]
    fn probe_on_this_kernel_has_the_basics() {
        let ring = match IoUring::new(8) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("SKIP: io_uring unavailable here: {e}");
                return;
            }
        };
        let p = probe_ring(&ring);
        for code in [0u8, 1, 2, 3] {
            assert!(p.supports(code), "{} missing", OPS[code as usize].name);
        }
    }
}
