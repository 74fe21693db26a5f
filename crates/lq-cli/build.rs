//! Links `lq` as a position-dependent executable on Linux.
//!
//! Why: a position-independent `lq` carries ~176,000 relative relocations (DataFusion's vtables
//! and tables); the loader rewrites them at every start, copying ~3 MB of pages, which is about
//! half of the start-up time of a short query. At a fixed address the linker resolves them once.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bin=lq=-no-pie");
    }
}
