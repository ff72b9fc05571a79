//! Bad and awkward input: a clear message naming the file, the scan goes
//! on, and every other line is still counted.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::harness::{Run, assert_same_outputs, repo, run_with_out, scan};

/// `n` combined lines, each a request for the exposed folder.
fn lines(n: usize, first_second: usize) -> String {
    (0..n)
        .map(|i| {
            let s = first_second + i;
            format!(
                "198.51.100.{} - - [02/Mar/2024:10:{:02}:{:02} +0000] \"GET /exposed/{s}.pdf HTTP/1.1\" 200 10 \"-\" \"UA\"\n",
                s % 250 + 1,
                s / 60 % 60,
                s % 60
            )
        })
        .collect()
}

/// The SHA-256 of `bytes`, as files.csv writes it.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

fn scan_dir(dir: &Path) -> Run {
    scan(&["--exposed", "/exposed/", dir.to_str().unwrap()])
}

fn counts(run: &Run, suffix: &str) -> (u64, u64, u64) {
    let row = run.file_row(suffix);
    let n = |k: &str| row[k].parse::<u64>().unwrap();
    (n("lines"), n("parsed"), n("unparsed"))
}

#[test]
fn gzip_members_are_all_read_and_named_files_need_no_gz_suffix() {
    let dir = tempfile::tempdir().unwrap();
    let mut members = gzip(&lines(3, 0));
    members.extend(gzip(&lines(4, 3)));
    std::fs::write(dir.path().join("rotated.log.1"), &members).unwrap();
    std::fs::write(dir.path().join("plain-but-named.gz"), lines(2, 10)).unwrap();
    let run = scan_dir(dir.path());
    assert_eq!(run.stderr, "");
    assert_eq!(counts(&run, "rotated.log.1"), (7, 7, 0));
    assert_eq!(run.file_row("rotated.log.1")["compression"], "gzip");
    assert_eq!(counts(&run, "plain-but-named.gz"), (2, 2, 0));
    assert_eq!(run.file_row("plain-but-named.gz")["compression"], "none");
    // Offsets are in the decompressed stream: line 4 starts the 2nd member.
    let requests = run.records("requests.csv");
    let fourth = requests
        .iter()
        .find(|r| r["file"].ends_with("rotated.log.1") && r["line"] == "4")
        .unwrap();
    assert_eq!(fourth["offset"], lines(3, 0).len().to_string());
}

/// `text` as one bzip2, xz or zstd stream.
fn compress(compression: &str, text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    match compression {
        "bzip2" => {
            let mut e = bzip2::write::BzEncoder::new(&mut out, bzip2::Compression::default());
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap();
        }
        "xz" => {
            let mut e = liblzma::write::XzEncoder::new(&mut out, 6);
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap();
        }
        "zstd" => out = zstd::encode_all(text.as_bytes(), 3).unwrap(),
        _ => out = gzip(text),
    }
    out
}

// Issue #7: bzip2, xz and zstd are recognised by their first bytes whatever
// the file is called, read to their end across streams or frames, and a
// cut-short stream keeps what was decoded before it, with a caveat.
#[test]
fn bzip2_xz_and_zstd_are_read_whatever_the_name() {
    let dir = tempfile::tempdir().unwrap();
    for (i, compression) in ["bzip2", "xz", "zstd"].into_iter().enumerate() {
        let first = lines(3, i * 20);
        let second = lines(4, i * 20 + 3);
        let whole = [
            compress(compression, &first),
            compress(compression, &second),
        ]
        .concat();
        // Named as something else on purpose.
        std::fs::write(dir.path().join(format!("{compression}.log.gz")), &whole).unwrap();
        let cut = [
            compress(compression, &first),
            compress(compression, &lines(300, 100 + i * 300)),
        ]
        .concat();
        let keep = compress(compression, &first).len() + 40;
        std::fs::write(
            dir.path().join(format!("{compression}-cut.log")),
            &cut[..keep],
        )
        .unwrap();
    }
    let run = scan_dir(dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    for compression in ["bzip2", "xz", "zstd"] {
        let whole = format!("{compression}.log.gz");
        assert_eq!(counts(&run, &whole), (7, 7, 0), "{compression}");
        assert_eq!(run.file_row(&whole)["compression"], compression);
        assert_eq!(run.file_row(&whole)["complete"], "yes");
        let cut = format!("{compression}-cut.log");
        let row = run.file_row(&cut);
        assert_eq!(row["complete"], "no", "{compression}");
        let (lines_read, parsed, unparsed) = counts(&run, &cut);
        assert!(
            parsed >= 3 && lines_read < 303,
            "{compression}: {lines_read}"
        );
        assert_eq!(lines_read, parsed + unparsed);
        assert!(
            row["problem"].contains(&format!(
                "{cut}: {compression} stream is corrupt or truncated after"
            )),
            "{}",
            row["problem"]
        );
    }
}

#[test]
fn a_log_stored_as_utf16_is_read_as_its_text() {
    // As PowerShell's Out-File writes it: a byte-order mark, UTF-16, CRLF.
    let utf16 = |text: &str, to_bytes: fn(u16) -> [u8; 2]| -> Vec<u8> {
        let units = std::iter::once(0xFEFF).chain(text.encode_utf16());
        units.flat_map(to_bytes).collect()
    };
    let text = lines(5, 0).replace('\n', "\r\n");
    let little = utf16(&text, u16::to_le_bytes);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("exported.log"), &little).unwrap();
    let big = utf16(&lines(5, 10), u16::to_be_bytes);
    std::fs::write(dir.path().join("big.log"), big).unwrap();
    let run = scan_dir(dir.path());
    assert_eq!(run.stderr, "");
    for (name, compression) in [("exported.log", "utf-16le"), ("big.log", "utf-16be")] {
        assert_eq!(counts(&run, name), (5, 5, 0));
        let row = run.file_row(name);
        assert_eq!(
            [&row["compression"], &row["format"]],
            [compression, "combined"]
        );
    }
    // Hashed as stored; offsets are in the text read (UTF-8).
    let row = run.file_row("exported.log");
    assert_eq!(row["sha256"], sha256_hex(&little));
    let requests = run.records("requests.csv");
    let third = requests
        .iter()
        .find(|r| r["file"].ends_with("exported.log") && r["line"] == "3")
        .unwrap();
    let first_two: usize = text.split_inclusive('\n').take(2).map(str::len).sum();
    assert_eq!(third["offset"], first_two.to_string());
    assert_eq!(third["client"], "198.51.100.3");
}

#[test]
fn a_corrupt_gzip_member_keeps_the_lines_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let good = gzip(&lines(5, 0));
    let mut bad = gzip(&lines(5, 5));
    let middle = bad.len() / 2;
    for b in &mut bad[12..middle] {
        *b ^= 0x5a;
    }
    let mut data = good.clone();
    data.extend(bad);
    data.extend(gzip(&lines(5, 10)));
    std::fs::write(dir.path().join("broken.gz"), data).unwrap();
    std::fs::write(dir.path().join("fine.log"), lines(2, 20)).unwrap();
    let run = scan_dir(dir.path());
    assert_eq!(run.code, 1);
    let row = run.file_row("broken.gz");
    assert_eq!(row["complete"], "no");
    let (lines_read, parsed, _) = counts(&run, "broken.gz");
    assert!(
        lines_read >= 5 && parsed >= 5,
        "the first member's lines are kept: {lines_read}"
    );
    assert!(row["problem"].contains("broken.gz"), "{}", row["problem"]);
    assert!(
        row["problem"].contains("corrupt or truncated after"),
        "{}",
        row["problem"]
    );
    assert!(
        run.stderr.contains("broken.gz") && run.stderr.contains("decoded bytes (line"),
        "{}",
        run.stderr
    );
    // The other file was still read.
    assert_eq!(counts(&run, "fine.log"), (2, 2, 0));
}

#[test]
fn a_truncated_gzip_file_keeps_what_was_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let whole = gzip(&lines(400, 0));
    std::fs::write(dir.path().join("cut.gz"), &whole[..whole.len() * 2 / 3]).unwrap();
    let run = scan_dir(dir.path());
    assert_eq!(run.code, 1);
    let row = run.file_row("cut.gz");
    assert_eq!(row["complete"], "no");
    let (lines_read, parsed, unparsed) = counts(&run, "cut.gz");
    assert!(parsed > 0 && lines_read < 400, "{lines_read} {parsed}");
    assert_eq!(lines_read, parsed + unparsed);
}

#[test]
fn empty_dangling_and_looping_inputs_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("empty.log"), "").unwrap();
    std::fs::write(root.join("good.log"), lines(3, 0)).unwrap();
    std::os::unix::fs::symlink(root.join("gone.log"), root.join("dangling.log")).unwrap();
    std::os::unix::fs::symlink(root, root.join("loop")).unwrap();
    let run = scan_dir(root);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(counts(&run, "empty.log"), (0, 0, 0));
    assert_eq!(counts(&run, "good.log"), (3, 3, 0));
    assert!(
        run.stderr.contains("dangling.log: cannot read"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("loop: symbolic link loop"),
        "{}",
        run.stderr
    );
    let problems: Vec<String> = run
        .records("files.csv")
        .iter()
        .map(|r| r["problem"].clone())
        .collect();
    assert!(
        problems.iter().any(|p| p.contains("dangling.log")),
        "{problems:?}"
    );
}

#[test]
fn a_directory_with_no_logs_is_named() {
    let empty = tempfile::tempdir().unwrap();
    std::fs::create_dir(empty.path().join("nested")).unwrap();
    let run = scan_dir(empty.path());
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no log file in this directory"),
        "{}",
        run.stderr
    );
    // No parsed line: the run still ends in a finding, over all of time.
    let w = &run.findings_json()["windows"][0];
    assert_eq!(w["name"], "all");
    assert_eq!(w["from"], "0000-01-01T00:00:00Z");
    assert_eq!(w["to"], "9999-12-31T23:59:59Z");
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(w["caveats"][0]["kind"], "no_logs");
    assert!(
        run.stdout.contains("verdict: inconclusive"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_window_all_is_the_logs_own_span_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("access.log"), lines(3, 0)).unwrap();
    let run = scan_dir(dir.path());
    let w = &run.findings_json()["windows"][0];
    assert_eq!(
        [&w["name"], &w["from"], &w["to"]],
        ["all", "2024-03-02T10:00:00Z", "2024-03-02T10:00:02Z"]
    );
    // Its lines are served exposed requests: evidence, with the caveats.
    assert_eq!(w["verdict"], "evidence_of_access");
    let details: Vec<&str> = w["caveats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details,
        [
            "the first parsed line is at 2024-03-02T10:00:00Z, the second the window opens, not before it",
            "the last parsed line is at 2024-03-02T10:00:02Z, the second the window closes, not after it"
        ]
    );
    assert_eq!(run.code, 1);
}

#[test]
fn an_unreadable_file_is_named_and_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked.log");
    std::fs::write(&locked, lines(2, 0)).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::write(dir.path().join("open.log"), lines(2, 5)).unwrap();
    let Some(run) = scan_without_read_override(dir.path(), &locked) else {
        eprintln!("note: cannot run without permission to read anything; skipped");
        return;
    };
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("locked.log: cannot read"),
        "{}",
        run.stderr
    );
    assert_eq!(counts(&run, "open.log"), (2, 2, 0));
    let locked_row = run.file_row("locked.log");
    assert_eq!(
        (&*locked_row["lines"], &*locked_row["complete"]),
        ("0", "no")
    );
    let caveats = &run.findings_json()["windows"][0]["caveats"];
    let unread = caveats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "input_incomplete")
        .unwrap_or_else(|| panic!("{caveats}"));
    assert!(unread["detail"].as_str().unwrap().contains("locked.log"));
}

/// Scans `dir` as a process that file permissions apply to. Root reads a
/// mode-000 file regardless (CAP_DAC_OVERRIDE), and CI runs as root, so
/// there the binary runs under `setpriv` with those capabilities dropped.
/// `None` when that cannot be arranged (root without setpriv).
fn scan_without_read_override(dir: &Path, locked: &Path) -> Option<Run> {
    if std::fs::read(locked).is_err() {
        return Some(scan_dir(dir));
    }
    const DROP: &str = "-dac_override,-dac_read_search";
    let setpriv = |program: &Path| {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--bounding-set", DROP, "--inh-caps", DROP])
            .arg(program);
        cmd
    };
    let denied = setpriv(Path::new("cat"))
        .arg(locked)
        .output()
        .is_ok_and(|o| !o.status.success());
    if !denied {
        return None;
    }
    let mut cmd = setpriv(Path::new(env!("CARGO_BIN_EXE_logwitness")));
    cmd.current_dir(repo())
        .args(["scan", "--exposed", "/exposed/"])
        .arg(dir);
    Some(run_with_out(cmd))
}

#[test]
fn awkward_lines_are_counted_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = lines(2, 0).replace('\n', "\r\n").into_bytes();
    data.extend(b"\x00\x00\x00\x00\x00\x00\x00\x00\n");
    data.extend(b"\xff\xfe not text \xc3\x28\n");
    data.extend(lines(1, 2).as_bytes());
    data.extend(vec![b'A'; 10 << 20]);
    data.push(b'\n');
    data.extend(
        b"198.51.100.9 - - [31/Feb/2024:10:00:00 +0000] \"GET /exposed/x HTTP/1.1\" 200 1\n",
    );
    data.extend(b"198.51.100.9 - - [bad time] \"GET /exposed/y HTTP/1.1\" 200 1\n");
    data.extend(
        b"198.51.100.9 - - [02/Mar/2024:10:00:00 +0000] \"GET /exposed/z HTTP/1.1\" OK 1\n",
    );
    data.extend(lines(1, 3).trim_end().as_bytes());
    std::fs::write(dir.path().join("awkward.log"), &data).unwrap();
    let run = scan_dir(dir.path());
    assert_eq!(run.code, 1);
    assert_eq!(counts(&run, "awkward.log"), (10, 4, 6));
    let unparsed = run.records("unparsed.csv");
    let reasons: Vec<(String, String)> = unparsed
        .iter()
        .map(|u| (u["line"].clone(), u["reason"].clone()))
        .collect();
    let expected = [
        ("3", "no [dd/Mon/yyyy:HH:MM:SS zone] timestamp"),
        ("4", "no [dd/Mon/yyyy:HH:MM:SS zone] timestamp"),
        ("6", "no [dd/Mon/yyyy:HH:MM:SS zone] timestamp"),
        ("7", "timestamp names a date or time that does not exist"),
        ("8", "no [dd/Mon/yyyy:HH:MM:SS zone] timestamp"),
        ("9", "no quoted request followed by a status code"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(l, r)| (l.to_string(), r.to_string()))
        .collect();
    assert_eq!(reasons, expected);
    // The 10 MB line is kept as a bounded excerpt, not whole.
    assert!(unparsed[2]["excerpt"].len() < 200);
    // Invalid UTF-8 is shown escaped, never dropped.
    assert!(
        unparsed[1]["excerpt"].starts_with("\\xFF\\xFE not text \\xC3("),
        "{}",
        unparsed[1]["excerpt"]
    );
    // CRLF lines parse, and the last line without a line end still counts.
    let requests = run.records("requests.csv");
    assert_eq!(requests.len(), 4);
    assert_eq!(run.file_row("awkward.log")["final_newline"], "no");
    assert!(
        run.stderr.contains("awkward.log: 6 of 10 lines not parsed"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_arguments_and_case_files_exit_2_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.toml");
    std::fs::write(&case, "[case]\nnmae = \"typo\"\n").unwrap();
    let log = PathBuf::from("tests/fixtures/tricks/access.log");
    let table: &[(&[&str], &str)] = &[
        (&["--case", case.to_str().unwrap()], "unknown field `nmae`"),
        (
            &["--exposed", "/a/", "--window", "2024-01-02..2024-01-01"],
            "starts",
        ),
        (
            &[
                "--exposed",
                "/a/",
                "--tz",
                "Europe/London",
                "--window",
                "2024-03-31T01:30..2024-04-01",
            ],
            "does not exist",
        ),
        (&["--exposed", "regex:("], "exposed rule 'regex:('"),
        (&["--exposed", "/a/", "--allow", "10.0.0.1/8"], "host bits"),
        (&["--exposed", "/a/", "--format", "iis"], "format iis"),
        (&[], "no exposed resource"),
    ];
    for (args, message) in table {
        let mut all: Vec<&str> = args.to_vec();
        all.push(log.to_str().unwrap());
        let run = scan(&all);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(
            !run.out.path().join("requests.csv").exists(),
            "{args:?} wrote outputs"
        );
    }
    let missing = scan(&["--exposed", "/a/", "no/such/dir"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no/such/dir does not exist"),
        "{}",
        missing.stderr
    );
    // A name from a shell's glob is anyone's: its escape sequences are
    // shown, not sent to the terminal.
    let hostile = scan(&["--exposed", "/a/", "no/b\x1b[2J\x1b]0;OWNED\x07.log"]);
    assert_eq!(hostile.code, 2);
    assert!(!hostile.stderr.contains('\x1b'), "{:?}", hostile.stderr);
    assert!(
        hostile.stderr.contains("does not exist"),
        "{}",
        hostile.stderr
    );
    // detect says so alike.
    let detect = crate::harness::logwitness()
        .args(["detect", "no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(detect.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&detect.stderr);
    assert!(stderr.contains("no/such/dir does not exist"), "{stderr}");
    // A link that leads nowhere exists: a loop is an input that cannot be
    // read, not a name mistyped.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
    let looped = scan(&["--exposed", "/a/", dir.path().join("a").to_str().unwrap()]);
    assert_eq!(looped.code, 1, "{}", looped.stderr);
    assert!(
        looped.stderr.contains("Too many levels of symbolic links"),
        "{}",
        looped.stderr
    );
}

#[test]
fn a_named_pipe_is_named_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("access.log"), lines(3, 0)).unwrap();
    let pipe = dir.path().join("live.log");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo is not available; skipped");
        return;
    }
    let run = scan_dir(dir.path());
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("live.log: not a regular file (named pipe); not read"),
        "{}",
        run.stderr
    );
    assert_eq!(counts(&run, "access.log"), (3, 3, 0));
}

#[test]
fn an_interrupted_scan_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let log = lines(300_000, 0);
    std::fs::write(dir.path().join("access.log"), &log).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut child = crate::harness::logwitness()
        .args(["scan", "--exposed", "/exposed/", "--out"])
        .arg(out.path())
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    if child.try_wait().unwrap().is_some() {
        eprintln!("the scan finished before it could be interrupted; skipped");
        return;
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("logwitness: interrupted; the outputs of this run are incomplete")
    );
}

#[test]
fn an_output_folder_that_does_not_exist_yet_is_made_with_every_output() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("case/run-1");
    let output = crate::harness::logwitness()
        .args(["scan", "--quiet", "--exposed", "/forms/", "--out"])
        .arg(&out)
        .arg("sample-logs")
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for name in crate::harness::OUTPUTS.iter().chain(&["evidence.sqlite"]) {
        assert!(out.join(name).is_file(), "{name} missing");
    }
}

/// One gzip log of several megabytes is scanned in blocks on every thread:
/// the outputs are those of a scan on one thread (which decodes it where it
/// scans it, the file being under a megabyte stored), whole or cut short (the
/// decompression problem names the same line), with the lines around the
/// block boundaries each counted once.
#[test]
fn a_large_gzip_log_is_scanned_the_same_on_any_number_of_threads() {
    // About 6 MB decoded, with a line that does not parse now and then.
    let text: String = (0..60_000)
        .map(|i| {
            if i % 997 == 0 {
                "not a log line\n".to_string()
            } else {
                lines(1, i).replace(
                    "/exposed/",
                    if i % 7 == 0 { "/exposed/" } else { "/public/" },
                )
            }
        })
        .collect();
    let whole = gzip(&text);
    for (name, data) in [
        ("whole.log.gz", &whole[..]),
        ("cut.log.gz", &whole[..whole.len() * 3 / 4]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), data).unwrap();
        let path = dir.path().to_str().unwrap();
        let with = |threads: &str| scan(&["--exposed", "/exposed/", "-j", threads, path]);
        let one = with("1");
        let (lines_read, parsed, unparsed) = counts(&one, name);
        assert_eq!(lines_read, parsed + unparsed);
        if name == "whole.log.gz" {
            assert_eq!((lines_read, unparsed), (60_000, 61));
            assert_eq!(one.records("requests.csv").len(), 60_000 / 7 + 1 - 9);
        } else {
            assert!(lines_read > 30_000 && lines_read < 60_000, "{lines_read}");
            assert!(one.file_row(name)["problem"].contains("corrupt or truncated after"));
        }
        for threads in ["2", "4"] {
            assert_same_outputs(&one, &with(threads), &format!("{name}, -j {threads}"));
        }
    }
}

/// Lines an attacker (or damage) can shape so that every place a field
/// could start would send a search to the line's end: each reader still
/// counts them, keeps them as unparsed, and reads the lines after them.
#[test]
fn lines_of_false_starts_are_counted_and_kept_in_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let long = |unit: &str| unit.repeat((256 << 10) / unit.len());
    // NCSA: timestamps with no closing bracket.
    let ncsa = [
        lines(2, 0),
        long("[02/Mar/2024:10:00:00 "),
        "\n".to_string(),
        lines(1, 2),
    ]
    .concat();
    std::fs::write(dir.path().join("ncsa.log"), ncsa).unwrap();
    // HAProxy: accept dates with no closing bracket.
    let haproxy_line = |second: u32| {
        format!(
            "Mar 11 10:15:0{second} lb1 haproxy[14389]: 203.0.113.45:33317 [11/Mar/2024:10:15:0{second}.655] forms-in~ forms/srv1 10/0/30/69/109 200 48213 - - ---- 1/1/1/1/0 0/0 {{forms.example.org}} \"GET /exposed/{second}.pdf HTTP/1.1\"\n"
        )
    };
    let haproxy = [
        haproxy_line(1),
        haproxy_line(2),
        format!(
            "Mar 11 10:15:03 lb1 haproxy[14389]: {}\n",
            long("a:1 [11/Mar/2024:10:15:03 ")
        ),
        haproxy_line(4),
    ]
    .concat();
    std::fs::write(dir.path().join("haproxy.log"), haproxy).unwrap();
    // Nginx Proxy Manager: brackets with no closing text, and a served
    // 404 host's line whose agent has spaces and dashes all along.
    let npm_line = |second: u32, agent: &str| {
        format!(
            "[05/Mar/2024:09:00:0{second} +0100] 404 - GET https files.example.org \"/exposed/{second}.pdf\" [Client 203.0.113.10] [Length 150] [Gzip -] \"{agent}\" \"-\"\n"
        )
    };
    let npm = [
        npm_line(1, "curl/8.5.0"),
        npm_line(2, "curl/8.5.0"),
        long("["),
        "\n".to_string(),
        npm_line(3, &long("a -")),
        npm_line(4, "curl/8.5.0"),
    ]
    .concat();
    std::fs::write(dir.path().join("proxy-host-1_access.log"), npm).unwrap();
    let run = scan_dir(dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    for (file, format, expected) in [
        ("ncsa.log", "combined", (4, 3, 1)),
        ("haproxy.log", "haproxy", (4, 3, 1)),
        ("proxy-host-1_access.log", "nginx_proxy_manager", (5, 4, 1)),
    ] {
        assert_eq!(run.file_row(file)["format"], format, "{file}");
        assert_eq!(counts(&run, file), expected, "{file}");
    }
    let kept: Vec<(String, String, String)> = run
        .records("unparsed.csv")
        .iter()
        .map(|u| {
            let file = u["file"].rsplit('/').next().unwrap().to_string();
            (file, u["line"].clone(), u["reason"].clone())
        })
        .collect();
    let expected = [
        (
            "haproxy.log",
            "no client:port [dd/Mon/yyyy:HH:MM:SS.mmm] accept date (an HAProxy message, not a request)",
        ),
        ("ncsa.log", "no [dd/Mon/yyyy:HH:MM:SS zone] timestamp"),
        (
            "proxy-host-1_access.log",
            "ends before the last fields of the log's format string",
        ),
    ]
    .map(|(file, reason)| (file.to_string(), "3".to_string(), reason.to_string()));
    assert_eq!(kept, expected);
    // Every request for the exposed folder around them is read.
    let targets: std::collections::BTreeSet<String> = run
        .records("requests.csv")
        .iter()
        .map(|r| format!("{} {}", r["file"].rsplit('/').next().unwrap(), r["target"]))
        .collect();
    assert_eq!(targets.len(), 10, "{targets:?}");
}

/// A line of a compressed file too long to hold (16 MiB and more: a region
/// of NUL bytes a crash left, or data that decodes to gigabytes) keeps its
/// start, is read past, and is kept as unparsed and damaged; the lines after
/// it are read at their offsets, every byte is counted, and a plain copy of
/// the same content is still known as its copy.
#[test]
fn a_compressed_line_too_long_to_hold_is_kept_in_part_and_read_past() {
    let dir = tempfile::tempdir().unwrap();
    let first = lines(1, 0);
    let mut content = first.clone().into_bytes();
    content.extend(vec![0u8; 17 << 20]);
    content.push(b'\n');
    content.extend(lines(1, 1).as_bytes());
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(&content).unwrap();
    std::fs::write(dir.path().join("crashed.log.gz"), gz.finish().unwrap()).unwrap();
    let run = scan_dir(dir.path());
    assert_eq!(counts(&run, "crashed.log.gz"), (3, 2, 1));
    // On one thread, a small compressed file is decoded where it is
    // scanned; on two, with one file, on a thread of its own.
    assert!(
        std::fs::metadata(dir.path().join("crashed.log.gz"))
            .unwrap()
            .len()
            <= 1 << 20
    );
    let path = dir.path().to_str().unwrap();
    let with = |threads| scan(&["--exposed", "/exposed/", "-j", threads, path]);
    assert_same_outputs(&with("1"), &with("2"), "-j 1 and -j 2");
    let file = run.file_row("crashed.log.gz");
    assert_eq!(file["bytes_read"], content.len().to_string());
    let unparsed = run.records("unparsed.csv");
    assert_eq!(unparsed.len(), 1);
    let cut = &unparsed[0];
    assert_eq!(
        (
            cut["line"].as_str(),
            cut["offset"].as_str(),
            cut["damaged"].as_str()
        ),
        ("2", first.len().to_string().as_str(), "yes")
    );
    assert!(
        cut["reason"].contains("longer than 16 MiB"),
        "{}",
        cut["reason"]
    );
    assert!(
        cut["excerpt"].starts_with("\\x00\\x00"),
        "{}",
        cut["excerpt"]
    );
    let offsets: Vec<(String, String)> = run
        .records("requests.csv")
        .iter()
        .map(|r| (r["line"].clone(), r["offset"].clone()))
        .collect();
    let third = first.len() + (17 << 20) + 1;
    assert_eq!(
        offsets,
        [("1".into(), "0".into()), ("3".into(), third.to_string())]
    );
    // The same content stored plain: the compressed file is its copy.
    std::fs::write(dir.path().join("crashed.log"), &content).unwrap();
    let both = scan_dir(dir.path());
    assert_eq!(
        both.file_row("crashed.log.gz")["duplicate_of"],
        both.file_row("crashed.log")["file"]
    );
}

/// More plain files than a process may map at once (65,530 regions by
/// default on Linux), as archives of small logs hold: each is read in
/// turn, and none is held open or mapped from its detection to its scan.
#[test]
fn more_files_than_a_process_may_map_at_once_are_all_read() {
    const FILES: usize = 66_000;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..FILES {
        let name = dir.path().join(format!("access.log.{i:05}"));
        std::fs::write(name, lines(1, i)).unwrap();
    }
    let last = format!("/exposed/{}.pdf", FILES - 1);
    let run = scan(&["--exposed", &last, dir.path().to_str().unwrap()]);
    assert_eq!(run.stderr, "");
    let files = run.records("files.csv");
    assert_eq!(files.len(), FILES);
    let read_whole = |f: &std::collections::BTreeMap<String, String>| {
        (
            f["lines"].as_str(),
            f["parsed"].as_str(),
            f["complete"].as_str(),
        ) == ("1", "1", "yes")
    };
    assert_eq!(files.iter().filter(|f| read_whole(f)).count(), FILES);
    let requests = run.records("requests.csv");
    assert_eq!(requests.len(), 1);
    assert!(requests[0]["file"].ends_with(&format!("access.log.{}", FILES - 1)));
    assert_eq!(requests[0]["path"], last);
    // findings.html lists only the files worth a look (none here).
    let html = run.output("findings.html");
    assert!(html.contains(&format!("0 of {FILES} files are listed here")));
    assert!(html.len() < 1 << 20, "{} bytes", html.len());
}

/// Among many files the terminal names those worth a look, the first 50,
/// and says how many more there are; files.csv and unparsed.csv hold all.
#[test]
fn many_files_are_summed_up_on_the_terminal_and_listed_in_full_in_the_outputs() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..60 {
        let junk = if i < 55 { "not a log line\n" } else { "" };
        let content = format!("{}{junk}", lines(1, i));
        std::fs::write(dir.path().join(format!("access.log.{i:02}")), content).unwrap();
    }
    let run = scan_dir(dir.path());
    let stdout = run.stdout_normalised();
    let files_listed: Vec<&str> = stdout.lines().filter(|l| l.contains(" lines = ")).collect();
    assert_eq!(files_listed.len(), 50);
    assert!(files_listed[49].contains("access.log.49: 2 lines = 1 parsed + 1 not parsed"));
    assert!(stdout.contains("\n  55 files with lines not parsed, a format unknown or in doubt, copies or problems; the first 50:\n"), "{stdout}");
    assert!(
        stdout.contains("\n  ... 10 more (files.csv lists all 60)\n"),
        "{stdout}"
    );
    let warnings: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(warnings.len(), 51, "{}", run.stderr);
    assert_eq!(
        warnings[50],
        "logwitness: warning: 5 more files with lines not parsed, all kept in unparsed.csv"
    );
    assert_eq!(run.records("files.csv").len(), 60);
    assert_eq!(run.records("unparsed.csv").len(), 55);
}

/// Plain files cut into chunks of every kind: one chunk exactly the chunk
/// size long, one a byte longer, one with no line end longer than a chunk,
/// and chunks over 256 KiB (mapped, at offsets off a page boundary) beside
/// smaller ones (read). Every chunking gives the outputs of one chunk a
/// file, and the manifest's hashes are those of the files as stored.
#[test]
fn plain_files_read_in_chunks_of_any_size_give_the_same_outputs_and_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let text = lines(8_000, 0);
    let chunk = 300_001;
    let contents: [(&str, Vec<u8>); 4] = [
        ("exact.log", text.as_bytes()[..chunk].to_vec()),
        ("one-more.log", text.as_bytes()[..chunk + 1].to_vec()),
        ("no-line-end.log", vec![b'x'; chunk * 2]),
        ("large.log", text.as_bytes().to_vec()),
    ];
    for (name, content) in &contents {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let path = dir.path().to_str().unwrap();
    let with = |size: &str| scan(&["--exposed", "/exposed/", "--chunk-size", size, path]);
    let whole = with("100000000");
    for (name, content) in &contents {
        let row = whole.file_row(name);
        assert_eq!(row["sha256"], sha256_hex(content), "{name}");
        assert_eq!(row["bytes_read"], content.len().to_string(), "{name}");
    }
    assert_eq!(whole.file_row("large.log")["lines"], "8000");
    for size in [&chunk.to_string()[..], "262145", "4097"] {
        assert_same_outputs(&whole, &with(size), &format!("--chunk-size {size}"));
    }
}

/// Past 50 input problems, the terminal and standard error count the rest,
/// and findings.md names every one.
#[test]
fn many_input_problems_are_counted_past_the_first_50() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("access.log"), lines(1, 0)).unwrap();
    for i in 0..55 {
        let pipe = dir.path().join(format!("pipe{i:02}"));
        let made = std::process::Command::new("mkfifo").arg(&pipe).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo is not available; skipped");
            return;
        }
    }
    let run = scan_dir(dir.path());
    let stdout = run.stdout_normalised();
    assert_eq!(stdout.matches("\n  problem: ").count(), 50, "{stdout}");
    assert!(
        stdout.contains("\n  ... 5 more problems (findings.md and findings.json name every one)\n"),
        "{stdout}"
    );
    let warnings: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(warnings.len(), 51, "{}", run.stderr);
    assert_eq!(
        warnings[50],
        "logwitness: warning: 5 more problems with inputs; findings.md and findings.json name every one"
    );
    let md = run.output("findings.md");
    for i in 0..55 {
        let named = format!("pipe{i:02}: not a regular file (named pipe)");
        assert!(md.contains(&named), "{named}");
    }
}

/// A compressed log cut short (a load balancer's upload broken off, a log
/// rotated while written): its format is detected from the lines before
/// the damage, which are read, and the damage is a problem of the file.
#[test]
fn a_compressed_log_cut_short_is_detected_from_the_lines_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let alb = std::fs::read_to_string(repo().join("tests/fixtures/aws/alb.log")).unwrap();
    let whole = gzip(&alb);
    // The gzip trailer and the end of the deflate stream are cut off.
    std::fs::write(dir.path().join("alb.log.gz"), &whole[..whole.len() - 12]).unwrap();
    let run = scan(&["--exposed", "/", dir.path().to_str().unwrap()]);
    let file = run.file_row("alb.log.gz");
    assert_eq!(file["format"], "alb", "{file:?}");
    assert_ne!(file["confidence"], "none");
    assert!(
        file["problem"].contains("corrupt or truncated after"),
        "{file:?}"
    );
    let (lines_read, parsed, unparsed) = counts(&run, "alb.log.gz");
    assert!(lines_read > 0 && parsed + unparsed == lines_read);
    assert!(parsed + 1 >= lines_read, "{parsed} of {lines_read}");
}

#[test]
fn a_log_inside_the_output_folder_is_named_as_not_read() {
    // A log kept under the output folder was left out without a word, even
    // when named on the command line: one server's served request went
    // unread, and the run said no evidence of access with exit code 0.
    let out = tempfile::tempdir().unwrap();
    let logs = out.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("www2.log"), lines(3, 0)).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let www1 = elsewhere.path().join("www1.log");
    std::fs::write(&www1, lines(3, 10).replace("/exposed/", "/public/")).unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let mut cmd = crate::harness::logwitness();
    cmd.args(["scan", "--exposed", "/exposed/", "--window"])
        .arg("w=2024-03-02T10:00Z..2024-03-02T11:00Z")
        .args(["--out", &path(out.path()), &path(&www1), &path(&logs)]);
    let output = cmd.output().unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
    };
    assert_eq!(run.code, 1, "{}", run.stderr);
    let not_read = format!(
        "{}/www2.log: inside the output folder {}; not read",
        path(&logs),
        path(run.out.path())
    );
    assert!(run.stderr.contains(&not_read), "{}", run.stderr);
    let w = &run.findings_json()["windows"][0];
    assert_eq!(w["verdict"], "inconclusive");
    let files = run.records("files.csv");
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[1]["problem"].contains(&not_read), "{files:?}");
    // What the scan itself wrote there is not read, nor named, next time.
    let again = crate::harness::logwitness()
        .args([
            "scan",
            "--exposed",
            "/exposed/",
            "--out",
            &path(run.out.path()),
        ])
        .arg(path(run.out.path()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains(&not_read), "{stderr}");
    assert!(!stderr.contains("requests.csv"), "{stderr}");
}

#[test]
fn an_archive_or_binary_file_is_named_as_not_read() {
    // A zip of logs, or a compression not decoded (brotli has no magic
    // bytes), holds requests that were never read; with no NUL byte in it
    // by chance, nothing said so, and the run said no evidence of access.
    let dir = tempfile::tempdir().unwrap();
    let public = lines(3, 0).replace("/exposed/", "/public/");
    std::fs::write(dir.path().join("access.log"), public).unwrap();
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend((0..2000u32).map(|i| (i * 7 % 251) as u8 | 0x80));
    std::fs::write(dir.path().join("logs.zip"), &zip).unwrap();
    let run = scan_dir(dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let row = run.file_row("logs.zip");
    assert!(
        row["problem"].ends_with(
            "logs.zip: a zip archive, not read for what it holds: only its bytes as stored were, line by line (extract or decode it, and scan what it holds)"
        ),
        "{row:?}"
    );
    let w = &run.findings_json()["windows"][0];
    assert_eq!(w["verdict"], "inconclusive");
    let kinds: Vec<&str> = (w["caveats"].as_array().unwrap().iter())
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"input_incomplete"), "{kinds:?}");
    // Whatever format is given.
    let dir_arg = dir.path().to_str().unwrap();
    let given = scan(&["--exposed", "/exposed/", "--format", "combined", dir_arg]);
    assert!(given.file_row("logs.zip")["problem"].contains("a zip archive"));
}

// File names that are not UTF-8 (an old archive's Latin-1 names) were shown
// with U+FFFD: two files read alike, and `rewindow --verify` could not find
// them again.
#[test]
fn file_names_that_are_not_utf8_keep_every_byte() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    for byte in [0x9b, 0x9c] {
        let name = [b'a', byte, b'.', b'l', b'o', b'g'];
        let path = dir.path().join(std::ffi::OsStr::from_bytes(&name));
        std::fs::write(path, lines(1, byte as usize)).unwrap();
    }
    let run = scan_dir(dir.path());
    let names: Vec<String> = run
        .records("files.csv")
        .iter()
        .map(|f| f["file"].rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(names, [r"a\x9B.log", r"a\x9C.log"]);
    let verified = crate::rewindow::rewindow(run.out.path(), &["--verify"]);
    assert_eq!(verified.code, run.code, "{}", verified.stderr);
}

// A directory whose files were all named before it holds logs all the same:
// it was said to hold none, a problem that made every window inconclusive.
#[test]
fn a_directory_whose_files_were_named_before_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(&log, lines(2, 0)).unwrap();
    let run = scan(&[
        "--exposed",
        "/exposed/",
        log.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert!(!run.stderr.contains("no log file"), "{}", run.stderr);
    assert_eq!(run.records("files.csv").len(), 1);
}

/// `n` combined lines, a minute apart from midnight on 1 January 2023, each
/// a request for /forms/N.pdf.
fn minute_lines(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "203.0.113.{} - - [01/Jan/2023:{:02}:{:02}:00 +0000] \"GET /forms/{i}.pdf HTTP/1.1\" 200 5 \"-\" \"UA\"\n",
                i % 200,
                i / 60 % 24,
                i % 60
            )
        })
        .collect()
}

#[test]
fn a_file_whose_first_line_cannot_be_a_sample_is_detected_by_the_lines_after_it() {
    // A live log cut by copytruncate under a writer without O_APPEND
    // starts with a hole of NUL bytes; another opens with a request of
    // 70 KB. Each was taken as binary data or as holding no log line,
    // and none of its lines was read.
    let dir = tempfile::tempdir().unwrap();
    let hole = [vec![0u8; 200_000], minute_lines(600).into_bytes()].concat();
    std::fs::write(dir.path().join("hole.log"), hole).unwrap();
    // Copied and compressed with the rest, a hole longer than the head
    // decoded to detect by.
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&[vec![0u8; 300_000], minute_lines(600).into_bytes()].concat())
        .unwrap();
    std::fs::write(dir.path().join("hole.log.gz"), gz.finish().unwrap()).unwrap();
    let long = format!(
        "203.0.113.7 - - [01/Jan/2023:00:00:00 +0000] \"GET /search?q={} HTTP/1.1\" 414 0 \"-\" \"UA\"\n{}",
        "A".repeat(70_000),
        minute_lines(600)
    );
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(long.as_bytes()).unwrap();
    std::fs::write(dir.path().join("long.log.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.path().join("long.log"), &long).unwrap();
    let run = scan(&[
        "--exposed",
        "/forms/",
        "--window",
        "2023-01-01T01:00Z..2023-01-01T02:00Z",
        dir.path().to_str().unwrap(),
    ]);
    let files = run.columns("files.csv", &["lines", "parsed", "format"]);
    assert_eq!(
        files,
        [
            ["600", "599", "combined"],
            ["600", "599", "combined"],
            ["601", "601", "combined"],
            ["601", "601", "combined"],
        ]
    );
    // The hole's line is damaged, and bears on every window.
    let unparsed = run.columns("unparsed.csv", &["line", "offset", "damaged"]);
    assert_eq!(unparsed, [["1", "0", "yes"], ["1", "0", "yes"]]);
}
