//! Toy library: a toy lent and returned with a missing part (repair queue, points), one toy
//! never lent twice however many counters try at once, redemptions that never overdraw, the
//! waiting list with transfer to the family's nearest unit, reminders through the log sender,
//! workshop attendance earning points once, the family's own page, photos checked and served
//! safely, the reports, and agencies and units that see nothing of each other.
//! The seeded clock stands at 2026-03-02 09:00 in Hong Kong.

use chrono::Duration;
use proptest::strategy::{Strategy, ValueTree};
use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::{Actor, Role};
use shegong_domain::activities::{ActivityInput, AttendanceInput, SessionInput};
use shegong_domain::ids::MemberId;
use shegong_domain::lending::{balance, Reward};
use shegong_domain::ports::{ActivitiesRepo, AuditRepo, ClientsRepo, LendingRepo};
use shegong_testkit::{db_test, ok, refused, Client, TestApp, PASSWORD};
use std::sync::Arc;

/// A household of one (its head), registered in `unit`, with home coordinates when given.
async fn household(c: &Client, unit: impl std::fmt::Display, name: &str, phone: &str, home: Option<(&str, &str)>) -> String {
    let (lat, lng) = home.unwrap_or(("", ""));
    let body = json!({"unit_id": unit.to_string(), "name_zh": name, "sex": "female", "date_of_birth": "1990-05-01",
                      "phones": [phone], "latitude": lat, "longitude": lng, "preferred_language": "cantonese"});
    let client =
        ok(c.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await, 201).await["id"].as_str().unwrap().to_string();
    let h = json!({"unit_id": unit.to_string(), "name": format!("{name}家"), "members": [{"client_id": client, "relationship": "head"}]});
    ok(c.json(Method::POST, "/api/v1/households", &h).await, 201).await["id"].as_str().unwrap().to_string()
}

/// Enrols a household; returns (member id, member number).
async fn member(c: &Client, unit: impl std::fmt::Display, household: &str) -> (String, String) {
    let m =
        ok(c.json(Method::POST, "/api/v1/lending/members", &json!({"household_id": household, "unit_id": unit.to_string()})).await, 201)
            .await;
    (m["id"].as_str().unwrap().into(), m["member_no"].as_str().unwrap().into())
}

async fn toy(c: &Client, unit: impl std::fmt::Display, name: &str, parts: i32) -> Value {
    let body = json!({"home_unit_id": unit.to_string(), "name": name, "age_min_months": 12, "age_max_months": 48,
                      "areas": ["fine_motor", "cognitive"], "parts": parts});
    ok(c.json(Method::POST, "/api/v1/lending/toys", &body).await, 201).await
}

async fn lend(c: &Client, unit: impl std::fmt::Display, member_no: &str, code: &str) -> reqwest::Response {
    c.json(Method::POST, "/api/v1/lending/loans", &json!({"unit_id": unit.to_string(), "member_no": member_no, "toy_code": code})).await
}

async fn give_back(c: &Client, unit: impl std::fmt::Display, loan: &str, parts: i32, condition: &str) -> reqwest::Response {
    let body = json!({"unit_id": unit.to_string(), "parts_returned": parts, "condition": condition, "note": "Counted at the counter."});
    c.json(Method::POST, &format!("/api/v1/lending/loans/{loan}/return"), &body).await
}

/// A new account with one role in one unit, signed in.
async fn account(app: &TestApp, username: &str, role: &str, unit: impl std::fmt::Display) -> Client {
    let admin = app.signed_in(Role::Admin).await;
    let body = json!({"username": username, "display_name": username, "password": PASSWORD,
                      "grants": [{"role": role, "unit_id": unit.to_string()}]});
    ok(admin.json(Method::POST, "/api/v1/users", &body).await, 201).await;
    let c = app.client();
    assert_eq!(c.login(username, PASSWORD).await.status(), 303);
    c
}

#[db_test]
async fn a_return_with_a_missing_part_goes_to_the_repair_queue_and_earns_points_on_time(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let h = household(&sw, unit, "陳美玲", "91234567", None).await;
    let (member_id, no) = member(&sw, unit, &h).await;
    assert_eq!(no, "M000001");
    // A household joins once.
    let again = sw.json(Method::POST, "/api/v1/lending/members", &json!({"household_id": h, "unit_id": unit.to_string()})).await;
    assert_eq!(refused(again).await, [("household_id".into(), "already-member".into())]);

    let sorter = toy(&sw, unit, "形狀配對盒", 12).await;
    assert_eq!(sorter["code"], "T000001");
    assert_eq!(sorter["status"], "available");
    let code = sorter["code"].as_str().unwrap();

    // Scanned at the counter: lent for the membership's 14 days.
    let loan = ok(lend(&sw, unit, &no.to_lowercase(), &format!(" {} ", code.to_lowercase())).await, 201).await;
    assert_eq!(loan["due_on"], "2026-03-16");
    assert_eq!(loan["parts_out"], 12);
    let loan_id = loan["id"].as_str().unwrap().to_string();

    // Back on time with one part missing: the toy goes to the repair queue, not the shelf.
    app.db.clock.advance(Duration::days(10));
    let sw = app.signed_in(Role::SocialWorker).await;
    assert_eq!(refused(give_back(&sw, unit, &loan_id, 13, "good").await).await, [("parts_returned".into(), "out-of-range".into())]);
    let out = ok(give_back(&sw, unit, &loan_id, 11, "good").await, 200).await;
    assert_eq!(out["toy_status"], "in_repair");
    assert_eq!(out["repair"]["kind"], "missing_parts");
    assert_eq!(out["repair"]["parts_missing"], 1);
    assert_eq!(out["points"], 5, "an on-time return earns the rule's points");
    ok(give_back(&sw, unit, &loan_id, 11, "good").await, 409).await;

    let queue = ok(sw.get("/api/v1/lending/repairs").await, 200).await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(queue[0]["toy_code"], code);
    // A toy in repair cannot go out.
    let other = household(&sw, unit, "李家明", "92345678", None).await;
    let (_, no2) = member(&sw, unit, &other).await;
    assert_eq!(refused(lend(&sw, unit, &no2, code).await).await, [("toy_code".into(), "toy-not-available".into())]);

    let m = ok(sw.get(&format!("/api/v1/lending/members/{member_id}")).await, 200).await;
    assert_eq!(m["member"]["points"], 5);
    assert_eq!(m["points"][0]["reason"], "on_time_return");

    // Resolved with a replacement part it comes back to the shelf; a late return earns nothing.
    let rid = queue[0]["id"].as_str().unwrap();
    ok(sw.json(Method::POST, &format!("/api/v1/lending/repairs/{rid}/resolve"), &json!({"resolution": "repaired"})).await, 200).await;
    ok(sw.json(Method::POST, &format!("/api/v1/lending/repairs/{rid}/resolve"), &json!({"resolution": "repaired"})).await, 409).await;
    let loan = ok(lend(&sw, unit, &no, code).await, 201).await;
    app.db.clock.advance(Duration::days(20));
    let sw = app.signed_in(Role::SocialWorker).await;
    let out = ok(give_back(&sw, unit, loan["id"].as_str().unwrap(), 12, "worn").await, 200).await;
    assert_eq!((out["toy_status"].as_str(), out["points"].as_i64()), (Some("available"), Some(0)));

    // The household's limit holds (standard: 3 at once).
    for n in 0..3 {
        let t = toy(&sw, unit, &format!("積木 {n}"), 20).await;
        ok(lend(&sw, unit, &no, t["code"].as_str().unwrap()).await, 201).await;
    }
    let t = toy(&sw, unit, "拼圖", 24).await;
    assert_eq!(refused(lend(&sw, unit, &no, t["code"].as_str().unwrap()).await).await, [("member_no".into(), "loan-limit".into())]);

    // Audit rows name ids and codes, never the household's name or phone.
    let all = app.store().list_audit(app.seeded.org, None, 1000).await.unwrap();
    let lending: Vec<_> = all.iter().filter(|e| e.entity_type.starts_with("lending")).collect();
    assert!(lending.len() >= 10);
    assert!(lending.iter().all(|e| !e.detail.contains("陳美玲") && !e.detail.contains("91234567")));
}

#[db_test]
async fn one_toy_is_never_lent_twice_however_many_counters_try_at_once(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let t = toy(&sw, unit, "木製火車", 30).await;
    let code = t["code"].as_str().unwrap().to_string();
    let mut numbers = Vec::new();
    for n in 0..12 {
        let h = household(&sw, unit, &format!("家庭{n}"), &format!("6{n:07}"), None).await;
        numbers.push(member(&sw, unit, &h).await.1);
    }
    let sw = Arc::new(sw);
    let mut set = tokio::task::JoinSet::new();
    for no in numbers {
        let (sw, code) = (Arc::clone(&sw), code.clone());
        set.spawn(async move {
            let r = lend(&sw, unit, &no, &code).await;
            let status = r.status().as_u16();
            (status, r.text().await.unwrap())
        });
    }
    let (mut lent, mut refused_twice) = (0, 0);
    while let Some(r) = set.join_next().await {
        let (status, body) = r.unwrap();
        match status {
            201 => lent += 1,
            422 => {
                let v: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(v["error"]["fields"][0]["code"], "toy-on-loan", "{body}");
                assert_eq!(v["error"]["fields"][0]["message"], "This toy is already on loan; it cannot be lent twice.");
                refused_twice += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((lent, refused_twice), (1, 11));
    let open = ok(sw.get("/api/v1/lending/loans?open=true").await, 200).await;
    assert_eq!(open.as_array().unwrap().len(), 1, "one open loan: the toy is in one place");
    let toys = ok(sw.get(&format!("/api/v1/lending/toys?q={code}")).await, 200).await;
    assert_eq!(toys[0]["status"], "on_loan");
}

#[db_test]
async fn redemptions_never_take_a_balance_below_zero_and_the_ledger_is_the_balance(app: TestApp) {
    let admin = app.signed_in(Role::Admin).await;
    let mut s = ok(admin.get("/api/v1/lending/settings").await, 200).await;
    s["points"]["on_time_return"] = json!(40);
    ok(admin.json(Method::PUT, "/api/v1/lending/settings", &s).await, 200).await;
    // Types members hold cannot be removed.
    let mut gone = s.clone();
    gone["membership_types"] = json!([s["membership_types"][1].clone()]);
    assert_eq!(
        refused(admin.json(Method::PUT, "/api/v1/lending/settings", &gone).await).await,
        [("membership_types".into(), "code-kept".into())]
    );

    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let h = household(&sw, unit, "黃家", "93456789", None).await;
    let (member_id, no) = member(&sw, unit, &h).await;
    let t = toy(&sw, unit, "雪花片", 100).await;
    let loan = ok(lend(&sw, unit, &no, t["code"].as_str().unwrap()).await, 201).await;
    ok(give_back(&sw, unit, loan["id"].as_str().unwrap(), 100, "good").await, 200).await;

    // 40 points; ten counters try to spend 30 at once: exactly one succeeds.
    let sw = Arc::new(sw);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (sw, member_id) = (Arc::clone(&sw), member_id.clone());
        set.spawn(async move {
            let r =
                sw.json(Method::POST, &format!("/api/v1/lending/members/{member_id}/redemptions"), &json!({"reward": "stationery"})).await;
            r.status().as_u16()
        });
    }
    let mut codes = Vec::new();
    while let Some(r) = set.join_next().await {
        codes.push(r.unwrap());
    }
    codes.sort();
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 201 || *c == 422), "{codes:?}");
    let m = ok(sw.get(&format!("/api/v1/lending/members/{member_id}")).await, 200).await;
    assert_eq!(m["member"]["points"], 10);
    let ledger: i64 = m["points"].as_array().unwrap().iter().map(|e| e["delta"].as_i64().unwrap()).sum();
    assert_eq!(ledger, 10, "the balance is the ledger's sum");
    let short = sw.json(Method::POST, &format!("/api/v1/lending/members/{member_id}/redemptions"), &json!({"reward": "book"})).await;
    assert_eq!(refused(short).await, [("reward".into(), "points-short".into())]);
    // The ledger is append-only in the database itself.
    assert!(app.store().execute_raw("UPDATE lending_points SET delta = 1000").await.is_err());
    assert!(app.store().execute_raw("DELETE FROM lending_points").await.is_err());
}

/// Random earnings and redemptions straight through the store (the sequences are drawn by
/// proptest): the stored balance always equals the sum of the ledger and never goes below zero.
#[db_test]
async fn the_stored_balance_equals_a_replay_of_the_ledger(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let store = app.store();
    let org = app.seeded.org;
    let actor = Actor::from(app.seeded.user(Role::SocialWorker));
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec((any_bool(), 1i64..40), 5..25);
    for case in 0..4 {
        let h = household(&sw, unit, &format!("回放{case}"), &format!("5{case:07}"), None).await;
        let (member_id, no) = member(&sw, unit, &h).await;
        let id: MemberId = member_id.parse().unwrap();
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        let mut model = 0i64;
        for (i, (earn, n)) in ops.into_iter().enumerate() {
            if earn {
                // Earn through the real path: an on-time return of a toy with `n` parts.
                let t = toy(&sw, unit, &format!("回放玩具{case}-{i}"), 1).await;
                let loan = ok(lend(&sw, unit, &no, t["code"].as_str().unwrap()).await, 201).await;
                ok(give_back(&sw, unit, loan["id"].as_str().unwrap(), 1, "good").await, 200).await;
                model += 5;
            } else {
                let reward = Reward {
                    code: "test".into(),
                    name_en: "t".into(),
                    name_zh_hant: "t".into(),
                    name_zh_hans: "t".into(),
                    cost: n,
                    active: true,
                };
                let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
                let r = store.redeem(&actor, id, &reward, today).await;
                assert_eq!(r.is_ok(), model >= n, "redeeming {n} of {model}");
                if r.is_ok() {
                    model -= n;
                }
            }
            let stored = store.get_member(org, id).await.unwrap().points;
            let ledger = store.points(org, id).await.unwrap();
            assert_eq!(stored, balance(&ledger), "stored balance = the ledger's sum");
            assert_eq!(stored, model, "stored balance = the replay");
            assert!(stored >= 0);
        }
    }
}

fn any_bool() -> impl Strategy<Value = bool> {
    proptest::bool::ANY
}

#[db_test]
async fn a_reserved_toy_travels_to_the_familys_nearest_unit(app: TestApp) {
    let admin = app.signed_in(Role::Admin).await;
    let (unit_a, unit_b) = (app.seeded.unit_a.id, app.seeded.unit_b.id);
    // Unit A in Wan Chai, unit B in Tseung Kwan O.
    for (u, code, name, lat, lng) in
        [(unit_a, "UNIT-A", "甲中心", "22.2776", "114.1747"), (unit_b, "UNIT-B", "乙中心", "22.3074", "114.2600")]
    {
        let cur = ok(admin.get(&format!("/api/v1/units/{u}")).await, 200).await;
        let body = json!({"version": cur["version"], "code": code, "name_zh_hant": name, "unit_type": "toy_library",
                          "district": "灣仔", "latitude": lat, "longitude": lng, "active": true});
        ok(admin.json(Method::PUT, &format!("/api/v1/units/{u}"), &body).await, 200).await;
    }
    let sw = app.signed_in(Role::SocialWorker).await;
    let t = toy(&sw, unit_a, "磁力片", 40).await;
    let (toy_id, code) = (t["id"].as_str().unwrap().to_string(), t["code"].as_str().unwrap().to_string());
    let first = household(&sw, unit_a, "第一家", "94567890", None).await;
    let (_, first_no) = member(&sw, unit_a, &first).await;
    // The second family lives in Hang Hau, nearest to unit B.
    let second = household(&sw, unit_a, "第二家", "95678901", Some(("22.3155", "114.2644"))).await;
    let (second_id, second_no) = member(&sw, unit_a, &second).await;

    let loan = ok(lend(&sw, unit_a, &first_no, &code).await, 201).await;
    let loan_id = loan["id"].as_str().unwrap().to_string();
    let r = ok(sw.json(Method::POST, "/api/v1/lending/reservations", &json!({"toy_id": toy_id, "member_id": second_id})).await, 201).await;
    assert_eq!(r["pickup_unit_id"], unit_b.to_string(), "collected at the family's nearest unit");
    assert_eq!(r["status"], "waiting");
    let again = sw.json(Method::POST, "/api/v1/lending/reservations", &json!({"toy_id": toy_id, "member_id": second_id})).await;
    assert_eq!(refused(again).await, [("toy".into(), "already-reserved".into())]);
    // No renewal while a family waits.
    let renew = sw.json(Method::POST, &format!("/api/v1/lending/loans/{loan_id}/renew"), &Value::Null).await;
    assert_eq!(refused(renew).await, [("loan".into(), "renewal-reserved".into())]);

    // Returned at A, it travels to B.
    let out = ok(give_back(&sw, unit_a, &loan_id, 40, "good").await, 200).await;
    assert_eq!(out["toy_status"], "in_transit");
    assert_eq!(out["transfer"]["to_unit_id"], unit_b.to_string());
    let tid = out["transfer"]["id"].as_str().unwrap().to_string();
    // Unit A's staff cannot receive it for unit B; B's counter assistant does.
    ok(sw.json(Method::POST, &format!("/api/v1/lending/transfers/{tid}/receive"), &Value::Null).await, 403).await;
    let b = account(&app, "toys-b", "volunteer", unit_b).await;
    assert_eq!(ok(b.get("/api/v1/lending/transfers").await, 200).await[0]["id"], tid.as_str());
    ok(b.json(Method::POST, &format!("/api/v1/lending/transfers/{tid}/receive"), &Value::Null).await, 200).await;
    ok(b.json(Method::POST, &format!("/api/v1/lending/transfers/{tid}/receive"), &Value::Null).await, 409).await;
    let view = ok(sw.get(&format!("/api/v1/lending/toys/{toy_id}")).await, 200).await;
    assert_eq!((view["toy"]["status"].as_str(), view["toy"]["unit_id"].as_str()), (Some("on_hold"), Some(unit_b.to_string().as_str())));
    assert_eq!(view["waiting"][0]["status"], "ready");
    // Held for the second family: the first cannot take it, the second can, at B.
    assert_eq!(refused(lend(&b, unit_b, &first_no, &code).await).await, [("toy_code".into(), "toy-held-for-another".into())]);
    assert_eq!(refused(lend(&sw, unit_a, &second_no, &code).await).await, [("toy_code".into(), "toy-elsewhere".into())]);
    ok(lend(&b, unit_b, &second_no, &code).await, 201).await;
    let view = ok(sw.get(&format!("/api/v1/lending/toys/{toy_id}")).await, 200).await;
    assert_eq!(view["waiting"], json!([]), "the reservation was fulfilled");
}

#[db_test]
async fn reminders_are_listed_per_unit_and_sent_through_the_log_sender(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let h = household(&sw, unit, "何家", "96789012", None).await;
    let (_, no) = member(&sw, unit, &h).await;
    let t1 = toy(&sw, unit, "音樂盒", 1).await;
    ok(lend(&sw, unit, &no, t1["code"].as_str().unwrap()).await, 201).await;
    app.db.clock.advance(Duration::days(7));
    let sw = app.signed_in(Role::SocialWorker).await;
    let t2 = toy(&sw, unit, "手偶", 2).await;
    ok(lend(&sw, unit, &no, t2["code"].as_str().unwrap()).await, 201).await;
    // Day 13 of the first loan (due day 14) and day 6 of the second.
    app.db.clock.advance(Duration::days(6) + Duration::hours(1));
    let sw = app.signed_in(Role::SocialWorker).await;
    let path = format!("/api/v1/lending/reminders?unit_id={unit}");
    let r = ok(sw.get(&path).await, 200).await;
    assert_eq!(r["due_soon"].as_array().unwrap().len(), 1);
    assert_eq!(r["overdue"], json!([]));
    assert_eq!(r["channel"], "log");
    app.db.clock.advance(Duration::days(3));
    let sw = app.signed_in(Role::SocialWorker).await;
    let r = ok(sw.get(&path).await, 200).await;
    assert_eq!(r["overdue"][0]["loan"]["toy_name"], "音樂盒");
    let sent = ok(sw.json(Method::POST, "/api/v1/lending/reminders/send", &json!({"unit_id": unit.to_string()})).await, 200).await;
    assert_eq!(sent["sent"], 1);
    let again = ok(sw.json(Method::POST, "/api/v1/lending/reminders/send", &json!({"unit_id": unit.to_string()})).await, 200).await;
    assert_eq!((again["sent"].as_u64(), again["skipped"].as_u64()), (Some(0), Some(1)), "once a day at most");
    let r = ok(sw.get(&path).await, 200).await;
    let rec = &r["sent"][0];
    assert_eq!(rec["recipient"], "****9012", "what was sent is recorded with the number masked");
    assert_eq!(rec["status"], "logged");
    assert!(rec["message"].as_str().unwrap().contains("音樂盒"), "{rec}");
    // Another unit's staff see nothing of it.
    let b = account(&app, "toys-b2", "social_worker", app.seeded.unit_b.id).await;
    ok(b.get(&path).await, 403).await;
}

#[db_test]
async fn workshop_attendance_earns_points_once(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let h = household(&sw, unit, "親子家", "97890123", None).await;
    let (member_id, _) = member(&sw, unit, &h).await;
    let store = app.store();
    let org = app.seeded.org;
    let actor = Actor::from(app.seeded.user(Role::SocialWorker));
    let head: shegong_domain::ids::HouseholdId = h.parse().unwrap();
    let client = store.get_household(org, head).await.unwrap().members[0].client_id;
    let domains = store.activity_domains(org).await.unwrap();
    let mut ids = Vec::new();
    for (kind, title) in [("workshop", "親子遊戲工作坊"), ("programme", "親子同樂日")] {
        let input = ActivityInput {
            unit_id: Some(unit),
            kind: kind.into(),
            title_zh_hant: title.into(),
            domain: "family".into(),
            ..Default::default()
        };
        let a = store.create_activity(&actor, &input.validate(&domains, &[]).unwrap()).await.unwrap();
        let s = SessionInput { date: "2026-03-02".into(), starts_at: "10:00".into(), ends_at: "11:00".into(), venue: String::new() };
        let s = store.add_session(&actor, a.id, &s.validate().unwrap()).await.unwrap();
        store.enrol(&actor, a.id, &[client], None).await.unwrap();
        ids.push(s.id);
    }
    let person = store.person_number(org, client).await.unwrap();
    for s in &ids {
        store
            .mark_attendance(&actor, *s, &AttendanceInput { present: vec![person], absent: vec![], all_enrolled_present: false })
            .await
            .unwrap();
    }
    let path = format!("/api/v1/lending/members/{member_id}");
    let m = ok(sw.get(&path).await, 200).await;
    assert_eq!(m["member"]["points"], 13, "10 for the workshop, 3 for the programme");
    let m = ok(sw.get(&path).await, 200).await;
    assert_eq!(m["member"]["points"], 13, "each attendance earns once");
    let reasons: Vec<&str> = m["points"].as_array().unwrap().iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"workshop") && reasons.contains(&"activity"), "{reasons:?}");
}

#[db_test]
async fn the_family_page_shows_points_and_toys_and_nothing_of_the_staff(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let h = household(&sw, unit, "張小明", "98901234", None).await;
    let (member_id, no) = member(&sw, unit, &h).await;
    let t = toy(&sw, unit, "故事卡", 10).await;
    ok(lend(&sw, unit, &no, t["code"].as_str().unwrap()).await, 201).await;
    let card = ok(sw.json(Method::POST, &format!("/api/v1/lending/members/{member_id}/card"), &Value::Null).await, 200).await;
    let path = card["path"].as_str().unwrap().to_string();
    assert!(path.starts_with("/family/") && path.len() > 40);
    let family = app.client();
    let (status, body) = family.page(&path).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("故事卡") && body.contains(&no), "{body}");
    assert!(body.contains("積分結餘：0"), "the balance, in Traditional Chinese by default");
    assert!(!body.contains("social_worker") && !body.contains("/logout"), "no staff data, no staff navigation");
    // A made-up link finds nothing; a new card stops the old link.
    assert_eq!(family.page("/family/not-a-real-link-at-all-000000000").await.0, 404);
    ok(sw.json(Method::POST, &format!("/api/v1/lending/members/{member_id}/card"), &Value::Null).await, 200).await;
    assert_eq!(family.page(&path).await.0, 404);
}

#[db_test]
async fn photos_are_checked_by_their_bytes_and_served_without_script(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let t = toy(&sw, unit, "布書", 1).await;
    let id = t["id"].as_str().unwrap();
    let url = sw.url(&format!("/api/v1/lending/toys/{id}/photo"));
    let token = sw.csrf().await;
    let put = |bytes: Vec<u8>, ctype: &'static str| {
        let (http, url, token) = (sw.http.clone(), url.clone(), token.clone());
        async move { http.put(url).header("x-csrf-token", token).header("content-type", ctype).body(bytes).send().await.unwrap() }
    };
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec();
    assert_eq!(refused(put(svg, "image/jpeg").await).await, [("photo".into(), "photo-type".into())]);
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend(std::iter::repeat_n(7u8, 5000));
    let toy_after = ok(put(jpeg.clone(), "application/octet-stream").await, 200).await;
    assert_eq!(toy_after["has_photo"], true);
    let r = sw.get(&format!("/api/v1/lending/toys/{id}/photo")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg", "served as what the bytes are");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), jpeg);
    let big = vec![0xFFu8; 3 * 1024 * 1024];
    assert_eq!(put(big, "image/jpeg").await.status(), 413);
    // The label is a QR code of the toy's code.
    let r = sw.get(&format!("/api/v1/lending/toys/{id}/label")).await;
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().starts_with("<?xml"));
}

#[db_test]
async fn reports_count_loans_households_overdue_and_points(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let h1 = household(&sw, unit, "甲家", "61000001", None).await;
    let h2 = household(&sw, unit, "乙家", "61000002", None).await;
    let (_, n1) = member(&sw, unit, &h1).await;
    let (_, n2) = member(&sw, unit, &h2).await;
    let a = toy(&sw, unit, "積木車", 8).await;
    let b = toy(&sw, unit, "農場動物", 6).await;
    let l1 = ok(lend(&sw, unit, &n1, a["code"].as_str().unwrap()).await, 201).await;
    let l2 = ok(lend(&sw, unit, &n2, b["code"].as_str().unwrap()).await, 201).await;
    ok(give_back(&sw, unit, l1["id"].as_str().unwrap(), 8, "good").await, 200).await;
    ok(lend(&sw, unit, &n2, a["code"].as_str().unwrap()).await, 201).await;
    app.db.clock.advance(Duration::days(20));
    let sw = app.signed_in(Role::SocialWorker).await;
    ok(give_back(&sw, unit, l2["id"].as_str().unwrap(), 6, "good").await, 200).await;
    let r = ok(sw.get("/api/v1/lending/reports?from=2026-03-01&to=2026-03-31").await, 200).await;
    assert_eq!(r["loans"], 3);
    assert_eq!(r["active_households"], 2);
    assert_eq!(r["by_unit_month"][0]["month"], "2026-03");
    assert_eq!(r["most_borrowed"][0]["name"], "積木車");
    assert_eq!((r["loans_due"].as_u64(), r["loans_late"].as_u64()), (Some(3), Some(2)), "one back on time, one late, one still out");
    assert_eq!(r["points_issued"], 5);
    let b = account(&app, "toys-b3", "supervisor", app.seeded.unit_b.id).await;
    let rb = ok(b.get("/api/v1/lending/reports?from=2026-03-01&to=2026-03-31").await, 200).await;
    assert_eq!(rb["loans"], 0, "another unit's figures hold none of unit A's loans");
}

#[db_test]
async fn another_agency_and_another_unit_see_nothing(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let h = household(&sw, unit, "私隱家", "62000001", None).await;
    let (member_id, no) = member(&sw, unit, &h).await;
    let t = toy(&sw, unit, "私隱玩具", 3).await;
    let toy_id = t["id"].as_str().unwrap();
    // Another agency.
    let other = shegong_testkit::seed(app.store(), "other-").await;
    let them = app.client();
    assert_eq!(them.login(&other.user(Role::Supervisor).username, PASSWORD).await.status(), 303);
    ok(them.get(&format!("/api/v1/lending/toys/{toy_id}")).await, 404).await;
    ok(them.get(&format!("/api/v1/lending/members/{member_id}")).await, 404).await;
    assert_eq!(ok(them.get("/api/v1/lending/toys").await, 200).await, json!([]));
    assert_eq!(ok(them.get("/api/v1/lending/members").await, 200).await, json!([]));
    let cross = lend(&them, other.unit_a.id, &no, t["code"].as_str().unwrap()).await;
    assert_eq!(refused(cross).await, [("member_no".into(), "unknown-member".into())]);
    // Another unit of the same agency: its lists hold none of unit A's households.
    let b = account(&app, "toys-b4", "social_worker", app.seeded.unit_b.id).await;
    assert_eq!(ok(b.get("/api/v1/lending/members").await, 200).await, json!([]));
    ok(b.get(&format!("/api/v1/lending/members/{member_id}")).await, 403).await;
    assert_eq!(ok(b.get("/api/v1/lending/repairs").await, 200).await, json!([]));
    // The data-access export of the household's head holds the toy-library record.
    let sup = app.signed_in(Role::Supervisor).await;
    let hh: shegong_domain::ids::HouseholdId = h.parse().unwrap();
    let client = app.store().get_household(app.seeded.org, hh).await.unwrap().members[0].client_id;
    let export = ok(sup.get(&format!("/api/v1/clients/{client}/data-export")).await, 200).await;
    assert_eq!(export["toy_library"]["member"]["member_no"], no.as_str());
}
