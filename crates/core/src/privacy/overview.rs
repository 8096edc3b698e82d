//! The privacy overview: one call that answers "where is my data, how is it
//! protected, how much is there, and what have I agreed to" for Settings →
//! Privacy and `bidwell privacy status`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::analytics::AnalyticsStatus;
use super::consent::{self, ConsentState};
use super::retention::RetentionStatus;
use crate::audit;
use crate::domain::EntityKind;
use crate::error::Result;
use crate::vault::ProtectionKind;
use crate::workspace::WorkspacePaths;
use crate::Workspace;

/// One file of the workspace and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct StoredFile {
    pub path: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EncryptionInfo {
    /// The page cipher and its authentication.
    pub cipher: String,
    pub sqlcipher_version: String,
    pub crypto_provider: String,
    /// How the data key is wrapped in the key file.
    pub key_wrapping: String,
    /// Where the wrapping key comes from: the OS keychain or a passphrase.
    pub key_storage: ProtectionKind,
    pub keychain_backend: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PrivacyOverview {
    pub workspace_name: String,
    pub paths: WorkspacePaths,
    pub files: Vec<StoredFile>,
    pub encryption: EncryptionInfo,
    /// Live records per kind (soft-deleted ones are in `deleted`).
    pub counts: BTreeMap<EntityKind, i64>,
    pub deleted: BTreeMap<EntityKind, i64>,
    /// Payments of erased clients, kept anonymized.
    pub kept_anonymized: i64,
    /// The time of the latest `export` in the audit log.
    pub last_export_at: Option<DateTime<Utc>>,
    pub consents: Vec<ConsentState>,
    pub restricted_clients: i64,
    pub analytics: AnalyticsStatus,
    pub retention: RetentionStatus,
    pub audit_entries: i64,
    /// The encrypted backup snapshots: where, how many, how large. They
    /// hold everything the workspace held when taken; erasures reach them.
    pub backups: crate::backup::BackupOverview,
}

impl Workspace {
    pub async fn privacy_overview(&self) -> Result<PrivacyOverview> {
        let pool = self.pool().await;
        let mut conn = pool.acquire().await?;
        let mut counts = BTreeMap::new();
        let mut deleted = BTreeMap::new();
        for kind in EntityKind::ALL {
            let table = crate::store::table(*kind);
            let (live, gone): (i64, i64) = sqlx::query_as(&format!(
                "SELECT count(*) FILTER (WHERE deleted_at IS NULL), count(*) FILTER (WHERE deleted_at IS NOT NULL) \
                 FROM {table}"
            ))
            .fetch_one(&mut *conn)
            .await?;
            counts.insert(*kind, live);
            deleted.insert(*kind, gone);
        }
        let kept_anonymized: i64 = sqlx::query_scalar("SELECT count(*) FROM milestones WHERE kept_reason IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
        let last_export_at: Option<DateTime<Utc>> =
            sqlx::query_scalar("SELECT at FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1")
                .bind(audit::action::EXPORT)
                .fetch_optional(&mut *conn)
                .await?;
        let audit_entries: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&mut *conn).await?;
        let sqlcipher_version: Option<String> =
            sqlx::query_scalar("PRAGMA cipher_version").fetch_optional(&mut *conn).await?;
        let provider: Option<String> = sqlx::query_scalar("PRAGMA cipher_provider").fetch_optional(&mut *conn).await?;
        let provider_version: Option<String> =
            sqlx::query_scalar("PRAGMA cipher_provider_version").fetch_optional(&mut *conn).await?;
        let hmac: Option<String> =
            sqlx::query_scalar("PRAGMA cipher_hmac_algorithm").fetch_optional(&mut *conn).await?;
        let consents = consent::states(&mut conn, None).await?;
        drop(conn);
        let (workspace_name, protection) = self.key_file_info().await;
        let paths = self.paths().clone();
        let mut files = Vec::new();
        for path in [paths.key_file.clone()].into_iter().chain(paths.database_files()) {
            if let Ok(meta) = std::fs::metadata(&path) {
                files.push(StoredFile { path: path.display().to_string(), bytes: meta.len() });
            }
        }
        Ok(PrivacyOverview {
            workspace_name,
            files,
            encryption: EncryptionInfo {
                // SQLCipher 4 encrypts every page with AES-256-CBC; the HMAC is read back.
                cipher: format!("AES-256-CBC, {} per page", hmac.unwrap_or_else(|| "HMAC".into()).replace('_', "-")),
                sqlcipher_version: sqlcipher_version.unwrap_or_default(),
                crypto_provider: format!("{} {}", provider.unwrap_or_default(), provider_version.unwrap_or_default())
                    .trim()
                    .to_string(),
                key_wrapping: "AES-256-GCM".into(),
                key_storage: protection,
                keychain_backend: self.env().keychain.backend().to_string(),
            },
            paths,
            counts,
            deleted,
            kept_anonymized,
            last_export_at,
            consents,
            restricted_clients: self.restricted_client_count().await?,
            analytics: self.analytics_status().await?,
            retention: self.retention().await?,
            audit_entries,
            backups: self.backup_overview().await?,
        })
    }
}
