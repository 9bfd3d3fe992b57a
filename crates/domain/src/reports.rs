//! Reports: the output report over every capability (COUNTING.md), output indicators with
//! yearly targets per unit and funding agreement, monthly trends, and the suppression of small
//! cells in what funders see. Figures come from each capability's own counting function; this
//! module decides periods, assembles lines, judges pace and hides cells.

use crate::clients::code_enum;
use crate::error::{FieldError, Result, Validator};
use crate::ids::{TargetId, UnitId};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Cells counting fewer people than this are hidden from funders.
pub const SMALL_CELL: i64 = 5;

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 3660;

code_enum!(
    /// How the period of a report is given.
    PeriodKind { Month = "month", Quarter = "quarter", Year = "year", Custom = "custom" }
);

code_enum!(
    /// What a report line counts. Each follows COUNTING.md; `counts_people` says which
    /// count distinct people or households (hidden from funders below `SMALL_CELL`).
    Measure {
        CasesServed = "cases_served",
        CasesNew = "cases_new",
        CasesClosed = "cases_closed",
        GroupsHeld = "groups_held",
        GroupSessions = "group_sessions",
        ProgrammesHeld = "programmes_held",
        ProgrammeSessions = "programme_sessions",
        PersonTimes = "person_times",
        UniquePersons = "unique_persons",
        VolunteerHours = "volunteer_hours",
        VolunteerPersonTimes = "volunteer_person_times",
        Volunteers = "volunteers",
        HotlineCalls = "hotline_calls",
        HotlineCallers = "hotline_callers",
        HotlineFollowUps = "hotline_follow_ups",
        CheckIns = "check_ins",
        ToyLoans = "toy_loans",
        LendingHouseholds = "lending_households",
        AssistanceRequests = "assistance_requests",
        AssistanceDeliveries = "assistance_deliveries",
        AssistancePersonTimes = "assistance_person_times",
        AssistanceHouseholds = "assistance_households",
        DonationsReceived = "donations_received",
        InKindValueReceived = "in_kind_value_received",
        InKindValueDistributed = "in_kind_value_distributed",
        CashReceived = "cash_received",
        CashSpent = "cash_spent",
        DistributionHouseholds = "distribution_households",
        OutreachContacts = "outreach_contacts",
        InterpretationHours = "interpretation_hours",
        Escorts = "escorts",
        EthnicMinorityPersonTimes = "ethnic_minority_person_times",
        EthnicMinorityPersons = "ethnic_minority_persons",
    }
);

impl Measure {
    /// Counts of distinct people, households or cases (a case is a person or a family).
    pub fn counts_people(self) -> bool {
        matches!(
            self,
            Measure::CasesServed
                | Measure::CasesNew
                | Measure::CasesClosed
                | Measure::UniquePersons
                | Measure::Volunteers
                | Measure::HotlineCallers
                | Measure::LendingHouseholds
                | Measure::AssistanceHouseholds
                | Measure::DistributionHouseholds
                | Measure::EthnicMinorityPersons
        )
    }

    /// The capability whose records the measure counts (for grouping lines on a report).
    pub fn section(self) -> &'static str {
        match self {
            Measure::CasesServed | Measure::CasesNew | Measure::CasesClosed => "cases",
            Measure::GroupsHeld
            | Measure::GroupSessions
            | Measure::ProgrammesHeld
            | Measure::ProgrammeSessions
            | Measure::PersonTimes
            | Measure::UniquePersons => "activities",
            Measure::VolunteerHours | Measure::VolunteerPersonTimes | Measure::Volunteers => "volunteers",
            Measure::HotlineCalls | Measure::HotlineCallers | Measure::HotlineFollowUps | Measure::CheckIns => "hotline",
            Measure::ToyLoans | Measure::LendingHouseholds => "lending",
            Measure::AssistanceRequests
            | Measure::AssistanceDeliveries
            | Measure::AssistancePersonTimes
            | Measure::AssistanceHouseholds => "assistance",
            Measure::DonationsReceived
            | Measure::InKindValueReceived
            | Measure::InKindValueDistributed
            | Measure::CashReceived
            | Measure::CashSpent
            | Measure::DistributionHouseholds => "donations",
            Measure::OutreachContacts
            | Measure::InterpretationHours
            | Measure::Escorts
            | Measure::EthnicMinorityPersonTimes
            | Measure::EthnicMinorityPersons => "outreach",
        }
    }
}

/// A period as the user asks for it: `kind` with `value` (`2026-03`, `2026-Q1`, `2026`), or
/// `custom` with `from` and `to` (`YYYY-MM-DD`).
#[derive(Clone, Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct PeriodInput {
    /// `month`, `quarter`, `year` or `custom`; empty: `year` when `value` is given, else
    /// `custom` when `from` or `to` is, else the current year to date.
    pub period: String,
    /// `2026-03`, `2026-Q1` or `2026`.
    pub value: String,
    pub from: String,
    pub to: String,
}

/// A resolved period: first and last day, both inclusive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Period {
    pub kind: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `2026-03`, `2026-Q1`, `2026` or `2026-01-01..2026-06-30`.
    pub label: String,
}

impl PeriodInput {
    /// Resolves the period; `today` (the agency's) fills in a missing year and the default.
    pub fn resolve(&self, today: NaiveDate) -> Result<Period> {
        let value = self.value.trim();
        let kind = match self.period.trim() {
            "" if !value.is_empty() => guess_kind(value),
            "" if !self.from.trim().is_empty() || !self.to.trim().is_empty() => PeriodKind::Custom,
            "" => {
                let from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
                return Ok(Period { kind: PeriodKind::Custom, from, to: today, label: format!("{from}..{today}") });
            }
            k => PeriodKind::parse(k).ok_or_else(|| crate::DomainError::invalid("period", "unknown-choice"))?,
        };
        let bad = || crate::DomainError::invalid("value", "period");
        let (from, to) = match kind {
            PeriodKind::Year => {
                let y: i32 = value.parse().map_err(|_| bad())?;
                year_span(y).ok_or_else(bad)?
            }
            PeriodKind::Month => {
                let (y, m) = value.split_once('-').ok_or_else(bad)?;
                let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
                month_span(y, m).ok_or_else(bad)?
            }
            PeriodKind::Quarter => {
                let (y, q) = value.split_once(['-', ' ']).ok_or_else(bad)?;
                let y: i32 = y.parse().map_err(|_| bad())?;
                let q: u32 = q.trim_start_matches(['Q', 'q']).parse().map_err(|_| bad())?;
                if !(1..=4).contains(&q) {
                    return Err(bad());
                }
                let (from, _) = month_span(y, q * 3 - 2).ok_or_else(bad)?;
                let (_, to) = month_span(y, q * 3).ok_or_else(bad)?;
                (from, to)
            }
            PeriodKind::Custom => {
                let mut errors = Vec::new();
                let mut day = |field: &str, raw: &str| match raw.trim().parse::<NaiveDate>() {
                    Ok(d) => Some(d),
                    Err(_) => {
                        errors.push(FieldError::new(field, "date"));
                        None
                    }
                };
                let (from, to) = (day("from", &self.from), day("to", &self.to));
                match (from, to) {
                    (Some(f), Some(t)) if t < f => return Err(crate::DomainError::invalid("to", "date-before-start")),
                    (Some(f), Some(t)) => (f, t),
                    _ => return Err(crate::DomainError::Invalid(errors)),
                }
            }
        };
        if (to - from).num_days() > MAX_DAYS {
            return Err(crate::DomainError::invalid("to", "period"));
        }
        let label = match kind {
            PeriodKind::Year => format!("{}", from.year()),
            PeriodKind::Month => format!("{:04}-{:02}", from.year(), from.month()),
            PeriodKind::Quarter => format!("{}-Q{}", from.year(), from.month().div_ceil(3)),
            PeriodKind::Custom => format!("{from}..{to}"),
        };
        Ok(Period { kind, from, to, label })
    }
}

fn guess_kind(value: &str) -> PeriodKind {
    if value.to_ascii_uppercase().contains('Q') {
        PeriodKind::Quarter
    } else if value.contains('-') {
        PeriodKind::Month
    } else {
        PeriodKind::Year
    }
}

pub fn year_span(y: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((NaiveDate::from_ymd_opt(y, 1, 1)?, NaiveDate::from_ymd_opt(y, 12, 31)?))
}

pub fn month_span(y: i32, m: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(y, m, 1)?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first, next.pred_opt()?))
}

/// The months (`YYYY-MM`) a period touches, in order.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<(String, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut first = NaiveDate::from_ymd_opt(from.year(), from.month(), 1);
    while let Some(f) = first.filter(|f| *f <= to) {
        let last = f.checked_add_months(chrono::Months::new(1)).and_then(|n| n.pred_opt()).unwrap_or(to);
        out.push((format!("{:04}-{:02}", f.year(), f.month()), f.max(from), last.min(to)));
        first = f.checked_add_months(chrono::Months::new(1));
    }
    out
}

/// One figure as shown: hidden (`None`) when it counts fewer than `SMALL_CELL` people and the
/// reader may see aggregates only.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct Figure {
    pub value: Option<f64>,
    /// True when the value was hidden to protect the people it counts.
    pub suppressed: bool,
}

impl Figure {
    pub fn shown(value: f64) -> Self {
        Figure { value: Some(value), suppressed: false }
    }

    /// Hides a count of people from 1 to `SMALL_CELL - 1` when `suppress` holds. Zero stays:
    /// it names no one.
    pub fn of(measure: Measure, value: f64, suppress: bool) -> Self {
        if suppress && measure.counts_people() && value > 0.0 && value < SMALL_CELL as f64 {
            Figure { value: None, suppressed: true }
        } else {
            Figure::shown(value)
        }
    }
}

/// The figures of one scope (a unit, a district, the agency) over one period, before display.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    pub values: Vec<(Measure, f64)>,
}

impl Figures {
    pub fn get(&self, m: Measure) -> f64 {
        self.values.iter().find(|(k, _)| *k == m).map_or(0.0, |(_, v)| *v)
    }

    pub fn set(&mut self, m: Measure, v: f64) {
        match self.values.iter_mut().find(|(k, _)| *k == m) {
            Some(slot) => slot.1 = v,
            None => self.values.push((m, v)),
        }
    }
}

/// One line of the output report.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Line {
    pub measure: Measure,
    /// `cases`, `activities`, `volunteers`, `hotline`, `lending`.
    pub section: &'static str,
    pub figure: Figure,
}

/// A breakdown row: its key (a domain or category code, a unit id, a month) and its figures.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct BreakdownRow {
    pub key: String,
    pub figures: Vec<Line>,
}

/// Lines in `Measure` order, each hidden as `suppress` asks.
pub fn lines(f: &Figures, suppress: bool) -> Vec<Line> {
    Measure::ALL
        .iter()
        .filter_map(|m| {
            f.values.iter().find(|(k, _)| k == m).map(|(_, v)| Line {
                measure: *m,
                section: m.section(),
                figure: Figure::of(*m, *v, suppress),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Output indicators and targets

/// A yearly target of one measure for one unit under one funding agreement or contract (an HK
/// Funding and Service Agreement's output standard, a mainland purchased-service indicator).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Target {
    pub id: TargetId,
    pub unit_id: UnitId,
    /// The agreement or contract, e.g. `FSA 2026-27`.
    pub agreement: String,
    pub year: i32,
    pub measure: Measure,
    pub target: f64,
    /// What the funder calls the indicator, if it differs from the measure's name.
    pub label: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TargetInput {
    pub unit_id: Option<UnitId>,
    pub agreement: String,
    pub year: String,
    pub measure: String,
    pub target: String,
    pub label: String,
    /// The version read, when changing a target.
    pub version: i64,
}

/// A target that passed validation.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetFields {
    pub unit_id: UnitId,
    pub agreement: String,
    pub year: i32,
    pub measure: Measure,
    pub target: f64,
    pub label: String,
}

impl TargetInput {
    pub fn validate(&self) -> Result<TargetFields> {
        let mut v = Validator::new();
        if self.unit_id.is_none() {
            v.push(FieldError::new("unit_id", "required"));
        }
        let agreement = v.text("agreement", &self.agreement, true, 120);
        let label = v.text("label", &self.label, false, 200);
        let year = match self.year.trim().parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => y,
            _ => {
                v.push(FieldError::new("year", "out-of-range").with("min", 2000).with("max", 2100));
                0
            }
        };
        let measure = Measure::parse(self.measure.trim());
        if measure.is_none() {
            v.push(FieldError::new("measure", "unknown-choice"));
        }
        let target = match self.target.trim().replace(',', "").parse::<f64>() {
            Ok(t) if t.is_finite() && t > 0.0 && t <= 1e9 => t,
            _ => {
                v.push(FieldError::new("target", "out-of-range").with("min", 1).with("max", 1_000_000_000));
                0.0
            }
        };
        v.finish()?;
        match (self.unit_id, measure) {
            (Some(unit_id), Some(measure)) => Ok(TargetFields { unit_id, agreement, year, measure, target, label }),
            _ => Err(crate::DomainError::invalid("measure", "unknown-choice")),
        }
    }
}

code_enum!(
    /// How a unit stands against a yearly target.
    Pace { Met = "met", OnPace = "on_pace", Behind = "behind", NotStarted = "not_started" }
);

/// A target beside what was achieved so far.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Achievement {
    pub target: Target,
    /// What was achieved; hidden (null) from a funder when it counts fewer than five people.
    pub actual: Option<f64>,
    /// Actual over target, in per cent (one decimal).
    pub percent: f64,
    /// The share of the year gone by `as_of`, in per cent: where a unit on pace would be.
    pub expected_percent: f64,
    pub pace: Pace,
}

/// Judges one target: met once the actual reaches it; otherwise on pace while the actual is at
/// least the share of the target the elapsed part of the year calls for, behind when it is not.
/// A year not yet begun is `not_started`; a finished year that missed its target is behind.
pub fn achievement(target: Target, actual: f64, as_of: NaiveDate) -> Achievement {
    let (first, last) = year_span(target.year).unwrap_or((as_of, as_of));
    let days = (last - first).num_days() as f64 + 1.0;
    let elapsed = if as_of < first {
        0.0
    } else if as_of >= last {
        1.0
    } else {
        ((as_of - first).num_days() as f64 + 1.0) / days
    };
    let percent = if target.target > 0.0 { round1(actual / target.target * 100.0) } else { 0.0 };
    let pace = if actual >= target.target {
        Pace::Met
    } else if elapsed == 0.0 {
        Pace::NotStarted
    } else if actual >= target.target * elapsed {
        Pace::OnPace
    } else {
        Pace::Behind
    };
    Achievement { target, actual: Some(actual), percent, expected_percent: round1(elapsed * 100.0), pace }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The counting rules printed on every report, one sentence a measure group.
pub const RULES: &str = "person-times = one attendance of one person at one session; unique persons = distinct people over the \
whole period and scope, never a sum of sub-periods or sub-units; cases served = open at any time in the period, new = opened in \
it, closed = closed in it; groups and programmes held = with at least one session held in the period; volunteer hours = approved \
hours actually served; volunteer person-times = one volunteer at one duty; hotline calls per call, callers distinct; toy loans \
per loan, households distinct; assistance requests by the day requested, deliveries of those delivered, person-times = people in the \
household reached per delivery; donations by the day received, in-kind value = quantity x value per unit on the recorded basis, \
amounts in the agency's currency; households reached distinct";

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn input(period: &str, value: &str, from: &str, to: &str) -> PeriodInput {
        PeriodInput { period: period.into(), value: value.into(), from: from.into(), to: to.into() }
    }

    #[test]
    fn periods_resolve_to_their_first_and_last_days() {
        let today = d("2026-05-10");
        let p = input("month", "2024-02", "", "").resolve(today).unwrap();
        assert_eq!((p.from, p.to, p.label.as_str()), (d("2024-02-01"), d("2024-02-29"), "2024-02"));
        let p = input("quarter", "2026-Q4", "", "").resolve(today).unwrap();
        assert_eq!((p.from, p.to, p.label.as_str()), (d("2026-10-01"), d("2026-12-31"), "2026-Q4"));
        let p = input("", "2025", "", "").resolve(today).unwrap();
        assert_eq!((p.kind, p.from, p.to), (PeriodKind::Year, d("2025-01-01"), d("2025-12-31")));
        let p = input("", "2025-q2", "", "").resolve(today).unwrap();
        assert_eq!((p.from, p.to), (d("2025-04-01"), d("2025-06-30")));
        let p = input("", "", "2026-01-05", "2026-02-01").resolve(today).unwrap();
        assert_eq!((p.kind, p.from, p.to), (PeriodKind::Custom, d("2026-01-05"), d("2026-02-01")));
        let p = input("", "", "", "").resolve(today).unwrap();
        assert_eq!((p.from, p.to), (d("2026-01-01"), today));
    }

    #[test]
    fn bad_periods_name_the_field() {
        let today = d("2026-05-10");
        let code = |i: PeriodInput| match i.resolve(today) {
            Err(crate::DomainError::Invalid(e)) => format!("{}:{}", e[0].field, e[0].code),
            other => format!("{other:?}"),
        };
        assert_eq!(code(input("month", "2026-13", "", "")), "value:period");
        assert_eq!(code(input("quarter", "2026-Q5", "", "")), "value:period");
        assert_eq!(code(input("weekly", "", "", "")), "period:unknown-choice");
        assert_eq!(code(input("custom", "", "2026-03-01", "2026-02-01")), "to:date-before-start");
        assert_eq!(code(input("custom", "", "yesterday", "2026-02-01")), "from:date");
        assert_eq!(code(input("custom", "", "2000-01-01", "2026-02-01")), "to:period");
    }

    #[test]
    fn months_cover_the_period_with_clipped_edges() {
        let m = months(d("2026-01-15"), d("2026-03-02"));
        assert_eq!(m.len(), 3);
        assert_eq!(m[0], ("2026-01".to_string(), d("2026-01-15"), d("2026-01-31")));
        assert_eq!(m[2], ("2026-03".to_string(), d("2026-03-01"), d("2026-03-02")));
    }

    #[test]
    fn small_counts_of_people_are_hidden_but_not_zero_or_person_times() {
        assert_eq!(Figure::of(Measure::UniquePersons, 4.0, true), Figure { value: None, suppressed: true });
        assert_eq!(Figure::of(Measure::UniquePersons, 5.0, true), Figure::shown(5.0));
        assert_eq!(Figure::of(Measure::UniquePersons, 0.0, true), Figure::shown(0.0));
        assert_eq!(Figure::of(Measure::CasesNew, 1.0, true).value, None);
        assert_eq!(Figure::of(Measure::PersonTimes, 3.0, true), Figure::shown(3.0));
        assert_eq!(Figure::of(Measure::UniquePersons, 4.0, false), Figure::shown(4.0));
    }

    fn target(year: i32, t: f64) -> Target {
        Target {
            id: TargetId::new(),
            unit_id: UnitId::new(),
            agreement: "FSA".into(),
            year,
            measure: Measure::PersonTimes,
            target: t,
            label: String::new(),
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn pace_compares_the_actual_with_the_elapsed_share_of_the_year() {
        // 2026-07-02 is day 183 of 365: a unit on pace has about 50.1% of its target.
        let mid = d("2026-07-02");
        let a = achievement(target(2026, 1000.0), 520.0, mid);
        assert_eq!((a.pace, a.percent, a.expected_percent), (Pace::OnPace, 52.0, 50.1));
        assert_eq!(achievement(target(2026, 1000.0), 400.0, mid).pace, Pace::Behind);
        assert_eq!(achievement(target(2026, 1000.0), 1000.0, mid).pace, Pace::Met);
        assert_eq!(achievement(target(2027, 1000.0), 0.0, mid).pace, Pace::NotStarted);
        let past = achievement(target(2025, 1000.0), 999.0, mid);
        assert_eq!((past.pace, past.expected_percent), (Pace::Behind, 100.0));
    }

    #[test]
    fn targets_are_validated_field_by_field() {
        let bad = TargetInput { year: "1999".into(), measure: "hugs".into(), target: "-3".into(), ..Default::default() };
        let Err(crate::DomainError::Invalid(e)) = bad.validate() else { panic!("invalid") };
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["unit_id", "agreement", "year", "measure", "target"]);
        let ok = TargetInput {
            unit_id: Some(UnitId::new()),
            agreement: " FSA 2026-27 ".into(),
            year: "2026".into(),
            measure: "person_times".into(),
            target: "1,200".into(),
            label: String::new(),
            version: 0,
        };
        let f = ok.validate().unwrap();
        assert_eq!((f.agreement.as_str(), f.target, f.measure), ("FSA 2026-27", 1200.0, Measure::PersonTimes));
    }
}
