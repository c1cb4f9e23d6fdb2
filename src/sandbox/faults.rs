//! Fault injection in front of every emulator: latency, then the rate limit (429 with
//! `Retry-After`), then random 503s. A refused request never reaches the handler, so it changes
//! nothing, as with a real overloaded server.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::SandboxOptions;

struct Faults {
    latency: Duration,
    fail_rate: f64,
    limiter: Option<DefaultDirectRateLimiter>,
}

pub(super) fn wrap(router: Router, options: &SandboxOptions) -> Router {
    let faults = Arc::new(Faults {
        latency: options.latency,
        fail_rate: options.fail_rate,
        limiter: options
            .rate_limit
            .and_then(NonZeroU32::new)
            .map(|rate| RateLimiter::direct(Quota::per_second(rate))),
    });
    router.layer(middleware::from_fn_with_state(faults, inject))
}

async fn inject(State(faults): State<Arc<Faults>>, request: Request, next: Next) -> Response {
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
    next.run(request).await
}
