//! The event-loop side of the async driver: an eventfd registered with the ring, watched by a
//! libuv poll handle on the loop of the env that owns the ring, and the env cleanup hook that
//! closes the ring (and that handle) when the env ends, even with ops in flight.
//!
//! libuv is the host's: its `uv_*` functions are looked up in the running process (`dlsym`),
//! never linked, so the addon uses exactly the loop Node runs. A runtime without them gets a
//! coded error at `driverStart`, not a hang.

use napi::sys;
use std::cell::Cell;
use std::ffi::{c_int, c_void, CStr};
use std::ptr;
use std::sync::OnceLock;

/// UV_READABLE
const UV_READABLE: c_int = 1;
/// `uv_handle_type` UV_POLL (libuv's enum: UNKNOWN, ASYNC, CHECK, FS_EVENT, FS_POLL, HANDLE, IDLE, NAMED_PIPE, POLL).
const UV_POLL: c_int = 8;

type PollCb = unsafe extern "C" fn(handle: *mut c_void, status: c_int, events: c_int);
type CloseCb = unsafe extern "C" fn(handle: *mut c_void);

/// The libuv functions the driver uses, resolved from the host process.
pub struct Uv {
    handle_size: unsafe extern "C" fn(c_int) -> usize,
    poll_init: unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int,
    poll_start: unsafe extern "C" fn(*mut c_void, c_int, PollCb) -> c_int,
    poll_stop: unsafe extern "C" fn(*mut c_void) -> c_int,
    close: unsafe extern "C" fn(*mut c_void, CloseCb),
    ref_: unsafe extern "C" fn(*mut c_void),
    unref: unsafe extern "C" fn(*mut c_void),
    set_data: unsafe extern "C" fn(*mut c_void, *mut c_void),
    get_data: unsafe extern "C" fn(*const c_void) -> *mut c_void,
}

fn sym(name: &CStr) -> Result<*mut c_void, String> {
    // SAFETY: dlsym with RTLD_DEFAULT only looks a NUL-terminated name up in the loaded objects.
    let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    if p.is_null() {
        Err(name.to_string_lossy().into_owned())
    } else {
        Ok(p)
    }
}

/// The host's libuv, or the name of the first function it lacks.
pub fn uv() -> Result<&'static Uv, String> {
    static UV: OnceLock<Result<Uv, String>> = OnceLock::new();
    UV.get_or_init(|| {
        // SAFETY: each symbol is libuv's public function of that name (stable since libuv 1.19),
        // whose C signature is the function pointer type it is transmuted to.
        unsafe {
            Ok(Uv {
                handle_size: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(c_int) -> usize>(sym(c"uv_handle_size")?),
                poll_init: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int>(sym(c"uv_poll_init")?),
                poll_start: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut c_void, c_int, PollCb) -> c_int>(sym(c"uv_poll_start")?),
                poll_stop: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut c_void) -> c_int>(sym(c"uv_poll_stop")?),
                close: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut c_void, CloseCb)>(sym(c"uv_close")?),
                ref_: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut c_void)>(sym(c"uv_ref")?),
                unref: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut c_void)>(sym(c"uv_unref")?),
                set_data: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*mut c_void, *mut c_void)>(sym(c"uv_handle_set_data")?),
                get_data: std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*const c_void) -> *mut c_void>(sym(c"uv_handle_get_data")?),
            })
        }
    })
    .as_ref()
    .map_err(|s| s.clone())
}

/// What the poll callback needs: it reads nothing else, so it never touches the ring itself.
struct Wake {
    env: sys::napi_env,
    efd: c_int,
    /// The JS function that reaps and settles (a reference: strong while ops are in flight).
    func: sys::napi_ref,
    ctx: sys::napi_async_context,
    wakeups: Cell<u32>,
}

/// Data of a poll handle being closed: the cleanup hook to complete once libuv has let go of
/// the handle.
struct Closing {
    hook: Option<HookReg>,
}

/// A registered async env cleanup hook (napi_add_async_cleanup_hook).
pub struct HookReg(pub sys::napi_async_cleanup_hook_handle);

impl HookReg {
    /// Removes the hook, or, if it has started, tells Node it is done.
    pub fn finish(self) {
        // SAFETY: the handle came from napi_add_async_cleanup_hook and is removed exactly once
        // (HookReg is consumed here).
        unsafe { sys::napi_remove_async_cleanup_hook(self.0) };
    }
}

thread_local! {
    /// Set while the poll callback runs JS; a Wake freed meanwhile waits in FREED until it ends.
    static IN_WAKE: Cell<bool> = const { Cell::new(false) };
    static FREED: Cell<Vec<usize>> = const { Cell::new(Vec::new()) };
}

/// A started driver: the eventfd and the poll handle watching it.
pub struct Driver {
    uv: &'static Uv,
    handle: *mut c_void,
    wake: *mut Wake,
    /// Whether the handle currently keeps the loop alive.
    referenced: bool,
    /// Whether the JS callback (and through it the ring) is held strongly: while ops are in
    /// flight, whatever `user_ref` says, so an unref'd ring is not collected under them.
    strong: bool,
    /// `ring.ref()` / `ring.unref()`.
    pub user_ref: bool,
    /// Register the eventfd afresh on every wakeup: a DEFER_TASKRUN ring on a kernel whose
    /// eventfd registration delivers only its first deferred-work signal
    /// (`uring_core::quirks::eventfd_loses_deferred_signals`).
    pub reregister: bool,
}

unsafe extern "C" fn on_readable(handle: *mut c_void, _status: c_int, _events: c_int) {
    let uv = match uv() {
        Ok(u) => u,
        Err(_) => return,
    };
    // SAFETY: the handle's data is the Wake set in `start`, freed only after uv_poll_stop (after
    // which this callback cannot run).
    let w = unsafe { &*((uv.get_data)(handle) as *const Wake) };
    let mut v = 0u64;
    // SAFETY: reads 8 bytes into `v` from our non-blocking eventfd; EAGAIN just means it was
    // already drained.
    unsafe { libc::read(w.efd, (&mut v as *mut u64).cast(), 8) };
    w.wakeups.set(w.wakeups.get().wrapping_add(1));
    let (env, fref, ctx) = (w.env, w.func, w.ctx);
    IN_WAKE.with(|f| f.set(true));
    // SAFETY (whole block): runs on the loop thread of `env`, outside any JS frame, which is
    // how node calls native callbacks; napi_make_callback enters a callback scope, so promise
    // reactions and nextTicks queued by the JS function run before it returns.
    unsafe {
        let mut scope = ptr::null_mut();
        if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
            return;
        }
        let mut func = ptr::null_mut();
        sys::napi_get_reference_value(env, fref, &mut func);
        if !func.is_null() {
            let mut recv = ptr::null_mut();
            sys::napi_get_global(env, &mut recv);
            let mut result = ptr::null_mut();
            let st = sys::napi_make_callback(env, ctx, recv, func, 0, ptr::null(), &mut result);
            if st == sys::Status::napi_pending_exception {
                let mut err = ptr::null_mut();
                sys::napi_get_and_clear_last_exception(env, &mut err);
                sys::napi_fatal_exception(env, err);
            }
        }
        sys::napi_close_handle_scope(env, scope);
    }
    IN_WAKE.with(|f| f.set(false));
    for w in FREED.with(|f| f.take()) {
        // SAFETY: a Wake whose driver was stopped while its callback ran (see `stop`).
        unsafe { drop_wake(w as *mut Wake) };
    }
}

unsafe extern "C" fn on_closed(handle: *mut c_void) {
    let Ok(uv) = uv() else { return };
    // SAFETY: `close` set the data to a leaked Box<Closing> and the handle to memory from
    // libc::malloc; libuv calls this once, after which it no longer uses the handle.
    unsafe {
        let c = Box::from_raw((uv.get_data)(handle) as *mut Closing);
        libc::free(handle);
        if let Some(h) = c.hook {
            h.finish();
        }
    }
}

impl Driver {
    /// Creates an eventfd, starts a poll handle on `env`'s loop that calls `func` when it becomes
    /// readable, then registers the eventfd with the ring (`register` is called with it).
    pub fn start(
        env: sys::napi_env,
        func: sys::napi_value,
        register: impl FnOnce(c_int) -> Result<(), (String, String)>,
    ) -> Result<Driver, (String, String)> {
        let uv = uv().map_err(|missing| {
            ("ERR_URING_NO_EVENT_LOOP".to_string(), format!("this runtime has no libuv poll handles ({missing} is missing): the async driver needs Node's event loop. Use the synchronous ring.sq / ring.cq API instead."))
        })?;
        let mut lp: *mut sys::uv_loop_s = ptr::null_mut();
        // SAFETY: writes the env's loop pointer into `lp`.
        let st = unsafe { sys::napi_get_uv_event_loop(env, &mut lp) };
        if st != sys::Status::napi_ok || lp.is_null() {
            return Err(("ERR_URING_NO_EVENT_LOOP".into(), "napi_get_uv_event_loop failed: this runtime gives no libuv loop to watch completions with".into()));
        }
        // SAFETY: plain eventfd(2).
        let efd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if efd < 0 {
            let e = std::io::Error::last_os_error();
            return Err((
                uring_core::setup::errno_name(e.raw_os_error().unwrap_or(0)).to_string(),
                format!("eventfd failed: {e}"),
            ));
        }
        let mut fref = ptr::null_mut();
        let mut ctx = ptr::null_mut();
        // SAFETY: `func` is a live function value of this call; the reference starts weak (0)
        // and becomes strong while ops are in flight (`update`). The async context is destroyed
        // with the Wake.
        unsafe {
            sys::napi_create_reference(env, func, 0, &mut fref);
            let mut name = ptr::null_mut();
            sys::napi_create_string_utf8(env, c"uring".as_ptr(), 5, &mut name);
            sys::napi_async_init(env, ptr::null_mut(), name, &mut ctx);
        }
        let wake = Box::into_raw(Box::new(Wake {
            env,
            efd,
            func: fref,
            ctx,
            wakeups: Cell::new(0),
        }));
        // SAFETY: allocates a uv_poll_t of the size libuv itself reports; libuv initialises it.
        let handle = unsafe { libc::malloc((uv.handle_size)(UV_POLL)) };
        if handle.is_null() {
            // SAFETY: undoing what was made above (this closes the eventfd); nothing else holds it.
            unsafe { drop_wake(wake) };
            return Err(("ENOMEM".into(), "could not allocate a poll handle".into()));
        }
        // SAFETY: `lp` is the env's live loop; `handle` is uv_poll_t-sized memory.
        let r = unsafe { (uv.poll_init)(lp.cast(), handle, efd) };
        if r != 0 {
            // SAFETY: a failed init leaves nothing registered with the loop; free what we made.
            unsafe {
                libc::free(handle);
                drop_wake(wake);
            }
            return Err((
                "ERR_URING_NO_EVENT_LOOP".into(),
                format!("uv_poll_init failed ({r})"),
            ));
        }
        // SAFETY: the handle is initialised; its data pointer stays valid until `stop`
        // (uv_poll_stop, then uv_close). Nothing is in flight yet, so it must not keep the
        // process alive.
        let r = unsafe {
            (uv.set_data)(handle, wake.cast());
            (uv.unref)(handle);
            (uv.poll_start)(handle, UV_READABLE, on_readable)
        };
        let d = Driver {
            uv,
            handle,
            wake,
            referenced: false,
            strong: false,
            user_ref: true,
            reregister: false,
        };
        if r != 0 {
            d.stop(None);
            return Err((
                "ERR_URING_NO_EVENT_LOOP".into(),
                format!("uv_poll_start failed ({r})"),
            ));
        }
        if let Err(e) = register(efd) {
            d.stop(None);
            return Err(e);
        }
        Ok(d)
    }

    /// Keeps the loop alive exactly while ops are in flight, unless the user called `unref()`;
    /// keeps the JS callback (and so the ring and its pending promises) reachable while ops are
    /// in flight in any case: `unref()` lets the process exit, it must not let the ring be
    /// collected (and closed) under a pending op whose promise the user still holds.
    pub fn update(&mut self, in_flight: usize) {
        let busy = in_flight > 0;
        let want = self.user_ref && busy;
        // SAFETY: the handle is live until `stop`; the reference belongs to `wake.env`.
        unsafe {
            if want != self.referenced {
                self.referenced = want;
                if want {
                    (self.uv.ref_)(self.handle);
                } else {
                    (self.uv.unref)(self.handle);
                }
            }
            if busy != self.strong {
                self.strong = busy;
                let w = &*self.wake;
                let mut n = 0;
                if busy {
                    sys::napi_reference_ref(w.env, w.func, &mut n);
                } else {
                    sys::napi_reference_unref(w.env, w.func, &mut n);
                }
            }
        }
    }

    /// Clears the eventfd's count (non-blocking): signals for completions already reaped.
    pub fn drain(&self) {
        let mut v = 0u64;
        // SAFETY: reads 8 bytes into `v` from our non-blocking eventfd, alive while the driver is;
        // EAGAIN (nothing to clear) is fine.
        unsafe { libc::read((*self.wake).efd, (&mut v as *mut u64).cast(), 8) };
    }

    /// The eventfd registered with the ring.
    pub fn eventfd(&self) -> c_int {
        // SAFETY: the Wake lives as long as the driver.
        unsafe { (*self.wake).efd }
    }

    /// How many times the poll callback has run.
    pub fn wakeups(&self) -> u32 {
        // SAFETY: the Wake lives as long as the driver.
        unsafe { (*self.wake).wakeups.get() }
    }

    /// Stops watching, closes the eventfd, and closes the handle; `hook` (if any) is completed
    /// once libuv has released the handle.
    pub fn stop(self, hook: Option<HookReg>) {
        // SAFETY: the handle is live (a Driver is stopped once, by value); after uv_poll_stop the
        // callback cannot run, so Wake can go; uv_close frees the handle in `on_closed`.
        unsafe {
            (self.uv.poll_stop)(self.handle);
            if IN_WAKE.with(|f| f.get()) {
                // Closed from JS run by this ring's own poll callback, which still holds it.
                FREED.with(|f| {
                    let mut v = f.take();
                    v.push(self.wake as usize);
                    f.set(v);
                });
            } else {
                drop_wake(self.wake);
            }
            (self.uv.set_data)(
                self.handle,
                Box::into_raw(Box::new(Closing { hook })).cast(),
            );
            (self.uv.close)(self.handle, on_closed);
        }
    }
}

/// Frees a Wake: its eventfd, its function reference and its async context.
///
/// # Safety
/// `w` came from Box::into_raw in `start` and is not used again.
unsafe fn drop_wake(w: *mut Wake) {
    // SAFETY: per the contract; the napi handles belong to `w.env`, still alive (drivers are
    // stopped by close(), a finalizer or the env cleanup hook, all before the env is gone).
    unsafe {
        let w = Box::from_raw(w);
        libc::close(w.efd);
        sys::napi_delete_reference(w.env, w.func);
        sys::napi_async_destroy(w.env, w.ctx);
    }
}
