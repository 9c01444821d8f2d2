//! Dated rates: VAT by date with its boundaries, legal interest by half-year, the ECB
//! rate with the late-penalty reference of its half-year.

use crm_proto::referentiel::v1 as pb;
use tonic::Code;

use crate::support::{Env, Member, date, envs};

fn bps(p: &Option<pb::Percentage>) -> Option<(i32, String)> {
    p.as_ref().map(|p| (p.basis_points, p.percent.clone()))
}

fn pct(basis_points: i32, percent: &str) -> Option<(i32, String)> {
    Some((basis_points, percent.to_owned()))
}

async fn rate_on(
    env: &Env,
    category: pb::VatCategory,
    day: (i32, i32, i32),
) -> Result<pb::VatRate, Code> {
    env.vat("FR", category, date(day.0, day.1, day.2))
        .await
        .map(|r| r.vat_rate.expect("rate"))
        .map_err(|s| s.code())
}

/// A VAT period includes its first day and excludes its valid_to: 19.6 % up to
/// 31 December 2013, 20 % from 1 January 2014; the intermediate rate starts in 2012.
#[tokio::test]
async fn vat_rates_by_date_and_boundaries() {
    use pb::VatCategory::*;
    for env in envs().await {
        let before = rate_on(&env, Standard, (2013, 12, 31)).await.expect("2013");
        assert_eq!(bps(&before.rate), pct(1960, "19.6"));
        assert_eq!(before.valid_from, Some(date(2000, 4, 1)));
        assert_eq!(before.valid_to, Some(date(2014, 1, 1)));
        let after = rate_on(&env, Standard, (2014, 1, 1)).await.expect("2014");
        assert_eq!(bps(&after.rate), pct(2000, "20"));
        assert_eq!(
            (after.valid_to, after.category_key.as_str()),
            (None, "standard")
        );
        assert_eq!(after.category, Standard as i32);

        assert_eq!(
            rate_on(&env, Intermediate, (2011, 12, 31)).await.err(),
            Some(Code::NotFound)
        );
        let seven = rate_on(&env, Intermediate, (2012, 1, 1))
            .await
            .expect("2012");
        assert_eq!(bps(&seven.rate), pct(700, "7"));
        let ten = rate_on(&env, Intermediate, (2014, 1, 1))
            .await
            .expect("2014");
        assert_eq!(bps(&ten.rate), pct(1000, "10"));
        let today = (2026, 11, 21);
        assert_eq!(
            bps(&rate_on(&env, Reduced, today).await.expect("r").rate),
            pct(550, "5.5")
        );
        assert_eq!(
            bps(&rate_on(&env, SuperReduced, today).await.expect("sr").rate),
            pct(210, "2.1")
        );
        let exempt = rate_on(&env, Exempt, today).await.expect("exempt");
        assert_eq!(bps(&exempt.rate), pct(0, "0"));
        assert!(exempt.description.contains("261 C"));
        assert_eq!(
            rate_on(&env, Standard, (2000, 3, 31)).await.err(),
            Some(Code::NotFound)
        );
        let err = env
            .vat("DE", Standard, date(2026, 1, 1))
            .await
            .expect_err("no DE rates");
        assert_eq!(err.code(), Code::NotFound);
    }
}

/// ListVatRates filters by country, category and date, in key order, and pages.
#[tokio::test]
async fn vat_rates_list_and_filter() {
    for env in envs().await {
        let list = |req: pb::ListVatRatesRequest| {
            let env = &env;
            async move {
                env.client()
                    .list_vat_rates(env.req(Member::admin(), req))
                    .await
                    .expect("list")
                    .into_inner()
            }
        };
        let all = list(pb::ListVatRatesRequest {
            country_code: "FR".into(),
            ..Default::default()
        })
        .await;
        assert_eq!(all.vat_rates.len(), 7);
        let now = list(pb::ListVatRatesRequest {
            date: Some(date(2026, 1, 1)),
            ..Default::default()
        })
        .await;
        let keys: Vec<(&str, i32)> = now
            .vat_rates
            .iter()
            .map(|r| {
                (
                    r.category_key.as_str(),
                    r.rate.as_ref().map_or(-1, |p| p.basis_points),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("exempt", 0),
                ("intermediate", 1000),
                ("reduced", 550),
                ("standard", 2000),
                ("super_reduced", 210)
            ]
        );
        let standard = list(pb::ListVatRatesRequest {
            category: pb::VatCategory::Standard as i32,
            ..Default::default()
        })
        .await;
        assert_eq!(standard.vat_rates.len(), 2);
        assert_eq!(standard.version, all.version);
        let first = list(pb::ListVatRatesRequest {
            page_size: 4,
            ..Default::default()
        })
        .await;
        assert_eq!(first.vat_rates.len(), 4);
        let second = list(pb::ListVatRatesRequest {
            page_size: 4,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await;
        assert_eq!(second.vat_rates.len(), 3);
        assert!(second.next_page_token.is_empty());
        let mut walked = first.vat_rates;
        walked.extend(second.vat_rates);
        assert_eq!(walked, all.vat_rates);
    }
}

async fn legal(
    env: &Env,
    country: &str,
    day: (i32, i32, i32),
) -> Result<pb::LegalInterestRate, Code> {
    env.client()
        .get_legal_interest_rate(env.req(
            Member::admin(),
            pb::GetLegalInterestRateRequest {
                country_code: country.into(),
                date: Some(date(day.0, day.1, day.2)),
            },
        ))
        .await
        .map(|r| r.into_inner().legal_interest_rate.expect("rate"))
        .map_err(|s| s.code())
}

/// H1 2026 is 6.67 % / 2.62 % (domain-rules §5.6), its minimum contractual penalty
/// three times 2.62 %; half-years switch on 1 January and 1 July; a half-year not in
/// the data set is NOT_FOUND.
#[tokio::test]
async fn legal_interest_by_half_year() {
    for env in envs().await {
        let h1 = legal(&env, "", (2026, 3, 15)).await.expect("H1 2026");
        assert_eq!(h1.country_code, "FR", "FR when no country is given");
        assert_eq!(bps(&h1.individual_rate), pct(667, "6.67"));
        assert_eq!(bps(&h1.other_rate), pct(262, "2.62"));
        assert_eq!(bps(&h1.min_contractual_penalty_rate), pct(786, "7.86"));
        assert_eq!(
            (h1.valid_from, h1.valid_to),
            (Some(date(2026, 1, 1)), Some(date(2026, 7, 1)))
        );
        assert_eq!(
            legal(&env, "FR", (2026, 1, 1)).await.map(|r| r.valid_from),
            Ok(Some(date(2026, 1, 1)))
        );
        let h2 = legal(&env, "FR", (2025, 12, 31)).await.expect("H2 2025");
        assert_eq!(
            (bps(&h2.individual_rate), bps(&h2.other_rate)),
            (pct(665, "6.65"), pct(276, "2.76"))
        );
        let h1_2024 = legal(&env, "FR", (2024, 6, 30)).await.expect("H1 2024");
        assert_eq!(bps(&h1_2024.other_rate), pct(507, "5.07"));
        assert_eq!(
            legal(&env, "FR", (2026, 7, 1)).await.err(),
            Some(Code::NotFound)
        );
        assert_eq!(
            legal(&env, "FR", (2014, 12, 31)).await.err(),
            Some(Code::NotFound)
        );
        assert_eq!(
            legal(&env, "BE", (2026, 3, 15)).await.err(),
            Some(Code::NotFound)
        );
    }
}

async fn ecb(env: &Env, day: (i32, i32, i32)) -> Result<pb::EcbRate, Code> {
    env.client()
        .get_ecb_rate(env.req(
            Member::admin(),
            pb::GetEcbRateRequest {
                date: Some(date(day.0, day.1, day.2)),
            },
        ))
        .await
        .map(|r| r.into_inner().ecb_rate.expect("rate"))
        .map_err(|s| s.code())
}

/// The ECB rate of a date is the last decision in force; the late-penalty reference is
/// the rate in force on 1 January or 1 July of the date's half-year, plus ten points.
#[tokio::test]
async fn ecb_rate_and_penalty_reference() {
    for env in envs().await {
        let now = ecb(&env, (2026, 11, 21)).await.expect("now");
        assert_eq!(bps(&now.rate), pct(215, "2.15"));
        assert_eq!(
            (now.valid_from, now.valid_to),
            (Some(date(2025, 6, 11)), None)
        );
        assert_eq!(now.half_year_start, Some(date(2026, 7, 1)));
        assert_eq!(bps(&now.default_late_penalty_rate), pct(1215, "12.15"));
        // H2 2024: 3.65 % applies on 1 October, but the reference is 1 July's 4.25 %.
        let oct = ecb(&env, (2024, 10, 1)).await.expect("2024");
        assert_eq!(bps(&oct.rate), pct(365, "3.65"));
        assert_eq!(bps(&oct.penalty_reference_rate), pct(425, "4.25"));
        assert_eq!(bps(&oct.default_late_penalty_rate), pct(1425, "14.25"));
        assert_eq!(oct.valid_to, Some(date(2024, 10, 23)));
        // The day a decision takes effect belongs to it.
        assert_eq!(
            ecb(&env, (2024, 9, 18)).await.map(|r| bps(&r.rate)),
            Ok(pct(365, "3.65"))
        );
        assert_eq!(
            ecb(&env, (2024, 9, 17)).await.map(|r| bps(&r.rate)),
            Ok(pct(425, "4.25"))
        );
        // Before the series the rate is unknown; in its first half-year, the reference is.
        assert_eq!(ecb(&env, (2013, 11, 12)).await.err(), Some(Code::NotFound));
        let first = ecb(&env, (2013, 12, 1)).await.expect("first step");
        assert_eq!(bps(&first.rate), pct(25, "0.25"));
        assert_eq!(
            (
                first.penalty_reference_rate,
                first.default_late_penalty_rate
            ),
            (None, None)
        );
    }
}
