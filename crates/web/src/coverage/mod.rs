//! Coverage service (便利圈): what the pages and the API share. Coverage is about places and
//! counts, never about a person: residents are clients' homes or cells of an imported
//! population grid, reported as totals and as H3 hexagons with counts. Callers who may not
//! read every client of the agency see no hexagon of fewer than five people.

use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::AppState;
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::coverage::{
    hex_cells, parse_grid_csv, straight_minutes, suggest, suppress_small, tally, CoverageSettings, CoverageTotals, HexCell, Network,
    NetworkInfo, Resident, SettingsInput, Site, SiteInput, Suggestion, VULNERABLE,
};
use shegong_domain::ids::{SiteId, UnitId};
use shegong_domain::locale::Locale;
use shegong_domain::{DomainError, FieldError};
use utoipa::ToSchema;

/// The most new sites one suggestion chooses.
pub const MAX_K: usize = 10;

#[derive(Deserialize, Serialize, Default, Clone, Debug, utoipa::IntoParams)]
#[serde(default)]
pub struct CoverageParams {
    /// One district (the whole agency when blank).
    pub district: String,
    /// `grid` (the imported population grid) or `clients`; blank: the grid when one is
    /// imported, otherwise clients.
    pub source: String,
    /// `network` or `straight`; blank: the walking network when one is imported.
    pub method: String,
    /// How many new sites to suggest from the candidate sites (0–10; blank or 0: none).
    pub k: String,
}

/// A candidate given with a suggestion request instead of the stored sites.
#[derive(Deserialize, Serialize, Clone, Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CandidateInput {
    #[serde(default)]
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Deserialize, Serialize, Default, Clone, Debug, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SuggestInput {
    pub district: String,
    pub source: String,
    pub method: String,
    /// How many sites to choose (1–10).
    pub k: usize,
    /// Candidate places (e.g. clicked on the map); the stored candidate sites when empty.
    pub candidates: Vec<CandidateInput>,
}

/// A service point on the map.
#[derive(Serialize, Clone, Debug, ToSchema)]
#[schema(as = CoveragePoint)]
pub struct PointView {
    pub unit_id: UnitId,
    pub name: String,
    pub district: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// Coverage of a district or the whole agency.
#[derive(Serialize, Clone, Debug, ToSchema)]
pub struct CoverageReport {
    /// The district shown (blank: the whole agency).
    pub district: String,
    /// Districts to choose from (of the service units and the grid).
    pub districts: Vec<String>,
    /// `grid` or `clients`.
    pub source: String,
    /// `network` or `straight`.
    pub method: String,
    pub settings: CoverageSettings,
    pub network: Option<NetworkInfo>,
    /// Active service units with coordinates (people may walk across a district's border, so
    /// every point counts).
    pub points: Vec<PointView>,
    pub totals: CoverageTotals,
    /// H3 cells (resolution 9) with their people and mean walking time.
    pub cells: Vec<HexCell>,
    /// Cells of fewer than 5 people left out because the caller may not read every client.
    pub hidden_cells: usize,
    /// Candidate sites for new service points (of the district, and those without one).
    pub sites: Vec<Site>,
    /// The suggestion when `k` was given.
    pub suggestion: Option<Suggestion>,
    /// How the times were worked out, for the reader to check.
    pub rules: String,
}

fn agency_reader(ctx: &Ctx) -> bool {
    ctx.can(Permission::ViewClients, Scope::Agency)
}

pub async fn settings(state: &AppState, ctx: &Ctx) -> AppResult<CoverageSettings> {
    ctx.require(Permission::ViewCoverage, Scope::AnyUnit)?;
    Ok(state.store.coverage_settings(ctx.user.org_id).await?)
}

pub async fn save_settings(state: &AppState, ctx: &Ctx, input: &SettingsInput) -> AppResult<CoverageSettings> {
    ctx.require(Permission::ManageCoverage, Scope::Agency)?;
    let s = input.validate()?;
    Ok(state.store.save_coverage_settings(&ctx.actor(), &s).await?)
}

/// Replaces the population grid with a CSV file's rows; returns the number of cells.
pub async fn import_grid(state: &AppState, ctx: &Ctx, bytes: &[u8]) -> AppResult<u64> {
    ctx.require(Permission::ManageCoverage, Scope::Agency)?;
    if bytes.is_empty() {
        return Err(DomainError::invalid("file", "file-empty").into());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| DomainError::invalid("file", "file-encoding"))?;
    let cells = parse_grid_csv(text)?;
    Ok(state.store.replace_grid(&ctx.actor(), &cells).await?)
}

pub async fn sites(state: &AppState, ctx: &Ctx) -> AppResult<Vec<Site>> {
    ctx.require(Permission::ViewCoverage, Scope::AnyUnit)?;
    Ok(state.store.list_sites(ctx.user.org_id).await?)
}

pub async fn create_site(state: &AppState, ctx: &Ctx, input: &SiteInput) -> AppResult<Site> {
    ctx.require(Permission::ManageCoverage, Scope::Agency)?;
    let f = input.validate()?;
    Ok(state.store.create_site(&ctx.actor(), &f).await?)
}

pub async fn update_site(state: &AppState, ctx: &Ctx, id: SiteId, version: i64, input: &SiteInput) -> AppResult<Site> {
    ctx.require(Permission::ManageCoverage, Scope::Agency)?;
    let f = input.validate()?;
    Ok(state.store.update_site(&ctx.actor(), id, version, &f).await?)
}

pub async fn delete_site(state: &AppState, ctx: &Ctx, id: SiteId, version: i64) -> AppResult<()> {
    ctx.require(Permission::ManageCoverage, Scope::Agency)?;
    Ok(state.store.delete_site(&ctx.actor(), id, version).await?)
}

pub async fn network_info(state: &AppState, ctx: &Ctx) -> AppResult<Option<NetworkInfo>> {
    ctx.require(Permission::ViewCoverage, Scope::AnyUnit)?;
    Ok(state.store.network_info(ctx.user.org_id).await?)
}

fn parse_k(raw: &str) -> AppResult<usize> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(0);
    }
    match raw.parse::<usize>() {
        Ok(k) if k <= MAX_K => Ok(k),
        _ => Err(DomainError::Invalid(vec![FieldError::new("k", "out-of-range").with("min", 0).with("max", MAX_K)]).into()),
    }
}

/// Coverage of a district (or the agency), with a suggestion of `k` new sites when asked.
pub async fn report(state: &AppState, ctx: &Ctx, p: &CoverageParams) -> AppResult<CoverageReport> {
    let k = parse_k(&p.k)?;
    compute(state, ctx, p, k, None).await
}

/// A suggestion for `k` new sites among the given candidates (or the stored sites).
pub async fn suggestion(state: &AppState, ctx: &Ctx, input: &SuggestInput) -> AppResult<CoverageReport> {
    if !(1..=MAX_K).contains(&input.k) {
        return Err(DomainError::Invalid(vec![FieldError::new("k", "out-of-range").with("min", 1).with("max", MAX_K)]).into());
    }
    let p =
        CoverageParams { district: input.district.clone(), source: input.source.clone(), method: input.method.clone(), k: String::new() };
    let given = if input.candidates.is_empty() {
        None
    } else {
        let mut errs = Vec::new();
        for (i, c) in input.candidates.iter().enumerate() {
            if !(c.latitude.is_finite() && c.latitude.abs() <= 90.0 && c.longitude.is_finite() && c.longitude.abs() <= 180.0) {
                errs.push(FieldError::new(format!("candidates[{i}]"), "out-of-range").with("min", -180).with("max", 180));
            }
        }
        if input.candidates.len() > 500 {
            errs.push(FieldError::new("candidates", "too-many").with("max", 500));
        }
        if !errs.is_empty() {
            return Err(DomainError::Invalid(errs).into());
        }
        Some(input.candidates.iter().map(|c| (None, c.name.clone(), c.latitude, c.longitude)).collect())
    };
    compute(state, ctx, &p, input.k, given).await
}

type Candidates = Vec<(Option<SiteId>, String, f64, f64)>;

async fn compute(state: &AppState, ctx: &Ctx, p: &CoverageParams, k: usize, given: Option<Candidates>) -> AppResult<CoverageReport> {
    ctx.require(Permission::ViewCoverage, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let district = p.district.trim().to_string();
    let d = (!district.is_empty()).then_some(district.as_str());
    let settings = state.store.coverage_settings(org).await?;
    let network_info = state.store.network_info(org).await?;
    let all_cells = state.store.grid_cells(org, None).await?;
    let source = match p.source.as_str() {
        "grid" | "clients" => p.source.clone(),
        "" if !all_cells.is_empty() => "grid".into(),
        "" => "clients".into(),
        _ => return Err(DomainError::invalid("source", "invalid-choice").into()),
    };
    let method = match p.method.as_str() {
        "network" if network_info.is_some() => "network".to_string(),
        "network" => return Err(DomainError::invalid("method", "coverage-no-network").into()),
        "straight" => "straight".into(),
        "" if network_info.is_some() => "network".into(),
        "" => "straight".into(),
        _ => return Err(DomainError::invalid("method", "invalid-choice").into()),
    };
    let residents: Vec<Resident> = if source == "grid" {
        all_cells.iter().filter(|c| d.is_none_or(|d| c.district == d)).map(|c| c.resident()).collect()
    } else {
        state.store.client_residents(org, d).await?
    };
    let units = state.store.list_units(org).await?;
    let mut districts: Vec<String> =
        units.iter().map(|u| u.district.clone()).chain(all_cells.iter().map(|c| c.district.clone())).filter(|x| !x.is_empty()).collect();
    districts.sort();
    districts.dedup();
    let points: Vec<PointView> = units
        .iter()
        .filter(|u| u.active)
        .filter_map(|u| {
            Some(PointView {
                unit_id: u.id,
                name: u.name(ctx.locale).to_string(),
                district: u.district.clone(),
                latitude: u.latitude?,
                longitude: u.longitude?,
            })
        })
        .collect();
    let sites: Vec<Site> =
        state.store.list_sites(org).await?.into_iter().filter(|s| d.is_none_or(|d| s.district.is_empty() || s.district == d)).collect();
    let graph = if method == "network" { state.store.network(org).await? } else { None };
    let candidates: Candidates =
        given.unwrap_or_else(|| sites.iter().map(|s| (Some(s.id), s.name.clone(), s.latitude, s.longitude)).collect());
    let coords: Vec<(f64, f64)> = points.iter().map(|p| (p.latitude, p.longitude)).collect();
    let s2 = settings.clone();
    let (totals, mut cells, suggestion) = tokio::task::spawn_blocking(move || {
        let network = graph.as_ref().map(Network::new);
        let minutes = match &network {
            Some(n) => n.minutes(&residents, &coords, s2.walk()),
            None => straight_minutes(&residents, &coords, s2.walk()),
        };
        let totals = tally(&residents, &minutes);
        let cells = hex_cells(&residents, &minutes);
        let suggestion = (k > 0).then(|| suggest(&residents, &coords, &candidates, k, &s2, network.as_ref()));
        (totals, cells, suggestion)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let hidden_cells = if agency_reader(ctx) { 0 } else { suppress_small(&mut cells) };
    let rules = i18n::t_args(
        ctx.locale,
        if method == "network" { "coverage-rules-network" } else { "coverage-rules-straight" },
        &[("detour", format!("{}", settings.detour_factor)), ("speed", format!("{}", settings.walk_kmh))],
    );
    Ok(CoverageReport {
        district,
        districts,
        source,
        method,
        settings,
        network: network_info,
        points,
        totals,
        cells,
        hidden_cells,
        sites,
        suggestion,
        rules,
    })
}

/// The name of a vulnerable category in the caller's language (the agency's list).
pub async fn category_names(state: &AppState, ctx: &Ctx) -> AppResult<Vec<String>> {
    let cats = state.store.categories(ctx.user.org_id).await?;
    Ok(VULNERABLE
        .iter()
        .map(|code| cats.iter().find(|c| c.code == *code).map(|c| c.name(ctx.locale).to_string()).unwrap_or_else(|| (*code).to_string()))
        .collect())
}

/// The coverage table (and the suggestion, when asked) as an XLSX workbook, audited.
pub async fn export(state: &AppState, ctx: &Ctx, p: &CoverageParams) -> AppResult<axum::response::Response> {
    let r = report(state, ctx, p).await?;
    let names = category_names(state, ctx).await?;
    let locale = ctx.locale;
    let r2 = r.clone();
    let bytes = tokio::task::spawn_blocking(move || workbook(locale, &r2, &names))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(AppError::Internal)?;
    let detail = serde_json::json!({
        "district": r.district, "source": r.source, "method": r.method,
        "suggested": r.suggestion.as_ref().map(|s| s.sites.len()),
    });
    state.store.append(&ctx.actor(), AuditEvent::new(Action::Export, "coverage", ctx.user.org_id).detail(detail)).await?;
    let name = if r.district.is_empty() { "coverage.xlsx".to_string() } else { "coverage-district.xlsx".to_string() };
    Ok(crate::clients::export::download(bytes, crate::clients::export::ExportFormat::Xlsx, &name))
}

fn table_rows(locale: Locale, t: &CoverageTotals, names: &[String]) -> Vec<(String, [u64; 5])> {
    let row = |c: &shegong_domain::coverage::BandCounts| [c.within_10, c.within_15, c.within_20, c.beyond_20, c.total];
    let mut rows = vec![(i18n::t(locale, "coverage-everyone"), row(&t.all))];
    for (c, n) in t.categories.iter().zip(names) {
        rows.push((n.clone(), row(&c.counts)));
    }
    rows
}

fn workbook(locale: Locale, r: &CoverageReport, names: &[String]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let t = |k: &str| i18n::t(locale, k);
    let bold = Format::new().set_bold();
    let mut wb = Workbook::new();
    let header = [
        t("coverage-group"),
        t("coverage-within-10"),
        t("coverage-within-15"),
        t("coverage-within-20"),
        t("coverage-beyond-20"),
        t("coverage-total"),
    ];
    let sheet = |wb: &mut Workbook, name: &str, rows: &[(String, [u64; 5])], note: &str| -> Result<(), String> {
        let ws = wb.add_worksheet();
        ws.set_name(name).map_err(e)?;
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold).map_err(e)?;
        }
        for (i, (label, n)) in rows.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, label).map_err(e)?;
            for (c, v) in n.iter().enumerate() {
                ws.write_number(row, c as u16 + 1, *v as f64).map_err(e)?;
            }
        }
        ws.write_string(rows.len() as u32 + 2, 0, note).map_err(e)?;
        ws.set_column_width(0, 28).map_err(e)?;
        Ok(())
    };
    let scope = if r.district.is_empty() { t("coverage-whole-agency") } else { r.district.clone() };
    let note = format!("{scope} · {}", r.rules);
    sheet(&mut wb, &t("coverage-sheet-table"), &table_rows(locale, &r.totals, names), &note)?;
    if let Some(s) = &r.suggestion {
        sheet(&mut wb, &t("coverage-sheet-after"), &table_rows(locale, &s.after, names), &note)?;
        let ws = wb.add_worksheet();
        ws.set_name(t("coverage-sheet-suggestion")).map_err(e)?;
        let h = [t("coverage-site-name"), t("coverage-latitude"), t("coverage-longitude"), t("coverage-newly-reached")];
        for (c, x) in h.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, x, &bold).map_err(e)?;
        }
        for (i, site) in s.sites.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, &site.name).map_err(e)?;
            ws.write_number(row, 1, site.latitude).map_err(e)?;
            ws.write_number(row, 2, site.longitude).map_err(e)?;
            ws.write_number(row, 3, site.people as f64).map_err(e)?;
        }
        let method =
            t(&format!("coverage-method-{}", if s.method == shegong_domain::coverage::ChoiceMethod::Exact { "exact" } else { "greedy" }));
        ws.write_string(s.sites.len() as u32 + 2, 0, &method).map_err(e)?;
        ws.set_column_width(0, 28).map_err(e)?;
    }
    wb.save_to_buffer().map_err(e)
}
