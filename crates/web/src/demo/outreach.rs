//! Demo outreach: a session at the first family centre's district with the ethnic-minority
//! demo clients of that unit and counts of people not registered, an interpretation request in
//! the first client's language, an escort tomorrow (so the task list shows its reminder) and a
//! home visit due. Every name here is invented.

use crate::error::AppResult;
use chrono::NaiveDate;
use shegong_domain::accounts::{Actor, Permission, Role, Scope};
use shegong_domain::clients::ClientFilter;
use shegong_domain::outreach::{client_language, ContactInput, EscortInput, InterpretationInput, OutreachSessionInput, VisitInput};
use shegong_domain::ports::Storage;
use shegong_domain::units::UnitType;

/// Seeds outreach for the first agency. Returns how many people the session contacted.
pub async fn seed_demo_outreach(store: &dyn Storage, today: NaiveDate) -> AppResult<u64> {
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
    // The unit's staff who interpret declare their languages.
    for u in users.iter().filter(|u| u.active && u.grants.allows(Permission::Interpret, Scope::Unit(unit.id))) {
        store.save_interpreter_languages(&actor, u.id, &["yue".to_string(), "en".to_string()], 0).await?;
    }
    let filter = ClientFilter { unit_id: Some(unit.id), category: "ethnic_minority".into(), ..Default::default() };
    let clients = store.list_clients(org, &filter, Some(&[unit.id]), 0, 3).await?.clients;
    let staff: Vec<_> = users
        .iter()
        .filter(|u| u.active && u.grants.allows(Permission::EditOutreach, Scope::Unit(unit.id)) && !u.grants.has_role(Role::Admin))
        .map(|u| u.id)
        .collect();
    let language = |c: &shegong_domain::clients::Client| client_language(c.preferred_language).unwrap_or("en").to_string();
    let mut contacts: Vec<ContactInput> =
        clients.iter().map(|c| ContactInput { client_id: Some(c.id), language: language(c), ..Default::default() }).collect();
    for (category, lang, count) in [("ethnic_minority", "ur", 9), ("ethnic_minority", "ne", 6), ("elderly_alone", "yue", 4)] {
        contacts.push(ContactInput { category: category.into(), language: lang.into(), count: Some(count), ..Default::default() });
    }
    let session = OutreachSessionInput {
        unit_id: Some(unit.id),
        held_on: today.to_string(),
        district: unit.district.clone(),
        area: "街市及公園 Market and park".into(),
        staff: staff.clone(),
        ambassadors: vec!["Ayesha Malik, Ram Thapa".into()],
        needs_found: "幾個家庭看不懂醫院覆診信。Several families cannot read their hospital letters.".into(),
        contacts,
        ..Default::default()
    };
    let codes: Vec<String> = store.categories(org).await?.into_iter().map(|c| c.code).collect();
    let session = store.create_outreach_session(&actor, &session.validate(&codes, today)?).await?;
    if let Some(c) = clients.first() {
        let request = InterpretationInput {
            unit_id: Some(unit.id),
            client_id: Some(c.id),
            language: language(c),
            mode: "on_site".into(),
            needed_on: (today + chrono::Duration::days(1)).to_string(),
            appointment: "伊利沙伯醫院 內科 Queen Elizabeth Hospital, medical clinic".into(),
            ..Default::default()
        };
        store.create_interpretation(&actor, &request.validate()?, today).await?;
        let escort = EscortInput {
            unit_id: Some(unit.id),
            client_id: Some(c.id),
            appointment_on: (today + chrono::Duration::days(1)).to_string(),
            appointment_time: "10:30".into(),
            place: "伊利沙伯醫院 Queen Elizabeth Hospital".into(),
            department: "內科 Medicine".into(),
            escort_name: "Ayesha Malik".into(),
            transport: "public_transport".into(),
            language: language(c),
            ..Default::default()
        };
        store.create_escort(&actor, &escort.validate()?).await?;
    }
    if let Some(c) = clients.get(1) {
        let visit = VisitInput {
            unit_id: Some(unit.id),
            client_id: Some(c.id),
            planned_on: today.to_string(),
            purpose: "探訪新來港家庭 Visit a newly arrived family".into(),
            ..Default::default()
        };
        store.create_visit(&actor, &visit.validate()?).await?;
    }
    Ok(u64::try_from(session.people()).unwrap_or(0))
}
