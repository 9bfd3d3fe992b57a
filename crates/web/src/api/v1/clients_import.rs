//! Client import and list export over JSON.
//!
//! `POST /api/v1/clients/import?unit_id=…&dry_run=true|false` takes the file itself as the
//! body (`Content-Type: text/csv` or the XLSX type; up to 20 MB, unlike the 1 MiB of other
//! requests) and answers with the report: counts and every bad row, messages in the caller's
//! language. A commit with any bad row registers no one and answers 422 with the report.
//!
//! `GET /api/v1/clients/export?format=csv|xlsx&…` downloads the filtered list (audited).

use crate::clients::export::{self, ExportFormat};
use crate::clients::import::{self, ImportReport, ImportRequest, PlanOptions, Progress, Target};
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::tabular::{self, ReadOptions};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::clients::ClientFilter;
use shegong_domain::ids::UnitId;
use shegong_domain::locale::Locale;
use shegong_domain::DomainError;
use std::collections::HashMap;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Both routes, the import with its 20 MB body limit. Merge into the API router.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_clients))
        .layer(DefaultBodyLimit::max(crate::html::clients_import::UPLOAD_LIMIT))
        .routes(routes!(export_clients))
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The service unit that registers the people.
    pub unit_id: UnitId,
    /// Only check (the default); `false` registers the rows when every one is good.
    #[serde(default = "yes")]
    pub dry_run: bool,
    /// CSV text encoding (`utf-8`, `gbk`, `big5`, …); detected when absent.
    #[serde(default)]
    pub encoding: String,
    /// Overrides of the guessed column mapping, one field name per column in order, empty to
    /// keep the guess: `name_zh,,phones,ignore`.
    #[serde(default)]
    pub mapping: String,
    /// The file's name (only a hint: the format is told by the content).
    #[serde(default)]
    pub file_name: String,
}

/// Content types the import accepts, and the file name each suggests.
const ACCEPTED: &[(&str, &str)] = &[
    ("text/csv", "upload.csv"),
    ("application/csv", "upload.csv"),
    ("text/plain", "upload.csv"),
    ("text/tab-separated-values", "upload.csv"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "upload.xlsx"),
    ("application/vnd.ms-excel", "upload.xls"),
    ("application/vnd.oasis.opendocument.spreadsheet", "upload.ods"),
    ("application/octet-stream", "upload"),
];

fn mapping_overrides(s: &str) -> Result<HashMap<usize, String>, AppError> {
    let mut out = HashMap::new();
    if s.trim().is_empty() {
        return Ok(out);
    }
    for (i, code) in s.split(',').enumerate() {
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        if Target::parse(code).is_none() {
            return Err(DomainError::invalid("mapping", "unknown-choice").into());
        }
        out.insert(i, code.to_string());
    }
    Ok(out)
}

fn region(l: Locale) -> Option<&'static [u8]> {
    match l {
        Locale::ZhHantHk => Some(b"hk"),
        Locale::ZhHansCn => Some(b"cn"),
        Locale::En => None,
    }
}

/// Checks a spreadsheet of clients and, unless `dry_run`, registers them all or none.
#[utoipa::path(post, path = "/api/v1/clients/import", tag = "clients", params(ImportQuery),
    request_body(description = "The CSV or Excel file itself (at most 20 MB)",
        content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, body = ImportReport, description = "The dry-run report, or what the commit registered"),
        (status = 403), (status = 413), (status = 415),
        (status = 422, description = "Some rows have problems (an ImportReport; nothing was registered), or the query is invalid (an error)")))]
pub async fn import_clients(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    query: Result<Query<ImportQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Response> {
    let Query(q) = query.map_err(|e| AppError::Malformed(e.body_text()))?;
    ctx.require(Permission::ManageClients, Scope::Unit(q.unit_id))?;
    let org = ctx.user.org_id;
    let unit = state.store.get_unit(org, q.unit_id).await.map_err(|e| match e {
        DomainError::NotFound => DomainError::invalid("unit_id", "unknown-unit"),
        e => e,
    })?;
    if !unit.active {
        return Err(DomainError::invalid("unit_id", "unknown-unit").into());
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let Some((_, default_name)) = ACCEPTED.iter().find(|(t, _)| *t == essence) else {
        return Err(AppError::UnsupportedMedia);
    };
    let body =
        body.map_err(
            |e| if e.status() == StatusCode::PAYLOAD_TOO_LARGE { AppError::TooLarge } else { AppError::Malformed(e.body_text()) },
        )?;
    let encoding = tabular::encoding_for_label(&q.encoding).filter(|_| !q.encoding.trim().is_empty());
    if encoding.is_none() && !q.encoding.trim().is_empty() {
        return Err(DomainError::invalid("encoding", "unknown-choice").into());
    }
    let request = ImportRequest {
        bytes: Arc::new(body.to_vec()),
        file_name: if q.file_name.trim().is_empty() { default_name.to_string() } else { q.file_name.clone() },
        read: ReadOptions { encoding, region: region(ctx.locale) },
        plan: PlanOptions {
            unit_id: q.unit_id,
            today: crate::clients::today(&state, org).await?,
            categories: state.store.categories(org).await?,
            overrides: mapping_overrides(&q.mapping)?,
        },
        dry_run: q.dry_run,
    };
    let quiet: Progress = Arc::new(|_| {});
    let result = import::run(&state, &ctx.actor(), &request, quiet).await?;
    let report = ImportReport::new(&result, ctx.locale);
    let status = if !q.dry_run && !result.committed() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Json(report)).into_response())
}

/// The client list filter and the file format of an export.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ExportQuery {
    /// `xlsx` (default) or `csv`.
    pub format: String,
    /// Name, phone fragment (4+ digits) or last 4 characters of an identity number.
    pub q: String,
    pub unit_id: String,
    /// A category code.
    pub category: String,
    pub district: String,
    /// `active` (default), `closed` or `all`.
    pub status: String,
}

/// Downloads the filtered client list as XLSX or CSV, in the caller's language. Identity
/// numbers are masked and sensitive categories left out unless the caller holds those
/// grants. Every export is written to the audit log.
#[utoipa::path(get, path = "/api/v1/clients/export", tag = "clients", params(ExportQuery),
    responses(
        (status = 200, description = "The file",
            content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/csv"))),
        (status = 403), (status = 422)))]
pub async fn export_clients(
    State(state): State<AppState>,
    ctx: Ctx,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> AppResult<Response> {
    let Query(q) = query.map_err(|e| AppError::Malformed(e.body_text()))?;
    let format = ExportFormat::parse(&q.format).ok_or_else(|| DomainError::invalid("format", "unknown-choice"))?;
    let unit_id = match q.unit_id.trim() {
        "" => None,
        u => Some(u.parse::<UnitId>().map_err(|_| DomainError::invalid("unit_id", "unknown-unit"))?),
    };
    let filter = ClientFilter { q: q.q, unit_id, category: q.category, district: q.district, status: q.status };
    export::export(&state, &ctx, &filter, format).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_lists_name_columns_in_order() {
        let m = mapping_overrides("name_zh,, phones ,ignore").expect("valid");
        assert_eq!(m, HashMap::from([(0, "name_zh".to_string()), (2, "phones".to_string()), (3, "ignore".to_string())]));
        assert!(mapping_overrides("").expect("empty").is_empty());
        assert!(mapping_overrides("name,zzz").is_err());
    }

    #[test]
    fn the_documented_routes_exist() {
        let doc = router().into_openapi();
        assert!(doc.paths.paths.contains_key("/api/v1/clients/import"));
        assert!(doc.paths.paths.contains_key("/api/v1/clients/export"));
    }
}
