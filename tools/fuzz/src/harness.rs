//! Runs one input through a reader and judges what happened: a panic (caught with
//! `catch_unwind`, its message and place kept), a hang (the reader runs on its own thread; the
//! harness stops waiting at a deadline), an allocation over [`MAX_ALLOCATION`] or a peak of live
//! memory over [`MAX_PEAK`] (a counting global allocator), an error with an empty message, or an
//! error that does not name the file it is about.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc, Mutex, Once};
use std::time::Duration;

/// The largest single allocation a reader may make: a header that claims gigabytes must be
/// checked against the bytes that are there before anything is allocated from it.
pub const MAX_ALLOCATION: usize = 256 << 20;
/// The largest growth of live memory while one input is read.
pub const MAX_PEAK: usize = 1 << 30;

/// Counts live bytes and the largest request while an input runs.
pub struct CountingAllocator;

static ARMED: AtomicBool = AtomicBool::new(false);
static LARGEST: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(size: usize) {
    let live = LIVE.fetch_add(size, Relaxed) + size;
    if ARMED.load(Relaxed) {
        LARGEST.fetch_max(size, Relaxed);
        PEAK.fetch_max(live, Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only atomics are touched besides.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Relaxed);
        grow(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

thread_local! {
    static IN_HARNESS: Cell<bool> = const { Cell::new(false) };
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics on harness threads are recorded, not printed; other threads keep the usual hook (so
/// a failing test elsewhere in the same binary still shows its message).
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_HARNESS.with(Cell::get) {
                return previous(info);
            }
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".into());
            let place = info
                .location()
                .map(|l| format!(" at {l}"))
                .unwrap_or_default();
            PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg}{place}")));
        }));
    });
}

/// What the harness holds against a reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The reader panicked (message and place).
    Panic(String),
    /// The reader did not return within the deadline.
    Hang(Duration),
    /// One allocation larger than [`MAX_ALLOCATION`] (bytes).
    Allocation(usize),
    /// Live memory grew by more than [`MAX_PEAK`] (bytes).
    Peak(usize),
    /// The reader returned an error whose message is empty.
    EmptyError,
    /// The error does not name the file (the message).
    Unnamed(String),
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Panic(m) => write!(f, "panic: {m}"),
            Self::Hang(d) => write!(f, "hang: no answer within {d:?}"),
            Self::Allocation(n) => write!(f, "allocation of {n} bytes (limit {MAX_ALLOCATION})"),
            Self::Peak(n) => write!(f, "live memory grew by {n} bytes (limit {MAX_PEAK})"),
            Self::EmptyError => write!(f, "an error with an empty message"),
            Self::Unnamed(m) => write!(f, "an error that does not name the file: {m}"),
        }
    }
}

/// How one input went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The reader accepted the input.
    Accepted,
    /// The reader refused it with this message.
    Rejected(String),
    /// Something the reader must never do.
    Found(Finding),
}

/// One input as a reader sees it.
pub struct Input<'a> {
    /// The mutated bytes.
    pub bytes: &'a [u8],
    /// The name of the corpus file it was made from (readers that care about file names use it).
    pub name: &'a str,
    /// An empty folder of its own to write files into.
    pub scratch: &'a Path,
    /// A number for choices a reader makes besides the bytes (options, which file to mutate).
    pub variant: u64,
}

/// A reader under test: reads `input`, `Ok` when it accepts it, `Err(message)` when it refuses.
pub type ReadFn = fn(&Input) -> Result<(), String>;

/// Runs `read` on `bytes` on a thread of its own and judges it. `scratch` is created empty and
/// removed afterwards (kept after a hang: the reader may still be using it). `names_file`: an
/// error must contain the scratch folder's path (every file the reader sees lies in it).
pub fn run_one(
    read: ReadFn,
    bytes: Arc<Vec<u8>>,
    name: Arc<str>,
    variant: u64,
    scratch: PathBuf,
    deadline: Duration,
    names_file: bool,
) -> Outcome {
    install_panic_hook();
    // One input at a time in the whole process: the allocation counters are global (and the
    // test harness runs tests on several threads).
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("the scratch folder can be created");
    let (tx, rx) = mpsc::channel();
    let folder = scratch.clone();
    let base = LIVE.load(Relaxed);
    LARGEST.store(0, Relaxed);
    PEAK.store(base, Relaxed);
    ARMED.store(true, Relaxed);
    std::thread::Builder::new()
        .name("fuzz-input".into())
        .spawn(move || {
            IN_HARNESS.with(|h| h.set(true));
            let input = Input {
                bytes: &bytes,
                name: &name,
                scratch: &folder,
                variant,
            };
            let result = catch_unwind(AssertUnwindSafe(|| read(&input)));
            let result = result.map_err(|_| PANIC.with(|p| p.borrow_mut().take()));
            let _ = tx.send(result);
        })
        .expect("a thread can be started");
    let result = rx.recv_timeout(deadline);
    ARMED.store(false, Relaxed);
    let largest = LARGEST.load(Relaxed);
    let peak = PEAK.load(Relaxed).saturating_sub(base);
    let outcome = match result {
        Err(_) => return Outcome::Found(Finding::Hang(deadline)),
        Ok(Err(panic)) => Outcome::Found(Finding::Panic(panic.unwrap_or_default())),
        Ok(Ok(_)) if largest > MAX_ALLOCATION => Outcome::Found(Finding::Allocation(largest)),
        Ok(Ok(_)) if peak > MAX_PEAK => Outcome::Found(Finding::Peak(peak)),
        Ok(Ok(Ok(()))) => Outcome::Accepted,
        Ok(Ok(Err(e))) if e.trim().is_empty() => Outcome::Found(Finding::EmptyError),
        Ok(Ok(Err(e))) if names_file && !e.contains(&*scratch.to_string_lossy()) => {
            Outcome::Found(Finding::Unnamed(e))
        }
        Ok(Ok(Err(e))) => Outcome::Rejected(e),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    outcome
}
