use anze_core::org::{self, OrgFilter, OrgForm, OrgKind, Organization};
use anze_core::page::Page;
use anze_core::region::Region;
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::AppState;
use crate::error::{PageError, PageResult};
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};

const ACTIVE: &str = "/orgs";

#[derive(Template)]
#[template(path = "org/list.html")]
struct ListPage {
    shell: Shell,
    filter: OrgFilter,
    page: Page<Organization>,
    pager: Pager,
    kinds: Vec<OrgKind>,
    regions: Vec<Region>,
    can_create: bool,
    can_edit: bool,
    /// Per row: 启用/停用 offered.
    toggles: Vec<bool>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<OrgFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = org::service::list(state.store(), &ctx.actor, &filter, pp.request()).await?;
    use anze_core::auth::Permission::*;
    let toggles = page
        .items
        .iter()
        .map(|o| org::service::can_toggle(&ctx.actor, o))
        .collect();
    render(&ListPage {
        pager: Pager::new(&page, ctx.uri.query()),
        shell: ctx.shell(ACTIVE),
        filter,
        page,
        kinds: OrgKind::ALL.to_vec(),
        regions: anze_core::org::service::regions(state.store(), &ctx.actor).await?,
        can_create: ctx.actor.has(OrgCreate),
        can_edit: ctx.actor.has(OrgEdit),
        toggles,
    })
}

#[derive(Template)]
#[template(path = "org/form.html")]
struct FormPage {
    shell: Shell,
    /// `None` on create.
    org: Option<Organization>,
    form: OrgForm,
    errors: FieldErrors,
    kinds: Vec<OrgKind>,
    regions: Vec<Region>,
    credit_required: bool,
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    org: Option<Organization>,
    form: OrgForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &FormPage {
            shell: ctx.shell(ACTIVE),
            credit_required: org.as_ref().is_none_or(|o| o.kind != OrgKind::Platform),
            org,
            form,
            errors,
            kinds: OrgKind::CREATABLE.to_vec(),
            regions: anze_core::org::service::regions(state.store(), &ctx.actor).await?,
        },
        status,
    )
}

pub async fn new(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    anze_core::auth::require(&ctx.actor, anze_core::auth::Permission::OrgCreate)?;
    form_page(&state, &ctx, None, OrgForm::default(), FieldErrors::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<OrgForm>,
) -> PageResult<Response> {
    match org::service::create(state.store(), &ctx.actor, &form, ctx.now).await {
        Ok(_) => Ok(redirect_with(ACTIVE, Flash::Created)),
        Err(CoreError::Validation(errors)) => {
            let form = OrgForm {
                admin_password: String::new(),
                ..form
            };
            form_page(&state, &ctx, None, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id = parse_id(&id)?;
    anze_core::auth::require(&ctx.actor, anze_core::auth::Permission::OrgEdit)?;
    let org = org::service::get(state.store(), &ctx.actor, id).await?;
    let form = OrgForm::from_org(&org);
    form_page(&state, &ctx, Some(org), form, FieldErrors::new()).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<OrgForm>,
) -> PageResult<Response> {
    let id = parse_id(&id)?;
    match org::service::update(state.store(), &ctx.actor, id, &form, ctx.now).await {
        Ok(()) => Ok(redirect_with(ACTIVE, Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            let org = org::service::get(state.store(), &ctx.actor, id).await?;
            form_page(&state, &ctx, Some(org), form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ToggleForm {
    enabled: String,
}

pub async fn toggle(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<ToggleForm>,
) -> PageResult<Response> {
    let id = parse_id(&id)?;
    let enabled = match form.enabled.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(PageError::BadRequest("缺少启用/停用参数".into())),
    };
    org::service::set_enabled(state.store(), &ctx.actor, id, enabled, ctx.now).await?;
    Ok(redirect_with(
        ACTIVE,
        if enabled {
            Flash::Enabled
        } else {
            Flash::Disabled
        },
    ))
}

/// Ids in paths are numbers; anything else is a page that does not exist.
pub fn parse_id<T: std::str::FromStr>(raw: &str) -> PageResult<T> {
    raw.parse().map_err(|_| PageError::NotFound)
}
