//! The linear mixture of two models' probabilities, p = λ·p_a + (1−λ)·p_b, computed from their
//! log-probabilities without leaving log space (the train stage fits λ with it; generation and
//! `--score` score texts with it).

/// ln(λ·e^a + (1−λ)·e^b) for log-probabilities `a` and `b` and a weight `lambda` in [0, 1]; the
/// larger term is factored out, so tiny probabilities do not underflow.
pub fn mix_log_probs(lambda: f64, a: f64, b: f64) -> f64 {
    let (a, b) = (lambda.ln() + a, (1.0 - lambda).ln() + b);
    let top = a.max(b);
    if top == f64::NEG_INFINITY {
        return top;
    }
    top + ((a - top).exp() + (b - top).exp()).ln()
}

#[cfg(test)]
mod tests {
    use super::mix_log_probs;

    #[test]
    fn mixes_probabilities_and_keeps_the_ends_exact() {
        let (a, b) = (0.5f64.ln(), 0.1f64.ln());
        assert!((mix_log_probs(0.25, a, b).exp() - 0.2).abs() < 1e-12);
        assert!((mix_log_probs(1.0, a, b) - a).abs() < 1e-15);
        assert!((mix_log_probs(0.0, a, b) - b).abs() < 1e-15);
        assert_eq!(
            mix_log_probs(0.5, f64::NEG_INFINITY, f64::NEG_INFINITY),
            f64::NEG_INFINITY
        );
        // far below f64's smallest positive number as a probability, still finite in log space
        assert!((mix_log_probs(0.5, -2000.0, -2000.0) + 2000.0).abs() < 1e-9);
    }
}
