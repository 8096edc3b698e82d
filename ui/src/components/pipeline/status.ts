// Bid statuses as the UI shows them: labels and sentences. The rules (which
// moves are allowed, what a marketplace decides, why a move is refused) come
// from the core as data (bindings/BidLifecycle.ts); the core still decides
// each move, and a refusal arrives as "invalid_transition".
import type { Bid } from "../../bindings/Bid";
import type { BidStatus } from "../../bindings/BidStatus";
import {
  BID_MOVES,
  BID_REFUSALS,
  MARKETPLACE_DECIDES,
  MARKETPLACE_OWNED_REASONS,
} from "../../bindings/BidLifecycle";

export { BID_STATUSES, SUBMITTABLE, WITHDRAWABLE, TERMINAL } from "../../bindings/BidLifecycle";

export const STATUS_LABEL: Record<BidStatus, string> = {
  draft: "Draft",
  queued: "Queued",
  submitted: "Submitted",
  shortlisted: "Shortlisted",
  awarded: "Awarded",
  rejected: "Rejected",
  withdrawn: "Withdrawn",
  failed: "Failed",
};

/** A marketplace holds the bid: it decides the statuses in MARKETPLACE_DECIDES.
 * (A bid still queued for one is also refused by the core, with the same code.) */
export function heldByMarketplace(bid: Bid): boolean {
  return bid.external_id !== null;
}

/** The moves worth offering for `bid`: the rule, less what its marketplace decides. */
export function movesFor(bid: Bid): BidStatus[] {
  const moves = BID_MOVES[bid.status];
  return heldByMarketplace(bid) ? moves.filter((to) => !MARKETPLACE_DECIDES.includes(to)) : moves;
}

/** Why a hand move of a marketplace's bid is refused (code "marketplace_owned"). */
export function explainMarketplaceOwned(to: BidStatus): string {
  return `This bid is on a marketplace, so it can't be moved to ${STATUS_LABEL[to]} here: ${MARKETPLACE_OWNED_REASONS[to]}.`;
}

/** Why the core refuses `from` → `to`, in the core's words. */
export function explainRefusal(from: BidStatus, to: BidStatus): string {
  const why = BID_REFUSALS[from][to] ?? "that move is not allowed";
  return `A ${STATUS_LABEL[from].toLowerCase()} bid can't be moved to ${STATUS_LABEL[to]}: ${why}.`;
}
