//! The loss taken block by block gives the loss and gradients of the whole, and is used only
//! where it pays.

use model::{LstmLm, ModelConfig, OutputKind};
use tch::{Device, Tensor, nn};
use train::adam::Adam;
use train::chunked_loss::{chunk_rows, loss_and_gradients};

/// Batch 4 × 7 time steps: 28 target rows.
fn batch(vocab: i64) -> (Tensor, Tensor) {
    let ids: Vec<i64> = (0..4 * 8).map(|i| (i * 7 + i / 3) % vocab).collect();
    let ids = Tensor::from_slice(&ids).reshape([4, 8]);
    (ids.narrow(1, 0, 7), ids.narrow(1, 1, 7))
}

#[test]
fn blocks_give_the_loss_and_gradients_of_the_whole() {
    let configs = [
        ModelConfig::new(40, 8, 12, 2),
        ModelConfig {
            tie_weights: true,
            ..ModelConfig::new(40, 8, 12, 2)
        },
        ModelConfig {
            tie_weights: true,
            ..ModelConfig::new(40, 12, 12, 1)
        },
    ];
    for config in configs {
        tch::manual_seed(3);
        let vs = nn::VarStore::new(Device::Cpu);
        let model = LstmLm::new(&vs.root(), &config).unwrap();
        let adam = Adam::new(&vs);
        let (inputs, targets) = batch(config.vocab_size);
        let forward = || model.hidden(&inputs, &model.zero_state(4), false).0;

        let whole = model.loss(&forward(), &targets);
        let expected = adam.gradients(&whole);
        // 28 rows in blocks of 5: five full blocks and one of 3.
        let (loss, grads) = loss_and_gradients(&model, adam.params(), &forward(), &targets, 5);

        let label = format!("tie_weights {} E {}", config.tie_weights, config.embed_dim);
        let (a, b) = (whole.double_value(&[]), loss.double_value(&[]));
        assert!((a - b).abs() < 1e-6, "{label}: loss {a} vs {b}");
        assert_eq!(grads.len(), expected.len());
        for (i, (g, e)) in grads.iter().zip(&expected).enumerate() {
            assert_eq!(g.defined(), e.defined(), "{label}: variable {i}");
            if !e.defined() {
                continue;
            }
            let scale = e.abs().max().double_value(&[]);
            assert!(scale > 0.0, "{label}: variable {i} has a zero gradient");
            let diff = (g - e).abs().max().double_value(&[]);
            assert!(
                diff <= 1e-5 * scale,
                "{label}: variable {i} differs by {diff}"
            );
        }
    }
}

#[test]
fn only_a_cpu_full_softmax_with_a_small_vocabulary_is_taken_in_blocks() {
    let cpu_preset = ModelConfig::new(5896, 128, 256, 2);
    // 8 MiB of logits holds 355 rows of 5,896: 2,240 rows make 7 equal blocks of 320.
    assert_eq!(chunk_rows(&cpu_preset, 64 * 35, Device::Cpu), Some(320));
    assert_eq!(chunk_rows(&cpu_preset, 356, Device::Cpu), Some(178));
    assert_eq!(chunk_rows(&cpu_preset, 355, Device::Cpu), None);
    assert_eq!(chunk_rows(&cpu_preset, 64 * 35, Device::Cuda(0)), None);
    let adaptive = ModelConfig {
        output: OutputKind::Adaptive {
            cutoffs: vec![500, 2000],
            div_value: 4.0,
        },
        ..cpu_preset.clone()
    };
    assert_eq!(chunk_rows(&adaptive, 64 * 35, Device::Cpu), None);
    let seed_shape = ModelConfig::new(46_000, 256, 1024, 3);
    assert_eq!(chunk_rows(&seed_shape, 50 * 30, Device::Cpu), None);
}
