//! Reports service, shared by the pages, the API and the `shegong report` command: the output
//! report of a period and scope over every capability, monthly trends, achievement against
//! yearly targets, and the exports. Figures come from each capability's own counting function
//! over its facts (activities from the rollups), so a report never disagrees with the
//! capability's own statistics page.

pub mod chart;
pub mod export;

use crate::clients::{today, units_for};
use crate::ctx::Ctx;
use crate::error::AppResult;
use crate::AppState;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use shegong_domain::accounts::{Permission, Scope};
use shegong_domain::activities::{ActivityKind, CountGrain, CountRow};
use shegong_domain::cases::{count_cases, CaseGrouping};
use shegong_domain::hotline::{count_hotline, HotlineGrouping};
use shegong_domain::ids::{OrgId, TargetId, UnitId};
use shegong_domain::lending::count_lending;
use shegong_domain::ports::Storage;
use shegong_domain::reports::{
    achievement, lines, months, Achievement, BreakdownRow, Figures, Line, Measure, Period, PeriodInput, Target, TargetInput, RULES,
};
use shegong_domain::units::ServiceUnit;
use shegong_domain::{DomainError, Result};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// What to report on: a period, and a unit or a district (neither: every unit the caller may see).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ReportParams {
    #[serde(flatten)]
    #[param(inline)]
    pub period: PeriodInput,
    pub unit_id: Option<UnitId>,
    /// A district named on the units (all the caller's units in it).
    pub district: String,
}

/// The scope a report covered.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReportScope {
    pub unit_id: Option<UnitId>,
    pub district: Option<String>,
    /// The units counted; None: every unit of the agency.
    pub units: Option<Vec<UnitId>>,
}

/// The output report.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OutputReport {
    pub period: Period,
    pub scope: ReportScope,
    /// True when counts of fewer than five people are hidden (a funder's view).
    pub small_cells_hidden: bool,
    pub lines: Vec<Line>,
    /// Per service unit (key: unit id).
    pub by_unit: Vec<BreakdownRow>,
    /// Per service unit and month (key: `<unit id>/YYYY-MM`): each month of each unit counted
    /// on its own.
    pub by_unit_month: Vec<BreakdownRow>,
    /// Activities per domain (key: domain code).
    pub by_domain: Vec<BreakdownRow>,
    /// Cases by their clients' categories and activities by their first target category (key:
    /// category code; `-` for none). A case or person counts once in each of its categories, so
    /// rows do not add up to the total.
    pub by_category: Vec<BreakdownRow>,
    /// The counting rules, printed on the report.
    pub rules: String,
}

/// One month of the trend.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TrendMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub lines: Vec<Line>,
}

/// Monthly trends of a scope.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Trends {
    pub period: Period,
    pub scope: ReportScope,
    pub small_cells_hidden: bool,
    pub months: Vec<TrendMonth>,
}

/// What a scope counts, resolved against the caller's rights.
pub struct Resolved {
    pub org: OrgId,
    pub period: Period,
    pub scope: ReportScope,
    /// Counts of fewer than five people are hidden.
    pub suppress: bool,
    /// Sensitive categories (offences, mental health) are hidden as small cells.
    pub hide_sensitive: bool,
}

/// Checks the caller may read the scope and resolves period and units.
pub async fn resolve(state: &AppState, ctx: &Ctx, p: &ReportParams) -> AppResult<Resolved> {
    ctx.require(Permission::ViewReports, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let period = p.period.resolve(today(state, org).await?)?;
    let allowed = units_for(ctx, Permission::ViewReports);
    let units = match (p.unit_id, p.district.trim()) {
        (Some(u), _) => {
            ctx.require(Permission::ViewReports, Scope::Unit(u))?;
            state.store.get_unit(org, u).await?;
            Some(vec![u])
        }
        (None, "") => allowed,
        (None, d) => {
            let all = state.store.list_units(org).await?;
            let ids: Vec<UnitId> =
                all.iter().filter(|u| u.district == d && allowed.as_ref().is_none_or(|a| a.contains(&u.id))).map(|u| u.id).collect();
            if ids.is_empty() {
                return Err(DomainError::invalid("district", "unknown-choice").into());
            }
            Some(ids)
        }
    };
    let suppress = !ctx.can(Permission::ViewClients, Scope::AnyUnit);
    let scope = ReportScope { unit_id: p.unit_id, district: (!p.district.trim().is_empty()).then(|| p.district.trim().to_string()), units };
    Ok(Resolved { org, period, scope, suppress, hide_sensitive: suppress || !ctx.user.sensitive_access })
}

/// Every measure of one scope and period.
pub async fn figures(store: &dyn Storage, org: OrgId, units: Option<&[UnitId]>, from: NaiveDate, to: NaiveDate) -> Result<Figures> {
    let mut f = Figures::default();
    let cases = count_cases(&store.case_facts(org, units, from, to).await?, from, to, CaseGrouping::Unit).total;
    f.set(Measure::CasesServed, cases.served as f64);
    f.set(Measure::CasesNew, cases.new as f64);
    f.set(Measure::CasesClosed, cases.closed as f64);
    let total = store.activity_counts(org, units, from, to, CountGrain::Total).await?;
    let kinds = store.activity_counts(org, units, from, to, CountGrain::Kind).await?;
    let (mut groups, mut group_sessions, mut programmes, mut programme_sessions) = (0, 0, 0, 0);
    for r in &kinds {
        if r.key == ActivityKind::Group.as_str() {
            groups += r.activities_held;
            group_sessions += r.sessions_held;
        } else {
            programmes += r.activities_held;
            programme_sessions += r.sessions_held;
        }
    }
    f.set(Measure::GroupsHeld, groups as f64);
    f.set(Measure::GroupSessions, group_sessions as f64);
    f.set(Measure::ProgrammesHeld, programmes as f64);
    f.set(Measure::ProgrammeSessions, programme_sessions as f64);
    let t = total.first();
    f.set(Measure::PersonTimes, t.map_or(0, |r| r.person_times) as f64);
    f.set(Measure::UniquePersons, t.and_then(|r| r.unique_persons).unwrap_or(0) as f64);
    let v = shegong_domain::volunteers::report(&store.hour_facts(org, units, from, to).await?, from, to);
    f.set(Measure::VolunteerHours, v.hours);
    f.set(Measure::VolunteerPersonTimes, v.person_times as f64);
    f.set(Measure::Volunteers, v.volunteers as f64);
    let h = count_hotline(&store.hotline_facts(org, units, from, to).await?, HotlineGrouping::Point);
    f.set(Measure::HotlineCalls, h.calls as f64);
    f.set(Measure::HotlineCallers, h.unique_callers as f64);
    f.set(Measure::HotlineFollowUps, h.follow_ups as f64);
    f.set(Measure::CheckIns, h.check_ins as f64);
    let (loans, points) = store.lending_facts(org, units, from, to).await?;
    let l = count_lending(&loans, &points, from, to, to);
    f.set(Measure::ToyLoans, l.loans as f64);
    f.set(Measure::LendingHouseholds, l.active_households as f64);
    let a = shegong_domain::assistance::count_assistance(&store.assistance_facts(org, units, from, to).await?, from, to);
    f.set(Measure::AssistanceRequests, a.requests as f64);
    f.set(Measure::AssistanceDeliveries, a.delivered as f64);
    f.set(Measure::AssistancePersonTimes, a.person_times as f64);
    f.set(Measure::AssistanceHouseholds, a.households_reached as f64);
    let d = shegong_domain::donations::count_donations(&store.donation_facts(org, units, from, to).await?, from, to);
    f.set(Measure::DonationsReceived, d.donations as f64);
    // Money in the currency's main unit (cents are kept exact in the donations capability).
    f.set(Measure::InKindValueReceived, d.value_received_cents as f64 / 100.0);
    f.set(Measure::InKindValueDistributed, d.value_distributed_cents as f64 / 100.0);
    f.set(Measure::CashReceived, d.cash_received_cents as f64 / 100.0);
    f.set(Measure::CashSpent, d.cash_spent_cents as f64 / 100.0);
    f.set(Measure::DistributionHouseholds, d.households_reached as f64);
    let o = shegong_domain::outreach::count_outreach(&store.outreach_facts(org, units, from, to).await?, from, to);
    f.set(Measure::OutreachContacts, o.contacts as f64);
    f.set(Measure::InterpretationHours, o.interpretation_hours);
    f.set(Measure::Escorts, o.escorts_done as f64);
    f.set(Measure::EthnicMinorityPersonTimes, o.em_person_times as f64);
    f.set(Measure::EthnicMinorityPersons, o.em_unique_persons as f64);
    Ok(f)
}

/// Person-times and unique persons of activity count rows, by their key.
fn activity_lines(rows: &[CountRow]) -> BTreeMap<String, Figures> {
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    for r in rows {
        let f = out.entry(r.key.clone()).or_default();
        f.set(Measure::PersonTimes, r.person_times as f64);
        f.set(Measure::UniquePersons, r.unique_persons.unwrap_or(0) as f64);
    }
    out
}

fn rows(map: BTreeMap<String, Figures>, suppress: impl Fn(&str) -> bool) -> Vec<BreakdownRow> {
    map.into_iter().map(|(key, f)| BreakdownRow { figures: lines(&f, suppress(&key)), key }).collect()
}

/// The output report of a resolved scope.
pub async fn output_report(store: &dyn Storage, r: &Resolved) -> Result<OutputReport> {
    let (org, from, to) = (r.org, r.period.from, r.period.to);
    let units = r.scope.units.as_deref();
    let total = figures(store, org, units, from, to).await?;

    // Per unit: each capability grouped by unit, people counted over each unit's union.
    let mut by_unit: BTreeMap<String, Figures> = BTreeMap::new();
    let case_facts = store.case_facts(org, units, from, to).await?;
    for (k, c) in count_cases(&case_facts, from, to, CaseGrouping::Unit).rows {
        let f = by_unit.entry(k).or_default();
        f.set(Measure::CasesServed, c.served as f64);
        f.set(Measure::CasesNew, c.new as f64);
        f.set(Measure::CasesClosed, c.closed as f64);
    }
    for (k, a) in activity_lines(&store.activity_counts(org, units, from, to, CountGrain::Unit).await?) {
        by_unit.entry(k).or_default().values.extend(a.values);
    }
    let hours = store.hour_facts(org, units, from, to).await?;
    let unit_ids: BTreeSet<UnitId> = hours.iter().map(|h| h.unit_id).collect();
    for u in &unit_ids {
        let mine: Vec<_> = hours.iter().filter(|h| h.unit_id == *u).cloned().collect();
        let v = shegong_domain::volunteers::report(&mine, from, to);
        by_unit.entry(u.to_string()).or_default().set(Measure::VolunteerHours, v.hours);
    }
    let calls = store.hotline_facts(org, units, from, to).await?;

    // Per unit and month: activities from the rollups, the rest from the same facts.
    let mut by_unit_month: BTreeMap<String, Figures> = BTreeMap::new();
    for (k, a) in activity_lines(&store.activity_counts(org, units, from, to, CountGrain::UnitMonth).await?) {
        by_unit_month.entry(k).or_default().values.extend(a.values);
    }
    for (month, first, last) in months(from, to) {
        for (u, c) in count_cases(&case_facts, first, last, CaseGrouping::Unit).rows {
            by_unit_month.entry(format!("{u}/{month}")).or_default().set(Measure::CasesServed, c.served as f64);
        }
        for u in &unit_ids {
            let mine: Vec<_> = hours.iter().filter(|h| h.unit_id == *u).cloned().collect();
            let v = shegong_domain::volunteers::report(&mine, first, last);
            if v.hours > 0.0 {
                by_unit_month.entry(format!("{u}/{month}")).or_default().set(Measure::VolunteerHours, v.hours);
            }
        }
        let mut per_unit: BTreeMap<UnitId, u64> = BTreeMap::new();
        for c in calls.calls.iter().filter(|c| (first..=last).contains(&c.day)) {
            *per_unit.entry(c.unit_id).or_default() += 1;
        }
        for (u, n) in per_unit {
            by_unit_month.entry(format!("{u}/{month}")).or_default().set(Measure::HotlineCalls, n as f64);
        }
    }
    by_unit_month.retain(|_, f| f.values.iter().any(|(_, v)| *v != 0.0));

    for row in count_hotline(&calls, HotlineGrouping::Point).rows {
        let f = by_unit.entry(row.key).or_default();
        f.set(Measure::HotlineCalls, row.calls as f64);
        f.set(Measure::HotlineCallers, row.unique_callers as f64);
    }
    let (loans, _) = store.lending_facts(org, units, from, to).await?;
    let loan_units: BTreeSet<UnitId> = loans.iter().map(|l| l.unit_id).collect();
    for u in loan_units {
        let mine: Vec<_> = loans.iter().filter(|l| l.unit_id == u).cloned().collect();
        let l = count_lending(&mine, &[], from, to, to);
        if l.loans > 0 {
            let f = by_unit.entry(u.to_string()).or_default();
            f.set(Measure::ToyLoans, l.loans as f64);
            f.set(Measure::LendingHouseholds, l.active_households as f64);
        }
    }
    by_unit.retain(|_, f| f.values.iter().any(|(_, v)| *v != 0.0));

    let by_domain = activity_lines(&store.activity_counts(org, units, from, to, CountGrain::Domain).await?);

    let categories = store.categories(org).await?;
    let sensitive = |code: &str| categories.iter().any(|c| c.code == code && c.sensitive);
    let mut by_category = activity_lines(&store.activity_counts(org, units, from, to, CountGrain::Category).await?);
    for (k, c) in count_cases(&case_facts, from, to, CaseGrouping::Category).rows {
        let f = by_category.entry(k).or_default();
        f.set(Measure::CasesServed, c.served as f64);
        f.set(Measure::CasesNew, c.new as f64);
        f.set(Measure::CasesClosed, c.closed as f64);
    }
    Ok(OutputReport {
        period: r.period.clone(),
        scope: r.scope.clone(),
        small_cells_hidden: r.suppress,
        lines: lines(&total, r.suppress),
        by_unit: rows(by_unit, |_| r.suppress),
        by_unit_month: rows(by_unit_month, |_| r.suppress),
        by_domain: rows(by_domain, |_| r.suppress),
        by_category: rows(by_category, |k| r.suppress || (r.hide_sensitive && sensitive(k))),
        rules: RULES.to_string(),
    })
}

/// The measures a trend follows month by month.
pub const TREND_MEASURES: [Measure; 6] =
    [Measure::PersonTimes, Measure::UniquePersons, Measure::CasesServed, Measure::VolunteerHours, Measure::HotlineCalls, Measure::ToyLoans];

/// Month-by-month figures of a resolved scope: each month counted on its own (unique persons
/// of a month are that month's; they are never added up into the period's).
pub async fn trends(store: &dyn Storage, r: &Resolved) -> Result<Trends> {
    let (org, from, to) = (r.org, r.period.from, r.period.to);
    let units = r.scope.units.as_deref();
    let case_facts = store.case_facts(org, units, from, to).await?;
    let activity = store.activity_counts(org, units, from, to, CountGrain::Month).await?;
    let hours = store.hour_facts(org, units, from, to).await?;
    let calls = store.hotline_facts(org, units, from, to).await?;
    let (loans, _) = store.lending_facts(org, units, from, to).await?;
    let mut out = Vec::new();
    for (month, first, last) in months(from, to) {
        let mut f = Figures::default();
        let a = activity.iter().find(|r| r.key == month);
        f.set(Measure::PersonTimes, a.map_or(0, |r| r.person_times) as f64);
        f.set(Measure::UniquePersons, a.and_then(|r| r.unique_persons).unwrap_or(0) as f64);
        f.set(Measure::CasesServed, count_cases(&case_facts, first, last, CaseGrouping::Unit).total.served as f64);
        f.set(Measure::VolunteerHours, shegong_domain::volunteers::report(&hours, first, last).hours);
        f.set(Measure::HotlineCalls, calls.calls.iter().filter(|c| (first..=last).contains(&c.day)).count() as f64);
        f.set(Measure::ToyLoans, loans.iter().filter(|l| (first..=last).contains(&l.out_on)).count() as f64);
        out.push(TrendMonth { month, lines: lines(&f, r.suppress) });
    }
    Ok(Trends { period: r.period.clone(), scope: r.scope.clone(), small_cells_hidden: r.suppress, months: out })
}

/// Achievement against the targets of a year in the caller's units (or one unit), as of the
/// agency's today (or the year's end, for a past year).
pub async fn achievements(state: &AppState, ctx: &Ctx, year: Option<i32>, unit: Option<UnitId>) -> AppResult<(i32, Vec<Achievement>)> {
    ctx.require(Permission::ViewReports, Scope::AnyUnit)?;
    let org = ctx.user.org_id;
    let today = today(state, org).await?;
    let year = year.unwrap_or(today.year());
    let units = match unit {
        Some(u) => {
            ctx.require(Permission::ViewReports, Scope::Unit(u))?;
            Some(vec![u])
        }
        None => units_for(ctx, Permission::ViewReports),
    };
    let targets = state.store.targets(org, units.as_deref(), Some(year)).await?;
    let suppress = !ctx.can(Permission::ViewClients, Scope::AnyUnit);
    Ok((year, achievements_of(state.store.as_ref(), org, targets, year, today, suppress).await?))
}

async fn achievements_of(
    store: &dyn Storage,
    org: OrgId,
    targets: Vec<Target>,
    year: i32,
    today: NaiveDate,
    suppress: bool,
) -> Result<Vec<Achievement>> {
    let (first, last) = shegong_domain::reports::year_span(year).ok_or_else(|| DomainError::invalid("year", "out-of-range"))?;
    let mut per_unit: BTreeMap<UnitId, Figures> = BTreeMap::new();
    let mut out = Vec::new();
    for t in targets {
        let f = match per_unit.get(&t.unit_id) {
            Some(f) => f.clone(),
            None if first > today => Figures::default(),
            None => {
                let f = figures(store, org, Some(&[t.unit_id]), first, last.min(today)).await?;
                per_unit.insert(t.unit_id, f.clone());
                f
            }
        };
        let actual = f.get(t.measure);
        let mut a = achievement(t, actual, today);
        // A funder sees pace and per cent, not a count of fewer than five people.
        if suppress && a.target.measure.counts_people() && actual > 0.0 && actual < shegong_domain::reports::SMALL_CELL as f64 {
            a.actual = None;
        }
        out.push(a);
    }
    Ok(out)
}

pub async fn targets(state: &AppState, ctx: &Ctx, year: Option<i32>) -> AppResult<Vec<Target>> {
    ctx.require(Permission::ViewReports, Scope::AnyUnit)?;
    let units = units_for(ctx, Permission::ViewReports);
    Ok(state.store.targets(ctx.user.org_id, units.as_deref(), year).await?)
}

pub async fn create_target(state: &AppState, ctx: &Ctx, input: &TargetInput) -> AppResult<Target> {
    ctx.require(Permission::ManageTargets, Scope::AnyUnit)?;
    let f = input.validate()?;
    ctx.require(Permission::ManageTargets, Scope::Unit(f.unit_id))?;
    state.store.get_unit(ctx.user.org_id, f.unit_id).await.map_err(|_| DomainError::invalid("unit_id", "unknown-unit"))?;
    Ok(state.store.create_target(&ctx.actor(), &f).await?)
}

/// Loads a target the caller may see.
pub async fn target(state: &AppState, ctx: &Ctx, id: TargetId, perm: Permission) -> AppResult<Target> {
    ctx.require(perm, Scope::AnyUnit)?;
    let t = state.store.get_target(ctx.user.org_id, id).await?;
    ctx.require(perm, Scope::Unit(t.unit_id))?;
    Ok(t)
}

pub async fn update_target(state: &AppState, ctx: &Ctx, id: TargetId, version: i64, input: &TargetInput) -> AppResult<Target> {
    target(state, ctx, id, Permission::ManageTargets).await?;
    let f = input.validate()?;
    ctx.require(Permission::ManageTargets, Scope::Unit(f.unit_id))?;
    state.store.get_unit(ctx.user.org_id, f.unit_id).await.map_err(|_| DomainError::invalid("unit_id", "unknown-unit"))?;
    Ok(state.store.update_target(&ctx.actor(), id, version, &f).await?)
}

pub async fn delete_target(state: &AppState, ctx: &Ctx, id: TargetId, version: i64) -> AppResult<()> {
    target(state, ctx, id, Permission::ManageTargets).await?;
    Ok(state.store.delete_target(&ctx.actor(), id, version).await?)
}

/// The units a caller may pick on a report (every unit for agency-wide readers).
pub async fn units(state: &AppState, ctx: &Ctx) -> AppResult<Vec<ServiceUnit>> {
    let all = state.store.list_units(ctx.user.org_id).await?;
    Ok(match units_for(ctx, Permission::ViewReports) {
        None => all,
        Some(ids) => all.into_iter().filter(|u| ids.contains(&u.id)).collect(),
    })
}

/// The names a report's keys and scope read by, in the caller's language.
pub async fn labels(store: &dyn Storage, r: &Resolved, locale: shegong_domain::locale::Locale) -> Result<export::Labels> {
    let org = r.org;
    let agency = store.agency(org).await?;
    let all = store.list_units(org).await?;
    let units = all.iter().map(|u| (u.id.to_string(), u.name(locale).to_string())).collect();
    let domains = store.activity_domains(org).await?.into_iter().map(|d| (d.code.clone(), d.name(locale).to_string())).collect();
    let categories = store.categories(org).await?.into_iter().map(|c| (c.code.clone(), c.name(locale).to_string())).collect();
    let scope = match (&r.scope.unit_id, &r.scope.district) {
        (Some(u), _) => all.iter().find(|x| x.id == *u).map(|x| x.name(locale).to_string()).unwrap_or_default(),
        (None, Some(d)) => d.clone(),
        (None, None) if r.scope.units.is_none() => crate::i18n::t(locale, "report-scope-agency"),
        (None, None) => crate::i18n::t(locale, "report-scope-my-units"),
    };
    Ok(export::Labels { locale, agency: agency.name(locale).to_string(), scope, units, domains, categories })
}

/// The output report as a file to download; the export is audited (the scope and period, no
/// person is in it).
pub async fn download(
    state: &AppState,
    ctx: &Ctx,
    p: &ReportParams,
    format: crate::clients::export::ExportFormat,
    locale: shegong_domain::locale::Locale,
) -> AppResult<axum::response::Response> {
    use crate::clients::export::ExportFormat;
    let r = resolve(state, ctx, p).await?;
    let report = output_report(state.store.as_ref(), &r).await?;
    let l = labels(state.store.as_ref(), &r, locale).await?;
    let bytes = match format {
        ExportFormat::Csv => export::csv(&report, &l),
        ExportFormat::Xlsx => export::xlsx(&report, &l).map_err(crate::error::AppError::Internal)?,
    };
    let event =
        shegong_domain::audit::AuditEvent::new(shegong_domain::audit::Action::Export, "report", "outputs").detail(serde_json::json!({
            "from": report.period.from, "to": report.period.to, "units": report.scope.units, "format": format.extension()
        }));
    state.store.append(&ctx.actor(), event).await?;
    let name = format!("outputs-{}.{}", report.period.label.replace("..", "_"), format.extension());
    Ok(crate::clients::export::download(bytes, format, &name))
}
