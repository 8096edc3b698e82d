-- Why: a task can repeat (issue #15, "Tasks that follow up"). Completing a
-- repeating task makes its next occurrence, one period later; NULL is a
-- task that happens once, which every task before this version was.
ALTER TABLE tasks ADD COLUMN repeat TEXT
    CHECK (repeat IS NULL OR repeat IN ('daily', 'weekly', 'monthly'));
-- `repeat_of` is the occurrence whose completion made this one, so that
-- undoing that "done" removes it again instead of leaving a duplicate.
ALTER TABLE tasks ADD COLUMN repeat_of TEXT;
CREATE INDEX tasks_repeat_of ON tasks (repeat_of) WHERE repeat_of IS NOT NULL;
