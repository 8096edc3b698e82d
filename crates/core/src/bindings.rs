//! The TypeScript types the UI imports, generated from the Rust types that
//! cross the IPC boundary. `ui/src/bindings` holds the generated files; a test
//! fails when they are stale (`BIDWELL_UPDATE_BINDINGS=1 cargo test -p
//! bidwell-core bindings` rewrites them).

use ts_rs::{Config, TS};

use crate::audit::{AuditEntry, AuditVerification};
use crate::backup::{
    BackupInfo, BackupManifest, BackupOverview, BackupReason, BackupStatus, BackupVerification, RestoreReport,
};
use crate::dashboard::{Dashboard, Earning, HomeEarning, HomePipeline, HomeValue, PipelineValue, TaskCounts, WinRate};
use crate::domain::*;
use crate::error::{ApiError, ErrorCode, ImportLocation};
use crate::id::Id;
use crate::money::Money;
use crate::portability::{
    ArchiveContainer, ChosenFile, ColumnMapping, CsvMapping, ExportOptions, ExportScope, ExportSummary, FileKind,
    IcsExportSummary, ImportKind, ImportOptions, ImportSummary, PasswordStrength, RecordCounts, UnmappedColumns,
    UnmappedField, VcardExportSummary,
};
use crate::preferences::{Preferences, Theme};
use crate::privacy::*;
use crate::rates::{ExchangeRate, NewExchangeRate, RateImportSummary};
use crate::recovery_confirmation::{RecoveryKeyOrigin, UnconfirmedRecoveryKey};
use crate::search::{SearchHit, SearchIndexReport};
use crate::seed::SeedSummary;
use crate::session::{SessionState, SignInStarted};
use crate::store::*;
use crate::sync::{
    AccountRemoval, AccountStatus, BidTerms, Capabilities, ConnectionState, ErasureRequestOutcome, FailedChange,
    MarketAccount, MarketKind, MarketKindInfo, NewMarketAccount, OutboxEntry, Resolution, SavedSearch, SignInSettings,
    SyncConflict, SyncReport, SyncStatus, TransparencyEntry,
};
use crate::vault::ProtectionKind;
use crate::work::Progress;
use crate::workspace::{DoctorReport, IntegrityOutcome, WorkspacePaths, WorkspaceState};

/// i64 money amounts and counts travel as JSON numbers; amounts stay far below 2^53.
pub fn config() -> Config {
    Config::new().with_large_int("number")
}

fn file<T: TS + 'static>(cfg: &Config) -> (String, String) {
    let text = T::export_to_string(cfg).unwrap_or_else(|e| panic!("{} has no TypeScript binding: {e}", T::ident(cfg)));
    (format!("{}.ts", T::ident(cfg)), text)
}

/// Every generated file: (file name, contents).
pub fn files() -> Vec<(String, String)> {
    let cfg = config();
    // The generic Page<T> is exported once; the UI spells `Page<Client>` etc.
    vec![
        file::<ApiError>(&cfg),
        file::<ErrorCode>(&cfg),
        file::<ProtectionKind>(&cfg),
        file::<WorkspaceState>(&cfg),
        file::<WorkspacePaths>(&cfg),
        file::<DoctorReport>(&cfg),
        file::<BackupReason>(&cfg),
        file::<BackupManifest>(&cfg),
        file::<BackupInfo>(&cfg),
        file::<BackupVerification>(&cfg),
        file::<RestoreReport>(&cfg),
        file::<BackupOverview>(&cfg),
        file::<BackupStatus>(&cfg),
        file::<IntegrityOutcome>(&cfg),
        file::<AuditEntry>(&cfg),
        file::<Id>(&cfg),
        file::<Money>(&cfg),
        file::<Meta>(&cfg),
        file::<Origin>(&cfg),
        file::<EntityKind>(&cfg),
        file::<Subject>(&cfg),
        file::<ClientKind>(&cfg),
        file::<ProjectStatus>(&cfg),
        file::<RateType>(&cfg),
        file::<MarketJobStatus>(&cfg),
        file::<BidStatus>(&cfg),
        file::<MilestoneStatus>(&cfg),
        file::<ActivityKind>(&cfg),
        file::<Client>(&cfg),
        file::<Contact>(&cfg),
        file::<Project>(&cfg),
        file::<Job>(&cfg),
        file::<Bid>(&cfg),
        file::<Milestone>(&cfg),
        file::<Activity>(&cfg),
        file::<Task>(&cfg),
        file::<CustomFieldType>(&cfg),
        file::<CustomField>(&cfg),
        file::<NewCustomField>(&cfg),
        file::<CustomFieldPatch>(&cfg),
        file::<FieldFilter>(&cfg),
        file::<TaskRepeat>(&cfg),
        file::<NewClient>(&cfg),
        file::<ClientPatch>(&cfg),
        file::<ClientFilter>(&cfg),
        file::<NewContact>(&cfg),
        file::<ContactPatch>(&cfg),
        file::<ContactFilter>(&cfg),
        file::<NewProject>(&cfg),
        file::<ProjectPatch>(&cfg),
        file::<ProjectFilter>(&cfg),
        file::<NewJob>(&cfg),
        file::<JobPatch>(&cfg),
        file::<JobFilter>(&cfg),
        file::<NewBid>(&cfg),
        file::<BidPatch>(&cfg),
        file::<BidFilter>(&cfg),
        file::<BidStatusCount>(&cfg),
        file::<BidBoard>(&cfg),
        file::<BidColumnRequest>(&cfg),
        file::<KeptTotalsReport>(&cfg),
        file::<NewMilestone>(&cfg),
        file::<MilestonePatch>(&cfg),
        file::<MilestoneFilter>(&cfg),
        file::<NewActivity>(&cfg),
        file::<ActivityPatch>(&cfg),
        file::<ActivityFilter>(&cfg),
        file::<NewTask>(&cfg),
        file::<TaskPatch>(&cfg),
        file::<TaskFilter>(&cfg),
        file::<SubjectName>(&cfg),
        file::<Sort>(&cfg),
        file::<PageRequest>(&cfg),
        file::<Page<Client>>(&cfg),
        file::<ClientPageRequest>(&cfg),
        file::<ClientPage>(&cfg),
        file::<SearchHit>(&cfg),
        file::<SearchIndexReport>(&cfg),
        file::<PurgeReport>(&cfg),
        file::<SessionState>(&cfg),
        file::<UnconfirmedRecoveryKey>(&cfg),
        file::<RecoveryKeyOrigin>(&cfg),
        file::<Preferences>(&cfg),
        file::<Theme>(&cfg),
        file::<PipelineValue>(&cfg),
        file::<WinRate>(&cfg),
        file::<Earning>(&cfg),
        file::<TaskCounts>(&cfg),
        file::<HomeValue>(&cfg),
        file::<HomePipeline>(&cfg),
        file::<HomeEarning>(&cfg),
        file::<Dashboard>(&cfg),
        file::<ExchangeRate>(&cfg),
        file::<NewExchangeRate>(&cfg),
        file::<RateImportSummary>(&cfg),
        file::<ImportLocation>(&cfg),
        file::<FileKind>(&cfg),
        file::<ChosenFile>(&cfg),
        file::<RecordCounts>(&cfg),
        file::<ColumnMapping>(&cfg),
        file::<CsvMapping>(&cfg),
        file::<ExportOptions>(&cfg),
        file::<ArchiveContainer>(&cfg),
        file::<PasswordStrength>(&cfg),
        file::<ExportScope>(&cfg),
        file::<ExportSummary>(&cfg),
        file::<VcardExportSummary>(&cfg),
        file::<IcsExportSummary>(&cfg),
        file::<ImportKind>(&cfg),
        file::<ImportOptions>(&cfg),
        file::<ImportSummary>(&cfg),
        file::<UnmappedColumns>(&cfg),
        file::<UnmappedField>(&cfg),
        file::<AuditVerification>(&cfg),
        file::<KeepReason>(&cfg),
        file::<KeptRecord>(&cfg),
        file::<ErasureBlocker>(&cfg),
        file::<ErasurePlan>(&cfg),
        file::<WipeReport>(&cfg),
        file::<ConsentPurpose>(&cfg),
        file::<ProcessingBasis>(&cfg),
        file::<ConsentMethod>(&cfg),
        file::<ConsentRecord>(&cfg),
        file::<ConsentState>(&cfg),
        file::<ConsentChange>(&cfg),
        file::<AnalyticsStatus>(&cfg),
        file::<UsageCount>(&cfg),
        file::<UsageEvent>(&cfg),
        file::<UsageEventInfo>(&cfg),
        file::<QueuedUsage>(&cfg),
        file::<UsageTotal>(&cfg),
        file::<UsageDestination>(&cfg),
        file::<UsagePreview>(&cfg),
        file::<RetentionRules>(&cfg),
        file::<RetentionStatus>(&cfg),
        file::<RetentionSummary>(&cfg),
        file::<StoredFile>(&cfg),
        file::<EncryptionInfo>(&cfg),
        file::<PrivacyOverview>(&cfg),
        file::<Progress>(&cfg),
        file::<SeedSummary>(&cfg),
        file::<ConnectionState>(&cfg),
        file::<SyncReport>(&cfg),
        file::<ErasureRequestOutcome>(&cfg),
        file::<FailedChange>(&cfg),
        file::<AccountStatus>(&cfg),
        file::<SyncStatus>(&cfg),
        file::<BidTerms>(&cfg),
        file::<SyncConflict>(&cfg),
        file::<Resolution>(&cfg),
        file::<OutboxEntry>(&cfg),
        file::<TransparencyEntry>(&cfg),
        file::<MarketAccount>(&cfg),
        file::<MarketKind>(&cfg),
        file::<MarketKindInfo>(&cfg),
        file::<SignInStarted>(&cfg),
        file::<Capabilities>(&cfg),
        file::<SignInSettings>(&cfg),
        file::<NewMarketAccount>(&cfg),
        file::<AccountRemoval>(&cfg),
        file::<SavedSearch>(&cfg),
        ("BidLifecycle.ts".to_string(), crate::bid_lifecycle::typescript()),
        ("CurrencyExponents.ts".to_string(), crate::money::typescript()),
        ("RecordRules.ts".to_string(), crate::market_owned::typescript()),
        ("Paging.ts".to_string(), crate::store::record::typescript()),
    ]
}
