//! The source files of a rule set, and how they are read.
//!
//! A [`SourceMap`] owns every file text that diagnostics may point into. The
//! library never opens files itself: it asks a [`SourceLoader`], so the CLI reads
//! the file system and tests hand over strings.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::span::{LineCol, LineIndex, Span};

/// Identifies a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub(crate) u32);

/// One loaded file: its name as shown to people, its path, its text.
#[derive(Debug)]
pub struct SourceFile {
    /// The name diagnostics print (the path as the user gave it).
    pub name: String,
    /// The path used to resolve `include` and `lexicon ... from` relative to it.
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
    lines: LineIndex,
}

impl SourceFile {
    /// The line and character column of byte `offset`.
    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }

    /// The text of line `line` (from 1), without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        &self.text[self.lines.line_range(&self.text, line - 1)]
    }

    /// The text under `span`.
    pub fn slice(&self, span: Span) -> &str {
        &self.text[span.range()]
    }
}

/// Every source file read for one rule set, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    by_path: HashMap<PathBuf, FileId>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        path: impl Into<PathBuf>,
        text: String,
    ) -> FileId {
        let id = FileId(self.files.len() as u32);
        let path = path.into();
        self.by_path.insert(path.clone(), id);
        self.files.push(SourceFile {
            name: name.into(),
            path,
            lines: LineIndex::new(&text),
            text,
        });
        id
    }

    /// The file with id `id`.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The id of the file loaded from `path`, if any.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    /// `relative` resolved against the directory of file `from` (how
    /// `include` and `lexicon … from` name files): the name to show and the
    /// path to read.
    pub fn relative_to(&self, from: FileId, relative: &str) -> (String, PathBuf) {
        let file = self.file(from);
        let shown_dir = Path::new(&file.name).parent().unwrap_or(Path::new(""));
        let real_dir = file.path.parent().unwrap_or(Path::new(""));
        let relative = Path::new(relative);
        (
            shown_dir.join(relative).display().to_string(),
            real_dir.join(relative),
        )
    }

    /// All files, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

/// Reads the files a rule set names (`include`, `lexicon ... from`).
pub trait SourceLoader {
    /// The canonical key of `path`: two paths to one file give one key,
    /// which is how include cycles are found.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
    /// The UTF-8 text of the file at `path`.
    fn read(&self, path: &Path) -> io::Result<String>;
}

/// A [`SourceLoader`] over the real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct FileSystem;

impl SourceLoader for FileSystem {
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        let mut bytes = std::fs::read(path)?;
        // A UTF-8 byte order mark (Windows editors write one) is not text.
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
        }
        String::from_utf8(bytes).map_err(|error| {
            let offset = error.utf8_error().valid_up_to();
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("invalid UTF-8 at byte {offset}"),
            )
        })
    }
}

/// A [`SourceLoader`] over files held in memory, for tests and tools.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles {
    files: HashMap<PathBuf, String>,
}

impl MemoryFiles {
    /// An empty set of files.
    pub fn new() -> MemoryFiles {
        MemoryFiles::default()
    }

    /// Adds (or replaces) the file at `path`.
    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> &mut Self {
        self.files.insert(path.into(), text.into());
        self
    }
}

impl SourceLoader for MemoryFiles {
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let mut normal = PathBuf::new();
        for component in path.components() {
            match component {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    normal.pop();
                }
                other => normal.push(other),
            }
        }
        if self.files.contains_key(&normal) {
            Ok(normal)
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                "No such file or directory",
            ))
        }
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        let path = self.canonicalize(path)?;
        Ok(self.files[&path].clone())
    }
}
