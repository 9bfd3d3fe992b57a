//! Outcome measurement: the Brief Resilience Scale given before and after, scored with its
//! reversed items, the client's change with its reliable change index, programme outcomes by
//! client category with the paired effect size (and small groups hidden from a funder), the
//! export, and an agency loading a licensed scale as data. The seeded clock stands at
//! 2026-03-02 in Hong Kong.

use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::Role;
use shegong_testkit::{db_test, ok, refused, Client, TestApp};

async fn person(c: &Client, unit: impl std::fmt::Display, name: &str, phone: &str, categories: &[&str]) -> String {
    let body = json!({"unit_id": unit.to_string(), "name_zh": name, "sex": "female", "date_of_birth": "1960-01-01",
                      "phones": [phone], "categories": categories});
    ok(c.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await, 201).await["id"].as_str().unwrap().to_string()
}

async fn give(c: &Client, client: &str, tp: &str, on: &str, answers: &[i32]) -> Value {
    let body = json!({"client_id": client, "scale": "brs", "time_point": tp, "administered_on": on, "answers": answers,
                      "intervention": "resilience_group"});
    ok(c.json(Method::POST, "/api/v1/outcomes/administrations", &body).await, 201).await
}

#[db_test]
async fn brs_before_and_after_gives_a_reliable_change_and_programme_outcomes_by_category(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    // Five carers and one elderly person living alone take part in a resilience group.
    let mut clients = Vec::new();
    for i in 0..6 {
        let cats: &[&str] = if i < 5 { &["carer"] } else { &["elderly_alone"] };
        clients.push(person(&sw, unit, &format!("抗逆{i}"), &format!("9100000{i}"), cats).await);
    }
    // Before: 3, 4, 2, 5, 2, 4 → items 2, 4, 6 reversed → mean 2.00, low resilience (paper, dated).
    let pre = give(&sw, &clients[0], "pre", "2026-01-05", &[3, 4, 2, 5, 2, 4]).await;
    assert_eq!((pre["score"].as_f64(), pre["band"].as_str(), pre["mode"].as_str()), (Some(2.0), Some("low"), Some("paper")));
    // After: 4, 2, 4, 2, 4, 2 → mean 4.00, normal.
    let post = give(&sw, &clients[0], "post", "2026-03-01", &[4, 2, 4, 2, 4, 2]).await;
    assert_eq!(post["score"].as_f64(), Some(4.0));
    for (i, c) in clients.iter().enumerate().skip(1) {
        give(&sw, c, "pre", "2026-01-05", &[3, 3, 3, 3, 3, 3]).await;
        // From 3.00 to 4.00 (+1.0) for odd ones, to 3.50 (+0.5) for even ones.
        let after: &[i32] = if i % 2 == 0 { &[4, 2, 4, 3, 3, 3] } else { &[4, 2, 4, 2, 4, 2] };
        give(&sw, c, "post", "2026-02-28", after).await;
    }

    // The client's change: +2.00, RCI = 2 / (0.68 · √2 · √0.16) = 5.2, reliably improved.
    let o = ok(sw.get(&format!("/api/v1/outcomes/clients/{}", clients[0])).await, 200).await;
    let brs = &o["changes"][0];
    assert_eq!((brs["pre"].as_f64(), brs["post"].as_f64(), brs["change"].as_f64()), (Some(2.0), Some(4.0), Some(2.0)));
    assert_eq!(brs["rci"].as_f64(), Some(5.2));
    assert_eq!(brs["verdict"], "reliably_improved");
    assert_eq!(o["administrations"].as_array().unwrap().len(), 2);

    // Bad answers and a date in the future are refused with field errors, nothing recorded.
    let bad = json!({"client_id": clients[0], "scale": "brs", "time_point": "mid", "answers": [1, 2, 9]});
    assert_eq!(
        refused(sw.json(Method::POST, "/api/v1/outcomes/administrations", &bad).await).await,
        [("answers".to_string(), "answer-count".to_string()), ("answers[2]".into(), "invalid-choice".into())]
    );
    let future =
        json!({"client_id": clients[0], "scale": "who5", "time_point": "mid", "administered_on": "2026-03-09", "answers": [1, 2, 3, 4, 5]});
    assert_eq!(
        refused(sw.json(Method::POST, "/api/v1/outcomes/administrations", &future).await).await,
        [("administered_on".to_string(), "in-future".to_string())]
    );

    // Programme outcomes of the intervention: six clients, by category.
    let p = ok(sw.get("/api/v1/outcomes/programme?scale=brs&intervention=resilience_group").await, 200).await;
    let all = &p["rows"][0];
    assert_eq!(all["key"], "all");
    assert_eq!(all["n"], 6);
    // Changes +2.0, then +1.0, +0.5, +1.0, +0.5, +1.0: the mean change and the paired d.
    let changes = [2.0, 1.0, 0.5, 1.0, 0.5, 1.0];
    let mean: f64 = changes.iter().sum::<f64>() / 6.0;
    let sd = (changes.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / 5.0).sqrt();
    assert_eq!(all["mean_change"].as_f64(), Some((mean * 100.0).round() / 100.0));
    assert_eq!(all["effect_size"].as_f64(), Some((mean / sd * 100.0).round() / 100.0));
    assert_eq!(all["improved_share"].as_f64(), Some(1.0));
    let keys: Vec<(&str, Value)> = p["rows"].as_array().unwrap().iter().map(|r| (r["key"].as_str().unwrap(), r["n"].clone())).collect();
    assert_eq!(keys, [("all", json!(6)), ("carer", json!(5)), ("elderly_alone", json!(1))]);

    // A funder sees the aggregates, with the group of one hidden, and never a person.
    let funder = app.signed_in(Role::FunderViewer).await;
    let p = ok(funder.get("/api/v1/outcomes/programme?scale=brs").await, 200).await;
    assert_eq!(p["rows"][0]["n"], 6);
    assert_eq!(p["rows"][2]["suppressed"], true);
    assert_eq!(p["rows"][2]["n"], Value::Null);
    ok(funder.get(&format!("/api/v1/outcomes/clients/{}", clients[0])).await, 403).await;
    // The export: CSV with the reader's headers and the hidden cell as <5.
    let r = funder.get("/api/v1/outcomes/programme?scale=brs&format=csv").await;
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    assert!(csv.contains("<5"), "{csv}");
    assert!(!csv.contains("抗逆"), "no names in the export");

    // A volunteer neither administers nor reads scores; unit B's clients are out of reach.
    let vol = app.signed_in(Role::Volunteer).await;
    ok(
        vol.json(
            Method::POST,
            "/api/v1/outcomes/administrations",
            &json!({"client_id": clients[1], "scale": "brs", "time_point": "pre", "answers": [3, 3, 3, 3, 3, 3]}),
        )
        .await,
        403,
    )
    .await;
    let admin = app.signed_in(Role::Admin).await;
    let b = person(&admin, app.seeded.unit_b.id, "乙單位", "91999999", &[]).await;
    ok(
        sw.json(
            Method::POST,
            "/api/v1/outcomes/administrations",
            &json!({"client_id": b, "scale": "brs", "time_point": "pre", "answers": [3, 3, 3, 3, 3, 3]}),
        )
        .await,
        403,
    )
    .await;

    // The person's data access export holds their answers.
    let sup = app.signed_in(Role::Supervisor).await;
    let export = ok(sup.get(&format!("/api/v1/clients/{}/data-export", clients[0])).await, 200).await;
    assert_eq!(export["outcomes"].as_array().map(Vec::len), Some(2));
    assert_eq!(export["outcomes"][0]["answers"], json!([3, 4, 2, 5, 2, 4]));

    // The page shows the change in the worker's language.
    let (status, html) = sw.page(&format!("/outcomes/clients/{}", clients[0])).await;
    assert_eq!(status, 200);
    assert!(html.contains("+2"), "the change is shown");
}

#[db_test]
async fn an_agency_loads_a_licensed_scale_as_data(app: TestApp) {
    let admin = app.signed_in(Role::Admin).await;
    let mut scale = ok(admin.get("/api/v1/outcomes/scales").await, 200).await[4].clone();
    assert_eq!(scale["code"], "ucla3");
    assert!(scale["source"].as_str().unwrap().contains("Hughes"));
    scale["code"] = json!("brs");
    scale["builtin"] = json!(false);
    assert_eq!(
        refused(admin.json(Method::POST, "/api/v1/outcomes/scales", &scale).await).await,
        [("code".to_string(), "duplicate".to_string())]
    );
    scale["code"] = json!("carer_burden");
    scale["name"] = json!({"en": "Carer burden (licensed to the agency)"});
    scale["licence"] = json!("Licensed to this agency");
    let added = ok(admin.json(Method::POST, "/api/v1/outcomes/scales", &scale).await, 201).await;
    assert_eq!(added["builtin"], false);
    let list = ok(admin.get("/api/v1/outcomes/scales").await, 200).await;
    assert!(list.as_array().unwrap().iter().any(|s| s["code"] == "carer_burden"));
    // A worker may give it but not load scales.
    let sw = app.signed_in(Role::SocialWorker).await;
    scale["code"] = json!("another");
    ok(sw.json(Method::POST, "/api/v1/outcomes/scales", &scale).await, 403).await;
    let c = person(&sw, app.seeded.unit_a.id, "照顧者", "91234567", &["carer"]).await;
    let r = ok(
        sw.json(
            Method::POST,
            "/api/v1/outcomes/administrations",
            &json!({"client_id": c, "scale": "carer_burden", "time_point": "pre", "mode": "tablet", "answers": [3, 3, 2]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!((r["score"].as_f64(), r["band"].as_str()), (Some(8.0), Some("lonely")));
}
