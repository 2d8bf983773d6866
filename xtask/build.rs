//! xtask itself links no libtorch (`cargo build -p xtask` builds before it is installed), but
//! in a build of the whole workspace (`cargo test --workspace`, as `cargo xtask test` runs it)
//! cargo unifies features: the stage crates whose contracts xtask uses then come with their
//! `torch` feature, and xtask's test binary links libtorch. The rpath lets it find libtorch
//! there, as `crates/model/build.rs` does for the stages; without libtorch it points nowhere
//! and does nothing.
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}/lib");
    }
}
