//! What `kgrep try` and the REPL's `.try` show about a text: every match,
//! capture, mention and triple, and how far the rules that did not fire got.

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthStr;

use super::rules::shorten;
use kgrep::extract::Document;
use kgrep::rules::{Pattern, RuleSet};
use kgrep::source::SourceMap;

/// What to show.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The year of dates written without one.
    pub year: Option<i32>,
    /// Only these rules (indexes); all when empty.
    pub only: Vec<usize>,
}

/// What `kgrep try` (and the REPL's `.try`) shows about `text`; `sources`
/// holds the rule files, to quote and locate the `where` that rejected a
/// candidate.
pub fn explain(
    extractor: &kgrep::extract::Extractor,
    sources: &SourceMap,
    text: &str,
    options: &Options,
) -> String {
    let text = text.to_owned();
    let year = options.year;
    let shown = |rule: usize| options.only.is_empty() || options.only.contains(&rule);
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
        if sentence != original {
            out.push_str(&format!(
                "  {}normalised (what the rules see): {sentence}{}\n",
                dim.render(),
                dim.render_reset()
            ));
        }
        for explained in trace
            .matches
            .iter()
            .filter(|m| m.sentence == index && shown(m.found.rule))
        {
            let found = &explained.found;
            let rule = &rules.rules[found.rule];
            fired[found.rule] |= explained.kept;
            dropped[found.rule] |= !explained.kept;
            let excluder = trace.matches.iter().find(|other| {
                other.sentence == index
                    && other.kept
                    && rules.rules[other.found.rule].excludes.contains(&found.rule)
                    && other.found.span.start < found.span.end
                    && found.span.start < other.found.span.end
            });
            let status = match (explained.kept, excluder) {
                (true, _) => String::new(),
                (false, Some(other)) => format!(
                    " (dropped: excluded by rule {})",
                    rules.rules[other.found.rule].name
                ),
                (false, None) => " (dropped: overlaps a match of a higher-priority rule)".into(),
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
        for (_, rejection) in trace
            .rejections
            .iter()
            .filter(|(s, r)| *s == index && shown(r.rule))
        {
            let rule = &rules.rules[rejection.rule];
            let written = rejection.constraint.map(|origin| {
                let file = sources.file(origin.file);
                let at = file.line_col(origin.span.start);
                format!(
                    " — `{}` ({}:{}:{})",
                    file.slice(origin.span).trim(),
                    file.name,
                    at.line,
                    at.column
                )
            });
            out.push_str(&format!(
                "  {}rule {} rejected \"{}\": {}{}{}\n",
                dim.render(),
                rule.name,
                &sentence[rejection.span.clone()],
                rejection.reason,
                written.unwrap_or_default(),
                dim.render_reset()
            ));
        }
    }
    let silent: Vec<usize> = (0..rules.rules.len())
        .filter(|&rule| !fired[rule] && !dropped[rule] && shown(rule))
        .collect();
    for rule in (0..rules.rules.len()).filter(|&rule| !fired[rule] && dropped[rule] && shown(rule))
    {
        out.push_str(&format!(
            "{}rule {} matched, but every match lost to a higher-priority or excluding rule{}\n",
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
            let sets = extractor.matcher().trigger_sets(rule);
            // A trigger counts inside one sentence (a ". " across two is none).
            let in_a_sentence = |word: &String| {
                trace
                    .sentences
                    .iter()
                    .any(|range| trace.normalized.text[range.clone()].contains(word.as_str()))
            };
            let missing: Vec<String> = sets
                .iter()
                .filter(|set| !set.iter().any(in_a_sentence))
                .map(|set| words(set, rules))
                .collect();
            if missing.is_empty() {
                let all: Vec<String> = sets.iter().map(|set| words(set, rules)).collect();
                out.push_str(&format!(
                    "  {name}: no sentence holds all the words it needs: {}\n",
                    all.join("; and ")
                ));
            } else {
                out.push_str(&format!(
                    "  {name}: the text lacks words it needs: {}\n",
                    missing.join("; and ")
                ));
            }
            continue;
        }
        let mut best: Option<(usize, usize, usize, std::ops::Range<usize>)> = None;
        for &index in &triggered {
            let sentence = &trace.normalized.text[trace.sentences[index].clone()];
            if let Some((parts, total, span)) =
                extractor.matcher().longest_partial(rules, rule, sentence)
                && best.as_ref().is_none_or(|(p, ..)| parts > *p)
            {
                best = Some((parts, total, index, span));
            }
        }
        match best {
            Some((parts, total, index, span)) => {
                let sentence = &trace.normalized.text[trace.sentences[index].clone()];
                let next = match &rules.rules[rule].pattern {
                    Pattern::Concat(items) if parts < items.len() => {
                        format!("; then it expected {}", describe(&items[parts], rules))
                    }
                    _ => String::new(),
                };
                out.push_str(&format!("  {name}: got through {parts} of {total} parts of its pattern, as far as \"{}\" (sentence {index}){next}\n", &sentence[span]));
            }
            None => out.push_str(&format!("  {name}: a trigger word is there, but not even the first part of the pattern matches\n")),
        }
    }
    out
}

/// A trigger set in words: its literals (the first few) and the lexicon it
/// is, when it is one.
fn words(set: &[String], rules: &RuleSet) -> String {
    const SHOWN: usize = 6;
    let mut listed: Vec<String> = set.iter().take(SHOWN).map(|w| format!("“{w}”")).collect();
    if set.len() > SHOWN {
        listed.push(format!("… ({} words)", set.len()));
    }
    let lexicon = rules.lexicons.iter().find(|lexicon| {
        let mut entries: Vec<String> = lexicon
            .entries
            .iter()
            .map(|entry| kgrep::text::normalize_str(&entry.text))
            .collect();
        entries.sort();
        entries.dedup();
        entries == set
    });
    let from = lexicon
        .map(|l| format!(" (lexicon {})", l.name))
        .unwrap_or_default();
    format!("one of {}{from}", listed.join(", "))
}

/// A part of a pattern in words, for "it expected …".
fn describe(pattern: &Pattern, rules: &RuleSet) -> String {
    match pattern {
        Pattern::Literal(text) => format!("“{text}”"),
        Pattern::LiteralNoCase(text) => format!("“{text}” in any case"),
        Pattern::WordBoundary { negated: false } => "a word boundary".into(),
        Pattern::WordBoundary { negated: true } => "no word boundary".into(),
        Pattern::Class(class) if class.ranges().len() <= 4 => {
            let ranges: String = class
                .ranges()
                .iter()
                .map(|r| match r.start() == r.end() {
                    true => r.start().to_string(),
                    false => format!("{}-{}", r.start(), r.end()),
                })
                .collect();
            format!("a character of [{ranges}]")
        }
        Pattern::Class(_) => "a character of its class".into(),
        Pattern::Any => "any character".into(),
        Pattern::Start => "the start of the sentence".into(),
        Pattern::End => "the end of the sentence".into(),
        Pattern::Concat(parts) => parts
            .first()
            .map_or_else(|| "nothing".into(), |first| describe(first, rules)),
        Pattern::Alternation(branches) => {
            let shown: Vec<String> = branches
                .iter()
                .take(4)
                .map(|b| describe(b, rules))
                .collect();
            let more = if branches.len() > 4 { " or …" } else { "" };
            format!("{}{more}", shown.join(" or "))
        }
        Pattern::Repeat { inner, min, max } => {
            let inner = describe(inner, rules);
            match (min, max) {
                (0, Some(1)) => format!("optionally {inner}"),
                (0, None) => format!("any number of {inner}"),
                (1, None) => format!("one or more of {inner}"),
                (min, None) => format!("{min} or more of {inner}"),
                (min, Some(max)) if min == max => format!("{min} of {inner}"),
                (min, Some(max)) => format!("{min} to {max} of {inner}"),
            }
        }
        Pattern::Lexicon(id) => format!("a word of lexicon {}", rules.lexicons[id.0].name),
        Pattern::Entity(id) => format!("a mention of entity type {}", rules.entities[id.0].name),
        Pattern::Capture { inner, .. } => describe(inner, rules),
    }
}
