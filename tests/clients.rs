//! The person registry: register, find, duplicates and merge, masking, consents, households,
//! retention and the data access export.

use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::Role;
use shegong_testkit::{db_test, Client, TestApp};

fn person(unit: impl std::fmt::Display, zh: &str, en: &str, phone: &str) -> Value {
    json!({
        "unit_id": unit.to_string(), "name_zh": zh, "name_en": en, "sex": "male", "date_of_birth": "1948-05-01",
        "phones": [phone], "id_doc_type": "hkid", "id_doc_number": "A123456(3)", "district": "深水埗",
        "categories": ["elderly_alone", "mental_health_recovery"],
    })
}

async fn register(c: &Client, body: &Value) -> Value {
    let r = c.json(Method::POST, "/api/v1/clients", body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn grant_data_access(app: &TestApp, role: Role) {
    let admin = app.signed_in(Role::Admin).await;
    let u = app.seeded.user(role);
    let body = json!({"display_name": u.display_name, "active": true, "grants": u.grants, "version": u.version,
                      "sensitive_access": true, "id_number_access": true});
    let r = admin.json(Method::PUT, &format!("/api/v1/users/{}", u.id), &body).await;
    assert_eq!(r.status(), 200);
}

#[db_test]
async fn register_then_find_by_phone_name_and_id(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let created = register(&c, &person(unit, "陳大文", "Chan Tai Man", "9123 4567")).await;
    assert_eq!(created["phones"], json!(["91234567"]));
    assert_eq!(created["id_doc_number"], "****4563", "the worker has no identity-number grant");
    assert_eq!(created["categories"], json!(["elderly_alone"]), "the sensitive category is hidden without the grant");

    for q in ["2345", "陈大文", "陳", "chan tai", "chen da wen", "4563"] {
        let found: Value = c.get(&format!("/api/v1/clients?q={}", urlencode(q))).await.json().await.unwrap();
        assert_eq!(found["total"], 1, "query {q:?} finds the person: {found}");
        assert_eq!(found["clients"][0]["id"], created["id"]);
    }
    let none: Value = c.get("/api/v1/clients?q=9999").await.json().await.unwrap();
    assert_eq!(none["total"], 0);

    // The same search from the page.
    let (status, page) = c.page("/clients?q=4567").await;
    assert_eq!(status, 200);
    assert!(page.contains("陳大文 Chan Tai Man"));
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[db_test]
async fn viewing_a_record_is_audited_and_grants_unmask(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    let created = register(&c, &person(app.seeded.unit_a.id, "李小明", "Lee Siu Ming", "61234567")).await;
    let id = created["id"].as_str().unwrap();
    let (status, page) = c.page(&format!("/clients/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("****4563"));
    grant_data_access(&app, Role::Supervisor).await;
    let sup = app.signed_in(Role::Supervisor).await;
    let full: Value = sup.get(&format!("/api/v1/clients/{id}")).await.json().await.unwrap();
    assert_eq!(full["id_doc_number"], "A123456(3)");
    assert_eq!(full["categories"], json!(["elderly_alone", "mental_health_recovery"]));

    let admin = app.signed_in(Role::Admin).await;
    let log: Vec<Value> = admin.get("/api/v1/audit?limit=50").await.json().await.unwrap();
    let views: Vec<&Value> = log.iter().filter(|e| e["action"] == "view" && e["entity_id"] == id).collect();
    assert_eq!(views.len(), 2, "one view by the worker's page, one by the supervisor's API call");
}

#[db_test]
async fn a_save_without_the_grant_keeps_hidden_details(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    let created = register(&c, &person(app.seeded.unit_a.id, "張三", "Cheung Sam", "51234567")).await;
    let id = created["id"].as_str().unwrap();
    // The worker edits what they see (masked number, no sensitive category) …
    let mut body = created.clone();
    for k in ["id", "org_id", "status", "closed_on", "merged_into", "created_at", "updated_at"] {
        body.as_object_mut().unwrap().remove(k);
    }
    body["address"] = json!("北河街 1 號");
    body["latitude"] = json!("");
    body["longitude"] = json!("");
    body["date_of_birth"] = json!("1948-05-01");
    body["age_band"] = json!("");
    let r = c.json(Method::PUT, &format!("/api/v1/clients/{id}"), &body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // … and the hidden details survive.
    grant_data_access(&app, Role::Supervisor).await;
    let sup = app.signed_in(Role::Supervisor).await;
    let full: Value = sup.get(&format!("/api/v1/clients/{id}")).await.json().await.unwrap();
    assert_eq!(full["id_doc_number"], "A123456(3)");
    assert_eq!(full["categories"], json!(["elderly_alone", "mental_health_recovery"]));
    assert_eq!(full["address"], "北河街 1 號");
    assert_eq!(full["version"], 2);
    // A second save of the old version is refused.
    let r = c.json(Method::PUT, &format!("/api/v1/clients/{id}"), &body).await;
    assert_eq!(r.status(), 409);
}

#[db_test]
async fn duplicates_are_flagged_then_merged(app: TestApp) {
    let c = app.signed_in(Role::Supervisor).await;
    let unit = app.seeded.unit_a.id;
    let first = register(&c, &person(unit, "陳大文", "Chan Tai Man", "91234567")).await;
    // Same phone, Simplified name, no ID: flagged, nothing saved.
    let mut again = person(unit, "陈大文", "", "+852 9123 4567");
    again["id_doc_type"] = json!("");
    again["id_doc_number"] = json!("");
    let r = c.json(Method::POST, "/api/v1/clients", &again).await;
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["duplicates"][0]["client"]["id"], first["id"]);
    let reasons = v["duplicates"][0]["reasons"].as_array().unwrap();
    assert!(reasons.contains(&json!("same_phone")) && reasons.contains(&json!("similar_name_same_birth_date")), "{reasons:?}");
    // Registered anyway when the worker confirms.
    let second = c.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &again).await;
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();
    let consent = c
        .json(
            Method::POST,
            &format!("/api/v1/clients/{}/consents", second["id"].as_str().unwrap()),
            &json!({"purpose": "service", "notice_version": "2026-01"}),
        )
        .await;
    assert_eq!(consent.status(), 201);

    let pairs: Vec<Value> = c.get("/api/v1/clients/duplicates").await.json().await.unwrap();
    assert_eq!(pairs.len(), 1);

    let r = c.json(Method::POST, "/api/v1/clients/merge", &json!({"survivor": first["id"], "merged": second["id"]})).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let merged: Value = c.get(&format!("/api/v1/clients/{}", second["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(merged["status"], "merged");
    assert_eq!(merged["merged_into"], first["id"]);
    let consents: Vec<Value> = c.get(&format!("/api/v1/clients/{}/consents", first["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(consents.len(), 1, "the consent followed the survivor");
    let found: Value = c.get("/api/v1/clients?q=91234567").await.json().await.unwrap();
    assert_eq!(found["total"], 1, "only the survivor is found");
    let pairs: Vec<Value> = c.get("/api/v1/clients/duplicates").await.json().await.unwrap();
    assert!(pairs.is_empty());
    assert_eq!(c.get("/api/v1/clients/merges").await.status(), 403, "the agency-wide merge log is for agency-wide roles");
    let admin = app.signed_in(Role::Admin).await;
    let merges: Vec<Value> = admin.get("/api/v1/clients/merges").await.json().await.unwrap();
    assert_eq!(merges.len(), 1);
    assert!(merges[0]["snapshot"].as_str().unwrap().contains("陈大文"), "the retired record is kept for review");
}

#[db_test]
async fn clients_stay_in_their_units(app: TestApp) {
    let admin = app.signed_in(Role::Admin).await;
    let b = register(&admin, &person(app.seeded.unit_b.id, "王五", "Wong Ng", "98765432")).await;
    let worker = app.signed_in(Role::SocialWorker).await;
    let r = worker.get(&format!("/api/v1/clients/{}", b["id"].as_str().unwrap())).await;
    assert_eq!(r.status(), 403);
    let found: Value = worker.get("/api/v1/clients?q=98765432").await.json().await.unwrap();
    assert_eq!(found["total"], 0, "search never shows another unit's clients");
    let listed: Value = worker.get("/api/v1/clients").await.json().await.unwrap();
    assert_eq!(listed["total"], 0);
    // Registering into a unit without a role there is refused.
    let r = worker.json(Method::POST, "/api/v1/clients", &person(app.seeded.unit_b.id, "x", "", "98765431")).await;
    assert_eq!(r.status(), 403);
    // A possible duplicate in another unit is counted, never shown.
    let r = worker.json(Method::POST, "/api/v1/clients", &person(app.seeded.unit_a.id, "王五", "", "98765432")).await;
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["duplicates"], json!([]));
    assert_eq!(v["elsewhere"], 1);
    assert!(!v.to_string().contains(b["id"].as_str().unwrap()));
    // Volunteers do not browse the registry at all.
    let vol = app.signed_in(Role::Volunteer).await;
    assert_eq!(vol.get("/api/v1/clients").await.status(), 403);
}

#[db_test]
async fn bad_input_is_explained_per_field(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    let mut body = person(app.seeded.unit_a.id, "", "", "12");
    body["id_doc_number"] = json!("A123456(4)");
    body["date_of_birth"] = json!("2099-01-01");
    let r = c.json(Method::POST, "/api/v1/clients", &body).await;
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    let fields: Vec<&str> = v["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name_zh", "date_of_birth", "phones", "id_doc_number"]);
    assert!(v["error"]["fields"][3]["message"].as_str().unwrap().contains("HK identity card"));
    // The page keeps what was typed and explains in the user's language.
    let r = c
        .post_form(
            "/clients",
            &[
                ("unit_id", &app.seeded.unit_a.id.to_string()),
                ("name_zh", "何"),
                ("phones", "12"),
                ("id_doc_type", "hkid"),
                ("id_doc_number", "A123456(4)"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("Not a valid HK identity card number"));
    assert!(page.contains("value=\"A123456(4)\""));
}

#[db_test]
async fn households_and_consents(app: TestApp) {
    let c = app.signed_in(Role::SocialWorker).await;
    let unit = app.seeded.unit_a.id;
    let mum = register(&c, &person(unit, "黃美玲", "Wong Mei Ling", "92223333")).await;
    let mut kid = person(unit, "黃小明", "Wong Siu Ming", "92223334");
    kid["date_of_birth"] = json!("2016-03-01");
    kid["id_doc_type"] = json!("");
    kid["id_doc_number"] = json!("");
    kid["categories"] = json!(["child_in_difficulty"]);
    let kid = register(&c, &kid).await;
    let body = json!({"unit_id": unit.to_string(), "name": "黃家", "members": [
        {"client_id": mum["id"], "relationship": "head"}, {"client_id": kid["id"], "relationship": "child"}]});
    let r = c.json(Method::POST, "/api/v1/households", &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let h: Value = r.json().await.unwrap();
    assert_eq!(h["members"].as_array().unwrap().len(), 2);
    assert_eq!(h["members"][0]["relationship"], "head");
    // A person lives in one household at a time.
    let other = json!({"unit_id": unit.to_string(), "members": [{"client_id": kid["id"], "relationship": "head"}]});
    let r = c.json(Method::POST, "/api/v1/households", &other).await;
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["fields"][0]["code"], "in-other-household");

    // A guardian consent needs the guardian's name; the page says the child is under 14.
    let kid_id = kid["id"].as_str().unwrap();
    let r = c
        .json(
            Method::POST,
            &format!("/api/v1/clients/{kid_id}/consents"),
            &json!({"purpose": "service", "notice_version": "2026-01", "given_by": "guardian"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = c
        .json(
            Method::POST,
            &format!("/api/v1/clients/{kid_id}/consents"),
            &json!({"purpose": "service", "notice_version": "2026-01", "given_by": "guardian", "guardian_name": "黃美玲"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let consent: Value = r.json().await.unwrap();
    let (_, page) = c.page(&format!("/clients/{kid_id}")).await;
    assert!(page.contains("under 14"));
    assert!(page.contains("黃家"));
    let r = c
        .json(Method::POST, &format!("/api/v1/clients/{kid_id}/consents/{}/withdraw", consent["id"].as_str().unwrap()), &json!(null))
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["withdrawn_on"].is_string());
}

#[db_test]
async fn closed_records_are_anonymised_after_retention_keeping_statistics(app: TestApp) {
    let admin = app.signed_in(Role::Admin).await;
    let created = register(&admin, &person(app.seeded.unit_a.id, "鄭老伯", "Cheng Lo Pak", "23456789")).await;
    let id = created["id"].as_str().unwrap();
    let r = admin.json(Method::POST, &format!("/api/v1/clients/{id}/close"), &json!({"version": 1})).await;
    assert_eq!(r.status(), 200);
    let r = admin.json(Method::POST, "/api/v1/clients/anonymise", &json!({"years": 7})).await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["anonymised"], json!([]), "not yet due");
    app.db.clock.advance(chrono::Duration::days(365 * 8));
    let admin = app.signed_in(Role::Admin).await;
    let r = admin.json(Method::POST, "/api/v1/clients/anonymise", &json!({"years": 7})).await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["anonymised"], json!([id]));
    let c: Value = admin.get(&format!("/api/v1/clients/{id}")).await.json().await.unwrap();
    assert_eq!(c["status"], "anonymised");
    assert_eq!(c["name_zh"], "");
    assert_eq!(c["phones"], json!([]));
    assert!(c["id_doc_number"].is_null());
    assert!(c["date_of_birth"].is_null());
    assert_eq!(c["age_band"], "75-79", "the age band at closure (aged 77) stays for statistics");
    assert_eq!(c["district"], "深水埗");
    assert_eq!(c["sex"], "male");
    let found: Value = admin.get("/api/v1/clients?q=23456789").await.json().await.unwrap();
    assert_eq!(found["total"], 0);
}

#[db_test]
async fn data_access_export_holds_everything_and_is_audited(app: TestApp) {
    let sup = app.signed_in(Role::Supervisor).await;
    let created = register(&sup, &person(app.seeded.unit_a.id, "林太", "Lam Tai", "93334444")).await;
    let id = created["id"].as_str().unwrap();
    sup.json(Method::POST, &format!("/api/v1/clients/{id}/consents"), &json!({"purpose": "sharing", "notice_version": "2026-01"})).await;
    let r = sup.get(&format!("/api/v1/clients/{id}/data-export")).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["client"]["id_doc_number"], "A123456(3)", "the person's own export is complete");
    assert_eq!(v["consents"].as_array().unwrap().len(), 1);
    assert!(v["access_log"].as_array().unwrap().iter().any(|e| e["action"] == "create"));
    let worker = app.signed_in(Role::SocialWorker).await;
    assert_eq!(worker.get(&format!("/api/v1/clients/{id}/data-export")).await.status(), 403);
    let admin = app.signed_in(Role::Admin).await;
    let log: Vec<Value> = admin.get("/api/v1/audit?limit=20").await.json().await.unwrap();
    assert!(log.iter().any(|e| e["action"] == "export" && e["entity_id"] == id));
}

#[db_test]
async fn anonymising_a_record_also_clears_what_was_merged_into_it(app: TestApp) {
    let admin = app.signed_in(Role::Admin).await;
    let unit = app.seeded.unit_a.id;
    let a = register(&admin, &person(unit, "區伯", "Au Pak", "24445555")).await;
    let mut twin = person(unit, "区伯", "", "24445555");
    twin["id_doc_type"] = json!("");
    twin["id_doc_number"] = json!("");
    let b: Value = admin.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &twin).await.json().await.unwrap();
    let r = admin.json(Method::POST, "/api/v1/clients/merge", &json!({"survivor": a["id"], "merged": b["id"]})).await;
    assert_eq!(r.status(), 200);
    let survivor: Value = r.json().await.unwrap();
    let id = a["id"].as_str().unwrap();
    admin.json(Method::POST, &format!("/api/v1/clients/{id}/close"), &json!({"version": survivor["version"]})).await;
    app.db.clock.advance(chrono::Duration::days(365 * 8));
    let admin = app.signed_in(Role::Admin).await;
    let v: Value = admin.json(Method::POST, "/api/v1/clients/anonymise", &json!({"years": 7})).await.json().await.unwrap();
    assert_eq!(v["anonymised"].as_array().unwrap().len(), 2);
    let retired: Value = admin.get(&format!("/api/v1/clients/{}", b["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(retired["name_zh"], "");
    assert_eq!(retired["status"], "merged");
    let merges: Vec<Value> = admin.get("/api/v1/clients/merges").await.json().await.unwrap();
    assert!(!merges[0]["snapshot"].as_str().unwrap().contains("区伯"), "the merge snapshot is cleared too");
    // Nothing personal is left in the audit log either.
    let log: Vec<Value> = admin.get("/api/v1/audit?limit=200").await.json().await.unwrap();
    assert!(log.iter().all(|e| !e["detail"].as_str().unwrap().contains("區伯") && !e["detail"].as_str().unwrap().contains("24445555")));
}

async fn import_csv(c: &Client, unit: impl std::fmt::Display, csv: String, dry_run: bool) -> reqwest::Response {
    let token = c.csrf().await;
    c.http
        .post(c.url(&format!("/api/v1/clients/import?unit_id={unit}&dry_run={dry_run}")))
        .header("content-type", "text/csv")
        .header("x-csrf-token", token)
        .body(csv)
        .send()
        .await
        .unwrap()
}

#[db_test]
async fn import_is_checked_then_all_or_nothing_then_idempotent_and_export_is_audited(app: TestApp) {
    let sup = app.signed_in(Role::Supervisor).await;
    let unit = app.seeded.unit_a.id;
    let post_csv = |csv: String, dry_run: bool| import_csv(&sup, unit, csv, dry_run);
    let bad = "姓名,電話,出生日期,身份證\n陳大文,9123 4567,1948-05-01,A123456(3)\n李小明,12,1950-02-30,\n".to_string();
    let r = post_csv(bad.clone(), false).await;
    assert_eq!(r.status(), 422, "a file with a bad row registers nothing");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["committed"], false);
    let rows: Vec<u64> = v["errors"].as_array().unwrap().iter().map(|e| e["row"].as_u64().unwrap()).collect();
    assert!(rows.iter().all(|r| *r == 3), "both problems are on spreadsheet row 3: {v}");
    assert!(v["errors"].as_array().unwrap().len() >= 2);
    let found: Value = sup.get("/api/v1/clients?q=91234567").await.json().await.unwrap();
    assert_eq!(found["total"], 0);

    let good = "姓名,電話,出生日期,身份證\n陳大文,9123 4567,1948-05-01,A123456(3)\n李小明,6123 4567,1950-02-28,\n".to_string();
    let v: Value = post_csv(good.clone(), true).await.json().await.unwrap();
    assert_eq!((v["valid"].as_u64(), v["committed"].as_bool()), (Some(2), Some(false)), "{v}");
    let r = post_csv(good.clone(), false).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["created"], 2, "{v}");
    let found: Value = sup.get("/api/v1/clients?q=61234567").await.json().await.unwrap();
    assert_eq!(found["total"], 1, "imported people are searchable at once");
    // The same file again creates nobody.
    let v: Value = post_csv(good, false).await.json().await.unwrap();
    assert_eq!(v["created"], 0, "{v}");

    let r = sup.get("/api/v1/clients/export?format=csv").await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("陳大文") && body.contains("****4563") && !body.contains("A123456"), "{body}");
    let r = sup.get("/api/v1/clients/export?format=xlsx").await;
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"), "an XLSX file is a zip");
    let admin = app.signed_in(Role::Admin).await;
    let log: Vec<Value> = admin.get("/api/v1/audit?limit=50").await.json().await.unwrap();
    assert_eq!(log.iter().filter(|e| e["action"] == "export").count(), 2, "each export is audited");
    let vol = app.signed_in(Role::SocialWorker).await;
    assert_eq!(vol.get("/api/v1/clients/export?format=csv").await.status(), 403, "exports need the manage right");
}

/// The person's own export holds what every capability keeps about them (cases with their
/// notes, hotline calls, assistance, interpretation) and nothing about another person with
/// records of the same kinds in the same unit.
#[db_test]
async fn data_access_export_holds_the_persons_records_in_every_capability_and_nobody_elses(app: TestApp) {
    let unit = app.seeded.unit_a.id;
    let sw = app.signed_in(Role::SocialWorker).await;
    let hotline = app.signed_in(Role::HotlineOperator).await;
    let mut marks: Vec<Vec<String>> = Vec::new();
    let mut ids = Vec::new();
    for (zh, en, phone) in [("歐陽美華", "Au Yeung Mei Wah", "91112222"), ("司徒志強", "Szeto Chi Keung", "93334444")] {
        let body = json!({"unit_id": unit.to_string(), "name_zh": zh, "name_en": en, "sex": "female",
                          "date_of_birth": "1950-02-03", "phones": [phone], "district": "深水埗"});
        let id = register(&sw, &body).await["id"].as_str().unwrap().to_string();
        let intake = json!({"unit_id": unit.to_string(), "client_id": id, "source": "walk_in", "case_type": "in_depth",
                            "risk": "medium", "problems": ["employment"], "intake_summary": format!("Intake of {en}.")});
        let r = sw.json(Method::POST, "/api/v1/cases", &intake).await;
        assert_eq!(r.status(), 201);
        let case: Value = r.json().await.unwrap();
        let case_id = case["id"].as_str().unwrap();
        let note = json!({"contact_type": "phone", "body": format!("Spoke with {en} about work.")});
        assert_eq!(sw.json(Method::POST, &format!("/api/v1/cases/{case_id}/notes"), &note).await.status(), 201);
        let call = json!({"unit_id": unit.to_string(), "caller_phone": phone, "client_id": id, "call_type": "counselling",
                          "topics": ["anxiety"], "duration_minutes": 10, "note": format!("{en} called."), "risk": "low", "outcome": "resolved"});
        let r = hotline.json(Method::POST, "/api/v1/hotline/calls", &call).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let call_id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
        let help = json!({"unit_id": unit.to_string(), "client_id": id, "need": "food", "urgency": "urgent", "consent": true,
                          "source": "walk_in", "requested_by": "本人"});
        let r = sw.json(Method::POST, "/api/v1/assistance/requests", &help).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let request_id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
        let interp = json!({"unit_id": unit.to_string(), "client_id": id, "mode": "phone", "needed_on": "2026-03-03", "language": "ur",
                            "appointment": format!("Clinic visit of {en}")});
        let r = sw.json(Method::POST, "/api/v1/outreach/interpretations", &interp).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let interp_id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
        marks.push(vec![
            en.to_string(),
            case["case_no"].as_str().unwrap().to_string(),
            format!("Spoke with {en} about work."),
            call_id,
            request_id,
            interp_id,
        ]);
        ids.push(id);
    }
    let sup = app.signed_in(Role::Supervisor).await;
    let export = sup.get(&format!("/api/v1/clients/{}/data-export", ids[0])).await.text().await.unwrap();
    let v: Value = serde_json::from_str(&export).unwrap();
    assert_eq!(v["cases"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["cases"][0]["notes"].as_array().map(Vec::len), Some(1));
    for (i, m) in marks[0].iter().enumerate() {
        assert!(export.contains(m.as_str()), "the export holds the person's own {i}: {m}");
    }
    for m in &marks[1] {
        assert!(!export.contains(m.as_str()), "the export holds nothing of another person: {m}");
    }
}
