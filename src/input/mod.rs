//! Inputs: finding the log files, and getting their bytes.
//!
//! Files and directories given on the command line are expanded (directories
//! recursively, symbolic-link loops survived), de-duplicated by their real
//! path, sorted by path and numbered: the number is the file's id in every
//! report. Getting bytes is kept apart from searching them: plain files are
//! memory-mapped and cut into line-aligned chunks, compressed files are
//! decoded as streams (see `content`).

pub mod content;
pub mod mapping;
pub mod utf16;

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::error::InputError;
use crate::sanitise::escape_path;

/// One log file to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The path as reached from the arguments.
    pub path: PathBuf,
    /// The path as text, escaped for safe display.
    pub display: String,
    /// Size in bytes as stored.
    pub size: u64,
    /// The real path (links resolved) the file was found at, when known.
    pub real_path: Option<PathBuf>,
    /// Where its logs come from: the directory named on the command line
    /// it was found in, or the (real) directory of a file named there, as
    /// first given. Each source's logs must reach the windows that sources
    /// beside it reach (one server's missing log was hidden by another's
    /// lines).
    pub source: Arc<str>,
}

/// The files found, and the problems met while looking.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files, sorted by path; a file's index is its id.
    pub files: Vec<InputFile>,
    /// Directories that could not be listed, loops not followed.
    pub problems: Vec<InputError>,
}

/// The output folder of a scan, and the names of the files it writes
/// there.
#[derive(Debug, Clone, Copy)]
pub struct OutputFolder<'a> {
    /// The folder.
    pub path: &'a Path,
    /// The names of the files a scan writes in it.
    pub writes: &'a [&'a str],
}

/// Expands `paths` into a sorted list of files. The files a scan writes in
/// its output folder `out`, and the files in `exclude` (the case file), are
/// left out: a scan never reads its own output or configuration as
/// evidence. Any other file under the output folder is not read either,
/// and is named among the problems: a log there, even one named on the
/// command line, was left out without a word.
pub fn discover(paths: &[PathBuf], out: Option<OutputFolder<'_>>, exclude: &[&Path]) -> Discovery {
    let exclude = exclude
        .iter()
        .filter_map(|p| fs::canonicalize(p).ok())
        .collect();
    let out = out.and_then(|out| {
        let real = fs::canonicalize(out.path).ok()?;
        let display = escape_path(out.path);
        Some((real, display, out.writes))
    });
    let mut walk = Walk {
        exclude,
        out,
        source: Arc::from(""),
        sources: BTreeMap::new(),
        files_met: 0,
        seen_dirs: HashMap::new(),
        seen_files: HashMap::new(),
        met_in_other_source: None,
        given_now: 0,
        given_dirs: Vec::new(),
        found: Vec::new(),
        problems: Vec::new(),
    };
    walk.given_dirs = (paths.iter().enumerate())
        .filter(|(_, given)| given.is_dir())
        .filter_map(|(index, given)| Some((index, fs::canonicalize(given).ok()?, given.clone())))
        .collect();
    for (index, path) in paths.iter().enumerate() {
        walk.given_now = index;
        let (met_before, problems_before) = (walk.files_met, walk.problems.len());
        let found_before = walk.found.len();
        walk.source = walk.source_of(path);
        walk.met_in_other_source = None;
        walk.visit(path);
        let shown = escape_path(path);
        let is_dir = path.is_dir();
        // Whether this path's walk said why it found nothing: a directory
        // met again (any, or the one given itself, `given_only`), or files
        // left in the output folder.
        let said = |given_only: bool| {
            walk.problems[problems_before..].iter().any(|p| match p {
                InputError::SymlinkLoop { path } => !given_only || *path == shown,
                InputError::InOutputFolder { .. } => true,
                _ => false,
            })
        };
        let (any_said, given_said) = (said(false), said(true));
        let other = walk.met_in_other_source.take();
        if is_dir && walk.files_met == met_before && !any_said && other.is_none() {
            walk.problems.push(InputError::EmptyDirectory {
                path: shown.clone(),
            });
        }
        // A server's folder whose log, or whose folder of logs, is a link
        // to another's: the server was left out without a word. The folder
        // given itself met again (named twice, or under one named before)
        // has said so.
        let nothing_new = is_dir && walk.found.len() == found_before && !given_said;
        if let (true, Some(other)) = (nothing_new, other) {
            walk.problems.push(InputError::NoFileOfItsOwn {
                path: shown,
                other: other.to_string(),
            });
        }
    }
    walk.found.sort_by(|a, b| a.path.cmp(&b.path));
    Discovery {
        files: walk.found,
        problems: walk.problems,
    }
}

struct Walk<'a> {
    exclude: Vec<PathBuf>,
    /// The source of the files found now.
    source: Arc<str>,
    /// Each source's directory (its real path), and the source as first
    /// given: `www1`, `www1/` and `./www1` are one.
    sources: BTreeMap<PathBuf, Arc<str>>,
    /// Regular files met, found before or not: a directory whose files were
    /// all named before holds logs all the same.
    files_met: usize,
    /// The output folder's real path, its path as shown, and the names of
    /// the files a scan writes in it.
    out: Option<(PathBuf, String, &'a [&'a str])>,
    /// Real paths met, in sets that are hashed: a path compared part by
    /// part in a sorted set took a tenth of the scan of 109,747 small files.
    /// Each directory's real path, and the source it was first walked in.
    seen_dirs: HashMap<PathBuf, Arc<str>>,
    /// Each file's real path, and the source it was found in.
    seen_files: HashMap<PathBuf, Arc<str>>,
    /// The source of a file met again from the path given now, when another
    /// source was the first to hold it, or will be.
    met_in_other_source: Option<Arc<str>>,
    /// The place among the paths given of the one walked now.
    given_now: usize,
    /// The directories given, each with its place among the paths given,
    /// its real path and its path as given: a link out of the one walked
    /// now into one given after it is that one's.
    given_dirs: Vec<(usize, PathBuf, PathBuf)>,
    found: Vec<InputFile>,
    problems: Vec<InputError>,
}

impl Walk<'_> {
    /// The source of the files found from `path`, given on the command
    /// line: a directory is one, a file is its real directory's (two
    /// servers' logs linked into one folder are two sources).
    fn source_of(&mut self, path: &Path) -> Arc<str> {
        let given = match path.is_dir() {
            true => path,
            false => path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        };
        let linked_file = !path.is_dir() && path.is_symlink();
        let real = match linked_file {
            true => fs::canonicalize(path)
                .ok()
                .and_then(|file| file.parent().map(Path::to_path_buf)),
            false => fs::canonicalize(given).ok(),
        };
        let real = real.unwrap_or_else(|| given.to_path_buf());
        // A directory named for a day (or month, or hour) is that day of
        // the logs of the directory above it: as days, one server's lost
        // day was no source's gap.
        let dated = time_parts_at_end(&real);
        let unstripped = real.clone();
        let real = real.ancestors().nth(dated).unwrap_or(&real).to_path_buf();
        let shown = match strip_parts(given, &unstripped, dated) {
            Some(given) if !linked_file => escape_path(given),
            _ => escape_path(&real),
        };
        self.sources
            .entry(real)
            .or_insert_with(|| Arc::from(shown))
            .clone()
    }

    fn visit(&mut self, path: &Path) {
        let real = match fs::canonicalize(path) {
            Ok(real) => real,
            Err(e) => {
                self.problems.push(InputError::Unreadable {
                    path: escape_path(path),
                    message: e.to_string(),
                });
                return;
            }
        };
        // Only a link leads out of the directory given.
        if let Some(owner) = self.given_later_as_its_own(&real) {
            self.met_in_other_source = Some(owner);
            return;
        }
        self.visit_real(path, real);
    }

    /// Visits `path`, whose real path (no link, no `.` or `..` in it) is
    /// `real`.
    fn visit_real(&mut self, path: &Path, real: PathBuf) {
        let display = escape_path(path);
        if self.exclude.iter().any(|ex| real.starts_with(ex)) {
            return;
        }

        let in_output_folder = self
            .out
            .as_ref()
            .is_some_and(|(out, ..)| real.starts_with(out));
        match fs::metadata(&real) {
            Ok(meta) if meta.is_file() && in_output_folder => {
                self.left_in_output_folder(real, display)
            }
            Ok(meta) if meta.is_dir() => self.visit_dir(path, real, display),
            Ok(meta) if !meta.is_file() => self.problems.push(InputError::NotRegularFile {
                path: display,
                kind: special_kind(&meta.file_type()).to_string(),
            }),
            Ok(meta) => {
                self.files_met += 1;
                // A file reached twice (through a link, or named twice) is
                // one file: reading it twice would count its requests twice.
                match self.seen_files.get(&real) {
                    Some(first) if *first != self.source => {
                        self.met_in_other_source = Some(first.clone());
                    }
                    Some(_) => {}
                    None => {
                        self.seen_files.insert(real.clone(), self.source.clone());
                        self.found.push(InputFile {
                            path: path.to_path_buf(),
                            display,
                            size: meta.len(),
                            real_path: Some(real),
                            source: self.source.clone(),
                        });
                    }
                }
            }
            Err(e) => self.problems.push(InputError::Unreadable {
                path: display,
                message: e.to_string(),
            }),
        }
    }

    /// The source of a directory given later that holds `real`, reached
    /// through a link out of the directory given now: the file or folder is
    /// that directory's, to be found when it is walked. (`scan other
    /// single`, with `other/access.log` a link to `single/access.log`, gave
    /// the log to `other`, and said `single` had none of its own.)
    fn given_later_as_its_own(&mut self, real: &Path) -> Option<Arc<str>> {
        let now = self.given_now;
        let (_, root, _) = self.given_dirs.iter().find(|(index, ..)| *index == now)?;
        if real.starts_with(root) {
            return None;
        }
        let (.., given) = (self.given_dirs.iter())
            .find(|(index, later, _)| *index > now && real.starts_with(later))?;
        let given = given.clone();
        Some(self.source_of(&given))
    }

    /// A file under the output folder: left out, and named unless the
    /// scan writes it.
    fn left_in_output_folder(&mut self, real: PathBuf, display: String) {
        let Some((out, out_display, writes)) = &self.out else {
            return;
        };
        let written = real.parent() == Some(out.as_path())
            && real
                .file_name()
                .is_some_and(|name| writes.iter().any(|w| name == *w));
        if !written && self.seen_files.insert(real, self.source.clone()).is_none() {
            self.problems.push(InputError::InOutputFolder {
                path: display,
                out: out_display.clone(),
            });
        }
    }

    fn visit_dir(&mut self, path: &Path, real: PathBuf, display: String) {
        if let Some(first) = self.seen_dirs.get(&real) {
            if *first != self.source {
                self.met_in_other_source = Some(first.clone());
            }
            self.problems
                .push(InputError::SymlinkLoop { path: display });
            return;
        }
        self.seen_dirs.insert(real.clone(), self.source.clone());
        let entries = match fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => {
                self.problems.push(InputError::UnlistableDirectory {
                    path: display,
                    message: e.to_string(),
                });
                return;
            }
        };
        // A child that is not a link is in the real directory under its
        // own name: resolving its path again (a system call per part of
        // it) would cost more than reading a small log.
        let mut children: Vec<(OsString, Option<PathBuf>)> = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => {
                    let link = entry.file_type().map_or(true, |t| t.is_symlink());
                    let name = entry.file_name();
                    let real_child = (!link).then(|| real.join(&name));
                    children.push((name, real_child));
                }
                Err(e) => self.problems.push(InputError::UnlistableDirectory {
                    path: display.clone(),
                    message: e.to_string(),
                }),
            }
        }
        // The children of one directory sort by name as their paths do,
        // without comparing the directory's path part by part each time.
        children.sort_unstable_by(|(a, _), (b, _)| a.as_bytes().cmp(b.as_bytes()));
        for (name, real_child) in children {
            let child = path.join(name);
            match real_child {
                Some(real_child) => self.visit_real(&child, real_child),
                None => self.visit(&child),
            }
        }
    }
}

/// How many of the last parts of `dir` name a time, not a place: a day
/// (`2023-05-03`, `20230503`, `dt=2023-05-03`), a month (`2023-05`), an
/// hour, and a year with the months, days and hours under it
/// (`2023/05/03/14`, as AWS stores load balancers' logs). A year alone
/// (`2001`), or a month written as six digits, is no time: servers and
/// stores are numbered so, and two servers taken for two years were one
/// source, whose lines hid either's loss.
fn time_parts_at_end(dir: &Path) -> usize {
    let parts: Vec<Option<&str>> = part_names(dir).map(|n| n.and_then(OsStr::to_str)).collect();
    let mut count = 0;
    while count < parts.len() && names_time(&parts[..parts.len() - count], count > 0) {
        count += 1;
    }
    count
}

/// Whether the last of `parts` names a time (see `time_parts_at_end`);
/// `time_below` says whether the part below it does.
fn names_time(parts: &[Option<&str>], time_below: bool) -> bool {
    let Some((Some(name), above)) = parts.split_last() else {
        return false;
    };
    match TimeName::of(name) {
        Some(TimeName::Time) => true,
        Some(TimeName::Year) => time_below,
        Some(TimeName::Under) => names_time(above, true),
        None => false,
    }
}

/// How a directory's name names a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeName {
    /// A day, a month or an hour, or a partition named for one.
    Time,
    /// A year (or `YYYYMM`): a time only with times under it.
    Year,
    /// One or two digits: a month, day or hour under a time.
    Under,
}

impl TimeName {
    fn of(name: &str) -> Option<TimeName> {
        // Partitions as Hive and Athena name them: `dt=2023-05-03`.
        if let Some((key, value)) = name.split_once('=') {
            const KEYS: [&str; 9] = ["dt", "date", "ds", "day", "month", "year", "hour", "d", "h"];
            let time = KEYS.iter().any(|k| key.eq_ignore_ascii_case(k))
                && !value.is_empty()
                && value
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"-_.".contains(&b));
            return time.then_some(TimeName::Time);
        }
        if (1..=2).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_digit()) {
            return Some(TimeName::Under);
        }
        let groups = date_groups(name)?;
        let ranges = [1970..=2100, 1..=12, 1..=31, 0..=23];
        let in_range = groups.len() <= ranges.len()
            && groups
                .iter()
                .zip(ranges)
                .all(|(group, range)| range.contains(group));
        match (in_range, groups.len(), name.contains(['-', '_', '.'])) {
            (false, ..) => None,
            (true, 1, _) | (true, 2, false) => Some(TimeName::Year),
            _ => Some(TimeName::Time),
        }
    }
}

/// The numbers of a name made of a four-digit year and two-digit groups
/// after it, parted by `-`, `_` or `.` or not at all; `None` for any other
/// name.
fn date_groups(name: &str) -> Option<Vec<u32>> {
    if !name
        .bytes()
        .all(|b| b.is_ascii_digit() || b"-_.".contains(&b))
    {
        return None;
    }
    // ASCII alone from here: cut anywhere.
    let texts: Vec<&str> = match name.contains(['-', '_', '.']) {
        true => name.split(['-', '_', '.']).collect(),
        false if name.len() >= 4 && name.len() % 2 == 0 => {
            let (year, rest) = name.split_at(4);
            std::iter::once(year)
                .chain((0..rest.len()).step_by(2).map(|at| &rest[at..at + 2]))
                .collect()
        }
        false => return None,
    };
    let widths_fit = texts[0].len() == 4 && texts[1..].iter().all(|t| t.len() == 2);
    widths_fit.then(|| texts.iter().map(|t| t.parse().ok()).collect())?
}

/// The name of each part of `path`; `None` for a root, `.` or `..`.
fn part_names(path: &Path) -> impl DoubleEndedIterator<Item = Option<&OsStr>> {
    path.components().map(|part| match part {
        Component::Normal(name) => Some(name),
        _ => None,
    })
}

/// `given` without the last `count` parts, when they are the names the
/// last parts of its real path `real` have (a link to a dated folder is
/// not stripped by the names of its link).
fn strip_parts<'p>(given: &'p Path, real: &Path, count: usize) -> Option<&'p Path> {
    let last = |path| -> Vec<Option<&OsStr>> { part_names(path).rev().take(count).collect() };
    let (given_last, real_last) = (last(given), last(real));
    if given_last.len() < count || given_last.contains(&None) || given_last != real_last {
        return None;
    }
    let stripped = given.ancestors().nth(count)?;
    match stripped.as_os_str().is_empty() {
        true => Some(Path::new(".")),
        false => Some(stripped),
    }
}

/// What a file that is neither a regular file nor a directory is.
fn special_kind(file_type: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "named pipe"
    } else if file_type.is_socket() {
        "socket"
    } else if file_type.is_block_device() {
        "block device"
    } else if file_type.is_char_device() {
        "character device"
    } else {
        "special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_named_for_a_time_are_found() {
        let table: &[(&str, usize)] = &[
            ("/logs/www1", 0),
            ("/logs/2023-05-03", 1),
            ("/logs/20230503", 1),
            ("/logs/2023_05", 1),
            ("/logs/2023.05.03", 1),
            ("/logs/2023-05-03-14", 1),
            ("/AWSLogs/1234/elasticloadbalancing/eu-west-1/2023/05/03", 3),
            ("/logs/2023/05/03/14", 4),
            ("/logs/2023/05", 2),
            ("/logs/dt=2023-05-03", 1),
            ("/logs/year=2023/month=05/day=03", 3),
            // Numbers that are no time: servers, stores, or no date.
            ("/sites/2001", 0),
            ("/sites/201205", 0),
            ("/logs/www/1", 0),
            ("/logs/05/03", 0),
            ("/logs/2023-13-01", 0),
            ("/logs/2023-05-32", 0),
            ("/logs/12345", 0),
            ("/logs/1234", 0),
            ("/logs/2023-05-03x", 0),
            ("/logs/host=2023-05-03", 0),
            ("/logs/dt=2023-05-03/x", 0),
            // Names outside ASCII are no time, and cut nowhere.
            ("/logs/日志", 0),
            ("/logs/café1", 0),
            ("/logs/２０２３-05-03", 0),
            ("2023/05", 2),
        ];
        for (dir, want) in table {
            assert_eq!(time_parts_at_end(Path::new(dir)), *want, "{dir}");
        }
        let strip = |given: &'static str, real: &str, count| {
            strip_parts(Path::new(given), Path::new(real), count)
        };
        assert_eq!(strip("a/2023/05", "/x/a/2023/05", 2), Some(Path::new("a")));
        assert_eq!(
            strip("2023-05-03", "/x/2023-05-03", 1),
            Some(Path::new("."))
        );
        assert_eq!(strip(".", "/x/2023-05-03", 1), None);
        assert_eq!(strip("a/..", "/x/2023-05-03", 1), None);
        // A link named otherwise than the dated folder it leads to.
        assert_eq!(strip("cur/today", "/x/www1/2024-03-01", 1), None);
    }

    #[test]
    fn walks_sorted_and_survives_loops() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/inner")).unwrap();
        fs::write(root.join("b/inner/z.log"), "z").unwrap();
        fs::write(root.join("a.log"), "a").unwrap();
        fs::create_dir_all(root.join("out")).unwrap();
        fs::write(root.join("out/requests.csv"), "x").unwrap();
        // Logs put inside the output folder, and a file named like an
        // output that the scan does not write there.
        fs::create_dir_all(root.join("out/logs")).unwrap();
        fs::write(root.join("out/logs/www2.log"), "w").unwrap();
        fs::write(root.join("out/logs/requests.csv"), "x").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root, root.join("b/inner/loop")).unwrap();
            std::os::unix::fs::symlink(root.join("a.log"), root.join("b/alias.log")).unwrap();
        }
        fs::write(root.join("case.toml"), "[case]").unwrap();
        let out = root.join("out");
        let out = OutputFolder {
            path: &out,
            writes: &["requests.csv"],
        };
        // The log inside the output folder is named on the command line too.
        let named = root.join("out/logs/www2.log");
        let found = discover(
            &[root.to_path_buf(), named],
            Some(out),
            &[&root.join("case.toml")],
        );
        let names: Vec<String> = found
            .files
            .iter()
            .map(|f| f.path.strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.log", "b/inner/z.log"]);
        let problems: Vec<String> = found
            .problems
            .iter()
            .filter(|p| !matches!(p, InputError::SymlinkLoop { .. }))
            .map(|p| p.to_string().replace(&root.display().to_string(), "ROOT"))
            .collect();
        let not_read = |file: &str| {
            format!(
                "ROOT/out/logs/{file}: inside the output folder ROOT/out; not read \
                 (move the logs out of it, or write the outputs elsewhere)"
            )
        };
        assert_eq!(problems, [not_read("requests.csv"), not_read("www2.log")]);
        #[cfg(unix)]
        assert_eq!(found.problems.len(), 3);
    }

    #[test]
    fn named_pipes_are_named_and_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("access.log");
        let made = std::process::Command::new("mkfifo").arg(&pipe).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo is not available; skipped");
            return;
        }
        // Opening the pipe would block for ever: discovery must not.
        let found = discover(&[dir.path().to_path_buf()], None, &[]);
        assert!(found.files.is_empty());
        assert_eq!(
            found
                .problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>(),
            [
                format!(
                    "{}: not a regular file (named pipe); not read",
                    pipe.display()
                ),
                format!("{}: no log file in this directory", dir.path().display())
            ]
        );
    }

    #[test]
    fn missing_paths_are_problems_not_panics() {
        let found = discover(&[PathBuf::from("/no/such/logwitness/input")], None, &[]);
        assert!(found.files.is_empty());
        assert_eq!(found.problems.len(), 1);
    }
}
