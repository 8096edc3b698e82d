// Generated from crates/core/src/market_owned.rs and domain.rs. Do not edit.
import type { MilestoneStatus } from "./MilestoneStatus";

/** The moves of a milestone the core allows (it still decides each one). */
export const MILESTONE_MOVES: Record<MilestoneStatus, MilestoneStatus[]> = {
  pending: ["funded"],
  funded: ["released", "refunded", "disputed"],
  released: [],
  refunded: [],
  disputed: ["released", "refunded"],
};

/** Milestones whose amount can still change (the core refuses it in any other). */
export const MILESTONE_AMOUNT_OPEN: MilestoneStatus[] = ["pending"];

/** The fields of a marketplace's job that only its sync writes. */
export const JOB_MARKET_FIELDS: string[] = ["title", "description", "skills", "url"];

/** Why those fields are read-only here. */
export const JOB_FIELD_REASON = "comes from the marketplace: the next sync would replace a change made here";

/** Why a marketplace's milestone is read-only here. */
export const MILESTONE_REASON = "belongs to a milestone the marketplace holds: it changes there and arrives with sync";
