//! The tensor-code Adam matches libtorch's `torch.optim.Adam`, and clipping bounds the norm.

use model::{LstmLm, ModelConfig};
use tch::nn::OptimizerConfig;
use tch::{Device, Kind, Tensor, nn};
use train::adam::Adam;

fn loss(model: &LstmLm) -> Tensor {
    let tokens = Tensor::from_slice(&[1i64, 4, 2, 0, 3, 3, 1, 2]).reshape([2, 4]);
    let targets = Tensor::from_slice(&[4i64, 2, 0, 3, 3, 1, 2, 4]).reshape([2, 4]);
    let (hidden, _) = model.hidden(&tokens, &model.zero_state(2), false);
    model.loss(&hidden, &targets)
}

#[test]
fn adam_matches_libtorch_and_clipping_bounds_the_norm() {
    let config = ModelConfig::new(5, 3, 4, 1);
    tch::manual_seed(11);
    let ours_vs = nn::VarStore::new(Device::Cpu);
    let ours = LstmLm::new(&ours_vs.root(), &config).unwrap();
    let mut theirs_vs = nn::VarStore::new(Device::Cpu);
    let theirs = LstmLm::new(&theirs_vs.root(), &config).unwrap();
    theirs_vs.copy(&ours_vs).unwrap();
    let mut adam = Adam::new(&ours_vs);
    let mut reference = nn::Adam::default().build(&theirs_vs, 0.05).unwrap();
    for _ in 0..5 {
        let grads = adam.gradients(&loss(&ours));
        adam.update(&grads, 0.05);
        reference.backward_step(&loss(&theirs));
    }
    let theirs_vars = theirs_vs.variables();
    for (name, ours) in ours_vs.variables() {
        let diff = (&ours - &theirs_vars[&name]).abs().max().double_value(&[]);
        assert!(diff < 1e-6, "{name} differs by {diff}");
    }

    let mut grads = adam.gradients(&(loss(&ours) * 1000.0));
    let before = Adam::clip_grad_norm(&mut grads, 0.5);
    assert!(before > 0.5, "{before}");
    let after: f64 = grads
        .iter()
        .map(|g| g.square().sum(Kind::Double).double_value(&[]))
        .sum::<f64>()
        .sqrt();
    assert_eq!(grads.len(), ours_vs.trainable_variables().len());
    assert!((after - 0.5).abs() < 1e-4, "{after}");
}
