//! The `bidwell` binary as scripts use it: flags, `--json`, exit codes,
//! one-line errors, and what ends up on disk.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const PASSPHRASE: &str = "a long enough passphrase";
/// Accents, CJK, emoji, right-to-left, quotes, commas and newlines.
const HOSTILE: &str = "Zoë «Ōsaka» 東京 🚀 مرحبا \"quoted\", 'single', a;b\nsecond line";

struct Bidwell {
    dir: tempfile::TempDir,
    passphrase: String,
}

impl Bidwell {
    fn init() -> Self {
        let b = Bidwell { dir: tempfile::tempdir().unwrap(), passphrase: PASSPHRASE.into() };
        let out = b.run(&["--json", "init", "--name", "Test"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        b
    }

    fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bidwell"));
        cmd.arg("--data-dir")
            .arg(self.dir.path())
            .env("BIDWELL_PASSPHRASE", &self.passphrase)
            .env_remove("BIDWELL_LOG");
        cmd.stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Runs with --json and expects success.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.command().arg("--json").args(args).output().unwrap();
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {:?}", out.stdout))
    }

    /// Runs with --json, expects failure, returns the error object.
    fn fails(&self, args: &[&str]) -> Value {
        let out = self.command().arg("--json").args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "the error is not one line: {stderr}");
        serde_json::from_str(stderr.trim()).unwrap()
    }

    fn id(&self, args: &[&str]) -> String {
        self.json(args)["id"].as_str().unwrap().to_string()
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap_or_default()))
}

#[test]
fn init_prints_a_recovery_key_once_and_refuses_a_second_init() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bidwell"))
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["init", "--name", "Shop"])
        .env("BIDWELL_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Recovery key"), "{text}");
    let b = Bidwell { dir, passphrase: PASSPHRASE.into() };
    let err = b.fails(&["init"]);
    assert_eq!(err["code"], "workspace_exists");
}

#[test]
fn nothing_typed_is_readable_in_the_data_dir() {
    let b = Bidwell::init();
    let marker = "mk-91c3e7-uniq";
    let email = format!("{marker}@example.org");
    let client = b.id(&[
        "client",
        "add",
        "--name",
        "Marker Client",
        "--email",
        &email,
        "--note",
        &format!("secret {marker} note"),
    ]);
    b.json(&["note", "add", "--on", &format!("client:{client}"), "--body", &format!("call about {marker}")]);
    b.json(&["task", "add", "--title", &format!("follow up {marker}")]);
    assert_eq!(b.json(&["search", marker]).as_array().unwrap().len(), 3, "the marker is stored and findable");
    let files = files_under(b.data_dir());
    assert!(files.len() >= 2, "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!contains(&bytes, marker.as_bytes()), "the marker is readable in {}", file.display());
        assert!(!contains(&bytes, b"Marker Client"), "the name is readable in {}", file.display());
    }
    let db = std::fs::read(b.data_dir().join("bidwell.db")).unwrap();
    assert!(!db.starts_with(b"SQLite format 3"));
}

#[test]
fn a_wrong_passphrase_fails_with_a_clear_line_and_changes_nothing() {
    let mut b = Bidwell::init();
    b.id(&["client", "add", "--name", "Ada"]);
    let db = b.data_dir().join("bidwell.db");
    let files = [db.clone(), b.data_dir().join("bidwell.key"), b.data_dir().join("bidwell.db-wal")];
    let before: Vec<String> = files.iter().map(|f| sha256_hex(f)).collect();
    b.passphrase = "definitely not it".into();
    let out = b.run(&["client", "list"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: wrong passphrase"), "{stderr}");
    assert!(!stderr.contains("definitely not it"));
    let err = b.fails(&["client", "list"]);
    assert_eq!(err["code"], "wrong_passphrase");
    let after: Vec<String> = files.iter().map(|f| sha256_hex(f)).collect();
    assert_eq!(before, after, "a failed unlock changed a file");
}

#[test]
fn passphrase_from_stdin_change_and_key_rotation_keep_the_data() {
    let mut b = Bidwell::init();
    let ada = b.id(&["client", "add", "--name", "Ada"]);
    let run_stdin = |b: &Bidwell, input: &str, args: &[&str]| -> Output {
        use std::io::Write;
        let mut cmd = b.command();
        cmd.env_remove("BIDWELL_PASSPHRASE")
            .arg("--passphrase-stdin")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run_stdin(&b, &format!("{PASSPHRASE}\n"), &["client", "show", &ada]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run_stdin(
        &b,
        &format!("{PASSPHRASE}\nthe second passphrase\n"),
        &["passphrase", "change", "--new-passphrase-stdin"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(b.fails(&["client", "show", &ada])["code"], "wrong_passphrase", "the old passphrase still works");
    b.passphrase = "the second passphrase".into();
    assert_eq!(b.json(&["client", "show", &ada])["name"], "Ada");

    let rotated = b.json(&["key", "rotate"]);
    assert!(rotated["recovery_key"].as_str().unwrap().len() >= 32);
    assert_eq!(b.json(&["client", "show", &ada])["name"], "Ada");
    assert_eq!(b.json(&["search", "ada"]).as_array().unwrap().len(), 1);
}

#[test]
fn without_any_passphrase_source_the_error_says_what_to_do() {
    let b = Bidwell::init();
    let out = b.command().env_remove("BIDWELL_PASSPHRASE").args(["client", "list"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("BIDWELL_PASSPHRASE") && stderr.contains("--passphrase-stdin"), "{stderr}");
}

#[test]
fn every_entity_round_trips_through_the_cli() {
    let b = Bidwell::init();
    let client = b.json(&[
        "client",
        "add",
        "--name",
        HOSTILE,
        "--email",
        "zoë@例え.jp",
        "--company",
        HOSTILE,
        "--tag",
        "VIP 🚀",
        "--note",
        HOSTILE,
    ]);
    let c = client["id"].as_str().unwrap();
    let shown = b.json(&["client", "show", c]);
    assert_eq!(shown, client);
    assert_eq!(shown["notes"], HOSTILE);
    assert_eq!(shown["tags"], serde_json::json!(["VIP 🚀"]));

    let contact = b.json(&["contact", "add", "--client", c, "--name", HOSTILE, "--role", HOSTILE]);
    assert_eq!(b.json(&["contact", "show", contact["id"].as_str().unwrap()]), contact);
    let project = b.json(&[
        "project",
        "add",
        "--client",
        c,
        "--name",
        HOSTILE,
        "--budget",
        "1,250.50",
        "--currency",
        "eur",
        "--due",
        "2027-01-31",
        "--description",
        HOSTILE,
    ]);
    assert_eq!(project["budget_minor"], 125_050);
    assert_eq!(project["currency"], "EUR");
    let p = project["id"].as_str().unwrap();
    assert_eq!(b.json(&["project", "show", p]), project);
    let job = b.json(&[
        "job",
        "add",
        "--title",
        HOSTILE,
        "--description",
        HOSTILE,
        "--skill",
        "Rust",
        "--skill",
        "日本語",
        "--budget-min",
        "100",
        "--budget-max",
        "250.75",
        "--currency",
        "USD",
    ]);
    let j = job["id"].as_str().unwrap();
    assert_eq!(b.json(&["job", "show", j]), job);
    let bid = b.json(&[
        "bid",
        "add",
        "--job",
        j,
        "--amount",
        "950.00",
        "--currency",
        "USD",
        "--days",
        "7",
        "--proposal",
        HOSTILE,
    ]);
    assert_eq!((bid["amount_minor"].as_i64(), bid["status"].as_str()), (Some(95_000), Some("draft")));
    assert_eq!(b.json(&["bid", "show", bid["id"].as_str().unwrap()]), bid);
    let ms = b.json(&["milestone", "add", "--project", p, "--title", HOSTILE, "--amount", "500", "--currency", "EUR"]);
    assert_eq!(b.json(&["milestone", "show", ms["id"].as_str().unwrap()]), ms);
    let note = b.json(&["note", "add", "--on", &format!("project:{p}"), "--kind", "call", "--body", HOSTILE]);
    assert_eq!(b.json(&["note", "show", note["id"].as_str().unwrap()]), note);
    assert_eq!(note["body"], HOSTILE);
    let task = b.json(&[
        "task",
        "add",
        "--title",
        HOSTILE,
        "--notes",
        HOSTILE,
        "--due",
        "2027-02-01T17:00:00Z",
        "--on",
        &format!("client:{c}"),
    ]);
    assert_eq!(b.json(&["task", "show", task["id"].as_str().unwrap()]), task);
    assert_eq!(task["due_at"], "2027-02-01T17:00:00Z");

    // Edits, including clearing a field with an empty value.
    let edited = b.json(&["client", "edit", c, "--email", "", "--phone", "+1 555 0100"]);
    assert!(edited["email"].is_null());
    assert_eq!(edited["phone"], "+1 555 0100");
    let done = b.json(&["task", "done", task["id"].as_str().unwrap()]);
    assert!(done["done_at"].is_string());
}

#[test]
fn bad_input_names_the_field_and_writes_nothing() {
    let b = Bidwell::init();
    let cases: &[(&[&str], &str)] = &[
        (&["client", "add", "--name", "A", "--email", "nope"], "email:"),
        (&["client", "add", "--name", " "], "name:"),
        (&["client", "show", "not-an-id"], "id:"),
        (&["client", "list", "--sort", "sideways"], "sort:"),
        (&["project", "add", "--client", "0190a5f0-0000-7000-8000-000000000001", "--name", "P"], "client "),
        (&["job", "add", "--title", "T", "--budget-min", "12.345", "--currency", "USD"], "budget-min:"),
        (
            &[
                "bid",
                "add",
                "--job",
                "0190a5f0-0000-7000-8000-000000000001",
                "--amount",
                "9",
                "--currency",
                "XXQ",
                "--days",
                "1",
            ],
            "amount:",
        ),
        (&["task", "add", "--title", "T", "--due", "tomorrow-ish"], "due:"),
        (&["note", "add", "--on", "planet:1", "--body", "x"], "on:"),
    ];
    for (args, prefix) in cases {
        let err = b.fails(args);
        match prefix.strip_suffix(':') {
            // A validation error names its field as data (issue #15); the message is about that field.
            Some(field) => {
                assert_eq!((&err["code"], &err["field"]), (&"validation".into(), &field.into()), "{args:?}: {err}")
            }
            None => assert!(err["message"].as_str().unwrap().starts_with(prefix), "{args:?}: {err}"),
        }
    }
    assert_eq!(b.json(&["client", "list"])["items"], serde_json::json!([]));
}

#[test]
fn impossible_bid_moves_exit_non_zero_with_a_stable_code() {
    let b = Bidwell::init();
    let job = b.id(&["job", "add", "--title", "Landing page"]);
    let bid = b.id(&["bid", "add", "--job", &job, "--amount", "300", "--currency", "USD", "--days", "5"]);
    let err = b.fails(&["bid", "status", &bid, "awarded"]);
    assert_eq!(err["code"], "invalid_transition");
    assert_eq!(err["transient"], false);
    assert_eq!(b.json(&["bid", "show", &bid])["status"], "draft");
    assert_eq!(b.json(&["bid", "status", &bid, "submitted"])["status"], "submitted");
    assert_eq!(b.fails(&["bid", "status", &bid, "nonsense"])["code"], "validation");
}

#[test]
fn lists_page_by_cursor_and_search_follows_delete_and_restore() {
    let b = Bidwell::init();
    for name in ["Delta Studio", "Alpha Works", "Charlie Co", "Bravo Ltd", "Echo Labs"] {
        b.id(&["client", "add", "--name", name]);
    }
    let mut names = Vec::new();
    let mut args: Vec<String> = ["client", "list", "--limit", "2", "--sort", "name"].map(String::from).to_vec();
    loop {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let page = b.json(&refs);
        names.extend(page["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()));
        match page["next"].as_str() {
            Some(next) => {
                args.truncate(6);
                args.extend(["--after".to_string(), next.to_string()]);
            }
            None => break,
        }
    }
    assert_eq!(names, ["Alpha Works", "Bravo Ltd", "Charlie Co", "Delta Studio", "Echo Labs"]);

    let echo = b.json(&["search", "ech"])[0]["id"].as_str().unwrap().to_string();
    b.json(&["client", "rm", &echo]);
    assert_eq!(b.json(&["search", "ech"]), serde_json::json!([]));
    assert_eq!(b.json(&["client", "list", "--deleted"])["items"].as_array().unwrap().len(), 5);
    b.json(&["client", "restore", &echo]);
    assert_eq!(b.json(&["search", "ech"])[0]["id"], echo.as_str());
}

#[test]
fn doctor_reports_encryption_and_schema() {
    let b = Bidwell::init();
    let report = b.json(&["doctor"]);
    assert_eq!(report["encrypted"], true);
    assert_eq!(report["integrity"], serde_json::json!(["ok"]));
    assert_eq!(report["protection"], "passphrase");
    assert_eq!(report["schema_version"], report["latest_schema_version"]);
    assert!(report["cipher_version"].as_str().unwrap().starts_with("4."));
}

#[tokio::test]
async fn doctor_finds_and_mends_a_search_index_and_kept_totals_that_disagree_with_the_records() {
    use sqlx::ConnectOptions;
    let b = Bidwell::init();
    let lost = b.id(&["client", "add", "--name", "Wandering Albatross"]);
    b.id(&["client", "add", "--name", "Steady Cormorant"]);
    let first = b.json(&["doctor"]);
    assert_eq!(first["search_index"]["repaired"], false);
    assert_eq!(first["kept_totals"], serde_json::json!({"disagreeing": 0, "repaired": false}));

    // The index loses a record behind the app's back (a bug, a crash in a
    // version before this one): search no longer finds it.
    let key_file = bidwell_core::vault::KeyFile::load(&b.data_dir().join("bidwell.key")).unwrap();
    let unlock = bidwell_core::vault::Unlock::Passphrase(bidwell_core::secret::Passphrase::new(PASSPHRASE.into()));
    let (key, _) = key_file.unlock(&unlock, &bidwell_core::vault::OsKeychain).unwrap();
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(b.data_dir().join("bidwell.db"))
        .pragma("key", key.sqlcipher_key_pragma().to_string())
        .disable_statement_logging()
        .connect()
        .await
        .unwrap();
    for sql in [
        "DELETE FROM search_fts WHERE rowid = (SELECT doc_id FROM search_doc WHERE entity_id = ?1)",
        "DELETE FROM search_doc WHERE entity_id = ?1",
    ] {
        sqlx::query(sql).bind(&lost).execute(&mut conn).await.unwrap();
    }
    // And the board's totals count bids that do not exist.
    sqlx::query("INSERT INTO bid_totals VALUES ('draft', 'EUR', 3, 300)").execute(&mut conn).await.unwrap();
    // And the dashboard's earnings a release that never happened.
    sqlx::query("INSERT INTO milestone_earnings VALUES ('2026-11', 'EUR', 1, 500)").execute(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    assert_eq!(b.json(&["search", "albatross"]), serde_json::json!([]));

    let report = b.json(&["doctor"]);
    assert_eq!(report["search_index"]["missing"], 1, "{report}");
    assert_eq!(report["search_index"]["repaired"], true, "{report}");
    assert_eq!(report["kept_totals"], serde_json::json!({"disagreeing": 2, "repaired": true}), "{report}");
    assert_eq!(b.json(&["search", "albatross"])[0]["id"], lost.as_str());
    let text = String::from_utf8(b.run(&["doctor"]).stdout).unwrap();
    assert!(text.contains("search_index.missing: 0") && text.contains("search_index.documents: 2"), "{text}");
    assert!(text.contains("kept_totals.disagreeing: 0"), "{text}");
}

#[tokio::test]
async fn doctor_reports_a_recovery_key_never_confirmed_until_one_is_printed() {
    use bidwell_core::vault::{KdfParams, Protection};
    // Made as the app makes it: the key went to a window nobody confirmed.
    let b = Bidwell { dir: tempfile::tempdir().unwrap(), passphrase: PASSPHRASE.into() };
    let env = bidwell_core::Environment { kdf: KdfParams::light(), ..bidwell_core::Environment::system() };
    let protection = Protection::Passphrase(bidwell_core::secret::Passphrase::new(PASSPHRASE.into()));
    let (ws, _unseen) = bidwell_core::Workspace::create(b.data_dir(), "App-made", protection, env).await.unwrap();
    ws.lock().await;

    let report = b.json(&["doctor"]);
    assert_eq!(report["unconfirmed_recovery_key"]["origin"], "created", "{report}");
    let text = String::from_utf8(b.run(&["doctor"]).stdout).unwrap();
    assert!(text.contains("never confirmed as saved") && text.contains("bidwell key rotate"), "{text}");

    // Printing the new key is showing it: nothing is reported afterwards.
    let rotated = b.json(&["key", "rotate"]);
    assert!(rotated["recovery_key"].as_str().unwrap().len() >= 32);
    assert_eq!(b.json(&["doctor"])["unconfirmed_recovery_key"], Value::Null);
    let text = String::from_utf8(b.run(&["doctor"]).stdout).unwrap();
    assert!(!text.contains("never confirmed"), "{text}");
}

#[test]
fn init_prints_the_recovery_key_so_doctor_reports_nothing_unconfirmed() {
    let b = Bidwell::init();
    let report = b.json(&["doctor"]);
    assert!(report.get("unconfirmed_recovery_key").is_some(), "doctor lost the field: {report}");
    assert_eq!(report["unconfirmed_recovery_key"], Value::Null);
}

#[test]
fn a_keychain_workspace_needs_no_passphrase() {
    let probe = {
        use bidwell_core::vault::KeyStore;
        bidwell_core::vault::OsKeychain.probe()
    };
    if let Err(e) = probe {
        assert_ne!(std::env::var("BIDWELL_REQUIRE_KEYCHAIN").as_deref(), Ok("1"), "no keychain: {e}");
        eprintln!("skipping: {e}");
        return;
    }
    let b = Bidwell { dir: tempfile::tempdir().unwrap(), passphrase: String::new() };
    let out = b.command().env_remove("BIDWELL_PASSPHRASE").args(["--json", "init", "--keychain"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = b.id(&["client", "add", "--name", "Keyed Client"]);
    assert_eq!(b.json(&["client", "show", &id])["name"], "Keyed Client");
    assert_eq!(b.json(&["doctor"])["protection"], "keychain");
}

#[test]
fn dev_seed_fills_the_workspace_with_the_asked_number_of_records() {
    let b = Bidwell::init();
    let summary = b.json(&["dev", "seed", "--records", "300", "--seed", "5"]);
    let total: u64 = ["clients", "contacts", "projects", "jobs", "bids", "milestones", "activities", "tasks"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, 300, "{summary}");
    // Some generated clients are archived, and the default list leaves those out.
    let count = |args: &[&str]| b.json(args)["items"].as_array().unwrap().len() as u64;
    let listed =
        count(&["client", "list", "--limit", "1000"]) + count(&["client", "list", "--limit", "1000", "--archived"]);
    assert_eq!(listed, summary["clients"].as_u64().unwrap());
}

/// `bidwell market add` with the token on standard input.
fn add_market(b: &Bidwell, url: &str) -> String {
    use std::io::Write;
    let mut child = b
        .command()
        .args(["--json", "market", "add", "--name", "Sim", "--url", url, "--token-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"sim-token\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let account: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("sim-token"), "the token is never printed");
    account["id"].as_str().unwrap().to_owned()
}

/// `bidwell sync` killed with SIGKILL at random moments, then run again:
/// every submitted bid reaches the marketplace exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_bidwell_sync_resumes_without_loss_or_duplicates() {
    use bidwell_market_sim::{SimConfig, SimServer};
    let server = SimServer::start(SimConfig { jobs: 12, ..SimConfig::default() }).await.unwrap();
    let b = Bidwell::init();
    let account = add_market(&b, &server.base_url());
    b.json(&["market", "search", "add", "--account", &account, "--name", "all"]);
    assert_eq!(b.json(&["sync", "--once"])["pulled"], 12);

    let open: Vec<String> =
        server.jobs().into_iter().filter(|j| serde_json::to_value(j.status).unwrap() == "open").map(|j| j.id).collect();
    let jobs = b.json(&["job", "list", "--limit", "100"]);
    let mut submitted = 0;
    for job in jobs["items"].as_array().unwrap() {
        if !open.contains(&job["external_id"].as_str().unwrap().to_owned()) || submitted == 6 {
            continue;
        }
        let currency = job["currency"].as_str().unwrap();
        let proposal = format!("killed-sync bid {submitted}");
        let bid = b.id(&[
            "bid",
            "add",
            "--job",
            job["id"].as_str().unwrap(),
            "--amount",
            "500",
            "--currency",
            currency,
            "--days",
            "5",
            "--proposal",
            &proposal,
        ]);
        assert_eq!(b.json(&["bid", "submit", &bid])["status"], "queued");
        submitted += 1;
    }
    assert_eq!(b.json(&["sync", "status"])["queued"], submitted);

    server.set_fault_rate(0.3);
    // Deterministic "random" kill delays.
    let mut seed: u64 = 0x5eed;
    for _ in 0..8 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let delay = std::time::Duration::from_millis(50 + (seed >> 33) % 700);
        let mut child =
            b.command().args(["--json", "sync"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        tokio::time::sleep(delay).await;
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
    }
    server.set_fault_rate(0.0);
    for _ in 0..5 {
        b.json(&["sync", "retry"]);
        b.json(&["sync", "--once"]);
        if b.json(&["sync", "status"])["queued"] == 0 {
            break;
        }
    }
    let status = b.json(&["sync", "status"]);
    assert_eq!((status["queued"].as_u64(), status["failed"].as_array().map(Vec::len)), (Some(0), Some(0)));
    let mut proposals: Vec<String> = server.bids().into_iter().map(|b| b.proposal).collect();
    proposals.sort();
    let expected: Vec<String> = (0..submitted).map(|i| format!("killed-sync bid {i}")).collect();
    assert_eq!(proposals, expected, "each bid exactly once");
}

/// Runs with --json, feeding `stdin` (e.g. an archive password), and expects success.
fn json_with_stdin(b: &Bidwell, args: &[&str], stdin: &str) -> Value {
    use std::io::Write;
    let mut cmd = b.command();
    cmd.arg("--json").args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Like `json_with_stdin`, but expects failure and returns the error object.
fn json_fails_with_stdin(b: &Bidwell, args: &[&str], stdin: &str) -> Value {
    use std::io::Write;
    let mut cmd = b.command();
    cmd.arg("--json").args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{args:?} succeeded");
    serde_json::from_str(String::from_utf8_lossy(&out.stderr).trim()).unwrap()
}

#[test]
fn export_and_import_carry_a_workspace_to_a_new_one_with_a_password() {
    let a = Bidwell::init();
    let client = a.id(&["client", "add", "--name", HOSTILE, "--email", "zoe@example.org"]);
    let out_dir = tempfile::tempdir().unwrap();
    let archive = out_dir.path().join("export.zip").to_str().unwrap().to_string();
    let summary =
        json_with_stdin(&a, &["export", "--out", &archive, "--password-stdin"], "velvet ladder orbit quinoa harbour\n");
    assert_eq!(summary["encrypted"], true);
    assert_eq!(summary["counts"]["clients"], 1);
    assert!(!contains(&std::fs::read(&archive).unwrap(), b"zoe@example.org"));

    let b = Bidwell::init();
    let err = b.fails(&["import", &archive]);
    assert_eq!(err["code"], "archive_password");
    let dry = json_with_stdin(
        &b,
        &["import", &archive, "--dry-run", "--password-stdin"],
        "velvet ladder orbit quinoa harbour\n",
    );
    assert_eq!((dry["dry_run"].as_bool(), dry["counts"]["clients"].as_u64()), (Some(true), Some(1)));
    assert_eq!(b.fails(&["client", "show", &client])["code"], "not_found", "a dry run writes nothing");
    json_with_stdin(&b, &["import", &archive, "--password-stdin"], "velvet ladder orbit quinoa harbour\n");
    assert_eq!(b.json(&["client", "show", &client])["name"], HOSTILE);
    assert_eq!(b.fails(&["import", &archive])["code"], "archive_password");
}

/// `--format age` (or an .age name) writes the ZIP inside an age file that
/// imports back with its password; a weak password is refused, naming why.
#[test]
fn export_to_age_refuses_a_weak_password_and_imports_back() {
    let a = Bidwell::init();
    let client = a.id(&["client", "add", "--name", "Zoë", "--email", "zoe@example.org"]);
    let out_dir = tempfile::tempdir().unwrap();
    let archive = out_dir.path().join("export.zip.age").to_str().unwrap().to_string();

    let weak = json_fails_with_stdin(&a, &["export", "--out", &archive, "--password-stdin"], "password123\n");
    assert_eq!(weak["code"], "validation", "{weak}");
    assert!(weak["message"].as_str().unwrap().contains("too weak"), "{weak}");
    let weak = json_fails_with_stdin(
        &a,
        &["export", "--out", &archive, "--format", "zip", "--password-stdin"],
        "s3cret pass\n",
    );
    assert!(weak["message"].as_str().unwrap().contains("PBKDF2-SHA1"), "{weak}");
    assert!(!std::path::Path::new(&archive).exists(), "a refused export wrote a file");
    assert_eq!(a.fails(&["export", "--out", &archive, "--format", "age"])["code"], "validation");

    let summary =
        json_with_stdin(&a, &["export", "--out", &archive, "--password-stdin"], "velvet ladder orbit quinoa harbour\n");
    assert_eq!((summary["encrypted"].as_bool(), summary["container"].as_str()), (Some(true), Some("age")));
    assert!(std::fs::read(&archive).unwrap().starts_with(b"age-encryption.org/v1\n"));

    let b = Bidwell::init();
    assert_eq!(b.fails(&["import", &archive])["code"], "archive_password");
    json_with_stdin(&b, &["import", &archive, "--password-stdin"], "velvet ladder orbit quinoa harbour\n");
    assert_eq!(b.json(&["client", "show", &client])["email"], "zoe@example.org");
}

#[test]
fn a_bad_csv_row_is_refused_with_its_location_and_nothing_is_imported() {
    let b = Bidwell::init();
    let in_dir = tempfile::tempdir().unwrap();
    let csv = in_dir.path().join("clients.csv");
    std::fs::write(&csv, "Given Name,Family Name,E-mail Address\nAda,Lovelace,ada@example.org\nBob,B,bob-at-example\n")
        .unwrap();
    let err = b.fails(&["import", csv.to_str().unwrap()]);
    assert_eq!(err["code"], "import_invalid");
    assert_eq!(err["location"], serde_json::json!({ "file": "clients.csv", "line": 3, "field": "E-mail Address" }));
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 0);

    // Outlook's header, cut short: a dry run says which column fills which field.
    std::fs::write(
        &csv,
        "First Name,Last Name,E-mail Address,E-mail 2 Address,Mobile Phone,Short Name\nAda,L,a@b.co,,,\n",
    )
    .unwrap();
    let out = b.run(&["import", csv.to_str().unwrap(), "--dry-run"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("would import 1 clients"), "{text}");
    assert!(text.contains("email      <- \"E-mail Address\", else \"E-mail 2 Address\""), "{text}");
    assert!(
        text.contains("Left out (no field takes them; --map \"COLUMN=field\" to use one): \"Short Name\""),
        "{text}"
    );
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 0, "a dry run writes nothing");

    std::fs::write(&csv, "Who,Mail\nAda Lovelace,ada@example.org\n").unwrap();
    let done = b.json(&["import", csv.to_str().unwrap(), "--map", "Who=name", "--map", "Mail=email"]);
    assert_eq!(done["counts"]["clients"], 1);
}

/// Issue #15 part 5: `--keep-unmapped` keeps the columns no field takes as
/// custom fields, says which column became which field, and refuses a value
/// an existing field does not take by file, line and column.
#[test]
fn import_keep_unmapped_says_which_columns_became_which_fields() {
    let b = Bidwell::init();
    b.json(&["field", "define", "--kind", "client", "--name", "Shoe size", "--type", "number"]);
    let in_dir = tempfile::tempdir().unwrap();
    let csv = in_dir.path().join("people.csv");
    std::fs::write(&csv, "Name,Job Title,shoe size,Empty\nAda Lovelace,Engineer,38,\nBob,,41,\n").unwrap();
    let file = csv.to_str().unwrap();

    let out = b.run(&["import", file, "--dry-run"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("With --keep-unmapped these columns would be kept as custom fields:"), "{text}");

    let out = b.run(&["import", file, "--keep-unmapped", "--dry-run"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("would import 2 clients, 1 custom fields, 3 custom values"), "{text}");
    assert!(text.contains("Would keep as custom fields:\n"), "{text}");
    assert!(text.contains("  \"Job Title\" -> Job Title (new text field, 1 value)\n"), "{text}");
    assert!(text.contains("  \"shoe size\" -> Shoe size (existing number field, 2 values)\n"), "{text}");
    assert!(!text.contains("\"Empty\" ->"), "a column with no value is not kept: {text}");
    assert_eq!(b.json(&["field", "list"]).as_array().unwrap().len(), 1, "a dry run defines nothing");

    let out = b.run(&["import", file, "--keep-unmapped"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Imported 2 clients, 1 custom fields, 3 custom values."), "{text}");
    assert!(text.contains("Kept as custom fields:\n  \"Job Title\" -> Job Title (new text field, 1 value)"), "{text}");
    let clients = b.json(&["client", "list"]);
    let ada = clients["items"].as_array().unwrap().iter().find(|c| c["name"] == "Ada Lovelace").unwrap().clone();
    assert_eq!(ada["fields"], serde_json::json!({ "Job Title": "Engineer", "Shoe size": "38" }));

    // A value the existing number field does not take: refused, nothing written.
    std::fs::write(&csv, "Name,Shoe Size,Hobby\nCarol,40,chess\nDan,huge,golf\n").unwrap();
    let err = b.fails(&["import", file, "--keep-unmapped"]);
    assert_eq!(err["code"], "import_invalid");
    assert_eq!(err["location"], serde_json::json!({ "file": "people.csv", "line": 3, "field": "Shoe Size" }));
    assert!(err["message"].as_str().unwrap().contains("'huge' is not a number"), "{err}");
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 2);
    assert_eq!(b.json(&["field", "list"]).as_array().unwrap().len(), 2, "no \"Hobby\" field was defined");
}

/// `/dev/zero` and a FIFO nobody writes to: refused at once with the file
/// named, where `import` used to read forever or block on the open. Each
/// run is given at most two minutes (a bound on the wait, so a regression
/// fails instead of hanging), then killed.
#[cfg(unix)]
#[test]
fn import_refuses_a_device_or_a_fifo_instead_of_reading_it() {
    let b = Bidwell::init();
    let bounded = |args: &[&str]| -> Value {
        let dir = tempfile::tempdir().unwrap();
        let err_path = dir.path().join("stderr");
        let mut child = b
            .command()
            .arg("--json")
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{args:?} did not finish: it is reading or blocked");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert!(!status.success(), "{args:?} succeeded");
        serde_json::from_str(std::fs::read_to_string(&err_path).unwrap().trim()).unwrap()
    };
    for kind in ["bidwell", "clients"] {
        let err = bounded(&["import", "/dev/zero", "--kind", kind]);
        assert_eq!(err["code"], "import_invalid", "{err}");
        assert_eq!(err["location"]["file"], "zero", "{err}");
        assert!(err["message"].as_str().unwrap().contains("is not a regular file"), "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.zip");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let err = bounded(&["import", fifo.to_str().unwrap()]);
    assert_eq!((err["code"].as_str(), err["location"]["file"].as_str()), (Some("import_invalid"), Some("pipe.zip")));
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 0);
}

#[test]
fn client_erase_asks_for_yes_without_a_terminal_then_erases_and_audits() {
    let b = Bidwell::init();
    let id = b.id(&["client", "add", "--name", "Zqx Erasable", "--email", "zqx@example.org"]);
    let err = b.fails(&["client", "erase", &id]);
    assert_eq!(err["code"], "validation", "{err}");
    assert!(err["message"].as_str().unwrap().contains("--yes"), "{err}");
    assert_eq!(b.json(&["client", "show", &id])["name"], "Zqx Erasable", "nothing was erased");

    let plan = b.json(&["client", "erase", &id, "--yes"]);
    assert_eq!(plan["deleted"]["client"], 1, "{plan}");
    assert_eq!(b.fails(&["client", "show", &id])["code"], "not_found");
    let log = b.json(&["audit", "list"]);
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(last["action"], "erase_client");
    assert!(!last["detail"].as_str().unwrap().contains("Zqx"), "{last}");
    assert_eq!(b.json(&["audit", "verify"])["first_broken"], Value::Null);
}

#[test]
fn client_erase_is_refused_with_the_reason_while_a_bid_is_submitted() {
    let b = Bidwell::init();
    let client = b.id(&["client", "add", "--name", "Busy"]);
    let job = b.id(&["job", "add", "--title", "Job", "--client", &client]);
    let bid = b.id(&["bid", "add", "--job", &job, "--amount", "10", "--currency", "USD", "--days", "2"]);
    b.json(&["bid", "status", &bid, "submitted"]);
    let err = b.fails(&["client", "erase", &client, "--yes"]);
    assert_eq!(err["code"], "erasure_blocked");
    assert!(err["message"].as_str().unwrap().contains("submitted"), "{err}");
}

#[test]
fn wipe_needs_the_workspace_name_and_then_leaves_no_file() {
    let b = Bidwell::init();
    b.id(&["client", "add", "--name", "Ada"]);
    assert_eq!(b.fails(&["wipe", "--confirm", "Wrong"])["code"], "validation");
    assert!(!files_under(b.data_dir()).is_empty(), "a wrong name wipes nothing");
    let out = b.command().env_remove("BIDWELL_PASSPHRASE").args(["--json", "wipe", "--confirm", "Test"]).output();
    let out = out.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(files_under(b.data_dir()).is_empty(), "{:?}", files_under(b.data_dir()));
    assert_eq!(b.fails(&["client", "list"])["code"], "workspace_missing");
}

#[test]
fn consents_are_granted_withdrawn_and_listed() {
    let b = Bidwell::init();
    let client = b.id(&["client", "add", "--name", "Ada"]);
    b.json(&["consent", "grant", "marketplace-sharing"]);
    b.json(&["consent", "withdraw", "marketplace_sharing"]);
    let states = b.json(&["consent", "list"]);
    let sharing = states.as_array().unwrap().iter().find(|s| s["purpose"] == "marketplace_sharing").unwrap();
    assert_eq!(sharing["granted"], false);
    assert_eq!(sharing["latest"]["method"], "cli");
    b.json(&["consent", "grant", "processing", "--client", &client, "--basis", "contract", "--source", "signed"]);
    let history = b.json(&["consent", "list", "--client", &client, "--history"]);
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(b.fails(&["consent", "grant", "processing", "--client", &client])["code"], "validation");
}

#[test]
fn retention_rules_are_shown_set_and_run() {
    let b = Bidwell::init();
    assert_eq!(b.json(&["retention", "show"])["rules"]["deleted_after_days"], 30);
    let set = b.json(&["retention", "set", "--archived-months", "12", "--deleted-days", "60"]);
    assert_eq!(set["rules"]["archived_client_months"], 12);
    let run = b.json(&["retention", "run"]);
    assert_eq!(run["purged"]["total"], 0);
    assert_eq!(b.json(&["retention", "show"])["last_run_at"], run["ran_at"]);
    assert_eq!(b.fails(&["retention", "set", "--deleted-days", "0"])["code"], "validation");
}

#[test]
fn privacy_status_reports_paths_encryption_and_counts() {
    let b = Bidwell::init();
    b.id(&["client", "add", "--name", "Ada"]);
    let status = b.json(&["privacy", "status"]);
    assert_eq!(status["workspace_name"], "Test");
    assert_eq!(status["counts"]["client"], 1);
    assert_eq!(status["encryption"]["key_storage"], "passphrase");
    assert_eq!(status["analytics"]["enabled"], false);
    let text = b.run(&["privacy", "status"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("Encryption: AES-256-CBC"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_erase_request_and_a_wipe_that_asks_the_marketplaces_first() {
    use bidwell_market_sim::{SimConfig, SimServer};
    let server = SimServer::start(SimConfig { jobs: 1, ..SimConfig::default() }).await.unwrap();
    let b = Bidwell::init();
    let account = add_market(&b, &server.base_url());

    let outcomes = b.json(&["market", "erase-request", &account]);
    assert_eq!(outcomes[0]["accepted"], true, "{outcomes}");
    assert_eq!(server.erasure_requests().len(), 1);

    // The marketplace is gone: the wipe that asks first is refused and wipes nothing.
    drop(server);
    let err = b.fails(&["wipe", "--confirm", "Test", "--ask-marketplaces"]);
    assert_eq!(err["code"], "erasure_request_failed");
    assert!(err["message"].as_str().unwrap().contains("Sim"), "{err}");
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 0, "the workspace still opens");
    assert_eq!(b.fails(&["market", "erase-request"])["code"], "erasure_request_failed");

    // Wipe anyway.
    b.json(&["wipe", "--confirm", "Test"]);
    assert!(files_under(b.data_dir()).is_empty(), "{:?}", files_under(b.data_dir()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_marketing_consent_reaches_the_marketplace_with_the_next_sync() {
    use bidwell_market_sim::{SimConfig, SimServer};
    let server = SimServer::start(SimConfig { jobs: 1, ..SimConfig::default() }).await.unwrap();
    let b = Bidwell::init();
    add_market(&b, &server.base_url());
    b.json(&["consent", "grant", "marketplace_marketing"]);
    assert!(!server.consents().choices.marketing, "nothing leaves before a sync");
    b.json(&["sync", "--once"]);
    assert!(server.consents().choices.marketing);
    b.json(&["consent", "withdraw", "marketplace_marketing"]);
    b.json(&["sync", "--once"]);
    assert!(!server.consents().choices.marketing);
}

#[test]
fn a_contacts_csv_imports_contacts_under_their_clients_all_or_nothing() {
    let b = Bidwell::init();
    let existing = b.id(&["client", "add", "--name", "ACME GmbH"]);
    let in_dir = tempfile::tempdir().unwrap();
    let csv = in_dir.path().join("contacts.csv");
    let good = "First Name,Last Name,Company,E-mail Address,Job Title\n\
                Ada,Lovelace,ACME GmbH,ada@example.org,CTO\n\
                Grace,Hopper,Navy Yard,grace@example.org,\n";
    std::fs::write(&csv, format!("{good}Bob,B,Navy Yard,bob-at-example,\n")).unwrap();
    let err = b.fails(&["import", csv.to_str().unwrap(), "--kind", "contacts"]);
    assert_eq!(err["location"], serde_json::json!({ "file": "contacts.csv", "line": 4, "field": "E-mail Address" }));
    assert_eq!(b.json(&["contact", "list"])["items"].as_array().unwrap().len(), 0, "nothing was imported");
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 1, "no client was made");

    std::fs::write(&csv, good).unwrap();
    let done = b.json(&["import", csv.to_str().unwrap(), "--kind", "contacts"]);
    assert_eq!((done["counts"]["contacts"].as_u64(), done["counts"]["clients"].as_u64()), (Some(2), Some(1)));
    let contacts = b.json(&["contact", "list", "--client", &existing]);
    assert_eq!(contacts["items"][0]["name"], "Ada Lovelace");
    assert_eq!(contacts["items"][0]["role"], "CTO");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_remove_asks_for_yes_then_drops_the_queue_and_keeps_the_jobs() {
    use bidwell_market_sim::{SimConfig, SimServer};
    let server = SimServer::start(SimConfig { jobs: 3, ..SimConfig::default() }).await.unwrap();
    let b = Bidwell::init();
    let account = add_market(&b, &server.base_url());
    b.json(&["market", "search", "add", "--account", &account, "--name", "all"]);
    b.json(&["sync", "--once"]);
    let jobs = b.json(&["job", "list"]);
    let job = &jobs["items"][0];
    let bid = b.id(&[
        "bid",
        "add",
        "--job",
        job["id"].as_str().unwrap(),
        "--amount",
        "500",
        "--currency",
        job["currency"].as_str().unwrap(),
        "--days",
        "5",
    ]);
    b.json(&["bid", "submit", &bid]);

    let err = b.fails(&["market", "remove", &account]);
    assert_eq!(err["code"], "validation", "{err}");
    assert!(err["message"].as_str().unwrap().contains("--yes"), "{err}");
    assert_eq!(b.json(&["market", "list"]).as_array().unwrap().len(), 1, "nothing was removed");

    let removal = b.json(&["market", "remove", &account, "--yes"]);
    assert_eq!((removal["unsent_changes"].as_u64(), removal["kept_jobs"].as_u64()), (Some(1), Some(3)), "{removal}");
    assert_eq!(b.json(&["market", "list"]).as_array().unwrap().len(), 0);
    assert_eq!(b.json(&["sync", "status"])["queued"], 0);
    assert_eq!(b.json(&["bid", "show", &bid])["status"], "draft", "the unsent bid is a draft again");
    assert_eq!(b.json(&["job", "list"])["items"].as_array().unwrap().len(), 3, "the jobs stay");
    assert_eq!(b.json(&["audit", "list"]).as_array().unwrap().last().unwrap()["action"], "market_disconnect");
}

#[test]
fn a_bids_milestone_percentage_is_kept_and_checked() {
    let b = Bidwell::init();
    let job = b.id(&["job", "add", "--title", "Job"]);
    let add = ["bid", "add", "--job", &job, "--amount", "10", "--currency", "USD", "--days", "2"];
    let err = b.fails(&[&add[..], &["--milestone-percentage", "120"]].concat());
    assert_eq!(err["code"], "validation");
    assert_eq!(err["field"], "milestone_percentage", "{err}");
    assert_eq!(b.json(&add)["milestone_percentage"], 0, "none asked unless given");
    let bid = b.json(&[&add[..], &["--milestone-percentage", "20"]].concat());
    assert_eq!(bid["milestone_percentage"], 20);
    let id = bid["id"].as_str().unwrap();
    assert_eq!(b.json(&["bid", "edit", id, "--milestone-percentage", "50"])["milestone_percentage"], 50);
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    let b = Bidwell::init();
    for n in 0..3 {
        b.json(&["client", "add", "--name", &format!("Client {n}")]);
    }
    // The reader is gone before the command writes (it unlocks first), as
    // with `bidwell client list | head -c0`.
    let mut child = b.command().args(["client", "list"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "a closed pipe made the CLI panic: {stderr}");
    assert_eq!(out.status.code(), Some(141), "not the status of a filter whose reader left: {stderr}");
    // It locked the workspace before it ended (closing the database removes
    // its WAL), rather than exiting with the database open.
    assert!(!b.data_dir().join("bidwell.db-wal").exists(), "the CLI ended with the database still open");
}

/// The running `bidwell` process as another process sees it: no core dump
/// can be made of it (Linux), from before it reads a passphrase.
#[cfg(target_os = "linux")]
mod hardening {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    /// `nobody`, which the CLI runs as when the tests run as root: the files
    /// in /proc/<pid> of a process that is not dumpable are owned by root
    /// (the directory itself keeps the process's owner), which is only
    /// visible when it runs as someone else.
    const NOBODY: u32 = 65534;

    /// Polls of /proc before giving up; the CLI hardens itself first thing, so
    /// this bound is only reached when it never does.
    const POLLS: usize = 400;

    #[test]
    fn the_cli_cannot_be_core_dumped_while_it_waits_for_a_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let as_root = std::fs::metadata("/proc/self").unwrap().uid() == 0;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bidwell"));
        // A workspace that does not exist yet, in a folder the CLI may write to
        // whoever it runs as: `init` asks for the passphrase before it creates anything.
        cmd.arg("--data-dir")
            .arg(dir.path().join("workspace"))
            .args(["--passphrase-stdin", "init", "--name", "Dump"])
            .env_remove("BIDWELL_PASSPHRASE")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if as_root {
            cmd.uid(NOBODY).gid(NOBODY);
        }
        let mut child = cmd.spawn().unwrap();
        let proc_dir = format!("/proc/{}", child.id());

        let mut seen = (String::new(), u32::MAX);
        let hardened = (0..POLLS).any(|_| {
            std::thread::sleep(Duration::from_millis(25));
            let limits = std::fs::read_to_string(format!("{proc_dir}/limits")).unwrap_or_default();
            let core_limit = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap_or("").to_owned();
            let owner = std::fs::metadata(format!("{proc_dir}/status")).map(|m| m.uid()).unwrap_or(u32::MAX);
            let done = core_limit.split_whitespace().collect::<Vec<_>>().ends_with(&["0", "0", "bytes"]) && owner == 0;
            seen = (core_limit, owner);
            done
        });

        // End of stdin: no passphrase, so the CLI refuses and ends.
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        assert!(
            hardened,
            "the CLI stayed dumpable: core limit {:?}, /proc/<pid>/status owner {} (root when not dumpable); it said: {}",
            seen.0,
            seen.1,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "init without a passphrase succeeded");
        assert!(
            !dir.path().join("workspace").join("bidwell.key").exists(),
            "a workspace was made without a passphrase"
        );
    }
}

#[test]
fn backup_now_list_verify_and_restore_end_to_end_also_with_the_recovery_key_alone() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bidwell { dir, passphrase: PASSPHRASE.into() };
    let created = b.json(&["init", "--name", "Backed"]);
    let recovery = created["recovery_key"].as_str().unwrap().to_string();
    b.id(&["client", "add", "--name", "Ada"]);
    b.id(&["client", "add", "--name", "Grace"]);

    let taken = b.json(&["backup", "now"]);
    let name = taken["name"].as_str().unwrap().to_string();
    assert_eq!(taken["manifest"]["counts"]["client"], 2);
    assert_eq!(taken["manifest"]["reason"], "manual");

    // list: date, size and counts, as text and as JSON.
    let listed = b.json(&["backup", "list"]);
    assert_eq!(listed["backups"][0]["name"], name.as_str());
    assert!(listed["backups"][0]["bytes"].as_u64().unwrap() > 0);
    let out = b.run(&["backup", "list"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let row = text.lines().find(|l| l.starts_with(&name)).unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("UTC") && row.contains("KB") && row.contains("2 clients"), "{row}");

    assert_eq!(b.json(&["backup", "verify", &name])["healthy"], true);
    assert!(b.json(&["doctor"])["last_good_backup"].is_string());

    // Restore refuses without a confirmation when no one can be asked.
    b.id(&["client", "add", "--name", "Later"]);
    assert_eq!(b.fails(&["backup", "restore", &name])["code"], "validation");
    let report = b.json(&["backup", "restore", &name, "--yes"]);
    assert!(report["replaced_state_backup"]["name"].is_string());
    let clients = b.json(&["client", "list"]);
    assert_eq!(clients["items"].as_array().unwrap().len(), 2);

    // The key file is lost: the recovery key alone verifies and restores.
    std::fs::remove_file(b.data_dir().join("bidwell.key")).unwrap();
    assert_eq!(b.fails(&["client", "list"])["code"], "workspace_inconsistent");
    let verified = json_with_stdin(&b, &["backup", "verify", &name, "--recovery-key-stdin"], &format!("{recovery}\n"));
    assert_eq!(verified["healthy"], true);
    let report =
        json_with_stdin(&b, &["backup", "restore", &name, "--yes", "--recovery-key-stdin"], &format!("{recovery}\n"));
    assert!(report["replaced_state_backup"].is_null());
    let names: Vec<String> = b.json(&["client", "list"])["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"Ada".to_string()) && names.contains(&"Grace".to_string()));
}

/// A restore replaces the files under everyone: while the app has the
/// workspace open, `backup restore` (unlocked, or with the recovery key
/// alone) is refused naming the app, and nothing is replaced or moved aside.
#[tokio::test]
async fn a_restore_is_refused_while_the_app_has_the_workspace_open() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bidwell { dir, passphrase: PASSPHRASE.into() };
    let recovery = b.json(&["init", "--name", "Backed"])["recovery_key"].as_str().unwrap().to_string();
    b.id(&["client", "add", "--name", "Ada"]);
    let name = b.json(&["backup", "now"])["name"].as_str().unwrap().to_string();
    b.id(&["client", "add", "--name", "Later"]);
    let key_file = std::fs::read(b.data_dir().join("bidwell.key")).unwrap();

    let app = open_as_the_app(&b).await;
    let the_app = format!("the Bidwell app (process {})", std::process::id());
    let err = b.fails(&["backup", "restore", &name, "--yes"]);
    is_in_use_by(&err, &the_app);
    assert!(err["message"].as_str().unwrap().contains("restore a backup"), "{err}");
    let err = json_fails_with_stdin(
        &b,
        &["backup", "restore", &name, "--yes", "--recovery-key-stdin"],
        &format!("{recovery}\n"),
    );
    is_in_use_by(&err, &the_app);
    assert_eq!(std::fs::read(b.data_dir().join("bidwell.key")).unwrap(), key_file);
    let names = std::fs::read_dir(b.data_dir()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned());
    let moved: Vec<String> = names.filter(|n| n.contains(".replaced-") || n.contains("restore")).collect();
    assert!(moved.is_empty(), "{moved:?}");
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 2);

    app.lock().await;
    b.json(&["backup", "restore", &name, "--yes"]);
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 1);
}

/// The desktop app as the core sees it: the workspace open, shared.
async fn open_as_the_app(b: &Bidwell) -> bidwell_core::Workspace {
    use bidwell_core::vault::Unlock;
    let env = bidwell_core::Environment { holder: bidwell_core::Holder::App, ..bidwell_core::Environment::system() };
    let how = Unlock::Passphrase(bidwell_core::secret::Passphrase::new(b.passphrase.clone()));
    bidwell_core::Workspace::open(b.data_dir(), how, env).await.unwrap()
}

fn is_in_use_by(err: &Value, holder: &str) {
    assert_eq!(err["code"], "workspace_in_use", "{err}");
    assert_eq!(err["transient"], true, "{err}");
    assert!(err["message"].as_str().unwrap().contains(holder), "{holder} not named: {err}");
}

/// The two-process key scenario of issue 13: `bidwell key rotate` (or
/// `passphrase change`) beside the unlocked app used to rewrite the key file,
/// and the app's next passphrase change wrote back the old data key over it.
/// Now the command is refused, scripting beside the app still works, and the
/// app's own change later holds.
#[tokio::test]
async fn key_changes_from_a_command_are_refused_while_the_app_has_the_workspace_open() {
    let b = Bidwell::init();
    b.id(&["client", "add", "--name", "Ada"]);
    let app = open_as_the_app(&b).await;
    let key_file = b.data_dir().join("bidwell.key");
    let before = std::fs::read(&key_file).unwrap();
    let the_app = format!("the Bidwell app (process {})", std::process::id());

    is_in_use_by(&b.fails(&["key", "rotate"]), &the_app);
    let out = b
        .command()
        .env("BIDWELL_NEW_PASSPHRASE", "a new and long passphrase")
        .args(["--json", "passphrase", "change"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    is_in_use_by(&serde_json::from_slice(&out.stderr).unwrap(), &the_app);
    assert_eq!(std::fs::read(&key_file).unwrap(), before, "a refused command wrote the key file");
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 1, "reading beside the app works");

    // The app's own change now goes through and is the one that holds.
    let new = "the app's new passphrase";
    app.change_passphrase(&bidwell_core::secret::Passphrase::new(new.into())).await.unwrap();
    app.lock().await;
    assert_eq!(b.fails(&["client", "list"])["code"], "wrong_passphrase");
    let b = Bidwell { dir: b.dir, passphrase: new.into() };
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 1);
    b.json(&["key", "rotate"]);
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 1);
}

/// A command that has the workspace open (here `passphrase change`, waiting
/// for its new passphrase on stdin) keeps the app and other commands from
/// changing the keys, and is named to them with its process id.
#[tokio::test]
async fn a_command_that_has_the_workspace_open_is_named_to_the_app_and_other_commands() {
    use std::io::Write;
    let b = Bidwell::init();
    b.id(&["client", "add", "--name", "Ada"]);
    let mut waiting = b
        .command()
        .args(["--json", "passphrase", "change", "--new-passphrase-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let the_command = format!("a `bidwell passphrase change` command (process {})", waiting.id());
    // Bounded wait until it has opened the workspace (its record appears).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !bidwell_core::process_lock::holders(b.data_dir()).contains(&the_command) {
        assert!(waiting.try_wait().unwrap().is_none(), "the command ended before it was seen holding the workspace");
        assert!(std::time::Instant::now() < deadline, "the command never held the workspace");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let app = open_as_the_app(&b).await;
    let err = app.rotate_key().await.unwrap_err();
    assert_eq!(err.code(), bidwell_core::ErrorCode::WorkspaceInUse);
    assert!(err.to_string().contains(&the_command), "{err}");
    is_in_use_by(&b.fails(&["key", "rotate"]), &the_command);
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 1);

    // With the app closed, the waiting command finishes its change.
    app.lock().await;
    let new = "given to the waiting command";
    writeln!(waiting.stdin.take().unwrap(), "{new}").unwrap();
    let out = waiting.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let b = Bidwell { dir: b.dir, passphrase: new.into() };
    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 1);
    assert!(bidwell_core::process_lock::holders(b.data_dir()).is_empty(), "every holder let go");
}

/// Opening an older workspace migrates it, which needs it to itself: while
/// the app has it open, a command is refused rather than change the schema
/// under the app.
#[test]
fn a_migration_waits_for_the_workspace_to_itself() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/schema-v9");
    let b = Bidwell { dir: tempfile::tempdir().unwrap(), passphrase: "fixture passphrase, not a secret".into() };
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), b.data_dir().join(entry.file_name())).unwrap();
    }
    let app = bidwell_core::ProcessLock::shared(b.data_dir(), &bidwell_core::Holder::App).unwrap();
    let err = b.fails(&["client", "list"]);
    is_in_use_by(&err, &format!("the Bidwell app (process {})", std::process::id()));
    assert!(err["message"].as_str().unwrap().contains("update the workspace"), "{err}");
    drop(app);
    // The wait is explained on stderr; stdout stays the command's answer.
    let out = b.run(&["--json", "doctor"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("backing up before the update (step 1 of 2)…\nupdating the workspace (step 2 of 2)…"),
        "{said}"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema_version"], report["latest_schema_version"]);
    let again = b.run(&["--json", "doctor"]);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("update"), "nothing to update the second time");
}

/// One HTTP GET over a plain TCP connection, as a browser would send it:
/// the status and the `Location` header.
fn browser_get(url: &str) -> (u16, Option<String>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, target) = rest.split_at(rest.find('/').unwrap());
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    write!(stream, "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let location = answer
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))
        .map(str::to_owned);
    (status, location)
}

/// `bidwell market add --kind freelancer --client-id …`: the address to
/// open is printed, the browser (played here) signs in and comes back to
/// the loopback port, and the account syncs; disconnecting revokes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_add_signs_in_in_the_browser_and_remove_revokes() {
    use bidwell_market_sim::freelancer::{FreelancerConfig, FreelancerSim, ProjectStatus};
    use std::io::BufRead;
    let sim = FreelancerSim::start(FreelancerConfig { projects: 5, ..FreelancerConfig::default() }).await.unwrap();
    let base = sim.base_url();
    let b = Bidwell::init();
    let api = format!("{base}/api/");
    let (authorize, token, revoke) =
        (format!("{base}/oauth/authorize"), format!("{base}/oauth/token"), format!("{base}/oauth/revoke"));
    let mut child = b
        .command()
        .args(["--json", "market", "add", "--kind", "freelancer", "--name", "FL", "--url", &api])
        .args(["--client-id", "bidwell-desktop", "--authorize-url", &authorize, "--token-url", &token])
        .args(["--revoke-url", &revoke])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut open = String::new();
    while !open.starts_with("http") {
        open.clear();
        assert!(stderr.read_line(&mut open).unwrap() > 0, "the address to open was printed");
    }
    let (status, back) = tokio::task::spawn_blocking(move || browser_get(open.trim())).await.unwrap();
    assert_eq!(status, 302);
    let (status, _) = tokio::task::spawn_blocking(move || browser_get(&back.unwrap())).await.unwrap();
    assert_eq!(status, 200, "the browser is told it may close the tab");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let account: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(account["kind"], "freelancer");
    assert_eq!(account["capabilities"]["edit_bid"], false);
    assert!(account["sign_in"]["client_id"] == "bidwell-desktop");
    let id = account["id"].as_str().unwrap().to_owned();
    b.json(&["market", "search", "add", "--account", &id, "--name", "all"]);
    let report = b.json(&["sync", "--once"]);
    assert!(!report["interrupted"].as_bool().unwrap(), "{report}");
    let active = sim.projects().iter().filter(|p| p.status == ProjectStatus::Active).count();
    assert!(active > 0);
    assert_eq!(b.json(&["job", "list"])["items"].as_array().unwrap().len(), active, "every open project arrived");
    assert_eq!(sim.oauth().live_refresh_tokens(), 1);
    b.json(&["market", "remove", &id, "--yes"]);
    assert_eq!(sim.oauth().live_refresh_tokens(), 0, "disconnecting revoked the sign-in");

    // Without a token or a client id, the error says what to give.
    let out = b.command().args(["market", "add", "--kind", "freelancer"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token-stdin"), "the usage names what to give");
    let err = b.fails(&["market", "add", "--kind", "upwork?", "--token-stdin"]);
    assert_eq!(err["code"], "validation", "{err}");
}

/// Issue #15: custom fields are defined with `bidwell field`, set and cleared
/// with `--field NAME=VALUE` on any kind, filter lists, show as
/// `fields.NAME: value`, and a bad value names its field.
#[test]
fn custom_fields_are_defined_set_filtered_and_cleared_from_the_cli() {
    let b = Bidwell::init();
    let tier = b.id(&[
        "field", "define", "--kind", "client", "--name", "Tier", "--type", "choice", "--choice", "Gold", "--choice",
        "Silver",
    ]);
    b.json(&["field", "define", "--kind", "job", "--name", "Source", "--type", "link"]);
    let gold = b.id(&["client", "add", "--name", "Acme", "--field", "Tier=gold", "--tag", "vip"]);
    b.id(&["client", "add", "--name", "Other", "--field", "Tier=Silver"]);
    let job =
        b.json(&["job", "add", "--title", "Logo", "--field", "Source=https://example.org/p/1", "--tag", "design"]);
    assert_eq!(
        (job["fields"]["Source"].as_str(), job["tags"][0].as_str()),
        (Some("https://example.org/p/1"), Some("design"))
    );

    let listed = b.json(&["client", "list", "--field", "Tier=Gold"]);
    let names: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Acme"]);
    assert_eq!(b.json(&["job", "list", "--tag", "design"])["items"].as_array().unwrap().len(), 1);

    let shown = b.run(&["client", "show", &gold]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("fields.Tier: Gold"), "{shown:?}");
    let err = b.fails(&["client", "edit", &gold, "--field", "Tier=Bronze"]);
    assert_eq!((err["code"].as_str(), err["field"].as_str()), (Some("validation"), Some("Tier")), "{err}");
    let err = b.fails(&["client", "add", "--name", "X", "--field", "Tier"]);
    assert_eq!(err["field"], "field", "{err}");
    let cleared = b.json(&["client", "edit", &gold, "--field", "Tier="]);
    assert!(cleared.get("fields").is_none(), "{cleared}");

    let removed = b.json(&["field", "rm", &tier, "--yes"]);
    assert_eq!(removed["values_removed"], 1, "Other's Silver went with the field");
    assert_eq!(b.json(&["field", "list"]).as_array().unwrap().len(), 1);
}

#[test]
fn tasks_repeat_snooze_follow_up_and_export_as_a_calendar() {
    let b = Bidwell::init();
    let client = b.id(&["client", "add", "--name", "Ada Lovelace"]);
    let on = format!("client:{client}");
    let task = b.json(&[
        "task",
        "add",
        "--title",
        "Invoice",
        "--due",
        "2099-01-31T17:00:00Z",
        "--remind",
        "2099-01-31T09:00:00Z",
        "--repeat",
        "monthly",
        "--on",
        &on,
    ]);
    assert_eq!(
        (&task["repeat"], &task["subject_kind"], &task["subject_id"]),
        (&serde_json::json!("monthly"), &serde_json::json!("client"), &serde_json::json!(client))
    );
    let id = task["id"].as_str().unwrap();
    let err = b.fails(&["task", "add", "--title", "X", "--due", "2099-01-01", "--repeat", "hourly"]);
    assert_eq!(err["code"], "validation", "{err}");

    b.json(&["task", "done", id]);
    let open = b.json(&["task", "list", "--open"]);
    let next = &open["items"][0];
    assert_eq!(open["items"].as_array().unwrap().len(), 1, "{open}");
    assert!(next["due_at"].as_str().unwrap().starts_with("2099-02-28T17:00:00"), "{next}");
    assert!(next["remind_at"].as_str().unwrap().starts_with("2099-02-28T09:00:00"), "{next}");
    let next_id = next["id"].as_str().unwrap();

    let err = b.fails(&["task", "snooze", next_id, "--until", "2001-01-01T00:00:00Z"]);
    assert_eq!(err["field"], "until", "{err}");
    let snoozed = b.json(&["task", "snooze", next_id, "--for", "1h"]);
    let remind: chrono::DateTime<chrono::Utc> = snoozed["remind_at"].as_str().unwrap().parse().unwrap();
    let from_now = remind - chrono::Utc::now();
    assert!(from_now > chrono::Duration::minutes(55) && from_now <= chrono::Duration::hours(1), "{snoozed}");
    assert_eq!(snoozed["due_at"], next["due_at"], "the due time stays");
    assert_eq!(b.fails(&["task", "snooze", next_id, "--for", "soon"])["field"], "for");

    let follow_up = b.json(&["follow-up", "--on", &on, "--days", "3"]);
    assert_eq!(follow_up["title"], "Follow up: Ada Lovelace");
    assert_eq!(
        (&follow_up["subject_kind"], &follow_up["subject_id"]),
        (&serde_json::json!("client"), &serde_json::json!(client))
    );
    let due: chrono::DateTime<chrono::Utc> = follow_up["due_at"].as_str().unwrap().parse().unwrap();
    assert!((due - chrono::Utc::now() - chrono::Duration::days(3)).num_minutes().abs() < 5, "{follow_up}");

    let out = b.data_dir().join("calendar.ics");
    let summary = b.json(&["export", "--ics", "--out", out.to_str().unwrap()]);
    assert_eq!(
        (&summary["tasks"], &summary["milestones"]),
        (&serde_json::json!(2), &serde_json::json!(0)),
        "{summary}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.contains(&format!("UID:{next_id}@bidwell")), "{text}");
    assert!(text.contains("RRULE:FREQ=MONTHLY") && text.contains("SUMMARY:Follow up: Ada Lovelace"), "{text}");
}

/// The privacy flow's flake (a wipe answering `sqlite code 522`, a short
/// read): the app read the database's first bytes for `doctor` through a
/// file of its own, and closing that file dropped every POSIX lock the
/// process held on the database, SQLite's included. A command run beside
/// the app then believed itself the last user: on exit it deleted the WAL
/// and its index under the app, whose next connection read frames from a
/// new, empty WAL. The command must find the app still there.
#[tokio::test]
async fn the_app_keeps_its_hold_on_the_database_through_doctor_and_a_command_beside_it() {
    use bidwell_core::store::NewClient;
    let b = Bidwell::init();
    let app = open_as_the_app(&b).await;
    app.create_client(NewClient { name: "Ada".into(), ..Default::default() }).await.unwrap();
    app.doctor().await.unwrap();

    assert_eq!(b.json(&["client", "list"])["items"].as_array().unwrap().len(), 1);
    let index = b.data_dir().join("bidwell.db-shm");
    assert!(index.exists(), "a command beside the app removed the WAL index the app uses");

    // Many connections at once (new ones among them), then writes through them.
    let app = std::sync::Arc::new(app);
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..16 {
        let app = app.clone();
        writes.spawn(async move {
            app.create_client(NewClient { name: format!("Client {i}"), ..Default::default() }).await
        });
    }
    while let Some(written) = writes.join_next().await {
        written.unwrap().unwrap();
    }
    let clients = app.list_clients(&Default::default(), &Default::default()).await.unwrap();
    assert_eq!(clients.items.len(), 17);
}

/// The command line runs scripts: with analytics on, its work is not
/// counted, and `privacy usage` shows the same queue Settings → Privacy does.
#[test]
fn the_command_line_never_counts_usage_and_shows_the_queue() {
    let b = Bidwell::init();
    assert_eq!(b.json(&["privacy", "usage"])["enabled"], false);
    b.json(&["consent", "grant", "usage_analytics"]);
    b.id(&["client", "add", "--name", "Scripted Client"]);
    let export = b.data_dir().join("all.zip");
    b.json(&["export", "--out", export.to_str().unwrap()]);
    let usage = b.json(&["privacy", "usage"]);
    assert_eq!(usage["enabled"], true);
    assert_eq!(usage["rows"], serde_json::json!([]), "the command line counted: {usage}");
    assert!(usage["catalogue"].as_array().is_some_and(|c| c.iter().any(|e| e["event"] == "feature.client_created")));
}

/// Issue #15 part 6: rates by hand and from the ECB's file, the home
/// currency, and a bad file refused with its line and column.
#[test]
fn rates_and_the_home_currency_from_the_cli() {
    let b = Bidwell::init();
    let rates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/rates");
    let hand = b.json(&["rate", "set", "BHD", "0.3978", "--date", "2026-11-30"]);
    assert_eq!(
        (hand["base"].as_str(), hand["rate"].as_str(), hand["source"].as_str()),
        (Some("EUR"), Some("0.3978"), Some("hand"))
    );
    let err = b.fails(&["rate", "set", "USD", "1,05", "--date", "2026-12-04"]);
    assert_eq!((err["code"].as_str(), err["field"].as_str()), (Some("validation"), Some("rate")), "{err}");

    let summary = b.json(&["rate", "import", rates.join("eurofxref.csv").to_str().unwrap()]);
    assert_eq!((summary["rates"].as_u64(), summary["last_date"].as_str()), (Some(29), Some("2026-12-04")));
    let listed = b.json(&["rate", "list"]);
    let usd = listed.as_array().unwrap().iter().find(|r| r["currency"] == "USD").unwrap();
    assert_eq!((usd["rate"].as_str(), usd["source"].as_str()), (Some("1.0552"), Some("eurofxref.csv")));
    let text = String::from_utf8_lossy(&b.run(&["rate", "list"]).stdout).into_owned();
    assert!(text.contains("2026-12-04  1 EUR = 1.0552 USD  (eurofxref.csv)"), "{text}");

    let err = b.fails(&["rate", "import", rates.join("negative-rate.csv").to_str().unwrap()]);
    assert_eq!(err["code"], "import_invalid", "{err}");
    assert_eq!((err["location"]["line"].as_u64(), err["location"]["field"].as_str()), (Some(3), Some("GBP")), "{err}");
    assert_eq!(b.json(&["rate", "list", "--all"]).as_array().unwrap().len(), 30, "nothing of the bad file kept");

    assert_eq!(b.json(&["currency", "home"])["home_currency"], serde_json::Value::Null);
    assert_eq!(b.json(&["currency", "home", "usd"])["home_currency"], "USD");
    assert_eq!(b.json(&["currency", "home"])["home_currency"], "USD");
    let err = b.fails(&["currency", "home", "XXQ"]);
    assert_eq!(err["field"], "home_currency", "{err}");
    assert_eq!(b.json(&["currency", "home", "--clear"])["home_currency"], serde_json::Value::Null);

    let id = hand["id"].as_str().unwrap();
    b.json(&["rate", "rm", id]);
    assert_eq!(b.json(&["rate", "list", "--all"]).as_array().unwrap().len(), 29);
}
