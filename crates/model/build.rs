//! Link settings for every crate that runs libtorch code (model, train, generate name this file
//! as their build script: rustc-link-arg applies only to the package's own binaries and tests).
//!
//! - rpath: binaries find libtorch without LD_LIBRARY_PATH. torch-sys reports the directory it
//!   linked against as DEP_TCH_LIBTORCH_LIB (`links = "tch"`; hence the direct dependency).
//! - libtorch_cuda: nothing references its symbols directly, so `--as-needed` would drop it and
//!   CUDA would never register; force it in when the libtorch build has it.
//!
//! Without the crate's `torch` feature (the contract alone, as xtask uses it) torch-sys is not a
//! dependency, the variable is unset and there is nothing to link.
fn main() {
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        return;
    };
    let lib = std::fs::canonicalize(&lib).unwrap_or_else(|_| lib.into());
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    println!("cargo:rustc-env=JIANGHU_LIBTORCH_LIB={}", lib.display());
    if lib.join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg=-L{}", lib.display());
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
    }
}
