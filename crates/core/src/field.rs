//! Value types for form fields. Each is built only through its parser, so a value of the type is
//! known to be valid; parsers return the Chinese message the user sees under the field.

use serde::Serialize;
use std::fmt;

pub mod typed;

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
        let code: String = typed::half_width(raw).to_ascii_uppercase();
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
        let p = &typed::mobile(raw);
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
        let p = &typed::mobile(raw);
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

/// 金额 in fen (分), so sums never meet floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    pub fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }

    /// Accepts `12345`, `12,345.6`, `¥12,345.67`, `12345元`, `1.5万元` (`typed::amount`);
    /// refuses negatives, more than two decimals and amounts above `max_yuan`.
    pub fn parse(raw: &str, label: &str, max_yuan: i64) -> Result<Self, String> {
        let s = typed::amount(raw.trim().trim_start_matches(['¥', '\u{ffe5}']));
        if s.is_empty() {
            return Err(format!("请填写{label}"));
        }
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s.as_str(), ""),
        };
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || !(frac.is_empty() || digits(frac)) || s.ends_with('.') {
            return Err(format!("{label}应为金额,如 12345.00"));
        }
        if frac.len() > 2 {
            return Err(format!("{label}最多保留两位小数"));
        }
        if int.len() > 12 {
            return Err(format!("{label}不能超过 {max_yuan} 元"));
        }
        let yuan: i64 = int.parse().map_err(|_| format!("{label}应为金额"))?;
        let fen: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
        if yuan > max_yuan || (yuan == max_yuan && fen > 0) {
            return Err(format!("{label}不能超过 {max_yuan} 元"));
        }
        Ok(Self(yuan * 100 + fen))
    }

    /// `12345.67` for form fields.
    pub fn plain(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for Money {
    /// ¥12,345.00
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yuan = (self.0 / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "¥{grouped}.{:02}", self.0 % 100)
    }
}

/// A percentage kept in basis points (1% = 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(transparent)]
pub struct Ratio(i32);

impl Ratio {
    pub fn from_basis_points(bp: i32) -> Self {
        Self(bp)
    }

    pub fn basis_points(self) -> i32 {
        self.0
    }

    /// `10`, `10.5`, `10.25%` → basis points, within `(0, max_percent]`.
    pub fn parse_percent(raw: &str, label: &str, max_percent: i32) -> Result<Self, String> {
        let v = typed::half_width(raw);
        let s = v.trim_end_matches('%').trim();
        if s.is_empty() {
            return Err(format!("请填写{label}"));
        }
        // Read through the amount parser, which would also take a unit a ratio has not.
        if !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(format!(
                "{label}应为 0 到 {max_percent} 之间的百分比,最多两位小数"
            ));
        }
        let as_money = Money::parse(s, label, i64::from(max_percent))
            .map_err(|_| format!("{label}应为 0 到 {max_percent} 之间的百分比,最多两位小数"))?;
        let bp = as_money.cents() as i32;
        if bp <= 0 {
            return Err(format!("{label}应大于 0"));
        }
        Ok(Self(bp))
    }

    /// `premium × ratio`, rounded half up to the fen.
    pub fn apply(self, amount: Money) -> Money {
        let v = i128::from(amount.cents()) * i128::from(self.0);
        Money(((v + 5_000) / 10_000) as i64)
    }

    pub fn plain(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.plain())
    }
}

/// A whole number within `[min, max]`.
pub fn count(raw: &str, label: &str, min: i64, max: i64) -> Result<i64, String> {
    let s = &typed::whole(raw);
    if s.is_empty() {
        return Err(format!("请填写{label}"));
    }
    let n: i64 = s.parse().map_err(|_| format!("{label}应为整数"))?;
    if n < min || n > max {
        return Err(format!("{label}应在 {min} 到 {max} 之间"));
    }
    Ok(n)
}

#[cfg(test)]
mod money_tests {
    use super::*;

    #[test]
    fn money_parses_what_people_type() {
        assert_eq!(
            Money::parse("12345", "保费", 1_000_000).unwrap().cents(),
            1_234_500
        );
        assert_eq!(
            Money::parse("¥12,345.6", "保费", 1_000_000)
                .unwrap()
                .cents(),
            1_234_560
        );
        assert_eq!(Money::parse("0.05", "保费", 10).unwrap().cents(), 5);
        assert!(
            Money::parse("-1", "保费", 10)
                .unwrap_err()
                .contains("应为金额")
        );
        assert!(
            Money::parse("1.234", "保费", 10)
                .unwrap_err()
                .contains("两位小数")
        );
        assert!(
            Money::parse("11", "保费", 10)
                .unwrap_err()
                .contains("不能超过")
        );
        assert!(Money::parse("1e5", "保费", 10).is_err());
        assert!(Money::parse("99999999999999999999", "保费", 10).is_err());
        assert_eq!(Money::from_cents(123_456_789).to_string(), "¥1,234,567.89");
        assert_eq!(Money::from_cents(5).to_string(), "¥0.05");
    }

    #[test]
    fn ratio_applies_with_rounding() {
        let r = Ratio::parse_percent("15%", "比例", 21).unwrap();
        assert_eq!(r.basis_points(), 1500);
        assert_eq!(r.apply(Money::from_cents(333)).cents(), 50); // 49.95 → 50
        assert!(Ratio::parse_percent("0", "比例", 21).is_err());
        assert!(Ratio::parse_percent("22", "比例", 21).is_err());
        assert!(Ratio::parse_percent("abc", "比例", 21).is_err());
        assert_eq!(Ratio::from_basis_points(1050).to_string(), "10.50%");
    }

    #[test]
    fn counts() {
        assert_eq!(count(" 12 ", "人数", 1, 100), Ok(12));
        assert!(count("0", "人数", 1, 100).is_err());
        assert!(count("1.5", "人数", 1, 100).is_err());
    }
}
