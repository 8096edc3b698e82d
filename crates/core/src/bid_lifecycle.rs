//! The bid lifecycle, in one place: which status a bid may move to, which
//! bids can be submitted to or withdrawn from a marketplace, which statuses
//! only a marketplace gives, whose terms are settled, and in words why a move
//! is refused. The store and the outbox ask here; the UI gets the same rules
//! as generated data (ui/src/bindings/BidLifecycle.ts) and restates none.

use crate::domain::BidStatus;
use BidStatus::*;

impl BidStatus {
    /// The moves a bid can make. A bid leaves the machine through `queued`;
    /// `draft → submitted` records a bid placed outside Bidwell.
    pub fn can_move_to(self, to: BidStatus) -> bool {
        matches!(
            (self, to),
            (Draft, Queued | Submitted)
                | (Queued, Draft | Submitted | Failed)
                | (Failed, Draft | Queued)
                | (Submitted, Shortlisted | Awarded | Rejected | Withdrawn)
                | (Shortlisted, Awarded | Rejected | Withdrawn)
        )
    }

    /// Statuses only a marketplace gives a bid it holds: they arrive with
    /// sync and are never set by hand on a linked bid.
    pub fn decided_by_marketplace(self) -> bool {
        matches!(self, Submitted | Shortlisted | Awarded | Rejected)
    }

    /// Terminal bids are history: their terms can no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(self, Awarded | Rejected | Withdrawn)
    }

    /// A marketplace is acting on the bid; erasing its client must wait.
    pub fn is_pending(self) -> bool {
        matches!(self, Queued | Submitted | Shortlisted)
    }

    /// A bid not (or no longer) on its way: it can be submitted to its
    /// marketplace, or recorded as placed on the marketplace's website.
    pub fn is_submittable(self) -> bool {
        matches!(self, Draft | Failed)
    }

    /// A bid out there or on its way: it can be withdrawn.
    pub fn is_withdrawable(self) -> bool {
        self.is_pending()
    }

    /// A change of a bid in this status is sent to the marketplace holding it.
    pub fn sends_edits(self) -> bool {
        self.is_pending()
    }

    /// Why `self → to` is refused, in words for the user; `None` when the move is allowed.
    pub fn refusal(self, to: BidStatus) -> Option<&'static str> {
        if self == to || self.can_move_to(to) {
            return None;
        }
        let not_sent = matches!(self, Draft | Queued | Failed);
        Some(match (self, to) {
            (Awarded | Rejected | Withdrawn, _) => "it is decided and stays as it is",
            (_, Shortlisted | Awarded | Rejected | Withdrawn) if not_sent => "submit it first",
            (_, Failed) => "only a queued bid can fail",
            (_, Draft | Queued) if !not_sent => "it is already with the client; withdraw it instead",
            (Failed, Submitted) => "queue it again or move it back to draft first",
            (Shortlisted, Submitted) => "it is already past submitted",
            _ => "that move is not part of a bid's life",
        })
    }

    /// Why a bid a marketplace holds (or that is on its way to one) cannot be moved to `to` by hand.
    pub fn marketplace_owned_reason(to: BidStatus) -> &'static str {
        if to.decided_by_marketplace() {
            "the marketplace decides this; it arrives with sync"
        } else {
            "it is with the marketplace or on its way there; withdraw it instead"
        }
    }
}

/// The lifecycle as data for the UI: ui/src/bindings/BidLifecycle.ts.
pub(crate) fn typescript() -> String {
    let list = |keep: fn(BidStatus) -> bool| -> String {
        let names: Vec<String> = BidStatus::ALL.iter().filter(|s| keep(**s)).map(|s| format!("\"{s}\"")).collect();
        format!("[{}]", names.join(", "))
    };
    let per_status = |cells: &dyn Fn(BidStatus) -> String| -> String {
        let rows: Vec<String> = BidStatus::ALL.iter().map(|&from| format!("  {from}: {},", cells(from))).collect();
        rows.join("\n")
    };
    let moves = per_status(&|from| {
        let to: Vec<String> =
            BidStatus::ALL.iter().filter(|&&to| from.can_move_to(to)).map(|to| format!("\"{to}\"")).collect();
        format!("[{}]", to.join(", "))
    });
    let refusals = per_status(&|from| {
        let why: Vec<String> =
            BidStatus::ALL.iter().filter_map(|&to| Some(format!("{to}: \"{}\"", from.refusal(to)?))).collect();
        format!("{{ {} }}", why.join(", "))
    });
    let owned: Vec<String> =
        BidStatus::ALL.iter().map(|&to| format!("  {to}: \"{}\",", BidStatus::marketplace_owned_reason(to))).collect();
    format!(
        "// Generated from crates/core/src/bid_lifecycle.rs. Do not edit.\n\
         import type {{ BidStatus }} from \"./BidStatus\";\n\n\
         /** Every status, in the order of a bid's life. */\n\
         export const BID_STATUSES: BidStatus[] = {all};\n\n\
         /** The moves the core allows (it still decides each one). */\n\
         export const BID_MOVES: Record<BidStatus, BidStatus[]> = {{\n{moves}\n}};\n\n\
         /** Why each move that is not allowed is refused. */\n\
         export const BID_REFUSALS: Record<BidStatus, Partial<Record<BidStatus, string>>> = {{\n{refusals}\n}};\n\n\
         /** A bid a marketplace holds gets these only from it (a hand move is refused with \"marketplace_owned\"). */\n\
         export const MARKETPLACE_DECIDES: BidStatus[] = {decides};\n\n\
         /** Why a marketplace's bid cannot be moved to a status by hand. */\n\
         export const MARKETPLACE_OWNED_REASONS: Record<BidStatus, string> = {{\n{owned}\n}};\n\n\
         /** Bids that can be submitted to their marketplace (or recorded as placed there). */\n\
         export const SUBMITTABLE: BidStatus[] = {submittable};\n\n\
         /** Bids out there or on their way, which can be withdrawn. */\n\
         export const WITHDRAWABLE: BidStatus[] = {withdrawable};\n\n\
         /** Decided bids: their terms no longer change. */\n\
         export const TERMINAL: BidStatus[] = {terminal};\n\n\
         /** Bids whose changed terms are sent to the marketplace holding them. */\n\
         export const SENDS_EDITS: BidStatus[] = {sends_edits};\n",
        all = list(|_| true),
        decides = list(BidStatus::decided_by_marketplace),
        submittable = list(BidStatus::is_submittable),
        withdrawable = list(BidStatus::is_withdrawable),
        terminal = list(BidStatus::is_terminal),
        sends_edits = list(BidStatus::sends_edits),
        owned = owned.join("\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refused_move_has_a_reason_and_no_allowed_move_has_one() {
        for &from in BidStatus::ALL {
            for &to in BidStatus::ALL {
                assert_eq!(from.refusal(to).is_none(), from == to || from.can_move_to(to), "{from} → {to}");
            }
        }
        assert_eq!(Draft.refusal(Awarded), Some("submit it first"));
        assert_eq!(Submitted.refusal(Draft), Some("it is already with the client; withdraw it instead"));
        assert_eq!(Withdrawn.refusal(Draft), Some("it is decided and stays as it is"));
    }

    #[test]
    fn a_bid_is_either_submittable_withdrawable_or_decided() {
        for &s in BidStatus::ALL {
            let kinds = [s.is_submittable(), s.is_withdrawable(), s.is_terminal()];
            assert_eq!(kinds.iter().filter(|k| **k).count(), 1, "{s}");
        }
    }
}
