//! Stage `train`: trains the LSTM language model of the `model` crate on a tokenize artifact.
//!
//! Not implemented yet (issue #4); the pipeline stops before this stage with a message saying so.
