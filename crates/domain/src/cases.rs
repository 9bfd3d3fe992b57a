//! Casework (個案/个案): intake → assessment → plan → intervention (notes) → review → closure,
//! following the mainland casework standard MZ/T 094-2017 and HK IFSC practice. The state rules
//! live here, as pure functions over a [`Case`], so that the store only has to persist what they
//! decide and every rule can be unit-tested.

use crate::clients::code_enum;
use crate::error::{FieldError, Result, Validator};
use crate::ids::{AssessmentId, CaseEventId, CaseId, ClientId, HouseholdId, NoteId, OrgId, PlanId, ReferralId, TaskId, UnitId, UserId};
use crate::locale::Locale;
use crate::DomainError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

code_enum!(
    /// Where a case came from.
    CaseSource { WalkIn = "walk_in", Hotline = "hotline", ReferralIn = "referral_in", Outreach = "outreach", Other = "other" }
);
code_enum!(
    /// HK Integrated Family Service Centres split cases into brief & supportive and in-depth.
    CaseType { BriefSupportive = "brief_supportive", InDepth = "in_depth" }
);
code_enum!(RiskLevel { Low = "low", Medium = "medium", High = "high" });
code_enum!(
    /// `closure_pending`: a closure waits for the supervisor's approval.
    CaseStatus { Open = "open", ClosurePending = "closure_pending", Closed = "closed" }
);
code_enum!(
    ContactType {
        HomeVisit = "home_visit", OfficeInterview = "office_interview", Phone = "phone", Outreach = "outreach",
        Escort = "escort", Other = "other",
    }
);
code_enum!(PlanStatus { Draft = "draft", Submitted = "submitted", Approved = "approved", Returned = "returned" });
code_enum!(ReferralDirection { Out = "out", In = "in" });
code_enum!(
    ReferralStatus { Pending = "pending", Accepted = "accepted", Declined = "declined", Completed = "completed", Withdrawn = "withdrawn" }
);
code_enum!(
    ClosingReason {
        GoalsAchieved = "goals_achieved", ClientWithdrew = "client_withdrew", ReferredElsewhere = "referred_elsewhere",
        MovedAway = "moved_away", LostContact = "lost_contact", Deceased = "deceased", Other = "other",
    }
);
code_enum!(
    /// The stage of a case (MZ/T 094-2017: 接案 → 预估 → 计划 → 介入 → 评估 → 结案).
    Stage { Intake = "intake", Assessment = "assessment", Planning = "planning", Intervention = "intervention", Closure = "closure", Closed = "closed" }
);
code_enum!(
    /// Timeline entries of a case.
    EventKind {
        Opened = "opened", Updated = "updated", Assessed = "assessed", PlanSubmitted = "plan_submitted",
        PlanApproved = "plan_approved", PlanReturned = "plan_returned", Reviewed = "reviewed", Transferred = "transferred",
        ReferralMade = "referral_made", ReferralUpdated = "referral_updated", MandatoryReport = "mandatory_report",
        ClosureRequested = "closure_requested", ClosureReturned = "closure_returned", Closed = "closed", Reopened = "reopened",
    }
);

/// Longest free text of a note, an assessment section or a summary.
pub const LONG_TEXT: usize = 20_000;
/// Notes can be edited by their author for this long; afterwards they are append-only and a
/// mistake is put right by a correcting note linked to the original.
pub const NOTE_EDIT_HOURS: i64 = 24;
/// Goals a plan holds.
pub const MAX_GOALS: usize = 10;

/// A presenting problem of the agency's list (configurable per agency).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    pub code: String,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
    /// Cases with a sensitive problem (domestic violence, sexual abuse…) are visible only to staff
    /// with the sensitive-data grant.
    pub sensitive: bool,
    pub active: bool,
}

impl Problem {
    pub fn name(&self, l: Locale) -> &str {
        l.pick(&self.name_en, &self.name_zh_hant, &self.name_zh_hans)
    }
}

/// The presenting problems a new agency starts with.
pub fn default_problems() -> Vec<Problem> {
    let p = |code: &str, en: &str, hant: &str, hans: &str, sensitive: bool| Problem {
        code: code.into(),
        name_en: en.into(),
        name_zh_hant: hant.into(),
        name_zh_hans: hans.into(),
        sensitive,
        active: true,
    };
    vec![
        p("family_conflict", "Family conflict", "家庭衝突", "家庭冲突", false),
        p("marital", "Marital problems", "婚姻問題", "婚姻问题", false),
        p("parenting", "Parenting and child care", "親職及照顧子女", "亲职及子女照顾", false),
        p("elderly_care", "Elderly care", "長者照顧", "老年照顾", false),
        p("financial_hardship", "Financial hardship", "經濟困難", "经济困难", false),
        p("housing", "Housing", "住屋問題", "住房问题", false),
        p("employment", "Employment", "就業問題", "就业问题", false),
        p("emotional", "Emotional distress", "情緒困擾", "情绪困扰", false),
        p("mental_health", "Mental health", "精神健康", "精神健康", true),
        p("addiction", "Drug or alcohol abuse, gambling", "濫藥、酗酒或賭博", "药物、酒精滥用或赌博", true),
        p("domestic_violence", "Domestic violence", "家庭暴力", "家庭暴力", true),
        p("child_protection", "Child protection", "保護兒童", "儿童保护", true),
        p("community_correction", "Community correction", "社區矯正", "社区矫正", true),
    ]
}

/// How an agency runs its casework.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CaseSettings {
    /// A case plan takes effect only when a supervisor approves it.
    pub plan_approval: bool,
    /// A case closes only when a supervisor approves the closure.
    pub closure_approval: bool,
    /// Days from opening (or the last review) to the next review.
    pub review_days: i32,
    pub version: i64,
}

impl Default for CaseSettings {
    fn default() -> Self {
        Self { plan_approval: true, closure_approval: true, review_days: 90, version: 0 }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseSettingsInput {
    #[serde(default)]
    pub plan_approval: bool,
    #[serde(default)]
    pub closure_approval: bool,
    pub review_days: i32,
    #[serde(default)]
    pub version: i64,
}

impl CaseSettingsInput {
    pub fn validate(&self) -> Result<CaseSettings> {
        if !(7..=366).contains(&self.review_days) {
            return Err(DomainError::Invalid(vec![FieldError::new("review_days", "out-of-range").with("min", 7).with("max", 366)]));
        }
        Ok(CaseSettings {
            plan_approval: self.plan_approval,
            closure_approval: self.closure_approval,
            review_days: self.review_days,
            version: self.version,
        })
    }
}

/// A case file.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Case {
    pub id: CaseId,
    pub org_id: OrgId,
    /// Human-readable number, unique in the agency (e.g. `C2026-00042`).
    pub case_no: String,
    pub unit_id: UnitId,
    /// The person the case is about; or
    pub client_id: Option<ClientId>,
    /// the household (family case).
    pub household_id: Option<HouseholdId>,
    pub source: CaseSource,
    /// The referring agency or unit, the hotline call, the outreach session.
    pub source_detail: String,
    pub case_type: CaseType,
    pub risk: RiskLevel,
    pub problems: Vec<String>,
    /// The responsible worker.
    pub worker_id: UserId,
    pub status: CaseStatus,
    pub opened_on: NaiveDate,
    pub intake_summary: String,
    pub next_review_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closing_reason: Option<ClosingReason>,
    pub closing_summary: String,
    /// A supervisor's comment when a plan or closure was returned.
    pub returned_comment: String,
    /// Has a sensitive presenting problem.
    pub sensitive: bool,
    /// An assessment has been recorded.
    pub assessed: bool,
    /// A case plan is in force.
    pub plan_approved: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Case {
    pub fn is_open(&self) -> bool {
        self.status != CaseStatus::Closed
    }

    pub fn review_overdue(&self, today: NaiveDate) -> bool {
        self.status == CaseStatus::Open && self.next_review_on.is_some_and(|d| d < today)
    }

    pub fn stage(&self) -> Stage {
        match self.status {
            CaseStatus::Closed => Stage::Closed,
            CaseStatus::ClosurePending => Stage::Closure,
            CaseStatus::Open if self.plan_approved => Stage::Intervention,
            CaseStatus::Open if self.assessed => Stage::Planning,
            CaseStatus::Open => Stage::Assessment,
        }
    }

    /// Refuses work on a closed case (it must be reopened first) or one awaiting closure.
    pub fn require_open(&self) -> Result<()> {
        match self.status {
            CaseStatus::Open => Ok(()),
            CaseStatus::ClosurePending => Err(DomainError::invalid("status", "case-closure-pending")),
            CaseStatus::Closed => Err(DomainError::invalid("status", "case-closed")),
        }
    }
}

fn choice<T: Copy>(v: &mut Validator, field: &str, raw: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
    let raw = raw.trim();
    if raw.is_empty() {
        v.push(FieldError::new(field, "required"));
        return None;
    }
    let r = parse(raw);
    if r.is_none() {
        v.push(FieldError::new(field, "unknown-choice"));
    }
    r
}

/// A service date: not before 1990 and not more than a year after today.
fn date(v: &mut Validator, field: &str, raw: &str, required: bool, today: NaiveDate) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        if required {
            v.push(FieldError::new(field, "required"));
        }
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) if d.year() >= 1990 && d <= today + Duration::days(366) => Some(d),
        Ok(_) => {
            v.push(FieldError::new(field, "service-date-range"));
            None
        }
        Err(_) => {
            v.push(FieldError::new(field, "date"));
            None
        }
    }
}

/// A date that has happened (a note, a review, a closure).
fn past_date(v: &mut Validator, field: &str, raw: &str, today: NaiveDate) -> Option<NaiveDate> {
    let d = date(v, field, raw, true, today)?;
    if d > today {
        v.push(FieldError::new(field, "date-future"));
        return None;
    }
    Some(d)
}

fn problems(v: &mut Validator, raw: &[String], known: &[Problem]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in raw.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        match known.iter().find(|p| p.code == code) {
            Some(p) if p.active => {
                if !out.iter().any(|c| c == code) {
                    out.push(code.to_string())
                }
            }
            _ => v.push(FieldError::new("problems", "unknown-choice")),
        }
    }
    if out.is_empty() {
        v.push(FieldError::new("problems", "required"));
    }
    out
}

/// The details of an intake that can be corrected later.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseDetailsInput {
    /// `walk_in`, `hotline`, `referral_in`, `outreach`, `other`.
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub source_detail: String,
    /// `brief_supportive` or `in_depth`.
    #[serde(default)]
    pub case_type: String,
    /// `low`, `medium`, `high`.
    #[serde(default)]
    pub risk: String,
    /// Codes of the agency's presenting problems (at least one).
    #[serde(default)]
    pub problems: Vec<String>,
    #[serde(default)]
    pub intake_summary: String,
    /// `YYYY-MM-DD`; empty: the agency's review interval from the opening date.
    #[serde(default)]
    pub next_review_on: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseDetails {
    pub source: CaseSource,
    pub source_detail: String,
    pub case_type: CaseType,
    pub risk: RiskLevel,
    pub problems: Vec<String>,
    pub intake_summary: String,
    pub next_review_on: Option<NaiveDate>,
}

impl CaseDetailsInput {
    fn check(&self, v: &mut Validator, today: NaiveDate, known: &[Problem]) -> Option<CaseDetails> {
        let source = choice(v, "source", &self.source, CaseSource::parse);
        let source_detail = v.text("source_detail", &self.source_detail, false, 200);
        let case_type = choice(v, "case_type", &self.case_type, CaseType::parse);
        let risk = choice(v, "risk", &self.risk, RiskLevel::parse);
        let problems = problems(v, &self.problems, known);
        let intake_summary = v.text("intake_summary", &self.intake_summary, true, LONG_TEXT);
        let next_review_on = date(v, "next_review_on", &self.next_review_on, false, today);
        if source == Some(CaseSource::ReferralIn) && source_detail.is_empty() {
            v.push(FieldError::new("source_detail", "referrer-required"));
        }
        Some(CaseDetails { source: source?, source_detail, case_type: case_type?, risk: risk?, problems, intake_summary, next_review_on })
    }

    pub fn validate(&self, today: NaiveDate, known: &[Problem]) -> Result<CaseDetails> {
        let mut v = Validator::new();
        let d = self.check(&mut v, today, known);
        v.finish()?;
        d.ok_or_else(|| DomainError::invalid("source", "required"))
    }
}

/// An intake: who the case is about, where and by whom it is held, and its details.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct CaseInput {
    pub unit_id: Option<UnitId>,
    /// The client the case is about (or give `household_id`).
    #[serde(default)]
    pub client_id: Option<ClientId>,
    #[serde(default)]
    pub household_id: Option<HouseholdId>,
    /// The responsible worker (default: the caller).
    #[serde(default)]
    pub worker_id: Option<UserId>,
    /// `YYYY-MM-DD`; default today.
    #[serde(default)]
    pub opened_on: String,
    #[serde(flatten)]
    pub details: CaseDetailsInput,
}

/// A validated intake.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseFields {
    pub unit_id: UnitId,
    pub client_id: Option<ClientId>,
    pub household_id: Option<HouseholdId>,
    pub worker_id: UserId,
    pub opened_on: NaiveDate,
    pub details: CaseDetails,
}

impl CaseInput {
    /// `caller`: the worker when none is named.
    pub fn validate(&self, today: NaiveDate, known: &[Problem], caller: UserId, review_days: i32) -> Result<CaseFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        match (self.client_id, self.household_id) {
            (None, None) => v.push(FieldError::new("client_id", "case-subject-required")),
            (Some(_), Some(_)) => v.push(FieldError::new("client_id", "case-one-subject")),
            _ => {}
        }
        let opened_on = if self.opened_on.trim().is_empty() { Some(today) } else { past_date(&mut v, "opened_on", &self.opened_on, today) };
        let details = self.details.check(&mut v, today, known);
        if let (Some(open), Some(Some(next))) = (opened_on, details.as_ref().map(|d| d.next_review_on)) {
            if next < open {
                v.push(FieldError::new("next_review_on", "date-before-opening"));
            }
        }
        v.finish()?;
        let (Some(unit_id), Some(opened_on), Some(mut details)) = (self.unit_id, opened_on, details) else {
            return Err(DomainError::invalid("unit_id", "required"));
        };
        if details.next_review_on.is_none() {
            details.next_review_on = Some(opened_on + Duration::days(review_days.into()));
        }
        Ok(CaseFields {
            unit_id,
            client_id: self.client_id,
            household_id: self.household_id,
            worker_id: self.worker_id.unwrap_or(caller),
            opened_on,
            details,
        })
    }
}

/// The structured sections of an assessment (预估 in the mainland standard).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Assessment {
    pub id: AssessmentId,
    pub case_id: CaseId,
    pub assessed_on: NaiveDate,
    pub presenting_situation: String,
    pub family_and_support: String,
    pub risks: String,
    pub strengths: String,
    pub needs: String,
    pub summary: String,
    pub author_name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    /// `YYYY-MM-DD`; default today.
    #[serde(default)]
    pub assessed_on: String,
    #[serde(default)]
    pub presenting_situation: String,
    #[serde(default)]
    pub family_and_support: String,
    #[serde(default)]
    pub risks: String,
    #[serde(default)]
    pub strengths: String,
    #[serde(default)]
    pub needs: String,
    #[serde(default)]
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssessmentFields {
    pub assessed_on: NaiveDate,
    pub presenting_situation: String,
    pub family_and_support: String,
    pub risks: String,
    pub strengths: String,
    pub needs: String,
    pub summary: String,
}

impl AssessmentInput {
    pub fn validate(&self, today: NaiveDate) -> Result<AssessmentFields> {
        let mut v = Validator::new();
        let assessed_on =
            if self.assessed_on.trim().is_empty() { Some(today) } else { past_date(&mut v, "assessed_on", &self.assessed_on, today) };
        let f = AssessmentFields {
            assessed_on: assessed_on.unwrap_or(today),
            presenting_situation: v.text("presenting_situation", &self.presenting_situation, true, LONG_TEXT),
            family_and_support: v.text("family_and_support", &self.family_and_support, false, LONG_TEXT),
            risks: v.text("risks", &self.risks, false, LONG_TEXT),
            strengths: v.text("strengths", &self.strengths, false, LONG_TEXT),
            needs: v.text("needs", &self.needs, true, LONG_TEXT),
            summary: v.text("summary", &self.summary, false, LONG_TEXT),
        };
        v.finish()?;
        Ok(f)
    }
}

/// One goal of a plan with the interventions planned for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Goal {
    pub goal: String,
    pub interventions: String,
    pub target_on: Option<NaiveDate>,
}

/// A case plan (個案計劃/服务计划). Revisions are new plans; the newest approved one is in force.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Plan {
    pub id: PlanId,
    pub case_id: CaseId,
    pub goals: Vec<Goal>,
    pub status: PlanStatus,
    pub author_id: UserId,
    pub author_name: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_by: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_comment: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Plan {
    /// Drafts and returned plans can still be changed; submitted and approved ones cannot.
    pub fn editable(&self) -> bool {
        matches!(self.status, PlanStatus::Draft | PlanStatus::Returned)
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    pub interventions: String,
    /// `YYYY-MM-DD`, optional.
    #[serde(default)]
    pub target_on: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    #[serde(default)]
    pub goals: Vec<GoalInput>,
    /// Submit for approval (or, where the agency needs none, put in force); otherwise a draft.
    #[serde(default)]
    pub submit: bool,
}

impl PlanInput {
    pub fn validate(&self, today: NaiveDate) -> Result<Vec<Goal>> {
        let mut v = Validator::new();
        let mut goals = Vec::new();
        for (i, g) in self.goals.iter().enumerate() {
            if g.goal.trim().is_empty() && g.interventions.trim().is_empty() && g.target_on.trim().is_empty() {
                continue;
            }
            let goal = v.text(&format!("goals[{i}].goal"), &g.goal, true, 2000);
            let interventions = v.text(&format!("goals[{i}].interventions"), &g.interventions, true, LONG_TEXT);
            let target_on = date(&mut v, &format!("goals[{i}].target_on"), &g.target_on, false, today);
            goals.push(Goal { goal, interventions, target_on });
        }
        if goals.is_empty() {
            v.push(FieldError::new("goals", "plan-goal-required"));
        } else if goals.len() > MAX_GOALS {
            v.push(FieldError::new("goals", "too-many").with("max", MAX_GOALS));
        }
        v.finish()?;
        Ok(goals)
    }
}

/// A case note (個案記錄/个案记录).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Note {
    pub id: NoteId,
    pub case_id: CaseId,
    pub occurred_on: NaiveDate,
    pub contact_type: ContactType,
    pub duration_minutes: i32,
    /// Who was present.
    pub present: String,
    pub body: String,
    pub author_id: UserId,
    pub author_name: String,
    /// The note this one corrects.
    pub corrects: Option<NoteId>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Note {
    /// Whether `user` may still change the note itself at `now` (its author, within 24 hours).
    pub fn editable_by(&self, user: UserId, now: DateTime<Utc>) -> bool {
        self.author_id == user && now < self.created_at + Duration::hours(NOTE_EDIT_HOURS)
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// `YYYY-MM-DD`; default today.
    #[serde(default)]
    pub occurred_on: String,
    /// `home_visit`, `office_interview`, `phone`, `outreach`, `escort`, `other`.
    #[serde(default)]
    pub contact_type: String,
    #[serde(default)]
    pub duration_minutes: String,
    #[serde(default)]
    pub present: String,
    #[serde(default)]
    pub body: String,
    /// A follow-up to do by `follow_up_on` (optional).
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub follow_up_on: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NoteFields {
    pub occurred_on: NaiveDate,
    pub contact_type: ContactType,
    pub duration_minutes: i32,
    pub present: String,
    pub body: String,
    pub follow_up: Option<TaskFields>,
}

impl NoteInput {
    pub fn validate(&self, today: NaiveDate) -> Result<NoteFields> {
        let mut v = Validator::new();
        let occurred_on =
            if self.occurred_on.trim().is_empty() { Some(today) } else { past_date(&mut v, "occurred_on", &self.occurred_on, today) };
        let contact_type = choice(&mut v, "contact_type", &self.contact_type, ContactType::parse);
        let duration_minutes = match self.duration_minutes.trim() {
            "" => 0,
            s => match s.parse::<i32>() {
                Ok(m) if (0..=24 * 60).contains(&m) => m,
                _ => {
                    v.push(FieldError::new("duration_minutes", "out-of-range").with("min", 0).with("max", 24 * 60));
                    0
                }
            },
        };
        let present = v.text("present", &self.present, false, 500);
        let body = v.text("body", &self.body, true, LONG_TEXT);
        let follow_up = if self.follow_up.trim().is_empty() && self.follow_up_on.trim().is_empty() {
            None
        } else {
            let title = v.text("follow_up", &self.follow_up, true, 500);
            let due_on = date(&mut v, "follow_up_on", &self.follow_up_on, true, today);
            due_on.map(|due_on| TaskFields { title, due_on })
        };
        v.finish()?;
        Ok(NoteFields {
            occurred_on: occurred_on.unwrap_or(today),
            contact_type: contact_type.unwrap_or(ContactType::Other),
            duration_minutes,
            present,
            body,
            follow_up,
        })
    }
}

/// A follow-up that must not be forgotten: shown on the to-do list from its due date until done.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Task {
    pub id: TaskId,
    pub case_id: CaseId,
    pub title: String,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
    pub done_by: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    #[serde(default)]
    pub title: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub due_on: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TaskFields {
    pub title: String,
    pub due_on: NaiveDate,
}

impl TaskInput {
    pub fn validate(&self, today: NaiveDate) -> Result<TaskFields> {
        let mut v = Validator::new();
        let title = v.text("title", &self.title, true, 500);
        let due_on = date(&mut v, "due_on", &self.due_on, true, today);
        v.finish()?;
        Ok(TaskFields { title, due_on: due_on.unwrap_or(today) })
    }
}

/// A referral out to another agency or service, or in from one.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Referral {
    pub id: ReferralId,
    pub case_id: CaseId,
    pub direction: ReferralDirection,
    pub agency: String,
    pub service: String,
    pub reason: String,
    pub status: ReferralStatus,
    pub referred_on: NaiveDate,
    pub status_on: NaiveDate,
    pub note: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralInput {
    /// `out` or `in`.
    #[serde(default)]
    pub direction: String,
    #[serde(default)]
    pub agency: String,
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub reason: String,
    /// `YYYY-MM-DD`; default today.
    #[serde(default)]
    pub referred_on: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReferralFields {
    pub direction: ReferralDirection,
    pub agency: String,
    pub service: String,
    pub reason: String,
    pub referred_on: NaiveDate,
}

impl ReferralInput {
    pub fn validate(&self, today: NaiveDate) -> Result<ReferralFields> {
        let mut v = Validator::new();
        let direction = choice(&mut v, "direction", &self.direction, ReferralDirection::parse);
        let agency = v.text("agency", &self.agency, true, 200);
        let service = v.text("service", &self.service, false, 200);
        let reason = v.text("reason", &self.reason, true, 2000);
        let referred_on =
            if self.referred_on.trim().is_empty() { Some(today) } else { past_date(&mut v, "referred_on", &self.referred_on, today) };
        v.finish()?;
        Ok(ReferralFields {
            direction: direction.unwrap_or(ReferralDirection::Out),
            agency,
            service,
            reason,
            referred_on: referred_on.unwrap_or(today),
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralUpdateInput {
    /// `pending`, `accepted`, `declined`, `completed`, `withdrawn`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
    pub version: i64,
}

impl ReferralUpdateInput {
    pub fn validate(&self) -> Result<(ReferralStatus, String)> {
        let mut v = Validator::new();
        let status = choice(&mut v, "status", &self.status, ReferralStatus::parse);
        let note = v.text("note", &self.note, false, 2000);
        v.finish()?;
        Ok((status.unwrap_or(ReferralStatus::Pending), note))
    }
}

/// One entry of a case's timeline (what happened to the case, in the worker's words).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CaseEvent {
    pub id: CaseEventId,
    pub case_id: CaseId,
    pub kind: EventKind,
    /// The service date it refers to.
    pub on: NaiveDate,
    pub actor_name: String,
    /// Comment, reason or reference given with it.
    pub text: String,
    pub at: DateTime<Utc>,
}

/// A change to a case file itself, decided by [`Case::apply`].
#[derive(Clone, Debug, PartialEq)]
pub enum CaseChange {
    Details(CaseDetails),
    /// A review held on `on`, with what it found and when the next one is due.
    Review {
        on: NaiveDate,
        summary: String,
        next_review_on: NaiveDate,
    },
    Transfer {
        unit_id: UnitId,
        worker_id: UserId,
        reason: String,
    },
    /// `approval`: whether the agency needs a supervisor's approval.
    RequestClosure {
        on: NaiveDate,
        reason: ClosingReason,
        summary: String,
        approval: bool,
    },
    DecideClosure {
        approve: bool,
        comment: String,
    },
    Reopen {
        reason: String,
    },
    MandatoryReport {
        on: NaiveDate,
        authority: String,
        reference: String,
    },
}

impl Case {
    /// Applies a change, or refuses it with the reason; returns the timeline entry it makes.
    pub fn apply(&mut self, change: CaseChange, today: NaiveDate) -> Result<(EventKind, NaiveDate, String)> {
        match change {
            CaseChange::Details(d) => {
                self.require_open()?;
                if let Some(next) = d.next_review_on {
                    if next < self.opened_on {
                        return Err(DomainError::invalid("next_review_on", "date-before-opening"));
                    }
                }
                self.source = d.source;
                self.source_detail = d.source_detail;
                self.case_type = d.case_type;
                self.risk = d.risk;
                self.problems = d.problems;
                self.intake_summary = d.intake_summary;
                self.next_review_on = d.next_review_on.or(self.next_review_on);
                Ok((EventKind::Updated, today, String::new()))
            }
            CaseChange::Review { on, summary, next_review_on } => {
                self.require_open()?;
                if next_review_on <= on {
                    return Err(DomainError::invalid("next_review_on", "date-after-review"));
                }
                self.next_review_on = Some(next_review_on);
                Ok((EventKind::Reviewed, on, summary))
            }
            CaseChange::Transfer { unit_id, worker_id, reason } => {
                self.require_open()?;
                if unit_id == self.unit_id && worker_id == self.worker_id {
                    return Err(DomainError::invalid("worker_id", "transfer-same"));
                }
                self.unit_id = unit_id;
                self.worker_id = worker_id;
                Ok((EventKind::Transferred, today, reason))
            }
            CaseChange::RequestClosure { on, reason, summary, approval } => {
                self.require_open()?;
                if on < self.opened_on {
                    return Err(DomainError::invalid("closed_on", "date-before-opening"));
                }
                self.closing_reason = Some(reason);
                self.closing_summary = summary.clone();
                self.closed_on = Some(on);
                self.returned_comment.clear();
                if approval {
                    self.status = CaseStatus::ClosurePending;
                    Ok((EventKind::ClosureRequested, on, summary))
                } else {
                    self.status = CaseStatus::Closed;
                    Ok((EventKind::Closed, on, summary))
                }
            }
            CaseChange::DecideClosure { approve, comment } => {
                if self.status != CaseStatus::ClosurePending {
                    return Err(DomainError::invalid("status", "nothing-to-approve"));
                }
                if approve {
                    self.status = CaseStatus::Closed;
                    let on = self.closed_on.unwrap_or(today);
                    Ok((EventKind::Closed, on, comment))
                } else {
                    if comment.trim().is_empty() {
                        return Err(DomainError::invalid("comment", "return-comment-required"));
                    }
                    self.status = CaseStatus::Open;
                    self.closed_on = None;
                    self.returned_comment = comment.clone();
                    Ok((EventKind::ClosureReturned, today, comment))
                }
            }
            CaseChange::Reopen { reason } => {
                if self.status != CaseStatus::Closed {
                    return Err(DomainError::invalid("status", "case-not-closed"));
                }
                self.status = CaseStatus::Open;
                self.closed_on = None;
                self.closing_reason = None;
                self.closing_summary.clear();
                self.returned_comment.clear();
                Ok((EventKind::Reopened, today, reason))
            }
            CaseChange::MandatoryReport { on, authority, reference } => {
                Ok((EventKind::MandatoryReport, on, format!("{authority} {reference}").trim().to_string()))
            }
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `YYYY-MM-DD`; default today.
    #[serde(default)]
    pub reviewed_on: String,
    #[serde(default)]
    pub summary: String,
    /// `YYYY-MM-DD`; empty: the agency's review interval from the review.
    #[serde(default)]
    pub next_review_on: String,
    pub version: i64,
}

impl ReviewInput {
    pub fn validate(&self, today: NaiveDate, review_days: i32) -> Result<CaseChange> {
        let mut v = Validator::new();
        let on = if self.reviewed_on.trim().is_empty() { Some(today) } else { past_date(&mut v, "reviewed_on", &self.reviewed_on, today) };
        let summary = v.text("summary", &self.summary, true, LONG_TEXT);
        let next = date(&mut v, "next_review_on", &self.next_review_on, false, today);
        v.finish()?;
        let on = on.unwrap_or(today);
        Ok(CaseChange::Review { on, summary, next_review_on: next.unwrap_or(on + Duration::days(review_days.into())) })
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    pub unit_id: Option<UnitId>,
    pub worker_id: Option<UserId>,
    #[serde(default)]
    pub reason: String,
    pub version: i64,
}

impl TransferInput {
    pub fn validate(&self) -> Result<CaseChange> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        if self.worker_id.is_none() {
            v.push(FieldError::new("worker_id", "required"));
        }
        let reason = v.text("reason", &self.reason, true, 2000);
        v.finish()?;
        match (self.unit_id, self.worker_id) {
            (Some(unit_id), Some(worker_id)) => Ok(CaseChange::Transfer { unit_id, worker_id, reason }),
            _ => Err(DomainError::invalid("worker_id", "required")),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureInput {
    /// `goals_achieved`, `client_withdrew`, `referred_elsewhere`, `moved_away`, `lost_contact`,
    /// `deceased`, `other`.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub summary: String,
    /// `YYYY-MM-DD`; default today.
    #[serde(default)]
    pub closed_on: String,
    pub version: i64,
}

impl ClosureInput {
    pub fn validate(&self, today: NaiveDate, approval: bool) -> Result<CaseChange> {
        let mut v = Validator::new();
        let reason = choice(&mut v, "reason", &self.reason, ClosingReason::parse);
        let summary = v.text("summary", &self.summary, true, LONG_TEXT);
        let on = if self.closed_on.trim().is_empty() { Some(today) } else { past_date(&mut v, "closed_on", &self.closed_on, today) };
        v.finish()?;
        Ok(CaseChange::RequestClosure { on: on.unwrap_or(today), reason: reason.unwrap_or(ClosingReason::Other), summary, approval })
    }
}

/// A supervisor's decision on a plan or a closure.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub approve: bool,
    /// Required when returning.
    #[serde(default)]
    pub comment: String,
    pub version: i64,
}

impl DecisionInput {
    pub fn validate(&self) -> Result<(bool, String)> {
        let mut v = Validator::new();
        let comment = v.text("comment", &self.comment, !self.approve, 2000);
        if !self.approve && comment.is_empty() {
            // `text` has already said "required"; say why in the case's words.
            return Err(DomainError::invalid("comment", "return-comment-required"));
        }
        v.finish()?;
        Ok((self.approve, comment))
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenInput {
    #[serde(default)]
    pub reason: String,
    pub version: i64,
}

impl ReopenInput {
    pub fn validate(&self) -> Result<CaseChange> {
        let mut v = Validator::new();
        let reason = v.text("reason", &self.reason, true, 2000);
        v.finish()?;
        Ok(CaseChange::Reopen { reason })
    }
}

/// Cap. 650 (HK, from 20 January 2026): a registered social worker's mandatory report of
/// suspected serious harm to a child, with its date and the authority reported to.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MandatoryReportInput {
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub reported_on: String,
    /// E.g. the Police, the Social Welfare Department.
    #[serde(default)]
    pub authority: String,
    #[serde(default)]
    pub reference: String,
}

impl MandatoryReportInput {
    pub fn validate(&self, today: NaiveDate) -> Result<CaseChange> {
        let mut v = Validator::new();
        let on = past_date(&mut v, "reported_on", &self.reported_on, today);
        let authority = v.text("authority", &self.authority, true, 200);
        let reference = v.text("reference", &self.reference, false, 100);
        v.finish()?;
        Ok(CaseChange::MandatoryReport { on: on.unwrap_or(today), authority, reference })
    }
}

/// Which cases a list shows.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, utoipa::IntoParams, ToSchema)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct CaseFilter {
    /// Only this unit.
    pub unit_id: Option<UnitId>,
    /// Only this worker's cases.
    pub worker_id: Option<UserId>,
    /// `open` (also counts closures awaiting approval), `closure_pending`, `closed`; empty: all.
    pub status: String,
    /// `low`, `medium`, `high`.
    pub risk: String,
    /// Only cases whose review is overdue.
    #[serde(deserialize_with = "flag")]
    pub overdue: bool,
    /// Only the cases of this client.
    pub client_id: Option<ClientId>,
}

/// A query-string flag: `true`/`1`/`on` (a checked box) or a JSON boolean. Query strings are
/// read through a flattened struct, which hands every value over as text.
fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Text(t) => matches!(t.as_str(), "true" | "1" | "on"),
    })
}

/// Which cases a caller may reach: the units (None: every unit) and whether cases with a
/// sensitive problem are included.
#[derive(Clone, Copy, Debug)]
pub struct CaseScope<'a> {
    pub units: Option<&'a [UnitId]>,
    pub sensitive: bool,
}

/// What became of a referral, on which day.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferralOutcome {
    pub status: ReferralStatus,
    pub note: String,
    pub on: NaiveDate,
}

/// A page of cases and how many match in all.
#[derive(Clone, Debug)]
pub struct CasePage {
    pub cases: Vec<Case>,
    pub total: u64,
}

/// Something a worker or supervisor has to do.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TodoItem {
    pub kind: TodoKind,
    pub case_id: CaseId,
    pub case_no: String,
    pub unit_id: UnitId,
    pub worker_id: UserId,
    /// When it is (or was) due.
    pub due_on: NaiveDate,
    pub text: String,
    pub task_id: Option<TaskId>,
    pub plan_id: Option<PlanId>,
}

code_enum!(
    TodoKind {
        ReviewDue = "review_due", FollowUpDue = "follow_up_due", PlanToApprove = "plan_to_approve",
        ClosureToApprove = "closure_to_approve", PlanReturned = "plan_returned", ClosureReturned = "closure_returned",
    }
);

/// How far ahead the to-do list looks for reviews and follow-ups.
pub const TODO_DAYS_AHEAD: i64 = 7;

/// What the statistics need of a case.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseFact {
    pub id: CaseId,
    pub unit_id: UnitId,
    pub worker_id: UserId,
    pub problems: Vec<String>,
    /// The client's categories (a family case: every member's).
    pub categories: Vec<String>,
    pub opened_on: NaiveDate,
    /// Only for closed cases.
    pub closed_on: Option<NaiveDate>,
}

code_enum!(CaseGrouping { Unit = "unit", Worker = "worker", Problem = "problem", Category = "category" });

/// Cases served, new and closed in a period (COUNTING.md): served = open at any time in it,
/// new = opened in it, closed = closed in it. A case is one case however many problems or
/// categories it has: by problem or category a case counts once in each of its rows, so those
/// rows do not add up to the total, which is counted over the union.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CaseCounts {
    pub served: u64,
    pub new: u64,
    pub closed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CaseStats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: CaseGrouping,
    pub total: CaseCounts,
    /// Key (unit id, worker id, problem code or category code; `-` for none) → counts.
    pub rows: BTreeMap<String, CaseCounts>,
}

pub fn count_cases(facts: &[CaseFact], from: NaiveDate, to: NaiveDate, group_by: CaseGrouping) -> CaseStats {
    let mut total = CaseCounts::default();
    let mut rows: BTreeMap<String, CaseCounts> = BTreeMap::new();
    for f in facts {
        let served = f.opened_on <= to && f.closed_on.is_none_or(|c| c >= from);
        if !served {
            continue;
        }
        let new = (from..=to).contains(&f.opened_on);
        let closed = f.closed_on.is_some_and(|c| (from..=to).contains(&c));
        let keys: BTreeSet<String> = match group_by {
            CaseGrouping::Unit => [f.unit_id.to_string()].into(),
            CaseGrouping::Worker => [f.worker_id.to_string()].into(),
            CaseGrouping::Problem => f.problems.iter().cloned().collect(),
            CaseGrouping::Category => f.categories.iter().cloned().collect(),
        };
        let keys = if keys.is_empty() { ["-".to_string()].into() } else { keys };
        add(&mut total, new, closed);
        for k in keys {
            add(rows.entry(k).or_default(), new, closed);
        }
    }
    CaseStats { from, to, group_by, total, rows }
}

fn add(c: &mut CaseCounts, new: bool, closed: bool) {
    c.served += 1;
    c.new += u64::from(new);
    c.closed += u64::from(closed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn case() -> Case {
        let now = Utc::now();
        Case {
            id: CaseId::new(),
            org_id: OrgId::new(),
            case_no: "C2026-00001".into(),
            unit_id: UnitId::new(),
            client_id: Some(ClientId::new()),
            household_id: None,
            source: CaseSource::WalkIn,
            source_detail: String::new(),
            case_type: CaseType::InDepth,
            risk: RiskLevel::Low,
            problems: vec!["family_conflict".into()],
            worker_id: UserId::new(),
            status: CaseStatus::Open,
            opened_on: d("2026-01-10"),
            intake_summary: "x".into(),
            next_review_on: Some(d("2026-04-10")),
            closed_on: None,
            closing_reason: None,
            closing_summary: String::new(),
            returned_comment: String::new(),
            sensitive: false,
            assessed: false,
            plan_approved: false,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn details(problems: &[&str]) -> CaseDetailsInput {
        CaseDetailsInput {
            source: "walk_in".into(),
            case_type: "in_depth".into(),
            risk: "medium".into(),
            problems: problems.iter().map(|s| s.to_string()).collect(),
            intake_summary: "Came in about arguments at home.".into(),
            ..Default::default()
        }
    }

    #[test]
    fn intake_needs_one_subject_and_a_known_problem() {
        let today = d("2026-11-23");
        let me = UserId::new();
        let input = CaseInput { unit_id: Some(UnitId::new()), details: details(&["no_such"]), ..Default::default() };
        let Err(DomainError::Invalid(errs)) = input.validate(today, &default_problems(), me, 90) else { panic!() };
        let fields: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert!(fields.contains(&("client_id", "case-subject-required")));
        assert!(fields.contains(&("problems", "unknown-choice")));

        let input = CaseInput {
            unit_id: Some(UnitId::new()),
            client_id: Some(ClientId::new()),
            details: details(&["family_conflict", "family_conflict"]),
            ..Default::default()
        };
        let f = input.validate(today, &default_problems(), me, 90).unwrap();
        assert_eq!(f.worker_id, me);
        assert_eq!(f.details.problems, vec!["family_conflict"]);
        assert_eq!(f.details.next_review_on, Some(d("2027-02-21")), "review defaults to the agency's interval");
    }

    #[test]
    fn a_referral_in_names_its_referrer() {
        let mut input = details(&["housing"]);
        input.source = "referral_in".into();
        let Err(DomainError::Invalid(errs)) = input.validate(d("2026-11-23"), &default_problems()) else { panic!() };
        assert_eq!(errs[0].code, "referrer-required");
    }

    #[test]
    fn closing_needs_a_summary_and_approval_when_configured() {
        let today = d("2026-11-23");
        let input = ClosureInput { reason: "goals_achieved".into(), summary: "  ".into(), closed_on: String::new(), version: 1 };
        let Err(DomainError::Invalid(errs)) = input.validate(today, true) else { panic!() };
        assert_eq!((errs[0].field.as_str(), errs[0].code), ("summary", "required"));

        let mut c = case();
        let change = ClosureInput { summary: "Goals met.".into(), ..input }.validate(today, true).unwrap();
        c.apply(change, today).unwrap();
        assert_eq!(c.status, CaseStatus::ClosurePending);
        assert!(c.require_open().is_err(), "no notes while a closure awaits approval");

        let err = c.apply(CaseChange::DecideClosure { approve: false, comment: String::new() }, today).unwrap_err();
        assert!(matches!(err, DomainError::Invalid(ref e) if e[0].code == "return-comment-required"));
        c.apply(CaseChange::DecideClosure { approve: false, comment: "Review the plan first.".into() }, today).unwrap();
        assert_eq!(c.status, CaseStatus::Open);
        assert_eq!(c.returned_comment, "Review the plan first.");

        let change =
            CaseChange::RequestClosure { on: today, reason: ClosingReason::GoalsAchieved, summary: "Done.".into(), approval: false };
        c.apply(change, today).unwrap();
        assert_eq!(c.status, CaseStatus::Closed);
        assert_eq!(c.stage(), Stage::Closed);
        let err = c.apply(CaseChange::Review { on: today, summary: "x".into(), next_review_on: d("2027-01-01") }, today).unwrap_err();
        assert!(matches!(err, DomainError::Invalid(ref e) if e[0].code == "case-closed"));

        let (kind, _, text) = c.apply(CaseChange::Reopen { reason: "New crisis.".into() }, today).unwrap();
        assert_eq!((kind, text.as_str()), (EventKind::Reopened, "New crisis."));
        assert!(c.closed_on.is_none() && c.closing_summary.is_empty());
    }

    #[test]
    fn review_sets_the_next_due_date() {
        let today = d("2026-11-23");
        let mut c = case();
        assert!(c.review_overdue(today));
        let change = ReviewInput { summary: "Progress steady.".into(), version: 1, ..Default::default() }.validate(today, 90).unwrap();
        c.apply(change, today).unwrap();
        assert_eq!(c.next_review_on, Some(d("2027-02-21")));
        assert!(!c.review_overdue(today));
    }

    #[test]
    fn notes_are_editable_by_their_author_for_a_day() {
        let now = Utc::now();
        let author = UserId::new();
        let n = Note {
            id: NoteId::new(),
            case_id: CaseId::new(),
            occurred_on: d("2026-11-23"),
            contact_type: ContactType::Phone,
            duration_minutes: 10,
            present: String::new(),
            body: "x".into(),
            author_id: author,
            author_name: "a".into(),
            corrects: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        assert!(n.editable_by(author, now + Duration::hours(23)));
        assert!(!n.editable_by(author, now + Duration::hours(24)));
        assert!(!n.editable_by(UserId::new(), now));
    }

    #[test]
    fn a_plan_needs_a_goal_with_interventions() {
        let today = d("2026-11-23");
        let empty = PlanInput { goals: vec![GoalInput::default()], submit: true };
        let Err(DomainError::Invalid(errs)) = empty.validate(today) else { panic!() };
        assert_eq!(errs[0].code, "plan-goal-required");
        let half = PlanInput { goals: vec![GoalInput { goal: "Less conflict".into(), ..Default::default() }], submit: false };
        let Err(DomainError::Invalid(errs)) = half.validate(today) else { panic!() };
        assert_eq!(errs[0].field, "goals[0].interventions");
    }

    #[test]
    fn counts_follow_the_counting_rules() {
        let (from, to) = (d("2026-01-01"), d("2026-12-31"));
        let u = UnitId::new();
        let w = UserId::new();
        let fact = |opened: &str, closed: Option<&str>, problems: &[&str]| CaseFact {
            id: CaseId::new(),
            unit_id: u,
            worker_id: w,
            problems: problems.iter().map(|s| s.to_string()).collect(),
            categories: vec![],
            opened_on: d(opened),
            closed_on: closed.map(d),
        };
        let facts = vec![
            fact("2025-06-01", None, &["housing"]),                          // carried over: served
            fact("2025-06-01", Some("2025-12-31"), &["housing"]),            // closed before: not served
            fact("2026-03-01", Some("2026-09-01"), &["housing", "marital"]), // new and closed
            fact("2027-01-02", None, &["marital"]),                          // after: not served
        ];
        let s = count_cases(&facts, from, to, CaseGrouping::Problem);
        assert_eq!(s.total, CaseCounts { served: 2, new: 1, closed: 1 });
        assert_eq!(s.rows["housing"], CaseCounts { served: 2, new: 1, closed: 1 });
        assert_eq!(s.rows["marital"], CaseCounts { served: 1, new: 1, closed: 1 });
        let by_category = count_cases(&facts, from, to, CaseGrouping::Category);
        assert_eq!(by_category.rows["-"].served, 2);
    }
}
