//! Opening a service's database and running its migrations.

use std::path::Path;
use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use sea_orm_migration::MigratorTrait;

/// Why a database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL is not a PostgreSQL or SQLite URL.
    #[error("unsupported database url {0:?}: expected postgres:// or sqlite:")]
    UnsupportedUrl(String),
    /// The database server refused or failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// Returns a pool of at most `max_connections` for `service`: on the PostgreSQL server
/// of `server_url` the database `crm_<service>` (created when missing), or without a
/// server a SQLite file `<data_dir>/<service>.db` (at most 4 connections: SQLite has one
/// writer, more only add lock waits).
pub async fn connect_for_service(
    service: &str,
    server_url: Option<&str>,
    data_dir: &Path,
    max_connections: u32,
) -> Result<DatabaseConnection, DbError> {
    match server_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let database = format!("crm_{service}");
            ensure_postgres_database(url, &database).await?;
            open(&with_database(url, &database), max_connections.max(1)).await
        }
        Some(url) if url.starts_with("sqlite:") => open(url, max_connections.clamp(1, 4)).await,
        Some(url) => Err(DbError::UnsupportedUrl(url.to_owned())),
        None => {
            std::fs::create_dir_all(data_dir).map_err(|source| DbError::DataDir {
                path: data_dir.display().to_string(),
                source,
            })?;
            let file = data_dir.join(format!("{service}.db"));
            open(
                &format!("sqlite://{}?mode=rwc", file.display()),
                max_connections.clamp(1, 4),
            )
            .await
        }
    }
}

/// Opens a pool on `url`, tuned for its backend.
pub async fn open(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        // sqlx would otherwise ping the server before lending each connection: one more
        // round trip per query. A broken connection still fails its query and is
        // replaced, and idle ones are recycled by the pool's idle timeout.
        .test_before_acquire(false)
        .idle_timeout(Duration::from_secs(300));
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while one writer commits; the busy timeout makes
        // concurrent writers wait for each other instead of failing at once.
        for pragma in [
            "PRAGMA journal_mode=WAL",
            "PRAGMA busy_timeout=5000",
            "PRAGMA foreign_keys=ON",
            "PRAGMA synchronous=NORMAL",
        ] {
            db.execute_unprepared(pragma).await?;
        }
    }
    Ok(db)
}

/// Returns the URL of `database` on the server of `url`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{database}?{q}"),
        None => format!("{host_part}/{database}"),
    }
}

/// Creates `database` on the PostgreSQL server of `url` unless it exists.
pub async fn ensure_postgres_database(url: &str, database: &str) -> Result<(), DbError> {
    let admin = open(&with_database(url, "postgres"), 1).await?;
    let exists = admin
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [database.into()],
        ))
        .await?
        .is_some();
    if !exists {
        // CREATE DATABASE takes no bind parameters; the name is ours ("crm_" plus a
        // service name or a test's UUID), quoted as an identifier all the same.
        let quoted = database.replace('"', "\"\"");
        match admin
            .execute_unprepared(&format!("CREATE DATABASE \"{quoted}\""))
            .await
        {
            Ok(_) => tracing::info!(database, "created database"),
            // Two processes starting together may race to create it; losing is fine.
            Err(e) if e.to_string().contains("already exists") => {}
            Err(e) => return Err(e.into()),
        }
    }
    admin.close().await?;
    Ok(())
}

/// Begins a transaction that will write. On SQLite it takes the write lock at BEGIN
/// (`BEGIN IMMEDIATE`), so it waits its turn under the busy timeout instead of failing
/// when it first reads and then finds another writer ahead of it; on PostgreSQL it is a
/// plain transaction.
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait as _};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Applies every pending migration of `M`.
pub async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> Result<(), DbError> {
    M::up(db, None).await?;
    Ok(())
}

/// Returns the backend of a connection.
pub fn backend(db: &DatabaseConnection) -> Backend {
    match db.get_database_backend() {
        DbBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_replace_the_path() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432", "crm_clients"),
            "postgres://postgres@127.0.0.1:5432/crm_clients"
        );
        assert_eq!(
            with_database("postgres://u:p@h:5432/other?sslmode=disable", "crm_users"),
            "postgres://u:p@h:5432/crm_users?sslmode=disable"
        );
    }

    #[tokio::test]
    async fn a_sqlite_file_is_created_under_the_data_dir() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = connect_for_service("clients", None, dir.path(), 4)
            .await
            .expect("open");
        db.ping().await.expect("ping");
        assert!(dir.path().join("clients.db").exists());
        assert_eq!(backend(&db), Backend::Sqlite);
    }

    #[tokio::test]
    async fn other_schemes_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = connect_for_service("clients", Some("mysql://x"), dir.path(), 4)
            .await
            .expect_err("mysql");
        assert!(matches!(err, DbError::UnsupportedUrl(_)));
    }
}
