//! Client list export: the filtered list as XLSX or CSV, headers and values in the user's
//! language, identity numbers masked and sensitive categories left out unless the caller
//! holds those grants, and an audit entry for every export (with the filter and the row
//! count, never the personal data).
//!
//! The columns are the registration form's labels, so an exported file imports again.

use super::import::Target;
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::AppState;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::clients::{mask_id, Category, Client, ClientFilter, ClientStatus};
use shegong_domain::ids::UnitId;
use shegong_domain::locale::Locale;
use shegong_domain::units::ServiceUnit;
use shegong_domain::DomainError;
use std::collections::HashMap;

/// The most rows one export holds.
pub const MAX_EXPORT_ROWS: u64 = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "xlsx" | "excel" | "" => Some(Self::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// Who reads the export and what they may see.
#[derive(Clone, Copy, Debug)]
pub struct ExportOptions {
    pub locale: Locale,
    /// Full identity numbers (the identity-number grant); otherwise `****1234`.
    pub show_id: bool,
    /// Sensitive categories (the sensitive-data grant); otherwise left out.
    pub show_sensitive: bool,
    /// The agency's time zone, for the registration date.
    pub tz: chrono_tz::Tz,
}

/// The columns, in order: the client fields the importer knows, then unit, status and date.
const FIELDS: [Target; 15] = [
    Target::NameZh,
    Target::NameEn,
    Target::Sex,
    Target::DateOfBirth,
    Target::AgeBand,
    Target::Phones,
    Target::IdDocType,
    Target::IdDocNumber,
    Target::District,
    Target::Street,
    Target::Community,
    Target::Address,
    Target::PreferredLanguage,
    Target::Ethnicity,
    Target::Categories,
];

/// Column headers in `locale`.
pub fn header(locale: Locale) -> Vec<String> {
    FIELDS
        .iter()
        .map(|t| i18n::t(locale, t.label_key()))
        .chain(["export-col-unit", "field-status", "export-col-registered_on"].iter().map(|k| i18n::t(locale, k)))
        .collect()
}

fn status_code(s: ClientStatus) -> &'static str {
    s.as_str()
}

/// One row per client, values in `options.locale`.
pub fn rows(clients: &[Client], categories: &[Category], units: &[ServiceUnit], options: &ExportOptions) -> Vec<Vec<String>> {
    let l = options.locale;
    let cats: HashMap<&str, &Category> = categories.iter().map(|c| (c.code.as_str(), c)).collect();
    let unit_names: HashMap<UnitId, &str> = units.iter().map(|u| (u.id, u.name(l))).collect();
    let list_sep = if l == Locale::En { ", " } else { "、" };
    // Labels once, not once per row.
    let label = |key: String| i18n::t(l, &key);
    let mut labels: HashMap<String, String> = HashMap::new();
    let mut cached = |key: String| labels.entry(key.clone()).or_insert_with(|| label(key)).clone();
    clients
        .iter()
        .map(|c| {
            let id_number = match &c.id_doc_number {
                Some(n) if options.show_id => n.clone(),
                Some(n) => mask_id(n),
                None => String::new(),
            };
            let categories: Vec<&str> = c
                .categories
                .iter()
                .filter_map(|code| match cats.get(code.as_str()) {
                    Some(k) if k.sensitive && !options.show_sensitive => None,
                    Some(k) => Some(k.name(l)),
                    // A code no longer in the list: sensitive or not is unknown, so only with the grant.
                    None => options.show_sensitive.then_some(code.as_str()),
                })
                .collect();
            vec![
                c.name_zh.clone(),
                c.name_en.clone(),
                cached(format!("sex-{}", c.sex)),
                c.date_of_birth.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                c.age_band.map(|b| b.as_str().to_string()).unwrap_or_default(),
                c.phones.join(" / "),
                c.id_doc_type.map(|t| cached(format!("id-doc-{t}"))).unwrap_or_default(),
                id_number,
                c.district.clone(),
                c.street.clone(),
                c.community.clone(),
                c.address.clone(),
                cached(format!("language-{}", c.preferred_language)),
                c.ethnicity.clone(),
                categories.join(list_sep),
                unit_names.get(&c.unit_id).map(|s| s.to_string()).unwrap_or_default(),
                cached(format!("client-status-{}", status_code(c.status))),
                c.created_at.with_timezone(&options.tz).date_naive().format("%Y-%m-%d").to_string(),
            ]
        })
        .collect()
}

/// The file's bytes.
pub fn file_bytes(format: ExportFormat, locale: Locale, header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    match format {
        ExportFormat::Csv => Ok(crate::tabular::write_csv(header, rows)),
        ExportFormat::Xlsx => crate::tabular::write_xlsx(&i18n::t(locale, "export-sheet-name"), header, rows),
    }
}

/// `clients-2026-11-23.xlsx`.
pub fn file_name(format: ExportFormat, on: NaiveDate) -> String {
    format!("clients-{}.{}", on.format("%Y-%m-%d"), format.extension())
}

/// The clients the caller may export under `filter` (ManageClients in their units), at
/// most [`MAX_EXPORT_ROWS`], and whether there were more.
pub async fn select(state: &AppState, ctx: &Ctx, filter: &ClientFilter) -> AppResult<(Vec<Client>, bool)> {
    if let Some(u) = filter.unit_id {
        ctx.require(Permission::ManageClients, Scope::Unit(u))?;
    } else {
        ctx.require(Permission::ManageClients, Scope::AnyUnit)?;
    }
    if super::units_for(ctx, Permission::ManageClients).is_some_and(|u| u.is_empty()) {
        return Err(DomainError::Forbidden.into());
    }
    let found = super::select(state, ctx, filter, Permission::ManageClients, 0, MAX_EXPORT_ROWS).await?;
    let truncated = found.total > found.clients.len() as u64;
    Ok((found.clients, truncated))
}

/// Exports the filtered list as a download, after writing the audit entry.
pub async fn export(state: &AppState, ctx: &Ctx, filter: &ClientFilter, format: ExportFormat) -> AppResult<Response> {
    let org = ctx.user.org_id;
    let (clients, truncated) = select(state, ctx, filter).await?;
    let categories = state.store.categories(org).await?;
    let units = state.store.list_units(org).await?;
    let tz: chrono_tz::Tz = state.store.agency(org).await?.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong);
    let options = ExportOptions { locale: ctx.locale, show_id: ctx.user.id_number_access, show_sensitive: ctx.user.sensitive_access, tz };
    let count = clients.len();
    let bytes = tokio::task::spawn_blocking(move || {
        let header = header(options.locale);
        let rows = rows(&clients, &categories, &units, &options);
        file_bytes(format, options.locale, &header, &rows)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)?;
    // The filter says what was exported; the text query may be a name, so only whether there was one.
    let detail = serde_json::json!({
        "format": format.extension(),
        "rows": count,
        "truncated": truncated,
        "filter": {
            "unit_id": filter.unit_id,
            "category": filter.category,
            "district": filter.district,
            "status": if filter.status.is_empty() { "active" } else { filter.status.as_str() },
            "text_query": !filter.q.trim().is_empty(),
        },
        "full_id_numbers": options.show_id,
        "sensitive_categories": options.show_sensitive,
    });
    let entity = filter.unit_id.map(|u| u.to_string()).unwrap_or_else(|| "agency".into());
    state.store.append(&ctx.actor(), AuditEvent::new(Action::Export, "client_list", entity).detail(detail)).await?;
    let today = state.clock.now().with_timezone(&tz).date_naive();
    Ok(download(bytes, format, &file_name(format, today)))
}

/// A file as a download that no cache keeps.
pub fn download(bytes: Vec<u8>, format: ExportFormat, name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabular;
    use shegong_domain::clients::{default_categories, AgeBand, IdDocType, PreferredLanguage, Sex};
    use shegong_domain::ids::{ClientId, OrgId};

    fn client(unit: UnitId) -> Client {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-20T16:30:00Z").expect("t").with_timezone(&chrono::Utc);
        Client {
            id: ClientId::new(),
            org_id: OrgId::new(),
            unit_id: unit,
            name_zh: "陳大文".into(),
            name_en: "Chan Tai Man".into(),
            sex: Sex::Male,
            date_of_birth: NaiveDate::from_ymd_opt(1948, 5, 17),
            age_band: Some(AgeBand::A75_79),
            phones: vec!["91234567".into(), "+97714412345".into()],
            id_doc_type: Some(IdDocType::Hkid),
            id_doc_number: Some("A123456(3)".into()),
            district: "灣仔".into(),
            street: String::new(),
            community: String::new(),
            address: "軒尼詩道 130 號".into(),
            latitude: None,
            longitude: None,
            preferred_language: PreferredLanguage::Cantonese,
            ethnicity: String::new(),
            categories: vec!["elderly_alone".into(), "ex_offender".into()],
            status: ClientStatus::Active,
            closed_on: None,
            merged_into: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn unit() -> ServiceUnit {
        let now = chrono::Utc::now();
        ServiceUnit {
            id: UnitId::new(),
            org_id: OrgId::new(),
            code: "WC".into(),
            name_en: "Wan Chai Centre".into(),
            name_zh_hant: "灣仔中心".into(),
            name_zh_hans: "湾仔中心".into(),
            unit_type: shegong_domain::units::UnitType::FamilyCentre,
            district: String::new(),
            address: String::new(),
            latitude: None,
            longitude: None,
            opening_hours: String::new(),
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn opts(locale: Locale, show_id: bool, show_sensitive: bool) -> ExportOptions {
        ExportOptions { locale, show_id, show_sensitive, tz: chrono_tz::Asia::Hong_Kong }
    }

    #[test]
    fn values_follow_the_language_and_the_grants() {
        let u = unit();
        let c = client(u.id);
        let cats = default_categories();
        let units = std::slice::from_ref(&u);
        let en = rows(std::slice::from_ref(&c), &cats, units, &opts(Locale::En, false, false));
        let h = header(Locale::En);
        assert_eq!(h.len(), en[0].len());
        let col = |name: &str| h.iter().position(|x| x == &i18n::t(Locale::En, name)).expect("column");
        assert_eq!(en[0][col("field-id_doc_number")], "****4563");
        assert_eq!(en[0][col("field-categories")], "Elderly living alone");
        assert_eq!(en[0][col("field-phones")], "91234567 / +97714412345");
        assert_eq!(en[0][col("field-sex")], i18n::t(Locale::En, "sex-male"));
        assert_eq!(en[0][col("export-col-unit")], "Wan Chai Centre");
        // Registered 00:30 on 21 January in Hong Kong.
        assert_eq!(en[0][col("export-col-registered_on")], "2026-01-21");

        let zh = rows(std::slice::from_ref(&c), &cats, units, &opts(Locale::ZhHantHk, true, true));
        let hz = header(Locale::ZhHantHk);
        let zcol = |name: &str| hz.iter().position(|x| x == &i18n::t(Locale::ZhHantHk, name)).expect("column");
        assert_eq!(zh[0][zcol("field-id_doc_number")], "A123456(3)");
        assert_eq!(zh[0][zcol("field-categories")], "獨居長者、更生人士");
        assert_eq!(zh[0][zcol("field-preferred_language")], i18n::t(Locale::ZhHantHk, "language-cantonese"));
        assert_eq!(zh[0][zcol("export-col-unit")], "灣仔中心");
        assert_ne!(h, hz);
    }

    #[test]
    fn files_carry_the_rows() {
        let u = unit();
        let c = client(u.id);
        let cats = default_categories();
        for l in Locale::ALL {
            let h = header(l);
            let r = rows(std::slice::from_ref(&c), &cats, std::slice::from_ref(&u), &opts(l, true, false));
            for format in [ExportFormat::Csv, ExportFormat::Xlsx] {
                let bytes = file_bytes(format, l, &h, &r).expect("file");
                let t = tabular::read(&bytes, &file_name(format, NaiveDate::from_ymd_opt(2026, 11, 23).expect("d"))).expect("reads back");
                assert_eq!(t.header, h);
                assert_eq!(t.rows[0].cells, r[0]);
            }
        }
    }

    #[test]
    fn an_export_imports_again() {
        use super::super::import::{plan, PlanOptions};
        let u = unit();
        let c = client(u.id);
        let cats = default_categories();
        for l in Locale::ALL {
            let bytes = file_bytes(
                ExportFormat::Xlsx,
                l,
                &header(l),
                &rows(std::slice::from_ref(&c), &cats, std::slice::from_ref(&u), &opts(l, true, true)),
            )
            .expect("xlsx");
            let t = tabular::read(&bytes, "x.xlsx").expect("xlsx");
            let options = PlanOptions {
                unit_id: u.id,
                today: NaiveDate::from_ymd_opt(2026, 11, 23).expect("d"),
                categories: cats.clone(),
                overrides: HashMap::new(),
            };
            let p = plan(&t, &options, &mut |_| {});
            assert!(p.errors.is_empty(), "{l:?}: {:?} {:?}", p.errors, p.mapping);
            let f = &p.valid[0];
            assert_eq!((f.name_zh.as_str(), f.name_en.as_str(), f.sex), ("陳大文", "Chan Tai Man", Sex::Male));
            assert_eq!(f.phones, c.phones);
            assert_eq!(f.id_doc, Some((IdDocType::Hkid, "A123456(3)".into())));
            assert_eq!(f.categories, c.categories);
            assert_eq!(f.preferred_language, PreferredLanguage::Cantonese);
            assert_eq!((f.date_of_birth, f.age_band), (c.date_of_birth, c.age_band));
        }
    }

    #[test]
    fn formats_parse() {
        assert_eq!(ExportFormat::parse("CSV"), Some(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse("xlsx"), Some(ExportFormat::Xlsx));
        assert_eq!(ExportFormat::parse("pdf"), None);
    }
}
