//! Accounts, roles and the permission policy. Every route asks [`Grants::allows`]; the
//! matrix below is the one place that says which role may do what.

use crate::error::{FieldError, Result, Validator};
use crate::ids::{OrgId, UnitId, UserId};
use crate::locale::Locale;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
    SocialWorker,
    WelfareWorker,
    PeerSupporter,
    Volunteer,
    HotlineOperator,
    /// Sees aggregate statistics only, never a person.
    FunderViewer,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Supervisor,
        Role::SocialWorker,
        Role::WelfareWorker,
        Role::PeerSupporter,
        Role::Volunteer,
        Role::HotlineOperator,
        Role::FunderViewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::SocialWorker => "social_worker",
            Role::WelfareWorker => "welfare_worker",
            Role::PeerSupporter => "peer_supporter",
            Role::Volunteer => "volunteer",
            Role::HotlineOperator => "hotline_operator",
            Role::FunderViewer => "funder_viewer",
        }
    }

    /// Roles that only make sense agency-wide.
    pub fn agency_wide_only(self) -> bool {
        matches!(self, Role::Admin | Role::FunderViewer)
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            // Case files are need-to-know: the agency's administrator configures casework but
            // reads no case unless also granted a practice role.
            Role::Admin => &[
                ViewUnits,
                ManageUnits,
                ManageUsers,
                ViewAudit,
                ViewClients,
                EditClients,
                ManageClients,
                AnonymiseClients,
                ConfigureCases,
                ViewActivities,
                EditActivities,
                RecordAttendance,
                ManageHotline,
                ViewVolunteers,
                ManageVolunteers,
                ConfigureVolunteers,
                ViewLending,
                ManageLending,
                ViewReports,
                ManageTargets,
                ViewAssistance,
                EditAssistance,
                DeliverAssistance,
                ViewDonations,
                ManageDonations,
                ConfirmAdjustments,
                ViewAssistanceReports,
                ViewCoverage,
                ManageCoverage,
                ManageScales,
                ViewOutcomeReports,
                ViewKnowledge,
                ManageKnowledge,
                ManageIncidents,
                ViewOutreach,
                EditOutreach,
            ],
            Role::Supervisor => &[
                ViewUnits,
                ViewAudit,
                ViewClients,
                EditClients,
                ManageClients,
                ViewCases,
                EditCases,
                ApproveCases,
                ViewActivities,
                EditActivities,
                RecordAttendance,
                ViewHotline,
                LogCalls,
                ManageHotline,
                ViewVolunteers,
                ManageVolunteers,
                ViewLending,
                LendToys,
                ManageLending,
                ViewReports,
                ManageTargets,
                ViewAssistance,
                EditAssistance,
                DeliverAssistance,
                ViewDonations,
                ManageDonations,
                ConfirmAdjustments,
                ViewAssistanceReports,
                ViewCoverage,
                ManageCoverage,
                ViewOutcomes,
                AdministerScales,
                ManageScales,
                ViewOutcomeReports,
                ViewKnowledge,
                ManageKnowledge,
                ManageIncidents,
                ViewOutreach,
                EditOutreach,
                Interpret,
            ],
            Role::SocialWorker | Role::WelfareWorker => &[
                ViewUnits,
                ViewClients,
                EditClients,
                ViewCases,
                EditCases,
                ViewActivities,
                EditActivities,
                RecordAttendance,
                ViewHotline,
                LogCalls,
                ViewVolunteers,
                ManageVolunteers,
                ViewLending,
                LendToys,
                ManageLending,
                ViewReports,
                ViewAssistance,
                EditAssistance,
                DeliverAssistance,
                ViewDonations,
                ManageDonations,
                ViewAssistanceReports,
                ViewCoverage,
                ViewOutcomes,
                AdministerScales,
                ViewOutcomeReports,
                ViewKnowledge,
                ManageKnowledge,
                ManageIncidents,
                ViewOutreach,
                EditOutreach,
                Interpret,
            ],
            // Hotline operators look callers up, register new ones and log calls; a call or a
            // check-in can become an assistance request in one step; they look up what has worked.
            Role::HotlineOperator => {
                &[ViewUnits, ViewClients, EditClients, ViewHotline, LogCalls, ViewAssistance, EditAssistance, ViewKnowledge]
            }
            // Peer supporters and volunteers help run groups: they see the session lists they
            // take attendance for, not the registry or case files. Trained volunteers staff
            // hotline shifts: they log calls but read no one's call history. They see their own
            // duties and hours, and the minimum about the people they serve. Trained community
            // assistants run toy-library counters: they lend and take back toys for member
            // households, without the registry or case files. Trained volunteers deliver the
            // assistance requests dispatched to them, seeing only what the delivery needs.
            // District ambassadors and volunteer interpreters take the interpretation requests
            // assigned to them (client name and language, the appointment), nothing else.
            Role::PeerSupporter | Role::Volunteer => {
                &[ViewUnits, ViewActivities, RecordAttendance, LogCalls, ServeDuties, ViewLending, LendToys, DeliverAssistance, Interpret]
            }
            // Funders read aggregates only: no record of a person or a home, and small counts hidden.
            Role::FunderViewer => &[ViewUnits, ViewReports, ViewAssistanceReports, ViewCoverage, ViewOutcomeReports],
        }
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

/// Something a route needs. New capabilities add their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the agency's service units (every signed-in staff member).
    ViewUnits,
    /// Create and edit service units.
    ManageUnits,
    /// Create accounts, grant roles, deactivate accounts.
    ManageUsers,
    /// Read and verify the audit log.
    ViewAudit,
    /// Find and read client records (and their households and consents).
    ViewClients,
    /// Register and edit clients, households and consents.
    EditClients,
    /// Merge duplicate records, import and export lists.
    ManageClients,
    /// Clear the personal details of records past their retention period.
    AnonymiseClients,
    /// Read case files (intake, assessment, plan, notes) of the unit.
    ViewCases,
    /// Open cases, write assessments, plans and notes, transfer, refer, request closure.
    EditCases,
    /// Approve or return case plans and closures; see the team's caseload.
    ApproveCases,
    /// Configure presenting problems and which steps need a supervisor's approval.
    ConfigureCases,
    /// See groups, programmes and activities with their sessions and participants.
    ViewActivities,
    /// Plan activities, enrol participants, evaluate.
    EditActivities,
    /// Mark attendance at sessions.
    RecordAttendance,
    /// See the hotline's calls (with their notes), follow-up queue and check-in schedules of the unit.
    ViewHotline,
    /// Log hotline calls and check-in attempts, and close follow-ups.
    LogCalls,
    /// Set up hotline points (numbers, hours, duty roster), topics and check-in schedules.
    ManageHotline,
    /// See the unit's volunteers, their training, duties and hours.
    ViewVolunteers,
    /// Register volunteers, record training, post duties, assign, confirm and approve hours, export.
    ManageVolunteers,
    /// Set the agency's milestone tiers.
    ConfigureVolunteers,
    /// A volunteer's own duties: sign up, check in and out, report hours (never anyone's record).
    ServeDuties,
    /// See the toy library of the unit: catalogue, member households, loans, queues, reports.
    ViewLending,
    /// Lend and take back toys at the counter, renew, reserve, receive transfers, send
    /// reminders, redeem points.
    LendToys,
    /// Catalogue toys (photos, labels), enrol member households, resolve the repair queue, and
    /// (agency-wide) set membership types, points rules and rewards.
    ManageLending,
    /// Read output reports, trends and achievement against targets. Without `ViewClients`
    /// (a funder) every count of fewer than five people is hidden.
    ViewReports,
    /// Set the yearly output targets of units under funding agreements.
    ManageTargets,
    /// See the unit's assistance requests (household, need, steps, proof).
    ViewAssistance,
    /// Take assistance requests (from a call, case, check-in or walk-in), dispatch them, follow
    /// them up, and (agency-wide) set the list of needs.
    EditAssistance,
    /// Deliver a request dispatched to oneself: on the way, delivered with proof, or failed.
    DeliverAssistance,
    /// See donors, donations, receipts, stock and distributions of the unit.
    ViewDonations,
    /// Record donors and donations, transfer and distribute stock, propose adjustments, record
    /// cash spent.
    ManageDonations,
    /// Confirm (or reject) a stock adjustment someone else proposed.
    ConfirmAdjustments,
    /// Read the aggregated assistance and donation reports (no personal data).
    ViewAssistanceReports,
    /// See coverage (便利圈): service points, walking-time bands and counts by area, candidate
    /// sites and suggestions. Never a person: hexagons with counts, small ones hidden from
    /// callers who may not read every client.
    ViewCoverage,
    /// Set the walking settings, import the population grid, keep the candidate sites
    /// (agency-wide); the walking network is imported by the operator's command.
    ManageCoverage,
    /// See the scores, change and reliable change of the unit's clients on outcome scales.
    ViewOutcomes,
    /// Give a scale to a client of the unit (on paper entered later, or on a tablet handed over).
    AdministerScales,
    /// Load the agency's own scales (licensed ones included) as data (agency-wide).
    ManageScales,
    /// Read programme outcomes: pre/post change, effect size and n by client category. Without
    /// `ViewClients` (a funder) every group of fewer than five clients is hidden.
    ViewOutcomeReports,
    /// Read the knowledge base, its search and recommendations, and the incident log (counts
    /// and labels of linked records, never a name).
    ViewKnowledge,
    /// Write and edit solutions of the knowledge base.
    ManageKnowledge,
    /// Record social incidents and link cases, calls, assistance requests and activities to them.
    ManageIncidents,
    /// See the unit's outreach: sessions with the people contacted, interpretation requests,
    /// escorts, home visits, the task list and the outreach report.
    ViewOutreach,
    /// Log outreach sessions, take and assign interpretation requests, arrange escorts and home
    /// visits, record their outcomes, and declare the languages interpreters cover.
    EditOutreach,
    /// Interpret or translate: be assigned requests in one's languages, see them and complete
    /// them, and declare one's own languages.
    Interpret,
}

/// Where a permission is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The agency as a whole: only agency-wide grants count.
    Agency,
    /// One service unit: agency-wide grants and grants on that unit count.
    Unit(UnitId),
    /// Any unit at all (for lists that the route then filters by unit).
    AnyUnit,
}

/// A role held agency-wide (`unit_id` = None) or in one service unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Grant {
    pub role: Role,
    pub unit_id: Option<UnitId>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct Grants(pub Vec<Grant>);

impl Grants {
    pub fn allows(&self, perm: Permission, scope: Scope) -> bool {
        self.0.iter().any(|g| {
            g.role.permissions().contains(&perm)
                && match (scope, g.unit_id) {
                    (_, None) => true,
                    (Scope::Agency, Some(_)) => false,
                    (Scope::Unit(u), Some(gu)) => u == gu,
                    (Scope::AnyUnit, Some(_)) => true,
                }
        })
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.0.iter().any(|g| g.role == role)
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub username: String,
    pub display_name: String,
    pub locale: Locale,
    pub active: bool,
    pub grants: Grants,
    /// May see sensitive categories (offence history, mental health) of clients.
    pub sensitive_access: bool,
    /// May see clients' full identity numbers (others see the last 4 characters).
    pub id_number_access: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

/// What sign-in needs about an account; never leaves the server.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// A signed-in request's identity, also written into every audit row.
#[derive(Clone, Debug)]
pub struct Actor {
    pub org_id: OrgId,
    pub user_id: Option<UserId>,
    pub name: String,
}

impl Actor {
    pub fn system(org_id: OrgId) -> Self {
        Self { org_id, user_id: None, name: "system".into() }
    }
}

impl From<&User> for Actor {
    fn from(u: &User) -> Self {
        Self { org_id: u.org_id, user_id: Some(u.id), name: u.username.clone() }
    }
}

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 256;
/// Failed sign-ins in a row before the account is locked.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a lock-out lasts.
pub const LOCKOUT_MINUTES: i64 = 15;

/// Lower-cased, 3–64 of `a-z 0-9 . _ -`.
pub fn parse_username(v: &mut Validator, raw: &str) -> String {
    let u = raw.trim().to_lowercase();
    if u.is_empty() {
        v.push(FieldError::new("username", "required"));
    } else if u.chars().count() < 3 || u.chars().count() > 64 {
        v.push(FieldError::new("username", "length").with("min", 3).with("max", 64));
    } else if !u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        v.push(FieldError::new("username", "username-chars"));
    }
    u
}

pub fn check_password(v: &mut Validator, field: &str, pw: &str) {
    let n = pw.chars().count();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&n) {
        v.push(FieldError::new(field, "length").with("min", MIN_PASSWORD_LEN).with("max", MAX_PASSWORD_LEN));
    }
}

/// A new account as submitted.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    pub password: String,
    #[serde(default)]
    pub locale: Option<Locale>,
    #[serde(default)]
    pub grants: Vec<Grant>,
}

/// A validated new account (password still in clear: the caller hashes it).
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub locale: Locale,
    pub grants: Vec<Grant>,
}

pub fn check_grants(v: &mut Validator, grants: &[Grant]) {
    for g in grants {
        if g.role.agency_wide_only() && g.unit_id.is_some() {
            v.push(FieldError::new("grants", "agency-wide-role").with("role", g.role.as_str()));
        }
    }
}

impl NewUserInput {
    pub fn validate(&self) -> Result<NewUser> {
        let mut v = Validator::new();
        let username = parse_username(&mut v, &self.username);
        let display_name = v.text("display_name", &self.display_name, true, 100);
        check_password(&mut v, "password", &self.password);
        check_grants(&mut v, &self.grants);
        v.finish()?;
        Ok(NewUser {
            username,
            display_name,
            password: self.password.clone(),
            locale: self.locale.unwrap_or_default(),
            grants: dedup(&self.grants),
        })
    }
}

/// Changes to an account by an admin.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdateInput {
    pub display_name: String,
    pub active: bool,
    pub grants: Vec<Grant>,
    /// The explicit grant to see sensitive client categories.
    #[serde(default)]
    pub sensitive_access: bool,
    /// The explicit grant to see full identity numbers.
    #[serde(default)]
    pub id_number_access: bool,
    /// The version the editor loaded.
    pub version: i64,
}

impl UserUpdateInput {
    pub fn validate(&self) -> Result<UserUpdateInput> {
        let mut v = Validator::new();
        let display_name = v.text("display_name", &self.display_name, true, 100);
        check_grants(&mut v, &self.grants);
        v.finish()?;
        Ok(UserUpdateInput {
            display_name,
            active: self.active,
            grants: dedup(&self.grants),
            sensitive_access: self.sensitive_access,
            id_number_access: self.id_number_access,
            version: self.version,
        })
    }
}

fn dedup(grants: &[Grant]) -> Vec<Grant> {
    let mut out: Vec<Grant> = Vec::new();
    for g in grants {
        if !out.contains(g) {
            out.push(g.clone());
        }
    }
    out
}

/// A personal API token as listed to its owner (the secret is shown once at creation).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: crate::ids::TokenId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A server-side session.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> UnitId {
        UnitId::new()
    }

    #[test]
    fn unit_grants_stay_in_their_unit() {
        let (a, b) = (unit(), unit());
        let g = Grants(vec![Grant { role: Role::Supervisor, unit_id: Some(a) }]);
        assert!(g.allows(Permission::ViewAudit, Scope::Unit(a)));
        assert!(!g.allows(Permission::ViewAudit, Scope::Unit(b)));
        assert!(!g.allows(Permission::ViewAudit, Scope::Agency));
        assert!(g.allows(Permission::ViewAudit, Scope::AnyUnit));
        assert!(!g.allows(Permission::ManageUnits, Scope::Unit(a)));
    }

    #[test]
    fn admin_is_agency_wide() {
        let g = Grants(vec![Grant { role: Role::Admin, unit_id: None }]);
        assert!(g.allows(Permission::ManageUsers, Scope::Agency));
        assert!(g.allows(Permission::ManageUnits, Scope::Unit(unit())));
    }

    #[test]
    fn funder_viewer_manages_nothing() {
        let g = Grants(vec![Grant { role: Role::FunderViewer, unit_id: None }]);
        assert!(!g.allows(Permission::ManageUsers, Scope::Agency));
        assert!(!g.allows(Permission::ViewAudit, Scope::Agency));
    }

    #[test]
    fn new_user_validation_reports_all_fields() {
        let i = NewUserInput {
            username: "a b".into(),
            display_name: "".into(),
            password: "short".into(),
            locale: None,
            grants: vec![Grant { role: Role::Admin, unit_id: Some(unit()) }],
        };
        let Err(crate::DomainError::Invalid(errs)) = i.validate() else { unreachable!("input is invalid") };
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "display_name", "password", "grants"]);
    }

    #[test]
    fn usernames_are_lower_cased() {
        let mut v = Validator::new();
        assert_eq!(parse_username(&mut v, " Chan.TaiMan "), "chan.taiman");
        assert!(v.finish().is_ok());
    }
}
