//! Social intelligence: the social incident log (an epidemic wave, a typhoon, a building fire, a
//! mass layoff) with the cases, calls, assistance requests and activities that answered it, and
//! the knowledge base of solutions (an intervention or service design) with the need it answers,
//! its population, steps, resources and evidence: the literature, and the agency's own outcome
//! data. Recommendations rank solutions for a case or an incident by measured outcomes for
//! similar clients and by text relevance, and say why each was suggested.

use crate::clients::code_enum;
use crate::error::{is_code, FieldError, Result, Validator};
use crate::ids::{IncidentId, OrgId, SolutionId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use utoipa::ToSchema;

code_enum!(
    /// What kind of incident.
    IncidentKind {
        Epidemic = "epidemic", Typhoon = "typhoon", Fire = "fire", Flood = "flood", Layoff = "layoff", Heatwave = "heatwave",
        Other = "other",
    }
);

code_enum!(
    /// What may be linked to an incident.
    LinkKind { Case = "case", Call = "call", Assistance = "assistance", Activity = "activity" }
);

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Incident {
    pub id: IncidentId,
    pub org_id: OrgId,
    pub title: String,
    pub kind: IncidentKind,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    /// Areas or districts hit.
    pub districts: Vec<String>,
    /// Client category codes of the groups affected.
    pub affected_categories: Vec<String>,
    pub description: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub kind: String,
    pub started_on: Option<NaiveDate>,
    #[serde(default)]
    pub ended_on: Option<NaiveDate>,
    #[serde(default)]
    pub districts: Vec<String>,
    #[serde(default)]
    pub affected_categories: Vec<String>,
    #[serde(default)]
    pub description: String,
    /// The version edited (updates only).
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IncidentFields {
    pub title: String,
    pub kind: IncidentKind,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub districts: Vec<String>,
    pub affected_categories: Vec<String>,
    pub description: String,
}

/// Trimmed, blank-free, de-duplicated entries of a list.
fn clean_list(v: &mut Validator, field: &str, xs: &[String], max_len: usize) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for x in xs.iter().map(|x| x.trim()).filter(|x| !x.is_empty()) {
        if x.chars().count() > max_len {
            v.push(FieldError::new(field, "too-long").with("max", max_len));
        } else if seen.insert(x.to_string()) {
            out.push(x.to_string());
        }
    }
    if out.len() > 50 {
        v.push(FieldError::new(field, "out-of-range").with("min", 0).with("max", 50));
    }
    out
}

fn codes(v: &mut Validator, field: &str, xs: &[String]) -> Vec<String> {
    let out = clean_list(v, field, xs, 40);
    if out.iter().any(|c| !is_code(c)) {
        v.push(FieldError::new(field, "code-chars"));
    }
    out
}

impl IncidentInput {
    /// `categories`: the agency's client category codes.
    pub fn validate(&self, categories: &[String]) -> Result<IncidentFields> {
        let mut v = Validator::new();
        let title = v.text("title", &self.title, true, 200);
        let kind = IncidentKind::parse(self.kind.trim());
        if kind.is_none() {
            v.push(FieldError::new("kind", if self.kind.trim().is_empty() { "required" } else { "invalid-choice" }));
        }
        if self.started_on.is_none() {
            v.push(FieldError::new("started_on", "required"));
        }
        if let (Some(s), Some(e)) = (self.started_on, self.ended_on) {
            if e < s {
                v.push(FieldError::new("ended_on", "before-start"));
            }
        }
        let districts = clean_list(&mut v, "districts", &self.districts, 100);
        let affected_categories = codes(&mut v, "affected_categories", &self.affected_categories);
        if affected_categories.iter().any(|c| !categories.contains(c)) {
            v.push(FieldError::new("affected_categories", "invalid-choice"));
        }
        let description = v.text("description", &self.description, false, 5000);
        v.finish()?;
        let (Some(kind), Some(started_on)) = (kind, self.started_on) else {
            return Err(crate::DomainError::invalid("kind", "required"));
        };
        Ok(IncidentFields { title, kind, started_on, ended_on: self.ended_on, districts, affected_categories, description })
    }
}

/// A record linked to an incident.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IncidentLink {
    pub kind: LinkKind,
    pub target_id: uuid::Uuid,
    /// The day of the linked record (a case's opening, a call, a request, an activity's first session).
    pub occurred_on: NaiveDate,
    /// A short label of the record (a case number, a need, an activity's title), never a name.
    pub label: String,
    pub linked_by: String,
    pub linked_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// `case`, `call`, `assistance` or `activity`.
    #[serde(default)]
    pub kind: String,
    pub target_id: Option<uuid::Uuid>,
}

/// The response to an incident at a glance.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IncidentView {
    pub incident: Incident,
    pub cases: u64,
    pub calls: u64,
    pub assistance: u64,
    pub activities: u64,
    /// Linked records by day, oldest first.
    pub timeline: Vec<IncidentLink>,
}

pub fn incident_view(incident: Incident, mut links: Vec<IncidentLink>) -> IncidentView {
    links.sort_by_key(|l| (l.occurred_on, l.linked_at));
    let count = |k: LinkKind| links.iter().filter(|l| l.kind == k).count() as u64;
    IncidentView {
        cases: count(LinkKind::Case),
        calls: count(LinkKind::Call),
        assistance: count(LinkKind::Assistance),
        activities: count(LinkKind::Activity),
        incident,
        timeline: links,
    }
}

// ---------------------------------------------------------------------------------------------
// Solutions

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Solution {
    pub id: SolutionId,
    pub org_id: OrgId,
    pub title: String,
    /// The need it answers.
    pub need: String,
    /// Presenting-problem codes (of casework) it answers.
    pub problems: Vec<String>,
    /// Client category codes it is for.
    pub categories: Vec<String>,
    pub population: String,
    pub steps: String,
    pub resources: String,
    /// Literature: one citation a line.
    pub evidence: String,
    /// Intervention codes; administrations recorded with one of them are this solution's own
    /// outcome data.
    pub interventions: Vec<String>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Solution {
    /// The text the search index holds.
    pub fn search_text(&self) -> String {
        [&self.need, &self.population, &self.steps, &self.resources, &self.evidence].map(|s| s.as_str()).join("\n")
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SolutionInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub need: String,
    #[serde(default)]
    pub problems: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub population: String,
    #[serde(default)]
    pub steps: String,
    #[serde(default)]
    pub resources: String,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub interventions: Vec<String>,
    /// The version edited (updates only).
    #[serde(default)]
    pub version: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SolutionFields {
    pub title: String,
    pub need: String,
    pub problems: Vec<String>,
    pub categories: Vec<String>,
    pub population: String,
    pub steps: String,
    pub resources: String,
    pub evidence: String,
    pub interventions: Vec<String>,
}

impl SolutionInput {
    pub fn validate(&self) -> Result<SolutionFields> {
        let mut v = Validator::new();
        let title = v.text("title", &self.title, true, 200);
        let need = v.text("need", &self.need, true, 2000);
        let problems = codes(&mut v, "problems", &self.problems);
        let categories = codes(&mut v, "categories", &self.categories);
        let population = v.text("population", &self.population, false, 2000);
        let steps = v.text("steps", &self.steps, false, 10000);
        let resources = v.text("resources", &self.resources, false, 5000);
        let evidence = v.text("evidence", &self.evidence, false, 10000);
        let interventions = codes(&mut v, "interventions", &self.interventions);
        v.finish()?;
        Ok(SolutionFields { title, need, problems, categories, population, steps, resources, evidence, interventions })
    }
}

/// A solution's own outcome data on one scale (aggregate only).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct MeasuredOutcome {
    pub scale: String,
    pub n: u64,
    pub mean_change: f64,
    pub effect_size: Option<f64>,
    /// The change in the scale's better direction (mean change, sign-corrected).
    pub improvement: f64,
}

/// Why a solution was suggested.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Reasons {
    pub matched_problems: Vec<String>,
    pub matched_categories: Vec<String>,
    /// Measured on clients of the matched categories (else on all its clients).
    pub measured: Option<MeasuredOutcome>,
    /// Relevance of the text to the case's or incident's words (0–1, best = 1).
    pub text_match: f64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Recommendation {
    pub solution_id: SolutionId,
    pub title: String,
    pub score: f64,
    pub reasons: Reasons,
}

/// A candidate with what was found about it.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub solution: Solution,
    /// Text relevance normalised to 0–1 (the best hit 1).
    pub text_match: f64,
    pub measured: Option<MeasuredOutcome>,
}

/// Ranks candidates: matched presenting problems weigh most, then categories, then the
/// measured outcome (effect size, capped, when at least five clients were measured), then text
/// relevance. Candidates with no reason at all are left out.
pub fn rank(candidates: Vec<Candidate>, problems: &[String], categories: &[String], limit: usize) -> Vec<Recommendation> {
    let mut out: Vec<Recommendation> = candidates
        .into_iter()
        .filter_map(|c| {
            let matched_problems: Vec<String> = c.solution.problems.iter().filter(|p| problems.contains(p)).cloned().collect();
            let matched_categories: Vec<String> = c.solution.categories.iter().filter(|x| categories.contains(x)).cloned().collect();
            let measured_weight = c
                .measured
                .as_ref()
                .filter(|m| m.n >= crate::outcomes::MIN_CELL)
                .map(|m| m.effect_size.map(|d| d.abs()).unwrap_or(0.0).min(2.0) * if m.improvement > 0.0 { 1.0 } else { -1.0 })
                .unwrap_or(0.0);
            let score = 3.0 * matched_problems.len() as f64 + 1.5 * matched_categories.len() as f64 + measured_weight + 2.0 * c.text_match;
            let any = !matched_problems.is_empty() || !matched_categories.is_empty() || c.text_match > 0.0;
            any.then(|| Recommendation {
                solution_id: c.solution.id,
                title: c.solution.title.clone(),
                score: (score * 100.0).round() / 100.0,
                reasons: Reasons {
                    matched_problems,
                    matched_categories,
                    measured: c.measured,
                    text_match: (c.text_match * 100.0).round() / 100.0,
                },
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.title.cmp(&b.title)));
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solution(title: &str, problems: &[&str], categories: &[&str]) -> Solution {
        Solution {
            id: SolutionId::new(),
            org_id: OrgId::new(),
            title: title.into(),
            need: String::new(),
            problems: problems.iter().map(|s| s.to_string()).collect(),
            categories: categories.iter().map(|s| s.to_string()).collect(),
            population: String::new(),
            steps: String::new(),
            resources: String::new(),
            evidence: String::new(),
            interventions: vec![],
            created_by: String::new(),
            updated_at: Utc::now(),
            version: 1,
        }
    }

    #[test]
    fn problems_then_categories_then_measured_outcomes_then_text() {
        let s = |x: &str| vec![x.to_string()];
        let measured =
            |d: f64, n: u64| Some(MeasuredOutcome { scale: "brs".into(), n, mean_change: 0.5, effect_size: Some(d), improvement: 0.5 });
        let cands = vec![
            Candidate { solution: solution("text only", &[], &[]), text_match: 1.0, measured: None },
            Candidate { solution: solution("category", &[], &["elderly"]), text_match: 0.0, measured: None },
            Candidate { solution: solution("category, measured", &[], &["elderly"]), text_match: 0.0, measured: measured(0.8, 12) },
            Candidate { solution: solution("category, too few measured", &[], &["elderly"]), text_match: 0.0, measured: measured(1.5, 3) },
            Candidate { solution: solution("problem", &["grief"], &[]), text_match: 0.0, measured: None },
            Candidate { solution: solution("nothing", &["debt"], &["youth"]), text_match: 0.0, measured: None },
        ];
        let r = rank(cands, &s("grief"), &s("elderly"), 10);
        let titles: Vec<&str> = r.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["problem", "category, measured", "text only", "category", "category, too few measured"]);
        assert_eq!(r[0].reasons.matched_problems, ["grief"]);
        assert_eq!(r[1].reasons.measured.as_ref().map(|m| m.n), Some(12));
    }

    #[test]
    fn an_incident_needs_a_title_kind_and_start_and_known_groups() {
        let cats = vec!["elderly".to_string()];
        let i = IncidentInput {
            kind: "meteor".into(),
            started_on: NaiveDate::from_ymd_opt(2026, 3, 2),
            ended_on: NaiveDate::from_ymd_opt(2026, 3, 1),
            affected_categories: vec!["aliens".into()],
            ..Default::default()
        };
        let Err(crate::DomainError::Invalid(e)) = i.validate(&cats) else { unreachable!("bad incident") };
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "kind", "ended_on", "affected_categories"]);
    }
}
