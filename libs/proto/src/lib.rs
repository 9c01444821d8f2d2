//! Protobuf messages, tonic clients and servers, and the encoded descriptor set of every
//! CRM service, generated at build time from the workspace's `proto/` folder.
//!
//! Modules follow the protobuf packages: `crm_proto::clients::v1` is `crm.clients.v1`.

#![allow(missing_docs, clippy::all, clippy::pedantic, clippy::unwrap_used)]

/// Encoded `google.protobuf.FileDescriptorSet` of every CRM proto file and its imports,
/// for reflection and the JSON edge.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/crm_descriptor.bin"));

/// Shared messages: money, dates, addresses, roles.
pub mod common {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.common.v1.rs"));
    }
}

/// The users service.
pub mod users {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.users.v1.rs"));
    }
}

/// The organisations service.
pub mod organisations {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.organisations.v1.rs"));
    }
}

/// The clients service.
pub mod clients {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.clients.v1.rs"));
    }
}

/// The activites service: the activity timeline.
pub mod activites {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.activites.v1.rs"));
    }
}

/// The products service: the catalogue and its price history.
pub mod products {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.products.v1.rs"));
    }
}

/// The commerciaux service: sales agents and their hierarchy.
pub mod commerciaux {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.commerciaux.v1.rs"));
    }
}

/// The referentiel service: reference data and the organisations' value lists.
pub mod referentiel {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.referentiel.v1.rs"));
    }
}

/// The contrats service: contracts, their lifecycle and amendments.
pub mod contrats {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.contrats.v1.rs"));
    }
}

/// The calendar service: business days, the agenda, availability and slot proposals.
pub mod calendar {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.calendar.v1.rs"));
    }
}

/// The payments service: SEPA mandates, schedules, collections and returns.
pub mod payments {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.payments.v1.rs"));
    }
}

/// The factures service: invoices, credit notes and billing runs.
pub mod factures {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.factures.v1.rs"));
    }
}

/// The retry service: re-presentation of rejected direct debits.
pub mod retry {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.retry.v1.rs"));
    }
}

/// The commission service: plans, entries, statements and clawbacks.
pub mod commission {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.commission.v1.rs"));
    }
}

/// Domain events published on NATS JetStream (`crm.events.<type>`), one message per
/// event type; see [`EVENT_TYPES`](crate::EVENT_TYPES).
pub mod events {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.events.v1.rs"));
    }
}

/// Every event type of the catalogue (spec/events.md) and the full name of its payload
/// message in `crm.events.v1`. An event of type `t` is published on the subject
/// `crm.events.<t>`; its CloudEvents `ce-type` is `t`.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("organisation.created", "crm.events.v1.OrganisationCreated"),
    ("member.added", "crm.events.v1.MemberAdded"),
    ("member.removed", "crm.events.v1.MemberRemoved"),
    ("invitation.created", "crm.events.v1.InvitationCreated"),
    ("user.created", "crm.events.v1.UserCreated"),
    ("user.verified", "crm.events.v1.UserVerified"),
    (
        "user.password_reset_requested",
        "crm.events.v1.UserPasswordResetRequested",
    ),
    ("client.created", "crm.events.v1.ClientCreated"),
    ("client.updated", "crm.events.v1.ClientUpdated"),
    ("client.archived", "crm.events.v1.ClientArchived"),
    ("client.merged", "crm.events.v1.ClientMerged"),
    (
        "opportunity.stage_changed",
        "crm.events.v1.OpportunityStageChanged",
    ),
    ("opportunity.won", "crm.events.v1.OpportunityWon"),
    ("opportunity.lost", "crm.events.v1.OpportunityLost"),
    ("commercial.created", "crm.events.v1.CommercialCreated"),
    ("commercial.updated", "crm.events.v1.CommercialUpdated"),
    (
        "commercial.deactivated",
        "crm.events.v1.CommercialDeactivated",
    ),
    ("product.created", "crm.events.v1.ProductCreated"),
    ("product.updated", "crm.events.v1.ProductUpdated"),
    ("product.price_changed", "crm.events.v1.ProductPriceChanged"),
    ("contract.created", "crm.events.v1.ContractCreated"),
    ("contract.signed", "crm.events.v1.ContractSigned"),
    ("contract.suspended", "crm.events.v1.ContractSuspended"),
    ("contract.resumed", "crm.events.v1.ContractResumed"),
    ("contract.terminated", "crm.events.v1.ContractTerminated"),
    ("contract.cancelled", "crm.events.v1.ContractCancelled"),
    ("contract.amended", "crm.events.v1.ContractAmended"),
    ("invoice.issued", "crm.events.v1.InvoiceIssued"),
    ("invoice.paid", "crm.events.v1.InvoicePaid"),
    ("invoice.overdue", "crm.events.v1.InvoiceOverdue"),
    ("invoice.cancelled", "crm.events.v1.InvoiceCancelled"),
    ("credit_note.issued", "crm.events.v1.CreditNoteIssued"),
    ("mandate.created", "crm.events.v1.MandateCreated"),
    ("mandate.revoked", "crm.events.v1.MandateRevoked"),
    ("schedule.created", "crm.events.v1.ScheduleCreated"),
    ("payment.submitted", "crm.events.v1.PaymentSubmitted"),
    ("payment.received", "crm.events.v1.PaymentReceived"),
    ("payment.rejected", "crm.events.v1.PaymentRejected"),
    ("payment.refunded", "crm.events.v1.PaymentRefunded"),
    ("retry.scheduled", "crm.events.v1.RetryScheduled"),
    ("retry.exhausted", "crm.events.v1.RetryExhausted"),
    (
        "dunning.stage_executed",
        "crm.events.v1.DunningStageExecuted",
    ),
    ("dunning.resolved", "crm.events.v1.DunningResolved"),
    ("dunning.escalated", "crm.events.v1.DunningEscalated"),
    (
        "commission.entry_created",
        "crm.events.v1.CommissionEntryCreated",
    ),
    ("statement.closed", "crm.events.v1.StatementClosed"),
    ("document.created", "crm.events.v1.DocumentCreated"),
    ("email.sent", "crm.events.v1.EmailSent"),
    ("email.failed", "crm.events.v1.EmailFailed"),
    ("email.opened", "crm.events.v1.EmailOpened"),
    ("email.clicked", "crm.events.v1.EmailClicked"),
    ("letter.submitted", "crm.events.v1.LetterSubmitted"),
    ("letter.posted", "crm.events.v1.LetterPosted"),
    ("letter.delivered", "crm.events.v1.LetterDelivered"),
    ("letter.returned", "crm.events.v1.LetterReturned"),
    ("meeting.scheduled", "crm.events.v1.MeetingScheduled"),
    ("meeting.cancelled", "crm.events.v1.MeetingCancelled"),
];

/// The vendored `google.api` HTTP annotation types.
pub mod google {
    /// google.api
    pub mod api {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/google.api.rs"));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use prost_reflect::{DescriptorPool, Kind, Value};

    /// Messages of `crm.events.v1` that are not events: the header and the helpers
    /// events embed.
    const EVENT_HELPER_MESSAGES: &[&str] = &[
        "crm.events.v1.EventMeta",
        "crm.events.v1.ContractLine",
        "crm.events.v1.VatAmount",
        "crm.events.v1.Instalment",
    ];

    /// `client.created` -> `ClientCreated`, `credit_note.issued` -> `CreditNoteIssued`.
    fn upper_camel(event_type: &str) -> String {
        event_type
            .split(['.', '_'])
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect()
    }

    /// Every event type names a message of the same name that starts with
    /// `EventMeta meta = 1`, and no type or message appears twice.
    #[test]
    fn event_types_name_messages_with_meta_first() {
        let pool = DescriptorPool::decode(super::FILE_DESCRIPTOR_SET).expect("descriptor set");
        let mut types = BTreeSet::new();
        let mut names = BTreeSet::new();
        for &(event_type, name) in super::EVENT_TYPES {
            assert!(types.insert(event_type), "{event_type} listed twice");
            assert!(names.insert(name), "{name} listed twice");
            assert_eq!(
                name,
                format!("crm.events.v1.{}", upper_camel(event_type)),
                "{event_type}"
            );
            let message = pool
                .get_message_by_name(name)
                .unwrap_or_else(|| panic!("{name} is not in the descriptor set"));
            let meta = message
                .get_field(1)
                .unwrap_or_else(|| panic!("{name} has no field 1"));
            assert_eq!(meta.name(), "meta", "{name}");
            assert!(!meta.is_list(), "{name}");
            match meta.kind() {
                Kind::Message(kind) => {
                    assert_eq!(kind.full_name(), "crm.events.v1.EventMeta", "{name}");
                }
                other => panic!("{name}.meta is {other:?}"),
            }
        }
        assert_eq!(super::EVENT_TYPES.len(), 57);
    }

    /// Every message of `crm.events.v1` is an event of the table or a listed helper.
    #[test]
    fn every_event_message_is_in_the_table() {
        let pool = DescriptorPool::decode(super::FILE_DESCRIPTOR_SET).expect("descriptor set");
        let listed: BTreeSet<&str> = super::EVENT_TYPES.iter().map(|&(_, name)| name).collect();
        for helper in EVENT_HELPER_MESSAGES {
            assert!(
                pool.get_message_by_name(helper).is_some(),
                "helper {helper} is not in the descriptor set"
            );
            assert!(
                !listed.contains(helper),
                "helper {helper} is in EVENT_TYPES"
            );
        }
        let mut events = 0;
        for message in pool
            .all_messages()
            .filter(|m| m.package_name() == "crm.events.v1")
        {
            let name = message.full_name();
            if EVENT_HELPER_MESSAGES.contains(&name) {
                continue;
            }
            assert!(listed.contains(name), "{name} is missing from EVENT_TYPES");
            events += 1;
        }
        assert_eq!(events, super::EVENT_TYPES.len());
    }

    /// The event header keeps the fields and numbers every consumer decodes.
    #[test]
    fn event_meta_has_the_agreed_fields() {
        let pool = DescriptorPool::decode(super::FILE_DESCRIPTOR_SET).expect("descriptor set");
        let meta = pool
            .get_message_by_name("crm.events.v1.EventMeta")
            .expect("EventMeta");
        let fields: Vec<(u32, String)> = meta
            .fields()
            .map(|f| (f.number(), f.name().to_owned()))
            .collect();
        let expected = [
            (1, "organisation_id"),
            (2, "aggregate_id"),
            (3, "aggregate_version"),
            (4, "occur_time"),
            (5, "actor_user_id"),
        ];
        assert_eq!(
            fields,
            expected.map(|(n, f)| (n, f.to_owned())).to_vec(),
            "EventMeta fields"
        );
    }

    /// Every RPC keeps its google.api.http rule in the encoded descriptor set, which the
    /// JSON edge and the e2e mock mode read.
    #[test]
    fn http_rules_survive_encoding() {
        let pool = DescriptorPool::decode(super::FILE_DESCRIPTOR_SET).expect("descriptor set");
        let http = pool
            .get_extension_by_name("google.api.http")
            .expect("http extension");
        let mut methods = 0;
        for service in pool
            .services()
            .filter(|s| s.full_name().starts_with("crm."))
        {
            for method in service.methods() {
                let options = method.options();
                assert!(
                    options.has_extension(&http),
                    "{} has no http rule",
                    method.full_name()
                );
                let rule = options.get_extension(&http);
                assert!(matches!(rule.as_ref(), Value::Message(_)));
                methods += 1;
            }
        }
        assert!(methods >= 30, "{methods}");
    }
}
