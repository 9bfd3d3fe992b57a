//! The `shegong` command: settings and wiring. The work itself lives in the other crates.

pub mod bench;
pub mod bulk;
pub mod import;
pub mod osm;
pub mod report;
pub mod settings;

use clap::{Parser, Subcommand};
use settings::{Settings, SettingsArgs};
use shegong_domain::accounts::{check_password, NewUser, Role};
use shegong_domain::clock::{Clock, SystemClock};
use shegong_domain::error::Validator;
use shegong_domain::ids::OrgId;
use shegong_domain::locale::Locale;
use shegong_domain::ports::{AccountsRepo, ActivitiesRepo, AuditRepo, UnitsRepo};
use shegong_domain::units::Agency;
use shegong_store::{Store, StoreOptions};
use shegong_web::{AppState, WebConfig};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Store(#[from] shegong_store::StoreError),
    #[error("{0}")]
    Web(#[from] shegong_web::AppError),
    #[error("{0}")]
    Domain(#[from] shegong_domain::DomainError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("settings: {0}")]
    Settings(String),
    #[error("{0}")]
    Usage(String),
}

impl From<shegong_search::SearchError> for CliError {
    fn from(e: shegong_search::SearchError) -> Self {
        CliError::Settings(e.to_string())
    }
}

#[derive(Parser, Debug)]
#[command(name = "shegong", version, about = "Case, service and statistics platform for community social-work agencies")]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Seed a demo agency with service units and staff when the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Seed the demo agency into an empty database, and optionally synthetic clients.
    Demo {
        /// How many synthetic clients to add to the first agency (invented people).
        #[arg(long, default_value_t = 0)]
        clients: usize,
        /// How many units the synthetic activities of --attendance are spread over (invented
        /// units are added when the agency has fewer).
        #[arg(long, default_value_t = 200)]
        activities_units: usize,
        /// Attendance rows of synthetic activities over the last three years (up to 10,000,000;
        /// 0: none). Written in bulk; the count rollups are rebuilt at the end.
        #[arg(long, default_value_t = 0)]
        attendance: u64,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of a running SQLite database.
    Backup {
        /// The file to write (must not exist yet).
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the SQLite database with a backup. Stop the server first.
    Restore {
        /// The backup file to restore from.
        #[arg(long)]
        from: PathBuf,
        /// Overwrite an existing database.
        #[arg(long)]
        force: bool,
    },
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Groups, programmes and activities.
    #[command(subcommand)]
    Activities(ActivitiesCommand),
    /// Print the OpenAPI document of the JSON API.
    Openapi,
    /// The client search index.
    #[command(subcommand)]
    Search(SearchCommand),
    /// Import records from a file.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Reports for centre directors and funders, as files.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Coverage (便利圈): the walking network.
    #[command(subcommand)]
    Coverage(CoverageCommand),
    /// Time the hot paths on a new, empty database and print a Markdown table.
    Bench {
        /// How many records to write.
        #[arg(long, default_value_t = 2000)]
        writes: usize,
        /// How many requests per page.
        #[arg(long, default_value_t = 500)]
        requests: usize,
        /// How many rows the client import benchmark imports (0 to skip).
        #[arg(long, default_value_t = 100_000)]
        import_rows: usize,
        /// How many attendance rows to generate before timing the activity counts (0 to skip the
        /// activities section; docs/PERFORMANCE.md uses 1,000,000).
        #[arg(long, default_value_t = 20_000)]
        attendance_rows: u64,
        /// How many attendance markers work at once.
        #[arg(long, default_value_t = 50)]
        markers: usize,
        /// How many hotline operators log calls at once (0 to skip).
        #[arg(long, default_value_t = 20)]
        operators: usize,
        /// How many synthetic residents the coverage section times (0 to skip; 500 service
        /// points).
        #[arg(long, default_value_t = 1_000_000)]
        coverage_residents: usize,
    },
}

#[derive(Subcommand, Debug)]
pub enum CoverageCommand {
    /// Import a walking network from an OpenStreetMap extract (`.osm.pbf`, or `.osm` XML),
    /// replacing the agency's previous one.
    ImportOsm {
        /// The extract, e.g. `hong-kong-latest.osm.pbf`.
        file: PathBuf,
        /// The agency (its id); may be left out when the database holds one agency.
        #[arg(long)]
        agency: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an administrator (and the agency, on a new installation).
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "Administrator")]
        display_name: String,
        /// Name of the agency to create when the database has none.
        #[arg(long)]
        agency_name: Option<String>,
        /// IANA time zone of a new agency.
        #[arg(long, default_value = "Asia/Hong_Kong")]
        time_zone: String,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password, clear any lock-out and end the user's sessions.
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SearchCommand {
    /// Rebuild the index from the database (it is derived data; safe at any time).
    Rebuild,
}

#[derive(Subcommand, Debug)]
pub enum ActivitiesCommand {
    /// Derive the activity count rollups again from the attendance rows (safe at any time).
    RebuildRollups,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Re-compute every agency's hash chain; exits with status 1 when any is broken.
    Verify,
}

async fn open_store(s: &Settings, clock: Arc<dyn Clock>) -> Result<Store, CliError> {
    let mut o = StoreOptions::new(&s.database_url);
    o.durability = s.durability;
    Ok(Store::open(&o, clock).await?)
}

fn read_password(from_stdin: bool) -> Result<(String, bool), CliError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let pw = line.trim_end_matches(['\r', '\n']).to_string();
        let mut v = Validator::new();
        check_password(&mut v, "password", &pw);
        v.finish().map_err(|_| {
            CliError::Usage(format!(
                "the password must have {}–{} characters",
                shegong_domain::accounts::MIN_PASSWORD_LEN,
                shegong_domain::accounts::MAX_PASSWORD_LEN
            ))
        })?;
        Ok((pw, false))
    } else {
        Ok((shegong_web::ctx::random_token()[..20].to_string(), true))
    }
}

pub async fn run(cli: Cli) -> Result<i32, CliError> {
    let settings = Settings::load(&cli.settings)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve { demo } => {
            let store = open_store(&settings, clock.clone()).await?;
            if demo && shegong_web::demo::seed_if_empty(&store).await? {
                let n = shegong_web::demo::seed_demo_clients(&store, 300, 2026).await?;
                let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Hong_Kong).date_naive();
                let cases = shegong_web::demo::cases::seed_demo_cases(&store, 80, 2026, today).await?;
                let activities = shegong_web::demo::activities::seed_demo_activities(&store, 2026, today).await?;
                let volunteers = shegong_web::demo::volunteers::seed_demo_volunteers(&store, today).await?;
                let toys = shegong_web::demo::lending::seed_demo_lending(&store, today).await?;
                shegong_web::demo::reports::seed_demo_targets(&store, today).await?;
                let requests = shegong_web::demo::assistance::seed_demo_assistance(&store, today).await?;
                let cells = shegong_web::demo::coverage::seed_demo_coverage(&store).await?;
                let contacted = shegong_web::demo::outreach::seed_demo_outreach(&store, today).await?;
                print_demo_logins();
                println!(
                    "{n} synthetic clients, {cases} cases, {activities} activities, {volunteers} volunteers, {toys} toys, {requests} assistance requests, {cells} population grid cells and an outreach session with {contacted} people registered (invented people, for trying things out)"
                );
            }
            serve(settings, store, clock).await?;
        }
        Command::Migrate => {
            let store = Store::connect(&StoreOptions::new(&settings.database_url), clock).await?;
            let pending = store.pending_migrations().await?;
            store.migrate().await?;
            println!("applied {} migration(s)", pending.len());
            for m in pending {
                println!("  {m}");
            }
        }
        Command::Demo { clients, activities_units, attendance } => {
            if attendance > MAX_DEMO_ATTENDANCE {
                return Err(CliError::Usage(format!("--attendance is at most {MAX_DEMO_ATTENDANCE}")));
            }
            let store = open_store(&settings, clock).await?;
            if shegong_web::demo::seed_if_empty(&store).await? {
                print_demo_logins();
            }
            if clients > 0 {
                let started = std::time::Instant::now();
                let n = shegong_web::demo::seed_demo_clients(&store, clients, rand::random()).await?;
                println!("{n} synthetic clients registered in {:.1} s", started.elapsed().as_secs_f64());
                println!("the search index catches up when the server next starts (or run `shegong search rebuild`)");
            }
            if attendance > 0 {
                demo_attendance(&store, activities_units, attendance).await?;
            }
        }
        Command::User(cmd) => user(&settings, clock, cmd).await?,
        Command::Backup { to } => {
            let store = open_store(&settings, clock).await?;
            store.backup(&to).await?;
            println!("backup written to {}", to.display());
        }
        Command::Restore { from, force } => {
            settings::restore_sqlite(&settings.database_url, &from, force, clock).await?;
            println!("restored {} into {}", from.display(), settings.database_url);
        }
        Command::Activities(ActivitiesCommand::RebuildRollups) => {
            let store = open_store(&settings, clock).await?;
            for a in store.list_agencies().await? {
                store.rebuild_activity_rollups(a.id).await?;
                println!("{} ({}): activity rollups rebuilt", a.name(Locale::En), a.id);
            }
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = open_store(&settings, clock).await?;
            let mut broken = false;
            for a in store.list_agencies().await? {
                let r = store.verify_audit(a.id).await?;
                match r.first_bad_seq {
                    None => println!("{} ({}): intact, {} entries", a.name(Locale::En), a.id, r.entries),
                    Some(seq) => {
                        broken = true;
                        println!("{} ({}): BROKEN at entry {seq}", a.name(Locale::En), a.id);
                    }
                }
            }
            return Ok(if broken { 1 } else { 0 });
        }
        Command::Coverage(CoverageCommand::ImportOsm { file, agency }) => {
            let store = open_store(&settings, clock).await?;
            let agencies = store.list_agencies().await?;
            let org = match agency {
                Some(a) => {
                    let id: OrgId = a.parse().map_err(|_| CliError::Usage(format!("not an agency id: {a}")))?;
                    agencies.iter().find(|x| x.id == id).map(|x| x.id).ok_or_else(|| CliError::Usage(format!("no agency {a}")))?
                }
                None => match agencies.as_slice() {
                    [one] => one.id,
                    [] => return Err(CliError::Usage("no agency yet".into())),
                    _ => return Err(CliError::Usage("several agencies: name one with --agency".into())),
                },
            };
            let started = std::time::Instant::now();
            let path = file.clone();
            let graph = tokio::task::spawn_blocking(move || osm::read(&path)).await.map_err(|e| CliError::Usage(e.to_string()))??;
            if graph.edge_count() == 0 {
                return Err(CliError::Usage(format!("{}: no walkable ways found", file.display())));
            }
            let source = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let info =
                shegong_domain::ports::CoverageRepo::save_network(&store, &shegong_domain::accounts::Actor::system(org), &graph, &source)
                    .await?;
            println!(
                "walking network imported from {}: {} nodes, {} edges in {:.1} s",
                info.source,
                info.nodes,
                info.edges,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Bench { writes, requests, import_rows, attendance_rows, markers, operators, coverage_residents } => {
            // Never write bench data into the default database: use a scratch file unless told.
            let explicit = cli.settings.database_url.is_some() || cli.settings.config.is_some();
            let scratch = std::env::temp_dir().join(format!("shegong-bench-{}.db", std::process::id()));
            let url = if explicit { settings.database_url.clone() } else { scratch.to_string_lossy().to_string() };
            let sizes = bench::BenchSizes { writes, requests, import_rows, attendance_rows, markers, operators, coverage_residents };
            let results = bench::run(&url, &sizes).await;
            if !explicit {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{url}{suffix}"));
                }
            }
            let results = results?;
            println!("| measurement | result |\n|---|---|");
            for r in results {
                println!("| {} | {} |", r.name, r.value);
            }
        }
        Command::Import(cmd) => {
            let store = open_store(&settings, clock.clone()).await?;
            let code = import::run(&store, clock, &cmd).await?;
            if code == 0 {
                println!("the search index catches up when the server next starts (or run `shegong search rebuild`)");
            }
            return Ok(code);
        }
        Command::Report(cmd) => {
            let store = open_store(&settings, clock.clone()).await?;
            report::run(&store, clock, &cmd).await?;
        }
        Command::Search(SearchCommand::Rebuild) => {
            let store = open_store(&settings, clock).await?;
            let search = open_search(&settings)?;
            let n = rebuild_search(&store, &search).await?;
            println!("search index rebuilt: {n} clients");
        }
        Command::Openapi => {
            let doc = shegong_web::api::v1::openapi();
            println!("{}", doc.to_pretty_json().map_err(|e| CliError::Usage(e.to_string()))?);
        }
    }
    Ok(0)
}

/// The most attendance rows `demo --attendance` writes (the benchmark scale of the issue).
const MAX_DEMO_ATTENDANCE: u64 = 10_000_000;

/// `demo --attendance`: three years of synthetic activities for the first agency.
async fn demo_attendance(store: &Store, units: usize, rows: u64) -> Result<(), CliError> {
    let agency = store.list_agencies().await?.into_iter().next().ok_or_else(|| CliError::Usage("no agency".into()))?;
    let users = shegong_domain::ports::AccountsRepo::list_users(store, agency.id).await?;
    let admin =
        users.iter().find(|u| u.grants.has_role(Role::Admin)).ok_or_else(|| CliError::Usage("the agency has no administrator".into()))?;
    let actor = shegong_domain::accounts::Actor::from(admin);
    let tz: chrono_tz::Tz = agency.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong);
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let mut shown = 0;
    let r = bulk::generate(store, &actor, units, rows, rand::random(), today, |n| {
        // A line per million rows: long runs show they are moving.
        if n / 1_000_000 > shown {
            shown = n / 1_000_000;
            println!("  {n} attendance rows written");
        }
    })
    .await?;
    println!(
        "{} attendance rows in {} activities ({} sessions, {} persons, {} units) written in {:.1} s; rollups rebuilt in {:.1} s",
        r.rows, r.activities, r.sessions, r.persons, r.units, r.insert_secs, r.rebuild_secs
    );
    Ok(())
}

fn print_demo_logins() {
    println!("Demo agency created. Sign in with any of these (password: {}):", shegong_web::demo::DEMO_PASSWORD);
    for l in shegong_web::demo::DEMO_LOGINS {
        println!("  {:<12} {}", l.username, l.role.as_str());
    }
}

async fn user(settings: &Settings, clock: Arc<dyn Clock>, cmd: UserCommand) -> Result<(), CliError> {
    let store = open_store(settings, clock.clone()).await?;
    match cmd {
        UserCommand::CreateAdmin { username, display_name, agency_name, time_zone, password_stdin } => {
            let (password, generated) = read_password(password_stdin)?;
            let mut v = Validator::new();
            let username = shegong_domain::accounts::parse_username(&mut v, &username);
            v.finish().map_err(|_| CliError::Usage("usernames have 3–64 characters: letters, digits, '.', '-', '_'".into()))?;
            let hash = shegong_web::accounts::hash_password(password.clone()).await?;
            let new = NewUser {
                username: username.clone(),
                display_name,
                password: password.clone(),
                locale: Locale::default(),
                grants: vec![shegong_domain::accounts::Grant { role: Role::Admin, unit_id: None }],
            };
            let agencies = store.list_agencies().await?;
            let user = match agencies.first() {
                Some(a) => store.create_user(&shegong_domain::accounts::Actor::system(a.id), &new, &hash).await?,
                None => {
                    let name = agency_name.ok_or_else(|| CliError::Usage("the database has no agency yet: give --agency-name".into()))?;
                    time_zone.parse::<chrono_tz::Tz>().map_err(|_| CliError::Usage(format!("unknown time zone {time_zone}")))?;
                    let agency = Agency {
                        id: OrgId::new(),
                        name_en: name.clone(),
                        name_zh_hant: name.clone(),
                        name_zh_hans: name,
                        time_zone,
                        created_at: clock.now(),
                    };
                    store.create_agency(&agency, &new, &hash).await?
                }
            };
            println!("administrator {} created", user.username);
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::ResetPassword { username, password_stdin } => {
            let creds = store.credentials(&username).await?.ok_or_else(|| CliError::Usage(format!("no user named {username}")))?;
            let (password, generated) = read_password(password_stdin)?;
            let hash = shegong_web::accounts::hash_password(password.clone()).await?;
            store.set_password(&shegong_domain::accounts::Actor::system(creds.user.org_id), creds.user.id, &hash).await?;
            println!("password of {} reset; their sessions have ended", creds.user.username);
            if generated {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}

fn open_search(settings: &Settings) -> Result<shegong_search::ClientSearch, CliError> {
    let dir = settings.search_dir.clone().unwrap_or_else(|| shegong_search::default_dir(&settings.database_url));
    shegong_search::ClientSearch::open(&dir).map_err(|e| CliError::Settings(format!("search index at {}: {e}", dir.display())))
}

/// Refills the search index from the database, in batches.
pub async fn rebuild_search(store: &Store, search: &shegong_search::ClientSearch) -> Result<u64, CliError> {
    use shegong_domain::ports::{ClientDoc, ClientsRepo, SearchIndex};
    search.clear()?;
    let mut after = None;
    let mut n = 0u64;
    loop {
        let batch = store.clients_after(after, 5_000).await?;
        let Some(last) = batch.last() else { break };
        after = Some((last.org_id, last.id));
        let docs: Vec<ClientDoc> = batch.iter().map(ClientDoc::from).collect();
        search.upsert(&docs)?;
        n += batch.len() as u64;
    }
    Ok(n)
}

async fn serve(settings: Settings, store: Store, clock: Arc<dyn Clock>) -> Result<(), CliError> {
    use shegong_domain::ports::SearchIndex;
    let search = open_search(&settings)?;
    // The index is derived data: rebuild it when it is new, from an older version, or out of
    // step with the database (clients imported from the command line while it was stopped).
    let in_db = shegong_domain::ports::ClientsRepo::client_count(&store).await?;
    if search.needs_rebuild() || search.count()? != in_db {
        let n = rebuild_search(&store, &search).await?;
        tracing::info!(clients = n, "search index rebuilt");
    }
    let config = WebConfig {
        secure_cookies: settings.secure_cookies,
        session_ttl: chrono::Duration::minutes(settings.session_ttl_minutes),
        ..WebConfig::default()
    };
    let state = AppState::new(Arc::new(store), Arc::new(search), clock, config);
    let app = shegong_web::router(state);
    let listener = tokio::net::TcpListener::bind(&settings.bind).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    println!("shegong is running at http://{addr}/");
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
