-- Why: accounts on real marketplaces (issue #14). `kind` says which wire
-- format the account speaks and so which adapter talks to it. `sign_in`
-- (JSON, nothing secret) says where the account signs in with OAuth and as
-- which registered app: authorize, token and revocation URLs, scope, client
-- id. NULL for an account connected with a pasted token. The secrets (access
-- and refresh token, client secret) stay where the token always was: the OS
-- keychain, or `token_secret` in this encrypted database.
-- `access_expires_at` is when the access token stops working, if the
-- marketplace said; sync refreshes it shortly before.
ALTER TABLE market_accounts ADD COLUMN kind TEXT NOT NULL DEFAULT 'bidwell'
    CHECK (kind IN ('bidwell', 'freelancer', 'upwork'));
ALTER TABLE market_accounts ADD COLUMN sign_in TEXT;
ALTER TABLE market_accounts ADD COLUMN access_expires_at TEXT;
