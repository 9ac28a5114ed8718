//! The hospital's HTTP inference service.
//!
//! | route | body | answer |
//! |---|---|---|
//! | `GET /healthz` | | `{"status": "ok", "model_id": …}` |
//! | `GET /v1/model` | | the model's public description (JSON) |
//! | `POST /v1/keys` | a public key bundle | `{"key_id": …, "bytes": …}` |
//! | `POST /v1/infer?key=ID` | a query | the answer (bytes) |
//!
//! Bundles are stored under `--state-dir/keys/` by content address (a
//! re-upload gives the same id) and survive restarts; the store keeps at
//! most `max_state_bytes`, dropping the oldest bundles first. A small
//! in-memory cache holds the hospitals (expanded keys, encoded weights) of
//! the bundles used last.
//!
//! Every error is a 4xx or 5xx with a JSON body
//! `{"error": {"code": …, "message": …}}`, and the server keeps serving:
//! garbage, a truncated or altered body, a body made for another model or
//! other parameters, a secret key, an unknown key id, a body over the
//! route's cap (413), more concurrent work than allowed for longer than the
//! timeout (503), a request slower than the timeout (503). CPU work runs on
//! blocking threads, at most `concurrency` requests at a time.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ml::encrypted::{Hospital, Query};
use ml::files::{self, hex, sha256};
use serde_json::json;
use tokio::sync::Semaphore;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{info, warn, Level};

use crate::parties::LoadedModel;
use crate::{Error, Result};

/// Settings of the service.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The model file (with encryption settings).
    pub model: PathBuf,
    /// Where uploaded key bundles are kept.
    pub state_dir: PathBuf,
    /// Cap on the bytes of stored bundles; the oldest go first.
    pub max_state_bytes: u64,
    /// Largest accepted `POST /v1/keys` body.
    pub max_keys_body: usize,
    /// Largest accepted `POST /v1/infer` body.
    pub max_query_body: usize,
    /// Requests doing CPU work at the same time.
    pub concurrency: usize,
    /// Longest a request may take, waiting included.
    pub timeout: Duration,
    /// Hospitals (expanded key bundles) kept in memory.
    pub cache: usize,
}

impl ServeOptions {
    /// Defaults for `model`, keeping state in `state_dir`.
    #[must_use]
    pub fn new(model: PathBuf, state_dir: PathBuf) -> Self {
        Self {
            model,
            state_dir,
            max_state_bytes: 1 << 30,
            max_keys_body: 64 << 20,
            max_query_body: 64 << 20,
            concurrency: std::thread::available_parallelism().map_or(2, usize::from),
            timeout: Duration::from_secs(60),
            cache: 16,
        }
    }
}

/// An error answered to a client.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            warn!(status = %self.status, code = self.code, "{}", self.message);
        } else {
            info!(status = %self.status, code = self.code, "refused: {}", self.message);
        }
        (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        use ml::Error as M;
        let (status, code) = match &e {
            Error::Ml(M::SecretKeyRefused { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "secret_key_refused")
            }
            Error::Ml(M::WrongKind { .. }) => (StatusCode::UNPROCESSABLE_ENTITY, "wrong_kind"),
            Error::Ml(M::Mismatch { what: "model", .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "wrong_model")
            }
            Error::Ml(M::Mismatch { .. }) => (StatusCode::UNPROCESSABLE_ENTITY, "wrong_parameters"),
            Error::Ml(M::BadFile { .. }) => (StatusCode::BAD_REQUEST, "malformed"),
            Error::Ml(M::InvalidArgument { .. } | M::Ckks(_)) | Error::Ckks(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "does_not_fit_model")
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        Self::new(status, code, e.to_string())
    }
}

type ApiResult<T> = std::result::Result<T, ApiError>;

/// The bundles on disk, oldest first.
struct KeyStore {
    dir: PathBuf,
    max_bytes: u64,
    entries: VecDeque<(String, u64)>,
    total: u64,
}

const BUNDLE_EXT: &str = "bundle";

impl KeyStore {
    fn open(dir: PathBuf, max_bytes: u64) -> Result<Self> {
        let ferr = |path: &Path, e: std::io::Error| Error::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(&dir).map_err(|e| ferr(&dir, e))?;
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| ferr(&dir, e))? {
            let entry = entry.map_err(|e| ferr(&dir, e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.contains(".tmp") {
                // Left by a crash between write and rename.
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let Some(id) = name.strip_suffix(&format!(".{BUNDLE_EXT}")) else {
                continue;
            };
            if !valid_id(id) {
                continue;
            }
            let meta = entry.metadata().map_err(|e| ferr(&path, e))?;
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            found.push((mtime, id.to_owned(), meta.len()));
        }
        found.sort();
        let total = found.iter().map(|f| f.2).sum();
        let mut store = Self {
            dir,
            max_bytes,
            entries: found.into_iter().map(|(_, id, len)| (id, len)).collect(),
            total,
        };
        store.evict(0);
        Ok(store)
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.{BUNDLE_EXT}"))
    }

    fn contains(&self, id: &str) -> bool {
        self.entries.iter().any(|(e, _)| e == id)
    }

    /// Drops the oldest bundles until `incoming` more bytes fit.
    fn evict(&mut self, incoming: u64) -> Vec<String> {
        let mut gone = Vec::new();
        while self.total + incoming > self.max_bytes {
            let Some((id, len)) = self.entries.pop_front() else {
                break;
            };
            let _ = std::fs::remove_file(self.path(&id));
            self.total -= len;
            info!(key_id = %id, bytes = len, "evicted the oldest key bundle");
            gone.push(id);
        }
        gone
    }

    /// Stores a bundle (or marks an existing one newest); returns the ids
    /// evicted to make room.
    fn insert(&mut self, id: &str, bytes: &[u8]) -> std::io::Result<Vec<String>> {
        let path = self.path(id);
        if let Some(at) = self.entries.iter().position(|(e, _)| e == id) {
            let entry = self.entries.remove(at).expect("position is valid");
            std::fs::File::options()
                .write(true)
                .open(&path)?
                .set_modified(SystemTime::now())?;
            self.entries.push_back(entry);
            return Ok(Vec::new());
        }
        let len = bytes.len() as u64;
        let gone = self.evict(len);
        files::write_atomic(&path, bytes, false)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        self.entries.push_back((id.to_owned(), len));
        self.total += len;
        Ok(gone)
    }
}

fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

struct AppState {
    model: LoadedModel,
    info_json: String,
    opts: ServeOptions,
    store: Mutex<KeyStore>,
    cache: Mutex<VecDeque<(String, Arc<Hospital>)>>,
    workers: Arc<Semaphore>,
}

impl AppState {
    fn cached(&self, id: &str) -> Option<Arc<Hospital>> {
        let mut cache = self.cache.lock().expect("cache lock");
        let at = cache.iter().position(|(k, _)| k == id)?;
        let entry = cache.remove(at).expect("position is valid");
        let h = Arc::clone(&entry.1);
        cache.push_back(entry);
        Some(h)
    }

    fn remember(&self, id: &str, h: Arc<Hospital>) {
        let mut cache = self.cache.lock().expect("cache lock");
        cache.retain(|(k, _)| k != id);
        cache.push_back((id.to_owned(), h));
        while cache.len() > self.opts.cache.max(1) {
            cache.pop_front();
        }
    }

    fn forget(&self, ids: &[String]) {
        self.cache
            .lock()
            .expect("cache lock")
            .retain(|(k, _)| !ids.contains(k));
    }
}

/// Builds the service's state: loads the model and opens the key store.
///
/// # Errors
/// Model errors; a state directory that cannot be created or read.
fn state(opts: ServeOptions) -> Result<Arc<AppState>> {
    if opts.concurrency == 0 {
        return Err(Error::Usage("--concurrency must be at least 1".into()));
    }
    let model = LoadedModel::load(&opts.model)?;
    let info_json = model.info.to_json()?;
    let store = KeyStore::open(opts.state_dir.join("keys"), opts.max_state_bytes)?;
    info!(
        model_id = %hex(&model.model_id),
        layout = %model.info.plan.layout,
        stored_bundles = store.entries.len(),
        stored_bytes = store.total,
        "model loaded"
    );
    Ok(Arc::new(AppState {
        workers: Arc::new(Semaphore::new(opts.concurrency)),
        model,
        info_json,
        opts,
        store: Mutex::new(store),
        cache: Mutex::new(VecDeque::new()),
    }))
}

/// The routes over `state`.
fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/model", get(model))
        .route("/v1/keys", post(upload_keys))
        .route("/v1/infer", post(infer))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route: see GET /v1/model, POST /v1/keys, POST /v1/infer?key=ID, GET /healthz")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
        })
        .layer(
            TraceLayer::new_for_http().on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

async fn healthz(State(s): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!({"status": "ok", "model_id": hex(&s.model.model_id)}))
}

async fn model(State(s): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        s.info_json.clone(),
    )
        .into_response()
}

/// Reads a body of at most `limit` bytes; 413 beyond it.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    what: &str,
) -> ApiResult<Vec<u8>> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("{what} larger than the {limit}-byte limit"),
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit as u64 {
            return Err(too_large());
        }
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(b) if b.is_empty() => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            format!("{what} is empty"),
        )),
        Ok(b) => Ok(b.to_vec()),
        Err(e) => {
            let source = e.into_inner();
            if source
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(too_large())
            } else {
                Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_body",
                    format!("reading {what}: {source}"),
                ))
            }
        }
    }
}

/// Runs CPU work on a blocking thread under the concurrency limit and the
/// request's deadline. The permit travels with the work, so work that
/// outlives a timed-out request still counts against the limit.
async fn blocking<T: Send + 'static>(
    s: &Arc<AppState>,
    started: Instant,
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let deadline = s.opts.timeout;
    let left = deadline.saturating_sub(started.elapsed());
    let permit = tokio::time::timeout(left, Arc::clone(&s.workers).acquire_owned())
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!(
                    "all {} workers stayed busy for the {:.0} s timeout; retry later",
                    s.opts.concurrency,
                    deadline.as_secs_f64()
                ),
            )
        })?
        .expect("the semaphore is never closed");
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f()
    });
    let left = deadline.saturating_sub(started.elapsed());
    match tokio::time::timeout(left, task).await {
        Ok(Ok(r)) => r,
        Ok(Err(join)) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("worker failed: {join}"),
        )),
        Err(_) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request took longer than {:.0} s",
                deadline.as_secs_f64()
            ),
        )),
    }
}

async fn upload_keys(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let started = Instant::now();
    let bytes = read_body(&headers, body, s.opts.max_keys_body, "the key bundle").await?;
    let state = Arc::clone(&s);
    blocking(&s, started, move || {
        let id = hex(&sha256(&bytes)[..16]);
        if bytes.len() as u64 > state.opts.max_state_bytes {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "a {}-byte bundle exceeds the {}-byte key store",
                    bytes.len(),
                    state.opts.max_state_bytes
                ),
            ));
        }
        // Validate fully (checksum, kind, ids, every residue, the plan's
        // rotation steps) before anything is stored.
        let hospital = Arc::new(state.model.hospital(&bytes, "key bundle")?);
        let (fresh, evicted) = {
            let mut store = state.store.lock().expect("store lock");
            let fresh = !store.contains(&id);
            let evicted = store.insert(&id, &bytes).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "store",
                    format!("storing the bundle: {e}"),
                )
            })?;
            (fresh, evicted)
        };
        state.forget(&evicted);
        state.remember(&id, hospital);
        info!(key_id = %id, bytes = bytes.len(), fresh, evicted = evicted.len(), "key bundle stored");
        let status = if fresh {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((
            status,
            Json(json!({"key_id": id, "bytes": bytes.len(), "evicted": evicted.len()})),
        )
            .into_response())
    })
    .await
}

fn key_param(query: Option<&str>) -> ApiResult<String> {
    let id = query
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("key="))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "missing_key",
                "name the key bundle: POST /v1/infer?key=ID (the id POST /v1/keys returned)",
            )
        })?;
    if !valid_id(id) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_key_id",
            format!("`{id}` is not a key id (32 lower-case hex digits)"),
        ));
    }
    Ok(id.to_owned())
}

async fn infer(
    State(s): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let started = Instant::now();
    // The body first: a client still sending it would not see an early
    // refusal (its write fails before it reads the answer).
    let bytes = read_body(&headers, body, s.opts.max_query_body, "the query").await?;
    let id = key_param(query.as_deref())?;
    let state = Arc::clone(&s);
    blocking(&s, started, move || {
        let hospital = match state.cached(&id) {
            Some(h) => h,
            None => {
                let stored = {
                    let store = state.store.lock().expect("store lock");
                    store.contains(&id).then(|| std::fs::read(store.path(&id)))
                };
                let bundle = match stored {
                    Some(Ok(b)) => b,
                    _ => {
                        return Err(ApiError::new(
                            StatusCode::NOT_FOUND,
                            "unknown_key",
                            format!("no key bundle {id}: upload it with POST /v1/keys (bundles are evicted oldest first)"),
                        ))
                    }
                };
                let h = Arc::new(state.model.hospital(&bundle, "stored key bundle")?);
                state.remember(&id, Arc::clone(&h));
                h
            }
        };
        let m = &state.model;
        let query = Query::from_bytes(&m.params, m.model_id, &bytes, "query")
            .map_err(Error::from)?;
        let t = Instant::now();
        let answer = hospital.infer(&query).map_err(Error::from)?;
        let out = answer.to_bytes(&m.params, m.model_id);
        info!(
            key_id = %id,
            patients = query.n_patients,
            ciphertexts = query.blocks.len(),
            ms = t.elapsed().as_secs_f64() * 1e3,
            "inference"
        );
        Ok((
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                (
                    header::HeaderName::from_static("x-hediag-patients"),
                    query.n_patients.to_string(),
                ),
            ],
            out,
        )
            .into_response())
    })
    .await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    info!("shutting down: finishing requests in flight");
}

/// `hediag serve`: binds `addr`, prints `listening on http://ADDR` (the
/// bound address, so port 0 picks a free one), logs to stderr, and serves
/// until SIGINT or SIGTERM.
///
/// # Errors
/// [`Error::Usage`] for an address that cannot be bound; model and state-directory
/// errors; [`Error::Remote`] if the server fails.
pub fn serve(opts: ServeOptions, addr: SocketAddr) -> Result<()> {
    use std::io::IsTerminal as _;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Remote(format!("starting the runtime: {e}")))?;
    runtime.block_on(async move {
        // Load the model before binding, so a bad model never listens.
        let state = state(opts)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Usage(format!("cannot listen on {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::Remote(format!("listener: {e}")))?;
        println!("listening on http://{bound}");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        axum::serve(listener, router(state))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| Error::Remote(format!("server: {e}")))
    })
}
