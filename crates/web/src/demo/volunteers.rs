//! Demo volunteers: a register per centre (with the demo `volunteer` login linked to one of them),
//! two training courses, duties at recent and coming activity sessions, a few served with hours
//! and one self-report waiting for approval, so the volunteer pages and reports have something
//! to show. Every name here is invented.

use crate::error::AppResult;
use chrono::{Duration, NaiveDate};
use shegong_domain::accounts::{Actor, Permission, Role, Scope};
use shegong_domain::ports::Storage;
use shegong_domain::volunteers::{kinds, CourseInput, DutyInput, HourSource, HoursFields, SignUpVia, VolunteerInput};

const NAMES: [(&str, &str, &str, &str); 6] = [
    ("何嘉欣", "Ho Ka Yan", "youth", "first_aid,cantonese,english"),
    ("陳志強", "Chan Chi Keung", "corporate", "driving,cantonese"),
    ("李美華", "Lee Mei Wah", "", "cooking,cantonese,putonghua"),
    ("Aisha Khan", "Aisha Khan", "youth", "urdu,english,first_aid"),
    ("黃子健", "Wong Tsz Kin", "school", "tutoring,cantonese,english"),
    ("梁婉婷", "Leung Yuen Ting", "", "counselling,cantonese"),
];

/// Seeds the demo's volunteers. Returns how many were registered.
pub async fn seed_demo_volunteers(store: &dyn Storage, today: NaiveDate) -> AppResult<u64> {
    let Some(agency) = store.list_agencies().await?.into_iter().next() else {
        return Ok(0);
    };
    let org = agency.id;
    let tz: chrono_tz::Tz = agency.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong);
    let users = store.list_users(org).await?;
    let Some(admin) = users.iter().find(|u| u.grants.has_role(Role::Admin)) else {
        return Ok(0);
    };
    let actor = Actor::from(admin);
    let login = users.iter().find(|u| u.grants.has_role(Role::Volunteer)).map(|u| u.id);
    let first_aid = CourseInput {
        title_en: "First aid".into(),
        title_zh_hant: "急救證書課程".into(),
        title_zh_hans: "急救证书课程".into(),
        hours: "6".into(),
        valid_months: "36".into(),
        ..Default::default()
    };
    let first_aid = store.create_course(&actor, &first_aid.validate()?).await?;
    let listening = CourseInput {
        title_en: "Hotline listening skills".into(),
        title_zh_hant: "熱線聆聽技巧".into(),
        title_zh_hans: "热线倾听技巧".into(),
        hours: "3".into(),
        required_for: vec!["peer_supporter".into()],
        ..Default::default()
    };
    store.create_course(&actor, &listening.validate()?).await?;
    let units: Vec<_> = store.list_units(org).await?.into_iter().filter(|u| u.active).collect();
    let mut registered = 0;
    for (i, unit) in units.iter().enumerate() {
        let mut ids = Vec::new();
        for (j, (zh, en, team, words)) in NAMES.iter().enumerate().filter(|(j, _)| (j + i) % 2 == 0) {
            let (skills, languages): (Vec<&str>, Vec<&str>) =
                words.split(',').partition(|w| !matches!(*w, "cantonese" | "english" | "putonghua" | "urdu"));
            let input = VolunteerInput {
                unit_id: Some(unit.id),
                user_id: if i == 2 && j == 0 { login } else { None },
                name_zh: (*zh).into(),
                name_en: (*en).into(),
                district: unit.district.clone(),
                latitude: unit.latitude.map(|x| (x + 0.004 * j as f64).to_string()).unwrap_or_default(),
                longitude: unit.longitude.map(|x| x.to_string()).unwrap_or_default(),
                roles: if j == 5 { vec!["peer_supporter".into()] } else { vec!["volunteer".into()] },
                skills: skills.iter().map(|s| s.to_string()).collect(),
                languages: languages.iter().map(|s| s.to_string()).collect(),
                availability: vec!["sat_am".into(), "sat_pm".into(), if j % 2 == 0 { "wed_eve" } else { "sun_am" }.into()],
                team: (*team).into(),
                check_status: if j % 3 == 0 { "cleared" } else { "not_done" }.into(),
                joined_on: (today - Duration::days(400)).to_string(),
                active: true,
                ..Default::default()
            };
            let v = store.create_volunteer(&actor, &input.validate(today)?).await?;
            if j % 2 == 0 {
                store.record_training(&actor, v.id, &first_aid, today - Duration::days(200)).await?;
            }
            ids.push(v.id);
            registered += 1;
        }
        // Two duties per centre with groups: a past session's (served, confirmed) and a coming one.
        let sessions: Vec<_> = store
            .calendar(org, Some(&[unit.id]), None, today - Duration::days(30), today + Duration::days(30))
            .await?
            .into_iter()
            .collect();
        let past = sessions.iter().rev().find(|s| s.session.date < today);
        let coming = sessions.iter().find(|s| s.session.date > today);
        for (s, served) in [(past, true), (coming, false)] {
            let Some(s) = s else { continue };
            let input = DutyInput {
                unit_id: Some(unit.id),
                kind: kinds::ACTIVITY_SESSION.into(),
                ref_id: Some(s.session.id.0),
                title: format!("{} · 義工助手", s.activity_title),
                needed: 2,
                date: s.session.date.to_string(),
                starts_at: s.session.starts_at.clone(),
                ends_at: s.session.ends_at.clone(),
                courses: if served { vec![] } else { vec![first_aid.id] },
                ..Default::default()
            };
            let Ok(f) = input.validate(tz, today, std::slice::from_ref(&first_aid)) else { continue };
            let d = store.create_duty(&actor, &f).await?;
            for v in ids.iter().take(if served { 2 } else { 1 }) {
                let Ok(a) = store.assign(&actor, d.id, *v, SignUpVia::Staff).await else { continue };
                if served {
                    let h = HoursFields { served_on: d.day, minutes: d.minutes(), content: d.title.clone(), unit_id: None };
                    store.close_assignment(&actor, a.id, a.version, None, &h).await?;
                }
            }
        }
        if let Some(v) = ids.first() {
            let h = HoursFields {
                served_on: today - Duration::days(3), minutes: 90, content: "電話慰問獨居長者".into(), unit_id: None
            };
            let staff = users.iter().any(|u| u.grants.allows(Permission::ManageVolunteers, Scope::Unit(unit.id)));
            let source = if staff { HourSource::SelfReport } else { HourSource::Staff };
            store.add_hours(&actor, *v, unit.id, source, &h).await?;
        }
    }
    Ok(registered)
}
