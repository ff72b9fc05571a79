//! Running the binary, reading its outputs, and golden files.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The output files every scan writes.
pub const OUTPUTS: [&str; 6] = [
    "requests.csv",
    "accessors.csv",
    "files.csv",
    "unparsed.csv",
    "coverage.csv",
    "windows.csv",
];

/// The repository root (tests run the binary from here, so paths in the
/// outputs are the short relative ones an investigator would type).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary, run from the repository root.
pub fn logwitness() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logwitness"));
    cmd.current_dir(repo());
    cmd
}

/// A finished run: its exit code, what it printed, and its output folder.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub out: tempfile::TempDir,
}

impl Run {
    /// An output file's text.
    pub fn output(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}\nstderr: {}", self.stderr))
    }

    /// stdout with the temporary output folder replaced by `OUT`.
    pub fn stdout_normalised(&self) -> String {
        self.stdout
            .replace(&self.out.path().display().to_string(), "OUT")
    }

    /// findings.md, findings.html or findings.json with what changes from run to run (the
    /// run's time, the binary's and output folder's paths) replaced.
    pub fn findings_normalised(&self, name: &str) -> String {
        let text = self.output(name);
        let stamp = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
        let started = [
            "Run started: ",
            "\"started_at\": \"",
            "<tr><th>Run started</th>",
        ];
        let text: String = text
            .lines()
            .map(|line| match started.iter().find(|p| line.contains(*p)) {
                Some(_) => stamp.replace(line, "STARTED").into_owned(),
                None => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        text.replace(env!("CARGO_BIN_EXE_logwitness"), "logwitness")
            .replace(&self.out.path().display().to_string(), "OUT")
            + "\n"
    }

    /// findings.json, parsed.
    pub fn findings_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.output("findings.json")).unwrap()
    }

    /// An output CSV as rows of cells, header first.
    pub fn csv(&self, name: &str) -> Vec<Vec<String>> {
        read_csv(&self.out.path().join(name))
    }

    /// The cells of some columns of an output CSV, row by row (header
    /// left out).
    pub fn columns(&self, name: &str, keys: &[&str]) -> Vec<Vec<String>> {
        self.records(name)
            .iter()
            .map(|r| keys.iter().map(|k| r[*k].clone()).collect())
            .collect()
    }

    /// The files.csv row of the input whose name ends with `suffix`.
    pub fn file_row(&self, suffix: &str) -> std::collections::BTreeMap<String, String> {
        self.records("files.csv")
            .into_iter()
            .find(|r| r["file"].ends_with(suffix))
            .unwrap_or_else(|| panic!("no files.csv row for {suffix}"))
    }

    /// Rows of an output CSV as maps from column to cell.
    pub fn records(&self, name: &str) -> Vec<std::collections::BTreeMap<String, String>> {
        let rows = self.csv(name);
        let (header, rows) = rows.split_first().expect("a header row");
        rows.iter()
            .map(|r| header.iter().cloned().zip(r.iter().cloned()).collect())
            .collect()
    }
}

/// Reads a CSV file into rows of cells.
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// Runs `logwitness scan ARGS --out TMP`.
pub fn scan(args: &[&str]) -> Run {
    let mut cmd = logwitness();
    cmd.arg("scan").args(args);
    run_with_out(cmd)
}

/// Runs `cmd --out TMP`.
pub fn run_with_out(mut cmd: Command) -> Run {
    let out = tempfile::tempdir().unwrap();
    let output = cmd.arg("--out").arg(out.path()).output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
    }
}

/// Compares `actual` with the golden file `dir/name`, or writes it when
/// `LOGWITNESS_BLESS` is set.
pub fn assert_golden(dir: &Path, name: &str, actual: &str) {
    let path = repo().join(dir).join(name);
    if std::env::var_os("LOGWITNESS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with LOGWITNESS_BLESS=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(5)
            .map(|(i, (e, a))| format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1))
            .collect();
        panic!(
            "{} differs ({} expected lines, {} actual); first differences:\n{}\n(run with LOGWITNESS_BLESS=1 to accept)",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

/// Checks every output of `run` against the golden files in `dir`.
pub fn assert_outputs_golden(run: &Run, dir: &Path) {
    for name in OUTPUTS {
        assert_golden(dir, name, &run.output(name));
    }
    for name in ["findings.md", "findings.html", "findings.json"] {
        assert_golden(dir, name, &run.findings_normalised(name));
    }
    assert_golden(dir, "stdout.txt", &run.stdout_normalised());
}

/// Checks that two runs wrote byte-identical outputs.
pub fn assert_same_outputs(a: &Run, b: &Run, what: &str) {
    for name in OUTPUTS {
        assert!(a.output(name) == b.output(name), "{name} differs: {what}");
    }
    assert_eq!(
        a.stdout_normalised(),
        b.stdout_normalised(),
        "stdout differs: {what}"
    );
    // The findings record the command line as typed (which names -j);
    // everything else in them must be the same.
    let without_run = |run: &Run| {
        let mut json = run.findings_json();
        json["run"] = serde_json::Value::Null;
        json
    };
    assert_eq!(
        without_run(a),
        without_run(b),
        "findings.json differs: {what}"
    );
    let without_command = |run: &Run| {
        run.findings_normalised("findings.md")
            .lines()
            .filter(|l| !l.starts_with("- Command: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        without_command(a),
        without_command(b),
        "findings.md differs: {what}"
    );
    assert!(
        html_without_run(a) == html_without_run(b),
        "findings.html differs: {what}"
    );
}

/// findings.html without the two lines that say how the run was made (its
/// start and the command line as typed): the rest depends on the inputs and
/// the case alone.
pub fn html_without_run(run: &Run) -> String {
    run.output("findings.html")
        .lines()
        .filter(|l| {
            !l.starts_with("<tr><th>Run started</th>") && !l.starts_with("<tr><th>Command</th>")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
