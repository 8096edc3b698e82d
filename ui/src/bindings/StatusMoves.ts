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
