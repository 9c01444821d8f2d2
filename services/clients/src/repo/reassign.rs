//! Moving a sales agent's portfolio to another agent.

use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Repo, append_all, now, rows};
use crate::domain::Status;
use crate::domain::opportunity::Stage;
use crate::entity::client::{Column, Entity};
use crate::entity::opportunity;
use crate::error::Error;
use crate::events::{self, Actor};

/// Rows changed per statement.
const CHUNK: usize = 500;

impl Repo {
    /// Moves every live client of `from` to `to`, with their open opportunities that
    /// `from` holds, in one transaction; each moved client publishes client.updated.
    /// Archived clients stay with `from`, as history. Returns how many clients and
    /// opportunities moved.
    pub async fn reassign(
        &self,
        tenant: Tenant,
        from: Uuid,
        to: Uuid,
        actor: &Actor,
    ) -> Result<(u64, u64), Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        // Locked, so the versions the events carry are the versions written.
        let moving: Vec<_> = Entity::find_in(tenant)
            .filter(Column::CommercialId.eq(from))
            .filter(Column::Status.ne(Status::Archived.as_str()))
            .order_by_asc(Column::Id)
            .lock_exclusive()
            .all(&txn)
            .await?
            .into_iter()
            .map(rows::client_of)
            .collect();
        if moving.is_empty() {
            return Ok((0, 0));
        }
        let now = now();
        let paths = ["commercial_id".to_owned()];
        let open = Stage::OPEN.map(Stage::as_str);
        let mut moved_opportunities = 0;
        for chunk in moving.chunks(CHUNK) {
            let ids: Vec<Uuid> = chunk.iter().map(|c| c.id).collect();
            Entity::update_many_in(tenant)
                .col_expr(Column::CommercialId, Expr::value(to))
                .col_expr(Column::Version, Expr::col(Column::Version).add(1))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Id.is_in(ids.iter().copied()))
                .exec(&txn)
                .await?;
            let changes = chunk.iter().map(|before| {
                let mut after = before.clone();
                after.data.commercial_id = Some(to);
                after.version = before.version + 1;
                after.updated_at = now;
                events::updated(before, &after, &paths, actor)
            });
            append_all(&txn, changes.collect()).await?;
            moved_opportunities += opportunity::Entity::update_many_in(tenant)
                .col_expr(opportunity::Column::CommercialId, Expr::value(to))
                .col_expr(
                    opportunity::Column::Version,
                    Expr::col(opportunity::Column::Version).add(1),
                )
                .col_expr(opportunity::Column::UpdatedAt, Expr::value(now))
                .filter(opportunity::Column::ClientId.is_in(ids))
                .filter(opportunity::Column::CommercialId.eq(from))
                .filter(opportunity::Column::Stage.is_in(open))
                .exec(&txn)
                .await?
                .rows_affected;
        }
        txn.commit().await?;
        self.relay.notify_one();
        Ok((moving.len() as u64, moved_opportunities))
    }
}
