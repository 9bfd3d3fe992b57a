//! Service records in the format the mainland's rules on volunteer service records (民政部《志愿
//! 服务记录与证明出具办法》, 2020) expect: name, identity document, service content, service date,
//! hours and the organisation that records them, one row per approved entry. Identity numbers
//! are masked unless the caller holds the grant; every export is audited (counts, no values).

use crate::clients::export::{download, ExportFormat};
use crate::clients::units_for;
use crate::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::i18n;
use crate::AppState;
use axum::response::Response;
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::clients::mask_id;
use shegong_domain::locale::Locale;
use shegong_domain::volunteers::{HourEntry, Volunteer};
use std::collections::HashMap;

/// Column headers in `l`.
pub fn header(l: Locale) -> Vec<String> {
    ["vol-col-name", "vol-col-id_type", "vol-col-id_number", "vol-col-content", "vol-col-date", "vol-col-hours", "vol-col-organisation"]
        .iter()
        .map(|k| i18n::t(l, k))
        .collect()
}

/// One row per entry; `organisation`: the agency and the unit served.
pub fn rows(
    entries: &[HourEntry],
    volunteers: &HashMap<shegong_domain::ids::VolunteerId, Volunteer>,
    organisation: &dyn Fn(&HourEntry) -> String,
    show_id: bool,
    l: Locale,
) -> Vec<Vec<String>> {
    entries
        .iter()
        .filter_map(|e| {
            let v = volunteers.get(&e.volunteer_id)?;
            let number = match &v.id_doc_number {
                Some(n) if show_id => n.clone(),
                Some(n) => mask_id(n),
                None => String::new(),
            };
            let id_type = v.id_doc_type.map(|t| i18n::t(l, &format!("id-doc-{t}"))).unwrap_or_default();
            Some(vec![
                v.display_name(),
                id_type,
                number,
                e.content.clone(),
                e.served_on.format("%Y-%m-%d").to_string(),
                format!("{:.2}", e.hours()),
                organisation(e),
            ])
        })
        .collect()
}

pub async fn export(state: &AppState, ctx: &Ctx, p: &super::PeriodParams, format: ExportFormat) -> AppResult<Response> {
    ctx.require(Permission::ManageVolunteers, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let (from, to) = super::period(state, org, p).await?;
    let us = units_for(ctx, Permission::ManageVolunteers);
    let entries = state.store.hour_entries_between(org, us.as_deref(), from, to).await?;
    let volunteers: HashMap<_, _> = state.store.list_volunteers(org, None).await?.into_iter().map(|v| (v.id, v)).collect();
    let agency = state.store.agency(org).await?;
    let l = ctx.locale;
    let units: HashMap<_, _> = state.store.list_units(org).await?.into_iter().map(|u| (u.id, u.name(l).to_string())).collect();
    let agency_name = agency.name(l).to_string();
    let organisation = |e: &HourEntry| match units.get(&e.unit_id) {
        Some(u) => format!("{agency_name} {u}"),
        None => agency_name.clone(),
    };
    let show_id = ctx.user.id_number_access;
    let table = rows(&entries, &volunteers, &organisation, show_id, l);
    let count = table.len();
    let header = header(l);
    let sheet = i18n::t(l, "vol-export-sheet");
    let bytes = tokio::task::spawn_blocking(move || match format {
        ExportFormat::Csv => Ok(crate::tabular::write_csv(&header, &table)),
        ExportFormat::Xlsx => crate::tabular::write_xlsx(&sheet, &header, &table),
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)?;
    let detail = serde_json::json!({ "format": format.extension(), "rows": count, "from": from, "to": to, "full_id_numbers": show_id });
    state.store.append(&ctx.actor(), AuditEvent::new(Action::Export, "volunteer_records", org).detail(detail)).await?;
    let name = format!("volunteer-records-{}-{}.{}", from.format("%Y%m%d"), to.format("%Y%m%d"), format.extension());
    Ok(download(bytes, format, &name))
}
