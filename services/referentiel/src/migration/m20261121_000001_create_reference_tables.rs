//! Creates the tables of the global data sets. Their rows are facts written by seed
//! migrations only; the service never writes them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Countries {
    Table,
    Code,
    Name,
    NameFr,
    Sepa,
    EuMember,
    IbanLength,
}

#[derive(DeriveIden)]
enum Currencies {
    Table,
    Code,
    NumericCode,
    Name,
    MinorUnits,
}

#[derive(DeriveIden)]
enum VatRates {
    Table,
    CountryCode,
    Category,
    ValidFrom,
    ValidTo,
    RateBps,
    Description,
}

#[derive(DeriveIden)]
enum ReasonCodes {
    Table,
    Code,
    Meaning,
    Class,
    Action,
    Retryable,
    RetryLimit,
    RetryCountries,
    FailsMandate,
}

#[derive(DeriveIden)]
enum LegalInterestRates {
    Table,
    CountryCode,
    ValidFrom,
    ValidTo,
    IndividualBps,
    OtherBps,
}

#[derive(DeriveIden)]
enum EcbRates {
    Table,
    ValidFrom,
    RateBps,
}

#[derive(DeriveIden)]
enum Civilities {
    Table,
    Code,
    Label,
    Abbreviation,
    Position,
}

#[derive(DeriveIden)]
enum LegalForms {
    Table,
    CountryCode,
    Code,
    Name,
    InseeCode,
    LegalPerson,
}

fn text<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column).string().not_null().to_owned()
}

fn int<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column).integer().not_null().to_owned()
}

fn flag<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column).boolean().not_null().to_owned()
}

fn date<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column).date().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(Countries::Table)
                .col(text(Countries::Code).string_len(2).primary_key())
                .col(text(Countries::Name))
                .col(text(Countries::NameFr))
                .col(flag(Countries::Sepa))
                .col(flag(Countries::EuMember))
                .col(ColumnDef::new(Countries::IbanLength).integer())
                .to_owned(),
            Table::create()
                .table(Currencies::Table)
                .col(text(Currencies::Code).string_len(3).primary_key())
                .col(text(Currencies::NumericCode).string_len(3))
                .col(text(Currencies::Name))
                .col(int(Currencies::MinorUnits))
                .to_owned(),
            Table::create()
                .table(VatRates::Table)
                .col(text(VatRates::CountryCode).string_len(2))
                .col(text(VatRates::Category).string_len(32))
                .col(date(VatRates::ValidFrom))
                .col(ColumnDef::new(VatRates::ValidTo).date())
                .col(int(VatRates::RateBps))
                .col(text(VatRates::Description))
                .primary_key(
                    Index::create()
                        .col(VatRates::CountryCode)
                        .col(VatRates::Category)
                        .col(VatRates::ValidFrom),
                )
                .to_owned(),
            Table::create()
                .table(ReasonCodes::Table)
                .col(text(ReasonCodes::Code).string_len(8).primary_key())
                .col(text(ReasonCodes::Meaning))
                .col(text(ReasonCodes::Class).string_len(16))
                .col(text(ReasonCodes::Action))
                .col(flag(ReasonCodes::Retryable))
                .col(int(ReasonCodes::RetryLimit))
                .col(text(ReasonCodes::RetryCountries))
                .col(flag(ReasonCodes::FailsMandate))
                .to_owned(),
            Table::create()
                .table(LegalInterestRates::Table)
                .col(text(LegalInterestRates::CountryCode).string_len(2))
                .col(date(LegalInterestRates::ValidFrom))
                .col(date(LegalInterestRates::ValidTo))
                .col(int(LegalInterestRates::IndividualBps))
                .col(int(LegalInterestRates::OtherBps))
                .primary_key(
                    Index::create()
                        .col(LegalInterestRates::CountryCode)
                        .col(LegalInterestRates::ValidFrom),
                )
                .to_owned(),
            Table::create()
                .table(EcbRates::Table)
                .col(date(EcbRates::ValidFrom).primary_key())
                .col(int(EcbRates::RateBps))
                .to_owned(),
            Table::create()
                .table(Civilities::Table)
                .col(text(Civilities::Code).string_len(8).primary_key())
                .col(text(Civilities::Label))
                .col(text(Civilities::Abbreviation))
                .col(int(Civilities::Position))
                .to_owned(),
            Table::create()
                .table(LegalForms::Table)
                .col(text(LegalForms::CountryCode).string_len(2))
                .col(text(LegalForms::Code).string_len(16))
                .col(text(LegalForms::Name))
                .col(text(LegalForms::InseeCode))
                .col(flag(LegalForms::LegalPerson))
                .primary_key(
                    Index::create()
                        .col(LegalForms::CountryCode)
                        .col(LegalForms::Code),
                )
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Countries::Table.into_iden(),
            Currencies::Table.into_iden(),
            VatRates::Table.into_iden(),
            ReasonCodes::Table.into_iden(),
            LegalInterestRates::Table.into_iden(),
            EcbRates::Table.into_iden(),
            Civilities::Table.into_iden(),
            LegalForms::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
