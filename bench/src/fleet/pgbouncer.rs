//! A PgBouncer of the bench's own (Debian's `pgbouncer`), in transaction pooling on a free
//! port in front of the PostgreSQL server the bench was given, with the fleet's documented
//! pool sizes (docs/operations.md "A fleet's PostgreSQL: PgBouncer"); and what its console says.

use std::{
    os::unix::fs::PermissionsExt,
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use sea_orm::sqlx::{
    Connection, Row,
    postgres::{PgConnection, PgRow},
};
use testkit::ports::start_on_free_port;
use tokio::process::{Child, Command};

/// Server connections PgBouncer opens to the fleet's database, at most: every central process
/// shares them (`default_pool_size`, and `max_db_connections` as a hard cap).
pub(super) const SERVER_POOL: u32 = 20;

pub(super) struct PgBouncer {
    child: Child,
    pub port: u16,
    user: String,
}

/// Where the real server is: host, port, user (from the bench's `--postgres` URL).
pub(super) struct Upstream {
    pub host: String,
    pub port: u16,
    pub user: String,
}

impl Upstream {
    pub(super) fn parse(url: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(url).with_context(|| format!("--postgres {url}"))?;
        if url.password().is_some() {
            bail!("--postgres: the bench's PgBouncer reaches PostgreSQL without a password (trust)");
        }
        let user = if url.username().is_empty() { "postgres" } else { url.username() };
        Ok(Self {
            host: url.host_str().unwrap_or("127.0.0.1").to_owned(),
            port: url.port().unwrap_or(5432),
            user: user.to_owned(),
        })
    }
}

impl PgBouncer {
    /// Writes `pgbouncer.ini` into `dir` and starts PgBouncer (as `run_as` when we are root:
    /// it refuses to run as root). Its log goes to `dir/pgbouncer.log`.
    pub(super) async fn start(dir: &Path, upstream: &Upstream, database: &str, run_as: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            std::process::Command::new("pgbouncer").arg("--version").output().is_ok(),
            "pgbouncer is not installed (apt-get install pgbouncer)"
        );
        let user = &upstream.user;
        std::fs::write(dir.join("users.txt"), format!("\"{user}\" \"\"\n"))?;
        // PgBouncer reads its files after dropping to `run_as`.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
        let (child, port) = start_on_free_port("the bench's PgBouncer", Duration::from_secs(10), |port| {
            spawn(dir, upstream, database, run_as, port).expect("pgbouncer starts")
        })
        .await;
        let bouncer = Self { child, port, user: user.clone() };
        let started = Instant::now();
        while bouncer.console().await.is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("pgbouncer on port {port} does not answer; see {}", dir.join("pgbouncer.log").display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(bouncer)
    }

    /// The central processes' `DATABASE_URL`: through PgBouncer, with sqlx's statement cache
    /// off, which (with vendor/sqlx-postgres) sends each statement in one round trip.
    pub(super) fn url(&self, database: &str) -> String {
        format!("postgres://{}@127.0.0.1:{}/{database}?statement-cache-capacity=0", self.user, self.port)
    }

    async fn console(&self) -> anyhow::Result<PgConnection> {
        console(self.port, &self.user).await
    }

    pub(super) fn user(&self) -> &str {
        &self.user
    }

    /// `SHOW POOLS` for `database`: (client connections, server connections).
    pub(super) async fn pools(&self, database: &str) -> anyhow::Result<(u64, u64)> {
        pools(self.port, &self.user, database).await
    }

    pub(super) async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Writes `pgbouncer.ini` for `port` into `dir` and starts PgBouncer on it.
fn spawn(dir: &Path, upstream: &Upstream, database: &str, run_as: &str, port: u16) -> std::io::Result<Child> {
    let user = &upstream.user;
    let ini = format!(
        "[databases]\n{database} = host={host} port={up} dbname={database}\n\n[pgbouncer]\n\
             listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {auth}\nstats_users = {user}\n\
             pool_mode = transaction\ndefault_pool_size = {SERVER_POOL}\nmin_pool_size = 0\n\
             reserve_pool_size = 0\nmax_db_connections = {SERVER_POOL}\nmax_client_conn = 2000\n\
             ignore_startup_parameters = extra_float_digits\n",
        host = upstream.host,
        up = upstream.port,
        auth = dir.join("users.txt").display(),
    );
    std::fs::write(dir.join("pgbouncer.ini"), ini)?;
    let log = std::fs::File::create(dir.join("pgbouncer.log"))?;
    let mut command = Command::new("pgbouncer");
    if nix::unistd::geteuid().is_root() {
        command.args(["-u", run_as]);
    }
    command.arg(dir.join("pgbouncer.ini")).stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log).kill_on_drop(true);
    command.spawn()
}

async fn console(port: u16, user: &str) -> anyhow::Result<PgConnection> {
    Ok(PgConnection::connect(&format!("postgres://{user}@127.0.0.1:{port}/pgbouncer")).await?)
}

/// `SHOW POOLS` of the PgBouncer on `port`, for `database`: (client connections, server
/// connections).
pub(super) async fn pools(port: u16, user: &str, database: &str) -> anyhow::Result<(u64, u64)> {
    let mut console = console(port, user).await?;
    let rows = sea_orm::sqlx::raw_sql("SHOW POOLS").fetch_all(&mut console).await?;
    let _ = console.close().await;
    let text = |row: &PgRow, name: &str| row.try_get_unchecked::<String, _>(name).ok();
    let (mut clients, mut servers) = (0, 0);
    for row in rows.iter().filter(|row| text(row, "database").as_deref() == Some(database)) {
        let field = |name: &str| -> u64 { text(row, name).and_then(|v| v.parse().ok()).unwrap_or(0) };
        clients += field("cl_active") + field("cl_waiting");
        servers += ["sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login"].map(field).iter().sum::<u64>();
    }
    Ok((clients, servers))
}
