//! The tonic implementation of `crm.products.v1.ProductService`: decode, authorise,
//! call the domain and the store, encode.

use crm_kit::RequestContext;
use crm_kit::convert::required_id;
use crm_proto::products::v1 as pb;
use crm_proto::products::v1::product_service_server::ProductService;
use tonic::{Request, Response, Status};

use crate::convert::{
    Violations, apply_mask, changed_paths, check_currency, currency_from_proto, date_from_proto,
    draft_from_proto, draft_of, implicit_mask, kind_from_proto, merge, optional_uuid,
    price_from_proto, price_to_proto, product_to_proto, required_date, status_from_proto,
    uuid_field,
};
use crate::domain::{self, Draft, Status as ProductStatus, archived_refusal, validate_valid_from};
use crate::error::Error;
use crate::events::Actor;
use crate::repo::{ListFilter, Repo};

/// The products API.
#[derive(Debug, Clone)]
pub struct ProductsApi {
    repo: Repo,
}

impl ProductsApi {
    /// Returns the API over `repo`.
    pub fn new(repo: Repo) -> Self {
        Self { repo }
    }
}

/// Returns who is acting, for the events' metadata.
fn actor(ctx: &RequestContext) -> Actor {
    Actor {
        user_id: ctx.user_id().ok(),
        traceparent: ctx.traceparent.clone(),
    }
}

/// Refuses catalogue changes to roles other than owner, admin and manager.
fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

/// Returns the page size and the position after which a page starts, recording
/// malformed values in `v`.
fn page(
    page_size: i32,
    token: &str,
    fingerprint: u64,
    v: &mut Violations,
) -> (u64, Option<uuid::Uuid>) {
    let size = crm_db::page_size(page_size)
        .map_err(|e| v.push(("page_size".into(), e.to_string())))
        .unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
    let after = crm_db::PageToken::decode(token, fingerprint)
        .map_err(|e| v.push(("page_token".into(), e.to_string())))
        .ok()
        .flatten();
    (size, after.map(|t| t.after))
}

fn next_token(more: bool, last: Option<uuid::Uuid>, fingerprint: u64) -> String {
    match (more, last) {
        (true, Some(after)) => crm_db::PageToken {
            after,
            filters: fingerprint,
        }
        .encode(),
        _ => String::new(),
    }
}

#[tonic::async_trait]
impl ProductService for ProductsApi {
    async fn create_product(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> Result<Response<pb::CreateProductResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        let Some(input) = &req.product else {
            v.push(("product".into(), "is required".into()));
            return Err(Error::InvalidArgument(v).into());
        };
        if !input.id.is_empty() {
            v.push(("product.id".into(), "is assigned by the service".into()));
        }
        if status_from_proto(input.status, "product.status", &mut v)
            == Some(ProductStatus::Archived)
        {
            v.push((
                "product.status".into(),
                "a new product cannot be archived".into(),
            ));
        }
        if input.current_price.is_some() {
            v.push((
                "product.current_price".into(),
                "is output only; set initial_price".into(),
            ));
        }
        let currency = currency_from_proto(&input.currency_code, "product.currency_code", &mut v);
        let draft = draft_from_proto(input, "product", &mut v);
        let initial = match (&req.initial_price, &req.initial_price_valid_from) {
            (None, None) => None,
            (None, Some(_)) => {
                v.push((
                    "initial_price_valid_from".into(),
                    "is only accepted with initial_price".into(),
                ));
                None
            }
            (Some(price), from) => {
                let amount =
                    price_from_proto(Some(price), "initial_price", currency.as_deref(), &mut v);
                let from = match from {
                    Some(d) => date_from_proto(d, "initial_price_valid_from", &mut v),
                    None => Some(crate::repo::today()),
                };
                if let Some(problem) = from.and_then(validate_valid_from) {
                    v.push(("initial_price_valid_from".into(), problem));
                }
                amount.zip(from)
            }
        };
        let data = domain::validate(draft, "product")
            .map_err(|more| merge(&mut v, more))
            .ok();
        invalid(v)?;
        let (Some(data), Some(currency)) = (data, currency) else {
            return Err(Status::internal("validated product without fields"));
        };
        let product = self
            .repo
            .create(tenant, data, currency, initial, request_id, &actor(ctx))
            .await?;
        tracing::info!(product_id = %product.product.id, "product created");
        Ok(Response::new(pb::CreateProductResponse {
            product: Some(product_to_proto(product)),
        }))
    }

    async fn get_product(
        &self,
        request: Request<pb::GetProductRequest>,
    ) -> Result<Response<pb::GetProductResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let id = required_id(&request.get_ref().product_id, "product_id")?;
        let product = self.repo.get(tenant, id).await?;
        Ok(Response::new(pb::GetProductResponse {
            product: Some(product_to_proto(product)),
        }))
    }

    async fn update_product(
        &self,
        request: Request<pb::UpdateProductRequest>,
    ) -> Result<Response<pb::UpdateProductResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let Some(input) = &req.product else {
            return Err(
                Error::InvalidArgument(vec![("product".into(), "is required".into())]).into(),
            );
        };
        let mut v = Violations::new();
        let id = uuid_field(&input.id, "product.id", &mut v);
        let paths = match &req.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
            _ => implicit_mask(input),
        };
        if paths.is_empty() {
            v.push(("update_mask".into(), "names no field to update".into()));
        }
        let incoming = draft_from_proto(input, "product", &mut v);
        // Unknown and immutable paths are reported before anything is read.
        apply_mask(&mut Draft::default(), &incoming, &paths, &mut v);
        invalid(v)?;
        let Some(id) = id else {
            return Err(Status::internal("validated request without an id"));
        };
        let product = self
            .repo
            .update(
                tenant,
                id,
                input.version,
                |current| {
                    if current.status == ProductStatus::Archived {
                        return Err(Error::FailedPrecondition(archived_refusal("be changed")));
                    }
                    let mut draft = draft_of(&current.data);
                    apply_mask(&mut draft, &incoming, &paths, &mut Violations::new());
                    let data =
                        domain::validate(draft, "product").map_err(Error::InvalidArgument)?;
                    let changed = changed_paths(&current.data, &data);
                    let mut next = current.clone();
                    next.data = data;
                    Ok((next, changed))
                },
                &actor(ctx),
            )
            .await?;
        Ok(Response::new(pb::UpdateProductResponse {
            product: Some(product_to_proto(product)),
        }))
    }

    async fn list_products(
        &self,
        request: Request<pb::ListProductsRequest>,
    ) -> Result<Response<pb::ListProductsResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let category = req.category.trim().to_lowercase();
        let query = req.query.trim().to_lowercase();
        if query.chars().count() > 200 {
            v.push(("query".into(), "must be at most 200 characters".into()));
        }
        let filter = ListFilter {
            status: status_from_proto(req.status, "status", &mut v),
            category: (!category.is_empty()).then_some(category),
            kind: kind_from_proto(req.kind, "kind", &mut v),
            query: (!query.is_empty()).then_some(query),
        };
        let fingerprint = crm_db::page::fingerprint(&[
            &req.status.to_string(),
            &req.category,
            &req.kind.to_string(),
            &req.query,
        ]);
        let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let (products, more) = self.repo.list(tenant, &filter, after, size).await?;
        let next_page_token = next_token(more, products.last().map(|p| p.product.id), fingerprint);
        Ok(Response::new(pb::ListProductsResponse {
            products: products.into_iter().map(product_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn archive_product(
        &self,
        request: Request<pb::ArchiveProductRequest>,
    ) -> Result<Response<pb::ArchiveProductResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let id = required_id(&request.get_ref().product_id, "product_id")?;
        let product = self
            .repo
            .update(
                tenant,
                id,
                0,
                |current| {
                    if current.status == ProductStatus::Archived {
                        return Err(Error::FailedPrecondition(
                            "the product is already archived".into(),
                        ));
                    }
                    let mut next = current.clone();
                    next.status = ProductStatus::Archived;
                    Ok((next, vec!["status".to_owned()]))
                },
                &actor(ctx),
            )
            .await?;
        Ok(Response::new(pb::ArchiveProductResponse {
            product: Some(product_to_proto(product)),
        }))
    }

    async fn set_price(
        &self,
        request: Request<pb::SetPriceRequest>,
    ) -> Result<Response<pb::SetPriceResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = uuid_field(&req.product_id, "product_id", &mut v);
        let valid_from = required_date(req.valid_from.as_ref(), "valid_from", &mut v);
        if let Some(problem) = valid_from.and_then(validate_valid_from) {
            v.push(("valid_from".into(), problem));
        }
        let amount = price_from_proto(req.price.as_ref(), "price", None, &mut v);
        // The currency of a product never changes, so reading it before the transaction
        // lets a wrong currency be reported with the other violations.
        let product = match id {
            Some(id) => match self.repo.find(tenant, id).await {
                Ok(p) => Some(p),
                Err(Error::NotFound(_)) if !v.is_empty() => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        if let (Some(product), Some(price)) = (&product, &req.price) {
            check_currency(price, "price", &product.currency, &mut v);
        }
        invalid(v)?;
        let (Some(id), Some(amount), Some(valid_from)) = (id, amount, valid_from) else {
            return Err(Status::internal("validated request without its fields"));
        };
        let (product, price) = self
            .repo
            .set_price(tenant, id, req.version, amount, valid_from, &actor(ctx))
            .await?;
        tracing::info!(product_id = %id, %valid_from, "price set");
        Ok(Response::new(pb::SetPriceResponse {
            product: Some(product_to_proto(product)),
            price: Some(price_to_proto(price)),
        }))
    }

    async fn get_price_at(
        &self,
        request: Request<pb::GetPriceAtRequest>,
    ) -> Result<Response<pb::GetPriceAtResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = uuid_field(&req.product_id, "product_id", &mut v);
        let date = required_date(req.date.as_ref(), "date", &mut v);
        invalid(v)?;
        let (Some(id), Some(date)) = (id, date) else {
            return Err(Status::internal("validated request without its fields"));
        };
        let price = self.repo.price_at(tenant, id, date).await?;
        Ok(Response::new(pb::GetPriceAtResponse {
            price: Some(price_to_proto(price)),
        }))
    }

    async fn list_prices(
        &self,
        request: Request<pb::ListPricesRequest>,
    ) -> Result<Response<pb::ListPricesResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = uuid_field(&req.product_id, "product_id", &mut v);
        let fingerprint = crm_db::page::fingerprint(&[req.product_id.trim()]);
        let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let Some(id) = id else {
            return Err(Status::internal("validated request without an id"));
        };
        let Some((prices, more)) = self.repo.list_prices(tenant, id, after, size).await? else {
            return Err(Error::InvalidArgument(vec![(
                "page_token".into(),
                crm_db::PageError::BadToken.to_string(),
            )])
            .into());
        };
        let next_page_token = next_token(more, prices.last().map(|p| p.id), fingerprint);
        Ok(Response::new(pb::ListPricesResponse {
            prices: prices.into_iter().map(price_to_proto).collect(),
            next_page_token,
        }))
    }
}
