//! Groups, programmes and activities: planning, enrolment with a waiting list, attendance
//! (concurrent, idempotent, corrected with an audit trail), walk-ins, sign-in sheets, the
//! counting rules, rollups equal to a rebuild from raw rows, calendars with clashes.

use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::{Actor, Role};
use shegong_domain::activities::{AttendanceInput, CountGrain, CountRow};
use shegong_domain::ids::{ActivityId, SessionId};
use shegong_domain::ports::{ActivitiesRepo, AuditRepo, ClientsRepo};
use shegong_testkit::{db_test, ok, Client, TestApp};

async fn clients(c: &Client, unit: impl std::fmt::Display, n: usize, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        let body =
            json!({"unit_id": unit.to_string(), "name_en": format!("Act {tag} {i}"), "phones": [format!("6{:03}{i:04}", tag.len())]});
        let v = ok(c.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await, 201).await;
        out.push(v["id"].as_str().unwrap().to_string());
    }
    out
}

async fn group(c: &Client, unit: impl std::fmt::Display, capacity: &str, sessions: &[&str]) -> (String, Vec<String>) {
    let body = json!({"unit_id": unit.to_string(), "kind": "group", "title_zh_hant": "長者記憶訓練小組", "domain": "elderly",
        "target_categories": ["elderly_alone"], "capacity": capacity, "objectives": "Memory", "stage": "formation"});
    let a = ok(c.json(Method::POST, "/api/v1/activities", &body).await, 201).await;
    let id = a["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for d in sessions {
        let s = ok(
            c.json(
                Method::POST,
                &format!("/api/v1/activities/{id}/sessions"),
                &json!({"date": d, "starts_at": "10:00", "ends_at": "11:30", "venue": "Room 1"}),
            )
            .await,
            201,
        )
        .await;
        ids.push(s["id"].as_str().unwrap().to_string());
    }
    (id, ids)
}

async fn counts(c: &Client, q: &str) -> Value {
    ok(c.get(&format!("/api/v1/activities/counts?{q}")).await, 200).await
}

#[db_test]
async fn plan_enrol_with_waiting_list_mark_and_count(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let (id, sessions) = group(&c, unit, "4", &["2026-11-02", "2026-11-09"]).await;
    let people = clients(&c, unit, 5, "wait").await;
    let r = ok(c.json(Method::POST, &format!("/api/v1/activities/{id}/participants"), &json!({"clients": people})).await, 200).await;
    assert_eq!(r, json!({"enrolled": 4, "waiting": 1, "unchanged": 0}), "the fifth waits");
    let parts = ok(c.get(&format!("/api/v1/activities/{id}/participants")).await, 200).await;
    let waiting: Vec<&Value> = parts.as_array().unwrap().iter().filter(|p| p["status"] == "waiting").collect();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["waiting_place"], 1);
    // Someone withdraws: the one waiting takes the place.
    let first = parts[0]["person_no"].as_i64().unwrap();
    assert_eq!(c.json(Method::POST, &format!("/api/v1/activities/{id}/withdraw"), &json!({"person_no": first})).await.status(), 204);
    let parts = ok(c.get(&format!("/api/v1/activities/{id}/participants")).await, 200).await;
    assert_eq!(parts.as_array().unwrap().iter().filter(|p| p["status"] == "enrolled").count(), 4);

    // All present at session 1, one walk-in; two at session 2, marked twice (idempotent).
    let s1 = &sessions[0];
    let r = ok(c.json(Method::POST, &format!("/api/v1/sessions/{s1}/attendance"), &json!({"all_enrolled_present": true})).await, 200).await;
    assert_eq!(r["added"], 4);
    let w =
        ok(c.json(Method::POST, &format!("/api/v1/sessions/{s1}/walk-ins"), &json!({"name": "Guest Lam", "age_band": "65-69"})).await, 201)
            .await;
    let guest = w["person_no"].as_i64().unwrap();
    let enrolled: Vec<i64> =
        parts.as_array().unwrap().iter().filter(|p| p["status"] == "enrolled").map(|p| p["person_no"].as_i64().unwrap()).collect();
    let two = json!({"present": [enrolled[0], enrolled[1]]});
    let s2 = &sessions[1];
    assert_eq!(ok(c.json(Method::POST, &format!("/api/v1/sessions/{s2}/attendance"), &two).await, 200).await["added"], 2);
    assert_eq!(ok(c.json(Method::POST, &format!("/api/v1/sessions/{s2}/attendance"), &two).await, 200).await["added"], 0);

    let v = counts(&c, "from=2026-11-01&to=2026-11-30").await;
    let row = &v["rows"][0];
    assert_eq!(row["person_times"], 7, "5 + 2 person-times: {v}");
    assert_eq!(row["unique_persons"], 5, "4 enrolled and the walk-in");
    assert_eq!(row["sessions_held"], 2);
    assert_eq!(row["activities_held"], 1);
    assert!(v["rule"].as_str().unwrap().contains("person-times"), "every count shows its rule");
    assert_eq!(v["from"], "2026-11-01");

    // A correction afterwards: the walk-in was not there after all. Audited, by number only.
    let r = ok(c.json(Method::POST, &format!("/api/v1/sessions/{s1}/attendance"), &json!({"absent": [guest]})).await, 200).await;
    assert_eq!(r["removed"], 1);
    let v = counts(&c, "from=2026-11-01&to=2026-11-30").await;
    assert_eq!((v["rows"][0]["person_times"].as_i64(), v["rows"][0]["unique_persons"].as_i64()), (Some(6), Some(4)));
    let trail = app.store().audit_for(app.seeded.org, "session", s1).await.unwrap();
    assert!(
        trail.iter().any(|e| e.detail.contains("\"removed\":[") && e.detail.contains(&guest.to_string())),
        "the correction is in the audit log"
    );
    assert!(trail.iter().all(|e| !e.detail.contains("Guest Lam")), "no names in the log");

    // The unit, kind and domain are fixed once attendance was taken.
    let a = ok(c.get(&format!("/api/v1/activities/{id}")).await, 200).await;
    let body = json!({"version": a["version"], "unit_id": a["unit_id"], "kind": "group", "title_zh_hant": "x", "domain": "youth"});
    let r = c.json(Method::PUT, &format!("/api/v1/activities/{id}"), &body).await;
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["fields"][0]["code"], "counting-locked");

    // Closing evaluation.
    let e = json!({"version": a["version"], "objectives_met": "partly_met", "summary": "Most goals reached."});
    let done = ok(c.json(Method::PUT, &format!("/api/v1/activities/{id}/evaluation"), &e).await, 200).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["evaluation"]["objectives_met"], "partly_met");
    assert_eq!(c.json(Method::PUT, &format!("/api/v1/activities/{id}/evaluation"), &e).await.status(), 409, "stale version");
}

/// Ten people at two sessions are 20 person-times and 10 unique persons; uniques over two
/// units or two months are the union, not the sum.
#[db_test]
async fn counting_rules_hold(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let (a, b) = (app.seeded.unit_a.id, app.seeded.unit_b.id);
    let people = clients(&c, a, 10, "rule").await;
    let (g1, s1) = group(&c, a, "", &["2026-10-20", "2026-11-03"]).await;
    let (g2, s2) = group(&c, b, "", &["2026-11-10"]).await;
    for g in [&g1, &g2] {
        ok(c.json(Method::POST, &format!("/api/v1/activities/{g}/participants"), &json!({"clients": people})).await, 200).await;
    }
    for s in s1.iter().chain(&s2) {
        ok(c.json(Method::POST, &format!("/api/v1/sessions/{s}/attendance"), &json!({"all_enrolled_present": true})).await, 200).await;
    }
    let v = counts(&c, "from=2026-10-01&to=2026-11-30").await;
    assert_eq!(v["rows"][0]["person_times"], 30);
    assert_eq!(v["rows"][0]["unique_persons"], 10, "the same ten people in both units and months");
    let by_unit = counts(&c, "from=2026-10-01&to=2026-11-30&group_by=unit").await;
    let units = by_unit["rows"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    assert!(units.iter().all(|r| r["unique_persons"] == 10));
    let by_month = counts(&c, "from=2026-10-01&to=2026-11-30&group_by=month").await;
    let m: Vec<(String, i64, i64)> = by_month["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].as_str().unwrap().to_string(), r["person_times"].as_i64().unwrap(), r["unique_persons"].as_i64().unwrap()))
        .collect();
    assert_eq!(m, [("2026-10".to_string(), 10, 10), ("2026-11".to_string(), 20, 10)]);
    // A period that starts and ends inside months (edge days come from the rows).
    let v = counts(&c, "from=2026-10-21&to=2026-11-09").await;
    assert_eq!((v["rows"][0]["person_times"].as_i64(), v["rows"][0]["unique_persons"].as_i64()), (Some(10), Some(10)));
    assert_eq!(v["rows"][0]["sessions_held"], 1);
    // A worker of unit A sees unit A's counts only.
    let w = app.signed_in(Role::SocialWorker).await;
    let v = counts(&w, "from=2026-10-01&to=2026-11-30").await;
    assert_eq!(v["rows"][0]["person_times"], 20);
    assert_eq!(v["units"], json!([a]));
}

/// 50 markers at once, on one session: every mark lands, nothing is counted twice.
#[db_test]
async fn fifty_concurrent_markers_lose_nothing(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let people = clients(&c, unit, 50, "conc").await;
    let (id, sessions) = group(&c, unit, "", &["2026-11-16", "2026-11-17"]).await;
    ok(c.json(Method::POST, &format!("/api/v1/activities/{id}/participants"), &json!({"clients": people})).await, 200).await;
    let lines = ok(c.get(&format!("/api/v1/sessions/{}/attendance", sessions[0])).await, 200).await;
    let nos: Vec<i64> = lines.as_array().unwrap().iter().map(|l| l["person_no"].as_i64().unwrap()).collect();
    assert_eq!(nos.len(), 50);
    // Two signed-in staff (a worker and a volunteer), 50 requests in flight at once.
    let staff = [std::sync::Arc::new(c), std::sync::Arc::new(app.signed_in(Role::Volunteer).await)];
    let mut tasks = Vec::new();
    for i in 0..50 {
        let m = staff[i % 2].clone();
        let (s0, s1) = (sessions[0].clone(), sessions[1].clone());
        // Each marks one person at both sessions and, to collide, one neighbour at the first.
        let body0 = json!({"present": [nos[i], nos[(i + 1) % 50]]});
        let body1 = json!({"present": [nos[i]]});
        tasks.push(tokio::spawn(async move {
            let a = m.json(Method::POST, &format!("/api/v1/sessions/{s0}/attendance"), &body0).await.status().as_u16();
            let b = m.json(Method::POST, &format!("/api/v1/sessions/{s1}/attendance"), &body1).await.status().as_u16();
            (a, b)
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), (200, 200));
    }
    let c = &*staff[0];
    let v = counts(c, "from=2026-11-16&to=2026-11-17").await;
    assert_eq!(v["rows"][0]["person_times"], 100, "{v}");
    assert_eq!(v["rows"][0]["unique_persons"], 50);
    assert_eq!(v["rows"][0]["sessions_held"], 2);
    for s in &sessions {
        let lines = ok(c.get(&format!("/api/v1/sessions/{s}/attendance")).await, 200).await;
        assert!(lines.as_array().unwrap().iter().all(|l| l["present"] == true));
    }
    let store = app.store();
    let before = all_counts(&app).await;
    store.rebuild_activity_rollups(app.seeded.org).await.unwrap();
    assert_eq!(before, all_counts(&app).await, "the rollups equal a rebuild from the rows");
}

async fn all_counts(app: &TestApp) -> Vec<Vec<CountRow>> {
    let store = app.store();
    let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2027, 12, 31).unwrap();
    let mut out = Vec::new();
    for g in CountGrain::ALL {
        out.push(store.activity_counts(app.seeded.org, None, from, to, *g).await.unwrap());
        let mid = chrono::NaiveDate::from_ymd_opt(2026, 3, 17).unwrap();
        let end = chrono::NaiveDate::from_ymd_opt(2026, 5, 9).unwrap();
        out.push(store.activity_counts(app.seeded.org, Some(&[app.seeded.unit_a.id]), mid, end, *g).await.unwrap());
    }
    out
}

/// A random mix of marks, corrections, walk-ins and a client merge, straight through the
/// store; after it the rollups equal a rebuild from the attendance rows, at every grain.
#[db_test]
async fn rollups_equal_a_rebuild_after_a_random_mix(app: TestApp) {
    use shegong_domain::activities::{ActivityInput, SessionInput};
    use shegong_domain::clients::ClientInput;
    let store = app.store();
    let org = app.seeded.org;
    let actor = Actor::from(app.seeded.user(Role::Admin));
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let cats = store.categories(org).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut people = Vec::new();
    for i in 0..30 {
        let input = ClientInput { unit_id: Some(app.seeded.unit_a.id), name_en: format!("Mix {i}"), ..Default::default() };
        people.push(store.create_client(&actor, &input.validate(today, &cats).unwrap()).await.unwrap().id);
    }
    let domains = store.activity_domains(org).await.unwrap();
    let mut sessions: Vec<SessionId> = Vec::new();
    let mut activities: Vec<ActivityId> = Vec::new();
    for (i, (unit, domain, cat)) in [
        (app.seeded.unit_a.id, "elderly", "elderly_alone"),
        (app.seeded.unit_a.id, "youth", ""),
        (app.seeded.unit_b.id, "elderly", "carer"),
    ]
    .into_iter()
    .enumerate()
    {
        let input = ActivityInput {
            unit_id: Some(unit),
            kind: ["group", "programme", "outing"][i].into(),
            title_en: format!("Mix {i}"),
            domain: domain.into(),
            target_categories: if cat.is_empty() { vec![] } else { vec![cat.into()] },
            ..Default::default()
        };
        let a = store.create_activity(&actor, &input.validate(&domains, &cats).unwrap()).await.unwrap();
        store.enrol(&actor, a.id, &people, None).await.unwrap();
        for d in ["2026-02-27", "2026-03-16", "2026-03-17", "2026-04-30", "2026-05-09", "2026-05-10"] {
            let s = SessionInput { date: d.into(), starts_at: "09:00".into(), ends_at: "10:00".into(), venue: String::new() };
            sessions.push(store.add_session(&actor, a.id, &s.validate().unwrap()).await.unwrap().id);
        }
        activities.push(a.id);
    }
    let mut nos = Vec::new();
    for p in &people {
        nos.push(store.person_number(org, *p).await.unwrap());
    }
    for step in 0..120 {
        let s = sessions[next(sessions.len() as u64) as usize];
        let pick = |k: u64, next: &mut dyn FnMut(u64) -> u64| (0..k).map(|_| nos[next(nos.len() as u64) as usize]).collect::<Vec<_>>();
        let present = pick(next(6), &mut next);
        let absent = pick(next(4), &mut next);
        let input = AttendanceInput { present, absent, all_enrolled_present: step % 37 == 0 };
        store.mark_attendance(&actor, s, &input).await.unwrap();
        if step % 29 == 0 {
            let g = shegong_domain::activities::GuestInput { name: format!("Walk-in {step}"), ..Default::default() };
            store.add_walk_in(&actor, s, &g.validate().unwrap()).await.unwrap();
        }
    }
    // Two records of one person merged: their attendances become one person's.
    store.merge_clients(&actor, people[0], people[1]).await.unwrap();
    let before = all_counts(&app).await;
    assert!(before[0][0].person_times > 0, "the mix recorded attendance");
    store.rebuild_activity_rollups(org).await.unwrap();
    assert_eq!(before, all_counts(&app).await, "rollups equal a rebuild from the rows");
    // And the counts agree with the raw rows.
    let mut lines = 0;
    for s in &sessions {
        lines += store.attendance(org, *s).await.unwrap().iter().filter(|l| l.present).count() as i64;
    }
    assert_eq!(before[0][0].person_times, lines);
    let _ = activities;
}

#[db_test]
async fn calendar_shows_a_workers_clashes(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    let me = app.seeded.user(Role::SocialWorker).id;
    let unit = app.seeded.unit_a.id;
    let mut ids = Vec::new();
    for (title, start, end) in [("A", "10:00", "11:00"), ("B", "10:30", "12:00"), ("C", "11:00", "12:00")] {
        let body = json!({"unit_id": unit, "kind": "programme", "title_en": title, "domain": "family", "staff": [me]});
        let a = ok(c.json(Method::POST, "/api/v1/activities", &body).await, 201).await;
        let id = a["id"].as_str().unwrap().to_string();
        let s = json!({"date": "2026-12-01", "starts_at": start, "ends_at": end});
        ok(c.json(Method::POST, &format!("/api/v1/activities/{id}/sessions"), &s).await, 201).await;
        ids.push(id);
    }
    let v = ok(c.get(&format!("/api/v1/activities/calendar?from=2026-12-01&to=2026-12-01&worker={me}")).await, 200).await;
    let clash: Vec<(String, bool)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["activity_title"].as_str().unwrap().to_string(), !e["clashes_for"].as_array().unwrap().is_empty()))
        .collect();
    assert_eq!(clash, [("A".into(), true), ("B".into(), true), ("C".into(), true)], "A–B and B–C overlap");
    let (status, page) = c.page(&format!("/activities/calendar?from=2026-12-01&to=2026-12-01&worker={me}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("class=\"clash\""));
}

#[db_test]
async fn sign_in_sheet_import_marks_by_name_or_number(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let people = clients(&c, unit, 3, "sheet").await;
    let (id, sessions) = group(&c, unit, "", &["2026-11-20"]).await;
    ok(c.json(Method::POST, &format!("/api/v1/activities/{id}/participants"), &json!({"clients": people})).await, 200).await;
    let s = &sessions[0];
    let post = |csv: &'static str| {
        let c = &c;
        async move {
            let token = c.csrf().await;
            let boundary = "act-boundary";
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"session_id\"\r\n\r\n{s}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"sheet.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
            );
            c.http
                .post(c.url("/attendance/import"))
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let r = post("姓名,出席\nAct sheet 0,✓\nact SHEET 1,✓\nAct sheet 2,\n").await;
    assert_eq!(r.status(), 303);
    let lines = ok(c.get(&format!("/api/v1/sessions/{s}/attendance")).await, 200).await;
    let present: Vec<bool> = lines.as_array().unwrap().iter().map(|l| l["present"].as_bool().unwrap()).collect();
    assert_eq!(present, [true, true, false]);
    // A row that matches no one: nothing is saved, and the row is named.
    let r = post("姓名\nAct sheet 2\nNobody Here\n").await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Row 3") || page.contains("第 3 行"), "{page}");
    let lines = ok(c.get(&format!("/api/v1/sessions/{s}/attendance")).await, 200).await;
    assert_eq!(lines.as_array().unwrap().iter().filter(|l| l["present"] == true).count(), 2);
}

#[db_test]
async fn pages_plan_and_take_attendance_without_script(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id.to_string();
    let r = c.post_form("/activities", &[("unit_id", &unit), ("kind", "group"), ("title_zh_hant", "")]).await;
    assert_eq!(r.status(), 422, "no title and no domain");
    let page = r.text().await.unwrap();
    assert!(page.contains("aria-invalid") && page.contains("name=\"title_zh_hant\""));
    let r = c.post_form("/activities", &[("unit_id", &unit), ("kind", "group"), ("title_zh_hant", "親子小組"), ("domain", "family")]).await;
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let id = loc.trim_start_matches("/activities/").split('?').next().unwrap().to_string();
    let r =
        c.post_form(&format!("/activities/{id}/sessions"), &[("date", "2026-11-30"), ("starts_at", "15:00"), ("ends_at", "14:00")]).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("value=\"2026-11-30\""), "input kept");
    let r =
        c.post_form(&format!("/activities/{id}/sessions"), &[("date", "2026-11-30"), ("starts_at", "14:00"), ("ends_at", "15:00")]).await;
    assert_eq!(r.status(), 303);
    let people = clients(&c, &unit, 2, "page").await;
    let pairs: Vec<(&str, &str)> = people.iter().map(|p| ("client", p.as_str())).collect();
    assert_eq!(c.post_form(&format!("/activities/{id}/enrol"), &pairs).await.status(), 303);
    let sessions = ok(c.get(&format!("/api/v1/activities/{id}/sessions")).await, 200).await;
    let s = sessions[0]["id"].as_str().unwrap();
    let (status, page) = c.page(&format!("/sessions/{s}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Act page 0") && page.contains("id=\"all-present\""));
    assert_eq!(c.post_form(&format!("/sessions/{s}/attendance"), &[("all", "1")]).await.status(), 303);
    let (_, page) = c.page(&format!("/activities/{id}")).await;
    assert!(page.contains("id=\"person-times\">2<"), "person-times shown at once");
    // Unticking one on the checklist marks them absent.
    let lines = ok(c.get(&format!("/api/v1/sessions/{s}/attendance")).await, 200).await;
    let (a, b) = (lines[0]["person_no"].to_string(), lines[1]["person_no"].to_string());
    assert_eq!(c.post_form(&format!("/sessions/{s}/attendance"), &[("listed", &a), ("listed", &b), ("present", &a)]).await.status(), 303);
    let (_, page) = c.page("/activities/counts?from=2026-11-01&to=2026-11-30").await;
    assert!(page.contains("id=\"counts-rule\""));
    let v = counts(&c, "from=2026-11-01&to=2026-11-30").await;
    assert_eq!(v["rows"][0]["person_times"], 1);
}

/// Whoever takes attendance reaches only the people on the activity's list: a person number
/// from elsewhere in the agency is refused, and nothing is counted.
#[db_test]
async fn attendance_takes_only_people_on_the_list(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    let a = app.seeded.unit_a.id;
    let people = clients(&c, a, 2, "list").await;
    let (g1, _) = group(&c, a, "", &["2026-10-20"]).await;
    let (_, s2) = group(&c, a, "", &["2026-10-21"]).await;
    ok(c.json(Method::POST, &format!("/api/v1/activities/{g1}/participants"), &json!({"clients": people})).await, 200).await;
    let listed: Vec<i64> = ok(c.get(&format!("/api/v1/activities/{g1}/participants")).await, 200)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_no"].as_i64().unwrap())
        .collect();
    let body = ok(c.json(Method::POST, &format!("/api/v1/sessions/{}/attendance", s2[0]), &json!({"present": listed})).await, 422).await;
    assert_eq!(body["error"]["fields"][0]["code"], "unknown-person");
    let v = counts(&c, "from=2026-10-01&to=2026-10-31").await;
    assert_eq!(v["rows"][0]["person_times"], 0);
}
