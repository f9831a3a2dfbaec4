//! Facts about the system that explain why io_uring cannot be set up: the sysctls, seccomp,
//! RLIMIT_MEMLOCK and the kernel release. Read from /proc and getrlimit(2); nothing here fails.

use std::fs;

#[derive(Debug, Clone, Default)]
pub struct SystemFacts {
    /// `uname -r`.
    pub kernel_release: String,
    /// `kernel.io_uring_disabled` (6.6+): 0, 1 or 2; `None` where the sysctl does not exist.
    pub io_uring_disabled: Option<u32>,
    /// `kernel.io_uring_group` (6.6+): the group allowed when io_uring_disabled is 1 (-1: none).
    pub io_uring_group: Option<i64>,
    /// Seccomp mode of this process from /proc/self/status: 0 off, 1 strict, 2 filter.
    pub seccomp_mode: Option<u32>,
    /// Number of seccomp filters attached to this process.
    pub seccomp_filters: Option<u32>,
    /// RLIMIT_MEMLOCK soft and hard limits in bytes (`u64::MAX` means unlimited).
    pub memlock_soft: u64,
    pub memlock_hard: u64,
    pub euid: u32,
    /// Supplementary and effective group ids of this process.
    pub groups: Vec<u32>,
    /// Whether CAP_SYS_ADMIN is in the effective capability set.
    pub cap_sys_admin: bool,
}

fn read_trim(path: &str) -> Option<String> {
    fs::read_to_string(path).ok().map(|s| s.trim().to_string())
}

fn status_field(status: &str, key: &str) -> Option<String> {
    status.lines().find_map(|l| {
        l.strip_prefix(key)
            .map(|v| v.trim_start_matches(':').trim().to_string())
    })
}

pub fn kernel_release() -> String {
    // SAFETY: utsname is plain old data; uname() fills it and we read NUL-terminated fields.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return String::from("unknown");
        }
        std::ffi::CStr::from_ptr(u.release.as_ptr())
            .to_string_lossy()
            .into_owned()
    }
}

pub fn memlock_limit() -> (u64, u64) {
    // SAFETY: getrlimit writes into the rlimit we own.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut r) != 0 {
            return (u64::MAX, u64::MAX);
        }
        (r.rlim_cur as u64, r.rlim_max as u64)
    }
}

pub fn system_facts() -> SystemFacts {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let (memlock_soft, memlock_hard) = memlock_limit();
    let groups = status_field(&status, "Groups")
        .map(|g| {
            g.split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let mut groups: Vec<u32> = groups;
    // SAFETY: getegid/geteuid cannot fail.
    let (egid, euid) = unsafe { (libc::getegid(), libc::geteuid()) };
    if !groups.contains(&egid) {
        groups.push(egid);
    }
    let cap_sys_admin = status_field(&status, "CapEff")
        .and_then(|h| u64::from_str_radix(&h, 16).ok())
        .map(|caps| caps & (1 << 21) != 0)
        .unwrap_or(euid == 0);
    SystemFacts {
        kernel_release: kernel_release(),
        io_uring_disabled: read_trim("/proc/sys/kernel/io_uring_disabled")
            .and_then(|s| s.parse().ok()),
        io_uring_group: read_trim("/proc/sys/kernel/io_uring_group").and_then(|s| s.parse().ok()),
        seccomp_mode: status_field(&status, "Seccomp").and_then(|s| s.parse().ok()),
        seccomp_filters: status_field(&status, "Seccomp_filters").and_then(|s| s.parse().ok()),
        memlock_soft,
        memlock_hard,
        euid,
        groups,
        cap_sys_admin,
    }
}

/// Formats a byte limit the way a person reads it.
pub fn fmt_limit(v: u64) -> String {
    if v == u64::MAX || v == libc::RLIM_INFINITY {
        "unlimited".into()
    } else if v >= 1 << 20 && v.is_multiple_of(1 << 20) {
        format!("{} MiB", v >> 20)
    } else if v >= 1 << 10 && v.is_multiple_of(1 << 10) {
        format!("{} KiB", v >> 10)
    } else {
        format!("{v} bytes")
    }
}

/// Why io_uring_setup returned EPERM, as a sentence that says what to do.
pub fn explain_eperm(f: &SystemFacts) -> String {
    match f.io_uring_disabled {
        Some(2) => {
            return "io_uring is disabled for every process on this system (sysctl kernel.io_uring_disabled=2). \
                    Set it to 0 (sysctl -w kernel.io_uring_disabled=0) to allow it."
                .into()
        }
        Some(1) => {
            let in_group = f.io_uring_group.map(|g| g >= 0 && f.groups.contains(&(g as u32))).unwrap_or(false);
            if !f.cap_sys_admin && !in_group {
                let group = match f.io_uring_group {
                    Some(g) if g >= 0 => format!("members of group {g} (kernel.io_uring_group)"),
                    _ => "no group (kernel.io_uring_group=-1)".into(),
                };
                return format!(
                    "io_uring is restricted (sysctl kernel.io_uring_disabled=1) to CAP_SYS_ADMIN and {group}; \
                     this process has neither. Add the user to that group, or set kernel.io_uring_disabled=0."
                );
            }
        }
        _ => {}
    }
    if f.seccomp_mode == Some(2) {
        let n = f
            .seccomp_filters
            .map(|n| format!(" ({n} filter(s) attached)"))
            .unwrap_or_default();
        return format!(
            "a seccomp filter{n} blocks io_uring_setup, as the default profiles of Docker, containerd and \
             podman do. Run the container with a profile that allows io_uring_setup, io_uring_enter and \
             io_uring_register (e.g. --security-opt seccomp=<profile>)."
        );
    }
    if f.seccomp_mode == Some(1) {
        return "this process runs in seccomp strict mode, which allows no io_uring syscalls."
            .into();
    }
    "io_uring_setup returned EPERM, but neither kernel.io_uring_disabled nor seccomp explains it; \
     an LSM policy (SELinux, AppArmor) may deny io_uring."
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SystemFacts {
        SystemFacts {
            kernel_release: "6.12.0".into(),
            ..Default::default()
        }
    }

    #[test]
    fn eperm_names_the_sysctl() {
        let f = SystemFacts {
            io_uring_disabled: Some(2),
            ..facts()
        };
        assert!(explain_eperm(&f).contains("kernel.io_uring_disabled=2"));
        let f = SystemFacts {
            io_uring_disabled: Some(1),
            io_uring_group: Some(1234),
            ..facts()
        };
        assert!(explain_eperm(&f).contains("group 1234"));
        let f = SystemFacts {
            io_uring_disabled: Some(0),
            seccomp_mode: Some(2),
            seccomp_filters: Some(1),
            ..facts()
        };
        assert!(explain_eperm(&f).contains("seccomp"));
    }

    #[test]
    fn group_member_is_not_blamed_on_the_sysctl() {
        let f = SystemFacts {
            io_uring_disabled: Some(1),
            io_uring_group: Some(5),
            groups: vec![5],
            seccomp_mode: Some(2),
            ..facts()
        };
        assert!(explain_eperm(&f).contains("seccomp"));
    }

    #[test]
    fn limits_read_like_a_person_writes_them() {
        assert_eq!(fmt_limit(8 << 20), "8 MiB");
        assert_eq!(fmt_limit(64 << 10), "64 KiB");
        assert_eq!(fmt_limit(u64::MAX), "unlimited");
    }

    #[test]
    fn reads_this_process() {
        let f = system_facts();
        assert!(!f.kernel_release.is_empty());
        assert!(f.seccomp_mode.is_some());
    }
}
