//! The seeded global data sets: present and correct on every backend, paged by key, and
//! versioned by their content.

use std::collections::BTreeSet;

use crm_proto::referentiel::v1 as pb;
use tonic::Code;

use crate::support::{Env, Member, envs};

async fn all_countries(env: &Env, sepa_only: bool) -> pb::ListCountriesResponse {
    env.client()
        .list_countries(env.req(
            Member::admin(),
            pb::ListCountriesRequest {
                sepa_only,
                ..Default::default()
            },
        ))
        .await
        .expect("countries")
        .into_inner()
}

/// SEPA membership and IBAN lengths are those of domain-rules §0.3 (the crm-shared
/// table): FR is SEPA with 27, non-SEPA countries are there too, and the EU has 27
/// members.
#[tokio::test]
async fn countries_carry_sepa_scope_and_iban_lengths() {
    for env in envs().await {
        let all = all_countries(&env, false).await;
        assert!(
            all.next_page_token.is_empty(),
            "one default page holds them all"
        );
        let by_code = |code: &str| {
            all.countries
                .iter()
                .find(|c| c.code == code)
                .unwrap_or_else(|| panic!("{code} missing"))
                .clone()
        };
        let fr = by_code("FR");
        assert!(fr.sepa && fr.eu_member);
        assert_eq!((fr.iban_length, fr.name_fr.as_str()), (27, "France"));
        let mc = by_code("MC");
        assert!(mc.sepa && !mc.eu_member);
        assert_eq!(mc.iban_length, 27);
        for code in ["US", "CN", "JP"] {
            let c = by_code(code);
            assert!(!c.sepa && !c.eu_member, "{code}");
            assert_eq!(c.iban_length, 0, "{code} has no IBAN");
        }
        assert_eq!(by_code("TR").iban_length, 26);
        let sepa: Vec<(String, usize)> = all
            .countries
            .iter()
            .filter(|c| c.sepa)
            .map(|c| (c.code.clone(), c.iban_length as usize))
            .collect();
        let registry: Vec<(String, usize)> = crm_shared::validate::sepa_iban_countries()
            .iter()
            .map(|(c, l)| ((*c).to_owned(), *l))
            .collect();
        assert_eq!(sepa, registry, "the SEPA set matches domain-rules §0.3");
        assert_eq!(all.countries.iter().filter(|c| c.eu_member).count(), 27);
        let codes: Vec<&str> = all.countries.iter().map(|c| c.code.as_str()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted, "in code order");

        let sepa_only = all_countries(&env, true).await;
        assert_eq!(sepa_only.countries.len(), registry.len());
        assert_eq!(
            sepa_only.version, all.version,
            "the version is the data set's"
        );

        let got = env
            .client()
            .get_country(env.req(
                Member::admin(),
                pb::GetCountryRequest {
                    country_code: "FR".into(),
                },
            ))
            .await
            .expect("get")
            .into_inner();
        assert_eq!(got.country, Some(fr));
        assert_eq!(got.version, all.version);
        let err = env
            .client()
            .get_country(env.req(
                Member::admin(),
                pb::GetCountryRequest {
                    country_code: "KR".into(),
                },
            ))
            .await
            .expect_err("not in the set");
        assert_eq!(err.code(), Code::NotFound);
    }
}

/// The currencies the brief names are there with their ISO 4217 minor units, and agree
/// with crm-shared's money table.
#[tokio::test]
async fn currencies_carry_their_minor_units() {
    for env in envs().await {
        let list = env
            .client()
            .list_currencies(env.req(Member::admin(), pb::ListCurrenciesRequest::default()))
            .await
            .expect("currencies")
            .into_inner();
        let find = |code: &str| list.currencies.iter().find(|c| c.code == code).cloned();
        for code in [
            "EUR", "GBP", "CHF", "USD", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "RON",
            "BGN",
        ] {
            assert!(find(code).is_some(), "{code} missing");
        }
        let eur = find("EUR").expect("EUR");
        assert_eq!((eur.minor_units, eur.numeric_code.as_str()), (2, "978"));
        assert_eq!(find("JPY").map(|c| c.minor_units), Some(0));
        assert_eq!(find("KWD").map(|c| c.minor_units), Some(3));
        for shared in crm_shared::Currency::all() {
            let ours = find(shared.code()).unwrap_or_else(|| panic!("{shared} missing"));
            assert_eq!(ours.minor_units, i32::from(shared.exponent()), "{shared}");
        }
        assert!(!list.version.is_empty());
    }
}

/// Reason codes are exactly domain-rules §6.1: AM04 soft and retryable, MS03 soft and
/// retried once for five countries, MD01 hard, not retryable, failing the mandate.
#[tokio::test]
async fn reason_codes_follow_domain_rules() {
    for env in envs().await {
        let list = |class: pb::ReasonClass, retryable_only: bool| {
            let env = &env;
            async move {
                env.client()
                    .list_reason_codes(env.req(
                        Member::admin(),
                        pb::ListReasonCodesRequest {
                            reason_class: class as i32,
                            retryable_only,
                            ..Default::default()
                        },
                    ))
                    .await
                    .expect("reason codes")
                    .into_inner()
            }
        };
        let all = list(pb::ReasonClass::Unspecified, false).await;
        let codes: Vec<&str> = all.reason_codes.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "AC01", "AC04", "AC06", "AG01", "AG02", "AM04", "AM05", "BE05", "FF01", "FF05",
                "FRAD", "MD01", "MD02", "MD06", "MD07", "MS02", "MS03", "RC01", "RR01", "RR02",
                "RR03", "RR04", "SL01"
            ]
        );
        let get = |code: &str| {
            all.reason_codes
                .iter()
                .find(|r| r.code == code)
                .cloned()
                .unwrap_or_else(|| panic!("{code}"))
        };
        let am04 = get("AM04");
        assert_eq!(am04.reason_class, pb::ReasonClass::Soft as i32);
        assert!(am04.retryable && !am04.fails_mandate);
        assert_eq!((am04.retry_limit, am04.retry_countries.len()), (0, 0));
        assert_eq!(am04.meaning, "Insufficient funds");
        let ms03 = get("MS03");
        assert_eq!(ms03.reason_class, pb::ReasonClass::Soft as i32);
        assert!(ms03.retryable);
        assert_eq!(ms03.retry_limit, 1);
        assert_eq!(ms03.retry_countries, ["AT", "BE", "DE", "LU", "SK"]);
        let md01 = get("MD01");
        assert_eq!(md01.reason_class, pb::ReasonClass::Hard as i32);
        assert!(!md01.retryable && md01.fails_mandate);
        assert_eq!(get("MD06").reason_class, pb::ReasonClass::Dispute as i32);
        assert_eq!(get("AG02").reason_class, pb::ReasonClass::Technical as i32);
        let failing: BTreeSet<&str> = all
            .reason_codes
            .iter()
            .filter(|r| r.fails_mandate)
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(
            failing,
            BTreeSet::from(["AC01", "AC04", "AC06", "AG01", "MD01", "MD07"])
        );

        let retryable = list(pb::ReasonClass::Unspecified, true).await;
        let codes: Vec<&str> = retryable
            .reason_codes
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(codes, ["AM04", "MS03"], "only AM04 and MS03 are retried");
        let technical = list(pb::ReasonClass::Technical, false).await;
        assert_eq!(technical.reason_codes.len(), 10);
        assert_eq!(technical.version, all.version);

        let one = env
            .client()
            .get_reason_code(env.req(
                Member::admin(),
                pb::GetReasonCodeRequest {
                    code: "MD01".into(),
                },
            ))
            .await
            .expect("get")
            .into_inner();
        assert_eq!(one.reason_code, Some(md01));
        assert_eq!(one.version, all.version);
        let err = env
            .client()
            .get_reason_code(env.req(
                Member::admin(),
                pb::GetReasonCodeRequest {
                    code: "ZZ99".into(),
                },
            ))
            .await
            .expect_err("unknown");
        assert_eq!(err.code(), Code::NotFound);
    }
}

/// Civilities match the clients' enum; French legal forms carry their INSEE codes.
#[tokio::test]
async fn civilities_and_legal_forms() {
    for env in envs().await {
        let civilities = env
            .client()
            .list_civilities(env.req(Member::admin(), pb::ListCivilitiesRequest::default()))
            .await
            .expect("civilities")
            .into_inner();
        let codes: Vec<&str> = civilities
            .civilities
            .iter()
            .map(|c| c.code.as_str())
            .collect();
        assert_eq!(codes, ["MR", "MRS", "MX"]);
        assert_eq!(civilities.civilities[1].abbreviation, "Mme");

        let list = |country: &str| {
            let env = &env;
            let country = country.to_owned();
            async move {
                env.client()
                    .list_legal_forms(env.req(
                        Member::admin(),
                        pb::ListLegalFormsRequest {
                            country_code: country,
                            ..Default::default()
                        },
                    ))
                    .await
                    .expect("legal forms")
                    .into_inner()
            }
        };
        let fr = list("FR").await;
        for code in [
            "SA", "SAS", "SASU", "SARL", "EURL", "SCI", "EI", "MICRO", "ASSO",
        ] {
            assert!(fr.legal_forms.iter().any(|f| f.code == code), "{code}");
        }
        let sas = fr
            .legal_forms
            .iter()
            .find(|f| f.code == "SAS")
            .expect("SAS");
        assert_eq!((sas.insee_code.as_str(), sas.legal_person), ("5710", true));
        let ei = fr.legal_forms.iter().find(|f| f.code == "EI").expect("EI");
        assert!(!ei.legal_person);
        let de = list("DE").await;
        assert!(de.legal_forms.is_empty());
        assert_eq!(de.version, fr.version);
    }
}

/// Returns the version of every global data set.
async fn versions(env: &Env) -> Vec<String> {
    let who = Member::admin();
    let mut c = env.client();
    vec![
        all_countries(env, false).await.version,
        c.list_currencies(env.req(who, pb::ListCurrenciesRequest::default()))
            .await
            .expect("currencies")
            .into_inner()
            .version,
        c.list_vat_rates(env.req(who, pb::ListVatRatesRequest::default()))
            .await
            .expect("vat")
            .into_inner()
            .version,
        c.list_reason_codes(env.req(who, pb::ListReasonCodesRequest::default()))
            .await
            .expect("reasons")
            .into_inner()
            .version,
        c.list_civilities(env.req(who, pb::ListCivilitiesRequest::default()))
            .await
            .expect("civilities")
            .into_inner()
            .version,
        c.list_legal_forms(env.req(who, pb::ListLegalFormsRequest::default()))
            .await
            .expect("forms")
            .into_inner()
            .version,
    ]
}

/// A data set's version depends on its content only: it is the same on every backend
/// and from one call to the next, and differs between data sets.
#[tokio::test]
async fn global_versions_are_content_fingerprints() {
    let mut seen: Vec<Vec<String>> = Vec::new();
    for env in envs().await {
        let first = versions(&env).await;
        assert_eq!(first, versions(&env).await, "stable across calls");
        let distinct: BTreeSet<&String> = first.iter().collect();
        assert_eq!(distinct.len(), first.len(), "{first:?}");
        assert!(first.iter().all(|v| v.len() == 16), "{first:?}");
        seen.push(first);
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "same on every backend: {seen:?}"
    );
}

/// Global lists page by key: small pages walk every country once, in order.
#[tokio::test]
async fn global_lists_page_by_key() {
    for env in envs().await {
        let all = all_countries(&env, false).await.countries;
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = env
                .client()
                .list_countries(env.req(
                    Member::admin(),
                    pb::ListCountriesRequest {
                        page_size: 10,
                        page_token: token.clone(),
                        sepa_only: false,
                    },
                ))
                .await
                .expect("page")
                .into_inner();
            assert!(page.countries.len() <= 10);
            seen.extend(page.countries);
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, all);
        let first = env
            .client()
            .list_countries(env.req(
                Member::admin(),
                pb::ListCountriesRequest {
                    page_size: 5,
                    ..Default::default()
                },
            ))
            .await
            .expect("page")
            .into_inner();
        let err = env
            .client()
            .list_countries(env.req(
                Member::admin(),
                pb::ListCountriesRequest {
                    page_size: 5,
                    page_token: first.next_page_token,
                    sepa_only: true,
                },
            ))
            .await
            .expect_err("filters changed");
        assert_eq!(err.code(), Code::InvalidArgument);
    }
}
