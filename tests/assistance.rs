//! Emergency assistance and donations: a request taken from a phone check-in, dispatched to a
//! trained volunteer who hands over donated masks, the stock left and the donor's report;
//! concurrent hand-outs that never overdraw; random ledger movements whose replay always equals
//! the stored balances (and a rebuild that repairs a tampered balance); two-person adjustments;
//! sequential receipts; and what a volunteer and a funder may see.
//! The seeded clock stands at 2026-03-02 09:00 in Hong Kong.

use proptest::strategy::{Strategy, ValueTree};
use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::{Actor, Role};
use shegong_domain::donations::{DistributionFields, LineFields};
use shegong_domain::hotline::ScheduleInput;
use shegong_domain::ids::{DonationItemId, HouseholdId, UnitId};
use shegong_domain::ports::{DonationsRepo, HotlineRepo};
use shegong_testkit::{db_test, ok, refused, Client, TestApp};
use std::sync::Arc;

/// A household of `size` people in `unit`; returns (household id, head's client id).
async fn household(c: &Client, unit: impl std::fmt::Display, name: &str, phone: &str, size: usize) -> (String, String) {
    let mut members = Vec::new();
    let mut head = String::new();
    for i in 0..size {
        let body = json!({"unit_id": unit.to_string(), "name_zh": format!("{name}{i}"), "sex": "female", "date_of_birth": "1950-05-01",
                          "phones": [format!("{phone}{i}")], "address": "九龍城道 1 號"});
        let id =
            ok(c.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await, 201).await["id"].as_str().unwrap().to_string();
        if i == 0 {
            head = id.clone();
        }
        members.push(json!({"client_id": id, "relationship": if i == 0 { "head" } else { "other" }}));
    }
    let h = json!({"unit_id": unit.to_string(), "name": format!("{name}家"), "address": "九龍城道 1 號", "members": members});
    (ok(c.json(Method::POST, "/api/v1/households", &h).await, 201).await["id"].as_str().unwrap().to_string(), head)
}

async fn donor(c: &Client, name: &str) -> String {
    let d = ok(
        c.json(Method::POST, "/api/v1/donations/donors", &json!({"name": name, "kind": "company", "contact_person": "王經理"})).await,
        201,
    )
    .await;
    d["id"].as_str().unwrap().to_string()
}

/// Records `quantity` boxes of masks from `donor` at `unit`; returns (donation, item id).
async fn masks(c: &Client, unit: impl std::fmt::Display, donor: &str, quantity: i64) -> (Value, String) {
    let body = json!({"donor_id": donor, "unit_id": unit.to_string(), "kind": "in_kind",
                      "items": [{"name": "外科口罩", "category": "masks", "uom": "box", "quantity": quantity, "value_per_unit": "35.50", "basis": "invoice", "lot": "L-01"}]});
    let d = ok(c.json(Method::POST, "/api/v1/donations", &body).await, 201).await;
    let item = d["items"][0]["id"].as_str().unwrap().to_string();
    (d, item)
}

async fn stock_of(c: &Client, item: &str) -> i64 {
    let s = ok(c.get("/api/v1/donations/stock").await, 200).await;
    s["lines"].as_array().unwrap().iter().filter(|l| l["item_id"] == item).map(|l| l["quantity"].as_i64().unwrap()).sum()
}

#[db_test]
async fn a_check_in_becomes_a_request_a_volunteer_delivers_masks_and_the_donor_sees_what_they_reached(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let (h, head) = household(&sw, unit, "陳", "9123456", 3).await;
    let d = donor(&sw, "好鄰居有限公司").await;
    let (donation, item) = masks(&sw, unit, &d, 100).await;
    assert_eq!(donation["receipt_no"], "R000001");
    let (second, _) = masks(&sw, unit, &d, 5).await;
    assert_eq!(second["receipt_no"], "R000002", "receipts are numbered in sequence");

    // The person is on the check-in list; the call finds they need masks.
    let actor = Actor::from(app.seeded.user(Role::SocialWorker));
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let s = ScheduleInput {
        unit_id: Some(unit),
        client_id: Some(head.parse().unwrap()),
        worker_id: Some(app.seeded.user(Role::SocialWorker).id),
        every_days: 7,
        first_on: None,
    };
    let schedule = app.store().create_schedule(&actor, &s.validate(today).unwrap()).await.unwrap();
    let body = json!({"unit_id": unit.to_string(), "need": "masks", "urgency": "urgent", "consent": true,
                      "source": "check_in", "source_ref": schedule.id.to_string(), "requested_by": "本人"});
    let r = ok(sw.json(Method::POST, "/api/v1/assistance/requests", &body).await, 201).await;
    assert_eq!(r["household_id"], h.as_str(), "the household comes over from the check-in");
    assert_eq!(r["persons"], 3, "the household's size");
    assert_eq!(r["status"], "pending");
    assert_eq!(r["source_ref"], format!("check-in:{}", schedule.id));
    let id = r["id"].as_str().unwrap().to_string();
    // Without consent, nothing is arranged.
    let no = json!({"unit_id": unit.to_string(), "need": "food", "household_id": h});
    assert_eq!(
        refused(sw.json(Method::POST, "/api/v1/assistance/requests", &no).await).await,
        [("consent".into(), "consent-required".into())]
    );

    // Out of turn: nobody is on the way before dispatch.
    let step = |s: &str| json!({"step": s});
    assert_eq!(
        refused(sw.json(Method::POST, &format!("/api/v1/assistance/requests/{id}/delivery"), &step("on_the_way")).await).await,
        [("status".into(), "step-not-allowed".into())]
    );
    // Dispatched to the trained volunteer; a hotline operator cannot deliver.
    let operator = app.seeded.user(Role::HotlineOperator).id;
    assert_eq!(
        refused(sw.json(Method::POST, &format!("/api/v1/assistance/requests/{id}/dispatch"), &json!({"assignee_id": operator})).await)
            .await,
        [("assignee_id".into(), "cannot-deliver".into())]
    );
    let vol = app.seeded.user(Role::Volunteer).id;
    let r = ok(sw.json(Method::POST, &format!("/api/v1/assistance/requests/{id}/dispatch"), &json!({"assignee_id": vol})).await, 200).await;
    assert_eq!(r["status"], "assigned");

    // The volunteer sees it among their deliveries, with the address, and nothing else of the registry.
    let v = app.signed_in(Role::Volunteer).await;
    let mine = ok(v.get("/api/v1/assistance/mine").await, 200).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["address"], "九龍城道 1 號");
    ok(v.get(&format!("/api/v1/assistance/requests/{id}")).await, 403).await;
    ok(v.get("/api/v1/assistance/requests").await, 403).await;
    ok(v.get("/api/v1/donations/stock").await, 403).await;

    ok(v.json(Method::POST, &format!("/api/v1/assistance/requests/{id}/delivery"), &step("on_the_way")).await, 200).await;
    // Asking for more than the stock holds is refused whole: nothing is delivered or taken.
    let too_many =
        json!({"step": "delivered", "proof": "confirmation", "recipient_name": "陳太", "items": [{"item_id": item, "quantity": 101}]});
    let e = refused(v.json(Method::POST, &format!("/api/v1/assistance/requests/{id}/delivery"), &too_many).await).await;
    assert_eq!(e, [("quantity".into(), "stock-insufficient".into())]);
    assert_eq!(stock_of(&sw, &item).await, 100);
    let done =
        json!({"step": "delivered", "proof": "confirmation", "recipient_name": "陳太", "items": [{"item_id": item, "quantity": 30}]});
    let r = ok(v.json(Method::POST, &format!("/api/v1/assistance/requests/{id}/delivery"), &done).await, 200).await;
    assert_eq!(r["status"], "delivered");
    assert!(r["delivered_at"].is_string() && r["on_the_way_at"].is_string() && r["assigned_at"].is_string());
    ok(v.json(Method::POST, &format!("/api/v1/assistance/requests/{id}/delivery"), &done).await, 422).await;
    assert_eq!(stock_of(&sw, &item).await, 70);

    // Followed up by staff.
    let r =
        ok(sw.json(Method::POST, &format!("/api/v1/assistance/requests/{id}/follow-up"), &json!({"note": "已收到，多謝。"})).await, 200)
            .await;
    assert_eq!(r["status"], "followed_up");

    // The donor's report: what the gift reached, with no one's name.
    let report = ok(sw.get(&format!("/api/v1/donations/report?donor_id={d}")).await, 200).await;
    assert_eq!(report["households_reached"], 1);
    assert_eq!(report["persons_reached"], 3);
    assert_eq!(report["items"][0]["received"], 105);
    assert_eq!(report["items"][0]["distributed"], 30);
    assert_eq!(report["value_distributed_cents"], 30 * 3550);
    let text = report.to_string();
    assert!(!text.contains("陳") || text.contains("好鄰居"), "no person's name in a donor report");
    assert!(!text.contains(&h), "no household id in a donor report");
    // The assistance report counts the delivery and its person-times.
    let a = ok(sw.get("/api/v1/assistance/report").await, 200).await;
    assert_eq!((a["requests"].as_i64(), a["delivered"].as_i64(), a["person_times"].as_i64()), (Some(1), Some(1), Some(3)));
    // The agency's output report carries the same figures.
    let out = ok(sw.get("/api/v1/reports/outputs?period=month&value=2026-03").await, 200).await;
    let line = |v: &Value, m: &str| v["lines"].as_array().unwrap().iter().find(|l| l["measure"] == m).map(|l| l["figure"].clone()).unwrap();
    assert_eq!(line(&out, "assistance_requests")["value"], 1.0);
    assert_eq!(line(&out, "assistance_deliveries")["value"], 1.0);
    assert_eq!(line(&out, "assistance_person_times")["value"], 3.0);
    assert_eq!(line(&out, "assistance_households")["value"], 1.0);
    assert_eq!(line(&out, "in_kind_value_distributed")["value"], 1065.0);
    // A funder reads the reports and nothing else; one household is a small cell.
    let funder = app.signed_in(Role::FunderViewer).await;
    let seen = ok(funder.get("/api/v1/reports/outputs?period=month&value=2026-03").await, 200).await;
    assert_eq!(line(&seen, "assistance_households"), json!({"value": null, "suppressed": true}));
    assert_eq!(line(&seen, "assistance_person_times")["value"], 3.0);
    ok(funder.get("/api/v1/donations/report").await, 200).await;
    ok(funder.get("/api/v1/assistance/report?format=csv").await, 200).await;
    ok(funder.get("/api/v1/assistance/requests").await, 403).await;
    ok(funder.get(&format!("/api/v1/donations/{}", donation["id"].as_str().unwrap())).await, 403).await;
    // The ledger is append-only in the database itself.
    assert!(app.store().execute_raw("UPDATE donation_movements SET delta = 1000").await.is_err());
    assert!(app.store().execute_raw("DELETE FROM donation_movements").await.is_err());
}

#[db_test]
async fn concurrent_hand_outs_never_overdraw_and_the_ledger_replays_to_the_balance(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let d = donor(&sw, "同心基金會").await;
    let (_, item) = masks(&sw, unit, &d, 100).await;
    let mut households = Vec::new();
    for n in 0..12 {
        households.push(household(&sw, unit, &format!("戶{n}"), &format!("6{n:06}"), 1).await.0);
    }
    let sw = Arc::new(sw);
    let mut set = tokio::task::JoinSet::new();
    for h in households {
        let (sw, item) = (Arc::clone(&sw), item.clone());
        set.spawn(async move {
            let body = json!({"unit_id": unit.to_string(), "title": "派發日", "lines": [{"household_id": h, "item_id": item, "quantity": 10, "signed": true}]});
            let r = sw.json(Method::POST, "/api/v1/donations/distributions", &body).await;
            (r.status().as_u16(), r.text().await.unwrap())
        });
    }
    let (mut given, mut short) = (0, 0);
    while let Some(r) = set.join_next().await {
        let (status, body) = r.unwrap();
        match status {
            201 => given += 1,
            422 => {
                let v: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(v["error"]["fields"][0]["code"], "stock-insufficient", "{body}");
                assert_eq!(v["error"]["fields"][0]["message"], "Not enough in stock: 0 left.");
                short += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((given, short), (10, 2));
    assert_eq!(stock_of(&sw, &item).await, 0);
    assert!(app.store().stock_mismatches(app.seeded.org).await.unwrap().is_empty(), "the ledger replays to the balance");
    let r = ok(sw.get(&format!("/api/v1/donations/report?donor_id={d}")).await, 200).await;
    assert_eq!((r["households_reached"].as_i64(), r["persons_reached"].as_i64()), (Some(10), Some(10)));
}

/// Random receipts, transfers, hand-outs and adjustments straight through the store (drawn by
/// proptest), some refused for want of stock: the stored balances always equal a replay of
/// the ledger, and a tampered balance is found and rebuilt.
#[db_test]
async fn random_movements_replay_to_the_stored_balances(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let (a, b) = (app.seeded.unit_a.id, app.seeded.unit_b.id);
    let store = app.store();
    let org = app.seeded.org;
    let actor = Actor::from(app.seeded.user(Role::SocialWorker));
    let admin = Actor::from(app.seeded.user(Role::Admin));
    let supervisor = Actor::from(app.seeded.user(Role::Supervisor));
    let d = donor(&sw, "隨機捐贈者").await;
    let mut items: Vec<DonationItemId> = Vec::new();
    for q in [20, 5] {
        items.push(masks(&sw, a, &d, q).await.1.parse().unwrap());
    }
    let h: HouseholdId = household(&sw, a, "回放", "5000000", 2).await.0.parse().unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec((0u8..4, 0usize..2, any_bool(), 1i64..12), 20..40);
    let ops = strategy.new_tree(&mut runner).unwrap().current();
    let (mut done, mut refused_short) = (0, 0);
    for (op, i, at_a, q) in ops {
        let (here, there): (UnitId, UnitId) = if at_a { (a, b) } else { (b, a) };
        let item = items[i];
        let r = match op {
            0 => store.transfer_stock(&actor, here, there, item, q, today).await.map(|_| ()),
            1 => {
                let f = DistributionFields {
                    unit_id: here,
                    day: today,
                    title: "派發".into(),
                    lines: vec![LineFields { household_id: h, item_id: item, quantity: q, persons: Some(2), signed: true }],
                };
                store.distribute(&actor, &f).await.map(|_| ())
            }
            2 => {
                let adj = store.propose_adjustment(&actor, here, item, -q, "點算差異").await.unwrap();
                store.decide_adjustment(&supervisor, adj.id, true, today).await.map(|_| ())
            }
            _ => {
                let adj = store.propose_adjustment(&actor, here, item, q, "尋回").await.unwrap();
                store.decide_adjustment(&admin, adj.id, true, today).await.map(|_| ())
            }
        };
        match r {
            Ok(()) => done += 1,
            Err(shegong_domain::DomainError::Invalid(e)) => {
                assert_eq!(e[0].code, "stock-insufficient");
                refused_short += 1;
            }
            Err(e) => panic!("{e}"),
        }
        assert!(store.stock_mismatches(org).await.unwrap().is_empty(), "replay == balance after every step");
    }
    assert!(done > 0 && refused_short > 0, "{done} done, {refused_short} refused");
    // A balance changed behind the ledger's back is found, and rebuilt from the ledger.
    store.execute_raw("UPDATE donation_stock SET quantity = quantity + 7").await.unwrap();
    let wrong = store.stock_mismatches(org).await.unwrap();
    assert!(!wrong.is_empty());
    assert_eq!(store.rebuild_stock(&admin).await.unwrap(), wrong.len() as u64);
    assert!(store.stock_mismatches(org).await.unwrap().is_empty());
}

fn any_bool() -> impl Strategy<Value = bool> {
    proptest::bool::ANY
}

#[db_test]
async fn an_adjustment_moves_stock_only_when_a_second_person_confirms_it(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let d = donor(&sw, "社區商會").await;
    let (_, item) = masks(&sw, unit, &d, 10).await;
    let sup = app.signed_in(Role::Supervisor).await;
    let a = ok(
        sup.json(
            Method::POST,
            "/api/v1/donations/adjustments",
            &json!({"unit_id": unit.to_string(), "item_id": item, "delta": -3, "reason": "受潮"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(a["status"], "pending");
    assert_eq!(stock_of(&sw, &item).await, 10, "a proposal moves nothing");
    let path = format!("/api/v1/donations/adjustments/{}/decision", a["id"].as_str().unwrap());
    assert_eq!(
        refused(sup.json(Method::POST, &path, &json!({"decision": "confirmed"})).await).await,
        [("adjustment".into(), "second-person-required".into())]
    );
    // A social worker does not confirm adjustments; the admin (a second person) does.
    ok(sw.json(Method::POST, &path, &json!({"decision": "confirmed"})).await, 403).await;
    let admin = app.signed_in(Role::Admin).await;
    let a = ok(admin.json(Method::POST, &path, &json!({"decision": "confirmed"})).await, 200).await;
    assert_eq!(a["status"], "confirmed");
    assert_eq!(stock_of(&sw, &item).await, 7);
    ok(admin.json(Method::POST, &path, &json!({"decision": "confirmed"})).await, 409).await;
    // An adjustment that would take stock below zero is refused when confirmed.
    let big = ok(
        sup.json(
            Method::POST,
            "/api/v1/donations/adjustments",
            &json!({"unit_id": unit.to_string(), "item_id": item, "delta": -8, "reason": "遺失"}),
        )
        .await,
        201,
    )
    .await;
    let path = format!("/api/v1/donations/adjustments/{}/decision", big["id"].as_str().unwrap());
    assert_eq!(
        refused(admin.json(Method::POST, &path, &json!({"decision": "confirmed"})).await).await,
        [("quantity".into(), "stock-insufficient".into())]
    );
    assert_eq!(stock_of(&sw, &item).await, 7);
    // Cash: spending never exceeds the gift.
    let cash = ok(
        sw.json(
            Method::POST,
            "/api/v1/donations",
            &json!({"donor_id": d, "unit_id": unit.to_string(), "kind": "cash", "amount": "1,000.00", "method": "fps"}),
        )
        .await,
        201,
    )
    .await;
    let spend = format!("/api/v1/donations/{}/spending", cash["id"].as_str().unwrap());
    ok(sw.json(Method::POST, &spend, &json!({"amount": "600", "purpose": "購買食物"})).await, 200).await;
    assert_eq!(
        refused(sw.json(Method::POST, &spend, &json!({"amount": "400.01", "purpose": "購買藥物"})).await).await,
        [("amount".into(), "cash-insufficient".into())]
    );
    let r = ok(sw.get("/api/v1/donations/report").await, 200).await;
    assert_eq!((r["cash_received_cents"].as_i64(), r["cash_spent_cents"].as_i64()), (Some(100_000), Some(60_000)));
}

#[db_test]
async fn the_demo_shows_donations_stock_and_a_delivered_request(db: shegong_testkit::TestDb) {
    use shegong_domain::ports::{AssistanceRepo, RequestQuery, UnitsRepo};
    let store = &db.store;
    assert!(shegong_web::demo::seed_if_empty(store).await.unwrap());
    shegong_web::demo::seed_demo_clients(store, 60, 7).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let n = shegong_web::demo::assistance::seed_demo_assistance(store, today).await.unwrap();
    assert_eq!(n, 3);
    let org = store.list_agencies().await.unwrap()[0].id;
    let requests = store.list_requests(org, &RequestQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert!(requests.iter().any(|r| r.status.as_str() == "delivered"), "one request was delivered");
    let stock = store.stock(org, None).await.unwrap();
    assert!(stock.iter().any(|l| l.quantity == 195), "five boxes of masks went out: {stock:?}");
    assert!(store.stock_mismatches(org).await.unwrap().is_empty());
}
