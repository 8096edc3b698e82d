//! The seed generator: a workspace full of plausible CRM data for demos,
//! manual testing and the benchmarks (`bidwell dev seed --records N --seed S`).
//!
//! It owns the mix of entities (per 100 records: 20 clients, 15 contacts,
//! 10 projects, 20 jobs, 15 bids, 5 milestones, 10 activities, 5 tasks), the
//! small word lists the text is built from (accented and CJK names included,
//! so search and sorting meet real text), and the spread of times over the
//! two years before the workspace clock's `now`.
//!
//! Determinism: the content is a function of the seed, the record count and
//! `now` only. The RNG is ChaCha8 (the same stream everywhere), and record ids
//! are UUIDv7 built from the record's time and RNG bits, so two runs with the
//! same seed and clock write the same rows, ids included (tag rows, which
//! are shared by name, get fresh ids). A later run with
//! the same seed on a real clock gets other times, so other ids: seeding the
//! same workspace twice adds a second set instead of failing on duplicates.
//!
//! Records are written `CHUNK` at a time, one transaction each, through the
//! multi-row inserts of `store::bulk`, on one connection that has a larger
//! page cache while it runs. Progress is reported after each chunk, and the
//! cancellable variant checks its flag before each (what was committed stays).

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{Connection, SqliteConnection};

use crate::domain::{
    Activity, ActivityKind, Bid, BidStatus, Client, ClientKind, Contact, EntityKind, Job, Meta, Milestone,
    MilestoneStatus, Origin, Project, ProjectStatus, RateType, Task,
};
use crate::error::Result;
use crate::id::Id;
use crate::store::bulk;
use crate::Workspace;

/// Bumped whenever the same plan would generate different content, so that
/// caches of generated data (the benchmarks keep one) are rebuilt.
pub const GENERATOR_VERSION: u32 = 2;

/// Records per transaction and per progress report. A multiple of 100, so
/// every full chunk has the exact mix.
const CHUNK: u64 = 10_000;

/// How far back the generated history goes.
const HISTORY_DAYS: i64 = 730;

/// What to generate: `records` rows in all, from `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedPlan {
    pub records: u64,
    pub seed: u64,
}

impl SeedPlan {
    /// "Try with sample data" on first run: enough to fill every screen, quick to write.
    pub fn sample() -> Self {
        SeedPlan { records: 1_500, seed: 2026 }
    }
}

/// What was written, per entity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SeedSummary {
    pub clients: u64,
    pub contacts: u64,
    pub projects: u64,
    pub jobs: u64,
    pub bids: u64,
    pub milestones: u64,
    pub activities: u64,
    pub tasks: u64,
    /// Stopped early through the cancel flag; the counts are what was committed.
    pub cancelled: bool,
}

impl SeedSummary {
    pub fn total(&self) -> u64 {
        self.clients
            + self.contacts
            + self.projects
            + self.jobs
            + self.bids
            + self.milestones
            + self.activities
            + self.tasks
    }
}

/// Generates `plan.records` records into `ws`. `progress(done, total)` is
/// called once before the first chunk and after each committed chunk.
pub async fn seed_workspace(
    ws: &Workspace,
    plan: &SeedPlan,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<SeedSummary> {
    seed_workspace_cancellable(ws, plan, progress, &AtomicBool::new(false)).await
}

/// [`seed_workspace`] that stops before the next chunk once `cancel` is set
/// (e.g. from a Ctrl-C handler), returning what was written with
/// `cancelled: true`. Committed chunks stay: they are whole and consistent.
pub async fn seed_workspace_cancellable(
    ws: &Workspace,
    plan: &SeedPlan,
    progress: &mut (dyn FnMut(u64, u64) + Send),
    cancel: &AtomicBool,
) -> Result<SeedSummary> {
    let now = ws.now();
    let mut conn = ws.pool().await.acquire().await?;
    // One connection throughout, so its page cache stays warm from chunk to chunk.
    let previous = bulk::enlarge_cache(&mut conn).await?;
    let written = write_chunks(&mut conn, plan, now, progress, cancel).await;
    bulk::restore_cache(&mut conn, previous).await;
    drop(conn);
    let summary = written?;
    // The seeded records are searchable when seeding returns.
    ws.catch_up_search_index().await?;
    Ok(summary)
}

async fn write_chunks(
    conn: &mut SqliteConnection,
    plan: &SeedPlan,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
    cancel: &AtomicBool,
) -> Result<SeedSummary> {
    let mut generator = Generator::new(plan, now);
    let mut summary = SeedSummary::default();
    progress(0, plan.records);
    let mut done = 0;
    while done < plan.records {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        let end = (done + CHUNK).min(plan.records);
        let batch = generator.chunk(done, end);
        let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
        batch.write(&mut tx, now).await?;
        tx.commit().await?;
        batch.count_into(&mut summary);
        done = end;
        progress(done, plan.records);
    }
    Ok(summary)
}

/// One new client named `name` whose contacts, projects, bids, milestones,
/// notes and tasks are the mix of `plan.records` records (hired jobs are its
/// own, the rest have no client): a long-standing client with many records,
/// for the window benchmark (`bidwell dev seed --one-client`). The client is
/// dated at the start of the history, so its records spread over all of it.
/// The plan's client slots are not filled, so fewer than `plan.records` rows
/// are written. [`seed_workspace`]'s output is unchanged by this.
pub async fn seed_one_client(
    ws: &Workspace,
    name: &str,
    plan: &SeedPlan,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<(Id, SeedSummary)> {
    let now = ws.now();
    let mut conn = ws.pool().await.acquire().await?;
    let previous = bulk::enlarge_cache(&mut conn).await?;
    let written = write_one_client(&mut conn, name, plan, now, progress).await;
    bulk::restore_cache(&mut conn, previous).await;
    drop(conn);
    let written = written?;
    // Searchable when seeding returns, like seed_workspace's records.
    ws.catch_up_search_index().await?;
    Ok(written)
}

async fn write_one_client(
    conn: &mut SqliteConnection,
    name: &str,
    plan: &SeedPlan,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<(Id, SeedSummary)> {
    let name = name.trim();
    if name.is_empty() {
        return Err(crate::error::Error::validation("name", "the client needs a name"));
    }
    let mut generator = Generator::new(plan, now);
    let mut summary = SeedSummary::default();
    // The client first, in the first sliver of the history.
    let mut head = Batch::default();
    let mut client = generator.clients(&mut head, 1, 0, 1).remove(0);
    client.name = name.to_string();
    head.clients[0].name = name.to_string();
    head.clients[0].archived_at = None;
    head.clients[0].restricted = false;
    let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
    head.write(&mut tx, now).await?;
    tx.commit().await?;
    head.count_into(&mut summary);
    progress(0, plan.records);
    let mut done = 0;
    while done < plan.records {
        let end = (done + CHUNK).min(plan.records);
        let batch = generator.chunk_for(done, end, Some(&client));
        let mut tx = conn.begin_with(crate::store::db::BEGIN_WRITE).await?;
        batch.write(&mut tx, now).await?;
        tx.commit().await?;
        batch.count_into(&mut summary);
        done = end;
        progress(done, plan.records);
    }
    Ok((client.parent.id, summary))
}

/// Each record slot's kind, in a cycle of 100 interleaved by smooth weighted
/// round robin: any prefix has close to the full mix, and the first slots
/// are a client and a job, so a tiny plan still has parents for its children.
fn slot_pattern() -> [EntityKind; 100] {
    const MIX: [(EntityKind, i64); 8] = [
        (EntityKind::Client, 20),
        (EntityKind::Job, 20),
        (EntityKind::Contact, 15),
        (EntityKind::Bid, 15),
        (EntityKind::Project, 10),
        (EntityKind::Activity, 10),
        (EntityKind::Milestone, 5),
        (EntityKind::Task, 5),
    ];
    let mut current = [0i64; 8];
    let mut out = [EntityKind::Client; 100];
    for slot in out.iter_mut() {
        for (c, (_, w)) in current.iter_mut().zip(MIX) {
            *c += w;
        }
        let mut best = 0;
        for i in 1..MIX.len() {
            if current[i] > current[best] {
                best = i;
            }
        }
        current[best] -= 100;
        *slot = MIX[best].0;
    }
    out
}

// ---------------------------------------------------------------------------
// Word lists. Small on purpose: the variety comes from combining them.

struct Locale {
    country: &'static str,
    currency: &'static str,
    /// Minor units per major unit (0-decimal currencies: 1).
    minor: i64,
    /// Rough value of one US dollar in this currency, so amounts look local.
    per_usd: i64,
    phone: &'static str,
    given: &'static [(&'static str, &'static str)],
    family: &'static [(&'static str, &'static str)],
    family_first: bool,
    /// Native company words (display, ASCII); empty means invented Latin words.
    company_words: &'static [(&'static str, &'static str)],
    /// `{}` is the company word.
    company_forms: &'static [&'static str],
    weight: u32,
}

const LOCALES: &[Locale] = &[
    Locale {
        country: "United States",
        currency: "USD",
        minor: 100,
        per_usd: 1,
        phone: "+1 555 01",
        given: &[
            ("James", "james"),
            ("Olivia", "olivia"),
            ("Liam", "liam"),
            ("Emma", "emma"),
            ("Noah", "noah"),
            ("Ava", "ava"),
            ("Ethan", "ethan"),
            ("Sophia", "sophia"),
            ("Mason", "mason"),
            ("Harper", "harper"),
            ("Lucas", "lucas"),
            ("Amelia", "amelia"),
        ],
        family: &[
            ("Smith", "smith"),
            ("Johnson", "johnson"),
            ("Williams", "williams"),
            ("Brown", "brown"),
            ("Miller", "miller"),
            ("Davis", "davis"),
            ("Wilson", "wilson"),
            ("Anderson", "anderson"),
            ("Thomas", "thomas"),
            ("Moore", "moore"),
            ("O'Connor", "oconnor"),
            ("Rivera", "rivera"),
        ],
        family_first: false,
        company_words: &[],
        company_forms: &["{} Labs", "{} Studio", "{} LLC", "{} Inc.", "{} Digital", "{} & Co."],
        weight: 28,
    },
    Locale {
        country: "United Kingdom",
        currency: "GBP",
        minor: 100,
        per_usd: 1,
        phone: "+44 20 7946 0",
        given: &[
            ("Oliver", "oliver"),
            ("Charlotte", "charlotte"),
            ("Harry", "harry"),
            ("Isla", "isla"),
            ("George", "george"),
            ("Freya", "freya"),
            ("Alfie", "alfie"),
            ("Poppy", "poppy"),
        ],
        family: &[
            ("Clarke", "clarke"),
            ("Walker", "walker"),
            ("Hughes", "hughes"),
            ("Bennett", "bennett"),
            ("Evans", "evans"),
            ("Wright", "wright"),
            ("Patel", "patel"),
            ("Khan", "khan"),
        ],
        family_first: false,
        company_words: &[],
        company_forms: &["{} Ltd", "{} Studios", "{} Consulting", "{} Partners"],
        weight: 12,
    },
    Locale {
        country: "Deutschland",
        currency: "EUR",
        minor: 100,
        per_usd: 1,
        phone: "+49 30 901820",
        given: &[
            ("Jürgen", "juergen"),
            ("Lena", "lena"),
            ("Maximilian", "maximilian"),
            ("Sophie", "sophie"),
            ("Jonas", "jonas"),
            ("Hannah", "hannah"),
            ("Björn", "bjoern"),
            ("Anja", "anja"),
        ],
        family: &[
            ("Müller", "mueller"),
            ("Schmidt", "schmidt"),
            ("Schneider", "schneider"),
            ("Fischer", "fischer"),
            ("Weber", "weber"),
            ("Schäfer", "schaefer"),
            ("Becker", "becker"),
            ("Groß", "gross"),
        ],
        family_first: false,
        company_words: &[],
        company_forms: &["{} GmbH", "{} AG", "{} Werkstatt", "{} Medien GmbH"],
        weight: 10,
    },
    Locale {
        country: "France",
        currency: "EUR",
        minor: 100,
        per_usd: 1,
        phone: "+33 1 99 00",
        given: &[
            ("François", "francois"),
            ("Chloé", "chloe"),
            ("Théo", "theo"),
            ("Léa", "lea"),
            ("Hugo", "hugo"),
            ("Inès", "ines"),
            ("Gaël", "gael"),
            ("Zoë", "zoe"),
        ],
        family: &[
            ("Martin", "martin"),
            ("Bernard", "bernard"),
            ("Dubois", "dubois"),
            ("Lefèvre", "lefevre"),
            ("Moreau", "moreau"),
            ("Girard", "girard"),
            ("Rousseau", "rousseau"),
            ("Faure", "faure"),
        ],
        family_first: false,
        company_words: &[],
        company_forms: &["{} SARL", "{} SAS", "Atelier {}", "Éditions {}"],
        weight: 8,
    },
    Locale {
        country: "España",
        currency: "EUR",
        minor: 100,
        per_usd: 1,
        phone: "+34 91 123 4",
        given: &[
            ("José", "jose"),
            ("María", "maria"),
            ("Javier", "javier"),
            ("Lucía", "lucia"),
            ("Álvaro", "alvaro"),
            ("Sofía", "sofia"),
            ("Íñigo", "inigo"),
            ("Carmen", "carmen"),
        ],
        family: &[
            ("García", "garcia"),
            ("Fernández", "fernandez"),
            ("González", "gonzalez"),
            ("Rodríguez", "rodriguez"),
            ("López", "lopez"),
            ("Martínez", "martinez"),
            ("Núñez", "nunez"),
            ("Peña", "pena"),
        ],
        family_first: false,
        company_words: &[],
        company_forms: &["{} S.L.", "Estudio {}", "{} Diseño S.L."],
        weight: 6,
    },
    Locale {
        country: "Sverige",
        currency: "SEK",
        minor: 100,
        per_usd: 10,
        phone: "+46 8 123 45",
        given: &[
            ("Åsa", "asa"),
            ("Björn", "bjorn"),
            ("Linnéa", "linnea"),
            ("Oskar", "oskar"),
            ("Märta", "marta"),
            ("Erik", "erik"),
        ],
        family: &[
            ("Andersson", "andersson"),
            ("Johansson", "johansson"),
            ("Lindström", "lindstrom"),
            ("Ångström", "angstrom"),
            ("Sjöberg", "sjoberg"),
            ("Nilsson", "nilsson"),
        ],
        family_first: false,
        company_words: &[],
        company_forms: &["{} AB", "{} Design AB"],
        weight: 4,
    },
    Locale {
        country: "Polska",
        currency: "PLN",
        minor: 100,
        per_usd: 4,
        phone: "+48 22 123 4",
        given: &[
            ("Łukasz", "lukasz"),
            ("Agnieszka", "agnieszka"),
            ("Paweł", "pawel"),
            ("Małgorzata", "malgorzata"),
            ("Wojciech", "wojciech"),
            ("Zofia", "zofia"),
        ],
        family: &[
            ("Nowak", "nowak"),
            ("Kowalski", "kowalski"),
            ("Wiśniewski", "wisniewski"),
            ("Wójcik", "wojcik"),
            ("Dąbrowski", "dabrowski"),
            ("Zieliński", "zielinski"),
        ],
        family_first: false,
        company_words: &[],
        company_forms: &["{} sp. z o.o.", "Studio {}"],
        weight: 4,
    },
    Locale {
        country: "日本",
        currency: "JPY",
        minor: 1,
        per_usd: 150,
        phone: "+81 3 1234 5",
        given: &[
            ("太郎", "taro"),
            ("花子", "hanako"),
            ("翔太", "shota"),
            ("美咲", "misaki"),
            ("健", "ken"),
            ("由美", "yumi"),
            ("大輔", "daisuke"),
            ("さくら", "sakura"),
        ],
        family: &[
            ("山田", "yamada"),
            ("佐藤", "sato"),
            ("鈴木", "suzuki"),
            ("高橋", "takahashi"),
            ("田中", "tanaka"),
            ("伊藤", "ito"),
            ("渡辺", "watanabe"),
            ("中村", "nakamura"),
        ],
        family_first: true,
        company_words: &[
            ("桜", "sakura"),
            ("光", "hikari"),
            ("未来", "mirai"),
            ("青空", "aozora"),
            ("富士見", "fujimi"),
            ("若葉", "wakaba"),
        ],
        company_forms: &["株式会社{}", "{}デザイン株式会社", "{}システムズ"],
        weight: 8,
    },
    Locale {
        country: "中国",
        currency: "CNY",
        minor: 100,
        per_usd: 7,
        phone: "+86 10 6552 9",
        given: &[("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("磊", "lei")],
        family: &[("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("黄", "huang")],
        family_first: true,
        company_words: &[("星辰", "xingchen"), ("云帆", "yunfan"), ("青山", "qingshan"), ("锦程", "jincheng")],
        company_forms: &["{}科技有限公司", "{}设计工作室"],
        weight: 6,
    },
    Locale {
        country: "대한민국",
        currency: "KRW",
        minor: 1,
        per_usd: 1300,
        phone: "+82 2 312 3",
        given: &[("민준", "minjun"), ("서연", "seoyeon"), ("지훈", "jihun"), ("하은", "haeun"), ("도윤", "doyun")],
        family: &[("김", "kim"), ("이", "lee"), ("박", "park"), ("최", "choi"), ("정", "jung")],
        family_first: true,
        company_words: &[("한빛", "hanbit"), ("미래", "mirae"), ("푸른", "pureun"), ("새봄", "saebom")],
        company_forms: &["{} 디자인", "주식회사 {}"],
        weight: 4,
    },
    Locale {
        country: "Brasil",
        currency: "BRL",
        minor: 100,
        per_usd: 5,
        phone: "+55 11 3456 7",
        given: &[
            ("João", "joao"),
            ("Ana", "ana"),
            ("Gabriel", "gabriel"),
            ("Júlia", "julia"),
            ("Thiago", "thiago"),
            ("Letícia", "leticia"),
        ],
        family: &[
            ("Silva", "silva"),
            ("Santos", "santos"),
            ("Oliveira", "oliveira"),
            ("Conceição", "conceicao"),
            ("Araújo", "araujo"),
            ("Gonçalves", "goncalves"),
        ],
        family_first: false,
        company_words: &[],
        company_forms: &["{} Ltda.", "Agência {}"],
        weight: 6,
    },
    Locale {
        country: "Việt Nam",
        currency: "VND",
        minor: 1,
        per_usd: 25_000,
        phone: "+84 28 3822 1",
        given: &[("Ngọc", "ngoc"), ("Minh", "minh"), ("Thảo", "thao"), ("Đức", "duc"), ("Hương", "huong")],
        family: &[("Nguyễn", "nguyen"), ("Trần", "tran"), ("Lê", "le"), ("Phạm", "pham"), ("Hoàng", "hoang")],
        family_first: true,
        company_words: &[],
        company_forms: &["Công ty {}", "{} Studio"],
        weight: 4,
    },
];

/// Invented company words are 2–3 of these: thousands of distinct words, so
/// a five-letter prefix of one is a selective search.
const SYLLABLES: &[&str] = &[
    "ba", "lo", "ri", "mar", "ven", "tor", "qua", "zen", "li", "do", "sa", "nor", "vel", "ka", "mi", "ro", "tan", "el",
    "ox", "fi", "lu", "bre", "cor", "dal",
];
const MAIL_PROVIDERS: &[&str] = &["mail.example", "post.example", "inbox.example", "fastmail.example"];
const CITIES: &[&str] = &[
    "Zürich",
    "São Paulo",
    "Kraków",
    "Malmö",
    "München",
    "Montréal",
    "東京",
    "Seoul",
    "Hà Nội",
    "Austin",
    "Leeds",
    "Lyon",
];
const TAGS: &[&str] =
    &["vip", "retainer", "agency", "startup", "enterprise", "referral", "repeat", "nonprofit", "東京"];
const ROLES: &[&str] = &[
    "CEO",
    "CTO",
    "Founder",
    "Product manager",
    "Marketing lead",
    "Head of design",
    "Engineering manager",
    "Office manager",
    "Procurement",
    "Accounts payable",
];
const SKILLS: &[&str] = &[
    "Rust",
    "TypeScript",
    "React",
    "Python",
    "Django",
    "PostgreSQL",
    "SQLite",
    "Figma",
    "UX design",
    "Copywriting",
    "SEO",
    "Go",
    "Kotlin",
    "Swift",
    "WordPress",
    "Shopify",
    "Data analysis",
    "Machine learning",
    "DevOps",
    "Docker",
    "Illustration",
    "Translation",
    "日本語",
];
const PRODUCTS: &[&str] = &[
    "booking app",
    "online shop",
    "internal dashboard",
    "marketing site",
    "mobile app",
    "CRM integration",
    "data pipeline",
    "design system",
    "landing page",
    "inventory tool",
    "invoicing system",
    "support chatbot",
];
const CHORES: &[&str] = &[
    "speed up our checkout",
    "migrate our database",
    "redesign onboarding",
    "automate monthly reporting",
    "audit accessibility",
    "translate our docs",
    "fix flaky deployments",
    "integrate Stripe payments",
];
const PROJECT_AREAS: &[&str] = &[
    "Website",
    "Mobile",
    "Brand",
    "Checkout",
    "Analytics",
    "Onboarding",
    "Booking",
    "Inventory",
    "Marketing",
    "Support",
];
const PROJECT_WORKS: &[&str] =
    &["redesign", "app", "refresh", "rebuild", "MVP", "dashboard", "migration", "audit", "integration", "launch"];
const DELIVERABLES: &[&str] = &[
    "Discovery & wireframes",
    "Design sign-off",
    "First working build",
    "Beta release",
    "Launch",
    "Handover & docs",
    "Content migration",
    "QA round",
];
const TOPICS: &[&str] = &[
    "the timeline",
    "the budget",
    "scope changes",
    "the next milestone",
    "hosting costs",
    "the invoice",
    "design feedback",
    "a follow-up project",
];

fn one<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

/// An index into `weights`, drawn in proportion to them.
fn weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let mut x = rng.gen_range(0..weights.iter().sum::<u32>());
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn chance(rng: &mut ChaCha8Rng, percent: u32) -> bool {
    rng.gen_range(0..100) < percent
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

struct Person {
    name: String,
    ascii: String,
}

fn person(rng: &mut ChaCha8Rng, locale: &Locale) -> Person {
    let (given, given_ascii) = one(rng, locale.given);
    let (family, family_ascii) = one(rng, locale.family);
    let name = if locale.family_first { format!("{family} {given}") } else { format!("{given} {family}") };
    Person { name, ascii: format!("{given_ascii}.{family_ascii}") }
}

struct Company {
    name: String,
    domain: String,
}

fn company(rng: &mut ChaCha8Rng, locale: &Locale) -> Company {
    let (word, slug) = if locale.company_words.is_empty() {
        let n = rng.gen_range(2..=3);
        let slug: String = (0..n).map(|_| one(rng, SYLLABLES)).collect();
        (capitalized(&slug), slug)
    } else {
        let (w, s) = one(rng, locale.company_words);
        // Native words repeat a lot: a number keeps the domains apart.
        (w.to_string(), format!("{s}{}", rng.gen_range(1..100)))
    };
    let form = one(rng, locale.company_forms);
    Company { name: form.replace("{}", &word), domain: format!("{slug}.example") }
}

fn phone(rng: &mut ChaCha8Rng, locale: &Locale) -> String {
    format!("{}{:03}", locale.phone, rng.gen_range(0..1000))
}

/// Amount in minor units of `locale`'s currency for about `usd` dollars.
fn amount(locale: &Locale, usd: i64) -> i64 {
    (usd * locale.per_usd * locale.minor).max(1)
}

fn locale_by_currency(code: &str) -> &'static Locale {
    LOCALES.iter().find(|l| l.currency == code).unwrap_or(&LOCALES[0])
}

/// A UUIDv7 for `at` whose random bits come from the seeded RNG.
fn id_at(rng: &mut ChaCha8Rng, at: DateTime<Utc>) -> Id {
    let mut bits = [0u8; 10];
    rng.fill(&mut bits);
    let millis = at.timestamp_millis().max(0) as u64;
    let uuid = uuid::Builder::from_unix_timestamp_millis(millis, &bits).into_uuid();
    // Always a valid id; the fallback only avoids a panic path.
    uuid.hyphenated().to_string().parse().unwrap_or_else(|_| Id::new_at(at))
}

fn new_meta(rng: &mut ChaCha8Rng, created: DateTime<Utc>, now: DateTime<Utc>) -> Meta {
    let updated =
        if chance(rng, 40) { (created + Duration::minutes(rng.gen_range(1..60 * 24 * 60))).min(now) } else { created };
    Meta { id: id_at(rng, created), created_at: created, updated_at: updated, deleted_at: None }
}

fn date(t: DateTime<Utc>) -> NaiveDate {
    t.date_naive()
}

/// A record's id and creation time, so children can pick an older parent.
#[derive(Clone, Copy)]
struct Parent {
    id: Id,
    at: DateTime<Utc>,
}

/// The index of a parent created no later than `at` (uniformly among those),
/// else of the oldest, and the child's time, moved after its parent's when needed.
fn pick(rng: &mut ChaCha8Rng, parents: &[Parent], at: DateTime<Utc>) -> Option<(usize, DateTime<Utc>)> {
    if parents.is_empty() {
        return None;
    }
    let older = parents.partition_point(|p| p.at <= at);
    let index = if older > 0 { rng.gen_range(0..older) } else { 0 };
    let parent = parents[index];
    let at = if parent.at <= at { at } else { parent.at + Duration::seconds(rng.gen_range(1..3600)) };
    Some((index, at))
}

/// One chunk's records, in the order they must be written.
#[derive(Default)]
struct Batch {
    clients: Vec<Client>,
    contacts: Vec<Contact>,
    projects: Vec<Project>,
    jobs: Vec<Job>,
    bids: Vec<Bid>,
    milestones: Vec<Milestone>,
    activities: Vec<Activity>,
    tasks: Vec<Task>,
}

impl Batch {
    async fn write(&self, conn: &mut SqliteConnection, now: DateTime<Utc>) -> Result<()> {
        bulk::insert_many(conn, &self.clients).await?;
        let links: Vec<(Id, &str)> =
            self.clients.iter().flat_map(|c| c.tags.iter().map(|t| (c.meta.id, t.as_str()))).collect();
        bulk::tag_many(conn, EntityKind::Client, &links, now).await?;
        bulk::insert_many(conn, &self.contacts).await?;
        bulk::insert_many(conn, &self.projects).await?;
        bulk::insert_many(conn, &self.jobs).await?;
        bulk::insert_many(conn, &self.bids).await?;
        bulk::insert_many(conn, &self.milestones).await?;
        bulk::insert_many(conn, &self.activities).await?;
        bulk::insert_many(conn, &self.tasks).await?;
        Ok(())
    }

    fn count_into(&self, s: &mut SeedSummary) {
        s.clients += self.clients.len() as u64;
        s.contacts += self.contacts.len() as u64;
        s.projects += self.projects.len() as u64;
        s.jobs += self.jobs.len() as u64;
        s.bids += self.bids.len() as u64;
        s.milestones += self.milestones.len() as u64;
        s.activities += self.activities.len() as u64;
        s.tasks += self.tasks.len() as u64;
    }
}

/// What children need to know of a client.
#[derive(Clone)]
struct ClientInfo {
    parent: Parent,
    locale: &'static Locale,
    name: String,
    domain: Option<String>,
}

struct Generator {
    rng: ChaCha8Rng,
    pattern: [EntityKind; 100],
    records: u64,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    locale_weights: Vec<u32>,
}

impl Generator {
    fn new(plan: &SeedPlan, now: DateTime<Utc>) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(plan.seed),
            pattern: slot_pattern(),
            records: plan.records,
            start: now - Duration::days(HISTORY_DAYS),
            now,
            locale_weights: LOCALES.iter().map(|l| l.weight).collect(),
        }
    }

    fn locale(&mut self) -> &'static Locale {
        &LOCALES[weighted(&mut self.rng, &self.locale_weights)]
    }

    /// `n` sorted times within this chunk's share of the history, so ids
    /// mostly ascend and the primary-key indexes grow at their end.
    fn times(&mut self, n: usize, from: u64, to: u64) -> Vec<DateTime<Utc>> {
        let span = (self.now - self.start).num_milliseconds().max(1) as u128;
        let records = u128::from(self.records.max(1));
        let lo = (span * u128::from(from) / records) as i64;
        let hi = ((span * u128::from(to) / records) as i64).max(lo + 1);
        let mut out: Vec<DateTime<Utc>> =
            (0..n).map(|_| self.start + Duration::milliseconds(self.rng.gen_range(lo..hi))).collect();
        out.sort_unstable();
        out
    }

    /// An external (marketplace) id, unique across runs because it carries the time.
    fn external_id(&mut self, at: DateTime<Utc>) -> String {
        format!("{}{:04}", at.timestamp_millis(), self.rng.gen_range(0..10_000))
    }

    fn chunk(&mut self, from: u64, to: u64) -> Batch {
        self.chunk_for(from, to, None)
    }

    /// A chunk of the mix; with `only`, its children all belong to that one
    /// client and the chunk's client slots stay empty.
    fn chunk_for(&mut self, from: u64, to: u64, only: Option<&ClientInfo>) -> Batch {
        let count = |kind: EntityKind| (from..to).filter(|i| self.pattern[(*i % 100) as usize] == kind).count();
        let n_clients = count(EntityKind::Client);
        let n_contacts = count(EntityKind::Contact);
        let n_projects = count(EntityKind::Project);
        let n_jobs = count(EntityKind::Job);
        let n_bids = count(EntityKind::Bid);
        let n_milestones = count(EntityKind::Milestone);
        let n_activities = count(EntityKind::Activity);
        let n_tasks = count(EntityKind::Task);

        let mut batch = Batch::default();
        let clients = match only {
            None => self.clients(&mut batch, n_clients, from, to),
            Some(client) => vec![client.clone()],
        };
        let contacts = self.contacts(&mut batch, &clients, n_contacts, from, to);
        let projects = self.projects(&mut batch, &clients, n_projects, from, to);
        self.jobs(&mut batch, &clients, n_jobs, from, to);
        let bids = self.bids(&mut batch, &projects, n_bids, from, to);
        let milestones = self.milestones(&mut batch, &projects, &bids, n_milestones, from, to);
        // What notes and tasks are about, with how often each kind is.
        let subjects = [
            (EntityKind::Client, clients.iter().map(|c| c.parent).collect(), 35),
            (EntityKind::Project, projects.iter().map(|p| p.0).collect(), 20),
            (EntityKind::Job, batch.jobs.iter().map(parent_of_job).collect(), 15),
            (EntityKind::Bid, bids.iter().map(|b| b.0).collect(), 15),
            (EntityKind::Contact, contacts, 10),
            (EntityKind::Milestone, milestones, 5),
        ];
        self.activities(&mut batch, &subjects, n_activities, from, to);
        self.tasks(&mut batch, &subjects, &clients, n_tasks, from, to);
        batch
    }

    fn clients(&mut self, batch: &mut Batch, n: usize, from: u64, to: u64) -> Vec<ClientInfo> {
        let mut out = Vec::with_capacity(n);
        for at in self.times(n, from, to) {
            let rng_locale = self.locale();
            let rng = &mut self.rng;
            let meta = new_meta(rng, at, self.now);
            let kind = if chance(rng, 45) { ClientKind::Company } else { ClientKind::Person };
            let works_somewhere = chance(rng, 40);
            let firm = company(rng, rng_locale);
            let who = person(rng, rng_locale);
            let (name, email, company, website, domain) = match kind {
                ClientKind::Company => {
                    let email = if chance(rng, 50) {
                        format!("hello@{}", firm.domain)
                    } else {
                        format!("{}@{}", who.ascii, firm.domain)
                    };
                    (firm.name, Some(email), None, Some(format!("https://{}", firm.domain)), Some(firm.domain))
                }
                ClientKind::Person if works_somewhere => {
                    let email = format!("{}@{}", who.ascii, firm.domain);
                    (who.name, Some(email), Some(firm.name), None, Some(firm.domain))
                }
                ClientKind::Person => {
                    let email = chance(rng, 85)
                        .then(|| format!("{}{}@{}", who.ascii, rng.gen_range(1..1000), one(rng, MAIL_PROVIDERS)));
                    (who.name, email, None, None, None)
                }
            };
            let notes = if chance(rng, 60) { client_note(rng) } else { String::new() };
            let mut tags = Vec::new();
            if chance(rng, 30) {
                tags.push(one(rng, TAGS).to_string());
                if chance(rng, 30) {
                    let second = one(rng, TAGS).to_string();
                    if second != tags[0] {
                        tags.push(second);
                    }
                }
            }
            let archived_at = chance(rng, 8).then_some(meta.updated_at);
            out.push(ClientInfo { parent: Parent { id: meta.id, at }, locale: rng_locale, name: name.clone(), domain });
            batch.clients.push(Client {
                meta,
                kind,
                name,
                email,
                phone: chance(rng, 70).then(|| phone(rng, rng_locale)),
                company,
                website,
                country: chance(rng, 90).then(|| rng_locale.country.to_string()),
                notes,
                restricted: chance(rng, 2),
                archived_at,
                origin: Origin::default(),
                tags,
                fields: Default::default(),
            });
        }
        out
    }

    fn contacts(&mut self, batch: &mut Batch, clients: &[ClientInfo], n: usize, from: u64, to: u64) -> Vec<Parent> {
        let parents: Vec<Parent> = clients.iter().map(|c| c.parent).collect();
        let mut out = Vec::with_capacity(n);
        for at in self.times(n, from, to) {
            let rng = &mut self.rng;
            let Some((index, at)) = pick(rng, &parents, at) else { break };
            let client = &clients[index];
            let who = person(rng, client.locale);
            let email = match &client.domain {
                Some(domain) => Some(format!("{}@{domain}", who.ascii)),
                None => chance(rng, 60).then(|| format!("{}@{}", who.ascii, one(rng, MAIL_PROVIDERS))),
            };
            let meta = new_meta(rng, at, self.now);
            out.push(Parent { id: meta.id, at });
            batch.contacts.push(Contact {
                meta,
                client_id: client.parent.id,
                name: who.name,
                email,
                phone: chance(rng, 60).then(|| phone(rng, client.locale)),
                role: chance(rng, 80).then(|| one(rng, ROLES).to_string()),
                notes: if chance(rng, 30) { client_note(rng) } else { String::new() },
                fields: Default::default(),
                tags: Default::default(),
            });
        }
        out
    }

    /// Projects, with the currency each was budgeted in.
    fn projects(
        &mut self,
        batch: &mut Batch,
        clients: &[ClientInfo],
        n: usize,
        from: u64,
        to: u64,
    ) -> Vec<(Parent, &'static Locale)> {
        let parents: Vec<Parent> = clients.iter().map(|c| c.parent).collect();
        let mut out = Vec::with_capacity(n);
        for at in self.times(n, from, to) {
            let rng = &mut self.rng;
            let Some((index, at)) = pick(rng, &parents, at) else { break };
            let client = &clients[index];
            let locale = client.locale;
            let status = [
                ProjectStatus::Lead,
                ProjectStatus::Active,
                ProjectStatus::OnHold,
                ProjectStatus::Completed,
                ProjectStatus::Cancelled,
            ][weighted(rng, &[15, 35, 10, 30, 10])];
            let rate_type = if chance(rng, 60) { RateType::Fixed } else { RateType::Hourly };
            let budget = chance(rng, 80).then(|| match rate_type {
                RateType::Fixed => amount(locale, rng.gen_range(5..500) * 100),
                RateType::Hourly => amount(locale, rng.gen_range(20..200) * rng.gen_range(10..400)),
            });
            let start = chance(rng, 80).then(|| date(at));
            let due = start.filter(|_| chance(rng, 80)).map(|s| s + Duration::days(rng.gen_range(14..180)));
            let mut name = format!("{} {}", one(rng, PROJECT_AREAS), one(rng, PROJECT_WORKS));
            if chance(rng, 20) {
                name.push_str(&format!(" phase {}", rng.gen_range(2..5)));
            }
            let description = format!(
                "{} for {}. {}",
                capitalized(one(rng, CHORES)),
                client.name,
                if chance(rng, 50) { format!("Kick-off in {}.", one(rng, CITIES)) } else { String::new() }
            );
            let meta = new_meta(rng, at, self.now);
            out.push((Parent { id: meta.id, at }, locale));
            batch.projects.push(Project {
                meta,
                client_id: client.parent.id,
                name,
                status,
                rate_type,
                budget_minor: budget,
                currency: budget.map(|_| locale.currency.to_string()),
                start_date: start,
                due_date: due,
                description: description.trim_end().to_string(),
                origin: Origin::default(),
                client_name: None,
                fields: Default::default(),
                tags: Default::default(),
            });
        }
        out
    }

    fn jobs(&mut self, batch: &mut Batch, clients: &[ClientInfo], n: usize, from: u64, to: u64) {
        let parents: Vec<Parent> = clients.iter().map(|c| c.parent).collect();
        for at in self.times(n, from, to) {
            let external = chance(&mut self.rng, 80).then(|| self.external_id(at));
            // Marketplaces mostly post in dollars.
            let locale = if chance(&mut self.rng, 60) { &LOCALES[0] } else { self.locale() };
            let rng = &mut self.rng;
            let hired = chance(rng, 40);
            let (client_id, at) = match pick(rng, &parents, at).filter(|_| hired) {
                Some((index, at)) => (Some(parents[index].id), at),
                None => (None, at),
            };
            let how_many = rng.gen_range(1..=4);
            let mut skills: Vec<String> = SKILLS.choose_multiple(rng, how_many).map(|s| s.to_string()).collect();
            skills.sort();
            let skill = skills[0].clone();
            let title = match rng.gen_range(0..5) {
                0 => format!("{skill} developer for our {}", one(rng, PRODUCTS)),
                1 => {
                    let product = one(rng, PRODUCTS);
                    let article = if product.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                    format!("Build {article} {product} with {skill}")
                }
                2 => format!("{skill} expert needed to {}", one(rng, CHORES)),
                3 => format!("Fix bugs in our {}", one(rng, PRODUCTS)),
                _ => format!("Long-term {skill} contractor"),
            };
            let employer = company(rng, locale);
            let description = format!(
                "We are a team of {} in {} looking for help with our {}. Must have {}+ years of {skill}. {}",
                rng.gen_range(2..200),
                one(rng, CITIES),
                one(rng, PRODUCTS),
                rng.gen_range(1..8),
                if chance(rng, 50) {
                    "Please include examples of similar work."
                } else {
                    "Budget is flexible for the right person."
                }
            );
            let budget_kind = if chance(rng, 65) { RateType::Fixed } else { RateType::Hourly };
            let (min, max) = match (chance(rng, 85), budget_kind) {
                (false, _) => (None, None),
                (true, RateType::Fixed) => {
                    let min = rng.gen_range(2..200) * 100;
                    (Some(amount(locale, min)), Some(amount(locale, min * rng.gen_range(12..30) / 10)))
                }
                (true, RateType::Hourly) => {
                    let min = rng.gen_range(15..90);
                    (Some(amount(locale, min)), Some(amount(locale, min * rng.gen_range(12..25) / 10)))
                }
            };
            let posted_at = at - Duration::minutes(rng.gen_range(0..48 * 60));
            let meta = new_meta(rng, at, self.now);
            batch.jobs.push(Job {
                meta,
                client_id,
                title,
                description,
                url: external.as_ref().map(|e| format!("https://jobs.example/p/{e}")),
                budget_kind,
                budget_min_minor: min,
                budget_max_minor: max,
                currency: min.map(|_| locale.currency.to_string()),
                skills: Json(skills),
                employer_name: chance(rng, 80).then_some(employer.name),
                posted_at: external.is_some().then_some(posted_at),
                saved: chance(rng, 15),
                hidden: chance(rng, 5),
                my_notes: if chance(rng, 20) {
                    format!("Looks like a fit; ask about {}.", one(rng, TOPICS))
                } else {
                    String::new()
                },
                // Only a sync says what a marketplace thinks of a job.
                market_status: None,
                origin: Origin {
                    source: external.as_ref().map(|_| "marketplace.example".to_string()),
                    external_id: external,
                },
                fields: Default::default(),
                tags: Default::default(),
            });
        }
    }

    /// Bids, with the currency each is in.
    fn bids(
        &mut self,
        batch: &mut Batch,
        projects: &[(Parent, &'static Locale)],
        n: usize,
        from: u64,
        to: u64,
    ) -> Vec<(Parent, &'static Locale, BidStatus)> {
        let jobs: Vec<Parent> = batch.jobs.iter().map(parent_of_job).collect();
        let project_parents: Vec<Parent> = projects.iter().map(|p| p.0).collect();
        let mut out = Vec::with_capacity(n);
        for at in self.times(n, from, to) {
            let Some((index, at)) = pick(&mut self.rng, &jobs, at) else { break };
            let job_row = &batch.jobs[index];
            let locale = job_row.currency.as_deref().map(locale_by_currency).unwrap_or(&LOCALES[0]);
            let fallback = match job_row.budget_kind {
                RateType::Fixed => amount(locale, self.rng.gen_range(3..150) * 100),
                RateType::Hourly => amount(locale, self.rng.gen_range(20..120)),
            };
            let amount_minor = match (job_row.budget_min_minor, job_row.budget_max_minor) {
                (Some(min), Some(max)) if max > min => self.rng.gen_range(min..=max),
                _ => fallback,
            };
            let skill = job_row.skills.0.first().cloned().unwrap_or_default();
            let employer = job_row.employer_name.clone();
            // In BidStatus::ALL's order: draft, queued, submitted, shortlisted,
            // awarded, rejected, withdrawn, failed.
            let status = BidStatus::ALL[weighted(&mut self.rng, &[10, 3, 25, 10, 15, 27, 5, 5])];
            let sent = !matches!(status, BidStatus::Draft | BidStatus::Queued | BidStatus::Failed);
            let external = sent.then(|| self.external_id(at));
            let rng = &mut self.rng;
            let days = rng.gen_range(2..120);
            let proposal = format!(
                "Hi {}, I have built {} similar projects with {skill} and can start {}. \
                 I would deliver in {days} days, with a demo every week.{}",
                employer.as_deref().unwrap_or("there"),
                rng.gen_range(2..40),
                if chance(rng, 50) { "next week" } else { "right away" },
                if chance(rng, 40) {
                    format!(" Happy to discuss {} on a call.", one(rng, TOPICS))
                } else {
                    String::new()
                }
            );
            let project_id = (status == BidStatus::Awarded && chance(rng, 70))
                .then(|| pick(rng, &project_parents, at).map(|(i, _)| project_parents[i].id))
                .flatten();
            let meta = new_meta(rng, at, self.now);
            out.push((Parent { id: meta.id, at }, locale, status));
            batch.bids.push(Bid {
                meta,
                job_id: job_row.meta.id,
                project_id,
                status,
                amount_minor: amount_minor.max(1),
                currency: locale.currency.to_string(),
                delivery_days: days,
                milestone_percentage: 0,
                proposal,
                submitted_at: sent.then(|| at + Duration::minutes(rng.gen_range(1..120))),
                server_version: sent.then(|| rng.gen_range(1..5)),
                origin: Origin {
                    source: external.as_ref().map(|_| "marketplace.example".to_string()),
                    external_id: external,
                },
                market_account: None,
                job_title: None,
                fields: Default::default(),
                tags: Default::default(),
            });
        }
        out
    }

    fn milestones(
        &mut self,
        batch: &mut Batch,
        projects: &[(Parent, &'static Locale)],
        bids: &[(Parent, &'static Locale, BidStatus)],
        n: usize,
        from: u64,
        to: u64,
    ) -> Vec<Parent> {
        let awarded: Vec<(Parent, &'static Locale)> =
            bids.iter().filter(|b| b.2 == BidStatus::Awarded).map(|b| (b.0, b.1)).collect();
        let bid_pool = if awarded.is_empty() { bids.iter().map(|b| (b.0, b.1)).collect() } else { awarded };
        let mut out = Vec::with_capacity(n);
        for at in self.times(n, from, to) {
            let rng = &mut self.rng;
            let use_project = !projects.is_empty() && (bid_pool.is_empty() || chance(rng, 60));
            let pool = if use_project { projects } else { &bid_pool[..] };
            let parents: Vec<Parent> = pool.iter().map(|p| p.0).collect();
            let Some((index, at)) = pick(rng, &parents, at) else { break };
            let (parent, locale) = pool[index];
            let status = [
                MilestoneStatus::Pending,
                MilestoneStatus::Funded,
                MilestoneStatus::Released,
                MilestoneStatus::Refunded,
                MilestoneStatus::Disputed,
            ][weighted(rng, &[30, 25, 35, 5, 5])];
            let title = format!("M{}: {}", rng.gen_range(1..6), one(rng, DELIVERABLES));
            let meta = new_meta(rng, at, self.now);
            out.push(Parent { id: meta.id, at });
            batch.milestones.push(Milestone {
                meta,
                project_id: use_project.then_some(parent.id),
                bid_id: (!use_project).then_some(parent.id),
                title,
                amount_minor: amount(locale, rng.gen_range(2..50) * 100),
                currency: locale.currency.to_string(),
                status,
                due_date: chance(rng, 80).then(|| date(at + Duration::days(rng.gen_range(7..90)))),
                origin: Origin::default(),
                kept_reason: None,
                fields: Default::default(),
                tags: Default::default(),
            });
        }
        out
    }

    fn subject(
        rng: &mut ChaCha8Rng,
        subjects: &[(EntityKind, Vec<Parent>, u32)],
        at: DateTime<Utc>,
    ) -> Option<(EntityKind, Parent, DateTime<Utc>)> {
        let weights: Vec<u32> = subjects.iter().map(|(_, p, w)| if p.is_empty() { 0 } else { *w }).collect();
        if weights.iter().all(|w| *w == 0) {
            return None;
        }
        let (kind, parents, _) = &subjects[weighted(rng, &weights)];
        pick(rng, parents, at).map(|(i, at)| (*kind, parents[i], at))
    }

    fn activities(
        &mut self,
        batch: &mut Batch,
        subjects: &[(EntityKind, Vec<Parent>, u32)],
        n: usize,
        from: u64,
        to: u64,
    ) {
        for at in self.times(n, from, to) {
            let locale = self.locale();
            let rng = &mut self.rng;
            let Some((kind, subject, at)) = Self::subject(rng, subjects, at) else { break };
            let activity_kind = [
                ActivityKind::Note,
                ActivityKind::Email,
                ActivityKind::Call,
                ActivityKind::Meeting,
                ActivityKind::Message,
            ][weighted(rng, &[40, 25, 15, 10, 10])];
            let who = person(rng, locale);
            let topic = one(rng, TOPICS);
            let body = match activity_kind {
                ActivityKind::Note => format!("Discussed {topic} with {}; they want it settled this month.", who.name),
                ActivityKind::Email => format!("Sent {} the notes on {topic}.", who.name),
                ActivityKind::Call => {
                    format!("Call with {} about {topic}. Next step: a written summary by Friday.", who.name)
                }
                ActivityKind::Meeting => {
                    format!("Meeting in {} with {}: agreed on {topic}.", one(rng, CITIES), who.name)
                }
                ActivityKind::Message => format!("{} asked about {topic}.", who.name),
            };
            let meta = new_meta(rng, at, self.now);
            let occurred_at = at - Duration::minutes(rng.gen_range(0..3 * 24 * 60));
            batch.activities.push(Activity {
                meta,
                subject_kind: kind,
                subject_id: subject.id,
                kind: activity_kind,
                body,
                occurred_at: occurred_at.max(subject.at),
            });
        }
    }

    fn tasks(
        &mut self,
        batch: &mut Batch,
        subjects: &[(EntityKind, Vec<Parent>, u32)],
        clients: &[ClientInfo],
        n: usize,
        from: u64,
        to: u64,
    ) {
        for at in self.times(n, from, to) {
            let rng = &mut self.rng;
            let (subject, at) = match chance(rng, 70).then(|| Self::subject(rng, subjects, at)).flatten() {
                Some((kind, parent, at)) => (Some((kind, parent.id)), at),
                None => (None, at),
            };
            let someone =
                clients.get(rng.gen_range(0..clients.len().max(1))).map(|c| c.name.as_str()).unwrap_or("the client");
            let title = match rng.gen_range(0..6) {
                0 => format!("Follow up with {someone}"),
                1 => format!("Send invoice to {someone}"),
                2 => format!("Prepare proposal: {}", one(rng, PRODUCTS)),
                3 => format!("Chase payment from {someone}"),
                4 => format!("Schedule kick-off about {}", one(rng, TOPICS)),
                _ => "Update portfolio".to_string(),
            };
            let due_at = chance(rng, 85).then(|| at + Duration::hours(rng.gen_range(4..30 * 24)));
            let remind_at = due_at.filter(|_| chance(rng, 50)).map(|d| (d - Duration::hours(24)).max(at));
            let done_at = due_at.filter(|d| *d < self.now && chance(rng, 75)).map(|d| d.min(self.now));
            let meta = new_meta(rng, at, self.now);
            batch.tasks.push(Task {
                meta,
                title,
                notes: if chance(rng, 30) { format!("Mention {}.", one(rng, TOPICS)) } else { String::new() },
                due_at,
                remind_at,
                done_at,
                subject_kind: subject.map(|s| s.0),
                subject_id: subject.map(|s| s.1),
                repeat: None,
                repeat_of: None,
            });
        }
    }
}

fn parent_of_job(job: &Job) -> Parent {
    Parent { id: job.meta.id, at: job.meta.created_at }
}

fn client_note(rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..7) {
        0 => "Prefers email over calls.".to_string(),
        1 => format!("Met at the {} meetup.", one(rng, CITIES)),
        2 => format!("Pays within {} days.", [14, 30, 45, 60][rng.gen_range(0..4)]),
        3 => format!("Asked about {} for next quarter.", one(rng, PRODUCTS)),
        4 => "Very responsive on weekends; slow in August.".to_string(),
        5 => format!("Time zone differs; best reached mornings from {}.", one(rng, CITIES)),
        _ => format!("Wants {} sorted before we start.", one(rng, TOPICS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefix_of_the_mix_has_parents_for_its_children() {
        let pattern = slot_pattern();
        for kind in EntityKind::ALL {
            let weight = pattern.iter().filter(|k| *k == kind).count();
            let expected = match kind {
                EntityKind::Client | EntityKind::Job => 20,
                EntityKind::Contact | EntityKind::Bid => 15,
                EntityKind::Project | EntityKind::Activity => 10,
                EntityKind::Milestone | EntityKind::Task => 5,
            };
            assert_eq!(weight, expected, "{kind}");
        }
        for end in 1..=100 {
            let has = |k: EntityKind| pattern[..end].contains(&k);
            if has(EntityKind::Contact) || has(EntityKind::Project) || has(EntityKind::Activity) {
                assert!(has(EntityKind::Client), "prefix {end}");
            }
            if has(EntityKind::Bid) {
                assert!(has(EntityKind::Job), "prefix {end}");
            }
            if has(EntityKind::Milestone) {
                assert!(has(EntityKind::Project) || has(EntityKind::Bid), "prefix {end}");
            }
        }
    }

    #[test]
    fn ids_follow_the_time_and_the_seed() {
        let at = DateTime::from_timestamp_millis(1_750_000_000_123).unwrap();
        let a = id_at(&mut ChaCha8Rng::seed_from_u64(7), at);
        let b = id_at(&mut ChaCha8Rng::seed_from_u64(7), at);
        let c = id_at(&mut ChaCha8Rng::seed_from_u64(8), at);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.as_uuid().get_version_num(), 7);
        let later = id_at(&mut ChaCha8Rng::seed_from_u64(7), at + Duration::milliseconds(1));
        assert!(later > a, "ids sort by time");
    }

    /// The app runs commands on a multi-threaded runtime: the seeding future must be Send.
    #[allow(dead_code)]
    fn seeding_is_send(ws: &Workspace) {
        fn send<T: Send>(_: &T) {}
        send(&seed_workspace(ws, &SeedPlan { records: 1, seed: 1 }, &mut |_, _| {}));
    }

    #[test]
    fn amounts_follow_the_currency() {
        let jpy = locale_by_currency("JPY");
        assert_eq!(amount(jpy, 100), 15_000, "JPY has no minor unit");
        assert_eq!(amount(locale_by_currency("USD"), 100), 10_000);
    }
}
