-- Why: the dashboard and the task list count the open tasks that are
-- overdue, due today, upcoming and undated. At 1 M records each count
-- walked its range of tasks_by_due, every open task's entry: 1 ms warm and
-- 6-15 cold, the largest part of the dashboard's command once its earnings
-- were kept (0024), and of the task list's first visit (issue #16 part 3).
-- The boundaries move with the clock and the user's zone, so no count can
-- be kept as it is; the open tasks per day of their due time can. A count
-- of tasks due before a moment is then the kept days before its day plus
-- that day's tasks due before it, read from tasks_by_due
-- (crates/core/src/store/tasks.rs). Kept like bid_totals (0020), checked
-- and rebuilt with them (crates/core/src/store/kept_totals.rs). No UPSERT
-- or OR IGNORE, for the reason 0020 gives.

CREATE TABLE open_task_days (
    -- "YYYY-MM-DD" of the task's due_at (UTC, as stored), or '' for the
    -- tasks without a due time, which sorts before every day.
    day   TEXT NOT NULL PRIMARY KEY,
    -- Open (not done, not deleted) tasks due that day.
    tasks INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO open_task_days (day, tasks)
    SELECT coalesce(substr(due_at, 1, 10), ''), count(*) FROM tasks
    WHERE deleted_at IS NULL AND done_at IS NULL GROUP BY 1;

CREATE TRIGGER open_task_days_insert AFTER INSERT ON tasks
WHEN new.deleted_at IS NULL AND new.done_at IS NULL
BEGIN
    INSERT INTO open_task_days (day, tasks)
        SELECT coalesce(substr(new.due_at, 1, 10), ''), 0
        WHERE NOT EXISTS (SELECT 1 FROM open_task_days WHERE day = coalesce(substr(new.due_at, 1, 10), ''));
    UPDATE open_task_days SET tasks = tasks + 1 WHERE day = coalesce(substr(new.due_at, 1, 10), '');
END;

CREATE TRIGGER open_task_days_update AFTER UPDATE OF due_at, done_at, deleted_at ON tasks
WHEN (old.deleted_at IS NULL AND old.done_at IS NULL) OR (new.deleted_at IS NULL AND new.done_at IS NULL)
BEGIN
    UPDATE open_task_days SET tasks = tasks - 1
        WHERE old.deleted_at IS NULL AND old.done_at IS NULL AND day = coalesce(substr(old.due_at, 1, 10), '');
    DELETE FROM open_task_days WHERE day = coalesce(substr(old.due_at, 1, 10), '') AND tasks = 0;
    INSERT INTO open_task_days (day, tasks)
        SELECT coalesce(substr(new.due_at, 1, 10), ''), 0
        WHERE new.deleted_at IS NULL AND new.done_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM open_task_days WHERE day = coalesce(substr(new.due_at, 1, 10), ''));
    UPDATE open_task_days SET tasks = tasks + 1
        WHERE new.deleted_at IS NULL AND new.done_at IS NULL AND day = coalesce(substr(new.due_at, 1, 10), '');
END;

CREATE TRIGGER open_task_days_delete AFTER DELETE ON tasks
WHEN old.deleted_at IS NULL AND old.done_at IS NULL
BEGIN
    UPDATE open_task_days SET tasks = tasks - 1 WHERE day = coalesce(substr(old.due_at, 1, 10), '');
    DELETE FROM open_task_days WHERE day = coalesce(substr(old.due_at, 1, 10), '') AND tasks = 0;
END;
