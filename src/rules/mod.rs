//! The resolved rule set: what a rule file means, checked.
//!
//! [`load`] reads a rule file and everything it includes (through a
//! [`SourceLoader`](crate::source::SourceLoader)), parses each, and lowers the
//! syntax trees into one [`RuleSet`]: prefixes expanded, names resolved,
//! fragments inlined, captures and templates checked. Every problem becomes a
//! [`Diagnostic`](crate::diagnostic::Diagnostic); the rule set is returned
//! only when there is no error. The matcher compiles a `RuleSet`;
//! it never sees syntax.

mod iri;
mod load;
mod lower;
mod pattern;

use oxrdf::{Literal, NamedNode};

pub use iri::{IriTemplate, PREDECLARED as PREDECLARED_PREFIXES, TemplatePart, encode_iri_segment};
pub use load::{LoadError, Loaded, load, load_all};
pub use pattern::Pattern;

use crate::source::FileId;
use crate::span::Span;

/// Index of a lexicon in [`RuleSet::lexicons`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LexiconId(pub usize);

/// Index of an entity type in [`RuleSet::entities`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(pub usize);

/// Index of a capture in [`Rule::captures`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaptureId(pub usize);

/// Where a declaration was written, for provenance and for `kgrep try`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: FileId,
    /// The declaration's name.
    pub span: Span,
}

/// A checked rule set, ready to compile.
#[derive(Clone, Debug)]
pub struct RuleSet {
    /// Every prefix known to the rules (declared and predeclared), for
    /// shortening IRIs in output, in declaration order.
    pub prefixes: Vec<(String, String)>,
    /// The base IRI, if declared.
    pub base: Option<String>,
    /// The lexicons.
    pub lexicons: Vec<Lexicon>,
    /// The entity types.
    pub entities: Vec<EntityType>,
    /// The relation rules, in declaration order.
    pub rules: Vec<Rule>,
    /// The tests beside the rules.
    pub tests: Vec<RuleTest>,
}

/// A word list.
#[derive(Clone, Debug)]
pub struct Lexicon {
    /// Its name.
    pub name: String,
    /// `ignore case`: an entry matches in any case (and is looked up so).
    pub ignore_case: bool,
    /// Its entries, in the order written (duplicates removed, the first kept).
    pub entries: Vec<LexiconEntry>,
    /// Where it was declared.
    pub origin: Origin,
}

/// One lexicon entry.
#[derive(Clone, Debug, PartialEq)]
pub struct LexiconEntry {
    /// The text to find.
    pub text: String,
    /// What the entry stands for.
    pub target: EntryTarget,
}

/// What a lexicon entry stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum EntryTarget {
    /// Itself.
    Text,
    /// A canonical form.
    Canonical(String),
    /// An IRI.
    Iri(NamedNode),
}

/// An entity type.
#[derive(Clone, Debug)]
pub struct EntityType {
    /// Its name.
    pub name: String,
    /// Its RDF classes.
    pub classes: Vec<NamedNode>,
    /// The text that names it.
    pub pattern: Pattern,
    /// How its IRI is minted.
    pub iri: IriTemplate,
    /// The language tag of its `rdfs:label`, if any.
    pub label_language: Option<String>,
    /// Text normalisers applied to a mention before minting.
    pub normalizers: Vec<Normalizer>,
    /// Conditions a mention must meet.
    pub constraints: Vec<Constraint>,
    /// Higher wins when mentions overlap.
    pub priority: u32,
    /// `standalone`: its mentions are found on their own (by a rule of its name).
    pub standalone: bool,
    /// Where it was declared.
    pub origin: Origin,
}

/// A relation rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Its name.
    pub name: String,
    /// Its pattern, with captures.
    pub pattern: Pattern,
    /// Its captures, indexed by [`CaptureId`].
    pub captures: Vec<Capture>,
    /// Conditions on the captures.
    pub constraints: Vec<Constraint>,
    /// Higher wins when matches of different rules overlap.
    pub priority: u32,
    /// The triples it mints per match.
    pub templates: Vec<TripleTemplate>,
    /// `excludes`: the rules (indices) whose overlapping matches a match of
    /// this one drops; such a rule writes no triples.
    pub excludes: Vec<usize>,
    /// Where it was declared.
    pub origin: Origin,
}

/// A capture of a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Capture {
    /// Its name, without `$`.
    pub name: String,
    /// What it holds.
    pub kind: CaptureKind,
    /// Whether some match may leave it unbound (it sits under `?` or in one
    /// branch of `|`); templates using it are then skipped for that match.
    pub optional: bool,
}

/// What a capture holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureKind {
    /// A mention of an entity type: stands for the entity's IRI.
    Entity(EntityId),
    /// A lexicon entry: stands for its IRI, or its canonical form.
    Lexicon(LexiconId),
    /// A mention of one of several entity types (`$x:(Org | Place)`): stands
    /// for the IRI of the entity whose mention the match holds there.
    OneOfEntities,
    /// Text: stands for a literal.
    Text,
}

impl CaptureKind {
    /// Whether it holds an entity mention.
    pub fn is_entity(self) -> bool {
        matches!(self, CaptureKind::Entity(_) | CaptureKind::OneOfEntities)
    }
}

/// A text or value normaliser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Normalizer {
    /// Remove quotation marks and book-title marks (“”「」《》...).
    StripQuotes,
    /// Remove white space at both ends.
    Trim,
    /// Unicode NFKC (full-width → half-width and friends).
    Nfkc,
    /// Lower-case.
    Lowercase,
    /// Read a number (Arabic or Chinese numerals) → `xsd:integer`/`xsd:decimal`.
    Number,
    /// Read a date → `xsd:date` (year known) or `xsd:gMonthDay`.
    Date,
    /// `true` when the number is approximate (余, 多, 近, 约) → `xsd:boolean`.
    Approximate,
}

impl Normalizer {
    /// Every normaliser with its name in the language.
    pub const ALL: [(&'static str, Normalizer); 7] = [
        ("strip_quotes", Normalizer::StripQuotes),
        ("trim", Normalizer::Trim),
        ("nfkc", Normalizer::Nfkc),
        ("lowercase", Normalizer::Lowercase),
        ("number", Normalizer::Number),
        ("date", Normalizer::Date),
        ("approximate", Normalizer::Approximate),
    ];

    /// The normaliser called `name`.
    pub fn from_name(name: &str) -> Option<Normalizer> {
        Normalizer::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, normalizer)| *normalizer)
    }

    /// Its name in the language.
    pub fn name(self) -> &'static str {
        Normalizer::ALL
            .iter()
            .find(|(_, n)| *n == self)
            .map(|(name, _)| *name)
            .expect("every normaliser is listed")
    }

    /// Whether it turns text into text (rather than into a value).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Normalizer::StripQuotes | Normalizer::Trim | Normalizer::Nfkc | Normalizer::Lowercase
        )
    }
}

/// A condition on a capture or mention.
#[derive(Clone, Debug)]
pub struct Constraint {
    /// The capture tested, or `None` for an entity's whole mention (a rule's
    /// whole match, for a context condition; nothing, for `Any`).
    pub capture: Option<CaptureId>,
    /// The test.
    pub test: ConstraintTest,
    /// Whether the test is negated (`not`).
    pub negated: bool,
    /// Where it is written (the whole `where` clause's constraint).
    pub origin: Origin,
}

/// The test of a [`Constraint`].
#[derive(Clone, Debug)]
pub enum ConstraintTest {
    /// The text is an entry of the lexicon.
    InLexicon(LexiconId),
    /// The pattern matches the whole text.
    Matches(Pattern),
    /// The pattern matches somewhere in the text.
    Contains(Pattern),
    /// The length in characters compares to the bound.
    Length(crate::syntax::ast::Compare, u32),
    /// The pattern matches right before (`Side::Before`) or right after the
    /// tested text, in its sentence.
    Context {
        /// Which side.
        side: crate::syntax::ast::Side,
        /// What must be there.
        pattern: Pattern,
    },
    /// At least one of these holds.
    Any(Vec<Constraint>),
}

/// `=> subject predicate object`
#[derive(Clone, Debug)]
pub struct TripleTemplate {
    /// The subject.
    pub subject: TermTemplate,
    /// The predicate.
    pub predicate: TermTemplate,
    /// The object.
    pub object: TermTemplate,
}

/// A term of a triple template.
#[derive(Clone, Debug, PartialEq)]
pub enum TermTemplate {
    /// A constant IRI.
    Iri(NamedNode),
    /// A constant literal.
    Literal(Literal),
    /// A capture as its entity's IRI (entity captures, IRI lexicon entries).
    CaptureNode(CaptureId),
    /// A capture as a literal.
    CaptureLiteral {
        /// The capture.
        capture: CaptureId,
        /// Normalisers applied in order.
        pipes: Vec<Normalizer>,
        /// What kind of literal comes out.
        output: LiteralOutput,
    },
}

/// The literal a capture term produces.
#[derive(Clone, Debug, PartialEq)]
pub enum LiteralOutput {
    /// A plain string.
    Plain,
    /// A language-tagged string.
    Language(String),
    /// Text with this datatype.
    Typed(NamedNode),
    /// A number from `number`: `xsd:integer`/`xsd:decimal`, or the given datatype.
    Number(Option<NamedNode>),
    /// A date from `date`: `xsd:date`/`xsd:gMonthDay`, or the given datatype.
    Date(Option<NamedNode>),
    /// `xsd:boolean` from `approximate`.
    Boolean,
}

/// A test beside the rules.
#[derive(Clone, Debug)]
pub struct RuleTest {
    /// The rule under test.
    pub rule: String,
    /// The sentence.
    pub sentence: String,
    /// Triples that must be produced.
    pub expected: Vec<TriplePattern>,
    /// Triples that must not be produced.
    pub forbidden: Vec<TriplePattern>,
    /// Where the test was written.
    pub origin: Origin,
}

/// A triple with wildcards (`None` matches any term).
#[derive(Clone, Debug, PartialEq)]
pub struct TriplePattern {
    /// The subject.
    pub subject: Option<oxrdf::Term>,
    /// The predicate.
    pub predicate: Option<oxrdf::Term>,
    /// The object.
    pub object: Option<oxrdf::Term>,
}
