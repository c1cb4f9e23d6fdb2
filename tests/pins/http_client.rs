//! Client: the shared HTTP client against wiremock, for no vendor in particular.
//!
//! The shared client's retry rules, independent of any vendor.

use crate::common;

use std::time::Duration;

use dashshare::error::Error;
use dashshare::http::{HttpClient, HttpOptions};
use reqwest::Method;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(url: &str, timeout: Duration) -> HttpClient {
    let options = HttpOptions {
        timeout,
        ..common::fast_options()
    };
    HttpClient::new(url.parse().unwrap(), &options).unwrap()
}

async fn slow_server(verb: &str, times: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .and(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(1500)))
        .expect(times)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_timed_out_non_idempotent_request_is_not_sent_again() {
    let server = slow_server("POST", 1).await;
    let http = client(&server.uri(), Duration::from_millis(300));
    let request = http.request(Method::POST, &["slow"]).build().unwrap();
    let err = http.execute(request, false).await.unwrap_err();
    assert!(matches!(err, Error::Remote { .. }));
    assert!(err.to_string().contains("not sent again"), "{err}");
}

#[tokio::test]
async fn a_timed_out_idempotent_request_is_retried() {
    // Twice: a server silent three times in a row is taken for dead (see the circuit below).
    let server = slow_server("GET", 3).await;
    let http = client(&server.uri(), Duration::from_millis(300));
    let request = http.request(Method::GET, &["slow"]).build().unwrap();
    let err = http.execute(request, true).await.unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    // Bind then drop a listener, so that the port is very likely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let http = client(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2));
    let request = http.request(Method::POST, &["login"]).build().unwrap();
    let err = http.execute(request, false).await.unwrap_err();
    assert!(err.to_string().contains("could not connect"), "{err}");
    // Everything after that fails at once with the same cause, instead of its own retries: a
    // bulk run against a dead server ends in seconds.
    let request = http.request(Method::GET, &["users"]).build().unwrap();
    let err = http.execute(request, true).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Remote { .. }), "{message}");
    assert!(message.contains("/users was not sent"), "{message}");
    assert!(
        message.contains("could not be reached earlier in this run"),
        "{message}"
    );
    assert!(message.contains("could not connect"), "{message}");
}

#[tokio::test]
async fn a_client_error_is_returned_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400))
        .expect(1)
        .mount(&server)
        .await;
    let http = client(&server.uri(), Duration::from_secs(2));
    let request = http.request(Method::GET, &["x"]).build().unwrap();
    let reply = http.execute(request, true).await.unwrap();
    assert_eq!(reply.status.as_u16(), 400);
}

#[tokio::test]
async fn rate_limit_spaces_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(6)
        .mount(&server)
        .await;
    let options = HttpOptions {
        rate_limit: Some(5),
        ..common::fast_options()
    };
    let http = HttpClient::new(server.uri().parse().unwrap(), &options).unwrap();
    let started = std::time::Instant::now();
    for _ in 0..6 {
        let request = http.request(Method::GET, &["x"]).build().unwrap();
        http.execute(request, true).await.unwrap();
    }
    // The first request goes at once; the other five wait 200 ms each.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_bad_gateway_is_retried_only_when_repeating_is_harmless() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .expect(6)
        .mount(&server)
        .await;
    let http = client(&server.uri(), Duration::from_secs(2));
    let post = http.request(Method::POST, &["x"]).build().unwrap();
    assert_eq!(
        http.execute(post, false).await.unwrap().status.as_u16(),
        502
    );
    let get = http.request(Method::GET, &["x"]).build().unwrap();
    assert_eq!(http.execute(get, true).await.unwrap().status.as_u16(), 502);
}

#[tokio::test]
async fn a_form_encoded_secret_is_scrubbed_too() {
    let http = client("https://x", Duration::from_secs(2));
    http.register_secret(&secrecy::SecretString::from("p@ss+w&rd"));
    assert_eq!(
        http.scrub("echo: p%40ss%2Bw%26rd and p@ss+w&rd"),
        "echo: [redacted] and [redacted]"
    );
}

#[tokio::test]
async fn a_429_is_retried_for_a_time_budget_not_a_count() {
    let server = MockServer::start().await;
    // More refusals in a row than the five retries other failures get.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(9)
        .expect(9)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let http = client(&server.uri(), Duration::from_secs(2));
    let get = http.request(Method::GET, &["x"]).build().unwrap();
    assert_eq!(http.execute(get, true).await.unwrap().status.as_u16(), 200);
}

#[tokio::test]
async fn after_a_429_concurrent_requests_start_one_at_a_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/busy"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(6)
        .mount(&server)
        .await;
    let http = client(&server.uri(), Duration::from_secs(2));
    let busy = http.request(Method::GET, &["busy"]).build().unwrap();
    assert_eq!(http.execute(busy, true).await.unwrap().status.as_u16(), 200);
    let started = std::time::Instant::now();
    let requests = (0..5).map(|_| {
        let request = http.request(Method::GET, &["x"]).build().unwrap();
        http.execute(request, true)
    });
    for reply in futures::future::join_all(requests).await {
        assert_eq!(reply.unwrap().status.as_u16(), 200);
    }
    // Five starts, a gap apart (the first gap is 50 ms and each success shrinks it a little).
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

/// A server that streams without end (here: chunked, up to 200 MiB, stopping when the client
/// hangs up) is read up to the cap, then refused: memory stays bounded and the run goes on.
#[tokio::test]
async fn an_endless_answer_is_cut_at_the_cap() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut request = [0u8; 4096];
        let _ = socket.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b' '; 1 << 20];
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        for _ in 0..200 {
            if socket.write_all(&framed).await.is_err() {
                return;
            }
        }
    });
    let http = client(&format!("http://{address}"), Duration::from_secs(20));
    let request = http.request(Method::GET, &["endless"]).build().unwrap();
    let err = http.execute(request, true).await.unwrap_err();
    assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
}

#[tokio::test]
async fn an_answer_declared_larger_than_the_cap_is_not_read() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![
            b' ';
            dashshare::http::MAX_ANSWER_BYTES
                + 1
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let http = client(&server.uri(), Duration::from_secs(20));
    let request = http.request(Method::GET, &["big"]).build().unwrap();
    let err = http.execute(request, true).await.unwrap_err();
    assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
}

fn policy(budget: Duration, circuit_after: usize) -> HttpOptions {
    HttpOptions {
        retry: dashshare::http::RetryPolicy {
            budget,
            circuit_after,
            ..common::fast_options().retry
        },
        ..common::fast_options()
    }
}

fn get(http: &HttpClient, route: &str) -> reqwest::Request {
    http.request(Method::GET, &[route]).build().unwrap()
}

/// A server that answers 429 forever costs a request its retry budget, no more; and the
/// server that kept refusing for that long fails what comes next at once, with the cause.
#[tokio::test]
async fn a_429_forever_ends_within_the_retry_budget_then_fails_what_is_queued() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429))
        .mount(&server)
        .await;
    for budget in [Duration::from_millis(500), Duration::from_millis(1500)] {
        // No circuit by count here: the budget alone ends it.
        let http = HttpClient::new(server.uri().parse().unwrap(), &policy(budget, 1_000)).unwrap();
        let started = std::time::Instant::now();
        // The last refusal, or the turn it waited for past its budget.
        let answer = http.execute(get(&http, "x"), true).await;
        let took = started.elapsed();
        match answer {
            Ok(reply) => assert_eq!(reply.status.as_u16(), 429),
            Err(err) => assert!(err.to_string().contains("answering 429"), "{err}"),
        }
        assert!(
            took < budget + Duration::from_secs(3),
            "{took:?} for a budget of {budget:?}"
        );
        let started = std::time::Instant::now();
        let err = http.execute(get(&http, "y"), true).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1));
        let message = err.to_string();
        assert!(matches!(err, Error::Remote { .. }), "{message}");
        assert!(message.contains("/y was not sent"), "{message}");
        assert!(message.contains("answering 429"), "{message}");
        assert!(message.contains("--retry-budget"), "{message}");
    }
}

/// Refusals in a row open the circuit: requests waiting for a retry, and those not yet sent,
/// fail at once with the cause instead of each spending its budget.
#[tokio::test]
async fn refusals_in_a_row_fail_every_waiting_and_queued_request_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
        // Eight refused at once are one refusal: four rounds of eight at most.
        .expect(4..=40)
        .mount(&server)
        .await;
    let http = HttpClient::new(
        server.uri().parse().unwrap(),
        &policy(Duration::from_secs(60), 4),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let requests = (0..8).map(|n| http.execute(get(&http, &format!("d{n}")), true));
    let answers = futures::future::join_all(requests).await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let failed: Vec<String> = answers
        .into_iter()
        .filter_map(|answer| answer.err().map(|err| err.to_string()))
        .collect();
    assert!(!failed.is_empty());
    for message in &failed {
        assert!(message.contains("refused 4 requests in a row"), "{message}");
    }
    let err = http.execute(get(&http, "later"), true).await.unwrap_err();
    assert!(err.to_string().contains("/later was not sent"), "{err}");
}

/// One budget for the run's `Retry-After` sleeps, shared by its clients: a server that keeps
/// asking for a second cannot stretch the run past it.
#[tokio::test]
async fn the_runs_retry_after_sleeps_have_one_budget() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .mount(&server)
        .await;
    let options = HttpOptions {
        retry_after_budget: std::sync::Arc::new(dashshare::http::RetryAfterBudget::new(
            Duration::from_secs(2),
        )),
        ..policy(Duration::from_secs(60), 1_000)
    };
    let started = std::time::Instant::now();
    let http = HttpClient::new(server.uri().parse().unwrap(), &options).unwrap();
    let err = http.execute(get(&http, "x"), true).await.unwrap_err();
    assert!(err.to_string().contains("already waited 2s"), "{err}");
    // Another client of the same run finds the budget spent.
    let other = HttpClient::new(server.uri().parse().unwrap(), &options).unwrap();
    let err = other.execute(get(&other, "y"), true).await.unwrap_err();
    assert!(err.to_string().contains("already waited 2s"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

/// A stopped run ends every wait at once: a retry's sleep (here a 30 s `Retry-After`) and a
/// request under way (here an answer 30 s away), which gets a second's grace.
#[tokio::test]
async fn a_signal_ends_a_sleep_and_an_answer_under_way() {
    use dashshare::interrupt::{Interrupt, Signal};
    for (status, delay) in [(503, Duration::ZERO), (200, Duration::from_secs(30))] {
        let server = MockServer::start().await;
        let stop = Interrupt::none();
        let signalled = stop.clone();
        Mock::given(method("GET"))
            .respond_with(move |_: &wiremock::Request| {
                signalled.stop(Signal::Terminate);
                ResponseTemplate::new(status)
                    .insert_header("Retry-After", "30")
                    .set_delay(delay)
            })
            .expect(1)
            .mount(&server)
            .await;
        let options = HttpOptions {
            timeout: Duration::from_secs(60),
            stop,
            ..policy(Duration::from_secs(60), 1_000)
        };
        let http = HttpClient::new(server.uri().parse().unwrap(), &options).unwrap();
        let started = std::time::Instant::now();
        let err = http.execute(get(&http, "x"), true).await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(err.exit_code() as u8, 143, "{err}");
    }
}

/// A server that accepts connections and never answers: each attempt ends at the timeout, three
/// in all, and then the server is taken for dead, so what is queued for it fails at once.
#[tokio::test]
async fn a_silent_server_is_given_up_after_three_timeouts() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(stream);
        }
    });
    let http = client(&format!("http://{address}"), Duration::from_millis(300));
    let started = std::time::Instant::now();
    let err = http.execute(get(&http, "x"), true).await.unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    let err = http.execute(get(&http, "y"), true).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("/y was not sent"), "{message}");
    assert!(
        message.contains("did not answer earlier in this run"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
}

/// A server that answers at once but trickles its body (a byte every 100 ms, without end) is
/// cut at the timeout too: it bounds the whole answer, not only each read.
#[tokio::test]
async fn a_trickled_answer_is_cut_at_the_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                            transfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let mut tick = tokio::time::interval(Duration::from_millis(100));
                loop {
                    tick.tick().await;
                    if stream.write_all(b"1\r\n \r\n").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let http = client(&format!("http://{address}"), Duration::from_millis(500));
    let started = std::time::Instant::now();
    let err = http.execute(get(&http, "x"), true).await.unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    // Three attempts of 500 ms and two short pauses.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// The budget runs from the first refusal, so a `Retry-After` as long as the whole budget (60 s
/// by default, the longest honoured) is still waited once.
#[tokio::test]
async fn a_retry_after_as_long_as_the_budget_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let http = HttpClient::new(
        server.uri().parse().unwrap(),
        &policy(Duration::from_secs(2), 1_000),
    )
    .unwrap();
    let reply = http.execute(get(&http, "x"), true).await.unwrap();
    assert_eq!(reply.status.as_u16(), 200);
}
