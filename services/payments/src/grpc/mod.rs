//! The tonic implementation of `crm.payments.v1.PaymentService`: decode, authorise,
//! check the calendar, call the domain and the store, encode. The trait methods only
//! unwrap the context; the work is in [`accounts`] (creditor accounts, settings),
//! [`mandates`], [`schedules`], [`collections`] (batches and payment reads) and
//! [`returns`] (settlement, R-transactions, re-presentation, refunds).

use crm_kit::{RequestContext, Role};
use crm_proto::payments::v1 as pb;
use crm_proto::payments::v1::payment_service_server::PaymentService;
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::events::Actor;
use crate::remote::Calendar;
use crate::repo::Repo;

mod accounts;
mod collections;
mod mandates;
mod returns;
mod schedules;

/// The payments API.
#[derive(Debug, Clone)]
pub struct PaymentsApi {
    repo: Repo,
    calendar: Calendar,
}

impl PaymentsApi {
    /// Returns the API over `repo`, checking collection dates with `calendar`.
    pub fn new(repo: Repo, calendar: Calendar) -> Self {
        Self { repo, calendar }
    }
}

/// Returns who is acting, for the events' metadata.
fn actor(ctx: &RequestContext) -> Actor {
    Actor {
        user_id: ctx.user_id().ok(),
        traceparent: ctx.traceparent.clone(),
    }
}

/// Returns the caller's organisation, or PERMISSION_DENIED when the token names none.
fn tenant_of(ctx: &RequestContext) -> Result<crm_db::Tenant, Error> {
    ctx.tenant()
        .map_err(|s| Error::PermissionDenied(s.message().to_owned()))
}

/// Refuses changes to roles other than owner, admin and accountant: the people who
/// run collections. (The kit's access kinds leave accountants read-only, so the table
/// asks for read access and this narrows it.) Services of the mesh pass.
fn may_manage(ctx: &RequestContext) -> Result<(), Error> {
    if ctx.calling_service().is_some() {
        return Ok(());
    }
    match ctx.role {
        Some(Role::Owner | Role::Admin | Role::Accountant) => Ok(()),
        _ => Err(Error::PermissionDenied(
            "only owners, admins and accountants manage payments and mandates".into(),
        )),
    }
}

/// Implements every method by taking the request's context and calling the inherent
/// method of the same meaning.
macro_rules! service {
    ($($method:ident($request:ident) -> $response:ident => $inner:ident;)*) => {
        #[tonic::async_trait]
        impl PaymentService for PaymentsApi {
            $(
                async fn $method(
                    &self,
                    request: Request<pb::$request>,
                ) -> Result<Response<pb::$response>, Status> {
                    let ctx = crm_kit::context(&request)?;
                    Ok(Response::new(self.$inner(ctx, request.get_ref()).await?))
                }
            )*
        }
    };
}

service! {
    create_creditor_account(CreateCreditorAccountRequest) -> CreateCreditorAccountResponse => create_account;
    get_creditor_account(GetCreditorAccountRequest) -> GetCreditorAccountResponse => get_account;
    list_creditor_accounts(ListCreditorAccountsRequest) -> ListCreditorAccountsResponse => list_accounts;
    get_payment_settings(GetPaymentSettingsRequest) -> GetPaymentSettingsResponse => get_settings;
    update_payment_settings(UpdatePaymentSettingsRequest) -> UpdatePaymentSettingsResponse => update_settings;
    create_mandate(CreateMandateRequest) -> CreateMandateResponse => create_mandate;
    get_mandate(GetMandateRequest) -> GetMandateResponse => get_mandate;
    list_mandates(ListMandatesRequest) -> ListMandatesResponse => list_mandates;
    activate_mandate(ActivateMandateRequest) -> ActivateMandateResponse => activate_mandate;
    suspend_mandate(SuspendMandateRequest) -> SuspendMandateResponse => suspend_mandate;
    resume_mandate(ResumeMandateRequest) -> ResumeMandateResponse => resume_mandate;
    revoke_mandate(RevokeMandateRequest) -> RevokeMandateResponse => revoke_mandate;
    amend_mandate(AmendMandateRequest) -> AmendMandateResponse => amend_mandate;
    create_schedule(CreateScheduleRequest) -> CreateScheduleResponse => create_schedule;
    get_schedule(GetScheduleRequest) -> GetScheduleResponse => get_schedule;
    list_schedules(ListSchedulesRequest) -> ListSchedulesResponse => list_schedules;
    prepare_batch(PrepareBatchRequest) -> PrepareBatchResponse => prepare_batch;
    export_batch(ExportBatchRequest) -> ExportBatchResponse => export_batch;
    get_batch(GetBatchRequest) -> GetBatchResponse => get_batch;
    list_batches(ListBatchesRequest) -> ListBatchesResponse => list_batches;
    get_payment(GetPaymentRequest) -> GetPaymentResponse => get_payment;
    list_payments(ListPaymentsRequest) -> ListPaymentsResponse => list_payments;
    mark_settled(MarkSettledRequest) -> MarkSettledResponse => mark_settled;
    import_returns(ImportReturnsRequest) -> ImportReturnsResponse => import_returns;
    schedule_presentation(SchedulePresentationRequest) -> SchedulePresentationResponse => schedule_presentation;
    refund_payment(RefundPaymentRequest) -> RefundPaymentResponse => refund_payment;
}
