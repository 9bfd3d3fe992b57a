//! Synthetic clients for demos, benchmarks and tests.
//!
//! Every person is made up from small tables: common surnames, given-name characters, district
//! and street names, and number patterns. No real person's data is used. A seed always gives the
//! same people, so a benchmark or a test can be re-run on the same data.
//!
//! Hong Kong people have Traditional Chinese names with the Hong Kong government's Cantonese
//! romanisation (陳大文 → "Chan Tai Man"); about 5% are South or Southeast Asian residents with
//! English-script names. Guangzhou people have Simplified Chinese names with Hanyu Pinyin
//! (陈建国 → "Chen Jianguo"), a 街道 and a 社区.

use crate::error::AppResult;
use chrono::{Datelike, Days, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shegong_domain::accounts::Actor;
use shegong_domain::clients::{default_categories, normalise_phone, valid_hkid, valid_mainland_id, AgeBand, ClientInput};
use shegong_domain::ids::UnitId;
use shegong_domain::ports::Storage;
use std::collections::HashSet;

/// Where a service unit is: decides the script, romanisation, districts and number formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    HongKong,
    Guangzhou,
}

/// Rows sent to the store in one transaction by [`seed_clients`].
pub const BATCH: usize = 1_000;

/// Generates synthetic people for the given units. The same seed and units give the same people.
pub struct Generator {
    rng: StdRng,
    units: Vec<(UnitId, Region)>,
    /// Identity numbers and phone numbers already handed out: nobody shares them by accident.
    issued: HashSet<String>,
}

impl Generator {
    /// With no units the people have no `unit_id` (and do not validate) and live in Hong Kong.
    pub fn new(seed: u64, units: Vec<(UnitId, Region)>) -> Self {
        Self { rng: StdRng::seed_from_u64(seed), units, issued: HashSet::new() }
    }

    /// One person registered by a randomly chosen unit, valid on `today`.
    pub fn client(&mut self, today: NaiveDate) -> ClientInput {
        let (unit_id, region) = match self.units.len() {
            0 => (None, Region::HongKong),
            n => {
                let (id, region) = self.units[self.rng.gen_range(0..n)];
                (Some(id), region)
            }
        };
        match region {
            Region::HongKong => self.hong_kong(unit_id, today),
            Region::Guangzhou => self.guangzhou(unit_id, today),
        }
    }

    /// The same person registered again: the name re-typed (Traditional ↔ Simplified, one
    /// character replaced by a homophone, or a slip in the English name), with the same phone or
    /// the same birth date (or both), without the identity number, sometimes at another unit of
    /// the same region.
    pub fn near_duplicate(&mut self, of: &ClientInput) -> ClientInput {
        let region = self.region_of(of);
        let mut d = of.clone();
        d.id_doc_type.clear();
        d.id_doc_number.clear();

        let first = self.rng.gen_range(0..3);
        for step in (0..3).map(|i| (first + i) % 3) {
            let changed = match step {
                0 => script_change(&of.name_zh, region).map(|n| d.name_zh = n),
                1 => self.homophone(&of.name_zh, region).map(|n| d.name_zh = n),
                _ => {
                    let chinese = region == Region::HongKong && romanise(&of.name_zh, region) == of.name_en;
                    self.english_slip(&of.name_en, chinese).map(|n| d.name_en = n)
                }
            };
            if changed.is_some() {
                break;
            }
        }

        let phones: Vec<String> = of.phones.iter().filter_map(|p| normalise_phone(p)).collect();
        let has_dob = !of.date_of_birth.trim().is_empty();
        let keep = match (phones.first(), has_dob) {
            (Some(_), true) => self.rng.gen_range(0..3),
            (Some(_), false) => 1,
            (None, true) => 2,
            (None, false) => 0,
        };
        match (keep, phones.first()) {
            // Same phone (written another way) and same birth date.
            (0, Some(p)) => d.phones = vec![self.reformat(p)],
            // Same phone; birth date not asked this time.
            (1, Some(p)) => {
                d.phones = vec![self.reformat(p)];
                d.date_of_birth.clear();
            }
            // Same birth date; the phone changed or was not given.
            (2, _) => {
                d.phones.clear();
                if self.rng.gen_bool(0.5) {
                    if let Some(p) = self.mobile(region) {
                        d.phones.push(p);
                    }
                }
            }
            _ => {}
        }

        if self.rng.gen_bool(0.4) {
            let others: Vec<UnitId> = self.units.iter().filter(|(u, r)| *r == region && Some(*u) != of.unit_id).map(|(u, _)| *u).collect();
            if !others.is_empty() {
                d.unit_id = Some(others[self.rng.gen_range(0..others.len())]);
            }
        }
        if self.rng.gen_bool(0.3) {
            d.latitude.clear();
            d.longitude.clear();
        }
        d
    }

    fn region_of(&self, c: &ClientInput) -> Region {
        match self.units.iter().find(|(u, _)| Some(*u) == c.unit_id) {
            Some((_, r)) => *r,
            None if GZ_DISTRICTS.iter().any(|d| d.name == c.district) => Region::Guangzhou,
            None => Region::HongKong,
        }
    }

    // --- people -------------------------------------------------------------------------------

    /// Sex, birth date and age on `today`, with ages drawn from `buckets`.
    fn person(&mut self, today: NaiveDate, buckets: &[(u32, u32, u32)]) -> (bool, NaiveDate, u32) {
        let (lo, hi, _) = buckets[weighted(&mut self.rng, buckets, |b| b.2)];
        let years = self.rng.gen_range(lo..=hi);
        let days = u64::from(years) * 365 + u64::from(years / 4) + self.rng.gen_range(1..=364);
        let dob = today.checked_sub_days(Days::new(days)).unwrap_or_default();
        let age = today.years_since(dob).unwrap_or(0);
        let female = self.rng.gen_bool(if age >= 75 { 0.62 } else { 0.53 });
        (female, dob, age)
    }

    /// Sets the exact birth date (about 85%) or only the age band.
    fn birth(&mut self, c: &mut ClientInput, dob: NaiveDate, age: u32) -> bool {
        let exact = self.rng.gen_bool(0.85);
        if exact {
            c.date_of_birth = dob.to_string();
        } else {
            c.age_band = age_band(age).as_str().into();
        }
        exact
    }

    fn hong_kong(&mut self, unit_id: Option<UnitId>, today: NaiveDate) -> ClientInput {
        let minority = self.rng.gen_bool(0.05).then(|| &MINORITIES[weighted(&mut self.rng, MINORITIES, |m| m.weight)]);
        let (female, dob, age) = self.person(today, if minority.is_some() { MINORITY_AGE_BUCKETS } else { AGE_BUCKETS });
        let mut c = ClientInput { unit_id, sex: sex(female).into(), ..Default::default() };
        self.birth(&mut c, dob, age);

        let district = match minority {
            Some(_) => &HK_DISTRICTS[weighted(&mut self.rng, HK_DISTRICTS, |d| d.em_weight)],
            None => &HK_DISTRICTS[weighted(&mut self.rng, HK_DISTRICTS, |d| d.weight)],
        };
        match minority {
            Some(m) => {
                c.name_en = self.minority_name(m, female);
                // Some young people born or schooled in Hong Kong also go by a Chinese name.
                if age < 25 && self.rng.gen_bool(0.2) {
                    c.name_zh = self.chinese_name(Region::HongKong, female, dob.year()).0;
                }
                c.ethnicity = m.ethnicity.into();
                let native = if age < 25 { 0.4 } else { 0.6 };
                c.preferred_language = if self.rng.gen_bool(native) {
                    m.language
                } else if age < 25 && self.rng.gen_bool(0.3) {
                    "cantonese"
                } else {
                    "english"
                }
                .into();
            }
            None => {
                (c.name_zh, c.name_en) = self.chinese_name(Region::HongKong, female, dob.year());
                c.ethnicity = if self.rng.gen_bool(0.85) { "華人" } else { "" }.into();
                let (cantonese, english) = if age >= 65 { (97, 1) } else { (92, 5) };
                c.preferred_language = match self.rng.gen_range(0..100) {
                    n if n < cantonese => "cantonese",
                    n if n < cantonese + english => "english",
                    _ => "putonghua",
                }
                .into();
            }
        }

        c.district = district.name.into();
        if !district.estates.is_empty() && self.rng.gen_bool(0.45) {
            let estate = pick(&mut self.rng, district.estates);
            let (block, floor, flat) = (self.rng.gen_range(1..=12), self.rng.gen_range(1..=35), self.rng.gen_range(1..=24));
            c.community = (*estate).into();
            c.address = format!("{estate} 第 {block} 座 {floor} 樓 {floor}{flat:02} 室");
        } else {
            let street = pick(&mut self.rng, district.streets);
            let (number, floor) = (self.rng.gen_range(1..=280), self.rng.gen_range(1..=25));
            let flat = pick(&mut self.rng, &["A", "B", "C", "D", "E", "F", "G", "H"]);
            c.street = (*street).into();
            c.address = format!("{street} {number} 號 {floor} 樓 {flat} 室");
        }
        self.coordinates(&mut c, district.lat, district.lng, district.spread);

        let landline_share = if age >= 65 { 0.45 } else { 0.15 };
        if self.rng.gen_bool(0.92) {
            if let Some(p) = self.mobile(Region::HongKong) {
                c.phones.push(p);
            }
        }
        if self.rng.gen_bool(if c.phones.is_empty() { 0.6 } else { landline_share }) {
            if let Some(p) = self.hk_landline() {
                c.phones.push(p);
            }
        }
        if let Some(m) = minority {
            if self.rng.gen_bool(0.1) {
                if let Some(p) = self.unique(
                    |rng| {
                        let rest: String = (m.phone_lead.len()..10).map(|_| digit(rng)).collect();
                        format!("{} {}{rest}", m.phone_cc, m.phone_lead)
                    },
                    normalise_phone,
                ) {
                    c.phones.push(p);
                }
            }
        }

        // Identity cards are issued from age 11.
        if age >= 11 && self.rng.gen_bool(0.7) {
            if let Some(id) = self.hkid() {
                c.id_doc_type = "hkid".into();
                c.id_doc_number = id;
            }
        }
        c.categories = self.categories(age, minority.is_some());
        c
    }

    fn guangzhou(&mut self, unit_id: Option<UnitId>, today: NaiveDate) -> ClientInput {
        let (female, dob, age) = self.person(today, AGE_BUCKETS);
        let mut c = ClientInput { unit_id, sex: sex(female).into(), ..Default::default() };
        let exact = self.birth(&mut c, dob, age);
        (c.name_zh, c.name_en) = self.chinese_name(Region::Guangzhou, female, dob.year());
        c.ethnicity =
            ["汉族", "壮族", "土家族", "瑶族", "苗族", "回族"][weighted(&mut self.rng, &[960u32, 12, 10, 6, 6, 6], |w| *w)].into();
        let cantonese = if age >= 60 { 0.65 } else { 0.35 };
        c.preferred_language = if self.rng.gen_bool(cantonese) { "cantonese" } else { "putonghua" }.into();

        let di = weighted(&mut self.rng, GZ_DISTRICTS, |d| d.weight);
        let district = &GZ_DISTRICTS[di];
        c.district = district.name.into();
        let si = self.rng.gen_range(0..district.streets.len());
        c.street = district.streets[si].into();
        let k = self.rng.gen_range(0..4);
        c.community = format!("{}社区", COMMUNITY_ROOTS[(di * 11 + si * 5 + k * 7) % COMMUNITY_ROOTS.len()]);
        let road = pick(&mut self.rng, district.roads);
        let (number, floor, room) = (self.rng.gen_range(1..=400), self.rng.gen_range(1..=33), self.rng.gen_range(1..=12));
        c.address = if self.rng.gen_bool(0.5) {
            format!("{road}{number}号{}栋{floor}{room:02}房", self.rng.gen_range(1..=20))
        } else {
            format!("{road}{number}号{floor}{room:02}房")
        };
        self.coordinates(&mut c, district.lat, district.lng, district.spread);

        if self.rng.gen_bool(0.95) {
            if let Some(p) = self.mobile(Region::Guangzhou) {
                c.phones.push(p);
            }
        }
        // The identity number holds the birth date, so only people whose date is known have one.
        if exact && self.rng.gen_bool(0.59) {
            let area = if self.rng.gen_bool(0.8) { district.area_code } else { pick(&mut self.rng, GZ_DISTRICTS).area_code };
            if let Some(id) = self.mainland_id(area, dob, female) {
                c.id_doc_type = "mainland_id".into();
                c.id_doc_number = id;
            }
        }
        c.categories = self.categories(age, false);
        c
    }

    /// A Chinese name in the region's script and its romanisation.
    fn chinese_name(&mut self, region: Region, female: bool, born: i32) -> (String, String) {
        let (surnames, given, single) = match region {
            Region::HongKong => (HK_SURNAMES, &HK_GIVEN, 0.12),
            Region::Guangzhou => (GZ_SURNAMES, &GZ_GIVEN, 0.2),
        };
        let surname = surnames[weighted(&mut self.rng, surnames, |s| s.1)].0;
        let era = match born {
            ..=1959 => 0,
            1960..=1994 => 1,
            _ => 2,
        };
        let pool: Vec<char> = given[usize::from(!female)][era].chars().collect();
        let first = pool[self.rng.gen_range(0..pool.len())];
        let two = !self.rng.gen_bool(single) || matches!(first, '子' | '梓');
        let mut zh = format!("{surname}{first}");
        if two {
            let mut second = first;
            while second == first {
                second = pool[self.rng.gen_range(0..pool.len())];
            }
            zh.push(second);
        }
        let en = romanise(&zh, region);
        (zh, en)
    }

    fn minority_name(&mut self, m: &Minority, female: bool) -> String {
        let given = pick(&mut self.rng, if female { m.female } else { m.male });
        if m.surnames.is_empty() {
            (*given).to_string()
        } else {
            format!("{} {given}", pick(&mut self.rng, m.surnames))
        }
    }

    /// Category codes consistent with the person's age.
    fn categories(&mut self, age: u32, minority: bool) -> Vec<String> {
        let r = &mut self.rng;
        let alone = (age >= 65 && r.gen_bool(0.3)) || ((60..65).contains(&age) && r.gen_bool(0.06));
        let disabled = r.gen_bool(if age >= 65 { 0.1 } else { 0.05 });
        let low_income = r.gen_bool(if minority {
            0.4
        } else if age >= 65 {
            0.38
        } else {
            0.28
        });
        let child = age < 18 && r.gen_bool(0.15);
        let ex_offender = age >= 18 && r.gen_bool(0.025);
        let recovery = age >= 15 && r.gen_bool(0.025);
        let carer = age >= 18 && !alone && r.gen_bool(if (35..=75).contains(&age) { 0.15 } else { 0.06 });
        [
            ("elderly_alone", alone),
            ("disabled", disabled),
            ("low_income", low_income),
            ("child_in_difficulty", child),
            ("ethnic_minority", minority),
            ("ex_offender", ex_offender),
            ("mental_health_recovery", recovery),
            ("carer", carer),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(code, _)| code.to_string())
        .collect()
    }

    fn coordinates(&mut self, c: &mut ClientInput, lat: f64, lng: f64, spread: f64) {
        // About one address in ten could not be placed on the map.
        if self.rng.gen_bool(0.9) {
            c.latitude = format!("{:.5}", lat + self.rng.gen_range(-spread..spread));
            c.longitude = format!("{:.5}", lng + self.rng.gen_range(-spread..spread));
        }
    }

    // --- numbers ------------------------------------------------------------------------------

    /// Runs `make` until it gives a number not handed out before, compared in the form `key`
    /// gives (None after many tries).
    fn unique(&mut self, mut make: impl FnMut(&mut StdRng) -> String, key: fn(&str) -> Option<String>) -> Option<String> {
        for _ in 0..100 {
            let n = make(&mut self.rng);
            if self.issued.insert(key(&n).unwrap_or_else(|| n.clone())) {
                return Some(n);
            }
        }
        None
    }

    /// A mobile number, written as people write it.
    fn mobile(&mut self, region: Region) -> Option<String> {
        let n = self.unique(
            |rng| match region {
                Region::HongKong => {
                    let lead = ['9', '9', '9', '6', '6', '5'][rng.gen_range(0..6)];
                    format!("{lead}{}", (0..7).map(|_| digit(rng)).collect::<String>())
                }
                Region::Guangzhou => {
                    let prefix = CN_MOBILE_PREFIXES[rng.gen_range(0..CN_MOBILE_PREFIXES.len())];
                    format!("{prefix}{}", (0..8).map(|_| digit(rng)).collect::<String>())
                }
            },
            normalise_phone,
        )?;
        Some(self.reformat(&n))
    }

    fn hk_landline(&mut self) -> Option<String> {
        let n = self.unique(
            |rng| {
                let lead = if rng.gen_bool(0.85) { '2' } else { '3' };
                format!("{lead}{}", (0..7).map(|_| digit(rng)).collect::<String>())
            },
            normalise_phone,
        )?;
        Some(self.reformat(&n))
    }

    /// Writes a normalised number in one of the ways staff type it.
    fn reformat(&mut self, n: &str) -> String {
        let style = self.rng.gen_range(0..10);
        match n.len() {
            8 if !n.starts_with('+') => match style {
                0..=6 => format!("{} {}", &n[..4], &n[4..]),
                7 | 8 => n.to_string(),
                _ => format!("+852 {} {}", &n[..4], &n[4..]),
            },
            11 if n.starts_with('1') => match style {
                0..=3 => format!("{} {} {}", &n[..3], &n[3..7], &n[7..]),
                4..=8 => n.to_string(),
                _ => format!("+86 {} {} {}", &n[..3], &n[3..7], &n[7..]),
            },
            _ => n.to_string(),
        }
    }

    /// A Hong Kong identity card number with a correct check digit, e.g. `C668668(E)` style.
    fn hkid(&mut self) -> Option<String> {
        let prefix = HKID_PREFIXES[weighted(&mut self.rng, HKID_PREFIXES, |p| p.1)].0;
        let bracketed = self.rng.gen_bool(0.8);
        self.unique(
            |rng| {
                let digits: String = (0..6).map(|_| digit(rng)).collect();
                let check = hkid_check(prefix, &digits);
                if bracketed {
                    format!("{prefix}{digits}({check})")
                } else {
                    format!("{prefix}{digits}{check}")
                }
            },
            valid_hkid,
        )
    }

    /// An 18-digit mainland identity number: area, birth date, sequence (odd for men), check.
    fn mainland_id(&mut self, area: &str, dob: NaiveDate, female: bool) -> Option<String> {
        let date = format!("{:04}{:02}{:02}", dob.year(), dob.month(), dob.day());
        self.unique(
            |rng| {
                let sequence = rng.gen_range(1..500) * 2 + u32::from(!female);
                let body = format!("{area}{date}{sequence:03}");
                let check = mainland_check(&body);
                format!("{body}{check}")
            },
            valid_mainland_id,
        )
    }

    // --- re-typed names -----------------------------------------------------------------------

    /// The name with one given-name character replaced by another read the same way.
    fn homophone(&mut self, name: &str, region: Region) -> Option<String> {
        let chars: Vec<char> = name.chars().collect();
        let pool: String = match region {
            Region::HongKong => HK_GIVEN.concat().concat(),
            Region::Guangzhou => GZ_GIVEN.concat().concat(),
        };
        let mut options: Vec<(usize, char)> = Vec::new();
        for (i, c) in chars.iter().enumerate().skip(1) {
            let Some(sound) = hanzi(*c).map(|h| reading(h, region)) else { continue };
            for other in pool.chars() {
                if other != *c && !options.contains(&(i, other)) && hanzi(other).is_some_and(|h| reading(h, region) == sound) {
                    options.push((i, other));
                }
            }
        }
        if options.is_empty() {
            return None;
        }
        let (i, other) = options[self.rng.gen_range(0..options.len())];
        Some(chars.iter().enumerate().map(|(j, c)| if j == i { other } else { *c }).collect())
    }

    /// The English name with one slip: a doubled or dropped letter, the surname in capitals, or
    /// (for a romanised Hong Kong name) the given name hyphenated, "Chan Tai-man".
    fn english_slip(&mut self, name: &str, hk_romanised: bool) -> Option<String> {
        let words: Vec<&str> = name.split_whitespace().collect();
        if words.is_empty() {
            return None;
        }
        let mut kinds = vec![0, 1];
        if hk_romanised && words.len() >= 3 {
            kinds.push(2);
        }
        if words.iter().any(|w| w.len() >= 4) {
            kinds.push(3);
        }
        match kinds[self.rng.gen_range(0..kinds.len())] {
            0 => {
                let w = self.rng.gen_range(0..words.len());
                let word: Vec<char> = words[w].chars().collect();
                let at = self.rng.gen_range(0..word.len());
                let doubled: String = word.iter().enumerate().flat_map(|(i, c)| if i == at { vec![*c, *c] } else { vec![*c] }).collect();
                let mut out: Vec<String> = words.iter().map(|s| s.to_string()).collect();
                out[w] = doubled;
                Some(out.join(" "))
            }
            1 => {
                let mut out: Vec<String> = words.iter().map(|s| s.to_string()).collect();
                out[0] = out[0].to_uppercase();
                Some(out.join(" "))
            }
            2 => {
                let given = words[1..].iter().enumerate().map(|(i, w)| if i == 0 { w.to_string() } else { w.to_lowercase() });
                Some(format!("{} {}", words[0], given.collect::<Vec<_>>().join("-")))
            }
            _ => {
                let long: Vec<usize> = (0..words.len()).filter(|i| words[*i].len() >= 4).collect();
                let w = long[self.rng.gen_range(0..long.len())];
                let word: Vec<char> = words[w].chars().collect();
                let at = self.rng.gen_range(1..word.len());
                let mut out: Vec<String> = words.iter().map(|s| s.to_string()).collect();
                out[w] = word.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, c)| *c).collect();
                Some(out.join(" "))
            }
        }
    }
}

/// Generates `n` people, validates them against the agency's categories (codes the agency lacks
/// are left out) and registers them through [`Storage::import_clients`] in batches of
/// [`BATCH`]. Returns how many were created (people the store finds already registered are not
/// counted).
pub async fn seed_clients(
    store: &dyn Storage,
    actor: &Actor,
    units: &[(UnitId, Region)],
    n: usize,
    seed: u64,
    today: NaiveDate,
) -> AppResult<u64> {
    let mut categories: Vec<_> = store.categories(actor.org_id).await?.into_iter().filter(|c| c.active).collect();
    if categories.is_empty() {
        categories = default_categories();
    }
    let mut generator = Generator::new(seed, units.to_vec());
    let mut created = 0;
    let mut rows = Vec::with_capacity(BATCH.min(n));
    for i in 0..n {
        let mut input = generator.client(today);
        input.categories.retain(|code| categories.iter().any(|c| &c.code == code));
        rows.push(input.validate(today, &categories)?);
        if rows.len() == BATCH || i + 1 == n {
            created += store.import_clients(actor, &rows).await?.created;
            rows.clear();
        }
    }
    Ok(created)
}

/// The age band an age falls in.
pub fn age_band(age: u32) -> AgeBand {
    match age {
        0..=5 => AgeBand::A0_5,
        6..=11 => AgeBand::A6_11,
        12..=17 => AgeBand::A12_17,
        18..=24 => AgeBand::A18_24,
        25..=34 => AgeBand::A25_34,
        35..=44 => AgeBand::A35_44,
        45..=54 => AgeBand::A45_54,
        55..=59 => AgeBand::A55_59,
        60..=64 => AgeBand::A60_64,
        65..=69 => AgeBand::A65_69,
        70..=74 => AgeBand::A70_74,
        75..=79 => AgeBand::A75_79,
        _ => AgeBand::A80Plus,
    }
}

fn sex(female: bool) -> &'static str {
    if female {
        "female"
    } else {
        "male"
    }
}

fn digit(rng: &mut StdRng) -> char {
    char::from(b'0' + rng.gen_range(0..10u8))
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// Index of an item drawn in proportion to its weight.
fn weighted<T>(rng: &mut StdRng, items: &[T], weight: impl Fn(&T) -> u32) -> usize {
    let total: u32 = items.iter().map(&weight).sum();
    if total == 0 {
        return 0;
    }
    let mut r = rng.gen_range(0..total);
    for (i, item) in items.iter().enumerate() {
        let w = weight(item);
        if r < w {
            return i;
        }
        r -= w;
    }
    items.len().saturating_sub(1)
}

/// The check digit of a Hong Kong identity number (`0`–`9` or `A`).
fn hkid_check(letters: &str, digits: &str) -> char {
    let value = |c: char| u32::from(c) - u32::from('A') + 10;
    // A single letter counts as if preceded by a space (value 36).
    let (mut sum, mut weight) = if letters.len() == 1 { (36 * 9, 8) } else { (0, 9) };
    for c in letters.chars() {
        sum += value(c) * weight;
        weight -= 1;
    }
    for c in digits.chars() {
        sum += c.to_digit(10).unwrap_or(0) * weight;
        weight -= 1;
    }
    match (11 - sum % 11) % 11 {
        10 => 'A',
        d => char::from_digit(d, 10).unwrap_or('0'),
    }
}

/// The check character of a mainland identity number (ISO 7064 MOD 11-2).
fn mainland_check(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    char::from(b"10X98765432"[(sum % 11) as usize])
}

// --- characters --------------------------------------------------------------------------------

/// One character: Traditional, Simplified, Hong Kong government Cantonese romanisation, Pinyin.
type Hanzi = (char, char, &'static str, &'static str);

fn hanzi(c: char) -> Option<&'static Hanzi> {
    HANZI.iter().find(|h| h.0 == c || h.1 == c)
}

fn reading(h: &Hanzi, region: Region) -> &'static str {
    match region {
        Region::HongKong => h.2,
        Region::Guangzhou => h.3,
    }
}

/// Romanises a name of known characters: "Chan Tai Man" (Hong Kong), "Chen Jianguo" (Pinyin,
/// given name in one word, with an apostrophe before a syllable starting with a, e or o).
fn romanise(name: &str, region: Region) -> String {
    let syllables: Vec<&str> = name.chars().filter_map(hanzi).map(|h| reading(h, region)).collect();
    match (region, syllables.split_first()) {
        (_, None) => String::new(),
        (Region::HongKong, Some(_)) => syllables.join(" "),
        (Region::Guangzhou, Some((surname, given))) => {
            let mut out = format!("{surname} ");
            for (i, s) in given.iter().enumerate() {
                if i == 0 {
                    out.push_str(s);
                } else {
                    let s = s.to_lowercase();
                    if s.starts_with(['a', 'e', 'o']) {
                        out.push('\'');
                    }
                    out.push_str(&s);
                }
            }
            out.trim_end().to_string()
        }
    }
}

/// The name in the other script (Hong Kong → Simplified, Guangzhou → Traditional), when that
/// changes anything.
fn script_change(name: &str, region: Region) -> Option<String> {
    let out: String = name
        .chars()
        .map(|c| match (hanzi(c), region) {
            (Some(h), Region::HongKong) => h.1,
            (Some(h), Region::Guangzhou) => h.0,
            (None, _) => c,
        })
        .collect();
    (out != name).then_some(out)
}

const HANZI: &[Hanzi] = &[
    // Surnames.
    ('陳', '陈', "Chan", "Chen"),
    ('李', '李', "Lee", "Li"),
    ('張', '张', "Cheung", "Zhang"),
    ('黃', '黄', "Wong", "Huang"),
    ('何', '何', "Ho", "He"),
    ('林', '林', "Lam", "Lin"),
    ('吳', '吴', "Ng", "Wu"),
    ('劉', '刘', "Lau", "Liu"),
    ('梁', '梁', "Leung", "Liang"),
    ('郭', '郭', "Kwok", "Guo"),
    ('王', '王', "Wong", "Wang"),
    ('鄭', '郑', "Cheng", "Zheng"),
    ('楊', '杨', "Yeung", "Yang"),
    ('謝', '谢', "Tse", "Xie"),
    ('羅', '罗', "Law", "Luo"),
    ('麥', '麦', "Mak", "Mai"),
    ('周', '周', "Chow", "Zhou"),
    ('朱', '朱', "Chu", "Zhu"),
    ('馮', '冯', "Fung", "Feng"),
    ('曾', '曾', "Tsang", "Zeng"),
    ('胡', '胡', "Wu", "Hu"),
    ('蔡', '蔡', "Choi", "Cai"),
    ('鄧', '邓', "Tang", "Deng"),
    ('許', '许', "Hui", "Xu"),
    ('蘇', '苏', "So", "Su"),
    ('葉', '叶', "Yip", "Ye"),
    ('潘', '潘', "Poon", "Pan"),
    ('盧', '卢', "Lo", "Lu"),
    ('余', '余', "Yu", "Yu"),
    ('袁', '袁', "Yuen", "Yuan"),
    ('彭', '彭', "Pang", "Peng"),
    ('馬', '马', "Ma", "Ma"),
    ('譚', '谭', "Tam", "Tan"),
    ('廖', '廖', "Liu", "Liao"),
    ('莫', '莫', "Mok", "Mo"),
    ('鍾', '钟', "Chung", "Zhong"),
    ('關', '关', "Kwan", "Guan"),
    ('蕭', '萧', "Siu", "Xiao"),
    ('區', '区', "Au", "Ou"),
    ('姚', '姚', "Yiu", "Yao"),
    ('溫', '温', "Wan", "Wen"),
    ('江', '江', "Kong", "Jiang"),
    ('徐', '徐', "Tsui", "Xu"),
    ('孫', '孙', "Suen", "Sun"),
    ('趙', '赵', "Chiu", "Zhao"),
    ('高', '高', "Ko", "Gao"),
    ('邱', '邱', "Yau", "Qiu"),
    ('湯', '汤', "Tong", "Tang"),
    // Given-name characters.
    ('大', '大', "Tai", "Da"),
    ('文', '文', "Man", "Wen"),
    ('志', '志', "Chi", "Zhi"),
    ('明', '明', "Ming", "Ming"),
    ('嘉', '嘉', "Ka", "Jia"),
    ('欣', '欣', "Yan", "Xin"),
    ('子', '子', "Tsz", "Zi"),
    ('豪', '豪', "Ho", "Hao"),
    ('美', '美', "Mei", "Mei"),
    ('玲', '玲', "Ling", "Ling"),
    ('偉', '伟', "Wai", "Wei"),
    ('強', '强', "Keung", "Qiang"),
    ('家', '家', "Ka", "Jia"),
    ('俊', '俊', "Chun", "Jun"),
    ('傑', '杰', "Kit", "Jie"),
    ('詠', '咏', "Wing", "Yong"),
    ('詩', '诗', "Sze", "Shi"),
    ('慧', '慧', "Wai", "Hui"),
    ('敏', '敏', "Man", "Min"),
    ('淑', '淑', "Shuk", "Shu"),
    ('芬', '芬', "Fun", "Fen"),
    ('麗', '丽', "Lai", "Li"),
    ('華', '华', "Wah", "Hua"),
    ('國', '国', "Kwok", "Guo"),
    ('榮', '荣', "Wing", "Rong"),
    ('建', '建', "Kin", "Jian"),
    ('雄', '雄', "Hung", "Xiong"),
    ('德', '德', "Tak", "De"),
    ('少', '少', "Siu", "Shao"),
    ('婷', '婷', "Ting", "Ting"),
    ('潔', '洁', "Kit", "Jie"),
    ('思', '思', "Sze", "Si"),
    ('穎', '颖', "Wing", "Ying"),
    ('浩', '浩', "Ho", "Hao"),
    ('天', '天', "Tin", "Tian"),
    ('樂', '乐', "Lok", "Le"),
    ('朗', '朗', "Long", "Lang"),
    ('晴', '晴', "Ching", "Qing"),
    ('心', '心', "Sum", "Xin"),
    ('瑩', '莹', "Ying", "Ying"),
    ('秀', '秀', "Sau", "Xiu"),
    ('英', '英', "Ying", "Ying"),
    ('蘭', '兰', "Lan", "Lan"),
    ('珍', '珍', "Chun", "Zhen"),
    ('金', '金', "Kam", "Jin"),
    ('桂', '桂', "Kwai", "Gui"),
    ('鳳', '凤', "Fung", "Feng"),
    ('玉', '玉', "Yuk", "Yu"),
    ('寶', '宝', "Po", "Bao"),
    ('好', '好', "Ho", "Hao"),
    ('妹', '妹', "Mui", "Mei"),
    ('永', '永', "Wing", "Yong"),
    ('耀', '耀', "Yiu", "Yao"),
    ('達', '达', "Tat", "Da"),
    ('添', '添', "Tim", "Tian"),
    ('錦', '锦', "Kam", "Jin"),
    ('輝', '辉', "Fai", "Hui"),
    ('發', '发', "Fat", "Fa"),
    ('泉', '泉', "Chuen", "Quan"),
    ('基', '基', "Kei", "Ji"),
    ('光', '光', "Kwong", "Guang"),
    ('康', '康', "Hong", "Kang"),
    ('安', '安', "On", "An"),
    ('宇', '宇', "Yu", "Yu"),
    ('軒', '轩', "Hin", "Xuan"),
    ('彤', '彤', "Tung", "Tong"),
    ('琳', '琳', "Lam", "Lin"),
    ('曉', '晓', "Hiu", "Xiao"),
    ('雅', '雅', "Nga", "Ya"),
    ('佩', '佩', "Pui", "Pei"),
    ('儀', '仪', "Yee", "Yi"),
    ('恩', '恩', "Yan", "En"),
    ('銘', '铭', "Ming", "Ming"),
    ('民', '民', "Man", "Min"),
    ('韋', '韦', "Wai", "Wei"),
    ('卓', '卓', "Cheuk", "Zhuo"),
    ('賢', '贤', "Yin", "Xian"),
    ('燕', '燕', "Yin", "Yan"),
    ('霞', '霞', "Ha", "Xia"),
    ('芳', '芳', "Fong", "Fang"),
    ('娟', '娟', "Kuen", "Juan"),
    ('靜', '静', "Ching", "Jing"),
    ('紅', '红', "Hung", "Hong"),
    ('艷', '艳', "Yim", "Yan"),
    ('梅', '梅', "Mui", "Mei"),
    ('春', '春', "Chun", "Chun"),
    ('海', '海', "Hoi", "Hai"),
    ('福', '福', "Fuk", "Fu"),
    ('興', '兴', "Hing", "Xing"),
    ('軍', '军', "Kwan", "Jun"),
    ('平', '平', "Ping", "Ping"),
    ('勇', '勇', "Yung", "Yong"),
    ('濤', '涛', "To", "Tao"),
    ('斌', '斌', "Pan", "Bin"),
    ('超', '超', "Chiu", "Chao"),
    ('磊', '磊', "Lui", "Lei"),
    ('鵬', '鹏', "Pang", "Peng"),
    ('梓', '梓', "Tsz", "Zi"),
    ('睿', '睿', "Yui", "Rui"),
    ('雪', '雪', "Suet", "Xue"),
    ('怡', '怡', "Yi", "Yi"),
    ('涵', '涵', "Ham", "Han"),
    ('萱', '萱', "Huen", "Xuan"),
    ('雨', '雨', "Yu", "Yu"),
    ('博', '博', "Pok", "Bo"),
    ('佳', '佳', "Kai", "Jia"),
    ('翠', '翠', "Chui", "Cui"),
    ('群', '群', "Kwan", "Qun"),
    ('昌', '昌', "Cheong", "Chang"),
    ('生', '生', "Sang", "Sheng"),
    ('有', '有', "Yau", "You"),
    ('根', '根', "Kan", "Gen"),
];

/// Common Hong Kong surnames, weighted roughly by frequency.
const HK_SURNAMES: &[(char, u32)] = &[
    ('陳', 90),
    ('李', 55),
    ('張', 45),
    ('黃', 45),
    ('何', 30),
    ('林', 30),
    ('吳', 25),
    ('劉', 25),
    ('梁', 30),
    ('郭', 15),
    ('王', 25),
    ('鄭', 20),
    ('楊', 18),
    ('謝', 15),
    ('羅', 15),
    ('麥', 12),
    ('周', 15),
    ('朱', 12),
    ('馮', 12),
    ('曾', 12),
    ('胡', 10),
    ('蔡', 10),
    ('鄧', 12),
    ('許', 10),
    ('蘇', 8),
    ('葉', 12),
    ('潘', 8),
    ('盧', 10),
    ('余', 8),
    ('袁', 8),
    ('彭', 6),
    ('馬', 8),
    ('譚', 10),
    ('廖', 6),
    ('莫', 6),
    ('鍾', 8),
    ('關', 6),
    ('蕭', 5),
    ('區', 5),
    ('姚', 4),
    ('溫', 5),
    ('江', 4),
    ('徐', 6),
    ('孫', 4),
];

/// Common Guangzhou surnames, weighted roughly by frequency.
const GZ_SURNAMES: &[(char, u32)] = &[
    ('陈', 70),
    ('李', 55),
    ('黄', 50),
    ('张', 40),
    ('梁', 35),
    ('林', 30),
    ('刘', 30),
    ('何', 30),
    ('王', 30),
    ('吴', 20),
    ('罗', 20),
    ('杨', 18),
    ('郭', 15),
    ('郑', 15),
    ('谢', 15),
    ('周', 15),
    ('朱', 12),
    ('冯', 12),
    ('曾', 12),
    ('邓', 12),
    ('叶', 12),
    ('苏', 10),
    ('卢', 10),
    ('许', 8),
    ('潘', 8),
    ('钟', 10),
    ('赵', 8),
    ('孙', 6),
    ('徐', 8),
    ('高', 6),
    ('马', 6),
    ('胡', 8),
    ('蔡', 8),
    ('彭', 6),
    ('江', 6),
    ('邱', 6),
    ('温', 6),
    ('汤', 5),
    ('袁', 6),
    ('区', 4),
    ('麦', 6),
    ('谭', 8),
    ('关', 5),
];

/// Given-name characters: `[female, male]` × `[born before 1960, 1960–1994, 1995 on]`.
const HK_GIVEN: [[&str; 3]; 2] = [
    ["好妹金桂鳳玉蘭珍英秀群燕霞芳淑麗美娟梅", "美玲嘉欣詠詩慧敏淑芬麗婷潔思穎佩儀雅瑩", "晴彤琳心曉恩詩嘉欣穎思雅樂梓佳"],
    ["國榮德強發泉添錦輝雄基光有根生昌大文志明華偉", "志明偉強家俊傑建華國達耀永輝文德雄卓賢康浩子", "浩朗宇軒樂天子俊卓博梓睿家"],
];

const GZ_GIVEN: [[&str; 3]; 2] = [
    ["桂凤玉兰珍英秀霞芳淑丽美娟梅红燕春金", "丽娟敏静秀英芳霞婷雪琳燕红艳慧玲", "欣怡涵萱诗雨婷琳晓佳子梓"],
    ["国荣德强发泉金福海春兴平生有根昌明华伟文", "建国伟强军明华平志勇杰涛斌辉超磊鹏俊", "浩宇轩子梓睿博俊杰天"],
];

/// South and Southeast Asian residents of Hong Kong.
struct Minority {
    ethnicity: &'static str,
    /// Preferred-language code.
    language: &'static str,
    weight: u32,
    /// Empty where people go by a personal name without a family name (written in full below).
    surnames: &'static [&'static str],
    female: &'static [&'static str],
    male: &'static [&'static str],
    phone_cc: &'static str,
    phone_lead: &'static str,
}

const MINORITIES: &[Minority] = &[
    Minority {
        ethnicity: "Nepali",
        language: "nepali",
        weight: 25,
        surnames: &["Gurung", "Rai", "Limbu", "Tamang", "Magar", "Thapa", "Shrestha", "Sherpa"],
        female: &["Maya", "Sita", "Anita", "Sunita", "Kamala", "Gita", "Puja", "Srijana"],
        male: &["Ram", "Bikash", "Suresh", "Rajesh", "Prakash", "Dipak", "Anil", "Santosh"],
        phone_cc: "+977",
        phone_lead: "98",
    },
    Minority {
        ethnicity: "Pakistani",
        language: "urdu",
        weight: 20,
        surnames: &["Khan", "Ali", "Ahmed", "Hussain", "Malik", "Shah", "Iqbal", "Butt"],
        female: &["Ayesha", "Fatima", "Sana", "Zainab", "Amna", "Hina"],
        male: &["Muhammad", "Bilal", "Imran", "Usman", "Hamza", "Asif"],
        phone_cc: "+92",
        phone_lead: "3",
    },
    Minority {
        ethnicity: "Indian",
        language: "hindi",
        weight: 15,
        surnames: &["Sharma", "Patel", "Kumar", "Gill", "Gupta", "Mehta"],
        female: &["Priya", "Anjali", "Neha", "Pooja", "Kavita"],
        male: &["Arjun", "Rahul", "Vikram", "Amit", "Sanjay"],
        phone_cc: "+91",
        phone_lead: "9",
    },
    Minority {
        ethnicity: "Filipino",
        language: "tagalog",
        weight: 25,
        surnames: &["Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Dela Cruz", "Ramos"],
        female: &["Maria", "Ana", "Rosalie", "Jocelyn", "Cristina", "Maricel"],
        male: &["Jose", "Mark", "Ramon", "Eduardo", "Paolo"],
        phone_cc: "+63",
        phone_lead: "9",
    },
    Minority {
        ethnicity: "Indonesian",
        language: "bahasa_indonesia",
        weight: 15,
        surnames: &[],
        female: &["Siti Aminah", "Sri Wahyuni", "Dewi Lestari", "Nur Hidayah", "Rina Susanti", "Wulan Sari"],
        male: &["Budi Santoso", "Agus Setiawan", "Eko Prasetyo", "Joko Susilo"],
        phone_cc: "+62",
        phone_lead: "8",
    },
];

// --- places and numbers ------------------------------------------------------------------------

/// A Hong Kong district: weights by population and by where ethnic minorities mostly live;
/// a rough centre of its populated area; streets; public housing estates.
struct HkDistrict {
    name: &'static str,
    weight: u32,
    em_weight: u32,
    lat: f64,
    lng: f64,
    spread: f64,
    streets: &'static [&'static str],
    estates: &'static [&'static str],
}

const HK_DISTRICTS: &[HkDistrict] = &[
    HkDistrict {
        name: "中西區 Central and Western",
        weight: 23,
        em_weight: 5,
        lat: 22.2860,
        lng: 114.1430,
        spread: 0.008,
        streets: &["德輔道西", "皇后大道西", "干諾道西", "第三街", "正街", "高街", "卑路乍街"],
        estates: &["西環邨", "觀龍樓"],
    },
    HkDistrict {
        name: "灣仔 Wan Chai",
        weight: 17,
        em_weight: 5,
        lat: 22.2770,
        lng: 114.1760,
        spread: 0.006,
        streets: &["軒尼詩道", "莊士敦道", "駱克道", "灣仔道", "春園街", "石水渠街"],
        estates: &[],
    },
    HkDistrict {
        name: "東區 Eastern",
        weight: 53,
        em_weight: 5,
        lat: 22.2800,
        lng: 114.2200,
        spread: 0.012,
        streets: &["英皇道", "筲箕灣道", "柴灣道", "北角道", "渣華道", "電照街", "糖水道"],
        estates: &["耀東邨", "興東邨", "小西灣邨", "環翠邨"],
    },
    HkDistrict {
        name: "南區 Southern",
        weight: 26,
        em_weight: 1,
        lat: 22.2480,
        lng: 114.1560,
        spread: 0.010,
        streets: &["香港仔大道", "石排灣道", "鴨脷洲大街", "湖北街", "田灣街"],
        estates: &["華富邨", "石排灣邨", "漁光邨", "利東邨"],
    },
    HkDistrict {
        name: "油尖旺 Yau Tsim Mong",
        weight: 31,
        em_weight: 25,
        lat: 22.3120,
        lng: 114.1710,
        spread: 0.008,
        streets: &["彌敦道", "上海街", "廟街", "砵蘭街", "新填地街", "大角咀道", "奶路臣街"],
        estates: &[],
    },
    HkDistrict {
        name: "深水埗 Sham Shui Po",
        weight: 43,
        em_weight: 10,
        lat: 22.3310,
        lng: 114.1600,
        spread: 0.008,
        streets: &["北河街", "桂林街", "福華街", "基隆街", "長沙灣道", "大南街", "汝州街", "醫局街"],
        estates: &["石硤尾邨", "南山邨", "李鄭屋邨", "白田邨", "富昌邨"],
    },
    HkDistrict {
        name: "九龍城 Kowloon City",
        weight: 41,
        em_weight: 8,
        lat: 22.3200,
        lng: 114.1880,
        spread: 0.008,
        streets: &["土瓜灣道", "馬頭圍道", "譚公道", "衙前圍道", "啟德道", "蕪湖街", "寶其利街"],
        estates: &["愛民邨", "何文田邨", "樂民邨"],
    },
    HkDistrict {
        name: "黃大仙 Wong Tai Sin",
        weight: 41,
        em_weight: 2,
        lat: 22.3420,
        lng: 114.1960,
        spread: 0.008,
        streets: &["龍翔道", "沙田坳道", "彩虹道", "鳳德道", "竹園道", "蒲崗村道"],
        estates: &["彩虹邨", "慈正邨", "竹園南邨", "鳳德邨", "黃大仙下邨"],
    },
    HkDistrict {
        name: "觀塘 Kwun Tong",
        weight: 67,
        em_weight: 4,
        lat: 22.3150,
        lng: 114.2260,
        spread: 0.012,
        streets: &["協和街", "物華街", "秀茂坪道", "牛頭角道", "觀塘道", "康寧道", "鯉魚門道"],
        estates: &["秀茂坪邨", "藍田邨", "翠屏邨", "順天邨", "安達邨"],
    },
    HkDistrict {
        name: "葵青 Kwai Tsing",
        weight: 50,
        em_weight: 10,
        lat: 22.3600,
        lng: 114.1300,
        spread: 0.012,
        streets: &["興芳路", "葵涌道", "青衣鄉事會路", "和宜合道", "大連排道", "葵富路"],
        estates: &["葵興邨", "長青邨", "石蔭邨", "大窩口邨", "青衣邨"],
    },
    HkDistrict {
        name: "荃灣 Tsuen Wan",
        weight: 32,
        em_weight: 6,
        lat: 22.3710,
        lng: 114.1150,
        spread: 0.008,
        streets: &["沙咀道", "眾安街", "大河道", "川龍街", "楊屋道"],
        estates: &["石圍角邨", "象山邨", "梨木樹邨", "福來邨"],
    },
    HkDistrict {
        name: "屯門 Tuen Mun",
        weight: 50,
        em_weight: 6,
        lat: 22.3930,
        lng: 113.9750,
        spread: 0.012,
        streets: &["屯門鄉事會路", "青山公路", "屯興路", "湖翠路", "海榮路", "石排頭路"],
        estates: &["友愛邨", "三聖邨", "大興邨", "蝴蝶邨", "山景邨"],
    },
    HkDistrict {
        name: "元朗 Yuen Long",
        weight: 67,
        em_weight: 20,
        lat: 22.4470,
        lng: 114.0200,
        spread: 0.018,
        streets: &["教育路", "大棠路", "鳳翔路", "天耀路", "安寧路", "馬田路"],
        estates: &["天耀邨", "天瑞邨", "朗屏邨", "天慈邨", "水邊圍邨"],
    },
    HkDistrict {
        name: "北區 North",
        weight: 31,
        em_weight: 2,
        lat: 22.5000,
        lng: 114.1300,
        spread: 0.012,
        streets: &["新豐路", "龍琛路", "馬會道", "新運路", "新財街"],
        estates: &["彩園邨", "華明邨", "清河邨", "祥華邨"],
    },
    HkDistrict {
        name: "大埔 Tai Po",
        weight: 31,
        em_weight: 1,
        lat: 22.4480,
        lng: 114.1660,
        spread: 0.010,
        streets: &["廣福道", "寶鄉街", "汀角路", "安邦路", "南運路"],
        estates: &["富亨邨", "大元邨", "富善邨", "太和邨"],
    },
    HkDistrict {
        name: "沙田 Sha Tin",
        weight: 69,
        em_weight: 2,
        lat: 22.3820,
        lng: 114.1900,
        spread: 0.015,
        streets: &["沙田正街", "大涌橋路", "車公廟路", "源禾路", "沙角街", "火炭路"],
        estates: &["瀝源邨", "禾輋邨", "秦石邨", "水泉澳邨", "新田圍邨"],
    },
    HkDistrict {
        name: "西貢 Sai Kung",
        weight: 49,
        em_weight: 2,
        lat: 22.3120,
        lng: 114.2600,
        spread: 0.012,
        streets: &["唐德街", "寶林北路", "培成路", "常寧路", "西貢大街"],
        estates: &["寶林邨", "厚德邨", "尚德邨", "景林邨"],
    },
    HkDistrict {
        name: "離島 Islands",
        weight: 19,
        em_weight: 2,
        lat: 22.2880,
        lng: 113.9420,
        spread: 0.008,
        streets: &["達東路", "東涌道", "大新街", "涌口街"],
        estates: &["富東邨", "逸東邨", "迎東邨"],
    },
];

/// A Guangzhou district: population weight, rough centre, the area code of identity numbers
/// issued there, its 街道 (sub-districts) and some roads.
struct GzDistrict {
    name: &'static str,
    weight: u32,
    lat: f64,
    lng: f64,
    spread: f64,
    area_code: &'static str,
    streets: &'static [&'static str],
    roads: &'static [&'static str],
}

const GZ_DISTRICTS: &[GzDistrict] = &[
    GzDistrict {
        name: "越秀区 Yuexiu",
        weight: 103,
        lat: 23.1290,
        lng: 113.2670,
        spread: 0.015,
        area_code: "440104",
        streets: &["北京街", "六榕街", "东山街", "农林街", "大塘街", "光塔街", "人民街", "华乐街", "建设街", "梅花村街"],
        roads: &["东风中路", "中山四路", "解放北路", "北京路", "农林下路", "越秀南路", "环市东路"],
    },
    GzDistrict {
        name: "海珠区 Haizhu",
        weight: 180,
        lat: 23.0950,
        lng: 113.3150,
        spread: 0.02,
        area_code: "440105",
        streets: &["赤岗街", "江南中街", "素社街", "沙园街", "南洲街", "滨江街", "昌岗街", "琶洲街", "新港街"],
        roads: &["江南大道中", "工业大道", "南洲路", "昌岗中路", "宝岗大道", "新港中路"],
    },
    GzDistrict {
        name: "荔湾区 Liwan",
        weight: 112,
        lat: 23.1200,
        lng: 113.2420,
        spread: 0.015,
        area_code: "440103",
        streets: &["逢源街", "多宝街", "华林街", "岭南街", "沙面街", "西村街", "花地街", "冲口街"],
        roads: &["中山八路", "龙津西路", "多宝路", "芳村大道", "康王中路", "黄沙大道"],
    },
    GzDistrict {
        name: "天河区 Tianhe",
        weight: 224,
        lat: 23.1350,
        lng: 113.3600,
        spread: 0.02,
        area_code: "440106",
        streets: &["林和街", "石牌街", "五山街", "员村街", "沙河街", "天河南街", "猎德街", "棠下街", "车陂街"],
        roads: &["天河路", "天河北路", "五山路", "黄埔大道西", "中山大道西", "林和西路"],
    },
    GzDistrict {
        name: "白云区 Baiyun",
        weight: 374,
        lat: 23.1800,
        lng: 113.2800,
        spread: 0.03,
        area_code: "440111",
        streets: &["三元里街", "棠景街", "京溪街", "同和街", "新市街", "松洲街", "黄石街", "永平街"],
        roads: &["机场路", "广园中路", "白云大道北", "同和路", "三元里大道", "黄石东路"],
    },
    GzDistrict {
        name: "黄埔区 Huangpu",
        weight: 126,
        lat: 23.1100,
        lng: 113.4600,
        spread: 0.025,
        area_code: "440112",
        streets: &["黄埔街", "红山街", "鱼珠街", "大沙街", "文冲街", "南岗街", "萝岗街"],
        roads: &["黄埔东路", "大沙地东", "开创大道", "香雪大道", "丰乐北路"],
    },
    GzDistrict {
        name: "番禺区 Panyu",
        weight: 280,
        lat: 22.9400,
        lng: 113.3800,
        spread: 0.03,
        area_code: "440113",
        streets: &["市桥街", "桥南街", "沙头街", "东环街", "大石街", "洛浦街", "钟村街"],
        roads: &["桥南路", "清河东路", "东环路", "繁华路", "德兴路", "光明北路"],
    },
];

/// Made-up roots of 社区 names; each 街道 uses four of them.
const COMMUNITY_ROOTS: &[&str] = &[
    "东风", "文明", "和平", "建设", "华侨", "新村", "南湖", "翠园", "花园", "富强", "朝阳", "前进", "锦绣", "幸福", "中山", "榕树", "竹园",
    "荔景", "金桂", "东湖", "西华", "北园", "南苑", "康乐",
];

const CN_MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
];

/// Identity card letters, weighted.
const HKID_PREFIXES: &[(&str, u32)] = &[
    ("A", 6),
    ("B", 4),
    ("C", 8),
    ("D", 8),
    ("E", 8),
    ("G", 6),
    ("H", 5),
    ("K", 7),
    ("M", 4),
    ("P", 7),
    ("R", 5),
    ("S", 4),
    ("V", 3),
    ("Y", 5),
    ("Z", 5),
    ("WX", 1),
    ("XA", 1),
];

/// Ethnic-minority residents are younger on average.
const MINORITY_AGE_BUCKETS: &[(u32, u32, u32)] =
    &[(0, 5, 8), (6, 11, 9), (12, 17, 9), (18, 29, 14), (30, 44, 22), (45, 59, 18), (60, 64, 6), (65, 74, 8), (75, 84, 4), (85, 95, 2)];

/// Ages in whole years `(from, to, weight)`: families with children, working-age adults and,
/// above all, older people, as family and elderly centres serve.
const AGE_BUCKETS: &[(u32, u32, u32)] =
    &[(0, 5, 6), (6, 11, 7), (12, 17, 7), (18, 29, 7), (30, 44, 12), (45, 59, 14), (60, 64, 8), (65, 74, 16), (75, 84, 15), (85, 95, 8)];

#[cfg(test)]
mod tests {
    use super::*;
    use shegong_domain::clients::{fold_name, similar_names, ClientFields, IdDocType};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    fn units() -> Vec<(UnitId, Region)> {
        vec![(UnitId::new(), Region::HongKong), (UnitId::new(), Region::HongKong), (UnitId::new(), Region::Guangzhou)]
    }

    /// The age range a validated person may have.
    fn age_range(f: &ClientFields) -> (u32, u32) {
        if let Some(d) = f.date_of_birth {
            let a = today().years_since(d).expect("born before today");
            return (a, a);
        }
        let band = f.age_band.expect("a birth date or an age band");
        let (lo, hi) = AgeBand::ALL
            .iter()
            .position(|b| *b == band)
            .map(|i| {
                let starts = [0, 6, 12, 18, 25, 35, 45, 55, 60, 65, 70, 75, 80];
                (starts[i], starts.get(i + 1).map_or(125, |s| s - 1))
            })
            .expect("known band");
        (lo, hi)
    }

    #[test]
    fn demo_tables_are_consistent() {
        assert_eq!(HK_DISTRICTS.len(), 18);
        for (t, s, hk, py) in HANZI {
            assert_eq!(fold_name(&t.to_string()), fold_name(&s.to_string()), "{t} and {s} fold alike");
            assert!(hk.chars().next().is_some_and(|c| c.is_ascii_uppercase()), "{t}: {hk}");
            assert!(py.chars().next().is_some_and(|c| c.is_ascii_uppercase()), "{s}: {py}");
            assert_eq!(hanzi(*t).map(|h| h.0), Some(*t), "{t} is listed once");
            assert_eq!(hanzi(*s).map(|h| h.0), Some(*t), "{s} is listed once");
        }
        let hk: String = HK_SURNAMES.iter().map(|s| s.0).chain(HK_GIVEN.concat().concat().chars()).collect();
        for c in hk.chars() {
            assert_eq!(hanzi(c).map(|h| h.0), Some(c), "{c} is a Traditional character of the table");
        }
        let gz: String = GZ_SURNAMES.iter().map(|s| s.0).chain(GZ_GIVEN.concat().concat().chars()).collect();
        for c in gz.chars() {
            assert_eq!(hanzi(c).map(|h| h.1), Some(c), "{c} is a Simplified character of the table");
        }
        assert_eq!(romanise("陳大文", Region::HongKong), "Chan Tai Man");
        assert_eq!(romanise("陈建国", Region::Guangzhou), "Chen Jianguo");
        assert_eq!(romanise("李家恩", Region::Guangzhou), "Li Jia'en");
        assert_eq!(romanise("黃雅", Region::HongKong), "Wong Nga");
        assert_eq!(hkid_check("A", "123456"), '3');
        assert_eq!(hkid_check("AB", "987654"), '3');
        assert_eq!(mainland_check("11010519491231002"), 'X');
    }

    #[test]
    fn demo_people_validate_and_look_real() {
        let categories = default_categories();
        let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let (mut hk, mut gz) = (0usize, 0usize);
        for seed in [1, 2, 3] {
            let units = units();
            let mut g = Generator::new(seed, units.clone());
            for _ in 0..5_000 {
                let input = g.client(today());
                let f = match input.validate(today(), &categories) {
                    Ok(f) => f,
                    Err(e) => panic!("{input:?} does not validate: {e:?}"),
                };
                let region = units.iter().find(|(u, _)| *u == f.unit_id).map(|(_, r)| *r).expect("a unit of the list");
                let has = |code: &str| f.categories.iter().any(|c| c == code);
                let (lo, hi) = age_range(&f);
                let mut count = |k: &'static str| *counts.entry(k).or_default() += 1;
                count("all");
                if f.date_of_birth.is_some() {
                    count("exact");
                }
                if f.sex == shegong_domain::clients::Sex::Female {
                    count("female");
                }
                if lo >= 60 {
                    count("60+");
                }
                if hi < 18 {
                    count("child");
                }
                for code in ["ex_offender", "mental_health_recovery", "elderly_alone", "low_income", "carer"] {
                    if has(code) {
                        count(code);
                    }
                }
                // Categories agree with the age.
                if has("elderly_alone") {
                    assert!(lo >= 60, "elderly_alone at {lo}–{hi}: {input:?}");
                }
                if has("child_in_difficulty") {
                    assert!(hi < 18, "child_in_difficulty at {lo}–{hi}: {input:?}");
                }
                for adult in ["carer", "ex_offender"] {
                    if has(adult) {
                        assert!(lo >= 18, "{adult} at {lo}–{hi}: {input:?}");
                    }
                }
                let (lat, lng) = (f.latitude, f.longitude);
                match region {
                    Region::HongKong => {
                        hk += 1;
                        assert!(HK_DISTRICTS.iter().any(|d| d.name == f.district));
                        for p in &f.phones {
                            let ok = (p.len() == 8 && p.starts_with(['2', '3', '5', '6', '9'])) || p.starts_with('+');
                            assert!(ok, "Hong Kong phone {p}");
                        }
                        if let (Some(lat), Some(lng)) = (lat, lng) {
                            assert!((22.15..22.6).contains(&lat) && (113.85..114.4).contains(&lng), "{lat},{lng}");
                        }
                        if has("ethnic_minority") {
                            count("minority");
                            assert!(MINORITIES.iter().any(|m| m.ethnicity == f.ethnicity));
                            assert!(f.name_en.is_ascii() && !f.name_en.is_empty());
                        } else {
                            assert_eq!(f.name_en, romanise(&f.name_zh, Region::HongKong), "{}", f.name_zh);
                            assert!(f.name_zh.chars().count() >= 2 && f.name_zh.chars().count() <= 3);
                            if f.preferred_language.as_str() == "cantonese" {
                                count("cantonese");
                            }
                        }
                        match &f.id_doc {
                            Some((IdDocType::Hkid, n)) => {
                                count("hkid");
                                assert_eq!(valid_hkid(n).as_deref(), Some(n.as_str()));
                                assert!(hi >= 11, "an identity card from age 11");
                            }
                            None => {}
                            other => panic!("unexpected document {other:?}"),
                        }
                    }
                    Region::Guangzhou => {
                        gz += 1;
                        assert!(GZ_DISTRICTS.iter().any(|d| d.name == f.district && d.streets.contains(&f.street.as_str())));
                        assert!(f.community.ends_with("社区"));
                        assert!(!has("ethnic_minority"), "少数民族 is not the ethnic_minority category");
                        assert_eq!(f.name_en, romanise(&f.name_zh, Region::Guangzhou), "{}", f.name_zh);
                        for p in &f.phones {
                            assert!(p.len() == 11 && ["13", "15", "18"].iter().any(|x| p.starts_with(x)), "mainland phone {p}");
                        }
                        if let (Some(lat), Some(lng)) = (lat, lng) {
                            assert!((22.8..23.3).contains(&lat) && (113.15..113.55).contains(&lng), "{lat},{lng}");
                        }
                        match &f.id_doc {
                            Some((IdDocType::MainlandId, n)) => {
                                count("mainland_id");
                                assert_eq!(valid_mainland_id(n).as_deref(), Some(n.as_str()));
                                assert!(n.starts_with("4401"));
                                let dob = f.date_of_birth.expect("an identity number only with a birth date");
                                assert_eq!(&n[6..14], dob.format("%Y%m%d").to_string());
                                let odd = n[16..17].parse::<u32>().expect("digit") % 2 == 1;
                                assert_eq!(odd, f.sex == shegong_domain::clients::Sex::Male);
                            }
                            None => {}
                            other => panic!("unexpected document {other:?}"),
                        }
                    }
                }
            }
        }
        let share = |k: &str, of: usize| counts.get(k).copied().unwrap_or(0) as f64 / of as f64;
        let all = counts["all"];
        let hk_chinese = hk - counts.get("minority").copied().unwrap_or(0);
        let report = format!("{counts:?} hk={hk} gz={gz}");
        assert!((0.02..0.10).contains(&share("minority", hk)), "{report}");
        assert!((0.5..0.7).contains(&share("hkid", hk)), "{report}");
        assert!((0.4..0.6).contains(&share("mainland_id", gz)), "{report}");
        assert!((0.8..0.9).contains(&share("exact", all)), "{report}");
        assert!((0.5..0.6).contains(&share("female", all)), "{report}");
        assert!((0.35..0.6).contains(&share("60+", all)), "{report}");
        assert!((0.1..0.3).contains(&share("child", all)), "{report}");
        assert!(share("cantonese", hk_chinese) > 0.85, "{report}");
        for rare in ["ex_offender", "mental_health_recovery"] {
            assert!((0.005..0.04).contains(&share(rare, all)), "{rare}: {report}");
        }
        assert!((0.15..0.45).contains(&share("low_income", all)), "{report}");
        assert!((0.05..0.25).contains(&share("elderly_alone", all)), "{report}");
        assert!(share("carer", all) > 0.03, "{report}");
    }

    #[test]
    fn demo_same_seed_same_people() {
        let units = units();
        let people = |seed| {
            let mut g = Generator::new(seed, units.clone());
            (0..500).map(|_| format!("{:?}", g.client(today()))).collect::<Vec<_>>()
        };
        assert_eq!(people(7), people(7));
        assert_ne!(people(7), people(8));
    }

    #[test]
    fn demo_numbers_are_not_shared() {
        let mut g = Generator::new(11, units());
        let mut seen = HashSet::new();
        for _ in 0..5_000 {
            let f = g.client(today()).validate(today(), &default_categories()).expect("valid");
            for key in f.phones.iter().cloned().chain(f.id_key()) {
                assert!(seen.insert(key.clone()), "{key} given twice");
            }
        }
    }

    #[test]
    fn demo_near_duplicates_are_similar() {
        let categories = default_categories();
        let mut g = Generator::new(5, units());
        let mut kinds = [0usize; 3];
        for _ in 0..2_000 {
            let a = g.client(today());
            let b = g.near_duplicate(&a);
            let (fa, fb) = (a.validate(today(), &categories).expect("valid"), b.validate(today(), &categories).expect("valid"));
            assert!(similar_names(&format!("{} {}", fa.name_zh, fa.name_en), &format!("{} {}", fb.name_zh, fb.name_en)), "{a:?} / {b:?}");
            if !fa.name_zh.is_empty() {
                assert!(similar_names(&fa.name_zh, &fb.name_zh), "{} / {}", fa.name_zh, fb.name_zh);
            }
            assert!(similar_names(&fa.name_en, &fb.name_en), "{} / {}", fa.name_en, fb.name_en);
            assert!(fa.name_zh != fb.name_zh || fa.name_en != fb.name_en, "the name was re-typed: {a:?}");
            assert_eq!(fb.id_doc, None);
            let same_phone = fb.phones.iter().any(|p| fa.phones.contains(p));
            let same_dob = fb.date_of_birth.is_some() && fb.date_of_birth == fa.date_of_birth;
            if !fa.phones.is_empty() || fa.date_of_birth.is_some() {
                assert!(same_phone || same_dob, "{a:?} / {b:?}");
            }
            if fa.name_zh != fb.name_zh && fold_name(&fa.name_zh) == fold_name(&fb.name_zh) {
                kinds[0] += 1;
            } else if fa.name_zh != fb.name_zh {
                kinds[1] += 1;
            } else {
                kinds[2] += 1;
            }
        }
        assert!(kinds.iter().all(|k| *k > 100), "script changes, homophones and English slips: {kinds:?}");
    }
}
