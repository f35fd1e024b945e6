//! The spanned syntax tree of a rule file, exactly as written.
//!
//! Nothing here is resolved: prefixes are not expanded, names not looked up,
//! captures not checked. That is the job of [`crate::rules`]. Every node keeps
//! the byte span it came from, so later stages can point at it.

use crate::span::Span;

/// A whole rule file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// The items in source order.
    pub items: Vec<Item>,
    /// The comments, in source order (kept so `kgrep fmt` does not lose them).
    pub comments: Vec<Comment>,
    /// Declarations that did not parse, by keyword and name, so later stages
    /// do not report follow-on errors ("unknown name") about them.
    pub broken: Vec<BrokenItem>,
}

/// A declaration with a syntax error: its keyword and, when it got that far, its name.
#[derive(Clone, Debug, PartialEq)]
pub struct BrokenItem {
    /// `rule`, `entity`, ...
    pub keyword: String,
    /// The declared name.
    pub name: Name,
}

/// A `# ...` comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// The text after `#`, without the line break.
    pub text: String,
    /// The span from `#` to the end of the line.
    pub span: Span,
    /// Whether it ends a line that holds code (`prefix ex: <..>  # like this`).
    pub trailing: bool,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// What it declares.
    pub kind: ItemKind,
    /// From its keyword to its last token.
    pub span: Span,
}

/// The kinds of top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `prefix ex: <iri>`
    Prefix(PrefixDecl),
    /// `base <iri>`
    Base(Iri),
    /// `include "file.kgr"`
    Include(StringLit),
    /// `lexicon Name = ...` or `lexicon Name from "file"`
    Lexicon(LexiconDecl),
    /// `fragment Name = pattern`
    Fragment(FragmentDecl),
    /// `entity Name a class = pattern clauses...`
    Entity(EntityDecl),
    /// `rule name = pattern clauses... => s p o ...`
    Rule(RuleDecl),
    /// `test rule "sentence" => s p o ...`
    Test(TestDecl),
}

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    /// The name (for a capture, without the `$`).
    pub text: String,
    /// Where it is (for a capture, including the `$`).
    pub span: Span,
}

/// A string literal, unescaped.
#[derive(Clone, Debug, PartialEq)]
pub struct StringLit {
    /// The value after escapes were applied.
    pub value: String,
    /// The span including the quotes.
    pub span: Span,
}

/// An integer as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Integer {
    /// The value.
    pub value: u32,
    /// Where it is.
    pub span: Span,
}

/// `prefix ex: <iri>`
#[derive(Clone, Debug, PartialEq)]
pub struct PrefixDecl {
    /// The prefix without its colon (may be empty).
    pub prefix: Name,
    /// The namespace IRI.
    pub iri: Iri,
}

/// An IRI or IRI template, as written: `<...>` or `prefix:local`.
#[derive(Clone, Debug, PartialEq)]
pub enum Iri {
    /// `<...>`: the text between the angle brackets.
    Full {
        /// The IRI text, possibly relative, possibly with `{placeholders}`.
        text: String,
        /// The span including the brackets.
        span: Span,
    },
    /// `prefix:local`.
    Prefixed {
        /// The prefix (may be empty, as in `:local`).
        prefix: Name,
        /// The local part, possibly with `{placeholders}`.
        local: String,
        /// The whole prefixed name.
        span: Span,
    },
}

impl Iri {
    /// Where the IRI is written.
    pub fn span(&self) -> Span {
        match self {
            Iri::Full { span, .. } | Iri::Prefixed { span, .. } => *span,
        }
    }
}

/// `lexicon Name ...`
#[derive(Clone, Debug, PartialEq)]
pub struct LexiconDecl {
    /// The lexicon's name.
    pub name: Name,
    /// `ignore case`: entries match whatever their letters' case.
    pub ignore_case: bool,
    /// Where its entries come from.
    pub source: LexiconSource,
}

/// Where a lexicon's entries come from.
#[derive(Clone, Debug, PartialEq)]
pub enum LexiconSource {
    /// Listed in the rule file.
    Inline(Vec<LexiconEntry>),
    /// Loaded from a file, relative to the rule file.
    File(StringLit),
}

/// `"text"` or `"text" -> target`
#[derive(Clone, Debug, PartialEq)]
pub struct LexiconEntry {
    /// The text to find.
    pub text: StringLit,
    /// Its canonical form or IRI, if given.
    pub target: Option<EntryTarget>,
}

/// What a lexicon entry stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum EntryTarget {
    /// A canonical form.
    Canonical(StringLit),
    /// An IRI.
    Iri(Iri),
}

/// `fragment Name = pattern`
#[derive(Clone, Debug, PartialEq)]
pub struct FragmentDecl {
    /// The fragment's name.
    pub name: Name,
    /// Its pattern.
    pub pattern: Pattern,
}

/// `entity Name a class, ... = pattern clauses...`
#[derive(Clone, Debug, PartialEq)]
pub struct EntityDecl {
    /// The entity type's name.
    pub name: Name,
    /// Its RDF classes.
    pub classes: Vec<Iri>,
    /// The text that names such an entity.
    pub pattern: Pattern,
    /// `iri`, `label`, `normalize`, `where`, `priority`, in source order.
    pub clauses: Vec<EntityClause>,
}

/// A clause of an entity declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct EntityClause {
    /// What it says.
    pub kind: EntityClauseKind,
    /// From its keyword to its end.
    pub span: Span,
}

/// The kinds of entity clause.
#[derive(Clone, Debug, PartialEq)]
pub enum EntityClauseKind {
    /// `iri template`
    Iri(Iri),
    /// `label` or `label @lang`
    Label(Option<LangTag>),
    /// `normalize a, b`
    Normalize(Vec<Name>),
    /// `where c, d`
    Where(Vec<Constraint>),
    /// `priority n`
    Priority(Integer),
    /// `standalone`: mentions are found on their own, not only inside rules.
    Standalone,
}

/// `rule name = pattern clauses... templates...`
#[derive(Clone, Debug, PartialEq)]
pub struct RuleDecl {
    /// The rule's name.
    pub name: Name,
    /// Its pattern.
    pub pattern: Pattern,
    /// `where` and `priority` clauses, in source order.
    pub clauses: Vec<RuleClause>,
    /// The triples it mints.
    pub templates: Vec<Template>,
}

/// A clause of a rule.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleClause {
    /// What it says.
    pub kind: RuleClauseKind,
    /// From its keyword to its end.
    pub span: Span,
}

/// The kinds of rule clause.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleClauseKind {
    /// `where c, d`
    Where(Vec<Constraint>),
    /// `priority n`
    Priority(Integer),
    /// `excludes r1, r2`: a match drops the overlapping matches of these rules.
    Excludes(Vec<Name>),
}

/// `=> subject predicate object`
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// The subject.
    pub subject: Term,
    /// The predicate.
    pub predicate: Term,
    /// The object.
    pub object: Term,
    /// From `=>` to the end of the object.
    pub span: Span,
}

/// A term of a triple template.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    /// `$name|normaliser...` with an optional language tag or datatype.
    Capture {
        /// The capture (span includes the `$`).
        name: Name,
        /// Normalisers applied in order.
        pipes: Vec<Name>,
        /// `@lang` or `^^datatype`.
        annotation: Option<Annotation>,
        /// The whole term.
        span: Span,
    },
    /// An IRI.
    Iri(Iri),
    /// `a`, short for `rdf:type`.
    A(Span),
    /// A literal.
    Literal(Literal),
}

impl Term {
    /// Where the term is written.
    pub fn span(&self) -> Span {
        match self {
            Term::Capture { span, .. } | Term::A(span) => *span,
            Term::Iri(iri) => iri.span(),
            Term::Literal(literal) => literal.span(),
        }
    }
}

/// A language tag or a datatype after a literal or capture.
#[derive(Clone, Debug, PartialEq)]
pub enum Annotation {
    /// `@zh`
    Lang(LangTag),
    /// `^^xsd:integer`
    Datatype(Iri),
}

/// `@tag`
#[derive(Clone, Debug, PartialEq)]
pub struct LangTag {
    /// The tag without `@`.
    pub tag: String,
    /// The span including `@`.
    pub span: Span,
}

/// A literal constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `"text"`, `"text"@lang` or `"text"^^datatype`.
    String {
        /// The text.
        value: StringLit,
        /// The tag or datatype.
        annotation: Option<Annotation>,
        /// The whole literal.
        span: Span,
    },
    /// `42`, `-3`: kept as written.
    Integer {
        /// The digits, with an optional sign.
        text: String,
        /// Where it is.
        span: Span,
    },
    /// `4.5`: kept as written.
    Decimal {
        /// The number as written.
        text: String,
        /// Where it is.
        span: Span,
    },
    /// `true` or `false`.
    Boolean {
        /// The value.
        value: bool,
        /// Where it is.
        span: Span,
    },
}

impl Literal {
    /// Where the literal is written.
    pub fn span(&self) -> Span {
        match self {
            Literal::String { span, .. }
            | Literal::Integer { span, .. }
            | Literal::Decimal { span, .. }
            | Literal::Boolean { span, .. } => *span,
        }
    }
}

/// `test rule "sentence" expectations...`
#[derive(Clone, Debug, PartialEq)]
pub struct TestDecl {
    /// The rule the test is about.
    pub rule: Name,
    /// The sentence to run the rules on.
    pub sentence: StringLit,
    /// What must and must not come out.
    pub expectations: Vec<Expectation>,
}

/// `=> s p o` (must be produced) or `!=> s p o` (must not be).
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// `!=>`: the triple must not be produced.
    pub negated: bool,
    /// Subject, predicate, object.
    pub terms: [TestTerm; 3],
    /// From the arrow to the end.
    pub span: Span,
}

/// A term in a test expectation.
#[derive(Clone, Debug, PartialEq)]
pub enum TestTerm {
    /// An IRI.
    Iri(Iri),
    /// `a`, short for `rdf:type`.
    A(Span),
    /// A literal.
    Literal(Literal),
    /// `_`: any term.
    Any(Span),
}

/// A condition on a capture (in a rule) or on the mention (in an entity).
#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    /// What it says.
    pub kind: ConstraintKind,
    /// The whole constraint.
    pub span: Span,
}

/// The kinds of constraint.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstraintKind {
    /// `subject [not] in Lexicon`
    In {
        /// What is tested.
        subject: Subject,
        /// `not in`.
        negated: bool,
        /// The lexicon.
        lexicon: Name,
    },
    /// `subject [not] matches|contains pattern`
    Match {
        /// What is tested.
        subject: Subject,
        /// `not matches`, `not contains`.
        negated: bool,
        /// `matches` (whole text) or `contains` (anywhere).
        mode: MatchMode,
        /// The pattern.
        pattern: Pattern,
    },
    /// `[subject] [not] preceded by pattern`, `[subject] [not] followed by pattern`:
    /// what comes right before or after the subject (the whole match when
    /// there is no subject).
    Context {
        /// What is tested; `None`: the whole match or mention.
        subject: Option<Subject>,
        /// `not preceded by`, `not followed by`.
        negated: bool,
        /// Before or after.
        side: Side,
        /// The pattern that must (or must not) be there.
        pattern: Pattern,
    },
    /// `a or b or ...`: at least one holds (two or more).
    Any(Vec<Constraint>),
    /// `len(subject) op n`
    Length {
        /// What is measured.
        subject: Subject,
        /// The comparison.
        op: Compare,
        /// The bound, in characters.
        value: Integer,
    },
}

/// How `matches` and `contains` differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchMode {
    /// The pattern must match the whole text.
    Matches,
    /// The pattern must match somewhere in the text.
    Contains,
}

/// Which side of its subject a context condition looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `preceded by`: the text right before.
    Before,
    /// `followed by`: the text right after.
    After,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// `<`
    Less,
    /// `<=`
    LessEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterEqual,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl Compare {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Compare::Less => "<",
            Compare::LessEqual => "<=",
            Compare::Greater => ">",
            Compare::GreaterEqual => ">=",
            Compare::Equal => "==",
            Compare::NotEqual => "!=",
        }
    }
}

/// What a constraint tests.
#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    /// `$name`: a capture of the rule.
    Capture(Name),
    /// `text`: the whole mention of the entity.
    Text(Span),
}

impl Subject {
    /// Where the subject is written.
    pub fn span(&self) -> Span {
        match self {
            Subject::Capture(name) => name.span,
            Subject::Text(span) => *span,
        }
    }
}

/// A pattern over the characters of one sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    /// Its shape.
    pub kind: PatternKind,
    /// Where it is written.
    pub span: Span,
}

/// The shapes of a pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum PatternKind {
    /// `a | b | ...` (two or more branches).
    Alternation(Vec<Pattern>),
    /// `a b ...` (two or more parts).
    Sequence(Vec<Pattern>),
    /// `p?`, `p*`, `p+`, `p{n}`, `p{n,}`, `p{n,m}`.
    Repeat {
        /// What is repeated.
        inner: Box<Pattern>,
        /// The least number of times.
        min: u32,
        /// The most, or unbounded.
        max: Option<u32>,
    },
    /// `"text"`.
    Literal(String),
    /// `"text"i`: the text in any case.
    LiteralNoCase(String),
    /// `\b` (a word boundary) or `\B` (`negated`: not one).
    WordBoundary {
        /// `\B`.
        negated: bool,
    },
    /// `[...]`, `\d`, `\p{Han}` ...
    Class(Class),
    /// `.`: any character.
    Any,
    /// `^`: the start of the sentence.
    Start,
    /// `$`: the end of the sentence.
    End,
    /// `( pattern )`.
    Group(Box<Pattern>),
    /// `$name:Target` or `$name:(pattern)`.
    Capture {
        /// The capture's name (span includes the `$`).
        name: Name,
        /// What it captures.
        target: CaptureTarget,
    },
    /// A fragment, lexicon or entity type, by name.
    Reference(Name),
}

/// What a capture captures.
#[derive(Clone, Debug, PartialEq)]
pub enum CaptureTarget {
    /// A fragment, lexicon or entity type.
    Name(Name),
    /// An inline pattern.
    Pattern(Box<Pattern>),
}

/// A character class.
#[derive(Clone, Debug, PartialEq)]
pub enum Class {
    /// `[...]` or `[^...]`.
    Bracket {
        /// `[^...]`.
        negated: bool,
        /// The members.
        items: Vec<ClassItem>,
    },
    /// A lone escape such as `\d` or `\p{Han}`.
    Escape(ClassEscape),
}

/// A member of a bracketed class.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassItem {
    /// One character.
    Char(char),
    /// `a-z`.
    Range(char, char),
    /// `\d`, `\p{Han}` ...
    Escape(ClassEscape),
}

/// A class escape.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassEscape {
    /// `\d` (or `\D` when negated): a decimal digit.
    Digit {
        /// `\D`.
        negated: bool,
    },
    /// `\w` (or `\W`): a word character.
    Word {
        /// `\W`.
        negated: bool,
    },
    /// `\s` (or `\S`): white space.
    Space {
        /// `\S`.
        negated: bool,
    },
    /// `\p{NAME}` (or `\P{NAME}`): a Unicode property.
    Property {
        /// `\P`.
        negated: bool,
        /// The property as written between the braces.
        name: String,
        /// Where the escape is written.
        span: Span,
    },
}
