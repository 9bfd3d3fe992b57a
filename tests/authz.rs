//! Authorization. One matrix lists every route of the application with the roles that may use
//! it; every role and an anonymous visitor call every route, by session (cookie + CSRF) and by
//! personal API token, and a refusal must be a refusal that shows nothing. A route without a
//! row fails `every_route_has_a_row`; the table in docs/SECURITY.md is this matrix, checked by
//! `security_doc_shows_the_matrix`. Then: agencies never see each other, unit grants stay in
//! their unit, tokens belong to their owner.

use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::{Actor, Grant, Grants, Permission, Role, Scope};
use shegong_domain::activities::{ActivityInput, SessionInput};
use shegong_domain::assistance::{DeliveryInput, RequestInput};
use shegong_domain::cases::{
    Case, CaseChange, CaseDetailsInput, CaseInput, ClosingReason, Goal, NoteFields, ReferralDirection, ReferralFields, TaskFields,
};
use shegong_domain::clients::{Client as ClientRecord, ClientFilter, ClientInput, ConsentInput, HouseholdInput, MemberInput};
use shegong_domain::clock::Clock;
use shegong_domain::coverage::SiteInput;
use shegong_domain::donations::{DonationInput, DonorInput, ItemInput};
use shegong_domain::hotline::{default_topics, Call, CallInput, ScheduleInput};
use shegong_domain::ids::{
    ActivityId, AssistanceRequestId, CaseId, ClientId, CourseId, DonationId, DonationItemId, DonorId, DutyId, HouseholdId, MemberId,
    SessionId, ToyId, UnitId, UserId, VolunteerId,
};
use shegong_domain::knowledge::{IncidentInput, SolutionInput};
use shegong_domain::lending::{Condition, Loan, Member, MemberFields, ReturnFields, Reward, Toy, ToyInput};
use shegong_domain::outreach::{ContactInput, EscortInput, InterpretationInput, OutreachSessionInput, VisitInput};
use shegong_domain::ports::{
    AccountsRepo, ActivitiesRepo, AssistanceRepo, AuditRepo, CasesRepo, ClientsRepo, CoverageRepo, DonationsRepo, HotlineRepo,
    KnowledgeRepo, LendingRepo, OutreachRepo, ReportsRepo, UnitsRepo, VolunteersRepo,
};
use shegong_domain::reports::TargetInput;
use shegong_domain::volunteers::{CourseInput, DutyInput, HourSource, HoursInput, LinkClaim, SignUpVia, VolunteerInput};
use shegong_testkit::{db_test, Client, TestApp, PASSWORD};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

/// What the `{id}` (or `{file}`, `{consent}`) of a path is filled with. On a path without an
/// id, `CallersUnit` and `OtherUnit` name the unit that the body (or query) writes into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum On {
    Nothing,
    /// Unit A: the unit where every unit-scoped role of the seed is granted.
    CallersUnit,
    /// Unit B: a unit where no unit-scoped role of the seed is granted.
    OtherUnit,
    /// An account that is not the caller's (made for this test).
    OtherAccount,
    /// One of the caller's own API tokens.
    OwnToken,
    /// A static file.
    File,
    /// The test's client record in that unit (read, and edited at its current version).
    Client(Unit),
    /// An active client record of that unit, registered for this call only.
    NewClient(Unit),
    /// A closed client record of that unit, made for this call only.
    ClosedClient(Unit),
    /// A live consent of the test's client in that unit, given for this call only.
    Consent(Unit),
    /// The test's household in that unit.
    Household(Unit),
    /// The test's open case of that unit (a client case of its `Aaron Authz` record).
    Case(Unit),
    /// An open case of that unit, made for this call only.
    NewCase(Unit),
    /// A closed case of that unit, made for this call only.
    ClosedCase(Unit),
    /// A case of that unit whose closure awaits approval, made for this call only.
    PendingClosure(Unit),
    /// A draft plan of a case of that unit, made for this call only.
    DraftPlan(Unit),
    /// A plan waiting for approval on a case of that unit, made for this call only.
    SubmittedPlan(Unit),
    /// A note on the test's case of that unit, written for this call only (by the admin account,
    /// so a correction is always a new linked note).
    Note(Unit),
    /// A follow-up task on the test's case of that unit, made for this call only.
    Task(Unit),
    /// A referral on the test's case of that unit, made for this call only.
    Referral(Unit),
    /// An import job the caller started. Jobs are private to their starter, so no one else
    /// has one to aim at: these rows are checked by `import_jobs_belong_to_their_starter`,
    /// not by the cross-role pass.
    OwnImportJob,
    /// The test's activity in that unit (`Authz-A activity`), with one session and one
    /// enrolled participant.
    Activity(Unit),
    /// The session of the test's activity in that unit.
    Session(Unit),
    /// A hotline call about the test's client of that unit, logged for this call only by the
    /// other account and escalated to the seeded supervisor.
    NewCall(Unit),
    /// An open follow-up of a call at that unit, made for this call only.
    NewFollowUp(Unit),
    /// A check-in schedule of the test's client at that unit.
    Schedule(Unit),
    /// The test's volunteer of that unit (`Vic Authz-A`), with the volunteer and peer-supporter roles.
    Volunteer(Unit),
    /// The test's duty of that unit.
    Duty(Unit),
    /// A duty of that unit made for this call only, on a day of its own (so no sign-up clashes).
    NewDuty(Unit),
    /// The test's volunteer of that unit on a new duty, made for this call only.
    Assignment(Unit),
    /// The same, checked in.
    CheckedIn(Unit),
    /// Hours the test's volunteer of that unit reported, waiting for approval, made for this call only.
    PendingHours(Unit),
    /// The test's course.
    Course,
    /// A signed sign-up link of the test's volunteer of unit A for the test's duty.
    Link,
    /// A signed sign-up link of the test's volunteer of unit A for a new duty, made for this call only.
    NewLink,
    /// The test's toy whose home is that unit (`Authz-A toy`, with a photo).
    Toy(Unit),
    /// The test's member household of that unit (`Authz-A household`).
    Member(Unit),
    /// A member household of that unit made for this call only, with points from an on-time return.
    PointsMember(Unit),
    /// An open loan at that unit, made for this call only.
    NewLoan(Unit),
    /// A reservation of a toy held at that unit, made for this call only.
    NewReservation(Unit),
    /// A toy on its way to that unit for a reservation, made for this call only.
    NewTransfer(Unit),
    /// An open repair item at that unit (a part missing on return), made for this call only.
    NewRepair(Unit),
    /// A family card of the test's member household of unit A, issued for this call only.
    FamilyCard,
    /// A yearly output target of that unit (version 1), made for this call only.
    NewTarget(Unit),
    /// A pending assistance request for the test's household of that unit, made for this call only.
    NewRequest(Unit),
    /// A request of that unit made for this call only and dispatched to the caller when the
    /// caller may deliver there, else to the admin.
    DispatchedRequest(Unit),
    /// A request of that unit made for this call only, dispatched to the admin, with a proof photo.
    PhotoRequest(Unit),
    /// A request of that unit made for this call only, delivered.
    DeliveredRequest(Unit),
    /// The test's donation of masks received at that unit.
    Donation(Unit),
    /// A cash donation received at that unit, made for this call only.
    CashDonation(Unit),
    /// A stock adjustment (+1) at that unit proposed by the other account, made for this call only.
    NewAdjustment(Unit),
    /// A candidate site for a new service point (coverage), made for this call only.
    Site,
    /// A solution of the knowledge base (version 1), made for this call only.
    Solution,
    /// A social incident (version 1), made for this call only.
    Incident,
    /// An outreach session of that unit, made for this call only.
    OutreachSession(Unit),
    /// A requested Urdu interpretation for the test's client of that unit, made for this call only.
    Interpretation(Unit),
    /// The same, assigned (version 2) to the seeded peer supporter, or to the volunteer when the
    /// peer supporter calls, so the caller is never the assignee.
    AssignedInterpretation(Unit),
    /// A planned medical escort of the test's client of that unit, made for this call only.
    Escort(Unit),
    /// A planned home visit to the test's client of that unit, made for this call only.
    Visit(Unit),
}

/// The unit a record belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Unit {
    /// Unit A, the caller's: every unit-scoped role of the seed is granted there.
    A,
    /// Unit B: no unit-scoped role of the seed is granted there.
    B,
}

impl On {
    /// The unit of the record (or of the write) the row aims at.
    fn unit(self) -> Option<Unit> {
        match self {
            On::CallersUnit | On::OwnImportJob => Some(Unit::A),
            On::OtherUnit => Some(Unit::B),
            On::Client(u)
            | On::NewClient(u)
            | On::ClosedClient(u)
            | On::Consent(u)
            | On::Household(u)
            | On::Activity(u)
            | On::Session(u)
            | On::Case(u)
            | On::NewCase(u)
            | On::ClosedCase(u)
            | On::PendingClosure(u)
            | On::DraftPlan(u)
            | On::SubmittedPlan(u)
            | On::Note(u)
            | On::Task(u)
            | On::Referral(u)
            | On::NewCall(u)
            | On::NewFollowUp(u)
            | On::Schedule(u)
            | On::Volunteer(u)
            | On::Duty(u)
            | On::NewDuty(u)
            | On::Assignment(u)
            | On::CheckedIn(u)
            | On::PendingHours(u)
            | On::Toy(u)
            | On::Member(u)
            | On::PointsMember(u)
            | On::NewLoan(u)
            | On::NewReservation(u)
            | On::NewTransfer(u)
            | On::NewRepair(u)
            | On::NewTarget(u) => Some(u),
            On::NewRequest(u)
            | On::DispatchedRequest(u)
            | On::PhotoRequest(u)
            | On::DeliveredRequest(u)
            | On::Donation(u)
            | On::CashDonation(u)
            | On::NewAdjustment(u)
            | On::OutreachSession(u)
            | On::Interpretation(u)
            | On::AssignedInterpretation(u)
            | On::Escort(u)
            | On::Visit(u) => Some(u),
            On::Link | On::NewLink => Some(Unit::A),
            On::Course => None,
            On::Nothing | On::OtherAccount | On::OwnToken | On::File | On::FamilyCard | On::Site | On::Solution | On::Incident => None,
        }
    }
}

/// Where a permission is asked for.
#[derive(Clone, Copy, Debug)]
enum At {
    Agency,
    AnyUnit,
    /// The unit named in the path.
    ThatUnit,
}

/// What the route asks of its caller (documentation, and checked against the domain's matrix).
#[derive(Clone, Copy, Debug)]
enum Need {
    Nothing,
    SignedIn,
    Perm(Permission, At),
}

/// Who may use the route, for the seeded agency: `admin` and `funder_viewer` agency-wide,
/// every other role granted on unit A only.
#[derive(Clone, Copy, Debug)]
enum Who {
    /// Anonymous visitors and every role.
    Anyone,
    Roles(&'static [Role]),
}

const EVERY_ROLE: &[Role] = &Role::ALL;
const ADMIN: &[Role] = &[Role::Admin];
/// The roles the seed grants agency-wide.
const AGENCY_WIDE: &[Role] = &[Role::Admin, Role::FunderViewer];
/// The roles that find, read and edit client records (`ViewClients`, `EditClients`).
const CLIENT_STAFF: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::HotlineOperator];
/// The roles that merge, import and export client records (`ManageClients`).
const MANAGERS: &[Role] = &[Role::Admin, Role::Supervisor];
/// The roles that hold cases (`ViewCases`, `EditCases`), granted in unit A.
const CASE_STAFF: &[Role] = &[Role::Supervisor, Role::SocialWorker, Role::WelfareWorker];
/// The roles that approve plans and closures (`ApproveCases`), granted in unit A.
const APPROVERS: &[Role] = &[Role::Supervisor];
/// No role of the seed: unit B's case files are out of everyone's reach (the agency-wide
/// admin configures casework but reads no case).
const NOBODY: &[Role] = &[];
/// `ViewActivities` and `RecordAttendance`: the practice roles and the helpers who take attendance.
const ACTIVITY_TEAM: &[Role] =
    &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::PeerSupporter, Role::Volunteer];
/// `EditActivities`.
const ACTIVITY_STAFF: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker];

/// `ViewHotline`: hotline staff of unit A (call notes, the queue, check-ins).
const HOTLINE_STAFF: &[Role] = &[Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::HotlineOperator];
/// `LogCalls`: hotline staff and the trained volunteers who take shifts.
const CALL_LOGGERS: &[Role] =
    &[Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::PeerSupporter, Role::Volunteer, Role::HotlineOperator];
/// `ManageHotline` in unit A: the agency's admin and the unit's supervisor.
const HOTLINE_MANAGERS: &[Role] = &[Role::Admin, Role::Supervisor];
/// `ViewVolunteers` and `ManageVolunteers` in unit A: the staff who look after volunteers.
const VOLUNTEER_STAFF: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker];
/// `ServeDuties`: volunteers and peer supporters, for their own duties only.
const VOLUNTEERS: &[Role] = &[Role::PeerSupporter, Role::Volunteer];

/// `ViewLending`: the toy library's staff and the community assistants at its counters.
const LENDING_VIEWERS: &[Role] =
    &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::PeerSupporter, Role::Volunteer];
/// `LendToys` in unit A: who works the counter (the admin configures, but does not lend).
const LENDERS: &[Role] = &[Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::PeerSupporter, Role::Volunteer];
/// `ManageLending` in unit A: who catalogues toys, enrols households and resolves repairs.
const LENDING_MANAGERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker];

/// `ViewReports` and `ViewAssistanceReports`: the practice staff of unit A, and the agency-wide
/// admin and funder (who sees aggregates only).
const REPORT_READERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::FunderViewer];
/// `ManageTargets` in unit A.
const TARGET_MANAGERS: &[Role] = &[Role::Admin, Role::Supervisor];
/// `ViewAssistance` and `EditAssistance`: practice staff and hotline operators of unit A, and the admin.
const ASSIST_STAFF: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::HotlineOperator];
/// `DeliverAssistance` in unit A: staff and trained volunteers (the admin agency-wide).
const DELIVERERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::PeerSupporter, Role::Volunteer];
/// `ViewDonations` and `ManageDonations` in unit A.
const DONATION_STAFF: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker];
/// `ConfirmAdjustments` in unit A.
const CONFIRMERS: &[Role] = &[Role::Admin, Role::Supervisor];
/// `ViewCoverage`: practice staff of unit A, the admin and the funder (who sees counts only).
const COVERAGE_VIEWERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::FunderViewer];
/// `ViewOutcomeReports`: practice staff of unit A, the admin and the funder (aggregates only).
const OUTCOME_READERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::FunderViewer];
/// `ViewOutcomes` and `AdministerScales` in unit A: the practice staff (the admin reads no one's scores).
const OUTCOME_STAFF: &[Role] = &[Role::Supervisor, Role::SocialWorker, Role::WelfareWorker];
/// `ViewKnowledge`: practice staff, hotline operators and the admin.
const KNOWLEDGE_READERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::HotlineOperator];
/// `ManageKnowledge` and `ManageIncidents`: practice staff and the admin.
const KNOWLEDGE_WRITERS: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker];
/// `ViewOutreach` and `EditOutreach` in unit A: practice staff, and the admin agency-wide.
const OUTREACH_STAFF: &[Role] = &[Role::Admin, Role::Supervisor, Role::SocialWorker, Role::WelfareWorker];
/// `Interpret`: practice staff, district ambassadors (peer supporters) and volunteers of unit A.
const INTERPRETERS: &[Role] = &[Role::Supervisor, Role::SocialWorker, Role::WelfareWorker, Role::PeerSupporter, Role::Volunteer];

/// What a call sends. Every write sends a valid body, except where noted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    None,
    /// A form with nothing but its CSRF token.
    EmptyForm,
    Locale,
    /// A password change with a wrong current password: deliberately refused with 422, so
    /// that no session ends.
    WrongPassword,
    TokenForm,
    NewUserForm,
    EditUserForm,
    NewUnitForm,
    EditUnitForm,
    /// Sign-in with the caller's own account (anonymous: the other account, on a fresh client).
    Login,
    NewUserJson,
    EditUserJson,
    NewTokenJson,
    NewUnitJson,
    EditUnitJson,
    /// A JSON call without a body (DELETE, and POSTs that take none).
    NoJson,
    /// A new person (unique name and phone, so no duplicate warning) in the unit of `On`.
    NewClientForm,
    /// The record of `On` as it is, at its current version, with the address changed.
    EditClientForm,
    /// The current version of the record of `On` (close, reopen).
    VersionForm,
    ConsentForm,
    /// Two fresh records of one person in the unit of `On`, made for this call, to merge.
    MergeForm,
    /// Anonymise records closed more than 7 years ago (none are, so nothing is cleared).
    RetentionForm,
    /// A household in the unit of `On` whose head is a person registered for this call.
    NewHouseholdForm,
    /// The household of `On` as it is, at its current version, with the address changed.
    EditHouseholdForm,
    /// A multipart upload of a small CSV file for a dry run into the unit of `On`.
    ImportUpload,
    NewClientJson,
    EditClientJson,
    VersionJson,
    ConsentJson,
    MergeJson,
    RetentionJson,
    NewHouseholdJson,
    EditHouseholdJson,
    /// A small CSV file as the raw body (`text/csv`), `?unit_id=` the unit of `On`, `dry_run=true`.
    ImportCsv,
    /// No body; `?client=` the record of `On`.
    ClientQuery,
    /// An intake in the unit of `On` for the unit's `Aaron Authz` client.
    NewCaseForm,
    NewCaseJson,
    /// The case's details as they are, at its current version, with the risk changed.
    CaseDetailsForm,
    CaseDetailsJson,
    AssessmentForm,
    AssessmentJson,
    /// A new plan with one goal, submitted.
    PlanForm,
    PlanJson,
    /// The draft plan of `On` at its version, submitted.
    PlanUpdateJson,
    /// Approve the plan of `On` at its version.
    PlanDecisionForm,
    PlanDecisionJson,
    NoteForm,
    NoteJson,
    /// A correction of the note of `On` at its version.
    NoteCorrectionForm,
    NoteCorrectionJson,
    TaskForm,
    TaskJson,
    ReviewForm,
    ReviewJson,
    /// Hand the case of `On` to the unit's supervisor.
    TransferForm,
    TransferJson,
    ReferralForm,
    ReferralJson,
    ReferralUpdateForm,
    ReferralUpdateJson,
    MandatoryReportForm,
    MandatoryReportJson,
    ClosureForm,
    ClosureJson,
    /// Approve the closure of `On` at the case's version.
    ClosureDecisionForm,
    ClosureDecisionJson,
    ReopenForm,
    ReopenJson,
    /// The agency's casework settings as they are, at their version.
    CaseSettingsForm,
    CaseSettingsJson,
    /// The agency's presenting problems as they are.
    ProblemsForm,
    ProblemsJson,
    /// No body; `?format=csv`, and `&unit_id=` the unit of `On` when it has one.
    CsvExport,
    /// A new programme in the unit of `On`.
    NewActivityForm,
    NewActivityJson,
    /// The activity of `On` at its current version, retitled.
    EditActivityForm,
    EditActivityJson,
    SessionForm,
    SessionJson,
    /// A walk-in guest enrolled in the activity of `On`.
    EnrolForm,
    EnrolJson,
    EvaluationForm,
    EvaluationJson,
    /// The participant of the session of `On` marked present.
    AttendanceForm,
    AttendanceJson,
    WalkInForm,
    WalkInJson,
    LogForm,
    LogJson,
    WithdrawJson,
    DomainJson,
    /// A sign-in sheet (CSV) for the session of `On`, as a multipart upload.
    SheetUpload,
    /// A low-risk call at the unit of `On`, from an unregistered number.
    NewCallJson,
    NewCallForm,
    DoneForm,
    /// A case from the call of `On`, for one presenting problem.
    CaseFromCallJson,
    FlagJson,
    FollowUpDoneJson,
    /// The point of `On` (a unit) at its current version, with one number.
    PointJson,
    /// A shift of the seeded volunteer at the point of `On`.
    ShiftJson,
    /// The agency's hotline topics as they are.
    TopicsJson,
    /// A check-in schedule of the test's client of `On`, made by the seeded hotline operator.
    ScheduleJson,
    AttemptJson,
    /// A new volunteer in the unit of `On`.
    NewVolunteerForm,
    NewVolunteerJson,
    /// The volunteer of `On` as they are, at their current version.
    EditVolunteerForm,
    EditVolunteerJson,
    CourseForm,
    CourseJson,
    /// The test's course at its current version.
    EditCourseJson,
    /// A duty in the unit of `On`.
    DutyForm,
    DutyJson,
    /// The test's volunteer of the unit of `On`.
    VolunteerChoiceForm,
    VolunteerChoiceJson,
    /// Version 1 (of an assignment or hours made for the call).
    FirstVersionForm,
    FirstVersionJson,
    DecideForm,
    DecideJson,
    VolunteerHoursForm,
    VolunteerHoursJson,
    TrainingForm,
    TrainingJson,
    StageForm,
    StageJson,
    /// The agency's volunteer settings as they are.
    VolunteerSettingsJson,
    /// No body; a role, the test's course and a time as the query.
    EligibilityQuery,
    /// A new toy whose home is the unit of `On`.
    NewToyForm,
    NewToyJson,
    /// The toy of `On` as it is, at its current version, renamed.
    EditToyForm,
    EditToyJson,
    /// A small WebP photo of the toy of `On`, as a multipart upload.
    PhotoUpload,
    /// The same photo as the raw body.
    PhotoBytes,
    /// A household of the unit of `On`, registered for this call, joins.
    MemberForm,
    MemberJson,
    /// A fresh toy at the unit of `On` lent to a fresh member there.
    CheckOutForm,
    CheckOutJson,
    /// The loan of `On` handed back complete at its unit.
    ReturnForm,
    ReturnJson,
    /// A form whose `back` names the page to return to.
    BackForm,
    LostJson,
    /// A one-point reward (added to the agency's list for the test).
    RedeemForm,
    RedeemJson,
    /// A fresh member of unit A in the waiting list of a fresh toy of unit A.
    ReserveForm,
    ReserveJson,
    ResolveForm,
    ResolveJson,
    /// No body; `?unit_id=` the unit of `On`.
    UnitQuery,
    /// Send the reminders of the unit of `On`.
    SendForm,
    SendJson,
    /// The agency's toy-library settings as they are.
    LendingSettingsForm,
    LendingSettingsJson,
    /// A new yearly target of the unit of `On`, under an agreement of its own.
    TargetForm,
    TargetJson,
    /// The target of `On` with a new figure, at version 1.
    TargetEditForm,
    TargetEditJson,
    /// No body; `?version=1`.
    VersionQuery,
    /// A new assistance request for the test's household of the unit of `On`, with consent.
    RequestForm,
    RequestJson,
    /// Dispatch to the admin (who may deliver anywhere).
    DispatchForm,
    DispatchJson,
    /// Delivered, confirmed by the recipient.
    DeliveryForm,
    DeliveryJson,
    FollowUpForm,
    FollowUpJson,
    /// The agency's list of needs as it is.
    AssistanceSettingsJson,
    DonorForm,
    DonorJson,
    /// One box of masks from the test's donor of the unit, received at the unit of `On`.
    DonationForm,
    DonationJson,
    /// One unit of the currency spent.
    SpendJson,
    /// One box of the unit's donated masks, to the other unit.
    StockTransferForm,
    StockTransferJson,
    /// One box of the unit's donated masks to the test's household of the unit.
    DistributionJson,
    /// +1 box of the unit's donated masks.
    AdjustmentForm,
    AdjustmentJson,
    DecisionForm,
    DecisionJson,
    /// The agency's coverage settings as they are, at their current version.
    CoverageSettingsForm,
    CoverageSettingsJson,
    /// A small population grid: a multipart upload, or the raw `text/csv` body.
    GridUpload,
    GridCsv,
    /// A new candidate site.
    SiteForm,
    SiteJson,
    /// The site of `On` renamed, at version 1.
    SiteEditJson,
    /// Version 1 of the site of `On` (a form, or `?version=1` with no body).
    SiteVersionForm,
    SiteVersionQuery,
    /// `?scale=brs&time_point=pre`.
    ScaleQuery,
    /// `?case_id=` the case of `On`.
    CaseQuery,
    /// The BRS answered for the client of `On`.
    AdministerForm,
    AdministerJson,
    /// An agency scale with a code of its own.
    ScaleJson,
    SolutionForm,
    SolutionJson,
    SolutionEditJson,
    IncidentForm,
    IncidentJson,
    IncidentEditJson,
    /// Links the test's open case of unit A.
    LinkForm,
    LinkJson,
    /// A suggestion of one site among two places given.
    SuggestJson,
    /// An outreach session in the unit of `On`, with one anonymous contact line.
    OutreachSessionForm,
    OutreachSessionJson,
    /// An Urdu phone interpretation for the test's client of the unit of `On`.
    InterpretationForm,
    InterpretationJson,
    /// Assign to the seeded peer supporter (who covers Urdu), at version 1.
    AssignForm,
    AssignJson,
    /// Completed in 30 minutes, at version 2.
    CompleteForm,
    CompleteJson,
    /// Cancelled with a reason, at version 1.
    CancelForm,
    CancelJson,
    /// An escort of the test's client of the unit of `On`, by a volunteer named.
    EscortForm,
    EscortJson,
    /// Done with an outcome (escort or visit), at version 1.
    OutcomeForm,
    OutcomeJson,
    /// A home visit to the test's client of the unit of `On`.
    VisitForm,
    VisitJson,
    /// Urdu and Nepali, at the account's current version.
    LanguagesForm,
    LanguagesJson,
    /// The seeded social worker present at the session.
    StaffForm,
    StaffJson,
}

impl Body {
    /// A deliberately minimal body: an allowed caller gets 422, never 2xx.
    fn minimal(self) -> bool {
        self == Body::WrongPassword
    }
}

struct Row {
    method: &'static str,
    /// The route as the router spells it.
    path: &'static str,
    on: On,
    body: Body,
    need: Need,
    who: Who,
    /// Text the allowed response shows and a refusal must not.
    shows: Option<&'static str>,
}

const fn row(method: &'static str, path: &'static str, on: On, body: Body, need: Need, who: Who, shows: Option<&'static str>) -> Row {
    Row { method, path, on, body, need, who, shows }
}

use Permission::{AdministerScales, ManageIncidents, ManageKnowledge, ManageScales, ViewKnowledge, ViewOutcomeReports, ViewOutcomes};
use Permission::{
    AnonymiseClients, ApproveCases, ConfigureCases, ConfigureVolunteers, EditActivities, EditCases, EditClients, LogCalls, ManageClients,
    ManageHotline, ManageUnits, ManageUsers, ManageVolunteers, RecordAttendance, ServeDuties, ViewActivities, ViewAudit, ViewCases,
    ViewClients, ViewHotline, ViewUnits, ViewVolunteers,
};
use Permission::{
    ConfirmAdjustments, DeliverAssistance, EditAssistance, ManageDonations, ViewAssistance, ViewAssistanceReports, ViewDonations,
};
use Permission::{EditOutreach, Interpret, ViewOutreach};
use Permission::{LendToys, ManageCoverage, ManageLending, ViewCoverage, ViewLending};
use Permission::{ManageTargets, ViewReports};

/// Every route of the application. Rows run in this order for each caller: the sign-in and
/// sign-out rows come last because they change the caller's session.
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    // ---- pages ----
    row("GET", "/", On::Nothing, Body::None, Need::SignedIn, Who::Roles(EVERY_ROLE), Some("甲中心")),
    row("GET", "/login", On::Nothing, Body::None, Need::Nothing, Who::Anyone, None),
    row("POST", "/locale", On::Nothing, Body::Locale, Need::Nothing, Who::Anyone, None),
    row("GET", "/account", On::Nothing, Body::None, Need::SignedIn, Who::Roles(EVERY_ROLE), Some("authz-bearer")),
    row("POST", "/account/password", On::Nothing, Body::WrongPassword, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
    row("POST", "/account/tokens", On::Nothing, Body::TokenForm, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
    row("POST", "/account/tokens/{id}/revoke", On::OwnToken, Body::EmptyForm, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
    row("GET", "/users", On::Nothing, Body::None, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), Some("authz-target")),
    row("POST", "/users", On::Nothing, Body::NewUserForm, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/users/new", On::Nothing, Body::None, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), Some("name=\"add_role\"")),
    row("GET", "/users/{id}", On::OtherAccount, Body::None, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), Some("authz-target")),
    row("POST", "/users/{id}", On::OtherAccount, Body::EditUserForm, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/units", On::Nothing, Body::None, Need::Perm(ViewUnits, At::AnyUnit), Who::Roles(EVERY_ROLE), Some("UNIT-A")),
    row("POST", "/units", On::Nothing, Body::NewUnitForm, Need::Perm(ManageUnits, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/units/new", On::Nothing, Body::None, Need::Perm(ManageUnits, At::Agency), Who::Roles(ADMIN), Some("name=\"latitude\"")),
    row("GET", "/units/{id}", On::CallersUnit, Body::None, Need::Perm(ViewUnits, At::ThatUnit), Who::Roles(EVERY_ROLE), Some("UNIT-A")),
    row("GET", "/units/{id}", On::OtherUnit, Body::None, Need::Perm(ViewUnits, At::ThatUnit), Who::Roles(AGENCY_WIDE), Some("UNIT-B")),
    row("POST", "/units/{id}", On::CallersUnit, Body::EditUnitForm, Need::Perm(ManageUnits, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/audit", On::Nothing, Body::None, Need::Perm(ViewAudit, At::Agency), Who::Roles(ADMIN), Some("action=\"/audit/verify\"")),
    row("POST", "/audit/verify", On::Nothing, Body::EmptyForm, Need::Perm(ViewAudit, At::Agency), Who::Roles(ADMIN), Some("action=\"/audit/verify\"")),
    // clients (unit A's staff reach unit A's records; only the agency-wide admin reaches unit B's)
    row("GET", "/clients", On::Nothing, Body::None, Need::Perm(ViewClients, At::AnyUnit), Who::Roles(CLIENT_STAFF), Some("Aaron Authz-A")),
    row("POST", "/clients", On::CallersUnit, Body::NewClientForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/clients", On::OtherUnit, Body::NewClientForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/clients/new", On::Nothing, Body::None, Need::Perm(EditClients, At::AnyUnit), Who::Roles(CLIENT_STAFF), Some("action=\"/clients\"")),
    row("GET", "/clients/duplicates", On::Nothing, Body::None, Need::Perm(ManageClients, At::AnyUnit), Who::Roles(MANAGERS), Some("Dup Authz-A")),
    row("POST", "/clients/merge", On::CallersUnit, Body::MergeForm, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(MANAGERS), None),
    row("POST", "/clients/merge", On::OtherUnit, Body::MergeForm, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/clients/retention", On::Nothing, Body::None, Need::Perm(AnonymiseClients, At::Agency), Who::Roles(ADMIN), Some("name=\"years\"")),
    row("POST", "/clients/retention", On::Nothing, Body::RetentionForm, Need::Perm(AnonymiseClients, At::Agency), Who::Roles(ADMIN), Some("name=\"years\"")),
    row("GET", "/clients/{id}", On::Client(Unit::A), Body::None, Need::Perm(ViewClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), Some("Aaron Authz-A")),
    row("GET", "/clients/{id}", On::Client(Unit::B), Body::None, Need::Perm(ViewClients, At::ThatUnit), Who::Roles(ADMIN), Some("Aaron Authz-B")),
    row("POST", "/clients/{id}", On::Client(Unit::A), Body::EditClientForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/clients/{id}", On::Client(Unit::B), Body::EditClientForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/clients/{id}/edit", On::Client(Unit::A), Body::None, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), Some("Aaron Authz-A")),
    row("GET", "/clients/{id}/edit", On::Client(Unit::B), Body::None, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), Some("Aaron Authz-B")),
    row("POST", "/clients/{id}/close", On::NewClient(Unit::A), Body::VersionForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/clients/{id}/close", On::NewClient(Unit::B), Body::VersionForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/clients/{id}/reopen", On::ClosedClient(Unit::A), Body::VersionForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/clients/{id}/reopen", On::ClosedClient(Unit::B), Body::VersionForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/clients/{id}/consents", On::Client(Unit::A), Body::ConsentForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/clients/{id}/consents", On::Client(Unit::B), Body::ConsentForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/clients/{id}/consents/{consent}/withdraw", On::Consent(Unit::A), Body::EmptyForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/clients/{id}/consents/{consent}/withdraw", On::Consent(Unit::B), Body::EmptyForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/households", On::CallersUnit, Body::NewHouseholdForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/households", On::OtherUnit, Body::NewHouseholdForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/households/new", On::Client(Unit::A), Body::ClientQuery, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), Some("Aaron Authz-A")),
    row("GET", "/households/new", On::Client(Unit::B), Body::ClientQuery, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), Some("Aaron Authz-B")),
    row("GET", "/households/{id}", On::Household(Unit::A), Body::None, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), Some("Authz-A household")),
    row("GET", "/households/{id}", On::Household(Unit::B), Body::None, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B household")),
    row("POST", "/households/{id}", On::Household(Unit::A), Body::EditHouseholdForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/households/{id}", On::Household(Unit::B), Body::EditHouseholdForm, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/clients/import", On::Nothing, Body::None, Need::Perm(ManageClients, At::AnyUnit), Who::Roles(MANAGERS), Some("name=\"file\"")),
    row("POST", "/clients/import", On::CallersUnit, Body::ImportUpload, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(MANAGERS), None),
    row("POST", "/clients/import", On::OtherUnit, Body::ImportUpload, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/clients/import/{job}", On::OwnImportJob, Body::None, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(MANAGERS), None),
    row("POST", "/clients/import/{job}", On::OwnImportJob, Body::EmptyForm, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(MANAGERS), None),
    row("GET", "/clients/import/{job}/errors.csv", On::OwnImportJob, Body::None, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(MANAGERS), None),
    // cases (unit A's case staff reach unit A's case files; no one reaches unit B's)
    row("GET", "/cases", On::Nothing, Body::None, Need::Perm(ViewCases, At::AnyUnit), Who::Roles(CASE_STAFF), Some("Aaron Authz-A")),
    row("POST", "/cases", On::CallersUnit, Body::NewCaseForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases", On::OtherUnit, Body::NewCaseForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/cases/new", On::Client(Unit::A), Body::ClientQuery, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), Some("Aaron Authz-A")),
    row("GET", "/cases/new", On::Client(Unit::B), Body::ClientQuery, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), Some("Aaron Authz-B")),
    row("GET", "/cases/todo", On::Nothing, Body::None, Need::Perm(ViewCases, At::AnyUnit), Who::Roles(CASE_STAFF), None),
    row("GET", "/cases/team", On::Nothing, Body::None, Need::Perm(ApproveCases, At::AnyUnit), Who::Roles(APPROVERS), None),
    row("GET", "/cases/stats", On::Nothing, Body::None, Need::Perm(ViewCases, At::AnyUnit), Who::Roles(CASE_STAFF), None),
    row("GET", "/cases/settings", On::Nothing, Body::None, Need::Perm(ConfigureCases, At::Agency), Who::Roles(ADMIN), Some("name=\"review_days\"")),
    row("POST", "/cases/settings", On::Nothing, Body::CaseSettingsForm, Need::Perm(ConfigureCases, At::Agency), Who::Roles(ADMIN), None),
    row("POST", "/cases/settings/problems", On::Nothing, Body::ProblemsForm, Need::Perm(ConfigureCases, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/cases/{id}", On::Case(Unit::A), Body::None, Need::Perm(ViewCases, At::ThatUnit), Who::Roles(CASE_STAFF), Some("Aaron Authz-A")),
    row("GET", "/cases/{id}", On::Case(Unit::B), Body::None, Need::Perm(ViewCases, At::ThatUnit), Who::Roles(NOBODY), Some("Aaron Authz-B")),
    row("GET", "/cases/{id}/edit", On::Case(Unit::A), Body::None, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), Some("Aaron Authz-A")),
    row("GET", "/cases/{id}/edit", On::Case(Unit::B), Body::None, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), Some("Aaron Authz-B")),
    row("POST", "/cases/{id}", On::Case(Unit::A), Body::CaseDetailsForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}", On::Case(Unit::B), Body::CaseDetailsForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/assessments", On::Case(Unit::A), Body::AssessmentForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/assessments", On::Case(Unit::B), Body::AssessmentForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/plan", On::NewCase(Unit::A), Body::PlanForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/plan", On::NewCase(Unit::B), Body::PlanForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/plans/{plan}/decision", On::SubmittedPlan(Unit::A), Body::PlanDecisionForm, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(APPROVERS), None),
    row("POST", "/cases/{id}/plans/{plan}/decision", On::SubmittedPlan(Unit::B), Body::PlanDecisionForm, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/notes", On::Case(Unit::A), Body::NoteForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/notes", On::Case(Unit::B), Body::NoteForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/cases/{id}/notes/{note}/correct", On::Note(Unit::A), Body::None, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), Some("Authz note")),
    row("GET", "/cases/{id}/notes/{note}/correct", On::Note(Unit::B), Body::None, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), Some("Authz note")),
    row("POST", "/cases/{id}/notes/{note}/correct", On::Note(Unit::A), Body::NoteCorrectionForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/notes/{note}/correct", On::Note(Unit::B), Body::NoteCorrectionForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/tasks", On::Case(Unit::A), Body::TaskForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/tasks", On::Case(Unit::B), Body::TaskForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/tasks/{task}/done", On::Task(Unit::A), Body::EmptyForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/tasks/{task}/done", On::Task(Unit::B), Body::EmptyForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/review", On::Case(Unit::A), Body::ReviewForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/review", On::Case(Unit::B), Body::ReviewForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/transfer", On::NewCase(Unit::A), Body::TransferForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/transfer", On::NewCase(Unit::B), Body::TransferForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/referrals", On::Case(Unit::A), Body::ReferralForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/referrals", On::Case(Unit::B), Body::ReferralForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/referrals/{referral}", On::Referral(Unit::A), Body::ReferralUpdateForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/referrals/{referral}", On::Referral(Unit::B), Body::ReferralUpdateForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/mandatory-reports", On::NewCase(Unit::A), Body::MandatoryReportForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/mandatory-reports", On::NewCase(Unit::B), Body::MandatoryReportForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/close", On::NewCase(Unit::A), Body::ClosureForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/close", On::NewCase(Unit::B), Body::ClosureForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/closure", On::PendingClosure(Unit::A), Body::ClosureDecisionForm, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(APPROVERS), None),
    row("POST", "/cases/{id}/closure", On::PendingClosure(Unit::B), Body::ClosureDecisionForm, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/cases/{id}/reopen", On::ClosedCase(Unit::A), Body::ReopenForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/cases/{id}/reopen", On::ClosedCase(Unit::B), Body::ReopenForm, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    // hotline
    row("GET", "/hotline", On::Nothing, Body::None, Need::Perm(LogCalls, At::AnyUnit), Who::Roles(CALL_LOGGERS), Some("call-form")),
    row("POST", "/hotline/calls", On::CallersUnit, Body::NewCallForm, Need::Perm(LogCalls, At::ThatUnit), Who::Roles(CALL_LOGGERS), None),
    row("POST", "/hotline/calls", On::OtherUnit, Body::NewCallForm, Need::Perm(LogCalls, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/hotline/calls/{id}/acknowledge", On::NewCall(Unit::A), Body::EmptyForm, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(APPROVERS), None),
    row("POST", "/hotline/calls/{id}/acknowledge", On::NewCall(Unit::B), Body::EmptyForm, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/hotline/follow-ups/{id}/done", On::NewFollowUp(Unit::A), Body::DoneForm, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(HOTLINE_STAFF), None),
    row("POST", "/hotline/follow-ups/{id}/done", On::NewFollowUp(Unit::B), Body::DoneForm, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(NOBODY), None),
    // activities (unit A's team reaches unit A's activities; only the agency-wide admin reaches unit B's)
    row("GET", "/activities", On::Nothing, Body::None, Need::Perm(ViewActivities, At::AnyUnit), Who::Roles(ACTIVITY_TEAM), Some("Authz-A activity")),
    row("POST", "/activities", On::CallersUnit, Body::NewActivityForm, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("POST", "/activities", On::OtherUnit, Body::NewActivityForm, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/activities/new", On::Nothing, Body::None, Need::Perm(EditActivities, At::AnyUnit), Who::Roles(ACTIVITY_STAFF), Some("action=\"/activities\"")),
    row("GET", "/activities/calendar", On::Nothing, Body::None, Need::Perm(ViewActivities, At::AnyUnit), Who::Roles(ACTIVITY_TEAM), Some("Authz-A activity")),
    row("GET", "/activities/counts", On::Nothing, Body::None, Need::Perm(ViewActivities, At::AnyUnit), Who::Roles(ACTIVITY_TEAM), Some("counts-rule")),
    row("GET", "/activities/{id}", On::Activity(Unit::A), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), Some("Authz-A activity")),
    row("GET", "/activities/{id}", On::Activity(Unit::B), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B activity")),
    row("POST", "/activities/{id}", On::Activity(Unit::A), Body::EditActivityForm, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("POST", "/activities/{id}", On::Activity(Unit::B), Body::EditActivityForm, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/activities/{id}/edit", On::Activity(Unit::A), Body::None, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), Some("Authz-A activity")),
    row("POST", "/activities/{id}/sessions", On::Activity(Unit::A), Body::SessionForm, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("POST", "/activities/{id}/sessions", On::Activity(Unit::B), Body::SessionForm, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/activities/{id}/enrol", On::Activity(Unit::A), Body::EnrolForm, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("POST", "/activities/{id}/evaluation", On::Activity(Unit::A), Body::EvaluationForm, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("GET", "/sessions/{id}", On::Session(Unit::A), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), Some("Authz-A activity")),
    row("GET", "/sessions/{id}", On::Session(Unit::B), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B activity")),
    row("POST", "/sessions/{id}/attendance", On::Session(Unit::A), Body::AttendanceForm, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), None),
    row("POST", "/sessions/{id}/attendance", On::Session(Unit::B), Body::AttendanceForm, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/sessions/{id}/staff", On::Session(Unit::A), Body::StaffForm, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), None),
    row("POST", "/sessions/{id}/staff", On::Session(Unit::B), Body::StaffForm, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/sessions/{id}/walk-in", On::Session(Unit::A), Body::WalkInForm, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), None),
    row("POST", "/sessions/{id}/log", On::Session(Unit::A), Body::LogForm, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), None),
    row("POST", "/attendance/import", On::Session(Unit::A), Body::SheetUpload, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), None),
    row("POST", "/attendance/import", On::Session(Unit::B), Body::SheetUpload, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ADMIN), None),
    // ---- JSON API ----
    row("GET", "/api/v1/me", On::Nothing, Body::None, Need::SignedIn, Who::Roles(EVERY_ROLE), Some("\"grants\"")),
    row("GET", "/api/v1/users", On::Nothing, Body::None, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), Some("authz-target")),
    row("POST", "/api/v1/users", On::Nothing, Body::NewUserJson, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/users/{id}", On::OtherAccount, Body::None, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), Some("authz-target")),
    row("PUT", "/api/v1/users/{id}", On::OtherAccount, Body::EditUserJson, Need::Perm(ManageUsers, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/tokens", On::Nothing, Body::None, Need::SignedIn, Who::Roles(EVERY_ROLE), Some("authz-bearer")),
    row("POST", "/api/v1/tokens", On::Nothing, Body::NewTokenJson, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
    row("DELETE", "/api/v1/tokens/{id}", On::OwnToken, Body::NoJson, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
    row("GET", "/api/v1/agency", On::Nothing, Body::None, Need::SignedIn, Who::Roles(EVERY_ROLE), Some("Test Agency")),
    row("GET", "/api/v1/units", On::Nothing, Body::None, Need::Perm(ViewUnits, At::AnyUnit), Who::Roles(EVERY_ROLE), Some("UNIT-A")),
    row("POST", "/api/v1/units", On::Nothing, Body::NewUnitJson, Need::Perm(ManageUnits, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/units/{id}", On::CallersUnit, Body::None, Need::Perm(ViewUnits, At::ThatUnit), Who::Roles(EVERY_ROLE), Some("UNIT-A")),
    row("GET", "/api/v1/units/{id}", On::OtherUnit, Body::None, Need::Perm(ViewUnits, At::ThatUnit), Who::Roles(AGENCY_WIDE), Some("UNIT-B")),
    row("PUT", "/api/v1/units/{id}", On::CallersUnit, Body::EditUnitJson, Need::Perm(ManageUnits, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/audit", On::Nothing, Body::None, Need::Perm(ViewAudit, At::Agency), Who::Roles(ADMIN), Some("\"entity_type\"")),
    row("GET", "/api/v1/audit/verify", On::Nothing, Body::None, Need::Perm(ViewAudit, At::Agency), Who::Roles(ADMIN), Some("\"first_bad_seq\"")),
    row("GET", "/api/v1/clients", On::Nothing, Body::None, Need::Perm(ViewClients, At::AnyUnit), Who::Roles(CLIENT_STAFF), Some("Aaron Authz-A")),
    row("POST", "/api/v1/clients", On::CallersUnit, Body::NewClientJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/api/v1/clients", On::OtherUnit, Body::NewClientJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/clients/categories", On::Nothing, Body::None, Need::Perm(ViewClients, At::AnyUnit), Who::Roles(CLIENT_STAFF), Some("\"elderly_alone\"")),
    row("GET", "/api/v1/clients/duplicates", On::Nothing, Body::None, Need::Perm(ManageClients, At::AnyUnit), Who::Roles(MANAGERS), Some("Dup Authz-A")),
    row("POST", "/api/v1/clients/merge", On::CallersUnit, Body::MergeJson, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(MANAGERS), None),
    row("POST", "/api/v1/clients/merge", On::OtherUnit, Body::MergeJson, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/clients/merges", On::Nothing, Body::None, Need::Perm(ManageClients, At::Agency), Who::Roles(ADMIN), Some("\"snapshot\"")),
    row("POST", "/api/v1/clients/anonymise", On::Nothing, Body::RetentionJson, Need::Perm(AnonymiseClients, At::Agency), Who::Roles(ADMIN), Some("\"anonymised\"")),
    row("GET", "/api/v1/clients/{id}", On::Client(Unit::A), Body::None, Need::Perm(ViewClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), Some("Aaron Authz-A")),
    row("GET", "/api/v1/clients/{id}", On::Client(Unit::B), Body::None, Need::Perm(ViewClients, At::ThatUnit), Who::Roles(ADMIN), Some("Aaron Authz-B")),
    row("PUT", "/api/v1/clients/{id}", On::Client(Unit::A), Body::EditClientJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("PUT", "/api/v1/clients/{id}", On::Client(Unit::B), Body::EditClientJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/clients/{id}/close", On::NewClient(Unit::A), Body::VersionJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/api/v1/clients/{id}/close", On::NewClient(Unit::B), Body::VersionJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/clients/{id}/reopen", On::ClosedClient(Unit::A), Body::VersionJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/api/v1/clients/{id}/reopen", On::ClosedClient(Unit::B), Body::VersionJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/clients/{id}/consents", On::Client(Unit::A), Body::None, Need::Perm(ViewClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), Some("Authz-A notice")),
    row("GET", "/api/v1/clients/{id}/consents", On::Client(Unit::B), Body::None, Need::Perm(ViewClients, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B notice")),
    row("POST", "/api/v1/clients/{id}/consents", On::Client(Unit::A), Body::ConsentJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/api/v1/clients/{id}/consents", On::Client(Unit::B), Body::ConsentJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/clients/{id}/consents/{consent}/withdraw", On::Consent(Unit::A), Body::NoJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/api/v1/clients/{id}/consents/{consent}/withdraw", On::Consent(Unit::B), Body::NoJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/clients/{id}/data-export", On::Client(Unit::A), Body::None, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(MANAGERS), Some("Aaron Authz-A")),
    row("GET", "/api/v1/clients/{id}/data-export", On::Client(Unit::B), Body::None, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(ADMIN), Some("Aaron Authz-B")),
    row("POST", "/api/v1/households", On::CallersUnit, Body::NewHouseholdJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("POST", "/api/v1/households", On::OtherUnit, Body::NewHouseholdJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/households/{id}", On::Household(Unit::A), Body::None, Need::Perm(ViewClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), Some("Authz-A household")),
    row("GET", "/api/v1/households/{id}", On::Household(Unit::B), Body::None, Need::Perm(ViewClients, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B household")),
    row("PUT", "/api/v1/households/{id}", On::Household(Unit::A), Body::EditHouseholdJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(CLIENT_STAFF), None),
    row("PUT", "/api/v1/households/{id}", On::Household(Unit::B), Body::EditHouseholdJson, Need::Perm(EditClients, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/clients/import", On::CallersUnit, Body::ImportCsv, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(MANAGERS), Some("\"rows_with_errors\"")),
    row("POST", "/api/v1/clients/import", On::OtherUnit, Body::ImportCsv, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(ADMIN), Some("\"rows_with_errors\"")),
    row("GET", "/api/v1/clients/export", On::Nothing, Body::CsvExport, Need::Perm(ManageClients, At::AnyUnit), Who::Roles(MANAGERS), Some("Aaron Authz-A")),
    row("GET", "/api/v1/clients/export", On::OtherUnit, Body::CsvExport, Need::Perm(ManageClients, At::ThatUnit), Who::Roles(ADMIN), Some("Aaron Authz-B")),
row("GET", "/api/v1/cases", On::Nothing, Body::None, Need::Perm(ViewCases, At::AnyUnit), Who::Roles(CASE_STAFF), Some("\"case_no\"")),
    row("POST", "/api/v1/cases", On::CallersUnit, Body::NewCaseJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases", On::OtherUnit, Body::NewCaseJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/cases/todo", On::Nothing, Body::None, Need::Perm(ViewCases, At::AnyUnit), Who::Roles(CASE_STAFF), Some("\"mine\"")),
    row("GET", "/api/v1/cases/team", On::Nothing, Body::None, Need::Perm(ApproveCases, At::AnyUnit), Who::Roles(APPROVERS), Some("\"reviews_overdue\"")),
    row("GET", "/api/v1/cases/stats", On::Nothing, Body::None, Need::Perm(ViewCases, At::AnyUnit), Who::Roles(CASE_STAFF), Some("\"served\"")),
    row("GET", "/api/v1/cases/problems", On::Nothing, Body::None, Need::Perm(ViewCases, At::AnyUnit), Who::Roles(CASE_STAFF), Some("family_conflict")),
    row("PUT", "/api/v1/cases/problems", On::Nothing, Body::ProblemsJson, Need::Perm(ConfigureCases, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/cases/settings", On::Nothing, Body::None, Need::Perm(ConfigureCases, At::Agency), Who::Roles(ADMIN), Some("\"review_days\"")),
    row("PUT", "/api/v1/cases/settings", On::Nothing, Body::CaseSettingsJson, Need::Perm(ConfigureCases, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/cases/{id}", On::Case(Unit::A), Body::None, Need::Perm(ViewCases, At::ThatUnit), Who::Roles(CASE_STAFF), Some("Aaron Authz-A")),
    row("GET", "/api/v1/cases/{id}", On::Case(Unit::B), Body::None, Need::Perm(ViewCases, At::ThatUnit), Who::Roles(NOBODY), Some("Aaron Authz-B")),
    row("PUT", "/api/v1/cases/{id}", On::Case(Unit::A), Body::CaseDetailsJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("PUT", "/api/v1/cases/{id}", On::Case(Unit::B), Body::CaseDetailsJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/assessments", On::Case(Unit::A), Body::AssessmentJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/assessments", On::Case(Unit::B), Body::AssessmentJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/plans", On::NewCase(Unit::A), Body::PlanJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/plans", On::NewCase(Unit::B), Body::PlanJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("PUT", "/api/v1/cases/{id}/plans/{plan}", On::DraftPlan(Unit::A), Body::PlanUpdateJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("PUT", "/api/v1/cases/{id}/plans/{plan}", On::DraftPlan(Unit::B), Body::PlanUpdateJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/plans/{plan}/decision", On::SubmittedPlan(Unit::A), Body::PlanDecisionJson, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(APPROVERS), None),
    row("POST", "/api/v1/cases/{id}/plans/{plan}/decision", On::SubmittedPlan(Unit::B), Body::PlanDecisionJson, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/notes", On::Case(Unit::A), Body::NoteJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/notes", On::Case(Unit::B), Body::NoteJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/notes/{note}/correct", On::Note(Unit::A), Body::NoteCorrectionJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/notes/{note}/correct", On::Note(Unit::B), Body::NoteCorrectionJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/tasks", On::Case(Unit::A), Body::TaskJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/tasks", On::Case(Unit::B), Body::TaskJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/tasks/{task}/done", On::Task(Unit::A), Body::NoJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/tasks/{task}/done", On::Task(Unit::B), Body::NoJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/review", On::Case(Unit::A), Body::ReviewJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/review", On::Case(Unit::B), Body::ReviewJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/transfer", On::NewCase(Unit::A), Body::TransferJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/transfer", On::NewCase(Unit::B), Body::TransferJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/referrals", On::Case(Unit::A), Body::ReferralJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/referrals", On::Case(Unit::B), Body::ReferralJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("PUT", "/api/v1/cases/{id}/referrals/{referral}", On::Referral(Unit::A), Body::ReferralUpdateJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("PUT", "/api/v1/cases/{id}/referrals/{referral}", On::Referral(Unit::B), Body::ReferralUpdateJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/mandatory-reports", On::NewCase(Unit::A), Body::MandatoryReportJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/mandatory-reports", On::NewCase(Unit::B), Body::MandatoryReportJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/close", On::NewCase(Unit::A), Body::ClosureJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/close", On::NewCase(Unit::B), Body::ClosureJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/closure", On::PendingClosure(Unit::A), Body::ClosureDecisionJson, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(APPROVERS), None),
    row("POST", "/api/v1/cases/{id}/closure", On::PendingClosure(Unit::B), Body::ClosureDecisionJson, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/cases/{id}/reopen", On::ClosedCase(Unit::A), Body::ReopenJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/cases/{id}/reopen", On::ClosedCase(Unit::B), Body::ReopenJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/activities", On::Nothing, Body::None, Need::Perm(ViewActivities, At::AnyUnit), Who::Roles(ACTIVITY_TEAM), Some("Authz-A activity")),
    row("POST", "/api/v1/activities", On::CallersUnit, Body::NewActivityJson, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("POST", "/api/v1/activities", On::OtherUnit, Body::NewActivityJson, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/activities/domains", On::Nothing, Body::None, Need::Perm(ViewActivities, At::AnyUnit), Who::Roles(ACTIVITY_TEAM), Some("\"elderly\"")),
    row("POST", "/api/v1/activities/domains", On::Nothing, Body::DomainJson, Need::Perm(EditActivities, At::Agency), Who::Roles(ADMIN), Some("\"authz_domain\"")),
    row("GET", "/api/v1/activities/counts", On::Nothing, Body::None, Need::Perm(ViewActivities, At::AnyUnit), Who::Roles(ACTIVITY_TEAM), Some("\"person_times\"")),
    row("GET", "/api/v1/activities/calendar", On::Nothing, Body::None, Need::Perm(ViewActivities, At::AnyUnit), Who::Roles(ACTIVITY_TEAM), Some("Authz-A activity")),
    row("GET", "/api/v1/activities/{id}", On::Activity(Unit::A), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), Some("Authz-A activity")),
    row("GET", "/api/v1/activities/{id}", On::Activity(Unit::B), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B activity")),
    row("PUT", "/api/v1/activities/{id}", On::Activity(Unit::A), Body::EditActivityJson, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("PUT", "/api/v1/activities/{id}", On::Activity(Unit::B), Body::EditActivityJson, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/activities/{id}/sessions", On::Activity(Unit::A), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), Some("\"starts_at\"")),
    row("POST", "/api/v1/activities/{id}/sessions", On::Activity(Unit::A), Body::SessionJson, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("GET", "/api/v1/activities/{id}/participants", On::Activity(Unit::A), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), Some("Aaron Authz-A")),
    row("GET", "/api/v1/activities/{id}/participants", On::Activity(Unit::B), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ADMIN), Some("Aaron Authz-B")),
    row("POST", "/api/v1/activities/{id}/participants", On::Activity(Unit::A), Body::EnrolJson, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("POST", "/api/v1/activities/{id}/withdraw", On::Activity(Unit::A), Body::WithdrawJson, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("PUT", "/api/v1/activities/{id}/evaluation", On::Activity(Unit::A), Body::EvaluationJson, Need::Perm(EditActivities, At::ThatUnit), Who::Roles(ACTIVITY_STAFF), None),
    row("GET", "/api/v1/sessions/{id}/attendance", On::Session(Unit::A), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), Some("Aaron Authz-A")),
    row("GET", "/api/v1/sessions/{id}/attendance", On::Session(Unit::B), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ADMIN), Some("Aaron Authz-B")),
    row("POST", "/api/v1/sessions/{id}/attendance", On::Session(Unit::A), Body::AttendanceJson, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), None),
    row("POST", "/api/v1/sessions/{id}/attendance", On::Session(Unit::B), Body::AttendanceJson, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/sessions/{id}/staff", On::Session(Unit::A), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), None),
    row("GET", "/api/v1/sessions/{id}/staff", On::Session(Unit::B), Body::None, Need::Perm(ViewActivities, At::ThatUnit), Who::Roles(ADMIN), None),
    row("PUT", "/api/v1/sessions/{id}/staff", On::Session(Unit::A), Body::StaffJson, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), None),
    row("PUT", "/api/v1/sessions/{id}/staff", On::Session(Unit::B), Body::StaffJson, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/sessions/{id}/walk-ins", On::Session(Unit::A), Body::WalkInJson, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), None),
    row("PUT", "/api/v1/sessions/{id}/log", On::Session(Unit::A), Body::LogJson, Need::Perm(RecordAttendance, At::ThatUnit), Who::Roles(ACTIVITY_TEAM), None),
    row("GET", "/api/v1/hotline/calls", On::Nothing, Body::None, Need::Perm(ViewHotline, At::AnyUnit), Who::Roles(HOTLINE_STAFF), None),
    row("POST", "/api/v1/hotline/calls", On::CallersUnit, Body::NewCallJson, Need::Perm(LogCalls, At::ThatUnit), Who::Roles(CALL_LOGGERS), None),
    row("POST", "/api/v1/hotline/calls", On::OtherUnit, Body::NewCallJson, Need::Perm(LogCalls, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/hotline/calls/{id}", On::NewCall(Unit::A), Body::None, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(HOTLINE_STAFF), Some("Authz call note")),
    row("GET", "/api/v1/hotline/calls/{id}", On::NewCall(Unit::B), Body::None, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(NOBODY), Some("Authz call note")),
    row("POST", "/api/v1/hotline/calls/{id}/acknowledge", On::NewCall(Unit::A), Body::NoJson, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(APPROVERS), None),
    row("POST", "/api/v1/hotline/calls/{id}/acknowledge", On::NewCall(Unit::B), Body::NoJson, Need::Perm(ApproveCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/hotline/calls/{id}/case", On::NewCall(Unit::A), Body::CaseFromCallJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("POST", "/api/v1/hotline/calls/{id}/case", On::NewCall(Unit::B), Body::CaseFromCallJson, Need::Perm(EditCases, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/hotline/lookup", On::Nothing, Body::None, Need::Perm(LogCalls, At::AnyUnit), Who::Roles(CALL_LOGGERS), None),
    row("GET", "/api/v1/hotline/callers/{id}", On::Client(Unit::A), Body::None, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(HOTLINE_STAFF), Some("\"calls\"")),
    row("GET", "/api/v1/hotline/callers/{id}", On::Client(Unit::B), Body::None, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(NOBODY), Some("\"calls\"")),
    row("POST", "/api/v1/hotline/callers/{id}/flags", On::Client(Unit::A), Body::FlagJson, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(HOTLINE_STAFF), None),
    row("POST", "/api/v1/hotline/callers/{id}/flags", On::Client(Unit::B), Body::FlagJson, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/hotline/follow-ups", On::Nothing, Body::None, Need::Perm(ViewHotline, At::AnyUnit), Who::Roles(HOTLINE_STAFF), Some("\"escalations\"")),
    row("POST", "/api/v1/hotline/follow-ups/{id}/done", On::NewFollowUp(Unit::A), Body::FollowUpDoneJson, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(HOTLINE_STAFF), None),
    row("POST", "/api/v1/hotline/follow-ups/{id}/done", On::NewFollowUp(Unit::B), Body::FollowUpDoneJson, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/hotline/points/{id}", On::CallersUnit, Body::None, Need::Perm(ViewUnits, At::ThatUnit), Who::Roles(EVERY_ROLE), Some("\"on_duty\"")),
    row("GET", "/api/v1/hotline/points/{id}", On::OtherUnit, Body::None, Need::Perm(ViewUnits, At::ThatUnit), Who::Roles(AGENCY_WIDE), Some("\"on_duty\"")),
    row("PUT", "/api/v1/hotline/points/{id}", On::CallersUnit, Body::PointJson, Need::Perm(ManageHotline, At::ThatUnit), Who::Roles(HOTLINE_MANAGERS), None),
    row("PUT", "/api/v1/hotline/points/{id}", On::OtherUnit, Body::PointJson, Need::Perm(ManageHotline, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/hotline/points/{id}/shifts", On::CallersUnit, Body::ShiftJson, Need::Perm(ManageHotline, At::ThatUnit), Who::Roles(HOTLINE_MANAGERS), None),
    row("GET", "/api/v1/hotline/topics", On::Nothing, Body::None, Need::Perm(ViewUnits, At::AnyUnit), Who::Roles(EVERY_ROLE), Some("\"anxiety\"")),
    row("PUT", "/api/v1/hotline/topics", On::Nothing, Body::TopicsJson, Need::Perm(ManageHotline, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/hotline/check-ins", On::Nothing, Body::None, Need::Perm(ViewHotline, At::AnyUnit), Who::Roles(HOTLINE_STAFF), None),
    row("POST", "/api/v1/hotline/check-ins", On::CallersUnit, Body::ScheduleJson, Need::Perm(ManageHotline, At::ThatUnit), Who::Roles(HOTLINE_MANAGERS), None),
    row("POST", "/api/v1/hotline/check-ins/{id}/attempts", On::Schedule(Unit::A), Body::AttemptJson, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(HOTLINE_STAFF), None),
    row("POST", "/api/v1/hotline/check-ins/{id}/attempts", On::Schedule(Unit::B), Body::AttemptJson, Need::Perm(ViewHotline, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/hotline/stats", On::Nothing, Body::None, Need::Perm(ViewHotline, At::AnyUnit), Who::Roles(HOTLINE_STAFF), Some("\"unique_callers\"")),
    // volunteers
    row("GET", "/volunteers", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("Vic Authz-A")),
    row("POST", "/volunteers", On::CallersUnit, Body::NewVolunteerForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/volunteers", On::OtherUnit, Body::NewVolunteerForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/volunteers/new", On::Nothing, Body::None, Need::Perm(ManageVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("volunteer-form")),
    row("GET", "/volunteers/courses", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("Authz course")),
    row("POST", "/volunteers/courses", On::Nothing, Body::CourseForm, Need::Perm(ManageVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/volunteers/duties", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("Duty Authz-A")),
    row("POST", "/volunteers/duties", On::CallersUnit, Body::DutyForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/volunteers/duties/{id}", On::Duty(Unit::A), Body::None, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("Duty Authz-A")),
    row("GET", "/volunteers/duties/{id}", On::Duty(Unit::B), Body::None, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(ADMIN), Some("Duty Authz-B")),
    row("POST", "/volunteers/duties/{id}/assign", On::NewDuty(Unit::A), Body::VolunteerChoiceForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/volunteers/duties/{id}/link", On::Duty(Unit::A), Body::VolunteerChoiceForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("/v/")),
    row("POST", "/volunteers/assignments/{id}/check-in", On::Assignment(Unit::A), Body::EmptyForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/volunteers/assignments/{id}/check-out", On::CheckedIn(Unit::A), Body::EmptyForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/volunteers/assignments/{id}/confirm", On::Assignment(Unit::A), Body::FirstVersionForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/volunteers/assignments/{id}/withdraw", On::Assignment(Unit::A), Body::FirstVersionForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/volunteers/hours/{id}/decide", On::PendingHours(Unit::A), Body::DecideForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/volunteers/report", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("id=\"by-month\"")),
    row("GET", "/volunteers/export", On::Nothing, Body::CsvExport, Need::Perm(ManageVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/volunteers/{id}", On::Volunteer(Unit::A), Body::None, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("Vic Authz-A")),
    row("GET", "/volunteers/{id}", On::Volunteer(Unit::B), Body::None, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(ADMIN), Some("Vic Authz-B")),
    row("POST", "/volunteers/{id}", On::Volunteer(Unit::A), Body::EditVolunteerForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/volunteers/{id}/edit", On::Volunteer(Unit::A), Body::None, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("Vic Authz-A")),
    row("POST", "/volunteers/{id}/trainings", On::Volunteer(Unit::A), Body::TrainingForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/volunteers/{id}/stages", On::Volunteer(Unit::A), Body::StageForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/volunteers/{id}/hours", On::Volunteer(Unit::A), Body::VolunteerHoursForm, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/volunteers/{id}/certificate", On::Volunteer(Unit::A), Body::None, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("Vic Authz-A")),
    row("GET", "/volunteer", On::Nothing, Body::None, Need::Perm(ServeDuties, At::AnyUnit), Who::Roles(VOLUNTEERS), Some("self-hours-form")),
    row("POST", "/volunteer/duties/{id}/sign-up", On::NewDuty(Unit::A), Body::EmptyForm, Need::Perm(ServeDuties, At::AnyUnit), Who::Roles(VOLUNTEERS), None),
    row("POST", "/volunteer/hours", On::Nothing, Body::VolunteerHoursForm, Need::Perm(ServeDuties, At::AnyUnit), Who::Roles(VOLUNTEERS), None),
    row("GET", "/v/{token}", On::Link, Body::None, Need::Nothing, Who::Anyone, Some("Duty Authz-A")),
    row("POST", "/v/{token}", On::NewLink, Body::EmptyForm, Need::Nothing, Who::Anyone, None),
    row("GET", "/api/v1/volunteers", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("Vic Authz-A")),
    row("POST", "/api/v1/volunteers", On::CallersUnit, Body::NewVolunteerJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/api/v1/volunteers", On::OtherUnit, Body::NewVolunteerJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/volunteers/courses", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("Authz course")),
    row("POST", "/api/v1/volunteers/courses", On::Nothing, Body::CourseJson, Need::Perm(ManageVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("PUT", "/api/v1/volunteers/courses/{id}", On::Course, Body::EditCourseJson, Need::Perm(ManageVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/api/v1/volunteers/training-needs", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/api/v1/volunteers/duties", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("Duty Authz-A")),
    row("POST", "/api/v1/volunteers/duties", On::CallersUnit, Body::DutyJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/api/v1/volunteers/duties", On::OtherUnit, Body::DutyJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/volunteers/duties/{id}", On::Duty(Unit::A), Body::None, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("Duty Authz-A")),
    row("GET", "/api/v1/volunteers/duties/{id}", On::Duty(Unit::B), Body::None, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(ADMIN), Some("Duty Authz-B")),
    row("GET", "/api/v1/volunteers/duties/{id}/matches", On::Duty(Unit::A), Body::None, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("Vic Authz-A")),
    row("POST", "/api/v1/volunteers/duties/{id}/assignments", On::NewDuty(Unit::A), Body::VolunteerChoiceJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/api/v1/volunteers/duties/{id}/links", On::Duty(Unit::A), Body::VolunteerChoiceJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("/v/")),
    row("POST", "/api/v1/volunteers/assignments/{id}/check-in", On::Assignment(Unit::A), Body::NoJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/api/v1/volunteers/assignments/{id}/check-out", On::CheckedIn(Unit::A), Body::NoJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/api/v1/volunteers/assignments/{id}/confirm", On::Assignment(Unit::A), Body::FirstVersionJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/api/v1/volunteers/assignments/{id}/withdraw", On::Assignment(Unit::A), Body::FirstVersionJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/api/v1/volunteers/hours/pending", On::Nothing, Body::None, Need::Perm(ManageVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/api/v1/volunteers/hours/{id}/decision", On::PendingHours(Unit::A), Body::DecideJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/api/v1/volunteers/me", On::Nothing, Body::None, Need::Perm(ServeDuties, At::AnyUnit), Who::Roles(VOLUNTEERS), Some("Own Authz")),
    row("POST", "/api/v1/volunteers/me/duties/{id}", On::NewDuty(Unit::A), Body::NoJson, Need::Perm(ServeDuties, At::AnyUnit), Who::Roles(VOLUNTEERS), None),
    row("POST", "/api/v1/volunteers/me/hours", On::Nothing, Body::VolunteerHoursJson, Need::Perm(ServeDuties, At::AnyUnit), Who::Roles(VOLUNTEERS), None),
    row("GET", "/api/v1/volunteers/totals", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("\"rows\"")),
    row("GET", "/api/v1/volunteers/report", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("\"person_times\"")),
    row("GET", "/api/v1/volunteers/ratios", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/api/v1/volunteers/export", On::Nothing, Body::CsvExport, Need::Perm(ManageVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/api/v1/volunteers/settings", On::Nothing, Body::None, Need::Perm(ViewVolunteers, At::AnyUnit), Who::Roles(VOLUNTEER_STAFF), Some("\"bronze\"")),
    row("PUT", "/api/v1/volunteers/settings", On::Nothing, Body::VolunteerSettingsJson, Need::Perm(ConfigureVolunteers, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/volunteers/{id}", On::Volunteer(Unit::A), Body::None, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("Vic Authz-A")),
    row("GET", "/api/v1/volunteers/{id}", On::Volunteer(Unit::B), Body::None, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(ADMIN), Some("Vic Authz-B")),
    row("PUT", "/api/v1/volunteers/{id}", On::Volunteer(Unit::A), Body::EditVolunteerJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/api/v1/volunteers/{id}/trainings", On::Volunteer(Unit::A), Body::TrainingJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/api/v1/volunteers/{id}/stages", On::Volunteer(Unit::A), Body::StageJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("POST", "/api/v1/volunteers/{id}/hours", On::Volunteer(Unit::A), Body::VolunteerHoursJson, Need::Perm(ManageVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), None),
    row("GET", "/api/v1/volunteers/{id}/eligibility", On::Volunteer(Unit::A), Body::EligibilityQuery, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("\"eligible\"")),
    row("GET", "/api/v1/volunteers/{id}/certificate", On::Volunteer(Unit::A), Body::None, Need::Perm(ViewVolunteers, At::ThatUnit), Who::Roles(VOLUNTEER_STAFF), Some("Vic Authz-A")),
    // ---- toy library ----
    row("GET", "/lending", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("Authz-A toy")),
    row("POST", "/lending/toys", On::CallersUnit, Body::NewToyForm, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("POST", "/lending/toys", On::OtherUnit, Body::NewToyForm, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/lending/toys/{id}", On::Toy(Unit::A), Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("Authz-A toy")),
    row("POST", "/lending/toys/{id}", On::Toy(Unit::A), Body::EditToyForm, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("POST", "/lending/toys/{id}", On::Toy(Unit::B), Body::EditToyForm, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/lending/photos", On::Toy(Unit::A), Body::PhotoUpload, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("POST", "/lending/photos", On::Toy(Unit::B), Body::PhotoUpload, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/lending/toys/{id}/photo", On::Toy(Unit::A), Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), None),
    row("GET", "/lending/labels", On::CallersUnit, Body::UnitQuery, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), Some("Authz-A toy")),
    row("GET", "/lending/labels", On::OtherUnit, Body::UnitQuery, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B toy")),
    row("GET", "/lending/members", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("Authz-A household")),
    row("POST", "/lending/members", On::CallersUnit, Body::MemberForm, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("POST", "/lending/members", On::OtherUnit, Body::MemberForm, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/lending/members/{id}", On::Member(Unit::A), Body::None, Need::Perm(ViewLending, At::ThatUnit), Who::Roles(LENDING_VIEWERS), Some("Authz-A household")),
    row("GET", "/lending/members/{id}", On::Member(Unit::B), Body::None, Need::Perm(ViewLending, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B household")),
    row("POST", "/lending/members/{id}/card", On::Member(Unit::A), Body::EmptyForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), Some("Authz-A household")),
    row("POST", "/lending/members/{id}/card", On::Member(Unit::B), Body::EmptyForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), Some("Authz-B household")),
    row("POST", "/lending/members/{id}/redeem", On::PointsMember(Unit::A), Body::RedeemForm, Need::Perm(LendToys, At::AnyUnit), Who::Roles(LENDERS), None),
    row("GET", "/lending/counter", On::Nothing, Body::None, Need::Perm(LendToys, At::AnyUnit), Who::Roles(LENDERS), Some("c-member_no")),
    row("POST", "/lending/loans", On::CallersUnit, Body::CheckOutForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), None),
    row("POST", "/lending/loans", On::OtherUnit, Body::CheckOutForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/lending/loans/{id}/return", On::NewLoan(Unit::A), Body::ReturnForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), None),
    row("POST", "/lending/loans/{id}/return", On::NewLoan(Unit::B), Body::ReturnForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/lending/loans/{id}/renew", On::NewLoan(Unit::A), Body::BackForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), None),
    row("POST", "/lending/loans/{id}/renew", On::NewLoan(Unit::B), Body::BackForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/lending/loans/{id}/lost", On::NewLoan(Unit::A), Body::BackForm, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("POST", "/lending/loans/{id}/lost", On::NewLoan(Unit::B), Body::BackForm, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/lending/reservations", On::Nothing, Body::ReserveForm, Need::Perm(LendToys, At::AnyUnit), Who::Roles(LENDERS), None),
    row("POST", "/lending/reservations/{id}/cancel", On::NewReservation(Unit::A), Body::BackForm, Need::Perm(LendToys, At::AnyUnit), Who::Roles(LENDERS), None),
    row("POST", "/lending/transfers/{id}/receive", On::NewTransfer(Unit::A), Body::EmptyForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), None),
    row("POST", "/lending/transfers/{id}/receive", On::NewTransfer(Unit::B), Body::EmptyForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/lending/repairs", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), None),
    row("POST", "/lending/repairs/{id}/resolve", On::NewRepair(Unit::A), Body::ResolveForm, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("POST", "/lending/repairs/{id}/resolve", On::NewRepair(Unit::B), Body::ResolveForm, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/lending/reminders", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), None),
    row("POST", "/lending/reminders", On::CallersUnit, Body::SendForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), None),
    row("POST", "/lending/reminders", On::OtherUnit, Body::SendForm, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/lending/reports", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("report-totals")),
    row("GET", "/lending/settings", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("settings-form")),
    row("POST", "/lending/settings", On::Nothing, Body::LendingSettingsForm, Need::Perm(ManageLending, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/reports", On::Nothing, Body::None, Need::Perm(ViewReports, At::AnyUnit), Who::Roles(REPORT_READERS), Some("report-lines")),
    row("GET", "/reports/export", On::Nothing, Body::None, Need::Perm(ViewReports, At::AnyUnit), Who::Roles(REPORT_READERS), None),
    row("GET", "/reports/dashboard", On::Nothing, Body::None, Need::Perm(ViewReports, At::AnyUnit), Who::Roles(REPORT_READERS), Some("chart-people")),
    row("GET", "/reports/targets", On::Nothing, Body::None, Need::Perm(ViewReports, At::AnyUnit), Who::Roles(REPORT_READERS), Some("y-year")),
    row("POST", "/reports/targets", On::CallersUnit, Body::TargetForm, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(TARGET_MANAGERS), None),
    row("POST", "/reports/targets", On::OtherUnit, Body::TargetForm, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/reports/targets/{id}", On::NewTarget(Unit::A), Body::TargetEditForm, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(TARGET_MANAGERS), None),
    row("POST", "/reports/targets/{id}", On::NewTarget(Unit::B), Body::TargetEditForm, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/reports/targets/{id}/delete", On::NewTarget(Unit::A), Body::FirstVersionForm, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(TARGET_MANAGERS), None),
    row("POST", "/reports/targets/{id}/delete", On::NewTarget(Unit::B), Body::FirstVersionForm, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/family/{token}", On::FamilyCard, Body::None, Need::Nothing, Who::Anyone, Some("Authz-A household")),
    row("GET", "/api/v1/lending/toys", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("Authz-A toy")),
    row("POST", "/api/v1/lending/toys", On::CallersUnit, Body::NewToyJson, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("POST", "/api/v1/lending/toys", On::OtherUnit, Body::NewToyJson, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/lending/toys/{id}", On::Toy(Unit::A), Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("Authz-A toy")),
    row("PUT", "/api/v1/lending/toys/{id}", On::Toy(Unit::A), Body::EditToyJson, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("PUT", "/api/v1/lending/toys/{id}", On::Toy(Unit::B), Body::EditToyJson, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/lending/toys/{id}/photo", On::Toy(Unit::A), Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), None),
    row("PUT", "/api/v1/lending/toys/{id}/photo", On::Toy(Unit::A), Body::PhotoBytes, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("PUT", "/api/v1/lending/toys/{id}/photo", On::Toy(Unit::B), Body::PhotoBytes, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/lending/toys/{id}/label", On::Toy(Unit::A), Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("<svg")),
    row("GET", "/api/v1/lending/members", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("Authz-A household")),
    row("POST", "/api/v1/lending/members", On::CallersUnit, Body::MemberJson, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("POST", "/api/v1/lending/members", On::OtherUnit, Body::MemberJson, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/lending/members/{id}", On::Member(Unit::A), Body::None, Need::Perm(ViewLending, At::ThatUnit), Who::Roles(LENDING_VIEWERS), Some("Authz-A household")),
    row("GET", "/api/v1/lending/members/{id}", On::Member(Unit::B), Body::None, Need::Perm(ViewLending, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B household")),
    row("POST", "/api/v1/lending/members/{id}/card", On::Member(Unit::A), Body::NoJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), Some("/family/")),
    row("POST", "/api/v1/lending/members/{id}/card", On::Member(Unit::B), Body::NoJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), Some("/family/")),
    row("POST", "/api/v1/lending/members/{id}/redemptions", On::PointsMember(Unit::A), Body::RedeemJson, Need::Perm(LendToys, At::AnyUnit), Who::Roles(LENDERS), None),
    row("GET", "/api/v1/lending/loans", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), None),
    row("POST", "/api/v1/lending/loans", On::CallersUnit, Body::CheckOutJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), None),
    row("POST", "/api/v1/lending/loans", On::OtherUnit, Body::CheckOutJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/lending/loans/{id}/return", On::NewLoan(Unit::A), Body::ReturnJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), None),
    row("POST", "/api/v1/lending/loans/{id}/return", On::NewLoan(Unit::B), Body::ReturnJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/lending/loans/{id}/renew", On::NewLoan(Unit::A), Body::NoJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), None),
    row("POST", "/api/v1/lending/loans/{id}/renew", On::NewLoan(Unit::B), Body::NoJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), None),
    row("POST", "/api/v1/lending/loans/{id}/lost", On::NewLoan(Unit::A), Body::LostJson, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("POST", "/api/v1/lending/loans/{id}/lost", On::NewLoan(Unit::B), Body::LostJson, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/lending/reservations", On::Nothing, Body::ReserveJson, Need::Perm(LendToys, At::AnyUnit), Who::Roles(LENDERS), None),
    row("POST", "/api/v1/lending/reservations/{id}/cancel", On::NewReservation(Unit::A), Body::NoJson, Need::Perm(LendToys, At::AnyUnit), Who::Roles(LENDERS), None),
    row("GET", "/api/v1/lending/transfers", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), None),
    row("POST", "/api/v1/lending/transfers/{id}/receive", On::NewTransfer(Unit::A), Body::NoJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), None),
    row("POST", "/api/v1/lending/transfers/{id}/receive", On::NewTransfer(Unit::B), Body::NoJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/lending/repairs", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), None),
    row("POST", "/api/v1/lending/repairs/{id}/resolve", On::NewRepair(Unit::A), Body::ResolveJson, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(LENDING_MANAGERS), None),
    row("POST", "/api/v1/lending/repairs/{id}/resolve", On::NewRepair(Unit::B), Body::ResolveJson, Need::Perm(ManageLending, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/lending/reminders", On::CallersUnit, Body::UnitQuery, Need::Perm(ViewLending, At::ThatUnit), Who::Roles(LENDING_VIEWERS), Some("\"due_soon\"")),
    row("GET", "/api/v1/lending/reminders", On::OtherUnit, Body::UnitQuery, Need::Perm(ViewLending, At::ThatUnit), Who::Roles(ADMIN), Some("\"due_soon\"")),
    row("POST", "/api/v1/lending/reminders/send", On::CallersUnit, Body::SendJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(LENDERS), None),
    row("POST", "/api/v1/lending/reminders/send", On::OtherUnit, Body::SendJson, Need::Perm(LendToys, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/lending/reports", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("\"overdue_rate\"")),
    row("GET", "/api/v1/lending/settings", On::Nothing, Body::None, Need::Perm(ViewLending, At::AnyUnit), Who::Roles(LENDING_VIEWERS), Some("\"membership_types\"")),
    row("PUT", "/api/v1/lending/settings", On::Nothing, Body::LendingSettingsJson, Need::Perm(ManageLending, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/reports/outputs", On::Nothing, Body::None, Need::Perm(ViewReports, At::AnyUnit), Who::Roles(REPORT_READERS), Some("\"small_cells_hidden\"")),
    row("GET", "/api/v1/reports/outputs/export", On::Nothing, Body::None, Need::Perm(ViewReports, At::AnyUnit), Who::Roles(REPORT_READERS), None),
    row("GET", "/api/v1/reports/trends", On::Nothing, Body::None, Need::Perm(ViewReports, At::AnyUnit), Who::Roles(REPORT_READERS), Some("\"months\"")),
    row("GET", "/api/v1/reports/targets", On::Nothing, Body::None, Need::Perm(ViewReports, At::AnyUnit), Who::Roles(REPORT_READERS), None),
    row("POST", "/api/v1/reports/targets", On::CallersUnit, Body::TargetJson, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(TARGET_MANAGERS), None),
    row("POST", "/api/v1/reports/targets", On::OtherUnit, Body::TargetJson, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(ADMIN), None),
    row("PUT", "/api/v1/reports/targets/{id}", On::NewTarget(Unit::A), Body::TargetEditJson, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(TARGET_MANAGERS), None),
    row("PUT", "/api/v1/reports/targets/{id}", On::NewTarget(Unit::B), Body::TargetEditJson, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(ADMIN), None),
    row("DELETE", "/api/v1/reports/targets/{id}", On::NewTarget(Unit::A), Body::VersionQuery, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(TARGET_MANAGERS), None),
    row("DELETE", "/api/v1/reports/targets/{id}", On::NewTarget(Unit::B), Body::VersionQuery, Need::Perm(ManageTargets, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/reports/achievement", On::Nothing, Body::None, Need::Perm(ViewReports, At::AnyUnit), Who::Roles(REPORT_READERS), Some("\"rows\"")),
    // ---- assistance ----
    row("GET", "/assistance", On::Nothing, Body::None, Need::Perm(ViewAssistance, At::AnyUnit), Who::Roles(ASSIST_STAFF), Some("request-form")),
    row("POST", "/assistance/requests", On::CallersUnit, Body::RequestForm, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ASSIST_STAFF), None),
    row("POST", "/assistance/requests", On::OtherUnit, Body::RequestForm, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/assistance/requests/{id}", On::NewRequest(Unit::A), Body::None, Need::Perm(ViewAssistance, At::ThatUnit), Who::Roles(ASSIST_STAFF), Some("Authz-A household")),
    row("GET", "/assistance/requests/{id}", On::NewRequest(Unit::B), Body::None, Need::Perm(ViewAssistance, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B household")),
    row("POST", "/assistance/requests/{id}/dispatch", On::NewRequest(Unit::A), Body::DispatchForm, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ASSIST_STAFF), None),
    row("POST", "/assistance/requests/{id}/dispatch", On::NewRequest(Unit::B), Body::DispatchForm, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/assistance/requests/{id}/delivery", On::DispatchedRequest(Unit::A), Body::DeliveryForm, Need::Perm(DeliverAssistance, At::ThatUnit), Who::Roles(DELIVERERS), None),
    row("POST", "/assistance/requests/{id}/delivery", On::DispatchedRequest(Unit::B), Body::DeliveryForm, Need::Perm(DeliverAssistance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/assistance/requests/{id}/follow-up", On::DeliveredRequest(Unit::A), Body::FollowUpForm, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ASSIST_STAFF), None),
    row("POST", "/assistance/requests/{id}/follow-up", On::DeliveredRequest(Unit::B), Body::FollowUpForm, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/assistance/mine", On::Nothing, Body::None, Need::Perm(DeliverAssistance, At::AnyUnit), Who::Roles(DELIVERERS), Some("deliveries")),
    row("GET", "/assistance/reports", On::Nothing, Body::None, Need::Perm(ViewAssistanceReports, At::AnyUnit), Who::Roles(REPORT_READERS), Some("report-totals")),
    row("GET", "/api/v1/assistance/requests", On::Nothing, Body::None, Need::Perm(ViewAssistance, At::AnyUnit), Who::Roles(ASSIST_STAFF), None),
    row("POST", "/api/v1/assistance/requests", On::CallersUnit, Body::RequestJson, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ASSIST_STAFF), None),
    row("POST", "/api/v1/assistance/requests", On::OtherUnit, Body::RequestJson, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/assistance/requests/{id}", On::NewRequest(Unit::A), Body::None, Need::Perm(ViewAssistance, At::ThatUnit), Who::Roles(ASSIST_STAFF), Some("Authz-A household")),
    row("GET", "/api/v1/assistance/requests/{id}", On::NewRequest(Unit::B), Body::None, Need::Perm(ViewAssistance, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B household")),
    row("POST", "/api/v1/assistance/requests/{id}/dispatch", On::NewRequest(Unit::A), Body::DispatchJson, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ASSIST_STAFF), None),
    row("POST", "/api/v1/assistance/requests/{id}/dispatch", On::NewRequest(Unit::B), Body::DispatchJson, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/assistance/requests/{id}/delivery", On::DispatchedRequest(Unit::A), Body::DeliveryJson, Need::Perm(DeliverAssistance, At::ThatUnit), Who::Roles(DELIVERERS), None),
    row("POST", "/api/v1/assistance/requests/{id}/delivery", On::DispatchedRequest(Unit::B), Body::DeliveryJson, Need::Perm(DeliverAssistance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/assistance/requests/{id}/follow-up", On::DeliveredRequest(Unit::A), Body::FollowUpJson, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ASSIST_STAFF), None),
    row("POST", "/api/v1/assistance/requests/{id}/follow-up", On::DeliveredRequest(Unit::B), Body::FollowUpJson, Need::Perm(EditAssistance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/assistance/requests/{id}/photo", On::PhotoRequest(Unit::A), Body::None, Need::Perm(ViewAssistance, At::ThatUnit), Who::Roles(ASSIST_STAFF), None),
    row("PUT", "/api/v1/assistance/requests/{id}/photo", On::DispatchedRequest(Unit::A), Body::PhotoBytes, Need::Perm(DeliverAssistance, At::ThatUnit), Who::Roles(DELIVERERS), None),
    row("PUT", "/api/v1/assistance/requests/{id}/photo", On::DispatchedRequest(Unit::B), Body::PhotoBytes, Need::Perm(DeliverAssistance, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/assistance/mine", On::Nothing, Body::None, Need::Perm(DeliverAssistance, At::AnyUnit), Who::Roles(DELIVERERS), None),
    row("GET", "/api/v1/assistance/report", On::Nothing, Body::None, Need::Perm(ViewAssistanceReports, At::AnyUnit), Who::Roles(REPORT_READERS), Some("\"person_times\"")),
    row("GET", "/api/v1/assistance/settings", On::Nothing, Body::None, Need::Perm(ViewAssistance, At::AnyUnit), Who::Roles(ASSIST_STAFF), Some("\"needs\"")),
    row("PUT", "/api/v1/assistance/settings", On::Nothing, Body::AssistanceSettingsJson, Need::Perm(EditAssistance, At::Agency), Who::Roles(ADMIN), None),
    // ---- donations ----
    row("GET", "/donations", On::Nothing, Body::None, Need::Perm(ViewDonations, At::AnyUnit), Who::Roles(DONATION_STAFF), Some("Authz-A donor")),
    row("POST", "/donations", On::CallersUnit, Body::DonationForm, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), None),
    row("POST", "/donations", On::OtherUnit, Body::DonationForm, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/donations/donors", On::Nothing, Body::DonorForm, Need::Perm(ManageDonations, At::AnyUnit), Who::Roles(DONATION_STAFF), None),
    row("GET", "/donations/{id}", On::Donation(Unit::A), Body::None, Need::Perm(ViewDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), Some("Authz-A masks")),
    row("GET", "/donations/{id}", On::Donation(Unit::B), Body::None, Need::Perm(ViewDonations, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B masks")),
    row("GET", "/donations/{id}/receipt", On::Donation(Unit::A), Body::None, Need::Perm(ViewDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), Some("receipt-no")),
    row("GET", "/donations/{id}/receipt", On::Donation(Unit::B), Body::None, Need::Perm(ViewDonations, At::ThatUnit), Who::Roles(ADMIN), Some("receipt-no")),
    row("GET", "/donations/stock", On::Nothing, Body::None, Need::Perm(ViewDonations, At::AnyUnit), Who::Roles(DONATION_STAFF), Some("Authz-A masks")),
    row("POST", "/donations/transfers", On::CallersUnit, Body::StockTransferForm, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), None),
    row("POST", "/donations/transfers", On::OtherUnit, Body::StockTransferForm, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/donations/adjustments", On::CallersUnit, Body::AdjustmentForm, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), None),
    row("POST", "/donations/adjustments", On::OtherUnit, Body::AdjustmentForm, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/donations/adjustments/{id}/decision", On::NewAdjustment(Unit::A), Body::DecisionForm, Need::Perm(ConfirmAdjustments, At::ThatUnit), Who::Roles(CONFIRMERS), None),
    row("POST", "/donations/adjustments/{id}/decision", On::NewAdjustment(Unit::B), Body::DecisionForm, Need::Perm(ConfirmAdjustments, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/donations/reports", On::Nothing, Body::None, Need::Perm(ViewAssistanceReports, At::AnyUnit), Who::Roles(REPORT_READERS), Some("report-totals")),
    row("GET", "/api/v1/donations/donors", On::Nothing, Body::None, Need::Perm(ViewDonations, At::AnyUnit), Who::Roles(DONATION_STAFF), Some("Authz-A donor")),
    row("POST", "/api/v1/donations/donors", On::Nothing, Body::DonorJson, Need::Perm(ManageDonations, At::AnyUnit), Who::Roles(DONATION_STAFF), None),
    row("GET", "/api/v1/donations", On::Nothing, Body::None, Need::Perm(ViewDonations, At::AnyUnit), Who::Roles(DONATION_STAFF), None),
    row("POST", "/api/v1/donations", On::CallersUnit, Body::DonationJson, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), None),
    row("POST", "/api/v1/donations", On::OtherUnit, Body::DonationJson, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/donations/{id}", On::Donation(Unit::A), Body::None, Need::Perm(ViewDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), Some("Authz-A masks")),
    row("GET", "/api/v1/donations/{id}", On::Donation(Unit::B), Body::None, Need::Perm(ViewDonations, At::ThatUnit), Who::Roles(ADMIN), Some("Authz-B masks")),
    row("POST", "/api/v1/donations/{id}/spending", On::CashDonation(Unit::A), Body::SpendJson, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), None),
    row("POST", "/api/v1/donations/{id}/spending", On::CashDonation(Unit::B), Body::SpendJson, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/donations/stock", On::Nothing, Body::None, Need::Perm(ViewDonations, At::AnyUnit), Who::Roles(DONATION_STAFF), Some("Authz-A masks")),
    row("POST", "/api/v1/donations/transfers", On::CallersUnit, Body::StockTransferJson, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), None),
    row("POST", "/api/v1/donations/transfers", On::OtherUnit, Body::StockTransferJson, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/donations/distributions", On::CallersUnit, Body::DistributionJson, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), None),
    row("POST", "/api/v1/donations/distributions", On::OtherUnit, Body::DistributionJson, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/donations/adjustments", On::Nothing, Body::None, Need::Perm(ViewDonations, At::AnyUnit), Who::Roles(DONATION_STAFF), None),
    row("POST", "/api/v1/donations/adjustments", On::CallersUnit, Body::AdjustmentJson, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(DONATION_STAFF), None),
    row("POST", "/api/v1/donations/adjustments", On::OtherUnit, Body::AdjustmentJson, Need::Perm(ManageDonations, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/donations/adjustments/{id}/decision", On::NewAdjustment(Unit::A), Body::DecisionJson, Need::Perm(ConfirmAdjustments, At::ThatUnit), Who::Roles(CONFIRMERS), None),
    row("POST", "/api/v1/donations/adjustments/{id}/decision", On::NewAdjustment(Unit::B), Body::DecisionJson, Need::Perm(ConfirmAdjustments, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/donations/report", On::Nothing, Body::None, Need::Perm(ViewAssistanceReports, At::AnyUnit), Who::Roles(REPORT_READERS), Some("\"households_reached\"")),
    // ---- outreach ----
    row("GET", "/outreach", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), Some("tasks-heading")),
    row("POST", "/outreach/sessions", On::CallersUnit, Body::OutreachSessionForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/outreach/sessions", On::OtherUnit, Body::OutreachSessionForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/outreach/sessions/{id}", On::OutreachSession(Unit::A), Body::None, Need::Perm(ViewOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), Some("session-facts")),
    row("GET", "/outreach/sessions/{id}", On::OutreachSession(Unit::B), Body::None, Need::Perm(ViewOutreach, At::ThatUnit), Who::Roles(ADMIN), Some("session-facts")),
    row("GET", "/outreach/interpretations", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), Some("request-form")),
    row("POST", "/outreach/interpretations", On::CallersUnit, Body::InterpretationForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/outreach/interpretations", On::OtherUnit, Body::InterpretationForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/outreach/interpretations/{id}", On::Interpretation(Unit::A), Body::None, Need::Perm(ViewOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), Some("request-facts")),
    row("GET", "/outreach/interpretations/{id}", On::Interpretation(Unit::B), Body::None, Need::Perm(ViewOutreach, At::ThatUnit), Who::Roles(ADMIN), Some("request-facts")),
    row("POST", "/outreach/interpretations/{id}/assign", On::Interpretation(Unit::A), Body::AssignForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/outreach/interpretations/{id}/complete", On::AssignedInterpretation(Unit::A), Body::CompleteForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/outreach/interpretations/{id}/complete", On::AssignedInterpretation(Unit::B), Body::CompleteForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/outreach/interpretations/{id}/cancel", On::Interpretation(Unit::A), Body::CancelForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/outreach/interpretations/{id}/cancel", On::Interpretation(Unit::B), Body::CancelForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/outreach/escorts", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), Some("escort-form")),
    row("POST", "/outreach/escorts", On::CallersUnit, Body::EscortForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/outreach/escorts", On::OtherUnit, Body::EscortForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/outreach/escorts/{id}/outcome", On::Escort(Unit::A), Body::OutcomeForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/outreach/escorts/{id}/outcome", On::Escort(Unit::B), Body::OutcomeForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/outreach/visits", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), Some("visit-form")),
    row("POST", "/outreach/visits", On::CallersUnit, Body::VisitForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/outreach/visits", On::OtherUnit, Body::VisitForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/outreach/visits/{id}/outcome", On::Visit(Unit::A), Body::OutcomeForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/outreach/visits/{id}/outcome", On::Visit(Unit::B), Body::OutcomeForm, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/outreach/interpreters", On::Nothing, Body::None, Need::Perm(EditOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), Some("id=\"interpreters\"")),
    row("POST", "/outreach/interpreters/{id}", On::OtherAccount, Body::LanguagesForm, Need::Perm(EditOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), None),
    row("GET", "/outreach/mine", On::Nothing, Body::None, Need::Perm(Interpret, At::AnyUnit), Who::Roles(INTERPRETERS), Some("my-languages")),
    row("GET", "/outreach/report", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), Some("report-totals")),
    row("GET", "/api/v1/outreach/languages", On::Nothing, Body::None, Need::Perm(ViewUnits, At::AnyUnit), Who::Roles(EVERY_ROLE), Some("\"ur\"")),
    row("GET", "/api/v1/outreach/sessions", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/sessions", On::CallersUnit, Body::OutreachSessionJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/sessions", On::OtherUnit, Body::OutreachSessionJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/outreach/sessions/{id}", On::OutreachSession(Unit::A), Body::None, Need::Perm(ViewOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), Some("\"contacts\"")),
    row("GET", "/api/v1/outreach/sessions/{id}", On::OutreachSession(Unit::B), Body::None, Need::Perm(ViewOutreach, At::ThatUnit), Who::Roles(ADMIN), Some("\"contacts\"")),
    row("GET", "/api/v1/outreach/interpreters", On::Nothing, Body::None, Need::Perm(EditOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), None),
    row("PUT", "/api/v1/outreach/interpreters/{id}", On::OtherAccount, Body::LanguagesJson, Need::Perm(EditOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), None),
    row("GET", "/api/v1/outreach/interpretations", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/interpretations", On::CallersUnit, Body::InterpretationJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/interpretations", On::OtherUnit, Body::InterpretationJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/outreach/interpretations/mine", On::Nothing, Body::None, Need::Perm(Interpret, At::AnyUnit), Who::Roles(INTERPRETERS), None),
    row("GET", "/api/v1/outreach/interpretations/{id}", On::Interpretation(Unit::A), Body::None, Need::Perm(ViewOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), Some("\"language\"")),
    row("GET", "/api/v1/outreach/interpretations/{id}", On::Interpretation(Unit::B), Body::None, Need::Perm(ViewOutreach, At::ThatUnit), Who::Roles(ADMIN), Some("\"language\"")),
    row("POST", "/api/v1/outreach/interpretations/{id}/assign", On::Interpretation(Unit::A), Body::AssignJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/interpretations/{id}/complete", On::AssignedInterpretation(Unit::A), Body::CompleteJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/interpretations/{id}/complete", On::AssignedInterpretation(Unit::B), Body::CompleteJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/outreach/interpretations/{id}/cancel", On::Interpretation(Unit::A), Body::CancelJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/interpretations/{id}/cancel", On::Interpretation(Unit::B), Body::CancelJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/outreach/escorts", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/escorts", On::CallersUnit, Body::EscortJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/escorts", On::OtherUnit, Body::EscortJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/outreach/escorts/{id}", On::Escort(Unit::A), Body::None, Need::Perm(ViewOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), Some("\"place\"")),
    row("GET", "/api/v1/outreach/escorts/{id}", On::Escort(Unit::B), Body::None, Need::Perm(ViewOutreach, At::ThatUnit), Who::Roles(ADMIN), Some("\"place\"")),
    row("POST", "/api/v1/outreach/escorts/{id}/outcome", On::Escort(Unit::A), Body::OutcomeJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/escorts/{id}/outcome", On::Escort(Unit::B), Body::OutcomeJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/outreach/visits", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/visits", On::CallersUnit, Body::VisitJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/visits", On::OtherUnit, Body::VisitJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/outreach/visits/{id}/outcome", On::Visit(Unit::A), Body::OutcomeJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(OUTREACH_STAFF), None),
    row("POST", "/api/v1/outreach/visits/{id}/outcome", On::Visit(Unit::B), Body::OutcomeJson, Need::Perm(EditOutreach, At::ThatUnit), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/outreach/tasks", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), None),
    row("GET", "/api/v1/outreach/report", On::Nothing, Body::None, Need::Perm(ViewOutreach, At::AnyUnit), Who::Roles(OUTREACH_STAFF), Some("\"em_unique_persons\"")),
    // ---- coverage ----
    row("GET", "/coverage", On::Nothing, Body::None, Need::Perm(ViewCoverage, At::AnyUnit), Who::Roles(COVERAGE_VIEWERS), Some("coverage-filter")),
    row("GET", "/coverage/export", On::Nothing, Body::None, Need::Perm(ViewCoverage, At::AnyUnit), Who::Roles(COVERAGE_VIEWERS), None),
    row("POST", "/coverage/settings", On::Nothing, Body::CoverageSettingsForm, Need::Perm(ManageCoverage, At::Agency), Who::Roles(ADMIN), None),
    row("POST", "/coverage/grid", On::Nothing, Body::GridUpload, Need::Perm(ManageCoverage, At::Agency), Who::Roles(ADMIN), None),
    row("POST", "/coverage/sites", On::Nothing, Body::SiteForm, Need::Perm(ManageCoverage, At::Agency), Who::Roles(ADMIN), None),
    row("POST", "/coverage/sites/{id}/delete", On::Site, Body::SiteVersionForm, Need::Perm(ManageCoverage, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/coverage", On::Nothing, Body::None, Need::Perm(ViewCoverage, At::AnyUnit), Who::Roles(COVERAGE_VIEWERS), Some("\"totals\"")),
    row("GET", "/api/v1/coverage/export", On::Nothing, Body::None, Need::Perm(ViewCoverage, At::AnyUnit), Who::Roles(COVERAGE_VIEWERS), None),
    row("POST", "/api/v1/coverage/suggestions", On::Nothing, Body::SuggestJson, Need::Perm(ViewCoverage, At::AnyUnit), Who::Roles(COVERAGE_VIEWERS), Some("\"suggestion\"")),
    row("GET", "/api/v1/coverage/settings", On::Nothing, Body::None, Need::Perm(ViewCoverage, At::AnyUnit), Who::Roles(COVERAGE_VIEWERS), Some("\"detour_factor\"")),
    row("PUT", "/api/v1/coverage/settings", On::Nothing, Body::CoverageSettingsJson, Need::Perm(ManageCoverage, At::Agency), Who::Roles(ADMIN), None),
    row("PUT", "/api/v1/coverage/grid", On::Nothing, Body::GridCsv, Need::Perm(ManageCoverage, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/coverage/sites", On::Nothing, Body::None, Need::Perm(ViewCoverage, At::AnyUnit), Who::Roles(COVERAGE_VIEWERS), None),
    row("POST", "/api/v1/coverage/sites", On::Nothing, Body::SiteJson, Need::Perm(ManageCoverage, At::Agency), Who::Roles(ADMIN), None),
    row("PUT", "/api/v1/coverage/sites/{id}", On::Site, Body::SiteEditJson, Need::Perm(ManageCoverage, At::Agency), Who::Roles(ADMIN), None),
    row("DELETE", "/api/v1/coverage/sites/{id}", On::Site, Body::SiteVersionQuery, Need::Perm(ManageCoverage, At::Agency), Who::Roles(ADMIN), None),
    row("GET", "/api/v1/coverage/network", On::Nothing, Body::None, Need::Perm(ViewCoverage, At::AnyUnit), Who::Roles(COVERAGE_VIEWERS), None),
    // ---- outcomes ----
    row("GET", "/outcomes", On::Nothing, Body::ScaleQuery, Need::Perm(ViewOutcomeReports, At::AnyUnit), Who::Roles(OUTCOME_READERS), Some("programme-table")),
    row("GET", "/outcomes/clients/{id}", On::Client(Unit::A), Body::None, Need::Perm(ViewOutcomes, At::ThatUnit), Who::Roles(OUTCOME_STAFF), Some("Aaron")),
    row("GET", "/outcomes/clients/{id}", On::Client(Unit::B), Body::None, Need::Perm(ViewOutcomes, At::ThatUnit), Who::Roles(NOBODY), Some("Aaron")),
    row("GET", "/outcomes/clients/{id}/administer", On::Client(Unit::A), Body::ScaleQuery, Need::Perm(AdministerScales, At::ThatUnit), Who::Roles(OUTCOME_STAFF), Some("administer-form")),
    row("POST", "/outcomes/clients/{id}/administer", On::Client(Unit::A), Body::AdministerForm, Need::Perm(AdministerScales, At::ThatUnit), Who::Roles(OUTCOME_STAFF), None),
    row("POST", "/outcomes/clients/{id}/administer", On::Client(Unit::B), Body::AdministerForm, Need::Perm(AdministerScales, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/outcomes/scales", On::Nothing, Body::None, Need::Perm(ViewOutcomeReports, At::AnyUnit), Who::Roles(OUTCOME_READERS), Some("\"brs\"")),
    row("POST", "/api/v1/outcomes/scales", On::Nothing, Body::ScaleJson, Need::Perm(ManageScales, At::Agency), Who::Roles(ADMIN), None),
    row("POST", "/api/v1/outcomes/administrations", On::CallersUnit, Body::AdministerJson, Need::Perm(AdministerScales, At::ThatUnit), Who::Roles(OUTCOME_STAFF), None),
    row("POST", "/api/v1/outcomes/administrations", On::OtherUnit, Body::AdministerJson, Need::Perm(AdministerScales, At::ThatUnit), Who::Roles(NOBODY), None),
    row("GET", "/api/v1/outcomes/clients/{id}", On::Client(Unit::A), Body::None, Need::Perm(ViewOutcomes, At::ThatUnit), Who::Roles(OUTCOME_STAFF), Some("\"changes\"")),
    row("GET", "/api/v1/outcomes/clients/{id}", On::Client(Unit::B), Body::None, Need::Perm(ViewOutcomes, At::ThatUnit), Who::Roles(NOBODY), Some("\"changes\"")),
    row("GET", "/api/v1/outcomes/programme", On::Nothing, Body::ScaleQuery, Need::Perm(ViewOutcomeReports, At::AnyUnit), Who::Roles(OUTCOME_READERS), Some("\"rows\"")),
    // ---- knowledge ----
    row("GET", "/knowledge", On::Nothing, Body::None, Need::Perm(ViewKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_READERS), Some("search-form")),
    row("GET", "/knowledge/recommendations", On::Case(Unit::A), Body::CaseQuery, Need::Perm(ViewCases, At::ThatUnit), Who::Roles(CASE_STAFF), Some("recommend-form")),
    row("POST", "/knowledge/solutions", On::Nothing, Body::SolutionForm, Need::Perm(ManageKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_WRITERS), None),
    row("GET", "/knowledge/solutions/{id}", On::Solution, Body::None, Need::Perm(ViewKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_READERS), Some("Authz solution")),
    row("GET", "/knowledge/incidents", On::Nothing, Body::None, Need::Perm(ViewKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_READERS), None),
    row("POST", "/knowledge/incidents", On::Nothing, Body::IncidentForm, Need::Perm(ManageIncidents, At::AnyUnit), Who::Roles(KNOWLEDGE_WRITERS), None),
    row("GET", "/knowledge/incidents/{id}", On::Incident, Body::None, Need::Perm(ViewKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_READERS), Some("Authz incident")),
    row("POST", "/knowledge/incidents/{id}/links", On::Incident, Body::LinkForm, Need::Perm(ManageIncidents, At::AnyUnit), Who::Roles(KNOWLEDGE_WRITERS), None),
    row("GET", "/api/v1/knowledge/incidents", On::Nothing, Body::None, Need::Perm(ViewKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_READERS), None),
    row("POST", "/api/v1/knowledge/incidents", On::Nothing, Body::IncidentJson, Need::Perm(ManageIncidents, At::AnyUnit), Who::Roles(KNOWLEDGE_WRITERS), None),
    row("GET", "/api/v1/knowledge/incidents/{id}", On::Incident, Body::None, Need::Perm(ViewKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_READERS), Some("Authz incident")),
    row("PUT", "/api/v1/knowledge/incidents/{id}", On::Incident, Body::IncidentEditJson, Need::Perm(ManageIncidents, At::AnyUnit), Who::Roles(KNOWLEDGE_WRITERS), None),
    row("POST", "/api/v1/knowledge/incidents/{id}/links", On::Incident, Body::LinkJson, Need::Perm(ManageIncidents, At::AnyUnit), Who::Roles(KNOWLEDGE_WRITERS), None),
    row("GET", "/api/v1/knowledge/solutions", On::Nothing, Body::None, Need::Perm(ViewKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_READERS), None),
    row("POST", "/api/v1/knowledge/solutions", On::Nothing, Body::SolutionJson, Need::Perm(ManageKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_WRITERS), None),
    row("GET", "/api/v1/knowledge/solutions/{id}", On::Solution, Body::None, Need::Perm(ViewKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_READERS), Some("Authz solution")),
    row("PUT", "/api/v1/knowledge/solutions/{id}", On::Solution, Body::SolutionEditJson, Need::Perm(ManageKnowledge, At::AnyUnit), Who::Roles(KNOWLEDGE_WRITERS), None),
    row("GET", "/api/v1/knowledge/recommendations", On::Case(Unit::A), Body::CaseQuery, Need::Perm(ViewCases, At::ThatUnit), Who::Roles(CASE_STAFF), None),
    row("GET", "/api/v1/openapi.json", On::Nothing, Body::None, Need::Nothing, Who::Anyone, Some("\"openapi\"")),
    // ---- operations ----
    row("GET", "/healthz", On::Nothing, Body::None, Need::Nothing, Who::Anyone, Some("\"status\"")),
    row("GET", "/metrics", On::Nothing, Body::None, Need::Nothing, Who::Anyone, None),
    row("GET", "/static/{file}", On::File, Body::None, Need::Nothing, Who::Anyone, None),
    // ---- these change the caller's session, so they run last ----
    row("POST", "/login", On::Nothing, Body::Login, Need::Nothing, Who::Anyone, None),
    row("POST", "/logout", On::Nothing, Body::EmptyForm, Need::SignedIn, Who::Roles(EVERY_ROLE), None),
];

impl Row {
    fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }

    /// Whether every caller can be sent at the row. Import jobs are private to their starter,
    /// so there is nothing to aim the others at: `import_jobs_belong_to_their_starter` checks them.
    fn in_cross_role_pass(&self) -> bool {
        self.on != On::OwnImportJob
    }

    fn allows(&self, caller: Caller) -> bool {
        match (self.who, caller) {
            (Who::Anyone, _) => true,
            (Who::Roles(_), Caller::Anonymous) => false,
            (Who::Roles(roles), Caller::Role(r)) => roles.contains(&r),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Role(Role),
}

impl Caller {
    fn all() -> impl Iterator<Item = Caller> {
        std::iter::once(Caller::Anonymous).chain(Role::ALL.into_iter().map(Caller::Role))
    }

    /// A short tag for names made by this caller's writes (`r0` is the admin).
    fn tag(self) -> String {
        match self {
            Caller::Anonymous => "anon".into(),
            Caller::Role(r) => format!("r{}", Role::ALL.iter().position(|x| *x == r).unwrap_or(99)),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::Role(r) => r.as_str(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running the matrix
// ---------------------------------------------------------------------------------------------

/// One caller's tokens: one to authenticate with, two to revoke through the routes.
struct Tokens {
    bearer: String,
    revoke_by_page: String,
    revoke_by_api: String,
}

struct Fx<'a> {
    app: &'a TestApp,
    /// The other account: `authz-target`, a volunteer in unit A.
    target: UserId,
    tokens: HashMap<Role, Tokens>,
    /// Signed-in clients, one per role.
    clients: HashMap<Role, Client>,
    /// The test's client records, one set per unit.
    records: HashMap<Unit, Records>,
    /// The seeded admin, who makes the records the calls need.
    admin: Actor,
    n: AtomicU32,
    /// The test's course and a signed link for unit A's volunteer and duty.
    course: CourseId,
    link: String,
}

/// The test's records in one unit: a client `Aaron Authz-A` (or `-B`) with a consent given on
/// notice `Authz-A notice`, heading the household `Authz-A household`.
struct Records {
    /// `Authz-A activity` with one session, the client enrolled (person number `person`).
    activity: ActivityId,
    session: SessionId,
    person: i64,
    /// A guest enrolled in the activity, for the withdrawal calls.
    guest: i64,
    unit: UnitId,
    client: ClientId,
    household: HouseholdId,
    /// An open case of the client, held by unit A's social worker (unit B's: by the admin).
    case: CaseId,
    /// `Vic Authz-A` (volunteer and peer supporter, no login) and a duty of the unit.
    volunteer: VolunteerId,
    duty: DutyId,
    /// `Authz-A toy`, with a photo, whose home is the unit.
    toy: ToyId,
    /// The household as a toy-library member of the unit.
    member: MemberId,
    /// `Authz-{letter} donor` and its donation of masks received at the unit, with its item.
    donor: DonorId,
    donation: DonationId,
    item: DonationItemId,
}

async fn new_token(c: &Client, name: &str) -> (String, String) {
    let r = c.json(Method::POST, "/api/v1/tokens", &json!({ "name": name })).await;
    assert_eq!(r.status(), 201, "token {name}");
    let v: Value = r.json().await.unwrap();
    (v["token"]["id"].as_str().unwrap().to_string(), v["secret"].as_str().unwrap().to_string())
}

fn today(app: &TestApp) -> chrono::NaiveDate {
    app.db.clock.now().date_naive()
}

/// Registers a person through the store, as the seeded admin (no duplicate check).
async fn register(app: &TestApp, unit: UnitId, name: &str, phone: &str, born: &str) -> ClientRecord {
    let input = ClientInput {
        unit_id: Some(unit),
        name_en: name.into(),
        phones: vec![phone.into()],
        date_of_birth: born.into(),
        ..Default::default()
    };
    let fields = input.validate(today(app), &[]).unwrap();
    app.store().create_client(&Actor::from(app.seeded.user(Role::Admin)), &fields).await.unwrap()
}

async fn records(app: &TestApp, unit: UnitId, letter: &str, phone: &str) -> Records {
    let admin = Actor::from(app.seeded.user(Role::Admin));
    let store = app.store();
    let client = register(app, unit, &format!("Aaron Authz-{letter}"), phone, "").await;
    let consent = ConsentInput { purpose: "service".into(), notice_version: format!("Authz-{letter} notice"), ..Default::default() };
    store.add_consent(&admin, client.id, &consent.validate(today(app)).unwrap()).await.unwrap();
    let household = HouseholdInput {
        unit_id: Some(unit),
        name: format!("Authz-{letter} household"),
        address: String::new(),
        members: vec![MemberInput { client_id: client.id, relationship: "head".into() }],
    };
    let household = store.create_household(&admin, &household.validate().unwrap()).await.unwrap();
    let domains = store.activity_domains(app.seeded.org).await.unwrap();
    let input = ActivityInput {
        unit_id: Some(unit),
        kind: "group".into(),
        title_en: format!("Authz-{letter} activity"),
        domain: "elderly".into(),
        ..Default::default()
    };
    let activity = store.create_activity(&admin, &input.validate(&domains, &[]).unwrap()).await.unwrap().id;
    // Tomorrow, so that the calendar's default weeks show it.
    let tomorrow = (today(app) + chrono::Duration::days(1)).to_string();
    let s = SessionInput { date: tomorrow, starts_at: "10:00".into(), ends_at: "11:00".into(), venue: String::new() };
    let session = store.add_session(&admin, activity, &s.validate().unwrap()).await.unwrap().id;
    store.enrol(&admin, activity, &[client.id], None).await.unwrap();
    let person = store.person_number(app.seeded.org, client.id).await.unwrap();
    let g = shegong_domain::activities::GuestInput { name: format!("Authz-{letter} guest"), ..Default::default() };
    store.enrol(&admin, activity, &[], Some(&g.validate().unwrap())).await.unwrap();
    let guest = store.participants(app.seeded.org, activity).await.unwrap().into_iter().find(|p| p.person_no != person).unwrap().person_no;
    let case = open_case(app, unit, client.id).await;
    let admin_actor = Actor::from(app.seeded.user(Role::Admin));
    let vinput = VolunteerInput {
        unit_id: Some(unit),
        name_en: format!("Vic Authz-{letter}"),
        roles: vec!["volunteer".into(), "peer_supporter".into()],
        active: true,
        ..Default::default()
    };
    let volunteer = store.create_volunteer(&admin_actor, &vinput.validate(today(app)).unwrap()).await.unwrap().id;
    let duty = new_duty(app, unit, &format!("Duty Authz-{letter}"), 0).await;
    let toy = new_toy(app, unit, &format!("Authz-{letter} toy")).await;
    store.set_toy_photo(&admin, toy.id, "image/webp", WEBP.as_bytes()).await.unwrap();
    let member = MemberFields { household_id: household.id, unit_id: unit, membership: "standard".into() };
    let member = store.enrol_member(&admin, &member, today(app)).await.unwrap().id;
    let donor = DonorInput { name: format!("Authz-{letter} donor"), kind: "company".into(), ..Default::default() };
    let donor = store.create_donor(&admin, &donor.validate().unwrap()).await.unwrap().id;
    let gift = DonationInput {
        donor_id: Some(donor),
        unit_id: Some(unit),
        kind: "in_kind".into(),
        items: vec![ItemInput {
            name: format!("Authz-{letter} masks"),
            category: "masks".into(),
            uom: "box".into(),
            quantity: 1_000_000,
            value_per_unit: "1".into(),
            basis: "invoice".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let gift = store.record_donation(&admin, &gift.validate(today(app)).unwrap()).await.unwrap();
    Records {
        activity,
        session,
        person,
        guest,
        unit,
        client: client.id,
        household: household.id,
        case: case.id,
        volunteer,
        duty,
        toy: toy.id,
        member,
        donor,
        donation: gift.id,
        item: gift.items[0].id,
    }
}

/// The bytes of a WebP picture's header: what a photo check accepts (and valid text to send).
const WEBP: &str = "RIFF\0\0\0\0WEBPVP8 authz";

/// A return at `unit` with `parts` counted back, in good condition.
fn back(unit: UnitId, parts: i32) -> ReturnFields {
    ReturnFields { unit_id: unit, parts_returned: parts, condition: Condition::Good, note: String::new() }
}

/// A toy whose home is `unit`, made through the store by the seeded admin.
async fn new_toy(app: &TestApp, unit: UnitId, name: &str) -> Toy {
    let input = ToyInput { home_unit_id: Some(unit), name: name.into(), parts: 2, age_max_months: 72, ..Default::default() };
    app.store().create_toy(&Actor::from(app.seeded.user(Role::Admin)), &input.validate().unwrap()).await.unwrap()
}

/// Opens a case through the store, as the seeded admin, held by unit A's social worker (in
/// unit B by the admin account: no one of the seed holds cases there).
async fn open_case(app: &TestApp, unit: UnitId, client: ClientId) -> Case {
    let admin = app.seeded.user(Role::Admin);
    let worker = if unit == app.seeded.unit_a.id { app.seeded.user(Role::SocialWorker).id } else { admin.id };
    let input = CaseInput {
        unit_id: Some(unit),
        client_id: Some(client),
        worker_id: Some(worker),
        details: CaseDetailsInput {
            source: "walk_in".into(),
            case_type: "in_depth".into(),
            risk: "low".into(),
            problems: vec!["housing".into()],
            intake_summary: "Authz intake".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let problems = app.store().problems(app.seeded.org).await.unwrap();
    let fields = input.validate(today(app), &problems, admin.id, 90).unwrap();
    app.store().open_case(&Actor::from(admin), &fields).await.unwrap()
}

/// A duty through the store, as the seeded admin, in the `slot`-th hour from 08:00 two days on
/// (fourteen a day), so that duties of different slots never overlap.
async fn new_duty(app: &TestApp, unit: UnitId, title: &str, slot: i64) -> DutyId {
    let (day, hour) = (2 + slot / 14, 8 + slot % 14);
    let input = DutyInput {
        unit_id: Some(unit),
        title: title.into(),
        needed: 50,
        date: (today(app) + chrono::Duration::days(day)).to_string(),
        starts_at: format!("{hour:02}:00"),
        ends_at: format!("{hour:02}:59"),
        ..Default::default()
    };
    let f = input.validate(chrono_tz::Asia::Hong_Kong, today(app), &[]).unwrap();
    app.store().create_duty(&Actor::from(app.seeded.user(Role::Admin)), &f).await.unwrap().id
}

/// `/v/<token>` signed with the agency's key.
async fn sign_up_link(app: &TestApp, volunteer: VolunteerId, duty: DutyId) -> String {
    let key = app.store().volunteer_link_key(app.seeded.org, &[7u8; 32]).await.unwrap();
    let expires = (app.db.clock.now() + chrono::Duration::days(7)).timestamp();
    let claim = LinkClaim { org_id: app.seeded.org, volunteer_id: volunteer, duty_id: duty, expires };
    format!("/v/{}", shegong_web::volunteers::link::sign(&key, &claim).unwrap())
}

async fn setup(app: &TestApp) -> Fx<'_> {
    let mut clients = HashMap::new();
    let mut tokens = HashMap::new();
    for role in Role::ALL {
        let c = app.signed_in(role).await;
        let (_, bearer) = new_token(&c, "authz-bearer").await;
        let (revoke_by_page, _) = new_token(&c, "authz-revoke-page").await;
        let (revoke_by_api, _) = new_token(&c, "authz-revoke-api").await;
        tokens.insert(role, Tokens { bearer, revoke_by_page, revoke_by_api });
        clients.insert(role, c);
    }
    let (unit_a, unit_b) = (app.seeded.unit_a.id, app.seeded.unit_b.id);
    let r = clients[&Role::Admin]
        .json(
            Method::POST,
            "/api/v1/users",
            &json!({"username": "authz-target", "display_name": "Target", "password": PASSWORD,
                    "grants": [{"role": "volunteer", "unit_id": unit_a}]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let target = v["id"].as_str().unwrap().parse().unwrap();
    let records =
        HashMap::from([(Unit::A, records(app, unit_a, "A", "91000001").await), (Unit::B, records(app, unit_b, "B", "91000002").await)]);
    // A pair in unit A for the duplicate lists (same phone, same birth date, similar names) …
    for name in ["Dup Authz-A", "Dup Authz-A."] {
        register(app, unit_a, name, "91000003", "1950-01-01").await;
    }
    // … and a merge already done, for the merge log.
    let admin = Actor::from(app.seeded.user(Role::Admin));
    let (kept, gone) =
        (register(app, unit_a, "Merged Authz", "91000004", "").await, register(app, unit_a, "Merged Authz", "91000004", "").await);
    app.store().merge_clients(&admin, kept.id, gone.id).await.unwrap();
    // The seeded volunteer and peer supporter have volunteer records of their own.
    for role in [Role::Volunteer, Role::PeerSupporter] {
        let input = VolunteerInput {
            unit_id: Some(unit_a),
            name_en: format!("Own Authz {}", role.as_str()),
            user_id: Some(app.seeded.user(role).id),
            active: true,
            ..Default::default()
        };
        app.store().create_volunteer(&admin, &input.validate(today(app)).unwrap()).await.unwrap();
    }
    // The seeded peer supporter (a district ambassador) interprets Urdu.
    app.store().save_interpreter_languages(&admin, app.seeded.user(Role::PeerSupporter).id, &["ur".to_string()], 0).await.unwrap();
    let course = CourseInput { title_en: "Authz course".into(), hours: "2".into(), ..Default::default() };
    let course = app.store().create_course(&admin, &course.validate().unwrap()).await.unwrap().id;
    let link = sign_up_link(app, records[&Unit::A].volunteer, records[&Unit::A].duty).await;
    Fx { app, target, tokens, clients, records, admin, n: AtomicU32::new(0), course, link }
}

enum Payload {
    None,
    Form(Vec<(String, String)>),
    Json(Value),
    Login,
    /// A raw `text/csv` body.
    Csv(String),
    /// A multipart form with one file (the CSRF token is added when sent).
    Multipart {
        fields: Vec<(String, String)>,
        file_name: String,
        content: String,
    },
}

/// A population grid of two cells, one with a few elderly people living alone.
const GRID_CSV: &str = "district,lat,lng,count,elderly_alone\n灣仔,22.2780,114.1750,120,9\n灣仔,22.2800,114.1800,40,0\n";

fn form(pairs: &[(&str, &str)]) -> Payload {
    Payload::Form(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

/// A `multipart/form-data` body: (content type, bytes).
fn multipart(fields: &[(String, String)], file_name: &str, content: &str) -> (String, Vec<u8>) {
    let boundary = "authz-boundary-7d9c2f";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

/// A small file to import: one good row and one with a bad phone number (row 3).
const IMPORT_CSV: &str = "姓名,電話\nAuthz Import,5123 4567\n李小明,12\n";

impl Fx<'_> {
    fn unit_id(&self, u: Unit) -> UnitId {
        self.records[&u].unit
    }

    fn next(&self) -> u32 {
        self.n.fetch_add(1, Ordering::Relaxed)
    }

    /// A person registered for one call only (unique phone, so no one's duplicate).
    async fn fresh_client(&self, u: Unit) -> ClientRecord {
        let n = self.next();
        register(self.app, self.unit_id(u), &format!("Zed fresh {n}"), &format!("5{n:07}"), "").await
    }

    /// A pending assistance request for the test's household of the unit.
    async fn fresh_request(&self, u: Unit) -> AssistanceRequestId {
        let input = RequestInput {
            unit_id: Some(self.unit_id(u)),
            household_id: Some(self.records[&u].household),
            persons: Some(2),
            need: "masks".into(),
            consent: true,
            ..Default::default()
        };
        let f = input.validate(&shegong_domain::assistance::default_settings()).unwrap();
        self.app.store().create_request(&self.admin, &f, today(self.app)).await.unwrap().id
    }

    /// An outreach session of the unit with one anonymous contact line.
    async fn fresh_session(&self, u: Unit) -> shegong_domain::ids::OutreachSessionId {
        let input = OutreachSessionInput {
            unit_id: Some(self.unit_id(u)),
            held_on: today(self.app).to_string(),
            district: "灣仔".into(),
            ambassadors: vec!["Authz ambassador".into()],
            contacts: vec![ContactInput { category: "general".into(), language: "ur".into(), count: Some(3), ..Default::default() }],
            ..Default::default()
        };
        let f = input.validate(&[], today(self.app)).unwrap();
        self.app.store().create_outreach_session(&self.admin, &f).await.unwrap().id
    }

    /// A requested Urdu phone interpretation for the test's client of the unit.
    async fn fresh_interpretation(&self, u: Unit) -> shegong_domain::ids::InterpretationId {
        let input = InterpretationInput {
            unit_id: Some(self.unit_id(u)),
            client_id: Some(self.records[&u].client),
            language: "ur".into(),
            mode: "phone".into(),
            needed_on: today(self.app).to_string(),
            ..Default::default()
        };
        self.app.store().create_interpretation(&self.admin, &input.validate().unwrap(), today(self.app)).await.unwrap().id
    }

    /// A planned escort of the test's client of the unit, today.
    async fn fresh_escort(&self, u: Unit) -> shegong_domain::ids::EscortId {
        let input = EscortInput {
            unit_id: Some(self.unit_id(u)),
            client_id: Some(self.records[&u].client),
            appointment_on: today(self.app).to_string(),
            appointment_time: "10:00".into(),
            place: "Authz hospital".into(),
            escort_name: "Authz volunteer".into(),
            language: "ur".into(),
            ..Default::default()
        };
        self.app.store().create_escort(&self.admin, &input.validate().unwrap()).await.unwrap().id
    }

    /// A planned home visit to the test's client of the unit, today.
    async fn fresh_visit(&self, u: Unit) -> shegong_domain::ids::VisitId {
        let input = VisitInput {
            unit_id: Some(self.unit_id(u)),
            client_id: Some(self.records[&u].client),
            planned_on: today(self.app).to_string(),
            ..Default::default()
        };
        self.app.store().create_visit(&self.admin, &input.validate().unwrap()).await.unwrap().id
    }

    async fn client(&self, id: ClientId) -> ClientRecord {
        self.app.store().get_client(self.app.seeded.org, id).await.unwrap()
    }

    /// The path to call, with its ids filled in (making the records the call needs), and the
    /// client record it names, if any.
    async fn path(&self, row: &Row, caller: Caller) -> (String, Option<ClientId>, Option<CaseId>) {
        let seeded = &self.app.seeded;
        let store = self.app.store();
        let mut path = row.path.to_string();
        let mut client = None;
        let mut case = None;
        let id = match row.on {
            On::Nothing | On::OwnImportJob => None,
            On::File => {
                path = path.replace("{file}", "app.css");
                None
            }
            On::CallersUnit => Some(seeded.unit_a.id.to_string()),
            On::OtherUnit => Some(seeded.unit_b.id.to_string()),
            On::OtherAccount => Some(self.target.to_string()),
            On::OwnToken => {
                // Anonymous callers aim at the admin's token.
                let t = &self.tokens[&match caller {
                    Caller::Role(r) => r,
                    Caller::Anonymous => Role::Admin,
                }];
                Some(if row.is_api() { t.revoke_by_api.clone() } else { t.revoke_by_page.clone() })
            }
            On::Client(u) => {
                client = Some(self.records[&u].client);
                client.map(|c| c.to_string())
            }
            On::NewClient(u) => {
                client = Some(self.fresh_client(u).await.id);
                client.map(|c| c.to_string())
            }
            On::ClosedClient(u) => {
                let c = self.fresh_client(u).await;
                store.close_client(&self.admin, c.id, c.version, today(self.app)).await.unwrap();
                client = Some(c.id);
                client.map(|c| c.to_string())
            }
            On::Consent(u) => {
                let c = self.records[&u].client;
                let input = ConsentInput { purpose: "service".into(), notice_version: "2026-01".into(), ..Default::default() };
                let consent = store.add_consent(&self.admin, c, &input.validate(today(self.app)).unwrap()).await.unwrap();
                path = path.replace("{consent}", &consent.id.to_string());
                client = Some(c);
                client.map(|c| c.to_string())
            }
            On::Household(u) => Some(self.records[&u].household.to_string()),
            On::Case(u) => {
                case = Some(self.records[&u].case);
                case.map(|c| c.to_string())
            }
            On::NewCase(u) => {
                case = Some(self.fresh_case(u).await.id);
                case.map(|c| c.to_string())
            }
            On::ClosedCase(u) | On::PendingClosure(u) => {
                let c = self.fresh_case(u).await;
                let change = CaseChange::RequestClosure {
                    on: today(self.app),
                    reason: ClosingReason::GoalsAchieved,
                    summary: "Authz closure".into(),
                    approval: matches!(row.on, On::PendingClosure(_)),
                };
                store.change_case(&self.admin, c.id, c.version, change, today(self.app)).await.unwrap();
                case = Some(c.id);
                case.map(|c| c.to_string())
            }
            On::DraftPlan(u) | On::SubmittedPlan(u) => {
                let c = self.fresh_case(u).await;
                let goals = [Goal { goal: "Authz goal".into(), interventions: "Authz steps".into(), target_on: None }];
                let submit = matches!(row.on, On::SubmittedPlan(_));
                let plan = store.save_plan(&self.admin, c.id, None, &goals, submit, true).await.unwrap();
                path = path.replace("{plan}", &plan.id.to_string());
                case = Some(c.id);
                case.map(|c| c.to_string())
            }
            On::Note(u) => {
                let c = self.records[&u].case;
                let f = NoteFields {
                    occurred_on: today(self.app),
                    contact_type: shegong_domain::cases::ContactType::Phone,
                    duration_minutes: 5,
                    present: String::new(),
                    body: format!("Authz note {u:?}"),
                    follow_up: None,
                };
                let note = store.add_note(&self.admin, c, &f, None).await.unwrap();
                path = path.replace("{note}", &note.id.to_string());
                case = Some(c);
                case.map(|c| c.to_string())
            }
            On::Task(u) => {
                let c = self.records[&u].case;
                let task =
                    store.add_task(&self.admin, c, &TaskFields { title: "Authz task".into(), due_on: today(self.app) }).await.unwrap();
                path = path.replace("{task}", &task.id.to_string());
                case = Some(c);
                case.map(|c| c.to_string())
            }
            On::Referral(u) => {
                let c = self.records[&u].case;
                let f = ReferralFields {
                    direction: ReferralDirection::Out,
                    agency: "Authz agency".into(),
                    service: String::new(),
                    reason: "Authz".into(),
                    referred_on: today(self.app),
                };
                let referral = store.add_referral(&self.admin, c, &f).await.unwrap();
                path = path.replace("{referral}", &referral.id.to_string());
                case = Some(c);
                case.map(|c| c.to_string())
            }
            On::Activity(u) => Some(self.records[&u].activity.to_string()),
            On::Session(u) => Some(self.records[&u].session.to_string()),
            On::NewCall(u) => Some(self.fresh_call(u, "resolved").await.id.to_string()),
            On::NewFollowUp(u) => {
                let call = self.fresh_call(u, "follow_up").await;
                let open = store.follow_ups(seeded.org, None, None).await.unwrap();
                Some(open.into_iter().find(|f| f.call_id == Some(call.id)).unwrap().id.to_string())
            }
            On::Volunteer(u) => Some(self.records[&u].volunteer.to_string()),
            On::Duty(u) => Some(self.records[&u].duty.to_string()),
            On::NewDuty(u) => Some(self.fresh_duty(u).await.to_string()),
            On::Assignment(u) | On::CheckedIn(u) => {
                let d = self.fresh_duty(u).await;
                let a = store.assign(&self.admin, d, self.records[&u].volunteer, SignUpVia::Staff).await.unwrap();
                if matches!(row.on, On::CheckedIn(_)) {
                    store.check_in(&self.admin, a.id, self.app.db.clock.now()).await.unwrap();
                }
                Some(a.id.to_string())
            }
            On::PendingHours(u) => {
                let h = HoursInput {
                    served_on: today(self.app).to_string(),
                    hours: "1".into(),
                    content: "Authz self-report".into(),
                    unit_id: None,
                };
                let f = h.validate(today(self.app)).unwrap();
                let e =
                    store.add_hours(&self.admin, self.records[&u].volunteer, self.unit_id(u), HourSource::SelfReport, &f).await.unwrap();
                Some(e.id.to_string())
            }
            On::Course => Some(self.course.to_string()),
            On::Link => {
                path = self.link.clone();
                None
            }
            On::NewLink => {
                let d = self.fresh_duty(Unit::A).await;
                path = sign_up_link(self.app, self.records[&Unit::A].volunteer, d).await;
                None
            }
            On::Schedule(u) => {
                let input = ScheduleInput {
                    unit_id: Some(self.unit_id(u)),
                    client_id: Some(self.records[&u].client),
                    worker_id: Some(seeded.user(Role::HotlineOperator).id),
                    every_days: 2,
                    first_on: None,
                };
                Some(store.create_schedule(&self.admin, &input.validate(today(self.app)).unwrap()).await.unwrap().id.to_string())
            }
            On::Toy(u) => Some(self.records[&u].toy.to_string()),
            On::Member(u) => Some(self.records[&u].member.to_string()),
            On::PointsMember(u) => {
                let l = self.fresh_loan(u).await;
                store.return_loan(&self.admin, l.id, &back(self.unit_id(u), 2), today(self.app)).await.unwrap();
                let mut s = store.lending_settings(seeded.org).await.unwrap();
                if s.reward("authz_sticker").is_none() {
                    let name = "Authz sticker".to_string();
                    s.rewards.push(Reward {
                        code: "authz_sticker".into(),
                        name_en: name.clone(),
                        name_zh_hant: name.clone(),
                        name_zh_hans: name,
                        cost: 1,
                        active: true,
                    });
                    store.save_lending_settings(&self.admin, &s).await.unwrap();
                }
                Some(l.member_id.to_string())
            }
            On::NewLoan(u) => Some(self.fresh_loan(u).await.id.to_string()),
            On::NewReservation(u) => {
                let t = new_toy(self.app, self.unit_id(u), &format!("Zed toy {}", self.next())).await;
                let m = self.fresh_member(u).await;
                Some(store.reserve(&self.admin, t.id, m.id, self.unit_id(u)).await.unwrap().id.to_string())
            }
            On::NewTransfer(u) => {
                // A free toy at the other unit, reserved for collection at this one, sets off at once.
                let from = if u == Unit::A { Unit::B } else { Unit::A };
                let t = new_toy(self.app, self.unit_id(from), &format!("Zed toy {}", self.next())).await;
                let m = self.fresh_member(u).await;
                store.reserve(&self.admin, t.id, m.id, self.unit_id(u)).await.unwrap();
                let open = store.transfers(seeded.org, None).await.unwrap();
                Some(open.into_iter().find(|x| x.toy_id == t.id).unwrap().id.to_string())
            }
            On::NewRepair(u) => {
                let l = self.fresh_loan(u).await;
                let out = store.return_loan(&self.admin, l.id, &back(self.unit_id(u), 1), today(self.app)).await.unwrap();
                Some(out.repair.unwrap().id.to_string())
            }
            On::NewTarget(u) => {
                let input = TargetInput {
                    unit_id: Some(self.unit_id(u)),
                    agreement: format!("Authz agreement {}", self.next()),
                    year: "2026".into(),
                    measure: "person_times".into(),
                    target: "100".into(),
                    ..Default::default()
                };
                Some(store.create_target(&self.admin, &input.validate().unwrap()).await.unwrap().id.to_string())
            }
            On::NewRequest(u) => Some(self.fresh_request(u).await.to_string()),
            On::OutreachSession(u) => Some(self.fresh_session(u).await.to_string()),
            On::Interpretation(u) => Some(self.fresh_interpretation(u).await.to_string()),
            On::AssignedInterpretation(u) => {
                let id = self.fresh_interpretation(u).await;
                let to = if caller == Caller::Role(Role::PeerSupporter) { Role::Volunteer } else { Role::PeerSupporter };
                store.assign_interpretation(&self.admin, id, 1, seeded.user(to).id).await.unwrap();
                Some(id.to_string())
            }
            On::Escort(u) => Some(self.fresh_escort(u).await.to_string()),
            On::Visit(u) => Some(self.fresh_visit(u).await.to_string()),
            On::DispatchedRequest(u) => {
                let id = self.fresh_request(u).await;
                let to = match caller {
                    Caller::Role(r)
                        if seeded_grants(r, seeded.unit_a.id).allows(Permission::DeliverAssistance, Scope::Unit(self.unit_id(u))) =>
                    {
                        seeded.user(r).id
                    }
                    _ => seeded.user(Role::Admin).id,
                };
                store.dispatch_request(&self.admin, id, to).await.unwrap();
                Some(id.to_string())
            }
            On::PhotoRequest(u) => {
                let id = self.fresh_request(u).await;
                store.dispatch_request(&self.admin, id, seeded.user(Role::Admin).id).await.unwrap();
                store.set_request_photo(&self.admin, id, "image/webp", WEBP.as_bytes()).await.unwrap();
                Some(id.to_string())
            }
            On::DeliveredRequest(u) => {
                let id = self.fresh_request(u).await;
                store.dispatch_request(&self.admin, id, seeded.user(Role::Admin).id).await.unwrap();
                let f = DeliveryInput {
                    step: "delivered".into(),
                    proof: "confirmation".into(),
                    recipient_name: "Authz".into(),
                    ..Default::default()
                };
                store.delivery_step(&self.admin, id, &f.validate(false).unwrap(), today(self.app)).await.unwrap();
                Some(id.to_string())
            }
            On::Donation(u) => Some(self.records[&u].donation.to_string()),
            On::CashDonation(u) => {
                let gift = DonationInput {
                    donor_id: Some(self.records[&u].donor),
                    unit_id: Some(self.unit_id(u)),
                    kind: "cash".into(),
                    amount: "1000".into(),
                    method: "cash".into(),
                    ..Default::default()
                };
                Some(store.record_donation(&self.admin, &gift.validate(today(self.app)).unwrap()).await.unwrap().id.to_string())
            }
            On::NewAdjustment(u) => {
                let other = Actor::from(&store.get_user(seeded.org, self.target).await.unwrap());
                let a = store.propose_adjustment(&other, self.unit_id(u), self.records[&u].item, 1, "Authz count").await.unwrap();
                Some(a.id.to_string())
            }
            On::Solution => {
                let input =
                    SolutionInput {
                        title: format!("Authz solution {}", self.next()), need: "照顧者減壓".into(), ..Default::default()
                    };
                Some(store.create_solution(&self.admin, &input.validate().unwrap()).await.unwrap().id.to_string())
            }
            On::Incident => {
                let input = IncidentInput {
                    title: format!("Authz incident {}", self.next()),
                    kind: "typhoon".into(),
                    started_on: chrono::NaiveDate::from_ymd_opt(2026, 2, 20),
                    ..Default::default()
                };
                Some(store.create_incident(&self.admin, &input.validate(&[]).unwrap()).await.unwrap().id.to_string())
            }
            On::Site => {
                let input = SiteInput {
                    name: format!("Zed site {}", self.next()),
                    district: String::new(),
                    latitude: "22.3".into(),
                    longitude: "114.2".into(),
                };
                Some(self.app.store().create_site(&self.admin, &input.validate().unwrap()).await.unwrap().id.to_string())
            }
            On::FamilyCard => {
                let token = format!("authz-family-card-{:032}", self.next());
                store.issue_card(&self.admin, self.records[&Unit::A].member, &shegong_web::ctx::hash_token(&token)).await.unwrap();
                path = path.replace("{token}", &token);
                None
            }
        };
        if let Some(id) = id {
            path = path.replace("{id}", &id);
        }
        let query = match row.body {
            Body::ClientQuery => Some(format!("client={}", client.unwrap())),
            Body::CsvExport => {
                Some(row.on.unit().map(|u| format!("format=csv&unit_id={}", self.unit_id(u))).unwrap_or_else(|| "format=csv".into()))
            }
            Body::ImportCsv => Some(format!("unit_id={}&dry_run=true", self.unit_id(row.on.unit().unwrap()))),
            Body::EligibilityQuery => {
                Some(format!("role=volunteer&courses={}&starts_at=2026-03-10T01:00:00Z&ends_at=2026-03-10T02:00:00Z", self.course))
            }
            Body::UnitQuery => Some(format!("unit_id={}", self.unit_id(row.on.unit().unwrap()))),
            Body::VersionQuery => Some("version=1".into()),
            Body::SiteVersionQuery => Some("version=1".into()),
            Body::ScaleQuery => Some("scale=brs&time_point=pre".into()),
            Body::CaseQuery => Some(format!("case_id={}", case.unwrap())),
            _ => None,
        };
        if let Some(q) = query {
            path = format!("{path}?{q}");
        }
        (path, client, case)
    }

    /// A call about the test's client of the unit, logged by the other account (so that no
    /// caller reads it as their own) and escalated to the seeded supervisor.
    async fn fresh_call(&self, u: Unit, outcome: &str) -> Call {
        let input = CallInput {
            unit_id: Some(self.unit_id(u)),
            client_id: Some(self.records[&u].client),
            call_type: "counselling".into(),
            note: "Authz call note".into(),
            risk: "high".into(),
            escalate_to: Some(self.app.seeded.user(Role::Supervisor).id),
            action: "Authz action".into(),
            outcome: outcome.into(),
            ..Default::default()
        };
        let fields = input.validate(self.app.db.clock.now(), &default_topics(), self.target).unwrap();
        let actor = Actor { org_id: self.app.seeded.org, user_id: Some(self.target), name: "authz-target".into() };
        self.app.store().log_call(&actor, &fields).await.unwrap()
    }

    /// A duty made for one call only, on a day no other call uses.
    async fn fresh_duty(&self, u: Unit) -> DutyId {
        let n = i64::from(self.next());
        new_duty(self.app, self.unit_id(u), &format!("Fresh duty {n}"), 1 + n).await
    }

    /// An open case made for one call only.
    async fn fresh_case(&self, u: Unit) -> Case {
        open_case(self.app, self.unit_id(u), self.records[&u].client).await
    }

    /// A member household of the unit made for one call only.
    async fn fresh_member(&self, u: Unit) -> Member {
        let store = self.app.store();
        let c = self.fresh_client(u).await;
        let h = HouseholdInput {
            unit_id: Some(self.unit_id(u)),
            name: format!("Zed household {}", self.next()),
            address: String::new(),
            members: vec![MemberInput { client_id: c.id, relationship: "head".into() }],
        };
        let h = store.create_household(&self.admin, &h.validate().unwrap()).await.unwrap();
        let f = MemberFields { household_id: h.id, unit_id: self.unit_id(u), membership: "standard".into() };
        store.enrol_member(&self.admin, &f, today(self.app)).await.unwrap()
    }

    /// A fresh toy of the unit lent to a fresh member there.
    async fn fresh_loan(&self, u: Unit) -> Loan {
        let t = new_toy(self.app, self.unit_id(u), &format!("Zed toy {}", self.next())).await;
        let m = self.fresh_member(u).await;
        self.app.store().check_out(&self.admin, t.id, m.id, self.unit_id(u), today(self.app)).await.unwrap()
    }

    async fn case_version(&self, case: Option<CaseId>) -> i64 {
        self.app.store().get_case(self.app.seeded.org, case.unwrap()).await.unwrap().version
    }

    async fn target_version(&self) -> i64 {
        self.app.store().get_user(self.app.seeded.org, self.target).await.unwrap().version
    }

    async fn unit_a_version(&self) -> i64 {
        self.app.store().get_unit(self.app.seeded.org, self.app.seeded.unit_a.id).await.unwrap().version
    }

    async fn payload(&self, row: &Row, caller: Caller, client: Option<ClientId>, case: Option<CaseId>) -> Payload {
        let tag = caller.tag();
        let n = self.next();
        let unit_a = self.app.seeded.unit_a.id.to_string();
        // The unit a client write goes to, and the person it registers.
        let unit = || self.unit_id(row.on.unit().unwrap()).to_string();
        let (person, phone) = (format!("Zed authz {tag} {n}"), format!("6{n:07}"));
        match row.body {
            Body::None | Body::ClientQuery | Body::CsvExport | Body::EligibilityQuery => Payload::None,
            Body::EmptyForm => form(&[]),
            Body::NoJson => Payload::Json(Value::Null),
            Body::Login => Payload::Login,
            Body::Locale => form(&[("locale", "en"), ("next", "/")]),
            Body::WrongPassword => form(&[
                ("current_password", "not the password"),
                ("new_password", "another long password"),
                ("confirm_password", "another long password"),
            ]),
            Body::TokenForm => form(&[("token_name", &format!("authz-page-{tag}"))]),
            Body::NewUserForm => form(&[
                ("username", &format!("authz-{tag}-{n}")),
                ("display_name", "New account"),
                ("password", PASSWORD),
                ("add_role", "volunteer"),
                ("add_unit", &unit_a),
            ]),
            Body::EditUserForm => form(&[
                ("display_name", &format!("authz target {tag}")),
                ("active", "true"),
                ("version", &self.target_version().await.to_string()),
                ("grant", &format!("volunteer:{unit_a}")),
            ]),
            Body::NewUnitForm => {
                form(&[("code", &format!("AZ-{tag}-{n}")), ("name_zh_hant", "測試單位"), ("unit_type", "other"), ("active", "true")])
            }
            Body::EditUnitForm => form(&[
                ("code", "UNIT-A"),
                ("name_zh_hant", "甲中心"),
                ("unit_type", "family_centre"),
                ("district", "灣仔"),
                ("active", "true"),
                ("version", &self.unit_a_version().await.to_string()),
            ]),
            Body::NewUserJson => Payload::Json(json!({
                "username": format!("authz-{tag}-{n}"), "display_name": "New account", "password": PASSWORD,
                "grants": [{"role": "volunteer", "unit_id": unit_a}],
            })),
            Body::EditUserJson => Payload::Json(json!({
                "display_name": format!("authz target {tag}"), "active": true,
                "grants": [{"role": "volunteer", "unit_id": unit_a}], "version": self.target_version().await,
            })),
            Body::NewTokenJson => Payload::Json(json!({ "name": format!("authz-api-{tag}") })),
            Body::NewUnitJson => Payload::Json(json!({"code": format!("AZ-{tag}-{n}"), "name_zh_hant": "測試單位", "unit_type": "other"})),
            Body::EditUnitJson => Payload::Json(json!({
                "version": self.unit_a_version().await, "code": "UNIT-A", "name_zh_hant": "甲中心",
                "unit_type": "family_centre", "district": "灣仔", "active": true,
            })),
            Body::NewClientForm => form(&[("unit_id", &unit()), ("name_en", &person), ("phones", &phone), ("sex", "unknown")]),
            Body::NewClientJson => Payload::Json(json!({"unit_id": unit(), "name_en": person, "phones": [phone]})),
            Body::EditClientForm | Body::EditClientJson => {
                let c = self.client(client.unwrap()).await;
                let mut input = ClientInput::from(&c);
                input.address = format!("authz {tag} {n}");
                if row.body == Body::EditClientJson {
                    let mut v = serde_json::to_value(&input).unwrap();
                    v["version"] = json!(c.version);
                    return Payload::Json(v);
                }
                let mut pairs = vec![
                    ("unit_id".to_string(), c.unit_id.to_string()),
                    ("name_zh".to_string(), input.name_zh),
                    ("name_en".to_string(), input.name_en),
                    ("sex".to_string(), input.sex),
                    ("preferred_language".to_string(), input.preferred_language),
                    ("address".to_string(), input.address),
                    ("version".to_string(), c.version.to_string()),
                ];
                pairs.extend(input.phones.into_iter().map(|p| ("phones".to_string(), p)));
                Payload::Form(pairs)
            }
            Body::VersionForm => form(&[("version", &self.client(client.unwrap()).await.version.to_string())]),
            Body::VersionJson => Payload::Json(json!({"version": self.client(client.unwrap()).await.version})),
            Body::ConsentForm => form(&[("purpose", "service"), ("notice_version", "2026-01")]),
            Body::ConsentJson => Payload::Json(json!({"purpose": "service", "notice_version": "2026-01"})),
            Body::MergeForm | Body::MergeJson => {
                let u = self.unit_id(row.on.unit().unwrap());
                let phone = format!("7{n:07}");
                let a = register(self.app, u, &format!("Zed pair {n}"), &phone, "").await.id.to_string();
                let b = register(self.app, u, &format!("Zed pair {n}"), &phone, "").await.id.to_string();
                if row.body == Body::MergeJson {
                    Payload::Json(json!({"survivor": a, "merged": b}))
                } else {
                    form(&[("survivor", &a), ("a", &a), ("b", &b)])
                }
            }
            Body::RetentionForm => form(&[("years", "7")]),
            Body::RetentionJson => Payload::Json(json!({"years": 7})),
            Body::NewHouseholdForm | Body::NewHouseholdJson => {
                let head = self.fresh_client(row.on.unit().unwrap()).await.id.to_string();
                let name = format!("Authz household {tag} {n}");
                if row.body == Body::NewHouseholdJson {
                    Payload::Json(json!({"unit_id": unit(), "name": name, "members": [{"client_id": head, "relationship": "head"}]}))
                } else {
                    form(&[("unit_id", &unit()), ("name", &name), ("member", &head), ("relationship", "head")])
                }
            }
            Body::EditHouseholdForm | Body::EditHouseholdJson => {
                let id = self.records[&row.on.unit().unwrap()].household;
                let h = self.app.store().get_household(self.app.seeded.org, id).await.unwrap();
                let address = format!("authz {tag} {n}");
                if row.body == Body::EditHouseholdJson {
                    let members: Vec<Value> =
                        h.members.iter().map(|m| json!({"client_id": m.client_id, "relationship": m.relationship.as_str()})).collect();
                    return Payload::Json(
                        json!({"version": h.version, "unit_id": h.unit_id, "name": h.name, "address": address, "members": members}),
                    );
                }
                let mut pairs = vec![
                    ("version".to_string(), h.version.to_string()),
                    ("unit_id".to_string(), h.unit_id.to_string()),
                    ("name".to_string(), h.name.clone()),
                    ("address".to_string(), address),
                ];
                for m in &h.members {
                    pairs.push(("member".to_string(), m.client_id.to_string()));
                    pairs.push(("relationship".to_string(), m.relationship.as_str().to_string()));
                }
                Payload::Form(pairs)
            }
            Body::ImportUpload => Payload::Multipart {
                fields: vec![("unit_id".into(), unit()), ("mode".into(), "check".into())],
                file_name: format!("authz-{tag}.csv"),
                content: IMPORT_CSV.into(),
            },
            Body::ImportCsv => Payload::Csv(IMPORT_CSV.into()),
            Body::NewCaseForm | Body::NewCaseJson => {
                let client = self.records[&row.on.unit().unwrap()].client.to_string();
                let summary = format!("Authz intake {tag} {n}");
                if row.body == Body::NewCaseJson {
                    return Payload::Json(json!({"unit_id": unit(), "client_id": client, "source": "walk_in", "case_type": "in_depth",
                                                "risk": "low", "problems": ["housing"], "intake_summary": summary}));
                }
                form(&[
                    ("unit_id", &unit()),
                    ("client_id", &client),
                    ("source", "walk_in"),
                    ("case_type", "in_depth"),
                    ("risk", "low"),
                    ("problems", "housing"),
                    ("intake_summary", &summary),
                ])
            }
            Body::CaseDetailsForm | Body::CaseDetailsJson => {
                let version = self.case_version(case).await;
                if row.body == Body::CaseDetailsJson {
                    return Payload::Json(json!({"source": "walk_in", "case_type": "in_depth", "risk": "medium", "problems": ["housing"],
                                                "intake_summary": "Authz intake", "version": version}));
                }
                form(&[
                    ("source", "walk_in"),
                    ("case_type", "in_depth"),
                    ("risk", "medium"),
                    ("problems", "housing"),
                    ("intake_summary", "Authz intake"),
                    ("version", &version.to_string()),
                ])
            }
            Body::AssessmentForm => form(&[("presenting_situation", "Authz situation"), ("needs", "Authz needs")]),
            Body::AssessmentJson => Payload::Json(json!({"presenting_situation": "Authz situation", "needs": "Authz needs"})),
            Body::PlanForm => form(&[
                ("plan_id", ""),
                ("plan_version", ""),
                ("goal", "Authz goal"),
                ("interventions", "Authz steps"),
                ("target_on", ""),
                ("submit", "1"),
            ]),
            Body::PlanJson => Payload::Json(json!({"goals": [{"goal": "Authz goal", "interventions": "Authz steps"}], "submit": true})),
            Body::PlanUpdateJson => {
                Payload::Json(json!({"goals": [{"goal": "Authz goal 2", "interventions": "Authz steps"}], "submit": true, "version": 1}))
            }
            Body::PlanDecisionForm => form(&[("approve", "true"), ("comment", ""), ("version", "1")]),
            Body::PlanDecisionJson => Payload::Json(json!({"approve": true, "version": 1})),
            Body::NoteForm => form(&[("contact_type", "phone"), ("body", &format!("Authz call {tag} {n}"))]),
            Body::NoteJson => Payload::Json(json!({"contact_type": "phone", "body": format!("Authz call {tag} {n}")})),
            Body::NoteCorrectionForm => form(&[("contact_type", "phone"), ("body", "Authz correction"), ("version", "1")]),
            Body::NoteCorrectionJson => Payload::Json(json!({"contact_type": "phone", "body": "Authz correction", "version": 1})),
            Body::TaskForm => form(&[("title", "Authz follow-up"), ("due_on", &today(self.app).to_string())]),
            Body::TaskJson => Payload::Json(json!({"title": "Authz follow-up", "due_on": today(self.app)})),
            Body::ReviewForm => form(&[("summary", "Authz review"), ("version", &self.case_version(case).await.to_string())]),
            Body::ReviewJson => Payload::Json(json!({"summary": "Authz review", "version": self.case_version(case).await})),
            Body::TransferForm | Body::TransferJson => {
                let (u, worker) = (unit(), self.app.seeded.user(Role::Supervisor).id.to_string());
                let version = self.case_version(case).await;
                if row.body == Body::TransferJson {
                    return Payload::Json(json!({"unit_id": u, "worker_id": worker, "reason": "Authz transfer", "version": version}));
                }
                form(&[("unit_id", &u), ("worker_id", &worker), ("reason", "Authz transfer"), ("version", &version.to_string())])
            }
            Body::ReferralForm => form(&[("direction", "out"), ("agency", "Authz clinic"), ("reason", "Authz reason")]),
            Body::ReferralJson => Payload::Json(json!({"direction": "out", "agency": "Authz clinic", "reason": "Authz reason"})),
            Body::ReferralUpdateForm => form(&[("status", "accepted"), ("version", "1")]),
            Body::ReferralUpdateJson => Payload::Json(json!({"status": "accepted", "version": 1})),
            Body::MandatoryReportForm | Body::MandatoryReportJson => {
                let (on, version) = (today(self.app).to_string(), self.case_version(case).await);
                if row.body == Body::MandatoryReportJson {
                    return Payload::Json(json!({"reported_on": on, "authority": "Police", "version": version}));
                }
                form(&[("reported_on", &on), ("authority", "Police"), ("version", &version.to_string())])
            }
            Body::ClosureForm | Body::ClosureJson => {
                let version = self.case_version(case).await;
                if row.body == Body::ClosureJson {
                    return Payload::Json(json!({"reason": "goals_achieved", "summary": "Authz summary", "version": version}));
                }
                form(&[("reason", "goals_achieved"), ("summary", "Authz summary"), ("version", &version.to_string())])
            }
            Body::ClosureDecisionForm => form(&[("approve", "true"), ("version", &self.case_version(case).await.to_string())]),
            Body::ClosureDecisionJson => Payload::Json(json!({"approve": true, "version": self.case_version(case).await})),
            Body::ReopenForm => form(&[("reason", "Authz reopen"), ("version", &self.case_version(case).await.to_string())]),
            Body::ReopenJson => Payload::Json(json!({"reason": "Authz reopen", "version": self.case_version(case).await})),
            Body::CaseSettingsForm | Body::CaseSettingsJson => {
                let set = self.app.store().case_settings(self.app.seeded.org).await.unwrap();
                if row.body == Body::CaseSettingsJson {
                    return Payload::Json(
                        json!({"plan_approval": true, "closure_approval": true, "review_days": 90, "version": set.version}),
                    );
                }
                form(&[
                    ("plan_approval", "true"),
                    ("closure_approval", "true"),
                    ("review_days", "90"),
                    ("version", &set.version.to_string()),
                ])
            }
            Body::ProblemsForm | Body::ProblemsJson => {
                let list = self.app.store().problems(self.app.seeded.org).await.unwrap();
                if row.body == Body::ProblemsJson {
                    return Payload::Json(serde_json::to_value(&list).unwrap());
                }
                let mut pairs = Vec::new();
                for p in &list {
                    for (k, v) in
                        [("code", &p.code), ("name_en", &p.name_en), ("name_zh_hant", &p.name_zh_hant), ("name_zh_hans", &p.name_zh_hans)]
                    {
                        pairs.push((k.to_string(), v.clone()));
                    }
                    if p.sensitive {
                        pairs.push(("sensitive".to_string(), p.code.clone()));
                    }
                    if p.active {
                        pairs.push(("active".to_string(), p.code.clone()));
                    }
                }
                Payload::Form(pairs)
            }
            Body::NewActivityForm => {
                form(&[("unit_id", &unit()), ("kind", "programme"), ("title_en", &format!("Authz new {tag} {n}")), ("domain", "family")])
            }
            Body::NewActivityJson => Payload::Json(
                json!({"unit_id": unit(), "kind": "programme", "title_en": format!("Authz new {tag} {n}"), "domain": "family"}),
            ),
            Body::EditActivityForm | Body::EditActivityJson => {
                let a = self.app.store().get_activity(self.app.seeded.org, self.records[&row.on.unit().unwrap()].activity).await.unwrap();
                let title = format!("{} ", a.title_en.trim());
                if row.body == Body::EditActivityJson {
                    return Payload::Json(
                        json!({"version": a.version, "unit_id": a.unit_id, "kind": "group", "title_en": title, "domain": a.domain}),
                    );
                }
                form(&[
                    ("version", &a.version.to_string()),
                    ("unit_id", &a.unit_id.to_string()),
                    ("kind", "group"),
                    ("title_en", &title),
                    ("domain", &a.domain),
                ])
            }
            Body::SessionForm => form(&[("date", "2026-12-01"), ("starts_at", "09:00"), ("ends_at", "10:00")]),
            Body::SessionJson => Payload::Json(json!({"date": "2026-12-01", "starts_at": "09:00", "ends_at": "10:00"})),
            Body::EnrolForm => form(&[("guest_name", &format!("Authz guest {tag} {n}"))]),
            Body::EnrolJson => Payload::Json(json!({"guest": {"name": format!("Authz guest {tag} {n}")}})),
            Body::EvaluationForm | Body::EvaluationJson => {
                let a = self.app.store().get_activity(self.app.seeded.org, self.records[&row.on.unit().unwrap()].activity).await.unwrap();
                if row.body == Body::EvaluationJson {
                    return Payload::Json(json!({"version": a.version, "objectives_met": "met", "summary": "Done."}));
                }
                form(&[("version", &a.version.to_string()), ("objectives_met", "met"), ("summary", "Done.")])
            }
            Body::AttendanceForm => {
                let p = self.records[&row.on.unit().unwrap()].person.to_string();
                form(&[("listed", &p), ("present", &p)])
            }
            Body::AttendanceJson => Payload::Json(json!({"present": [self.records[&row.on.unit().unwrap()].person]})),
            Body::WalkInForm => form(&[("name", &format!("Authz walk-in {tag} {n}"))]),
            Body::WalkInJson => Payload::Json(json!({"name": format!("Authz walk-in {tag} {n}")})),
            Body::LogForm | Body::LogJson => {
                let s = self.app.store().get_session(self.app.seeded.org, self.records[&row.on.unit().unwrap()].session).await.unwrap();
                let log = format!("log {tag} {n}");
                if row.body == Body::LogJson {
                    return Payload::Json(json!({"version": s.version, "log": log}));
                }
                form(&[("version", &s.version.to_string()), ("log", &log)])
            }
            Body::WithdrawJson => Payload::Json(json!({"person_no": self.records[&row.on.unit().unwrap()].guest})),
            Body::DomainJson => Payload::Json(json!({"code": "authz_domain", "name_en": format!("Authz {tag}")})),
            Body::NewCallJson => Payload::Json(json!({
                "unit_id": unit(), "caller_phone": phone, "call_type": "information", "topics": ["supplies"],
                "risk": "low", "outcome": "resolved", "note": format!("authz {tag}"),
            })),
            Body::NewCallForm => form(&[
                ("unit_id", &unit()),
                ("caller_phone", &phone),
                ("call_type", "information"),
                ("topics", "supplies"),
                ("risk", "low"),
                ("outcome", "resolved"),
            ]),
            Body::DoneForm => form(&[("result", "authz done")]),
            Body::CaseFromCallJson => Payload::Json(json!({"problems": ["housing"]})),
            Body::FlagJson => {
                Payload::Json(json!({"flag": "frequent_caller", "until": (today(self.app) + chrono::Duration::days(30)).to_string()}))
            }
            Body::FollowUpDoneJson => Payload::Json(json!({"result": format!("authz {tag}")})),
            Body::PointJson => {
                let u = self.unit_id(row.on.unit().unwrap());
                let version = self.app.store().hotline_point(self.app.seeded.org, u).await.unwrap().version;
                Payload::Json(json!({"numbers": [format!("2{n:07}")], "opening_hours": "24 hours", "version": version}))
            }
            Body::ShiftJson => {
                let start = self.app.db.clock.now();
                Payload::Json(
                    json!({"user_id": self.app.seeded.user(Role::Volunteer).id, "starts_at": start, "ends_at": start + chrono::Duration::hours(4)}),
                )
            }
            Body::TopicsJson => {
                Payload::Json(serde_json::to_value(self.app.store().hotline_topics(self.app.seeded.org).await.unwrap()).unwrap())
            }
            Body::ScheduleJson => Payload::Json(json!({
                "unit_id": unit(), "client_id": self.records[&row.on.unit().unwrap()].client,
                "worker_id": self.app.seeded.user(Role::HotlineOperator).id, "every_days": 3,
            })),
            Body::AttemptJson => Payload::Json(json!({"result": "answered"})),
            Body::NewVolunteerForm => form(&[("unit_id", &unit()), ("name_en", &format!("Vic new {tag} {n}"))]),
            Body::NewVolunteerJson => Payload::Json(json!({"unit_id": unit(), "name_en": format!("Vic new {tag} {n}")})),
            Body::EditVolunteerForm | Body::EditVolunteerJson => {
                let v = self.app.store().get_volunteer(self.app.seeded.org, self.records[&row.on.unit().unwrap()].volunteer).await.unwrap();
                if row.body == Body::EditVolunteerJson {
                    return Payload::Json(json!({"unit_id": v.unit_id, "name_en": v.name_en, "roles": ["volunteer", "peer_supporter"],
                        "team": format!("team {tag}"), "version": v.version}));
                }
                form(&[
                    ("unit_id", &v.unit_id.to_string()),
                    ("name_en", &v.name_en),
                    ("roles", "volunteer"),
                    ("roles", "peer_supporter"),
                    ("team", &format!("team {tag}")),
                    ("active", "true"),
                    ("version", &v.version.to_string()),
                ])
            }
            Body::CourseForm => form(&[("title_en", &format!("Authz course {tag} {n}")), ("hours", "2")]),
            Body::CourseJson => Payload::Json(json!({"title_en": format!("Authz course {tag} {n}"), "hours": "2"})),
            Body::EditCourseJson => {
                let c = self.app.store().courses(self.app.seeded.org).await.unwrap().into_iter().find(|c| c.id == self.course).unwrap();
                Payload::Json(json!({"title_en": c.title_en, "hours": "2", "version": c.version}))
            }
            Body::DutyForm | Body::DutyJson => {
                let date = (today(self.app) + chrono::Duration::days(5)).to_string();
                let title = format!("Authz duty {tag} {n}");
                if row.body == Body::DutyJson {
                    return Payload::Json(
                        json!({"unit_id": unit(), "title": title, "needed": 1, "date": date, "starts_at": "09:00", "ends_at": "10:00"}),
                    );
                }
                form(&[
                    ("unit_id", &unit()),
                    ("title", &title),
                    ("needed", "1"),
                    ("date", &date),
                    ("starts_at", "09:00"),
                    ("ends_at", "10:00"),
                ])
            }
            Body::VolunteerChoiceForm => form(&[("volunteer_id", &self.records[&row.on.unit().unwrap()].volunteer.to_string())]),
            Body::VolunteerChoiceJson => Payload::Json(json!({"volunteer_id": self.records[&row.on.unit().unwrap()].volunteer})),
            Body::FirstVersionForm => form(&[("version", "1")]),
            Body::FirstVersionJson => Payload::Json(json!({"version": 1})),
            Body::DecideForm => form(&[("approve", "true"), ("version", "1")]),
            Body::DecideJson => Payload::Json(json!({"approve": true, "version": 1})),
            Body::VolunteerHoursForm => form(&[("served_on", &today(self.app).to_string()), ("hours", "1.5"), ("content", "Authz hours")]),
            Body::VolunteerHoursJson => {
                Payload::Json(json!({"served_on": today(self.app).to_string(), "hours": "1.5", "content": "Authz hours"}))
            }
            Body::TrainingForm => form(&[("course_id", &self.course.to_string())]),
            Body::TrainingJson => Payload::Json(json!({"course_id": self.course})),
            Body::StageForm => form(&[("stage", "enabling")]),
            Body::StageJson => Payload::Json(json!({"stage": "enabling"})),
            Body::VolunteerSettingsJson => {
                Payload::Json(serde_json::to_value(self.app.store().volunteer_settings(self.app.seeded.org).await.unwrap()).unwrap())
            }
            Body::NewToyForm => {
                form(&[("home_unit_id", &unit()), ("name", &format!("Zed toy {tag} {n}")), ("parts", "3"), ("areas", "language")])
            }
            Body::NewToyJson => Payload::Json(json!({"home_unit_id": unit(), "name": format!("Zed toy {tag} {n}"), "parts": 3})),
            Body::EditToyForm | Body::EditToyJson => {
                let t = self.app.store().get_toy(self.app.seeded.org, self.records[&row.on.unit().unwrap()].toy).await.unwrap();
                let name = format!("{} ({tag})", t.name.split(" (").next().unwrap_or_default());
                if row.body == Body::EditToyJson {
                    return Payload::Json(json!({"home_unit_id": t.home_unit_id, "code": t.code, "name": name, "parts": t.parts,
                                                "age_min_months": t.age_min_months, "age_max_months": t.age_max_months, "version": t.version}));
                }
                form(&[
                    ("home_unit_id", &t.home_unit_id.to_string()),
                    ("code", &t.code),
                    ("name", &name),
                    ("parts", &t.parts.to_string()),
                    ("age_min_months", &t.age_min_months.to_string()),
                    ("age_max_months", &t.age_max_months.to_string()),
                    ("version", &t.version.to_string()),
                ])
            }
            Body::PhotoUpload => Payload::Multipart {
                fields: vec![("toy_id".into(), self.records[&row.on.unit().unwrap()].toy.to_string())],
                file_name: "toy.webp".into(),
                content: WEBP.into(),
            },
            Body::PhotoBytes => Payload::Csv(WEBP.into()),
            Body::MemberForm | Body::MemberJson => {
                let c = self.fresh_client(row.on.unit().unwrap()).await;
                let h = HouseholdInput {
                    unit_id: Some(c.unit_id),
                    name: format!("Zed household {tag} {n}"),
                    address: String::new(),
                    members: vec![MemberInput { client_id: c.id, relationship: "head".into() }],
                };
                let h = self.app.store().create_household(&self.admin, &h.validate().unwrap()).await.unwrap();
                if row.body == Body::MemberJson {
                    return Payload::Json(json!({"household_id": h.id, "unit_id": unit()}));
                }
                form(&[("household_id", &h.id.to_string()), ("unit_id", &unit())])
            }
            Body::CheckOutForm | Body::CheckOutJson => {
                let u = row.on.unit().unwrap();
                let t = new_toy(self.app, self.unit_id(u), &format!("Zed toy {tag} {n}")).await;
                let m = self.fresh_member(u).await;
                if row.body == Body::CheckOutJson {
                    return Payload::Json(json!({"unit_id": unit(), "member_no": m.member_no, "toy_code": t.code}));
                }
                form(&[("unit_id", &unit()), ("member_no", &m.member_no), ("toy_code", &t.code)])
            }
            Body::ReturnForm => form(&[("unit_id", &unit()), ("parts_returned", "2"), ("condition", "good")]),
            Body::ReturnJson => Payload::Json(json!({"unit_id": unit(), "parts_returned": 2, "condition": "good"})),
            Body::BackForm => form(&[("back", "/lending/counter")]),
            Body::LostJson => Payload::Json(json!({"note": format!("authz {tag}")})),
            Body::RedeemForm => form(&[("reward", "authz_sticker")]),
            Body::RedeemJson => Payload::Json(json!({"reward": "authz_sticker"})),
            Body::ReserveForm | Body::ReserveJson => {
                let t = new_toy(self.app, self.unit_id(Unit::A), &format!("Zed toy {tag} {n}")).await;
                let m = self.fresh_member(Unit::A).await;
                if row.body == Body::ReserveJson {
                    return Payload::Json(json!({"toy_id": t.id, "member_id": m.id}));
                }
                form(&[("toy_id", &t.id.to_string()), ("member_no", &m.member_no)])
            }
            Body::ResolveForm => form(&[("resolution", "repaired")]),
            Body::ResolveJson => Payload::Json(json!({"resolution": "repaired"})),
            Body::UnitQuery => Payload::None,
            Body::VersionQuery => Payload::Json(Value::Null),
            Body::TargetForm | Body::TargetJson | Body::TargetEditForm | Body::TargetEditJson => {
                let agreement = format!("Authz {tag} {n}");
                let unit = unit();
                let mut pairs = vec![
                    ("unit_id", unit.as_str()),
                    ("agreement", agreement.as_str()),
                    ("year", "2026"),
                    ("measure", "cases_new"),
                    ("target", "40"),
                ];
                if matches!(row.body, Body::TargetEditForm | Body::TargetEditJson) {
                    pairs.push(("version", "1"));
                }
                if matches!(row.body, Body::TargetJson | Body::TargetEditJson) {
                    let mut o: serde_json::Map<String, Value> = pairs.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
                    if let Some(v) = o.get_mut("version") {
                        *v = json!(1);
                    }
                    return Payload::Json(Value::Object(o));
                }
                form(&pairs)
            }
            Body::SendForm => form(&[("unit_id", &unit())]),
            Body::SendJson => Payload::Json(json!({"unit_id": unit()})),
            Body::RequestForm | Body::RequestJson => {
                let h = self.records[&row.on.unit().unwrap()].household.to_string();
                if row.body == Body::RequestJson {
                    return Payload::Json(
                        json!({"unit_id": unit(), "household_id": h, "need": "food", "consent": true, "detail": format!("Zed {tag} {n}")}),
                    );
                }
                form(&[("unit_id", &unit()), ("household_id", &h), ("need", "food"), ("consent", "yes")])
            }
            Body::DispatchForm | Body::DispatchJson => {
                let to = self.app.seeded.user(Role::Admin).id.to_string();
                if row.body == Body::DispatchJson {
                    return Payload::Json(json!({"assignee_id": to}));
                }
                form(&[("assignee_id", &to)])
            }
            Body::DeliveryForm => form(&[("step", "delivered"), ("proof", "confirmation"), ("recipient_name", "Authz")]),
            Body::DeliveryJson => Payload::Json(json!({"step": "delivered", "proof": "confirmation", "recipient_name": "Authz"})),
            Body::FollowUpForm => form(&[("note", "Authz follow-up")]),
            Body::FollowUpJson => Payload::Json(json!({"note": "Authz follow-up"})),
            Body::OutreachSessionForm | Body::OutreachSessionJson => {
                let staff = self.app.seeded.user(Role::SocialWorker).id.to_string();
                let day = today(self.app).to_string();
                if row.body == Body::OutreachSessionJson {
                    return Payload::Json(json!({"unit_id": unit(), "held_on": day, "district": "灣仔", "staff": [staff],
                        "contacts": [{"category": "general", "language": "ur", "count": 2}]}));
                }
                form(&[
                    ("unit_id", &unit()),
                    ("held_on", &day),
                    ("district", "灣仔"),
                    ("staff", &staff),
                    ("c_category", "general"),
                    ("c_language", "ur"),
                    ("c_count", "2"),
                ])
            }
            Body::InterpretationForm | Body::InterpretationJson => {
                let c = self.records[&row.on.unit().unwrap()].client.to_string();
                let day = today(self.app).to_string();
                if row.body == Body::InterpretationJson {
                    return Payload::Json(json!({"unit_id": unit(), "client_id": c, "language": "ur", "mode": "phone", "needed_on": day}));
                }
                form(&[("unit_id", &unit()), ("client_id", &c), ("language", "ur"), ("mode", "phone"), ("needed_on", &day)])
            }
            Body::AssignForm | Body::AssignJson => {
                let to = self.app.seeded.user(Role::PeerSupporter).id.to_string();
                if row.body == Body::AssignJson {
                    return Payload::Json(json!({"assignee_id": to, "version": 1}));
                }
                form(&[("assignee_id", &to), ("version", "1")])
            }
            Body::CompleteForm => form(&[("minutes", "30"), ("version", "2")]),
            Body::CompleteJson => Payload::Json(json!({"minutes": 30, "version": 2})),
            Body::CancelForm => form(&[("reason", "Authz"), ("version", "1")]),
            Body::CancelJson => Payload::Json(json!({"reason": "Authz", "version": 1})),
            Body::EscortForm | Body::EscortJson => {
                let c = self.records[&row.on.unit().unwrap()].client.to_string();
                let day = today(self.app).to_string();
                if row.body == Body::EscortJson {
                    return Payload::Json(json!({"unit_id": unit(), "client_id": c, "appointment_on": day, "appointment_time": "09:30",
                        "place": "Authz clinic", "escort_name": "Authz volunteer", "language": "ur"}));
                }
                form(&[
                    ("unit_id", &unit()),
                    ("client_id", &c),
                    ("appointment_on", &day),
                    ("appointment_time", "09:30"),
                    ("place", "Authz clinic"),
                    ("escort_name", "Authz volunteer"),
                    ("language", "ur"),
                ])
            }
            Body::OutcomeForm => form(&[("status", "done"), ("outcome", "Authz"), ("version", "1")]),
            Body::OutcomeJson => Payload::Json(json!({"status": "done", "outcome": "Authz", "version": 1})),
            Body::VisitForm | Body::VisitJson => {
                let c = self.records[&row.on.unit().unwrap()].client.to_string();
                let day = today(self.app).to_string();
                if row.body == Body::VisitJson {
                    return Payload::Json(json!({"unit_id": unit(), "client_id": c, "planned_on": day}));
                }
                form(&[("unit_id", &unit()), ("client_id", &c), ("planned_on", &day)])
            }
            Body::LanguagesForm | Body::LanguagesJson => {
                let version = self
                    .app
                    .store()
                    .interpreter_languages(self.app.seeded.org)
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|(u, _, _)| *u == self.target)
                    .map(|(_, _, v)| v)
                    .unwrap_or(0);
                if row.body == Body::LanguagesJson {
                    return Payload::Json(json!({"languages": ["ur", "ne"], "version": version}));
                }
                form(&[("languages", "ur, ne"), ("version", &version.to_string())])
            }
            Body::StaffForm => form(&[("staff", &self.app.seeded.user(Role::SocialWorker).id.to_string())]),
            Body::StaffJson => Payload::Json(json!({"present": [self.app.seeded.user(Role::SocialWorker).id]})),
            Body::AssistanceSettingsJson => {
                let s = self.app.store().assistance_settings(self.app.seeded.org).await.unwrap();
                Payload::Json(serde_json::to_value(s).unwrap())
            }
            Body::DonorForm => form(&[("name", &format!("Zed donor {tag} {n}")), ("kind", "individual")]),
            Body::DonorJson => Payload::Json(json!({"name": format!("Zed donor {tag} {n}"), "kind": "foundation"})),
            Body::DonationForm | Body::DonationJson => {
                let d = self.records[&row.on.unit().unwrap()].donor.to_string();
                if row.body == Body::DonationJson {
                    return Payload::Json(
                        json!({"donor_id": d, "unit_id": unit(), "kind": "in_kind", "items": [{"name": "Zed masks", "category": "masks",
                        "uom": "box", "quantity": 1, "value_per_unit": "1", "basis": "invoice"}]}),
                    );
                }
                form(&[
                    ("donor_id", &d),
                    ("unit_id", &unit()),
                    ("kind", "in_kind"),
                    ("items[0].name", "Zed masks"),
                    ("items[0].category", "masks"),
                    ("items[0].uom", "box"),
                    ("items[0].quantity", "1"),
                    ("items[0].value_per_unit", "1"),
                    ("items[0].basis", "invoice"),
                ])
            }
            Body::SpendJson => Payload::Json(json!({"amount": "1", "purpose": "Authz"})),
            Body::StockTransferForm | Body::StockTransferJson => {
                let u = row.on.unit().unwrap();
                let other = self.unit_id(if u == Unit::A { Unit::B } else { Unit::A }).to_string();
                let item = self.records[&u].item.to_string();
                if row.body == Body::StockTransferJson {
                    return Payload::Json(json!({"from_unit_id": unit(), "to_unit_id": other, "item_id": item, "quantity": 1}));
                }
                form(&[("unit_id", &unit()), ("to_unit_id", &other), ("item_id", &item), ("quantity", "1")])
            }
            Body::DistributionJson => {
                let r = &self.records[&row.on.unit().unwrap()];
                Payload::Json(
                    json!({"unit_id": unit(), "title": "Authz day", "lines": [{"household_id": r.household, "item_id": r.item, "quantity": 1, "signed": true}]}),
                )
            }
            Body::AdjustmentForm | Body::AdjustmentJson => {
                let item = self.records[&row.on.unit().unwrap()].item.to_string();
                if row.body == Body::AdjustmentJson {
                    return Payload::Json(json!({"unit_id": unit(), "item_id": item, "delta": 1, "reason": "Authz count"}));
                }
                form(&[("unit_id", &unit()), ("item_id", &item), ("delta", "1"), ("reason", "Authz count")])
            }
            Body::DecisionForm => form(&[("decision", "confirmed")]),
            Body::DecisionJson => Payload::Json(json!({"decision": "confirmed"})),
            Body::LendingSettingsForm | Body::LendingSettingsJson => {
                let s = self.app.store().lending_settings(self.app.seeded.org).await.unwrap();
                if row.body == Body::LendingSettingsJson {
                    return Payload::Json(serde_json::to_value(s).unwrap());
                }
                let types: Vec<String> = s
                    .membership_types
                    .iter()
                    .map(|t| {
                        format!(
                            "{} | {} | {} | {} | {} | {} | {}",
                            t.code, t.name_en, t.name_zh_hant, t.name_zh_hans, t.max_items, t.loan_days, t.max_renewals
                        )
                    })
                    .collect();
                let rewards: Vec<String> = s
                    .rewards
                    .iter()
                    .map(|r| format!("{} | {} | {} | {} | {}", r.code, r.name_en, r.name_zh_hant, r.name_zh_hans, r.cost))
                    .collect();
                form(&[
                    ("types", &types.join("\n")),
                    ("rewards", &rewards.join("\n")),
                    ("on_time_return", &s.points.on_time_return.to_string()),
                    ("workshop", &s.points.workshop.to_string()),
                    ("activity", &s.points.activity.to_string()),
                    ("due_soon_days", &s.due_soon_days.to_string()),
                ])
            }
            Body::CoverageSettingsForm | Body::CoverageSettingsJson => {
                let s = self.app.store().coverage_settings(self.app.seeded.org).await.unwrap();
                let v = s.version.to_string();
                if row.body == Body::CoverageSettingsJson {
                    return Payload::Json(json!({"detour_factor": "1.3", "walk_kmh": "4.8", "target_minutes": "15", "version": s.version}));
                }
                form(&[("detour_factor", "1.3"), ("walk_kmh", "4.8"), ("target_minutes", "15"), ("version", &v)])
            }
            Body::GridUpload => Payload::Multipart { fields: vec![], file_name: format!("grid-{tag}.csv"), content: GRID_CSV.into() },
            Body::GridCsv => Payload::Csv(GRID_CSV.into()),
            Body::SiteForm => form(&[("name", &format!("Zed site {tag} {n}")), ("latitude", "22.31"), ("longitude", "114.21")]),
            Body::SiteJson => Payload::Json(json!({"name": format!("Zed site {tag} {n}"), "latitude": "22.31", "longitude": "114.21"})),
            Body::SiteEditJson => Payload::Json(
                json!({"name": format!("Zed site {tag} {n} moved"), "latitude": "22.32", "longitude": "114.21", "version": 1}),
            ),
            Body::SiteVersionForm => form(&[("version", "1")]),
            Body::SiteVersionQuery => Payload::Json(Value::Null),
            Body::ScaleQuery | Body::CaseQuery => Payload::None,
            Body::AdministerForm => form(&[
                ("scale", "brs"),
                ("time_point", "pre"),
                ("a0", "3"),
                ("a1", "3"),
                ("a2", "3"),
                ("a3", "3"),
                ("a4", "3"),
                ("a5", "3"),
            ]),
            Body::AdministerJson => {
                let c = self.records[&row.on.unit().unwrap()].client;
                Payload::Json(json!({"client_id": c, "scale": "brs", "time_point": "pre", "answers": [3, 3, 3, 3, 3, 3]}))
            }
            Body::ScaleJson => {
                let mut s = serde_json::to_value(shegong_domain::outcomes::ucla3()).unwrap();
                s["code"] = json!(format!("agency_scale_{n}"));
                Payload::Json(s)
            }
            Body::SolutionForm => form(&[("title", &format!("Zed solution {tag} {n}")), ("need", "減壓")]),
            Body::SolutionJson => Payload::Json(json!({"title": format!("Zed solution {tag} {n}"), "need": "減壓"})),
            Body::SolutionEditJson => Payload::Json(json!({"title": format!("Zed solution {tag} {n}"), "need": "互助", "version": 1})),
            Body::IncidentForm => form(&[("title", &format!("Zed incident {tag} {n}")), ("kind", "fire"), ("started_on", "2026-02-26")]),
            Body::IncidentJson => {
                Payload::Json(json!({"title": format!("Zed incident {tag} {n}"), "kind": "fire", "started_on": "2026-02-26"}))
            }
            Body::IncidentEditJson => {
                Payload::Json(json!({"title": format!("Zed incident {tag} {n}"), "kind": "fire", "started_on": "2026-02-26", "version": 1}))
            }
            Body::LinkForm => form(&[("kind", "case"), ("target_id", &self.records[&Unit::A].case.to_string())]),
            Body::LinkJson => Payload::Json(json!({"kind": "case", "target_id": self.records[&Unit::A].case})),
            Body::SuggestJson => Payload::Json(json!({"k": 1, "source": "grid", "method": "straight",
                "candidates": [{"name": "Zed here", "latitude": 22.30, "longitude": 114.17}, {"name": "Zed there", "latitude": 22.35, "longitude": 114.25}]})),
            Body::SheetUpload => {
                let r = &self.records[&row.on.unit().unwrap()];
                Payload::Multipart {
                    fields: vec![("session_id".into(), r.session.to_string())],
                    file_name: format!("sheet-{tag}.csv"),
                    content: format!("編號\n{}\n", r.person),
                }
            }
        }
    }
}

/// How a caller authenticates.
enum Via<'c> {
    /// A browser-like client: session cookie (or none), CSRF token in forms and `x-csrf-token`.
    Session(&'c Client),
    /// `Authorization: Bearer`, no cookies.
    Bearer(&'c reqwest::Client, &'c str),
}

struct Outcome {
    status: u16,
    location: String,
    body: String,
}

async fn call(fx: &Fx<'_>, caller: Caller, via: &Via<'_>, row: &Row) -> Outcome {
    let (path, client, case) = fx.path(row, caller).await;
    let method: Method = row.method.parse().unwrap();
    let payload = fx.payload(row, caller, client, case).await;
    let r = match (via, payload) {
        (Via::Session(c), Payload::None) => {
            assert_eq!(method, Method::GET, "{path}: only GET goes without a body");
            c.get(&path).await
        }
        (Via::Session(c), Payload::Form(f)) => {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            c.post_form(&path, &pairs).await
        }
        (Via::Session(c), Payload::Json(v)) => c.json(method, &path, &v).await,
        (Via::Session(c), Payload::Csv(text)) => {
            let token = c.csrf().await;
            c.http
                .request(method, c.url(&path))
                .header("content-type", "text/csv")
                .header("x-csrf-token", token)
                .body(text)
                .send()
                .await
                .unwrap()
        }
        (Via::Session(c), Payload::Multipart { mut fields, file_name, content }) => {
            fields.push(("_csrf".into(), c.csrf().await));
            let (content_type, body) = multipart(&fields, &file_name, &content);
            c.http.request(method, c.url(&path)).header("content-type", content_type).body(body).send().await.unwrap()
        }
        (Via::Session(c), Payload::Login) => match caller {
            Caller::Role(r) => c.login(&fx.app.seeded.user(r).username, PASSWORD).await,
            // Signing in would make the anonymous client anonymous no more: use a fresh one.
            Caller::Anonymous => fx.app.client().login("authz-target", PASSWORD).await,
        },
        (Via::Bearer(http, secret), payload) => {
            let req = http.request(method, format!("{}{path}", fx.app.base)).bearer_auth(secret);
            let req = match payload {
                Payload::None => req,
                Payload::Json(Value::Null) => req,
                Payload::Json(v) => req.json(&v),
                Payload::Csv(text) => req.header("content-type", "text/csv").body(text),
                Payload::Form(_) | Payload::Login | Payload::Multipart { .. } => unreachable!("token calls are for the JSON API"),
            };
            req.send().await.unwrap()
        }
    };
    let status = r.status().as_u16();
    let location = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
    let body = r.text().await.unwrap_or_default();
    Outcome { status, location, body }
}

fn to_sign_in(location: &str) -> bool {
    location == "/login" || location.starts_with("/login?next=")
}

/// One check: `None` when the outcome is what the matrix says.
fn judge(row: &Row, caller: Caller, out: &Outcome) -> Option<String> {
    let mut wrong = Vec::new();
    if row.allows(caller) {
        if row.body.minimal() {
            if out.status != 422 {
                wrong.push(format!("allowed with a minimal body: expected 422, got {}", out.status));
            }
        } else if !(200..400).contains(&out.status) {
            wrong.push(format!("allowed: expected 2xx/3xx, got {}", out.status));
        }
        if (300..400).contains(&out.status) && to_sign_in(&out.location) {
            wrong.push(format!("allowed, but sent to sign in ({})", out.location));
        }
        if let Some(s) = row.shows {
            if (200..300).contains(&out.status) && !out.body.contains(s) {
                wrong.push(format!("allowed, but the response lacks {s:?}"));
            }
        }
    } else {
        match caller {
            Caller::Anonymous if row.is_api() => {
                if out.status != 401 {
                    wrong.push(format!("anonymous on the API: expected 401, got {}", out.status));
                }
            }
            Caller::Anonymous => {
                if out.status != 303 || !to_sign_in(&out.location) {
                    wrong.push(format!("anonymous on a page: expected 303 to /login, got {} {:?}", out.status, out.location));
                }
            }
            Caller::Role(_) => {
                if out.status != 403 {
                    wrong.push(format!("denied: expected 403, got {}", out.status));
                }
            }
        }
        if let Some(s) = row.shows {
            if out.body.contains(s) {
                wrong.push(format!("denied, but the response shows {s:?}"));
            }
        }
    }
    if wrong.is_empty() {
        return None;
    }
    let snippet: String = out.body.chars().take(300).collect();
    Some(format!("{} {} {} [{:?}]: {} — body: {snippet}", caller.name(), row.method, row.path, row.on, wrong.join("; ")))
}

fn report(failures: &[String], checks: usize) {
    assert!(failures.is_empty(), "{} of {checks} authorization checks failed:\n{}", failures.len(), failures.join("\n"));
}

/// Users and units made, changed or touched by the matrix's writes came from the admin only.
async fn only_the_admin_wrote(fx: &Fx<'_>, since_seq: i64, users_made: usize, units_made: usize) {
    let (store, org) = (fx.app.store(), fx.app.seeded.org);
    let made: Vec<String> = store
        .list_users(org)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .filter(|u| u.starts_with("authz-") && u != "authz-target")
        .collect();
    assert_eq!(made.len(), users_made, "accounts made: {made:?}");
    assert!(made.iter().all(|u| u.starts_with("authz-r0-")), "only the admin makes accounts: {made:?}");
    let made: Vec<String> =
        store.list_units(org).await.unwrap().into_iter().map(|u| u.code.to_lowercase()).filter(|c| c.starts_with("az-")).collect();
    assert_eq!(made.len(), units_made, "units made: {made:?}");
    assert!(made.iter().all(|c| c.starts_with("az-r0-")), "only the admin makes units: {made:?}");
    let target = store.get_user(org, fx.target).await.unwrap();
    assert_eq!(target.display_name, "authz target r0", "only the admin edits accounts");
    for e in store.list_audit(org, None, 500).await.unwrap().into_iter().filter(|e| e.seq > since_seq) {
        if matches!(e.entity_type.as_str(), "unit" | "user") && matches!(e.action.as_str(), "create" | "update" | "delete") {
            assert_eq!(e.actor_name, "admin", "{} {} {} by {}", e.action, e.entity_type, e.entity_id, e.actor_name);
        }
    }
}

/// Client records were touched only by callers the matrix allows: every audit entry since
/// `since_seq` about a client, consent or household (create, change, view, export) names a role
/// with the registry in the record's unit, and the people registered through the routes
/// (`Zed authz …`, `registered` of them) were registered by such roles.
async fn client_records_follow_the_matrix(fx: &Fx<'_>, since_seq: i64, registered: usize) {
    let (store, seeded) = (fx.app.store(), &fx.app.seeded);
    let org = seeded.org;
    let staff_of = |unit: UnitId| -> Vec<String> {
        Role::ALL
            .into_iter()
            .filter(|r| seeded_grants(*r, seeded.unit_a.id).allows(ViewClients, Scope::Unit(unit)))
            .map(|r| seeded.user(r).username.clone())
            .collect()
    };
    let mut unit_of: HashMap<String, UnitId> = HashMap::new();
    let mut seen = 0;
    for e in store.list_audit(org, None, 100_000).await.unwrap().into_iter().filter(|e| e.seq > since_seq) {
        let (kind, id) = match e.entity_type.as_str() {
            "client" | "household" => (e.entity_type.clone(), e.entity_id.clone()),
            "consent" => {
                let detail: Value = serde_json::from_str(&e.detail).unwrap();
                ("client".to_string(), detail["client_id"].as_str().unwrap().to_string())
            }
            _ => continue,
        };
        let unit = match unit_of.get(&id) {
            Some(u) => *u,
            None => {
                let u = if kind == "client" {
                    store.get_client(org, id.parse().unwrap()).await.unwrap().unit_id
                } else {
                    store.get_household(org, id.parse().unwrap()).await.unwrap().unit_id
                };
                unit_of.insert(id.clone(), u);
                u
            }
        };
        assert!(staff_of(unit).contains(&e.actor_name), "{} {} {} by {}", e.action, e.entity_type, e.entity_id, e.actor_name);
        seen += 1;
    }
    assert!(seen > 100, "the check saw the calls' audit entries ({seen})");
    let filter = ClientFilter { status: "all".into(), ..Default::default() };
    let made: Vec<ClientRecord> = store
        .list_clients(org, &filter, None, 0, 100_000)
        .await
        .unwrap()
        .clients
        .into_iter()
        .filter(|c| c.name_en.starts_with("Zed authz "))
        .collect();
    assert_eq!(made.len(), registered, "people registered: {:?}", made.iter().map(|c| &c.name_en).collect::<Vec<_>>());
    for c in &made {
        // `Zed authz r{role index} {n}`
        let tag = c.name_en.split(' ').nth(2).unwrap();
        let role = Role::ALL[tag.trim_start_matches('r').parse::<usize>().unwrap()];
        assert!(staff_of(c.unit_id).contains(&seeded.user(role).username), "{} registered in unit {}", c.name_en, c.unit_id);
    }
}

async fn last_seq(app: &TestApp) -> i64 {
    app.store().list_audit(app.seeded.org, None, 1).await.unwrap().first().map(|e| e.seq).unwrap_or(0)
}

#[db_test]
async fn every_route_follows_the_matrix_by_session(app: TestApp) {
    let fx = setup(&app).await;
    let since = last_seq(&app).await;
    let anonymous = app.client();
    let (mut checks, mut failures) = (0, Vec::new());
    for caller in Caller::all() {
        let client = match caller {
            Caller::Anonymous => &anonymous,
            Caller::Role(r) => &fx.clients[&r],
        };
        for row in MATRIX.iter().filter(|r| r.in_cross_role_pass()) {
            let out = call(&fx, caller, &Via::Session(client), row).await;
            checks += 1;
            failures.extend(judge(row, caller, &out));
        }
    }
    report(&failures, checks);
    assert_eq!(checks, MATRIX.iter().filter(|r| r.in_cross_role_pass()).count() * 9);
    // The admin made one account and one unit by page and one of each over the API.
    only_the_admin_wrote(&fx, since, 2, 2).await;
    // Five roles registered a person in unit A and the admin one in unit B, by page and by API.
    client_records_follow_the_matrix(&fx, since, 12).await;
}

#[db_test]
async fn every_api_route_follows_the_matrix_by_token(app: TestApp) {
    let fx = setup(&app).await;
    let since = last_seq(&app).await;
    let bare = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let api: Vec<&Row> = MATRIX.iter().filter(|r| r.is_api()).collect();
    let (mut checks, mut failures) = (0, Vec::new());
    for role in Role::ALL {
        let via = Via::Bearer(&bare, &fx.tokens[&role].bearer);
        for row in &api {
            let out = call(&fx, Caller::Role(role), &via, row).await;
            checks += 1;
            failures.extend(judge(row, Caller::Role(role), &out));
        }
    }
    // A token that is not one is refused outright, never taken for an anonymous visitor.
    let via = Via::Bearer(&bare, "sg_not-a-real-token");
    for row in &api {
        let out = call(&fx, Caller::Anonymous, &via, row).await;
        checks += 1;
        if out.status != 401 {
            failures.push(format!("bad token {} {}: expected 401, got {}", row.method, row.path, out.status));
        }
    }
    report(&failures, checks);
    assert_eq!(checks, api.len() * 9);
    assert!(api.iter().all(|r| r.in_cross_role_pass()));
    only_the_admin_wrote(&fx, since, 1, 1).await;
    client_records_follow_the_matrix(&fx, since, 6).await;
}

// ---------------------------------------------------------------------------------------------
// The matrix against the code: every route has a row, and the rows follow the domain's matrix
// ---------------------------------------------------------------------------------------------

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `get(`, `.post(`, `routing::get(`: a method router call, not part of a longer name.
fn calls(text: &str, method: &str) -> bool {
    let pat = format!("{method}(");
    text.match_indices(&pat).any(|(i, _)| !text[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_'))
}

/// (METHOD, path) of every route the web crate declares: `.route("…", get(…).post(…))` in the
/// routers and `#[utoipa::path(method, path = "…")]` on API handlers.
fn declared_routes() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/web/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for piece in text.split(".route(\"").skip(1) {
            let (path, rest) = piece.split_once('"').unwrap();
            let rest = rest.lines().next().unwrap_or_default();
            let methods: Vec<&str> = ["get", "post", "put", "delete", "patch"].into_iter().filter(|m| calls(rest, m)).collect();
            assert!(!methods.is_empty(), "{}: no method found for {path}", f.display());
            for m in methods {
                found.insert((m.to_uppercase(), path.to_string()));
            }
        }
        for piece in text.split("utoipa::path(").skip(1) {
            let method = piece.split(',').next().unwrap().trim();
            let path = piece.split_once("path = \"").unwrap().1.split('"').next().unwrap();
            found.insert((method.to_uppercase(), path.to_string()));
        }
    }
    found
}

#[test]
fn every_route_has_a_row() {
    let declared = declared_routes();
    assert!(declared.len() >= 30, "the route scan found too little: {declared:?}");
    assert!(declared.contains(&("GET".into(), "/units/{id}".into())), "page routes are scanned");
    assert!(declared.contains(&("PUT".into(), "/api/v1/units/{id}".into())), "API routes are scanned");
    assert!(declared.contains(&("GET".into(), "/healthz".into())), "operations routes are scanned");
    let in_matrix: BTreeSet<(String, String)> = MATRIX.iter().map(|r| (r.method.to_string(), r.path.to_string())).collect();
    let missing: Vec<_> = declared.difference(&in_matrix).collect();
    assert!(missing.is_empty(), "routes without a row in tests/authz.rs MATRIX: {missing:?}");
    let stale: Vec<_> = in_matrix.difference(&declared).collect();
    assert!(stale.is_empty(), "rows for routes that do not exist: {stale:?}");
    let mut keys = BTreeSet::new();
    for r in MATRIX {
        assert!(keys.insert((r.method, r.path, format!("{:?}", r.on))), "duplicate row {} {} {:?}", r.method, r.path, r.on);
    }
}

/// The seed's grants: `admin` and `funder_viewer` agency-wide, every other role in unit A.
fn seeded_grants(role: Role, unit_a: UnitId) -> Grants {
    Grants(vec![Grant { role, unit_id: if role.agency_wide_only() { None } else { Some(unit_a) } }])
}

#[test]
fn rows_follow_the_domain_permission_matrix() {
    let (unit_a, unit_b) = (UnitId::new(), UnitId::new());
    for r in MATRIX {
        let expected: Vec<Role> = match r.need {
            Need::Nothing => {
                assert!(matches!(r.who, Who::Anyone), "{} {}: public routes are open to anyone", r.method, r.path);
                continue;
            }
            Need::SignedIn => Role::ALL.to_vec(),
            Need::Perm(p, at) => {
                let scope = match (at, r.on.unit()) {
                    (At::Agency, _) => Scope::Agency,
                    (At::AnyUnit, _) => Scope::AnyUnit,
                    (At::ThatUnit, Some(Unit::A)) => Scope::Unit(unit_a),
                    (At::ThatUnit, Some(Unit::B)) => Scope::Unit(unit_b),
                    (At::ThatUnit, None) => unreachable!("{} {}: a unit permission on {:?}", r.method, r.path, r.on),
                };
                Role::ALL.into_iter().filter(|role| seeded_grants(*role, unit_a).allows(p, scope)).collect()
            }
        };
        let Who::Roles(listed) = r.who else { unreachable!("{} {}: only public routes are open to anonymous visitors", r.method, r.path) };
        assert_eq!(listed, expected.as_slice(), "{} {} on {:?}: the roles listed differ from the domain's matrix", r.method, r.path, r.on);
    }
}

// ---------------------------------------------------------------------------------------------
// The matrix as documentation
// ---------------------------------------------------------------------------------------------

fn markdown_table() -> String {
    let mut s = String::from("| Method | Path | On | Needs | anonymous |");
    for r in Role::ALL {
        s.push_str(&format!(" {} |", r.as_str()));
    }
    s.push_str("\n|---|---|---|---|:-:|");
    for _ in Role::ALL {
        s.push_str(":-:|");
    }
    s.push('\n');
    for r in MATRIX {
        let unit = |u: Unit| if u == Unit::A { "the caller's unit" } else { "another unit" };
        let on = match r.on {
            On::Nothing => "—".to_string(),
            On::CallersUnit | On::OtherUnit => unit(r.on.unit().unwrap()).to_string(),
            On::OtherAccount => "another account".to_string(),
            On::OwnToken => "the caller's own token".to_string(),
            On::File => "`app.css`".to_string(),
            On::Client(u) => format!("a client of {}", unit(u)),
            On::NewClient(u) => format!("an active client of {}", unit(u)),
            On::ClosedClient(u) => format!("a closed client of {}", unit(u)),
            On::Consent(u) => format!("a live consent of a client of {}", unit(u)),
            On::Household(u) => format!("a household of {}", unit(u)),
            On::Activity(u) => format!("an activity of {}", unit(u)),
            On::Session(u) => format!("a session of an activity of {}", unit(u)),
            On::OwnImportJob => "the caller's own import job".to_string(),
            On::Case(u) => format!("an open case of {}", unit(u)),
            On::NewCase(u) => format!("a new open case of {}", unit(u)),
            On::ClosedCase(u) => format!("a closed case of {}", unit(u)),
            On::PendingClosure(u) => format!("a case of {} awaiting closure approval", unit(u)),
            On::DraftPlan(u) => format!("a draft plan of a case of {}", unit(u)),
            On::SubmittedPlan(u) => format!("a submitted plan of a case of {}", unit(u)),
            On::Note(u) => format!("another's note on a case of {}", unit(u)),
            On::Task(u) => format!("a follow-up of a case of {}", unit(u)),
            On::Referral(u) => format!("a referral of a case of {}", unit(u)),
            On::NewCall(u) => format!("another's escalated hotline call at {}", unit(u)),
            On::NewFollowUp(u) => format!("an open hotline follow-up of {}", unit(u)),
            On::Schedule(u) => format!("a check-in schedule of {}", unit(u)),
            On::Volunteer(u) => format!("a volunteer of {}", unit(u)),
            On::Duty(u) => format!("a volunteer duty of {}", unit(u)),
            On::NewDuty(u) => format!("a new volunteer duty of {}", unit(u)),
            On::Assignment(u) => format!("a volunteer's assignment to a duty of {}", unit(u)),
            On::CheckedIn(u) => format!("a checked-in assignment to a duty of {}", unit(u)),
            On::PendingHours(u) => format!("self-reported hours waiting in {}", unit(u)),
            On::Course => "a training course".to_string(),
            On::Link => "a signed sign-up link".to_string(),
            On::NewLink => "a new signed sign-up link".to_string(),
            On::Toy(u) => format!("a toy whose home is {}", unit(u)),
            On::Member(u) => format!("a member household of {}", unit(u)),
            On::PointsMember(u) => format!("a member household of {} with points", unit(u)),
            On::NewLoan(u) => format!("an open loan at {}", unit(u)),
            On::NewReservation(u) => format!("a reservation for collection at {}", unit(u)),
            On::NewTransfer(u) => format!("a toy on its way to {}", unit(u)),
            On::NewRepair(u) => format!("an open repair item of {}", unit(u)),
            On::FamilyCard => "a family card's private link".to_string(),
            On::NewTarget(u) => format!("a yearly target of {}", unit(u)),
            On::NewRequest(u) => format!("a pending assistance request of {}", unit(u)),
            On::DispatchedRequest(u) => format!("an assistance request of {} dispatched to the caller", unit(u)),
            On::PhotoRequest(u) => format!("a dispatched assistance request of {} with a photo", unit(u)),
            On::DeliveredRequest(u) => format!("a delivered assistance request of {}", unit(u)),
            On::Donation(u) => format!("a donation received at {}", unit(u)),
            On::CashDonation(u) => format!("a cash donation received at {}", unit(u)),
            On::NewAdjustment(u) => format!("another's stock adjustment at {}", unit(u)),
            On::Site => "a candidate site for a new service point".to_string(),
            On::Solution => "a solution of the knowledge base".to_string(),
            On::Incident => "a social incident".to_string(),
            On::OutreachSession(u) => format!("an outreach session of {}", unit(u)),
            On::Interpretation(u) => format!("a requested interpretation of {}", unit(u)),
            On::AssignedInterpretation(u) => format!("an interpretation of {} assigned to someone else", unit(u)),
            On::Escort(u) => format!("a planned escort of {}", unit(u)),
            On::Visit(u) => format!("a planned home visit of {}", unit(u)),
        };
        let needs = match r.need {
            Need::Nothing => "nothing (public)".to_string(),
            Need::SignedIn => "signed in".to_string(),
            Need::Perm(p, At::Agency) => format!("`{p:?}` agency-wide"),
            Need::Perm(p, At::AnyUnit) => format!("`{p:?}` in any unit"),
            Need::Perm(p, At::ThatUnit) => format!("`{p:?}` in that unit"),
        };
        let mark = |c: Caller| if r.allows(c) { "✓" } else { "✗" };
        s.push_str(&format!("| {} | `{}` | {on} | {needs} | {} |", r.method, r.path, mark(Caller::Anonymous)));
        for role in Role::ALL {
            s.push_str(&format!(" {} |", mark(Caller::Role(role))));
        }
        s.push('\n');
    }
    s
}

#[test]
fn security_doc_shows_the_matrix() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/SECURITY.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let table = markdown_table();
    assert!(doc.contains("## Authorization matrix"), "docs/SECURITY.md lacks its \"## Authorization matrix\" section");
    assert!(doc.contains(&table), "the table in docs/SECURITY.md differs from tests/authz.rs MATRIX; it should read:\n\n{table}");
    let roles = role_table();
    assert!(doc.contains(&roles), "the role table in docs/SECURITY.md differs from Role::permissions; it should read:\n\n{roles}");
}

/// The roles and what each may do, from `Role::permissions`; roles with the same permissions
/// share a row.
fn role_table() -> String {
    let mut rows: Vec<(Vec<&str>, String)> = Vec::new();
    for r in Role::ALL {
        let perms = r.permissions().iter().map(|p| format!("`{p:?}`")).collect::<Vec<_>>().join(", ");
        match rows.iter_mut().find(|(_, p)| *p == perms) {
            Some((names, _)) => names.push(r.as_str()),
            None => rows.push((vec![r.as_str()], perms)),
        }
    }
    let mut s = String::from("| Role | Permissions |\n|---|---|\n");
    for (names, perms) in rows {
        s.push_str(&format!("| {} | {perms} |\n", names.join(", ")));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Agencies, units and owners
// ---------------------------------------------------------------------------------------------

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn field_errors(v: &Value) -> Vec<String> {
    v["error"]["fields"].as_array().map(|a| a.iter().filter_map(|f| f["field"].as_str().map(String::from)).collect()).unwrap_or_default()
}

#[db_test]
async fn another_agency_gets_404_for_this_agencys_records(app: TestApp) {
    let a = &app.seeded;
    let b = shegong_testkit::seed(app.store(), "b-").await;
    let intruder = Client::new(&app.base);
    assert_eq!(intruder.login("b-admin", PASSWORD).await.status(), 303);
    let worker = a.user(Role::SocialWorker);
    let a_units = [a.unit_a.id, a.unit_b.id];
    let unit_body = |version: i64| json!({"version": version, "code": "HACKED", "name_zh_hant": "入侵", "unit_type": "other"});
    let user_body = json!({"display_name": "Hacked", "active": false, "grants": [], "version": worker.version});

    // Pages: 404, and nothing of the record.
    for unit in a_units {
        let (status, body) = intruder.page(&format!("/units/{unit}")).await;
        assert_eq!(status, 404, "page of another agency's unit");
        assert!(!body.contains("UNIT-") && !body.contains("甲中心") && !body.contains("乙中心") && !body.contains("name=\"version\""));
        let r = intruder
            .post_form(&format!("/units/{unit}"), &[("code", "HACKED"), ("name_zh_hant", "入侵"), ("unit_type", "other"), ("version", "1")])
            .await;
        assert_eq!(r.status(), 404, "edit of another agency's unit");
    }
    for user in [worker, a.user(Role::Admin)] {
        let (status, body) = intruder.page(&format!("/users/{}", user.id)).await;
        assert_eq!(status, 404, "page of another agency's account");
        assert!(!body.contains(&format!("<code>{}</code>", user.username)) && !body.contains("name=\"version\""), "{body}");
    }
    let r = intruder.post_form(&format!("/users/{}", worker.id), &[("display_name", "Hacked"), ("version", "1")]).await;
    assert_eq!(r.status(), 404, "deactivating another agency's account by form");

    // API: 404 with an error body only.
    for unit in a_units {
        let (status, v) = json_of(intruder.get(&format!("/api/v1/units/{unit}")).await).await;
        assert_eq!((status, v["error"]["code"].as_str()), (404, Some("not-found")), "{v}");
        assert!(v.get("code").is_none() && v.get("id").is_none());
        let (status, v) = json_of(intruder.json(Method::PUT, &format!("/api/v1/units/{unit}"), &unit_body(1)).await).await;
        assert_eq!(status, 404, "{v}");
    }
    let (status, v) = json_of(intruder.get(&format!("/api/v1/users/{}", worker.id)).await).await;
    assert_eq!((status, v["error"]["code"].as_str()), (404, Some("not-found")), "{v}");
    assert!(v.get("username").is_none());
    let (status, v) = json_of(intruder.json(Method::PUT, &format!("/api/v1/users/{}", worker.id), &user_body).await).await;
    assert_eq!(status, 404, "{v}");

    // Lists hold the intruder's own agency only.
    let units: Vec<Value> = intruder.get("/api/v1/units").await.json().await.unwrap();
    let ids: BTreeSet<String> = units.iter().map(|u| u["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, [b.unit_a.id.to_string(), b.unit_b.id.to_string()].into_iter().collect());
    let users: Vec<Value> = intruder.get("/api/v1/users").await.json().await.unwrap();
    assert_eq!(users.len(), 8);
    assert!(users.iter().all(|u| u["username"].as_str().unwrap().starts_with("b-")), "{users:?}");
    let audit: Vec<Value> = intruder.get("/api/v1/audit?limit=500").await.json().await.unwrap();
    assert!(!audit.is_empty());
    assert!(audit.iter().all(|e| e["org_id"] == b.org.to_string()), "only the agency's own audit trail");
    let (_, page) = intruder.page("/units").await;
    assert!(a_units.iter().all(|u| !page.contains(&u.to_string())));
    let (_, page) = intruder.page("/users").await;
    assert!(a.users.values().all(|u| !page.contains(&u.id.to_string())));
    let (_, page) = intruder.page("/audit").await;
    assert!(a.users.values().all(|u| !page.contains(&u.id.to_string())), "audit page shows no record of the other agency");

    // No grant on another agency's unit, however it is asked for.
    let grant_a = json!([{"role": "social_worker", "unit_id": a.unit_a.id}]);
    let (status, v) = json_of(
        intruder
            .json(
                Method::POST,
                "/api/v1/users",
                &json!({"username": "b-intruder", "display_name": "x", "password": PASSWORD, "grants": grant_a}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(field_errors(&v), ["grants"]);
    let b_worker = b.user(Role::SocialWorker);
    let (status, v) = json_of(
        intruder
            .json(
                Method::PUT,
                &format!("/api/v1/users/{}", b_worker.id),
                &json!({"display_name": "x", "active": true, "grants": grant_a, "version": b_worker.version}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(field_errors(&v), ["grants"]);
    let unit_a = a.unit_a.id.to_string();
    let r = intruder
        .post_form(
            "/users",
            &[
                ("username", "b-intruder"),
                ("display_name", "x"),
                ("password", PASSWORD),
                ("add_role", "social_worker"),
                ("add_unit", &unit_a),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(app.store().credentials("b-intruder").await.unwrap().is_none(), "no account was made");
    assert_eq!(app.store().get_user(b.org, b_worker.id).await.unwrap().grants, b_worker.grants, "grants unchanged");

    // Nothing of agency A changed.
    for (seeded, unit) in [(&a.unit_a, a.unit_a.id), (&a.unit_b, a.unit_b.id)] {
        let now = app.store().get_unit(a.org, unit).await.unwrap();
        assert_eq!((now.version, now.code.as_str()), (seeded.version, seeded.code.as_str()));
    }
    let now = app.store().get_user(a.org, worker.id).await.unwrap();
    assert_eq!((now.version, now.active, now.display_name.as_str()), (worker.version, true, worker.display_name.as_str()));

    // The other way round too: agency A's admin gets 404 for agency B's records.
    let a_admin = app.signed_in(Role::Admin).await;
    assert_eq!(a_admin.page(&format!("/units/{}", b.unit_a.id)).await.0, 404);
    assert_eq!(a_admin.get(&format!("/api/v1/users/{}", b_worker.id)).await.status(), 404);
}

#[db_test]
async fn unit_grants_stay_in_their_unit(app: TestApp) {
    let s = &app.seeded;
    let (unit_a, unit_b) = (s.unit_a.id, s.unit_b.id);
    let sup = app.signed_in(Role::Supervisor).await;

    // The supervisor of unit A reads unit A, read-only …
    let (status, page) = sup.page(&format!("/units/{unit_a}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("UNIT-A") && !page.contains("name=\"version\""), "a view, not the edit form");
    // … cannot open unit B …
    let (status, page) = sup.page(&format!("/units/{unit_b}")).await;
    assert_eq!(status, 403);
    assert!(!page.contains("UNIT-B") && !page.contains("乙中心"));
    assert_eq!(sup.get(&format!("/api/v1/units/{unit_b}")).await.status(), 403);
    // … edits no unit, not even their own (ManageUnits is the admin's) …
    let body = json!({"version": 1, "code": "UNIT-A", "name_zh_hant": "改名", "unit_type": "family_centre"});
    assert_eq!(sup.json(Method::PUT, &format!("/api/v1/units/{unit_a}"), &body).await.status(), 403);
    let r = sup
        .post_form(
            &format!("/units/{unit_a}"),
            &[("code", "UNIT-A"), ("name_zh_hant", "改名"), ("unit_type", "family_centre"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(sup.page("/units/new").await.0, 403);
    assert_eq!(app.store().get_unit(s.org, unit_a).await.unwrap().version, 1, "unit A unchanged");
    // … and does not read the audit log: a unit grant does not reach agency-wide records.
    assert_eq!(sup.page("/audit").await.0, 403);
    assert_eq!(sup.get("/api/v1/audit").await.status(), 403);

    // Lists and the home page show each role the units it may open, no more.
    for role in Role::ALL {
        let other;
        let c = if role == Role::Supervisor {
            &sup
        } else {
            other = app.signed_in(role).await;
            &other
        };
        let sees_b = role.agency_wide_only();
        let units: Vec<Value> = c.get("/api/v1/units").await.json().await.unwrap();
        let codes: Vec<&str> = units.iter().map(|u| u["code"].as_str().unwrap()).collect();
        assert_eq!(codes, if sees_b { vec!["UNIT-A", "UNIT-B"] } else { vec!["UNIT-A"] }, "{role:?}");
        let (_, list) = c.page("/units").await;
        assert_eq!(list.contains("UNIT-B"), sees_b, "{role:?} units page");
        let (_, home) = c.page("/").await;
        assert!(home.contains("甲中心"), "{role:?} home");
        assert_eq!(home.contains("乙中心"), sees_b, "{role:?} home");
    }

    // Held agency-wide, the same role reaches every unit and the audit log, and still edits nothing.
    let admin = app.signed_in(Role::Admin).await;
    let me = s.user(Role::Supervisor);
    let r = admin
        .json(
            Method::PUT,
            &format!("/api/v1/users/{}", me.id),
            &json!({"display_name": "supervisor", "active": true, "grants": [{"role": "supervisor", "unit_id": null}], "version": me.version}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(sup.page(&format!("/units/{unit_b}")).await.0, 200, "grants apply from the next request");
    assert_eq!(sup.page("/audit").await.0, 200);
    assert_eq!(sup.json(Method::PUT, &format!("/api/v1/units/{unit_a}"), &body).await.status(), 403);

    // An account without grants is signed in and sees its own account, but no unit at all.
    let r = admin
        .json(Method::POST, "/api/v1/users", &json!({"username": "authz-nogrant", "display_name": "No grant", "password": PASSWORD}))
        .await;
    assert_eq!(r.status(), 201);
    let none = app.client();
    assert_eq!(none.login("authz-nogrant", PASSWORD).await.status(), 303);
    let (status, home) = none.page("/").await;
    assert_eq!(status, 200);
    assert!(!home.contains("甲中心") && !home.contains("乙中心"), "no unit on the home page");
    assert_eq!(none.page("/units").await.0, 403);
    assert_eq!(none.get("/api/v1/units").await.status(), 403);
    assert_eq!(none.get(&format!("/api/v1/units/{unit_a}")).await.status(), 403);
    assert_eq!(none.get("/api/v1/me").await.status(), 200);
}

#[db_test]
async fn tokens_belong_to_their_owner(app: TestApp) {
    let admin = app.signed_in(Role::Admin).await;
    let (id, secret) = new_token(&admin, "admin script").await;
    let worker = app.signed_in(Role::SocialWorker).await;
    assert_eq!(worker.json(Method::DELETE, &format!("/api/v1/tokens/{id}"), &Value::Null).await.status(), 404);
    assert_eq!(worker.post_form(&format!("/account/tokens/{id}/revoke"), &[]).await.status(), 404);
    let listed: Vec<Value> = worker.get("/api/v1/tokens").await.json().await.unwrap();
    assert!(listed.iter().all(|t| t["id"] != id.as_str()), "another user's token is not listed");
    let (_, account) = worker.page("/account").await;
    assert!(!account.contains(&id) && !account.contains("admin script"));
    let me: Value = reqwest::Client::new().get(admin.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "admin", "the admin's token still works");
    // Another agency's admin cannot revoke it either.
    shegong_testkit::seed(app.store(), "b-").await;
    let b = Client::new(&app.base);
    assert_eq!(b.login("b-admin", PASSWORD).await.status(), 303);
    assert_eq!(b.json(Method::DELETE, &format!("/api/v1/tokens/{id}"), &Value::Null).await.status(), 404);
    let r = reqwest::Client::new().get(admin.url("/api/v1/me")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Client records
// ---------------------------------------------------------------------------------------------

#[db_test]
async fn another_agency_gets_404_for_client_records(app: TestApp) {
    let a = &app.seeded;
    let rec = records(&app, a.unit_a.id, "A", "91000001").await;
    let other = register(&app, a.unit_a.id, "Other Authz-A", "91000005", "").await;
    let consent = app.store().consents(a.org, rec.client).await.unwrap()[0].id;
    let (c, h) = (rec.client, rec.household);
    let b = shegong_testkit::seed(app.store(), "b-").await;
    let intruder = Client::new(&app.base);
    assert_eq!(intruder.login("b-admin", PASSWORD).await.status(), 303);
    let hidden = |body: &str| !body.contains("Aaron Authz-A") && !body.contains("Authz-A household") && !body.contains("91000001");

    // Pages: 404, and nothing of the record.
    for path in [format!("/clients/{c}"), format!("/clients/{c}/edit"), format!("/households/new?client={c}"), format!("/households/{h}")] {
        let (status, body) = intruder.page(&path).await;
        assert_eq!(status, 404, "{path}");
        assert!(hidden(&body), "{path}: {body}");
    }
    let b_unit = b.unit_a.id.to_string();
    let (c_id, o_id) = (c.to_string(), other.id.to_string());
    let writes: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/clients/{c}"), vec![("unit_id", b_unit.as_str()), ("name_en", "Hacked"), ("version", "1")]),
        (format!("/clients/{c}/close"), vec![("version", "1")]),
        (format!("/clients/{c}/reopen"), vec![("version", "1")]),
        (format!("/clients/{c}/consents"), vec![("purpose", "service"), ("notice_version", "2026-01")]),
        (format!("/clients/{c}/consents/{consent}/withdraw"), vec![]),
        (format!("/households/{h}"), vec![("version", "1"), ("unit_id", b_unit.as_str()), ("name", "Hacked")]),
        ("/clients/merge".to_string(), vec![("survivor", c_id.as_str()), ("a", c_id.as_str()), ("b", o_id.as_str())]),
    ];
    for (path, fields) in &writes {
        let r = intruder.post_form(path, fields).await;
        assert_eq!(r.status(), 404, "POST {path}");
        assert!(hidden(&r.text().await.unwrap()));
    }

    // API: 404 with an error body only.
    for path in [
        format!("/api/v1/clients/{c}"),
        format!("/api/v1/clients/{c}/consents"),
        format!("/api/v1/clients/{c}/data-export"),
        format!("/api/v1/households/{h}"),
    ] {
        let (status, v) = json_of(intruder.get(&path).await).await;
        assert_eq!((status, v["error"]["code"].as_str()), (404, Some("not-found")), "{path}: {v}");
        assert!(hidden(&v.to_string()));
    }
    let api_writes = [
        (Method::PUT, format!("/api/v1/clients/{c}"), json!({"version": 1, "unit_id": b_unit, "name_en": "Hacked"})),
        (Method::POST, format!("/api/v1/clients/{c}/close"), json!({"version": 1})),
        (Method::POST, format!("/api/v1/clients/{c}/reopen"), json!({"version": 1})),
        (Method::POST, format!("/api/v1/clients/{c}/consents"), json!({"purpose": "service", "notice_version": "2026-01"})),
        (Method::POST, format!("/api/v1/clients/{c}/consents/{consent}/withdraw"), Value::Null),
        (Method::POST, "/api/v1/clients/merge".to_string(), json!({"survivor": c, "merged": other.id})),
        (
            Method::PUT,
            format!("/api/v1/households/{h}"),
            json!({"version": 1, "unit_id": b_unit, "name": "Hacked", "members": [{"client_id": c, "relationship": "head"}]}),
        ),
    ];
    for (method, path, body) in &api_writes {
        let (status, v) = json_of(intruder.json(method.clone(), path, body).await).await;
        assert_eq!(status, 404, "{method} {path}: {v}");
    }

    // Lists, search and exports hold the intruder's own agency only.
    for path in ["/api/v1/clients", "/api/v1/clients?q=91000001", "/api/v1/clients?q=aaron"] {
        let v: Value = intruder.get(path).await.json().await.unwrap();
        assert_eq!(v["total"], 0, "{path}: {v}");
    }
    let (_, list) = intruder.page("/clients?status=all").await;
    assert!(hidden(&list));
    let pairs: Vec<Value> = intruder.get("/api/v1/clients/duplicates").await.json().await.unwrap();
    assert!(pairs.is_empty());
    let export = intruder.get("/api/v1/clients/export?format=csv").await.text().await.unwrap();
    assert!(hidden(&export) && !export.contains("Other Authz-A"), "{export}");
    // An import into this agency's unit is refused (the unit is unknown to the intruder).
    let r = intruder
        .http
        .post(intruder.url(&format!("/api/v1/clients/import?unit_id={}&dry_run=true", a.unit_a.id)))
        .header("content-type", "text/csv")
        .header("x-csrf-token", intruder.csrf().await)
        .body(IMPORT_CSV)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Nothing of agency A changed.
    let now = app.store().get_client(a.org, c).await.unwrap();
    assert_eq!((now.version, now.name_en.as_str()), (1, "Aaron Authz-A"));
    let consents = app.store().consents(a.org, c).await.unwrap();
    assert_eq!(consents.len(), 1);
    assert!(consents[0].withdrawn_on.is_none());
    assert_eq!(app.store().get_household(a.org, h).await.unwrap().version, 1);
    assert_eq!(app.store().get_client(a.org, other.id).await.unwrap().version, 1, "not merged");
}

#[db_test]
async fn client_lists_show_the_callers_units_only(app: TestApp) {
    let s = &app.seeded;
    records(&app, s.unit_a.id, "A", "91000001").await;
    records(&app, s.unit_b.id, "B", "91000002").await;
    for name in ["Dup Authz-B", "Dup Authz-B."] {
        register(&app, s.unit_b.id, name, "91000006", "1950-01-01").await;
    }
    // Registered through the API, so the search index has them.
    let admin = app.signed_in(Role::Admin).await;
    for (unit, name, phone) in [(s.unit_a.id, "Found Authz-A", "91000098"), (s.unit_b.id, "Found Authz-B", "91000099")] {
        let r = admin.json(Method::POST, "/api/v1/clients", &json!({"unit_id": unit, "name_en": name, "phones": [phone]})).await;
        assert_eq!(r.status(), 201, "{name}");
    }
    for role in CLIENT_STAFF.iter().copied() {
        let c = app.signed_in(role).await;
        let sees_b = role == Role::Admin;
        let (_, page) = c.page("/clients").await;
        let api = c.get("/api/v1/clients").await.text().await.unwrap();
        for (what, body) in [("page", &page), ("API", &api)] {
            assert!(body.contains("Aaron Authz-A"), "{role:?} {what}");
            assert_eq!(body.contains("Aaron Authz-B"), sees_b, "{role:?} {what}");
        }
        let (_, found_page) = c.page("/clients?q=found").await;
        let found_api = c.get("/api/v1/clients?q=found").await.text().await.unwrap();
        for (what, body) in [("search page", &found_page), ("search API", &found_api)] {
            assert!(body.contains("Found Authz-A"), "{role:?} {what}");
            assert_eq!(body.contains("Found Authz-B"), sees_b, "{role:?} {what}");
        }
        if MANAGERS.contains(&role) {
            let (_, dups) = c.page("/clients/duplicates").await;
            let dups_api = c.get("/api/v1/clients/duplicates").await.text().await.unwrap();
            let export = c.get("/api/v1/clients/export?format=csv").await.text().await.unwrap();
            for (what, body) in [("duplicates page", &dups), ("duplicates API", &dups_api), ("export", &export)] {
                assert_eq!(body.contains("Authz-B"), sees_b, "{role:?} {what}");
            }
        }
    }
}

/// A household form sent back with a problem lists its members by name, but names only the
/// people the caller may see.
#[db_test]
async fn household_forms_name_only_members_the_caller_may_see(app: TestApp) {
    let s = &app.seeded;
    let hidden = register(&app, s.unit_b.id, "Hidden Authz-B", "91000007", "").await.id.to_string();
    let own = register(&app, s.unit_a.id, "Own Authz-A", "91000008", "").await.id.to_string();
    let unit_a = s.unit_a.id.to_string();
    let worker = app.signed_in(Role::SocialWorker).await;
    // Two heads: invalid, so the form comes back with its members.
    let members = [("member", own.as_str()), ("relationship", "head"), ("member", hidden.as_str()), ("relationship", "head")];
    let mut fields = vec![("unit_id", unit_a.as_str()), ("name", "x")];
    fields.extend(members);
    let r = worker.post_form("/households", &fields).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Own Authz-A"), "a member the worker may see is named");
    assert!(!page.contains("Hidden Authz-B"), "a client of another unit is not named: {page}");
    // The same when editing a household of the worker's unit.
    let h = HouseholdInput {
        unit_id: Some(s.unit_a.id),
        name: "Own household".into(),
        address: String::new(),
        members: vec![MemberInput { client_id: own.parse().unwrap(), relationship: "head".into() }],
    };
    let h = app.store().create_household(&Actor::from(s.user(Role::Admin)), &h.validate().unwrap()).await.unwrap();
    let mut fields = vec![("version", "1"), ("unit_id", unit_a.as_str()), ("name", "x")];
    fields.extend(members);
    let r = worker.post_form(&format!("/households/{}", h.id), &fields).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Own Authz-A") && !page.contains("Hidden Authz-B"), "{page}");
}

async fn upload(c: &Client, unit: &str, file_name: &str) -> reqwest::Response {
    let fields =
        vec![("_csrf".to_string(), c.csrf().await), ("unit_id".to_string(), unit.to_string()), ("mode".to_string(), "check".to_string())];
    let (content_type, body) = multipart(&fields, file_name, IMPORT_CSV);
    c.http.post(c.url("/clients/import")).header("content-type", content_type).body(body).send().await.unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string()
}

/// The job's page once the job has finished.
async fn finished_job(c: &Client, path: &str) -> String {
    for _ in 0..200 {
        let r = c.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        if r.headers().get("refresh").is_none() {
            return r.text().await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path}: the job did not finish");
}

/// The matrix's import job rows (`On::OwnImportJob`): a job, its report and its list of problems
/// are its starter's alone. Anyone else gets 404, as for a job that does not exist, whatever
/// their role (the admin included); anonymous visitors are sent to sign in.
#[db_test]
async fn import_jobs_belong_to_their_starter(app: TestApp) {
    let s = &app.seeded;
    let (unit_a, unit_b) = (s.unit_a.id.to_string(), s.unit_b.id.to_string());
    let sup = app.signed_in(Role::Supervisor).await;
    assert_eq!(upload(&sup, &unit_b, "authz-sup.csv").await.status(), 403, "not into another unit");
    let r = upload(&sup, &unit_a, "authz-sup.csv").await;
    assert_eq!(r.status(), 303);
    let job = location(&r);
    assert!(job.starts_with("/clients/import/"), "{job}");
    let errors = format!("{job}/errors.csv");

    // The starter sees the report, downloads the problems and checks the file again.
    let page = finished_job(&sup, &job).await;
    assert!(page.contains("authz-sup.csv"));
    let (status, csv) = sup.page(&errors).await;
    assert_eq!(status, 200);
    assert!(csv.lines().nth(1).is_some_and(|l| l.starts_with('3')), "the bad row is row 3: {csv}");
    let r = sup.post_form(&job, &[("mode", "check")]).await;
    assert_eq!(r.status(), 303);
    let again = location(&r);
    assert!(again.starts_with("/clients/import/") && again != job, "{again}");
    assert!(finished_job(&sup, &again).await.contains("authz-sup.csv"));

    // Nobody else: every other role of the agency, and another agency's admin.
    shegong_testkit::seed(app.store(), "b-").await;
    let b_admin = Client::new(&app.base);
    assert_eq!(b_admin.login("b-admin", PASSWORD).await.status(), 303);
    let mut others = vec![("b-admin".to_string(), b_admin)];
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Supervisor) {
        others.push((role.as_str().to_string(), app.signed_in(role).await));
    }
    for (who, c) in &others {
        for path in [&job, &errors] {
            let (status, body) = c.page(path).await;
            assert_eq!(status, 404, "{who} GET {path}");
            assert!(!body.contains("authz-sup.csv"), "{who} GET {path}");
        }
        assert_eq!(c.post_form(&job, &[("mode", "check")]).await.status(), 404, "{who} POST {job}");
    }
    let anonymous = app.client();
    for path in [&job, &errors] {
        let r = anonymous.get(path).await;
        assert_eq!((r.status().as_u16(), to_sign_in(&location(&r))), (303, true), "anonymous GET {path}");
    }
    let r = anonymous.post_form(&job, &[("mode", "check")]).await;
    assert_eq!((r.status().as_u16(), to_sign_in(&location(&r))), (303, true), "anonymous POST {job}");

    // The admin's own job, in unit B, is the admin's.
    let admin = &others.iter().find(|(who, _)| who == "admin").unwrap().1;
    let r = upload(admin, &unit_b, "authz-admin.csv").await;
    assert_eq!(r.status(), 303);
    let admins = location(&r);
    assert!(finished_job(admin, &admins).await.contains("authz-admin.csv"));
    assert_eq!(admin.page(&format!("{admins}/errors.csv")).await.0, 200);
    assert_eq!(sup.page(&admins).await.0, 404, "not the supervisor's");
}
