//! Stage `generate`: samples text from a train artifact, from a prompt.
//!
//! Not implemented yet (issue #7); the pipeline stops before this stage with a message saying so.
