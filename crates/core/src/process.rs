//! What a Bidwell process does to itself before it holds a key: [`harden`],
//! which both front ends call first thing in `main`. It owns two
//! process-wide settings:
//!
//! - **No core dumps.** A crash of an unlocked process would otherwise write
//!   its memory (the data key, SQLCipher's key schedule, decrypted pages) to
//!   a core file or a crash report, in plaintext, wherever the system keeps
//!   them. Linux: `RLIMIT_CORE` 0 and `PR_SET_DUMPABLE` 0 (the latter also
//!   covers `core_pattern` pipes such as systemd-coredump, which ignore the
//!   limit, and keeps other processes of the same user from attaching with
//!   ptrace or reading `/proc/<pid>/mem`). macOS: `RLIMIT_CORE` 0. Windows:
//!   Windows Error Reporting is not invoked for a crash.
//! - **OpenSSL does not tear itself down at exit** ([`keep_crypto_through_exit`]).
//!
//! What must not outlive `main`, and why this is enough: docs/architecture.md
//! ("Process exit").

/// Turns off core dumps and crash reports for this process, and keeps
/// OpenSSL's state alive through exit. Call it first in `main`, before any
/// key is read. An error says which setting the system refused; the process
/// can go on (the rest is still applied), and the caller says so.
pub fn harden() -> std::io::Result<()> {
    keep_crypto_through_exit();
    no_core_dumps()
}

/// Tells OpenSSL (which SQLCipher uses for every page) not to register its
/// `atexit` cleanup. By default the first use of OpenSSL registers
/// `OPENSSL_cleanup`, which frees OpenSSL's global state when `exit` runs;
/// OpenSSL assumes every other thread has stopped by then. Ours need not
/// have: each sqlx connection has its own worker thread, a pool dropped
/// without `close` closes its connections on those threads after the owner
/// has moved on, and even a closed connection's thread is still exiting
/// (running OpenSSL's thread-local destructors) when `close` returns. A
/// thread in OpenSSL while `exit` frees its state is a use after free or a
/// double free (the abort seen at the end of the core test binary). With
/// `OPENSSL_INIT_NO_ATEXIT`, the memory is simply left to the OS at exit.
///
/// The choice is made once per process, by the first OpenSSL initialisation,
/// so this runs before any SQLCipher connection: from [`harden`], and from
/// the store before it opens any (so tests and any other user of the core
/// get it too). Repeated calls do nothing.
pub fn keep_crypto_through_exit() {
    // openssl-sys's init is exactly OPENSSL_init_ssl(LOAD_SSL_STRINGS |
    // NO_ATEXIT), once per process. It is the same OpenSSL SQLCipher links:
    // libsqlite3-sys's vendored OpenSSL comes through this crate.
    openssl_sys::init();
}

#[cfg(target_os = "linux")]
fn no_core_dumps() -> std::io::Result<()> {
    let limit = zero_core_limit();
    // SAFETY: prctl with PR_SET_DUMPABLE takes one integer argument and
    // changes only this process's dumpable flag.
    let dumpable = match unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    };
    limit.and(dumpable)
}

/// macOS and the other Unixes: the core limit only. PR_SET_DUMPABLE is Linux
/// only. macOS's `ptrace(PT_DENY_ATTACH)` is not used: it stops debuggers
/// and crash reporters, yet not root or code that already runs as the user
/// (which can read the keychain and the files anyway), so it would cost
/// every developer and crash report more than it protects.
#[cfg(all(unix, not(target_os = "linux")))]
fn no_core_dumps() -> std::io::Result<()> {
    zero_core_limit()
}

#[cfg(unix)]
fn zero_core_limit() -> std::io::Result<()> {
    let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: setrlimit reads the struct we pass; lowering a limit (the hard
    // one too, so nothing in the process can raise it again) needs no privilege.
    match unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(windows)]
fn no_core_dumps() -> std::io::Result<()> {
    use windows_sys::Win32::System::Diagnostics::Debug::{GetErrorMode, SetErrorMode, SEM_NOGPFAULTERRORBOX};
    // SEM_NOGPFAULTERRORBOX: "the system does not invoke Windows Error
    // Reporting" for a crash, so no report (and no WER LocalDumps dump) is
    // made of this process. Added to the mode the process already has.
    // SAFETY: both calls only read or set this process's error mode.
    unsafe {
        SetErrorMode(GetErrorMode() | SEM_NOGPFAULTERRORBOX);
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn no_core_dumps() -> std::io::Result<()> {
    Ok(())
}
