//! When is a statement complete? SPARQL uses `;` itself, so a statement ends
//! when its brackets, strings and IRIs are closed and it parses — or fails to
//! parse somewhere before its end (then it is complete, and wrong). A
//! dot-command (or a psql-style `\x`) is one line.

/// Whether `text` is a complete statement (or dot-command).
pub fn is_complete(text: &str) -> bool {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return false;
    }
    if trimmed.starts_with('.') || trimmed.starts_with('\\') {
        return true;
    }
    // A statement that does not start with a SPARQL keyword is wrong, not
    // unfinished: it must not swallow the lines after it.
    let first = trimmed
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .next()
        .unwrap_or("");
    if first.chars().all(|c| c.is_ascii_alphabetic())
        && !first.is_empty()
        && !crate::ui::results::LEADING_KEYWORDS.contains(&first.to_ascii_uppercase().as_str())
    {
        return true;
    }
    if !balanced(text) {
        return false;
    }
    // Prefixes are the session's business; here any prefix is known, so
    // `DESCRIBE ex:Team` is as complete as `DESCRIBE <http://…/Team>`.
    match evaluator(text).parse_query(text) {
        Ok(_) => true,
        Err(query_error) => {
            if evaluator(text).parse_update(text).is_ok() {
                return true;
            }
            // A closed group pattern ends a SELECT, ASK or DESCRIBE, and any
            // statement with its WHERE (or DATA) block: what follows cannot
            // mend an error inside it, whatever place the parser names.
            let code: String = text
                .lines()
                .map(|line| line.split('#').next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            let upper = code.to_ascii_uppercase();
            let ends_group = code.trim_end().ends_with('}')
                && (matches!(
                    first.to_ascii_uppercase().as_str(),
                    "SELECT" | "ASK" | "DESCRIBE"
                ) || upper.contains("WHERE")
                    || upper.contains("DATA"));
            // Else an error at the very end means "more to come".
            ends_group || !error_at_end(&query_error.to_string(), text)
        }
    }
}

/// Whether brackets, strings and IRIs are all closed (comments skipped).
pub fn balanced(text: &str) -> bool {
    let mut depth: i64 = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        break;
                    }
                }
            }
            '"' | '\'' => {
                let long = chars.peek() == Some(&c) && {
                    let mut ahead = chars.clone();
                    ahead.next();
                    ahead.peek() == Some(&c)
                };
                if long {
                    chars.next();
                    chars.next();
                }
                let mut run = 0;
                let mut closed = false;
                while let Some(next) = chars.next() {
                    if next == '\\' {
                        chars.next();
                        run = 0;
                        continue;
                    }
                    if next == c {
                        run += 1;
                        if !long || run == 3 {
                            closed = true;
                            break;
                        }
                    } else {
                        if !long && next == '\n' {
                            return false;
                        }
                        run = 0;
                    }
                }
                if !closed {
                    return false;
                }
            }
            '<' => {
                // An IRI when a `>` comes before any white space; else "less than".
                let ahead: String = chars.clone().take_while(|c| !c.is_whitespace()).collect();
                match ahead.find('>') {
                    Some(end) => {
                        for _ in 0..ahead[..=end].chars().count() {
                            chars.next();
                        }
                    }
                    // `<http://…` running to the end of the text: an IRI still being typed.
                    None if !ahead.is_empty()
                        && !ahead.starts_with('=')
                        && chars.clone().nth(ahead.chars().count()).is_none() =>
                    {
                        return false;
                    }
                    None => {}
                }
            }
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
    }
    depth <= 0
}

/// Whether the parser's error (`error at L:C: …`) is at the end of `text`.
fn error_at_end(message: &str, text: &str) -> bool {
    let Some(at) = message.find("at ") else {
        return false;
    };
    let rest = &message[at + 3..];
    let Some((line, rest)) = rest.split_once(':') else {
        return false;
    };
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let (Ok(line), Ok(column)) = (line.trim().parse::<usize>(), column.parse::<usize>()) else {
        return false;
    };
    let trimmed = text.trim_end();
    let last_line = trimmed.lines().count().max(1);
    let last_length = trimmed.lines().last().map_or(0, |l| l.chars().count());
    line > last_line || (line == last_line && column > last_length)
}

/// Splits a script (piped standard input, `.read FILE`) into statements. A
/// complete statement still takes the next line when the two together parse
/// (`ORDER BY` on its own line continues a query).
pub fn split_script(script: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = script.lines().collect();
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut first_line = 0;
    for (index, line) in lines.iter().enumerate() {
        if current.trim().is_empty()
            && (line.trim().is_empty() || line.trim_start().starts_with('#'))
        {
            continue;
        }
        if current.is_empty() {
            first_line = index + 1;
        }
        current.push_str(line);
        current.push('\n');
        if !is_complete(&current) {
            continue;
        }
        let next = lines[index + 1..]
            .iter()
            .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        let continues = !current.trim_start().starts_with('.')
            && next.is_some_and(|next| {
                !next.trim_start().starts_with('.') && parses(&format!("{current}{next}\n"))
            });
        if !continues {
            statements.push((first_line, std::mem::take(&mut current).trim().to_owned()));
        }
    }
    if !current.trim().is_empty() {
        statements.push((first_line, current.trim().to_owned()));
    }
    statements
}

/// The first operation of `update` that removes data wholesale (CLEAR,
/// DROP, MOVE, COPY, LOAD, or `DELETE WHERE`), as its words: what the REPL
/// asks about before running it on a terminal.
pub fn destructive_operation(update: &str) -> Option<String> {
    let mut words: Vec<String> = Vec::new();
    let mut operations = Vec::new();
    for word in update
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
    {
        for (index, piece) in word.split(';').enumerate() {
            if index > 0 {
                operations.push(std::mem::take(&mut words));
            }
            if !piece.is_empty() {
                words.push(piece.to_owned());
            }
        }
    }
    operations.push(words);
    operations.into_iter().find_map(|words| {
        // PREFIX p: <…> and BASE <…> come before the operation.
        let mut rest: &[String] = &words;
        let upper = |word: Option<&String>| word.map(|w| w.to_ascii_uppercase());
        loop {
            match upper(rest.first()).as_deref() {
                Some("PREFIX") => rest = rest.get(3..).unwrap_or(&[]),
                Some("BASE") => rest = rest.get(2..).unwrap_or(&[]),
                _ => break,
            }
        }
        let first = upper(rest.first())?;
        let destructive = matches!(first.as_str(), "CLEAR" | "DROP" | "MOVE" | "COPY" | "LOAD")
            || (first == "DELETE" && upper(rest.get(1)).is_some_and(|w| w.starts_with("WHERE")));
        destructive.then(|| rest.iter().take(3).cloned().collect::<Vec<_>>().join(" "))
    })
}

fn parses(text: &str) -> bool {
    evaluator(text).parse_query(text).is_ok() || evaluator(text).parse_update(text).is_ok()
}

/// A SPARQL parser that knows every prefix `text` seems to use (the session
/// declares them; here only the shape of the statement matters).
fn evaluator(text: &str) -> oxigraph::sparql::SparqlEvaluator {
    let mut evaluator = oxigraph::sparql::SparqlEvaluator::new();
    let mut seen = std::collections::HashSet::new();
    let bytes = text.as_bytes();
    for (index, _) in text.match_indices(':') {
        let start = bytes[..index]
            .iter()
            .rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
            .map_or(0, |i| i + 1);
        let prefix = &text[start..index];
        let inside_iri = start > 0 && bytes[start - 1] == b'<';
        if !inside_iri
            && seen.insert(prefix)
            && let Ok(with) = evaluator.clone().with_prefix(prefix, "urn:kgrep:any:")
        {
            evaluator = with;
        }
    }
    evaluator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_when_they_parse_not_on_semicolons() {
        assert!(!is_complete("SELECT ?s WHERE {"));
        assert!(!is_complete("SELECT ?s WHERE { ?s ex:p ?o ;"));
        assert!(!is_complete("SELECT ?s"));
        assert!(is_complete(
            "PREFIX ex: <http://e/> SELECT ?s WHERE { ?s ex:p ?o ; ex:q ?r }"
        ));
        assert!(is_complete(".mode csv"));
        assert!(!is_complete("SELECT * WHERE { ?s ?p \"an unclosed"));
        assert!(
            is_complete("SELEKT * WHERE { ?s ?p ?o }"),
            "wrong before its end: complete, and an error"
        );
        assert!(is_complete("SELECT * WHERE { ?s ?p ?o FILTER(?o < 3) }"));
        assert!(
            is_complete("SELECT ?x WHERE {\n  ?x ex:p ?t .\n  FILTER(?t = )\n}\n"),
            "a closed WHERE with an error inside is complete, and wrong"
        );
        assert!(!is_complete("CONSTRUCT { ?s ?p ?o }"));
    }

    #[test]
    fn every_query_form_completes_with_undeclared_prefixes_too() {
        for complete in [
            "DESCRIBE ex:Team",
            "DESCRIBE <http://e/Team>",
            "DESCRIBE ?t WHERE { ?t a ex:Team }",
            "CONSTRUCT WHERE { ?s ex:p ?o }",
            "CONSTRUCT { ?s ex:q ?o } WHERE { ?s ex:p ?o }",
            "ASK { ?s ex:p ?o }",
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ex:p ?o }",
            "INSERT DATA { ex:a ex:b ex:c }",
            "DELETE WHERE { ?s ex:p ?o }",
            "CLEAR ALL",
        ] {
            assert!(is_complete(complete), "{complete}");
        }
        for incomplete in [
            "DESCRIBE",
            "CONSTRUCT { ?s ex:q ?o }",
            "ASK",
            "INSERT DATA {",
        ] {
            assert!(!is_complete(incomplete), "{incomplete}");
        }
    }

    #[test]
    fn scripts_split_into_statements() {
        let script = ".mode csv\nSELECT ?s\nWHERE { ?s ?p ?o ;\n ?q ?r }\nORDER BY ?s\n# a comment\nASK {}\nASK { ?s ?p ?o }\n";
        let statements: Vec<(usize, String)> = [
            (1, ".mode csv"),
            (2, "SELECT ?s\nWHERE { ?s ?p ?o ;\n ?q ?r }\nORDER BY ?s"),
            (7, "ASK {}"),
            (8, "ASK { ?s ?p ?o }"),
        ]
        .iter()
        .map(|(line, text)| (*line, text.to_string()))
        .collect();
        assert_eq!(split_script(script), statements);
    }

    #[test]
    fn destructive_updates_are_named() {
        for (update, expected) in [
            ("clear all", Some("clear all")),
            (
                "PREFIX ex: <http://e/> DROP GRAPH ex:g",
                Some("DROP GRAPH ex:g"),
            ),
            ("DELETE WHERE { ?s ?p ?o }", Some("DELETE WHERE {")),
            (
                "INSERT DATA { <a> <b> <c> } ; CLEAR DEFAULT",
                Some("CLEAR DEFAULT"),
            ),
            ("LOAD <http://e/data.ttl>", Some("LOAD <http://e/data.ttl>")),
            ("DELETE { ?s ex:p ?o } WHERE { ?s ex:p ?o }", None),
            ("DELETE DATA { <a> <b> <c> }", None),
            ("INSERT DATA { <a> <b> \"clear\" }", None),
        ] {
            assert_eq!(
                destructive_operation(update).as_deref(),
                expected,
                "{update}"
            );
        }
    }
}
