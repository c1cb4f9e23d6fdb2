//! The one HTTP client every vendor uses: timeouts, retry with exponential backoff and jitter,
//! `Retry-After`, an optional request rate, TLS options, and tracing that never shows a secret.
//! Vendors only build requests; what to retry and how to report a transport failure is decided here.
//! Every wait is bounded: each request's retries by a budget, the run's `Retry-After` sleeps by
//! another, a server that keeps refusing or cannot be reached by the circuit, and all of them by a
//! signal that stops the run.

mod circuit;
mod retry_after;

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{Error, Result};
use crate::interrupt::{GRACE, Interrupt};
use crate::pacer::Pacer;
use circuit::Circuit;
pub use retry_after::RetryAfterBudget;

/// The largest answer read: a server that streams without end (or a wrong URL serving a large
/// file) must not exhaust memory before the timeout fires.
pub const MAX_ANSWER_BYTES: usize = 64 << 20;

/// Header whose values may be shown in traces; every other header's value is redacted.
const PLAIN_HEADERS: &[&str] = &["accept", "content-type", "content-length", "user-agent"];

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt (429s aside: they are retried for the whole `budget`).
    pub max_retries: usize,
    /// Of those, how many may follow a timeout: a server silent that often is taken for dead.
    pub max_timeout_retries: usize,
    /// How long a request keeps being retried, sleeps and its turns after a 429 included, from
    /// its first failed attempt (so a `Retry-After` asked at once is honoured in full).
    pub budget: Duration,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` we honour; a server asking for more gets this much.
    pub retry_after_cap: Duration,
    /// Refusals (429, 503) in a row, each of a request sent after the one before was refused,
    /// after which everything queued for the server fails at once.
    pub circuit_after: usize,
}

/// The default `--retry-budget`.
pub const DEFAULT_RETRY_BUDGET: Duration = Duration::from_secs(60);

/// How many times a request's retry budget a run may wait in all on `Retry-After`.
pub const RUN_WAITS_PER_BUDGET: u32 = 10;

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            max_timeout_retries: 2,
            budget: DEFAULT_RETRY_BUDGET,
            min_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            retry_after_cap: Duration::from_secs(60),
            circuit_after: 16,
        }
    }
}

#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub timeout: Duration,
    pub ca_cert: Option<PathBuf>,
    pub insecure: bool,
    /// Requests per second to this server.
    pub rate_limit: Option<u32>,
    pub retry: RetryPolicy,
    /// Where every request is noted as it completes (`check --deep`); `None` notes nothing.
    pub exchanges: Option<Arc<ExchangeLog>>,
    /// The run's `Retry-After` waits, shared by every client of the run.
    pub retry_after_budget: Arc<RetryAfterBudget>,
    /// Once stopped, no retry or wait starts any more, and what is under way gets `GRACE`.
    pub stop: Interrupt,
}

/// One request as it went: method, URL, status and time, never a header or a body, so nothing
/// secret (no vendor puts a secret in a URL).
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    /// `None` when no answer came (a failed connection, a timeout).
    pub status: Option<u16>,
    pub elapsed: Duration,
    /// What the client made of this request beyond its status, when that is worth showing (a
    /// fallback it took), in words that name no vendor-only detail the caller must know.
    pub note: Option<String>,
}

/// The requests a client made, in order, for a caller that wants to show them.
#[derive(Debug, Default)]
pub struct ExchangeLog(Mutex<Vec<Exchange>>);

impl ExchangeLog {
    /// The requests noted since the last call.
    pub fn take(&self) -> Vec<Exchange> {
        self.0
            .lock()
            .map(|mut noted| std::mem::take(&mut *noted))
            .unwrap_or_default()
    }

    fn note(&self, method: &Method, url: &Url, status: Option<StatusCode>, elapsed: Duration) {
        if let Ok(mut noted) = self.0.lock() {
            noted.push(Exchange {
                method: method.to_string(),
                url: url.to_string(),
                status: status.map(|status| status.as_u16()),
                elapsed,
                note: None,
            });
        }
    }

    /// Notes `note` on the latest request to `target` (`METHOD URL`, as a `Reply` names it).
    fn annotate(&self, target: &str, note: &str) {
        if let Ok(mut noted) = self.0.lock()
            && let Some(exchange) = noted
                .iter_mut()
                .rev()
                .find(|exchange| format!("{} {}", exchange.method, exchange.url) == target)
        {
            exchange.note = Some(note.to_string());
        }
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(30),
            ca_cert: None,
            insecure: false,
            rate_limit: None,
            retry: RetryPolicy::default(),
            exchanges: None,
            retry_after_budget: Arc::new(RetryAfterBudget::new(
                DEFAULT_RETRY_BUDGET * RUN_WAITS_PER_BUDGET,
            )),
            stop: Interrupt::none(),
        }
    }
}

/// A complete answer from the server, whatever its status.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
    /// Method and URL, for messages.
    pub target: String,
}

/// Bodies can hold tokens (a login answer does), so `Debug` shows only their size.
impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("target", &self.target)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl Reply {
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The body as `T`. A body that is not JSON, repeats a key in an object, or is not of `T`'s
    /// shape, was not understood: the error names the endpoint and the keys seen, never a value
    /// (the server may echo a secret).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let body = self.json_kept(&|_, _| true)?;
        T::deserialize(&body).map_err(|err| {
            // serde names a missing key plainly; other messages may quote the offending value.
            let text = err.to_string();
            let what = text
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .unwrap_or("fields of the expected types");
            let shown = format!("{} (status {})", self.target, self.status);
            Error::not_understood_from(&self.target, crate::shape::misread(&shown, &[what], &body))
        })
    }

    /// The body with only the keys `keep` wants (`unique_json::parse_kept`), understood like
    /// `json`'s.
    pub fn json_kept(&self, keep: &crate::unique_json::Keep) -> Result<serde_json::Value> {
        let mut body = crate::unique_json::parse_kept(&self.body, keep).map_err(|misread| {
            Error::not_understood_from(
                &self.target,
                format!(
                    "the answer from {} (status {}) was not understood: {misread} ({} bytes); \
                     nothing was changed",
                    self.target,
                    self.status,
                    self.body.len()
                ),
            )
        })?;
        // Masked where it comes in: nothing read from an answer can show a secret it echoed.
        crate::redact::scrub_json(&mut body);
        Ok(body)
    }
}

pub struct HttpClient {
    client: reqwest::Client,
    base: Url,
    retry: RetryPolicy,
    limiter: Option<DefaultDirectRateLimiter>,
    /// After a 429, requests to this server start one at a time, at the pace it accepts.
    pacer: Pacer,
    exchanges: Option<Arc<ExchangeLog>>,
    circuit: Circuit,
    retry_after_budget: Arc<RetryAfterBudget>,
    stop: Interrupt,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// Why one attempt did not produce a final answer.
enum Attempt {
    /// The server answered with a status worth retrying.
    Busy {
        reply: Reply,
        /// The wait it asked for, capped, when the run's budget for such waits covers it.
        retry_after: Option<Duration>,
    },
    /// The request did not complete; `retry` says whether sending it again is safe.
    /// `unreachable`: no connection could be made at all (refused, unknown host, bad certificate).
    Transport {
        message: String,
        retry: bool,
        unreachable: bool,
        timed_out: bool,
        /// The transport error beneath, when there is one.
        cause: Option<crate::error::Source>,
    },
    /// Not (or no longer) sent: the circuit opened, the run was stopped, or a wait ran past a
    /// budget. Never retried.
    Stopped(Error),
}

impl HttpClient {
    pub fn new(base: Url, options: &HttpOptions) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("dashshare/", env!("CARGO_PKG_VERSION")))
            .timeout(options.timeout)
            // A redirected PATCH or POST would silently become a GET; report redirects instead.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            // Also each read, so a server that trickles its answer is cut at the same bound.
            .read_timeout(options.timeout);
        if let Some(path) = &options.ca_cert {
            let pem = std::fs::read(path).map_err(|err| {
                let message = format!("cannot read --ca-cert {}: {err}", path.display());
                Error::invalid_from(message, err)
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| {
                Error::invalid(format!(
                    "--ca-cert {} holds no usable PEM certificate: {err}",
                    path.display()
                ))
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        if options.insecure {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let client = builder
            .build()
            .map_err(|err| Error::invalid(format!("cannot set up the HTTP client: {err}")))?;
        let limiter = options
            .rate_limit
            .and_then(NonZeroU32::new)
            // No burst: the server should never see more than `rate` requests in any second.
            .map(|rate| RateLimiter::direct(Quota::per_second(rate).allow_burst(NonZeroU32::MIN)));
        Ok(HttpClient {
            client,
            base: with_trailing_slash(base),
            retry: options.retry.clone(),
            limiter,
            pacer: Pacer::default(),
            exchanges: options.exchanges.clone(),
            circuit: Circuit::new(options.retry.circuit_after),
            retry_after_budget: options.retry_after_budget.clone(),
            stop: options.stop.clone(),
        })
    }

    /// Starts a request to the base URL plus `segments`, each percent-encoded as one path segment.
    /// Every vendor answers in JSON, so every request asks for it.
    pub fn request(&self, method: Method, segments: &[&str]) -> reqwest::RequestBuilder {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        self.client
            .request(method, url)
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// Remembers a secret so that no output shows it, in any encoding (see `redact`).
    pub fn register_secret(&self, secret: &SecretString) {
        crate::redact::register(secret.expose_secret());
    }

    /// Attaches `note` to the request `target` (`Reply::target`) in the exchange log, if one is
    /// kept, so that `check --deep` can show what a provider made of that answer.
    pub fn note_exchange(&self, target: &str, note: &str) {
        if let Some(log) = &self.exchanges {
            log.annotate(target, &self.scrub(note));
        }
    }

    /// `text` without any secret the run knows (vendor messages can echo what they were sent).
    pub fn scrub(&self, text: &str) -> String {
        crate::redact::scrub(text).into_owned()
    }

    /// Sends `request`, retrying 429, 502, 503, 504 and failed connections with backoff.
    /// A timed-out or interrupted request is sent again only when `idempotent`: otherwise the server
    /// may already have acted on it. Any final HTTP status comes back as a `Reply`.
    pub async fn execute(&self, request: reqwest::Request, idempotent: bool) -> Result<Reply> {
        // No vendor puts a secret in a query string, so the whole URL is safe to show.
        let target = format!("{} {}", request.method(), request.url());
        if let Some(cause) = self.circuit.cause() {
            return Err(Error::remote(format!("{target} was not sent: {cause}")));
        }
        self.send_with_retries(request, &target, idempotent)
            .await
            .or_else(final_answer)
    }

    async fn send_with_retries(
        &self,
        request: reqwest::Request,
        target: &str,
        idempotent: bool,
    ) -> std::result::Result<Reply, Attempt> {
        let started = tokio::time::Instant::now();
        let Some(template) = request.try_clone() else {
            // A streaming body cannot be replayed; send it once.
            return self.attempt(request, target, false, started, true).await;
        };
        let backoff = ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.retry.min_delay)
            .with_max_delay(self.retry.max_delay)
            // `when` and `adjust` below decide when to stop: by count, and by the budget.
            .with_max_times(usize::MAX);
        let budget = self.retry.budget;
        let deadline = std::sync::OnceLock::new();
        let out_of_budget = AtomicBool::new(false);
        let retries = AtomicUsize::new(0);
        let timeouts = AtomicUsize::new(0);
        let attempts = AtomicUsize::new(0);
        let send = || async {
            let first = attempts.fetch_add(1, Ordering::Relaxed) == 0;
            match template.try_clone() {
                Some(request) => {
                    self.attempt(request, target, idempotent, started, first)
                        .await
                }
                None => Err(Attempt::Transport {
                    message: format!("{target}: the request body cannot be sent twice"),
                    retry: false,
                    unreachable: false,
                    timed_out: false,
                    cause: None,
                }),
            }
        };
        // A sleep ends early when the circuit opens or the run stops; the next attempt says why.
        let opened = self.circuit.opened();
        let stop = self.stop.clone();
        let sleep = move |delay: Duration| {
            let (opened, stop) = (opened.clone(), stop.clone());
            async move {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = opened.cancelled() => {}
                    () = stop.cancelled() => {}
                }
            }
        };
        let outcome = send
            .retry(backoff)
            .sleep(sleep)
            .when(|attempt| match attempt {
                Attempt::Busy { reply, .. } if reply.status == StatusCode::TOO_MANY_REQUESTS => {
                    true
                }
                Attempt::Transport {
                    timed_out: true,
                    retry: true,
                    ..
                } => {
                    timeouts.fetch_add(1, Ordering::Relaxed) < self.retry.max_timeout_retries
                        && retries.fetch_add(1, Ordering::Relaxed) < self.retry.max_retries
                }
                Attempt::Busy { .. } | Attempt::Transport { retry: true, .. } => {
                    retries.fetch_add(1, Ordering::Relaxed) < self.retry.max_retries
                }
                Attempt::Transport { retry: false, .. } | Attempt::Stopped(_) => false,
            })
            .adjust(|attempt, delay| {
                let delay = match attempt {
                    Attempt::Busy {
                        retry_after: Some(wait),
                        ..
                    } => *wait,
                    _ => delay?,
                };
                let now = tokio::time::Instant::now();
                let deadline = *deadline.get_or_init(|| now + budget);
                if budget.is_zero() || now + delay > deadline {
                    out_of_budget.store(true, Ordering::Relaxed);
                    return None;
                }
                Some(delay)
            })
            .notify(|attempt, delay| {
                let why = match attempt {
                    Attempt::Busy { reply, .. } => format!("status {}", reply.status.as_u16()),
                    Attempt::Transport { message, .. } => message.clone(),
                    Attempt::Stopped(err) => err.to_string(),
                };
                tracing::info!("{target}: {why}; retrying in {} ms", delay.as_millis());
            })
            .await;
        if let Err(attempt) = &outcome {
            self.open_if_given_up(attempt, out_of_budget.load(Ordering::Relaxed));
        }
        outcome
    }

    /// Opens the circuit when `attempt`, the last of a request, shows the server dead or shut:
    /// no connection, or no answer, after every retry; a refusal after the whole budget.
    fn open_if_given_up(&self, attempt: &Attempt, out_of_budget: bool) {
        let cause = match attempt {
            Attempt::Transport {
                message,
                unreachable: true,
                ..
            } => format!("the server could not be reached earlier in this run ({message})"),
            Attempt::Transport {
                message,
                timed_out: true,
                retry: true,
                ..
            } => format!("the server did not answer earlier in this run ({message})"),
            Attempt::Busy { reply, .. } if out_of_budget => self.refused_for_a_budget(reply.status),
            _ => return,
        };
        self.circuit.open(cause);
    }

    fn refused_for_a_budget(&self, status: StatusCode) -> String {
        format!(
            "the server kept answering {} for a whole retry budget ({}, --retry-budget) earlier \
             in this run; try again once it takes requests",
            status.as_u16(),
            humantime::format_duration(self.retry.budget)
        )
    }

    /// One attempt: its turn (pacing, rate), then the exchange. `started` is when the request
    /// first came, for the budget of its turns. After a signal, the run's sequences under way
    /// may still send a request whose turn is free (a publish after its write), never a retry.
    async fn attempt(
        &self,
        request: reqwest::Request,
        target: &str,
        idempotent: bool,
        started: tokio::time::Instant,
        first: bool,
    ) -> std::result::Result<Reply, Attempt> {
        let turn = async {
            self.pacer.turn().await;
            if let Some(limiter) = &self.limiter {
                limiter.until_ready().await;
            }
        };
        let opened = self.circuit.opened();
        let budget = self.retry.budget;
        let mut turn_taken = false;
        tokio::select! {
            biased;
            waited = tokio::time::timeout_at(started + budget, turn) => match waited {
                Ok(()) => turn_taken = true,
                // Only a server refusing request after request holds a turn that long.
                Err(_) => self.circuit.open(self.refused_for_a_budget(StatusCode::TOO_MANY_REQUESTS)),
            },
            () = opened.cancelled() => {}
            () = self.stop.cancelled() => {}
        }
        if let Some(cause) = self.circuit.cause() {
            let again = if first { "" } else { " again" };
            return Err(Attempt::Stopped(Error::remote(format!(
                "{target} was not sent{again}: {cause}"
            ))));
        }
        if let Some(signal) = self.stop.stopped()
            && !(first && turn_taken && self.stop.within(GRACE))
        {
            let again = if first { "" } else { " again" };
            return Err(Attempt::Stopped(Interrupt::error(
                signal,
                format!("{target} was not sent{again}"),
            )));
        }
        // A stopped run gives the request under way `GRACE`, then cuts it short: the server may
        // have acted on it, which the journal's intent (and `undo`'s read) covers.
        tokio::select! {
            biased;
            outcome = self.exchange(request, target, idempotent) => outcome,
            signal = self.stop.stopped_for(GRACE) => Err(Attempt::Stopped(Interrupt::error(
                signal,
                format!(
                    "{target} was cut short, unanswered {} s after the signal; the server may \
                     have acted on it (check with `dashshare list`)",
                    GRACE.as_secs()
                ),
            ))),
        }
    }

    async fn exchange(
        &self,
        request: reqwest::Request,
        target: &str,
        idempotent: bool,
    ) -> std::result::Result<Reply, Attempt> {
        tracing::debug!("{target}");
        tracing::trace!("request headers: {}", redacted_headers(request.headers()));
        let sent = tokio::time::Instant::now();
        let started = Instant::now();
        // Sending consumes the request, so what a note shows is kept aside first.
        let noted = self
            .exchanges
            .as_ref()
            .map(|log| (log, request.method().clone(), request.url().clone()));
        let note = |status: Option<StatusCode>| {
            if let Some((log, method, url)) = &noted {
                log.note(method, url, status, started.elapsed());
            }
        };
        let response = match self.client.execute(request).await {
            Ok(response) => response,
            Err(err) => {
                note(None);
                return Err(transport_failure(target, err, idempotent));
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match read_capped(response, MAX_ANSWER_BYTES).await {
            Ok(Some(body)) => body,
            Ok(None) => {
                note(Some(status));
                return Err(Attempt::Transport {
                    message: format!(
                        "{target}: the answer is larger than {} MiB; dashshare stopped reading it \
                         (is the profile's url the vendor's API?)",
                        MAX_ANSWER_BYTES >> 20
                    ),
                    retry: false,
                    unreachable: false,
                    timed_out: false,
                    cause: None,
                });
            }
            Err(err) => {
                note(Some(status));
                return Err(transport_failure(target, err, idempotent));
            }
        };
        note(Some(status));
        tracing::info!(
            "{target} -> {} ({} ms)",
            status.as_u16(),
            started.elapsed().as_millis()
        );
        let reply = Reply {
            status,
            headers,
            body,
            target: target.to_string(),
        };
        if !is_busy(status, idempotent) {
            self.pacer.succeeded();
            self.circuit.answered();
            return Ok(reply);
        }
        let asked =
            parse_retry_after(&reply.headers).map(|wait| wait.min(self.retry.retry_after_cap));
        let retry_after = match asked {
            Some(wait) if !self.retry_after_budget.take(wait) => {
                return Err(Attempt::Stopped(Error::remote(format!(
                    "{target} was answered {} and asked to wait {} s, but this run already \
                     waited {} on such asks, all it may (ten times --retry-budget); try again \
                     later",
                    status.as_u16(),
                    wait.as_secs(),
                    humantime::format_duration(self.retry_after_budget.limit())
                ))));
            }
            honoured => honoured,
        };
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.pacer.refused(retry_after);
        }
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            self.circuit.refused(sent, status.as_u16());
        }
        Err(Attempt::Busy { reply, retry_after })
    }
}

/// The whole body, or `None` as soon as it grows past `cap` bytes (a declared length past it is
/// refused before reading).
async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> std::result::Result<Option<bytes::Bytes>, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|length| length > cap as u64)
    {
        return Ok(None);
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

/// After the last retry a busy answer is still an answer: the caller reports its status.
fn final_answer(attempt: Attempt) -> Result<Reply> {
    match attempt {
        Attempt::Busy { reply, .. } => Ok(reply),
        Attempt::Transport { message, cause, .. } => Err(Error::Remote {
            message,
            source: cause,
        }),
        Attempt::Stopped(err) => Err(err),
    }
}

/// 429 and 503 mean the server turned the request away, so it may always be sent again; after a
/// 502 or 504 the backend may have acted on it, as after a timeout.
fn is_busy(status: StatusCode, idempotent: bool) -> bool {
    match status {
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => true,
        StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => idempotent,
        _ => false,
    }
}

fn transport_failure(target: &str, failure: reqwest::Error, idempotent: bool) -> Attempt {
    let err = &failure;
    // A failed connection never reached the server, so any request may be sent again, unless the
    // failure is one that trying again cannot cure (a bad certificate, an unknown host).
    let retry = if err.is_connect() {
        err.is_timeout() || connection_may_recover(err)
    } else {
        idempotent
    };
    let what = if err.is_timeout() {
        "timed out (raise --timeout if the server is slow)".to_string()
    } else if err.is_connect() {
        format!("could not connect: {}", root_cause(err))
    } else {
        format!("failed: {}", root_cause(err))
    };
    let message = if retry || err.is_connect() {
        format!("{target} {what}")
    } else {
        format!(
            "{target} {what}; it was not sent again because the server may already have applied it \
             (check with `dashshare list`)"
        )
    };
    Attempt::Transport {
        message,
        retry,
        unreachable: err.is_connect(),
        timed_out: err.is_timeout() && !err.is_connect(),
        cause: Some(std::sync::Arc::new(failure)),
    }
}

fn connection_may_recover(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::*;
    let mut cause = Some(err);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                ConnectionRefused
                    | ConnectionReset
                    | ConnectionAborted
                    | NotConnected
                    | TimedOut
                    | AddrNotAvailable
                    | Interrupted
                    | BrokenPipe
                    | UnexpectedEof
                    | NetworkUnreachable
                    | HostUnreachable
            );
        }
        cause = current.source();
    }
    false
}

/// The innermost cause ("Connection refused", "invalid peer certificate: …"): the outer layers
/// only repeat the URL and the library's names for its parts.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    // A library's words are outside text: a proxy's or a TLS stack's message may quote anything.
    crate::redact::scrub(&cause.to_string()).into_owned()
}

/// Delta-seconds or an HTTP date, per RFC 9110.
fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn redacted_headers(headers: &HeaderMap) -> String {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if PLAIN_HEADERS.contains(&name.as_str()) {
                value.to_str().unwrap_or("[binary]")
            } else {
                "[redacted]"
            };
            format!("{name}: {shown}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

/// Marks a header value as sensitive so that no `Debug` of the request shows it.
pub fn secret_header(value: &str) -> Result<reqwest::header::HeaderValue> {
    let mut header = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
        Error::invalid("a credential contains characters that cannot be sent in an HTTP header")
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(parse_retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn path_segments_are_encoded_and_base_paths_kept() {
        let client = HttpClient::new(
            Url::parse("https://bi.example.com/sisense").unwrap(),
            &HttpOptions::default(),
        )
        .unwrap();
        let request = client
            .request(Method::GET, &["api", "v1", "dashboards", "a/b c"])
            .build()
            .unwrap();
        assert_eq!(
            request.url().as_str(),
            "https://bi.example.com/sisense/api/v1/dashboards/a%2Fb%20c"
        );
    }

    #[test]
    fn traces_show_only_plain_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer tok".parse().unwrap());
        headers.insert("accept", "application/json".parse().unwrap());
        let shown = redacted_headers(&headers);
        assert!(shown.contains("application/json") && !shown.contains("tok"));
    }

    #[test]
    fn scrub_removes_registered_secrets() {
        let client =
            HttpClient::new(Url::parse("https://x").unwrap(), &HttpOptions::default()).unwrap();
        client.register_secret(&SecretString::from("s3cret"));
        assert_eq!(
            client.scrub("bad password s3cret"),
            "bad password [redacted]"
        );
    }
}
