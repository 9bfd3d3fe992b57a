//! Typed settings: defaults, then an optional TOML file, then `SHEGONG_*` environment
//! variables and flags. Unknown keys in the file are refused, so a typo never passes silently.

use crate::CliError;
use serde::Deserialize;
use shegong_domain::clock::Clock;
use shegong_store::{Durability, Store, StoreOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(clap::Args, Debug, Default)]
pub struct SettingsArgs {
    /// A TOML settings file.
    #[arg(long, global = true, env = "SHEGONG_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, global = true, env = "SHEGONG_BIND")]
    pub bind: Option<String>,
    /// `postgres://user@host/db`, `sqlite://file.db` or a file path [default: shegong.db].
    #[arg(long, global = true, env = "SHEGONG_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Mark cookies Secure and send HSTS (set when served over HTTPS).
    #[arg(long, global = true, env = "SHEGONG_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,
    /// Minutes of inactivity after which a session ends [default: 480].
    #[arg(long, global = true, env = "SHEGONG_SESSION_TTL_MINUTES")]
    pub session_ttl_minutes: Option<i64>,
    /// SQLite durability: `normal` (fast; a power cut may lose the last commits) or `full`.
    #[arg(long, global = true, env = "SHEGONG_SQLITE_SYNCHRONOUS")]
    pub sqlite_synchronous: Option<String>,
    /// Folder of the client search index [default: next to the SQLite file].
    #[arg(long, global = true, env = "SHEGONG_SEARCH_DIR")]
    pub search_dir: Option<PathBuf>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    bind: Option<String>,
    database_url: Option<String>,
    secure_cookies: Option<bool>,
    session_ttl_minutes: Option<i64>,
    sqlite_synchronous: Option<String>,
    search_dir: Option<PathBuf>,
}

#[derive(Clone)]
pub struct Settings {
    pub bind: String,
    pub database_url: String,
    pub secure_cookies: bool,
    pub session_ttl_minutes: i64,
    pub durability: Durability,
    pub search_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Settings {
    // The database URL may hold a password: it is never logged.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("database_url", &"<redacted>")
            .field("secure_cookies", &self.secure_cookies)
            .field("session_ttl_minutes", &self.session_ttl_minutes)
            .field("durability", &self.durability)
            .finish()
    }
}

impl Settings {
    pub fn load(args: &SettingsArgs) -> Result<Self, CliError> {
        let file: FileSettings = match &args.config {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| CliError::Settings(format!("{}: {e}", p.display())))?;
                toml::from_str(&text).map_err(|e| CliError::Settings(format!("{}: {e}", p.display())))?
            }
            None => FileSettings::default(),
        };
        let sync = args.sqlite_synchronous.clone().or(file.sqlite_synchronous).unwrap_or_else(|| "normal".into());
        let durability = match sync.to_ascii_lowercase().as_str() {
            "normal" => Durability::Normal,
            "full" => Durability::Full,
            other => return Err(CliError::Settings(format!("sqlite_synchronous must be normal or full, not {other}"))),
        };
        let ttl = args.session_ttl_minutes.or(file.session_ttl_minutes).unwrap_or(480);
        if !(5..=7 * 24 * 60).contains(&ttl) {
            return Err(CliError::Settings("session_ttl_minutes must be between 5 and 10080".into()));
        }
        Ok(Self {
            bind: args.bind.clone().or(file.bind).unwrap_or_else(|| "127.0.0.1:8080".into()),
            database_url: args.database_url.clone().or(file.database_url).unwrap_or_else(|| "shegong.db".into()),
            secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
            session_ttl_minutes: ttl,
            durability,
            search_dir: args.search_dir.clone().or(file.search_dir),
        })
    }
}

/// The file behind a SQLite URL or path; None for PostgreSQL.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Checks the backup opens as a shegong database, then copies it into place.
pub async fn restore_sqlite(url: &str, from: &Path, force: bool, clock: Arc<dyn Clock>) -> Result<(), CliError> {
    let target = sqlite_path(url)
        .ok_or_else(|| CliError::Usage("restore works on SQLite; for PostgreSQL use pg_restore (see docs/OPERATIONS.md)".into()))?;
    if !from.is_file() {
        return Err(CliError::Usage(format!("{} is not a file", from.display())));
    }
    if target.exists() && !force {
        return Err(CliError::Usage(format!("{} exists; stop the server and add --force to replace it", target.display())));
    }
    // Open a scratch copy, so checking never writes to the backup itself.
    let scratch = target.with_extension("restore-check");
    std::fs::copy(from, &scratch)?;
    let check = async {
        let store = Store::connect(&StoreOptions::new(scratch.to_string_lossy().to_string()), clock).await?;
        let pending = store.pending_migrations().await;
        let ok = store.execute_raw("PRAGMA integrity_check").await;
        store.close().await?;
        pending?;
        ok?;
        Ok::<_, CliError>(())
    }
    .await;
    if let Err(e) = check {
        let _ = std::fs::remove_file(&scratch);
        return Err(CliError::Usage(format!("{} is not a usable shegong backup: {e}", from.display())));
    }
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = target.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    for suffix in ["-wal", "-shm"] {
        let mut p = scratch.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::rename(&scratch, &target)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_found() {
        assert_eq!(sqlite_path("shegong.db"), Some(PathBuf::from("shegong.db")));
        assert_eq!(sqlite_path("sqlite://data/x.db?mode=rwc"), Some(PathBuf::from("data/x.db")));
        assert_eq!(sqlite_path("postgres://h/db"), None);
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let dir = std::env::temp_dir().join(format!("sg-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("s.toml");
        std::fs::write(&p, "bind = \"0.0.0.0:9000\"\ndatabse_url = \"typo\"\n").expect("write");
        let args = SettingsArgs { config: Some(p.clone()), ..Default::default() };
        let err = Settings::load(&args).expect_err("typo refused");
        assert!(err.to_string().contains("databse_url"), "{err}");
        std::fs::write(&p, "bind = \"0.0.0.0:9000\"\nsqlite_synchronous = \"full\"\n").expect("write");
        let s = Settings::load(&args).expect("valid");
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert_eq!(s.durability, Durability::Full);
        let args = SettingsArgs { config: Some(p), bind: Some("127.0.0.1:1".into()), ..Default::default() };
        assert_eq!(Settings::load(&args).expect("valid").bind, "127.0.0.1:1", "flags and environment beat the file");
    }
}
