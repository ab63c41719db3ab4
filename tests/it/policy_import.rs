//! 导入保单 and the Excel exports: files are made here with rust_xlsxwriter, uploaded as a
//! browser would (multipart, CSRF token in the query string), and downloads are read back with
//! calamine.

use anze_core::audit::{AuditStore, LogQuery};
use anze_core::enterprise::{EnterpriseForm, EnterpriseStore};
use anze_core::page::PageRequest;
use anze_core::policy::{Policy, PolicyFilter};
use calamine::{Data, Reader, Xlsx};
use chrono::{Duration, NaiveDate, Utc};
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::io::Cursor;
use std::time::Instant;

use crate::helpers::{PASSWORD, TestApp, credit_code, csrf_token, location};

crate::backend_tests!(
    template_download_has_the_chinese_headers_and_reference_lists,
    valid_file_imports_every_row_with_existing_and_new_enterprises,
    file_with_mistakes_shows_every_error_and_imports_nothing,
    files_that_are_not_xlsx_are_refused_clearly,
    missing_columns_are_named,
    wrong_cell_types_are_reported_per_cell,
    duplicate_rows_and_registered_numbers_are_refused,
    more_than_ten_thousand_rows_is_one_clear_error,
    upload_over_ten_megabytes_is_refused_and_imports_nothing,
    a_full_ten_thousand_row_file_imports_in_one_go,
    exports_keep_formula_like_text_inert,
    import_needs_the_import_permission,
    exports_never_show_another_insurers_policies,
    values_typed_as_in_wps_are_read_as_meant,
);

const HEADERS: [&str; 16] = [
    "保单号",
    "企业名称",
    "统一社会信用代码",
    "所属区划",
    "行业",
    "地址",
    "从业人数",
    "联系人",
    "联系电话",
    "保险起期",
    "保险止期",
    "保费(元)",
    "累计责任限额(元)",
    "每人责任限额(元)",
    "参保人数",
    "事故预防费用比例(%)",
];

/// A cell as a user's spreadsheet may hold it.
#[derive(Clone)]
enum C {
    S(String),
    N(f64),
    Date(NaiveDate),
    Percent(f64),
    Bool(bool),
}

fn s(v: impl Into<String>) -> C {
    C::S(v.into())
}

fn col(name: &str) -> usize {
    HEADERS.iter().position(|h| *h == name).unwrap()
}

fn today() -> NaiveDate {
    anze_core::time::today(Utc::now())
}

/// A row for a new enterprise, with a policy running from a month ago for a year.
fn row(policy_no: &str, enterprise: &str, code: &str) -> Vec<C> {
    let start = today() - Duration::days(30);
    vec![
        s(policy_no),
        s(enterprise),
        s(code),
        s("丰泽区"),
        s("危险化学品 / 经营"),
        s("泉州市丰泽区东海街道 8 号"),
        C::N(120.0),
        s("王经理"),
        C::N(13905951234.0),
        C::Date(start),
        C::Date(start + Duration::days(364)),
        C::N(20000.0),
        C::N(5_000_000.0),
        C::N(500_000.0),
        C::N(120.0),
        C::Percent(0.15),
    ]
}

fn set(r: &mut [C], name: &str, v: C) {
    r[col(name)] = v;
}

fn header_row() -> Vec<C> {
    HEADERS.iter().map(|h| s(*h)).collect()
}

/// An xlsx file with these rows on its first sheet.
fn workbook(rows: &[Vec<C>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let percent = Format::new().set_num_format("0%");
    for (r, cells) in rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                C::S(v) => ws.write_string(r, c, v).map(|_| ()),
                C::N(v) => ws.write_number(r, c, *v).map(|_| ()),
                C::Bool(v) => ws.write_boolean(r, c, *v).map(|_| ()),
                C::Percent(v) => ws.write_number_with_format(r, c, *v, &percent).map(|_| ()),
                C::Date(d) => {
                    let dt = ExcelDateTime::parse_from_str(&d.to_string()).unwrap();
                    ws.write_datetime_with_format(r, c, &dt, &date).map(|_| ())
                }
            }
            .unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn file(rows: Vec<Vec<C>>) -> Vec<u8> {
    let mut all = vec![header_row()];
    all.extend(rows);
    workbook(&all)
}

/// Uploads bytes as the import form does.
async fn upload(app: &TestApp, client: &Client, bytes: Vec<u8>) -> reqwest::Response {
    let (_, html) = app.get(client, "/policies/import").await;
    let token = csrf_token(&html).expect("CSRF token on the import page");
    post_file(app, client, &token, bytes).await
}

async fn post_file(
    app: &TestApp,
    client: &Client,
    token: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("保单.xlsx")
        .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    client
        .post(app.url(&format!("/policies/import?_csrf={token}")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// An insurer with its admin logged in.
async fn insurer(app: &TestApp, name: &str, admin: &str) -> Client {
    app.seed_org("insurer", name, admin).await;
    app.login(admin, PASSWORD).await
}

async fn policies_of(app: &TestApp, username: &str) -> Vec<Policy> {
    let actor = app.actor(username).await;
    anze_core::policy::service::list(
        &app.db,
        &actor,
        &PolicyFilter::default(),
        PageRequest::first(100),
        Utc::now(),
    )
    .await
    .unwrap()
    .items
}

async fn register_enterprise(app: &TestApp, by: &str, name: &str) -> String {
    let code = credit_code(name);
    let form = EnterpriseForm {
        name: name.into(),
        credit_code: code.clone(),
        region_code: "350582".into(),
        address: "晋江市世纪大道 1 号".into(),
        contact_name: "许经理".into(),
        contact_phone: "0595-85678901".into(),
        industry_code: "0903".into(),
        employee_count: "300".into(),
        ..Default::default()
    };
    anze_core::enterprise::service::create(&app.db, &app.actor(by).await, &form, Utc::now())
        .await
        .unwrap();
    code
}

fn read_xlsx(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    Xlsx::new(Cursor::new(bytes)).expect("a valid xlsx")
}

fn first_sheet(bytes: Vec<u8>) -> Vec<Vec<Data>> {
    let mut wb = read_xlsx(bytes);
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn texts(row: &[Data]) -> Vec<String> {
    row.iter().map(|d| d.to_string()).collect()
}

async fn download(app: &TestApp, client: &Client, path: &str) -> (HeaderMap, Vec<u8>) {
    let res = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let headers = res.headers().clone();
    (headers, res.bytes().await.unwrap().to_vec())
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn template_download_has_the_chinese_headers_and_reference_lists(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    let (_, html) = app.get(&client, "/policies/import").await;
    assert!(html.contains("href=\"/policies/import/template.xlsx\"") && html.contains("下载模板"));
    assert!(html.contains("enctype=\"multipart/form-data\"") && html.contains("accept=\".xlsx\""));
    let (res, bytes) = download(&app, &client, "/policies/import/template.xlsx").await;
    assert!(header(&res, "content-type").contains("spreadsheetml"));
    let disposition = header(&res, "content-disposition");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    // 保单导入模板.xlsx, percent-encoded as RFC 5987 asks.
    assert!(
        disposition.contains(
            "filename*=UTF-8''%E4%BF%9D%E5%8D%95%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
        ),
        "{disposition}"
    );
    let mut wb = read_xlsx(bytes);
    assert_eq!(wb.sheet_names(), vec!["保单导入", "填写说明"]);
    let first = wb.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = first.rows().map(texts).collect();
    assert_eq!(rows[0], HEADERS);
    assert_eq!(rows.len(), 2, "headers and one sample row");
    let guide = wb.worksheet_range("填写说明").unwrap();
    let all: Vec<String> = guide.rows().flat_map(texts).collect();
    for value in [
        "丰泽区",
        "泉州台商投资区",
        "危险化学品 / 经营",
        "工贸 / 鞋业",
    ] {
        assert!(all.iter().any(|c| c == value), "{value} listed");
    }
}

async fn valid_file_imports_every_row_with_existing_and_new_enterprises(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    let known = register_enterprise(&app, "picc", "晋江鞋业有限公司").await;
    let mut existing = row("PICC-001", "", &known);
    // The registered enterprise's own data wins; its columns may stay empty.
    for name in ["所属区划", "行业", "地址", "从业人数", "联系人", "联系电话"] {
        set(&mut existing, name, s(""));
    }
    let new_code = credit_code("丰泽化工");
    let mut second = row("PICC-002", "丰泽化工有限公司", &new_code);
    set(
        &mut second,
        "保险起期",
        s(today().format("%Y/%m/%d").to_string()),
    );
    set(&mut second, "行业", s("经营"));
    let third = row("PICC-003", "丰泽化工有限公司", &new_code);
    let res = upload(&app, &client, file(vec![existing, second, third])).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(location(&res), "/policies");
    assert!(header(res.headers(), "set-cookie").contains("anze_flash=imported"));

    let mut policies = policies_of(&app, "picc").await;
    policies.sort_by(|a, b| a.policy_no.cmp(&b.policy_no));
    let nos: Vec<&str> = policies.iter().map(|p| p.policy_no.as_str()).collect();
    assert_eq!(nos, ["PICC-001", "PICC-002", "PICC-003"]);
    assert_eq!(policies[0].enterprise_name, "晋江鞋业有限公司");
    assert_eq!(policies[0].region_code, "350582", "the registered region");
    assert_eq!(
        policies[1].enterprise_id, policies[2].enterprise_id,
        "created once"
    );
    assert_eq!(policies[1].region_code, "350503");
    assert_eq!(policies[1].start_date, today());
    assert_eq!(policies[2].premium.to_string(), "¥20,000.00");
    assert_eq!(policies[2].prevention_ratio.to_string(), "15.00%");
    let created = app
        .db
        .find_enterprise_by_credit_code(&new_code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            created.name.as_str(),
            created.industry_label.as_str(),
            created.employee_count
        ),
        ("丰泽化工有限公司", "危险化学品 / 经营", 120)
    );
    assert_eq!(created.contact_phone, "13905951234");

    let log = app
        .db
        .list_audit(&LogQuery::default(), PageRequest::default())
        .await
        .unwrap();
    let imports: Vec<_> = log.items.iter().filter(|e| e.action == "import").collect();
    assert_eq!(imports.len(), 1, "one event for the whole file");
    assert!(
        imports[0]
            .summary
            .contains("导入保单 3 份,新增投保企业 1 家")
    );
}

async fn file_with_mistakes_shows_every_error_and_imports_nothing(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    let good = row("PICC-001", "好企业有限公司", &credit_code("好企业"));
    let mut bad = row("PICC 002;", "坏企业有限公司", &credit_code("坏企业"));
    set(&mut bad, "所属区划", s("<script>alert(1)</script>"));
    set(&mut bad, "保险止期", C::Date(today() - Duration::days(60)));
    let mut bad2 = row("PICC-003", "", "91350500MA2XN5QX2X");
    set(&mut bad2, "事故预防费用比例(%)", C::N(30.0));
    let res = upload(&app, &client, file(vec![good, bad, bad2])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("<th>行号</th><th>列</th><th>问题</th>"));
    assert!(html.contains("本次未导入任何数据"));
    for expected in [
        "保单号只能包含字母、数字和 - _ /",
        "保险止期不能早于保险起期",
        "统一社会信用代码校验位不正确",
        "事故预防费用比例应为 0 到 21 之间的百分比",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    assert!(html.contains("<td data-label=\"行号\">3</td>"));
    assert!(html.contains("<td data-label=\"列\">所属区划</td>"));
    assert!(!html.contains("<script>alert(1)</script>"), "escaped");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(policies_of(&app, "picc").await.is_empty(), "all or nothing");
    assert!(
        app.db
            .find_enterprise_by_credit_code(&credit_code("好企业"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn files_that_are_not_xlsx_are_refused_clearly(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    let res = upload(&app, &client, b"policy_no,name\nP-1,x\n".to_vec()).await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("文件不是 Excel 工作簿(.xlsx)")
    );
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.extend(std::iter::repeat_n(0u8, 4096));
    let res = upload(&app, &client, xls).await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(res.text().await.unwrap().contains("旧版 Excel(.xls)"));
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend_from_slice(&[7u8; 200]);
    let res = upload(&app, &client, zip).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("文件已损坏"));
    let res = upload(&app, &client, Vec::new()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("请选择要导入的 Excel 文件")
    );
    // An empty workbook is a file without data, said as much.
    let res = upload(&app, &client, workbook(&[])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("文件是空的"));
    let res = upload(&app, &client, workbook(&[header_row()])).await;
    assert!(res.text().await.unwrap().contains("没有数据行"));
    assert!(policies_of(&app, "picc").await.is_empty());
}

async fn missing_columns_are_named(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    let mut rows = vec![header_row(), row("P-1", "甲企业", &credit_code("甲"))];
    for r in &mut rows {
        r.remove(col("保费(元)"));
        r.remove(col("所属区划"));
    }
    let res = upload(&app, &client, workbook(&rows)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("表头缺少以下列:所属区划、保费(元)"), "{html}");
}

async fn wrong_cell_types_are_reported_per_cell(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    let mut r = row("P-1", "乙企业有限公司", &credit_code("乙"));
    set(&mut r, "保险起期", C::N(12.5));
    set(&mut r, "保费(元)", s("两万元"));
    set(&mut r, "参保人数", C::N(12.5));
    set(&mut r, "从业人数", C::Bool(true));
    set(&mut r, "行业", s("生产"));
    let res = upload(&app, &client, file(vec![r])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    for expected in [
        "保险起期日期格式应为 YYYY-MM-DD",
        "保费应为金额",
        "参保人数应为整数",
        "从业人数应为整数",
        "请写成“一级 / 二级”",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    assert!(policies_of(&app, "picc").await.is_empty());
}

async fn duplicate_rows_and_registered_numbers_are_refused(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    let code = credit_code("丙");
    let first = file(vec![row("P-1", "丙企业有限公司", &code)]);
    let res = upload(&app, &client, first.clone()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The same file again: the number is now registered by this insurer.
    let res = upload(&app, &client, first.clone()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("本机构已登记保单号“P-1”")
    );
    let res = upload(
        &app,
        &client,
        file(vec![
            row("P-2", "丙企业有限公司", &code),
            row("P-2", "丙企业有限公司", &code),
        ]),
    )
    .await;
    let html = res.text().await.unwrap();
    assert!(html.contains("保单号“P-2”与第 2 行重复"), "{html}");
    assert_eq!(policies_of(&app, "picc").await.len(), 1);
    // Another insurer may hold the same number.
    let other = insurer(&app, "泉州平安", "pingan").await;
    let res = upload(&app, &other, first).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn more_than_ten_thousand_rows_is_one_clear_error(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    let code = credit_code("丁");
    // Mistakes in every row: the size error alone is reported.
    let rows = (0..10_001)
        .map(|i| row(&format!("P {i}"), "丁企业有限公司", &code))
        .collect();
    let res = upload(&app, &client, file(rows)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("数据超过 10,000 行"), "{html}");
    assert!(html.contains("文件中共有 1 处问题"));
    assert!(policies_of(&app, "picc").await.is_empty());
}

async fn upload_over_ten_megabytes_is_refused_and_imports_nothing(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    // A real workbook first, padded past the limit: the size is refused before the content.
    let mut bytes = file(vec![row("P-1", "戊企业有限公司", &credit_code("戊"))]);
    let mut noise = 0x2545_F491_4F6C_DD1Du64;
    while bytes.len() <= 10 * 1024 * 1024 {
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        bytes.extend_from_slice(&noise.to_le_bytes());
    }
    let res = upload(&app, &client, bytes).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("文件超过 10 MB,未导入任何数据")
    );
    assert!(policies_of(&app, "picc").await.is_empty());
    // Far past the limit, the answer still arrives as a page rather than a broken connection.
    let huge = vec![b'x'; 40 * 1024 * 1024];
    let res = upload(&app, &client, huge).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().await.unwrap().contains("文件超过 10 MB"));
    // The session and the page still work.
    let (status, _) = app.get(&client, "/policies/import").await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_full_ten_thousand_row_file_imports_in_one_go(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    // 10,000 policies of 2,000 new enterprises, five policies each.
    let rows: Vec<Vec<C>> = (0..10_000)
        .map(|i| {
            let e = i / 5;
            row(
                &format!("BULK-{i:05}"),
                &format!("批量企业{e}有限公司"),
                &credit_code(&format!("批量{e}")),
            )
        })
        .collect();
    let bytes = file(rows);
    let size = bytes.len();
    let started = Instant::now();
    let res = upload(&app, &client, bytes).await;
    let elapsed = started.elapsed();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    eprintln!(
        "import of 10,000 rows ({:.1} MB, 2,000 new enterprises) on {}: {:.2} s",
        size as f64 / 1_048_576.0,
        app.db.backend_name(),
        elapsed.as_secs_f64()
    );
    let actor = app.actor("picc").await;
    let page = anze_core::policy::service::list(
        &app.db,
        &actor,
        &PolicyFilter::default(),
        PageRequest::first(10),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(page.total, 10_000);
}

async fn exports_keep_formula_like_text_inert(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    let formula = "=cmd|' /C calc'!A0";
    let res = upload(
        &app,
        &client,
        file(vec![row("=1+1", formula, &credit_code("公式"))]),
    )
    .await;
    // `=` is not allowed in a policy number: the row is refused, so use a clean number.
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = upload(
        &app,
        &client,
        file(vec![row("PICC-F1", formula, &credit_code("公式"))]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // An order for it, designated to an agency.
    let agency = app.seed_org("agency", "泉州安评中心", "agency").await;
    let actor = app.actor("picc").await;
    let policy = policies_of(&app, "picc").await.remove(0);
    let mut form = anze_core::order::DesignateForm::suggested(policy.start_date, policy.end_date);
    form.agency_id = agency.to_string();
    form.note = formula.into();
    anze_core::order::service::designate(&app.db, &actor, policy.id, &form, Utc::now())
        .await
        .unwrap();

    for (path, name_col, name, file_name) in [
        (
            "/policies/export.xlsx",
            1,
            "保单台账",
            "%E4%BF%9D%E5%8D%95%E5%8F%B0%E8%B4%A6-",
        ),
        (
            "/orders/export.xlsx",
            2,
            "服务订单台账",
            "%E6%9C%8D%E5%8A%A1%E8%AE%A2%E5%8D%95%E5%8F%B0%E8%B4%A6-",
        ),
    ] {
        let (res, bytes) = download(&app, &client, path).await;
        let disposition = header(&res, "content-disposition");
        assert!(
            disposition.contains(&format!("filename*=UTF-8''{file_name}")),
            "{disposition}"
        );
        let mut wb = read_xlsx(bytes);
        assert_eq!(wb.sheet_names(), vec![name]);
        let range = wb.worksheet_range(name).unwrap();
        let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert_eq!(rows.len(), 2, "{path}: header and one row");
        assert_eq!(rows[1][name_col], Data::String(formula.into()), "{path}");
        let formulas = wb.worksheet_formula(name).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{path}: no formula anywhere"
        );
    }
    let rows = first_sheet(download(&app, &client, "/policies/export.xlsx").await.1);
    assert_eq!(rows[0][0], Data::String("保单号".into()));
    assert_eq!(rows[1][0], Data::String("PICC-F1".into()));
    assert_eq!(rows[1][7], Data::Float(20000.0), "money stays a number");
    let orders = first_sheet(download(&app, &client, "/orders/export.xlsx").await.1);
    assert_eq!(orders[1][1], Data::String("PICC-F1".into()));
    assert_eq!(orders[1][4], Data::String("泉州安评中心".into()));
    assert_eq!(orders[1][7], Data::String("待受理".into()));
    // The agency sees the order in its own export.
    let agency_client = app.login("agency", PASSWORD).await;
    let rows = first_sheet(
        download(&app, &agency_client, "/orders/export.xlsx")
            .await
            .1,
    );
    assert_eq!(rows.len(), 2);
}

async fn import_needs_the_import_permission(app: TestApp) {
    let _ = insurer(&app, "泉州人保", "picc").await;
    app.seed_account("picc", "picc_staff", "业务人员").await;
    let staff = app.login("picc_staff", PASSWORD).await;
    for path in ["/policies/import", "/policies/import/template.xlsx"] {
        let (status, _) = app.get(&staff, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // A valid session token, from a page the staff may open.
    let (_, home) = app.get(&staff, "/").await;
    let token = csrf_token(&home).unwrap();
    let res = post_file(
        &app,
        &staff,
        &token,
        file(vec![row("P-1", "己企业有限公司", &credit_code("己"))]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(policies_of(&app, "picc").await.is_empty());
    // Staff may still export what they may view.
    let res = staff
        .get(app.url("/policies/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Agencies own no policy permissions at all.
    app.seed_org("agency", "泉州安评中心", "agency").await;
    let agency = app.login("agency", PASSWORD).await;
    let (status, _) = app.get(&agency, "/policies/import").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&agency, "/policies/export.xlsx").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Without a token the upload is a stale form, whoever sends it.
    let picc = app.login("picc", PASSWORD).await;
    let res = post_file(&app, &picc, "0", file(vec![])).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn exports_never_show_another_insurers_policies(app: TestApp) {
    let picc = insurer(&app, "泉州人保", "picc").await;
    let pingan = insurer(&app, "泉州平安", "pingan").await;
    let code = credit_code("庚");
    let res = upload(
        &app,
        &picc,
        file(vec![row("PICC-1", "庚企业有限公司", &code)]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = upload(
        &app,
        &pingan,
        file(vec![
            row("PA-1", "庚企业有限公司", &code),
            row("PA-2", "辛企业有限公司", &credit_code("辛")),
        ]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let pingan_id = app.actor("pingan").await.org_id;

    let numbers = |rows: Vec<Vec<Data>>| -> Vec<String> {
        rows.iter().skip(1).map(|r| r[0].to_string()).collect()
    };
    let rows = first_sheet(download(&app, &picc, "/policies/export.xlsx").await.1);
    assert_eq!(numbers(rows), ["PICC-1"]);
    // Asking for the other insurer's policies by filter yields none of them.
    let rows = first_sheet(
        download(
            &app,
            &picc,
            &format!("/policies/export.xlsx?insurer={pingan_id}"),
        )
        .await
        .1,
    );
    assert!(numbers(rows).is_empty());
    // Filters of the list page apply.
    let rows = first_sheet(
        download(&app, &pingan, "/policies/export.xlsx?q=PA-2")
            .await
            .1,
    );
    assert_eq!(numbers(rows), ["PA-2"]);
    // The platform sees all, newest first.
    let admin = app.admin().await;
    let rows = first_sheet(download(&app, &admin, "/policies/export.xlsx").await.1);
    assert_eq!(numbers(rows).len(), 3);
    let rows = first_sheet(download(&app, &picc, "/orders/export.xlsx").await.1);
    assert_eq!(rows.len(), 1, "only the header: no orders yet");
}

/// `s` as a Chinese input method in full-width mode types it: `１２３`, `ＰＩＣＣ－１`.
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap(),
            c => c,
        })
        .collect()
}

async fn values_typed_as_in_wps_are_read_as_meant(app: TestApp) {
    let client = insurer(&app, "泉州人保", "picc").await;
    let code = credit_code("全角企业");
    let start = today() - Duration::days(30);
    let mut typed = row(
        &full_width("PICC-007"),
        "全角输入有限公司",
        &full_width(&code),
    );
    set(&mut typed, "从业人数", s("1,200"));
    set(&mut typed, "联系电话", s("+86 139-0595-1234"));
    set(&mut typed, "保险起期", s(full_width(&start.to_string())));
    set(&mut typed, "保费(元)", s("2万元"));
    set(&mut typed, "累计责任限额(元)", s("5,000,000元"));
    set(&mut typed, "每人责任限额(元)", s(full_width("50.5万")));
    set(&mut typed, "参保人数", s(full_width("120")));
    set(&mut typed, "事故预防费用比例(%)", s(full_width("15%")));
    // What still means nothing is refused as before, with its row.
    let mut words = row("PICC-008", "全角输入有限公司", &code);
    set(&mut words, "保费(元)", s("两万元"));
    set(&mut words, "事故预防费用比例(%)", s("15元"));
    let res = upload(&app, &client, file(vec![typed.clone(), words])).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("保费应为金额"), "{html}");
    assert!(html.contains("事故预防费用比例应为 0 到 21 之间的百分比"));
    assert!(!html.contains("<td data-label=\"行号\">2</td>"), "{html}");
    assert!(policies_of(&app, "picc").await.is_empty());

    let res = upload(&app, &client, file(vec![typed])).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let policies = policies_of(&app, "picc").await;
    let [p] = policies.as_slice() else {
        panic!("one policy: {}", policies.len())
    };
    assert_eq!(p.policy_no, "PICC-007");
    assert_eq!(p.start_date, start);
    assert_eq!(p.premium.to_string(), "¥20,000.00");
    assert_eq!(p.total_limit.to_string(), "¥5,000,000.00");
    assert_eq!(p.per_person_limit.to_string(), "¥505,000.00");
    assert_eq!(p.insured_count, 120);
    assert_eq!(p.prevention_ratio.to_string(), "15.00%");
    let created = app
        .db
        .find_enterprise_by_credit_code(&code)
        .await
        .unwrap()
        .expect("the enterprise under its plain credit code");
    assert_eq!(created.contact_phone, "13905951234");
    assert_eq!(created.employee_count, 1200);
}
