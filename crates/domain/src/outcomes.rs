//! Outcome measurement: scales held as data (items in three languages, response options,
//! reversed items, the scoring rule, bands, subscales, norms for the reliable change index, the
//! source and the licence), administrations to a client at a time point of a case or a group,
//! each client's change with its reliable change index (Jacobson & Truax 1991), and programme
//! outcomes: paired pre/post change with Cohen's d and n, by client category.
//!
//! The scales shipped here are free to use; their sources are cited in docs/SCALES.md.
//! Licensed scales (CD-RISC, Zarit) are never shipped: an agency loads them as data.

use crate::clients::code_enum;
use crate::error::{is_code, FieldError, Result, Validator};
use crate::ids::{ActivityId, AdministrationId, CaseId, ClientId, OrgId, UnitId};
use crate::locale::Locale;
use crate::DomainError;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// A text in the three languages (blank ones fall back to another language).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Text3 {
    #[serde(default)]
    pub en: String,
    #[serde(default)]
    pub zh_hant: String,
    #[serde(default)]
    pub zh_hans: String,
}

impl Text3 {
    pub fn new(en: &str, zh_hant: &str, zh_hans: &str) -> Self {
        Self { en: en.into(), zh_hant: zh_hant.into(), zh_hans: zh_hans.into() }
    }

    pub fn get(&self, l: Locale) -> &str {
        l.pick(&self.en, &self.zh_hant, &self.zh_hans)
    }

    fn is_blank(&self) -> bool {
        self.en.trim().is_empty() && self.zh_hant.trim().is_empty() && self.zh_hans.trim().is_empty()
    }
}

code_enum!(
    /// How item values become the score: their sum or their mean (times `multiplier`).
    Method { Sum = "sum", Mean = "mean" }
);

code_enum!(
    /// When in a case or group the scale was given.
    TimePoint { Pre = "pre", Mid = "mid", Post = "post" }
);

code_enum!(
    /// On paper (entered later by a worker) or on a tablet by the client.
    Mode { Paper = "paper", Tablet = "tablet" }
);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleItem {
    pub text: Text3,
    /// Scored the other way round: value becomes (lowest + highest − value).
    #[serde(default)]
    pub reversed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseOption {
    pub value: i32,
    pub label: Text3,
}

/// A band of scores (a cut-off): scores up to `max` (inclusive, or below it when
/// `max_inclusive` is false) that are above the previous band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ScaleBand)]
pub struct Band {
    pub code: String,
    pub max: f64,
    #[serde(default = "yes")]
    pub max_inclusive: bool,
    pub label: Text3,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscale {
    pub code: String,
    pub name: Text3,
    /// Item numbers, from 1.
    pub items: Vec<usize>,
}

/// What the reliable change index needs: the standard deviation of the scale's scores and its
/// reliability, with where they come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Norms {
    /// Standard deviation of scores (at pre-test, or of a normative sample); None: the standard
    /// deviation of the agency's own pre-test scores is used.
    #[serde(default)]
    pub sd: Option<f64>,
    /// Cronbach's α or a test-retest correlation.
    pub reliability: f64,
    /// `alpha` or `test_retest`.
    pub reliability_kind: String,
    pub source: String,
}

/// A measurement instrument, as data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// `a-z 0-9 _`; shipped scales: `brs`, `who5`, `k6`, `k10`, `ucla3`.
    pub code: String,
    pub name: Text3,
    pub instructions: Text3,
    pub items: Vec<ScaleItem>,
    pub options: Vec<ResponseOption>,
    pub method: Method,
    /// The result of `method` is multiplied by this (WHO-5: 4, giving 0–100).
    #[serde(default = "one")]
    pub multiplier: f64,
    #[serde(default)]
    pub bands: Vec<Band>,
    #[serde(default)]
    pub subscales: Vec<Subscale>,
    pub higher_is_better: bool,
    #[serde(default)]
    pub norms: Option<Norms>,
    /// A change of at least this many points counts as clinically meaningful (WHO-5: 10).
    #[serde(default)]
    pub meaningful_change: Option<f64>,
    /// The published source, cited.
    pub source: String,
    pub licence: String,
    /// Which translations are the published validated ones and which are the agency's own.
    #[serde(default)]
    pub translation_note: String,
    /// Shipped with shegong (read-only) rather than loaded by the agency.
    #[serde(default)]
    pub builtin: bool,
}

fn one() -> f64 {
    1.0
}

/// A scale's score of one set of answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Scored {
    pub score: f64,
    /// The band code (empty when the scale has no bands).
    pub band: String,
    /// Subscale code → score.
    pub subscales: BTreeMap<String, f64>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Scale {
    fn range(&self) -> (i32, i32) {
        let lo = self.options.iter().map(|o| o.value).min().unwrap_or(0);
        let hi = self.options.iter().map(|o| o.value).max().unwrap_or(0);
        (lo, hi)
    }

    fn combine(&self, values: &[f64], multiplier: f64) -> f64 {
        let sum: f64 = values.iter().sum();
        let raw = match self.method {
            Method::Sum => sum,
            Method::Mean if values.is_empty() => 0.0,
            Method::Mean => sum / values.len() as f64,
        };
        round2(raw * multiplier)
    }

    /// The band a score falls in.
    pub fn band_of(&self, score: f64) -> Option<&Band> {
        self.bands.iter().find(|b| if b.max_inclusive { score <= b.max + 1e-9 } else { score < b.max - 1e-9 })
    }

    /// Checks the answers (one per item, each a value of the options) and scores them.
    pub fn score(&self, answers: &[i32]) -> Result<Scored> {
        let mut v = Validator::new();
        if answers.len() != self.items.len() {
            v.push(FieldError::new("answers", "answer-count").with("count", self.items.len()));
        }
        for (i, a) in answers.iter().enumerate() {
            if !self.options.iter().any(|o| o.value == *a) {
                v.push(FieldError::new(format!("answers[{i}]"), "invalid-choice"));
            }
        }
        v.finish()?;
        let (lo, hi) = self.range();
        let scored: Vec<f64> =
            answers.iter().zip(&self.items).map(|(a, item)| f64::from(if item.reversed { lo + hi - a } else { *a })).collect();
        let score = self.combine(&scored, self.multiplier);
        let subscales = self
            .subscales
            .iter()
            .map(|s| {
                let vals: Vec<f64> = s.items.iter().filter_map(|n| n.checked_sub(1).and_then(|i| scored.get(i)).copied()).collect();
                (s.code.clone(), self.combine(&vals, 1.0))
            })
            .collect();
        let band = self.band_of(score).map(|b| b.code.clone()).unwrap_or_default();
        Ok(Scored { score, band, subscales })
    }

    /// The lowest and highest possible scores.
    pub fn score_range(&self) -> (f64, f64) {
        let (lo, hi) = self.range();
        let n = self.items.len();
        (self.combine(&vec![f64::from(lo); n], self.multiplier), self.combine(&vec![f64::from(hi); n], self.multiplier))
    }
}

/// The largest value a response option may carry (scores stay far from overflow).
const OPTION_LIMIT: i32 = 1000;

/// Checks a scale an agency loads: code, names, at least one item and two options, a known
/// rule, bands in ascending order, subscale items that exist, norms in range.
pub fn validate_scale(s: &Scale) -> Result<Scale> {
    let mut v = Validator::new();
    let code = s.code.trim().to_string();
    if !is_code(&code) {
        v.push(FieldError::new("code", "code-chars"));
    }
    if s.name.is_blank() {
        v.push(FieldError::new("name", "required"));
    }
    if s.items.is_empty() || s.items.len() > 200 {
        v.push(FieldError::new("items", "out-of-range").with("min", 1).with("max", 200));
    }
    for (i, item) in s.items.iter().enumerate() {
        if item.text.is_blank() {
            v.push(FieldError::new(format!("items[{i}].text"), "required"));
        }
    }
    let values: BTreeSet<i32> = s.options.iter().map(|o| o.value).collect();
    if s.options.len() < 2 || values.len() != s.options.len() {
        v.push(FieldError::new("options", "options-distinct"));
    }
    for (i, o) in s.options.iter().enumerate() {
        if !(-OPTION_LIMIT..=OPTION_LIMIT).contains(&o.value) {
            v.push(FieldError::new(format!("options[{i}].value"), "out-of-range").with("min", -OPTION_LIMIT).with("max", OPTION_LIMIT));
        }
    }
    if !(s.multiplier.is_finite() && s.multiplier > 0.0 && s.multiplier <= 1000.0) {
        v.push(FieldError::new("multiplier", "out-of-range").with("min", 0).with("max", 1000));
    }
    let mut last = f64::NEG_INFINITY;
    let mut codes = BTreeSet::new();
    for (i, b) in s.bands.iter().enumerate() {
        if !b.max.is_finite() || b.max <= last {
            v.push(FieldError::new(format!("bands[{i}].max"), "bands-ascending"));
        }
        last = b.max;
        v.list_code(&format!("bands[{i}].code"), &b.code, &mut codes);
    }
    let mut codes = BTreeSet::new();
    for (i, sub) in s.subscales.iter().enumerate() {
        v.list_code(&format!("subscales[{i}].code"), &sub.code, &mut codes);
        if sub.items.is_empty() || sub.items.iter().any(|n| *n == 0 || *n > s.items.len()) {
            v.push(FieldError::new(format!("subscales[{i}].items"), "invalid-choice"));
        }
    }
    if let Some(n) = &s.norms {
        if !(n.reliability > 0.0 && n.reliability < 1.0) {
            v.push(FieldError::new("norms.reliability", "out-of-range").with("min", 0).with("max", 1));
        }
        if n.sd.is_some_and(|sd| !(sd.is_finite() && sd > 0.0)) {
            v.push(FieldError::new("norms.sd", "out-of-range").with("min", 0).with("max", 1000));
        }
    }
    v.text("source", &s.source, true, 2000);
    v.text("licence", &s.licence, true, 500);
    v.finish()?;
    let mut out = s.clone();
    out.code = code;
    out.builtin = false;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The scales shipped

fn t(en: &str, zh_hant: &str, zh_hans: &str) -> Text3 {
    Text3::new(en, zh_hant, zh_hans)
}

fn item(en: &str, zh_hant: &str, zh_hans: &str, reversed: bool) -> ScaleItem {
    ScaleItem { text: t(en, zh_hant, zh_hans), reversed }
}

fn opt(value: i32, en: &str, zh_hant: &str, zh_hans: &str) -> ResponseOption {
    ResponseOption { value, label: t(en, zh_hant, zh_hans) }
}

fn band(code: &str, max: f64, max_inclusive: bool, en: &str, zh_hant: &str, zh_hans: &str) -> Band {
    Band { code: code.into(), max, max_inclusive, label: t(en, zh_hant, zh_hans) }
}

const OUR_TRANSLATION: &str = "English items are the published wording. The Chinese texts are the agency-neutral translations \
shipped with shegong, not a published validated translation: load a validated translation as an agency scale where one is required.";

/// Brief Resilience Scale (Smith et al. 2008).
pub fn brief_resilience_scale() -> Scale {
    Scale {
        code: "brs".into(),
        name: t("Brief Resilience Scale (BRS)", "簡短抗逆力量表 (BRS)", "简短抗逆力量表 (BRS)"),
        instructions: t(
            "Please indicate the extent to which you agree with each of the following statements.",
            "請表示你對以下每一句說話的同意程度。",
            "请表示你对以下每一句话的同意程度。",
        ),
        items: vec![
            item(
                "I tend to bounce back quickly after hard times.",
                "經歷艱難時刻後，我往往能很快恢復過來。",
                "经历艰难时刻后，我往往能很快恢复过来。",
                false,
            ),
            item(
                "I have a hard time making it through stressful events.",
                "我很難熬過充滿壓力的事件。",
                "我很难熬过充满压力的事件。",
                true,
            ),
            item(
                "It does not take me long to recover from a stressful event.",
                "我不需要很長時間就能從壓力事件中恢復過來。",
                "我不需要很长时间就能从压力事件中恢复过来。",
                false,
            ),
            item(
                "It is hard for me to snap back when something bad happens.",
                "當壞事發生時，我很難重新振作起來。",
                "当坏事发生时，我很难重新振作起来。",
                true,
            ),
            item(
                "I usually come through difficult times with little trouble.",
                "我通常能不太費力地度過困難時期。",
                "我通常能不太费力地度过困难时期。",
                false,
            ),
            item(
                "I tend to take a long time to get over set-backs in my life.",
                "我往往需要很長時間才能走出生活中的挫折。",
                "我往往需要很长时间才能走出生活中的挫折。",
                true,
            ),
        ],
        options: vec![
            opt(1, "Strongly disagree", "非常不同意", "非常不同意"),
            opt(2, "Disagree", "不同意", "不同意"),
            opt(3, "Neutral", "中立", "中立"),
            opt(4, "Agree", "同意", "同意"),
            opt(5, "Strongly agree", "非常同意", "非常同意"),
        ],
        method: Method::Mean,
        multiplier: 1.0,
        bands: vec![
            band("low", 3.0, false, "Low resilience", "低抗逆力", "低抗逆力"),
            band("normal", 4.30, true, "Normal resilience", "一般抗逆力", "一般抗逆力"),
            band("high", 5.0, true, "High resilience", "高抗逆力", "高抗逆力"),
        ],
        subscales: vec![],
        higher_is_better: true,
        norms: Some(Norms {
            sd: Some(0.68),
            reliability: 0.84,
            reliability_kind: "alpha".into(),
            source: "Smith et al. (2008), sample 1 (undergraduates): SD 0.68, Cronbach's α 0.84".into(),
        }),
        meaningful_change: None,
        source: "Smith, B. W., Dalen, J., Wiggins, K., Tooley, E., Christopher, P., & Bernard, J. (2008). The brief resilience scale: \
Assessing the ability to bounce back. International Journal of Behavioral Medicine, 15(3), 194–200. doi:10.1080/10705500802222972"
            .into(),
        licence: "Free to use for research and practice with citation of the source.".into(),
        translation_note: OUR_TRANSLATION.into(),
        builtin: true,
    }
}

/// WHO-5 Well-Being Index (WHO 1998 version).
pub fn who5() -> Scale {
    Scale {
        code: "who5".into(),
        name: t("WHO-5 Well-Being Index", "世界衞生組織五項身心健康指標 (WHO-5)", "世界卫生组织五项身心健康指标 (WHO-5)"),
        instructions: t(
            "Please indicate for each of the five statements which is closest to how you have been feeling over the last two weeks.",
            "請就以下五句說話，選出最接近你過去兩星期感受的答案。",
            "请就以下五句话，选出最接近你过去两周感受的答案。",
        ),
        items: vec![
            item("I have felt cheerful and in good spirits", "我感到快樂和心情舒暢", "我感到快乐和心情舒畅", false),
            item("I have felt calm and relaxed", "我感到平靜和放鬆", "我感到平静和放松", false),
            item("I have felt active and vigorous", "我感到活躍和精力充沛", "我感到活跃和精力充沛", false),
            item("I woke up feeling fresh and rested", "我醒來時感到清新和休息充足", "我醒来时感到清新和休息充足", false),
            item(
                "My daily life has been filled with things that interest me",
                "我的日常生活充滿令我感興趣的事",
                "我的日常生活充满令我感兴趣的事",
                false,
            ),
        ],
        options: vec![
            opt(5, "All of the time", "所有時間", "所有时间"),
            opt(4, "Most of the time", "大部分時間", "大部分时间"),
            opt(3, "More than half of the time", "一半以上時間", "一半以上时间"),
            opt(2, "Less than half of the time", "少於一半時間", "少于一半时间"),
            opt(1, "Some of the time", "有些時候", "有些时候"),
            opt(0, "At no time", "從來沒有", "从来没有"),
        ],
        method: Method::Sum,
        multiplier: 4.0,
        bands: vec![
            band(
                "likely_depression",
                28.0,
                true,
                "Likely depression: assess further",
                "可能有抑鬱：需進一步評估",
                "可能有抑郁：需进一步评估",
            ),
            band("poor", 50.0, true, "Poor wellbeing", "身心健康欠佳", "身心健康欠佳"),
            band("adequate", 100.0, true, "Adequate wellbeing", "身心健康尚可", "身心健康尚可"),
        ],
        subscales: vec![],
        higher_is_better: true,
        norms: None,
        meaningful_change: Some(10.0),
        source: "World Health Organization Regional Office for Europe (1998). Wellbeing Measures in Primary Health Care: The DepCare \
Project. Copenhagen: WHO. Topp, C. W., Østergaard, S. D., Søndergaard, S., & Bech, P. (2015). The WHO-5 Well-Being Index: A \
systematic review of the literature. Psychotherapy and Psychosomatics, 84(3), 167–176. doi:10.1159/000376585"
            .into(),
        licence: "Free to use without permission; cite the source.".into(),
        translation_note: OUR_TRANSLATION.into(),
        builtin: true,
    }
}

const KESSLER_SOURCE: &str = "Kessler, R. C., Andrews, G., Colpe, L. J., Hiripi, E., Mroczek, D. K., Normand, S.-L. T., Walters, E. E., \
& Zaslavsky, A. M. (2002). Short screening scales to monitor population prevalences and trends in non-specific psychological distress. \
Psychological Medicine, 32(6), 959–976. doi:10.1017/S0033291702006074";

fn kessler_items(k6: bool) -> Vec<ScaleItem> {
    let all = [
        ("tired out for no good reason?", "無緣無故感到疲倦？", "无缘无故感到疲倦？", false),
        ("nervous?", "緊張？", "紧张？", true),
        ("so nervous that nothing could calm you down?", "緊張得無論甚麼都不能令你平靜下來？", "紧张得无论什么都不能令你平静下来？", false),
        ("hopeless?", "絕望？", "绝望？", true),
        ("restless or fidgety?", "坐立不安或煩躁？", "坐立不安或烦躁？", true),
        ("so restless you could not sit still?", "煩躁得無法安坐？", "烦躁得无法安坐？", false),
        ("depressed?", "抑鬱？", "抑郁？", false),
        ("that everything was an effort?", "做每件事都很費力？", "做每件事都很费力？", true),
        ("so sad that nothing could cheer you up?", "傷心得無論甚麼都不能令你開心起來？", "伤心得无论什么都不能令你开心起来？", false),
        ("worthless?", "自己一文不值？", "自己一文不值？", true),
    ];
    let mut items: Vec<ScaleItem> = all
        .iter()
        .filter(|(_, _, _, in_k6)| !k6 || *in_k6)
        .map(|(en, hant, hans, _)| item(&format!("… {en}"), &format!("……{hant}"), &format!("……{hans}"), false))
        .collect();
    if k6 {
        // The K6 asks "so depressed that nothing could cheer you up" in the fourth place.
        items.insert(
            3,
            item(
                "… so depressed that nothing could cheer you up?",
                "……抑鬱得無論甚麼都不能令你開心起來？",
                "……抑郁得无论什么都不能令你开心起来？",
                false,
            ),
        );
    }
    items
}

fn kessler_options(low: i32) -> Vec<ResponseOption> {
    vec![
        opt(low, "None of the time", "從來沒有", "从来没有"),
        opt(low + 1, "A little of the time", "很少時間", "很少时间"),
        opt(low + 2, "Some of the time", "有些時間", "有些时间"),
        opt(low + 3, "Most of the time", "大部分時間", "大部分时间"),
        opt(low + 4, "All of the time", "所有時間", "所有时间"),
    ]
}

/// Kessler Psychological Distress Scale, 10 items, scored 1–5 each (10–50).
pub fn k10() -> Scale {
    Scale {
        code: "k10".into(),
        name: t("Kessler Psychological Distress Scale (K10)", "凱斯勒心理困擾量表 (K10)", "凯斯勒心理困扰量表 (K10)"),
        instructions: t(
            "During the last 30 days, about how often did you feel …",
            "在過去 30 日內，你有多經常感到……",
            "在过去 30 天内，你有多经常感到……",
        ),
        items: kessler_items(false),
        options: kessler_options(1),
        method: Method::Sum,
        multiplier: 1.0,
        bands: vec![
            band("low", 15.0, true, "Low distress", "低度困擾", "低度困扰"),
            band("moderate", 21.0, true, "Moderate distress", "中度困擾", "中度困扰"),
            band("high", 29.0, true, "High distress", "高度困擾", "高度困扰"),
            band("very_high", 50.0, true, "Very high distress", "極高度困擾", "极高度困扰"),
        ],
        subscales: vec![],
        higher_is_better: false,
        norms: Some(Norms {
            sd: None,
            reliability: 0.93,
            reliability_kind: "alpha".into(),
            source: "Kessler et al. (2002): Cronbach's α 0.93 for the K10; SD from the agency's own pre-test scores".into(),
        }),
        meaningful_change: None,
        source: format!(
            "{KESSLER_SOURCE}. Bands: Andrews, G., & Slade, T. (2001). Interpreting scores on the Kessler Psychological Distress Scale \
(K10). Australian and New Zealand Journal of Public Health, 25(6), 494–497."
        ),
        licence: "Public domain (developed with US government funding); cite the source.".into(),
        translation_note: OUR_TRANSLATION.into(),
        builtin: true,
    }
}

/// Kessler 6, scored 0–4 each (0–24); 13 or more: serious psychological distress.
pub fn k6() -> Scale {
    Scale {
        code: "k6".into(),
        name: t("Kessler Psychological Distress Scale (K6)", "凱斯勒心理困擾量表 (K6)", "凯斯勒心理困扰量表 (K6)"),
        instructions: t(
            "During the past 30 days, about how often did you feel …",
            "在過去 30 日內，你有多經常感到……",
            "在过去 30 天内，你有多经常感到……",
        ),
        items: kessler_items(true),
        options: kessler_options(0),
        method: Method::Sum,
        multiplier: 1.0,
        bands: vec![
            band("no_serious_distress", 13.0, false, "No serious distress", "沒有嚴重心理困擾", "没有严重心理困扰"),
            band("serious_distress", 24.0, true, "Serious psychological distress", "嚴重心理困擾", "严重心理困扰"),
        ],
        subscales: vec![],
        higher_is_better: false,
        norms: Some(Norms {
            sd: None,
            reliability: 0.89,
            reliability_kind: "alpha".into(),
            source: "Kessler et al. (2002): Cronbach's α 0.89 for the K6; SD from the agency's own pre-test scores".into(),
        }),
        meaningful_change: None,
        source: format!(
            "{KESSLER_SOURCE}. Cut-off: Kessler, R. C., et al. (2003). Screening for serious mental illness in the general population. \
Archives of General Psychiatry, 60(2), 184–189."
        ),
        licence: "Public domain (developed with US government funding); cite the source.".into(),
        translation_note: OUR_TRANSLATION.into(),
        builtin: true,
    }
}

/// Three-item loneliness scale from the UCLA Loneliness Scale (Hughes et al. 2004), 3–9.
pub fn ucla3() -> Scale {
    Scale {
        code: "ucla3".into(),
        name: t("UCLA 3-item Loneliness Scale", "UCLA 三題孤獨感量表", "UCLA 三题孤独感量表"),
        instructions: t(
            "The next questions are about how you feel about different aspects of your life.",
            "以下問題是關於你對生活不同方面的感受。",
            "以下问题是关于你对生活不同方面的感受。",
        ),
        items: vec![
            item("How often do you feel that you lack companionship?", "你有多經常覺得缺少人陪伴？", "你有多经常觉得缺少人陪伴？", false),
            item("How often do you feel left out?", "你有多經常覺得被冷落？", "你有多经常觉得被冷落？", false),
            item("How often do you feel isolated from others?", "你有多經常覺得與他人隔絕？", "你有多经常觉得与他人隔绝？", false),
        ],
        options: vec![
            opt(1, "Hardly ever", "幾乎從不", "几乎从不"),
            opt(2, "Some of the time", "有時", "有时"),
            opt(3, "Often", "經常", "经常"),
        ],
        method: Method::Sum,
        multiplier: 1.0,
        bands: vec![
            band("not_lonely", 5.0, true, "Not lonely", "不感孤獨", "不感孤独"),
            band("lonely", 9.0, true, "Lonely", "感到孤獨", "感到孤独"),
        ],
        subscales: vec![],
        higher_is_better: false,
        norms: Some(Norms {
            sd: None,
            reliability: 0.72,
            reliability_kind: "alpha".into(),
            source: "Hughes et al. (2004): Cronbach's α 0.72; SD from the agency's own pre-test scores".into(),
        }),
        meaningful_change: None,
        source: "Hughes, M. E., Waite, L. J., Hawkley, L. C., & Cacioppo, J. T. (2004). A short scale for measuring loneliness in \
large surveys: Results from two population-based studies. Research on Aging, 26(6), 655–672. doi:10.1177/0164027504268574. Cut-off \
6+: Steptoe, A., Shankar, A., Demakakos, P., & Wardle, J. (2013). PNAS, 110(15), 5797–5801."
            .into(),
        licence: "Widely used without a fee; cite the source.".into(),
        translation_note: OUR_TRANSLATION.into(),
        builtin: true,
    }
}

/// Every scale shipped with shegong.
pub fn builtin_scales() -> Vec<Scale> {
    vec![brief_resilience_scale(), who5(), k6(), k10(), ucla3()]
}

/// Codes agencies may not use for their own scales.
pub fn is_builtin(code: &str) -> bool {
    builtin_scales().iter().any(|s| s.code == code)
}

// ---------------------------------------------------------------------------------------------
// Administrations

/// One administration with its score.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Administration {
    pub id: AdministrationId,
    pub org_id: OrgId,
    pub unit_id: UnitId,
    pub client_id: ClientId,
    pub scale: String,
    pub case_id: Option<CaseId>,
    pub activity_id: Option<ActivityId>,
    /// The intervention used (an agency code, e.g. `trauma_informed_care`), for programme outcomes.
    pub intervention: String,
    pub time_point: TimePoint,
    pub mode: Mode,
    /// The day the scale was answered (on paper: the date written on it).
    pub administered_on: NaiveDate,
    pub answers: Vec<i32>,
    pub score: f64,
    pub band: String,
    pub subscales: BTreeMap<String, f64>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdministrationInput {
    pub client_id: Option<ClientId>,
    #[serde(default)]
    pub scale: String,
    #[serde(default)]
    pub case_id: Option<CaseId>,
    #[serde(default)]
    pub activity_id: Option<ActivityId>,
    #[serde(default)]
    pub intervention: String,
    /// `pre`, `mid` or `post`.
    #[serde(default)]
    pub time_point: String,
    /// `paper` (default) or `tablet`.
    #[serde(default)]
    pub mode: String,
    /// Today when blank.
    #[serde(default)]
    pub administered_on: Option<NaiveDate>,
    /// One value per item, in item order.
    #[serde(default)]
    pub answers: Vec<i32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AdministrationFields {
    pub client_id: ClientId,
    pub scale: String,
    pub case_id: Option<CaseId>,
    pub activity_id: Option<ActivityId>,
    pub intervention: String,
    pub time_point: TimePoint,
    pub mode: Mode,
    pub administered_on: NaiveDate,
    pub answers: Vec<i32>,
    pub scored: Scored,
}

impl AdministrationInput {
    /// Checks the input against its scale; `today` bounds the date (no future answers).
    pub fn validate(&self, scale: Option<&Scale>, today: NaiveDate) -> Result<AdministrationFields> {
        let mut v = Validator::new();
        if self.client_id.is_none() {
            v.push(FieldError::new("client_id", "required"));
        }
        if scale.is_none() {
            v.push(FieldError::new("scale", if self.scale.trim().is_empty() { "required" } else { "invalid-choice" }));
        }
        let time_point = TimePoint::parse(self.time_point.trim());
        if time_point.is_none() {
            v.push(FieldError::new("time_point", if self.time_point.trim().is_empty() { "required" } else { "invalid-choice" }));
        }
        let mode = if self.mode.trim().is_empty() { Some(Mode::Paper) } else { Mode::parse(self.mode.trim()) };
        if mode.is_none() {
            v.push(FieldError::new("mode", "invalid-choice"));
        }
        let on = self.administered_on.unwrap_or(today);
        if on > today {
            v.push(FieldError::new("administered_on", "in-future"));
        }
        let intervention = self.intervention.trim().to_string();
        if !intervention.is_empty() && !is_code(&intervention) {
            v.push(FieldError::new("intervention", "code-chars"));
        }
        let scored = match scale.map(|s| s.score(&self.answers)) {
            Some(Ok(s)) => Some(s),
            Some(Err(DomainError::Invalid(errs))) => {
                errs.into_iter().for_each(|e| v.push(e));
                None
            }
            Some(Err(e)) => return Err(e),
            None => None,
        };
        v.finish()?;
        let (Some(client_id), Some(scale), Some(time_point), Some(mode), Some(scored)) = (self.client_id, scale, time_point, mode, scored)
        else {
            return Err(DomainError::invalid("answers", "required"));
        };
        Ok(AdministrationFields {
            client_id,
            scale: scale.code.clone(),
            case_id: self.case_id,
            activity_id: self.activity_id,
            intervention,
            time_point,
            mode,
            administered_on: on,
            answers: self.answers.clone(),
            scored,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Change

/// Jacobson & Truax (1991): RCI = (post − pre) / (SD · √2 · √(1 − r)).
pub fn reliable_change_index(pre: f64, post: f64, sd: f64, reliability: f64) -> Option<f64> {
    let se_diff = sd * std::f64::consts::SQRT_2 * (1.0 - reliability).sqrt();
    (se_diff.is_finite() && se_diff > 0.0).then(|| round2((post - pre) / se_diff))
}

/// Sample standard deviation (n − 1); None under two values.
pub fn sample_sd(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() as f64 - 1.0);
    Some(var.sqrt())
}

code_enum!(
    /// What a client's change means.
    ChangeVerdict {
        ReliablyImproved = "reliably_improved", ReliablyWorse = "reliably_worse", NoReliableChange = "no_reliable_change",
        MeaningfullyImproved = "meaningfully_improved", MeaningfullyWorse = "meaningfully_worse", NoMeaningfulChange = "no_meaningful_change",
        Unknown = "unknown",
    }
);

/// A client's change on one scale: first pre-test to last post-test (else the latest score).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClientChange {
    pub scale: String,
    pub pre: Option<f64>,
    pub pre_on: Option<NaiveDate>,
    pub post: Option<f64>,
    pub post_on: Option<NaiveDate>,
    pub change: Option<f64>,
    pub rci: Option<f64>,
    pub verdict: ChangeVerdict,
    /// The standard deviation used for the RCI, and whether it came from the scale's norms or
    /// from the agency's own pre-test scores.
    pub sd_used: Option<f64>,
    pub sd_from: String,
}

/// The change of one client on one scale; `own_pre_sd` is the SD of the agency's pre-test
/// scores on this scale (used when the scale stores no SD).
pub fn client_change(scale: &Scale, list: &[&Administration], own_pre_sd: Option<f64>) -> ClientChange {
    let mut sorted: Vec<&&Administration> = list.iter().collect();
    sorted.sort_by_key(|a| (a.administered_on, a.recorded_at));
    let pre = sorted.iter().find(|a| a.time_point == TimePoint::Pre);
    let post = sorted.iter().rev().find(|a| a.time_point == TimePoint::Post);
    let mut c = ClientChange {
        scale: scale.code.clone(),
        pre: pre.map(|a| a.score),
        pre_on: pre.map(|a| a.administered_on),
        post: post.map(|a| a.score),
        post_on: post.map(|a| a.administered_on),
        change: None,
        rci: None,
        verdict: ChangeVerdict::Unknown,
        sd_used: None,
        sd_from: String::new(),
    };
    let (Some(p), Some(q)) = (c.pre, c.post) else {
        return c;
    };
    let diff = round2(q - p);
    c.change = Some(diff);
    let better = |d: f64| if scale.higher_is_better { d > 0.0 } else { d < 0.0 };
    if let Some(n) = &scale.norms {
        let (sd, from) = match (n.sd, own_pre_sd) {
            (Some(sd), _) => (Some(sd), "norms"),
            (None, Some(sd)) => (Some(sd), "own_pre_scores"),
            (None, None) => (None, ""),
        };
        c.sd_used = sd.map(round2);
        c.sd_from = from.into();
        if let Some(rci) = sd.and_then(|sd| reliable_change_index(p, q, sd, n.reliability)) {
            c.rci = Some(rci);
            c.verdict = if rci.abs() <= 1.96 {
                ChangeVerdict::NoReliableChange
            } else if better(rci) {
                ChangeVerdict::ReliablyImproved
            } else {
                ChangeVerdict::ReliablyWorse
            };
            return c;
        }
    }
    if let Some(m) = scale.meaningful_change {
        c.verdict = if diff.abs() < m {
            ChangeVerdict::NoMeaningfulChange
        } else if better(diff) {
            ChangeVerdict::MeaningfullyImproved
        } else {
            ChangeVerdict::MeaningfullyWorse
        };
    }
    c
}

// ---------------------------------------------------------------------------------------------
// Programme outcomes

/// One pre/post pair of a client, for programme outcomes (no name).
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub client_id: ClientId,
    pub categories: Vec<String>,
    pub pre: f64,
    pub post: f64,
}

/// Pairs each client's first pre-test with their last post-test (of the administrations given,
/// already filtered to one scale and one group, intervention or unit).
pub fn pairs(list: &[Administration], categories: &BTreeMap<ClientId, Vec<String>>) -> Vec<Pair> {
    let mut by_client: BTreeMap<ClientId, Vec<&Administration>> = BTreeMap::new();
    for a in list {
        by_client.entry(a.client_id).or_default().push(a);
    }
    let mut out = Vec::new();
    for (client_id, mut xs) in by_client {
        xs.sort_by_key(|a| (a.administered_on, a.recorded_at));
        let pre = xs.iter().find(|a| a.time_point == TimePoint::Pre);
        let post = xs.iter().rev().find(|a| a.time_point == TimePoint::Post);
        if let (Some(pre), Some(post)) = (pre, post) {
            if post.administered_on >= pre.administered_on {
                out.push(Pair {
                    client_id,
                    categories: categories.get(&client_id).cloned().unwrap_or_default(),
                    pre: pre.score,
                    post: post.score,
                });
            }
        }
    }
    out
}

/// Pre/post figures of one group of clients.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct OutcomeRow {
    /// `all`, or a client category code.
    pub key: String,
    /// Clients with both a pre- and a post-test. None: fewer than five, hidden from a caller
    /// who may not see persons.
    pub n: Option<u64>,
    pub mean_pre: Option<f64>,
    pub mean_post: Option<f64>,
    pub mean_change: Option<f64>,
    /// Cohen's d for paired scores (d_z): mean change / SD of the changes.
    pub effect_size: Option<f64>,
    /// Share of clients whose change is in the better direction (0–1).
    pub improved_share: Option<f64>,
    pub suppressed: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ProgrammeOutcomes {
    pub scale: String,
    pub higher_is_better: bool,
    pub rows: Vec<OutcomeRow>,
    pub rules: String,
}

pub const OUTCOME_RULES: &str = "n = clients with a pre-test and a later post-test on the scale in the scope; each client's first \
pre-test is paired with their last post-test; change = post − pre; effect size = Cohen's d for paired scores (d_z = mean change / \
standard deviation of the changes, n − 1); a client counts in every category they hold; groups of fewer than five clients are \
hidden from callers who may not see persons.";

/// Smallest group shown to a caller who may not see persons (as the reports do).
pub const MIN_CELL: u64 = 5;

fn row(key: &str, ps: &[&Pair], higher_is_better: bool, suppress_small: bool) -> OutcomeRow {
    let n = ps.len() as u64;
    if n == 0 {
        return OutcomeRow { key: key.into(), n: Some(0), ..Default::default() };
    }
    if suppress_small && n < MIN_CELL {
        return OutcomeRow { key: key.into(), suppressed: true, ..Default::default() };
    }
    let nf = n as f64;
    let diffs: Vec<f64> = ps.iter().map(|p| p.post - p.pre).collect();
    let mean_change = diffs.iter().sum::<f64>() / nf;
    let effect_size = sample_sd(&diffs).filter(|sd| *sd > 0.0).map(|sd| round2(mean_change / sd));
    let improved = diffs.iter().filter(|d| if higher_is_better { **d > 0.0 } else { **d < 0.0 }).count() as f64;
    OutcomeRow {
        key: key.into(),
        n: Some(n),
        mean_pre: Some(round2(ps.iter().map(|p| p.pre).sum::<f64>() / nf)),
        mean_post: Some(round2(ps.iter().map(|p| p.post).sum::<f64>() / nf)),
        mean_change: Some(round2(mean_change)),
        effect_size,
        improved_share: Some(round2(improved / nf)),
        suppressed: false,
    }
}

/// Pre/post outcomes for all the pairs and by client category.
pub fn programme_outcomes(scale: &Scale, pairs: &[Pair], suppress_small: bool) -> ProgrammeOutcomes {
    let all: Vec<&Pair> = pairs.iter().collect();
    let mut rows = vec![row("all", &all, scale.higher_is_better, suppress_small)];
    let cats: BTreeSet<&String> = pairs.iter().flat_map(|p| p.categories.iter()).collect();
    for c in cats {
        let ps: Vec<&Pair> = pairs.iter().filter(|p| p.categories.contains(c)).collect();
        rows.push(row(c, &ps, scale.higher_is_better, suppress_small));
    }
    ProgrammeOutcomes { scale: scale.code.clone(), higher_is_better: scale.higher_is_better, rows, rules: OUTCOME_RULES.into() }
}

/// The language a client reads a scale in: Cantonese speakers Traditional, Putonghua speakers
/// Simplified, English speakers English; others the worker's language.
pub fn client_locale(lang: crate::clients::PreferredLanguage, fallback: Locale) -> Locale {
    use crate::clients::PreferredLanguage as P;
    match lang {
        P::Cantonese => Locale::ZhHantHk,
        P::Putonghua => Locale::ZhHansCn,
        P::English => Locale::En,
        _ => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(s: &Scale, a: &[i32]) -> (f64, String) {
        s.score(a).map(|r| (r.score, r.band)).unwrap_or((f64::NAN, "error".into()))
    }

    #[test]
    fn brs_reverses_items_2_4_6_and_takes_the_mean() {
        let s = brief_resilience_scale();
        // Agree with the positive items (4) and disagree with the negative ones (2 → 4): mean 4.
        assert_eq!(scored(&s, &[4, 2, 4, 2, 4, 2]), (4.0, "normal".into()));
        // Worked example: 3, 4, 2, 5, 2, 4 → 3, 2, 2, 1, 2, 2 → 12 / 6 = 2.00, low.
        assert_eq!(scored(&s, &[3, 4, 2, 5, 2, 4]), (2.0, "low".into()));
        // 5, 1, 5, 1, 5, 2 → 5, 5, 5, 5, 5, 4 → 29 / 6 = 4.83, high.
        assert_eq!(scored(&s, &[5, 1, 5, 1, 5, 2]), (4.83, "high".into()));
        // 3.00 is normal, not low; the range is 1–5.
        assert_eq!(scored(&s, &[3, 3, 3, 3, 3, 3]), (3.0, "normal".into()));
        assert_eq!(s.score_range(), (1.0, 5.0));
    }

    #[test]
    fn who5_multiplies_the_raw_score_by_four() {
        let s = who5();
        // Raw 3+3+2+2+3 = 13 → 52: above 50, adequate.
        assert_eq!(scored(&s, &[3, 3, 2, 2, 3]), (52.0, "adequate".into()));
        // Raw 12 → 48: poor wellbeing.
        assert_eq!(scored(&s, &[3, 3, 2, 2, 2]), (48.0, "poor".into()));
        // Raw 7 → 28: likely depression (28 or less).
        assert_eq!(scored(&s, &[2, 2, 1, 1, 1]), (28.0, "likely_depression".into()));
        assert_eq!(s.score_range(), (0.0, 100.0));
    }

    #[test]
    fn kessler_scales_sum_with_their_cut_offs() {
        let k10 = k10();
        assert_eq!(k10.items.len(), 10);
        assert_eq!(k10.score_range(), (10.0, 50.0));
        assert_eq!(scored(&k10, &[1; 10]), (10.0, "low".into()));
        assert_eq!(scored(&k10, &[2, 2, 2, 2, 2, 2, 2, 2, 1, 1]), (18.0, "moderate".into()));
        assert_eq!(scored(&k10, &[3, 3, 3, 3, 3, 3, 3, 3, 2, 2]), (28.0, "high".into()));
        assert_eq!(scored(&k10, &[3; 10]), (30.0, "very_high".into()));
        let k6 = k6();
        assert_eq!(k6.items.len(), 6);
        assert_eq!(k6.score_range(), (0.0, 24.0));
        assert_eq!(scored(&k6, &[2, 2, 2, 2, 2, 2]), (12.0, "no_serious_distress".into()));
        assert_eq!(scored(&k6, &[2, 2, 2, 2, 2, 3]), (13.0, "serious_distress".into()));
        assert!(k6.items[3].text.en.contains("so depressed"));
    }

    #[test]
    fn ucla3_sums_three_items() {
        let s = ucla3();
        assert_eq!(scored(&s, &[1, 2, 2]), (5.0, "not_lonely".into()));
        assert_eq!(scored(&s, &[2, 2, 2]), (6.0, "lonely".into()));
        assert_eq!(s.score_range(), (3.0, 9.0));
    }

    #[test]
    fn answers_must_match_the_items_and_options() {
        let s = ucla3();
        let Err(DomainError::Invalid(e)) = s.score(&[1, 4]) else { unreachable!("two answers of three") };
        let codes: Vec<(&str, &str)> = e.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(codes, [("answers", "answer-count"), ("answers[1]", "invalid-choice")]);
    }

    #[test]
    fn every_shipped_scale_is_valid_as_data() {
        for s in builtin_scales() {
            assert!(validate_scale(&s).is_ok(), "{}", s.code);
            assert!(!s.source.is_empty() && !s.licence.is_empty());
            for i in &s.items {
                assert!(!i.text.en.is_empty() && !i.text.zh_hant.is_empty() && !i.text.zh_hans.is_empty(), "{}", s.code);
            }
        }
    }

    #[test]
    fn an_agency_scale_with_subscales_scores_each() {
        let mut s = ucla3();
        s.code = "agency_scale".into();
        s.method = Method::Sum;
        s.subscales = vec![Subscale { code: "first_two".into(), name: t("First two", "", ""), items: vec![1, 2] }];
        let s = validate_scale(&s).unwrap_or_else(|_| ucla3());
        let r = s.score(&[3, 2, 1]).ok();
        assert_eq!(r.map(|r| r.subscales.get("first_two").copied()), Some(Some(5.0)));
        let mut bad = s.clone();
        bad.bands[1].max = 2.0;
        bad.subscales[0].items = vec![4];
        let Err(DomainError::Invalid(e)) = validate_scale(&bad) else { unreachable!("bad bands") };
        assert_eq!(e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["bands[1].max", "subscales[0].items"]);
    }

    #[test]
    fn reliable_change_follows_jacobson_and_truax() {
        // BRS: SD 0.68, α 0.84 → SE_diff = 0.68·√2·√0.16 = 0.3847; 2.50 → 3.50: RCI = 2.60.
        assert_eq!(reliable_change_index(2.5, 3.5, 0.68, 0.84), Some(2.6));
        assert_eq!(reliable_change_index(2.5, 3.0, 0.68, 0.84), Some(1.3));
        assert_eq!(reliable_change_index(1.0, 2.0, 0.0, 0.84), None);
    }

    fn adm(client: ClientId, tp: TimePoint, on: &str, score: f64) -> Administration {
        Administration {
            id: AdministrationId::new(),
            org_id: OrgId::new(),
            unit_id: UnitId::new(),
            client_id: client,
            scale: "brs".into(),
            case_id: None,
            activity_id: None,
            intervention: String::new(),
            time_point: tp,
            mode: Mode::Paper,
            administered_on: NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap_or_default(),
            answers: vec![],
            score,
            band: String::new(),
            subscales: BTreeMap::new(),
            recorded_by: String::new(),
            recorded_at: Utc::now(),
        }
    }

    #[test]
    fn a_clients_change_pairs_the_first_pre_with_the_last_post() {
        let c = ClientId::new();
        let list = [
            adm(c, TimePoint::Pre, "2026-01-05", 2.5),
            adm(c, TimePoint::Mid, "2026-02-05", 3.0),
            adm(c, TimePoint::Post, "2026-03-01", 3.2),
            adm(c, TimePoint::Post, "2026-03-05", 3.5),
        ];
        let refs: Vec<&Administration> = list.iter().collect();
        let ch = client_change(&brief_resilience_scale(), &refs, None);
        assert_eq!((ch.pre, ch.post, ch.change, ch.rci), (Some(2.5), Some(3.5), Some(1.0), Some(2.6)));
        assert_eq!(ch.verdict, ChangeVerdict::ReliablyImproved);
        // K10 (lower is better) with the agency's own pre-test SD: a fall is an improvement.
        let ch = client_change(&k10(), &refs, Some(0.5));
        assert_eq!(ch.sd_from, "own_pre_scores");
        assert_eq!(ch.verdict, ChangeVerdict::ReliablyWorse, "a higher K10 is more distress");
        // WHO-5 has no norms here: a 10-point change is the meaningful one.
        let list = [adm(c, TimePoint::Pre, "2026-01-05", 40.0), adm(c, TimePoint::Post, "2026-03-05", 48.0)];
        let refs: Vec<&Administration> = list.iter().collect();
        assert_eq!(client_change(&who5(), &refs, None).verdict, ChangeVerdict::NoMeaningfulChange);
    }

    #[test]
    fn programme_outcomes_give_the_paired_effect_size_by_category_and_hide_small_groups() {
        let s = brief_resilience_scale();
        let mut list = Vec::new();
        let mut cats = BTreeMap::new();
        // Six clients: changes 0.5, 1.0, 0.5, 1.0, 0.5, 1.0 → mean 0.75, SD 0.2739, d_z 2.74.
        for i in 0..6 {
            let c = ClientId::new();
            cats.insert(c, if i < 2 { vec!["elderly".to_string()] } else { vec!["carer".to_string()] });
            let post = if i % 2 == 0 { 3.0 } else { 3.5 };
            list.push(adm(c, TimePoint::Pre, "2026-01-05", 2.5));
            list.push(adm(c, TimePoint::Post, "2026-03-05", post));
        }
        // A client with a pre-test only is not paired.
        list.push(adm(ClientId::new(), TimePoint::Pre, "2026-01-05", 1.0));
        let ps = pairs(&list, &cats);
        assert_eq!(ps.len(), 6);
        let o = programme_outcomes(&s, &ps, false);
        let all = &o.rows[0];
        assert_eq!((all.n, all.mean_pre, all.mean_post, all.mean_change), (Some(6), Some(2.5), Some(3.25), Some(0.75)));
        assert_eq!(all.effect_size, Some(2.74));
        assert_eq!(all.improved_share, Some(1.0));
        let keys: Vec<(&str, Option<u64>)> = o.rows.iter().map(|r| (r.key.as_str(), r.n)).collect();
        assert_eq!(keys, [("all", Some(6)), ("carer", Some(4)), ("elderly", Some(2))]);
        let hidden = programme_outcomes(&s, &ps, true);
        assert!(hidden.rows[1].suppressed && hidden.rows[1].mean_change.is_none(), "fewer than five are hidden");
        assert_eq!(hidden.rows[0].n, Some(6));
    }

    #[test]
    fn an_administration_is_checked_against_its_scale() {
        let s = brief_resilience_scale();
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default();
        let i = AdministrationInput {
            client_id: Some(ClientId::new()),
            scale: "brs".into(),
            time_point: "later".into(),
            administered_on: NaiveDate::from_ymd_opt(2026, 3, 3),
            answers: vec![1, 2, 3],
            ..Default::default()
        };
        let Err(DomainError::Invalid(e)) = i.validate(Some(&s), today) else { unreachable!("bad input") };
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["time_point", "administered_on", "answers"]);
        let ok = AdministrationInput { time_point: "pre".into(), administered_on: None, answers: vec![4, 2, 4, 2, 4, 2], ..i };
        let f = ok.validate(Some(&s), today).ok();
        assert_eq!(f.map(|f| (f.scored.score, f.mode, f.administered_on)), Some((4.0, Mode::Paper, today)));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Any definition an agency sends is refused with field errors or accepted; an accepted
        /// one scores every valid set of answers within its own range, never panicking.
        #[test]
        fn loaded_scale_definitions_never_panic(
            n_items in 0usize..10,
            values in proptest::collection::vec(proptest::prelude::any::<i32>(), 0..6),
            reversed in proptest::collection::vec(proptest::prelude::any::<bool>(), 10),
            mean in proptest::prelude::any::<bool>(),
            multiplier in proptest::prelude::any::<f64>(),
            sub in proptest::collection::vec(0usize..12, 0..4),
            picks in proptest::collection::vec(0usize..6, 10),
        ) {
            let mut s = builtin_scales().into_iter().next().expect("a shipped scale");
            s.code = "agency_scale".into();
            s.items = (0..n_items).map(|i| item(&format!("Item {i}"), "項目", "项目", reversed[i])).collect();
            s.options = values.iter().map(|v| opt(*v, "x", "x", "x")).collect();
            s.method = if mean { Method::Mean } else { Method::Sum };
            s.multiplier = multiplier;
            s.bands = Vec::new();
            s.subscales = if sub.is_empty() {
                Vec::new()
            } else {
                vec![Subscale { code: "part".into(), name: t("Part", "部分", "部分"), items: sub }]
            };
            if let Ok(ok) = validate_scale(&s) {
                let answers: Vec<i32> = (0..n_items).map(|i| ok.options[picks[i] % ok.options.len()].value).collect();
                let scored = ok.score(&answers).expect("valid answers score");
                let (lo, hi) = ok.score_range();
                proptest::prop_assert!(scored.score >= lo - 0.01 && scored.score <= hi + 0.01, "{} not in {lo}..{hi}", scored.score);
            }
        }

        #[test]
        fn arbitrary_json_scale_definitions_never_panic(text in "[{}\\[\\]\":,a-z0-9 .-]{0,300}") {
            if let Ok(s) = serde_json::from_str::<Scale>(&text) {
                let _ = validate_scale(&s);
            }
        }
    }
}
