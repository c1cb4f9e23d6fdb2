//! Client: the shared HTTP client against wiremock, for no vendor in particular.
//!
//! The shared client's retry rules, independent of any vendor.

mod common;

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
    let server = slow_server("GET", 6).await;
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
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/x"))
        .respond_with(ResponseTemplate::new(200))
        .expect(5)
        .mount(&server)
        .await;
    let options = HttpOptions {
        retry: dashshare::http::RetryPolicy {
            max_retries: 0,
            busy_budget: Duration::ZERO,
            ..common::fast_options().retry
        },
        ..common::fast_options()
    };
    let http = HttpClient::new(server.uri().parse().unwrap(), &options).unwrap();
    let busy = http.request(Method::GET, &["busy"]).build().unwrap();
    assert_eq!(http.execute(busy, true).await.unwrap().status.as_u16(), 429);
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
