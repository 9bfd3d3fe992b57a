//! Demo emergency assistance and donations: two invented donors, a donation of masks and rice
//! at the first family centre, a cash gift, and requests for households of demo clients, one
//! delivered with masks handed over, one dispatched, one waiting. Every name here is invented.

use crate::error::AppResult;
use chrono::NaiveDate;
use shegong_domain::accounts::{Actor, Permission, Role, Scope};
use shegong_domain::assistance::{DeliveredItem, DeliveryInput, RequestInput};
use shegong_domain::clients::ClientFilter;
use shegong_domain::donations::{DonationInput, DonorInput, ItemInput};
use shegong_domain::ports::Storage;
use shegong_domain::units::UnitType;

/// Seeds assistance and donations for the first agency. Returns how many requests were taken.
pub async fn seed_demo_assistance(store: &dyn Storage, today: NaiveDate) -> AppResult<u64> {
    let Some(agency) = store.list_agencies().await?.into_iter().next() else {
        return Ok(0);
    };
    let org = agency.id;
    let users = store.list_users(org).await?;
    let Some(admin) = users.iter().find(|u| u.grants.has_role(Role::Admin)) else {
        return Ok(0);
    };
    let actor = Actor::from(admin);
    let Some(unit) = store.list_units(org).await?.into_iter().find(|u| u.active && u.unit_type == UnitType::FamilyCentre) else {
        return Ok(0);
    };
    let company = DonorInput {
        name: "晴天物流有限公司 Sunny Day Logistics".into(),
        kind: "company".into(),
        contact_person: "Ms. Wong".into(),
        ..Default::default()
    };
    let company = store.create_donor(&actor, &company.validate()?).await?;
    let fund = DonorInput { name: "同行基金會 Walk Together Foundation".into(), kind: "foundation".into(), ..Default::default() };
    let fund = store.create_donor(&actor, &fund.validate()?).await?;
    let item = |name: &str, category: &str, uom: &str, quantity, value: &str, expiry| ItemInput {
        name: name.into(),
        category: category.into(),
        uom: uom.into(),
        quantity,
        value_per_unit: value.into(),
        basis: "invoice".into(),
        expiry,
        lot: String::new(),
    };
    let goods = DonationInput {
        donor_id: Some(company.id),
        unit_id: Some(unit.id),
        kind: "in_kind".into(),
        received_on: Some(today),
        items: vec![
            item("外科口罩 Surgical masks", "masks", "box", 200, "35.50", None),
            item("白米 Rice", "food", "bag", 60, "58", Some(today + chrono::Duration::days(20))),
        ],
        ..Default::default()
    };
    let goods = store.record_donation(&actor, &goods.validate(today)?).await?;
    let cash = DonationInput {
        donor_id: Some(fund.id),
        unit_id: Some(unit.id),
        kind: "cash".into(),
        received_on: Some(today),
        restricted: true,
        intended_use: "長者緊急物資 Emergency supplies for elders".into(),
        amount: "20000".into(),
        method: "bank_transfer".into(),
        ..Default::default()
    };
    store.record_donation(&actor, &cash.validate(today)?).await?;
    let filter = ClientFilter { unit_id: Some(unit.id), ..Default::default() };
    let clients = store.list_clients(org, &filter, Some(&[unit.id]), 0, 3).await?.clients;
    let deliverer = users
        .iter()
        .find(|u| u.active && u.grants.allows(Permission::DeliverAssistance, Scope::Unit(unit.id)) && !u.grants.has_role(Role::Admin));
    let settings = store.assistance_settings(org).await?;
    let mut made = 0;
    for (i, c) in clients.iter().enumerate() {
        let input = RequestInput {
            unit_id: Some(unit.id),
            client_id: Some(c.id),
            need: if i == 1 { "food".into() } else { "masks".into() },
            urgency: if i == 0 { "urgent".into() } else { "routine".into() },
            consent: true,
            requested_by: "本人 Self".into(),
            ..Default::default()
        };
        let mut f = input.validate(&settings)?;
        f.household_id = store.household_of(org, c.id).await?.map(|h| h.id);
        f.persons = Some(1);
        let r = store.create_request(&actor, &f, today).await?;
        made += 1;
        let Some(d) = deliverer else { continue };
        if i < 2 {
            store.dispatch_request(&actor, r.id, d.id).await?;
        }
        if i == 0 {
            let step = DeliveryInput {
                step: "delivered".into(),
                proof: "confirmation".into(),
                recipient_name: c.display_name(),
                items: vec![DeliveredItem { item_id: Some(goods.items[0].id), quantity: 5 }],
                ..Default::default()
            };
            store.delivery_step(&actor, r.id, &step.validate(false)?, today).await?;
        }
    }
    Ok(made)
}
