//! 防重复提交: a create form submitted twice with its one-time key creates once.

use anze_core::submission::{SubmissionKey, SubmissionStore, fingerprint};
use reqwest::StatusCode;
use reqwest::multipart::Form;

use crate::helpers::{PASSWORD, TestApp, location};
use crate::records::{accepted_order, today, training};

crate::backend_tests!(
    a_record_submitted_twice_is_saved_once,
    a_double_click_races_to_one_record,
    a_refused_submit_frees_its_key,
    a_submit_that_never_finished_is_not_run_again,
    urlencoded_forms_carry_their_key_too,
    old_keys_are_forgotten_by_housekeeping,
);

/// The `action` of the page's multipart form, as the browser would post it.
fn form_action(html: &str) -> String {
    let start = html
        .find("enctype=\"multipart/form-data\"")
        .and_then(|e| html[..e].rfind("action=\""))
        .map(|a| a + "action=\"".len())
        .expect("a multipart form");
    let end = start + html[start..].find('"').unwrap();
    // As the browser reads the attribute: askama escapes `&`.
    html[start..end].replace("&amp;", "&").replace("&#38;", "&")
}

fn multipart(fields: &[(&str, &str)]) -> Form {
    fields.iter().fold(Form::new(), |f, (k, v)| {
        f.text(k.to_string(), v.to_string())
    })
}

/// Records listed on the order's training page.
async fn trainings(app: &TestApp, client: &reqwest::Client, order: i64) -> usize {
    let (_, html) = app.get(client, &format!("/orders/{order}/training")).await;
    let mut ids: Vec<&str> = html
        .match_indices("href=\"/records/")
        .map(|(i, _)| {
            let rest = &html[i + "href=\"/records/".len()..];
            &rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(0)]
        })
        .filter(|id| !id.is_empty())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

/// An accepted order, its staff member logged in, and a fresh training form's action.
struct Setup {
    order: anze_core::ids::OrderId,
    staff: reqwest::Client,
    staff_id: String,
    date: String,
    action: String,
}

async fn setup(app: &TestApp) -> Setup {
    let (order, _) = accepted_order(app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let (_, form) = app
        .get(&staff, &format!("/orders/{}/training/new", order.0))
        .await;
    Setup {
        order,
        staff,
        staff_id: app.actor("ag_staff").await.account_id.to_string(),
        date: today(app),
        action: form_action(&form),
    }
}

/// Posts `fields` as the training form does, to `action`.
async fn post(
    app: &TestApp,
    staff: &reqwest::Client,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    staff
        .post(app.url(action))
        .multipart(multipart(fields))
        .send()
        .await
        .unwrap()
}

async fn a_record_submitted_twice_is_saved_once(app: TestApp) {
    let s = setup(&app).await;
    assert!(s.action.contains("_once="), "{}", s.action);
    let fields = training(&s.date, &s.staff_id);
    let first = post(&app, &s.staff, &s.action, &fields).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let record = location(&first);
    // The browser resends after the connection dropped: the same key, the same answer.
    let again = post(&app, &s.staff, &s.action, &fields).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&again), record);
    let (_, shown) = app.get(&s.staff, &record).await;
    assert!(shown.contains("没有重复保存"), "the user is told why");
    assert_eq!(trainings(&app, &s.staff, s.order.0).await, 1);
    // A new form (a new key) records a second training.
    let (_, form) = app
        .get(&s.staff, &format!("/orders/{}/training/new", s.order.0))
        .await;
    let res = post(&app, &s.staff, &form_action(&form), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_ne!(location(&res), record);
    assert_eq!(trainings(&app, &s.staff, s.order.0).await, 2);
}

async fn a_double_click_races_to_one_record(app: TestApp) {
    let s = setup(&app).await;
    let fields = training(&s.date, &s.staff_id);
    let send = || post(&app, &s.staff, &s.action, &fields);
    let (a, b, c) = tokio::join!(send(), send(), send());
    let statuses: Vec<StatusCode> = [a, b, c].iter().map(|r| r.status()).collect();
    // Each is either the first submit's redirect or "still being processed"; never a second
    // record and never a server error.
    assert!(
        statuses
            .iter()
            .all(|st| *st == StatusCode::SEE_OTHER || *st == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::SEE_OTHER), "{statuses:?}");
    assert_eq!(trainings(&app, &s.staff, s.order.0).await, 1);
}

async fn a_refused_submit_frees_its_key(app: TestApp) {
    let s = setup(&app).await;
    let mut bad = training(&s.date, &s.staff_id);
    bad.retain(|(k, _)| *k != "hours");
    bad.push(("hours", "两小时"));
    let res = post(&app, &s.staff, &s.action, &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(trainings(&app, &s.staff, s.order.0).await, 0);
    // The corrected form goes out under the key it was first sent with.
    let fields = training(&s.date, &s.staff_id);
    let res = post(&app, &s.staff, &s.action, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(trainings(&app, &s.staff, s.order.0).await, 1);
}

async fn a_submit_that_never_finished_is_not_run_again(app: TestApp) {
    let (order, _) = accepted_order(&app).await;
    let staff = app.login("ag_staff", PASSWORD).await;
    let actor = app.actor("ag_staff").await;
    let staff_id = actor.account_id.to_string();
    let date = today(&app);
    let path = format!("/orders/{}/training", order.0);
    let key = SubmissionKey::generate();
    // The instance that claimed it was killed before it answered.
    app.db
        .claim_submission(
            &fingerprint(actor.account_id, &path, &key),
            actor.account_id,
            &path,
            app.clock_now(),
        )
        .await
        .unwrap();
    let (_, form) = app.get(&staff, &format!("{path}/new")).await;
    let csrf = crate::helpers::csrf_token(&form)
        .or_else(|| {
            let a = form_action(&form);
            let t = a.split("_csrf=").nth(1)?;
            Some(t[..64].to_string())
        })
        .unwrap();
    let action = format!("{path}?_csrf={csrf}&_once={}", key.as_str());
    let fields = training(&date, &staff_id);
    let res = post(&app, &staff, &action, &fields).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("正在处理中"));
    app.clock.advance(chrono::Duration::minutes(10));
    let res = post(&app, &staff, &action, &fields).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("处理结果未知"));
    assert_eq!(trainings(&app, &staff, order.0).await, 0);
}

async fn urlencoded_forms_carry_their_key_too(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins").await;
    let insurer = app.login("ins", PASSWORD).await;
    let code = app
        .seed_enterprise("ins", "晋江华兴鞋业有限公司", "350582")
        .await;
    let (_, form) = app.get(&insurer, "/policies/new").await;
    let once = {
        let marker = "name=\"_once\" value=\"";
        let start = form.find(marker).expect("the form carries a key") + marker.len();
        form[start..start + 32].to_string()
    };
    let csrf = crate::helpers::csrf_token(&form).unwrap();
    let mut fields =
        crate::policies::policy_fields("PICC-ONCE-1", &code, "2026-01-01", "2026-12-31");
    fields.push(("_csrf", &csrf));
    fields.push(("_once", &once));
    let first = insurer
        .post(app.url("/policies"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    // Without the key the second submit would be refused as a duplicate policy number; with
    // it, the user lands on the policy the first submit created.
    let again = insurer
        .post(app.url("/policies"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&again), location(&first));
    // The key counts for its account only: another insurer's submit with it is its own.
    app.seed_org("insurer", "平安泉州", "ins2").await;
    let other = app.login("ins2", PASSWORD).await;
    let code2 = app
        .seed_enterprise("ins2", "泉州南益纺织有限公司", "350503")
        .await;
    let (_, form2) = app.get(&other, "/policies/new").await;
    let csrf2 = crate::helpers::csrf_token(&form2).unwrap();
    let mut fields2 =
        crate::policies::policy_fields("PA-ONCE-1", &code2, "2026-01-01", "2026-12-31");
    fields2.push(("_csrf", &csrf2));
    fields2.push(("_once", &once));
    let res = other
        .post(app.url("/policies"))
        .form(&fields2)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_ne!(location(&res), location(&first));
    let (_, list) = app.get(&other, "/policies").await;
    assert!(list.contains("PA-ONCE-1") && !list.contains("PICC-ONCE-1"));
}

async fn old_keys_are_forgotten_by_housekeeping(app: TestApp) {
    use anze::jobs::Runner;
    use anze_core::job::JobKind;
    use std::sync::Arc;

    let admin = app.actor("admin").await;
    let key = SubmissionKey::generate();
    let fp = fingerprint(admin.account_id, "/orgs", &key);
    app.db
        .claim_submission(&fp, admin.account_id, "/orgs", app.clock_now())
        .await
        .unwrap();
    let clock: Arc<dyn anze_core::time::Clock> = app.clock.clone();
    let runner = Runner::new(Arc::new(app.db.clone()), clock)
        .unwrap()
        .only(&[JobKind::Housekeeping]);
    runner.tick().await.unwrap();
    // Still remembered the day after.
    assert!(matches!(
        app.db
            .claim_submission(&fp, admin.account_id, "/orgs", app.clock_now())
            .await
            .unwrap(),
        anze_core::submission::Claim::Pending { .. }
    ));
    app.clock.advance(chrono::Duration::days(8));
    let report = runner.tick().await.unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    assert!(matches!(
        app.db
            .claim_submission(&fp, admin.account_id, "/orgs", app.clock_now())
            .await
            .unwrap(),
        anze_core::submission::Claim::New(_)
    ));
    let admin_client = app.admin().await;
    let (_, jobs) = app.get(&admin_client, "/jobs").await;
    assert!(jobs.contains("清理过期数据"));
}
