//! Reading dates: 2月16日, 2020年2月16日, 二月十六日, 2020-02-16,
//! February 16, 2020, 16 February 2020, Feb. 16. The first date in the text
//! is read; without a year in the text the document's year is used if known.

use super::number::read_number;

/// A calendar date, possibly without a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    /// The year, when known.
    pub year: Option<i32>,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day, 1 to 31.
    pub day: u32,
}

impl Date {
    /// `2020-02-16` (an `xsd:date`) or `--02-16` (an `xsd:gMonthDay`).
    pub fn lexical(&self) -> String {
        match self.year {
            Some(year) => format!("{year:04}-{:02}-{:02}", self.month, self.day),
            None => format!("--{:02}-{:02}", self.month, self.day),
        }
    }
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// The first date in `text`; `year` is the document's year, used when the
/// text gives none.
pub fn read_date(text: &str, year: Option<i32>) -> Option<Date> {
    read_chinese(text, year)
        .or_else(|| read_iso(text))
        .or_else(|| read_english(text, year))
}

fn valid(year: Option<i32>, month: u32, day: u32) -> Option<Date> {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => match year {
            Some(y) if !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) => 28,
            _ => 29,
        },
        _ => return None,
    };
    (1..=days)
        .contains(&day)
        .then_some(Date { year, month, day })
}

fn whole(text: &str) -> Option<u32> {
    let number = read_number(text)?;
    if !number.is_integer() {
        return None;
    }
    number.lexical().parse().ok()
}

/// `[YYYY年]M月D日` (or 号), with Arabic or Chinese numerals.
fn read_chinese(text: &str, year: Option<i32>) -> Option<Date> {
    let month_at = text.find('月')?;
    let before = &text[..month_at];
    let (explicit_year, month_text) = match before.rfind('年') {
        Some(year_at) => {
            let year_text = trailing_numerals(&before[..year_at]);
            (
                whole(&year_text).map(|y| y as i32),
                &before[year_at + '年'.len_utf8()..],
            )
        }
        None => (None, before),
    };
    let month_text = trailing_numerals(month_text);
    let after = &text[month_at + '月'.len_utf8()..];
    let day_end = after.find(['日', '号'])?;
    let day_text = &after[..day_end];
    valid(
        explicit_year.or(year),
        whole(&month_text)?,
        whole(day_text)?,
    )
}

/// The numerals at the end of `text` ("2020" of "据2020").
fn trailing_numerals(text: &str) -> String {
    let start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_numeral(*c))
        .last()
        .map_or(text.len(), |(i, _)| i);
    text[start..].to_owned()
}

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "零〇一二两三四五六七八九十".contains(c)
}

/// `YYYY-MM-DD`.
fn read_iso(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|start| {
        let piece = text.get(start..start + 10)?;
        let mut parts = piece.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4
            || m.len() != 2
            || d.len() != 2
            || !piece.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        {
            return None;
        }
        valid(Some(y.parse().ok()?), m.parse().ok()?, d.parse().ok()?)
    })
}

/// `February 16, 2020`, `Feb. 16`, `16 February 2020`.
fn read_english(text: &str, year: Option<i32>) -> Option<Date> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let month_of = |word: &str| {
        let head = word.get(..3)?;
        MONTHS
            .iter()
            .position(|m| *m == head && is_month_word(word))
            .map(|i| i as u32 + 1)
    };
    let number = |word: &str| {
        word.trim_end_matches(['s', 't', 'n', 'd', 'r', 'h'])
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=31).contains(d))
    };
    for (index, word) in words.iter().enumerate() {
        let Some(month) = month_of(word) else {
            continue;
        };
        let year_after = |at: usize| {
            words
                .get(at)
                .and_then(|w| w.parse::<i32>().ok())
                .filter(|y| *y >= 1000)
        };
        if let Some(day) = words.get(index + 1).and_then(|w| number(w)) {
            return valid(year_after(index + 2).or(year), month, day);
        }
        if let Some(day) = index.checked_sub(1).and_then(|i| number(&words[i])) {
            return valid(year_after(index + 1).or(year), month, day);
        }
    }
    None
}

fn is_month_word(word: &str) -> bool {
    const FULL: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "sept",
    ];
    word.len() == 3 || FULL.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, year: Option<i32>) -> String {
        read_date(text, year)
            .unwrap_or_else(|| panic!("{text} is a date"))
            .lexical()
    }

    #[test]
    fn chinese_dates() {
        assert_eq!(read("2月12日", Some(2020)), "2020-02-12");
        assert_eq!(read("2月12日", None), "--02-12");
        assert_eq!(read("2019年12月8日", Some(2020)), "2019-12-08");
        assert_eq!(read("1月23日至今", Some(2020)), "2020-01-23");
        assert_eq!(read("二月十六日", Some(2020)), "2020-02-16");
        assert_eq!(read("2月29日", Some(2020)), "2020-02-29");
        assert_eq!(read_date("2月30日", Some(2020)), None);
    }

    #[test]
    fn iso_and_english_dates() {
        assert_eq!(read("2020-02-12", None), "2020-02-12");
        assert_eq!(read("February 12, 2020", None), "2020-02-12");
        assert_eq!(read("on Feb. 12", Some(2020)), "2020-02-12");
        assert_eq!(read("12 February 2020", None), "2020-02-12");
        assert_eq!(read_date("the team", None), None);
    }
}
