//! Coverage (便利圈): people counted by walking time on a hand-made grid with known distances,
//! in a straight line and on a hand-made walking network; suggestions that pick the site with
//! the known best gain; settings with stale versions refused; malformed grids refused with row
//! messages; small areas hidden from a funder; the XLSX export audited; the page's map; and an
//! agency that sees nothing of another's.

use reqwest::Method;
use serde_json::{json, Value};
use shegong_domain::accounts::{Actor, Role};
use shegong_domain::coverage::WalkGraph;
use shegong_domain::ports::{AuditRepo, CoverageRepo};
use shegong_testkit::{db_test, ok, refused, TestApp};

/// A place `m` metres east (and `n` metres north) of the service point at (22.30, 114.17).
fn at(m: f64, n: f64) -> (f64, f64) {
    let r = 6371.0;
    (22.30 + (n / 1000.0 / r).to_degrees(), 114.17 + (m / 1000.0 / (r * 22.30f64.to_radians().cos())).to_degrees())
}

fn counts(v: &Value) -> [u64; 5] {
    ["within_10", "within_15", "within_20", "beyond_20", "total"].map(|k| v[k].as_u64().unwrap())
}

/// The grid of these tests: 10 people 500 m east (2 elderly living alone), 20 people 1 km
/// east, 30 people 2 km east (6 low-income), and 3 people 450 m north.
fn grid() -> String {
    let mut s = String::from("district,lat,lng,count,elderly_alone,low_income\n");
    for (m, n, count, elderly, low) in [(500.0, 0.0, 10, 2, 0), (1000.0, 0.0, 20, 0, 0), (2000.0, 0.0, 30, 0, 6), (0.0, 450.0, 3, 0, 0)] {
        let (la, lo) = at(m, n);
        s.push_str(&format!("灣仔,{la:.7},{lo:.7},{count},{elderly},{low}\n"));
    }
    s
}

#[db_test]
async fn coverage_counts_people_by_walking_time_and_suggests_sites(app: TestApp) {
    let admin = app.signed_in(Role::Admin).await;
    let (la, lo) = at(0.0, 0.0);
    let unit = json!({"code": "COV-1", "name_zh_hant": "便利中心", "unit_type": "family_centre", "district": "灣仔",
                      "latitude": la.to_string(), "longitude": lo.to_string()});
    ok(admin.json(Method::POST, "/api/v1/units", &unit).await, 201).await;

    // The grid replaces whatever was there; a broken file names its rows and changes nothing.
    let put_grid = |body: String| {
        let c = &admin;
        async move {
            let token = c.csrf().await;
            c.http
                .put(c.url("/api/v1/coverage/grid"))
                .header("x-csrf-token", token)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(ok(put_grid(grid()).await, 200).await["cells"], 4);
    let bad = refused(put_grid("lat,lng,count\n22.3,114.1,many\n95,114.1,3\n".into()).await).await;
    assert_eq!(bad, [("file".to_string(), "grid-row".to_string()), ("file".into(), "grid-row".into())]);
    assert_eq!(refused(put_grid("name,people\nx,1\n".into()).await).await, [("file".to_string(), "grid-columns".to_string())]);

    // Straight line: 0.5 km × 1.3 at 4.8 km/h = 8.1 min; 1 km: 16.25; 2 km: 32.5; 450 m: 7.3.
    let r = ok(admin.get("/api/v1/coverage?source=grid&method=straight").await, 200).await;
    assert_eq!(counts(&r["totals"]["all"]), [13, 13, 33, 30, 63]);
    assert_eq!(r["totals"]["categories"][0]["code"], "elderly_alone");
    assert_eq!(counts(&r["totals"]["categories"][0]["counts"]), [2, 2, 2, 0, 2]);
    assert_eq!(counts(&r["totals"]["categories"][2]["counts"]), [0, 0, 0, 6, 6]);
    assert_eq!(r["cells"].as_array().unwrap().len(), 4, "the admin sees every area");
    assert_eq!(r["hidden_cells"], 0);
    assert_eq!(r["districts"], json!(["灣仔"]));
    // One district, or a district with nobody.
    let r = ok(admin.get("/api/v1/coverage?source=grid&method=straight&district=灣仔").await, 200).await;
    assert_eq!(r["totals"]["all"]["total"], 63);
    let r = ok(admin.get("/api/v1/coverage?source=grid&district=Sai%20Kung").await, 200).await;
    assert_eq!(r["totals"]["all"]["total"], 0);
    assert_eq!(refused(admin.get("/api/v1/coverage?k=99").await).await, [("k".to_string(), "out-of-range".to_string())]);
    assert_eq!(
        refused(admin.get("/api/v1/coverage?method=network").await).await,
        [("method".to_string(), "coverage-no-network".to_string())]
    );

    // A funder sees counts by area, never an area of fewer than 5 people.
    let funder = app.signed_in(Role::FunderViewer).await;
    let f = ok(funder.get("/api/v1/coverage?source=grid").await, 200).await;
    assert_eq!(f["hidden_cells"], 1);
    assert!(f["cells"].as_array().unwrap().iter().all(|c| c["people"].as_u64().unwrap() >= 5));
    assert_eq!(f["totals"]["all"]["total"], 63, "totals still count everyone");
    let token = funder.csrf().await;
    let r = funder.http.put(funder.url("/api/v1/coverage/grid")).header("x-csrf-token", token).body(grid()).send().await.unwrap();
    assert_eq!(r.status(), 403);

    // Candidate sites: one at the far cluster, one nowhere near anyone.
    let far = at(1500.0, 0.0);
    let nowhere = at(-6000.0, 0.0);
    let s1 = ok(
        admin
            .json(
                Method::POST,
                "/api/v1/coverage/sites",
                &json!({"name": "Far hall", "district": "灣仔", "latitude": far.0.to_string(), "longitude": far.1.to_string()}),
            )
            .await,
        201,
    )
    .await;
    ok(
        admin
            .json(
                Method::POST,
                "/api/v1/coverage/sites",
                &json!({"name": "Pier", "latitude": nowhere.0.to_string(), "longitude": nowhere.1.to_string()}),
            )
            .await,
        201,
    )
    .await;
    let bad =
        refused(admin.json(Method::POST, "/api/v1/coverage/sites", &json!({"name": "", "latitude": "91", "longitude": ""})).await).await;
    assert_eq!(bad.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(), ["name", "latitude", "longitude"]);

    let r = ok(admin.get("/api/v1/coverage?source=grid&method=straight&k=1").await, 200).await;
    let s = &r["suggestion"];
    assert_eq!(s["method"], "exact");
    assert_eq!(s["sites"][0]["name"], "Far hall");
    assert_eq!(
        s["sites"][0]["people"], 50,
        "the 30 people at 2 km and the 20 at 1 km, each 500 m (8.1 min) from the hall, come within 15 minutes"
    );
    assert_eq!(s["within_target_before"], json!([13, 2, 0, 0, 0]));
    assert_eq!(s["within_target_after"], json!([63, 2, 0, 6, 0]));
    assert_eq!(counts(&s["after"]["all"]), [63, 63, 63, 0, 63]);
    // Candidates clicked on the map instead of the stored ones.
    let body = json!({"source": "grid", "method": "straight", "k": 1, "candidates": [{"name": "here", "latitude": nowhere.0, "longitude": nowhere.1}, {"name": "there", "latitude": far.0, "longitude": far.1}]});
    let r = ok(admin.json(Method::POST, "/api/v1/coverage/suggestions", &body).await, 200).await;
    assert_eq!(r["suggestion"]["sites"][0]["name"], "there");
    assert_eq!(
        refused(admin.json(Method::POST, "/api/v1/coverage/suggestions", &json!({"k": 0})).await).await,
        [("k".to_string(), "out-of-range".to_string())]
    );

    // Sites carry versions.
    let id = s1["id"].as_str().unwrap();
    let edit =
        json!({"name": "Far hall (2/F)", "district": "灣仔", "latitude": far.0.to_string(), "longitude": far.1.to_string(), "version": 1});
    assert_eq!(ok(admin.json(Method::PUT, &format!("/api/v1/coverage/sites/{id}"), &edit).await, 200).await["version"], 2);
    ok(admin.json(Method::PUT, &format!("/api/v1/coverage/sites/{id}"), &edit).await, 409).await;
    ok(admin.json(Method::DELETE, &format!("/api/v1/coverage/sites/{id}?version=1"), &Value::Null).await, 409).await;
    let r = admin.json(Method::DELETE, &format!("/api/v1/coverage/sites/{id}?version=2"), &Value::Null).await;
    assert_eq!(r.status(), 204);
    assert_eq!(ok(admin.get("/api/v1/coverage/sites").await, 200).await.as_array().unwrap().len(), 1);

    // Settings: a slower walker; a stale or wrong save is refused.
    let s = ok(admin.get("/api/v1/coverage/settings").await, 200).await;
    assert_eq!((s["detour_factor"].as_f64(), s["walk_kmh"].as_f64(), s["version"].as_i64()), (Some(1.3), Some(4.8), Some(0)));
    let save = json!({"detour_factor": "1.3", "walk_kmh": "3", "target_minutes": "15", "weight_elderly_alone": "2", "version": 0});
    assert_eq!(ok(admin.json(Method::PUT, "/api/v1/coverage/settings", &save).await, 200).await["version"], 1);
    ok(admin.json(Method::PUT, "/api/v1/coverage/settings", &save).await, 409).await;
    let wrong = json!({"detour_factor": "0.2", "walk_kmh": "3", "target_minutes": "15", "version": 1});
    assert_eq!(
        refused(admin.json(Method::PUT, "/api/v1/coverage/settings", &wrong).await).await,
        [("detour_factor".to_string(), "out-of-range".to_string())]
    );
    // At 3 km/h, 500 m east takes 13 minutes.
    let r = ok(admin.get("/api/v1/coverage?source=grid&method=straight").await, 200).await;
    assert_eq!(counts(&r["totals"]["all"]), [0, 13, 13, 50, 63]);
    let back = json!({"detour_factor": "1.3", "walk_kmh": "4.8", "target_minutes": "15", "version": 1});
    ok(admin.json(Method::PUT, "/api/v1/coverage/settings", &back).await, 200).await;

    // A walking network straight east, nodes every 250 m: 1 km on it is 12.5 minutes (within
    // 15), where the straight-line estimate with detour said 16.25.
    let nodes: Vec<(f64, f64)> = (0..=8).map(|i| at(f64::from(i) * 250.0, 0.0)).collect();
    let edges: Vec<(u32, u32, f32)> = (0..8).map(|i| (i, i + 1, 250.0)).collect();
    let graph = WalkGraph::new(nodes, &edges);
    app.store().save_network(&Actor::system(app.seeded.org), &graph, "test.osm").await.unwrap();
    let info = ok(admin.get("/api/v1/coverage/network").await, 200).await;
    assert_eq!((info["nodes"].as_u64(), info["edges"].as_u64()), (Some(9), Some(8)));
    let r = ok(admin.get("/api/v1/coverage?source=grid").await, 200).await;
    assert_eq!(r["method"], "network");
    // 500 m: 6.25 min; 1 km: 12.5; 2 km: 25; 450 m north: off by 450 m × 1.3 = 7.3 min.
    assert_eq!(counts(&r["totals"]["all"]), [13, 33, 33, 30, 63]);

    // Clients as residents: one person at home 300 m east, living alone, elderly.
    let home = at(300.0, 0.0);
    let unit_a = app.seeded.unit_a.id.to_string();
    let client = json!({"unit_id": unit_a, "name_zh": "陳婆婆", "sex": "female", "date_of_birth": "1940-05-01", "phones": ["91234567"],
                        "latitude": home.0.to_string(), "longitude": home.1.to_string(), "preferred_language": "cantonese",
                        "categories": ["elderly_alone"]});
    ok(admin.json(Method::POST, "/api/v1/clients?confirm_duplicates=true", &client).await, 201).await;
    let r = ok(admin.get("/api/v1/coverage?source=clients").await, 200).await;
    assert_eq!(counts(&r["totals"]["all"]), [1, 1, 1, 0, 1]);
    assert_eq!(r["totals"]["categories"][0]["counts"]["within_10"], 1);
    let f = ok(funder.get("/api/v1/coverage?source=clients").await, 200).await;
    assert_eq!(
        (f["cells"].as_array().unwrap().len(), f["hidden_cells"].as_u64()),
        (0, Some(1)),
        "one person's home is never an area a funder sees"
    );
    assert_eq!(f["totals"]["all"]["total"], 1);

    // The export is a workbook, and the audit log says who took it.
    let r = admin.get("/coverage/export?source=grid&k=1").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"));
    let audit = app.store().list_audit(app.seeded.org, None, 500).await.unwrap();
    assert!(audit.iter().any(|e| e.entity_type == "coverage" && e.action == "export"));
    for what in ["coverage_grid", "coverage_site", "coverage_settings", "coverage_network"] {
        assert!(audit.iter().any(|e| e.entity_type == what), "{what} is audited");
    }

    // The page: the map, the table, and forms that keep what was typed.
    let (status, page) = admin.page("/coverage?source=grid&k=1").await;
    assert_eq!(status, 200);
    assert!(page.contains("<svg id=\"coverage-map\""), "{page}");
    assert!(page.contains("data-band=\"beyond_20\""));
    assert!(page.contains("id=\"coverage-suggestion\""));
    let r = admin
        .post_form("/coverage/settings", &[("detour_factor", "9"), ("walk_kmh", "4.8"), ("target_minutes", "15"), ("version", "2")])
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("value=\"9\""), "the input is kept");
    let r = admin.post_form("/coverage/sites", &[("name", "Market"), ("latitude", "22.31"), ("longitude", "abc")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("value=\"Market\""));
    let r = admin.post_form("/coverage/sites", &[("name", "Market"), ("latitude", "22.31"), ("longitude", "114.2")]).await;
    assert_eq!(r.status(), 303);

    // Another agency sees none of it.
    let other = shegong_testkit::seed(app.store(), "cov-").await;
    let c = app.client();
    assert_eq!(c.login(&other.user(Role::Admin).username, shegong_testkit::PASSWORD).await.status(), 303);
    let r = ok(c.get("/api/v1/coverage").await, 200).await;
    assert_eq!(r["totals"]["all"]["total"], 0);
    assert!(r["sites"].as_array().unwrap().is_empty());
    assert!(r["network"].is_null());
}
