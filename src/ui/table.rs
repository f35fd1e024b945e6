//! Tables for people: boxed and aligned in terminal cells (so Chinese lines
//! up), cut to the terminal's width with an ellipsis, or expanded one field a
//! line (psql's `\x`, sqlite3's `.mode line`) to show every value whole.

use std::io::{self, IsTerminal, Write};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How a table is laid out.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The width to fit, in terminal cells (`None`: as wide as the cells).
    pub width: Option<usize>,
    /// One field a line, values whole.
    pub expanded: bool,
    /// Whether to print the header row.
    pub headers: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            width: None,
            expanded: false,
            headers: true,
        }
    }
}

impl Layout {
    /// Fits the terminal standard output is, if it is one (`COLUMNS` wins).
    pub fn for_stdout() -> Layout {
        Layout {
            width: terminal_width(),
            ..Layout::default()
        }
    }
}

/// The width of the terminal on standard output: `COLUMNS` if set, else the
/// terminal's own; `None` when standard output is not a terminal.
pub fn terminal_width() -> Option<usize> {
    if !io::stdout().is_terminal() {
        return None;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.parse().ok())
        .or_else(|| terminal_size::terminal_size().map(|(width, _)| usize::from(width.0)))
}

/// The height of the terminal on standard output, if it is one.
pub fn terminal_height() -> Option<usize> {
    if !io::stdout().is_terminal() {
        return None;
    }
    std::env::var("LINES")
        .ok()
        .and_then(|lines| lines.parse().ok())
        .or_else(|| terminal_size::terminal_size().map(|(_, height)| usize::from(height.0)))
}

/// The narrowest a column is cut to.
const MIN_COLUMN: usize = 3;

/// Writes a table of `rows` under `headers`, then "N rows".
pub fn write_table(
    out: &mut dyn Write,
    headers: &[String],
    rows: &[Vec<String>],
    layout: &Layout,
) -> io::Result<()> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| clean(cell)).collect())
        .collect();
    if layout.expanded {
        write_expanded(out, headers, &rows)?;
    } else {
        write_boxed(out, headers, &rows, layout)?;
    }
    writeln!(
        out,
        "{} row{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    )
}

fn write_boxed(
    out: &mut dyn Write,
    headers: &[String],
    rows: &[Vec<String>],
    layout: &Layout,
) -> io::Result<()> {
    let natural: Vec<usize> = (0..headers.len())
        .map(|column| {
            rows.iter()
                .map(|row| row[column].width())
                .chain(layout.headers.then(|| headers[column].width()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let widths = match layout.width {
        Some(width) => fit(&natural, width),
        None => natural,
    };
    let rule = |left: &str, middle: &str, right: &str| {
        let parts: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
        format!("{left}{}{right}", parts.join(middle))
    };
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| {
                let cell = cut(cell, *width);
                let padding = width.saturating_sub(cell.width());
                format!(" {cell}{} ", " ".repeat(padding))
            })
            .collect();
        format!("│{}│", parts.join("│"))
    };
    writeln!(out, "{}", rule("┌", "┬", "┐"))?;
    if layout.headers {
        writeln!(out, "{}", line(headers))?;
        writeln!(out, "{}", rule("├", "┼", "┤"))?;
    }
    for row in rows {
        writeln!(out, "{}", line(row))?;
    }
    writeln!(out, "{}", rule("└", "┴", "┘"))
}

fn write_expanded(out: &mut dyn Write, headers: &[String], rows: &[Vec<String>]) -> io::Result<()> {
    let name_width = headers.iter().map(|h| h.width()).max().unwrap_or(0);
    for (index, row) in rows.iter().enumerate() {
        writeln!(
            out,
            "-[ row {} ]{}",
            index + 1,
            "-".repeat(name_width.max(8))
        )?;
        for (name, value) in headers.iter().zip(row) {
            let padding = " ".repeat(name_width - name.width());
            writeln!(out, "{name}{padding} │ {value}")?;
        }
    }
    Ok(())
}

/// Column widths that fit `total` cells with the box around them: the
/// widest columns give way first, none below [`MIN_COLUMN`].
fn fit(natural: &[usize], total: usize) -> Vec<usize> {
    let frame = 3 * natural.len() + 1;
    let available = total.saturating_sub(frame);
    if natural.iter().sum::<usize>() <= available {
        return natural.to_vec();
    }
    // The largest cap c with sum(min(w, c)) <= available.
    let (mut low, mut high) = (MIN_COLUMN, natural.iter().copied().max().unwrap_or(0));
    while low < high {
        let mid = (low + high).div_ceil(2);
        if natural.iter().map(|w| (*w).min(mid)).sum::<usize>() <= available {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let mut widths: Vec<usize> = natural.iter().map(|w| (*w).min(low)).collect();
    let mut left = available.saturating_sub(widths.iter().sum());
    for (width, natural) in widths.iter_mut().zip(natural) {
        if left > 0 && *width < *natural {
            *width += 1;
            left -= 1;
        }
    }
    widths
}

/// `cell` cut to `width` terminal cells, with `…` where it was cut.
fn cut(cell: &str, width: usize) -> String {
    if cell.width() <= width {
        return cell.to_owned();
    }
    let mut text = String::new();
    let mut used = 0;
    for c in cell.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        text.push(c);
        used += w;
    }
    text.push('…');
    text
}

/// A cell on one line: line breaks and tabs become spaces, other control
/// characters are dropped (they would move the cursor).
fn clean(cell: &str) -> String {
    cell.chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(layout: &Layout) -> String {
        let rows = vec![
            vec!["雷神山医院".to_owned(), "32".to_owned()],
            vec!["a".repeat(80), "1".to_owned()],
        ];
        let mut out = Vec::new();
        write_table(&mut out, &["h".to_owned(), "n".to_owned()], &rows, layout).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn tables_align_chinese_and_fit_the_width() {
        for width in [None, Some(40), Some(12)] {
            let text = table(&Layout {
                width,
                ..Layout::default()
            });
            let widths: Vec<usize> = text.lines().take(5).map(|line| line.width()).collect();
            assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
            if let Some(width) = width {
                assert!(widths[0] <= width.max(3 * 2 + 1 + 2 * MIN_COLUMN), "{text}");
                assert!(text.contains('…'), "{text}");
            }
        }
    }

    #[test]
    fn expanded_tables_show_values_whole() {
        let text = table(&Layout {
            expanded: true,
            width: Some(20),
            ..Layout::default()
        });
        assert!(text.contains(&format!("h │ {}", "a".repeat(80))), "{text}");
        assert!(text.starts_with("-[ row 1 ]"), "{text}");
    }

    #[test]
    fn fitting_gives_way_from_the_widest() {
        assert_eq!(fit(&[5, 50], 40), vec![5, 28]);
        assert_eq!(fit(&[30, 30], 40), vec![17, 16]);
        assert_eq!(fit(&[2, 3], 40), vec![2, 3]);
    }
}
