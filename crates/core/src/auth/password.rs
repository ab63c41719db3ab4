//! Password rules and argon2id hashing.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 64;

/// A password that satisfies the policy; only `parse` builds one.
#[derive(Clone)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let len = raw.chars().count();
        if len == 0 {
            return Err("请填写密码".into());
        }
        if len < MIN_LEN {
            return Err(format!("密码至少 {MIN_LEN} 位"));
        }
        if len > MAX_LEN {
            return Err(format!("密码不能超过 {MAX_LEN} 位"));
        }
        let letters = raw.chars().any(|c| c.is_ascii_alphabetic());
        let digits = raw.chars().any(|c| c.is_ascii_digit());
        if !(letters && digits) {
            return Err("密码需同时包含字母和数字".into());
        }
        if raw.chars().any(char::is_control) {
            return Err("密码不能包含控制字符".into());
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// argon2id with the crate's default parameters (19 MiB, 2 passes), salted by the hasher.
    pub fn hash(&self) -> PasswordHashString {
        let hash = Argon2::default()
            .hash_password(self.0.as_bytes())
            .expect("argon2 with default parameters cannot fail on a bounded password");
        PasswordHashString(hash.to_string())
    }
}

/// An encoded PHC hash string as stored in the database.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHashString(pub String);

impl std::fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashString(***)")
    }
}

pub fn verify(password: &str, hash: &PasswordHashString) -> bool {
    match PasswordHash::new(&hash.0) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the same time as a real verification so an unknown account answers no faster than a
/// wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<PasswordHashString> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| NewPassword("dummy-password-1".into()).hash());
    let _ = verify(password, hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(NewPassword::parse("abc12345").is_ok());
        assert!(NewPassword::parse("abc1234").unwrap_err().contains("至少"));
        assert!(
            NewPassword::parse("abcdefgh")
                .unwrap_err()
                .contains("字母和数字")
        );
        assert!(
            NewPassword::parse(&"a1".repeat(40))
                .unwrap_err()
                .contains("不能超过")
        );
    }

    #[test]
    fn hash_and_verify() {
        let p = NewPassword::parse("Secret123").unwrap();
        let h = p.hash();
        assert!(h.0.starts_with("$argon2id$"));
        assert!(verify("Secret123", &h));
        assert!(!verify("Secret124", &h));
        assert!(!verify("Secret123", &PasswordHashString("garbage".into())));
        assert!(!format!("{p:?}{h:?}").contains("Secret"));
    }
}
