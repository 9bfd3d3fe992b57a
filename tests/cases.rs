//! Casework: intake → assessment → plan and approval → notes → closure and approval → reopening;
//! notes that become append-only; reviews and follow-ups on the to-do lists; transfer and
//! referral; access by unit and by the sensitive-data grant; statistics by the counting rules.
//! The seeded clock stands at 2026-03-02 09:00 in Hong Kong.

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::{Actor, Role};
use shegong_domain::cases::CaseInput;
use shegong_domain::ports::{CasesRepo, ClientsRepo};
use shegong_testkit::{db_test, ok, refused, Client, TestApp};

async fn register_client(c: &Client, unit: impl std::fmt::Display, zh: &str, phone: &str, categories: &[&str]) -> String {
    let body = json!({"unit_id": unit.to_string(), "name_zh": zh, "sex": "female", "date_of_birth": "1950-01-01",
                      "phones": [phone], "categories": categories});
    let r = c.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

fn intake(unit: impl std::fmt::Display, client: &str, problems: &[&str]) -> Value {
    json!({"unit_id": unit.to_string(), "client_id": client, "source": "walk_in", "case_type": "in_depth", "risk": "medium",
           "problems": problems, "intake_summary": "Arguments at home since the son lost his job."})
}

async fn open_case(c: &Client, unit: impl std::fmt::Display, client: &str, problems: &[&str]) -> Value {
    ok(c.json(Method::POST, "/api/v1/cases", &intake(unit, client, problems)).await, 201).await
}

async fn case_file(c: &Client, id: &str) -> Value {
    ok(c.get(&format!("/api/v1/cases/{id}")).await, 200).await
}

fn goals(goal: &str) -> Value {
    json!([{"goal": goal, "interventions": "Weekly counselling; family session", "target_on": "2026-06-30"}])
}

#[db_test]
async fn intake_to_closure_with_supervisor_approvals(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let sup = app.signed_in(Role::Supervisor).await;
    let unit = app.seeded.unit_a.id;
    let client = register_client(&sw, unit, "黃美玲", "91112222", &["elderly_alone"]).await;

    let case = open_case(&sw, unit, &client, &["family_conflict", "elderly_care"]).await;
    let id = case["id"].as_str().unwrap().to_string();
    assert_eq!(case["case_no"], "C2026-00001");
    assert_eq!(case["worker_id"], app.seeded.user(Role::SocialWorker).id.to_string(), "the intake worker holds the case");
    assert_eq!(case["next_review_on"], "2026-05-31", "first review after the agency's 90 days");
    assert_eq!(case["status"], "open");
    let second = open_case(&sw, unit, &client, &["housing"]).await;
    assert_eq!(second["case_no"], "C2026-00002", "numbers run on per agency and year");

    // Assessment.
    let r = sw.json(Method::POST, &format!("/api/v1/cases/{id}/assessments"), &json!({"presenting_situation": "Conflict"})).await;
    assert!(refused(r).await.contains(&("needs".into(), "required".into())));
    let a = json!({"presenting_situation": "Daily quarrels", "needs": "Mediation", "strengths": "Close to daughter"});
    ok(sw.json(Method::POST, &format!("/api/v1/cases/{id}/assessments"), &a).await, 201).await;

    // A note with a follow-up three days ahead shows on the worker's to-do list.
    let note = json!({"contact_type": "home_visit", "duration_minutes": "45", "present": "client, son", "body": "Visited at home.",
                      "follow_up": "Call the son about job centre", "follow_up_on": "2026-03-05"});
    ok(sw.json(Method::POST, &format!("/api/v1/cases/{id}/notes"), &note).await, 201).await;
    let todo = ok(sw.get("/api/v1/cases/todo").await, 200).await;
    assert!(todo["mine"].as_array().unwrap().iter().any(|t| t["kind"] == "follow_up_due" && t["due_on"] == "2026-03-05"), "{todo}");

    // The plan goes to the supervisor, who returns it once with a comment, then approves.
    let plan = ok(
        sw.json(Method::POST, &format!("/api/v1/cases/{id}/plans"), &json!({"goals": goals("Fewer quarrels"), "submit": true})).await,
        201,
    )
    .await;
    assert_eq!(plan["status"], "submitted");
    let pid = plan["id"].as_str().unwrap().to_string();
    let decision = format!("/api/v1/cases/{id}/plans/{pid}/decision");
    let r = sw.json(Method::POST, &decision, &json!({"approve": true, "version": plan["version"]})).await;
    assert_eq!(r.status(), 403, "a social worker approves no plans");
    let queue = ok(sup.get("/api/v1/cases/todo").await, 200).await;
    assert!(queue["team"].as_array().unwrap().iter().any(|t| t["kind"] == "plan_to_approve" && t["case_id"] == id.as_str()));
    let r = sup.json(Method::POST, &decision, &json!({"approve": false, "comment": "", "version": plan["version"]})).await;
    assert!(refused(r).await.contains(&("comment".into(), "return-comment-required".into())));
    let returned = ok(
        sup.json(Method::POST, &decision, &json!({"approve": false, "comment": "Add a goal for the son", "version": plan["version"]}))
            .await,
        200,
    )
    .await;
    assert_eq!(returned["status"], "returned");
    let todo = ok(sw.get("/api/v1/cases/todo").await, 200).await;
    assert!(todo["mine"].as_array().unwrap().iter().any(|t| t["kind"] == "plan_returned" && t["text"] == "Add a goal for the son"));
    let body = json!({"goals": [{"goal": "Fewer quarrels", "interventions": "Counselling"}, {"goal": "Son finds work", "interventions": "Referral"}],
                      "submit": true, "version": returned["version"]});
    let resubmitted = ok(sw.json(Method::PUT, &format!("/api/v1/cases/{id}/plans/{pid}"), &body).await, 200).await;
    assert_eq!(resubmitted["goals"].as_array().unwrap().len(), 2);
    ok(sup.json(Method::POST, &decision, &json!({"approve": true, "version": resubmitted["version"]})).await, 200).await;
    let file = case_file(&sw, &id).await;
    assert_eq!(file["case"]["plan_approved"], true);
    let r = sw
        .json(
            Method::PUT,
            &format!("/api/v1/cases/{id}/plans/{pid}"),
            &json!({"goals": goals("x"), "version": file["plans"][0]["version"]}),
        )
        .await;
    assert!(refused(r).await.contains(&("plan".into(), "plan-locked".into())), "an approved plan is not changed; a revision is a new plan");

    // Closure needs a summary, then the supervisor's approval; meanwhile no notes.
    let version = file["case"]["version"].clone();
    let r = sw
        .json(Method::POST, &format!("/api/v1/cases/{id}/close"), &json!({"reason": "goals_achieved", "summary": " ", "version": version}))
        .await;
    assert!(refused(r).await.contains(&("summary".into(), "required".into())));
    let closing = json!({"reason": "goals_achieved", "summary": "Family communicates; son employed.", "version": version});
    let pending = ok(sw.json(Method::POST, &format!("/api/v1/cases/{id}/close"), &closing).await, 200).await;
    assert_eq!(pending["status"], "closure_pending");
    let r = sw.json(Method::POST, &format!("/api/v1/cases/{id}/notes"), &json!({"contact_type": "phone", "body": "x"})).await;
    assert!(refused(r).await.contains(&("status".into(), "case-closure-pending".into())));
    let r = sw.json(Method::POST, &format!("/api/v1/cases/{id}/closure"), &json!({"approve": true, "version": pending["version"]})).await;
    assert_eq!(r.status(), 403);
    let closed = ok(
        sup.json(Method::POST, &format!("/api/v1/cases/{id}/closure"), &json!({"approve": true, "version": pending["version"]})).await,
        200,
    )
    .await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["closed_on"], "2026-03-02");

    // A closed case takes no notes until it is reopened with a reason.
    let r = sw.json(Method::POST, &format!("/api/v1/cases/{id}/notes"), &json!({"contact_type": "phone", "body": "x"})).await;
    assert!(refused(r).await.contains(&("status".into(), "case-closed".into())));
    let r = sw.json(Method::POST, &format!("/api/v1/cases/{id}/reopen"), &json!({"reason": "", "version": closed["version"]})).await;
    assert!(refused(r).await.contains(&("reason".into(), "required".into())));
    let reopened = ok(
        sw.json(
            Method::POST,
            &format!("/api/v1/cases/{id}/reopen"),
            &json!({"reason": "Son lost job again", "version": closed["version"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(reopened["status"], "open");
    assert_eq!(reopened["closed_on"], Value::Null);

    let file = case_file(&sw, &id).await;
    let kinds: Vec<&str> = file["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "assessed",
            "plan_submitted",
            "plan_returned",
            "plan_submitted",
            "plan_approved",
            "closure_requested",
            "closed",
            "reopened"
        ]
    );
}

#[db_test]
async fn notes_become_append_only_after_a_day(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let sup = app.signed_in(Role::Supervisor).await;
    let unit = app.seeded.unit_a.id;
    let client = register_client(&sw, unit, "何志強", "92223333", &[]).await;
    let id = open_case(&sw, unit, &client, &["emotional"]).await["id"].as_str().unwrap().to_string();
    let note = ok(
        sw.json(Method::POST, &format!("/api/v1/cases/{id}/notes"), &json!({"contact_type": "phone", "body": "Spoke for 10 min."})).await,
        201,
    )
    .await;
    let nid = note["id"].as_str().unwrap().to_string();
    let correct = format!("/api/v1/cases/{id}/notes/{nid}/correct");

    // Within a day its author changes it in place.
    let fixed = ok(
        sw.json(Method::POST, &correct, &json!({"contact_type": "phone", "body": "Spoke for 15 min.", "version": note["version"]})).await,
        200,
    )
    .await;
    assert_eq!(fixed["id"], note["id"]);
    assert_eq!(fixed["body"], "Spoke for 15 min.");
    let r = sw.json(Method::POST, &correct, &json!({"contact_type": "phone", "body": "again", "version": note["version"]})).await;
    assert_eq!(r.status(), 409, "a stale version changes nothing");

    // Someone else's correction is a new note, linked to the original.
    let other = ok(
        sup.json(Method::POST, &correct, &json!({"contact_type": "phone", "body": "Supervisor's addition", "version": fixed["version"]}))
            .await,
        200,
    )
    .await;
    assert_ne!(other["id"], note["id"]);
    assert_eq!(other["corrects"], note["id"]);

    // After 24 hours even the author can only add a correcting note.
    app.db.clock.advance(Duration::hours(25));
    let sw = app.signed_in(Role::SocialWorker).await; // the old session has expired
    let later = ok(
        sw.json(Method::POST, &correct, &json!({"contact_type": "phone", "body": "Spoke for 20 min.", "version": fixed["version"]})).await,
        200,
    )
    .await;
    assert_eq!(later["corrects"], note["id"]);
    let notes = case_file(&sw, &id).await["notes"].as_array().unwrap().clone();
    assert_eq!(notes.len(), 3);
    let original = notes.iter().find(|n| n["id"] == note["id"]).unwrap();
    assert_eq!(original["body"], "Spoke for 15 min.", "the original stays as it was");
}

#[db_test]
async fn concurrent_edits_do_not_overwrite_each_other(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let sup = app.signed_in(Role::Supervisor).await;
    let unit = app.seeded.unit_a.id;
    let client = register_client(&sw, unit, "梁家輝", "93334444", &[]).await;
    let case = open_case(&sw, unit, &client, &["housing"]).await;
    let id = case["id"].as_str().unwrap();
    let mut a = intake(unit, &client, &["housing"]);
    let a = a.as_object_mut().unwrap();
    for k in ["unit_id", "client_id"] {
        a.remove(k);
    }
    a.insert("version".into(), case["version"].clone());
    let mut mine = Value::Object(a.clone());
    mine["risk"] = json!("high");
    let mut theirs = Value::Object(a.clone());
    theirs["intake_summary"] = json!("Supervisor's wording");
    ok(sw.json(Method::PUT, &format!("/api/v1/cases/{id}"), &mine).await, 200).await;
    let r = sup.json(Method::PUT, &format!("/api/v1/cases/{id}"), &theirs).await;
    assert_eq!(r.status(), 409);
    let file = case_file(&sw, id).await;
    assert_eq!(file["case"]["risk"], "high");
    assert_eq!(file["case"]["intake_summary"], "Arguments at home since the son lost his job.");
}

#[db_test]
async fn access_follows_units_and_the_sensitive_grant(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit_a = app.seeded.unit_a.id;
    let client = register_client(&sw, unit_a, "林淑儀", "94445555", &[]).await;

    // A sensitive problem needs the grant to record and to see.
    let r = sw.json(Method::POST, "/api/v1/cases", &intake(unit_a, &client, &["domestic_violence"])).await;
    assert!(refused(r).await.contains(&("problems".into(), "sensitive-needs-grant".into())));
    let admin = app.signed_in(Role::Admin).await;
    let u = app.seeded.user(Role::Supervisor);
    let body = json!({"display_name": u.display_name, "active": true, "grants": u.grants, "version": u.version, "sensitive_access": true});
    ok(admin.json(Method::PUT, &format!("/api/v1/users/{}", u.id), &body).await, 200).await;
    let sup = app.signed_in(Role::Supervisor).await;
    let dv = open_case(&sup, unit_a, &client, &["domestic_violence"]).await;
    let dv_id = dv["id"].as_str().unwrap();
    assert_eq!(dv["sensitive"], true);
    assert_eq!(sw.get(&format!("/api/v1/cases/{dv_id}")).await.status(), 403);
    let list = ok(sw.get("/api/v1/cases").await, 200).await;
    assert_eq!(list["total"], 0, "the worker does not see the sensitive case in lists either");
    assert_eq!(ok(sup.get("/api/v1/cases").await, 200).await["total"], 1);

    // A case in unit B is out of reach of unit A's staff; the administrator configures casework
    // but reads no case files.
    let actor = Actor::from(app.seeded.user(Role::Admin));
    let b_client = app.store().get_client(app.seeded.org, client.parse().unwrap()).await.unwrap();
    let input = CaseInput {
        unit_id: Some(app.seeded.unit_b.id),
        client_id: Some(b_client.id),
        worker_id: Some(app.seeded.user(Role::Admin).id),
        details: serde_json::from_value(json!({"source": "outreach", "case_type": "brief_supportive", "risk": "low",
                                               "problems": ["housing"], "intake_summary": "x"}))
        .unwrap(),
        ..Default::default()
    };
    let fields = input
        .validate(
            chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            &app.store().problems(app.seeded.org).await.unwrap(),
            actor.user_id.unwrap(),
            90,
        )
        .unwrap();
    let b_case = app.store().open_case(&actor, &fields).await.unwrap();
    assert_eq!(sw.get(&format!("/api/v1/cases/{}", b_case.id)).await.status(), 403);
    assert_eq!(sup.get(&format!("/api/v1/cases/{}", b_case.id)).await.status(), 403);
    assert_eq!(admin.get(&format!("/api/v1/cases/{}", b_case.id)).await.status(), 403);
    assert_eq!(admin.get("/api/v1/cases").await.status(), 403);

    // Every view of a case file is audited.
    case_file(&sup, dv_id).await;
    let log: Vec<Value> = admin.get("/api/v1/audit?limit=100").await.json().await.unwrap();
    assert_eq!(log.iter().filter(|e| e["action"] == "view" && e["entity_type"] == "case" && e["entity_id"] == dv_id).count(), 1);
}

#[db_test]
async fn reviews_and_follow_ups_stay_on_the_lists_until_done(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let sup = app.signed_in(Role::Supervisor).await;
    let unit = app.seeded.unit_a.id;
    let client = register_client(&sw, unit, "張偉", "95556666", &[]).await;
    let mut body = intake(unit, &client, &["employment"]);
    body["next_review_on"] = json!("2026-03-04");
    body["risk"] = json!("high");
    let case = ok(sw.json(Method::POST, "/api/v1/cases", &body).await, 201).await;
    let id = case["id"].as_str().unwrap();
    let task = ok(
        sw.json(Method::POST, &format!("/api/v1/cases/{id}/tasks"), &json!({"title": "Check benefits", "due_on": "2026-03-03"})).await,
        201,
    )
    .await;

    let mine = ok(sw.get("/api/v1/cases/todo").await, 200).await["mine"].clone();
    let kinds: Vec<&str> = mine.as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["follow_up_due", "review_due"], "due within the week, earliest first");
    assert!(ok(sup.get("/api/v1/cases/todo").await, 200).await["team"].as_array().unwrap().is_empty(), "nothing overdue yet");

    // A week later both are overdue: the supervisor sees them too, and the caseload filter finds it.
    app.db.clock.advance(Duration::days(7));
    let (sw, sup) = (app.signed_in(Role::SocialWorker).await, app.signed_in(Role::Supervisor).await);
    let team = ok(sup.get("/api/v1/cases/todo").await, 200).await["team"].clone();
    assert_eq!(team.as_array().unwrap().len(), 2, "{team}");
    let overdue = ok(sw.get("/api/v1/cases?overdue=true").await, 200).await;
    assert_eq!(overdue["total"], 1);
    let load = ok(sup.get("/api/v1/cases/team").await, 200).await;
    let row = load.as_array().unwrap().iter().find(|w| w["worker_id"] == app.seeded.user(Role::SocialWorker).id.to_string()).unwrap();
    assert_eq!(
        (row["open"].as_u64(), row["high_risk"].as_u64(), row["reviews_overdue"].as_u64(), row["follow_ups_overdue"].as_u64()),
        (Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!(sw.get("/api/v1/cases/team").await.status(), 403);

    // Done: the review sets the next date; the follow-up is ticked off, once.
    let tid = task["id"].as_str().unwrap();
    ok(sw.json(Method::POST, &format!("/api/v1/cases/{id}/tasks/{tid}/done"), &json!({})).await, 200).await;
    let r = sw.json(Method::POST, &format!("/api/v1/cases/{id}/tasks/{tid}/done"), &json!({})).await;
    assert!(refused(r).await.contains(&("task".into(), "task-done".into())));
    let reviewed = ok(
        sw.json(Method::POST, &format!("/api/v1/cases/{id}/review"), &json!({"summary": "On track", "version": case["version"]})).await,
        200,
    )
    .await;
    assert_eq!(reviewed["next_review_on"], "2026-06-07");
    assert!(ok(sw.get("/api/v1/cases/todo").await, 200).await["mine"].as_array().unwrap().is_empty());
    assert!(ok(sup.get("/api/v1/cases/todo").await, 200).await["team"].as_array().unwrap().is_empty());
}

#[db_test]
async fn transfer_referral_and_mandatory_report(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let client = register_client(&sw, unit, "陳小敏", "96667777", &["child_in_difficulty"]).await;
    let case = open_case(&sw, unit, &client, &["parenting"]).await;
    let id = case["id"].as_str().unwrap();

    // A transfer goes to someone who holds cases in the receiving unit.
    let nobody_in_b = json!({"unit_id": app.seeded.unit_b.id, "worker_id": app.seeded.user(Role::SocialWorker).id, "reason": "Moved", "version": case["version"]});
    let r = sw.json(Method::POST, &format!("/api/v1/cases/{id}/transfer"), &nobody_in_b).await;
    assert!(refused(r).await.contains(&("worker_id".into(), "worker-not-in-unit".into())));
    let to_sup =
        json!({"unit_id": unit, "worker_id": app.seeded.user(Role::Supervisor).id, "reason": "Complex family", "version": case["version"]});
    let moved = ok(sw.json(Method::POST, &format!("/api/v1/cases/{id}/transfer"), &to_sup).await, 200).await;
    assert_eq!(moved["worker_id"], app.seeded.user(Role::Supervisor).id.to_string());

    // Referral out, and its outcome.
    let r =
        sw.json(Method::POST, &format!("/api/v1/cases/{id}/referrals"), &json!({"direction": "out", "agency": "", "reason": "x"})).await;
    assert!(refused(r).await.contains(&("agency".into(), "required".into())));
    let referral = ok(
        sw.json(
            Method::POST,
            &format!("/api/v1/cases/{id}/referrals"),
            &json!({"direction": "out", "agency": "Child Guidance Clinic", "service": "Assessment", "reason": "Learning difficulties"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(referral["status"], "pending");
    let rid = referral["id"].as_str().unwrap();
    let accepted = ok(
        sw.json(
            Method::PUT,
            &format!("/api/v1/cases/{id}/referrals/{rid}"),
            &json!({"status": "accepted", "version": referral["version"]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(accepted["status"], "accepted");
    let r = sw
        .json(Method::PUT, &format!("/api/v1/cases/{id}/referrals/{rid}"), &json!({"status": "declined", "version": referral["version"]}))
        .await;
    assert_eq!(r.status(), 409);

    // Cap. 650 mandatory report, with its date and authority, on the timeline.
    let version = case_file(&sw, id).await["case"]["version"].clone();
    let r = sw
        .json(
            Method::POST,
            &format!("/api/v1/cases/{id}/mandatory-reports"),
            &json!({"reported_on": "2026-03-09", "authority": "Police", "version": version}),
        )
        .await;
    assert!(refused(r).await.contains(&("reported_on".into(), "date-future".into())));
    ok(
        sw.json(
            Method::POST,
            &format!("/api/v1/cases/{id}/mandatory-reports"),
            &json!({"reported_on": "2026-03-01", "authority": "Police", "reference": "RN-1", "version": version}),
        )
        .await,
        200,
    )
    .await;
    let events = case_file(&sw, id).await["events"].clone();
    let report = events.as_array().unwrap().iter().find(|e| e["kind"] == "mandatory_report").unwrap();
    assert_eq!((report["on"].as_str(), report["text"].as_str()), (Some("2026-03-01"), Some("Police RN-1")));
}

#[db_test]
async fn statistics_follow_the_counting_rules(app: TestApp) {
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let open = |opened: &'static str, problems: &'static [&'static str], client: String| {
        let mut body = intake(unit, &client, problems);
        body["opened_on"] = json!(opened);
        body
    };
    let c1 = register_client(&sw, unit, "甲", "97770001", &["elderly_alone"]).await;
    let c2 = register_client(&sw, unit, "乙", "97770002", &["elderly_alone", "low_income"]).await;
    let c3 = register_client(&sw, unit, "丙", "97770003", &[]).await;
    let old = ok(sw.json(Method::POST, "/api/v1/cases", &open("2025-11-01", &["housing"], c1.clone())).await, 201).await;
    let both = ok(sw.json(Method::POST, "/api/v1/cases", &open("2026-01-15", &["housing", "marital"], c2)).await, 201).await;
    ok(sw.json(Method::POST, "/api/v1/cases", &open("2026-02-01", &["marital"], c3)).await, 201).await;
    // Closed before the period: served in 2025 only.
    let set = json!({"plan_approval": true, "closure_approval": false, "review_days": 90, "version": 1});
    let admin = app.signed_in(Role::Admin).await;
    ok(admin.json(Method::PUT, "/api/v1/cases/settings", &set).await, 200).await;
    let oid = old["id"].as_str().unwrap();
    ok(
        sw.json(
            Method::POST,
            &format!("/api/v1/cases/{oid}/close"),
            &json!({"reason": "moved_away", "summary": "Moved", "closed_on": "2025-12-31", "version": old["version"]}),
        )
        .await,
        200,
    )
    .await;
    let bid = both["id"].as_str().unwrap();
    ok(
        sw.json(
            Method::POST,
            &format!("/api/v1/cases/{bid}/close"),
            &json!({"reason": "goals_achieved", "summary": "Done", "closed_on": "2026-02-20", "version": both["version"]}),
        )
        .await,
        200,
    )
    .await;

    let s = ok(sw.get("/api/v1/cases/stats?from=2026-01-01&to=2026-03-31&group_by=problem").await, 200).await;
    assert_eq!(s["total"], json!({"served": 2, "new": 2, "closed": 1}));
    assert_eq!(s["rows"]["housing"], json!({"served": 1, "new": 1, "closed": 1}));
    assert_eq!(s["rows"]["marital"], json!({"served": 2, "new": 2, "closed": 1}));
    let s = ok(sw.get("/api/v1/cases/stats?from=2026-01-01&to=2026-03-31&group_by=category").await, 200).await;
    assert_eq!(s["rows"]["elderly_alone"]["served"], 1);
    assert_eq!(s["rows"]["-"]["served"], 1);
    let s = ok(sw.get("/api/v1/cases/stats?from=2025-12-01&to=2025-12-31").await, 200).await;
    assert_eq!(s["total"], json!({"served": 1, "new": 0, "closed": 1}));
    let r = sw.get("/api/v1/cases/stats?from=2026-03-31&to=2026-01-01").await;
    assert!(refused(r).await.contains(&("to".into(), "date-before-start".into())));

    // Merging two records of one person keeps the cases with the survivor.
    let dup = register_client(&sw, unit, "甲", "97770001", &[]).await;
    let dup_case = open_case(&sw, unit, &dup, &["emotional"]).await;
    let sup = app.signed_in(Role::Supervisor).await;
    ok(sup.json(Method::POST, "/api/v1/clients/merge", &json!({"survivor": c1, "merged": dup})).await, 200).await;
    let moved = case_file(&sw, dup_case["id"].as_str().unwrap()).await;
    assert_eq!(moved["case"]["client_id"], c1.as_str());
}

#[db_test]
async fn agencies_configure_problems_and_approvals(app: TestApp) {
    let admin = app.signed_in(Role::Admin).await;
    let sw = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    assert_eq!(sw.get("/api/v1/cases/settings").await.status(), 403);
    let got = ok(admin.get("/api/v1/cases/settings").await, 200).await;
    assert_eq!(got["settings"]["plan_approval"], true);

    // A new problem; a used one can be deactivated but not removed.
    let mut problems = got["problems"].as_array().unwrap().clone();
    problems.push(json!({"code": "gambling", "name_en": "Gambling", "name_zh_hant": "賭博", "name_zh_hans": "赌博", "sensitive": false, "active": true}));
    ok(admin.json(Method::PUT, "/api/v1/cases/problems", &Value::Array(problems.clone())).await, 200).await;
    let client = register_client(&sw, unit, "馮先生", "98880000", &[]).await;
    let case = open_case(&sw, unit, &client, &["gambling"]).await;
    let without: Vec<Value> = problems.iter().filter(|p| p["code"] != "gambling").cloned().collect();
    let r = admin.json(Method::PUT, "/api/v1/cases/problems", &Value::Array(without)).await;
    assert!(refused(r).await.contains(&("problems".into(), "problem-kept".into())));
    for p in problems.iter_mut().filter(|p| p["code"] == "gambling") {
        p["active"] = json!(false);
        p["sensitive"] = json!(true);
    }
    ok(admin.json(Method::PUT, "/api/v1/cases/problems", &Value::Array(problems)).await, 200).await;
    let r = sw.json(Method::POST, "/api/v1/cases", &intake(unit, &client, &["gambling"])).await;
    assert!(refused(r).await.contains(&("problems".into(), "unknown-choice".into())), "inactive problems are not offered");
    let cid = case["id"].as_str().unwrap();
    assert_eq!(sw.get(&format!("/api/v1/cases/{cid}")).await.status(), 403, "a problem made sensitive hides its cases");

    // Without plan approval a submitted plan is in force at once.
    let r = admin
        .json(
            Method::PUT,
            "/api/v1/cases/settings",
            &json!({"plan_approval": false, "closure_approval": true, "review_days": 3, "version": got["settings"]["version"]}),
        )
        .await;
    assert!(refused(r).await.contains(&("review_days".into(), "out-of-range".into())));
    let saved = ok(
        admin
            .json(
                Method::PUT,
                "/api/v1/cases/settings",
                &json!({"plan_approval": false, "closure_approval": true, "review_days": 30, "version": got["settings"]["version"]}),
            )
            .await,
        200,
    )
    .await;
    let r = admin
        .json(
            Method::PUT,
            "/api/v1/cases/settings",
            &json!({"plan_approval": true, "closure_approval": true, "review_days": 30, "version": got["settings"]["version"]}),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(saved["review_days"], 30);
    let other = open_case(&sw, unit, &client, &["housing"]).await;
    assert_eq!(other["next_review_on"], "2026-04-01");
    let oid = other["id"].as_str().unwrap();
    let plan = ok(
        sw.json(Method::POST, &format!("/api/v1/cases/{oid}/plans"), &json!({"goals": goals("Stable housing"), "submit": true})).await,
        201,
    )
    .await;
    assert_eq!(plan["status"], "approved");
}
