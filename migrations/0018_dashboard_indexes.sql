-- Why: the dashboard at a million records (issue #16 part 3). Its figures
-- aggregate whole tables, and no index held the columns they add up, so
-- each figure read every bid (proposals included) or every milestone: 1.5 s
-- at 1 M records. These two covering partial indexes hold exactly the
-- columns each query reads, so each figure becomes an index-only scan of a
-- few MB (the pipeline's in the order of its GROUP BY). The columns of the WHERE clause
-- come last although the index's own WHERE fixes them: SQLite reads the
-- table for any column the statement names that the index does not hold.

-- Pipeline (status, currency: count and sum) and win rate (awarded and
-- rejected bids by month of their last change).
CREATE INDEX bids_for_dashboard ON bids (status, currency, amount_minor, updated_at, deleted_at)
    WHERE deleted_at IS NULL;

-- Earnings: released milestones by month and currency.
CREATE INDEX milestones_released ON milestones (updated_at, currency, amount_minor, status, deleted_at)
    WHERE deleted_at IS NULL AND status = 'released';
