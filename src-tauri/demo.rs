//! The demo marketplace's host: runs `bidwell-market-sim` inside this process
//! on 127.0.0.1 when the core asks (`bidwell_core::sync::DemoMarketHost`),
//! speaking the wire format of the demo account's kind (Bidwell's own,
//! Freelancer-style or Upwork-style). The core decides when and with what
//! kind, seed, token, state file and the cipher that seals that file (its
//! key stays inside the workspace).

use std::sync::{Arc, Mutex};

use bidwell_core::sync::{DemoMarketHost, DemoMarketSpec, DemoStateCipher, MarketKind};
use bidwell_market_sim::freelancer::{FreelancerConfig, FreelancerSim};
use bidwell_market_sim::oauth::OAuthConfig;
use bidwell_market_sim::upwork::{UpworkConfig, UpworkSim};
use bidwell_market_sim::{SimConfig, SimServer, StateSeal};

/// The core's cipher, as the server's seal.
#[derive(Debug)]
struct Sealed(DemoStateCipher);

impl StateSeal for Sealed {
    fn seal(&self, plain: &[u8]) -> std::io::Result<Vec<u8>> {
        self.0.seal(plain)
    }
    fn open(&self, sealed: &[u8]) -> std::io::Result<Vec<u8>> {
        self.0.open(sealed)
    }
}

/// A running demo server of whichever kind, held only so that it keeps
/// running: dropping it stops it.
type Running = Box<dyn std::any::Any + Send>;

#[derive(Default)]
pub struct DemoMarket(Mutex<Option<Running>>);

/// The demo's own token only; no app may sign in to it (its authorization
/// server approves without asking anyone, so no client is registered).
fn demo_oauth(token: String) -> OAuthConfig {
    OAuthConfig { personal_tokens: vec![token], clients: Vec::new(), ..OAuthConfig::default() }
}

#[async_trait::async_trait]
impl DemoMarketHost for DemoMarket {
    async fn start(&self, spec: DemoMarketSpec) -> std::io::Result<String> {
        self.stop();
        let token = spec.token.expose_secret().to_owned();
        let seal: Arc<dyn StateSeal> = Arc::new(Sealed(spec.state_cipher));
        // Each kind's adapter takes its own base: Freelancer's API under
        // /api/, Upwork's /graphql beside the root.
        let (running, url) = match spec.kind {
            MarketKind::Bidwell => {
                let server = SimServer::start(SimConfig {
                    token,
                    seed: spec.seed,
                    jobs: spec.jobs,
                    state_file: Some(spec.state_file),
                    state_seal: Some(seal),
                    shortlist_after: Some(spec.shortlist_after),
                    // Nobody reads them here; kept, they would only grow.
                    record_requests: false,
                    ..SimConfig::default()
                })
                .await?;
                let url = server.base_url();
                (Box::new(server) as Running, url)
            }
            MarketKind::Freelancer => {
                let server = FreelancerSim::start(FreelancerConfig {
                    seed: spec.seed,
                    projects: spec.jobs,
                    oauth: demo_oauth(token),
                    state_file: Some(spec.state_file),
                    state_seal: Some(seal),
                    record_requests: false,
                    ..FreelancerConfig::default()
                })
                .await?;
                let url = format!("{}/api/", server.base_url());
                (Box::new(server) as Running, url)
            }
            MarketKind::Upwork => {
                let server = UpworkSim::start(UpworkConfig {
                    seed: spec.seed,
                    postings: spec.jobs,
                    oauth: demo_oauth(token),
                    state_file: Some(spec.state_file),
                    state_seal: Some(seal),
                    record_requests: false,
                    ..UpworkConfig::default()
                })
                .await?;
                let url = format!("{}/", server.base_url());
                (Box::new(server) as Running, url)
            }
        };
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(running);
        Ok(url)
    }

    fn stop(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}
