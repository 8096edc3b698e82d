//! `bidwell-market-sim serve`: the reference marketplace as a process, for
//! demos and for tests that need it outside their own process. The first
//! line on stdout is the base URL it listens on (useful with `--port 0`).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use bidwell_market_sim::{SimConfig, SimServer};

#[derive(Parser)]
#[command(name = "bidwell-market-sim", version, about = "Bidwell's reference marketplace server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the marketplace API on 127.0.0.1 until stopped (Ctrl-C or SIGTERM).
    Serve {
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The one API token accepted.
        #[arg(long, env = "BIDWELL_SIM_TOKEN", hide_env_values = true)]
        token: String,
        /// Seeds the sample data and the fault schedule.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Sample jobs to start with.
        #[arg(long, default_value_t = 200)]
        jobs: usize,
        /// Fraction of requests (0.0 to 1.0) that fail on purpose.
        #[arg(long, default_value_t = 0.0)]
        fault_rate: f64,
        /// How long an injected hang lasts, in milliseconds.
        #[arg(long, default_value_t = 2000)]
        hang_ms: u64,
        /// Keep no log of received requests (long benchmark runs).
        #[arg(long)]
        no_record: bool,
        /// Keep the marketplace's state in this file between runs (written after every change).
        #[arg(long)]
        state_file: Option<std::path::PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let Command::Serve { port, token, seed, jobs, fault_rate, hang_ms, no_record, state_file } = Cli::parse().command;
    if !(0.0..=1.0).contains(&fault_rate) {
        eprintln!("error: --fault-rate must be between 0.0 and 1.0");
        return ExitCode::from(2);
    }
    if token.trim().is_empty() {
        eprintln!("error: --token must not be empty");
        return ExitCode::from(2);
    }
    let config = SimConfig {
        token,
        seed,
        jobs,
        fault_rate,
        hang: Duration::from_millis(hang_ms),
        record_requests: !no_record,
        port,
        state_file,
        ..SimConfig::default()
    };
    let server = match SimServer::start(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot start on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{}", server.base_url()).and_then(|()| stdout.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    stopped().await;
    server.stop();
    ExitCode::SUCCESS
}

async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
