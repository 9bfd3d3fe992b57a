//! Reports: the output report equals a brute-force count of what was recorded (totals, by unit,
//! domain, category and month), funders see aggregates with small cells hidden and no person,
//! targets with achievement and pace, and the XLSX and CSV files carry the same numbers.
//! The seeded clock stands at 2026-03-02 09:00 in Hong Kong.

use calamine::{Data, Reader, Xlsx};
use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::Role;
use shegong_testkit::{db_test, ok, refused, Client, TestApp};
use std::collections::{BTreeMap, BTreeSet};

async fn people(c: &Client, unit: impl std::fmt::Display, n: usize, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        let body =
            json!({"unit_id": unit.to_string(), "name_en": format!("Rep {tag} {i}"), "phones": [format!("5{:03}{i:04}", tag.len() * 7)]});
        out.push(
            ok(c.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await, 201).await["id"].as_str().unwrap().into(),
        );
    }
    out
}

/// The value of a measure among a report's lines (None when hidden).
fn line(lines: &Value, measure: &str) -> Option<f64> {
    lines.as_array().unwrap().iter().find(|l| l["measure"] == measure).and_then(|l| l["figure"]["value"].as_f64())
}

fn row<'a>(rows: &'a Value, key: &str) -> &'a Value {
    rows.as_array().unwrap().iter().find(|r| r["key"] == key).unwrap_or_else(|| panic!("no row {key} in {rows}"))
}

/// One recorded attendance, with what the counts group it by.
#[derive(Clone)]
struct Mark {
    day: String,
    unit: String,
    domain: &'static str,
    category: &'static str,
    kind: &'static str,
    activity: String,
    session: String,
    person: i64,
}

/// A small deterministic generator, so that a failure can be replayed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[db_test]
async fn the_output_report_equals_a_brute_force_count(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let units = [app.seeded.unit_a.id.to_string(), app.seeded.unit_b.id.to_string()];
    let mut persons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    persons.insert(units[0].clone(), people(&c, &units[0], 9, "a").await);
    persons.insert(units[1].clone(), people(&c, &units[1], 6, "b").await);
    let domains = ["elderly", "youth", "family"];
    let categories = ["elderly_alone", "low_income", "carer"];
    let days = ["2026-01-05", "2026-01-20", "2026-02-03", "2026-02-17", "2026-03-01", "2026-03-25", "2026-04-02"];
    let mut rng = Lcg(7);
    let mut marks: Vec<Mark> = Vec::new();
    for i in 0..6 {
        let unit = units[i % 2].clone();
        let kind = if i % 3 == 0 { "programme" } else { "group" };
        let (domain, category) = (domains[i % 3], categories[(i / 2) % 3]);
        let body = json!({"unit_id": unit, "kind": kind, "title_en": format!("Report activity {i}"), "domain": domain,
                          "target_categories": [category], "objectives": "Counted"});
        let a = ok(c.json(Method::POST, "/api/v1/activities", &body).await, 201).await["id"].as_str().unwrap().to_string();
        ok(c.json(Method::POST, &format!("/api/v1/activities/{a}/participants"), &json!({"clients": persons[&unit]})).await, 200).await;
        let numbers: Vec<i64> = ok(c.get(&format!("/api/v1/activities/{a}/participants")).await, 200)
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["person_no"].as_i64().unwrap())
            .collect();
        for _ in 0..3 {
            let day = days[rng.next(days.len() as u64) as usize];
            let s = json!({"date": day, "starts_at": format!("{:02}:00", 9 + rng.next(8)), "ends_at": "18:30", "venue": ""});
            let r = c.json(Method::POST, &format!("/api/v1/activities/{a}/sessions"), &s).await;
            if r.status() != 201 {
                continue; // the same day and time twice
            }
            let session = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
            let present: Vec<i64> = numbers.iter().copied().filter(|_| rng.next(3) > 0).collect();
            ok(c.json(Method::POST, &format!("/api/v1/sessions/{session}/attendance"), &json!({"present": present})).await, 200).await;
            for p in present {
                marks.push(Mark {
                    day: day.into(),
                    unit: unit.clone(),
                    domain,
                    category,
                    kind,
                    activity: a.clone(),
                    session: session.clone(),
                    person: p,
                });
            }
        }
    }
    // Two calls to unit A's hotline from the same number, one from another.
    let sup = app.signed_in(Role::Supervisor).await;
    for phone in ["61234567", "61234567", "69876543"] {
        let body = json!({"unit_id": units[0], "caller_phone": phone, "call_type": "information", "duration_minutes": 3,
                          "note": "Asked about the groups.", "risk": "none", "outcome": "resolved"});
        ok(sup.json(Method::POST, "/api/v1/hotline/calls", &body).await, 201).await;
    }

    let (from, to) = ("2026-01-15", "2026-03-20");
    let within: Vec<&Mark> = marks.iter().filter(|m| m.day.as_str() >= from && m.day.as_str() <= to).collect();
    let report = ok(c.get(&format!("/api/v1/reports/outputs?from={from}&to={to}")).await, 200).await;
    assert_eq!(report["small_cells_hidden"], false);
    assert_eq!(report["period"]["from"], from);
    let lines = &report["lines"];
    let distinct = |ms: &[&Mark]| ms.iter().map(|m| m.person).collect::<BTreeSet<_>>().len() as f64;
    let sessions =
        |ms: &[&Mark], kind: &str| ms.iter().filter(|m| m.kind == kind).map(|m| &m.session).collect::<BTreeSet<_>>().len() as f64;
    let held = |ms: &[&Mark], kind: &str| ms.iter().filter(|m| m.kind == kind).map(|m| &m.activity).collect::<BTreeSet<_>>().len() as f64;
    assert_eq!(line(lines, "person_times"), Some(within.len() as f64));
    assert_eq!(line(lines, "unique_persons"), Some(distinct(&within)));
    assert_eq!(line(lines, "group_sessions"), Some(sessions(&within, "group")));
    assert_eq!(line(lines, "programme_sessions"), Some(sessions(&within, "programme")));
    assert_eq!(line(lines, "groups_held"), Some(held(&within, "group")));
    assert_eq!(line(lines, "programmes_held"), Some(held(&within, "programme")));
    assert_eq!(line(lines, "hotline_calls"), Some(3.0), "the calls were made on the clock's day, 2026-03-02");
    // Unique persons of each breakdown are counted over its own union, never summed.
    for (list, key_of) in [
        ("by_unit", Box::new(|m: &Mark| m.unit.clone()) as Box<dyn Fn(&Mark) -> String>),
        ("by_domain", Box::new(|m: &Mark| m.domain.to_string())),
        ("by_category", Box::new(|m: &Mark| m.category.to_string())),
    ] {
        let keys: BTreeSet<String> = within.iter().map(|m| key_of(m)).collect();
        for k in keys {
            let mine: Vec<&Mark> = within.iter().copied().filter(|m| key_of(m) == k).collect();
            let r = row(&report[list], &k);
            assert_eq!(line(&r["figures"], "person_times"), Some(mine.len() as f64), "{list} {k}");
            assert_eq!(line(&r["figures"], "unique_persons"), Some(distinct(&mine)), "{list} {k}");
        }
    }

    // Per unit and month: each cell over its own union.
    let cells: BTreeSet<(String, String)> = within.iter().map(|m| (m.unit.clone(), m.day[..7].to_string())).collect();
    for (unit, month) in cells {
        let mine: Vec<&Mark> = within.iter().copied().filter(|m| m.unit == unit && m.day.starts_with(&month)).collect();
        let r = row(&report["by_unit_month"], &format!("{unit}/{month}"));
        assert_eq!(line(&r["figures"], "person_times"), Some(mine.len() as f64), "{unit} {month}");
        assert_eq!(line(&r["figures"], "unique_persons"), Some(distinct(&mine)), "{unit} {month}");
    }
    let march_a = row(&report["by_unit_month"], &format!("{}/2026-03", units[0]));
    assert_eq!(line(&march_a["figures"], "hotline_calls"), Some(3.0));

    // Month by month over the whole spread, and the calls on the clock's day.
    let trends = ok(c.get("/api/v1/reports/trends?from=2026-01-01&to=2026-04-30").await, 200).await;
    let months = trends["months"].as_array().unwrap();
    assert_eq!(months.iter().map(|m| m["month"].as_str().unwrap()).collect::<Vec<_>>(), ["2026-01", "2026-02", "2026-03", "2026-04"]);
    for m in months {
        let month = m["month"].as_str().unwrap();
        let mine: Vec<&Mark> = marks.iter().filter(|x| x.day.starts_with(month)).collect();
        assert_eq!(line(&m["lines"], "person_times"), Some(mine.len() as f64), "{month}");
        assert_eq!(line(&m["lines"], "unique_persons"), Some(distinct(&mine)), "{month}");
        assert_eq!(line(&m["lines"], "hotline_calls"), Some(if month == "2026-03" { 3.0 } else { 0.0 }));
    }
    let march = ok(c.get("/api/v1/reports/outputs?period=month&value=2026-03").await, 200).await;
    assert_eq!(line(&march["lines"], "hotline_calls"), Some(3.0));
    assert_eq!(line(&march["lines"], "hotline_callers"), Some(2.0), "the same number twice is one caller");

    // Unit B's scope counts unit B only; a worker of unit A cannot ask for it.
    let b = ok(c.get(&format!("/api/v1/reports/outputs?from={from}&to={to}&unit_id={}", units[1])).await, 200).await;
    let mine: Vec<&Mark> = within.iter().copied().filter(|m| m.unit == units[1]).collect();
    assert_eq!(line(&b["lines"], "person_times"), Some(mine.len() as f64));
    let w = app.signed_in(Role::SocialWorker).await;
    assert_eq!(w.get(&format!("/api/v1/reports/outputs?unit_id={}", units[1])).await.status(), 403);
    let own = ok(w.get(&format!("/api/v1/reports/outputs?from={from}&to={to}")).await, 200).await;
    let mine: Vec<&Mark> = within.iter().copied().filter(|m| m.unit == units[0]).collect();
    assert_eq!(line(&own["lines"], "person_times"), Some(mine.len() as f64), "a worker's report covers their unit");

    // The workbook holds the same numbers under headers in the reader's language.
    let r = c.get(&format!("/api/v1/reports/outputs/export?from={from}&to={to}&format=xlsx")).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("outputs-2026-01-15_2026-03-20.xlsx"));
    let bytes = r.bytes().await.unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let summary = wb.worksheet_range("Summary").unwrap();
    let cell =
        |name: &str| summary.rows().find(|r| r.first().map(|c| c.to_string()) == Some(name.to_string())).and_then(|r| r.get(1).cloned());
    assert_eq!(cell("Person-times"), Some(Data::Float(within.len() as f64)));
    assert_eq!(cell("Unique persons"), Some(Data::Float(distinct(&within))));
    let csv = c.get(&format!("/api/v1/reports/outputs/export?from={from}&to={to}&format=csv")).await.text().await.unwrap();
    assert!(csv.contains(&format!("Total,Whole agency,Person-times,{}", within.len())), "{csv}");
    assert!(refused(c.get("/api/v1/reports/outputs?period=month&value=2026-13").await).await.contains(&("value".into(), "period".into())));
}

#[db_test]
async fn funders_see_aggregates_with_small_cells_hidden_and_no_person(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let a = app.seeded.unit_a.id;
    let few = people(&c, a, 3, "few").await;
    let body = json!({"unit_id": a.to_string(), "kind": "group", "title_en": "Small group", "domain": "elderly", "objectives": "x"});
    let act = ok(c.json(Method::POST, "/api/v1/activities", &body).await, 201).await["id"].as_str().unwrap().to_string();
    ok(c.json(Method::POST, &format!("/api/v1/activities/{act}/participants"), &json!({"clients": few})).await, 200).await;
    for day in ["2026-02-02", "2026-02-09"] {
        let s = json!({"date": day, "starts_at": "10:00", "ends_at": "11:00", "venue": ""});
        let s = ok(c.json(Method::POST, &format!("/api/v1/activities/{act}/sessions"), &s).await, 201).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        ok(c.json(Method::POST, &format!("/api/v1/sessions/{s}/attendance"), &json!({"all_enrolled_present": true})).await, 200).await;
    }
    let q = "/api/v1/reports/outputs?period=month&value=2026-02";
    let full = ok(c.get(q).await, 200).await;
    assert_eq!(line(&full["lines"], "unique_persons"), Some(3.0));

    let funder = app.signed_in(Role::FunderViewer).await;
    let seen = ok(funder.get(q).await, 200).await;
    assert_eq!(seen["small_cells_hidden"], true);
    let unique = seen["lines"].as_array().unwrap().iter().find(|l| l["measure"] == "unique_persons").unwrap();
    assert_eq!(unique["figure"], json!({"value": null, "suppressed": true}));
    assert_eq!(line(&seen["lines"], "person_times"), Some(6.0), "person-times name no one and stay");
    assert_eq!(line(&seen["lines"], "cases_served"), Some(0.0), "zero names no one and stays");
    let (status, page) = funder.page("/reports?period=month&value=2026-02").await;
    assert_eq!(status, 200);
    assert!(page.contains("&#60;5") && page.contains("id=\"small-cells\""), "{page}");
    // No record of a person is within a funder's reach.
    for path in ["/api/v1/clients", "/api/v1/cases", &format!("/api/v1/activities/{act}/participants"), "/api/v1/hotline/calls"] {
        assert_eq!(funder.get(path).await.status(), 403, "{path}");
    }
    assert_eq!(funder.json(Method::POST, "/api/v1/reports/targets", &json!({})).await.status(), 403);
}

#[db_test]
async fn targets_show_achievement_and_pace(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let (a, b) = (app.seeded.unit_a.id, app.seeded.unit_b.id);
    let ten = people(&c, a, 10, "tgt").await;
    let body = json!({"unit_id": a.to_string(), "kind": "programme", "title_en": "Fair", "domain": "family", "objectives": "x"});
    let act = ok(c.json(Method::POST, "/api/v1/activities", &body).await, 201).await["id"].as_str().unwrap().to_string();
    ok(c.json(Method::POST, &format!("/api/v1/activities/{act}/participants"), &json!({"clients": ten})).await, 200).await;
    let s = json!({"date": "2026-02-14", "starts_at": "10:00", "ends_at": "12:00", "venue": ""});
    let s =
        ok(c.json(Method::POST, &format!("/api/v1/activities/{act}/sessions"), &s).await, 201).await["id"].as_str().unwrap().to_string();
    ok(c.json(Method::POST, &format!("/api/v1/sessions/{s}/attendance"), &json!({"all_enrolled_present": true})).await, 200).await;

    // 2026-03-02 is day 61 of 365: 16.7% of the year has gone.
    let sup = app.signed_in(Role::Supervisor).await;
    let t = |unit: &str, measure: &str, target: &str| json!({"unit_id": unit, "agreement": "FSA 2026-27", "year": "2026", "measure": measure, "target": target, "label": ""});
    let on = ok(sup.json(Method::POST, "/api/v1/reports/targets", &t(&a.to_string(), "person_times", "50")).await, 201).await;
    ok(sup.json(Method::POST, "/api/v1/reports/targets", &t(&a.to_string(), "programmes_held", "12")).await, 201).await;
    let dup = sup.json(Method::POST, "/api/v1/reports/targets", &t(&a.to_string(), "person_times", "60")).await;
    assert_eq!(refused(dup).await, [("measure".to_string(), "duplicate".to_string())]);
    assert_eq!(sup.json(Method::POST, "/api/v1/reports/targets", &t(&b.to_string(), "person_times", "60")).await.status(), 403);
    let bad = sup.json(Method::POST, "/api/v1/reports/targets", &t(&a.to_string(), "smiles", "-1")).await;
    assert_eq!(
        refused(bad).await,
        [("measure".to_string(), "unknown-choice".to_string()), ("target".to_string(), "out-of-range".to_string())]
    );

    let ach = ok(sup.get("/api/v1/reports/achievement?year=2026").await, 200).await;
    let rows = ach["rows"].as_array().unwrap();
    let of = |m: &str| rows.iter().find(|r| r["target"]["measure"] == m).unwrap().clone();
    let pt = of("person_times");
    assert_eq!((pt["actual"].as_f64(), pt["percent"].as_f64(), pt["expected_percent"].as_f64()), (Some(10.0), Some(20.0), Some(16.7)));
    assert_eq!(pt["pace"], "on_pace");
    let ph = of("programmes_held");
    assert_eq!((ph["actual"].as_f64(), ph["pace"].as_str()), (Some(1.0), Some("behind")), "1 of 12 is under 16.7%");

    // A stale change is refused; a fresh one saves.
    let id = on["id"].as_str().unwrap();
    let mut change = t(&a.to_string(), "person_times", "10");
    change["version"] = json!(on["version"]);
    let saved = ok(sup.json(Method::PUT, &format!("/api/v1/reports/targets/{id}"), &change).await, 200).await;
    assert_eq!(saved["target"], 10.0);
    assert_eq!(sup.json(Method::PUT, &format!("/api/v1/reports/targets/{id}"), &change).await.status(), 409);
    let ach = ok(sup.get("/api/v1/reports/achievement").await, 200).await;
    assert!(ach["rows"].as_array().unwrap().iter().any(|r| r["target"]["id"] == id && r["pace"] == "met"));

    // The pages: the targets list with the pace, the form keeping bad input with a message.
    let (status, page) = sup.page("/reports/targets").await;
    assert_eq!(status, 200);
    assert!(page.contains("FSA 2026-27") && page.contains("Behind pace") && page.contains("Met"), "{page}");
    let r = sup
        .post_form(
            "/reports/targets",
            &[("unit_id", &a.to_string()), ("agreement", "LSG"), ("year", "2026"), ("measure", "cases_new"), ("target", "lots")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("value=\"lots\"") && page.contains("value=\"LSG\""), "the input is kept");
    let r = sup.post_form(&format!("/reports/targets/{id}/delete"), &[("version", &saved["version"].to_string())]).await;
    assert_eq!(r.status(), 303);
    let (_, dash) = sup.page("/reports/dashboard").await;
    assert!(dash.contains("id=\"chart-people\"") && dash.contains("<svg") && dash.contains("Programmes and activities held"), "{dash}");
}

/// Anonymising people at the end of retention changes no figure of a past year's report: the
/// counts are of records and rollups, never of names.
#[db_test]
async fn anonymising_closed_records_leaves_the_report_unchanged(db: shegong_testkit::TestDb) {
    let app = TestApp::spawn_demo(db).await;
    let admin = Client::new(&app.base);
    assert_eq!(admin.login("admin", shegong_web::demo::DEMO_PASSWORD).await.status(), 303);
    let report = "/api/v1/reports/outputs?from=2025-01-01&to=2026-12-31";
    let before = ok(admin.get(report).await, 200).await;
    let list = ok(admin.get("/api/v1/clients?limit=60").await, 200).await;
    let mut closed = 0;
    for c in list["clients"].as_array().unwrap() {
        let url = format!("/api/v1/clients/{}/close", c["id"].as_str().unwrap());
        if admin.json(Method::POST, &url, &json!({"version": c["version"]})).await.status() == 200 {
            closed += 1;
        }
    }
    assert!(closed >= 20, "demo clients close: {closed}");
    app.db.clock.advance(chrono::Duration::days(365 * 8));
    let admin = Client::new(&app.base);
    assert_eq!(admin.login("admin", shegong_web::demo::DEMO_PASSWORD).await.status(), 303);
    let done = ok(admin.json(Method::POST, "/api/v1/clients/anonymise", &json!({"years": 7})).await, 200).await;
    assert_eq!(done["anonymised"].as_array().map(Vec::len), Some(closed));
    let after = ok(admin.get(report).await, 200).await;
    let figures = |v: &Value| {
        let mut v = v.clone();
        if let Some(o) = v.as_object_mut() {
            o.remove("generated_at");
        }
        v
    };
    assert_eq!(figures(&before), figures(&after), "the report of 2025–2026 is the same after anonymisation");
}
