// Bid statuses as the UI shows them. The allowed moves are generated from the
// core's rule (bindings/StatusMoves.ts) and only hint which moves make sense;
// the core decides, and a refusal arrives as code "invalid_transition".
import type { Bid } from "../../bindings/Bid";
import type { BidStatus } from "../../bindings/BidStatus";
import { BID_MOVES, MARKETPLACE_DECIDES } from "../../bindings/StatusMoves";

export const BID_STATUSES: BidStatus[] = [
  "draft",
  "queued",
  "submitted",
  "shortlisted",
  "awarded",
  "rejected",
  "withdrawn",
  "failed",
];

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

export function movesFrom(from: BidStatus): BidStatus[] {
  return BID_MOVES[from];
}

export function canMoveTo(from: BidStatus, to: BidStatus): boolean {
  return BID_MOVES[from].includes(to);
}

/** A marketplace holds the bid: it decides the statuses in MARKETPLACE_DECIDES.
 * (A bid still queued for one is also refused by the core, with the same code.) */
export function heldByMarketplace(bid: Bid): boolean {
  return bid.external_id !== null;
}

/** The moves worth offering for `bid`: the rule, less what its marketplace decides. */
export function movesFor(bid: Bid): BidStatus[] {
  const moves = movesFrom(bid.status);
  return heldByMarketplace(bid) ? moves.filter((to) => !MARKETPLACE_DECIDES.includes(to)) : moves;
}

/** Why a hand move of a marketplace's bid is refused (code "marketplace_owned"). */
export function explainMarketplaceOwned(to: BidStatus): string {
  if (MARKETPLACE_DECIDES.includes(to)) {
    return `This bid is on a marketplace: the marketplace decides whether it is ${BECOME[to]}; that arrives with sync.`;
  }
  return `This bid is with its marketplace or on its way there, so it can't be ${BECOME[to]} here: withdraw it instead.`;
}

const BECOME: Record<BidStatus, string> = {
  draft: "moved back to draft",
  queued: "queued",
  submitted: "submitted",
  shortlisted: "shortlisted",
  awarded: "awarded",
  rejected: "rejected",
  withdrawn: "withdrawn",
  failed: "marked failed",
};

function a(status: BidStatus): string {
  return status === "awarded" ? "An awarded" : `A ${status}`;
}

/** Why the core refuses `from` -> `to`, built from the two statuses. */
export function explainRefusal(from: BidStatus, to: BidStatus): string {
  const head = `${a(from)} bid can't be ${BECOME[to]}`;
  if (from === "awarded" || from === "rejected" || from === "withdrawn") {
    return `${head}: it is decided and stays ${from}.`;
  }
  const notSent = from === "draft" || from === "queued" || from === "failed";
  if (notSent && (to === "shortlisted" || to === "awarded" || to === "rejected" || to === "withdrawn")) {
    return `${head}: submit it first.`;
  }
  if (to === "failed") return `${head}: only a queued bid can fail.`;
  if (!notSent && (to === "draft" || to === "queued")) return `${head}: it is already with the client; withdraw it instead.`;
  if (from === "failed" && to === "submitted") return `${head}: queue it again or move it back to draft first.`;
  if (from === "shortlisted" && to === "submitted") return `${head}: it is already past submitted.`;
  return `${head}.`;
}
