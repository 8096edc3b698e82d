//! Store benchmarks: single insert, import-sized batch insert, search, list
//! pages and the dashboard's figures, each on the SQLCipher workspace and on the same code over
//! plain SQLite (feature `unencrypted-baseline`), at each dataset size, in
//! one run, so the encrypted/plain ratio is measured rather than assumed.
//!
//! Datasets come from the seed generator (same seed and clock for both
//! flavours, so both hold identical rows) and are cached under
//! `target/bench-data/`, keyed by generator version, seed and size; each run
//! works on a fresh copy, because the insert benches grow it. Reads are
//! measured before writes.
//!
//! Criterion gives means; a second, plain loop per read case gives p50/p95
//! (criterion has no percentiles), and a summary prints ratios and rows/s.
//! How to run and the figures: docs/performance.md.
//!
//! Environment: BIDWELL_BENCH_SIZES (default `100000`; `100000,1000000` for
//! the full run), BIDWELL_BENCH_DIR (dataset cache, default
//! `<target>/bench-data`), BIDWELL_BENCH_P95_SECS (time budget per
//! percentile case, default 8).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bidwell_core::secret::{Passphrase, WrappingKey};
use bidwell_core::seed::{seed_workspace, SeedPlan, GENERATOR_VERSION};
use bidwell_core::vault::{KdfParams, KeyStore, Protection, Unlock, VaultError};
use bidwell_core::*;
use chrono::{DateTime, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, SamplingMode};
use tokio::runtime::Runtime;

const SEED: u64 = 20_261_122;
const PASSPHRASE: &str = "benchmark passphrase";
/// Rows per batch-insert iteration: an import-sized batch.
const BATCH: u64 = 10_000;
/// Results per search, as the app's search box asks.
const SEARCH_LIMIT: u32 = 20;
/// A selective query: a 5-letter prefix of invented company words, in
/// 0.07 % of the generated records.
const SELECTIVE: &str = "venlo";
/// A broad query: a 3-letter prefix (project, proposal, product…) in 20 %
/// of the generated records.
const BROAD: &str = "pro";
/// One letter, as the palette's first key asks: a common initial (project,
/// proposal, payment…) that no prefix index holds as it is.
const ONE_LETTER: &str = "p";
/// Two words, both in many job titles (and the bids on those jobs): the
/// title pass finds enough and the body pass is never asked.
const MULTI_TITLE: &str = "rust dev";
/// Two words that meet only in notes of meetings and tasks: the title pass
/// finds nothing, and FTS5 walks two broad doclists for where they meet.
const MULTI_BODY: &str = "invoice kra";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Flavor {
    Encrypted,
    Plain,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::Encrypted => "encrypted",
            Flavor::Plain => "plain",
        }
    }
}

/// The benchmarks never touch a keychain: passphrase protection only.
struct NoKeychain;

impl KeyStore for NoKeychain {
    fn backend(&self) -> &'static str {
        "none"
    }
    fn probe(&self) -> Result<(), VaultError> {
        Err(VaultError::NoKeychain { backend: "none", reason: "benchmarks use a passphrase".into() })
    }
    fn store(&self, _: &str, _: &WrappingKey) -> Result<(), VaultError> {
        self.probe()
    }
    fn load(&self, _: &str) -> Result<WrappingKey, VaultError> {
        Err(VaultError::NoKeychain { backend: "none", reason: "benchmarks use a passphrase".into() })
    }
    fn delete(&self, _: &str) -> Result<(), VaultError> {
        self.probe()
    }
}

/// The dataset's "now"; a run's clock starts a day later.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()
}

fn env(start: DateTime<Utc>) -> Environment {
    Environment {
        clock: Arc::new(ManualClock::new(start)),
        keychain: Arc::new(NoKeychain),
        kdf: KdfParams::light(),
        holder: Default::default(),
    }
}

fn passphrase() -> Passphrase {
    Passphrase::new(PASSPHRASE.to_string())
}

fn target_dir() -> PathBuf {
    // The bench binary is target/<profile>/deps/store-<hash>.
    let exe = std::env::current_exe().expect("the bench binary has a path");
    exe.ancestors().nth(3).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("target"))
}

fn data_dir() -> PathBuf {
    std::env::var_os("BIDWELL_BENCH_DIR").map(PathBuf::from).unwrap_or_else(|| target_dir().join("bench-data"))
}

/// Under `cargo bench` criterion gets `--bench`; without it (cargo test
/// --benches) each benchmark runs once as a smoke test, on a small dataset.
fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn sizes() -> Vec<u64> {
    match std::env::var("BIDWELL_BENCH_SIZES") {
        Ok(list) => list.split(',').map(|s| s.trim().replace('_', "").parse().expect("BIDWELL_BENCH_SIZES")).collect(),
        Err(_) if bench_mode() => vec![100_000],
        Err(_) => vec![2_000],
    }
}

async fn open(flavor: Flavor, dir: &Path, start: DateTime<Utc>) -> Workspace {
    match flavor {
        Flavor::Encrypted => Workspace::open(dir, Unlock::Passphrase(passphrase()), env(start)).await.unwrap(),
        Flavor::Plain => Workspace::unencrypted_baseline(dir, env(start)).await.unwrap(),
    }
}

/// Builds the cached dataset if it is missing; prints how fast it went in.
async fn ensure_dataset(flavor: Flavor, size: u64) -> PathBuf {
    let dir = data_dir().join(format!("v{GENERATOR_VERSION}-seed{SEED}-{size}")).join(flavor.name());
    let done = dir.join("complete");
    if done.exists() {
        let built = std::fs::read_to_string(&done).unwrap_or_default();
        eprintln!("dataset {} {size}: cached ({})", flavor.name(), built.trim());
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    let ws = match flavor {
        Flavor::Encrypted => {
            Workspace::create(&dir, "Benchmark", Protection::Passphrase(passphrase()), env(epoch())).await.unwrap().0
        }
        Flavor::Plain => Workspace::unencrypted_baseline(&dir, env(epoch())).await.unwrap(),
    };
    eprintln!("dataset {} {size}: building", flavor.name());
    let started = Instant::now();
    let mut last = 0;
    let summary = seed_workspace(&ws, &SeedPlan { records: size, seed: SEED }, &mut |done, total| {
        if done * 10 / total.max(1) > last {
            last = done * 10 / total.max(1);
            eprint!("  {}%", last * 10);
        }
    })
    .await
    .unwrap();
    let secs = started.elapsed().as_secs_f64();
    ws.lock().await;
    let bytes = std::fs::metadata(dir.join("bidwell.db")).map(|m| m.len()).unwrap_or(0);
    let note = format!(
        "built in {secs:.1} s = {:.0} rows/s, {} MB, {summary:?}",
        summary.total() as f64 / secs,
        bytes / 1_000_000
    );
    eprintln!("\ndataset {} {size}: {note}", flavor.name());
    std::fs::write(&done, note).unwrap();
    dir
}

/// A fresh working copy of a cached dataset.
fn working_copy(cached: &Path, flavor: Flavor, size: u64) -> PathBuf {
    let dir = data_dir().join("run").join(format!("{}-{size}", flavor.name()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(cached).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Cursor of the page that starts halfway down the clients in `sort` order,
/// walked to with big pages (a cursor does not depend on the page size).
async fn deep_cursor(ws: &Workspace, sort: Sort, clients: u64) -> String {
    let limit = (clients / 2).clamp(1, 1000) as u32;
    let mut page = PageRequest { limit, sort, ..Default::default() };
    let mut seen = 0;
    while seen < clients / 2 {
        let got = ws.list_clients(&ClientFilter::default(), &page).await.unwrap();
        seen += got.items.len() as u64;
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    page.after.expect("the dataset has more than one page of clients")
}

#[derive(Clone, Copy)]
enum Read {
    /// The first page of 50 clients, newest first.
    FirstPage,
    /// A page of 50 starting halfway down the clients, by keyset.
    DeepPage(Sort),
    Search(&'static str),
    /// The dashboard's figures over six months, as Alt+1 asks (`MONTHS` in Dashboard.tsx).
    Dashboard,
}

async fn run(ds: &Dataset, read: Read) {
    match read {
        Read::FirstPage => {
            let page = PageRequest { limit: 50, ..Default::default() };
            ds.ws.list_clients(&ClientFilter::default(), &page).await.unwrap();
        }
        Read::DeepPage(sort) => {
            let after = Some(if sort == Sort::Name { ds.deep_name.clone() } else { ds.deep_newest.clone() });
            let page = PageRequest { limit: 50, after, sort, include_deleted: false };
            ds.ws.list_clients(&ClientFilter::default(), &page).await.unwrap();
        }
        Read::Search(q) => {
            ds.ws.search(q, SEARCH_LIMIT).await.unwrap();
        }
        Read::Dashboard => {
            ds.ws.dashboard(6).await.unwrap();
        }
    }
}

/// What one run measured, for the summary.
#[derive(Default)]
struct Results {
    /// (group, flavor) → (p50, p95, samples) from the percentile loop.
    percentiles: BTreeMap<(String, Flavor), (Duration, Duration, usize)>,
    /// Groups criterion actually ran this time (a filter may skip some).
    ran: Vec<String>,
    /// Rows per batch-insert iteration and per single insert, by group.
    rows: BTreeMap<String, u64>,
    notes: Vec<String>,
}

struct Dataset {
    flavor: Flavor,
    ws: Workspace,
    deep_newest: String,
    deep_name: String,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // Criterion writes under $CRITERION_HOME; pin it so the summary can read it back.
    let criterion_home =
        std::env::var_os("CRITERION_HOME").map(PathBuf::from).unwrap_or_else(|| target_dir().join("criterion"));
    std::env::set_var("CRITERION_HOME", &criterion_home);
    let mut c = Criterion::default().configure_from_args();
    let results = RefCell::new(Results::default());
    let quick = !bench_mode();

    for size in sizes() {
        let datasets: Vec<Dataset> = [Flavor::Encrypted, Flavor::Plain]
            .into_iter()
            .map(|flavor| {
                rt.block_on(async {
                    let cached = ensure_dataset(flavor, size).await;
                    let dir = working_copy(&cached, flavor, size);
                    let ws = open(flavor, &dir, epoch() + chrono::Duration::days(1)).await;
                    let clients = size / 5;
                    let deep_newest = deep_cursor(&ws, Sort::Newest, clients).await;
                    let deep_name = deep_cursor(&ws, Sort::Name, clients).await;
                    Dataset { flavor, ws, deep_newest, deep_name }
                })
            })
            .collect();
        for q in [SELECTIVE, BROAD, ONE_LETTER, MULTI_TITLE, MULTI_BODY] {
            let hits = rt.block_on(datasets[0].ws.search(q, 200)).unwrap().len();
            results.borrow_mut().notes.push(format!("{size}: search '{q}' returns {hits} of at most 200"));
        }

        let reads = [
            ("list_first_page", Read::FirstPage),
            ("list_deep_page_newest", Read::DeepPage(Sort::Newest)),
            ("list_deep_page_by_name", Read::DeepPage(Sort::Name)),
            ("search_selective", Read::Search(SELECTIVE)),
            ("search_broad", Read::Search(BROAD)),
            ("search_one_letter", Read::Search(ONE_LETTER)),
            ("search_multi_title", Read::Search(MULTI_TITLE)),
            ("search_multi_body", Read::Search(MULTI_BODY)),
            ("dashboard", Read::Dashboard),
        ];
        for (name, read) in reads {
            let group_name = format!("{name}/{size}");
            let mut group = c.benchmark_group(&group_name);
            group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
            if let Read::Search(_) | Read::Dashboard = read {
                // A broad search at 1 M records takes a good part of a second:
                // linear sampling would need minutes for 20 samples.
                group.sampling_mode(SamplingMode::Flat).sample_size(10);
            }
            for ds in &datasets {
                group.bench_function(BenchmarkId::from_parameter(ds.flavor.name()), |b| {
                    mark_ran(&results, &group_name);
                    b.to_async(&rt).iter(|| run(ds, read));
                });
            }
            group.finish();
            percentiles(&rt, &results, &group_name, &datasets, quick, read);
        }

        // Writes last: they grow the working copies.
        let group_name = format!("insert_single/{size}");
        results.borrow_mut().rows.insert(group_name.clone(), 1);
        let mut group = c.benchmark_group(&group_name);
        group.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
        for ds in &datasets {
            group.bench_function(BenchmarkId::from_parameter(ds.flavor.name()), |b| {
                mark_ran(&results, &group_name);
                b.to_async(&rt).iter(|| async {
                    ds.ws
                        .create_client(NewClient {
                            kind: Some(ClientKind::Company),
                            name: "Nordlicht Medien GmbH".into(),
                            email: Some("hallo@nordlicht.example".into()),
                            notes: "Kam über eine Empfehlung; zahlt pünktlich.".into(),
                            ..Default::default()
                        })
                        .await
                        .unwrap();
                });
            });
        }
        group.finish();

        let group_name = format!("insert_batch_{BATCH}/{size}");
        results.borrow_mut().rows.insert(group_name.clone(), BATCH);
        let mut group = c.benchmark_group(&group_name);
        // One batch per sample, ten samples: the copy grows by about 11 batches.
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(1))
            .measurement_time(Duration::from_secs(15));
        let next_seed = AtomicU64::new(SEED + 1);
        for ds in &datasets {
            group.bench_function(BenchmarkId::from_parameter(ds.flavor.name()), |b| {
                mark_ran(&results, &group_name);
                b.to_async(&rt).iter_custom(|iters| {
                    let ws = &ds.ws;
                    let next_seed = &next_seed;
                    async move {
                        let mut spent = Duration::ZERO;
                        for _ in 0..iters {
                            let plan = SeedPlan { records: BATCH, seed: next_seed.fetch_add(1, Ordering::Relaxed) };
                            let started = Instant::now();
                            seed_workspace(ws, &plan, &mut |_, _| {}).await.unwrap();
                            spent += started.elapsed();
                        }
                        spent
                    }
                });
            });
        }
        group.finish();

        for ds in datasets {
            rt.block_on(ds.ws.lock());
        }
    }
    c.final_summary();
    summary(&criterion_home, &results.into_inner());
}

fn mark_ran(results: &RefCell<Results>, group: &str) {
    let mut r = results.borrow_mut();
    if !r.ran.iter().any(|g| g == group) {
        r.ran.push(group.to_string());
    }
}

/// Times `case` one call at a time, up to 1000 calls or the time budget,
/// alternating flavours so both see the same machine conditions.
fn percentiles(rt: &Runtime, results: &RefCell<Results>, group: &str, datasets: &[Dataset], quick: bool, read: Read) {
    if !results.borrow().ran.iter().any(|g| g == group) {
        return;
    }
    let budget = Duration::from_secs_f64(
        std::env::var("BIDWELL_BENCH_P95_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(8.0),
    );
    let max = if quick { 5 } else { 1000 };
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); datasets.len()];
    let started = Instant::now();
    while times[0].len() < max && (started.elapsed() < budget || times[0].len() < 20.min(max)) {
        for (i, ds) in datasets.iter().enumerate() {
            let t = Instant::now();
            rt.block_on(run(ds, read));
            times[i].push(t.elapsed());
        }
    }
    for (i, ds) in datasets.iter().enumerate() {
        times[i].sort();
        let entry = (percentile(&times[i], 0.5), percentile(&times[i], 0.95), times[i].len());
        results.borrow_mut().percentiles.insert((group.to_string(), ds.flavor), entry);
    }
}

/// Criterion's mean for one benchmark of this run, in nanoseconds.
fn criterion_mean(home: &Path, group: &str, flavor: Flavor) -> Option<f64> {
    let dir = home.join(group.replace('/', "_")).join(flavor.name()).join("new").join("estimates.json");
    let text = std::fs::read_to_string(dir).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

fn ms(d: f64) -> String {
    format!("{:.3} ms", d / 1e6)
}

fn summary(home: &Path, r: &Results) {
    println!("\n== encrypted / plain, same run ==");
    println!("{:<36} {:>14} {:>14} {:>7}", "benchmark (criterion mean)", "encrypted", "plain", "ratio");
    for group in &r.ran {
        let (Some(enc), Some(plain)) =
            (criterion_mean(home, group, Flavor::Encrypted), criterion_mean(home, group, Flavor::Plain))
        else {
            continue;
        };
        println!("{group:<36} {:>14} {:>14} {:>7.2}", ms(enc), ms(plain), enc / plain);
        if let Some(rows) = r.rows.get(group) {
            println!(
                "{:<36} {:>14} {:>14}",
                "  rows/s",
                format!("{:.0}", *rows as f64 / (enc / 1e9)),
                format!("{:.0}", *rows as f64 / (plain / 1e9))
            );
        }
    }
    println!("\n== latency percentiles (one call at a time) ==");
    println!(
        "{:<36} {:>11} {:>22} {:>22} {:>9}",
        "benchmark", "calls", "encrypted p50 / p95", "plain p50 / p95", "p95 ratio"
    );
    let groups: Vec<&String> =
        r.percentiles.keys().map(|(g, _)| g).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    for group in groups {
        let (Some(e), Some(p)) = (
            r.percentiles.get(&(group.clone(), Flavor::Encrypted)),
            r.percentiles.get(&(group.clone(), Flavor::Plain)),
        ) else {
            continue;
        };
        let fmt = |(p50, p95, _): &(Duration, Duration, usize)| {
            format!("{:.2} / {:.2} ms", p50.as_secs_f64() * 1e3, p95.as_secs_f64() * 1e3)
        };
        println!(
            "{group:<36} {:>11} {:>22} {:>22} {:>9.2}",
            e.2,
            fmt(e),
            fmt(p),
            e.1.as_secs_f64() / p.1.as_secs_f64()
        );
    }
    for note in &r.notes {
        println!("note: {note}");
    }
}
