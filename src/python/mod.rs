//! The Python front end (`import kgrep`), built by maturin with the `python`
//! feature and without the store: rules in, facts with provenance out.
//!
//! A thin layer like the CLI: loading, checking and extracting are the
//! library's; this module turns them into Python objects and exceptions and
//! releases the GIL while the engine runs (batches in parallel on rayon).
//! Arrow and pandas tables are built in Python (`src/python/kgrep/__init__.py`).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxrdf::TermRef;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::corpus::{Source, extract_in_order};
use crate::diagnostic::{Diagnostic as RuleDiagnostic, Severity};
use crate::extract::{Document, Extractor, Fact as EngineFact, Mention as EngineMention};
use crate::rules::{self, Loaded};
use crate::serialize::{FactWriter, Format};
use crate::source::{FileSystem, SourceLoader, SourceMap};

pyo3::create_exception!(
    kgrep,
    KgrepError,
    PyException,
    "Base class of the errors kgrep raises."
);
pyo3::create_exception!(
    kgrep,
    RuleError,
    KgrepError,
    "The rules have errors: `diagnostics` lists them, `str()` shows them as `kgrep check` does."
);

/// A problem in a rule file, located.
#[pyclass(frozen, module = "kgrep", get_all)]
#[derive(Clone)]
struct Diagnostic {
    /// `"error"` or `"warning"`.
    severity: &'static str,
    /// A stable code, e.g. `unknown-prefix`.
    code: &'static str,
    message: String,
    /// The file, as named to `load` (or the name given to `from_string`).
    file: String,
    /// 1-based line and column (in characters) of the start.
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    /// What the caret points at.
    label: String,
    hints: Vec<String>,
    /// The text `kgrep check` prints: location, source line, caret, hints.
    rendered: String,
}

#[pymethods]
impl Diagnostic {
    fn __str__(&self) -> &str {
        &self.rendered
    }

    fn __repr__(&self) -> String {
        format!(
            "<Diagnostic {}[{}] {}:{}:{}: {}>",
            self.severity, self.code, self.file, self.line, self.column, self.message
        )
    }
}

impl Diagnostic {
    fn new(diagnostic: &RuleDiagnostic, sources: &SourceMap) -> Self {
        let file = sources.file(diagnostic.primary.file);
        let start = file.line_col(diagnostic.primary.span.start);
        let end = file.line_col(diagnostic.primary.span.end);
        Diagnostic {
            severity: match diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            code: diagnostic.code,
            message: diagnostic.message.clone(),
            file: file.name.clone(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
            label: diagnostic.primary.message.clone(),
            hints: diagnostic.hints.clone(),
            rendered: diagnostic.render(sources, false),
        }
    }
}

/// An RDF term, as SPARQL JSON results describe one.
#[pyclass(frozen, eq, hash, module = "kgrep", get_all)]
#[derive(Clone, PartialEq, Eq, Hash)]
struct Term {
    /// `"uri"`, `"literal"` or `"bnode"`.
    kind: &'static str,
    value: String,
    /// A literal's datatype IRI (`None` for plain strings and language-tagged text).
    datatype: Option<String>,
    language: Option<String>,
    /// The N-Triples form.
    ntriples: String,
}

#[pymethods]
impl Term {
    fn __str__(&self) -> &str {
        &self.ntriples
    }

    fn __repr__(&self) -> String {
        format!("<Term {}>", self.ntriples)
    }
}

impl Term {
    fn new(term: TermRef<'_>) -> Self {
        let parts = crate::serialize::JsonTerm::new(term);
        Term {
            kind: parts.kind,
            value: parts.value.to_owned(),
            datatype: parts.datatype.map(str::to_owned),
            language: parts.language.map(str::to_owned),
            ntriples: term.to_string(),
        }
    }
}

/// What one capture of a match holds.
#[pyclass(frozen, module = "kgrep", get_all)]
#[derive(Clone)]
struct Mention {
    /// The capture's name, without `$`.
    capture: String,
    /// The entity type or lexicon it is typed by (`None` for text).
    #[pyo3(name = "type")]
    kind: Option<String>,
    /// Whether `type` is an entity type.
    is_entity: bool,
    /// Character offsets into the original text.
    start: usize,
    end: usize,
    text: String,
    /// The IRI it stands for (an entity's node, a lexicon entry's IRI).
    iri: Option<String>,
}

#[pymethods]
impl Mention {
    fn __repr__(&self) -> String {
        format!(
            "<Mention ${} {:?} [{}:{}]>",
            self.capture, self.text, self.start, self.end
        )
    }
}

impl From<&EngineMention> for Mention {
    fn from(mention: &EngineMention) -> Self {
        Mention {
            capture: mention.capture.to_string(),
            kind: mention.kind.as_deref().map(str::to_owned),
            is_entity: mention.is_entity,
            start: mention.start,
            end: mention.end,
            text: mention.text.clone(),
            iri: mention.iri.as_ref().map(|iri| iri.as_str().to_owned()),
        }
    }
}

/// A triple and where it came from.
#[pyclass(frozen, module = "kgrep", get_all)]
struct Fact {
    subject: Term,
    predicate: Term,
    object: Term,
    /// The document's IRI (`urn:kgrep:doc:` + its id).
    document: String,
    /// The rule that made it.
    rule: String,
    /// The sentence, counted from 0 in the document.
    sentence: usize,
    /// Character offsets of the match in the original text.
    start: usize,
    end: usize,
    /// The matched text and its sentence, as in the original.
    text: String,
    sentence_text: String,
    /// The sentence's first character in the original text.
    sentence_start: usize,
    mentions: Vec<Mention>,
}

#[pymethods]
impl Fact {
    /// The triple in N-Triples (with the final ` .`).
    #[getter]
    fn ntriples(&self) -> String {
        format!(
            "{} {} {} .",
            self.subject.ntriples, self.predicate.ntriples, self.object.ntriples
        )
    }

    fn __repr__(&self) -> String {
        format!("<Fact {} (rule {})>", self.ntriples(), self.rule)
    }
}

impl Fact {
    fn new(document: &str, fact: &EngineFact) -> Self {
        let provenance = &fact.provenance;
        Fact {
            subject: Term::new(crate::serialize::subject_ref(&fact.triple)),
            predicate: Term::new(fact.triple.predicate.as_ref().into()),
            object: Term::new(fact.triple.object.as_ref()),
            document: document.to_owned(),
            rule: provenance.rule.to_string(),
            sentence: provenance.sentence,
            start: provenance.start,
            end: provenance.end,
            text: provenance.text.to_string(),
            sentence_text: provenance.sentence_text.to_string(),
            sentence_start: provenance.sentence_start,
            mentions: provenance.mentions.iter().map(Mention::from).collect(),
        }
    }
}

/// A compiled rule set.
#[pyclass(frozen, module = "kgrep")]
struct Rules {
    extractor: Arc<Extractor>,
    warnings: Vec<Diagnostic>,
}

/// One rule file given as a string; what it includes is read from disk,
/// relative to the directory of `path`.
struct StringFile<'a> {
    path: &'a Path,
    text: &'a str,
}

impl SourceLoader for StringFile<'_> {
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        if path == self.path {
            Ok(path.to_owned())
        } else {
            FileSystem.canonicalize(path)
        }
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        if path == self.path {
            Ok(self.text.to_owned())
        } else {
            FileSystem.read(path)
        }
    }
}

/// Paths from one path or a sequence of them.
fn paths(paths: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    match paths.extract::<PathBuf>() {
        Ok(path) => Ok(vec![path]),
        Err(_) => paths.extract::<Vec<PathBuf>>(),
    }
}

fn read(paths: &[PathBuf], loader: &dyn SourceLoader) -> PyResult<Loaded> {
    rules::load_all(paths, loader).map_err(|error| {
        let message = format!("{error}: {}", error.source);
        PyOSError::new_err((error.source.raw_os_error().unwrap_or(0), message))
    })
}

fn diagnostics(loaded: &Loaded) -> Vec<Diagnostic> {
    loaded
        .diagnostics
        .iter()
        .map(|diagnostic| Diagnostic::new(diagnostic, &loaded.sources))
        .collect()
}

impl Rules {
    fn compile(py: Python<'_>, loaded: Loaded) -> PyResult<Rules> {
        let all = diagnostics(&loaded);
        let Some(rule_set) = loaded.rule_set else {
            let errors: Vec<Diagnostic> =
                all.into_iter().filter(|d| d.severity == "error").collect();
            let text = errors
                .iter()
                .map(|d| d.rendered.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            let error =
                RuleError::new_err(format!("the rules have {} error(s)\n{text}", errors.len()));
            error.value(py).setattr("diagnostics", errors)?;
            return Err(error);
        };
        let extractor = py
            .detach(|| Extractor::new(rule_set))
            .map_err(|error| KgrepError::new_err(error.to_string()))?
            .with_mentions(true);
        Ok(Rules {
            extractor: Arc::new(extractor),
            warnings: all,
        })
    }

    /// Runs `documents` (id, text) in parallel without the GIL, in order.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        documents: Vec<(String, String)>,
        year: Option<i32>,
        threads: Option<usize>,
        each: impl Fn(&str, &Document, &[EngineFact]) -> T + Sync,
    ) -> PyResult<Vec<T>> {
        let sources: Vec<Source> = documents
            .into_iter()
            .map(|(id, text)| Source {
                path: PathBuf::from(&id),
                name: id,
                text: Some(text.into()),
            })
            .collect();
        let extractor = &self.extractor;
        let work = || -> PyResult<Vec<T>> {
            let mut out = Vec::with_capacity(sources.len());
            extract_in_order(extractor, &sources, false, year, |source, result| {
                let (document, extraction) =
                    result.map_err(|error| KgrepError::new_err(error.to_string()))?;
                out.push(each(&source.name, &document, &extraction.facts));
                Ok::<_, PyErr>(true)
            })?;
            Ok(out)
        };
        py.detach(|| match threads {
            None | Some(0) => work(),
            Some(threads) => rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|error| KgrepError::new_err(error.to_string()))?
                .install(work),
        })
    }
}

/// Documents from a sequence of texts (ids "0", "1", …) or of `(id, text)` pairs.
fn documents(documents: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (index, item) in documents.try_iter()?.enumerate() {
        let item = item?;
        if let Ok(text) = item.extract::<String>() {
            out.push((index.to_string(), text));
        } else if let Ok(pair) = item.cast::<PyTuple>() {
            let (id, text): (Bound<'_, PyAny>, String) = pair.extract()?;
            let id = match id.extract::<String>() {
                Ok(id) => id,
                Err(_) => id.str()?.to_string(),
            };
            out.push((id, text));
        } else {
            return Err(PyValueError::new_err(format!(
                "document {index}: expected a text or an (id, text) pair, not {}",
                item.get_type().name()?
            )));
        }
    }
    Ok(out)
}

fn facts(_: &str, document: &Document, facts: &[EngineFact]) -> Vec<Fact> {
    facts
        .iter()
        .map(|fact| Fact::new(document.iri.as_str(), fact))
        .collect()
}

#[pymethods]
impl Rules {
    /// Loads and compiles rule files (one path or several, as one rule set).
    /// Raises `RuleError` when they have errors, `OSError` when unreadable.
    #[staticmethod]
    fn load(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Rules> {
        let paths = paths(path)?;
        let loaded = py.detach(|| read(&paths, &FileSystem))?;
        Rules::compile(py, loaded)
    }

    /// Compiles rules given as text; `name` is the file name diagnostics cite
    /// and the place `include`s are resolved from.
    #[staticmethod]
    #[pyo3(signature = (source, name = "<string>.kgr"))]
    fn from_string(py: Python<'_>, source: &str, name: &str) -> PyResult<Rules> {
        let path = PathBuf::from(name);
        let loader = StringFile {
            path: &path,
            text: source,
        };
        let loaded = read(std::slice::from_ref(&path), &loader)?;
        Rules::compile(py, loaded)
    }

    /// The warnings loading gave (the rules have no errors, or this would not exist).
    #[getter]
    fn diagnostics(&self) -> Vec<Diagnostic> {
        self.warnings.clone()
    }

    /// The prefixes the rule files declare, prefix → namespace.
    #[getter]
    fn prefixes(&self) -> Vec<(String, String)> {
        self.extractor.rules().prefixes.clone()
    }

    /// The names of the rules.
    #[getter]
    fn rule_names(&self) -> Vec<String> {
        let rules = &self.extractor.rules().rules;
        rules.iter().map(|rule| rule.name.clone()).collect()
    }

    /// The facts in one text, in document order. `document` names it (its IRI
    /// is `urn:kgrep:doc:` + the name); `year` is the year of dates written
    /// without one (found in the text when not given).
    #[pyo3(signature = (text, document = "text", year = None))]
    fn extract(
        &self,
        py: Python<'_>,
        text: String,
        document: &str,
        year: Option<i32>,
    ) -> PyResult<Vec<Fact>> {
        let mut results = self.run(py, vec![(document.to_owned(), text)], year, None, facts)?;
        Ok(results.pop().unwrap_or_default())
    }

    /// The facts of many texts (or `(id, text)` pairs), one list per text, in
    /// order; extracted in parallel on `threads` threads (default: one per core).
    #[pyo3(signature = (documents, year = None, threads = None))]
    fn extract_batch(
        &self,
        py: Python<'_>,
        documents: &Bound<'_, PyAny>,
        year: Option<i32>,
        threads: Option<usize>,
    ) -> PyResult<Vec<Vec<Fact>>> {
        let documents = self::documents(documents)?;
        self.run(py, documents, year, threads, facts)
    }

    /// Each document's facts as text, exactly as `kgrep extract -f FORMAT`
    /// writes them: `"nquads"` (the store's layout; `provenance=True` adds the
    /// matches and sentences, as `--provenance`), `"ntriples"` or `"jsonl"`.
    #[pyo3(signature = (documents, format = "nquads", provenance = false, year = None, threads = None))]
    fn serialize(
        &self,
        py: Python<'_>,
        documents: &Bound<'_, PyAny>,
        format: &str,
        provenance: bool,
        year: Option<i32>,
        threads: Option<usize>,
    ) -> PyResult<Vec<String>> {
        let format = match format {
            "nquads" => Format::NQuads,
            "ntriples" => Format::NTriples,
            "jsonl" => Format::JsonLines,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown format {other:?}: use \"nquads\", \"ntriples\" or \"jsonl\""
                )));
            }
        };
        if provenance && format != Format::NQuads {
            return Err(PyValueError::new_err(
                "provenance=True needs format=\"nquads\" (JSON lines always carry it)",
            ));
        }
        let documents = self::documents(documents)?;
        let ids: Vec<String> = documents.iter().map(|(id, _)| id.clone()).collect();
        let written = self.run(py, documents, year, threads, |id, document, facts| {
            let mut writer = FactWriter::new(Vec::new(), format, provenance, &[])?;
            writer.write_document(&document.iri, id, facts)?;
            writer.finish()
        })?;
        written
            .into_iter()
            .zip(ids)
            .map(|(bytes, id)| {
                let bytes = bytes.map_err(|error| KgrepError::new_err(format!("{id}: {error}")))?;
                String::from_utf8(bytes).map_err(|error| KgrepError::new_err(error.to_string()))
            })
            .collect()
    }

    fn __repr__(&self) -> String {
        format!("<Rules: {} rules>", self.extractor.rules().rules.len())
    }
}

/// Checks rule files without compiling them: every diagnostic, errors and
/// warnings, as objects (`str()` of each is what `kgrep check` prints).
#[pyfunction]
fn check(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Vec<Diagnostic>> {
    let paths = paths(path)?;
    let loaded = py.detach(|| read(&paths, &FileSystem))?;
    Ok(diagnostics(&loaded))
}

/// The IRI of the document named `name`, as extraction mints it.
#[pyfunction]
fn document_iri(name: &str) -> String {
    crate::extract::document_iri(name).as_str().to_owned()
}

#[pymodule]
fn _kgrep(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("KgrepError", py.get_type::<KgrepError>())?;
    module.add("RuleError", py.get_type::<RuleError>())?;
    module.add_class::<Rules>()?;
    module.add_class::<Fact>()?;
    module.add_class::<Term>()?;
    module.add_class::<Mention>()?;
    module.add_class::<Diagnostic>()?;
    module.add_function(wrap_pyfunction!(check, module)?)?;
    module.add_function(wrap_pyfunction!(document_iri, module)?)?;
    Ok(())
}
