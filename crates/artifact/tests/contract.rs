//! The artifact contract end to end: ids, commit, skip, interruption, tampering, versions.

use artifact::{
    Artifact, ArtifactError, Begin, Existing, InputRef, MANIFEST_FILE, Manifest, Producer,
    StageSpec, Staging, begin,
};
use serde_json::json;
use std::path::Path;

fn spec(params: serde_json::Value) -> StageSpec {
    StageSpec {
        stage: "tokenize".into(),
        format_version: 3,
        params,
        inputs: vec![InputRef {
            stage: "clean".into(),
            id: "0123456789abcdef".into(),
            path: "clean/0123456789abcdef".into(),
        }],
    }
}

fn producer() -> Producer {
    Producer {
        crate_name: "tokenize".into(),
        version: "0.1.0".into(),
        git_rev: None,
    }
}

fn stage(root: &Path, spec: StageSpec) -> Staging {
    match begin(root, spec, producer(), Existing::Reuse).unwrap() {
        Begin::Staging(staging) => staging,
        Begin::Complete(a) => panic!("unexpected complete artifact {}", a.dir().display()),
    }
}

/// Writes a two-file artifact and commits it.
fn committed(root: &Path) -> Artifact {
    let staging = stage(root, spec(json!({"level": "word"})));
    std::fs::write(staging.dir().join("vocab.json"), "[\"<unk>\"]\n").unwrap();
    std::fs::create_dir(staging.dir().join("docs")).unwrap();
    std::fs::write(staging.dir().join("docs/a.txt"), "江湖\n").unwrap();
    staging.commit(json!({"tokens": 2})).unwrap()
}

#[test]
fn id_ignores_key_order_and_paths_but_not_params_or_upstream() {
    let a = spec(json!({"level": "word", "min_freq": 2}));
    let mut b = spec(json!({"min_freq": 2, "level": "word"}));
    b.inputs[0].path = "/elsewhere".into();
    assert_eq!(a.id(), b.id());
    assert_eq!(a.id().len(), 16);
    assert!(a.id().chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a.id(), spec(json!({"level": "word", "min_freq": 3})).id());
    let mut c = a.clone();
    c.inputs[0].id = "fedcba9876543210".into();
    assert_ne!(a.id(), c.id());
    let mut d = a.clone();
    d.format_version = 4;
    assert_ne!(a.id(), d.id());
}

#[test]
fn manifest_json_round_trips_exactly() {
    let root = tempfile::tempdir().unwrap();
    let artifact = committed(root.path());
    let text = std::fs::read_to_string(artifact.path(MANIFEST_FILE)).unwrap();
    let parsed: Manifest = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.to_json(), text);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
    for key in [
        "schema",
        "stage",
        "id",
        "format_version",
        "producer",
        "params",
        "inputs",
        "outputs",
        "metrics",
        "created_at",
        "elapsed_s",
    ] {
        assert!(
            keys.iter().any(|k| k == key),
            "manifest lacks `{key}`: {text}"
        );
    }
    assert_eq!(value["producer"]["crate"], "tokenize");
    let paths: Vec<_> = parsed.outputs.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(paths, ["docs/a.txt", "vocab.json"]);
    assert_eq!(parsed.outputs[0].bytes, "江湖\n".len() as u64);
    // sha256("江湖\n"), computed independently with `sha256sum`.
    assert_eq!(
        parsed.outputs[0].sha256,
        "45c1a789cc2affd6b291d32514284b75123bb6ef17afdaf9c761e24b6e96890f"
    );
    assert_eq!(parsed.inputs, spec(json!({})).inputs);
    assert_eq!(parsed.params, json!({"level": "word"}));
    assert_eq!(parsed.id, artifact.id());
}

#[test]
fn same_spec_is_complete_and_latest_points_at_it() {
    let root = tempfile::tempdir().unwrap();
    let first = committed(root.path());
    let latest = Artifact::latest(root.path(), "tokenize", 3).unwrap();
    assert_eq!(latest.id(), first.id());
    match begin(
        root.path(),
        spec(json!({"level": "word"})),
        producer(),
        Existing::Reuse,
    )
    .unwrap()
    {
        Begin::Complete(a) => assert_eq!(a.id(), first.id()),
        Begin::Staging(_) => panic!("a complete artifact was not recognised"),
    }
    first.verify().unwrap();
}

#[test]
fn interrupted_stage_leaves_nothing_readable() {
    let root = tempfile::tempdir().unwrap();
    let staging = stage(root.path(), spec(json!({"level": "char"})));
    std::fs::write(staging.dir().join("train.u32"), [1u8, 0, 0, 0]).unwrap();
    let final_dir = staging.final_dir().to_path_buf();
    let staging_dir = staging.dir().to_path_buf();
    // A killed process runs no destructor: forget the guard to simulate SIGKILL.
    std::mem::forget(staging);
    assert!(!final_dir.exists());
    assert!(matches!(
        Artifact::latest(root.path(), "tokenize", 3),
        Err(ArtifactError::NoLatest { .. })
    ));
    // Debris of another, dead process (pid 4000000000 cannot exist on Linux).
    let dead = staging_dir.with_file_name(format!(
        ".staging-{}-4000000000",
        spec(json!({"level": "char"})).id()
    ));
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(dead.join("train.u32"), [1u8, 0, 0, 0]).unwrap();
    // The next run of the same stage sweeps the debris and starts clean.
    let again = stage(root.path(), spec(json!({"level": "char"})));
    assert!(
        !dead.exists(),
        "a dead process's staging directory was not swept"
    );
    assert!(std::fs::read_dir(again.dir()).unwrap().next().is_none());
    // Dropping a staging directory (error path, Ctrl-C handler) removes it.
    let dir = again.dir().to_path_buf();
    drop(again);
    assert!(!dir.exists());
}

#[test]
fn directory_without_manifest_is_incomplete_and_rebuilt() {
    let root = tempfile::tempdir().unwrap();
    let artifact = committed(root.path());
    std::fs::remove_file(artifact.path(MANIFEST_FILE)).unwrap();
    let err = Artifact::open(artifact.dir(), "tokenize", 3).unwrap_err();
    assert!(matches!(err, ArtifactError::Incomplete { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&artifact.dir().display().to_string())
    );
    // begin() does not trust the manifest-less directory: it stages a fresh one.
    let staging = stage(root.path(), spec(json!({"level": "word"})));
    assert!(!artifact.dir().exists());
    assert_eq!(staging.id(), artifact.id());
}

#[test]
fn verify_names_the_tampered_file() {
    let root = tempfile::tempdir().unwrap();
    let artifact = committed(root.path());
    std::fs::write(artifact.path("docs/a.txt"), "江山\n").unwrap();
    let err = artifact.verify().unwrap_err();
    assert!(
        matches!(err, ArtifactError::Tampered { ref file, .. } if file == "docs/a.txt"),
        "{err}"
    );
    assert!(err.to_string().contains("docs/a.txt"), "{err}");

    let root = tempfile::tempdir().unwrap();
    let artifact = committed(root.path());
    std::fs::remove_file(artifact.path("vocab.json")).unwrap();
    let err = artifact.verify().unwrap_err();
    assert!(
        err.to_string().contains("vocab.json") && err.to_string().contains("missing"),
        "{err}"
    );
}

#[test]
fn verify_rejects_files_not_in_the_manifest() {
    let root = tempfile::tempdir().unwrap();
    let artifact = committed(root.path());
    std::fs::write(artifact.path("extra.txt"), "x").unwrap();
    let err = artifact.verify().unwrap_err();
    assert!(err.to_string().contains("extra.txt"), "{err}");
}

#[test]
fn unknown_format_version_names_artifact_found_and_expected() {
    let root = tempfile::tempdir().unwrap();
    let artifact = committed(root.path());
    let err = Artifact::open(artifact.dir(), "tokenize", 4).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            ArtifactError::FormatVersion {
                found: 3,
                expected: 4,
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.contains(&artifact.dir().display().to_string()),
        "{text}"
    );
    assert!(
        text.contains("version 3") && text.contains("version 4"),
        "{text}"
    );
    let err = Artifact::open(artifact.dir(), "train", 3).unwrap_err();
    assert!(matches!(err, ArtifactError::WrongStage { .. }), "{err}");
}

#[test]
fn malformed_manifest_is_an_error_naming_the_file() {
    let root = tempfile::tempdir().unwrap();
    let artifact = committed(root.path());
    std::fs::write(artifact.path(MANIFEST_FILE), "{\"schema\": 1").unwrap();
    let err = Artifact::open(artifact.dir(), "tokenize", 3).unwrap_err();
    assert!(matches!(err, ArtifactError::BadManifest { .. }), "{err}");
    assert!(err.to_string().contains("manifest.json"), "{err}");
}

#[test]
fn stage_may_not_write_its_own_manifest() {
    let root = tempfile::tempdir().unwrap();
    let staging = stage(root.path(), spec(json!({})));
    std::fs::write(staging.dir().join(MANIFEST_FILE), "{}").unwrap();
    let dir = staging.final_dir().to_path_buf();
    assert!(matches!(
        staging.commit(json!({})),
        Err(ArtifactError::Invalid { .. })
    ));
    assert!(!dir.exists());
}

#[test]
fn replacing_makes_a_complete_artifact_again_and_swaps_it_only_on_commit() {
    let root = tempfile::tempdir().unwrap();
    let first = committed(root.path());
    let begun = begin(
        root.path(),
        spec(json!({"level": "word"})),
        producer(),
        Existing::Replace,
    )
    .unwrap();
    let Begin::Staging(staging) = begun else {
        panic!("Existing::Replace must not reuse the complete artifact");
    };
    assert_eq!(staging.id(), first.id());
    // Until the new one is committed, the old artifact is still complete and readable.
    Artifact::open(first.dir(), "tokenize", 3)
        .unwrap()
        .verify()
        .unwrap();
    std::fs::write(staging.dir().join("train.u32"), [9u8, 0, 0, 0]).unwrap();
    let second = staging.commit(json!({"tokens": 2})).unwrap();
    assert_eq!(second.dir(), first.dir());
    assert_eq!(
        std::fs::read(second.path("train.u32")).unwrap(),
        [9, 0, 0, 0]
    );
    assert_eq!(second.manifest().metrics, json!({"tokens": 2}));
    second.verify().unwrap();
}

#[test]
fn verify_files_checks_only_the_named_outputs_and_says_how_to_recover() {
    let root = tempfile::tempdir().unwrap();
    let artifact = committed(root.path());
    // same size, other bytes: only the hash tells
    std::fs::write(artifact.path("docs/a.txt"), "江山\n").unwrap();
    artifact.verify_files(["vocab.json"]).unwrap();
    let err = artifact
        .verify_files(["vocab.json", "docs/a.txt"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("docs/a.txt") && err.contains("SHA-256"),
        "{err}"
    );
    assert!(err.contains("cargo xtask tokenize"), "{err}");
    let err = artifact
        .verify_files(["train.u32"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("train.u32") && err.contains("not listed"),
        "{err}"
    );
}

/// Every way an artifact of the same id can be damaged: `begin` makes it again instead of
/// reporting it complete (which would keep the damage forever) or failing on it.
#[test]
fn begin_makes_a_damaged_artifact_anew() {
    type Damage = fn(&Artifact);
    let damages: [(&str, Damage); 5] = [
        ("changed output", |a| {
            std::fs::write(a.path("docs/a.txt"), "江山\n").unwrap()
        }),
        ("missing output", |a| {
            std::fs::remove_file(a.path("vocab.json")).unwrap()
        }),
        ("broken manifest", |a| {
            std::fs::write(a.path(MANIFEST_FILE), "{\"schema\": 1").unwrap()
        }),
        ("future format version", |a| {
            let text = std::fs::read_to_string(a.path(MANIFEST_FILE)).unwrap();
            let text = text.replace("\"format_version\": 3", "\"format_version\": 9");
            std::fs::write(a.path(MANIFEST_FILE), text).unwrap()
        }),
        ("unlisted file", |a| {
            std::fs::write(a.path("extra.txt"), "x").unwrap()
        }),
    ];
    for (what, damage) in damages {
        let root = tempfile::tempdir().unwrap();
        let first = committed(root.path());
        damage(&first);
        let staging = match begin(
            root.path(),
            spec(json!({"level": "word"})),
            producer(),
            Existing::Reuse,
        ) {
            Ok(Begin::Staging(staging)) => staging,
            Ok(Begin::Complete(_)) => panic!("{what}: a damaged artifact was taken as complete"),
            Err(e) => panic!("{what}: {e}"),
        };
        std::fs::write(staging.dir().join("vocab.json"), "[]\n").unwrap();
        let again = staging.commit(json!({})).unwrap();
        assert_eq!(again.dir(), first.dir(), "{what}");
        again.verify().unwrap();
    }
}

#[test]
fn latest_must_hold_an_id() {
    let root = tempfile::tempdir().unwrap();
    let artifact = committed(root.path());
    let latest = root.path().join("tokenize").join(artifact::LATEST_FILE);
    assert_eq!(
        artifact::latest_id(root.path(), "tokenize").unwrap(),
        Some(artifact.id().to_owned())
    );
    for bad in [
        "../../..",
        "../clean/0123456789abcdef",
        "0123456789ABCDEF",
        "abc",
    ] {
        std::fs::write(&latest, format!("{bad}\n")).unwrap();
        let err = Artifact::latest(root.path(), "tokenize", 3).unwrap_err();
        assert!(
            matches!(err, ArtifactError::BadLatest { .. }),
            "{bad}: {err}"
        );
        let text = err.to_string();
        assert!(text.contains(bad) && text.contains("latest"), "{text}");
    }
}

#[test]
fn staging_left_by_dead_processes_is_swept_whatever_its_id() {
    let root = tempfile::tempdir().unwrap();
    let stage_dir = root.path().join("tokenize");
    std::fs::create_dir_all(&stage_dir).unwrap();
    // a pid that cannot be running (above Linux's pid_max), of another id
    let dead = stage_dir.join(".staging-fedcba9876543210-4294967295");
    std::fs::create_dir(&dead).unwrap();
    // this process's own staging of another id may be in use by another thread
    let mine = stage_dir.join(format!(".staging-00000000000000aa-{}", std::process::id()));
    std::fs::create_dir(&mine).unwrap();
    let _artifact = committed(root.path());
    assert!(
        !dead.exists(),
        "the dead process's staging directory is left"
    );
    assert!(mine.exists());
}

/// Commits a `clean` artifact (params `n`) under `root` and a `tokenize` artifact made from it
/// whose manifest records the clean input as `Artifact::input_ref` writes it.
fn lineage(root: &Path, n: u32) -> (Artifact, Artifact) {
    let clean_spec = StageSpec {
        stage: "clean".into(),
        format_version: 1,
        params: json!({ "n": n }),
        inputs: vec![],
    };
    let clean = stage(root, clean_spec).commit(json!({})).unwrap();
    let spec = StageSpec {
        inputs: vec![clean.input_ref(root)],
        ..spec(json!({ "n": n }))
    };
    let tokenize = stage(root, spec).commit(json!({})).unwrap();
    (clean, tokenize)
}

#[test]
fn resolve_takes_an_artifact_directory_or_the_latest_under_a_root() {
    let root = tempfile::tempdir().unwrap();
    let (first, _) = lineage(root.path(), 1);
    let (second, _) = lineage(root.path(), 2);
    let latest = Artifact::resolve(root.path(), "clean", 1).unwrap();
    assert_eq!(latest.id(), second.id());
    let named = Artifact::resolve(first.dir(), "clean", 1).unwrap();
    assert_eq!(named.id(), first.id());
    assert_eq!(named.root(), root.path());
    let err = Artifact::resolve(first.dir(), "tokenize", 3).unwrap_err();
    assert!(matches!(err, ArtifactError::WrongStage { .. }), "{err}");
    let err = Artifact::resolve(&root.path().join("nothing"), "clean", 1).unwrap_err();
    assert!(err.to_string().contains("nothing"), "{err}");
}

#[test]
fn an_input_is_recorded_relative_to_the_root_and_followed_from_a_moved_root() {
    let root = tempfile::tempdir().unwrap();
    let (clean, tokenize) = lineage(root.path(), 1);
    let recorded = &tokenize.manifest().inputs[0];
    assert_eq!(recorded.path, format!("clean/{}", clean.id()));
    assert_eq!(recorded.stage, "clean");
    let elsewhere = tempfile::tempdir().unwrap();
    assert_eq!(
        clean.input_ref(elsewhere.path()).path,
        clean.dir().display().to_string(),
        "outside the root the path is kept whole"
    );
    let moved = tempfile::tempdir().unwrap();
    let moved_root = moved.path().join("corpus");
    std::fs::rename(root.path(), &moved_root).unwrap();
    let tokenize = Artifact::latest(&moved_root, "tokenize", 3).unwrap();
    let input = tokenize.open_input("clean", 1).unwrap();
    assert_eq!(input.id(), clean.id());
    assert_eq!(input.dir(), moved_root.join("clean").join(clean.id()));
    assert_eq!(tokenize.open_input_any("clean").unwrap().id(), clean.id());
    let err = tokenize.open_input("clean", 2).unwrap_err();
    assert!(matches!(err, ArtifactError::FormatVersion { .. }), "{err}");
}

#[test]
fn a_missing_replaced_or_unnamed_input_is_an_error_saying_what_to_rerun() {
    let root = tempfile::tempdir().unwrap();
    let (clean, tokenize) = lineage(root.path(), 1);

    let err = tokenize.open_input("train", 1).unwrap_err();
    assert!(matches!(err, ArtifactError::NoInput { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("`train` input") && text.contains("`tokenize` stage"),
        "{text}"
    );

    // Another clean artifact where the recorded one was: the lineage no longer holds.
    let (other, _) = lineage(root.path(), 2);
    let recorded = clean.dir().to_path_buf();
    std::fs::remove_dir_all(&recorded).unwrap();
    std::fs::rename(other.dir(), &recorded).unwrap();
    let err = tokenize.open_input("clean", 1).unwrap_err();
    assert!(matches!(err, ArtifactError::InputId { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(clean.id()) && text.contains(other.id()) && text.contains("`tokenize` stage"),
        "{text}"
    );

    std::fs::remove_dir_all(&recorded).unwrap();
    let err = tokenize.open_input("clean", 1).unwrap_err();
    assert!(matches!(err, ArtifactError::InputMissing { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(clean.id()) && text.contains("`clean` stage again"),
        "{text}"
    );
}
