-- Why: marketplaces whose API terms limit how long their postings may be
-- kept (Upwork: 24 hours). `fetched_at` is when a job was last fetched from
-- its marketplace; a posting the user has not acted on (no bid, not saved, no
-- note, task or client of theirs) is deleted that long after it. NULL for
-- jobs the user made, and for jobs pulled before this version (they count
-- from their last update).
ALTER TABLE jobs ADD COLUMN fetched_at TEXT;
UPDATE jobs SET fetched_at = updated_at WHERE external_id IS NOT NULL;
