//! Demo data so a newcomer can click through every role: organizations of each type, their
//! admins and staff. Loading twice changes nothing.

use anyhow::Context;
use anze_core::account::{self, AccountForm};
use anze_core::auth::session::actor_for;
use anze_core::field::CreditCode;
use anze_core::ids::OrgId;
use anze_core::org::{self, OrgForm};
use anze_core::{CoreError, Store};
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
pub async fn load(store: &dyn Store) -> anyhow::Result<String> {
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
    Ok(format!(
        "demo data: {created_orgs} organizations and {created_accounts} staff accounts created \
         (password of every demo account: {DEMO_PASSWORD})"
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
