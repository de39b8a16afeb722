//! Progress where a person waits: `vteacher book --wait` follows its booking to the end with a
//! bar on a terminal, and prints the settled status (exit 0 only when ready); through a pipe
//! it prints the status alone, no bar in the way of a script reading it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

const LESSON: usize = 600_000;

/// The booking for `class_id` of record `record_id`, served at `name`.
fn booking_of(server: &FileServer, class_id: &str, record_id: u64, name: &str) -> String {
    json!({"class_id": class_id, "record_id": record_id, "video_url": server.url(name)}).to_string()
}

async fn run(mut command: tokio::process::Command) -> (std::process::Output, String) {
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("book --wait returned")
        .expect("it ran");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_wait_shows_the_download_on_a_terminal_and_ends_ready() {
    let mut env = TestEnv::new(Stack::Embedded).await;
    // ≈ 6 s of download: the node reports its progress every 2 s, so the bar has reports to
    // show for some seconds (at ≈ 3 s, the one report at 2 s could come as the download ended).
    env.set("DOWNLOAD_RATE", "100k");
    let server = FileServer::start().await.unwrap();
    server.put("4242.flv", lesson_bytes(LESSON));
    let app = env.spawn().await;

    let (output, text) =
        run(env.on_terminal(&["book", "--wait", &booking_of(&server, "c-wait", 4242, "4242.flv")])).await;
    assert!(output.status.success(), "book --wait ends with success:\n{text}");
    assert!(text.contains("c-wait"), "the bar names the class:\n{text}");
    assert!(text.contains("downloading"), "the bar says what the booking does:\n{text}");
    assert!(text.contains("KiB/585.94 KiB"), "the bar counts the download's bytes of its total:\n{text}");
    assert!(!text.contains("0 B/0 B"), "before its total is known, no full bar of nothing:\n{text}");
    assert!(text.contains("\"state\": \"ready\""), "the settled status is printed:\n{text}");
    assert_eq!(app.booking("c-wait").await.unwrap()["state"], "ready");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_wait_through_a_pipe_prints_the_status_alone_and_fails_on_a_404() {
    let env = TestEnv::new(Stack::Embedded).await;
    let server = FileServer::start().await.unwrap();
    server.put("4242.flv", lesson_bytes(LESSON));
    let app = env.spawn().await;

    let (output, stdout) =
        run(env.command(&["book", "--wait", &booking_of(&server, "c-pipe", 4242, "4242.flv")])).await;
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let status: Value = serde_json::from_str(&stdout).expect("stdout is the status's JSON alone");
    assert_eq!(status["state"], "ready");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains('\u{1b}'), "no escape codes (a bar, colours) in what goes to a pipe:\n{stderr}");

    let (output, stdout) =
        run(env.command(&["book", "--wait", &booking_of(&server, "c-404", 4343, "missing.flv")])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "a failed booking is a failure of book --wait: {stdout}");
    let status: Value = serde_json::from_str(&stdout).expect("the failed status is printed");
    assert_eq!(status["state"], "failed");
    assert!(stderr.contains("booking c-404 is failed") && stderr.contains("404"), "the reason is said: {stderr}");
    app.stop().await;
}
