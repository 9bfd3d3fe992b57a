//! Outreach: a session logged with a registered client and anonymous counts by category and
//! language; an Urdu interpretation request assigned only to someone who covers Urdu, completed
//! with the time spent and counted in the month's report; an escort reminded the day before and
//! counted by district; missed check-ins that become a home visit and close the hotline's item;
//! and what an interpreter and a funder may see.
//! The seeded clock stands at 2026-03-02 09:00 in Hong Kong.

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::Role;
use shegong_testkit::{db_test, ok, refused, Client, TestApp};

/// A client who prefers `language` (a client language code such as `urdu`), in the
/// ethnic-minority category; returns the id.
async fn client(c: &Client, unit: impl std::fmt::Display, name: &str, language: &str, district: &str) -> String {
    let body = json!({"unit_id": unit.to_string(), "name_en": name, "sex": "female", "age_band": "35-44",
                      "phones": ["61234567"], "preferred_language": language, "district": district,
                      "categories": ["ethnic_minority"]});
    ok(c.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await, 201).await["id"].as_str().unwrap().to_string()
}

#[db_test]
async fn an_urdu_request_goes_only_to_someone_who_covers_urdu_and_counts_in_the_month(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let amina = client(&sw, unit, "Amina Khan", "urdu", "油尖旺").await;

    // An outreach session: Amina (her language comes from her record) and people not registered.
    let session = json!({"unit_id": unit.to_string(), "held_on": "2026-03-02", "district": "油尖旺", "area": "重慶大廈",
    "staff": [app.seeded.user(Role::SocialWorker).id], "ambassadors": ["Bilal, Sita"],
    "needs_found": "Two families need help reading hospital letters.",
    "contacts": [
        {"client_id": amina, "follow_up": "case"},
        {"category": "ethnic_minority", "language": "ne", "count": 12},
        {"category": "general", "language": "yue", "count": 5}
    ]});
    let s = ok(sw.json(Method::POST, "/api/v1/outreach/sessions", &session).await, 201).await;
    assert_eq!(s["contacts"][0]["language"], "ur", "a client's preferred language fills a blank language");
    assert_eq!(s["contacts"][0]["client_name"], "Amina Khan");
    assert_eq!(s["ambassadors"], json!(["Bilal", "Sita"]));
    let bad = json!({"unit_id": unit.to_string(), "held_on": "2026-03-09", "district": "油尖旺",
        "contacts": [{"category": "martians", "language": "elvish", "count": 2}]});
    assert_eq!(
        refused(sw.json(Method::POST, "/api/v1/outreach/sessions", &bad).await).await,
        [
            ("held_on".into(), "in-future".into()),
            ("staff".into(), "team-required".into()),
            ("contacts[0].language".into(), "unknown-language".into()),
            ("contacts[0].category".into(), "invalid-choice".into()),
        ]
    );

    // An interpretation request for Amina: Urdu into Cantonese, on site.
    let body = json!({"unit_id": unit.to_string(), "client_id": amina, "mode": "on_site", "needed_on": "2026-03-03",
                      "appointment": "伊利沙伯醫院 內科 10:30"});
    let r = ok(sw.json(Method::POST, "/api/v1/outreach/interpretations", &body).await, 201).await;
    assert_eq!((r["language"].as_str(), r["into_language"].as_str(), r["status"].as_str()), (Some("ur"), Some("yue"), Some("requested")));
    assert_eq!(r["client_language"], "ur");
    let id = r["id"].as_str().unwrap().to_string();

    // The peer supporter (a district ambassador) has declared no language yet: refused, by name.
    let peer = app.seeded.user(Role::PeerSupporter).id;
    let assign = |who: &str, version: i64| json!({"assignee_id": who, "version": version});
    let e =
        ok(sw.json(Method::POST, &format!("/api/v1/outreach/interpretations/{id}/assign"), &assign(&peer.to_string(), 1)).await, 422).await;
    assert_eq!(e["error"]["fields"][0]["code"], "language-not-covered");
    let message = e["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(message.contains("烏爾都語") || message.contains("Urdu"), "the message names the language: {message}");
    // A hotline operator does not interpret at all.
    let operator = app.seeded.user(Role::HotlineOperator).id.to_string();
    assert_eq!(
        refused(sw.json(Method::POST, &format!("/api/v1/outreach/interpretations/{id}/assign"), &assign(&operator, 1)).await).await,
        [("assignee_id".into(), "cannot-interpret".into())]
    );

    // The ambassador declares Urdu and Nepali for themselves; a second save from the same
    // version is stale.
    let p = app.signed_in(Role::PeerSupporter).await;
    let langs = json!({"languages": ["Urdu, ne"], "version": 0});
    let me = ok(p.json(Method::PUT, &format!("/api/v1/outreach/interpreters/{peer}"), &langs).await, 200).await;
    assert_eq!(me["languages"], json!(["ur", "ne"]));
    ok(p.json(Method::PUT, &format!("/api/v1/outreach/interpreters/{peer}"), &langs).await, 409).await;
    // …but not for someone else.
    let sw_id = app.seeded.user(Role::SocialWorker).id;
    ok(p.json(Method::PUT, &format!("/api/v1/outreach/interpreters/{sw_id}"), &langs).await, 403).await;

    // Assigned now; an assignment from a stale form is refused.
    let r =
        ok(sw.json(Method::POST, &format!("/api/v1/outreach/interpretations/{id}/assign"), &assign(&peer.to_string(), 1)).await, 200).await;
    assert_eq!((r["status"].as_str(), r["assignee_id"].as_str()), (Some("assigned"), Some(peer.to_string().as_str())));
    ok(sw.json(Method::POST, &format!("/api/v1/outreach/interpretations/{id}/assign"), &assign(&peer.to_string(), 1)).await, 409).await;

    // The ambassador sees the request assigned to them (with the client's language), nothing more.
    let mine = ok(p.get("/api/v1/outreach/interpretations/mine").await, 200).await;
    ok(p.get("/api/v1/outreach/interpretations").await, 403).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["client_language"], "ur");
    ok(p.get("/api/v1/outreach/sessions").await, 403).await;
    ok(p.get(&format!("/api/v1/outreach/sessions/{}", s["id"].as_str().unwrap())).await, 403).await;
    ok(p.get("/api/v1/outreach/report").await, 403).await;
    // They complete it with the time spent; a second completion is refused.
    let done = |minutes: Option<i64>, version: i64| json!({"minutes": minutes, "version": version});
    assert_eq!(
        refused(p.json(Method::POST, &format!("/api/v1/outreach/interpretations/{id}/complete"), &done(None, 2)).await).await,
        [("minutes".into(), "required".into())]
    );
    let r = ok(p.json(Method::POST, &format!("/api/v1/outreach/interpretations/{id}/complete"), &done(Some(90), 2)).await, 200).await;
    assert_eq!((r["status"].as_str(), r["minutes"].as_i64()), (Some("completed"), Some(90)));
    assert_eq!(
        refused(p.json(Method::POST, &format!("/api/v1/outreach/interpretations/{id}/complete"), &done(Some(90), 3)).await).await,
        [("status".into(), "step-not-allowed".into())]
    );
    assert_eq!(
        refused(
            sw.json(Method::POST, &format!("/api/v1/outreach/interpretations/{id}/cancel"), &json!({"reason": "x", "version": 3})).await
        )
        .await,
        [("status".into(), "step-not-allowed".into())]
    );
    // A document translation counts its pages.
    let doc = json!({"unit_id": unit.to_string(), "client_id": amina, "mode": "document", "needed_on": "2026-03-05", "pages": 3});
    let d = ok(sw.json(Method::POST, "/api/v1/outreach/interpretations", &doc).await, 201).await;
    let did = d["id"].as_str().unwrap();
    ok(sw.json(Method::POST, &format!("/api/v1/outreach/interpretations/{did}/assign"), &assign(&peer.to_string(), 1)).await, 200).await;
    ok(p.json(Method::POST, &format!("/api/v1/outreach/interpretations/{did}/complete"), &json!({"minutes": 30, "version": 2})).await, 200)
        .await;

    // The month's report.
    let m = ok(sw.get(&format!("/api/v1/outreach/report?month=2026-03&unit_id={unit}")).await, 200).await;
    assert_eq!((m["sessions"].as_u64(), m["contacts"].as_u64(), m["anonymous_contacts"].as_u64()), (Some(1), Some(18), Some(17)));
    assert_eq!(m["anonymous_by_language"], json!([{"key": "ne", "count": 12}, {"key": "yue", "count": 5}]));
    assert_eq!(m["by_language"], json!([{"language": "ur", "completed": 2, "minutes": 120, "hours": 2.0, "pages": 3}]));
    assert_eq!(m["interpretation_hours"], 2.0);
    assert_eq!(m["pages_translated"], 3);
    // Ethnic-minority person-times: Amina at the session, 12 people not registered, two
    // interpretations; unique persons: Amina once.
    assert_eq!((m["em_person_times"].as_u64(), m["em_unique_persons"].as_u64()), (Some(15), Some(1)));
    let april = ok(sw.get("/api/v1/outreach/report?month=2026-04").await, 200).await;
    assert_eq!((april["contacts"].as_u64(), april["interpretations_completed"].as_u64()), (Some(0), Some(0)));
    let csv = sw.get("/api/v1/outreach/report?month=2026-03&format=csv").await;
    assert_eq!(csv.status().as_u16(), 200);
    assert!(csv.text().await.unwrap().contains("2.0"), "the hours are in the file");

    // The agency's output report carries the same figures; a funder sees one person as a small cell.
    let out = ok(sw.get("/api/v1/reports/outputs?period=month&value=2026-03").await, 200).await;
    let line = |v: &Value, m: &str| v["lines"].as_array().unwrap().iter().find(|l| l["measure"] == m).map(|l| l["figure"].clone()).unwrap();
    assert_eq!(line(&out, "interpretation_hours")["value"], 2.0);
    assert_eq!(line(&out, "outreach_contacts")["value"], 18.0);
    assert_eq!(line(&out, "ethnic_minority_person_times")["value"], 15.0);
    assert_eq!(line(&out, "ethnic_minority_persons")["value"], 1.0);
    let funder = app.signed_in(Role::FunderViewer).await;
    let seen = ok(funder.get("/api/v1/reports/outputs?period=month&value=2026-03").await, 200).await;
    assert_eq!(line(&seen, "ethnic_minority_persons"), json!({"value": null, "suppressed": true}));
    assert_eq!(line(&seen, "ethnic_minority_person_times")["value"], 15.0);
    // Funders see no person here.
    ok(funder.get("/api/v1/outreach/interpretations").await, 403).await;
    ok(funder.get("/api/v1/outreach/sessions").await, 403).await;
    ok(funder.get("/api/v1/outreach/report").await, 403).await;
    // Staff of another unit do not see unit A's requests.
    ok(sw.get(&format!("/api/v1/outreach/interpretations?unit_id={}", app.seeded.unit_b.id)).await, 403).await;
}

#[db_test]
async fn escorts_are_reminded_the_day_before_and_missed_check_ins_become_home_visits(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let sita = client(&sw, unit, "Sita Gurung", "nepali", "元朗").await;

    // An escort tomorrow: it is on the task list today, with Sita's language.
    let body = json!({"unit_id": unit.to_string(), "client_id": sita, "appointment_on": "2026-03-03", "appointment_time": "10:30",
                      "place": "博愛醫院", "department": "骨科", "escort_name": "Asha (volunteer)", "transport": "rehabus"});
    let e = ok(sw.json(Method::POST, "/api/v1/outreach/escorts", &body).await, 201).await;
    assert_eq!((e["language"].as_str(), e["district"].as_str()), (Some("ne"), Some("元朗")));
    let eid = e["id"].as_str().unwrap().to_string();
    let no_escort =
        json!({"unit_id": unit.to_string(), "client_id": sita, "appointment_on": "2026-03-03", "appointment_time": "25:00", "place": "x"});
    assert_eq!(
        refused(sw.json(Method::POST, "/api/v1/outreach/escorts", &no_escort).await).await,
        [("appointment_time".into(), "time".into()), ("escort_name".into(), "required".into())]
    );
    let tasks = ok(sw.get("/api/v1/outreach/tasks").await, 200).await;
    let t = tasks.as_array().unwrap().iter().find(|t| t["ref_id"] == eid.as_str()).cloned().unwrap();
    assert_eq!((t["kind"].as_str(), t["client_language"].as_str()), (Some("escort_tomorrow"), Some("ne")));

    // The day comes; the escort is done, with the next appointment; the reminder is gone.
    app.db.clock.advance(Duration::days(1));
    let sw = app.signed_in(Role::SocialWorker).await;
    let tasks = ok(sw.get("/api/v1/outreach/tasks").await, 200).await;
    assert_eq!(tasks[0]["kind"], "escort_today");
    let early = json!({"status": "done", "outcome": "X-ray taken.", "next_appointment_on": "2026-03-01", "version": 1});
    assert_eq!(
        refused(sw.json(Method::POST, &format!("/api/v1/outreach/escorts/{eid}/outcome"), &early).await).await,
        [("next_appointment_on".into(), "not-after-appointment".into())]
    );
    let done = json!({"status": "done", "outcome": "X-ray taken.", "next_appointment_on": "2026-04-14", "version": 1});
    let e = ok(sw.json(Method::POST, &format!("/api/v1/outreach/escorts/{eid}/outcome"), &done).await, 200).await;
    assert_eq!((e["status"].as_str(), e["next_appointment_on"].as_str()), (Some("done"), Some("2026-04-14")));
    ok(sw.json(Method::POST, &format!("/api/v1/outreach/escorts/{eid}/outcome"), &done).await, 409).await;
    assert!(ok(sw.get("/api/v1/outreach/tasks").await, 200).await.as_array().unwrap().is_empty());

    // Two unanswered check-ins: the hotline asks for a home visit, which shows on the task list.
    let sup = app.signed_in(Role::Supervisor).await;
    let operator = app.seeded.user(Role::HotlineOperator).id;
    let s = json!({"unit_id": unit.to_string(), "client_id": sita, "worker_id": operator, "every_days": 7});
    let sid = ok(sup.json(Method::POST, "/api/v1/hotline/check-ins", &s).await, 201).await["id"].as_str().unwrap().to_string();
    let op = app.signed_in(Role::HotlineOperator).await;
    ok(op.json(Method::POST, &format!("/api/v1/hotline/check-ins/{sid}/attempts"), &json!({"result": "no_answer"})).await, 200).await;
    app.db.clock.advance(Duration::days(1));
    let op = app.signed_in(Role::HotlineOperator).await;
    let a =
        ok(op.json(Method::POST, &format!("/api/v1/hotline/check-ins/{sid}/attempts"), &json!({"result": "no_answer"})).await, 200).await;
    let follow_up = a["home_visit"]["id"].as_str().unwrap().to_string();
    let sw = app.signed_in(Role::SocialWorker).await;
    let sup = app.signed_in(Role::Supervisor).await;
    let tasks = ok(sw.get("/api/v1/outreach/tasks").await, 200).await;
    assert_eq!((tasks[0]["kind"].as_str(), tasks[0]["ref_id"].as_str()), (Some("missed_check_in"), Some(follow_up.as_str())));
    assert_eq!(tasks[0]["client_language"], "ne");

    // A visit planned from it takes the person over; the task list shows the visit instead.
    let v = json!({"planned_on": "2026-03-04", "purpose": "Check she is well.", "source_ref": follow_up});
    let visit = ok(sw.json(Method::POST, "/api/v1/outreach/visits", &v).await, 201).await;
    assert_eq!((visit["client_id"].as_str(), visit["client_language"].as_str()), (Some(sita.as_str()), Some("ne")));
    let tasks = ok(sw.get("/api/v1/outreach/tasks").await, 200).await;
    assert_eq!(tasks.as_array().unwrap().len(), 1);
    assert_eq!(tasks[0]["kind"], "visit_due");
    // Done: the hotline's item is closed with the visit's outcome.
    let vid = visit["id"].as_str().unwrap();
    let r = ok(
        sw.json(
            Method::POST,
            &format!("/api/v1/outreach/visits/{vid}/outcome"),
            &json!({"status": "done", "outcome": "Well; phone was broken.", "version": 1}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!((r["status"].as_str(), r["done_on"].as_str()), (Some("done"), Some("2026-03-04")));
    let q = ok(sup.get("/api/v1/hotline/follow-ups").await, 200).await;
    assert!(q["open"].as_array().unwrap().iter().all(|f| f["id"] != follow_up.as_str()), "the hotline's item is closed");
    assert!(ok(sw.get("/api/v1/outreach/tasks").await, 200).await.as_array().unwrap().is_empty());

    // The month's report counts the escort by Sita's district, and the visit.
    let m = ok(sw.get("/api/v1/outreach/report?month=2026-03").await, 200).await;
    assert_eq!(m["escorts_by_district"], json!([{"key": "元朗", "count": 1}]));
    assert_eq!((m["escorts_done"].as_u64(), m["visits_done"].as_u64()), (Some(1), Some(1)));
    assert_eq!((m["em_person_times"].as_u64(), m["em_unique_persons"].as_u64()), (Some(2), Some(1)));
}

#[db_test]
async fn a_cultural_competence_workshop_records_the_staff_who_attended(app: TestApp) {
    let sup = app.signed_in(Role::Supervisor).await;
    let unit = app.seeded.unit_a.id;
    let body = json!({"unit_id": unit.to_string(), "kind": "workshop", "audience": "staff", "domain": "family",
                      "title_en": "Working with South Asian families: cultural competence"});
    let a = ok(sup.json(Method::POST, "/api/v1/activities", &body).await, 201).await;
    let s = json!({"date": "2026-03-02", "starts_at": "14:00", "ends_at": "17:00"});
    let session = ok(sup.json(Method::POST, &format!("/api/v1/activities/{}/sessions", a["id"].as_str().unwrap()), &s).await, 201).await;
    let sid = session["id"].as_str().unwrap().to_string();

    let (sw, ww) = (app.seeded.user(Role::SocialWorker), app.seeded.user(Role::WelfareWorker));
    let present = json!({"present": [sw.id, ww.id, sw.id]});
    let list = ok(sup.json(Method::PUT, &format!("/api/v1/sessions/{sid}/staff"), &present).await, 200).await;
    let mut names: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    names.sort();
    let mut expected = vec![sw.display_name.as_str(), ww.display_name.as_str()];
    expected.sort();
    assert_eq!(names, expected, "each account once");
    // A correction replaces the list; an unknown account is refused and changes nothing.
    ok(sup.json(Method::PUT, &format!("/api/v1/sessions/{sid}/staff"), &json!({"present": [sw.id]})).await, 200).await;
    let stranger = shegong_domain::ids::UserId::new();
    assert_eq!(
        refused(sup.json(Method::PUT, &format!("/api/v1/sessions/{sid}/staff"), &json!({"present": [stranger]})).await).await,
        [("present".into(), "unknown-user".into())]
    );
    let now = ok(sup.get(&format!("/api/v1/sessions/{sid}/staff")).await, 200).await;
    assert_eq!(now.as_array().unwrap().len(), 1);
    assert_eq!(now[0]["user_id"], sw.id.to_string());
    // Staff are not participants: the session's attendance counts stay empty.
    let lines = ok(sup.get(&format!("/api/v1/sessions/{sid}/attendance")).await, 200).await;
    assert!(lines.as_array().unwrap().is_empty());
    // The session page shows who attended.
    let page = sup.get(&format!("/sessions/{sid}")).await.text().await.unwrap();
    assert!(page.contains("id=\"staff-present\"") && page.contains(&sw.display_name), "the page names the staff present");
    // A funder records nothing.
    let funder = app.signed_in(Role::FunderViewer).await;
    ok(funder.json(Method::PUT, &format!("/api/v1/sessions/{sid}/staff"), &json!({"present": []})).await, 403).await;
}
