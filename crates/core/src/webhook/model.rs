use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{CoreResult, FieldErrors};
use crate::ids::{AccountId, OrgId};
use crate::notify::Notice;

/// The header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Anze-Signature";
/// The header carrying the event code (`order.designated`, …).
pub const EVENT_HEADER: &str = "X-Anze-Event";
/// The header carrying the notification id, the receiver's key to drop repeats: a delivery
/// whose answer was lost is sent again.
pub const DELIVERY_HEADER: &str = "X-Anze-Delivery";

#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub org_id: OrgId,
    pub url: String,
    /// Shared with the receiver to check signatures; never shown again once saved.
    #[serde(skip)]
    pub secret: String,
    pub enabled: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_by: AccountId,
}

impl Webhook {
    /// The secret as the page shows it.
    pub fn masked_secret(&self) -> String {
        let tail: String = self
            .secret
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("••••••••{tail}")
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WebhookForm {
    pub url: String,
    /// Empty keeps the saved secret.
    pub secret: String,
    /// "on" when checked.
    pub enabled: String,
}

pub const SECRET_MIN: usize = 16;
pub const SECRET_MAX: usize = 128;

/// The URL, secret and switch a form asks for; `existing` supplies the secret when the field
/// is left empty.
pub fn parse_webhook(
    form: &WebhookForm,
    existing: Option<&Webhook>,
) -> CoreResult<(String, String, bool)> {
    let mut errors = FieldErrors::default();
    let url = form.url.trim().to_string();
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        _ if url.is_empty() => errors.add("url", "请填写推送地址"),
        None => errors.add("url", "推送地址应以 http:// 或 https:// 开头"),
        Some(r) if r.is_empty() || r.starts_with('/') => errors.add("url", "推送地址缺少主机名"),
        Some(_) if url.len() > 500 => errors.add("url", "推送地址不能超过 500 个字符"),
        Some(_) if url.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            errors.add("url", "推送地址不能包含空格")
        }
        Some(_) => {}
    }
    let secret = match (form.secret.trim(), existing) {
        ("", Some(e)) => e.secret.clone(),
        ("", None) => {
            errors.add(
                "secret",
                format!("请填写签名密钥(至少 {SECRET_MIN} 个字符)"),
            );
            String::new()
        }
        (s, _) => {
            let n = s.chars().count();
            if !(SECRET_MIN..=SECRET_MAX).contains(&n) {
                errors.add(
                    "secret",
                    format!("签名密钥长度应为 {SECRET_MIN}–{SECRET_MAX} 个字符"),
                );
            }
            s.to_string()
        }
    };
    errors.into_result((url, secret, form.enabled == "on"))
}

/// HMAC-SHA256 (RFC 2104) of `body` under `key`, written out here over the `sha2` the crate
/// already has rather than adding a crate for twenty lines.
pub fn hmac_sha256(key: &[u8], body: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(body)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The `X-Anze-Signature` value of `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mac = hmac_sha256(secret.as_bytes(), body);
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The JSON body posted for a notification.
#[derive(Debug, Clone, Serialize)]
pub struct Payload {
    pub id: i64,
    pub event: &'static str,
    pub label: &'static str,
    pub text: String,
    pub object: PayloadObject,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PayloadObject {
    pub kind: &'static str,
    pub id: i64,
    /// The page's path; prefix it with the system's public URL.
    pub path: String,
}

impl Payload {
    pub fn of(n: &Notice) -> Self {
        Self {
            id: n.id.0,
            event: n.kind.code(),
            label: n.kind.label(),
            text: n.text.clone(),
            object: PayloadObject {
                kind: n.object.code(),
                id: n.object_id,
                path: n.link(),
            },
            created_at: n.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        let hex = |b: [u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        // Test case 2.
        assert_eq!(
            hex(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        assert!(signature("k", b"{}").starts_with("sha256="));
    }

    #[test]
    fn the_form_wants_a_web_address_and_a_long_enough_secret() {
        let form = |url: &str, secret: &str| WebhookForm {
            url: url.into(),
            secret: secret.into(),
            enabled: "on".into(),
        };
        let ok = parse_webhook(&form("http://127.0.0.1:9/hook", "0123456789abcdef"), None);
        assert_eq!(ok.unwrap().0, "http://127.0.0.1:9/hook");
        for url in ["", "ftp://x", "http://", "https:///x", "http://a b"] {
            assert!(
                parse_webhook(&form(url, "0123456789abcdef"), None).is_err(),
                "{url}"
            );
        }
        assert!(parse_webhook(&form("https://x.cn", "short"), None).is_err());
        assert!(parse_webhook(&form("https://x.cn", ""), None).is_err());
        let existing = Webhook {
            org_id: OrgId(1),
            url: "https://x.cn".into(),
            secret: "0123456789abcdef-old".into(),
            enabled: true,
            updated_at: Utc::now(),
            updated_by: AccountId(1),
        };
        let (_, secret, enabled) = parse_webhook(
            &WebhookForm {
                url: "https://x.cn".into(),
                ..WebhookForm::default()
            },
            Some(&existing),
        )
        .unwrap();
        assert_eq!(secret, "0123456789abcdef-old");
        assert!(!enabled);
        assert_eq!(existing.masked_secret(), "••••••••-old");
    }
}
