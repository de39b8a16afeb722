//! Following the demo's bookings through the API until they settle.

use std::time::Duration;

use anyhow::bail;
use indicatif::ProgressBar;
use serde_json::Value;
use shared::domain::BookingState;
use tokio_util::sync::CancellationToken;

use crate::progress::{self, Bars};

/// Polls the API, printing each state change, until every booking has settled; on a terminal a
/// bar per booking shows its download's bytes.
pub(super) async fn watch(
    http: &reqwest::Client,
    base: &str,
    bookings: &[Value],
    shutdown: &CancellationToken,
) -> anyhow::Result<Vec<Value>> {
    let bars = Bars::new();
    let class_ids: Vec<&str> = bookings.iter().map(|b| b["class_id"].as_str().unwrap_or("")).collect();
    let shown: Vec<_> = class_ids.iter().map(|id| bars.bytes(format!("{id:<16}"))).collect();
    let settled = until_settled(http, base, &class_ids, &bars, &shown, shutdown).await;
    shown.iter().for_each(ProgressBar::finish_and_clear);
    settled
}

async fn until_settled(
    http: &reqwest::Client,
    base: &str,
    class_ids: &[&str],
    bars: &Bars,
    shown: &[ProgressBar],
    shutdown: &CancellationToken,
) -> anyhow::Result<Vec<Value>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut last: Vec<String> = vec![String::new(); class_ids.len()];
    loop {
        let mut statuses = Vec::new();
        for (i, class_id) in class_ids.iter().enumerate() {
            let status: Value = http.get(format!("{base}/api/bookings/{class_id}")).send().await?.json().await?;
            let state = status["state"].as_str().unwrap_or("?").to_owned();
            if state != last[i] {
                let reason = status["reason"].as_str().map(|r| format!(" ({r})")).unwrap_or_default();
                bars.line(format!("  {class_id:<16} {state}{reason}"));
                shown[i].set_message(state.clone());
                last[i] = state;
            }
            if let (Some(done), Some(total)) = (status["downloaded_bytes"].as_u64(), status["total_bytes"].as_u64()) {
                progress::show_bytes(&shown[i], done, total);
            }
            statuses.push(status);
        }
        let settled =
            |s: &Value| serde_json::from_value::<BookingState>(s["state"].clone()).is_ok_and(BookingState::is_settled);
        if statuses.iter().all(settled) {
            return Ok(statuses);
        }
        if tokio::time::Instant::now() > deadline || shutdown.is_cancelled() {
            bail!("the demo bookings did not settle in time");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
