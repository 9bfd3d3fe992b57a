//! Typed identifiers. All keys are UUIDv7 so they sort by creation time and index well.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// An agency: the tenant that owns all its data.
    OrgId
);
id_type!(
    /// A service unit (centre, station, hotline point) of an agency.
    UnitId
);
id_type!(
    /// A staff or volunteer account.
    UserId
);
id_type!(
    /// A personal API token.
    TokenId
);
id_type!(
    /// A person in the registry (service user / 服務使用者 / 服务对象).
    ClientId
);
id_type!(
    /// A household of clients.
    HouseholdId
);
id_type!(
    /// A consent record of a client.
    ConsentId
);
id_type!(
    /// A case file (個案/个案).
    CaseId
);
id_type!(
    /// An assessment of a case.
    AssessmentId
);
id_type!(
    /// A case plan (個案計劃/服务计划).
    PlanId
);
id_type!(
    /// A case note (個案記錄/个案记录).
    NoteId
);
id_type!(
    /// A follow-up task of a case.
    TaskId
);
id_type!(
    /// A referral of a case to or from another agency or service.
    ReferralId
);
id_type!(
    /// One entry of a case's timeline.
    CaseEventId
);
id_type!(
    /// A group, programme, workshop or outing.
    ActivityId
);
id_type!(
    /// One session (節) of an activity.
    SessionId
);
id_type!(
    /// A walk-in guest of an activity, recorded with minimal data.
    GuestId
);
id_type!(
    /// A hotline call (熱線來電/热线来电).
    CallId
);
id_type!(
    /// An item of the hotline follow-up queue.
    FollowUpId
);
id_type!(
    /// A duty shift at a hotline point.
    ShiftId
);
id_type!(
    /// A check-in schedule of a tracked vulnerable person.
    CheckInScheduleId
);
id_type!(
    /// A volunteer, community assistant, district ambassador or peer supporter (義工/志愿者).
    VolunteerId
);
id_type!(
    /// A training course for volunteers.
    CourseId
);
id_type!(
    /// A course a volunteer completed.
    TrainingId
);
id_type!(
    /// A peer supporter's pathway stage.
    StageId
);
id_type!(
    /// A duty that needs volunteers (at a session, a hotline shift, a delivery, …).
    DutyId
);
id_type!(
    /// One volunteer on one duty.
    AssignmentId
);
id_type!(
    /// One entry of a volunteer's service hours.
    HourEntryId
);
id_type!(
    /// A toy or kit of the toy library's catalogue.
    ToyId
);
id_type!(
    /// A member household of the toy library.
    MemberId
);
id_type!(
    /// A loan of one toy to one member household.
    LoanId
);
id_type!(
    /// An item of the toy repair and lost queue.
    RepairId
);
id_type!(
    /// A place in a toy's waiting list.
    ReservationId
);
id_type!(
    /// A toy's journey to the unit where a family collects it.
    TransferId
);
id_type!(
    /// A yearly output target of one unit under a funding agreement.
    TargetId
);
id_type!(
    /// An emergency assistance request (緊急援助/紧急援助).
    AssistanceRequestId
);
id_type!(
    /// A donor or partner (company, foundation, person, government body).
    DonorId
);
id_type!(
    /// A donation, in kind or cash.
    DonationId
);
id_type!(
    /// One kind of goods (one lot) of an in-kind donation: the key of the stock.
    DonationItemId
);
id_type!(
    /// One line of the stock ledger.
    MovementId
);
id_type!(
    /// A stock adjustment waiting for, or given, a second person's confirmation.
    AdjustmentId
);
id_type!(
    /// A distribution: a delivery's hand-over or a bulk distribution day.
    DistributionId
);
id_type!(
    /// A candidate site for a new service point (coverage).
    SiteId
);
id_type!(
    /// One administration of an outcome scale to a client (its answers and score).
    AdministrationId
);
id_type!(
    /// A social incident (epidemic wave, typhoon, fire, mass layoff) the agency responds to.
    IncidentId
);
id_type!(
    /// A solution of the knowledge base: an intervention or service design.
    SolutionId
);
id_type!(
    /// An outreach session (外展): a team out in an area on one day.
    OutreachSessionId
);
id_type!(
    /// An interpretation or translation request.
    InterpretationId
);
id_type!(
    /// A medical escort (陪診/陪诊) to one appointment.
    EscortId
);
id_type!(
    /// A home visit, planned or done.
    VisitId
);
