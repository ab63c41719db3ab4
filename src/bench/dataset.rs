//! The generated data set: organizations and their admin accounts through the real services
//! (so login works as in production), then enterprises, policies, service orders with their
//! plans, service records with their staff, and hazards with their steps, bulk-loaded.
//!
//! Distributions: orders per agency and per insurer are skewed (a few large ones, a long tail),
//! designation dates spread evenly over three years, older orders mostly completed, records
//! spread over each order's service period, hazards 80% closed, the open ones partly overdue.

use anyhow::Context;
use anze_core::attachment::{OwnerKind, PerceptualHash};
use anze_core::auth::session::actor_for;
use anze_core::checklist::{ChecklistQuery, ChecklistStore, Owner};
use anze_core::field::CreditCode;
use anze_core::hazard::{BEFORE_PHOTOS, hazard_number};
use anze_core::ids::{HazardId, OrderId};
use anze_core::industry::IndustryStore;
use anze_core::order::service::number_for;
use anze_core::org::{self, OrgForm};
use anze_core::page::PageRequest;
use anze_core::record::Confirmation;
use anze_core::record::Input;
use anze_core::record::{PHOTOS, owner_kind};
use anze_core::service_item::ServiceItem;
use anze_store::Db;
use anze_store::bulk::{BulkLoader, Value};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Password of every account the benchmark creates.
pub const BENCH_PASSWORD: &str = "Bench2026";

/// How much data: the three large tables; everything else follows from the orders.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Scale {
    pub orders: u64,
    pub records: u64,
    pub hazards: u64,
}

impl Scale {
    pub fn named(name: &str) -> Option<Scale> {
        let (orders, records, hazards) = match name {
            "tiny" => (200, 1_000, 400),
            "small" => (2_000, 10_000, 4_000),
            "medium" => (100_000, 500_000, 200_000),
            "province" => (1_000_000, 5_000_000, 2_000_000),
            _ => return None,
        };
        Some(Scale {
            orders,
            records,
            hazards,
        })
    }
}

/// What the load phase needs to know about the generated data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dataset {
    pub scale: Scale,
    pub seed: u64,
    /// The day the data was generated for ("today" of the data); dates are relative to it.
    pub today: NaiveDate,
    pub generated_in_secs: f64,
    pub rows: Vec<(String, u64)>,
    /// Admin of the insurer with the most orders.
    pub insurer_user: String,
    /// Admin of the agency with the most orders.
    pub agency_user: String,
    pub agency_admin_id: i64,
    /// City-level regulator: every district.
    pub regulator_user: String,
    /// 管理员 of the enterprise with the most records of the measured agency; empty in data
    /// sets generated before enterprises had accounts.
    #[serde(default)]
    pub enterprise_user: String,
    /// Accepted orders of that agency whose service period includes `today`: order detail
    /// pages and new records use them.
    pub agency_live_orders: Vec<i64>,
    pub agency_accepted: u64,
    pub agency_records_per_item: Vec<(String, u64)>,
    pub insurer_completed: u64,
    pub all_completed: u64,
    /// Hazards open with their deadline passed on `today`.
    pub overdue_all: u64,
    pub overdue_agency: u64,
    /// Inspections of the measured agency marked against the 通用 checklist (its 检查表 page);
    /// empty in data sets generated before inspections took checklists.
    #[serde(default)]
    pub agency_checked_inspections: Vec<i64>,
    /// `from` filter of the insurer's order export so that it holds at least `export_rows`.
    pub export_from: NaiveDate,
    pub export_rows: u64,
}

const INSURERS: &[&str] = &[
    "中国人民财产保险股份有限公司泉州市分公司",
    "中国平安财产保险股份有限公司泉州中心支公司",
    "中国太平洋财产保险股份有限公司泉州中心支公司",
    "中国人寿财产保险股份有限公司泉州市中心支公司",
    "中国大地财产保险股份有限公司泉州中心支公司",
    "中华联合财产保险股份有限公司泉州中心支公司",
];
/// Share of orders per insurer.
const INSURER_WEIGHTS: &[f64] = &[0.34, 0.24, 0.16, 0.11, 0.09, 0.06];

/// (district code, short name, share of enterprises)
const DISTRICTS: &[(&str, &str, f64)] = &[
    ("350502", "鲤城", 0.06),
    ("350503", "丰泽", 0.07),
    ("350504", "洛江", 0.04),
    ("350505", "泉港", 0.05),
    ("350521", "惠安", 0.09),
    ("350524", "安溪", 0.08),
    ("350525", "永春", 0.04),
    ("350526", "德化", 0.05),
    ("350581", "石狮", 0.10),
    ("350582", "晋江", 0.22),
    ("350583", "南安", 0.14),
    ("350591", "台商区", 0.03),
    ("350592", "经开区", 0.03),
];

/// (name suffix, industry leaf code)
const TRADES: &[(&str, &str)] = &[
    ("石化有限公司", "0201"),
    ("化工贸易有限公司", "0202"),
    ("鞋业有限公司", "0903"),
    ("纺织服装有限公司", "0902"),
    ("建筑工程有限公司", "0501"),
    ("石材有限公司", "0906"),
    ("陶瓷有限公司", "0905"),
    ("物流有限公司", "1002"),
    ("机械制造有限公司", "0901"),
    ("烟花爆竹批发有限公司", "0302"),
    ("食品有限公司", "0904"),
    ("港口装卸有限公司", "0403"),
];
const NAME_WORDS: &[&str] = &[
    "恒安", "永盛", "鸿达", "华兴", "金泰", "宏远", "闽南", "海丝", "刺桐", "清源", "东海", "源和",
    "长盛", "嘉禾", "富达", "瑞丰",
];

/// What a record's summary says it looked at: "{n}号{object}", n in 1..=60, so that one such
/// phrase is in about one record in 1,200, as a real inspection's equipment or place is, and
/// the keyword search is measured on a term that selects, not one every record holds.
const SITE_OBJECTS: &[&str] = &[
    "反应釜",
    "储罐",
    "配电柜",
    "叉车",
    "行车",
    "空压机",
    "锅炉",
    "气瓶",
    "冲压机",
    "砂轮机",
    "消防泵",
    "喷淋系统",
    "应急照明",
    "疏散通道",
    "危化品仓库",
    "有限空间",
    "吊装区",
    "动火点",
    "脚手架",
    "升降机",
];

/// Records per item, in `ServiceItem::ALL` order (training, risk, hazard, ...).
const ITEM_WEIGHTS: &[f64] = &[0.30, 0.12, 0.25, 0.10, 0.10, 0.06, 0.07];
/// Planned count per item on every order.
const PLAN: &[i32] = &[2, 1, 4, 1, 1, 1, 1];
const HAZARD_DESCRIPTIONS: &[(&str, &str, &str)] = &[
    ("配电箱未可靠接地,箱门缺失", "electric", "配电房"),
    ("消防通道堆放杂物", "fire", "仓库"),
    ("砂轮机防护罩缺失", "equipment", "机加工车间"),
    ("安全警示标志缺失", "site", "生产车间"),
    (
        "液氨储罐区未设置可燃有毒气体报警装置",
        "chemicals",
        "储罐区",
    ),
    ("叉车司机无证上岗", "special_equipment", "装卸区"),
    ("安全管理制度未及时修订", "management", "办公室"),
    ("粉尘作业场所未配备防尘口罩", "occupational", "打磨车间"),
];
const YEARS_OF_DATA: i64 = 3;

fn pick(rng: &mut StdRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Zipf-like shares: the first agency is the largest, the tail is long.
fn zipf(n: usize, s: f64) -> Vec<f64> {
    (1..=n).map(|k| 1.0 / (k as f64).powf(s)).collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Accepted,
    Completed,
    Declined,
    Cancelled,
}

impl State {
    fn code(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Accepted => "accepted",
            State::Completed => "completed",
            State::Declined => "declined",
            State::Cancelled => "cancelled",
        }
    }

    fn takes_records(self) -> bool {
        matches!(self, State::Accepted | State::Completed)
    }

    /// Older orders are mostly completed; recent ones mostly in service or waiting.
    fn draw(rng: &mut StdRng, age_days: i64) -> State {
        let weights: [f64; 5] = if age_days < 30 {
            [0.40, 0.50, 0.0, 0.05, 0.05]
        } else if age_days < 365 {
            [0.02, 0.80, 0.10, 0.04, 0.04]
        } else {
            [0.0, 0.02, 0.88, 0.05, 0.05]
        };
        [
            State::Pending,
            State::Accepted,
            State::Completed,
            State::Declined,
            State::Cancelled,
        ][pick(rng, &weights)]
    }
}

struct OrderSeed {
    day: i32,
    insurer: u8,
    agency: u8,
    enterprise: u32,
    state: State,
}

struct Enterprise {
    id: i64,
    region: &'static str,
    district: &'static str,
    industry: &'static str,
}

struct Party {
    org_id: i64,
    admin_id: i64,
    username: String,
}

fn credit_code(prefix: &str, n: u64) -> anyhow::Result<String> {
    CreditCode::with_check_digit(&format!("{prefix}{n:07}"))
        .map(|c| c.to_string())
        .with_context(|| format!("credit code for {prefix}{n}"))
}

/// Creates an organization with its admin through the core service, as the platform admin.
/// Opens the enterprise's account the way an insurer or the platform would (开通账号).
async fn enterprise_account(
    url: &str,
    enterprise: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    use anze_core::account::AccountStore;
    use anze_core::enterprise::{self, EnterpriseAccountForm};
    let username = "bench_enterprise";
    let db = Db::connect(url, 1).await?;
    let admin = db
        .find_account_by_username("admin")
        .await?
        .context("the platform admin is missing: bootstrap first")?;
    let actor = actor_for(&db, admin.id, "bench")
        .await?
        .context("the platform admin cannot act")?;
    let form = EnterpriseAccountForm {
        username: username.into(),
        name: "企业安全主任(基准)".into(),
        phone: String::new(),
        password: BENCH_PASSWORD.into(),
    };
    enterprise::service::open_account(&db, &actor, anze_core::ids::OrgId(enterprise), &form, now)
        .await
        .map_err(|e| anyhow::anyhow!("bench enterprise account: {e:?}"))?;
    db.close().await;
    Ok(username.into())
}

async fn create_org(
    db: &Db,
    kind: &str,
    name: &str,
    code: String,
    region: &str,
    username: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Party> {
    use anze_core::account::AccountStore;
    let admin = db
        .find_account_by_username("admin")
        .await?
        .context("the platform admin is missing: bootstrap first")?;
    let actor = actor_for(db, admin.id, "bench")
        .await?
        .context("the platform admin cannot act")?;
    let form = OrgForm {
        kind: kind.into(),
        name: name.into(),
        credit_code: code,
        region_code: region.into(),
        address: "泉州市丰泽区基准测试路 1 号".into(),
        contact_name: "基准联系人".into(),
        contact_phone: "13905950000".into(),
        admin_username: username.into(),
        admin_name: format!("{}管理员", name.chars().take(10).collect::<String>()),
        admin_password: BENCH_PASSWORD.into(),
    };
    let org_id = org::service::create(db, &actor, &form, now)
        .await
        .map_err(|e| anyhow::anyhow!("bench organization {name}: {e:?}"))?;
    let account = db
        .find_account_by_username(username)
        .await?
        .with_context(|| format!("admin {username} was not created"))?;
    Ok(Party {
        org_id: org_id.0,
        admin_id: account.id.0,
        username: username.into(),
    })
}

fn details_json(item: ServiceItem) -> anyhow::Result<String> {
    let spec = anze_core::record::spec_of(item).context("record spec")?;
    let mut d = anze_core::record::Details::new();
    for f in spec.fields {
        let v = match f.input {
            Input::Text { .. } | Input::Textarea { .. } => format!("{}(基准数据)", f.label),
            Input::Count { min, max } => 30.clamp(min, max).to_string(),
            Input::Hours { .. } => "2".into(),
            Input::Select(c) | Input::Checks(c) => c.first().map(|c| c.0).unwrap_or("").into(),
        };
        d.insert(f.name.to_string(), v);
    }
    Ok(serde_json::to_string(&d)?)
}

fn at(day: NaiveDate, secs: i64) -> DateTime<Utc> {
    // 02:00–10:00 UTC is 10:00–18:00 in China, so the UTC date is the Chinese date.
    DateTime::<Utc>::from_naive_utc_and_offset(
        day.and_hms_opt(2, 0, 0).expect("valid time") + Duration::seconds(secs % 28_800),
        Utc,
    )
}

fn text(s: impl Into<String>) -> Value {
    Value::from(s.into())
}

const ORG_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "name",
    "credit_code",
    "region_code",
    "address",
    "contact_name",
    "contact_phone",
    "enabled",
    "created_at",
    "updated_at",
    "industry_code",
    "employee_count",
];
const POLICY_COLUMNS: &[&str] = &[
    "id",
    "insurer_id",
    "enterprise_id",
    "region_code",
    "policy_no",
    "start_date",
    "end_date",
    "premium",
    "total_limit",
    "per_person_limit",
    "insured_count",
    "prevention_ratio",
    "created_at",
    "updated_at",
];
const RATING_COLUMNS: &[&str] = &[
    "id",
    "order_id",
    "agency_id",
    "insurer_id",
    "enterprise_id",
    "region_code",
    "source",
    "overall",
    "comment",
    "callee",
    "called_at",
    "caller_name",
    "created_by",
    "created_by_name",
    "created_at",
    "enterprise_once",
];
const SCORE_COLUMNS: &[&str] = &["id", "rating_id", "item", "score"];
const COMPLAINT_COLUMNS: &[&str] = &[
    "id",
    "complaint_no",
    "order_id",
    "insurer_id",
    "agency_id",
    "enterprise_id",
    "region_code",
    "category",
    "description",
    "complainant",
    "filer",
    "state",
    "filed_at",
    "filed_on",
    "accepted_at",
    "settled_at",
    "outcome",
    "created_by",
    "created_at",
    "updated_at",
];
const COMPLAINT_CATEGORIES: [&str; 6] = [
    "quality",
    "attitude",
    "false_record",
    "late",
    "fees",
    "other",
];
const ORDER_COLUMNS: &[&str] = &[
    "id",
    "order_no",
    "policy_id",
    "insurer_id",
    "agency_id",
    "enterprise_id",
    "region_code",
    "state",
    "service_start",
    "service_end",
    "note",
    "decline_reason",
    "designated_at",
    "designated_by",
    "accepted_at",
    "completed_at",
    "updated_at",
];
const PLAN_COLUMNS: &[&str] = &["order_id", "item", "planned"];
const RECORD_COLUMNS: &[&str] = &[
    "id",
    "item",
    "order_id",
    "agency_id",
    "insurer_id",
    "enterprise_id",
    "region_code",
    "service_date",
    "location",
    "enterprise_contact",
    "summary",
    "details",
    "created_by",
    "created_at",
    "updated_at",
    "confirmation",
    "confirmed_by_name",
    "confirmed_at",
    "objection",
];
const STAFF_COLUMNS: &[&str] = &["record_id", "account_id"];
const HAZARD_COLUMNS: &[&str] = &[
    "id",
    "hazard_no",
    "inspection_id",
    "order_id",
    "agency_id",
    "insurer_id",
    "enterprise_id",
    "region_code",
    "found_on",
    "description",
    "location",
    "category",
    "level",
    "basis",
    "suggestion",
    "deadline",
    "responsible",
    "state",
    "round",
    "closed_at",
    "created_by",
    "created_at",
    "updated_at",
];
const CHECK_COLUMNS: &[&str] = &[
    "id",
    "record_id",
    "checklist_id",
    "checklist_name",
    "sector",
    "position",
    "section",
    "content",
    "basis",
    "level",
    "category",
    "outcome",
    "note",
    "hazard_id",
    "updated_at",
];
/// Share of inspections marked against the 通用 checklist (each copies its 75 items).
const CHECKED_SHARE: f64 = 0.03;

const STEP_COLUMNS: &[&str] = &[
    "id",
    "hazard_id",
    "round",
    "kind",
    "on_date",
    "note",
    "passed",
    "reviewer_id",
    "created_by",
    "created_at",
];

const ATTACHMENT_COLUMNS: &[&str] = &[
    "id",
    "order_id",
    "owner_kind",
    "owner_id",
    "field",
    "storage_key",
    "thumb_key",
    "original_name",
    "size",
    "sha256",
    "kind",
    "captured_at",
    "gps_lat",
    "gps_lng",
    "uploaded_by",
    "uploaded_at",
    "phash",
    "phash_alg",
    "phash_b0",
    "phash_b1",
    "phash_b2",
    "phash_b3",
];

/// The metadata of one on-site photo, its fingerprint included. No bytes are stored: the pages
/// and ledgers measured read the metadata, and a download of a generated photo answers 404.
fn photo_row(
    id: i64,
    order: i64,
    owner: (&str, i64),
    field: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Vec<Value> {
    let hash = bench_phash(id);
    let bands = hash.bands();
    vec![
        Value::from(id),
        Value::from(order),
        text(owner.0),
        Value::from(owner.1),
        text(field),
        text(format!("bench/{id:012}.jpg")),
        Value::from(None::<String>),
        text(format!("IMG_{id:08}.jpg")),
        Value::from(180_000 + (id % 9) * 40_000),
        text(format!("{id:064x}")),
        text("jpeg"),
        Value::from(Some(at)),
        Value::from(Some(24.87 + (id % 100) as f64 / 1_000.0)),
        Value::from(Some(118.67 + (id % 100) as f64 / 1_000.0)),
        Value::from(by),
        Value::from(at),
        Value::from(hash.stored_bits()),
        text(hash.alg),
        Value::from(bands[0]),
        Value::from(bands[1]),
        Value::from(bands[2]),
        Value::from(bands[3]),
    ]
}

/// A fingerprint for photo `id`, spread like unrelated photos' (every band value about equally
/// common), so an upload's band lookups find what they would at this scale: a province's
/// photos sharing each band value with ~N/65,536 others.
fn bench_phash(id: i64) -> PerceptualHash {
    // splitmix64
    let mut z = (id as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    PerceptualHash::current(z ^ (z >> 31))
}

/// Generates the data set into `db` (migrated and bootstrapped, no business data yet), which
/// is closed once the accounts exist: the bulk load then has the database at `url` to itself.
pub async fn generate(
    db: Db,
    url: &str,
    scale: Scale,
    seed: u64,
    export_rows: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<Dataset> {
    let started = std::time::Instant::now();
    let today = anze_core::time::today(now);
    let mut rng = StdRng::seed_from_u64(seed);

    // Parties with accounts, through the services.
    let agency_count = (scale.orders / 2_500).clamp(3, 40) as usize;
    let insurer_count = INSURERS.len().min((scale.orders / 100).max(2) as usize);
    let mut insurers = Vec::new();
    for (i, name) in INSURERS.iter().take(insurer_count).enumerate() {
        let code = credit_code("91350500BC", i as u64)?;
        insurers.push(
            create_org(
                &db,
                "insurer",
                &format!("{name}(基准)"),
                code,
                "350503",
                &format!("bench_insurer{}", i + 1),
                now,
            )
            .await?,
        );
    }
    let mut agencies = Vec::new();
    for i in 0..agency_count {
        let (region, district, _) = DISTRICTS[i % DISTRICTS.len()];
        let code = credit_code("91350500BA", i as u64)?;
        agencies.push(
            create_org(
                &db,
                "agency",
                &format!("泉州{district}安全技术服务有限公司(基准{})", i + 1),
                code,
                region,
                &format!("bench_agency{}", i + 1),
                now,
            )
            .await?,
        );
    }
    let regulator = create_org(
        &db,
        "regulator",
        "泉州市应急管理局(基准)",
        credit_code("11350500BR", 0)?,
        "350500",
        "bench_regulator",
        now,
    )
    .await?;
    // The platform's 通用 checklist, which inspections are marked against, and the first-level
    // industry (the statistics' sector) of each industry code.
    let general = db
        .list_checklists(
            &ChecklistQuery {
                industry: Some(String::new()),
                owner: Some(Owner::Platform),
                ..ChecklistQuery::default()
            },
            PageRequest::first(10),
        )
        .await?
        .items
        .into_iter()
        .next()
        .context("the starter library's 通用 checklist is missing")?;
    let general_items = db.checklist_items(general.id).await?;
    let sectors: std::collections::HashMap<String, String> = db
        .list_industries()
        .await?
        .into_iter()
        .map(|i| {
            let sector = i.parent_code.clone().unwrap_or_else(|| i.code.clone());
            (i.code, sector)
        })
        .collect();
    db.close().await;

    let mut load = BulkLoader::open(url).await?;
    load.table("organizations", ORG_COLUMNS);
    load.table("policies", POLICY_COLUMNS);
    load.table("service_orders", ORDER_COLUMNS);
    load.table("order_plan", PLAN_COLUMNS);
    load.table("service_records", RECORD_COLUMNS);
    load.table("record_staff", STAFF_COLUMNS);
    load.table("hazards", HAZARD_COLUMNS);
    load.table("hazard_steps", STEP_COLUMNS);
    load.table("inspection_checks", CHECK_COLUMNS);
    load.table("attachments", ATTACHMENT_COLUMNS);
    load.table("satisfaction_ratings", RATING_COLUMNS);
    load.table("satisfaction_item_scores", SCORE_COLUMNS);
    load.table("complaints", COMPLAINT_COLUMNS);

    // Enterprises.
    let enterprise_count = (scale.orders / 5).clamp(10, 200_000);
    let first_org = load.max_id("organizations").await? + 1;
    let district_weights: Vec<f64> = DISTRICTS.iter().map(|d| d.2).collect();
    let mut enterprises = Vec::with_capacity(enterprise_count as usize);
    let created = now - Duration::days(365 * YEARS_OF_DATA + 30);
    for i in 0..enterprise_count {
        let (region, district, _) = DISTRICTS[pick(&mut rng, &district_weights)];
        let (suffix, industry) = TRADES[rng.random_range(0..TRADES.len())];
        let id = first_org + i as i64;
        let name = format!(
            "泉州{district}{}{suffix}{}",
            NAME_WORDS[rng.random_range(0..NAME_WORDS.len())],
            i + 1
        );
        load.row(
            "organizations",
            [
                Value::from(id),
                text("enterprise"),
                text(name),
                text(credit_code("91350500EP", i)?),
                text(region),
                text(format!("泉州市{district}工业区{}号", 1 + i % 500)),
                text("安全主任"),
                text(format!("139{:08}", 5_950_000 + i)),
                Value::from(true),
                Value::from(created),
                Value::from(created),
                text(industry),
                Value::from(Some(rng.random_range(20..2_000i64))),
            ],
        )
        .await?;
        enterprises.push(Enterprise {
            id,
            region,
            district,
            industry,
        });
    }

    // Orders first as seeds, so that the number of records and hazards per order can be set
    // from how many orders take records.
    let span = 365 * YEARS_OF_DATA;
    let first_day = today - Duration::days(span);
    let agency_weights = zipf(agencies.len(), 0.9);
    let insurer_weights = &INSURER_WEIGHTS[..insurers.len()];
    let seeds: Vec<OrderSeed> = (0..scale.orders)
        .map(|i| {
            let day = (i as i64 * span / scale.orders.max(1) as i64) as i32;
            let age = span - i64::from(day);
            OrderSeed {
                day,
                insurer: pick(&mut rng, insurer_weights) as u8,
                agency: pick(&mut rng, &agency_weights) as u8,
                enterprise: rng.random_range(0..enterprises.len()) as u32,
                state: State::draw(&mut rng, age),
            }
        })
        .collect();
    let taking = seeds
        .iter()
        .filter(|s| s.state.takes_records())
        .count()
        .max(1);
    let records_per_order = scale.records as f64 / taking as f64;
    let inspections = scale.records as f64 * ITEM_WEIGHTS[2] / ITEM_WEIGHTS.iter().sum::<f64>();
    let hazards_per_inspection = scale.hazards as f64 / inspections.max(1.0);
    let details: Vec<String> = ServiceItem::ALL
        .into_iter()
        .map(details_json)
        .collect::<anyhow::Result<_>>()?;

    let mut facts = Facts::default();
    let first_policy = load.max_id("policies").await? + 1;
    let first_order = load.max_id("service_orders").await? + 1;
    let mut record_id = load.max_id("service_records").await?;
    let mut hazard_id = load.max_id("hazards").await?;
    let mut step_id = load.max_id("hazard_steps").await?;
    let mut check_id = load.max_id("inspection_checks").await?;
    let mut attachment_id = load.max_id("attachments").await?;
    let mut rating_id = load.max_id("satisfaction_ratings").await?;
    let mut complaint_id = load.max_id("complaints").await?;
    let mut insurer0_days: Vec<i32> = Vec::new();
    // Records of the measured agency per enterprise: its busiest enterprise gets an account.
    let mut agency_enterprise_records: std::collections::HashMap<i64, u64> =
        std::collections::HashMap::new();
    for (i, s) in seeds.iter().enumerate() {
        let order_id = first_order + i as i64;
        let policy_id = first_policy + i as i64;
        let e = &enterprises[s.enterprise as usize];
        let insurer = &insurers[s.insurer as usize];
        let agency = &agencies[s.agency as usize];
        let designated_day = first_day + Duration::days(i64::from(s.day));
        let designated_at = at(designated_day, rng.random_range(0..28_800));
        let policy_start = designated_day - Duration::days(rng.random_range(0..30));
        let policy_end = policy_start + Duration::days(364);
        let service_start = designated_day + Duration::days(rng.random_range(0..7));
        let service_end = policy_end;
        load.row(
            "policies",
            [
                Value::from(policy_id),
                Value::from(insurer.org_id),
                Value::from(e.id),
                text(e.region),
                text(format!("BP{}{:09}", policy_start.format("%Y"), i + 1)),
                Value::from(policy_start),
                Value::from(policy_end),
                Value::from(rng.random_range(500_000..5_000_000i64)),
                Value::from(500_000_000i64),
                Value::from(50_000_000i64),
                Value::from(rng.random_range(20..800i64)),
                Value::from([1000i32, 1200, 1500, 2000][i % 4]),
                Value::from(designated_at - Duration::days(1)),
                Value::from(designated_at - Duration::days(1)),
            ],
        )
        .await?;
        let accepted_at = s
            .state
            .takes_records()
            .then(|| designated_at + Duration::hours(rng.random_range(2..96)));
        let last_service_day = match s.state {
            State::Completed => service_end.min(today),
            _ => today.min(service_end),
        };
        let completed_at = (s.state == State::Completed).then(|| at(last_service_day, 3_600));
        load.row(
            "service_orders",
            [
                Value::from(order_id),
                Value::from(Some(number_for(designated_at, OrderId(order_id)))),
                Value::from(policy_id),
                Value::from(insurer.org_id),
                Value::from(agency.org_id),
                Value::from(e.id),
                text(e.region),
                text(s.state.code()),
                Value::from(service_start),
                Value::from(service_end),
                text("请按服务方案开展事故预防服务,每季度至少一次隐患排查。"),
                Value::from(
                    (s.state == State::Declined)
                        .then(|| "本月人员已满负荷,无法按期提供服务".to_string()),
                ),
                Value::from(designated_at),
                Value::from(insurer.admin_id),
                Value::from(accepted_at),
                Value::from(completed_at),
                Value::from(completed_at.or(accepted_at).unwrap_or(designated_at)),
            ],
        )
        .await?;
        for (k, item) in ServiceItem::ALL.into_iter().enumerate() {
            let planned = if k >= 5 && rng.random_bool(0.5) {
                0
            } else {
                PLAN[k]
            };
            if planned > 0 {
                load.row(
                    "order_plan",
                    [
                        Value::from(order_id),
                        text(item.code()),
                        Value::from(planned),
                    ],
                )
                .await?;
            }
        }
        facts.order(s, today, service_start, service_end, order_id);
        // Most enterprises rate a completed order; insurers call a tenth of the served ones.
        let rated = (s.state == State::Completed && rng.random_bool(0.6))
            .then_some("enterprise")
            .or((s.state.takes_records() && rng.random_bool(0.1)).then_some("phone"));
        if let Some(source) = rated {
            rating_id += 1;
            let overall: i32 = [5, 5, 5, 4, 4, 4, 3, 2, 1][rng.random_range(0..9)];
            let created_at = completed_at.unwrap_or(designated_at) + Duration::days(3);
            let phone = source == "phone";
            load.row(
                "satisfaction_ratings",
                [
                    Value::from(rating_id),
                    Value::from(order_id),
                    Value::from(agency.org_id),
                    Value::from(insurer.org_id),
                    Value::from(e.id),
                    text(e.region),
                    text(source),
                    Value::from(overall),
                    text(if overall >= 4 {
                        "服务及时,隐患排查细致"
                    } else {
                        "整改建议不够具体"
                    }),
                    Value::from(phone.then(|| "安全主任".to_string())),
                    Value::from(phone.then_some(created_at)),
                    Value::from(phone.then(|| "保险机构回访员".to_string())),
                    Value::from(if phone {
                        insurer.admin_id
                    } else {
                        agency.admin_id
                    }),
                    text("基准评价人"),
                    Value::from(created_at),
                    Value::from((!phone).then_some(order_id)),
                ],
            )
            .await?;
            load.row(
                "satisfaction_item_scores",
                [
                    Value::from(rating_id),
                    Value::from(rating_id),
                    text(ServiceItem::Training.code()),
                    Value::from(overall),
                ],
            )
            .await?;
        }
        // One served order in a hundred draws a complaint; older ones are settled.
        if s.state.takes_records() && rng.random_bool(0.01) {
            complaint_id += 1;
            let filed_at = accepted_at.unwrap_or(designated_at) + Duration::days(20);
            let filed_on = filed_at.date_naive();
            let age = (today - filed_on).num_days();
            let state = match age {
                a if a > 60 => "settled",
                a if a > 20 => ["accepted", "processing", "settled"][rng.random_range(0..3)],
                _ => ["pending", "accepted"][rng.random_range(0..2)],
            };
            let accepted = (state != "pending").then(|| filed_at + Duration::days(2));
            let settled = (state == "settled").then(|| filed_at + Duration::days(15));
            load.row(
                "complaints",
                [
                    Value::from(complaint_id),
                    Value::from(Some(format!("TSB{complaint_id:09}"))),
                    Value::from(order_id),
                    Value::from(insurer.org_id),
                    Value::from(agency.org_id),
                    Value::from(e.id),
                    text(e.region),
                    text(COMPLAINT_CATEGORIES[rng.random_range(0..6)]),
                    text("服务人员未按约定时间到场,隐患整改建议不具体"),
                    text("安全主任"),
                    text("enterprise"),
                    text(state),
                    Value::from(filed_at),
                    Value::from(filed_on),
                    Value::from(accepted),
                    Value::from(settled),
                    Value::from(settled.map(|_| "已约谈服务机构并重新安排现场服务".to_string())),
                    Value::from(insurer.admin_id),
                    Value::from(filed_at),
                    Value::from(settled.or(accepted).unwrap_or(filed_at)),
                ],
            )
            .await?;
        }
        if s.insurer == 0 {
            insurer0_days.push(s.day);
        }
        if !s.state.takes_records() || service_start > last_service_day {
            continue;
        }
        let n = records_per_order.floor() as usize
            + usize::from(rng.random_bool(records_per_order.fract()));
        let window = (last_service_day - service_start).num_days().max(0);
        let mut days: Vec<i64> = (0..n).map(|_| rng.random_range(0..=window)).collect();
        days.sort_unstable();
        for offset in days {
            record_id += 1;
            let k = pick(&mut rng, ITEM_WEIGHTS);
            let item = ServiceItem::ALL[k];
            let date = service_start + Duration::days(offset);
            let created_at = at(date, 30_000 + offset * 7);
            // Enterprises confirm most records within weeks; recent ones still wait.
            let confirmation = {
                let recent = today - date < Duration::days(30);
                let roll: f64 = rng.random();
                match (recent, roll) {
                    (_, r) if r < 0.03 => Confirmation::Objected,
                    (true, r) if r < 0.55 => Confirmation::Pending,
                    (false, r) if r < 0.10 => Confirmation::Pending,
                    _ => Confirmation::Confirmed,
                }
            };
            load.row(
                "service_records",
                [
                    Value::from(record_id),
                    text(item.code()),
                    Value::from(order_id),
                    Value::from(agency.org_id),
                    Value::from(insurer.org_id),
                    Value::from(e.id),
                    text(e.region),
                    Value::from(date),
                    text(format!("{}厂区{}号车间", e.district, 1 + offset % 9)),
                    text("安全主任"),
                    text(format!(
                        "{}:重点查看{}号{},按服务方案开展服务,现场检查并与企业安全主任交流,形成记录。",
                        item.label(),
                        1 + record_id.rem_euclid(60),
                        SITE_OBJECTS[(record_id / 60).rem_euclid(SITE_OBJECTS.len() as i64) as usize]
                    )),
                    text(details[k].clone()),
                    Value::from(agency.admin_id),
                    Value::from(created_at),
                    Value::from(created_at),
                    text(confirmation.code()),
                    Value::from(
                        (confirmation != Confirmation::Pending).then(|| "企业安全主任".to_string()),
                    ),
                    Value::from(
                        (confirmation != Confirmation::Pending)
                            .then(|| created_at + Duration::days(rng.random_range(1..10))),
                    ),
                    Value::from(
                        (confirmation == Confirmation::Objected)
                            .then(|| "记录的参训人数与签到表不一致".to_string()),
                    ),
                ],
            )
            .await?;
            if s.agency == 0 {
                *agency_enterprise_records.entry(e.id).or_default() += 1;
            }
            load.row(
                "record_staff",
                [Value::from(record_id), Value::from(agency.admin_id)],
            )
            .await?;
            attachment_id += 1;
            load.row(
                "attachments",
                photo_row(
                    attachment_id,
                    order_id,
                    (owner_kind(item).code(), record_id),
                    PHOTOS.field,
                    agency.admin_id,
                    created_at,
                ),
            )
            .await?;
            if s.agency == 0 {
                facts.agency_records[k] += 1;
            }
            if item != ServiceItem::HazardInvestigation {
                continue;
            }
            let h = hazards_per_inspection.floor() as usize
                + usize::from(rng.random_bool(hazards_per_inspection.fract()));
            let first_hazard = hazard_id + 1;
            for _ in 0..h {
                hazard_id += 1;
                let g = HazardGen {
                    id: hazard_id,
                    inspection: record_id,
                    order: order_id,
                    found_on: date,
                    agency: agency.admin_id,
                };
                let (row, steps, overdue) = g.draw(&mut rng, today, &mut step_id);
                load.row("hazards", hazard_row(&g, &row, e, insurer, agency))
                    .await?;
                attachment_id += 1;
                load.row(
                    "attachments",
                    photo_row(
                        attachment_id,
                        order_id,
                        (OwnerKind::Hazard.code(), hazard_id),
                        BEFORE_PHOTOS.field,
                        agency.admin_id,
                        created_at,
                    ),
                )
                .await?;
                for st in steps {
                    load.row("hazard_steps", st).await?;
                }
                if overdue {
                    facts.overdue_all += 1;
                    if s.agency == 0 {
                        facts.overdue_agency += 1;
                    }
                }
            }
            if rng.random_bool(CHECKED_SHARE) {
                // Marked against the 通用 checklist: most items 符合, some 不涉及, the failed
                // ones carry the inspection's hazards in turn (any beyond them wait for one).
                let sector = sectors.get(e.industry).cloned().unwrap_or_default();
                let mut next_hazard = first_hazard;
                for (n, item) in general_items.iter().enumerate() {
                    check_id += 1;
                    let roll: f64 = rng.random();
                    let outcome = if roll < 0.05 {
                        "fail"
                    } else if roll < 0.15 {
                        "na"
                    } else {
                        "pass"
                    };
                    let hazard = (outcome == "fail" && next_hazard <= hazard_id).then(|| {
                        next_hazard += 1;
                        next_hazard - 1
                    });
                    load.row(
                        "inspection_checks",
                        [
                            Value::from(check_id),
                            Value::from(record_id),
                            Value::from(general.id.0),
                            text(general.name.clone()),
                            text(sector.clone()),
                            Value::from(n as i32 + 1),
                            text(item.section.clone()),
                            text(item.content.clone()),
                            text(item.basis.clone()),
                            text(item.level.code()),
                            text(item.category.clone()),
                            Value::from(Some(outcome.to_string())),
                            text(""),
                            Value::from(hazard),
                            Value::from(created_at),
                        ],
                    )
                    .await?;
                }
                if s.agency == 0 && facts.agency_checked.len() < 2_000 {
                    facts.agency_checked.push(record_id);
                }
            }
        }
    }
    load.flush_all().await?;
    let rows: Vec<(String, u64)> = load
        .written()
        .into_iter()
        .map(|(t, n)| (t.to_string(), n))
        .collect();
    load.finish().await?;
    let enterprise_user = match agency_enterprise_records
        .iter()
        .max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))
    {
        Some((id, _)) => enterprise_account(url, *id, now).await?,
        None => String::new(),
    };

    insurer0_days.sort_unstable_by(|a, b| b.cmp(a));
    let export_rows = export_rows.min(insurer0_days.len() as u64);
    let boundary = insurer0_days
        .get(export_rows.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(0);
    let export_from = first_day + Duration::days(i64::from(boundary));
    Ok(Dataset {
        scale,
        seed,
        today,
        generated_in_secs: started.elapsed().as_secs_f64(),
        rows,
        insurer_user: insurers[0].username.clone(),
        agency_user: agencies[0].username.clone(),
        agency_admin_id: agencies[0].admin_id,
        regulator_user: regulator.username.clone(),
        enterprise_user,
        agency_live_orders: facts.agency_live,
        agency_checked_inspections: facts.agency_checked,
        agency_accepted: facts.agency_accepted,
        agency_records_per_item: ServiceItem::ALL
            .into_iter()
            .zip(facts.agency_records)
            .map(|(i, n)| (i.code().to_string(), n))
            .collect(),
        insurer_completed: facts.insurer_completed,
        all_completed: facts.all_completed,
        overdue_all: facts.overdue_all,
        overdue_agency: facts.overdue_agency,
        export_from,
        export_rows: insurer0_days.iter().filter(|d| **d >= boundary).count() as u64,
    })
}

#[derive(Default)]
struct Facts {
    agency_live: Vec<i64>,
    agency_checked: Vec<i64>,
    agency_accepted: u64,
    agency_records: [u64; 7],
    insurer_completed: u64,
    all_completed: u64,
    overdue_all: u64,
    overdue_agency: u64,
}

impl Facts {
    fn order(
        &mut self,
        s: &OrderSeed,
        today: NaiveDate,
        start: NaiveDate,
        end: NaiveDate,
        id: i64,
    ) {
        if s.state == State::Completed {
            self.all_completed += 1;
            if s.insurer == 0 {
                self.insurer_completed += 1;
            }
        }
        if s.agency == 0 && s.state == State::Accepted {
            self.agency_accepted += 1;
            if start <= today && today <= end {
                // The most recent ones are kept: a bounded, varied sample.
                if self.agency_live.len() >= 2_000 {
                    self.agency_live.remove(0);
                }
                self.agency_live.push(id);
            }
        }
    }
}

struct HazardGen {
    id: i64,
    inspection: i64,
    order: i64,
    found_on: NaiveDate,
    agency: i64,
}

struct HazardRow {
    description: &'static str,
    category: &'static str,
    location: &'static str,
    level: &'static str,
    deadline: NaiveDate,
    state: &'static str,
    round: i32,
    closed_at: Option<DateTime<Utc>>,
}

impl HazardGen {
    /// 80% closed overall: nearly all old hazards are, recent ones less so; open hazards whose
    /// deadline has passed are overdue.
    fn draw(
        &self,
        rng: &mut StdRng,
        today: NaiveDate,
        step_id: &mut i64,
    ) -> (HazardRow, Vec<Vec<Value>>, bool) {
        let (description, category, location) =
            HAZARD_DESCRIPTIONS[rng.random_range(0..HAZARD_DESCRIPTIONS.len())];
        let deadline = self.found_on + Duration::days([7, 15, 30, 60][rng.random_range(0..4)]);
        let age = (today - self.found_on).num_days();
        let p_closed = if age > 180 { 0.85 } else { 0.55 };
        let closed = rng.random_bool(p_closed);
        let failed_once = rng.random_bool(0.1);
        let mut steps = Vec::new();
        let mut step = |round: i32, kind: &str, on: NaiveDate, passed: Option<bool>| {
            *step_id += 1;
            let on = on.min(today);
            steps.push(vec![
                Value::from(*step_id),
                Value::from(self.id),
                Value::from(round),
                text(kind),
                Value::from(on),
                text(match passed {
                    Some(true) => "整改到位,同意销号",
                    Some(false) => "仍有未整改项,重新整改",
                    None => "已按整改建议完成整改",
                }),
                Value::from(passed),
                Value::from(passed.map(|_| self.agency)),
                Value::from(self.agency),
                Value::from(at(on, 20_000)),
            ]);
        };
        let mut round = 1;
        let rectify_on = self.found_on
            + Duration::days(rng.random_range(1..=(deadline - self.found_on).num_days()));
        let (state, closed_at) = if closed {
            if failed_once {
                step(1, "rectify", rectify_on, None);
                step(1, "review", rectify_on + Duration::days(2), Some(false));
                round = 2;
            }
            let on = rectify_on + Duration::days(if failed_once { 5 } else { 0 });
            step(round, "rectify", on, None);
            let review_on = on + Duration::days(2);
            step(round, "review", review_on, Some(true));
            ("closed", Some(at(review_on.min(today), 21_000)))
        } else if rng.random_bool(0.4) {
            step(1, "rectify", rectify_on, None);
            ("review", None)
        } else {
            ("rectify", None)
        };
        let level = if rng.random_bool(0.03) {
            "major"
        } else {
            "general"
        };
        let overdue = state != "closed" && deadline < today;
        (
            HazardRow {
                description,
                category,
                location,
                level,
                deadline,
                state,
                round,
                closed_at,
            },
            steps,
            overdue,
        )
    }
}

fn hazard_row(
    g: &HazardGen,
    h: &HazardRow,
    e: &Enterprise,
    insurer: &Party,
    agency: &Party,
) -> Vec<Value> {
    let created = at(g.found_on, 25_000);
    vec![
        Value::from(g.id),
        Value::from(Some(hazard_number(g.found_on, HazardId(g.id)))),
        Value::from(g.inspection),
        Value::from(g.order),
        Value::from(agency.org_id),
        Value::from(insurer.org_id),
        Value::from(e.id),
        text(e.region),
        Value::from(g.found_on),
        text(h.description),
        text(h.location),
        text(h.category),
        text(h.level),
        text("《安全生产法》及相关标准"),
        text("按规范整改并留存整改记录"),
        Value::from(h.deadline),
        text("车间主任"),
        text(h.state),
        Value::from(h.round),
        Value::from(h.closed_at),
        Value::from(agency.admin_id),
        Value::from(created),
        Value::from(h.closed_at.unwrap_or(created)),
    ]
}
