//! [`MarketKind`]: which wire format an account speaks, and what follows
//! from it alone: the adapter that talks to it ([`MarketKind::connect`]),
//! what that adapter can do ([`MarketKind::capabilities`]), and where the
//! public service and its sign-in live by default. Everything else (the
//! engine, the UI) decides from [`Capabilities`], never from the kind.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{
    ApiToken, Capabilities, FreelancerMarketplace, HttpMarketplace, HttpOptions, MarketError, Marketplace,
    UpworkMarketplace,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum MarketKind {
    /// Bidwell's own API (docs/marketplace-openapi.yaml): the reference
    /// server, the demo, or anyone's Bidwell-compatible server.
    Bidwell,
    /// Freelancer.com's REST API 0.1.
    Freelancer,
    /// Upwork's GraphQL API (read-only for proposals: bids are recorded).
    Upwork,
}

/// Where a marketplace's public service signs users in (OAuth 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInDefaults {
    pub authorize_url: &'static str,
    pub token_url: &'static str,
    pub revoke_url: Option<&'static str>,
}

impl MarketKind {
    pub const ALL: [MarketKind; 3] = [MarketKind::Bidwell, MarketKind::Freelancer, MarketKind::Upwork];

    /// The stored and typed name (`bidwell`, `freelancer`).
    pub fn as_str(self) -> &'static str {
        match self {
            MarketKind::Bidwell => "bidwell",
            MarketKind::Freelancer => "freelancer",
            MarketKind::Upwork => "upwork",
        }
    }

    pub fn parse(name: &str) -> Option<MarketKind> {
        MarketKind::ALL.into_iter().find(|kind| kind.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// What the adapter for this kind can do. The same value its
    /// `Marketplace::capabilities` gives, known without connecting.
    pub fn capabilities(self) -> Capabilities {
        match self {
            MarketKind::Bidwell => Capabilities::FULL,
            MarketKind::Freelancer => crate::freelancer::CAPABILITIES,
            MarketKind::Upwork => crate::upwork::CAPABILITIES,
        }
    }

    /// The public service's API base, where there is one to default to.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            MarketKind::Bidwell => None,
            MarketKind::Freelancer => Some(crate::FREELANCER_API),
            MarketKind::Upwork => Some(crate::UPWORK_API),
        }
    }

    /// The public service's sign-in endpoints (from its developer
    /// documentation; see docs/adapters.md). A Bidwell-compatible server
    /// has none by default: whoever runs it says where.
    pub fn sign_in_defaults(self) -> Option<SignInDefaults> {
        match self {
            MarketKind::Bidwell => None,
            MarketKind::Freelancer => Some(SignInDefaults {
                authorize_url: "https://accounts.freelancer.com/oauth/authorize",
                token_url: "https://accounts.freelancer.com/oauth/token",
                revoke_url: None,
            }),
            MarketKind::Upwork => Some(SignInDefaults {
                authorize_url: "https://www.upwork.com/ab/account-security/oauth2/authorize",
                token_url: "https://www.upwork.com/api/v3/oauth2/token",
                revoke_url: None,
            }),
        }
    }

    /// The adapter for an account of this kind.
    pub fn connect(
        self,
        base_url: &str,
        token: ApiToken,
        options: HttpOptions,
    ) -> Result<Arc<dyn Marketplace>, MarketError> {
        Ok(match self {
            MarketKind::Bidwell => Arc::new(HttpMarketplace::new(base_url, token, options)?),
            MarketKind::Freelancer => Arc::new(FreelancerMarketplace::new(base_url, token, options)?),
            MarketKind::Upwork => Arc::new(UpworkMarketplace::new(base_url, token, options)?),
        })
    }
}

impl TryFrom<String> for MarketKind {
    type Error = String;

    fn try_from(name: String) -> Result<MarketKind, String> {
        MarketKind::parse(&name).ok_or_else(|| format!("unknown marketplace kind {name:?}"))
    }
}

impl std::fmt::Display for MarketKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_says_what_its_adapter_says() {
        for kind in MarketKind::ALL {
            assert_eq!(MarketKind::parse(kind.as_str()), Some(kind));
            let base = "http://127.0.0.1:9/";
            let market = kind.connect(base, ApiToken::new("t".to_owned()), HttpOptions::default()).unwrap();
            assert_eq!(market.capabilities(), kind.capabilities(), "{kind}");
        }
        assert_eq!(MarketKind::parse("fiverr"), None);
    }
}
