//! `--score` and the interactive loop on a tiny random model.

mod common;

use common::{fixture, full_log_probs};
use generate::{GenerateConfig, Mode, continue_prompt, interactive, mode_choice, score_path};

#[test]
fn score_matches_a_direct_evaluation() {
    let f = fixture();
    let m = f.load();
    let v = f.tokenizer.vocab();
    let file = f.dir.path().join("novel.txt");
    std::fs::write(&file, "郭靖X黄蓉\n杨过\n".repeat(40)).unwrap();
    let r = score_path(&m, &file, false).unwrap();
    let line: Vec<u32> = [
        "郭", "靖", "<unk>", "黄", "蓉", "<eos>", "杨", "过", "<eos>",
    ]
    .iter()
    .map(|t| v.id(t).unwrap())
    .collect();
    let ids: Vec<u32> = line.iter().copied().cycle().take(9 * 40).collect();
    assert_eq!(r.tokens, ids.len(), "crosses chunk boundaries");
    assert_eq!(r.paragraphs, 80);
    assert_eq!(r.chars, 7 * 40);
    assert!((r.unk_rate - 1.0 / 9.0).abs() < 1e-12);
    let lp = full_log_probs(&m.model, &ids[..ids.len() - 1]);
    let nll: f64 = ids
        .iter()
        .enumerate()
        .map(|(i, &t)| -(lp[i][t as usize] as f64))
        .sum();
    assert!((r.mean_nll - nll / ids.len() as f64).abs() < 1e-4, "{r:?}");
    assert!((r.perplexity - r.mean_nll.exp()).abs() < 1e-9);
    assert!((r.bits_per_char - nll / std::f64::consts::LN_2 / 280.0).abs() < 1e-3);

    let folder = f.dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("b.txt"), "杨过\n").unwrap();
    std::fs::write(folder.join("a.txt"), "郭靖\n").unwrap();
    let r = score_path(&m, &folder, false).unwrap();
    assert_eq!((r.files.len(), r.tokens, r.chars), (2, 6, 4));
    assert!(score_path(&m, f.dir.path().join("empty").as_path(), false).is_err());
}

#[test]
fn interactive_answers_every_line() {
    let f = fixture();
    let m = f.load();
    let config = GenerateConfig {
        temperature: 0.0,
        num_samples: 1,
        max_tokens: 5,
        device: "cpu".into(),
        ..Default::default()
    };
    let mut out = Vec::new();
    interactive(&m, &config, "郭\n黄\n".as_bytes(), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    // the fixture is a name list: the loop is in names mode, as the stage would be
    let mode = mode_choice(&m, &config).unwrap().mode;
    assert_eq!(mode, Mode::Names);
    let first = continue_prompt(&m, &config, mode, "郭").unwrap();
    let second = continue_prompt(&m, &config, mode, "黄").unwrap();
    for name in first.iter().chain(&second) {
        assert!(!name.trim_end_matches('\n').contains('\n'), "{name:?}");
    }
    assert!(first[0].starts_with('郭') && second[0].starts_with('黄'));
    let expected = format!(
        "> {}\n\n> {}\n\n> \n",
        first[0].trim_end_matches('\n'),
        second[0].trim_end_matches('\n')
    );
    assert_eq!(out, expected);
}
