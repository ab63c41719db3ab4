//! 角色管理 (seed §3.2): 角色列表, 新增/编辑 with the permission tree, 删除.

use anze_core::role::RoleStore;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};

crate::backend_tests!(
    admin_creates_a_role_whose_actions_imply_the_menu,
    granting_what_the_organization_type_does_not_own_is_refused,
    role_name_is_unique_within_the_organization,
    editing_a_role_changes_what_its_holders_can_do,
    a_role_in_use_cannot_be_deleted,
    the_builtin_admin_role_is_not_editable,
    another_organizations_roles_are_not_found,
);

async fn role_id(app: &TestApp, admin: &str, name: &str) -> String {
    let org = app.actor(admin).await.org_id;
    app.db
        .roles_of_org(org)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap()
        .id
        .to_string()
}

async fn admin_creates_a_role_whose_actions_imply_the_menu(app: TestApp) {
    app.seed_org("agency", "安信", "r_admin").await;
    let admin = app.login("r_admin", PASSWORD).await;
    let (status, html) = app.get(&admin, "/roles/new").await;
    assert_eq!(status, StatusCode::OK);
    for label in [
        "角色名称",
        "数据范围",
        "本机构全部",
        "仅本人负责",
        "账号管理",
        "编辑(含修改密码)",
        "操作日志",
    ] {
        assert!(html.contains(label), "{label}");
    }
    assert!(
        !html.contains("org:create"),
        "an agency cannot grant organization management"
    );
    let res = app
        .post_form(
            &admin,
            "/roles/new",
            "/roles",
            &[
                ("name", "账号专员"),
                ("data_scope", "organization"),
                ("permissions", "account:edit"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&admin, "/roles").await;
    assert!(list.contains("账号专员") && list.contains("自定义"));
    let org = app.actor("r_admin").await.org_id;
    let role = app
        .db
        .roles_of_org(org)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "账号专员")
        .unwrap();
    let codes: Vec<_> = role.permissions.iter().map(|p| p.code()).collect();
    assert_eq!(codes, ["account:view", "account:edit"]);
}

async fn granting_what_the_organization_type_does_not_own_is_refused(app: TestApp) {
    app.seed_org("insurer", "人保", "g_admin").await;
    let admin = app.login("g_admin", PASSWORD).await;
    for (perm, msg) in [
        ("org:create", "保险机构不能授予以下权限:机构管理·新增"),
        ("system:everything", "未知的权限"),
    ] {
        let res = app
            .post_form(
                &admin,
                "/roles/new",
                "/roles",
                &[
                    ("name", "越权"),
                    ("data_scope", "organization"),
                    ("permissions", "account:view"),
                    ("permissions", perm),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{perm}");
        assert!(res.text().await.unwrap().contains(msg), "{perm}");
    }
    let res = app
        .post_form(
            &admin,
            "/roles/new",
            "/roles",
            &[("name", "空"), ("data_scope", "everyone")],
        )
        .await;
    let html = res.text().await.unwrap();
    assert!(html.contains("请选择数据范围") && html.contains("请至少选择一项权限"));
    let (_, list) = app.get(&admin, "/roles").await;
    assert!(!list.contains("越权"));
}

async fn role_name_is_unique_within_the_organization(app: TestApp) {
    app.seed_org("insurer", "人保", "u_admin").await;
    app.seed_org("insurer", "平安", "u2_admin").await;
    let admin = app.login("u_admin", PASSWORD).await;
    let res = app
        .post_form(
            &admin,
            "/roles/new",
            "/roles",
            &[
                ("name", "业务人员"),
                ("data_scope", "own"),
                ("permissions", "account:view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("本机构已有同名角色"));
    let other = app.login("u2_admin", PASSWORD).await;
    let res = app
        .post_form(
            &other,
            "/roles/new",
            "/roles",
            &[
                ("name", "<b>审核</b>"),
                ("data_scope", "own"),
                ("permissions", "account:view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&other, "/roles").await;
    assert!(list.contains("&#60;b&#62;审核&#60;/b&#62;") && !list.contains("<b>审核</b>"));
}

async fn editing_a_role_changes_what_its_holders_can_do(app: TestApp) {
    app.seed_org("agency", "众诚", "e_admin").await;
    app.seed_account("e_admin", "e_staff", "服务人员").await;
    let staff = app.login("e_staff", PASSWORD).await;
    assert_eq!(app.get(&staff, "/audit").await.0, StatusCode::FORBIDDEN);
    let admin = app.login("e_admin", PASSWORD).await;
    let id = role_id(&app, "e_admin", "服务人员").await;
    let path = format!("/roles/{id}");
    let (_, html) = app.get(&admin, &path).await;
    assert!(html.contains("value=\"服务人员\""));
    let res = app
        .post_form(
            &admin,
            &path,
            &path,
            &[
                ("name", "服务人员"),
                ("data_scope", "own"),
                ("permissions", "account:view"),
                ("permissions", "audit:view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&staff, "/audit").await.0,
        StatusCode::OK,
        "effective at once"
    );
    let (_, log) = app.get(&admin, "/audit?object=role").await;
    assert!(log.contains("新增权限: 操作日志·查看"));
    assert!(log.contains("移除权限: ") && log.contains("角色管理·查看"));
}

async fn a_role_in_use_cannot_be_deleted(app: TestApp) {
    app.seed_org("agency", "闽安", "x_admin").await;
    let staff = app.seed_account("x_admin", "x_staff", "服务人员").await;
    let admin = app.login("x_admin", PASSWORD).await;
    let id = role_id(&app, "x_admin", "服务人员").await;
    let action = format!("/roles/{id}/delete");
    let res = app
        .post_form(&admin, "/roles", &action, &[("confirmed", "1")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("仍有 1 个账号在使用"));
    // Once its only holder is deleted the role can go.
    app.post_form(
        &admin,
        "/accounts",
        &format!("/accounts/{staff}/delete"),
        &[("confirmed", "1")],
    )
    .await;
    let res = app.post_form(&admin, "/roles", &action, &[]).await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("确定删除角色“服务人员”吗")
    );
    let res = app
        .post_form(&admin, "/roles", &action, &[("confirmed", "1")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&admin, "/roles").await;
    assert!(!list.contains("服务人员"));
}

async fn the_builtin_admin_role_is_not_editable(app: TestApp) {
    app.seed_org("agency", "安信", "b_admin").await;
    let admin = app.login("b_admin", PASSWORD).await;
    let id = role_id(&app, "b_admin", "管理员").await;
    assert_eq!(
        app.get(&admin, &format!("/roles/{id}")).await.0,
        StatusCode::CONFLICT
    );
    let res = app
        .post_form(
            &admin,
            "/roles",
            &format!("/roles/{id}"),
            &[
                ("name", "降级"),
                ("data_scope", "own"),
                ("permissions", "account:view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .post_form(
            &admin,
            "/roles",
            &format!("/roles/{id}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

async fn another_organizations_roles_are_not_found(app: TestApp) {
    app.seed_org("agency", "甲", "ra_admin").await;
    app.seed_org("agency", "乙", "rb_admin").await;
    let b_role = role_id(&app, "rb_admin", "服务人员").await;
    let a = app.login("ra_admin", PASSWORD).await;
    assert_eq!(
        app.get(&a, &format!("/roles/{b_role}")).await.0,
        StatusCode::NOT_FOUND
    );
    let res = app
        .post_form(
            &a,
            "/roles",
            &format!("/roles/{b_role}"),
            &[
                ("name", "劫持"),
                ("data_scope", "own"),
                ("permissions", "account:view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post_form(
            &a,
            "/roles",
            &format!("/roles/{b_role}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (_, list) = app.get(&a, "/roles").await;
    assert!(list.contains("共 2 条"), "only its own two roles");
}
