//! The migrations: applied, rolled back and applied again on each backend.

use crm_organisations::Migrator;
use sea_orm::ConnectionTrait as _;
use sea_orm_migration::MigratorTrait as _;

/// `down()` drops every table `up()` made, so the schema can be rolled back and
/// re-created.
#[tokio::test]
async fn migrations_roll_back_and_forward() {
    for db in crm_testkit::each_backend().await.expect("databases") {
        let conn = &db.db;
        Migrator::up(conn, None).await.expect("up");
        for table in ["organisations", "memberships", "invitations"] {
            conn.execute_unprepared(&format!("SELECT COUNT(*) FROM {table}"))
                .await
                .expect("table exists");
        }
        Migrator::down(conn, None).await.expect("down");
        for table in ["organisations", "memberships", "invitations"] {
            assert!(
                conn.execute_unprepared(&format!("SELECT COUNT(*) FROM {table}"))
                    .await
                    .is_err(),
                "{table} survived down()"
            );
        }
        Migrator::up(conn, None).await.expect("up again");
    }
}
