//! Reading a rule file and everything it includes, then lowering it.
//!
//! Includes are resolved relative to the including file and followed depth
//! first; a file reached twice is read once, and a file that includes itself
//! (directly or not) is an error that shows the whole chain.

use std::path::{Path, PathBuf};

use super::RuleSet;
use super::lower;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{FileId, SourceLoader, SourceMap};
use crate::syntax::{self, ast};

/// The outcome of [`load`]: the sources read, every diagnostic, and the rule
/// set when there was no error.
#[derive(Debug)]
pub struct Loaded {
    /// Every file read (rule files and lexicon files), for rendering diagnostics.
    pub sources: SourceMap,
    /// The checked rule set; `None` when any diagnostic is an error.
    pub rule_set: Option<RuleSet>,
    /// Errors and warnings, ordered by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The syntax trees of the rule files, by file.
    pub files: Vec<(FileId, ast::File)>,
}

impl Loaded {
    /// How many diagnostics have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// A rule file that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read rule file `{path}`")]
pub struct LoadError {
    /// The path as given.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Reads the rule file at `path` and the files it includes, and checks them
/// as one rule set.
pub fn load(path: &Path, loader: &dyn SourceLoader) -> Result<Loaded, LoadError> {
    load_all(std::slice::from_ref(&path.to_path_buf()), loader)
}

/// Reads several rule files (and their includes) as one rule set.
pub fn load_all(paths: &[PathBuf], loader: &dyn SourceLoader) -> Result<Loaded, LoadError> {
    let mut reader = Reader {
        loader,
        sources: SourceMap::new(),
        files: Vec::new(),
        diagnostics: Vec::new(),
    };
    for path in paths {
        let error = |source| LoadError {
            path: path.clone(),
            source,
        };
        let key = loader.canonicalize(path).map_err(error)?;
        if reader.sources.find(&key).is_some() {
            continue;
        }
        let text = loader.read(path).map_err(error)?;
        let id = reader
            .sources
            .add(path.display().to_string(), key.clone(), text);
        reader.read_file(id, &mut vec![key]);
    }
    let Reader {
        mut sources,
        files,
        mut diagnostics,
        ..
    } = reader;
    let rule_set = lower::lower(&files, &mut sources, loader, &mut diagnostics);
    diagnostics.sort_by_key(|d| (d.primary.file, d.primary.span.start, d.primary.span.end));
    let rule_set = rule_set.filter(|_| !diagnostics.iter().any(Diagnostic::is_error));
    Ok(Loaded {
        sources,
        rule_set,
        diagnostics,
        files,
    })
}

/// How deep includes may nest: each level is a stack frame of the reader.
pub const MAX_INCLUDE_DEPTH: usize = 200;

struct Reader<'a> {
    loader: &'a dyn SourceLoader,
    sources: SourceMap,
    files: Vec<(FileId, ast::File)>,
    diagnostics: Vec<Diagnostic>,
}

impl Reader<'_> {
    /// Parses file `id` and follows its includes; `stack` holds the keys of
    /// the files being included, the current one last.
    fn read_file(&mut self, id: FileId, stack: &mut Vec<PathBuf>) {
        let (tree, errors) = syntax::parse(&self.sources.file(id).text);
        for error in errors {
            self.diagnostics.push(
                Diagnostic::error(error.code, id, error.span, error.message)
                    .with_label(error.label)
                    .with_optional_hint(error.hint),
            );
        }
        let includes: Vec<ast::StringLit> = tree
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ast::ItemKind::Include(path) => Some(path.clone()),
                _ => None,
            })
            .collect();
        self.files.push((id, tree));
        for include in includes {
            self.include(id, &include, stack);
        }
    }

    fn include(&mut self, from: FileId, include: &ast::StringLit, stack: &mut Vec<PathBuf>) {
        let (name, path) = self.sources.relative_to(from, &include.value);
        let key = match self.loader.canonicalize(&path) {
            Ok(key) => key,
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        "missing-file",
                        from,
                        include.span,
                        format!("cannot read included file `{}`", visible_path(&name)),
                    )
                    .with_label(error.to_string())
                    .with_hint(missing_file_hint(
                        self.sources.file(from).slice(include.span),
                        "the path is relative to the file that includes it",
                    )),
                );
                return;
            }
        };
        if let Some(position) = stack.iter().position(|k| *k == key) {
            let chain: Vec<String> = stack[position..]
                .iter()
                .chain(std::iter::once(&key))
                .map(|k| {
                    self.sources.find(k).map_or_else(
                        || k.display().to_string(),
                        |id| self.sources.file(id).name.clone(),
                    )
                })
                .collect();
            self.diagnostics.push(
                Diagnostic::error("include-cycle", from, include.span, "include cycle")
                    .with_label(chain.join(" → "))
                    .with_hint("move what both files need into a third file that both include"),
            );
            return;
        }
        if self.sources.find(&key).is_some() {
            return;
        }
        if stack.len() >= MAX_INCLUDE_DEPTH {
            self.diagnostics.push(
                Diagnostic::error(
                    "include-too-deep",
                    from,
                    include.span,
                    format!("includes nest more than {MAX_INCLUDE_DEPTH} files deep"),
                )
                .with_label("this include goes one deeper")
                .with_hint("include the files from one main file instead of from each other"),
            );
            return;
        }
        let text = match self.loader.read(&path) {
            Ok(text) => text,
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        "missing-file",
                        from,
                        include.span,
                        format!("cannot read included file `{}`", visible_path(&name)),
                    )
                    .with_label(error.to_string()),
                );
                return;
            }
        };
        let id = self.sources.add(name, key.clone(), text);
        stack.push(key);
        self.read_file(id, stack);
        stack.pop();
    }
}

/// The hint for a file that cannot be read, given the path as written
/// (`literal`, with its quotes): a Windows-style `\` becomes an escape in a
/// string (`\n` a line break), so such a path gets the `/` form to write.
pub(crate) fn missing_file_hint(literal: &str, otherwise: &str) -> String {
    if literal.contains('\\') {
        format!(
            "write paths with `/`: in a string `\\` starts an escape (`\\n` is a line break); write {}",
            literal
                .split('\\')
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join("/")
        )
    } else {
        otherwise.to_owned()
    }
}

/// A path as a message shows it: control characters (from escapes) written
/// as escapes, so a `\n` in a path does not break the line.
pub(crate) fn visible_path(path: &str) -> String {
    path.chars()
        .map(|c| match c {
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{CaptureKind, EntryTarget, TermTemplate};
    use crate::source::MemoryFiles;

    fn load_memory(files: &[(&str, &str)]) -> Loaded {
        let mut memory = MemoryFiles::new();
        for (path, text) in files {
            memory.insert(*path, *text);
        }
        load(Path::new(files[0].0), &memory).expect("root file exists")
    }

    fn codes(loaded: &Loaded) -> Vec<&'static str> {
        loaded.diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn include_cycles_show_the_chain() {
        let loaded = load_memory(&[
            ("rules/a.kgr", "include \"b.kgr\"\n"),
            ("rules/b.kgr", "include \"sub/../a.kgr\"\n"),
        ]);
        assert_eq!(codes(&loaded), ["include-cycle"]);
        assert_eq!(
            loaded.diagnostics[0].primary.message,
            "rules/a.kgr → rules/b.kgr → rules/a.kgr"
        );
    }

    #[test]
    fn included_declarations_and_lexicon_files_resolve() {
        let loaded = load_memory(&[
            (
                "main.kgr",
                "include \"shared/common.kgr\"\n\
                 entity Org a ex:Org = Place \"党委\" iri ex:org/{text}\n\
                 rule r = $o:Org \"成立\" $p:Place => $o ex:in $p\n\
                 test r \"湖北党委成立武汉\" => _ ex:in _\n",
            ),
            (
                "shared/common.kgr",
                "prefix ex: <http://e/>\nlexicon Place from \"places.tsv\"\n",
            ),
            (
                "shared/places.tsv",
                "# places\n湖北\t<http://e/place/hubei>\n武汉\t<http://e/place/wuhan>\n\n",
            ),
        ]);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        let rules = loaded.rule_set.expect("rule set");
        assert_eq!(rules.lexicons[0].entries.len(), 2);
        assert!(
            matches!(&rules.lexicons[0].entries[0].target, EntryTarget::Iri(iri) if iri.as_str() == "http://e/place/hubei")
        );
        let rule = &rules.rules[0];
        assert_eq!(
            rule.captures[1].kind,
            CaptureKind::Lexicon(crate::rules::LexiconId(0))
        );
        // Every entry has an IRI, so the lexicon capture stands for a node.
        assert!(matches!(
            rule.templates[0].object,
            TermTemplate::CaptureNode(_)
        ));
        assert_eq!(
            rules.entities[0].iri.expand("湖北党委"),
            "http://e/org/湖北党委"
        );
    }

    #[test]
    fn fragment_captures_bind_in_the_rule_and_problems_show_at_the_use() {
        let loaded = load_memory(&[(
            "f.kgr",
            "prefix ex: <http://e/>\n\
             fragment Count = $n:([0-9]+) \"名\"\n\
             entity Team a ex:Team = Count \"队\" iri ex:t/{text}\n\
             rule r = $t:Team Count => $t ex:size $n|number\n\
             test r \"5名队5名\" => _ ex:size 5\n",
        )]);
        assert_eq!(codes(&loaded), ["capture-not-allowed"]);
        let diagnostic = &loaded.diagnostics[0];
        let line = loaded
            .sources
            .file(diagnostic.primary.file)
            .line_col(diagnostic.primary.span.start)
            .line;
        assert_eq!(line, 3, "reported at the use in the entity");
    }

    #[test]
    fn a_broken_declaration_does_not_cascade() {
        let loaded = load_memory(&[(
            "c.kgr",
            "prefix ex: <http://e/>\nrule r = $o:Nope \"x\" => $o ex:p $o\ntest r \"x\" => _ ex:p _\n",
        )]);
        assert_eq!(codes(&loaded), ["unknown-name"]);
    }
}
