//! The window at a million (issue #16 part 3): a benchmark, not a test. It
//! drives the real window on workspaces of different sizes, one after the
//! other in the same run, the first being the baseline, and prints p50 / p95
//! of what a user waits for:
//!
//! - the palette: a key press to its results drawn;
//! - Alt+1…7: the shortcut to the screen drawn with its data;
//! - opening a client with many records, and a typical one, from the list;
//! - frame times while the client list scrolls;
//! - Esc from a client opened after that scroll, back to the list as far as
//!   it was read.
//!
//! The times come from the page itself (`ui/src/perf.ts`: from the input
//! event to the paint after the last command the action caused answered);
//! frame times are `requestAnimationFrame` deltas. Nothing here asserts a
//! time: the figures go to stdout, to `BIDWELL_E2E_BENCH_OUT` as JSON, and
//! by hand into docs/performance.md. Runs only with `BIDWELL_E2E_BENCH=1`
//! and `BIDWELL_E2E_BENCH_DATA` (see scripts/measure-window.sh, which seeds
//! the workspaces and starts it).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bidwell_e2e::App;
use fantoccini::elements::Element;
use fantoccini::Locator;
use serde_json::{json, Value};

/// How long one action may take to be drawn before the benchmark gives up.
const ACTION: Duration = Duration::from_secs(60);
/// The client `bidwell dev seed --one-client` made; its name sorts first.
const KEY_ACCOUNT: &str = "AAA Key Account";
/// Typed into the palette one key at a time: a selective word, a broad
/// prefix, a word of many project and job titles, a city.
const PALETTE_WORDS: [&str; 4] = ["venlo", "pro", "checkout", "leeds"];
const SCREENS: [(&str, &str); 7] = [
    ("1", "dashboard"),
    ("2", "clients"),
    ("3", "projects"),
    ("4", "jobs"),
    ("5", "bids"),
    ("6", "tasks"),
    ("7", "settings"),
];
/// The scripted scroll: frames, and pixels per frame (five 48 px rows).
const SCROLL_FRAMES: u32 = 300;
const SCROLL_STEP: u32 = 240;

fn enabled() -> Option<Vec<(String, std::path::PathBuf)>> {
    if std::env::var("BIDWELL_E2E_BENCH").as_deref() != Ok("1") {
        eprintln!("skipping the window benchmark: BIDWELL_E2E_BENCH=1 is not set (scripts/measure-window.sh sets it)");
        return None;
    }
    let spec = std::env::var("BIDWELL_E2E_BENCH_DATA").expect("BIDWELL_E2E_BENCH_DATA=label=dir,label=dir");
    Some(
        spec.split(',')
            .map(|pair| {
                let (label, dir) = pair.split_once('=').expect("label=dir");
                (label.to_string(), dir.into())
            })
            .collect(),
    )
}

fn rounds() -> usize {
    std::env::var("BIDWELL_E2E_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(5)
}

/// Launches whose first visit of every screen is measured: one sample of
/// each a launch, so a few launches give the cold figures a spread.
fn cold_launches() -> usize {
    std::env::var("BIDWELL_E2E_BENCH_COLD").ok().and_then(|r| r.parse().ok()).unwrap_or(3).max(1)
}

/// One timed action: its time, the commands it waited for, and when (ms
/// after its start) the first was sent, the last answered and the frame
/// of the paint that ended it began.
#[derive(Debug, Clone)]
struct Sample {
    ms: f64,
    calls: Vec<(String, f64)>,
    first_call: Option<f64>,
    last_answer: Option<f64>,
    frame: Option<f64>,
}

/// Everything measured on one workspace: samples by measurement name, and frame times.
#[derive(Default)]
struct Figures {
    samples: BTreeMap<String, Vec<Sample>>,
    frames: Vec<f64>,
}

impl Figures {
    fn add(&mut self, name: &str, sample: Sample) {
        self.samples.entry(name.to_string()).or_default().push(sample);
    }
}

async fn run(app: &App, script: &str, args: Vec<Value>) -> Value {
    match tokio::time::timeout(Duration::from_secs(60), app.client().execute(script, args)).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("script failed: {e}\n{script}"),
        Err(_) => panic!("script took over a minute: {script}"),
    }
}

async fn element(app: &App, css: &str) -> Element {
    let found = app.client().wait().at_most(ACTION).for_element(Locator::Css(css)).await;
    found.unwrap_or_else(|e| panic!("no element {css}: {e}"))
}

/// Forgets earlier measures, so the next one read is the next action's.
async fn clear(app: &App) {
    run(app, "performance.clearMeasures();", vec![]).await;
}

/// Waits for the page's measure `bidwell:<action>`, then reads it and the commands it waited for.
async fn measured(app: &App, action: &str) -> Sample {
    let script = "const name = 'bidwell:' + arguments[0]; \
        const m = performance.getEntriesByName(name, 'measure')[0]; \
        if (!m) return null; \
        const calls = performance.getEntriesByName('bidwell:call', 'measure') \
            .map((c) => [c.detail.command, c.duration]); \
        return { ms: m.duration, calls, firstCall: m.detail.firstCall, lastAnswer: m.detail.lastAnswer, \
            frame: m.detail.frame };";
    let deadline = Instant::now() + ACTION;
    loop {
        let v = run(app, script, vec![json!(action)]).await;
        if !v.is_null() {
            let calls = v["calls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c[0].as_str().unwrap_or("?").to_string(), c[1].as_f64().unwrap_or(0.0)))
                .collect();
            return Sample {
                ms: v["ms"].as_f64().unwrap(),
                calls,
                first_call: v["firstCall"].as_f64(),
                last_answer: v["lastAnswer"].as_f64(),
                frame: v["frame"].as_f64(),
            };
        }
        if Instant::now() >= deadline {
            let shot = app.screenshot(&format!("bench-stuck-{}", action.replace(':', "-"))).await;
            panic!("{action} was not drawn within {ACTION:?} (screen: {})", shot.display());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn press_keys(app: &App, keys: &str) {
    let body = element(app, "body").await;
    body.send_keys(keys).await.unwrap_or_else(|e| panic!("pressing {keys:?}: {e}"));
}

/// Alt+`key`, timed until the screen is drawn with its data.
async fn screen(app: &App, key: &str, name: &str) -> Sample {
    clear(app).await;
    press_keys(app, &format!("\u{E00A}{key}\u{E000}")).await;
    measured(app, &format!("screen:{name}")).await
}

async fn unlock(app: &App, passphrase: &str) {
    app.find_text("Locked.").await;
    element(app, "#field-passphrase").await.send_keys(passphrase).await.unwrap();
    let unlock = Locator::XPath("//button[normalize-space(.)='Unlock']");
    app.client().find(unlock).await.unwrap().click().await.unwrap();
    element(app, "[role=listbox] [role=option]").await;
}

/// Each key of each word typed into a freshly opened palette, one at a time.
async fn palette(app: &App, figures: &mut Figures) {
    for word in PALETTE_WORDS {
        press_keys(app, "\u{E009}k\u{E000}").await;
        let input = element(app, "input[aria-label='Search everything or type a command']").await;
        for (at, key) in word.char_indices() {
            clear(app).await;
            input.send_keys(&key.to_string()).await.unwrap();
            let sample = measured(app, "palette").await;
            let name = if at == 0 { "palette, first key" } else { "palette, next keys" };
            figures.add(name, sample.clone());
            figures.add(&format!("palette '{}'", &word[..at + key.len_utf8()]), sample);
        }
        press_keys(app, "\u{E00C}").await;
        app.client()
            .wait()
            .at_most(ACTION)
            .for_element(Locator::Css(".frame:not(:has(.overlay))"))
            .await
            .expect("the palette closes on Escape");
    }
}

/// Opens the client in row `row` of the list (sorted by name) and times it
/// until its page and sections are drawn, then goes back to the list.
async fn open_client(app: &App, row: usize, expect: Option<&str>) -> Sample {
    let rows = app.client().find_all(Locator::Css("[role=listbox] [role=option]")).await.unwrap();
    let target = rows.get(row).unwrap_or_else(|| panic!("no row {row} in the client list"));
    let label = target.attr("aria-label").await.unwrap().unwrap_or_default();
    if let Some(name) = expect {
        assert!(label.starts_with(name), "row {row} is {label:?}, not {name} (seeded with --one-client?)");
    }
    clear(app).await;
    target.click().await.unwrap();
    let sample = measured(app, "client").await;
    screen(app, "2", "clients").await;
    sample
}

/// Scrolls the client list from the top, `SCROLL_STEP` px a frame for
/// `SCROLL_FRAMES` frames (turning at the end of a fully loaded list,
/// waiting at the end of what is loaded otherwise); returns the frame times.
async fn scroll(app: &App) -> Vec<f64> {
    let script = "const [frames, step, done] = arguments; \
        const list = document.querySelector('[role=listbox]'); \
        const times = []; let last = null; let dir = 1; let n = 0; \
        function frame(t) { \
            if (last !== null) times.push(t - last); \
            last = t; \
            if (n++ >= frames) { done({ times, loaded: Number(list.dataset.loadedCount) }); return; } \
            const max = list.scrollHeight - list.clientHeight; \
            let next = list.scrollTop + dir * step; \
            if (next >= max) { next = max; if (list.dataset.done === 'true') dir = -1; } \
            else if (next <= 0) { next = 0; dir = 1; } \
            list.scrollTop = next; \
            requestAnimationFrame(frame); \
        } \
        requestAnimationFrame(frame);";
    let call = app.client().execute_async(script, vec![json!(SCROLL_FRAMES), json!(SCROLL_STEP)]);
    let v = match tokio::time::timeout(Duration::from_secs(60), call).await {
        Ok(Ok(v)) => v,
        other => panic!("the scripted scroll failed: {other:?}"),
    };
    eprintln!("  scrolled; {} clients loaded", v["loaded"]);
    v["times"].as_array().unwrap().iter().filter_map(Value::as_f64).collect()
}

/// Opens a client the scroll left in view and presses Esc: timed until
/// the list is back, every row it had read read again and the client's
/// row chosen.
async fn back_to_the_scrolled_list(app: &App) -> Sample {
    let list = element(app, "[role=listbox]").await;
    let loaded = list.attr("data-loaded-count").await.unwrap().unwrap_or_default();
    let rows = app.client().find_all(Locator::Css("[role=listbox] [role=option]")).await.unwrap();
    let target = &rows[rows.len() / 2];
    let label = target.attr("aria-label").await.unwrap().unwrap_or_default();
    clear(app).await;
    target.click().await.unwrap();
    measured(app, "client").await;
    clear(app).await;
    press_keys(app, "\u{E00C}").await;
    let sample = measured(app, "back").await;
    let back =
        element(app, &format!("[role=listbox][data-loaded-count='{loaded}'] [role=option][aria-selected=true]")).await;
    assert_eq!(back.attr("aria-label").await.unwrap().unwrap_or_default(), label, "Esc came back to another row");
    sample
}

/// The first visit of every screen after an unlock, kept apart from the
/// rest: caches (the core's pages, the script's compiled code, the
/// window's styles and glyphs) are cold then.
async fn first_visits(app: &App, figures: &mut Figures) {
    for (key, name) in SCREENS {
        let sample = screen(app, key, name).await;
        figures.add(&format!("first visit, {name}"), sample);
    }
}

async fn measure(label: &str, data: &std::path::Path, passphrase: &str) -> Figures {
    let rounds = rounds();
    let mut figures = Figures::default();
    for launch in 1..cold_launches() {
        let app = App::launch(data).await;
        unlock(&app, passphrase).await;
        first_visits(&app, &mut figures).await;
        app.close().await;
        eprintln!("== {label}: launch {launch}, first visits measured");
    }
    let app = App::launch(data).await;
    unlock(&app, passphrase).await;
    eprintln!("== {label}: unlocked; {rounds} rounds");
    first_visits(&app, &mut figures).await;
    for round in 0..rounds {
        for (key, name) in SCREENS {
            let sample = screen(&app, key, name).await;
            figures.add(&format!("Alt+{key} {name}"), sample.clone());
            figures.add("Alt+N, any screen", sample);
        }
        screen(&app, "2", "clients").await;
        let sample = open_client(&app, 0, Some(KEY_ACCOUNT)).await;
        figures.add("open client, many records", sample);
        let sample = open_client(&app, 1, None).await;
        figures.add("open client, typical", sample);
        palette(&app, &mut figures).await;
        // A fresh list each time: the scroll fetches its pages as it goes.
        screen(&app, "1", "dashboard").await;
        screen(&app, "2", "clients").await;
        figures.frames.extend(scroll(&app).await);
        let sample = back_to_the_scrolled_list(&app).await;
        figures.add("Esc back to the scrolled client list", sample);
        eprintln!("  round {} of {rounds} done", round + 1);
    }
    app.screenshot(&format!("bench-{label}-end")).await;
    // sqlx warns of statements over a second: which query, and how long.
    for line in app.app_log().unwrap_or_default().lines().filter(|l| l.contains("slow statement")) {
        eprintln!("  app log: {}", line.chars().take(600).collect::<String>());
    }
    app.close().await;
    figures
}

/// Nearest-rank percentile of sorted values.
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// The slowest commands of a measurement, by their p50.
fn slowest_calls(samples: &[Sample]) -> String {
    let mut by: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for s in samples {
        for (c, ms) in &s.calls {
            by.entry(c).or_default().push(*ms);
        }
    }
    let mut rows: Vec<(String, f64, usize)> = by
        .into_iter()
        .map(|(c, v)| {
            let n = v.len();
            (c.to_string(), pct(&sorted(v.into_iter()), 50.0), n)
        })
        .collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let per = samples.len().max(1);
    let total: usize = samples.iter().map(|s| s.calls.len()).sum();
    let top: Vec<String> =
        rows.iter().take(3).map(|(c, ms, n)| format!("{c} {ms:.0} ms ×{:.1}", *n as f64 / per as f64)).collect();
    format!("{:.1} calls: {}", total as f64 / per as f64, top.join(", "))
}

/// Where an action's time went, p50 of each part: the window before its
/// first command; the commands (first sent to last answered); after the
/// last answer, the script's work until the frame of the final paint, and
/// that frame's style, layout and paint.
fn phases(samples: &[Sample]) -> Value {
    let with: Vec<&Sample> =
        samples.iter().filter(|s| s.first_call.is_some() && s.last_answer.is_some() && s.frame.is_some()).collect();
    let p50 = |f: &dyn Fn(&Sample) -> f64| pct(&sorted(with.iter().map(|s| f(s))), 50.0);
    json!({
        "before_first_call": p50(&|s| s.first_call.unwrap()),
        "commands": p50(&|s| s.last_answer.unwrap() - s.first_call.unwrap()),
        "script_after_last_answer": p50(&|s| s.frame.unwrap() - s.last_answer.unwrap()),
        "last_frame": p50(&|s| s.ms - s.frame.unwrap()),
    })
}

/// Each sample in the order taken, split as `phases` splits the p50s: a
/// slow one (a run's p95 of five launches is its slowest) tells which part
/// made it slow.
fn each_split(samples: &[Sample]) -> Value {
    let between = |from: Option<f64>, to: Option<f64>| from.zip(to).map(|(from, to)| to - from);
    samples
        .iter()
        .map(|s| {
            json!({
                "ms": s.ms,
                "before_first_call": s.first_call,
                "commands": between(s.first_call, s.last_answer),
                "script_after_last_answer": between(s.last_answer, s.frame),
                "last_frame": s.frame.map(|frame| s.ms - frame),
            })
        })
        .collect()
}

fn phases_text(samples: &[Sample]) -> String {
    let p = phases(samples);
    let ms = |k: &str| p[k].as_f64().map_or("-".to_string(), |v| format!("{v:.0}"));
    format!(
        "window {} ms, commands {} ms, script {} ms, last frame {} ms",
        ms("before_first_call"),
        ms("commands"),
        ms("script_after_last_answer"),
        ms("last_frame")
    )
}

fn frame_stats(frames: &[f64]) -> Value {
    let s = sorted(frames.iter().copied());
    json!({
        "frames": s.len(),
        "p50": pct(&s, 50.0),
        "p95": pct(&s, 95.0),
        "max": s.last().copied().unwrap_or(f64::NAN),
        "over_17ms": s.iter().filter(|&&t| t > 17.0).count(),
        "over_34ms": s.iter().filter(|&&t| t > 34.0).count(),
    })
}

#[tokio::test]
async fn the_window_at_a_million() {
    let Some(workspaces) = enabled() else { return };
    let passphrase = std::env::var("BIDWELL_PASSPHRASE").expect("BIDWELL_PASSPHRASE");
    let mut all: Vec<(String, Figures)> = Vec::new();
    for (label, dir) in &workspaces {
        all.push((label.clone(), measure(label, dir, &passphrase).await));
    }

    // The table: p50 / p95 per measurement and workspace, and each p50 as a multiple of the baseline's.
    let names: Vec<String> = all[0].1.samples.keys().cloned().collect();
    let mut out = json!({});
    println!();
    print!("{:<34}", "measurement (ms)");
    for (label, _) in &all {
        print!(" {:>19}", format!("{label} p50 / p95"));
    }
    println!("  {:>7}", "p50 ×");
    for name in &names {
        print!("{name:<34}");
        let mut base = f64::NAN;
        let mut last = f64::NAN;
        for (i, (label, figures)) in all.iter().enumerate() {
            let samples = figures.samples.get(name).map(Vec::as_slice).unwrap_or(&[]);
            let s = sorted(samples.iter().map(|s| s.ms));
            let (p50, p95) = (pct(&s, 50.0), pct(&s, 95.0));
            print!(" {:>19}", format!("{p50:.1} / {p95:.1}"));
            if i == 0 {
                base = p50;
            }
            last = p50;
            out[label][name] = json!({
                "n": s.len(), "p50": p50, "p95": p95, "max": s.last(), "samples": s,
                "calls": slowest_calls(samples),
                "phases": phases(samples),
                "each": each_split(samples),
            });
        }
        println!("  {:>7.2}", last / base);
    }
    println!("\nscroll frames (ms): p50 / p95 / max, frames over 17 and 34 ms");
    // ROUNDS=0 measures the first visits only: nothing was scrolled.
    for (label, figures) in all.iter().filter(|(_, figures)| !figures.frames.is_empty()) {
        let f = frame_stats(&figures.frames);
        println!(
            "  {label}: {:.1} / {:.1} / {:.1}, {} and {} of {}",
            f["p50"].as_f64().unwrap(),
            f["p95"].as_f64().unwrap(),
            f["max"].as_f64().unwrap(),
            f["over_17ms"],
            f["over_34ms"],
            f["frames"]
        );
        out[label]["scroll frames"] = f;
    }
    println!("\nslowest commands per measurement (p50, calls per action), largest workspace:");
    let (label, figures) = all.last().unwrap();
    for (name, samples) in &figures.samples {
        println!("  {label} {name}: {}", slowest_calls(samples));
    }
    println!(
        "\nwhere the time went (p50 of each part: before the first command, the commands, \
         the script after the last answer, the final frame's layout and paint):"
    );
    for (label, figures) in &all {
        for (name, samples) in &figures.samples {
            println!("  {label} {name}: {}", phases_text(samples));
        }
    }
    if let Some(path) = std::env::var_os("BIDWELL_E2E_BENCH_OUT") {
        std::fs::write(&path, serde_json::to_string_pretty(&out).unwrap()).expect("writing the figures");
    }
}
