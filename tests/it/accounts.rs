//! 账号管理 (seed §3.1): 账号列表, 新增, 编辑 with the pencil, 删除 with confirmation.

use anze_core::account::AccountStore;
use anze_core::role::RoleStore;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, location};

crate::backend_tests!(
    org_admin_adds_an_account_that_sees_only_its_menus,
    duplicate_username_is_a_field_error,
    account_form_validates_every_field,
    pencil_changes_the_password_and_ends_the_accounts_sessions,
    delete_asks_first_then_soft_deletes,
    nobody_deletes_or_disables_themselves,
    another_organizations_accounts_and_roles_are_not_found,
    list_searches_and_paginates,
    platform_admin_manages_every_organizations_accounts,
);

async fn role_id(app: &TestApp, admin_username: &str, role: &str) -> String {
    let org = app.actor(admin_username).await.org_id;
    app.db
        .roles_of_org(org)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == role)
        .unwrap()
        .id
        .to_string()
}

async fn org_admin_adds_an_account_that_sees_only_its_menus(app: TestApp) {
    app.seed_org("agency", "安信", "ax_admin").await;
    let admin = app.login("ax_admin", PASSWORD).await;
    let (status, html) = app.get(&admin, "/accounts/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("管理员") && html.contains("服务人员"));
    let staff_role = role_id(&app, "ax_admin", "服务人员").await;
    let res = app
        .post_form(
            &admin,
            "/accounts/new",
            "/accounts",
            &[
                ("username", "zhang.gong"),
                ("name", "张工"),
                ("phone", "13905959999"),
                ("password", PASSWORD),
                ("role_ids", &staff_role),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get(&admin, "/accounts").await;
    assert!(list.contains("操作成功") && list.contains("zhang.gong") && list.contains("张工"));
    let staff = app.login("zhang.gong", PASSWORD).await;
    let (_, home) = app.get(&staff, "/").await;
    assert!(home.contains("账号管理") && home.contains("角色管理"));
    assert!(!home.contains("操作日志") && !home.contains("机构管理"));
    // Viewing is allowed, changing is not.
    assert_eq!(app.get(&staff, "/accounts").await.0, StatusCode::OK);
    assert_eq!(
        app.get(&staff, "/accounts/new").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get(&staff, "/audit").await.0, StatusCode::FORBIDDEN);
}

async fn duplicate_username_is_a_field_error(app: TestApp) {
    app.seed_org("insurer", "人保", "dup_admin").await;
    let admin = app.login("dup_admin", PASSWORD).await;
    let role = role_id(&app, "dup_admin", "业务人员").await;
    let fields = [
        ("username", "dup_admin"),
        ("name", "重复"),
        ("password", PASSWORD),
        ("role_ids", role.as_str()),
        ("enabled", "1"),
    ];
    let res = app
        .post_form(&admin, "/accounts/new", "/accounts", &fields)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("该登录账号已存在"));
    assert!(html.contains("value=\"重复\""));
}

async fn account_form_validates_every_field(app: TestApp) {
    app.seed_org("insurer", "人保", "v_admin").await;
    let admin = app.login("v_admin", PASSWORD).await;
    let long = "名".repeat(51);
    let res = app
        .post_form(
            &admin,
            "/accounts/new",
            "/accounts",
            &[
                ("username", "张三丰"),
                ("name", &long),
                ("phone", "0595-1234"),
                ("password", "short"),
                ("role_ids", "not-a-number"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    for msg in [
        "登录账号只能包含字母、数字",
        "姓名不能超过 50 个字符",
        "手机号格式不正确",
        "密码至少 8 位",
        "角色选择无效",
    ] {
        assert!(html.contains(msg), "{msg}");
    }
    let res = app
        .post_form(
            &admin,
            "/accounts/new",
            "/accounts",
            &[
                ("username", "no_role"),
                ("name", "无角色"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(res.text().await.unwrap().contains("请至少选择一个角色"));
    let page = app
        .db
        .list_accounts(None, &Default::default(), Default::default())
        .await
        .unwrap();
    assert_eq!(page.total, 2, "admin and v_admin only");
}

async fn pencil_changes_the_password_and_ends_the_accounts_sessions(app: TestApp) {
    app.seed_org("agency", "众诚", "p_admin").await;
    let id = app.seed_account("p_admin", "p_staff", "服务人员").await;
    let staff = app.login("p_staff", PASSWORD).await;
    let admin = app.login("p_admin", PASSWORD).await;
    let path = format!("/accounts/{id}");
    let (_, html) = app.get(&admin, &path).await;
    assert!(
        html.contains("data-reveal=\"password-edit\""),
        "the pencil icon"
    );
    assert!(html.contains("修改密码"));
    let (_, html) = app.get(&admin, &format!("{path}?change_password=1")).await;
    assert!(
        !html.contains("id=\"password-edit\" hidden"),
        "works without JavaScript"
    );
    let role = role_id(&app, "p_admin", "服务人员").await;
    let res = app
        .post_form(
            &admin,
            &path,
            &path,
            &[
                ("name", "新名字"),
                ("role_ids", &role),
                ("enabled", "1"),
                ("password", "Changed99"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&staff, "/").await.0,
        StatusCode::SEE_OTHER,
        "old session ended"
    );
    let (_, res) = app.try_login("p_staff", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    app.login("p_staff", "Changed99").await;
    // Editing without touching the pencil keeps the password.
    let res = app
        .post_form(
            &admin,
            &path,
            &path,
            &[("name", "再改名"), ("role_ids", &role), ("enabled", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.login("p_staff", "Changed99").await;
    let (_, log) = app.get(&admin, "/audit").await;
    assert!(log.contains("密码已修改") && log.contains("姓名: 新名字 → 再改名"));
}

async fn delete_asks_first_then_soft_deletes(app: TestApp) {
    app.seed_org("agency", "闽安", "d_admin").await;
    let id = app.seed_account("d_admin", "d_staff", "服务人员").await;
    let admin = app.login("d_admin", PASSWORD).await;
    let action = format!("/accounts/{id}/delete");
    let res = app.post_form(&admin, "/accounts", &action, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("确定删除账号“d_staff的姓名(d_staff)”吗"),
        "names the account"
    );
    assert!(
        app.db.get_account(id).await.unwrap().is_some(),
        "not yet deleted"
    );
    let res = app
        .post_form(&admin, "/accounts", &action, &[("confirmed", "1")])
        .await;
    assert_eq!(location(&res), "/accounts");
    let (_, list) = app.get(&admin, "/accounts").await;
    assert!(list.contains("操作成功") && !list.contains("d_staff"));
    let (_, res) = app.try_login("d_staff", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // History keeps the name, and the username stays taken.
    let (_, log) = app.get(&admin, "/audit?action=delete").await;
    assert!(log.contains("d_staff的姓名(d_staff)"));
    assert!(app.db.username_taken("d_staff").await.unwrap());
    let res = app
        .post_form(&admin, "/accounts", &action, &[("confirmed", "1")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "deleting twice");
}

async fn nobody_deletes_or_disables_themselves(app: TestApp) {
    app.seed_org("agency", "自己", "self_admin").await;
    let admin = app.login("self_admin", PASSWORD).await;
    let me = app.actor("self_admin").await;
    let res = app
        .post_form(
            &admin,
            "/accounts",
            &format!("/accounts/{}/delete", me.account_id),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("不能删除自己的账号"));
    let path = format!("/accounts/{}", me.account_id);
    let admin_role = role_id(&app, "self_admin", "管理员").await;
    let staff_role = role_id(&app, "self_admin", "服务人员").await;
    let res = app
        .post_form(
            &admin,
            &path,
            &path,
            &[("name", "我"), ("role_ids", &admin_role), ("enabled", "")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("不能停用自己的账号"));
    let res = app
        .post_form(
            &admin,
            &path,
            &path,
            &[("name", "我"), ("role_ids", &staff_role), ("enabled", "1")],
        )
        .await;
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("不能移除自己的管理员角色")
    );
    app.login("self_admin", PASSWORD).await;
}

async fn another_organizations_accounts_and_roles_are_not_found(app: TestApp) {
    app.seed_org("agency", "甲机构", "a_admin").await;
    app.seed_org("agency", "乙机构", "b_admin").await;
    let b_staff = app.seed_account("b_admin", "b_staff", "服务人员").await;
    let b_role = role_id(&app, "b_admin", "服务人员").await;
    let a = app.login("a_admin", PASSWORD).await;
    let path = format!("/accounts/{b_staff}");
    let (status, html) = app.get(&a, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !html.contains("b_staff"),
        "never the other organization's data"
    );
    let a_role = role_id(&app, "a_admin", "服务人员").await;
    let res = app
        .post_form(
            &a,
            "/accounts",
            &path,
            &[("name", "劫持"), ("role_ids", &a_role), ("enabled", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post_form(
            &a,
            "/accounts",
            &format!("{path}/delete"),
            &[("confirmed", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Giving one's own account another organization's role.
    let res = app
        .post_form(
            &a,
            "/accounts/new",
            "/accounts",
            &[
                ("username", "a_new"),
                ("name", "新"),
                ("password", PASSWORD),
                ("role_ids", &b_role),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Choosing another organization is ignored for non-platform admins.
    let b_org = app.actor("b_admin").await.org_id.to_string();
    let res = app
        .post_form(
            &a,
            "/accounts/new",
            "/accounts",
            &[
                ("org_id", &b_org),
                ("username", "a_new2"),
                ("name", "新"),
                ("password", PASSWORD),
                ("role_ids", &a_role),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let created = app
        .db
        .find_account_by_username("a_new2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.org_id, app.actor("a_admin").await.org_id);
    let b_account = app.db.get_account(b_staff).await.unwrap().unwrap();
    assert_eq!(b_account.name, "b_staff的姓名", "untouched");
    let (_, list) = app.get(&a, &format!("/accounts?org={b_org}")).await;
    assert!(
        !list.contains("b_staff"),
        "the org filter cannot widen the scope"
    );
}

async fn list_searches_and_paginates(app: TestApp) {
    app.seed_org("insurer", "平安", "l_admin").await;
    for i in 0..23 {
        app.seed_account("l_admin", &format!("user{i:02}"), "业务人员")
            .await;
    }
    let admin = app.login("l_admin", PASSWORD).await;
    let (_, page1) = app.get(&admin, "/accounts").await;
    assert!(page1.contains("共 24 条") && page1.contains("第 1/2 页"));
    let (_, page2) = app.get(&admin, "/accounts?page=2").await;
    assert!(page2.contains("第 2/2 页"));
    let (_, found) = app.get(&admin, "/accounts?q=user07").await;
    assert!(found.contains("user07") && found.contains("共 1 条"));
    let role = role_id(&app, "l_admin", "管理员").await;
    let (_, by_role) = app.get(&admin, &format!("/accounts?role={role}")).await;
    assert!(by_role.contains("l_admin") && by_role.contains("共 1 条"));
    let (_, none) = app.get(&admin, "/accounts?status=disabled").await;
    assert!(none.contains("没有符合条件的账号"));
}

async fn platform_admin_manages_every_organizations_accounts(app: TestApp) {
    let org = app.seed_org("regulator", "应急局", "r_admin").await;
    let admin = app.admin().await;
    let (_, list) = app.get(&admin, &format!("/accounts?org={org}")).await;
    assert!(list.contains("r_admin") && !list.contains(">admin<"));
    let (_, form) = app.get(&admin, &format!("/accounts/new?org={org}")).await;
    assert!(
        form.contains("业务人员"),
        "roles of the chosen organization"
    );
    let role = role_id(&app, "r_admin", "业务人员").await;
    let org_s = org.to_string();
    let res = app
        .post_form(
            &admin,
            "/accounts/new",
            "/accounts",
            &[
                ("org_id", &org_s),
                ("username", "r_staff"),
                ("name", "监管员"),
                ("password", PASSWORD),
                ("role_ids", &role),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.actor("r_staff").await.org_id, org);
}
