//! The training-only regularisation: locked dropout, embedding dropout and weight drop draw the
//! masks they claim to, and none of them touches evaluation.

use model::regularise::{drop_rows, dropout};
use model::{LstmLm, ModelConfig, Regularisation};
use tch::{Device, Kind, Tensor, nn};

fn ones(shape: &[i64]) -> Tensor {
    Tensor::ones(shape, (Kind::Float, Device::Cpu))
}

/// The positions of `x` (`[batch, time, features]`) that are zero, as 0/1 per element.
fn zeros_of(x: &Tensor) -> Tensor {
    x.eq(0.0).to_kind(Kind::Float)
}

#[test]
fn locked_dropout_shares_one_mask_across_time_steps() {
    tch::manual_seed(7);
    let out = dropout(&ones(&[4, 9, 16]), 0.5, true, true);
    let zeros = zeros_of(&out);
    let first = zeros.narrow(1, 0, 1);
    assert!(
        zeros.eq_tensor(&first).all().int64_value(&[]) == 1,
        "every time step has the first step's mask"
    );
    let dropped = first.sum(Kind::Float).double_value(&[]);
    assert!(
        (10.0..=54.0).contains(&dropped),
        "about half of 64 units dropped, got {dropped}"
    );
    // The survivors are scaled so that the expectation is unchanged.
    let kept = out.masked_select(&out.ne(0.0));
    assert!(kept.eq(2.0).all().int64_value(&[]) == 1);

    // Plain dropout draws per position: the steps' masks differ.
    let plain = zeros_of(&dropout(&ones(&[4, 9, 16]), 0.5, true, false));
    assert!(
        plain
            .ne_tensor(&plain.narrow(1, 0, 1))
            .any()
            .int64_value(&[])
            == 1
    );
    // Off in evaluation.
    assert!(
        dropout(&ones(&[2, 3, 4]), 0.5, false, true)
            .eq(1.0)
            .all()
            .int64_value(&[])
            == 1
    );
}

#[test]
fn embedding_dropout_drops_whole_rows() {
    tch::manual_seed(3);
    let weight = ones(&[200, 8]);
    let dropped = drop_rows(&weight, 0.25);
    let zero_rows = dropped.eq(0.0).all_dim(1, false);
    let any_zero = dropped.eq(0.0).any_dim(1, false);
    assert!(
        zero_rows.eq_tensor(&any_zero).all().int64_value(&[]) == 1,
        "a row is dropped whole or not at all"
    );
    let n = zero_rows.sum(Kind::Int64).int64_value(&[]);
    assert!(
        (25..=75).contains(&n),
        "about 50 of 200 rows dropped, got {n}"
    );
    let kept = dropped.masked_select(&dropped.ne(0.0));
    assert!((kept - 1.0 / 0.75).abs().max().double_value(&[]) < 1e-6);
}

fn model(regularisation: Regularisation, dropout: f64) -> (nn::VarStore, LstmLm) {
    tch::manual_seed(11);
    let vs = nn::VarStore::new(Device::Cpu);
    let config = ModelConfig {
        dropout,
        regularisation,
        ..ModelConfig::new(13, 6, 8, 2)
    };
    let lm = LstmLm::new(&vs.root(), &config).expect("valid config");
    (vs, lm)
}

fn tokens() -> Tensor {
    Tensor::from_slice(&[1i64, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]).reshape([2, 6])
}

#[test]
fn regularisation_changes_training_passes_and_not_evaluation() {
    let plain = model(Regularisation::default(), 0.3);
    let options = [
        Regularisation {
            weight_drop: 0.5,
            ..Regularisation::default()
        },
        Regularisation {
            embed_dropout: 0.5,
            ..Regularisation::default()
        },
        Regularisation {
            locked: true,
            ..Regularisation::default()
        },
    ];
    let state = plain.1.zero_state(2);
    let (eval_plain, _) = plain.1.hidden(&tokens(), &state, false);
    for regularisation in options {
        let (_vs, lm) = model(regularisation, 0.3);
        let (eval, _) = lm.hidden(&tokens(), &state, false);
        assert!(
            eval.allclose(&eval_plain, 0.0, 0.0, false),
            "{regularisation:?} must not change evaluation"
        );
        tch::manual_seed(5);
        let (train, next) = lm.hidden(&tokens(), &state, true);
        tch::manual_seed(5);
        let (train_plain, _) = plain.1.hidden(&tokens(), &state, true);
        assert_eq!(train.size(), [2, 6, 8]);
        assert_eq!(next.h.size(), [2, 2, 8]);
        assert!(
            !train.allclose(&train_plain, 1e-6, 1e-6, false),
            "{regularisation:?} changes the training pass"
        );
    }
}

#[test]
fn weight_drop_masks_the_gradient_of_the_hidden_to_hidden_weights() {
    let (vs, lm) = model(
        Regularisation {
            weight_drop: 0.5,
            ..Regularisation::default()
        },
        0.0,
    );
    tch::manual_seed(9);
    let (hidden, _) = lm.hidden(&tokens(), &lm.zero_state(2), true);
    hidden.sum(Kind::Float).backward();
    let grads = |name: &str| {
        let w = &vs.variables()[name];
        w.grad().eq(0.0).sum(Kind::Int64).int64_value(&[]) as f64 / w.numel() as f64
    };
    // Half of W_hh gets no gradient; W_ih is never masked.
    let hh = grads("lstm.weight_hh_l0");
    assert!((0.35..0.65).contains(&hh), "{hh} of W_hh masked");
    assert!(grads("lstm.weight_ih_l0") < 0.05);
}

#[test]
fn regularisation_out_of_range_is_refused_and_none_is_left_out_of_the_config_file() {
    let mut config = ModelConfig::new(5, 2, 3, 1);
    let json = serde_json::to_string(&config).expect("serialises");
    assert!(!json.contains("regularisation"), "{json}");
    config.regularisation.weight_drop = 1.0;
    let err = config.validate().expect_err("weight drop 1 refused");
    assert!(err.to_string().contains("weight drop 1"), "{err}");
    config.regularisation = Regularisation {
        locked: true,
        embed_dropout: 0.1,
        weight_drop: 0.2,
    };
    config.validate().expect("valid");
    let json = serde_json::to_string(&config).expect("serialises");
    let back: ModelConfig = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, config);
}
