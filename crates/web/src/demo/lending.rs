//! Demo toy library: toys and kits at the toy library and the family centre, a dozen member
//! households made from demo clients, loans out and back (one with a part missing, so the
//! repair queue has something), and a reservation. Every name here is invented.

use crate::error::AppResult;
use chrono::NaiveDate;
use shegong_domain::accounts::{Actor, Role};
use shegong_domain::clients::{ClientFilter, HouseholdInput, MemberInput};
use shegong_domain::lending::{Condition, MemberFields, ReturnFields, ToyInput};
use shegong_domain::ports::Storage;
use shegong_domain::units::UnitType;

const TOYS: [(&str, i32, i32, i32, &str); 8] = [
    ("形狀配對盒 Shape sorter", 12, 36, 12, "fine_motor"),
    ("木製農場 Wooden farm", 24, 60, 18, "creative"),
    ("平衡石 Balance stones", 36, 96, 6, "gross_motor"),
    ("故事卡 Story cards", 36, 84, 40, "language"),
    ("磁力片 Magnetic tiles", 36, 120, 60, "cognitive"),
    ("感官球 Sensory balls", 0, 24, 5, "sensory"),
    ("情緒臉譜 Feelings faces", 48, 120, 24, "social_emotional"),
    ("敲擊樂器 Percussion set", 12, 72, 7, "creative"),
];

/// Seeds the toy library of the first agency. Returns how many toys were catalogued.
pub async fn seed_demo_lending(store: &dyn Storage, today: NaiveDate) -> AppResult<u64> {
    let Some(agency) = store.list_agencies().await?.into_iter().next() else {
        return Ok(0);
    };
    let org = agency.id;
    let users = store.list_users(org).await?;
    let Some(admin) = users.iter().find(|u| u.grants.has_role(Role::Admin)) else {
        return Ok(0);
    };
    let actor = Actor::from(admin);
    let units: Vec<_> = store
        .list_units(org)
        .await?
        .into_iter()
        .filter(|u| u.active && matches!(u.unit_type, UnitType::ToyLibrary | UnitType::FamilyCentre))
        .collect();
    let mut made = 0;
    for unit in &units {
        let mut toys = Vec::new();
        for (name, from, to, parts, area) in TOYS {
            let input = ToyInput {
                home_unit_id: Some(unit.id),
                name: name.into(),
                age_min_months: from,
                age_max_months: to,
                areas: vec![area.into()],
                parts,
                ..Default::default()
            };
            toys.push(store.create_toy(&actor, &input.validate()?).await?);
            made += 1;
        }
        let filter = ClientFilter { unit_id: Some(unit.id), ..Default::default() };
        let clients = store.list_clients(org, &filter, Some(&[unit.id]), 0, 12).await?.clients;
        let mut members = Vec::new();
        for c in clients {
            let household = match store.household_of(org, c.id).await? {
                Some(h) => h,
                None => {
                    let h = HouseholdInput {
                        unit_id: Some(unit.id),
                        name: format!("{}家", c.name_zh.chars().next().map(String::from).unwrap_or_else(|| c.name_en.clone())),
                        address: String::new(),
                        members: vec![MemberInput { client_id: c.id, relationship: "head".into() }],
                    };
                    store.create_household(&actor, &h.validate()?).await?
                }
            };
            if store.member_for_household(org, household.id).await?.is_none() {
                let f = MemberFields { household_id: household.id, unit_id: unit.id, membership: "standard".into() };
                members.push(store.enrol_member(&actor, &f, today - chrono::Duration::days(60)).await?);
            }
        }
        // Half the toys go out; the first comes back with a part missing, the second on time.
        for (t, m) in toys.iter().zip(members.iter()).take(4) {
            store.check_out(&actor, t.id, m.id, unit.id, today - chrono::Duration::days(16)).await?;
        }
        let out = store
            .loans(org, &shegong_domain::ports::LoanQuery { units: Some(&[unit.id]), open_only: true, limit: 10, ..Default::default() })
            .await?;
        for (i, l) in out.iter().take(2).enumerate() {
            let parts = if i == 0 { l.parts_out - 1 } else { l.parts_out };
            let back = ReturnFields { unit_id: unit.id, parts_returned: parts, condition: Condition::Good, note: "Demo return".into() };
            store.return_loan(&actor, l.id, &back, today - chrono::Duration::days(3)).await?;
        }
        if let (Some(t), Some(m)) = (toys.get(2), members.get(5)) {
            store.reserve(&actor, t.id, m.id, unit.id).await?;
        }
    }
    Ok(made)
}
