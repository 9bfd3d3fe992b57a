//! The hash-chained audit log: written for every change and sign-in, verifiable, tamper-evident.

use shegong_domain::accounts::{Actor, Role};
use shegong_domain::ports::{AuditRepo, UnitsRepo};
use shegong_testkit::{db_test, unit_input, TestApp, TestDb};

#[db_test]
async fn changes_and_sign_ins_are_recorded(app: TestApp) {
    let c = app.signed_in(Role::Admin).await;
    c.post_form("/units", &[("code", "AUD-1"), ("name_en", "Audited"), ("unit_type", "other"), ("active", "true")]).await;
    let entries: Vec<serde_json::Value> = c.get("/api/v1/audit").await.json().await.unwrap();
    let actions: Vec<(&str, &str)> = entries.iter().map(|e| (e["action"].as_str().unwrap(), e["entity_type"].as_str().unwrap())).collect();
    assert_eq!(actions[0], ("create", "unit"), "newest first: {actions:?}");
    assert_eq!(actions[1], ("sign_in", "user"));
    assert_eq!(entries[0]["actor_name"], "admin");
    assert!(entries[0]["detail"].as_str().unwrap().contains("AUD-1"));
    let (status, page) = c.page("/audit").await;
    assert_eq!(status, 200);
    assert!(page.contains("AUD-1"));
}

#[db_test]
async fn concurrent_writes_keep_one_unbroken_chain(db: TestDb) {
    let seeded = shegong_testkit::seed(&db.store, "").await;
    let actor = Actor::from(seeded.user(Role::Admin));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = db.store.clone();
        let actor = actor.clone();
        tasks.push(tokio::spawn(async move {
            store.create_unit(&actor, &unit_input(&format!("C-{i}"), "並發").validate().unwrap()).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let report = db.store.verify_audit(seeded.org).await.unwrap();
    assert_eq!(report.first_bad_seq, None);
    // agency + 2 units + 8 users at seeding, then 16 units.
    assert_eq!(report.entries, 1 + 2 + 8 + 16);
}

#[db_test]
async fn tampering_is_detected(db: TestDb) {
    let seeded = shegong_testkit::seed(&db.store, "").await;
    assert_eq!(db.store.verify_audit(seeded.org).await.unwrap().first_bad_seq, None);
    // The table refuses edits outright …
    let refused = db.store.execute_raw("UPDATE audit_log SET actor_name = 'x' WHERE seq = 3").await;
    assert!(refused.is_err(), "audit_log is append-only");
    let refused = db.store.execute_raw("DELETE FROM audit_log WHERE seq = 3").await;
    assert!(refused.is_err(), "audit_log is append-only");
    // … and someone who removes that guard still cannot hide an edit from the chain check.
    let drop = match db.backend {
        shegong_testkit::Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
        shegong_testkit::Backend::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log",
    };
    db.store.execute_raw(drop).await.unwrap();
    db.store.execute_raw("UPDATE audit_log SET detail = '{\"forged\":true}' WHERE seq = 3").await.unwrap();
    assert_eq!(db.store.verify_audit(seeded.org).await.unwrap().first_bad_seq, Some(3));
}

#[db_test]
async fn cutting_the_newest_entries_is_detected(db: TestDb) {
    let seeded = shegong_testkit::seed(&db.store, "").await;
    let drop: &[&str] = match db.backend {
        shegong_testkit::Backend::Sqlite => &["DROP TRIGGER audit_log_no_delete"],
        shegong_testkit::Backend::Postgres => &["DROP TRIGGER audit_log_no_update ON audit_log"],
    };
    for d in drop {
        db.store.execute_raw(d).await.unwrap();
    }
    db.store.execute_raw("DELETE FROM audit_log WHERE seq >= 9").await.unwrap();
    let r = db.store.verify_audit(seeded.org).await.unwrap();
    assert!(r.first_bad_seq.is_some(), "a shortened chain no longer matches its head");
}
