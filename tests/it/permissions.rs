//! The permission matrix: every route × every built-in role × own and foreign objects. A
//! foreign object answers 404 (or 403 when the role lacks the permission altogether), never data.

use anze_core::account::AccountStore;
use anze_core::role::RoleStore;
use reqwest::StatusCode;

use crate::helpers::{ADMIN_PASSWORD, PASSWORD, TestApp, csrf_token};

crate::backend_tests!(every_route_answers_every_role_as_the_catalogue_says);

/// A form post: path, fields, expected status.
type Post<'a> = (String, Vec<(&'a str, String)>, StatusCode);

#[derive(Clone, Copy, PartialEq)]
enum Who {
    Platform,
    AgencyAdmin,
    AgencyStaff,
    InsurerAdmin,
    RegulatorStaff,
}

struct Ids {
    account: i64,
    preset_role: i64,
    org: i64,
}

async fn ids_of(app: &TestApp, admin: &str, member: &str) -> Ids {
    let actor = app.actor(admin).await;
    let member = app
        .db
        .find_account_by_username(member)
        .await
        .unwrap()
        .unwrap();
    let preset = app
        .db
        .roles_of_org(actor.org_id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == anze_core::role::RoleKind::Preset)
        .unwrap();
    Ids {
        account: member.id.0,
        preset_role: preset.id.0,
        org: actor.org_id.0,
    }
}

async fn every_route_answers_every_role_as_the_catalogue_says(app: TestApp) {
    app.seed_org("agency", "本机构", "m_agency").await;
    app.seed_account("m_agency", "m_agency_staff", "服务人员")
        .await;
    app.seed_org("insurer", "保险机构", "m_insurer").await;
    app.seed_account("m_insurer", "m_insurer_staff", "业务人员")
        .await;
    app.seed_org("regulator", "监管部门", "m_regulator").await;
    app.seed_account("m_regulator", "m_regulator_staff", "业务人员")
        .await;
    app.seed_org("agency", "外部机构", "m_foreign").await;
    app.seed_account("m_foreign", "m_foreign_staff", "服务人员")
        .await;
    let foreign = ids_of(&app, "m_foreign", "m_foreign_staff").await;

    use StatusCode as S;
    use Who::*;
    let everyone = [
        Platform,
        AgencyAdmin,
        AgencyStaff,
        InsurerAdmin,
        RegulatorStaff,
    ];
    for who in everyone {
        let (username, password, own) = match who {
            Platform => (
                "admin",
                ADMIN_PASSWORD,
                ids_of(&app, "m_agency", "m_agency_staff").await,
            ),
            AgencyAdmin => (
                "m_agency",
                PASSWORD,
                ids_of(&app, "m_agency", "m_agency_staff").await,
            ),
            AgencyStaff => (
                "m_agency_staff",
                PASSWORD,
                ids_of(&app, "m_agency", "m_agency_staff").await,
            ),
            InsurerAdmin => (
                "m_insurer",
                PASSWORD,
                ids_of(&app, "m_insurer", "m_insurer_staff").await,
            ),
            RegulatorStaff => (
                "m_regulator_staff",
                PASSWORD,
                ids_of(&app, "m_regulator", "m_regulator_staff").await,
            ),
        };
        let client = app.login(username, password).await;
        let admin = matches!(who, Platform | AgencyAdmin | InsurerAdmin);
        let platform = who == Platform;
        let ok_if = |allowed: bool| if allowed { S::OK } else { S::FORBIDDEN };
        // Foreign objects: the platform reaches them; other admins get 404; roles without the
        // permission get 403 before any lookup.
        let foreign_edit = if platform {
            S::OK
        } else if admin {
            S::NOT_FOUND
        } else {
            S::FORBIDDEN
        };
        let foreign_view_then_delete = if platform {
            S::OK
        } else if admin {
            S::NOT_FOUND
        } else {
            S::FORBIDDEN
        };
        let gets: Vec<(String, StatusCode)> = vec![
            ("/".into(), S::OK),
            ("/orgs".into(), ok_if(platform)),
            ("/orgs/new".into(), ok_if(platform)),
            (format!("/orgs/{}", foreign.org), ok_if(platform)),
            ("/accounts".into(), S::OK),
            ("/accounts/new".into(), ok_if(admin)),
            (format!("/accounts/{}", own.account), ok_if(admin)),
            (format!("/accounts/{}", foreign.account), foreign_edit),
            ("/roles".into(), S::OK),
            ("/roles/new".into(), ok_if(admin)),
            (format!("/roles/{}", own.preset_role), ok_if(admin)),
            (format!("/roles/{}", foreign.preset_role), foreign_edit),
            ("/audit".into(), ok_if(admin)),
            ("/login-log".into(), ok_if(admin)),
            ("/me/password".into(), S::OK),
            ("/orders".into(), S::OK),
            (
                "/policies".into(),
                ok_if(matches!(who, Platform | InsurerAdmin | RegulatorStaff)),
            ),
            ("/policies/new".into(), ok_if(who == InsurerAdmin)),
            (
                "/enterprises".into(),
                ok_if(matches!(who, Platform | InsurerAdmin | RegulatorStaff)),
            ),
            (
                "/enterprises/new".into(),
                ok_if(matches!(who, Platform | InsurerAdmin)),
            ),
        ];
        for (path, expected) in gets {
            let (status, html) = app.get(&client, &path).await;
            assert_eq!(status, expected, "GET {path} as {username}");
            if path.contains(&foreign.account.to_string()) && !platform {
                assert!(
                    !html.contains("m_foreign_staff"),
                    "{path} leaked data to {username}"
                );
            }
        }
        // Posts use the caller's own token; unconfirmed deletes only show the confirmation page,
        // so the matrix changes nothing.
        let (_, home) = app.get(&client, "/").await;
        let token = csrf_token(&home).unwrap();
        let posts: Vec<Post> = vec![
            (
                format!("/accounts/{}/delete", foreign.account),
                vec![],
                foreign_view_then_delete,
            ),
            (
                format!("/roles/{}/delete", foreign.preset_role),
                vec![],
                foreign_view_then_delete,
            ),
            (
                format!("/orgs/{}/toggle", foreign.org),
                vec![("enabled", "1".into())],
                if platform { S::SEE_OTHER } else { S::FORBIDDEN },
            ),
            (
                format!("/accounts/{}", foreign.account),
                vec![
                    ("name", "改名".into()),
                    ("role_ids", foreign.preset_role.to_string()),
                    ("enabled", "1".into()),
                ],
                if platform {
                    S::SEE_OTHER
                } else if admin {
                    S::NOT_FOUND
                } else {
                    S::FORBIDDEN
                },
            ),
        ];
        for (path, mut fields, expected) in posts {
            fields.push(("_csrf", token.clone()));
            let res = client
                .post(app.url(&path))
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), expected, "POST {path} as {username}");
        }
    }
    // Only the platform's edit went through.
    let staff = app
        .db
        .find_account_by_username("m_foreign_staff")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(staff.name, "改名");
    assert!(
        app.db
            .get_role(anze_core::ids::RoleId(foreign.preset_role))
            .await
            .unwrap()
            .is_some()
    );
}
