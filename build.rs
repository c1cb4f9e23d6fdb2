//! Stamps the binary with its git commit and build date for `--version`. A build outside a git
//! checkout (a source tarball, `cargo install` from crates.io) says "unknown" instead of failing.

use std::process::Command;

fn main() {
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=DASHSHARE_COMMIT={commit}");
    println!("cargo:rustc-env=DASHSHARE_BUILD_DATE={}", build_date());
    // A new commit moves HEAD, or the branch HEAD points at.
    // (A file named but missing would rerun this script on every build: a packed ref is not named.)
    let head = git(&["rev-parse", "--git-path", "HEAD"]);
    let branch = git(&["symbolic-ref", "-q", "HEAD"])
        .and_then(|branch| git(&["rev-parse", "--git-path", &branch]));
    for file in [head, branch].into_iter().flatten() {
        if std::path::Path::new(&file).is_file() {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-changed=build.rs");
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_string())
}

/// SOURCE_DATE_EPOCH when set (reproducible builds: the same sources give the same binary),
/// else today, as a UTC date.
fn build_date() -> String {
    let now = chrono::Utc::now();
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|epoch| epoch.trim().parse::<i64>().ok())
        .and_then(|seconds| chrono::DateTime::from_timestamp(seconds, 0))
        .unwrap_or(now)
        .format("%Y-%m-%d")
        .to_string()
}
