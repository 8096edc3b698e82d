-- Why: the user's "marketing from marketplaces" choice goes to each connected
-- marketplace once per change, not on every sync. This remembers, per
-- account, the choice the marketplace last acknowledged; no row means it
-- never did, so the next sync sends the choice. Kept apart from
-- market_accounts (no foreign key) so that table can change on its own.
CREATE TABLE market_consent_acks (
    account_id      TEXT PRIMARY KEY NOT NULL,
    marketing       INTEGER NOT NULL CHECK (marketing IN (0, 1)),
    acknowledged_at TEXT NOT NULL
);
