//! The relay: publishes a service's outbox in order and marks rows sent once the broker
//! acknowledged them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{SubsecRound as _, Utc};
use futures::future::BoxFuture;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::Notify;

use crm_db::Global;

use crate::entity::{self, Column, Entity};
use crate::metrics::EventMetrics;

/// What a publisher achieved with a batch: how many rows, from the first, the broker
/// acknowledged, and why it stopped short if it did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// Rows acknowledged, a prefix of the batch.
    pub acked: usize,
    /// Why the rest was not, if it was not.
    pub error: Option<String>,
}

/// Where the relay sends events: JetStream, or the in-process bus.
pub trait Publisher: Send + Sync {
    /// Publishes `rows` in order.
    fn publish<'a>(&'a self, rows: &'a [entity::Model]) -> BoxFuture<'a, Published>;
}

/// Why the relay could not make progress.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// The broker failed after `acked` rows of the batch.
    #[error("publish failed after {acked} events: {reason}")]
    Publish {
        /// Rows acknowledged (and marked sent) before the failure.
        acked: usize,
        /// The broker's error.
        reason: String,
    },
}

/// Publishes one service's outbox.
pub struct Relay {
    db: DatabaseConnection,
    publisher: Arc<dyn Publisher>,
    batch: u64,
    poll: Duration,
    wake: Arc<Notify>,
    metrics: EventMetrics,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// Returns a relay of the outbox in `db` to `publisher`.
    pub fn new(db: DatabaseConnection, publisher: Arc<dyn Publisher>) -> Self {
        Self {
            db,
            publisher,
            batch: 256,
            poll: Duration::from_millis(200),
            wake: Arc::new(Notify::new()),
            metrics: EventMetrics::default(),
        }
    }

    /// Returns the relay recording into `metrics` (the service's registered handles).
    pub fn with_metrics(mut self, metrics: EventMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Returns a handle that wakes the relay at once (call it after committing events),
    /// so events do not wait for the next poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Returns the number of events not yet acknowledged by the broker.
    pub async fn backlog(&self) -> Result<u64, DbErr> {
        Entity::find_global()
            .filter(Column::SentAt.is_null())
            .count(&self.db)
            .await
    }

    /// Publishes the oldest batch of unsent events and marks the acknowledged ones sent.
    /// Returns how many were published (0 when the outbox is drained).
    pub async fn publish_pending(&self) -> Result<usize, RelayError> {
        let rows = Entity::find_global()
            .filter(Column::SentAt.is_null())
            .order_by_asc(Column::Seq)
            .limit(self.batch)
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            self.metrics.outbox_backlog.set(0);
            return Ok(0);
        }
        let outcome = self.publisher.publish(&rows).await;
        let acked = outcome.acked.min(rows.len());
        if acked > 0 {
            let now = Utc::now();
            for row in &rows[..acked] {
                let waited = (now - row.created_at)
                    .num_microseconds()
                    .unwrap_or(0)
                    .max(0);
                self.metrics.publish_latency.observe(waited as f64 / 1e6);
            }
            self.metrics.published.inc_by(acked as u64);
            let seqs: Vec<i64> = rows[..acked].iter().map(|r| r.seq).collect();
            Entity::update_many_global()
                .col_expr(Column::SentAt, Expr::value(Utc::now().trunc_subsecs(6)))
                .filter(Column::Seq.is_in(seqs))
                .exec(&self.db)
                .await?;
        }
        match outcome.error {
            None => Ok(acked),
            Some(reason) => {
                if let Ok(backlog) = self.backlog().await {
                    self.metrics
                        .outbox_backlog
                        .set(i64::try_from(backlog).unwrap_or(i64::MAX));
                }
                Err(RelayError::Publish { acked, reason })
            }
        }
    }

    /// Publishes until `shutdown` resolves: drains the outbox, then waits for a wake-up
    /// or the poll interval; backs off (up to 5 s) while the broker or database fails.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut backoff = Duration::from_millis(100);
        loop {
            let pause = match self.publish_pending().await {
                Ok(n) if n > 0 => {
                    backoff = Duration::from_millis(100);
                    continue;
                }
                Ok(_) => self.poll,
                Err(error) => {
                    tracing::warn!(%error, retry_ms = backoff.as_millis() as u64, "outbox relay failed; retrying");
                    let pause = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    pause
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
