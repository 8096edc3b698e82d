-- Why: the bids board reads each column (one status) on its own, a page at
-- a time (issue #16 part 3), latest change first as the whole board always
-- showed it: a bid just moved or edited leads its column. Without this
-- index SQLite sorted every bid of the status for each page (up to 40 000
-- at 1 M records); with it, a page reads only the bids it shows. It also
-- serves the dashboard's win rate (awarded and rejected bids changed since
-- a day) from the index alone, which is why it ends with `deleted_at`
-- (see 0018: SQLite reads the table for a column the index lacks).
CREATE INDEX bids_by_status_updated ON bids (status, updated_at, id, deleted_at) WHERE deleted_at IS NULL;
