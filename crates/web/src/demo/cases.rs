//! Demo casework: invented cases at every stage, so that caseloads, to-do lists, approvals and
//! statistics have something to show. Every word here is invented.

use crate::error::AppResult;
use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shegong_domain::accounts::{Actor, Permission, Role, Scope};
use shegong_domain::cases::{
    AssessmentFields, CaseChange, CaseDetails, CaseFields, CaseSource, CaseType, ClosingReason, ContactType, Goal, NoteFields, RiskLevel,
    TaskFields,
};
use shegong_domain::clients::ClientFilter;
use shegong_domain::ports::Storage;

const NOTES: [&str; 6] = [
    "Home visit: discussed the week's arguments; agreed to try a family meeting on Sunday.",
    "Phone follow-up: client slept better, still worried about rent arrears.",
    "Office interview with client and daughter; practised calm requests.",
    "Escorted client to the clinic; next appointment in four weeks.",
    "Outreach contact at the estate; client asked about food assistance.",
    "Reviewed progress on goals; client feels more supported.",
];

/// Opens about `n` cases for clients of the units where the demo staff hold cases, spread over
/// the last 18 months. Returns how many were opened.
pub async fn seed_demo_cases(store: &dyn Storage, n: usize, seed: u64, today: NaiveDate) -> AppResult<u64> {
    let Some(agency) = store.list_agencies().await?.into_iter().next() else {
        return Ok(0);
    };
    let org = agency.id;
    let users = store.list_users(org).await?;
    let Some(supervisor) = users.iter().find(|u| u.grants.has_role(Role::Supervisor)) else {
        return Ok(0);
    };
    let boss = Actor::from(supervisor);
    // Workers and the unit each holds cases in.
    let workers: Vec<_> = users
        .iter()
        .filter(|u| u.grants.has_role(Role::SocialWorker) || u.grants.has_role(Role::WelfareWorker))
        .filter_map(|u| u.grants.0.iter().find_map(|g| g.unit_id).map(|unit| (u, unit)))
        .filter(|(u, unit)| u.grants.allows(Permission::EditCases, Scope::Unit(*unit)))
        .collect();
    if workers.is_empty() {
        return Ok(0);
    }
    let problems: Vec<String> = store.problems(org).await?.into_iter().filter(|p| p.active && !p.sensitive).map(|p| p.code).collect();
    let settings = store.case_settings(org).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut opened = 0;
    for (i, (worker, unit)) in workers.iter().enumerate() {
        let actor = Actor::from(*worker);
        let filter = ClientFilter { unit_id: Some(*unit), ..Default::default() };
        let share = n / workers.len() + usize::from(i < n % workers.len());
        let clients = store.list_clients(org, &filter, Some(&[*unit]), 0, share as u64).await?.clients;
        for client in clients {
            let opened_on = today - Duration::days(rng.gen_range(3..540));
            let mut codes = vec![problems[rng.gen_range(0..problems.len())].clone()];
            if rng.gen_bool(0.3) {
                codes.push(problems[rng.gen_range(0..problems.len())].clone());
                codes.dedup();
            }
            let fields = CaseFields {
                unit_id: *unit,
                client_id: Some(client.id),
                household_id: None,
                worker_id: worker.id,
                opened_on,
                details: CaseDetails {
                    source: [CaseSource::WalkIn, CaseSource::Hotline, CaseSource::ReferralIn, CaseSource::Outreach][rng.gen_range(0..4)],
                    source_detail: "Demo referral source".into(),
                    case_type: if rng.gen_bool(0.6) { CaseType::InDepth } else { CaseType::BriefSupportive },
                    risk: [RiskLevel::Low, RiskLevel::Low, RiskLevel::Medium, RiskLevel::High][rng.gen_range(0..4)],
                    problems: codes,
                    intake_summary: "Invented intake for the demo: the family asked for help after a difficult few months.".into(),
                    next_review_on: Some(opened_on + Duration::days(settings.review_days.into())),
                },
            };
            let case = store.open_case(&actor, &fields).await?;
            opened += 1;
            // Most cases have an assessment, a plan and a few notes; some are closed.
            let progress = rng.gen_range(0..10);
            if progress >= 2 {
                let a = AssessmentFields {
                    assessed_on: (opened_on + Duration::days(7)).min(today),
                    presenting_situation: "Frequent conflict at home; money is tight.".into(),
                    family_and_support: "Lives with spouse and one adult child.".into(),
                    risks: "No immediate safety risk identified.".into(),
                    strengths: "Motivated; good relationship with a neighbour.".into(),
                    needs: "Communication skills; financial advice.".into(),
                    summary: String::new(),
                };
                store.add_assessment(&actor, case.id, &a).await?;
            }
            if progress >= 3 {
                let goals = [
                    Goal { goal: "Fewer arguments at home".into(), interventions: "Fortnightly counselling".into(), target_on: None },
                    Goal { goal: "Stable household budget".into(), interventions: "Referral to financial advice".into(), target_on: None },
                ];
                let plan = store.save_plan(&actor, case.id, None, &goals, true, settings.plan_approval).await?;
                if progress >= 4 && settings.plan_approval {
                    store.decide_plan(&boss, case.id, plan.id, plan.version, true, "").await?;
                }
            }
            let days_open = (today - opened_on).num_days().max(1);
            for k in 0..rng.gen_range(0..5) {
                let f = NoteFields {
                    occurred_on: opened_on + Duration::days(rng.gen_range(0..days_open)),
                    contact_type: [ContactType::HomeVisit, ContactType::Phone, ContactType::OfficeInterview, ContactType::Escort][k % 4],
                    duration_minutes: rng.gen_range(10..90),
                    present: "Client".into(),
                    body: NOTES[rng.gen_range(0..NOTES.len())].into(),
                    follow_up: (k == 0 && rng.gen_bool(0.3)).then(|| TaskFields {
                        title: "Call back about the appointment".into(),
                        due_on: today + Duration::days(rng.gen_range(-5..10)),
                    }),
                };
                store.add_note(&actor, case.id, &f, None).await?;
            }
            if progress == 9 {
                let current = store.get_case(org, case.id).await?;
                let on = (opened_on + Duration::days(rng.gen_range(30..200))).min(today);
                let change = CaseChange::RequestClosure {
                    on,
                    reason: ClosingReason::GoalsAchieved,
                    summary: "Goals met; family knows where to seek help.".into(),
                    approval: false,
                };
                store.change_case(&actor, case.id, current.version, change, today).await?;
            }
        }
    }
    Ok(opened)
}
