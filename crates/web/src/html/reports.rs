//! Report pages: the output report (with a print view and XLSX/CSV exports), the dashboard of
//! monthly trends as SVG charts with achievement against targets, and the targets themselves.
//! Every figure comes from `crate::reports`; every form works without JavaScript.

use super::HtmlForm;
use crate::clients::export::ExportFormat;
use crate::ctx::{Ctx, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::page::{render, render_form, Page};
use crate::reports::export::Labels;
use crate::reports::{self as svc, chart, OutputReport, ReportParams, Trends, TREND_MEASURES};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::ids::{TargetId, UnitId};
use shegong_domain::reports::{Achievement, BreakdownRow, Figure, Line, Measure, Pace, PeriodInput, Target, TargetInput};
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, FieldError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(outputs))
        .route("/reports/export", get(export))
        .route("/reports/dashboard", get(dashboard))
        .route("/reports/targets", get(targets).post(create_target))
        .route("/reports/targets/{id}", post(update_target))
        .route("/reports/targets/{id}/delete", post(delete_target))
}

/// The report form as typed (kept as text so a bad value comes back as it was).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ReportQuery {
    period: String,
    value: String,
    from: String,
    to: String,
    unit_id: String,
    district: String,
    print: String,
}

impl ReportQuery {
    fn params(&self) -> Result<ReportParams, DomainError> {
        let unit_id = match self.unit_id.trim() {
            "" => None,
            s => Some(s.parse::<UnitId>().map_err(|_| DomainError::invalid("unit_id", "unknown-unit"))?),
        };
        Ok(ReportParams {
            period: PeriodInput { period: self.period.clone(), value: self.value.clone(), from: self.from.clone(), to: self.to.clone() },
            unit_id,
            district: self.district.clone(),
        })
    }

    /// The same report's query string, for the export links.
    fn query(&self) -> String {
        let pairs = [
            ("period", &self.period),
            ("value", &self.value),
            ("from", &self.from),
            ("to", &self.to),
            ("unit_id", &self.unit_id),
            ("district", &self.district),
        ];
        let kept: Vec<(&str, &str)> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.as_str())).collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    }
}

/// What the report pages share: names for keys and the form's choices.
struct Choices {
    units: Vec<ServiceUnit>,
    districts: Vec<String>,
}

async fn choices(state: &AppState, ctx: &Ctx) -> AppResult<Choices> {
    let units = svc::units(state, ctx).await?;
    let mut districts: Vec<String> = units.iter().map(|u| u.district.clone()).filter(|d| !d.is_empty()).collect();
    districts.sort();
    districts.dedup();
    Ok(Choices { units, districts })
}

fn figure_text(page: &Page, f: &Figure) -> String {
    match f.value {
        Some(v) if v.fract() == 0.0 => page.num(&(v as i64)),
        Some(v) => format!("{v:.1}"),
        None => format!("<{}", shegong_domain::reports::SMALL_CELL),
    }
}

#[derive(Template)]
#[template(path = "reports_outputs.html")]
struct OutputsPage {
    page: Page,
    q: ReportQuery,
    choices: Choices,
    report: Option<OutputReport>,
    labels: Option<Labels>,
    errors: Vec<FieldError>,
    print: bool,
}

impl OutputsPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn measure(&self, m: &Measure) -> String {
        self.page.t(&format!("report-measure-{}", m.as_str()))
    }
    fn section(&self, s: &str) -> String {
        self.page.t(&format!("report-section-{s}"))
    }
    fn fig(&self, f: &Figure) -> String {
        figure_text(&self.page, f)
    }
    fn key(&self, which: &str, key: &str) -> String {
        let Some(l) = &self.labels else { return key.to_string() };
        let map = match which {
            "unit_month" => {
                let (unit, month) = key.split_once('/').unwrap_or((key, ""));
                return format!("{} · {month}", l.units.get(unit).map_or(unit, String::as_str));
            }
            "unit" => &l.units,
            "domain" => &l.domains,
            _ => &l.categories,
        };
        map.get(key).cloned().unwrap_or_else(|| if key == "-" { self.page.t("report-none") } else { key.to_string() })
    }
    fn scope_text(&self) -> String {
        self.labels.as_ref().map(|l| l.scope.clone()).unwrap_or_default()
    }
    /// The measures used by any row, in report order: the columns of a breakdown table.
    fn columns(&self, rows: &[BreakdownRow]) -> Vec<Measure> {
        Measure::ALL.iter().copied().filter(|m| rows.iter().any(|r| r.figures.iter().any(|l| l.measure == *m))).collect()
    }
    fn cell(&self, row: &BreakdownRow, m: &Measure) -> String {
        row.figures.iter().find(|l| l.measure == *m).map(|l| self.fig(&l.figure)).unwrap_or_default()
    }
    /// The report's lines, grouped by section in order.
    fn sections(&self) -> Vec<(String, Vec<Line>)> {
        let mut out: Vec<(String, Vec<Line>)> = Vec::new();
        for l in self.report.iter().flat_map(|r| r.lines.iter()) {
            match out.last_mut() {
                Some((s, v)) if s == l.section => v.push(l.clone()),
                _ => out.push((l.section.to_string(), vec![l.clone()])),
            }
        }
        out
    }
    fn is_unit(&self, id: &UnitId) -> bool {
        self.q.unit_id == id.to_string()
    }
    /// The three breakdowns: which key names they use, their title, their rows.
    fn breakdowns(&self) -> Vec<(&'static str, &'static str, &[BreakdownRow])> {
        let Some(r) = &self.report else { return Vec::new() };
        vec![
            ("unit", "report-by-unit", &r.by_unit),
            ("unit_month", "report-by-unit-month", &r.by_unit_month),
            ("domain", "report-by-domain", &r.by_domain),
            ("category", "report-by-category", &r.by_category),
        ]
    }
    fn export_link(&self, format: &str) -> String {
        let q = self.q.query();
        if q.is_empty() {
            format!("/reports/export?format={format}")
        } else {
            format!("/reports/export?{q}&format={format}")
        }
    }
    fn print_link(&self) -> String {
        let q = self.q.query();
        if q.is_empty() {
            "/reports?print=1".into()
        } else {
            format!("/reports?{q}&print=1")
        }
    }
}

pub async fn outputs(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<ReportQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewReports, Scope::AnyUnit)?;
    let page = Page::new(&state, &rc, "/reports").await;
    let choices = choices(&state, &ctx).await?;
    let print = !q.print.is_empty();
    let built = async {
        let r = svc::resolve(&state, &ctx, &q.params()?).await?;
        let report = svc::output_report(state.store.as_ref(), &r).await?;
        let labels = svc::labels(state.store.as_ref(), &r, rc.locale).await?;
        Ok::<_, AppError>((report, labels))
    }
    .await;
    match built {
        Ok((report, labels)) => {
            render(&OutputsPage { page, q, choices, report: Some(report), labels: Some(labels), errors: Vec::new(), print })
        }
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            render_form(&OutputsPage { page, q, choices, report: None, labels: None, errors, print: false }, true)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    #[serde(flatten)]
    q: ReportQuery,
    format: String,
}

pub async fn export(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(e): Query<ExportQuery>) -> AppResult<Response> {
    let format = ExportFormat::parse(&e.format).ok_or_else(|| DomainError::invalid("format", "unknown-choice"))?;
    svc::download(&state, &ctx, &e.q.params()?, format, rc.locale).await
}

// ---------------------------------------------------------------------------------------------
// Dashboard

#[derive(Template)]
#[template(path = "reports_dashboard.html")]
struct DashboardPage {
    page: Page,
    q: ReportQuery,
    choices: Choices,
    trends: Option<Trends>,
    charts: Vec<(String, String)>,
    achievements: Vec<Achievement>,
    labels: Option<Labels>,
    errors: Vec<FieldError>,
}

impl DashboardPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn measure(&self, m: &Measure) -> String {
        self.page.t(&format!("report-measure-{}", m.as_str()))
    }
    fn fig(&self, f: &Figure) -> String {
        figure_text(&self.page, f)
    }
    fn is_unit(&self, id: &UnitId) -> bool {
        self.q.unit_id == id.to_string()
    }
    fn measures(&self) -> &'static [Measure] {
        &TREND_MEASURES
    }
    fn cell(&self, lines: &[Line], m: &Measure) -> String {
        lines.iter().find(|l| l.measure == *m).map(|l| self.fig(&l.figure)).unwrap_or_default()
    }
    fn unit(&self, id: &UnitId) -> String {
        self.labels.as_ref().and_then(|l| l.units.get(&id.to_string()).cloned()).unwrap_or_default()
    }
    fn actual(&self, a: &Achievement) -> String {
        match a.actual {
            Some(v) => self.fig(&Figure::shown(v)),
            None => format!("<{}", shegong_domain::reports::SMALL_CELL),
        }
    }
    fn pace(&self, p: &Pace) -> String {
        self.page.t(&format!("report-pace-{}", p.as_str()))
    }
    fn scope_text(&self) -> String {
        self.labels.as_ref().map(|l| l.scope.clone()).unwrap_or_default()
    }
    fn target_text(&self, t: &Target) -> String {
        figure_text(&self.page, &Figure::shown(t.target))
    }
}

/// A dashboard's default period: the twelve months up to the agency's today.
fn last_twelve_months(today: chrono::NaiveDate) -> (String, String) {
    use chrono::Datelike;
    let first = chrono::NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(11)))
        .unwrap_or(today);
    (first.to_string(), today.to_string())
}

fn charts(page: &Page, t: &Trends) -> Vec<(String, String)> {
    let labels: Vec<String> = t.months.iter().map(|m| m.month.clone()).collect();
    let series = |m: Measure| -> Vec<Option<f64>> {
        t.months.iter().map(|mo| mo.lines.iter().find(|l| l.measure == m).and_then(|l| l.figure.value)).collect()
    };
    let name = |m: Measure| page.t(&format!("report-measure-{}", m.as_str()));
    let mut out = vec![(
        "chart-people".to_string(),
        chart::lines(
            "chart-people",
            &page.t("report-chart-people"),
            &labels,
            &[(name(Measure::PersonTimes), series(Measure::PersonTimes)), (name(Measure::UniquePersons), series(Measure::UniquePersons))],
        ),
    )];
    for (id, m) in [
        ("chart-cases", Measure::CasesServed),
        ("chart-hours", Measure::VolunteerHours),
        ("chart-calls", Measure::HotlineCalls),
        ("chart-loans", Measure::ToyLoans),
    ] {
        out.push((id.to_string(), chart::bars(id, &name(m), &labels, &series(m))));
    }
    out
}

pub async fn dashboard(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(mut q): Query<ReportQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewReports, Scope::AnyUnit)?;
    let page = Page::new(&state, &rc, "/reports/dashboard").await;
    let choices = choices(&state, &ctx).await?;
    if q.period.is_empty() && q.value.is_empty() && q.from.is_empty() && q.to.is_empty() {
        let today = crate::clients::today(&state, ctx.user.org_id).await?;
        (q.from, q.to) = last_twelve_months(today);
    }
    let built = async {
        let params = q.params()?;
        let r = svc::resolve(&state, &ctx, &params).await?;
        let trends = svc::trends(state.store.as_ref(), &r).await?;
        let labels = svc::labels(state.store.as_ref(), &r, rc.locale).await?;
        let year = chrono::Datelike::year(&r.period.to);
        let (_, achievements) = svc::achievements(&state, &ctx, Some(year), params.unit_id).await?;
        Ok::<_, AppError>((trends, labels, achievements))
    }
    .await;
    match built {
        Ok((trends, labels, achievements)) => {
            let charts = charts(&page, &trends);
            render(&DashboardPage {
                page,
                q,
                choices,
                trends: Some(trends),
                charts,
                achievements,
                labels: Some(labels),
                errors: Vec::new(),
            })
        }
        Err(AppError::Domain(DomainError::Invalid(errors))) => render_form(
            &DashboardPage { page, q, choices, trends: None, charts: Vec::new(), achievements: Vec::new(), labels: None, errors },
            true,
        ),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Targets

#[derive(Template)]
#[template(path = "reports_targets.html")]
struct TargetsPage {
    page: Page,
    notice: Option<String>,
    year: i32,
    achievements: Vec<Achievement>,
    units: Vec<ServiceUnit>,
    can_manage: bool,
    form: TargetForm,
    /// The target whose form came back with errors (None: the new-target form).
    editing: Option<TargetId>,
    errors: Vec<FieldError>,
}

impl TargetsPage {
    fn errs(&self, f: &str) -> Vec<String> {
        self.page.errors_for(&self.errors, f)
    }
    fn all_errors(&self) -> Vec<String> {
        self.errors.iter().map(|e| crate::page::field_message(self.page.locale, e)).collect()
    }
    fn new_errs(&self, f: &str) -> Vec<String> {
        if self.editing.is_none() {
            self.errs(f)
        } else {
            Vec::new()
        }
    }
    fn measure(&self, m: &Measure) -> String {
        self.page.t(&format!("report-measure-{}", m.as_str()))
    }
    fn measures(&self) -> &'static [Measure] {
        Measure::ALL
    }
    fn unit(&self, id: &UnitId) -> String {
        self.units.iter().find(|u| u.id == *id).map(|u| u.name(self.page.locale).to_string()).unwrap_or_else(|| "—".into())
    }
    fn actual(&self, a: &Achievement) -> String {
        match a.actual {
            Some(v) => figure_text(&self.page, &Figure::shown(v)),
            None => format!("<{}", shegong_domain::reports::SMALL_CELL),
        }
    }
    fn target_text(&self, t: &Target) -> String {
        figure_text(&self.page, &Figure::shown(t.target))
    }
    fn pace(&self, p: &Pace) -> String {
        self.page.t(&format!("report-pace-{}", p.as_str()))
    }
    fn is_editing(&self, id: &TargetId) -> bool {
        self.editing == Some(*id)
    }
    fn form_unit(&self, id: &UnitId) -> bool {
        self.form.unit_id == id.to_string()
    }
    fn form_measure(&self, m: &Measure) -> bool {
        self.form.measure == m.as_str()
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TargetForm {
    unit_id: String,
    agreement: String,
    year: String,
    measure: String,
    target: String,
    label: String,
    version: String,
}

impl TargetForm {
    fn input(&self) -> TargetInput {
        TargetInput {
            unit_id: self.unit_id.trim().parse().ok(),
            agreement: self.agreement.clone(),
            year: self.year.clone(),
            measure: self.measure.clone(),
            target: self.target.clone(),
            label: self.label.clone(),
            version: self.version.trim().parse().unwrap_or(0),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TargetsQuery {
    year: String,
    notice: String,
}

/// What the targets page shows besides the targets: a notice, or a form kept with its errors.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    form: Option<TargetForm>,
    /// The target whose form came back (None: the new-target form).
    editing: Option<TargetId>,
    errors: Vec<FieldError>,
}

async fn targets_view(state: &AppState, rc: &RequestCtx, ctx: &Ctx, year: Option<i32>, shown: Shown) -> AppResult<Response> {
    let Shown { notice, form, editing, errors } = shown;
    let page = Page::new(state, rc, "/reports/targets").await;
    let (year, achievements) = svc::achievements(state, ctx, year, None).await?;
    let invalid = !errors.is_empty();
    let form = form.unwrap_or_else(|| TargetForm { year: year.to_string(), ..Default::default() });
    let units = svc::units(state, ctx).await?;
    let can_manage = ctx.can(Permission::ManageTargets, Scope::AnyUnit);
    render_form(&TargetsPage { page, notice, year, achievements, units, can_manage, form, editing, errors }, invalid)
}

pub async fn targets(State(state): State<AppState>, rc: RequestCtx, ctx: Ctx, Query(q): Query<TargetsQuery>) -> AppResult<Response> {
    ctx.require(Permission::ViewReports, Scope::AnyUnit)?;
    let known = ["created", "saved", "deleted"].contains(&q.notice.as_str());
    let notice = known.then(|| crate::i18n::t(rc.locale, &format!("report-notice-{}", q.notice)));
    targets_view(&state, &rc, &ctx, q.year.trim().parse().ok(), Shown { notice, ..Default::default() }).await
}

pub async fn create_target(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    HtmlForm(f): HtmlForm<TargetForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageTargets, Scope::AnyUnit)?;
    match svc::create_target(&state, &ctx, &f.input()).await {
        Ok(t) => Ok(Redirect::to(&format!("/reports/targets?year={}&notice=created", t.year)).into_response()),
        Err(AppError::Domain(DomainError::Invalid(errors))) => {
            let year = f.year.trim().parse().ok();
            targets_view(&state, &rc, &ctx, year, Shown { form: Some(f), errors, ..Default::default() }).await
        }
        Err(e) => Err(e),
    }
}

pub async fn update_target(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<TargetId>,
    HtmlForm(f): HtmlForm<TargetForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageTargets, Scope::AnyUnit)?;
    let input = f.input();
    match svc::update_target(&state, &ctx, id, input.version, &input).await {
        Ok(t) => Ok(Redirect::to(&format!("/reports/targets?year={}&notice=saved", t.year)).into_response()),
        Err(AppError::Domain(e @ (DomainError::Invalid(_) | DomainError::Stale))) => {
            let errors = match e {
                DomainError::Invalid(errors) => errors,
                _ => vec![FieldError::new("target", "stale-form")],
            };
            let year = f.year.trim().parse().ok();
            targets_view(&state, &rc, &ctx, year, Shown { form: Some(f), editing: Some(id), errors, ..Default::default() }).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    version: String,
}

pub async fn delete_target(
    State(state): State<AppState>,
    rc: RequestCtx,
    ctx: Ctx,
    Path(id): Path<TargetId>,
    HtmlForm(f): HtmlForm<DeleteForm>,
) -> AppResult<Response> {
    let t = svc::target(&state, &ctx, id, Permission::ManageTargets).await?;
    match svc::delete_target(&state, &ctx, id, f.version.trim().parse().unwrap_or(0)).await {
        Ok(()) => Ok(Redirect::to(&format!("/reports/targets?year={}&notice=deleted", t.year)).into_response()),
        Err(AppError::Domain(DomainError::Stale)) => {
            let errors = vec![FieldError::new("target", "stale-form")];
            targets_view(&state, &rc, &ctx, Some(t.year), Shown { editing: Some(id), errors, ..Default::default() }).await
        }
        Err(e) => Err(e),
    }
}
