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
use rustyline::{CompletionType, Config, Editor};

use commands::Command;
pub use statement::split_script;

use crate::ui::Output;
use crate::ui::graph::{GraphCommand, Measure, analyse};
use crate::ui::results::{PrintOptions, ResultFormat, syntax_diagnostic_at, write_results};
use crate::ui::rules::{load_rules, shorten};
use crate::ui::table::{Layout, terminal_width};
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
    /// The rule files' text, for `.try` to quote and locate constraints.
    rule_sources: kgrep::source::SourceMap,
    loaded: Vec<PathBuf>,
    mode: ResultFormat,
    /// One field a line (`.mode line`, `.x`).
    expanded: bool,
    headers: bool,
    /// Long results through `$PAGER` on a terminal.
    pager: bool,
    timer: bool,
    max_rows: Option<usize>,
    redirect: Option<(PathBuf, File)>,
    /// `.once FILE`: the next statement's output goes there.
    once: Option<(PathBuf, File)>,
    /// Where the statement running now came from (`file`, first line), for errors.
    location: Option<(String, usize)>,
    /// Ask before destructive updates (on a terminal, without `--yes`).
    confirm: bool,
    /// The last statement typed, for `.edit`.
    last: String,
    /// The year of dates without one, for `.load` (a build's `--year`).
    year: Option<i32>,
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
        let mut rule_sources = kgrep::source::SourceMap::new();
        let extractor = if rule_files.is_empty() {
            None
        } else {
            let (extractor, sources) = load_rules(&rule_files, &output, true)?;
            rule_sources = sources;
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
        let mode = ResultFormat::Table;
        Ok(Session {
            store,
            dir: None,
            generation: 0,
            read_only: false,
            prefixes,
            rule_files,
            extractor,
            rule_sources,
            loaded: Vec::new(),
            mode,
            expanded: false,
            headers: true,
            pager: true,
            timer: false,
            max_rows: Some(100),
            redirect: None,
            once: None,
            location: None,
            confirm: std::io::stdin().is_terminal(),
            last: String::new(),
            year: None,
            graph: None,
            running: Arc::new(Mutex::new(None)),
            current: CancellationToken::new(),
            reading: 0,
            output,
        })
    }

    /// Runs destructive updates without asking (`kgrep repl --yes`).
    pub fn assume_yes(mut self, yes: bool) -> Session {
        self.confirm &= !yes;
        self
    }

    /// Reads (and, unless `read_only`, writes) the on-disk store `dir`;
    /// `self`'s store must be `dir`'s reader.
    pub fn with_dir(mut self, dir: StoreDir, read_only: bool) -> Result<Session> {
        // A store made by `kgrep build` knows its rules and documents: `.reload`
        // rebuilds it from them unless other rules were given.
        if let (true, Some(recipe)) = (self.rule_files.is_empty(), self.store.recipe()?) {
            self.rule_files = recipe.rules;
            self.loaded = recipe.inputs;
            self.year = recipe.year;
        }
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
        if let Some(dir) = &self.dir
            && dir.generation()? != self.generation
        {
            self.store = dir.reader()?;
            self.generation = dir.generation()?;
            self.graph = None;
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
        let year = self.year;
        // Streamed into the store as extracted; Ctrl-C stops it, and then
        // nothing is published.
        let result = self.change(|store| {
            let mut ingest = Ingest::new(store, true)?;
            let (mut loaded, mut facts) = (0, 0);
            extract_into(
                &mut ingest,
                &extractor,
                &sources,
                (false, year),
                None,
                |_, result| {
                    if cancel.is_cancelled() {
                        return Err(StoreError::Cancelled.into());
                    }
                    let ingested = result?;
                    progress.inc(1);
                    loaded += 1;
                    facts += ingested.facts;
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

    /// Runs one statement or dot-command that came from line `line` of
    /// `source` (a script): errors cite that file and line.
    pub fn execute_at(&mut self, source: &str, line: usize, statement: &str) -> Result<Step> {
        let outer = self.location.replace((source.to_owned(), line));
        let step = self.execute(statement);
        self.location = outer;
        step.map_err(|error| match (&self.location, error.is::<Reported>()) {
            (_, true) => error,
            (_, false) => error.context(format!("{source}:{line}")),
        })
    }

    /// Runs one statement or dot-command.
    pub fn execute(&mut self, statement: &str) -> Result<Step> {
        let statement = statement.trim();
        if statement.is_empty() {
            return Ok(Step::Continue);
        }
        let once = self.once.is_some() && !statement.starts_with(".once");
        let step = self.execute_one(statement);
        if once {
            self.once = None;
        }
        step
    }

    fn execute_one(&mut self, statement: &str) -> Result<Step> {
        // psql's backslash commands (`\x`) are dot-commands here.
        let dotted;
        let statement = match statement.strip_prefix('\\') {
            Some(command) => {
                dotted = format!(".{command}");
                dotted.as_str()
            }
            None => statement,
        };
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
            if let Some(operation) = statement::destructive_operation(text).filter(|_| self.confirm)
                && !self.ask(&format!(
                    "`{operation}` removes data from the store. Run it? [y/N] "
                ))?
            {
                bail!("not run (kgrep repl --yes runs such updates without asking)");
            }
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
            let options = PrintOptions {
                layout: self.layout(),
                max_rows: self.max_rows.filter(|_| self.mode == ResultFormat::Table),
                more_hint: "see .maxrows",
                query: text,
            };
            let count = write_results(results, self.mode, &self.prefixes, &options, &mut buffer)?;
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

    /// Asks a yes/no question on the terminal; only "y" or "yes" is yes.
    fn ask(&self, question: &str) -> Result<bool> {
        let mut stderr = self.output.stderr();
        write!(stderr, "{question}")?;
        stderr.flush()?;
        drop(stderr);
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }

    fn syntax_error(&self, text: &str, error: &dyn std::fmt::Display) -> Result<()> {
        let (name, line) = self
            .location
            .clone()
            .unwrap_or_else(|| ("<statement>".to_owned(), 1));
        let (diagnostic, sources) = syntax_diagnostic_at(text, &name, line, error);
        let diagnostic = crate::ui::results::sparql_hints(
            diagnostic,
            text,
            &error.to_string(),
            &self.prefixes,
            false,
            line,
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
                let Some(mode) = args.first().copied() else {
                    let current = if self.expanded && self.mode == ResultFormat::Table {
                        "line"
                    } else {
                        mode_name(self.mode)
                    };
                    self.write(format!("{current}\n").as_bytes())?;
                    return Ok(Step::Continue);
                };
                let (format, expanded) = match mode {
                    "line" => (ResultFormat::Table, true),
                    other => (
                        MODES
                            .iter()
                            .find(|(name, _)| *name == other)
                            .map(|(_, format)| *format)
                            .with_context(|| {
                                format!("usage: .mode {} (got {other})", commands::MODE_NAMES)
                            })?,
                        false,
                    ),
                };
                self.mode = format;
                self.expanded = expanded;
            }
            Command::Expanded => {
                self.expanded = match args.first().copied() {
                    None => !self.expanded,
                    Some(word) => on_off(word, ".x on|off")?,
                };
                self.say(&format!(
                    "expanded display is {}",
                    if self.expanded { "on" } else { "off" }
                ));
            }
            Command::Headers => {
                self.headers = on_off(args.first().copied().unwrap_or(""), ".headers on|off")?;
            }
            Command::Pager => {
                self.pager = on_off(args.first().copied().unwrap_or(""), ".pager on|off")?;
            }
            Command::Once => {
                let path = args.first().context("usage: .once FILE")?;
                let file = File::create(path).with_context(|| format!("cannot write `{path}`"))?;
                self.once = Some((PathBuf::from(path), file));
            }
            Command::Edit => return self.edit(),
            Command::Schema => {
                for (title, query) in [
                    (
                        "predicates",
                        "SELECT ?predicate (COUNT(*) AS ?facts) WHERE { ?s ?predicate ?o } GROUP BY ?predicate ORDER BY DESC(?facts) ?predicate",
                    ),
                    (
                        "classes",
                        "SELECT ?class (COUNT(DISTINCT ?s) AS ?entities) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?entities) ?class",
                    ),
                ] {
                    let table = self.table(query)?;
                    self.write(format!("{title} (in the default graph, the facts):\n").as_bytes())?;
                    self.write(&table)?;
                }
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
                for (line, statement) in split_script(&script) {
                    match self.execute_at(path, line, &statement) {
                        Ok(Step::Continue) => {}
                        Ok(Step::Quit) => {
                            step = Step::Quit;
                            break;
                        }
                        Err(error) => {
                            failed += 1;
                            if !error.is::<Reported>() {
                                self.output.error(&format!("{error:#}"));
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
                let text = crate::ui::explain::explain(
                    extractor,
                    &self.rule_sources,
                    rest,
                    &crate::ui::explain::Options::default(),
                );
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
                let layout = self.layout();
                let saves = matches!(command, GraphCommand::Rank { save: true, .. });
                let mut run = |store: &GraphStore| {
                    analyse(
                        store,
                        &graph,
                        &prefixes,
                        &command,
                        &output,
                        &layout,
                        &mut buffer,
                    )
                };
                let result = if saves {
                    self.change(run)
                } else {
                    let store = self.store.clone();
                    run(&store)
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

    /// `.edit`: the last statement in `$VISUAL` or `$EDITOR` (else `vi`);
    /// what the editor leaves is run, as `.read` runs a file.
    fn edit(&mut self) -> Result<Step> {
        let path = std::env::temp_dir().join(format!("kgrep-edit-{}.rq", std::process::id()));
        std::fs::write(&path, format!("{}\n", self.last))
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        let editor = std::env::var("VISUAL")
            .or_else(|_| std::env::var("EDITOR"))
            .unwrap_or_else(|_| "vi".to_owned());
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&path)
            .status()
            .with_context(|| format!("cannot run the editor `{editor}`"))?;
        let script = std::fs::read_to_string(&path);
        let _ = std::fs::remove_file(&path);
        if !status.success() {
            bail!("the editor `{editor}` failed ({status}); nothing was run");
        }
        let script = script.context("cannot read what the editor wrote")?;
        let mut step = Step::Continue;
        for (_, statement) in split_script(&script) {
            self.last = statement.clone();
            if self.execute(&statement)? == Step::Quit {
                step = Step::Quit;
                break;
            }
        }
        Ok(step)
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
        let per_rule_before = self.triples_per_rule()?;
        let (extractor, sources) = load_rules(&self.rule_files, &self.output, true)?;
        self.rule_sources = sources;
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
        let compiled_before = self.extractor.is_some();
        self.extractor = Some(extractor);
        let added: Vec<&String> = after.iter().filter(|r| !before.contains(r)).collect();
        let removed: Vec<&String> = before.iter().filter(|r| !after.contains(r)).collect();
        if compiled_before {
            self.say(&format!(
                "{} rules; added: {}; removed: {}",
                after.len(),
                list(&added),
                list(&removed)
            ));
        } else {
            self.say(&format!(
                "{} rules from {}",
                after.len(),
                self.rule_files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !self.loaded.is_empty() {
            let documents = self.loaded.clone();
            self.load(&documents)?;
            let per_rule_after = self.triples_per_rule()?;
            let empty = std::collections::BTreeSet::new();
            let mut names: Vec<&String> = per_rule_before
                .keys()
                .chain(per_rule_after.keys())
                .collect();
            names.sort();
            names.dedup();
            let mut changed = false;
            for name in names {
                let old = per_rule_before.get(name).unwrap_or(&empty);
                let new = per_rule_after.get(name).unwrap_or(&empty);
                let added: Vec<&String> = new.difference(old).collect();
                let removed: Vec<&String> = old.difference(new).collect();
                if added.is_empty() && removed.is_empty() {
                    continue;
                }
                changed = true;
                self.say(&format!(
                    "  rule {name}: {} → {} triples (+{} −{})",
                    old.len(),
                    new.len(),
                    added.len(),
                    removed.len()
                ));
                for (sign, triples) in [('+', &added), ('−', &removed)] {
                    for triple in triples.iter().take(SHOWN_CHANGES) {
                        self.say(&format!("    {sign} {triple}"));
                    }
                    if triples.len() > SHOWN_CHANGES {
                        self.say(&format!(
                            "    {sign} … {} more",
                            triples.len() - SHOWN_CHANGES
                        ));
                    }
                }
            }
            if !changed {
                self.say("  no rule's triples changed");
            }
        }
        Ok(())
    }

    /// The distinct triples each rule supports, as tables show them.
    fn triples_per_rule(
        &self,
    ) -> Result<std::collections::BTreeMap<String, std::collections::BTreeSet<String>>> {
        let query = "SELECT DISTINCT ?rule ?s ?p ?o WHERE { GRAPH ?d { ?m kgrep:rule ?rule } GRAPH ?m { ?s ?p ?o } }";
        let mut triples = std::collections::BTreeMap::<_, std::collections::BTreeSet<_>>::new();
        if let oxigraph::sparql::QueryResults::Solutions(solutions) =
            self.store
                .query(query, &self.prefixes, self.current.clone())?
        {
            for solution in solutions {
                let solution = solution?;
                let term = |name: &str| {
                    solution
                        .get(name)
                        .map_or(String::new(), |t| shorten(&t.to_string(), &self.prefixes))
                };
                if let Some(oxigraph::model::Term::Literal(rule)) = solution.get("rule") {
                    triples
                        .entry(rule.value().to_owned())
                        .or_default()
                        .insert(format!("{} {} {}", term("s"), term("p"), term("o")));
                }
            }
        }
        Ok(triples)
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
                "SELECT ?class (COUNT(DISTINCT ?e) AS ?entities) WHERE { ?e a ?class } GROUP BY ?class ORDER BY DESC(?entities) ?class",
            ),
            (
                "matches per rule",
                "SELECT ?rule (COUNT(?m) AS ?matches) WHERE { GRAPH ?d { ?m kgrep:rule ?rule } } GROUP BY ?rule ORDER BY DESC(?matches) ?rule",
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
        let options = PrintOptions {
            layout: self.layout(),
            query,
            ..PrintOptions::default()
        };
        write_results(
            results,
            ResultFormat::Table,
            &self.prefixes,
            &options,
            &mut buffer,
        )?;
        Ok(buffer)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match (&mut self.once, &mut self.redirect) {
            (Some((_, file)), _) | (None, Some((_, file))) => file.write_all(bytes)?,
            (None, None) => crate::ui::pager::page_or_write(bytes, self.pager)?,
        }
        Ok(())
    }

    /// How tables are laid out now: to the terminal's width unless the
    /// output goes to a file.
    fn layout(&self) -> Layout {
        Layout {
            width: if self.once.is_some() || self.redirect.is_some() {
                None
            } else {
                terminal_width()
            },
            expanded: self.expanded,
            headers: self.headers,
        }
    }

    fn say(&self, message: &str) {
        let _ = writeln!(self.output.stderr(), "{message}");
    }
}

/// How many added (and removed) triples `.reload` lists per rule.
const SHOWN_CHANGES: usize = 5;

/// The prompt, and the prompt of a statement's later lines (as wide).
const PROMPT: &str = "kgrep> ";
const CONTINUATION: &str = "  ...> ";

/// The result formats `.mode` takes, by name.
const MODES: &[(&str, ResultFormat)] = &[
    ("table", ResultFormat::Table),
    ("csv", ResultFormat::Csv),
    ("tsv", ResultFormat::Tsv),
    ("json", ResultFormat::Json),
    ("xml", ResultFormat::Xml),
    ("turtle", ResultFormat::Turtle),
    ("ntriples", ResultFormat::Ntriples),
    ("jsonld", ResultFormat::Jsonld),
];

fn mode_name(format: ResultFormat) -> &'static str {
    MODES
        .iter()
        .find(|(_, f)| *f == format)
        .map_or("table", |(name, _)| name)
}

fn on_off(word: &str, usage: &str) -> Result<bool> {
    match word {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => bail!("usage: {usage}"),
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
        for (line, statement) in split_script(&script) {
            match session.execute_at("<stdin>", line, &statement) {
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
        .history_ignore_dups(true)?
        .completion_type(CompletionType::List)
        .build();
    let mut editor: Editor<helper::ReplHelper, DefaultHistory> = Editor::with_config(config)?;
    let mut repl_helper = helper::ReplHelper::new(colour);
    repl_helper.prefixes = session.prefixes.iter().map(|(p, _)| p.clone()).collect();
    repl_helper.vocabulary = vocabulary(&session);
    editor.set_helper(Some(repl_helper));
    let history = history_file();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    session.say("kgrep repl: SPARQL and .commands (.help); Ctrl-D leaves, Ctrl-C cancels");
    // A statement is read a line at a time, as psql and sqlite3 do: the
    // continuation prompt shows that the statement goes on; Ctrl-C drops it.
    let mut statement = String::new();
    loop {
        let prompt = if statement.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        if let Some(helper) = editor.helper_mut() {
            helper.pending.clone_from(&statement);
        }
        match editor.readline(prompt) {
            Ok(line) => {
                if statement.is_empty() && line.trim().is_empty() {
                    continue;
                }
                statement.push_str(&line);
                statement.push('\n');
                if !statement::is_complete(&statement) {
                    continue;
                }
                let text = std::mem::take(&mut statement);
                let text = text.trim();
                let _ = editor.add_history_entry(text);
                if !text.starts_with('.') && !text.starts_with('\\') {
                    session.last = text.to_owned();
                }
                match session.execute(text) {
                    Ok(Step::Quit) => break,
                    Ok(Step::Continue) => {}
                    Err(error) => {
                        if !error.is::<Reported>() {
                            session.output.error(&format!("{error:#}"));
                        }
                    }
                }
            }
            Err(ReadlineError::Interrupted) => statement.clear(),
            Err(ReadlineError::Eof) if !statement.is_empty() => {
                // Ctrl-D inside a statement drops it, as psql does.
                statement.clear();
                println!();
            }
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

/// The store's predicates, classes, typed entities and their labels, as
/// tables show them, for completion (at most [`VOCABULARY_LIMIT`] of each).
fn vocabulary(session: &Session) -> helper::Vocabulary {
    let mut vocabulary = helper::Vocabulary::default();
    let limit = VOCABULARY_LIMIT;
    let queries: [(&str, &mut std::collections::BTreeSet<String>); 4] = [
        (
            &format!("SELECT DISTINCT ?t WHERE {{ ?s ?t ?o }} LIMIT {limit}"),
            &mut vocabulary.predicates,
        ),
        (
            &format!("SELECT DISTINCT ?t WHERE {{ ?s a ?t }} LIMIT {limit}"),
            &mut vocabulary.classes,
        ),
        (
            &format!("SELECT DISTINCT ?t WHERE {{ ?t a ?c }} LIMIT {limit}"),
            &mut vocabulary.entities,
        ),
        (
            &format!(
                "SELECT DISTINCT (STR(?l) AS ?t) WHERE {{ ?s a ?c ; rdfs:label ?l }} LIMIT {limit}"
            ),
            &mut vocabulary.labels,
        ),
    ];
    for (query, terms) in queries {
        if let Ok(oxigraph::sparql::QueryResults::Solutions(solutions)) =
            session
                .store
                .query(query, &session.prefixes, CancellationToken::new())
        {
            for solution in solutions.flatten() {
                match solution.get("t") {
                    Some(oxigraph::model::Term::Literal(label))
                        if !label.value().contains(char::is_whitespace) =>
                    {
                        terms.insert(label.value().to_owned());
                    }
                    Some(term) => {
                        terms.insert(shorten(&term.to_string(), &session.prefixes));
                    }
                    None => {}
                }
            }
        }
    }
    vocabulary
}

/// How many terms of each kind completion holds.
const VOCABULARY_LIMIT: usize = 50_000;

/// `$XDG_DATA_HOME/kgrep/history`, else `~/.local/share/kgrep/history`.
fn history_file() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(data.join("kgrep").join("history"))
}
