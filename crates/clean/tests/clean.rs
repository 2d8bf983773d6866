//! The clean stage end to end on generated fixtures: encodings, whitespace, every rule, report,
//! manifest, determinism, and bad input leaving no artifact.

use clean::{CleanConfig, CleanError, Lacunae, RuleSwitches, Rules, clean_text};
use encoding_rs::GB18030;
use std::path::{Path, PathBuf};

fn gb18030(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = GB18030.encode(text);
    assert!(!unmappable, "fixture text must be encodable");
    bytes.into_owned()
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

const ADVERT_1: &str = "本书来自www.example.com免费txt小说下载站";
const ADVERT_2: &str = "更多更新免费电子书请关注www.example.com";
const CREDIT: &str = "----〖新语丝电子文库(www.xys.org)〗";

/// The 30,000-character paragraph.
fn long_paragraph() -> String {
    "侠之大者，为国为民。".repeat(3000)
}

/// A corpus with every kind of problem; returns its directory.
fn write_corpus(root: &Path) -> PathBuf {
    let dir = root.join("corpus");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    // GB18030, CRLF, U+3000 indentation, adverts at both ends and two on one line, a banner,
    // a glued credit and a character from GBK's user-defined area (bytes AA A1).
    let mut novel = gb18030(&format!(
        "{ADVERT_1}\r\n{ADVERT_2}\r\n=====\r\n第一回　风雪惊变\r\n\
         \u{3000}\u{3000}钱塘江浩浩江水，日日夜夜无穷无休的从两浙西路临安府流入大海。\r\n\
         \u{3000}\u{3000}他写下一个"
    ));
    novel.extend([0xAA, 0xA1]);
    novel.extend(gb18030(&format!(
        "字。\r\n\u{3000}\u{3000}张十五道：「好！」{CREDIT}\r\n\r\n{ADVERT_1}{ADVERT_2}\r\n"
    )));
    std::fs::write(dir.join("novel.txt"), novel).unwrap();
    // UTF-16 LE with BOM, a mail header line, a Latin phrase.
    let letter = "From: jin@example.com (Jin Yong) Date: Mon, 1 Jan 1996 00:00:00\n\
                  Subject: she diao\n\
                  \u{3000}\u{3000}Veni,  vidi,\tvici 是拉丁文。\n";
    std::fs::write(dir.join("sub/letter.txt"), utf16le_with_bom(letter)).unwrap();
    // UTF-8: a 30,000-character paragraph, a garbage line, a mis-decoded indentation run and a
    // paragraph with a lacuna.
    let long = format!(
        "\u{3000}\u{3000}{}\n\u{FFFD}\u{FFFD}??\n牋牋他来了。\n他□了。\n",
        long_paragraph()
    );
    std::fs::write(dir.join("long.txt"), long).unwrap();
    // GB18030 with one byte that is not: counted, shown as U+FFFD.
    let mut broken = gb18030(&"江湖风波恶，英雄出少年。".repeat(20));
    broken.push(0xFF);
    broken.extend(gb18030("完。\n"));
    std::fs::write(dir.join("broken.txt"), broken).unwrap();
    // Binary and non-text files.
    std::fs::write(
        dir.join("image.txt"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01",
    )
    .unwrap();
    std::fs::write(dir.join("README.md"), "# corpus\n").unwrap();
    // Corpus metadata, not text: neither cleaned nor listed as skipped.
    std::fs::write(dir.join("pipeline.toml"), "[train]\n").unwrap();
    std::fs::write(dir.join(".fetched"), "").unwrap();
    dir
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref()).unwrap()
}

#[test]
fn gbk_user_defined_area_decodes_to_private_use() {
    let (text, had_errors) = GB18030.decode_without_bom_handling(&[0xAA, 0xA1, 0xAF, 0xFE]);
    assert!(!had_errors);
    assert_eq!(text, "\u{E000}\u{E233}");
}

/// One case per detection path: BOMs, strict UTF-8, GB18030, and chardetng for the rest.
#[test]
fn encodings_are_detected_and_named() {
    let text = "郭靖道：「蓉儿，你在哪里？」黄蓉笑道：「我在这儿呢。」";
    let utf16be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let utf8_bom: Vec<u8> = [0xEF, 0xBB, 0xBF].into_iter().chain(text.bytes()).collect();
    // Big5 is traditional Chinese; its byte pairs are all valid GBK too.
    let long = "郭靖道：「蓉兒，你在哪裏？」黃蓉笑道：「我在這兒呢，靖哥哥。」".repeat(4);
    let (big5, _, unmappable) = encoding_rs::BIG5.encode(&long);
    assert!(!unmappable);
    let check = |bytes: &[u8], encoding: &str, expected: &str| {
        let decoded = clean::decode(bytes).unwrap();
        assert_eq!(decoded.encoding, encoding);
        assert_eq!(decoded.text, expected);
        assert_eq!(decoded.undecodable_bytes, 0);
    };
    check(&utf16be, "UTF-16BE (BOM)", text);
    check(&utf16le_with_bom(text), "UTF-16LE (BOM)", text);
    check(&utf8_bom, "UTF-8 (BOM)", text);
    check(text.as_bytes(), "UTF-8", text);
    check(&gb18030(text), "gb18030", text);
    check(&big5, "Big5", &long);
}

#[test]
fn corpus_is_cleaned_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let input = write_corpus(tmp.path());
    let root = tmp.path().join("artifacts");
    let outcome = clean::run(
        &input,
        &root,
        &CleanConfig::default(),
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert!(!outcome.skipped);
    let a = &outcome.artifact;

    assert_eq!(
        read(a.path("docs/novel.txt")),
        "第一回风雪惊变\n\
         钱塘江浩浩江水，日日夜夜无穷无休的从两浙西路临安府流入大海。\n\
         他写下一个\u{E000}字。\n\
         张十五道：「好！」\n"
    );
    assert_eq!(
        read(a.path("docs/sub/letter.txt")),
        "Veni, vidi, vici是拉丁文。\n"
    );
    assert_eq!(
        read(a.path("docs/long.txt")),
        format!("{}\n他来了。\n他了。\n", long_paragraph())
    );
    assert_eq!(
        read(a.path("docs/broken.txt")),
        format!("{}\u{FFFD}完。\n", "江湖风波恶，英雄出少年。".repeat(20))
    );
    assert!(!a.path("docs/image.txt").exists());

    let report: clean::Report = serde_json::from_str(&read(a.path("report.json"))).unwrap();
    let by_path = |p: &str| report.files.iter().find(|f| f.path == p).unwrap().clone();
    let counts = |p: &str| -> Vec<(String, u64)> {
        by_path(p)
            .removals
            .into_iter()
            .map(|(k, v)| (k, v.count))
            .collect()
    };
    let novel = by_path("novel.txt");
    assert_eq!(novel.encoding, "gb18030");
    assert_eq!(novel.undecodable_bytes, 0);
    assert_eq!(novel.paragraphs, 4);
    assert_eq!(
        counts("novel.txt"),
        [
            ("banners".to_owned(), 1),
            ("glued_credits".to_owned(), 1),
            ("site_adverts".to_owned(), 4)
        ]
    );
    assert_eq!(
        novel.removals["site_adverts"].examples,
        [ADVERT_1, ADVERT_2, &format!("{ADVERT_1}{ADVERT_2}")]
    );
    assert_eq!(novel.removals["glued_credits"].examples, [CREDIT]);
    let letter = by_path("sub/letter.txt");
    assert_eq!(letter.encoding, "UTF-16LE (BOM)");
    assert_eq!(letter.output, "docs/sub/letter.txt");
    assert_eq!(counts("sub/letter.txt"), [("mail_headers".to_owned(), 2)]);
    let long = by_path("long.txt");
    assert_eq!(long.encoding, "UTF-8");
    assert_eq!((long.chars_out, long.paragraphs), (30_007, 3));
    assert_eq!(long.removals["garbage_lines"].count, 2);
    assert_eq!(long.removals["lacunae"].examples, ["他□了。"]);
    assert_eq!(
        long.removals["garbage_lines"].examples,
        ["\u{FFFD}\u{FFFD}??", "牋牋"]
    );
    let broken = by_path("broken.txt");
    assert_eq!(
        (broken.encoding.as_str(), broken.undecodable_bytes),
        ("gb18030", 1)
    );

    let skipped: Vec<(&str, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("README.md", "not a .txt file"),
            ("image.txt", "binary: a PNG image")
        ]
    );
    let t = &outcome.summary;
    assert_eq!(t, &report.totals);
    assert_eq!(
        (t.files, t.skipped_files, t.paragraphs, t.undecodable_bytes),
        (4, 2, 9, 1)
    );
    assert_eq!(
        t.chars_out,
        report.files.iter().map(|f| f.chars_out).sum::<u64>()
    );
    let removals: Vec<(&str, u64)> = t.removals.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        removals,
        [
            ("banners", 1),
            ("garbage_lines", 2),
            ("glued_credits", 1),
            ("lacunae", 1),
            ("mail_headers", 2),
            ("site_adverts", 4)
        ]
    );

    let manifest = a.manifest();
    assert_eq!(manifest.metrics, serde_json::to_value(t).unwrap());
    assert_eq!(manifest.inputs.len(), 1);
    assert_eq!(manifest.inputs[0].stage, "data");
    assert_eq!(manifest.inputs[0].path, input.display().to_string());
    assert_eq!(manifest.inputs[0].id.len(), 16);
    assert_eq!(manifest.params["rules_sha256"], serde_json::Value::Null);
    assert_eq!(manifest.params["site_adverts"], true);
    assert_eq!(manifest.params["drop_chapter_headings"], false);
    let outputs: Vec<&str> = manifest.outputs.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(
        outputs,
        [
            "docs/broken.txt",
            "docs/long.txt",
            "docs/novel.txt",
            "docs/sub/letter.txt",
            "report.json"
        ]
    );
    a.verify().unwrap();
}

#[test]
fn same_input_same_id_and_bytes_changed_input_new_id() {
    let tmp = tempfile::tempdir().unwrap();
    let input = write_corpus(tmp.path());
    let config = CleanConfig::default();
    let first = clean::run(
        &input,
        &tmp.path().join("a"),
        &config,
        artifact::Existing::Reuse,
    )
    .unwrap();
    let second = clean::run(
        &input,
        &tmp.path().join("b"),
        &config,
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert_eq!(first.artifact.id(), second.artifact.id());
    assert_eq!(
        first.artifact.manifest().outputs,
        second.artifact.manifest().outputs
    );

    let again = clean::run(
        &input,
        &tmp.path().join("a"),
        &config,
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert!(again.skipped);
    assert_eq!(again.artifact.id(), first.artifact.id());
    assert_eq!(again.summary, first.summary);

    // A rule switch is part of the id.
    let mut other = config.clone();
    other.switches.banners = false;
    let switched = clean::run(
        &input,
        &tmp.path().join("a"),
        &other,
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert_ne!(switched.artifact.id(), first.artifact.id());

    // So is the corpus content.
    std::fs::write(input.join("long.txt"), "新的内容。\n").unwrap();
    let changed = clean::run(
        &input,
        &tmp.path().join("a"),
        &config,
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert!(!changed.skipped);
    assert_ne!(
        changed.artifact.manifest().inputs[0].id,
        first.artifact.manifest().inputs[0].id
    );
    assert_ne!(changed.artifact.id(), first.artifact.id());
}

/// Cleans `text` with the default switches changed by `switch`.
fn clean_with(text: &str, switch: impl Fn(&mut RuleSwitches)) -> String {
    let mut switches = RuleSwitches::default();
    switch(&mut switches);
    clean_text(text, &Rules::builtin(switches))
        .paragraphs
        .join("\n")
}

#[test]
fn every_rule_is_switchable() {
    type Switch = fn(&mut RuleSwitches);
    // (rule, input, output with the rule on, switch that turns it off, output with it off)
    let cases: [(&str, &str, &str, Switch, &str); 8] = [
        (
            "site_adverts",
            "正文。\n本书来自www.example.com免费txt小说下载站",
            "正文。",
            |s| s.site_adverts = false,
            "正文。\n本书来自www.example.com免费txt小说下载站",
        ),
        (
            "glued_credits",
            "他笑了。----〖新语丝电子文库(www.xys.org)〗",
            "他笑了。",
            |s| s.glued_credits = false,
            "他笑了。----〖新语丝电子文库(www.xys.org)〗",
        ),
        (
            "mail_headers",
            "From: a@b.org Date: 1996\n正文。",
            "正文。",
            |s| s.mail_headers = false,
            "From: a@b.org Date: 1996\n正文。",
        ),
        (
            "banners",
            "=====\n正文。\n* * *",
            "正文。",
            |s| s.banners = false,
            "=====\n正文。\n* * *",
        ),
        (
            "garbage_lines",
            "?\u{FFFD}\u{E000}\n牋牋正文。",
            "正文。",
            |s| s.garbage_lines = false,
            "?\u{FFFD}\u{E000}\n牋牋正文。",
        ),
        (
            "lacunae",
            "浦映□花花映浦。\n正文。\n□□□□，多情争",
            "浦映花花映浦。\n正文。\n，多情争",
            |s| s.lacunae = Lacunae::Keep,
            "浦映□花花映浦。\n正文。\n□□□□，多情争",
        ),
        (
            "chapter_headings",
            "第一回　风雪惊变\n正文。\n一　　灭门\n正文。",
            "第一回风雪惊变\n正文。\n一灭门\n正文。",
            |s| s.drop_chapter_headings = true,
            "正文。\n正文。",
        ),
        (
            "tables_of_contents",
            "目录\n第一回　甲\n第二回　乙\n第一回　甲\n正文。\n第二回　乙\n正文。",
            "目录\n第一回甲\n第二回乙\n第一回甲\n正文。\n第二回乙\n正文。",
            |s| s.drop_tables_of_contents = true,
            "第一回甲\n正文。\n第二回乙\n正文。",
        ),
    ];
    for (rule, input, on, switch, off) in cases {
        assert_eq!(clean_with(input, |_| {}), on, "rule {rule} at its default");
        assert_eq!(clean_with(input, switch), off, "rule {rule} switched");
    }
}

#[test]
fn punctuation_and_whitespace() {
    let input = "\u{3000}\u{3000}「好！」他道：『走吧……』——\u{A0}真的？\r\n\
                 \u{200B}Hello,\u{3000}world!  你 好 。\r\r\n\t\n";
    assert_eq!(
        clean_with(input, |_| {}),
        "「好！」他道：『走吧……』——真的？\nHello, world!你好。"
    );
}

fn write_rules(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("my-rules.txt");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn user_rules_are_applied_recorded_and_rebuilt_from_the_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("corpus");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(
        input.join("a.txt"),
        "正文。（手打：小明）\n手打：小红\n后文。\n",
    )
    .unwrap();
    let rules_text = "# typists\n\ntypist = （?手打：[^）]*）?\n";
    let config = CleanConfig {
        rules: Some(write_rules(tmp.path(), rules_text)),
        ..CleanConfig::default()
    };
    let root = tmp.path().join("artifacts");
    let outcome = clean::run(&input, &root, &config, artifact::Existing::Reuse).unwrap();
    let a = &outcome.artifact;
    assert_eq!(read(a.path("docs/a.txt")), "正文。\n后文。\n");
    assert_eq!(outcome.summary.removals["typist"], 2);
    assert_eq!(read(a.path("rules.txt")), rules_text);
    let sha = a.manifest().params["rules_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = a
        .manifest()
        .outputs
        .iter()
        .find(|o| o.path == "rules.txt")
        .unwrap();
    assert_eq!(listed.sha256, sha);

    let rules = Rules::from_artifact(&clean::open(a.dir()).unwrap()).unwrap();
    assert_eq!(rules.user.len(), 1);
    let cleaned = clean_text("他来了。（手打：某人）\n", &rules);
    assert_eq!(cleaned.paragraphs, ["他来了。"]);
    assert_eq!(cleaned.removals["typist"].examples, ["（手打：某人）"]);
    let bytes =
        clean::clean_document(&gb18030("本书来自www.a.com免费下载\r\n好。"), &rules).unwrap();
    assert_eq!(bytes.cleaned.paragraphs, ["好。"]);

    // Another rules file is another artifact.
    let other = CleanConfig {
        rules: Some(write_rules(tmp.path(), "typist = 手打\n")),
        ..CleanConfig::default()
    };
    assert_ne!(
        clean::run(&input, &root, &other, artifact::Existing::Reuse)
            .unwrap()
            .artifact
            .id(),
        a.id()
    );
}

/// No complete artifact (and no staging debris) under `root`.
fn assert_no_artifact(root: &Path) {
    let stage_dir = root.join("clean");
    let Ok(entries) = std::fs::read_dir(&stage_dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        assert!(
            !path.join("manifest.json").exists(),
            "complete artifact left at {}",
            path.display()
        );
        assert!(path.is_file(), "directory left at {}", path.display());
    }
}

#[test]
fn invalid_rules_files_name_the_line_and_leave_no_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    let input = write_corpus(tmp.path());
    let root = tmp.path().join("artifacts");
    let cases = [
        ("# c\nok = 好\nbad = (unclosed\n", 3, "invalid regex"),
        ("\n\nno equals sign\n", 3, "expected `name = regex`"),
        ("banners = x\n", 1, "is a built-in rule"),
        ("a = x\na = y\n", 2, "used twice"),
        ("a = x*\n", 1, "matches the empty string"),
        ("bad name = x\n", 1, "must be letters"),
    ];
    for (text, line, message) in cases {
        let path = write_rules(tmp.path(), text);
        let config = CleanConfig {
            rules: Some(path.clone()),
            ..CleanConfig::default()
        };
        let err = clean::run(&input, &root, &config, artifact::Existing::Reuse).unwrap_err();
        assert!(
            matches!(&err, CleanError::InvalidRule { line: l, .. } if *l == line),
            "{text:?}: {err}"
        );
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("{}:{line}: ", path.display())) && shown.contains(message),
            "{text:?}: {shown}"
        );
        assert_no_artifact(&root);
    }
}

#[test]
fn bad_input_is_an_error_and_leaves_no_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("artifacts");
    let config = CleanConfig::default();
    let dir = |name: &str, files: &[(&str, &[u8])]| {
        let d = tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (file, bytes) in files {
            std::fs::write(d.join(file), bytes).unwrap();
        }
        d
    };

    let missing = tmp.path().join("missing");
    let err = clean::run(&missing, &root, &config, artifact::Existing::Reuse).unwrap_err();
    assert!(matches!(err, CleanError::MissingInput { .. }), "{err}");

    let empty = dir("empty", &[]);
    let err = clean::run(&empty, &root, &config, artifact::Existing::Reuse).unwrap_err();
    assert!(matches!(err, CleanError::NoTextFiles { .. }), "{err}");

    let no_txt = dir("no-txt", &[("notes.md", b"# x\n")]);
    let err = clean::run(&no_txt, &root, &config, artifact::Existing::Reuse).unwrap_err();
    assert!(matches!(err, CleanError::NoTextFiles { .. }), "{err}");

    let useless = dir(
        "useless",
        &[
            ("bin.txt", b"\0\0\x01\x02\0\0"),
            (
                "ads.txt",
                "本书来自www.example.com免费txt小说下载站\n=====\n".as_bytes(),
            ),
        ],
    );
    let err = clean::run(&useless, &root, &config, artifact::Existing::Reuse).unwrap_err();
    assert!(matches!(err, CleanError::NoUsableText { .. }), "{err}");
    assert!(err.to_string().contains("no usable text"), "{err}");

    let unreadable = dir("unreadable", &[("good.txt", "好。\n".as_bytes())]);
    std::os::unix::fs::symlink(tmp.path().join("nowhere"), unreadable.join("ghost.txt")).unwrap();
    let err = clean::run(&unreadable, &root, &config, artifact::Existing::Reuse).unwrap_err();
    assert!(
        matches!(&err, CleanError::Read { path, .. } if path.ends_with("ghost.txt")),
        "{err}"
    );

    let not_a_rules_file = CleanConfig {
        rules: Some(tmp.path().join("no-such-rules.txt")),
        ..CleanConfig::default()
    };
    let good = dir("good", &[("good.txt", "好。\n".as_bytes())]);
    let err = clean::run(&good, &root, &not_a_rules_file, artifact::Existing::Reuse).unwrap_err();
    assert!(err.to_string().contains("no-such-rules.txt"), "{err}");

    assert_no_artifact(&root);
}

/// The process protocol through the binary: the result file names the artifact and whether
/// this run made it; `--force` makes a complete artifact again (it used to take an environment
/// variable that the library read).
#[test]
fn the_binary_reports_ran_or_skipped_and_force_makes_the_artifact_again() {
    let tmp = tempfile::tempdir().unwrap();
    let input = write_corpus(tmp.path());
    let root = tmp.path().join("artifacts");
    let result = tmp.path().join("clean.result.json");
    let run = |extra: &[&str]| {
        let mut clean = std::process::Command::new(env!("CARGO_BIN_EXE_jianghu-clean"));
        clean.arg("--input").arg(&input).arg("--output").arg(&root);
        artifact::fixture::stage_result(clean.args(extra), &result)
    };
    let first = run(&[]);
    assert_eq!(
        (first.stage.as_str(), first.outcome),
        ("clean", artifact::Outcome::Ran)
    );
    let manifest = root.join("clean").join(&first.id).join("manifest.json");
    let written = read(&manifest);
    let again = run(&[]);
    assert_eq!(
        (&again.id, again.outcome),
        (&first.id, artifact::Outcome::Skipped)
    );
    assert_eq!(read(&manifest), written);
    let forced = run(&["--force"]);
    assert_eq!(
        (&forced.id, forced.outcome),
        (&first.id, artifact::Outcome::Ran)
    );
    // A new manifest over the same id: the artifact was made again, not reused.
    assert_ne!(read(&manifest), written);
}

#[test]
fn t2s_conversion_simplifies_the_corpus_is_counted_and_is_rebuilt_from_the_artifact() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("corpus");
    std::fs::create_dir(&input).unwrap();
    // Big5, as traditional-character files often are; the second line is simplified already.
    let (big5, _, unmappable) = encoding_rs::BIG5.encode("靜夜思：床前明月光，疑是地上霜。\n");
    assert!(!unmappable);
    std::fs::write(input.join("a.txt"), big5).unwrap();
    std::fs::write(input.join("b.txt"), "浣溪沙：一曲新词酒一杯。\n").unwrap();
    let root = tmp.path().join("artifacts");
    let plain = clean::run(
        &input,
        &root,
        &CleanConfig::default(),
        artifact::Existing::Reuse,
    )
    .unwrap();
    let config = CleanConfig {
        convert: clean::Conversion::T2s,
        ..CleanConfig::default()
    };
    let converted = clean::run(&input, &root, &config, artifact::Existing::Reuse).unwrap();
    assert_ne!(plain.artifact.id(), converted.artifact.id());
    // Without a conversion the params say nothing of it, as before the option existed.
    assert!(plain.artifact.manifest().params.get("convert").is_none());
    assert_eq!(converted.artifact.manifest().params["convert"], "t2s");
    assert_eq!(
        read(plain.artifact.path("docs/a.txt")),
        "靜夜思：床前明月光，疑是地上霜。\n"
    );
    assert_eq!(
        read(converted.artifact.path("docs/a.txt")),
        "静夜思：床前明月光，疑是地上霜。\n"
    );
    assert_eq!(converted.summary.converted_chars, 1);
    assert_eq!(plain.summary.converted_chars, 0);
    let report = clean::read_report(&converted.artifact).unwrap();
    let by_path = |p: &str| {
        report
            .files
            .iter()
            .find(|f| f.path == p)
            .unwrap()
            .converted_chars
    };
    assert_eq!((by_path("a.txt"), by_path("b.txt")), (1, 0));

    // Text scored against the artifact is converted the same way.
    let rules = Rules::from_artifact(&clean::open(converted.artifact.dir()).unwrap()).unwrap();
    let cleaned = clean_text("風煙\n", &rules);
    assert_eq!(cleaned.paragraphs, ["风烟"]);
    assert_eq!(cleaned.converted_chars, 2);
}
