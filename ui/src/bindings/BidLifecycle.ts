// Generated from crates/core/src/bid_lifecycle.rs. Do not edit.
import type { BidStatus } from "./BidStatus";

/** Every status, in the order of a bid's life. */
export const BID_STATUSES: BidStatus[] = ["draft", "queued", "submitted", "shortlisted", "awarded", "rejected", "withdrawn", "failed"];

/** The moves the core allows (it still decides each one). */
export const BID_MOVES: Record<BidStatus, BidStatus[]> = {
  draft: ["queued", "submitted"],
  queued: ["draft", "submitted", "failed"],
  submitted: ["shortlisted", "awarded", "rejected", "withdrawn"],
  shortlisted: ["awarded", "rejected", "withdrawn"],
  awarded: [],
  rejected: [],
  withdrawn: [],
  failed: ["draft", "queued"],
};

/** Why each move that is not allowed is refused. */
export const BID_REFUSALS: Record<BidStatus, Partial<Record<BidStatus, string>>> = {
  draft: { shortlisted: "submit it first", awarded: "submit it first", rejected: "submit it first", withdrawn: "submit it first", failed: "only a queued bid can fail" },
  queued: { shortlisted: "submit it first", awarded: "submit it first", rejected: "submit it first", withdrawn: "submit it first" },
  submitted: { draft: "it is already with the client; withdraw it instead", queued: "it is already with the client; withdraw it instead", failed: "only a queued bid can fail" },
  shortlisted: { draft: "it is already with the client; withdraw it instead", queued: "it is already with the client; withdraw it instead", submitted: "it is already past submitted", failed: "only a queued bid can fail" },
  awarded: { draft: "it is decided and stays as it is", queued: "it is decided and stays as it is", submitted: "it is decided and stays as it is", shortlisted: "it is decided and stays as it is", rejected: "it is decided and stays as it is", withdrawn: "it is decided and stays as it is", failed: "it is decided and stays as it is" },
  rejected: { draft: "it is decided and stays as it is", queued: "it is decided and stays as it is", submitted: "it is decided and stays as it is", shortlisted: "it is decided and stays as it is", awarded: "it is decided and stays as it is", withdrawn: "it is decided and stays as it is", failed: "it is decided and stays as it is" },
  withdrawn: { draft: "it is decided and stays as it is", queued: "it is decided and stays as it is", submitted: "it is decided and stays as it is", shortlisted: "it is decided and stays as it is", awarded: "it is decided and stays as it is", rejected: "it is decided and stays as it is", failed: "it is decided and stays as it is" },
  failed: { submitted: "queue it again or move it back to draft first", shortlisted: "submit it first", awarded: "submit it first", rejected: "submit it first", withdrawn: "submit it first" },
};

/** A bid a marketplace holds gets these only from it (a hand move is refused with "marketplace_owned"). */
export const MARKETPLACE_DECIDES: BidStatus[] = ["submitted", "shortlisted", "awarded", "rejected"];

/** Why a marketplace's bid cannot be moved to a status by hand. */
export const MARKETPLACE_OWNED_REASONS: Record<BidStatus, string> = {
  draft: "it is with the marketplace or on its way there; withdraw it instead",
  queued: "it is with the marketplace or on its way there; withdraw it instead",
  submitted: "the marketplace decides this; it arrives with sync",
  shortlisted: "the marketplace decides this; it arrives with sync",
  awarded: "the marketplace decides this; it arrives with sync",
  rejected: "the marketplace decides this; it arrives with sync",
  withdrawn: "it is with the marketplace or on its way there; withdraw it instead",
  failed: "it is with the marketplace or on its way there; withdraw it instead",
};

/** Bids that can be submitted to their marketplace (or recorded as placed there). */
export const SUBMITTABLE: BidStatus[] = ["draft", "failed"];

/** Bids out there or on their way, which can be withdrawn. */
export const WITHDRAWABLE: BidStatus[] = ["queued", "submitted", "shortlisted"];

/** Decided bids: their terms no longer change. */
export const TERMINAL: BidStatus[] = ["awarded", "rejected", "withdrawn"];

/** Bids whose changed terms are sent to the marketplace holding them. */
export const SENDS_EDITS: BidStatus[] = ["queued", "submitted", "shortlisted"];
