//! Demo activities: a few groups and programmes per centre over recent months, with sessions,
//! enrolments and attendance, so the activity pages and counts have something to show. Every
//! title and name here is invented.

use crate::error::AppResult;
use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use shegong_domain::accounts::{Actor, Permission, Role, Scope};
use shegong_domain::activities::{
    ActivityFields, ActivityKind, ActivityStatus, AttendanceInput, Audience, GroupStage, GuestFields, SessionFields,
};
use shegong_domain::clients::{ClientFilter, Sex};
use shegong_domain::ports::Storage;

/// One invented activity: titles, kind, how many sessions a week apart, and places.
struct Plan {
    en: &'static str,
    hant: &'static str,
    hans: &'static str,
    kind: ActivityKind,
    sessions: i64,
    capacity: i32,
}

const fn plan(en: &'static str, hant: &'static str, hans: &'static str, kind: ActivityKind, sessions: i64, capacity: i32) -> Plan {
    Plan { en, hant, hans, kind, sessions, capacity }
}

const ELDERLY: [Plan; 3] = [
    plan("Memory training group", "長者記憶訓練小組", "长者记忆训练小组", ActivityKind::Group, 8, 12),
    plan("Chair exercise class", "椅子健體班", "椅子健体班", ActivityKind::Group, 6, 15),
    plan("Mid-Autumn lantern gathering", "中秋綵燈聯歡會", "中秋彩灯联欢会", ActivityKind::Programme, 1, 40),
];
const YOUTH: [Plan; 3] = [
    plan("Youth leadership training group", "青年領袖訓練小組", "青年领袖训练小组", ActivityKind::Group, 8, 12),
    plan("Hiking outing to Lion Rock", "獅子山遠足", "狮子山远足", ActivityKind::Outing, 1, 25),
    plan("Study skills workshop", "溫習技巧工作坊", "温习技巧工作坊", ActivityKind::Workshop, 2, 20),
];
const FAMILY: [Plan; 3] = [
    plan("Positive parenting workshop", "正面管教家長工作坊", "正面管教家长工作坊", ActivityKind::Workshop, 3, 16),
    plan("Carers' mutual support group", "照顧者互助小組", "照顾者互助小组", ActivityKind::Group, 6, 10),
    plan("Parent-child fun day", "親子同樂日", "亲子同乐日", ActivityKind::Programme, 1, 40),
];

const LOGS: [&str; 3] = [
    "Warm-up game, then the main exercise; members shared their week.",
    "Good energy; two members helped newcomers settle in.",
    "Reviewed last week's practice; agreed on the next topic.",
];

/// Plans, runs and records about three activities in each centre that has clients, starting
/// over the last four months (later sessions stay planned). Returns how many were planned.
pub async fn seed_demo_activities(store: &dyn Storage, seed: u64, today: NaiveDate) -> AppResult<u64> {
    let Some(agency) = store.list_agencies().await?.into_iter().next() else {
        return Ok(0);
    };
    let org = agency.id;
    let users = store.list_users(org).await?;
    let Some(admin) = users.iter().find(|u| u.grants.has_role(Role::Admin)) else {
        return Ok(0);
    };
    let actor = Actor::from(admin);
    let categories = store.categories(org).await?;
    let has_category = |code: &str| categories.iter().any(|c| c.code == code && c.active);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut planned = 0;
    for unit in store.list_units(org).await?.into_iter().filter(|u| u.active) {
        let (domain, plans, category) = match unit.unit_type.as_str() {
            "elderly_centre" => ("elderly", &ELDERLY, "elderly_alone"),
            "youth_centre" => ("youth", &YOUTH, "child_in_difficulty"),
            "family_centre" | "toy_library" => ("family", &FAMILY, "carer"),
            // A hotline runs no groups.
            _ => continue,
        };
        let filter = ClientFilter { unit_id: Some(unit.id), ..Default::default() };
        let clients = store.list_clients(org, &filter, Some(&[unit.id]), 0, 60).await?.clients;
        if clients.is_empty() {
            continue;
        }
        let staff: Vec<_> = users
            .iter()
            .filter(|u| u.grants.allows(Permission::EditActivities, Scope::Unit(unit.id)) && !u.grants.has_role(Role::Admin))
            .map(|u| u.id)
            .collect();
        for p in plans.iter() {
            let first = today - Duration::days(rng.gen_range(7..120));
            let dates: Vec<NaiveDate> = (0..p.sessions).map(|i| first + Duration::weeks(i)).collect();
            let done = dates.iter().all(|d| *d < today);
            let fields = ActivityFields {
                unit_id: unit.id,
                kind: p.kind,
                title_en: p.en.into(),
                title_zh_hant: p.hant.into(),
                title_zh_hans: p.hans.into(),
                domain: domain.into(),
                target_categories: if has_category(category) { vec![category.into()] } else { Vec::new() },
                objectives: "Invented for the demo: build friendships and confidence.".into(),
                capacity: Some(p.capacity),
                audience: Audience::Participants,
                staff: Vec::clone(&staff),
                volunteers_needed: rng.gen_range(0..4),
                partners: String::new(),
                funding: "Demo community fund".into(),
                status: if done { ActivityStatus::Completed } else { ActivityStatus::Running },
                stage: (p.kind == ActivityKind::Group).then_some(if done { GroupStage::Ending } else { GroupStage::Maturity }),
            };
            let activity = store.create_activity(&actor, &fields).await?;
            planned += 1;
            let mut people = clients.clone();
            people.shuffle(&mut rng);
            let take = (p.capacity as usize * 3 / 4).clamp(1, people.len());
            let ids: Vec<_> = people.iter().take(take).map(|c| c.id).collect();
            store.enrol(&actor, activity.id, &ids, None).await?;
            let enrolled: Vec<i64> = store.participants(org, activity.id).await?.into_iter().map(|p| p.person_no).collect();
            for (i, date) in dates.iter().enumerate() {
                let (start, end) = if p.sessions == 1 { ("10:00", "16:00") } else { ("14:30", "16:00") };
                let f = SessionFields { date: *date, starts_at: start.into(), ends_at: end.into(), venue: "Activity room".into() };
                let session = store.add_session(&actor, activity.id, &f).await?;
                if *date >= today {
                    continue;
                }
                // Most come most weeks; a few miss one.
                let (present, absent): (Vec<i64>, Vec<i64>) = enrolled.iter().partition(|_| rng.gen_bool(0.8));
                store.mark_attendance(&actor, session.id, &AttendanceInput { present, absent, all_enrolled_present: false }).await?;
                if p.sessions == 1 && rng.gen_bool(0.7) {
                    let guest = GuestFields { name: "Walk-in neighbour".into(), sex: Sex::Unknown, age_band: None };
                    store.add_walk_in(&actor, session.id, &guest).await?;
                }
                let s = store.get_session(org, session.id).await?;
                store.save_session_log(&actor, s.id, s.version, LOGS[i % LOGS.len()]).await?;
            }
        }
    }
    Ok(planned)
}
