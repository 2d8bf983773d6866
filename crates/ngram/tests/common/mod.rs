//! Helpers shared by the integration tests: a seeded generator and small token streams.

#![allow(dead_code)]

/// SplitMix64: a small seeded generator, so the tests need no `rand` dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: u32) -> u32 {
        (self.unit() * f64::from(n)) as u32
    }

    /// An index drawn from the probabilities `p` (which sum to one).
    pub fn pick(&mut self, p: &[f64]) -> u32 {
        let mut u = self.unit();
        for (i, &q) in p.iter().enumerate() {
            if u < q {
                return i as u32;
            }
            u -= q;
        }
        (p.len() - 1) as u32
    }
}

/// A stream shaped like a tokenize split: "paragraphs" of 3..12 ids in `2..vocab_size`, each
/// ended by `<eos>` (1), with some `<unk>` (0); a few ids near the top of the vocabulary never
/// occur. Skewed towards small ids, with a little local structure.
pub fn paragraph_stream(len: usize, vocab_size: u32, seed: u64) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    let mut ids = Vec::with_capacity(len);
    let top = vocab_size - 3; // the last three ids never occur
    while ids.len() < len {
        let words = 3 + rng.below(10);
        let mut prev = 2;
        for _ in 0..words {
            let id = match rng.below(10) {
                0 => 0,
                1..=4 => 2 + (prev + 1) % (top - 2),
                _ => 2 + (rng.unit() * rng.unit() * f64::from(top - 2)) as u32,
            };
            ids.push(id);
            prev = id;
        }
        ids.push(1);
    }
    ids.truncate(len);
    ids
}
