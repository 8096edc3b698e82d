//! Integration tests of bidwell-core against real SQLCipher files in temp
//! directories, and the real OS keychain where one is running.

mod bindings;
mod dashboard;
mod demo_market;
mod entities;
mod migrations;
mod portability;
mod privacy;
mod reminders;
mod search;
mod seed;
mod session;
mod support;
mod sync;
mod sync_timer;
mod vault;
