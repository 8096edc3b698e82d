//! Which snapshots to keep: the newest of each of the last 7 days that have
//! one, of the last 4 ISO weeks and of the last 12 months (the usual
//! grandfather–father–son rule), plus every snapshot of the last 24 hours,
//! so that one taken before risky work is not deleted by the next one the
//! same day. Pure functions over the snapshot times, so they are tested by
//! themselves; the caller deletes what they do not keep.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, Utc};

pub const KEEP_DAILY: usize = 7;
pub const KEEP_WEEKLY: usize = 4;
pub const KEEP_MONTHLY: usize = 12;

/// The indices (into `times`) of the snapshots to keep. Order of `times`
/// does not matter. A snapshot is kept when it is the newest of its day
/// among the 7 newest days that have a snapshot, or the newest of its week
/// among the 4 newest such weeks, or the newest of its month among the 12
/// newest such months. So the newest snapshot is always kept.
pub fn keep(times: &[DateTime<Utc>]) -> BTreeSet<usize> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    // Newest first; ties broken by index so the result is deterministic.
    order.sort_by(|&a, &b| times[b].cmp(&times[a]).then(a.cmp(&b)));
    let mut kept = BTreeSet::new();
    pick(&order, times, KEEP_DAILY, |t| (t.year(), t.ordinal(), 0), &mut kept);
    pick(
        &order,
        times,
        KEEP_WEEKLY,
        |t| {
            let week = t.iso_week();
            (week.year(), week.week(), 0)
        },
        &mut kept,
    );
    pick(&order, times, KEEP_MONTHLY, |t| (t.year(), t.month(), 0), &mut kept);
    kept
}

/// [`keep`], plus every snapshot taken less than a day before `now`.
pub fn keep_at(times: &[DateTime<Utc>], now: DateTime<Utc>) -> BTreeSet<usize> {
    let mut kept = keep(times);
    kept.extend((0..times.len()).filter(|&i| now - times[i] < Duration::days(1)));
    kept
}

/// Keeps the first (newest) snapshot of each of the `limit` newest buckets.
fn pick(
    order: &[usize],
    times: &[DateTime<Utc>],
    limit: usize,
    bucket: impl Fn(&DateTime<Utc>) -> (i32, u32, u32),
    kept: &mut BTreeSet<usize>,
) {
    let mut seen = BTreeSet::new();
    for &i in order {
        if seen.len() == limit {
            break;
        }
        if seen.insert(bucket(&times[i])) {
            kept.insert(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn kept_times(times: &[DateTime<Utc>]) -> Vec<DateTime<Utc>> {
        let mut out: Vec<_> = keep(times).into_iter().map(|i| times[i]).collect();
        out.sort();
        out
    }

    #[test]
    fn the_last_day_is_kept_whole() {
        let now = at(2026, 3, 2, 18);
        let times = vec![at(2026, 3, 2, 9), at(2026, 3, 2, 17), at(2026, 3, 1, 17), at(2026, 3, 1, 19)];
        // By the daily rule alone 03-02 09:00 and 03-01 17:00 would go; the
        // first is within the day and stays.
        assert_eq!(keep(&times), [1, 3].into_iter().collect());
        assert_eq!(keep_at(&times, now), [0, 1, 3].into_iter().collect());
    }

    #[test]
    fn nothing_to_keep_from_nothing() {
        assert!(keep(&[]).is_empty());
    }

    #[test]
    fn one_daily_snapshot_for_two_years_keeps_7_daily_4_weekly_12_monthly() {
        // Daily at 03:00 from 2025-01-01 to 2026-12-31 (a Thursday).
        let start = at(2025, 1, 1, 3);
        let times: Vec<_> = (0..730).map(|d| start + Duration::days(d)).collect();
        let kept = kept_times(&times);
        let last = *times.last().unwrap();
        // The 7 newest days.
        for d in 0..7 {
            assert!(kept.contains(&(last - Duration::days(d))), "day -{d} kept");
        }
        // The newest of each of the 4 newest ISO weeks: week of 2026-12-28
        // (its newest is 12-31), and the Sundays 12-27, 12-20, 12-13.
        for sunday in [at(2026, 12, 27, 3), at(2026, 12, 20, 3), at(2026, 12, 13, 3)] {
            assert!(kept.contains(&sunday), "{sunday} kept as a weekly");
        }
        assert!(!kept.contains(&at(2026, 12, 6, 3)), "a fifth week is not kept");
        // The newest of each of the 12 newest months: month ends of 2026.
        for month in 1..=11 {
            let next = at(2026, month + 1, 1, 3);
            assert!(kept.contains(&(next - Duration::days(1))), "end of month {month} kept");
        }
        assert!(!kept.contains(&at(2025, 12, 31, 3)), "a 13th month is not kept");
        // 7 daily (12-25..12-31); weeklies 12-20 and 12-13 (the newest of
        // the two newer weeks, 12-31 and 12-27, are dailies already);
        // monthlies Jan..Nov (December's newest is a daily).
        assert_eq!(kept.len(), 7 + 2 + 11, "{kept:?}");
    }

    #[test]
    fn several_snapshots_a_day_keep_the_newest_of_each_day() {
        let times = vec![at(2026, 3, 2, 9), at(2026, 3, 2, 17), at(2026, 3, 1, 8), at(2026, 3, 2, 12)];
        assert_eq!(kept_times(&times), vec![at(2026, 3, 1, 8), at(2026, 3, 2, 17)]);
    }

    #[test]
    fn sparse_snapshots_count_days_that_have_one() {
        // Ten snapshots a month apart: every one is the newest of its day,
        // week and month; the daily rule keeps the 7 newest, the monthly all 10.
        let times: Vec<_> = (1..=10).map(|m| at(2026, m, 15, 10)).collect();
        assert_eq!(keep(&times).len(), 10);
        // Fourteen months: the two oldest fall out.
        let times: Vec<_> = (0..14).map(|m| at(2025 + m / 12, (m % 12) as u32 + 1, 15, 10)).collect();
        let kept = kept_times(&times);
        assert_eq!(kept.len(), 12);
        assert_eq!(kept[0], at(2025, 3, 15, 10));
    }

    #[test]
    fn the_newest_is_always_kept_and_keep_is_idempotent() {
        // A deterministic scatter of times over three years.
        let start = at(2024, 1, 1, 0);
        let mut times = Vec::new();
        let mut x: u64 = 7;
        for _ in 0..300 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            times.push(start + Duration::minutes((x >> 33) as i64 % (3 * 365 * 24 * 60)));
        }
        let kept = kept_times(&times);
        assert_eq!(kept.last(), times.iter().max());
        assert!(kept.len() <= KEEP_DAILY + KEEP_WEEKLY + KEEP_MONTHLY);
        // Pruning again after pruning removes nothing more.
        assert_eq!(kept_times(&kept), kept);
    }
}
