//! 可信证据: the flags on a record's or hazard's photos, as its page shows them.

use anze_core::attachment::{OwnerKind, OwnerRef};
use anze_core::auth::Actor;
use anze_core::ids::FlagId;
use anze_core::integrity::{self, AgencyFlagRate, Flag, FlagFilter, FlagKind, FlagState};
use anze_core::org::Organization;
use anze_core::page::Page;
use anze_core::{CoreResult, Store};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;

use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render};

/// One flag as a detail page lists it.
#[derive(Debug, Clone)]
pub struct FlagRow {
    pub id: FlagId,
    pub kind: FlagKind,
    pub state: FlagState,
    pub detail: String,
    /// The matched photo's date, when the flag has another side.
    pub matched_date: Option<String>,
    /// The other enterprise, where the viewer may know it.
    pub matched_enterprise: Option<String>,
    /// The other record's page, where the viewer may open it.
    pub matched_href: Option<String>,
    pub explanation: Option<String>,
    /// Who decided, when and with what note: `张三 2026-11-30 10:00`.
    pub reviewed: Option<String>,
    pub review_note: Option<String>,
    pub can_answer: bool,
    pub can_decide: bool,
}

impl FlagRow {
    pub fn tag_class(&self) -> &'static str {
        match self.state {
            FlagState::Dismissed => "tag-info",
            FlagState::Answered => "tag-warning",
            FlagState::Open | FlagState::Confirmed => "tag-danger",
        }
    }
}

/// The page of a record or hazard.
pub fn href(owner: OwnerRef) -> String {
    match owner.kind {
        OwnerKind::Hazard => format!("/hazards/{}", owner.id),
        _ => format!("/records/{}", owner.id),
    }
}

/// The flags of a record or hazard the actor has loaded.
pub async fn rows_of(
    store: &dyn Store,
    actor: &Actor,
    owner: OwnerRef,
) -> CoreResult<Vec<FlagRow>> {
    Ok(integrity::service::of_owner(store, actor, owner)
        .await?
        .into_iter()
        .map(|v| FlagRow {
            id: v.flag.id,
            can_answer: integrity::service::can_answer(actor, &v.flag),
            can_decide: integrity::service::can_decide(actor, &v.flag),
            kind: v.flag.kind,
            state: v.flag.state,
            detail: v.flag.detail,
            matched_date: v.matched.as_ref().map(|m| m.date.clone()),
            matched_enterprise: v.matched.as_ref().and_then(|m| m.enterprise_name.clone()),
            matched_href: v.matched.and_then(|m| m.link).map(|(_, o)| href(o)),
            explanation: v.flag.explanation,
            reviewed: v.flag.reviewed_by_name.map(|n| match v.flag.reviewed_at {
                Some(at) => format!("{n} {}", anze_core::time::format_datetime(at)),
                None => n,
            }),
            review_note: v.flag.review_note,
        })
        .collect())
}

/// The 可疑标记 tags of a list page's rows.
#[derive(Debug, Default)]
pub struct FlagTags(HashMap<i64, Vec<FlagKind>>);

impl FlagTags {
    /// The tags of these records (`hazards` false) or hazards, which the caller has loaded.
    pub async fn load(store: &dyn Store, hazards: bool, ids: &[i64]) -> CoreResult<Self> {
        Ok(Self(
            integrity::service::tags_of(store, hazards, ids).await?,
        ))
    }

    pub fn of(&self, id: &i64) -> &[FlagKind] {
        self.0.get(id).map(Vec::as_slice).unwrap_or(&[])
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    explanation: String,
}

/// 答复 (the agency).
pub async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<AnswerForm>,
) -> PageResult<Response> {
    let id: FlagId = parse_id(&id)?;
    let flag =
        integrity::service::answer(state.store(), &ctx.actor, id, &form.explanation, ctx.now)
            .await?;
    Ok(redirect_with(&href(flag.owner), Flash::Saved))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecideForm {
    decision: String,
    note: String,
}

/// 核实 / 排除 (an insurer, a regulator, the platform).
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<DecideForm>,
) -> PageResult<Response> {
    let id: FlagId = parse_id(&id)?;
    let flag = integrity::service::decide(
        state.store(),
        &ctx.actor,
        id,
        &form.decision,
        &form.note,
        ctx.now,
    )
    .await?;
    Ok(redirect_with(&href(flag.owner), Flash::Saved))
}

pub const LIST_PATH: &str = "/integrity";

#[derive(Template)]
#[template(path = "integrity/list.html")]
struct ListPage {
    shell: Shell,
    filter: FlagFilter,
    page: Page<Flag>,
    pager: Pager,
    kinds: [FlagKind; 4],
    states: [FlagState; 4],
    agencies: Vec<Organization>,
    export_query: String,
    rates: Vec<AgencyFlagRate>,
}

impl ListPage {
    fn href(&self, f: &Flag) -> String {
        href(f.owner)
    }
}

/// 可疑记录: the flags on the records an insurer, a regulator or the platform oversees.
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<FlagFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = integrity::service::list(state.store(), &ctx.actor, &filter, pp.request()).await?;
    let rates = integrity::service::rates(state.store(), &ctx.actor, &filter).await?;
    let agencies = anze_core::org::service::filter_choices(state.store(), &ctx.actor)
        .await?
        .agencies;
    render(&ListPage {
        pager: Pager::new(&page, ctx.uri.query()),
        export_query: ctx.uri.query().unwrap_or("").to_string(),
        shell: ctx.shell(LIST_PATH),
        kinds: FlagKind::ALL,
        states: FlagState::ALL,
        agencies,
        filter,
        page,
        rates,
    })
}
