-- Why: the bids board lists every bid most recently changed first, and the
-- tasks screen lists finished tasks the same way. Neither order had an index,
-- so each page read the whole table and sorted it before keeping a few rows.
-- These follow clients_by_updated: the live rows (and for tasks, the finished
-- ones, as tasks_by_due holds the open ones) in the order the list pages walk.

CREATE INDEX bids_by_updated ON bids (updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_done_by_updated ON tasks (updated_at, id) WHERE deleted_at IS NULL AND done_at IS NOT NULL;
