//! What Settings → Backups and the overdue banner show, in one read: the
//! folder in use, the overdue rule and whether it is met, the last good
//! backup and the snapshots (newest first). The last failure of the app's
//! daily backup is the [`crate::Session`]'s to add: the workspace does not
//! know who called it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::BackupInfo;
use crate::error::{ApiError, Result};
use crate::Workspace;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct BackupStatus {
    /// The folder new snapshots go to.
    pub folder: PathBuf,
    /// Days without a good backup after which one is overdue (1 to 365).
    pub overdue_days: i64,
    pub overdue: bool,
    /// The time of the newest complete snapshot.
    pub last_good: Option<DateTime<Utc>>,
    /// Newest first.
    pub backups: Vec<BackupInfo>,
    /// Why the last backup the app took (daily or "Back up now") failed,
    /// until one succeeds.
    pub last_error: Option<ApiError>,
}

impl Workspace {
    /// The backups as Settings shows them (without the app's last error).
    pub async fn backup_status(&self) -> Result<BackupStatus> {
        let mut backups = self.list_backups().await?;
        backups.reverse();
        Ok(BackupStatus {
            folder: self.backup_folder().await?,
            overdue_days: self.backup_overdue_days().await?,
            overdue: self.backup_overdue().await?,
            last_good: backups.iter().find(|b| b.complete).map(|b| b.manifest.taken_at),
            backups,
            last_error: None,
        })
    }
}
