//! The three UI languages.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, Default)]
pub enum Locale {
    #[serde(rename = "en")]
    En,
    #[default]
    #[serde(rename = "zh-Hant-HK")]
    ZhHantHk,
    #[serde(rename = "zh-Hans-CN")]
    ZhHansCn,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::ZhHantHk, Locale::ZhHansCn, Locale::En];

    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhHantHk => "zh-Hant-HK",
            Locale::ZhHansCn => "zh-Hans-CN",
        }
    }

    /// The language's own name, shown in the language switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::ZhHantHk => "繁體中文",
            Locale::ZhHansCn => "简体中文",
        }
    }

    /// Picks the best of our locales for an `Accept-Language` header.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for part in accept_language.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let loc = if tag.starts_with("en") {
                Some(Locale::En)
            } else if tag.starts_with("zh-hans") || tag == "zh-cn" || tag == "zh-sg" || tag == "zh" {
                Some(Locale::ZhHansCn)
            } else if tag.starts_with("zh") {
                Some(Locale::ZhHantHk)
            } else {
                None
            };
            if let Some(l) = loc {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    /// Picks the name in this locale from a trilingual set, falling back to any non-empty one.
    pub fn pick<'a>(self, en: &'a str, hant: &'a str, hans: &'a str) -> &'a str {
        let order = match self {
            Locale::En => [en, hant, hans],
            Locale::ZhHantHk => [hant, hans, en],
            Locale::ZhHansCn => [hans, hant, en],
        };
        order.into_iter().find(|s| !s.is_empty()).unwrap_or("")
    }
}

impl FromStr for Locale {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Locale::ALL.into_iter().find(|l| l.tag().eq_ignore_ascii_case(s)).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_chinese_variants() {
        assert_eq!(Locale::negotiate("zh-TW,zh;q=0.9"), Some(Locale::ZhHantHk));
        assert_eq!(Locale::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Some(Locale::ZhHansCn));
        assert_eq!(Locale::negotiate("fr-FR, en-GB;q=0.5"), Some(Locale::En));
        assert_eq!(Locale::negotiate("de"), None);
        assert_eq!(Locale::negotiate("en;q=0.2, zh-HK;q=0.9"), Some(Locale::ZhHantHk));
    }

    #[test]
    fn tags_round_trip() {
        for l in Locale::ALL {
            assert_eq!(l.tag().parse::<Locale>(), Ok(l));
        }
    }

    #[test]
    fn pick_falls_back_to_a_filled_name() {
        assert_eq!(Locale::En.pick("", "灣仔中心", ""), "灣仔中心");
        assert_eq!(Locale::ZhHansCn.pick("Wan Chai", "灣仔", "湾仔"), "湾仔");
    }
}
