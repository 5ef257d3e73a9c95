//! Runs split into shards and merged give the same files, byte for byte, as
//! one run with the same seed; shards that do not belong together, or a
//! missing or repeated shard, are refused with a message naming them.

use std::path::Path;
mod common;

use common::spcap;

fn run(out: &Path, seed: &str, shard: Option<&str>) {
    let mut args = vec![
        "run",
        "scenarios/baseline.toml",
        "-n",
        "23",
        "--seed",
        seed,
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    if let Some(s) = shard {
        args.extend(["--shard", s]);
    }
    let o = spcap(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn merged_shards_equal_a_single_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |name: &str| tmp.path().join(name);
    run(&p("full"), "3", None);
    for k in 0..4 {
        run(&p(&format!("s{k}")), "3", Some(&format!("{k}/4")));
    }
    // Given out of order on purpose.
    let shards = ["s2", "s0", "s3", "s1"].map(|s| p(s).to_str().unwrap().to_string());
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    let merged = p("merged");
    args.extend(["--out", merged.to_str().unwrap()]);
    let o = spcap(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in common::RESULT_FILES {
        let a = std::fs::read(p("full").join(name)).unwrap();
        let b = std::fs::read(merged.join(name)).unwrap();
        assert!(a == b, "{name} differs between the single run and the merged shards");
    }
    assert!(merged.join("report.html").exists() && merged.join("backlog.png").exists());

    // A missing shard is named; a repeated one too; a shard of another seed does not belong.
    let o = spcap(&[
        "merge",
        &shards[0],
        &shards[1],
        &shards[2],
        "--out",
        p("m2").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("missing shard(s) 1/4"), "{err}");
    let o = spcap(&[
        "merge",
        &shards[0],
        &shards[0],
        &shards[1],
        &shards[2],
        &shards[3],
        "--out",
        p("m3").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("given twice"));
    run(&p("other"), "4", Some("1/4"));
    let other = p("other").to_str().unwrap().to_string();
    let o = spcap(&[
        "merge",
        &shards[0],
        &other,
        &shards[2],
        &shards[3],
        "--out",
        p("m4").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("seed 3 against 4"));
    assert!(
        !p("m2").exists() && !p("m4").exists(),
        "a refused merge must not create its folder"
    );

    let o = spcap(&["run", "scenarios/baseline.toml", "--shard", "4/4"]);
    assert_eq!(o.status.code(), Some(2));
}
