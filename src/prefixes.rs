//! Shortening IRIs with a prefix table so a person can paste the result back:
//! a prefixed name only when SPARQL and Turtle accept it as written
//! (`PN_LOCAL`, SPARQL 1.1 §19.8 and Turtle §6.5, which agree), the full
//! `<…>` otherwise. JSON-LD compact IRIs are looser and have their own rule.

/// The prefixed name for `iri`: the longest namespace in `prefixes` whose
/// rest of the IRI is a valid local name, as `prefix:local`.
pub fn prefixed_name(iri: &str, prefixes: &[(String, String)]) -> Option<String> {
    prefixes
        .iter()
        .filter(|(prefix, namespace)| {
            is_prefix_name(prefix)
                && iri
                    .strip_prefix(namespace.as_str())
                    .is_some_and(is_local_name)
        })
        .max_by_key(|(_, namespace)| namespace.len())
        .map(|(prefix, namespace)| format!("{prefix}:{}", &iri[namespace.len()..]))
}

/// `<iri>` as a person writes it in SPARQL or Turtle: a prefixed name when
/// one is valid, else the IRI in angle brackets.
pub fn sparql_iri(iri: &str, prefixes: &[(String, String)]) -> String {
    prefixed_name(iri, prefixes).unwrap_or_else(|| format!("<{iri}>"))
}

/// The JSON-LD compact IRI for `iri` (JSON-LD 1.1 §4.1.5): any rest that
/// does not start with `//` and is not empty, with the longest namespace
/// that JSON-LD 1.1 takes as a prefix (one ending in a gen-delim).
pub fn compact_iri(iri: &str, prefixes: &[(String, String)]) -> Option<String> {
    prefixes
        .iter()
        .filter(|(prefix, namespace)| {
            is_prefix_name(prefix)
                && !prefix.is_empty()
                && namespace.ends_with([':', '/', '?', '#', '[', ']', '@'])
                && iri
                    .strip_prefix(namespace.as_str())
                    .is_some_and(|rest| !rest.is_empty() && !rest.starts_with("//"))
        })
        .max_by_key(|(_, namespace)| namespace.len())
        .map(|(prefix, namespace)| format!("{prefix}:{}", &iri[namespace.len()..]))
}

/// Whether `name` is a `PN_PREFIX` (or empty, the default prefix).
pub fn is_prefix_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    is_base(first) && !name.ends_with('.') && chars.all(|c| is_name_char(c) || c == '.')
}

/// Whether `local` is a `PN_LOCAL` written without backslash escapes
/// (percent escapes `%XX` are part of the grammar and stay).
pub fn is_local_name(local: &str) -> bool {
    let bytes = local.as_bytes();
    let mut chars = local.char_indices().peekable();
    let mut last = None;
    while let Some((at, c)) = chars.next() {
        let ok = match c {
            '%' => {
                let hex = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(at + 1) && hex(at + 2)) {
                    return false;
                }
                chars.next();
                chars.next();
                true
            }
            ':' => true,
            '0'..='9' if at == 0 => true,
            '.' => at != 0,
            c if at == 0 => is_base(c) || c == '_',
            c => is_name_char(c),
        };
        if !ok {
            return false;
        }
        last = Some(c);
    }
    last != Some('.')
}

/// `PN_CHARS_BASE`.
fn is_base(c: char) -> bool {
    matches!(c,
        'A'..='Z' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// `PN_CHARS`.
fn is_name_char(c: char) -> bool {
    is_base(c)
        || matches!(c, '_' | '-' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<(String, String)> {
        [
            ("ex", "http://kgrep.example/zh/"),
            ("team", "http://kgrep.example/zh/team/"),
        ]
        .iter()
        .map(|(p, n)| (p.to_string(), n.to_string()))
        .collect()
    }

    #[test]
    fn local_names_follow_the_sparql_grammar() {
        for good in [
            "辽宁医疗队",
            "Acme%20Corp",
            "a.b",
            "2020",
            "_x",
            "a:b",
            "",
            "党员协查、服务",
        ] {
            assert!(is_local_name(good), "{good}");
        }
        for bad in [
            "a/b",
            "a.",
            ".a",
            "-a",
            "a b",
            "%2",
            "%zz",
            "“队”",
            "a#b",
            "a(b)",
        ] {
            assert!(!is_local_name(bad), "{bad}");
        }
    }

    #[test]
    fn iris_shorten_only_to_names_that_parse() {
        let prefixes = table();
        let team = "http://kgrep.example/zh/team/辽宁医疗队";
        assert_eq!(
            prefixed_name(team, &prefixes).as_deref(),
            Some("team:辽宁医疗队")
        );
        let org = "http://kgrep.example/zh/org/中国五矿";
        assert_eq!(sparql_iri(org, &prefixes), format!("<{org}>"));
        assert_eq!(
            compact_iri(org, &prefixes).as_deref(),
            Some("ex:org/中国五矿")
        );
        assert_eq!(
            sparql_iri("http://kgrep.example/zh/formed", &prefixes),
            "ex:formed"
        );
    }
}
