//! Proves the libtorch binding end to end on CPU: a tiny LSTM language model learns a periodic
//! sequence through forward, backward and Adam steps with gradient clipping.

use model::{LstmLm, ModelConfig};
use tch::{Device, Kind, Tensor, nn, nn::OptimizerConfig};

#[test]
fn tiny_lstm_learns_a_periodic_sequence() {
    tch::manual_seed(7);
    let vs = nn::VarStore::new(Device::Cpu);
    let config = ModelConfig::new(5, 8, 16, 1);
    let model = LstmLm::new(&vs.root(), &config).unwrap();
    let mut opt = nn::Adam::default().build(&vs, 1e-2).unwrap();
    // Four streams of 0 1 2 3 4 0 1 …, each shifted: the next token is always predictable.
    let stream = Tensor::arange(21, (Kind::Int64, Device::Cpu)).remainder(5);
    let batch = Tensor::stack(&[stream.shallow_clone(), (&stream + 1).remainder(5)], 0);
    let (inputs, targets) = (batch.narrow(1, 0, 20), batch.narrow(1, 1, 20));
    let mut losses = Vec::new();
    for _ in 0..60 {
        let (hidden, _) = model.hidden(&inputs, &model.zero_state(2), true);
        let loss = model.loss(&hidden, &targets);
        opt.backward_step_clip_norm(&loss, 0.5);
        losses.push(loss.double_value(&[]));
    }
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    // An untrained model is near uniform: ln 5 ≈ 1.61 nats.
    assert!((first - 5f64.ln()).abs() < 0.3, "initial loss {first}");
    assert!(
        last < 0.1 * first,
        "loss went from {first} to {last}: {losses:?}"
    );
    // The model predicts the successor greedily.
    let (logits, _) = model.forward(&inputs, &model.zero_state(2), false);
    let predicted = logits.argmax(-1, false);
    assert_eq!(predicted, targets);
}

#[test]
fn variable_names_follow_pytorch() {
    let vs = nn::VarStore::new(Device::Cpu);
    let config = ModelConfig {
        dropout: 0.1,
        ..ModelConfig::new(7, 3, 4, 2)
    };
    let _model = LstmLm::new(&vs.root(), &config).unwrap();
    let mut names: Vec<_> = vs
        .variables()
        .into_iter()
        .map(|(name, t)| format!("{name}{:?}", t.size()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "embedding.weight[7, 3]",
            "lstm.bias_hh_l0[16]",
            "lstm.bias_hh_l1[16]",
            "lstm.bias_ih_l0[16]",
            "lstm.bias_ih_l1[16]",
            "lstm.weight_hh_l0[16, 4]",
            "lstm.weight_hh_l1[16, 4]",
            "lstm.weight_ih_l0[16, 3]",
            "lstm.weight_ih_l1[16, 4]",
            "output.bias[7]",
            "output.weight[7, 4]",
        ]
    );
}

#[test]
fn cuda_library_is_loaded_when_libtorch_has_it() {
    // Nothing references libtorch_cuda's symbols, so an `--as-needed` link drops it and a GPU
    // machine silently trains on the CPU; build.rs forces it in. On a machine without a GPU it
    // loads all the same and simply reports no devices.
    let lib = std::path::Path::new(env!("JIANGHU_LIBTORCH_LIB"));
    let has_cuda_build = lib.join("libtorch_cuda.so").exists();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    assert_eq!(
        maps.contains("libtorch_cuda.so"),
        has_cuda_build,
        "{}",
        lib.display()
    );
    assert!(maps.contains("libtorch_cpu.so"));
}
