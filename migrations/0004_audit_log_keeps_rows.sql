-- Why: 0002 refused edits to the audit log but not deletions, so an entry
-- could be removed from the end of the chain without breaking it. The log
-- only ever grows; wiping the workspace destroys the whole database instead.

CREATE TRIGGER audit_log_keeps_rows BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log keeps every entry');
END;
