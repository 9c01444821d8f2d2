//! Test databases: a fresh SQLite file per test, and a fresh PostgreSQL database per test
//! when `CRM_TEST_DATABASE_URL` names a server.

use std::path::PathBuf;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::connect::{Backend, DbError, ensure_postgres_database, open, with_database};

/// Environment variable naming the PostgreSQL server tests use.
pub const TEST_DATABASE_URL: &str = "CRM_TEST_DATABASE_URL";

/// The backends a test should run against: SQLite always, PostgreSQL when
/// `CRM_TEST_DATABASE_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if postgres_url().is_some() {
        backends.push(Backend::Postgres);
    }
    backends
}

/// Returns the PostgreSQL server URL for tests, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// The connection.
    pub db: DatabaseConnection,
    /// The backend.
    pub backend: Backend,
    // Keeps the SQLite file's directory alive for the test's duration.
    _dir: Option<tempfile_dir::Dir>,
}

/// Returns a new, empty database on `backend`. With PostgreSQL the server must answer: a
/// missing server is a failure, never a skip.
pub async fn fresh(backend: Backend) -> Result<TestDatabase, DbError> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile_dir::Dir::new()?;
            let file: PathBuf = dir.path().join("test.db");
            let db = open(&format!("sqlite://{}?mode=rwc", file.display()), 4).await?;
            Ok(TestDatabase {
                db,
                backend,
                _dir: Some(dir),
            })
        }
        Backend::Postgres => {
            let url = postgres_url().ok_or_else(|| {
                DbError::UnsupportedUrl(format!("{TEST_DATABASE_URL} is not set"))
            })?;
            let name = format!("test_{}", Uuid::new_v4().simple());
            ensure_postgres_database(&url, &name).await?;
            let db = open(&with_database(&url, &name), 8).await?;
            Ok(TestDatabase {
                db,
                backend,
                _dir: None,
            })
        }
    }
}

mod tempfile_dir {
    //! A temporary directory removed on drop, without pulling a test-only crate into
    //! every service's normal build.
    use std::path::{Path, PathBuf};

    use crate::connect::DbError;

    #[derive(Debug)]
    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Result<Self, DbError> {
            let path =
                std::env::temp_dir().join(format!("crm-test-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&path).map_err(|source| DbError::DataDir {
                path: path.display().to_string(),
                source,
            })?;
            Ok(Self(path))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
