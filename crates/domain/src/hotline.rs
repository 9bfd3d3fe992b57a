//! Hotline (熱線/热线) and phone check-ins (電訪/电访): hotline points with their numbers, hours and
//! duty roster; calls with risk triage and escalation; the follow-up queue; check-in schedules of
//! tracked vulnerable persons; and the counts funders check. The rules are pure functions here.

use crate::clients::{code_enum, normalise_phone};
use crate::error::{FieldError, Result, Validator};
use crate::ids::{CallId, CaseId, CheckInScheduleId, ClientId, FollowUpId, OrgId, ShiftId, UnitId, UserId};
use crate::locale::Locale;
use crate::DomainError;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

code_enum!(
    /// What a call was.
    CallType { Counselling = "counselling", Information = "information", HelpRequest = "help_request", Complaint = "complaint", Silent = "silent" }
);
code_enum!(
    /// Risk triage of a call; `high` and `imminent` need an escalation to a named supervisor.
    Triage { NoRisk = "none", Low = "low", Medium = "medium", High = "high", Imminent = "imminent" }
);
code_enum!(
    /// How a call ended. `referred_assistance` is recorded as data: assistance requests are a later capability.
    CallOutcome { Resolved = "resolved", ReferredCase = "referred_case", ReferredAssistance = "referred_assistance", FollowUp = "follow_up" }
);
code_enum!(
    /// A follow-up call, or a home visit after check-ins went unanswered.
    FollowUpKind { Call = "call", HomeVisit = "home_visit" }
);
code_enum!(
    /// The result of one check-in call.
    AttemptResult { Answered = "answered", NoAnswer = "no_answer", Failed = "failed" }
);
code_enum!(
    /// A flag on a caller, with an expiry.
    CallerFlagKind { FrequentCaller = "frequent_caller", Abusive = "abusive" }
);

impl Triage {
    /// High and imminent risk need an escalation and an action.
    pub fn needs_escalation(self) -> bool {
        matches!(self, Triage::High | Triage::Imminent)
    }
}

/// Longest call note.
pub const NOTE_MAX: usize = 2_000;
/// Longest call, in minutes.
pub const MAX_CALL_MINUTES: i32 = 600;
/// When a follow-up is due if the operator gives no time.
pub const DEFAULT_FOLLOW_UP_HOURS: i64 = 24;
/// Unanswered or failed check-ins in a row that send a home visit.
pub const MISSES_FOR_HOME_VISIT: i32 = 2;

/// A topic of the agency's list (configurable).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Topic {
    pub code: String,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
    pub active: bool,
}

impl Topic {
    pub fn name(&self, l: Locale) -> &str {
        l.pick(&self.name_en, &self.name_zh_hant, &self.name_zh_hans)
    }
}

/// The topics a new agency starts with.
pub fn default_topics() -> Vec<Topic> {
    let t = |code: &str, en: &str, hant: &str, hans: &str| Topic {
        code: code.into(),
        name_en: en.into(),
        name_zh_hant: hant.into(),
        name_zh_hans: hans.into(),
        active: true,
    };
    vec![
        t("anxiety", "Anxiety", "焦慮", "焦虑"),
        t("epidemic_info", "Epidemic information", "疫情資訊", "疫情信息"),
        t("supplies", "Supplies", "物資", "物资"),
        t("family_conflict", "Family conflict", "家庭衝突", "家庭冲突"),
        t("loneliness", "Loneliness", "孤獨", "孤独"),
        t("financial", "Financial difficulty", "經濟困難", "经济困难"),
        t("other", "Other", "其他", "其他"),
    ]
}

/// Checks a list of topics: codes are `a-z 0-9 _`, unique, and every name given.
pub fn validate_topics(list: &[Topic]) -> Result<Vec<Topic>> {
    let mut v = Validator::new();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let code = v.list_code(&format!("topics[{i}].code"), &t.code, &mut seen);
        let name_en = v.text(&format!("topics[{i}].name_en"), &t.name_en, true, 100);
        let name_zh_hant = v.text(&format!("topics[{i}].name_zh_hant"), &t.name_zh_hant, true, 100);
        let name_zh_hans = v.text(&format!("topics[{i}].name_zh_hans"), &t.name_zh_hans, true, 100);
        out.push(Topic { code, name_en, name_zh_hant, name_zh_hans, active: t.active });
    }
    v.finish()?;
    Ok(out)
}

/// A hotline point: a service unit of type `hotline_point` with its numbers and opening hours.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HotlinePoint {
    pub unit_id: UnitId,
    /// Normalised numbers, staff mobiles included.
    pub numbers: Vec<String>,
    /// Free text, e.g. "Mon–Fri 09:00–22:00; Sat 09:00–13:00".
    pub opening_hours: String,
    /// 0 until first saved.
    pub version: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointInput {
    #[serde(default)]
    pub numbers: Vec<String>,
    #[serde(default)]
    pub opening_hours: String,
    /// The version loaded (0 for a point not yet saved).
    #[serde(default)]
    pub version: i64,
}

/// What a point's numbers and hours become.
#[derive(Clone, Debug)]
pub struct PointFields {
    pub numbers: Vec<String>,
    pub opening_hours: String,
}

impl PointInput {
    pub fn validate(&self) -> Result<PointFields> {
        let mut v = Validator::new();
        let mut numbers = Vec::new();
        for raw in self.numbers.iter().filter(|n| !n.trim().is_empty()) {
            match normalise_phone(raw) {
                Some(n) if !numbers.contains(&n) => numbers.push(n),
                Some(_) => {}
                None => v.push(FieldError::new("numbers", "phone")),
            }
        }
        if numbers.is_empty() && !v.has_errors() {
            v.push(FieldError::new("numbers", "required"));
        }
        let opening_hours = v.text("opening_hours", &self.opening_hours, false, 500);
        v.finish()?;
        Ok(PointFields { numbers, opening_hours })
    }
}

/// One duty shift of a staff member or trained volunteer at a point.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Shift {
    pub id: ShiftId,
    pub unit_id: UnitId,
    pub user_id: UserId,
    pub user_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl Shift {
    pub fn hours(&self) -> f64 {
        (self.ends_at - self.starts_at).num_minutes() as f64 / 60.0
    }

    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.ends_at
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftInput {
    pub user_id: UserId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Longest shift.
pub const MAX_SHIFT_HOURS: i64 = 24;

impl ShiftInput {
    pub fn validate(&self) -> Result<ShiftInput> {
        let len = self.ends_at - self.starts_at;
        if len <= Duration::zero() || len > Duration::hours(MAX_SHIFT_HOURS) {
            return Err(DomainError::Invalid(vec![FieldError::new("ends_at", "shift-length").with("max", MAX_SHIFT_HOURS)]));
        }
        Ok(self.clone())
    }
}

/// A call as the operator logs it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallInput {
    pub unit_id: Option<UnitId>,
    /// Blank for a withheld number.
    #[serde(default)]
    pub caller_phone: String,
    /// The registered person calling; none for an anonymous caller.
    #[serde(default)]
    pub client_id: Option<ClientId>,
    pub call_type: String,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub duration_minutes: i32,
    #[serde(default)]
    pub note: String,
    pub risk: String,
    /// Required for high and imminent risk: the supervisor told.
    #[serde(default)]
    pub escalate_to: Option<UserId>,
    /// Required for high and imminent risk: what was done.
    #[serde(default)]
    pub action: String,
    pub outcome: String,
    /// When the follow-up is due (outcome `follow_up`); a day after the call when blank.
    #[serde(default)]
    pub follow_up_due: Option<DateTime<Utc>>,
}

/// A validated call.
#[derive(Clone, Debug)]
pub struct CallFields {
    pub unit_id: UnitId,
    pub caller_phone: String,
    pub client_id: Option<ClientId>,
    pub call_type: CallType,
    pub topics: Vec<String>,
    pub duration_minutes: i32,
    pub note: String,
    pub risk: Triage,
    pub escalate_to: Option<UserId>,
    pub action: String,
    pub outcome: CallOutcome,
    pub follow_up_due: Option<DateTime<Utc>>,
    pub operator_id: UserId,
    pub at: DateTime<Utc>,
    /// The day of the call in the agency's time zone (what the statistics count by).
    pub day: NaiveDate,
}

impl CallInput {
    /// Checks the whole form at once. `topics`: the agency's list (only active codes are taken).
    pub fn validate(&self, now: DateTime<Utc>, topics: &[Topic], operator: UserId) -> Result<CallFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let caller_phone = if self.caller_phone.trim().is_empty() {
            String::new()
        } else {
            normalise_phone(&self.caller_phone).unwrap_or_else(|| {
                v.push(FieldError::new("caller_phone", "phone"));
                String::new()
            })
        };
        let call_type = pick(&mut v, "call_type", &self.call_type, CallType::parse);
        let mut codes = Vec::new();
        for t in &self.topics {
            if topics.iter().any(|k| &k.code == t && k.active) {
                if !codes.contains(t) {
                    codes.push(t.clone());
                }
            } else {
                v.push(FieldError::new("topics", "invalid-choice").with("code", t));
            }
        }
        if !(0..=MAX_CALL_MINUTES).contains(&self.duration_minutes) {
            v.push(FieldError::new("duration_minutes", "out-of-range").with("min", 0).with("max", MAX_CALL_MINUTES));
        }
        let note = v.text("note", &self.note, false, NOTE_MAX);
        let risk = pick(&mut v, "risk", &self.risk, Triage::parse);
        let action = v.text("action", &self.action, false, NOTE_MAX);
        if risk.is_some_and(Triage::needs_escalation) {
            if self.escalate_to.is_none() {
                v.push(FieldError::new("escalate_to", "escalation-required"));
            }
            if action.is_empty() {
                v.push(FieldError::new("action", "required"));
            }
        }
        let outcome = pick(&mut v, "outcome", &self.outcome, CallOutcome::parse);
        let follow_up_due = match outcome {
            Some(CallOutcome::FollowUp) => Some(self.follow_up_due.unwrap_or(now + Duration::hours(DEFAULT_FOLLOW_UP_HOURS))),
            _ => None,
        };
        v.finish()?;
        let (Some(unit_id), Some(call_type), Some(risk), Some(outcome)) = (self.unit_id, call_type, risk, outcome) else {
            return Err(DomainError::invalid("call", "required"));
        };
        Ok(CallFields {
            unit_id,
            caller_phone,
            client_id: self.client_id,
            call_type,
            topics: codes,
            duration_minutes: self.duration_minutes,
            note,
            risk,
            escalate_to: if risk.needs_escalation() { self.escalate_to } else { None },
            action,
            outcome,
            follow_up_due,
            operator_id: operator,
            at: now,
            day: now.date_naive(),
        })
    }
}

pub(crate) fn pick<T>(v: &mut Validator, field: &str, raw: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
    let r = parse(raw.trim());
    if r.is_none() {
        v.push(FieldError::new(field, if raw.trim().is_empty() { "required" } else { "invalid-choice" }));
    }
    r
}

/// A logged call.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Call {
    pub id: CallId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    pub caller_phone: String,
    pub client_id: Option<ClientId>,
    pub call_type: CallType,
    pub topics: Vec<String>,
    pub duration_minutes: i32,
    /// Visible only to hotline staff and the person's case workers.
    pub note: String,
    pub risk: Triage,
    pub escalated_to: Option<UserId>,
    pub action: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub outcome: CallOutcome,
    /// The case opened from this call.
    pub case_id: Option<CaseId>,
    pub operator_id: UserId,
    pub operator_name: String,
    pub at: DateTime<Utc>,
    pub version: i64,
}

impl Call {
    /// A case reference for a case opened from this call.
    pub fn reference(&self) -> String {
        format!("hotline-call:{}", self.id)
    }

    pub fn open_escalation(&self) -> bool {
        self.escalated_to.is_some() && self.acknowledged_at.is_none()
    }
}

/// An item of the follow-up queue: it stays until someone marks it done.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FollowUp {
    pub id: FollowUpId,
    pub unit_id: UnitId,
    pub kind: FollowUpKind,
    pub call_id: Option<CallId>,
    pub schedule_id: Option<CheckInScheduleId>,
    pub client_id: Option<ClientId>,
    pub caller_phone: String,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: String,
    pub result: String,
    pub created_at: DateTime<Utc>,
}

impl FollowUp {
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.done_at.is_none() && self.due_at < now
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpDoneInput {
    /// What the follow-up found or did.
    pub result: String,
}

impl FollowUpDoneInput {
    pub fn validate(&self) -> Result<String> {
        let mut v = Validator::new();
        let r = v.text("result", &self.result, true, NOTE_MAX);
        v.finish()?;
        Ok(r)
    }
}

/// A tracked vulnerable person on a regular call schedule.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CheckInSchedule {
    pub id: CheckInScheduleId,
    pub unit_id: UnitId,
    pub client_id: ClientId,
    pub worker_id: UserId,
    pub every_days: i32,
    pub next_due_on: NaiveDate,
    /// Unanswered or failed check-ins in a row.
    pub misses: i32,
    pub active: bool,
    pub version: i64,
}

/// The title of the case task that a second missed check-in adds, in the language of the case's
/// worker (the task is stored as text, so it is written in the language of whoever reads it).
pub fn home_visit_task_title(l: Locale) -> &'static str {
    l.pick("Home visit: two check-in calls unanswered (hotline)", "家訪：熱線電話問候兩次未接通", "入户探访：热线电话问候两次未接通")
}

/// What one check-in attempt does to a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptEffect {
    pub next_due_on: NaiveDate,
    pub misses: i32,
    /// Two misses in a row: a home visit is due.
    pub home_visit: bool,
}

impl CheckInSchedule {
    /// An answered call sets the next check-in a period on; a miss retries the next day, and the
    /// second miss in a row sends a home visit (and the schedule carries on).
    pub fn attempt(&self, result: AttemptResult, today: NaiveDate) -> AttemptEffect {
        let period = today + Duration::days(i64::from(self.every_days));
        match result {
            AttemptResult::Answered => AttemptEffect { next_due_on: period, misses: 0, home_visit: false },
            AttemptResult::NoAnswer | AttemptResult::Failed => {
                let misses = self.misses + 1;
                if misses >= MISSES_FOR_HOME_VISIT {
                    AttemptEffect { next_due_on: period, misses: 0, home_visit: true }
                } else {
                    AttemptEffect { next_due_on: today + Duration::days(1), misses, home_visit: false }
                }
            }
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub unit_id: Option<UnitId>,
    pub client_id: Option<ClientId>,
    pub worker_id: Option<UserId>,
    pub every_days: i32,
    /// The first check-in; today when blank.
    #[serde(default)]
    pub first_on: Option<NaiveDate>,
}

#[derive(Clone, Debug)]
pub struct ScheduleFields {
    pub unit_id: UnitId,
    pub client_id: ClientId,
    pub worker_id: UserId,
    pub every_days: i32,
    pub first_on: NaiveDate,
}

impl ScheduleInput {
    pub fn validate(&self, today: NaiveDate) -> Result<ScheduleFields> {
        let mut v = Validator::new();
        for (f, missing) in
            [("unit_id", self.unit_id.is_none()), ("client_id", self.client_id.is_none()), ("worker_id", self.worker_id.is_none())]
        {
            if missing {
                v.push(FieldError::new(f, "required"));
            }
        }
        if !(1..=90).contains(&self.every_days) {
            v.push(FieldError::new("every_days", "out-of-range").with("min", 1).with("max", 90));
        }
        let first_on = self.first_on.unwrap_or(today);
        if first_on < today {
            v.push(FieldError::new("first_on", "in-past"));
        }
        v.finish()?;
        let (Some(unit_id), Some(client_id), Some(worker_id)) = (self.unit_id, self.client_id, self.worker_id) else {
            return Err(DomainError::invalid("schedule", "required"));
        };
        Ok(ScheduleFields { unit_id, client_id, worker_id, every_days: self.every_days, first_on })
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptInput {
    pub result: String,
    #[serde(default)]
    pub note: String,
}

impl AttemptInput {
    pub fn validate(&self) -> Result<(AttemptResult, String)> {
        let mut v = Validator::new();
        let r = pick(&mut v, "result", &self.result, AttemptResult::parse);
        let note = v.text("note", &self.note, false, NOTE_MAX);
        v.finish()?;
        r.map(|r| (r, note)).ok_or_else(|| DomainError::invalid("result", "required"))
    }
}

/// What a check-in attempt did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttemptOutcome {
    pub schedule: CheckInSchedule,
    /// The home-visit item put in the follow-up queue (no open case).
    pub home_visit: Option<FollowUp>,
    /// The case the home-visit task was added to (open case).
    pub home_visit_case: Option<CaseId>,
}

/// A flag on a caller with an expiry.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CallerFlag {
    pub client_id: ClientId,
    pub flag: CallerFlagKind,
    pub until: NaiveDate,
    pub set_by: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagInput {
    pub flag: String,
    pub until: NaiveDate,
}

impl FlagInput {
    pub fn validate(&self, today: NaiveDate) -> Result<(CallerFlagKind, NaiveDate)> {
        let mut v = Validator::new();
        let f = pick(&mut v, "flag", &self.flag, CallerFlagKind::parse);
        if self.until < today {
            v.push(FieldError::new("until", "in-past"));
        }
        v.finish()?;
        f.map(|f| (f, self.until)).ok_or_else(|| DomainError::invalid("flag", "required"))
    }
}

/// One call, as the statistics need it.
#[derive(Clone, Debug)]
pub struct CallFact {
    pub unit_id: UnitId,
    pub day: NaiveDate,
    pub client_id: Option<ClientId>,
    pub caller_phone: String,
    pub topics: Vec<String>,
    pub risk: Triage,
}

impl CallFact {
    /// Who called: the registered person, else the number; None for a withheld number.
    fn caller(&self) -> Option<String> {
        match (self.client_id, self.caller_phone.as_str()) {
            (Some(c), _) => Some(format!("c:{c}")),
            (None, "") => None,
            (None, p) => Some(format!("p:{p}")),
        }
    }
}

/// One follow-up done or check-in made, for the statistics.
#[derive(Clone, Debug)]
pub struct ActivityFact {
    pub unit_id: UnitId,
    pub day: NaiveDate,
}

/// Everything counted over a period.
#[derive(Clone, Debug, Default)]
pub struct HotlineFacts {
    pub calls: Vec<CallFact>,
    /// Follow-ups done.
    pub follow_ups: Vec<ActivityFact>,
    /// Check-in calls made to tracked persons.
    pub check_ins: Vec<ActivityFact>,
    pub shifts: Vec<Shift>,
}

code_enum!(
    /// How statistics break down.
    HotlineGrouping { Point = "point", Topic = "topic", Risk = "risk", Day = "day" }
);

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct HotlineRow {
    /// The point's unit id, topic code, risk code or day.
    pub key: String,
    pub calls: u64,
    /// Unique over the row's calls (never summed from sub-rows).
    pub unique_callers: u64,
    pub follow_ups: u64,
    pub check_ins: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct HotlineStats {
    /// Per call.
    pub calls: u64,
    /// Unique over the union of the period's calls: a registered person counts once, an
    /// unregistered number once; withheld numbers cannot be told apart and are not counted here.
    pub unique_callers: u64,
    /// Calls from withheld numbers.
    pub unidentified_calls: u64,
    /// Follow-ups done (per follow-up call).
    pub follow_ups: u64,
    /// Check-in calls to tracked vulnerable persons.
    pub check_ins: u64,
    pub shifts: u64,
    pub staff_hours: f64,
    pub rows: Vec<HotlineRow>,
}

/// The counts funders check. Unique callers are counted over the union of each row's calls
/// and of the whole period, never by adding rows together.
pub fn count_hotline(facts: &HotlineFacts, by: HotlineGrouping) -> HotlineStats {
    let mut rows: BTreeMap<String, (HotlineRow, BTreeSet<String>)> = BTreeMap::new();
    let mut everyone = BTreeSet::new();
    let mut unidentified = 0;
    for c in &facts.calls {
        let keys: Vec<String> = match by {
            HotlineGrouping::Point => vec![c.unit_id.to_string()],
            HotlineGrouping::Topic => c.topics.clone(),
            HotlineGrouping::Risk => vec![c.risk.as_str().to_string()],
            HotlineGrouping::Day => vec![c.day.to_string()],
        };
        let who = c.caller();
        match &who {
            Some(w) => {
                everyone.insert(w.clone());
            }
            None => unidentified += 1,
        }
        for k in keys {
            let e = rows.entry(k.clone()).or_insert_with(|| (HotlineRow { key: k, ..Default::default() }, BTreeSet::new()));
            e.0.calls += 1;
            if let Some(w) = &who {
                e.1.insert(w.clone());
            }
        }
    }
    let activity_key = |a: &ActivityFact| match by {
        HotlineGrouping::Point => Some(a.unit_id.to_string()),
        HotlineGrouping::Day => Some(a.day.to_string()),
        HotlineGrouping::Topic | HotlineGrouping::Risk => None,
    };
    for (list, follow) in [(&facts.follow_ups, true), (&facts.check_ins, false)] {
        for a in list {
            if let Some(k) = activity_key(a) {
                let e = rows.entry(k.clone()).or_insert_with(|| (HotlineRow { key: k, ..Default::default() }, BTreeSet::new()));
                if follow {
                    e.0.follow_ups += 1;
                } else {
                    e.0.check_ins += 1;
                }
            }
        }
    }
    HotlineStats {
        calls: facts.calls.len() as u64,
        unique_callers: everyone.len() as u64,
        unidentified_calls: unidentified,
        follow_ups: facts.follow_ups.len() as u64,
        check_ins: facts.check_ins.len() as u64,
        shifts: facts.shifts.len() as u64,
        staff_hours: (facts.shifts.iter().map(Shift::hours).sum::<f64>() * 100.0).round() / 100.0,
        rows: rows
            .into_values()
            .map(|(mut r, who)| {
                r.unique_callers = who.len() as u64;
                r
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).single().unwrap_or_default()
    }

    fn input() -> CallInput {
        CallInput {
            unit_id: Some(UnitId::new()),
            caller_phone: "9123 4567".into(),
            call_type: "counselling".into(),
            topics: vec!["anxiety".into()],
            duration_minutes: 12,
            note: "Worried about her son".into(),
            risk: "low".into(),
            outcome: "resolved".into(),
            ..Default::default()
        }
    }

    fn codes(r: Result<CallFields>) -> Vec<(String, &'static str)> {
        match r {
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn a_good_call_is_taken_with_its_phone_normalised() {
        let f = input().validate(now(), &default_topics(), UserId::new());
        let Ok(f) = f else { unreachable!("the call is valid") };
        assert_eq!(f.caller_phone, "91234567");
        assert_eq!(f.follow_up_due, None);
        assert_eq!(f.escalate_to, None);
    }

    #[test]
    fn high_risk_needs_a_named_supervisor_and_an_action() {
        let mut i = input();
        i.risk = "imminent".into();
        let errs = codes(i.validate(now(), &default_topics(), UserId::new()));
        assert_eq!(errs, vec![("escalate_to".into(), "escalation-required"), ("action".into(), "required")]);
        i.escalate_to = Some(UserId::new());
        i.action = "Called 999 with the caller".into();
        assert!(i.validate(now(), &default_topics(), UserId::new()).is_ok());
    }

    #[test]
    fn every_bad_field_is_reported() {
        let i = CallInput { topics: vec!["nope".into()], duration_minutes: -1, caller_phone: "12".into(), ..Default::default() };
        let fields: Vec<String> = codes(i.validate(now(), &default_topics(), UserId::new())).into_iter().map(|e| e.0).collect();
        assert_eq!(fields, ["unit_id", "caller_phone", "call_type", "topics", "duration_minutes", "risk", "outcome"]);
    }

    #[test]
    fn a_follow_up_is_due_a_day_later_unless_given() {
        let mut i = input();
        i.outcome = "follow_up".into();
        let Ok(f) = i.validate(now(), &default_topics(), UserId::new()) else { unreachable!("valid") };
        assert_eq!(f.follow_up_due, Some(now() + Duration::hours(24)));
    }

    #[test]
    fn two_misses_in_a_row_send_a_home_visit() {
        let today = now().date_naive();
        let mut s = CheckInSchedule {
            id: CheckInScheduleId::new(),
            unit_id: UnitId::new(),
            client_id: ClientId::new(),
            worker_id: UserId::new(),
            every_days: 2,
            next_due_on: today,
            misses: 0,
            active: true,
            version: 1,
        };
        let first = s.attempt(AttemptResult::NoAnswer, today);
        assert_eq!(first, AttemptEffect { next_due_on: today + Duration::days(1), misses: 1, home_visit: false });
        s.misses = first.misses;
        let second = s.attempt(AttemptResult::Failed, today + Duration::days(1));
        assert!(second.home_visit);
        assert_eq!(second.misses, 0);
        s.misses = 1;
        assert_eq!(s.attempt(AttemptResult::Answered, today).misses, 0);
    }

    #[test]
    fn unique_callers_are_counted_over_the_union() {
        let (a, b) = (UnitId::new(), UnitId::new());
        let day = now().date_naive();
        let client = ClientId::new();
        let fact = |unit, client_id, phone: &str, topics: &[&str]| CallFact {
            unit_id: unit,
            day,
            client_id,
            caller_phone: phone.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            risk: Triage::Low,
        };
        let facts = HotlineFacts {
            calls: vec![
                fact(a, Some(client), "91234567", &["anxiety"]),
                fact(b, Some(client), "", &["anxiety", "supplies"]),
                fact(b, None, "61234567", &["supplies"]),
                fact(a, None, "", &[]),
            ],
            ..Default::default()
        };
        let by_point = count_hotline(&facts, HotlineGrouping::Point);
        assert_eq!(by_point.calls, 4);
        // The same person called both points: 1 + 2 by point, but 2 over the union.
        assert_eq!(by_point.unique_callers, 2);
        assert_eq!(by_point.unidentified_calls, 1);
        assert_eq!(by_point.rows.iter().map(|r| r.unique_callers).sum::<u64>(), 3);
        let by_topic = count_hotline(&facts, HotlineGrouping::Topic);
        let supplies = by_topic.rows.iter().find(|r| r.key == "supplies").map(|r| (r.calls, r.unique_callers));
        assert_eq!(supplies, Some((2, 2)));
    }
}
