//! Integration tests of bidwell-core against real SQLCipher files in temp
//! directories, and the real OS keychain where one is running.

mod address_books;
mod backup;
mod bid_market_account;
mod bindings;
mod dashboard;
mod demo_market;
mod entities;
mod export_protection;
mod import_limits;
mod integrity;
mod job_fit;
mod lock_wins;
mod market_accounts;
mod market_kinds;
mod market_statuses;
mod migrations;
mod milestone_percentage;
mod portability;
mod privacy;
mod process;
mod process_lock;
mod recovery_confirmation;
mod reminders;
mod search;
mod seed;
mod session;
mod support;
mod sync;
mod sync_bounds;
mod sync_flight;
mod sync_privacy;
mod sync_timer;
mod ui_rules;
mod vault;
mod wipe;
