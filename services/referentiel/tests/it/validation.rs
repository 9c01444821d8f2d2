//! Bad input: INVALID_ARGUMENT naming every wrong field at once, and nothing written.

use crm_proto::referentiel::v1 as pb;
use tonic::Code;

use crate::support::{Member, date, envs, value, violation_fields};

/// Every wrong field of an upsert is named in one answer, and the list stays untouched.
#[tokio::test]
async fn upsert_reports_every_violation() {
    for env in envs().await {
        let admin = Member::admin();
        let bad = pb::Value {
            code: "-web".into(),
            label: "   ".into(),
            position: -1,
            version: -2,
            ..Default::default()
        };
        let err = env
            .client()
            .upsert_value(env.req(
                admin,
                pb::UpsertValueRequest {
                    list_key: "Lead-Sources".into(),
                    value: Some(bad),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec![
                            "label".into(),
                            "position".into(),
                            "active".into(),
                            "code".into(),
                        ],
                    }),
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            [
                "list_key",
                "value.code",
                "value.label",
                "value.position",
                "update_mask.paths[3]",
                "value.version"
            ]
        );
        let long = pb::Value {
            position: 1_000_001,
            ..value("web", &"x".repeat(201))
        };
        let err = env
            .upsert(admin, "lead_sources", long, &[])
            .await
            .expect_err("bounds");
        assert_eq!(violation_fields(&err), ["value.label", "value.position"]);
        let err = env
            .client()
            .upsert_value(env.req(
                admin,
                pb::UpsertValueRequest {
                    list_key: String::new(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("no value");
        assert_eq!(violation_fields(&err), ["list_key", "value"]);
        let err = env.delete(admin, "A", "").await.expect_err("delete");
        assert_eq!(violation_fields(&err), ["list_key", "code"]);

        let list = env.values(admin, "lead_sources").await.expect("list");
        assert!(list.values.is_empty(), "nothing was written");
        assert_eq!(list.version, "0");
    }
}

/// Reads check their codes, enums, dates, page sizes and tokens, all at once; a
/// malformed code is INVALID_ARGUMENT, never NOT_FOUND.
#[tokio::test]
async fn reads_validate_their_input() {
    for env in envs().await {
        let who = Member::admin();
        let mut c = env.client();
        let err = c
            .get_vat_rate(env.req(
                who,
                pb::GetVatRateRequest {
                    country_code: "fr".into(),
                    category: 0,
                    date: Some(date(2026, 2, 30)),
                },
            ))
            .await
            .expect_err("vat");
        assert_eq!(violation_fields(&err), ["country_code", "category", "date"]);
        let err = c
            .get_vat_rate(env.req(
                who,
                pb::GetVatRateRequest {
                    country_code: "FR".into(),
                    category: 42,
                    date: None,
                },
            ))
            .await
            .expect_err("vat");
        assert_eq!(violation_fields(&err), ["category", "date"]);
        let err = c
            .list_vat_rates(env.req(
                who,
                pb::ListVatRatesRequest {
                    page_size: -5,
                    page_token: "nope".into(),
                    country_code: "ZZ".into(),
                    category: 99,
                    date: Some(date(2026, 13, 1)),
                },
            ))
            .await
            .expect_err("vat list");
        assert_eq!(
            violation_fields(&err),
            [
                "country_code",
                "category",
                "date",
                "page_size",
                "page_token"
            ]
        );
        let err = c
            .get_country(env.req(
                who,
                pb::GetCountryRequest {
                    country_code: "FRA".into(),
                },
            ))
            .await
            .expect_err("country");
        assert_eq!(violation_fields(&err), ["country_code"]);
        let err = c
            .list_countries(env.req(
                who,
                pb::ListCountriesRequest {
                    page_size: -1,
                    page_token: "garbage".into(),
                    sepa_only: false,
                },
            ))
            .await
            .expect_err("countries");
        assert_eq!(violation_fields(&err), ["page_size", "page_token"]);
        for code in ["am04", "AM0", ""] {
            let err = c
                .get_reason_code(env.req(who, pb::GetReasonCodeRequest { code: code.into() }))
                .await
                .expect_err("reason");
            assert_eq!(violation_fields(&err), ["code"], "{code:?}");
        }
        let err = c
            .list_reason_codes(env.req(
                who,
                pb::ListReasonCodesRequest {
                    reason_class: 7,
                    ..Default::default()
                },
            ))
            .await
            .expect_err("class");
        assert_eq!(violation_fields(&err), ["reason_class"]);
        let err = c
            .get_legal_interest_rate(env.req(
                who,
                pb::GetLegalInterestRateRequest {
                    country_code: "XX".into(),
                    date: None,
                },
            ))
            .await
            .expect_err("legal");
        assert_eq!(violation_fields(&err), ["country_code", "date"]);
        let err = c
            .get_ecb_rate(env.req(who, pb::GetEcbRateRequest { date: None }))
            .await
            .expect_err("ecb");
        assert_eq!(violation_fields(&err), ["date"]);
        let err = c
            .list_legal_forms(env.req(
                who,
                pb::ListLegalFormsRequest {
                    country_code: "france".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("forms");
        assert_eq!(violation_fields(&err), ["country_code"]);
        let err = c
            .list_civilities(env.req(
                who,
                pb::ListCivilitiesRequest {
                    page_size: -1,
                    page_token: String::new(),
                },
            ))
            .await
            .expect_err("civilities");
        assert_eq!(violation_fields(&err), ["page_size"]);
        let err = c
            .list_currencies(env.req(
                who,
                pb::ListCurrenciesRequest {
                    page_size: 0,
                    page_token: "x".into(),
                },
            ))
            .await
            .expect_err("currencies");
        assert_eq!(violation_fields(&err), ["page_token"]);
        let err = c
            .list_values(env.req(
                who,
                pb::ListValuesRequest {
                    list_key: String::new(),
                    page_size: -1,
                    page_token: "x".into(),
                    active_only: false,
                },
            ))
            .await
            .expect_err("values");
        assert_eq!(
            violation_fields(&err),
            ["list_key", "page_size", "page_token"]
        );
    }
}
