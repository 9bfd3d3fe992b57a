//! Demo output targets: a year's Funding and Service Agreement indicators for the first units,
//! so the dashboard shows achievement and pace. The figures are invented.

use crate::error::AppResult;
use chrono::{Datelike, NaiveDate};
use shegong_domain::accounts::{Actor, Role};
use shegong_domain::ports::Storage;
use shegong_domain::reports::TargetInput;

/// (measure, yearly target) of each demo unit.
const TARGETS: [(&str, &str); 4] =
    [("person_times", "1200"), ("cases_served", "60"), ("programmes_held", "24"), ("volunteer_hours", "400")];

/// Seeds the targets of this year for the first three active units of the first agency.
/// Returns how many were set.
pub async fn seed_demo_targets(store: &dyn Storage, today: NaiveDate) -> AppResult<u64> {
    let Some(agency) = store.list_agencies().await?.into_iter().next() else {
        return Ok(0);
    };
    let org = agency.id;
    let users = store.list_users(org).await?;
    let Some(admin) = users.iter().find(|u| u.grants.has_role(Role::Admin)) else {
        return Ok(0);
    };
    let actor = Actor::from(admin);
    let mut n = 0;
    for unit in store.list_units(org).await?.into_iter().filter(|u| u.active).take(3) {
        for (measure, target) in TARGETS {
            let input = TargetInput {
                unit_id: Some(unit.id),
                agreement: format!("FSA {}-{:02}", today.year(), (today.year() + 1) % 100),
                year: today.year().to_string(),
                measure: measure.into(),
                target: target.into(),
                ..Default::default()
            };
            store.create_target(&actor, &input.validate()?).await?;
            n += 1;
        }
    }
    Ok(n)
}
