//! Malformed scenarios: none may make spcap panic. Each must give a clear error
//! that names the file, the key path and what is allowed, and the command line
//! must exit with code 2.

use proptest::prelude::*;
use spcap::scenario::{self, LoadedScenario, ScenarioError};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// The calendar, referrals and a client group that needs only befriending.
const HEAD: &str = r#"[calendar]
start = "2020-01-01"
warm_up = "0d"
horizon = "1y"

[referrals]
rate_per_month = 30

[client_groups.standard]
share = 1
categories = { befriending = 1.0 }
"#;

const POSTS: &str = r#"
[[link_workers.posts]]
count = 2
"#;

const SERVICES: &str = r#"
[[vcse.services]]
name = "Befriending"
category = "befriending"
places = 10
"#;

/// The smallest valid scenario.
fn minimal() -> String {
    format!("{HEAD}{POSTS}{SERVICES}")
}

/// `text` with `from` replaced by `to`; `from` must be there, so that a test cannot silently test nothing.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "test set-up: {from:?} is not in the scenario text");
    text.replacen(from, to, 1)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a scenario file");
    path
}

fn baseline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml")
}

/// Writes `text` to `scenario.toml` in a fresh temporary folder and loads it.
fn load_text(text: &str) -> (TempDir, PathBuf, Result<LoadedScenario, ScenarioError>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "scenario.toml", text);
    let result = scenario::load(&path);
    (dir, path, result)
}

/// Asserts that `result` is `Invalid` about `key` in `file`, that the message
/// names both and says what is allowed (`allowed`); returns the message.
fn assert_invalid(result: Result<LoadedScenario, ScenarioError>, file: &Path, key: &str, allowed: &str) -> String {
    let err = match result {
        Ok(_) => panic!("expected an error about {key}, but the scenario loaded"),
        Err(e) => e,
    };
    let shown = err.to_string();
    match &err {
        ScenarioError::Invalid { file: f, key: k, .. } => {
            assert_eq!(f, file, "error attributed to the wrong file: {shown}");
            assert_eq!(k, key, "error names the wrong key: {shown}");
        }
        other => panic!("expected ScenarioError::Invalid about {key}, got {other:?}"),
    }
    assert_eq!(err.key(), Some(key));
    assert!(
        shown.contains(&file.display().to_string()),
        "message does not name the file: {shown}"
    );
    assert!(shown.contains(key), "message does not name the key path {key}: {shown}");
    assert!(
        shown.contains(allowed),
        "message does not say what is allowed ({allowed:?}): {shown}"
    );
    shown
}

/// Loads `text` from a file and asserts an `Invalid` error about `key`.
fn expect_invalid(text: &str, key: &str, allowed: &str) -> String {
    let (_dir, path, result) = load_text(text);
    assert_invalid(result, &path, key, allowed)
}

// ---------------------------------------------------------------- controls

#[test]
fn minimal_scenario_is_valid() {
    let (_dir, _path, result) = load_text(&minimal());
    let loaded = result.unwrap_or_else(|e| panic!("the minimal scenario should load: {e}"));
    assert_eq!(loaded.scenario.link_workers.posts.len(), 2);
    assert_eq!(loaded.scenario.vcse.services.len(), 1);
    assert!(scenario::load_str(&minimal(), "minimal.toml").is_ok());
}

#[test]
fn shipped_baseline_is_valid() {
    scenario::load(&baseline()).unwrap_or_else(|e| panic!("baseline should load: {e}"));
}

// ---------------------------------------------------------------- 1. syntax

#[test]
fn unclosed_bracket_is_a_syntax_error_naming_the_file() {
    let text = edit(&minimal(), "[referrals]", "[referrals");
    let (_dir, path, result) = load_text(&text);
    let err = result.expect_err("an unclosed bracket must be refused");
    assert!(
        matches!(&err, ScenarioError::Syntax { file, .. } if file == &path),
        "expected Syntax naming {}, got {err:?}",
        path.display()
    );
    let shown = err.to_string();
    assert!(shown.contains(&path.display().to_string()), "{shown}");
    assert!(shown.contains("not valid TOML"), "{shown}");
    assert_eq!(err.key(), None);
}

#[test]
fn other_malformed_toml_is_a_syntax_error() {
    for (what, text) in [
        (
            "unclosed string",
            edit(&minimal(), "horizon = \"1y\"", "horizon = \"1y"),
        ),
        (
            "unclosed inline table",
            edit(&minimal(), "{ befriending = 1.0 }", "{ befriending = 1.0"),
        ),
        (
            "duplicate key",
            edit(
                &minimal(),
                "rate_per_month = 30",
                "rate_per_month = 30\nrate_per_month = 31",
            ),
        ),
        (
            "duplicate table",
            format!("{}\n[calendar]\nstart = \"2020-01-01\"\n", minimal()),
        ),
        (
            "key without value",
            edit(&minimal(), "rate_per_month = 30", "rate_per_month ="),
        ),
        ("bare words", "this is not a scenario".to_string()),
        ("binary junk", "\u{0}\u{1}\u{2}[[[".to_string()),
    ] {
        let (_dir, path, result) = load_text(&text);
        match result {
            Err(ScenarioError::Syntax { file, message }) => {
                assert_eq!(file, path, "{what}");
                assert!(!message.is_empty(), "{what}: empty message");
            }
            other => panic!("{what}: expected a Syntax error, got {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn load_str_names_the_given_name_in_a_syntax_error() {
    let err = scenario::load_str("[calendar", "typed-in.toml").expect_err("unclosed bracket");
    assert!(matches!(err, ScenarioError::Syntax { .. }), "{err:?}");
    assert!(err.to_string().starts_with("typed-in.toml: "), "{err}");
}

#[test]
fn a_missing_file_is_a_read_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-scenario.toml");
    let err = scenario::load(&path).expect_err("a missing file");
    assert!(
        matches!(&err, ScenarioError::Read { file, .. } if file == &path),
        "{err:?}"
    );
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
}

// ---------------------------------------------------------------- 2. wrong types

#[test]
fn horizon_as_a_bare_number_names_calendar_horizon() {
    let text = edit(&minimal(), "horizon = \"1y\"", "horizon = 5");
    let shown = expect_invalid(&text, "calendar.horizon", "expected a string");
    assert!(
        shown.contains("\"5y\""),
        "the message should show how to write a time: {shown}"
    );
}

#[test]
fn rate_as_text_names_referrals_rate_per_month() {
    let text = edit(&minimal(), "rate_per_month = 30", "rate_per_month = \"lots\"");
    expect_invalid(&text, "referrals.rate_per_month", "expected f64");
}

#[test]
fn other_wrong_types_name_their_keys() {
    for (from, to, key) in [
        // (An unquoted TOML date, start = 2020-01-01, is accepted as the text of the date.)
        ("start = \"2020-01-01\"", "start = 20200101", "calendar.start"),
        ("count = 2", "count = \"two\"", "link_workers.posts[0].count"),
        ("count = 2", "count = 2.5", "link_workers.posts[0].count"),
        ("places = 10", "places = [10]", "vcse.services[0].places"),
        ("name = \"Befriending\"", "name = 7", "vcse.services[0].name"),
        ("share = 1", "share = true", "client_groups.standard.share"),
    ] {
        let text = edit(&minimal(), from, to);
        let (_dir, path, result) = load_text(&text);
        match result {
            Err(ScenarioError::Invalid { file, key: k, message }) => {
                assert_eq!(file, path);
                assert_eq!(k, key, "{to}: {message}");
                assert!(message.contains("invalid type"), "{to}: {message}");
            }
            other => panic!("{to}: expected Invalid about {key}, got {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn a_missing_required_key_is_named() {
    let text = edit(&minimal(), "rate_per_month = 30", "");
    let shown = expect_invalid(&text, "referrals", "is required");
    assert!(shown.contains("rate_per_month"), "{shown}");
    let text = edit(&minimal(), "[referrals]\nrate_per_month = 30\n", "");
    let shown = expect_invalid(&text, "(top level)", "is required");
    assert!(shown.contains("referrals"), "{shown}");
}

// ---------------------------------------------------------------- 3. misspelt keys

#[test]
fn a_misspelt_key_is_refused_with_its_path() {
    let text = format!("{}\n[link_workers.turnover]\nanual_rate = 0.2\n", minimal());
    let shown = expect_invalid(&text, "link_workers.turnover.anual_rate", "unknown key");
    assert!(shown.contains("annual_rate"), "should list the allowed keys: {shown}");
}

#[test]
fn misspelt_keys_elsewhere_are_refused_with_their_paths() {
    for (from, to, key) in [
        ("[referrals]", "[referral]", "referral"),
        ("places = 10", "plces = 10", "vcse.services[0].plces"),
        ("warm_up = \"0d\"", "warmup = \"0d\"", "calendar.warmup"),
        ("count = 2", "count = 2\nftee = 1.0", "link_workers.posts[0].ftee"),
        ("share = 1", "share = 1\npriorty = 1", "client_groups.standard.priorty"),
    ] {
        let text = edit(&minimal(), from, to);
        expect_invalid(&text, key, "unknown key");
    }
}

// ---------------------------------------------------------------- 4. out-of-range numbers

#[test]
fn negative_referral_rate_is_refused() {
    let text = edit(&minimal(), "rate_per_month = 30", "rate_per_month = -5");
    let shown = expect_invalid(&text, "referrals.rate_per_month", "must be a number from 0");
    assert!(shown.contains("-5"), "should show the value: {shown}");
}

#[test]
fn negative_turnover_rate_is_refused() {
    let text = edit(
        &minimal(),
        "count = 2",
        "count = 2\n[link_workers.turnover]\nannual_rate = -0.2",
    );
    expect_invalid(
        &text,
        "link_workers.turnover.annual_rate",
        "must be a number from 0 to 50",
    );
    let text = format!("{HEAD}\n[link_workers]\nturnover = {{ annual_rate = -0.2 }}\n{POSTS}{SERVICES}");
    expect_invalid(
        &text,
        "link_workers.turnover.annual_rate",
        "must be a number from 0 to 50",
    );
}

#[test]
fn nan_and_infinite_rates_are_refused() {
    for value in ["nan", "+nan", "-nan", "inf", "-inf", "1e400"] {
        let text = edit(&minimal(), "rate_per_month = 30", &format!("rate_per_month = {value}"));
        let (_dir, path, result) = load_text(&text);
        match result {
            // 1e400 is not a valid TOML float: a syntax error is fine too.
            Err(ScenarioError::Syntax { file, .. }) if value == "1e400" => assert_eq!(file, path),
            other => {
                assert_invalid(other, &path, "referrals.rate_per_month", "must be a number");
            }
        }
    }
}

#[test]
fn other_out_of_range_values_are_refused() {
    for (from, to, key, allowed) in [
        ("share = 1", "share = -1", "client_groups.standard.share", "at least 0"),
        (
            "share = 1",
            "share = 1\nonward_need = 1.5",
            "client_groups.standard.onward_need",
            "from 0 to 1",
        ),
        (
            "count = 2",
            "count = -1",
            "link_workers.posts[0].count",
            "from 0 to 10000",
        ),
        (
            "share = 1",
            "share = 1\nlater_contacts = { from_contact = 1, interval = \"28d\" }",
            "client_groups.standard.later_contacts.from_contact",
            "from 2 to 10000",
        ),
        (
            "count = 2",
            "count = 2\nfte = 0",
            "link_workers.posts[0].fte",
            "from 0.01 to 10",
        ),
        (
            "places = 10",
            "places = -3",
            "vcse.services[0].places",
            "from 0 to 1000000",
        ),
        (
            "places = 10",
            "places = 10\n[vcse.births]\nannual_rate = 500",
            "vcse.births.annual_rate",
            "from 0 to 100",
        ),
        (
            "places = 10",
            "places = 10\n[vcse.births]\nannual_rate = 1\ncategories = { debt = 1 }",
            "vcse.births.categories.debt",
            "a category the scenario's services offer: befriending",
        ),
        (
            "places = 10",
            "places = 10\n[vcse.births]\nannual_rate = 1\ncategories = { befriending = 0 }",
            "vcse.births.categories",
            "at least one category",
        ),
        (
            "places = 10",
            "places = 10\n[vcse.births]\nannual_rate = 1\nplaces = \"3w\"",
            "vcse.births.places",
            "a plain number",
        ),
        (
            "places = 10",
            "places = 10\n[vcse.births]\nplaces = 3",
            "vcse.births",
            "annual_rate",
        ),
        (
            "rate_per_month = 30",
            "rate_per_month = 30\nseasonality = [1, 1]",
            "referrals.seasonality",
            "12",
        ),
        (
            "horizon = \"1y\"",
            "horizon = \"1d\"",
            "calendar.horizon",
            "at least a week",
        ),
        (
            "horizon = \"1y\"",
            "horizon = \"300y\"",
            "calendar.horizon",
            "under 200 years",
        ),
        (
            "horizon = \"1y\"",
            "horizon = \"-1y\"",
            "calendar.horizon",
            "a length of time with a unit",
        ),
        (
            "horizon = \"1y\"",
            "horizon = \"1 year\"",
            "calendar.horizon",
            "a length of time with a unit",
        ),
    ] {
        let text = edit(&minimal(), from, to);
        expect_invalid(&text, key, allowed);
    }
}

// ---------------------------------------------------------------- 5. no link workers

#[test]
fn zero_link_workers_are_refused() {
    let text = edit(&minimal(), "count = 2", "count = 0");
    expect_invalid(&text, "link_workers.posts", "at least one link worker post");
    let text = format!("{HEAD}\n[link_workers]\nposts = []\n{SERVICES}");
    expect_invalid(&text, "link_workers.posts", "at least one link worker post");
}

#[test]
fn zero_posts_now_but_a_funded_post_later_is_valid() {
    let text = edit(
        &minimal(),
        "count = 2",
        "count = 0\n\n[[link_workers.funding_changes]]\ndate = \"2020-06-01\"\nadd_posts = 1",
    );
    let (_dir, _path, result) = load_text(&text);
    result.unwrap_or_else(|e| panic!("a funding change adding a post should do: {e}"));
    // A funding change that adds nothing does not count.
    let text = edit(
        &minimal(),
        "count = 2",
        "count = 0\n\n[[link_workers.funding_changes]]\ndate = \"2020-06-01\"\nremove_posts = 1",
    );
    expect_invalid(&text, "link_workers.posts", "at least one link worker post");
}

// ---------------------------------------------------------------- 6. dates

fn with_change(from: &str, to: Option<&str>) -> String {
    let to = to.map(|t| format!("to = \"{t}\"\n")).unwrap_or_default();
    format!(
        "{}\n[[referrals.changes]]\nfrom = \"{from}\"\n{to}multiplier = 0.5\n",
        minimal()
    )
}

#[test]
fn a_change_before_the_start_is_refused() {
    let shown = expect_invalid(
        &with_change("2019-01-01", None),
        "referrals.changes[0].from",
        "must fall within the simulated period",
    );
    assert!(shown.contains("2020-01-01"), "should give the start date: {shown}");
}

#[test]
fn a_change_after_the_end_is_refused() {
    expect_invalid(
        &with_change("2022-01-01", None),
        "referrals.changes[0].from",
        "must fall within the simulated period",
    );
    expect_invalid(
        &with_change("2020-06-01", Some("2030-01-01")),
        "referrals.changes[0].to",
        "must fall within the simulated period",
    );
}

#[test]
fn a_change_within_the_period_is_valid() {
    let (_dir, _path, result) = load_text(&with_change("2020-03-23", Some("2020-07-01")));
    result.unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_change_ending_before_it_starts_is_refused() {
    expect_invalid(
        &with_change("2020-07-01", Some("2020-03-23")),
        "referrals.changes[0].to",
        "must not be before `from`",
    );
}

#[test]
fn impossible_dates_are_refused() {
    expect_invalid(
        &with_change("2020-02-30", None),
        "referrals.changes[0].from",
        "YYYY-MM-DD",
    );
    expect_invalid(
        &with_change("23/03/2020", None),
        "referrals.changes[0].from",
        "YYYY-MM-DD",
    );
    let text = edit(&minimal(), "start = \"2020-01-01\"", "start = \"2020-02-30\"");
    expect_invalid(&text, "calendar.start", "YYYY-MM-DD");
    let text = edit(&minimal(), "start = \"2020-01-01\"", "start = \"2020-13-01\"");
    expect_invalid(&text, "calendar.start", "YYYY-MM-DD");
}

#[test]
fn dates_elsewhere_are_checked_with_their_paths() {
    let text = edit(&minimal(), "places = 10", "places = 10\nopens = \"2019-06-01\"");
    expect_invalid(&text, "vcse.services[0].opens", "must fall within the simulated period");
    let text = edit(&minimal(), "count = 2", "count = 2\ncontract_end = \"2020-02-31\"");
    expect_invalid(&text, "link_workers.posts[0].contract_end", "YYYY-MM-DD");
    let text = format!(
        "{}\n[[delivery_periods]]\nfrom = \"2025-01-01\"\nmode = \"remote\"\n",
        minimal()
    );
    expect_invalid(
        &text,
        "delivery_periods[0].from",
        "must fall within the simulated period",
    );
}

// ---------------------------------------------------------------- 7. no VCSE services

/// The two ways of writing an empty VCSE list, each around `head`:
/// `vcse = {...}` must come before any table header, `[vcse]` after.
fn empty_vcse_scenarios(head: &str) -> [String; 2] {
    [
        format!("vcse = {{ services = [] }}\n{head}{POSTS}"),
        format!("{head}{POSTS}\n[vcse]\nservices = []\n"),
    ]
}

#[test]
fn an_empty_vcse_list_names_vcse_services() {
    for text in empty_vcse_scenarios(HEAD) {
        expect_invalid(&text, "vcse.services", "at least one VCSE service");
    }
}

#[test]
fn an_empty_vcse_list_names_vcse_services_when_no_group_needs_a_category() {
    // With no category needed by any client group, the VCSE check is reached directly.
    let head = edit(
        HEAD,
        "categories = { befriending = 1.0 }",
        "categories = {}\nonward_need = 0",
    );
    for text in empty_vcse_scenarios(&head) {
        expect_invalid(&text, "vcse.services", "at least one VCSE service");
    }
}

#[test]
fn a_missing_vcse_section_is_named() {
    let text = format!("{HEAD}{POSTS}");
    let shown = expect_invalid(&text, "(top level)", "is required");
    assert!(shown.contains("vcse"), "{shown}");
}

#[test]
fn a_group_needing_a_category_no_service_offers_is_refused() {
    let text = edit(
        &minimal(),
        "{ befriending = 1.0 }",
        "{ befriending = 0.5, gardening = 0.5 }",
    );
    let shown = expect_invalid(
        &text,
        "client_groups.standard.categories.gardening",
        "no VCSE service has this category",
    );
    assert!(
        shown.contains("befriending"),
        "should list the categories on offer: {shown}"
    );
}

// ---------------------------------------------------------------- 8, 9. extends

#[test]
fn a_missing_extends_file_names_the_file_that_says_extends() {
    let dir = tempfile::tempdir().unwrap();
    let child = write(dir.path(), "option.toml", "extends = \"no-such-baseline.toml\"\n");
    let err = scenario::load(&child).expect_err("missing parent");
    match &err {
        ScenarioError::Extends { file, target, .. } => {
            assert_eq!(file, &child);
            assert_eq!(target, "no-such-baseline.toml");
        }
        other => panic!("expected Extends, got {other:?}"),
    }
    let shown = err.to_string();
    assert!(shown.contains(&child.display().to_string()), "{shown}");
    assert!(shown.contains("no-such-baseline.toml"), "{shown}");
}

#[test]
fn extends_that_is_not_a_file_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let child = write(dir.path(), "option.toml", &format!("extends = 5\n{}", minimal()));
    let result = scenario::load(&child);
    assert_invalid(result, &child, "extends", "a file name in quotes");
}

#[test]
fn an_extends_cycle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
    write(dir.path(), "b.toml", "extends = \"a.toml\"\n");
    let err = scenario::load(&a).expect_err("a cycle");
    assert!(matches!(err, ScenarioError::Extends { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(shown.contains("cycle"), "{shown}");
    assert!(shown.contains("a.toml") && shown.contains("b.toml"), "{shown}");
}

#[test]
fn a_file_extending_itself_is_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "self.toml",
        &format!("extends = \"self.toml\"\n{}", minimal()),
    );
    let err = scenario::load(&a).expect_err("a cycle");
    assert!(
        matches!(&err, ScenarioError::Extends { file, .. } if file == &a),
        "{err:?}"
    );
    assert!(err.to_string().contains("cycle"), "{err}");
}

#[test]
fn a_longer_extends_cycle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let a = write(dir.path(), "a.toml", "extends = \"sub/b.toml\"\n");
    write(dir.path(), "sub/b.toml", "extends = \"c.toml\"\n");
    write(dir.path(), "sub/c.toml", "extends = \"../a.toml\"\n");
    let err = scenario::load(&a).expect_err("a cycle");
    assert!(matches!(err, ScenarioError::Extends { .. }), "{err:?}");
    assert!(err.to_string().contains("cycle"), "{err}");
}

#[test]
fn a_syntax_error_in_the_parent_names_the_parent() {
    let dir = tempfile::tempdir().unwrap();
    let parent = write(dir.path(), "parent.toml", "[calendar\n");
    let child = write(dir.path(), "child.toml", "extends = \"parent.toml\"\n");
    let err = scenario::load(&child).expect_err("bad parent");
    assert!(
        matches!(&err, ScenarioError::Syntax { file, .. } if file == &parent),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- 10. distributions

fn with_interval(interval: &str) -> String {
    edit(
        &minimal(),
        "categories = { befriending = 1.0 }",
        &format!("categories = {{ befriending = 1.0 }}\ncontact_interval = {interval}"),
    )
}

const INTERVAL: &str = "client_groups.standard.contact_interval";

#[test]
fn a_time_without_a_unit_is_refused() {
    let shown = expect_invalid(
        &with_interval("{ dist = \"exponential\", mean = 14 }"),
        &format!("{INTERVAL}.mean"),
        "a time needs a unit",
    );
    assert!(shown.contains("\"14d\""), "should show an example: {shown}");
    expect_invalid(&with_interval("14"), INTERVAL, "a time needs a unit");
}

#[test]
fn an_unknown_distribution_is_refused() {
    let shown = expect_invalid(
        &with_interval("{ dist = \"weibull\", shape = 2, scale = \"14d\" }"),
        &format!("{INTERVAL}.dist"),
        "expected one of `fixed`, `exponential`, `uniform`, `triangular`, `lognormal`, `gamma`, `empirical`",
    );
    assert!(shown.contains("weibull"), "{shown}");
}

#[test]
fn wrong_keys_for_a_distribution_are_refused() {
    // serde checks a distribution's keys against its `dist`, so these name the
    // distribution's own key path, the key at fault and the keys allowed.
    // A key no distribution has.
    expect_invalid(
        &with_interval("{ dist = \"exponential\", mean = \"14d\", rate = 2 }"),
        INTERVAL,
        "unknown key `rate`, expected `mean`",
    );
    // A key of another distribution.
    expect_invalid(
        &with_interval("{ dist = \"uniform\", min = \"7d\", max = \"14d\", mean = \"10d\" }"),
        INTERVAL,
        "unknown key `mean`, expected `min` or `max`",
    );
    // A key missing.
    expect_invalid(
        &with_interval("{ dist = \"uniform\", min = \"7d\" }"),
        INTERVAL,
        "the key `max` is required",
    );
    // No dist at all.
    expect_invalid(
        &with_interval("{ mean = \"14d\" }"),
        INTERVAL,
        "the key `dist` is required",
    );
    // Neither a single value nor a table.
    expect_invalid(
        &with_interval("true"),
        INTERVAL,
        "expected a distribution: a single value (\"14d\", 8) or a table such as { dist = \"exponential\", mean = \"14d\" }",
    );
    // A value that is neither a number nor a time.
    expect_invalid(
        &with_interval("{ dist = \"exponential\", mean = true }"),
        INTERVAL,
        "invalid type: boolean `true`, expected a number, or a length of time with a unit such as \"14d\"",
    );
    // Gamma takes one pair of keys, not both.
    expect_invalid(
        &with_interval("{ dist = \"gamma\", mean = \"14d\", sd = \"7d\", shape = 2 }"),
        &format!("{INTERVAL}.mean"),
        "takes only: shape, scale",
    );
}

#[test]
fn impossible_distribution_parameters_are_refused() {
    for (interval, key, allowed) in [
        (
            "{ dist = \"uniform\", min = \"14d\", max = \"7d\" }",
            "max",
            "at least `min`",
        ),
        (
            "{ dist = \"triangular\", min = \"7d\", mode = \"30d\", max = \"14d\" }",
            "mode",
            "min <= mode <= max",
        ),
        ("{ dist = \"exponential\", mean = \"0d\" }", "mean", "more than 0"),
        (
            "{ dist = \"exponential\", mean = \"-3d\" }",
            "mean",
            "a length of time with a unit",
        ),
        (
            "{ dist = \"lognormal\", mean = \"14d\", sd = \"0d\" }",
            "sd",
            "more than 0",
        ),
        (
            "{ dist = \"gamma\", shape = \"2d\", scale = \"7d\" }",
            "shape",
            "plain number",
        ),
        ("{ dist = \"empirical\", values = [] }", "values", "at least one value"),
    ] {
        expect_invalid(&with_interval(interval), &format!("{INTERVAL}.{key}"), allowed);
    }
    let text = edit(
        &minimal(),
        "categories = { befriending = 1.0 }",
        "categories = { befriending = 1.0 }\ncontacts = { dist = \"fixed\", value = \"3d\" }",
    );
    expect_invalid(&text, "client_groups.standard.contacts.value", "a plain number");
    let text = edit(
        &minimal(),
        "places = 10",
        "places = 10\nattendance = { dist = \"weibull\" }",
    );
    expect_invalid(
        &text,
        "vcse.services[0].attendance.dist",
        "unknown variant `weibull`, expected one of `fixed`",
    );
}

// ---------------------------------------------------------------- 11. which file is blamed

/// A parent that is a complete scenario, and a child that extends it.
fn family(parent: &str, child: &str) -> (TempDir, PathBuf, PathBuf, Result<LoadedScenario, ScenarioError>) {
    let dir = tempfile::tempdir().unwrap();
    let parent_path = write(dir.path(), "parent.toml", parent);
    let child_path = write(dir.path(), "child.toml", &format!("extends = \"parent.toml\"\n{child}"));
    let result = scenario::load(&child_path);
    (dir, parent_path, child_path, result)
}

#[test]
fn a_valid_child_of_a_valid_parent_loads() {
    let (_dir, _p, _c, result) = family(&minimal(), "[referrals]\nrate_per_month = 40\n");
    let loaded = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.scenario.referrals.rate_per_month, 40.0);
    assert_eq!(
        loaded.scenario.link_workers.posts.len(),
        2,
        "posts inherited from the parent"
    );
}

#[test]
fn an_error_in_the_child_names_the_child() {
    let (_dir, _parent, child, result) = family(&minimal(), "[referrals]\nrate_per_month = -1\n");
    assert_invalid(result, &child, "referrals.rate_per_month", "must be a number");
    let (_dir, _parent, child, result) = family(&minimal(), "[link_workers.turnover]\nanual_rate = 0.2\n");
    assert_invalid(result, &child, "link_workers.turnover.anual_rate", "unknown key");
    let (_dir, _parent, child, result) = family(&minimal(), "[calendar]\nhorizon = 5\n");
    assert_invalid(result, &child, "calendar.horizon", "expected a string");
}

#[test]
fn an_inherited_error_names_the_parent() {
    let bad_parent = edit(
        &minimal(),
        "count = 2",
        "count = 2\n[link_workers.turnover]\nannual_rate = -0.2",
    );
    let (_dir, parent, _child, result) = family(&bad_parent, "[referrals]\nrate_per_month = 40\n");
    assert_invalid(
        result,
        &parent,
        "link_workers.turnover.annual_rate",
        "must be a number from 0 to 50",
    );

    let bad_parent = edit(&minimal(), "horizon = \"1y\"", "horizon = 5");
    let (_dir, parent, _child, result) = family(&bad_parent, "[referrals]\nrate_per_month = 40\n");
    assert_invalid(result, &parent, "calendar.horizon", "expected a string");

    let bad_parent = edit(&minimal(), "places = 10", "plces = 10");
    let (_dir, parent, _child, result) = family(&bad_parent, "[referrals]\nrate_per_month = 40\n");
    assert_invalid(result, &parent, "vcse.services[0].plces", "unknown key");

    let bad_parent = edit(&minimal(), "start = \"2020-01-01\"", "start = \"2020-02-30\"");
    let (_dir, parent, _child, result) = family(&bad_parent, "[referrals]\nrate_per_month = 40\n");
    assert_invalid(result, &parent, "calendar.start", "YYYY-MM-DD");
}

#[test]
fn a_child_fixing_the_parents_value_wins() {
    let bad_parent = edit(&minimal(), "rate_per_month = 30", "rate_per_month = -30");
    let (_dir, _p, _c, result) = family(&bad_parent, "[referrals]\nrate_per_month = 30\n");
    result.unwrap_or_else(|e| panic!("the child's value replaces the parent's: {e}"));
}

// ---------------------------------------------------------------- 11b. values of a fixed set

#[test]
fn unknown_values_of_a_fixed_set_name_their_key_the_value_and_the_choices() {
    for (from, to, key, allowed) in [
        (
            "rate_per_month = 30",
            "rate_per_month = 30\norder = \"lifo\"",
            "referrals.order",
            "unknown variant `lifo`, expected `fifo` or `priority`",
        ),
        (
            "count = 2",
            "count = 2\n\n[holding]\npolicy = \"keep\"",
            "holding.policy",
            "unknown variant `keep`, expected `hold` or `discharge`",
        ),
        (
            "count = 2",
            "count = 2\n\n[[delivery_periods]]\nfrom = \"2020-03-01\"\nmode = \"online\"",
            "delivery_periods[0].mode",
            "unknown variant `online`, expected one of `in_person`, `remote`, `hybrid`",
        ),
    ] {
        expect_invalid(&edit(&minimal(), from, to), key, allowed);
    }
}

#[test]
fn known_values_of_a_fixed_set_are_read() {
    let text = edit(
        &minimal(),
        "rate_per_month = 30",
        "rate_per_month = 30\norder = \"priority\"",
    );
    let text = format!(
        "{text}\n[holding]\npolicy = \"discharge\"\n\n[[delivery_periods]]\nfrom = \"2020-03-01\"\nmode = \"in_person\"\n"
    );
    let (_dir, _path, result) = load_text(&text);
    let loaded = result.unwrap_or_else(|e| panic!("should load: {e}"));
    assert_eq!(loaded.scenario.referrals.order, scenario::QueueOrder::Priority);
    assert_eq!(loaded.scenario.holding.policy, scenario::HoldingPolicy::Discharge);
    assert_eq!(loaded.scenario.delivery_periods[0].mode, "in_person");
    let printed = loaded.resolved_toml();
    assert!(printed.contains("order = \"priority\""), "{printed}");
    assert!(printed.contains("policy = \"discharge\""), "{printed}");
    assert!(printed.contains("mode = \"in_person\""), "{printed}");
}

// ---------------------------------------------------------------- 11c. limits of the model's counters

/// The minimal scenario with `n` services, each in a category of its own, and
/// one client group needing the first.
fn with_categories(n: usize) -> String {
    let mut text = format!("{HEAD}{POSTS}");
    for i in 0..n {
        let category = if i == 0 {
            "befriending".to_string()
        } else {
            format!("category_{i}")
        };
        text.push_str(&format!(
            "\n[[vcse.services]]\nname = \"Service {i}\"\ncategory = \"{category}\"\nplaces = 1\n"
        ));
    }
    text
}

/// The minimal scenario with `n` client groups of equal share.
fn with_groups(n: usize) -> String {
    let mut text = format!(
        "{}{POSTS}{SERVICES}",
        edit(HEAD, "[client_groups.standard]", "[client_groups.g0]")
    );
    for i in 1..n {
        text.push_str(&format!(
            "\n[client_groups.g{i}]\nshare = 1\ncategories = {{ befriending = 1.0 }}\n"
        ));
    }
    text
}

#[test]
fn at_most_255_vcse_categories_are_allowed() {
    let (_dir, _path, result) = load_text(&with_categories(scenario::MAX_CATEGORIES));
    let loaded = result.unwrap_or_else(|e| panic!("255 categories should load: {e}"));
    assert_eq!(loaded.scenario.categories.len(), 255);
    assert_eq!(loaded.scenario.vcse.services[254].category, 254);
    // The 256th category is refused at the service that names it, rather than wrapping to 0 in the model.
    let shown = expect_invalid(
        &with_categories(256),
        "vcse.services[255].category",
        "at most 255 VCSE service categories",
    );
    assert!(shown.contains("\"category_255\""), "should show the value: {shown}");
}

#[test]
fn at_most_255_client_groups_are_allowed() {
    let (_dir, _path, result) = load_text(&with_groups(scenario::MAX_CLIENT_GROUPS));
    let loaded = result.unwrap_or_else(|e| panic!("255 groups should load: {e}"));
    assert_eq!(loaded.scenario.groups.len(), 255);
    let shown = expect_invalid(&with_groups(256), "client_groups", "at most 255 client groups");
    assert!(shown.contains("256 groups"), "should show the value: {shown}");
}

#[test]
fn too_many_categories_or_groups_exit_2_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, key) in [
        ("categories.toml", with_categories(256), "vcse.services[255].category"),
        ("groups.toml", with_groups(300), "client_groups"),
    ] {
        write(dir.path(), name, &text);
        let out = spcap(&["check", name], dir.path());
        assert_clean_failure(&out, name);
        let err = stderr(&out);
        assert!(
            err.contains(name) && err.contains(key) && err.contains("at most 255"),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------- 11d. the hash

#[test]
fn different_scenarios_have_different_hashes_and_the_same_scenario_the_same() {
    let a = scenario::load_str(&minimal(), "a.toml").unwrap();
    let again = scenario::load_str(&minimal(), "a.toml").unwrap();
    let b = scenario::load_str(&edit(&minimal(), "places = 10", "places = 11"), "a.toml").unwrap();
    assert_eq!(a.hash(), again.hash());
    assert_ne!(a.hash(), b.hash());
    assert!(!a.resolved_toml().is_empty());
    assert_eq!(a.hash().len(), 16);
}

// ---------------------------------------------------------------- extreme values

/// Loads `text` and asserts an `Invalid` error about some `calendar.` key of that file.
fn expect_calendar_error(text: &str, what: &str) {
    let (_dir, path, result) = load_text(text);
    let err = result.expect_err(what);
    assert!(
        matches!(&err, ScenarioError::Invalid { file, key, .. } if file == &path && key.starts_with("calendar.")),
        "{what}: {err:?}"
    );
    assert!(
        err.to_string().contains("200 years"),
        "{what}: should give the limit: {err}"
    );
}

#[test]
fn an_enormous_horizon_in_years_or_months_is_refused_not_a_panic() {
    for horizon in ["30000y", "300000m", "20000.5y"] {
        let text = edit(&minimal(), "horizon = \"1y\"", &format!("horizon = \"{horizon}\""));
        expect_calendar_error(&text, horizon);
    }
}

#[test]
fn an_enormous_warm_up_in_years_or_months_is_refused_not_a_panic() {
    for warm_up in ["30000y", "300000m"] {
        let text = edit(&minimal(), "warm_up = \"0d\"", &format!("warm_up = \"{warm_up}\""));
        expect_calendar_error(&text, warm_up);
    }
}

#[test]
fn an_enormous_warm_up_in_days_or_weeks_is_refused_not_a_panic() {
    for warm_up in ["8000000d", "2000000w", "30000.1y"] {
        let text = edit(&minimal(), "warm_up = \"0d\"", &format!("warm_up = \"{warm_up}\""));
        expect_calendar_error(&text, warm_up);
    }
}

#[test]
fn long_but_representable_lengths_of_time_are_refused_cleanly() {
    // Below jiff's limits the 200-year check is reached and reported.
    for (from, to) in [
        ("horizon = \"1y\"", "horizon = \"1000y\""),
        ("horizon = \"1y\"", "horizon = \"1000000d\""),
        ("warm_up = \"0d\"", "warm_up = \"500y\""),
        ("warm_up = \"0d\"", "warm_up = \"7000000d\""),
    ] {
        let text = edit(&minimal(), from, to);
        expect_invalid(&text, "calendar.horizon", "under 200 years");
    }
}

#[test]
fn a_horizon_past_the_year_9999_is_reported_as_too_long() {
    let text = edit(&minimal(), "horizon = \"1y\"", "horizon = \"9999y\"");
    expect_invalid(&text, "calendar.horizon", "under 200 years");
}

#[test]
fn extends_naming_a_folder_names_the_file_that_says_extends() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    for target in ["folder", "", "."] {
        let child = write(dir.path(), "option.toml", &format!("extends = \"{target}\"\n"));
        let err = scenario::load(&child).expect_err("a folder is not a scenario");
        let shown = err.to_string();
        assert!(
            shown.contains(&child.display().to_string()),
            "extends = {target:?}: the message should name {}: {shown}",
            child.display()
        );
    }
}

/// Runs `spcap check FILE` with at most about 1 GB of address space, so that a
/// runaway allocation fails fast instead of exhausting the machine.
#[cfg(unix)]
fn check_with_little_memory(file: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1000000 && exec \"$0\" check \"$1\"")
        .arg(env!("CARGO_BIN_EXE_spcap"))
        .arg(file)
        .output()
        .expect("run spcap under sh")
}

#[cfg(unix)]
#[test]
fn check_with_little_memory_works_on_the_baseline() {
    // The control for the test below: the memory limit alone does not break spcap.
    let out = check_with_little_memory(&baseline());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn an_absurd_number_of_posts_is_refused_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "huge.toml",
        &edit(&minimal(), "count = 2", "count = 2000000000"),
    );
    let out = check_with_little_memory(&path);
    assert_clean_failure(&out, "check huge.toml");
    assert!(stderr(&out).contains("link_workers.posts[0].count"), "{}", stderr(&out));
}

// ---------------------------------------------------------------- 12. the command line

fn spcap(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spcap"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run spcap")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_clean_failure(out: &Output, what: &str) {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: exit status {:?}; stderr: {err}",
        out.status
    );
    assert!(!err.contains("panicked"), "{what}: spcap panicked: {err}");
    assert!(!err.contains("RUST_BACKTRACE"), "{what}: spcap panicked: {err}");
}

#[test]
fn check_on_a_bad_file_exits_2_naming_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}\n[link_workers.turnover]\nannual_rate = -0.3\n", minimal());
    let path = write(dir.path(), "bad.toml", &text);
    let out = spcap(&["check", path.to_str().unwrap()], dir.path());
    assert_clean_failure(&out, "check bad.toml");
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("link_workers.turnover.annual_rate"), "{err}");
    assert!(err.contains("must be a number from 0 to 50"), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout for a bad file");
}

#[test]
fn check_on_malformed_toml_and_missing_files_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "broken.toml", "[calendar\n");
    let out = spcap(&["check", path.to_str().unwrap()], dir.path());
    assert_clean_failure(&out, "check broken.toml");
    assert!(stderr(&out).contains("broken.toml"), "{}", stderr(&out));

    let out = spcap(&["check", "does-not-exist.toml"], dir.path());
    assert_clean_failure(&out, "check does-not-exist.toml");
    assert!(stderr(&out).contains("does-not-exist.toml"), "{}", stderr(&out));

    let cycle = write(dir.path(), "cycle.toml", "extends = \"cycle.toml\"\n");
    let out = spcap(&["check", cycle.to_str().unwrap()], dir.path());
    assert_clean_failure(&out, "check cycle.toml");
    assert!(stderr(&out).contains("cycle"), "{}", stderr(&out));
}

#[test]
fn check_on_the_baseline_exits_0_and_prints_the_resolved_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let out = spcap(&["check", baseline().to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("[link_workers]"), "{stdout}");
    assert!(stdout.contains("[calendar]"), "{stdout}");
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));
}

#[test]
fn check_on_an_enormous_horizon_exits_2_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "long.toml",
        &edit(&minimal(), "horizon = \"1y\"", "horizon = \"30000y\""),
    );
    let out = spcap(&["check", path.to_str().unwrap()], dir.path());
    assert_clean_failure(&out, "check long.toml");
    assert!(stderr(&out).contains("calendar.horizon"), "{}", stderr(&out));
}

#[test]
fn run_on_a_bad_file_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bad.toml", &edit(&minimal(), "count = 2", "count = 0"));
    let out_dir = dir.path().join("results");
    let out = spcap(
        &[
            "run",
            path.to_str().unwrap(),
            "--replicates",
            "2",
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
        ],
        dir.path(),
    );
    assert_clean_failure(&out, "run bad.toml");
    assert!(stderr(&out).contains("link_workers.posts"), "{}", stderr(&out));
    assert!(!out_dir.exists(), "no output folder for a bad scenario");

    // Without --out the default folder is outputs/<stem> under the working directory.
    let out = spcap(
        &["run", path.to_str().unwrap(), "--replicates", "2", "--quiet"],
        dir.path(),
    );
    assert_clean_failure(&out, "run bad.toml (default --out)");
    assert!(
        !dir.path().join("outputs").exists(),
        "no outputs/ folder for a bad scenario"
    );
}

#[test]
fn run_on_a_good_file_writes_the_output_folder() {
    // The control for the test above: the same command on a valid file does write.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "good.toml", &minimal());
    let out_dir = dir.path().join("results");
    let out = spcap(
        &[
            "run",
            path.to_str().unwrap(),
            "--replicates",
            "2",
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
            "--threads",
            "1",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(out_dir.is_dir(), "the output folder should exist");
}

#[test]
fn bad_command_lines_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.toml", &minimal());
    let good = good.to_str().unwrap();
    for args in [
        vec!["run", good, "--no-such-flag"],
        vec!["run", good, "--replicates", "0"],
        vec!["run", good, "--replicates", "many"],
        vec!["run"],
        vec!["check"],
        vec!["simulate", good],
        vec![],
    ] {
        let out = spcap(&args, dir.path());
        assert_clean_failure(&out, &format!("spcap {}", args.join(" ")));
        assert!(
            !dir.path().join("outputs").exists(),
            "spcap {}: wrote outputs",
            args.join(" ")
        );
    }
}

// ---------------------------------------------------------------- property tests

/// Keys of the minimal scenario, each with the text it replaces.
const SLOTS: &[(&str, &str)] = &[
    ("start = \"2020-01-01\"", "start"),
    ("warm_up = \"0d\"", "warm_up"),
    ("horizon = \"1y\"", "horizon"),
    ("rate_per_month = 30", "rate_per_month"),
    ("share = 1", "share"),
    ("categories = { befriending = 1.0 }", "contact_interval"),
    ("categories = { befriending = 1.0 }", "categories"),
    ("count = 2", "count"),
    ("count = 2", "fte"),
    ("count = 2", "contract_end"),
    ("places = 10", "places"),
    ("places = 10", "attendance"),
    ("places = 10", "opens"),
];

/// TOML values of many shapes. Lengths of time stay below jiff's limits
/// (at most 9999 of a unit), which the ignored tests above cover.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|x| x.to_string()),
        any::<f64>().prop_map(|x| if x.is_nan() {
            "nan".to_string()
        } else if x.is_infinite() {
            if x > 0.0 { "inf" } else { "-inf" }.to_string()
        } else {
            format!("{x:e}")
        }),
        prop_oneof![
            Just("nan"),
            Just("-inf"),
            Just("0"),
            Just("-0.0"),
            Just("1e308"),
            Just("true")
        ]
        .prop_map(str::to_string),
        "-?[0-9]{1,4}(\\.[0-9]{1,2})?[dwmyx]?".prop_map(|s| format!("\"{s}\"")),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}".prop_map(|s| format!("\"{s}\"")),
        "[a-z0-9 ._/-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just("[]".to_string()),
        Just("{}".to_string()),
        (
            prop_oneof![
                Just("fixed"),
                Just("exponential"),
                Just("uniform"),
                Just("triangular"),
                Just("lognormal"),
                Just("gamma"),
                Just("empirical"),
                Just("weibull")
            ],
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("value"),
                        Just("mean"),
                        Just("sd"),
                        Just("min"),
                        Just("mode"),
                        Just("max"),
                        Just("shape"),
                        Just("scale"),
                        Just("rate")
                    ],
                    prop_oneof!["-?[0-9]{1,3}", "\"-?[0-9]{1,3}[dwmy]\""]
                ),
                0..4
            )
        )
            .prop_map(|(dist, keys)| {
                let mut seen = Vec::new();
                let mut s = format!("{{ dist = \"{dist}\"");
                for (k, v) in keys {
                    if !seen.contains(&k) {
                        seen.push(k);
                        s.push_str(&format!(", {k} = {v}"));
                    }
                }
                s + " }"
            }),
    ]
}

/// Checks the promise: no panic, and an error names the file (and its key, if any).
fn check_error_is_clear(result: Result<LoadedScenario, ScenarioError>, name: &str) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        let shown = e.to_string();
        prop_assert!(
            shown.starts_with(name),
            "message does not start with the file: {}",
            shown
        );
        if let ScenarioError::Invalid { key, message, .. } = &e {
            prop_assert!(!key.is_empty(), "empty key: {}", shown);
            prop_assert!(!message.is_empty(), "empty message: {}", shown);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        check_error_is_clear(scenario::load_str(&text, "fuzz.toml"), "fuzz.toml")?;
    }

    #[test]
    fn toml_like_text_never_panics(text in "[\\[\\]{}=\",.a-z0-9_ \n-]{0,300}") {
        check_error_is_clear(scenario::load_str(&text, "fuzz.toml"), "fuzz.toml")?;
    }

    #[test]
    fn a_damaged_minimal_scenario_never_panics(
        at in 0usize..400,
        cut in 0usize..12,
        insert in "\\PC{0,8}",
    ) {
        let text = minimal();
        let at = at.min(text.len());
        let end = (at + cut).min(text.len());
        let damaged = format!("{}{insert}{}", &text[..at], &text[end..]);
        check_error_is_clear(scenario::load_str(&damaged, "fuzz.toml"), "fuzz.toml")?;
    }

    #[test]
    fn any_value_in_any_slot_never_panics(slot in 0..SLOTS.len(), value in toml_value()) {
        let (anchor, key) = SLOTS[slot];
        // Replace the line when the key is its own; otherwise add the key after the anchor.
        let line = format!("{key} = {value}");
        let text = if anchor.starts_with(key) {
            edit(&minimal(), anchor, &line)
        } else {
            edit(&minimal(), anchor, &format!("{anchor}\n{line}"))
        };
        check_error_is_clear(scenario::load_str(&text, "fuzz.toml"), "fuzz.toml")?;
    }
}

// ---------------------------------------------------------------- intakes

/// The minimal scenario with one intake whose `group`, `from` and `to` are given.
fn with_intake(group: &str, from: &str, to: &str) -> String {
    format!(
        "{}\n[[referrals.intakes]]\nfrom = \"{from}\"\nto = \"{to}\"\nrate_per_month = 10\ngroup = \"{group}\"\n",
        minimal()
    )
}

#[test]
fn an_intake_is_valid() {
    let (_dir, _path, result) = load_text(&with_intake("standard", "2020-03-01", "2020-06-01"));
    let loaded = result.unwrap_or_else(|e| panic!("{e}"));
    let intake = &loaded.scenario.referrals.intakes[0];
    assert_eq!((intake.group, intake.rate_per_month), (0, 10.0));
    assert!(intake.from > 0.0 && intake.to > intake.from);
}

#[test]
fn an_intake_of_a_group_that_does_not_exist_is_refused() {
    let shown = expect_invalid(
        &with_intake("shielding", "2020-03-01", "2020-06-01"),
        "referrals.intakes[0].group",
        "must name a client group: standard",
    );
    assert!(shown.contains("\"shielding\""), "{shown}");
}

#[test]
fn an_intake_that_ends_before_it_starts_is_refused() {
    expect_invalid(
        &with_intake("standard", "2020-06-01", "2020-03-01"),
        "referrals.intakes[0].to",
        "must not be before `from`",
    );
}

#[test]
fn an_intake_needs_its_end_date() {
    let text = edit(
        &with_intake("standard", "2020-03-01", "2020-06-01"),
        "to = \"2020-06-01\"\n",
        "",
    );
    expect_invalid(&text, "referrals.intakes[0]", "to");
}
