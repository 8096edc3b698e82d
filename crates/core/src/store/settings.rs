//! The `settings` table: one text value per key, for what the workspace
//! remembers about itself (preferences, when retention and reminders last
//! ran, the demo account, an unconfirmed recovery key, an opt-out's pending
//! clean-up). Each owner keeps its own key and value format.

use chrono::{DateTime, Utc};
use sqlx::{Executor, Sqlite};

use crate::error::Result;

pub(crate) async fn get<'c>(db: impl Executor<'c, Database = Sqlite>, key: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = ?").bind(key).fetch_optional(db).await?)
}

pub(crate) async fn put<'c>(
    db: impl Executor<'c, Database = Sqlite>,
    key: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

pub(crate) async fn remove<'c>(db: impl Executor<'c, Database = Sqlite>, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM settings WHERE key = ?").bind(key).execute(db).await?;
    Ok(())
}
