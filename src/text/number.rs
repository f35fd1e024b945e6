//! Reading numbers written with Arabic or Chinese numerals, or a mix:
//! 46, 四十六, 一千二百, 1.5万, 40余万, 近8000, 3200余, 两千.
//!
//! 余, 多, 近, 约, 逾 and 左右 make a number approximate; the value is the
//! number as written (40余万 → 400000).

/// A number read from text: an exact decimal and whether it was approximate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Number {
    /// The digits, as an integer.
    mantissa: u128,
    /// How many of them are after the decimal point.
    scale: u32,
    /// Whether the text said the number is approximate.
    pub approximate: bool,
}

impl Number {
    /// Whether the value is a whole number.
    pub fn is_integer(&self) -> bool {
        self.scale == 0
    }

    /// The value's canonical lexical form (`400000`, `1.25`).
    pub fn lexical(&self) -> String {
        let digits = self.mantissa.to_string();
        if self.scale == 0 {
            return digits;
        }
        let scale = self.scale as usize;
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        format!("{whole}.{fraction}")
    }

    fn new(mantissa: u128, scale: u32) -> Number {
        Number {
            mantissa,
            scale,
            approximate: false,
        }
        .normalized()
    }

    fn normalized(mut self) -> Number {
        while self.scale > 0 && self.mantissa.is_multiple_of(10) {
            self.mantissa /= 10;
            self.scale -= 1;
        }
        self
    }

    fn times_power_of_ten(self, power: u32) -> Option<Number> {
        let (mantissa, scale) = if power >= self.scale {
            (
                self.mantissa
                    .checked_mul(10u128.checked_pow(power - self.scale)?)?,
                0,
            )
        } else {
            (self.mantissa, self.scale - power)
        };
        Some(Number::new(mantissa, scale))
    }

    fn plus(self, other: Number) -> Option<Number> {
        let scale = self.scale.max(other.scale);
        let a = self
            .mantissa
            .checked_mul(10u128.checked_pow(scale - self.scale)?)?;
        let b = other
            .mantissa
            .checked_mul(10u128.checked_pow(scale - other.scale)?)?;
        Some(Number::new(a.checked_add(b)?, scale))
    }
}

const APPROXIMATE_PREFIXES: &[&str] = &["近", "约", "逾", "超过", "大约", "将近"];
const APPROXIMATE_SUFFIXES: &[&str] = &["余", "多", "左右"];

/// Reads the number in `text` (white space and thousands separators ignored),
/// or `None` when `text` is not a number.
pub fn read_number(text: &str) -> Option<Number> {
    let mut text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '，')
        .collect();
    let mut approximate = false;
    for prefix in APPROXIMATE_PREFIXES {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = rest.to_owned();
            approximate = true;
        }
    }
    for suffix in APPROXIMATE_SUFFIXES {
        if text.contains(suffix) {
            text = text.replace(suffix, "");
            approximate = true;
        }
    }
    let mut total = Number::new(0, 0);
    let mut section = String::new();
    let mut any = false;
    for c in text.chars() {
        let power = match c {
            '亿' => 8,
            '万' => 4,
            _ => {
                section.push(c);
                continue;
            }
        };
        let value = if section.is_empty() {
            Number::new(1, 0)
        } else {
            read_section(&section)?
        };
        if power == 8 {
            total = total.plus(value)?.times_power_of_ten(8)?;
        } else {
            total = total.plus(value.times_power_of_ten(4)?)?;
        }
        section.clear();
        any = true;
    }
    if !section.is_empty() {
        total = total.plus(read_section(&section)?)?;
        any = true;
    }
    any.then_some(Number {
        approximate,
        ..total
    })
}

/// A number below 万: Arabic digits (maybe with a decimal part), Chinese
/// numerals with 十百千, or digits followed by a unit (3千).
fn read_section(text: &str) -> Option<Number> {
    if text.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return read_arabic(text);
    }
    let mut total = Number::new(0, 0);
    let mut pending: Option<Number> = None;
    let mut saw_unit = false;
    let mut digits_only = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            let mut run = c.to_string();
            while let Some(&next) = chars.peek() {
                if next.is_ascii_digit() || next == '.' {
                    run.push(next);
                    chars.next();
                } else {
                    break;
                }
            }
            pending = Some(read_arabic(&run)?);
            digits_only.push_str(&run);
            continue;
        }
        if let Some(digit) = chinese_digit(c) {
            pending = Some(Number::new(digit, 0));
            digits_only.push(char::from_digit(digit as u32, 10)?);
            continue;
        }
        let power = match c {
            '十' | '拾' => 1,
            '百' | '佰' => 2,
            '千' | '仟' => 3,
            _ => return None,
        };
        saw_unit = true;
        let multiplier = pending.take().unwrap_or(Number::new(1, 0));
        total = total.plus(multiplier.times_power_of_ten(power)?)?;
    }
    if !saw_unit {
        // 二〇二〇: digits one by one.
        return read_arabic(&digits_only);
    }
    match pending {
        Some(rest) => total.plus(rest),
        None => Some(total),
    }
}

fn read_arabic(text: &str) -> Option<Number> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    Some(Number::new(digits.parse().ok()?, fraction.len() as u32))
}

fn chinese_digit(c: char) -> Option<u128> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (String, bool) {
        let number = read_number(text).unwrap_or_else(|| panic!("{text} is a number"));
        (number.lexical(), number.approximate)
    }

    #[test]
    fn arabic_chinese_and_mixed() {
        assert_eq!(read("46"), ("46".into(), false));
        assert_eq!(read("四十六"), ("46".into(), false));
        assert_eq!(read("一千二百"), ("1200".into(), false));
        assert_eq!(read("一百零五"), ("105".into(), false));
        assert_eq!(read("十五"), ("15".into(), false));
        assert_eq!(read("两千"), ("2000".into(), false));
        assert_eq!(read("三万五千"), ("35000".into(), false));
        assert_eq!(read("1.5万"), ("15000".into(), false));
        assert_eq!(read("1.25"), ("1.25".into(), false));
        assert_eq!(read("4,800"), ("4800".into(), false));
        assert_eq!(read("二〇二〇"), ("2020".into(), false));
        assert_eq!(read("一亿二千万"), ("120000000".into(), false));
    }

    #[test]
    fn approximate_markers() {
        assert_eq!(read("40余万"), ("400000".into(), true));
        assert_eq!(read("近8000"), ("8000".into(), true));
        assert_eq!(read("3200余"), ("3200".into(), true));
        assert_eq!(read("5万余"), ("50000".into(), true));
        assert_eq!(read("近1.8万"), ("18000".into(), true));
    }

    #[test]
    fn not_numbers() {
        assert_eq!(read_number("突击队"), None);
        assert_eq!(read_number(""), None);
        assert_eq!(read_number("1.2.3"), None);
    }
}
