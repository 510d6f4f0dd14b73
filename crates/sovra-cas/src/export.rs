//! Writing a UnixFS file or directory tree to disk from untrusted DAG data, confined to the
//! output path and bounded.
//!
//! Names, links and counts in a DAG are chosen by whoever made it, so export never trusts them:
//!
//! - **Plan first, then write.** The whole tree is listed before anything is written: every
//!   entry name is checked (not empty, not `.` or `..`, no `/`, no NUL), a name used twice in one
//!   directory is refused, and the entry count and the declared file sizes are checked against
//!   [`ExportLimits`]. Shared blocks can make a tiny DAG name a huge tree; the limits bound it.
//! - **Nothing is written through a link.** Entries are created in a fresh private directory next
//!   to the output (`create_dir`, `create_new`: an existing path, symlink or not, is an error), so
//!   no path a DAG names can reach an existing file. Symbolic links are created last, and only
//!   when their target is relative and resolves inside the output through directories of the
//!   same tree (never through another link, never above the output): an absolute target,
//!   `../../..`, or a path through a link is refused.
//! - **All or nothing.** Bytes actually written are counted against the byte limit as they
//!   stream. The finished tree is moved to the output path in one rename; on any error the
//!   private directory is removed and the error says that nothing was written (or, if removal
//!   failed, exactly which directory was left).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use cid::Cid;
use rust_unixfs::walk::{ContinuedWalk, Walker};

use crate::unixfs::{self, EntryKind};
use crate::{BlockSource, CasError};

/// Default most entries (files, directories and links) one export writes.
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;
/// Default most file bytes one export writes (4 GiB).
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;

/// Bounds of one export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportLimits {
    /// Most entries (files, directories and symbolic links, the root included).
    pub max_entries: u64,
    /// Most bytes of file content.
    pub max_bytes: u64,
}

impl Default for ExportLimits {
    fn default() -> Self {
        Self {
            max_entries: DEFAULT_MAX_ENTRIES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportStats {
    /// Regular files.
    pub files: u64,
    /// Directories (the root included when it is one).
    pub dirs: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Bytes of file content.
    pub bytes: u64,
}

/// One entry of the planned tree: its path below the output (empty for the root) and what it is.
#[derive(Debug)]
struct Planned {
    path: Vec<String>,
    cid: Cid,
    kind: PlannedKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PlannedKind {
    File,
    Dir,
    Symlink(String),
}

/// Writes the file or directory tree at `cid` to `dest`, which must not exist, within `limits`.
/// `progress` receives the file bytes written so far. On error nothing is left at `dest`.
pub fn export_to_path(
    source: &impl BlockSource,
    cid: &Cid,
    dest: &Path,
    limits: ExportLimits,
    mut progress: impl FnMut(u64),
) -> Result<ExportStats, CasError> {
    if fs::symlink_metadata(dest).is_ok() {
        return Err(CasError::UnixFs(format!(
            "{} already exists",
            dest.display()
        )));
    }
    let plan = plan(source, cid, limits).map_err(nothing_written)?;
    let staging = Staging::create(dest)?;
    let written = write_plan(source, &plan, &staging.root, limits, &mut progress)
        .and_then(|stats| staging.publish(dest).map(|()| stats));
    match written {
        Ok(stats) => Ok(stats),
        Err(e) => Err(staging.discard(e)),
    }
}

/// Lists the whole tree, checking names, duplicates, link targets and the limits, before
/// anything is written.
fn plan(
    source: &impl BlockSource,
    root: &Cid,
    limits: ExportLimits,
) -> Result<Vec<Planned>, CasError> {
    let mut planned = Vec::new();
    let mut declared_bytes = 0u64;
    let mut stack = vec![(Vec::<String>::new(), *root)];
    while let Some((path, cid)) = stack.pop() {
        if planned.len() as u64 >= limits.max_entries {
            return Err(CasError::Limit(format!(
                "the tree has more than {} entries (raise the limit to export it)",
                limits.max_entries
            )));
        }
        if path.len() > crate::limits::MAX_DAG_DEPTH {
            return Err(CasError::Limit(format!(
                "directories nested deeper than {}",
                crate::limits::MAX_DAG_DEPTH
            )));
        }
        let kind = match unixfs::kind(source, &cid)? {
            EntryKind::File { size } => {
                declared_bytes = declared_bytes.saturating_add(size);
                if declared_bytes > limits.max_bytes {
                    return Err(CasError::Limit(format!(
                        "the tree holds more than {} bytes of files (raise the limit to export it)",
                        limits.max_bytes
                    )));
                }
                PlannedKind::File
            }
            EntryKind::Directory => {
                let pending = (planned.len() + 1 + stack.len()) as u64;
                let room = limits.max_entries.saturating_sub(pending);
                let entries = unixfs::list_dir_at_most(
                    source,
                    &cid,
                    usize::try_from(room)
                        .unwrap_or(usize::MAX)
                        .min(unixfs::MAX_LISTED_ENTRIES),
                )
                .map_err(|e| match e {
                    CasError::Limit(_) => CasError::Limit(format!(
                        "the tree has more than {} entries (raise the limit to export it)",
                        limits.max_entries
                    )),
                    other => other,
                })?;
                if pending.saturating_add(entries.len() as u64) > limits.max_entries {
                    return Err(CasError::Limit(format!(
                        "the tree has more than {} entries (raise the limit to export it)",
                        limits.max_entries
                    )));
                }
                let mut names = HashSet::with_capacity(entries.len());
                // Pushed in reverse so entries are written in listing order.
                for entry in entries.into_iter().rev() {
                    check_name(&entry.name, &path)?;
                    if !names.insert(entry.name.clone()) {
                        return Err(CasError::UnixFs(format!(
                            "the name {:?} appears twice in directory {:?}",
                            entry.name,
                            display(&path)
                        )));
                    }
                    let mut child = path.clone();
                    child.push(entry.name);
                    stack.push((child, entry.cid));
                }
                PlannedKind::Dir
            }
            EntryKind::Symlink => PlannedKind::Symlink(symlink_target(source, &cid)?),
            EntryKind::Other => {
                return Err(CasError::UnixFs(format!(
                    "{} at {:?} is not a UnixFS file, directory or symlink",
                    cid,
                    display(&path)
                )));
            }
        };
        planned.push(Planned { path, cid, kind });
    }
    let kinds: HashMap<&[String], &PlannedKind> = planned
        .iter()
        .map(|p| (p.path.as_slice(), &p.kind))
        .collect();
    for entry in &planned {
        if let PlannedKind::Symlink(target) = &entry.kind {
            check_link_target(&entry.path, target, &kinds)?;
        }
    }
    Ok(planned)
}

/// Refuses names that are not one plain path component.
fn check_name(name: &str, dir: &[String]) -> Result<(), CasError> {
    let bad =
        name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0');
    if bad {
        return Err(CasError::UnixFs(format!(
            "refusing the entry name {name:?} in directory {:?}: a name must be one plain path component",
            display(dir)
        )));
    }
    Ok(())
}

/// Accepts a link target only if it is relative and, resolved from the link's directory,
/// stays inside the output passing only through directories of the tree. The last component
/// may be anything (a file, a directory, another checked link, or nothing).
fn check_link_target(
    link: &[String],
    target: &str,
    kinds: &HashMap<&[String], &PlannedKind>,
) -> Result<(), CasError> {
    let refuse = |why: &str| {
        CasError::UnixFs(format!(
            "refusing the symbolic link {:?} -> {target:?}: {why}",
            display(link)
        ))
    };
    if target.is_empty() || target.contains('\0') {
        return Err(refuse("empty or NUL in the target"));
    }
    let components: Vec<Component> = Path::new(target).components().collect();
    // The link's own directory: the root has no parent inside the output.
    let mut at: Vec<String> = match link.split_last() {
        Some((_, parent)) => parent.to_vec(),
        None => return Err(refuse("the exported root itself is a link")),
    };
    for (i, component) in components.iter().enumerate() {
        let last = i + 1 == components.len();
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if at.pop().is_none() {
                    return Err(refuse("it leaves the output directory"));
                }
            }
            Component::Normal(name) => {
                let name = name
                    .to_str()
                    .ok_or_else(|| refuse("the target is not UTF-8"))?;
                at.push(name.to_string());
                if !last && kinds.get(at.as_slice()) != Some(&&PlannedKind::Dir) {
                    return Err(refuse(
                        "it passes through something that is not a directory of this tree",
                    ));
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse("absolute targets are not created"));
            }
        }
    }
    Ok(())
}

/// The target of the UnixFS symlink at `cid`.
fn symlink_target(source: &impl BlockSource, cid: &Cid) -> Result<String, CasError> {
    let data = source.require_block(cid)?;
    let mut walker = Walker::new(*cid, String::new());
    let mut cache = None;
    match walker.next(&data, &mut cache)? {
        ContinuedWalk::Symlink(target, ..) => std::str::from_utf8(target)
            .map(str::to_string)
            .map_err(|_| CasError::UnixFs(format!("symlink {cid} has a target that is not UTF-8"))),
        _ => Err(CasError::UnixFs(format!("{cid} is not a symlink"))),
    }
}

/// Writes the planned tree under `root` (a fresh private directory); links last.
fn write_plan(
    source: &impl BlockSource,
    plan: &[Planned],
    root: &Path,
    limits: ExportLimits,
    progress: &mut impl FnMut(u64),
) -> Result<ExportStats, CasError> {
    let mut stats = ExportStats::default();
    let target = |path: &[String]| {
        let mut out = root.join(STAGED_NAME);
        out.extend(path);
        out
    };
    for entry in plan {
        match entry.kind {
            PlannedKind::Dir => {
                fs::create_dir(target(&entry.path))?;
                stats.dirs += 1;
            }
            PlannedKind::File => {
                let file = fs::File::create_new(target(&entry.path))?;
                let mut out = BoundedWriter {
                    inner: std::io::BufWriter::new(file),
                    written: stats.bytes,
                    limit: limits.max_bytes,
                    progress: &mut *progress,
                };
                unixfs::cat(source, &entry.cid, &mut out)?;
                out.inner.flush()?;
                stats.bytes = out.written;
                stats.files += 1;
            }
            PlannedKind::Symlink(_) => {}
        }
    }
    for entry in plan {
        if let PlannedKind::Symlink(link_target) = &entry.kind {
            let link = target(&entry.path);
            #[cfg(unix)]
            std::os::unix::fs::symlink(link_target, &link)?;
            #[cfg(not(unix))]
            fs::File::create_new(&link)?.write_all(link_target.as_bytes())?;
            stats.symlinks += 1;
        }
    }
    Ok(stats)
}

/// Name of the tree inside the staging directory.
const STAGED_NAME: &str = "tree";

/// A private directory next to the output where the tree is built before it is moved into place.
struct Staging {
    root: PathBuf,
}

impl Staging {
    fn create(dest: &Path) -> Result<Self, CasError> {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| CasError::UnixFs(format!("{} has no file name", dest.display())))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let root = parent.join(format!(".{name}.partial-{}-{nanos}", std::process::id()));
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&root)?;
        Ok(Self { root })
    }

    /// Moves the finished tree to `dest` and removes the staging directory.
    fn publish(&self, dest: &Path) -> Result<(), CasError> {
        let tree = self.root.join(STAGED_NAME);
        if fs::symlink_metadata(dest).is_ok() {
            return Err(CasError::UnixFs(format!(
                "{} appeared while exporting",
                dest.display()
            )));
        }
        if fs::symlink_metadata(&tree)?.is_dir() {
            fs::rename(&tree, dest)?;
        } else {
            // A hard link never replaces an existing path; the staged name is removed with
            // the staging directory.
            fs::hard_link(&tree, dest)?;
        }
        fs::remove_dir_all(&self.root)?;
        Ok(())
    }

    /// Removes the staging directory after `error`, and says what was left.
    fn discard(self, error: CasError) -> CasError {
        match fs::remove_dir_all(&self.root) {
            Ok(()) => nothing_written(error),
            Err(cleanup) => CasError::PartialExportLeft {
                error: Box::new(error),
                staging: self.root.clone(),
                cleanup,
            },
        }
    }
}

/// Counts file bytes as they are written and fails once the export's byte limit is passed
/// (declared sizes are not trusted).
struct BoundedWriter<'p, W: Write, P: FnMut(u64)> {
    inner: W,
    written: u64,
    limit: u64,
    progress: &'p mut P,
}

impl<W: Write, P: FnMut(u64)> Write for BoundedWriter<'_, W, P> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let total = self.written.saturating_add(buf.len() as u64);
        if total > self.limit {
            return Err(std::io::Error::other(format!(
                "more than {} bytes of files (raise the limit to export it)",
                self.limit
            )));
        }
        self.inner.write_all(buf)?;
        self.written = total;
        (self.progress)(total);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// `error`, saying that the output was not written (limits stay limits for the caller).
fn nothing_written(error: CasError) -> CasError {
    match error {
        CasError::Limit(m) => CasError::Limit(format!("{m}; nothing was written")),
        other => CasError::NothingWritten(Box::new(other)),
    }
}

fn display(path: &[String]) -> String {
    if path.is_empty() {
        ".".into()
    } else {
        path.join("/")
    }
}
