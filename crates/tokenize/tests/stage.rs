//! The stage end to end on tiny corpora: exact streams, stats, determinism, skipping, config.

mod common;

use common::clean_artifact;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;
use tokenize::{Level, Split, TokenizeConfig, read_u32_stream, run};

fn char_config() -> TokenizeConfig {
    TokenizeConfig {
        level: Level::Char,
        split: Split {
            train: 50,
            valid: 25,
            test: 25,
        },
        ..TokenizeConfig::default()
    }
}

/// Two documents; at 50/25/25 `a` gives train 2, valid 1, test 1 paragraphs and `b`
/// (cumulative rounding) valid 1, test 1.
const DOC_A: &str = "春花春\n秋月\n春风\n夏雨\n";
const DOC_B: &str = "花月\n月\n";

fn stream(dir: &Path, split: &str) -> Vec<u32> {
    read_u32_stream(&dir.join(format!("{split}.u32"))).unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn char_level_exact_streams_vocab_and_stats() {
    let root = tempfile::tempdir().unwrap();
    let clean = clean_artifact(root.path(), &[("a.txt", DOC_A), ("b.txt", DOC_B)]);
    let out = run(&clean, None, &char_config(), artifact::Existing::Reuse).unwrap();
    assert!(!out.skipped);
    let dir = out.artifact.dir();
    assert_eq!(dir.parent().unwrap(), root.path().join("tokenize"));

    // Train counts only: 春 2, then 月 秋 花 (1 each) in code point order; 风 夏 雨 occur only
    // in valid/test and so are not in the vocabulary.
    let tokenizer = out.tokenizer().unwrap();
    let vocab = tokenizer.vocab();
    let tokens: Vec<&str> = vocab.tokens().collect();
    assert_eq!(tokens, ["<unk>", "<eos>", "春", "月", "秋", "花"]);
    let counts: Vec<u64> = (0..vocab.len() as u32).map(|i| vocab.count(i)).collect();
    assert_eq!(counts, [0, 2, 2, 1, 1, 1]);

    assert_eq!(stream(dir, "train"), [2, 5, 2, 1, 4, 3, 1]); // 春花春 秋月
    assert_eq!(stream(dir, "valid"), [2, 0, 1, 5, 3, 1]); // 春风 花月
    assert_eq!(stream(dir, "test"), [0, 0, 1, 3, 1]); // 夏雨 月

    let s = &out.stats.splits;
    assert_eq!(
        [s.train.paragraphs, s.valid.paragraphs, s.test.paragraphs],
        [2, 2, 2]
    );
    assert_eq!(
        [s.train.documents, s.valid.documents, s.test.documents],
        [1, 2, 2]
    );
    assert_eq!([s.train.tokens, s.valid.tokens, s.test.tokens], [7, 6, 5]);
    assert_eq!(
        [s.train.characters, s.valid.characters, s.test.characters],
        [7, 6, 5]
    );
    assert_eq!([s.train.unk, s.valid.unk, s.test.unk], [0, 1, 2]);
    assert_eq!(
        [s.train.unk_rate, s.valid.unk_rate, s.test.unk_rate],
        [0.0, 0.25, 2.0 / 3.0]
    );
    assert_eq!(out.stats.overall.characters, 18);
    assert_eq!(out.stats.overall.unk_rate, 3.0 / 12.0);
    assert_eq!((out.stats.documents, out.stats.vocab_size), (2, 6));
    assert_eq!((out.stats.types_in_train, out.stats.types_kept), (4, 4));

    // stats.json and the manifest metrics say the same.
    let stats = json(&dir.join("stats.json"));
    assert_eq!(stats["splits"]["valid"]["characters"], 6);
    let m = out.artifact.manifest();
    assert_eq!(m.metrics["vocab_size"], 6);
    assert_eq!(m.metrics["tokens"]["train"], 7);
    assert_eq!(m.metrics["chars"]["test"], 5);
    assert_eq!(m.metrics["unk_rate"], 0.25);
    assert_eq!(m.inputs[0].stage, "clean");
    assert_eq!(
        m.inputs[0].path,
        format!("clean/{}", clean.file_name().unwrap().to_str().unwrap())
    );
    let outputs: Vec<&str> = m.outputs.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(
        outputs,
        [
            "stats.json",
            "test.u32",
            "train.u32",
            "valid.u32",
            "vocab.json"
        ]
    );
    out.artifact.verify().unwrap();
}

#[test]
fn min_freq_and_max_vocab_map_rare_tokens_to_unk() {
    let root = tempfile::tempdir().unwrap();
    let clean = clean_artifact(root.path(), &[("a.txt", DOC_A), ("b.txt", DOC_B)]);
    for config in [
        TokenizeConfig {
            min_freq: 2,
            ..char_config()
        },
        TokenizeConfig {
            max_vocab: Some(3),
            ..char_config()
        },
    ] {
        let out = run(&clean, None, &config, artifact::Existing::Reuse).unwrap();
        let dir = out.artifact.dir();
        let tokenizer = out.tokenizer().unwrap();
        assert_eq!(
            tokenizer.vocab().tokens().collect::<Vec<_>>(),
            ["<unk>", "<eos>", "春"]
        );
        assert_eq!(stream(dir, "train"), [2, 0, 2, 1, 0, 0, 1], "{config:?}");
        assert_eq!(stream(dir, "test"), [0, 0, 1, 0, 1]);
        assert_eq!(out.stats.splits.train.unk_rate, 3.0 / 5.0);
        assert_eq!(tokenizer.vocab().count(0), 3);
        assert_eq!((out.stats.types_in_train, out.stats.types_kept), (4, 1));
    }
}

#[test]
fn same_input_same_id_and_identical_bytes_then_skipped() {
    let roots = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    // 13 paragraphs: one each for valid and test at the default 90/5/5
    let text = "令狐冲笑道：“我们走吧。”\n岳不群点了点头。\n华山派的弟子都在练剑。\n".repeat(3);
    let mut dirs = Vec::new();
    for root in &roots {
        let clean = clean_artifact(root.path(), &[("a.txt", text.as_str()), ("b.txt", DOC_A)]);
        let out = run(
            &clean,
            None,
            &TokenizeConfig::default(),
            artifact::Existing::Reuse,
        )
        .unwrap();
        assert!(!out.skipped);
        dirs.push(out.artifact);
    }
    assert_eq!(dirs[0].id(), dirs[1].id());
    for file in [
        "vocab.json",
        "train.u32",
        "valid.u32",
        "test.u32",
        "stats.json",
    ] {
        let a = std::fs::read(dirs[0].path(file)).unwrap();
        let b = std::fs::read(dirs[1].path(file)).unwrap();
        assert_eq!(a, b, "{file} differs between runs");
    }
    // Again in the same root, via the artifact root: skipped, same artifact.
    let again = run(
        roots[0].path(),
        None,
        &TokenizeConfig::default(),
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert!(again.skipped);
    assert_eq!(again.artifact.id(), dirs[0].id());
    assert_eq!(
        again.stats.vocab_size,
        dirs[0].manifest().metrics["vocab_size"]
    );
    // Another level is another artifact.
    let chars = run(
        roots[0].path(),
        None,
        &char_config(),
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert_ne!(chars.artifact.id(), dirs[0].id());
}

#[test]
fn vocab_json_carries_the_complete_config_and_user_dict_hash() {
    let root = tempfile::tempdir().unwrap();
    let text = "令狐冲笑了。\n".repeat(10);
    let clean = clean_artifact(root.path(), &[("a.txt", text.as_str())]);
    let dict_bytes = "令狐冲 nr\n岳不群 100 nr\n".as_bytes();
    let dict = root.path().join("names.dict");
    std::fs::write(&dict, dict_bytes).unwrap();
    let config = TokenizeConfig {
        user_dict: Some(dict.clone()),
        min_freq: 1,
        max_vocab: Some(1000),
        ..TokenizeConfig::default()
    };
    let out = run(
        &clean,
        Some(&root.path().join("elsewhere")),
        &config,
        artifact::Existing::Reuse,
    )
    .unwrap();
    let vocab = json(&out.artifact.path("vocab.json"));
    let sha = Sha256::digest(dict_bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let t = &vocab["tokenizer"];
    assert_eq!(vocab["format_version"], 1);
    assert_eq!(t["level"], "word");
    assert_eq!(t["user_dict"]["sha256"], sha.as_str());
    assert_eq!(t["user_dict"]["file"], "user_dict.txt");
    assert_eq!(t["min_freq"], 1);
    assert_eq!(t["max_vocab"], 1000);
    assert_eq!(
        t["split"],
        serde_json::json!({"train": 90, "valid": 5, "test": 5})
    );
    assert_eq!(t["vocab_counts_from"], "train");
    assert!(t["segmenter"].as_str().unwrap().starts_with("jieba-rs"));
    assert_eq!(vocab["specials"], serde_json::json!({"unk": 0, "eos": 1}));
    assert_eq!(vocab["tokens"][0]["token"], "<unk>");
    assert_eq!(vocab["size"], vocab["tokens"].as_array().unwrap().len());
    assert_eq!(&out.artifact.manifest().params, t);
    assert_eq!(
        std::fs::read(out.artifact.path("user_dict.txt")).unwrap(),
        dict_bytes
    );
    // The output root was honoured and the input path is absolute there.
    assert!(
        out.artifact
            .dir()
            .starts_with(root.path().join("elsewhere/tokenize"))
    );
    assert_eq!(
        out.artifact.manifest().inputs[0].path,
        clean.display().to_string()
    );

    // Another dictionary content is another artifact; the same content at another path is not.
    let moved = root.path().join("moved.dict");
    std::fs::write(&moved, dict_bytes).unwrap();
    let same = run(
        &clean,
        Some(&root.path().join("elsewhere")),
        &TokenizeConfig {
            user_dict: Some(moved.clone()),
            ..config.clone()
        },
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert!(same.skipped);
    std::fs::write(&moved, "令狐冲 5 nr\n").unwrap();
    let other = run(
        &clean,
        Some(&root.path().join("elsewhere")),
        &TokenizeConfig {
            user_dict: Some(moved),
            ..config
        },
        artifact::Existing::Reuse,
    )
    .unwrap();
    assert_ne!(other.artifact.id(), out.artifact.id());
}
