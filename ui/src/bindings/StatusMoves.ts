// Generated from BidStatus::can_move_to. Do not edit.
import type { BidStatus } from "./BidStatus";

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

// Generated from BidStatus::decided_by_marketplace: a bid a marketplace holds
// gets these only from it (a hand move is refused with "marketplace_owned").
export const MARKETPLACE_DECIDES: BidStatus[] = ["submitted", "shortlisted", "awarded", "rejected"];
