use anze_core::auth::{Actor, DataScope, Menu, Permission, require};
use anze_core::ids::{OrgId, RoleId};
use anze_core::org::{self, OrgKind, Organization};
use anze_core::page::Page;
use anze_core::role::{self, Role, RoleFilter, RoleForm};
use anze_core::{CoreError, FieldErrors};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::accounts::ConfirmPage;
use super::orgs::parse_id;
use crate::AppState;
use crate::error::PageResult;
use crate::extract::{Ctx, FormData, PageParams, QueryData};
use crate::view::{Flash, Pager, Shell, redirect_with, render, render_status};

const ACTIVE: &str = "/roles";

#[derive(Template)]
#[template(path = "role/list.html")]
struct ListPage {
    shell: Shell,
    filter: RoleFilter,
    page: Page<Role>,
    pager: Pager,
    orgs: Vec<Organization>,
    show_org: bool,
    can_create: bool,
    actor: Actor,
}

impl ListPage {
    fn can_edit(&self, r: &Role) -> bool {
        role::service::can_edit_role(&self.actor, r)
    }

    fn can_delete(&self, r: &Role) -> bool {
        role::service::can_delete_role(&self.actor, r)
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    QueryData(filter): QueryData<RoleFilter>,
    QueryData(pp): QueryData<PageParams>,
) -> PageResult<Response> {
    let page = role::service::list(state.store(), &ctx.actor, &filter, pp.request()).await?;
    let show_org = ctx.actor.is_platform();
    let orgs = if show_org {
        org::service::options(state.store(), &ctx.actor).await?
    } else {
        vec![]
    };
    render(&ListPage {
        pager: Pager::new(&page, ctx.uri.query()),
        shell: ctx.shell(ACTIVE),
        filter,
        page,
        orgs,
        show_org,
        can_create: ctx.actor.has(Permission::RoleCreate),
        actor: ctx.actor.clone(),
    })
}

/// One menu of the permission tree.
pub struct TreeNode {
    pub menu: Menu,
    pub permissions: Vec<Permission>,
}

/// The permissions the actor may grant in an organization of `kind`, by menu; what it may not
/// grant is not offered.
fn tree(actor: &Actor, kind: OrgKind) -> Vec<TreeNode> {
    let grantable = role::service::grantable(actor, kind);
    Menu::ALL
        .into_iter()
        .map(|menu| TreeNode {
            menu,
            permissions: menu
                .permissions()
                .iter()
                .copied()
                .filter(|p| grantable.contains(p))
                .collect(),
        })
        .filter(|n| !n.permissions.is_empty())
        .collect()
}

#[derive(Template)]
#[template(path = "role/form.html")]
struct FormPage {
    shell: Shell,
    role: Option<Role>,
    form: RoleForm,
    errors: FieldErrors,
    orgs: Vec<Organization>,
    org: Organization,
    tree: Vec<TreeNode>,
    scopes: Vec<DataScope>,
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    role: Option<Role>,
    form: RoleForm,
    errors: FieldErrors,
    org_id: OrgId,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let org = role::service::form_org(state.store(), &ctx.actor, org_id).await?;
    let orgs = if ctx.actor.is_platform() && role.is_none() {
        org::service::options(state.store(), &ctx.actor).await?
    } else {
        vec![]
    };
    render_status(
        &FormPage {
            shell: ctx.shell(ACTIVE),
            role,
            form,
            errors,
            orgs,
            tree: tree(&ctx.actor, org.kind),
            org,
            scopes: role::service::grantable_scopes(&ctx.actor),
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
    require(&ctx.actor, Permission::RoleCreate)?;
    let org_id = chosen_org(&ctx, &q.org);
    // The widest scope the actor may give, as before for an admin.
    let scope = role::service::grantable_scopes(&ctx.actor)
        .first()
        .copied()
        .unwrap_or(DataScope::Own);
    let form = RoleForm {
        org_id: org_id.to_string(),
        data_scope: scope.code().into(),
        ..RoleForm::default()
    };
    form_page(&state, &ctx, None, form, FieldErrors::new(), org_id).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    FormData(form): FormData<RoleForm>,
) -> PageResult<Response> {
    match role::service::create(state.store(), &ctx.actor, &form, ctx.now).await {
        Ok(_) => Ok(redirect_with(ACTIVE, Flash::Created)),
        Err(CoreError::Validation(errors)) => {
            let org_id = chosen_org(&ctx, &form.org_id);
            form_page(&state, &ctx, None, form, errors, org_id).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: RoleId = parse_id(&id)?;
    require(&ctx.actor, Permission::RoleEdit)?;
    let role = role::service::get_for_edit(state.store(), &ctx.actor, id).await?;
    let form = RoleForm::from_role(&role);
    let org_id = role.org_id;
    form_page(&state, &ctx, Some(role), form, FieldErrors::new(), org_id).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<RoleForm>,
) -> PageResult<Response> {
    let id: RoleId = parse_id(&id)?;
    match role::service::update(state.store(), &ctx.actor, id, &form, ctx.now).await {
        Ok(()) => Ok(redirect_with(ACTIVE, Flash::Saved)),
        Err(CoreError::Validation(errors)) => {
            let role = role::service::get(state.store(), &ctx.actor, id).await?;
            let org_id = role.org_id;
            form_page(&state, &ctx, Some(role), form, errors, org_id).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    confirmed: String,
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    FormData(form): FormData<DeleteForm>,
) -> PageResult<Response> {
    let id: RoleId = parse_id(&id)?;
    if form.confirmed != "1" {
        let role = role::service::get_for_delete(state.store(), &ctx.actor, id).await?;
        return render(&ConfirmPage {
            shell: ctx.shell(ACTIVE),
            title: "删除角色".into(),
            message: format!("确定删除角色“{}”吗?", role.name),
            action: format!("/roles/{id}/delete"),
            back: ACTIVE.into(),
        });
    }
    role::service::delete(state.store(), &ctx.actor, id, ctx.now).await?;
    Ok(redirect_with(ACTIVE, Flash::Deleted))
}
