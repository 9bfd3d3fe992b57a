//! Social intelligence: solutions written in Traditional Chinese found by a Simplified or an
//! English query, a stale edit refused, recommendations for a case ranked by matched problems,
//! categories and the agency's own measured outcomes with the reasons shown, and an incident
//! with cases, a call, an assistance request and a group linked to it showing the response at a
//! glance.

use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::Role;
use shegong_testkit::{db_test, ok, Client, TestApp};

async fn person(c: &Client, unit: impl std::fmt::Display, name: &str, phone: &str, categories: &[&str]) -> String {
    let body = json!({"unit_id": unit.to_string(), "name_zh": name, "sex": "female", "date_of_birth": "1960-01-01",
                      "phones": [phone], "categories": categories});
    ok(c.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await, 201).await["id"].as_str().unwrap().to_string()
}

async fn case(c: &Client, unit: impl std::fmt::Display, client: &str, problems: &[&str]) -> Value {
    let body = json!({"unit_id": unit.to_string(), "client_id": client, "source": "walk_in", "case_type": "in_depth", "risk": "medium",
                      "problems": problems, "intake_summary": "照顧患認知障礙症的母親，壓力很大。"});
    ok(c.json(Method::POST, "/api/v1/cases", &body).await, 201).await
}

async fn solution(c: &Client, title: &str, need: &str, problems: &[&str], categories: &[&str], interventions: &[&str]) -> Value {
    let body = json!({"title": title, "need": need, "problems": problems, "categories": categories, "interventions": interventions,
                      "steps": "1. 評估\n2. 小組", "evidence": "Smith et al. (2008)"});
    ok(c.json(Method::POST, "/api/v1/knowledge/solutions", &body).await, 201).await
}

#[db_test]
async fn solutions_are_found_across_scripts_and_recommended_for_a_case_with_reasons(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let carers = solution(
        &sw,
        "照顧者減壓小組",
        "為認知障礙症患者的照顧者減輕壓力，提供喘息服務資訊。",
        &["elderly_care"],
        &["carer"],
        &["carer_group"],
    )
    .await;
    let youth =
        solution(&sw, "青少年抗逆力訓練營", "提升青少年面對學業壓力的抗逆力。", &["parenting"], &["child_in_difficulty"], &[]).await;
    let layoff = solution(
        &sw,
        "失業人士就業支援",
        "大規模裁員後的就業輔導及緊急經濟援助。Employment support after mass layoffs.",
        &["employment"],
        &[],
        &[],
    )
    .await;

    // Written in Traditional; found by Simplified and by English.
    let found = ok(sw.get("/api/v1/knowledge/solutions?q=照顾者%20减压").await, 200).await;
    assert_eq!(found[0]["id"], carers["id"]);
    let found = ok(sw.get("/api/v1/knowledge/solutions?q=抗逆力").await, 200).await;
    assert_eq!(found[0]["id"], youth["id"]);
    let found = ok(sw.get("/api/v1/knowledge/solutions?q=mass%20layoffs").await, 200).await;
    assert_eq!(found[0]["id"], layoff["id"]);
    assert_eq!(ok(sw.get("/api/v1/knowledge/solutions?q=zzzz").await, 200).await.as_array().unwrap().len(), 0);

    // An edit at the current version is saved and searchable at once; a stale one is refused.
    let id = carers["id"].as_str().unwrap();
    let edit = json!({"title": "照顧者減壓及互助小組", "need": "照顧者互助與減壓。", "problems": ["elderly_care"], "categories": ["carer"],
                      "interventions": ["carer_group"], "version": 1});
    let saved = ok(sw.json(Method::PUT, &format!("/api/v1/knowledge/solutions/{id}"), &edit).await, 200).await;
    assert_eq!(saved["version"], 2);
    ok(sw.json(Method::PUT, &format!("/api/v1/knowledge/solutions/{id}"), &edit).await, 409).await;
    assert_eq!(ok(sw.get("/api/v1/knowledge/solutions?q=互助").await, 200).await[0]["id"], carers["id"]);

    // Five carers measured with the carer group: their BRS rose by 1.0 each.
    for i in 0..5 {
        let c = person(&sw, unit, &format!("照顧者{i}"), &format!("9200000{i}"), &["carer"]).await;
        for (tp, answers) in [("pre", [3, 3, 3, 3, 3, 3]), ("post", [4, 2, 4, 2, 4, 2])] {
            let body = json!({"client_id": c, "scale": "brs", "time_point": tp, "answers": answers, "intervention": "carer_group",
                              "administered_on": if tp == "pre" { "2026-01-10" } else { "2026-02-20" }});
            ok(sw.json(Method::POST, "/api/v1/outcomes/administrations", &body).await, 201).await;
        }
    }
    let v = ok(sw.get(&format!("/api/v1/knowledge/solutions/{id}")).await, 200).await;
    assert_eq!(
        (v["outcomes"][0]["scale"].as_str(), v["outcomes"][0]["n"].as_u64(), v["outcomes"][0]["mean_change"].as_f64()),
        (Some("brs"), Some(5), Some(1.0))
    );

    // A new case of a carer with elderly-care problems: the carer group comes first, and says why.
    let client = person(&sw, unit, "陳照顧", "92345678", &["carer"]).await;
    let k = case(&sw, unit, &client, &["elderly_care", "emotional"]).await;
    let r = ok(sw.get(&format!("/api/v1/knowledge/recommendations?case_id={}", k["id"].as_str().unwrap())).await, 200).await;
    assert_eq!(r[0]["solution_id"], carers["id"]);
    assert_eq!(r[0]["reasons"]["matched_problems"], json!(["elderly_care"]));
    assert_eq!(r[0]["reasons"]["matched_categories"], json!(["carer"]));
    assert_eq!(r[0]["reasons"]["measured"]["n"], 5);
    assert!(!r.as_array().unwrap().iter().any(|x| x["solution_id"] == layoff["id"]), "nothing in common with the case");
    // The page says the same in the worker's language.
    let (status, html) = sw.page(&format!("/knowledge/recommendations?case_id={}", k["id"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    let list = &html[html.find("id=\"recommendations\"").unwrap()..];
    assert!(list.find("照顧者減壓及互助小組").unwrap() < list.find("</ol>").unwrap(), "the carer group is suggested");
    assert!(list.contains("elderly_care") && list.contains("n = 5"), "with its reasons");
    let (status, _) = sw.page("/knowledge/recommendations?case_id=nonsense").await;
    assert_eq!(status, 422);
    // Someone who may not read the case gets no recommendations from it.
    let op = app.signed_in(Role::HotlineOperator).await;
    ok(op.get(&format!("/api/v1/knowledge/recommendations?case_id={}", k["id"].as_str().unwrap())).await, 403).await;
    // A volunteer does not read the knowledge base; a funder neither.
    ok(app.signed_in(Role::Volunteer).await.get("/api/v1/knowledge/solutions").await, 403).await;
    ok(app.signed_in(Role::FunderViewer).await.get("/api/v1/knowledge/solutions").await, 403).await;
}

#[db_test]
async fn an_incident_shows_the_cases_calls_requests_and_groups_linked_to_it_and_suggests_solutions(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    solution(&sw, "火災後創傷支援", "火災後居民的創傷知情照顧。", &[], &["elderly_alone"], &[]).await;
    let body = json!({"title": "大廈火災", "kind": "fire", "started_on": "2026-02-26", "districts": ["大埔"],
                      "affected_categories": ["elderly_alone"], "description": "宏福苑火災，多名獨居長者需要安置及創傷支援。"});
    let i = ok(sw.json(Method::POST, "/api/v1/knowledge/incidents", &body).await, 201).await;
    let id = i["id"].as_str().unwrap();
    let bad = json!({"title": "", "kind": "meteor", "started_on": "2026-02-26", "ended_on": "2026-02-01"});
    ok(sw.json(Method::POST, "/api/v1/knowledge/incidents", &bad).await, 422).await;

    let a = person(&sw, unit, "獨居甲", "93000001", &["elderly_alone"]).await;
    let b = person(&sw, unit, "獨居乙", "93000002", &["elderly_alone"]).await;
    for c in [&a, &b] {
        let k = case(&sw, unit, c, &["housing"]).await;
        let link = json!({"kind": "case", "target_id": k["id"]});
        ok(sw.json(Method::POST, &format!("/api/v1/knowledge/incidents/{id}/links"), &link).await, 200).await;
        // Linking the same case again changes nothing.
        ok(sw.json(Method::POST, &format!("/api/v1/knowledge/incidents/{id}/links"), &link).await, 200).await;
    }
    // A hotline call, an assistance request and a group answer the same incident.
    let call = json!({"unit_id": unit.to_string(), "caller_phone": "9300 0003", "client_id": a, "call_type": "help_request",
                      "topics": ["anxiety"], "duration_minutes": 10, "note": "屋企窗門爛咗。", "risk": "low", "outcome": "resolved"});
    let call = ok(sw.json(Method::POST, "/api/v1/hotline/calls", &call).await, 201).await;
    let request = json!({"unit_id": unit.to_string(), "client_id": b, "need": "food", "consent": true});
    let request = ok(sw.json(Method::POST, "/api/v1/assistance/requests", &request).await, 201).await;
    let group = json!({"unit_id": unit.to_string(), "kind": "group", "title_zh_hant": "災後互助小組", "domain": "elderly",
                       "target_categories": ["elderly_alone"], "objectives": "互助", "stage": "formation"});
    let group = ok(sw.json(Method::POST, "/api/v1/activities", &group).await, 201).await;
    for (kind, target) in [("call", &call), ("assistance", &request), ("activity", &group)] {
        let link = json!({"kind": kind, "target_id": target["id"]});
        ok(sw.json(Method::POST, &format!("/api/v1/knowledge/incidents/{id}/links"), &link).await, 200).await;
    }
    let unknown = json!({"kind": "call", "target_id": i["id"]});
    ok(sw.json(Method::POST, &format!("/api/v1/knowledge/incidents/{id}/links"), &unknown).await, 422).await;
    let v = ok(sw.get(&format!("/api/v1/knowledge/incidents/{id}")).await, 200).await;
    let counts = (v["cases"].as_u64(), v["calls"].as_u64(), v["assistance"].as_u64(), v["activities"].as_u64());
    assert_eq!(counts, (Some(2), Some(1), Some(1), Some(1)));
    let timeline = v["timeline"].as_array().unwrap();
    let labels: Vec<&str> = timeline.iter().map(|l| l["label"].as_str().unwrap()).collect();
    assert_eq!(labels.len(), 5);
    assert_eq!(labels.iter().filter(|l| l.starts_with('C')).count(), 2, "case numbers: {labels:?}");
    assert!(labels.contains(&"anxiety") && labels.contains(&"food") && labels.contains(&"災後互助小組"), "{labels:?}");
    assert!(!v.to_string().contains("獨居甲") && !v.to_string().contains("窗門"), "never a name or a call's note");

    // The page: counts and a suggestion for the groups affected.
    let (status, html) = sw.page(&format!("/knowledge/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"count-case\">2<"), "two cases linked");
    assert!(html.contains("火災後創傷支援"), "a solution for the elderly living alone is suggested");

    // A stale edit is refused.
    let edit = json!({"title": "大廈火災", "kind": "fire", "started_on": "2026-02-26", "ended_on": "2026-03-01", "version": 1});
    ok(sw.json(Method::PUT, &format!("/api/v1/knowledge/incidents/{id}"), &edit).await, 200).await;
    ok(sw.json(Method::PUT, &format!("/api/v1/knowledge/incidents/{id}"), &edit).await, 409).await;
}
