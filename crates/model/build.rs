//! Embeds libtorch's library directory as an rpath so that binaries, tests and benchmarks of the
//! crates that use this script run without LD_LIBRARY_PATH. torch-sys reports the directory it
//! linked against (`links = "tch"` makes it DEP_TCH_LIBTORCH_LIB); rustc-link-arg applies only to
//! the package's own targets, so each crate that links libtorch names this file as its build script.
fn main() {
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        let lib = std::fs::canonicalize(&lib).unwrap_or_else(|_| lib.into());
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
}
