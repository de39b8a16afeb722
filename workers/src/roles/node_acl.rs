//! `vteacher node acl <NODE_ID>`: the Redis ACL user of one push host (`jobs::node_acl`),
//! printed as an `ACL SETUSER` line for redis-cli, and run on an admin connection when asked.
//! The line carries the password's SHA-256 only, so it can be stored and shown; the password
//! itself is shown once, on stderr, when generated here.

use std::io::BufRead;

use anyhow::Context;
use ring::{
    digest::{SHA256, digest},
    rand::{SecureRandom, SystemRandom},
};
use shared::{config::Settings, domain::NodeId, domain::redact_url, jobs};

pub(super) async fn run(
    settings: &Settings,
    node_id: &str,
    apply: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let node: NodeId = node_id.parse().with_context(|| format!("NODE_ID {node_id:?}"))?;
    let password = match password_stdin {
        true => read_password()?,
        false => generate()?,
    };
    let user = jobs::node_user(&node);
    let args = jobs::node_acl(&settings.queue_prefix, &node).setuser_args(&hex(digest(&SHA256, password.as_bytes())));
    let quoted: Vec<String> = args.iter().map(|arg| quote(arg)).collect();
    println!("ACL SETUSER {user} {}", quoted.join(" "));
    if let Some(url) = apply {
        let shown = redact_url(url);
        let client = redis::Client::open(url).with_context(|| format!("the admin Redis URL {shown}"))?;
        let mut conn =
            client.get_multiplexed_async_connection().await.with_context(|| format!("connecting to {shown}"))?;
        let () = redis::cmd("ACL")
            .arg("SETUSER")
            .arg(&user)
            .arg(&args)
            .query_async(&mut conn)
            .await
            .with_context(|| format!("ACL SETUSER {user} on {shown}"))?;
        eprintln!("user {user} set on {shown} (ACL SAVE or CONFIG REWRITE keeps it across a restart)");
    }
    if !password_stdin {
        // Shown once to the operator, never logged: it goes into the push host's REDIS_URL.
        eprintln!("password of {user} (generated, stored nowhere; shown this once): {password}");
        eprintln!("the push host's REDIS_URL: redis://{user}:<password>@<host>:<port>");
    }
    Ok(())
}

/// 32 bytes of the OS's random source, as hex.
fn generate() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).map_err(|_| anyhow::anyhow!("the OS's random source failed"))?;
    Ok(hex(bytes))
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on stdin");
    Ok(password)
}

fn hex(bytes: impl AsRef<[u8]>) -> String {
    bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// An argument as redis-cli reads it: a selector `(…)` holds spaces, so it is quoted.
fn quote(arg: &str) -> String {
    match arg.contains([' ', '"', '\'']) {
        true => format!("\"{}\"", arg.replace('\\', "\\\\").replace('"', "\\\"")),
        false => arg.to_owned(),
    }
}
