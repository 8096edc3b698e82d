-- Why: a home currency (issue #15 part 6). The dashboard converts pipeline
-- totals into the currency the user picks, at rates the user keeps: typed by
-- hand or imported from a file such as the ECB's reference rates. A rate says
-- how many units of `currency` one unit of `base` buys on `rate_date`; it is
-- kept as the decimal text it was given (never a float), with where it came
-- from ('hand' or the imported file's name) and when it was entered. One rate
-- per base, currency and day: entering it again replaces it. Not synced.

CREATE TABLE exchange_rates (
    id         TEXT PRIMARY KEY NOT NULL,
    base       TEXT NOT NULL,
    currency   TEXT NOT NULL,
    rate       TEXT NOT NULL,
    rate_date  TEXT NOT NULL,
    source     TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    UNIQUE (base, currency, rate_date)
);
