//! `spcap serve` at the HTTP level, through the router itself (tower's
//! `oneshot`): every endpoint, the limits, the refusals (paths outside the
//! scenarios folder, oversized uploads, unknown scenarios and runs, bad
//! values with the message `spcap check` gives), runs that finish, are
//! cancelled or outlive a restart, and the same numbers as `spcap compare`
//! for the same inputs and seed.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use spcap::serve::{app, Limits};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// A scenarios folder with the baseline and a short version of it (six months' warm-up, one year measured).
fn scenarios(dir: &Path) -> PathBuf {
    let folder = dir.join("scenarios");
    std::fs::create_dir_all(&folder).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(root.join("scenarios/baseline.toml"), folder.join("baseline.toml")).unwrap();
    std::fs::write(folder.join("short.toml"), SHORT).unwrap();
    // A file the scenarios may not reach.
    std::fs::write(dir.join("secret.toml"), "name = \"secret\"\n").unwrap();
    folder
}

const SHORT: &str = "# Short: the baseline over one year.\n#\n# Question: does a short run answer quickly?\n#\n\
extends = \"baseline.toml\"\nname = \"Short baseline\"\n\n[calendar]\nstart = \"2019-04-01\"\nwarm_up = \"6m\"\nhorizon = \"1y\"\n";

struct Server {
    dir: tempfile::TempDir,
    router: Router,
}

fn server(limits: Limits) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let folder = scenarios(dir.path());
    let router = app(&folder, &dir.path().join("data"), limits).unwrap();
    Server { dir, router }
}

fn limits() -> Limits {
    Limits {
        threads: 2,
        ..Limits::default()
    }
}

/// Sends one request; the status and the body's bytes.
async fn send(router: &Router, method: &str, uri: &str, body: Option<Vec<u8>>) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, Body::from))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, bytes)
}

async fn get_json(router: &Router, uri: &str) -> (StatusCode, Value) {
    let (status, bytes) = send(router, "GET", uri, None).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn post_json(router: &Router, uri: &str, body: &Value) -> (StatusCode, Value) {
    let (status, bytes) = send(router, "POST", uri, Some(serde_json::to_vec(body).unwrap())).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn upload(router: &Router, name: &str, text: &str) -> (StatusCode, Value) {
    let (status, bytes) = send(
        router,
        "POST",
        &format!("/api/upload?name={name}"),
        Some(text.as_bytes().to_vec()),
    )
    .await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// A run request on the short scenario: the base, and an option with five posts.
fn five_posts(replicates: u64) -> Value {
    json!({
        "base": {"scenario": "short"},
        "options": [
            {"name": "Short baseline"},
            {"name": "Five posts", "lists": {"link_workers.posts": [{"count": "5", "fte": "1.0", "vacant_at_start": "false"}]}}
        ],
        "replicates": replicates,
        "seed": 7,
        "thresholds": ["waiting_list=20@2020-06-30"]
    })
}

/// Polls a run until it is no longer queued or running.
async fn wait(router: &Router, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let (status, body) = get_json(router, &format!("/api/runs/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if !matches!(body["state"].as_str(), Some("queued" | "running")) {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the run did not finish: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn spcap_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_spcap"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_its_assets_are_served_and_load_nothing_from_elsewhere() {
    let s = server(limits());
    for (uri, kind, marker) in [
        ("/", "text/html", "<main"),
        ("/page.css", "text/css", "@media print"),
        ("/page.js", "text/javascript", "/api/runs"),
    ] {
        let response = s
            .router
            .clone()
            .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with(kind), "{uri}: {content_type}");
        let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        assert!(text.contains(marker), "{uri} lacks {marker}");
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{uri} names another site"
        );
    }
    let (status, body) = get_json(&s.router, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string());
    let (status, info) = get_json(&s.router, "/api/limits").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["limits"]["options"], 6);
    assert_eq!(info["colours"][0], "#0072b2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_are_listed_with_their_questions_and_give_a_form_of_levers() {
    let s = server(limits());
    let (status, list) = get_json(&s.router, "/api/scenarios").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["baseline", "short"]);
    assert_eq!(list[1]["question"], "does a short run answer quickly?");
    assert_eq!(list[1]["name"], "Short baseline");

    let (status, form) = get_json(&s.router, "/api/scenarios/short").await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert_eq!(form["period"], "2019-10-01 to 2020-09-30");
    let fields: Vec<&Value> = form["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["fields"].as_array().unwrap())
        .collect();
    let field = |key: &str| {
        *fields
            .iter()
            .find(|f| f["key"] == key)
            .unwrap_or_else(|| panic!("no field {key}"))
    };
    assert_eq!(field("link_workers.caseload_per_fte")["value"], "60.0");
    assert_eq!(field("link_workers.caseload_per_fte")["source"]["kind"], "evidence");
    assert_eq!(field("referrals.rate_per_month")["source"]["kind"], "assumption");
    assert_eq!(field("vcse.services[0].places")["label"], "Places: Befriending scheme");
    assert_eq!(field("vcse.services[0].places")["source"]["kind"], "assumption");
    assert_eq!(field("holding.policy")["choices"], json!(["hold", "discharge"]));
    assert_eq!(field("link_workers.recruitment_delay.min")["value"], "8w");
    assert_eq!(field("referrals.seasonality[1]")["value"], "1.25");
    let posts = form["sections"][0]["lists"][0].clone();
    assert_eq!(posts["key"], "link_workers.posts");
    assert_eq!(
        posts["rows"],
        json!([{"count": "4", "fte": "1.0", "contract_end": "", "vacant_at_start": "false"}])
    );

    for bad in ["nothere", "..%2Fsecret", "..", "short.toml"] {
        let (status, body) = get_json(&s.router, &format!("/api/scenarios/{bad}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}: {body}");
        assert!(body["error"].as_str().unwrap().contains("no scenario"), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_may_extend_only_files_of_the_scenarios_folder() {
    let s = server(Limits {
        upload_bytes: 400,
        ..limits()
    });
    let (status, body) = upload(&s.router, "mine.toml", "extends = \"baseline.toml\"\nname = \"Mine\"\n").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "mine.toml");
    assert_eq!(body["form"]["name"], "Mine");

    for (target, says) in [
        ("../secret.toml", "\"..\" is refused"),
        ("../../../../etc/passwd", "\"..\" is refused"),
        ("/etc/passwd", "absolute path is refused"),
        ("sub/../../secret.toml", "\"..\" is refused"),
    ] {
        let (status, body) = upload(&s.router, "bad.toml", &format!("extends = \"{target}\"\n")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{target}: {body}");
        let message = body["error"].as_str().unwrap();
        assert!(message.contains(says), "{target}: {message}");
        assert!(!message.contains("root:"), "{message}");
    }
    // A link inside the folder that leads out of it is refused too.
    #[cfg(unix)]
    {
        let folder = s.dir.path().join("scenarios");
        std::os::unix::fs::symlink(s.dir.path().join("secret.toml"), folder.join("link.toml")).unwrap();
        let (status, body) = upload(&s.router, "bad.toml", "extends = \"link.toml\"\n").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("outside the scenarios folder"),
            "{body}"
        );
    }

    let big = format!("extends = \"baseline.toml\"\n{}", "# padding\n".repeat(50));
    let (status, body) = upload(&s.router, "big.toml", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].as_str().unwrap().contains("limit of 400 bytes"), "{body}");

    let (status, body) = upload(&s.router, "x.toml", "not = [toml").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"].as_str().unwrap().starts_with("x.toml: not valid TOML"),
        "{body}"
    );
}

/// A bad value gets the message `spcap check` gives for the same file, and names its field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_values_are_refused_with_the_message_of_spcap_check() {
    let s = server(limits());
    let folder = s.dir.path().join("scenarios");
    let text = "extends = \"baseline.toml\"\n[link_workers]\ncaseload_per_fte = -5.0\n";
    let (status, body) = upload(&s.router, "bad.toml", text).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    std::fs::write(folder.join("bad.toml"), text).unwrap();
    let check = spcap_in(&folder, &["check", "bad.toml"]);
    assert_eq!(check.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert_eq!(stderr.trim(), format!("error: {}", body["error"].as_str().unwrap()));
    assert_eq!(body["field"], "link_workers.caseload_per_fte");

    // The same value typed into the form of an option: the message for the option's downloaded file.
    let mut request = five_posts(10);
    request["options"][1]["values"] = json!({"link_workers.caseload_per_fte": "-5"});
    let (status, body) = post_json(&s.router, "/api/check", &request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["option"], 1);
    assert_eq!(body["field"], "link_workers.caseload_per_fte");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.starts_with("five-posts.toml: link_workers.caseload_per_fte: "),
        "{message}"
    );
    let after = |m: &str| m.split_once(": ").map(|(_, rest)| rest.to_string()).unwrap();
    assert_eq!(after(message), after(stderr.trim().trim_start_matches("error: ")));

    // Every option's problem, each with its field.
    request["options"][0]["values"] = json!({"vcse.services[1].places": "many"});
    let (status, body) = post_json(&s.router, "/api/check", &request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(errors[0]["option"], 0);
    assert_eq!(errors[0]["field"], "vcse.services[1].places");
    assert!(errors[0]["error"].as_str().unwrap().contains("whole number"), "{body}");
    assert_eq!(errors[1]["option"], 1);

    let cases: Vec<(Value, StatusCode, &str, &str)> = vec![
        (
            json!({"link_workers.no_such": "1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "link_workers.no_such",
            "not a value this page can change",
        ),
        (
            json!({"holding.policy": "forget"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "holding.policy",
            "expected one of hold, discharge",
        ),
        (
            json!({"holding.max_holding": "soon"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "holding.max_holding",
            "soon",
        ),
        (
            json!({"calendar.horizon": "50y"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "calendar.horizon",
            "not a value this page can change",
        ),
    ];
    for (values, code, field, says) in cases {
        let mut request = five_posts(10);
        request["options"][1]["values"] = values.clone();
        let (status, body) = post_json(&s.router, "/api/check", &request).await;
        assert_eq!(status, code, "{values}: {body}");
        assert_eq!(body["field"], field, "{values}: {body}");
        assert!(body["error"].as_str().unwrap().contains(says), "{values}: {body}");
    }
    let mut request = five_posts(10);
    request["options"][1]["lists"]["link_workers.posts"][0]["count"] = json!("");
    let (status, body) = post_json(&s.router, "/api/check", &request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "link_workers.posts[0].count", "{body}");

    let (status, body) = post_json(&s.router, "/api/check", &five_posts(10)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["labels"], json!(["short-baseline", "five-posts"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_and_requests_beyond_the_limits_are_refused_before_anything_runs() {
    let s = server(Limits {
        replicates: 50,
        referrals: 5000,
        options: 2,
        ..limits()
    });
    for body in [&b"{not json"[..], b"", b"[]", b"{\"base\": 3}"] {
        let (status, answer) = send(&s.router, "POST", "/api/runs", Some(body.to_vec())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(body));
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert!(
            answer["error"].as_str().unwrap().starts_with("malformed request"),
            "{answer}"
        );
    }
    let mut wrong = five_posts(10);
    wrong["replicates"] = json!("ten");
    let (status, body) = post_json(&s.router, "/api/runs", &wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "replicates", "{body}");

    let (status, body) = post_json(&s.router, "/api/runs", &five_posts(51)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"].as_str().unwrap().contains("2 to 50 replicates"), "{body}");
    let (status, _) = post_json(&s.router, "/api/runs", &five_posts(1)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut many = five_posts(10);
    for n in 0..3 {
        many["options"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": format!("Copy {n}")}));
    }
    let (status, body) = post_json(&s.router, "/api/runs", &many).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"].as_str().unwrap().contains("1 to 2 options"), "{body}");
    let mut alone = five_posts(10);
    alone["options"].as_array_mut().unwrap().truncate(1);
    let (status, _) = post_json(&s.router, "/api/runs", &alone).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The baseline at 100 a month for a year and a half is within 5,000 referrals; at 1,000 a month it is not.
    let mut big = five_posts(10);
    big["options"][1]["values"] = json!({"referrals.rate_per_month": "1000"});
    let (status, body) = post_json(&s.router, "/api/runs", &big).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["option"], 1);
    assert!(
        body["error"].as_str().unwrap().contains("limit is 5000 per replicate"),
        "{body}"
    );

    for (threshold, says) in [
        ("waiting_list=20", "no date"),
        ("queue=20@2020-01-01", "not a weekly level"),
        ("waiting_list=20@2030-01-01", ""),
    ] {
        let mut bad = five_posts(10);
        bad["thresholds"] = json!([threshold]);
        let (status, body) = post_json(&s.router, "/api/runs", &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{threshold}: {body}");
        assert_eq!(body["field"], "threshold");
        assert!(body["error"].as_str().unwrap().contains(says), "{body}");
    }
    let mut unknown = five_posts(10);
    unknown["base"] = json!({"scenario": "../secret"});
    let (status, _) = post_json(&s.router, "/api/runs", &unknown).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut uploaded = five_posts(10);
    uploaded["base"] = json!({"upload": {"name": "x.toml", "text": "extends = \"../secret.toml\"\n"}});
    let (status, body) = post_json(&s.router, "/api/runs", &uploaded).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"].as_str().unwrap().contains("refused"), "{body}");

    // Nothing was queued by any of them.
    let (_, runs) = get_json(&s.router, "/api/runs").await;
    assert_eq!(runs, json!([]));
    for (uri, code) in [
        ("/api/runs/20990101-000000-0000", StatusCode::NOT_FOUND),
        ("/api/runs/..%2F..", StatusCode::BAD_REQUEST),
        ("/api/runs/nope/csv.zip", StatusCode::NOT_FOUND),
        ("/api/runs/nope/files/comparison/comparison.html", StatusCode::NOT_FOUND),
    ] {
        let (status, body) = get_json(&s.router, uri).await;
        assert_eq!(status, code, "{uri}: {body}");
    }
}

fn csv_rows(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A run on the page gives the numbers `spcap compare` gives for the
/// downloaded scenario files with the same replicates and seed; its files are
/// served, and a restarted server still lists it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_gives_the_numbers_of_spcap_compare_and_outlives_a_restart() {
    let s = server(limits());
    let (status, queued) = post_json(&s.router, "/api/runs", &five_posts(12)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let id = queued["id"].as_str().unwrap().to_string();
    let done = wait(&s.router, &id).await;
    assert_eq!(done["state"], "complete", "{done}");
    assert_eq!(done["done"], 24);
    let result = &done["result"];
    assert_eq!(result["names"], json!(["Short baseline", "Five posts"]));
    let verdicts = result["verdicts"].as_array().unwrap();
    assert!(!verdicts.is_empty());
    assert!(verdicts
        .iter()
        .all(|v| v["option"] == 1 && v["sentence"].as_str().unwrap().contains("Five posts")));
    assert_eq!(result["key_figures"][0]["values"].as_array().unwrap().len(), 2);
    assert_eq!(result["thresholds"][0]["answers"].as_array().unwrap().len(), 2);
    let figures: Vec<&str> = result["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        figures.contains(&"backlog") && figures.contains(&"waiting_time") && figures.contains(&"holding_time"),
        "{figures:?}"
    );

    // The downloads: each option's scenario file, run again on the command line.
    let cli = tempfile::tempdir().unwrap();
    for (n, label) in ["short-baseline", "five-posts"].iter().enumerate() {
        let (status, bytes) = send(&s.router, "GET", &format!("/api/runs/{id}/scenarios/{n}"), None).await;
        assert_eq!(status, StatusCode::OK);
        std::fs::write(cli.path().join(format!("{label}.toml")), bytes).unwrap();
    }
    let out = spcap_in(
        cli.path(),
        &[
            "compare",
            "short-baseline.toml",
            "five-posts.toml",
            "-n",
            "12",
            "--seed",
            "7",
            "--quiet",
            "--out",
            "cmp",
            "--threshold",
            "waiting_list=20@2020-06-30",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for file in [
        "comparison.csv",
        "thresholds.csv",
        "short-baseline/summary.csv",
        "five-posts/summary.csv",
        "five-posts/replicates.csv",
        "five-posts/timeseries.csv",
    ] {
        let (status, served) = send(
            &s.router,
            "GET",
            &format!("/api/runs/{id}/files/comparison/{file}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{file}");
        let cli_file = std::fs::read(cli.path().join("cmp").join(file)).unwrap();
        assert_eq!(
            csv_rows(&served),
            csv_rows(&cli_file),
            "{file} differs from spcap compare's"
        );
    }

    let (status, page) = send(
        &s.router,
        "GET",
        &format!("/api/runs/{id}/files/comparison/comparison.html"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv_rows(&page).contains("Five posts"));
    let (status, svg) = send(
        &s.router,
        "GET",
        &format!("/api/runs/{id}/files/comparison/backlog.svg"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv_rows(&svg).contains("<svg"));
    let (status, zip) = send(&s.router, "GET", &format!("/api/runs/{id}/csv.zip"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&zip[..2], b"PK");
    assert!(zip.windows(14).any(|w| w == b"comparison.csv"));
    for bad in [
        "../result.json",
        "comparison/../../x",
        "comparison/nothere.csv",
        "/etc/passwd",
    ] {
        let (status, _) = send(&s.router, "GET", &format!("/api/runs/{id}/files/{bad}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
    let (status, _) = send(&s.router, "GET", &format!("/api/runs/{id}/scenarios/9"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post_json(&s.router, &format!("/api/runs/{id}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A threshold question asked after the run gets the answer the run gave it, and others their own.
    let uri = format!("/api/runs/{id}/threshold");
    let (status, answer) = post_json(&s.router, &uri, &json!({"threshold": "waiting_list=20@2020-06-30"})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, result["thresholds"][0]);
    let (status, other) = post_json(&s.router, &uri, &json!({"threshold": "waiting_list=0@2020-09-30"})).await;
    assert_eq!(status, StatusCode::OK, "{other}");
    assert_eq!(other["snapshot"], "2020-09-29");
    assert_ne!(other["answers"], answer["answers"]);
    for bad in ["waiting_list=20", "waiting_list=20@2031-01-01", "nothing=1@2020-01-01"] {
        let (status, body) = post_json(&s.router, &uri, &json!({"threshold": bad})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["field"], "threshold");
    }
    let (status, _) = post_json(&s.router, &uri, &json!({"question": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A server started again on the same folder lists the run, complete, with the same result.
    let folder = s.dir.path().join("scenarios");
    let again = app(&folder, &s.dir.path().join("data"), limits()).unwrap();
    let (_, runs) = get_json(&again, "/api/runs").await;
    assert_eq!(runs[0]["id"], id.as_str());
    assert_eq!(runs[0]["state"], "complete");
    let (_, status_again) = get_json(&again, &format!("/api/runs/{id}")).await;
    assert_eq!(status_again["result"], done["result"]);
}

/// A queued run is cancelled at once and a running one within a replicate;
/// neither leaves a folder, and the queue's limit refuses a run beyond it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_wait_in_a_bounded_queue_and_a_cancelled_run_leaves_nothing() {
    let s = server(Limits {
        runs_at_once: 1,
        queue: 1,
        replicates: 1_000_000,
        threads: 1,
        ..Limits::default()
    });
    let (status, long) = post_json(&s.router, "/api/runs", &five_posts(1_000_000)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{long}");
    let long = long["id"].as_str().unwrap().to_string();
    // Wait until it is running, so that the next one queues behind it.
    let started = Instant::now();
    loop {
        let (_, body) = get_json(&s.router, &format!("/api/runs/{long}")).await;
        if body["state"] == "running" && body["done"].as_u64().unwrap() > 0 {
            assert!(body["seconds_left"].as_f64().unwrap() > 0.0, "{body}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, queued) = post_json(&s.router, "/api/runs", &five_posts(10)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(queued["state"], "queued");
    assert_eq!(queued["position"], 0);
    let queued = queued["id"].as_str().unwrap().to_string();
    let (status, body) = post_json(&s.router, "/api/runs", &five_posts(10)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body["error"].as_str().unwrap().contains("at most 1 runs waiting"),
        "{body}"
    );
    let (status, files) = send(&s.router, "GET", &format!("/api/runs/{long}/csv.zip"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{}", csv_rows(&files));
    let question = json!({"threshold": "waiting_list=20@2020-06-30"});
    let (status, _) = post_json(&s.router, &format!("/api/runs/{long}/threshold"), &question).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body) = post_json(&s.router, &format!("/api/runs/{queued}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["state"], "cancelled");
    let (status, _) = post_json(&s.router, &format!("/api/runs/{long}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let body = wait(&s.router, &long).await;
    assert_eq!(body["state"], "cancelled", "{body}");
    let left: Vec<String> = std::fs::read_dir(s.dir.path().join("data/runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "a cancelled run left {left:?}");
    let (status, _) = post_json(&s.router, &format!("/api/runs/{long}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

/// A partial run folder left by a server that was stopped is removed when the server starts again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_removes_partial_runs() {
    let dir = tempfile::tempdir().unwrap();
    let folder = scenarios(dir.path());
    let runs = dir.path().join("data/runs");
    std::fs::create_dir_all(runs.join(".partial-20260101-000000-0001/comparison")).unwrap();
    std::fs::create_dir_all(runs.join("20260101-000000-0002")).unwrap();
    let router = app(&folder, &dir.path().join("data"), limits()).unwrap();
    assert!(!runs.join(".partial-20260101-000000-0001").exists());
    let (_, list) = get_json(&router, "/api/runs").await;
    assert_eq!(list, json!([]), "a folder without result.json is not a finished run");
    assert!(app(&dir.path().join("nothere"), &dir.path().join("data"), limits()).is_err());
}
