//! The model's output layers, weights on disk and the arithmetic of its loss.

use model::{LstmLm, ModelConfig, OutputKind};
use tch::{Device, Kind, Tensor, nn};

fn tiny(output: OutputKind, tie_weights: bool, embed: i64) -> ModelConfig {
    ModelConfig {
        tie_weights,
        output,
        dropout: 0.2,
        ..ModelConfig::new(11, embed, 6, 2)
    }
}

fn adaptive() -> OutputKind {
    OutputKind::Adaptive {
        cutoffs: vec![3, 7],
        div_value: 2.0,
    }
}

fn all_configs() -> Vec<ModelConfig> {
    vec![
        tiny(OutputKind::Full, false, 4),
        tiny(OutputKind::Full, true, 4),
        tiny(OutputKind::Full, true, 6),
        tiny(adaptive(), false, 4),
    ]
}

fn names(vs: &nn::VarStore) -> Vec<String> {
    let mut names: Vec<_> = vs
        .variables()
        .into_iter()
        .filter(|(name, _)| name.starts_with("output"))
        .map(|(name, t)| format!("{name}{:?}", t.size()))
        .collect();
    names.sort();
    names
}

#[test]
fn output_variable_names_and_parameter_counts() {
    let check = |config: ModelConfig, expected: &[&str]| {
        let vs = nn::VarStore::new(Device::Cpu);
        let _model = LstmLm::new(&vs.root(), &config).unwrap();
        assert_eq!(names(&vs), expected, "{config:?}");
        let total: i64 = vs
            .trainable_variables()
            .iter()
            .map(Tensor::numel)
            .sum::<usize>() as i64;
        assert_eq!(total, config.parameter_count(), "{config:?}");
    };
    check(
        tiny(OutputKind::Full, false, 4),
        &["output.bias[11]", "output.weight[11, 6]"],
    );
    check(
        tiny(OutputKind::Full, true, 4),
        &["output.bias[11]", "output.projection.weight[4, 6]"],
    );
    check(tiny(OutputKind::Full, true, 6), &["output.bias[11]"]);
    // Head: shortlist 3 + 2 clusters; cluster dims 6/2 = 3 and 6/4 = 1.
    check(
        tiny(adaptive(), false, 4),
        &[
            "output.head.weight[5, 6]",
            "output.tail.0.0.weight[3, 6]",
            "output.tail.0.1.weight[4, 3]",
            "output.tail.1.0.weight[1, 6]",
            "output.tail.1.1.weight[4, 1]",
        ],
    );
}

#[test]
fn log_probabilities_sum_to_one_and_match_the_loss() {
    for config in all_configs() {
        tch::manual_seed(3);
        let vs = nn::VarStore::new(Device::Cpu);
        let model = LstmLm::new(&vs.root(), &config).unwrap();
        let tokens = Tensor::from_slice(&[0i64, 5, 9, 2, 10, 4, 7, 1]).reshape([2, 4]);
        let targets = Tensor::from_slice(&[5i64, 9, 2, 10, 3, 7, 8, 6]).reshape([2, 4]);
        let (hidden, _) = model.hidden(&tokens, &model.zero_state(2), false);
        let log_probs = model.log_probs(&hidden);
        assert_eq!(log_probs.size(), [2, 4, 11]);
        let sums = log_probs.exp().sum_dim_intlist(-1, false, Kind::Double);
        let max_error = (sums - 1.0).abs().max().double_value(&[]);
        assert!(max_error < 1e-5, "{config:?}: sums off by {max_error}");
        // The loss (computed per cluster for adaptive) is the mean of the gathered log-probs.
        let gathered = log_probs.gather(2, &targets.unsqueeze(2), false);
        let expected = -gathered.mean(Kind::Double).double_value(&[]);
        let loss = model.loss(&hidden, &targets).double_value(&[]);
        assert!(
            (loss - expected).abs() < 1e-5,
            "{config:?}: {loss} vs {expected}"
        );
    }
}

#[test]
fn uniform_model_has_perplexity_equal_to_the_vocab_size() {
    for vocab in [2i64, 11, 1000] {
        let config = ModelConfig::new(vocab, 3, 4, 1);
        let vs = nn::VarStore::new(Device::Cpu);
        let model = LstmLm::new(&vs.root(), &config).unwrap();
        tch::no_grad(|| {
            for (name, mut t) in vs.variables() {
                if name.starts_with("output") {
                    let _ = t.zero_();
                }
            }
        });
        let tokens = Tensor::arange(12, (Kind::Int64, Device::Cpu))
            .remainder(vocab)
            .reshape([3, 4]);
        let (hidden, _) = model.hidden(&tokens, &model.zero_state(3), false);
        let loss = model.loss(&hidden, &tokens).double_value(&[]);
        let perplexity = loss.exp();
        assert!(
            (perplexity - vocab as f64).abs() < 1e-3 * vocab as f64,
            "vocab {vocab}: perplexity {perplexity}"
        );
    }
}

#[test]
fn save_then_load_gives_identical_log_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    for (i, config) in all_configs().into_iter().enumerate() {
        tch::manual_seed(i as i64);
        let vs = nn::VarStore::new(Device::Cpu);
        let model = LstmLm::new(&vs.root(), &config).unwrap();
        let path = dir.path().join(format!("m{i}.safetensors"));
        model::save(&vs, &path).unwrap();
        tch::manual_seed(100 + i as i64);
        let (_vs2, loaded) = model::load(&path, &config, Device::Cpu).unwrap();
        let tokens = Tensor::from_slice(&[1i64, 2, 3, 4, 5, 6]).reshape([1, 6]);
        let (a, _) = model.forward(&tokens, &model.zero_state(1), false);
        let (b, _) = loaded.forward(&tokens, &loaded.zero_state(1), false);
        assert_eq!(a, b, "{config:?}");
        // A differently seeded fresh model differs (the comparison can fail).
        let vs3 = nn::VarStore::new(Device::Cpu);
        let fresh = LstmLm::new(&vs3.root(), &config).unwrap();
        let (c, _) = fresh.forward(&tokens, &fresh.zero_state(1), false);
        assert_ne!(a, c);
    }
    // Loading weights into another shape fails and names the file.
    let path = dir.path().join("m0.safetensors");
    let other = ModelConfig::new(11, 4, 7, 2);
    let err = model::load(&path, &other, Device::Cpu).unwrap_err();
    assert!(err.to_string().contains("m0.safetensors"), "{err}");
}

#[test]
fn invalid_configs_are_refused_naming_the_parameter() {
    let check = |config: ModelConfig, expected: &str| {
        let vs = nn::VarStore::new(Device::Cpu);
        let err = LstmLm::new(&vs.root(), &config).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    };
    check(ModelConfig::new(11, 4, 0, 1), "hidden size 0");
    check(ModelConfig::new(11, 4, 4, 0), "number of layers 0");
    check(tiny(adaptive(), true, 4), "weight tying");
    let bad_cutoffs = OutputKind::Adaptive {
        cutoffs: vec![5, 5],
        div_value: 2.0,
    };
    check(tiny(bad_cutoffs, false, 4), "adaptive cutoffs [5, 5]");
}

#[test]
fn config_json_round_trips_and_defaults_old_fields() {
    let config = tiny(adaptive(), false, 4);
    let json = serde_json::to_string(&config).unwrap();
    assert_eq!(serde_json::from_str::<ModelConfig>(&json).unwrap(), config);
    let old = r#"{"vocab_size":5,"embed_dim":2,"hidden_size":3,"num_layers":1,"dropout":0.0}"#;
    assert_eq!(
        serde_json::from_str::<ModelConfig>(old).unwrap(),
        ModelConfig::new(5, 2, 3, 1)
    );
}

/// Calls `check` with a fresh model of every config in [`all_configs`].
fn for_each_model(mut check: impl FnMut(&ModelConfig, &nn::VarStore, &LstmLm)) {
    for (i, config) in all_configs().into_iter().enumerate() {
        tch::manual_seed(i as i64);
        let vs = nn::VarStore::new(Device::Cpu);
        let model = LstmLm::new(&vs.root(), &config).unwrap();
        check(&config, &vs, &model);
    }
}

#[test]
fn the_decoding_layout_changes_strides_not_results() {
    for_each_model(|config, vs, model| {
        let tokens = Tensor::from_slice(&[1i64, 2, 3, 4, 5, 6, 7, 8]).reshape([2, 4]);
        let run = |model: &LstmLm| {
            let _guard = tch::no_grad_guard();
            let (fused, state) = model.forward(&tokens, &model.zero_state(2), false);
            let (hidden, _) = model.step(&tokens.select(1, 0), &state);
            (fused, model.log_probs(&hidden))
        };
        let before = run(model);
        let weight = |name: &str| vs.variables()[name].shallow_clone();
        assert!(weight("lstm.weight_hh_l1").is_contiguous());
        model.use_decoding_layout();
        let w = weight("lstm.weight_hh_l1");
        assert!(!w.is_contiguous() && w.tr().is_contiguous(), "{config:?}");
        assert_eq!(w.size(), [24, 6]);
        let after = run(model);
        for (a, b) in [(&before.0, &after.0), (&before.1, &after.1)] {
            let diff = (a - b).abs().max().double_value(&[]);
            assert!(diff < 1e-6, "{config:?}: {diff}");
        }
    });
}

#[test]
fn the_packed_step_computes_the_plain_step() {
    for_each_model(|config, _, model| {
        let packed = model.packed().expect("libtorch from PyPI has oneDNN");
        let batch = model::PACKED_MIN_BATCH as i64 + 1;
        let tokens = Tensor::randint(11, [batch], (Kind::Int64, Device::Cpu));
        let state = model::LstmState {
            h: Tensor::randn([2, batch, 6], (Kind::Float, Device::Cpu)),
            c: Tensor::randn([2, batch, 6], (Kind::Float, Device::Cpu)),
        };
        let _guard = tch::no_grad_guard();
        let (hidden, next) = model.step(&tokens, &state);
        let (packed_hidden, packed_next) = model.step_packed(packed, &tokens, &state);
        let close = |a: &Tensor, b: &Tensor| {
            assert_eq!(a.size(), b.size());
            let diff = (a - b).abs().max().double_value(&[]);
            assert!(diff < 1e-5, "{config:?}: {diff}");
        };
        close(&hidden, &packed_hidden);
        close(&next.h, &packed_next.h);
        close(&next.c, &packed_next.c);
        close(
            &model.log_probs(&hidden),
            &model.log_probs_packed(packed, &hidden),
        );
        // the state moved: the comparison above can fail
        assert!((&next.c - &state.c).abs().max().double_value(&[]) > 1e-3);
        // the copy is made once
        assert!(std::ptr::eq(packed, model.packed().unwrap()));
    });
}
