//! `bidwell-market-sim serve`: a reference marketplace as a process, for
//! demos and for tests that need it outside their own process. `--kind`
//! picks Bidwell's own API (the default), the Freelancer-style REST 0.1
//! API or the Upwork-style GraphQL API, the last two with their loopback
//! OAuth server. The first line on stdout is the base
//! URL it listens on (useful with `--port 0`).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use bidwell_market_sim::freelancer::{FreelancerConfig, FreelancerSim};
use bidwell_market_sim::oauth::{OAuthClient, OAuthConfig};
use bidwell_market_sim::upwork::{UpworkConfig, UpworkSim};
use bidwell_market_sim::{SimConfig, SimServer};

#[derive(Parser)]
#[command(name = "bidwell-market-sim", version, about = "Bidwell's reference marketplace server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which wire format to serve.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// Bidwell's own marketplace API (docs/marketplace-openapi.yaml) under /v1/.
    Bidwell,
    /// Freelancer.com's REST 0.1 format under /api/ (header Freelancer-OAuth-V1),
    /// with a loopback OAuth 2.0 server (PKCE S256) under /oauth/authorize,
    /// /oauth/token and /oauth/revoke. --token is then a personal token that
    /// always works; --client-id names the one registered (public) client.
    Freelancer,
    /// Upwork's GraphQL format at POST /graphql (header Authorization: Bearer),
    /// 10 requests per second per client address, with the same OAuth server
    /// under /oauth/. --token is then a personal token that always works.
    Upwork,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a reference marketplace on 127.0.0.1 until stopped (Ctrl-C or SIGTERM).
    ///
    /// Freelancer-style example: `bidwell-market-sim serve --kind freelancer --token t`,
    /// then `curl -H 'Freelancer-OAuth-V1: t' <url>/api/projects/0.1/projects/active/?limit=5`.
    /// See docs/reference-marketplaces.md.
    Serve {
        /// Which API to serve.
        #[arg(long, value_enum, default_value_t = Kind::Bidwell)]
        kind: Kind,
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The one API token accepted (freelancer: a personal token, besides OAuth-issued ones).
        #[arg(long, env = "BIDWELL_SIM_TOKEN", hide_env_values = true)]
        token: String,
        /// Freelancer and Upwork: the OAuth client id that may authorize (a public client, PKCE only).
        #[arg(long, default_value = "bidwell-desktop")]
        client_id: String,
        /// Seeds the sample data and the fault schedule.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Sample jobs (freelancer: projects; upwork: postings) to start with.
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
        /// Keep the marketplace's state in this file between runs (written after every change;
        /// plain JSON, each kind its own format). OAuth tokens are not kept.
        #[arg(long)]
        state_file: Option<std::path::PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let Command::Serve { kind, port, token, client_id, seed, jobs, fault_rate, hang_ms, no_record, state_file } =
        Cli::parse().command;
    if !(0.0..=1.0).contains(&fault_rate) {
        eprintln!("error: --fault-rate must be between 0.0 and 1.0");
        return ExitCode::from(2);
    }
    if token.trim().is_empty() {
        eprintln!("error: --token must not be empty");
        return ExitCode::from(2);
    }
    let oauth = OAuthConfig {
        clients: vec![OAuthClient { client_id: client_id.clone(), client_secret: None }],
        personal_tokens: vec![token.clone()],
        ..OAuthConfig::default()
    };
    if kind == Kind::Upwork {
        let config = UpworkConfig {
            seed,
            postings: jobs,
            oauth,
            fault_rate,
            hang: Duration::from_millis(hang_ms),
            record_requests: !no_record,
            port,
            state_file,
            ..UpworkConfig::default()
        };
        let server = match UpworkSim::start(config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("error: cannot start on 127.0.0.1:{port}: {e}");
                return ExitCode::FAILURE;
            }
        };
        return serve_until_stopped(server.base_url(), || server.stop()).await;
    }
    if kind == Kind::Freelancer {
        let config = FreelancerConfig {
            seed,
            projects: jobs,
            oauth,
            fault_rate,
            hang: Duration::from_millis(hang_ms),
            record_requests: !no_record,
            port,
            state_file,
            ..FreelancerConfig::default()
        };
        let server = match FreelancerSim::start(config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("error: cannot start on 127.0.0.1:{port}: {e}");
                return ExitCode::FAILURE;
            }
        };
        return serve_until_stopped(server.base_url(), || server.stop()).await;
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
    serve_until_stopped(server.base_url(), || server.stop()).await
}

/// Prints the base URL first, then serves until a stop signal.
async fn serve_until_stopped(base_url: String, stop: impl FnOnce()) -> ExitCode {
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{base_url}").and_then(|()| stdout.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    stopped().await;
    stop();
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
