//! Exchange rates and the home currency: exact conversion through each
//! currency's exponent (JPY 0, BHD 3), cross rates through the base, the
//! ECB's daily and historical CSV files, refused files, and currencies
//! without a rate named rather than dropped.

use std::path::{Path, PathBuf};

use bidwell_core::rates::{convert, NewExchangeRate, Rate};
use bidwell_core::*;
use chrono::NaiveDate;

use crate::support::new_workspace;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rates").join(name)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hand(base: &str, currency: &str, rate: &str, date: &str) -> NewExchangeRate {
    NewExchangeRate { base: base.into(), currency: currency.into(), rate: rate.into(), rate_date: date.into() }
}

async fn bid(ws: &Workspace, amount_minor: i64, currency: &str) -> Id {
    let job = ws.create_job(NewJob { title: "Site".into(), ..Default::default() }).await.unwrap().meta.id;
    let new =
        NewBid { job_id: Some(job), amount_minor, currency: currency.into(), delivery_days: 5, ..Default::default() };
    ws.create_bid(new).await.unwrap().meta.id
}

fn r(text: &str) -> Rate {
    Rate::parse(text).unwrap()
}

#[test]
fn conversion_is_exact_and_rounds_half_to_even() {
    // 1 EUR = 1.5 USD: 0.01 EUR is 1.5 cents (to 2), 0.03 EUR is 4.5 cents (to 4).
    assert_eq!(convert(1, "EUR", Rate::parse("1").unwrap(), "USD", r("1.5")), Some(2));
    assert_eq!(convert(3, "EUR", Rate::parse("1").unwrap(), "USD", r("1.5")), Some(4));
    assert_eq!(convert(5, "EUR", Rate::parse("1").unwrap(), "USD", r("1.5")), Some(8));
    // Through the euro, at the ECB-shaped rates (expected values by exact fractions).
    let (usd, jpy, bhd) = (r("1.0552"), r("158.76"), r("0.3978"));
    assert_eq!(convert(12_000, "JPY", jpy, "USD", usd), Some(7_976)); // 7975.81…
    assert_eq!(convert(1_234, "BHD", bhd, "USD", usd), Some(327)); // 327.33…
    assert_eq!(convert(95_000, "USD", usd, "JPY", jpy), Some(142_932)); // 142932.15…
    assert_eq!(convert(5, "USD", usd, "BHD", bhd), Some(19)); // 18.85 fils
    assert_eq!(convert(10_000, "EUR", r("1"), "BHD", bhd), Some(39_780));
    // Too large for i64 is refused, not wrapped.
    assert_eq!(convert(i64::MAX, "JPY", r("0.0001"), "BHD", r("1000")), None);
}

#[tokio::test]
async fn dashboard_converts_the_pipeline_into_the_home_currency() {
    let (_dir, ws) = new_workspace().await;
    bid(&ws, 10_000, "EUR").await; // 100.00 EUR
    bid(&ws, 12_000, "JPY").await; // 12000 JPY
    bid(&ws, 1_234, "BHD").await; // 1.234 BHD
    bid(&ws, 50_000, "USD").await; // 500.00 USD
    bid(&ws, 7_000, "GBP").await; // no rate

    // Without a home currency there is nothing converted.
    assert_eq!(ws.dashboard(1).await.unwrap().home, None);

    ws.set_rate(hand("EUR", "USD", "1.0552", "2026-12-04")).await.unwrap();
    ws.set_rate(hand("eur", "jpy", "158.76", "2026-12-04")).await.unwrap();
    ws.set_rate(hand("EUR", "BHD", "0.3978", "2026-11-30")).await.unwrap();
    // An older USD rate is kept but not used.
    ws.set_rate(hand("EUR", "USD", "2", "2026-01-02")).await.unwrap();
    assert_eq!(ws.set_home_currency(Some("usd")).await.unwrap().as_deref(), Some("USD"));

    let d = ws.dashboard(1).await.unwrap();
    let home = d.home.expect("a home pipeline");
    assert_eq!(home.currency, "USD");
    assert_eq!(home.pipeline.len(), 1);
    assert_eq!(home.pipeline[0].status, BidStatus::Draft);
    assert_eq!(home.pipeline[0].count, 4, "the GBP bid is left out");
    assert_eq!(home.pipeline[0].amount_minor, 10_552 + 7_976 + 327 + 50_000);
    assert_eq!(home.rates_date, Some(day(2026, 11, 30)), "the oldest rate used");
    assert_eq!(home.without_rate, vec!["GBP".to_string()]);
    // The per-currency figures stay.
    assert_eq!(d.pipeline.len(), 5);

    // In yen (no minor unit), the dollars go through the euro too.
    ws.set_home_currency(Some("JPY")).await.unwrap();
    let home = ws.dashboard(1).await.unwrap().home.unwrap();
    let eur = 15_876; // 100 EUR
    let bhd = 492; // 1.234 BHD
    let usd = 75_227; // 500 USD: 500 / 1.0552 * 158.76 = 75227.44…
    assert_eq!(home.pipeline[0].amount_minor, eur + 12_000 + bhd + usd);

    // A GBP rate makes GBP count; clearing the home currency turns conversion off.
    ws.set_rate(hand("EUR", "GBP", "0.83215", "2026-12-04")).await.unwrap();
    assert!(ws.dashboard(1).await.unwrap().home.unwrap().without_rate.is_empty());
    assert_eq!(ws.set_home_currency(None).await.unwrap(), None);
    assert_eq!(ws.home_currency().await.unwrap(), None);
    assert_eq!(ws.dashboard(1).await.unwrap().home, None);
}

#[tokio::test]
async fn a_rate_against_the_home_currency_itself_needs_no_cross_rate() {
    let (_dir, ws) = new_workspace().await;
    bid(&ws, 10_000, "USD").await;
    bid(&ws, 20_000, "EUR").await;
    ws.set_home_currency(Some("EUR")).await.unwrap();
    // Entered the other way round: one USD buys 0.95 EUR.
    ws.set_rate(hand("USD", "EUR", "0.95", "2026-12-01")).await.unwrap();
    let home = ws.dashboard(1).await.unwrap().home.unwrap();
    assert_eq!(home.pipeline[0].amount_minor, 9_500 + 20_000);
    assert_eq!(home.rates_date, Some(day(2026, 12, 1)));
    assert!(home.without_rate.is_empty());
}

#[tokio::test]
async fn hand_rates_are_checked_field_by_field() {
    let (_dir, ws) = new_workspace().await;
    let field = |e: Error| e.to_api().field.unwrap_or_default();
    assert_eq!(field(ws.set_rate(hand("EUX", "USD", "1", "2026-12-04")).await.unwrap_err()), "base");
    assert_eq!(field(ws.set_rate(hand("EUR", "", "1", "2026-12-04")).await.unwrap_err()), "currency");
    assert_eq!(field(ws.set_rate(hand("EUR", "EUR", "1", "2026-12-04")).await.unwrap_err()), "currency");
    for bad in ["0", "-1", "1,05", "abc", "1e3"] {
        assert_eq!(field(ws.set_rate(hand("EUR", "USD", bad, "2026-12-04")).await.unwrap_err()), "rate", "{bad}");
    }
    assert_eq!(field(ws.set_rate(hand("EUR", "USD", "1", "04/12/2026")).await.unwrap_err()), "rate_date");
    assert_eq!(field(ws.set_home_currency(Some("XXQ")).await.unwrap_err()), "home_currency");
    assert!(ws.list_rates().await.unwrap().is_empty(), "nothing half-written");

    // Same day again replaces; edit moves it; delete forgets it.
    let first = ws.set_rate(hand("EUR", "USD", "1.0500", "2026-12-04")).await.unwrap();
    assert_eq!((first.rate.as_str(), first.source.as_str()), ("1.05", "hand"));
    let again = ws.set_rate(hand("EUR", "USD", "1.06", "2026-12-04")).await.unwrap();
    assert_eq!(ws.all_rates().await.unwrap().len(), 1);
    assert_eq!(again.rate, "1.06");
    let moved = ws.update_rate(again.id, hand("EUR", "USD", "1.07", "2026-12-03")).await.unwrap();
    assert_eq!((moved.id, moved.rate_date), (again.id, day(2026, 12, 3)));
    assert_eq!(ws.all_rates().await.unwrap().len(), 1);
    ws.delete_rate(moved.id).await.unwrap();
    assert!(ws.all_rates().await.unwrap().is_empty());
    assert_eq!(field(ws.delete_rate(moved.id).await.unwrap_err()), "id");
}

#[tokio::test]
async fn imports_the_ecb_daily_file() {
    let (_dir, ws) = new_workspace().await;
    let summary = ws.import_rates(&fixture("eurofxref.csv")).await.unwrap();
    assert_eq!(summary.file, "eurofxref.csv");
    assert_eq!(summary.base, "EUR");
    assert_eq!((summary.rates, summary.days), (29, 1));
    assert_eq!(summary.last_date, Some(day(2026, 12, 4)));
    assert!(summary.skipped_columns.is_empty(), "{:?}", summary.skipped_columns);

    let rates = ws.list_rates().await.unwrap();
    let usd = rates.iter().find(|r| r.currency == "USD").unwrap();
    assert_eq!((usd.base.as_str(), usd.rate.as_str()), ("EUR", "1.0552"));
    assert_eq!((usd.rate_date, usd.source.as_str()), (day(2026, 12, 4), "eurofxref.csv"));
    let idr = rates.iter().find(|r| r.currency == "IDR").unwrap();
    assert_eq!(idr.rate, "17102.11");

    // Cross rate through the euro: 100.00 GBP in yen.
    bid(&ws, 10_000, "GBP").await;
    ws.set_home_currency(Some("JPY")).await.unwrap();
    let home = ws.dashboard(1).await.unwrap().home.unwrap();
    assert_eq!(home.pipeline[0].amount_minor, 19_078); // 100 / 0.83215 * 158.76 = 19078.29…
    assert_eq!(home.rates_date, Some(day(2026, 12, 4)));

    // Importing the same file again replaces, it does not double.
    ws.import_rates(&fixture("eurofxref.csv")).await.unwrap();
    assert_eq!(ws.all_rates().await.unwrap().len(), 29);
}

#[tokio::test]
async fn imports_the_ecb_historical_file() {
    let (_dir, ws) = new_workspace().await;
    let summary = ws.import_rates(&fixture("eurofxref-hist.csv")).await.unwrap();
    assert_eq!(summary.days, 3);
    assert_eq!((summary.first_date, summary.last_date), (Some(day(1999, 1, 4)), Some(day(2024, 6, 28))));
    for gone in ["CYP", "SIT", "MTL", "EEK"] {
        assert!(summary.skipped_columns.contains(&gone.to_string()), "{gone}: {:?}", summary.skipped_columns);
    }
    let all = ws.all_rates().await.unwrap();
    assert_eq!(all.len() as u64, summary.rates);
    // N/A is a day without a rate: BRL is quoted on the two 2024 days only.
    assert_eq!(all.iter().filter(|r| r.currency == "BRL").count(), 2);
    // The latest day is what conversion uses.
    let usd = ws.list_rates().await.unwrap().into_iter().find(|r| r.currency == "USD").unwrap();
    assert_eq!((usd.rate.as_str(), usd.rate_date), ("1.0705", day(2024, 6, 28)));
    bid(&ws, 10_000, "USD").await;
    ws.set_home_currency(Some("KRW")).await.unwrap();
    let home = ws.dashboard(1).await.unwrap().home.unwrap();
    assert_eq!(home.rates_date, Some(day(2024, 6, 28)));
    assert_eq!(home.pipeline[0].amount_minor, 137_796); // 100 / 1.0705 * 1475.11 = 137796.35…
}

#[tokio::test]
async fn a_bad_file_is_refused_whole_with_file_line_and_column() {
    let (_dir, ws) = new_workspace().await;
    let cases = [
        ("bad-value.csv", 3, "column 5"),
        ("negative-rate.csv", 3, "GBP"),
        ("bad-date.csv", 3, "Date"),
        ("not-ecb.csv", 1, "Day"),
    ];
    for (name, line, field) in cases {
        let err = ws.import_rates(&fixture(name)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::ImportInvalid, "{name}: {err}");
        let at = err.to_api().location.unwrap();
        assert_eq!((at.file.as_str(), at.line, at.field.as_deref()), (name, Some(line), Some(field)), "{err}");
    }
    // The good first rows of those files were not kept.
    assert!(ws.all_rates().await.unwrap().is_empty());
    let missing = ws.import_rates(&fixture("no-such-file.csv")).await.unwrap_err();
    assert_eq!(missing.code(), ErrorCode::Io);
    // A file far larger than any rates file is refused before it is read (a sparse file: no disk used).
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.csv");
    std::fs::File::create(&huge).unwrap().set_len(bidwell_core::rates::MAX_FILE_BYTES + 1).unwrap();
    let err = ws.import_rates(&huge).await.unwrap_err();
    assert_eq!(
        (err.code(), err.to_api().location.map(|l| l.file)),
        (ErrorCode::ImportInvalid, Some("huge.csv".into()))
    );
}

#[tokio::test]
async fn dashboard_converts_the_earnings_by_month_too() {
    let (_dir, ws) = new_workspace().await;
    let client = ws.create_client(NewClient { name: "Acme".into(), ..Default::default() }).await.unwrap();
    let new = NewProject { client_id: Some(client.meta.id), name: "Site".into(), ..Default::default() };
    let project = ws.create_project(new).await.unwrap();
    for (amount_minor, currency) in [(10_000, "EUR"), (12_000, "JPY"), (500, "CHF")] {
        let new = NewMilestone {
            project_id: Some(project.meta.id),
            title: format!("In {currency}"),
            amount_minor,
            currency: currency.into(),
            ..Default::default()
        };
        let milestone = ws.create_milestone(new).await.unwrap();
        ws.set_milestone_status(milestone.meta.id, MilestoneStatus::Funded).await.unwrap();
        ws.set_milestone_status(milestone.meta.id, MilestoneStatus::Released).await.unwrap();
    }
    ws.set_rate(hand("EUR", "JPY", "158.76", "2026-12-04")).await.unwrap();
    ws.set_home_currency(Some("EUR")).await.unwrap();

    let d = ws.dashboard(1).await.unwrap();
    let home = d.home.expect("home figures");
    assert_eq!(home.earnings.len(), 1, "{:?}", home.earnings);
    assert_eq!(home.earnings[0].month, d.earnings[0].month);
    // 100.00 EUR, and 12000 JPY / 158.76 = 75.5858… EUR, rounded once to 75.59.
    assert_eq!(home.earnings[0].amount_minor, 10_000 + 7_559);
    assert_eq!(home.without_rate, vec!["CHF".to_string()], "the francs are left out and named");
    assert_eq!(home.rates_date, Some(day(2026, 12, 4)));
    assert!(home.pipeline.is_empty());
    assert_eq!(d.earnings.len(), 3, "the per-currency earnings stay");
}
