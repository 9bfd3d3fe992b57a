//! Client search benchmark: builds an on-disk index of synthetic clients and times a mix of
//! the queries hotline and intake staff type.
//!
//! ```text
//! cargo bench -p shegong-search                                # 1,000,000 clients
//! SHEGONG_BENCH_CLIENTS=100000 cargo bench -p shegong-search   # fewer
//! SHEGONG_BENCH_DIR=/some/dir cargo bench -p shegong-search    # keep the index there
//! ```
//!
//! Every name, phone and identity number is invented: names are drawn from small tables of
//! common surnames and given-name characters, numbers from the Hong Kong and mainland patterns.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shegong_domain::clients::{fold_name, id_last4};
use shegong_domain::ids::{ClientId, OrgId, UnitId};
use shegong_domain::ports::{ClientDoc, SearchIndex};
use shegong_search::ClientSearch;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// (Traditional, Cantonese romanisation, pinyin, relative frequency)
const SURNAMES: &[(&str, &str, &str, u32)] = &[
    ("陳", "Chan", "chen", 80),
    ("李", "Lee", "li", 70),
    ("張", "Cheung", "zhang", 60),
    ("黃", "Wong", "huang", 60),
    ("王", "Wong", "wang", 55),
    ("林", "Lam", "lin", 40),
    ("劉", "Lau", "liu", 40),
    ("吳", "Ng", "wu", 30),
    ("何", "Ho", "he", 28),
    ("梁", "Leung", "liang", 28),
    ("楊", "Yeung", "yang", 25),
    ("周", "Chow", "zhou", 22),
    ("鄭", "Cheng", "zheng", 20),
    ("謝", "Tse", "xie", 18),
    ("曾", "Tsang", "zeng", 18),
    ("郭", "Kwok", "guo", 16),
    ("馬", "Ma", "ma", 15),
    ("羅", "Law", "luo", 15),
    ("蔡", "Choi", "cai", 14),
    ("許", "Hui", "xu", 14),
    ("徐", "Tsui", "xu", 13),
    ("鄧", "Tang", "deng", 13),
    ("馮", "Fung", "feng", 12),
    ("胡", "Wu", "hu", 12),
    ("朱", "Chu", "zhu", 12),
    ("高", "Ko", "gao", 11),
    ("蘇", "So", "su", 10),
    ("葉", "Yip", "ye", 10),
    ("潘", "Poon", "pan", 9),
    ("麥", "Mak", "mai", 9),
    ("盧", "Lo", "lu", 9),
    ("袁", "Yuen", "yuan", 8),
    ("余", "Yu", "yu", 8),
    ("江", "Kong", "jiang", 8),
    ("莫", "Mok", "mo", 7),
    ("孫", "Suen", "sun", 7),
    ("趙", "Chiu", "zhao", 7),
    ("關", "Kwan", "guan", 6),
    ("呂", "Lui", "lv", 6),
    ("歐陽", "Au Yeung", "ou yang", 3),
    ("司徒", "Szeto", "si tu", 2),
    ("上官", "Sheung Kwun", "shang guan", 1),
];

/// (Traditional, Cantonese romanisation, pinyin)
const GIVEN: &[(&str, &str, &str)] = &[
    ("大", "Tai", "da"),
    ("文", "Man", "wen"),
    ("小", "Siu", "xiao"),
    ("明", "Ming", "ming"),
    ("偉", "Wai", "wei"),
    ("華", "Wah", "hua"),
    ("強", "Keung", "qiang"),
    ("美", "Mei", "mei"),
    ("玲", "Ling", "ling"),
    ("芳", "Fong", "fang"),
    ("嘉", "Ka", "jia"),
    ("欣", "Yan", "xin"),
    ("志", "Chi", "zhi"),
    ("國", "Kwok", "guo"),
    ("家", "Ka", "jia"),
    ("寶", "Po", "bao"),
    ("英", "Ying", "ying"),
    ("麗", "Lai", "li"),
    ("秀", "Sau", "xiu"),
    ("珍", "Chun", "zhen"),
    ("慧", "Wai", "hui"),
    ("敏", "Man", "min"),
    ("儀", "Yee", "yi"),
    ("婷", "Ting", "ting"),
    ("詩", "Sze", "shi"),
    ("雅", "Nga", "ya"),
    ("俊", "Chun", "jun"),
    ("傑", "Kit", "jie"),
    ("浩", "Ho", "hao"),
    ("健", "Kin", "jian"),
    ("輝", "Fai", "hui"),
    ("榮", "Wing", "rong"),
    ("達", "Tat", "da"),
    ("耀", "Yiu", "yao"),
    ("光", "Kwong", "guang"),
    ("永", "Wing", "yong"),
    ("德", "Tak", "de"),
    ("興", "Hing", "xing"),
    ("安", "On", "an"),
    ("平", "Ping", "ping"),
    ("正", "Ching", "zheng"),
    ("子", "Tsz", "zi"),
    ("晴", "Ching", "qing"),
    ("思", "Sze", "si"),
    ("穎", "Wing", "ying"),
    ("琪", "Kei", "qi"),
    ("宇", "Yu", "yu"),
    ("軒", "Hin", "xuan"),
    ("朗", "Long", "lang"),
    ("峰", "Fung", "feng"),
    ("海", "Hoi", "hai"),
    ("雲", "Wan", "yun"),
    ("燕", "Yin", "yan"),
    ("鳳", "Fung", "feng"),
    ("蘭", "Lan", "lan"),
    ("梅", "Mui", "mei"),
    ("淑", "Suk", "shu"),
    ("月", "Yuet", "yue"),
    ("金", "Kam", "jin"),
    ("銀", "Ngan", "yin"),
    ("成", "Shing", "cheng"),
    ("建", "Kin", "jian"),
    ("新", "San", "xin"),
    ("佩", "Pui", "pei"),
    ("惠", "Wai", "hui"),
    ("潔", "Kit", "jie"),
    ("瑩", "Ying", "ying"),
    ("君", "Kwan", "jun"),
    ("愛", "Oi", "ai"),
    ("卓", "Cheuk", "zhuo"),
];

const FOREIGN_FIRST: &[&str] =
    &["Maria", "Ana", "Siti", "Dewi", "Rosa", "Jennifer", "Lorna", "Nur", "Sri", "Rina", "Grace", "Joy", "Mohammed", "Raj"];
const FOREIGN_LAST: &[&str] =
    &["Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Wulandari", "Rahayu", "Lestari", "Gurung", "Tamang", "Khan", "Singh"];

/// Agencies and their share of the clients (the first is the biggest, and the one most queried).
const ORG_WEIGHTS: &[u32] = &[40, 25, 15, 12, 8];
const UNITS_PER_ORG: usize = 8;
const BATCH: usize = 10_000;
const QUERIES: usize = 1_000;
const LIMIT: usize = 20;

/// splitmix64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn weighted(&mut self, weights: impl Iterator<Item = u32> + Clone) -> usize {
        let total: u32 = weights.clone().sum();
        let mut r = (self.next() % u64::from(total)) as u32;
        for (i, w) in weights.enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        0
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
}

/// One synthetic client, with what the queries are made from.
struct Person {
    doc: ClientDoc,
    /// Traditional Chinese name (empty for clients with an English name only).
    trad: String,
    surname_trad: String,
    given_trad: String,
    pinyin: Vec<String>,
    /// Romanised name as words (the name on record: Cantonese, pinyin or English; else pinyin).
    roman: Vec<String>,
}

struct World {
    orgs: Vec<(OrgId, Vec<UnitId>)>,
}

fn person(rng: &mut Rng, world: &World) -> Person {
    let org_index = rng.weighted(ORG_WEIGHTS.iter().copied());
    let (org, units) = &world.orgs[org_index];
    let kind = rng.below(100);
    let (trad, surname_trad, given_trad, pinyin, roman, mainland) = if kind < 7 {
        let roman = vec![rng.pick(FOREIGN_FIRST).to_string(), rng.pick(FOREIGN_LAST).to_string()];
        (String::new(), String::new(), String::new(), Vec::new(), roman, false)
    } else {
        let s = &SURNAMES[rng.weighted(SURNAMES.iter().map(|s| s.3))];
        let given_len = if rng.chance(85) { 2 } else { 1 };
        let given: Vec<&(&str, &str, &str)> = (0..given_len).map(|_| rng.pick(GIVEN)).collect();
        let given_trad: String = given.iter().map(|g| g.0).collect();
        let mut pinyin: Vec<String> = s.2.split(' ').map(String::from).collect();
        pinyin.extend(given.iter().map(|g| g.2.to_string()));
        let mut roman: Vec<String> = s.1.split(' ').map(String::from).collect();
        roman.extend(given.iter().map(|g| g.1.to_string()));
        (format!("{}{given_trad}", s.0), s.0.to_string(), given_trad, pinyin, roman, kind >= 67)
    };
    let name_zh = if mainland { fold_name(&trad) } else { trad.clone() };
    let name_en = if trad.is_empty() {
        roman.join(" ")
    } else if mainland {
        if rng.chance(20) {
            pinyin.join(" ")
        } else {
            String::new()
        }
    } else {
        // Hong Kong style: `CHAN Tai Man`.
        let (surname_words, given_words) = roman.split_at(roman.len() - given_trad.chars().count());
        format!("{} {}", surname_words.join(" ").to_uppercase(), given_words.join(" "))
    };
    let phone_count = match rng.below(100) {
        0..5 => 0,
        5..75 => 1,
        _ => 2,
    };
    let phones = (0..phone_count)
        .map(|_| {
            if mainland && rng.chance(80) {
                format!("1{}{}", rng.pick(&['3', '5', '7', '8', '9']), rng.digits(9))
            } else {
                format!("{}{}", rng.pick(&['2', '3', '5', '6', '9']), rng.digits(7))
            }
        })
        .collect();
    let id_number = match rng.below(100) {
        0..15 => String::new(),
        _ if mainland => format!("{}{}", rng.digits(17), rng.pick(&["0", "1", "5", "7", "X"])),
        _ if trad.is_empty() => format!("P{}", rng.digits(7)),
        _ => format!("{}{}({})", char::from(b'A' + rng.below(26) as u8), rng.digits(6), rng.pick(&["0", "3", "7", "9", "A"])),
    };
    let doc = ClientDoc {
        org_id: *org,
        id: ClientId::new(),
        unit_id: *rng.pick(units),
        name_zh,
        name_en,
        phones,
        id_last4: id_last4(&id_number),
        active: rng.chance(97),
    };
    // What staff would type in Latin letters: the romanised name on record, else the pinyin.
    let roman = if doc.name_en.is_empty() { pinyin.clone() } else { doc.name_en.split_whitespace().map(str::to_lowercase).collect() };
    Person { doc, trad, surname_trad, given_trad, pinyin, roman }
}

const KINDS: &[&str] = &[
    "surname",
    "full name (Traditional)",
    "full name (Simplified)",
    "given name",
    "pinyin (spaced)",
    "pinyin (joined)",
    "pinyin initials",
    "romanised prefix",
    "phone fragment",
    "ID last 4",
];

/// A query of the given kind for this person, and the kind it really is: English-only names
/// get a romanised prefix instead of a Chinese or pinyin query, as do clients without a phone
/// or identity number instead of those.
fn query_for(rng: &mut Rng, p: &Person, kind: usize) -> (usize, String) {
    const PREFIX: usize = 7;
    let kind = if p.trad.is_empty() && kind < PREFIX { PREFIX } else { kind };
    let text = match kind {
        0 => p.surname_trad.clone(),
        1 => p.trad.clone(),
        2 => fold_name(&p.trad),
        3 => p.given_trad.clone(),
        4 => p.pinyin.join(" "),
        5 => p.pinyin.concat(),
        6 => p.pinyin.iter().filter_map(|s| s.chars().next()).collect(),
        7 => {
            // All words but the last, and the start of the last: `chan tai m`.
            let mut words = p.roman.clone();
            if let Some(last) = words.last_mut() {
                let keep = 1 + rng.below(last.len());
                last.truncate(keep);
            }
            words.join(" ")
        }
        8 => match p.doc.phones.first() {
            Some(phone) => {
                let len = 4 + rng.below(3);
                let start = rng.below(phone.len() - len + 1);
                phone[start..start + len].to_string()
            }
            None => return query_for(rng, p, PREFIX),
        },
        _ if p.doc.id_last4.is_empty() => return query_for(rng, p, PREFIX),
        _ => p.doc.id_last4.clone(),
    };
    (kind, text)
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter after it is ignored.
    let n: usize = std::env::var("SHEGONG_BENCH_CLIENTS").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(1_000_000);
    let temp = tempfile::tempdir().expect("temporary directory");
    let path = std::env::var_os("SHEGONG_BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| temp.path().join("clients.search"));
    if path.exists() {
        std::fs::remove_dir_all(&path).expect("remove the old benchmark index");
    }
    let world = World { orgs: ORG_WEIGHTS.iter().map(|_| (OrgId::new(), (0..UNITS_PER_ORG).map(|_| UnitId::new()).collect())).collect() };
    let mut rng = Rng(0x5EED_5E4C);
    println!("shegong-search benchmark: {n} synthetic clients, index in {}", path.display());

    let search = ClientSearch::open(&path).expect("open index");
    let sample_every = (n / (QUERIES + 100)).max(1);
    let mut samples: Vec<Person> = Vec::new();
    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..n {
        let p = person(&mut rng, &world);
        batch.push(p.doc.clone());
        if i % sample_every == 0 && p.doc.active {
            samples.push(p);
        }
        if batch.len() == BATCH {
            search.upsert(&batch).expect("upsert");
            batch.clear();
        }
        if (i + 1) % 100_000 == 0 {
            println!("  {:>9} indexed, {:.0} s", i + 1, started.elapsed().as_secs_f64());
        }
    }
    search.upsert(&batch).expect("upsert");
    let indexing = started.elapsed();
    let count = search.count().expect("count");
    println!(
        "indexing: {count} clients in {:.1} s ({:.0} clients/s, batches of {BATCH}, one commit each)",
        indexing.as_secs_f64(),
        count as f64 / indexing.as_secs_f64()
    );
    println!("index size on disk: {:.1} MiB ({} segments)", dir_size(&path) as f64 / (1024.0 * 1024.0), search.segments());

    // ~1000 queries, cycling through the kinds; one in five restricted to two units.
    let mut queries = Vec::new();
    for (i, p) in samples.iter().enumerate().take(QUERIES) {
        let kind = i % KINDS.len();
        let (kind, text) = query_for(&mut rng, p, kind);
        let units = rng.chance(20).then(|| {
            let all = &world.orgs.iter().find(|(o, _)| *o == p.doc.org_id).expect("org").1;
            vec![p.doc.unit_id, *rng.pick(all)]
        });
        queries.push((kind, text, units, p));
    }
    // Warm-up: the first queries after a commit load the term dictionaries.
    for (_, text, units, p) in queries.iter().take(50) {
        search.search(p.doc.org_id, text, units.as_deref(), LIMIT).expect("search");
    }
    let mut all = Vec::with_capacity(queries.len());
    // Per kind: times, results, target found, target missed although fewer than LIMIT results.
    let mut by_kind: BTreeMap<usize, (Vec<Duration>, usize, usize, usize)> = BTreeMap::new();
    for (kind, text, units, p) in &queries {
        let t = Instant::now();
        let found = search.search(p.doc.org_id, text, units.as_deref(), LIMIT).expect("search");
        let elapsed = t.elapsed();
        all.push(elapsed);
        let entry = by_kind.entry(*kind).or_default();
        entry.0.push(elapsed);
        entry.1 += found.len();
        entry.2 += usize::from(found.contains(&p.doc.id));
        entry.3 += usize::from(!found.contains(&p.doc.id) && found.len() < LIMIT);
    }
    all.sort();
    println!(
        "queries: {} (limit {LIMIT}), p50 {}, p95 {}, p99 {}, max {}",
        all.len(),
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 95.0)),
        ms(percentile(&all, 99.0)),
        ms(all.last().copied().unwrap_or_default())
    );
    println!(
        "{:<26} {:>6} {:>10} {:>10} {:>10} {:>9} {:>12} {:>7}",
        "kind", "count", "p50", "p95", "p99", "results", "target in 20", "missed"
    );
    for (kind, (mut times, results, hits, missed)) in by_kind {
        times.sort();
        let count = times.len();
        println!(
            "{:<26} {:>6} {:>10} {:>10} {:>10} {:>9.1} {:>11.0}% {:>7}",
            KINDS[kind],
            count,
            ms(percentile(&times, 50.0)),
            ms(percentile(&times, 95.0)),
            ms(percentile(&times, 99.0)),
            results as f64 / count as f64,
            100.0 * hits as f64 / count as f64,
            missed
        );
    }
    println!("(target in 20: the sampled client is among the results; below 100% when more than {LIMIT} clients match equally,");
    println!(" e.g. a surname. missed: the target is absent although fewer than {LIMIT} results came back; should be 0.)");
}
