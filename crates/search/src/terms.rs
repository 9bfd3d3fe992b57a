//! How a client's names, phones and identity number become index terms.
//!
//! Every field of the index holds whole terms (the `raw` tokenizer): the analysis happens here,
//! once, in plain Rust, and the query side (`query.rs`) looks the same terms up. That keeps
//! ranking under our control (every clause has a fixed score) and makes "what matches what"
//! readable in one place.
//!
//! Chinese names are not segmented with jieba: a personal name is two to four characters with
//! no dictionary word in it, where a segmenter either keeps the name whole or splits it wrongly.
//! Single characters and bigrams of the whole name match a surname alone, a given name alone or
//! the full name, whatever the segmentation would have been.

use pinyin::ToPinyin;
use shegong_domain::clients::{fold_name, id_last4, normalise_phone};
use shegong_domain::ports::ClientDoc;
use std::collections::BTreeSet;
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer};

/// Runs of more than this many syllables or words are not joined (bounds the term count of
/// unusually long names; the first ones are still joined).
const MAX_RUN_PARTS: usize = 8;
/// At most this many spellings of one run (alternative readings multiply).
const MAX_SPELLINGS: usize = 8;
/// Phone numbers longer than this (digits) are cut before their fragments are indexed.
pub(crate) const MAX_PHONE_DIGITS: usize = 20;
/// Shortest phone fragment that is indexed and searched.
pub(crate) const MIN_PHONE_DIGITS: usize = 4;

/// The terms of one client, by field.
#[derive(Debug, Default)]
pub(crate) struct Terms {
    /// Single Han characters and bigrams of the folded Chinese name.
    pub zh: BTreeSet<String>,
    /// The whole folded Chinese name.
    pub zh_full: BTreeSet<String>,
    /// Every leading part of the Chinese name (surname, surname + first given character, …).
    pub zh_head: BTreeSet<String>,
    /// Every trailing part of the Chinese name (the given name, …).
    pub zh_tail: BTreeSet<String>,
    /// Pinyin syllables and words of the romanised name.
    pub word: BTreeSet<String>,
    /// Two or more consecutive syllables or words written together: `chendawen`, `dawen`, `taiman`.
    pub joined: BTreeSet<String>,
    /// Initials of two or more consecutive syllables or words: `cdw`, `dw`, `ctm`.
    pub initials: BTreeSet<String>,
    /// Strict prefixes of words and joined runs, for the word being typed.
    pub prefix: BTreeSet<String>,
    /// The first syllable or word (usually the surname), and the first two joined.
    pub lead: BTreeSet<String>,
    /// Every run of 4+ consecutive digits of every phone number.
    pub phone: BTreeSet<String>,
    /// The last four characters of the identity number, lower case.
    pub id4: BTreeSet<String>,
}

impl Terms {
    /// The terms of a client. Inactive clients (merged, anonymised) get none: they are never
    /// found, and the index keeps nothing personal about them.
    pub(crate) fn of(doc: &ClientDoc) -> Terms {
        let mut t = Terms::default();
        if !doc.active {
            return t;
        }
        t.add_name(&doc.name_zh);
        t.add_name(&doc.name_en);
        for phone in &doc.phones {
            t.add_phone(phone);
        }
        let last4 = id_last4(&doc.id_last4).to_lowercase();
        if !last4.is_empty() {
            t.id4.insert(last4);
        }
        t
    }

    fn add_name(&mut self, name: &str) {
        let folded = fold_name(&narrow(name));
        let han: Vec<char> = folded.chars().filter(|c| is_han(*c)).collect();
        if !han.is_empty() {
            self.add_chinese(&han);
            self.add_sequence(&pinyin_of(&han));
        }
        let words: Vec<Vec<String>> = latin_words(&folded).into_iter().map(|w| vec![w]).collect();
        self.add_sequence(&words);
    }

    fn add_chinese(&mut self, han: &[char]) {
        let full: String = han.iter().collect();
        self.zh_full.insert(full);
        for (i, c) in han.iter().enumerate() {
            self.zh.insert(c.to_string());
            if let Some(next) = han.get(i + 1) {
                self.zh.insert([*c, *next].iter().collect());
            }
            self.zh_head.insert(han[..=i].iter().collect());
            self.zh_tail.insert(han[i..].iter().collect());
        }
    }

    /// A name as a sequence of parts (syllables or words), each with its alternative spellings.
    fn add_sequence(&mut self, parts: &[Vec<String>]) {
        if parts.is_empty() {
            return;
        }
        let mut spelled: Vec<String> = Vec::new();
        for alternatives in parts {
            for a in alternatives {
                self.word.insert(a.clone());
                spelled.push(a.clone());
            }
        }
        self.lead.extend(parts[0].iter().cloned());
        let parts = &parts[..parts.len().min(MAX_RUN_PARTS)];
        if parts.len() >= 2 {
            self.lead.extend(spellings(&parts[..2]));
        }
        for start in 0..parts.len() {
            for end in start + 2..=parts.len() {
                let run = &parts[start..end];
                for s in spellings(run) {
                    spelled.push(s.clone());
                    self.joined.insert(s);
                }
                for s in initials(run) {
                    self.initials.insert(s);
                }
            }
        }
        for s in spelled {
            for (i, _) in s.char_indices().skip(1) {
                self.prefix.insert(s[..i].to_string());
            }
        }
    }

    fn add_phone(&mut self, phone: &str) {
        let normal = normalise_phone(phone).unwrap_or_else(|| phone.to_string());
        let digits: Vec<u8> = normal.bytes().filter(u8::is_ascii_digit).take(MAX_PHONE_DIGITS).collect();
        for len in MIN_PHONE_DIGITS..=digits.len() {
            for window in digits.windows(len) {
                self.phone.insert(String::from_utf8_lossy(window).into_owned());
            }
        }
    }
}

/// Han ideographs: the unified blocks, extension A, the compatibility block and the
/// supplementary planes (many Hong Kong name characters are in extension B).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// Full-width ASCII (typed with a Chinese input method) as plain ASCII; ideographic space as a space.
pub(crate) fn narrow(s: &str) -> String {
    s.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        })
        .collect()
}

/// Lower-case words of the non-Han part of `text`, accents folded (`José` → `jose`), split on
/// anything that is not a letter or digit (`Tai-man` → `tai`, `man`).
pub(crate) fn latin_words(text: &str) -> Vec<String> {
    let latin: String = text.chars().map(|c| if is_han(c) { ' ' } else { c }).collect();
    let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).filter(AsciiFoldingFilter).build();
    let mut words = Vec::new();
    analyzer.token_stream(&latin).process(&mut |token| words.push(token.text.clone()));
    words
}

/// Readings a surname takes that differ from the character's everyday reading (folded, Simplified).
const SURNAME_READINGS: &[(char, &str)] = &[
    ('曾', "zeng"),
    ('单', "shan"),
    ('解', "xie"),
    ('仇', "qiu"),
    ('区', "ou"),
    ('朴', "piao"),
    ('查', "zha"),
    ('盖', "ge"),
    ('乐', "yue"),
    ('尉', "yu"),
    ('翟', "zhai"),
    ('缪', "miao"),
    ('覃', "qin"),
    ('种', "chong"),
    ('繁', "po"),
    ('员', "yun"),
    ('秘', "bi"),
];

/// Mandarin pinyin (no tones) of each Han character that has one, with alternative spellings:
/// `ü` as both `v` (how it is typed) and `u`, and a surname reading for the first character.
pub(crate) fn pinyin_of(han: &[char]) -> Vec<Vec<String>> {
    let mut parts = Vec::with_capacity(han.len());
    for (i, c) in han.iter().enumerate() {
        let Some(p) = c.to_pinyin() else { continue };
        let mut alternatives: Vec<String> = Vec::with_capacity(2);
        let mut push = |s: &str| {
            for spelling in [s.replace('ü', "v").replace('ê', "e"), s.replace('ü', "u").replace('ê', "e")] {
                if !alternatives.contains(&spelling) {
                    alternatives.push(spelling);
                }
            }
        };
        push(p.plain());
        if i == 0 {
            if let Some((_, reading)) = SURNAME_READINGS.iter().find(|(s, _)| s == c) {
                push(reading);
            }
        }
        parts.push(alternatives);
    }
    parts
}

/// The run written together, in each combination of spellings (at most [`MAX_SPELLINGS`]).
pub(crate) fn spellings(run: &[Vec<String>]) -> Vec<String> {
    let mut out = vec![String::new()];
    for alternatives in run {
        let mut next = Vec::with_capacity(out.len() * alternatives.len());
        for prefix in &out {
            for a in alternatives {
                if next.len() < MAX_SPELLINGS {
                    next.push(format!("{prefix}{a}"));
                }
            }
        }
        out = next;
    }
    out
}

/// The initials of a run, in each combination of alternative spellings.
fn initials(run: &[Vec<String>]) -> BTreeSet<String> {
    let firsts: Vec<Vec<String>> = run
        .iter()
        .map(|alternatives| {
            let mut f: Vec<String> = alternatives.iter().filter_map(|a| a.chars().next()).map(String::from).collect();
            f.dedup();
            f
        })
        .collect();
    spellings(&firsts).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shegong_domain::ids::{ClientId, OrgId, UnitId};

    fn doc(name_zh: &str, name_en: &str) -> ClientDoc {
        ClientDoc {
            org_id: OrgId::new(),
            id: ClientId::new(),
            unit_id: UnitId::new(),
            name_zh: name_zh.into(),
            name_en: name_en.into(),
            phones: vec!["+852 9123 4567".into()],
            id_last4: "456(A)".into(),
            active: true,
        }
    }

    #[test]
    fn a_chinese_name_gives_characters_bigrams_and_pinyin() {
        let t = Terms::of(&doc("陳大文", ""));
        assert!(t.zh.contains("陈") && t.zh.contains("陈大") && t.zh.contains("大文"));
        assert!(t.zh_full.contains("陈大文"));
        assert!(t.word.contains("chen") && t.word.contains("wen"));
        assert!(t.joined.contains("chendawen") && t.joined.contains("dawen"));
        assert!(t.initials.contains("cdw"));
        assert!(t.prefix.contains("chenda"));
        assert!(t.phone.contains("2345") && t.phone.contains("91234567"));
        assert!(t.id4.contains("456a"));
    }

    #[test]
    fn surnames_get_their_surname_reading_and_u_umlaut_both_spellings() {
        let t = Terms::of(&doc("曾小芳", ""));
        assert!(t.word.contains("zeng"), "{:?}", t.word);
        let t = Terms::of(&doc("呂綠", ""));
        assert!(t.word.contains("lv") && t.word.contains("lu"), "{:?}", t.word);
    }

    #[test]
    fn english_words_fold_case_accents_and_hyphens() {
        assert_eq!(latin_words("CHAN, Tai-man José"), vec!["chan", "tai", "man", "jose"]);
        assert_eq!(narrow("１３８　ＡＢ"), "138 AB");
    }

    #[test]
    fn inactive_clients_have_no_terms() {
        let mut d = doc("陳大文", "Chan Tai Man");
        d.active = false;
        let t = Terms::of(&d);
        assert!(t.zh.is_empty() && t.word.is_empty() && t.phone.is_empty() && t.id4.is_empty());
    }
}
