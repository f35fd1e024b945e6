//! A kgrep store on disk: a directory holding a format marker, published
//! *generations* of an Oxigraph (RocksDB) database, and a writer lock.
//!
//! Readers open the published generation read-only (RocksDB allows any
//! number of read-only openings of a database nobody writes). A writer takes
//! the lock, copies the published generation (hard links: RocksDB files are
//! immutable), writes the copy, flushes it and publishes it by renaming the
//! marker. So readers never wait for a writer and never see half a build; a
//! killed writer leaves an unpublished copy that the next writer deletes;
//! a generation is deleted once no reader holds it (a shared `flock`).
//! Hand-written because no crate does snapshot publication over RocksDB
//! directories; the locks are `std::fs::File`'s.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use oxigraph::store::Store;
use serde::{Deserialize, Serialize};

use super::{GraphStore, StoreError};

/// The file that makes a directory a kgrep store.
pub const MARKER: &str = "kgrep-store.json";
/// The layout this build of kgrep reads and writes.
pub const FORMAT_VERSION: u32 = 2;
const WRITER_LOCK: &str = "writer.lock";

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    /// Always "kgrep-store".
    format: String,
    /// The layout version.
    version: u32,
    /// The published generation (0: nothing published yet, an empty store).
    generation: u64,
}

/// A kgrep store directory (validated, not opened).
#[derive(Clone, Debug)]
pub struct StoreDir {
    path: PathBuf,
}

/// What a reader holds: the published generation, read-only, and its
/// reader lock (so no writer deletes it meanwhile).
pub struct ReadGuard {
    _lock: File,
}

impl StoreDir {
    /// An existing store; anything else is refused with a clear error.
    pub fn open(path: &Path) -> Result<StoreDir, StoreError> {
        let dir = StoreDir {
            path: path.to_owned(),
        };
        dir.marker()?;
        Ok(dir)
    }

    /// An existing store, or a new one in an absent or empty directory.
    pub fn create(path: &Path) -> Result<StoreDir, StoreError> {
        let dir = StoreDir {
            path: path.to_owned(),
        };
        if path.join(MARKER).exists() {
            dir.marker()?;
            return Ok(dir);
        }
        if path.exists() {
            let empty = path.is_dir()
                && std::fs::read_dir(path)
                    .map_err(|error| io_error(path, error))?
                    .next()
                    .is_none();
            if !empty {
                return Err(not_a_store(path));
            }
        }
        std::fs::create_dir_all(path).map_err(|error| io_error(path, error))?;
        dir.write_marker(0)?;
        Ok(dir)
    }

    /// The published generation (it changes each time a writer publishes).
    pub fn generation(&self) -> Result<u64, StoreError> {
        Ok(self.marker()?.generation)
    }

    /// Where the store is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn marker(&self) -> Result<Marker, StoreError> {
        let path = &self.path;
        if !path.exists() {
            return Err(StoreError::NotAStore {
                path: path.clone(),
                why: "there is no such directory".into(),
            });
        }
        let file = path.join(MARKER);
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(_) if path.join("CURRENT").exists() => {
                return Err(StoreError::OldLayout(path.clone()));
            }
            Err(_) => return Err(not_a_store(path)),
        };
        let marker: Marker =
            serde_json::from_str(&text).map_err(|error| StoreError::NotAStore {
                path: path.clone(),
                why: format!("`{MARKER}` is unreadable ({error})"),
            })?;
        if marker.format != "kgrep-store" {
            return Err(not_a_store(path));
        }
        if marker.version != FORMAT_VERSION {
            return Err(StoreError::Version {
                path: path.clone(),
                found: marker.version,
            });
        }
        Ok(marker)
    }

    fn write_marker(&self, generation: u64) -> Result<(), StoreError> {
        let marker = Marker {
            format: "kgrep-store".into(),
            version: FORMAT_VERSION,
            generation,
        };
        let temporary = self.path.join(format!(".{MARKER}.tmp"));
        let text = serde_json::to_string_pretty(&marker).expect("a marker serialises");
        let write = || -> std::io::Result<()> {
            let file = File::create(&temporary)?;
            std::io::Write::write_all(&mut &file, text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temporary, self.path.join(MARKER))
        };
        write().map_err(|error| {
            let _ = std::fs::remove_file(&temporary);
            io_error(&self.path, error)
        })?;
        // Published once renamed; syncing the directory makes it durable, and
        // a failure there must not undo the publication.
        let _ = File::open(&self.path).and_then(|dir| dir.sync_all());
        Ok(())
    }

    fn generation_path(&self, generation: u64) -> PathBuf {
        self.path.join(format!("gen-{generation:06}"))
    }

    fn reader_lock(&self, generation: u64) -> Result<File, StoreError> {
        let path = self.path.join(format!("gen-{generation:06}.readers"));
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            // A store this user may only read: lock the file if it is there.
            .or_else(|_| File::open(&path))
            .map_err(|error| io_error(&path, error))
    }

    /// The published state, read-only. An empty store (nothing published
    /// yet) reads as an empty in-memory store.
    pub fn reader(&self) -> Result<GraphStore, StoreError> {
        let (store, guard) = self.read()?;
        Ok(GraphStore::from_parts(store, false, guard))
    }

    fn read(&self) -> Result<(Store, Option<ReadGuard>), StoreError> {
        loop {
            let generation = self.marker()?.generation;
            if generation == 0 {
                return Ok((Store::new()?, None));
            }
            // Without a lock file (a read-only store nobody read before),
            // read unlocked: no writer can run there either.
            let lock = self.reader_lock(generation).ok();
            if let Some(lock) = &lock {
                lock.lock_shared()
                    .map_err(|error| io_error(&self.path, error))?;
            }
            // Published again meanwhile? Then the old one may be going: retry.
            if self.marker()?.generation != generation {
                continue;
            }
            let store = Store::open_read_only(self.generation_path(generation))?;
            return Ok((store, lock.map(|lock| ReadGuard { _lock: lock })));
        }
    }

    /// Starts writing: takes the writer lock (or fails with
    /// [`StoreError::Locked`]), deletes what killed writers left, and opens a
    /// copy of the published generation read-write.
    pub fn write(&self) -> Result<Writer, StoreError> {
        let lock_path = self.path.join(WRITER_LOCK);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|error| io_error(&lock_path, error))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StoreError::Locked(self.path.clone())),
            Err(TryLockError::Error(error)) => return Err(io_error(&lock_path, error)),
        }
        let published = self.marker()?.generation;
        self.collect_garbage(published);
        let next = self
            .generations()
            .into_iter()
            .max()
            .unwrap_or(0)
            .max(published)
            + 1;
        let target = self.generation_path(next);
        if published > 0 {
            copy_database(&self.generation_path(published), &target)
                .map_err(|error| io_error(&target, error))?;
        }
        let store = Store::open(&target)?;
        Ok(Writer {
            dir: self.clone(),
            store: Some(GraphStore::from_parts(store, true, None)),
            generation: next,
            published,
            _lock: lock,
        })
    }

    fn generations(&self) -> Vec<u64> {
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                name.strip_prefix("gen-")?.parse().ok()
            })
            .collect()
    }

    /// Deletes every generation but `keep` that no reader holds, and the
    /// reader lock files of generations that are gone.
    fn collect_garbage(&self, keep: u64) {
        let mut generations = self.generations();
        if let Ok(entries) = std::fs::read_dir(&self.path) {
            generations.extend(entries.filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                name.strip_prefix("gen-")?
                    .strip_suffix(".readers")?
                    .parse::<u64>()
                    .ok()
            }));
        }
        generations.sort_unstable();
        generations.dedup();
        for generation in generations {
            if generation == keep {
                continue;
            }
            let Ok(lock) = self.reader_lock(generation) else {
                continue;
            };
            if lock.try_lock().is_ok() {
                let _ = std::fs::remove_dir_all(self.generation_path(generation));
                let _ =
                    std::fs::remove_file(self.path.join(format!("gen-{generation:06}.readers")));
            }
        }
    }
}

/// A write in progress: a private copy of the store, published by
/// [`commit`](Self::commit), thrown away when dropped without it.
pub struct Writer {
    dir: StoreDir,
    store: Option<GraphStore>,
    generation: u64,
    published: u64,
    _lock: File,
}

impl Writer {
    /// The copy being written. Do not keep clones of it past
    /// [`commit`](Self::commit): the copy must be closed to be published.
    pub fn store(&self) -> &GraphStore {
        self.store.as_ref().expect("open until committed")
    }

    /// Flushes the copy (so the next opening replays no log), closes it and
    /// publishes it; readers that open the store from now on see it.
    pub fn commit(mut self) -> Result<(), StoreError> {
        let store = self.store.take().expect("open until committed");
        store.inner().flush()?;
        drop(store);
        self.dir.write_marker(self.generation)?;
        self.published = self.generation;
        self.dir.collect_garbage(self.generation);
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.published != self.generation {
            drop(self.store.take());
            let _ = std::fs::remove_dir_all(self.dir.generation_path(self.generation));
        }
    }
}

/// Copies a closed RocksDB database: table and blob files as hard links
/// (they never change), the rest (manifest, options) as copies.
fn copy_database(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let text = name.to_string_lossy();
        if text == "LOCK" || text.starts_with("LOG") || !entry.file_type()?.is_file() {
            continue;
        }
        let target = to.join(&name);
        let immutable = text.ends_with(".sst") || text.ends_with(".blob");
        if !(immutable && std::fs::hard_link(entry.path(), &target).is_ok()) {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn not_a_store(path: &Path) -> StoreError {
    StoreError::NotAStore {
        path: path.to_owned(),
        why: if path.is_dir() {
            format!("the directory has no `{MARKER}` and is not empty")
        } else {
            "it is not a directory".into()
        },
    }
}

fn io_error(path: &Path, error: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.to_owned(),
        error,
    }
}
