//! Ctrl-C: the handler only raises a flag; the training loop checks it after every step,
//! writes the resume checkpoint and returns [`crate::TrainError::Interrupted`].

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler (binaries call this once).
pub fn install_ctrlc_handler() -> Result<(), ctrlc::Error> {
    ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst))
}

/// Asks the running [`crate::run`] to stop at the next step, as Ctrl-C does.
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// True once a stop was requested; clears the request.
pub(crate) fn take_stop_request() -> bool {
    STOP.swap(false, Ordering::SeqCst)
}
