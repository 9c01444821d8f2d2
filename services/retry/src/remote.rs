//! Calls to the payments service. SchedulePresentation is a write: it is sent once per
//! RunDue and never retried blindly; the attempt's id travels as its request_id, so
//! sending it again in a later run returns the payment the first call made.

use chrono::NaiveDate;
use crm_kit::RequestContext;
use crm_kit::auth::MeshKey;
use crm_kit::client::Downstream;
use crm_kit::config::KitConfig;
use crm_kit::convert::date_to_proto;
use crm_proto::payments::v1 as payments;
use crm_proto::payments::v1::payment_service_client::PaymentServiceClient;
use tonic::{Code, Status};
use uuid::Uuid;

/// What payments answered a presentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// The new payment.
    Payment(Uuid),
    /// Payments refused it for the state of things (mandate no longer active, payment
    /// not presentable): FAILED_PRECONDITION.
    Refused(String),
    /// Payments could not be reached or did not answer in time (UNAVAILABLE,
    /// DEADLINE_EXCEEDED, CANCELLED).
    Unavailable(String),
    /// Any other answer.
    Failed(String),
}

/// The payments service, as this service calls it.
#[derive(Debug, Clone)]
pub struct Payments {
    downstream: Downstream,
}

impl Payments {
    /// Returns the client, with payments' address from `config` (`services.payments`).
    pub fn new(caller: &'static str, config: &KitConfig, mesh: &MeshKey) -> Result<Self, Status> {
        Ok(Self {
            downstream: Downstream::lazy(
                caller,
                "payments",
                &config.service_url("payments"),
                mesh.clone(),
            )?,
        })
    }

    /// Asks payments to present `payment` again on `collection_date`, as the caller of
    /// `ctx` and within its deadline, with `request_id` as the idempotency key.
    pub async fn present(
        &self,
        ctx: &RequestContext,
        payment: Uuid,
        collection_date: NaiveDate,
        request_id: Uuid,
    ) -> Presented {
        let message = payments::SchedulePresentationRequest {
            payment_id: payment.to_string(),
            collection_date: Some(date_to_proto(collection_date)),
            request_id: request_id.to_string(),
        };
        let request = match self.downstream.request(ctx, message) {
            Ok(r) => r,
            Err(status) => return classify(&status),
        };
        let answer = PaymentServiceClient::new(self.downstream.channel())
            .schedule_presentation(request)
            .await;
        match answer {
            Ok(response) => {
                let id = response
                    .into_inner()
                    .payment
                    .and_then(|p| Uuid::parse_str(&p.id).ok());
                match id {
                    Some(id) => Presented::Payment(id),
                    None => Presented::Failed("payments answered without a payment id".into()),
                }
            }
            Err(status) => classify(&status),
        }
    }
}

fn classify(status: &Status) -> Presented {
    let message = format!("{:?}: {}", status.code(), status.message());
    match status.code() {
        Code::FailedPrecondition => Presented::Refused(status.message().to_owned()),
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
            tracing::warn!(error = %message, "payments unavailable");
            Presented::Unavailable(message)
        }
        _ => {
            tracing::warn!(error = %message, "payments refused a presentation");
            Presented::Failed(message)
        }
    }
}
