//! Emergency assistance (緊急援助/紧急援助): a request for a household (from a call, a case, a
//! check-in or a walk-in), dispatched to a staff member or a trained volunteer, on its way,
//! delivered with proof (the recipient's confirmation or a photo) or failed with a reason, and
//! followed up. Each step is timestamped. The rules are pure functions here; `store::assistance`
//! applies them inside its transactions.

use crate::clients::code_enum;
use crate::error::{FieldError, Result, Validator};
use crate::ids::{AssistanceRequestId, ClientId, DonationItemId, HouseholdId, OrgId, UnitId, UserId};
use crate::locale::Locale;
use crate::DomainError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

code_enum!(
    /// How soon help must arrive.
    Urgency { Routine = "routine", Urgent = "urgent", Emergency = "emergency" }
);
code_enum!(
    /// Where a request came from; `source_ref` names the call, case or check-in schedule.
    RequestSource { Call = "call", Case = "case", CheckIn = "check_in", WalkIn = "walk_in" }
);
code_enum!(
    /// pending → assigned → on the way → delivered / failed → followed up.
    RequestStatus {
        Pending = "pending", Assigned = "assigned", OnTheWay = "on_the_way", Delivered = "delivered", Failed = "failed",
        FollowedUp = "followed_up",
    }
);
code_enum!(
    /// What proves a delivery: the recipient's confirmation (their name) or a photo.
    ProofKind { Confirmation = "confirmation", Photo = "photo" }
);
code_enum!(
    /// A step the person delivering takes.
    DeliveryStep { OnTheWay = "on_the_way", Delivered = "delivered", Failed = "failed" }
);

/// A need the agency answers (medicine, food, masks, …): the agency's list is configurable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NeedType {
    pub code: String,
    pub name_en: String,
    pub name_zh_hant: String,
    pub name_zh_hans: String,
    pub active: bool,
}

impl NeedType {
    pub fn name(&self, l: Locale) -> &str {
        l.pick(&self.name_en, &self.name_zh_hant, &self.name_zh_hans)
    }
}

/// The agency's assistance settings (the defaults until saved).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssistanceSettings {
    pub needs: Vec<NeedType>,
}

impl AssistanceSettings {
    pub fn need(&self, code: &str) -> Option<&NeedType> {
        self.needs.iter().find(|n| n.code == code)
    }

    pub fn need_name(&self, code: &str, l: Locale) -> String {
        self.need(code).map(|n| n.name(l).to_string()).unwrap_or_else(|| code.to_string())
    }
}

pub fn default_settings() -> AssistanceSettings {
    let n = |code: &str, en: &str, hant: &str, hans: &str| NeedType {
        code: code.into(),
        name_en: en.into(),
        name_zh_hant: hant.into(),
        name_zh_hans: hans.into(),
        active: true,
    };
    AssistanceSettings {
        needs: vec![
            n("medicine", "Medicine", "藥物", "药品"),
            n("food", "Food", "食物", "食品"),
            n("masks", "Masks", "口罩", "口罩"),
            n("daily_necessities", "Daily necessities", "日用品", "生活用品"),
            n("hospital_escort", "Escort to hospital", "陪診", "陪同就医"),
            n("repairs", "Home repairs", "家居維修", "居家维修"),
        ],
    }
}

/// Checks settings: codes `a-z 0-9 _` and unique, names given, at least one active need.
pub fn validate_settings(s: &AssistanceSettings) -> Result<AssistanceSettings> {
    let mut v = Validator::new();
    let mut seen = BTreeSet::new();
    let mut needs = Vec::new();
    for (i, n) in s.needs.iter().enumerate() {
        let f = |x: &str| format!("needs[{i}].{x}");
        let code = v.list_code(&f("code"), &n.code, &mut seen);
        let name_en = v.text(&f("name_en"), &n.name_en, true, 100);
        let name_zh_hant = v.text(&f("name_zh_hant"), &n.name_zh_hant, true, 100);
        let name_zh_hans = v.text(&f("name_zh_hans"), &n.name_zh_hans, true, 100);
        needs.push(NeedType { code, name_en, name_zh_hant, name_zh_hans, active: n.active });
    }
    if !needs.iter().any(|n| n.active) {
        v.push(FieldError::new("needs", "required"));
    }
    v.finish()?;
    Ok(AssistanceSettings { needs })
}

/// An assistance request.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AssistanceRequest {
    pub id: AssistanceRequestId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    pub client_id: Option<ClientId>,
    pub household_id: Option<HouseholdId>,
    /// The household's name (else the person's), as registered.
    pub subject_name: String,
    /// People in the household reached by a delivery (person-times served).
    pub persons: i32,
    /// A need code of the agency's list.
    pub need: String,
    pub urgency: Urgency,
    pub detail: String,
    /// Who asked (the person, a relative, a neighbour, a referrer).
    pub requested_by: String,
    /// The person agreed to the help and to their details being used for it.
    pub consent: bool,
    pub source: RequestSource,
    /// `hotline-call:<id>`, `case:<id>`, `check-in:<id>`, or blank for a walk-in.
    pub source_ref: String,
    pub status: RequestStatus,
    /// The staff member or volunteer (their account) it is dispatched to.
    pub assignee_id: Option<UserId>,
    pub assignee_name: String,
    pub requested_at: DateTime<Utc>,
    /// The service day (local) of the request.
    pub requested_on: NaiveDate,
    pub assigned_at: Option<DateTime<Utc>>,
    pub on_the_way_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub followed_up_at: Option<DateTime<Utc>>,
    pub failure_reason: String,
    pub proof: Option<ProofKind>,
    /// The recipient who confirmed receipt.
    pub recipient_name: String,
    pub has_photo: bool,
    pub follow_up_note: String,
    pub created_by: String,
    pub version: i64,
}

impl AssistanceRequest {
    /// Still waiting for someone to deliver it.
    pub fn open(&self) -> bool {
        matches!(self.status, RequestStatus::Pending | RequestStatus::Assigned | RequestStatus::OnTheWay)
    }
}

/// A request as submitted by a form or the API.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    pub unit_id: Option<UnitId>,
    /// The household helped; the person's household when only the person is given.
    #[serde(default)]
    pub household_id: Option<HouseholdId>,
    #[serde(default)]
    pub client_id: Option<ClientId>,
    /// People in the household reached; the household's size when blank.
    #[serde(default)]
    pub persons: Option<i32>,
    #[serde(default)]
    pub need: String,
    /// `routine` (default), `urgent` or `emergency`.
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub requested_by: String,
    #[serde(default)]
    pub consent: bool,
    /// `call`, `case`, `check_in` or `walk_in` (default).
    #[serde(default)]
    pub source: String,
    /// The call, case or check-in schedule id it came from: the person and household are
    /// taken from it when not given.
    #[serde(default)]
    pub source_ref: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RequestFields {
    pub unit_id: UnitId,
    pub household_id: Option<HouseholdId>,
    pub client_id: Option<ClientId>,
    pub persons: Option<i32>,
    pub need: String,
    pub urgency: Urgency,
    pub detail: String,
    pub requested_by: String,
    pub consent: bool,
    pub source: RequestSource,
    pub source_ref: String,
}

/// Most people one household counts.
pub const MAX_PERSONS: i32 = 50;

impl RequestInput {
    pub fn validate(&self, settings: &AssistanceSettings) -> Result<RequestFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        if self.household_id.is_none() && self.client_id.is_none() {
            v.push(FieldError::new("household_id", "required"));
        }
        if let Some(p) = self.persons {
            if !(1..=MAX_PERSONS).contains(&p) {
                v.push(FieldError::new("persons", "out-of-range").with("min", 1).with("max", MAX_PERSONS));
            }
        }
        let need = self.need.trim().to_string();
        if need.is_empty() {
            v.push(FieldError::new("need", "required"));
        } else if !settings.needs.iter().any(|n| n.code == need && n.active) {
            v.push(FieldError::new("need", "invalid-choice"));
        }
        let urgency =
            if self.urgency.trim().is_empty() { Some(Urgency::Routine) } else { pick(&mut v, "urgency", &self.urgency, Urgency::parse) };
        let detail = v.text("detail", &self.detail, false, 2000);
        let requested_by = v.text("requested_by", &self.requested_by, false, 200);
        if !self.consent {
            v.push(FieldError::new("consent", "consent-required"));
        }
        let source = if self.source.trim().is_empty() {
            Some(RequestSource::WalkIn)
        } else {
            pick(&mut v, "source", &self.source, RequestSource::parse)
        };
        let source_ref = v.text("source_ref", &self.source_ref, false, 200);
        v.finish()?;
        let (Some(unit_id), Some(urgency), Some(source)) = (self.unit_id, urgency, source) else {
            return Err(DomainError::invalid("request", "required"));
        };
        Ok(RequestFields {
            unit_id,
            household_id: self.household_id,
            client_id: self.client_id,
            persons: self.persons,
            need,
            urgency,
            detail,
            requested_by,
            consent: self.consent,
            source,
            source_ref,
        })
    }
}

fn pick<T>(v: &mut Validator, field: &str, raw: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
    let r = parse(raw.trim());
    if r.is_none() {
        v.push(FieldError::new(field, if raw.trim().is_empty() { "required" } else { "invalid-choice" }));
    }
    r
}

fn not_now(status: RequestStatus) -> DomainError {
    DomainError::Invalid(vec![FieldError::new("status", "step-not-allowed").with("status", status.as_str())])
}

/// A request may be dispatched (or given to someone else) until someone is on the way.
pub fn check_dispatch(status: RequestStatus) -> Result<()> {
    match status {
        RequestStatus::Pending | RequestStatus::Assigned => Ok(()),
        s => Err(not_now(s)),
    }
}

/// The status a delivery step leads to, or the refusal when the request is not there yet (or
/// past it): on the way only after dispatch; delivered or failed only once dispatched.
pub fn next_status(status: RequestStatus, step: DeliveryStep) -> Result<RequestStatus> {
    match (status, step) {
        (RequestStatus::Assigned, DeliveryStep::OnTheWay) => Ok(RequestStatus::OnTheWay),
        (RequestStatus::Assigned | RequestStatus::OnTheWay, DeliveryStep::Delivered) => Ok(RequestStatus::Delivered),
        (RequestStatus::Assigned | RequestStatus::OnTheWay, DeliveryStep::Failed) => Ok(RequestStatus::Failed),
        (s, _) => Err(not_now(s)),
    }
}

/// A follow-up closes a delivered or failed request.
pub fn check_follow_up(status: RequestStatus) -> Result<()> {
    match status {
        RequestStatus::Delivered | RequestStatus::Failed => Ok(()),
        s => Err(not_now(s)),
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchInput {
    /// The account (staff member or trained volunteer) who will deliver it.
    pub assignee_id: Option<UserId>,
}

/// Stock handed over with a delivery: the donated item (lot) and how many of its unit.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeliveredItem {
    pub item_id: Option<DonationItemId>,
    #[serde(default)]
    pub quantity: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryInput {
    /// `on_the_way`, `delivered` or `failed`.
    pub step: String,
    /// Why it failed (required for `failed`).
    #[serde(default)]
    pub reason: String,
    /// `confirmation` (the recipient's name) or `photo` (uploaded before); for `delivered`.
    #[serde(default)]
    pub proof: String,
    #[serde(default)]
    pub recipient_name: String,
    /// People reached, when different from the request's count.
    #[serde(default)]
    pub persons: Option<i32>,
    /// Donated stock handed over, taken from the request's unit.
    #[serde(default)]
    pub items: Vec<DeliveredItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryFields {
    pub step: DeliveryStep,
    pub reason: String,
    pub proof: Option<ProofKind>,
    pub recipient_name: String,
    pub persons: Option<i32>,
    /// (item, quantity), each quantity at least 1.
    pub items: Vec<(DonationItemId, i64)>,
}

impl DeliveryInput {
    /// `has_photo`: whether a proof photo was uploaded for the request.
    pub fn validate(&self, has_photo: bool) -> Result<DeliveryFields> {
        let mut v = Validator::new();
        let step = pick(&mut v, "step", &self.step, DeliveryStep::parse);
        let reason = v.text("reason", &self.reason, step == Some(DeliveryStep::Failed), 1000);
        let recipient_name = v.text("recipient_name", &self.recipient_name, false, 200);
        let mut proof = None;
        if step == Some(DeliveryStep::Delivered) {
            proof = pick(&mut v, "proof", &self.proof, ProofKind::parse);
            match proof {
                Some(ProofKind::Confirmation) if recipient_name.is_empty() => v.push(FieldError::new("recipient_name", "required")),
                Some(ProofKind::Photo) if !has_photo => v.push(FieldError::new("proof", "photo-missing")),
                _ => {}
            }
        }
        if let Some(p) = self.persons {
            if !(1..=MAX_PERSONS).contains(&p) {
                v.push(FieldError::new("persons", "out-of-range").with("min", 1).with("max", MAX_PERSONS));
            }
        }
        let mut items = Vec::new();
        if step == Some(DeliveryStep::Delivered) {
            for (i, it) in self.items.iter().enumerate() {
                match it.item_id {
                    None if it.quantity == 0 => {}
                    None => v.push(FieldError::new(format!("items[{i}].item_id"), "required")),
                    Some(_) if it.quantity == 0 => {}
                    Some(id) if (1..=crate::donations::MAX_QUANTITY).contains(&it.quantity) => items.push((id, it.quantity)),
                    Some(_) => v.push(
                        FieldError::new(format!("items[{i}].quantity"), "out-of-range")
                            .with("min", 1)
                            .with("max", crate::donations::MAX_QUANTITY),
                    ),
                }
            }
        }
        v.finish()?;
        let step = step.ok_or_else(|| DomainError::invalid("step", "required"))?;
        Ok(DeliveryFields { step, reason, proof, recipient_name, persons: self.persons, items })
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    #[serde(default)]
    pub note: String,
}

impl FollowUpInput {
    pub fn validate(&self) -> Result<String> {
        let mut v = Validator::new();
        let note = v.text("note", &self.note, true, 2000);
        v.finish()?;
        Ok(note)
    }
}

// ---------------------------------------------------------------------------------------------
// Reports

/// One request, as the reports read it (no personal data).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RequestFact {
    pub unit_id: UnitId,
    pub need: String,
    pub status: RequestStatus,
    pub requested_on: NaiveDate,
    pub requested_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub persons: i32,
    pub household_id: Option<HouseholdId>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct AssistanceRow {
    /// The need code, the unit id or the day (`YYYY-MM-DD`).
    pub key: String,
    pub requests: u64,
    pub delivered: u64,
    pub failed: u64,
    pub person_times: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct AssistanceReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Requests received in the period.
    pub requests: u64,
    /// Of those, delivered (followed up or not).
    pub delivered: u64,
    pub failed: u64,
    /// People in the households reached by the deliveries.
    pub person_times: u64,
    /// Distinct households reached (over the union, never summed from rows).
    pub households_reached: u64,
    /// Average hours from request to delivery, over the delivered requests.
    pub average_hours_to_delivery: Option<f64>,
    pub by_need: Vec<AssistanceRow>,
    pub by_unit: Vec<AssistanceRow>,
    pub by_day: Vec<AssistanceRow>,
    pub rules: String,
}

pub const COUNTING_RULES: &str = "requests = requests received in the period (by the day requested); deliveries = of those, delivered; \
person-times = people in the household reached, per delivery; households reached = distinct households with a delivery (over the \
union); average time = request to delivery, over the deliveries.";

fn delivered(s: RequestStatus, at: Option<DateTime<Utc>>) -> bool {
    at.is_some() && matches!(s, RequestStatus::Delivered | RequestStatus::FollowedUp)
}

/// The assistance figures of a period (both ends included).
pub fn count_assistance(facts: &[RequestFact], from: NaiveDate, to: NaiveDate) -> AssistanceReport {
    let mut r = AssistanceReport { from, to, rules: COUNTING_RULES.into(), ..Default::default() };
    let mut need: BTreeMap<String, AssistanceRow> = BTreeMap::new();
    let mut unit: BTreeMap<String, AssistanceRow> = BTreeMap::new();
    let mut day: BTreeMap<String, AssistanceRow> = BTreeMap::new();
    let mut households = BTreeSet::new();
    let mut hours = Vec::new();
    for f in facts.iter().filter(|f| (from..=to).contains(&f.requested_on)) {
        let done = delivered(f.status, f.delivered_at);
        let failed = f.status == RequestStatus::Failed || (f.status == RequestStatus::FollowedUp && f.delivered_at.is_none());
        let persons = if done { u64::try_from(f.persons).unwrap_or(0) } else { 0 };
        r.requests += 1;
        for (map, key) in [(&mut need, f.need.clone()), (&mut unit, f.unit_id.to_string()), (&mut day, f.requested_on.to_string())] {
            let row = map.entry(key.clone()).or_insert_with(|| AssistanceRow { key, ..Default::default() });
            row.requests += 1;
            row.delivered += u64::from(done);
            row.failed += u64::from(failed);
            row.person_times += persons;
        }
        if done {
            r.delivered += 1;
            r.person_times += persons;
            if let Some(h) = f.household_id {
                households.insert(h);
            }
            if let Some(at) = f.delivered_at {
                hours.push((at - f.requested_at).num_minutes() as f64 / 60.0);
            }
        }
        r.failed += u64::from(failed);
    }
    r.households_reached = households.len() as u64;
    r.average_hours_to_delivery =
        if hours.is_empty() { None } else { Some(((hours.iter().sum::<f64>() / hours.len() as f64) * 10.0).round() / 10.0) };
    r.by_need = need.into_values().collect();
    r.by_unit = unit.into_values().collect();
    r.by_day = day.into_values().collect();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(r: Result<impl std::fmt::Debug>) -> Vec<(String, &'static str)> {
        match r {
            Err(DomainError::Invalid(e)) => e.into_iter().map(|e| (e.field, e.code)).collect(),
            other => vec![("ok".into(), if other.is_ok() { "ok" } else { "other" })],
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_request_needs_a_household_a_known_need_and_consent() {
        let s = default_settings();
        let i = RequestInput { need: "caviar".into(), urgency: "whenever".into(), ..Default::default() };
        assert_eq!(
            codes(i.validate(&s)),
            [
                ("unit_id".into(), "required"),
                ("household_id".into(), "required"),
                ("need".into(), "invalid-choice"),
                ("urgency".into(), "invalid-choice"),
                ("consent".into(), "consent-required")
            ]
        );
        let ok = RequestInput {
            unit_id: Some(UnitId::new()),
            client_id: Some(ClientId::new()),
            need: "masks".into(),
            consent: true,
            source: "check_in".into(),
            ..Default::default()
        };
        let f = ok.validate(&s).ok();
        assert_eq!(f.map(|f| (f.urgency, f.source)), Some((Urgency::Routine, RequestSource::CheckIn)));
    }

    #[test]
    fn steps_follow_the_order_and_each_is_refused_out_of_turn() {
        use DeliveryStep as S;
        use RequestStatus as R;
        assert_eq!(codes(next_status(R::Pending, S::OnTheWay)), [("status".into(), "step-not-allowed")]);
        assert_eq!(next_status(R::Assigned, S::OnTheWay).ok(), Some(R::OnTheWay));
        assert_eq!(next_status(R::OnTheWay, S::Delivered).ok(), Some(R::Delivered));
        assert_eq!(next_status(R::Assigned, S::Failed).ok(), Some(R::Failed));
        assert!(next_status(R::Delivered, S::Delivered).is_err());
        assert!(check_dispatch(R::Assigned).is_ok());
        assert!(check_dispatch(R::OnTheWay).is_err());
        assert!(check_follow_up(R::Failed).is_ok());
        assert!(check_follow_up(R::Assigned).is_err());
    }

    #[test]
    fn a_delivery_needs_its_proof_and_a_failure_its_reason() {
        let d = DeliveryInput { step: "delivered".into(), proof: "confirmation".into(), ..Default::default() };
        assert_eq!(codes(d.validate(false)), [("recipient_name".into(), "required")]);
        let d = DeliveryInput { step: "delivered".into(), proof: "photo".into(), ..Default::default() };
        assert_eq!(codes(d.validate(false)), [("proof".into(), "photo-missing")]);
        assert!(d.validate(true).is_ok());
        let d = DeliveryInput { step: "failed".into(), ..Default::default() };
        assert_eq!(codes(d.validate(false)), [("reason".into(), "required")]);
        let item = DonationItemId::new();
        let d = DeliveryInput {
            step: "delivered".into(),
            proof: "confirmation".into(),
            recipient_name: "陳太".into(),
            items: vec![DeliveredItem { item_id: Some(item), quantity: 5 }, DeliveredItem { item_id: None, quantity: 0 }],
            ..Default::default()
        };
        assert_eq!(d.validate(false).ok().map(|f| f.items), Some(vec![(item, 5)]));
    }

    #[test]
    fn reports_count_person_times_and_households_over_the_union() {
        let (a, b) = (UnitId::new(), UnitId::new());
        let h = HouseholdId::new();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_default();
        let f = |unit, need: &str, status, on: &str, req: &str, done: Option<&str>, persons| RequestFact {
            unit_id: unit,
            need: need.into(),
            status,
            requested_on: day(on),
            requested_at: at(req),
            delivered_at: done.map(at),
            persons,
            household_id: Some(h),
        };
        let facts = [
            f(a, "masks", RequestStatus::Delivered, "2026-03-02", "2026-03-02T01:00:00Z", Some("2026-03-02T04:00:00Z"), 3),
            f(b, "food", RequestStatus::FollowedUp, "2026-03-03", "2026-03-03T01:00:00Z", Some("2026-03-03T02:00:00Z"), 3),
            f(a, "food", RequestStatus::Failed, "2026-03-03", "2026-03-03T01:00:00Z", None, 2),
            f(a, "food", RequestStatus::Pending, "2026-04-03", "2026-04-03T01:00:00Z", None, 2),
        ];
        let r = count_assistance(&facts, day("2026-03-01"), day("2026-03-31"));
        assert_eq!((r.requests, r.delivered, r.failed, r.person_times), (3, 2, 1, 6));
        assert_eq!(r.households_reached, 1, "one household reached twice counts once");
        assert_eq!(r.average_hours_to_delivery, Some(2.0));
        assert_eq!(r.by_need.iter().map(|x| (x.key.as_str(), x.requests)).collect::<Vec<_>>(), [("food", 2), ("masks", 1)]);
        assert_eq!(r.by_day.len(), 2);
    }

    #[test]
    fn settings_are_checked() {
        assert!(validate_settings(&default_settings()).is_ok());
        let mut s = default_settings();
        s.needs[1].code = "medicine".into();
        s.needs[2].name_en = String::new();
        let fields: Vec<String> = codes(validate_settings(&s)).into_iter().map(|e| e.0).collect();
        assert_eq!(fields, ["needs[1].code", "needs[2].name_en"]);
    }
}
