//! IRIs in rules: prefix expansion, base resolution, IRI templates that mint
//! entity IRIs from text, and the lexical check of typed literals.

use std::fmt::Write as _;

use oxrdf::NamedNodeRef;
use oxrdf::vocab::xsd;

/// The prefixes every rule file knows without declaring them.
pub const PREDECLARED: &[(&str, &str)] = &[
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

/// An IRI with `{text}` holes, filled with a mention's normalised text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IriTemplate {
    /// The pieces, in order.
    pub parts: Vec<TemplatePart>,
}

/// A piece of an [`IriTemplate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplatePart {
    /// Fixed IRI text.
    Text(String),
    /// The mention's normalised text, percent-encoded where an IRI needs it.
    MentionText,
}

impl IriTemplate {
    /// The placeholders a template may use.
    pub const PLACEHOLDERS: &'static [&'static str] = &["text"];

    /// Fills the template with `text`. The result is a valid IRI for any
    /// `text` (the template was checked with a sample), and the same text
    /// always gives the same IRI.
    pub fn expand(&self, text: &str) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(fixed) => out.push_str(fixed),
                TemplatePart::MentionText => encode_iri_segment(text, &mut out),
            }
        }
        out
    }
}

/// Appends `text` to `out` as one IRI path segment: unreserved ASCII and the
/// characters IRIs allow unescaped (`ucschar`, so Chinese stays readable) are
/// kept; everything else is percent-encoded as UTF-8.
pub fn encode_iri_segment(text: &str, out: &mut String) {
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || "-._~".contains(c) || is_ucschar(c) {
            out.push(c);
        } else {
            let mut buffer = [0; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
}

/// RFC 3987 `ucschar` (the non-ASCII characters an IRI may hold as they
/// are), less white space such as the ideographic space, which we encode.
fn is_ucschar(c: char) -> bool {
    let code = c as u32;
    let allowed = matches!(code,
        0xA0..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFEF
        | 0x10000..=0x1FFFD | 0x20000..=0x2FFFD | 0x30000..=0x3FFFD
        | 0x40000..=0x4FFFD | 0x50000..=0x5FFFD | 0x60000..=0x6FFFD
        | 0x70000..=0x7FFFD | 0x80000..=0x8FFFD | 0x90000..=0x9FFFD
        | 0xA0000..=0xAFFFD | 0xB0000..=0xBFFFD | 0xC0000..=0xCFFFD
        | 0xD0000..=0xDFFFD | 0xE1000..=0xEFFFD);
    // RFC 3987 §4.1: bidirectional formatting characters must not appear.
    let bidi = matches!(code, 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069 | 0x061C);
    allowed && !bidi && !c.is_whitespace()
}

/// Whether `value` is a valid lexical form of `datatype`, for the XSD
/// datatypes we know; other datatypes accept anything.
pub(crate) fn is_valid_lexical_form(value: &str, datatype: NamedNodeRef<'_>) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = |s: &str| s.strip_prefix(['+', '-']).unwrap_or(s).to_owned();
    if datatype == xsd::INTEGER {
        digits(&unsigned(value))
    } else if datatype == xsd::DECIMAL {
        let body = unsigned(value);
        match body.split_once('.') {
            Some((whole, fraction)) => {
                (digits(whole) || whole.is_empty())
                    && (digits(fraction) || fraction.is_empty())
                    && body != "."
            }
            None => digits(&body),
        }
    } else if datatype == xsd::DOUBLE || datatype == xsd::FLOAT {
        value.parse::<f64>().is_ok() || matches!(value, "INF" | "-INF" | "NaN")
    } else if datatype == xsd::BOOLEAN {
        matches!(value, "true" | "false" | "1" | "0")
    } else if datatype == xsd::DATE {
        let parts: Vec<&str> = value.split('-').collect();
        parts.len() == 3 && parts[0].len() == 4 && digits(parts[0]) && month_day(parts[1], parts[2])
    } else if datatype == xsd::G_MONTH_DAY {
        value
            .strip_prefix("--")
            .and_then(|rest| rest.split_once('-'))
            .is_some_and(|(m, d)| month_day(m, d))
    } else if datatype == xsd::G_YEAR {
        year(without_zone(value))
    } else if datatype == xsd::G_YEAR_MONTH {
        without_zone(value)
            .rsplit_once('-')
            .is_some_and(|(y, m)| year(y) && month_day(m, "01"))
    } else if datatype == xsd::DATE_TIME {
        value.split_once('T').is_some_and(|(date, time)| {
            is_valid_lexical_form(date, xsd::DATE) && clock(without_zone(time))
        })
    } else if let Some((low, high)) = integer_range(datatype) {
        digits(&unsigned(value))
            && value
                .parse::<i128>()
                .is_ok_and(|n| (low..=high).contains(&n))
    } else {
        true
    }
}

/// The range of the XSD integer types derived from xsd:integer.
pub(crate) fn integer_range(datatype: NamedNodeRef<'_>) -> Option<(i128, i128)> {
    let i = |low: i128, high: i128| Some((low, high));
    let unbounded = i128::MAX;
    if datatype == xsd::LONG {
        i(i64::MIN.into(), i64::MAX.into())
    } else if datatype == xsd::INT {
        i(i32::MIN.into(), i32::MAX.into())
    } else if datatype == xsd::SHORT {
        i(i16::MIN.into(), i16::MAX.into())
    } else if datatype == xsd::BYTE {
        i(i8::MIN.into(), i8::MAX.into())
    } else if datatype == xsd::UNSIGNED_LONG {
        i(0, u64::MAX.into())
    } else if datatype == xsd::UNSIGNED_INT {
        i(0, u32::MAX.into())
    } else if datatype == xsd::UNSIGNED_SHORT {
        i(0, u16::MAX.into())
    } else if datatype == xsd::UNSIGNED_BYTE {
        i(0, u8::MAX.into())
    } else if datatype == xsd::NON_NEGATIVE_INTEGER {
        i(0, unbounded)
    } else if datatype == xsd::POSITIVE_INTEGER {
        i(1, unbounded)
    } else if datatype == xsd::NON_POSITIVE_INTEGER {
        i(-unbounded, 0)
    } else if datatype == xsd::NEGATIVE_INTEGER {
        i(-unbounded, -1)
    } else {
        None
    }
}

/// A year of at least four digits, with an optional minus (no year 0000).
fn year(value: &str) -> bool {
    let body = value.strip_prefix('-').unwrap_or(value);
    body.len() >= 4 && body.bytes().all(|b| b.is_ascii_digit()) && body.bytes().any(|b| b != b'0')
}

/// `value` without a trailing time zone (`Z`, `+08:00`, `-05:00`).
fn without_zone(value: &str) -> &str {
    if let Some(rest) = value.strip_suffix('Z') {
        return rest;
    }
    let bytes = value.as_bytes();
    if bytes.len() > 6
        && matches!(bytes[bytes.len() - 6], b'+' | b'-')
        && bytes[bytes.len() - 3] == b':'
    {
        return &value[..value.len() - 6];
    }
    value
}

/// `hh:mm:ss` with optional fractional seconds.
fn clock(value: &str) -> bool {
    let parts: Vec<&str> = value.split(':').collect();
    let two = |s: &str, max: u32| s.len() == 2 && s.parse::<u32>().is_ok_and(|n| n <= max);
    parts.len() == 3
        && two(parts[0], 24)
        && two(parts[1], 59)
        && parts[2]
            .split_once('.')
            .map_or(two(parts[2], 60), |(s, f)| {
                two(s, 60) && !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())
            })
}

fn month_day(month: &str, day: &str) -> bool {
    let two = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    two(month)
        && two(day)
        && (1..=12).contains(&month.parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&day.parse::<u32>().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_stays_readable_and_delimiters_are_encoded() {
        let template = IriTemplate {
            parts: vec![
                TemplatePart::Text("http://kgrep.example/team/".into()),
                TemplatePart::MentionText,
            ],
        };
        assert_eq!(
            template.expand("党员突击队"),
            "http://kgrep.example/team/党员突击队"
        );
        assert_eq!(
            template.expand("a b/c?#"),
            "http://kgrep.example/team/a%20b%2Fc%3F%23"
        );
        assert_eq!(
            template.expand("“先锋”"),
            "http://kgrep.example/team/“先锋”"
        );
        assert!(oxrdf::NamedNode::new(template.expand("<>\"{}|\\^` \u{7f}\u{3000}")).is_ok());
    }

    #[test]
    fn lexical_forms() {
        assert!(is_valid_lexical_form("46", xsd::INTEGER));
        assert!(!is_valid_lexical_form("abc", xsd::INTEGER));
        assert!(is_valid_lexical_form("2020", xsd::G_YEAR));
        assert!(is_valid_lexical_form("-0044", xsd::G_YEAR));
        assert!(is_valid_lexical_form("2020+08:00", xsd::G_YEAR));
        for bad in ["2020年", "abc", "20", "0000"] {
            assert!(!is_valid_lexical_form(bad, xsd::G_YEAR), "{bad}");
        }
        assert!(is_valid_lexical_form("2020-02", xsd::G_YEAR_MONTH));
        assert!(!is_valid_lexical_form("2020-13", xsd::G_YEAR_MONTH));
        assert!(is_valid_lexical_form(
            "2020-02-12T08:30:00Z",
            xsd::DATE_TIME
        ));
        assert!(!is_valid_lexical_form("2020-02-12 08:30", xsd::DATE_TIME));
        assert!(is_valid_lexical_form("-5", xsd::INT));
        assert!(!is_valid_lexical_form("1.5", xsd::INT));
        assert!(!is_valid_lexical_form("3000000000", xsd::INT));
        assert!(!is_valid_lexical_form("-1", xsd::NON_NEGATIVE_INTEGER));
        assert!(is_valid_lexical_form("2020-02-12", xsd::DATE));
        assert!(!is_valid_lexical_form("2020-13-12", xsd::DATE));
        assert!(is_valid_lexical_form("--02-12", xsd::G_MONTH_DAY));
    }
}
