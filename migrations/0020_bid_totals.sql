-- Why: the bids board's column counts and the dashboard's pipeline add up
-- every live bid by status (and currency, with the amounts), and at 1 M
-- records even an index-only walk of 150 000 bids took 70 ms each time a
-- user pressed Alt+1 or Alt+5 (issue #16 part 3). These totals are kept as
-- bids are written, so both read a few rows. Triggers keep them on every
-- path that writes `bids` (forms, imports, sync, erasure, a job's deletion
-- cascading to its bids); `bidwell doctor` compares them with the table and
-- rebuilds them if they disagree (crates/core/src/store/bids.rs).
-- Written without UPSERT or OR IGNORE: inside a trigger fired by an upsert
-- (sync writes bids so), SQLite applies the outer statement's conflict
-- handling (see 0017).

CREATE TABLE bid_totals (
    status       TEXT NOT NULL,
    currency     TEXT NOT NULL,
    -- Live (not deleted) bids in this status and currency, and their amounts.
    bids         INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (status, currency)
) WITHOUT ROWID;

INSERT INTO bid_totals (status, currency, bids, amount_minor)
    SELECT status, currency, count(*), sum(amount_minor) FROM bids WHERE deleted_at IS NULL GROUP BY status, currency;

CREATE TRIGGER bid_totals_insert AFTER INSERT ON bids WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO bid_totals (status, currency, bids, amount_minor)
        SELECT new.status, new.currency, 0, 0
        WHERE NOT EXISTS (SELECT 1 FROM bid_totals WHERE status = new.status AND currency = new.currency);
    UPDATE bid_totals SET bids = bids + 1, amount_minor = amount_minor + new.amount_minor
        WHERE status = new.status AND currency = new.currency;
END;

CREATE TRIGGER bid_totals_update AFTER UPDATE OF status, currency, amount_minor, deleted_at ON bids
BEGIN
    UPDATE bid_totals SET bids = bids - 1, amount_minor = amount_minor - old.amount_minor
        WHERE old.deleted_at IS NULL AND status = old.status AND currency = old.currency;
    DELETE FROM bid_totals WHERE old.deleted_at IS NULL AND status = old.status AND currency = old.currency AND bids = 0;
    INSERT INTO bid_totals (status, currency, bids, amount_minor)
        SELECT new.status, new.currency, 0, 0
        WHERE new.deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM bid_totals WHERE status = new.status AND currency = new.currency);
    UPDATE bid_totals SET bids = bids + 1, amount_minor = amount_minor + new.amount_minor
        WHERE new.deleted_at IS NULL AND status = new.status AND currency = new.currency;
END;

CREATE TRIGGER bid_totals_delete AFTER DELETE ON bids WHEN old.deleted_at IS NULL
BEGIN
    UPDATE bid_totals SET bids = bids - 1, amount_minor = amount_minor - old.amount_minor
        WHERE status = old.status AND currency = old.currency;
    DELETE FROM bid_totals WHERE status = old.status AND currency = old.currency AND bids = 0;
END;
