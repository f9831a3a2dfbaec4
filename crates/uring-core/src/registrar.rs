//! The registrar: registered buffers and files as handles with generations, direct descriptors,
//! provided-buffer groups, eventfd, personalities and the registered ring fd.
//!
//! Every handle JavaScript holds is `(index, generation)`. The generation comes from one
//! process-wide counter, so a handle of another ring, or of a slot that was unregistered,
//! replaced or closed since, never matches what this ring has at that index: the check in
//! [`Registrar::file`] / [`Registrar::buffer`] / [`Registrar::group`] turns it into
//! `ERR_URING_STALE_HANDLE` before any SQE is built.

use crate::ring::{reg, retry_eintr, Ring, RingError, INTERNAL};
use io_uring::{opcode, types};
use std::collections::HashMap;
use std::io;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};

/// Most registered buffers (IORING_MAX_REG_BUFFERS).
pub const MAX_BUFFERS: usize = 1 << 14;
/// Largest registered buffer (the kernel's SZ_1G).
pub const MAX_BUFFER_SIZE: usize = 1 << 30;
/// Most slots of the file table (IORING_MAX_FIXED_FILES).
pub const MAX_FILES: usize = 1 << 20;
/// Most buffers in one provided-buffer group (a buffer ring has at most 32768 entries).
pub const MAX_GROUP_BUFFERS: u32 = 1 << 15;
/// Largest provided buffer (the kernel takes the length as an int).
pub const MAX_GROUP_BUFFER_SIZE: u64 = (1 << 31) - 1;

const IOU_PBUF_RING_INC: u16 = 2;
const IORING_REGISTER_RING_FDS: u32 = 20;
const IORING_REGISTER_FILE_ALLOC_RANGE: u32 = 25;

/// io_uring_register(2) with an opcode the io-uring crate has no method for, made again on EINTR
/// like every register call ([`retry_eintr`]).
///
/// # Safety
/// `arg` must point to what `opcode` reads (and writes) for `nr_args`, alive for the call.
unsafe fn register_raw(
    io: &io_uring::IoUring,
    opcode: u32,
    arg: *mut libc::c_void,
    nr_args: u32,
) -> io::Result<()> {
    retry_eintr(|| {
        // SAFETY: the caller vouches for `arg` (above); the fd is the ring's own, open while `io`
        // is borrowed.
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                std::os::fd::AsRawFd::as_raw_fd(io),
                opcode,
                arg,
                nr_args,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    })
}
/// user_data tag of a legacy PROVIDE_BUFFERS that gives one buffer back (its CQE is internal).
pub(crate) const PROVIDE: u64 = 1 << 61;

static NEXT_GEN: AtomicU32 = AtomicU32::new(1);

/// A fresh generation: non-zero, 31 bits (it travels in an `Int32Array` word), unique across
/// every ring of the process until 2^31 handles have been made.
pub fn next_gen() -> u32 {
    loop {
        let g = NEXT_GEN.fetch_add(1, Ordering::Relaxed) & 0x7fff_ffff;
        if g != 0 {
            return g;
        }
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

/// Page-aligned memory shared by the kernel (registered or provided) and JavaScript (as an
/// external ArrayBuffer). It is freed only when the last `Rc` goes: the ring's table, an op in
/// flight that uses it, and every JS view each hold one.
#[derive(Debug)]
pub struct Region {
    ptr: NonNull<u8>,
    len: usize,
    map_len: usize,
}

impl Region {
    /// Anonymous private pages for `len` bytes (at least one page).
    pub fn map(len: usize) -> Result<Rc<Region>, RingError> {
        let page = page_size();
        let map_len = len.max(1).div_ceil(page) * page;
        // SAFETY: an anonymous private mapping with no address hint touches no existing memory.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            let e = io::Error::last_os_error();
            return Err(RingError::new(
                "ENOMEM",
                format!("could not map {map_len} bytes: {e}"),
            ));
        }
        Ok(Rc::new(Region {
            ptr: NonNull::new(p.cast()).expect("mmap returned a non-null address"),
            len,
            map_len,
        }))
    }

    pub fn ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes pinned when registered (whole pages).
    pub fn pinned(&self) -> usize {
        self.map_len
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`map_len` are exactly what mmap returned, unmapped once. Pages the kernel
        // still pins stay alive on its side; our address range is simply gone.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.map_len);
        }
    }
}

#[derive(Default, Clone)]
pub struct BufSlot {
    pub gen: u32,
    pub region: Option<Rc<Region>>,
}

/// How a group gives buffers to the kernel.
enum GroupKind {
    /// A ring-mapped buffer ring (5.19+): we write entries and publish the tail.
    Ring {
        entries: Rc<Region>,
        mask: u16,
        tail: u16,
    },
    /// PROVIDE_BUFFERS ops (5.7+).
    Legacy,
}

/// A provided-buffer group.
pub struct Group {
    pub gen: u32,
    pub region: Rc<Region>,
    pub size: u32,
    pub count: u32,
    pub incremental: bool,
    kind: GroupKind,
    /// Per buffer: true while JavaScript holds it (the kernel filled it, nobody released it).
    taken: Vec<bool>,
    /// Per buffer (incremental groups): where the kernel's next write into it starts.
    consumed: Vec<u32>,
    out: u32,
    /// Buffer rings: the buffer id at each ring position (indexed by position & mask), and the
    /// position of each buffer, so a bundle's buffers (consecutive positions) are known by id.
    order: Vec<u16>,
    pos: Vec<u16>,
    /// The buffers of the last bundle that started at a buffer id, in order (until it is released).
    bundles: HashMap<u16, Vec<u16>>,
}

impl Group {
    pub fn is_legacy(&self) -> bool {
        matches!(self.kind, GroupKind::Legacy)
    }

    /// The buffer ids of the bundle that started at `bid` (just `[bid]` for a single buffer).
    pub fn bundle(&self, bid: u16) -> Vec<u16> {
        self.bundles.get(&bid).cloned().unwrap_or_else(|| vec![bid])
    }

    /// Buffers the kernel can pick from.
    pub fn available(&self) -> u32 {
        self.count - self.out
    }

    /// Adds buffer `bid` at the tail of the ring and publishes it.
    fn ring_add(&mut self, bid: u16) {
        let (size, base) = (self.size, self.region.ptr());
        if let GroupKind::Ring {
            entries,
            mask,
            tail,
        } = &mut self.kind
        {
            let at = (*tail & *mask) as usize;
            self.order[at] = bid;
            self.pos[bid as usize] = *tail;
            // SAFETY: `at` <= mask < number of entries the region was sized for; each entry is a
            // 16-byte io_uring_buf; `base + bid*size` is inside the group's region (bid < count).
            unsafe {
                let e = entries.ptr().cast::<types::BufRingEntry>().add(at);
                (*e).set_addr(base.add(bid as usize * size as usize) as u64);
                (*e).set_len(size);
                (*e).set_bid(bid);
            }
            *tail = tail.wrapping_add(1);
            // SAFETY: the tail lives in the resv field of entry 0 (io_uring_buf_ring), inside the
            // region and 2-aligned; AtomicU16 has u16's layout. The kernel reads it with acquire,
            // so publish with release.
            unsafe {
                let t = types::BufRingEntry::tail(entries.ptr().cast::<types::BufRingEntry>())
                    as *const AtomicU16;
                (*t).store(*tail, Ordering::Release);
            }
        }
    }
}

/// What the ring has registered.
#[derive(Default)]
pub struct Registrar {
    pub bufs: Vec<BufSlot>,
    pub buf_table: bool,
    /// The table's size was chosen with `reserve_buffers`: it does not grow by itself.
    pub buf_reserved: bool,
    /// Generation of each file-table slot; 0 is empty.
    pub files: Vec<u32>,
    pub file_table: bool,
    /// Slots handed out by `direct_slots`: their handle stays valid whatever the slot holds
    /// (ops open into them and close them); the kernel's FILE_INDEX_ALLOC never picks them.
    pub pinned: Vec<bool>,
    /// The kernel allocates direct descriptors below this slot (IORING_REGISTER_FILE_ALLOC_RANGE);
    /// pinned slots are at and above it. `None`: the whole table.
    pub alloc_end: Option<u32>,
    pub groups: HashMap<u16, Group>,
    pub personalities: HashMap<u16, u32>,
    pub ring_fd: Option<u32>,
    pub eventfd: bool,
}

fn stale(what: &str) -> RingError {
    RingError::new("ERR_URING_STALE_HANDLE", format!("this {what} handle is stale: it belongs to another ring, or was unregistered, replaced or closed"))
}

impl Registrar {
    /// The file-table slot of a `RegisteredFd` handle.
    pub fn file(&self, index: u32, gen: u32) -> Result<u32, RingError> {
        match self.files.get(index as usize) {
            Some(&g) if g != 0 && g == gen => Ok(index),
            _ => Err(stale("RegisteredFd")),
        }
    }

    /// The region of a `RegisteredBuf` handle.
    pub fn buffer(&self, index: u32, gen: u32) -> Result<&Rc<Region>, RingError> {
        match self.bufs.get(index as usize) {
            Some(BufSlot {
                gen: g,
                region: Some(r),
            }) if *g == gen && gen != 0 => Ok(r),
            _ => Err(stale("RegisteredBuf")),
        }
    }

    pub fn group(&self, id: u32, gen: u32) -> Result<&Group, RingError> {
        match u16::try_from(id).ok().and_then(|id| self.groups.get(&id)) {
            Some(g) if g.gen == gen => Ok(g),
            _ => Err(stale("BufferGroup")),
        }
    }

    pub fn personality(&self, id: u16, gen: u32) -> Result<(), RingError> {
        match self.personalities.get(&id) {
            Some(&g) if g == gen => Ok(()),
            _ => Err(stale("Personality")),
        }
    }

    /// A direct descriptor was created at `index` (FILE_INDEX_ALLOC): its generation.
    pub(crate) fn direct_created(&mut self, index: u32) -> u32 {
        let i = index as usize;
        if self.files.len() <= i {
            self.files.resize(i + 1, 0);
        }
        let g = next_gen();
        self.files[i] = g;
        g
    }

    /// Whether `index` is a pinned slot (`direct_slots`).
    pub fn is_pinned(&self, index: u32) -> bool {
        self.pinned.get(index as usize).copied().unwrap_or(false)
    }

    /// A direct close of `index` (made with generation `gen`) succeeded. A pinned slot's handle
    /// stays valid: it names the slot, not the file.
    pub(crate) fn direct_closed(&mut self, index: u32, gen: u32) {
        if self.is_pinned(index) {
            return;
        }
        if let Some(g) = self.files.get_mut(index as usize) {
            if *g == gen {
                *g = 0;
            }
        }
    }

    /// A buffer-select CQE of group `id`: marks the buffer taken unless the kernel keeps using it
    /// (incremental), and returns where the data starts inside the buffer.
    pub(crate) fn buffer_selected(
        &mut self,
        id: u16,
        gen: u32,
        bid: u16,
        res: i32,
        more: bool,
    ) -> i32 {
        let Some(g) = self.groups.get_mut(&id) else {
            return 0;
        };
        if g.gen != gen || bid as u32 >= g.count {
            return 0;
        }
        let b = bid as usize;
        let start = if g.incremental { g.consumed[b] } else { 0 };
        if let GroupKind::Ring { mask, .. } = g.kind {
            // A bundle (IORING_RECVSEND_BUNDLE) fills whole buffers at consecutive ring positions.
            if !g.incremental && res > g.size as i32 {
                let n = (res as u32).div_ceil(g.size) as u16;
                let first = g.pos[b];
                let ids: Vec<u16> = (0..n)
                    .map(|i| g.order[(first.wrapping_add(i) & mask) as usize])
                    .collect();
                for &id in &ids {
                    if !g.taken[id as usize] {
                        g.taken[id as usize] = true;
                        g.out += 1;
                    }
                }
                g.bundles.insert(bid, ids);
                return 0;
            }
        }
        if more {
            g.consumed[b] = g.consumed[b].saturating_add(res.max(0) as u32);
        } else if !g.taken[b] {
            g.taken[b] = true;
            g.out += 1;
        }
        start as i32
    }
}

fn check_size(v: f64, max: usize, what: &str) -> Result<usize, RingError> {
    if !v.is_finite() || v.fract() != 0.0 || v < 1.0 || v > max as f64 {
        return Err(RingError::new("ERR_OUT_OF_RANGE", format!("The value of \"{what}\" is out of range. It must be an integer >= 1 && <= {max}. Received {v}")));
    }
    Ok(v as usize)
}

/// A process fd from JS: an integer in 0..=i32::MAX.
fn check_fd(v: f64, name: &str) -> Result<i32, RingError> {
    if !v.is_finite() || v.fract() != 0.0 || v < 0.0 || v > i32::MAX as f64 {
        return Err(RingError::new("ERR_OUT_OF_RANGE", format!("The value of \"{name}\" is out of range. It must be an integer >= 0 && <= 2147483647. Received {v}")));
    }
    Ok(v as i32)
}

/// The error of an internal op whose CQE carried `-errno`.
fn cqe_err(what: &str, res: i32) -> RingError {
    RingError::io(what, io::Error::from_raw_os_error(-res))
}

fn memlock_err(requested: usize, e: io::Error) -> RingError {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into `lim`.
    unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut lim) };
    let limit = if lim.rlim_cur == libc::RLIM_INFINITY {
        -1.0
    } else {
        lim.rlim_cur as f64
    };
    RingError {
        code: "ERR_URING_MEMLOCK",
        message: format!(
            "registering {requested} bytes of buffers was refused ({e}): registered memory counts against RLIMIT_MEMLOCK ({}); raise it (ulimit -l, LimitMEMLOCK=, --ulimit memlock=) or register less",
            if limit < 0.0 { "unlimited".to_string() } else { format!("{} bytes", lim.rlim_cur) }
        ),
        errno: e.raw_os_error(),
    }
    .with_detail(limit, requested as f64)
}

fn iovec_of(s: &BufSlot) -> libc::iovec {
    match &s.region {
        Some(r) => libc::iovec {
            iov_base: r.ptr().cast(),
            iov_len: r.len(),
        },
        None => libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        },
    }
}

/// A new buffer: `(index, generation, region)`.
pub type NewBuf = (u32, u32, Rc<Region>);

impl<K> Ring<K> {
    pub fn registrar(&self) -> &Registrar {
        &self.reg
    }

    /// Registers one buffer per size; fills free slots of an existing table, else (re)registers
    /// the table with the old buffers kept at their indexes.
    pub fn register_buffers(&mut self, sizes: &[f64]) -> Result<Vec<NewBuf>, RingError> {
        self.io()?;
        if sizes.is_empty() || sizes.len() > MAX_BUFFERS {
            return Err(RingError::new("ERR_OUT_OF_RANGE", format!("The value of \"sizes.length\" is out of range. It must be >= 1 && <= {MAX_BUFFERS}. Received {}", sizes.len())));
        }
        let sizes: Vec<usize> = sizes
            .iter()
            .map(|&s| check_size(s, MAX_BUFFER_SIZE, "size"))
            .collect::<Result<_, _>>()?;
        let regions: Vec<Rc<Region>> = sizes
            .iter()
            .map(|&s| Region::map(s))
            .collect::<Result<_, _>>()?;
        let requested: usize = regions.iter().map(|r| r.pinned()).sum();
        let free: Vec<u32> = self
            .reg
            .bufs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.region.is_none())
            .map(|(i, _)| i as u32)
            .collect();
        let mut out = Vec::with_capacity(regions.len());
        if self.reg.buf_table && free.len() >= regions.len() {
            // In-place updates of free slots (5.13+).
            self.check_quiesce(reg::BUFFERS_UPDATE)?;
            let mut done: Vec<u32> = Vec::new();
            for (r, &slot) in regions.iter().zip(&free) {
                let iov = libc::iovec {
                    iov_base: r.ptr().cast(),
                    iov_len: r.len(),
                };
                let io = self.io()?;
                // SAFETY: the region lives at least as long as the table holds it (stored below,
                // and kept by any op that uses it), so the kernel's pin covers live memory.
                match retry_eintr(|| unsafe {
                    io.submitter().register_buffers_update(slot, &[iov], None)
                }) {
                    Ok(_) => done.push(slot),
                    Err(e) => {
                        for &d in &done {
                            let empty = libc::iovec {
                                iov_base: std::ptr::null_mut(),
                                iov_len: 0,
                            };
                            // SAFETY: an empty iovec removes the slot; no memory is handed over.
                            let _ = retry_eintr(|| unsafe {
                                io.submitter().register_buffers_update(d, &[empty], None)
                            });
                        }
                        return Err(if e.raw_os_error() == Some(libc::ENOMEM) {
                            memlock_err(requested, e)
                        } else {
                            RingError::io("IORING_REGISTER_BUFFERS_UPDATE", e)
                        });
                    }
                }
            }
            for (r, &slot) in regions.into_iter().zip(&free) {
                let gen = next_gen();
                self.reg.bufs[slot as usize] = BufSlot {
                    gen,
                    region: Some(r.clone()),
                };
                out.push((slot, gen, r));
            }
            return Ok(out);
        }
        let base = if self.reg.buf_table {
            self.reg.bufs.len()
        } else {
            0
        };
        if self.reg.buf_reserved {
            return Err(RingError::new("ERR_URING_TABLE_FULL", format!("the reserved buffer table has {} free of {base} slots; {} asked for (reserveBuffers(n) grows it)", free.len(), regions.len())));
        }
        if base + regions.len() > MAX_BUFFERS {
            return Err(RingError::new("ERR_URING_TABLE_FULL", format!("the buffer table has {base} slots; {} more would pass the kernel's {MAX_BUFFERS}", regions.len())));
        }
        let mut table: Vec<BufSlot> = if self.reg.buf_table {
            self.reg.bufs.clone()
        } else {
            Vec::new()
        };
        for r in &regions {
            table.push(BufSlot {
                gen: next_gen(),
                region: Some(r.clone()),
            });
        }
        self.register_buffer_table(&table, requested)?;
        for (i, r) in regions.into_iter().enumerate() {
            let slot = base + i;
            out.push((slot as u32, table[slot].gen, r));
        }
        self.reg.bufs = table;
        self.reg.buf_table = true;
        Ok(out)
    }

    /// Registers `table` as the whole buffer table (unregistering the old one first).
    fn register_buffer_table(
        &mut self,
        table: &[BufSlot],
        requested: usize,
    ) -> Result<(), RingError> {
        let iovs: Vec<libc::iovec> = table.iter().map(iovec_of).collect();
        self.check_quiesce(reg::BUFFERS)?;
        let io = self.io.as_ref().ok_or_else(RingError::closed)?;
        if self.reg.buf_table {
            retry_eintr(|| io.submitter().unregister_buffers())
                .map_err(|e| RingError::io("IORING_UNREGISTER_BUFFERS", e))?;
            self.reg.buf_table = false;
        }
        // SAFETY: every non-empty iovec is a live Region that `table` (stored by the caller as the
        // ring's table on success) keeps alive while registered; empty ones are sparse slots.
        match retry_eintr(|| unsafe { io.submitter().register_buffers(&iovs) }) {
            Ok(()) => Ok(()),
            Err(e) => {
                // Put the old table back so nothing already registered is lost.
                let old: Vec<libc::iovec> = self.reg.bufs.iter().map(iovec_of).collect();
                // SAFETY: as above, for the table the ring still holds.
                if !old.is_empty()
                    && retry_eintr(|| unsafe { io.submitter().register_buffers(&old) }).is_ok()
                {
                    self.reg.buf_table = true;
                }
                Err(match e.raw_os_error() {
                    Some(libc::ENOMEM) => memlock_err(requested, e),
                    _ => RingError::io("IORING_REGISTER_BUFFERS", e),
                })
            }
        }
    }

    /// A table of `n` empty slots (or the current table grown to `n`).
    pub fn reserve_buffers(&mut self, n: f64) -> Result<(), RingError> {
        self.io()?;
        let n = check_size(n, MAX_BUFFERS, "count")?;
        if n < self.reg.bufs.len() {
            return Err(RingError::new(
                "ERR_OUT_OF_RANGE",
                format!(
                    "the buffer table already has {} slots; it cannot shrink to {n}",
                    self.reg.bufs.len()
                ),
            ));
        }
        if !self.reg.buf_table {
            self.check_quiesce(reg::BUFFERS2)?;
            let io = self.io()?;
            match retry_eintr(|| io.submitter().register_buffers_sparse(n as u32)) {
                Ok(()) => {
                    self.reg.bufs = vec![BufSlot::default(); n];
                    self.reg.buf_table = true;
                    self.reg.buf_reserved = true;
                    return Ok(());
                }
                Err(e) if e.raw_os_error() != Some(libc::EINVAL) => {
                    return Err(RingError::io("IORING_REGISTER_BUFFERS2", e))
                }
                Err(_) => {} // before 5.19: a table of empty iovecs
            }
        }
        let mut table = self.reg.bufs.clone();
        table.resize(n, BufSlot::default());
        let requested = table
            .iter()
            .filter_map(|s| s.region.as_ref())
            .map(|r| r.pinned())
            .sum();
        self.register_buffer_table(&table, requested).map_err(|e| {
            if e.code == "EINVAL" {
                RingError::new("ERR_URING_UNSUPPORTED", "a sparse buffer table needs Linux 5.13 (IORING_REGISTER_BUFFERS with empty slots)")
            } else {
                e
            }
        })?;
        self.reg.bufs = table;
        self.reg.buf_table = true;
        self.reg.buf_reserved = true;
        Ok(())
    }

    /// A fresh buffer of `size` bytes in `slot`; whatever handle the slot had becomes stale.
    pub fn update_buffer(&mut self, slot: f64, size: f64) -> Result<NewBuf, RingError> {
        self.io()?;
        if !slot.is_finite()
            || slot.fract() != 0.0
            || slot < 0.0
            || slot >= self.reg.bufs.len() as f64
            || !self.reg.buf_table
        {
            return Err(RingError::new("ERR_OUT_OF_RANGE", format!("The value of \"slot\" is out of range. It must be an integer >= 0 && < {} (the buffer table's size). Received {slot}", self.reg.bufs.len())));
        }
        let slot = slot as u32;
        let size = check_size(size, MAX_BUFFER_SIZE, "size")?;
        let r = Region::map(size)?;
        let iov = libc::iovec {
            iov_base: r.ptr().cast(),
            iov_len: r.len(),
        };
        self.check_quiesce(reg::BUFFERS_UPDATE)?;
        let io = self.io()?;
        // SAFETY: the region is stored in the table below and lives while registered.
        match retry_eintr(|| unsafe { io.submitter().register_buffers_update(slot, &[iov], None) })
        {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                // Before 5.13: re-register the whole table with the new buffer in it.
                let mut table = self.reg.bufs.clone();
                table[slot as usize] = BufSlot {
                    gen: 0,
                    region: Some(r.clone()),
                };
                let requested = table
                    .iter()
                    .filter_map(|s| s.region.as_ref())
                    .map(|r| r.pinned())
                    .sum();
                self.register_buffer_table(&table, requested)?;
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOMEM) => {
                return Err(memlock_err(r.pinned(), e))
            }
            Err(e) => return Err(RingError::io("IORING_REGISTER_BUFFERS_UPDATE", e)),
        }
        let gen = next_gen();
        self.reg.bufs[slot as usize] = BufSlot {
            gen,
            region: Some(r.clone()),
        };
        Ok((slot, gen, r))
    }

    /// Empties the slot of a `RegisteredBuf`.
    pub fn unregister_buffer(&mut self, index: u32, gen: u32) -> Result<(), RingError> {
        self.io()?;
        self.reg.buffer(index, gen)?;
        let empty = libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        };
        self.check_quiesce(reg::BUFFERS_UPDATE)?;
        let io = self.io()?;
        // SAFETY: an empty iovec hands no memory to the kernel.
        match retry_eintr(|| unsafe {
            io.submitter()
                .register_buffers_update(index, &[empty], None)
        }) {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                let mut table = self.reg.bufs.clone();
                table[index as usize] = BufSlot::default();
                self.register_buffer_table(&table, 0)?;
            }
            Err(e) => return Err(RingError::io("IORING_REGISTER_BUFFERS_UPDATE", e)),
        }
        self.reg.bufs[index as usize] = BufSlot::default();
        Ok(())
    }

    pub fn unregister_buffers(&mut self) -> Result<(), RingError> {
        let io = self.io()?;
        if !self.reg.buf_table {
            return Err(RingError::new(
                "ERR_URING_NOT_REGISTERED",
                "no buffers are registered",
            ));
        }
        self.check_quiesce(reg::UNREGISTER_BUFFERS)?;
        retry_eintr(|| io.submitter().unregister_buffers())
            .map_err(|e| RingError::io("IORING_UNREGISTER_BUFFERS", e))?;
        self.reg.bufs.clear();
        self.reg.buf_table = false;
        self.reg.buf_reserved = false;
        Ok(())
    }

    /// Registers files: into free slots of the table, or as a new table of exactly these.
    /// Returns `(index, generation)` per fd.
    pub fn register_files(&mut self, fds: &[f64]) -> Result<Vec<(u32, u32)>, RingError> {
        self.io()?;
        if fds.is_empty() || fds.len() > MAX_FILES {
            return Err(RingError::new("ERR_OUT_OF_RANGE", format!("The value of \"fds.length\" is out of range. It must be >= 1 && <= {MAX_FILES}. Received {}", fds.len())));
        }
        let raw: Vec<i32> = fds
            .iter()
            .enumerate()
            .map(|(i, &f)| check_fd(f, &format!("fds[{i}]")))
            .collect::<Result<_, _>>()?;
        if !self.reg.file_table {
            self.check_quiesce(reg::FILES)?;
            let io = self.io()?;
            retry_eintr(|| io.submitter().register_files(&raw))
                .map_err(|e| RingError::io("IORING_REGISTER_FILES", e))?;
            self.reg.files = raw.iter().map(|_| next_gen()).collect();
            self.reg.pinned = vec![false; raw.len()];
            self.reg.alloc_end = None;
            self.reg.file_table = true;
            return Ok(self
                .reg
                .files
                .iter()
                .enumerate()
                .map(|(i, &g)| (i as u32, g))
                .collect());
        }
        let free: Vec<u32> = self
            .reg
            .files
            .iter()
            .enumerate()
            .filter(|(_, &g)| g == 0)
            .map(|(i, _)| i as u32)
            .take(raw.len())
            .collect();
        if free.len() < raw.len() {
            return Err(RingError::new("ERR_URING_TABLE_FULL", format!("the file table has {} free of {} slots; {} asked for (reserveFiles(n) makes a larger table)", free.len(), self.reg.files.len(), raw.len())));
        }
        let mut out = Vec::with_capacity(raw.len());
        for (&fd, &slot) in raw.iter().zip(&free) {
            let io = self.io()?;
            if let Err(e) = retry_eintr(|| io.submitter().register_files_update(slot, &[fd])) {
                for &(s, _) in &out {
                    let _ = retry_eintr(|| io.submitter().register_files_update(s, &[-1]));
                }
                for &(s, _) in &out {
                    self.reg.files[s as usize] = 0;
                }
                return Err(RingError::io("IORING_REGISTER_FILES_UPDATE", e));
            }
            let g = next_gen();
            self.reg.files[slot as usize] = g;
            out.push((slot, g));
        }
        Ok(out)
    }

    /// A file table of `n` empty slots, for direct descriptors and later `register_files`.
    pub fn reserve_files(&mut self, n: f64) -> Result<(), RingError> {
        self.io()?;
        let n = check_size(n, MAX_FILES, "count")?;
        if self.reg.file_table {
            return Err(RingError::new("ERR_URING_TABLE_EXISTS", "the ring already has a file table; unregisterFiles() first (files cannot be re-registered once their process fds are closed)"));
        }
        // FILES2, or FILES for the fallback below: FILES quiesces on every kernel FILES2 does.
        self.check_quiesce(reg::FILES)?;
        let io = self.io()?;
        match retry_eintr(|| io.submitter().register_files_sparse(n as u32)) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                // Before 5.19: a table of -1 entries.
                let none = vec![-1; n];
                retry_eintr(|| io.submitter().register_files(&none))
                    .map_err(|e| RingError::io("IORING_REGISTER_FILES", e))?;
            }
            Err(e) => return Err(RingError::io("IORING_REGISTER_FILES2", e)),
        }
        self.reg.files = vec![0; n];
        self.reg.pinned = vec![false; n];
        self.reg.alloc_end = None;
        self.reg.file_table = true;
        Ok(())
    }

    /// `n` slots of the file table that stay the caller's: the kernel's FILE_INDEX_ALLOC no
    /// longer picks them (IORING_REGISTER_FILE_ALLOC_RANGE, 6.0), and their handles stay valid
    /// while ops open files into them (openat with an explicit slot, 5.15) and close them, so a
    /// linked chain openat -> read -> close can name its slot before the open has run. Taken
    /// from the top of the table, below slots pinned before; they must be empty.
    /// Returns `(index, generation)` per slot.
    pub fn direct_slots(&mut self, n: f64) -> Result<Vec<(u32, u32)>, RingError> {
        self.io()?;
        if !self.reg.file_table {
            return Err(RingError::new(
                "ERR_URING_NOT_REGISTERED",
                "direct slots come from the ring's file table: reserveFiles(n) first",
            ));
        }
        let size = self.reg.files.len() as u32;
        let end = self.reg.alloc_end.unwrap_or(size);
        let n = check_size(n, end as usize, "count")? as u32;
        let start = end - n;
        if let Some(busy) = (start..end).find(|&i| self.reg.files[i as usize] != 0) {
            return Err(RingError::new(
                "ERR_URING_TABLE_FULL",
                format!("direct slots are taken from the top of the file table, and slot {busy} is in use; reserve a larger table, or take the slots before registering files"),
            ));
        }
        let probe = self.probe()?;
        let has_alloc = probe.kernel >= (5, 19);
        let has_install = probe.kernel >= (5, 15);
        if !has_install {
            return Err(RingError::new(
                "ERR_URING_OP_UNSUPPORTED",
                "opening into a chosen direct slot needs Linux 5.15",
            ));
        }
        #[repr(C)]
        struct Range {
            off: u32,
            len: u32,
            resv: u64,
        }
        let io = self.io()?;
        let range = Range {
            off: 0,
            len: start,
            resv: 0,
        };
        // SAFETY: IORING_REGISTER_FILE_ALLOC_RANGE reads one io_uring_file_index_range at `arg`
        // (nr_args 0); `range` is one, alive for the call.
        let r = unsafe {
            register_raw(
                io,
                IORING_REGISTER_FILE_ALLOC_RANGE,
                &range as *const Range as *mut libc::c_void,
                0,
            )
        };
        if let Err(e) = r {
            // Before 6.0 there is no range. Without FILE_INDEX_ALLOC (before 5.19) the kernel
            // never picks a slot by itself, so nothing can land in a pinned one; 5.19 has the
            // one and not the other.
            if e.raw_os_error() != Some(libc::EINVAL) || has_alloc {
                if e.raw_os_error() == Some(libc::EINVAL) {
                    return Err(RingError::new("ERR_URING_OP_UNSUPPORTED", "direct slots need IORING_REGISTER_FILE_ALLOC_RANGE (Linux 6.0) on a kernel with FILE_INDEX_ALLOC (5.19)"));
                }
                return Err(RingError::io("IORING_REGISTER_FILE_ALLOC_RANGE", e));
            }
        }
        self.reg.alloc_end = Some(start);
        let mut out = Vec::with_capacity(n as usize);
        for i in start..end {
            let g = next_gen();
            self.reg.files[i as usize] = g;
            self.reg.pinned[i as usize] = true;
            out.push((i, g));
        }
        Ok(out)
    }

    /// Puts `fd` in the slot of a `RegisteredFd`; returns the slot's new generation.
    pub fn update_file(&mut self, index: u32, gen: u32, fd: f64) -> Result<u32, RingError> {
        self.io()?;
        self.reg.file(index, gen)?;
        let fd = check_fd(fd, "fd")?;
        // The kernel empties the slot before it looks the new fd up, so a bad fd would lose the
        // old file: check it first.
        // SAFETY: F_GETFD reads the fd's flags and nothing else.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            return Err(RingError::io(
                "IORING_REGISTER_FILES_UPDATE",
                io::Error::last_os_error(),
            ));
        }
        let io = self.io()?;
        if let Err(e) = retry_eintr(|| io.submitter().register_files_update(index, &[fd])) {
            // What the slot holds now is unknown: the old handle must not be trusted (a pinned
            // slot's handle names the slot, not a file, and stays).
            if !self.reg.is_pinned(index) {
                self.reg.files[index as usize] = 0;
            }
            return Err(RingError::io("IORING_REGISTER_FILES_UPDATE", e));
        }
        if self.reg.is_pinned(index) {
            // A pinned slot's handle names the slot: it stays valid.
            return Ok(gen);
        }
        let g = next_gen();
        self.reg.files[index as usize] = g;
        Ok(g)
    }

    pub fn unregister_file(&mut self, index: u32, gen: u32) -> Result<(), RingError> {
        self.io()?;
        self.reg.file(index, gen)?;
        let io = self.io()?;
        retry_eintr(|| io.submitter().register_files_update(index, &[-1]))
            .map_err(|e| RingError::io("IORING_REGISTER_FILES_UPDATE", e))?;
        self.reg.files[index as usize] = 0;
        // An unpinned slot stays out of the kernel's allocation range (it only shrinks), and
        // register_files may fill it again.
        if let Some(p) = self.reg.pinned.get_mut(index as usize) {
            *p = false;
        }
        Ok(())
    }

    pub fn unregister_files(&mut self) -> Result<(), RingError> {
        let io = self.io()?;
        if !self.reg.file_table {
            return Err(RingError::new(
                "ERR_URING_NOT_REGISTERED",
                "no files are registered",
            ));
        }
        self.check_quiesce(reg::UNREGISTER_FILES)?;
        retry_eintr(|| io.submitter().unregister_files())
            .map_err(|e| RingError::io("IORING_UNREGISTER_FILES", e))?;
        self.reg.files.clear();
        self.reg.pinned.clear();
        self.reg.alloc_end = None;
        self.reg.file_table = false;
        Ok(())
    }

    /// FIXED_FD_INSTALL (6.8), run now: a process fd for the file of a `RegisteredFd`.
    pub fn install_fd(&mut self, index: u32, gen: u32, cloexec: bool) -> Result<i32, RingError> {
        self.io()?;
        self.reg.file(index, gen)?;
        if !self.probe()?.supports(54) {
            return Err(RingError::new(
                "ERR_URING_UNSUPPORTED",
                "installFd needs IORING_OP_FIXED_FD_INSTALL (Linux 6.8)",
            ));
        }
        let flags = if cloexec { 0 } else { 1 }; // IORING_FIXED_FD_NO_CLOEXEC
        let e = opcode::FixedFdInstall::new(types::Fixed(index), flags).build();
        let res = self.run_internal(e)?;
        if res < 0 {
            return Err(cqe_err("IORING_OP_FIXED_FD_INSTALL", res));
        }
        Ok(res)
    }

    /// A provided-buffer group of `count` buffers of `size` bytes. `id` None picks the lowest free
    /// group id. Returns `(id, generation, region)`.
    pub fn buffer_group(
        &mut self,
        count: f64,
        size: f64,
        id: Option<f64>,
        incremental: bool,
        legacy: bool,
    ) -> Result<(u16, u32, Rc<Region>, bool), RingError> {
        self.io()?;
        let count = check_size(count, MAX_GROUP_BUFFERS as usize, "count")? as u32;
        let size = check_size(size, MAX_GROUP_BUFFER_SIZE as usize, "size")? as u32;
        let id = match id {
            Some(v) => {
                if !v.is_finite() || v.fract() != 0.0 || !(0.0..=65535.0).contains(&v) {
                    return Err(RingError::new("ERR_OUT_OF_RANGE", format!("The value of \"id\" is out of range. It must be an integer >= 0 && <= 65535. Received {v}")));
                }
                let id = v as u16;
                if self.reg.groups.contains_key(&id) {
                    return Err(RingError::new(
                        "ERR_URING_GROUP_EXISTS",
                        format!("buffer group {id} already exists on this ring"),
                    ));
                }
                id
            }
            None => (0..=u16::MAX)
                .find(|i| !self.reg.groups.contains_key(i))
                .ok_or_else(|| {
                    RingError::new(
                        "ERR_URING_TABLE_FULL",
                        "all 65536 buffer group ids are in use",
                    )
                })?,
        };
        if incremental && legacy {
            return Err(RingError::new("ERR_INVALID_ARG_VALUE", "incremental consumption needs a buffer ring; it cannot be combined with legacy: true"));
        }
        let total = count as usize * size as usize;
        let region = Region::map(total)?;
        let mut group = Group {
            gen: next_gen(),
            region: region.clone(),
            size,
            count,
            incremental,
            kind: GroupKind::Legacy,
            taken: vec![false; count as usize],
            consumed: vec![0; count as usize],
            out: 0,
            order: Vec::new(),
            pos: vec![0; count as usize],
            bundles: HashMap::new(),
        };
        let mut use_legacy = legacy;
        if !legacy && self.check_quiesce(reg::PBUF_RING).is_err() {
            // Trying the opcode on a kernel that may lack it would quiesce the ring with ops in
            // flight (the kernel checks the opcode after the wait); before 5.19 it cannot exist.
            if incremental {
                return Err(RingError::new(
                    "ERR_URING_UNSUPPORTED",
                    "incremental buffer consumption (IOU_PBUF_RING_INC) needs Linux 6.12",
                ));
            }
            use_legacy = true;
        }
        if !use_legacy {
            let entries = count.next_power_of_two().max(1);
            let ring_mem =
                Region::map(entries as usize * std::mem::size_of::<types::BufRingEntry>())?;
            let flags = if incremental { IOU_PBUF_RING_INC } else { 0 };
            let io = self.io()?;
            // SAFETY: `ring_mem` is page-aligned, sized for `entries` entries, and kept by the
            // group until the buffer ring is unregistered (close or ring close).
            match retry_eintr(|| unsafe {
                io.submitter().register_buf_ring_with_flags(
                    ring_mem.ptr() as u64,
                    entries as u16,
                    id,
                    flags,
                )
            }) {
                Ok(()) => {
                    group.kind = GroupKind::Ring {
                        entries: ring_mem,
                        mask: (entries - 1) as u16,
                        tail: 0,
                    };
                    group.order = vec![0; entries as usize];
                    for bid in 0..count {
                        group.ring_add(bid as u16);
                    }
                }
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) && incremental => {
                    return Err(RingError::new("ERR_URING_UNSUPPORTED", format!("incremental buffer consumption (IOU_PBUF_RING_INC) needs Linux 6.12: {e}")));
                }
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => use_legacy = true, // before 5.19
                Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {
                    return Err(RingError::new(
                        "ERR_URING_GROUP_EXISTS",
                        format!("buffer group {id} already exists on this ring"),
                    ));
                }
                Err(e) => return Err(RingError::io("IORING_REGISTER_PBUF_RING", e)),
            }
        }
        if use_legacy {
            if !self.probe()?.supports(31) {
                return Err(RingError::new("ERR_URING_UNSUPPORTED", "provided buffers need IORING_OP_PROVIDE_BUFFERS (Linux 5.7) or IORING_REGISTER_PBUF_RING (5.19)"));
            }
            // A raw op.provideBuffers may have left buffers (JS memory) under this id: take them
            // back first, so the kernel only ever picks this group's own memory.
            while self.run_internal(opcode::RemoveBuffers::new(u16::MAX, id).build())?
                == u16::MAX as i32
            {}
            let e =
                opcode::ProvideBuffers::new(region.ptr(), size as i32, count as u16, id, 0).build();
            let res = self.run_internal(e)?;
            if res < 0 {
                return Err(cqe_err("IORING_OP_PROVIDE_BUFFERS", res));
            }
        }
        let gen = group.gen;
        self.reg.groups.insert(id, group);
        Ok((id, gen, region, use_legacy))
    }

    /// Gives buffer `bid` of a group back to the kernel.
    pub fn release_buffer(&mut self, id: u32, gen: u32, bid: f64) -> Result<(), RingError> {
        self.io()?;
        let g = self.reg.group(id, gen)?;
        if !bid.is_finite() || bid.fract() != 0.0 || bid < 0.0 || bid >= g.count as f64 {
            return Err(RingError::new("ERR_OUT_OF_RANGE", format!("The value of \"bufferId\" is out of range. It must be an integer >= 0 && < {}. Received {bid}", g.count)));
        }
        let b = bid as usize;
        if !g.taken[b] {
            return Err(RingError::new("ERR_URING_BUFFER_RELEASED", format!("buffer {b} of group {id} is not taken: it was released already or never filled")));
        }
        if g.is_legacy() {
            let (ptr, size) = (g.region.ptr(), g.size);
            // SAFETY: b < count, so the buffer lies inside the group's region.
            let addr = unsafe { ptr.add(b * size as usize) };
            let e = opcode::ProvideBuffers::new(addr, size as i32, 1, id as u16, b as u16)
                .build()
                .user_data(INTERNAL | PROVIDE);
            self.push_internal(e)?;
        }
        let g = self
            .reg
            .groups
            .get_mut(&(id as u16))
            .expect("checked above");
        g.taken[b] = false;
        g.consumed[b] = 0;
        g.out -= 1;
        g.bundles.remove(&(b as u16));
        if !g.is_legacy() {
            g.ring_add(b as u16);
        }
        Ok(())
    }

    /// Removes a group. Ops in flight that use it keep its memory until their CQE.
    pub fn close_group(&mut self, id: u32, gen: u32) -> Result<(), RingError> {
        self.io()?;
        let legacy = self.reg.group(id, gen)?.is_legacy();
        let (id16, count) = (id as u16, self.reg.groups[&(id as u16)].count);
        if legacy {
            let e = opcode::RemoveBuffers::new(count as u16, id16).build();
            let _ = self.run_internal(e)?; // -ENOENT: the kernel had none left
        } else {
            self.check_quiesce(reg::UNREGISTER_PBUF_RING)?;
            let io = self.io()?;
            retry_eintr(|| io.submitter().unregister_buf_ring(id16))
                .map_err(|e| RingError::io("IORING_UNREGISTER_PBUF_RING", e))?;
        }
        self.reg.groups.remove(&id16);
        Ok(())
    }

    pub fn register_eventfd(&mut self, fd: f64, only_async: bool) -> Result<(), RingError> {
        let io = self.io()?;
        let fd = check_fd(fd, "fd")?;
        self.check_quiesce(reg::EVENTFD)?;
        let r = retry_eintr(|| {
            if only_async {
                io.submitter().register_eventfd_async(fd)
            } else {
                io.submitter().register_eventfd(fd)
            }
        });
        r.map_err(|e| RingError::io("IORING_REGISTER_EVENTFD", e))?;
        self.reg.eventfd = true;
        Ok(())
    }

    pub fn unregister_eventfd(&mut self) -> Result<(), RingError> {
        let io = self.io()?;
        if !self.reg.eventfd {
            return Err(RingError::new(
                "ERR_URING_NOT_REGISTERED",
                "no eventfd is registered",
            ));
        }
        self.check_quiesce(reg::UNREGISTER_EVENTFD)?;
        retry_eintr(|| io.submitter().unregister_eventfd())
            .map_err(|e| RingError::io("IORING_UNREGISTER_EVENTFD", e))?;
        self.reg.eventfd = false;
        Ok(())
    }

    /// Registers the process's current credentials; returns `(id, generation)`.
    pub fn register_personality(&mut self) -> Result<(u16, u32), RingError> {
        let io = self.io()?;
        let id = retry_eintr(|| io.submitter().register_personality())
            .map_err(|e| RingError::io("IORING_REGISTER_PERSONALITY", e))?;
        let g = next_gen();
        self.reg.personalities.insert(id, g);
        Ok((id, g))
    }

    pub fn unregister_personality(&mut self, id: u16, gen: u32) -> Result<(), RingError> {
        self.io()?;
        self.reg.personality(id, gen)?;
        let io = self.io()?;
        retry_eintr(|| io.submitter().unregister_personality(id))
            .map_err(|e| RingError::io("IORING_UNREGISTER_PERSONALITY", e))?;
        self.reg.personalities.remove(&id);
        Ok(())
    }

    /// IORING_REGISTER_RING_FDS (5.18): from now on every io_uring_enter of this ring passes the
    /// registered index (IORING_ENTER_REGISTERED_RING) instead of the fd.
    pub fn register_ring_fd(&mut self) -> Result<u32, RingError> {
        let io = self.io()?;
        if let Some(i) = self.reg.ring_fd {
            return Ok(i);
        }
        #[repr(C)]
        struct RsrcUpdate {
            offset: u32,
            resv: u32,
            data: u64,
        }
        let mut up = RsrcUpdate {
            offset: u32::MAX,
            resv: 0,
            data: std::os::fd::AsRawFd::as_raw_fd(io) as u64,
        };
        // SAFETY: IORING_REGISTER_RING_FDS reads and writes `nr_args` (1) io_uring_rsrc_update
        // structs at `arg`; `up` is one, alive for the call.
        let r = unsafe {
            register_raw(
                io,
                IORING_REGISTER_RING_FDS,
                &mut up as *mut RsrcUpdate as *mut libc::c_void,
                1,
            )
        };
        if let Err(e) = r {
            if e.raw_os_error() == Some(libc::EINVAL) {
                return Err(RingError::new(
                    "ERR_URING_UNSUPPORTED",
                    "registering the ring fd needs IORING_REGISTER_RING_FDS (Linux 5.18)",
                ));
            }
            return Err(RingError::io("IORING_REGISTER_RING_FDS", e));
        }
        self.reg.ring_fd = Some(up.offset);
        Ok(up.offset)
    }
}

impl RingError {
    /// Attaches the memlock numbers (`limit`, `requested`) to an error.
    pub fn with_detail(mut self, limit: f64, requested: f64) -> Self {
        self.message = format!("{} [limit={limit} requested={requested}]", self.message);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::SetupOptions;

    fn ring() -> Option<Ring<()>> {
        Ring::new(&SetupOptions::new(8)).ok()
    }

    #[test]
    fn generations_are_unique_and_nonzero() {
        let a = next_gen();
        let b = next_gen();
        assert!(a != 0 && b != 0 && a != b);
    }

    #[test]
    fn buffers_register_and_go_stale() {
        let Some(mut r) = ring() else { return };
        let bufs = r.register_buffers(&[4096.0, 100.0]).unwrap();
        assert_eq!(bufs.len(), 2);
        assert_eq!(bufs[1].2.len(), 100);
        assert_eq!(bufs[0].2.ptr() as usize % 4096, 0);
        r.registrar().buffer(bufs[0].0, bufs[0].1).unwrap();
        // A second registration re-registers the table and keeps the first handles valid.
        let more = r.register_buffers(&[10.0]).unwrap();
        assert_eq!(more[0].0, 2);
        r.registrar().buffer(bufs[0].0, bufs[0].1).unwrap();
        r.unregister_buffer(bufs[0].0, bufs[0].1).unwrap();
        assert_eq!(
            r.registrar().buffer(bufs[0].0, bufs[0].1).unwrap_err().code,
            "ERR_URING_STALE_HANDLE"
        );
        assert_eq!(
            r.unregister_buffer(bufs[0].0, bufs[0].1).unwrap_err().code,
            "ERR_URING_STALE_HANDLE"
        );
        // The freed slot is reused in place.
        let again = r.register_buffers(&[1.0]).unwrap();
        assert_eq!(again[0].0, 0);
        assert_ne!(again[0].1, bufs[0].1);
        for bad in [0.0, -1.0, 1.5, f64::NAN, (MAX_BUFFER_SIZE + 1) as f64] {
            assert_eq!(
                r.register_buffers(&[bad]).unwrap_err().code,
                "ERR_OUT_OF_RANGE"
            );
        }
    }

    #[test]
    fn files_sparse_update_and_bad_fds() {
        let Some(mut r) = ring() else { return };
        r.reserve_files(4.0).unwrap();
        let f = std::fs::File::open("/dev/null").unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&f) as f64;
        let h = r.register_files(&[fd, fd]).unwrap();
        assert_eq!(h.iter().map(|x| x.0).collect::<Vec<_>>(), vec![0, 1]);
        let g2 = r.update_file(h[0].0, h[0].1, fd).unwrap();
        assert_eq!(
            r.registrar().file(h[0].0, h[0].1).unwrap_err().code,
            "ERR_URING_STALE_HANDLE"
        );
        r.registrar().file(h[0].0, g2).unwrap();
        assert_eq!(r.register_files(&[1e6]).unwrap_err().code, "EBADF");
        assert_eq!(
            r.register_files(&[fd, fd, fd]).unwrap_err().code,
            "ERR_URING_TABLE_FULL"
        );
        assert_eq!(
            r.reserve_files(4.0).unwrap_err().code,
            "ERR_URING_TABLE_EXISTS"
        );
        r.unregister_file(h[1].0, h[1].1).unwrap();
        assert_eq!(
            r.unregister_file(h[1].0, h[1].1).unwrap_err().code,
            "ERR_URING_STALE_HANDLE"
        );
    }

    #[test]
    fn groups_release_once() {
        let Some(mut r) = ring() else { return };
        let (id, gen, region, legacy) = r.buffer_group(4.0, 64.0, None, false, false).unwrap();
        assert!(!legacy);
        assert_eq!(region.len(), 256);
        assert_eq!(
            r.buffer_group(1.0, 1.0, Some(id as f64), false, false)
                .unwrap_err()
                .code,
            "ERR_URING_GROUP_EXISTS"
        );
        assert_eq!(
            r.release_buffer(id as u32, gen, 0.0).unwrap_err().code,
            "ERR_URING_BUFFER_RELEASED"
        );
        r.close_group(id as u32, gen).unwrap();
        assert_eq!(
            r.release_buffer(id as u32, gen, 0.0).unwrap_err().code,
            "ERR_URING_STALE_HANDLE"
        );
        let (_, _, _, legacy) = r.buffer_group(2.0, 8.0, None, false, true).unwrap();
        assert!(legacy);
    }
}
