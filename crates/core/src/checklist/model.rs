use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::field;
use crate::hazard::{CATEGORIES, HazardLevel, category_label};
use crate::ids::{CheckId, ChecklistId, ChecklistItemId, HazardId, OrgId, RecordId};
use crate::industry::Industry;
use crate::sheet::RowError;

/// More items than this is no checklist an inspector works through on site.
pub const MAX_ITEMS: usize = 500;
/// Limits of an item's texts, in characters.
pub const SECTION_MAX: usize = 50;
pub const CONTENT_MAX: usize = 500;
pub const BASIS_MAX: usize = 500;
/// 说明 of one check (what was seen).
pub const NOTE_MAX: usize = 200;

/// Who keeps a checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Owner {
    /// 平台: the shared library every agency uses.
    Platform,
    /// One agency's own.
    Agency(OrgId),
}

impl Owner {
    pub fn org(self) -> Option<OrgId> {
        match self {
            Owner::Platform => None,
            Owner::Agency(org) => Some(org),
        }
    }

    pub fn of(org: Option<OrgId>) -> Self {
        org.map_or(Owner::Platform, Owner::Agency)
    }
}

/// 检查表 (without its items).
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub id: ChecklistId,
    pub owner: Owner,
    /// "平台" or the agency's name.
    pub owner_name: String,
    /// 检查表名称
    pub name: String,
    /// 适用行业: a first-level industry code; empty for 通用.
    pub industry: String,
    /// Its name, or 通用.
    pub industry_name: String,
    /// 说明
    pub description: String,
    /// 启用: only active checklists are offered to inspections.
    pub active: bool,
    pub item_count: i64,
    pub updated_at: DateTime<Utc>,
}

/// 检查项
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChecklistItem {
    pub id: ChecklistItemId,
    /// 分组
    pub section: String,
    /// 检查内容
    pub content: String,
    /// 检查依据
    pub basis: String,
    /// 隐患等级 of the hazard a failed item becomes
    pub level: HazardLevel,
    /// 隐患类别 (code) of that hazard
    pub category: String,
}

impl ChecklistItem {
    pub fn category_label(&self) -> &str {
        category_label(&self.category)
    }
}

/// Items in their order, each section once with its items (for showing a checklist).
pub fn by_section<T>(items: &[T], section: impl Fn(&T) -> &str) -> Vec<(String, Vec<&T>)> {
    let mut out: Vec<(String, Vec<&T>)> = Vec::new();
    for item in items {
        let s = section(item);
        match out.iter_mut().find(|(name, _)| name == s) {
            Some((_, list)) => list.push(item),
            None => out.push((s.to_string(), vec![item])),
        }
    }
    out
}

/// The 检查表信息 form as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ChecklistForm {
    pub name: String,
    pub industry: String,
    pub description: String,
}

impl ChecklistForm {
    pub fn from_checklist(c: &Checklist) -> Self {
        Self {
            name: c.name.clone(),
            industry: c.industry.clone(),
            description: c.description.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistInput {
    pub name: String,
    pub industry: String,
    pub description: String,
}

/// The first-level industries (行业门类) a checklist can be written for.
pub fn sectors(all: &[Industry]) -> Vec<&Industry> {
    all.iter().filter(|i| i.parent_code.is_none()).collect()
}

pub fn parse_checklist(
    form: &ChecklistForm,
    industries: &[Industry],
) -> CoreResult<ChecklistInput> {
    let mut e = FieldErrors::new();
    let name = e.take("name", field::text(&form.name, "检查表名称", 50, true));
    let industry = form.industry.trim();
    if !industry.is_empty() && !sectors(industries).iter().any(|s| s.code == industry) {
        e.add("industry", "请选择列表中的适用行业");
    }
    let description = e.take(
        "description",
        field::text(&form.description, "说明", 500, false),
    );
    match (name, description) {
        (Some(name), Some(description)) if e.is_empty() => Ok(ChecklistInput {
            name,
            industry: industry.to_string(),
            description,
        }),
        _ => Err(CoreError::Validation(e)),
    }
}

/// The list's filter as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ChecklistFilter {
    /// 名称 or 说明
    pub q: String,
    /// A first-level industry code; "general" for 通用 ones.
    pub industry: String,
    /// "platform" or "mine"
    pub owner: String,
    /// "active" or "inactive"
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChecklistQuery {
    pub q: Option<String>,
    /// `Some("")`: 通用 ones.
    pub industry: Option<String>,
    pub owner: Option<Owner>,
    pub active: Option<bool>,
    /// Only the platform's and this agency's (set by the service for an agency).
    pub visible_to: Option<OrgId>,
}

impl ChecklistFilter {
    /// The query for an actor of `org` (`None`: the platform, which keeps the library).
    pub fn query(&self, org: Option<OrgId>) -> CoreResult<ChecklistQuery> {
        let mut e = FieldErrors::new();
        let owner = match self.owner.as_str() {
            "" => None,
            "platform" => Some(Owner::Platform),
            "mine" => match org {
                Some(org) => Some(Owner::Agency(org)),
                None => Some(Owner::Platform),
            },
            _ => {
                e.add("owner", "请选择列表中的来源");
                None
            }
        };
        let active = match self.status.as_str() {
            "" => None,
            "active" => Some(true),
            "inactive" => Some(false),
            _ => {
                e.add("status", "请选择列表中的状态");
                None
            }
        };
        let industry = match self.industry.trim() {
            "" => None,
            "general" => Some(String::new()),
            code if code.len() <= 20 && code.chars().all(|c| c.is_ascii_digit()) => {
                Some(code.to_string())
            }
            _ => {
                e.add("industry", "请选择列表中的适用行业");
                None
            }
        };
        let q = e.take("q", field::optional_text(&self.q, "关键字", 50));
        e.into_result(ChecklistQuery {
            q: q.flatten(),
            industry,
            owner,
            active,
            visible_to: org,
        })
    }
}

/// The columns of the checklist workbook (导入 and 导出 alike), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Section,
    Content,
    Basis,
    Level,
    Category,
}

impl Column {
    pub const ALL: [Column; 5] = [
        Column::Section,
        Column::Content,
        Column::Basis,
        Column::Level,
        Column::Category,
    ];

    pub fn header(self) -> &'static str {
        match self {
            Column::Section => "分组",
            Column::Content => "检查内容",
            Column::Basis => "检查依据",
            Column::Level => "隐患等级",
            Column::Category => "隐患类别",
        }
    }

    pub fn sample(self) -> &'static str {
        match self {
            Column::Section => "用电安全",
            Column::Content => {
                "配电箱、开关箱是否做到“一机、一闸、一漏、一箱”,漏电保护器动作是否灵敏"
            }
            Column::Basis => "JGJ 46-2005《施工现场临时用电安全技术规范》8.2.10",
            Column::Level => "一般隐患",
            Column::Category => "用电安全",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Column::Section => "必填,不超过 50 字;同一分组的检查项排在一起",
            Column::Content => "必填,不超过 500 字",
            Column::Basis => "必填,不超过 500 字:法规、标准名称及条款",
            Column::Level => "一般隐患 或 重大隐患;不填为一般隐患",
            Column::Category => "按“填写说明”列出的类别填写;不填为其他",
        }
    }

    fn of_header(header: &str) -> Option<Column> {
        let h: String = header.chars().filter(|c| !c.is_whitespace()).collect();
        Column::ALL.into_iter().find(|c| c.header() == h)
    }
}

/// One item as imported.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemInput {
    pub section: String,
    pub content: String,
    pub basis: String,
    pub level: HazardLevel,
    pub category: String,
}

impl ItemInput {
    pub fn of(item: &ChecklistItem) -> Self {
        Self {
            section: item.section.clone(),
            content: item.content.clone(),
            basis: item.basis.clone(),
            level: item.level,
            category: item.category.clone(),
        }
    }
}

/// A level as written in a sheet: the label, its short form or the code.
fn parse_level(raw: &str) -> Result<HazardLevel, String> {
    match raw.trim() {
        "" | "一般" | "一般隐患" | "general" => Ok(HazardLevel::General),
        "重大" | "重大隐患" | "major" => Ok(HazardLevel::Major),
        other => Err(format!("“{other}”不是隐患等级,请填写一般隐患或重大隐患")),
    }
}

/// A category as written in a sheet: its label or code.
fn parse_category(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok("other".into());
    }
    CATEGORIES
        .iter()
        .find(|(code, label)| *code == raw || *label == raw)
        .map(|(code, _)| (*code).to_string())
        .ok_or_else(|| format!("“{raw}”不是隐患类别,请按“填写说明”中的类别填写"))
}

/// The rows of a workbook (the header first) as items, or every mistake with its row. Blank
/// rows are skipped; the same 检查内容 twice in one section is a mistake.
pub fn parse_items(rows: &[Vec<String>]) -> Result<Vec<ItemInput>, Vec<RowError>> {
    let Some(header) = rows.first() else {
        return Err(vec![RowError::file(
            "文件是空的:第一行应为列名(分组、检查内容、检查依据、隐患等级、隐患类别)",
        )]);
    };
    let mut at: HashMap<Column, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        if let Some(c) = Column::of_header(h) {
            at.entry(c).or_insert(i);
        }
    }
    let missing: Vec<&str> = [Column::Section, Column::Content, Column::Basis]
        .into_iter()
        .filter(|c| !at.contains_key(c))
        .map(Column::header)
        .collect();
    if !missing.is_empty() {
        return Err(vec![RowError::file(format!(
            "第一行缺少列:{};请使用下载的模板",
            missing.join("、")
        ))]);
    }
    let cell = |row: &[String], c: Column| -> String {
        at.get(&c)
            .and_then(|i| row.get(*i))
            .cloned()
            .unwrap_or_default()
    };
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for (i, row) in rows.iter().enumerate().skip(1) {
        let n = i + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let level = parse_level(&cell(row, Column::Level));
        let mut take = |c: Column, r: Result<String, String>| match r {
            Ok(v) => Some(v),
            Err(m) => {
                errors.push(RowError::cell(n, c.header(), m));
                None
            }
        };
        let section = take(
            Column::Section,
            field::text(&cell(row, Column::Section), "分组", SECTION_MAX, true),
        );
        let content = take(
            Column::Content,
            field::text(&cell(row, Column::Content), "检查内容", CONTENT_MAX, true),
        );
        let basis = take(
            Column::Basis,
            field::text(&cell(row, Column::Basis), "检查依据", BASIS_MAX, true),
        );
        let category = take(
            Column::Category,
            parse_category(&cell(row, Column::Category)),
        );
        let level = take(Column::Level, level.map(|l| l.code().to_string()))
            .and_then(|code| HazardLevel::from_code(&code));
        if let (Some(section), Some(content)) = (&section, &content)
            && !seen.insert((section.clone(), content.clone()))
        {
            errors.push(RowError::cell(
                n,
                Column::Content.header(),
                "与前面的行重复:同一分组中检查内容不能相同",
            ));
            continue;
        }
        if let (Some(section), Some(content), Some(basis), Some(level), Some(category)) =
            (section, content, basis, level, category)
        {
            items.push(ItemInput {
                section,
                content,
                basis,
                level,
                category,
            });
        }
    }
    if errors.is_empty() && items.is_empty() {
        errors.push(RowError::file(
            "文件中没有检查项:从第二行起每行填写一个检查项",
        ));
    }
    if errors.is_empty() && items.len() > MAX_ITEMS {
        errors.push(RowError::file(format!(
            "一张检查表最多 {MAX_ITEMS} 个检查项,文件中有 {} 个;请拆分为多张检查表",
            items.len()
        )));
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

/// 检查结果 of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Outcome {
    /// 符合
    Pass,
    /// 不符合: becomes a hazard
    Fail,
    /// 不涉及
    NotApplicable,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Pass, Outcome::Fail, Outcome::NotApplicable];

    pub fn code(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotApplicable => "na",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "符合",
            Outcome::Fail => "不符合",
            Outcome::NotApplicable => "不涉及",
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Outcome::Pass => "tag-success",
            Outcome::Fail => "tag-danger",
            Outcome::NotApplicable => "",
        }
    }
}

/// One item of a checklist as an inspection uses it: a copy of the item, and its result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub id: CheckId,
    pub record_id: RecordId,
    pub checklist_id: ChecklistId,
    /// The checklist's name when it was taken.
    pub checklist_name: String,
    pub section: String,
    pub content: String,
    pub basis: String,
    pub level: HazardLevel,
    pub category: String,
    /// `None`: not marked yet (未检查).
    pub outcome: Option<Outcome>,
    /// 说明
    pub note: String,
    /// The hazard registered for this 不符合 item.
    pub hazard_id: Option<HazardId>,
}

impl Check {
    pub fn category_label(&self) -> &str {
        category_label(&self.category)
    }

    /// A 不符合 item still waiting for its hazard.
    pub fn needs_hazard(&self) -> bool {
        self.outcome == Some(Outcome::Fail) && self.hazard_id.is_none()
    }

    /// The form field of its result and of its note.
    pub fn outcome_field(&self) -> String {
        format!("o{}", self.id)
    }

    pub fn note_field(&self) -> String {
        format!("n{}", self.id)
    }
}

/// The item counts an inspection shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CheckCounts {
    pub total: u64,
    pub pass: u64,
    pub fail: u64,
    pub not_applicable: u64,
    /// 不符合 items with their hazard registered.
    pub registered: u64,
}

impl CheckCounts {
    pub fn of(checks: &[Check]) -> Self {
        let mut c = CheckCounts {
            total: checks.len() as u64,
            ..Self::default()
        };
        for check in checks {
            match check.outcome {
                Some(Outcome::Pass) => c.pass += 1,
                Some(Outcome::Fail) => {
                    c.fail += 1;
                    if check.hazard_id.is_some() {
                        c.registered += 1;
                    }
                }
                Some(Outcome::NotApplicable) => c.not_applicable += 1,
                None => {}
            }
        }
        c
    }

    /// 未检查
    pub fn unmarked(&self) -> u64 {
        self.total - self.pass - self.fail - self.not_applicable
    }
}

/// A change of one check's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub check: CheckId,
    pub outcome: Option<Outcome>,
    pub note: String,
}

/// The marks of a submitted 检查 form (`o{id}` = pass / fail / na, `n{id}` = 说明) that change
/// something among `checks`, the inspection's. A field naming a check that is not the
/// inspection's means the form is stale (a checklist was removed since): nothing is saved.
pub fn parse_marks(pairs: &[(String, String)], checks: &[Check]) -> CoreResult<Vec<Mark>> {
    let by_id: HashMap<i64, &Check> = checks.iter().map(|c| (c.id.0, c)).collect();
    let mut outcomes: HashMap<i64, Option<Outcome>> = HashMap::new();
    let mut notes: HashMap<i64, String> = HashMap::new();
    let mut e = FieldErrors::new();
    for (key, value) in pairs {
        let (kind, id) = match key.split_at_checked(1) {
            Some((k @ ("o" | "n"), rest)) => match rest.parse::<i64>() {
                Ok(id) => (k, id),
                Err(_) => continue,
            },
            _ => continue,
        };
        let Some(check) = by_id.get(&id) else {
            return Err(CoreError::Conflict(
                "本次排查使用的检查表已变更,请刷新页面后重新填写".into(),
            ));
        };
        if kind == "o" {
            let outcome = match value.trim() {
                "" => None,
                code => match Outcome::from_code(code) {
                    Some(o) => Some(o),
                    None => {
                        e.add(
                            "marks",
                            format!("“{}”的检查结果无效", short(&check.content)),
                        );
                        continue;
                    }
                },
            };
            outcomes.insert(id, outcome);
        } else {
            match field::text(value, "说明", NOTE_MAX, false) {
                Ok(note) => {
                    notes.insert(id, note);
                }
                Err(m) => e.add("marks", format!("“{}”:{m}", short(&check.content))),
            }
        }
    }
    let mut marks = Vec::new();
    for check in checks {
        let outcome = outcomes.get(&check.id.0).copied().unwrap_or(check.outcome);
        let note = notes
            .get(&check.id.0)
            .cloned()
            .unwrap_or_else(|| check.note.clone());
        if outcome == check.outcome && note == check.note {
            continue;
        }
        if check.hazard_id.is_some() && outcome != Some(Outcome::Fail) {
            e.add(
                "marks",
                format!(
                    "“{}”已登记隐患,不能改为{}",
                    short(&check.content),
                    outcome.map_or("未检查", Outcome::label)
                ),
            );
            continue;
        }
        marks.push(Mark {
            check: check.id,
            outcome,
            note,
        });
    }
    e.into_result(marks)
}

/// The start of an item's content, to name it in a message.
fn short(content: &str) -> String {
    let mut s: String = content.chars().take(20).collect();
    if content.chars().count() > 20 {
        s.push('…');
    }
    s
}

/// 不符合项统计: the filter as submitted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FailFilter {
    /// A first-level industry code of the inspected enterprises.
    pub industry: String,
    pub checklist: String,
    /// 排查日期 range
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailQuery {
    /// Only this agency's inspections (`None`: the platform sees all).
    pub agency: Option<OrgId>,
    pub sector: Option<String>,
    pub checklist: Option<ChecklistId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl FailFilter {
    pub fn query(&self, agency: Option<OrgId>) -> CoreResult<FailQuery> {
        let mut e = FieldErrors::new();
        let sector = match self.industry.trim() {
            "" => None,
            code if code.len() <= 20 && code.chars().all(|c| c.is_ascii_digit()) => {
                Some(code.to_string())
            }
            _ => {
                e.add("industry", "请选择列表中的行业");
                None
            }
        };
        let checklist = match self.checklist.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(id) if id > 0 => Some(ChecklistId(id)),
                _ => {
                    e.add("checklist", "请选择列表中的检查表");
                    None
                }
            },
        };
        let from = e.optional_date("from", &self.from);
        let to = e.optional_date("to", &self.to);
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            e.add("to", "结束日期不能早于开始日期");
        }
        e.into_result(FailQuery {
            agency,
            sector,
            checklist,
            from,
            to,
        })
    }
}

/// One row of the 不符合项统计: an item of a checklist in one sector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailRow {
    /// First-level industry of the inspected enterprises; empty when unknown.
    pub sector: String,
    pub sector_name: String,
    pub checklist_name: String,
    pub section: String,
    pub content: String,
    pub basis: String,
    /// Marked 符合 or 不符合.
    pub checked: u64,
    pub failed: u64,
}

impl FailRow {
    /// 不符合率 in percent, one decimal.
    pub fn rate(&self) -> String {
        if self.checked == 0 {
            return "—".into();
        }
        format!("{:.1}%", self.failed as f64 * 100.0 / self.checked as f64)
    }
}

/// How many rows the statistics show: the items that fail most.
pub const FAIL_ROWS: u64 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(lines: &[&[&str]]) -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| l.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    const HEADER: &[&str] = &["分组", "检查内容", "检查依据", "隐患等级", "隐患类别"];

    #[test]
    fn items_are_read_with_defaults_for_level_and_category() {
        let items = parse_items(&rows(&[
            HEADER,
            &["用电安全", "配电箱是否上锁", "JGJ 46 8.2.10", "", ""],
            &["", "", "", "", ""],
            &[
                "消防安全",
                "疏散通道是否畅通",
                "GB 50016",
                "重大",
                "消防安全",
            ],
        ]))
        .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].level, HazardLevel::General);
        assert_eq!(items[0].category, "other");
        assert_eq!(items[1].level, HazardLevel::Major);
        assert_eq!(items[1].category, "fire");
    }

    #[test]
    fn every_bad_row_is_reported_with_its_row_and_column() {
        let errors = parse_items(&rows(&[
            HEADER,
            &["用电安全", "", "JGJ 46", "一般隐患", "用电安全"],
            &["用电安全", "配电箱", "JGJ 46", "严重", "水电"],
            &["用电安全", "配电箱", "JGJ 46", "", ""],
        ]))
        .unwrap_err();
        let at: Vec<(Option<usize>, &str)> =
            errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            at,
            vec![
                (Some(2), "检查内容"),
                (Some(3), "隐患类别"),
                (Some(3), "隐患等级"),
                (Some(4), "检查内容"),
            ]
        );
    }

    #[test]
    fn a_sheet_without_the_columns_or_items_is_refused_whole() {
        let e = parse_items(&rows(&[&["名称", "内容"]])).unwrap_err();
        assert!(e[0].message.contains("分组"), "{e:?}");
        let e = parse_items(&rows(&[HEADER])).unwrap_err();
        assert!(e[0].message.contains("没有检查项"));
        assert!(parse_items(&[]).is_err());
    }

    fn check(id: i64, outcome: Option<Outcome>, hazard: Option<i64>) -> Check {
        Check {
            id: CheckId(id),
            record_id: RecordId(1),
            checklist_id: ChecklistId(1),
            checklist_name: "通用".into(),
            section: "用电安全".into(),
            content: format!("检查项 {id}"),
            basis: "GB".into(),
            level: HazardLevel::General,
            category: "electric".into(),
            outcome,
            note: String::new(),
            hazard_id: hazard.map(HazardId),
        }
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn marks_keep_only_what_changed() {
        let checks = [check(1, None, None), check(2, Some(Outcome::Pass), None)];
        let marks = parse_marks(
            &pairs(&[
                ("o1", "fail"),
                ("n1", " 未上锁 "),
                ("o2", "pass"),
                ("_csrf", "x"),
            ]),
            &checks,
        )
        .unwrap();
        assert_eq!(
            marks,
            vec![Mark {
                check: CheckId(1),
                outcome: Some(Outcome::Fail),
                note: "未上锁".into()
            }]
        );
    }

    #[test]
    fn a_stale_form_or_a_bad_value_saves_nothing() {
        let checks = [check(1, None, None)];
        assert!(matches!(
            parse_marks(&pairs(&[("o9", "pass")]), &checks),
            Err(CoreError::Conflict(_))
        ));
        assert!(matches!(
            parse_marks(&pairs(&[("o1", "maybe")]), &checks),
            Err(CoreError::Validation(_))
        ));
        let long = "长".repeat(NOTE_MAX + 1);
        assert!(matches!(
            parse_marks(&pairs(&[("n1", &long)]), &checks),
            Err(CoreError::Validation(_))
        ));
    }

    #[test]
    fn a_failed_item_with_its_hazard_stays_failed() {
        let checks = [check(1, Some(Outcome::Fail), Some(5))];
        assert!(parse_marks(&pairs(&[("o1", "pass")]), &checks).is_err());
        assert!(parse_marks(&pairs(&[("o1", "fail"), ("n1", "补充说明")]), &checks).is_ok());
    }

    #[test]
    fn counts_split_by_outcome() {
        let checks = [
            check(1, None, None),
            check(2, Some(Outcome::Pass), None),
            check(3, Some(Outcome::Fail), Some(1)),
            check(4, Some(Outcome::Fail), None),
            check(5, Some(Outcome::NotApplicable), None),
        ];
        let c = CheckCounts::of(&checks);
        assert_eq!((c.total, c.pass, c.fail, c.not_applicable), (5, 1, 2, 1));
        assert_eq!((c.registered, c.unmarked()), (1, 1));
        assert!(checks[3].needs_hazard() && !checks[2].needs_hazard());
    }

    #[test]
    fn filters_refuse_what_is_not_offered() {
        let f = ChecklistFilter {
            owner: "mine".into(),
            industry: "general".into(),
            ..Default::default()
        };
        let q = f.query(Some(OrgId(7))).unwrap();
        assert_eq!(q.owner, Some(Owner::Agency(OrgId(7))));
        assert_eq!(q.industry, Some(String::new()));
        let bad = ChecklistFilter {
            industry: "02' or 1=1".into(),
            ..Default::default()
        };
        assert!(bad.query(None).is_err());
        let dates = FailFilter {
            from: "2026-05-01".into(),
            to: "2026-04-01".into(),
            ..Default::default()
        };
        assert!(dates.query(None).is_err());
    }
}
