//! Excel ledgers of the record types and of hazards: the list's filters and scope, text kept inert.

use calamine::{Data, Reader, Xlsx};
use reqwest::StatusCode;
use std::io::Cursor;

use crate::helpers::{PASSWORD, TestApp};

crate::backend_tests!(
    record_and_hazard_ledgers_export_what_the_lists_show,
    ledgers_read_in_batches_hold_every_row_once_in_order,
);

pub(crate) fn rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("a valid xlsx");
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|r| r.iter().map(Data::to_string).collect())
        .collect()
}

async fn record_and_hazard_ledgers_export_what_the_lists_show(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins_x").await;
    let agency = app.seed_org("agency", "安信技术", "ag_x").await;
    let code = app
        .seed_enterprise("ins_x", "泉州恒安石化有限公司", "350503")
        .await;
    let policy = app.seed_policy("ins_x", &code, "PICC-L-1").await;
    let order = app.seed_order("ins_x", policy, agency).await;
    let admin = app.actor("ag_x").await;
    anze_core::order::service::accept(&app.db, &admin, order, app.clock_now())
        .await
        .unwrap();
    let client = app.login("ag_x", PASSWORD).await;
    let me = admin.account_id.to_string();
    let today = anze_core::time::today(app.clock_now()).to_string();
    let injected = "=cmd|' /C calc'!A0";
    let fields = [
        ("service_date", today.as_str()),
        ("location", injected),
        ("staff_ids", me.as_str()),
        ("enterprise_contact", "陈主任"),
        ("topic", "消防安全培训"),
        ("audience", "worker"),
        ("mode", "offline"),
        ("hours", "2"),
        ("participants", "30"),
        ("trainer", "张工"),
        ("summary", "灭火器使用演示"),
    ];
    let res = app
        .post_multipart_files(
            &client,
            &format!("/orders/{order}/training/new"),
            &format!("/orders/{order}/training"),
            &fields,
            &[("photos", "培训现场.png", crate::helpers::png())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = client
        .get(app.url("/services/training/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let bytes = res.bytes().await.unwrap().to_vec();
    assert!(
        bytes.windows(14).any(|w| w == b"xl/media/image"),
        "the photo's thumbnail is in the ledger"
    );
    let sheet = rows(bytes);
    assert_eq!(sheet[0][0], "现场照片");
    assert_eq!(sheet[0][1], "服务日期");
    assert!(sheet[0].contains(&"培训主题".to_string()) && sheet[0].contains(&"学时".to_string()));
    assert_eq!(sheet.len(), 2);
    assert!(sheet[1].contains(&"消防安全培训".to_string()));
    assert!(
        sheet[1].contains(&injected.to_string()),
        "formula-like text stays text"
    );
    // Filters apply: nothing in 2000.
    let res = client
        .get(app.url("/services/training/export.xlsx?from=2000-01-01&to=2000-01-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        rows(res.bytes().await.unwrap().to_vec()).len(),
        1,
        "header only"
    );

    // A hazard through an inspection, then the hazard ledger.
    let inspection = [
        ("service_date", today.as_str()),
        ("location", "厂区"),
        ("staff_ids", me.as_str()),
        ("enterprise_contact", "陈主任"),
        ("kind", "comprehensive"),
        ("scope", "全厂"),
        ("summary", "发现隐患 1 项"),
    ];
    let res = app
        .post_multipart(
            &client,
            &format!("/orders/{order}/hazard/new"),
            &format!("/orders/{order}/hazard"),
            &inspection,
        )
        .await;
    let record = crate::helpers::location(&res);
    let deadline =
        (anze_core::time::today(app.clock_now()) + chrono::Duration::days(10)).to_string();
    let res = app
        .post_multipart_files(
            &client,
            &format!("{record}/hazards/new"),
            &format!("{record}/hazards"),
            &[
                ("description", "配电箱未接地"),
                ("location", "二号车间"),
                ("category", "electric"),
                ("level", "general"),
                ("suggestion", "加装接地线"),
                ("deadline", deadline.as_str()),
                ("responsible", "车间主任"),
            ],
            &[("before", "隐患.png", crate::helpers::png())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = client
        .get(app.url("/hazards/export.xlsx?state=rectify"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    assert!(
        bytes.windows(14).any(|w| w == b"xl/media/image"),
        "before-photo thumbnail"
    );
    let sheet = rows(bytes);
    assert_eq!(sheet[0][..3], ["整改前照片", "整改后照片", "隐患编号"]);
    assert_eq!(sheet.len(), 2);
    assert!(sheet[1][2].starts_with("YH") && sheet[1].contains(&"配电箱未接地".to_string()));
    // Another agency's ledger export is empty; a user without the view permission is refused.
    app.seed_org("agency", "闽安", "other_x").await;
    let other = app.login("other_x", PASSWORD).await;
    let res = other
        .get(app.url("/hazards/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(rows(res.bytes().await.unwrap().to_vec()).len(), 1);
    let res = other
        .get(app.url("/services/training/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(rows(res.bytes().await.unwrap().to_vec()).len(), 1);
    let res = client
        .get(app.url("/services/nothing/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// Exports read the list in batches (`EXPORT_BATCH_ROWS` in the tests), each continuing after
/// the last row of the one before: rows sharing a service date, or more rows than one batch,
/// must each come exactly once and in the list's order.
async fn ledgers_read_in_batches_hold_every_row_once_in_order(app: TestApp) {
    app.seed_org("insurer", "人保泉州", "ins_b").await;
    let agency = app.seed_org("agency", "安信技术", "ag_b").await;
    let mut orders = Vec::new();
    for i in 0..5 {
        let code = app
            .seed_enterprise("ins_b", &format!("泉州第{i}化工有限公司"), "350503")
            .await;
        let policy = app
            .seed_policy("ins_b", &code, &format!("PICC-B-{i}"))
            .await;
        orders.push(app.seed_order("ins_b", policy, agency).await);
    }
    let insurer = app.login("ins_b", PASSWORD).await;
    let download = |client: reqwest::Client, path: &'static str| {
        let url = app.url(path);
        async move {
            let res = client.get(url).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            rows(res.bytes().await.unwrap().to_vec())
        }
    };
    let sheet = download(insurer.clone(), "/policies/export.xlsx").await;
    let numbers: Vec<&str> = sheet[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        numbers,
        ["PICC-B-4", "PICC-B-3", "PICC-B-2", "PICC-B-1", "PICC-B-0"],
        "newest first, each once"
    );
    let sheet = download(insurer, "/orders/export.xlsx").await;
    let numbers: Vec<&str> = sheet[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        numbers,
        ["PICC-B-4", "PICC-B-3", "PICC-B-2", "PICC-B-1", "PICC-B-0"]
    );

    // Five training records, three of them on the same day.
    let order = orders[0];
    let admin = app.actor("ag_b").await;
    anze_core::order::service::accept(&app.db, &admin, order, app.clock_now())
        .await
        .unwrap();
    let client = app.login("ag_b", PASSWORD).await;
    let me = admin.account_id.to_string();
    let today = anze_core::time::today(app.clock_now());
    let days = [0, 0, 1, 0, 2];
    for (i, back) in days.iter().enumerate() {
        let date = (today - chrono::Duration::days(*back)).to_string();
        let summary = format!("第{i}次培训");
        let fields = [
            ("service_date", date.as_str()),
            ("location", "一号车间"),
            ("staff_ids", me.as_str()),
            ("enterprise_contact", "陈主任"),
            ("topic", "消防安全培训"),
            ("audience", "worker"),
            ("mode", "offline"),
            ("hours", "2"),
            ("participants", "30"),
            ("trainer", "张工"),
            ("summary", summary.as_str()),
        ];
        let res = app
            .post_multipart_files(
                &client,
                &format!("/orders/{order}/training/new"),
                &format!("/orders/{order}/training"),
                &fields,
                &[],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let sheet = download(client, "/services/training/export.xlsx").await;
    let summaries: Vec<String> = sheet[1..]
        .iter()
        .map(|r| {
            r.iter()
                .find(|c| c.ends_with("次培训"))
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    // Newest day first, and within a day the later record first.
    assert_eq!(
        summaries,
        [
            "第3次培训",
            "第1次培训",
            "第0次培训",
            "第2次培训",
            "第4次培训"
        ]
    );
}
