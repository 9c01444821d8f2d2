//! The tonic implementation of `crm.referentiel.v1.ReferentielService`: decode and check
//! the request, read the data set or the list, apply the domain rules, encode with the
//! data's version. Access (any token for global data, a member for lists, owner or
//! admin for writes) is the kit's permission table's job.

use crm_proto::referentiel::v1 as pb;
use crm_proto::referentiel::v1::referentiel_service_server::ReferentielService;
use tonic::{Request, Response, Status};

use crate::convert::{self, Violations, check, next_token, page_request, paged};
use crate::domain::page::{self, GLOBAL_DEFAULT_PAGE_SIZE, GLOBAL_MAX_PAGE_SIZE};
use crate::domain::{rates, version};
use crate::error::Error;
use crate::repo::{Repo, key};

/// Page sizes of the global lists: (default, max).
const GLOBAL: (usize, usize) = (GLOBAL_DEFAULT_PAGE_SIZE, GLOBAL_MAX_PAGE_SIZE);
/// Page sizes of value lists: (default, max).
const VALUES: (usize, usize) = (page::VALUES_DEFAULT_PAGE_SIZE, page::VALUES_MAX_PAGE_SIZE);

/// The referentiel API.
#[derive(Debug, Clone)]
pub struct ReferentielApi {
    repo: Repo,
}

impl ReferentielApi {
    /// Returns the API over `repo`.
    pub fn new(repo: Repo) -> Self {
        Self { repo }
    }
}

fn not_found(entity: &'static str, key: String) -> Status {
    Error::NotFound { entity, key }.into()
}

#[tonic::async_trait]
impl ReferentielService for ReferentielApi {
    async fn list_countries(
        &self,
        request: Request<pb::ListCountriesRequest>,
    ) -> Result<Response<pb::ListCountriesResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let sepa = req.sepa_only.to_string();
        let page = page_request(req.page_size, &req.page_token, &[&sepa], GLOBAL, &mut v);
        check(v)?;
        let rows = self.repo.countries().await?;
        let version = version::of("countries", &rows);
        let rows = rows
            .into_iter()
            .filter(|c| c.sepa || !req.sepa_only)
            .collect();
        let (countries, next_page_token) =
            paged(rows, |c| c.code.clone(), &page, convert::country_to_proto);
        Ok(Response::new(pb::ListCountriesResponse {
            countries,
            next_page_token,
            version,
        }))
    }

    async fn get_country(
        &self,
        request: Request<pb::GetCountryRequest>,
    ) -> Result<Response<pb::GetCountryResponse>, Status> {
        let mut v = Violations::new();
        let code = convert::country_code(&request.get_ref().country_code, "country_code", &mut v);
        check(v)?;
        let code = code.unwrap_or_default();
        let rows = self.repo.countries().await?;
        let version = version::of("countries", &rows);
        let country = rows
            .into_iter()
            .find(|c| c.code == code)
            .ok_or_else(|| not_found("country", code))?;
        Ok(Response::new(pb::GetCountryResponse {
            country: Some(convert::country_to_proto(country)),
            version,
        }))
    }

    async fn list_currencies(
        &self,
        request: Request<pb::ListCurrenciesRequest>,
    ) -> Result<Response<pb::ListCurrenciesResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let page = page_request(req.page_size, &req.page_token, &[], GLOBAL, &mut v);
        check(v)?;
        let rows = self.repo.currencies().await?;
        let version = version::of("currencies", &rows);
        let (currencies, next_page_token) =
            paged(rows, |c| c.code.clone(), &page, convert::currency_to_proto);
        Ok(Response::new(pb::ListCurrenciesResponse {
            currencies,
            next_page_token,
            version,
        }))
    }

    async fn get_vat_rate(
        &self,
        request: Request<pb::GetVatRateRequest>,
    ) -> Result<Response<pb::GetVatRateResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let country = convert::country_code(&req.country_code, "country_code", &mut v);
        let category = convert::vat_category(req.category, "category", true, &mut v);
        let date = convert::required_date(req.date.as_ref(), "date", &mut v);
        check(v)?;
        let (Some(country), Some(category), Some(date)) = (country, category, date) else {
            return Err(Status::invalid_argument("country_code, category and date"));
        };
        let rows = self.repo.vat_rates().await?;
        let version = version::of("vat_rates", &rows);
        let rate = rates::vat_rate_on(&rows, &country, category, date)
            .cloned()
            .ok_or_else(|| not_found("VAT rate", format!("{country}/{}/{date}", category.key())))?;
        Ok(Response::new(pb::GetVatRateResponse {
            vat_rate: Some(convert::vat_rate_to_proto(rate)),
            version,
        }))
    }

    async fn list_vat_rates(
        &self,
        request: Request<pb::ListVatRatesRequest>,
    ) -> Result<Response<pb::ListVatRatesResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let country = convert::optional_country_code(&req.country_code, "country_code", &mut v);
        let category = convert::vat_category(req.category, "category", false, &mut v);
        let date = req
            .date
            .as_ref()
            .and_then(|d| convert::date_from_proto(d, "date", &mut v));
        let filters = [
            req.country_code.clone(),
            req.category.to_string(),
            format!("{:?}", req.date),
        ];
        let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
        let page = page_request(req.page_size, &req.page_token, &filters, GLOBAL, &mut v);
        check(v)?;
        let rows = self.repo.vat_rates().await?;
        let version = version::of("vat_rates", &rows);
        let rows = rows
            .into_iter()
            .filter(|r| country.as_ref().is_none_or(|c| &r.country_code == c))
            .filter(|r| category.is_none_or(|c| r.category == c))
            .filter(|r| date.is_none_or(|d| rates::covers(r.valid_from, r.valid_to, d)))
            .collect();
        let (vat_rates, next_page_token) =
            paged(rows, key::vat_rate, &page, convert::vat_rate_to_proto);
        Ok(Response::new(pb::ListVatRatesResponse {
            vat_rates,
            next_page_token,
            version,
        }))
    }

    async fn list_reason_codes(
        &self,
        request: Request<pb::ListReasonCodesRequest>,
    ) -> Result<Response<pb::ListReasonCodesResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let class = convert::reason_class(req.reason_class, "reason_class", &mut v);
        let filters = [req.reason_class.to_string(), req.retryable_only.to_string()];
        let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
        let page = page_request(req.page_size, &req.page_token, &filters, GLOBAL, &mut v);
        check(v)?;
        let rows = self.repo.reason_codes().await?;
        let version = version::of("reason_codes", &rows);
        let rows = rows
            .into_iter()
            .filter(|r| class.is_none_or(|c| r.class == c))
            .filter(|r| r.retryable || !req.retryable_only)
            .collect();
        let (reason_codes, next_page_token) = paged(
            rows,
            |r| r.code.clone(),
            &page,
            convert::reason_code_to_proto,
        );
        Ok(Response::new(pb::ListReasonCodesResponse {
            reason_codes,
            next_page_token,
            version,
        }))
    }

    async fn get_reason_code(
        &self,
        request: Request<pb::GetReasonCodeRequest>,
    ) -> Result<Response<pb::GetReasonCodeResponse>, Status> {
        let code = &request.get_ref().code;
        let mut v = Violations::new();
        convert::reason_code(code, "code", &mut v);
        check(v)?;
        let rows = self.repo.reason_codes().await?;
        let version = version::of("reason_codes", &rows);
        let found = rows
            .into_iter()
            .find(|r| &r.code == code)
            .ok_or_else(|| not_found("reason code", code.clone()))?;
        Ok(Response::new(pb::GetReasonCodeResponse {
            reason_code: Some(convert::reason_code_to_proto(found)),
            version,
        }))
    }

    async fn get_legal_interest_rate(
        &self,
        request: Request<pb::GetLegalInterestRateRequest>,
    ) -> Result<Response<pb::GetLegalInterestRateResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let country = match req.country_code.as_str() {
            "" => Some("FR".to_owned()),
            code => convert::country_code(code, "country_code", &mut v),
        };
        let date = convert::required_date(req.date.as_ref(), "date", &mut v);
        check(v)?;
        let (Some(country), Some(date)) = (country, date) else {
            return Err(Status::invalid_argument("country_code and date"));
        };
        let rows = self.repo.legal_interest_rates().await?;
        let version = version::of("legal_interest_rates", &rows);
        let rate = rates::legal_interest_on(&rows, &country, date)
            .cloned()
            .ok_or_else(|| not_found("legal interest rate", format!("{country}/{date}")))?;
        Ok(Response::new(pb::GetLegalInterestRateResponse {
            legal_interest_rate: Some(convert::legal_interest_to_proto(rate)),
            version,
        }))
    }

    async fn get_ecb_rate(
        &self,
        request: Request<pb::GetEcbRateRequest>,
    ) -> Result<Response<pb::GetEcbRateResponse>, Status> {
        let mut v = Violations::new();
        let date = convert::required_date(request.get_ref().date.as_ref(), "date", &mut v);
        check(v)?;
        let Some(date) = date else {
            return Err(Status::invalid_argument("date"));
        };
        let series = self.repo.ecb_rates().await?;
        let version = version::of("ecb_rates", &series);
        let answer =
            rates::ecb_on(&series, date).ok_or_else(|| not_found("ECB rate", date.to_string()))?;
        Ok(Response::new(pb::GetEcbRateResponse {
            ecb_rate: Some(convert::ecb_to_proto(answer)),
            version,
        }))
    }

    async fn list_civilities(
        &self,
        request: Request<pb::ListCivilitiesRequest>,
    ) -> Result<Response<pb::ListCivilitiesResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let page = page_request(req.page_size, &req.page_token, &[], GLOBAL, &mut v);
        check(v)?;
        let rows = self.repo.civilities().await?;
        let version = version::of("civilities", &rows);
        let (civilities, next_page_token) =
            paged(rows, key::civility, &page, convert::civility_to_proto);
        Ok(Response::new(pb::ListCivilitiesResponse {
            civilities,
            next_page_token,
            version,
        }))
    }

    async fn list_legal_forms(
        &self,
        request: Request<pb::ListLegalFormsRequest>,
    ) -> Result<Response<pb::ListLegalFormsResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let country = convert::optional_country_code(&req.country_code, "country_code", &mut v);
        let page = page_request(
            req.page_size,
            &req.page_token,
            &[&req.country_code],
            GLOBAL,
            &mut v,
        );
        check(v)?;
        let rows = self.repo.legal_forms().await?;
        let version = version::of("legal_forms", &rows);
        let rows = rows
            .into_iter()
            .filter(|f| country.as_ref().is_none_or(|c| &f.country_code == c))
            .collect();
        let (legal_forms, next_page_token) =
            paged(rows, key::legal_form, &page, convert::legal_form_to_proto);
        Ok(Response::new(pb::ListLegalFormsResponse {
            legal_forms,
            next_page_token,
            version,
        }))
    }

    async fn list_values(
        &self,
        request: Request<pb::ListValuesRequest>,
    ) -> Result<Response<pb::ListValuesResponse>, Status> {
        let tenant = crm_kit::context(&request)?.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        convert::list_key(&req.list_key, "list_key", &mut v);
        let active = req.active_only.to_string();
        let filters = [req.list_key.as_str(), active.as_str()];
        let page = page_request(req.page_size, &req.page_token, &filters, VALUES, &mut v);
        check(v)?;
        // The revision is read before the values: a change committed in between makes the
        // answer newer than its version, so a cache refreshes once too often, never misses
        // a change.
        let revision = self.repo.list_revision(tenant, &req.list_key).await?;
        let after = page
            .after
            .as_ref()
            .map(|c| (i32::try_from(c.position).unwrap_or(i32::MAX), c.key.clone()));
        let (values, more) = self
            .repo
            .list_values(tenant, &req.list_key, req.active_only, after, page.size)
            .await?;
        let next = values.last().filter(|_| more);
        let next_page_token = next_token(
            next.map(|last| last.code.clone()),
            next.map_or(0, |last| i64::from(last.position)),
            page.filters,
        );
        Ok(Response::new(pb::ListValuesResponse {
            values: values.into_iter().map(convert::value_to_proto).collect(),
            next_page_token,
            version: revision.to_string(),
        }))
    }

    async fn upsert_value(
        &self,
        request: Request<pb::UpsertValueRequest>,
    ) -> Result<Response<pb::UpsertValueResponse>, Status> {
        let tenant = crm_kit::context(&request)?.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        convert::list_key(&req.list_key, "list_key", &mut v);
        let Some(value) = &req.value else {
            v.push(("value".into(), "is required".into()));
            return Err(Error::InvalidArgument(v).into());
        };
        convert::value_code(&value.code, "value.code", &mut v);
        let change = convert::change_from_proto(value, req.update_mask.as_ref(), &mut v);
        check(v)?;
        let done = self
            .repo
            .upsert_value(tenant, &req.list_key, &value.code, &change, value.version)
            .await?;
        tracing::info!(list = %req.list_key, code = %value.code, created = done.created, "value upserted");
        Ok(Response::new(pb::UpsertValueResponse {
            value: Some(convert::value_to_proto(done.value)),
            created: done.created,
            version: done.revision.to_string(),
        }))
    }

    async fn delete_value(
        &self,
        request: Request<pb::DeleteValueRequest>,
    ) -> Result<Response<pb::DeleteValueResponse>, Status> {
        let tenant = crm_kit::context(&request)?.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        convert::list_key(&req.list_key, "list_key", &mut v);
        convert::value_code(&req.code, "code", &mut v);
        check(v)?;
        let revision = self
            .repo
            .delete_value(tenant, &req.list_key, &req.code)
            .await?;
        tracing::info!(list = %req.list_key, code = %req.code, "value deleted");
        Ok(Response::new(pb::DeleteValueResponse {
            version: revision.to_string(),
        }))
    }
}
