//! 检查表: the checklist library (the platform's starter library, an agency's own loaded from
//! Excel), an inspection marked against it with each 不符合 item registered as a hazard, and the
//! 不符合项统计. Everything through real HTTP.

use anze_core::hazard::HazardStore;
use anze_core::ids::HazardId;
use reqwest::{Client, StatusCode};
use rust_xlsxwriter::Workbook;

use crate::hazards::{accepted_order, add_hazard, day, hazard_form, inspect};
use crate::helpers::{PASSWORD, TestApp, credit_code, csrf_token, location};

crate::backend_tests!(
    an_inspection_marked_against_a_checklist_turns_failed_items_into_hazards,
    checklists_are_kept_and_loaded_as_excel,
    a_checklist_import_with_bad_rows_changes_nothing,
    failure_statistics_count_per_industry_and_agency,
    marks_are_refused_once_the_enterprise_confirmed,
);

const HEADER: [&str; 5] = ["分组", "检查内容", "检查依据", "隐患等级", "隐患类别"];

/// An xlsx file with `rows` (the header first) on its first sheet.
fn workbook(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, cells) in rows.iter().enumerate() {
        for (c, v) in cells.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn items_file(items: &[[&str; 5]]) -> Vec<u8> {
    let mut rows = vec![HEADER.to_vec()];
    rows.extend(items.iter().map(|r| r.to_vec()));
    workbook(&rows)
}

/// Posts `bytes` as the `file` of a checklist's import form.
async fn import(
    app: &TestApp,
    client: &Client,
    checklist: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let token = app.csrf(client, checklist).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    client
        .post(app.url(&format!("{checklist}/items?_csrf={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Creates a checklist through its form; returns its page (`/checklists/N`).
async fn new_checklist(app: &TestApp, client: &Client, name: &str, industry: &str) -> String {
    let res = app
        .post_form(
            client,
            "/checklists/new",
            "/checklists",
            &[
                ("name", name),
                ("industry", industry),
                ("description", "企业自查与服务机构排查共用"),
                ("_once", &once(app, client, "/checklists/new").await),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "新建检查表 {name}");
    let to = location(&res);
    assert!(to.starts_with("/checklists/"), "{to}");
    to
}

/// The one-time key of the create form on `page`.
async fn once(app: &TestApp, client: &Client, page: &str) -> String {
    let (_, html) = app.get(client, page).await;
    value_of(&html, "name=\"_once\" value=\"").expect("a one-time key")
}

fn value_of(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_string())
}

/// Every `<option value="N">` whose text starts with `name` (the 使用检查表 select).
fn option_for(html: &str, name: &str) -> Option<String> {
    html.split("<option value=\"").skip(1).find_map(|rest| {
        let (value, text) = rest.split_once("\">")?;
        text.starts_with(name).then(|| value.to_string())
    })
}

/// The check ids of an inspection's 检查 form, in order (`name="oN"` radio groups).
fn check_ids(html: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for rest in html.split("name=\"o").skip(1) {
        let id = rest.split('"').next().unwrap().to_string();
        if ids.last() != Some(&id) {
            ids.push(id);
        }
    }
    ids
}

async fn post(
    app: &TestApp,
    client: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.post_form(client, page, action, fields).await
}

/// Marks as form fields.
fn refs<'a>(fields: &'a [(String, &'a str)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

/// Takes the platform's 通用安全检查表 into the inspection; returns the check ids.
async fn take_general(app: &TestApp, client: &Client, record: &str) -> Vec<String> {
    let page = format!("{record}/checks");
    let (status, html) = app.get(client, &page).await;
    assert_eq!(status, StatusCode::OK);
    let general = option_for(&html, "通用安全检查表").expect("the starter library is offered");
    let res = post(
        app,
        client,
        &page,
        &format!("{record}/checklists"),
        &[("checklist", &general)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), page);
    let (_, html) = app.get(client, &page).await;
    let ids = check_ids(&html);
    assert!(ids.len() >= 40, "{} checks", ids.len());
    ids
}

async fn an_inspection_marked_against_a_checklist_turns_failed_items_into_hazards(app: TestApp) {
    let agency = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, agency.order, &day(&app, 0), &agency.staff).await;
    let page = format!("{record}/checks");

    // The record offers the checklist; nothing marked yet.
    let (_, html) = app.get(&staff, &record).await;
    assert!(html.contains(&format!("href=\"{page}\"")), "{html}");
    assert!(html.contains("本次排查未使用检查表"));

    let ids = take_general(&app, &staff, &record).await;
    // A second checklist taken by mistake is removed again, after a confirmation.
    let (_, html) = app.get(&staff, &page).await;
    let chem = option_for(&html, "危险化学品企业安全检查表").unwrap();
    let take = format!("{record}/checklists");
    let res = post(&app, &staff, &page, &take, &[("checklist", chem.as_str())]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = post(&app, &staff, &page, &take, &[("checklist", chem.as_str())]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "taken once only");
    let (_, html) = app.get(&staff, &page).await;
    assert!(check_ids(&html).len() > ids.len());
    let remove = format!("{record}/checklists/{chem}/remove");
    let res = post(&app, &staff, &page, &remove, &[]).await;
    assert_eq!(res.status(), StatusCode::OK, "asks first");
    let res = post(&app, &staff, &page, &remove, &[("confirmed", "1")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&staff, &page).await;
    assert_eq!(check_ids(&html), ids);
    // Taken once only: the checklist is no longer offered, and a second take is refused.
    let (_, html) = app.get(&staff, &page).await;
    assert!(option_for(&html, "通用安全检查表").is_none());
    assert!(html.contains(&format!("共 {} 项", ids.len())));

    // Marks: one 不符合 with a note, one 符合, one 不涉及; the rest stay 未检查.
    let (fail, pass, na) = (&ids[0], &ids[1], &ids[2]);
    let marks = [
        (format!("o{fail}"), "fail"),
        (format!("n{fail}"), "配电房门未上锁"),
        (format!("o{pass}"), "pass"),
        (format!("o{na}"), "na"),
    ];
    let res = post(&app, &staff, &page, &page, &refs(&marks)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&staff, &record).await;
    assert!(
        html.contains("符合 <strong>1</strong> · 不符合 <strong class=\"danger\">1</strong>(已登记隐患 0)· 不涉及 1"),
        "{html}"
    );

    // A bad value or a stale id saves nothing.
    let res = post(
        &app,
        &staff,
        &page,
        &page,
        &refs(&[(format!("o{pass}"), "maybe")]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("检查结果无效"));
    let res = post(&app, &staff, &page, &page, &[("o999999999", "pass")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The failed item offers 登记隐患, pre-filled from the item.
    let (_, html) = app.get(&staff, &page).await;
    let new = format!("{record}/hazards/new?check={fail}");
    assert!(html.contains(&new), "{html}");
    let (status, form) = app.get(&staff, &new).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(&format!("name=\"check\" value=\"{fail}\"")));
    assert!(form.contains("现场情况:配电房门未上锁"));
    assert!(
        form.contains("《中华人民共和国安全生产法》"),
        "the item's basis is pre-filled"
    );
    // Not a failed item of this inspection: refused.
    let (status, _) = app
        .get(&staff, &format!("{record}/hazards/new?check={pass}"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let deadline = day(&app, 10);
    let mut fields = hazard_form("配电房门未上锁,无关人员可进入", "general", &deadline);
    fields.retain(|(k, _)| *k != "basis");
    fields.push(("basis", "《中华人民共和国安全生产法》第二十八条"));
    fields.push(("check", fail.as_str()));
    let res = add_hazard(&app, &staff, &record, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("{page}#check-{fail}"));
    // The same failed item never makes a second hazard.
    let res = add_hazard(&app, &staff, &record, &fields).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let (_, html) = app.get(&staff, &record).await;
    assert!(html.contains("(已登记隐患 1)"), "{html}");
    assert_eq!(html.matches("配电房门未上锁,无关人员可进入").count(), 1);
    let hazard_href = value_of(&html, "<td class=\"actions\"><a href=\"").unwrap();
    let hazard: HazardId = hazard_href.trim_start_matches("/hazards/").parse().unwrap();
    let stored = app.db.get_hazard(hazard).await.unwrap().unwrap();
    assert_eq!(stored.basis, "《中华人民共和国安全生产法》第二十八条");

    // Its item now links the hazard and stays 不符合; the checklist cannot be removed.
    let (_, html) = app.get(&staff, &page).await;
    assert!(html.contains(&format!("href=\"/hazards/{hazard}\"")));
    let res = post(
        &app,
        &staff,
        &page,
        &page,
        &refs(&[(format!("o{fail}"), "pass")]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("已登记隐患"));
    let general = value_of(&html, "/checklists/").map(|s| s.split('/').next().unwrap().to_string());
    let checklist = general.unwrap();
    let res = post(
        &app,
        &staff,
        &page,
        &format!("{record}/checklists/{checklist}/remove"),
        &[("confirmed", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The 整改通知书 lists the hazard's basis.
    let (_, notice) = app.get(&staff, &format!("{record}/notice")).await;
    assert!(notice.contains("依据:《中华人民共和国安全生产法》第二十八条"));

    // The insurer reads the marks without a form.
    let insurer = app.login("hz_ins", PASSWORD).await;
    let (status, html) = app.get(&insurer, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("name=\"o"), "no marking for the insurer");
    assert!(html.contains("不符合"));
    let res = post(
        &app,
        &insurer,
        &record,
        &page,
        &refs(&[(format!("o{na}"), "pass")]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn checklists_are_kept_and_loaded_as_excel(app: TestApp) {
    accepted_order(&app).await;
    let admin = app.login("hz_admin", PASSWORD).await;

    // The platform's starter library, one per mandatory sector and a 通用 one.
    let (status, html) = app.get(&admin, "/checklists").await;
    assert_eq!(status, StatusCode::OK);
    for name in [
        "通用安全检查表",
        "危险化学品企业安全检查表",
        "建筑施工安全检查表",
        "金属冶炼企业安全检查表",
    ] {
        assert!(html.contains(name), "{name}");
    }
    let (_, html) = app.get(&admin, "/checklists?industry=05").await;
    assert!(html.contains("建筑施工安全检查表") && !html.contains("通用安全检查表"));

    let checklist = new_checklist(&app, &admin, "仓储企业专项检查表", "02").await;
    // One name per owner.
    let res = app
        .post_form(
            &admin,
            "/checklists/new",
            "/checklists",
            &[("name", "仓储企业专项检查表"), ("industry", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("已有同名的检查表"));
    let (_, html) = app.get(&admin, "/checklists?owner=mine").await;
    assert!(html.contains("仓储企业专项检查表") && !html.contains("通用安全检查表"));

    let (status, _) = app.get(&admin, "/checklists/template.xlsx").await;
    assert_eq!(status, StatusCode::OK);

    let res = import(
        &app,
        &admin,
        &checklist,
        "仓储.xlsx",
        items_file(&[
            [
                "消防安全",
                "库房内是否按规定配置灭火器",
                "GB 50140-2005 第 6.1.1 条",
                "一般隐患",
                "消防安全",
            ],
            [
                "消防安全",
                "疏散通道是否畅通=1+1",
                "GB 50016-2014 第 5.5.17 条",
                "重大",
                "",
            ],
            [
                "用电安全",
                "库房内是否使用碘钨灯等高温照明",
                "GB 50016-2014 第 10.2.4 条",
                "",
                "用电安全",
            ],
        ]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get(&admin, &checklist).await;
    assert!(html.contains("库房内是否按规定配置灭火器"));
    assert!(html.contains("<span class=\"tag tag-danger\">重大隐患</span>"));
    assert!(html.contains("3 项"));

    // 导出 reads back as the same rows, formulas kept as text, and imports again unchanged.
    let res = admin
        .get(app.url(&format!("{checklist}/export.xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let rows = read_sheet(&bytes);
    assert_eq!(rows[0], HEADER.map(String::from).to_vec());
    assert_eq!(rows[2][1], "疏散通道是否畅通=1+1");
    assert_eq!(rows[2][3], "重大隐患");
    assert_eq!(rows[3][4], "用电安全");
    let res = import(&app, &admin, &checklist, "again.xlsx", bytes).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, again) = app.get(&admin, &checklist).await;
    assert_eq!(again.matches("<td data-label=\"检查内容\"").count(), 3);

    // Staff read it but do not keep the library; another agency does not see it at all; nobody
    // but the platform changes the platform's.
    let staff = app.login("hz_staff", PASSWORD).await;
    let (status, html) = app.get(&staff, &checklist).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/edit\""));
    let res = post(
        &app,
        &staff,
        &checklist,
        &format!("{checklist}/toggle"),
        &[("active", "0")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.seed_org("agency", "另一家安全技术", "other_admin")
        .await;
    let other = app.login("other_admin", PASSWORD).await;
    let (status, _) = app.get(&other, &checklist).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, html) = app.get(&other, "/checklists").await;
    let general = value_of(&html, "<a href=\"/checklists/").unwrap();
    let platform = format!("/checklists/{general}");
    let res = import(&app, &other, &platform, "x.xlsx", items_file(&[])).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // 停用 takes it off new inspections (asked twice, it stays off); a used checklist is kept,
    // an unused one deleted.
    let toggle = format!("{checklist}/toggle");
    for _ in 0..2 {
        let res = post(&app, &admin, &checklist, &toggle, &[("active", "0")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let (_, html) = app.get(&admin, "/checklists?status=inactive").await;
    assert!(html.contains("仓储企业专项检查表"));
    let (status, _) = app.get(&admin, "/checklists?status=gone").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without the confirmation a page asks first, and nothing is deleted.
    let res = post(
        &app,
        &admin,
        &checklist,
        &format!("{checklist}/delete"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("确定删除检查表“仓储企业专项检查表”")
    );
    let res = post(
        &app,
        &admin,
        &checklist,
        &format!("{checklist}/delete"),
        &[("confirmed", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = app.get(&admin, &checklist).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The audit trail names each change.
    let (_, log) = app.get(&admin, "/audit").await;
    for what in [
        "新建检查表",
        "Excel 导入检查项 3 项",
        "停用检查表",
        "删除检查表",
    ] {
        assert!(log.contains(what), "{what}");
    }
}

/// The first sheet of an xlsx as text rows.
fn read_sheet(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

async fn a_checklist_import_with_bad_rows_changes_nothing(app: TestApp) {
    accepted_order(&app).await;
    let admin = app.login("hz_admin", PASSWORD).await;
    let checklist = new_checklist(&app, &admin, "机加工车间检查表", "").await;
    let res = import(
        &app,
        &admin,
        &checklist,
        "good.xlsx",
        items_file(&[[
            "设备设施",
            "砂轮机防护罩是否完好",
            "GB 4674-2009 第 5.1 条",
            "",
            "设备设施",
        ]]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let long = "长".repeat(501);
    let res = import(
        &app,
        &admin,
        &checklist,
        "bad.xlsx",
        items_file(&[
            ["设备设施", "", "GB 4674-2009", "", ""],
            [
                "设备设施",
                "冲床双手按钮是否有效",
                "GB 27607-2011",
                "严重",
                "机械",
            ],
            ["设备设施", &long, "GB", "", ""],
            ["设备设施", "冲床双手按钮是否有效", "GB 27607-2011", "", ""],
        ]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("文件中共有 5 处问题,本次未导入任何数据"),
        "{html}"
    );
    for (row, column) in [
        ("2", "检查内容"),
        ("3", "隐患类别"),
        ("3", "隐患等级"),
        ("4", "检查内容"),
        ("5", "检查内容"),
    ] {
        assert!(
            html.contains(&format!(
                "<td data-label=\"行号\">{row}</td>\n      <td data-label=\"列\">{column}</td>"
            )),
            "row {row} {column}"
        );
    }
    // The earlier items are still there, alone.
    let (_, html) = app.get(&admin, &checklist).await;
    assert!(html.contains("砂轮机防护罩是否完好") && !html.contains("冲床双手按钮"));

    // Not a workbook, an old .xls, nothing at all, a sheet without the columns.
    let res = import(&app, &admin, &checklist, "fake.xlsx", b"just text".to_vec()).await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = import(
        &app,
        &admin,
        &checklist,
        "old.xls",
        vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = import(&app, &admin, &checklist, "empty.xlsx", Vec::new()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = import(
        &app,
        &admin,
        &checklist,
        "cols.xlsx",
        workbook(&[vec!["名称", "内容"], vec!["a", "b"]]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("第一行缺少列"));
    let (_, html) = app.get(&admin, &checklist).await;
    assert!(html.contains("砂轮机防护罩是否完好"));

    // Form input is checked as well: another organization's id, injection, an unknown sector.
    let res = app
        .post_form(
            &admin,
            &format!("{checklist}/edit"),
            &checklist,
            &[("name", ""), ("industry", "02' OR 1=1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("请填写检查表名称") && html.contains("请选择列表中的适用行业"));
    let (status, _) = app.get(&admin, "/checklists/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn failure_statistics_count_per_industry_and_agency(app: TestApp) {
    let agency = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let mut failed = String::new();
    for offset in [0, -1] {
        let record = inspect(
            &app,
            &staff,
            agency.order,
            &day(&app, offset),
            &agency.staff,
        )
        .await;
        let ids = take_general(&app, &staff, &record).await;
        let page = format!("{record}/checks");
        let (_, html) = app.get(&staff, &page).await;
        if failed.is_empty() {
            failed = html
                .split("<div class=\"check-content\">")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string();
        }
        // The first item fails both times, the second once and passes once.
        let second = if offset == 0 { "fail" } else { "pass" };
        let marks = [
            (format!("o{}", ids[0]), "fail"),
            (format!("o{}", ids[1]), second),
        ];
        let res = post(&app, &staff, &page, &page, &refs(&marks)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let admin = app.login("hz_admin", PASSWORD).await;
    let (status, html) = app.get(&admin, "/checklists/stats").await;
    assert_eq!(status, StatusCode::OK);
    let first = html.split("<tbody>").nth(1).unwrap();
    assert!(first.contains("危险化学品"), "the enterprise's sector");
    assert!(first.contains(&failed), "{failed} fails most");
    assert!(first.contains("<td data-label=\"不符合\" class=\"danger\">2</td>"));
    assert!(first.contains("<td data-label=\"不符合率\">100.0%</td>"));
    assert!(html.contains("<td data-label=\"不符合率\">50.0%</td>"));
    let (_, html) = app.get(&admin, "/checklists/stats?industry=05").await;
    assert!(html.contains("没有不符合的检查项"));
    let (status, _) = app.get(&admin, "/checklists/stats?from=2026-13-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = admin
        .get(app.url("/checklists/stats/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let rows = read_sheet(&res.bytes().await.unwrap());
    assert_eq!(rows[1][3], failed);
    assert_eq!(rows[1][6], "2");

    // Another agency's inspections are not in its figures; the platform sees all.
    app.seed_org("agency", "另一家安全技术", "other_admin")
        .await;
    let other = app.login("other_admin", PASSWORD).await;
    let (_, html) = app.get(&other, "/checklists/stats").await;
    assert!(html.contains("没有不符合的检查项"));
    let platform = app.admin().await;
    let (_, html) = app.get(&platform, "/checklists/stats").await;
    assert!(html.contains(&failed));
}

async fn marks_are_refused_once_the_enterprise_confirmed(app: TestApp) {
    let agency = accepted_order(&app).await;
    let staff = app.login("hz_staff", PASSWORD).await;
    let record = inspect(&app, &staff, agency.order, &day(&app, 0), &agency.staff).await;
    let ids = take_general(&app, &staff, &record).await;
    let page = format!("{record}/checks");
    let mark = format!("o{}", ids[0]);
    let res = post(&app, &staff, &page, &page, &[(mark.as_str(), "pass")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    app.seed_enterprise_account(&credit_code(crate::hazards::ENTERPRISE), "hz_ent")
        .await;
    let enterprise = app.login("hz_ent", PASSWORD).await;
    let res = post(
        &app,
        &enterprise,
        &record,
        &format!("{record}/confirm"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // What the enterprise signed for stays as it was.
    let (_, html) = app.get(&staff, &page).await;
    assert!(
        !html.contains("name=\"o"),
        "no marking after the confirmation"
    );
    let token = csrf_token(&html).unwrap();
    let res = staff
        .post(app.url(&page))
        .form(&[("_csrf", token.as_str()), (mark.as_str(), "fail")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("该记录已由企业确认"));
    let (_, html) = app.get(&staff, &record).await;
    assert!(html.contains("符合 <strong>1</strong>"));
}
