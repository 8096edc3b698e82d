//! Privacy controls: erasing a client, wiping the workspace, the consent
//! ledger, usage analytics (opt-in), restriction of processing, retention
//! rules and the overview behind Settings → Privacy. Each action leaves an
//! audit entry without personal data (see `audit`).

pub mod analytics;
pub mod consent;
pub mod erase;
pub mod overview;
pub mod restriction;
pub mod retention;
pub mod wipe;

pub use analytics::{
    AnalyticsStatus, QueuedUsage, UsageCount, UsageDestination, UsageEvent, UsageEventInfo, UsagePreview, UsageTotal,
};
pub use consent::{ConsentChange, ConsentMethod, ConsentPurpose, ConsentRecord, ConsentState, ProcessingBasis};
pub use erase::{ErasureBlocker, ErasurePlan, KeepReason, KeptRecord};
pub use overview::{EncryptionInfo, PrivacyOverview, StoredFile};
pub use retention::{RetentionRules, RetentionStatus, RetentionSummary};
pub use wipe::WipeReport;
