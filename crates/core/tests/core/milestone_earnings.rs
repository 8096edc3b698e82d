//! The released milestones' sums kept as milestones are written (migration
//! 0024: the dashboard's earnings) always equal the milestones added up
//! afresh, whatever a user does to them and whenever; `check_kept_totals`
//! (run by `bidwell doctor` and Settings) finds sums that disagree and
//! rebuilds them.

use std::collections::BTreeMap;
use std::sync::Arc;

use bidwell_core::*;
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use crate::support::*;

const CURRENCIES: [&str; 3] = ["EUR", "USD", "JPY"];

#[derive(Debug, Clone)]
enum Step {
    Create {
        project: usize,
        currency: usize,
        amount: i64,
    },
    /// Towards released (or refunded, disputed): pending → funded → `to`.
    Move {
        milestone: usize,
        to: usize,
    },
    /// An edit of any kind moves a released milestone to this month.
    Retitle {
        milestone: usize,
    },
    Reprice {
        milestone: usize,
        currency: usize,
        amount: i64,
    },
    Delete {
        milestone: usize,
    },
    Restore {
        milestone: usize,
    },
    DeleteProject {
        project: usize,
    },
    Purge,
    /// Time passes (days), so later changes fall in a later month.
    Wait {
        days: i64,
    },
}

const MOVES: [MilestoneStatus; 4] =
    [MilestoneStatus::Funded, MilestoneStatus::Released, MilestoneStatus::Refunded, MilestoneStatus::Disputed];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..2usize, 0..3usize, 1..1_000_000i64).prop_map(|(project, currency, amount)| Step::Create { project, currency, amount }),
        4 => (0..64usize, 0..MOVES.len()).prop_map(|(milestone, to)| Step::Move { milestone, to }),
        1 => (0..64usize).prop_map(|milestone| Step::Retitle { milestone }),
        1 => (0..64usize, 0..3usize, 1..1_000_000i64).prop_map(|(milestone, currency, amount)| Step::Reprice { milestone, currency, amount }),
        1 => (0..64usize).prop_map(|milestone| Step::Delete { milestone }),
        1 => (0..64usize).prop_map(|milestone| Step::Restore { milestone }),
        1 => (0..2usize).prop_map(|project| Step::DeleteProject { project }),
        1 => Just(Step::Purge),
        2 => (1..40i64).prop_map(|days| Step::Wait { days }),
    ]
}

/// A project of a client of its own, named `name`.
async fn project(ws: &Workspace, name: &str) -> Project {
    let client = ws.create_client(NewClient { name: format!("Client of {name}"), ..Default::default() }).await.unwrap();
    let new = NewProject { client_id: Some(client.meta.id), name: name.into(), ..Default::default() };
    ws.create_project(new).await.unwrap()
}

/// The dashboard's earnings over ten years: (month, currency, amount).
async fn earnings(ws: &Workspace) -> Vec<(String, String, i64)> {
    let d = ws.dashboard(120).await.unwrap();
    d.earnings.into_iter().map(|e| (e.month, e.currency, e.amount_minor)).collect()
}

/// The same from the released milestones themselves, as a user would add them up.
async fn released_by_month(ws: &Workspace) -> Vec<(String, String, i64)> {
    let filter = MilestoneFilter { status: Some(MilestoneStatus::Released), ..Default::default() };
    let mut sums = BTreeMap::<(String, String), i64>::new();
    for m in ws.list_milestones(&filter, &PageRequest { limit: 1000, ..Default::default() }).await.unwrap().items {
        *sums.entry((m.meta.updated_at.format("%Y-%m").to_string(), m.currency)).or_default() += m.amount_minor;
    }
    sums.into_iter().map(|((month, currency), amount)| (month, currency, amount)).collect()
}

async fn run(steps: Vec<Step>) {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 20, 9, 0, 0).unwrap()));
    let (_dir, ws) = workspace_at(clock.clone()).await;
    let mut projects = Vec::new();
    for i in 0..2 {
        projects.push(project(&ws, &format!("Project {i}")).await.meta.id);
    }
    let mut milestones: Vec<Id> = Vec::new();
    let pick = |all: &[Id], i: usize| all[i % all.len()];
    for step in steps {
        // Refusals (a move the lifecycle does not allow, a fixed amount, a
        // deleted project) are part of the game.
        let _ = match step {
            Step::Create { project, currency, amount } => ws
                .create_milestone(NewMilestone {
                    project_id: Some(projects[project]),
                    title: "Milestone".into(),
                    amount_minor: amount,
                    currency: CURRENCIES[currency].into(),
                    ..Default::default()
                })
                .await
                .map(|m| milestones.push(m.meta.id)),
            Step::Move { milestone, to } if !milestones.is_empty() => {
                let id = pick(&milestones, milestone);
                let _ = ws.set_milestone_status(id, MilestoneStatus::Funded).await;
                ws.set_milestone_status(id, MOVES[to]).await.map(drop)
            }
            Step::Retitle { milestone } if !milestones.is_empty() => {
                let change = MilestonePatch { title: Some(format!("Renamed {milestone}")), ..Default::default() };
                ws.update_milestone(pick(&milestones, milestone), change).await.map(drop)
            }
            Step::Reprice { milestone, currency, amount } if !milestones.is_empty() => {
                let change =
                    MilestonePatch { amount: Some((amount, CURRENCIES[currency].into())), ..Default::default() };
                ws.update_milestone(pick(&milestones, milestone), change).await.map(drop)
            }
            Step::Delete { milestone } if !milestones.is_empty() => {
                ws.delete(EntityKind::Milestone, pick(&milestones, milestone)).await
            }
            Step::Restore { milestone } if !milestones.is_empty() => {
                ws.restore(EntityKind::Milestone, pick(&milestones, milestone)).await
            }
            Step::DeleteProject { project } => ws.delete(EntityKind::Project, projects[project]).await,
            Step::Purge => ws.purge_deleted_older_than(chrono::Duration::zero()).await.map(drop),
            Step::Wait { days } => {
                clock.advance(chrono::Duration::days(days));
                Ok(())
            }
            _ => Ok(()),
        };
        assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport::default(), "after {step:?}");
    }
    assert_eq!(earnings(&ws).await, released_by_month(&ws).await);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn kept_earnings_equal_the_released_milestones_whatever_is_done_to_them(
        steps in proptest::collection::vec(step(), 1..40)
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(steps));
    }
}

/// A released milestone counts in the month of its last change, in its
/// currency: an edit moves it to this month, a deletion takes it out, a
/// restore puts it back in the month it came back.
#[tokio::test]
async fn a_released_milestone_counts_in_the_month_of_its_last_change() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 8, 20, 9, 0, 0).unwrap()));
    let (_dir, ws) = workspace_at(clock.clone()).await;
    let project = project(&ws, "Kiosk").await;
    let new = NewMilestone {
        project_id: Some(project.meta.id),
        title: "Design".into(),
        amount_minor: 40_000,
        currency: "EUR".into(),
        ..Default::default()
    };
    let id = ws.create_milestone(new).await.unwrap().meta.id;
    ws.set_milestone_status(id, MilestoneStatus::Funded).await.unwrap();
    assert_eq!(earnings(&ws).await, vec![], "funded is not earned");
    let month = |m: &str| vec![(m.to_string(), "EUR".to_string(), 40_000)];

    clock.advance(chrono::Duration::days(20)); // September
    ws.set_milestone_status(id, MilestoneStatus::Released).await.unwrap();
    assert_eq!(earnings(&ws).await, month("2026-09"));
    clock.advance(chrono::Duration::days(30)); // October
    ws.update_milestone(id, MilestonePatch { title: Some("Design, signed off".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(earnings(&ws).await, month("2026-10"));
    clock.advance(chrono::Duration::days(30)); // November
    ws.delete(EntityKind::Milestone, id).await.unwrap();
    assert_eq!(earnings(&ws).await, vec![]);
    clock.advance(chrono::Duration::days(30)); // December
    ws.restore(EntityKind::Milestone, id).await.unwrap();
    assert_eq!(earnings(&ws).await, month("2026-12"));
    assert_eq!(released_by_month(&ws).await, month("2026-12"));
    // The project's deletion takes its milestones out with it.
    ws.delete(EntityKind::Project, project.meta.id).await.unwrap();
    assert_eq!(earnings(&ws).await, vec![]);
    assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport::default());
}

#[tokio::test]
async fn the_check_finds_and_rebuilds_earnings_that_disagree() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 10, 9, 0, 0).unwrap()));
    let (dir, ws) = workspace_at(clock).await;
    let project = project(&ws, "Kiosk").await;
    for amount in [100, 250] {
        let new = NewMilestone {
            project_id: Some(project.meta.id),
            title: "Part".into(),
            amount_minor: amount,
            currency: "EUR".into(),
            ..Default::default()
        };
        let id = ws.create_milestone(new).await.unwrap().meta.id;
        for to in [MilestoneStatus::Funded, MilestoneStatus::Released] {
            ws.set_milestone_status(id, to).await.unwrap();
        }
    }
    let before = earnings(&ws).await;
    assert_eq!(before, vec![("2026-11".to_string(), "EUR".to_string(), 350)]);

    // Sums damaged behind the app's back: one wrong, one month made up.
    let mut conn = raw_connection(dir.path()).await;
    sqlx::query("UPDATE milestone_earnings SET amount_minor = 9").execute(&mut conn).await.unwrap();
    sqlx::query("INSERT INTO milestone_earnings VALUES ('2026-10', 'USD', 1, 5)").execute(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    let damaged = vec![("2026-10".to_string(), "USD".to_string(), 5), ("2026-11".to_string(), "EUR".to_string(), 9)];
    assert_eq!(earnings(&ws).await, damaged);

    // The wrong month counts twice (kept and counted differ), the made-up one once.
    assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport { disagreeing: 3, repaired: false });
    assert_eq!(earnings(&ws).await, damaged, "a check without repair changes nothing");
    assert_eq!(ws.check_kept_totals(true).await.unwrap(), KeptTotalsReport { disagreeing: 3, repaired: true });
    assert_eq!(ws.check_kept_totals(false).await.unwrap(), KeptTotalsReport::default());
    assert_eq!(earnings(&ws).await, before);
}
