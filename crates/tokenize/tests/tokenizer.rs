//! The reader API: loading a tokenizer from an artifact, user dictionaries, encode/decode.

mod common;

use common::clean_artifact;
use tokenize::{Level, TokenizeConfig, TokenizeError, Tokenizer, read_u32_stream, run};

/// A split for texts of a few paragraphs, which cannot fill a valid and a test split.
const TRAIN_ONLY: &str = "100/0/0";

const DICT: &str = "令狐冲 1000000 nr\n";

const NOVEL: &str = "令狐冲笑道：“师父，我们走吧。”\n岳不群点了点头，令狐冲便去了。\n华山派弟子都在练剑，令狐冲也在。\n";

fn word_tokenizer(
    root: &std::path::Path,
    user_dict: Option<&str>,
) -> (Tokenizer, std::path::PathBuf) {
    let clean = clean_artifact(root, &[("a.txt", NOVEL)]);
    let user_dict = user_dict.map(|text| {
        let path = root.join("names.dict");
        std::fs::write(&path, text).unwrap();
        path
    });
    // everything in train: the tests read the tokenizer, not the splits
    let config = TokenizeConfig {
        user_dict,
        split: TRAIN_ONLY.parse().unwrap(),
        ..TokenizeConfig::default()
    };
    let out = run(&clean, None, &config, artifact::Existing::Reuse).unwrap();
    let dir = out.artifact.dir().to_path_buf();
    (Tokenizer::open(&dir).unwrap(), dir)
}

#[test]
fn user_dictionary_keeps_a_name_whole() {
    // jieba's default dictionary holds 令狐冲 but also 令狐冲笑, so 令狐冲笑道 ("Linghu Chong said
    // with a smile", frequent in the novel) loses the name; a user dictionary entry with a high
    // frequency restores it.
    let root = tempfile::tempdir().unwrap();
    let (plain, _) = word_tokenizer(root.path(), None);
    assert_eq!(plain.segment("令狐冲笑道"), ["令狐冲笑", "道"]);
    assert!(plain.vocab().id("令狐冲笑").is_some());

    let root = tempfile::tempdir().unwrap();
    let (named, dir) = word_tokenizer(root.path(), Some(DICT));
    let cut = named.segment("令狐冲笑道");
    assert_eq!(cut[0], "令狐冲", "with the dictionary: {cut:?}");
    assert_eq!(cut.concat(), "令狐冲笑道");
    let id = named.vocab().id("令狐冲").unwrap();
    assert_eq!(named.vocab().count(id), 3);
    assert_eq!(named.vocab().id("令狐冲笑"), None);

    // The loaded tokenizer reproduces the stage's train stream exactly (3 paragraphs: all train).
    let train = read_u32_stream(&dir.join("train.u32")).unwrap();
    assert_eq!(named.encode(NOVEL), train);
    assert_eq!(named.decode(&train), NOVEL);
}

#[test]
fn encode_decode_round_trip_and_eos_rules() {
    let root = tempfile::tempdir().unwrap();
    let (t, _) = word_tokenizer(root.path(), Some(DICT));
    let eos = t.vocab().eos_id();
    for text in [
        NOVEL,
        "令狐冲笑道：“我们走吧。”\n",
        "令狐冲便去了。\n\n华山派弟子",
        "",
    ] {
        let ids = t.encode(text);
        assert!(!ids.contains(&t.vocab().unk_id()), "{text}: {ids:?}");
        assert_eq!(t.decode(&ids), text);
    }
    // A trailing line without a newline gets no <eos>; each line ending gets one.
    let open = t.encode("令狐冲");
    let closed = t.encode("令狐冲\n");
    assert_eq!(open, [t.vocab().id("令狐冲").unwrap()]);
    assert_eq!(closed, [open[0], eos]);
    assert_eq!(t.encode("\n\n"), [eos, eos]);
    // Unknown tokens become <unk> and decode as the literal `<unk>`.
    let ids = t.encode("令狐冲喝酒\n");
    assert_eq!(ids[0], t.vocab().id("令狐冲").unwrap());
    assert!(ids.contains(&0));
    assert!(t.decode(&ids).starts_with("令狐冲<unk>"));
}

#[test]
fn char_level_tokenizer_cuts_every_scalar() {
    let root = tempfile::tempdir().unwrap();
    let clean = clean_artifact(root.path(), &[("a.txt", "郭靖黄蓉\n")]);
    let config = TokenizeConfig {
        level: Level::Char,
        split: TRAIN_ONLY.parse().unwrap(),
        ..TokenizeConfig::default()
    };
    let out = run(&clean, None, &config, artifact::Existing::Reuse).unwrap();
    let t = out.tokenizer().unwrap();
    assert_eq!(t.level(), Level::Char);
    assert_eq!(t.segment("郭靖a黄"), ["郭", "靖", "a", "黄"]);
    // Every character occurs once: code point order 郭 (U+90ED) 靖 (U+9756) 黄 (U+9EC4) 蓉 (U+84C9).
    assert_eq!(
        t.vocab().tokens().collect::<Vec<_>>(),
        ["<unk>", "<eos>", "蓉", "郭", "靖", "黄"]
    );
    assert_eq!(t.encode("黄蓉郭靖\n"), [5, 2, 3, 4, 1]);
    assert_eq!(t.decode(&[3, 4, 1, 5]), "郭靖\n黄");
}

#[test]
fn read_u32_stream_checks_the_length() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.u32");
    std::fs::write(&path, [1u8, 0, 0, 0, 7]).unwrap();
    let err = read_u32_stream(&path).unwrap_err();
    assert!(matches!(err, TokenizeError::StreamLength { bytes: 5, .. }));
    assert!(err.to_string().contains("bad.u32"));
    assert!(err.to_string().contains("multiple of 4"));
    std::fs::write(&path, [1u8, 0, 0, 0, 0, 1, 0, 0]).unwrap();
    assert_eq!(read_u32_stream(&path).unwrap(), [1, 256]);
}

#[test]
fn a_modified_user_dictionary_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let (_, dir) = word_tokenizer(root.path(), Some(DICT));
    let mut perms = std::fs::metadata(dir.join("user_dict.txt"))
        .unwrap()
        .permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(dir.join("user_dict.txt"), perms).unwrap();
    std::fs::write(dir.join("user_dict.txt"), "岳不群\n").unwrap();
    let err = Tokenizer::open(&dir).unwrap_err();
    assert!(err.to_string().contains("SHA-256"), "{err}");
}
