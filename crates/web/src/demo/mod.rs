//! Demo data: one synthetic agency with service units and staff of every role. Every name,
//! address and number here is invented.

use crate::accounts::hash_password;
use crate::error::AppResult;
use shegong_domain::accounts::{Actor, Grant, NewUser, Role};
use shegong_domain::ids::{OrgId, UnitId};
use shegong_domain::locale::Locale;
use shegong_domain::ports::Storage;
use shegong_domain::units::{Agency, UnitInput};

pub mod activities;
pub mod assistance;
pub mod cases;
pub mod clients;
pub mod coverage;
pub mod lending;
pub mod outcomes;
pub mod outreach;
pub mod reports;
pub mod volunteers;

/// The password of every demo account (shown when the demo starts; never use it for real data).
pub const DEMO_PASSWORD: &str = "demo-pass-2026";

/// A demo account, for printing the logins.
pub struct DemoLogin {
    pub username: &'static str,
    pub role: Role,
}

pub const DEMO_LOGINS: [DemoLogin; 7] = [
    DemoLogin { username: "admin", role: Role::Admin },
    DemoLogin { username: "supervisor", role: Role::Supervisor },
    DemoLogin { username: "worker", role: Role::SocialWorker },
    DemoLogin { username: "welfare", role: Role::WelfareWorker },
    DemoLogin { username: "hotline", role: Role::HotlineOperator },
    DemoLogin { username: "volunteer", role: Role::Volunteer },
    DemoLogin { username: "funder", role: Role::FunderViewer },
];

struct DemoUnit {
    code: &'static str,
    hant: &'static str,
    hans: &'static str,
    en: &'static str,
    unit_type: &'static str,
    district: &'static str,
    address: &'static str,
    lat: &'static str,
    lng: &'static str,
    hours: &'static str,
}

const UNITS: [DemoUnit; 5] = [
    DemoUnit {
        code: "WC-IFSC",
        hant: "灣仔綜合家庭服務中心",
        hans: "湾仔综合家庭服务中心",
        en: "Wan Chai Integrated Family Service Centre",
        unit_type: "family_centre",
        district: "灣仔 Wan Chai",
        address: "灣仔道 88 號 3 樓",
        lat: "22.2776",
        lng: "114.1747",
        hours: "Mon–Fri 09:00–18:00; Sat 09:00–13:00",
    },
    DemoUnit {
        code: "SSP-ECC",
        hant: "深水埗長者鄰舍中心",
        hans: "深水埗长者邻舍中心",
        en: "Sham Shui Po Neighbourhood Elderly Centre",
        unit_type: "elderly_centre",
        district: "深水埗 Sham Shui Po",
        address: "北河街 120 號地下",
        lat: "22.3307",
        lng: "114.1622",
        hours: "Mon–Sat 08:30–17:30",
    },
    DemoUnit {
        code: "KT-YOUTH",
        hant: "觀塘青少年綜合服務中心",
        hans: "观塘青少年综合服务中心",
        en: "Kwun Tong Integrated Youth Centre",
        unit_type: "youth_centre",
        district: "觀塘 Kwun Tong",
        address: "協和街 33 號 2 樓",
        lat: "22.3133",
        lng: "114.2258",
        hours: "Tue–Sun 10:00–22:00",
    },
    DemoUnit {
        code: "HOTLINE",
        hant: "關懷熱線",
        hans: "关怀热线",
        en: "Care Hotline",
        unit_type: "hotline_point",
        district: "油尖旺 Yau Tsim Mong",
        address: "彌敦道 500 號 12 樓",
        lat: "22.3080",
        lng: "114.1712",
        hours: "Daily 08:00–24:00",
    },
    DemoUnit {
        code: "TKO-TOY",
        hant: "將軍澳玩具圖書館",
        hans: "将军澳玩具图书馆",
        en: "Tseung Kwan O Toy Library",
        unit_type: "toy_library",
        district: "西貢 Sai Kung",
        address: "唐德街 9 號 1 樓",
        lat: "22.3074",
        lng: "114.2600",
        hours: "Wed–Sun 10:00–18:00",
    },
];

/// Seeds the demo agency when the database holds none. Returns false when it already had data.
pub async fn seed_if_empty(store: &dyn Storage) -> AppResult<bool> {
    if !store.list_agencies().await?.is_empty() {
        return Ok(false);
    }
    let org = OrgId::new();
    let agency = Agency {
        id: org,
        name_en: "Harbour Community Services (demo)".into(),
        name_zh_hant: "海港社區服務（示範）".into(),
        name_zh_hans: "海港社区服务（示范）".into(),
        time_zone: "Asia/Hong_Kong".into(),
        created_at: chrono::Utc::now(),
    };
    let hash = hash_password(DEMO_PASSWORD.into()).await?;
    let admin = NewUser {
        username: "admin".into(),
        display_name: "陳大文 Chan Tai Man".into(),
        password: DEMO_PASSWORD.into(),
        locale: Locale::ZhHantHk,
        grants: Vec::new(),
    };
    let admin = store.create_agency(&agency, &admin, &hash).await?;
    let actor = Actor::from(&admin);
    let mut ids: Vec<UnitId> = Vec::new();
    for u in UNITS {
        let input = UnitInput {
            code: u.code.into(),
            name_en: u.en.into(),
            name_zh_hant: u.hant.into(),
            name_zh_hans: u.hans.into(),
            unit_type: u.unit_type.into(),
            district: u.district.into(),
            address: u.address.into(),
            latitude: Some(u.lat.into()),
            longitude: Some(u.lng.into()),
            opening_hours: u.hours.into(),
            active: true,
        };
        ids.push(store.create_unit(&actor, &input.validate()?).await?.id);
    }
    let staff: [(&str, &str, Locale, Role, Option<usize>); 6] = [
        ("supervisor", "李美玲 Lee Mei Ling", Locale::ZhHantHk, Role::Supervisor, None),
        ("worker", "黃志明 Wong Chi Ming", Locale::ZhHantHk, Role::SocialWorker, Some(0)),
        ("welfare", "張嘉欣 Cheung Ka Yan", Locale::ZhHantHk, Role::WelfareWorker, Some(1)),
        ("hotline", "何子豪 Ho Tsz Ho", Locale::ZhHantHk, Role::HotlineOperator, Some(3)),
        ("volunteer", "Priya Gurung", Locale::En, Role::Volunteer, Some(2)),
        ("funder", "王建国 Wang Jianguo", Locale::ZhHansCn, Role::FunderViewer, None),
    ];
    for (username, name, locale, role, unit) in staff {
        let new = NewUser {
            username: username.into(),
            display_name: name.into(),
            password: DEMO_PASSWORD.into(),
            locale,
            grants: vec![Grant { role, unit_id: unit.and_then(|i| ids.get(i).copied()) }],
        };
        store.create_user(&actor, &new, &hash).await?;
    }
    Ok(true)
}

/// What [`seed_full`] registered, for the start-up message.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoSummary {
    pub clients: u64,
    pub cases: u64,
    pub activities: u64,
    pub volunteers: u64,
    pub toys: u64,
    pub requests: u64,
    pub cells: u64,
    pub scores: u64,
    pub contacted: u64,
}

impl std::fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} synthetic clients, {} cases, {} activities, {} volunteers, {} toys, {} assistance requests, {} population grid cells, {} scale answers and {} people contacted in outreach",
            self.clients, self.cases, self.activities, self.volunteers, self.toys, self.requests, self.cells, self.scores, self.contacted
        )
    }
}

/// The whole demo: the agency, then invented records for every capability, dated around
/// `today`. Returns `None` when the database already held an agency (nothing is written then).
pub async fn seed_full(store: &dyn Storage, today: chrono::NaiveDate) -> AppResult<Option<DemoSummary>> {
    if !seed_if_empty(store).await? {
        return Ok(None);
    }
    let mut s = DemoSummary { clients: seed_demo_clients(store, 300, 2026).await?, ..Default::default() };
    s.cases = cases::seed_demo_cases(store, 80, 2026, today).await?;
    s.activities = activities::seed_demo_activities(store, 2026, today).await?;
    s.volunteers = volunteers::seed_demo_volunteers(store, today).await?;
    s.toys = lending::seed_demo_lending(store, today).await?;
    reports::seed_demo_targets(store, today).await?;
    s.requests = assistance::seed_demo_assistance(store, today).await?;
    s.cells = coverage::seed_demo_coverage(store).await?;
    s.scores = outcomes::seed_demo_outcomes(store, 2026, today).await?;
    s.contacted = outreach::seed_demo_outreach(store, today).await?;
    Ok(Some(s))
}

/// Adds `n` synthetic clients to the first agency's active units, with a few near-duplicates
/// so the duplicate review has something to show. Returns how many were registered.
pub async fn seed_demo_clients(store: &dyn Storage, n: usize, seed: u64) -> AppResult<u64> {
    use clients::{Generator, Region};
    let Some(agency) = store.list_agencies().await?.into_iter().next() else {
        return Ok(0);
    };
    let users = store.list_users(agency.id).await?;
    let Some(admin) = users.iter().find(|u| u.grants.has_role(Role::Admin)) else {
        return Ok(0);
    };
    let actor = Actor::from(admin);
    let tz: chrono_tz::Tz = agency.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong);
    let region = if agency.time_zone == "Asia/Shanghai" { Region::Guangzhou } else { Region::HongKong };
    let units: Vec<(UnitId, Region)> =
        store.list_units(agency.id).await?.into_iter().filter(|u| u.active).map(|u| (u.id, region)).collect();
    if units.is_empty() {
        return Ok(0);
    }
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let created = clients::seed_clients(store, &actor, &units, n, seed, today).await?;
    // A handful of the same people entered twice, as happens at busy front desks.
    let mut generator = Generator::new(seed ^ 0x5eed, units);
    let categories = store.categories(agency.id).await?;
    let mut twins = Vec::new();
    for _ in 0..(n / 60).min(10) {
        let original = generator.client(today);
        let copy = generator.near_duplicate(&original);
        for input in [original, copy] {
            if let Ok(f) = input.validate(today, &categories) {
                twins.push(f);
            }
        }
    }
    let extra = store.import_clients(&actor, &twins).await?;
    Ok(created + extra.created)
}
