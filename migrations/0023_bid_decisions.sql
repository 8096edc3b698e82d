-- Why: the dashboard's win rate counts the awarded and rejected bids by
-- the month of their last change. At 1 M records that walked the window's
-- decided bids in bids_by_status_updated at every visit, 10-18 ms in the
-- app, where the pool's connections take turns and a visit mostly finds
-- its pages cold (issue #16 part 3: the first visit of the dashboard was
-- over the 100 ms aim). These counts are kept as bids are written, like
-- bid_totals (0020), so the dashboard reads one row a month. `bidwell doctor` and Settings' "Bid
-- totals: Check and repair" compare them with the bids and rebuild them
-- (crates/core/src/store/bids.rs). No UPSERT or OR IGNORE, for the reason
-- 0020 gives.

CREATE TABLE bid_decisions (
    -- "YYYY-MM" of the bid's updated_at: the month the dashboard shows it in.
    month    TEXT NOT NULL PRIMARY KEY,
    -- Live (not deleted) bids in that month, by status.
    awarded  INTEGER NOT NULL,
    rejected INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO bid_decisions (month, awarded, rejected)
    SELECT substr(updated_at, 1, 7), sum(status = 'awarded'), sum(status = 'rejected') FROM bids
    WHERE deleted_at IS NULL AND status IN ('awarded', 'rejected') GROUP BY 1;

CREATE TRIGGER bid_decisions_insert AFTER INSERT ON bids
WHEN new.deleted_at IS NULL AND new.status IN ('awarded', 'rejected')
BEGIN
    INSERT INTO bid_decisions (month, awarded, rejected)
        SELECT substr(new.updated_at, 1, 7), 0, 0
        WHERE NOT EXISTS (SELECT 1 FROM bid_decisions WHERE month = substr(new.updated_at, 1, 7));
    UPDATE bid_decisions
        SET awarded = awarded + (new.status = 'awarded'), rejected = rejected + (new.status = 'rejected')
        WHERE month = substr(new.updated_at, 1, 7);
END;

-- Every edit of a bid changes its updated_at, so the WHEN keeps the
-- trigger to bids that were or become decided.
CREATE TRIGGER bid_decisions_update AFTER UPDATE OF status, updated_at, deleted_at ON bids
WHEN (old.deleted_at IS NULL AND old.status IN ('awarded', 'rejected'))
  OR (new.deleted_at IS NULL AND new.status IN ('awarded', 'rejected'))
BEGIN
    UPDATE bid_decisions
        SET awarded = awarded - (old.status = 'awarded'), rejected = rejected - (old.status = 'rejected')
        WHERE old.deleted_at IS NULL AND old.status IN ('awarded', 'rejected')
          AND month = substr(old.updated_at, 1, 7);
    DELETE FROM bid_decisions WHERE month = substr(old.updated_at, 1, 7) AND awarded = 0 AND rejected = 0;
    INSERT INTO bid_decisions (month, awarded, rejected)
        SELECT substr(new.updated_at, 1, 7), 0, 0
        WHERE new.deleted_at IS NULL AND new.status IN ('awarded', 'rejected')
          AND NOT EXISTS (SELECT 1 FROM bid_decisions WHERE month = substr(new.updated_at, 1, 7));
    UPDATE bid_decisions
        SET awarded = awarded + (new.status = 'awarded'), rejected = rejected + (new.status = 'rejected')
        WHERE new.deleted_at IS NULL AND new.status IN ('awarded', 'rejected')
          AND month = substr(new.updated_at, 1, 7);
END;

CREATE TRIGGER bid_decisions_delete AFTER DELETE ON bids
WHEN old.deleted_at IS NULL AND old.status IN ('awarded', 'rejected')
BEGIN
    UPDATE bid_decisions
        SET awarded = awarded - (old.status = 'awarded'), rejected = rejected - (old.status = 'rejected')
        WHERE month = substr(old.updated_at, 1, 7);
    DELETE FROM bid_decisions WHERE month = substr(old.updated_at, 1, 7) AND awarded = 0 AND rejected = 0;
END;
