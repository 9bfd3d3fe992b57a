//! The knowledge-base index: solutions searched by their text, in Chinese (Traditional and
//! Simplified match each other) and English, ranked by BM25. Implements
//! [`shegong_domain::ports::KnowledgeIndex`].
//!
//! Chinese text is cut into single characters and overlapping character bigrams after folding
//! Traditional to Simplified, not segmented with a dictionary (jieba): the workspace carries no
//! segmenter, the texts mix Cantonese and Mandarin usage and social-work terms that a general
//! dictionary splits unpredictably, and bigrams find every two-character word without one.
//! Bigrams carry the precision (a query's bigrams must appear side by side in the text to score),
//! single characters the recall for one-character queries. English words are lower-cased and
//! accent-folded. The index is derived data, rebuilt from the database.

use crate::terms::{is_han, latin_words, narrow};
use crate::SearchError;
use shegong_domain::ids::{OrgId, SolutionId};
use shegong_domain::ports::{KnowledgeDoc, KnowledgeIndex};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

const WRITER_MEMORY: usize = 50_000_000;
/// Most distinct terms of a query that are looked up (long pasted texts stay fast).
const MAX_QUERY_TERMS: usize = 64;

/// The words of a text as index terms: Han characters and bigrams (folded to Simplified) and
/// lower-case Latin words. Each occurrence is kept, so term frequencies count.
pub fn terms(text: &str) -> Vec<String> {
    let folded = shegong_domain::clients::fold_name(&narrow(text));
    let mut out = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut Vec<String>| {
        for (i, c) in run.iter().enumerate() {
            out.push(c.to_string());
            if let Some(next) = run.get(i + 1) {
                out.push(format!("{c}{next}"));
            }
        }
        run.clear();
    };
    let mut latin = String::new();
    for c in folded.chars() {
        if is_han(c) {
            run.push(c);
            latin.push(' ');
        } else {
            flush(&mut run, &mut out);
            latin.push(c);
        }
    }
    flush(&mut run, &mut out);
    out.extend(latin_words(&latin).into_iter().filter(|w| w.chars().count() > 1 || w.chars().all(|c| c.is_ascii_digit())));
    out
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    org: Field,
    title: Field,
    body: Field,
}

fn schema() -> (Schema, Fields) {
    let raw = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer("raw").set_index_option(IndexRecordOption::Basic).set_fieldnorms(false),
    );
    // Terms are made above and joined by spaces: the whitespace tokenizer only splits them again.
    let text = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer("whitespace").set_index_option(IndexRecordOption::WithFreqs));
    let mut b = Schema::builder();
    let f = Fields {
        id: b.add_text_field("id", raw.clone().set_stored()),
        org: b.add_text_field("org", raw),
        title: b.add_text_field("title", text.clone()),
        body: b.add_text_field("body", text),
    };
    (b.build(), f)
}

/// The knowledge-base index, in memory (rebuilt from the database at start and kept current by
/// every save).
pub struct KnowledgeSearch {
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
}

impl KnowledgeSearch {
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let writer = index.writer(WRITER_MEMORY)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self { fields, reader, writer: Mutex::new(writer) })
    }

    fn writer(&self) -> MutexGuard<'_, IndexWriter<TantivyDocument>> {
        match self.writer.lock() {
            Ok(w) => w,
            Err(poisoned) => {
                self.writer.clear_poison();
                let mut w = poisoned.into_inner();
                if let Err(e) = w.rollback() {
                    tracing::error!(error = %e, "knowledge index rollback failed");
                }
                w
            }
        }
    }

    fn change(&self, change: impl FnOnce(&mut IndexWriter<TantivyDocument>) -> Result<(), SearchError>) -> Result<(), SearchError> {
        let mut w = self.writer();
        if let Err(e) = change(&mut w).and_then(|()| w.commit().map(|_| ()).map_err(SearchError::from)) {
            if let Err(rollback) = w.rollback() {
                tracing::error!(error = %rollback, "knowledge index rollback failed");
            }
            return Err(e);
        }
        Ok(self.reader.reload()?)
    }

    fn document(&self, doc: &KnowledgeDoc) -> TantivyDocument {
        let mut d = TantivyDocument::new();
        d.add_text(self.fields.id, doc.id.to_string());
        d.add_text(self.fields.org, doc.org_id.to_string());
        d.add_text(self.fields.title, terms(&doc.title).join(" "));
        d.add_text(self.fields.body, terms(&doc.text).join(" "));
        d
    }

    pub fn upsert_docs(&self, docs: &[KnowledgeDoc]) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        self.change(|w| {
            for doc in docs {
                w.delete_term(Term::from_field_text(self.fields.id, &doc.id.to_string()));
                w.add_document(self.document(doc))?;
            }
            Ok(())
        })
    }

    pub fn clear(&self, org: OrgId) -> Result<(), SearchError> {
        self.change(|w| {
            w.delete_term(Term::from_field_text(self.fields.org, &org.to_string()));
            Ok(())
        })
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Best matches first with their BM25 scores (the title counts twice).
    pub fn find(&self, org: OrgId, query: &str, limit: usize) -> Result<Vec<(SolutionId, f32)>, SearchError> {
        // Repeated query words weigh once each. Single characters are looked up only when the
        // query has no two-character run: in a longer text they match almost everything.
        let all = terms(query);
        let has_bigram = all.iter().any(|t| t.chars().count() == 2 && t.chars().all(is_han));
        let mut wanted: BTreeMap<String, ()> = BTreeMap::new();
        for t in all.into_iter().filter(|t| !(has_bigram && t.chars().count() == 1 && t.chars().all(is_han))) {
            if wanted.len() >= MAX_QUERY_TERMS {
                break;
            }
            wanted.insert(t, ());
        }
        if wanted.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in wanted.keys() {
            for (field, boost) in [(self.fields.title, 2.0), (self.fields.body, 1.0)] {
                let q = TermQuery::new(Term::from_field_text(field, t), IndexRecordOption::WithFreqs);
                should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
            }
        }
        let org_q = TermQuery::new(Term::from_field_text(self.fields.org, &org.to_string()), IndexRecordOption::Basic);
        let q = BooleanQuery::new(vec![
            (Occur::Must, Box::new(ConstScoreQuery::new(Box::new(org_q), 0.0)) as Box<dyn Query>),
            (Occur::Must, Box::new(BooleanQuery::new(should))),
        ]);
        let searcher = self.reader.searcher();
        let top = searcher.search(&q, &TopDocs::with_limit(limit).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let id = doc.get_first(self.fields.id).and_then(|v| v.as_str()).unwrap_or_default();
            out.push((id.parse::<SolutionId>().map_err(|_| SearchError::BadId(id.to_string()))?, score));
        }
        Ok(out)
    }
}

impl KnowledgeIndex for KnowledgeSearch {
    fn upsert(&self, docs: &[KnowledgeDoc]) -> shegong_domain::Result<()> {
        Ok(self.upsert_docs(docs)?)
    }

    fn search(&self, org: OrgId, query: &str, limit: usize) -> shegong_domain::Result<Vec<(SolutionId, f32)>> {
        Ok(self.find(org, query, limit)?)
    }

    fn clear_org(&self, org: OrgId) -> shegong_domain::Result<()> {
        Ok(self.clear(org)?)
    }

    fn count(&self) -> shegong_domain::Result<u64> {
        Ok(self.num_docs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_and_simplified_fold_to_the_same_terms() {
        assert_eq!(terms("創傷知情"), terms("创伤知情"));
        assert_eq!(terms("抗逆力 Resilience"), ["抗", "抗逆", "逆", "逆力", "力", "resilience"]);
    }

    /// A fixed set of solutions and queries in Traditional, Simplified and English with the
    /// solution each query must find first.
    #[test]
    fn search_quality_on_a_fixed_set() {
        let idx = KnowledgeSearch::in_memory().unwrap();
        let org = OrgId::new();
        let other = OrgId::new();
        let docs = [
            (
                "trauma",
                "創傷知情照顧小組",
                "經歷火災或颱風後的居民出現創傷反應，以創傷知情照顧原則建立安全感、信任和選擇。Trauma-informed care group for survivors.",
            ),
            (
                "resilience",
                "青少年抗逆力訓練營",
                "提升青少年面對學業壓力和家庭困難的抗逆力，包括解難技巧、情緒管理和朋輩支援。Youth resilience camp.",
            ),
            (
                "loneliness",
                "獨居長者電話關懷網絡",
                "義工每週致電獨居長者，減少孤獨感，及早發現健康變化並轉介服務。Telephone befriending for elderly living alone.",
            ),
            (
                "layoff",
                "失業人士就業支援",
                "大規模裁員後，為失業人士提供就業輔導、技能再培訓及緊急經濟援助。Employment support after mass layoffs.",
            ),
            (
                "carer",
                "照顧者減壓工作坊",
                "為認知障礙症患者的照顧者提供減壓技巧、喘息服務資訊及互助小組。Stress relief workshops for carers of people with dementia.",
            ),
            (
                "epidemic",
                "疫情期間物資派發",
                "疫情爆發時向隔離家庭派發口罩、食物和藥物，並安排電話跟進。Distributing masks, food and medicine during an epidemic wave.",
            ),
        ];
        let ids: BTreeMap<&str, SolutionId> = docs.iter().map(|(k, _, _)| (*k, SolutionId::new())).collect();
        let mut all: Vec<KnowledgeDoc> = docs
            .iter()
            .map(|(k, title, text)| KnowledgeDoc { id: ids[k], org_id: org, title: (*title).into(), text: (*text).into() })
            .collect();
        // Another agency's copy of the loneliness solution is never found.
        all.push(KnowledgeDoc {
            id: SolutionId::new(), org_id: other, title: "獨居長者電話關懷網絡".into(), text: "獨居長者".into()
        });
        idx.upsert_docs(&all).unwrap();
        let cases = [
            ("创伤知情", "trauma"),   // Simplified query, Traditional text
            ("創傷", "trauma"),       // Traditional
            ("抗逆力", "resilience"), // same in both scripts
            ("青少年 学业压力", "resilience"),
            ("独居长者 孤独", "loneliness"), // Simplified
            ("獨居長者", "loneliness"),
            ("裁员 失业", "layoff"),
            ("照顾者 减压", "carer"),
            ("疫情 口罩", "epidemic"),
            ("dementia carers", "carer"), // English
            ("telephone befriending", "loneliness"),
            ("mass layoffs", "layoff"),
            ("Resilience", "resilience"),
            ("台风 火灾 创伤", "trauma"),
        ];
        for (q, want) in cases {
            let found = idx.find(org, q, 3).unwrap();
            assert_eq!(found.first().map(|f| f.0), Some(ids[want]), "query {q:?} should find {want} first: {found:?}");
        }
        assert!(idx.find(org, "zzzz", 3).unwrap().is_empty());
        assert_eq!(idx.find(other, "独居", 5).unwrap().len(), 1, "agencies see only their own");
        idx.clear(other).unwrap();
        assert!(idx.find(other, "独居", 5).unwrap().is_empty());
        assert_eq!(idx.num_docs(), 6);
    }
}
