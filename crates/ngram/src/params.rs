//! [`NgramParams`]: what a stage records about the n-gram model it fits (in its artifact's
//! parameters, so that a different order makes a different artifact).

use crate::error::NgramError;
use serde::{Deserialize, Serialize};

/// The smallest accepted order (a unigram model).
pub const MIN_ORDER: usize = 1;
/// The largest accepted order.
pub const MAX_ORDER: usize = 10;
/// The order used when none is given: a 5-gram model.
pub const DEFAULT_ORDER: usize = 5;

/// Parameters of an n-gram model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NgramParams {
    /// The longest n-gram counted: each token is predicted from at most `order − 1` ids before
    /// it.
    pub order: usize,
}

impl Default for NgramParams {
    fn default() -> Self {
        NgramParams {
            order: DEFAULT_ORDER,
        }
    }
}

impl NgramParams {
    /// Fails, naming the order and the accepted range, unless `MIN_ORDER <= order <= MAX_ORDER`.
    pub fn validate(&self) -> Result<(), NgramError> {
        if (MIN_ORDER..=MAX_ORDER).contains(&self.order) {
            Ok(())
        } else {
            Err(NgramError::Order { order: self.order })
        }
    }
}
