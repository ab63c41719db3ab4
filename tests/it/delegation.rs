//! Nobody acts beyond what they hold (issue 10): an account that may manage accounts and roles
//! hands on only what it holds itself, and an insurer edits only the enterprises it insures.

use anze_core::account::AccountStore;
use anze_core::auth::{DataScope, Permission};
use anze_core::enterprise::EnterpriseStore;
use anze_core::ids::{AccountId, OrgId, RoleId};
use anze_core::role::{Role, RoleStore};
use reqwest::{Client, StatusCode};

use crate::helpers::{ADMIN_PASSWORD, PASSWORD, TestApp, credit_code};

crate::backend_tests!(
    a_delegate_cannot_widen_its_own_role_or_edit_a_stronger_one,
    a_delegate_cannot_reset_the_password_of_an_account_holding_more,
    a_delegate_cannot_give_itself_the_admin_role,
    a_delegate_still_manages_what_it_holds,
    an_own_scope_holder_cannot_create_an_organization_wide_role,
    deleting_is_bounded_like_editing,
    platform_admin_still_manages_every_organization,
    platform_staff_cannot_escalate_in_another_organization,
    an_org_admin_still_assigns_the_admin_role,
    an_insurer_edits_only_the_enterprises_it_insures,
    a_registrant_edits_its_enterprise_until_another_insurer_insures_it,
);

const DELEGATE_PERMISSIONS: [&str; 4] = ["account:view", "account:edit", "role:view", "role:edit"];

async fn role_named(app: &TestApp, org: OrgId, name: &str) -> Role {
    app.db
        .roles_of_org(org)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no role {name}"))
}

async fn account_id(app: &TestApp, username: &str) -> AccountId {
    app.db
        .find_account_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The admin, as `by`, creates a role through the 角色信息 form.
async fn create_role(
    app: &TestApp,
    by: &Client,
    name: &str,
    scope: DataScope,
    permissions: &[&str],
) -> reqwest::Response {
    let mut fields = vec![("name", name), ("data_scope", scope.code())];
    fields.extend(permissions.iter().map(|p| ("permissions", *p)));
    app.post_form(by, "/roles/new", "/roles", &fields).await
}

/// `by` creates an account holding `roles` through the 账号信息 form.
async fn create_account(
    app: &TestApp,
    by: &Client,
    username: &str,
    roles: &[RoleId],
) -> reqwest::Response {
    let ids: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    let mut fields = vec![
        ("username", username),
        ("name", "受托人"),
        ("password", PASSWORD),
        ("enabled", "1"),
    ];
    fields.extend(ids.iter().map(|r| ("role_ids", r.as_str())));
    app.post_form(by, "/accounts/new", "/accounts", &fields)
        .await
}

/// `by` submits the edit form of an account.
async fn edit_account(
    app: &TestApp,
    by: &Client,
    id: AccountId,
    password: &str,
    enabled: &str,
    roles: &[RoleId],
) -> reqwest::Response {
    let ids: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    let mut fields = vec![
        ("name", "改过的姓名"),
        ("password", password),
        ("enabled", enabled),
    ];
    fields.extend(ids.iter().map(|r| ("role_ids", r.as_str())));
    // The token comes from a page the delegate may open.
    app.post_form(by, "/accounts", &format!("/accounts/{id}"), &fields)
        .await
}

/// `by` submits the edit form of a role.
async fn edit_role(
    app: &TestApp,
    by: &Client,
    id: RoleId,
    name: &str,
    scope: DataScope,
    permissions: &[&str],
) -> reqwest::Response {
    let mut fields = vec![("name", name), ("data_scope", scope.code())];
    fields.extend(permissions.iter().map(|p| ("permissions", *p)));
    app.post_form(by, "/roles", &format!("/roles/{id}"), &fields)
        .await
}

struct Delegation {
    org: OrgId,
    admin: Client,
    admin_id: AccountId,
    delegate: Client,
    delegate_id: AccountId,
    /// 账号专员: account:view/edit + role:view/edit, 仅本人负责.
    delegate_role: Role,
}

/// The setup: the agency admin creates a role holding only account:view/edit and
/// role:view/edit and gives it to an account, which logs in.
async fn delegation(app: &TestApp, extra: &[&str]) -> Delegation {
    let org = app.seed_org("agency", "安信", "d_admin").await;
    let admin = app.login("d_admin", PASSWORD).await;
    let mut permissions = DELEGATE_PERMISSIONS.to_vec();
    permissions.extend_from_slice(extra);
    let res = create_role(app, &admin, "账号专员", DataScope::Own, &permissions).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let delegate_role = role_named(app, org, "账号专员").await;
    let res = create_account(app, &admin, "d_delegate", &[delegate_role.id]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    Delegation {
        org,
        admin,
        admin_id: account_id(app, "d_admin").await,
        delegate: app.login("d_delegate", PASSWORD).await,
        delegate_id: account_id(app, "d_delegate").await,
        delegate_role,
    }
}

fn codes(role: &Role) -> Vec<&'static str> {
    role.permissions.iter().map(|p| p.code()).collect()
}

/// (a) The delegate adds every permission of its organization type to its own role and widens
/// its data scope; it also tries a role holding more than it does.
async fn a_delegate_cannot_widen_its_own_role_or_edit_a_stronger_one(app: TestApp) {
    let d = delegation(&app, &[]).await;
    let everything: Vec<&str> = Permission::ALL
        .iter()
        .filter(|p| p.owned_by(anze_core::org::OrgKind::Agency))
        .map(|p| p.code())
        .collect();
    let res = edit_role(
        &app,
        &d.delegate,
        d.delegate_role.id,
        "账号专员",
        DataScope::Organization,
        &everything,
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("不能授予本人未拥有的权限"), "{html}");
    assert!(html.contains("服务订单·受理/拒绝"));
    assert!(html.contains("不能授予比本人更大的数据范围"));
    let after = role_named(&app, d.org, "账号专员").await;
    assert_eq!(codes(&after), codes(&d.delegate_role));
    assert_eq!(after.data_scope, DataScope::Own);

    // The form offers only what the delegate holds.
    let (status, form) = app
        .get(&d.delegate, &format!("/roles/{}", d.delegate_role.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("value=\"account:edit\"") && form.contains("value=\"role:edit\""));
    for absent in [
        "order:accept",
        "account:create",
        "role:create",
        "audit:view",
    ] {
        assert!(!form.contains(&format!("value=\"{absent}\"")), "{absent}");
    }
    assert!(!form.contains("value=\"organization\""));

    // 服务人员 holds order and record permissions the delegate lacks: neither its form nor a
    // submission reaches it, and the list offers no 编辑 for it.
    let staff = role_named(&app, d.org, "服务人员").await;
    assert_eq!(
        app.get(&d.delegate, &format!("/roles/{}", staff.id))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let res = edit_role(
        &app,
        &d.delegate,
        staff.id,
        "服务人员",
        DataScope::Own,
        &["account:view"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        codes(&role_named(&app, d.org, "服务人员").await),
        codes(&staff)
    );
    let (_, list) = app.get(&d.delegate, "/roles").await;
    assert!(list.contains(&format!("href=\"/roles/{}\"", d.delegate_role.id)));
    assert!(!list.contains(&format!("href=\"/roles/{}\"", staff.id)));
}

/// (b) The delegate sets a new password on the org's admin to log in as it.
async fn a_delegate_cannot_reset_the_password_of_an_account_holding_more(app: TestApp) {
    let d = delegation(&app, &[]).await;
    let admin_role = role_named(&app, d.org, "管理员").await;
    assert_eq!(
        app.get(&d.delegate, &format!("/accounts/{}", d.admin_id))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let res = edit_account(
        &app,
        &d.delegate,
        d.admin_id,
        "Hijack1234",
        "1",
        &[admin_role.id],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("不能修改权限高于本人的账号")
    );
    // Disabling it is refused the same way.
    let res = edit_account(&app, &d.delegate, d.admin_id, "", "", &[admin_role.id]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let (_, res) = app.try_login("d_admin", "Hijack1234").await;
    assert_ne!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the hijack password works"
    );
    app.login("d_admin", PASSWORD).await;
    let admin = app.db.get_account(d.admin_id).await.unwrap().unwrap();
    assert!(admin.enabled);
    assert_eq!(admin.name, "安信管理员");

    let (_, list) = app.get(&d.delegate, "/accounts").await;
    assert!(list.contains("d_admin"));
    assert!(!list.contains(&format!("href=\"/accounts/{}\"", d.admin_id)));
    assert!(list.contains(&format!("href=\"/accounts/{}\"", d.delegate_id)));
}

/// (c) The delegate gives itself the built-in 管理员 role.
async fn a_delegate_cannot_give_itself_the_admin_role(app: TestApp) {
    let d = delegation(&app, &[]).await;
    let admin_role = role_named(&app, d.org, "管理员").await;
    let (status, form) = app
        .get(&d.delegate, &format!("/accounts/{}", d.delegate_id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&format!(
        "name=\"role_ids\" value=\"{}\"",
        d.delegate_role.id
    )));
    assert!(!form.contains(&format!("name=\"role_ids\" value=\"{}\"", admin_role.id)));

    let res = edit_account(
        &app,
        &d.delegate,
        d.delegate_id,
        "",
        "1",
        &[d.delegate_role.id, admin_role.id],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("“管理员”角色只能由本机构管理员分配"),
        "{html}"
    );
    let me = app.db.get_account(d.delegate_id).await.unwrap().unwrap();
    let roles: Vec<RoleId> = me.roles.iter().map(|r| r.id).collect();
    assert_eq!(roles, vec![d.delegate_role.id]);
    assert_eq!(me.name, "受托人");
    // A session started now still has only the delegate's permissions.
    let actor = app.actor("d_delegate").await;
    assert!(!actor.is_org_admin && !actor.has(Permission::AccountCreate));
}

/// Within its holdings the delegate still works: it edits a staff account whose roles it holds
/// (password included) and edits a role to a subset of what it holds.
async fn a_delegate_still_manages_what_it_holds(app: TestApp) {
    let d = delegation(&app, &[]).await;
    let res = create_role(&app, &d.admin, "只读", DataScope::Own, &["account:view"]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let read_only = role_named(&app, d.org, "只读").await;
    let res = create_account(&app, &d.admin, "d_reader", &[read_only.id]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let reader = account_id(&app, "d_reader").await;

    let (_, list) = app.get(&d.delegate, "/accounts").await;
    assert!(list.contains(&format!("href=\"/accounts/{reader}\"")));
    let res = edit_account(
        &app,
        &d.delegate,
        reader,
        "NewPassw0rd",
        "1",
        &[read_only.id],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.login("d_reader", "NewPassw0rd").await;

    let res = edit_role(
        &app,
        &d.delegate,
        read_only.id,
        "只读",
        DataScope::Own,
        &["account:view", "role:view"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        codes(&role_named(&app, d.org, "只读").await),
        ["account:view", "role:view"]
    );
}

async fn an_own_scope_holder_cannot_create_an_organization_wide_role(app: TestApp) {
    let org = app.seed_org("agency", "安信", "s_admin").await;
    let admin = app.login("s_admin", PASSWORD).await;
    let res = create_role(
        &app,
        &admin,
        "建角色",
        DataScope::Own,
        &["role:view", "role:create"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let maker = role_named(&app, org, "建角色").await;
    create_account(&app, &admin, "s_maker", &[maker.id]).await;
    let maker = app.login("s_maker", PASSWORD).await;

    let (_, form) = app.get(&maker, "/roles/new").await;
    assert!(form.contains("value=\"own\"") && !form.contains("value=\"organization\""));
    let res = create_role(
        &app,
        &maker,
        "全机构",
        DataScope::Organization,
        &["role:view"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("不能授予比本人更大的数据范围")
    );
    assert!(
        app.db
            .roles_of_org(org)
            .await
            .unwrap()
            .iter()
            .all(|r| r.name != "全机构")
    );
    let res = create_role(&app, &maker, "本人", DataScope::Own, &["role:view"]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// Role and account deletion obey the same bound as editing.
async fn deleting_is_bounded_like_editing(app: TestApp) {
    let d = delegation(&app, &["account:delete", "role:delete"]).await;
    let res = create_role(&app, &d.admin, "闲置", DataScope::Own, &["account:view"]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = create_role(&app, &d.admin, "订单闲置", DataScope::Own, &["order:view"]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let strong = role_named(&app, d.org, "订单闲置").await;
    let weak = role_named(&app, d.org, "闲置").await;

    let (_, list) = app.get(&d.delegate, "/roles").await;
    assert!(list.contains(&format!("/roles/{}/delete", weak.id)));
    assert!(!list.contains(&format!("/roles/{}/delete", strong.id)));
    let delete = |path: String| {
        let app = &app;
        let client = &d.delegate;
        async move {
            app.post_form(client, "/roles", &path, &[("confirmed", "1")])
                .await
                .status()
        }
    };
    assert_eq!(
        delete(format!("/roles/{}/delete", strong.id)).await,
        StatusCode::FORBIDDEN
    );
    assert!(app.db.get_role(strong.id).await.unwrap().is_some());
    assert_eq!(
        delete(format!("/roles/{}/delete", weak.id)).await,
        StatusCode::SEE_OTHER
    );
    assert!(app.db.get_role(weak.id).await.unwrap().is_none());

    let (_, list) = app.get(&d.delegate, "/accounts").await;
    assert!(!list.contains(&format!("/accounts/{}/delete", d.admin_id)));
    assert_eq!(
        delete(format!("/accounts/{}/delete", d.admin_id)).await,
        StatusCode::FORBIDDEN
    );
    assert!(app.db.get_account(d.admin_id).await.unwrap().is_some());
    app.login("d_admin", PASSWORD).await;
}

async fn platform_admin_still_manages_every_organization(app: TestApp) {
    let org = app.seed_org("agency", "安信", "pa_admin").await;
    app.seed_account("pa_admin", "pa_staff", "服务人员").await;
    let platform = app.admin().await;

    let (_, form) = app.get(&platform, &format!("/roles/new?org={org}")).await;
    assert!(form.contains("value=\"order:accept\"") && form.contains("value=\"organization\""));
    let org_id = org.to_string();
    let res = app
        .post_form(
            &platform,
            "/roles/new",
            "/roles",
            &[
                ("org_id", org_id.as_str()),
                ("name", "调度"),
                ("data_scope", "organization"),
                ("permissions", "order:accept"),
                ("permissions", "order:assign"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let dispatch = role_named(&app, org, "调度").await;
    assert_eq!(
        codes(&dispatch),
        ["order:view", "order:accept", "order:assign"]
    );

    let admin_role = role_named(&app, org, "管理员").await;
    let staff = account_id(&app, "pa_staff").await;
    let res = edit_account(&app, &platform, staff, "", "1", &[admin_role.id]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.actor("pa_staff").await.is_org_admin);
    let admin = account_id(&app, "pa_admin").await;
    let res = edit_account(&app, &platform, admin, "Reset12345", "1", &[admin_role.id]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.login("pa_admin", "Reset12345").await;
    app.login("admin", ADMIN_PASSWORD).await;
}

/// A platform account holding only account permissions reaches other organizations' accounts,
/// but cannot act on one holding more than it does nor hand out a 管理员 role.
async fn platform_staff_cannot_escalate_in_another_organization(app: TestApp) {
    let agency = app.seed_org("agency", "安信", "ps_admin").await;
    app.seed_account("ps_admin", "ps_staff", "服务人员").await;
    let platform = app.admin().await;
    let res = create_role(
        &app,
        &platform,
        "平台账号员",
        DataScope::Organization,
        &["account:view", "account:edit", "account:create"],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let platform_org = app.actor("admin").await.org_id;
    let clerk_role = role_named(&app, platform_org, "平台账号员").await;
    create_account(&app, &platform, "ps_clerk", &[clerk_role.id]).await;
    let clerk = app.login("ps_clerk", PASSWORD).await;

    let agency_admin = account_id(&app, "ps_admin").await;
    let admin_role = role_named(&app, agency, "管理员").await;
    let res = edit_account(
        &app,
        &clerk,
        agency_admin,
        "Hijack1234",
        "1",
        &[admin_role.id],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.login("ps_admin", PASSWORD).await;

    let agency_id = agency.to_string();
    let admin_role_id = admin_role.id.to_string();
    let res = app
        .post_form(
            &clerk,
            "/accounts/new",
            "/accounts",
            &[
                ("org_id", agency_id.as_str()),
                ("username", "ps_mole"),
                ("name", "内应"),
                ("password", PASSWORD),
                ("role_ids", admin_role_id.as_str()),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        app.db
            .find_account_by_username("ps_mole")
            .await
            .unwrap()
            .is_none()
    );
}

async fn an_org_admin_still_assigns_the_admin_role(app: TestApp) {
    let org = app.seed_org("agency", "安信", "oa_admin").await;
    let admin = app.login("oa_admin", PASSWORD).await;
    let admin_role = role_named(&app, org, "管理员").await;
    let (_, form) = app.get(&admin, "/accounts/new").await;
    assert!(form.contains(&format!("name=\"role_ids\" value=\"{}\"", admin_role.id)));
    let res = create_account(&app, &admin, "oa_second", &[admin_role.id]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.actor("oa_second").await.is_org_admin);
}

fn enterprise_fields<'a>(code: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("credit_code", code),
        ("region_code", "350503"),
        ("address", "泉州市测试路 8 号"),
        ("contact_name", "企业联系人"),
        ("contact_phone", "13905958888"),
        ("industry_code", "0201"),
        ("employee_count", "120"),
    ]
}

async fn enterprise_id(app: &TestApp, code: &str) -> OrgId {
    app.db
        .find_enterprise_by_credit_code(code)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn edit_enterprise(
    app: &TestApp,
    by: &Client,
    id: OrgId,
    code: &str,
    name: &str,
) -> StatusCode {
    app.post_form(
        by,
        "/enterprises",
        &format!("/enterprises/{id}"),
        &enterprise_fields(code, name),
    )
    .await
    .status()
}

async fn an_insurer_edits_only_the_enterprises_it_insures(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ea_ins").await;
    app.seed_org("insurer", "平安泉州", "eb_ins").await;
    let code = app.seed_enterprise("ea_ins", "恒安石化", "350503").await;
    app.seed_policy("ea_ins", &code, "EA-1").await;
    let id = enterprise_id(&app, &code).await;
    let a = app.login("ea_ins", PASSWORD).await;
    let b = app.login("eb_ins", PASSWORD).await;

    let (_, list) = app.get(&b, "/enterprises").await;
    assert!(list.contains("恒安石化"));
    assert!(!list.contains(&format!("href=\"/enterprises/{id}\"")));
    assert_eq!(
        app.get(&b, &format!("/enterprises/{id}")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        edit_enterprise(&app, &b, id, &code, "被改名").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.db.get_enterprise(id).await.unwrap().unwrap().name,
        "恒安石化"
    );
    // Creating a new enterprise stays open to every insurer.
    let other = credit_code("新登记");
    let res = app
        .post_form(
            &b,
            "/enterprises/new",
            "/enterprises",
            &enterprise_fields(&other, "新登记企业"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let (_, list) = app.get(&a, "/enterprises").await;
    assert!(list.contains(&format!("href=\"/enterprises/{id}\"")));
    assert_eq!(
        edit_enterprise(&app, &a, id, &code, "恒安石化股份").await,
        StatusCode::SEE_OTHER
    );
    let (_, log) = app.get(&a, "/audit").await;
    assert!(log.contains("名称: 恒安石化 → 恒安石化股份"), "{log}");

    let platform = app.admin().await;
    assert_eq!(
        edit_enterprise(&app, &platform, id, &code, "恒安石化集团").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.db.get_enterprise(id).await.unwrap().unwrap().name,
        "恒安石化集团"
    );
}

/// The choice made for an enterprise nobody insures yet: its registrant edits it, no other
/// insurer does; once another insurer writes a policy on it, that insurer edits it and the
/// registrant (holding no policy) no longer does.
async fn a_registrant_edits_its_enterprise_until_another_insurer_insures_it(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ra_ins").await;
    app.seed_org("insurer", "平安泉州", "rb_ins").await;
    let code = app.seed_enterprise("ra_ins", "晋江鞋厂", "350503").await;
    let id = enterprise_id(&app, &code).await;
    let a = app.login("ra_ins", PASSWORD).await;
    let b = app.login("rb_ins", PASSWORD).await;

    assert_eq!(
        edit_enterprise(&app, &b, id, &code, "被改名").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        edit_enterprise(&app, &a, id, &code, "晋江鞋业").await,
        StatusCode::SEE_OTHER
    );

    app.seed_policy("rb_ins", &code, "RB-1").await;
    assert_eq!(
        edit_enterprise(&app, &a, id, &code, "晋江鞋业一厂").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        edit_enterprise(&app, &b, id, &code, "晋江鞋业集团").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.db.get_enterprise(id).await.unwrap().unwrap().name,
        "晋江鞋业集团"
    );
}
