//! Volunteers and peer supporters (義工/志愿者, 朋輩支援員/朋辈支持者): the register, training
//! courses and the rules that make them required, peer-supporter pathway stages, duties that
//! post needs, assignments with clash checks, service hours, milestone tiers, matching and the
//! counts funders check. The rules are pure functions here.
//!
//! A duty has a kind code and an optional reference, so capabilities built later (deliveries,
//! toy-library openings, outreach) post duties of their own kind without a new table. Before
//! they dispatch a volunteer they ask [`eligibility`] (or `web::volunteers::may_serve`).

use crate::activities::{parse_day, parse_time};
use crate::clients::{code_enum, normalise_phone, parse_id_doc, IdDocType};
use crate::error::{FieldError, Result, Validator};
use crate::hotline::pick;
use crate::ids::{AssignmentId, ClientId, CourseId, DutyId, HourEntryId, OrgId, StageId, TrainingId, UnitId, UserId, VolunteerId};
use crate::locale::Locale;
use crate::DomainError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

code_enum!(
    /// What a person does for the agency. A duty may ask for one of these.
    VolunteerRole {
        Volunteer = "volunteer", CommunityAssistant = "community_assistant", DistrictAmbassador = "district_ambassador",
        PeerSupporter = "peer_supporter",
    }
);
code_enum!(
    /// Background check (e.g. the Sexual Conviction Record Check in Hong Kong).
    CheckStatus { NotDone = "not_done", Pending = "pending", Cleared = "cleared", Refused = "refused" }
);
code_enum!(
    /// The P.E.E.R. pathway of a peer supporter: enlightenment → enabling → thrive.
    PeerStage { Enlightenment = "enlightenment", Enabling = "enabling", Thrive = "thrive" }
);
code_enum!(
    /// Whether a duty still takes volunteers.
    DutyStatus { Open = "open", Cancelled = "cancelled" }
);
code_enum!(
    /// A volunteer on a duty, or no longer.
    AssignmentStatus { Assigned = "assigned", Withdrawn = "withdrawn" }
);
code_enum!(
    /// How a volunteer came onto a duty.
    SignUpVia { Staff = "staff", SelfService = "self", Link = "link" }
);
code_enum!(
    /// Where an hour entry comes from.
    HourSource { Duty = "duty", SelfReport = "self_report", Staff = "staff" }
);
code_enum!(
    /// Self-reported hours wait for a staff member's decision; hours from duties and hours staff
    /// record are approved at once.
    HourStatus { Pending = "pending", Approved = "approved", Rejected = "rejected" }
);
code_enum!(
    /// Parts of the week a volunteer is free: the morning (before 12:00), the afternoon
    /// (12:00–18:00) and the evening of each day.
    Slot {
        MonAm = "mon_am", MonPm = "mon_pm", MonEve = "mon_eve", TueAm = "tue_am", TuePm = "tue_pm", TueEve = "tue_eve",
        WedAm = "wed_am", WedPm = "wed_pm", WedEve = "wed_eve", ThuAm = "thu_am", ThuPm = "thu_pm", ThuEve = "thu_eve",
        FriAm = "fri_am", FriPm = "fri_pm", FriEve = "fri_eve", SatAm = "sat_am", SatPm = "sat_pm", SatEve = "sat_eve",
        SunAm = "sun_am", SunPm = "sun_pm", SunEve = "sun_eve",
    }
);
code_enum!(
    /// How hour totals break down.
    TotalsBy { Volunteer = "volunteer", Team = "team", Unit = "unit" }
);

/// Duty kinds this capability knows; other capabilities post their own codes (`a-z 0-9 _`).
pub mod kinds {
    pub const ACTIVITY_SESSION: &str = "activity_session";
    pub const HOTLINE_SHIFT: &str = "hotline_shift";
    pub const DELIVERY: &str = "delivery";
    pub const TOY_LIBRARY: &str = "toy_library";
    pub const OUTREACH: &str = "outreach";
    pub const GENERAL: &str = "general";
    /// Offered in the duty form.
    pub const LISTED: [&str; 6] = [ACTIVITY_SESSION, HOTLINE_SHIFT, DELIVERY, TOY_LIBRARY, OUTREACH, GENERAL];
}

/// Skills and languages are short codes or words chosen by the agency (e.g. `first_aid`, `cantonese`).
const LIST_ITEM_MAX: usize = 40;
const LIST_MAX: usize = 30;
/// The longest duty.
pub const MAX_DUTY_HOURS: i64 = 24;
/// The most hours one entry can hold.
pub const MAX_ENTRY_MINUTES: i32 = 24 * 60;
/// How long a signed sign-up link stays valid.
pub const LINK_DAYS: i64 = 14;

/// A list of words (skills, languages): trimmed, lower-cased, unique, at most 30.
fn word_list(v: &mut Validator, field: &str, raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in raw.iter().flat_map(|r| r.split([',', '、', '，'])) {
        let w = w.trim().to_lowercase();
        if w.is_empty() {
            continue;
        }
        if w.chars().count() > LIST_ITEM_MAX {
            v.push(FieldError::new(field, "too-long").with("max", LIST_ITEM_MAX));
        } else if !out.contains(&w) {
            out.push(w);
        }
    }
    if out.len() > LIST_MAX {
        v.push(FieldError::new(field, "too-many").with("max", LIST_MAX));
    }
    out
}

fn codes<T: Copy + PartialEq>(v: &mut Validator, field: &str, raw: &[String], parse: fn(&str) -> Option<T>) -> Vec<T> {
    let mut out = Vec::new();
    for r in raw.iter().flat_map(|r| r.split(',')).map(str::trim).filter(|r| !r.is_empty()) {
        match parse(r) {
            Some(x) if !out.contains(&x) => out.push(x),
            Some(_) => {}
            None => v.push(FieldError::new(field, "invalid-choice").with("code", r)),
        }
    }
    out
}

fn optional_day(v: &mut Validator, field: &str, raw: &str) -> Option<NaiveDate> {
    if raw.trim().is_empty() {
        None
    } else {
        parse_day(v, field, raw)
    }
}

/// A registered volunteer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Volunteer {
    pub id: VolunteerId,
    pub org_id: OrgId,
    /// The unit whose staff look after the volunteer.
    pub unit_id: UnitId,
    /// The client record of the same person (people with lived experience are often clients).
    pub client_id: Option<ClientId>,
    /// The login of the volunteer (role `volunteer` or `peer_supporter`), if they have one.
    pub user_id: Option<UserId>,
    pub name_zh: String,
    pub name_en: String,
    pub phone: String,
    pub email: String,
    pub id_doc_type: Option<IdDocType>,
    /// The full number only for callers holding the identity-number grant; otherwise `****1234`.
    pub id_doc_number: Option<String>,
    pub district: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub roles: Vec<VolunteerRole>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub availability: Vec<Slot>,
    /// e.g. youth volunteers, a school team, a corporate team.
    pub team: String,
    pub check_status: CheckStatus,
    pub check_expires_on: Option<NaiveDate>,
    pub emergency_name: String,
    pub emergency_phone: String,
    pub active: bool,
    pub joined_on: NaiveDate,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl Volunteer {
    pub fn display_name(&self) -> String {
        crate::clients::display_name(&self.name_zh, &self.name_en)
    }

    /// A cleared check that has not expired on `day`.
    pub fn check_valid(&self, day: NaiveDate) -> bool {
        self.check_status == CheckStatus::Cleared && self.check_expires_on.is_none_or(|e| e >= day)
    }
}

/// A volunteer as submitted by a form or the API.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolunteerInput {
    pub unit_id: Option<UnitId>,
    #[serde(default)]
    pub client_id: Option<ClientId>,
    #[serde(default)]
    pub user_id: Option<UserId>,
    #[serde(default)]
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub id_doc_type: String,
    #[serde(default)]
    pub id_doc_number: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub latitude: String,
    #[serde(default)]
    pub longitude: String,
    /// Role codes; `volunteer` when none is given.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// Slot codes such as `sat_am`.
    #[serde(default)]
    pub availability: Vec<String>,
    #[serde(default)]
    pub team: String,
    /// `not_done` when blank.
    #[serde(default)]
    pub check_status: String,
    #[serde(default)]
    pub check_expires_on: String,
    #[serde(default)]
    pub emergency_name: String,
    #[serde(default)]
    pub emergency_phone: String,
    /// `YYYY-MM-DD`; today when blank.
    #[serde(default)]
    pub joined_on: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// The version loaded (edits only).
    #[serde(default)]
    pub version: i64,
}

fn yes() -> bool {
    true
}

/// A validated volunteer.
#[derive(Clone, Debug, PartialEq)]
pub struct VolunteerFields {
    pub unit_id: UnitId,
    pub client_id: Option<ClientId>,
    pub user_id: Option<UserId>,
    pub name_zh: String,
    pub name_en: String,
    pub phone: String,
    pub email: String,
    pub id_doc: Option<(IdDocType, String)>,
    pub district: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub roles: Vec<VolunteerRole>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub availability: Vec<Slot>,
    pub team: String,
    pub check_status: CheckStatus,
    pub check_expires_on: Option<NaiveDate>,
    pub emergency_name: String,
    pub emergency_phone: String,
    pub active: bool,
    pub joined_on: NaiveDate,
}

impl VolunteerInput {
    pub fn validate(&self, today: NaiveDate) -> Result<VolunteerFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let name_zh = v.text("name_zh", &self.name_zh, false, 100);
        let name_en = v.text("name_en", &self.name_en, false, 100);
        if name_zh.is_empty() && name_en.is_empty() {
            v.push(FieldError::new("name_zh", "name-required"));
        }
        let phone = match self.phone.trim() {
            "" => String::new(),
            p => normalise_phone(p).unwrap_or_else(|| {
                v.push(FieldError::new("phone", "phone").with("value", p));
                String::new()
            }),
        };
        let email = v.text("email", &self.email, false, 200);
        if !(email.is_empty() || email.contains('@') && email.contains('.')) {
            v.push(FieldError::new("email", "vol-email"));
        }
        let id_doc = parse_id_doc(&mut v, &self.id_doc_type, &self.id_doc_number);
        let district = v.text("district", &self.district, false, 100);
        let latitude = v.coordinate("latitude", &self.latitude, 90.0);
        let longitude = v.coordinate("longitude", &self.longitude, 180.0);
        if latitude.is_some() != longitude.is_some() {
            v.push(FieldError::new("longitude", "coordinates-pair"));
        }
        let mut roles = codes(&mut v, "roles", &self.roles, VolunteerRole::parse);
        if roles.is_empty() {
            roles.push(VolunteerRole::Volunteer);
        }
        let skills = word_list(&mut v, "skills", &self.skills);
        let languages = word_list(&mut v, "languages", &self.languages);
        let availability = codes(&mut v, "availability", &self.availability, Slot::parse);
        let team = v.text("team", &self.team, false, 100);
        let check_status = if self.check_status.trim().is_empty() {
            Some(CheckStatus::NotDone)
        } else {
            pick(&mut v, "check_status", &self.check_status, CheckStatus::parse)
        };
        let check_expires_on = optional_day(&mut v, "check_expires_on", &self.check_expires_on);
        let emergency_name = v.text("emergency_name", &self.emergency_name, false, 100);
        let emergency_phone = match self.emergency_phone.trim() {
            "" => String::new(),
            p => normalise_phone(p).unwrap_or_else(|| {
                v.push(FieldError::new("emergency_phone", "phone").with("value", p));
                String::new()
            }),
        };
        let joined_on = optional_day(&mut v, "joined_on", &self.joined_on).unwrap_or(today);
        if joined_on > today {
            v.push(FieldError::new("joined_on", "date-future"));
        }
        v.finish()?;
        let (Some(unit_id), Some(check_status)) = (self.unit_id, check_status) else {
            return Err(DomainError::invalid("unit_id", "required"));
        };
        Ok(VolunteerFields {
            unit_id,
            client_id: self.client_id,
            user_id: self.user_id,
            name_zh,
            name_en,
            phone,
            email,
            id_doc,
            district,
            latitude,
            longitude,
            roles,
            skills,
            languages,
            availability,
            team,
            check_status,
            check_expires_on,
            emergency_name,
            emergency_phone,
            active: self.active,
            joined_on,
        })
    }
}

/// A training course; `required_for` lists the roles that may not serve without it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Course {
    pub id: CourseId,
    pub title_en: String,
    pub title_zh_hant: String,
    pub title_zh_hans: String,
    /// Length of the course, in hours (e.g. 1.5).
    pub hours: f64,
    /// Months a completion stays valid (first aid: 36); none: for good.
    pub valid_months: Option<u32>,
    pub required_for: Vec<VolunteerRole>,
    pub active: bool,
    pub version: i64,
}

impl Course {
    pub fn title(&self, l: Locale) -> &str {
        l.pick(&self.title_en, &self.title_zh_hant, &self.title_zh_hans)
    }

    /// When a completion on `on` stops counting.
    pub fn expires(&self, on: NaiveDate) -> Option<NaiveDate> {
        self.valid_months.and_then(|m| on.checked_add_months(chrono::Months::new(m)))
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseInput {
    #[serde(default)]
    pub title_en: String,
    #[serde(default)]
    pub title_zh_hant: String,
    #[serde(default)]
    pub title_zh_hans: String,
    /// Hours, e.g. `3` or `1.5`.
    pub hours: String,
    /// Blank: a completion never expires.
    #[serde(default)]
    pub valid_months: String,
    /// Role codes that need this course.
    #[serde(default)]
    pub required_for: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CourseFields {
    pub title_en: String,
    pub title_zh_hant: String,
    pub title_zh_hans: String,
    pub minutes: i32,
    pub valid_months: Option<u32>,
    pub required_for: Vec<VolunteerRole>,
    pub active: bool,
}

/// Parses hours written as `2`, `1.5` or `1:30` into minutes (0 to 24 h).
pub fn parse_hours(v: &mut Validator, field: &str, raw: &str) -> Option<i32> {
    let raw = raw.trim();
    if raw.is_empty() {
        v.push(FieldError::new(field, "required"));
        return None;
    }
    let minutes = match raw.split_once(':') {
        Some((h, m)) => match (h.trim().parse::<i32>(), m.trim().parse::<i32>()) {
            (Ok(h), Ok(m)) if (0..60).contains(&m) && h >= 0 => Some(h * 60 + m),
            _ => None,
        },
        None => raw.parse::<f64>().ok().filter(|h| h.is_finite() && *h >= 0.0).map(|h| (h * 60.0).round() as i32),
    };
    match minutes {
        Some(m) if m > 0 && m <= MAX_ENTRY_MINUTES => Some(m),
        _ => {
            v.push(FieldError::new(field, "vol-hours").with("max", MAX_ENTRY_MINUTES / 60));
            None
        }
    }
}

impl CourseInput {
    pub fn validate(&self) -> Result<CourseFields> {
        let mut v = Validator::new();
        let title_en = v.text("title_en", &self.title_en, false, 200);
        let title_zh_hant = v.text("title_zh_hant", &self.title_zh_hant, false, 200);
        let title_zh_hans = v.text("title_zh_hans", &self.title_zh_hans, false, 200);
        if title_en.is_empty() && title_zh_hant.is_empty() && title_zh_hans.is_empty() {
            v.push(FieldError::new("title_zh_hant", "name-required"));
        }
        let minutes = parse_hours(&mut v, "hours", &self.hours);
        let valid_months = match self.valid_months.trim() {
            "" => None,
            m => match m.parse::<u32>() {
                Ok(m) if (1..=120).contains(&m) => Some(m),
                _ => {
                    v.push(FieldError::new("valid_months", "out-of-range").with("min", 1).with("max", 120));
                    None
                }
            },
        };
        let required_for = codes(&mut v, "required_for", &self.required_for, VolunteerRole::parse);
        v.finish()?;
        Ok(CourseFields {
            title_en,
            title_zh_hant,
            title_zh_hans,
            minutes: minutes.unwrap_or_default(),
            valid_months,
            required_for,
            active: self.active,
        })
    }
}

/// A course a volunteer completed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Training {
    pub id: TrainingId,
    pub volunteer_id: VolunteerId,
    pub course_id: CourseId,
    pub completed_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub recorded_by: String,
}

impl Training {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.expires_on.is_none_or(|e| e >= day)
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingInput {
    pub course_id: Option<CourseId>,
    /// `YYYY-MM-DD`; today when blank.
    #[serde(default)]
    pub completed_on: String,
}

impl TrainingInput {
    pub fn validate(&self, today: NaiveDate) -> Result<(CourseId, NaiveDate)> {
        let mut v = Validator::new();
        if self.course_id.is_none() {
            v.push(FieldError::new("course_id", "required"));
        }
        let on = optional_day(&mut v, "completed_on", &self.completed_on).unwrap_or(today);
        if on > today {
            v.push(FieldError::new("completed_on", "date-future"));
        }
        v.finish()?;
        self.course_id.map(|c| (c, on)).ok_or_else(|| DomainError::invalid("course_id", "required"))
    }
}

/// A peer supporter's stage on the pathway, from a date.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = PeerStageEntry)]
pub struct Stage {
    pub id: StageId,
    pub volunteer_id: VolunteerId,
    pub stage: PeerStage,
    pub started_on: NaiveDate,
    pub note: String,
    pub recorded_by: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    pub stage: String,
    /// `YYYY-MM-DD`; today when blank.
    #[serde(default)]
    pub started_on: String,
    #[serde(default)]
    pub note: String,
}

impl StageInput {
    /// A stage starts on or after the last one; the pathway goes forward or repeats, not back
    /// to a date before the current stage.
    pub fn validate(&self, today: NaiveDate, previous: Option<&Stage>) -> Result<(PeerStage, NaiveDate, String)> {
        let mut v = Validator::new();
        let stage = pick(&mut v, "stage", &self.stage, PeerStage::parse);
        let on = optional_day(&mut v, "started_on", &self.started_on).unwrap_or(today);
        if on > today {
            v.push(FieldError::new("started_on", "date-future"));
        }
        if let Some(p) = previous {
            if on < p.started_on {
                v.push(FieldError::new("started_on", "vol-stage-order"));
            }
        }
        let note = v.text("note", &self.note, false, 1000);
        v.finish()?;
        stage.map(|s| (s, on, note)).ok_or_else(|| DomainError::invalid("stage", "required"))
    }
}

/// A duty that needs volunteers.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Duty {
    pub id: DutyId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    /// `activity_session`, `hotline_shift`, `delivery`, `toy_library`, `outreach`, `general`, or
    /// another capability's code.
    pub kind: String,
    /// What the kind points at (an activity session's id for `activity_session`), if anything.
    pub ref_id: Option<uuid::Uuid>,
    pub title: String,
    /// The role asked for; none: any volunteer.
    pub role: Option<VolunteerRole>,
    pub needed: i32,
    pub filled: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The local service date.
    pub day: NaiveDate,
    pub location: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The person served, if any: volunteers see only a name and district.
    pub client_id: Option<ClientId>,
    pub courses: Vec<CourseId>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    /// A cleared background check is needed (work alone with children or older people).
    pub needs_check: bool,
    pub status: DutyStatus,
    pub created_by: String,
    pub version: i64,
}

impl Duty {
    pub fn minutes(&self) -> i32 {
        (self.ends_at - self.starts_at).num_minutes() as i32
    }

    pub fn need(&self) -> Need<'_> {
        Need { role: self.role, courses: &self.courses, needs_check: self.needs_check, starts_at: self.starts_at, ends_at: self.ends_at }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyInput {
    pub unit_id: Option<UnitId>,
    /// `general` when blank.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub ref_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub role: String,
    pub needed: i32,
    /// `YYYY-MM-DD` (local); for an activity session, blank takes the session's.
    #[serde(default)]
    pub date: String,
    /// `HH:MM` local.
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub latitude: String,
    #[serde(default)]
    pub longitude: String,
    #[serde(default)]
    pub client_id: Option<ClientId>,
    #[serde(default)]
    pub courses: Vec<CourseId>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub needs_check: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DutyFields {
    pub unit_id: UnitId,
    pub kind: String,
    pub ref_id: Option<uuid::Uuid>,
    pub title: String,
    pub role: Option<VolunteerRole>,
    pub needed: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub day: NaiveDate,
    pub location: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub client_id: Option<ClientId>,
    pub courses: Vec<CourseId>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub needs_check: bool,
}

/// A local date and `HH:MM` in `tz` as UTC (the earlier of two in a DST fold).
pub fn local_to_utc(tz: chrono_tz::Tz, day: NaiveDate, time: chrono::NaiveTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&day.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
}

impl DutyInput {
    /// `courses`: the agency's course list (a duty may require only known ones).
    pub fn validate(&self, tz: chrono_tz::Tz, today: NaiveDate, courses: &[Course]) -> Result<DutyFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let kind = if self.kind.trim().is_empty() { kinds::GENERAL.to_string() } else { self.kind.trim().to_string() };
        if !crate::error::is_code(&kind) {
            v.push(FieldError::new("kind", "code-chars"));
        }
        if kind == kinds::ACTIVITY_SESSION && self.ref_id.is_none() {
            v.push(FieldError::new("ref_id", "required"));
        }
        let title = v.text("title", &self.title, true, 200);
        let role = if self.role.trim().is_empty() { None } else { pick(&mut v, "role", &self.role, VolunteerRole::parse) };
        if !(1..=500).contains(&self.needed) {
            v.push(FieldError::new("needed", "out-of-range").with("min", 1).with("max", 500));
        }
        let day = parse_day(&mut v, "date", &self.date);
        if day.is_some_and(|d| d < today - Duration::days(366) || d > today + Duration::days(731)) {
            v.push(FieldError::new("date", "service-date-range"));
        }
        let starts = parse_time(&mut v, "starts_at", &self.starts_at);
        let ends = parse_time(&mut v, "ends_at", &self.ends_at);
        let mut span = None;
        if let (Some(d), Some(s), Some(e)) = (day, starts, ends) {
            // A duty ending at or before its start time runs past midnight.
            let end_day = if e <= s { d + Duration::days(1) } else { d };
            match (local_to_utc(tz, d, s), local_to_utc(tz, end_day, e)) {
                (Some(a), Some(b)) if b - a <= Duration::hours(MAX_DUTY_HOURS) => span = Some((a, b)),
                _ => v.push(FieldError::new("ends_at", "shift-length").with("max", MAX_DUTY_HOURS)),
            }
        }
        let location = v.text("location", &self.location, false, 300);
        let latitude = v.coordinate("latitude", &self.latitude, 90.0);
        let longitude = v.coordinate("longitude", &self.longitude, 180.0);
        if latitude.is_some() != longitude.is_some() {
            v.push(FieldError::new("longitude", "coordinates-pair"));
        }
        let mut required = Vec::new();
        for c in &self.courses {
            if !courses.iter().any(|k| k.id == *c) {
                v.push(FieldError::new("courses", "unknown-reference"));
            } else if !required.contains(c) {
                required.push(*c);
            }
        }
        let skills = word_list(&mut v, "skills", &self.skills);
        let languages = word_list(&mut v, "languages", &self.languages);
        v.finish()?;
        let (Some(unit_id), Some((starts_at, ends_at)), Some(day)) = (self.unit_id, span, day) else {
            return Err(DomainError::invalid("duty", "required"));
        };
        Ok(DutyFields {
            unit_id,
            kind,
            ref_id: self.ref_id,
            title,
            role,
            needed: self.needed,
            starts_at,
            ends_at,
            day,
            location,
            latitude,
            longitude,
            client_id: self.client_id,
            courses: required,
            skills,
            languages,
            needs_check: self.needs_check,
        })
    }
}

/// One volunteer on one duty.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Assignment {
    pub id: AssignmentId,
    pub duty_id: DutyId,
    pub volunteer_id: VolunteerId,
    pub volunteer_name: String,
    pub unit_id: UnitId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: AssignmentStatus,
    pub via: SignUpVia,
    pub check_in_at: Option<DateTime<Utc>>,
    pub check_out_at: Option<DateTime<Utc>>,
    /// The hours entry the duty gave (check-out or staff confirmation).
    pub hours_entry: Option<HourEntryId>,
    pub version: i64,
}

/// The time a volunteer is already committed to.
#[derive(Clone, Debug)]
pub struct Busy {
    pub duty_id: DutyId,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// What a duty (or another capability's dispatch) needs of a volunteer.
#[derive(Clone, Copy, Debug)]
pub struct Need<'a> {
    pub role: Option<VolunteerRole>,
    /// Courses the duty asks for; courses its role requires are added by [`eligibility`].
    pub courses: &'a [CourseId],
    pub needs_check: bool,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Why a volunteer may not take a duty. `code` is the field-error code shown to the user.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Refusal {
    pub code: &'static str,
    pub course_id: Option<CourseId>,
    pub duty_id: Option<DutyId>,
    /// A course title or the clashing duty's title, for the message.
    pub detail: String,
}

impl Refusal {
    fn new(code: &'static str) -> Self {
        Self { code, course_id: None, duty_id: None, detail: String::new() }
    }

    pub fn field_error(&self, field: &str) -> FieldError {
        FieldError::new(field, self.code).with("detail", &self.detail)
    }
}

/// The answer to "may this volunteer do a duty needing this, at that time?".
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Eligibility {
    pub volunteer_id: VolunteerId,
    pub eligible: bool,
    /// Empty when eligible.
    pub refusals: Vec<Refusal>,
}

/// The courses a need requires: its own and those required for its role.
pub fn required_courses(need: &Need<'_>, courses: &[Course]) -> Vec<CourseId> {
    let mut out: Vec<CourseId> = need.courses.to_vec();
    if let Some(role) = need.role {
        for c in courses.iter().filter(|c| c.active && c.required_for.contains(&role)) {
            if !out.contains(&c.id) {
                out.push(c.id);
            }
        }
    }
    out
}

/// May `v` take on a duty that needs `need`? Every reason it may not is listed: not active,
/// lacking the role, a required course not done or expired on the duty's day, no valid
/// background check where one is needed, and a clash with another duty (`busy`, excluding the
/// duty itself). `skip`: the duty being assigned, so it does not clash with itself.
pub fn eligibility(
    v: &Volunteer,
    trainings: &[Training],
    courses: &[Course],
    need: &Need<'_>,
    busy: &[Busy],
    skip: Option<DutyId>,
    day: NaiveDate,
) -> Eligibility {
    let mut refusals = Vec::new();
    if !v.active {
        refusals.push(Refusal::new("vol-inactive"));
    }
    if let Some(role) = need.role {
        if !v.roles.contains(&role) {
            refusals.push(Refusal { detail: role.as_str().into(), ..Refusal::new("vol-role-missing") });
        }
    }
    for id in required_courses(need, courses) {
        let title = courses.iter().find(|c| c.id == id).map(|c| c.title(Locale::ZhHantHk).to_string()).unwrap_or_default();
        let done: Vec<&Training> = trainings.iter().filter(|t| t.course_id == id && t.volunteer_id == v.id).collect();
        if done.is_empty() {
            refusals.push(Refusal { course_id: Some(id), detail: title, ..Refusal::new("vol-course-missing") });
        } else if !done.iter().any(|t| t.valid_on(day)) {
            refusals.push(Refusal { course_id: Some(id), detail: title, ..Refusal::new("vol-course-expired") });
        }
    }
    if need.needs_check && !v.check_valid(day) {
        let code = if v.check_status == CheckStatus::Cleared { "vol-check-expired" } else { "vol-check-missing" };
        refusals.push(Refusal::new(code));
    }
    for b in busy.iter().filter(|b| Some(b.duty_id) != skip) {
        if b.starts_at < need.ends_at && need.starts_at < b.ends_at {
            refusals.push(Refusal { duty_id: Some(b.duty_id), detail: b.title.clone(), ..Refusal::new("vol-clash") });
        }
    }
    Eligibility { volunteer_id: v.id, eligible: refusals.is_empty(), refusals }
}

/// The slot of the week a local time falls in.
pub fn slot_of(local: chrono::NaiveDateTime) -> Slot {
    let part = match local.hour() {
        0..=11 => 0,
        12..=17 => 1,
        _ => 2,
    };
    let day = local.weekday().num_days_from_monday() as usize;
    Slot::ALL[day * 3 + part]
}

/// Great-circle distance in kilometres (one formula for the whole product).
pub use crate::coverage::distance_km;

/// Why a volunteer is suggested for a duty, shown next to the suggestion.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct MatchReasons {
    /// The duty's skills the volunteer has.
    pub skills: Vec<String>,
    /// The duty's languages the volunteer speaks.
    pub languages: Vec<String>,
    /// Kilometres from the volunteer's home (or their client record's address) to the duty.
    pub distance_km: Option<f64>,
    /// Free in that part of the week.
    pub available: bool,
}

/// A suggested volunteer: eligible ones first, then by score.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Suggestion {
    pub volunteer_id: VolunteerId,
    pub name: String,
    pub eligibility: Eligibility,
    pub reasons: MatchReasons,
    pub score: f64,
}

/// A volunteer who might take a duty: their record, where they live, and whether they may.
pub type Candidate = (Volunteer, Option<(f64, f64)>, Eligibility);

/// Ranks candidates for a duty by skill, language, distance and availability. `place`: the
/// volunteer's coordinates (their own, else their client record's). `local_start`: the duty's
/// start in the agency's time zone.
pub fn rank(
    duty: &Duty,
    duty_place: Option<(f64, f64)>,
    local_start: chrono::NaiveDateTime,
    candidates: Vec<Candidate>,
) -> Vec<Suggestion> {
    let slot = slot_of(local_start);
    let mut out: Vec<Suggestion> = candidates
        .into_iter()
        .map(|(v, place, eligibility)| {
            let skills: Vec<String> = duty.skills.iter().filter(|s| v.skills.contains(s)).cloned().collect();
            let languages: Vec<String> = duty.languages.iter().filter(|s| v.languages.contains(s)).cloned().collect();
            let distance_km = match (duty_place, place) {
                (Some(a), Some(b)) => Some((distance_km(a, b) * 10.0).round() / 10.0),
                _ => None,
            };
            let available = v.availability.contains(&slot);
            let score = 3.0 * skills.len() as f64 + 2.0 * languages.len() as f64 + if available { 2.0 } else { 0.0 }
                - distance_km.map(|d| d / 5.0).unwrap_or(1.0);
            Suggestion {
                volunteer_id: v.id,
                name: v.display_name(),
                eligibility,
                reasons: MatchReasons { skills, languages, distance_km, available },
                score: (score * 100.0).round() / 100.0,
            }
        })
        .collect();
    out.sort_by(|a, b| b.eligibility.eligible.cmp(&a.eligibility.eligible).then(b.score.total_cmp(&a.score)).then(a.name.cmp(&b.name)));
    out
}

/// One entry of a volunteer's hours.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HourEntry {
    pub id: HourEntryId,
    pub volunteer_id: VolunteerId,
    pub unit_id: UnitId,
    pub source: HourSource,
    pub duty_id: Option<DutyId>,
    pub assignment_id: Option<AssignmentId>,
    pub served_on: NaiveDate,
    pub minutes: i32,
    /// Service content (服務內容/服务内容).
    pub content: String,
    pub status: HourStatus,
    pub decided_by: String,
    pub version: i64,
}

impl HourEntry {
    pub fn hours(&self) -> f64 {
        f64::from(self.minutes) / 60.0
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursInput {
    /// `YYYY-MM-DD`.
    pub served_on: String,
    /// Hours, e.g. `2`, `1.5` or `1:30`.
    pub hours: String,
    /// What was done.
    pub content: String,
    /// The unit served (self-reports: the volunteer's own unit when blank).
    #[serde(default)]
    pub unit_id: Option<UnitId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HoursFields {
    pub served_on: NaiveDate,
    pub minutes: i32,
    pub content: String,
    pub unit_id: Option<UnitId>,
}

impl HoursInput {
    pub fn validate(&self, today: NaiveDate) -> Result<HoursFields> {
        let mut v = Validator::new();
        let on = parse_day(&mut v, "served_on", &self.served_on);
        if on.is_some_and(|d| d > today) {
            v.push(FieldError::new("served_on", "date-future"));
        }
        if on.is_some_and(|d| d < today - Duration::days(366)) {
            v.push(FieldError::new("served_on", "service-date-range"));
        }
        let minutes = parse_hours(&mut v, "hours", &self.hours);
        let content = v.text("content", &self.content, true, 500);
        v.finish()?;
        match (on, minutes) {
            (Some(served_on), Some(minutes)) => Ok(HoursFields { served_on, minutes, content, unit_id: self.unit_id }),
            _ => Err(DomainError::invalid("hours", "required")),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = HoursDecisionInput)]
pub struct DecisionInput {
    pub approve: bool,
    pub version: i64,
}

/// Hours a duty gives when a volunteer checks out: the time on duty, within the duty's span
/// (arriving early or leaving late does not add hours). At least one minute.
pub fn duty_minutes(duty_start: DateTime<Utc>, duty_end: DateTime<Utc>, check_in: DateTime<Utc>, check_out: DateTime<Utc>) -> i32 {
    let from = check_in.max(duty_start);
    let to = check_out.min(duty_end);
    ((to - from).num_minutes() as i32).clamp(1, MAX_ENTRY_MINUTES)
}

/// A milestone tier (bronze 50 h a year, …), configurable per agency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Tier {
    pub code: String,
    pub hours: f64,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
}

impl Tier {
    pub fn name(&self, l: Locale) -> &str {
        l.pick(&self.name_en, &self.name_zh_hant, &self.name_zh_hans)
    }
}

/// Milestone tiers for individuals and for teams, per year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VolunteerSettings {
    pub individual: Vec<Tier>,
    pub team: Vec<Tier>,
    #[serde(default)]
    pub version: i64,
}

impl Default for VolunteerSettings {
    /// The tiers long used in Hong Kong: 50/100/200 hours a year, teams 300/600/1000.
    fn default() -> Self {
        let t = |code: &str, hours: f64, en: &str, hant: &str, hans: &str| Tier {
            code: code.into(),
            hours,
            name_en: en.into(),
            name_zh_hant: hant.into(),
            name_zh_hans: hans.into(),
        };
        Self {
            individual: vec![
                t("bronze", 50.0, "Bronze", "銅狀", "铜奖"),
                t("silver", 100.0, "Silver", "銀狀", "银奖"),
                t("gold", 200.0, "Gold", "金狀", "金奖"),
            ],
            team: vec![
                t("bronze", 300.0, "Bronze", "銅狀", "铜奖"),
                t("silver", 600.0, "Silver", "銀狀", "银奖"),
                t("gold", 1000.0, "Gold", "金狀", "金奖"),
            ],
            version: 0,
        }
    }
}

impl VolunteerSettings {
    /// Tiers sorted by hours, codes `a-z 0-9 _` and unique, hours above zero, names given.
    pub fn validate(&self) -> Result<VolunteerSettings> {
        let mut v = Validator::new();
        let mut check = |list: &[Tier], field: &str| -> Vec<Tier> {
            let mut seen = BTreeSet::new();
            let mut out = Vec::new();
            for (i, t) in list.iter().enumerate() {
                let code = v.list_code(&format!("{field}[{i}].code"), &t.code, &mut seen);
                if !(t.hours.is_finite() && t.hours > 0.0 && t.hours <= 100_000.0) {
                    v.push(FieldError::new(format!("{field}[{i}].hours"), "out-of-range").with("min", 1).with("max", 100_000));
                }
                let name_en = v.text(&format!("{field}[{i}].name_en"), &t.name_en, true, 60);
                let name_zh_hant = v.text(&format!("{field}[{i}].name_zh_hant"), &t.name_zh_hant, true, 60);
                let name_zh_hans = v.text(&format!("{field}[{i}].name_zh_hans"), &t.name_zh_hans, true, 60);
                out.push(Tier { code, hours: t.hours, name_en, name_zh_hant, name_zh_hans });
            }
            out.sort_by(|a, b| a.hours.total_cmp(&b.hours));
            out
        };
        let individual = check(&self.individual, "individual");
        let team = check(&self.team, "team");
        v.finish()?;
        Ok(VolunteerSettings { individual, team, version: self.version })
    }
}

/// The highest tier `hours` reach, if any.
pub fn tier_reached(tiers: &[Tier], hours: f64) -> Option<&Tier> {
    tiers.iter().filter(|t| hours + 1e-9 >= t.hours).max_by(|a, b| a.hours.total_cmp(&b.hours))
}

/// One approved hour entry (or one duty served), as the totals and reports need it.
#[derive(Clone, Debug)]
pub struct HourFact {
    pub volunteer_id: VolunteerId,
    pub unit_id: UnitId,
    pub team: String,
    pub served_on: NaiveDate,
    pub minutes: i32,
    /// The duty the hours came from: each is one volunteer person-time.
    pub duty_id: Option<DutyId>,
}

/// Hours per volunteer, team or unit (the key), with the tier reached.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct TotalRow {
    /// The volunteer's id, the team's name or the unit's id.
    pub key: String,
    pub hours: f64,
    /// Volunteer person-times (duties served).
    pub person_times: u64,
    /// Distinct volunteers in the row.
    pub volunteers: u64,
    /// The tier reached (individual tiers for volunteers, team tiers for teams).
    pub tier: Option<String>,
}

/// Minutes, duties served (person-times) and distinct volunteers of one row.
#[derive(Default)]
struct Tally {
    minutes: i64,
    duties: BTreeSet<(VolunteerId, DutyId)>,
    who: BTreeSet<VolunteerId>,
}

impl Tally {
    fn add(&mut self, f: &HourFact) {
        self.minutes += i64::from(f.minutes);
        if let Some(d) = f.duty_id {
            self.duties.insert((f.volunteer_id, d));
        }
        self.who.insert(f.volunteer_id);
    }

    fn hours(&self) -> f64 {
        round2(self.minutes as f64 / 60.0)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Hours of the facts (one year's, as a rule) by volunteer, team or unit.
pub fn totals(facts: &[HourFact], by: TotalsBy, settings: &VolunteerSettings) -> Vec<TotalRow> {
    let mut rows: BTreeMap<String, Tally> = BTreeMap::new();
    for f in facts {
        let key = match by {
            TotalsBy::Volunteer => f.volunteer_id.to_string(),
            TotalsBy::Team => f.team.clone(),
            TotalsBy::Unit => f.unit_id.to_string(),
        };
        rows.entry(key).or_default().add(f);
    }
    rows.into_iter()
        .map(|(key, t)| {
            let hours = t.hours();
            let tier = match by {
                TotalsBy::Volunteer => tier_reached(&settings.individual, hours).map(|t| t.code.clone()),
                TotalsBy::Team if !key.is_empty() => tier_reached(&settings.team, hours).map(|t| t.code.clone()),
                _ => None,
            };
            TotalRow { key, hours, person_times: t.duties.len() as u64, volunteers: t.who.len() as u64, tier }
        })
        .collect()
}

/// A row of the report by unit and month.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ReportRow {
    pub unit_id: UnitId,
    /// `YYYY-MM`.
    pub month: String,
    /// One volunteer at one duty.
    pub person_times: u64,
    /// Distinct volunteers (over the row, never a sum of rows).
    pub volunteers: u64,
    pub hours: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct VolunteerReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The counting rule, so a funder can check it.
    pub rule: String,
    pub person_times: u64,
    /// Distinct volunteers over the whole period and scope.
    pub volunteers: u64,
    pub hours: f64,
    pub rows: Vec<ReportRow>,
}

pub const COUNTING_RULE: &str =
    "volunteer hours = approved hours actually served, per volunteer (duties checked out or confirmed by staff, \
self-reports approved by staff); volunteer person-times = one volunteer at one duty; volunteers = distinct people over the period";

/// Person-times, distinct volunteers and hours by unit and month; totals over the union.
pub fn report(facts: &[HourFact], from: NaiveDate, to: NaiveDate) -> VolunteerReport {
    let mut rows: BTreeMap<(UnitId, String), Tally> = BTreeMap::new();
    let mut all = Tally::default();
    for f in facts.iter().filter(|f| f.served_on >= from && f.served_on <= to) {
        rows.entry((f.unit_id, f.served_on.format("%Y-%m").to_string())).or_default().add(f);
        all.add(f);
    }
    VolunteerReport {
        from,
        to,
        rule: COUNTING_RULE.into(),
        person_times: all.duties.len() as u64,
        volunteers: all.who.len() as u64,
        hours: all.hours(),
        rows: rows
            .into_iter()
            .map(|((unit_id, month), t)| ReportRow {
                unit_id,
                month,
                person_times: t.duties.len() as u64,
                volunteers: t.who.len() as u64,
                hours: t.hours(),
            })
            .collect(),
    }
}

/// Volunteers beside social workers on one activity.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RatioRow {
    pub activity_id: crate::ids::ActivityId,
    pub title: String,
    pub unit_id: UnitId,
    /// Distinct volunteers on duty at its sessions in the period.
    pub volunteers: u64,
    /// Staff named on the activity.
    pub social_workers: u64,
    /// Volunteers per social worker; none when no staff is named.
    pub ratio: Option<f64>,
}

pub fn ratio(volunteers: u64, social_workers: u64) -> Option<f64> {
    (social_workers > 0).then(|| round2(volunteers as f64 / social_workers as f64))
}

/// A signed sign-up link's content: HMAC-SHA256 over the agency, volunteer, duty and expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkClaim {
    pub org_id: OrgId,
    pub volunteer_id: VolunteerId,
    pub duty_id: DutyId,
    /// Unix seconds.
    pub expires: i64,
}

impl LinkClaim {
    const LEN: usize = 16 * 3 + 8;

    /// The signed bytes: the three ids and the expiry, big-endian.
    pub fn payload(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..16].copy_from_slice(self.org_id.0.as_bytes());
        out[16..32].copy_from_slice(self.volunteer_id.0.as_bytes());
        out[32..48].copy_from_slice(self.duty_id.0.as_bytes());
        out[48..].copy_from_slice(&self.expires.to_be_bytes());
        out
    }

    pub fn from_payload(b: &[u8]) -> Option<LinkClaim> {
        if b.len() != Self::LEN {
            return None;
        }
        let id = |r: std::ops::Range<usize>| uuid::Uuid::from_slice(&b[r]).ok();
        let mut exp = [0u8; 8];
        exp.copy_from_slice(&b[48..]);
        Some(LinkClaim {
            org_id: OrgId(id(0..16)?),
            volunteer_id: VolunteerId(id(16..32)?),
            duty_id: DutyId(id(32..48)?),
            expires: i64::from_be_bytes(exp),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 7).unwrap_or_default()
    }

    fn at(h: u32) -> DateTime<Utc> {
        local_to_utc(chrono_tz::Asia::Hong_Kong, day(), chrono::NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default()).unwrap_or_default()
    }

    fn volunteer() -> Volunteer {
        let input = VolunteerInput { unit_id: Some(UnitId::new()), name_zh: "李小明".into(), ..Default::default() };
        let Ok(f) = input.validate(day()) else { unreachable!("valid") };
        Volunteer {
            id: VolunteerId::new(),
            org_id: OrgId::new(),
            unit_id: f.unit_id,
            client_id: None,
            user_id: None,
            name_zh: f.name_zh,
            name_en: f.name_en,
            phone: String::new(),
            email: String::new(),
            id_doc_type: None,
            id_doc_number: None,
            district: String::new(),
            latitude: Some(22.28),
            longitude: Some(114.17),
            roles: f.roles,
            skills: vec!["first_aid".into()],
            languages: vec!["cantonese".into(), "english".into()],
            availability: vec![Slot::SatAm],
            team: "youth".into(),
            check_status: CheckStatus::NotDone,
            check_expires_on: None,
            emergency_name: String::new(),
            emergency_phone: String::new(),
            active: true,
            joined_on: day(),
            version: 1,
            created_at: at(9),
        }
    }

    fn course(roles: &[VolunteerRole], months: Option<u32>) -> Course {
        Course {
            id: CourseId::new(),
            title_en: "Hotline listening".into(),
            title_zh_hant: "熱線聆聽訓練".into(),
            title_zh_hans: "热线聆听训练".into(),
            hours: 6.0,
            valid_months: months,
            required_for: roles.to_vec(),
            active: true,
            version: 1,
        }
    }

    fn codes(e: &Eligibility) -> Vec<&'static str> {
        e.refusals.iter().map(|r| r.code).collect()
    }

    #[test]
    fn a_new_volunteer_defaults_to_the_volunteer_role_and_reports_every_bad_field() {
        let v = volunteer();
        assert_eq!(v.roles, vec![VolunteerRole::Volunteer]);
        let bad = VolunteerInput {
            phone: "12".into(),
            roles: vec!["wizard".into()],
            availability: vec!["mon_am,someday".into()],
            latitude: "22.3".into(),
            check_status: "maybe".into(),
            ..Default::default()
        };
        let Err(DomainError::Invalid(errs)) = bad.validate(day()) else { unreachable!("invalid") };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["unit_id", "name_zh", "phone", "longitude", "roles", "availability", "check_status"]);
    }

    #[test]
    fn a_required_course_missing_or_expired_is_refused_with_its_title() {
        let v = volunteer();
        let c = course(&[VolunteerRole::Volunteer], Some(12));
        let need = Need { role: Some(VolunteerRole::Volunteer), courses: &[], needs_check: false, starts_at: at(9), ends_at: at(12) };
        let e = eligibility(&v, &[], std::slice::from_ref(&c), &need, &[], None, day());
        assert_eq!(codes(&e), ["vol-course-missing"]);
        assert_eq!(e.refusals[0].detail, "熱線聆聽訓練");
        let old = Training {
            id: TrainingId::new(),
            volunteer_id: v.id,
            course_id: c.id,
            completed_on: day() - Duration::days(400),
            expires_on: c.expires(day() - Duration::days(400)),
            recorded_by: "x".into(),
        };
        let e = eligibility(&v, std::slice::from_ref(&old), std::slice::from_ref(&c), &need, &[], None, day());
        assert_eq!(codes(&e), ["vol-course-expired"]);
        let fresh = Training { completed_on: day(), expires_on: c.expires(day()), id: TrainingId::new(), ..old.clone() };
        let e = eligibility(&v, &[old, fresh], std::slice::from_ref(&c), &need, &[], None, day());
        assert!(e.eligible, "{e:?}");
    }

    #[test]
    fn role_check_and_clash_are_all_reported_but_a_duty_does_not_clash_with_itself() {
        let v = volunteer();
        let need = Need { role: Some(VolunteerRole::PeerSupporter), courses: &[], needs_check: true, starts_at: at(10), ends_at: at(12) };
        let other = DutyId::new();
        let busy = vec![
            Busy { duty_id: other, title: "Food bank".into(), starts_at: at(11), ends_at: at(13) },
            Busy { duty_id: DutyId::new(), title: "Later".into(), starts_at: at(12), ends_at: at(14) },
        ];
        let e = eligibility(&v, &[], &[], &need, &busy, None, day());
        assert_eq!(codes(&e), ["vol-role-missing", "vol-check-missing", "vol-clash"]);
        assert_eq!(e.refusals[2].detail, "Food bank");
        let e = eligibility(&v, &[], &[], &need, &busy, Some(other), day());
        assert_eq!(codes(&e), ["vol-role-missing", "vol-check-missing"]);
    }

    #[test]
    fn a_cleared_check_counts_until_it_expires() {
        let mut v = volunteer();
        v.check_status = CheckStatus::Cleared;
        v.check_expires_on = Some(day());
        assert!(v.check_valid(day()));
        assert!(!v.check_valid(day() + Duration::days(1)));
    }

    #[test]
    fn duties_take_local_times_and_may_run_past_midnight() {
        let hk = chrono_tz::Asia::Hong_Kong;
        let mut i = DutyInput {
            unit_id: Some(UnitId::new()),
            title: "Night hotline".into(),
            needed: 2,
            date: "2026-03-07".into(),
            starts_at: "22:00".into(),
            ends_at: "02:00".into(),
            ..Default::default()
        };
        let Ok(f) = i.validate(hk, day(), &[]) else { unreachable!("valid") };
        assert_eq!(f.kind, "general");
        assert_eq!((f.ends_at - f.starts_at).num_hours(), 4);
        assert_eq!(f.starts_at.to_rfc3339(), "2026-03-07T14:00:00+00:00");
        i.kind = "Delivery!".into();
        i.courses = vec![CourseId::new()];
        i.needed = 0;
        let Err(DomainError::Invalid(errs)) = i.validate(hk, day(), &[]) else { unreachable!("invalid") };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["kind", "needed", "courses"]);
    }

    #[test]
    fn hours_parse_as_decimals_or_hours_and_minutes() {
        let mut v = Validator::new();
        assert_eq!(parse_hours(&mut v, "h", "1.5"), Some(90));
        assert_eq!(parse_hours(&mut v, "h", "2:15"), Some(135));
        assert_eq!(parse_hours(&mut v, "h", "3"), Some(180));
        assert!(v.finish().is_ok());
        let mut v = Validator::new();
        assert_eq!(parse_hours(&mut v, "h", "0"), None);
        assert_eq!(parse_hours(&mut v, "h", "25"), None);
        assert_eq!(parse_hours(&mut v, "h", "abc"), None);
        assert!(v.finish().is_err());
    }

    #[test]
    fn check_out_counts_only_the_time_within_the_duty() {
        assert_eq!(duty_minutes(at(9), at(12), at(8), at(13)), 180);
        assert_eq!(duty_minutes(at(9), at(12), at(10), at(11)), 60);
        assert_eq!(duty_minutes(at(9), at(12), at(11), at(11)), 1);
    }

    #[test]
    fn tiers_follow_the_agency_settings() {
        let s = VolunteerSettings::default();
        assert_eq!(tier_reached(&s.individual, 49.9).map(|t| t.code.as_str()), None);
        assert_eq!(tier_reached(&s.individual, 50.0).map(|t| t.code.as_str()), Some("bronze"));
        assert_eq!(tier_reached(&s.individual, 250.0).map(|t| t.code.as_str()), Some("gold"));
        assert_eq!(tier_reached(&s.team, 650.0).map(|t| t.code.as_str()), Some("silver"));
        let mut custom = s.clone();
        custom.individual =
            vec![Tier { code: "star".into(), hours: 20.0, name_en: "Star".into(), name_zh_hant: "星".into(), name_zh_hans: "星".into() }];
        let Ok(mut custom) = custom.validate() else { unreachable!("valid") };
        assert_eq!(tier_reached(&custom.individual, 25.0).map(|t| t.code.as_str()), Some("star"));
        custom.individual.push(custom.individual[0].clone());
        assert!(custom.validate().is_err(), "a code twice");
    }

    #[test]
    fn report_counts_distinct_volunteers_over_the_union_and_person_times_per_duty() {
        let (u1, u2) = (UnitId::new(), UnitId::new());
        let (a, b) = (VolunteerId::new(), VolunteerId::new());
        let (d1, d2) = (DutyId::new(), DutyId::new());
        let f = |v, u, d: Option<DutyId>, m: u32, minutes| HourFact {
            volunteer_id: v,
            unit_id: u,
            team: "youth".into(),
            served_on: NaiveDate::from_ymd_opt(2026, m, 10).unwrap_or_default(),
            minutes,
            duty_id: d,
        };
        let facts = vec![
            f(a, u1, Some(d1), 3, 120),
            f(b, u1, Some(d1), 3, 120),
            f(a, u2, Some(d2), 4, 60),
            // Self-reported: hours, not a person-time.
            f(a, u2, None, 4, 30),
        ];
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default();
        let r = report(&facts, from, to);
        assert_eq!((r.person_times, r.volunteers, r.hours), (3, 2, 5.5));
        assert_eq!(r.rows.iter().map(|r| r.volunteers).sum::<u64>(), 3, "rows count a twice; the total counts a once");
        let by_team = totals(&facts, TotalsBy::Team, &VolunteerSettings::default());
        assert_eq!(by_team, vec![TotalRow { key: "youth".into(), hours: 5.5, person_times: 3, volunteers: 2, tier: None }]);
        let by_volunteer = totals(&facts, TotalsBy::Volunteer, &VolunteerSettings::default());
        assert_eq!(by_volunteer.iter().map(|r| r.hours).sum::<f64>(), 5.5);
    }

    #[test]
    fn matching_puts_eligible_volunteers_first_and_says_why() {
        let duty_place = (22.28, 114.17);
        let mut near = volunteer();
        near.name_zh = "近".into();
        let mut far = volunteer();
        far.name_zh = "遠".into();
        far.latitude = Some(22.5);
        far.longitude = Some(114.0);
        far.availability = vec![];
        let unfit = volunteer();
        let duty = Duty {
            id: DutyId::new(),
            org_id: OrgId::new(),
            unit_id: UnitId::new(),
            kind: kinds::GENERAL.into(),
            ref_id: None,
            title: "Visit".into(),
            role: None,
            needed: 1,
            filled: 0,
            starts_at: at(9),
            ends_at: at(11),
            day: day(),
            location: String::new(),
            latitude: Some(duty_place.0),
            longitude: Some(duty_place.1),
            client_id: None,
            courses: vec![],
            skills: vec!["first_aid".into()],
            languages: vec!["english".into(), "urdu".into()],
            needs_check: false,
            status: DutyStatus::Open,
            created_by: "x".into(),
            version: 1,
        };
        let ok = |v: &Volunteer| Eligibility { volunteer_id: v.id, eligible: true, refusals: vec![] };
        let no = |v: &Volunteer| Eligibility { volunteer_id: v.id, eligible: false, refusals: vec![Refusal::new("vol-inactive")] };
        let place = |v: &Volunteer| v.latitude.zip(v.longitude);
        let local = at(9).with_timezone(&chrono_tz::Asia::Hong_Kong).naive_local();
        let ranked = rank(
            &duty,
            Some(duty_place),
            local,
            vec![(unfit.clone(), place(&unfit), no(&unfit)), (far.clone(), place(&far), ok(&far)), (near.clone(), place(&near), ok(&near))],
        );
        let names: Vec<&str> = ranked.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["近", "遠", "李小明"]);
        assert_eq!(
            ranked[0].reasons,
            MatchReasons { skills: vec!["first_aid".into()], languages: vec!["english".into()], distance_km: Some(0.0), available: true }
        );
        assert!(ranked[1].reasons.distance_km.unwrap_or_default() > 20.0);
        assert_eq!(slot_of(local), Slot::SatAm, "7 March 2026 is a Saturday");
    }

    #[test]
    fn link_claims_round_trip() {
        let c = LinkClaim { org_id: OrgId::new(), volunteer_id: VolunteerId::new(), duty_id: DutyId::new(), expires: 1_800_000_000 };
        assert_eq!(LinkClaim::from_payload(&c.payload()), Some(c));
        assert_eq!(LinkClaim::from_payload(&c.payload()[1..]), None);
    }
}
