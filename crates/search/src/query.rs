//! What a typed query means, as a tantivy query over the terms of `terms.rs`.
//!
//! Every clause has a fixed score (no term statistics), so ranking is predictable:
//!
//! | match                                              | score        |
//! |----------------------------------------------------|--------------|
//! | whole Chinese name                                 | 30           |
//! | Chinese name starts / ends with the query          | 5 / 3        |
//! | each Chinese bigram / character in the name        | 3 / 1        |
//! | Chinese name sounds the same (same pinyin)         | 6            |
//! | each word: syllable or word, joined run, initials  | 10 / 10 / 8  |
//! | each word being typed (last, or a single letter)   | 4 as prefix  |
//! | all words written together as one run             | +10          |
//! | first word is the name's first syllable or word   | +3           |
//! | phone fragment / identity number's last 4          | 10 / 12      |

use crate::schema::Fields;
use crate::terms::{is_han, latin_words, narrow, pinyin_of, spellings, MAX_PHONE_DIGITS, MIN_PHONE_DIGITS};
use shegong_domain::clients::{fold_name, id_last4, normalise_phone};
use tantivy::query::{BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

/// Longer queries are cut (a pasted paragraph must not become a thousand clauses).
const MAX_HAN: usize = 16;
const MAX_WORDS: usize = 8;

const FULL_NAME: f32 = 30.0;
const STARTS_WITH: f32 = 5.0;
const ENDS_WITH: f32 = 3.0;
const BIGRAM: f32 = 3.0;
const CHARACTER: f32 = 1.0;
const SOUNDS_ALIKE: f32 = 6.0;
const WORD: f32 = 10.0;
const JOINED: f32 = 10.0;
const INITIALS: f32 = 8.0;
const PREFIX: f32 = 4.0;
const WHOLE_RUN: f32 = 10.0;
const LEAD: f32 = 3.0;
const PHONE: f32 = 10.0;
const ID_LAST4: f32 = 12.0;

/// Separators people type inside phone and identity numbers.
fn is_number_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '(' | ')' | '+' | '.' | '/' | '（' | '）')
}

pub(crate) fn term(field: Field, text: &str, score: f32) -> Box<dyn Query> {
    let q = TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic);
    Box::new(ConstScoreQuery::new(Box::new(q), score))
}

/// The query for what the user typed; None when there is nothing to search for.
pub(crate) fn text_query(f: &Fields, raw: &str) -> Option<Box<dyn Query>> {
    let narrowed = narrow(raw);
    let compact: String = narrowed.chars().filter(|c| !is_number_separator(*c)).collect();
    if compact.len() >= MIN_PHONE_DIGITS
        && compact.chars().all(|c| c.is_ascii_alphanumeric())
        && compact.chars().any(|c| c.is_ascii_digit())
    {
        return Some(identifier(f, &compact, &narrowed));
    }

    let folded = fold_name(&narrowed);
    let han: Vec<char> = folded.chars().filter(|c| is_han(*c)).take(MAX_HAN).collect();
    let mut words = Vec::new();
    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for w in latin_words(&folded) {
        if w.chars().any(|c| c.is_ascii_digit()) {
            // A number inside a name query ("陳 9123"): a phone or identity fragment; shorter
            // numbers are too vague to mean anything.
            if w.len() >= MIN_PHONE_DIGITS {
                must.push((Occur::Must, identifier(f, &w, &w)));
            }
        } else if words.len() < MAX_WORDS {
            words.push(w);
        }
    }
    if !han.is_empty() {
        must.push((Occur::Must, chinese(f, &han)));
    }
    if !words.is_empty() {
        must.push((Occur::Must, romanised(f, &words)));
    }
    match must.len() {
        0 => None,
        1 => must.pop().map(|(_, q)| q),
        _ => Some(Box::new(BooleanQuery::new(must))),
    }
}

/// A phone fragment or the end of an identity number (`compact`: separators removed).
fn identifier(f: &Fields, compact: &str, raw: &str) -> Box<dyn Query> {
    let mut alternatives = Vec::new();
    if compact.chars().all(|c| c.is_ascii_digit()) {
        if compact.len() <= MAX_PHONE_DIGITS {
            alternatives.push(term(f.phone, compact, PHONE));
        }
        // `+852 9123 4567`, `(852) 9123 4567` and `0086 138…` are stored without country code.
        let mut local: Vec<String> = Vec::new();
        for normal in [normalise_phone(raw), normalise_phone(&format!("+{compact}"))].into_iter().flatten() {
            let digits: String = normal.chars().filter(char::is_ascii_digit).collect();
            if digits != compact && digits.len() >= MIN_PHONE_DIGITS && !local.contains(&digits) {
                alternatives.push(term(f.phone, &digits, PHONE));
                local.push(digits);
            }
        }
        // Four digits may be the end of an identity number; fifteen or more, a whole mainland
        // identity number (no phone number is that long).
        if compact.len() == 4 || compact.len() >= 15 {
            alternatives.push(term(f.id4, &id_last4(compact), ID_LAST4));
        }
    } else {
        // `456A`, `456(A)` or a whole identity number such as `A123456(A)`.
        alternatives.push(term(f.id4, &id_last4(compact).to_lowercase(), ID_LAST4));
    }
    Box::new(DisjunctionMaxQuery::new(alternatives))
}

/// Han characters of the query (folded to Simplified). Every character must be in the name,
/// except that one may be missing from a query of three or more (a mistyped character still
/// finds the person, ranked below exact matches); or the whole name must sound the same (the
/// pinyin input method offers 陳大雯 as readily as 陳大文, and a name heard on the phone is
/// easily written with the wrong character).
fn chinese(f: &Fields, han: &[char]) -> Box<dyn Query> {
    let mut distinct: Vec<char> = Vec::with_capacity(han.len());
    for c in han {
        if !distinct.contains(c) {
            distinct.push(*c);
        }
    }
    let required = if distinct.len() <= 2 { distinct.len() } else { distinct.len() - 1 };
    let characters: Vec<(Occur, Box<dyn Query>)> =
        distinct.iter().map(|c| (Occur::Should, term(f.zh, &c.to_string(), CHARACTER))).collect();

    let mut matches: Vec<Box<dyn Query>> = vec![Box::new(BooleanQuery::with_minimum_required_clauses(characters, required))];
    let syllables = pinyin_of(han);
    if syllables.len() >= 2 {
        matches.extend(spellings(&syllables).iter().map(|s| term(f.joined, s, SOUNDS_ALIKE)));
    }

    let full: String = han.iter().collect();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
        (Occur::Must, Box::new(BooleanQuery::union(matches))),
        (Occur::Should, term(f.zh_full, &full, FULL_NAME)),
        (Occur::Should, term(f.zh_head, &full, STARTS_WITH)),
        (Occur::Should, term(f.zh_tail, &full, ENDS_WITH)),
    ];
    let mut bigrams: Vec<String> = han.windows(2).map(|w| w.iter().collect()).collect();
    bigrams.sort();
    bigrams.dedup();
    for b in bigrams {
        clauses.push((Occur::Should, term(f.zh, &b, BIGRAM)));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// Latin words: pinyin (`chen da wen`, `chendawen`, `cdw`), Cantonese or English names. Every
/// word must match; the last one (still being typed) and single letters match as prefixes.
fn romanised(f: &Fields, words: &[String]) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let mut alternatives = vec![term(f.word, w, WORD), term(f.joined, w, JOINED), term(f.initials, w, INITIALS)];
        if i + 1 == words.len() || w.chars().count() == 1 {
            alternatives.push(term(f.prefix, w, PREFIX));
        }
        clauses.push((Occur::Must, Box::new(DisjunctionMaxQuery::new(alternatives))));
    }
    if let Some(first) = words.first() {
        clauses.push((Occur::Should, term(f.lead, first, LEAD)));
    }
    if words.len() >= 2 {
        let together = words.concat();
        clauses.push((Occur::Should, term(f.joined, &together, WHOLE_RUN)));
        if words.iter().all(|w| w.chars().count() == 1) {
            clauses.push((Occur::Should, term(f.initials, &together, WHOLE_RUN)));
        }
    }
    Box::new(BooleanQuery::new(clauses))
}
