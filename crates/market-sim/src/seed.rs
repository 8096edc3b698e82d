//! Realistic sample jobs and employers, the same for the same seed on every
//! platform (ChaCha8). Times count from a fixed date, not the wall clock, so
//! a seed always gives the same data.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use bidwell_marketplace::wire::*;

pub(crate) fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// About one employer per four jobs, at least one.
pub(crate) fn employer_count(jobs: usize) -> usize {
    (jobs / 4).clamp(1, 5_000)
}

fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().expect("a valid date")
}

const FIRST: &[&str] = &[
    "Amara", "Ben", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kavya", "Luca", "Maya",
    "Nikolai", "Olga", "Priya", "Rafael", "Sofia", "Tomas", "Uma", "Wei", "Yusuf", "Zara",
];
const LAST: &[&str] = &[
    "Adeyemi", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova", "Jensen", "Kim",
    "Lopez", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Singh", "Tanaka", "Novak", "Walsh", "Yilmaz",
];
const COMPANY_WORDS: &[&str] = &[
    "Northwind",
    "Bluefin",
    "Copperleaf",
    "Brightline",
    "Harbor",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Oakridge",
    "Pinecrest",
    "Quarry",
    "Redwood",
    "Silverlake",
    "Tidewater",
    "Upland",
    "Westgate",
];
const COMPANY_KINDS: &[&str] = &["Labs", "Studio", "Logistics", "Health", "Retail", "Media", "Analytics", "Foods"];
const COUNTRIES: &[&str] = &["US", "GB", "DE", "CA", "AU", "IN", "NL", "FR", "SG", "AE", "BR", "PH", "ZA", "SE"];

/// (what is built, skills it needs)
const WORK: &[(&str, &[&str])] = &[
    ("a Shopify storefront", &["shopify", "liquid", "css", "javascript"]),
    ("a React dashboard", &["react", "typescript", "css", "rest-api"]),
    ("a REST API in Rust", &["rust", "postgresql", "rest-api", "docker"]),
    ("a Django back end", &["python", "django", "postgresql", "aws"]),
    ("an iOS app", &["swift", "ios", "firebase", "ui-design"]),
    ("an Android app", &["kotlin", "android", "firebase", "rest-api"]),
    ("a WordPress site", &["wordpress", "php", "css", "seo"]),
    ("a data pipeline", &["python", "airflow", "sql", "aws"]),
    ("a logo and brand kit", &["logo-design", "illustrator", "branding"]),
    ("product descriptions", &["copywriting", "seo", "ecommerce"]),
    ("a customer support inbox", &["customer-support", "zendesk", "english"]),
    ("a lead list", &["data-entry", "lead-generation", "excel"]),
    ("a Figma prototype", &["figma", "ui-design", "ux-research"]),
    ("a scraper", &["python", "web-scraping", "sql"]),
    ("a Tauri desktop app", &["rust", "tauri", "typescript", "sqlite"]),
    ("a bookkeeping cleanup", &["bookkeeping", "quickbooks", "excel"]),
];
const VERBS: &[&str] = &["Build", "Fix", "Redesign", "Extend", "Maintain", "Migrate", "Audit", "Finish"];
const CONTEXTS: &[&str] = &[
    "for a growing online store",
    "for our logistics team",
    "before a product launch",
    "for a non-profit",
    "for a small clinic",
    "with an existing codebase",
    "from a detailed spec",
    "for a B2B startup",
];
const DETAILS: &[&str] = &[
    "We have designs ready and need someone who communicates daily.",
    "Please share two similar projects you delivered.",
    "Timezone overlap with Europe is a plus.",
    "The current version is slow and hard to change.",
    "Milestones will follow the plan we agree on in the first call.",
    "Long-term work is likely for the right person.",
    "Tests and short written handover notes are expected.",
    "Budget is flexible for strong proposals.",
];

/// (currency, multiplier applied to USD-like amounts)
const CURRENCIES: &[(&str, i64)] = &[("USD", 1), ("USD", 1), ("USD", 1), ("EUR", 1), ("GBP", 1), ("INR", 80)];

pub(crate) fn employers(rng: &mut ChaCha8Rng, n: usize) -> Vec<Employer> {
    (1..=n)
        .map(|number| {
            let display_name = if rng.gen_bool(0.5) {
                format!("{} {}.", pick(rng, FIRST), &pick(rng, LAST)[..1])
            } else {
                format!("{} {}", pick(rng, COMPANY_WORDS), pick(rng, COMPANY_KINDS))
            };
            let jobs_posted = rng.gen_range(0..120);
            let reviews_count = if jobs_posted == 0 { 0 } else { rng.gen_range(0..=jobs_posted) };
            Employer {
                id: format!("emp_{number:05}"),
                display_name,
                country: pick(rng, COUNTRIES).to_owned(),
                member_since: epoch() - Duration::days(rng.gen_range(30..3_650)),
                payment_verified: rng.gen_bool(0.8),
                jobs_posted,
                total_spent: Money {
                    amount_minor: i64::from(jobs_posted) * rng.gen_range(5_000..200_000),
                    currency: "USD".to_owned(),
                },
                rating: (reviews_count > 0).then(|| f64::from(rng.gen_range(30..=50u8)) / 10.0),
                reviews_count,
            }
        })
        .collect()
}

pub(crate) fn job(rng: &mut ChaCha8Rng, number: u64, employer_ids: &[String]) -> Job {
    let (thing, skill_pool) = WORK[rng.gen_range(0..WORK.len())];
    let mut skills: Vec<String> = skill_pool.iter().map(|s| (*s).to_owned()).collect();
    skills.shuffle(rng);
    skills.truncate(rng.gen_range(2..=skill_pool.len()));
    let title = format!("{} {} {}", pick(rng, VERBS), thing, pick(rng, CONTEXTS));
    let mut details: Vec<&str> = DETAILS.to_vec();
    details.shuffle(rng);
    let description = format!("We need {thing} {}. {} {}", pick(rng, CONTEXTS), details[0], details[1]);
    let (currency, scale) = CURRENCIES[rng.gen_range(0..CURRENCIES.len())];
    let budget = if rng.gen_bool(0.7) {
        let min = rng.gen_range(5..500) * 10_000 * scale;
        let max = rng.gen_bool(0.8).then(|| min * rng.gen_range(15..=30) / 10);
        Budget { kind: BudgetType::Fixed, min_minor: min, max_minor: max, currency: currency.to_owned() }
    } else {
        let min = rng.gen_range(15..80) * 100 * scale;
        let max = rng.gen_bool(0.8).then(|| min + rng.gen_range(5..40) * 100 * scale);
        Budget { kind: BudgetType::Hourly, min_minor: min, max_minor: max, currency: currency.to_owned() }
    };
    let posted_at = epoch() + Duration::minutes(i64::try_from(number).unwrap_or(i64::MAX / 120) * 7);
    Job {
        id: format!("job_{number:06}"),
        title,
        description,
        budget,
        skills,
        client_id: employer_ids[rng.gen_range(0..employer_ids.len())].clone(),
        posted_at,
        status: if rng.gen_bool(0.9) { JobStatus::Open } else { JobStatus::Closed },
        updated_at: posted_at,
        url: None,
    }
}

fn pick<'a>(rng: &mut ChaCha8Rng, from: &[&'a str]) -> &'a str {
    from[rng.gen_range(0..from.len())]
}
