//! Knowledge-base search benchmark: indexes synthetic solutions (invented sentences built from
//! tables of social-work phrases, half in Traditional and half in Simplified characters, with
//! some English) and times a mix of Traditional, Simplified and English queries.
//!
//! ```text
//! cargo bench -p shegong-search --bench knowledge                                   # 100,000 documents
//! SHEGONG_BENCH_DOCS=10000 cargo bench -p shegong-search --bench knowledge          # fewer
//! cargo bench -p shegong-search --bench knowledge --profile dev                     # a debug build
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shegong_domain::ids::{OrgId, SolutionId};
use shegong_domain::ports::KnowledgeDoc;
use shegong_search::KnowledgeSearch;
use std::time::{Duration, Instant};

const PHRASES: &[(&str, &str, &str)] = &[
    ("獨居長者", "独居老人", "elderly living alone"),
    ("照顧者壓力", "照顾者压力", "carer stress"),
    ("創傷知情照顧", "创伤知情照护", "trauma-informed care"),
    ("抗逆力", "抗逆力", "resilience"),
    ("青少年輔導", "青少年辅导", "youth counselling"),
    ("家庭衝突", "家庭冲突", "family conflict"),
    ("失業支援", "失业支援", "employment support"),
    ("社區互助網絡", "社区互助网络", "mutual aid network"),
    ("精神復元", "精神康复", "mental health recovery"),
    ("新來港人士", "新来港人士", "new arrivals"),
    ("颱風後重建", "台风后重建", "recovery after a typhoon"),
    ("疫情隔離", "疫情隔离", "quarantine in an epidemic"),
    ("火災安置", "火灾安置", "rehousing after a fire"),
    ("電話關懷", "电话关怀", "telephone befriending"),
    ("朋輩支援", "朋辈支持", "peer support"),
    ("小組工作", "小组工作", "group work"),
    ("個案管理", "个案管理", "case management"),
    ("情緒管理", "情绪管理", "emotion regulation"),
    ("經濟援助", "经济援助", "financial assistance"),
    ("認知障礙症", "认知障碍症", "dementia"),
];

const FILLERS: &[(&str, &str)] =
    &[("服務", "服务"), ("計劃", "计划"), ("居民", "居民"), ("提供", "提供"), ("跟進", "跟进"), ("評估", "评估")];

struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn doc(rng: &mut Rng, org: OrgId) -> KnowledgeDoc {
    let hant = rng.next(2) == 0;
    let pick = |rng: &mut Rng| {
        let p = PHRASES[rng.next(PHRASES.len())];
        if hant {
            p.0
        } else {
            p.1
        }
    };
    let title = format!("{}{}", pick(rng), pick(rng));
    let mut text = String::new();
    for _ in 0..12 {
        text.push_str(pick(rng));
        let f = FILLERS[rng.next(FILLERS.len())];
        text.push_str(if hant { f.0 } else { f.1 });
        if rng.next(4) == 0 {
            text.push(' ');
            text.push_str(PHRASES[rng.next(PHRASES.len())].2);
            text.push(' ');
        }
    }
    KnowledgeDoc { id: SolutionId::new(), org_id: org, title, text }
}

fn main() {
    let n: usize = std::env::var("SHEGONG_BENCH_DOCS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let idx = KnowledgeSearch::in_memory().unwrap();
    let org = OrgId::new();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for _ in 0..n {
        batch.push(doc(&mut rng, org));
        if batch.len() == 10_000 {
            idx.upsert_docs(&batch).unwrap();
            batch.clear();
        }
    }
    idx.upsert_docs(&batch).unwrap();
    println!("indexed {} documents in {:.1} s", idx.num_docs(), started.elapsed().as_secs_f64());
    let queries = [
        "創傷知情照顧",
        "创伤知情",
        "独居长者 电话关怀",
        "抗逆力",
        "照顧者壓力 認知障礙症",
        "dementia carer stress",
        "trauma-informed care",
        "台风 火灾 安置",
        "peer support group work",
        "失業",
    ];
    let mut times: Vec<Duration> = Vec::new();
    for round in 0..5 {
        for q in queries {
            let t = Instant::now();
            let hits = idx.find(org, q, 10).unwrap();
            let e = t.elapsed();
            assert!(!hits.is_empty(), "{q} finds nothing");
            if round > 0 {
                times.push(e);
            }
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} queries over {} documents: median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        times.len(),
        n,
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        ms(times[times.len() - 1])
    );
}
