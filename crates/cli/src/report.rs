//! `shegong report outputs --from 2025-01-01 --to 2025-12-31 [--unit CODE] --format xlsx`: the
//! output report of the web pages, written to a file (or JSON to standard output). The
//! operator sees every figure; nothing is hidden as it is from a funder.

use crate::CliError;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use shegong_domain::clock::Clock;
use shegong_domain::ids::OrgId;
use shegong_domain::locale::Locale;
use shegong_domain::ports::UnitsRepo;
use shegong_domain::reports::PeriodInput;
use shegong_store::Store;
use shegong_web::reports::{self as svc, ReportScope, Resolved};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// The output report of a period and scope.
    Outputs(OutputsArgs),
}

#[derive(Args, Debug, Clone)]
pub struct OutputsArgs {
    /// First day (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Last day (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// Instead of --from/--to: a month (2025-03), quarter (2025-Q1) or year (2025).
    #[arg(long)]
    pub period: Option<String>,
    /// Code of one service unit (default: every unit of the agency).
    #[arg(long)]
    pub unit: Option<String>,
    /// Every unit of one district.
    #[arg(long)]
    pub district: Option<String>,
    /// The agency, when the database holds several.
    #[arg(long)]
    pub agency: Option<OrgId>,
    /// xlsx, csv or json.
    #[arg(long, default_value = "xlsx")]
    pub format: String,
    /// The file to write (default: outputs-PERIOD.FORMAT here; json goes to standard output).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Language of the headers: en, zh-Hant-HK or zh-Hans-CN.
    #[arg(long, default_value = "en")]
    pub lang: String,
}

pub async fn run(store: &Store, clock: Arc<dyn Clock>, command: &ReportCommand) -> Result<(), CliError> {
    let ReportCommand::Outputs(a) = command;
    let locale: Locale = a.lang.parse().map_err(|_| CliError::Usage(format!("unknown language {}", a.lang)))?;
    let agencies = store.list_agencies().await?;
    let agency = match a.agency {
        Some(id) => agencies.into_iter().find(|x| x.id == id),
        None if agencies.len() > 1 => return Err(CliError::Usage("several agencies: choose one with --agency".into())),
        None => agencies.into_iter().next(),
    }
    .ok_or_else(|| CliError::Usage("no such agency".into()))?;
    let org = agency.id;
    let tz: chrono_tz::Tz = agency.time_zone.parse().unwrap_or(chrono_tz::Asia::Hong_Kong);
    let today = clock.now().with_timezone(&tz).date_naive();
    let input = PeriodInput {
        period: String::new(),
        value: a.period.clone().unwrap_or_default(),
        from: a.from.map(|d| d.to_string()).unwrap_or_default(),
        to: a.to.map(|d| d.to_string()).unwrap_or_default(),
    };
    let period = input.resolve(today)?;
    let units = store.list_units(org).await?;
    let (unit_id, chosen) = match (&a.unit, &a.district) {
        (Some(code), _) => {
            let u = units
                .iter()
                .find(|u| u.code.eq_ignore_ascii_case(code.trim()))
                .ok_or_else(|| CliError::Usage(format!("no service unit has the code {code}")))?;
            (Some(u.id), Some(vec![u.id]))
        }
        (None, Some(d)) => {
            let ids: Vec<_> = units.iter().filter(|u| u.district == *d).map(|u| u.id).collect();
            if ids.is_empty() {
                return Err(CliError::Usage(format!("no service unit is in the district {d}")));
            }
            (None, Some(ids))
        }
        (None, None) => (None, None),
    };
    let r = Resolved {
        org,
        period,
        scope: ReportScope { unit_id, district: a.district.clone(), units: chosen },
        suppress: false,
        hide_sensitive: false,
    };
    let report = svc::output_report(store, &r).await?;
    let labels = svc::labels(store, &r, locale).await?;
    let bytes = match a.format.as_str() {
        "json" => {
            let json = serde_json::to_string_pretty(&report).map_err(|e| CliError::Usage(e.to_string()))?;
            match &a.out {
                Some(path) => std::fs::write(path, json)?,
                None => println!("{json}"),
            }
            return Ok(());
        }
        "csv" => svc::export::csv(&report, &labels),
        "xlsx" => svc::export::xlsx(&report, &labels).map_err(CliError::Usage)?,
        other => return Err(CliError::Usage(format!("unknown format {other}: use xlsx, csv or json"))),
    };
    let path = a.out.clone().unwrap_or_else(|| PathBuf::from(format!("outputs-{}.{}", report.period.label.replace("..", "_"), a.format)));
    std::fs::write(&path, bytes)?;
    println!("wrote {} ({} – {}, {})", path.display(), report.period.from, report.period.to, labels.scope);
    Ok(())
}
