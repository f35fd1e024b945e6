//! The REPL: SPARQL and dot-commands over a store, interactively (rustyline:
//! history, multi-line input, completion, highlighting, Ctrl-C cancels a
//! running query) or from piped standard input.

mod commands;
mod helper;
mod statement;

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use oxigraph::sparql::CancellationToken;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};

use commands::Command;
pub use statement::split_script;

use crate::ui::Output;
use crate::ui::graph::{GraphCommand, Measure, analyse};
use crate::ui::results::{ResultFormat, syntax_diagnostic, write_results};
use crate::ui::rules::{load_rules, shorten};
use kgrep::extract::{Extractor, KGREP_NS};
use kgrep::graph::EntityGraph;
use kgrep::store::ingest::{Ingest, extract_into};
use kgrep::store::{GraphStore, StoreDir, StoreError};

/// A REPL session: the store, the rules, the settings.
pub struct Session {
    store: GraphStore,
    /// The on-disk store, when there is one: each write publishes a new
    /// state, and each statement reads the latest published one.
    dir: Option<StoreDir>,
    generation: u64,
    read_only: bool,
    prefixes: Vec<(String, String)>,
    rule_files: Vec<PathBuf>,
    extractor: Option<Extractor>,
    loaded: Vec<PathBuf>,
    mode: ResultFormat,
    timer: bool,
    max_rows: Option<usize>,
    redirect: Option<(PathBuf, File)>,
    graph: Option<EntityGraph>,
    running: Arc<Mutex<Option<CancellationToken>>>,
    /// Cancels the statement running now (Ctrl-C): queries and dot-commands alike.
    current: CancellationToken,
    /// How many `.read`s are running inside each other.
    reading: usize,
    output: Output,
}

/// What happened to one statement.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Go on.
    Continue,
    /// `.quit`.
    Quit,
}

impl Session {
    /// A session on `store`; `rule_files` are compiled for `.load` and `.try`.
    pub fn new(store: GraphStore, rule_files: Vec<PathBuf>, output: Output) -> Result<Session> {
        let mut prefixes = store.prefixes()?;
        let extractor = if rule_files.is_empty() {
            None
        } else {
            let (extractor, _) = load_rules(&rule_files, &output, true)?;
            for pair in &extractor.rules().prefixes {
                if !prefixes.contains(pair) {
                    prefixes.push(pair.clone());
                }
            }
            Some(extractor)
        };
        if !prefixes.iter().any(|(p, _)| p == "kgrep") {
            prefixes.push(("kgrep".into(), KGREP_NS.into()));
        }
        let mode = if std::io::stdout().is_terminal() {
            ResultFormat::Table
        } else {
            ResultFormat::Table
        };
        Ok(Session {
            store,
            dir: None,
            generation: 0,
            read_only: false,
            prefixes,
            rule_files,
            extractor,
            loaded: Vec::new(),
            mode,
            timer: false,
            max_rows: Some(100),
            redirect: None,
            graph: None,
            running: Arc::new(Mutex::new(None)),
            current: CancellationToken::new(),
            reading: 0,
            output,
        })
    }

    /// Reads (and, unless `read_only`, writes) the on-disk store `dir`;
    /// `self`'s store must be `dir`'s reader.
    pub fn with_dir(mut self, dir: StoreDir, read_only: bool) -> Result<Session> {
        self.generation = dir.generation()?;
        self.dir = Some(dir);
        self.read_only = read_only;
        Ok(self)
    }

    /// Runs `change` on a writable store: in memory, the store itself; on
    /// disk, a writer's copy, published when `change` succeeds (a second
    /// writer meanwhile gets "locked"; readers go on reading).
    fn change<T>(&mut self, change: impl FnOnce(&GraphStore) -> Result<T>) -> Result<T> {
        if self.read_only {
            bail!("the store is open read-only (kgrep repl --read-only)");
        }
        self.graph = None;
        let Some(dir) = &self.dir else {
            return change(&self.store);
        };
        let writer = dir.write()?;
        let value = change(writer.store())?;
        writer.commit()?;
        self.store = dir.reader()?;
        self.generation = dir.generation()?;
        Ok(value)
    }

    /// Reads the latest published state of an on-disk store.
    fn refresh(&mut self) -> Result<()> {
        if let Some(dir) = &self.dir {
            if dir.generation()? != self.generation {
                self.store = dir.reader()?;
                self.generation = dir.generation()?;
                self.graph = None;
            }
        }
        Ok(())
    }

    /// Loads documents with the current rules (for `kgrep repl -r RULES --docs DOCS`).
    pub fn load(&mut self, documents: &[PathBuf]) -> Result<()> {
        let sources = crate::ui::documents::collect_sources(documents)?;
        let extractor = self
            .extractor
            .take()
            .context("no rules: use .rules FILE first")?;
        let progress = crate::ui::documents::progress_bar(sources.len(), false, "documents");
        let cancel = self.current.clone();
        // Streamed into the store as extracted; Ctrl-C stops it, and then
        // nothing is published.
        let result = self.change(|store| {
            let mut ingest = Ingest::new(store, true)?;
            let (mut loaded, mut facts) = (0, 0);
            extract_into(
                &mut ingest,
                &extractor,
                &sources,
                (false, None),
                None,
                |_, result| {
                    if cancel.is_cancelled() {
                        return Err(StoreError::Cancelled.into());
                    }
                    let (extraction, _) = result?;
                    progress.inc(1);
                    loaded += 1;
                    facts += extraction.facts.len();
                    Ok::<_, anyhow::Error>(true)
                },
            )?;
            Ok((ingest.finish()?, loaded, facts))
        });
        self.extractor = Some(extractor);
        progress.finish_and_clear();
        let (stats, loaded, facts) = result?;
        self.say(&format!(
            "loaded {loaded} documents ({} new, {} replaced): {facts} facts ({} quads)",
            stats.new, stats.replaced, stats.quads
        ));
        for document in documents {
            if !self.loaded.contains(document) {
                self.loaded.push(document.clone());
            }
        }
        self.graph = None;
        Ok(())
    }

    /// Runs one statement or dot-command.
    pub fn execute(&mut self, statement: &str) -> Result<Step> {
        let statement = statement.trim();
        if statement.is_empty() {
            return Ok(Step::Continue);
        }
        let started = Instant::now();
        self.refresh()?;
        self.current = CancellationToken::new();
        *self.running.lock().expect("lock") = Some(self.current.clone());
        let step = if let Some(command) = statement.strip_prefix('.') {
            self.command(command)
        } else {
            self.sparql(statement).map(|()| Step::Continue)
        };
        *self.running.lock().expect("lock") = None;
        let step = step.map_err(|error| {
            let cancelled = error
                .downcast_ref::<StoreError>()
                .is_some_and(StoreError::is_cancelled)
                || error
                    .downcast_ref::<oxigraph::sparql::QueryEvaluationError>()
                    .is_some_and(kgrep::store::is_cancelled);
            if cancelled {
                anyhow!("query cancelled")
            } else {
                error
            }
        })?;
        if self.timer {
            self.say(&format!("time: {:.3}s", started.elapsed().as_secs_f64()));
        }
        Ok(step)
    }

    fn sparql(&mut self, text: &str) -> Result<()> {
        if looks_like_update(text) {
            let prefixes = self.prefixes.clone();
            let result = self.change(|store| match store.update(text, &prefixes) {
                Ok(()) => Ok(Ok(())),
                Err(StoreError::Syntax(error)) => Ok(Err(error)),
                Err(error) => Err(error.into()),
            })?;
            return match result {
                Ok(()) => {
                    self.say("ok");
                    Ok(())
                }
                Err(error) => self.syntax_error(text, &error),
            };
        }
        let token = self.current.clone();
        let result = (|| -> Result<usize> {
            let results = match self.store.query(text, &self.prefixes, token) {
                Ok(results) => results,
                Err(StoreError::Syntax(error)) => {
                    self.syntax_error(text, &error)?;
                    return Err(anyhow!(Reported));
                }
                Err(error) => return Err(error.into()),
            };
            let mut buffer = Vec::new();
            let count = write_results(
                results,
                self.mode,
                &self.prefixes,
                self.max_rows.filter(|_| self.mode == ResultFormat::Table),
                &mut buffer,
            )?;
            self.write(&buffer)?;
            Ok(count)
        })();
        match result {
            Ok(_) => Ok(()),
            Err(error) if error.is::<Reported>() => Err(error),
            Err(error)
                if error
                    .downcast_ref::<oxigraph::sparql::QueryEvaluationError>()
                    .is_some_and(kgrep::store::is_cancelled) =>
            {
                Err(anyhow!("query cancelled"))
            }
            Err(error) => Err(error),
        }
    }

    fn syntax_error(&self, text: &str, error: &dyn std::fmt::Display) -> Result<()> {
        let (diagnostic, sources) = syntax_diagnostic(text, "<statement>", error);
        let diagnostic = crate::ui::results::sparql_hints(
            diagnostic,
            text,
            &error.to_string(),
            &self.prefixes,
            false,
        );
        self.output.diagnostic(&diagnostic, &sources);
        Err(anyhow!(Reported))
    }

    fn command(&mut self, line: &str) -> Result<Step> {
        let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        let args: Vec<&str> = rest.split_whitespace().collect();
        let Some(info) = commands::find(name) else {
            let hint = commands::nearest(name)
                .map(|n| format!("; did you mean `.{n}`?"))
                .unwrap_or_default();
            bail!("unknown command `.{name}`{hint} (.help lists them)");
        };
        match info.command {
            Command::Quit => return Ok(Step::Quit),
            Command::Help => self.help(args.first().copied()),
            Command::Mode => {
                self.mode = match args.first().copied() {
                    Some("table") => ResultFormat::Table,
                    Some("csv") => ResultFormat::Csv,
                    Some("tsv") => ResultFormat::Tsv,
                    Some("json") => ResultFormat::Json,
                    Some("xml") => ResultFormat::Xml,
                    Some("turtle") => ResultFormat::Turtle,
                    Some("ntriples") => ResultFormat::Ntriples,
                    other => bail!(
                        "usage: .mode table|csv|tsv|json|xml|turtle|ntriples (got {})",
                        other.unwrap_or("nothing")
                    ),
                };
            }
            Command::Timer => {
                self.timer = match args.first().copied() {
                    Some("on") => true,
                    Some("off") => false,
                    _ => bail!("usage: .timer on|off"),
                };
            }
            Command::MaxRows => {
                let n: usize = args
                    .first()
                    .and_then(|n| n.parse().ok())
                    .context("usage: .maxrows N")?;
                self.max_rows = (n > 0).then_some(n);
            }
            Command::Output => {
                self.redirect = match args.first() {
                    None => None,
                    Some(path) => {
                        let file =
                            File::create(path).with_context(|| format!("cannot write `{path}`"))?;
                        Some((PathBuf::from(path), file))
                    }
                };
            }
            Command::Read => {
                let path = args.first().context("usage: .read FILE")?;
                if self.reading >= MAX_READ_DEPTH {
                    bail!(
                        "`.read {path}`: scripts read scripts more than {MAX_READ_DEPTH} deep (does a file read itself?)"
                    );
                }
                let script = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read `{path}`"))?;
                // Like piped input: an error is reported and the script goes
                // on; `.read` itself then fails, so `--bail` still stops.
                self.reading += 1;
                let (mut step, mut failed) = (Step::Continue, 0);
                for statement in split_script(&script) {
                    match self.execute(&statement) {
                        Ok(Step::Continue) => {}
                        Ok(Step::Quit) => {
                            step = Step::Quit;
                            break;
                        }
                        Err(error) => {
                            failed += 1;
                            if !error.is::<Reported>() {
                                self.output.error(&format!("{path}: {error:#}"));
                            }
                        }
                    }
                }
                self.reading -= 1;
                if failed > 0 {
                    self.output
                        .error(&format!("`{path}`: {failed} statement(s) failed"));
                    return Err(anyhow!(Reported));
                }
                if step == Step::Quit {
                    return Ok(Step::Quit);
                }
            }
            Command::Prefix => {
                let (prefix, iri) = rest
                    .split_once(':')
                    .context("usage: .prefix p: <http://example.org/>")?;
                let iri = iri.trim().trim_start_matches('<').trim_end_matches('>');
                oxigraph::model::NamedNode::new(iri)
                    .with_context(|| format!("`{iri}` is not an IRI"))?;
                self.prefixes.retain(|(p, _)| p != prefix.trim());
                self.prefixes
                    .push((prefix.trim().to_owned(), iri.to_owned()));
            }
            Command::Prefixes => {
                let lines: String = self
                    .prefixes
                    .iter()
                    .map(|(p, iri)| format!("{p}: <{iri}>\n"))
                    .collect();
                self.write(lines.as_bytes())?;
            }
            Command::Rules => {
                if args.is_empty() {
                    bail!("usage: .rules FILE...");
                }
                self.rule_files = args.iter().map(PathBuf::from).collect();
                self.reload()?;
            }
            Command::Reload => self.reload()?,
            Command::Load => {
                if args.is_empty() {
                    bail!("usage: .load DOC...");
                }
                let documents: Vec<PathBuf> = args.iter().map(PathBuf::from).collect();
                self.load(&documents)?;
            }
            Command::Try => {
                let extractor = self
                    .extractor
                    .as_ref()
                    .context("no rules: use .rules FILE first")?;
                let text = crate::ui::explain::explain(extractor, rest, None);
                self.write(text.as_bytes())?;
            }
            Command::Why => self.why(rest)?,
            Command::Stats => self.stats()?,
            Command::Graphs => self.graphs()?,
            Command::Export => {
                let path = args
                    .first()
                    .context("usage: .export FILE [turtle|ntriples|nquads|trig|rdfxml|jsonld]")?;
                let format = match args.get(1).copied().or_else(|| path.rsplit('.').next()) {
                    Some("ttl" | "turtle") => oxigraph::io::RdfFormat::Turtle,
                    Some("nt" | "ntriples") => oxigraph::io::RdfFormat::NTriples,
                    Some("nq" | "nquads") => oxigraph::io::RdfFormat::NQuads,
                    Some("trig") => oxigraph::io::RdfFormat::TriG,
                    Some("rdf" | "rdfxml") => oxigraph::io::RdfFormat::RdfXml,
                    Some("jsonld") => oxigraph::io::RdfFormat::JsonLd {
                        profile: Default::default(),
                    },
                    other => bail!("unknown format `{}`", other.unwrap_or("")),
                };
                let file = std::io::BufWriter::new(
                    File::create(path).with_context(|| format!("cannot write `{path}`"))?,
                );
                let (count, mut file) =
                    self.store
                        .export(format, None, true, &self.prefixes, file, &self.current)?;
                file.flush()?;
                self.say(&format!("exported {count} statements to `{path}`"));
            }
            Command::Path
            | Command::Neighbors
            | Command::Components
            | Command::Rank
            | Command::Dot => {
                let command = graph_command(name, &args)?;
                if self.graph.is_none() {
                    self.graph = Some(EntityGraph::from_triples(
                        self.store.facts_until(&self.current)?,
                    ));
                }
                let mut buffer = Vec::new();
                let graph = self.graph.take().expect("graph");
                let (prefixes, output) = (self.prefixes.clone(), self.output.clone());
                let saves = matches!(command, GraphCommand::Rank { save: true, .. });
                let result = if saves {
                    self.change(|store| {
                        analyse(store, &graph, &prefixes, &command, &output, &mut buffer)
                    })
                } else {
                    analyse(
                        &self.store,
                        &graph,
                        &prefixes,
                        &command,
                        &output,
                        &mut buffer,
                    )
                };
                if !saves {
                    self.graph = Some(graph);
                }
                result?;
                self.write(&buffer)?;
            }
        }
        Ok(Step::Continue)
    }

    fn help(&mut self, command: Option<&str>) {
        let text = match command.map(|c| c.trim_start_matches('.')) {
            Some(name) => match commands::find(name) {
                Some(info) => format!(".{} {}\n    {}\n", info.name, info.usage, info.help),
                None => format!("no command `.{name}`\n"),
            },
            None => {
                let mut text = String::from(
                    "Type SPARQL (a statement ends when it is complete; `;` does not end it), or:\n",
                );
                for info in commands::COMMANDS {
                    text.push_str(&format!(
                        "  .{:<11} {:<38} {}\n",
                        info.name, info.usage, info.help
                    ));
                }
                text
            }
        };
        let _ = self.write(text.as_bytes());
    }

    fn reload(&mut self) -> Result<()> {
        if self.rule_files.is_empty() {
            bail!("no rule files: use .rules FILE...");
        }
        let before: Vec<String> = self
            .extractor
            .as_ref()
            .map(|e| e.rules().rules.iter().map(|r| r.name.clone()).collect())
            .unwrap_or_default();
        let per_rule_before = self.facts_per_rule()?;
        let (extractor, _) = load_rules(&self.rule_files, &self.output, true)?;
        let after: Vec<String> = extractor
            .rules()
            .rules
            .iter()
            .map(|r| r.name.clone())
            .collect();
        for pair in &extractor.rules().prefixes {
            if !self.prefixes.contains(pair) {
                self.prefixes.push(pair.clone());
            }
        }
        self.extractor = Some(extractor);
        let added: Vec<&String> = after.iter().filter(|r| !before.contains(r)).collect();
        let removed: Vec<&String> = before.iter().filter(|r| !after.contains(r)).collect();
        self.say(&format!(
            "{} rules; added: {}; removed: {}",
            after.len(),
            list(&added),
            list(&removed)
        ));
        if !self.loaded.is_empty() {
            let documents = self.loaded.clone();
            self.load(&documents)?;
            let per_rule_after = self.facts_per_rule()?;
            let mut names: Vec<&String> = per_rule_before
                .keys()
                .chain(per_rule_after.keys())
                .collect();
            names.sort();
            names.dedup();
            for name in names {
                let (old, new) = (
                    per_rule_before.get(name).copied().unwrap_or(0),
                    per_rule_after.get(name).copied().unwrap_or(0),
                );
                if old != new {
                    self.say(&format!(
                        "  rule {name}: {old} → {new} facts ({:+})",
                        new as i64 - old as i64
                    ));
                }
            }
        }
        Ok(())
    }

    fn facts_per_rule(&self) -> Result<std::collections::BTreeMap<String, usize>> {
        let query = "SELECT ?rule (COUNT(*) AS ?n) WHERE { GRAPH ?d { ?m kgrep:rule ?rule } GRAPH ?m { ?s ?p ?o } } GROUP BY ?rule";
        let mut counts = std::collections::BTreeMap::new();
        if let oxigraph::sparql::QueryResults::Solutions(solutions) =
            self.store
                .query(query, &self.prefixes, self.current.clone())?
        {
            for solution in solutions {
                let solution = solution?;
                if let (
                    Some(oxigraph::model::Term::Literal(rule)),
                    Some(oxigraph::model::Term::Literal(n)),
                ) = (solution.get("rule"), solution.get("n"))
                {
                    counts.insert(rule.value().to_owned(), n.value().parse().unwrap_or(0));
                }
            }
        }
        Ok(counts)
    }

    fn why(&mut self, term: &str) -> Result<()> {
        if term.is_empty() {
            bail!("usage: .why TERM (an IRI, a prefixed name or a label)");
        }
        // Looked up in the store's indexes: no projection of the whole graph.
        let iri = self.store.find_entity(term, &self.prefixes)?.into_string();
        let query = format!(
            "SELECT ?s ?p ?o ?document ?sentence ?rule ?text ?start ?end ?whole ?from WHERE {{ \
             {{ GRAPH ?m {{ <{iri}> ?p ?o }} BIND(<{iri}> AS ?s) }} UNION {{ GRAPH ?m {{ ?s ?p <{iri}> }} BIND(<{iri}> AS ?o) }} \
             GRAPH ?document {{ ?m kgrep:rule ?rule ; kgrep:text ?text ; kgrep:start ?start ; kgrep:end ?end ; kgrep:sentence ?n . \
             ?n kgrep:index ?sentence ; kgrep:text ?whole ; kgrep:start ?from }} }} ORDER BY ?document ?sentence ?start ?s ?p ?o"
        );
        let mut text = String::new();
        if let oxigraph::sparql::QueryResults::Solutions(solutions) =
            self.store
                .query(&query, &self.prefixes, self.current.clone())?
        {
            for solution in solutions {
                let solution = solution?;
                let show = |name: &str| {
                    solution.get(name).map_or(String::new(), |t| {
                        crate::ui::results::show(t, &self.prefixes)
                    })
                };
                let number = |name: &str| show(name).parse::<usize>().ok();
                let marked = match (number("start"), number("end"), number("from")) {
                    (Some(start), Some(end), Some(from)) if start >= from => {
                        let chars: Vec<char> = show("whole").chars().collect();
                        let (a, b) = (
                            (start - from).min(chars.len()),
                            (end - from).min(chars.len()),
                        );
                        let piece =
                            |range: std::ops::Range<usize>| chars[range].iter().collect::<String>();
                        format!(
                            "{}【{}】{}",
                            piece(0..a),
                            piece(a..b),
                            piece(b..chars.len())
                        )
                    }
                    _ => format!("【{}】", show("text")),
                };
                text.push_str(&format!(
                    "{} {} {}\n    {}, sentence {}, rule {}: {marked}\n",
                    show("s"),
                    show("p"),
                    show("o"),
                    show("document"),
                    show("sentence"),
                    show("rule")
                ));
            }
        }
        if text.is_empty() {
            text = format!(
                "no provenance for {} (was the store built with --no-provenance?)\n",
                shorten(&format!("<{iri}>"), &self.prefixes)
            );
        }
        self.write(text.as_bytes())
    }

    fn stats(&mut self) -> Result<()> {
        let documents = self.store.documents()?.len();
        let facts = self.store.fact_count()?;
        let mut text = format!(
            "{facts} facts (distinct triples in the default graph) from {documents} documents\n"
        );
        for (title, query) in [
            (
                "entities per class",
                "SELECT ?class (COUNT(DISTINCT ?e) AS ?entities) WHERE { ?e a ?class } GROUP BY ?class ORDER BY DESC(?entities)",
            ),
            (
                "matches per rule",
                "SELECT ?rule (COUNT(?m) AS ?matches) WHERE { GRAPH ?d { ?m kgrep:rule ?rule } } GROUP BY ?rule ORDER BY DESC(?matches)",
            ),
        ] {
            text.push_str(&format!("{title}:\n"));
            text.push_str(&String::from_utf8_lossy(&self.table(query)?));
        }
        self.write(text.as_bytes())
    }

    fn graphs(&mut self) -> Result<()> {
        let query = "SELECT ?graph (COUNT(*) AS ?quads) WHERE { GRAPH ?graph { ?s ?p ?o } } GROUP BY ?graph ORDER BY ?graph";
        let table = self.table(query)?;
        self.write(&table)
    }

    /// The results of `query` as a table.
    fn table(&self, query: &str) -> Result<Vec<u8>> {
        let results = self
            .store
            .query(query, &self.prefixes, self.current.clone())?;
        let mut buffer = Vec::new();
        write_results(
            results,
            ResultFormat::Table,
            &self.prefixes,
            None,
            &mut buffer,
        )?;
        Ok(buffer)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match &mut self.redirect {
            Some((_, file)) => file.write_all(bytes)?,
            None => {
                let mut stdout = self.output.stdout();
                stdout.write_all(bytes)?;
                stdout.flush()?;
            }
        }
        Ok(())
    }

    fn say(&self, message: &str) {
        let _ = writeln!(self.output.stderr(), "{message}");
    }
}

/// How deep `.read` may nest (a script that reads itself stops here).
const MAX_READ_DEPTH: usize = 32;

/// The error of a statement that was already reported.
#[derive(Debug, thiserror::Error)]
#[error("(reported)")]
struct Reported;

fn list(names: &[&String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn looks_like_update(text: &str) -> bool {
    let body: String = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    let mut words = body.split_whitespace().peekable();
    // Skip PREFIX p: <iri> and BASE <iri>.
    while let Some(word) = words.peek() {
        if word.eq_ignore_ascii_case("PREFIX") {
            words.next();
            words.next();
            words.next();
        } else if word.eq_ignore_ascii_case("BASE") {
            words.next();
            words.next();
        } else {
            break;
        }
    }
    words.next().is_some_and(|first| {
        [
            "INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH",
        ]
        .iter()
        .any(|k| first.eq_ignore_ascii_case(k))
    })
}

fn graph_command(name: &str, args: &[&str]) -> Result<GraphCommand> {
    Ok(match name {
        "path" => match args {
            [from, to] => GraphCommand::Path {
                from: (*from).to_owned(),
                to: (*to).to_owned(),
                undirected: true,
            },
            _ => bail!("usage: .path A B"),
        },
        "neighbors" => match args {
            [entity] => GraphCommand::Neighbors {
                entity: (*entity).to_owned(),
                k: 1,
                directed: false,
            },
            [entity, k] => GraphCommand::Neighbors {
                entity: (*entity).to_owned(),
                k: k.parse().context("K is a number")?,
                directed: false,
            },
            _ => bail!("usage: .neighbors X [K]"),
        },
        "components" => GraphCommand::Components { top: 10 },
        "rank" => {
            let by = if args.first() == Some(&"degree") {
                Measure::Degree
            } else {
                Measure::Pagerank
            };
            let top = args.iter().find_map(|a| a.parse().ok()).unwrap_or(10);
            GraphCommand::Rank {
                by,
                top,
                class: None,
                save: false,
            }
        }
        _ => {
            let entity = args
                .first()
                .context("usage: .dot X [K] [FILE.svg|FILE.png]")?;
            let k = args.get(1).and_then(|k| k.parse().ok()).unwrap_or(1);
            let file = args
                .iter()
                .find(|a| a.ends_with(".svg") || a.ends_with(".png"))
                .map(PathBuf::from);
            let (svg, png) = match &file {
                Some(f) if f.extension().is_some_and(|e| e == "png") => (None, file.clone()),
                _ => (file.clone(), None),
            };
            GraphCommand::Dot {
                entity: Some((*entity).to_owned()),
                k,
                path: None,
                all: false,
                svg,
                png,
            }
        }
    })
}

/// Runs the REPL: interactive on a terminal, else the statements of
/// standard input in order. With `bail`, the first error ends it (exit 1).
pub fn run(mut session: Session, bail_on_error: bool) -> Result<bool> {
    let running = session.running.clone();
    // Ctrl-C while a query runs cancels it; at the prompt rustyline handles it.
    let _ = ctrlc::set_handler(move || {
        if let Some(token) = running.lock().ok().and_then(|guard| guard.clone()) {
            token.cancel();
        }
    });
    if !std::io::stdin().is_terminal() {
        let mut script = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut script)
            .context("cannot read standard input")?;
        let mut ok = true;
        for statement in split_script(&script) {
            match session.execute(&statement) {
                Ok(Step::Quit) => break,
                Ok(Step::Continue) => {}
                Err(error) => {
                    if !error.is::<Reported>() {
                        session.output.error(&format!("{error:#}"));
                    }
                    ok = false;
                    if bail_on_error {
                        return Ok(false);
                    }
                }
            }
        }
        return Ok(ok);
    }
    let colour = std::env::var_os("NO_COLOR").is_none();
    let config = Config::builder()
        .auto_add_history(true)
        .history_ignore_dups(true)?
        .build();
    let mut editor: Editor<helper::ReplHelper, DefaultHistory> = Editor::with_config(config)?;
    let mut repl_helper = helper::ReplHelper::new(colour);
    repl_helper.prefixes = session.prefixes.iter().map(|(p, _)| p.clone()).collect();
    repl_helper.terms = store_terms(&session);
    editor.set_helper(Some(repl_helper));
    let history = history_file();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    session.say("kgrep repl: SPARQL and .commands (.help); Ctrl-D leaves, Ctrl-C cancels");
    loop {
        match editor.readline("kgrep> ") {
            Ok(line) => match session.execute(&line) {
                Ok(Step::Quit) => break,
                Ok(Step::Continue) => {}
                Err(error) => {
                    if !error.is::<Reported>() {
                        session.output.error(&format!("{error:#}"));
                    }
                }
            },
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(error) => return Err(error.into()),
        }
        if let Some(helper) = editor.helper_mut() {
            helper.prefixes = session.prefixes.iter().map(|(p, _)| p.clone()).collect();
        }
    }
    if let Some(path) = &history {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = editor.save_history(path);
    }
    Ok(true)
}

/// Predicates and classes in the store, prefixed where possible, for completion.
fn store_terms(session: &Session) -> std::collections::BTreeSet<String> {
    let mut terms = std::collections::BTreeSet::new();
    for query in [
        "SELECT DISTINCT ?t WHERE { ?s ?t ?o }",
        "SELECT DISTINCT ?t WHERE { ?s a ?t }",
    ] {
        if let Ok(oxigraph::sparql::QueryResults::Solutions(solutions)) =
            session
                .store
                .query(query, &session.prefixes, CancellationToken::new())
        {
            for solution in solutions.flatten() {
                if let Some(term) = solution.get("t") {
                    terms.insert(shorten(&term.to_string(), &session.prefixes));
                }
            }
        }
    }
    terms
}

/// `$XDG_DATA_HOME/kgrep/history`, else `~/.local/share/kgrep/history`.
fn history_file() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(data.join("kgrep").join("history"))
}
