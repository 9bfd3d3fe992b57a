//! Groups, programmes, workshops and outings (小組 / 活動), their sessions (節), enrolment with
//! a waiting list, attendance (出席) and the counts funders check.
//!
//! Counting rules (shown with every count, see [`COUNTING_RULES`]):
//! - person-time (人次): one attendance of one person at one session;
//! - unique persons (人數): distinct people over the whole period and scope (a union, never a
//!   sum of smaller periods or units);
//! - a session is held when attendance was taken at it (at least one person present);
//! - a group or event is held in a period when one of its sessions was held in it.

use crate::clients::{code_enum, AgeBand, Category, Sex};
use crate::error::{FieldError, Result, Validator};
use crate::ids::{ActivityId, ClientId, GuestId, HouseholdId, OrgId, SessionId, UnitId, UserId};
use crate::locale::Locale;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

code_enum!(
    /// Group: fixed membership, a planned series of sessions. Programme: a one-off or short
    /// event with open enrolment. Workshop: training (also for staff and volunteers). Outing.
    ActivityKind { Group = "group", Programme = "programme", Workshop = "workshop", Outing = "outing" }
);

code_enum!(ActivityStatus { Planned = "planned", Running = "running", Completed = "completed", Cancelled = "cancelled" });

code_enum!(
    /// Who a workshop or activity is for.
    Audience { Participants = "participants", Staff = "staff", Volunteers = "volunteers" }
);

code_enum!(
    /// Group work stages (MZ/T 095-2017): 准备期, 形成期, 过渡期, 成熟期, 结束期.
    GroupStage { Preparation = "preparation", Formation = "formation", Transition = "transition", Maturity = "maturity", Ending = "ending" }
);

code_enum!(ObjectivesMet { Met = "met", PartlyMet = "partly_met", NotMet = "not_met" });

code_enum!(EnrolmentStatus { Enrolled = "enrolled", Waiting = "waiting", Withdrawn = "withdrawn" });

/// The rules every count is computed by, shown next to the figures.
pub const COUNTING_RULES: &str = "person-times = attendances of one person at one session; unique persons = distinct people over the \
whole period and scope (union, never a sum); a session is held when at least one person attended; a group or event is held when one \
of its sessions was held in the period; category = the activity's first target category";

/// A service domain: the core ones (elderly, youth, family) and the agency's specialty ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActivityDomain {
    pub code: String,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
    /// Elderly, youth and family: every agency has them.
    pub core: bool,
    pub active: bool,
}

impl ActivityDomain {
    pub fn name(&self, l: Locale) -> &str {
        l.pick(&self.name_en, &self.name_zh_hant, &self.name_zh_hans)
    }
}

/// The domains a new agency starts with; specialty ones can be added or switched off.
pub fn default_domains() -> Vec<ActivityDomain> {
    let d = |code: &str, en: &str, hant: &str, hans: &str, core: bool| ActivityDomain {
        code: code.into(),
        name_en: en.into(),
        name_zh_hant: hant.into(),
        name_zh_hans: hans.into(),
        core,
        active: true,
    };
    vec![
        d("elderly", "Elderly", "長者", "长者", true),
        d("youth", "Youth", "青少年", "青少年", true),
        d("family", "Family", "家庭", "家庭", true),
        d("disability", "Disability", "殘疾人士", "残疾人", false),
        d("volunteering", "Volunteering", "義工服務", "志愿服务", false),
        d("employment", "Employment", "就業", "就业", false),
        d("new_migrants", "New migrants", "新來港人士", "新市民", false),
        d("community_development", "Community development", "社區發展", "社区发展", false),
        d("community_correction", "Community correction", "社區矯正", "社区矫正", false),
    ]
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainInput {
    pub code: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub name_zh_hant: String,
    #[serde(default)]
    pub name_zh_hans: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl DomainInput {
    pub fn validate(&self) -> Result<ActivityDomain> {
        let mut v = Validator::new();
        let code = v.text("code", &self.code, true, 40);
        if !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            v.push(FieldError::new("code", "code-chars"));
        }
        let name_en = v.text("name_en", &self.name_en, false, 100);
        let name_zh_hant = v.text("name_zh_hant", &self.name_zh_hant, false, 100);
        let name_zh_hans = v.text("name_zh_hans", &self.name_zh_hans, false, 100);
        if name_en.is_empty() && name_zh_hant.is_empty() && name_zh_hans.is_empty() {
            v.push(FieldError::new("name_zh_hant", "name-required"));
        }
        v.finish()?;
        Ok(ActivityDomain { code, name_en, name_zh_hant, name_zh_hans, core: false, active: self.active })
    }
}

/// The closing evaluation of an activity.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Evaluation {
    pub objectives_met: ObjectivesMet,
    pub summary: String,
    pub evaluated_on: NaiveDate,
    pub evaluated_by: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Activity {
    pub id: ActivityId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    pub kind: ActivityKind,
    pub title_en: String,
    pub title_zh_hant: String,
    pub title_zh_hans: String,
    pub domain: String,
    /// Client category codes; the first one is the category the counts use.
    pub target_categories: Vec<String>,
    pub objectives: String,
    /// None: no limit.
    pub capacity: Option<i32>,
    pub audience: Audience,
    /// Staff in charge.
    pub staff: Vec<UserId>,
    pub volunteers_needed: i32,
    pub partners: String,
    /// Project or funding source.
    pub funding: String,
    pub status: ActivityStatus,
    /// Groups only.
    pub stage: Option<GroupStage>,
    pub evaluation: Option<Evaluation>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Activity {
    pub fn title(&self, l: Locale) -> &str {
        l.pick(&self.title_en, &self.title_zh_hant, &self.title_zh_hans)
    }

    /// The category attendances count under ("" when the activity names none).
    pub fn count_category(&self) -> &str {
        self.target_categories.first().map(String::as_str).unwrap_or("")
    }
}

/// An activity as submitted by a form or the API, before validation.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    pub unit_id: Option<UnitId>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title_en: String,
    #[serde(default)]
    pub title_zh_hant: String,
    #[serde(default)]
    pub title_zh_hans: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub target_categories: Vec<String>,
    #[serde(default)]
    pub objectives: String,
    /// Empty: no limit.
    #[serde(default)]
    pub capacity: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub staff: Vec<UserId>,
    #[serde(default)]
    pub volunteers_needed: String,
    #[serde(default)]
    pub partners: String,
    #[serde(default)]
    pub funding: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub stage: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActivityFields {
    pub unit_id: UnitId,
    pub kind: ActivityKind,
    pub title_en: String,
    pub title_zh_hant: String,
    pub title_zh_hans: String,
    pub domain: String,
    pub target_categories: Vec<String>,
    pub objectives: String,
    pub capacity: Option<i32>,
    pub audience: Audience,
    pub staff: Vec<UserId>,
    pub volunteers_needed: i32,
    pub partners: String,
    pub funding: String,
    pub status: ActivityStatus,
    pub stage: Option<GroupStage>,
}

impl ActivityFields {
    pub fn count_category(&self) -> &str {
        self.target_categories.first().map(String::as_str).unwrap_or("")
    }
}

fn small_number(v: &mut Validator, field: &str, raw: &str, max: i32) -> Option<i32> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i32>() {
        Ok(n) if (0..=max).contains(&n) => Some(n),
        _ => {
            v.push(FieldError::new(field, "out-of-range").with("min", 0).with("max", max));
            None
        }
    }
}

fn choice<T: Copy>(v: &mut Validator, field: &str, raw: &str, default: Option<T>, parse: fn(&str) -> Option<T>) -> Option<T> {
    match raw.trim() {
        "" if default.is_some() => default,
        "" => {
            v.push(FieldError::new(field, "required"));
            None
        }
        s => {
            let p = parse(s);
            if p.is_none() {
                v.push(FieldError::new(field, "unknown-choice"));
            }
            p
        }
    }
}

impl ActivityInput {
    pub fn validate(&self, domains: &[ActivityDomain], categories: &[Category]) -> Result<ActivityFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let kind = choice(&mut v, "kind", &self.kind, None, ActivityKind::parse);
        let title_en = v.text("title_en", &self.title_en, false, 200);
        let title_zh_hant = v.text("title_zh_hant", &self.title_zh_hant, false, 200);
        let title_zh_hans = v.text("title_zh_hans", &self.title_zh_hans, false, 200);
        if title_en.is_empty() && title_zh_hant.is_empty() && title_zh_hans.is_empty() {
            v.push(FieldError::new("title_zh_hant", "name-required"));
        }
        let domain = self.domain.trim().to_string();
        if domain.is_empty() {
            v.push(FieldError::new("domain", "required"));
        } else if !domains.iter().any(|d| d.code == domain && d.active) {
            v.push(FieldError::new("domain", "unknown-choice"));
        }
        let mut cats: Vec<String> = Vec::new();
        for c in self.target_categories.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            if !categories.iter().any(|k| k.code == c && k.active) {
                v.push(FieldError::new("target_categories", "unknown-choice").with("value", c));
            } else if !cats.iter().any(|x| x == c) {
                cats.push(c.to_string());
            }
        }
        let objectives = v.text("objectives", &self.objectives, false, 4000);
        let capacity = small_number(&mut v, "capacity", &self.capacity, 100_000);
        if capacity == Some(0) {
            v.push(FieldError::new("capacity", "out-of-range").with("min", 1).with("max", 100_000));
        }
        let audience = choice(&mut v, "audience", &self.audience, Some(Audience::Participants), Audience::parse);
        let mut staff = self.staff.clone();
        staff.sort();
        staff.dedup();
        let volunteers_needed = small_number(&mut v, "volunteers_needed", &self.volunteers_needed, 10_000).unwrap_or(0);
        let partners = v.text("partners", &self.partners, false, 1000);
        let funding = v.text("funding", &self.funding, false, 300);
        let status = choice(&mut v, "status", &self.status, Some(ActivityStatus::Planned), ActivityStatus::parse);
        let stage = match self.stage.trim() {
            "" => None,
            s => {
                let st = GroupStage::parse(s);
                if st.is_none() {
                    v.push(FieldError::new("stage", "unknown-choice"));
                }
                st
            }
        };
        if stage.is_some() && kind.is_some_and(|k| k != ActivityKind::Group) {
            v.push(FieldError::new("stage", "stage-groups-only"));
        }
        v.finish()?;
        Ok(ActivityFields {
            unit_id: self.unit_id.unwrap_or_default(),
            kind: kind.unwrap_or(ActivityKind::Programme),
            title_en,
            title_zh_hant,
            title_zh_hans,
            domain,
            target_categories: cats,
            objectives,
            capacity,
            audience: audience.unwrap_or(Audience::Participants),
            staff,
            volunteers_needed,
            partners,
            funding,
            status: status.unwrap_or(ActivityStatus::Planned),
            stage,
        })
    }
}

impl From<&Activity> for ActivityInput {
    fn from(a: &Activity) -> Self {
        Self {
            unit_id: Some(a.unit_id),
            kind: a.kind.as_str().into(),
            title_en: a.title_en.clone(),
            title_zh_hant: a.title_zh_hant.clone(),
            title_zh_hans: a.title_zh_hans.clone(),
            domain: a.domain.clone(),
            target_categories: a.target_categories.clone(),
            objectives: a.objectives.clone(),
            capacity: a.capacity.map(|c| c.to_string()).unwrap_or_default(),
            audience: a.audience.as_str().into(),
            staff: a.staff.clone(),
            volunteers_needed: a.volunteers_needed.to_string(),
            partners: a.partners.clone(),
            funding: a.funding.clone(),
            status: a.status.as_str().into(),
            stage: a.stage.map(|s| s.as_str().to_string()).unwrap_or_default(),
        }
    }
}

/// One planned session (節) of an activity.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Session {
    pub id: SessionId,
    pub org_id: OrgId,
    pub activity_id: ActivityId,
    pub unit_id: UnitId,
    /// 1, 2, 3 … in date order of planning.
    pub number: i32,
    pub date: NaiveDate,
    /// `HH:MM`, local time.
    pub starts_at: String,
    pub ends_at: String,
    pub venue: String,
    /// The session log (what was done, observations), written after the session.
    pub log: String,
    /// People marked present.
    pub attendance: i64,
    pub version: i64,
}

impl Session {
    pub fn held(&self) -> bool {
        self.attendance > 0
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`.
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub venue: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SessionFields {
    pub date: NaiveDate,
    pub starts_at: String,
    pub ends_at: String,
    pub venue: String,
}

pub(crate) fn parse_time(v: &mut Validator, field: &str, raw: &str) -> Option<NaiveTime> {
    match NaiveTime::parse_from_str(raw.trim(), "%H:%M") {
        Ok(t) => Some(t),
        Err(_) if raw.trim().is_empty() => {
            v.push(FieldError::new(field, "required"));
            None
        }
        Err(_) => {
            v.push(FieldError::new(field, "time"));
            None
        }
    }
}

pub fn parse_day(v: &mut Validator, field: &str, raw: &str) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) if raw.trim().is_empty() => {
            v.push(FieldError::new(field, "required"));
            None
        }
        Err(_) => {
            v.push(FieldError::new(field, "date"));
            None
        }
    }
}

impl SessionInput {
    pub fn validate(&self) -> Result<SessionFields> {
        let mut v = Validator::new();
        let date = parse_day(&mut v, "date", &self.date);
        let starts = parse_time(&mut v, "starts_at", &self.starts_at);
        let ends = parse_time(&mut v, "ends_at", &self.ends_at);
        if let (Some(s), Some(e)) = (starts, ends) {
            if e <= s {
                v.push(FieldError::new("ends_at", "time-order"));
            }
        }
        let venue = v.text("venue", &self.venue, false, 200);
        v.finish()?;
        let hm = |t: Option<NaiveTime>| t.map(|t| t.format("%H:%M").to_string()).unwrap_or_default();
        Ok(SessionFields { date: date.unwrap_or_default(), starts_at: hm(starts), ends_at: hm(ends), venue })
    }
}

/// A walk-in guest: recorded with minimal data, and counted as a person like a client.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestInput {
    /// A name or how the person wants to be called.
    pub name: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub age_band: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GuestFields {
    pub name: String,
    pub sex: Sex,
    pub age_band: Option<AgeBand>,
}

impl GuestInput {
    pub fn validate(&self) -> Result<GuestFields> {
        let mut v = Validator::new();
        let name = v.text("name", &self.name, true, 100);
        let sex = choice(&mut v, "sex", &self.sex, Some(Sex::Unknown), Sex::parse).unwrap_or(Sex::Unknown);
        let age_band = match self.age_band.trim() {
            "" => None,
            s => {
                let b = AgeBand::parse(s);
                if b.is_none() {
                    v.push(FieldError::new("age_band", "unknown-choice"));
                }
                b
            }
        };
        v.finish()?;
        Ok(GuestFields { name, sex, age_band })
    }
}

/// Who a participant is: a registered client or a walk-in guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attendee {
    Client(ClientId),
    Guest(GuestId),
}

/// A participant of an activity (enrolled, waiting, or a walk-in who attended).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Participant {
    /// The agency's compact number of the person (the counts use it).
    pub person_no: i64,
    pub attendee: Attendee,
    pub name: String,
    pub status: EnrolmentStatus,
    /// Place on the waiting list (1 is next), for those waiting.
    pub waiting_place: Option<i64>,
    pub enrolled_at: DateTime<Utc>,
}

/// Whom to enrol: clients, a whole household, or a guest.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolInput {
    #[serde(default)]
    pub clients: Vec<ClientId>,
    /// Every member of the household.
    #[serde(default)]
    pub household: Option<HouseholdId>,
    #[serde(default)]
    pub guest: Option<GuestInput>,
}

/// What an enrolment did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct EnrolOutcome {
    pub enrolled: u32,
    pub waiting: u32,
    /// Already enrolled or waiting: left as they were.
    pub unchanged: u32,
}

/// One line of the attendance checklist of a session.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttendanceLine {
    pub person_no: i64,
    pub attendee: Attendee,
    pub name: String,
    pub enrolment: Option<EnrolmentStatus>,
    pub present: bool,
}

/// A change of attendance: who is present and who is not (anyone else stays as they are).
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    #[serde(default)]
    pub present: Vec<i64>,
    #[serde(default)]
    pub absent: Vec<i64>,
    /// Marks every enrolled participant present ("all present").
    #[serde(default)]
    pub all_enrolled_present: bool,
}

/// What a marking changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct AttendanceOutcome {
    pub added: u32,
    pub removed: u32,
    /// People present at the session after the change.
    pub present: i64,
}

/// A session in a calendar, with the clashes of its staff.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CalendarEntry {
    pub session: Session,
    pub activity_title: String,
    pub kind: ActivityKind,
    pub staff: Vec<UserId>,
    /// Staff who have another session overlapping this one.
    pub clashes_for: Vec<UserId>,
}

code_enum!(
    /// How counts are broken down.
    CountGrain {
        Total = "total", Unit = "unit", Domain = "domain", Category = "category", Month = "month", Kind = "kind",
        UnitMonth = "unit_month",
    }
);

/// One row of counts for a period and scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct CountRow {
    /// The value of the breakdown (unit id, domain code, category code, `YYYY-MM`, kind); "" for the total.
    pub key: String,
    pub sessions_held: i64,
    /// Groups or events with a session held in the period.
    pub activities_held: i64,
    pub person_times: i64,
    /// Exact distinct people (not available by kind: then null).
    pub unique_persons: Option<i64>,
}

/// Counts with the period, scope and rule they were made by.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Counts {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Units counted (None: every unit of the agency).
    pub units: Option<Vec<UnitId>>,
    pub group_by: CountGrain,
    pub rule: &'static str,
    pub rows: Vec<CountRow>,
}

/// Filters for the activity list.
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct ActivityFilter {
    pub unit_id: Option<UnitId>,
    pub kind: String,
    pub domain: String,
    pub status: String,
    /// Text in any title.
    pub q: String,
}

impl ActivityFilter {
    pub fn matches(&self, a: &Activity) -> bool {
        let q = self.q.trim().to_lowercase();
        self.unit_id.is_none_or(|u| a.unit_id == u)
            && (self.kind.is_empty() || a.kind.as_str() == self.kind)
            && (self.domain.is_empty() || a.domain == self.domain)
            && (self.status.is_empty() || a.status.as_str() == self.status)
            && (q.is_empty() || [&a.title_en, &a.title_zh_hant, &a.title_zh_hans].iter().any(|t| t.to_lowercase().contains(&q)))
    }
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationInput {
    pub objectives_met: String,
    #[serde(default)]
    pub summary: String,
}

impl EvaluationInput {
    pub fn validate(&self, on: NaiveDate, by: &str) -> Result<Evaluation> {
        let mut v = Validator::new();
        let met = choice(&mut v, "objectives_met", &self.objectives_met, None, ObjectivesMet::parse);
        let summary = v.text("summary", &self.summary, true, 8000);
        v.finish()?;
        Ok(Evaluation { objectives_met: met.unwrap_or(ObjectivesMet::NotMet), summary, evaluated_on: on, evaluated_by: by.into() })
    }
}

/// Whether two `HH:MM` ranges on one day overlap.
pub fn overlaps(a: (&str, &str), b: (&str, &str)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// A staff member recorded present at a session (staff training such as a cultural-competence
/// workshop). Staff are accounts, not participants: they have no person number and do not count
/// in the participants' person-times or unique persons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StaffPresent {
    pub user_id: UserId,
    pub name: String,
    pub marked_by: String,
    pub marked_at: DateTime<Utc>,
}

/// The staff present at a session: the whole list, replacing what was recorded.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffAttendanceInput {
    #[serde(default)]
    pub present: Vec<UserId>,
}

/// `YYYYMM` of a day: the month key of the unique-person rollups.
pub fn month_key(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    d.year() * 100 + d.month() as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::default_categories;

    fn input() -> ActivityInput {
        ActivityInput {
            unit_id: Some(UnitId::new()),
            kind: "group".into(),
            title_zh_hant: "長者記憶訓練小組".into(),
            domain: "elderly".into(),
            target_categories: vec!["elderly_alone".into(), "carer".into(), "elderly_alone".into()],
            capacity: "12".into(),
            stage: "formation".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_group() {
        let f = input().validate(&default_domains(), &default_categories()).expect("valid");
        assert_eq!(f.kind, ActivityKind::Group);
        assert_eq!(f.target_categories, ["elderly_alone", "carer"], "duplicates collapse");
        assert_eq!(f.count_category(), "elderly_alone");
        assert_eq!(f.capacity, Some(12));
        assert_eq!(f.status, ActivityStatus::Planned);
    }

    #[test]
    fn every_problem_is_reported() {
        let mut i = input();
        i.kind = "party".into();
        i.title_zh_hant.clear();
        i.domain = "astronomy".into();
        i.capacity = "-3".into();
        let Err(crate::DomainError::Invalid(errs)) = i.validate(&default_domains(), &default_categories()) else { unreachable!("invalid") };
        let fields: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            [("kind", "unknown-choice"), ("title_zh_hant", "name-required"), ("domain", "unknown-choice"), ("capacity", "out-of-range")]
        );
        let mut i = input();
        i.kind = "programme".into();
        assert!(i.validate(&default_domains(), &default_categories()).is_err(), "stages are for groups");
    }

    #[test]
    fn sessions_end_after_they_start() {
        let s = SessionInput { date: "2026-11-30".into(), starts_at: "14:30".into(), ends_at: "16:00".into(), venue: " Room 1 ".into() };
        let f = s.validate().expect("valid");
        assert_eq!((f.starts_at.as_str(), f.venue.as_str()), ("14:30", "Room 1"));
        let bad = SessionInput { ends_at: "14:00".into(), ..s };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn overlapping_times() {
        assert!(overlaps(("09:00", "10:00"), ("09:30", "11:00")));
        assert!(!overlaps(("09:00", "10:00"), ("10:00", "11:00")), "back to back is no clash");
        assert_eq!(month_key(NaiveDate::from_ymd_opt(2026, 3, 9).unwrap_or_default()), 202603);
    }
}
