//! Creates the `products` and `product_prices` tables and their indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    OrganisationId,
    Code,
    CodeKey,
    Name,
    Description,
    Category,
    CategoryKey,
    Kind,
    BillingFrequency,
    VatCategory,
    Status,
    CurrencyCode,
    SearchText,
    RequestId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ProductPrices {
    Table,
    Id,
    OrganisationId,
    ProductId,
    AmountMinor,
    CurrencyCode,
    ValidFrom,
    ValidTo,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Products::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Products::OrganisationId).uuid().not_null())
                    .col(ColumnDef::new(Products::Code).string_len(64).not_null())
                    .col(ColumnDef::new(Products::CodeKey).string_len(64).not_null())
                    .col(ColumnDef::new(Products::Name).string().not_null())
                    .col(ColumnDef::new(Products::Description).text().not_null())
                    .col(ColumnDef::new(Products::Category).string().not_null())
                    .col(ColumnDef::new(Products::CategoryKey).string().not_null())
                    .col(ColumnDef::new(Products::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Products::BillingFrequency).string_len(16))
                    .col(
                        ColumnDef::new(Products::VatCategory)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Products::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Products::CurrencyCode)
                            .string_len(3)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Products::SearchText).text().not_null())
                    .col(ColumnDef::new(Products::RequestId).uuid())
                    .col(
                        ColumnDef::new(Products::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Products::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Products::Version).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        // Keyset pages walk an organisation's products by id, newest first.
        manager
            .create_index(
                Index::create()
                    .name("products_org_id")
                    .table(Products::Table)
                    .col(Products::OrganisationId)
                    .col(Products::Id)
                    .to_owned(),
            )
            .await?;
        // The code is unique per organisation without regard to case, archived products
        // included: contract lines and invoices keep naming them.
        manager
            .create_index(
                Index::create()
                    .name("products_org_code")
                    .table(Products::Table)
                    .col(Products::OrganisationId)
                    .col(Products::CodeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductPrices::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(ProductPrices::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ProductPrices::OrganisationId)
                            .uuid()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ProductPrices::ProductId).uuid().not_null())
                    .col(
                        ColumnDef::new(ProductPrices::AmountMinor)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProductPrices::CurrencyCode)
                            .string_len(3)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ProductPrices::ValidFrom).date().not_null())
                    .col(ColumnDef::new(ProductPrices::ValidTo).date())
                    .col(
                        ColumnDef::new(ProductPrices::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // A period ends after it starts; prices are never negative.
                    .check(Expr::col(ProductPrices::ValidTo).is_null().or(
                        Expr::col(ProductPrices::ValidTo).gt(Expr::col(ProductPrices::ValidFrom)),
                    ))
                    .check(Expr::col(ProductPrices::AmountMinor).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("product_prices_product")
                            .from(ProductPrices::Table, ProductPrices::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Two periods of a product never start on the same day; history pages and
        // GetPriceAt walk this index.
        manager
            .create_index(
                Index::create()
                    .name("product_prices_org_product_from")
                    .table(ProductPrices::Table)
                    .col(ProductPrices::OrganisationId)
                    .col(ProductPrices::ProductId)
                    .col(ProductPrices::ValidFrom)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Partial unique indexes: the same SQL on PostgreSQL and SQLite. At most one
        // open-ended period per product, the last line of defence against overlaps.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX product_prices_one_open ON product_prices \
             (organisation_id, product_id) WHERE valid_to IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX products_org_request ON products (organisation_id, request_id) \
             WHERE request_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProductPrices::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}
