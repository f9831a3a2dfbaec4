//! Synchronous socket calls io_uring has no op for on every supported kernel: getsockname(2),
//! getpeername(2) (no io_uring op), and setsockopt(2)/getsockopt(2) of an int (IORING_OP_URING_CMD
//! has them only from 6.7). `uring/net` needs them for `address()`, `remoteAddress` and
//! `setNoDelay`/`setKeepAlive` on every kernel. Each is one cheap syscall that never blocks.
//!
//! Failures are returned, not thrown, as a negative errno (the ring's convention), so the JS side
//! builds the same Node-style SystemError it builds for a CQE.

use napi::bindgen_prelude::Either;
use napi_derive::napi;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A socket address as `uring/net` reports it: `family` is 'IPv4', 'IPv6' or 'unix' (Node's
/// names); a Unix socket has its path in `address` ('' when unnamed; an abstract name starts
/// with '\0') and port 0.
#[napi(object)]
pub struct SockName {
    pub family: String,
    pub address: String,
    pub port: u32,
    /// IPv6 flow info and scope id (0 otherwise).
    pub flowinfo: u32,
    pub scopeid: u32,
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn decode(ss: &libc::sockaddr_storage, len: libc::socklen_t) -> SockName {
    match ss.ss_family as i32 {
        libc::AF_INET => {
            // SAFETY: the kernel wrote a sockaddr_in (family AF_INET) into the storage, which is
            // larger than and aligned for every sockaddr type.
            let a = unsafe { &*(ss as *const libc::sockaddr_storage as *const libc::sockaddr_in) };
            SockName {
                family: "IPv4".into(),
                address: Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)).to_string(),
                port: u16::from_be(a.sin_port) as u32,
                flowinfo: 0,
                scopeid: 0,
            }
        }
        libc::AF_INET6 => {
            // SAFETY: as above, a sockaddr_in6 for family AF_INET6.
            let a = unsafe { &*(ss as *const libc::sockaddr_storage as *const libc::sockaddr_in6) };
            SockName {
                family: "IPv6".into(),
                address: Ipv6Addr::from(a.sin6_addr.s6_addr).to_string(),
                port: u16::from_be(a.sin6_port) as u32,
                flowinfo: u32::from_be(a.sin6_flowinfo),
                scopeid: a.sin6_scope_id,
            }
        }
        libc::AF_UNIX => {
            // SAFETY: as above, a sockaddr_un for family AF_UNIX.
            let a = unsafe { &*(ss as *const libc::sockaddr_storage as *const libc::sockaddr_un) };
            let off = std::mem::size_of::<libc::sa_family_t>();
            let n = (len as usize).saturating_sub(off).min(a.sun_path.len());
            let raw: Vec<u8> = a.sun_path[..n].iter().map(|&c| c as u8).collect();
            // A pathname ends at its NUL; an abstract name (leading NUL) is all `n` bytes.
            let bytes = if raw.first() == Some(&0) {
                &raw[..]
            } else {
                raw.split(|&b| b == 0).next().unwrap_or(&[])
            };
            SockName {
                family: "unix".into(),
                address: String::from_utf8_lossy(bytes).into_owned(),
                port: 0,
                flowinfo: 0,
                scopeid: 0,
            }
        }
        f => SockName {
            family: format!("AF_{f}"),
            address: String::new(),
            port: 0,
            flowinfo: 0,
            scopeid: 0,
        },
    }
}

fn name_of(fd: i32, peer: bool) -> Either<SockName, i32> {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let p = &mut ss as *mut libc::sockaddr_storage as *mut libc::sockaddr;
    // SAFETY: `p` points to a sockaddr_storage of `len` bytes that outlives the call; the kernel
    // writes at most `len` bytes and checks `fd` itself (a bad fd is EBADF/ENOTSOCK, not UB).
    let r = unsafe {
        if peer {
            libc::getpeername(fd, p, &mut len)
        } else {
            libc::getsockname(fd, p, &mut len)
        }
    };
    if r < 0 {
        return Either::B(-errno());
    }
    Either::A(decode(&ss, len))
}

/// getsockname(2): the local address of socket `fd`, or a negative errno.
#[napi]
pub fn sock_name(fd: i32) -> Either<SockName, i32> {
    name_of(fd, false)
}

/// getpeername(2): the address of the peer of socket `fd`, or a negative errno.
#[napi]
pub fn peer_name(fd: i32) -> Either<SockName, i32> {
    name_of(fd, true)
}

/// setsockopt(2) of an int option: 0, or a negative errno.
#[napi]
pub fn set_sock_opt_int(fd: i32, level: i32, name: i32, value: i32) -> i32 {
    // SAFETY: the option value is an int on our stack, passed with its exact size; the kernel
    // copies it in and validates fd, level and name itself.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &value as *const i32 as *const libc::c_void,
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if r < 0 {
        -errno()
    } else {
        0
    }
}

/// getsockopt(2) of an int option: `{ value }` as a one-element array `[value]`, or a negative
/// errno as a plain number.
#[napi]
pub fn get_sock_opt_int(fd: i32, level: i32, name: i32) -> Either<Vec<i32>, i32> {
    let mut v: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` (4) bytes into `v`, an int on our stack.
    let r = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            &mut v as *mut i32 as *mut libc::c_void,
            &mut len,
        )
    };
    if r < 0 {
        Either::B(-errno())
    } else {
        Either::A(vec![v])
    }
}

/// socket(2) (type may carry SOCK_CLOEXEC/SOCK_NONBLOCK): the fd, or a negative errno. For
/// kernels without IORING_OP_SOCKET (before 5.19).
#[napi]
pub fn socket_sync(domain: i32, ty: i32, protocol: i32) -> i32 {
    // SAFETY: plain integers; the kernel validates them.
    let r = unsafe { libc::socket(domain, ty, protocol) };
    if r < 0 {
        -errno()
    } else {
        r
    }
}

/// bind(2) to `addr`, sockaddr bytes checked as the ring checks them: 0, or a negative errno
/// (-EINVAL for bytes that are not a sockaddr). For kernels without IORING_OP_BIND (before 6.11).
#[napi]
pub fn bind_sync(fd: i32, addr: &[u8]) -> i32 {
    let (p, len) = match uring_core::ops_net::sockaddr(addr.as_ptr(), addr.len(), "address") {
        Ok(v) => v,
        Err(_) => return -libc::EINVAL,
    };
    // SAFETY: `p`/`len` describe `addr`, a checked sockaddr borrowed for the whole call.
    let r = unsafe { libc::bind(fd, p, len) };
    if r < 0 {
        -errno()
    } else {
        0
    }
}

/// listen(2): 0, or a negative errno. For kernels without IORING_OP_LISTEN (before 6.11).
#[napi]
pub fn listen_sync(fd: i32, backlog: i32) -> i32 {
    // SAFETY: plain integers; the kernel validates them.
    let r = unsafe { libc::listen(fd, backlog) };
    if r < 0 {
        -errno()
    } else {
        0
    }
}

/// shutdown(2) (`how`: SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2): 0, or a negative errno. For kernels
/// without IORING_OP_SHUTDOWN (before 5.11).
#[napi]
pub fn shutdown_sync(fd: i32, how: i32) -> i32 {
    // SAFETY: plain integers; the kernel validates them.
    let r = unsafe { libc::shutdown(fd, how) };
    if r < 0 {
        -errno()
    } else {
        0
    }
}
