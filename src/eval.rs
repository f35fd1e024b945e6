//! Scoring rules against gold annotations: entity mentions (JSON lines
//! `{"text", "entities": [[start, end, type]]}` or BRAT standoff) and
//! relation facts (TSV triples) — precision, recall and F1 per type and per
//! rule, with every false positive and false negative.
//!
//! Mentions count as found when start, end (characters) and type are equal;
//! triples when all three terms are. Only the predicates (or entity types)
//! the gold speaks of are scored: a rule set that also writes `rdfs:label`s
//! is not punished for them.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use oxrdf::Triple;
use serde::Serialize;

use crate::extract::{Document, Extractor, Fact};

/// Why gold could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GoldError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not what the format says.
    #[error("{path}:{line}: {why}")]
    Line {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        why: String,
    },
}

/// A gold document with entity annotations.
#[derive(Clone, Debug)]
pub struct GoldText {
    /// Its name (the BRAT file, or the JSON line's `id` or number).
    pub name: String,
    /// Its text.
    pub text: String,
    /// `(start, end, type)` in characters.
    pub entities: BTreeSet<(usize, usize, String)>,
}

/// True and false positives and negatives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Found and in the gold.
    pub true_positives: usize,
    /// Found, not in the gold.
    pub false_positives: usize,
    /// In the gold, not found.
    pub false_negatives: usize,
}

impl Counts {
    /// Found and right, of all found (1 when nothing was found).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Found, of all in the gold (1 when the gold is empty).
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// One item found or missed, for the report.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    /// The document.
    pub document: String,
    /// What: `start end type text` for a mention, `s p o` (N-Triples terms) for a fact.
    pub item: String,
    /// Its type (entity type or predicate).
    pub kind: String,
    /// The rule that found it (false positives).
    pub rule: Option<String>,
    /// The sentence it is in, when known.
    pub sentence: Option<String>,
}

/// A scoring.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// What was scored: `mentions` or `triples`.
    pub scored: &'static str,
    /// Over everything scored.
    pub total: Counts,
    /// By entity type or predicate.
    pub by_kind: BTreeMap<String, Counts>,
    /// By rule: true and false positives (a rule misses nothing of its own).
    pub by_rule: BTreeMap<String, Counts>,
    /// Found, not in the gold.
    pub false_positives: Vec<Item>,
    /// In the gold, not found.
    pub false_negatives: Vec<Item>,
    /// Items found of kinds the gold does not speak of, by kind (not scored).
    pub unscored: BTreeMap<String, usize>,
}

impl Report {
    fn count(&mut self, kind: &str, rule: Option<&str>, update: impl Fn(&mut Counts)) {
        update(&mut self.total);
        update(self.by_kind.entry(kind.to_owned()).or_default());
        if let Some(rule) = rule {
            update(self.by_rule.entry(rule.to_owned()).or_default());
        }
    }
}

/// Reads entity gold: a JSON lines file (`{"text": …, "entities": [[start,
/// end, "Type"], …]}`, optional `"id"`), a BRAT `.ann` file (its text in the
/// `.txt` beside it), or a directory of `.ann` files.
pub fn read_entity_gold(path: &Path) -> Result<Vec<GoldText>, GoldError> {
    let io = |source| GoldError::Io {
        path: path.to_owned(),
        source,
    };
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "ann"))
            .collect();
        files.sort();
        let mut gold = Vec::new();
        for file in files {
            gold.push(read_brat(&file)?);
        }
        return Ok(gold);
    }
    if path.extension().is_some_and(|e| e == "ann") {
        return Ok(vec![read_brat(path)?]);
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let mut gold = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: String| GoldError::Line {
            path: path.to_owned(),
            line: index + 1,
            why,
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(format!("not JSON ({e})")))?;
        let text = value["text"]
            .as_str()
            .ok_or_else(|| bad("no `text` string".into()))?
            .to_owned();
        let name = match &value["id"] {
            serde_json::Value::String(id) => id.clone(),
            serde_json::Value::Number(id) => id.to_string(),
            _ => format!("{}", index + 1),
        };
        let length = text.chars().count();
        let mut entities = BTreeSet::new();
        for entity in value["entities"].as_array().into_iter().flatten() {
            let parsed = (|| {
                let [start, end, kind] = entity.as_array()?.as_slice() else {
                    return None;
                };
                Some((
                    usize::try_from(start.as_u64()?).ok()?,
                    usize::try_from(end.as_u64()?).ok()?,
                    kind.as_str()?.to_owned(),
                ))
            })();
            match parsed {
                Some((start, end, kind)) if start < end && end <= length => {
                    entities.insert((start, end, kind));
                }
                _ => {
                    return Err(bad(format!(
                        "an entity must be [start, end, \"Type\"] with start < end <= {length} (characters): {entity}"
                    )));
                }
            }
        }
        gold.push(GoldText {
            name,
            text,
            entities,
        });
    }
    Ok(gold)
}

/// A BRAT `.ann` file's text-bound annotations (`T1<TAB>Type 0 5<TAB>text`;
/// discontinuous ones, `0 5;7 9`, span from the first start to the last end).
fn read_brat(path: &Path) -> Result<GoldText, GoldError> {
    let text_path = path.with_extension("txt");
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|source| GoldError::Io {
            path: p.to_owned(),
            source,
        })
    };
    let annotations = read(path)?;
    let text = read(&text_path)?;
    let mut entities = BTreeSet::new();
    for (index, line) in annotations.lines().enumerate() {
        if !line.starts_with('T') {
            continue; // relations, events, notes
        }
        let bad = |why: &str| GoldError::Line {
            path: path.to_owned(),
            line: index + 1,
            why: why.to_owned(),
        };
        let mut fields = line.split('\t');
        let (_, Some(annotation)) = (fields.next(), fields.next()) else {
            return Err(bad("expected `T1<TAB>Type start end<TAB>text`"));
        };
        let mut words = annotation.split([' ', ';']);
        let kind = words.next().unwrap_or_default().to_owned();
        let offsets: Vec<usize> = words
            .map(|w| w.parse().map_err(|_| bad("offsets must be whole numbers")))
            .collect::<Result<_, _>>()?;
        let (Some(&start), Some(&end)) = (offsets.first(), offsets.last()) else {
            return Err(bad("expected a start and an end offset"));
        };
        entities.insert((start, end, kind));
    }
    Ok(GoldText {
        name: path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        text,
        entities,
    })
}

/// Scores the entity mentions `extractor` finds in each gold text.
pub fn score_mentions(extractor: &Extractor, gold: &[GoldText]) -> Report {
    let mut report = Report {
        scored: "mentions",
        ..Report::default()
    };
    let kinds: BTreeSet<&str> = gold
        .iter()
        .flat_map(|g| g.entities.iter().map(|(_, _, kind)| kind.as_str()))
        .collect();
    for text in gold {
        let document = Document::new(&text.name, text.text.clone(), None);
        let extraction = extractor.with_scratch(|scratch| extractor.extract(&document, scratch));
        // Each mention once, with the first rule that found it and its sentence.
        let mut found: BTreeMap<(usize, usize, String), (String, String)> = BTreeMap::new();
        for fact in &extraction.facts {
            for mention in fact.provenance.mentions.iter().filter(|m| m.is_entity) {
                let kind = mention.kind.as_deref().unwrap_or_default().to_owned();
                found
                    .entry((mention.start, mention.end, kind))
                    .or_insert_with(|| {
                        (
                            fact.provenance.rule.to_string(),
                            fact.provenance.sentence_text.to_string(),
                        )
                    });
            }
        }
        let chars: Vec<char> = text.text.chars().collect();
        let slice = |start: usize, end: usize| {
            chars[start.min(chars.len())..end.min(chars.len())]
                .iter()
                .collect::<String>()
        };
        for ((start, end, kind), (rule, sentence)) in &found {
            if !kinds.contains(kind.as_str()) {
                *report.unscored.entry(kind.clone()).or_default() += 1;
                continue;
            }
            let key = (*start, *end, kind.clone());
            if text.entities.contains(&key) {
                report.count(kind, Some(rule), |c| c.true_positives += 1);
            } else {
                report.count(kind, Some(rule), |c| c.false_positives += 1);
                report.false_positives.push(Item {
                    document: text.name.clone(),
                    item: format!("{start} {end} {kind} {}", slice(*start, *end)),
                    kind: kind.clone(),
                    rule: Some(rule.clone()),
                    sentence: Some(sentence.clone()),
                });
            }
        }
        for (start, end, kind) in &text.entities {
            if !found.contains_key(&(*start, *end, kind.clone())) {
                report.count(kind, None, |c| c.false_negatives += 1);
                report.false_negatives.push(Item {
                    document: text.name.clone(),
                    item: format!("{start} {end} {kind} {}", slice(*start, *end)),
                    kind: kind.clone(),
                    rule: None,
                    sentence: sentence_around(&chars, *start),
                });
            }
        }
    }
    report
}

/// The line of `chars` around character `at` (for a missed mention).
fn sentence_around(chars: &[char], at: usize) -> Option<String> {
    let at = at.min(chars.len());
    let ends = |c: &char| matches!(c, '\n' | '。' | '！' | '？' | '!' | '?');
    let start = chars[..at].iter().rposition(ends).map_or(0, |i| i + 1);
    let end = chars[at..]
        .iter()
        .position(ends)
        .map_or(chars.len(), |i| at + i + 1);
    Some(
        chars[start..end]
            .iter()
            .collect::<String>()
            .trim()
            .to_owned(),
    )
}

/// Gold triples: `subject<TAB>predicate<TAB>object` a line, each term as in
/// a Turtle file with `prefixes` declared (`org:中建三局`, `46`,
/// `"书记"@zh`, `"--02-12"^^xsd:gMonthDay`, `a`); `#` starts a comment line.
pub fn read_triple_gold(
    path: &Path,
    prefixes: &[(String, String)],
) -> Result<Vec<Triple>, GoldError> {
    let text = std::fs::read_to_string(path).map_err(|source| GoldError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut header = String::new();
    for (prefix, namespace) in prefixes {
        header.push_str(&format!("@prefix {prefix}: <{namespace}> .\n"));
    }
    let mut triples = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: String| GoldError::Line {
            path: path.to_owned(),
            line: index + 1,
            why,
        };
        let terms: Vec<&str> = line.split('\t').map(str::trim).collect();
        if terms.len() != 3 {
            return Err(bad(format!(
                "expected three terms separated by tabs, found {}",
                terms.len()
            )));
        }
        let document = format!("{header}{} {} {} .\n", terms[0], terms[1], terms[2]);
        let mut parsed = Vec::new();
        for result in oxttl::TurtleParser::new().for_slice(document.as_bytes()) {
            parsed.push(result.map_err(|e| bad(format!("not a triple of Turtle terms: {e}")))?);
        }
        match <[Triple; 1]>::try_from(parsed) {
            Ok([triple]) => triples.push(triple),
            Err(_) => return Err(bad("expected one triple".into())),
        }
    }
    Ok(triples)
}

/// Scores the facts `extractor` finds in `documents` against gold triples.
pub fn score_triples(gold: &[Triple], facts: &[(String, Fact)]) -> Report {
    let mut report = Report {
        scored: "triples",
        ..Report::default()
    };
    let predicates: BTreeSet<String> = gold.iter().map(|t| t.predicate.to_string()).collect();
    let gold_set: BTreeSet<String> = gold.iter().map(|t| t.to_string()).collect();
    // Each triple once, with the first rule, document and sentence that gave it.
    let mut found: BTreeMap<String, (&Triple, &str, &Fact)> = BTreeMap::new();
    for (document, fact) in facts {
        found
            .entry(fact.triple.to_string())
            .or_insert((&fact.triple, document, fact));
    }
    for (key, (triple, document, fact)) in &found {
        let predicate = triple.predicate.to_string();
        if !predicates.contains(&predicate) {
            *report.unscored.entry(predicate).or_default() += 1;
            continue;
        }
        let rule = fact.provenance.rule.to_string();
        if gold_set.contains(key) {
            report.count(&predicate, Some(&rule), |c| c.true_positives += 1);
        } else {
            report.count(&predicate, Some(&rule), |c| c.false_positives += 1);
            report.false_positives.push(Item {
                document: document.to_string(),
                item: key.trim_end_matches(" .").to_owned(),
                kind: predicate,
                rule: Some(rule),
                sentence: Some(fact.provenance.sentence_text.to_string()),
            });
        }
    }
    let mut missed: HashSet<String> = HashSet::new();
    for triple in gold {
        let key = triple.to_string();
        if found.contains_key(&key) || !missed.insert(key.clone()) {
            continue;
        }
        let predicate = triple.predicate.to_string();
        report.count(&predicate, None, |c| c.false_negatives += 1);
        report.false_negatives.push(Item {
            document: String::new(),
            item: key,
            kind: predicate,
            rule: None,
            sentence: None,
        });
    }
    report
}
