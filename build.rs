//! Records the build for `run.json` and `stress_des.md`: the git commit of
//! the source, when built from a checkout, and the compiler's version.

use std::process::Command;

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Some(commit) = output("git", &["rev-parse", "--short=12", "HEAD"]) {
        println!("cargo:rustc-env=SPCAP_COMMIT={commit}");
        // Rebuild when the commit moves: HEAD, and the branch it points to.
        for file in ["HEAD", "logs/HEAD"] {
            if let Some(path) = output("git", &["rev-parse", "--git-path", file]) {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if let Some(version) = output(&rustc, &["--version"]) {
        let short: Vec<&str> = version.split_whitespace().take(2).collect();
        println!("cargo:rustc-env=SPCAP_RUSTC={}", short.join(" "));
    }
}
