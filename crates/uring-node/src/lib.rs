//! napi-rs binding of `uring-core`. It only converts: the logic lives in the core crate.
//!
//! The per-batch path is [`NativeRing::submit`]: JS has staged ops as numbers in a
//! `Float64Array` this ring holds a reference to, passes the batch's buffers as one array, and
//! reads completions back from an `Int32Array` mirror. One napi call per batch, not per op.

use napi::bindgen_prelude::*;
use napi::sys;
use napi::JsValue;
use napi_derive::napi;
use std::ptr;
use std::rc::Rc;
use std::time::Duration;
use uring_core::registrar::Region;
use uring_core::squeue::{Buffers, OpError};
use uring_core::{
    diagnose, probe, quirks, setup, Batch, Ring, RingError, SetupError, SetupOptions, SqPoll, Wait,
};

mod driver;
pub mod sock;

fn ring_err(e: RingError) -> napi::Error<String> {
    let msg = match e.errno {
        Some(n) => format!("{} (errno {n})", e.message),
        None => e.message,
    };
    napi::Error::new(e.code.to_string(), msg)
}

/// Registered or provided memory handed to JavaScript as an external ArrayBuffer over the very
/// pages the kernel uses: no copy. The ArrayBuffer holds one `Rc` of the region, dropped by its
/// finalizer, so the pages outlive both the registration and every JS view.
pub struct External(Rc<Region>);

unsafe extern "C" fn drop_region(
    _env: sys::napi_env,
    _data: *mut std::ffi::c_void,
    hint: *mut std::ffi::c_void,
) {
    // SAFETY: `hint` is the Box<Rc<Region>> leaked in to_napi_value, finalized exactly once.
    drop(unsafe { Box::from_raw(hint.cast::<Rc<Region>>()) });
}

impl TypeName for External {
    fn type_name() -> &'static str {
        "ArrayBuffer"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for External {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let (ptr, len) = (val.0.ptr(), val.0.len());
        let hint = Box::into_raw(Box::new(val.0));
        let mut out = ptr::null_mut();
        // SAFETY: `ptr..ptr+len` is the region's mapping, alive while `hint` (an Rc of it) is;
        // the finalizer frees `hint` when the ArrayBuffer is collected.
        let st = unsafe {
            sys::napi_create_external_arraybuffer(
                env,
                ptr.cast(),
                len,
                Some(drop_region),
                hint.cast(),
                &mut out,
            )
        };
        if st != sys::Status::napi_ok {
            // SAFETY: the finalizer was not registered, so the box is still ours.
            drop(unsafe { Box::from_raw(hint) });
            if st == sys::Status::napi_no_external_buffers_allowed {
                // A V8-sandbox runtime: JS gets null and throws ERR_URING_NO_EXTERNAL_BUFFERS.
                // SAFETY: napi_get_null writes one napi_value.
                unsafe { sys::napi_get_null(env, &mut out) };
                return Ok(out);
            }
            return Err(napi::Error::new(
                napi::Status::GenericFailure,
                "could not create an external ArrayBuffer over registered memory",
            ));
        }
        Ok(out)
    }
}

/// Keeps a batch's JS buffer array alive until the last op of the batch has completed.
struct BatchRef {
    env: sys::napi_env,
    reference: sys::napi_ref,
}

impl Drop for BatchRef {
    fn drop(&mut self) {
        // SAFETY: the reference was created on this env by napi_create_reference and is deleted
        // exactly once, here, on the JS thread (rings are only used from their own thread).
        unsafe {
            sys::napi_delete_reference(self.env, self.reference);
        }
    }
}

/// The buffers of one batch: a JS array of ArrayBufferViews / ArrayBuffers, or of arrays of them
/// for readv/writev.
struct JsBuffers {
    env: sys::napi_env,
    array: sys::napi_value,
    len: u32,
}

impl JsBuffers {
    fn element(
        &self,
        array: sys::napi_value,
        index: u32,
        len: u32,
    ) -> std::result::Result<sys::napi_value, OpError> {
        if index >= len {
            return Err(OpError::new(
                "ERR_INVALID_ARG_VALUE",
                format!("buffer {index} is not in this batch"),
            ));
        }
        let mut v = ptr::null_mut();
        // SAFETY: `array` is a live JS array value of this call's scope; napi_get_element writes
        // one napi_value.
        let st = unsafe { sys::napi_get_element(self.env, array, index, &mut v) };
        if st != sys::Status::napi_ok {
            return Err(OpError::new(
                "ERR_INVALID_ARG_VALUE",
                format!("buffer {index} could not be read"),
            ));
        }
        Ok(v)
    }

    /// Pointer and byte length of an ArrayBufferView or ArrayBuffer.
    fn view(
        &self,
        v: sys::napi_value,
        what: &str,
    ) -> std::result::Result<(*mut u8, usize), OpError> {
        let env = self.env;
        let mut is = false;
        let mut data: *mut std::ffi::c_void = ptr::null_mut();
        // SAFETY (whole block): every call reads a live value of this scope and writes only into
        // the locals passed by pointer. Node reports `data` already adjusted by the view's
        // byte offset, and the memory stays valid while the value is referenced (BatchRef).
        unsafe {
            sys::napi_is_typedarray(env, v, &mut is);
            if is {
                let mut ty = 0;
                let mut length = 0usize;
                let mut ab = ptr::null_mut();
                let mut off = 0usize;
                if sys::napi_get_typedarray_info(
                    env,
                    v,
                    &mut ty,
                    &mut length,
                    &mut data,
                    &mut ab,
                    &mut off,
                ) != sys::Status::napi_ok
                {
                    return Err(OpError::new(
                        "ERR_INVALID_ARG_TYPE",
                        format!("{what} could not be read"),
                    ));
                }
                let size = match ty {
                    sys::TypedarrayType::int8_array
                    | sys::TypedarrayType::uint8_array
                    | sys::TypedarrayType::uint8_clamped_array => 1,
                    sys::TypedarrayType::int16_array | sys::TypedarrayType::uint16_array => 2,
                    sys::TypedarrayType::int32_array
                    | sys::TypedarrayType::uint32_array
                    | sys::TypedarrayType::float32_array => 4,
                    _ => 8,
                };
                return Ok((nonnull(data), length * size));
            }
            sys::napi_is_dataview(env, v, &mut is);
            if is {
                let mut length = 0usize;
                let mut ab = ptr::null_mut();
                let mut off = 0usize;
                if sys::napi_get_dataview_info(env, v, &mut length, &mut data, &mut ab, &mut off)
                    != sys::Status::napi_ok
                {
                    return Err(OpError::new(
                        "ERR_INVALID_ARG_TYPE",
                        format!("{what} could not be read"),
                    ));
                }
                return Ok((nonnull(data), length));
            }
            sys::napi_is_arraybuffer(env, v, &mut is);
            if is {
                let mut length = 0usize;
                if sys::napi_get_arraybuffer_info(env, v, &mut data, &mut length)
                    != sys::Status::napi_ok
                {
                    return Err(OpError::new(
                        "ERR_INVALID_ARG_TYPE",
                        format!("{what} could not be read"),
                    ));
                }
                return Ok((nonnull(data), length));
            }
        }
        Err(OpError::new("ERR_INVALID_ARG_TYPE", format!("The \"{what}\" argument must be an instance of Buffer, TypedArray, DataView or ArrayBuffer")))
    }
}

fn nonnull(p: *mut std::ffi::c_void) -> *mut u8 {
    // A zero-length or detached buffer may report NULL; the kernel gets a length of 0 with it.
    if p.is_null() {
        ptr::NonNull::<u8>::dangling().as_ptr()
    } else {
        p.cast()
    }
}

fn array_len(env: sys::napi_env, v: sys::napi_value) -> Option<u32> {
    let mut is = false;
    let mut len = 0u32;
    // SAFETY: reads a live value of this scope into locals.
    unsafe {
        sys::napi_is_array(env, v, &mut is);
        if !is || sys::napi_get_array_length(env, v, &mut len) != sys::Status::napi_ok {
            return None;
        }
    }
    Some(len)
}

impl Buffers for JsBuffers {
    fn bytes(&mut self, index: u32) -> std::result::Result<(*mut u8, usize), OpError> {
        let v = self.element(self.array, index, self.len)?;
        self.view(v, "buffer")
    }

    fn list(
        &mut self,
        index: u32,
        out: &mut Vec<uring_core::squeue::Iovec>,
    ) -> std::result::Result<(), OpError> {
        let v = self.element(self.array, index, self.len)?;
        let Some(n) = array_len(self.env, v) else {
            return Err(OpError::new(
                "ERR_INVALID_ARG_TYPE",
                "The \"buffers\" argument must be an array of ArrayBufferViews",
            ));
        };
        if n as usize > uring_core::squeue::IOV_MAX {
            return Err(OpError::new("ERR_OUT_OF_RANGE", format!("The value of \"buffers.length\" is out of range. It must be <= {}. Received {n}", uring_core::squeue::IOV_MAX)));
        }
        for i in 0..n {
            let b = self.element(v, i, n)?;
            let (p, len) = self.view(b, "buffers[i]")?;
            out.push(uring_core::squeue::Iovec {
                iov_base: p.cast(),
                iov_len: len,
            });
        }
        Ok(())
    }
}

/// Options of `new Ring()` after the JS layer has checked their names and types.
#[napi(object)]
pub struct NativeSetupOptions {
    pub entries: u32,
    pub cq_entries: Option<u32>,
    pub clamp: Option<bool>,
    pub sqpoll: Option<bool>,
    pub sq_thread_idle: Option<u32>,
    pub sq_thread_cpu: Option<u32>,
    pub iopoll: Option<bool>,
    pub single_issuer: Option<bool>,
    pub defer_taskrun: Option<bool>,
    pub coop_taskrun: Option<bool>,
    pub taskrun_flag: Option<bool>,
    pub submit_all: Option<bool>,
    pub attach_wq_fd: Option<i32>,
    pub disabled: Option<bool>,
    pub no_sqarray: Option<bool>,
    pub dontfork: Option<bool>,
}

impl From<&NativeSetupOptions> for SetupOptions {
    fn from(o: &NativeSetupOptions) -> Self {
        let t = |b: Option<bool>| b.unwrap_or(false);
        SetupOptions {
            entries: o.entries,
            cq_entries: o.cq_entries,
            clamp: t(o.clamp),
            sqpoll: t(o.sqpoll).then_some(SqPoll {
                idle_ms: o.sq_thread_idle,
                cpu: o.sq_thread_cpu,
            }),
            iopoll: t(o.iopoll),
            single_issuer: t(o.single_issuer),
            defer_taskrun: t(o.defer_taskrun),
            coop_taskrun: t(o.coop_taskrun),
            taskrun_flag: t(o.taskrun_flag),
            submit_all: t(o.submit_all),
            attach_wq: o.attach_wq_fd,
            disabled: t(o.disabled),
            no_sqarray: t(o.no_sqarray),
            dontfork: t(o.dontfork),
        }
    }
}

/// Why setup failed; the JS layer turns it into a `RingSetupError`.
#[napi(object)]
pub struct SetupFailure {
    pub code: String,
    pub errno: i32,
    pub message: String,
    pub options: Vec<String>,
}

#[napi(object)]
pub struct NativeParams {
    pub sq_entries: u32,
    pub cq_entries: u32,
    pub flags: u32,
    pub sq_thread_cpu: u32,
    pub sq_thread_idle: u32,
    pub features: u32,
}

#[napi(object)]
pub struct NativeProbe {
    /// `supported[code]` for every opcode of the table.
    pub supported: Vec<bool>,
    pub last_op: Option<u32>,
    pub probed: bool,
}

#[napi(object)]
pub struct OpRow {
    pub code: u32,
    pub name: String,
    pub kernel_name: String,
    pub since: String,
}

#[napi(object)]
pub struct FlagRow {
    pub bit: u32,
    pub name: String,
    pub since: Option<String>,
}

#[napi(object)]
pub struct NativeSystemFacts {
    pub kernel_release: String,
    pub io_uring_disabled: Option<u32>,
    pub io_uring_group: Option<i64>,
    pub seccomp_mode: Option<u32>,
    pub seccomp_filters: Option<u32>,
    /// RLIMIT_MEMLOCK soft/hard in bytes; -1 is unlimited.
    pub memlock_soft: f64,
    pub memlock_hard: f64,
    pub eperm_explanation: String,
}

#[napi(object)]
pub struct NativeCloseOutcome {
    pub cancelled: u32,
    pub leaked: u32,
}

/// One ring with its staging area and completion mirror, and (once `driverStart` ran) the
/// eventfd + libuv poll handle that wake the event loop for completions.
#[napi]
pub struct NativeRing {
    ring: Ring<BatchRef>,
    staging: Float64Array,
    mirror: Int32Array,
    env: sys::napi_env,
    driver: Option<driver::Driver>,
    /// The env cleanup hook that closes this ring when its thread ends (registered once ops are
    /// pushed or the driver starts: from then on the kernel may hold pointers into this env's
    /// memory, which must not outlive it).
    hook: Option<driver::HookReg>,
}

/// The taskrun modes `autoTaskrun` tries, best first: (singleIssuer + deferTaskrun, coopTaskrun), each with taskrunFlag.
const AUTO_MODES: [(bool, bool); 3] = [(true, false), (false, true), (false, false)];

/// The first of [`AUTO_MODES`] this kernel accepts. A DEFER_TASKRUN ring answers
/// `uring_core::quirks`' question first (nothing else has used it yet); where its eventfd loses
/// deferred-work signals, which the async driver relies on, it is let go for COOP_TASKRUN.
fn open_auto(base: &SetupOptions) -> std::result::Result<Ring<BatchRef>, SetupError> {
    let mut i = 0;
    loop {
        let (defer, coop) = AUTO_MODES[i];
        i += 1;
        let o = SetupOptions {
            single_issuer: defer,
            defer_taskrun: defer,
            coop_taskrun: coop,
            taskrun_flag: defer || coop,
            ..base.clone()
        };
        match Ring::new(&o) {
            Ok(mut ring) => {
                ring.probe_quirks();
                if defer && quirks::known() == Some(true) {
                    continue;
                }
                return Ok(ring);
            }
            // Only "this kernel lacks the flag" moves on to the next mode; any other failure is
            // the answer.
            Err(e) if e.code == "ERR_URING_INVALID_OPTION" && i < AUTO_MODES.len() => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Sets up a ring. Returns the ring, or a `SetupFailure` describing why it could not be.
/// With `autoTaskrun`, tries SINGLE_ISSUER + DEFER_TASKRUN (6.1), then COOP_TASKRUN (5.19), then
/// neither, taking the first this kernel accepts; DEFER_TASKRUN is passed over on a kernel whose
/// eventfd loses deferred-work signals (`uring_core::quirks`), which the async driver relies on.
#[napi(ts_return_type = "NativeRing | SetupFailure")]
pub fn open_ring(
    env: Env,
    options: NativeSetupOptions,
    staging: Float64Array,
    mirror: Int32Array,
    auto_taskrun: Option<bool>,
) -> Either<NativeRing, SetupFailure> {
    let base = SetupOptions::from(&options);
    let result = if auto_taskrun == Some(true) {
        open_auto(&base)
    } else {
        Ring::new(&base).map(|mut ring| {
            ring.probe_quirks();
            ring
        })
    };
    match result {
        Ok(ring) => Either::A(NativeRing {
            ring,
            staging,
            mirror,
            env: env.raw(),
            driver: None,
            hook: None,
        }),
        Err(e) => Either::B(SetupFailure {
            code: e.code.to_string(),
            errno: e.errno,
            message: e.message,
            options: e.options.iter().map(|s| s.to_string()).collect(),
        }),
    }
}

/// The env is ending: close the ring (cancel what is in flight and wait for it) and the poll
/// handle, then tell Node (once libuv has released the handle).
unsafe extern "C" fn ring_cleanup(
    _handle: sys::napi_async_cleanup_hook_handle,
    arg: *mut std::ffi::c_void,
) {
    // SAFETY: `arg` is the NativeRing that registered this hook; napi-rs keeps it at this address
    // until its finalizer, whose Drop removes the hook first (see `teardown`).
    let r = unsafe { &mut *arg.cast::<NativeRing>() };
    r.teardown(Duration::from_secs(10));
}

impl NativeRing {
    fn ensure_hook(&mut self) {
        if self.hook.is_some() || self.ring.is_closed() {
            return;
        }
        let mut h = ptr::null_mut();
        // SAFETY: registers `self` (at a stable address: napi-rs boxed it when wrapping) with this
        // env; the hook is removed in `teardown` before `self` can go away.
        let st = unsafe {
            sys::napi_add_async_cleanup_hook(
                self.env,
                Some(ring_cleanup),
                (self as *mut NativeRing).cast(),
                &mut h,
            )
        };
        if st == sys::Status::napi_ok {
            self.hook = Some(driver::HookReg(h));
        }
    }

    /// Closes the ring (cancelling and waiting for what is in flight) and the driver; completes
    /// the cleanup hook once nothing of this ring is left in the env's loop.
    fn teardown(&mut self, grace: Duration) -> uring_core::CloseOutcome {
        let o = self.ring.close(grace);
        let hook = self.hook.take();
        match self.driver.take() {
            Some(d) => d.stop(hook),
            None => {
                if let Some(h) = hook {
                    h.finish();
                }
            }
        }
        o
    }

    fn update_ref(&mut self) {
        if let Some(d) = self.driver.as_mut() {
            d.update(self.ring.in_flight());
        }
    }
}

impl Drop for NativeRing {
    fn drop(&mut self) {
        self.teardown(Duration::from_secs(10));
    }
}

#[napi(object)]
pub struct DriverStats {
    /// Times the poll handle woke the loop for this ring.
    pub wakeups: u32,
}

#[napi]
impl NativeRing {
    /// Pushes `count` staged entries (their buffers are the elements of `bufs`), enters the
    /// kernel, and copies completions into the mirror. Waits for `wait` completions (bounded by
    /// `timeoutMs` when >= 0). Returns the number of CQEs in the mirror; with a wait that timed
    /// out, the count is negated minus one (-1 - n).
    #[napi]
    pub fn submit(
        &mut self,
        env: Env,
        count: u32,
        bufs: Option<Unknown>,
        wait: u32,
        timeout_ms: f64,
    ) -> Result<i32, String> {
        let raw_env = env.raw();
        let (mut buffers, keep) = match bufs {
            Some(b) if count > 0 => {
                let v = b.raw();
                let Some(len) = array_len(raw_env, v) else {
                    return Err(napi::Error::new(
                        "ERR_INVALID_ARG_TYPE".to_string(),
                        "bufs must be an array",
                    ));
                };
                let keep = if len > 0 {
                    let mut r = ptr::null_mut();
                    // SAFETY: creates a strong reference to a live array of this scope.
                    let st = unsafe { sys::napi_create_reference(raw_env, v, 1, &mut r) };
                    if st != sys::Status::napi_ok {
                        return Err(napi::Error::new(
                            "ERR_URING_INTERNAL".to_string(),
                            "could not reference the batch buffers",
                        ));
                    }
                    Some(BatchRef {
                        env: raw_env,
                        reference: r,
                    })
                } else {
                    None
                };
                (
                    JsBuffers {
                        env: raw_env,
                        array: v,
                        len,
                    },
                    keep,
                )
            }
            _ => (
                JsBuffers {
                    env: raw_env,
                    array: ptr::null_mut(),
                    len: 0,
                },
                None,
            ),
        };
        let timeout = (timeout_ms >= 0.0 && timeout_ms.is_finite())
            .then(|| Duration::from_secs_f64(timeout_ms / 1000.0));
        let staging: &[f64] = &self.staging;
        // SAFETY: JS is single-threaded and is blocked in this very call, so nothing else reads
        // or writes the mirror while this slice lives; it ends before we return.
        let mirror: &mut [i32] = unsafe { self.mirror.as_mut() };
        let out = self.ring.submit(
            Batch {
                staging,
                count: count as usize,
                bufs: &mut buffers,
                keep,
            },
            Wait { min: wait, timeout },
            mirror,
        );
        if count > 0 {
            self.ensure_hook();
        }
        self.update_ref();
        let out = out.map_err(ring_err)?;
        let n = out.completions as i32;
        Ok(if out.timed_out { -1 - n } else { n })
    }

    /// Copies ready completions into the mirror without submitting.
    #[napi]
    pub fn reap(&mut self) -> Result<u32, String> {
        // SAFETY: as in `submit`: JS is blocked in this call, so the slice is not aliased.
        let mirror: &mut [i32] = unsafe { self.mirror.as_mut() };
        let r = self.ring.reap(mirror).map_err(ring_err);
        self.update_ref();
        r
    }

    /// The driver's reap after a wakeup: copies completions out, clears the eventfd of the
    /// signals those completions (and the completion work a DEFER_TASKRUN reap runs) made, then
    /// looks once more, so a completion that came in between is not left without a signal.
    /// Without this every later completion on a DEFER_TASKRUN ring woke the loop twice.
    #[napi]
    pub fn wake_reap(&mut self) -> Result<u32, String> {
        if let Some(efd) = self
            .driver
            .as_ref()
            .filter(|d| d.reregister)
            .map(|d| d.eventfd())
        {
            // A fresh registration, before the reap: a signal the old one dropped was for work
            // queued before this point, which the reap below runs; work queued after it signals
            // through the new one.
            self.ring.unregister_eventfd().map_err(ring_err)?;
            self.ring
                .register_eventfd(efd as f64, false)
                .map_err(ring_err)?;
        }
        // SAFETY: as in `submit`: JS is blocked in this call, so the slice is not aliased.
        let mirror: &mut [i32] = unsafe { self.mirror.as_mut() };
        let mut n = self.ring.reap(mirror).map_err(ring_err)?;
        if let Some(d) = self.driver.as_ref() {
            d.drain();
            n += self.ring.reap(mirror).map_err(ring_err)?;
        }
        self.update_ref();
        Ok(n)
    }

    /// Starts the async driver: an eventfd registered with the ring, watched by a libuv poll
    /// handle on this env's loop, which calls `onWake` (inside a callback scope) when completions
    /// may be waiting. The handle keeps the loop alive only while ops are in flight.
    #[napi]
    pub fn driver_start(&mut self, env: Env, on_wake: Function<(), ()>) -> Result<(), String> {
        if self.ring.is_closed() {
            return Err(ring_err(RingError::closed()));
        }
        if self.driver.is_some() {
            return Ok(());
        }
        if self.ring.registrar().eventfd {
            return Err(napi::Error::new("ERR_URING_EVENTFD_IN_USE".to_string(), "an eventfd is registered with this ring (registrar.registerEventfd); the async driver needs the ring's eventfd slot: unregister it first".to_string()));
        }
        let ring = &mut self.ring;
        let mut d = driver::Driver::start(env.raw(), on_wake.raw(), |efd| {
            ring.register_eventfd(efd as f64, false)
                .map_err(|e| (e.code.to_string(), e.message))
        })
        .map_err(|(code, msg)| napi::Error::new(code, msg))?;
        d.reregister = self.ring.defers_taskrun() && quirks::eventfd_loses_deferred_signals();
        self.driver = Some(d);
        self.ensure_hook();
        self.update_ref();
        Ok(())
    }

    /// `ring.ref()` / `ring.unref()`: whether ops in flight keep the process alive.
    #[napi]
    pub fn driver_ref(&mut self, on: bool) {
        if let Some(d) = self.driver.as_mut() {
            d.user_ref = on;
        }
        self.update_ref();
    }

    #[napi]
    pub fn driver_stats(&self) -> DriverStats {
        DriverStats {
            wakeups: self.driver.as_ref().map_or(0, |d| d.wakeups()),
        }
    }

    #[napi]
    pub fn params(&self) -> NativeParams {
        let p = self.ring.params();
        NativeParams {
            sq_entries: p.sq_entries,
            cq_entries: p.cq_entries,
            flags: p.flags,
            sq_thread_cpu: p.sq_thread_cpu,
            sq_thread_idle: p.sq_thread_idle,
            features: p.features,
        }
    }

    #[napi]
    pub fn probe(&mut self) -> Result<NativeProbe, String> {
        let p = self.ring.probe().map_err(ring_err)?;
        Ok(NativeProbe {
            supported: p.supported.clone(),
            last_op: p.last_op.map(u32::from),
            probed: p.probed,
        })
    }

    #[napi]
    pub fn fd(&self) -> Result<i32, String> {
        self.ring.fd().map_err(ring_err)
    }

    #[napi]
    pub fn sq_space(&mut self) -> u32 {
        self.ring.sq_space()
    }

    /// Free SQ entries; with sqpoll, waits for the SQ thread until there are `need` (see
    /// `Ring::sq_wait_space`).
    #[napi]
    pub fn sq_wait_space(&mut self, need: u32) -> Result<u32, String> {
        self.ring.sq_wait_space(need).map_err(ring_err)
    }

    #[napi]
    pub fn in_flight(&self) -> u32 {
        self.ring.in_flight() as u32
    }

    #[napi]
    pub fn enable(&mut self) -> Result<(), String> {
        self.ring.enable().map_err(ring_err)
    }

    // ---- registrar (one napi call per registration, never per op) ----

    /// Registers buffers; returns `[index, generation, ...]`.
    #[napi]
    pub fn register_buffers(&mut self, sizes: Vec<f64>) -> Result<Vec<u32>, String> {
        let out = self.ring.register_buffers(&sizes).map_err(ring_err)?;
        Ok(out.iter().flat_map(|(i, g, _)| [*i, *g]).collect())
    }

    /// The memory of a registered buffer, as an ArrayBuffer over its pages.
    #[napi(ts_return_type = "ArrayBuffer | null")]
    pub fn buffer_bytes(&self, index: u32, gen: u32) -> Result<External, String> {
        let r = self.ring.registrar().buffer(index, gen).map_err(ring_err)?;
        Ok(External(r.clone()))
    }

    #[napi]
    pub fn reserve_buffers(&mut self, n: f64) -> Result<(), String> {
        self.ring.reserve_buffers(n).map_err(ring_err)
    }

    /// Returns `[index, generation]`.
    #[napi]
    pub fn update_buffer(&mut self, slot: f64, size: f64) -> Result<Vec<u32>, String> {
        let (i, g, _) = self.ring.update_buffer(slot, size).map_err(ring_err)?;
        Ok(vec![i, g])
    }

    #[napi]
    pub fn unregister_buffer(&mut self, index: u32, gen: u32) -> Result<(), String> {
        self.ring.unregister_buffer(index, gen).map_err(ring_err)
    }

    #[napi]
    pub fn unregister_buffers(&mut self) -> Result<(), String> {
        self.ring.unregister_buffers().map_err(ring_err)
    }

    /// Registers files; returns `[index, generation, ...]`.
    #[napi]
    pub fn register_files(&mut self, fds: Vec<f64>) -> Result<Vec<u32>, String> {
        let out = self.ring.register_files(&fds).map_err(ring_err)?;
        Ok(out.iter().flat_map(|(i, g)| [*i, *g]).collect())
    }

    #[napi]
    pub fn reserve_files(&mut self, n: f64) -> Result<(), String> {
        self.ring.reserve_files(n).map_err(ring_err)
    }

    /// Pinned direct slots: `[index, gen, index, gen, ...]`.
    #[napi]
    pub fn direct_slots(&mut self, n: f64) -> Result<Vec<u32>, String> {
        let out = self.ring.direct_slots(n).map_err(ring_err)?;
        Ok(out.iter().flat_map(|(i, g)| [*i, *g]).collect())
    }

    /// Returns the slot's new generation.
    #[napi]
    pub fn update_file(&mut self, index: u32, gen: u32, fd: f64) -> Result<u32, String> {
        self.ring.update_file(index, gen, fd).map_err(ring_err)
    }

    #[napi]
    pub fn unregister_file(&mut self, index: u32, gen: u32) -> Result<(), String> {
        self.ring.unregister_file(index, gen).map_err(ring_err)
    }

    #[napi]
    pub fn unregister_files(&mut self) -> Result<(), String> {
        self.ring.unregister_files().map_err(ring_err)
    }

    /// Whether `(index, generation)` is a live file-table slot.
    #[napi]
    pub fn file_live(&self, index: u32, gen: u32) -> bool {
        self.ring.registrar().file(index, gen).is_ok()
    }

    #[napi]
    pub fn install_fd(&mut self, index: u32, gen: u32, cloexec: bool) -> Result<i32, String> {
        self.ring.install_fd(index, gen, cloexec).map_err(ring_err)
    }

    /// Makes a provided-buffer group; returns `[id, generation, legacy ? 1 : 0]`.
    #[napi]
    pub fn buffer_group(
        &mut self,
        count: f64,
        size: f64,
        id: Option<f64>,
        incremental: bool,
        legacy: bool,
    ) -> Result<Vec<u32>, String> {
        let (id, g, _, legacy) = self
            .ring
            .buffer_group(count, size, id, incremental, legacy)
            .map_err(ring_err)?;
        Ok(vec![id as u32, g, legacy as u32])
    }

    #[napi(ts_return_type = "ArrayBuffer | null")]
    pub fn group_bytes(&self, id: u32, gen: u32) -> Result<External, String> {
        let g = self.ring.registrar().group(id, gen).map_err(ring_err)?;
        Ok(External(g.region.clone()))
    }

    #[napi]
    pub fn group_available(&self, id: u32, gen: u32) -> Result<u32, String> {
        Ok(self
            .ring
            .registrar()
            .group(id, gen)
            .map_err(ring_err)?
            .available())
    }

    /// The buffer ids of a bundle CQE of group `id` whose first buffer is `bid`, in order.
    #[napi]
    pub fn group_bundle(&self, id: u32, gen: u32, bid: u32) -> Result<Vec<u32>, String> {
        let g = self.ring.registrar().group(id, gen).map_err(ring_err)?;
        Ok(g.bundle(bid as u16).into_iter().map(u32::from).collect())
    }

    #[napi]
    pub fn release_buffer(&mut self, id: u32, gen: u32, bid: f64) -> Result<(), String> {
        self.ring.release_buffer(id, gen, bid).map_err(ring_err)
    }

    #[napi]
    pub fn close_group(&mut self, id: u32, gen: u32) -> Result<(), String> {
        self.ring.close_group(id, gen).map_err(ring_err)
    }

    #[napi]
    pub fn register_eventfd(&mut self, fd: f64, only_async: bool) -> Result<(), String> {
        self.no_driver_eventfd()?;
        self.ring.register_eventfd(fd, only_async).map_err(ring_err)
    }

    #[napi]
    pub fn unregister_eventfd(&mut self) -> Result<(), String> {
        self.no_driver_eventfd()?;
        self.ring.unregister_eventfd().map_err(ring_err)
    }

    fn no_driver_eventfd(&self) -> Result<(), String> {
        if self.driver.is_some() {
            return Err(napi::Error::new(
                "ERR_URING_EVENTFD_IN_USE".to_string(),
                "the async driver (ring.run) uses this ring's eventfd; a ring has one".to_string(),
            ));
        }
        Ok(())
    }

    /// Returns `[id, generation]`.
    #[napi]
    pub fn register_personality(&mut self) -> Result<Vec<u32>, String> {
        let (id, g) = self.ring.register_personality().map_err(ring_err)?;
        Ok(vec![id as u32, g])
    }

    #[napi]
    pub fn unregister_personality(&mut self, id: u32, gen: u32) -> Result<(), String> {
        let id = u16::try_from(id).map_err(|_| {
            napi::Error::new("ERR_URING_STALE_HANDLE".to_string(), "no such personality")
        })?;
        self.ring.unregister_personality(id, gen).map_err(ring_err)
    }

    #[napi]
    pub fn register_ring_fd(&mut self) -> Result<u32, String> {
        self.ring.register_ring_fd().map_err(ring_err)
    }

    /// Cancels everything in flight, waits for those CQEs (up to `graceMs`), frees the ring.
    #[napi]
    pub fn close(&mut self, grace_ms: Option<u32>) -> NativeCloseOutcome {
        let o = self.teardown(Duration::from_millis(grace_ms.unwrap_or(10_000) as u64));
        NativeCloseOutcome {
            cancelled: o.cancelled as u32,
            leaked: o.leaked as u32,
        }
    }
}

/// The opcode table: every opcode with its JS name, kernel name and first kernel.
#[napi]
pub fn op_table() -> Vec<OpRow> {
    probe::OPS
        .iter()
        .map(|o| OpRow {
            code: o.code as u32,
            name: o.name.into(),
            kernel_name: o.kernel_name.into(),
            since: o.since.into(),
        })
        .collect()
}

#[napi]
pub fn setup_flag_table() -> Vec<FlagRow> {
    setup::SETUP_FLAGS
        .iter()
        .map(|(b, n)| FlagRow {
            bit: *b,
            name: (*n).into(),
            since: None,
        })
        .collect()
}

#[napi]
pub fn feature_table() -> Vec<FlagRow> {
    setup::FEATURES
        .iter()
        .map(|(b, n, s)| FlagRow {
            bit: *b,
            name: (*n).into(),
            since: Some((*s).into()),
        })
        .collect()
}

/// Kernel bugs found by trying them (see `uring_core::quirks`), probed once per process.
#[napi(object)]
pub struct KernelQuirks {
    /// A DEFER_TASKRUN ring's registered eventfd delivers only the first signal for completion
    /// work queued from a poll wakeup (Linux 6.12.117). `new Ring()` then picks COOP_TASKRUN,
    /// and the driver of a ring asked for DEFER_TASKRUN registers its eventfd afresh per wakeup.
    pub eventfd_loses_deferred_signals: bool,
}

#[napi]
pub fn kernel_quirks() -> KernelQuirks {
    KernelQuirks {
        eventfd_loses_deferred_signals: quirks::eventfd_loses_deferred_signals(),
    }
}

#[napi]
pub fn system_facts() -> NativeSystemFacts {
    let f = diagnose::system_facts();
    let lim = |v: u64| if v == u64::MAX { -1.0 } else { v as f64 };
    NativeSystemFacts {
        eperm_explanation: diagnose::explain_eperm(&f),
        kernel_release: f.kernel_release,
        io_uring_disabled: f.io_uring_disabled,
        io_uring_group: f.io_uring_group,
        seccomp_mode: f.seccomp_mode,
        seccomp_filters: f.seccomp_filters,
        memlock_soft: lim(f.memlock_soft),
        memlock_hard: lim(f.memlock_hard),
    }
}

/// The staging and mirror layout constants, so JS never hard-codes them apart from Rust.
#[napi(object)]
pub struct Layout {
    pub stride: u32,
    pub cqe_stride: u32,
    pub mirror_header: u32,
}

#[napi]
pub fn layout() -> Layout {
    Layout {
        stride: uring_core::squeue::STRIDE as u32,
        cqe_stride: uring_core::cqueue::CQE_STRIDE as u32,
        mirror_header: uring_core::cqueue::MIRROR_HEADER as u32,
    }
}

/// epoll_create1(EPOLL_CLOEXEC): an epoll fd for `op.epollCtl` / `op.epollWait` (no io_uring op
/// creates one, and Node has no API for it). The caller closes it.
#[napi]
pub fn epoll_create() -> Result<i32> {
    use std::os::fd::IntoRawFd;
    uring_core::ops_ctl::epoll_create()
        .map(|fd| fd.into_raw_fd())
        .map_err(|e| Error::from_reason(format!("epoll_create1 failed: {e}")))
}
