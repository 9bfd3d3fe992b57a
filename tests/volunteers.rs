//! Volunteers: training rules that refuse an untrained volunteer with a clear reason, duties
//! with matching, assignment by staff, by the volunteer's own login and by a signed link,
//! clashes and full duties refused even when sign-ups race, hours from check-in/out, staff
//! confirmation and approved self-reports, totals and tiers, certificates, the service-record
//! export, the reports, and what volunteers may (not) see.
//! The seeded clock stands at 2026-03-02 09:00 in Hong Kong (a Monday).

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::Role;
use shegong_domain::ports::AuditRepo;
use shegong_testkit::{db_test, ok, Client, TestApp, PASSWORD};
use std::sync::Arc;

async fn refused(r: reqwest::Response) -> Vec<(String, String, String)> {
    let body = ok(r, 422).await;
    body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap().into(), f["code"].as_str().unwrap().into(), f["message"].as_str().unwrap().into()))
        .collect()
}

async fn volunteer(c: &Client, unit: impl std::fmt::Display, body: Value) -> String {
    let mut b = json!({"unit_id": unit.to_string(), "name_zh": "陳義工"});
    for (k, v) in body.as_object().unwrap() {
        b[k] = v.clone();
    }
    ok(c.json(Method::POST, "/api/v1/volunteers", &b).await, 201).await["id"].as_str().unwrap().to_string()
}

async fn duty(c: &Client, unit: impl std::fmt::Display, title: &str, date: &str, from: &str, to: &str, extra: Value) -> Value {
    let mut b = json!({"unit_id": unit.to_string(), "title": title, "needed": 2, "date": date, "starts_at": from, "ends_at": to});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    ok(c.json(Method::POST, "/api/v1/volunteers/duties", &b).await, 201).await
}

async fn assign(c: &Client, duty: &str, vol: &str) -> reqwest::Response {
    c.json(Method::POST, &format!("/api/v1/volunteers/duties/{duty}/assignments"), &json!({"volunteer_id": vol})).await
}

#[db_test]
async fn an_untrained_volunteer_is_refused_until_trained_and_served_hours_make_a_certificate(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let course = ok(
        sw.json(
            Method::POST,
            "/api/v1/volunteers/courses",
            &json!({"title_zh_hant": "長者探訪訓練", "title_en": "Elderly visiting", "hours": "3", "valid_months": "24"}),
        )
        .await,
        201,
    )
    .await;
    let course_id = course["id"].as_str().unwrap().to_string();
    assert_eq!(course["hours"], 3.0);
    let d = duty(&sw, unit, "探訪獨居長者", "2026-03-07", "09:00", "12:00", json!({"courses": [course_id]})).await;
    let did = d["id"].as_str().unwrap().to_string();
    assert_eq!(d["starts_at"], "2026-03-07T01:00:00Z", "local times in the agency's zone");
    // The volunteer has a login, so they can check in and out themselves.
    let vol_user = app.seeded.user(Role::Volunteer);
    let vid = volunteer(&sw, unit, json!({"user_id": vol_user.id, "id_doc_type": "hkid", "id_doc_number": "A123456(3)"})).await;

    // Refused with the course named; the matching says the same.
    let errs = refused(assign(&sw, &did, &vid).await).await;
    assert_eq!(errs.len(), 1);
    assert_eq!((errs[0].0.as_str(), errs[0].1.as_str()), ("volunteer_id", "vol-course-missing"));
    assert!(errs[0].2.contains("長者探訪訓練"), "{}", errs[0].2);
    let m = ok(sw.get(&format!("/api/v1/volunteers/duties/{did}/matches")).await, 200).await;
    assert_eq!(m[0]["eligibility"]["eligible"], false);
    assert_eq!(m[0]["eligibility"]["refusals"][0]["code"], "vol-course-missing");
    // The dispatch question other capabilities ask gets the same answer.
    let q = format!("/api/v1/volunteers/{vid}/eligibility?courses={course_id}&starts_at=2026-03-07T01:00:00Z&ends_at=2026-03-07T04:00:00Z");
    assert_eq!(ok(sw.get(&q).await, 200).await["eligible"], false);

    // Trained: assigned; twice is refused.
    let t = ok(sw.json(Method::POST, &format!("/api/v1/volunteers/{vid}/trainings"), &json!({"course_id": course_id})).await, 201).await;
    assert_eq!(t["expires_on"], "2028-03-02");
    assert_eq!(ok(sw.get(&q).await, 200).await["eligible"], true);
    let a = ok(assign(&sw, &did, &vid).await, 201).await;
    assert_eq!(refused(assign(&sw, &did, &vid).await).await[0].1, "vol-already-assigned");

    // On the day the volunteer checks in and out; hours count within the duty's span.
    let vol = app.signed_in(Role::Volunteer).await;
    let me = ok(vol.get("/api/v1/volunteers/me").await, 200).await;
    assert_eq!(me["duties"][0]["duty"]["title"], "探訪獨居長者");
    let aid = a["id"].as_str().unwrap();
    ok(vol.json(Method::POST, &format!("/api/v1/volunteers/assignments/{aid}/check-out"), &Value::Null).await, 422).await;
    app.db.clock.advance(Duration::days(5) - Duration::minutes(30));
    let vol = app.signed_in(Role::Volunteer).await;
    ok(vol.json(Method::POST, &format!("/api/v1/volunteers/assignments/{aid}/check-in"), &Value::Null).await, 200).await;
    ok(vol.json(Method::POST, &format!("/api/v1/volunteers/assignments/{aid}/check-in"), &Value::Null).await, 409).await;
    app.db.clock.advance(Duration::hours(4));
    let closed = ok(vol.json(Method::POST, &format!("/api/v1/volunteers/assignments/{aid}/check-out"), &Value::Null).await, 200).await;
    assert_eq!(closed["hours"]["minutes"], 180, "arriving early does not add hours");
    assert_eq!(closed["hours"]["status"], "approved");
    ok(vol.json(Method::POST, &format!("/api/v1/volunteers/assignments/{aid}/check-out"), &Value::Null).await, 409).await;

    // 50 hours a year is bronze: 47 more recorded by staff (one day at most per entry).
    let sw = app.signed_in(Role::SocialWorker).await;
    for (on, h) in [("2026-03-05", "24"), ("2026-03-06", "23")] {
        let body = json!({"served_on": on, "hours": h, "content": "長者中心接待"});
        ok(sw.json(Method::POST, &format!("/api/v1/volunteers/{vid}/hours"), &body).await, 201).await;
    }
    let totals = ok(sw.get("/api/v1/volunteers/totals?year=2026").await, 200).await;
    assert_eq!(totals["rows"][0]["hours"], 50.0);
    assert_eq!(totals["rows"][0]["tier"], "bronze");
    for (lang, tier) in [("zh-Hant-HK", "銅狀"), ("zh-Hans-CN", "铜奖"), ("en", "Bronze")] {
        let c = ok(sw.get(&format!("/api/v1/volunteers/{vid}/certificate?year=2026&lang={lang}")).await, 200).await;
        assert_eq!((c["hours"].as_f64(), c["tier"].as_str()), (Some(50.0), Some(tier)));
    }
    let (status, page) = sw.page(&format!("/volunteers/{vid}/certificate?year=2026&lang=zh-Hant-HK")).await;
    assert_eq!(status, 200);
    assert!(page.contains("義工服務證書") && page.contains("50.0") && page.contains("陳義工"), "{page}");
    // The volunteer prints their own; another volunteer may not.
    ok(vol.get(&format!("/api/v1/volunteers/{vid}/certificate")).await, 200).await;
    ok(app.signed_in(Role::PeerSupporter).await.get(&format!("/api/v1/volunteers/{vid}/certificate")).await, 403).await;

    // The mainland service-record export: name, document (masked), content, date, hours, organisation.
    let sup = app.signed_in(Role::Supervisor).await;
    let r = sup.get("/api/v1/volunteers/export?format=csv&from=2026-01-01&to=2026-12-31").await;
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1..]
        .iter()
        .any(|l| l.contains("探訪獨居長者") && l.contains("2026-03-07") && l.contains("3.00") && l.contains("****4563")));
    assert!(!csv.contains("A123456"), "identity numbers are masked without the grant");
    let audit = app.store().list_audit(app.seeded.org, None, 50).await.unwrap();
    let export = audit.iter().find(|e| e.entity_type == "volunteer_records").unwrap();
    assert_eq!(export.action, "export");
    assert!(!export.detail.contains("陳義工"));
}

#[db_test]
async fn clashes_and_full_duties_are_refused_even_when_sign_ups_race(app: TestApp) {
    let sw = Arc::new(app.signed_in(Role::SocialWorker).await);
    let unit = app.seeded.unit_a.id;
    let vid = volunteer(&sw, unit, json!({})).await;
    let a = duty(&sw, unit, "Food bank", "2026-03-10", "09:00", "12:00", json!({})).await["id"].as_str().unwrap().to_string();
    let b = duty(&sw, unit, "Tea gathering", "2026-03-10", "11:00", "13:00", json!({})).await["id"].as_str().unwrap().to_string();
    let later = duty(&sw, unit, "Afternoon", "2026-03-10", "12:00", "14:00", json!({})).await["id"].as_str().unwrap().to_string();
    // Two overlapping duties at once: exactly one wins; the other is told which duty clashes.
    let (ra, rb) = tokio::join!(assign(&sw, &a, &vid), assign(&sw, &b, &vid));
    let mut codes = vec![ra.status().as_u16(), rb.status().as_u16()];
    codes.sort();
    assert_eq!(codes, [201, 422]);
    let loser = if ra.status() == 422 { ra } else { rb };
    let errs = refused(loser).await;
    assert_eq!(errs[0].1, "vol-clash");
    // Back to back is no clash.
    let first = ok(sw.get(&format!("/api/v1/volunteers/duties/{a}")).await, 200).await;
    if first["assignments"].as_array().unwrap().is_empty() {
        // b won: 12:00–14:00 overlaps b (11–13), so withdraw b first.
        let v = ok(sw.get(&format!("/api/v1/volunteers/duties/{b}")).await, 200).await;
        let (id, version) = (v["assignments"][0]["id"].as_str().unwrap().to_string(), v["assignments"][0]["version"].clone());
        ok(sw.json(Method::POST, &format!("/api/v1/volunteers/assignments/{id}/withdraw"), &json!({"version": version})).await, 200).await;
        ok(assign(&sw, &a, &vid).await, 201).await;
    }
    ok(assign(&sw, &later, &vid).await, 201).await;

    // A duty for two, five volunteers signing up at once: two get it.
    let two = duty(&sw, unit, "Outing helpers", "2026-03-12", "14:00", "17:00", json!({})).await["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(volunteer(&sw, unit, json!({"name_zh": format!("義工{n}")})).await);
    }
    let mut set = tokio::task::JoinSet::new();
    for v in ids {
        let (sw, two) = (Arc::clone(&sw), two.clone());
        set.spawn(async move { assign(&sw, &two, &v).await.status().as_u16() });
    }
    let mut got = Vec::new();
    while let Some(r) = set.join_next().await {
        got.push(r.unwrap());
    }
    got.sort();
    assert_eq!(got, [201, 201, 422, 422, 422]);
    let d = ok(sw.get(&format!("/api/v1/volunteers/duties/{two}")).await, 200).await;
    assert_eq!(d["duty"]["filled"], 2);
    assert_eq!(d["assignments"].as_array().unwrap().len(), 2);
}

#[db_test]
async fn volunteers_see_their_own_duties_and_the_minimum_about_people_never_case_records(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let client = json!({"unit_id": unit.to_string(), "name_zh": "黃婆婆", "sex": "female", "date_of_birth": "1940-02-02",
        "phones": ["91112222"], "district": "灣仔", "address": "灣仔道 1 號 8 樓 A 室"});
    let cid =
        ok(sw.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &client).await, 201).await["id"].as_str().unwrap().to_string();
    let case = json!({"unit_id": unit.to_string(), "client_id": cid, "source": "walk_in", "case_type": "in_depth", "risk": "low",
        "problems": ["family_conflict"], "intake_summary": "Secret intake summary"});
    let case_id = ok(sw.json(Method::POST, "/api/v1/cases", &case).await, 201).await["id"].as_str().unwrap().to_string();
    let d = duty(&sw, unit, "Escort to clinic", "2026-03-04", "10:00", "12:00", json!({"client_id": cid, "kind": "delivery"})).await;
    let did = d["id"].as_str().unwrap().to_string();
    let vid = volunteer(&sw, unit, json!({"user_id": app.seeded.user(Role::Volunteer).id})).await;
    let other = volunteer(&sw, unit, json!({"name_zh": "另一位", "user_id": app.seeded.user(Role::PeerSupporter).id})).await;

    let vol = app.signed_in(Role::Volunteer).await;
    // The open duty shows the person's name and district only.
    let me = ok(vol.get("/api/v1/volunteers/me").await, 200).await;
    let open = &me["open"][0];
    assert_eq!(open["duty"]["served"], json!({"name": "黃婆婆", "district": "灣仔"}));
    let text = me.to_string();
    for secret in ["91112222", "灣仔道", "Secret intake", "1940", case_id.as_str()] {
        assert!(!text.contains(secret), "the volunteer's view holds {secret}: {text}");
    }
    ok(vol.json(Method::POST, &format!("/api/v1/volunteers/me/duties/{did}"), &Value::Null).await, 201).await;
    let me = ok(vol.get("/api/v1/volunteers/me").await, 200).await;
    assert_eq!(me["duties"][0]["duty"]["id"], did.as_str());
    let (status, page) = vol.page("/volunteer").await;
    assert_eq!(status, 200);
    assert!(page.contains("Escort to clinic") && page.contains("黃婆婆") && !page.contains("91112222") && !page.contains("灣仔道"));

    // Never the record, the case, the register, staff routes or another volunteer's record.
    for path in [
        format!("/api/v1/clients/{cid}"),
        format!("/api/v1/cases/{case_id}"),
        "/api/v1/cases".to_string(),
        "/api/v1/clients".to_string(),
        "/api/v1/volunteers".to_string(),
        format!("/api/v1/volunteers/{vid}"),
        format!("/api/v1/volunteers/{other}"),
        format!("/api/v1/volunteers/duties/{did}"),
        format!("/api/v1/volunteers/duties/{did}/matches"),
        "/api/v1/volunteers/report".to_string(),
        "/api/v1/volunteers/export?format=csv".to_string(),
    ] {
        let r = vol.get(&path).await;
        assert_eq!(r.status(), 403, "{path}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("黃婆婆") && !body.contains("Secret"), "{path}: {body}");
    }
    for path in [format!("/clients/{cid}"), format!("/cases/{case_id}"), "/volunteers".into(), format!("/volunteers/duties/{did}")] {
        assert_eq!(vol.page(&path).await.0, 403, "{path}");
    }
    // Staff of another unit see nothing of unit A's volunteers.
    let admin = app.signed_in(Role::Admin).await;
    let body = json!({"username": "sw-b", "display_name": "sw-b", "password": PASSWORD, "grants": [{"role": "social_worker", "unit_id": app.seeded.unit_b.id}]});
    ok(admin.json(Method::POST, "/api/v1/users", &body).await, 201).await;
    let sw_b = app.client();
    assert_eq!(sw_b.login("sw-b", PASSWORD).await.status(), 303);
    assert_eq!(ok(sw_b.get("/api/v1/volunteers").await, 200).await, json!([]));
    ok(sw_b.get(&format!("/api/v1/volunteers/{vid}")).await, 403).await;
    ok(assign(&sw_b, &did, &other).await, 403).await;
    // A person with lived experience is both: their data-access export holds their volunteering.
    let peer = volunteer(&sw, unit, json!({"client_id": cid, "name_zh": "黃婆婆", "roles": ["peer_supporter"]})).await;
    let sup = app.signed_in(Role::Supervisor).await;
    let export = ok(sup.get(&format!("/api/v1/clients/{cid}/data-export")).await, 200).await;
    assert_eq!(export["volunteering"][0]["volunteer"]["id"], peer.as_str());
    // Another agency: not found.
    shegong_testkit::seed(app.store(), "x-").await;
    let intruder = app.client();
    assert_eq!(intruder.login("x-admin", PASSWORD).await.status(), 303);
    ok(intruder.get(&format!("/api/v1/volunteers/{vid}")).await, 404).await;
    ok(intruder.get(&format!("/api/v1/volunteers/duties/{did}")).await, 404).await;
    assert_eq!(ok(intruder.get("/api/v1/volunteers").await, 200).await, json!([]));
}

#[db_test]
async fn a_signed_link_signs_up_its_volunteer_for_its_duty_and_nothing_else(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let vid = volunteer(&sw, unit, json!({"name_zh": "無帳戶義工"})).await;
    let did = duty(&sw, unit, "派飯", "2026-03-20", "11:00", "13:00", json!({})).await["id"].as_str().unwrap().to_string();
    let link = ok(sw.json(Method::POST, &format!("/api/v1/volunteers/duties/{did}/links"), &json!({"volunteer_id": vid})).await, 201).await;
    let path = link["path"].as_str().unwrap().to_string();
    assert!(path.len() > 100, "not guessable: {path}");

    // Anyone holding it sees the duty and the name it is for; no sign-in.
    let anon = app.client();
    let (status, page) = anon.page(&path).await;
    assert_eq!(status, 200);
    assert!(page.contains("派飯") && page.contains("無帳戶義工"));
    // A changed character is not a link.
    let mut bad = path.clone().into_bytes();
    let i = bad.len() - 5;
    bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    let (status, page) = anon.page(&bad).await;
    assert_eq!(status, 422);
    assert!(page.contains("not valid") || page.contains("無效"), "{page}");
    assert!(!page.contains("派飯"));
    assert_eq!(anon.post_form(&bad, &[]).await.status(), 422);

    let r = anon.post_form(&path, &[]).await;
    assert_eq!(r.status(), 200);
    let d = ok(sw.get(&format!("/api/v1/volunteers/duties/{did}")).await, 200).await;
    assert_eq!(d["assignments"][0]["volunteer_id"], vid.as_str());
    assert_eq!(d["assignments"][0]["via"], "link");
    let audit = app.store().audit_for(app.seeded.org, "volunteer_assignment", d["assignments"][0]["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(audit[0].actor_name, format!("link:{vid}"));
    // Expired after two weeks (here: once the duty is over).
    app.db.clock.advance(Duration::days(30));
    let (status, page) = anon.page(&path).await;
    assert_eq!(status, 422);
    assert!(page.contains("expired") || page.contains("過期"), "{page}");
}

#[db_test]
async fn self_reported_hours_wait_for_approval_and_reports_count_over_the_union(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let (unit, unit_b) = (app.seeded.unit_a.id, app.seeded.unit_b.id);
    let vid =
        volunteer(&sw, unit, json!({"user_id": app.seeded.user(Role::PeerSupporter).id, "roles": ["peer_supporter"], "team": "朋輩隊"}))
            .await;
    let v2 = volunteer(&sw, unit, json!({"name_zh": "第二位", "team": "朋輩隊"})).await;
    let peer = app.signed_in(Role::PeerSupporter).await;
    let h = ok(
        peer.json(Method::POST, "/api/v1/volunteers/me/hours", &json!({"served_on": "2026-03-01", "hours": "1:30", "content": "電話慰問"}))
            .await,
        201,
    )
    .await;
    assert_eq!((h["status"].as_str(), h["minutes"].as_i64()), (Some("pending"), Some(90)));
    assert_eq!(ok(sw.get("/api/v1/volunteers/totals").await, 200).await["rows"], json!([]), "pending hours do not count");
    let bad = refused(
        peer.json(Method::POST, "/api/v1/volunteers/me/hours", &json!({"served_on": "2026-04-01", "hours": "30", "content": ""})).await,
    )
    .await;
    let fields: Vec<&str> = bad.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(fields, ["served_on", "hours", "content"]);
    let pending = ok(sw.get("/api/v1/volunteers/hours/pending").await, 200).await;
    let id = pending[0]["id"].as_str().unwrap();
    ok(sw.json(Method::POST, &format!("/api/v1/volunteers/hours/{id}/decision"), &json!({"approve": true, "version": 1})).await, 200).await;
    ok(sw.json(Method::POST, &format!("/api/v1/volunteers/hours/{id}/decision"), &json!({"approve": false, "version": 1})).await, 409)
        .await;

    // Pathway stages go forward in time.
    ok(
        sw.json(Method::POST, &format!("/api/v1/volunteers/{vid}/stages"), &json!({"stage": "enabling", "started_on": "2026-02-01"})).await,
        201,
    )
    .await;
    let errs = refused(
        sw.json(Method::POST, &format!("/api/v1/volunteers/{vid}/stages"), &json!({"stage": "thrive", "started_on": "2026-01-01"})).await,
    )
    .await;
    assert_eq!(errs[0].1, "vol-stage-order");
    assert_eq!(
        refused(sw.json(Method::POST, &format!("/api/v1/volunteers/{v2}/stages"), &json!({"stage": "thrive"})).await).await[0].1,
        "vol-not-peer"
    );

    // Both volunteers at an activity's session: two person-times, two volunteers, one social worker.
    let act = json!({"unit_id": unit.to_string(), "kind": "group", "title_zh_hant": "朋輩支援小組", "domain": "family",
        "staff": [app.seeded.user(Role::SocialWorker).id]});
    let activity = ok(sw.json(Method::POST, "/api/v1/activities", &act).await, 201).await["id"].as_str().unwrap().to_string();
    let s = json!({"date": "2026-03-03", "starts_at": "19:00", "ends_at": "21:00"});
    let session = ok(sw.json(Method::POST, &format!("/api/v1/activities/{activity}/sessions"), &s).await, 201).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = duty(&sw, unit, "小組助手", "", "", "", json!({"kind": "activity_session", "ref_id": session})).await;
    assert_eq!(d["day"], "2026-03-03", "the session's day and times");
    let did = d["id"].as_str().unwrap().to_string();
    for v in [&vid, &v2] {
        let a = ok(assign(&sw, &did, v).await, 201).await;
        ok(
            sw.json(
                Method::POST,
                &format!("/api/v1/volunteers/assignments/{}/confirm", a["id"].as_str().unwrap()),
                &json!({"version": a["version"]}),
            )
            .await,
            200,
        )
        .await;
    }
    ok(sw.json(Method::POST, "/api/v1/volunteers/duties", &json!({"unit_id": unit_b.to_string(), "title": "x", "needed": 1, "date": "2026-03-03", "starts_at": "09:00", "ends_at": "10:00"})).await, 403).await;
    let r = ok(sw.get("/api/v1/volunteers/report?from=2026-01-01&to=2026-12-31").await, 200).await;
    assert_eq!((r["person_times"].as_u64(), r["volunteers"].as_u64(), r["hours"].as_f64()), (Some(2), Some(2), Some(5.5)));
    let months: Vec<(&str, u64)> =
        r["rows"].as_array().unwrap().iter().map(|x| (x["month"].as_str().unwrap(), x["volunteers"].as_u64().unwrap())).collect();
    assert_eq!(months, [("2026-03", 2)]);
    let ratios = ok(sw.get("/api/v1/volunteers/ratios?from=2026-01-01&to=2026-12-31").await, 200).await;
    assert_eq!(ratios[0]["volunteers"], 2);
    assert_eq!(ratios[0]["social_workers"], 1);
    assert_eq!(ratios[0]["ratio"], 2.0);
    let teams = ok(sw.get("/api/v1/volunteers/totals?by=team&year=2026").await, 200).await;
    assert_eq!(teams["rows"][0]["key"], "朋輩隊");
    assert_eq!(teams["rows"][0]["hours"], 5.5);

    // Tiers are the agency's: the admin lowers bronze to 5 hours; a stale save is refused.
    let admin = app.signed_in(Role::Admin).await;
    let mut s = ok(admin.get("/api/v1/volunteers/settings").await, 200).await;
    assert_eq!(s["individual"][0]["hours"], 50.0);
    s["individual"][0]["hours"] = json!(2.0);
    ok(admin.json(Method::PUT, "/api/v1/volunteers/settings", &s).await, 200).await;
    ok(admin.json(Method::PUT, "/api/v1/volunteers/settings", &s).await, 409).await;
    ok(sw.json(Method::PUT, "/api/v1/volunteers/settings", &s).await, 403).await;
    let t = ok(sw.get("/api/v1/volunteers/totals?year=2026").await, 200).await;
    let tiers: Vec<&str> = t["rows"].as_array().unwrap().iter().filter_map(|r| r["tier"].as_str()).collect();
    assert_eq!(tiers, ["bronze", "bronze"]);
}

#[db_test]
async fn suggestions_say_why_by_skill_language_distance_and_availability(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    // 7 March 2026 is a Saturday; the duty is in the morning near Wan Chai.
    let near = volunteer(
        &sw,
        unit,
        json!({"name_zh": "近", "skills": ["first_aid"], "languages": ["urdu"], "availability": ["sat_am"],
        "latitude": "22.2776", "longitude": "114.1747"}),
    )
    .await;
    volunteer(&sw, unit, json!({"name_zh": "遠", "latitude": "22.45", "longitude": "114.03"})).await;
    let d = duty(
        &sw,
        unit,
        "Home visit",
        "2026-03-07",
        "09:00",
        "11:00",
        json!({"skills": ["first_aid"], "languages": ["urdu"],
        "needs_check": true, "latitude": "22.2790", "longitude": "114.1750"}),
    )
    .await;
    let m = ok(sw.get(&format!("/api/v1/volunteers/duties/{}/matches", d["id"].as_str().unwrap())).await, 200).await;
    // Neither has a background check, so neither may serve yet: both are shown with the reason.
    assert!(m.as_array().unwrap().iter().all(|s| s["eligibility"]["refusals"][0]["code"] == "vol-check-missing"));
    assert_eq!(m[0]["volunteer_id"], near.as_str());
    assert_eq!(m[0]["reasons"]["skills"], json!(["first_aid"]));
    assert_eq!(m[0]["reasons"]["languages"], json!(["urdu"]));
    assert_eq!(m[0]["reasons"]["available"], true);
    assert!(m[1]["reasons"]["distance_km"].as_f64().unwrap() > 15.0);
    // Cleared: eligible, first.
    let v = ok(sw.get(&format!("/api/v1/volunteers/{near}")).await, 200).await["volunteer"].clone();
    let mut edit = json!({"unit_id": unit.to_string(), "name_zh": "近", "skills": ["first_aid"], "languages": ["urdu"], "availability": ["sat_am"],
        "latitude": "22.2776", "longitude": "114.1747", "check_status": "cleared", "check_expires_on": "2027-01-01", "version": v["version"]});
    ok(sw.json(Method::PUT, &format!("/api/v1/volunteers/{near}"), &edit).await, 200).await;
    edit["name_zh"] = json!("stale");
    ok(sw.json(Method::PUT, &format!("/api/v1/volunteers/{near}"), &edit).await, 409).await;
    let m = ok(sw.get(&format!("/api/v1/volunteers/duties/{}/matches", d["id"].as_str().unwrap())).await, 200).await;
    assert_eq!((m[0]["volunteer_id"].as_str(), m[0]["eligibility"]["eligible"].as_bool()), (Some(near.as_str()), Some(true)));
}

#[db_test]
async fn the_demo_shows_volunteers_with_duties_and_hours(db: shegong_testkit::TestDb) {
    use shegong_domain::ports::{UnitsRepo, VolunteersRepo};
    let store = &db.store;
    assert!(shegong_web::demo::seed_if_empty(store).await.unwrap());
    shegong_web::demo::seed_demo_clients(store, 60, 7).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    shegong_web::demo::activities::seed_demo_activities(store, 7, today).await.unwrap();
    let n = shegong_web::demo::volunteers::seed_demo_volunteers(store, today).await.unwrap();
    assert!(n >= 10, "{n}");
    let org = store.list_agencies().await.unwrap()[0].id;
    let facts = store.hour_facts(org, None, today - Duration::days(60), today).await.unwrap();
    assert!(facts.iter().any(|f| f.duty_id.is_some()), "served duties give hours");
    assert!(!store.pending_hours(org, None).await.unwrap().is_empty(), "a self-report waits");
    assert!(store.list_volunteers(org, None).await.unwrap().iter().any(|v| v.user_id.is_some()), "the demo volunteer login has a record");
}
