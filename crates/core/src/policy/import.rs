//! Excel 导入: policies with their insured enterprises, from a table of text cells.
//!
//! The web layer turns the workbook into text (dates as `YYYY-MM-DD`); everything here is pure
//! validation with the same parsers as the forms, so an imported policy obeys the same rules as
//! one typed by hand. All rows are checked before anything is written, every mistake is reported
//! with its spreadsheet row and column, and the import is all or nothing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

use super::{PolicyForm, PolicyTerms};
use crate::audit::{AuditAction, AuditEvent, ObjectKind};
use crate::auth::{Actor, Permission, require};
use crate::enterprise::{EnterpriseFields, EnterpriseForm};
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field::CreditCode;
use crate::ids::OrgId;
use crate::industry::{Industry, IndustryChoice};
use crate::org::{OrgKind, Organization};
use crate::region::Region;
pub use crate::sheet::RowError;
use crate::store::Store;

/// A mistake in one cell of `column`.
fn at(row: usize, column: Column, message: impl Into<String>) -> RowError {
    RowError::cell(row, column.header(), message)
}

/// One import is one transaction; larger files are split by the user, so a mistake in row
/// 90,000 never holds the database for minutes.
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// The columns of the import file, in the template's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    PolicyNo,
    EnterpriseName,
    CreditCode,
    Region,
    Industry,
    Address,
    EmployeeCount,
    ContactName,
    ContactPhone,
    StartDate,
    EndDate,
    Premium,
    TotalLimit,
    PerPersonLimit,
    InsuredCount,
    PreventionRatio,
}

impl Column {
    pub const ALL: [Column; 16] = [
        Column::PolicyNo,
        Column::EnterpriseName,
        Column::CreditCode,
        Column::Region,
        Column::Industry,
        Column::Address,
        Column::EmployeeCount,
        Column::ContactName,
        Column::ContactPhone,
        Column::StartDate,
        Column::EndDate,
        Column::Premium,
        Column::TotalLimit,
        Column::PerPersonLimit,
        Column::InsuredCount,
        Column::PreventionRatio,
    ];

    /// The field an API batch names the column's value with.
    pub fn field(self) -> &'static str {
        match self {
            Column::PolicyNo => "policy_no",
            Column::EnterpriseName => "enterprise_name",
            Column::CreditCode => "credit_code",
            Column::Region => "region",
            Column::Industry => "industry",
            Column::Address => "address",
            Column::EmployeeCount => "employee_count",
            Column::ContactName => "contact_name",
            Column::ContactPhone => "contact_phone",
            Column::StartDate => "start_date",
            Column::EndDate => "end_date",
            Column::Premium => "premium",
            Column::TotalLimit => "total_limit",
            Column::PerPersonLimit => "per_person_limit",
            Column::InsuredCount => "insured_count",
            Column::PreventionRatio => "prevention_ratio",
        }
    }

    /// The column a template header names.
    pub fn of_header(header: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.header() == header)
    }

    /// The header as the template prints it.
    pub fn header(self) -> &'static str {
        match self {
            Column::PolicyNo => "保单号",
            Column::EnterpriseName => "企业名称",
            Column::CreditCode => "统一社会信用代码",
            Column::Region => "所属区划",
            Column::Industry => "行业",
            Column::Address => "地址",
            Column::EmployeeCount => "从业人数",
            Column::ContactName => "联系人",
            Column::ContactPhone => "联系电话",
            Column::StartDate => "保险起期",
            Column::EndDate => "保险止期",
            Column::Premium => "保费(元)",
            Column::TotalLimit => "累计责任限额(元)",
            Column::PerPersonLimit => "每人责任限额(元)",
            Column::InsuredCount => "参保人数",
            Column::PreventionRatio => "事故预防费用比例(%)",
        }
    }

    /// What the template's sample row shows (and what the instructions explain).
    pub fn sample(self) -> &'static str {
        match self {
            Column::PolicyNo => "PICC-2026-000001",
            Column::EnterpriseName => "泉州示例化工有限公司",
            Column::CreditCode => "91350500MA2XN5QX2B",
            Column::Region => "丰泽区",
            Column::Industry => "危险化学品 / 经营",
            Column::Address => "泉州市丰泽区东海街道示例路 1 号",
            Column::EmployeeCount => "120",
            Column::ContactName => "张三",
            Column::ContactPhone => "13905951234",
            Column::StartDate => "2026-01-01",
            Column::EndDate => "2026-12-31",
            Column::Premium => "20000",
            Column::TotalLimit => "5000000",
            Column::PerPersonLimit => "500000",
            Column::InsuredCount => "120",
            Column::PreventionRatio => "15",
        }
    }

    /// How to fill the column, for the template's 填写说明 sheet.
    pub fn hint(self) -> &'static str {
        match self {
            Column::PolicyNo => {
                "必填;字母、数字和 - _ /,最多 40 个字符;同一文件内及本机构已登记的保单号不能重复"
            }
            Column::EnterpriseName => "新企业必填,最多 100 个字符",
            Column::CreditCode => {
                "必填;18 位统一社会信用代码。已登记的企业直接使用,其余企业信息列可留空"
            }
            Column::Region => "新企业必填;填写区划名称,见下方“所属区划”",
            Column::Industry => {
                "新企业必填;填写“一级 / 二级”,见下方“行业”;二级名称唯一时可只填二级"
            }
            Column::Address => "新企业必填,最多 200 个字符",
            Column::EmployeeCount => "新企业必填;整数",
            Column::ContactName => "新企业必填",
            Column::ContactPhone => "新企业必填;手机号或座机,如 0595-22345678",
            Column::StartDate => "必填;日期,如 2026-01-01",
            Column::EndDate => "必填;不早于保险起期,保险期间不超过 5 年",
            Column::Premium => "必填;金额(元),最多两位小数",
            Column::TotalLimit => "必填;金额(元)",
            Column::PerPersonLimit => "必填;金额(元),不超过累计责任限额",
            Column::InsuredCount => "必填;整数",
            Column::PreventionRatio => "必填;百分比数值,如 15 表示 15%,不超过 21",
        }
    }

    /// The column a form field's error belongs to.
    fn of_field(field: &str) -> Option<Column> {
        Some(match field {
            "policy_no" => Column::PolicyNo,
            "start_date" => Column::StartDate,
            "end_date" => Column::EndDate,
            "premium" => Column::Premium,
            "total_limit" => Column::TotalLimit,
            "per_person_limit" => Column::PerPersonLimit,
            "insured_count" => Column::InsuredCount,
            "prevention_ratio" => Column::PreventionRatio,
            "name" => Column::EnterpriseName,
            "credit_code" => Column::CreditCode,
            "region_code" => Column::Region,
            "industry_code" => Column::Industry,
            "address" => Column::Address,
            "employee_count" => Column::EmployeeCount,
            "contact_name" => Column::ContactName,
            "contact_phone" => Column::ContactPhone,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub policies: usize,
    pub new_enterprises: usize,
}

/// Which enterprise a policy insures: one already registered, or one created by this import.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportedEnterprise {
    Existing {
        id: OrgId,
        region_code: String,
    },
    /// Index into the import's new enterprises.
    New(usize),
}

#[derive(Debug, Clone)]
pub struct ImportedPolicy {
    /// Spreadsheet row, for messages.
    pub row: usize,
    pub enterprise: ImportedEnterprise,
    pub terms: PolicyTerms,
}

/// Everything an import writes, validated.
#[derive(Debug, Clone, Default)]
pub struct ImportPlan {
    pub new_enterprises: Vec<EnterpriseFields>,
    pub policies: Vec<ImportedPolicy>,
}

/// Header names as people type them: surrounding spaces, full-width brackets and percent signs.
fn normalize_header(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '(' => '(',
            ')' => ')',
            '%' => '%',
            c => c,
        })
        .collect()
}

fn is_blank(row: &[String]) -> bool {
    row.iter().all(|c| c.trim().is_empty())
}

/// The data rows of a file whose header has been matched.
#[derive(Debug)]
pub struct Table {
    /// (spreadsheet row number, cells), blank rows left out.
    rows: Vec<(usize, Vec<String>)>,
    /// Column → index in each row.
    index: HashMap<Column, usize>,
}

impl Table {
    /// Finds the header (the first non-blank row) and checks the size of the file.
    pub fn parse(rows: Vec<Vec<String>>) -> Result<Table, RowError> {
        let mut numbered = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .filter(|(_, r)| !is_blank(r));
        let Some((header_row, header)) = numbered.next() else {
            return Err(RowError::file(
                "文件是空的:第一个工作表中没有内容,请使用模板填写后再导入",
            ));
        };
        let mut index = HashMap::new();
        for (i, cell) in header.iter().enumerate() {
            let name = normalize_header(cell);
            if let Some(col) = Column::ALL.into_iter().find(|c| c.header() == name) {
                if index.contains_key(&col) {
                    return Err(RowError {
                        row: Some(header_row),
                        column: col.header().into(),
                        message: format!("表头中“{}”出现了不止一次", col.header()),
                    });
                }
                index.insert(col, i);
            }
        }
        let missing: Vec<&str> = Column::ALL
            .into_iter()
            .filter(|c| !index.contains_key(c))
            .map(Column::header)
            .collect();
        if !missing.is_empty() {
            return Err(RowError {
                row: Some(header_row),
                column: String::new(),
                message: format!(
                    "表头缺少以下列:{}。请使用导入模板,第一行为列名",
                    missing.join("、")
                ),
            });
        }
        // Counting stops one past the limit: the message needs no exact total.
        let rows: Vec<(usize, Vec<String>)> = numbered.take(MAX_IMPORT_ROWS + 1).collect();
        if rows.len() > MAX_IMPORT_ROWS {
            let max = format!("{},{:03}", MAX_IMPORT_ROWS / 1000, MAX_IMPORT_ROWS % 1000);
            return Err(RowError::file(format!(
                "数据超过 {max} 行:单个文件最多导入 {max} 行,请拆分为多个文件后分批导入"
            )));
        }
        if rows.is_empty() {
            return Err(RowError::file(
                "文件中只有表头,没有数据行:请从第二行起每行填写一份保单",
            ));
        }
        Ok(Table { rows, index })
    }

    fn cell<'a>(&self, row: &'a [String], col: Column) -> &'a str {
        row.get(self.index[&col]).map(String::as_str).unwrap_or("")
    }

    /// The valid credit codes of the file, to look up the organizations already registered.
    pub fn credit_codes(&self) -> Vec<String> {
        let codes: HashSet<String> = self
            .rows
            .iter()
            .filter_map(|(_, r)| CreditCode::parse(self.cell(r, Column::CreditCode)).ok())
            .map(|c| c.to_string())
            .collect();
        codes.into_iter().collect()
    }

    /// The policy numbers of the file, to look up those already registered.
    pub fn policy_nos(&self) -> Vec<String> {
        let nos: HashSet<String> = self
            .rows
            .iter()
            .filter_map(|(_, r)| super::parse_policy_no(self.cell(r, Column::PolicyNo)).ok())
            .collect();
        nos.into_iter().collect()
    }
}

/// What validation needs to know about the database.
#[derive(Debug, Default)]
pub struct Lookup {
    regions: Vec<Region>,
    industries: Vec<Industry>,
    /// Organizations holding the file's credit codes, by code.
    orgs: HashMap<String, Organization>,
    /// The file's policy numbers this insurer has already registered.
    taken: HashSet<String>,
}

impl Lookup {
    pub fn new(
        regions: Vec<Region>,
        industries: Vec<Industry>,
        orgs: Vec<Organization>,
        taken: Vec<String>,
    ) -> Self {
        Self {
            regions,
            industries,
            orgs: orgs
                .into_iter()
                .filter_map(|o| o.credit_code.clone().map(|c| (c, o)))
                .collect(),
            taken: taken.into_iter().collect(),
        }
    }

    /// 所属区划 by name (as users know them), or by code.
    fn region(&self, raw: &str) -> Result<String, String> {
        let v = raw.trim();
        if v.is_empty() {
            return Err("请填写所属区划".into());
        }
        let found: Vec<&Region> = self
            .regions
            .iter()
            .filter(|r| r.name == v || r.code == v)
            .collect();
        match found.as_slice() {
            [one] => Ok(one.code.clone()),
            [] => Err(format!(
                "所属区划“{v}”不存在,请填写模板“填写说明”中列出的区划名称,如“丰泽区”"
            )),
            _ => Err(format!("所属区划“{v}”有重名,请改填区划代码")),
        }
    }

    /// 行业: `一级 / 二级`, `一级/二级`, the leaf alone when no other leaf shares its name, or
    /// the leaf's code.
    fn industry(&self, raw: &str) -> Result<String, String> {
        let v = raw.trim();
        if v.is_empty() {
            return Err("请填写行业".into());
        }
        let parent_name = |leaf: &Industry| {
            self.industries
                .iter()
                .find(|p| Some(&p.code) == leaf.parent_code.as_ref())
                .map(|p| p.name.as_str())
        };
        let leaves = self.industries.iter().filter(|i| i.parent_code.is_some());
        let found: Vec<&Industry> = match v.split_once(['/', '/']) {
            Some((parent, leaf)) => {
                let (parent, leaf) = (parent.trim(), leaf.trim());
                leaves
                    .filter(|i| i.name == leaf && parent_name(i) == Some(parent))
                    .collect()
            }
            None => leaves.filter(|i| i.name == v || i.code == v).collect(),
        };
        match found.as_slice() {
            [one] => Ok(one.code.clone()),
            [] if self
                .industries
                .iter()
                .any(|i| i.parent_code.is_none() && i.name == v) =>
            {
                Err(format!(
                    "行业请填写到二级,如“{v} / …”,可选值见模板“填写说明”"
                ))
            }
            [] => Err(format!(
                "行业“{v}”不存在,请填写模板“填写说明”中列出的行业,如“危险化学品 / 经营”"
            )),
            many => Err(format!(
                "行业“{v}”有多个同名二级行业({}),请写成“一级 / 二级”",
                many.iter()
                    .filter_map(|i| parent_name(i).map(|p| format!("{p} / {}", i.name)))
                    .collect::<Vec<_>>()
                    .join("、")
            )),
        }
    }
}

/// `2026-1-1`, `2026/01/01`, `2026.1.1` and `2026年1月1日` → `2026-01-01`; anything else is
/// passed on for the date parser to refuse with its usual message.
fn normalize_date(raw: &str) -> String {
    let v = &crate::field::typed::half_width(raw);
    let unified: String = v
        .trim_end_matches('日')
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' | '月' => '-',
            c => c,
        })
        .collect();
    let parts: Vec<&str> = unified.split('-').collect();
    if let [y, m, d] = parts.as_slice()
        && y.len() == 4
        && [y, m, d]
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
        && let (Ok(y), Ok(m), Ok(d)) = (y.parse(), m.parse(), d.parse())
        && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
    {
        return date.format("%Y-%m-%d").to_string();
    }
    v.to_string()
}

/// The form parsers speak of form widgets; the file has columns.
fn reword(message: &str) -> String {
    message
        .replace("机构名称", "企业名称")
        .replace("请选择", "请填写")
}

fn push_field_errors(errors: &mut Vec<RowError>, row: usize, fields: &FieldErrors) {
    for e in &fields.0 {
        let column = Column::of_field(e.field).unwrap_or(Column::PolicyNo);
        errors.push(at(row, column, reword(&e.message)));
    }
}

/// A new enterprise already seen in the file: its index and where it came from.
struct SeenEnterprise {
    index: usize,
    row: usize,
    name: String,
}

/// Validates every row; returns what to write, or every mistake found.
pub fn validate(table: &Table, lookup: &Lookup) -> Result<ImportPlan, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut plan = ImportPlan::default();
    let mut seen_nos: HashMap<String, usize> = HashMap::new();
    let mut seen_new: HashMap<String, SeenEnterprise> = HashMap::new();
    for (row_no, cells) in &table.rows {
        let row = *row_no;
        let mut row_errors = Vec::new();
        let cell = |c: Column| table.cell(cells, c);

        let form = PolicyForm {
            policy_no: cell(Column::PolicyNo).to_string(),
            enterprise_credit_code: cell(Column::CreditCode).to_string(),
            start_date: normalize_date(cell(Column::StartDate)),
            end_date: normalize_date(cell(Column::EndDate)),
            premium: cell(Column::Premium).to_string(),
            total_limit: cell(Column::TotalLimit).to_string(),
            per_person_limit: cell(Column::PerPersonLimit).to_string(),
            insured_count: cell(Column::InsuredCount).to_string(),
            prevention_ratio: cell(Column::PreventionRatio).to_string(),
        };
        let mut field_errors = FieldErrors::new();
        let terms = PolicyTerms::parse(&form, &mut field_errors);
        push_field_errors(&mut row_errors, row, &field_errors);
        if let Ok(no) = super::parse_policy_no(&form.policy_no) {
            if let Some(first) = seen_nos.get(&no) {
                row_errors.push(at(
                    row,
                    Column::PolicyNo,
                    format!("保单号“{no}”与第 {first} 行重复"),
                ));
            } else {
                if lookup.taken.contains(&no) {
                    row_errors.push(at(
                        row,
                        Column::PolicyNo,
                        format!("本机构已登记保单号“{no}”"),
                    ));
                }
                seen_nos.insert(no, row);
            }
        }

        let enterprise = enterprise_of_row(
            row,
            cells,
            table,
            lookup,
            &mut seen_new,
            &mut plan.new_enterprises,
            &mut row_errors,
        );

        if row_errors.is_empty()
            && let (Some(terms), Some(enterprise)) = (terms, enterprise)
        {
            plan.policies.push(ImportedPolicy {
                row,
                enterprise,
                terms,
            });
        }
        row_errors.sort_by_key(|e| {
            Column::ALL
                .iter()
                .position(|c| c.header() == e.column)
                .unwrap_or(0)
        });
        errors.extend(row_errors);
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// The row's enterprise: the registered one holding the credit code, or a new one built from
/// the row's enterprise columns (created once however many rows name it).
fn enterprise_of_row(
    row: usize,
    cells: &[String],
    table: &Table,
    lookup: &Lookup,
    seen_new: &mut HashMap<String, SeenEnterprise>,
    new_enterprises: &mut Vec<EnterpriseFields>,
    errors: &mut Vec<RowError>,
) -> Option<ImportedEnterprise> {
    let cell = |c: Column| table.cell(cells, c);
    let code = match CreditCode::parse(cell(Column::CreditCode)) {
        Ok(c) => c.to_string(),
        Err(m) => {
            errors.push(at(row, Column::CreditCode, m));
            return None;
        }
    };
    if let Some(org) = lookup.orgs.get(&code) {
        if org.kind != OrgKind::Enterprise {
            errors.push(at(
                row,
                Column::CreditCode,
                format!(
                    "该统一社会信用代码已登记为{}“{}”,不能作为投保企业",
                    org.kind.label(),
                    org.name
                ),
            ));
            return None;
        }
        return Some(ImportedEnterprise::Existing {
            id: org.id,
            region_code: org.region_code.clone(),
        });
    }
    // Every row naming a new enterprise is checked, so each row's mistakes are reported.
    let mut lookup_errors = Vec::new();
    let mut resolve = |col: Column, r: Result<String, String>| match r {
        Ok(code) => code,
        Err(m) => {
            lookup_errors.push(at(row, col, m));
            // Non-empty, so the form parser does not report the same cell again.
            "?".into()
        }
    };
    let region_code = resolve(Column::Region, lookup.region(cell(Column::Region)));
    let industry_code = resolve(Column::Industry, lookup.industry(cell(Column::Industry)));
    let form = EnterpriseForm {
        name: cell(Column::EnterpriseName).to_string(),
        credit_code: code.clone(),
        region_code,
        address: cell(Column::Address).to_string(),
        contact_name: cell(Column::ContactName).to_string(),
        contact_phone: cell(Column::ContactPhone).to_string(),
        industry_code,
        employee_count: cell(Column::EmployeeCount).to_string(),
        ..Default::default()
    };
    let parsed = EnterpriseFields::parse(&form);
    let had_lookup_errors = !lookup_errors.is_empty();
    errors.extend(lookup_errors);
    let fields = match parsed {
        Ok(f) if !had_lookup_errors => f,
        Ok(_) => return None,
        Err(CoreError::Validation(fe)) => {
            push_field_errors(errors, row, &fe);
            return None;
        }
        Err(_) => return None,
    };
    match seen_new.get(&code) {
        Some(first) if first.name != fields.org.name => {
            errors.push(at(
                row,
                Column::EnterpriseName,
                format!(
                    "与第 {} 行统一社会信用代码相同,但企业名称不同(“{}”)",
                    first.row, first.name
                ),
            ));
            None
        }
        Some(first) => Some(ImportedEnterprise::New(first.index)),
        None => {
            let index = new_enterprises.len();
            seen_new.insert(
                code,
                SeenEnterprise {
                    index,
                    row,
                    name: fields.org.name.clone(),
                },
            );
            new_enterprises.push(fields);
            Some(ImportedEnterprise::New(index))
        }
    }
}

/// Imports the policies of a file, creating the enterprises not yet registered: all rows or none.
/// `Ok(Err(errors))` when the file has mistakes (nothing is written).
pub async fn import(
    store: &dyn Store,
    actor: &Actor,
    rows: Vec<Vec<String>>,
    now: DateTime<Utc>,
) -> CoreResult<Result<ImportSummary, Vec<RowError>>> {
    require(actor, Permission::PolicyImport)?;
    let table = match Table::parse(rows) {
        Ok(t) => t,
        Err(e) => return Ok(Err(vec![e])),
    };
    let lookup = Lookup::new(
        store.list_regions().await?,
        store.list_industries().await?,
        store.orgs_by_credit_codes(&table.credit_codes()).await?,
        store
            .taken_policy_nos(actor.org_id, &table.policy_nos())
            .await?,
    );
    let plan = match validate(&table, &lookup) {
        Ok(p) => p,
        Err(errors) => return Ok(Err(errors)),
    };
    let summary = ImportSummary {
        policies: plan.policies.len(),
        new_enterprises: plan.new_enterprises.len(),
    };
    let audit = AuditEvent::new(
        actor,
        now,
        AuditAction::Import,
        ObjectKind::Policy,
        None,
        "Excel 导入",
        format!(
            "导入保单 {} 份,新增投保企业 {} 家",
            summary.policies, summary.new_enterprises
        ),
    );
    store
        .import_policies(actor.org_id, &plan.new_enterprises, &plan.policies, &audit)
        .await
        .map_err(|e| match e {
            // Someone registered one of the numbers or enterprises between the check and the
            // write; nothing was written, and a second try reports the row.
            CoreError::Duplicate => CoreError::Conflict(
                "导入期间有其他用户登记了相同的保单号或企业,本次未导入任何数据,请重新导入".into(),
            ),
            e => e,
        })?;
    Ok(Ok(summary))
}

/// What the template's 填写说明 sheet lists: valid regions and leaf industries.
pub struct TemplateReference {
    pub regions: Vec<Region>,
    pub industries: Vec<IndustryChoice>,
}

pub async fn template_reference(store: &dyn Store, actor: &Actor) -> CoreResult<TemplateReference> {
    require(actor, Permission::PolicyImport)?;
    Ok(TemplateReference {
        regions: store.list_regions().await?,
        industries: crate::industry::choices(&store.list_industries().await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_date;

    fn industries() -> Vec<Industry> {
        let i = |code: &str, name: &str, parent: Option<&str>| Industry {
            code: code.into(),
            name: name.into(),
            parent_code: parent.map(Into::into),
            mandatory: true,
        };
        vec![
            i("02", "危险化学品", None),
            i("0201", "生产", Some("02")),
            i("0202", "经营", Some("02")),
            i("03", "烟花爆竹", None),
            i("0301", "生产", Some("03")),
            i("0302", "批发", Some("03")),
        ]
    }

    fn regions() -> Vec<Region> {
        vec![
            Region {
                code: "350500".into(),
                name: "泉州市".into(),
                parent_code: None,
            },
            Region {
                code: "350503".into(),
                name: "丰泽区".into(),
                parent_code: Some("350500".into()),
            },
        ]
    }

    fn code(seed: u32) -> String {
        CreditCode::with_check_digit(&format!("91350500{seed:09}"))
            .unwrap()
            .to_string()
    }

    fn existing(kind: OrgKind, code: &str) -> Organization {
        Organization {
            id: OrgId(77),
            kind,
            name: "已登记机构".into(),
            credit_code: Some(code.into()),
            region_code: "350503".into(),
            region_name: "丰泽区".into(),
            address: String::new(),
            contact_name: String::new(),
            contact_phone: String::new(),
            enabled: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn header() -> Vec<String> {
        Column::ALL.iter().map(|c| c.header().to_string()).collect()
    }

    fn row(no: &str, code: &str) -> Vec<String> {
        Column::ALL
            .iter()
            .map(|c| match c {
                Column::PolicyNo => no.to_string(),
                Column::CreditCode => code.to_string(),
                c => c.sample().to_string(),
            })
            .collect()
    }

    fn set(r: &mut [String], col: Column, v: &str) {
        r[Column::ALL.iter().position(|c| *c == col).unwrap()] = v.into();
    }

    fn run(rows: Vec<Vec<String>>, lookup: &Lookup) -> Result<ImportPlan, Vec<RowError>> {
        let table = Table::parse(rows).map_err(|e| vec![e])?;
        validate(&table, lookup)
    }

    fn lookup(orgs: Vec<Organization>, taken: &[&str]) -> Lookup {
        Lookup::new(
            regions(),
            industries(),
            orgs,
            taken.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn a_valid_file_creates_each_new_enterprise_once() {
        let known = code(1);
        let rows = vec![
            header(),
            row("P-1", &known),
            row("P-2", &code(2)),
            row("P-3", &code(2)),
            vec![String::new(); 16],
            vec![],
        ];
        let plan = run(
            rows,
            &lookup(vec![existing(OrgKind::Enterprise, &known)], &[]),
        )
        .unwrap();
        assert_eq!(plan.policies.len(), 3);
        assert_eq!(plan.new_enterprises.len(), 1);
        assert_eq!(
            plan.policies[0].enterprise,
            ImportedEnterprise::Existing {
                id: OrgId(77),
                region_code: "350503".into()
            }
        );
        assert_eq!(plan.policies[1].enterprise, ImportedEnterprise::New(0));
        assert_eq!(plan.policies[2].enterprise, ImportedEnterprise::New(0));
        let e = &plan.new_enterprises[0];
        assert_eq!(
            (e.org.region_code.as_str(), e.industry_code.as_str()),
            ("350503", "0202")
        );
        assert_eq!(
            plan.policies[2].terms.start_date,
            parse_date("2026-01-01").unwrap()
        );
    }

    #[test]
    fn headers_match_by_name_in_any_order_with_loose_spelling() {
        let mut h = header();
        h.reverse();
        let mut r = row("P-1", &code(3));
        r.reverse();
        let ratio = h.iter().position(|c| c == "事故预防费用比例(%)").unwrap();
        h[ratio] = " 事故预防费用比例(%) ".into();
        h.push("备注".into());
        r.push("任意内容".into());
        assert!(run(vec![h, r], &lookup(vec![], &[])).is_ok());
    }

    #[test]
    fn missing_columns_are_named() {
        let mut h = header();
        h.retain(|c| c != "保费(元)" && c != "行业");
        let err = run(vec![h, row("P-1", &code(3))], &lookup(vec![], &[])).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err[0].message.contains("保费(元)") && err[0].message.contains("行业"));
        assert_eq!(err[0].row, Some(1));
    }

    #[test]
    fn empty_files_and_header_only_files_are_errors() {
        let err = run(vec![], &lookup(vec![], &[])).unwrap_err();
        assert!(err[0].message.contains("空"));
        let err = run(vec![header(), vec![" ".into()]], &lookup(vec![], &[])).unwrap_err();
        assert!(err[0].message.contains("没有数据行"));
    }

    #[test]
    fn more_than_ten_thousand_rows_is_one_error() {
        let mut rows = vec![header()];
        // Mistakes in every row: none of them may be reported.
        rows.extend((0..=MAX_IMPORT_ROWS).map(|i| row(&format!("P {i}"), "bad")));
        let err = run(rows, &lookup(vec![], &[])).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err[0].message.contains("10,000") && err[0].row.is_none());
        let mut rows = vec![header()];
        rows.extend((0..MAX_IMPORT_ROWS).map(|i| row(&format!("P-{i}"), &code(5))));
        assert_eq!(
            run(rows, &lookup(vec![], &[])).unwrap().policies.len(),
            MAX_IMPORT_ROWS
        );
    }

    #[test]
    fn every_mistake_is_reported_with_row_and_column() {
        let mut bad = row("P 1;", &code(4));
        set(&mut bad, Column::StartDate, "明年");
        set(&mut bad, Column::Premium, "-5");
        set(&mut bad, Column::Region, "火星区");
        set(&mut bad, Column::Industry, "生产");
        set(&mut bad, Column::ContactPhone, "123");
        set(&mut bad, Column::EnterpriseName, "");
        let mut bad2 = row("P-2", "91350500MA2XN5QX2X");
        set(&mut bad2, Column::PreventionRatio, "30");
        let err = run(
            vec![header(), row("P-0", &code(4)), bad, bad2],
            &lookup(vec![], &[]),
        )
        .unwrap_err();
        let at = |r: usize, c: &str| {
            err.iter()
                .find(|e| e.row == Some(r) && e.column == c)
                .map(|e| e.message.clone())
                .unwrap_or_else(|| panic!("no error at {r}/{c}: {err:?}"))
        };
        assert!(at(3, "保单号").contains("字母"));
        assert!(at(3, "保险起期").contains("YYYY-MM-DD"));
        assert!(at(3, "保费(元)").contains("金额"));
        assert!(at(3, "所属区划").contains("火星区"));
        assert!(at(3, "行业").contains("危险化学品 / 生产"));
        assert!(at(3, "联系电话").contains("电话"));
        assert_eq!(at(3, "企业名称"), "请填写企业名称");
        assert!(at(4, "统一社会信用代码").contains("校验位"));
        assert!(at(4, "事故预防费用比例(%)").contains("21"));
        assert!(err.iter().all(|e| e.row != Some(2)), "row 2 is valid");
        // Sorted by row, then by column order.
        let rows: Vec<_> = err.iter().map(|e| e.row.unwrap()).collect();
        assert!(rows.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn duplicate_and_already_registered_policy_numbers() {
        let err = run(
            vec![
                header(),
                row("P-1", &code(6)),
                row("P-1", &code(6)),
                row("P-9", &code(6)),
            ],
            &lookup(vec![], &["P-9"]),
        )
        .unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        assert_eq!(err[0].row, Some(3));
        assert!(err[0].message.contains("第 2 行重复"));
        assert_eq!(err[1].row, Some(4));
        assert!(err[1].message.contains("已登记"));
    }

    #[test]
    fn existing_enterprise_ignores_the_other_columns_but_other_kinds_are_refused() {
        let known = code(7);
        let mut r = row("P-1", &known);
        set(&mut r, Column::EnterpriseName, "");
        set(&mut r, Column::Region, "");
        set(&mut r, Column::ContactPhone, "x");
        let plan = run(
            vec![header(), r.clone()],
            &lookup(vec![existing(OrgKind::Enterprise, &known)], &[]),
        )
        .unwrap();
        assert!(plan.new_enterprises.is_empty());
        let err = run(
            vec![header(), r],
            &lookup(vec![existing(OrgKind::Agency, &known)], &[]),
        )
        .unwrap_err();
        assert!(err[0].message.contains("技术服务机构"));
    }

    #[test]
    fn the_same_new_enterprise_must_keep_its_name() {
        let mut second = row("P-2", &code(8));
        set(&mut second, Column::EnterpriseName, "另一个名字");
        let err = run(
            vec![header(), row("P-1", &code(8)), second],
            &lookup(vec![], &[]),
        )
        .unwrap_err();
        assert_eq!(err[0].row, Some(3));
        assert!(err[0].message.contains("第 2 行"));
    }

    #[test]
    fn industries_by_path_or_unique_leaf_and_regions_by_name() {
        let l = lookup(vec![], &[]);
        assert_eq!(l.industry("危险化学品 / 生产").unwrap(), "0201");
        assert_eq!(l.industry("烟花爆竹/生产").unwrap(), "0301");
        assert_eq!(l.industry("批发").unwrap(), "0302");
        assert!(l.industry("生产").unwrap_err().contains("多个"));
        assert!(l.industry("危险化学品").unwrap_err().contains("二级"));
        assert!(l.industry("农业").unwrap_err().contains("不存在"));
        assert_eq!(l.region(" 丰泽区 ").unwrap(), "350503");
        assert_eq!(l.region("350503").unwrap(), "350503");
        assert!(l.region("").unwrap_err().contains("请填写"));
    }

    #[test]
    fn dates_as_people_type_them() {
        assert_eq!(normalize_date("2026-1-1"), "2026-01-01");
        assert_eq!(normalize_date(" 2026/01/31 "), "2026-01-31");
        assert_eq!(normalize_date("2026.2.3"), "2026-02-03");
        assert_eq!(normalize_date("2026年2月3日"), "2026-02-03");
        assert_eq!(normalize_date("2026-02-30"), "2026-02-30");
        assert_eq!(normalize_date("20260101"), "20260101");
    }
}
