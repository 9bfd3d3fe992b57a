//! Ports: what the application needs from storage. `store` implements them for SQLite and
//! PostgreSQL; handlers see only these traits and the domain types.
//!
//! Every mutation takes the [`Actor`] and writes its audit entry in the same transaction.

use crate::accounts::{Actor, ApiToken, Credentials, NewUser, Session, User, UserUpdateInput};
use crate::audit::{AuditEntry, AuditEvent, VerifyReport};
use crate::cases::{
    Assessment, AssessmentFields, Case, CaseChange, CaseEvent, CaseFact, CaseFields, CaseFilter, CasePage, CaseScope, CaseSettings, Goal,
    Note, NoteFields, Plan, Problem, Referral, ReferralFields, ReferralOutcome, Task, TaskFields, TodoItem,
};
use crate::clients::{Category, Client, ClientFields, ClientFilter, Consent, ConsentFields, DuplicateMatch, Household, HouseholdFields};
use crate::error::Result;
use crate::ids::{CaseId, ClientId, ConsentId, HouseholdId, NoteId, OrgId, PlanId, ReferralId, TaskId, TokenId, UnitId, UserId};
use crate::locale::Locale;
use crate::units::{Agency, ServiceUnit, UnitFields};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

#[async_trait]
pub trait UnitsRepo: Send + Sync {
    /// Creates an agency with its first admin account (password already hashed).
    async fn create_agency(&self, agency: &Agency, admin: &NewUser, admin_hash: &str) -> Result<User>;
    async fn agency(&self, org: OrgId) -> Result<Agency>;
    async fn list_agencies(&self) -> Result<Vec<Agency>>;
    async fn list_units(&self, org: OrgId) -> Result<Vec<ServiceUnit>>;
    async fn get_unit(&self, org: OrgId, id: UnitId) -> Result<ServiceUnit>;
    async fn create_unit(&self, actor: &Actor, fields: &UnitFields) -> Result<ServiceUnit>;
    /// Refused with [`crate::DomainError::Stale`] when `version` is not the stored one.
    async fn update_unit(&self, actor: &Actor, id: UnitId, version: i64, fields: &UnitFields) -> Result<ServiceUnit>;
}

/// Result of a failed password check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureOutcome {
    StillOpen { failures: i32 },
    LockedUntil(DateTime<Utc>),
}

#[async_trait]
pub trait AccountsRepo: Send + Sync {
    async fn credentials(&self, username: &str) -> Result<Option<Credentials>>;
    async fn get_user(&self, org: OrgId, id: UserId) -> Result<User>;
    async fn list_users(&self, org: OrgId) -> Result<Vec<User>>;
    async fn create_user(&self, actor: &Actor, new: &NewUser, password_hash: &str) -> Result<User>;
    async fn update_user(&self, actor: &Actor, id: UserId, update: &UserUpdateInput) -> Result<User>;
    /// Sets a new password hash, clears any lock-out and ends the user's other sessions.
    async fn set_password(&self, actor: &Actor, id: UserId, password_hash: &str) -> Result<()>;
    async fn set_locale(&self, org: OrgId, id: UserId, locale: Locale) -> Result<()>;
    async fn record_login_failure(&self, user: &User, now: DateTime<Utc>) -> Result<FailureOutcome>;
    async fn record_login_success(&self, user: &User, now: DateTime<Utc>) -> Result<()>;

    async fn create_session(&self, user: &User, token_hash: &str, csrf: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> Result<()>;
    /// The live session for a token hash; slides its expiry forward to `new_expiry`.
    async fn find_session(&self, token_hash: &str, now: DateTime<Utc>, new_expiry: DateTime<Utc>) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    async fn create_token(&self, actor: &Actor, user: UserId, name: &str, token_hash: &str, now: DateTime<Utc>) -> Result<ApiToken>;
    async fn list_tokens(&self, org: OrgId, user: UserId) -> Result<Vec<ApiToken>>;
    async fn revoke_token(&self, actor: &Actor, user: UserId, id: TokenId) -> Result<()>;
    async fn user_for_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>>;
}

#[async_trait]
pub trait AuditRepo: Send + Sync {
    /// Appends an entry outside any other change (sign-in, views, exports).
    async fn append(&self, actor: &Actor, event: AuditEvent) -> Result<()>;
    /// Newest first.
    async fn list_audit(&self, org: OrgId, before_seq: Option<i64>, limit: u64) -> Result<Vec<AuditEntry>>;
    async fn verify_audit(&self, org: OrgId) -> Result<VerifyReport>;
    /// Entries about one record, oldest first (a client's timeline).
    async fn audit_for(&self, org: OrgId, entity_type: &str, entity_id: &str) -> Result<Vec<AuditEntry>>;
}

/// A page of clients and how many match in all.
#[derive(Clone, Debug)]
pub struct ClientPage {
    pub clients: Vec<Client>,
    pub total: u64,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    pub created: u64,
    /// Rows that matched a person already registered (same identity document, or same name,
    /// birth date and phone): re-running a file creates no duplicates.
    pub already_registered: u64,
}

/// A record of two clients merged into one.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MergeRecord {
    pub survivor: ClientId,
    pub merged: ClientId,
    pub merged_by: String,
    pub at: DateTime<Utc>,
    /// The merged record as it was, as JSON.
    pub snapshot: String,
}

#[async_trait]
pub trait ClientsRepo: Send + Sync {
    async fn categories(&self, org: OrgId) -> Result<Vec<Category>>;
    async fn create_client(&self, actor: &Actor, fields: &ClientFields) -> Result<Client>;
    /// The full record (the web layer masks what the caller may not see).
    async fn get_client(&self, org: OrgId, id: ClientId) -> Result<Client>;
    async fn clients_by_ids(&self, org: OrgId, ids: &[ClientId]) -> Result<Vec<Client>>;
    async fn update_client(&self, actor: &Actor, id: ClientId, version: i64, fields: &ClientFields) -> Result<Client>;
    /// Clients in `units` (None: every unit) matching the filter's unit, category, district and
    /// status (the text query is answered by the search index, not here).
    async fn list_clients(
        &self,
        org: OrgId,
        filter: &ClientFilter,
        units: Option<&[UnitId]>,
        offset: u64,
        limit: u64,
    ) -> Result<ClientPage>;
    async fn close_client(&self, actor: &Actor, id: ClientId, version: i64, on: NaiveDate) -> Result<Client>;
    async fn reopen_client(&self, actor: &Actor, id: ClientId, version: i64) -> Result<Client>;
    /// Registered people who may be the same as `fields` (same phone, same identity document,
    /// or a similar name with the same birth date).
    async fn find_duplicates(&self, org: OrgId, fields: &ClientFields, exclude: Option<ClientId>) -> Result<Vec<DuplicateMatch>>;
    /// Pairs of active records that may be one person, for the review list.
    async fn duplicate_pairs(&self, org: OrgId, units: Option<&[UnitId]>, limit: u64) -> Result<Vec<(Client, DuplicateMatch)>>;
    /// Moves everything linked to `merged` onto `survivor` and retires `merged`.
    async fn merge_clients(&self, actor: &Actor, survivor: ClientId, merged: ClientId) -> Result<Client>;
    async fn merges(&self, org: OrgId, limit: u64) -> Result<Vec<MergeRecord>>;
    /// Registers every row in one transaction, skipping people already registered.
    async fn import_clients(&self, actor: &Actor, rows: &[ClientFields]) -> Result<ImportOutcome>;
    /// How many rows of `rows` are already registered (for the dry run).
    async fn count_registered(&self, org: OrgId, rows: &[ClientFields]) -> Result<u64>;
    /// Clears the personal details of records closed before `closed_before`, keeping what the
    /// statistics need (sex, age band, district, categories, unit). Returns the ids.
    async fn anonymise_closed(&self, actor: &Actor, closed_before: NaiveDate) -> Result<Vec<ClientId>>;
    /// How many client records exist in all (the search index should hold as many).
    async fn client_count(&self) -> Result<u64>;
    /// Every client of every agency after `after`, in id order (rebuilding the search index).
    async fn clients_after(&self, after: Option<(OrgId, ClientId)>, limit: u64) -> Result<Vec<Client>>;

    async fn add_consent(&self, actor: &Actor, client: ClientId, fields: &ConsentFields) -> Result<Consent>;
    async fn withdraw_consent(&self, actor: &Actor, client: ClientId, consent: ConsentId, on: NaiveDate) -> Result<Consent>;
    async fn consents(&self, org: OrgId, client: ClientId) -> Result<Vec<Consent>>;

    async fn create_household(&self, actor: &Actor, fields: &HouseholdFields) -> Result<Household>;
    async fn update_household(&self, actor: &Actor, id: HouseholdId, version: i64, fields: &HouseholdFields) -> Result<Household>;
    async fn get_household(&self, org: OrgId, id: HouseholdId) -> Result<Household>;
    async fn household_of(&self, org: OrgId, client: ClientId) -> Result<Option<Household>>;
}

/// Casework. Every change loads the case inside its transaction, lets the domain decide
/// ([`Case::apply`]), and writes the case, its timeline entry and the audit row together.
#[async_trait]
pub trait CasesRepo: Send + Sync {
    async fn problems(&self, org: OrgId) -> Result<Vec<Problem>>;
    /// Replaces the agency's list (codes in use can be deactivated, never removed).
    async fn save_problems(&self, actor: &Actor, problems: &[Problem]) -> Result<()>;
    async fn case_settings(&self, org: OrgId) -> Result<CaseSettings>;
    async fn save_case_settings(&self, actor: &Actor, settings: &CaseSettings) -> Result<CaseSettings>;

    async fn open_case(&self, actor: &Actor, fields: &CaseFields) -> Result<Case>;
    async fn get_case(&self, org: OrgId, id: CaseId) -> Result<Case>;
    /// `units`: only these units (None: all); `sensitive`: include cases with a sensitive problem.
    async fn list_cases(
        &self,
        org: OrgId,
        scope: CaseScope<'_>,
        filter: &CaseFilter,
        today: NaiveDate,
        offset: u64,
        limit: u64,
    ) -> Result<CasePage>;
    /// Applies a change to the case at `version`; refused with `Stale` when it moved on.
    async fn change_case(&self, actor: &Actor, id: CaseId, version: i64, change: CaseChange, today: NaiveDate) -> Result<Case>;
    async fn case_events(&self, org: OrgId, id: CaseId) -> Result<Vec<CaseEvent>>;

    async fn add_assessment(&self, actor: &Actor, case: CaseId, fields: &AssessmentFields) -> Result<Assessment>;
    async fn assessments(&self, org: OrgId, case: CaseId) -> Result<Vec<Assessment>>;

    /// Saves goals into the case's editable plan (creating one when there is none); `submit`
    /// sends it for approval, or puts it in force when `approval` is false.
    async fn save_plan(
        &self,
        actor: &Actor,
        case: CaseId,
        plan: Option<(PlanId, i64)>,
        goals: &[Goal],
        submit: bool,
        approval: bool,
    ) -> Result<Plan>;
    async fn decide_plan(&self, actor: &Actor, case: CaseId, plan: PlanId, version: i64, approve: bool, comment: &str) -> Result<Plan>;
    /// Newest first.
    async fn plans(&self, org: OrgId, case: CaseId) -> Result<Vec<Plan>>;

    /// Writes a note (and its follow-up task); `corrects`: the note it puts right.
    async fn add_note(&self, actor: &Actor, case: CaseId, fields: &NoteFields, corrects: Option<NoteId>) -> Result<Note>;
    /// Changes a note in place (the caller has checked it is still editable).
    async fn edit_note(&self, actor: &Actor, case: CaseId, note: NoteId, version: i64, fields: &NoteFields) -> Result<Note>;
    async fn get_note(&self, org: OrgId, case: CaseId, note: NoteId) -> Result<Note>;
    /// Newest first.
    async fn notes(&self, org: OrgId, case: CaseId) -> Result<Vec<Note>>;

    async fn add_task(&self, actor: &Actor, case: CaseId, fields: &TaskFields) -> Result<Task>;
    async fn complete_task(&self, actor: &Actor, case: CaseId, task: TaskId, on: NaiveDate) -> Result<Task>;
    async fn tasks(&self, org: OrgId, case: CaseId) -> Result<Vec<Task>>;

    async fn add_referral(&self, actor: &Actor, case: CaseId, fields: &ReferralFields) -> Result<Referral>;
    async fn update_referral(
        &self,
        actor: &Actor,
        case: CaseId,
        referral: ReferralId,
        version: i64,
        outcome: &ReferralOutcome,
    ) -> Result<Referral>;
    async fn referrals(&self, org: OrgId, case: CaseId) -> Result<Vec<Referral>>;

    /// Reviews and follow-ups due by `until`, plans and closures waiting for approval or
    /// returned, in `units`; `worker`: only that worker's cases.
    async fn case_todo(&self, org: OrgId, scope: CaseScope<'_>, worker: Option<UserId>, until: NaiveDate) -> Result<Vec<TodoItem>>;
    /// The cases open at any time between `from` and `to`, for the statistics.
    async fn case_facts(&self, org: OrgId, units: Option<&[UnitId]>, from: NaiveDate, to: NaiveDate) -> Result<Vec<CaseFact>>;
}

/// What the search index holds of a client: enough to find them, nothing more.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientDoc {
    pub org_id: OrgId,
    pub id: ClientId,
    pub unit_id: UnitId,
    pub name_zh: String,
    pub name_en: String,
    pub phones: Vec<String>,
    pub id_last4: String,
    pub active: bool,
}

impl From<&Client> for ClientDoc {
    fn from(c: &Client) -> Self {
        Self {
            org_id: c.org_id,
            id: c.id,
            unit_id: c.unit_id,
            name_zh: c.name_zh.clone(),
            name_en: c.name_en.clone(),
            phones: c.phones.clone(),
            id_last4: c.id_doc_number.as_deref().map(crate::clients::id_last4).unwrap_or_default(),
            active: c.status == crate::clients::ClientStatus::Active || c.status == crate::clients::ClientStatus::Closed,
        }
    }
}

/// The client search index (derived from the database; rebuildable at any time).
pub trait SearchIndex: Send + Sync {
    /// Adds or replaces documents and makes them searchable before returning.
    fn upsert(&self, docs: &[ClientDoc]) -> Result<()>;
    fn delete(&self, ids: &[ClientId]) -> Result<()>;
    /// Best matches first. The query is a name in Traditional or Simplified Chinese, pinyin or
    /// English; a phone fragment of 4+ digits; or the last 4 characters of an identity number.
    /// `units`: only clients of these units (None: any unit of the agency).
    fn search(&self, org: OrgId, query: &str, units: Option<&[UnitId]>, limit: usize) -> Result<Vec<ClientId>>;
    fn clear(&self) -> Result<()>;
    fn count(&self) -> Result<u64>;
}

/// Everything the application stores.
#[async_trait]
pub trait Storage:
    UnitsRepo
    + AccountsRepo
    + AuditRepo
    + ClientsRepo
    + CasesRepo
    + ActivitiesRepo
    + HotlineRepo
    + VolunteersRepo
    + LendingRepo
    + AssistanceRepo
    + DonationsRepo
    + ReportsRepo
    + CoverageRepo
    + OutcomesRepo
    + KnowledgeRepo
    + OutreachRepo
{
    /// `sqlite` or `postgres`.
    fn backend_name(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
}

/// Coverage (便利圈): settings, the imported population grid, candidate sites and the walking
/// network. Every change writes its audit row in the same transaction.
#[async_trait]
pub trait CoverageRepo: Send + Sync {
    /// The agency's settings (the defaults, version 0, until saved).
    async fn coverage_settings(&self, org: OrgId) -> Result<crate::coverage::CoverageSettings>;
    /// Saves them; refused with `Stale` when `settings.version` is not the stored one.
    async fn save_coverage_settings(
        &self,
        actor: &Actor,
        settings: &crate::coverage::CoverageSettings,
    ) -> Result<crate::coverage::CoverageSettings>;
    /// Replaces the agency's population grid with `cells`; returns how many were stored.
    async fn replace_grid(&self, actor: &Actor, cells: &[crate::coverage::GridCell]) -> Result<u64>;
    /// The grid's cells (of one district, or all).
    async fn grid_cells(&self, org: OrgId, district: Option<&str>) -> Result<Vec<crate::coverage::GridCell>>;
    /// Where active clients with coordinates live (of one district, or all), one person each,
    /// with their vulnerable categories. Never names anyone.
    async fn client_residents(&self, org: OrgId, district: Option<&str>) -> Result<Vec<crate::coverage::Resident>>;
    async fn list_sites(&self, org: OrgId) -> Result<Vec<crate::coverage::Site>>;
    async fn get_site(&self, org: OrgId, id: crate::ids::SiteId) -> Result<crate::coverage::Site>;
    async fn create_site(&self, actor: &Actor, fields: &crate::coverage::SiteFields) -> Result<crate::coverage::Site>;
    /// Refused with `Stale` on a stale version.
    async fn update_site(
        &self,
        actor: &Actor,
        id: crate::ids::SiteId,
        version: i64,
        fields: &crate::coverage::SiteFields,
    ) -> Result<crate::coverage::Site>;
    /// Refused with `Stale` on a stale version.
    async fn delete_site(&self, actor: &Actor, id: crate::ids::SiteId, version: i64) -> Result<()>;
    /// Replaces the agency's walking network (stored as one compact blob).
    async fn save_network(&self, actor: &Actor, graph: &crate::coverage::WalkGraph, source: &str) -> Result<crate::coverage::NetworkInfo>;
    async fn network_info(&self, org: OrgId) -> Result<Option<crate::coverage::NetworkInfo>>;
    async fn network(&self, org: OrgId) -> Result<Option<crate::coverage::WalkGraph>>;
}

/// Groups, programmes and activities: planning, enrolment, attendance and the counts.
///
/// Attendance writes keep the count rollups in the same transaction, so counts are exact and
/// current at once; [`ActivitiesRepo::rebuild_activity_rollups`] derives them again from the rows.
#[async_trait]
pub trait ActivitiesRepo: Send + Sync {
    /// The agency's domains (the defaults are stored on first use).
    async fn activity_domains(&self, org: OrgId) -> Result<Vec<crate::activities::ActivityDomain>>;
    /// Adds or replaces a specialty domain (the core ones cannot be switched off).
    async fn save_activity_domain(&self, actor: &Actor, domain: &crate::activities::ActivityDomain) -> Result<()>;
    async fn create_activity(&self, actor: &Actor, fields: &crate::activities::ActivityFields) -> Result<crate::activities::Activity>;
    async fn get_activity(&self, org: OrgId, id: crate::ids::ActivityId) -> Result<crate::activities::Activity>;
    /// Refused with `Stale` on a stale version; unit, kind, domain and counting category cannot
    /// change once attendance was taken (the counts already hold them).
    async fn update_activity(
        &self,
        actor: &Actor,
        id: crate::ids::ActivityId,
        version: i64,
        fields: &crate::activities::ActivityFields,
    ) -> Result<crate::activities::Activity>;
    /// Activities of `units` (None: every unit), newest first.
    async fn list_activities(
        &self,
        org: OrgId,
        filter: &crate::activities::ActivityFilter,
        units: Option<&[UnitId]>,
        limit: u64,
    ) -> Result<Vec<crate::activities::Activity>>;
    async fn evaluate_activity(
        &self,
        actor: &Actor,
        id: crate::ids::ActivityId,
        version: i64,
        evaluation: &crate::activities::Evaluation,
    ) -> Result<crate::activities::Activity>;

    async fn add_session(
        &self,
        actor: &Actor,
        activity: crate::ids::ActivityId,
        fields: &crate::activities::SessionFields,
    ) -> Result<crate::activities::Session>;
    async fn get_session(&self, org: OrgId, id: crate::ids::SessionId) -> Result<crate::activities::Session>;
    async fn sessions(&self, org: OrgId, activity: crate::ids::ActivityId) -> Result<Vec<crate::activities::Session>>;
    /// Writes the session log.
    async fn save_session_log(
        &self,
        actor: &Actor,
        id: crate::ids::SessionId,
        version: i64,
        log: &str,
    ) -> Result<crate::activities::Session>;

    /// Enrols clients (or every member of a household, or a new guest); when the activity is
    /// full they join the waiting list.
    async fn enrol(
        &self,
        actor: &Actor,
        activity: crate::ids::ActivityId,
        clients: &[ClientId],
        guest: Option<&crate::activities::GuestFields>,
    ) -> Result<crate::activities::EnrolOutcome>;
    /// Withdraws a participant; the first person waiting takes the place.
    async fn withdraw(&self, actor: &Actor, activity: crate::ids::ActivityId, person_no: i64) -> Result<()>;
    async fn participants(&self, org: OrgId, activity: crate::ids::ActivityId) -> Result<Vec<crate::activities::Participant>>;

    /// The checklist of a session: the enrolled, and anyone else marked present.
    async fn attendance(&self, org: OrgId, session: crate::ids::SessionId) -> Result<Vec<crate::activities::AttendanceLine>>;
    /// Marks people present or absent. Idempotent: marking twice changes nothing the second time.
    async fn mark_attendance(
        &self,
        actor: &Actor,
        session: crate::ids::SessionId,
        input: &crate::activities::AttendanceInput,
    ) -> Result<crate::activities::AttendanceOutcome>;
    /// Records a walk-in guest and marks them present. Returns their person number.
    async fn add_walk_in(&self, actor: &Actor, session: crate::ids::SessionId, guest: &crate::activities::GuestFields) -> Result<i64>;
    /// The person number of a client (given one if they have none yet).
    async fn person_number(&self, org: OrgId, client: ClientId) -> Result<i64>;

    /// Sessions of `units` (None: every unit) between two dates, and for one worker when given.
    async fn calendar(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        worker: Option<UserId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<crate::activities::CalendarEntry>>;

    /// Sessions held, groups or events held, person-times and unique persons for `units`
    /// (None: every unit) from `from` to `to` inclusive, broken down by `group_by`.
    async fn activity_counts(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
        group_by: crate::activities::CountGrain,
    ) -> Result<Vec<crate::activities::CountRow>>;
    /// Derives every count rollup of the agency again from the attendance rows.
    async fn rebuild_activity_rollups(&self, org: OrgId) -> Result<()>;
    /// The staff accounts recorded present at a session.
    async fn staff_attendance(&self, org: OrgId, session: crate::ids::SessionId) -> Result<Vec<crate::activities::StaffPresent>>;
    /// Replaces the staff present at a session with `present`, with its audit row.
    async fn set_staff_attendance(
        &self,
        actor: &Actor,
        session: crate::ids::SessionId,
        present: &[UserId],
    ) -> Result<Vec<crate::activities::StaffPresent>>;
}

/// Which calls to list.
#[derive(Clone, Debug, Default)]
pub struct CallQuery<'a> {
    /// Only these units (None: every unit).
    pub units: Option<&'a [UnitId]>,
    pub client: Option<ClientId>,
    pub phone: Option<&'a str>,
    /// Only calls escalated to this supervisor and not yet acknowledged.
    pub open_escalations_for: Option<UserId>,
    pub limit: u64,
}

/// Hotline points, roster, calls, the follow-up queue and check-in schedules. A call, its
/// follow-up and its audit row are written in one transaction.
#[async_trait]
pub trait HotlineRepo: Send + Sync {
    /// The agency's topics (the defaults until saved).
    async fn hotline_topics(&self, org: OrgId) -> Result<Vec<crate::hotline::Topic>>;
    /// Replaces the list (codes in use can be deactivated, never removed).
    async fn save_hotline_topics(&self, actor: &Actor, topics: &[crate::hotline::Topic]) -> Result<()>;
    /// The point of a unit (version 0 with no numbers until saved).
    async fn hotline_point(&self, org: OrgId, unit: UnitId) -> Result<crate::hotline::HotlinePoint>;
    async fn save_hotline_point(
        &self,
        actor: &Actor,
        unit: UnitId,
        version: i64,
        fields: &crate::hotline::PointFields,
    ) -> Result<crate::hotline::HotlinePoint>;
    async fn add_shift(&self, actor: &Actor, unit: UnitId, shift: &crate::hotline::ShiftInput) -> Result<crate::hotline::Shift>;
    /// Shifts of `units` (None: every unit) overlapping `from`..`to`.
    async fn shifts(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::hotline::Shift>>;

    /// Saves a call, with its follow-up when one is needed, and the audit row.
    async fn log_call(&self, actor: &Actor, fields: &crate::hotline::CallFields) -> Result<crate::hotline::Call>;
    async fn get_call(&self, org: OrgId, id: crate::ids::CallId) -> Result<crate::hotline::Call>;
    /// Newest first.
    async fn list_calls(&self, org: OrgId, q: &CallQuery<'_>) -> Result<Vec<crate::hotline::Call>>;
    /// The named supervisor has seen the escalation.
    async fn acknowledge_call(&self, actor: &Actor, id: crate::ids::CallId) -> Result<crate::hotline::Call>;
    /// Records the case opened from a call.
    async fn link_call_case(&self, actor: &Actor, id: crate::ids::CallId, case: CaseId) -> Result<crate::hotline::Call>;

    /// Follow-ups of `units` (None: every unit): open ones always, done ones since `done_since`.
    async fn follow_ups(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        done_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<crate::hotline::FollowUp>>;
    async fn get_follow_up(&self, org: OrgId, id: crate::ids::FollowUpId) -> Result<crate::hotline::FollowUp>;
    /// Marks a follow-up done; refused as stale when it already is.
    async fn complete_follow_up(
        &self,
        actor: &Actor,
        id: crate::ids::FollowUpId,
        result: &str,
        today: NaiveDate,
    ) -> Result<crate::hotline::FollowUp>;

    async fn create_schedule(&self, actor: &Actor, fields: &crate::hotline::ScheduleFields) -> Result<crate::hotline::CheckInSchedule>;
    async fn get_schedule(&self, org: OrgId, id: crate::ids::CheckInScheduleId) -> Result<crate::hotline::CheckInSchedule>;
    /// Active schedules of `units` (None: every unit) due on or before `due_by` (None: all).
    async fn schedules(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        due_by: Option<NaiveDate>,
    ) -> Result<Vec<crate::hotline::CheckInSchedule>>;
    /// Records a check-in call; the second miss in a row adds a home-visit task to the person's
    /// open case, or a home-visit item to the follow-up queue when there is none.
    async fn record_check_in(
        &self,
        actor: &Actor,
        id: crate::ids::CheckInScheduleId,
        result: crate::hotline::AttemptResult,
        today: NaiveDate,
    ) -> Result<crate::hotline::AttemptOutcome>;

    async fn set_caller_flag(
        &self,
        actor: &Actor,
        client: ClientId,
        flag: crate::hotline::CallerFlagKind,
        until: NaiveDate,
    ) -> Result<crate::hotline::CallerFlag>;
    /// Flags still in force on `today`.
    async fn caller_flags(&self, org: OrgId, client: ClientId, today: NaiveDate) -> Result<Vec<crate::hotline::CallerFlag>>;

    /// Calls, follow-ups done, check-ins made and shifts of `units` (None: every unit) between
    /// `from` and `to` inclusive (days in the agency's time zone as the calls recorded them).
    async fn hotline_facts(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<crate::hotline::HotlineFacts>;
}

/// Volunteers: the register, courses and training, pathway stages, duties and assignments,
/// hours and the settings. Assigning locks the volunteer's row, checks for a clash with their
/// other duties and takes a place on the duty (never more than it needs) in one transaction.
#[async_trait]
pub trait VolunteersRepo: Send + Sync {
    /// The agency's tiers (the Hong Kong defaults until saved).
    async fn volunteer_settings(&self, org: OrgId) -> Result<crate::volunteers::VolunteerSettings>;
    /// Refused with `Stale` when `settings.version` is not the stored one (0 before the first save).
    async fn save_volunteer_settings(
        &self,
        actor: &Actor,
        settings: &crate::volunteers::VolunteerSettings,
    ) -> Result<crate::volunteers::VolunteerSettings>;
    /// The agency's secret for signing sign-up links; the first call stores `fresh` (random
    /// bytes from the caller). It never leaves the server.
    async fn volunteer_link_key(&self, org: OrgId, fresh: &[u8]) -> Result<Vec<u8>>;

    async fn create_volunteer(&self, actor: &Actor, fields: &crate::volunteers::VolunteerFields) -> Result<crate::volunteers::Volunteer>;
    async fn update_volunteer(
        &self,
        actor: &Actor,
        id: crate::ids::VolunteerId,
        version: i64,
        fields: &crate::volunteers::VolunteerFields,
    ) -> Result<crate::volunteers::Volunteer>;
    async fn get_volunteer(&self, org: OrgId, id: crate::ids::VolunteerId) -> Result<crate::volunteers::Volunteer>;
    /// Volunteers of `units` (None: every unit), by name.
    async fn list_volunteers(&self, org: OrgId, units: Option<&[UnitId]>) -> Result<Vec<crate::volunteers::Volunteer>>;
    /// The volunteer records linked to a login.
    async fn volunteers_of_user(&self, org: OrgId, user: UserId) -> Result<Vec<crate::volunteers::Volunteer>>;
    /// The volunteer records linked to a client record.
    async fn volunteers_of_client(&self, org: OrgId, client: ClientId) -> Result<Vec<crate::volunteers::Volunteer>>;

    async fn courses(&self, org: OrgId) -> Result<Vec<crate::volunteers::Course>>;
    async fn create_course(&self, actor: &Actor, fields: &crate::volunteers::CourseFields) -> Result<crate::volunteers::Course>;
    async fn update_course(
        &self,
        actor: &Actor,
        id: crate::ids::CourseId,
        version: i64,
        fields: &crate::volunteers::CourseFields,
    ) -> Result<crate::volunteers::Course>;
    async fn record_training(
        &self,
        actor: &Actor,
        volunteer: crate::ids::VolunteerId,
        course: &crate::volunteers::Course,
        completed_on: NaiveDate,
    ) -> Result<crate::volunteers::Training>;
    /// Trainings of these volunteers (None: every volunteer of the agency).
    async fn trainings(&self, org: OrgId, volunteers: Option<&[crate::ids::VolunteerId]>) -> Result<Vec<crate::volunteers::Training>>;
    async fn add_stage(
        &self,
        actor: &Actor,
        volunteer: crate::ids::VolunteerId,
        stage: crate::volunteers::PeerStage,
        on: NaiveDate,
        note: &str,
    ) -> Result<crate::volunteers::Stage>;
    /// Oldest first.
    async fn stages(&self, org: OrgId, volunteer: crate::ids::VolunteerId) -> Result<Vec<crate::volunteers::Stage>>;

    async fn create_duty(&self, actor: &Actor, fields: &crate::volunteers::DutyFields) -> Result<crate::volunteers::Duty>;
    async fn get_duty(&self, org: OrgId, id: crate::ids::DutyId) -> Result<crate::volunteers::Duty>;
    /// Duties of `units` (None: every unit) overlapping `from`..`to`, soonest first.
    async fn list_duties(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::volunteers::Duty>>;
    /// The volunteer's duties (still assigned) overlapping `from`..`to`.
    async fn busy(
        &self,
        org: OrgId,
        volunteer: crate::ids::VolunteerId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::volunteers::Busy>>;
    /// Puts a volunteer on a duty. Refused (field errors on `volunteer_id`) when it clashes with
    /// another of their duties, when the duty is full or cancelled, or when they are on it already.
    async fn assign(
        &self,
        actor: &Actor,
        duty: crate::ids::DutyId,
        volunteer: crate::ids::VolunteerId,
        via: crate::volunteers::SignUpVia,
    ) -> Result<crate::volunteers::Assignment>;
    async fn get_assignment(&self, org: OrgId, id: crate::ids::AssignmentId) -> Result<crate::volunteers::Assignment>;
    async fn duty_assignments(&self, org: OrgId, duty: crate::ids::DutyId) -> Result<Vec<crate::volunteers::Assignment>>;
    /// Newest first.
    async fn volunteer_assignments(&self, org: OrgId, volunteer: crate::ids::VolunteerId) -> Result<Vec<crate::volunteers::Assignment>>;
    /// Takes the volunteer off the duty (refused once hours were recorded) and frees the place.
    async fn withdraw_assignment(&self, actor: &Actor, id: crate::ids::AssignmentId, version: i64)
        -> Result<crate::volunteers::Assignment>;
    /// Refused as stale when already checked in.
    async fn check_in(&self, actor: &Actor, id: crate::ids::AssignmentId, at: DateTime<Utc>) -> Result<crate::volunteers::Assignment>;
    /// Records the duty's hours (approved) and closes the assignment: at check-out (`check_out`
    /// given) or by a staff member's confirmation. Refused as stale when hours were recorded.
    async fn close_assignment(
        &self,
        actor: &Actor,
        id: crate::ids::AssignmentId,
        version: i64,
        check_out: Option<DateTime<Utc>>,
        hours: &crate::volunteers::HoursFields,
    ) -> Result<(crate::volunteers::Assignment, crate::volunteers::HourEntry)>;

    /// Hours outside a duty: self-reported ones wait for approval, staff's are approved.
    async fn add_hours(
        &self,
        actor: &Actor,
        volunteer: crate::ids::VolunteerId,
        unit: UnitId,
        source: crate::volunteers::HourSource,
        hours: &crate::volunteers::HoursFields,
    ) -> Result<crate::volunteers::HourEntry>;
    async fn get_hours(&self, org: OrgId, id: crate::ids::HourEntryId) -> Result<crate::volunteers::HourEntry>;
    /// Approves or rejects a pending entry at `version`.
    async fn decide_hours(
        &self,
        actor: &Actor,
        id: crate::ids::HourEntryId,
        version: i64,
        approve: bool,
    ) -> Result<crate::volunteers::HourEntry>;
    /// Newest first.
    async fn volunteer_hours(&self, org: OrgId, volunteer: crate::ids::VolunteerId) -> Result<Vec<crate::volunteers::HourEntry>>;
    /// Entries waiting for a decision in `units` (None: every unit).
    async fn pending_hours(&self, org: OrgId, units: Option<&[UnitId]>) -> Result<Vec<crate::volunteers::HourEntry>>;
    /// Approved hours of `units` (None: every unit) served from `from` to `to` inclusive.
    async fn hour_facts(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<crate::volunteers::HourFact>>;
    /// Approved entries with their volunteers, for the service-record export.
    async fn hour_entries_between(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<crate::volunteers::HourEntry>>;
    /// (activity, volunteer) of every volunteer on duty at an activity session of `units`
    /// between the dates.
    async fn activity_volunteers(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(crate::ids::ActivityId, crate::ids::VolunteerId)>>;
}

/// Which toys to list.
#[derive(Clone, Debug, Default)]
pub struct ToyQuery<'a> {
    /// Only toys now at these units (None: every unit: the catalogue is shared by the network).
    pub units: Option<&'a [UnitId]>,
    /// Part of the name or the code.
    pub text: Option<&'a str>,
    pub status: Option<crate::lending::ToyStatus>,
    pub limit: u64,
}

/// Which loans to list.
#[derive(Clone, Debug, Default)]
pub struct LoanQuery<'a> {
    /// Only loans checked out at these units (None: every unit).
    pub units: Option<&'a [UnitId]>,
    pub member: Option<crate::ids::MemberId>,
    pub toy: Option<crate::ids::ToyId>,
    /// Only loans not yet returned.
    pub open_only: bool,
    /// Only open loans due on or before this day.
    pub due_by: Option<NaiveDate>,
    pub limit: u64,
}

/// What a return did.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ReturnOutcome {
    pub loan: crate::lending::Loan,
    /// The repair or lost item the return opened (missing parts, damage).
    pub repair: Option<crate::lending::Repair>,
    /// Points earned for returning on time (0 when late).
    pub points: i64,
    /// Where the toy went: `available`, `on_hold` for the first family waiting, `in_transit`
    /// to their unit, or `in_repair`.
    pub toy_status: crate::lending::ToyStatus,
    pub transfer: Option<crate::lending::Transfer>,
}

/// The toy library: catalogue, members, loans, the repair queue, reservations and transfers,
/// the points ledger and the reminders sent. A check-out, a return or a redemption is one
/// transaction with its audit row; the toy's and the household's rows are updated only while
/// they still allow it, so concurrent counters never lend one toy twice or overdraw points.
#[async_trait]
pub trait LendingRepo: Send + Sync {
    /// The agency's settings (the defaults until saved).
    async fn lending_settings(&self, org: OrgId) -> Result<crate::lending::LendingSettings>;
    /// Replaces them (membership types in use can be deactivated, never removed).
    async fn save_lending_settings(&self, actor: &Actor, settings: &crate::lending::LendingSettings) -> Result<()>;

    /// Adds a toy; an empty code gets the agency's next one. `source` and `source_ref` say
    /// where it came from (a donation names its record).
    async fn create_toy(&self, actor: &Actor, fields: &crate::lending::ToyFields) -> Result<crate::lending::Toy>;
    /// Refused with `Stale` on a stale version.
    async fn update_toy(
        &self,
        actor: &Actor,
        id: crate::ids::ToyId,
        version: i64,
        fields: &crate::lending::ToyFields,
    ) -> Result<crate::lending::Toy>;
    async fn get_toy(&self, org: OrgId, id: crate::ids::ToyId) -> Result<crate::lending::Toy>;
    async fn toy_by_code(&self, org: OrgId, code: &str) -> Result<crate::lending::Toy>;
    async fn list_toys(&self, org: OrgId, q: &ToyQuery<'_>) -> Result<Vec<crate::lending::Toy>>;
    /// Stores a checked photo (bytes and content type) with the toy.
    async fn set_toy_photo(&self, actor: &Actor, id: crate::ids::ToyId, content_type: &str, bytes: &[u8]) -> Result<crate::lending::Toy>;
    /// (content type, bytes), when the toy has a photo.
    async fn toy_photo(&self, org: OrgId, id: crate::ids::ToyId) -> Result<Option<(String, Vec<u8>)>>;

    /// A household joins (once: a second enrolment is refused as a duplicate).
    async fn enrol_member(&self, actor: &Actor, fields: &crate::lending::MemberFields, today: NaiveDate) -> Result<crate::lending::Member>;
    async fn get_member(&self, org: OrgId, id: crate::ids::MemberId) -> Result<crate::lending::Member>;
    async fn member_by_no(&self, org: OrgId, member_no: &str) -> Result<crate::lending::Member>;
    async fn member_for_household(&self, org: OrgId, household: HouseholdId) -> Result<Option<crate::lending::Member>>;
    /// Members of `units` (None: every unit), by member number.
    async fn list_members(&self, org: OrgId, units: Option<&[UnitId]>, limit: u64) -> Result<Vec<crate::lending::Member>>;
    /// Stores the hash of a new family-card link; the old link stops working.
    async fn issue_card(&self, actor: &Actor, id: crate::ids::MemberId, token_hash: &str) -> Result<crate::lending::Member>;
    /// The member a family-card link belongs to (any agency: the link itself says which).
    async fn member_by_card(&self, token_hash: &str) -> Result<Option<crate::lending::Member>>;

    /// Lends a toy to a member at `unit` (refused when the toy is not free for them or the
    /// household holds its limit).
    async fn check_out(
        &self,
        actor: &Actor,
        toy: crate::ids::ToyId,
        member: crate::ids::MemberId,
        unit: UnitId,
        today: NaiveDate,
    ) -> Result<crate::lending::Loan>;
    /// Takes a toy back with its parts and condition checked: missing parts or damage open a
    /// repair item, an on-time return earns points, and the first family waiting gets it next.
    async fn return_loan(
        &self,
        actor: &Actor,
        loan: crate::ids::LoanId,
        back: &crate::lending::ReturnFields,
        today: NaiveDate,
    ) -> Result<ReturnOutcome>;
    async fn renew_loan(&self, actor: &Actor, loan: crate::ids::LoanId, today: NaiveDate) -> Result<crate::lending::Loan>;
    /// A toy the family cannot bring back: the loan ends and the toy enters the lost queue.
    async fn mark_lost(&self, actor: &Actor, loan: crate::ids::LoanId, note: &str, today: NaiveDate) -> Result<crate::lending::Repair>;
    async fn get_loan(&self, org: OrgId, id: crate::ids::LoanId) -> Result<crate::lending::Loan>;
    /// Newest first.
    async fn loans(&self, org: OrgId, q: &LoanQuery<'_>) -> Result<Vec<crate::lending::Loan>>;

    /// Puts a member in a toy's waiting list; a free toy goes to them at once (held, or sent to
    /// their pickup unit).
    async fn reserve(
        &self,
        actor: &Actor,
        toy: crate::ids::ToyId,
        member: crate::ids::MemberId,
        pickup: UnitId,
    ) -> Result<crate::lending::Reservation>;
    async fn cancel_reservation(&self, actor: &Actor, id: crate::ids::ReservationId) -> Result<crate::lending::Reservation>;
    async fn get_reservation(&self, org: OrgId, id: crate::ids::ReservationId) -> Result<crate::lending::Reservation>;
    /// Live reservations (waiting, in transit, ready) of a toy or a member, oldest first.
    async fn reservations(
        &self,
        org: OrgId,
        toy: Option<crate::ids::ToyId>,
        member: Option<crate::ids::MemberId>,
    ) -> Result<Vec<crate::lending::Reservation>>;
    /// Transfers not yet received, to or from `units` (None: every unit).
    async fn transfers(&self, org: OrgId, units: Option<&[UnitId]>) -> Result<Vec<crate::lending::Transfer>>;
    async fn get_transfer(&self, org: OrgId, id: crate::ids::TransferId) -> Result<crate::lending::Transfer>;
    /// The toy arrived at the pickup unit: it waits there for the family.
    async fn receive_transfer(&self, actor: &Actor, id: crate::ids::TransferId) -> Result<crate::lending::Transfer>;

    /// The repair and lost queue of `units` (None: every unit): open items, and those resolved
    /// since `resolved_since`.
    async fn repairs(&self, org: OrgId, units: Option<&[UnitId]>, resolved_since: Option<NaiveDate>)
        -> Result<Vec<crate::lending::Repair>>;
    async fn get_repair(&self, org: OrgId, id: crate::ids::RepairId) -> Result<crate::lending::Repair>;
    /// Closes an item: the toy back in the catalogue (with its parts count), or written off.
    async fn resolve_repair(
        &self,
        actor: &Actor,
        id: crate::ids::RepairId,
        resolution: crate::lending::RepairResolution,
        parts: Option<i32>,
        note: &str,
        today: NaiveDate,
    ) -> Result<crate::lending::Repair>;

    /// The household's points ledger, oldest first.
    async fn points(&self, org: OrgId, member: crate::ids::MemberId) -> Result<Vec<crate::lending::PointsEntry>>;
    /// Spends points on a reward; refused when the balance would go below zero.
    async fn redeem(
        &self,
        actor: &Actor,
        member: crate::ids::MemberId,
        reward: &crate::lending::Reward,
        today: NaiveDate,
    ) -> Result<crate::lending::PointsEntry>;
    /// Credits the household for its members' activity attendance since they joined (read
    /// from the activities capability); each attendance earns once, however often this runs.
    async fn award_attendance_points(
        &self,
        actor: &Actor,
        member: crate::ids::MemberId,
        rules: &crate::lending::PointsRules,
        today: NaiveDate,
    ) -> Result<i64>;

    /// Records a reminder sent (or logged) for a loan.
    async fn record_reminder(&self, actor: &Actor, reminder: &crate::lending::ReminderRecord) -> Result<()>;
    /// Reminders sent for loans of `units` (None: every unit) since `since`, newest first.
    async fn reminders(&self, org: OrgId, units: Option<&[UnitId]>, since: DateTime<Utc>) -> Result<Vec<crate::lending::ReminderRecord>>;

    /// Loans out or due, and points entries, of `units` (None: every unit) between `from` and
    /// `to` inclusive, for the reports.
    async fn lending_facts(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(Vec<crate::lending::LoanFact>, Vec<crate::lending::PointsFact>)>;
}

/// One message to a family (a reminder).
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// A phone number (digits, `+` and country code outside HK and the mainland).
    pub to: String,
    pub body: String,
}

/// Sends messages to families: SMS, email or, by default, the log only. Plug a real channel
/// in by implementing this trait and handing it to `AppState::with_notifier`.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// `log`, `sms`, `email`: recorded with each message.
    fn channel(&self) -> &'static str;
    /// Sends one message; the text returned is recorded as its status (`sent`, `logged`).
    async fn send(&self, message: &Outgoing) -> Result<String>;
}

/// Yearly output targets of units under funding agreements (the figures come from each
/// capability's facts).
#[async_trait]
pub trait ReportsRepo: Send + Sync {
    /// Targets of `units` (None: every unit), of one year when given.
    async fn targets(&self, org: OrgId, units: Option<&[UnitId]>, year: Option<i32>) -> Result<Vec<crate::reports::Target>>;
    async fn get_target(&self, org: OrgId, id: crate::ids::TargetId) -> Result<crate::reports::Target>;
    /// Refuses a second target for the same unit, agreement, year and measure (`measure`: `duplicate`).
    async fn create_target(&self, actor: &Actor, fields: &crate::reports::TargetFields) -> Result<crate::reports::Target>;
    async fn update_target(
        &self,
        actor: &Actor,
        id: crate::ids::TargetId,
        version: i64,
        fields: &crate::reports::TargetFields,
    ) -> Result<crate::reports::Target>;
    async fn delete_target(&self, actor: &Actor, id: crate::ids::TargetId, version: i64) -> Result<()>;
}

/// Which assistance requests to list.
#[derive(Clone, Debug, Default)]
pub struct RequestQuery<'a> {
    /// Only requests of these units (None: every unit).
    pub units: Option<&'a [UnitId]>,
    /// Only requests dispatched to this account.
    pub assignee: Option<UserId>,
    /// Only requests not yet delivered or failed.
    pub open_only: bool,
    /// Only requests for this person, or for this household (either matches when both are set).
    pub client: Option<ClientId>,
    pub household: Option<crate::ids::HouseholdId>,
    pub limit: u64,
}

/// Emergency assistance: requests, dispatch, the delivery steps with their proof, follow-up.
/// Each step is a conditional update on the status read, with its audit row, in one
/// transaction; a delivery that hands over donated stock writes its ledger lines in the same
/// transaction (and is refused whole when the stock is short).
#[async_trait]
pub trait AssistanceRepo: Send + Sync {
    async fn assistance_settings(&self, org: OrgId) -> Result<crate::assistance::AssistanceSettings>;
    async fn save_assistance_settings(&self, actor: &Actor, settings: &crate::assistance::AssistanceSettings) -> Result<()>;
    /// `fields.persons` is the count to record (the service fills it from the household).
    async fn create_request(
        &self,
        actor: &Actor,
        fields: &crate::assistance::RequestFields,
        today: NaiveDate,
    ) -> Result<crate::assistance::AssistanceRequest>;
    async fn get_request(&self, org: OrgId, id: crate::ids::AssistanceRequestId) -> Result<crate::assistance::AssistanceRequest>;
    async fn list_requests(&self, org: OrgId, q: &RequestQuery<'_>) -> Result<Vec<crate::assistance::AssistanceRequest>>;
    /// Dispatches (or re-dispatches) a pending or assigned request to an account.
    async fn dispatch_request(
        &self,
        actor: &Actor,
        id: crate::ids::AssistanceRequestId,
        assignee: UserId,
    ) -> Result<crate::assistance::AssistanceRequest>;
    /// On the way, delivered (with proof, and the stock handed over) or failed.
    async fn delivery_step(
        &self,
        actor: &Actor,
        id: crate::ids::AssistanceRequestId,
        step: &crate::assistance::DeliveryFields,
        today: NaiveDate,
    ) -> Result<crate::assistance::AssistanceRequest>;
    async fn follow_up_request(
        &self,
        actor: &Actor,
        id: crate::ids::AssistanceRequestId,
        note: &str,
    ) -> Result<crate::assistance::AssistanceRequest>;
    /// Stores the proof-of-delivery photo (checked by its bytes before).
    async fn set_request_photo(
        &self,
        actor: &Actor,
        id: crate::ids::AssistanceRequestId,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<crate::assistance::AssistanceRequest>;
    async fn request_photo(&self, org: OrgId, id: crate::ids::AssistanceRequestId) -> Result<Option<(String, Vec<u8>)>>;
    /// The requests of `units` (None: every unit) requested between `from` and `to`, for the reports.
    async fn assistance_facts(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<crate::assistance::RequestFact>>;
}

/// A stored balance that differs from a replay of the ledger: (unit, item, stored, replayed).
pub type StockMismatch = (UnitId, crate::ids::DonationItemId, i64, i64);

/// Donors, donations with their receipts, the stock ledger (receipts, transfers,
/// distributions, confirmed adjustments) and cash spent. A movement writes its ledger line and
/// changes the (unit, item) balance in the same transaction, and only while the balance stays
/// at or above zero, so concurrent hand-outs never overdraw.
#[async_trait]
pub trait DonationsRepo: Send + Sync {
    async fn create_donor(&self, actor: &Actor, fields: &crate::donations::DonorFields) -> Result<crate::donations::Donor>;
    async fn get_donor(&self, org: OrgId, id: crate::ids::DonorId) -> Result<crate::donations::Donor>;
    async fn list_donors(&self, org: OrgId) -> Result<Vec<crate::donations::Donor>>;
    /// Records a donation with the agency's next receipt number; goods are received into the
    /// unit's stock.
    async fn record_donation(&self, actor: &Actor, fields: &crate::donations::DonationFields) -> Result<crate::donations::Donation>;
    async fn get_donation(&self, org: OrgId, id: crate::ids::DonationId) -> Result<crate::donations::Donation>;
    async fn list_donations(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        donor: Option<crate::ids::DonorId>,
        limit: u64,
    ) -> Result<Vec<crate::donations::Donation>>;
    /// Stock lines of `units` (None: every unit) with something left.
    async fn stock(&self, org: OrgId, units: Option<&[UnitId]>) -> Result<Vec<crate::donations::StockLine>>;
    /// Ledger lines, newest first: of one donation, or of `units`.
    async fn movements(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        donation: Option<crate::ids::DonationId>,
        limit: u64,
    ) -> Result<Vec<crate::donations::Movement>>;
    async fn transfer_stock(
        &self,
        actor: &Actor,
        from: UnitId,
        to: UnitId,
        item: crate::ids::DonationItemId,
        quantity: i64,
        today: NaiveDate,
    ) -> Result<()>;
    /// A bulk distribution: every line or none. `persons` of each line is filled.
    async fn distribute(&self, actor: &Actor, fields: &crate::donations::DistributionFields) -> Result<crate::ids::DistributionId>;
    async fn propose_adjustment(
        &self,
        actor: &Actor,
        unit: UnitId,
        item: crate::ids::DonationItemId,
        delta: i64,
        reason: &str,
    ) -> Result<crate::donations::Adjustment>;
    /// A second person confirms (the stock moves) or rejects it.
    async fn decide_adjustment(
        &self,
        actor: &Actor,
        id: crate::ids::AdjustmentId,
        confirm: bool,
        today: NaiveDate,
    ) -> Result<crate::donations::Adjustment>;
    async fn get_adjustment(&self, org: OrgId, id: crate::ids::AdjustmentId) -> Result<crate::donations::Adjustment>;
    async fn adjustments(&self, org: OrgId, units: Option<&[UnitId]>, pending_only: bool) -> Result<Vec<crate::donations::Adjustment>>;
    /// Records cash spent from a cash donation, never more than is left of it.
    async fn spend_cash(
        &self,
        actor: &Actor,
        donation: crate::ids::DonationId,
        amount_cents: i64,
        purpose: &str,
        day: NaiveDate,
    ) -> Result<crate::donations::Donation>;
    /// Donations, ledger lines and spending of `units` (None: every unit) between `from` and
    /// `to`, for the reports.
    async fn donation_facts(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<crate::donations::DonationFacts>;
    /// Balances that differ from a replay of the ledger (empty when all agree).
    async fn stock_mismatches(&self, org: OrgId) -> Result<Vec<StockMismatch>>;
    /// Sets every balance to its ledger replay; the number of balances corrected.
    async fn rebuild_stock(&self, actor: &Actor) -> Result<u64>;
}

/// Which administrations to read.
#[derive(Clone, Debug, Default)]
pub struct AdministrationQuery<'a> {
    pub client: Option<ClientId>,
    pub scale: Option<&'a str>,
    pub case: Option<CaseId>,
    pub activity: Option<crate::ids::ActivityId>,
    /// Only those recorded with one of these intervention codes.
    pub interventions: Option<&'a [String]>,
    /// Only those of clients of these units (None: every unit).
    pub units: Option<&'a [UnitId]>,
    pub time_point: Option<crate::outcomes::TimePoint>,
}

/// Outcome measurement: the agency's own scales (the shipped ones live in the domain) and
/// administrations with their scores. Every write records its audit row in the same transaction.
#[async_trait]
pub trait OutcomesRepo: Send + Sync {
    async fn agency_scales(&self, org: OrgId) -> Result<Vec<crate::outcomes::Scale>>;
    /// Adds a scale the agency loads (a code already used: `code` `duplicate`).
    async fn add_scale(&self, actor: &Actor, scale: &crate::outcomes::Scale) -> Result<crate::outcomes::Scale>;
    async fn record_administration(
        &self,
        actor: &Actor,
        unit: UnitId,
        fields: &crate::outcomes::AdministrationFields,
    ) -> Result<crate::outcomes::Administration>;
    async fn administrations(&self, org: OrgId, q: &AdministrationQuery<'_>) -> Result<Vec<crate::outcomes::Administration>>;
}

/// The incident log and the knowledge base. Every write records its audit row in the same
/// transaction; edits are refused with `Stale` when the version is not the stored one.
#[async_trait]
pub trait KnowledgeRepo: Send + Sync {
    async fn create_incident(&self, actor: &Actor, fields: &crate::knowledge::IncidentFields) -> Result<crate::knowledge::Incident>;
    async fn update_incident(
        &self,
        actor: &Actor,
        id: crate::ids::IncidentId,
        version: i64,
        fields: &crate::knowledge::IncidentFields,
    ) -> Result<crate::knowledge::Incident>;
    async fn get_incident(&self, org: OrgId, id: crate::ids::IncidentId) -> Result<crate::knowledge::Incident>;
    async fn list_incidents(&self, org: OrgId) -> Result<Vec<crate::knowledge::Incident>>;
    /// Links a record (a second link of the same record is ignored).
    async fn link_incident(&self, actor: &Actor, id: crate::ids::IncidentId, link: &crate::knowledge::IncidentLink) -> Result<()>;
    async fn incident_links(&self, org: OrgId, id: crate::ids::IncidentId) -> Result<Vec<crate::knowledge::IncidentLink>>;
    async fn create_solution(&self, actor: &Actor, fields: &crate::knowledge::SolutionFields) -> Result<crate::knowledge::Solution>;
    async fn update_solution(
        &self,
        actor: &Actor,
        id: crate::ids::SolutionId,
        version: i64,
        fields: &crate::knowledge::SolutionFields,
    ) -> Result<crate::knowledge::Solution>;
    async fn get_solution(&self, org: OrgId, id: crate::ids::SolutionId) -> Result<crate::knowledge::Solution>;
    async fn list_solutions(&self, org: OrgId) -> Result<Vec<crate::knowledge::Solution>>;
}

/// A solution as the knowledge index holds it.
#[derive(Clone, Debug)]
pub struct KnowledgeDoc {
    pub id: crate::ids::SolutionId,
    pub org_id: OrgId,
    pub title: String,
    pub text: String,
}

/// The knowledge-base search index (derived from the database; rebuildable at any time).
pub trait KnowledgeIndex: Send + Sync {
    /// Adds or replaces documents and makes them searchable before returning.
    fn upsert(&self, docs: &[KnowledgeDoc]) -> Result<()>;
    /// Best matches first, with their relevance. Traditional and Simplified Chinese match each
    /// other; English words match case-insensitively.
    fn search(&self, org: OrgId, query: &str, limit: usize) -> Result<Vec<(crate::ids::SolutionId, f32)>>;
    /// Removes every document of one agency (before a rebuild).
    fn clear_org(&self, org: OrgId) -> Result<()>;
    fn count(&self) -> Result<u64>;
}

/// Which outreach records to list: of these units (None: every unit), newest first.
#[derive(Clone, Debug, Default)]
pub struct OutreachQuery<'a> {
    pub units: Option<&'a [UnitId]>,
    /// Only records about this client.
    pub client: Option<ClientId>,
    /// Only interpretation requests assigned to this account.
    pub assignee: Option<UserId>,
    /// Only open ones (requested or assigned; planned).
    pub open_only: bool,
    /// Days (service day, appointment or planned day) from and to, both included.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub limit: u64,
}

/// Outreach: sessions with their contacts, interpretation requests, escorts, home visits and the
/// languages interpreters declare. Each write is one transaction with its audit row; a step is a
/// conditional update on the status and version read, so a second press is refused as stale.
#[async_trait]
pub trait OutreachRepo: Send + Sync {
    async fn create_outreach_session(
        &self,
        actor: &Actor,
        fields: &crate::outreach::OutreachSessionFields,
    ) -> Result<crate::outreach::OutreachSession>;
    async fn get_outreach_session(&self, org: OrgId, id: crate::ids::OutreachSessionId) -> Result<crate::outreach::OutreachSession>;
    async fn list_outreach_sessions(&self, org: OrgId, q: &OutreachQuery<'_>) -> Result<Vec<crate::outreach::OutreachSession>>;

    /// Declared languages of these accounts (an account not yet declared is left out).
    async fn interpreter_languages(&self, org: OrgId) -> Result<Vec<(UserId, Vec<String>, i64)>>;
    /// Refused with `Stale` when `version` is not the stored one (0 before the first save).
    async fn save_interpreter_languages(&self, actor: &Actor, user: UserId, languages: &[String], version: i64) -> Result<i64>;

    async fn create_interpretation(
        &self,
        actor: &Actor,
        fields: &crate::outreach::InterpretationFields,
        today: NaiveDate,
    ) -> Result<crate::outreach::Interpretation>;
    async fn get_interpretation(&self, org: OrgId, id: crate::ids::InterpretationId) -> Result<crate::outreach::Interpretation>;
    async fn list_interpretations(&self, org: OrgId, q: &OutreachQuery<'_>) -> Result<Vec<crate::outreach::Interpretation>>;
    async fn assign_interpretation(
        &self,
        actor: &Actor,
        id: crate::ids::InterpretationId,
        version: i64,
        assignee: UserId,
    ) -> Result<crate::outreach::Interpretation>;
    async fn complete_interpretation(
        &self,
        actor: &Actor,
        id: crate::ids::InterpretationId,
        version: i64,
        fields: &crate::outreach::CompleteFields,
        today: NaiveDate,
    ) -> Result<crate::outreach::Interpretation>;
    async fn cancel_interpretation(
        &self,
        actor: &Actor,
        id: crate::ids::InterpretationId,
        version: i64,
        reason: &str,
    ) -> Result<crate::outreach::Interpretation>;

    async fn create_escort(&self, actor: &Actor, fields: &crate::outreach::EscortFields) -> Result<crate::outreach::Escort>;
    async fn get_escort(&self, org: OrgId, id: crate::ids::EscortId) -> Result<crate::outreach::Escort>;
    async fn list_escorts(&self, org: OrgId, q: &OutreachQuery<'_>) -> Result<Vec<crate::outreach::Escort>>;
    async fn close_escort(
        &self,
        actor: &Actor,
        id: crate::ids::EscortId,
        version: i64,
        fields: &crate::outreach::EscortOutcomeFields,
    ) -> Result<crate::outreach::Escort>;

    async fn create_visit(&self, actor: &Actor, fields: &crate::outreach::VisitFields) -> Result<crate::outreach::Visit>;
    async fn get_visit(&self, org: OrgId, id: crate::ids::VisitId) -> Result<crate::outreach::Visit>;
    async fn list_visits(&self, org: OrgId, q: &OutreachQuery<'_>) -> Result<Vec<crate::outreach::Visit>>;
    async fn close_visit(
        &self,
        actor: &Actor,
        id: crate::ids::VisitId,
        version: i64,
        status: crate::outreach::VisitStatus,
        outcome: &str,
        done_on: NaiveDate,
    ) -> Result<crate::outreach::Visit>;

    /// Contacts of sessions held, interpretations completed, escorts and visits done between
    /// `from` and `to` (both included) in `units` (None: every unit).
    async fn outreach_facts(
        &self,
        org: OrgId,
        units: Option<&[UnitId]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<crate::outreach::OutreachFact>>;
}
