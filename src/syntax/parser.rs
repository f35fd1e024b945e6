//! The nom parser: rule-file text → [`ast::File`] plus syntax errors.
//!
//! One function per production of `grammar/kgr.ebnf`, named after it. The parser
//! is LL(1) in spirit: each production looks at the next token, commits, and
//! reports a precise error (`nom::Err::Failure`) when what follows is wrong.
//! **Invariant:** parsing never fails as a whole: after an error it skips to the
//! next line that starts a declaration and goes on, so one run reports every
//! broken item of a file. It never panics and never recurses deeper than
//! [`MAX_NESTING`] groups.

use std::cell::RefCell;
use std::collections::BTreeMap;

use nom::bytes::complete::{tag, take_while};
use nom::character::complete::{char, digit1, satisfy};
use nom::combinator::{opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Input as _, Parser};
use nom_locate::LocatedSpan;

use super::ast::*;
use crate::span::Span;

/// How deeply groups and captures may nest, so hostile input cannot overflow the stack.
pub const MAX_NESTING: usize = 64;

/// The largest repetition bound a pattern may use.
pub const MAX_REPEAT: u32 = 1000;

/// The keywords of the language; none may be used as a name.
pub const KEYWORDS: &[&str] = &[
    "prefix",
    "base",
    "include",
    "lexicon",
    "from",
    "fragment",
    "entity",
    "rule",
    "test",
    "a",
    "iri",
    "label",
    "normalize",
    "where",
    "priority",
    "not",
    "in",
    "matches",
    "contains",
    "len",
    "text",
    "or",
    "preceded",
    "followed",
    "excludes",
    "standalone",
    "true",
    "false",
    "_",
];

/// The keywords that start a top-level declaration.
pub const ITEM_KEYWORDS: &[&str] = &[
    "prefix", "base", "include", "lexicon", "fragment", "entity", "rule", "test",
];

/// A syntax error: where, what, and what may fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// A stable kebab-case code, such as `unclosed-string`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
    /// A note under the span.
    pub label: String,
    /// A suggestion.
    pub hint: Option<String>,
}

/// Parses a whole rule file. Always returns a tree (of the items that parsed)
/// and every syntax error found.
pub fn parse(text: &str) -> (File, Vec<SyntaxError>) {
    let trivia = Trivia::default();
    let input = In::new_extra(text, &trivia);
    let (items, broken, mut errors) = file(input);
    for error in &mut errors {
        name_full_width(text, error);
    }
    let comments = trivia.comments.into_inner().into_values().collect();
    (
        File {
            items,
            comments,
            broken,
        },
        errors,
    )
}

/// Full-width punctuation (as a Chinese input method types it) and the ASCII
/// character the language needs in its place.
const FULL_WIDTH: &[(char, char, &str)] = &[
    ('：', ':', "colon"),
    ('，', ',', "comma"),
    ('（', '(', "parenthesis"),
    ('）', ')', "parenthesis"),
    ('“', '"', "quotation mark"),
    ('”', '"', "quotation mark"),
    ('；', ';', "semicolon"),
    ('＝', '=', "equals sign"),
    ('＜', '<', "angle bracket"),
    ('＞', '>', "angle bracket"),
    ('｜', '|', "vertical bar"),
    ('＄', '$', "dollar sign"),
    ('［', '[', "bracket"),
    ('］', ']', "bracket"),
    ('｛', '{', "brace"),
    ('｝', '}', "brace"),
];

/// When a syntax error is at (or just after) a full-width punctuation mark,
/// says so and points at it: the usual cause, and one a reader cannot see.
fn name_full_width(text: &str, error: &mut SyntaxError) {
    let start = error.span.start.min(text.len());
    let end = error.span.end.clamp(start, text.len());
    let spanned = text.get(start..end).map_or(0, |t| t.chars().count());
    let window: String = text[start..].chars().take(spanned.max(1) + 2).collect();
    let found = window.char_indices().find_map(|(at, c)| {
        FULL_WIDTH
            .iter()
            .find(|(wide, _, _)| *wide == c)
            .map(|entry| (start + at, entry))
    });
    if let Some((at, (wide, ascii, what))) = found {
        error.code = "full-width-punctuation";
        error.message = format!(
            "`{wide}` is a full-width {what}; the rule language needs the ASCII `{ascii}` here"
        );
        error.span = Span::new(at, at + wide.len_utf8());
        error.label = "full-width".into();
        error.hint = Some(format!(
            "type `{ascii}` (switch the input method to half-width); inside a quoted string `{wide}` is fine"
        ));
    }
}

// ---------------------------------------------------------------- Plumbing

/// Comments met while skipping trivia, by offset (a backtracking parser may
/// skip the same comment twice; the map keeps it once).
#[derive(Default)]
struct Trivia {
    comments: RefCell<BTreeMap<usize, Comment>>,
}

type In<'a> = LocatedSpan<&'a str, &'a Trivia>;
type PResult<'a, T> = IResult<In<'a>, T, PError>;

/// The parser's error type. [`nom::Err::Error`] means "not this production,
/// try another"; [`nom::Err::Failure`] means "this is wrong": it is reported.
#[derive(Debug)]
struct PError(SyntaxError);

impl<'a> ParseError<In<'a>> for PError {
    fn from_error_kind(input: In<'a>, kind: ErrorKind) -> Self {
        PError(SyntaxError {
            code: "syntax",
            message: format!("unexpected {} ({kind:?})", describe(&input)),
            span: Span::point(offset(&input)),
            label: String::new(),
            hint: None,
        })
    }

    fn append(_: In<'a>, _: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        if other.0.span.start >= self.0.span.start {
            other
        } else {
            self
        }
    }
}

/// Builds a reported error.
struct Fail {
    error: SyntaxError,
}

impl Fail {
    fn new(code: &'static str, span: Span, message: impl Into<String>) -> Fail {
        Fail {
            error: SyntaxError {
                code,
                message: message.into(),
                span,
                label: String::new(),
                hint: None,
            },
        }
    }

    /// "expected X, found Y" at the input.
    fn expected(input: &In, what: &str) -> Fail {
        let found = describe(input);
        Fail::new(
            "syntax",
            token_span(input),
            format!("expected {what}, found {found}"),
        )
    }

    fn label(mut self, label: impl Into<String>) -> Fail {
        self.error.label = label.into();
        self
    }

    fn hint(mut self, hint: impl Into<String>) -> Fail {
        self.error.hint = Some(hint.into());
        self
    }

    fn err<T>(self) -> Result<T, nom::Err<PError>> {
        Err(nom::Err::Failure(PError(self.error)))
    }
}

fn offset(input: &In) -> usize {
    input.location_offset()
}

fn span_between(start: &In, end: &In) -> Span {
    Span::new(offset(start), offset(end))
}

fn peek(input: &In) -> Option<char> {
    input.fragment().chars().next()
}

fn starts_with(input: &In, text: &str) -> bool {
    input.fragment().starts_with(text)
}

fn advance<'a>(input: In<'a>, bytes: usize) -> In<'a> {
    input.take_from(bytes)
}

/// The span of the token at the start of `input`, for error carets.
fn token_span(input: &In) -> Span {
    let start = offset(input);
    let text = input.fragment();
    let len = if let Some(c) = text.chars().next() {
        if is_name_start(c) {
            text.find(|c: char| !unicode_ident::is_xid_continue(c))
                .unwrap_or(text.len())
        } else {
            c.len_utf8()
        }
    } else {
        0
    };
    Span::new(start, start + len)
}

/// How to name the token at the start of `input` in "found ..." messages.
fn describe(input: &In) -> String {
    let text = input.fragment();
    match text.chars().next() {
        None => "end of file".to_owned(),
        Some('\n') | Some('\r') => "end of line".to_owned(),
        Some(c) if is_name_start(c) => {
            let end = text
                .find(|c: char| !unicode_ident::is_xid_continue(c))
                .unwrap_or(text.len());
            format!("`{}`", &text[..end])
        }
        Some('"') => "a string".to_owned(),
        Some(c) => format!("`{c}`"),
    }
}

/// Skips white space (including the ideographic space) and comments, and
/// records the comments.
fn ws(input: In) -> In {
    let mut rest = input;
    let mut trailing = offset(&input) > 0;
    loop {
        let text = rest.fragment();
        let blank = text.len() - text.trim_start().len();
        trailing &= !text[..blank].contains('\n');
        rest = advance(rest, blank);
        if !starts_with(&rest, "#") {
            return rest;
        }
        let text = rest.fragment();
        let end = text.find('\n').unwrap_or(text.len());
        let body = text[1..end].trim_end_matches('\r').to_owned();
        let start = offset(&rest);
        rest.extra
            .comments
            .borrow_mut()
            .entry(start)
            .or_insert_with(|| Comment {
                text: body,
                span: Span::new(start, start + end),
                trailing,
            });
        trailing = false;
        rest = advance(rest, end);
    }
}

/// `text` after trivia, or a nom error (not reported) if it is not there.
fn token<'a>(input: In<'a>, text: &'static str) -> PResult<'a, Span> {
    let input = ws(input);
    let (rest, matched) = tag(text).parse(input)?;
    Ok((rest, span_between(&matched, &rest)))
}

/// The contextual word `word` after trivia (not a keyword elsewhere), or a
/// reported error saying `what` was expected.
fn expect_word<'a>(input: In<'a>, word: &'static str, what: &str) -> PResult<'a, Span> {
    match peek_word(input) {
        Some((rest, name)) if name.text == word => Ok((rest, name.span)),
        _ => Fail::expected(&ws(input), what).err(),
    }
}

/// `text` after trivia, or a reported error saying so.
fn expect<'a>(input: In<'a>, text: &'static str, what: &str) -> PResult<'a, Span> {
    let input = ws(input);
    match token(input, text) {
        Ok(ok) => Ok(ok),
        Err(_) => Fail::expected(&input, what).err(),
    }
}

fn is_name_start(c: char) -> bool {
    c == '_' || unicode_ident::is_xid_start(c)
}

/// A NAME or keyword (no trivia skipped).
fn identifier(input: In) -> PResult<Name> {
    let (rest, matched) = recognize((
        satisfy(is_name_start),
        take_while(unicode_ident::is_xid_continue),
    ))
    .parse(input)?;
    Ok((
        rest,
        Name {
            text: matched.fragment().to_string(),
            span: span_between(&matched, &rest),
        },
    ))
}

/// The keyword or name at the input, after trivia, without consuming it.
fn peek_word<'a>(input: In<'a>) -> Option<(In<'a>, Name)> {
    identifier(ws(input)).ok()
}

fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// The keyword `word` after trivia (not a longer name that starts with it).
fn keyword<'a>(input: In<'a>, word: &'static str) -> PResult<'a, Span> {
    match peek_word(input) {
        Some((rest, name)) if name.text == word => Ok((rest, name.span)),
        _ => Err(nom::Err::Error(PError::from_error_kind(
            input,
            ErrorKind::Tag,
        ))),
    }
}

/// A NAME (not a keyword), or a reported error naming `what` was expected.
fn name<'a>(input: In<'a>, what: &str) -> PResult<'a, Name> {
    let input = ws(input);
    match identifier(input) {
        Ok((_, found)) if is_keyword(&found.text) => Fail::new(
            "keyword-as-name",
            found.span,
            format!("`{}` is a keyword and cannot be used as a name", found.text),
        )
        .label("keyword")
        .hint(if found.text == "_" {
            "`_` is the wildcard of tests; choose a name such as `x`".to_owned()
        } else {
            format!("choose another name, such as `{}_`", found.text)
        })
        .err(),
        Ok(ok) => Ok(ok),
        Err(_) => Fail::expected(&input, what).err(),
    }
}

// ------------------------------------------------------------------- File

fn file(input: In) -> (Vec<Item>, Vec<BrokenItem>, Vec<SyntaxError>) {
    let mut items = Vec::new();
    let mut broken = Vec::new();
    let mut errors = Vec::new();
    let mut rest = ws(input);
    while !rest.fragment().is_empty() {
        match item(rest) {
            Ok((after, item)) => {
                items.push(item);
                rest = after;
            }
            Err(nom::Err::Failure(PError(error)) | nom::Err::Error(PError(error))) => {
                let resume = recovery_point(&rest, error.span.start.max(offset(&rest) + 1));
                if let Some((after, keyword)) = peek_word(rest)
                    && let Ok((_, name)) = identifier(ws(after))
                {
                    // `entiy Org …` is a broken entity: no "unknown name" for its uses.
                    let keyword = if ITEM_KEYWORDS.contains(&keyword.text.as_str()) {
                        keyword.text
                    } else {
                        crate::diagnostic::did_you_mean(
                            &keyword.text,
                            ITEM_KEYWORDS.iter().copied(),
                        )
                        .map_or(keyword.text, str::to_owned)
                    };
                    broken.push(BrokenItem { keyword, name });
                }
                errors.push(error);
                rest = advance(rest, resume - offset(&rest));
            }
            Err(nom::Err::Incomplete(_)) => {
                unreachable!("complete parsers never ask for more input")
            }
        }
        rest = ws(rest);
    }
    (items, broken, errors)
}

/// The offset of the first declaration keyword at the start of a line, at or
/// after `from` (or the end of the input): where parsing resumes after an error.
fn recovery_point(input: &In, from: usize) -> usize {
    let base = offset(input);
    let text = input.fragment();
    let end = base + text.len();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        let word_at = base + line_start + indent;
        let word: String = line
            .trim_start()
            .chars()
            .take_while(|&c| unicode_ident::is_xid_continue(c))
            .collect();
        if word_at >= from && ITEM_KEYWORDS.contains(&word.as_str()) {
            return word_at;
        }
        line_start += line.len();
    }
    end
}

/// `item = prefix_decl | base_decl | include_decl | lexicon_decl | fragment_decl | entity_decl | rule_decl | test_decl`
fn item(input: In) -> PResult<Item> {
    let input = ws(input);
    let word = peek_word(input).map(|(_, name)| name.text);
    let (rest, kind) = match word.as_deref() {
        Some("prefix") => prefix_decl(input)?,
        Some("base") => base_decl(input)?,
        Some("include") => include_decl(input)?,
        Some("lexicon") => lexicon_decl(input)?,
        Some("fragment") => fragment_decl(input)?,
        Some("entity") => entity_decl(input)?,
        Some("rule") => rule_decl(input)?,
        Some("test") => test_decl(input)?,
        _ => {
            let fail = Fail::expected(
                &input,
                "a declaration (`prefix`, `base`, `include`, `lexicon`, `fragment`, `entity`, `rule` or `test`)",
            )
            .code("expected-declaration");
            let suggestion = word
                .as_deref()
                .and_then(|w| crate::diagnostic::did_you_mean(w, ITEM_KEYWORDS.iter().copied()));
            return match suggestion {
                Some(keyword) => fail.hint(format!("did you mean `{keyword}`?")).err(),
                None => fail.err(),
            };
        }
    };
    Ok((
        rest,
        Item {
            kind,
            span: span_between(&input, &rest),
        },
    ))
}

impl Fail {
    fn code(mut self, code: &'static str) -> Fail {
        self.error.code = code;
        self
    }
}

// ----------------------------------------------------------- Declarations

/// `prefix_decl = "prefix" PNAME_NS IRIREF`
fn prefix_decl(input: In) -> PResult<ItemKind> {
    let (rest, _) = keyword(input, "prefix")?;
    let rest = ws(rest);
    let (after_name, prefix) = match identifier(rest) {
        Ok((after, name)) => (after, name),
        Err(_) => (
            rest,
            Name {
                text: String::new(),
                span: Span::point(offset(&rest)),
            },
        ),
    };
    let Ok((rest, _)) = char::<_, PError>(':').parse(after_name) else {
        return Fail::expected(&rest, "a prefix such as `ex:`")
            .hint("write `prefix ex: <http://example.org/>`")
            .err();
    };
    let rest = ws(rest);
    if peek(&rest) != Some('<') {
        return Fail::expected(&rest, "an IRI in angle brackets")
            .hint("write `prefix ex: <http://example.org/>`")
            .err();
    }
    let (rest, iri) = iri_ref(rest)?;
    Ok((rest, ItemKind::Prefix(PrefixDecl { prefix, iri })))
}

/// `base_decl = "base" IRIREF`
fn base_decl(input: In) -> PResult<ItemKind> {
    let (rest, _) = keyword(input, "base")?;
    let rest = ws(rest);
    if peek(&rest) != Some('<') {
        return Fail::expected(&rest, "an IRI in angle brackets").err();
    }
    let (rest, iri) = iri_ref(rest)?;
    Ok((rest, ItemKind::Base(iri)))
}

/// `include_decl = "include" STRING`
fn include_decl(input: In) -> PResult<ItemKind> {
    let (rest, _) = keyword(input, "include")?;
    let (rest, path) = expect_string(rest, "a file name in quotes")?;
    Ok((rest, ItemKind::Include(path)))
}

/// `lexicon_decl = "lexicon" NAME ( "=" lexicon_entry { "," lexicon_entry } | "from" STRING )`
fn lexicon_decl(input: In) -> PResult<ItemKind> {
    let (rest, _) = keyword(input, "lexicon")?;
    let (rest, name) = name(rest, "a lexicon name")?;
    let (rest, ignore_case) = match keyword(rest, "ignore") {
        Ok((rest, _)) => (expect_word(rest, "case", "`case` after `ignore`")?.0, true),
        Err(_) => (rest, false),
    };
    if let Some((_, word)) = peek_word(rest) {
        let squashed = word.text.to_lowercase().replace('_', "");
        if matches!(
            squashed.as_str(),
            "ignorecase" | "nocase" | "caseinsensitive" | "i"
        ) {
            return Fail::new(
                "syntax",
                word.span,
                format!("`{}` is not part of the language", word.text),
            )
            .label("expected `=` or `from`")
            .hint(format!(
                "write `lexicon {} ignore case = …` (two words)",
                name.text
            ))
            .err();
        }
    }
    if let Ok((rest, _)) = keyword(rest, "from") {
        let (rest, path) = expect_string(rest, "a file name in quotes")?;
        return Ok((
            rest,
            ItemKind::Lexicon(LexiconDecl {
                name,
                ignore_case,
                source: LexiconSource::File(path),
            }),
        ));
    }
    let (mut rest, _) = expect(rest, "=", "`=` and the entries, or `from \"file\"`")?;
    let mut entries = Vec::new();
    loop {
        let (after, entry) = lexicon_entry(rest)?;
        entries.push(entry);
        rest = after;
        match token(rest, ",") {
            Ok((after, _)) => rest = after,
            Err(_) => break,
        }
    }
    Ok((
        rest,
        ItemKind::Lexicon(LexiconDecl {
            name,
            ignore_case,
            source: LexiconSource::Inline(entries),
        }),
    ))
}

/// `lexicon_entry = STRING [ "->" ( STRING | iri ) ]`
fn lexicon_entry(input: In) -> PResult<LexiconEntry> {
    let (rest, text) = expect_string(input, "an entry in quotes")?;
    let Ok((rest, _)) = token(rest, "->") else {
        return Ok((rest, LexiconEntry { text, target: None }));
    };
    let rest = ws(rest);
    let (rest, target) = if peek(&rest) == Some('"') {
        let (rest, canonical) = string(rest)?;
        (rest, EntryTarget::Canonical(canonical))
    } else {
        let (rest, iri) = expect_iri(rest, "a canonical form in quotes or an IRI")?;
        (rest, EntryTarget::Iri(iri))
    };
    Ok((
        rest,
        LexiconEntry {
            text,
            target: Some(target),
        },
    ))
}

/// `fragment_decl = "fragment" NAME "=" pattern`
fn fragment_decl(input: In) -> PResult<ItemKind> {
    let (rest, _) = keyword(input, "fragment")?;
    let (rest, name) = name(rest, "a fragment name")?;
    let (rest, _) = expect(rest, "=", "`=` and a pattern")?;
    let (rest, pattern) = pattern(rest, 0)?;
    Ok((rest, ItemKind::Fragment(FragmentDecl { name, pattern })))
}

/// `entity_decl = "entity" NAME "a" iri { "," iri } "=" pattern { entity_clause }`
fn entity_decl(input: In) -> PResult<ItemKind> {
    let (rest, _) = keyword(input, "entity")?;
    let (rest, name) = name(rest, "an entity type name")?;
    let Ok((rest, _)) = keyword(rest, "a") else {
        return Fail::expected(&ws(rest), "`a` and the entity's RDF class")
            .hint(format!(
                "write `entity {} a ex:{} = ...`",
                name.text, name.text
            ))
            .err();
    };
    let (mut rest, first) = expect_iri(rest, "an RDF class (an IRI)")?;
    let mut classes = vec![first];
    while let Ok((after, _)) = token(rest, ",") {
        let (after, class) = expect_iri(after, "an RDF class (an IRI)")?;
        classes.push(class);
        rest = after;
    }
    let (rest, _) = expect(rest, "=", "`=` and a pattern")?;
    let (mut rest, pattern) = pattern(rest, 0)?;
    let mut clauses = Vec::new();
    while let Some(result) = entity_clause(rest) {
        let (after, clause) = result?;
        clauses.push(clause);
        rest = after;
    }
    Ok((
        rest,
        ItemKind::Entity(EntityDecl {
            name,
            classes,
            pattern,
            clauses,
        }),
    ))
}

/// `entity_clause = "iri" iri | "label" [ LANGTAG ] | "normalize" NAME { "," NAME } | "where" constraint { "," constraint } | "priority" INTEGER`;
/// `None` when no clause starts here.
fn entity_clause(input: In) -> Option<PResult<EntityClause>> {
    let (_, word) = peek_word(input)?;
    let start = ws(input);
    let parsed = |input| -> PResult<EntityClauseKind> {
        Ok(match word.text.as_str() {
            "iri" => {
                let (after, _) = keyword(input, "iri")?;
                let (after, iri) = expect_iri(after, "an IRI template such as `ex:org/{text}`")?;
                (after, EntityClauseKind::Iri(iri))
            }
            "label" => {
                let (after, _) = keyword(input, "label")?;
                let (after, tag) = opt(lang_tag).parse(ws(after))?;
                (after, EntityClauseKind::Label(tag))
            }
            "normalize" => {
                let (after, _) = keyword(input, "normalize")?;
                let (after, names) = name_list(after, "a normaliser such as `strip_quotes`")?;
                (after, EntityClauseKind::Normalize(names))
            }
            "where" => {
                let (after, constraints) = where_clause(input)?;
                (after, EntityClauseKind::Where(constraints))
            }
            "standalone" => {
                let (after, _) = keyword(input, "standalone")?;
                (after, EntityClauseKind::Standalone)
            }
            _ => {
                let (after, value) = priority_clause(input)?;
                (after, EntityClauseKind::Priority(value))
            }
        })
    };
    if !matches!(
        word.text.as_str(),
        "iri" | "label" | "normalize" | "where" | "priority" | "standalone"
    ) {
        return None;
    }
    Some(parsed(input).map(|(after, kind)| {
        (
            after,
            EntityClause {
                kind,
                span: span_between(&start, &after),
            },
        )
    }))
}

fn name_list<'a>(input: In<'a>, what: &str) -> PResult<'a, Vec<Name>> {
    let (mut rest, first) = name(input, what)?;
    let mut names = vec![first];
    while let Ok((after, _)) = token(rest, ",") {
        let (after, next) = name(after, what)?;
        names.push(next);
        rest = after;
    }
    Ok((rest, names))
}

fn where_clause(input: In) -> PResult<Vec<Constraint>> {
    let (mut rest, _) = keyword(input, "where")?;
    let mut constraints = Vec::new();
    loop {
        let (after, next) = any_constraint(rest)?;
        constraints.push(next);
        rest = after;
        match token(rest, ",") {
            Ok((after, _)) => rest = after,
            Err(_) => return Ok((rest, constraints)),
        }
    }
}

fn priority_clause(input: In) -> PResult<Integer> {
    let (rest, _) = keyword(input, "priority")?;
    integer(rest, "a priority (a whole number)")
}

/// `rule_decl = "rule" NAME "=" pattern { rule_clause } template { template }`
fn rule_decl(input: In) -> PResult<ItemKind> {
    let (rest, _) = keyword(input, "rule")?;
    let (rest, name) = name(rest, "a rule name")?;
    let (rest, _) = expect(rest, "=", "`=` and a pattern").or_else(|_| {
        Fail::expected(&ws(rest), "`=` after the rule name")
            .hint(format!(
                "write `rule {} = pattern => subject predicate object`",
                name.text
            ))
            .err()
    })?;
    let after_eq = rest;
    let (mut rest, pattern) = pattern(rest, 0)?;
    let mut clauses = Vec::new();
    while let Some(result) = rule_clause(rest) {
        let (after, clause) = result?;
        clauses.push(clause);
        rest = after;
    }
    let mut templates = Vec::new();
    while token(rest, "=>").is_ok() {
        let (after, next) = template(rest)?;
        templates.push(next);
        rest = after;
    }
    if let Some((_, word)) = peek_word(rest)
        && matches!(
            word.text.as_str(),
            "standalone" | "iri" | "label" | "normalize"
        )
    {
        return Fail::new(
                "syntax",
                word.span,
                format!("`{}` is a clause of entity types, not of rules", word.text),
            )
            .label("not a rule clause")
            .hint("a rule takes `where`, `priority` and `excludes` clauses, then `=>` templates; put this clause on the entity type")
            .err();
    }
    let excludes = clauses
        .iter()
        .any(|clause| matches!(clause.kind, RuleClauseKind::Excludes(_)));
    if templates.is_empty() && !excludes {
        if let Some((at, template)) = template_without_arrow(after_eq.fragment()) {
            let start = offset(&after_eq) + at;
            return Fail::new(
                "missing-arrow",
                Span::new(
                    start,
                    start + template.split_whitespace().next().map_or(0, str::len),
                ),
                "a triple template needs `=>` before it",
            )
            .label("the template seems to start here")
            .hint(format!("write `=> {}`", template.trim_end()))
            .err();
        }
        return Fail::new(
            "rule-without-template",
            name.span,
            format!("rule `{}` mints no triples", name.text),
        )
        .label(format!(
            "expected `=>` after the pattern, found {}",
            describe(&ws(rest))
        ))
        .hint("add a triple template: `=> $subject ex:predicate $object`")
        .err();
    }
    Ok((
        rest,
        ItemKind::Rule(RuleDecl {
            name,
            pattern,
            clauses,
            templates,
        }),
    ))
}

/// Where a triple template starts on the first line of a rule's pattern
/// text, when the author left out its `=>`: the first prefixed name or
/// `<IRI>` outside quotes and brackets (with the `$capture` before it, the
/// subject, if there is one). Returns its byte offset and the rest of the line.
fn template_without_arrow(pattern_text: &str) -> Option<(usize, &str)> {
    let line = pattern_text.split('\n').next().unwrap_or("");
    let line = line.split(" #").next().unwrap_or(line);
    let mut previous: Option<usize> = None;
    let mut depth = 0i32;
    let mut quoted = false;
    let mut start = None;
    for (at, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        match c {
            '"' => quoted = !quoted,
            '[' | '(' | '{' if !quoted => depth += 1,
            ']' | ')' | '}' if !quoted => depth -= 1,
            _ => {}
        }
        if c.is_whitespace() {
            if let Some(from) = start.take() {
                let token = &line[from..at];
                let prefixed = token.split_once(':').is_some_and(|(prefix, local)| {
                    !local.is_empty()
                        && prefix
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                        && !prefix.starts_with('$')
                });
                let iri = token.starts_with('<') && token.ends_with('>') && token.len() > 2;
                if depth == 0 && !quoted && (prefixed || iri) {
                    let subject = previous
                        .filter(|&p| line[p..].starts_with('$') && !line[p..from].contains(':'));
                    let begin = subject.unwrap_or(from);
                    return Some((begin, &line[begin..]));
                }
                previous = Some(from);
            }
        } else if start.is_none() {
            start = Some(at);
        }
    }
    None
}

/// `rule_clause = "where" constraint { "," constraint } | "priority" INTEGER`;
/// `None` when no clause starts here.
fn rule_clause(input: In) -> Option<PResult<RuleClause>> {
    let start = ws(input);
    let result = if keyword(input, "where").is_ok() {
        where_clause(input).map(|(after, constraints)| (after, RuleClauseKind::Where(constraints)))
    } else if keyword(input, "priority").is_ok() {
        priority_clause(input).map(|(after, value)| (after, RuleClauseKind::Priority(value)))
    } else if let Ok((after, _)) = keyword(input, "excludes") {
        name_list(after, "a rule name")
            .map(|(after, names)| (after, RuleClauseKind::Excludes(names)))
    } else {
        return None;
    };
    Some(result.map(|(after, kind)| {
        (
            after,
            RuleClause {
                kind,
                span: span_between(&start, &after),
            },
        )
    }))
}

/// `template = "=>" term term term`
fn template(input: In) -> PResult<Template> {
    let start = ws(input);
    let (rest, _) = token(input, "=>")?;
    let (rest, subject) = term(rest, "the subject of the triple")?;
    let (rest, predicate) = term(rest, "the predicate of the triple")?;
    let (rest, object) = term(rest, "the object of the triple")?;
    Ok((
        rest,
        Template {
            subject,
            predicate,
            object,
            span: span_between(&start, &rest),
        },
    ))
}

/// `test_decl = "test" NAME STRING expectation { expectation }`
fn test_decl(input: In) -> PResult<ItemKind> {
    let (rest, _) = keyword(input, "test")?;
    let (rest, rule) = name(rest, "the name of the rule under test")?;
    let (mut rest, sentence) = expect_string(rest, "a sentence in quotes")?;
    let mut expectations = Vec::new();
    while let Some(result) = expectation(rest) {
        let (after, next) = result?;
        expectations.push(next);
        rest = after;
    }
    if expectations.is_empty() {
        return Fail::expected(&ws(rest), "`=>` or `!=>` and a triple")
            .hint("say what the sentence must produce: `=> ex:a ex:b ex:c`, or must not: `!=> _ ex:b _`")
            .err();
    }
    Ok((
        rest,
        ItemKind::Test(TestDecl {
            rule,
            sentence,
            expectations,
        }),
    ))
}

/// `expectation = ( "=>" | "!=>" ) test_term test_term test_term`; `None` when none starts here.
fn expectation(input: In) -> Option<PResult<Expectation>> {
    let start = ws(input);
    let (after, negated) = match token(input, "=>") {
        Ok((after, _)) => (after, false),
        Err(_) => (token(input, "!=>").ok()?.0, true),
    };
    let parsed = || -> PResult<Expectation> {
        let (after, subject) = test_term(after, "the subject of the triple")?;
        let (after, predicate) = test_term(after, "the predicate of the triple")?;
        let (after, object) = test_term(after, "the object of the triple")?;
        let span = span_between(&start, &after);
        Ok((
            after,
            Expectation {
                negated,
                terms: [subject, predicate, object],
                span,
            },
        ))
    };
    Some(parsed())
}

// ------------------------------------------------------------ Constraints

/// `any_constraint = constraint { "or" constraint }`
fn any_constraint(input: In) -> PResult<Constraint> {
    let start = ws(input);
    let (mut rest, first) = constraint(input)?;
    let mut alternatives = vec![first];
    while let Ok((after, _)) = keyword(rest, "or") {
        let (after, next) = constraint(after)?;
        alternatives.push(next);
        rest = after;
    }
    if alternatives.len() == 1 {
        return Ok((rest, alternatives.pop().expect("one")));
    }
    Ok((
        rest,
        Constraint {
            kind: ConstraintKind::Any(alternatives),
            span: span_between(&start, &rest),
        },
    ))
}

/// `context = [ "not" ] ( "preceded" | "followed" ) "by" pattern`, after an optional subject.
fn context(input: In, subject: Option<Subject>) -> Option<PResult<ConstraintKind>> {
    let (rest, negated) = match keyword(input, "not") {
        Ok((rest, _)) => (rest, true),
        Err(_) => (input, false),
    };
    let side = match peek_word(rest).map(|(_, word)| word.text).as_deref() {
        Some("preceded") => Side::Before,
        Some("followed") => Side::After,
        _ => return None,
    };
    let word = if side == Side::Before {
        "preceded"
    } else {
        "followed"
    };
    Some((|| {
        let (rest, _) = keyword(rest, word)?;
        let Ok((rest, _)) = expect_word(rest, "by", "") else {
            return Fail::expected(&ws(rest), &format!("`by` after `{word}`"))
                .hint(format!(
                    "write `{word} by` and a pattern: `not {word} by \"的\"`"
                ))
                .err();
        };
        let (rest, pattern) = pattern(rest, 0)?;
        Ok((
            rest,
            ConstraintKind::Context {
                subject,
                negated,
                side,
                pattern,
            },
        ))
    })())
}

/// `constraint = subject [ "not" ] "in" NAME | subject [ "not" ] ( "matches" | "contains" ) pattern | "len" "(" subject ")" COMPARE INTEGER`
fn constraint(input: In) -> PResult<Constraint> {
    let start = ws(input);
    if let Ok((rest, _)) = keyword(input, "len") {
        let (rest, _) = expect(rest, "(", "`(` after `len`")?;
        let (rest, subject) = subject(rest)?;
        let (rest, _) = expect(rest, ")", "`)`")?;
        let (rest, op) = compare(rest)?;
        let (rest, value) = integer(rest, "a length (a whole number)")?;
        let kind = ConstraintKind::Length { subject, op, value };
        return Ok((
            rest,
            Constraint {
                kind,
                span: span_between(&start, &rest),
            },
        ));
    }
    fn finish<'a>(start: &In<'a>, rest: In<'a>, kind: ConstraintKind) -> (In<'a>, Constraint) {
        let span = span_between(start, &rest);
        (rest, Constraint { kind, span })
    }
    if let Some(found) = context(input, None) {
        let (rest, kind) = found?;
        return Ok(finish(&start, rest, kind));
    }
    let (rest, subject) = subject(input)?;
    if let Some(found) = context(rest, Some(subject.clone())) {
        let (rest, kind) = found?;
        return Ok(finish(&start, rest, kind));
    }
    let (rest, negated) = match keyword(rest, "not") {
        Ok((rest, _)) => (rest, true),
        Err(_) => (rest, false),
    };
    let kind_word = peek_word(rest).map(|(_, word)| word.text);
    let (rest, kind) = match kind_word.as_deref() {
        Some("in") => {
            let (rest, _) = keyword(rest, "in")?;
            let (rest, lexicon) = name(rest, "a lexicon name")?;
            (
                rest,
                ConstraintKind::In {
                    subject,
                    negated,
                    lexicon,
                },
            )
        }
        Some(word @ ("matches" | "contains")) => {
            let mode = if word == "matches" {
                MatchMode::Matches
            } else {
                MatchMode::Contains
            };
            let (rest, _) = keyword(
                rest,
                if word == "matches" {
                    "matches"
                } else {
                    "contains"
                },
            )?;
            let (rest, pattern) = pattern(rest, 0)?;
            (
                rest,
                ConstraintKind::Match {
                    subject,
                    negated,
                    mode,
                    pattern,
                },
            )
        }
        _ => {
            return Fail::expected(
                &ws(rest),
                "`in`, `matches`, `contains`, `preceded by` or `followed by`",
            )
            .err();
        }
    };
    Ok((
        rest,
        Constraint {
            kind,
            span: span_between(&start, &rest),
        },
    ))
}

/// `subject = CAPTURE | "text"`
fn subject(input: In) -> PResult<Subject> {
    let input = ws(input);
    if let Ok((rest, span)) = keyword(input, "text") {
        return Ok((rest, Subject::Text(span)));
    }
    if peek(&input) == Some('$') {
        let (rest, name) = capture_name(input)?;
        return Ok((rest, Subject::Capture(name)));
    }
    Fail::expected(&input, "a capture such as `$org`, or `text`").err()
}

fn compare(input: In) -> PResult<Compare> {
    let input = ws(input);
    for (text, op) in [
        ("<=", Compare::LessEqual),
        (">=", Compare::GreaterEqual),
        ("==", Compare::Equal),
        ("!=", Compare::NotEqual),
        ("<", Compare::Less),
        (">", Compare::Greater),
    ] {
        if let Ok((rest, _)) = token(input, text) {
            return Ok((rest, op));
        }
    }
    Fail::expected(&input, "a comparison (`<`, `<=`, `>`, `>=`, `==` or `!=`)").err()
}

// --------------------------------------------------------------- Patterns

/// `pattern = sequence { "|" sequence }`
fn pattern(input: In, depth: usize) -> PResult<Pattern> {
    if depth > MAX_NESTING {
        let input = ws(input);
        return Fail::new(
            "too-deep",
            token_span(&input),
            format!("patterns nest more than {MAX_NESTING} deep"),
        )
        .hint("use fragments to name the inner parts")
        .err();
    }
    let start = ws(input);
    let (mut rest, first) = sequence(input, depth)?;
    let mut branches = vec![first];
    while let Ok((after, _)) = token(rest, "|") {
        let (after, next) = sequence(after, depth)?;
        branches.push(next);
        rest = after;
    }
    if depth == 0 {
        let at = ws(rest);
        if peek(&at) == Some(')') {
            return Fail::new("unmatched-paren", token_span(&at), "unmatched `)`")
                .label("no `(` opens this")
                .hint("remove it, or add the `(` that should open the group")
                .err();
        }
    }
    if branches.len() == 1 {
        return Ok((rest, branches.pop().expect("one branch")));
    }
    let end = branches.last().expect("two branches").span.end;
    Ok((
        rest,
        Pattern {
            kind: PatternKind::Alternation(branches),
            span: Span::new(offset(&start), end),
        },
    ))
}

/// Whether the input starts an atom (so a sequence goes on).
fn starts_atom(input: &In) -> bool {
    match peek(input) {
        Some('"' | '[' | '\\' | '.' | '^' | '$' | '(') => true,
        Some(c) if is_name_start(c) => {
            identifier(*input).is_ok_and(|(_, name)| !is_keyword(&name.text))
        }
        _ => false,
    }
}

/// `sequence = repeat { repeat }`
fn sequence(input: In, depth: usize) -> PResult<Pattern> {
    let mut rest = ws(input);
    let mut parts = Vec::new();
    loop {
        let at = ws(rest);
        if let Some(q @ ('?' | '*' | '+' | '{')) = peek(&at) {
            if let Some(habit) = regex_habit(&at) {
                return habit.err();
            }
            return Fail::new(
                "nothing-to-repeat",
                token_span(&at),
                format!("`{q}` has nothing to repeat"),
            )
            .label("no pattern before it")
            .hint(format!("to match the character itself, quote it: \"{q}\""))
            .err();
        }
        if !starts_atom(&at) {
            break;
        }
        let (after, part) = repeat(at, depth)?;
        parts.push(part);
        rest = after;
    }
    match parts.len() {
        0 => Fail::expected(&ws(rest), "a pattern")
            .hint("patterns are quoted text (\"成立\"), classes ([0-9], \\p{Han}), `.`, groups, captures and names")
            .err(),
        1 => Ok((rest, parts.pop().expect("one part"))),
        _ => {
            let span = parts[0].span.to(parts[parts.len() - 1].span);
            Ok((rest, Pattern { kind: PatternKind::Sequence(parts), span }))
        }
    }
}

/// A regex construct the rule language has not, written where a pattern
/// part should start (`text` starts at the `?` of `(?…`): named, with what
/// to write instead.
fn regex_habit(at: &In) -> Option<Fail> {
    let rest = at.fragment().strip_prefix('?')?;
    let span = |len: usize| Span::new(offset(at), offset(at) + len);
    let (len, message, hint) = if rest.starts_with('=')
        || rest.starts_with('!')
        || rest.starts_with("<=")
        || rest.starts_with("<!")
    {
        (
            if rest.starts_with('<') { 3 } else { 2 },
            "lookaround (`(?=…)`, `(?!…)`, `(?<=…)`, `(?<!…)`) is not part of the rule language",
            "say it with a context condition: `where followed by …`, `where not preceded by …` (on the match, or `$x not followed by …` on a capture)",
        )
    } else if rest.starts_with("P<")
        || (rest.starts_with('<') && rest[1..].starts_with(|c: char| c.is_alphabetic()))
    {
        (
            if rest.starts_with('P') { 3 } else { 2 },
            "named groups `(?P<name>…)` are written as captures here",
            "write `$name:(…)`",
        )
    } else if rest.starts_with(|c: char| c.is_ascii_alphabetic()) || rest.starts_with(':') {
        (
            1 + rest.find(')').unwrap_or(rest.len()),
            "inline flags and `(?:…)` are regex syntax, not part of the rule language",
            "a group is plain `(…)`; for text in any case write `\"abc\"i`, or `lexicon Name ignore case = …`",
        )
    } else {
        return None;
    };
    Some(
        Fail::new("regex-syntax", span(len), message)
            .label("regex syntax")
            .hint(hint),
    )
}

/// `repeat = atom [ quantifier ]`
fn repeat(input: In, depth: usize) -> PResult<Pattern> {
    let (rest, inner) = atom(input, depth)?;
    let at = ws(rest);
    let Some((after, min, max)) = quantifier(at)? else {
        return Ok((rest, inner));
    };
    let next = ws(after);
    if let Some(q @ ('?' | '*' | '+' | '{')) = peek(&next) {
        return Fail::new("nothing-to-repeat", token_span(&next), format!("`{q}` cannot follow another repetition"))
            .label("second repetition")
            .hint("there is no lazy or possessive repetition (matching is leftmost-longest); to repeat a repetition, group it: (\"a\"+)*")
            .err();
    }
    let span = Span::new(inner.span.start, offset(&after));
    Ok((
        after,
        Pattern {
            kind: PatternKind::Repeat {
                inner: Box::new(inner),
                min,
                max,
            },
            span,
        },
    ))
}

/// The input after a quantifier, and its least and most rounds.
type Quantified<'a> = (In<'a>, u32, Option<u32>);

/// `quantifier = "?" | "*" | "+" | "{" INTEGER [ "," [ INTEGER ] ] "}"`
fn quantifier(input: In) -> Result<Option<Quantified>, nom::Err<PError>> {
    match peek(&input) {
        Some('?') => Ok(Some((advance(input, 1), 0, Some(1)))),
        Some('*') => Ok(Some((advance(input, 1), 0, None))),
        Some('+') => Ok(Some((advance(input, 1), 1, None))),
        Some('{') => {
            let open = input;
            let (rest, min) = integer(advance(input, 1), "a number: `{2}`, `{2,}` or `{2,8}`")?;
            let (rest, max) = match token(rest, ",") {
                Ok((rest, _)) => {
                    let at = ws(rest);
                    if peek(&at).is_some_and(|c| c.is_ascii_digit()) {
                        let (rest, max) = integer(at, "a number")?;
                        (rest, Some(max))
                    } else {
                        (rest, None)
                    }
                }
                Err(_) => (rest, Some(min.clone())),
            };
            let Ok((rest, _)) = token(rest, "}") else {
                return Fail::new(
                    "unclosed-repetition",
                    token_span(&open),
                    "unclosed repetition bounds",
                )
                .label("this `{` is never closed")
                .hint("write `{2}`, `{2,}` or `{2,8}`")
                .err();
            };
            let span = span_between(&open, &rest);
            if let Some(max) = &max
                && min.value > max.value
            {
                return Fail::new(
                    "bad-repetition",
                    span,
                    format!(
                        "repetition bounds are reversed: the least ({}) is more than the most ({})",
                        min.value, max.value
                    ),
                )
                .label("least > most")
                .hint(format!("write `{{{},{}}}`", max.value, min.value))
                .err();
            }
            for bound in std::iter::once(&min).chain(&max) {
                if bound.value > MAX_REPEAT {
                    return Fail::new(
                        "repetition-too-large",
                        bound.span,
                        format!(
                            "repetition bound {} is above the limit of {MAX_REPEAT}",
                            bound.value
                        ),
                    )
                    .label("too large")
                    .hint("use `*` or `+` for an unbounded repetition")
                    .err();
                }
            }
            Ok(Some((rest, min.value, max.map(|max| max.value))))
        }
        _ => Ok(None),
    }
}

/// `atom = STRING | class | "." | "^" | "$" | "(" pattern ")" | capture | NAME`
fn atom(input: In, depth: usize) -> PResult<Pattern> {
    let input = ws(input);
    let one = |kind| {
        let rest = advance(input, 1);
        Ok((
            rest,
            Pattern {
                kind,
                span: span_between(&input, &rest),
            },
        ))
    };
    match peek(&input) {
        Some('"') => {
            let (rest, text) = string(input)?;
            // `"said"i`: the `i` right after the closing quote, as in /said/i.
            let no_case = rest.fragment().starts_with('i')
                && !advance(rest, 1)
                    .fragment()
                    .starts_with(|c: char| c == '_' || c.is_alphanumeric());
            if no_case {
                let rest = advance(rest, 1);
                return Ok((
                    rest,
                    Pattern {
                        kind: PatternKind::LiteralNoCase(text.value),
                        span: span_between(&input, &rest),
                    },
                ));
            }
            Ok((
                rest,
                Pattern {
                    kind: PatternKind::Literal(text.value),
                    span: text.span,
                },
            ))
        }
        Some('\\')
            if input.fragment().starts_with("\\b") || input.fragment().starts_with("\\B") =>
        {
            let negated = input.fragment().starts_with("\\B");
            let rest = advance(input, 2);
            Ok((
                rest,
                Pattern {
                    kind: PatternKind::WordBoundary { negated },
                    span: span_between(&input, &rest),
                },
            ))
        }
        Some('[') | Some('\\') => {
            let (rest, class) = class(input)?;
            Ok((
                rest,
                Pattern {
                    kind: PatternKind::Class(class),
                    span: span_between(&input, &rest),
                },
            ))
        }
        Some('.') => one(PatternKind::Any),
        Some('^') => one(PatternKind::Start),
        Some('$') if advance(input, 1).fragment().starts_with(is_name_start) => {
            capture(input, depth)
        }
        Some('$') => one(PatternKind::End),
        Some('(') => {
            let (rest, inner) = pattern(advance(input, 1), depth + 1)?;
            let Ok((rest, _)) = token(rest, ")") else {
                return Fail::new(
                    "unclosed-group",
                    Span::new(offset(&input), offset(&input) + 1),
                    "unclosed group",
                )
                .label("this `(` is never closed")
                .hint(format!("expected `)`, found {}", describe(&ws(rest))))
                .err();
            };
            Ok((
                rest,
                Pattern {
                    kind: PatternKind::Group(Box::new(inner)),
                    span: span_between(&input, &rest),
                },
            ))
        }
        _ => {
            let (rest, name) = name(input, "a pattern")?;
            Ok((
                rest,
                Pattern {
                    span: name.span,
                    kind: PatternKind::Reference(name),
                },
            ))
        }
    }
}

/// `capture = CAPTURE ":" ( NAME | "(" pattern ")" )`
fn capture(input: In, depth: usize) -> PResult<Pattern> {
    let (rest, captured) = capture_name(input)?;
    let Ok((rest, _)) = token(rest, ":") else {
        // `$org ex:formed $team` after a pattern: the `=>` is missing.
        let here = ws(input);
        if let Some((0, template)) = template_without_arrow(here.fragment()) {
            return Fail::new(
                "missing-arrow",
                captured.span,
                "a triple template needs `=>` before it",
            )
            .label("the template seems to start here")
            .hint(format!("write `=> {}`", template.trim_end()))
            .err();
        }
        return Fail::new(
            "untyped-capture",
            captured.span,
            format!("capture `${}` has no type", captured.text),
        )
        .label("expected `:` and a type")
        .hint(format!(
            "write `${0}:Org` (an entity, lexicon or fragment) or `${0}:(pattern)`",
            captured.text
        ))
        .err();
    };
    let at = ws(rest);
    let (rest, target) = if peek(&at) == Some('(') {
        let (rest, group) = atom(at, depth + 1)?;
        let PatternKind::Group(inner) = group.kind else {
            unreachable!("`(` starts a group")
        };
        (rest, CaptureTarget::Pattern(inner))
    } else {
        let (rest, target) = name(
            at,
            "an entity type, lexicon or fragment name, or `(pattern)`",
        )?;
        (rest, CaptureTarget::Name(target))
    };
    Ok((
        rest,
        Pattern {
            kind: PatternKind::Capture {
                name: captured,
                target,
            },
            span: span_between(&input, &rest),
        },
    ))
}

/// `CAPTURE = "$" NAME`
fn capture_name(input: In) -> PResult<Name> {
    let input = ws(input);
    let (rest, _) = char('$').parse(input)?;
    let Ok((rest, name)) = identifier(rest) else {
        return Fail::expected(&rest, "a capture name after `$`").err();
    };
    Ok((
        rest,
        Name {
            text: name.text,
            span: span_between(&input, &rest),
        },
    ))
}

/// `class = "[" [ "^" ] class_item { class_item } "]" | CLASS_ESCAPE`
fn class(input: In) -> PResult<Class> {
    if peek(&input) == Some('\\') {
        let (rest, escape) = class_escape(input, false)?;
        return match escape {
            Escaped::Class(escape) => Ok((rest, Class::Escape(escape))),
            Escaped::Char(c) => Fail::new(
                "unknown-escape",
                span_between(&input, &rest),
                format!("unknown escape `\\{c}` in a pattern"),
            )
            .hint(format!("write literal text in quotes: \"{c}\""))
            .err(),
        };
    }
    let open = input;
    let mut rest = advance(input, 1);
    let negated = peek(&rest) == Some('^');
    if negated {
        rest = advance(rest, 1);
    }
    let mut items = Vec::new();
    loop {
        let unclosed = || {
            Fail::new(
                "unclosed-class",
                Span::new(offset(&open), offset(&open) + 1),
                "unclosed character class",
            )
            .label("this `[` is never closed")
            .hint("close it with `]`; write `\\]` for the character `]`")
            .err()
        };
        match peek(&rest) {
            None | Some('\n') => return unclosed(),
            Some(']') if !items.is_empty() => {
                return Ok((advance(rest, 1), Class::Bracket { negated, items }));
            }
            Some(']') => {
                return Fail::new(
                    "empty-class",
                    span_between(&open, &advance(rest, 1)),
                    "empty character class",
                )
                .hint("write `\\]` for the character `]`")
                .err();
            }
            _ => {}
        }
        let (after, item) = class_item(rest)?;
        items.push(item);
        rest = after;
    }
}

/// `class_item = CLASS_CHAR [ "-" CLASS_CHAR ] | CLASS_ESCAPE` (the input is not `]`).
fn class_item(input: In) -> PResult<ClassItem> {
    let (mut rest, first) = match peek(&input) {
        Some('\\') => class_escape(input, true)?,
        Some(c) => (advance(input, c.len_utf8()), Escaped::Char(c)),
        None => {
            return Err(nom::Err::Error(PError::from_error_kind(
                input,
                ErrorKind::Eof,
            )));
        }
    };
    let low = match first {
        Escaped::Class(escape) => return Ok((rest, ClassItem::Escape(escape))),
        Escaped::Char(low) => low,
    };
    let after_dash = advance(rest, usize::from(peek(&rest) == Some('-')));
    if peek(&rest) != Some('-') || matches!(peek(&after_dash), Some(']') | None | Some('\n')) {
        return Ok((rest, ClassItem::Char(low)));
    }
    let (after, high) = match peek(&after_dash) {
        Some('\\') => class_escape(after_dash, true)?,
        Some(c) => (advance(after_dash, c.len_utf8()), Escaped::Char(c)),
        None => unreachable!("checked above"),
    };
    let Escaped::Char(high) = high else {
        return Fail::new(
            "bad-range",
            span_between(&input, &after),
            "a class escape cannot end a range",
        )
        .hint("list it on its own: [a-z\\d]")
        .err();
    };
    if low > high {
        return Fail::new(
            "bad-range",
            span_between(&input, &after),
            format!("character range `{low}-{high}` is reversed"),
        )
        .label("the first character comes after the last")
        .hint(format!("write `{high}-{low}`"))
        .err();
    }
    rest = after;
    Ok((rest, ClassItem::Range(low, high)))
}

enum Escaped {
    Char(char),
    Class(ClassEscape),
}

/// An escape after `\`: a class escape, or (inside brackets) an escaped character.
fn class_escape(input: In, in_brackets: bool) -> PResult<Escaped> {
    let body = advance(input, 1);
    let Some(c) = peek(&body) else {
        return Fail::new(
            "unknown-escape",
            span_between(&input, &body),
            "`\\` at the end of the file",
        )
        .err();
    };
    let rest = advance(body, c.len_utf8());
    let escaped = match c {
        'd' | 'D' => Escaped::Class(ClassEscape::Digit { negated: c == 'D' }),
        'w' | 'W' => Escaped::Class(ClassEscape::Word { negated: c == 'W' }),
        's' | 'S' => Escaped::Class(ClassEscape::Space { negated: c == 'S' }),
        'p' | 'P' => {
            let Ok((after, _)) = char::<_, PError>('{').parse(rest) else {
                return Fail::new(
                    "bad-property",
                    span_between(&input, &rest),
                    format!("`\\{c}` needs a property in braces"),
                )
                .hint("write `\\p{Han}`, `\\p{P}` or `\\p{Script=Latin}`")
                .err();
            };
            let text = after.fragment();
            let Some(end) = text
                .find(['}', '\n'])
                .filter(|&end| text[end..].starts_with('}'))
            else {
                return Fail::new(
                    "bad-property",
                    span_between(&input, &after),
                    "unclosed Unicode property",
                )
                .hint("write `\\p{Han}`")
                .err();
            };
            let name = text[..end].to_owned();
            let rest = advance(after, end + 1);
            let span = span_between(&input, &rest);
            return Ok((
                rest,
                Escaped::Class(ClassEscape::Property {
                    negated: c == 'P',
                    name,
                    span,
                }),
            ));
        }
        'n' => Escaped::Char('\n'),
        't' => Escaped::Char('\t'),
        'r' => Escaped::Char('\r'),
        'u' => {
            let (rest, value) = unicode_escape(input, rest)?;
            return Ok((rest, Escaped::Char(value)));
        }
        '\\' | ']' | '[' | '-' | '^' if in_brackets => Escaped::Char(c),
        _ => {
            let place = if in_brackets {
                "in a character class"
            } else {
                "in a pattern"
            };
            let hint = if in_brackets && (c == 'b' || c == 'B') {
                format!(
                    "a word boundary is a position, not a character: write `\\{c}` outside the class"
                )
            } else if in_brackets {
                "escapes in a class are \\d \\w \\s \\p{..} \\n \\t \\u{..} \\\\ \\] \\[ \\- \\^"
                    .to_owned()
            } else if c.is_ascii_digit() && c != '0' {
                return Fail::new(
                    "regex-syntax",
                    span_between(&input, &rest),
                    format!("`\\{c}` is a backreference, which the rule language has not"),
                )
                .label("regex syntax")
                .hint("a backreference needs backtracking, which linear-time matching has not; to match the digit itself, quote it: \"1\"")
                .err();
            } else {
                format!("write literal text in quotes: \"{c}\"")
            };
            return Fail::new(
                "unknown-escape",
                span_between(&input, &rest),
                format!("unknown escape `\\{c}` {place}"),
            )
            .hint(hint)
            .err();
        }
    };
    Ok((rest, escaped))
}

/// `\u{HEX}` after the `u` (at `rest`); `start` is the backslash.
fn unicode_escape<'a>(start: In<'a>, rest: In<'a>) -> PResult<'a, char> {
    let bad = |end: &In| {
        Fail::new(
            "unknown-escape",
            span_between(&start, end),
            "invalid Unicode escape",
        )
        .hint("write `\\u{4E2D}`: one to six hex digits in braces")
        .err()
    };
    let Ok((after, _)) = char::<_, PError>('{').parse(rest) else {
        return bad(&rest);
    };
    let text = after.fragment();
    let digits = text.chars().take_while(char::is_ascii_hexdigit).count();
    if digits == 0 || digits > 6 || !text[digits..].starts_with('}') {
        return bad(&advance(after, digits));
    }
    let end = advance(after, digits + 1);
    match u32::from_str_radix(&text[..digits], 16)
        .ok()
        .and_then(char::from_u32)
    {
        Some(c) => Ok((end, c)),
        None => bad(&end),
    }
}

// ------------------------------------------------------ Terms and tokens

/// `term = CAPTURE { "|" NAME } [ LANGTAG | "^^" iri ] | iri | "a" | literal`
fn term<'a>(input: In<'a>, what: &str) -> PResult<'a, Term> {
    let input = ws(input);
    if peek(&input) == Some('$') {
        let (mut rest, name) = capture_name(input)?;
        let mut pipes = Vec::new();
        while let Ok((after, _)) = token(rest, "|") {
            let (after, pipe) = name_any(after, "a normaliser such as `number`")?;
            pipes.push(pipe);
            rest = after;
        }
        let (rest, annotation) = annotation(rest)?;
        return Ok((
            rest,
            Term::Capture {
                name,
                pipes,
                annotation,
                span: span_between(&input, &rest),
            },
        ));
    }
    if let Ok((rest, span)) = keyword(input, "a") {
        return Ok((rest, Term::A(span)));
    }
    if let Some(result) = literal(input) {
        let (rest, literal) = result?;
        return Ok((rest, Term::Literal(literal)));
    }
    match iri(input) {
        Some(result) => {
            let (rest, iri) = result?;
            Ok((rest, Term::Iri(iri)))
        }
        None => Fail::expected(&input, what)
            .hint("a term is a capture (`$org`), an IRI (`ex:formed`, `<http://...>`), `a`, or a literal (`\"text\"@zh`, `46`)")
            .err(),
    }
}

/// `test_term = iri | "a" | literal | "_"`
fn test_term<'a>(input: In<'a>, what: &str) -> PResult<'a, TestTerm> {
    let input = ws(input);
    if let Ok((rest, span)) = keyword(input, "a") {
        return Ok((rest, TestTerm::A(span)));
    }
    if let Some((rest, name)) = peek_word(input)
        && name.text == "_"
    {
        return Ok((rest, TestTerm::Any(name.span)));
    }
    if let Some(result) = literal(input) {
        let (rest, literal) = result?;
        return Ok((rest, TestTerm::Literal(literal)));
    }
    match iri(input) {
        Some(result) => {
            let (rest, iri) = result?;
            Ok((rest, TestTerm::Iri(iri)))
        }
        None => Fail::expected(&input, what)
            .hint(
                "a test term is an IRI (`ex:team/党员突击队`), `a`, a literal, or `_` for any term",
            )
            .err(),
    }
}

/// A name that may also be a keyword (normaliser names are not declared names).
fn name_any<'a>(input: In<'a>, what: &str) -> PResult<'a, Name> {
    let input = ws(input);
    identifier(input).or_else(|_| Fail::expected(&input, what).err())
}

/// `literal = STRING [ LANGTAG | "^^" iri ] | INTEGER | DECIMAL | "true" | "false"`;
/// `None` when the input does not start a literal.
fn literal(input: In) -> Option<PResult<Literal>> {
    let input = ws(input);
    match peek(&input)? {
        '"' => Some((|| {
            let (rest, value) = string(input)?;
            let (rest, annotation) = annotation(rest)?;
            Ok((
                rest,
                Literal::String {
                    value,
                    annotation,
                    span: span_between(&input, &rest),
                },
            ))
        })()),
        c if c.is_ascii_digit()
            || ((c == '-' || c == '+')
                && input.fragment()[1..].starts_with(|c: char| c.is_ascii_digit())) =>
        {
            let result: PResult<In> = recognize((
                opt(satisfy(|c| c == '-' || c == '+')),
                digit1,
                opt((char('.'), digit1)),
            ))
            .parse(input);
            Some(result.and_then(|(rest, text)| {
                let span = span_between(&input, &rest);
                let text = text.fragment().to_string();
                if matches!(peek(&rest), Some('@') | Some('^')) {
                    return Fail::new("bad-literal", span_between(&input, &advance(rest, 1)), "a number cannot have a language tag or a datatype")
                        .hint(format!("a language tag goes on a string: \"{text}\"@zh; a datatype too: \"{text}\"^^xsd:decimal"))
                        .err();
                }
                let literal = if text.contains('.') {
                    Literal::Decimal { text, span }
                } else {
                    Literal::Integer { text, span }
                };
                Ok((rest, literal))
            }))
        }
        _ => {
            let (rest, word) = peek_word(input)?;
            let value = match word.text.as_str() {
                "true" => true,
                "false" => false,
                _ => return None,
            };
            Some(Ok((
                rest,
                Literal::Boolean {
                    value,
                    span: word.span,
                },
            )))
        }
    }
}

/// `[ LANGTAG | "^^" iri ]`
fn annotation(input: In) -> PResult<Option<Annotation>> {
    let at = ws(input);
    if peek(&at) == Some('@') {
        let (rest, tag) = lang_tag(at)?;
        return Ok((rest, Some(Annotation::Lang(tag))));
    }
    if let Ok((rest, _)) = token(at, "^^") {
        let (rest, datatype) = expect_iri(rest, "a datatype IRI such as `xsd:integer`")?;
        return Ok((rest, Some(Annotation::Datatype(datatype))));
    }
    Ok((input, None))
}

/// `LANGTAG = "@" letters { "-" letters-or-digits }`
fn lang_tag(input: In) -> PResult<LangTag> {
    let (rest, _) = char('@').parse(input)?;
    let result: PResult<In> = recognize((
        take_while(|c: char| c.is_ascii_alphabetic()),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '-'),
    ))
    .parse(rest);
    let (rest, tag) = result?;
    let tag = tag.fragment().to_string();
    let span = span_between(&input, &rest);
    if tag.is_empty()
        || tag.ends_with('-')
        || tag.contains("--")
        || !tag.starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return Fail::new("bad-language-tag", span, "invalid language tag")
            .hint("write `@zh`, `@en` or `@zh-Hans`")
            .err();
    }
    Ok((rest, LangTag { tag, span }))
}

/// An INTEGER that fits in 32 bits.
fn integer<'a>(input: In<'a>, what: &str) -> PResult<'a, Integer> {
    let input = ws(input);
    let Ok((rest, digits)) = digit1::<_, PError>(input) else {
        return Fail::expected(&input, what).err();
    };
    let span = span_between(&input, &rest);
    match digits.fragment().parse::<u32>() {
        Ok(value) => Ok((rest, Integer { value, span })),
        Err(_) => Fail::new("number-too-large", span, "number too large")
            .hint(format!("the largest is {}", u32::MAX))
            .err(),
    }
}

/// `iri = IRIREF | PNAME`; `None` when the input does not start one.
fn iri(input: In) -> Option<PResult<Iri>> {
    let input = ws(input);
    if peek(&input) == Some('<') {
        return Some(iri_ref(input));
    }
    // PNAME: [NAME] ":" local
    let after_prefix = match identifier(input) {
        Ok((rest, _)) => rest,
        Err(_) => input,
    };
    if peek(&after_prefix) != Some(':') {
        return None;
    }
    Some(prefixed_name(input, after_prefix))
}

fn expect_iri<'a>(input: In<'a>, what: &str) -> PResult<'a, Iri> {
    let input = ws(input);
    match iri(input) {
        Some(result) => result,
        None => Fail::expected(&input, what).err(),
    }
}

fn is_local_char(c: char) -> bool {
    !c.is_whitespace() && !"<>\"'{}|^`\\,;()[]#=!".contains(c)
}

/// `PNAME = PNAME_NS local`, with `{name}` placeholders in the local part.
fn prefixed_name<'a>(input: In<'a>, colon: In<'a>) -> PResult<'a, Iri> {
    let prefix = Name {
        text: input.fragment()[..offset(&colon) - offset(&input)].to_owned(),
        span: span_between(&input, &colon),
    };
    let mut rest = advance(colon, 1);
    let mut local = String::new();
    loop {
        let text = rest.fragment();
        let run = text.find(|c: char| !is_local_char(c)).unwrap_or(text.len());
        local.push_str(&text[..run]);
        rest = advance(rest, run);
        if peek(&rest) != Some('{') {
            break;
        }
        let (after, placeholder) = placeholder(rest)?;
        local.push_str(&placeholder);
        rest = after;
    }
    Ok((
        rest,
        Iri::Prefixed {
            prefix,
            local,
            span: span_between(&input, &rest),
        },
    ))
}

/// `{name}` in an IRI template, returned as written.
fn placeholder(input: In) -> PResult<String> {
    let text = input.fragment();
    let end = text
        .find(|c: char| c == '}' || c.is_whitespace())
        .unwrap_or(text.len());
    if !text[end..].starts_with('}') {
        return Fail::new(
            "unclosed-placeholder",
            Span::new(offset(&input), offset(&input) + 1),
            "unclosed `{` in an IRI template",
        )
        .hint("write `{text}`")
        .err();
    }
    Ok((advance(input, end + 1), text[..=end].to_owned()))
}

/// `IRIREF = "<" ... ">"`, with `{name}` placeholders allowed.
fn iri_ref(input: In) -> PResult<Iri> {
    let text = &input.fragment()[1..];
    let stop = text
        .find(|c: char| c == '>' || c == '<' || c == '"' || c.is_whitespace())
        .unwrap_or(text.len());
    if text[stop..].starts_with('>') {
        let rest = advance(input, stop + 2);
        return Ok((
            rest,
            Iri::Full {
                text: text[..stop].to_owned(),
                span: span_between(&input, &rest),
            },
        ));
    }
    let line_end = text.find('\n').unwrap_or(text.len());
    let open = Span::new(offset(&input), offset(&input) + 1);
    if text[stop..].starts_with(char::is_whitespace) && text[stop..line_end].contains('>') {
        let at = offset(&input) + 1 + stop;
        return Fail::new(
            "bad-iri",
            Span::new(
                at,
                at + text[stop..].chars().next().map_or(1, char::len_utf8),
            ),
            "an IRI cannot contain white space",
        )
        .label("white space in an IRI")
        .hint("percent-encode it: a space is `%20`")
        .err();
    }
    Fail::new("unclosed-iri", open, "unclosed IRI")
        .label("this `<` is never closed")
        .hint("close the IRI with `>`")
        .err()
}

/// A STRING, or a reported error naming `what` was expected.
fn expect_string<'a>(input: In<'a>, what: &str) -> PResult<'a, StringLit> {
    let input = ws(input);
    if peek(&input) != Some('"') {
        return Fail::expected(&input, what).err();
    }
    string(input)
}

/// `STRING = '"' ... '"'` on one line, with escapes.
fn string(input: In) -> PResult<StringLit> {
    let mut value = String::new();
    let mut rest = advance(input, 1);
    loop {
        let text = rest.fragment();
        let run = text.find(['"', '\\', '\n']).unwrap_or(text.len());
        value.push_str(&text[..run]);
        rest = advance(rest, run);
        match peek(&rest) {
            Some('"') => {
                let end = advance(rest, 1);
                return Ok((
                    end,
                    StringLit {
                        value,
                        span: span_between(&input, &end),
                    },
                ));
            }
            Some('\\') => {
                let body = advance(rest, 1);
                let c = peek(&body).unwrap_or('\n');
                let after = if c == '\n' {
                    body
                } else {
                    advance(body, c.len_utf8())
                };
                let decoded = match c {
                    '\\' => '\\',
                    '"' => '"',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let (after, decoded) = unicode_escape(rest, after)?;
                        value.push(decoded);
                        rest = after;
                        continue;
                    }
                    _ => {
                        let shown: String = c.escape_debug().collect();
                        return Fail::new("unknown-escape", span_between(&rest, &after), format!("unknown escape `\\{shown}` in a string"))
                            .hint("escapes in strings are \\\\ \\\" \\n \\r \\t \\u{..}; write `\\\\` for a backslash")
                            .err();
                    }
                };
                value.push(decoded);
                rest = after;
            }
            _ => {
                return Fail::new(
                    "unclosed-string",
                    Span::new(offset(&input), offset(&input) + 1),
                    "unclosed string",
                )
                .label("this `\"` is never closed")
                .hint("a string ends on the line where it starts: close it with `\"`")
                .err();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> File {
        let (file, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:#?}");
        file
    }

    #[test]
    fn parses_a_rule_in_two_lines() {
        let file = parse_ok(
            "rule formed = $org:Org (\"成立\" | \"组建\") $team:Team\n  => $org ex:formed $team\n",
        );
        let ItemKind::Rule(rule) = &file.items[0].kind else {
            panic!("not a rule")
        };
        assert_eq!(rule.name.text, "formed");
        assert_eq!(rule.templates.len(), 1);
        let PatternKind::Sequence(parts) = &rule.pattern.kind else {
            panic!("not a sequence")
        };
        assert_eq!(parts.len(), 3);
    }

    #[test]
    fn keeps_comments() {
        let file = parse_ok("# first\nprefix ex: <http://e/> # trailing\n");
        let texts: Vec<_> = file.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, [" first", " trailing"]);
    }

    #[test]
    fn recovers_and_reports_every_broken_item() {
        let (file, errors) =
            parse("rule r1 = \"x => $a ex:p $a\nrule r2 = [a-\n fragment F = \"ok\"\n");
        let codes: Vec<_> = errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["unclosed-string", "unclosed-class"]);
        assert_eq!(file.items.len(), 1);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!(
            "fragment F = {}\"a\"{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        let (_, errors) = parse(&text);
        assert_eq!(errors[0].code, "too-deep");
    }

    #[test]
    fn repetition_bounds_are_checked() {
        let (_, errors) = parse("fragment F = \"a\"{5,2}");
        assert_eq!(errors[0].code, "bad-repetition");
        let (_, errors) = parse("fragment F = \"a\"{0,5000}");
        assert_eq!(errors[0].code, "repetition-too-large");
    }
}
