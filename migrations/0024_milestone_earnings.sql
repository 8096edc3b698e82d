-- Why: the dashboard's earnings add up the released milestones by the
-- month of their last change and currency. At 1 M records that walked a
-- year of them in milestones_released (0018) at every visit: 5 ms warm, 8
-- cold, the largest part of the dashboard's command (issue #16 part 3: its
-- first visit at the 100 ms aim). These sums are kept as milestones are
-- written, like bid_totals (0020) and bid_decisions (0023), so the dashboard
-- reads a row a month and currency. `bidwell doctor` and Settings'
-- "Board and dashboard totals: Check and repair" compare them with the
-- milestones and rebuild them (crates/core/src/store/kept_totals.rs). No
-- UPSERT or OR IGNORE, for the reason 0020 gives. Nothing else read
-- milestones_released, and each milestone written no longer updates it.

CREATE TABLE milestone_earnings (
    -- "YYYY-MM" of the milestone's updated_at: the month the dashboard shows it in.
    month        TEXT NOT NULL,
    currency     TEXT NOT NULL,
    -- Live (not deleted) released milestones in that month and currency, and their amounts.
    milestones   INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (month, currency)
) WITHOUT ROWID;

INSERT INTO milestone_earnings (month, currency, milestones, amount_minor)
    SELECT substr(updated_at, 1, 7), currency, count(*), sum(amount_minor) FROM milestones
    WHERE deleted_at IS NULL AND status = 'released' GROUP BY 1, 2;

CREATE TRIGGER milestone_earnings_insert AFTER INSERT ON milestones
WHEN new.deleted_at IS NULL AND new.status = 'released'
BEGIN
    INSERT INTO milestone_earnings (month, currency, milestones, amount_minor)
        SELECT substr(new.updated_at, 1, 7), new.currency, 0, 0
        WHERE NOT EXISTS (SELECT 1 FROM milestone_earnings
                          WHERE month = substr(new.updated_at, 1, 7) AND currency = new.currency);
    UPDATE milestone_earnings SET milestones = milestones + 1, amount_minor = amount_minor + new.amount_minor
        WHERE month = substr(new.updated_at, 1, 7) AND currency = new.currency;
END;

-- Every edit of a milestone changes its updated_at, so the WHEN keeps the
-- trigger to milestones that were or become released.
CREATE TRIGGER milestone_earnings_update
AFTER UPDATE OF status, currency, amount_minor, updated_at, deleted_at ON milestones
WHEN (old.deleted_at IS NULL AND old.status = 'released') OR (new.deleted_at IS NULL AND new.status = 'released')
BEGIN
    UPDATE milestone_earnings SET milestones = milestones - 1, amount_minor = amount_minor - old.amount_minor
        WHERE old.deleted_at IS NULL AND old.status = 'released'
          AND month = substr(old.updated_at, 1, 7) AND currency = old.currency;
    DELETE FROM milestone_earnings
        WHERE month = substr(old.updated_at, 1, 7) AND currency = old.currency AND milestones = 0;
    INSERT INTO milestone_earnings (month, currency, milestones, amount_minor)
        SELECT substr(new.updated_at, 1, 7), new.currency, 0, 0
        WHERE new.deleted_at IS NULL AND new.status = 'released'
          AND NOT EXISTS (SELECT 1 FROM milestone_earnings
                          WHERE month = substr(new.updated_at, 1, 7) AND currency = new.currency);
    UPDATE milestone_earnings SET milestones = milestones + 1, amount_minor = amount_minor + new.amount_minor
        WHERE new.deleted_at IS NULL AND new.status = 'released'
          AND month = substr(new.updated_at, 1, 7) AND currency = new.currency;
END;

CREATE TRIGGER milestone_earnings_delete AFTER DELETE ON milestones
WHEN old.deleted_at IS NULL AND old.status = 'released'
BEGIN
    UPDATE milestone_earnings SET milestones = milestones - 1, amount_minor = amount_minor - old.amount_minor
        WHERE month = substr(old.updated_at, 1, 7) AND currency = old.currency;
    DELETE FROM milestone_earnings
        WHERE month = substr(old.updated_at, 1, 7) AND currency = old.currency AND milestones = 0;
END;

DROP INDEX milestones_released;
