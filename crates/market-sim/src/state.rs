//! The marketplace itself: jobs, employers, bids, milestones, idempotency
//! records and the change sequence the cursors count along. Plain data with
//! no I/O; the HTTP layer locks it, calls one method and answers.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use bidwell_marketplace::wire::*;

use crate::seed;

/// A refusal, as the HTTP layer will send it.
#[derive(Debug, Clone)]
pub(crate) struct ApiFailure {
    pub status: u16,
    pub code: ApiErrorCode,
    pub message: String,
    pub current: Option<Box<Bid>>,
}

impl ApiFailure {
    pub fn new(status: u16, code: ApiErrorCode, message: impl Into<String>) -> ApiFailure {
        ApiFailure { status, code, message: message.into(), current: None }
    }

    pub fn validation(message: impl Into<String>) -> ApiFailure {
        ApiFailure::new(400, ApiErrorCode::ValidationFailed, message)
    }

    pub fn not_found(what: &str) -> ApiFailure {
        ApiFailure::new(404, ApiErrorCode::NotFound, format!("no such {what}"))
    }

    fn cursor_expired() -> ApiFailure {
        ApiFailure::new(410, ApiErrorCode::CursorExpired, "cursor: unknown or expired; list again without one")
    }
}

/// A marketplace-side action refused (for the library API used by tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimError {
    NotFound,
    /// The record is not in a state that allows the action (e.g. funding a
    /// milestone of a bid that was not awarded).
    InvalidState,
}

/// What a write answered, kept under its idempotency key.
#[derive(Debug, Clone)]
pub(crate) struct StoredReply {
    fingerprint: [u8; 32],
    pub status: u16,
    pub body: Value,
}

/// The three change feeds a cursor can point into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    Jobs,
    Bids,
    Milestones,
}

impl Feed {
    fn tag(self) -> &'static str {
        match self {
            Feed::Jobs => "j",
            Feed::Bids => "b",
            Feed::Milestones => "m",
        }
    }
}

/// Records in change order: `seq → id`, and `id → (record, seq)`. A change
/// moves the record to the end of the feed, so a cursor (a seq) finds
/// exactly what changed after it.
struct Feeds<T> {
    by_id: HashMap<String, (T, u64)>,
    by_seq: BTreeMap<u64, String>,
}

impl<T: Clone> Feeds<T> {
    fn new() -> Feeds<T> {
        Feeds { by_id: HashMap::new(), by_seq: BTreeMap::new() }
    }

    fn put(&mut self, id: String, record: T, seq: u64) {
        if let Some((_, old)) = self.by_id.insert(id.clone(), (record, seq)) {
            self.by_seq.remove(&old);
        }
        self.by_seq.insert(seq, id);
    }

    fn get(&self, id: &str) -> Option<&T> {
        self.by_id.get(id).map(|(r, _)| r)
    }

    fn all(&self) -> Vec<T> {
        self.by_seq.values().map(|id| self.by_id[id].0.clone()).collect()
    }

    /// Up to `limit` records after `after` that pass `keep`, whether more
    /// wait, and the seq the next call should start after.
    fn page(&self, after: u64, limit: usize, head: u64, keep: impl Fn(&T) -> bool) -> (Vec<T>, bool, u64) {
        let mut items = Vec::new();
        let mut last = after;
        for (&seq, id) in self.by_seq.range(after + 1..) {
            let record = &self.by_id[id].0;
            if !keep(record) {
                continue;
            }
            if items.len() == limit {
                return (items, true, last);
            }
            items.push(record.clone());
            last = seq;
        }
        // Everything up to the head was seen: a later call needs only newer changes.
        (items, false, head.max(after))
    }
}

pub(crate) struct MarketState {
    /// Makes cursors of another server instance unknown here.
    instance: u32,
    /// Bumped by `expire_cursors`: every cursor issued before is refused.
    cursor_epoch: u32,
    /// The change sequence: one step per change of any record.
    seq: u64,
    jobs: Feeds<Job>,
    employers: BTreeMap<String, Employer>,
    bids: Feeds<Bid>,
    milestones: Feeds<Milestone>,
    idempotency: HashMap<String, StoredReply>,
    consents: Consents,
    erasures: Vec<ErasureReceipt>,
    analytics: Vec<AnalyticsCount>,
    rng: ChaCha8Rng,
    next_job: u64,
    next_bid: u64,
    next_milestone: u64,
}

pub(crate) const DEFAULT_LIMIT: usize = 50;

/// The state file's format marker and version; anything else is refused.
const SAVED_FORMAT: &str = "bidwell-market-sim-state";
const SAVED_VERSION: u32 = 1;

/// The whole marketplace as it is written to its state file (JSON). It holds
/// the seeded, made-up jobs and employers and what a client sent the
/// marketplace (bids, consent choices, erasure receipts, analytics counts):
/// in the demo that is the user's sample bids, never real personal data.
#[derive(Serialize, Deserialize)]
struct SavedState {
    format: String,
    version: u32,
    /// Kept, so the cursors a client saved stay valid after a restart.
    instance: u32,
    cursor_epoch: u32,
    seq: u64,
    /// `(record, seq)` pairs: the change order the cursors count along.
    jobs: Vec<(Job, u64)>,
    employers: Vec<Employer>,
    bids: Vec<(Bid, u64)>,
    milestones: Vec<(Milestone, u64)>,
    idempotency: Vec<SavedReply>,
    consents: Consents,
    erasures: Vec<ErasureReceipt>,
    analytics: Vec<AnalyticsCount>,
    /// ChaCha8: seed (hex), stream and word position, so jobs posted after a
    /// restart continue the same sequence.
    rng_seed: String,
    rng_stream: u64,
    /// A string: JSON numbers cannot hold every u128.
    rng_word_pos: String,
    next_job: u64,
    next_bid: u64,
    next_milestone: u64,
}

#[derive(Serialize, Deserialize)]
struct SavedReply {
    key: String,
    fingerprint: String,
    status: u16,
    body: Value,
}

impl<T: Clone> Feeds<T> {
    fn saved(&self) -> Vec<(T, u64)> {
        self.by_seq.iter().map(|(&seq, id)| (self.by_id[id].0.clone(), seq)).collect()
    }

    fn restored(records: Vec<(T, u64)>, id: impl Fn(&T) -> String) -> Feeds<T> {
        let mut feeds = Feeds::new();
        for (record, seq) in records {
            feeds.put(id(&record), record, seq);
        }
        feeds
    }
}

impl MarketState {
    pub fn new(seed_value: u64, jobs: usize, instance: u32) -> MarketState {
        let mut rng = seed::rng(seed_value);
        let employers = seed::employers(&mut rng, seed::employer_count(jobs));
        let mut state = MarketState {
            instance,
            cursor_epoch: 0,
            seq: 0,
            jobs: Feeds::new(),
            employers: employers.into_iter().map(|e| (e.id.clone(), e)).collect(),
            bids: Feeds::new(),
            milestones: Feeds::new(),
            idempotency: HashMap::new(),
            consents: Consents { choices: ConsentChoices::default(), updated_at: None },
            erasures: Vec::new(),
            analytics: Vec::new(),
            rng,
            next_job: 1,
            next_bid: 1,
            next_milestone: 1,
        };
        state.add_jobs(jobs);
        state
    }

    /// The state as the JSON of its state file.
    pub fn to_saved(&self) -> Vec<u8> {
        let saved = SavedState {
            format: SAVED_FORMAT.to_owned(),
            version: SAVED_VERSION,
            instance: self.instance,
            cursor_epoch: self.cursor_epoch,
            seq: self.seq,
            jobs: self.jobs.saved(),
            employers: self.employers.values().cloned().collect(),
            bids: self.bids.saved(),
            milestones: self.milestones.saved(),
            idempotency: self
                .idempotency
                .iter()
                .map(|(key, reply)| SavedReply {
                    key: key.clone(),
                    fingerprint: hex::encode(reply.fingerprint),
                    status: reply.status,
                    body: reply.body.clone(),
                })
                .collect(),
            consents: self.consents.clone(),
            erasures: self.erasures.clone(),
            analytics: self.analytics.clone(),
            rng_seed: hex::encode(self.rng.get_seed()),
            rng_stream: self.rng.get_stream(),
            rng_word_pos: self.rng.get_word_pos().to_string(),
            next_job: self.next_job,
            next_bid: self.next_bid,
            next_milestone: self.next_milestone,
        };
        serde_json::to_vec(&saved).expect("the state serializes")
    }

    /// The state a state file holds; the error says what is wrong with it.
    pub fn from_saved(bytes: &[u8]) -> Result<MarketState, String> {
        let format: serde_json::Map<String, Value> =
            serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e})"))?;
        if format.get("format").and_then(Value::as_str) != Some(SAVED_FORMAT) {
            return Err(format!("not a {SAVED_FORMAT} file"));
        }
        if format.get("version").and_then(Value::as_u64) != Some(u64::from(SAVED_VERSION)) {
            return Err(format!("unsupported version (this server reads version {SAVED_VERSION})"));
        }
        let saved: SavedState = serde_json::from_slice(bytes).map_err(|e| format!("malformed ({e})"))?;
        let seed: [u8; 32] = hex::decode(&saved.rng_seed)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| "malformed (rng_seed)".to_owned())?;
        let word_pos: u128 = saved.rng_word_pos.parse().map_err(|_| "malformed (rng_word_pos)".to_owned())?;
        let mut rng = ChaCha8Rng::from_seed(seed);
        rng.set_stream(saved.rng_stream);
        rng.set_word_pos(word_pos);
        let mut idempotency = HashMap::new();
        for reply in saved.idempotency {
            let fingerprint: [u8; 32] = hex::decode(&reply.fingerprint)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| "malformed (idempotency fingerprint)".to_owned())?;
            idempotency.insert(reply.key, StoredReply { fingerprint, status: reply.status, body: reply.body });
        }
        Ok(MarketState {
            instance: saved.instance,
            cursor_epoch: saved.cursor_epoch,
            seq: saved.seq,
            jobs: Feeds::restored(saved.jobs, |j: &Job| j.id.clone()),
            employers: saved.employers.into_iter().map(|e| (e.id.clone(), e)).collect(),
            bids: Feeds::restored(saved.bids, |b: &Bid| b.id.clone()),
            milestones: Feeds::restored(saved.milestones, |m: &Milestone| m.id.clone()),
            idempotency,
            consents: saved.consents,
            erasures: saved.erasures,
            analytics: saved.analytics,
            rng,
            next_job: saved.next_job,
            next_bid: saved.next_bid,
            next_milestone: saved.next_milestone,
        })
    }

    fn bump(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    // ----- jobs and employers -----

    pub fn add_jobs(&mut self, n: usize) -> Vec<Job> {
        let employer_ids: Vec<String> = self.employers.keys().cloned().collect();
        let mut added = Vec::with_capacity(n);
        for _ in 0..n {
            let number = self.next_job;
            self.next_job += 1;
            let job = seed::job(&mut self.rng, number, &employer_ids);
            let seq = self.bump();
            self.jobs.put(job.id.clone(), job.clone(), seq);
            added.push(job);
        }
        added
    }

    pub fn close_job(&mut self, id: &str, now: DateTime<Utc>) -> Result<Job, SimError> {
        let mut job = self.jobs.get(id).cloned().ok_or(SimError::NotFound)?;
        job.status = JobStatus::Closed;
        job.updated_at = now;
        let seq = self.bump();
        self.jobs.put(job.id.clone(), job.clone(), seq);
        Ok(job)
    }

    pub fn job(&self, id: &str) -> Option<Job> {
        self.jobs.get(id).cloned()
    }

    pub fn jobs(&self) -> Vec<Job> {
        self.jobs.all()
    }

    pub fn employer(&self, id: &str) -> Option<Employer> {
        self.employers.get(id).cloned()
    }

    pub fn list_jobs(&self, query: &JobQuery, cursor: Option<&str>, limit: usize) -> Result<Page<Job>, ApiFailure> {
        let filter = filter_fingerprint(query);
        let after = match cursor {
            Some(c) => self.read_cursor(c, Feed::Jobs, &filter)?,
            None => 0,
        };
        let words: Vec<String> =
            query.query.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).collect();
        let skills: Vec<String> = query.skills.iter().map(|s| s.to_lowercase()).collect();
        let (items, has_more, last) = self.jobs.page(after, limit, self.seq, |job| {
            let text = format!("{} {}", job.title, job.description).to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
                && (skills.is_empty() || job.skills.iter().any(|s| skills.contains(&s.to_lowercase())))
                && query.budget_type.is_none_or(|t| job.budget.kind == t)
                && query.currency.as_deref().is_none_or(|c| job.budget.currency.eq_ignore_ascii_case(c))
                && query.min_budget_minor.is_none_or(|min| job.budget.max_minor.unwrap_or(job.budget.min_minor) >= min)
        });
        Ok(Page { items, next_cursor: Some(self.cursor(Feed::Jobs, last, &filter)), has_more })
    }

    // ----- cursors -----

    fn cursor(&self, feed: Feed, seq: u64, filter: &str) -> Cursor {
        let plain = format!("{}:{}:{}:{}:{}", feed.tag(), self.instance, self.cursor_epoch, seq, filter);
        Cursor(hex::encode(plain))
    }

    /// The seq a cursor stands for. Anything this instance did not issue in
    /// its current epoch is "expired": the client resyncs from the start.
    fn read_cursor(&self, cursor: &str, feed: Feed, filter: &str) -> Result<u64, ApiFailure> {
        let plain =
            hex::decode(cursor).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(ApiFailure::cursor_expired)?;
        let parts: Vec<&str> = plain.split(':').collect();
        let [tag, instance, epoch, seq, issued_for] = parts[..] else { return Err(ApiFailure::cursor_expired()) };
        let known = tag == feed.tag()
            && instance.parse() == Ok(self.instance)
            && epoch.parse() == Ok(self.cursor_epoch)
            && seq.parse::<u64>().is_ok_and(|s| s <= self.seq);
        if !known {
            return Err(ApiFailure::cursor_expired());
        }
        if issued_for != filter {
            return Err(ApiFailure::validation("cursor: was issued for other filters; send the same filters with it"));
        }
        Ok(seq.parse().expect("checked above"))
    }

    pub fn expire_cursors(&mut self) {
        self.cursor_epoch += 1;
    }

    // ----- idempotency -----

    /// Runs `write` once per key: the same key with the same request answers
    /// with the stored reply; with another request, 422. Server failures
    /// (5xx) are not stored, so a retry runs the write again.
    pub fn idempotent(
        &mut self,
        key: &str,
        request: &[&[u8]],
        write: impl FnOnce(&mut MarketState) -> (u16, Value),
    ) -> (u16, Value) {
        let mut hasher = Sha256::new();
        for part in request {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        let fingerprint: [u8; 32] = hasher.finalize().into();
        if let Some(stored) = self.idempotency.get(key) {
            if stored.fingerprint == fingerprint {
                return (stored.status, stored.body.clone());
            }
            let failure = ApiFailure::new(
                422,
                ApiErrorCode::IdempotencyKeyReused,
                "Idempotency-Key: already used for a different request",
            );
            return (failure.status, failure_body(&failure));
        }
        let (status, body) = write(self);
        if status < 500 {
            self.idempotency.insert(key.to_owned(), StoredReply { fingerprint, status, body: body.clone() });
        }
        (status, body)
    }

    // ----- bids -----

    pub fn create_bid(&mut self, new: NewBid, now: DateTime<Utc>) -> Result<Bid, ApiFailure> {
        let job = self.jobs.get(&new.job_id).ok_or_else(|| ApiFailure::validation("job_id: no such job"))?;
        if job.status != JobStatus::Open {
            return Err(ApiFailure::new(409, ApiErrorCode::InvalidState, "job_id: the job is closed to new bids"));
        }
        if new.amount.currency != job.budget.currency {
            return Err(ApiFailure::validation(format!(
                "amount.currency: must be the job's currency, {}",
                job.budget.currency
            )));
        }
        check_amount(&new.amount)?;
        check_period(new.period_days)?;
        check_percentage(new.milestone_percentage)?;
        check_proposal(&new.proposal)?;
        let id = format!("bid_{:06}", self.next_bid);
        self.next_bid += 1;
        let bid = Bid {
            id: id.clone(),
            job_id: new.job_id,
            amount: new.amount,
            period_days: new.period_days,
            milestone_percentage: new.milestone_percentage,
            proposal: new.proposal,
            status: BidStatus::Submitted,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let seq = self.bump();
        self.bids.put(id, bid.clone(), seq);
        Ok(bid)
    }

    pub fn bid(&self, id: &str) -> Option<Bid> {
        self.bids.get(id).cloned()
    }

    pub fn bids(&self) -> Vec<Bid> {
        let mut bids = self.bids.all();
        bids.sort_by(|a, b| a.id.cmp(&b.id));
        bids
    }

    /// The bidder's edit, allowed only from `base_version`.
    pub fn edit_bid(
        &mut self,
        id: &str,
        base_version: u64,
        edit: BidEdit,
        now: DateTime<Utc>,
    ) -> Result<Bid, ApiFailure> {
        let current = self.bids.get(id).cloned().ok_or_else(|| ApiFailure::not_found("bid"))?;
        if current.version != base_version {
            return Err(ApiFailure {
                status: 412,
                code: ApiErrorCode::VersionConflict,
                message: format!("If-Match: the bid is at version {}", current.version),
                current: Some(Box::new(current)),
            });
        }
        if !current.status.is_open() {
            return Err(ApiFailure::new(
                409,
                ApiErrorCode::InvalidState,
                format!("the bid is {} and can no longer be edited", current.status),
            ));
        }
        if edit.is_empty() {
            return Err(ApiFailure::validation("body: names no field to change"));
        }
        if let Some(amount) = &edit.amount {
            if amount.currency != current.amount.currency {
                return Err(ApiFailure::validation("amount.currency: cannot change"));
            }
            check_amount(amount)?;
        }
        edit.period_days.map(check_period).transpose()?;
        edit.milestone_percentage.map(check_percentage).transpose()?;
        edit.proposal.as_deref().map(check_proposal).transpose()?;
        Ok(self.apply_edit(current, edit, now))
    }

    fn apply_edit(&mut self, mut bid: Bid, edit: BidEdit, now: DateTime<Utc>) -> Bid {
        if let Some(amount) = edit.amount {
            bid.amount = amount;
        }
        if let Some(days) = edit.period_days {
            bid.period_days = days;
        }
        if let Some(pct) = edit.milestone_percentage {
            bid.milestone_percentage = pct;
        }
        if let Some(proposal) = edit.proposal {
            bid.proposal = proposal;
        }
        self.save_bid(bid, now)
    }

    fn save_bid(&mut self, mut bid: Bid, now: DateTime<Utc>) -> Bid {
        bid.version += 1;
        bid.updated_at = now;
        let seq = self.bump();
        self.bids.put(bid.id.clone(), bid.clone(), seq);
        bid
    }

    /// Withdrawing twice answers with the withdrawn bid and changes nothing.
    pub fn withdraw_bid(&mut self, id: &str, now: DateTime<Utc>) -> Result<Bid, ApiFailure> {
        let mut bid = self.bids.get(id).cloned().ok_or_else(|| ApiFailure::not_found("bid"))?;
        match bid.status {
            BidStatus::Withdrawn => Ok(bid),
            status if status.is_open() => {
                bid.status = BidStatus::Withdrawn;
                Ok(self.save_bid(bid, now))
            }
            status => Err(ApiFailure::new(
                409,
                ApiErrorCode::InvalidState,
                format!("the bid is {status} and can no longer be withdrawn"),
            )),
        }
    }

    pub fn bids_since(&self, since: Option<&str>, limit: usize) -> Result<Page<Bid>, ApiFailure> {
        let after = since.map(|c| self.read_cursor(c, Feed::Bids, "")).transpose()?.unwrap_or(0);
        let (items, has_more, last) = self.bids.page(after, limit, self.seq, |_| true);
        Ok(Page { items, next_cursor: Some(self.cursor(Feed::Bids, last, "")), has_more })
    }

    /// The marketplace's side: shortlist, award, reject (or anything else).
    pub fn set_bid_status(&mut self, id: &str, status: BidStatus, now: DateTime<Utc>) -> Result<Bid, SimError> {
        let mut bid = self.bids.get(id).cloned().ok_or(SimError::NotFound)?;
        bid.status = status;
        Ok(self.save_bid(bid, now))
    }

    /// The demo's scripted employer: every bid still `submitted` that was
    /// placed at or before `placed_by` is shortlisted. Says how many were.
    pub fn shortlist_placed_by(&mut self, placed_by: DateTime<Utc>, now: DateTime<Utc>) -> usize {
        let due: Vec<Bid> = self
            .bids
            .all()
            .into_iter()
            .filter(|b| b.status == BidStatus::Submitted && b.created_at <= placed_by)
            .collect();
        for mut bid in due.iter().cloned() {
            bid.status = BidStatus::Shortlisted;
            self.save_bid(bid, now);
        }
        due.len()
    }

    /// An edit made on the marketplace's website: bumps the version, so the
    /// app's next edit based on the old one conflicts.
    pub fn edit_bid_server_side(&mut self, id: &str, edit: BidEdit, now: DateTime<Utc>) -> Result<Bid, SimError> {
        let bid = self.bids.get(id).cloned().ok_or(SimError::NotFound)?;
        Ok(self.apply_edit(bid, edit, now))
    }

    // ----- milestones -----

    /// The employer funds a milestone of an awarded bid: its milestone
    /// percentage of the amount (all of it when the percentage is 0).
    pub fn fund_milestone(&mut self, bid_id: &str, now: DateTime<Utc>) -> Result<Milestone, SimError> {
        let bid = self.bids.get(bid_id).cloned().ok_or(SimError::NotFound)?;
        if bid.status != BidStatus::Awarded {
            return Err(SimError::InvalidState);
        }
        let pct = if bid.milestone_percentage == 0 { 100 } else { i64::from(bid.milestone_percentage) };
        let number = self.next_milestone;
        self.next_milestone += 1;
        let milestone = Milestone {
            id: format!("ms_{number:06}"),
            bid_id: bid.id,
            amount: Money { amount_minor: bid.amount.amount_minor * pct / 100, currency: bid.amount.currency },
            description: format!("Milestone {number}"),
            status: MilestoneStatus::Funded,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let seq = self.bump();
        self.milestones.put(milestone.id.clone(), milestone.clone(), seq);
        Ok(milestone)
    }

    pub fn set_milestone_status(
        &mut self,
        id: &str,
        status: MilestoneStatus,
        now: DateTime<Utc>,
    ) -> Result<Milestone, SimError> {
        let mut milestone = self.milestones.get(id).cloned().ok_or(SimError::NotFound)?;
        milestone.status = status;
        milestone.version += 1;
        milestone.updated_at = now;
        let seq = self.bump();
        self.milestones.put(milestone.id.clone(), milestone.clone(), seq);
        Ok(milestone)
    }

    pub fn milestones(&self) -> Vec<Milestone> {
        self.milestones.all()
    }

    pub fn milestones_since(&self, since: Option<&str>, limit: usize) -> Result<Page<Milestone>, ApiFailure> {
        let after = since.map(|c| self.read_cursor(c, Feed::Milestones, "")).transpose()?.unwrap_or(0);
        let (items, has_more, last) = self.milestones.page(after, limit, self.seq, |_| true);
        Ok(Page { items, next_cursor: Some(self.cursor(Feed::Milestones, last, "")), has_more })
    }

    // ----- privacy and analytics -----

    pub fn consents(&self) -> Consents {
        self.consents.clone()
    }

    pub fn put_consents(&mut self, choices: ConsentChoices, now: DateTime<Utc>) -> Consents {
        self.consents = Consents { choices, updated_at: Some(now) };
        self.consents.clone()
    }

    pub fn request_erasure(&mut self, request: ErasureRequest, now: DateTime<Utc>) -> ErasureReceipt {
        let receipt = ErasureReceipt {
            id: format!("er_{:04}", self.erasures.len() + 1),
            scope: request.scope,
            status: ErasureStatus::Received,
            received_at: now,
        };
        self.erasures.push(receipt.clone());
        receipt
    }

    pub fn erasures(&self) -> Vec<ErasureReceipt> {
        self.erasures.clone()
    }

    pub fn record_analytics(&mut self, batch: AnalyticsBatch) -> Result<usize, ApiFailure> {
        if batch.events.len() > 100 {
            return Err(ApiFailure::validation("events: at most 100 per request"));
        }
        if let Some(bad) = batch.events.iter().position(|e| !e.has_valid_name()) {
            return Err(ApiFailure::validation(format!("events[{bad}].name: must be lowercase [a-z0-9_.], 1 to 64")));
        }
        let n = batch.events.len();
        self.analytics.extend(batch.events);
        Ok(n)
    }

    pub fn analytics(&self) -> Vec<AnalyticsCount> {
        self.analytics.clone()
    }
}

pub(crate) fn failure_body(failure: &ApiFailure) -> Value {
    serde_json::to_value(ApiErrorBody {
        code: failure.code,
        message: failure.message.clone(),
        retryable: matches!(
            failure.code,
            ApiErrorCode::RateLimited | ApiErrorCode::Unavailable | ApiErrorCode::Internal
        ),
        current: failure.current.as_deref().cloned(),
    })
    .expect("the error body serializes")
}

/// Ties a jobs cursor to its filters, so a cursor is not reused with others.
fn filter_fingerprint(query: &JobQuery) -> String {
    let mut skills: Vec<String> = query.skills.iter().map(|s| s.to_lowercase()).collect();
    skills.sort();
    let canonical = format!(
        "{}|{}|{:?}|{:?}|{}",
        query.query.as_deref().unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase(),
        skills.join(","),
        query.budget_type,
        query.min_budget_minor,
        query.currency.as_deref().unwrap_or("").to_uppercase(),
    );
    hex::encode(&Sha256::digest(canonical.as_bytes())[..6])
}

fn check_amount(amount: &Money) -> Result<(), ApiFailure> {
    if amount.amount_minor <= 0 {
        return Err(ApiFailure::validation("amount.amount_minor: must be more than 0"));
    }
    if amount.currency.len() != 3 || !amount.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiFailure::validation("amount.currency: must be an ISO 4217 code like USD"));
    }
    Ok(())
}

fn check_period(days: u32) -> Result<(), ApiFailure> {
    if !(1..=365).contains(&days) {
        return Err(ApiFailure::validation("period_days: must be 1 to 365"));
    }
    Ok(())
}

fn check_percentage(pct: u8) -> Result<(), ApiFailure> {
    if pct > 100 {
        return Err(ApiFailure::validation("milestone_percentage: must be 0 to 100"));
    }
    Ok(())
}

fn check_proposal(text: &str) -> Result<(), ApiFailure> {
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > 10_000 {
        return Err(ApiFailure::validation("proposal: must be 1 to 10000 characters"));
    }
    Ok(())
}
