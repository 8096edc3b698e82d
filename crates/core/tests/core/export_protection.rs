//! Password-protected exports (issue #13, part 8): a weak password is
//! refused with a clear message and writes nothing; an age export is a
//! real age file (the age crate's own decryptor opens it, and the `age`
//! command when installed) holding the plain ZIP, and it imports back
//! with its password.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use bidwell_core::portability::{ArchiveContainer, ExportOptions, ImportOptions};
use bidwell_core::secret::Passphrase;
use bidwell_core::*;

use crate::support::*;

/// zxcvbn scores this 4 of 4: enough for both containers.
const STRONG: &str = "velvet ladder orbit quinoa harbour";

async fn export(ws: &Workspace, path: &Path, container: ArchiveContainer, password: Option<&str>) -> Result<()> {
    let options = ExportOptions { container, ..Default::default() };
    let password = password.map(|p| Passphrase::new(p.to_string()));
    ws.export(path, &options, password.as_ref(), &mut |_| {}, &AtomicBool::new(false)).await.map(|_| ())
}

#[tokio::test]
async fn a_weak_export_password_is_refused_with_the_reason_and_writes_nothing() {
    let (_dir, ws) = new_workspace().await;
    ws.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    let audit_before = ws.audit_log().await.unwrap().len();
    let out = tempfile::tempdir().unwrap();
    for (container, password, says) in [
        (ArchiveContainer::Zip, "s3cret pass", "PBKDF2-SHA1"),
        (ArchiveContainer::Zip, "password123", "too weak"),
        (ArchiveContainer::Age, "password123", "too weak"),
        // The workspace's own name is a guessable word.
        (ArchiveContainer::Age, "Test", "too weak"),
    ] {
        let path = out.path().join(format!("x.{}", container.extension()));
        let err = export(&ws, &path, container, Some(password)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Validation, "{err}");
        assert!(err.to_string().starts_with("password: is too weak: strength"), "{err}");
        assert!(err.to_string().contains(says), "{err}");
    }
    let err = export(&ws, &out.path().join("x.zip.age"), ArchiveContainer::Age, None).await.unwrap_err();
    assert!(err.to_string().contains("an age archive needs a password"), "{err}");
    assert!(files_under(out.path()).is_empty(), "a refused export left {:?}", files_under(out.path()));
    assert_eq!(ws.audit_log().await.unwrap().len(), audit_before, "no export was logged");

    // The meter's rule is the same rule: it calls the weak ones weak and the strong one strong.
    let weak = ws.export_password_strength(&Passphrase::new("password123".into()), ArchiveContainer::Age).await;
    assert!(!weak.acceptable && weak.score < weak.required, "{weak:?}");
    let strong = ws.export_password_strength(&Passphrase::new(STRONG.into()), ArchiveContainer::Zip).await;
    assert!(strong.acceptable && strong.score == 4, "{strong:?}");
    export(&ws, &out.path().join("ok.zip"), ArchiveContainer::Zip, Some(STRONG)).await.unwrap();
}

#[tokio::test]
async fn an_age_export_opens_with_age_and_imports_back_with_its_password() {
    let (_dir, ws) = new_workspace().await;
    ws.create_client(NewClient { name: "Ada".into(), email: Some("ada@example.org".into()), ..Default::default() })
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("export.zip.age");
    export(&ws, &path, ArchiveContainer::Age, Some(STRONG)).await.unwrap();
    let raw = std::fs::read(&path).unwrap();
    assert!(raw.starts_with(b"age-encryption.org/v1\n-> scrypt "), "an age file with a scrypt stanza");
    assert!(!contains(&raw, b"ada@example.org") && !contains(&raw, b"clients.json"), "nothing readable");
    let header = String::from_utf8_lossy(&raw[..raw.iter().position(|b| *b == b'\n').unwrap() + 60]).to_string();
    assert!(header.contains(" 18\n"), "work factor 18: {header}");

    // The age crate's own decryptor opens it with the password, into the plain ZIP.
    let decryptor = age::Decryptor::new(&raw[..]).unwrap();
    assert!(decryptor.is_scrypt());
    let identity = age::scrypt::Identity::new(age::secrecy::SecretString::from(STRONG.to_string()));
    let mut zip_bytes = Vec::new();
    decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)).unwrap().read_to_end(&mut zip_bytes).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let mut clients = String::new();
    zip.by_name("clients.json").unwrap().read_to_string(&mut clients).unwrap();
    assert!(clients.contains("ada@example.org"));
    let wrong = age::scrypt::Identity::new(age::secrecy::SecretString::from("not it".to_string()));
    assert!(age::Decryptor::new(&raw[..]).unwrap().decrypt(std::iter::once(&wrong as &dyn age::Identity)).is_err());

    // The `age` command, where installed (Debian: apt-get install age), opens it too.
    age_cli_decrypts(&path, STRONG, out.path());

    // Bidwell's import: no password, a wrong one, then the right one.
    let (_dst_dir, dst) = new_workspace().await;
    let import = |password: Option<&str>| {
        let password = password.map(|p| Passphrase::new(p.to_string()));
        let (dst, path) = (&dst, &path);
        async move {
            dst.import(path, &ImportOptions::default(), password.as_ref(), &mut |_| {}, &AtomicBool::new(false)).await
        }
    };
    assert_eq!(import(None).await.unwrap_err().code(), ErrorCode::ArchivePassword);
    let err = import(Some("wrong password")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::ArchivePassword, "{err}");
    let summary = import(Some(STRONG)).await.unwrap();
    assert_eq!(summary.counts.clients, 1);
    let page = PageRequest::default();
    let copied = dst.list_clients(&ClientFilter::default(), &page).await.unwrap().items;
    assert_eq!(copied[0].email.as_deref(), Some("ada@example.org"));
}

/// `age -d` reads a passphrase only from a terminal: `script` gives it one
/// whose input is the password. Skipped, with a note, when `age` or
/// `script` is missing.
fn age_cli_decrypts(path: &Path, password: &str, dir: &Path) {
    let have = |tool: &str| std::process::Command::new(tool).arg("--version").output().is_ok();
    if !have("age") || !have("script") {
        eprintln!("skipping the age command check: age or script is not installed");
        return;
    }
    let plain = dir.join("from-age.zip");
    let command = format!("age -d -o '{}' '{}'", plain.display(), path.display());
    let mut child = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "age -d failed");
    let zip = zip::ZipArchive::new(std::fs::File::open(&plain).unwrap()).unwrap();
    assert!(zip.file_names().any(|n| n == "manifest.json"), "age -d gave the export's ZIP");
}
