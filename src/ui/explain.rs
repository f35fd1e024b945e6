//! What `kgrep try` and the REPL's `.try` show about a text: every match,
//! capture, mention and triple, and how far the rules that did not fire got.

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthStr;

use super::rules::shorten;
use kgrep::extract::Document;

/// What `kgrep try` (and the REPL's `.try`) shows about `text`.
pub fn explain(extractor: &kgrep::extract::Extractor, text: &str, year: Option<i32>) -> String {
    let text = text.to_owned();
    let rules = extractor.rules();
    let short = |term: &str| shorten(term, &rules.prefixes);
    let document = Document::new("try", text, year);
    let trace = extractor.trace(&document, &mut extractor.scratch());
    let bold = Style::new().bold();
    let green = Style::new().fg_color(Some(AnsiColor::Green.into()));
    let dim = Style::new().dimmed();
    let mut out = String::new();
    let mut fired = vec![false; rules.rules.len()];
    let mut dropped = vec![false; rules.rules.len()];
    for (index, range) in trace.sentences.iter().enumerate() {
        let sentence = &trace.normalized.text[range.clone()];
        // People see the sentence as they wrote it; spans map back to it.
        let original_start = trace.normalized.original_offset(range.start);
        let original = &document.text[original_start..trace.normalized.original_offset(range.end)];
        let back =
            |offset: usize| trace.normalized.original_offset(range.start + offset) - original_start;
        out.push_str(&format!(
            "{}sentence {index}{}: {original}\n",
            bold.render(),
            bold.render_reset()
        ));
        for explained in trace.matches.iter().filter(|m| m.sentence == index) {
            let found = &explained.found;
            let rule = &rules.rules[found.rule];
            fired[found.rule] |= explained.kept;
            dropped[found.rule] |= !explained.kept;
            let status = if explained.kept {
                String::new()
            } else {
                " (dropped: overlaps a match of a higher-priority rule)".into()
            };
            out.push_str(&format!(
                "  {}rule {}{}{status}\n",
                green.render(),
                rule.name,
                green.render_reset()
            ));
            let (start, end) = (back(found.span.start), back(found.span.end));
            out.push_str(&format!(
                "    {original}\n    {}{}\n",
                " ".repeat(original[..start].width()),
                "^".repeat(original[start..end].width().max(1))
            ));
            for (capture, span) in rule.captures.iter().zip(&found.captures) {
                if let Some(span) = span {
                    out.push_str(&format!(
                        "    ${} = {}\n",
                        capture.name,
                        &sentence[span.clone()]
                    ));
                }
            }
            for (entity, span) in &found.entities {
                out.push_str(&format!(
                    "    {}{} mention: {}{}\n",
                    dim.render(),
                    rules.entities[entity.0].name,
                    &sentence[span.clone()],
                    dim.render_reset()
                ));
            }
            for fact in &explained.facts {
                let triple = &fact.triple;
                out.push_str(&format!(
                    "    => {} {} {}\n",
                    short(&triple.subject.to_string()),
                    short(&triple.predicate.to_string()),
                    short(&triple.object.to_string())
                ));
            }
        }
        for (_, rejection) in trace.rejections.iter().filter(|(s, _)| *s == index) {
            let rule = &rules.rules[rejection.rule];
            out.push_str(&format!(
                "  {}rule {} rejected \"{}\": {}{}\n",
                dim.render(),
                rule.name,
                &sentence[rejection.span.clone()],
                rejection.reason,
                dim.render_reset()
            ));
        }
    }
    let silent: Vec<usize> = (0..rules.rules.len())
        .filter(|&rule| !fired[rule] && !dropped[rule])
        .collect();
    for rule in (0..rules.rules.len()).filter(|&rule| !fired[rule] && dropped[rule]) {
        out.push_str(&format!(
            "{}rule {} matched, but every match lost to a higher-priority rule{}\n",
            dim.render(),
            rules.rules[rule].name,
            dim.render_reset()
        ));
    }
    if !silent.is_empty() {
        out.push_str(&format!(
            "{}rules that did not fire{}:\n",
            bold.render(),
            bold.render_reset()
        ));
    }
    for rule in silent {
        let name = &rules.rules[rule].name;
        let triggered: Vec<usize> = trace
            .candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.contains(&rule))
            .map(|(i, _)| i)
            .collect();
        if triggered.is_empty() {
            out.push_str(&format!(
                "  {name}: the text lacks words it needs (a word of each of its trigger sets)\n"
            ));
            continue;
        }
        let mut best: Option<(usize, usize, usize, std::ops::Range<usize>)> = None;
        for &index in &triggered {
            let sentence = &trace.normalized.text[trace.sentences[index].clone()];
            if let Some((parts, total, span)) =
                extractor.matcher().longest_partial(rules, rule, sentence)
            {
                if best.as_ref().is_none_or(|(p, ..)| parts > *p) {
                    best = Some((parts, total, index, span));
                }
            }
        }
        match best {
            Some((parts, total, index, span)) => {
                let sentence = &trace.normalized.text[trace.sentences[index].clone()];
                out.push_str(&format!("  {name}: got through {parts} of {total} parts of its pattern, as far as \"{}\" (sentence {index})\n", &sentence[span]));
            }
            None => out.push_str(&format!("  {name}: a trigger word is there, but not even the first part of the pattern matches\n")),
        }
    }
    out
}
