//! 操作日志 and 登录日志: every change and every login attempt, scoped per organization.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp};

crate::backend_tests!(
    changes_are_logged_with_who_what_and_ip,
    login_attempts_are_logged_and_filterable,
    each_organization_admin_sees_only_its_own_logs,
);

async fn changes_are_logged_with_who_what_and_ip(app: TestApp) {
    app.seed_org("agency", "安信", "l_admin").await;
    app.seed_account("l_admin", "l_staff", "服务人员").await;
    let admin = app.login("l_admin", PASSWORD).await;
    let (status, html) = app.get(&admin, "/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("新增") && html.contains("l_staff的姓名(l_staff)"));
    assert!(html.contains("安信管理员(l_admin)"), "who");
    let (_, html) = app.get(&admin, "/audit?action=delete").await;
    assert!(html.contains("没有符合条件的操作记录"));
    let (_, html) = app
        .get(&admin, "/audit?from=2000-01-01&to=2000-01-02")
        .await;
    assert!(html.contains("没有符合条件的操作记录"));
    let (status, _) = app.get(&admin, "/audit?from=yesterday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.post_form(
        &admin,
        "/roles/new",
        "/roles",
        &[
            ("name", "日志角色"),
            ("data_scope", "own"),
            ("permissions", "account:view"),
        ],
    )
    .await;
    let (_, html) = app.get(&admin, "/audit?object=role").await;
    assert!(
        html.contains("日志角色") && html.contains("127.0.0.1"),
        "the address is recorded"
    );
}

async fn login_attempts_are_logged_and_filterable(app: TestApp) {
    app.seed_org("insurer", "人保", "i_admin").await;
    app.try_login("i_admin", "WrongPass1").await;
    app.login("i_admin", PASSWORD).await;
    app.try_login("ghost", "WrongPass1").await;
    let admin = app.admin().await;
    let (_, html) = app.get(&admin, "/login-log?result=failure").await;
    assert!(html.contains("ghost") && html.contains("账号或密码错误"));
    let (_, html) = app.get(&admin, "/login-log?q=i_admin&result=success").await;
    assert!(html.contains("登录成功") && html.contains("共 1 条"));
    // An organization admin sees its own members' attempts, not strangers'.
    let insurer = app.login("i_admin", PASSWORD).await;
    let (_, html) = app.get(&insurer, "/login-log").await;
    assert!(html.contains("i_admin") && !html.contains("ghost"));
}

async fn each_organization_admin_sees_only_its_own_logs(app: TestApp) {
    let a_org = app.seed_org("agency", "甲", "la_admin").await;
    app.seed_org("agency", "乙", "lb_admin").await;
    app.seed_account("lb_admin", "lb_secret_staff", "服务人员")
        .await;
    let a = app.login("la_admin", PASSWORD).await;
    let (_, html) = app.get(&a, "/audit").await;
    assert!(!html.contains("lb_secret_staff"));
    // Asking for another organization's events through the filter does not widen the scope.
    let b_org = app.actor("lb_admin").await.org_id;
    let (_, html) = app.get(&a, &format!("/audit?org={b_org}")).await;
    assert!(!html.contains("lb_secret_staff"));
    let admin = app.admin().await;
    let (_, html) = app.get(&admin, &format!("/audit?org={b_org}")).await;
    assert!(html.contains("lb_secret_staff"));
    let (_, html) = app.get(&admin, &format!("/audit?org={a_org}")).await;
    assert!(!html.contains("lb_secret_staff"));
}
