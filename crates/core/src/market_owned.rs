//! What a marketplace owns in the records it syncs, in one place: the job
//! fields each pull writes over, and the milestones it holds (their terms
//! and status change on the marketplace and arrive with sync). The store
//! refuses a hand change to them, naming the field and why; the UI gets the
//! same rules, the milestone moves and when an amount is fixed, as generated data
//! (ui/src/bindings/RecordRules.ts) and shows those fields read-only.

use crate::domain::{Job, Milestone, MilestoneStatus, Origin};
use crate::error::{Error, Result};

/// The job fields every pull of its marketplace writes over.
pub const JOB_MARKET_FIELDS: &[&str] = &["title", "description", "skills", "url"];

/// Why a marketplace job's own fields are not edited here.
pub const JOB_FIELD_REASON: &str = "comes from the marketplace: the next sync would replace a change made here";

/// Why a marketplace's milestone is not edited here.
pub const MILESTONE_REASON: &str =
    "belongs to a milestone the marketplace holds: it changes there and arrives with sync";

impl MilestoneStatus {
    /// Whether a milestone's amount can still change: only before it is funded.
    pub fn amount_can_change(self) -> bool {
        self == MilestoneStatus::Pending
    }
}

impl Origin {
    /// Pulled from a marketplace (and still linked to it).
    pub fn is_marketplace(&self) -> bool {
        self.external_id.is_some()
    }
}

/// Refuses a change to a marketplace job's own field; `changed` says which
/// of them the patch would give a new value.
pub(crate) fn check_job_change(job: &Job, changed: &[&'static str]) -> Result<()> {
    match changed.first() {
        Some(field) if job.origin.is_marketplace() => Err(Error::validation(*field, JOB_FIELD_REASON)),
        _ => Ok(()),
    }
}

/// Refuses a hand change of a marketplace milestone's `field` (title,
/// amount, due date or status); tags and custom values stay the user's.
pub(crate) fn check_milestone_change(milestone: &Milestone, field: &'static str) -> Result<()> {
    if milestone.origin.is_marketplace() {
        return Err(Error::validation(field, MILESTONE_REASON));
    }
    Ok(())
}

pub(crate) fn typescript() -> String {
    let quoted =
        |items: &mut dyn Iterator<Item = String>| items.map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
    let moves: Vec<String> = MilestoneStatus::ALL
        .iter()
        .map(|&from| {
            let to =
                quoted(&mut MilestoneStatus::ALL.iter().filter(|&&to| from.can_move_to(to)).map(|s| s.to_string()));
            format!("  {from}: [{to}],")
        })
        .collect();
    format!(
        "// Generated from crates/core/src/market_owned.rs and domain.rs. Do not edit.\n\
         import type {{ MilestoneStatus }} from \"./MilestoneStatus\";\n\n\
         /** The moves of a milestone the core allows (it still decides each one). */\n\
         export const MILESTONE_MOVES: Record<MilestoneStatus, MilestoneStatus[]> = {{\n{moves}\n}};\n\n\
         /** Milestones whose amount can still change (the core refuses it in any other). */\n\
         export const MILESTONE_AMOUNT_OPEN: MilestoneStatus[] = [{amount_open}];\n\n\
         /** The fields of a marketplace's job that only its sync writes. */\n\
         export const JOB_MARKET_FIELDS: string[] = [{fields}];\n\n\
         /** Why those fields are read-only here. */\n\
         export const JOB_FIELD_REASON = \"{job_reason}\";\n\n\
         /** Why a marketplace's milestone is read-only here. */\n\
         export const MILESTONE_REASON = \"{milestone_reason}\";\n",
        moves = moves.join("\n"),
        amount_open = quoted(&mut MilestoneStatus::ALL.iter().filter(|s| s.amount_can_change()).map(|s| s.to_string())),
        fields = quoted(&mut JOB_MARKET_FIELDS.iter().map(|s| s.to_string())),
        job_reason = JOB_FIELD_REASON,
        milestone_reason = MILESTONE_REASON,
    )
}
