//! An https origin as a CDN is one: Debian's nginx serving files over TLS, its certificate
//! signed by a certificate authority made for the test (trusted only by whoever is given
//! [`TlsOrigin::ca_file`], e.g. as `SSL_CERT_FILE`).

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use testkit::ports::start_on_free_port;
use tokio::process::{Child, Command};

pub(crate) struct TlsOrigin {
    dir: tempfile::TempDir,
    port: u16,
    _nginx: Child,
}

impl TlsOrigin {
    /// nginx on a port of its own, serving `files` (name, bytes) at `/`.
    pub(crate) async fn start(files: &[(&str, &[u8])]) -> Self {
        let dir = tempfile::tempdir().expect("a folder for nginx");
        let root = dir.path();
        for sub in ["www", "tmp"] {
            std::fs::create_dir(root.join(sub)).expect("nginx's folders");
        }
        for (name, bytes) in files {
            std::fs::write(root.join("www").join(name), bytes).expect("a file to serve");
        }
        make_certificates(root).await;
        let (nginx, port) = start_on_free_port("nginx", Duration::from_secs(10), |port| {
            std::fs::write(root.join("nginx.conf"), config(root, port)).expect("nginx.conf");
            Command::new(nginx_program())
                .arg("-p")
                .arg(root)
                .arg("-c")
                .arg(root.join("nginx.conf"))
                .arg("-e")
                .arg(root.join("error.log"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("nginx is installed (.ci/run installs it)")
        })
        .await;
        Self { dir, port, _nginx: nginx }
    }

    pub(crate) fn url(&self, name: &str) -> String {
        format!("https://127.0.0.1:{}/{name}", self.port)
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The certificate authority that signed the origin's certificate (PEM).
    pub(crate) fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The requests nginx answered, one access-log line each (`"GET /x.flv HTTP/1.1" 200 …`).
    pub(crate) fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default();
        log.lines().map(str::to_owned).collect()
    }
}

fn nginx_program() -> &'static str {
    // Debian puts it in /usr/sbin, which a user's PATH may lack.
    if Path::new("/usr/sbin/nginx").exists() { "/usr/sbin/nginx" } else { "nginx" }
}

/// One process (`master_process off`), so that killing the child stops it all and it serves
/// as the user who started it; every path it writes is in the test's folder.
fn config(root: &Path, port: u16) -> String {
    let root = root.display();
    format!(
        r#"daemon off;
master_process off;
pid {root}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {root}/server.pem;
        ssl_certificate_key {root}/server.key;
        root {root}/www;
    }}
}}
"#
    )
}

/// A certificate authority (`ca.pem`) and the origin's certificate for 127.0.0.1 signed by it.
async fn make_certificates(root: &Path) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        root,
        &["req", "-x509", "-days", "1", "-subj", "/CN=vteacher test CA", "-keyout", "ca.key", "-out", "ca.pem"],
        &ec,
    )
    .await;
    openssl(root, &["req", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"], &ec).await;
    std::fs::write(
        root.join("server.ext"),
        "subjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n",
    )
    .expect("the certificate's extensions");
    let sign = ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"];
    openssl(root, &sign, &["-days", "1", "-extfile", "server.ext", "-out", "server.pem"]).await;
}

async fn openssl(root: &Path, args: &[&str], more: &[&str]) {
    let ran = Command::new("openssl")
        .args(args)
        .args(more)
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), ran).await.expect("openssl ends").expect("openssl runs");
    assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}
