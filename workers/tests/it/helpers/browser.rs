//! A headless Chromium driven over the DevTools protocol (CDP): just enough to open pages,
//! type, read the DOM and take a screenshot. A hand-rolled client over one websocket, because
//! a CDP crate would bring far more than the five commands the dashboard test needs.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{net::TcpStream, process::Child};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async, tungstenite::Message};

/// How long one command may take before the test gives up on the browser.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// One Chromium with one page. Dropping it kills the browser.
pub(crate) struct Browser {
    _chromium: Child,
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    /// The page's uncaught exceptions and console errors (a WASM panic lands here), told when
    /// a wait times out.
    errors: Vec<String>,
    /// Where screenshots go: the test's folder, kept when the test fails.
    dir: PathBuf,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Debian's `chromium` headless on a DevTools port of its own choosing, and opens
    /// a page. Screenshots are saved under `dir`.
    pub(crate) async fn start(dir: &Path) -> Self {
        let profile = tempfile::tempdir().expect("a profile dir");
        let chromium = tokio::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,900",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromium is installed (apt-get install chromium; .ci/run does it)");
        // Chromium writes the port it took and the browser's websocket path once it listens.
        let active = profile.path().join("DevToolsActivePort");
        let endpoint = super::eventually("chromium's DevTools port", Duration::from_secs(30), || async {
            let text = tokio::fs::read_to_string(&active).await.ok()?;
            let mut lines = text.lines();
            let (port, path) = (lines.next()?.trim(), lines.next()?.trim());
            (!port.is_empty() && path.starts_with('/')).then(|| format!("ws://127.0.0.1:{port}{path}"))
        })
        .await;
        let (ws, _) = connect_async(endpoint.as_str()).await.expect("DevTools websocket");
        let mut browser = Self {
            _chromium: chromium,
            ws,
            session: String::new(),
            next_id: 0,
            errors: Vec::new(),
            dir: dir.to_owned(),
            _profile: profile,
        };
        let target = browser.browser_call("Target.createTarget", json!({"url": "about:blank"})).await;
        let target_id = target["targetId"].clone();
        let attached =
            browser.browser_call("Target.attachToTarget", json!({"targetId": target_id, "flatten": true})).await;
        browser.session = attached["sessionId"].as_str().expect("a session id").to_owned();
        browser.call("Page.enable", json!({})).await;
        browser.call("Runtime.enable", json!({})).await;
        browser
    }

    /// A command to the page.
    pub(crate) async fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        let answer = self.send(method, params, Some(&session)).await;
        answer.unwrap_or_else(|error| panic!("{method}: {error}"))
    }

    async fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None).await.unwrap_or_else(|error| panic!("{method}: {error}"))
    }

    /// Sends one command and waits for its answer. Events that arrive meanwhile are dropped
    /// (the test polls the DOM instead of following events), but for the page's errors.
    async fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.ws.send(Message::text(message.to_string())).await.expect("send to chromium");
        let answer = tokio::time::timeout(COMMAND_TIMEOUT, async {
            while let Some(frame) = self.ws.next().await {
                let Ok(Message::Text(text)) = frame else { continue };
                let value: Value = serde_json::from_str(&text).expect("CDP sends JSON");
                if value["id"] == id {
                    return value;
                }
                if let Some(error) = page_error(&value) {
                    self.errors.push(error);
                }
            }
            panic!("chromium closed the DevTools connection during {method}");
        })
        .await
        .unwrap_or_else(|_| panic!("{method}: no answer from chromium within {COMMAND_TIMEOUT:?}"));
        match answer.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(answer["result"].clone()),
        }
    }

    /// Opens `url` in the page (returns once the navigation is committed, not loaded).
    pub(crate) async fn open(&mut self, url: &str) {
        let navigated = self.call("Page.navigate", json!({"url": url})).await;
        assert!(navigated.get("errorText").is_none(), "opening {url}: {navigated}");
    }

    /// The value of a JavaScript expression in the page (`null` when it throws).
    pub(crate) async fn eval(&mut self, expression: &str) -> Value {
        let session = self.session.clone();
        let params = json!({"expression": expression, "returnByValue": true});
        let result = match self.send("Runtime.evaluate", params, Some(&session)).await {
            Ok(result) => result,
            // The page navigated while the expression ran (a form sent, a redirect followed):
            // nothing to read yet, as for a page still loading; the next poll reads the new one.
            Err(error) if navigated_away(&error) => return Value::Null,
            Err(error) => panic!("Runtime.evaluate: {error}"),
        };
        if result.get("exceptionDetails").is_some() {
            return Value::Null;
        }
        result["result"]["value"].clone()
    }

    /// Types `text` into the focused element, as a keyboard would.
    pub(crate) async fn type_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text})).await;
    }

    /// The page's visible text.
    pub(crate) async fn text(&mut self) -> String {
        self.eval("document.body ? document.body.innerText : ''").await.as_str().unwrap_or_default().to_owned()
    }

    /// Polls the page until `predicate` (a JavaScript expression) is true. On timeout the page
    /// is saved as `<name>-timeout.png` in the test's folder and the test fails with its text.
    pub(crate) async fn wait_for(&mut self, what: &str, predicate: &str, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.eval(predicate).await == Value::Bool(true) {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                let name = what.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
                let shot = self.screenshot(&format!("{name}-timeout.png")).await;
                let text = self.text().await;
                let errors = self.errors.join("\n");
                panic!(
                    "timed out after {timeout:?} waiting for {what} (page saved at {}):\n{text}\npage errors:\n{errors}",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the page under the test's folder and returns its path.
    pub(crate) async fn screenshot(&mut self, name: &str) -> PathBuf {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"})).await;
        let data = shot["data"].as_str().expect("screenshot data");
        let bytes = base64::engine::general_purpose::STANDARD.decode(data).expect("base64 screenshot");
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).expect("write the screenshot");
        path
    }
}

/// An uncaught exception or a `console.error` of the page, as text.
fn page_error(event: &Value) -> Option<String> {
    let params = &event["params"];
    match event["method"].as_str()? {
        "Runtime.exceptionThrown" => Some(params["exceptionDetails"].to_string()),
        "Runtime.consoleAPICalled" if params["type"] == "error" => Some(params["args"].to_string()),
        _ => None,
    }
}

/// Whether a CDP error says the page's document went away under the command.
fn navigated_away(error: &Value) -> bool {
    let message = error["message"].as_str().unwrap_or_default();
    message.contains("navigated or closed") || message.contains("context was destroyed")
}
