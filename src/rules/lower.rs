//! Lowering: syntax trees → one checked [`RuleSet`].
//!
//! Names live in two namespaces: lexicons, fragments and entity types share
//! one; rules have their own (tests name rules). Lowering runs in phases —
//! gather declarations, resolve prefixes and IRIs, lexicons, entity types,
//! rules, tests — and reports every problem it finds rather than stopping at
//! the first. Fragments are macros: each use is lowered in place, so captures
//! in a fragment bind in the rule that uses it.

use std::collections::{HashMap, HashSet};

use oxrdf::vocab::{rdf, xsd};
use oxrdf::{Literal, NamedNode};

use super::iri::{IriTemplate, PREDECLARED, TemplatePart, is_valid_lexical_form};
use super::pattern::{Pattern, lower_class};
use super::*;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::source::{FileId, SourceLoader, SourceMap};
use crate::span::Span;
use crate::syntax::ast::{self, ItemKind};

/// Lowers the parsed files (in include order) into a rule set, pushing every
/// problem onto `diagnostics`. Returns `None` only when nothing sensible can
/// be built; the caller drops the result if any diagnostic is an error.
pub(crate) fn lower(
    files: &[(FileId, ast::File)],
    sources: &mut SourceMap,
    loader: &dyn SourceLoader,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<RuleSet> {
    let mut lowerer = Lowerer::new(sources, loader, diagnostics);
    lowerer.gather(files);
    lowerer.declare_prefixes();
    lowerer.lower_lexicons();
    lowerer.lower_fragments();
    lowerer.lower_entities();
    lowerer.lower_rules();
    lowerer.lower_tests();
    lowerer.warn_unused();
    Some(lowerer.finish())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DeclKind {
    Lexicon,
    Fragment,
    Entity,
}

impl DeclKind {
    fn noun(self) -> &'static str {
        match self {
            DeclKind::Lexicon => "lexicon",
            DeclKind::Fragment => "fragment",
            DeclKind::Entity => "entity type",
        }
    }

    fn with_article(self) -> &'static str {
        match self {
            DeclKind::Lexicon => "a lexicon",
            DeclKind::Fragment => "a fragment",
            DeclKind::Entity => "an entity type",
        }
    }
}

/// A name in the shared namespace.
#[derive(Clone, Copy, Debug)]
struct Decl {
    kind: DeclKind,
    index: usize,
    file: FileId,
    span: Span,
}

/// Where a pattern is being lowered, which decides what it may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    /// A rule: captures allowed.
    Rule,
    /// An entity type's pattern: no captures.
    Entity,
    /// A fragment's own check: captures allowed (they bind where it is used).
    Fragment,
    /// A constraint's pattern: no captures, no entity references.
    Constraint,
}

/// The capture table of the rule being lowered.
#[derive(Default)]
struct Captures {
    list: Vec<Capture>,
    /// Where each capture is first bound, and whether a fragment brought it in.
    spans: Vec<(FileId, Span, bool)>,
    /// Names bound on the current path through the pattern.
    on_path: Vec<String>,
    /// Captures whose type was already reported unknown: no follow-up errors.
    poisoned: HashSet<usize>,
}

struct Lowerer<'a> {
    sources: &'a mut SourceMap,
    loader: &'a dyn SourceLoader,
    diagnostics: &'a mut Vec<Diagnostic>,
    // Gathered declarations.
    prefix_decls: Vec<(FileId, ast::PrefixDecl)>,
    base_decls: Vec<(FileId, ast::Iri)>,
    lexicon_decls: Vec<(FileId, ast::LexiconDecl)>,
    fragment_decls: Vec<(FileId, ast::FragmentDecl)>,
    entity_decls: Vec<(FileId, ast::EntityDecl)>,
    rule_decls: Vec<(FileId, ast::RuleDecl)>,
    test_decls: Vec<(FileId, ast::TestDecl)>,
    names: HashMap<String, Decl>,
    rule_names: HashMap<String, usize>,
    // Resolved pieces.
    prefixes: Vec<(String, String)>,
    prefix_map: HashMap<String, String>,
    base: Option<String>,
    lexicons: Vec<Lexicon>,
    entities: Vec<Option<EntityType>>,
    rules: Vec<Rule>,
    tests: Vec<RuleTest>,
    used: HashSet<String>,
    /// Entity → entities its pattern refers to (with the reference span), to find cycles.
    entity_refs: Vec<Vec<(usize, FileId, Span)>>,
    /// Fragments being expanded, to find cycles.
    expanding: Vec<String>,
    /// Fragment uses expanded so far (bounded: doubling fragments are exponential).
    expansions: usize,
    /// Names of declarations that did not parse: no follow-on errors about them.
    broken_names: HashSet<String>,
    /// Prefixes whose declaration did not parse: their uses are not reported.
    broken_prefixes: HashSet<String>,
    broken_rules: HashSet<String>,
    /// Fragment cycles already reported (their members, sorted).
    reported_cycles: HashSet<Vec<String>>,
    /// Whether diagnostics are kept (off while re-expanding a fragment that was checked alone).
    quiet: usize,
    quiet_errors: Vec<Diagnostic>,
}

/// How deep fragments may nest inside each other (each level is a stack frame).
pub const MAX_FRAGMENT_DEPTH: usize = 64;
/// How many fragment uses one rule set may expand in all.
pub const MAX_FRAGMENT_EXPANSIONS: usize = 1_000_000;

impl<'a> Lowerer<'a> {
    fn new(
        sources: &'a mut SourceMap,
        loader: &'a dyn SourceLoader,
        diagnostics: &'a mut Vec<Diagnostic>,
    ) -> Self {
        Lowerer {
            sources,
            loader,
            diagnostics,
            prefix_decls: Vec::new(),
            base_decls: Vec::new(),
            lexicon_decls: Vec::new(),
            fragment_decls: Vec::new(),
            entity_decls: Vec::new(),
            rule_decls: Vec::new(),
            test_decls: Vec::new(),
            names: HashMap::new(),
            rule_names: HashMap::new(),
            prefixes: Vec::new(),
            prefix_map: HashMap::new(),
            base: None,
            lexicons: Vec::new(),
            entities: Vec::new(),
            rules: Vec::new(),
            tests: Vec::new(),
            used: HashSet::new(),
            entity_refs: Vec::new(),
            expanding: Vec::new(),
            expansions: 0,
            quiet: 0,
            quiet_errors: Vec::new(),
            broken_names: HashSet::new(),
            broken_prefixes: HashSet::new(),
            broken_rules: HashSet::new(),
            reported_cycles: HashSet::new(),
        }
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        if self.quiet > 0 {
            self.quiet_errors.push(diagnostic);
        } else {
            self.diagnostics.push(diagnostic);
        }
    }

    // ------------------------------------------------------------ Gather

    fn gather(&mut self, files: &[(FileId, ast::File)]) {
        for (file, tree) in files {
            for broken in &tree.broken {
                match broken.keyword.as_str() {
                    "rule" => self.broken_rules.insert(broken.name.text.clone()),
                    "lexicon" | "fragment" | "entity" => {
                        self.broken_names.insert(broken.name.text.clone())
                    }
                    "prefix" => self.broken_prefixes.insert(broken.name.text.clone()),
                    _ => false,
                };
            }
            for item in &tree.items {
                match &item.kind {
                    ItemKind::Prefix(decl) => self.prefix_decls.push((*file, decl.clone())),
                    ItemKind::Base(iri) => self.base_decls.push((*file, iri.clone())),
                    ItemKind::Include(_) => {}
                    ItemKind::Lexicon(decl) => {
                        if self.declare(
                            *file,
                            &decl.name,
                            DeclKind::Lexicon,
                            self.lexicon_decls.len(),
                        ) {
                            self.lexicon_decls.push((*file, decl.clone()));
                        }
                    }
                    ItemKind::Fragment(decl) => {
                        if self.declare(
                            *file,
                            &decl.name,
                            DeclKind::Fragment,
                            self.fragment_decls.len(),
                        ) {
                            self.fragment_decls.push((*file, decl.clone()));
                        }
                    }
                    ItemKind::Entity(decl) => {
                        if self.declare(
                            *file,
                            &decl.name,
                            DeclKind::Entity,
                            self.entity_decls.len(),
                        ) {
                            self.entity_decls.push((*file, decl.clone()));
                        }
                    }
                    ItemKind::Rule(decl) => {
                        if let Some(&first) = self.rule_names.get(&decl.name.text) {
                            let (first_file, first_decl) = &self.rule_decls[first];
                            let diagnostic = Diagnostic::error(
                                "duplicate-name",
                                *file,
                                decl.name.span,
                                format!("rule `{}` is declared twice", decl.name.text),
                            )
                            .with_label("declared again here")
                            .with_secondary(
                                *first_file,
                                first_decl.name.span,
                                "first declared here",
                            )
                            .with_hint("rename one of them");
                            self.report(diagnostic);
                        } else {
                            self.rule_names
                                .insert(decl.name.text.clone(), self.rule_decls.len());
                            self.rule_decls.push((*file, decl.clone()));
                        }
                    }
                    ItemKind::Test(decl) => self.test_decls.push((*file, decl.clone())),
                }
            }
        }
    }

    /// Adds `name` to the shared namespace; reports a duplicate and returns false.
    fn declare(&mut self, file: FileId, name: &ast::Name, kind: DeclKind, index: usize) -> bool {
        if let Some(first) = self.names.get(&name.text).copied() {
            let diagnostic = Diagnostic::error(
                "duplicate-name",
                file,
                name.span,
                format!(
                    "`{}` is already declared as a {}",
                    name.text,
                    first.kind.noun()
                ),
            )
            .with_label("declared again here")
            .with_secondary(first.file, first.span, "first declared here")
            .with_hint(
                "lexicons, fragments and entity types share one namespace: rename one of them",
            );
            self.report(diagnostic);
            return false;
        }
        self.names.insert(
            name.text.clone(),
            Decl {
                kind,
                index,
                file,
                span: name.span,
            },
        );
        true
    }
}

// ------------------------------------------------------------- IRIs

impl Lowerer<'_> {
    fn declare_prefixes(&mut self) {
        for (prefix, iri) in PREDECLARED {
            self.prefix_map
                .insert((*prefix).to_owned(), (*iri).to_owned());
            self.prefixes
                .push(((*prefix).to_owned(), (*iri).to_owned()));
        }
        let bases = std::mem::take(&mut self.base_decls);
        let mut first_base: Option<(FileId, Span, String)> = None;
        for (file, iri) in &bases {
            let Some(value) = self.absolute_iri(*file, iri, false) else {
                continue;
            };
            match &first_base {
                Some((first_file, first_span, first)) if *first != value => {
                    let diagnostic = Diagnostic::error(
                        "duplicate-base",
                        *file,
                        iri.span(),
                        "a second, different base IRI",
                    )
                    .with_secondary(*first_file, *first_span, "first base")
                    .with_hint("a rule set has one base IRI");
                    self.report(diagnostic);
                }
                Some(_) => {}
                None => first_base = Some((*file, iri.span(), value)),
            }
        }
        self.base = first_base.map(|(_, _, value)| value);
        let decls = std::mem::take(&mut self.prefix_decls);
        let mut declared: HashMap<String, (FileId, Span)> = HashMap::new();
        for (file, decl) in &decls {
            let Some(value) = self.absolute_iri(*file, &decl.iri, false) else {
                continue;
            };
            let prefix = decl.prefix.text.clone();
            match self.prefix_map.get(&prefix) {
                Some(existing) if *existing != value => {
                    let mut diagnostic = Diagnostic::error(
                        "duplicate-prefix",
                        *file,
                        decl.iri.span(),
                        format!("prefix `{prefix}:` is declared with two different IRIs"),
                    )
                    .with_label(format!("`{prefix}:` was <{existing}>"))
                    .with_hint(
                        "a prefix stands for one IRI in the whole rule set: rename one of them",
                    );
                    if let Some((first_file, first_span)) = declared.get(&prefix) {
                        diagnostic = diagnostic.with_secondary(
                            *first_file,
                            *first_span,
                            "first declared here",
                        );
                    }
                    self.report(diagnostic);
                }
                Some(_) => {}
                None => {
                    declared.insert(prefix.clone(), (*file, decl.iri.span()));
                    self.prefix_map.insert(prefix.clone(), value.clone());
                    self.prefixes.push((prefix, value));
                }
            }
        }
    }

    /// The IRI text of `iri` with its prefix expanded and against the base,
    /// placeholders left as written. Reports and returns `None` on error.
    fn expand_iri(&mut self, file: FileId, iri: &ast::Iri) -> Option<String> {
        match iri {
            ast::Iri::Full { text, .. } => Some(text.clone()),
            ast::Iri::Prefixed { prefix, local, .. } => match self.prefix_map.get(&prefix.text) {
                Some(namespace) => Some(format!("{namespace}{local}")),
                // Its declaration has a syntax error, reported already.
                None if self.broken_prefixes.contains(&prefix.text) => None,
                None => {
                    let known: Vec<String> = self.prefix_map.keys().cloned().collect();
                    let near = did_you_mean(&prefix.text, known.iter().map(String::as_str));
                    let hint = match near {
                        Some(near) => format!("did you mean `{near}:`?"),
                        None => format!(
                            "declare it: `prefix {}: <http://example.org/>`",
                            prefix.text
                        ),
                    };
                    let diagnostic = Diagnostic::error(
                        "unknown-prefix",
                        file,
                        prefix.span,
                        format!("unknown prefix `{}:`", prefix.text),
                    )
                    .with_label("not declared")
                    .with_hint(hint);
                    self.report(diagnostic);
                    None
                }
            },
        }
    }

    /// An absolute, valid IRI; `allow_placeholders` for templates (checked
    /// with a sample text). Reports and returns `None` on error.
    fn absolute_iri(
        &mut self,
        file: FileId,
        iri: &ast::Iri,
        allow_placeholders: bool,
    ) -> Option<String> {
        const MARKER: &str = "kgrep0placeholder0";
        let text = self.expand_iri(file, iri)?;
        let parts = self.template_parts(file, iri, &text, allow_placeholders)?;
        let sample = IriTemplate { parts }.expand(MARKER);
        if oxiri::Iri::parse(sample.as_str()).is_ok() {
            return Some(text);
        }
        let error = match (oxiri::IriRef::parse(sample.as_str()), &self.base) {
            (Ok(_), Some(base)) => match oxiri::Iri::parse(base.as_str())
                .map(|base| base.resolve(&sample))
            {
                Ok(Ok(resolved)) => return Some(resolved.into_inner().replace(MARKER, "{text}")),
                Ok(Err(error)) | Err(error) => error.to_string(),
            },
            (Ok(_), None) => {
                let diagnostic = Diagnostic::error(
                    "relative-iri",
                    file,
                    iri.span(),
                    format!("relative IRI `{text}` with no base"),
                )
                .with_label("relative")
                .with_hint("declare `base <http://example.org/>` or write an absolute IRI");
                self.report(diagnostic);
                return None;
            }
            (Err(error), _) => error.to_string(),
        };
        let diagnostic = Diagnostic::error("bad-iri", file, iri.span(), format!("invalid IRI `{text}`"))
            .with_label(error)
            .with_hint("an IRI looks like <http://example.org/path>; percent-encode spaces and other reserved characters");
        self.report(diagnostic);
        None
    }

    fn template_parts(
        &mut self,
        file: FileId,
        iri: &ast::Iri,
        text: &str,
        allow: bool,
    ) -> Option<Vec<TemplatePart>> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find(['{', '}']) {
            let Some(close) = rest[open..]
                .find('}')
                .map(|c| open + c)
                .filter(|_| rest[open..].starts_with('{'))
            else {
                let diagnostic = Diagnostic::error("bad-iri", file, iri.span(), format!("unbalanced braces in IRI `{text}`"))
                    .with_hint("a placeholder is written `{text}`; percent-encode a literal brace as %7B or %7D");
                self.report(diagnostic);
                return None;
            };
            if open > 0 {
                parts.push(TemplatePart::Text(rest[..open].to_owned()));
            }
            let placeholder = &rest[open + 1..close];
            if !allow {
                let diagnostic = Diagnostic::error(
                    "unexpected-placeholder",
                    file,
                    iri.span(),
                    format!("`{{{placeholder}}}` only works in an entity's `iri` clause"),
                )
                .with_hint("write a fixed IRI here");
                self.report(diagnostic);
                return None;
            }
            if !IriTemplate::PLACEHOLDERS.contains(&placeholder) {
                let near = did_you_mean(placeholder, IriTemplate::PLACEHOLDERS.iter().copied());
                let diagnostic = Diagnostic::error(
                    "unknown-placeholder",
                    file,
                    iri.span(),
                    format!("unknown placeholder `{{{placeholder}}}` in an IRI template"),
                )
                .with_hint(match near {
                    Some(near) => format!("did you mean `{{{near}}}`?"),
                    None => "the placeholder is `{text}`: the mention's normalised text".to_owned(),
                });
                self.report(diagnostic);
                return None;
            }
            parts.push(TemplatePart::MentionText);
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.to_owned()));
        }
        Some(parts)
    }

    fn named_node(&mut self, file: FileId, iri: &ast::Iri) -> Option<NamedNode> {
        let text = self.absolute_iri(file, iri, false)?;
        NamedNode::new(text).ok()
    }

    fn literal(&mut self, file: FileId, literal: &ast::Literal) -> Option<Literal> {
        match literal {
            ast::Literal::String {
                value, annotation, ..
            } => match annotation {
                None => Some(Literal::new_simple_literal(&value.value)),
                Some(ast::Annotation::Lang(tag)) => self
                    .language_tag(file, tag)
                    .map(|tag| Literal::new_language_tagged_literal_unchecked(&value.value, tag)),
                Some(ast::Annotation::Datatype(datatype)) => {
                    let datatype_node = self.named_node(file, datatype)?;
                    if !is_valid_lexical_form(&value.value, datatype_node.as_ref()) {
                        let diagnostic = Diagnostic::error(
                            "datatype-mismatch",
                            file,
                            literal.span(),
                            format!(
                                "\"{}\" is not a valid {}",
                                value.value,
                                self.short(&datatype_node)
                            ),
                        )
                        .with_label("not a valid lexical form")
                        .with_hint(lexical_hint(datatype_node.as_ref()));
                        self.report(diagnostic);
                        return None;
                    }
                    Some(Literal::new_typed_literal(&value.value, datatype_node))
                }
            },
            ast::Literal::Integer { text, .. } => {
                Some(Literal::new_typed_literal(text, xsd::INTEGER))
            }
            ast::Literal::Decimal { text, .. } => {
                Some(Literal::new_typed_literal(text, xsd::DECIMAL))
            }
            ast::Literal::Boolean { value, .. } => Some(Literal::from(*value)),
        }
    }

    fn language_tag(&mut self, file: FileId, tag: &ast::LangTag) -> Option<String> {
        match oxilangtag_check(&tag.tag) {
            true => Some(tag.tag.to_ascii_lowercase()),
            false => {
                let diagnostic = Diagnostic::error(
                    "bad-language-tag",
                    file,
                    tag.span,
                    format!("invalid language tag `@{}`", tag.tag),
                )
                .with_hint("write `@zh`, `@en` or `@zh-Hans`");
                self.report(diagnostic);
                None
            }
        }
    }

    /// `xsd:integer` rather than the full IRI, for messages.
    fn short(&self, node: &NamedNode) -> String {
        for (prefix, namespace) in &self.prefixes {
            if let Some(local) = node.as_str().strip_prefix(namespace.as_str()) {
                return format!("{prefix}:{local}");
            }
        }
        format!("<{}>", node.as_str())
    }
}

fn oxilangtag_check(tag: &str) -> bool {
    Literal::new_language_tagged_literal("x", tag).is_ok()
}

fn lexical_hint(datatype: oxrdf::NamedNodeRef<'_>) -> String {
    if datatype == xsd::INTEGER {
        "an xsd:integer is digits with an optional sign, such as \"46\"".to_owned()
    } else if datatype == xsd::DECIMAL {
        "an xsd:decimal looks like \"4.5\"".to_owned()
    } else if datatype == xsd::DATE {
        "an xsd:date looks like \"2020-02-12\"".to_owned()
    } else if datatype == xsd::BOOLEAN {
        "an xsd:boolean is \"true\" or \"false\"".to_owned()
    } else if datatype == xsd::G_YEAR {
        "an xsd:gYear is a year in digits, such as \"2020\" (no 年)".to_owned()
    } else if datatype == xsd::G_YEAR_MONTH {
        "an xsd:gYearMonth looks like \"2020-02\"".to_owned()
    } else if datatype == xsd::DATE_TIME {
        "an xsd:dateTime looks like \"2020-02-12T08:30:00\", with an optional zone (Z, +08:00)"
            .to_owned()
    } else if let Some((low, high)) = super::iri::integer_range(datatype) {
        match (low == -i128::MAX, high == i128::MAX) {
            (false, true) => format!("a whole number of at least {low}, in digits"),
            (true, false) => format!("a whole number of at most {high}, in digits"),
            _ => format!("a whole number from {low} to {high}, in digits"),
        }
    } else {
        "check the value against the datatype".to_owned()
    }
}

// ---------------------------------------------------------- Lexicons

impl Lowerer<'_> {
    fn lower_lexicons(&mut self) {
        let decls = std::mem::take(&mut self.lexicon_decls);
        for (file, decl) in &decls {
            let entries = match &decl.source {
                ast::LexiconSource::Inline(entries) => {
                    let mut resolved = Vec::new();
                    let mut inline_seen: HashMap<String, usize> = HashMap::new();
                    for entry in entries {
                        if entry.text.value.is_empty() {
                            let diagnostic = Diagnostic::error(
                                "empty-entry",
                                *file,
                                entry.text.span,
                                "empty lexicon entry",
                            )
                            .with_hint("an entry must have at least one character");
                            self.report(diagnostic);
                            continue;
                        }
                        let target = match &entry.target {
                            None => EntryTarget::Text,
                            Some(ast::EntryTarget::Canonical(canonical)) => {
                                EntryTarget::Canonical(canonical.value.clone())
                            }
                            Some(ast::EntryTarget::Iri(iri)) => match self.named_node(*file, iri) {
                                Some(node) => EntryTarget::Iri(node),
                                None => continue,
                            },
                        };
                        if let Some(first) = inline_seen.get(&entry.text.value) {
                            let line = self.sources.file(*file).line_col(*first).line;
                            self.warn_duplicate_entry(
                                *file,
                                entry.text.span,
                                &entry.text.value,
                                line,
                            );
                            continue;
                        }
                        inline_seen.insert(entry.text.value.clone(), entry.text.span.start);
                        resolved.push(LexiconEntry {
                            text: entry.text.value.clone(),
                            target,
                        });
                    }
                    resolved
                }
                ast::LexiconSource::File(path) => self.lexicon_file(*file, path),
            };
            // Each branch above keeps the first of duplicate entries only.
            self.lexicons.push(Lexicon {
                name: decl.name.text.clone(),
                ignore_case: decl.ignore_case,
                entries,
                origin: Origin {
                    file: *file,
                    span: decl.name.span,
                },
            });
        }
        self.lexicon_decls = decls;
    }

    /// Reads a lexicon file: one entry a line, an optional second column after
    /// a tab (canonical form, or `<IRI>`), `#` comments, blank lines skipped.
    fn lexicon_file(&mut self, file: FileId, path: &ast::StringLit) -> Vec<LexiconEntry> {
        let (name, real) = self.sources.relative_to(file, &path.value);
        let text = match self.loader.read(&real) {
            Ok(text) => text,
            Err(error) => {
                let diagnostic = Diagnostic::error(
                    "missing-file",
                    file,
                    path.span,
                    format!(
                        "cannot read lexicon file `{}`",
                        super::load::visible_path(&name)
                    ),
                )
                .with_label(error.to_string())
                .with_hint(super::load::missing_file_hint(
                    self.sources.file(file).slice(path.span),
                    "the path is relative to the rule file",
                ));
                self.report(diagnostic);
                return Vec::new();
            }
        };
        let key = self.loader.canonicalize(&real).unwrap_or(real);
        let lexicon_file = self.sources.add(name, key, text);
        let text = self.sources.file(lexicon_file).text.clone();
        let mut entries = Vec::new();
        // Keyed by slices of `text`: a million entries, no copies; hashed
        // with foldhash (fast, not keyed against floods: the keys are the
        // rule author's).
        let mut file_seen: HashMap<&str, usize, foldhash::fast::FixedState> =
            HashMap::with_capacity_and_hasher(text.len() / 16, Default::default());
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let line_offset = offset;
            offset += line.len();
            let content = line.trim_end_matches(['\n', '\r']);
            if content.trim().is_empty() || content.trim_start().starts_with('#') {
                continue;
            }
            if !content.contains('\t')
                && (content.trim().contains("  ") || content.trim().contains(" <"))
            {
                let start = line_offset + content.len() - content.trim_start().len();
                let diagnostic = Diagnostic::warning(
                    "lexicon-spaces",
                    lexicon_file,
                    Span::new(start, line_offset + content.trim_end().len()),
                    format!(
                        "this line has no tab, so all of `{}` is one entry",
                        content.trim()
                    ),
                )
                .with_label("spaces, not a tab")
                .with_hint("separate an entry from its second column with a tab");
                self.report(diagnostic);
            }
            let columns: Vec<&str> = content.split('\t').collect();
            if columns.len() > 2 {
                let start = line_offset + columns[0].len() + columns[1].len() + 2;
                let diagnostic = Diagnostic::error(
                    "bad-lexicon-line",
                    lexicon_file,
                    Span::new(start, line_offset + content.len()),
                    "a lexicon line has at most two columns",
                )
                .with_label("third column")
                .with_hint("write `entry<TAB>canonical form` or `entry<TAB><IRI>`");
                self.report(diagnostic);
                continue;
            }
            let (entry, target) = (columns[0].trim(), columns.get(1).map(|c| c.trim()));
            let target = match target {
                None | Some("") => EntryTarget::Text,
                Some(iri) if iri.starts_with('<') && iri.ends_with('>') => {
                    match NamedNode::new(&iri[1..iri.len() - 1]) {
                        Ok(node) => EntryTarget::Iri(node),
                        Err(error) => {
                            let start = line_offset + content.find(iri).unwrap_or(0);
                            let diagnostic = Diagnostic::error(
                                "bad-iri",
                                lexicon_file,
                                Span::new(start, start + iri.len()),
                                format!("invalid IRI `{iri}`"),
                            )
                            .with_label(error.to_string())
                            .with_hint(
                                "IRIs in lexicon files must be absolute: <http://example.org/x>",
                            );
                            self.report(diagnostic);
                            continue;
                        }
                    }
                }
                Some(iri) if iri.starts_with('<') => {
                    let start = line_offset + content.find(iri).unwrap_or(0);
                    let diagnostic = Diagnostic::error(
                        "bad-iri",
                        lexicon_file,
                        Span::new(start, start + iri.len()),
                        format!("unclosed IRI `{iri}`"),
                    )
                    .with_hint(
                        "write the IRI as <http://example.org/x>, absolute, with a closing `>`",
                    );
                    self.report(diagnostic);
                    continue;
                }
                Some(canonical) => EntryTarget::Canonical(canonical.to_owned()),
            };
            // `entry` is a slice of `content`.
            let at = line_offset + (entry.as_ptr() as usize - content.as_ptr() as usize);
            match file_seen.entry(entry) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    let line = self.sources.file(lexicon_file).line_col(*first.get()).line;
                    self.warn_duplicate_entry(
                        lexicon_file,
                        Span::new(at, at + entry.len()),
                        entry,
                        line,
                    );
                    continue;
                }
                std::collections::hash_map::Entry::Vacant(vacant) => {
                    vacant.insert(at);
                }
            }
            entries.push(LexiconEntry {
                text: entry.to_owned(),
                target,
            });
        }
        entries
    }

    /// A lexicon entry written twice: the first one counts.
    fn warn_duplicate_entry(&mut self, file: FileId, span: Span, entry: &str, first_line: usize) {
        let diagnostic = Diagnostic::warning(
            "duplicate-entry",
            file,
            span,
            format!("`{entry}` is already an entry of this lexicon (line {first_line})"),
        )
        .with_label("again")
        .with_hint("remove one of them; the first one (and its second column) is the one used");
        self.report(diagnostic);
    }
}

// ---------------------------------------------------------- Patterns

impl Lowerer<'_> {
    /// Lowers `pattern` written in `file`, in `context`.
    #[expect(
        clippy::too_many_arguments,
        reason = "the recursion's state: grouping it would only rename it"
    )]
    fn pattern(
        &mut self,
        file: FileId,
        pattern: &ast::Pattern,
        context: Context,
        captures: &mut Captures,
        optional: bool,
        repeated: bool,
        owner: Option<usize>,
    ) -> Pattern {
        match &pattern.kind {
            ast::PatternKind::Alternation(branches) => {
                let before = captures.on_path.clone();
                let mut after = before.clone();
                let mut lowered = Vec::new();
                for branch in branches {
                    captures.on_path = before.clone();
                    lowered
                        .push(self.pattern(file, branch, context, captures, true, repeated, owner));
                    for name in &captures.on_path {
                        if !after.contains(name) {
                            after.push(name.clone());
                        }
                    }
                }
                captures.on_path = after;
                Pattern::Alternation(lowered)
            }
            ast::PatternKind::Sequence(parts) => Pattern::Concat(
                parts
                    .iter()
                    .map(|part| {
                        self.pattern(file, part, context, captures, optional, repeated, owner)
                    })
                    .collect(),
            ),
            ast::PatternKind::Repeat { inner, min, max } => {
                let optional = optional || *min == 0;
                let repeated = repeated || *max != Some(1);
                let inner = self.pattern(file, inner, context, captures, optional, repeated, owner);
                Pattern::Repeat {
                    inner: Box::new(inner),
                    min: *min,
                    max: *max,
                }
            }
            ast::PatternKind::Literal(text) => Pattern::Literal(text.clone()),
            ast::PatternKind::LiteralNoCase(text) => Pattern::LiteralNoCase(text.clone()),
            ast::PatternKind::WordBoundary { negated } => {
                Pattern::WordBoundary { negated: *negated }
            }
            ast::PatternKind::Class(class) => match lower_class(class) {
                Ok(class) => Pattern::Class(class),
                Err((escape, error)) => {
                    let span = match &escape {
                        ast::ClassEscape::Property { span, .. } => *span,
                        _ => pattern.span,
                    };
                    let diagnostic = Diagnostic::error("bad-property", file, span, error.message)
                        .with_optional_hint(error.hint);
                    self.report(diagnostic);
                    Pattern::Any
                }
            },
            ast::PatternKind::Any => Pattern::Any,
            ast::PatternKind::Start => Pattern::Start,
            ast::PatternKind::End => Pattern::End,
            ast::PatternKind::Group(inner) => {
                self.pattern(file, inner, context, captures, optional, repeated, owner)
            }
            ast::PatternKind::Reference(name) => {
                self.reference(file, name, context, captures, optional, repeated, owner)
            }
            ast::PatternKind::Capture { name, target } => self.capture(
                file,
                pattern.span,
                name,
                target,
                context,
                captures,
                optional,
                repeated,
                owner,
            ),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn capture(
        &mut self,
        file: FileId,
        span: Span,
        name: &ast::Name,
        target: &ast::CaptureTarget,
        context: Context,
        captures: &mut Captures,
        optional: bool,
        repeated: bool,
        owner: Option<usize>,
    ) -> Pattern {
        match context {
            Context::Entity | Context::Constraint => {
                let place = if context == Context::Entity {
                    "an entity type's pattern"
                } else {
                    "a constraint's pattern"
                };
                let diagnostic = Diagnostic::error(
                    "capture-not-allowed",
                    file,
                    name.span,
                    format!("a capture cannot appear in {place}"),
                )
                .with_label("capture")
                .with_hint("captures belong in rules; remove the `$name:` part");
                self.report(diagnostic);
                return match target {
                    ast::CaptureTarget::Name(target) => {
                        self.reference(file, target, context, captures, optional, repeated, owner)
                    }
                    ast::CaptureTarget::Pattern(inner) => {
                        self.pattern(file, inner, context, captures, optional, repeated, owner)
                    }
                };
            }
            Context::Rule | Context::Fragment => {}
        }
        if repeated {
            let diagnostic = Diagnostic::error(
                "capture-in-repetition",
                file,
                span,
                format!("capture `${}` is inside a repetition", name.text),
            )
            .with_label("would bind once per repetition")
            .with_hint("capture the whole repetition instead: `$name:(...+)`");
            self.report(diagnostic);
        }
        if captures.on_path.contains(&name.text) {
            let first = captures
                .list
                .iter()
                .position(|c| c.name == name.text)
                .map(|i| (captures.spans[i].0, captures.spans[i].1));
            let mut diagnostic = Diagnostic::error(
                "capture-bound-twice",
                file,
                name.span,
                format!("capture `${}` is bound twice", name.text),
            )
            .with_label("bound again here")
            .with_hint("give each capture its own name");
            if let Some((first_file, first)) = first {
                diagnostic = diagnostic.with_secondary(first_file, first, "first bound here");
            }
            self.report(diagnostic);
        }
        let (inner, kind) = match target {
            ast::CaptureTarget::Name(target) => {
                if !self.names.contains_key(&target.text) {
                    let index = captures
                        .list
                        .iter()
                        .position(|c| c.name == name.text)
                        .unwrap_or(captures.list.len());
                    captures.poisoned.insert(index);
                }
                let inner =
                    self.reference(file, target, context, captures, optional, repeated, owner);
                let kind = match &inner {
                    Pattern::Entity(id) => CaptureKind::Entity(*id),
                    Pattern::Lexicon(id) => CaptureKind::Lexicon(*id),
                    _ => CaptureKind::Text,
                };
                (inner, kind)
            }
            ast::CaptureTarget::Pattern(inner) => {
                let inner = self.pattern(file, inner, context, captures, optional, repeated, owner);
                // `$x:(Org | Place)`: a mention of one of several entity types.
                let kind = match &inner {
                    Pattern::Alternation(branches)
                        if branches.iter().all(|b| matches!(b, Pattern::Entity(_))) =>
                    {
                        CaptureKind::OneOfEntities
                    }
                    _ => CaptureKind::Text,
                };
                (inner, kind)
            }
        };
        let id = match captures.list.iter().position(|c| c.name == name.text) {
            Some(index) => {
                let first = captures.list[index].kind;
                if first.is_entity() && kind.is_entity() {
                    // `$x:Org | $x:Place`: one of several entity types too.
                    if first != kind {
                        captures.list[index].kind = CaptureKind::OneOfEntities;
                    }
                } else if first != kind && !captures.on_path.contains(&name.text) {
                    let diagnostic = Diagnostic::error(
                        "capture-kind-mismatch",
                        file,
                        name.span,
                        format!(
                            "capture `${}` holds {} here and {} in another branch",
                            name.text,
                            self.kind_noun(kind),
                            self.kind_noun(first),
                        ),
                    )
                    .with_secondary(
                        captures.spans[index].0,
                        captures.spans[index].1,
                        format!("bound here to {}", self.kind_noun(first)),
                    )
                    .with_hint("use a different name in each branch; a capture may bind one of several entity types (`$x:(Org | Place)`), not an entity and text");
                    self.report(diagnostic);
                }
                captures.list[index].optional |= optional;
                index
            }
            None => {
                captures.list.push(Capture {
                    name: name.text.clone(),
                    kind,
                    optional,
                });
                captures
                    .spans
                    .push((file, name.span, !self.expanding.is_empty()));
                captures.list.len() - 1
            }
        };
        if !captures.on_path.contains(&name.text) {
            captures.on_path.push(name.text.clone());
        }
        Pattern::Capture {
            capture: CaptureId(id),
            inner: Box::new(inner),
        }
    }

    /// What a capture of `kind` holds, in words.
    fn kind_noun(&self, kind: CaptureKind) -> String {
        match kind {
            CaptureKind::Entity(id) => format!(
                "a mention of entity type `{}`",
                self.entity_decls[id.0].1.name.text
            ),
            CaptureKind::OneOfEntities => "a mention of one of several entity types".to_owned(),
            CaptureKind::Lexicon(id) => format!(
                "an entry of lexicon `{}`",
                self.lexicon_decls[id.0].1.name.text
            ),
            CaptureKind::Text => "text".to_owned(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn reference(
        &mut self,
        file: FileId,
        name: &ast::Name,
        context: Context,
        captures: &mut Captures,
        optional: bool,
        repeated: bool,
        owner: Option<usize>,
    ) -> Pattern {
        let Some(decl) = self.names.get(&name.text).copied() else {
            if !self.broken_names.contains(&name.text) {
                self.unknown_name(file, name, "name");
            }
            return Pattern::Any;
        };
        self.used.insert(name.text.clone());
        match decl.kind {
            DeclKind::Lexicon => Pattern::Lexicon(LexiconId(decl.index)),
            DeclKind::Entity => {
                if context == Context::Constraint {
                    let diagnostic = Diagnostic::error(
                        "entity-in-constraint",
                        file,
                        name.span,
                        format!("entity type `{}` cannot be used in a constraint", name.text),
                    )
                    .with_hint("test the text with a lexicon or a pattern");
                    self.report(diagnostic);
                    return Pattern::Any;
                }
                if let Some(owner) = owner {
                    self.entity_refs[owner].push((decl.index, file, name.span));
                }
                Pattern::Entity(EntityId(decl.index))
            }
            DeclKind::Fragment => {
                if let Some(position) = self.expanding.iter().position(|n| *n == name.text) {
                    // Report each cycle once, wherever it is first met.
                    let mut members = self.expanding[position..].to_vec();
                    members.sort();
                    if !self.reported_cycles.insert(members) {
                        return Pattern::Any;
                    }
                    let chain = self.expanding[position..].join(" → ");
                    let diagnostic = Diagnostic::error(
                        "recursive-fragment",
                        file,
                        name.span,
                        format!("fragment `{}` refers to itself", name.text),
                    )
                    .with_label(format!("{chain} → {}", name.text))
                    .with_hint("patterns cannot be recursive; spell out the nesting you need");
                    self.diagnostics.push(diagnostic);
                    return Pattern::Any;
                }
                if self.expanding.len() >= MAX_FRAGMENT_DEPTH {
                    if self.reported_cycles.insert(vec!["(depth)".to_owned()]) {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "fragment-too-deep",
                                file,
                                name.span,
                                format!(
                                    "fragments nest more than {MAX_FRAGMENT_DEPTH} deep here"
                                ),
                            )
                            .with_label(format!("`{}` goes one deeper", name.text))
                            .with_hint("flatten the chain: a fragment may use others, but not 64 levels of them"),
                        );
                    }
                    return Pattern::Any;
                }
                self.expansions += 1;
                if self.expansions > MAX_FRAGMENT_EXPANSIONS {
                    if self.reported_cycles.insert(vec!["(size)".to_owned()]) {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "fragment-expansion-too-large",
                                file,
                                name.span,
                                format!(
                                    "expanding the fragments makes more than {MAX_FRAGMENT_EXPANSIONS} copies"
                                ),
                            )
                            .with_label(format!("`{}` is expanded here", name.text))
                            .with_hint("a fragment used twice in a fragment used twice … doubles at each level; use a lexicon or a repetition instead"),
                        );
                    }
                    return Pattern::Any;
                }
                let (fragment_file, fragment) = self.fragment_decls[decl.index].clone();
                self.expanding.push(name.text.clone());
                // The fragment was checked on its own; here only problems that
                // come from where it is used are reported, at the use.
                self.quiet += 1;
                let errors_before = self.quiet_errors.len();
                let lowered = self.pattern(
                    fragment_file,
                    &fragment.pattern,
                    context,
                    captures,
                    optional,
                    repeated,
                    owner,
                );
                self.quiet -= 1;
                let new_errors: Vec<Diagnostic> =
                    self.quiet_errors.drain(errors_before..).collect();
                self.expanding.pop();
                if let Some(first) = new_errors
                    .into_iter()
                    .find(|d| CONTEXT_CODES.contains(&d.code))
                {
                    if self.quiet == 0 {
                        let diagnostic = Diagnostic::error(
                            first.code,
                            file,
                            name.span,
                            format!("{} (in fragment `{}`)", first.message, name.text),
                        )
                        .with_secondary(first.primary.file, first.primary.span, "here")
                        .with_optional_hint(first.hints.first().cloned());
                        self.report(diagnostic);
                    } else {
                        self.report(first);
                    }
                }
                lowered
            }
        }
    }

    fn unknown_name(&mut self, file: FileId, name: &ast::Name, what: &str) {
        let near =
            did_you_mean(&name.text, self.names.keys().map(String::as_str)).map(str::to_owned);
        let hint = match near {
            Some(near) => {
                // The author meant `near`: it is used, not "never used".
                let hint = format!("did you mean `{near}`?");
                self.used.insert(near);
                Some(hint)
            }
            None if !name.text.is_ascii() => Some(format!(
                "to match the text itself, quote it: \"{}\"",
                name.text
            )),
            None => None,
        };
        let diagnostic = Diagnostic::error(
            "unknown-name",
            file,
            name.span,
            format!("unknown {what} `{}`", name.text),
        )
        .with_label("not declared")
        .with_optional_hint(hint);
        self.report(diagnostic);
    }

    fn lower_fragments(&mut self) {
        let decls = self.fragment_decls.clone();
        for (file, decl) in &decls {
            self.expanding.push(decl.name.text.clone());
            let mut captures = Captures::default();
            self.pattern(
                *file,
                &decl.pattern,
                Context::Fragment,
                &mut captures,
                false,
                false,
                None,
            );
            self.expanding.pop();
        }
    }
}

/// Errors that depend on where a fragment is used, reported at the use.
const CONTEXT_CODES: &[&str] = &[
    "capture-not-allowed",
    "capture-in-repetition",
    "capture-bound-twice",
    "entity-in-constraint",
];

// ------------------------------------------------------- Constraints

impl Lowerer<'_> {
    fn constraints(
        &mut self,
        file: FileId,
        constraints: &[ast::Constraint],
        captures: Option<&mut Captures>,
        used_captures: &mut HashSet<usize>,
    ) -> Vec<Constraint> {
        let captures = captures.map(|c| &*c);
        constraints
            .iter()
            .filter_map(|constraint| self.constraint(file, constraint, captures, used_captures))
            .collect()
    }

    /// One constraint, or `None` when it has an error (reported).
    fn constraint(
        &mut self,
        file: FileId,
        constraint: &ast::Constraint,
        captures: Option<&Captures>,
        used_captures: &mut HashSet<usize>,
    ) -> Option<Constraint> {
        let origin = Origin {
            file,
            span: constraint.span,
        };
        let (subject, negated) = match &constraint.kind {
            ast::ConstraintKind::In {
                subject, negated, ..
            }
            | ast::ConstraintKind::Match {
                subject, negated, ..
            } => (Some(subject), *negated),
            ast::ConstraintKind::Length { subject, .. } => (Some(subject), false),
            ast::ConstraintKind::Context {
                subject, negated, ..
            } => (subject.as_ref(), *negated),
            ast::ConstraintKind::Any(alternatives) => {
                let mut lowered = Vec::new();
                let mut broken = false;
                for alternative in alternatives {
                    match self.constraint(file, alternative, captures, used_captures) {
                        Some(alternative) => lowered.push(alternative),
                        None => broken = true,
                    }
                }
                return (!broken).then_some(Constraint {
                    capture: None,
                    test: ConstraintTest::Any(lowered),
                    negated: false,
                    origin,
                });
            }
        };
        let capture = match (subject, captures) {
            (None, _) | (Some(ast::Subject::Text(_)), None) => None,
            (Some(ast::Subject::Text(span)), Some(_)) => {
                let diagnostic = Diagnostic::error(
                    "bad-subject",
                    file,
                    *span,
                    "`text` only works in an entity type's `where`",
                )
                .with_hint("in a rule, test a capture: `$org not in Place`");
                self.report(diagnostic);
                return None;
            }
            (Some(ast::Subject::Capture(name)), None) => {
                let diagnostic = Diagnostic::error(
                    "bad-subject",
                    file,
                    name.span,
                    "an entity type has no captures to test",
                )
                .with_hint("test the whole mention with `text`: `where text not in Place`");
                self.report(diagnostic);
                return None;
            }
            (Some(ast::Subject::Capture(name)), Some(captures)) => {
                match captures.list.iter().position(|c| c.name == name.text) {
                    Some(index) => {
                        used_captures.insert(index);
                        Some(CaptureId(index))
                    }
                    None => {
                        self.unbound_capture(file, name, captures);
                        return None;
                    }
                }
            }
        };
        let test = match &constraint.kind {
            ast::ConstraintKind::In { lexicon, .. } => {
                match self.names.get(&lexicon.text).copied() {
                    Some(decl) if decl.kind == DeclKind::Lexicon => {
                        self.used.insert(lexicon.text.clone());
                        ConstraintTest::InLexicon(LexiconId(decl.index))
                    }
                    Some(decl) => {
                        let diagnostic = Diagnostic::error("not-a-lexicon", file, lexicon.span, format!("`{}` is {}, not a lexicon", lexicon.text, decl.kind.with_article()))
                        .with_secondary(decl.file, decl.span, "declared here")
                        .with_hint(if decl.kind == DeclKind::Entity {
                            "`in` looks text up in a lexicon; an entity type cannot be used in a constraint: list the names in a lexicon".to_owned()
                        } else {
                            format!("`in` looks text up in a lexicon; to test a pattern, write `matches {}`", lexicon.text)
                        });
                        self.used.insert(lexicon.text.clone());
                        self.report(diagnostic);
                        return None;
                    }
                    None => {
                        if !self.broken_names.contains(&lexicon.text) {
                            self.unknown_name(file, lexicon, "lexicon");
                        }
                        return None;
                    }
                }
            }
            ast::ConstraintKind::Match { mode, pattern, .. } => {
                let lowered = self.constraint_pattern(file, pattern);
                match mode {
                    ast::MatchMode::Matches => ConstraintTest::Matches(lowered),
                    ast::MatchMode::Contains => ConstraintTest::Contains(lowered),
                }
            }
            ast::ConstraintKind::Context { side, pattern, .. } => ConstraintTest::Context {
                side: *side,
                pattern: self.constraint_pattern(file, pattern),
            },
            ast::ConstraintKind::Length { op, value, .. } => {
                ConstraintTest::Length(*op, value.value)
            }
            ast::ConstraintKind::Any(_) => unreachable!("handled above"),
        };
        Some(Constraint {
            capture,
            test,
            negated,
            origin,
        })
    }

    /// A pattern inside a constraint (no captures).
    fn constraint_pattern(&mut self, file: FileId, pattern: &ast::Pattern) -> Pattern {
        let mut scratch = Captures::default();
        self.pattern(
            file,
            pattern,
            Context::Constraint,
            &mut scratch,
            false,
            false,
            None,
        )
    }

    fn unbound_capture(&mut self, file: FileId, name: &ast::Name, captures: &Captures) {
        let near = did_you_mean(&name.text, captures.list.iter().map(|c| c.name.as_str()));
        let diagnostic = Diagnostic::error(
            "unbound-capture",
            file,
            name.span,
            format!(
                "capture `${}` is not bound by the rule's pattern",
                name.text
            ),
        )
        .with_label("never bound")
        .with_hint(match near {
            Some(near) => format!("did you mean `${near}`?"),
            None => format!("bind it in the pattern: `${}:Type`", name.text),
        });
        self.report(diagnostic);
    }
}

// ---------------------------------------------------------- Entities

impl Lowerer<'_> {
    fn lower_entities(&mut self) {
        let decls = self.entity_decls.clone();
        self.entity_refs = vec![Vec::new(); decls.len()];
        for (index, (file, decl)) in decls.iter().enumerate() {
            let entity = self.entity(index, *file, decl);
            self.entities.push(entity);
        }
        self.entity_cycles();
    }

    fn entity(&mut self, index: usize, file: FileId, decl: &ast::EntityDecl) -> Option<EntityType> {
        let classes: Vec<NamedNode> = decl
            .classes
            .iter()
            .filter_map(|class| self.named_node(file, class))
            .collect();
        let mut captures = Captures::default();
        let pattern = self.pattern(
            file,
            &decl.pattern,
            Context::Entity,
            &mut captures,
            false,
            false,
            Some(index),
        );
        if pattern.can_match_empty() {
            self.empty_match(file, &decl.name, decl.pattern.span, "entity type");
        }
        let mut iri = None;
        let mut label_language = None;
        let mut normalizers = Vec::new();
        let mut constraints = Vec::new();
        let mut priority = 0;
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        for clause in &decl.clauses {
            let keyword = match &clause.kind {
                ast::EntityClauseKind::Iri(_) => "iri",
                ast::EntityClauseKind::Label(_) => "label",
                ast::EntityClauseKind::Normalize(_) => "normalize",
                ast::EntityClauseKind::Where(_) => "where",
                ast::EntityClauseKind::Priority(_) => "priority",
                ast::EntityClauseKind::Standalone => "standalone",
            };
            if let Some(first) = seen.insert(keyword, clause.span) {
                let diagnostic = Diagnostic::error(
                    "duplicate-clause",
                    file,
                    clause.span,
                    format!(
                        "entity type `{}` has two `{keyword}` clauses",
                        decl.name.text
                    ),
                )
                .with_secondary(file, first, "first one")
                .with_hint(if keyword == "where" || keyword == "normalize" {
                    format!("list them in one clause, separated by commas: `{keyword} a, b`")
                } else {
                    "keep one".to_owned()
                });
                self.report(diagnostic);
                continue;
            }
            match &clause.kind {
                ast::EntityClauseKind::Iri(template) => {
                    if let Some(text) = self.absolute_iri(file, template, true) {
                        iri = self
                            .template_parts(file, template, &text, true)
                            .map(|parts| IriTemplate { parts });
                    }
                }
                ast::EntityClauseKind::Label(tag) => {
                    label_language = tag.as_ref().and_then(|tag| self.language_tag(file, tag));
                }
                ast::EntityClauseKind::Normalize(names) => {
                    for name in names {
                        match self.normalizer(file, name) {
                            Some(normalizer) if normalizer.is_text() => {
                                normalizers.push(normalizer)
                            }
                            Some(normalizer) => {
                                let diagnostic = Diagnostic::error(
                                    "value-normalizer",
                                    file,
                                    name.span,
                                    format!("`{}` gives a value, not text", normalizer.name()),
                                )
                                .with_label("not a text normaliser")
                                .with_hint(format!(
                                    "use it in a rule's template: `=> $x ex:p $n|{}`",
                                    normalizer.name()
                                ));
                                self.report(diagnostic);
                            }
                            None => {}
                        }
                    }
                }
                ast::EntityClauseKind::Where(list) => {
                    constraints = self.constraints(file, list, None, &mut HashSet::new());
                }
                ast::EntityClauseKind::Priority(value) => priority = value.value,
                ast::EntityClauseKind::Standalone => {}
            }
        }
        let iri = match iri {
            Some(iri) => iri,
            None if seen.contains_key("iri") => IriTemplate {
                parts: vec![TemplatePart::MentionText],
            },
            None => match &self.base {
                Some(base) => IriTemplate {
                    parts: vec![
                        TemplatePart::Text(format!("{base}{}/", encoded(&decl.name.text))),
                        TemplatePart::MentionText,
                    ],
                },
                None => {
                    let diagnostic = Diagnostic::error(
                        "no-iri",
                        file,
                        decl.name.span,
                        format!(
                            "entity type `{}` has no `iri` clause and there is no base IRI",
                            decl.name.text
                        ),
                    )
                    .with_hint("add `iri ex:name/{text}`, or declare `base <http://example.org/>`");
                    self.report(diagnostic);
                    IriTemplate {
                        parts: vec![TemplatePart::MentionText],
                    }
                }
            },
        };
        Some(EntityType {
            name: decl.name.text.clone(),
            classes,
            pattern,
            iri,
            label_language,
            normalizers,
            constraints,
            priority,
            standalone: seen.contains_key("standalone"),
            origin: Origin {
                file,
                span: decl.name.span,
            },
        })
    }

    fn entity_cycles(&mut self) {
        // Depth-first search over "entity's pattern refers to entity".
        let count = self.entity_refs.len();
        let mut state = vec![0u8; count]; // 0 new, 1 on stack, 2 done
        for start in 0..count {
            if state[start] == 0 {
                self.visit_entity(start, &mut state);
            }
        }
    }

    fn visit_entity(&mut self, entity: usize, state: &mut Vec<u8>) {
        state[entity] = 1;
        for (target, file, span) in self.entity_refs[entity].clone() {
            match state[target] {
                0 => self.visit_entity(target, state),
                1 => {
                    let name = &self.entity_decls[target].1.name.text;
                    let diagnostic = Diagnostic::error(
                        "recursive-entity",
                        file,
                        span,
                        format!("entity type `{name}` refers to itself"),
                    )
                    .with_label("through this reference")
                    .with_hint(
                        "an entity's pattern may use other entity types, but not in a cycle",
                    );
                    self.report(diagnostic);
                }
                _ => {}
            }
        }
        state[entity] = 2;
    }

    fn empty_match(&mut self, file: FileId, name: &ast::Name, span: Span, what: &str) {
        let diagnostic = Diagnostic::error(
            "empty-match",
            file,
            span,
            format!(
                "the pattern of {what} `{}` can match the empty string",
                name.text
            ),
        )
        .with_label("can match nothing")
        .with_hint("every match must take at least one character: make some part of it required");
        self.report(diagnostic);
    }

    fn normalizer(&mut self, file: FileId, name: &ast::Name) -> Option<Normalizer> {
        let normalizer = Normalizer::from_name(&name.text);
        if normalizer.is_none() {
            let near = did_you_mean(&name.text, Normalizer::ALL.iter().map(|(n, _)| *n));
            let names: Vec<&str> = Normalizer::ALL.iter().map(|(n, _)| *n).collect();
            let diagnostic = Diagnostic::error(
                "unknown-normalizer",
                file,
                name.span,
                format!("unknown normaliser `{}`", name.text),
            )
            .with_hint(match near {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("the normalisers are {}", names.join(", ")),
            });
            self.report(diagnostic);
        }
        normalizer
    }
}

fn encoded(text: &str) -> String {
    let mut out = String::new();
    super::iri::encode_iri_segment(text, &mut out);
    out
}

// ------------------------------------------------------------- Rules

/// Which position of a triple a term fills.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Subject,
    Predicate,
    Object,
}

impl Position {
    fn noun(self) -> &'static str {
        match self {
            Position::Subject => "subject",
            Position::Predicate => "predicate",
            Position::Object => "object",
        }
    }
}

impl Lowerer<'_> {
    fn lower_rules(&mut self) {
        let decls = self.rule_decls.clone();
        let mut excluded_names = Vec::new();
        for (file, decl) in &decls {
            let mut captures = Captures::default();
            let pattern = self.pattern(
                *file,
                &decl.pattern,
                Context::Rule,
                &mut captures,
                false,
                false,
                None,
            );
            if pattern.can_match_empty() {
                self.empty_match(*file, &decl.name, decl.pattern.span, "rule");
            } else if pattern.can_never_match() {
                let diagnostic = Diagnostic::warning(
                    "never-fires",
                    *file,
                    decl.pattern.span,
                    format!("rule `{}` can never fire", decl.name.text),
                )
                .with_label("no sentence can match this")
                .with_hint("`^` matches only at the start of a sentence and `$` only at its end; a class such as [^\\s\\S] matches no character");
                self.report(diagnostic);
            }
            let mut used = HashSet::new();
            let mut constraints = Vec::new();
            let mut priority = 0;
            let mut priority_span: Option<Span> = None;
            let mut excludes: Vec<ast::Name> = Vec::new();
            for clause in &decl.clauses {
                match &clause.kind {
                    ast::RuleClauseKind::Where(list) => {
                        let lowered = self.constraints(*file, list, Some(&mut captures), &mut used);
                        constraints.extend(lowered);
                    }
                    ast::RuleClauseKind::Priority(value) => {
                        if let Some(first) = priority_span.replace(clause.span) {
                            let diagnostic = Diagnostic::error(
                                "duplicate-clause",
                                *file,
                                clause.span,
                                format!("rule `{}` has two `priority` clauses", decl.name.text),
                            )
                            .with_secondary(*file, first, "first one")
                            .with_hint("keep one");
                            self.report(diagnostic);
                        }
                        priority = value.value;
                    }
                    ast::RuleClauseKind::Excludes(names) => excludes.extend(names.iter().cloned()),
                }
            }
            if !excludes.is_empty() && !decl.templates.is_empty() {
                let diagnostic = Diagnostic::error(
                    "excluding-rule-with-template",
                    *file,
                    decl.templates[0].span,
                    format!(
                        "rule `{}` excludes text and also writes triples",
                        decl.name.text
                    ),
                )
                .with_label("an `excludes` rule writes no triples")
                .with_hint("write the triples in another rule, or drop `excludes`");
                self.report(diagnostic);
            }
            let mut templates = Vec::new();
            for template in &decl.templates {
                let subject = self.term(
                    *file,
                    &template.subject,
                    Position::Subject,
                    &captures,
                    &mut used,
                );
                let predicate = self.term(
                    *file,
                    &template.predicate,
                    Position::Predicate,
                    &captures,
                    &mut used,
                );
                let object = self.term(
                    *file,
                    &template.object,
                    Position::Object,
                    &captures,
                    &mut used,
                );
                if let (Some(subject), Some(predicate), Some(object)) = (subject, predicate, object)
                {
                    templates.push(TripleTemplate {
                        subject,
                        predicate,
                        object,
                    });
                }
            }
            for (index, capture) in captures.list.iter().enumerate() {
                let (capture_file, capture_span, from_fragment) = captures.spans[index];
                if !used.contains(&index) && !capture.name.starts_with('_') && !from_fragment {
                    let diagnostic = Diagnostic::warning(
                        "unused-capture",
                        capture_file,
                        capture_span,
                        format!("capture `${}` is never used", capture.name),
                    )
                    .with_label("bound but not used in a template or constraint")
                    .with_hint(format!(
                        "use it, drop the `${}:` part, or name it `$_{}` to keep it quiet",
                        capture.name, capture.name
                    ));
                    self.report(diagnostic);
                }
            }
            // Same pattern, same priority, no constraints: both rules fire on
            // every match, which is one rule written twice.
            if constraints.is_empty() {
                let twin = self.rules.iter().find(|other| {
                    other.pattern == pattern
                        && other.priority == priority
                        && other.constraints.is_empty()
                });
                if let Some(twin) = twin {
                    let diagnostic = Diagnostic::warning(
                        "same-pattern",
                        *file,
                        decl.name.span,
                        format!(
                            "rule `{}` has the same pattern and priority as rule `{}`",
                            decl.name.text, twin.name
                        ),
                    )
                    .with_secondary(twin.origin.file, twin.origin.span, "the same pattern")
                    .with_hint(
                        "both fire on every match: put the templates in one rule, or give the one that should win a `priority`",
                    );
                    self.report(diagnostic);
                }
            }
            self.rules.push(Rule {
                name: decl.name.text.clone(),
                pattern,
                captures: captures.list,
                constraints,
                priority,
                templates,
                excludes: Vec::new(),
                origin: Origin {
                    file: *file,
                    span: decl.name.span,
                },
            });
            excluded_names.push((*file, excludes));
        }
        self.standalone_rules();
        // `excludes` names rules, which are all known now.
        for (index, (file, names)) in excluded_names.into_iter().enumerate() {
            let mut targets = Vec::new();
            for name in &names {
                match self.rules.iter().position(|rule| rule.name == name.text) {
                    Some(target) => targets.push(target),
                    None => {
                        let near = did_you_mean(
                            &name.text,
                            self.rules.iter().map(|rule| rule.name.as_str()),
                        );
                        let diagnostic = Diagnostic::error(
                            "unknown-rule",
                            file,
                            name.span,
                            format!("no rule is called `{}`", name.text),
                        )
                        .with_label("`excludes` names the rules whose matches it drops")
                        .with_optional_hint(near.map(|near| format!("did you mean `{near}`?")));
                        self.report(diagnostic);
                    }
                }
            }
            self.rules[index].excludes = targets;
        }
    }

    /// A rule per `standalone` entity type, named as it: each mention makes
    /// the entity a node (its classes and label), under the same conflict
    /// policy as every rule (the entity's priority).
    fn standalone_rules(&mut self) {
        for (index, entity) in self.entities.iter().enumerate() {
            let Some(entity) = entity.as_ref().filter(|entity| entity.standalone) else {
                continue;
            };
            let capture = Capture {
                name: entity.name.clone(),
                kind: CaptureKind::Entity(EntityId(index)),
                optional: false,
            };
            let templates = entity
                .classes
                .iter()
                .map(|class| TripleTemplate {
                    subject: TermTemplate::CaptureNode(CaptureId(0)),
                    predicate: TermTemplate::Iri(oxrdf::vocab::rdf::TYPE.into_owned()),
                    object: TermTemplate::Iri(class.clone()),
                })
                .collect();
            self.rules.push(Rule {
                name: entity.name.clone(),
                pattern: Pattern::Capture {
                    capture: CaptureId(0),
                    inner: Box::new(Pattern::Entity(EntityId(index))),
                },
                captures: vec![capture],
                constraints: Vec::new(),
                priority: entity.priority,
                templates,
                excludes: Vec::new(),
                origin: entity.origin,
            });
        }
    }

    fn term(
        &mut self,
        file: FileId,
        term: &ast::Term,
        position: Position,
        captures: &Captures,
        used: &mut HashSet<usize>,
    ) -> Option<TermTemplate> {
        let lowered = match term {
            ast::Term::A(span) => {
                if position != Position::Predicate {
                    let diagnostic = Diagnostic::error(
                        "misplaced-a",
                        file,
                        *span,
                        format!(
                            "`a` stands for rdf:type and cannot be the {}",
                            position.noun()
                        ),
                    )
                    .with_hint("write `rdf:type` if you mean the IRI itself");
                    self.report(diagnostic);
                    return None;
                }
                TermTemplate::Iri(rdf::TYPE.into_owned())
            }
            ast::Term::Iri(iri) => TermTemplate::Iri(self.named_node(file, iri)?),
            ast::Term::Literal(literal) => TermTemplate::Literal(self.literal(file, literal)?),
            ast::Term::Capture {
                name,
                pipes,
                annotation,
                span,
            } => {
                let Some(index) = captures.list.iter().position(|c| c.name == name.text) else {
                    self.unbound_capture(file, name, captures);
                    return None;
                };
                used.insert(index);
                if captures.poisoned.contains(&index) {
                    return None;
                }
                self.capture_term(
                    file,
                    *span,
                    index,
                    &captures.list[index],
                    pipes,
                    annotation.as_ref(),
                )?
            }
        };
        let is_literal = matches!(
            lowered,
            TermTemplate::Literal(_) | TermTemplate::CaptureLiteral { .. }
        );
        if is_literal && position != Position::Object {
            let diagnostic = Diagnostic::error("literal-position", file, term.span(), format!("a literal cannot be the {} of a triple", position.noun()))
                .with_label("literal")
                .with_hint("only the object may be a literal; subjects and predicates are IRIs (entity captures, `ex:name`)");
            self.report(diagnostic);
            return None;
        }
        if let (TermTemplate::CaptureNode(capture), Position::Subject | Position::Predicate) =
            (&lowered, position)
            && let CaptureKind::Lexicon(lexicon) = captures.list[capture.0].kind
        {
            let lexicon = &self.lexicons[lexicon.0];
            if lexicon
                .entries
                .iter()
                .any(|entry| !matches!(entry.target, EntryTarget::Iri(_)))
            {
                let diagnostic = Diagnostic::error(
                    "literal-position",
                    file,
                    term.span(),
                    format!(
                        "lexicon `{}` has entries without an IRI, so it cannot give the {}",
                        lexicon.name,
                        position.noun()
                    ),
                )
                .with_hint("give every entry an IRI (`\"text\" -> ex:iri`), or use an entity type");
                self.report(diagnostic);
                return None;
            }
        }
        Some(lowered)
    }

    fn capture_term(
        &mut self,
        file: FileId,
        span: Span,
        index: usize,
        capture: &Capture,
        pipes: &[ast::Name],
        annotation: Option<&ast::Annotation>,
    ) -> Option<TermTemplate> {
        let capture_id = CaptureId(index);
        if pipes.is_empty() && annotation.is_none() {
            match capture.kind {
                CaptureKind::Entity(_) | CaptureKind::OneOfEntities => {
                    return Some(TermTemplate::CaptureNode(capture_id));
                }
                CaptureKind::Lexicon(lexicon) => {
                    if self.lexicons[lexicon.0]
                        .entries
                        .iter()
                        .any(|entry| matches!(entry.target, EntryTarget::Iri(_)))
                    {
                        return Some(TermTemplate::CaptureNode(capture_id));
                    }
                }
                CaptureKind::Text => {}
            }
        }
        let mut normalizers = Vec::new();
        let mut value: Option<(Normalizer, Span)> = None;
        for pipe in pipes {
            let normalizer = self.normalizer(file, pipe)?;
            if let Some((previous, _)) = value {
                let diagnostic = Diagnostic::error(
                    "normalizer-order",
                    file,
                    pipe.span,
                    format!(
                        "`{}` needs text, but `{}` gave a value",
                        normalizer.name(),
                        previous.name()
                    ),
                )
                .with_hint(format!(
                    "put text normalisers first: `$x|trim|{}`",
                    previous.name()
                ));
                self.report(diagnostic);
                return None;
            }
            if !normalizer.is_text() {
                value = Some((normalizer, pipe.span));
            }
            normalizers.push(normalizer);
        }
        let output = match (value, annotation) {
            (None, None) => LiteralOutput::Plain,
            (None, Some(ast::Annotation::Lang(tag))) => {
                LiteralOutput::Language(self.language_tag(file, tag)?)
            }
            (None, Some(ast::Annotation::Datatype(datatype))) => {
                let node = self.named_node(file, datatype)?;
                let needs = if [xsd::INTEGER, xsd::DECIMAL, xsd::DOUBLE, xsd::FLOAT]
                    .contains(&node.as_ref())
                {
                    Some("number")
                } else if [xsd::DATE, xsd::G_MONTH_DAY].contains(&node.as_ref()) {
                    Some("date")
                } else if node.as_ref() == xsd::BOOLEAN {
                    Some("approximate")
                } else {
                    None
                };
                if let Some(needs) = needs {
                    let diagnostic = Diagnostic::error(
                        "datatype-mismatch",
                        file,
                        datatype.span(),
                        format!("captured text is not a {} by itself", self.short(&node)),
                    )
                    .with_label("needs a value normaliser")
                    .with_hint(format!("read the value first: `${}|{needs}`", capture.name));
                    self.report(diagnostic);
                    return None;
                }
                LiteralOutput::Typed(node)
            }
            (Some((normalizer, pipe_span)), Some(ast::Annotation::Lang(tag))) => {
                let diagnostic = Diagnostic::error(
                    "datatype-mismatch",
                    file,
                    tag.span,
                    format!(
                        "`{}` gives a value, which cannot have a language tag",
                        normalizer.name()
                    ),
                )
                .with_secondary(file, pipe_span, "gives a value")
                .with_hint("language tags go on text: drop the tag, or the value normaliser");
                self.report(diagnostic);
                return None;
            }
            (Some((normalizer, pipe_span)), datatype) => {
                let datatype = match datatype {
                    Some(ast::Annotation::Datatype(datatype)) => {
                        Some((self.named_node(file, datatype)?, datatype.span()))
                    }
                    _ => None,
                };
                let allowed: &[oxrdf::NamedNodeRef<'_>] = match normalizer {
                    Normalizer::Number => &[xsd::INTEGER, xsd::DECIMAL, xsd::DOUBLE, xsd::FLOAT],
                    Normalizer::Date => &[xsd::DATE, xsd::G_MONTH_DAY],
                    _ => &[xsd::BOOLEAN],
                };
                if let Some((node, datatype_span)) = &datatype
                    && !allowed.contains(&node.as_ref())
                {
                    let fits: Vec<String> = allowed
                        .iter()
                        .map(|a| self.short(&a.into_owned()))
                        .collect();
                    let diagnostic = Diagnostic::error(
                        "datatype-mismatch",
                        file,
                        *datatype_span,
                        format!("`{}` cannot give a {}", normalizer.name(), self.short(node)),
                    )
                    .with_secondary(file, pipe_span, "this normaliser")
                    .with_hint(format!(
                        "`{}` gives one of {}",
                        normalizer.name(),
                        fits.join(", ")
                    ));
                    self.report(diagnostic);
                    return None;
                }
                let datatype = datatype.map(|(node, _)| node);
                match normalizer {
                    Normalizer::Number => LiteralOutput::Number(datatype),
                    Normalizer::Date => LiteralOutput::Date(datatype),
                    _ => LiteralOutput::Boolean,
                }
            }
        };
        let _ = span;
        Some(TermTemplate::CaptureLiteral {
            capture: capture_id,
            pipes: normalizers,
            output,
        })
    }
}

// ------------------------------------------------------------- Tests

impl Lowerer<'_> {
    fn lower_tests(&mut self) {
        let decls = std::mem::take(&mut self.test_decls);
        for (file, decl) in &decls {
            // A standalone entity type's mentions are found by a rule of its name.
            let standalone = self.rules.iter().any(|rule| {
                rule.name == decl.rule.text && !self.rule_names.contains_key(&rule.name)
            });
            if !self.rule_names.contains_key(&decl.rule.text)
                && !self.broken_rules.contains(&decl.rule.text)
                && !standalone
            {
                let near =
                    did_you_mean(&decl.rule.text, self.rule_names.keys().map(String::as_str));
                let diagnostic = Diagnostic::error(
                    "unknown-rule",
                    *file,
                    decl.rule.span,
                    format!("test of unknown rule `{}`", decl.rule.text),
                )
                .with_label("no such rule")
                .with_optional_hint(near.map(|near| format!("did you mean `{near}`?")));
                self.report(diagnostic);
            }
            let mut expected = Vec::new();
            let mut forbidden = Vec::new();
            for expectation in &decl.expectations {
                let terms: Vec<Option<Option<oxrdf::Term>>> = expectation
                    .terms
                    .iter()
                    .map(|term| self.test_term(*file, term))
                    .collect();
                let [Some(subject), Some(predicate), Some(object)] =
                    [terms[0].clone(), terms[1].clone(), terms[2].clone()]
                else {
                    continue;
                };
                if !expectation.negated
                    && let (Some(oxrdf::Term::NamedNode(p)), ast::TestTerm::Iri(iri)) =
                        (&predicate, &expectation.terms[1])
                {
                    self.check_writable(*file, &decl.rule.text, p, iri.span());
                }
                let pattern = TriplePattern {
                    subject,
                    predicate,
                    object,
                };
                if expectation.negated {
                    forbidden.push(pattern)
                } else {
                    expected.push(pattern)
                }
            }
            self.tests.push(RuleTest {
                rule: decl.rule.text.clone(),
                sentence: decl.sentence.value.clone(),
                expected,
                forbidden,
                origin: Origin {
                    file: *file,
                    span: decl.rule.span,
                },
            });
        }
        self.test_decls = decls;
    }

    /// Warns when no template of any rule can write predicate `predicate`
    /// (a test's triples may come from every rule, so an expected triple with
    /// it can never be produced): the predicates templates name, and
    /// `rdf:type` and `rdfs:label` when a rule captures an entity. A template
    /// whose predicate is a capture could write anything.
    fn check_writable(&mut self, file: FileId, rule: &str, predicate: &NamedNode, span: Span) {
        let mut writes: Vec<NamedNode> = Vec::new();
        for lowered in &self.rules {
            for template in &lowered.templates {
                match &template.predicate {
                    TermTemplate::Iri(iri) => writes.push(iri.clone()),
                    _ => return,
                }
            }
            if lowered.captures.iter().any(|c| c.kind.is_entity()) {
                writes.push(rdf::TYPE.into_owned());
                writes.push(oxrdf::vocab::rdfs::LABEL.into_owned());
            }
        }
        // With errors the set of rules is incomplete: say nothing.
        if writes.contains(predicate)
            || !self.broken_rules.is_empty()
            || self.diagnostics.iter().any(Diagnostic::is_error)
            || !self.rules.iter().any(|r| r.name == rule)
        {
            return;
        }
        writes.sort();
        writes.dedup();
        let names: Vec<String> = writes.iter().map(|w| self.short(w)).collect();
        let wanted = self.short(predicate);
        let near = did_you_mean(&wanted, names.iter().map(String::as_str)).map(str::to_owned);
        let hint = match near {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("the rules write {}", names.join(", ")),
        };
        let diagnostic = Diagnostic::warning(
            "untestable-triple",
            file,
            span,
            format!("no rule writes `{wanted}`: this test cannot pass"),
        )
        .with_hint(hint);
        self.report(diagnostic);
    }

    /// `Some(None)` is the wildcard; `None` an error (reported).
    fn test_term(&mut self, file: FileId, term: &ast::TestTerm) -> Option<Option<oxrdf::Term>> {
        Some(match term {
            ast::TestTerm::Any(_) => None,
            ast::TestTerm::A(_) => Some(rdf::TYPE.into_owned().into()),
            ast::TestTerm::Iri(iri) => Some(self.named_node(file, iri)?.into()),
            ast::TestTerm::Literal(literal) => Some(self.literal(file, literal)?.into()),
        })
    }

    // ------------------------------------------------------- Warnings

    fn warn_unused(&mut self) {
        if !self.broken_names.is_empty() || !self.broken_rules.is_empty() {
            // A declaration that did not parse may have used the others:
            // "unused" would be a guess, so say nothing.
            return;
        }
        let mut unused: Vec<(String, Decl)> = self
            .names
            .iter()
            .filter(|(name, _)| !self.used.contains(*name) && !name.starts_with('_'))
            .map(|(n, d)| (n.clone(), *d))
            .collect();
        unused.sort_by_key(|(_, decl)| (decl.file, decl.span.start));
        for (name, decl) in unused {
            let diagnostic = Diagnostic::warning(
                "unused",
                decl.file,
                decl.span,
                format!("{} `{name}` is never used", decl.kind.noun()),
            )
            .with_hint("use it in a rule or another declaration, or remove it");
            self.report(diagnostic);
        }
        let tested: HashSet<&str> = self
            .test_decls
            .iter()
            .map(|(_, test)| test.rule.text.as_str())
            .collect();
        let untested: Vec<(FileId, ast::Name)> = self
            .rule_decls
            .iter()
            .filter(|(_, rule)| !tested.contains(rule.name.text.as_str()))
            .map(|(file, rule)| (*file, rule.name.clone()))
            .collect();
        for (file, name) in untested {
            let diagnostic = Diagnostic::warning(
                "untested-rule",
                file,
                name.span,
                format!("rule `{}` has no test", name.text),
            )
            .with_hint(format!(
                "add `test {} \"a sentence\" => subject predicate object`",
                name.text
            ));
            self.report(diagnostic);
        }
    }

    fn finish(self) -> RuleSet {
        RuleSet {
            prefixes: self.prefixes,
            base: self.base,
            lexicons: self.lexicons,
            entities: self.entities.into_iter().flatten().collect(),
            rules: self.rules,
            tests: self.tests,
        }
    }
}
