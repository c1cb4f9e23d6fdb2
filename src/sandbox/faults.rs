//! In front of every emulator: the request log, then fault injection: latency, the rate limit
//! (429 with `Retry-After`), random 503s. A refused request never reaches the handler, so it
//! changes nothing, as with a real overloaded server. Behind the handler, a write's answer can be
//! held back after it was committed.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::{SandboxOptions, Shared};
use crate::vendor::Vendor;

struct Faults {
    vendor: Vendor,
    shared: Arc<Shared>,
    latency: Duration,
    fail_rate: f64,
    limiter: Option<DefaultDirectRateLimiter>,
    commit_delay: Duration,
}

pub(super) fn wrap(
    vendor: Vendor,
    router: Router,
    shared: Arc<Shared>,
    options: &SandboxOptions,
) -> Router {
    let faults = Arc::new(Faults {
        vendor,
        shared,
        latency: options.latency,
        fail_rate: options.fail_rate,
        limiter: options
            .rate_limit
            .and_then(NonZeroU32::new)
            .map(|rate| RateLimiter::direct(Quota::per_second(rate))),
        commit_delay: options.commit_delay,
    });
    router.layer(middleware::from_fn_with_state(faults, inject))
}

async fn inject(State(faults): State<Arc<Faults>>, request: Request, next: Next) -> Response {
    let target = match request.uri().query() {
        Some(query) => format!("{} {}?{query}", request.method(), request.uri().path()),
        None => format!("{} {}", request.method(), request.uri().path()),
    };
    let write = is_write(request.method(), request.uri().path());
    faults.shared.record(faults.vendor, target);
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if let Some(limiter) = &faults.limiter
        && limiter.check().is_err()
    {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "rate limit exceeded",
        )
            .into_response();
    }
    if faults.fail_rate > 0.0 && fastrand::f64() < faults.fail_rate {
        return (StatusCode::SERVICE_UNAVAILABLE, "injected failure").into_response();
    }
    let response = next.run(request).await;
    if write && !faults.commit_delay.is_zero() {
        tokio::time::sleep(faults.commit_delay).await;
    }
    response
}

/// Whether a request changes what an emulator holds: anything but a read, a search (AppViewX
/// searches with POST) or a login.
fn is_write(method: &Method, path: &str) -> bool {
    method != Method::GET
        && method != Method::HEAD
        && !path.ends_with("/login")
        && !path.ends_with("-search")
}
