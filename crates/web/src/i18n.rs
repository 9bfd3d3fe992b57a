//! Translations (Fluent) and locale-aware formatting. The `.ftl` files are compiled into the
//! binary; a unit test fails when any key is missing from any locale.

use chrono::{DateTime, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};
use shegong_domain::locale::Locale;
use std::borrow::Cow;
use std::collections::HashMap;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Bidi isolation marks would show up as stray characters in form values and titles.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

fn langid(l: Locale) -> LanguageIdentifier {
    match l {
        Locale::En => unic_langid::langid!("en"),
        Locale::ZhHantHk => unic_langid::langid!("zh-Hant-HK"),
        Locale::ZhHansCn => unic_langid::langid!("zh-Hans-CN"),
    }
}

/// Translates `key`; a missing key shows as the key itself so it is easy to spot.
pub fn t(l: Locale, key: &str) -> String {
    LOCALES.try_lookup(&langid(l), key).unwrap_or_else(|| key.to_string())
}

/// Translates `key` with named arguments.
pub fn t_args(l: Locale, key: &str, args: &[(&str, String)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue> =
        args.iter().map(|(k, v)| (Cow::Owned(k.to_string()), FluentValue::from(v.clone()))).collect();
    LOCALES.try_lookup_with_args(&langid(l), key, &map).unwrap_or_else(|| key.to_string())
}

/// Formats a timestamp in the agency's time zone.
pub fn datetime(l: Locale, tz: chrono_tz::Tz, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&tz);
    match l {
        Locale::En => local.format("%-d %b %Y, %H:%M").to_string(),
        Locale::ZhHantHk | Locale::ZhHansCn => local.format("%Y年%-m月%-d日 %H:%M").to_string(),
    }
}

/// Formats a calendar date (service dates are local already).
pub fn date(l: Locale, d: chrono::NaiveDate) -> String {
    match l {
        Locale::En => d.format("%-d %b %Y").to_string(),
        Locale::ZhHantHk | Locale::ZhHansCn => d.format("%Y年%-m月%-d日").to_string(),
    }
}

/// Groups thousands (the same convention in all three locales).
pub fn number(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every `file:key` of a locale's `.ftl` files, in file order; a key defined twice shows twice.
    fn keys(locale: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales").join(locale);
        let mut files: Vec<_> = std::fs::read_dir(&dir).expect("locale dir").map(|e| e.expect("entry").path()).collect();
        files.sort();
        let mut out = Vec::new();
        for path in files {
            let text = std::fs::read_to_string(&path).expect("ftl");
            let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("").to_string();
            for line in text.lines() {
                let first = line.chars().next();
                if first.is_some_and(|c| c.is_ascii_alphabetic()) {
                    if let Some((k, _)) = line.split_once('=') {
                        out.push(format!("{file}:{}", k.trim()));
                    }
                }
            }
        }
        out
    }

    /// Fluent refuses a bundle that defines a message twice, and only says so when the
    /// bundle is first loaded, at run time: catch it here instead. A locale's files (one per
    /// capability) make one bundle, so a key may stand in only one of them.
    #[test]
    fn no_key_is_defined_twice() {
        for locale in ["en", "zh-Hant-HK", "zh-Hans-CN"] {
            let mut seen = std::collections::BTreeMap::new();
            for entry in keys(locale) {
                let (file, key) = entry.split_once(':').expect("file:key");
                if let Some(before) = seen.insert(key.to_string(), file.to_string()) {
                    panic!("{locale}: `{key}` is defined twice ({before} and {file})");
                }
            }
        }
    }

    #[test]
    fn every_key_is_in_every_locale() {
        let en: BTreeSet<String> = keys("en").into_iter().collect();
        assert!(en.len() > 50, "the English file should hold the UI text");
        for other in ["zh-Hant-HK", "zh-Hans-CN"] {
            let o: BTreeSet<String> = keys(other).into_iter().collect();
            let missing: Vec<_> = en.difference(&o).collect();
            let extra: Vec<_> = o.difference(&en).collect();
            assert!(missing.is_empty(), "{other} lacks {missing:?}");
            assert!(extra.is_empty(), "{other} has keys English lacks: {extra:?}");
        }
    }

    /// Every key the templates and handlers ask for exists (a missing one would show raw).
    #[test]
    fn every_used_key_exists() {
        let en: BTreeSet<String> = keys("en").into_iter().filter_map(|k| k.split_once(':').map(|(_, k)| k.to_string())).collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = BTreeSet::new();
        let mut files: Vec<_> = std::fs::read_dir(root.join("templates")).expect("templates").map(|e| e.expect("entry").path()).collect();
        let mut dirs = vec![root.join("src")];
        while let Some(dir) = dirs.pop() {
            for path in std::fs::read_dir(&dir).expect("src").map(|e| e.expect("entry").path()) {
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|x| x == "rs") && !path.ends_with("i18n.rs") {
                    files.push(path);
                }
            }
        }
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read");
            for pat in [".t(\"", ".ta(\"", "\"field-", "\"hint-"] {
                for (i, _) in text.match_indices(pat) {
                    if text[..i].ends_with("class=") {
                        continue;
                    }
                    let start = i + pat.len() - if pat.starts_with('"') { pat.len() - 1 } else { 0 };
                    let rest = &text[start..];
                    let key: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
                    // A key built at run time (`"field-error-{}"`) is checked where its parts are listed.
                    let whole = rest[key.len()..].starts_with('"');
                    if whole && key.contains('-') {
                        used.insert(key);
                    }
                }
            }
        }
        let missing: Vec<_> = used.iter().filter(|k| !en.contains(*k)).collect();
        assert!(used.len() > 50, "found {} keys", used.len());
        assert!(missing.is_empty(), "keys used but not translated: {missing:?}");
    }

    #[test]
    fn lookups_use_the_right_language() {
        assert_eq!(t(Locale::En, "nav-home"), "Home");
        assert_eq!(t(Locale::ZhHantHk, "nav-home"), "主頁");
        assert_eq!(t(Locale::ZhHansCn, "nav-home"), "主页");
        assert_eq!(t(Locale::En, "no-such-key"), "no-such-key");
    }

    #[test]
    fn arguments_are_filled_in() {
        let s = t_args(Locale::En, "field-error-too-long", &[("max", "10".into())]);
        assert!(s.contains("10"), "{s}");
    }

    #[test]
    fn numbers_group_thousands() {
        assert_eq!(number(0), "0");
        assert_eq!(number(1234567), "1,234,567");
        assert_eq!(number(-1000), "-1,000");
    }

    #[test]
    fn dates_follow_the_locale_and_zone() {
        let at = DateTime::parse_from_rfc3339("2026-01-20T16:30:00Z").expect("date").with_timezone(&Utc);
        let hk = chrono_tz::Asia::Hong_Kong;
        assert_eq!(datetime(Locale::En, hk, at), "21 Jan 2026, 00:30");
        assert_eq!(datetime(Locale::ZhHantHk, hk, at), "2026年1月21日 00:30");
    }
}
