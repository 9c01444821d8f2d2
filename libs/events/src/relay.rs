//! The relay: publishes a service's outbox in order and marks rows sent once the broker
//! acknowledged them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{SubsecRound as _, Utc};
use futures::future::BoxFuture;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::Notify;

use crm_db::Global;

use crate::entity::{self, Column, Entity};
use crate::metrics::EventMetrics;

/// What a publisher achieved with a batch: how many events, from the first, the broker
/// acknowledged, and why it stopped short if it did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// Events acknowledged, a prefix of the batch.
    pub acked: usize,
    /// Why the rest was not, if it was not.
    pub error: Option<String>,
}

/// Where the relay sends events: JetStream, or the in-process bus.
pub trait Publisher: Send + Sync {
    /// Publishes `rows` in order: one event each (the relay expands packed rows).
    fn publish<'a>(&'a self, rows: &'a [entity::Model]) -> BoxFuture<'a, Published>;
}

/// Why the relay could not make progress.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A packed row cannot be read.
    #[error(transparent)]
    Damaged(#[from] crate::outbox::DamagedPack),
    /// The broker failed after `acked` events of the batch.
    #[error("publish failed after {acked} events: {reason}")]
    Publish {
        /// Events acknowledged before the failure (their rows marked sent when whole).
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

    /// Returns the number of events not yet acknowledged by the broker (a packed row
    /// counts for its events).
    pub async fn backlog(&self) -> Result<u64, DbErr> {
        let events: Option<i64> = Entity::find_global()
            .select_only()
            .column_as(
                Expr::expr(Func::sum(Func::coalesce([
                    Expr::col(Column::Packed),
                    Expr::val(1),
                ]))),
                "events",
            )
            .filter(Column::SentAt.is_null())
            .into_tuple()
            .one(&self.db)
            .await?
            .flatten();
        Ok(events.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    /// Publishes the oldest batch of unsent events and marks the acknowledged ones sent.
    /// Returns how many were published (0 when the outbox is drained). A batch is up to
    /// `batch` rows, cut once it holds `batch` events (a packed row counts for its
    /// events; the first row always goes).
    pub async fn publish_pending(&self) -> Result<usize, RelayError> {
        let heads: Vec<(i64, Option<i32>)> = Entity::find_global()
            .select_only()
            .column(Column::Seq)
            .column(Column::Packed)
            .filter(Column::SentAt.is_null())
            .order_by_asc(Column::Seq)
            .limit(self.batch)
            .into_tuple()
            .all(&self.db)
            .await?;
        let Some(&(first, _)) = heads.first() else {
            self.metrics.outbox_backlog.set(0);
            return Ok(0);
        };
        let mut events = 0_u64;
        let mut last = first;
        for &(seq, packed) in &heads {
            let n = packed.map_or(1, |n| u64::try_from(n).unwrap_or(1));
            if events > 0 && events + n > self.batch {
                break;
            }
            events += n;
            last = seq;
        }
        let rows = Entity::find_global()
            .filter(Column::SentAt.is_null())
            .filter(Column::Seq.between(first, last))
            .order_by_asc(Column::Seq)
            .all(&self.db)
            .await?;
        // Each row's events, and where they end in the batch.
        let mut batch = Vec::with_capacity(usize::try_from(events).unwrap_or(0));
        let mut ends: Vec<(i64, usize)> = Vec::with_capacity(rows.len());
        for row in rows {
            let seq = row.seq;
            batch.extend(crate::outbox::expand(row)?);
            ends.push((seq, batch.len()));
        }
        let outcome = self.publisher.publish(&batch).await;
        let acked = outcome.acked.min(batch.len());
        if acked > 0 {
            let now = Utc::now();
            for event in &batch[..acked] {
                let waited = (now - event.created_at)
                    .num_microseconds()
                    .unwrap_or(0)
                    .max(0);
                self.metrics.publish_latency.observe(waited as f64 / 1e6);
            }
            self.metrics.published.inc_by(acked as u64);
            // A row is sent once all its events are; a packed row acknowledged in part
            // is published again whole (each event keeps its id: the broker's
            // de-duplication and the consumers' drop the repeats).
            let seqs: Vec<i64> = ends
                .iter()
                .take_while(|(_, end)| *end <= acked)
                .map(|(seq, _)| *seq)
                .collect();
            if !seqs.is_empty() {
                Entity::update_many_global()
                    .col_expr(Column::SentAt, Expr::value(Utc::now().trunc_subsecs(6)))
                    .filter(Column::Seq.is_in(seqs))
                    .exec(&self.db)
                    .await?;
            }
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
