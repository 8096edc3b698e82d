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
    /// Newest first; empty when the folder could not be read.
    pub backups: Vec<BackupInfo>,
    /// Why the folder could not be read (unplugged, not a folder): the
    /// screen still opens, says so and lets the user choose another.
    pub folder_error: Option<ApiError>,
    /// Why the last backup the app took (daily or "Back up now") failed,
    /// until one succeeds.
    pub last_error: Option<ApiError>,
}

impl Workspace {
    /// The backups as Settings shows them (without the app's last error).
    pub async fn backup_status(&self) -> Result<BackupStatus> {
        let (mut backups, folder_error) = match self.list_backups().await {
            Ok(backups) => (backups, None),
            Err(err) => (Vec::new(), Some(err.to_api())),
        };
        backups.reverse();
        // No readable snapshot is no good backup.
        let overdue = folder_error.is_some() || self.backup_overdue().await?;
        Ok(BackupStatus {
            folder: self.backup_folder().await?,
            overdue_days: self.backup_overdue_days().await?,
            overdue,
            last_good: backups.iter().find(|b| b.complete).map(|b| b.manifest.taken_at),
            backups,
            folder_error,
            last_error: None,
        })
    }
}
