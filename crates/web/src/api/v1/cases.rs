//! Casework over JSON: intake, the case file, assessment, plan and approval, notes and
//! corrections, follow-ups, review, transfer, referral, mandatory report, closure and reopening;
//! caseload, to-do, team and statistics; the agency's casework settings.

use super::ApiJson;
use crate::cases::{self as svc, CaseFile, StatsParams, Todo, WorkerLoad};
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::cases::{
    Assessment, AssessmentInput, Case, CaseDetailsInput, CaseFilter, CaseInput, CaseSettings, CaseSettingsInput, CaseStats, ClosureInput,
    DecisionInput, MandatoryReportInput, Note, NoteInput, Plan, PlanInput, Problem, Referral, ReferralInput, ReferralUpdateInput,
    ReopenInput, ReviewInput, Task, TaskInput, TransferInput,
};
use shegong_domain::ids::{CaseId, NoteId, PlanId, ReferralId, TaskId};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseList {
    pub cases: Vec<Case>,
    pub total: u64,
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct ListParams {
    #[serde(flatten)]
    #[param(inline)]
    pub filter: CaseFilter,
    pub offset: u64,
    /// At most 500.
    pub limit: Option<u64>,
}

/// Cases in the caller's units (sensitive ones only with the sensitive-data grant).
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListParams), responses((status = 200, body = CaseList), (status = 403)))]
pub async fn list_cases(State(state): State<AppState>, ctx: Ctx, Query(p): Query<ListParams>) -> AppResult<Json<CaseList>> {
    ctx.require(Permission::ViewCases, Scope::AnyUnit)?;
    let found = svc::find(&state, &ctx, &p.filter, p.offset, p.limit.unwrap_or(50).clamp(1, 500)).await?;
    Ok(Json(CaseList { cases: found.cases, total: found.total }))
}

/// Opens a case from an intake.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseInput, responses((status = 201, body = Case), (status = 422)))]
pub async fn open_case(State(state): State<AppState>, ctx: Ctx, ApiJson(input): ApiJson<CaseInput>) -> AppResult<(StatusCode, Json<Case>)> {
    ctx.require(Permission::EditCases, Scope::AnyUnit)?;
    Ok((StatusCode::CREATED, Json(svc::open(&state, &ctx, &input).await?)))
}

/// The caller's to-do list and, for supervisors, the approval queue and the team's overdue work.
#[utoipa::path(get, path = "/api/v1/cases/todo", tag = "cases", responses((status = 200, body = Todo)))]
pub async fn todo(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Todo>> {
    ctx.require(Permission::ViewCases, Scope::AnyUnit)?;
    Ok(Json(svc::todo(&state, &ctx).await?))
}

/// Each worker's caseload in the supervisor's units.
#[utoipa::path(get, path = "/api/v1/cases/team", tag = "cases", responses((status = 200, body = Vec<WorkerLoad>)))]
pub async fn team(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<WorkerLoad>>> {
    Ok(Json(svc::team(&state, &ctx).await?))
}

/// Cases served, new and closed in a period, by unit, worker, problem or client category.
#[utoipa::path(get, path = "/api/v1/cases/stats", tag = "cases", params(StatsParams), responses((status = 200, body = CaseStats), (status = 422)))]
pub async fn stats(State(state): State<AppState>, ctx: Ctx, Query(p): Query<StatsParams>) -> AppResult<Json<CaseStats>> {
    Ok(Json(svc::stats(&state, &ctx, &p).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Settings {
    pub settings: CaseSettings,
    pub problems: Vec<Problem>,
}

/// The agency's presenting problems (for intake forms).
#[utoipa::path(get, path = "/api/v1/cases/problems", tag = "cases", responses((status = 200, body = Vec<Problem>)))]
pub async fn problems(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Problem>>> {
    ctx.require(Permission::ViewCases, Scope::AnyUnit)?;
    Ok(Json(state.store.problems(ctx.user.org_id).await?))
}

/// Replaces the list of presenting problems. Codes in use can be deactivated, not removed.
#[utoipa::path(put, path = "/api/v1/cases/problems", tag = "cases", request_body = Vec<Problem>, responses((status = 200, body = Vec<Problem>), (status = 422)))]
pub async fn save_problems(State(state): State<AppState>, ctx: Ctx, ApiJson(list): ApiJson<Vec<Problem>>) -> AppResult<Json<Vec<Problem>>> {
    Ok(Json(svc::save_problems(&state, &ctx, &list).await?))
}

#[utoipa::path(get, path = "/api/v1/cases/settings", tag = "cases", responses((status = 200, body = Settings)))]
pub async fn get_settings(State(state): State<AppState>, ctx: Ctx) -> AppResult<Json<Settings>> {
    let (settings, problems) = svc::settings(&state, &ctx).await?;
    Ok(Json(Settings { settings, problems }))
}

/// Which steps need a supervisor's approval and how often cases are reviewed.
#[utoipa::path(put, path = "/api/v1/cases/settings", tag = "cases", request_body = CaseSettingsInput,
    responses((status = 200, body = CaseSettings), (status = 409), (status = 422)))]
pub async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<CaseSettingsInput>,
) -> AppResult<Json<CaseSettings>> {
    Ok(Json(svc::save_settings(&state, &ctx, &input).await?))
}

/// The case file with everything recorded on it (the view is written to the audit log).
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = CaseId, Path)), responses((status = 200, body = CaseFile), (status = 404)))]
pub async fn get_case(State(state): State<AppState>, ctx: Ctx, Path(id): Path<CaseId>) -> AppResult<Json<CaseFile>> {
    Ok(Json(svc::file(&state, &ctx, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CaseUpdate {
    pub version: i64,
    #[serde(flatten)]
    pub details: CaseDetailsInput,
}

/// Corrects the intake details. A stale `version` gets 409 and changes nothing.
#[utoipa::path(put, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = CaseId, Path)), request_body = CaseUpdate,
    responses((status = 200, body = Case), (status = 409), (status = 422)))]
pub async fn update_case(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(u): ApiJson<CaseUpdate>,
) -> AppResult<Json<Case>> {
    Ok(Json(svc::update_details(&state, &ctx, id, u.version, &u.details).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/assessments", tag = "cases", params(("id" = CaseId, Path)), request_body = AssessmentInput,
    responses((status = 201, body = Assessment), (status = 422)))]
pub async fn add_assessment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(input): ApiJson<AssessmentInput>,
) -> AppResult<(StatusCode, Json<Assessment>)> {
    Ok((StatusCode::CREATED, Json(svc::assess(&state, &ctx, id, &input).await?)))
}

/// Starts a plan (or a revision of the plan in force): a draft, or submitted with `submit`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/plans", tag = "cases", params(("id" = CaseId, Path)), request_body = PlanInput,
    responses((status = 201, body = Plan), (status = 409), (status = 422)))]
pub async fn create_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(input): ApiJson<PlanInput>,
) -> AppResult<(StatusCode, Json<Plan>)> {
    Ok((StatusCode::CREATED, Json(svc::save_plan(&state, &ctx, id, None, &input).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PlanUpdate {
    pub version: i64,
    #[serde(flatten)]
    pub plan: PlanInput,
}

/// Changes a draft or returned plan; `submit` sends it for approval.
#[utoipa::path(put, path = "/api/v1/cases/{id}/plans/{plan}", tag = "cases", params(("id" = CaseId, Path), ("plan" = PlanId, Path)),
    request_body = PlanUpdate, responses((status = 200, body = Plan), (status = 409), (status = 422)))]
pub async fn update_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, plan)): Path<(CaseId, PlanId)>,
    ApiJson(u): ApiJson<PlanUpdate>,
) -> AppResult<Json<Plan>> {
    Ok(Json(svc::save_plan(&state, &ctx, id, Some((plan, u.version)), &u.plan).await?))
}

/// A supervisor approves a submitted plan or returns it with a comment.
#[utoipa::path(post, path = "/api/v1/cases/{id}/plans/{plan}/decision", tag = "cases", params(("id" = CaseId, Path), ("plan" = PlanId, Path)),
    request_body = DecisionInput, responses((status = 200, body = Plan), (status = 409), (status = 422)))]
pub async fn decide_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, plan)): Path<(CaseId, PlanId)>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> AppResult<Json<Plan>> {
    Ok(Json(svc::decide_plan(&state, &ctx, id, plan, &input).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", tag = "cases", params(("id" = CaseId, Path)), request_body = NoteInput,
    responses((status = 201, body = Note), (status = 422)))]
pub async fn add_note(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(input): ApiJson<NoteInput>,
) -> AppResult<(StatusCode, Json<Note>)> {
    Ok((StatusCode::CREATED, Json(svc::add_note(&state, &ctx, id, &input).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NoteCorrection {
    pub version: i64,
    #[serde(flatten)]
    pub note: NoteInput,
}

/// Corrects a note: its author changes it within 24 hours; afterwards (or for anyone else) a
/// new note linked to the original is written and the original stays as it was.
#[utoipa::path(post, path = "/api/v1/cases/{id}/notes/{note}/correct", tag = "cases", params(("id" = CaseId, Path), ("note" = NoteId, Path)),
    request_body = NoteCorrection, responses((status = 200, body = Note), (status = 409), (status = 422)))]
pub async fn correct_note(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, note)): Path<(CaseId, NoteId)>,
    ApiJson(c): ApiJson<NoteCorrection>,
) -> AppResult<Json<Note>> {
    Ok(Json(svc::correct_note(&state, &ctx, id, note, c.version, &c.note).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/tasks", tag = "cases", params(("id" = CaseId, Path)), request_body = TaskInput,
    responses((status = 201, body = Task), (status = 422)))]
pub async fn add_task(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(input): ApiJson<TaskInput>,
) -> AppResult<(StatusCode, Json<Task>)> {
    Ok((StatusCode::CREATED, Json(svc::add_task(&state, &ctx, id, &input).await?)))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/tasks/{task}/done", tag = "cases", params(("id" = CaseId, Path), ("task" = TaskId, Path)),
    responses((status = 200, body = Task), (status = 422)))]
pub async fn complete_task(State(state): State<AppState>, ctx: Ctx, Path((id, task)): Path<(CaseId, TaskId)>) -> AppResult<Json<Task>> {
    Ok(Json(svc::complete_task(&state, &ctx, id, task).await?))
}

/// Records a review and sets the next review date.
#[utoipa::path(post, path = "/api/v1/cases/{id}/review", tag = "cases", params(("id" = CaseId, Path)), request_body = ReviewInput,
    responses((status = 200, body = Case), (status = 409), (status = 422)))]
pub async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> AppResult<Json<Case>> {
    Ok(Json(svc::review(&state, &ctx, id, &input).await?))
}

/// Hands the case to another worker, in this unit or another.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transfer", tag = "cases", params(("id" = CaseId, Path)), request_body = TransferInput,
    responses((status = 200, body = Case), (status = 409), (status = 422)))]
pub async fn transfer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(input): ApiJson<TransferInput>,
) -> AppResult<Json<Case>> {
    Ok(Json(svc::transfer(&state, &ctx, id, &input).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals", tag = "cases", params(("id" = CaseId, Path)), request_body = ReferralInput,
    responses((status = 201, body = Referral), (status = 422)))]
pub async fn add_referral(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(input): ApiJson<ReferralInput>,
) -> AppResult<(StatusCode, Json<Referral>)> {
    Ok((StatusCode::CREATED, Json(svc::add_referral(&state, &ctx, id, &input).await?)))
}

/// Records what became of a referral.
#[utoipa::path(put, path = "/api/v1/cases/{id}/referrals/{referral}", tag = "cases", params(("id" = CaseId, Path), ("referral" = ReferralId, Path)),
    request_body = ReferralUpdateInput, responses((status = 200, body = Referral), (status = 409), (status = 422)))]
pub async fn update_referral(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, referral)): Path<(CaseId, ReferralId)>,
    ApiJson(input): ApiJson<ReferralUpdateInput>,
) -> AppResult<Json<Referral>> {
    Ok(Json(svc::update_referral(&state, &ctx, id, referral, &input).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MandatoryReportBody {
    pub version: i64,
    #[serde(flatten)]
    pub report: MandatoryReportInput,
}

/// Records a mandatory report of suspected serious harm to a child (HK Cap. 650).
#[utoipa::path(post, path = "/api/v1/cases/{id}/mandatory-reports", tag = "cases", params(("id" = CaseId, Path)), request_body = MandatoryReportBody,
    responses((status = 200, body = Case), (status = 409), (status = 422)))]
pub async fn mandatory_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(b): ApiJson<MandatoryReportBody>,
) -> AppResult<Json<Case>> {
    Ok(Json(svc::mandatory_report(&state, &ctx, id, b.version, &b.report).await?))
}

/// Closes the case, or asks for approval where the agency requires it (status `closure_pending`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/close", tag = "cases", params(("id" = CaseId, Path)), request_body = ClosureInput,
    responses((status = 200, body = Case), (status = 409), (status = 422)))]
pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(input): ApiJson<ClosureInput>,
) -> AppResult<Json<Case>> {
    Ok(Json(svc::close(&state, &ctx, id, &input).await?))
}

/// A supervisor approves a requested closure or returns it with a comment.
#[utoipa::path(post, path = "/api/v1/cases/{id}/closure", tag = "cases", params(("id" = CaseId, Path)), request_body = DecisionInput,
    responses((status = 200, body = Case), (status = 409), (status = 422)))]
pub async fn decide_closure(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> AppResult<Json<Case>> {
    Ok(Json(svc::decide_closure(&state, &ctx, id, &input).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/reopen", tag = "cases", params(("id" = CaseId, Path)), request_body = ReopenInput,
    responses((status = 200, body = Case), (status = 409), (status = 422)))]
pub async fn reopen(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<CaseId>,
    ApiJson(input): ApiJson<ReopenInput>,
) -> AppResult<Json<Case>> {
    Ok(Json(svc::reopen(&state, &ctx, id, &input).await?))
}
