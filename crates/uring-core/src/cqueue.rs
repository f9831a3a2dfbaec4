//! The completion mirror: an `Int32Array` JavaScript reads CQEs from after each native call.
//!
//! Layout: [`MIRROR_HEADER`] words of header, then [`CQE_STRIDE`] words per CQE:
//! `slot` (the op's slot, from user_data), `res`, `flags`, reserved.

pub const MIRROR_HEADER: usize = 8;
pub const CQE_STRIDE: usize = 4;

/// Header words.
pub const H_COUNT: usize = 0;
pub const H_SQ_PENDING: usize = 1;
pub const H_CQ_READY: usize = 2;
pub const H_OVERFLOW: usize = 3;
pub const H_IN_FLIGHT: usize = 4;
/// io_uring_enter calls so far (modulo 2^31): a debug counter.
pub const H_ENTERS: usize = 5;

/// CQE flag bits (IORING_CQE_F_*).
pub const F_BUFFER: u32 = 1 << 0;
pub const F_MORE: u32 = 1 << 1;
pub const F_SOCK_NONEMPTY: u32 = 1 << 2;
pub const F_NOTIF: u32 = 1 << 3;
pub const F_BUF_MORE: u32 = 1 << 4;
