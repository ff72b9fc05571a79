//! Read-only memory maps of files that cannot kill the process when the
//! file fails under them.
//!
//! Touching a mapped page that the file no longer holds (another process
//! cut it, as logrotate's `copytruncate` does to a live log) or that its
//! storage cannot give (an I/O error) raises SIGBUS, whose default action
//! ends the process at once, with no outputs. Every map made here is
//! registered; a SIGBUS inside one maps zeroed pages over the rest of it,
//! marks it damaged and returns, so the read goes on over zeros and the
//! reader learns once done (`Mapping::read`) that the bytes cannot be
//! trusted. A SIGBUS anywhere else goes to the handler that was there
//! before, or ends the process as it always would; so does one another
//! process sends.

use std::ffi::c_void;
use std::fs::File;
use std::io;
use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, compiler_fence};

use memmap2::{Mmap, MmapOptions};

/// How many maps may be registered at once: a scanning thread holds one or
/// two. With every slot taken, a range is mapped unregistered, as before
/// the handler (reading it into memory instead could take gigabytes).
const SLOTS: usize = 256;

/// A registered map's place in memory, read by the signal handler.
struct Slot {
    /// Whether a map holds this slot.
    taken: AtomicBool,
    /// The map's first byte; 0 while the slot is free.
    start: AtomicUsize,
    /// One past the map's last byte.
    end: AtomicUsize,
    /// Whether a page of the map could not be read.
    damaged: AtomicBool,
}

impl Slot {
    fn holds(&self, address: usize) -> bool {
        let start = self.start.load(Ordering::Acquire);
        start != 0 && (start..self.end.load(Ordering::Acquire)).contains(&address)
    }
}

static REGISTERED: [Slot; SLOTS] = [const {
    Slot {
        taken: AtomicBool::new(false),
        start: AtomicUsize::new(0),
        end: AtomicUsize::new(0),
        damaged: AtomicBool::new(false),
    }
}; SLOTS];

/// The SIGBUS handler that was installed before ours, and the page size;
/// set once, when the first map is made.
static INSTALLED: OnceLock<Option<Installed>> = OnceLock::new();

struct Installed {
    previous: libc::sigaction,
    page: usize,
}

// SAFETY: the previous action is plain data (a handler's address, flags
// and a signal mask), only read once written.
unsafe impl Send for Installed {}
unsafe impl Sync for Installed {}

/// A read-only map of a range of a file, registered with the SIGBUS
/// handler while it lives.
pub struct Mapping {
    map: Mmap,
    /// Its place in the registry; `None` when no slot was free or the
    /// handler could not be installed: a fault in it then ends the process.
    slot: Option<&'static Slot>,
}

impl Mapping {
    /// Maps `range` of `file`, registered when it can be.
    pub fn new(file: &File, range: Range<u64>) -> io::Result<Mapping> {
        let len = usize::try_from(range.end - range.start)
            .map_err(|_| io::Error::other("too long to map on this machine"))?;
        let slot = installed().and_then(|_| {
            REGISTERED.iter().find(|slot| {
                slot.taken
                    .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            })
        });
        // SAFETY: the map is read-only and read only through `read`. A
        // file cut or failing while it is mapped makes its pages fault,
        // which the handler turns into zeros and a mark of damage; a file
        // changed in place changes the bytes read, which the manifest's
        // hashes show (evidence files are expected to be at rest).
        let map = match unsafe { MmapOptions::new().offset(range.start).len(len).map(file) } {
            Ok(map) => map,
            Err(e) => {
                if let Some(slot) = slot {
                    slot.taken.store(false, Ordering::Release);
                }
                return Err(e);
            }
        };
        if let Some(slot) = slot {
            let start = map.as_ptr() as usize;
            slot.damaged.store(false, Ordering::Release);
            slot.end.store(start + len, Ordering::Release);
            slot.start.store(start, Ordering::Release);
        }
        Ok(Mapping { map, slot })
    }

    /// What `read` makes of the mapped bytes, or an error when some of them
    /// could not be read (they were read as zeros).
    pub fn read<T>(&self, read: impl FnOnce(&[u8]) -> T) -> io::Result<T> {
        let value = read(&self.map);
        // The handler runs on the reading thread: keep the check after
        // every read above.
        compiler_fence(Ordering::SeqCst);
        if self
            .slot
            .is_some_and(|slot| slot.damaged.load(Ordering::SeqCst))
        {
            return Err(io::Error::other(
                "its bytes could not all be read: it was cut, or its storage \
                 failed, during the scan",
            ));
        }
        Ok(value)
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // The map itself is unmapped after this, when its field is dropped:
        // nothing reads it by then.
        if let Some(slot) = self.slot {
            slot.start.store(0, Ordering::Release);
            slot.end.store(0, Ordering::Release);
            slot.taken.store(false, Ordering::Release);
        }
    }
}

/// Installs the handler, once; `None` when it could not be.
fn installed() -> Option<&'static Installed> {
    INSTALLED
        .get_or_init(|| {
            // SAFETY: sysconf and sigaction are called with valid arguments;
            // the handler only reads the registry, maps anonymous memory and
            // calls the handler it replaced.
            unsafe {
                let page = usize::try_from(libc::sysconf(libc::_SC_PAGESIZE)).ok()?;
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_sigbus as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let mut previous: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(libc::SIGBUS, &action, &mut previous) != 0 {
                    return None;
                }
                Some(Installed { previous, page })
            }
        })
        .as_ref()
}

extern "C" fn on_sigbus(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let code = unsafe { (*info).si_code };
    // A SIGBUS another process sent (a code of 0 or less) names no address,
    // and would not come again once handled: it ends the process, as it
    // would by default, unless the run started with SIGBUS ignored.
    if code <= 0 {
        let previous = INSTALLED.get().and_then(Option::as_ref);
        if previous.is_some_and(|i| i.previous.sa_sigaction == libc::SIG_IGN) {
            return;
        }
        // SAFETY: valid arguments; the signal, blocked while it is handled,
        // is delivered with the default action once the handler returns.
        unsafe {
            restore_default(signal);
            libc::raise(signal);
        }
        return;
    }
    // SAFETY: as above; a fault's siginfo names the address.
    let address = unsafe { (*info).si_addr() } as usize;
    let ours = REGISTERED.iter().find(|slot| slot.holds(address));
    if let (Some(slot), Some(Some(installed))) = (ours, INSTALLED.get()) {
        if zero_from(slot, address, installed.page) {
            return;
        }
    }
    // SAFETY: called from a signal handler with the arguments it was given.
    unsafe { pass_on(signal, info, context) }
}

/// Maps zeroed pages over `slot`'s map from `address`'s page to its end,
/// and marks it damaged; false when that failed. The pages are part of the
/// map (which starts at or before its first byte's page and ends at the
/// page after its last byte), so nothing else is covered, and the whole is
/// unmapped with the map. mmap is a plain system call on Linux, with no
/// lock a signal could interrupt.
fn zero_from(slot: &Slot, address: usize, page: usize) -> bool {
    let from = address & !(page - 1);
    let end = slot.end.load(Ordering::Acquire).next_multiple_of(page);
    // SAFETY: the range lies inside a live read-only map this process made.
    let zeroed = unsafe {
        libc::mmap(
            from as *mut c_void,
            end - from,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    if zeroed == libc::MAP_FAILED {
        return false;
    }
    slot.damaged.store(true, Ordering::SeqCst);
    true
}

/// Hands a SIGBUS that is not ours to the handler installed before, or
/// restores the default action, so that the faulting access, made again,
/// ends the process.
unsafe fn pass_on(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let previous = INSTALLED.get().and_then(Option::as_ref).map(|i| i.previous);
    match previous {
        Some(action)
            if action.sa_sigaction != libc::SIG_DFL && action.sa_sigaction != libc::SIG_IGN =>
        {
            // SAFETY: a handler installed with SA_SIGINFO takes three
            // arguments, any other one.
            unsafe {
                if action.sa_flags & libc::SA_SIGINFO != 0 {
                    let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) =
                        std::mem::transmute(action.sa_sigaction);
                    handler(signal, info, context);
                } else {
                    let handler: extern "C" fn(libc::c_int) =
                        std::mem::transmute(action.sa_sigaction);
                    handler(signal);
                }
            }
        }
        // SAFETY: valid arguments.
        _ => unsafe { restore_default(signal) },
    }
}

/// Restores the default action of `signal`. (errno is not kept: a failure
/// here or in `zero_from` ends the process.)
unsafe fn restore_default(signal: libc::c_int) {
    // SAFETY: a zeroed action with the default handler is valid.
    unsafe {
        let mut default: libc::sigaction = std::mem::zeroed();
        default.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(signal, &default, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_cut_while_mapped_reads_as_damaged_not_as_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        let content: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8 + 1).collect();
        std::fs::write(&path, &content).unwrap();
        let file = File::open(&path).unwrap();
        // Off a page boundary, as chunks start.
        let range = 100..content.len() as u64;
        let sum = |bytes: &[u8]| bytes.iter().map(|&b| u64::from(b)).sum::<u64>();
        let whole = Mapping::new(&file, range.clone()).unwrap();
        assert_eq!(whole.read(sum).unwrap(), sum(&content[100..]));
        drop(whole);
        let cut = Mapping::new(&file, range).unwrap();
        assert!(cut.slot.is_some(), "registered");
        let kept = 300_000;
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(kept)
            .unwrap();
        let mut seen = Vec::new();
        let damaged = cut.read(|bytes| seen = bytes.to_vec()).unwrap_err();
        assert!(damaged.to_string().contains("cut, or its storage failed"));
        // The bytes still in the file were read; the rest, as zeros (the
        // kernel's past the end of the last page, ours after).
        let kept = kept as usize - 100;
        assert_eq!(seen.len(), content.len() - 100);
        assert_eq!(seen[..kept], content[100..kept + 100]);
        assert!(seen[kept..].iter().all(|&b| b == 0));
        drop(cut);
        // A map made after the cut, of what is left, is whole.
        let after = Mapping::new(&file, 100..300_000).unwrap();
        assert_eq!(after.read(sum).unwrap(), sum(&content[100..300_000]));
    }

    /// Run by `a_fault_outside_our_maps_still_ends_the_process`, in a
    /// process of its own: reads a map that is not registered, of a file
    /// cut under it.
    #[test]
    #[ignore = "run in a child process"]
    fn reads_a_cut_file_through_a_map_not_registered() {
        let Some(dir) = std::env::var_os("LOGWITNESS_FAULT_DIR") else {
            return;
        };
        // Install the handler, as a scan would have by then.
        let _ = installed();
        let path = std::path::Path::new(&dir).join("access.log");
        std::fs::write(&path, vec![b'a'; 1 << 20]).unwrap();
        let file = File::options().read(true).write(true).open(&path).unwrap();
        // SAFETY: the point of the test: the map faults once the file is cut.
        let map = unsafe { Mmap::map(&file).unwrap() };
        file.set_len(100).unwrap();
        let sum: u64 = map.iter().map(|&b| u64::from(b)).sum();
        println!("read on over a fault: {sum}");
    }

    /// Run by `a_sigbus_sent_by_another_process_still_ends_it`, in a
    /// process of its own.
    #[test]
    #[ignore = "run in a child process"]
    fn is_sent_a_sigbus() {
        if std::env::var_os("LOGWITNESS_FAULT_DIR").is_none() {
            return;
        }
        let _ = installed();
        // SAFETY: the point of the test.
        unsafe { libc::raise(libc::SIGBUS) };
        println!("lived on after a SIGBUS was sent");
    }

    /// The signal that ended `test`, run in a child process.
    fn signal_ending(test: &str) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "--ignored", "--nocapture"])
            .arg(format!("input::mapping::tests::{test}"))
            .env("LOGWITNESS_FAULT_DIR", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // A handler that returned without mending the fault would fault
        // again for ever.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("the child still runs after a minute");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        status.signal()
    }

    #[test]
    fn a_fault_outside_our_maps_still_ends_the_process() {
        let test = "reads_a_cut_file_through_a_map_not_registered";
        assert_eq!(signal_ending(test), Some(libc::SIGBUS));
    }

    #[test]
    fn a_sigbus_sent_by_another_process_still_ends_it() {
        assert_eq!(signal_ending("is_sent_a_sigbus"), Some(libc::SIGBUS));
    }

    #[test]
    fn a_map_gives_its_slot_back_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        std::fs::write(&path, vec![b'a'; 8192]).unwrap();
        let file = File::open(&path).unwrap();
        for _ in 0..SLOTS * 2 {
            let map = Mapping::new(&file, 10..8192).unwrap();
            assert!(map.slot.is_some(), "a free slot");
            assert_eq!(map.read(<[u8]>::len).unwrap(), 8182);
        }
    }
}
