use super::*;
use tantivy::schema::{Schema, STRING, TEXT};

struct Fixture {
    search: ClientSearch,
    org: OrgId,
    unit: UnitId,
}

impl Fixture {
    fn new() -> Self {
        Self { search: ClientSearch::in_memory().expect("index"), org: OrgId::new(), unit: UnitId::new() }
    }

    fn add(&self, name_zh: &str, name_en: &str) -> ClientId {
        self.add_doc(self.doc(name_zh, name_en))
    }

    fn add_doc(&self, doc: ClientDoc) -> ClientId {
        let id = doc.id;
        self.search.upsert(&[doc]).expect("upsert");
        id
    }

    fn doc(&self, name_zh: &str, name_en: &str) -> ClientDoc {
        ClientDoc {
            org_id: self.org,
            id: ClientId::new(),
            unit_id: self.unit,
            name_zh: name_zh.into(),
            name_en: name_en.into(),
            phones: Vec::new(),
            id_last4: String::new(),
            active: true,
        }
    }

    fn find(&self, query: &str) -> Vec<ClientId> {
        self.search.search(self.org, query, None, 20).expect("search")
    }
}

#[test]
fn traditional_and_simplified_find_each_other() {
    let f = Fixture::new();
    let simplified = f.add("陈大文", "");
    let traditional = f.add("陳大文", "");
    for q in ["陳大文", "陈大文", "陳", "陈", "大文"] {
        let found = f.find(q);
        assert!(found.contains(&simplified) && found.contains(&traditional), "{q}: {found:?}");
    }
    let zhang = f.add("張國榮", "");
    assert_eq!(f.find("张国荣"), vec![zhang]);
}

#[test]
fn a_surname_alone_finds_everyone_with_it_surname_first() {
    let f = Fixture::new();
    let in_given_name = f.add("李陳明", "");
    let surname = f.add("陳美玲", "");
    f.add("王小明", "");
    assert_eq!(f.find("陳"), vec![surname, in_given_name]);
}

#[test]
fn a_given_name_alone_finds_the_people_with_it() {
    let f = Fixture::new();
    let chan = f.add("陳大文", "");
    let lee = f.add("李大文", "");
    f.add("陳小文", "");
    let found = f.find("大文");
    assert_eq!(found.len(), 2);
    assert!(found.contains(&chan) && found.contains(&lee));
}

#[test]
fn the_full_name_ranks_first_and_one_wrong_character_still_finds_it() {
    let f = Fixture::new();
    let partial = f.add("陳大明", "");
    let exact = f.add("陳大文", "");
    let reordered = f.add("文大陳", "");
    let found = f.find("陳大文");
    assert_eq!(found.first(), Some(&exact), "{found:?}");
    assert!(found.contains(&reordered) && found.contains(&partial));
    // 雯 typed for 文: the person is still found, first.
    assert_eq!(f.find("陳大雯").first(), Some(&exact));
    // Two characters must both be there…
    assert!(f.find("陳雯").is_empty());
    // …unless the whole name sounds the same.
    assert_eq!(f.find("陳達雯"), vec![exact]);
}

#[test]
fn pinyin_full_joined_and_initials_find_a_chinese_name() {
    let f = Fixture::new();
    let chan = f.add("陳大文", "");
    let lee = f.add("李大文", "");
    for q in ["chen da wen", "Chen Da Wen", "chendawen", "chen dawen", "cdw", "c d w", "chen d", "chenda"] {
        assert_eq!(f.find(q).first(), Some(&chan), "{q}");
    }
    assert_eq!(f.find("cdw"), vec![chan]);
    assert_eq!(f.find("li da wen"), vec![lee]);
    for q in ["da wen", "dawen", "dw"] {
        let found = f.find(q);
        assert!(found.len() == 2 && found.contains(&chan) && found.contains(&lee), "{q}");
    }
}

#[test]
fn pinyin_knows_surname_readings_and_compound_surnames() {
    let f = Fixture::new();
    let tsang = f.add("曾小芳", "");
    let auyeung = f.add("歐陽志明", "");
    assert_eq!(f.find("zeng xiao fang"), vec![tsang]);
    assert_eq!(f.find("ouyang"), vec![auyeung]);
    assert_eq!(f.find("ouyang zhiming"), vec![auyeung]);
    assert_eq!(f.find("oyzm"), vec![auyeung]);
}

#[test]
fn cantonese_romanisation_is_found_by_words_and_prefixes() {
    let f = Fixture::new();
    let chan = f.add("陳大文", "CHAN, Tai-man");
    let chang = f.add("張美玲", "Chang Mei Ling");
    for q in ["chan", "Chan Tai Man", "tai m", "chan tai", "chantaiman", "taiman", "ctm", "chan t"] {
        assert_eq!(f.find(q).first(), Some(&chan), "{q}");
    }
    // A whole word ranks above a longer word it begins.
    assert_eq!(f.find("chan"), vec![chan, chang]);
    assert_eq!(f.find("chang"), vec![chang]);
}

#[test]
fn english_names_match_words_case_insensitively_and_the_last_word_as_a_prefix() {
    let f = Fixture::new();
    let maria = f.add("", "Maria SANTOS Dela Cruz");
    let omar = f.add("", "Omar Khan");
    let jose = f.add("", "José Rizal");
    assert_eq!(f.find("MARIA"), vec![maria]);
    assert_eq!(f.find("mar"), vec![maria], "prefixes match at the start of a word only");
    assert_eq!(f.find("santos m"), vec![maria]);
    assert_eq!(f.find("dela cr"), vec![maria]);
    assert_eq!(f.find("kh"), vec![omar]);
    assert_eq!(f.find("jose"), vec![jose]);
    assert!(f.find("maria khan").is_empty(), "every word must match");
}

#[test]
fn any_four_digits_of_a_phone_find_the_person() {
    let f = Fixture::new();
    let mut d = f.doc("陳大文", "");
    d.phones = vec!["91234567".into(), "2345 6789".into()];
    let chan = f.add_doc(d);
    for q in ["2345", "3456", "1234-56", "9123 4567", "+852 9123 4567", "(852) 91234567", "５６７８", "456789"] {
        assert_eq!(f.find(q), vec![chan], "{q}");
    }
    assert!(f.find("912").is_empty(), "fewer than 4 digits is not a phone query");
    assert!(f.find("91234568").is_empty());
    assert_eq!(f.find("陳 4567"), vec![chan], "a name with a phone fragment");
    assert!(f.find("李 4567").is_empty());
}

#[test]
fn a_mainland_mobile_number_is_found_whole_or_in_part() {
    let f = Fixture::new();
    let mut d = f.doc("王芳", "");
    d.phones = vec!["13800138000".into()];
    let wang = f.add_doc(d);
    for q in ["13800138000", "138-0013-8000", "+86 138 0013 8000", "0086 13800138000", "0013 8000", "80013"] {
        assert_eq!(f.find(q), vec![wang], "{q}");
    }
}

#[test]
fn the_last_four_of_an_identity_number_match_exactly() {
    let f = Fixture::new();
    let mut a = f.doc("陳大文", "");
    a.id_last4 = "456A".into();
    let hkid = f.add_doc(a);
    let mut b = f.doc("李小明", "");
    b.id_last4 = "4563".into();
    let mainland = f.add_doc(b);
    for q in ["456A", "456a", "456(A)", "A123456(A)"] {
        assert_eq!(f.find(q), vec![hkid], "{q}");
    }
    assert_eq!(f.find("4563"), vec![mainland]);
    assert_eq!(f.find("110101199003074563"), vec![mainland], "a whole mainland identity number");
    assert!(f.find("456").is_empty());
}

#[test]
fn another_agencys_clients_are_never_returned() {
    let f = Fixture::new();
    let mut ours = f.doc("陳大文", "Chan Tai Man");
    ours.phones = vec!["91234567".into()];
    ours.id_last4 = "456A".into();
    let ours = f.add_doc(ours);
    let mut theirs = f.doc("陳大文", "Chan Tai Man");
    theirs.org_id = OrgId::new();
    theirs.phones = vec!["91234567".into()];
    theirs.id_last4 = "456A".into();
    let theirs_org = theirs.org_id;
    let theirs = f.add_doc(theirs);
    for q in ["陳大文", "chan", "4567", "456A", "cdw"] {
        assert_eq!(f.find(q), vec![ours], "{q}");
        assert_eq!(f.search.search(theirs_org, q, None, 20).expect("search"), vec![theirs], "{q}");
    }
    assert!(f.search.search(OrgId::new(), "陳大文", None, 20).expect("search").is_empty());
}

#[test]
fn a_unit_filter_returns_only_clients_of_those_units() {
    let f = Fixture::new();
    let here = f.add("陳大文", "");
    let mut there = f.doc("陳大文", "");
    let other_unit = UnitId::new();
    there.unit_id = other_unit;
    let there = f.add_doc(there);
    let search = |units: Option<&[UnitId]>| f.search.search(f.org, "陳大文", units, 20).expect("search");
    assert_eq!(search(Some(&[f.unit])), vec![here]);
    assert_eq!(search(Some(&[other_unit])), vec![there]);
    assert_eq!(search(Some(&[f.unit, other_unit])).len(), 2);
    assert_eq!(search(None).len(), 2);
    assert!(search(Some(&[])).is_empty());
}

#[test]
fn inactive_records_are_never_returned() {
    let f = Fixture::new();
    let mut merged = f.doc("陳大文", "Chan Tai Man");
    merged.phones = vec!["91234567".into()];
    merged.id_last4 = "456A".into();
    merged.active = false;
    f.add_doc(merged);
    for q in ["陳大文", "chan", "cdw", "4567", "456A"] {
        assert!(f.find(q).is_empty(), "{q}");
    }
    assert_eq!(f.search.count().expect("count"), 1, "kept, but not findable");
}

#[test]
fn upserting_again_replaces_the_record() {
    let f = Fixture::new();
    let mut d = f.doc("陳大文", "Chan Tai Man");
    d.phones = vec!["91234567".into()];
    let id = f.add_doc(d.clone());
    d.name_zh = "李小明".into();
    d.name_en = "Lee Siu Ming".into();
    d.phones = vec!["62345678".into()];
    f.add_doc(d);
    assert!(f.find("陳大文").is_empty());
    assert!(f.find("chan").is_empty());
    assert!(f.find("91234567").is_empty());
    assert_eq!(f.find("李小明"), vec![id]);
    assert_eq!(f.find("6234"), vec![id]);
    assert_eq!(f.search.count().expect("count"), 1);
}

#[test]
fn deleted_and_cleared_records_are_gone() {
    let f = Fixture::new();
    let chan = f.add("陳大文", "");
    let lee = f.add("李小明", "");
    f.search.delete(&[chan]).expect("delete");
    assert!(f.find("陳大文").is_empty());
    assert_eq!(f.find("李小明"), vec![lee]);
    assert_eq!(f.search.count().expect("count"), 1);
    f.search.clear().expect("clear");
    assert!(f.find("李小明").is_empty());
    assert_eq!(f.search.count().expect("count"), 0);
}

#[test]
fn results_are_limited_and_nonsense_finds_nothing() {
    let f = Fixture::new();
    for given in ["大文", "小明", "美玲", "志強", "嘉欣"] {
        f.add(&format!("陳{given}"), "");
    }
    assert_eq!(f.search.search(f.org, "陳", None, 3).expect("search").len(), 3);
    assert!(f.search.search(f.org, "陳", None, 0).expect("search").is_empty());
    for q in ["", "   ", "--", "12", "xyz"] {
        assert!(f.find(q).is_empty(), "{q:?}");
    }
}

#[test]
fn an_index_on_disk_keeps_its_records_when_reopened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("clients.search");
    let org = OrgId::new();
    let id = ClientId::new();
    {
        let search = ClientSearch::open(&path).expect("open");
        assert!(search.needs_rebuild());
        let doc = ClientDoc {
            org_id: org,
            id,
            unit_id: UnitId::new(),
            name_zh: "陳大文".into(),
            name_en: String::new(),
            phones: vec!["91234567".into()],
            id_last4: String::new(),
            active: true,
        };
        search.upsert(&[doc]).expect("upsert");
    }
    let search = ClientSearch::open(&path).expect("reopen");
    assert!(!search.needs_rebuild());
    assert_eq!(search.count().expect("count"), 1);
    assert_eq!(search.search(org, "陈大文", None, 10).expect("search"), vec![id]);
    assert_eq!(search.search(org, "2345", None, 10).expect("search"), vec![id]);
}

#[test]
fn an_index_with_another_schema_is_wiped_and_recreated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("clients.search");
    std::fs::create_dir_all(&path).expect("mkdir");
    std::fs::write(path.join("README.txt"), "not ours").expect("write");
    {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING);
        let name = b.add_text_field("name", TEXT);
        let index = Index::create_in_dir(&path, b.build()).expect("old index");
        let mut writer: IndexWriter<TantivyDocument> = index.writer(20_000_000).expect("writer");
        let mut doc = TantivyDocument::new();
        doc.add_text(id, "x");
        doc.add_text(name, "chan");
        writer.add_document(doc).expect("add");
        writer.commit().expect("commit");
    }
    let search = ClientSearch::open(&path).expect("open wipes the old index");
    assert!(search.needs_rebuild());
    assert_eq!(search.count().expect("count"), 0);
    let org = OrgId::new();
    let doc = ClientDoc {
        org_id: org,
        id: ClientId::new(),
        unit_id: UnitId::new(),
        name_zh: "陳大文".into(),
        name_en: String::new(),
        phones: Vec::new(),
        id_last4: String::new(),
        active: true,
    };
    search.upsert(std::slice::from_ref(&doc)).expect("upsert");
    assert_eq!(search.search(org, "陳大文", None, 10).expect("search"), vec![doc.id]);
    assert!(path.join("README.txt").exists(), "files that are not the index are left alone");
}

#[test]
fn an_index_of_an_older_format_or_damaged_is_recreated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("clients.search");
    std::fs::create_dir_all(&path).expect("mkdir");
    {
        // Same schema, but terms made by an older version.
        let (schema, _) = Fields::schema();
        let index = Index::create_in_dir(&path, schema).expect("old index");
        let mut writer: IndexWriter<TantivyDocument> = index.writer(20_000_000).expect("writer");
        let mut prepared = writer.prepare_commit().expect("prepare");
        prepared.set_payload("shegong-search/0");
        prepared.commit().expect("commit");
    }
    let search = ClientSearch::open(&path).expect("open");
    assert!(search.needs_rebuild());
    drop(search);
    assert!(!ClientSearch::open(&path).expect("reopen").needs_rebuild());

    std::fs::write(path.join("meta.json"), "{ not json").expect("damage");
    let search = ClientSearch::open(&path).expect("open damaged");
    assert!(search.needs_rebuild());
    assert_eq!(search.count().expect("count"), 0);
}

#[test]
fn an_index_in_use_by_another_writer_is_not_wiped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("clients.search");
    std::fs::create_dir_all(&path).expect("mkdir");
    let mut b = Schema::builder();
    let name = b.add_text_field("name", TEXT);
    let index = Index::create_in_dir(&path, b.build()).expect("old index");
    let mut writer: IndexWriter<TantivyDocument> = index.writer(20_000_000).expect("writer");
    let mut doc = TantivyDocument::new();
    doc.add_text(name, "chan");
    writer.add_document(doc).expect("add");
    writer.commit().expect("commit");

    let refused = ClientSearch::open(&path);
    assert!(matches!(refused, Err(SearchError::Index(_))), "{:?}", refused.err());
    index.reader().expect("reader").reload().expect("reload");
    assert_eq!(index.reader().expect("reader").searcher().num_docs(), 1, "the old index is intact");

    drop(writer);
    assert!(ClientSearch::open(&path).expect("open once it is free").needs_rebuild());
}

#[test]
fn the_default_directory_sits_next_to_a_sqlite_file() {
    assert_eq!(default_dir("shegong.db"), PathBuf::from("shegong.db.search"));
    assert_eq!(default_dir("sqlite://data/x.db?mode=rwc"), PathBuf::from("data/x.db.search"));
    assert_eq!(default_dir("sqlite:/var/lib/shegong/main.db"), PathBuf::from("/var/lib/shegong/main.db.search"));
    assert_eq!(default_dir("postgres://user@host/shegong"), PathBuf::from("shegong-search"));
    assert_eq!(default_dir("postgresql://host/db"), PathBuf::from("shegong-search"));
    assert_eq!(default_dir("sqlite::memory:"), PathBuf::from("shegong-search"));
}

#[test]
fn errors_become_storage_errors() {
    let e: DomainError = SearchError::BadId("x".into()).into();
    assert!(matches!(e, DomainError::Storage(m) if m.contains("invalid client id")));
}
