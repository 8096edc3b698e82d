//! The totals triggers keep as records are written, so that screens read a
//! few rows instead of adding up a table: `bid_totals` (live bids by status
//! and currency: the board's counts, the dashboard's pipeline; migration
//! 0020), `bid_decisions` (awarded and rejected bids by month: the win rate;
//! 0023), `milestone_earnings` (released milestones by month and currency:
//! the earnings; 0024) and `open_task_days` (open tasks by the day they are
//! due: the task counts of the dashboard and the task list; 0025). Also the
//! check, run by `bidwell doctor` and Settings, that compares each with its
//! records counted afresh and rebuilds what disagrees.

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::error::Result;
use crate::Workspace;

/// The totals of `bid_totals` counted afresh from `bids`, in the same
/// order as [`KEPT_TOTALS`]: what they must always equal.
const COUNTED_TOTALS: &str = "SELECT status, currency, count(*), sum(amount_minor) FROM bids \
    WHERE deleted_at IS NULL GROUP BY status, currency ORDER BY status, currency";

/// The live bids by status and currency as the triggers keep them.
pub(crate) const KEPT_TOTALS: &str =
    "SELECT status, currency, bids, amount_minor FROM bid_totals WHERE bids <> 0 ORDER BY status, currency";

/// Decided bids by the month of their last change, counted afresh from
/// `bids`, in the order of [`KEPT_DECISIONS`].
const COUNTED_DECISIONS: &str = "SELECT substr(updated_at, 1, 7) AS month, \
    sum(status = 'awarded'), sum(status = 'rejected') FROM bids \
    WHERE deleted_at IS NULL AND status IN ('awarded', 'rejected') GROUP BY month ORDER BY month";

/// Decided bids by month as the triggers keep them.
pub(crate) const KEPT_DECISIONS: &str = "SELECT month, awarded, rejected FROM bid_decisions \
    WHERE awarded <> 0 OR rejected <> 0 ORDER BY month";

/// Live released milestones by the month of their last change and their
/// currency, counted afresh from `milestones`, in the order of [`KEPT_EARNINGS`].
const COUNTED_EARNINGS: &str = "SELECT substr(updated_at, 1, 7) AS month, currency, count(*), sum(amount_minor) \
    FROM milestones WHERE deleted_at IS NULL AND status = 'released' \
    GROUP BY month, currency ORDER BY month, currency";

/// Released milestones by month and currency as the triggers keep them.
const KEPT_EARNINGS: &str = "SELECT month, currency, milestones, amount_minor FROM milestone_earnings \
    WHERE milestones <> 0 ORDER BY month, currency";

/// Open tasks by the day of their due time ('' without one), counted
/// afresh from `tasks`, in the order of [`KEPT_OPEN_TASK_DAYS`].
const COUNTED_OPEN_TASK_DAYS: &str = "SELECT coalesce(substr(due_at, 1, 10), '') AS day, count(*) FROM tasks \
    WHERE deleted_at IS NULL AND done_at IS NULL GROUP BY day ORDER BY day";

/// Open tasks by day as the triggers keep them.
const KEPT_OPEN_TASK_DAYS: &str = "SELECT day, tasks FROM open_task_days WHERE tasks <> 0 ORDER BY day";

/// The dashboard's earnings: released amounts by month (from the "YYYY-MM"
/// bound, on) and currency, oldest first.
pub(crate) const EARNINGS_SINCE: &str = "SELECT month, currency, amount_minor FROM milestone_earnings \
    WHERE milestones <> 0 AND month >= ? ORDER BY month, currency";

/// How many rows `kept` and `counted` (two statements answering the same
/// rows in the same order) do not share: each row one has and the other lacks.
async fn disagreeing<Row>(conn: &mut SqliteConnection, kept: &str, counted: &str) -> Result<u64>
where
    Row: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + PartialEq + Send + Unpin,
{
    let kept: Vec<Row> = sqlx::query_as(kept).fetch_all(&mut *conn).await?;
    let counted: Vec<Row> = sqlx::query_as(counted).fetch_all(&mut *conn).await?;
    let missing = kept.iter().filter(|k| !counted.contains(k)).count();
    Ok((missing + counted.iter().filter(|c| !kept.contains(c)).count()) as u64)
}

/// Empties `table` and fills it with `counted`'s rows.
async fn rebuild(conn: &mut SqliteConnection, table: &str, columns: &str, counted: &str) -> Result<()> {
    sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *conn).await?;
    sqlx::query(&format!("INSERT INTO {table} ({columns}) {counted}")).execute(&mut *conn).await?;
    Ok(())
}

/// What [`Workspace::check_kept_totals`] found: how many kept rows (a
/// status and currency's bids, a month's decided bids, a month and
/// currency's released milestones, a day's open tasks) disagreed with the
/// records, and whether they were rebuilt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct KeptTotalsReport {
    pub disagreeing: u64,
    pub repaired: bool,
}

impl Workspace {
    /// Compares the kept totals (the board's counts, the dashboard's
    /// pipeline, win rate and earnings, the open tasks' counts) with the
    /// bids, milestones and tasks themselves; with `repair`, rebuilds those
    /// that disagree. One transaction.
    pub async fn check_kept_totals(&self, repair: bool) -> Result<KeptTotalsReport> {
        let mut tx = self.begin_write().await?;
        let totals = disagreeing::<(String, String, i64, i64)>(&mut tx, KEPT_TOTALS, COUNTED_TOTALS).await?;
        let decisions = disagreeing::<(String, i64, i64)>(&mut tx, KEPT_DECISIONS, COUNTED_DECISIONS).await?;
        let earnings = disagreeing::<(String, String, i64, i64)>(&mut tx, KEPT_EARNINGS, COUNTED_EARNINGS).await?;
        let task_days = disagreeing::<(String, i64)>(&mut tx, KEPT_OPEN_TASK_DAYS, COUNTED_OPEN_TASK_DAYS).await?;
        if repair {
            if totals > 0 {
                rebuild(&mut tx, "bid_totals", "status, currency, bids, amount_minor", COUNTED_TOTALS).await?;
            }
            if decisions > 0 {
                rebuild(&mut tx, "bid_decisions", "month, awarded, rejected", COUNTED_DECISIONS).await?;
            }
            if earnings > 0 {
                rebuild(&mut tx, "milestone_earnings", "month, currency, milestones, amount_minor", COUNTED_EARNINGS)
                    .await?;
            }
            if task_days > 0 {
                rebuild(&mut tx, "open_task_days", "day, tasks", COUNTED_OPEN_TASK_DAYS).await?;
            }
        }
        let disagreeing = totals + decisions + earnings + task_days;
        tx.commit().await?;
        Ok(KeptTotalsReport { disagreeing, repaired: disagreeing > 0 && repair })
    }
}
