//! Demo data so a newcomer can click through every role: organizations of each type, their
//! admins and staff. Loading twice changes nothing.

use anyhow::Context;
use anze_core::account::{self, AccountForm};
use anze_core::attachment::{BlobStore, FileRule, NewAttachment};
use anze_core::auth::session::actor_for;
use anze_core::field::CreditCode;
use anze_core::ids::OrgId;
use anze_core::org::{self, OrgForm};
use anze_core::{CoreError, Store};
use anze_web::upload::{UploadLimits, store_bytes};
use chrono::Utc;

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = "Demo2026";

struct DemoOrg {
    kind: &'static str,
    name: &'static str,
    code17: &'static str,
    region: &'static str,
    address: &'static str,
    contact: &'static str,
    phone: &'static str,
    admin: &'static str,
    admin_name: &'static str,
    /// Staff accounts: (username, name), given the organization's preset role.
    staff: &'static [(&'static str, &'static str)],
}

const ORGS: &[DemoOrg] = &[
    DemoOrg {
        kind: "regulator",
        name: "泉州市应急管理局",
        code17: "11350500MB1957350",
        region: "350500",
        address: "泉州市丰泽区东海街道通港西街 299 号",
        contact: "林科长",
        phone: "0595-22178000",
        admin: "yjj_admin",
        admin_name: "林监管",
        staff: &[("yjj_staff", "黄监管")],
    },
    DemoOrg {
        kind: "insurer",
        name: "中国人民财产保险股份有限公司泉州市分公司",
        code17: "91350500705264871",
        region: "350503",
        address: "泉州市丰泽区丰泽街 608 号",
        contact: "陈经理",
        phone: "13905951001",
        admin: "picc_admin",
        admin_name: "陈保险",
        staff: &[("picc_staff", "王业务")],
    },
    DemoOrg {
        kind: "insurer",
        name: "中国平安财产保险股份有限公司泉州中心支公司",
        code17: "91350500768572460",
        region: "350503",
        address: "泉州市丰泽区刺桐路 702 号",
        contact: "郑经理",
        phone: "13905951002",
        admin: "pingan_admin",
        admin_name: "郑平安",
        staff: &[],
    },
    DemoOrg {
        kind: "agency",
        name: "泉州安信安全技术服务有限公司",
        code17: "91350503MA2Y4K8Q1",
        region: "350503",
        address: "泉州市丰泽区宝洲路 88 号",
        contact: "吴主任",
        phone: "13905951003",
        admin: "anxin_admin",
        admin_name: "吴安信",
        staff: &[("anxin_staff1", "张工"), ("anxin_staff2", "李工")],
    },
    DemoOrg {
        kind: "agency",
        name: "福建闽安安全评价有限公司泉州分公司",
        code17: "91350582MA31P6C72",
        region: "350582",
        address: "晋江市青阳街道世纪大道 366 号",
        contact: "许主任",
        phone: "13905951004",
        admin: "minan_admin",
        admin_name: "许闽安",
        staff: &[("minan_staff1", "蔡工")],
    },
    DemoOrg {
        kind: "agency",
        name: "泉州众诚安全科技有限公司",
        code17: "91350583MA8RT2W53",
        region: "350583",
        address: "南安市溪美街道成功街 120 号",
        contact: "洪主任",
        phone: "13905951005",
        admin: "zhongcheng_admin",
        admin_name: "洪众诚",
        staff: &[],
    },
];

/// Loads the demo organizations and accounts; returns a one-line summary.
pub async fn load(store: &dyn Store, blobs: &dyn BlobStore) -> anyhow::Result<String> {
    let admin = store
        .find_account_by_username("admin")
        .await?
        .context("the platform admin must exist before demo data is loaded")?;
    let actor = actor_for(store, admin.id, "console")
        .await?
        .context("the platform admin cannot act")?;
    let now = Utc::now();
    let mut created_orgs = 0;
    let mut created_accounts = 0;
    for d in ORGS {
        let code = CreditCode::with_check_digit(d.code17)
            .with_context(|| format!("bad demo credit code {}", d.code17))?;
        if !store.credit_code_taken(code.as_str(), None).await? {
            let form = OrgForm {
                kind: d.kind.into(),
                name: d.name.into(),
                credit_code: code.to_string(),
                region_code: d.region.into(),
                address: d.address.into(),
                contact_name: d.contact.into(),
                contact_phone: d.phone.into(),
                admin_username: d.admin.into(),
                admin_name: d.admin_name.into(),
                admin_password: DEMO_PASSWORD.into(),
            };
            org::service::create(store, &actor, &form, now)
                .await
                .map_err(|e| anyhow::anyhow!("demo organization {}: {e:?}", d.name))?;
            created_orgs += 1;
        }
        let org_id = store
            .find_account_by_username(d.admin)
            .await?
            .map(|a| a.org_id)
            .with_context(|| format!("demo admin {} is missing", d.admin))?;
        created_accounts += load_staff(store, &actor, org_id, d, now).await?;
    }
    let business = load_business(store, blobs, now).await?;
    // The designations, answers and objections above told their parties already; today's
    // deadline reminders join them, so a newcomer finds the bell lit. Written once per
    // deadline, so loading again adds none.
    let reminders = anze_core::notify::service::run_reminders(store, now).await?;
    // The dashboards read recounted facts: a newcomer sees figures at once, not at the
    // scheduled recount.
    anze_core::dashboard::service::rebuild(store, None, now, &mut |_| {})
        .await
        .map_err(|e| anyhow::anyhow!("recounting the dashboards: {e:?}"))?;
    Ok(format!(
        "demo data: {created_orgs} organizations and {created_accounts} staff accounts created, \
         {business}, {reminders} deadline reminders (password of every demo account: \
         {DEMO_PASSWORD})"
    ))
}

/// (district code, district name) for demo enterprises, round-robin.
const DISTRICTS: &[(&str, &str)] = &[
    ("350502", "鲤城"),
    ("350503", "丰泽"),
    ("350504", "洛江"),
    ("350505", "泉港"),
    ("350521", "惠安"),
    ("350524", "安溪"),
    ("350525", "永春"),
    ("350526", "德化"),
    ("350581", "石狮"),
    ("350582", "晋江"),
    ("350583", "南安"),
    ("350591", "台商区"),
    ("350592", "经开区"),
];

/// (name suffix, industry leaf code, employees)
const TRADES: &[(&str, &str, &str)] = &[
    ("石化有限公司", "0201", "320"),
    ("化工贸易有限公司", "0202", "45"),
    ("鞋业有限公司", "0903", "860"),
    ("纺织服装有限公司", "0902", "540"),
    ("建筑工程有限公司", "0501", "210"),
    ("石材有限公司", "0906", "130"),
    ("陶瓷有限公司", "0905", "380"),
    ("物流有限公司", "1002", "95"),
    ("机械制造有限公司", "0901", "260"),
    ("烟花爆竹批发有限公司", "0302", "28"),
];

/// Enterprises, policies and orders in every state, so each role has something to work on.
async fn load_business(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<String> {
    use anze_core::enterprise::{self, EnterpriseForm};
    use anze_core::order::{self as orders, DesignateForm};
    use anze_core::policy::{self, PolicyForm};
    use chrono::Duration;

    let actor_of = |username: &'static str| async move {
        let account = store
            .find_account_by_username(username)
            .await?
            .with_context(|| format!("demo account {username} is missing"))?;
        actor_for(store, account.id, "demo")
            .await?
            .with_context(|| format!("demo account {username} cannot act"))
    };
    let insurers = [
        actor_of("picc_admin").await?,
        actor_of("pingan_admin").await?,
    ];
    let agencies = [
        actor_of("anxin_admin").await?,
        actor_of("minan_admin").await?,
        actor_of("zhongcheng_admin").await?,
    ];
    let today = anze_core::time::today(now);
    let mut enterprises = 0;
    let mut policies = 0;
    let mut orders_created = 0;
    for i in 0..30usize {
        let (region, district) = DISTRICTS[i % DISTRICTS.len()];
        let (suffix, industry, employees) = TRADES[i % TRADES.len()];
        let name = format!(
            "泉州{district}{}{suffix}",
            ["恒安", "永盛", "鸿达", "华兴", "金泰", "宏远"][i % 6]
        );
        let code = CreditCode::with_check_digit(&format!("91350500MA3{:06}", 100 + i))
            .context("demo enterprise credit code")?;
        let insurer = &insurers[i % 2];
        if !store.credit_code_taken(code.as_str(), None).await? {
            let form = EnterpriseForm {
                name: name.clone(),
                credit_code: code.to_string(),
                region_code: region.into(),
                address: format!("泉州市{district}工业区{}号", 10 + i),
                contact_name: ["陈", "林", "黄", "王", "吴"][i % 5].to_string() + "经理",
                contact_phone: format!("1390595{:04}", 2000 + i),
                industry_code: industry.into(),
                employee_count: employees.into(),
                // The demo's sites spread over Quanzhou's districts, a few hundred metres apart.
                longitude: format!("{:.6}", 118.58 + 0.013 * i as f64),
                latitude: format!("{:.6}", 24.87 + 0.007 * i as f64),
            };
            enterprise::service::create(store, insurer, &form, now)
                .await
                .map_err(|e| anyhow::anyhow!("demo enterprise {name}: {e:?}"))?;
            enterprises += 1;
        }
        // Policy periods spread from last year to next year, so every status appears.
        let start = today - Duration::days(400) + Duration::days((i as i64) * 20);
        let end = start + Duration::days(364);
        let policy_no = format!(
            "{}{}{:04}",
            if i % 2 == 0 { "PICC" } else { "PAIC" },
            start.format("%Y"),
            i + 1
        );
        if store
            .policy_no_taken(insurer.org_id, &policy_no, None)
            .await?
        {
            continue;
        }
        let form = PolicyForm {
            policy_no: policy_no.clone(),
            enterprise_credit_code: code.to_string(),
            start_date: start.to_string(),
            end_date: end.to_string(),
            premium: format!("{}", 8_000 + (i % 7) * 3_500),
            total_limit: "5000000".into(),
            per_person_limit: "500000".into(),
            insured_count: employees.into(),
            prevention_ratio: ["10", "12", "15", "20"][i % 4].into(),
        };
        let policy_id = policy::service::create(store, insurer, &form, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo policy {policy_no}: {e:?}"))?;
        policies += 1;
        if end < today {
            continue;
        }
        // Orders: every state, most with the first agency so its badge and lists are full.
        let agency = &agencies[match i % 5 {
            0..=2 => 0,
            3 => 1,
            _ => 2,
        }];
        let mut designation = DesignateForm::suggested(start.max(today - Duration::days(30)), end);
        designation.agency_id = agency.org_id.to_string();
        designation.note = "请按服务方案开展事故预防服务,每季度至少一次隐患排查。".into();
        let order = orders::service::designate(store, insurer, policy_id, &designation, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo order for {policy_no}: {e:?}"))?;
        orders_created += 1;
        match i % 6 {
            // 待受理
            0 | 5 => {}
            1 => {
                orders::service::accept(store, agency, order, now).await?;
                let staff = store.find_account_by_username("anxin_staff1").await?;
                if let (Some(staff), true) = (staff, agency.username == "anxin_admin") {
                    orders::service::assign(store, agency, order, &[staff.id.to_string()], now)
                        .await?;
                }
            }
            2 => {
                orders::service::accept(store, agency, order, now).await?;
                orders::service::complete(store, agency, order, now).await?;
            }
            3 => {
                orders::service::decline(
                    store,
                    agency,
                    order,
                    "本月人员已满负荷,无法按期提供服务",
                    now,
                )
                .await?;
                // The insurer turns to another agency; the declined order stays in history.
                let mut again = designation.clone();
                again.agency_id = agencies[(i + 1) % 3].org_id.to_string();
                orders::service::designate(store, insurer, policy_id, &again, now).await?;
                orders_created += 1;
            }
            // The first two of these are served (人保's enterprises get services too); the
            // rest are withdrawn by the insurer.
            4 if i < 12 => {
                orders::service::accept(store, agency, order, now).await?;
            }
            _ => {
                orders::service::cancel(store, insurer, order, now).await?;
            }
        }
    }
    let services = load_services(store, blobs, now).await?;
    let accounts = load_enterprise_accounts(store, &insurers, now).await?;
    let calls = load_follow_ups(store, &insurers, now).await?;
    Ok(format!(
        "{enterprises} enterprises, {policies} policies and {orders_created} service orders created, {services}, {accounts} enterprise accounts created, {calls} 电话回访 recorded"
    ))
}

/// Each insurer calls the enterprises of its first two served orders (电话回访), so 满意度
/// has scores to show.
async fn load_follow_ups(
    store: &dyn Store,
    insurers: &[anze_core::auth::Actor],
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<usize> {
    use anze_core::order::{self as orders, OrderFilter};
    use anze_core::page::PageRequest;
    use anze_core::satisfaction::{self, RatingForm, RatingSource};
    let mut calls = 0;
    for insurer in insurers {
        let served = orders::service::list(
            store,
            insurer,
            &OrderFilter {
                state: "accepted".into(),
                ..OrderFilter::default()
            },
            PageRequest::first(20),
        )
        .await?
        .items;
        for (order, score) in served
            .iter()
            .filter(|o| o.plan.iter().any(|p| p.done > 0))
            .take(2)
            .zip(["5", "3"])
        {
            let mut pairs = vec![
                ("overall".to_string(), score.to_string()),
                ("callee".to_string(), "安全主任".to_string()),
                (
                    "called_at".to_string(),
                    (now - chrono::Duration::hours(2))
                        .with_timezone(&anze_core::time::china())
                        .format("%Y-%m-%dT%H:%M")
                        .to_string(),
                ),
                (
                    "comment".to_string(),
                    if score == "5" {
                        "企业对培训和隐患排查很满意,希望下季度增加应急演练指导".to_string()
                    } else {
                        "企业反映服务人员到场时间不固定,整改建议不够具体".to_string()
                    },
                ),
            ];
            for item in satisfaction::service::items_to_rate(order) {
                pairs.push((
                    satisfaction::item_field(item).to_string(),
                    score.to_string(),
                ));
            }
            satisfaction::service::rate(
                store,
                insurer,
                order.id,
                RatingSource::Phone,
                &RatingForm::from_pairs(&pairs),
                now,
            )
            .await?;
            calls += 1;
        }
    }
    Ok(calls)
}

/// The new enterprise account confirms its first record and objects to its second, so every
/// confirmation state shows (the rest stay 待确认).
async fn confirm_some(
    store: &dyn Store,
    account: anze_core::ids::AccountId,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    use anze_core::page::PageRequest;
    use anze_core::record;
    let actor = actor_for(store, account, "demo")
        .await?
        .context("demo enterprise account cannot act")?;
    let waiting =
        record::service::confirmations(store, &actor, &Default::default(), PageRequest::first(20))
            .await?
            .items;
    if let Some(r) = waiting.first() {
        record::service::confirm(store, &actor, r.id, now).await?;
    }
    if let Some(r) = waiting.get(1) {
        record::service::object(
            store,
            &actor,
            r.id,
            "记录的参训人数与企业签到表不一致,请核实后修改",
            now,
        )
        .await?;
    }
    Ok(())
}

/// The new enterprise account complains twice about its order: once itself, 20 days ago and
/// still 待受理 (past its 10-working-day reply deadline, so 首页 counts it as overdue); once
/// through its insurer after a phone call, answered by the agency and settled.
async fn complain_some(
    store: &dyn Store,
    account: anze_core::ids::AccountId,
    insurer: &anze_core::auth::Actor,
    order: &anze_core::order::ServiceOrder,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    use anze_core::complaint::{self, ComplaintAction, ComplaintForm};
    use chrono::Duration;
    let actor = actor_for(store, account, "demo")
        .await?
        .context("demo enterprise account cannot act")?;
    complaint::service::file(
        store,
        &actor,
        order.id,
        &ComplaintForm {
            category: "late".into(),
            description: "约定的隐患复查日期已过两周,服务机构至今未到场复查。".into(),
            complainant: actor.name.clone(),
            phone: "13905958888".into(),
            record_id: String::new(),
        },
        &[],
        now - Duration::days(20),
    )
    .await?;
    let id = complaint::service::file(
        store,
        insurer,
        order.id,
        &ComplaintForm {
            category: "attitude".into(),
            description: "企业来电反映:服务人员现场检查时态度生硬,未解释检查结论。".into(),
            complainant: "企业安全员".into(),
            phone: "0595-22881234".into(),
            record_id: String::new(),
        },
        &[],
        now - Duration::days(12),
    )
    .await?;
    complaint::service::handle(
        store,
        insurer,
        id,
        ComplaintAction::Accept,
        "已回访企业,了解具体情况。",
        now - Duration::days(11),
    )
    .await?;
    let mut agency = None;
    for d in ORGS.iter().filter(|d| d.kind == "agency") {
        if let Some(a) = store.find_account_by_username(d.admin).await?
            && a.org_id == order.agency_id
        {
            agency = actor_for(store, a.id, "demo").await?;
        }
    }
    if let Some(agency) = agency {
        complaint::service::reply(
            store,
            &agency,
            id,
            "已约谈当班服务人员,今后现场检查结束时逐项向企业解释检查结论。",
            now - Duration::days(9),
        )
        .await?;
    }
    complaint::service::handle(
        store,
        insurer,
        id,
        ComplaintAction::Settle,
        "服务机构已向企业致歉并更换现场服务人员,企业表示满意。",
        now - Duration::days(6),
    )
    .await?;
    Ok(())
}

/// Enterprise accounts `qiye1` (insured by 人保) and `qiye2` (insured by 平安): each the
/// 管理员 of the first enterprise of its insurer that has service records, opened by the
/// insurer as it would in 投保企业.
async fn load_enterprise_accounts(
    store: &dyn Store,
    insurers: &[anze_core::auth::Actor],
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<usize> {
    use anze_core::enterprise::{self, EnterpriseAccountForm};
    use anze_core::order::{OrderQuery, OrderState};
    use anze_core::page::PageRequest;
    use anze_core::scope::Scope;

    let mut created = 0;
    for ((username, name), insurer) in [("qiye1", "陈企安"), ("qiye2", "林企安")]
        .into_iter()
        .zip(insurers)
    {
        if store.username_taken(username).await? {
            continue;
        }
        let served = store
            .list_orders(
                &Scope::Insurer(insurer.org_id),
                &OrderQuery {
                    state: Some(OrderState::Accepted),
                    ..Default::default()
                },
                PageRequest::first(50),
            )
            .await?;
        let Some(order) = served
            .items
            .iter()
            .find(|o| o.plan.iter().any(|p| p.done > 0))
        else {
            continue;
        };
        let form = EnterpriseAccountForm {
            username: username.into(),
            name: name.into(),
            phone: String::new(),
            password: DEMO_PASSWORD.into(),
        };
        match enterprise::service::open_account(store, insurer, order.enterprise_id, &form, now)
            .await
        {
            Ok(id) => {
                created += 1;
                confirm_some(store, id, now).await?;
                complain_some(store, id, insurer, order, now).await?;
            }
            // The enterprise has an account already (made by hand on this database).
            Err(CoreError::Conflict(_)) => {}
            Err(e) => anyhow::bail!("demo enterprise account {username}: {e:?}"),
        }
    }
    Ok(created)
}

/// Records and hazards on the accepted orders that have none yet: a training, an inspection
/// with hazards in every state (one overdue, one 重大, one in its second round).
async fn load_services(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<String> {
    use anze_core::hazard::{self, HazardForm, RectifyForm, ReviewForm};
    use anze_core::order::OrderState;
    use anze_core::page::PageRequest;
    use anze_core::record::{self, RecordForm};
    use anze_core::scope::Scope;
    use anze_core::service_item::ServiceItem;
    use chrono::Duration;

    let today = anze_core::time::today(now);
    let accepted = store
        .list_orders(
            &Scope::All,
            &anze_core::order::OrderQuery {
                state: Some(OrderState::Accepted),
                ..Default::default()
            },
            PageRequest::first(100),
        )
        .await?;
    let (mut records, mut hazards) = (0, 0);
    for order in accepted.items {
        if order.service_start > today - Duration::days(25) || order.plan.iter().any(|p| p.done > 0)
        {
            continue;
        }
        let admin = store
            .list_accounts(
                Some(order.agency_id),
                &Default::default(),
                PageRequest::first(100),
            )
            .await?
            .items;
        let Some(admin) = admin.iter().find(|a| a.username.ends_with("_admin")) else {
            continue;
        };
        let actor = actor_for(store, admin.id, "demo")
            .await?
            .context("demo agency admin cannot act")?;
        let staff = vec![admin.id.to_string()];
        let day = |n: i64| (today - Duration::days(n)).to_string();
        let form = |date: String, details: &[(&str, &str)], summary: &str| RecordForm {
            service_date: date,
            location: format!("{}厂区", order.enterprise_name),
            staff_ids: staff.clone(),
            enterprise_contact: "安全主任".into(),
            summary: summary.into(),
            signer_name: String::new(),
            details: details
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        record::service::create(
            store,
            &actor,
            order.id,
            ServiceItem::Training,
            &form(
                day(20),
                &[
                    ("topic", "危险化学品安全管理与应急处置"),
                    ("audience", "manager"),
                    ("audience", "worker"),
                    ("mode", "offline"),
                    ("hours", "3"),
                    ("participants", "42"),
                    ("trainer", "张工"),
                ],
                "讲解危化品储存、装卸安全要求和泄漏应急处置,现场答疑。",
            ),
            &[
                file(blobs, &record::PHOTOS, "培训现场.png", photo(0x2f6fb2)).await?,
                file(
                    blobs,
                    &anze_core::training::SPEC.files[0],
                    "签到表.pdf",
                    pdf("签到表"),
                )
                .await?,
            ],
            now,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo training: {e:?}"))?;
        let inspection = record::service::create(
            store,
            &actor,
            order.id,
            ServiceItem::HazardInvestigation,
            &form(
                day(25),
                &[
                    ("kind", "comprehensive"),
                    ("scope", "生产车间、仓库、配电房、消防设施"),
                ],
                "共发现隐患 5 项,其中重大隐患 1 项,已下达整改通知书。",
            ),
            &[file(
                blobs,
                &anze_core::inspection::SPEC.files[1],
                "排查报告.pdf",
                pdf("排查报告"),
            )
            .await?],
            now,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo inspection: {e:?}"))?;
        records += 2;
        let hazard = |desc: &str, level: &str, category: &str, deadline: i64| HazardForm {
            description: desc.into(),
            location: "生产车间".into(),
            category: category.into(),
            level: level.into(),
            basis: "《安全生产法》及相关标准".into(),
            suggestion: "按规范整改并留存整改记录".into(),
            deadline: day(deadline),
            responsible: "车间主任".into(),
            ..HazardForm::default()
        };
        let actor = &actor;
        hazards += checklist_demo(store, blobs, actor, inspection, day(-2), now).await?;
        let create = |f: HazardForm| async move {
            let before =
                [file(blobs, &hazard::BEFORE_PHOTOS, "整改前.png", photo(0xc0392b)).await?];
            hazard::service::create(store, actor, inspection, &f, &before, now)
                .await
                .map_err(|e| anyhow::anyhow!("demo hazard: {e:?}"))
        };
        // Overdue: deadline passed five days ago.
        create(hazard(
            "配电箱未可靠接地,箱门缺失",
            "general",
            "electric",
            5,
        ))
        .await?;
        // 重大, pending.
        create(hazard(
            "液氨储罐区未设置可燃有毒气体报警装置",
            "major",
            "chemicals",
            -30,
        ))
        .await?;
        let rectify = |note: &str, on: i64| RectifyForm {
            rectify_note: note.into(),
            rectified_on: day(on),
        };
        // Each rectification gets its own photo: a stored file belongs to one record.
        let after =
            || async { file(blobs, &hazard::AFTER_PHOTOS, "整改后.png", photo(0x27ae60)).await };
        let review = |pass: bool, on: i64| ReviewForm {
            reviewer_id: admin.id.to_string(),
            reviewed_on: day(on),
            result: if pass { "pass" } else { "fail" }.into(),
            opinion: if pass {
                "整改到位".into()
            } else {
                "仍有两处未整改,重新整改".into()
            },
        };
        // 待复查.
        let h = create(hazard("消防通道堆放杂物", "general", "fire", -10)).await?;
        hazard::service::rectify(
            store,
            actor,
            h,
            &rectify("已清理通道并划线", 15),
            &[after().await?],
            now,
        )
        .await?;
        // 已销号.
        let h = create(hazard("砂轮机防护罩缺失", "general", "equipment", -5)).await?;
        hazard::service::rectify(
            store,
            actor,
            h,
            &rectify("已加装防护罩", 20),
            &[after().await?],
            now,
        )
        .await?;
        hazard::service::review(store, actor, h, &review(true, 18), now).await?;
        // Second round after a failed review.
        let h = create(hazard("安全警示标志缺失", "general", "site", -7)).await?;
        hazard::service::rectify(
            store,
            actor,
            h,
            &rectify("已张贴部分标志", 20),
            &[after().await?],
            now,
        )
        .await?;
        hazard::service::review(store, actor, h, &review(false, 19), now).await?;
        hazards += 5;
    }
    Ok(format!(
        "{records} service records and {hazards} hazards created"
    ))
}

async fn load_staff(
    store: &dyn Store,
    actor: &anze_core::auth::Actor,
    org_id: OrgId,
    d: &DemoOrg,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<usize> {
    let roles = store.roles_of_org(org_id).await?;
    let Some(preset) = roles
        .iter()
        .find(|r| r.kind == anze_core::role::RoleKind::Preset)
    else {
        return Ok(0);
    };
    let mut created = 0;
    for (username, name) in d.staff {
        if store.username_taken(username).await? {
            continue;
        }
        let form = AccountForm {
            org_id: org_id.to_string(),
            username: (*username).into(),
            name: (*name).into(),
            phone: String::new(),
            password: DEMO_PASSWORD.into(),
            role_ids: vec![preset.id.to_string()],
            enabled: "1".into(),
        };
        match account::service::create(store, actor, &form, now).await {
            Ok(_) => created += 1,
            Err(CoreError::Validation(e)) if e.get("username").is_some() => {}
            Err(e) => anyhow::bail!("demo account {username}: {e:?}"),
        }
    }
    Ok(created)
}

/// A small photo-like PNG: a coloured field with a lighter band, so thumbnails look like images.
fn photo(rgb: u32) -> Vec<u8> {
    let (r, g, b) = ((rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8);
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        let band = (y / 40) % 2 == 0;
        let shade = (x * 60 / 320) as u8;
        if band {
            image::Rgb([
                r.saturating_add(shade),
                g.saturating_add(shade),
                b.saturating_add(shade),
            ])
        } else {
            image::Rgb([r, g, b])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    // Encoding an in-memory RGB image as PNG cannot fail.
    let _ = img.write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}

/// A one-page PDF whose title is ASCII (Chinese would need an embedded font).
fn pdf(title: &str) -> Vec<u8> {
    let text = format!("anze demo document ({})", title.len());
    let content = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for off in offsets {
        out.push_str(&format!("{off:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer << /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

async fn file(
    blobs: &dyn BlobStore,
    rule: &FileRule,
    name: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<(String, NewAttachment)> {
    let stored = store_bytes(blobs, rule, name, bytes, &UploadLimits::default())
        .await
        .map_err(|e| anyhow::anyhow!("demo file {name}: {}", e.message))?;
    Ok((rule.field.to_string(), stored))
}

/// The inspection marked against the platform's 通用安全检查表: most of the first items 符合,
/// one 不涉及, two 不符合, one of which is already registered as a hazard from its item.
/// Returns the hazards made.
async fn checklist_demo(
    store: &dyn anze_core::Store,
    blobs: &dyn BlobStore,
    actor: &anze_core::auth::Actor,
    inspection: anze_core::ids::RecordId,
    deadline: String,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<usize> {
    use anze_core::checklist::{self, ChecklistFilter};
    use anze_core::hazard::{self, HazardForm};
    use anze_core::page::PageRequest;
    let err = |what: &'static str| move |e| anyhow::anyhow!("demo checklist, {what}: {e:?}");
    let filter = ChecklistFilter {
        q: "通用安全检查表".into(),
        owner: "platform".into(),
        ..ChecklistFilter::default()
    };
    let general = checklist::service::list(store, actor, &filter, PageRequest::first(1))
        .await
        .map_err(err("find"))?;
    let Some(general) = general.items.first() else {
        return Ok(0);
    };
    checklist::service::take(store, actor, inspection, &general.id.to_string(), now)
        .await
        .map_err(err("take"))?;
    let (_, _, taken) = checklist::service::of_inspection(store, actor, inspection)
        .await
        .map_err(err("read"))?;
    let marks: Vec<(String, String)> = taken
        .checks
        .iter()
        .take(12)
        .enumerate()
        .flat_map(|(i, c)| {
            let (outcome, note) = match i {
                3 => ("fail", "应急预案未按期修订,最近一次评审为三年前"),
                7 => ("fail", "二号车间出口通道堆放原料"),
                10 => ("na", "企业无此类设备"),
                _ => ("pass", ""),
            };
            [
                (c.outcome_field(), outcome.to_string()),
                (c.note_field(), note.to_string()),
            ]
        })
        .collect();
    checklist::service::mark(store, actor, inspection, &marks, now)
        .await
        .map_err(err("mark"))?;
    let (record, _, _) = checklist::service::of_inspection(store, actor, inspection)
        .await
        .map_err(err("read"))?;
    let Some(failed) = taken.checks.get(7) else {
        return Ok(0);
    };
    let form = HazardForm {
        description: format!("{}\n现场情况:二号车间出口通道堆放原料", failed.content),
        location: "二号车间出口".into(),
        category: failed.category.clone(),
        level: failed.level.code().into(),
        basis: failed.basis.clone(),
        suggestion: "清理通道内原料,划定通道标线并设置禁止占用标识".into(),
        deadline,
        responsible: "车间主任".into(),
        check: failed.id.to_string(),
        ..HazardForm::default()
    };
    let before = [file(
        blobs,
        &hazard::BEFORE_PHOTOS,
        "通道堆放.png",
        photo(0xe67e22),
    )
    .await?];
    hazard::service::create(store, actor, record.id, &form, &before, now)
        .await
        .map_err(err("hazard"))?;
    Ok(1)
}
