//! uring-core: Linux io_uring for the `uring` npm package, with no napi in it.
//!
//! - [`setup`]: io_uring_setup with every flag, and setup errors that say why and what to do.
//! - [`probe`]: the opcode table (name, first kernel) and the probe of the running kernel.
//! - [`squeue`]: the staging format JS writes ops in, validated and turned into SQEs.
//! - [`ops_fs`], [`ops_net`], [`ops_ctl`]: the encoders of each op family beyond read/write.
//! - [`cqueue`]: the completion mirror JS reads CQEs from.
//! - [`ring`]: the ring itself: submit, reap, wait, close; op memory kept alive until its CQE.
//! - [`registrar`]: registered buffers and files as handles, direct descriptors, provided buffers.
//! - [`diagnose`]: sysctls, seccomp and limits that explain a refused setup.
//! - [`quirks`]: kernel bugs the library works around, found by trying them.

pub mod cqueue;
pub mod diagnose;
pub mod ops_ctl;
pub mod ops_fs;
pub mod ops_net;
pub mod probe;
pub mod quirks;
pub mod registrar;
pub mod ring;
pub mod setup;
pub mod squeue;

pub use ring::{Batch, CloseOutcome, Ring, RingError, SubmitOutcome, Wait};
pub use setup::{SetupError, SetupOptions, SqPoll};
