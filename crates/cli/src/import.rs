//! `shegong import clients FILE --unit CODE [--dry-run]`: registers the clients of a CSV or
//! Excel file from the command line, with a progress bar. Same checks as the web import:
//! every bad row is listed with its row number, and nothing is registered unless every row
//! is good. People already registered are skipped, so running a file twice is safe.
//!
//! Exit status: 0 when the check passed (dry run) or the rows were registered; 1 when the
//! file or any row has a problem (nothing registered).

use crate::CliError;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use shegong_domain::accounts::Actor;
use shegong_domain::clock::Clock;
use shegong_domain::ids::OrgId;
use shegong_domain::locale::Locale;
use shegong_domain::ports::{ClientsRepo, UnitsRepo};
use shegong_domain::units::ServiceUnit;
use shegong_domain::DomainError;
use shegong_store::Store;
use shegong_web::clients::import::{self, ImportReport, ImportRequest, PlanOptions, Progress, Repo, Stage, Target};
use shegong_web::tabular::{self, ReadOptions};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Register clients from a CSV or Excel file: all rows, or none when any row has a problem.
    Clients(ImportClientsArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ImportClientsArgs {
    /// The CSV (UTF-8, GBK, Big5, UTF-16) or Excel (.xlsx, .xls, .ods) file.
    pub file: PathBuf,
    /// Code of the service unit that registers the people.
    #[arg(long)]
    pub unit: String,
    /// Only check the file and report; register no one.
    #[arg(long)]
    pub dry_run: bool,
    /// The agency, when several have a unit with this code.
    #[arg(long)]
    pub agency: Option<OrgId>,
    /// CSV text encoding (utf-8, gbk, big5, …); detected when not given.
    #[arg(long)]
    pub encoding: Option<String>,
    /// Column mapping overrides, one field per column in order, empty to keep the guess:
    /// `name_zh,,phones,ignore`.
    #[arg(long)]
    pub mapping: Option<String>,
    /// Language of the report: en, zh-Hant-HK or zh-Hans-CN.
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// Write every problem to this CSV file (row, column, message).
    #[arg(long)]
    pub errors: Option<PathBuf>,
}

/// Runs `shegong import …`; returns the exit status.
pub async fn run(store: &Store, clock: Arc<dyn Clock>, command: &ImportCommand) -> Result<i32, CliError> {
    match command {
        ImportCommand::Clients(args) => import_clients(store, clock, args, true).await.map(|(status, _)| status),
    }
}

async fn find_unit(store: &Store, code: &str, agency: Option<OrgId>) -> Result<ServiceUnit, CliError> {
    let mut found = Vec::new();
    for a in store.list_agencies().await? {
        if agency.is_some_and(|want| want != a.id) {
            continue;
        }
        found.extend(store.list_units(a.id).await?.into_iter().filter(|u| u.code.eq_ignore_ascii_case(code.trim())));
    }
    match found.len() {
        0 => Err(CliError::Usage(format!("no service unit has the code {code}"))),
        1 => Ok(found.remove(0)),
        _ => Err(CliError::Usage(format!("several agencies have a unit {code}: choose one with --agency"))),
    }
}

fn mapping(s: Option<&str>) -> Result<HashMap<usize, String>, CliError> {
    let mut out = HashMap::new();
    for (i, code) in s.unwrap_or_default().split(',').enumerate() {
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        if Target::parse(code).is_none() {
            let known: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
            return Err(CliError::Usage(format!("unknown field {code} in --mapping; use one of {}", known.join(", "))));
        }
        out.insert(i, code.to_string());
    }
    Ok(out)
}

fn progress_bar(show: bool) -> (ProgressBar, Progress) {
    let bar = if show { ProgressBar::new(0) } else { ProgressBar::hidden() };
    let style = ProgressStyle::with_template("{spinner} {msg:<24} [{bar:40}] {pos}/{len} rows ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let b = bar.clone();
    let progress: Progress = Arc::new(move |stage| match stage {
        Stage::Reading => b.set_message("reading the file"),
        Stage::Checking { done, total } => {
            b.set_message("checking rows");
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
        Stage::Comparing => b.set_message("comparing with the registry"),
        Stage::Saving => b.set_message("registering"),
    });
    (bar, progress)
}

/// Imports (or checks) one file; returns the exit status and the report (None when the file
/// itself could not be read). `interactive`: draw the progress bar (only ever on a terminal)
/// and print the report.
pub async fn import_clients(
    store: &Store,
    clock: Arc<dyn Clock>,
    args: &ImportClientsArgs,
    interactive: bool,
) -> Result<(i32, Option<ImportReport>), CliError> {
    let locale: Locale = args.lang.parse().map_err(|_| CliError::Usage(format!("unknown language {}", args.lang)))?;
    let size = std::fs::metadata(&args.file)?.len();
    if size > tabular::MAX_FILE_BYTES as u64 {
        let e = shegong_domain::FieldError::new("file", "file-too-large").with("max", tabular::MAX_FILE_BYTES / (1024 * 1024));
        println!("{}", shegong_web::page::field_message(locale, &e));
        return Ok((1, None));
    }
    let bytes = std::fs::read(&args.file)?;
    let unit = find_unit(store, &args.unit, args.agency).await?;
    let org = unit.org_id;
    let agency = store.agency(org).await?;
    let tz: chrono_tz::Tz = agency.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong);
    let encoding = match args.encoding.as_deref() {
        None => None,
        Some(label) => Some(tabular::encoding_for_label(label).ok_or_else(|| CliError::Usage(format!("unknown encoding {label}")))?),
    };
    let request = ImportRequest {
        bytes: Arc::new(bytes),
        file_name: args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        read: ReadOptions { encoding, region: None },
        plan: PlanOptions {
            unit_id: unit.id,
            today: clock.now().with_timezone(&tz).date_naive(),
            categories: store.categories(org).await?,
            overrides: mapping(args.mapping.as_deref())?,
        },
        dry_run: args.dry_run,
    };
    let (bar, progress) = progress_bar(interactive);
    let actor = Actor { org_id: org, user_id: None, name: "command line import".into() };
    let result = import::import_file(&Repo(store as &dyn ClientsRepo), &actor, &request, progress).await;
    bar.finish_and_clear();
    let result = match result {
        Ok(r) => r,
        Err(DomainError::Invalid(errors)) => {
            for e in errors {
                println!("{}", shegong_web::page::field_message(locale, &e));
            }
            return Ok((1, None));
        }
        Err(e) => return Err(e.into()),
    };
    let report = ImportReport::new(&result, locale);
    if interactive {
        print_report(&mut std::io::stdout().lock(), &report, &unit, locale)?;
    }
    if let Some(path) = &args.errors {
        std::fs::write(path, import::errors_csv(&result.plan, locale))?;
        if interactive {
            println!("problems written to {}", path.display());
        }
    }
    let ok = report.errors.is_empty() && report.file_errors.is_empty() && report.valid > 0;
    Ok((if ok { 0 } else { 1 }, Some(report)))
}

/// Times an import of `rows` invented people into `unit` (which should have no clients
/// yet): the dry run, the import, and the same file again (everyone already registered).
/// Returns (measurement, result) lines for `shegong bench`.
pub async fn bench(store: &Store, clock: Arc<dyn Clock>, unit: &ServiceUnit, rows: usize) -> Result<Vec<(String, String)>, CliError> {
    let file = std::env::temp_dir().join(format!("shegong-import-bench-{}.csv", std::process::id()));
    std::fs::write(&file, synthetic_csv(rows))?;
    let args = |dry_run| ImportClientsArgs {
        file: file.clone(),
        unit: unit.code.clone(),
        dry_run,
        agency: Some(unit.org_id),
        encoding: None,
        mapping: None,
        lang: "en".into(),
        errors: None,
    };
    let mut out = Vec::new();
    for (label, dry_run) in [("dry run", true), ("import", false), ("same file again", false)] {
        let t = std::time::Instant::now();
        let (status, report) = import_clients(store, clock.clone(), &args(dry_run), false).await?;
        let el = t.elapsed();
        let Some(r) = report.filter(|_| status == 0) else {
            let _ = std::fs::remove_file(&file);
            return Err(CliError::Usage("the benchmark file did not import cleanly".into()));
        };
        let detail = match (r.created, r.already_registered) {
            (Some(c), Some(a)) => format!("{c} created, {a} already registered"),
            (_, Some(a)) => format!("{a} already registered"),
            _ => String::new(),
        };
        out.push((
            format!("import clients from CSV, {label} (n={rows})"),
            format!("{:.1} s ({:.0} rows/s; {detail})", el.as_secs_f64(), rows as f64 / el.as_secs_f64()),
        ));
    }
    let _ = std::fs::remove_file(&file);
    Ok(out)
}

/// Most problems printed; `--errors FILE` has them all.
const PRINTED_ERRORS: usize = 50;

fn print_report(out: &mut impl Write, r: &ImportReport, unit: &ServiceUnit, locale: Locale) -> std::io::Result<()> {
    let t = |k: &str| shegong_web::i18n::t(locale, k);
    let n = |v: u64| shegong_web::i18n::number(v as i64);
    writeln!(
        out,
        "{} · {} · {}",
        unit.code,
        unit.name(locale),
        [Some(r.format.to_uppercase()), r.encoding.clone(), r.sheet.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ")
    )?;
    writeln!(out, "{}: {}", t("import-summary-rows"), n(r.rows))?;
    writeln!(out, "{}: {}", t("import-summary-valid"), n(r.valid))?;
    writeln!(out, "{}: {}", t("import-summary-errors"), n(r.rows_with_errors))?;
    if !r.committed {
        if let Some(a) = r.already_registered {
            writeln!(out, "{}: {}", t("import-summary-registered"), n(a))?;
        }
    }
    for e in &r.file_errors {
        writeln!(out, "{}", e.message)?;
    }
    for e in r.errors.iter().take(PRINTED_ERRORS) {
        let column = e.column.clone().unwrap_or_else(|| e.field.clone());
        writeln!(out, "  {} {} · {}: {}", t("import-col-row"), e.row, column, e.message)?;
    }
    if r.errors.len() > PRINTED_ERRORS {
        let shown = [("shown", n(PRINTED_ERRORS as u64)), ("total", n(r.errors.len() as u64))];
        writeln!(out, "  {}", shegong_web::i18n::t_args(locale, "import-errors-more", &shown))?;
    }
    if r.committed {
        let args = [("created", n(r.created.unwrap_or(0))), ("skipped", n(r.already_registered.unwrap_or(0)))];
        writeln!(out, "{}", shegong_web::i18n::t_args(locale, "import-committed", &args))?;
    } else if r.rows_with_errors > 0 {
        let key = if r.already_registered.is_some() { "import-dry-run-bad" } else { "import-refused" };
        writeln!(out, "{}", shegong_web::i18n::t_args(locale, key, &[("count", n(r.rows_with_errors))]))?;
    } else if r.file_errors.is_empty() && r.valid > 0 {
        writeln!(out, "{}", t("import-dry-run-ok"))?;
    }
    Ok(())
}

/// A file of `rows` invented people (for the benchmark and tests): names, sex, birth date,
/// phone, district, address, language and a category, as an agency's sheet has them.
pub fn synthetic_csv(rows: usize) -> String {
    let mut csv = String::with_capacity(rows * 96 + 128);
    csv.push_str("姓名,英文姓名,性別,出生日期,電話,地區,地址,語言,類別\n");
    let surnames = ["陳", "李", "張", "黃", "何", "林", "吳", "劉", "蔡", "楊"];
    let given = ["大文", "小華", "志明", "美玲", "家豪", "淑儀", "俊傑", "麗珍", "偉強", "秀英"];
    let districts = ["灣仔", "東區", "深水埗", "觀塘", "沙田", "屯門"];
    let cats = ["獨居長者", "殘疾人士", "低收入", "照顧者"];
    for i in 0..rows {
        let name = format!("{}{}{}", surnames[i % 10], given[(i / 10) % 10], i);
        let sex = if i % 2 == 0 { "男" } else { "女" };
        let (y, m, d) = (1930 + i % 70, 1 + i % 12, 1 + i % 28);
        let phone = 90_000_000 + (i % 9_999_999);
        let _ = std::fmt::Write::write_fmt(
            &mut csv,
            format_args!(
                "{name},Person {i},{sex},{y}-{m:02}-{d:02},{phone},{},{}道{}號,廣東話,{}\n",
                districts[i % districts.len()],
                districts[(i / 7) % districts.len()],
                i % 500 + 1,
                cats[i % cats.len()],
            ),
        );
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;
    use shegong_testkit::{seed, Backend, TestDb};

    fn args(file: PathBuf, dry_run: bool) -> ImportClientsArgs {
        ImportClientsArgs {
            file,
            unit: "unit-a".into(),
            dry_run,
            agency: None,
            encoding: None,
            mapping: None,
            lang: "zh-Hant-HK".into(),
            errors: None,
        }
    }

    #[tokio::test]
    async fn a_file_is_checked_imported_and_safe_to_run_again() {
        let Some(db) = TestDb::new(Backend::Sqlite).await else { return };
        let seeded = seed(&db.store, "imp").await;
        let dir = std::env::temp_dir().join(format!("shegong-import-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("clients.csv");
        std::fs::write(&file, synthetic_csv(300)).expect("write");
        let clock: Arc<dyn Clock> = db.clock.clone();

        assert_eq!(import_clients(&db.store, clock.clone(), &args(file.clone(), true), false).await.expect("dry run").0, 0);
        assert_eq!(db.store.client_count().await.expect("count"), 0);
        assert_eq!(import_clients(&db.store, clock.clone(), &args(file.clone(), false), false).await.expect("import").0, 0);
        assert_eq!(db.store.client_count().await.expect("count"), 300);
        // Again: everyone is already registered, no one is added.
        assert_eq!(import_clients(&db.store, clock.clone(), &args(file.clone(), false), false).await.expect("again").0, 0);
        assert_eq!(db.store.client_count().await.expect("count"), 300);
        let page = db.store.list_clients(seeded.org, &Default::default(), None, 0, 1).await.expect("list");
        assert_eq!(page.clients[0].unit_id, seeded.unit_a.id);

        // One bad row: nothing registered, status 1, the problem written out.
        let bad = dir.join("bad.csv");
        std::fs::write(&bad, "姓名,電話\n新人甲,91234567\n新人乙,123\n").expect("write");
        let mut a = args(bad, false);
        a.errors = Some(dir.join("problems.csv"));
        assert_eq!(import_clients(&db.store, clock.clone(), &a, false).await.expect("refused").0, 1);
        assert_eq!(db.store.client_count().await.expect("count"), 300);
        let problems = tabular::read(&std::fs::read(dir.join("problems.csv")).expect("problems"), "p.csv").expect("csv");
        assert_eq!(problems.rows[0].cells[0], "3");

        let mut unknown = args(file, true);
        unknown.unit = "NOPE".into();
        assert!(matches!(import_clients(&db.store, clock, &unknown, false).await, Err(CliError::Usage(_))));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn mapping_overrides_are_checked() {
        assert_eq!(mapping(Some("name_zh,,phones")).expect("ok"), HashMap::from([(0, "name_zh".into()), (2, "phones".into())]));
        assert!(mapping(Some("nom")).is_err());
        assert!(mapping(None).expect("none").is_empty());
    }
}
