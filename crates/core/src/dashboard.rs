//! The dashboard's figures: pipeline value by bid status, win rate and
//! earnings by month, and where the open tasks stand. Read-only, one SQL
//! query per figure; "now" and "today" come from the workspace clock (UTC),
//! never from the wall clock. With a home currency, the pipeline is also
//! given converted into it, with the rates' date and the currencies that
//! had no rate (`rates.rs`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::{BidStatus, Task};
use crate::error::{Error, Result};
use crate::rates::{convert, RateTable};
use crate::Workspace;

/// Longest window the win-rate and earnings figures cover.
pub const MAX_MONTHS: u32 = 120;

/// The live (not deleted) bids in one status and currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PipelineValue {
    pub status: BidStatus,
    pub currency: String,
    pub count: i64,
    pub amount_minor: i64,
}

/// The live bids in one status, converted into the home currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct HomeValue {
    pub status: BidStatus,
    /// Bids counted in `amount_minor` (those of currencies without a rate are left out).
    pub count: i64,
    pub amount_minor: i64,
}

/// Released milestones in one month, converted into the home currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct HomeEarning {
    /// "YYYY-MM" (UTC).
    pub month: String,
    pub amount_minor: i64,
}

/// The pipeline and the earnings in the home currency (see `rates.rs` for how it converts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct HomePipeline {
    pub currency: String,
    /// Ordered by status; only statuses with converted bids.
    pub pipeline: Vec<HomeValue>,
    /// Months with converted releases only, oldest first.
    pub earnings: Vec<HomeEarning>,
    /// The oldest day of the rates used; none when nothing needed converting.
    pub rates_date: Option<NaiveDate>,
    /// Currencies of the pipeline or the earnings without a rate to the home
    /// currency: their amounts are left out here (they stay in the
    /// per-currency figures).
    pub without_rate: Vec<String>,
}

/// Bids decided in one month (by the month of their last change).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct WinRate {
    /// "YYYY-MM" (UTC).
    pub month: String,
    pub awarded: i64,
    pub rejected: i64,
    /// awarded / (awarded + rejected), absent when nothing was decided.
    pub rate: Option<f64>,
}

/// Released milestones in one month and currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Earning {
    /// "YYYY-MM" (UTC).
    pub month: String,
    pub currency: String,
    pub amount_minor: i64,
}

/// Open tasks by when they are due: "today" ends where the user's day does
/// (`Workspace::dashboard_in_zone`, `Workspace::count_open_tasks`); the CLI's
/// dashboard uses the UTC day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct TaskCounts {
    pub overdue: i64,
    pub due_today: i64,
    pub upcoming: i64,
    pub undated: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Dashboard {
    pub now: DateTime<Utc>,
    /// Ordered by status, then currency.
    pub pipeline: Vec<PipelineValue>,
    /// The pipeline converted into the home currency, when the user picked one.
    pub home: Option<HomePipeline>,
    /// One entry per month of the window, oldest first, months without decisions included.
    pub win_rate: Vec<WinRate>,
    /// Months with releases only, oldest first.
    pub earnings: Vec<Earning>,
    pub tasks: TaskCounts,
    /// The next five open tasks with a due time, earliest first (overdue ones lead).
    pub upcoming: Vec<Task>,
}

/// Live bids by status and currency: the totals triggers keep as bids are
/// written (migration 0020). Adding them up at each visit read every bid
/// (4.9 s at 1 M records), then an index of them (0018: 38 ms in the store
/// bench, 75 ms in the window).
use crate::store::kept_totals::KEPT_TOTALS as PIPELINE_SQL;

/// Awarded and rejected bids by month of their last change, as kept in
/// `bid_decisions` (migration 0023): one row a month. Counting them from
/// `bids_by_status_updated` read every decided bid of the window at each visit.
use crate::store::kept_totals::KEPT_DECISIONS as DECIDED_SQL;

/// Released milestones by month and currency, as kept in
/// `milestone_earnings` (migration 0024): a row a month and currency.
/// Adding them up from `milestones_released` (0018) read a year of released
/// milestones at each visit.
use crate::store::kept_totals::EARNINGS_SINCE as EARNINGS_SQL;

/// The "YYYY-MM" labels of the `months` months ending with the one holding `now`.
fn month_labels(now: DateTime<Utc>, months: u32) -> Vec<(i32, u32)> {
    let mut index = now.year() * 12 + now.month0() as i32 - (months as i32 - 1);
    (0..months)
        .map(|_| {
            let ym = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
            index += 1;
            ym
        })
        .collect()
}

/// Converts per-currency totals into one currency, each total rounded
/// once, and keeps the oldest rate's day and the currencies without a rate.
struct Converter<'a> {
    home: &'a str,
    rates: &'a RateTable,
    rates_date: Option<NaiveDate>,
    without_rate: Vec<String>,
}

impl Converter<'_> {
    /// `amount_minor` of `currency` in the home currency; `None` (and the
    /// currency listed) without a rate.
    fn convert(&mut self, amount_minor: i64, currency: &str, what: &str) -> Result<Option<i64>> {
        let Some((from_rate, to_rate, date)) = self.rates.rates_for(currency, self.home) else {
            if !self.without_rate.iter().any(|c| c == currency) {
                self.without_rate.push(currency.to_string());
            }
            return Ok(None);
        };
        let amount = convert(amount_minor, currency, from_rate, self.home, to_rate).ok_or_else(|| {
            Error::validation("amount_minor", format!("the {currency} {what} is too large to convert"))
        })?;
        if let Some(date) = date {
            self.rates_date = Some(self.rates_date.map_or(date, |d| d.min(date)));
        }
        Ok(Some(amount))
    }
}

fn add(total: i64, amount: i64, what: &str) -> Result<i64> {
    total
        .checked_add(amount)
        .ok_or_else(|| Error::validation("amount_minor", format!("the {what} is too large to add up")))
}

/// Converts each status's and each month's per-currency totals into `home`
/// (each total rounded once) and adds them up; a currency without a rate is listed.
fn home_figures(
    home: &str,
    pipeline: &[PipelineValue],
    earnings: &[Earning],
    rates: &RateTable,
) -> Result<HomePipeline> {
    let mut to_home = Converter { home, rates, rates_date: None, without_rate: Vec::new() };
    let mut by_status: Vec<HomeValue> = Vec::new();
    for value in pipeline {
        let Some(amount) = to_home.convert(value.amount_minor, &value.currency, "pipeline")? else { continue };
        match by_status.last_mut() {
            Some(last) if last.status == value.status => {
                last.count += value.count;
                last.amount_minor = add(last.amount_minor, amount, "pipeline")?;
            }
            _ => by_status.push(HomeValue { status: value.status, count: value.count, amount_minor: amount }),
        }
    }
    let mut by_month: Vec<HomeEarning> = Vec::new();
    for earning in earnings {
        let Some(amount) = to_home.convert(earning.amount_minor, &earning.currency, "earnings")? else { continue };
        match by_month.last_mut() {
            Some(last) if last.month == earning.month => {
                last.amount_minor = add(last.amount_minor, amount, "earnings")?
            }
            _ => by_month.push(HomeEarning { month: earning.month.clone(), amount_minor: amount }),
        }
    }
    let Converter { rates_date, mut without_rate, .. } = to_home;
    without_rate.sort();
    Ok(HomePipeline { currency: home.to_string(), pipeline: by_status, earnings: by_month, rates_date, without_rate })
}

impl Workspace {
    /// The dashboard over the last `months` months (1..=120), this one
    /// included, with "due today" ending at the end of the UTC day.
    pub async fn dashboard(&self, months: u32) -> Result<Dashboard> {
        self.dashboard_in_zone(months, 0).await
    }

    /// The dashboard with "due today" ending where the user's day does, the
    /// user's clock being `utc_offset_minutes` ahead of UTC (-720..=840), so
    /// it counts the tasks the task list shows as due today. On the day a
    /// clock changes, that end may be an hour off the task list's.
    pub async fn dashboard_in_zone(&self, months: u32, utc_offset_minutes: i32) -> Result<Dashboard> {
        if months == 0 || months > MAX_MONTHS {
            return Err(Error::validation("months", format!("is between 1 and {MAX_MONTHS}")));
        }
        let zone = (-720..=840)
            .contains(&utc_offset_minutes)
            .then(|| chrono::FixedOffset::east_opt(utc_offset_minutes * 60))
            .flatten()
            .ok_or_else(|| Error::validation("utc_offset_minutes", "is between -720 and 840"))?;
        let now = self.now();
        let local_midnight = now.with_timezone(&zone).date_naive().and_hms_opt(0, 0, 0).unwrap_or_default();
        let day_end = (local_midnight - Duration::minutes(i64::from(utc_offset_minutes)) + Duration::days(1)).and_utc();
        let labels = month_labels(now, months);
        let (y, m) = labels[0];
        // The first month shown, as `milestone_earnings` keys its rows.
        let since = format!("{y:04}-{m:02}");
        // One connection and one snapshot: the figures agree with each other
        // even while a sync writes, and the statements share that
        // connection's page cache instead of whichever of the pool's is free.
        let mut read = self.pool().await.begin().await?;

        let pipeline = sqlx::query_as::<_, (BidStatus, String, i64, i64)>(PIPELINE_SQL).fetch_all(&mut *read).await?;
        let mut pipeline: Vec<PipelineValue> = pipeline
            .into_iter()
            .map(|(status, currency, count, amount_minor)| PipelineValue { status, currency, count, amount_minor })
            .collect();
        pipeline.sort_by(|a, b| (a.status, &a.currency).cmp(&(b.status, &b.currency)));

        // Every month with a decided bid: twelve rows a year of use. The
        // lookup below takes the window's.
        let decided = sqlx::query_as::<_, (String, i64, i64)>(DECIDED_SQL).fetch_all(&mut *read).await?;
        let win_rate = labels
            .iter()
            .map(|(y, m)| {
                let month = format!("{y:04}-{m:02}");
                let (awarded, rejected) =
                    decided.iter().find(|(at, _, _)| *at == month).map(|(_, a, r)| (*a, *r)).unwrap_or((0, 0));
                let total = awarded + rejected;
                let rate = (total > 0).then(|| awarded as f64 / total as f64);
                WinRate { month, awarded, rejected, rate }
            })
            .collect();

        let earnings: Vec<Earning> = sqlx::query_as::<_, (String, String, i64)>(EARNINGS_SQL)
            .bind(&since)
            .fetch_all(&mut *read)
            .await?
            .into_iter()
            .map(|(month, currency, amount_minor)| Earning { month, currency, amount_minor })
            .collect();

        let tasks = crate::store::tasks::count_open(&mut read, now, day_end).await?;

        let upcoming_tasks = sqlx::query_as::<_, Task>(
            "SELECT * FROM tasks WHERE deleted_at IS NULL AND done_at IS NULL AND due_at IS NOT NULL \
             ORDER BY due_at, id LIMIT 5",
        )
        .fetch_all(&mut *read)
        .await?;
        read.commit().await?;

        let home = match self.home_currency().await? {
            Some(code) => Some(home_figures(&code, &pipeline, &earnings, &RateTable::new(&self.list_rates().await?))?),
            None => None,
        };

        Ok(Dashboard { now, pipeline, home, win_rate, earnings, tasks, upcoming: upcoming_tasks })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The earnings read the kept months from the first one shown on, by
    /// their key, and never the milestones.
    #[tokio::test]
    async fn the_earnings_read_the_kept_months_alone() {
        use crate::store::record::query_plan::of_statement;
        let plan = of_statement(EARNINGS_SQL).await;
        assert!(plan.contains("SEARCH milestone_earnings USING PRIMARY KEY (month>?)"), "{plan}");
        assert!(!plan.contains(" milestones ") && !plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn month_labels_cross_the_year() {
        let now = Utc.with_ymd_and_hms(2026, 2, 10, 0, 0, 0).unwrap();
        assert_eq!(month_labels(now, 3), vec![(2025, 12), (2026, 1), (2026, 2)]);
        assert_eq!(month_labels(now, 1), vec![(2026, 2)]);
    }
}
