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
#[error("cannot read rule file `{path}`: {source}")]
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
        let (name, path) = relative_to(&self.sources, from, &include.value);
        let key = match self.loader.canonicalize(&path) {
            Ok(key) => key,
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        "missing-file",
                        from,
                        include.span,
                        format!("cannot read included file `{name}`"),
                    )
                    .with_label(error.to_string())
                    .with_hint("the path is relative to the file that includes it"),
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
        let text = match self.loader.read(&path) {
            Ok(text) => text,
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        "missing-file",
                        from,
                        include.span,
                        format!("cannot read included file `{name}`"),
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

/// `relative` resolved against the directory of file `from`: the name to show
/// and the path to read.
pub(crate) fn relative_to(sources: &SourceMap, from: FileId, relative: &str) -> (String, PathBuf) {
    let file = sources.file(from);
    let shown_dir = Path::new(&file.name).parent().unwrap_or(Path::new(""));
    let real_dir = file.path.parent().unwrap_or(Path::new(""));
    let relative = Path::new(relative);
    (
        shown_dir.join(relative).display().to_string(),
        real_dir.join(relative),
    )
}
