//! 机构管理: the platform admin registers organizations and their first admins.

use anze_core::role::RoleStore;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, credit_code, location};

crate::backend_tests!(
    platform_admin_creates_an_agency_with_its_first_admin,
    credit_code_errors_say_which_check_failed,
    duplicate_credit_code_and_admin_account_are_field_errors,
    bad_phone_and_over_long_fields_keep_the_entered_values,
    html_and_sql_in_fields_are_stored_and_shown_as_text,
    list_filters_by_name_type_region_and_status,
    edit_changes_fields_and_is_logged,
    only_the_platform_manages_organizations,
);

fn org_fields<'a>(name: &'a str, code: &'a str, admin: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "agency"),
        ("name", name),
        ("credit_code", code),
        ("region_code", "350582"),
        ("address", "晋江市世纪大道 1 号"),
        ("contact_name", "许主任"),
        ("contact_phone", "0595-85678901"),
        ("admin_username", admin),
        ("admin_name", "许管理"),
        ("admin_password", PASSWORD),
    ]
}

async fn platform_admin_creates_an_agency_with_its_first_admin(app: TestApp) {
    let admin = app.admin().await;
    let (status, html) = app.get(&admin, "/orgs/new").await;
    assert_eq!(status, StatusCode::OK);
    for label in [
        "机构类型",
        "统一社会信用代码",
        "所属区划",
        "晋江市",
        "泉州台商投资区",
        "管理员账号",
    ] {
        assert!(html.contains(label), "{label}");
    }
    let code = credit_code("晋江安评");
    let res = app
        .post_form(
            &admin,
            "/orgs/new",
            "/orgs",
            &org_fields("晋江安评有限公司", &code, "jj_admin"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/orgs");
    let (_, html) = app.get(&admin, "/orgs").await;
    assert!(html.contains("操作成功"));
    assert!(
        html.contains("晋江安评有限公司") && html.contains(&code) && html.contains("技术服务机构")
    );
    // The first admin can log in and manage the new organization's accounts, not organizations.
    let first = app.login("jj_admin", PASSWORD).await;
    let (_, home) = app.get(&first, "/").await;
    assert!(home.contains("账号管理") && !home.contains("机构管理"));
    let org = app.actor("jj_admin").await.org_id;
    let roles = app.db.roles_of_org(org).await.unwrap();
    let names: Vec<_> = roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["管理员", "服务人员"],
        "built-in roles for an agency"
    );
}

async fn credit_code_errors_say_which_check_failed(app: TestApp) {
    let admin = app.admin().await;
    let valid = credit_code("校验位");
    let wrong_check = format!(
        "{}{}",
        &valid[..17],
        if valid.ends_with('A') { 'B' } else { 'A' }
    );
    for (code, expected) in [
        ("91350500", "应为 18 位"),
        ("91350500MA2Y4K8QIO", "不是允许的字符"),
        (wrong_check.as_str(), "校验位不正确"),
    ] {
        let res = app
            .post_form(
                &admin,
                "/orgs/new",
                "/orgs",
                &org_fields("校验测试", code, "chk_admin"),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        let html = res.text().await.unwrap();
        assert!(html.contains(expected), "{code}: {expected}");
        assert!(
            html.contains("value=\"校验测试\""),
            "entered values are kept"
        );
    }
    let (_, list) = app.get(&admin, "/orgs").await;
    assert!(!list.contains("校验测试"), "nothing was created");
}

async fn duplicate_credit_code_and_admin_account_are_field_errors(app: TestApp) {
    let admin = app.admin().await;
    let code = credit_code("重复");
    let first = app
        .post_form(
            &admin,
            "/orgs/new",
            "/orgs",
            &org_fields("第一家", &code, "dup_admin"),
        )
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let res = app
        .post_form(
            &admin,
            "/orgs/new",
            "/orgs",
            &org_fields("第二家", &code, "dup_admin2"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("该统一社会信用代码已登记")
    );
    let other = credit_code("不重复");
    let res = app
        .post_form(
            &admin,
            "/orgs/new",
            "/orgs",
            &org_fields("第三家", &other, "dup_admin"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("该账号已存在"));
}

async fn bad_phone_and_over_long_fields_keep_the_entered_values(app: TestApp) {
    let admin = app.admin().await;
    let code = credit_code("长字段");
    let long_name = "长".repeat(101);
    let mut fields = org_fields(&long_name, &code, "long_admin");
    fields.retain(|(k, _)| *k != "contact_phone");
    fields.push(("contact_phone", "12345"));
    let res = app.post_form(&admin, "/orgs/new", "/orgs", &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("机构名称不能超过 100 个字符"));
    assert!(html.contains("电话格式不正确"));
    assert!(html.contains("value=\"12345\""));
    assert!(!html.contains(PASSWORD), "the password is not echoed back");
}

async fn html_and_sql_in_fields_are_stored_and_shown_as_text(app: TestApp) {
    let admin = app.admin().await;
    let code = credit_code("注入");
    let name = "<script>alert(1)</script>'; DROP TABLE accounts; --";
    let res = app
        .post_form(
            &admin,
            "/orgs/new",
            "/orgs",
            &org_fields(name, &code, "xss_admin"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&admin, "/orgs").await;
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    // Search with SQL and LIKE metacharacters is plain text.
    for q in ["'; DROP TABLE accounts; --", "%", "_", "\\", "!"] {
        let (status, _) = app
            .get(
                &admin,
                &format!("/orgs?q={}", q.replace('%', "%25").replace('\\', "%5C")),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{q}");
    }
    let (_, html) = app.get(&admin, "/orgs?q=%25").await;
    assert!(
        html.contains("没有符合条件的机构"),
        "% matches literally, not everything"
    );
    app.login("xss_admin", PASSWORD).await;
}

async fn list_filters_by_name_type_region_and_status(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "f_picc").await;
    let agency = app.seed_org("agency", "安信技术", "f_anxin").await;
    let admin = app.admin().await;
    let (_, html) = app.get(&admin, "/orgs?kind=insurer").await;
    assert!(html.contains("人保泉州") && !html.contains("安信技术"));
    let (_, html) = app.get(&admin, "/orgs?q=%E5%AE%89%E4%BF%A1").await; // 安信
    assert!(html.contains("安信技术") && !html.contains("人保泉州"));
    let (_, html) = app.get(&admin, "/orgs?region=350582").await;
    assert!(!html.contains("安信技术"), "seeded in 丰泽区");
    let (_, html) = app.get(&admin, "/orgs?region=350503").await;
    assert!(html.contains("安信技术"));
    app.post_form(
        &admin,
        "/orgs",
        &format!("/orgs/{agency}/toggle"),
        &[("enabled", "0")],
    )
    .await;
    let (_, html) = app.get(&admin, "/orgs?status=disabled").await;
    assert!(html.contains("安信技术") && !html.contains("人保泉州"));
    let (_, html) = app.get(&admin, "/orgs?status=enabled&size=10&page=1").await;
    assert!(
        html.contains("人保泉州") && html.contains("共 2 条"),
        "platform + insurer"
    );
    let (status, _) = app.get(&admin, "/orgs?kind=%ZZ&page=-1&size=abc").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "junk in the query falls back to defaults"
    );
}

async fn edit_changes_fields_and_is_logged(app: TestApp) {
    let org = app.seed_org("insurer", "平安泉州", "e_pingan").await;
    let admin = app.admin().await;
    let path = format!("/orgs/{org}");
    let (status, html) = app.get(&admin, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"平安泉州\""));
    let code = credit_code("平安泉州");
    let res = app
        .post_form(
            &admin,
            &path,
            &path,
            &[
                ("name", "平安财险泉州中心支公司"),
                ("credit_code", &code),
                ("region_code", "350503"),
                ("address", "泉州市丰泽区刺桐路 702 号"),
                ("contact_name", "郑经理"),
                ("contact_phone", "13905951002"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, log) = app
        .get(&admin, "/audit?object=organization&action=update")
        .await;
    assert!(log.contains("名称: 平安泉州 → 平安财险泉州中心支公司"));
    // Unknown ids are 404s, not errors.
    assert_eq!(
        app.get(&admin, "/orgs/999999").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&admin, "/orgs/abc").await.0, StatusCode::NOT_FOUND);
}

async fn only_the_platform_manages_organizations(app: TestApp) {
    let org = app.seed_org("insurer", "保险甲", "o_insurer").await;
    let insurer = app.login("o_insurer", PASSWORD).await;
    assert_eq!(app.get(&insurer, "/orgs").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&insurer, "/orgs/new").await.0,
        StatusCode::FORBIDDEN
    );
    let res = app
        .post_form(
            &insurer,
            "/",
            &format!("/orgs/{org}/toggle"),
            &[("enabled", "0")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let admin = app.admin().await;
    let platform = app.actor("admin").await.org_id;
    let res = app
        .post_form(
            &admin,
            "/orgs",
            &format!("/orgs/{platform}/toggle"),
            &[("enabled", "0")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "the platform cannot disable itself"
    );
}
