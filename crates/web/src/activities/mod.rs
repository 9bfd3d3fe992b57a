//! Activities service: what the pages and the API share — who may reach which activity and
//! session, validation against the agency's domains and categories, enrolment checks, the
//! sign-in sheet import and the counts.

use crate::clients::{today, units_for};
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::tabular;
use crate::AppState;
use chrono::NaiveDate;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::activities::{
    Activity, ActivityInput, AttendanceInput, AttendanceOutcome, CountGrain, Counts, EnrolInput, EnrolOutcome, EvaluationInput, GuestInput,
    Session, SessionInput, COUNTING_RULES,
};
use shegong_domain::clients::fold_name;
use shegong_domain::ids::{ActivityId, SessionId, UnitId, UserId};
use shegong_domain::{DomainError, FieldError};

/// Loads an activity the caller may reach with `perm` in its unit (404 for another agency's).
pub async fn load(state: &AppState, ctx: &Ctx, id: ActivityId, perm: Permission) -> AppResult<Activity> {
    let a = state.store.get_activity(ctx.user.org_id, id).await?;
    ctx.require(perm, Scope::Unit(a.unit_id))?;
    Ok(a)
}

/// Loads a session and its activity, checking `perm` in the activity's unit.
pub async fn load_session(state: &AppState, ctx: &Ctx, id: SessionId, perm: Permission) -> AppResult<(Session, Activity)> {
    let s = state.store.get_session(ctx.user.org_id, id).await?;
    let a = load(state, ctx, s.activity_id, perm).await?;
    Ok((s, a))
}

pub async fn create(state: &AppState, ctx: &Ctx, input: &ActivityInput) -> AppResult<Activity> {
    let org = ctx.user.org_id;
    let fields = input.validate(&state.store.activity_domains(org).await?, &state.store.categories(org).await?)?;
    ctx.require(Permission::EditActivities, Scope::Unit(fields.unit_id))?;
    Ok(state.store.create_activity(&ctx.actor(), &fields).await?)
}

pub async fn update(state: &AppState, ctx: &Ctx, id: ActivityId, version: i64, input: &ActivityInput) -> AppResult<Activity> {
    let org = ctx.user.org_id;
    load(state, ctx, id, Permission::EditActivities).await?;
    let fields = input.validate(&state.store.activity_domains(org).await?, &state.store.categories(org).await?)?;
    // Moving an activity to another unit needs the right there too.
    ctx.require(Permission::EditActivities, Scope::Unit(fields.unit_id))?;
    Ok(state.store.update_activity(&ctx.actor(), id, version, &fields).await?)
}

pub async fn add_session(state: &AppState, ctx: &Ctx, id: ActivityId, input: &SessionInput) -> AppResult<Session> {
    load(state, ctx, id, Permission::EditActivities).await?;
    Ok(state.store.add_session(&ctx.actor(), id, &input.validate()?).await?)
}

/// Enrols clients (each must be in a unit whose records the caller may open), a household's
/// members, or a guest.
pub async fn enrol(state: &AppState, ctx: &Ctx, id: ActivityId, input: &EnrolInput) -> AppResult<EnrolOutcome> {
    load(state, ctx, id, Permission::EditActivities).await?;
    let org = ctx.user.org_id;
    let mut clients = input.clients.clone();
    if let Some(h) = input.household {
        let h = state.store.get_household(org, h).await?;
        ctx.require(Permission::ViewClients, Scope::Unit(h.unit_id))?;
        clients.extend(h.members.iter().map(|m| m.client_id));
    }
    for c in &clients {
        let client = state.store.get_client(org, *c).await.map_err(|e| match e {
            DomainError::NotFound => DomainError::invalid("clients", "unknown-client"),
            other => other,
        })?;
        ctx.require(Permission::ViewClients, Scope::Unit(client.unit_id))?;
    }
    let guest = input.guest.as_ref().map(GuestInput::validate).transpose()?;
    if clients.is_empty() && guest.is_none() {
        return Err(DomainError::invalid("clients", "required").into());
    }
    Ok(state.store.enrol(&ctx.actor(), id, &clients, guest.as_ref()).await?)
}

pub async fn evaluate(state: &AppState, ctx: &Ctx, id: ActivityId, version: i64, input: &EvaluationInput) -> AppResult<Activity> {
    load(state, ctx, id, Permission::EditActivities).await?;
    let e = input.validate(today(state, ctx.user.org_id).await?, &ctx.user.username)?;
    Ok(state.store.evaluate_activity(&ctx.actor(), id, version, &e).await?)
}

pub async fn mark(state: &AppState, ctx: &Ctx, id: SessionId, input: &AttendanceInput) -> AppResult<AttendanceOutcome> {
    load_session(state, ctx, id, Permission::RecordAttendance).await?;
    Ok(state.store.mark_attendance(&ctx.actor(), id, input).await?)
}

pub async fn walk_in(state: &AppState, ctx: &Ctx, id: SessionId, input: &GuestInput) -> AppResult<i64> {
    load_session(state, ctx, id, Permission::RecordAttendance).await?;
    let g = input.validate()?;
    Ok(state.store.add_walk_in(&ctx.actor(), id, &g).await?)
}

pub async fn save_log(state: &AppState, ctx: &Ctx, id: SessionId, version: i64, log: &str) -> AppResult<Session> {
    load_session(state, ctx, id, Permission::RecordAttendance).await?;
    let mut v = shegong_domain::error::Validator::new();
    let log = v.text("log", log, false, 8000);
    v.finish()?;
    Ok(state.store.save_session_log(&ctx.actor(), id, version, &log).await?)
}

/// Words that mean "was there" on a paper sign-in sheet.
fn ticked(cell: &str) -> bool {
    let c = cell.trim().to_lowercase();
    !c.is_empty() && !matches!(c.as_str(), "0" | "n" | "no" | "x" | "✗" | "否" | "缺席" | "absent" | "false")
}

/// Reads a sign-in sheet (CSV or XLSX). Each row names a person of the checklist by number
/// (a `No.` / `編號` / `编号` column) or by name; an optional `present` / `出席` / `签到` column
/// says whether they came (any mark but `0`, `N`, `X`, `否`). Rows that match no one are
/// reported and nothing is saved.
pub async fn import_sheet(state: &AppState, ctx: &Ctx, id: SessionId, file_name: &str, bytes: &[u8]) -> AppResult<AttendanceOutcome> {
    load_session(state, ctx, id, Permission::RecordAttendance).await?;
    let table = tabular::read(bytes, file_name).map_err(|e| DomainError::Invalid(vec![e]))?;
    let lines = state.store.attendance(ctx.user.org_id, id).await?;
    let col = |names: &[&str]| table.header.iter().position(|h| names.iter().any(|n| h.trim().to_lowercase() == *n));
    let no_col = col(&["no", "no.", "person_no", "number", "編號", "编号", "#"]);
    let name_col = col(&["name", "姓名", "名字", "參加者", "参加者"]).or(if no_col.is_none() { Some(0) } else { None });
    let present_col = col(&["present", "attended", "出席", "签到", "簽到", "出席·签到"]);
    let mut input = AttendanceInput::default();
    let mut errors = Vec::new();
    for row in &table.rows {
        let cell = |i: Option<usize>| i.and_then(|i| row.cells.get(i)).map(|s| s.trim()).unwrap_or_default();
        let by_no = cell(no_col).parse::<i64>().ok().and_then(|n| lines.iter().find(|l| l.person_no == n));
        let wanted = fold_name(cell(name_col));
        let by_name = || {
            let hits: Vec<_> = lines.iter().filter(|l| !wanted.is_empty() && fold_name(&l.name) == wanted).collect();
            (hits.len() == 1).then(|| hits[0])
        };
        match by_no.or_else(by_name) {
            Some(l) if present_col.is_none() || ticked(cell(present_col)) => input.present.push(l.person_no),
            Some(l) => input.absent.push(l.person_no),
            None => errors.push(FieldError::new("file", "sheet-unmatched").with("row", row.number)),
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors).into());
    }
    if input.present.is_empty() && input.absent.is_empty() {
        return Err(DomainError::invalid("file", "file-no-rows").into());
    }
    Ok(state.store.mark_attendance(&ctx.actor(), id, &input).await?)
}

/// The agency's today and a year back, the default period of the counts.
pub async fn default_period(state: &AppState, ctx: &Ctx) -> AppResult<(NaiveDate, NaiveDate)> {
    let to = today(state, ctx.user.org_id).await?;
    let from = to.checked_sub_months(chrono::Months::new(12)).and_then(|d| d.succ_opt()).unwrap_or(to);
    Ok((from, to))
}

/// Counts over the units the caller may see (narrowed to `unit` when given).
pub async fn counts(
    state: &AppState,
    ctx: &Ctx,
    unit: Option<UnitId>,
    from: NaiveDate,
    to: NaiveDate,
    group_by: CountGrain,
) -> AppResult<Counts> {
    ctx.require(Permission::ViewActivities, Scope::AnyUnit)?;
    if to < from || (to - from).num_days() > 3660 {
        return Err(DomainError::invalid("to", "period").into());
    }
    let units = match unit {
        Some(u) => {
            ctx.require(Permission::ViewActivities, Scope::Unit(u))?;
            Some(vec![u])
        }
        None => units_for(ctx, Permission::ViewActivities),
    };
    let rows = state.store.activity_counts(ctx.user.org_id, units.as_deref(), from, to, group_by).await?;
    Ok(Counts { from, to, units, group_by, rule: COUNTING_RULES, rows })
}

/// Sessions in the calendar of a unit or a worker, with clashes.
pub async fn calendar(
    state: &AppState,
    ctx: &Ctx,
    unit: Option<UnitId>,
    worker: Option<UserId>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<shegong_domain::activities::CalendarEntry>> {
    ctx.require(Permission::ViewActivities, Scope::AnyUnit)?;
    if to < from || (to - from).num_days() > 92 {
        return Err(DomainError::invalid("to", "period").into());
    }
    let units = match unit {
        Some(u) => {
            ctx.require(Permission::ViewActivities, Scope::Unit(u))?;
            Some(vec![u])
        }
        None => units_for(ctx, Permission::ViewActivities),
    };
    Ok(state.store.calendar(ctx.user.org_id, units.as_deref(), worker, from, to).await?)
}

/// The staff recorded present at a session.
pub async fn staff(state: &AppState, ctx: &Ctx, id: SessionId) -> AppResult<Vec<shegong_domain::activities::StaffPresent>> {
    load_session(state, ctx, id, Permission::ViewActivities).await?;
    Ok(state.store.staff_attendance(ctx.user.org_id, id).await?)
}

/// Records which staff accounts were present (a staff training session such as a
/// cultural-competence workshop): every one must be an active account of the agency.
pub async fn set_staff(
    state: &AppState,
    ctx: &Ctx,
    id: SessionId,
    input: &shegong_domain::activities::StaffAttendanceInput,
) -> AppResult<Vec<shegong_domain::activities::StaffPresent>> {
    load_session(state, ctx, id, Permission::RecordAttendance).await?;
    for u in &input.present {
        if !state.store.get_user(ctx.user.org_id, *u).await.is_ok_and(|u| u.active) {
            return Err(DomainError::invalid("present", "unknown-user").into());
        }
    }
    Ok(state.store.set_staff_attendance(&ctx.actor(), id, &input.present).await?)
}

/// Staff who may be ticked present at a session of `unit`: active accounts with a role in the
/// unit or agency-wide, funders excepted.
pub async fn staff_choices(state: &AppState, ctx: &Ctx, unit: UnitId) -> AppResult<Vec<(UserId, String)>> {
    use shegong_domain::accounts::Role;
    Ok(state
        .store
        .list_users(ctx.user.org_id)
        .await?
        .into_iter()
        .filter(|u| u.active && u.grants.0.iter().any(|g| g.role != Role::FunderViewer && g.unit_id.is_none_or(|x| x == unit)))
        .map(|u| (u.id, u.display_name))
        .collect())
}
