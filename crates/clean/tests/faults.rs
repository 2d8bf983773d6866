//! Fault tests: lacunae in long paragraphs and single-paragraph files, files that mix
//! encodings or decode to implausible text, stray control bytes and binary files, and special
//! files (FIFOs, sockets, symlinks to devices) in the corpus. Every run is bounded in time (and
//! the binary in memory), so a regression fails instead of hanging or exhausting the machine.

use clean::CleanConfig;
use encoding_rs::GB18030;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one run may take before the test calls it hung.
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = GB18030.encode(text);
    assert!(!unmappable, "fixture text must be encodable");
    bytes.into_owned()
}

/// Writes `files` into `root/name/` and returns that directory.
fn corpus(root: &Path, name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, bytes) in files {
        std::fs::write(dir.join(file), bytes).unwrap();
    }
    dir
}

/// `clean::run` in a thread: a run that blocks (on a FIFO, say) fails the test after
/// [`TIME_LIMIT`] instead of hanging it.
fn run_within(
    input: &Path,
    root: &Path,
    config: &CleanConfig,
) -> Result<clean::CleanOutcome, clean::CleanError> {
    let (tx, rx) = mpsc::channel();
    let (input, root, config) = (input.to_path_buf(), root.to_path_buf(), config.clone());
    std::thread::spawn(move || {
        let _ = tx.send(clean::run(
            &input,
            &root,
            &config,
            artifact::Existing::Reuse,
        ));
    });
    rx.recv_timeout(TIME_LIMIT).unwrap_or_else(|_| {
        panic!(
            "clean::run did not return within {TIME_LIMIT:?}: it blocks reading a file that is not a regular file"
        )
    })
}

/// What a run of the binary printed.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `jianghu-clean ARGS` under a 1 GiB address-space limit, killed after [`TIME_LIMIT`]:
/// reading /dev/zero or a FIFO fails the test rather than eating the machine's memory or
/// hanging.
fn run_cli(args: &[&str]) -> Run {
    let logs = tempfile::tempdir().unwrap();
    let (out, err) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 1048576 && exec "$@""#)
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_jianghu-clean"))
        .args(args)
        .env("RAYON_NUM_THREADS", "2")
        .env("MALLOC_ARENA_MAX", "2")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIME_LIMIT {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("jianghu-clean {args:?} did not finish within {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        status,
        stdout: std::fs::read_to_string(out).unwrap(),
        stderr: std::fs::read_to_string(err).unwrap(),
    }
}

/// `jianghu-clean --input INPUT --output ROOT FLAGS…`, which must succeed.
fn clean_cli(input: &Path, root: &Path, flags: &[&str]) -> Run {
    let mut args = vec![
        "--input",
        input.to_str().unwrap(),
        "--output",
        root.to_str().unwrap(),
    ];
    args.extend(flags);
    let run = run_cli(&args);
    assert!(
        run.status.success(),
        "jianghu-clean {args:?}: {}\n{}",
        run.status,
        run.all()
    );
    run
}

/// The latest clean artifact under `root`.
fn latest(root: &Path) -> PathBuf {
    let id = std::fs::read_to_string(root.join("clean/latest")).unwrap();
    root.join("clean").join(id.trim())
}

fn report_of(artifact: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(artifact.join("report.json")).unwrap()).unwrap()
}

fn file_report<'a>(report: &'a Value, path: &str) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} is not among the cleaned files: {report:#}"))
}

/// `(path, reason)` of every skipped file.
fn skipped(report: &Value) -> Vec<(String, String)> {
    report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn doc(artifact: &Path, name: &str) -> String {
    std::fs::read_to_string(artifact.join("docs").join(name)).unwrap()
}

/// A novel-length paragraph (1,301 characters) with one lacuna mark in the middle.
fn long_paragraph_with_mark() -> (String, String) {
    let (head, tail) = ("侠之大者，为国为民。".repeat(100), "江湖。".repeat(100));
    (format!("{head}□{tail}"), format!("{head}{tail}"))
}

// ---------------------------------------------------------------------------------------------
// 1. Lacunae

#[test]
fn lacunae_are_removed_from_the_text_by_default_not_whole_paragraphs() {
    let tmp = tempfile::tempdir().unwrap();
    let (long, long_clean) = long_paragraph_with_mark();
    let novel = gbk(&format!(
        "\u{3000}\u{3000}{long}\r\n\u{3000}\u{3000}他□了。\r\n□□□□，多情争渡。\r\n"
    ));
    let input = corpus(tmp.path(), "novels", &[("novel.txt", &novel)]);
    let outcome = run_within(&input, &tmp.path().join("a"), &CleanConfig::default()).unwrap();
    let a = outcome.artifact.dir();
    assert_eq!(
        doc(a, "novel.txt"),
        format!("{long_clean}\n他了。\n，多情争渡。\n")
    );
    assert_eq!(outcome.summary.paragraphs, 3);
    let report = report_of(a);
    let lacunae = &file_report(&report, "novel.txt")["removals"]["lacunae"];
    // Three runs of marks, six characters.
    assert_eq!(
        (&lacunae["count"], &lacunae["chars"]),
        (&3.into(), &6.into())
    );
    assert_eq!(report["totals"]["removed_chars"]["lacunae"], 6);
}

#[test]
fn a_single_paragraph_file_with_a_lacuna_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (long, long_clean) = long_paragraph_with_mark();
    let input = corpus(tmp.path(), "one", &[("one.txt", long.as_bytes())]);
    let outcome = run_within(&input, &tmp.path().join("a"), &CleanConfig::default())
        .unwrap_or_else(|e| panic!("a one-paragraph file with one □ lost everything: {e}"));
    assert_eq!(
        doc(outcome.artifact.dir(), "one.txt"),
        format!("{long_clean}\n")
    );
}

#[test]
fn lacunae_modes_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (long, long_clean) = long_paragraph_with_mark();
    let text = format!("浦映□花花映浦。\n{long}\n正文。\n");
    let input = corpus(tmp.path(), "ci", &[("ci.txt", text.as_bytes())]);
    let cases: [(&str, String, u64, u64); 4] = [
        // Short paragraphs (a ci) go; the long one only loses its mark.
        (
            "--lacunae=drop-paragraph",
            format!("{long_clean}\n正文。\n"),
            2,
            9,
        ),
        // A ci of eight characters is longer than the maximum of five: it keeps its text.
        (
            "--lacunae=drop-paragraph:5",
            format!("浦映花花映浦。\n{long_clean}\n正文。\n"),
            2,
            2,
        ),
        ("--lacunae=keep", text.clone(), 0, 0),
        // What `cargo xtask bench --compare` passed before the modes existed.
        ("--lacunae=false", text.clone(), 0, 0),
    ];
    let mut ids = Vec::new();
    for (i, (flag, expected, count, chars)) in cases.into_iter().enumerate() {
        let root = tmp.path().join(format!("root{i}"));
        let run = clean_cli(&input, &root, &[flag]);
        let a = latest(&root);
        assert_eq!(doc(&a, "ci.txt"), expected, "{flag}");
        let report = report_of(&a);
        let removals = &file_report(&report, "ci.txt")["removals"];
        if count == 0 {
            assert!(removals.get("lacunae").is_none(), "{flag}: {removals}");
        } else {
            assert_eq!(removals["lacunae"]["count"], count, "{flag}");
            assert_eq!(removals["lacunae"]["chars"], chars, "{flag}");
            assert!(
                run.stdout
                    .contains(&format!("lacunae: {count} ({chars} chars)")),
                "{flag}: {}",
                run.stdout
            );
        }
        ids.push(a.file_name().unwrap().to_owned());
    }
    assert_eq!(ids[2], ids[3], "`false` and `keep` are the same setting");

    for bad in [
        "--lacunae=bogus",
        "--lacunae=drop-paragraph:0",
        "--lacunae=drop-paragraph:x",
        "--lacunae=true",
    ] {
        let root = tmp.path().join("bad");
        let run = run_cli(&[
            "--input",
            input.to_str().unwrap(),
            "--output",
            root.to_str().unwrap(),
            bad,
        ]);
        assert_eq!(run.status.code(), Some(2), "{bad}: {}", run.all());
        for mode in ["remove-mark", "drop-paragraph", "keep"] {
            assert!(run.stderr.contains(mode), "{bad}: {}", run.stderr);
        }
    }
    let help = run_cli(&["--help"]).stdout;
    for needle in [
        "--lacunae <MODE>",
        "remove-mark",
        "drop-paragraph[:N]",
        "keep",
        "500",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
}

/// The `[clean]` section of `data/songci/pipeline.toml` as the pipeline passes it
/// (`key = value` → `--key=value`), without a TOML parser: the section holds simple keys.
fn songci_clean_flags() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/songci/pipeline.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut in_clean = false;
    let mut flags = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_clean = line == "[clean]";
        } else if in_clean && !line.is_empty() && !line.starts_with('#') {
            let (key, value) = line.split_once('=').unwrap();
            let value = value.trim().trim_matches('"');
            flags.push(format!("--{}={value}", key.trim().replace('_', "-")));
        }
    }
    flags
}

#[test]
fn the_songci_corpus_drops_ci_with_a_lost_character() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "浦映□花花映浦。\n春未老，风细柳斜斜。\n□□□□，多情争渡，惊起一滩鸥鹭。\n";
    let input = corpus(tmp.path(), "songci", &[("songci-1.txt", text.as_bytes())]);
    let flags = songci_clean_flags();
    assert!(
        flags
            .iter()
            .any(|f| f.starts_with("--lacunae=drop-paragraph")),
        "{flags:?}"
    );
    let root = tmp.path().join("a");
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    clean_cli(&input, &root, &flags);
    let a = latest(&root);
    assert_eq!(doc(&a, "songci-1.txt"), "春未老，风细柳斜斜。\n");
    assert_eq!(
        file_report(&report_of(&a), "songci-1.txt")["removals"]["lacunae"]["count"],
        2
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Files that mix encodings, and implausible decodes

const LINES: [&str; 5] = [
    "郭靖道：「蓉儿，你在哪里？」",
    "黄蓉笑道：「我在这儿呢，靖哥哥。」",
    "洪七公哈哈大笑，说道：「好！好！」",
    "欧阳锋冷笑一声，转身便走。",
    "全文完。",
];

/// The five lines, line `odd` (1-based) in the other encoding.
fn mixed(base_utf8: bool, odd: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (i, line) in LINES.iter().enumerate() {
        let line = format!("{line}\r\n");
        if base_utf8 == (i + 1 != odd) {
            bytes.extend(line.as_bytes());
        } else {
            bytes.extend(gbk(&line));
        }
    }
    bytes
}

#[test]
fn a_file_that_mixes_encodings_is_decoded_line_by_line_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(
        tmp.path(),
        "mixed",
        &[
            ("utf8-with-gbk.txt", &mixed(true, 3)),
            ("gbk-with-utf8.txt", &mixed(false, 2)),
        ],
    );
    let root = tmp.path().join("a");
    let run = clean_cli(&input, &root, &[]);
    let a = latest(&root);
    let expected: String = LINES.iter().map(|l| format!("{l}\n")).collect();
    let report = report_of(&a);
    for (name, line, base, odd) in [
        ("utf8-with-gbk.txt", 3, "UTF-8", "gb18030"),
        ("gbk-with-utf8.txt", 2, "gb18030", "UTF-8"),
    ] {
        assert_eq!(doc(&a, name), expected, "{name}");
        let f = file_report(&report, name);
        assert_eq!(
            f["line_encodings"],
            serde_json::json!({base: 4, odd: 1}),
            "{name}"
        );
        let encoding = f["encoding"].as_str().unwrap();
        assert!(
            encoding.contains(base) && encoding.contains(odd),
            "{name}: {encoding}"
        );
        assert_eq!(f["undecodable_bytes"], 0, "{name}");
        let warnings = f["warnings"].to_string();
        assert!(
            warnings.contains(&format!("line {line}")) && warnings.contains(odd),
            "{name}: {warnings}"
        );
        // The console names the file, the line counts and the odd line.
        let console = run.all();
        assert!(
            console.contains(&format!("{name}: {base} 4 lines, {odd} 1 line")),
            "{console}"
        );
        assert!(
            console.contains(&format!("warning: {name}: line {line}")),
            "{console}"
        );
    }
}

#[test]
fn implausible_decodes_are_refused_or_warned_about_never_taken_for_windows_1252() {
    let tmp = tempfile::tempdir().unwrap();
    // Every character followed by a byte no Chinese encoding has: 50 of 150 bytes undecodable.
    let garbled: Vec<u8> = "江湖风波恶英雄出少年"
        .repeat(5)
        .chars()
        .flat_map(|c| {
            let mut b = gbk(&c.to_string());
            b.push(0xFF);
            b
        })
        .collect();
    // One bad byte on line 2 of an otherwise good GB18030 file.
    let mut one_bad = gbk("江湖风波恶，英雄出少年。\r\n他写下一个");
    one_bad.push(0xFF);
    one_bad.extend(gbk("字。\r\n全文完。\r\n"));
    let french = encoding_rs::WINDOWS_1252
        .encode("Le café est très bon. Où est la gare? Ça va très bien, merci.\n")
        .0
        .into_owned();
    let input = corpus(
        tmp.path(),
        "odd",
        &[
            ("garbled.txt", &garbled),
            ("one-bad.txt", &one_bad),
            ("french.txt", &french),
        ],
    );
    let root = tmp.path().join("a");
    let run = clean_cli(&input, &root, &[]);
    let a = latest(&root);
    let report = report_of(&a);

    let refused = skipped(&report);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, "garbled.txt");
    assert!(
        refused[0].1.contains("undecodable") && refused[0].1.contains("line 1"),
        "{refused:?}"
    );
    assert!(
        run.stdout.contains("garbled.txt") && run.stdout.contains("undecodable"),
        "{}",
        run.stdout
    );

    let f = file_report(&report, "one-bad.txt");
    assert_eq!(
        (&f["encoding"], &f["undecodable_bytes"]),
        (&"gb18030".into(), &1.into())
    );
    let warnings = f["warnings"].to_string();
    assert!(warnings.contains("line 2"), "{warnings}");
    assert!(
        run.stderr.contains("warning: one-bad.txt: line 2"),
        "{}",
        run.stderr
    );

    // Latin text in windows-1252 is still read as such.
    let f = file_report(&report, "french.txt");
    assert_eq!(f["encoding"], "windows-1252");
    assert_eq!(
        doc(&a, "french.txt"),
        "Le café est très bon. Où est la gare? Ça va très bien, merci.\n"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Stray control bytes and binary files

#[test]
fn stray_control_bytes_are_removed_and_counted_not_the_file_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let nul = "郭靖道：「好。」\n黄蓉\0笑道：「走吧。」\n";
    let mut ctrl = gbk("江湖\u{1}风波恶。\r\n");
    ctrl.push(0x1A); // a DOS end-of-file mark
    let input = corpus(
        tmp.path(),
        "stray",
        &[("nul.txt", nul.as_bytes()), ("ctrl.txt", &ctrl)],
    );
    let outcome = run_within(&input, &tmp.path().join("a"), &CleanConfig::default()).unwrap();
    let a = outcome.artifact.dir();
    assert_eq!(
        doc(a, "nul.txt"),
        "郭靖道：「好。」\n黄蓉笑道：「走吧。」\n"
    );
    assert_eq!(doc(a, "ctrl.txt"), "江湖风波恶。\n");
    let report = report_of(a);
    assert_eq!(skipped(&report), []);
    assert_eq!(file_report(&report, "nul.txt")["encoding"], "UTF-8");
    assert_eq!(file_report(&report, "nul.txt")["control_chars"], 1);
    assert_eq!(file_report(&report, "ctrl.txt")["control_chars"], 2);
    assert_eq!(report["totals"]["control_chars"], 3);
}

#[test]
fn binary_files_are_skipped_and_named_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let noise: Vec<u8> = (0u8..32).cycle().take(256).collect();
    let input = corpus(
        tmp.path(),
        "bin",
        &[
            ("good.txt", "好。\n".as_bytes()),
            ("image.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01"),
            ("noise.txt", &noise),
        ],
    );
    let root = tmp.path().join("a");
    let run = clean_cli(&input, &root, &[]);
    let skipped = skipped(&report_of(&latest(&root)));
    let names: Vec<&str> = skipped.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["image.txt", "noise.txt"]);
    assert!(skipped[0].1.contains("PNG"), "{skipped:?}");
    assert!(skipped[1].1.contains("control bytes"), "{skipped:?}");
    for (path, reason) in &skipped {
        assert!(
            run.stdout.contains(&format!("{path}: {reason}")),
            "{path} is not named on the console:\n{}",
            run.stdout
        );
    }
}

#[test]
fn no_usable_text_names_the_files_and_the_flag_that_keeps_them() {
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(
        tmp.path(),
        "useless",
        &[
            ("bin.txt", b"\0\0\x01\x02\0\0"),
            (
                "ads.txt",
                "本书来自www.example.com免费txt小说下载站\n".as_bytes(),
            ),
        ],
    );
    let err = run_within(&input, &tmp.path().join("a"), &CleanConfig::default()).unwrap_err();
    let shown = err.to_string();
    for needle in [
        "no usable text",
        "bin.txt",
        "binary",
        "ads.txt",
        "site_adverts",
        "--site-adverts=false",
    ] {
        assert!(shown.contains(needle), "{needle:?} missing: {shown}");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Special files

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn fifos_and_symlinks_to_devices_are_skipped_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(tmp.path(), "special", &[("good.txt", "好。\n".as_bytes())]);
    mkfifo(&input.join("pipe.txt"));
    std::os::unix::fs::symlink("/dev/null", input.join("null.txt")).unwrap();
    let outside = tmp.path().join("outside.txt");
    std::fs::write(&outside, "江湖。\n").unwrap();
    std::os::unix::fs::symlink(&outside, input.join("link.txt")).unwrap();

    let outcome = run_within(&input, &tmp.path().join("a"), &CleanConfig::default()).unwrap();
    let a = outcome.artifact.dir();
    assert_eq!(doc(a, "link.txt"), "江湖。\n");
    let skipped = skipped(&report_of(a));
    let names: Vec<&str> = skipped.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["null.txt", "pipe.txt"], "{skipped:?}");
    assert!(
        skipped[0].1.contains("symbolic link") && skipped[0].1.contains("character device"),
        "{skipped:?}"
    );
    assert!(skipped[1].1.contains("named pipe"), "{skipped:?}");
}

#[test]
fn the_binary_skips_dev_zero_fifos_and_sockets_and_names_them() {
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(tmp.path(), "special", &[("good.txt", "好。\n".as_bytes())]);
    mkfifo(&input.join("pipe.txt"));
    std::os::unix::fs::symlink("/dev/zero", input.join("zero.txt")).unwrap();
    // A socket path is limited to 107 bytes: under a long TMPDIR there is no socket to test.
    let socket = std::os::unix::net::UnixListener::bind(input.join("sock.txt"));
    if let Err(e) = &socket {
        eprintln!("no socket in this test: {e}");
    }

    let root = tmp.path().join("a");
    let run = clean_cli(&input, &root, &[]);
    let a = latest(&root);
    assert_eq!(doc(&a, "good.txt"), "好。\n");
    let skipped = skipped(&report_of(&a));
    let names: Vec<&str> = skipped.iter().map(|(p, _)| p.as_str()).collect();
    let expected: &[&str] = if socket.is_ok() {
        &["pipe.txt", "sock.txt", "zero.txt"]
    } else {
        &["pipe.txt", "zero.txt"]
    };
    assert_eq!(names, expected, "{skipped:?}");
    for (path, reason) in &skipped {
        assert!(reason.contains("only regular files"), "{path}: {reason}");
        assert!(
            run.stdout.contains(&format!("{path}: {reason}")),
            "{path} is not named on the console:\n{}",
            run.stdout
        );
    }
}
