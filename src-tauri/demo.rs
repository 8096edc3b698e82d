//! The demo marketplace's host: runs `bidwell-market-sim` inside this process
//! on 127.0.0.1 when the core asks (`bidwell_core::sync::DemoMarketHost`).
//! The core decides when and with what seed, token, state file and the
//! cipher that seals that file (its key stays inside the workspace).

use std::sync::{Arc, Mutex};

use bidwell_core::sync::{DemoMarketHost, DemoMarketSpec, DemoStateCipher};
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

#[derive(Default)]
pub struct DemoMarket(Mutex<Option<SimServer>>);

#[async_trait::async_trait]
impl DemoMarketHost for DemoMarket {
    async fn start(&self, spec: DemoMarketSpec) -> std::io::Result<String> {
        self.stop();
        let config = SimConfig {
            token: spec.token.expose_secret().to_owned(),
            seed: spec.seed,
            jobs: spec.jobs,
            state_file: Some(spec.state_file),
            state_seal: Some(Arc::new(Sealed(spec.state_cipher))),
            shortlist_after: Some(spec.shortlist_after),
            // Nobody reads them here; kept, they would only grow.
            record_requests: false,
            ..SimConfig::default()
        };
        let server = SimServer::start(config).await?;
        let url = server.base_url();
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(server);
        Ok(url)
    }

    fn stop(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}
