//! Hotline: logging calls (caller lookup, triage, escalation to a named supervisor), the
//! follow-up queue that keeps overdue items until done, need-to-know call notes with audited
//! views, a case opened from a call, check-in schedules that send a home visit after two misses,
//! 20 operators logging at once without losing a call, and the counting rules.
//! The seeded clock stands at 2026-03-02 09:00 in Hong Kong.

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::{Actor, Role};
use shegong_domain::clock::Clock;
use shegong_domain::hotline::{default_topics, CallInput};
use shegong_domain::ids::{CaseId, CheckInScheduleId, OrgId, UserId};
use shegong_domain::ports::{AccountsRepo, AuditRepo, CallQuery, CasesRepo, HotlineRepo};
use shegong_testkit::{db_test, ok, refused, Client, TestApp, PASSWORD};
use std::sync::Arc;

async fn register(c: &Client, unit: impl std::fmt::Display, zh: &str, phone: &str) -> String {
    let body = json!({"unit_id": unit.to_string(), "name_zh": zh, "sex": "female", "date_of_birth": "1948-05-01", "phones": [phone]});
    let r = c.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await;
    ok(r, 201).await["id"].as_str().unwrap().to_string()
}

fn call(unit: impl std::fmt::Display, phone: &str, client: Option<&str>, risk: &str, outcome: &str) -> Value {
    json!({"unit_id": unit.to_string(), "caller_phone": phone, "client_id": client, "call_type": "counselling",
           "topics": ["anxiety"], "duration_minutes": 15, "note": "Caller worried about her husband's drinking.",
           "risk": risk, "outcome": outcome})
}

async fn log(c: &Client, body: &Value) -> Value {
    ok(c.json(Method::POST, "/api/v1/hotline/calls", body).await, 201).await
}

/// A new account with one role in one unit, signed in, and its id.
async fn account(app: &TestApp, username: &str, role: &str, unit: impl std::fmt::Display) -> (Client, UserId) {
    let admin = app.signed_in(Role::Admin).await;
    let body = json!({"username": username, "display_name": username, "password": PASSWORD,
                      "grants": [{"role": role, "unit_id": unit.to_string()}]});
    let id = ok(admin.json(Method::POST, "/api/v1/users", &body).await, 201).await["id"].as_str().unwrap().parse().unwrap();
    let c = app.client();
    assert_eq!(c.login(username, PASSWORD).await.status(), 303);
    (c, id)
}

#[db_test]
async fn a_high_risk_call_is_escalated_and_its_follow_up_stays_until_done(app: TestApp) {
    let op = app.signed_in(Role::HotlineOperator).await;
    let unit = app.seeded.unit_a.id;
    let supervisor = app.seeded.user(Role::Supervisor).id;
    let client = register(&op, unit, "陳淑芬", "91234567").await;

    // The caller's number finds the person as it is typed.
    let found = ok(op.get("/api/v1/hotline/lookup?q=1234567").await, 200).await;
    assert_eq!(found[0]["client_id"], client.as_str());

    // High risk needs a named supervisor and an action; a social worker is not one.
    let mut body = call(unit, "9123 4567", Some(&client), "imminent", "follow_up");
    let errs = refused(op.json(Method::POST, "/api/v1/hotline/calls", &body).await).await;
    assert_eq!(errs, [("escalate_to".into(), "escalation-required".into()), ("action".into(), "required".into())]);
    body["action"] = json!("Stayed on the line; agreed a safety plan.");
    body["escalate_to"] = json!(app.seeded.user(Role::SocialWorker).id);
    assert_eq!(
        refused(op.json(Method::POST, "/api/v1/hotline/calls", &body).await).await,
        [("escalate_to".into(), "not-a-supervisor".into())]
    );
    body["escalate_to"] = json!(supervisor);
    let logged = log(&op, &body).await;
    let id = logged["id"].as_str().unwrap().to_string();
    assert_eq!(logged["caller_phone"], "91234567");
    assert_eq!(logged["escalated_to"], supervisor.to_string());

    // The supervisor sees the escalation until acknowledging it; no one else may acknowledge.
    let sup = app.signed_in(Role::Supervisor).await;
    let q = ok(sup.get("/api/v1/hotline/follow-ups").await, 200).await;
    assert_eq!(q["escalations"][0]["id"], id.as_str());
    ok(op.json(Method::POST, &format!("/api/v1/hotline/calls/{id}/acknowledge"), &Value::Null).await, 403).await;
    ok(sup.json(Method::POST, &format!("/api/v1/hotline/calls/{id}/acknowledge"), &Value::Null).await, 200).await;
    ok(sup.json(Method::POST, &format!("/api/v1/hotline/calls/{id}/acknowledge"), &Value::Null).await, 409).await;
    assert_eq!(ok(sup.get("/api/v1/hotline/follow-ups").await, 200).await["escalations"], json!([]));

    // The follow-up is due a day later; once overdue it stays on the queue of the point's staff.
    let q = ok(op.get("/api/v1/hotline/follow-ups").await, 200).await;
    let item = &q["open"][0];
    assert_eq!(item["call_id"], id.as_str());
    assert_eq!(item["overdue"], false);
    let fid = item["id"].as_str().unwrap().to_string();
    app.db.clock.advance(Duration::hours(30));
    let op = app.signed_in(Role::HotlineOperator).await;
    let sup = app.signed_in(Role::Supervisor).await;
    for c in [&op, &sup] {
        let q = ok(c.get("/api/v1/hotline/follow-ups").await, 200).await;
        assert_eq!(q["open"][0]["id"], fid.as_str());
        assert_eq!(q["open"][0]["overdue"], true, "overdue, and still shown");
    }
    // Nothing in another unit's queue.
    let (other, _) = account(&app, "op-b", "hotline_operator", app.seeded.unit_b.id).await;
    assert_eq!(ok(other.get("/api/v1/hotline/follow-ups").await, 200).await["open"], json!([]));

    let path = format!("/api/v1/hotline/follow-ups/{fid}/done");
    assert_eq!(refused(op.json(Method::POST, &path, &json!({"result": " "})).await).await, [("result".into(), "required".into())]);
    ok(op.json(Method::POST, &path, &json!({"result": "Called back; she is safe at her sister's."})).await, 200).await;
    ok(op.json(Method::POST, &path, &json!({"result": "again"})).await, 409).await;
    let q = ok(op.get("/api/v1/hotline/follow-ups").await, 200).await;
    assert_eq!(q["open"], json!([]));
    assert_eq!(q["done"][0]["id"], fid.as_str());
}

#[db_test]
async fn call_notes_are_need_to_know_and_every_view_is_audited(app: TestApp) {
    let (unit_a, unit_b) = (app.seeded.unit_a.id, app.seeded.unit_b.id);
    let sw = app.signed_in(Role::SocialWorker).await;
    let client = register(&sw, unit_a, "李國強", "92345678").await;
    let case = json!({"unit_id": unit_a.to_string(), "client_id": client, "source": "walk_in", "case_type": "in_depth",
                      "risk": "low", "problems": ["family_conflict"], "intake_summary": "Intake."});
    ok(sw.json(Method::POST, "/api/v1/cases", &case).await, 201).await;

    // A call at unit B's hotline about the person whose case unit A holds.
    // (Unit B's operator cannot search unit A's registry, so the call is saved through the
    // store with the person linked, as an operator with both grants would.)
    let (op_b, op_b_id) = account(&app, "op-b2", "hotline_operator", unit_b).await;
    let org: OrgId = app.seeded.org;
    let mut input: CallInput = serde_json::from_value(call(unit_b, "92345678", Some(&client), "low", "resolved")).unwrap();
    input.client_id = Some(client.parse().unwrap());
    let fields = input.validate(app.db.clock.now(), &default_topics(), op_b_id).unwrap();
    let actor = Actor { org_id: org, user_id: Some(op_b_id), name: "op-b2".into() };
    let id = app.store().log_call(&actor, &fields).await.unwrap().id.to_string();
    let path = format!("/api/v1/hotline/calls/{id}");
    // The person's case worker reads it; unit B's operator (hotline staff of the point) too.
    assert_eq!(ok(sw.get(&path).await, 200).await["note"], "Caller worried about her husband's drinking.");
    ok(op_b.get(&path).await, 200).await;
    // Unit A's operator is neither; the admin configures the hotline but reads no notes; a
    // funder sees counts only.
    for role in [Role::HotlineOperator, Role::Admin, Role::FunderViewer, Role::Volunteer] {
        ok(app.signed_in(role).await.get(&path).await, 403).await;
    }
    // Volunteers log calls and read only their own.
    let vol = app.signed_in(Role::Volunteer).await;
    let own = log(&vol, &call(unit_a, "", None, "none", "resolved")).await;
    ok(vol.get(&format!("/api/v1/hotline/calls/{}", own["id"].as_str().unwrap())).await, 200).await;
    ok(vol.get("/api/v1/hotline/calls").await, 403).await;

    // Every view is in the audit log, and no audit row holds the note or the number.
    let entries = app.store().audit_for(org, "hotline_call", &id).await.unwrap();
    let views = entries.iter().filter(|e| e.action == "view").count();
    assert_eq!(views, 2, "{entries:?}");
    let all = app.store().list_audit(org, None, 1000).await.unwrap();
    assert!(all.iter().all(|e| !e.detail.contains("drinking")));
    assert!(all.iter().filter(|e| e.entity_type.starts_with("hotline")).all(|e| !e.detail.contains("92345678")));

    // The repeat-caller view: the case worker sees the call across points.
    let h = ok(sw.get(&format!("/api/v1/hotline/callers/{client}")).await, 200).await;
    assert_eq!(h["calls"].as_array().unwrap().len(), 1);
    let sup = app.signed_in(Role::Supervisor).await;
    let f = json!({"flag": "frequent_caller", "until": "2026-04-01"});
    ok(sup.json(Method::POST, &format!("/api/v1/hotline/callers/{client}/flags"), &f).await, 200).await;
    let h = ok(sw.get(&format!("/api/v1/hotline/callers/{client}")).await, 200).await;
    assert_eq!(h["flags"][0]["flag"], "frequent_caller");
    app.db.clock.advance(Duration::days(40));
    let sw = app.signed_in(Role::SocialWorker).await;
    let h = ok(sw.get(&format!("/api/v1/hotline/callers/{client}")).await, 200).await;
    assert_eq!(h["flags"], json!([]), "the flag expired");
}

#[db_test]
async fn twenty_operators_logging_at_once_lose_nothing(app: TestApp) {
    let unit = app.seeded.unit_a.id;
    let op = Arc::new(app.signed_in(Role::HotlineOperator).await);
    let mut set = tokio::task::JoinSet::new();
    for n in 0..20 {
        let op = Arc::clone(&op);
        set.spawn(async move {
            for k in 0..5 {
                let body = call(unit, &format!("6{:03}{:04}", n, k), None, "low", if k == 0 { "follow_up" } else { "resolved" });
                let r = op.json(Method::POST, "/api/v1/hotline/calls", &body).await;
                assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    let org = app.seeded.org;
    let calls = app.store().list_calls(org, &CallQuery { limit: 1000, ..Default::default() }).await.unwrap();
    assert_eq!(calls.len(), 100);
    assert_eq!(app.store().follow_ups(org, None, None).await.unwrap().len(), 20);
    assert_eq!(app.store().verify_audit(org).await.unwrap().first_bad_seq, None, "the audit chain holds under concurrent writes");
    let sup = app.signed_in(Role::Supervisor).await;
    let s = ok(sup.get("/api/v1/hotline/stats").await, 200).await;
    assert_eq!((s["calls"].as_u64(), s["unique_callers"].as_u64()), (Some(100), Some(100)));
}

#[db_test]
async fn two_unanswered_check_ins_send_a_home_visit(app: TestApp) {
    let unit = app.seeded.unit_a.id;
    let sup = app.signed_in(Role::Supervisor).await;
    let operator = app.seeded.user(Role::HotlineOperator).id;
    let alone = register(&sup, unit, "獨居長者", "93456789").await;
    let with_case = register(&sup, unit, "有個案長者", "93456780").await;
    let case = json!({"unit_id": unit.to_string(), "client_id": with_case, "source": "outreach", "case_type": "in_depth",
                      "risk": "medium", "problems": ["elderly_care"], "intake_summary": "Lives alone."});
    let case_id: CaseId = ok(sup.json(Method::POST, "/api/v1/cases", &case).await, 201).await["id"].as_str().unwrap().parse().unwrap();

    let mut ids = vec![];
    for c in [&alone, &with_case] {
        let s = json!({"unit_id": unit.to_string(), "client_id": c, "worker_id": operator, "every_days": 2});
        ids.push(ok(sup.json(Method::POST, "/api/v1/hotline/check-ins", &s).await, 201).await["id"].as_str().unwrap().to_string());
    }
    let bad = json!({"unit_id": unit.to_string(), "client_id": alone, "worker_id": operator, "every_days": 0});
    assert_eq!(
        refused(sup.json(Method::POST, "/api/v1/hotline/check-ins", &bad).await).await,
        [("every_days".into(), "out-of-range".into())]
    );
    let op = app.signed_in(Role::HotlineOperator).await;
    ok(op.json(Method::POST, "/api/v1/hotline/check-ins", &bad).await, 403).await;

    // The operator's list for the day.
    let list = ok(op.get("/api/v1/hotline/check-ins").await, 200).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(ok(sup.get("/api/v1/hotline/check-ins").await, 200).await, json!([]), "the supervisor makes none of them");
    assert_eq!(ok(sup.get("/api/v1/hotline/check-ins?all=true").await, 200).await.as_array().unwrap().len(), 2);

    for id in &ids {
        let a = ok(op.json(Method::POST, &format!("/api/v1/hotline/check-ins/{id}/attempts"), &json!({"result": "no_answer"})).await, 200)
            .await;
        assert_eq!(a["schedule"]["misses"], 1);
        assert_eq!(a["schedule"]["next_due_on"], "2026-03-03", "tried again the next day");
    }
    app.db.clock.advance(Duration::days(1));
    let op = app.signed_in(Role::HotlineOperator).await;
    let first =
        ok(op.json(Method::POST, &format!("/api/v1/hotline/check-ins/{}/attempts", ids[0]), &json!({"result": "failed"})).await, 200).await;
    assert_eq!(first["home_visit"]["kind"], "home_visit");
    assert_eq!(first["schedule"]["next_due_on"], "2026-03-05");
    let q = ok(op.get("/api/v1/hotline/follow-ups").await, 200).await;
    assert_eq!(q["open"][0]["kind"], "home_visit");
    assert_eq!(q["open"][0]["client_id"], alone.as_str());

    let second =
        ok(op.json(Method::POST, &format!("/api/v1/hotline/check-ins/{}/attempts", ids[1]), &json!({"result": "no_answer"})).await, 200)
            .await;
    assert_eq!(second["home_visit"], Value::Null);
    assert_eq!(second["home_visit_case"], case_id.to_string(), "an open case gets a task instead");
    let tasks = app.store().tasks(app.seeded.org, case_id).await.unwrap();
    assert_eq!(tasks.len(), 1);
    let worker = app.store().get_case(app.seeded.org, case_id).await.unwrap().worker_id;
    let locale = app.store().get_user(app.seeded.org, worker).await.unwrap().locale;
    assert_eq!(tasks[0].title, shegong_domain::hotline::home_visit_task_title(locale), "the task reads in the case worker's language");
    let sid: CheckInScheduleId = ids[1].parse().unwrap();
    assert_eq!(app.store().get_schedule(app.seeded.org, sid).await.unwrap().misses, 0);

    let sup = app.signed_in(Role::Supervisor).await;
    let s = ok(sup.get("/api/v1/hotline/stats?from=2026-03-01&to=2026-03-31&by=day").await, 200).await;
    assert_eq!(s["check_ins"], 4);
}

#[db_test]
async fn a_case_opens_from_a_call_and_points_keep_their_roster(app: TestApp) {
    let unit = app.seeded.unit_a.id;
    let sw = app.signed_in(Role::SocialWorker).await;
    let client = register(&sw, unit, "張家明", "94567890").await;
    let logged = log(&sw, &call(unit, "94567890", Some(&client), "medium", "referred_case")).await;
    let id = logged["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/hotline/calls/{id}/case");
    ok(sw.json(Method::POST, &path, &json!({})).await, 422).await;
    let out = ok(sw.json(Method::POST, &path, &json!({"problems": ["family_conflict"]})).await, 201).await;
    assert_eq!(out["case"]["source"], "hotline");
    assert_eq!(out["case"]["source_detail"], format!("hotline-call:{id}"));
    assert_eq!(out["case"]["intake_summary"], "Caller worried about her husband's drinking.");
    assert_eq!(out["case"]["risk"], "medium");
    assert_eq!(out["call"]["case_id"], out["case"]["id"]);
    assert_eq!(
        refused(sw.json(Method::POST, &path, &json!({"problems": ["family_conflict"]})).await).await,
        [("case".into(), "case-already-opened".into())]
    );
    // The operator may not open cases.
    let op = app.signed_in(Role::HotlineOperator).await;
    let other = log(&op, &call(unit, "94567890", Some(&client), "low", "resolved")).await;
    ok(
        op.json(Method::POST, &format!("/api/v1/hotline/calls/{}/case", other["id"].as_str().unwrap()), &json!({"problems": ["housing"]}))
            .await,
        403,
    )
    .await;

    // Points: numbers and hours with optimistic versions; a roster of who logs calls there.
    let sup = app.signed_in(Role::Supervisor).await;
    let p = format!("/api/v1/hotline/points/{unit}");
    let body = json!({"numbers": ["2345 6789", "+852 9876 5432"], "opening_hours": "Mon–Sun 09:00–23:00", "version": 0});
    let saved = ok(sup.json(Method::PUT, &p, &body).await, 200).await;
    assert_eq!(saved["numbers"], json!(["23456789", "98765432"]));
    ok(sup.json(Method::PUT, &p, &body).await, 409).await;
    ok(op.json(Method::PUT, &p, &json!({"numbers": ["23456789"], "version": 1})).await, 403).await;
    let start = app.db.clock.now();
    let shift = json!({"user_id": app.seeded.user(Role::Volunteer).id, "starts_at": start - Duration::hours(1), "ends_at": start + Duration::hours(3)});
    ok(sup.json(Method::POST, &format!("{p}/shifts"), &shift).await, 201).await;
    let funder = json!({"user_id": app.seeded.user(Role::FunderViewer).id, "starts_at": start, "ends_at": start + Duration::hours(3)});
    assert_eq!(
        refused(sup.json(Method::POST, &format!("{p}/shifts"), &funder).await).await,
        [("user_id".into(), "worker-not-in-unit".into())]
    );
    let view = ok(op.get(&p).await, 200).await;
    assert_eq!(view["on_duty"][0]["user_id"], app.seeded.user(Role::Volunteer).id.to_string());

    let s = ok(sup.get("/api/v1/hotline/stats?by=topic").await, 200).await;
    assert_eq!((s["calls"].as_u64(), s["unique_callers"].as_u64()), (Some(2), Some(1)));
    assert_eq!(s["shifts"], 1);
    assert_eq!(s["staff_hours"], 4.0);
}
