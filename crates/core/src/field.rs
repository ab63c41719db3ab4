//! Value types for form fields. Each is built only through its parser, so a value of the type is
//! known to be valid; parsers return the Chinese message the user sees under the field.

use serde::Serialize;
use std::fmt;

/// Trimmed text with a length limit counted in characters (not bytes: Chinese is 3 bytes a char).
pub fn text(raw: &str, label: &str, max_chars: usize, required: bool) -> Result<String, String> {
    let value = raw.trim();
    if required && value.is_empty() {
        return Err(format!("请填写{label}"));
    }
    let len = value.chars().count();
    if len > max_chars {
        return Err(format!("{label}不能超过 {max_chars} 个字符(当前 {len} 个)"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(format!("{label}包含不可见的控制字符"));
    }
    Ok(value.to_string())
}

/// Optional text: empty becomes `None`.
pub fn optional_text(raw: &str, label: &str, max_chars: usize) -> Result<Option<String>, String> {
    let v = text(raw, label, max_chars, false)?;
    Ok(if v.is_empty() { None } else { Some(v) })
}

/// 统一社会信用代码 (GB 32100-2015): 18 characters; the last one is a check character computed from
/// the first 17 with weights 3^i mod 31.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

const CREDIT_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

impl CreditCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code: String = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err("请填写统一社会信用代码".into());
        }
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(format!(
                "统一社会信用代码应为 18 位(当前 {} 位)",
                chars.len()
            ));
        }
        let mut values = Vec::with_capacity(18);
        for (i, c) in chars.iter().enumerate() {
            match CREDIT_CHARSET.find(*c) {
                Some(v) => values.push(v as u32),
                None => {
                    return Err(format!(
                        "统一社会信用代码第 {} 位“{}”不是允许的字符(数字或除 I、O、Z、S、V 外的大写字母)",
                        i + 1,
                        c
                    ));
                }
            }
        }
        let expected = Self::check_value(&values[..17]);
        if values[17] != expected {
            let expected_char = CREDIT_CHARSET.chars().nth(expected as usize).unwrap_or('?');
            return Err(format!(
                "统一社会信用代码校验位不正确:第 18 位应为“{expected_char}”,实际为“{}”",
                chars[17]
            ));
        }
        Ok(Self(code))
    }

    fn check_value(first17: &[u32]) -> u32 {
        let mut weight = 1u32;
        let mut sum = 0u32;
        for v in first17 {
            sum += v * weight;
            weight = weight * 3 % 31;
        }
        (31 - sum % 31) % 31
    }

    /// Completes 17 characters into a valid code; used by demo data and tests.
    pub fn with_check_digit(first17: &str) -> Option<Self> {
        let values: Option<Vec<u32>> = first17
            .chars()
            .map(|c| CREDIT_CHARSET.find(c).map(|v| v as u32))
            .collect();
        let values = values.filter(|v| v.len() == 17)?;
        let check = CREDIT_CHARSET
            .chars()
            .nth(Self::check_value(&values) as usize)?;
        Some(Self(format!("{first17}{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 联系电话: a mainland mobile number, or a landline such as 0595-22345678 (extension allowed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let p = raw.trim();
        if p.is_empty() {
            return Err("请填写联系电话".into());
        }
        if is_mobile(p) || is_landline(p) {
            Ok(Self(p.to_string()))
        } else {
            Err("电话格式不正确:手机号为 1 开头的 11 位数字,座机如 0595-22345678".into())
        }
    }

    pub fn parse_mobile(raw: &str) -> Result<Self, String> {
        let p = raw.trim();
        if is_mobile(p) {
            Ok(Self(p.to_string()))
        } else {
            Err("手机号格式不正确:应为 1 开头、第二位为 3-9 的 11 位数字".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_mobile(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

fn is_landline(p: &str) -> bool {
    // 区号-号码[-分机]: area code 3–4 digits starting with 0, number 7–8 digits, extension 1–6 digits.
    let parts: Vec<&str> = p.split('-').collect();
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_digit())
    };
    match parts.as_slice() {
        [area, number] => area.starts_with('0') && digits(area, 3, 4) && digits(number, 7, 8),
        [area, number, ext] => {
            area.starts_with('0') && digits(area, 3, 4) && digits(number, 7, 8) && digits(ext, 1, 6)
        }
        _ => false,
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_code_accepts_real_codes() {
        for first17 in [
            "91350500MA2XN5QX2",
            "91110000100003662",
            "12350000003600000",
        ] {
            let generated = CreditCode::with_check_digit(first17).unwrap();
            assert_eq!(CreditCode::parse(generated.as_str()), Ok(generated.clone()));
            let sloppy = format!(" {} ", generated.as_str().to_ascii_lowercase());
            assert_eq!(
                CreditCode::parse(&sloppy),
                Ok(generated),
                "trims and uppercases"
            );
        }
        // Worked example: weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28.
        assert_eq!(CreditCode::check_value(&[0; 17]), 0);
        assert_eq!(
            CreditCode::check_value(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            30
        );
    }

    #[test]
    fn credit_code_messages_say_which_check_failed() {
        assert!(
            CreditCode::parse("9111000010000366")
                .unwrap_err()
                .contains("18 位")
        );
        assert!(
            CreditCode::parse("91110000100003662I")
                .unwrap_err()
                .contains("第 18 位")
        );
        let valid = CreditCode::with_check_digit("91110000100003662")
            .unwrap()
            .to_string();
        let wrong = format!(
            "{}{}",
            &valid[..17],
            if valid.ends_with('0') { '1' } else { '0' }
        );
        assert!(CreditCode::parse(&wrong).unwrap_err().contains("校验位"));
        assert!(CreditCode::parse("").unwrap_err().contains("请填写"));
    }

    #[test]
    fn phones() {
        assert!(Phone::parse("13905951234").is_ok());
        assert!(Phone::parse("0595-22345678").is_ok());
        assert!(Phone::parse("0595-22345678-801").is_ok());
        assert!(Phone::parse("12905951234").is_err());
        assert!(Phone::parse("1390595123").is_err());
        assert!(Phone::parse("595-22345678").is_err());
        assert!(Phone::parse("13905951234' OR 1=1").is_err());
        assert!(Phone::parse_mobile("0595-22345678").is_err());
    }

    #[test]
    fn text_limits_count_characters() {
        assert_eq!(text("  泉州  ", "名称", 2, true), Ok("泉州".into()));
        assert!(
            text("泉州市", "名称", 2, true)
                .unwrap_err()
                .contains("不能超过 2 个字符")
        );
        assert!(
            text(" ", "名称", 2, true)
                .unwrap_err()
                .contains("请填写名称")
        );
        assert!(text("a\u{0}b", "名称", 10, true).is_err());
        assert_eq!(optional_text("", "备注", 10), Ok(None));
    }
}
