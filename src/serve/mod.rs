//! `spcap serve`: a web page on which a commissioner picks a shipped scenario
//! (or uploads one), changes the levers in a form, adds named options, runs
//! them with common random numbers and reads the comparison.
//!
//! The path is the command line's: a request names a scenario of the
//! scenarios folder (or sends one's text), and the page's values for each
//! option ([`options`]); they are validated as `spcap check` validates a
//! file and checked against the server's [`Limits`], before anything runs;
//! the run waits in a bounded queue for a worker thread ([`runs`]), which runs
//! it with [`crate::compare::run::run`], as `spcap compare` does, so the
//! same inputs and seed give the same numbers. The page (HTML, style and
//! script) is embedded in the binary; nothing is loaded from elsewhere.
//!
//! No request chooses a path on the server's disk: scenarios are named by
//! the file stems listed here, runs by ids made here, a run's files only from
//! the list of files it wrote; an uploaded scenario may `extends` only a file
//! of the scenarios folder. Every refusal is a 4xx answer with a JSON
//! message, `{"error": ..., "field": ..., "option": ...}`.

pub mod options;
pub mod runs;

use crate::compare::{self, threshold::Threshold};
use crate::experiment::Settings;
use crate::scenario::{self, units, LoadedScenario};
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use options::{Edits, Form};
use runs::{Prepared, QueueError, Store};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const PAGE: &str = include_str!("page.html");
const CSS: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// What one server allows. Each is a command-line option of `spcap serve`.
#[derive(Clone, Debug, Serialize)]
pub struct Limits {
    /// Runs simulated at the same time.
    pub runs_at_once: usize,
    /// Runs waiting beyond those.
    pub queue: usize,
    /// Replicates of each option of a run.
    pub replicates: u64,
    /// Expected referrals in one replicate of one option (the size of a scenario).
    pub referrals: u64,
    /// Bytes of an uploaded scenario file.
    pub upload_bytes: usize,
    /// Options besides the base.
    pub options: usize,
    /// Worker threads of one run (0 = one per core).
    pub threads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            runs_at_once: 1,
            queue: 8,
            replicates: 2000,
            referrals: 250_000,
            upload_bytes: 256 * 1024,
            options: 6,
            threads: 0,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("--scenarios {}: {problem}", dir.display())]
    Scenarios { dir: PathBuf, problem: String },
    #[error("--data {}: {source}", dir.display())]
    Data { dir: PathBuf, source: std::io::Error },
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("the server stopped: {0}")]
    Server(std::io::Error),
}

impl crate::exit::ExitWith for ServeError {
    fn exit_with(&self) -> crate::exit::Exit {
        match self {
            ServeError::Scenarios { .. } => crate::exit::Exit::BadInput,
            _ => crate::exit::Exit::Failed,
        }
    }
}

/// The server's shared state.
struct App {
    scenarios: PathBuf,
    limits: Limits,
    store: Arc<Store>,
}

/// The routes of the server, with its run store open in `data` (runs in `data/runs/`).
pub fn app(scenarios: &Path, data: &Path, limits: Limits) -> Result<Router, ServeError> {
    if !scenarios.is_dir() {
        return Err(ServeError::Scenarios {
            dir: scenarios.to_path_buf(),
            problem: "not a folder: give the folder of scenario files to offer".into(),
        });
    }
    let store =
        Store::open(&data.join("runs"), limits.runs_at_once, limits.queue).map_err(|source| ServeError::Data {
            dir: data.to_path_buf(),
            source,
        })?;
    let app = Arc::new(App {
        scenarios: scenarios.to_path_buf(),
        limits,
        store,
    });
    Ok(Router::new()
        .route("/", get(|| async { page("text/html; charset=utf-8", PAGE) }))
        .route("/page.css", get(|| async { page("text/css; charset=utf-8", CSS) }))
        .route(
            "/page.js",
            get(|| async { page("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route("/api/limits", get(limits_handler))
        .route("/api/scenarios", get(list_scenarios))
        .route("/api/scenarios/{id}", get(scenario_form))
        .route("/api/upload", post(upload))
        .route("/api/check", post(check))
        .route("/api/runs", post(submit).get(list_runs))
        .route("/api/runs/{id}", get(run_status))
        .route("/api/runs/{id}/cancel", post(cancel))
        .route("/api/runs/{id}/threshold", post(ask_threshold))
        .route("/api/runs/{id}/scenarios/{n}", get(download_scenario))
        .route("/api/runs/{id}/csv.zip", get(download_zip))
        .route("/api/runs/{id}/files/{*path}", get(run_file))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such page or endpoint") })
        .with_state(app))
}

/// Starts the server and serves until Ctrl-C or SIGTERM.
pub fn serve(bind: SocketAddr, scenarios: &Path, data: &Path, limits: Limits) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ServeError::Server)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| ServeError::Bind { addr: bind, source })?;
        // The store is opened only once the address is ours: opening it removes partial runs, which
        // must not happen to a server already running on this folder when a second one cannot start.
        let router = app(scenarios, data, limits)?;
        let addr = listener.local_addr().map_err(ServeError::Server)?;
        println!("spcap serve: open http://{addr}/ in a browser (Ctrl-C stops the server)");
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(ServeError::Server)
    })
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A refusal: a 4xx (or 5xx) status with a JSON message naming the field and option it is about.
#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    status: StatusCode,
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option: Option<usize>,
    /// Every problem found, when there are several (one per option).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error: message.into(),
            field: None,
            option: None,
            errors: Vec::new(),
        }
    }

    fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message);
        e.field = Some(field.to_string());
        e
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// What the page needs to know of the server: its limits, and each option's colour on the charts.
#[derive(Serialize)]
struct Info {
    limits: Limits,
    colours: Vec<String>,
}

async fn limits_handler(State(app): State<Arc<App>>) -> Json<Info> {
    let colours = crate::plot::style::SERIES
        .iter()
        .map(|c| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2))
        .collect();
    Json(Info {
        limits: app.limits.clone(),
        colours,
    })
}

/// A shipped scenario as the list shows it.
#[derive(Serialize)]
struct Listed {
    id: String,
    name: String,
    description: String,
    question: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The scenario files of the folder: (id, path), by id. Only file stems of
/// letters, digits, `-` and `_` are offered.
fn scenario_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
                .filter_map(|p| {
                    let id = p.file_stem()?.to_str()?.to_string();
                    let ok = id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                    ok.then_some((id, p))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A shipped scenario by id, with its file's text; 404 for an id not listed.
fn shipped(dir: &Path, id: &str) -> ApiResult<(LoadedScenario, String)> {
    let Some((_, path)) = scenario_files(dir).into_iter().find(|(i, _)| i == id) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no scenario \"{id}\" in this server's scenarios folder"),
        ));
    };
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let loaded = scenario::load(&path).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the shipped scenario does not load: {e}"),
        )
    })?;
    Ok((loaded, text))
}

async fn list_scenarios(State(app): State<Arc<App>>) -> ApiResult<Json<Vec<Listed>>> {
    let dir = app.scenarios.clone();
    let listed = blocking(move || {
        scenario_files(&dir)
            .into_iter()
            .map(|(id, path)| {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                match scenario::load(&path) {
                    Ok(l) => Listed {
                        id,
                        name: l.scenario.name.clone(),
                        description: l.scenario.description.clone(),
                        question: options::question(&text),
                        error: None,
                    },
                    Err(e) => Listed {
                        name: id.clone(),
                        id,
                        description: String::new(),
                        question: String::new(),
                        error: Some(e.to_string()),
                    },
                }
            })
            .collect()
    })
    .await?;
    Ok(Json(listed))
}

async fn scenario_form(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> ApiResult<Json<Form>> {
    let dir = app.scenarios.clone();
    blocking(move || {
        let (loaded, text) = shipped(&dir, &id)?;
        Ok(Json(options::form(&loaded, &text)))
    })
    .await?
}

/// An uploaded file's name as messages show it: its last part, in safe characters.
fn upload_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(60)
        .collect();
    let clean = clean.trim_start_matches('.').to_string();
    if clean.is_empty() {
        "uploaded.toml".into()
    } else if clean.ends_with(".toml") {
        clean
    } else {
        format!("{clean}.toml")
    }
}

/// Loads uploaded scenario text as `spcap check` would, its `extends` kept inside the scenarios folder.
fn load_upload(app: &App, name: &str, text: &str) -> ApiResult<LoadedScenario> {
    if text.len() > app.limits.upload_bytes {
        return Err(too_large(app.limits.upload_bytes));
    }
    scenario::load_str_within(text, &upload_name(name), &app.scenarios).map_err(|e| {
        let key = e.key().map(str::to_string);
        let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string());
        err.field = key;
        err
    })
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the scenario file is larger than this server's limit of {limit} bytes"),
    )
}

#[derive(Deserialize)]
struct UploadQuery {
    #[serde(default)]
    name: String,
}

#[derive(Serialize)]
struct Uploaded {
    name: String,
    form: Form,
}

/// `POST /api/upload?name=FILE`: the body is a scenario file's text; the answer its form.
async fn upload(State(app): State<Arc<App>>, Query(q): Query<UploadQuery>, body: Body) -> ApiResult<Json<Uploaded>> {
    let limit = app.limits.upload_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| too_large(limit))?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "the scenario file is not UTF-8 text"))?;
    blocking(move || {
        let loaded = load_upload(&app, &q.name, &text)?;
        Ok(Json(Uploaded {
            name: upload_name(&q.name),
            form: options::form(&loaded, &text),
        }))
    })
    .await?
}

/// The scenario a run starts from.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Base {
    /// A shipped scenario, by its id (file stem).
    Scenario(String),
    /// An uploaded file's name and text.
    Upload { name: String, text: String },
}

/// A run as the page asks for it: the base and its options (the first is the
/// base itself, perhaps renamed or changed), replicates, seed and thresholds.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    pub base: Base,
    pub options: Vec<Edits>,
    pub replicates: u64,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Threshold questions, `METRIC=VALUE@DATE`.
    #[serde(default)]
    pub thresholds: Vec<String>,
}

fn default_seed() -> u64 {
    1
}

/// A run request's JSON, read within the size limit, with the path of a malformed part.
async fn read_request(app: &App, body: Body) -> ApiResult<RunRequest> {
    let limit = app.limits.upload_bytes + 256 * 1024;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request is larger than this server's limit of {limit} bytes"),
        )
    })?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let mut err = ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("malformed request: {path}: {}", e.inner()),
        );
        err.field = (path != ".").then_some(path);
        err
    })
}

/// Short names for the options' folders and files, from their names.
fn labels(names: &[String]) -> Vec<String> {
    compare::unique_labels(names.iter().enumerate().map(|(i, name)| {
        let mut slug = String::new();
        for c in name.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug: String = slug.trim_end_matches('-').chars().take(40).collect();
        let slug = slug.trim_end_matches('-').to_string();
        if slug.is_empty() {
            format!("option-{i}")
        } else {
            slug
        }
    }))
}

/// The referrals one replicate of `s` can expect, at most: the rate at its
/// busiest month and largest change, over the whole simulated time.
fn expected_referrals(s: &scenario::Scenario) -> f64 {
    let season = s.referrals.seasonality.iter().copied().fold(0.0, f64::max);
    let change = s.referrals.changes.iter().map(|c| c.multiplier).fold(1.0, f64::max);
    s.referrals.rate_per_month * season * change * s.end() / units::DAYS_PER_MONTH
}

impl App {
    /// Checks a run request as `spcap compare` and `spcap check` would, and
    /// against the limits: nothing runs unless every part is right.
    fn prepare(&self, req: &RunRequest) -> ApiResult<Prepared> {
        let max = self.limits.options;
        if req.options.len() < 2 || req.options.len() > max + 1 {
            return Err(ApiError::invalid(
                "options",
                format!(
                    "options: {} given; a run compares the starting scenario with 1 to {max} options",
                    req.options.len().saturating_sub(1)
                ),
            ));
        }
        if req.replicates < 2 || req.replicates > self.limits.replicates {
            return Err(ApiError::invalid(
                "replicates",
                format!(
                    "replicates: {} asked; this server runs 2 to {} replicates of each option (2 at least, for an interval)",
                    req.replicates, self.limits.replicates
                ),
            ));
        }
        let (base, text) = match &req.base {
            Base::Scenario(id) => shipped(&self.scenarios, id)?,
            Base::Upload { name, text } => (load_upload(self, name, text)?, text.clone()),
        };
        let names: Vec<String> = req.options.iter().map(|o| o.name.trim().to_string()).collect();
        let labels = labels(&names);
        let mut loaded = Vec::new();
        let mut errors = Vec::new();
        for (i, (edits, label)) in req.options.iter().zip(&labels).enumerate() {
            let result = options::apply(&base, &text, edits, &format!("{label}.toml")).and_then(|l| {
                let referrals = expected_referrals(&l.scenario);
                if referrals > self.limits.referrals as f64 {
                    Err(options::FieldError {
                        field: Some("referrals.rate_per_month".into()),
                        message: format!(
                            "{label}.toml: about {referrals:.0} referrals in one replicate (at the busiest rate, over the whole simulated time); this server's limit is {} per replicate",
                            self.limits.referrals
                        ),
                    })
                } else {
                    Ok(l)
                }
            });
            match result {
                Ok(l) => loaded.push(l),
                Err(e) => {
                    let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.message);
                    err.field = e.field;
                    err.option = Some(i);
                    errors.push(err);
                }
            }
        }
        if !errors.is_empty() {
            let mut first = errors.remove(0);
            if !errors.is_empty() {
                let copy = ApiError {
                    status: first.status,
                    error: first.error.clone(),
                    field: first.field.clone(),
                    option: first.option,
                    errors: Vec::new(),
                };
                errors.insert(0, copy);
                first.errors = errors;
            }
            return Err(first);
        }
        compare::check_calendars(&loaded).map_err(|e| ApiError::invalid("calendar", e.to_string()))?;
        let thresholds: Vec<Threshold> = req
            .thresholds
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.parse::<Threshold>())
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError::invalid("threshold", e.to_string()))?;
        if thresholds.len() > 10 {
            return Err(ApiError::invalid("threshold", "at most 10 threshold questions"));
        }
        let thresholds = compare::place_thresholds(&thresholds, &loaded[0])
            .map_err(|e| ApiError::invalid("threshold", e.to_string()))?;
        let mut settings = Settings::new(req.replicates, req.seed);
        settings.threads = self.limits.threads;
        Ok(Prepared {
            loaded,
            labels,
            settings,
            thresholds,
        })
    }
}

#[derive(Serialize)]
struct Checked {
    labels: Vec<String>,
    names: Vec<String>,
}

/// `POST /api/check`: validates a run request without running it.
async fn check(State(app): State<Arc<App>>, body: Body) -> ApiResult<Json<Checked>> {
    let req = read_request(&app, body).await?;
    blocking(move || {
        let p = app.prepare(&req)?;
        Ok(Json(Checked {
            names: p.loaded.iter().map(|l| l.scenario.name.clone()).collect(),
            labels: p.labels,
        }))
    })
    .await?
}

/// `POST /api/runs`: validates and queues a run; 202 with its id.
async fn submit(State(app): State<Arc<App>>, body: Body) -> ApiResult<Response> {
    let req = read_request(&app, body).await?;
    blocking(move || {
        let prepared = app.prepare(&req)?;
        let run = app.store.submit(prepared).map_err(|e| match e {
            QueueError::Full(n) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the queue is full: this server holds at most {n} runs waiting; try again when one has finished"
                ),
            ),
            _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the run could not be queued"),
        })?;
        let status = app.store.status(&run);
        Ok((StatusCode::ACCEPTED, Json(status)).into_response())
    })
    .await?
}

async fn list_runs(State(app): State<Arc<App>>) -> Json<Vec<runs::Status>> {
    Json(app.store.list())
}

fn find_run(app: &App, id: &str) -> ApiResult<Arc<runs::Run>> {
    if !runs::valid_id(id) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "a run id is letters, digits and dashes",
        ));
    }
    app.store
        .get(id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("there is no run \"{id}\"")))
}

async fn run_status(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> ApiResult<Json<runs::Status>> {
    let run = find_run(&app, &id)?;
    Ok(Json(app.store.status(&run)))
}

async fn cancel(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> ApiResult<Json<runs::Status>> {
    let run = find_run(&app, &id)?;
    app.store.cancel(&id).map_err(|e| match e {
        QueueError::Finished => ApiError::new(StatusCode::CONFLICT, "the run has already finished"),
        _ => ApiError::new(StatusCode::NOT_FOUND, format!("there is no run \"{id}\"")),
    })?;
    Ok(Json(app.store.status(&run)))
}

/// A finished run's result and file list, or 409 while it is not complete.
fn finished(app: &App, id: &str) -> ApiResult<(Arc<runs::RunResult>, Arc<std::collections::BTreeSet<String>>)> {
    let run = find_run(app, id)?;
    run.complete().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "the run is not complete: its files are there only once it has finished",
        )
    })
}

fn download(content_type: &'static str, file_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Question {
    threshold: String,
}

/// `POST /api/runs/{id}/threshold`: a threshold question (`METRIC=VALUE@DATE`) about a finished run.
async fn ask_threshold(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    body: Body,
) -> ApiResult<Json<runs::ThresholdAnswer>> {
    let (result, _) = finished(&app, &id)?;
    let bytes = axum::body::to_bytes(body, 4096)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "a question is at most 4096 bytes"))?;
    let question: Question = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("malformed request: {e}")))?;
    let threshold: Threshold = question
        .threshold
        .parse()
        .map_err(|e: compare::CompareError| ApiError::invalid("threshold", e.to_string()))?;
    let folder = app.store.folder(&id);
    blocking(move || {
        runs::answer_threshold(&folder, &result, &threshold)
            .map(Json)
            .map_err(|message| ApiError::invalid("threshold", message))
    })
    .await?
}

/// `GET /api/runs/{id}/scenarios/{n}`: option n (0 is the base) as a scenario file.
async fn download_scenario(
    State(app): State<Arc<App>>,
    UrlPath((id, n)): UrlPath<(String, String)>,
) -> ApiResult<Response> {
    let (result, files) = finished(&app, &id)?;
    let label = n
        .parse::<usize>()
        .ok()
        .and_then(|n| result.labels.get(n))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("the run has no option {n}")))?;
    let rel = format!("scenarios/{label}.toml");
    if !files.contains(&rel) {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "the scenario file is missing"));
    }
    let path = app.store.folder(&id).join(&rel);
    let bytes = blocking(move || std::fs::read(path).map_err(|e| internal(&e))).await??;
    Ok(download("application/toml", &format!("{label}.toml"), bytes))
}

fn internal(e: &dyn std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error: {e}"))
}

/// `GET /api/runs/{id}/csv.zip`: every CSV of the run (and each option's run.json and scenario file).
async fn download_zip(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> ApiResult<Response> {
    let (_, files) = finished(&app, &id)?;
    let dir = app.store.folder(&id);
    let name = format!("spcap-{id}");
    let zip_name = name.clone();
    let bytes = blocking(move || zip_files(&dir, &files, &zip_name).map_err(|e| internal(&e))).await??;
    Ok(download("application/zip", &format!("{name}.zip"), bytes))
}

fn zip_files(dir: &Path, files: &std::collections::BTreeSet<String>, top: &str) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for rel in files
        .iter()
        .filter(|f| f.ends_with(".csv") || f.ends_with("run.json") || f.ends_with(".toml"))
    {
        let bytes = std::fs::read(dir.join(rel))?;
        zip.start_file(format!("{top}/{rel}"), options)?;
        zip.write_all(&bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// `GET /api/runs/{id}/files/{path}`: one file the run wrote (the report, a chart).
async fn run_file(State(app): State<Arc<App>>, UrlPath((id, path)): UrlPath<(String, String)>) -> ApiResult<Response> {
    let (_, files) = finished(&app, &id)?;
    // Only a path from the run's own list of files: never one the request makes up.
    let Some(rel) = files.get(path.as_str()).cloned() else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "the run has no such file"));
    };
    let content_type = match rel.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        Some("toml") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    let full = app.store.folder(&id).join(&rel);
    let bytes = blocking(move || std::fs::read(full).map_err(|e| internal(&e))).await??;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// Runs file and scenario work off the async executor.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error: the request stopped"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_short_safe_and_distinct() {
        let names = [
            "Baseline PCN service",
            "A fifth link worker!",
            "a fifth link worker",
            "££",
        ]
        .map(String::from);
        assert_eq!(
            labels(&names),
            [
                "baseline-pcn-service",
                "a-fifth-link-worker",
                "a-fifth-link-worker-2",
                "option-3"
            ]
        );
    }

    #[test]
    fn an_upload_name_keeps_only_its_last_part() {
        assert_eq!(upload_name("../../etc/passwd"), "passwd.toml");
        assert_eq!(upload_name("C:\\x\\my scenario.toml"), "myscenario.toml");
        assert_eq!(upload_name(""), "uploaded.toml");
        assert_eq!(upload_name(".hidden"), "hidden.toml");
    }
}
