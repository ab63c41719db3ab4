use anze_core::auth::Actor;
use anze_core::auth::{Permission, require};
use anze_core::enterprise::{
    self, Enterprise, EnterpriseAccountForm, EnterpriseFilter, EnterpriseForm,
};
use anze_core::ids::OrgId;
use anze_core::industry::{Industry, IndustryChoice};
use anze_core::page::Page;
use anze_core::region::Region;
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};

const ACTIVE: &str = "/enterprises";

#[derive(Template)]
#[template(path = "enterprise/list.html")]
struct ListPage {
    shell: Shell,
    filter: EnterpriseFilter,
    page: Page<Enterprise>,
    pager: Pager,
    regions: Vec<Region>,
    sectors: Vec<Industry>,
    can_create: bool,
    actor: Actor,
}

impl ListPage {
    fn can_edit(&self, e: &Enterprise) -> bool {
        enterprise::service::can_edit(&self.actor, e)
    }

    fn can_open_account(&self, e: &Enterprise) -> bool {
        enterprise::service::can_open_account(&self.actor, e)
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<EnterpriseFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = enterprise::service::list(state.store(), &ctx.actor, &filter, pp.request()).await?;
    let options = enterprise::service::options(state.store(), &ctx.actor).await?;
    render(&ListPage {
        pager: Pager::new(&page, ctx.uri.query()),
        regions: options.regions,
        sectors: options.sectors,
        can_create: ctx.actor.has(Permission::EnterpriseCreate),
        actor: ctx.actor.clone(),
        shell: ctx.shell(ACTIVE),
        filter,
        page,
    })
}

#[derive(Template)]
#[template(path = "enterprise/form.html")]
struct FormPage {
    shell: Shell,
    enterprise: Option<Enterprise>,
    form: EnterpriseForm,
    errors: FieldErrors,
    regions: Vec<Region>,
    industries: Vec<IndustryChoice>,
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    enterprise: Option<Enterprise>,
    form: EnterpriseForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let options = enterprise::service::options(state.store(), &ctx.actor).await?;
    render_status(
        &FormPage {
            shell: ctx.shell(ACTIVE),
            enterprise,
            form,
            errors,
            regions: options.regions,
            industries: options.industries,
        },
        status,
    )
}

pub async fn new(State(state): State<AppState>, ctx: Ctx) -> PageResult<Response> {
    require(&ctx.actor, Permission::EnterpriseCreate)?;
    form_page(
        &state,
        &ctx,
        None,
        EnterpriseForm::default(),
        FieldErrors::new(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<EnterpriseForm>,
) -> PageResult<Response> {
    match enterprise::service::create(state.store(), &ctx.actor, &form, ctx.now).await {
        Ok(_) => Ok(redirect_with(ACTIVE, Flash::Created)),
        Err(CoreError::Validation(errors)) => form_page(&state, &ctx, None, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrgId = parse_id(&id)?;
    let e = enterprise::service::get_for_edit(state.store(), &ctx.actor, id).await?;
    let form = EnterpriseForm::from_enterprise(&e);
    form_page(&state, &ctx, Some(e), form, FieldErrors::new()).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<EnterpriseForm>,
) -> PageResult<Response> {
    let id: OrgId = parse_id(&id)?;
    match enterprise::service::update(state.store(), &ctx.actor, id, &form, ctx.now).await {
        Ok(()) => Ok(redirect_with(ACTIVE, Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            let e = enterprise::service::get(state.store(), &ctx.actor, id).await?;
            form_page(&state, &ctx, Some(e), form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "enterprise/account.html")]
struct AccountPage {
    shell: Shell,
    enterprise: Enterprise,
    form: EnterpriseAccountForm,
    errors: FieldErrors,
    /// The enterprise has an account already: only its own admin adds more.
    opened: bool,
}

async fn account_page(
    state: &AppState,
    ctx: &Ctx,
    id: OrgId,
    form: EnterpriseAccountForm,
    errors: FieldErrors,
) -> PageResult<Response> {
    let enterprise = enterprise::service::get_for_account(state.store(), &ctx.actor, id).await?;
    let opened = enterprise::service::has_accounts(state.store(), id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        &AccountPage {
            shell: ctx.shell(ACTIVE),
            enterprise,
            form: EnterpriseAccountForm {
                password: String::new(),
                ..form
            },
            errors,
            opened,
        },
        status,
    )
}

/// 开通企业账号
pub async fn account_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: OrgId = parse_id(&id)?;
    account_page(
        &state,
        &ctx,
        id,
        EnterpriseAccountForm::default(),
        FieldErrors::new(),
    )
    .await
}

pub async fn open_account(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<EnterpriseAccountForm>,
) -> PageResult<Response> {
    let id: OrgId = parse_id(&id)?;
    match enterprise::service::open_account(state.store(), &ctx.actor, id, &form, ctx.now).await {
        Ok(_) => Ok(redirect_with(ACTIVE, Flash::Created)),
        Err(CoreError::Validation(errors)) => account_page(&state, &ctx, id, form, errors).await,
        Err(e) => Err(e.into()),
    }
}
