//! The canonical text of a syntax tree, for `kgrep fmt`.
//!
//! **Invariant:** `parse(print(tree))` gives `tree` back (spans aside), and
//! printing is idempotent; the fuzz target and the test suite check both.
//! Comments stay with the item they precede; a comment inside an item moves
//! to just above it, and one at the end of an item's last line stays there.

use std::fmt::Write as _;

use super::ast::*;

/// The canonical text of `file`, comments included.
pub fn print(file: &File) -> String {
    let mut out = String::new();
    let mut comments = file.comments.iter().peekable();
    let mut previous: Option<(&Item, bool)> = None;
    for (index, item) in file.items.iter().enumerate() {
        let text = item_text(item);
        let one_line = !text.contains('\n');
        let mut leading = Vec::new();
        while let Some(comment) = comments.next_if(|c| c.span.start < item.span.end) {
            leading.push(comment);
        }
        if let Some((before, before_one_line)) = previous {
            let same_group =
                one_line && before_one_line && group(before) == group(item) && leading.is_empty();
            out.push_str(if same_group { "\n" } else { "\n\n" });
        }
        for comment in leading {
            let _ = writeln!(out, "#{}", comment.text);
        }
        out.push_str(&text);
        let next_start = file
            .items
            .get(index + 1)
            .map_or(usize::MAX, |next| next.span.start);
        if let Some(comment) = comments.next_if(|c| c.span.start < next_start && same_line(item, c))
        {
            let _ = write!(out, "  #{}", comment.text);
        }
        previous = Some((item, one_line));
    }
    let rest: Vec<_> = comments.collect();
    if !rest.is_empty() {
        if previous.is_some() {
            out.push_str("\n\n");
        }
        for (index, comment) in rest.iter().enumerate() {
            if index > 0 {
                out.push('\n');
            }
            let _ = write!(out, "#{}", comment.text);
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Whether `comment` ends the last line of `item`.
fn same_line(item: &Item, comment: &Comment) -> bool {
    comment.trailing && comment.span.start >= item.span.end
}

/// Items of one group print without a blank line between them.
fn group(item: &Item) -> u8 {
    match item.kind {
        ItemKind::Prefix(_) | ItemKind::Base(_) => 0,
        ItemKind::Include(_) => 1,
        ItemKind::Lexicon(_) => 2,
        ItemKind::Fragment(_) => 3,
        ItemKind::Entity(_) => 4,
        ItemKind::Rule(_) => 5,
        ItemKind::Test(_) => 6,
    }
}

/// The canonical text of one item, without a final line break.
pub fn item_text(item: &Item) -> String {
    let mut out = String::new();
    match &item.kind {
        ItemKind::Prefix(decl) => {
            let _ = write!(out, "prefix {}: {}", decl.prefix.text, iri(&decl.iri));
        }
        ItemKind::Base(base) => {
            let _ = write!(out, "base {}", iri(base));
        }
        ItemKind::Include(path) => {
            let _ = write!(out, "include {}", string(&path.value));
        }
        ItemKind::Lexicon(decl) => match &decl.source {
            LexiconSource::File(path) => {
                let _ = write!(
                    out,
                    "lexicon {}{} from {}",
                    decl.name.text,
                    ignore_case(decl.ignore_case),
                    string(&path.value)
                );
            }
            LexiconSource::Inline(entries) => {
                let entries: Vec<String> = entries.iter().map(lexicon_entry).collect();
                let flat = entries.join(", ");
                let name = format!("{}{}", decl.name.text, ignore_case(decl.ignore_case));
                if flat.chars().count() + name.chars().count() <= 90 {
                    let _ = write!(out, "lexicon {name} = {flat}");
                } else {
                    let _ = write!(out, "lexicon {} =\n  {}", name, entries.join(",\n  "));
                }
            }
        },
        ItemKind::Fragment(decl) => {
            let _ = write!(
                out,
                "fragment {} = {}",
                decl.name.text,
                pattern(&decl.pattern)
            );
        }
        ItemKind::Entity(decl) => {
            let classes: Vec<String> = decl.classes.iter().map(iri).collect();
            let _ = write!(
                out,
                "entity {} a {} = {}",
                decl.name.text,
                classes.join(", "),
                pattern(&decl.pattern)
            );
            for clause in &decl.clauses {
                out.push_str("\n  ");
                match &clause.kind {
                    EntityClauseKind::Iri(template) => {
                        let _ = write!(out, "iri {}", iri(template));
                    }
                    EntityClauseKind::Label(None) => out.push_str("label"),
                    EntityClauseKind::Label(Some(tag)) => {
                        let _ = write!(out, "label @{}", tag.tag);
                    }
                    EntityClauseKind::Normalize(names) => {
                        let names: Vec<&str> = names.iter().map(|n| n.text.as_str()).collect();
                        let _ = write!(out, "normalize {}", names.join(", "));
                    }
                    EntityClauseKind::Where(constraints) => {
                        out.push_str(&where_clause(constraints))
                    }
                    EntityClauseKind::Priority(value) => {
                        let _ = write!(out, "priority {}", value.value);
                    }
                    EntityClauseKind::Standalone => out.push_str("standalone"),
                }
            }
        }
        ItemKind::Rule(decl) => {
            let _ = write!(out, "rule {} = {}", decl.name.text, pattern(&decl.pattern));
            for clause in &decl.clauses {
                out.push_str("\n  ");
                match &clause.kind {
                    RuleClauseKind::Where(constraints) => out.push_str(&where_clause(constraints)),
                    RuleClauseKind::Priority(value) => {
                        let _ = write!(out, "priority {}", value.value);
                    }
                    RuleClauseKind::Excludes(names) => {
                        let names: Vec<&str> = names.iter().map(|n| n.text.as_str()).collect();
                        let _ = write!(out, "excludes {}", names.join(", "));
                    }
                }
            }
            for template in &decl.templates {
                let _ = write!(
                    out,
                    "\n  => {} {} {}",
                    term(&template.subject),
                    term(&template.predicate),
                    term(&template.object)
                );
            }
        }
        ItemKind::Test(decl) => {
            let _ = write!(
                out,
                "test {} {}",
                decl.rule.text,
                string(&decl.sentence.value)
            );
            for expectation in &decl.expectations {
                let arrow = if expectation.negated { "!=>" } else { "=>" };
                let terms: Vec<String> = expectation.terms.iter().map(test_term).collect();
                let _ = write!(out, "\n  {arrow} {}", terms.join(" "));
            }
        }
    }
    out
}

fn lexicon_entry(entry: &LexiconEntry) -> String {
    match &entry.target {
        None => string(&entry.text.value),
        Some(EntryTarget::Canonical(canonical)) => {
            format!(
                "{} -> {}",
                string(&entry.text.value),
                string(&canonical.value)
            )
        }
        Some(EntryTarget::Iri(target)) => {
            format!("{} -> {}", string(&entry.text.value), iri(target))
        }
    }
}

fn where_clause(constraints: &[Constraint]) -> String {
    let constraints: Vec<String> = constraints.iter().map(constraint).collect();
    format!("where {}", constraints.join(", "))
}

fn constraint(constraint: &Constraint) -> String {
    let not = |negated: bool| if negated { "not " } else { "" };
    match &constraint.kind {
        ConstraintKind::In {
            subject: s,
            negated,
            lexicon,
        } => {
            format!("{} {}in {}", subject(s), not(*negated), lexicon.text)
        }
        ConstraintKind::Match {
            subject: s,
            negated,
            mode,
            pattern: p,
        } => {
            let mode = match mode {
                MatchMode::Matches => "matches",
                MatchMode::Contains => "contains",
            };
            format!("{} {}{mode} {}", subject(s), not(*negated), pattern(p))
        }
        ConstraintKind::Length {
            subject: s,
            op,
            value,
        } => {
            format!("len({}) {} {}", subject(s), op.as_str(), value.value)
        }
        ConstraintKind::Context {
            subject: s,
            negated,
            side,
            pattern: p,
        } => {
            let side = match side {
                Side::Before => "preceded by",
                Side::After => "followed by",
            };
            let subject = s.as_ref().map(|s| subject(s) + " ").unwrap_or_default();
            format!("{subject}{}{side} {}", not(*negated), pattern(p))
        }
        ConstraintKind::Any(alternatives) => {
            let alternatives: Vec<String> = alternatives.iter().map(self::constraint).collect();
            alternatives.join(" or ")
        }
    }
}

fn ignore_case(ignore: bool) -> &'static str {
    if ignore { " ignore case" } else { "" }
}

fn subject(subject: &Subject) -> String {
    match subject {
        Subject::Capture(name) => format!("${}", name.text),
        Subject::Text(_) => "text".to_owned(),
    }
}

/// The canonical text of a pattern.
pub fn pattern(pattern: &Pattern) -> String {
    let mut out = String::new();
    write_pattern(&mut out, pattern);
    out
}

fn write_pattern(out: &mut String, pattern: &Pattern) {
    match &pattern.kind {
        PatternKind::Alternation(branches) => {
            for (index, branch) in branches.iter().enumerate() {
                if index > 0 {
                    out.push_str(" | ");
                }
                write_pattern(out, branch);
            }
        }
        PatternKind::Sequence(parts) => {
            for (index, part) in parts.iter().enumerate() {
                if index > 0 {
                    out.push(' ');
                }
                write_pattern(out, part);
            }
        }
        PatternKind::Repeat { inner, min, max } => {
            write_pattern(out, inner);
            let _ = match (min, max) {
                (0, Some(1)) => write!(out, "?"),
                (0, None) => write!(out, "*"),
                (1, None) => write!(out, "+"),
                (min, None) => write!(out, "{{{min},}}"),
                (min, Some(max)) if min == max => write!(out, "{{{min}}}"),
                (min, Some(max)) => write!(out, "{{{min},{max}}}"),
            };
        }
        PatternKind::Literal(text) => out.push_str(&string(text)),
        PatternKind::LiteralNoCase(text) => {
            out.push_str(&string(text));
            out.push('i');
        }
        PatternKind::WordBoundary { negated } => out.push_str(if *negated { "\\B" } else { "\\b" }),
        PatternKind::Class(class) => write_class(out, class),
        PatternKind::Any => out.push('.'),
        PatternKind::Start => out.push('^'),
        PatternKind::End => out.push('$'),
        PatternKind::Group(inner) => {
            out.push('(');
            write_pattern(out, inner);
            out.push(')');
        }
        PatternKind::Capture { name, target } => {
            let _ = write!(out, "${}:", name.text);
            match target {
                CaptureTarget::Name(target) => out.push_str(&target.text),
                CaptureTarget::Pattern(inner) => {
                    out.push('(');
                    write_pattern(out, inner);
                    out.push(')');
                }
            }
        }
        PatternKind::Reference(name) => out.push_str(&name.text),
    }
}

fn write_class(out: &mut String, class: &Class) {
    match class {
        Class::Escape(escape) => write_class_escape(out, escape),
        Class::Bracket { negated, items } => {
            out.push('[');
            if *negated {
                out.push('^');
            }
            for item in items {
                match item {
                    ClassItem::Char(c) => write_class_char(out, *c),
                    ClassItem::Range(low, high) => {
                        write_class_char(out, *low);
                        out.push('-');
                        write_class_char(out, *high);
                    }
                    ClassItem::Escape(escape) => write_class_escape(out, escape),
                }
            }
            out.push(']');
        }
    }
}

fn write_class_escape(out: &mut String, escape: &ClassEscape) {
    let letter = |negated: bool, c: char| if negated { c.to_ascii_uppercase() } else { c };
    let _ = match escape {
        ClassEscape::Digit { negated } => write!(out, "\\{}", letter(*negated, 'd')),
        ClassEscape::Word { negated } => write!(out, "\\{}", letter(*negated, 'w')),
        ClassEscape::Space { negated } => write!(out, "\\{}", letter(*negated, 's')),
        ClassEscape::Property { negated, name, .. } => {
            write!(out, "\\{}{{{name}}}", letter(*negated, 'p'))
        }
    };
}

fn write_class_char(out: &mut String, c: char) {
    match c {
        '\\' | ']' | '[' | '-' | '^' => {
            out.push('\\');
            out.push(c);
        }
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if c.is_control() || c.is_whitespace() && c != ' ' => {
            let _ = write!(out, "\\u{{{:X}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// A string literal with the escapes it needs.
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An IRI as written.
pub fn iri(iri: &Iri) -> String {
    match iri {
        Iri::Full { text, .. } => format!("<{text}>"),
        Iri::Prefixed { prefix, local, .. } => format!("{}:{local}", prefix.text),
    }
}

fn annotation(annotation: &Option<Annotation>) -> String {
    match annotation {
        None => String::new(),
        Some(Annotation::Lang(tag)) => format!("@{}", tag.tag),
        Some(Annotation::Datatype(datatype)) => format!("^^{}", iri(datatype)),
    }
}

fn literal(literal: &Literal) -> String {
    match literal {
        Literal::String {
            value,
            annotation: a,
            ..
        } => format!("{}{}", string(&value.value), annotation(a)),
        Literal::Integer { text, .. } | Literal::Decimal { text, .. } => text.clone(),
        Literal::Boolean { value, .. } => value.to_string(),
    }
}

fn term(term: &Term) -> String {
    match term {
        Term::Capture {
            name,
            pipes,
            annotation: a,
            ..
        } => {
            let mut out = format!("${}", name.text);
            for pipe in pipes {
                let _ = write!(out, "|{}", pipe.text);
            }
            out.push_str(&annotation(a));
            out
        }
        Term::Iri(value) => iri(value),
        Term::A(_) => "a".to_owned(),
        Term::Literal(value) => literal(value),
    }
}

fn test_term(term: &TestTerm) -> String {
    match term {
        TestTerm::Iri(value) => iri(value),
        TestTerm::A(_) => "a".to_owned(),
        TestTerm::Literal(value) => literal(value),
        TestTerm::Any(_) => "_".to_owned(),
    }
}
