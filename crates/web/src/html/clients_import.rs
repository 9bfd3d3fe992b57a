//! The client import pages: upload a file, watch it being checked, read the dry-run report
//! (every bad row with its row number, column and a message in the user's language), adjust
//! the column mapping, then import — all or nothing.
//!
//! An upload is processed by a background task under a random job id; the job's page
//! refreshes itself every second while it runs. Jobs live in memory for two hours and only
//! the person who started one can see it. The file stays with a dry-run job so it can be
//! checked again with another mapping, or imported, without uploading it again.

use crate::clients::import::{self, ImportReport, ImportRequest, ImportResult, PlanOptions, Progress, RowErrorReport, Stage, Target};
use crate::ctx::{csrf_matches, random_token, Ctx, RequestCtx, CSRF_FIELD};
use crate::error::{AppError, AppResult};
use crate::page::{field_message, render, render_invalid, Page};
use crate::tabular::{self, ReadOptions};
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use shegong_domain::accounts::{Actor, Permission, Scope};
use shegong_domain::ids::{OrgId, UnitId, UserId};
use shegong_domain::locale::Locale;
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The upload routes take files up to the reader's limit (plus room for the form around it).
pub const UPLOAD_LIMIT: usize = tabular::MAX_FILE_BYTES + 1024 * 1024;

/// How many problems the page lists (the download holds them all).
const SHOWN_ERRORS: usize = 1000;
const JOB_TTL: Duration = Duration::from_secs(2 * 60 * 60);
const JOBS_PER_USER: usize = 4;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/clients/import", get(upload_page).post(upload))
        .route("/clients/import/{job}", get(job_page).post(rerun))
        .route("/clients/import/{job}/errors.csv", get(errors_download))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT))
}

// ---------------------------------------------------------------------------------------
// Jobs

enum JobState {
    Running(Stage),
    Finished(Box<Finished>),
    /// Problems with the file itself, or a failure of storage.
    Failed(Vec<FieldError>),
}

struct Finished {
    /// The result with the validated rows dropped (only their count is kept).
    result: ImportResult,
    valid: usize,
}

struct Job {
    owner: UserId,
    org: OrgId,
    started: Instant,
    unit_id: UnitId,
    file_name: String,
    dry_run: bool,
    /// The file and options; the file is dropped once the rows are registered.
    request: Mutex<ImportRequest>,
    state: Mutex<JobState>,
}

impl Job {
    fn set(&self, s: JobState) {
        if let Ok(mut g) = self.state.lock() {
            *g = s;
        }
    }
}

/// Marks the job failed if its task ends without finishing it (a panic, a cancelled task).
struct FailUnlessFinished(Arc<Job>);

impl Drop for FailUnlessFinished {
    fn drop(&mut self) {
        if let Ok(mut g) = self.0.state.lock() {
            if matches!(*g, JobState::Running(_)) {
                *g = JobState::Failed(vec![FieldError::new("file", "import-failed")]);
            }
        }
    }
}

fn jobs() -> &'static Mutex<HashMap<String, Arc<Job>>> {
    static JOBS: OnceLock<Mutex<HashMap<String, Arc<Job>>>> = OnceLock::new();
    JOBS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn add_job(job: Arc<Job>) -> String {
    let id = random_token();
    if let Ok(mut map) = jobs().lock() {
        map.retain(|_, j| j.started.elapsed() < JOB_TTL);
        // Keep each person's newest few (each may hold a file of up to 20 MB).
        let mut mine: Vec<(String, Instant)> =
            map.iter().filter(|(_, j)| j.owner == job.owner).map(|(k, j)| (k.clone(), j.started)).collect();
        mine.sort_by_key(|(_, t)| *t);
        let excess = (mine.len() + 1).saturating_sub(JOBS_PER_USER);
        for (k, _) in mine.into_iter().take(excess) {
            map.remove(&k);
        }
        map.insert(id.clone(), job);
    }
    id
}

/// The caller's own job: anyone else's (or an expired one) is "not found".
fn own_job(ctx: &Ctx, id: &str) -> AppResult<Arc<Job>> {
    let job = jobs().lock().ok().and_then(|m| m.get(id).cloned());
    match job {
        Some(j) if j.owner == ctx.user.id && j.org == ctx.user.org_id && j.started.elapsed() < JOB_TTL => Ok(j),
        _ => Err(DomainError::NotFound.into()),
    }
}

/// Starts the import in the background and returns the job's id.
fn start(state: &AppState, ctx: &Ctx, request: ImportRequest, file_name: String) -> String {
    let job = Arc::new(Job {
        owner: ctx.user.id,
        org: ctx.user.org_id,
        started: Instant::now(),
        unit_id: request.plan.unit_id,
        file_name,
        dry_run: request.dry_run,
        request: Mutex::new(request.clone()),
        state: Mutex::new(JobState::Running(Stage::Reading)),
    });
    let id = add_job(Arc::clone(&job));
    let (state, actor): (AppState, Actor) = (state.clone(), ctx.actor());
    tokio::spawn(async move {
        let guard = FailUnlessFinished(Arc::clone(&job));
        let watcher = Arc::clone(&job);
        let progress: Progress = Arc::new(move |s| watcher.set(JobState::Running(s)));
        let outcome = import::run(&state, &actor, &request, progress).await;
        let next = match outcome {
            Ok(mut result) => {
                if result.committed() {
                    drop_file(&job);
                }
                let valid = result.plan.valid.len();
                result.plan.valid = Vec::new();
                JobState::Finished(Box::new(Finished { result, valid }))
            }
            Err(DomainError::Invalid(errors)) => JobState::Failed(errors),
            Err(e) => {
                tracing::error!(error = %e, "client import failed");
                JobState::Failed(vec![FieldError::new("file", "import-failed")])
            }
        };
        job.set(next);
        drop(guard);
    });
    id
}

/// After the rows are registered the file is no longer needed (nor may it be imported again
/// from this job).
fn drop_file(job: &Job) {
    if let Ok(mut r) = job.request.lock() {
        r.bytes = Arc::new(Vec::new());
    }
}

// ---------------------------------------------------------------------------------------
// Pages

struct UnitOption {
    id: UnitId,
    name: String,
    selected: bool,
}

struct TargetOption {
    code: &'static str,
    label: String,
}

struct ColumnView {
    index: usize,
    letter: String,
    header: String,
    sample: String,
    target: &'static str,
}

struct Notice {
    ok: bool,
    text: String,
}

struct ReportView {
    read_as: String,
    notice: Option<Notice>,
    /// (label, number) lines of the summary.
    summary: Vec<(String, String)>,
    file_errors: Vec<String>,
    errors: Vec<RowErrorReport>,
    /// "Showing the first … of …" when the list is cut.
    more: Option<String>,
    columns: Vec<ColumnView>,
    can_commit: bool,
    can_recheck: bool,
}

struct Running {
    percent: u8,
    stage: String,
    detail: String,
}

struct JobView {
    id: String,
    file_name: String,
    unit_name: String,
    running: Option<Running>,
    failed: Vec<String>,
    report: Option<ReportView>,
}

#[derive(Template)]
#[template(path = "clients_import.html")]
struct ImportPage {
    page: Page,
    units: Vec<UnitOption>,
    encoding: String,
    encodings: Vec<&'static str>,
    targets: Vec<TargetOption>,
    errors: Vec<FieldError>,
    job: Option<JobView>,
}

/// Units where the caller may import (ManageClients), active ones only.
async fn import_units(state: &AppState, ctx: &Ctx) -> AppResult<Vec<ServiceUnit>> {
    let units = state.store.list_units(ctx.user.org_id).await?;
    Ok(units.into_iter().filter(|u| u.active && ctx.can(Permission::ManageClients, Scope::Unit(u.id))).collect())
}

async fn page_for(state: &AppState, rc: &RequestCtx, ctx: &Ctx, path: &str, chosen: Option<UnitId>) -> AppResult<(Page, Vec<UnitOption>)> {
    let page = Page::new(state, rc, path).await;
    let units = import_units(state, ctx).await?;
    let only = (units.len() == 1).then(|| units.first().map(|u| u.id)).flatten();
    let chosen = chosen.or(only);
    let options = units.iter().map(|u| UnitOption { id: u.id, name: page.unit_name(u), selected: Some(u.id) == chosen }).collect();
    Ok((page, options))
}

fn targets(page: &Page) -> Vec<TargetOption> {
    Target::ALL.iter().map(|t| TargetOption { code: t.as_str(), label: page.t(t.label_key()) }).collect()
}

fn encodings() -> Vec<&'static str> {
    tabular::known_encodings().iter().map(|(label, _)| *label).collect()
}

pub async fn upload_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx) -> AppResult<Response> {
    ctx.require(Permission::ManageClients, Scope::AnyUnit)?;
    let (page, units) = page_for(&state, &rc, &ctx, "/clients/import", None).await?;
    let targets = targets(&page);
    render(&ImportPage { page, units, encoding: String::new(), encodings: encodings(), targets, errors: Vec::new(), job: None })
}

fn region(l: Locale) -> Option<&'static [u8]> {
    match l {
        Locale::ZhHantHk => Some(b"hk"),
        Locale::ZhHansCn => Some(b"cn"),
        Locale::En => None,
    }
}

fn read_options(locale: Locale, encoding: &str) -> ReadOptions {
    ReadOptions { encoding: tabular::encoding_for_label(encoding).filter(|_| !encoding.trim().is_empty()), region: region(locale) }
}

/// `map_3=phones` fields: the user's choice for column 3.
fn overrides(fields: &HashMap<String, String>) -> HashMap<usize, String> {
    fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("map_")?.parse::<usize>().ok()?, v.clone())))
        .filter(|(_, v)| Target::parse(v).is_some())
        .collect()
}

/// A multipart upload that cannot be read: too large, or not a form.
pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::Malformed("multipart".into())
    }
}

/// POST /clients/import (multipart: `_csrf`, `unit_id`, `mode`, `encoding`, `map_N`, `file`).
pub async fn upload(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let mut multipart = multipart.map_err(|_| AppError::UnsupportedMedia)?;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let data = field.bytes().await.map_err(multipart_error)?;
            file = Some((file_name, data.to_vec()));
        } else if fields.len() < 2000 {
            let text = field.text().await.map_err(multipart_error)?;
            fields.insert(name, text);
        }
    }
    // The middleware does not read multipart bodies: the token is checked here, first.
    if !csrf_matches(&ctx.csrf, fields.get(CSRF_FIELD).map(String::as_str).unwrap_or_default()) {
        return Err(AppError::Csrf);
    }
    ctx.require(Permission::ManageClients, Scope::AnyUnit)?;
    let encoding = fields.get("encoding").cloned().unwrap_or_default();
    let unit_id = fields.get("unit_id").and_then(|u| u.trim().parse::<UnitId>().ok());
    let mut errors = Vec::new();
    match unit_id {
        None => errors.push(FieldError::new("unit_id", "required")),
        Some(u) => {
            ctx.require(Permission::ManageClients, Scope::Unit(u))?;
            match state.store.get_unit(ctx.user.org_id, u).await {
                Ok(unit) if unit.active => {}
                Ok(_) | Err(DomainError::NotFound) => errors.push(FieldError::new("unit_id", "unknown-unit")),
                Err(e) => return Err(e.into()),
            }
        }
    }
    let file = file.filter(|(_, b)| !b.is_empty());
    if file.is_none() {
        errors.push(FieldError::new("file", "required"));
    }
    let (Some(unit_id), Some((file_name, bytes)), true) = (unit_id, file, errors.is_empty()) else {
        let (page, units) = page_for(&state, &rc, &ctx, "/clients/import", unit_id).await?;
        let targets = targets(&page);
        return render_invalid(&ImportPage { page, units, encoding, encodings: encodings(), targets, errors, job: None });
    };
    let org = ctx.user.org_id;
    let request = ImportRequest {
        bytes: Arc::new(bytes),
        file_name: file_name.clone(),
        read: read_options(ctx.locale, &encoding),
        plan: PlanOptions {
            unit_id,
            today: crate::clients::today(&state, org).await?,
            categories: state.store.categories(org).await?,
            overrides: overrides(&fields),
        },
        dry_run: fields.get("mode").map(String::as_str) != Some("commit"),
    };
    let id = start(&state, &ctx, request, file_name);
    Ok(Redirect::to(&format!("/clients/import/{id}")).into_response())
}

/// POST /clients/import/{job} (url-encoded: `mode`, `map_N`): checks the same file again with
/// the chosen mapping, or imports it.
pub async fn rerun(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    super::HtmlForm(fields): super::HtmlForm<HashMap<String, String>>,
) -> AppResult<Response> {
    let job = own_job(&ctx, &id)?;
    ctx.require(Permission::ManageClients, Scope::Unit(job.unit_id))?;
    let mut request = job.request.lock().map_err(|_| AppError::Internal("job lock".into()))?.clone();
    if request.bytes.is_empty() {
        // Already imported: nothing to run again.
        return Ok(Redirect::to(&format!("/clients/import/{id}")).into_response());
    }
    request.plan.overrides = overrides(&fields);
    request.plan.today = crate::clients::today(&state, ctx.user.org_id).await?;
    request.plan.categories = state.store.categories(ctx.user.org_id).await?;
    request.dry_run = fields.get("mode").map(String::as_str) != Some("commit");
    let new_id = start(&state, &ctx, request, job.file_name.clone());
    Ok(Redirect::to(&format!("/clients/import/{new_id}")).into_response())
}

fn report_view(page: &Page, f: &Finished, dry_run: bool, has_file: bool) -> ReportView {
    let r = &f.result;
    let p = &r.plan;
    let report = ImportReport::new(r, page.locale);
    let mut read_as = p.format.as_str().to_string();
    for extra in [p.encoding.map(str::to_string), p.sheet.clone()].into_iter().flatten() {
        read_as.push_str(" · ");
        read_as.push_str(&extra);
    }
    let columns = p
        .mapping
        .iter()
        .enumerate()
        .map(|(i, t)| ColumnView {
            index: i,
            letter: tabular::column_letter(i),
            header: p.header.get(i).cloned().unwrap_or_default(),
            sample: p.samples.get(i).cloned().unwrap_or_default(),
            target: t.as_str(),
        })
        .collect();
    let n = |v: usize| crate::i18n::number(v as i64);
    let mut summary = vec![
        (page.t("import-summary-rows"), n(p.rows)),
        (page.t("import-summary-valid"), n(f.valid)),
        (page.t("import-summary-errors"), n(p.bad_rows)),
    ];
    if let Some(a) = report.already_registered {
        summary.push((page.t("import-summary-registered"), n(a as usize)));
    }
    let clean = p.errors.is_empty() && p.file_errors.is_empty() && f.valid > 0;
    let notice = if let Some(o) = &r.outcome {
        let args = [("created", n(o.created as usize)), ("skipped", n(o.already_registered as usize))];
        Some(Notice { ok: true, text: crate::i18n::t_args(page.locale, "import-committed", &args) })
    } else if !p.file_errors.is_empty() {
        None
    } else if clean && dry_run {
        Some(Notice { ok: true, text: page.t("import-dry-run-ok") })
    } else if dry_run {
        Some(Notice { ok: false, text: page.ta("import-dry-run-bad", "count", &n(p.bad_rows)) })
    } else {
        Some(Notice { ok: false, text: page.ta("import-refused", "count", &n(p.bad_rows)) })
    };
    let total = report.errors.len();
    let more = (total > SHOWN_ERRORS)
        .then(|| crate::i18n::t_args(page.locale, "import-errors-more", &[("shown", n(SHOWN_ERRORS)), ("total", n(total))]));
    ReportView {
        read_as: page.ta("import-read-as", "format", &read_as),
        notice,
        summary,
        file_errors: p.file_errors.iter().map(|e| field_message(page.locale, e)).collect(),
        errors: report.errors.into_iter().take(SHOWN_ERRORS).collect(),
        more,
        columns,
        can_commit: dry_run && has_file && clean,
        can_recheck: has_file && !r.committed(),
    }
}

/// GET /clients/import/{job}: progress while running, then the report.
pub async fn job_page(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let job = own_job(&ctx, &id)?;
    let (page, units) = page_for(&state, &rc, &ctx, "/clients/import", Some(job.unit_id)).await?;
    let unit_name = match state.store.get_unit(ctx.user.org_id, job.unit_id).await {
        Ok(u) => page.unit_name(&u),
        Err(_) => String::new(),
    };
    let has_file = job.request.lock().map(|r| !r.bytes.is_empty()).unwrap_or(false);
    let (running, failed, report) = {
        let st = job.state.lock().map_err(|_| AppError::Internal("job lock".into()))?;
        match &*st {
            JobState::Running(stage) => {
                let detail = match stage {
                    Stage::Checking { done, total } => i18n_progress(&page, *done, *total),
                    _ => String::new(),
                };
                (Some(Running { percent: stage.percent(), stage: page.t(stage.key()), detail }), Vec::new(), None)
            }
            JobState::Failed(errors) => (None, errors.iter().map(|e| field_message(page.locale, e)).collect(), None),
            JobState::Finished(f) => (None, Vec::new(), Some(report_view(&page, f, job.dry_run, has_file))),
        }
    };
    let is_running = running.is_some();
    let view = JobView { id: id.clone(), file_name: job.file_name.clone(), unit_name, running, failed, report };
    let targets = targets(&page);
    let mut resp =
        render(&ImportPage { page, units, encoding: String::new(), encodings: encodings(), targets, errors: Vec::new(), job: Some(view) })?;
    if is_running {
        // Browsers reload the page every second until the job is done (the page also carries
        // the equivalent meta element).
        resp.headers_mut().insert("refresh", HeaderValue::from_static("1"));
    }
    Ok(resp)
}

fn i18n_progress(page: &Page, done: usize, total: usize) -> String {
    crate::i18n::t_args(
        page.locale,
        "import-progress",
        &[("done", crate::i18n::number(done as i64)), ("total", crate::i18n::number(total as i64))],
    )
}

/// GET /clients/import/{job}/errors.csv: every problem, in the user's language.
pub async fn errors_download(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let job = own_job(&ctx, &id)?;
    let bytes = {
        let st = job.state.lock().map_err(|_| AppError::Internal("job lock".into()))?;
        match &*st {
            JobState::Finished(f) => import::errors_csv(&f.result.plan, ctx.locale),
            _ => return Err(DomainError::NotFound.into()),
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"import-problems.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_fields_become_overrides() {
        let f = HashMap::from([
            ("map_0".to_string(), "name_zh".to_string()),
            ("map_2".to_string(), "".to_string()),
            ("map_x".to_string(), "sex".to_string()),
            ("map_3".to_string(), "nonsense".to_string()),
            ("mode".to_string(), "commit".to_string()),
        ]);
        assert_eq!(overrides(&f), HashMap::from([(0, "name_zh".to_string())]));
    }

    #[test]
    fn encodings_offered_are_known() {
        for e in encodings() {
            assert!(tabular::encoding_for_label(e).is_some(), "{e}");
        }
        assert!(read_options(Locale::En, "").encoding.is_none());
        assert_eq!(read_options(Locale::ZhHantHk, "big5").encoding, Some(encoding_rs::BIG5));
        assert_eq!(read_options(Locale::ZhHantHk, "").region, Some(b"hk".as_slice()));
    }
}
