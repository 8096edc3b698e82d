//! The process as a whole (`bidwell_core::process`): exiting while the
//! database is busy does not corrupt memory, and `harden` turns core dumps
//! off. Both change or end the whole process, so each runs in a child: this
//! test binary again, running one ignored test with `CHILD` set.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bidwell_core::vault::Protection;
use bidwell_core::{NewClient, Workspace};

use crate::support::{env, passphrase};

/// Set in a child: the directory it may use.
const CHILD: &str = "BIDWELL_TEST_CHILD_DIR";

/// Runs the ignored test `name` of this binary in a child process.
fn child(name: &str, dir: &Path) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD, dir)
        .output()
        .unwrap()
}

/// How many times the exit is tried under load. The probe below decides on
/// the first; the repeats give the race itself a few more chances.
const EXIT_RUNS: usize = 3;

#[test]
fn a_process_that_exits_while_its_database_is_written_exits_cleanly() {
    for run in 0..EXIT_RUNS {
        let dir = tempfile::tempdir().unwrap();
        let out = child("process::exits_while_writing", dir.path());
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stdout.contains("exiting while writing"),
            "run {run}: the child did not get to its exit: {stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("OpenSSL kept through exit"),
            "run {run}: OpenSSL freed its state at exit, under threads that may still use it: {stdout}\n{stderr}"
        );
        assert_eq!(out.status.code(), Some(0), "run {run}: the exit was not clean ({}): {stderr}", out.status);
    }
}

extern "C" {
    // The libcrypto linked in for SQLCipher (openssl-sys declares only the libssl entry point).
    fn OPENSSL_init_crypto(opts: u64, settings: *const std::ffi::c_void) -> std::ffi::c_int;
}

/// OPENSSL_INIT_BASE_ONLY: asks nothing new of OpenSSL; the call answers 0
/// once `OPENSSL_cleanup` has run ("applications depend on 0 being returned
/// when cleanup was already done", crypto/init.c) and 1 otherwise.
const OPENSSL_INIT_BASE_ONLY: u64 = 0x0004_0000;

/// Registered before OpenSSL is first used, so it runs after any exit
/// handler OpenSSL registers (they run in reverse order): it sees whether
/// the exit tore OpenSSL down. Writes with `write(2)` and ends with `_exit`,
/// as nothing else is safe this late.
extern "C" fn probe_openssl_at_exit() {
    // SAFETY: a call OpenSSL documents as safe after cleanup; then plain syscalls.
    unsafe {
        let kept = OPENSSL_init_crypto(OPENSSL_INIT_BASE_ONLY, std::ptr::null()) == 1;
        let line: &[u8] = if kept { b"OpenSSL kept through exit\n" } else { b"OpenSSL torn down at exit\n" };
        libc::write(1, line.as_ptr().cast(), line.len());
        if !kept {
            libc::_exit(3);
        }
    }
}

/// The child: exits the process while its connection threads are busy in
/// SQLCipher (OpenSSL) and while others are ending, as a front end's `main`
/// may return, or a test binary end, with such threads still running. Four
/// writers keep SQLCipher encrypting pages on the pool's threads; two
/// integrity checks keep opening a connection (a thread of its own),
/// reading and checking every page, and closing it, so threads that used
/// OpenSSL keep ending and running its thread-exit cleanup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by a_process_that_exits_while_its_database_is_written_exits_cleanly"]
async fn exits_while_writing() {
    let Some(dir) = std::env::var_os(CHILD) else { return };
    // SAFETY: registers a plain function to run at exit.
    assert_eq!(unsafe { libc::atexit(probe_openssl_at_exit) }, 0);
    let (ws, _recovery) =
        Workspace::create(Path::new(&dir), "Exit", Protection::Passphrase(passphrase()), env()).await.unwrap();
    let ws = Arc::new(ws);
    let (written, checked) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    for n in 0..4 {
        let (ws, written) = (ws.clone(), written.clone());
        tokio::spawn(async move {
            loop {
                let client = NewClient { name: format!("Writer {n}"), notes: "x".repeat(3000), ..Default::default() };
                // Busy is fine: the attempt alone keeps a connection working.
                let _ = ws.create_client(client).await;
                written.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    for _ in 0..2 {
        let (ws, checked) = (ws.clone(), checked.clone());
        tokio::spawn(async move {
            loop {
                let _ = ws.check_integrity().await;
                checked.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    // Everything is going (counted, not timed), so threads are mid-work now.
    while written.load(Ordering::Relaxed) < 12 || checked.load(Ordering::Relaxed) < 4 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    println!("exiting while writing");
    std::process::exit(0);
}

#[cfg(target_os = "linux")]
#[test]
fn harden_turns_core_dumps_off() {
    let dir = tempfile::tempdir().unwrap();
    let out = child("process::hardened", dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("dumpable 0, core limit 0/0"), "{stdout}");
}

/// The child: what the process says of itself after `harden`.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "run by harden_turns_core_dumps_off"]
fn hardened() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    bidwell_core::process::harden().unwrap();
    // SAFETY: PR_GET_DUMPABLE takes no argument and returns the flag.
    let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE) };
    let mut core = libc::rlimit { rlim_cur: 1, rlim_max: 1 };
    // SAFETY: getrlimit writes into the struct we own.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut core) }, 0);
    println!("dumpable {dumpable}, core limit {}/{}", core.rlim_cur, core.rlim_max);
}
