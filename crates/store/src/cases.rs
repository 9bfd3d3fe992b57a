//! Casework: case files and everything recorded on them. The rules of what may happen to a
//! case are the domain's ([`Case::apply`]); this module loads, checks versions and persists.

use crate::audit::append_in;
use crate::{db_err, Store};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{entity::prelude::*, ConnectionTrait, DatabaseTransaction, PaginatorTrait, QueryOrder, QuerySelect, Set};
use serde_json::json;
use shegong_domain::accounts::Actor;
use shegong_domain::audit::{Action, AuditEvent};
use shegong_domain::cases::{
    default_problems, Assessment, AssessmentFields, Case, CaseChange, CaseEvent, CaseFact, CaseFields, CaseFilter, CasePage, CaseScope,
    CaseSettings, CaseSource, CaseStatus, CaseType, ClosingReason, ContactType, EventKind, Goal, Note, NoteFields, Plan, PlanStatus,
    Problem, Referral, ReferralDirection, ReferralFields, ReferralOutcome, ReferralStatus, RiskLevel, Task, TaskFields, TodoItem, TodoKind,
};
use shegong_domain::ids::{
    AssessmentId, CaseEventId, CaseId, ClientId, HouseholdId, NoteId, OrgId, PlanId, ReferralId, TaskId, UnitId, UserId,
};
use shegong_domain::ports::CasesRepo;
use shegong_domain::{DomainError, FieldError, Result};
use std::collections::{HashMap, HashSet};

/// The rows of a case-owned table that belong to one case, in the given order.
macro_rules! rows_of_case {
    ($db:expr, $m:ident, $org:expr, $case:expr, $($order:tt)+) => {
        $m::Entity::find()
            .filter($m::Column::OrgId.eq($org.0))
            .filter($m::Column::CaseId.eq($case.0))
            $($order)+
            .all($db)
            .await
            .map_err(db_err)?
    };
}

/// One row of a case-owned table; NotFound when it belongs to another case.
macro_rules! row_of_case {
    ($db:expr, $m:ident, $org:expr, $case:expr, $id:expr) => {{
        let m = $m::Entity::find_by_id(($org.0, $id.0)).one($db).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
        if m.case_id != $case.0 {
            return Err(DomainError::NotFound);
        }
        m
    }};
}

pub(crate) mod problem {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_problems")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name_en: String,
        pub name_zh_hant: String,
        pub name_zh_hans: String,
        pub sensitive: bool,
        pub active: bool,
        pub sort: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        pub plan_approval: bool,
        pub closure_approval: bool,
        pub review_days: i32,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod case {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "cases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub case_no: String,
        pub unit_id: Uuid,
        pub client_id: Option<Uuid>,
        pub household_id: Option<Uuid>,
        pub source: String,
        pub source_detail: String,
        pub case_type: String,
        pub risk: String,
        pub worker_id: Uuid,
        pub status: String,
        pub opened_on: Date,
        pub intake_summary: String,
        pub next_review_on: Option<Date>,
        pub closed_on: Option<Date>,
        pub closing_reason: Option<String>,
        pub closing_summary: String,
        pub returned_comment: String,
        pub sensitive: bool,
        pub assessed: bool,
        pub plan_approved: bool,
        pub version: i64,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod problem_link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_problem_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub case_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod assessment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_assessments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub case_id: Uuid,
        pub assessed_on: Date,
        pub presenting_situation: String,
        pub family_and_support: String,
        pub risks: String,
        pub strengths: String,
        pub needs: String,
        pub summary: String,
        pub author_id: Uuid,
        pub author_name: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod plan {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_plans")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub case_id: Uuid,
        pub goals: String,
        pub status: String,
        pub author_id: Uuid,
        pub author_name: String,
        pub submitted_at: Option<ChronoDateTimeUtc>,
        pub decided_by: String,
        pub decided_at: Option<ChronoDateTimeUtc>,
        pub decision_comment: String,
        pub version: i64,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod note {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_notes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub case_id: Uuid,
        pub occurred_on: Date,
        pub contact_type: String,
        pub duration_minutes: i32,
        pub present: String,
        pub body: String,
        pub author_id: Uuid,
        pub author_name: String,
        pub corrects: Option<Uuid>,
        pub version: i64,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod task {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_tasks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub case_id: Uuid,
        pub title: String,
        pub due_on: Date,
        pub done_on: Option<Date>,
        pub done_by: String,
        pub created_by: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod referral {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_referrals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub case_id: Uuid,
        pub direction: String,
        pub agency: String,
        pub service: String,
        pub reason: String,
        pub status: String,
        pub referred_on: Date,
        pub status_on: Date,
        pub note: String,
        pub version: i64,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub org_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub case_id: Uuid,
        pub kind: String,
        pub on_date: Date,
        pub actor_name: String,
        pub text: String,
        pub at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The default presenting problems and settings of a new agency.
pub(crate) async fn insert_defaults<C: ConnectionTrait>(c: &C, org: Uuid) -> std::result::Result<(), DbErr> {
    for (i, p) in default_problems().into_iter().enumerate() {
        problem_model(org, &p, i).insert(c).await?;
    }
    let d = CaseSettings::default();
    settings::ActiveModel {
        org_id: Set(org),
        plan_approval: Set(d.plan_approval),
        closure_approval: Set(d.closure_approval),
        review_days: Set(d.review_days),
        version: Set(1),
    }
    .insert(c)
    .await?;
    Ok(())
}

fn problem_model(org: Uuid, p: &Problem, sort: usize) -> problem::ActiveModel {
    problem::ActiveModel {
        org_id: Set(org),
        code: Set(p.code.clone()),
        name_en: Set(p.name_en.clone()),
        name_zh_hant: Set(p.name_zh_hant.clone()),
        name_zh_hans: Set(p.name_zh_hans.clone()),
        sensitive: Set(p.sensitive),
        active: Set(p.active),
        sort: Set(sort as i32),
    }
}

/// Cases of a merged client follow the surviving record.
pub(crate) async fn repoint_client(txn: &DatabaseTransaction, org: OrgId, from: ClientId, to: ClientId) -> Result<()> {
    crate::clients::repoint_rows(txn, case::Entity.table_name(), org, from, to).await
}

fn to_case(m: case::Model, problems: Vec<String>) -> Case {
    Case {
        id: CaseId(m.id),
        org_id: OrgId(m.org_id),
        case_no: m.case_no,
        unit_id: UnitId(m.unit_id),
        client_id: m.client_id.map(ClientId),
        household_id: m.household_id.map(HouseholdId),
        source: CaseSource::parse(&m.source).unwrap_or(CaseSource::Other),
        source_detail: m.source_detail,
        case_type: CaseType::parse(&m.case_type).unwrap_or(CaseType::InDepth),
        risk: RiskLevel::parse(&m.risk).unwrap_or(RiskLevel::Low),
        problems,
        worker_id: UserId(m.worker_id),
        status: CaseStatus::parse(&m.status).unwrap_or(CaseStatus::Open),
        opened_on: m.opened_on,
        intake_summary: m.intake_summary,
        next_review_on: m.next_review_on,
        closed_on: m.closed_on,
        closing_reason: m.closing_reason.as_deref().and_then(ClosingReason::parse),
        closing_summary: m.closing_summary,
        returned_comment: m.returned_comment,
        sensitive: m.sensitive,
        assessed: m.assessed,
        plan_approved: m.plan_approved,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

async fn with_problems<C: ConnectionTrait>(c: &C, org: OrgId, models: Vec<case::Model>) -> Result<Vec<Case>> {
    let mut links: HashMap<Uuid, Vec<String>> = HashMap::new();
    for chunk in models.chunks(500) {
        let rows = problem_link::Entity::find()
            .filter(problem_link::Column::OrgId.eq(org.0))
            .filter(problem_link::Column::CaseId.is_in(chunk.iter().map(|m| m.id)))
            .all(c)
            .await
            .map_err(db_err)?;
        for r in rows {
            links.entry(r.case_id).or_default().push(r.code);
        }
    }
    Ok(models
        .into_iter()
        .map(|m| {
            let p = links.remove(&m.id).unwrap_or_default();
            to_case(m, p)
        })
        .collect())
}

async fn load<C: ConnectionTrait>(c: &C, org: OrgId, id: CaseId) -> Result<Case> {
    let m = case::Entity::find_by_id((org.0, id.0)).one(c).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
    Ok(with_problems(c, org, vec![m]).await?.remove(0))
}

/// Whether any of `codes` is a sensitive problem of the agency.
async fn any_sensitive<C: ConnectionTrait>(c: &C, org: OrgId, codes: &[String]) -> Result<bool> {
    let n = problem::Entity::find()
        .filter(problem::Column::OrgId.eq(org.0))
        .filter(problem::Column::Code.is_in(codes.to_vec()))
        .filter(problem::Column::Sensitive.eq(true))
        .count(c)
        .await
        .map_err(db_err)?;
    Ok(n > 0)
}

async fn write_problems(txn: &DatabaseTransaction, org: OrgId, id: CaseId, codes: &[String]) -> Result<()> {
    problem_link::Entity::delete_many()
        .filter(problem_link::Column::OrgId.eq(org.0))
        .filter(problem_link::Column::CaseId.eq(id.0))
        .exec(txn)
        .await
        .map_err(db_err)?;
    for code in codes {
        problem_link::ActiveModel { org_id: Set(org.0), case_id: Set(id.0), code: Set(code.clone()) }
            .insert(txn)
            .await
            .map_err(|_| DomainError::invalid("problems", "unknown-choice"))?;
    }
    Ok(())
}

async fn add_event(
    txn: &DatabaseTransaction,
    actor: &Actor,
    case: CaseId,
    kind: EventKind,
    on: NaiveDate,
    text: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    event::ActiveModel {
        org_id: Set(actor.org_id.0),
        id: Set(CaseEventId::new().0),
        case_id: Set(case.0),
        kind: Set(kind.as_str().into()),
        on_date: Set(on),
        actor_name: Set(actor.name.clone()),
        text: Set(text.to_string()),
        at: Set(at),
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Writes `after` over the stored case if it is still at `version`.
async fn save_case(txn: &DatabaseTransaction, after: &Case, version: i64, now: DateTime<Utc>) -> Result<()> {
    let res = case::Entity::update_many()
        .col_expr(case::Column::UnitId, Expr::value(after.unit_id.0))
        .col_expr(case::Column::Source, Expr::value(after.source.as_str()))
        .col_expr(case::Column::SourceDetail, Expr::value(after.source_detail.clone()))
        .col_expr(case::Column::CaseType, Expr::value(after.case_type.as_str()))
        .col_expr(case::Column::Risk, Expr::value(after.risk.as_str()))
        .col_expr(case::Column::WorkerId, Expr::value(after.worker_id.0))
        .col_expr(case::Column::Status, Expr::value(after.status.as_str()))
        .col_expr(case::Column::IntakeSummary, Expr::value(after.intake_summary.clone()))
        .col_expr(case::Column::NextReviewOn, Expr::value(after.next_review_on))
        .col_expr(case::Column::ClosedOn, Expr::value(after.closed_on))
        .col_expr(case::Column::ClosingReason, Expr::value(after.closing_reason.map(|r| r.as_str())))
        .col_expr(case::Column::ClosingSummary, Expr::value(after.closing_summary.clone()))
        .col_expr(case::Column::ReturnedComment, Expr::value(after.returned_comment.clone()))
        .col_expr(case::Column::Sensitive, Expr::value(after.sensitive))
        .col_expr(case::Column::Assessed, Expr::value(after.assessed))
        .col_expr(case::Column::PlanApproved, Expr::value(after.plan_approved))
        .col_expr(case::Column::Version, Expr::value(version.saturating_add(1)))
        .col_expr(case::Column::UpdatedAt, Expr::value(now))
        .filter(case::Column::OrgId.eq(after.org_id.0))
        .filter(case::Column::Id.eq(after.id.0))
        .filter(case::Column::Version.eq(version))
        .exec(txn)
        .await
        .map_err(db_err)?;
    if res.rows_affected == 0 {
        return Err(DomainError::Stale);
    }
    Ok(())
}

/// Bumps the case's version so that a form loaded before a child record was added (a note, a
/// plan) sees the case has moved on, and marks its progress.
async fn touch_case(
    txn: &DatabaseTransaction,
    org: OrgId,
    id: CaseId,
    now: DateTime<Utc>,
    col: Option<(case::Column, bool)>,
) -> Result<()> {
    let mut q = case::Entity::update_many()
        .col_expr(case::Column::Version, Expr::col(case::Column::Version).add(1))
        .col_expr(case::Column::UpdatedAt, Expr::value(now));
    if let Some((c, v)) = col {
        q = q.col_expr(c, Expr::value(v));
    }
    q.filter(case::Column::OrgId.eq(org.0)).filter(case::Column::Id.eq(id.0)).exec(txn).await.map_err(db_err)?;
    Ok(())
}

/// Loads a case for a change to its records, refusing when it is not open.
async fn open_for_work(txn: &DatabaseTransaction, org: OrgId, id: CaseId) -> Result<Case> {
    let c = load(txn, org, id).await?;
    c.require_open()?;
    Ok(c)
}

async fn next_case_no(txn: &DatabaseTransaction, org: OrgId, year: i32) -> Result<String> {
    let mut q = Query::insert();
    q.into_table("case_counters")
        .columns(["org_id", "year", "last"])
        .values_panic([org.0.into(), year.into(), 1i64.into()])
        .on_conflict(OnConflict::columns(["org_id", "year"]).value("last", Expr::col(("case_counters", "last")).add(1)).to_owned())
        .returning_col("last");
    let row = txn.query_one_raw(txn.get_database_backend().build(&q)).await.map_err(db_err)?.ok_or(DomainError::NotFound)?;
    let n: i64 = row.try_get("", "last").map_err(db_err)?;
    Ok(format!("C{year}-{n:05}"))
}

fn to_assessment(m: assessment::Model) -> Assessment {
    Assessment {
        id: AssessmentId(m.id),
        case_id: CaseId(m.case_id),
        assessed_on: m.assessed_on,
        presenting_situation: m.presenting_situation,
        family_and_support: m.family_and_support,
        risks: m.risks,
        strengths: m.strengths,
        needs: m.needs,
        summary: m.summary,
        author_name: m.author_name,
        created_at: m.created_at,
    }
}

fn to_plan(m: plan::Model) -> Plan {
    Plan {
        id: PlanId(m.id),
        case_id: CaseId(m.case_id),
        goals: serde_json::from_str(&m.goals).unwrap_or_default(),
        status: PlanStatus::parse(&m.status).unwrap_or(PlanStatus::Draft),
        author_id: UserId(m.author_id),
        author_name: m.author_name,
        submitted_at: m.submitted_at,
        decided_by: m.decided_by,
        decided_at: m.decided_at,
        decision_comment: m.decision_comment,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn to_note(m: note::Model) -> Note {
    Note {
        id: NoteId(m.id),
        case_id: CaseId(m.case_id),
        occurred_on: m.occurred_on,
        contact_type: ContactType::parse(&m.contact_type).unwrap_or(ContactType::Other),
        duration_minutes: m.duration_minutes,
        present: m.present,
        body: m.body,
        author_id: UserId(m.author_id),
        author_name: m.author_name,
        corrects: m.corrects.map(NoteId),
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn to_task(m: task::Model) -> Task {
    Task {
        id: TaskId(m.id),
        case_id: CaseId(m.case_id),
        title: m.title,
        due_on: m.due_on,
        done_on: m.done_on,
        done_by: m.done_by,
        created_by: m.created_by,
        created_at: m.created_at,
    }
}

fn to_referral(m: referral::Model) -> Referral {
    Referral {
        id: ReferralId(m.id),
        case_id: CaseId(m.case_id),
        direction: ReferralDirection::parse(&m.direction).unwrap_or(ReferralDirection::Out),
        agency: m.agency,
        service: m.service,
        reason: m.reason,
        status: ReferralStatus::parse(&m.status).unwrap_or(ReferralStatus::Pending),
        referred_on: m.referred_on,
        status_on: m.status_on,
        note: m.note,
        version: m.version,
        created_at: m.created_at,
    }
}

pub(crate) async fn insert_task(
    txn: &DatabaseTransaction,
    actor: &Actor,
    case: CaseId,
    f: &TaskFields,
    now: DateTime<Utc>,
) -> Result<Task> {
    let m = task::ActiveModel {
        org_id: Set(actor.org_id.0),
        id: Set(TaskId::new().0),
        case_id: Set(case.0),
        title: Set(f.title.clone()),
        due_on: Set(f.due_on),
        done_on: Set(None),
        done_by: Set(String::new()),
        created_by: Set(actor.name.clone()),
        created_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(db_err)?;
    Ok(to_task(m))
}

/// Cases matching a filter, as a query condition.
fn case_condition(org: OrgId, f: &CaseFilter, scope: CaseScope<'_>, today: NaiveDate) -> sea_orm::sea_query::Condition {
    let mut c = sea_orm::sea_query::Condition::all().add(case::Column::OrgId.eq(org.0));
    if let Some(us) = scope.units {
        c = c.add(case::Column::UnitId.is_in(us.iter().map(|u| u.0)));
    }
    if !scope.sensitive {
        c = c.add(case::Column::Sensitive.eq(false));
    }
    if let Some(u) = f.unit_id {
        c = c.add(case::Column::UnitId.eq(u.0));
    }
    if let Some(w) = f.worker_id {
        c = c.add(case::Column::WorkerId.eq(w.0));
    }
    if let Some(cl) = f.client_id {
        c = c.add(case::Column::ClientId.eq(cl.0));
    }
    match f.status.as_str() {
        "open" => c = c.add(case::Column::Status.ne(CaseStatus::Closed.as_str())),
        "" => {}
        s => c = c.add(case::Column::Status.eq(s)),
    }
    if RiskLevel::parse(&f.risk).is_some() {
        c = c.add(case::Column::Risk.eq(f.risk.as_str()));
    }
    if f.overdue {
        c = c.add(case::Column::Status.eq(CaseStatus::Open.as_str())).add(case::Column::NextReviewOn.lt(today));
    }
    c
}

#[async_trait]
impl CasesRepo for Store {
    async fn problems(&self, org: OrgId) -> Result<Vec<Problem>> {
        let rows = problem::Entity::find()
            .filter(problem::Column::OrgId.eq(org.0))
            .order_by_asc(problem::Column::Sort)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|m| Problem {
                code: m.code,
                name_en: m.name_en,
                name_zh_hant: m.name_zh_hant,
                name_zh_hans: m.name_zh_hans,
                sensitive: m.sensitive,
                active: m.active,
            })
            .collect())
    }

    async fn save_problems(&self, actor: &Actor, list: &[Problem]) -> Result<()> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let stored: HashSet<String> = problem::Entity::find()
            .filter(problem::Column::OrgId.eq(org.0))
            .all(&txn)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|m| m.code)
            .collect();
        let given: HashSet<&str> = list.iter().map(|p| p.code.as_str()).collect();
        if let Some(missing) = stored.iter().find(|c| !given.contains(c.as_str())) {
            // Codes stay: cases refer to them. They can be deactivated instead.
            return Err(DomainError::Invalid(vec![FieldError::new("problems", "problem-kept").with("code", missing)]));
        }
        for (i, p) in list.iter().enumerate() {
            let m = problem_model(org.0, p, i);
            if stored.contains(&p.code) {
                m.update(&txn).await.map_err(db_err)?;
            } else {
                m.insert(&txn).await.map_err(db_err)?;
            }
        }
        // A problem turned sensitive (or not) changes who may see its cases.
        for p in list {
            let ids: Vec<Uuid> = problem_link::Entity::find()
                .filter(problem_link::Column::OrgId.eq(org.0))
                .filter(problem_link::Column::Code.eq(p.code.as_str()))
                .all(&txn)
                .await
                .map_err(db_err)?
                .into_iter()
                .map(|l| l.case_id)
                .collect();
            for id in ids {
                let c = load(&txn, org, CaseId(id)).await?;
                let s = any_sensitive(&txn, org, &c.problems).await?;
                if s != c.sensitive {
                    case::Entity::update_many()
                        .col_expr(case::Column::Sensitive, Expr::value(s))
                        .filter(case::Column::OrgId.eq(org.0))
                        .filter(case::Column::Id.eq(id))
                        .exec(&txn)
                        .await
                        .map_err(db_err)?;
                }
            }
        }
        let codes: Vec<&str> = list.iter().map(|p| p.code.as_str()).collect();
        append_in(&txn, actor, AuditEvent::new(Action::Update, "case_problems", org).detail(json!({ "codes": codes })), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)
    }

    async fn case_settings(&self, org: OrgId) -> Result<CaseSettings> {
        let m = settings::Entity::find_by_id(org.0).one(&self.db).await.map_err(db_err)?;
        Ok(m.map(|m| CaseSettings {
            plan_approval: m.plan_approval,
            closure_approval: m.closure_approval,
            review_days: m.review_days,
            version: m.version,
        })
        .unwrap_or_default())
    }

    async fn save_case_settings(&self, actor: &Actor, s: &CaseSettings) -> Result<CaseSettings> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let res = settings::Entity::update_many()
            .col_expr(settings::Column::PlanApproval, Expr::value(s.plan_approval))
            .col_expr(settings::Column::ClosureApproval, Expr::value(s.closure_approval))
            .col_expr(settings::Column::ReviewDays, Expr::value(s.review_days))
            .col_expr(settings::Column::Version, Expr::value(s.version.saturating_add(1)))
            .filter(settings::Column::OrgId.eq(org.0))
            .filter(settings::Column::Version.eq(s.version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::Stale);
        }
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Update, "case_settings", org).detail(json!({
                "plan_approval": s.plan_approval, "closure_approval": s.closure_approval, "review_days": s.review_days
            })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        self.case_settings(org).await
    }

    async fn open_case(&self, actor: &Actor, f: &CaseFields) -> Result<Case> {
        let org = actor.org_id;
        let now = self.now();
        let id = CaseId::new();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let case_no = next_case_no(&txn, org, f.opened_on.year()).await?;
        let sensitive = any_sensitive(&txn, org, &f.details.problems).await?;
        let d = &f.details;
        case::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            case_no: Set(case_no),
            unit_id: Set(f.unit_id.0),
            client_id: Set(f.client_id.map(|c| c.0)),
            household_id: Set(f.household_id.map(|h| h.0)),
            source: Set(d.source.as_str().into()),
            source_detail: Set(d.source_detail.clone()),
            case_type: Set(d.case_type.as_str().into()),
            risk: Set(d.risk.as_str().into()),
            worker_id: Set(f.worker_id.0),
            status: Set(CaseStatus::Open.as_str().into()),
            opened_on: Set(f.opened_on),
            intake_summary: Set(d.intake_summary.clone()),
            next_review_on: Set(d.next_review_on),
            closed_on: Set(None),
            closing_reason: Set(None),
            closing_summary: Set(String::new()),
            returned_comment: Set(String::new()),
            sensitive: Set(sensitive),
            assessed: Set(false),
            plan_approved: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| match db_err(e) {
            // The foreign keys name the unit, the person or the worker.
            DomainError::Storage(_) => DomainError::invalid("client_id", "unknown-reference"),
            other => other,
        })?;
        write_problems(&txn, org, id, &d.problems).await?;
        add_event(&txn, actor, id, EventKind::Opened, f.opened_on, d.source.as_str(), now).await?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "case", id).detail(json!({
                "unit_id": f.unit_id, "client_id": f.client_id, "household_id": f.household_id, "worker_id": f.worker_id,
                "problems": d.problems, "risk": d.risk.as_str(),
            })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        load(&self.db, org, id).await
    }

    async fn get_case(&self, org: OrgId, id: CaseId) -> Result<Case> {
        load(&self.db, org, id).await
    }

    async fn list_cases(
        &self,
        org: OrgId,
        scope: CaseScope<'_>,
        f: &CaseFilter,
        today: NaiveDate,
        offset: u64,
        limit: u64,
    ) -> Result<CasePage> {
        let cond = case_condition(org, f, scope, today);
        let total = case::Entity::find().filter(cond.clone()).count(&self.db).await.map_err(db_err)?;
        let models = case::Entity::find()
            .filter(cond)
            .order_by_desc(case::Column::OpenedOn)
            .order_by_desc(case::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        Ok(CasePage { cases: with_problems(&self.db, org, models).await?, total })
    }

    async fn change_case(&self, actor: &Actor, id: CaseId, version: i64, change: CaseChange, today: NaiveDate) -> Result<Case> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let mut c = load(&txn, org, id).await?;
        if c.version != version {
            return Err(DomainError::Stale);
        }
        let new_problems = match &change {
            CaseChange::Details(d) => Some(d.problems.clone()),
            _ => None,
        };
        let (kind, on, text) = c.apply(change, today)?;
        if let Some(p) = &new_problems {
            c.sensitive = any_sensitive(&txn, org, p).await?;
            write_problems(&txn, org, id, p).await?;
        }
        save_case(&txn, &c, version, now).await?;
        add_event(&txn, actor, id, kind, on, &text, now).await?;
        // The audit row says what changed, not the worker's words.
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Update, "case", id).detail(json!({
                "event": kind.as_str(), "status": c.status.as_str(), "unit_id": c.unit_id, "worker_id": c.worker_id,
            })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        load(&self.db, org, id).await
    }

    async fn case_events(&self, org: OrgId, id: CaseId) -> Result<Vec<CaseEvent>> {
        let rows = rows_of_case!(&self.db, event, org, id, .order_by_asc(event::Column::Id));
        Ok(rows
            .into_iter()
            .map(|m| CaseEvent {
                id: CaseEventId(m.id),
                case_id: CaseId(m.case_id),
                kind: EventKind::parse(&m.kind).unwrap_or(EventKind::Updated),
                on: m.on_date,
                actor_name: m.actor_name,
                text: m.text,
                at: m.at,
            })
            .collect())
    }

    async fn add_assessment(&self, actor: &Actor, case_id: CaseId, f: &AssessmentFields) -> Result<Assessment> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        open_for_work(&txn, org, case_id).await?;
        let id = AssessmentId::new();
        let m = assessment::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            case_id: Set(case_id.0),
            assessed_on: Set(f.assessed_on),
            presenting_situation: Set(f.presenting_situation.clone()),
            family_and_support: Set(f.family_and_support.clone()),
            risks: Set(f.risks.clone()),
            strengths: Set(f.strengths.clone()),
            needs: Set(f.needs.clone()),
            summary: Set(f.summary.clone()),
            author_id: Set(actor.user_id.map(|u| u.0).unwrap_or_default()),
            author_name: Set(actor.name.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        touch_case(&txn, org, case_id, now, Some((case::Column::Assessed, true))).await?;
        add_event(&txn, actor, case_id, EventKind::Assessed, f.assessed_on, "", now).await?;
        append_in(&txn, actor, AuditEvent::new(Action::Create, "case_assessment", id).detail(json!({ "case_id": case_id })), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_assessment(m))
    }

    async fn assessments(&self, org: OrgId, case_id: CaseId) -> Result<Vec<Assessment>> {
        let rows = rows_of_case!(&self.db, assessment, org, case_id, .order_by_desc(assessment::Column::Id));
        Ok(rows.into_iter().map(to_assessment).collect())
    }

    async fn save_plan(
        &self,
        actor: &Actor,
        case_id: CaseId,
        existing: Option<(PlanId, i64)>,
        goals: &[Goal],
        submit: bool,
        approval: bool,
    ) -> Result<Plan> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        open_for_work(&txn, org, case_id).await?;
        let status = match (submit, approval) {
            (false, _) => PlanStatus::Draft,
            (true, true) => PlanStatus::Submitted,
            (true, false) => PlanStatus::Approved,
        };
        let goals_json = serde_json::to_string(goals).map_err(|e| DomainError::Storage(e.to_string()))?;
        let id = match existing {
            Some((pid, version)) => {
                let current = row_of_case!(&txn, plan, org, case_id, pid);
                if !to_plan(current).editable() {
                    return Err(DomainError::invalid("plan", "plan-locked"));
                }
                let res = plan::Entity::update_many()
                    .col_expr(plan::Column::Goals, Expr::value(goals_json))
                    .col_expr(plan::Column::Status, Expr::value(status.as_str()))
                    .col_expr(plan::Column::SubmittedAt, Expr::value(submit.then_some(now)))
                    .col_expr(plan::Column::Version, Expr::value(version.saturating_add(1)))
                    .col_expr(plan::Column::UpdatedAt, Expr::value(now))
                    .filter(plan::Column::OrgId.eq(org.0))
                    .filter(plan::Column::Id.eq(pid.0))
                    .filter(plan::Column::Version.eq(version))
                    .exec(&txn)
                    .await
                    .map_err(db_err)?;
                if res.rows_affected == 0 {
                    return Err(DomainError::Stale);
                }
                pid
            }
            None => {
                // One plan in the making at a time: a second draft would hide the first.
                let pending = plan::Entity::find()
                    .filter(plan::Column::OrgId.eq(org.0))
                    .filter(plan::Column::CaseId.eq(case_id.0))
                    .filter(plan::Column::Status.is_in([
                        PlanStatus::Draft.as_str(),
                        PlanStatus::Returned.as_str(),
                        PlanStatus::Submitted.as_str(),
                    ]))
                    .count(&txn)
                    .await
                    .map_err(db_err)?;
                if pending > 0 {
                    return Err(DomainError::Stale);
                }
                let pid = PlanId::new();
                plan::ActiveModel {
                    org_id: Set(org.0),
                    id: Set(pid.0),
                    case_id: Set(case_id.0),
                    goals: Set(goals_json),
                    status: Set(status.as_str().into()),
                    author_id: Set(actor.user_id.map(|u| u.0).unwrap_or_default()),
                    author_name: Set(actor.name.clone()),
                    submitted_at: Set(submit.then_some(now)),
                    decided_by: Set(String::new()),
                    decided_at: Set(None),
                    decision_comment: Set(String::new()),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&txn)
                .await
                .map_err(db_err)?;
                pid
            }
        };
        let approved_now = status == PlanStatus::Approved;
        touch_case(&txn, org, case_id, now, approved_now.then_some((case::Column::PlanApproved, true))).await?;
        if submit {
            let kind = if approved_now { EventKind::PlanApproved } else { EventKind::PlanSubmitted };
            add_event(&txn, actor, case_id, kind, now.date_naive(), "", now).await?;
        }
        append_in(
            &txn,
            actor,
            AuditEvent::new(if existing.is_some() { Action::Update } else { Action::Create }, "case_plan", id)
                .detail(json!({ "case_id": case_id, "status": status.as_str(), "goals": goals.len() })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        let m = row_of_case!(&self.db, plan, org, case_id, id);
        Ok(to_plan(m))
    }

    async fn decide_plan(&self, actor: &Actor, case_id: CaseId, pid: PlanId, version: i64, approve: bool, comment: &str) -> Result<Plan> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        open_for_work(&txn, org, case_id).await?;
        let current = row_of_case!(&txn, plan, org, case_id, pid);
        if current.version != version {
            return Err(DomainError::Stale);
        }
        if current.status != PlanStatus::Submitted.as_str() {
            return Err(DomainError::invalid("plan", "nothing-to-approve"));
        }
        if actor.user_id.map(|u| u.0) == Some(current.author_id) {
            // Four eyes: no one approves their own plan.
            return Err(DomainError::invalid("plan", "own-plan"));
        }
        let status = if approve { PlanStatus::Approved } else { PlanStatus::Returned };
        plan::Entity::update_many()
            .col_expr(plan::Column::Status, Expr::value(status.as_str()))
            .col_expr(plan::Column::DecidedBy, Expr::value(actor.name.clone()))
            .col_expr(plan::Column::DecidedAt, Expr::value(Some(now)))
            .col_expr(plan::Column::DecisionComment, Expr::value(comment.to_string()))
            .col_expr(plan::Column::Version, Expr::value(version.saturating_add(1)))
            .col_expr(plan::Column::UpdatedAt, Expr::value(now))
            .filter(plan::Column::OrgId.eq(org.0))
            .filter(plan::Column::Id.eq(pid.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        touch_case(&txn, org, case_id, now, approve.then_some((case::Column::PlanApproved, true))).await?;
        let kind = if approve { EventKind::PlanApproved } else { EventKind::PlanReturned };
        add_event(&txn, actor, case_id, kind, now.date_naive(), comment, now).await?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "case_plan", pid).detail(json!({ "status": status.as_str() })), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        let m = row_of_case!(&self.db, plan, org, case_id, pid);
        Ok(to_plan(m))
    }

    async fn plans(&self, org: OrgId, case_id: CaseId) -> Result<Vec<Plan>> {
        let rows = rows_of_case!(&self.db, plan, org, case_id, .order_by_desc(plan::Column::Id));
        Ok(rows.into_iter().map(to_plan).collect())
    }

    async fn add_note(&self, actor: &Actor, case_id: CaseId, f: &NoteFields, corrects: Option<NoteId>) -> Result<Note> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        open_for_work(&txn, org, case_id).await?;
        if let Some(old) = corrects {
            let found = note::Entity::find_by_id((org.0, old.0)).one(&txn).await.map_err(db_err)?;
            if found.is_none_or(|n| n.case_id != case_id.0) {
                return Err(DomainError::NotFound);
            }
        }
        let id = NoteId::new();
        let m = note::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            case_id: Set(case_id.0),
            occurred_on: Set(f.occurred_on),
            contact_type: Set(f.contact_type.as_str().into()),
            duration_minutes: Set(f.duration_minutes),
            present: Set(f.present.clone()),
            body: Set(f.body.clone()),
            author_id: Set(actor.user_id.map(|u| u.0).unwrap_or_default()),
            author_name: Set(actor.name.clone()),
            corrects: Set(corrects.map(|n| n.0)),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        if let Some(t) = &f.follow_up {
            insert_task(&txn, actor, case_id, t, now).await?;
        }
        touch_case(&txn, org, case_id, now, None).await?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "case_note", id).detail(json!({ "case_id": case_id, "corrects": corrects })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_note(m))
    }

    async fn edit_note(&self, actor: &Actor, case_id: CaseId, nid: NoteId, version: i64, f: &NoteFields) -> Result<Note> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        open_for_work(&txn, org, case_id).await?;
        let res = note::Entity::update_many()
            .col_expr(note::Column::OccurredOn, Expr::value(f.occurred_on))
            .col_expr(note::Column::ContactType, Expr::value(f.contact_type.as_str()))
            .col_expr(note::Column::DurationMinutes, Expr::value(f.duration_minutes))
            .col_expr(note::Column::Present, Expr::value(f.present.clone()))
            .col_expr(note::Column::Body, Expr::value(f.body.clone()))
            .col_expr(note::Column::Version, Expr::value(version.saturating_add(1)))
            .col_expr(note::Column::UpdatedAt, Expr::value(now))
            .filter(note::Column::OrgId.eq(org.0))
            .filter(note::Column::Id.eq(nid.0))
            .filter(note::Column::CaseId.eq(case_id.0))
            .filter(note::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::Stale);
        }
        if let Some(t) = &f.follow_up {
            insert_task(&txn, actor, case_id, t, now).await?;
        }
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Update, "case_note", nid)
                .detail(json!({ "case_id": case_id, "fields": ["occurred_on", "contact_type", "duration_minutes", "present", "body"] })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        self.get_note(org, case_id, nid).await
    }

    async fn get_note(&self, org: OrgId, case_id: CaseId, nid: NoteId) -> Result<Note> {
        let m = row_of_case!(&self.db, note, org, case_id, nid);
        Ok(to_note(m))
    }

    async fn notes(&self, org: OrgId, case_id: CaseId) -> Result<Vec<Note>> {
        let rows = rows_of_case!(&self.db, note, org, case_id, .order_by_desc(note::Column::OccurredOn).order_by_desc(note::Column::Id));
        Ok(rows.into_iter().map(to_note).collect())
    }

    async fn add_task(&self, actor: &Actor, case_id: CaseId, f: &TaskFields) -> Result<Task> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        open_for_work(&txn, org, case_id).await?;
        let t = insert_task(&txn, actor, case_id, f, now).await?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "case_task", t.id).detail(json!({ "case_id": case_id, "due_on": f.due_on })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(t)
    }

    async fn complete_task(&self, actor: &Actor, case_id: CaseId, tid: TaskId, on: NaiveDate) -> Result<Task> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = row_of_case!(&txn, task, org, case_id, tid);
        if m.done_on.is_some() {
            return Err(DomainError::invalid("task", "task-done"));
        }
        task::Entity::update_many()
            .col_expr(task::Column::DoneOn, Expr::value(Some(on)))
            .col_expr(task::Column::DoneBy, Expr::value(actor.name.clone()))
            .filter(task::Column::OrgId.eq(org.0))
            .filter(task::Column::Id.eq(tid.0))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "case_task", tid).detail(json!({ "done_on": on })), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        let m = row_of_case!(&self.db, task, org, case_id, tid);
        Ok(to_task(m))
    }

    async fn tasks(&self, org: OrgId, case_id: CaseId) -> Result<Vec<Task>> {
        let rows = rows_of_case!(&self.db, task, org, case_id, .order_by_asc(task::Column::DueOn));
        Ok(rows.into_iter().map(to_task).collect())
    }

    async fn add_referral(&self, actor: &Actor, case_id: CaseId, f: &ReferralFields) -> Result<Referral> {
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        open_for_work(&txn, org, case_id).await?;
        let id = ReferralId::new();
        let m = referral::ActiveModel {
            org_id: Set(org.0),
            id: Set(id.0),
            case_id: Set(case_id.0),
            direction: Set(f.direction.as_str().into()),
            agency: Set(f.agency.clone()),
            service: Set(f.service.clone()),
            reason: Set(f.reason.clone()),
            status: Set(ReferralStatus::Pending.as_str().into()),
            referred_on: Set(f.referred_on),
            status_on: Set(f.referred_on),
            note: Set(String::new()),
            version: Set(1),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(db_err)?;
        add_event(&txn, actor, case_id, EventKind::ReferralMade, f.referred_on, &f.agency, now).await?;
        append_in(
            &txn,
            actor,
            AuditEvent::new(Action::Create, "case_referral", id).detail(json!({ "case_id": case_id, "direction": f.direction.as_str() })),
            now,
        )
        .await
        .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        Ok(to_referral(m))
    }

    async fn update_referral(
        &self,
        actor: &Actor,
        case_id: CaseId,
        rid: ReferralId,
        version: i64,
        outcome: &ReferralOutcome,
    ) -> Result<Referral> {
        let (status, note_text, on) = (outcome.status, outcome.note.as_str(), outcome.on);
        let org = actor.org_id;
        let now = self.now();
        let txn = crate::dialect::write_txn(&self.db).await.map_err(db_err)?;
        let m = row_of_case!(&txn, referral, org, case_id, rid);
        let res = referral::Entity::update_many()
            .col_expr(referral::Column::Status, Expr::value(status.as_str()))
            .col_expr(referral::Column::Note, Expr::value(note_text.to_string()))
            .col_expr(referral::Column::StatusOn, Expr::value(on))
            .col_expr(referral::Column::Version, Expr::value(version.saturating_add(1)))
            .filter(referral::Column::OrgId.eq(org.0))
            .filter(referral::Column::Id.eq(rid.0))
            .filter(referral::Column::Version.eq(version))
            .exec(&txn)
            .await
            .map_err(db_err)?;
        if res.rows_affected == 0 {
            return Err(DomainError::Stale);
        }
        add_event(&txn, actor, case_id, EventKind::ReferralUpdated, on, &format!("{}: {}", m.agency, status.as_str()), now).await?;
        append_in(&txn, actor, AuditEvent::new(Action::Update, "case_referral", rid).detail(json!({ "status": status.as_str() })), now)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        let m = row_of_case!(&self.db, referral, org, case_id, rid);
        Ok(to_referral(m))
    }

    async fn referrals(&self, org: OrgId, case_id: CaseId) -> Result<Vec<Referral>> {
        let rows = rows_of_case!(&self.db, referral, org, case_id, .order_by_desc(referral::Column::Id));
        Ok(rows.into_iter().map(to_referral).collect())
    }

    async fn case_todo(&self, org: OrgId, scope: CaseScope<'_>, worker: Option<UserId>, until: NaiveDate) -> Result<Vec<TodoItem>> {
        let filter = CaseFilter { worker_id: worker, status: "open".into(), ..Default::default() };
        let cond = case_condition(org, &filter, scope, until);
        let cases = case::Entity::find().filter(cond).all(&self.db).await.map_err(db_err)?;
        let by_id: HashMap<Uuid, &case::Model> = cases.iter().map(|c| (c.id, c)).collect();
        let item = |c: &case::Model, kind: TodoKind, due_on: NaiveDate, text: String| TodoItem {
            kind,
            case_id: CaseId(c.id),
            case_no: c.case_no.clone(),
            unit_id: UnitId(c.unit_id),
            worker_id: UserId(c.worker_id),
            due_on,
            text,
            task_id: None,
            plan_id: None,
        };
        let mut out = Vec::new();
        for c in &cases {
            if c.status == CaseStatus::ClosurePending.as_str() {
                out.push(item(c, TodoKind::ClosureToApprove, c.closed_on.unwrap_or(until), c.closing_summary.clone()));
            } else {
                if let Some(d) = c.next_review_on.filter(|d| *d <= until) {
                    out.push(item(c, TodoKind::ReviewDue, d, String::new()));
                }
                if !c.returned_comment.is_empty() {
                    out.push(item(c, TodoKind::ClosureReturned, c.updated_at.date_naive(), c.returned_comment.clone()));
                }
            }
        }
        let ids: Vec<Uuid> = cases.iter().map(|c| c.id).collect();
        for chunk in ids.chunks(500) {
            let tasks = task::Entity::find()
                .filter(task::Column::OrgId.eq(org.0))
                .filter(task::Column::CaseId.is_in(chunk.to_vec()))
                .filter(task::Column::DoneOn.is_null())
                .filter(task::Column::DueOn.lte(until))
                .all(&self.db)
                .await
                .map_err(db_err)?;
            for t in tasks {
                if let Some(c) = by_id.get(&t.case_id) {
                    let mut i = item(c, TodoKind::FollowUpDue, t.due_on, t.title.clone());
                    i.task_id = Some(TaskId(t.id));
                    out.push(i);
                }
            }
            let plans = plan::Entity::find()
                .filter(plan::Column::OrgId.eq(org.0))
                .filter(plan::Column::CaseId.is_in(chunk.to_vec()))
                .filter(plan::Column::Status.is_in([PlanStatus::Submitted.as_str(), PlanStatus::Returned.as_str()]))
                .all(&self.db)
                .await
                .map_err(db_err)?;
            for p in plans {
                if let Some(c) = by_id.get(&p.case_id) {
                    let (kind, due, text) = if p.status == PlanStatus::Submitted.as_str() {
                        (TodoKind::PlanToApprove, p.submitted_at.unwrap_or(p.updated_at).date_naive(), p.author_name.clone())
                    } else {
                        (TodoKind::PlanReturned, p.decided_at.unwrap_or(p.updated_at).date_naive(), p.decision_comment.clone())
                    };
                    let mut i = item(c, kind, due, text);
                    i.plan_id = Some(PlanId(p.id));
                    out.push(i);
                }
            }
        }
        out.sort_by(|a, b| a.due_on.cmp(&b.due_on).then_with(|| a.case_no.cmp(&b.case_no)));
        Ok(out)
    }

    async fn case_facts(&self, org: OrgId, units: Option<&[UnitId]>, from: NaiveDate, to: NaiveDate) -> Result<Vec<CaseFact>> {
        let mut q = case::Entity::find().filter(case::Column::OrgId.eq(org.0)).filter(case::Column::OpenedOn.lte(to)).filter(
            sea_orm::sea_query::Condition::any()
                .add(case::Column::Status.ne(CaseStatus::Closed.as_str()))
                .add(case::Column::ClosedOn.gte(from)),
        );
        if let Some(us) = units {
            q = q.filter(case::Column::UnitId.is_in(us.iter().map(|u| u.0)));
        }
        let models = q.all(&self.db).await.map_err(db_err)?;
        let cases = with_problems(&self.db, org, models).await?;
        // Categories: the client's, or every member's of a family case.
        let mut people: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        let households: Vec<Uuid> = cases.iter().filter_map(|c| c.household_id.map(|h| h.0)).collect();
        for chunk in households.chunks(500) {
            let rows = crate::clients::member::Entity::find()
                .filter(crate::clients::member::Column::OrgId.eq(org.0))
                .filter(crate::clients::member::Column::HouseholdId.is_in(chunk.to_vec()))
                .all(&self.db)
                .await
                .map_err(db_err)?;
            for r in rows {
                people.entry(r.household_id).or_default().push(r.client_id);
            }
        }
        let mut clients: HashSet<Uuid> = cases.iter().filter_map(|c| c.client_id.map(|c| c.0)).collect();
        clients.extend(people.values().flatten().copied());
        let clients: Vec<Uuid> = clients.into_iter().collect();
        let mut tags: HashMap<Uuid, Vec<String>> = HashMap::new();
        for chunk in clients.chunks(500) {
            let rows = crate::clients::tag::Entity::find()
                .filter(crate::clients::tag::Column::OrgId.eq(org.0))
                .filter(crate::clients::tag::Column::ClientId.is_in(chunk.to_vec()))
                .all(&self.db)
                .await
                .map_err(db_err)?;
            for t in rows {
                tags.entry(t.client_id).or_default().push(t.code);
            }
        }
        Ok(cases
            .into_iter()
            .map(|c| {
                let who: Vec<Uuid> = match (c.client_id, c.household_id) {
                    (Some(cl), _) => vec![cl.0],
                    (None, Some(h)) => people.get(&h.0).cloned().unwrap_or_default(),
                    _ => vec![],
                };
                let mut categories: Vec<String> = who.iter().flat_map(|p| tags.get(p).cloned().unwrap_or_default()).collect();
                categories.sort();
                categories.dedup();
                CaseFact {
                    id: c.id,
                    unit_id: c.unit_id,
                    worker_id: c.worker_id,
                    problems: c.problems,
                    categories,
                    opened_on: c.opened_on,
                    closed_on: if c.status == CaseStatus::Closed { c.closed_on } else { None },
                }
            })
            .collect())
    }
}
