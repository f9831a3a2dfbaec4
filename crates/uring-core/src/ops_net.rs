//! Encoders of the net op family (see squeue::Enc).

use crate::squeue::{Enc, OpError};
use io_uring::squeue::Entry as Sqe;

/// Builds the SQE of `op` if it belongs to this family; None otherwise.
pub fn encode(op: u8, e: &mut Enc) -> Option<Result<Sqe, OpError>> {
    let _ = (op, e);
    None
}
