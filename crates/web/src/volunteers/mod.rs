//! Volunteers service: what the pages and the API share — the register (identity numbers
//! masked as for clients), training and the rules that refuse an untrained volunteer, duties,
//! matching with reasons, assignments by staff, by the volunteer's own login or by a signed
//! link, hours, totals and milestones, certificates, the service-record export and the reports.
//!
//! Volunteers (`ServeDuties`) reach only their own record, duties and hours, and of the people
//! they serve a name and district; never a client record or a case.
//!
//! Other capabilities that dispatch "a trained volunteer" call [`may_serve`].

pub mod export;
pub mod link;

use crate::clients::{today, units_for};
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Actor, Permission, Scope};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::clients::mask_id;
use shegong_domain::error::Validator;
use shegong_domain::ids::{AssignmentId, CourseId, DutyId, HourEntryId, OrgId, UnitId, VolunteerId};
use shegong_domain::units::UnitType;
use shegong_domain::volunteers::{
    duty_minutes, eligibility, kinds, parse_hours, rank, ratio, report, required_courses, totals, Assignment, AssignmentStatus, Course,
    CourseInput, DecisionInput, Duty, DutyInput, DutyStatus, Eligibility, HourEntry, HourSource, HoursFields, HoursInput, Need, RatioRow,
    SignUpVia, Stage, StageInput, Suggestion, TotalRow, TotalsBy, Training, TrainingInput, Volunteer, VolunteerInput, VolunteerReport,
    VolunteerRole, VolunteerSettings,
};
use shegong_domain::{DomainError, FieldError};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The caller's time zone.
pub async fn tz(state: &AppState, org: OrgId) -> AppResult<chrono_tz::Tz> {
    Ok(state.store.agency(org).await?.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong))
}

/// Identity numbers are masked unless the caller holds the grant (as for clients).
pub fn mask(ctx: &Ctx, mut v: Volunteer) -> Volunteer {
    if !ctx.user.id_number_access {
        v.id_doc_number = v.id_doc_number.as_deref().map(mask_id);
    }
    v
}

/// A volunteer the caller may see with `perm` (404 for another agency's, 403 outside their units).
pub async fn load(state: &AppState, ctx: &Ctx, id: VolunteerId, perm: Permission) -> AppResult<Volunteer> {
    let v = state.store.get_volunteer(ctx.user.org_id, id).await?;
    ctx.require(perm, Scope::Unit(v.unit_id))?;
    Ok(v)
}

pub async fn list(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Volunteer>> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    let us = units_for(ctx, Permission::ViewVolunteers);
    let list = state.store.list_volunteers(ctx.user.org_id, us.as_deref()).await?;
    Ok(list.into_iter().map(|v| mask(ctx, v)).collect())
}

/// Everything about one volunteer for the staff page (the view is audited).
#[derive(Serialize, utoipa::ToSchema)]
pub struct VolunteerView {
    pub volunteer: Volunteer,
    pub trainings: Vec<Training>,
    pub stages: Vec<Stage>,
    pub assignments: Vec<Assignment>,
    pub hours: Vec<HourEntry>,
    /// This year's approved hours and the tier reached.
    pub year: YearTotal,
    /// Courses the volunteer's roles need that are missing or expired today.
    pub needs_training: Vec<CourseId>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct YearTotal {
    pub year: i32,
    pub hours: f64,
    pub tier: Option<String>,
}

async fn year_total(state: &AppState, org: OrgId, v: VolunteerId, year: i32) -> AppResult<YearTotal> {
    let (from, to) = year_span(year);
    let facts: Vec<_> = state.store.hour_facts(org, None, from, to).await?.into_iter().filter(|f| f.volunteer_id == v).collect();
    let settings = state.store.volunteer_settings(org).await?;
    let row = totals(&facts, TotalsBy::Volunteer, &settings).into_iter().next();
    Ok(YearTotal { year, hours: row.as_ref().map(|r| r.hours).unwrap_or(0.0), tier: row.and_then(|r| r.tier) })
}

pub fn year_span(year: i32) -> (NaiveDate, NaiveDate) {
    (NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(), NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default())
}

/// Courses that `roles` need and that `trainings` do not cover on `day`.
fn missing_for_roles(roles: &[VolunteerRole], trainings: &[Training], courses: &[Course], day: NaiveDate) -> Vec<CourseId> {
    courses
        .iter()
        .filter(|c| c.active && c.required_for.iter().any(|r| roles.contains(r)))
        .filter(|c| !trainings.iter().any(|t| t.course_id == c.id && t.valid_on(day)))
        .map(|c| c.id)
        .collect()
}

pub async fn view(state: &AppState, ctx: &Ctx, id: VolunteerId) -> AppResult<VolunteerView> {
    let v = load(state, ctx, id, Permission::ViewVolunteers).await?;
    let org = ctx.user.org_id;
    let day = today(state, org).await?;
    let trainings = state.store.trainings(org, Some(&[id])).await?;
    let courses = state.store.courses(org).await?;
    state.store.append(&ctx.actor(), AuditEvent::new(Action::View, "volunteer", id)).await?;
    Ok(VolunteerView {
        needs_training: missing_for_roles(&v.roles, &trainings, &courses, day),
        year: year_total(state, org, id, day.year()).await?,
        stages: state.store.stages(org, id).await?,
        assignments: state.store.volunteer_assignments(org, id).await?,
        hours: state.store.volunteer_hours(org, id).await?,
        trainings,
        volunteer: mask(ctx, v),
    })
}

/// Checks the links of a volunteer record: the client record (the caller must reach it) and the
/// login (a volunteer or peer supporter, not linked to another volunteer record).
async fn check_links(state: &AppState, ctx: &Ctx, input: &VolunteerInput, id: Option<VolunteerId>) -> AppResult<()> {
    let org = ctx.user.org_id;
    if let Some(c) = input.client_id {
        match state.store.get_client(org, c).await {
            Ok(c) if ctx.can(Permission::ViewClients, Scope::Unit(c.unit_id)) => {}
            Ok(_) | Err(DomainError::NotFound) => return Err(DomainError::invalid("client_id", "unknown-reference").into()),
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(u) = input.user_id {
        let ok = match state.store.get_user(org, u).await {
            Ok(u) => u.active && u.grants.allows(Permission::ServeDuties, Scope::AnyUnit),
            Err(DomainError::NotFound) => false,
            Err(e) => return Err(e.into()),
        };
        if !ok {
            return Err(DomainError::invalid("user_id", "vol-not-volunteer-login").into());
        }
        if state.store.volunteers_of_user(org, u).await?.iter().any(|v| Some(v.id) != id) {
            return Err(DomainError::invalid("user_id", "duplicate").into());
        }
    }
    Ok(())
}

pub async fn register(state: &AppState, ctx: &Ctx, input: &VolunteerInput) -> AppResult<Volunteer> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    let fields = input.validate(today(state, ctx.user.org_id).await?)?;
    ctx.require(Permission::ManageVolunteers, Scope::Unit(fields.unit_id))?;
    check_links(state, ctx, input, None).await?;
    Ok(mask(ctx, state.store.create_volunteer(&ctx.actor(), &fields).await?))
}

pub async fn update(state: &AppState, ctx: &Ctx, id: VolunteerId, input: &VolunteerInput) -> AppResult<Volunteer> {
    let before = load(state, ctx, id, Permission::ManageVolunteers).await?;
    let mut input = input.clone();
    // A masked number sent back unchanged keeps the stored one.
    if let (Some(stored), false) = (&before.id_doc_number, ctx.user.id_number_access) {
        if input.id_doc_number.trim() == mask_id(stored) {
            input.id_doc_number = stored.clone();
        }
    }
    let fields = input.validate(today(state, ctx.user.org_id).await?)?;
    ctx.require(Permission::ManageVolunteers, Scope::Unit(fields.unit_id))?;
    check_links(state, ctx, &input, Some(id)).await?;
    Ok(mask(ctx, state.store.update_volunteer(&ctx.actor(), id, input.version, &fields).await?))
}

pub async fn courses(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Course>> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    Ok(state.store.courses(ctx.user.org_id).await?)
}

pub async fn create_course(state: &AppState, ctx: &Ctx, input: &CourseInput) -> AppResult<Course> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    let f = input.validate()?;
    Ok(state.store.create_course(&ctx.actor(), &f).await?)
}

pub async fn update_course(state: &AppState, ctx: &Ctx, id: CourseId, input: &CourseInput) -> AppResult<Course> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    let f = input.validate()?;
    Ok(state.store.update_course(&ctx.actor(), id, input.version, &f).await?)
}

pub async fn record_training(state: &AppState, ctx: &Ctx, id: VolunteerId, input: &TrainingInput) -> AppResult<Training> {
    load(state, ctx, id, Permission::ManageVolunteers).await?;
    let org = ctx.user.org_id;
    let (course, on) = input.validate(today(state, org).await?)?;
    let Some(c) = state.store.courses(org).await?.into_iter().find(|c| c.id == course) else {
        return Err(DomainError::invalid("course_id", "unknown-reference").into());
    };
    Ok(state.store.record_training(&ctx.actor(), id, &c, on).await?)
}

pub async fn add_stage(state: &AppState, ctx: &Ctx, id: VolunteerId, input: &StageInput) -> AppResult<Stage> {
    let v = load(state, ctx, id, Permission::ManageVolunteers).await?;
    let org = ctx.user.org_id;
    let stages = state.store.stages(org, id).await?;
    let (stage, on, note) = input.validate(today(state, org).await?, stages.last())?;
    if !v.roles.contains(&VolunteerRole::PeerSupporter) {
        return Err(DomainError::invalid("stage", "vol-not-peer").into());
    }
    Ok(state.store.add_stage(&ctx.actor(), id, stage, on, &note).await?)
}

/// Posts a duty. An activity session's duty takes the session's unit, day and times when they
/// are left blank; a hotline duty belongs to a hotline point; a duty for a person takes their
/// coordinates (else the unit's) for the distance to volunteers.
pub async fn create_duty(state: &AppState, ctx: &Ctx, input: &DutyInput) -> AppResult<Duty> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let mut input = input.clone();
    if input.kind == kinds::ACTIVITY_SESSION {
        if let Some(r) = input.ref_id {
            let s = match state.store.get_session(org, r.into()).await {
                Ok(s) => s,
                Err(DomainError::NotFound) => return Err(DomainError::invalid("ref_id", "unknown-reference").into()),
                Err(e) => return Err(e.into()),
            };
            input.unit_id = input.unit_id.or(Some(s.unit_id));
            if input.unit_id != Some(s.unit_id) {
                return Err(DomainError::invalid("ref_id", "unknown-reference").into());
            }
            if input.date.trim().is_empty() {
                input.date = s.date.to_string();
                input.starts_at = s.starts_at.clone();
                input.ends_at = s.ends_at.clone();
            }
            if input.location.trim().is_empty() {
                input.location = s.venue.clone();
            }
        }
    }
    let courses = state.store.courses(org).await?;
    let mut f = input.validate(tz(state, org).await?, today(state, org).await?, &courses)?;
    ctx.require(Permission::ManageVolunteers, Scope::Unit(f.unit_id))?;
    let unit = state.store.get_unit(org, f.unit_id).await?;
    if f.kind == kinds::HOTLINE_SHIFT && unit.unit_type != UnitType::HotlinePoint {
        return Err(DomainError::invalid("unit_id", "vol-not-hotline-point").into());
    }
    let mut place = unit.latitude.zip(unit.longitude);
    if let Some(c) = f.client_id {
        match state.store.get_client(org, c).await {
            Ok(c) if ctx.can(Permission::ViewClients, Scope::Unit(c.unit_id)) => {
                place = c.latitude.zip(c.longitude).or(place);
            }
            Ok(_) | Err(DomainError::NotFound) => return Err(DomainError::invalid("client_id", "unknown-reference").into()),
            Err(e) => return Err(e.into()),
        }
    }
    if f.latitude.is_none() {
        (f.latitude, f.longitude) = (place.map(|p| p.0), place.map(|p| p.1));
    }
    Ok(state.store.create_duty(&ctx.actor(), &f).await?)
}

/// The person a duty serves, as a volunteer sees them: a name and district, nothing more.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ServedPerson {
    pub name: String,
    pub district: String,
}

pub(crate) async fn served(state: &AppState, org: OrgId, d: &Duty) -> AppResult<Option<ServedPerson>> {
    let Some(c) = d.client_id else { return Ok(None) };
    let c = state.store.get_client(org, c).await?;
    // A family name and a title is the least that lets a volunteer greet them.
    let name = if c.name_zh.is_empty() { c.name_en.clone() } else { c.name_zh.clone() };
    Ok(Some(ServedPerson { name, district: c.district }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DutyView {
    pub duty: Duty,
    pub assignments: Vec<Assignment>,
    pub served: Option<ServedPerson>,
}

pub async fn duty(state: &AppState, ctx: &Ctx, id: DutyId) -> AppResult<DutyView> {
    let org = ctx.user.org_id;
    let d = state.store.get_duty(org, id).await?;
    ctx.require(Permission::ViewVolunteers, Scope::Unit(d.unit_id))?;
    Ok(DutyView { assignments: state.store.duty_assignments(org, id).await?, served: served(state, org, &d).await?, duty: d })
}

#[derive(Deserialize, utoipa::IntoParams, Default, Clone)]
#[serde(default)]
pub struct PeriodParams {
    /// `YYYY-MM-DD`; default: 7 days before today (duties) or 1 January (reports).
    pub from: Option<NaiveDate>,
    /// `YYYY-MM-DD`; default: 60 days on (duties) or today (reports).
    pub to: Option<NaiveDate>,
}

fn day_start(tz: chrono_tz::Tz, d: NaiveDate) -> DateTime<Utc> {
    shegong_domain::volunteers::local_to_utc(tz, d, chrono::NaiveTime::MIN).unwrap_or_default()
}

pub async fn duties(state: &AppState, ctx: &Ctx, p: &PeriodParams) -> AppResult<Vec<Duty>> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let (tz, day) = (tz(state, org).await?, today(state, org).await?);
    let from = p.from.unwrap_or(day - Duration::days(7));
    let to = p.to.unwrap_or(day + Duration::days(60));
    if from > to || to - from > Duration::days(800) {
        return Err(DomainError::invalid("from", "period").into());
    }
    let us = units_for(ctx, Permission::ViewVolunteers);
    Ok(state.store.list_duties(org, us.as_deref(), day_start(tz, from), day_start(tz, to + Duration::days(1))).await?)
}

/// May this volunteer do a duty needing `need`? For capabilities that dispatch volunteers
/// (assistance deliveries, outreach, toy-library openings): every reason they may not, from
/// their roles, training (valid on the day), background check and other duties at that time.
/// The caller has already checked its own permissions; `skip` is the duty being filled, if any.
pub async fn may_serve(
    state: &AppState,
    org: OrgId,
    volunteer: VolunteerId,
    need: &Need<'_>,
    skip: Option<DutyId>,
) -> AppResult<Eligibility> {
    let v = state.store.get_volunteer(org, volunteer).await?;
    let trainings = state.store.trainings(org, Some(&[volunteer])).await?;
    let courses = state.store.courses(org).await?;
    let busy = state.store.busy(org, volunteer, need.starts_at, need.ends_at).await?;
    let tz = tz(state, org).await?;
    let day = need.starts_at.with_timezone(&tz).date_naive();
    Ok(eligibility(&v, &trainings, &courses, need, &busy, skip, day))
}

/// The question of [`may_serve`] over the API.
#[derive(Deserialize, Serialize, utoipa::ToSchema, utoipa::IntoParams, Default, Clone)]
#[serde(default)]
pub struct EligibilityQuery {
    /// A role code, if the work needs one.
    pub role: String,
    /// Course ids, comma-separated.
    pub courses: String,
    pub needs_check: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

pub async fn check_eligibility(state: &AppState, ctx: &Ctx, id: VolunteerId, q: &EligibilityQuery) -> AppResult<Eligibility> {
    load(state, ctx, id, Permission::ViewVolunteers).await?;
    let mut v = Validator::new();
    let role = match q.role.trim() {
        "" => None,
        r => {
            let role = VolunteerRole::parse(r);
            if role.is_none() {
                v.push(FieldError::new("role", "invalid-choice"));
            }
            role
        }
    };
    let courses: Vec<CourseId> = q
        .courses
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .filter_map(|c| {
            let r = c.parse().ok();
            if r.is_none() {
                v.push(FieldError::new("courses", "unknown-reference"));
            }
            r
        })
        .collect();
    let (Some(starts_at), Some(ends_at)) = (q.starts_at, q.ends_at) else {
        v.push(FieldError::new("starts_at", "required"));
        v.finish()?;
        return Err(DomainError::invalid("starts_at", "required").into());
    };
    if ends_at <= starts_at {
        v.push(FieldError::new("ends_at", "time-order"));
    }
    v.finish()?;
    let need = Need { role, courses: &courses, needs_check: q.needs_check, starts_at, ends_at };
    may_serve(state, ctx.user.org_id, id, &need, None).await
}

/// Suggested volunteers for a duty: the caller's active volunteers, eligible ones first, each with
/// the reasons (skills, languages, distance, availability) and what stops the others.
pub async fn matches(state: &AppState, ctx: &Ctx, id: DutyId) -> AppResult<Vec<Suggestion>> {
    let org = ctx.user.org_id;
    let d = state.store.get_duty(org, id).await?;
    ctx.require(Permission::ManageVolunteers, Scope::Unit(d.unit_id))?;
    let us = units_for(ctx, Permission::ManageVolunteers);
    let pool: Vec<Volunteer> = state.store.list_volunteers(org, us.as_deref()).await?.into_iter().filter(|v| v.active).collect();
    let ids: Vec<VolunteerId> = pool.iter().map(|v| v.id).collect();
    let trainings = state.store.trainings(org, Some(&ids)).await?;
    let courses = state.store.courses(org).await?;
    let on_duty: BTreeSet<VolunteerId> = state
        .store
        .duty_assignments(org, id)
        .await?
        .into_iter()
        .filter(|a| a.status == AssignmentStatus::Assigned)
        .map(|a| a.volunteer_id)
        .collect();
    let clients: HashMap<_, _> = {
        let wanted: Vec<_> = pool.iter().filter(|v| v.latitude.is_none()).filter_map(|v| v.client_id).collect();
        state.store.clients_by_ids(org, &wanted).await?.into_iter().map(|c| (c.id, c.latitude.zip(c.longitude))).collect()
    };
    let tz = tz(state, org).await?;
    let mut candidates = Vec::new();
    for v in pool.into_iter().filter(|v| !on_duty.contains(&v.id)) {
        let busy = state.store.busy(org, v.id, d.starts_at, d.ends_at).await?;
        let e = eligibility(&v, &trainings, &courses, &d.need(), &busy, Some(d.id), d.day);
        let place = v.latitude.zip(v.longitude).or_else(|| v.client_id.and_then(|c| clients.get(&c).copied().flatten()));
        candidates.push((v, place, e));
    }
    Ok(rank(&d, d.latitude.zip(d.longitude), d.starts_at.with_timezone(&tz).naive_local(), candidates))
}

fn refused(e: &Eligibility) -> DomainError {
    DomainError::Invalid(e.refusals.iter().map(|r| r.field_error("volunteer_id")).collect())
}

/// Puts a volunteer on a duty after checking every rule; the store re-checks clashes and the
/// number of places under a lock.
pub(crate) async fn put_on(state: &AppState, actor: &Actor, d: &Duty, v: VolunteerId, via: SignUpVia) -> AppResult<Assignment> {
    if d.status != DutyStatus::Open {
        return Err(DomainError::invalid("duty_id", "vol-duty-cancelled").into());
    }
    let e = may_serve(state, d.org_id, v, &d.need(), Some(d.id)).await?;
    if !e.eligible {
        return Err(refused(&e).into());
    }
    Ok(state.store.assign(actor, d.id, v, via).await?)
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    pub volunteer_id: Option<VolunteerId>,
}

pub async fn assign(state: &AppState, ctx: &Ctx, id: DutyId, input: &AssignInput) -> AppResult<Assignment> {
    let org = ctx.user.org_id;
    let d = state.store.get_duty(org, id).await?;
    ctx.require(Permission::ManageVolunteers, Scope::Unit(d.unit_id))?;
    let Some(vid) = input.volunteer_id else {
        return Err(DomainError::invalid("volunteer_id", "required").into());
    };
    match state.store.get_volunteer(org, vid).await {
        Ok(v) if ctx.can(Permission::ViewVolunteers, Scope::Unit(v.unit_id)) => {}
        Ok(_) | Err(DomainError::NotFound) => return Err(DomainError::invalid("volunteer_id", "unknown-reference").into()),
        Err(e) => return Err(e.into()),
    }
    put_on(state, &ctx.actor(), &d, vid, SignUpVia::Staff).await
}

/// The signed-in volunteer's own record (the first active one linked to the login).
pub async fn own(state: &AppState, ctx: &Ctx) -> AppResult<Volunteer> {
    ctx.require(Permission::ServeDuties, Scope::AnyUnit)?;
    let mine = state.store.volunteers_of_user(ctx.user.org_id, ctx.user.id).await?;
    mine.into_iter().find(|v| v.active).ok_or_else(|| DomainError::invalid("volunteer", "vol-no-record").into())
}

/// A duty as a volunteer sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DutyBrief {
    pub id: DutyId,
    pub unit_id: UnitId,
    pub kind: String,
    pub title: String,
    pub role: Option<VolunteerRole>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: String,
    pub places_left: i32,
    pub served: Option<ServedPerson>,
}

async fn brief(state: &AppState, org: OrgId, d: &Duty) -> AppResult<DutyBrief> {
    Ok(DutyBrief {
        id: d.id,
        unit_id: d.unit_id,
        kind: d.kind.clone(),
        title: d.title.clone(),
        role: d.role,
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        location: d.location.clone(),
        places_left: (d.needed - d.filled).max(0),
        served: served(state, org, d).await?,
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MyDuty {
    pub duty: DutyBrief,
    pub assignment: Assignment,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OpenDuty {
    pub duty: DutyBrief,
    pub eligibility: Eligibility,
}

/// What a volunteer sees: their record, duties, open duties with whether they may take each,
/// their hours and this year's total.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MyView {
    pub volunteer: Volunteer,
    pub duties: Vec<MyDuty>,
    pub open: Vec<OpenDuty>,
    pub hours: Vec<HourEntry>,
    pub year: YearTotal,
    pub trainings: Vec<Training>,
}

pub async fn me(state: &AppState, ctx: &Ctx) -> AppResult<MyView> {
    let v = own(state, ctx).await?;
    let org = ctx.user.org_id;
    let day = today(state, org).await?;
    let tz = tz(state, org).await?;
    let mut duties = Vec::new();
    let mut mine = BTreeSet::new();
    for a in state.store.volunteer_assignments(org, v.id).await?.into_iter().filter(|a| a.status == AssignmentStatus::Assigned) {
        let d = state.store.get_duty(org, a.duty_id).await?;
        mine.insert(d.id);
        duties.push(MyDuty { duty: brief(state, org, &d).await?, assignment: a });
    }
    duties.sort_by_key(|m| m.duty.starts_at);
    let now = state.clock.now();
    let trainings = state.store.trainings(org, Some(&[v.id])).await?;
    let courses = state.store.courses(org).await?;
    let mut open = Vec::new();
    for d in state.store.list_duties(org, None, now, day_start(tz, day + Duration::days(60))).await? {
        if d.status != DutyStatus::Open || d.filled >= d.needed || mine.contains(&d.id) {
            continue;
        }
        let busy = state.store.busy(org, v.id, d.starts_at, d.ends_at).await?;
        let e = eligibility(&v, &trainings, &courses, &d.need(), &busy, Some(d.id), d.day);
        open.push(OpenDuty { duty: brief(state, org, &d).await?, eligibility: e });
    }
    Ok(MyView {
        year: year_total(state, org, v.id, day.year()).await?,
        hours: state.store.volunteer_hours(org, v.id).await?,
        duties,
        open,
        trainings,
        volunteer: v,
    })
}

/// The volunteer signs up for a duty themselves.
pub async fn sign_up(state: &AppState, ctx: &Ctx, id: DutyId) -> AppResult<Assignment> {
    let v = own(state, ctx).await?;
    let d = state.store.get_duty(ctx.user.org_id, id).await?;
    put_on(state, &ctx.actor(), &d, v.id, SignUpVia::SelfService).await
}

/// The assignment and whether the caller is its volunteer (else staff of its unit).
async fn reach_assignment(state: &AppState, ctx: &Ctx, id: AssignmentId) -> AppResult<(Assignment, bool)> {
    let a = state.store.get_assignment(ctx.user.org_id, id).await?;
    if ctx.can(Permission::ServeDuties, Scope::AnyUnit) {
        let mine = state.store.volunteers_of_user(ctx.user.org_id, ctx.user.id).await?;
        if mine.iter().any(|v| v.id == a.volunteer_id) {
            return Ok((a, true));
        }
    }
    ctx.require(Permission::ManageVolunteers, Scope::Unit(a.unit_id))?;
    Ok((a, false))
}

pub async fn check_in(state: &AppState, ctx: &Ctx, id: AssignmentId) -> AppResult<Assignment> {
    reach_assignment(state, ctx, id).await?;
    Ok(state.store.check_in(&ctx.actor(), id, state.clock.now()).await?)
}

/// Check-out: the hours are the time on duty within the duty's span (approved at once).
pub async fn check_out(state: &AppState, ctx: &Ctx, id: AssignmentId) -> AppResult<(Assignment, HourEntry)> {
    let (a, _) = reach_assignment(state, ctx, id).await?;
    let Some(check_in) = a.check_in_at else {
        return Err(DomainError::invalid("assignment", "vol-not-checked-in").into());
    };
    let d = state.store.get_duty(ctx.user.org_id, a.duty_id).await?;
    let now = state.clock.now();
    let h = HoursFields {
        served_on: d.day,
        minutes: duty_minutes(d.starts_at, d.ends_at, check_in, now),
        content: d.title.clone(),
        unit_id: None,
    };
    Ok(state.store.close_assignment(&ctx.actor(), id, a.version, Some(now), &h).await?)
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmInput {
    /// Hours served; blank: the duty's length.
    #[serde(default)]
    pub hours: String,
    pub version: i64,
}

/// A staff member confirms a volunteer served a duty (no check-in needed).
pub async fn confirm(state: &AppState, ctx: &Ctx, id: AssignmentId, input: &ConfirmInput) -> AppResult<(Assignment, HourEntry)> {
    let a = state.store.get_assignment(ctx.user.org_id, id).await?;
    ctx.require(Permission::ManageVolunteers, Scope::Unit(a.unit_id))?;
    let d = state.store.get_duty(ctx.user.org_id, a.duty_id).await?;
    let minutes = if input.hours.trim().is_empty() {
        d.minutes()
    } else {
        let mut v = Validator::new();
        let m = parse_hours(&mut v, "hours", &input.hours);
        v.finish()?;
        m.unwrap_or_default()
    };
    let h = HoursFields { served_on: d.day, minutes, content: d.title.clone(), unit_id: None };
    Ok(state.store.close_assignment(&ctx.actor(), id, input.version, None, &h).await?)
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    pub version: i64,
}

pub async fn withdraw(state: &AppState, ctx: &Ctx, id: AssignmentId, input: &VersionInput) -> AppResult<Assignment> {
    reach_assignment(state, ctx, id).await?;
    Ok(state.store.withdraw_assignment(&ctx.actor(), id, input.version).await?)
}

/// Hours a volunteer reports themselves: they wait for a staff member's approval.
pub async fn report_hours(state: &AppState, ctx: &Ctx, input: &HoursInput) -> AppResult<HourEntry> {
    let v = own(state, ctx).await?;
    let f = input.validate(today(state, ctx.user.org_id).await?)?;
    let unit = f.unit_id.unwrap_or(v.unit_id);
    state.store.get_unit(ctx.user.org_id, unit).await.map_err(|_| DomainError::invalid("unit_id", "unknown-unit"))?;
    Ok(state.store.add_hours(&ctx.actor(), v.id, unit, HourSource::SelfReport, &f).await?)
}

/// Hours a staff member records for a volunteer (approved at once).
pub async fn add_hours(state: &AppState, ctx: &Ctx, id: VolunteerId, input: &HoursInput) -> AppResult<HourEntry> {
    let v = load(state, ctx, id, Permission::ManageVolunteers).await?;
    let f = input.validate(today(state, ctx.user.org_id).await?)?;
    let unit = f.unit_id.unwrap_or(v.unit_id);
    ctx.require(Permission::ManageVolunteers, Scope::Unit(unit))?;
    Ok(state.store.add_hours(&ctx.actor(), id, unit, HourSource::Staff, &f).await?)
}

pub async fn decide(state: &AppState, ctx: &Ctx, id: HourEntryId, input: &DecisionInput) -> AppResult<HourEntry> {
    let e = state.store.get_hours(ctx.user.org_id, id).await?;
    ctx.require(Permission::ManageVolunteers, Scope::Unit(e.unit_id))?;
    Ok(state.store.decide_hours(&ctx.actor(), id, input.version, input.approve).await?)
}

/// Self-reported hours waiting in the caller's units.
pub async fn pending(state: &AppState, ctx: &Ctx) -> AppResult<Vec<HourEntry>> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    let us = units_for(ctx, Permission::ManageVolunteers);
    Ok(state.store.pending_hours(ctx.user.org_id, us.as_deref()).await?)
}

/// Who needs which training: active volunteers whose roles need courses they lack or let expire.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TrainingNeed {
    pub volunteer_id: VolunteerId,
    pub name: String,
    pub courses: Vec<CourseId>,
}

pub async fn training_needs(state: &AppState, ctx: &Ctx) -> AppResult<Vec<TrainingNeed>> {
    let list = list(state, ctx).await?;
    let org = ctx.user.org_id;
    let day = today(state, org).await?;
    let trainings = state.store.trainings(org, None).await?;
    let courses = state.store.courses(org).await?;
    Ok(list
        .into_iter()
        .filter(|v| v.active)
        .filter_map(|v| {
            let mine: Vec<Training> = trainings.iter().filter(|t| t.volunteer_id == v.id).cloned().collect();
            let missing = missing_for_roles(&v.roles, &mine, &courses, day);
            (!missing.is_empty()).then(|| TrainingNeed { volunteer_id: v.id, name: v.display_name(), courses: missing })
        })
        .collect())
}

/// The period of a report: default from 1 January to today, at most ten years.
pub(crate) async fn period(state: &AppState, org: OrgId, p: &PeriodParams) -> AppResult<(NaiveDate, NaiveDate)> {
    let day = today(state, org).await?;
    let to = p.to.unwrap_or(day);
    let from = p.from.unwrap_or(year_span(to.year()).0);
    if from > to || to - from > Duration::days(3660) {
        return Err(DomainError::invalid("from", "period").into());
    }
    Ok((from, to))
}

pub async fn volunteer_report(state: &AppState, ctx: &Ctx, p: &PeriodParams) -> AppResult<VolunteerReport> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let (from, to) = period(state, org, p).await?;
    let us = units_for(ctx, Permission::ViewVolunteers);
    Ok(report(&state.store.hour_facts(org, us.as_deref(), from, to).await?, from, to))
}

#[derive(Deserialize, utoipa::IntoParams, Default, Clone)]
#[serde(default)]
pub struct TotalsParams {
    /// Default: this year.
    pub year: Option<i32>,
    /// `volunteer` (default), `team` or `unit`.
    pub by: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub year: i32,
    pub by: TotalsBy,
    pub rows: Vec<TotalRow>,
}

pub async fn year_totals(state: &AppState, ctx: &Ctx, p: &TotalsParams) -> AppResult<Totals> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let year = p.year.unwrap_or(today(state, org).await?.year());
    if !(2000..=2100).contains(&year) {
        return Err(DomainError::invalid("year", "out-of-range").into());
    }
    let by = if p.by.is_empty() {
        TotalsBy::Volunteer
    } else {
        TotalsBy::parse(&p.by).ok_or_else(|| DomainError::invalid("by", "invalid-choice"))?
    };
    let (from, to) = year_span(year);
    let us = units_for(ctx, Permission::ViewVolunteers);
    let facts = state.store.hour_facts(org, us.as_deref(), from, to).await?;
    Ok(Totals { year, by, rows: totals(&facts, by, &state.store.volunteer_settings(org).await?) })
}

/// Volunteers beside the social workers named on each activity whose sessions had volunteer duties.
pub async fn ratios(state: &AppState, ctx: &Ctx, p: &PeriodParams) -> AppResult<Vec<RatioRow>> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let (from, to) = period(state, org, p).await?;
    let us = units_for(ctx, Permission::ViewVolunteers);
    let mut per: BTreeMap<shegong_domain::ids::ActivityId, BTreeSet<VolunteerId>> = BTreeMap::new();
    for (a, v) in state.store.activity_volunteers(org, us.as_deref(), from, to).await? {
        per.entry(a).or_default().insert(v);
    }
    let mut out = Vec::new();
    for (id, vols) in per {
        let a = state.store.get_activity(org, id).await?;
        let staff = a.staff.len() as u64;
        let title = if a.title_zh_hant.is_empty() { a.title_en.clone() } else { a.title_zh_hant.clone() };
        out.push(RatioRow {
            activity_id: id,
            title,
            unit_id: a.unit_id,
            volunteers: vols.len() as u64,
            social_workers: staff,
            ratio: ratio(vols.len() as u64, staff),
        });
    }
    Ok(out)
}

pub async fn settings(state: &AppState, ctx: &Ctx) -> AppResult<VolunteerSettings> {
    ctx.require(Permission::ViewVolunteers, Scope::AnyUnit)?;
    Ok(state.store.volunteer_settings(ctx.user.org_id).await?)
}

pub async fn save_settings(state: &AppState, ctx: &Ctx, input: &VolunteerSettings) -> AppResult<VolunteerSettings> {
    ctx.require(Permission::ConfigureVolunteers, Scope::Agency)?;
    let s = input.validate()?;
    Ok(state.store.save_volunteer_settings(&ctx.actor(), &s).await?)
}

/// What a certificate shows, in the language it is printed in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Certificate {
    pub agency: String,
    pub volunteer: String,
    pub year: i32,
    pub hours: f64,
    /// The tier's name in the certificate's language.
    pub tier: Option<String>,
    pub issued_on: NaiveDate,
}

/// A volunteer's certificate for a year: staff of their unit, or the volunteer themselves.
pub async fn certificate(
    state: &AppState,
    ctx: &Ctx,
    id: VolunteerId,
    year: Option<i32>,
    l: shegong_domain::locale::Locale,
) -> AppResult<Certificate> {
    let org = ctx.user.org_id;
    let v = state.store.get_volunteer(org, id).await?;
    let own = v.user_id == Some(ctx.user.id) && ctx.can(Permission::ServeDuties, Scope::AnyUnit);
    if !own {
        ctx.require(Permission::ViewVolunteers, Scope::Unit(v.unit_id))?;
    }
    let day = today(state, org).await?;
    let year = year.unwrap_or(day.year());
    if !(2000..=2100).contains(&year) {
        return Err(DomainError::invalid("year", "out-of-range").into());
    }
    let t = year_total(state, org, id, year).await?;
    let settings = state.store.volunteer_settings(org).await?;
    let tier = t.tier.as_ref().and_then(|c| settings.individual.iter().find(|x| &x.code == c)).map(|x| x.name(l).to_string());
    let agency = state.store.agency(org).await?;
    state
        .store
        .append(
            &ctx.actor(),
            AuditEvent::new(Action::Export, "volunteer", id).detail(serde_json::json!({ "kind": "certificate", "year": year })),
        )
        .await?;
    Ok(Certificate { agency: agency.name(l).to_string(), volunteer: v.display_name(), year, hours: t.hours, tier, issued_on: day })
}

/// A volunteer record and its hours, for the data-access export of the client it is linked to.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VolunteerRecord {
    pub volunteer: Volunteer,
    pub trainings: Vec<Training>,
    pub hours: Vec<HourEntry>,
}

pub async fn of_client(state: &AppState, org: OrgId, client: shegong_domain::ids::ClientId) -> AppResult<Vec<VolunteerRecord>> {
    let mut out = Vec::new();
    for v in state.store.volunteers_of_client(org, client).await? {
        out.push(VolunteerRecord {
            trainings: state.store.trainings(org, Some(&[v.id])).await?,
            hours: state.store.volunteer_hours(org, v.id).await?,
            volunteer: v,
        });
    }
    Ok(out)
}

/// Totals fed to other capabilities' reports: hours and person-times by unit over a period.
pub async fn hours_by_unit(
    state: &AppState,
    org: OrgId,
    units: Option<&[UnitId]>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<TotalRow>> {
    let facts = state.store.hour_facts(org, units, from, to).await?;
    Ok(totals(&facts, TotalsBy::Unit, &state.store.volunteer_settings(org).await?))
}

/// Required courses of a duty with their titles (for the duty page).
pub fn required_titles(d: &Duty, courses: &[Course], l: shegong_domain::locale::Locale) -> Vec<String> {
    required_courses(&d.need(), courses)
        .into_iter()
        .filter_map(|id| courses.iter().find(|c| c.id == id))
        .map(|c| c.title(l).to_string())
        .collect()
}
