//! Demo coverage: an invented population grid over the demo units' districts (counts made up
//! by a formula, not taken from any census) and a few invented candidate sites, so the
//! coverage page has something to show.

use crate::error::AppResult;
use shegong_domain::accounts::{Actor, Role};
use shegong_domain::coverage::{distance_km, GridCell, SiteInput};
use shegong_domain::ports::Storage;

const SITES: [(&str, &str, &str, &str); 5] = [
    ("藍田社區會堂 Lam Tin community hall", "觀塘 Kwun Tong", "22.3060", "114.2370"),
    ("秀茂坪空置舖位 Sau Mau Ping vacant shop", "觀塘 Kwun Tong", "22.3200", "114.2320"),
    ("石硤尾屋邨辦事處 Shek Kip Mei estate office", "深水埗 Sham Shui Po", "22.3330", "114.1680"),
    ("將軍澳站旁 Tseung Kwan O station", "西貢 Sai Kung", "22.3080", "114.2600"),
    ("跑馬地街坊會 Happy Valley kaifong hall", "灣仔 Wan Chai", "22.2700", "114.1840"),
];

/// Seeds the first agency's grid and candidate sites. Returns the number of grid cells.
pub async fn seed_demo_coverage(store: &dyn Storage) -> AppResult<u64> {
    let Some(agency) = store.list_agencies().await?.into_iter().next() else {
        return Ok(0);
    };
    let org = agency.id;
    let users = store.list_users(org).await?;
    let Some(admin) = users.iter().find(|u| u.grants.has_role(Role::Admin)) else {
        return Ok(0);
    };
    let actor = Actor::from(admin);
    let units: Vec<(String, f64, f64)> =
        store.list_units(org).await?.into_iter().filter_map(|u| Some((u.district.clone(), u.latitude?, u.longitude?))).collect();
    if units.is_empty() {
        return Ok(0);
    }
    let mut cells = Vec::new();
    let step = 0.004;
    for i in 0..20 {
        for j in 0..34 {
            let (lat, lng) = (22.268 + f64::from(i) * step, 114.135 + f64::from(j) * step);
            let Some((district, d)) =
                units.iter().map(|(dist, la, lo)| (dist, distance_km((lat, lng), (*la, *lo)))).min_by(|a, b| a.1.total_cmp(&b.1))
            else {
                continue;
            };
            // Settlements thin out away from the districts' centres; a made-up ripple varies them.
            if d > 3.2 {
                continue;
            }
            let ripple = ((f64::from(i) * 1.7).sin() * (f64::from(j) * 1.3).cos()).abs();
            let people = (40.0 + 360.0 * ripple * (1.0 - d / 3.5)).round() as u32;
            cells.push(GridCell {
                district: district.clone(),
                latitude: lat,
                longitude: lng,
                people,
                cats: [people / 14, people / 25, people / 8, people / 40],
            });
        }
    }
    let n = store.replace_grid(&actor, &cells).await?;
    for (name, district, lat, lng) in SITES {
        let input = SiteInput { name: name.into(), district: district.into(), latitude: lat.into(), longitude: lng.into() };
        store.create_site(&actor, &input.validate()?).await?;
    }
    Ok(n)
}
