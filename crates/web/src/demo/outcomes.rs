//! Demo outcomes and knowledge: the Brief Resilience Scale given before and after a resilience
//! group to clients of the first family centre (answers drawn from our own generator), a few
//! solutions of the knowledge base, and a typhoon in the incident log with some cases linked.
//! Every name and answer here is invented.

use crate::error::AppResult;
use chrono::NaiveDate;
use shegong_domain::accounts::{Actor, Role};
use shegong_domain::cases::{CaseFilter, CaseScope};
use shegong_domain::clients::ClientFilter;
use shegong_domain::knowledge::{IncidentInput, IncidentLink, LinkKind, SolutionInput};
use shegong_domain::outcomes::{brief_resilience_scale, AdministrationInput};
use shegong_domain::ports::Storage;
use shegong_domain::units::UnitType;

/// Seeds outcomes and knowledge for the first agency. Returns how many administrations were recorded.
pub async fn seed_demo_outcomes(store: &dyn Storage, seed: u64, today: NaiveDate) -> AppResult<u64> {
    let Some(agency) = store.list_agencies().await?.into_iter().next() else {
        return Ok(0);
    };
    let org = agency.id;
    let users = store.list_users(org).await?;
    let Some(worker) = users.iter().find(|u| u.grants.has_role(Role::SocialWorker)).or_else(|| users.first()) else {
        return Ok(0);
    };
    let actor = Actor::from(worker);
    let Some(unit) = store.list_units(org).await?.into_iter().find(|u| u.active && u.unit_type == UnitType::FamilyCentre) else {
        return Ok(0);
    };
    let solutions = [
        (
            "抗逆力小組 Resilience group",
            "提升照顧者及家長面對壓力的抗逆力。Building resilience of carers and parents under stress.",
            "emotional",
            "carer",
            "resilience_group",
        ),
        (
            "創傷知情照顧家訪 Trauma-informed home visits",
            "災後以創傷知情原則家訪獨居長者。Trauma-informed visits to elders living alone after a disaster.",
            "elderly_care",
            "elderly_alone",
            "trauma_informed_visits",
        ),
        (
            "就業及經濟援助轉介 Employment and financial aid",
            "裁員後的就業輔導及緊急經濟援助。Employment counselling and emergency aid after layoffs.",
            "employment",
            "low_income",
            "employment_support",
        ),
    ];
    for (title, need, problem, category, intervention) in solutions {
        let s = SolutionInput {
            title: title.into(),
            need: need.into(),
            problems: vec![problem.into()],
            categories: vec![category.into()],
            steps: "1. 評估需要 Assess needs\n2. 制定計劃 Plan\n3. 介入 Intervene\n4. 前後測 Measure before and after".into(),
            evidence: "Smith et al. (2008). The brief resilience scale. Int J Behav Med 15(3), 194–200.".into(),
            interventions: vec![intervention.into()],
            ..Default::default()
        };
        store.create_solution(&actor, &s.validate()?).await?;
    }
    let categories: Vec<String> = store.categories(org).await?.into_iter().map(|c| c.code).collect();
    let typhoon = IncidentInput {
        title: "超強颱風 Super typhoon".into(),
        kind: "typhoon".into(),
        started_on: Some(today - chrono::Duration::days(20)),
        ended_on: Some(today - chrono::Duration::days(18)),
        districts: vec!["灣仔 Wan Chai".into()],
        affected_categories: vec!["elderly_alone".into()],
        description: "強風吹襲，多名獨居長者家居受損。Homes of elders living alone damaged by the storm.".into(),
        version: None,
    };
    let incident = store.create_incident(&actor, &typhoon.validate(&categories)?).await?;
    let units = [unit.id];
    let scope = CaseScope { units: Some(&units), sensitive: false };
    let cases = store.list_cases(org, scope, &CaseFilter::default(), today, 0, 3).await?.cases;
    for c in cases {
        let link = IncidentLink {
            kind: LinkKind::Case,
            target_id: c.id.0,
            occurred_on: c.opened_on,
            label: c.case_no.clone(),
            linked_by: worker.display_name.clone(),
            linked_at: chrono::Utc::now(),
        };
        store.link_incident(&actor, incident.id, &link).await?;
    }
    let filter = ClientFilter { unit_id: Some(unit.id), ..Default::default() };
    let clients = store.list_clients(org, &filter, Some(&[unit.id]), 0, 16).await?.clients;
    let scale = brief_resilience_scale();
    let mut rng = seed.max(1);
    let mut next = |n: i32| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        i32::try_from(rng % u64::try_from(n).unwrap_or(1)).unwrap_or(0)
    };
    let mut made = 0;
    for c in clients {
        // Before: around "neutral"; after: most move one step towards resilience.
        let pre: Vec<i32> = (0..6).map(|i| if i % 2 == 0 { 2 + next(2) } else { 3 + next(2) }).collect();
        let post: Vec<i32> =
            pre.iter().enumerate().map(|(i, v)| if i % 2 == 0 { (v + next(2)).min(5) } else { (v - next(2)).max(1) }).collect();
        for (tp, answers, on) in [("pre", pre, today - chrono::Duration::days(70)), ("post", post, today - chrono::Duration::days(5))] {
            let input = AdministrationInput {
                client_id: Some(c.id),
                scale: "brs".into(),
                intervention: "resilience_group".into(),
                time_point: tp.into(),
                administered_on: Some(on),
                answers,
                ..Default::default()
            };
            store.record_administration(&actor, c.unit_id, &input.validate(Some(&scale), today)?).await?;
            made += 1;
        }
    }
    Ok(made)
}
