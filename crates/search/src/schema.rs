//! The index schema: every field holds whole terms made by `terms.rs`.

use crate::terms::Terms;
use shegong_domain::ports::ClientDoc;
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::TantivyDocument;

/// Written as the payload of every commit. Bump it whenever `terms.rs` or `query.rs` change
/// what is indexed, so that an index built by an older version is wiped and rebuilt instead of
/// silently missing terms.
pub(crate) const FORMAT: &str = "shegong-search/1";

#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    pub id: Field,
    pub org: Field,
    pub unit: Field,
    pub active: Field,
    pub zh: Field,
    pub zh_full: Field,
    pub zh_head: Field,
    pub zh_tail: Field,
    pub word: Field,
    pub joined: Field,
    pub initials: Field,
    pub prefix: Field,
    pub lead: Field,
    pub phone: Field,
    pub id4: Field,
}

impl Fields {
    pub(crate) fn schema() -> (Schema, Fields) {
        // Whole terms, no frequencies or positions, no field norms: every clause of a query
        // has a fixed score, so nothing else is needed.
        let terms = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer("raw").set_index_option(IndexRecordOption::Basic).set_fieldnorms(false),
        );
        let mut b = Schema::builder();
        let fields = Fields {
            id: b.add_text_field("id", terms.clone().set_stored()),
            org: b.add_text_field("org", terms.clone()),
            unit: b.add_text_field("unit", terms.clone()),
            active: b.add_text_field("active", terms.clone()),
            zh: b.add_text_field("zh", terms.clone()),
            zh_full: b.add_text_field("zh_full", terms.clone()),
            zh_head: b.add_text_field("zh_head", terms.clone()),
            zh_tail: b.add_text_field("zh_tail", terms.clone()),
            word: b.add_text_field("word", terms.clone()),
            joined: b.add_text_field("joined", terms.clone()),
            initials: b.add_text_field("initials", terms.clone()),
            prefix: b.add_text_field("prefix", terms.clone()),
            lead: b.add_text_field("lead", terms.clone()),
            phone: b.add_text_field("phone", terms.clone()),
            id4: b.add_text_field("id4", terms),
        };
        (b.build(), fields)
    }

    pub(crate) fn document(&self, doc: &ClientDoc) -> TantivyDocument {
        let mut d = TantivyDocument::new();
        d.add_text(self.id, doc.id.to_string());
        d.add_text(self.org, doc.org_id.to_string());
        d.add_text(self.unit, doc.unit_id.to_string());
        d.add_text(self.active, if doc.active { ACTIVE } else { INACTIVE });
        let t = Terms::of(doc);
        for (field, values) in [
            (self.zh, &t.zh),
            (self.zh_full, &t.zh_full),
            (self.zh_head, &t.zh_head),
            (self.zh_tail, &t.zh_tail),
            (self.word, &t.word),
            (self.joined, &t.joined),
            (self.initials, &t.initials),
            (self.prefix, &t.prefix),
            (self.lead, &t.lead),
            (self.phone, &t.phone),
            (self.id4, &t.id4),
        ] {
            for v in values {
                d.add_text(field, v);
            }
        }
        d
    }
}

pub(crate) const ACTIVE: &str = "1";
const INACTIVE: &str = "0";
