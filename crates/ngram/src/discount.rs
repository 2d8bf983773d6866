//! Modified Kneser-Ney discounts: three per order, D1 for n-grams seen once, D2 for twice and
//! D3+ for three times or more, estimated from the order's count-of-counts n1..n4 (Chen &
//! Goodman 1998):
//!
//! ```text
//! Y = n1 / (n1 + 2·n2)    D1 = 1 − 2Y·n2/n1    D2 = 2 − 3Y·n3/n2    D3+ = 3 − 4Y·n4/n3
//! ```
//!
//! The counts are the ones the order is estimated from (raw at the top order, continuation
//! counts below). On real text the estimates fall inside (0, k] for Dk. Tiny or artificial
//! streams can leave a denominator at zero or push an estimate out of range (a negative D3+
//! when n4 is large against n3): then Y falls back to 1/2, Dk to D(k−1) (D1 to Y), and every
//! estimate is clamped into `[MIN_DISCOUNT, k]` ([`MIN_DISCOUNT`]). The upper bound keeps each
//! order's probabilities summing to one; the lower bound keeps some mass for the lower orders,
//! so that no id ever has probability zero.

use serde::{Deserialize, Serialize};

/// The smallest discount used (see the module docs).
pub const MIN_DISCOUNT: f64 = 0.01;

/// The three discounts of one order.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Discounts {
    /// For n-grams with count 1.
    pub d1: f64,
    /// For n-grams with count 2.
    pub d2: f64,
    /// For n-grams with count 3 or more.
    pub d3_plus: f64,
}

impl Discounts {
    /// Estimates the discounts from `n[k − 1]` = the number of n-grams of this order with count
    /// exactly k, for k = 1..=4.
    pub fn estimate(count_of_counts: [u64; 4]) -> Discounts {
        let [n1, n2, n3, n4] = count_of_counts.map(|n| n as f64);
        let y = if n1 + 2.0 * n2 > 0.0 {
            n1 / (n1 + 2.0 * n2)
        } else {
            0.5
        };
        let d1 = if n1 > 0.0 { 1.0 - 2.0 * y * n2 / n1 } else { y };
        let d1 = d1.clamp(MIN_DISCOUNT, 1.0);
        let d2 = if n2 > 0.0 {
            2.0 - 3.0 * y * n3 / n2
        } else {
            d1
        };
        let d2 = d2.clamp(MIN_DISCOUNT, 2.0);
        let d3_plus = if n3 > 0.0 {
            3.0 - 4.0 * y * n4 / n3
        } else {
            d2
        };
        let d3_plus = d3_plus.clamp(MIN_DISCOUNT, 3.0);
        Discounts { d1, d2, d3_plus }
    }

    /// The discount for an n-gram with this count (0 for an unseen one).
    #[inline]
    pub fn for_count(&self, count: u32) -> f64 {
        match count {
            0 => 0.0,
            1 => self.d1,
            2 => self.d2,
            _ => self.d3_plus,
        }
    }

    /// Whether every discount lies in [`MIN_DISCOUNT`, k] (what a loaded model must satisfy).
    pub fn is_valid(&self) -> bool {
        (MIN_DISCOUNT..=1.0).contains(&self.d1)
            && (MIN_DISCOUNT..=2.0).contains(&self.d2)
            && (MIN_DISCOUNT..=3.0).contains(&self.d3_plus)
    }
}

/// `[n1, n2, n3, n4]`: how many of `counts` are exactly 1, 2, 3 and 4.
pub fn count_of_counts(counts: &[u32]) -> [u64; 4] {
    let mut n = [0u64; 4];
    for &c in counts {
        if (1..=4).contains(&c) {
            n[c as usize - 1] += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_counts_give_increasing_discounts_in_range() {
        let d = Discounts::estimate([1000, 400, 200, 120]);
        let y = 1000.0 / 1800.0;
        assert!((d.d1 - y).abs() < 1e-12, "D1 = Y when n1 > 0");
        assert!((d.d2 - (2.0 - 3.0 * y * 0.5)).abs() < 1e-12);
        assert!((d.d3_plus - (3.0 - 4.0 * y * 0.6)).abs() < 1e-12);
        assert!(d.d1 < d.d2 && d.d2 < d.d3_plus);
        assert!(d.is_valid());
    }

    #[test]
    fn degenerate_counts_fall_back_into_range() {
        for n in [
            [0, 0, 0, 0],
            [5, 0, 0, 0],
            [0, 5, 0, 0],
            [0, 0, 0, 9],
            [1, 0, 1, 100],
        ] {
            let d = Discounts::estimate(n);
            assert!(d.is_valid(), "{n:?} gave {d:?}");
        }
    }

    #[test]
    fn count_of_counts_ignores_zero_and_above_four() {
        assert_eq!(count_of_counts(&[0, 1, 1, 2, 3, 4, 4, 5, 9]), [2, 1, 1, 2]);
    }
}
