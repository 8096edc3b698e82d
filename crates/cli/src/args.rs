//! The command line, as clap types. Names here are a public interface:
//! scripts and tests depend on them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "bidwell",
    version,
    about = "Bidwell: a private, encrypted CRM for freelancers",
    propagate_version = true
)]
pub struct Cli {
    /// Where the workspace lives (default: the OS data directory for Bidwell).
    #[arg(long, global = true, env = "BIDWELL_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print JSON instead of text; errors become one JSON line on stderr.
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the passphrase from the first line of standard input.
    #[arg(long, global = true)]
    pub passphrase_stdin: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace and print its recovery key (shown once).
    Init(InitArgs),
    /// Check integrity and report encryption, keychain and schema status.
    Doctor,
    /// Encrypted snapshots of the workspace: take, list, verify, restore.
    #[command(subcommand)]
    Backup(BackupCmd),
    /// Clients: people and companies you work for.
    #[command(subcommand)]
    Client(ClientCmd),
    /// People at a client.
    #[command(subcommand)]
    Contact(ContactCmd),
    /// Projects for clients.
    #[command(subcommand)]
    Project(ProjectCmd),
    /// Marketplace jobs (or jobs you enter yourself).
    #[command(subcommand)]
    Job(JobCmd),
    /// Bids on jobs.
    #[command(subcommand)]
    Bid(BidCmd),
    /// Payments of a project or a bid.
    #[command(subcommand)]
    Milestone(MilestoneCmd),
    /// Notes, calls, emails, meetings and messages on any record.
    #[command(subcommand)]
    Note(NoteCmd),
    /// Tasks with due dates, reminders and repeats.
    #[command(subcommand)]
    Task(TaskCmd),
    /// Custom fields: define them per kind of record; set them with --field NAME=VALUE.
    #[command(subcommand)]
    Field(FieldCmd),
    /// Exchange rates you keep, for converting into the home currency.
    #[command(subcommand)]
    Rate(RateCmd),
    /// The home currency the dashboard converts pipeline totals into.
    #[command(subcommand)]
    Currency(CurrencyCmd),
    /// A task "Follow up: <record>" about a client, bid or job, reminding in N days; prints it.
    FollowUp {
        /// client:ID, bid:ID or job:ID.
        #[arg(long, value_name = "KIND:ID")]
        on: String,
        #[arg(long, default_value_t = 3)]
        days: u32,
    },
    /// Search everything by word prefixes.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Remove for good what was deleted more than N days ago (restore no longer possible).
    Purge {
        #[arg(long, value_name = "DAYS", default_value_t = 30)]
        older_than_days: u32,
    },
    /// Destroy the workspace for good: the key first (crypto-shredding), then every file.
    Wipe {
        /// The workspace's name, typed out to confirm.
        #[arg(long, value_name = "NAME")]
        confirm: String,
        /// First ask every connected marketplace to erase your data (needs the workspace unlocked);
        /// if one does not accept, nothing is wiped. Without it: wipe anyway.
        #[arg(long)]
        ask_marketplaces: bool,
    },
    /// Consents: yours per purpose, and each client's.
    #[command(subcommand)]
    Consent(ConsentCmd),
    /// Rules that erase and purge old data by themselves.
    #[command(subcommand)]
    Retention(RetentionCmd),
    /// The hash-chained log of privacy and key actions.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Where your data is, how it is protected, and what you agreed to.
    #[command(subcommand)]
    Privacy(PrivacyCmd),
    /// Change the passphrase (the data is not re-encrypted).
    #[command(subcommand)]
    Passphrase(PassphraseCmd),
    /// Re-encrypt the database under a new data key.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Write everything (or everything about one client) to a ZIP archive, or cards to a vCard file.
    Export(ExportArgs),
    /// Import a Bidwell export (into an empty workspace), a CSV file of clients or contacts, or vCards.
    Import(ImportArgs),
    /// Developer tools.
    #[command(subcommand)]
    Dev(DevCmd),
    /// Marketplace accounts and their saved job searches.
    #[command(subcommand)]
    Market(MarketCmd),
    /// Send queued changes to the marketplaces and pull theirs (repeats until stopped unless --once).
    Sync(SyncArgs),
    /// Offline edits that a marketplace changed meanwhile.
    #[command(subcommand)]
    Conflicts(ConflictsCmd),
}

#[derive(Debug, Subcommand)]
pub enum MarketCmd {
    /// Connect an account: with a token read from the next line of standard
    /// input (--token-stdin), or by signing in in the browser (--client-id:
    /// prints the address to open and waits for the browser to come back).
    Add {
        /// Which API it speaks: bidwell (a Bidwell-compatible server) or freelancer.
        #[arg(long, default_value = "bidwell")]
        kind: String,
        /// The API's base URL; for freelancer, Freelancer.com's own when left out.
        #[arg(long, default_value = "")]
        url: String,
        /// The token is read from standard input; it never goes on the command line.
        #[arg(long, conflicts_with = "client_id", required_unless_present = "client_id")]
        token_stdin: bool,
        #[arg(long, default_value = "Marketplace")]
        name: String,
        #[command(flatten)]
        sign_in: SignInArgs,
    },
    /// Sign an account in again in the browser (after "sign in again").
    Login {
        id: String,
        /// Give the client secret again, from standard input (else the kept one is used).
        #[arg(long)]
        client_secret_stdin: bool,
    },
    /// List connected accounts and their sync state.
    List,
    /// Give an account a new token (after "token expired"); read from standard input.
    Token { id: String },
    /// Disconnect an account: its token and queued changes are deleted; the jobs, bids and
    /// milestones it brought in stay as your own records (asks to confirm on a terminal unless --yes).
    Remove {
        id: String,
        #[arg(long)]
        yes: bool,
    },
    /// Saved job searches: new matching jobs flow into the jobs list on every sync.
    #[command(subcommand)]
    Search(SavedSearchCmd),
    /// Ask every connected marketplace (or only ACCOUNT_ID) to erase your data there.
    EraseRequest {
        #[arg(value_name = "ACCOUNT_ID")]
        account: Option<String>,
    },
}

/// Where and as which registered app to sign in (OAuth 2.0 with PKCE).
#[derive(Debug, Args)]
pub struct SignInArgs {
    /// The client id of the app you registered with the marketplace.
    #[arg(long)]
    pub client_id: Option<String>,
    /// The client secret, where the marketplace requires one, from standard input.
    #[arg(long, requires = "client_id")]
    pub client_secret_stdin: bool,
    /// The marketplace's authorization address (for freelancer, its own when left out).
    #[arg(long, requires = "client_id")]
    pub authorize_url: Option<String>,
    #[arg(long, requires = "client_id")]
    pub token_url: Option<String>,
    /// Token revocation (RFC 7009), where the marketplace has it.
    #[arg(long, requires = "client_id")]
    pub revoke_url: Option<String>,
    /// Scopes to ask for, space-separated.
    #[arg(long, requires = "client_id")]
    pub scope: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SavedSearchCmd {
    Add {
        #[arg(long)]
        account: String,
        #[arg(long)]
        name: String,
        /// Words that must all appear in the job.
        #[arg(long)]
        query: Option<String>,
        /// A skill the job asks for (repeat for any of several).
        #[arg(long = "skill")]
        skills: Vec<String>,
    },
    List,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub command: Option<SyncCmd>,
    /// One pass, then exit.
    #[arg(long)]
    pub once: bool,
    /// Seconds between passes when nothing waits sooner.
    #[arg(long, default_value_t = 60)]
    pub interval: u64,
}

#[derive(Debug, Subcommand)]
pub enum SyncCmd {
    /// Last sync, queued and failed changes, conflicts, connection state.
    Status,
    /// Put every failed change back in the queue.
    Retry,
}

#[derive(Debug, Subcommand)]
pub enum ConflictsCmd {
    List,
    /// Settle a conflict: keep mine (send my terms again) or theirs.
    Resolve {
        id: String,
        #[arg(long)]
        keep: String,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where to write the archive (.zip, or .zip.age with a password) or, with --vcard, the cards (.vcf), or
    /// with --ics, the calendar (.ics).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Only this client and everything about it.
    #[arg(long, value_name = "ID")]
    pub client: Option<String>,
    /// Protect the archive with a password read from the next line of standard input. Weak passwords are
    /// refused (zxcvbn strength 3 of 4 for age, 4 for zip).
    #[arg(long)]
    pub password_stdin: bool,
    /// The archive's container: `age` (the ZIP inside an age file, locked with scrypt; `age -d` or `rage -d`
    /// opens it; needs --password-stdin) or `zip` (with a password, WinZip AES-256 entries for 7-Zip, whose key
    /// derivation is PBKDF2-SHA1 with 1 000 rounds). Default: age when --out ends in .age, else zip.
    #[arg(long, value_name = "zip|age")]
    pub format: Option<String>,
    /// Start each CSV file with a UTF-8 byte order mark (for older Excel).
    #[arg(long)]
    pub csv_bom: bool,
    /// Write clients and contacts as vCard 3.0 cards instead of an archive.
    #[arg(long, conflicts_with_all = ["password_stdin", "csv_bom", "format"])]
    pub vcard: bool,
    /// Write open tasks and unpaid milestones as an iCalendar file (.ics) instead of an archive.
    #[arg(long, conflicts_with_all = ["password_stdin", "csv_bom", "format", "vcard", "client"])]
    pub ics: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import.
    pub file: PathBuf,
    /// What the file holds: bidwell (an export .zip), clients (.csv), contacts (.csv: each row a contact naming
    /// its client, which is made when missing) or vcard (.vcf: vCard 2.1, 3.0 or 4.0). Default: from the extension (.csv: clients).
    #[arg(long)]
    pub kind: Option<String>,
    /// CSV only: which column fills which field, e.g. --map "E-mail 2=email", --map "Firm=client" (contacts)
    /// or --map "Shoe size=ignore".
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
    /// Check the whole file and print the counts and, for CSV, which column fills which field and which columns
    /// are left out; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// CSV only: keep each column no field takes (and that has a value) as a custom field of the imported kind:
    /// the existing field of its name, or a new text field named after the header. Without it they are left out.
    #[arg(long)]
    pub keep_unmapped: bool,
    /// The archive's password, from the next line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The workspace's name (asked for again before wiping it).
    #[arg(long, default_value = "Bidwell")]
    pub name: String,
    /// Keep the key in the OS keychain instead of behind a passphrase.
    #[arg(long)]
    pub keychain: bool,
}

#[derive(Debug, Subcommand)]
pub enum PassphraseCmd {
    /// New passphrase from BIDWELL_NEW_PASSPHRASE, the next stdin line, or a prompt.
    Change {
        #[arg(long)]
        new_passphrase_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BackupCmd {
    /// Take a snapshot now (then keep 7 daily, 4 weekly, 12 monthly).
    Now,
    /// Take the daily snapshot if the newest is a day old or more (for a timer).
    IfDue,
    /// The snapshots with their date, size and record counts.
    List,
    /// Decrypt a snapshot and check every page and its manifest.
    Verify {
        /// A name from `backup list`, or a snapshot folder's path.
        snapshot: String,
        /// Open it with the recovery key (first line of stdin) instead of the workspace.
        #[arg(long)]
        recovery_key_stdin: bool,
    },
    /// Replace the workspace with a snapshot (the current state is backed up first).
    Restore {
        /// A name from `backup list`, or a snapshot folder's path.
        snapshot: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// The live workspace cannot be opened (key file lost or damaged): restore
        /// with the recovery key alone, read from the first line of stdin.
        #[arg(long)]
        recovery_key_stdin: bool,
    },
    /// Show the backup folder, or set it to PATH.
    Folder { path: Option<PathBuf> },
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// New data key (PRAGMA rekey); prints the new recovery key.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum DevCmd {
    /// Fill the workspace with realistic generated records.
    Seed {
        #[arg(long, default_value_t = 1000)]
        records: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Instead, make one new client of this name that owns the contacts, projects, bids,
        /// milestones, notes and tasks of the --records mix (a client with many records).
        #[arg(long, value_name = "NAME")]
        one_client: Option<String>,
    },
    /// Print what the app's demo marketplace holds (its jobs and the bids it
    /// received), from its sealed state file, as JSON.
    DemoState,
}

/// Paging and order, the same for every list.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// The `next` cursor printed by the previous page.
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
    /// newest, oldest, name, updated, due (tasks: soonest due first, those without a due time before them),
    /// or happened (activities: latest first by when they happened).
    #[arg(long, default_value = "newest")]
    pub sort: String,
    /// Include deleted records (to restore them).
    #[arg(long)]
    pub deleted: bool,
}

#[derive(Debug, Subcommand)]
pub enum RateCmd {
    /// Keep a rate: one BASE buys RATE units of CURRENCY on DATE (replaces that day's rate); prints it.
    Set {
        /// The currency bought, e.g. USD.
        currency: String,
        /// How many units of it one unit of the base buys, e.g. 1.0552.
        rate: String,
        #[arg(long, default_value = "EUR")]
        base: String,
        /// The day the rate is for, YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        date: Option<String>,
    },
    /// The latest rate of each base and currency (--all: every day kept).
    List {
        #[arg(long)]
        all: bool,
    },
    /// Forget one rate.
    Rm { id: String },
    /// Import the ECB's reference rates: eurofxref.csv (one day) or eurofxref-hist.csv (every day).
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum CurrencyCmd {
    /// Print the home currency, or set it (an ISO 4217 code); --clear goes back to a chart per currency.
    Home {
        code: Option<String>,
        #[arg(long, conflicts_with = "code")]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FieldCmd {
    /// Define a field for one kind of record; prints it.
    Define {
        /// client, contact, project, job, bid or milestone.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        /// text, number, date, choice, money or link.
        #[arg(long = "type")]
        field_type: String,
        /// A choice field's values; repeat for several.
        #[arg(long = "choice")]
        choices: Vec<String>,
    },
    /// The fields of one kind, or of every kind.
    List {
        #[arg(long)]
        kind: Option<String>,
    },
    /// Rename a field, or replace a choice field's choices.
    Edit {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "choice")]
        choices: Vec<String>,
    },
    /// Delete a field and every value of it (asks to confirm on a terminal unless --yes).
    Rm {
        id: String,
        #[arg(long)]
        yes: bool,
    },
}

/// The tags and custom field values of a new record.
#[derive(Debug, Args)]
pub struct NewExtras {
    /// A tag; repeat for several.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// A custom field's value, NAME=VALUE (see `bidwell field`); repeat for several.
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub fields: Vec<String>,
}

/// Changes of a record's tags and custom field values.
#[derive(Debug, Args)]
pub struct EditExtras {
    /// Replaces all tags; repeat for several, or pass --clear-tags.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    #[arg(long, conflicts_with = "tags")]
    pub clear_tags: bool,
    /// Sets a custom field, NAME=VALUE; NAME= clears it. Repeat for several.
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub fields: Vec<String>,
}

/// Filters every list has: a tag, a custom field's value.
#[derive(Debug, Args)]
pub struct ListExtras {
    #[arg(long)]
    pub tag: Option<String>,
    /// Only records whose custom field NAME holds VALUE.
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub field: Option<String>,
}

/// What every kind of record answers to.
#[derive(Debug, Subcommand)]
pub enum RecordCmd {
    /// Show one record (deleted ones too).
    Show { id: String },
    /// Delete; `restore` undoes it until the record is purged.
    Rm { id: String },
    /// Bring back a deleted record, with what was deleted along with it.
    Restore { id: String },
}

// In every `edit`, `--flag ""` clears an optional field.

#[derive(Debug, Subcommand)]
pub enum ClientCmd {
    /// Add a client; prints it.
    Add {
        #[arg(long)]
        name: String,
        /// person or company.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        company: Option<String>,
        #[arg(long)]
        website: Option<String>,
        #[arg(long)]
        country: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        extras: NewExtras,
    },
    /// List clients, a page at a time.
    List {
        #[command(flatten)]
        list: ListArgs,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        archived: bool,
        #[arg(long)]
        restricted: bool,
        #[command(flatten)]
        extras: ListExtras,
    },
    /// Erase a client for good (asks to confirm on a terminal unless --yes).
    Erase {
        id: String,
        #[arg(long)]
        yes: bool,
    },
    /// Change some fields of a client; prints the result.
    Edit {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        company: Option<String>,
        #[arg(long)]
        website: Option<String>,
        #[arg(long)]
        country: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        restricted: Option<bool>,
        #[arg(long)]
        archived: Option<bool>,
        #[command(flatten)]
        extras: EditExtras,
    },
    #[command(flatten)]
    Record(RecordCmd),
}

#[derive(Debug, Subcommand)]
pub enum ContactCmd {
    /// Add a contact; prints it.
    Add {
        #[arg(long)]
        client: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        extras: NewExtras,
    },
    /// List contacts, a page at a time.
    List {
        #[command(flatten)]
        list: ListArgs,
        #[arg(long)]
        client: Option<String>,
        #[command(flatten)]
        extras: ListExtras,
    },
    /// Change some fields of a contact; prints the result.
    Edit {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        extras: EditExtras,
    },
    #[command(flatten)]
    Record(RecordCmd),
}

#[derive(Debug, Subcommand)]
pub enum ProjectCmd {
    /// Add a project; prints it.
    Add {
        #[arg(long)]
        client: String,
        #[arg(long)]
        name: String,
        /// lead, active, on_hold, completed or cancelled.
        #[arg(long)]
        status: Option<String>,
        /// fixed or hourly.
        #[arg(long)]
        rate: Option<String>,
        /// A decimal amount, e.g. 1200.00 (needs --currency).
        #[arg(long, requires = "currency")]
        budget: Option<String>,
        #[arg(long)]
        currency: Option<String>,
        /// YYYY-MM-DD.
        #[arg(long)]
        start: Option<String>,
        /// YYYY-MM-DD.
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        extras: NewExtras,
    },
    /// List projects, a page at a time.
    List {
        #[command(flatten)]
        list: ListArgs,
        #[arg(long)]
        client: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        extras: ListExtras,
    },
    /// Change some fields of a project; prints the result.
    Edit {
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        rate: Option<String>,
        /// Empty clears the budget.
        #[arg(long)]
        budget: Option<String>,
        #[arg(long)]
        currency: Option<String>,
        #[arg(long)]
        start: Option<String>,
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        extras: EditExtras,
    },
    #[command(flatten)]
    Record(RecordCmd),
}

#[derive(Debug, Subcommand)]
pub enum JobCmd {
    /// Add a job; prints it.
    Add {
        #[arg(long)]
        title: String,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        url: Option<String>,
        /// fixed or hourly.
        #[arg(long)]
        budget_kind: Option<String>,
        #[arg(long, requires = "currency")]
        budget_min: Option<String>,
        #[arg(long, requires = "currency")]
        budget_max: Option<String>,
        #[arg(long)]
        currency: Option<String>,
        #[arg(long = "skill")]
        skills: Vec<String>,
        #[arg(long)]
        employer: Option<String>,
        /// The client posting the job, if you know them.
        #[arg(long)]
        client: Option<String>,
        #[command(flatten)]
        extras: NewExtras,
    },
    /// List jobs, a page at a time.
    List {
        #[command(flatten)]
        list: ListArgs,
        #[arg(long)]
        saved: bool,
        /// List hidden jobs instead of visible ones.
        #[arg(long)]
        hidden: bool,
        #[command(flatten)]
        extras: ListExtras,
    },
    /// Change some fields of a job; prints the result.
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        url: Option<String>,
        #[arg(long = "skill")]
        skills: Vec<String>,
        #[arg(long)]
        employer: Option<String>,
        #[arg(long)]
        client: Option<String>,
        #[arg(long)]
        saved: Option<bool>,
        #[arg(long)]
        hidden: Option<bool>,
        #[arg(long)]
        notes: Option<String>,
        #[command(flatten)]
        extras: EditExtras,
    },
    #[command(flatten)]
    Record(RecordCmd),
}

#[derive(Debug, Subcommand)]
pub enum BidCmd {
    /// Add a bid; prints it.
    Add {
        #[arg(long)]
        job: String,
        /// A decimal amount, e.g. 950.00.
        #[arg(long)]
        amount: String,
        #[arg(long)]
        currency: String,
        /// Delivery time in days.
        #[arg(long)]
        days: i64,
        /// The first milestone as a share of the amount, 0 to 100.
        #[arg(long, default_value_t = 0)]
        milestone_percentage: i64,
        #[arg(long, default_value = "")]
        proposal: String,
        #[arg(long)]
        project: Option<String>,
        #[command(flatten)]
        extras: NewExtras,
    },
    /// List bids, a page at a time.
    List {
        #[command(flatten)]
        list: ListArgs,
        #[arg(long)]
        job: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        extras: ListExtras,
    },
    /// Change some fields of a bid; prints the result.
    Edit {
        id: String,
        #[arg(long, requires = "currency")]
        amount: Option<String>,
        #[arg(long, requires = "amount")]
        currency: Option<String>,
        #[arg(long)]
        days: Option<i64>,
        /// The first milestone as a share of the amount, 0 to 100.
        #[arg(long)]
        milestone_percentage: Option<i64>,
        #[arg(long)]
        proposal: Option<String>,
        #[arg(long)]
        project: Option<String>,
        #[command(flatten)]
        extras: EditExtras,
    },
    /// Move a bid: draft, queued, submitted, shortlisted, awarded, rejected, withdrawn, failed.
    Status { id: String, status: String },
    /// Queue a draft bid for its marketplace; it leaves with the next sync.
    Submit { id: String },
    /// Record a bid you placed on the marketplace's own website (for one whose API takes
    /// no bids, such as Upwork); the next sync links it to your proposal there.
    Placed { id: String },
    /// Withdraw a bid: here at once, on the marketplace with the next sync.
    Withdraw { id: String },
    #[command(flatten)]
    Record(RecordCmd),
}

#[derive(Debug, Subcommand)]
pub enum MilestoneCmd {
    /// Add a milestone; prints it.
    Add {
        #[arg(long, required_unless_present = "bid")]
        project: Option<String>,
        #[arg(long)]
        bid: Option<String>,
        #[arg(long)]
        title: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        currency: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        due: Option<String>,
        #[command(flatten)]
        extras: NewExtras,
    },
    /// List milestones, a page at a time.
    List {
        #[command(flatten)]
        list: ListArgs,
        #[arg(long)]
        project: Option<String>,
        #[arg(long)]
        bid: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        extras: ListExtras,
    },
    /// Change some fields of a milestone; prints the result.
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long, requires = "currency")]
        amount: Option<String>,
        #[arg(long, requires = "amount")]
        currency: Option<String>,
        #[arg(long)]
        due: Option<String>,
        #[command(flatten)]
        extras: EditExtras,
    },
    /// pending, funded, released, refunded or disputed.
    Status { id: String, status: String },
    #[command(flatten)]
    Record(RecordCmd),
}

#[derive(Debug, Subcommand)]
pub enum NoteCmd {
    /// Add a note; prints it.
    Add {
        /// What the note is about: client:ID, contact:ID, project:ID, job:ID, bid:ID or milestone:ID.
        #[arg(long)]
        on: String,
        #[arg(long)]
        body: String,
        /// note, call, email, meeting or message.
        #[arg(long)]
        kind: Option<String>,
        /// When it happened (RFC 3339 or YYYY-MM-DD); default now.
        #[arg(long)]
        at: Option<String>,
    },
    /// List notes, a page at a time.
    List {
        #[command(flatten)]
        list: ListArgs,
        #[arg(long)]
        on: Option<String>,
        #[arg(long)]
        kind: Option<String>,
    },
    /// Change some fields of a note; prints the result.
    Edit {
        id: String,
        #[arg(long)]
        body: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        at: Option<String>,
    },
    #[command(flatten)]
    Record(RecordCmd),
}

#[derive(Debug, Subcommand)]
pub enum TaskCmd {
    /// Add a task; prints it.
    Add {
        #[arg(long)]
        title: String,
        #[arg(long)]
        notes: Option<String>,
        /// RFC 3339, or YYYY-MM-DD (midnight local time).
        #[arg(long)]
        due: Option<String>,
        /// When to be reminded (RFC 3339 or YYYY-MM-DD); by default the due time.
        #[arg(long, value_name = "AT")]
        remind: Option<String>,
        /// daily, weekly or monthly: done, it comes back one period later.
        #[arg(long, value_name = "daily|weekly|monthly")]
        repeat: Option<String>,
        /// The record it is about: client:ID, bid:ID, job:ID, project:ID …
        #[arg(long, value_name = "KIND:ID")]
        on: Option<String>,
    },
    /// Move a task's reminder later (the due time stays); prints the task.
    Snooze {
        id: String,
        /// The new reminder time (RFC 3339 or YYYY-MM-DD).
        #[arg(long, value_name = "AT", required_unless_present = "for_", conflicts_with = "for_")]
        until: Option<String>,
        /// How long from now: 30m, 1h, 2d, 1w.
        #[arg(long = "for", value_name = "SPAN")]
        for_: Option<String>,
    },
    /// List tasks, a page at a time.
    List {
        #[command(flatten)]
        list: ListArgs,
        /// Only open tasks.
        #[arg(long, conflicts_with = "done")]
        open: bool,
        /// Only done tasks.
        #[arg(long)]
        done: bool,
        #[arg(long)]
        on: Option<String>,
        /// Open tasks due before this time.
        #[arg(long)]
        due_before: Option<String>,
    },
    /// Change some fields of a task; prints the result.
    Edit {
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long)]
        due: Option<String>,
        #[arg(long)]
        remind: Option<String>,
        /// daily, weekly or monthly; empty to stop repeating.
        #[arg(long)]
        repeat: Option<String>,
    },
    Done {
        id: String,
    },
    Reopen {
        id: String,
    },
    #[command(flatten)]
    Record(RecordCmd),
}

/// Who a consent is about and how it came about.
#[derive(Debug, Args)]
pub struct ConsentArgs {
    /// usage_analytics, crash_reports, marketplace_marketing, marketplace_sharing (yours);
    /// marketing, processing (a client's, with --client).
    pub purpose: String,
    #[arg(long, value_name = "ID")]
    pub client: Option<String>,
    /// For processing: contract, consent or legitimate_interest.
    #[arg(long)]
    pub basis: Option<String>,
    /// Where the consent came from.
    #[arg(long)]
    pub source: Option<String>,
    /// A note on the evidence.
    #[arg(long)]
    pub evidence: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConsentCmd {
    /// The current state of each purpose (yours, or a client's with --client); --history for every row.
    List {
        #[arg(long, value_name = "ID")]
        client: Option<String>,
        #[arg(long)]
        history: bool,
    },
    /// Record a consent given.
    Grant(ConsentArgs),
    /// Record a consent withdrawn; it applies at once.
    Withdraw(ConsentArgs),
}

#[derive(Debug, Subcommand)]
pub enum RetentionCmd {
    /// The rules and when they last ran.
    Show,
    /// Change the rules.
    Set {
        /// Erase clients archived this many months ago.
        #[arg(long, value_name = "MONTHS", conflicts_with = "keep_archived")]
        archived_months: Option<u32>,
        /// Never erase archived clients by themselves.
        #[arg(long)]
        keep_archived: bool,
        /// Purge records deleted this many days ago.
        #[arg(long, value_name = "DAYS")]
        deleted_days: Option<u32>,
    },
    /// Apply the rules now.
    Run,
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Every entry, oldest first.
    List,
    /// Check the hash chain; exits non-zero naming the first broken entry.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum PrivacyCmd {
    /// The privacy overview.
    Status,
    /// The usage counts waiting for the next sync, what it would send and
    /// where (as Settings → Privacy shows them). The command line itself
    /// never counts usage.
    Usage,
}
