//! The client search index: tantivy, with Traditional/Simplified folding, pinyin, romanised
//! names, phone fragments and identity-number endings. Implements
//! [`shegong_domain::ports::SearchIndex`].
//!
//! The index is derived data: the database is the source of truth and the index can be wiped
//! and rebuilt from it at any time. [`ClientSearch::open`] does exactly that when it finds an
//! index it cannot use (another schema, another format, damaged files) and reports it through
//! [`ClientSearch::needs_rebuild`].

mod knowledge;
mod query;
mod schema;
mod terms;

pub use knowledge::{terms as knowledge_terms, KnowledgeSearch};
use schema::{Fields, ACTIVE, FORMAT};
use shegong_domain::ids::{ClientId, OrgId, UnitId};
use shegong_domain::ports::{ClientDoc, SearchIndex};
use shegong_domain::DomainError;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use tantivy::collector::TopDocs;
use tantivy::directory::{Directory, MmapDirectory, INDEX_WRITER_LOCK};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query};
use tantivy::schema::Value;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Memory the writer may use before it flushes a segment (split across its threads).
const WRITER_MEMORY: usize = 50_000_000;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory {path}: {source}")]
    Directory { path: PathBuf, source: std::io::Error },
    #[error("search index directory: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index holds an invalid client id {0:?}")]
    BadId(String),
}

impl From<SearchError> for DomainError {
    fn from(e: SearchError) -> Self {
        DomainError::Storage(e.to_string())
    }
}

/// The default place of the index: `<file>.search` next to a SQLite database file, and
/// `shegong-search` in the working directory for PostgreSQL (or an in-memory SQLite database).
pub fn default_dir(database_url: &str) -> PathBuf {
    let fallback = PathBuf::from("shegong-search");
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        return fallback;
    }
    let rest = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:")).unwrap_or(database_url);
    let file = rest.split('?').next().unwrap_or(rest);
    if file.is_empty() || file == ":memory:" {
        return fallback;
    }
    let mut dir = PathBuf::from(file).into_os_string();
    dir.push(".search");
    PathBuf::from(dir)
}

/// The client search index. One per process and directory: it holds the directory's writer
/// lock for as long as it lives.
pub struct ClientSearch {
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    needs_rebuild: bool,
}

impl ClientSearch {
    /// Opens the index in `dir`, creating it when missing. An index this version cannot use
    /// (another schema or term format, or unreadable) is wiped and created anew, empty.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir).map_err(|source| SearchError::Directory { path: dir.to_path_buf(), source })?;
        let (schema, fields) = Fields::schema();
        let directory = MmapDirectory::open(dir)?;
        if Index::exists(&directory).map_err(tantivy::TantivyError::from)? {
            match Index::open(directory.clone()) {
                Ok(index) => {
                    let format = index.load_metas().ok().and_then(|m| m.payload);
                    if index.schema() == schema && format.as_deref() == Some(FORMAT) {
                        return Self::with_index(index, fields, false);
                    }
                    tracing::warn!(dir = %dir.display(), ?format, "search index was built by another version; recreating it");
                }
                Err(e) => tracing::warn!(dir = %dir.display(), error = %e, "search index cannot be opened; recreating it"),
            }
            // Never wipe an index another process is writing to (an older server still
            // running): that is an error for the caller, not derived data to throw away.
            let writer_lock = directory.acquire_lock(&INDEX_WRITER_LOCK).map_err(tantivy::TantivyError::from)?;
            wipe(dir)?;
            let index = Index::create(directory, schema, tantivy::IndexSettings::default())?;
            drop(writer_lock);
            return Self::with_index(index, fields, true);
        }
        let index = Index::create(directory, schema, tantivy::IndexSettings::default())?;
        Self::with_index(index, fields, true)
    }

    /// An index in memory (tests, and databases that are themselves in memory).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = Fields::schema();
        Self::with_index(Index::create_in_ram(schema), fields, true)
    }

    fn with_index(index: Index, fields: Fields, created: bool) -> Result<Self, SearchError> {
        let mut writer = index.writer(WRITER_MEMORY)?;
        if created {
            // Records the format, so that a later open knows this index is current.
            commit(&mut writer)?;
        }
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self { fields, reader, writer: Mutex::new(writer), needs_rebuild: created })
    }

    /// True when this index was created empty by [`ClientSearch::open`] (it was missing, or it
    /// was wiped): fill it from the database.
    pub fn needs_rebuild(&self) -> bool {
        self.needs_rebuild
    }

    fn writer(&self) -> MutexGuard<'_, IndexWriter<TantivyDocument>> {
        match self.writer.lock() {
            Ok(w) => w,
            Err(poisoned) => {
                // A panic left changes half made: drop them, keep the index usable.
                self.writer.clear_poison();
                let mut w = poisoned.into_inner();
                if let Err(e) = w.rollback() {
                    tracing::error!(error = %e, "search index rollback failed");
                }
                w
            }
        }
    }

    /// Runs `change`, commits it and makes it visible to searches; on failure nothing of it stays.
    fn change(&self, change: impl FnOnce(&mut IndexWriter<TantivyDocument>) -> Result<(), SearchError>) -> Result<(), SearchError> {
        let mut writer = self.writer();
        let done = change(&mut writer).and_then(|()| commit(&mut writer));
        if let Err(e) = done {
            if let Err(rollback) = writer.rollback() {
                tracing::error!(error = %rollback, "search index rollback failed");
            }
            return Err(e);
        }
        Ok(self.reader.reload()?)
    }

    fn id_term(&self, id: ClientId) -> Term {
        Term::from_field_text(self.fields.id, &id.to_string())
    }

    pub fn upsert_docs(&self, docs: &[ClientDoc]) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        self.change(|w| {
            for doc in docs {
                w.delete_term(self.id_term(doc.id));
                w.add_document(self.fields.document(doc))?;
            }
            Ok(())
        })
    }

    pub fn delete_ids(&self, ids: &[ClientId]) -> Result<(), SearchError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.change(|w| {
            for id in ids {
                w.delete_term(self.id_term(*id));
            }
            Ok(())
        })
    }

    pub fn clear_all(&self) -> Result<(), SearchError> {
        self.change(|w| {
            w.delete_all_documents()?;
            Ok(())
        })
    }

    /// Documents in the index, inactive ones included.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Segments the searchable index is made of (for diagnostics: the writer merges them in
    /// the background).
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Best matches first; see [`SearchIndex::search`].
    pub fn find(&self, org: OrgId, query: &str, units: Option<&[UnitId]>, limit: usize) -> Result<Vec<ClientId>, SearchError> {
        if limit == 0 || units.is_some_and(<[UnitId]>::is_empty) {
            return Ok(Vec::new());
        }
        let Some(text) = query::text_query(&self.fields, query) else {
            return Ok(Vec::new());
        };
        let filter = |q: Box<dyn Query>| -> (Occur, Box<dyn Query>) { (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))) };
        let mut clauses = vec![
            filter(query::term(self.fields.org, &org.to_string(), 0.0)),
            filter(query::term(self.fields.active, ACTIVE, 0.0)),
            (Occur::Must, text),
        ];
        if let Some(units) = units {
            let any: Vec<Box<dyn Query>> = units.iter().map(|u| query::term(self.fields.unit, &u.to_string(), 0.0)).collect();
            clauses.push(filter(Box::new(BooleanQuery::union(any))));
        }
        let searcher = self.reader.searcher();
        let limit = limit.min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX)).max(1);
        let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit).order_by_score())?;
        let mut ids = Vec::with_capacity(top.len());
        for (_score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let id = doc.get_first(self.fields.id).and_then(|v| v.as_str()).unwrap_or_default();
            ids.push(id.parse::<ClientId>().map_err(|_| SearchError::BadId(id.to_string()))?);
        }
        Ok(ids)
    }
}

fn commit(writer: &mut IndexWriter<TantivyDocument>) -> Result<(), SearchError> {
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(FORMAT);
    prepared.commit()?;
    Ok(())
}

/// Removes the index files from `dir` (and nothing else that may have been put there; the lock
/// files stay, they are reused).
fn wipe(dir: &Path) -> Result<(), SearchError> {
    let io = |source| SearchError::Directory { path: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let bytes = name.as_bytes();
        let segment_file = bytes.len() > 33 && bytes[32] == b'.' && bytes[..32].iter().all(u8::is_ascii_hexdigit);
        let index_file = name == "meta.json" || name == ".managed.json" || segment_file;
        if index_file && entry.file_type().map_err(io)?.is_file() {
            std::fs::remove_file(entry.path()).map_err(io)?;
        }
    }
    Ok(())
}

impl SearchIndex for ClientSearch {
    fn upsert(&self, docs: &[ClientDoc]) -> shegong_domain::Result<()> {
        Ok(self.upsert_docs(docs)?)
    }

    fn delete(&self, ids: &[ClientId]) -> shegong_domain::Result<()> {
        Ok(self.delete_ids(ids)?)
    }

    fn search(&self, org: OrgId, query: &str, units: Option<&[UnitId]>, limit: usize) -> shegong_domain::Result<Vec<ClientId>> {
        Ok(self.find(org, query, units, limit)?)
    }

    fn clear(&self) -> shegong_domain::Result<()> {
        Ok(self.clear_all()?)
    }

    fn count(&self) -> shegong_domain::Result<u64> {
        Ok(self.num_docs())
    }
}

#[cfg(test)]
mod tests;
