use anze_core::account::{self, Account, AccountFilter, AccountForm};
use anze_core::auth::{Actor, Permission, require};
use anze_core::ids::{AccountId, OrgId};
use anze_core::org::{self, Organization};
use anze_core::page::Page;
use anze_core::role::{self, Role};
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};

const ACTIVE: &str = "/accounts";

#[derive(Template)]
#[template(path = "account/list.html")]
struct ListPage {
    shell: Shell,
    filter: AccountFilter,
    page: Page<Account>,
    pager: Pager,
    /// Platform admin only: organization filter.
    orgs: Vec<Organization>,
    roles: Vec<Role>,
    show_org: bool,
    can_create: bool,
    actor: Actor,
}

impl ListPage {
    fn can_edit(&self, a: &Account) -> bool {
        account::service::can_edit(&self.actor, a)
    }

    fn can_delete(&self, a: &Account) -> bool {
        account::service::can_delete(&self.actor, a)
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<AccountFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = account::service::list(state.store(), &ctx.actor, &filter, pp.request()).await?;
    let show_org = ctx.actor.is_platform();
    let orgs = if show_org {
        org::service::options(state.store(), &ctx.actor).await?
    } else {
        vec![]
    };
    let role_org = if show_org {
        filter.org.trim().parse::<OrgId>().ok()
    } else {
        Some(ctx.actor.org_id)
    };
    let roles = match role_org {
        Some(o) => role::service::of_org(state.store(), &ctx.actor, o).await?,
        None => vec![],
    };
    render(&ListPage {
        pager: Pager::new(&page, ctx.uri.query()),
        shell: ctx.shell(ACTIVE),
        filter,
        page,
        orgs,
        roles,
        show_org,
        can_create: ctx.actor.has(Permission::AccountCreate),
        actor: ctx.actor.clone(),
    })
}

#[derive(Template)]
#[template(path = "account/form.html")]
struct FormPage {
    shell: Shell,
    /// `None` on create.
    account: Option<Account>,
    form: AccountForm,
    errors: FieldErrors,
    /// Platform admin creating an account: organizations to choose from.
    orgs: Vec<Organization>,
    org_id: OrgId,
    roles: Vec<Role>,
    /// Edit page: the password field is open (pencil clicked, or a password error to show).
    change_password: bool,
}

struct FormState {
    account: Option<Account>,
    form: AccountForm,
    errors: FieldErrors,
    org_id: OrgId,
    open_password: bool,
}

async fn form_page(state: &AppState, ctx: &Ctx, f: FormState) -> PageResult<Response> {
    let status = if f.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let orgs = if ctx.actor.is_platform() && f.account.is_none() {
        org::service::options(state.store(), &ctx.actor).await?
    } else {
        vec![]
    };
    let roles = role::service::assignable(state.store(), &ctx.actor, f.org_id).await?;
    let change_password =
        f.open_password || f.errors.get("password").is_some() || !f.form.password.is_empty();
    render_status(
        &FormPage {
            shell: ctx.shell(ACTIVE),
            account: f.account,
            form: AccountForm {
                password: String::new(),
                ..f.form
            },
            errors: f.errors,
            orgs,
            org_id: f.org_id,
            roles,
            change_password,
        },
        status,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    org: String,
}

fn chosen_org(ctx: &Ctx, raw: &str) -> OrgId {
    if ctx.actor.is_platform() {
        raw.trim().parse().unwrap_or(ctx.actor.org_id)
    } else {
        ctx.actor.org_id
    }
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(q): QueryData<NewQuery>,
) -> PageResult<Response> {
    require(&ctx.actor, Permission::AccountCreate)?;
    let org_id = chosen_org(&ctx, &q.org);
    let form = AccountForm {
        org_id: org_id.to_string(),
        enabled: "1".into(),
        ..AccountForm::default()
    };
    form_page(
        &state,
        &ctx,
        FormState {
            account: None,
            form,
            errors: FieldErrors::new(),
            org_id,
            open_password: false,
        },
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<AccountForm>,
) -> PageResult<Response> {
    match account::service::create(state.store(), &ctx.actor, &form, ctx.now).await {
        Ok(_) => Ok(redirect_with(ACTIVE, Flash::Created)),
        Err(CoreError::Validation(errors)) => {
            let org_id = chosen_org(&ctx, &form.org_id);
            form_page(
                &state,
                &ctx,
                FormState {
                    account: None,
                    form,
                    errors,
                    org_id,
                    open_password: false,
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditQuery {
    change_password: String,
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    QueryData(q): QueryData<EditQuery>,
) -> PageResult<Response> {
    let id: AccountId = parse_id(&id)?;
    let account = account::service::get_for_edit(state.store(), &ctx.actor, id).await?;
    let form = AccountForm::from_account(&account);
    let org_id = account.org_id;
    form_page(
        &state,
        &ctx,
        FormState {
            account: Some(account),
            form,
            errors: FieldErrors::new(),
            org_id,
            // Without JavaScript the pencil is a link to `?change_password=1`.
            open_password: q.change_password == "1",
        },
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<AccountForm>,
) -> PageResult<Response> {
    let id: AccountId = parse_id(&id)?;
    match account::service::update(state.store(), &ctx.actor, id, &form, ctx.now).await {
        Ok(()) => Ok(redirect_with(ACTIVE, Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            let account = account::service::get(state.store(), &ctx.actor, id).await?;
            let org_id = account.org_id;
            form_page(
                &state,
                &ctx,
                FormState {
                    account: Some(account),
                    form,
                    errors,
                    org_id,
                    open_password: false,
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    confirmed: String,
}

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub shell: Shell,
    pub title: String,
    pub message: String,
    pub action: String,
    pub back: String,
}

/// 删除 asks first: the dialog sets `confirmed=1`; without JavaScript a confirmation page asks.
pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<DeleteForm>,
) -> PageResult<Response> {
    let id: AccountId = parse_id(&id)?;
    if form.confirmed != "1" {
        let account = account::service::get_for_delete(state.store(), &ctx.actor, id).await?;
        return render(&ConfirmPage {
            shell: ctx.shell(ACTIVE),
            title: "删除账号".into(),
            message: format!(
                "确定删除账号“{}”吗?删除后该账号将无法登录,历史记录中仍保留其姓名。",
                account.display()
            ),
            action: format!("/accounts/{id}/delete"),
            back: ACTIVE.into(),
        });
    }
    account::service::delete(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(redirect_with(ACTIVE, Flash::Deleted))
}
