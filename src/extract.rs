//! Extraction: a document → facts (triples with provenance).
//!
//! The text is normalised and split into sentences; one trigger scan picks
//! the rules to try on each sentence; the matcher finds their matches; matches
//! of lower-priority rules that overlap a higher-priority match are dropped;
//! each surviving match fills its rule's templates. Every entity that ends up
//! a node gets its `rdf:type`s and `rdfs:label`. Every fact records where it
//! came from, with character offsets into the ORIGINAL text.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use oxrdf::vocab::{rdf, rdfs, xsd};
use oxrdf::{Literal, NamedNode, Term, Triple};

use crate::matcher::{
    CompileError, Matcher, Rejection, RuleMatch, Scratch, apply_text_normalizers,
};
use crate::rules::{CaptureKind, EntryTarget, LiteralOutput, Normalizer, RuleSet, TermTemplate};
use crate::text::{Normalized, View, normalize_in, read_date, read_number, split_sentences};

/// The namespace of kgrep's own vocabulary (provenance).
pub use crate::vocab::NS as KGREP_NS;

/// A document to extract from.
#[derive(Clone, Debug)]
pub struct Document {
    /// Its IRI (the named graph its facts go to).
    pub iri: NamedNode,
    /// Its text.
    pub text: String,
    /// The year dates without a year fall in, if known.
    pub year: Option<i32>,
}

impl Document {
    /// A document named by `path` (relative to the corpus root, `/`-separated);
    /// its IRI is `urn:kgrep:doc:` + the percent-encoded path; the year is
    /// `year` or, failing that, found in the text ([`document_year`]).
    pub fn new(path: &str, text: String, year: Option<i32>) -> Document {
        let year = year.or_else(|| document_year(&text));
        Document {
            iri: document_iri(path),
            text,
            year,
        }
    }
}

/// The IRI of the document at `path`.
pub fn document_iri(path: &str) -> NamedNode {
    let mut iri = String::from(crate::vocab::DOCUMENT_PREFIX);
    crate::vocab::encode_path(path, &mut iri);
    NamedNode::new(iri).unwrap_or_else(|_| {
        NamedNode::new_unchecked(format!("{}invalid", crate::vocab::DOCUMENT_PREFIX))
    })
}

/// The year a document is about: a `year:` or `date:` line of front matter,
/// else the first year written as `2020年` or `2020-02-16`.
pub fn document_year(text: &str) -> Option<i32> {
    if let Some(front) = text.strip_prefix("---\n") {
        for line in front.lines().take_while(|line| *line != "---") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if matches!(key.trim(), "year" | "date")
                && let Ok(year) = value.trim().get(..4).unwrap_or("").parse()
            {
                return Some(year);
            }
        }
    }
    // 2020年 (or １９９８年): find each 年 and read the four characters before it.
    let year_before = |at: usize| -> Option<i32> {
        let mut before = text[..at].chars().rev();
        let mut digits = String::new();
        for _ in 0..4 {
            let c = before.next()?;
            let value = c
                .to_digit(10)
                .or_else(|| ('０'..='９').contains(&c).then(|| c as u32 - '０' as u32))?;
            digits.insert(0, char::from_digit(value, 10)?);
        }
        let earlier_is_digit = before
            .next()
            .is_some_and(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
        let plausible = digits.starts_with("19") || digits.starts_with("20");
        (plausible && !earlier_is_digit)
            .then(|| digits.parse().ok())
            .flatten()
    };
    if let Some(year) = text.match_indices('年').find_map(|(at, _)| year_before(at)) {
        return Some(year);
    }
    // 2020-02-16
    text.match_indices('-').find_map(|(at, _)| {
        let month = text.get(at + 1..at + 4)?;
        (month.as_bytes()[..2].iter().all(u8::is_ascii_digit) && month.ends_with('-'))
            .then(|| year_before(at))
            .flatten()
    })
}

/// A triple and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    /// The triple.
    pub triple: Triple,
    /// Where it came from.
    pub provenance: Provenance,
}

/// Where a fact came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    /// The sentence, counted from 0 in the document.
    pub sentence: usize,
    /// The first character of the match in the original text (from 0).
    pub start: usize,
    /// One past the last character of the match in the original text.
    pub end: usize,
    /// The rule's name.
    pub rule: Arc<str>,
    /// The matched text, as in the original (shared by every fact of the
    /// match).
    pub text: Arc<str>,
    /// The whole sentence, as in the original.
    pub sentence_text: Arc<str>,
    /// The sentence's first character in the original text.
    pub sentence_start: usize,
    /// What the match's captures hold, in the order of the rule's captures
    /// (shared by every fact of the match); empty unless the extractor was
    /// made [`Extractor::with_mentions`].
    pub mentions: Arc<[Mention]>,
}

/// What one capture of a match holds: its span in the original text and,
/// for an entity or lexicon capture, what it names.
#[derive(Clone, Debug, PartialEq)]
pub struct Mention {
    /// The capture's name, without `$`.
    pub capture: Arc<str>,
    /// The entity type or lexicon the capture is typed by; `None` for text.
    pub kind: Option<Arc<str>>,
    /// Whether `kind` names an entity type (not a lexicon).
    pub is_entity: bool,
    /// The first character of the capture in the original text (from 0).
    pub start: usize,
    /// One past its last character.
    pub end: usize,
    /// The captured text, as in the original.
    pub text: String,
    /// The IRI the mention stands for: an entity's node, a lexicon entry's IRI.
    pub iri: Option<NamedNode>,
}

/// What extraction found in one document.
#[derive(Clone, Debug, Default)]
pub struct Extraction {
    /// The facts, in document order.
    pub facts: Vec<Fact>,
    /// How many sentences the document has.
    pub sentences: usize,
}

impl Extraction {
    /// Renumbers the facts of a piece of a document for the whole document:
    /// the piece starts at sentence `sentences` and character `chars`.
    pub fn shift(&mut self, sentences: usize, chars: usize) {
        if sentences == 0 && chars == 0 {
            return;
        }
        // A match's facts share its mentions (and come one after another):
        // each match's are shifted once, and shared again.
        type Shifted = (Arc<[Mention]>, Arc<[Mention]>);
        let mut last: Option<Shifted> = None;
        for fact in &mut self.facts {
            let provenance = &mut fact.provenance;
            provenance.sentence += sentences;
            provenance.sentence_start += chars;
            provenance.start += chars;
            provenance.end += chars;
            if provenance.mentions.is_empty() {
                continue;
            }
            if let Some((old, new)) = &last
                && Arc::ptr_eq(old, &provenance.mentions)
            {
                provenance.mentions = new.clone();
                continue;
            }
            let mentions: Arc<[Mention]> = provenance
                .mentions
                .iter()
                .map(|mention| Mention {
                    start: mention.start + chars,
                    end: mention.end + chars,
                    ..mention.clone()
                })
                .collect();
            let old = std::mem::replace(&mut provenance.mentions, mentions.clone());
            last = Some((old, mentions));
        }
    }
}

/// One match, explained, for `kgrep try`.
#[derive(Clone, Debug)]
pub struct ExplainedMatch {
    /// The sentence index.
    pub sentence: usize,
    /// The match.
    pub found: RuleMatch,
    /// Whether it survived conflicts with higher-priority rules.
    pub kept: bool,
    /// The facts it produced.
    pub facts: Vec<Fact>,
}

/// Everything `kgrep try` shows about a text.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The normalised text and its sentences.
    pub normalized: Normalized,
    /// Byte ranges of the sentences in the normalised text.
    pub sentences: Vec<Range<usize>>,
    /// Every match of every rule.
    pub matches: Vec<ExplainedMatch>,
    /// Candidates rejected by constraints, with the sentence they were in.
    pub rejections: Vec<(usize, Rejection)>,
    /// For each sentence, the rules whose triggers it holds.
    pub candidates: Vec<Vec<usize>>,
}

/// A compiled rule set, ready to extract.
#[derive(Debug)]
pub struct Extractor {
    rules: RuleSet,
    matcher: Matcher,
    rule_names: Vec<Arc<str>>,
    entity_names: Vec<Arc<str>>,
    lexicon_names: Vec<Arc<str>>,
    /// Per rule, its captures' names (shared by every mention).
    capture_names: Vec<Vec<Arc<str>>>,
    /// Whether facts carry their match's mentions (see [`Extractor::with_mentions`]).
    with_mentions: bool,
    /// How documents' bytes become text (see [`Extractor::with_view`]).
    view: View,
    no_mentions: Arc<[Mention]>,
    /// Scratch spaces returned after use: the lazy DFAs' caches warm up once
    /// per thread, not once per document (that cost ~0.3 ms a document).
    spare: std::sync::Mutex<Vec<Scratch>>,
    /// How many facts a megabyte of the last big text gave (sizes the next's).
    facts_per_mb: std::sync::atomic::AtomicUsize,
    /// Per entity type: the lexicons that are whole alternatives of its pattern
    /// (a mention that is one of their entries takes the entry's IRI or canonical form).
    entity_lexicons: Vec<Vec<usize>>,
}

impl Extractor {
    /// Compiles `rules`.
    pub fn new(rules: RuleSet) -> Result<Extractor, CompileError> {
        let matcher = Matcher::new(&rules)?;
        let rule_names = rules
            .rules
            .iter()
            .map(|rule| Arc::from(rule.name.as_str()))
            .collect();
        let capture_names = rules
            .rules
            .iter()
            .map(|rule| {
                rule.captures
                    .iter()
                    .map(|capture| Arc::from(capture.name.as_str()))
                    .collect()
            })
            .collect();
        let entity_names = rules
            .entities
            .iter()
            .map(|entity| Arc::from(entity.name.as_str()))
            .collect();
        let lexicon_names = rules
            .lexicons
            .iter()
            .map(|lexicon| Arc::from(lexicon.name.as_str()))
            .collect();
        let entity_lexicons = rules
            .entities
            .iter()
            .map(|entity| match &entity.pattern {
                crate::rules::Pattern::Lexicon(id) => vec![id.0],
                crate::rules::Pattern::Alternation(branches) => branches
                    .iter()
                    .filter_map(|branch| match branch {
                        crate::rules::Pattern::Lexicon(id) => Some(id.0),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        Ok(Extractor {
            rules,
            matcher,
            rule_names,
            entity_names,
            lexicon_names,
            capture_names,
            entity_lexicons,
            spare: std::sync::Mutex::new(Vec::new()),
            facts_per_mb: std::sync::atomic::AtomicUsize::new(0),
            with_mentions: false,
            view: View::Text,
            no_mentions: Arc::from(Vec::new()),
        })
    }

    /// Reads documents as `view` says (paragraphs, HTML, XML); offsets stay
    /// offsets into the document as given.
    pub fn with_view(mut self, view: View) -> Extractor {
        self.view = view;
        self
    }

    /// Makes facts carry their match's captures ([`Provenance::mentions`]);
    /// off by default: minting each capture's IRI and copying its text costs
    /// about a third more on text dense with matches, and only JSON lines,
    /// `--mentions` and the Python package show them.
    pub fn with_mentions(mut self, on: bool) -> Extractor {
        self.with_mentions = on;
        self
    }

    /// How documents' bytes become text.
    pub fn view(&self) -> View {
        self.view
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The matcher.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Fresh scratch space for one thread.
    pub fn scratch(&self) -> Scratch {
        self.matcher.scratch()
    }

    /// Runs `work` with a scratch space kept from an earlier call when there
    /// is one (as many are kept as threads ran at once).
    pub fn with_scratch<T>(&self, work: impl FnOnce(&mut Scratch) -> T) -> T {
        let spare = |pool: &std::sync::Mutex<Vec<Scratch>>| {
            pool.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop()
        };
        let mut scratch = spare(&self.spare).unwrap_or_else(|| self.scratch());
        let result = work(&mut scratch);
        self.spare
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(scratch);
        result
    }

    /// Extracts every fact of `document`.
    pub fn extract(&self, document: &Document, scratch: &mut Scratch) -> Extraction {
        // Sized as the last big text's facts were (a dense piece has a
        // hundred thousand: growing them moved each fact twice).
        let bytes = document.text.len();
        let per_mb = self.facts_per_mb.load(std::sync::atomic::Ordering::Relaxed);
        let expected = ((per_mb as u64 * bytes as u64) >> 20) as usize;
        let mut facts = Vec::with_capacity((expected + expected / 16).min(bytes));
        let trace = self.run(document, scratch, &mut facts, false);
        if bytes >= 1 << 16 {
            self.facts_per_mb.store(
                (facts.len() << 20) / bytes,
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        Extraction {
            facts,
            sentences: trace.sentences.len(),
        }
    }

    /// Runs the rules on `document` and keeps everything `kgrep try` shows.
    pub fn trace(&self, document: &Document, scratch: &mut Scratch) -> Trace {
        self.run(document, scratch, &mut Vec::new(), true)
    }

    /// Runs the rules on `document`. The kept matches' facts go to `facts`
    /// in document order (one vector: a dense document has millions); to
    /// `explain`, every match goes to the trace with its facts instead, and
    /// so do the rejected candidates.
    fn run(
        &self,
        document: &Document,
        scratch: &mut Scratch,
        facts: &mut Vec<Fact>,
        explain: bool,
    ) -> Trace {
        let mut matches = Vec::new();
        let normalized = normalize_in(&document.text, self.view);
        let sentences = split_sentences(&normalized.text);
        let candidates = self.matcher.candidates(&normalized.text, &sentences);
        let mut chars = CharCounter::new(&document.text);
        let mut nodes = EntityNodes::default();
        let mut rejections = Vec::new();
        let mut found = Vec::new();
        for (index, range) in sentences.iter().enumerate() {
            if candidates[index].is_empty() {
                continue;
            }
            let sentence = &normalized.text[range.clone()];
            found.clear();
            for &rule in &candidates[index] {
                let mut rejected = Vec::new();
                found.extend(self.matcher.find_all(
                    rule,
                    sentence,
                    scratch,
                    explain.then_some(&mut rejected),
                ));
                rejections.extend(rejected.into_iter().map(|r| (index, r)));
            }
            found.sort_by_key(|m| (m.span.start, m.rule));
            let kept = self.resolve_priorities(&found);
            self.drop_contained_mentions(&mut found, &kept);
            let mut context = MatchContext {
                document,
                normalized: &normalized,
                sentence_range: range,
                sentence: index,
                chars: &mut chars,
                nodes: &mut nodes,
            };
            for (found, kept) in found.drain(..).zip(kept) {
                if explain {
                    let mut facts = Vec::new();
                    self.facts(&mut context, &found, &mut facts);
                    matches.push(ExplainedMatch {
                        sentence: index,
                        found,
                        kept,
                        facts,
                    });
                } else if kept {
                    self.facts(&mut context, &found, facts);
                }
            }
        }
        Trace {
            normalized,
            sentences,
            matches,
            rejections,
            candidates,
        }
    }

    /// An entity mention captured by one match and strictly inside an entity
    /// mention captured by another kept match of the sentence is dropped: the
    /// capture is unbound, so the templates that use it make nothing.
    fn drop_contained_mentions(&self, found: &mut [RuleMatch], kept: &[bool]) {
        let mut mentions = Vec::new();
        for (index, matched) in found.iter().enumerate().filter(|(index, _)| kept[*index]) {
            let rule = &self.rules.rules[matched.rule];
            for (capture, span) in matched.captures.iter().enumerate() {
                if let (Some(span), true) = (span, rule.captures[capture].kind.is_entity()) {
                    mentions.push((index, capture, span.clone()));
                }
            }
        }
        for (index, capture, span) in &mentions {
            let contained = mentions.iter().any(|(other, _, longer)| {
                other != index
                    && longer.start <= span.start
                    && span.end <= longer.end
                    && longer.len() > span.len()
            });
            if contained {
                found[*index].captures[*capture] = None;
            }
        }
    }

    /// Which matches of a sentence stay: taken from the highest priority
    /// down, a match is dropped when it overlaps a match already kept of
    /// another rule with a higher priority. A dropped match drops nothing.
    fn resolve_priorities(&self, found: &[RuleMatch]) -> Vec<bool> {
        let priority = |m: &RuleMatch| self.rules.rules[m.rule].priority;
        let overlap =
            |a: &RuleMatch, b: &RuleMatch| a.span.start < b.span.end && b.span.start < a.span.end;
        // A match of an `excludes` rule drops the overlapping matches of the
        // rules it names, whatever their priority; they drop nothing.
        let excluded: Vec<bool> = found
            .iter()
            .map(|candidate| {
                found.iter().any(|other| {
                    self.rules.rules[other.rule]
                        .excludes
                        .contains(&candidate.rule)
                        && overlap(other, candidate)
                })
            })
            .collect();
        let mut order: Vec<usize> = (0..found.len()).collect();
        order.sort_by_key(|&index| std::cmp::Reverse(priority(&found[index])));
        let mut kept = vec![false; found.len()];
        for index in order {
            if excluded[index] {
                continue;
            }
            let candidate = &found[index];
            kept[index] = !found.iter().zip(&kept).any(|(other, &other_kept)| {
                other_kept
                    && other.rule != candidate.rule
                    && priority(other) > priority(candidate)
                    && other.span.start < candidate.span.end
                    && candidate.span.start < other.span.end
            });
        }
        kept
    }

    /// Appends the facts of `found` to `facts`, each triple once.
    fn facts(&self, context: &mut MatchContext<'_, '_>, found: &RuleMatch, facts: &mut Vec<Fact>) {
        let MatchContext {
            document,
            normalized,
            sentence_range,
            sentence,
            ..
        } = *context;
        let rule = &self.rules.rules[found.rule];
        let text = &normalized.text[sentence_range.clone()];
        let original_start = normalized.original_offset(sentence_range.start + found.span.start);
        let original_end = normalized.original_offset(sentence_range.start + found.span.end);
        let sentence_original = normalized.original_offset(sentence_range.start)
            ..normalized.original_offset(sentence_range.end);
        let chars = &mut *context.chars;
        let mut minted = Minted::new(&mut *context.nodes);
        let provenance = Provenance {
            sentence,
            sentence_start: chars.count(sentence_original.start),
            start: chars.count(original_start),
            end: chars.count(original_end),
            rule: self.rule_names[found.rule].clone(),
            text: Arc::from(&document.text[original_start..original_end]),
            sentence_text: Arc::from(&document.text[sentence_original]),
            mentions: if self.with_mentions {
                self.mentions(
                    document,
                    normalized,
                    sentence_range,
                    found,
                    chars,
                    &mut minted,
                )
            } else {
                self.no_mentions.clone()
            },
        };
        let first = facts.len();
        let mut typed: Vec<(usize, NamedNode, String)> = Vec::new();
        // Entities become nodes only if the template makes its triple.
        let mut nodes = Vec::new();
        for template in &rule.templates {
            nodes.clear();
            let mut term =
                |term| self.term(term, found, text, document.year, &mut nodes, &mut minted);
            let Some(subject) = term(&template.subject) else {
                continue;
            };
            let Some(Term::NamedNode(predicate)) = term(&template.predicate) else {
                continue;
            };
            let Some(object) = term(&template.object) else {
                continue;
            };
            let Some(subject) = as_subject(subject) else {
                continue;
            };
            for node in nodes.drain(..) {
                if !typed.contains(&node) {
                    typed.push(node);
                }
            }
            let triple = Triple::new(subject, predicate, object);
            facts.push(Fact {
                triple,
                provenance: provenance.clone(),
            });
        }
        // Every entity that became a node gets its classes and its label.
        for (entity, node, label) in typed {
            let entity = &self.rules.entities[entity];
            for class in &entity.classes {
                let triple = Triple::new(node.clone(), rdf::TYPE.into_owned(), class.clone());
                facts.push(Fact {
                    triple,
                    provenance: provenance.clone(),
                });
            }
            let label = match &entity.label_language {
                Some(language) => {
                    Literal::new_language_tagged_literal_unchecked(label, language.clone())
                }
                None => Literal::new_simple_literal(label),
            };
            facts.push(Fact {
                triple: Triple::new(node, rdfs::LABEL.into_owned(), label),
                provenance: provenance.clone(),
            });
        }
        // A match's triples once each: a few, compared in place (no copies
        // to hash).
        if facts.len() - first > 64 {
            let mut made = facts.split_off(first);
            let mut seen = std::collections::HashSet::new();
            made.retain(|fact| seen.insert(fact.triple.clone()));
            facts.append(&mut made);
            return;
        }
        let made = &mut facts[first..];
        let mut kept = 0;
        for next in 0..made.len() {
            if !made[..kept].iter().any(|k| k.triple == made[next].triple) {
                if kept != next {
                    made.swap(kept, next);
                }
                kept += 1;
            }
        }
        facts.truncate(first + kept);
    }

    /// What each bound capture of `found` holds, with original offsets.
    fn mentions(
        &self,
        document: &Document,
        normalized: &Normalized,
        sentence_range: &Range<usize>,
        found: &RuleMatch,
        chars: &mut CharCounter<'_>,
        minted: &mut Minted,
    ) -> Arc<[Mention]> {
        let rule = &self.rules.rules[found.rule];
        let sentence = &normalized.text[sentence_range.clone()];
        let mut mentions = Vec::with_capacity(found.captures.len());
        for (index, (capture, span)) in rule.captures.iter().zip(&found.captures).enumerate() {
            let Some(span) = span else { continue };
            let start = normalized.original_offset(sentence_range.start + span.start);
            let end = normalized.original_offset(sentence_range.start + span.end);
            let captured = &sentence[span.clone()];
            let kind = match capture.kind {
                CaptureKind::OneOfEntities => match entity_at(found, span) {
                    Some(entity) => CaptureKind::Entity(entity),
                    None => CaptureKind::Text,
                },
                kind => kind,
            };
            let (kind, is_entity, iri) = match kind {
                CaptureKind::OneOfEntities => unreachable!("resolved above"),
                CaptureKind::Entity(entity) => (
                    Some(self.entity_names[entity.0].clone()),
                    true,
                    minted
                        .entity_node(self, entity.0, span, captured)
                        .map(|(node, _)| node),
                ),
                CaptureKind::Lexicon(lexicon) => (
                    Some(self.lexicon_names[lexicon.0].clone()),
                    false,
                    match self.matcher.lexicon_entry(lexicon, captured) {
                        Some(EntryTarget::Iri(iri)) => Some(iri.clone()),
                        _ => None,
                    },
                ),
                CaptureKind::Text => (None, false, None),
            };
            mentions.push(Mention {
                capture: self.capture_names[found.rule][index].clone(),
                kind,
                is_entity,
                start: chars.count(start),
                end: chars.count(end),
                text: document.text[start..end].to_owned(),
                iri,
            });
        }
        mentions.into()
    }

    /// The node of a mention of entity type `entity` and its label.
    fn entity_node(&self, entity: usize, text: &str) -> Option<(NamedNode, String)> {
        let mut text = text.to_owned();
        for lexicon in &self.entity_lexicons[entity] {
            match self
                .matcher
                .lexicon_entry(crate::rules::LexiconId(*lexicon), &text)
            {
                Some(EntryTarget::Iri(iri)) => {
                    let label = self
                        .matcher
                        .entity_text(crate::rules::EntityId(entity), &text);
                    return Some((iri.clone(), label));
                }
                Some(EntryTarget::Canonical(canonical)) => {
                    text = canonical.clone();
                    break;
                }
                Some(EntryTarget::Text) => break,
                None => {}
            }
        }
        let label = self
            .matcher
            .entity_text(crate::rules::EntityId(entity), &text);
        let node = NamedNode::new(self.rules.entities[entity].iri.expand(&label)).ok()?;
        Some((node, label))
    }

    /// The term a template term stands for in `found`, or `None` to skip the
    /// template (an optional capture that did not take part, a value that
    /// could not be read).
    fn term(
        &self,
        term: &TermTemplate,
        found: &RuleMatch,
        sentence: &str,
        year: Option<i32>,
        typed: &mut Vec<(usize, NamedNode, String)>,
        minted: &mut Minted,
    ) -> Option<Term> {
        let rule = &self.rules.rules[found.rule];
        let capture_text = |capture: crate::rules::CaptureId| -> Option<&str> {
            let span = found.captures.get(capture.0)?.clone()?;
            Some(&sentence[span])
        };
        match term {
            TermTemplate::Iri(iri) => Some(iri.clone().into()),
            TermTemplate::Literal(literal) => Some(literal.clone().into()),
            TermTemplate::CaptureNode(capture) => {
                let text = capture_text(*capture)?;
                let kind = match rule.captures[capture.0].kind {
                    CaptureKind::OneOfEntities => {
                        let span = found.captures.get(capture.0)?.as_ref()?;
                        CaptureKind::Entity(entity_at(found, span)?)
                    }
                    kind => kind,
                };
                match kind {
                    CaptureKind::OneOfEntities => None,
                    CaptureKind::Entity(entity) => {
                        let span = found.captures.get(capture.0)?.as_ref()?;
                        let (node, label) = minted.entity_node(self, entity.0, span, text)?;
                        if !typed.iter().any(|(e, n, _)| *e == entity.0 && *n == node) {
                            typed.push((entity.0, node.clone(), label));
                        }
                        Some(node.into())
                    }
                    CaptureKind::Lexicon(lexicon) => {
                        match self.matcher.lexicon_entry(lexicon, text)? {
                            EntryTarget::Iri(iri) => Some(iri.clone().into()),
                            EntryTarget::Canonical(canonical) => {
                                Some(Literal::new_simple_literal(canonical).into())
                            }
                            EntryTarget::Text => Some(Literal::new_simple_literal(text).into()),
                        }
                    }
                    CaptureKind::Text => Some(Literal::new_simple_literal(text).into()),
                }
            }
            TermTemplate::CaptureLiteral {
                capture,
                pipes,
                output,
            } => {
                let mut text = capture_text(*capture)?.to_owned();
                if let CaptureKind::Lexicon(lexicon) = rule.captures[capture.0].kind
                    && let Some(EntryTarget::Canonical(canonical)) =
                        self.matcher.lexicon_entry(lexicon, &text)
                {
                    text = canonical.clone();
                }
                let text_pipes: Vec<Normalizer> =
                    pipes.iter().copied().filter(|n| n.is_text()).collect();
                let text = apply_text_normalizers(&text_pipes, &text);
                literal(&text, output, year).map(Term::from)
            }
        }
    }
}

/// Where a sentence's matches are turned into facts: the document, its
/// normalised text, the sentence, and what the document's facts share.
struct MatchContext<'d, 'n> {
    document: &'d Document,
    normalized: &'d Normalized,
    sentence_range: &'d Range<usize>,
    sentence: usize,
    chars: &'d mut CharCounter<'n>,
    nodes: &'d mut EntityNodes,
}

/// The entity nodes minted for one match, by entity type and span: a
/// capture that several templates and its mention use is minted once.
struct Minted<'n> {
    spans: Vec<(usize, Range<usize>, EntityNode)>,
    nodes: &'n mut EntityNodes,
}

/// The entity nodes minted in one document (or piece), by entity type and
/// text: dense text names the same entities sentence after sentence, and a
/// node costs lexicon lookups, normalisers and an IRI check to mint.
#[derive(Default)]
struct EntityNodes(Vec<HashMap<Box<str>, EntityNode, foldhash::fast::FixedState>>);

/// A mention's node and label (`None`: its IRI would be invalid).
type EntityNode = Option<(NamedNode, String)>;

/// Nodes kept by entity type before the memo starts again (memory follows
/// a piece anyway; this bounds a piece of only distinct names).
const ENTITY_NODES_KEPT: usize = 1 << 16;

impl EntityNodes {
    fn get(
        &mut self,
        extractor: &Extractor,
        entity: usize,
        text: &str,
    ) -> Option<(NamedNode, String)> {
        if self.0.len() <= entity {
            self.0.resize_with(entity + 1, HashMap::default);
        }
        let nodes = &mut self.0[entity];
        if let Some(node) = nodes.get(text) {
            return node.clone();
        }
        if nodes.len() >= ENTITY_NODES_KEPT {
            nodes.clear();
        }
        let node = extractor.entity_node(entity, text);
        nodes.insert(text.into(), node.clone());
        node
    }
}

impl<'n> Minted<'n> {
    fn new(nodes: &'n mut EntityNodes) -> Self {
        Minted {
            spans: Vec::new(),
            nodes,
        }
    }

    /// [`Extractor::entity_node`] of the capture `span` of type `entity`,
    /// whose text is `text`.
    fn entity_node(
        &mut self,
        extractor: &Extractor,
        entity: usize,
        span: &Range<usize>,
        text: &str,
    ) -> Option<(NamedNode, String)> {
        if let Some((.., node)) = self
            .spans
            .iter()
            .find(|(e, s, _)| *e == entity && s == span)
        {
            return node.clone();
        }
        let node = self.nodes.get(extractor, entity, text);
        self.spans.push((entity, span.clone(), node.clone()));
        node
    }
}

/// The entity type whose mention in `found` spans exactly `span` (for a
/// capture of one of several entity types).
fn entity_at(found: &RuleMatch, span: &Range<usize>) -> Option<crate::rules::EntityId> {
    found
        .entities
        .iter()
        .find(|(_, mention)| mention == span)
        .map(|(entity, _)| *entity)
}

/// The literal for captured `text` (already through its text normalisers).
fn literal(text: &str, output: &LiteralOutput, year: Option<i32>) -> Option<Literal> {
    Some(match output {
        LiteralOutput::Plain => Literal::new_simple_literal(text),
        LiteralOutput::Language(language) => {
            Literal::new_language_tagged_literal_unchecked(text, language.clone())
        }
        LiteralOutput::Typed(datatype) => Literal::new_typed_literal(text, datatype.clone()),
        LiteralOutput::Number(datatype) => {
            let number = read_number(text)?;
            let datatype = datatype.clone().unwrap_or_else(|| {
                if number.is_integer() {
                    xsd::INTEGER.into_owned()
                } else {
                    xsd::DECIMAL.into_owned()
                }
            });
            if datatype.as_ref() == xsd::INTEGER && !number.is_integer() {
                return None;
            }
            Literal::new_typed_literal(number.lexical(), datatype)
        }
        LiteralOutput::Date(datatype) => {
            let date = read_date(text, year)?;
            let natural = if date.year.is_some() {
                xsd::DATE
            } else {
                xsd::G_MONTH_DAY
            };
            let datatype = datatype.clone().unwrap_or_else(|| natural.into_owned());
            let lexical = if datatype.as_ref() == xsd::G_MONTH_DAY {
                format!("--{:02}-{:02}", date.month, date.day)
            } else if date.year.is_some() {
                date.lexical()
            } else {
                return None;
            };
            Literal::new_typed_literal(lexical, datatype)
        }
        LiteralOutput::Boolean => {
            let approximate = read_number(text).is_some_and(|n| n.approximate);
            Literal::from(approximate)
        }
    })
}

fn as_subject(term: Term) -> Option<oxrdf::NamedOrBlankNode> {
    match term {
        Term::NamedNode(node) => Some(node.into()),
        Term::BlankNode(node) => Some(node.into()),
        _ => None,
    }
}

/// Turns byte offsets into character offsets, cheaply for increasing offsets.
struct CharCounter<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharCounter<'a> {
    fn new(text: &'a str) -> Self {
        CharCounter {
            text,
            byte: 0,
            chars: 0,
        }
    }

    fn count(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.chars -= self.text[byte..self.byte].chars().count();
        } else {
            self.chars += self.text[self.byte..byte].chars().count();
        }
        self.byte = byte;
        self.chars
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::MemoryFiles;

    fn extractor(rules: &str) -> Extractor {
        let mut files = MemoryFiles::new();
        files.insert("r.kgr", format!("prefix ex: <http://e/>\n{rules}"));
        let loaded = crate::rules::load(std::path::Path::new("r.kgr"), &files).expect("loads");
        let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        Extractor::new(loaded.rule_set.expect("rules")).expect("compiles")
    }

    fn ntriples(extractor: &Extractor, text: &str) -> Vec<String> {
        let document = Document::new("doc.txt", text.to_owned(), None);
        let extraction = extractor.extract(&document, &mut extractor.scratch());
        extraction
            .facts
            .iter()
            .map(|fact| format!("{} .", fact.triple))
            .collect()
    }

    #[test]
    fn provenance_points_into_the_original_text() {
        let extractor = extractor(
            "entity Team a ex:Team = \"党员\" \"突击队\" iri ex:t/{text} label @zh\n\
             rule r = ([0-9]+) \"名\" $t:Team => $t ex:p \"x\"\n",
        );
        let text = "第一句。共４６名党员突击队。";
        let document = Document::new("doc.txt", text.to_owned(), None);
        let extraction = extractor.extract(&document, &mut extractor.scratch());
        let fact = &extraction.facts[0];
        assert_eq!(fact.provenance.sentence, 1);
        assert_eq!(&*fact.provenance.text, "４６名党员突击队");
        let chars: Vec<char> = text.chars().collect();
        let span: String = chars[fact.provenance.start..fact.provenance.end]
            .iter()
            .collect();
        assert_eq!(span, "４６名党员突击队");
    }

    #[test]
    fn templates_types_labels_and_values() {
        let extractor = extractor(
            "entity Team a ex:Team = \\p{Han}{0,4} \"突击队\" iri ex:t/{text} label @zh\n\
             rule r = $t:Team [^0-9]{0,3} $n:([0-9余万]+) \"名\" $d:([0-9]+ \"月\" [0-9]+ \"日\")?\n\
               => $t ex:size $n|number\n  => $t ex:approx $n|approximate\n  => $t ex:on $d|date\n",
        );
        let triples = ntriples(&extractor, "2020年。党员突击队有40余万名2月12日");
        assert!(triples.contains(&"<http://e/t/党员突击队> <http://e/size> \"400000\"^^<http://www.w3.org/2001/XMLSchema#integer> .".to_owned()), "{triples:#?}");
        assert!(triples.contains(&"<http://e/t/党员突击队> <http://e/approx> \"true\"^^<http://www.w3.org/2001/XMLSchema#boolean> .".to_owned()), "{triples:#?}");
        assert!(triples.contains(&"<http://e/t/党员突击队> <http://e/on> \"2020-02-12\"^^<http://www.w3.org/2001/XMLSchema#date> .".to_owned()), "{triples:#?}");
        assert!(triples.contains(&"<http://e/t/党员突击队> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://e/Team> .".to_owned()));
        assert!(triples.contains(&"<http://e/t/党员突击队> <http://www.w3.org/2000/01/rdf-schema#label> \"党员突击队\"@zh .".to_owned()));
    }

    #[test]
    fn constraint_literals_trigger_only_where_the_text_is_as_written() {
        // `contains "龘"` makes 龘 a trigger; under `lowercase` the mention is
        // tested lower-cased, so "acme" must not become a trigger.
        let extractor = extractor(
            "entity Rare a ex:R = \\p{Han}{2,3} where text contains \"龘\" iri ex:r/{text}\n\
             entity Firm a ex:F = [A-Za-z]{4} normalize lowercase where text contains \"acme\" iri ex:f/{text}\n\
             rule rare = $r:Rare \"号\" => $r ex:p ex:o\n\
             rule firm = $f:Firm \" Inc\" => $f ex:p ex:o\n",
        );
        assert_eq!(ntriples(&extractor, "甲乙号。").len(), 0);
        assert!(
            ntriples(&extractor, "龘乙号。")
                .iter()
                .any(|t| t.contains("ex:p") || t.contains("/p>"))
        );
        let firm = ntriples(&extractor, "ACME Inc.");
        assert!(
            firm.iter()
                .any(|t| t.contains("<http://e/f/acme> <http://e/p>")),
            "{firm:#?}"
        );
    }

    #[test]
    fn length_tests_on_repeated_characters_act_as_the_repetitions_bounds() {
        // `len($a) OP n` on a capture of one character repeated is compiled
        // into the repetition: the rule finds what the same rule with the
        // bound written in its pattern finds (the leftmost-longest match whose
        // capture meets it, not only the one split the pattern prefers).
        // Where it does not apply (`!=`, a test under `or`), the test runs
        // after the match, as before.
        let mut random = crate::testing::Xorshift::new(0x9e37_79b9_7f4a_7c15);
        let alphabet = ['a', 'b', 'x', '字', ' ', '!', '。'];
        let texts: Vec<String> = (0..60)
            .map(|_| (0..40).map(|_| *random.pick(&alphabet)).collect())
            .collect();
        let rule = |a: &str, b: &str, condition: &str| {
            extractor(&format!(
                "rule r = $a:([ab字]{{{a}}}) \" \"? $b:((\"x\" | \"字\"){{{b}}}) \"!\" {condition} \
                 => ex:s ex:a $a => ex:s ex:b $b\n"
            ))
        };
        let same = |one: &Extractor, other: &Extractor, what: &str| {
            for text in &texts {
                assert_eq!(
                    ntriples(one, text),
                    ntriples(other, text),
                    "{what} on {text:?}"
                );
            }
        };
        for (test, a, b) in [
            ("len($a) > 3", "4,6", "0,7"),
            ("len($a) >= 2", "2,6", "0,7"),
            ("len($a) < 3", "1,2", "0,7"),
            ("len($a) <= 1", "1,1", "0,7"),
            ("len($a) == 2", "2,2", "0,7"),
            ("len($b) > 5", "1,6", "6,7"),
        ] {
            same(
                &rule("1,6", "0,7", &format!("where {test}")),
                &rule(a, b, ""),
                test,
            );
        }
        for test in ["len($a) != 2", "len($a) > 20"] {
            same(
                &rule("1,6", "0,7", &format!("where {test}")),
                &rule("1,6", "0,7", &format!("where {test} or {test}")),
                test,
            );
        }
    }

    #[test]
    fn wide_repetitions_find_what_open_ones_do_on_shorter_text() {
        // Starts are found with wide repetitions left open (`C{2,150}` as
        // `C+`) and then checked with the exact pattern: on text shorter than
        // the bound, the two rules must find the same facts.
        let rule = |bound: &str| {
            extractor(&format!(
                "rule r = $a:([ab]{{{bound}}}) \"x\" $b:(\"y\"{{0,120}}) => ex:s ex:a $a => ex:s ex:b $b\n"
            ))
        };
        let (wide, open) = (rule("2,150"), rule("2,"));
        let mut random = crate::testing::Xorshift::new(0x9e37_79b9_7f4a_7c15);
        let alphabet = ['a', 'b', 'x', 'y', 'y', '。'];
        for _ in 0..200 {
            let text: String = (0..60).map(|_| *random.pick(&alphabet)).collect();
            assert_eq!(ntriples(&wide, &text), ntriples(&open, &text), "{text:?}");
        }
    }

    #[test]
    fn a_big_lexicon_matches_as_a_small_one_does() {
        // The same names, once as a lexicon past BIG_LEXICON (matched through
        // its stand-in and a lookup) and once as a small one (an alternation):
        // the facts must be the same. Past 20,000 names, the entity-only rule
        // is triggered by an automaton of the names, not Aho–Corasick.
        for count in [crate::matcher::BIG_LEXICON + 10, 20_010] {
            big_lexicon_as_small(count);
        }
    }

    fn big_lexicon_as_small(count: usize) {
        let names: Vec<String> = (0..count)
            .map(|i| {
                let a = char::from_u32(0x4e00 + (i % 300) as u32).unwrap();
                let b = char::from_u32(0x4e00 + (i / 300) as u32).unwrap();
                format!("{a}{b}市")
            })
            .collect();
        let wanted = ["一丁市", "丁丁市", "七丁市", "丁七市"];
        let big = names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let small = wanted
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ");
        // The last sentence: 1,200 characters the stand-in matches but no
        // entry, then a name — the misses must not use up the retry budget.
        let long = format!("{}丁七市。", "一丁七".repeat(400));
        let text = format!("在一丁市成立了。丁丁市七丁市成立。在乙乙乙市成立。一丁市。{long}");
        let facts = |lexicon: &str| {
            let extractor = extractor(&format!(
                "lexicon Gaz = {lexicon}\n\
                 entity Place a ex:Place = Gaz iri ex:p/{{text}}\n\
                 rule formed = $p:Place \"成立\" => $p ex:formed ex:x\n\
                 rule mention = $p:Place => $p ex:mentioned ex:x\n"
            ));
            let mut triples = ntriples(&extractor, &text);
            triples.sort();
            triples
        };
        assert!(names.iter().any(|n| n == "一丁市") && names.iter().any(|n| n == "七丁市"));
        let expected = facts(&small);
        assert!(
            expected
                .iter()
                .any(|t| t.contains("七丁市> <http://e/formed>")),
            "{expected:#?}"
        );
        assert_eq!(facts(&big), expected);
    }

    #[test]
    fn higher_priority_wins_overlaps() {
        let extractor = extractor(
            "rule low = \"成立\" .{0,3} \"队\" => ex:a ex:low ex:b\n\
             rule high = \"成立突击\" priority 5 => ex:a ex:high ex:b\n",
        );
        let triples = ntriples(&extractor, "成立突击队");
        assert_eq!(triples, ["<http://e/a> <http://e/high> <http://e/b> ."]);
    }

    #[test]
    fn a_dropped_match_drops_nothing() {
        let extractor = extractor(
            "rule top = \"甲乙\" priority 2 => ex:a ex:top ex:b\n\
             rule middle = \"乙丙\" priority 1 => ex:a ex:middle ex:b\n\
             rule low = \"丙丁\" => ex:a ex:low ex:b\n",
        );
        let triples = ntriples(&extractor, "甲乙丙丁");
        assert_eq!(triples.len(), 2, "{triples:#?}");
        assert!(
            triples.iter().any(|t| t.contains("top")) && triples.iter().any(|t| t.contains("low"))
        );
    }

    #[test]
    fn a_skipped_template_mints_no_node() {
        let extractor = extractor(
            "entity Team a ex:Team = \"党员突击队\" iri ex:t/{text}\n\
             rule size = $t:Team \"有\" $n:(\\p{Han}{2}) \"人\" => $t ex:size $n|number\n",
        );
        assert!(ntriples(&extractor, "党员突击队有若干人").is_empty());
    }

    #[test]
    fn a_mention_inside_a_longer_mention_is_dropped() {
        let extractor = extractor(
            "lexicon Province = \"湖北\"\n\
             entity Place a ex:Place = Province iri ex:p/{text}\n\
             entity Org a ex:Org = \"中国移动\" Province \"分公司\" iri ex:o/{text}\n\
             rule org = $o:Org \"成立\" => $o ex:formed ex:x\n\
             rule place = $p:Place \"分公司\" => $p ex:hasBranch ex:y\n",
        );
        let triples = ntriples(&extractor, "中国移动湖北分公司成立");
        assert!(triples.iter().any(|t| t.contains("formed")), "{triples:#?}");
        assert!(
            !triples
                .iter()
                .any(|t| t.contains("hasBranch") || t.contains("/p/")),
            "{triples:#?}"
        );
    }

    #[test]
    fn the_document_year() {
        assert_eq!(
            document_year("新华社北京2月16日电 2020年的春天"),
            Some(2020)
        );
        assert_eq!(document_year("---\nyear: 2019\n---\ntext"), Some(2019));
        assert_eq!(document_year("共12020人"), None);
        assert_eq!(document_year("在１９９８年来临之际"), Some(1998));
        assert_eq!(
            document_year("no: colon\nplain 2020-02-16 text"),
            Some(2020)
        );
    }
}
