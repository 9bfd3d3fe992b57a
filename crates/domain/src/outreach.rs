//! Outreach (外展): sessions out in a district with the people contacted, interpretation and
//! translation requests, medical escorts (陪診/陪诊) and home visits, for ethnic minorities and
//! people who cannot come in. Language is a field of every record here: codes are BCP-47
//! (`ur`, `ne`, `yue`, …) from [`LANGUAGES`], named in the three UI languages. The rules
//! (validation, the order of steps, the counts) are pure functions; `store::outreach` applies
//! them inside its transactions.

use crate::clients::{code_enum, PreferredLanguage};
use crate::error::{FieldError, Result, Validator};
use crate::ids::{CaseId, ClientId, EscortId, InterpretationId, OrgId, OutreachSessionId, UnitId, UserId, VisitId};
use crate::locale::Locale;
use crate::DomainError;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

// ---------------------------------------------------------------------------------------------
// Languages

/// A language the agency serves in, by its BCP-47 code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Language {
    pub code: &'static str,
    pub name_en: &'static str,
    pub name_zh_hant: &'static str,
    pub name_zh_hans: &'static str,
}

impl Language {
    pub fn name(&self, l: Locale) -> &'static str {
        l.pick(self.name_en, self.name_zh_hant, self.name_zh_hans)
    }
}

const fn lang(code: &'static str, name_en: &'static str, name_zh_hant: &'static str, name_zh_hans: &'static str) -> Language {
    Language { code, name_en, name_zh_hant, name_zh_hans }
}

/// The languages of interpretation and outreach records (South and Southeast Asian languages
/// first, as ethnic-minority work in Hong Kong meets them).
pub const LANGUAGES: &[Language] = &[
    lang("ur", "Urdu", "烏爾都語", "乌尔都语"),
    lang("ne", "Nepali", "尼泊爾語", "尼泊尔语"),
    lang("hi", "Hindi", "印地語", "印地语"),
    lang("pa", "Punjabi", "旁遮普語", "旁遮普语"),
    lang("bn", "Bengali", "孟加拉語", "孟加拉语"),
    lang("tl", "Tagalog", "他加祿語", "他加禄语"),
    lang("id", "Indonesian", "印尼語", "印尼语"),
    lang("th", "Thai", "泰語", "泰语"),
    lang("vi", "Vietnamese", "越南語", "越南语"),
    lang("ar", "Arabic", "阿拉伯語", "阿拉伯语"),
    lang("yue", "Cantonese", "廣東話", "粤语"),
    lang("cmn", "Putonghua (Mandarin)", "普通話", "普通话"),
    lang("en", "English", "英語", "英语"),
];

pub fn language(code: &str) -> Option<&'static Language> {
    LANGUAGES.iter().find(|l| l.code == code)
}

/// The language's name in `l`, or the code itself when it is not on the list.
pub fn language_name(code: &str, l: Locale) -> String {
    language(code).map(|x| x.name(l).to_string()).unwrap_or_else(|| code.to_string())
}

/// The BCP-47 code of a client's preferred language (None for `other`).
pub fn client_language(p: PreferredLanguage) -> Option<&'static str> {
    Some(match p {
        PreferredLanguage::Cantonese => "yue",
        PreferredLanguage::Putonghua => "cmn",
        PreferredLanguage::English => "en",
        PreferredLanguage::Urdu => "ur",
        PreferredLanguage::Nepali => "ne",
        PreferredLanguage::Hindi => "hi",
        PreferredLanguage::Tagalog => "tl",
        PreferredLanguage::BahasaIndonesia => "id",
        PreferredLanguage::Other => return None,
    })
}

/// A language as someone typed it (a code, a name in any of the three languages, or a client
/// language code such as `urdu`), e.g. from a volunteer's list of languages.
pub fn language_from_word(word: &str) -> Option<&'static str> {
    let w = word.trim().to_lowercase();
    if w.is_empty() {
        return None;
    }
    if let Some(p) = PreferredLanguage::parse(&w) {
        if let Some(code) = client_language(p) {
            return Some(code);
        }
    }
    LANGUAGES
        .iter()
        .find(|l| {
            l.code == w
                || l.name_en.to_lowercase() == w
                || l.name_zh_hant == w
                || l.name_zh_hans == w
                || l.name_en.to_lowercase().split([' ', '(', ')']).next() == Some(w.as_str())
        })
        .map(|l| l.code)
}

/// Checks a list of language codes someone covers: known codes, unique, at most 20.
pub fn validate_languages(raw: &[String]) -> Result<Vec<String>> {
    let mut v = Validator::new();
    let mut out: Vec<String> = Vec::new();
    for w in raw.iter().flat_map(|r| r.split([',', '、', '，', ' '])) {
        if w.trim().is_empty() {
            continue;
        }
        match language_from_word(w) {
            Some(code) if !out.iter().any(|c| c == code) => out.push(code.to_string()),
            Some(_) => {}
            None => v.push(FieldError::new("languages", "unknown-language").with("language", w.trim())),
        }
    }
    if out.len() > 20 {
        v.push(FieldError::new("languages", "too-many").with("max", 20));
    }
    v.finish()?;
    Ok(out)
}

/// The languages one account covers as an interpreter: declared here, plus those of the
/// volunteer records linked to the login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Interpreter {
    pub user_id: UserId,
    pub name: String,
    /// Declared on the outreach interpreters page (BCP-47 codes).
    pub languages: Vec<String>,
    /// Read from the linked volunteer records (their `languages`), as codes.
    pub volunteer_languages: Vec<String>,
    pub version: i64,
}

impl Interpreter {
    pub fn covers(&self, code: &str) -> bool {
        self.languages.iter().chain(&self.volunteer_languages).any(|c| c == code)
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterpreterInput {
    /// BCP-47 codes (or names) of the languages covered.
    #[serde(default)]
    pub languages: Vec<String>,
    /// The version read (0 before the first save).
    #[serde(default)]
    pub version: i64,
}

// ---------------------------------------------------------------------------------------------
// Outreach sessions

code_enum!(
    /// What an outreach contact needs next: nothing, a case, an assistance request, or an
    /// activity enrolment.
    ContactFollowUp { None = "none", Case = "case", Assistance = "assistance", Activity = "activity" }
);

/// An anonymous contact's category when none of the client categories fits.
pub const GENERAL_CATEGORY: &str = "general";
/// Most people one anonymous line counts.
pub const MAX_CONTACT_COUNT: i32 = 1000;
/// Most lines one session records.
pub const MAX_CONTACTS: usize = 200;

/// People met in one outreach session: one identified client, or a count of anonymous people
/// of one category and language.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Contact {
    pub client_id: Option<ClientId>,
    /// The client's name (blank for anonymous counts).
    pub client_name: String,
    /// A client category code of the agency, or `general`.
    pub category: String,
    /// BCP-47 code.
    pub language: String,
    pub count: i32,
    pub follow_up: ContactFollowUp,
    /// `case:<id>`, `assistance:<id>` or `activity:<id>` once made, else blank.
    pub follow_up_ref: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OutreachSession {
    pub id: OutreachSessionId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    pub held_on: NaiveDate,
    pub district: String,
    /// Estate, street or place.
    pub area: String,
    /// Staff accounts on the team.
    pub staff: Vec<UserId>,
    pub staff_names: Vec<String>,
    /// District ambassadors on the team (names).
    pub ambassadors: Vec<String>,
    /// Volunteers on the team (names).
    pub volunteers: Vec<String>,
    pub needs_found: String,
    pub note: String,
    pub contacts: Vec<Contact>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

impl OutreachSession {
    /// People contacted (person-times): identified clients and anonymous counts together.
    pub fn people(&self) -> i64 {
        self.contacts.iter().map(|c| i64::from(c.count)).sum()
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// An identified client (counts one); leave out for anonymous contacts.
    #[serde(default)]
    pub client_id: Option<ClientId>,
    /// For anonymous contacts: a client category code, or `general`.
    #[serde(default)]
    pub category: String,
    /// BCP-47 code; for a client, their preferred language when blank.
    #[serde(default)]
    pub language: String,
    /// Anonymous people of this category and language (1 for a client).
    #[serde(default)]
    pub count: Option<i32>,
    /// `none` (default), `case`, `assistance` or `activity`.
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub follow_up_ref: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutreachSessionInput {
    pub unit_id: Option<UnitId>,
    /// `YYYY-MM-DD`, not in the future.
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub staff: Vec<UserId>,
    #[serde(default)]
    pub ambassadors: Vec<String>,
    #[serde(default)]
    pub volunteers: Vec<String>,
    #[serde(default)]
    pub needs_found: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub contacts: Vec<ContactInput>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ContactFields {
    pub client_id: Option<ClientId>,
    pub category: String,
    pub language: String,
    pub count: i32,
    pub follow_up: ContactFollowUp,
    pub follow_up_ref: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OutreachSessionFields {
    pub unit_id: UnitId,
    pub held_on: NaiveDate,
    pub district: String,
    pub area: String,
    pub staff: Vec<UserId>,
    pub ambassadors: Vec<String>,
    pub volunteers: Vec<String>,
    pub needs_found: String,
    pub note: String,
    pub contacts: Vec<ContactFields>,
}

fn names(v: &mut Validator, field: &str, raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in raw.iter().flat_map(|r| r.split([',', '、', '，', '\n'])) {
        let n = v.text(field, n, false, 100);
        if !n.is_empty() && !out.contains(&n) {
            out.push(n);
        }
    }
    if out.len() > 50 {
        v.push(FieldError::new(field, "too-many").with("max", 50));
    }
    out
}

fn date(v: &mut Validator, field: &str, raw: &str, required: bool) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        if required {
            v.push(FieldError::new(field, "required"));
        }
        return None;
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
    if d.is_none() {
        v.push(FieldError::new(field, "date"));
    }
    d
}

fn language_field(v: &mut Validator, field: &str, raw: &str, required: bool) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        if required {
            v.push(FieldError::new(field, "required"));
        }
        return String::new();
    }
    match language_from_word(raw) {
        Some(c) => c.to_string(),
        None => {
            v.push(FieldError::new(field, "unknown-language").with("language", raw));
            raw.to_string()
        }
    }
}

fn pick<T>(v: &mut Validator, field: &str, raw: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
    let r = parse(raw.trim());
    if r.is_none() {
        v.push(FieldError::new(field, if raw.trim().is_empty() { "required" } else { "invalid-choice" }));
    }
    r
}

impl OutreachSessionInput {
    /// `categories`: the agency's client category codes (anonymous counts use them or
    /// `general`); an identified contact's blank language must already be filled in.
    pub fn validate(&self, categories: &[String], today: NaiveDate) -> Result<OutreachSessionFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let held_on = date(&mut v, "held_on", &self.held_on, true);
        if held_on.is_some_and(|d| d > today) {
            v.push(FieldError::new("held_on", "in-future"));
        }
        let district = v.text("district", &self.district, true, 100);
        let area = v.text("area", &self.area, false, 200);
        let mut staff = self.staff.clone();
        staff.sort();
        staff.dedup();
        let ambassadors = names(&mut v, "ambassadors", &self.ambassadors);
        let volunteers = names(&mut v, "volunteers", &self.volunteers);
        if staff.is_empty() && ambassadors.is_empty() && volunteers.is_empty() {
            v.push(FieldError::new("staff", "team-required"));
        }
        let needs_found = v.text("needs_found", &self.needs_found, false, 4000);
        let note = v.text("note", &self.note, false, 4000);
        if self.contacts.len() > MAX_CONTACTS {
            v.push(FieldError::new("contacts", "too-many").with("max", MAX_CONTACTS));
        }
        let mut contacts = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, c) in self.contacts.iter().enumerate() {
            let f = |x: &str| format!("contacts[{i}].{x}");
            let language = language_field(&mut v, &f("language"), &c.language, true);
            let follow_up = if c.follow_up.trim().is_empty() {
                Some(ContactFollowUp::None)
            } else {
                pick(&mut v, &f("follow_up"), &c.follow_up, ContactFollowUp::parse)
            };
            let follow_up_ref = v.text(&f("follow_up_ref"), &c.follow_up_ref, false, 200);
            let (category, count) = match c.client_id {
                Some(id) => {
                    if !seen.insert(id) {
                        v.push(FieldError::new(f("client_id"), "duplicate"));
                    }
                    if c.count.is_some_and(|n| n != 1) {
                        v.push(FieldError::new(f("count"), "out-of-range").with("min", 1).with("max", 1));
                    }
                    (c.category.trim().to_string(), 1)
                }
                None => {
                    let category = c.category.trim().to_string();
                    if category.is_empty() {
                        v.push(FieldError::new(f("category"), "required"));
                    } else if category != GENERAL_CATEGORY && !categories.contains(&category) {
                        v.push(FieldError::new(f("category"), "invalid-choice"));
                    }
                    let count = c.count.unwrap_or(0);
                    if !(1..=MAX_CONTACT_COUNT).contains(&count) {
                        v.push(FieldError::new(f("count"), "out-of-range").with("min", 1).with("max", MAX_CONTACT_COUNT));
                    }
                    (category, count)
                }
            };
            contacts.push(ContactFields {
                client_id: c.client_id,
                category,
                language,
                count,
                follow_up: follow_up.unwrap_or(ContactFollowUp::None),
                follow_up_ref,
            });
        }
        v.finish()?;
        let (Some(unit_id), Some(held_on)) = (self.unit_id, held_on) else {
            return Err(DomainError::invalid("session", "required"));
        };
        Ok(OutreachSessionFields { unit_id, held_on, district, area, staff, ambassadors, volunteers, needs_found, note, contacts })
    }
}

// ---------------------------------------------------------------------------------------------
// Interpretation and translation

code_enum!(
    /// On site (in person), by phone, or a document translated.
    InterpretationMode { OnSite = "on_site", Phone = "phone", Document = "document" }
);
code_enum!(
    /// requested → assigned → completed, or cancelled before completion.
    InterpretationStatus { Requested = "requested", Assigned = "assigned", Completed = "completed", Cancelled = "cancelled" }
);

/// Most minutes one request records (a long day).
pub const MAX_MINUTES: i32 = 16 * 60;
/// Most pages one document request counts.
pub const MAX_PAGES: i32 = 2000;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Interpretation {
    pub id: InterpretationId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    pub client_id: Option<ClientId>,
    pub client_name: String,
    /// The client's preferred language (BCP-47), shown wherever the request leads to contact.
    pub client_language: Option<String>,
    pub case_id: Option<CaseId>,
    pub escort_id: Option<EscortId>,
    /// The appointment it is for (place and time, or a reference).
    pub appointment: String,
    /// The language interpreted (BCP-47): the one the interpreter must cover.
    pub language: String,
    /// The other language of the pair (BCP-47).
    pub into_language: String,
    pub mode: InterpretationMode,
    pub needed_on: NaiveDate,
    pub detail: String,
    /// Pages of a document (planned, then translated).
    pub pages: i32,
    pub status: InterpretationStatus,
    pub assignee_id: Option<UserId>,
    pub assignee_name: String,
    pub requested_on: NaiveDate,
    pub requested_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_on: Option<NaiveDate>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Time spent, in minutes.
    pub minutes: i32,
    pub note: String,
    pub created_by: String,
    pub version: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterpretationInput {
    pub unit_id: Option<UnitId>,
    #[serde(default)]
    pub client_id: Option<ClientId>,
    #[serde(default)]
    pub case_id: Option<CaseId>,
    #[serde(default)]
    pub escort_id: Option<EscortId>,
    #[serde(default)]
    pub appointment: String,
    /// BCP-47 code (e.g. `ur`); the client's preferred language when blank.
    #[serde(default)]
    pub language: String,
    /// BCP-47 code; `yue` (Cantonese) when blank.
    #[serde(default)]
    pub into_language: String,
    /// `on_site`, `phone` or `document`.
    #[serde(default)]
    pub mode: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub needed_on: String,
    #[serde(default)]
    pub detail: String,
    /// Pages of a document (for `document`).
    #[serde(default)]
    pub pages: Option<i32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InterpretationFields {
    pub unit_id: UnitId,
    pub client_id: Option<ClientId>,
    pub case_id: Option<CaseId>,
    pub escort_id: Option<EscortId>,
    pub appointment: String,
    pub language: String,
    pub into_language: String,
    pub mode: InterpretationMode,
    pub needed_on: NaiveDate,
    pub detail: String,
    pub pages: i32,
}

impl InterpretationInput {
    /// A blank language must be filled from the client's before this.
    pub fn validate(&self) -> Result<InterpretationFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let language = language_field(&mut v, "language", &self.language, true);
        let into_language = if self.into_language.trim().is_empty() {
            "yue".to_string()
        } else {
            language_field(&mut v, "into_language", &self.into_language, true)
        };
        if !language.is_empty() && language == into_language {
            v.push(FieldError::new("into_language", "same-language"));
        }
        let mode = pick(&mut v, "mode", &self.mode, InterpretationMode::parse);
        let needed_on = date(&mut v, "needed_on", &self.needed_on, true);
        let appointment = v.text("appointment", &self.appointment, false, 300);
        let detail = v.text("detail", &self.detail, false, 2000);
        let pages = self.pages.unwrap_or(0);
        if mode == Some(InterpretationMode::Document) && !(1..=MAX_PAGES).contains(&pages) {
            v.push(FieldError::new("pages", "out-of-range").with("min", 1).with("max", MAX_PAGES));
        } else if !(0..=MAX_PAGES).contains(&pages) {
            v.push(FieldError::new("pages", "out-of-range").with("min", 0).with("max", MAX_PAGES));
        }
        v.finish()?;
        let (Some(unit_id), Some(mode), Some(needed_on)) = (self.unit_id, mode, needed_on) else {
            return Err(DomainError::invalid("request", "required"));
        };
        Ok(InterpretationFields {
            unit_id,
            client_id: self.client_id,
            case_id: self.case_id,
            escort_id: self.escort_id,
            appointment,
            language,
            into_language,
            mode,
            needed_on,
            detail,
            pages,
        })
    }
}

fn step_refused(status: &str) -> DomainError {
    DomainError::Invalid(vec![FieldError::new("status", "step-not-allowed").with("status", status)])
}

/// A request may be assigned (or given to someone else) until it is completed or cancelled.
pub fn check_assign(status: InterpretationStatus) -> Result<()> {
    match status {
        InterpretationStatus::Requested | InterpretationStatus::Assigned => Ok(()),
        s => Err(step_refused(s.as_str())),
    }
}

/// Only an assigned request is completed.
pub fn check_complete(status: InterpretationStatus) -> Result<()> {
    match status {
        InterpretationStatus::Assigned => Ok(()),
        s => Err(step_refused(s.as_str())),
    }
}

/// A request not yet completed may be cancelled.
pub fn check_cancel(status: InterpretationStatus) -> Result<()> {
    match status {
        InterpretationStatus::Requested | InterpretationStatus::Assigned => Ok(()),
        s => Err(step_refused(s.as_str())),
    }
}

/// The refusal when the person named does not cover the language asked for.
pub fn check_covers(interpreter: &Interpreter, language: &str) -> Result<()> {
    if interpreter.covers(language) {
        Ok(())
    } else {
        Err(DomainError::Invalid(vec![FieldError::new("assignee_id", "language-not-covered")
            .with("person", &interpreter.name)
            .with("language", language)]))
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInterpreterInput {
    pub assignee_id: Option<UserId>,
    /// The version read.
    #[serde(default)]
    pub version: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteInput {
    /// Time spent, in minutes (required for on-site and phone interpretation).
    #[serde(default)]
    pub minutes: Option<i32>,
    /// Pages translated (required for documents).
    #[serde(default)]
    pub pages: Option<i32>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompleteFields {
    pub minutes: i32,
    pub pages: i32,
    pub note: String,
}

impl CompleteInput {
    pub fn validate(&self, mode: InterpretationMode, planned_pages: i32) -> Result<CompleteFields> {
        let mut v = Validator::new();
        let document = mode == InterpretationMode::Document;
        let minutes = match self.minutes {
            None if document => 0,
            None => {
                v.push(FieldError::new("minutes", "required"));
                0
            }
            Some(m) => {
                let min = if document { 0 } else { 1 };
                if !(min..=MAX_MINUTES).contains(&m) {
                    v.push(FieldError::new("minutes", "out-of-range").with("min", min).with("max", MAX_MINUTES));
                }
                m
            }
        };
        let pages = self.pages.unwrap_or(planned_pages);
        if document && !(1..=MAX_PAGES).contains(&pages) {
            v.push(FieldError::new("pages", "out-of-range").with("min", 1).with("max", MAX_PAGES));
        } else if !(0..=MAX_PAGES).contains(&pages) {
            v.push(FieldError::new("pages", "out-of-range").with("min", 0).with("max", MAX_PAGES));
        }
        let note = v.text("note", &self.note, false, 2000);
        v.finish()?;
        Ok(CompleteFields { minutes, pages, note })
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub version: i64,
}

impl CancelInput {
    pub fn validate(&self) -> Result<String> {
        let mut v = Validator::new();
        let reason = v.text("reason", &self.reason, true, 1000);
        v.finish()?;
        Ok(reason)
    }
}

// ---------------------------------------------------------------------------------------------
// Medical escorts and home visits

code_enum!(
    /// How the person gets to the appointment.
    Transport {
        Walk = "walk", PublicTransport = "public_transport", Taxi = "taxi", Rehabus = "rehabus",
        AgencyVehicle = "agency_vehicle", Ambulance = "ambulance",
    }
);
code_enum!(
    /// planned → done (with the outcome) or cancelled.
    EscortStatus { Planned = "planned", Done = "done", Cancelled = "cancelled" }
);
code_enum!(
    /// planned → done, or missed (no one at home).
    VisitStatus { Planned = "planned", Done = "done", Missed = "missed" }
);

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Escort {
    pub id: EscortId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    pub client_id: ClientId,
    pub client_name: String,
    pub client_language: Option<String>,
    /// The client's district (escorts are counted by it).
    pub district: String,
    pub appointment_on: NaiveDate,
    /// Local time, `HH:MM`.
    pub appointment_time: String,
    /// Hospital or clinic.
    pub place: String,
    pub department: String,
    /// The staff member escorting (an account), if any.
    pub escort_user_id: Option<UserId>,
    /// Who escorts: the staff member's name or the volunteer's.
    pub escort_name: String,
    pub transport: Transport,
    /// The language of the escort (BCP-47).
    pub language: String,
    pub note: String,
    pub status: EscortStatus,
    pub outcome: String,
    pub next_appointment_on: Option<NaiveDate>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub version: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscortInput {
    pub unit_id: Option<UnitId>,
    pub client_id: Option<ClientId>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub appointment_on: String,
    /// `HH:MM`, local time.
    #[serde(default)]
    pub appointment_time: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub escort_user_id: Option<UserId>,
    /// A volunteer's name when no staff account escorts.
    #[serde(default)]
    pub escort_name: String,
    #[serde(default)]
    pub transport: String,
    /// BCP-47; the client's preferred language when blank.
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EscortFields {
    pub unit_id: UnitId,
    pub client_id: ClientId,
    pub appointment_on: NaiveDate,
    pub appointment_time: String,
    pub place: String,
    pub department: String,
    pub escort_user_id: Option<UserId>,
    pub escort_name: String,
    pub transport: Transport,
    pub language: String,
    pub note: String,
}

impl EscortInput {
    pub fn validate(&self) -> Result<EscortFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        if self.client_id.is_none() {
            v.push(FieldError::new("client_id", "required"));
        }
        let appointment_on = date(&mut v, "appointment_on", &self.appointment_on, true);
        let raw_time = self.appointment_time.trim();
        let appointment_time = match NaiveTime::parse_from_str(raw_time, "%H:%M") {
            Ok(t) => t.format("%H:%M").to_string(),
            Err(_) => {
                v.push(FieldError::new("appointment_time", if raw_time.is_empty() { "required" } else { "time" }));
                raw_time.to_string()
            }
        };
        let place = v.text("place", &self.place, true, 200);
        let department = v.text("department", &self.department, false, 200);
        let escort_name = v.text("escort_name", &self.escort_name, false, 100);
        if self.escort_user_id.is_none() && escort_name.is_empty() {
            v.push(FieldError::new("escort_name", "required"));
        }
        let transport = if self.transport.trim().is_empty() {
            Some(Transport::PublicTransport)
        } else {
            pick(&mut v, "transport", &self.transport, Transport::parse)
        };
        let language = language_field(&mut v, "language", &self.language, true);
        let note = v.text("note", &self.note, false, 2000);
        v.finish()?;
        let (Some(unit_id), Some(client_id), Some(appointment_on), Some(transport)) =
            (self.unit_id, self.client_id, appointment_on, transport)
        else {
            return Err(DomainError::invalid("escort", "required"));
        };
        Ok(EscortFields {
            unit_id,
            client_id,
            appointment_on,
            appointment_time,
            place,
            department,
            escort_user_id: self.escort_user_id,
            escort_name,
            transport,
            language,
            note,
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscortOutcomeInput {
    /// `done` or `cancelled`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub outcome: String,
    /// `YYYY-MM-DD` of the next follow-up appointment, if one was given.
    #[serde(default)]
    pub next_appointment_on: String,
    #[serde(default)]
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EscortOutcomeFields {
    pub status: EscortStatus,
    pub outcome: String,
    pub next_appointment_on: Option<NaiveDate>,
}

impl EscortOutcomeInput {
    /// Only a planned escort is closed; a done one needs its outcome, and the next
    /// appointment must come after this one.
    pub fn validate(&self, current: EscortStatus, appointment_on: NaiveDate) -> Result<EscortOutcomeFields> {
        if current != EscortStatus::Planned {
            return Err(step_refused(current.as_str()));
        }
        let mut v = Validator::new();
        let status = match EscortStatus::parse(self.status.trim()) {
            Some(s @ (EscortStatus::Done | EscortStatus::Cancelled)) => Some(s),
            _ => {
                v.push(FieldError::new("status", "invalid-choice"));
                None
            }
        };
        let outcome = v.text("outcome", &self.outcome, true, 2000);
        let next = date(&mut v, "next_appointment_on", &self.next_appointment_on, false);
        if next.is_some_and(|n| n <= appointment_on) {
            v.push(FieldError::new("next_appointment_on", "not-after-appointment"));
        }
        v.finish()?;
        let status = status.ok_or_else(|| DomainError::invalid("status", "required"))?;
        Ok(EscortOutcomeFields { status, outcome, next_appointment_on: next })
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Visit {
    pub id: VisitId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    pub client_id: ClientId,
    pub client_name: String,
    pub client_language: Option<String>,
    pub district: String,
    pub planned_on: NaiveDate,
    pub purpose: String,
    /// `hotline-follow-up:<id>` when a missed check-in sent it, else blank.
    pub source_ref: String,
    pub status: VisitStatus,
    pub done_on: Option<NaiveDate>,
    pub outcome: String,
    pub created_by: String,
    pub version: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    pub unit_id: Option<UnitId>,
    pub client_id: Option<ClientId>,
    #[serde(default)]
    pub planned_on: String,
    #[serde(default)]
    pub purpose: String,
    /// A hotline follow-up id (a missed check-in's home visit): the person comes from it.
    #[serde(default)]
    pub source_ref: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VisitFields {
    pub unit_id: UnitId,
    pub client_id: ClientId,
    pub planned_on: NaiveDate,
    pub purpose: String,
    pub source_ref: String,
}

impl VisitInput {
    pub fn validate(&self) -> Result<VisitFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        if self.client_id.is_none() {
            v.push(FieldError::new("client_id", "required"));
        }
        let planned_on = date(&mut v, "planned_on", &self.planned_on, true);
        let purpose = v.text("purpose", &self.purpose, false, 1000);
        let source_ref = v.text("source_ref", &self.source_ref, false, 200);
        v.finish()?;
        let (Some(unit_id), Some(client_id), Some(planned_on)) = (self.unit_id, self.client_id, planned_on) else {
            return Err(DomainError::invalid("visit", "required"));
        };
        Ok(VisitFields { unit_id, client_id, planned_on, purpose, source_ref })
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitDoneInput {
    /// `done` or `missed`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub outcome: String,
    /// `YYYY-MM-DD`; today when blank.
    #[serde(default)]
    pub done_on: String,
    #[serde(default)]
    pub version: i64,
}

impl VisitDoneInput {
    pub fn validate(&self, current: VisitStatus, today: NaiveDate) -> Result<(VisitStatus, String, NaiveDate)> {
        if current != VisitStatus::Planned {
            return Err(step_refused(current.as_str()));
        }
        let mut v = Validator::new();
        let status = match VisitStatus::parse(self.status.trim()) {
            Some(s @ (VisitStatus::Done | VisitStatus::Missed)) => Some(s),
            _ => {
                v.push(FieldError::new("status", "invalid-choice"));
                None
            }
        };
        let outcome = v.text("outcome", &self.outcome, true, 2000);
        let done_on = date(&mut v, "done_on", &self.done_on, false).unwrap_or(today);
        if done_on > today {
            v.push(FieldError::new("done_on", "in-future"));
        }
        v.finish()?;
        let status = status.ok_or_else(|| DomainError::invalid("status", "required"))?;
        Ok((status, outcome, done_on))
    }
}

// ---------------------------------------------------------------------------------------------
// The unit's task list

code_enum!(
    /// Escort reminders (the day before and the day), planned home visits due, and missed
    /// check-ins the hotline sent for a home visit.
    TaskKind { EscortTomorrow = "escort_tomorrow", EscortToday = "escort_today", VisitDue = "visit_due", MissedCheckIn = "missed_check_in" }
);

/// One line of a unit's outreach task list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OutreachTask {
    pub kind: TaskKind,
    pub unit_id: UnitId,
    pub due_on: NaiveDate,
    pub client_id: Option<ClientId>,
    pub client_name: String,
    /// The person's preferred language (BCP-47).
    pub client_language: Option<String>,
    /// The escort, visit or hotline follow-up id.
    pub ref_id: String,
    /// Place and time of an escort, purpose of a visit.
    pub detail: String,
}

// ---------------------------------------------------------------------------------------------
// Reports

code_enum!(
    /// What one fact counts.
    FactKind { Contact = "contact", Interpretation = "interpretation", Escort = "escort", Visit = "visit" }
);

/// One outreach contact line, interpretation, escort or visit as the report reads it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct OutreachFact {
    pub kind: FactKind,
    pub unit_id: UnitId,
    /// The service day: held on, completed on, appointment on, visited on.
    pub on: NaiveDate,
    /// The session a contact belongs to.
    pub session_id: Option<OutreachSessionId>,
    pub client_id: Option<ClientId>,
    /// The client carries the `ethnic_minority` category, or an anonymous line is of that category.
    pub ethnic_minority: bool,
    pub category: String,
    pub language: String,
    pub district: String,
    /// People (contacts); 1 otherwise.
    pub count: i64,
    pub minutes: i64,
    pub pages: i64,
    /// Completed, done (escort, visit); contacts are always done.
    pub done: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct OutreachCountRow {
    pub key: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct LanguageRow {
    pub language: String,
    /// Completed requests.
    pub completed: u64,
    pub minutes: u64,
    pub hours: f64,
    pub pages: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct UnitRow {
    pub unit_id: String,
    pub sessions: u64,
    pub contacts: u64,
    pub interpretation_hours: f64,
    pub escorts: u64,
    pub visits: u64,
    pub em_person_times: u64,
    /// Over this unit's union, never summed into the total.
    pub em_unique_persons: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct OutreachReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub sessions: u64,
    /// People contacted (person-times): identified and anonymous.
    pub contacts: u64,
    pub identified_contacts: u64,
    pub anonymous_contacts: u64,
    pub anonymous_by_category: Vec<OutreachCountRow>,
    pub anonymous_by_language: Vec<OutreachCountRow>,
    pub interpretations_completed: u64,
    pub interpretation_minutes: u64,
    pub interpretation_hours: f64,
    pub pages_translated: u64,
    pub by_language: Vec<LanguageRow>,
    pub escorts_done: u64,
    pub escorts_by_district: Vec<OutreachCountRow>,
    pub visits_done: u64,
    /// Ethnic-minority clients served, person-times: contacts, interpretations completed,
    /// escorts and visits done.
    pub em_person_times: u64,
    /// Distinct identified ethnic-minority clients over the union of those services.
    pub em_unique_persons: u64,
    pub by_unit: Vec<UnitRow>,
    pub rules: String,
}

pub const COUNTING_RULES: &str = "contacts = people met at outreach sessions held in the period (an identified client once per session, \
anonymous people by their count); interpretation = requests completed in the period, hours = minutes spent / 60, pages = pages \
translated; escorts = escorts done with an appointment in the period, by the client's district; visits = home visits done in the period; \
ethnic-minority person-times = each contact, completed interpretation, escort and visit of a person in the ethnic-minority category \
(anonymous contacts of that category included); unique persons = distinct identified clients over the union of those services, never \
a sum.";

fn hours(minutes: u64) -> f64 {
    ((minutes as f64 / 60.0) * 10.0).round() / 10.0
}

fn rows(map: BTreeMap<String, u64>) -> Vec<OutreachCountRow> {
    map.into_iter().map(|(key, count)| OutreachCountRow { key, count }).collect()
}

/// The outreach figures of a period (both ends included).
pub fn count_outreach(facts: &[OutreachFact], from: NaiveDate, to: NaiveDate) -> OutreachReport {
    let mut r = OutreachReport { from, to, rules: COUNTING_RULES.into(), ..Default::default() };
    let mut sessions = BTreeSet::new();
    let mut by_cat = BTreeMap::new();
    let mut by_lang_anon = BTreeMap::new();
    let mut langs: BTreeMap<String, LanguageRow> = BTreeMap::new();
    let mut districts = BTreeMap::new();
    let mut em = BTreeSet::new();
    struct U {
        row: UnitRow,
        sessions: BTreeSet<OutreachSessionId>,
        em: BTreeSet<ClientId>,
        minutes: u64,
    }
    let mut units: BTreeMap<UnitId, U> = BTreeMap::new();
    for f in facts.iter().filter(|f| (from..=to).contains(&f.on) && f.done) {
        let u = units.entry(f.unit_id).or_insert_with(|| U {
            row: UnitRow { unit_id: f.unit_id.to_string(), ..Default::default() },
            sessions: BTreeSet::new(),
            em: BTreeSet::new(),
            minutes: 0,
        });
        let n = u64::try_from(f.count.max(0)).unwrap_or(0);
        match f.kind {
            FactKind::Contact => {
                if let Some(s) = f.session_id {
                    sessions.insert(s);
                    u.sessions.insert(s);
                }
                r.contacts += n;
                u.row.contacts += n;
                if f.client_id.is_some() {
                    r.identified_contacts += n;
                } else {
                    r.anonymous_contacts += n;
                    *by_cat.entry(f.category.clone()).or_insert(0) += n;
                    *by_lang_anon.entry(f.language.clone()).or_insert(0) += n;
                }
            }
            FactKind::Interpretation => {
                let minutes = u64::try_from(f.minutes.max(0)).unwrap_or(0);
                let pages = u64::try_from(f.pages.max(0)).unwrap_or(0);
                r.interpretations_completed += 1;
                r.interpretation_minutes += minutes;
                r.pages_translated += pages;
                u.minutes += minutes;
                let row =
                    langs.entry(f.language.clone()).or_insert_with(|| LanguageRow { language: f.language.clone(), ..Default::default() });
                row.completed += 1;
                row.minutes += minutes;
                row.pages += pages;
            }
            FactKind::Escort => {
                r.escorts_done += 1;
                u.row.escorts += 1;
                let d = if f.district.is_empty() { "—".to_string() } else { f.district.clone() };
                *districts.entry(d).or_insert(0) += 1;
            }
            FactKind::Visit => {
                r.visits_done += 1;
                u.row.visits += 1;
            }
        }
        if f.ethnic_minority {
            r.em_person_times += n;
            u.row.em_person_times += n;
            if let Some(c) = f.client_id {
                em.insert(c);
                u.em.insert(c);
            }
        }
    }
    r.sessions = sessions.len() as u64;
    r.interpretation_hours = hours(r.interpretation_minutes);
    r.anonymous_by_category = rows(by_cat);
    r.anonymous_by_language = rows(by_lang_anon);
    r.by_language = langs
        .into_values()
        .map(|mut l| {
            l.hours = hours(l.minutes);
            l
        })
        .collect();
    r.escorts_by_district = rows(districts);
    r.em_unique_persons = em.len() as u64;
    r.by_unit = units
        .into_values()
        .map(|u| UnitRow {
            sessions: u.sessions.len() as u64,
            interpretation_hours: hours(u.minutes),
            em_unique_persons: u.em.len() as u64,
            ..u.row
        })
        .collect();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes<T: std::fmt::Debug>(r: Result<T>) -> Vec<(String, &'static str)> {
        match r {
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
            other => vec![("ok".into(), if other.is_ok() { "ok" } else { "other" })],
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn languages_are_read_from_codes_names_and_client_languages() {
        assert_eq!(language_from_word("ur"), Some("ur"));
        assert_eq!(language_from_word("Urdu"), Some("ur"));
        assert_eq!(language_from_word("urdu"), Some("ur"));
        assert_eq!(language_from_word("尼泊爾語"), Some("ne"));
        assert_eq!(language_from_word("putonghua"), Some("cmn"));
        assert_eq!(language_from_word("klingon"), None);
        assert_eq!(client_language(PreferredLanguage::Nepali), Some("ne"));
        assert_eq!(language_name("ur", Locale::ZhHantHk), "烏爾都語");
        assert_eq!(validate_languages(&["ur, Nepali".into(), "ur".into()]).ok(), Some(vec!["ur".to_string(), "ne".to_string()]));
        assert_eq!(codes(validate_languages(&["ur, elvish".into()])), [("languages".into(), "unknown-language")]);
    }

    #[test]
    fn assignment_needs_someone_who_covers_the_language() {
        let mut i = Interpreter {
            user_id: UserId::new(),
            name: "Ali".into(),
            languages: vec!["ur".into()],
            volunteer_languages: vec![],
            version: 1,
        };
        assert!(check_covers(&i, "ur").is_ok());
        let e = check_covers(&i, "ne");
        assert_eq!(codes(e), [("assignee_id".into(), "language-not-covered")]);
        i.volunteer_languages.push("ne".into());
        assert!(check_covers(&i, "ne").is_ok());
    }

    #[test]
    fn steps_move_forward_only() {
        use InterpretationStatus as S;
        assert!(check_assign(S::Requested).is_ok());
        assert!(check_assign(S::Assigned).is_ok());
        assert!(check_assign(S::Completed).is_err());
        assert!(check_complete(S::Requested).is_err());
        assert!(check_complete(S::Assigned).is_ok());
        assert!(check_complete(S::Cancelled).is_err());
        assert!(check_cancel(S::Completed).is_err());
        assert!(check_cancel(S::Assigned).is_ok());
    }

    #[test]
    fn a_request_names_a_known_language_pair_and_documents_their_pages() {
        let i = InterpretationInput { language: "elvish".into(), mode: "fax".into(), ..Default::default() };
        assert_eq!(
            codes(i.validate()),
            [
                ("unit_id".into(), "required"),
                ("language".into(), "unknown-language"),
                ("mode".into(), "invalid-choice"),
                ("needed_on".into(), "required")
            ]
        );
        let i = InterpretationInput {
            unit_id: Some(UnitId::new()),
            language: "yue".into(),
            mode: "document".into(),
            needed_on: "2026-12-08".into(),
            ..Default::default()
        };
        assert_eq!(codes(i.validate()), [("into_language".into(), "same-language"), ("pages".into(), "out-of-range")]);
        let ok = InterpretationInput { language: "Urdu".into(), pages: Some(3), ..i };
        assert_eq!(ok.validate().ok().map(|f| (f.language, f.into_language, f.pages)), Some(("ur".into(), "yue".into(), 3)));
    }

    #[test]
    fn completion_records_minutes_or_pages() {
        let c = CompleteInput::default();
        assert_eq!(codes(c.validate(InterpretationMode::OnSite, 0)), [("minutes".into(), "required")]);
        assert_eq!(c.validate(InterpretationMode::Document, 4).ok().map(|f| f.pages), Some(4));
        let c = CompleteInput { minutes: Some(90), ..Default::default() };
        assert_eq!(c.validate(InterpretationMode::Phone, 0).ok().map(|f| f.minutes), Some(90));
    }

    #[test]
    fn a_session_needs_a_team_and_valid_contacts() {
        let cats = vec!["ethnic_minority".to_string()];
        let today = day("2026-12-07");
        let s = OutreachSessionInput {
            unit_id: Some(UnitId::new()),
            held_on: "2026-12-09".into(),
            district: "Yau Tsim Mong".into(),
            contacts: vec![
                ContactInput { category: "martians".into(), language: "ur".into(), count: Some(3), ..Default::default() },
                ContactInput { category: "ethnic_minority".into(), language: "ne".into(), count: Some(0), ..Default::default() },
            ],
            ..Default::default()
        };
        assert_eq!(
            codes(s.validate(&cats, today)),
            [
                ("held_on".into(), "in-future"),
                ("staff".into(), "team-required"),
                ("contacts[0].category".into(), "invalid-choice"),
                ("contacts[1].count".into(), "out-of-range")
            ]
        );
        let c = ClientId::new();
        let ok = OutreachSessionInput {
            held_on: "2026-12-07".into(),
            ambassadors: vec!["Asha, Bilal".into()],
            contacts: vec![
                ContactInput { category: "general".into(), language: "ur".into(), count: Some(12), ..Default::default() },
                ContactInput { client_id: Some(c), language: "ne".into(), follow_up: "case".into(), ..Default::default() },
            ],
            ..s
        };
        let f = ok.validate(&cats, today).ok();
        assert_eq!(f.as_ref().map(|f| f.ambassadors.clone()), Some(vec!["Asha".into(), "Bilal".into()]));
        assert_eq!(f.map(|f| (f.contacts[1].count, f.contacts[1].follow_up)), Some((1, ContactFollowUp::Case)));
    }

    #[test]
    fn escorts_and_visits_close_once() {
        let on = day("2026-12-08");
        let o = EscortOutcomeInput { status: "done".into(), outcome: "Seen".into(), next_appointment_on: "2026-12-01".into(), version: 1 };
        assert_eq!(codes(o.validate(EscortStatus::Planned, on)), [("next_appointment_on".into(), "not-after-appointment")]);
        assert_eq!(codes(o.validate(EscortStatus::Done, on)), [("status".into(), "step-not-allowed")]);
        let v = VisitDoneInput { status: "missed".into(), outcome: "No answer".into(), ..Default::default() };
        assert_eq!(v.validate(VisitStatus::Planned, on).ok().map(|x| x.0), Some(VisitStatus::Missed));
        assert!(v.validate(VisitStatus::Done, on).is_err());
    }

    #[test]
    fn reports_count_person_times_and_unique_persons_over_the_union() {
        let (a, b) = (UnitId::new(), UnitId::new());
        let (p, q) = (ClientId::new(), ClientId::new());
        let s1 = OutreachSessionId::new();
        let f = |kind, unit, on: &str, client: Option<ClientId>, em, count, minutes, done| OutreachFact {
            kind,
            unit_id: unit,
            on: day(on),
            session_id: if kind == FactKind::Contact { Some(s1) } else { None },
            client_id: client,
            ethnic_minority: em,
            category: if client.is_none() { "ethnic_minority".into() } else { String::new() },
            language: "ur".into(),
            district: "Kwai Tsing".into(),
            count,
            minutes,
            pages: 0,
            done,
        };
        let facts = [
            f(FactKind::Contact, a, "2026-12-01", None, true, 10, 0, true),
            f(FactKind::Contact, a, "2026-12-01", Some(p), true, 1, 0, true),
            f(FactKind::Interpretation, a, "2026-12-02", Some(p), true, 1, 90, true),
            f(FactKind::Interpretation, b, "2026-12-03", Some(q), true, 1, 30, true),
            f(FactKind::Interpretation, b, "2026-12-03", Some(q), true, 1, 30, false),
            f(FactKind::Escort, b, "2026-12-04", Some(p), true, 1, 0, true),
            f(FactKind::Visit, a, "2027-01-04", Some(p), true, 1, 0, true),
        ];
        let r = count_outreach(&facts, day("2026-12-01"), day("2026-12-31"));
        assert_eq!((r.sessions, r.contacts, r.identified_contacts, r.anonymous_contacts), (1, 11, 1, 10));
        assert_eq!((r.interpretations_completed, r.interpretation_minutes, r.interpretation_hours), (2, 120, 2.0));
        assert_eq!(r.by_language, vec![LanguageRow { language: "ur".into(), completed: 2, minutes: 120, hours: 2.0, pages: 0 }]);
        assert_eq!(r.escorts_by_district, vec![OutreachCountRow { key: "Kwai Tsing".into(), count: 1 }]);
        assert_eq!(r.em_person_times, 14, "10 anonymous + contact + 2 interpretations + escort");
        assert_eq!(r.em_unique_persons, 2);
        let units: u64 = r.by_unit.iter().map(|u| u.em_unique_persons).sum();
        assert_eq!(units, 3, "p is counted in both units' rows but once in the total");
    }
}
