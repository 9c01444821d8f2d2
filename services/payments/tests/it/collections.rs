//! PrepareBatch and ExportBatch: the date rules (asked of the calendar service), what a
//! batch takes, sequence types, amendments, and the pain.008 file, validated against
//! the XSD every time.

use chrono::{Datelike as _, Days, Months, NaiveDate};
use crm_kit::Role;
use crm_proto::events::v1 as ev;
use crm_proto::payments::v1 as pb;
use tonic::Code;

use crate::support::{
    Member, collection_date, count, date, decode, envs, iban, next_target, saturday_after, today,
    umr, violations,
};

fn add_target(d: NaiveDate, n: i32) -> NaiveDate {
    crm_shared::calendar::add_target_days(d, n).expect("target day")
}

/// PrepareBatch validates its fields, finds the account first, and refuses a date that
/// is not a TARGET business day or is closer than the lead time, naming the earliest
/// valid date; nothing due makes no batch.
#[tokio::test]
async fn prepare_batch_checks_the_date_rules() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let c = env.client();
        let err = c
            .clone()
            .prepare_batch(env.req(admin, pb::PrepareBatchRequest::default()))
            .await
            .expect_err("empty");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["collection_date", "creditor_account_id"]);
        let old = NaiveDate::from_ymd_opt(1500, 1, 2).expect("date");
        let err = env
            .prepare(admin, &account.id, old)
            .await
            .expect_err("range");
        assert_eq!(violations(&err), ["collection_date"]);
        let d = collection_date();
        let err = env
            .prepare(admin, &uuid::Uuid::now_v7().to_string(), d)
            .await
            .expect_err("unknown account");
        assert_eq!(err.code(), Code::NotFound);
        let err = env
            .prepare(Member::admin(), &account.id, d)
            .await
            .expect_err("other org");
        assert_eq!(err.code(), Code::NotFound);
        let err = env
            .prepare(admin.with(Role::Viewer), &account.id, d)
            .await
            .expect_err("viewer");
        assert_eq!(err.code(), Code::PermissionDenied);

        let saturday = saturday_after(d);
        let err = env
            .prepare(admin, &account.id, saturday)
            .await
            .expect_err("weekend");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let monday = add_target(saturday, 1);
        assert!(
            err.message().contains("not a TARGET business day"),
            "{}",
            err.message()
        );
        assert!(
            err.message().contains(&monday.to_string()),
            "{}",
            err.message()
        );

        let christmas = NaiveDate::from_ymd_opt(today().year() + 1, 12, 25).expect("date");
        let err = env
            .prepare(admin, &account.id, christmas)
            .await
            .expect_err("holiday");
        assert!(
            err.message().contains("not a TARGET business day"),
            "{}",
            err.message()
        );
        assert!(
            err.message()
                .contains(&add_target(christmas, 1).to_string())
        );

        let earliest = add_target(today(), 2);
        let err = env
            .prepare(admin, &account.id, today())
            .await
            .expect_err("too soon");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert!(
            err.message().contains(&earliest.to_string()),
            "{}",
            err.message()
        );

        env.client()
            .update_payment_settings(env.req(
                admin,
                pb::UpdatePaymentSettingsRequest {
                    settings: Some(pb::PaymentSettings {
                        submission_lead_days: 5,
                        prenotification_days: 14,
                        version: 0,
                    }),
                },
            ))
            .await
            .expect("settings");
        let err = env
            .prepare(admin, &account.id, add_target(today(), 3))
            .await
            .expect_err("within the lead time");
        assert!(
            err.message().contains(&add_target(today(), 5).to_string()),
            "{}",
            err.message()
        );

        let err = env
            .prepare(admin, &account.id, d)
            .await
            .expect_err("nothing due");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert!(
            err.message().contains("nothing is due"),
            "{}",
            err.message()
        );
        let batches = env
            .client()
            .list_batches(env.req(admin, pb::ListBatchesRequest::default()))
            .await
            .expect("list")
            .into_inner()
            .batches;
        assert!(batches.is_empty(), "no empty batch");
    }
}

/// A batch takes the PLANNED instalments due by the date, pre-notified early enough,
/// under ACTIVE mandates of its account; each becomes an EXPORTED first attempt with a
/// new EndToEndId, and is not taken twice.
#[tokio::test]
async fn prepare_batch_takes_what_is_due_and_prenotified() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let other_account = env.account(admin).await;
        let d = collection_date();
        let m = env.mandate(admin, &account.id).await;
        let s = env
            .schedule(
                admin,
                &m,
                &[(d - Days::new(3), 4_200), (d + Days::new(40), 9_900)],
            )
            .await;
        // Two instalments due under a new mandate: one FRST per mandate, the other
        // waits for it to settle.
        let m2 = env.mandate(admin, &account.id).await;
        let s2 = env
            .schedule(admin, &m2, &[(d - Days::new(1), 1_500), (d, 800)])
            .await;
        let revoked = env.mandate(admin, &account.id).await;
        env.schedule(admin, &revoked, &[(d, 777)]).await;
        env.client()
            .revoke_mandate(env.req(
                admin,
                pb::RevokeMandateRequest {
                    mandate_id: revoked.id.clone(),
                },
            ))
            .await
            .expect("revoke");
        let elsewhere = env.mandate(admin, &other_account.id).await;
        env.schedule(admin, &elsewhere, &[(d, 555)]).await;

        // Pre-notified today, so a 30-day notice leaves nothing to collect on d.
        let set = |notice| pb::UpdatePaymentSettingsRequest {
            settings: Some(pb::PaymentSettings {
                submission_lead_days: 2,
                prenotification_days: notice,
                version: 0,
            }),
        };
        env.client()
            .update_payment_settings(env.req(admin, set(30)))
            .await
            .expect("30");
        let err = env
            .prepare(admin, &account.id, d)
            .await
            .expect_err("not notified");
        assert_eq!(err.code(), Code::FailedPrecondition);
        env.client()
            .update_payment_settings(env.req(admin, set(14)))
            .await
            .expect("14");

        let prepared = env.prepare(admin, &account.id, d).await.expect("prepare");
        let batch = prepared.batch.expect("batch");
        assert_eq!(batch.status, pb::BatchStatus::Prepared as i32);
        assert_eq!(batch.number_of_transactions, 2);
        assert_eq!(
            batch.control_sum.as_ref().map(|m| m.amount_minor),
            Some(5_700)
        );
        assert_eq!(batch.collection_date, date(d));
        let mut ids: Vec<String> = prepared
            .payments
            .iter()
            .map(|p| p.instalment_id.clone())
            .collect();
        ids.sort();
        let mut due = vec![s.instalments[0].id.clone(), s2.instalments[0].id.clone()];
        due.sort();
        assert_eq!(ids, due);
        for p in &prepared.payments {
            assert_eq!(p.status, pb::PaymentStatus::Exported as i32);
            assert_eq!(p.attempt_number, 1);
            assert_eq!(p.batch_id, batch.id);
            assert!(p.mandate_id == m.id || p.mandate_id == m2.id);
            assert_eq!(p.collection_date, date(d));
            assert_eq!(p.sequence_type, ev::SequenceType::Frst as i32);
            assert_eq!(p.end_to_end_id.len(), 33);
        }
        assert_ne!(
            prepared.payments[0].end_to_end_id,
            prepared.payments[1].end_to_end_id
        );
        let err = env.prepare(admin, &account.id, d).await.expect_err("taken");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let schedule = env
            .client()
            .get_schedule(env.req(
                admin,
                pb::GetScheduleRequest {
                    schedule_id: s.id.clone(),
                },
            ))
            .await
            .expect("schedule")
            .into_inner()
            .schedule
            .expect("schedule");
        let statuses: Vec<i32> = schedule.instalments.iter().map(|i| i.status).collect();
        let submitted = pb::InstalmentStatus::Submitted as i32;
        let planned = pb::InstalmentStatus::Planned as i32;
        assert_eq!(statuses, [submitted, planned]);
        let waiting = env
            .client()
            .get_schedule(env.req(
                admin,
                pb::GetScheduleRequest {
                    schedule_id: s2.id.clone(),
                },
            ))
            .await
            .expect("schedule")
            .into_inner()
            .schedule
            .expect("schedule");
        let statuses: Vec<i32> = waiting.instalments.iter().map(|i| i.status).collect();
        assert_eq!(
            statuses,
            [submitted, planned],
            "the second waits for the FRST"
        );
        let listed = env
            .client()
            .list_payments(env.req(
                admin,
                pb::ListPaymentsRequest {
                    batch_id: batch.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner()
            .payments;
        assert_eq!(listed.len(), 2);
    }
}

/// A mandate that lapses (36 months since its signature, never used) before the
/// collection date is marked EXPIRED by PrepareBatch, with mandate.revoked, and its
/// instalments are not collected.
#[tokio::test]
async fn prepare_batch_expires_lapsed_mandates() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let d = collection_date();
        let signed = today().checked_sub_months(Months::new(36)).expect("date") + Days::new(5);
        let mut request = env.mandate_request(&account.id, &umr(), &iban());
        request.signature_date = date(signed);
        let m = env.create_mandate(admin, request).await.expect("mandate");
        env.schedule(admin, &m, &[(d, 1_000)]).await;
        let err = env
            .prepare(admin, &account.id, d)
            .await
            .expect_err("lapsed");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let read = env.get_mandate(admin, &m.id).await.expect("get");
        assert_eq!(read.status, ev::MandateStatus::Expired as i32);
        let events = env.outbox(admin.org, "mandate.revoked").await;
        assert_eq!(events.len(), 1);
        let event: ev::MandateRevoked = decode(&events[0]);
        assert_eq!(event.status, ev::MandateStatus::Expired as i32);
    }
}

/// PrepareBatch gives the batch's mandates their last collection date, before the
/// file is exported: a one-off mandate in a prepared batch is not taken by the next
/// one, and a recurrent mandate shows the date at once.
#[tokio::test]
async fn prepare_batch_records_the_mandates_collection() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let d = collection_date();
        let d2 = next_target(d);
        let mut request = env.mandate_request(&account.id, &umr(), &iban());
        request.r#type = ev::MandateType::OneOff as i32;
        let once = env.create_mandate(admin, request).await.expect("one-off");
        env.schedule(admin, &once, &[(d, 2_500), (d2, 2_500)]).await;
        let recurrent = env.mandate(admin, &account.id).await;
        env.schedule(admin, &recurrent, &[(d, 1_000)]).await;
        assert_eq!(
            env.get_mandate(admin, &once.id)
                .await
                .expect("get")
                .last_collection_date,
            None
        );

        let prepared = env.prepare(admin, &account.id, d).await.expect("prepare");
        assert_eq!(prepared.payments.len(), 2);
        let one_off: Vec<_> = prepared
            .payments
            .iter()
            .filter(|p| p.mandate_id == once.id)
            .collect();
        assert_eq!(one_off.len(), 1);
        assert_eq!(one_off[0].sequence_type, ev::SequenceType::Ooff as i32);
        for m in [&once, &recurrent] {
            let read = env.get_mandate(admin, &m.id).await.expect("get");
            assert_eq!(read.last_collection_date, date(d), "before the export");
        }

        // The batch is not exported yet: the one-off mandate's second instalment stays.
        let err = env
            .prepare(admin, &account.id, d2)
            .await
            .expect_err("a one-off mandate is used once");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let batch = prepared.batch.expect("batch");
        env.export(admin, &batch.id, pb::PainVersion::V02).await;
        let read = env.get_mandate(admin, &once.id).await.expect("get");
        assert_eq!(read.last_collection_date, date(d));
    }
}

/// ExportBatch writes a valid pain.008.001.02 with one PmtInf per sequence type and
/// instrument, group totals equal to the sums, marks the payments SUBMITTED with
/// payment.submitted each, and returns the same bytes on a second export; another
/// version is refused; .001.08 validates too.
#[tokio::test]
async fn export_writes_a_valid_file_once() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let d = collection_date();
        let d2 = next_target(d);
        // b has a settled collection before: RCUR in the second batch.
        let b = env.mandate(admin, &account.id).await;
        env.schedule(admin, &b, &[(d, 1_000), (d2, 2_000)]).await;
        let first = env.prepare(admin, &account.id, d).await.expect("prepare");
        let first_id = first.batch.expect("batch").id;
        env.export(admin, &first_id, pb::PainVersion::V02).await;
        let ids: Vec<String> = first.payments.iter().map(|p| p.id.clone()).collect();
        env.settle(admin, &ids, d).await;

        let a = env.mandate(admin, &account.id).await;
        env.schedule(admin, &a, &[(d2, 3_000)]).await;
        let mut b2b = env.mandate_request(&account.id, &umr(), &iban());
        b2b.scheme = ev::MandateScheme::B2b as i32;
        b2b.bic = "AGRIFRPP".into();
        let c = env.create_mandate(admin, b2b).await.expect("b2b");
        env.schedule(admin, &c, &[(d2, 4_050)]).await;
        let prepared = env.prepare(admin, &account.id, d2).await.expect("prepare");
        let batch = prepared.batch.expect("batch");
        let sequence = |mandate: &str| {
            prepared
                .payments
                .iter()
                .find(|p| p.mandate_id == mandate)
                .map(|p| p.sequence_type)
        };
        assert_eq!(sequence(&a.id), Some(ev::SequenceType::Frst as i32));
        assert_eq!(sequence(&b.id), Some(ev::SequenceType::Rcur as i32));
        assert_eq!(sequence(&c.id), Some(ev::SequenceType::Frst as i32));

        let exported = env.export(admin, &batch.id, pb::PainVersion::V02).await;
        let xml = String::from_utf8(exported.xml.clone()).expect("utf-8");
        assert!(xml.contains("pain.008.001.02"));
        assert_eq!(count(&xml, "<PmtInf>"), 3, "CORE FRST, CORE RCUR, B2B FRST");
        assert_eq!(count(&xml, "<DrctDbtTxInf>"), 3);
        assert!(xml.contains("<GrpHdr>"));
        let header =
            &xml[xml.find("<GrpHdr>").expect("header")..xml.find("</GrpHdr>").expect("end")];
        assert!(header.contains("<NbOfTxs>3</NbOfTxs>"), "{header}");
        assert!(header.contains("<CtrlSum>90.50</CtrlSum>"), "{header}");
        assert!(xml.contains(&format!("<MsgId>{}</MsgId>", batch.message_id)));
        assert!(xml.contains("<Cd>B2B</Cd>") && xml.contains("<Cd>CORE</Cd>"));
        assert!(
            xml.contains("<Nm>Emilie Durand-Lefevre</Nm>"),
            "names are transliterated"
        );
        assert!(xml.contains("Contrat C-2026-000042 echeance"));
        assert!(xml.contains(&format!("<ReqdColltnDt>{d2}</ReqdColltnDt>")));
        assert_eq!(exported.sha256.len(), 64);
        let exported_batch = exported.batch.expect("batch");
        assert_eq!(exported_batch.status, pb::BatchStatus::Exported as i32);
        assert_eq!(exported_batch.sha256, exported.sha256);

        let again = env.export(admin, &batch.id, pb::PainVersion::V02).await;
        assert_eq!(again.xml, exported.xml, "the same file");
        assert_eq!(again.sha256, exported.sha256);
        let err = env
            .client()
            .export_batch(env.req(
                admin,
                pb::ExportBatchRequest {
                    batch_id: batch.id.clone(),
                    version: pb::PainVersion::V08 as i32,
                },
            ))
            .await
            .expect_err("another version");
        assert_eq!(err.code(), Code::FailedPrecondition);

        for p in &prepared.payments {
            let read = env.payment(admin, &p.id).await.expect("payment");
            assert_eq!(read.status, pb::PaymentStatus::Submitted as i32);
        }
        let submitted = env.outbox(admin.org, "payment.submitted").await;
        assert_eq!(submitted.len(), 4, "one per payment of both batches");
        let last: ev::PaymentSubmitted = decode(&submitted[3]);
        assert_eq!(last.collection_date, date(d2));
        assert_eq!(last.attempt_number, 1);
        assert!(!last.end_to_end_id.is_empty());
        let mandate = env.get_mandate(admin, &a.id).await.expect("mandate");
        assert_eq!(mandate.last_collection_date, date(d2));

        // The same kind of batch in .001.08.
        let d3 = next_target(d2);
        let e = env.mandate(admin, &account.id).await;
        env.schedule(admin, &e, &[(d3, 12_345)]).await;
        let prepared = env.prepare(admin, &account.id, d3).await.expect("prepare");
        let v08 = env
            .export(
                admin,
                &prepared.batch.expect("batch").id,
                pb::PainVersion::V08,
            )
            .await;
        let xml = String::from_utf8(v08.xml).expect("utf-8");
        assert!(xml.contains("pain.008.001.08"));
        assert!(xml.contains("<CtrlSum>123.45</CtrlSum>"));

        let err = env
            .client()
            .export_batch(env.req(
                Member::admin(),
                pb::ExportBatchRequest {
                    batch_id: batch.id.clone(),
                    version: 0,
                },
            ))
            .await
            .expect_err("other organisation");
        assert_eq!(err.code(), Code::NotFound);
        let err = env
            .client()
            .export_batch(env.req(
                admin,
                pb::ExportBatchRequest {
                    batch_id: "x".into(),
                    version: 7,
                },
            ))
            .await
            .expect_err("invalid");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["batch_id", "version"]);
    }
}

/// Exports of one batch racing each other write one file: every caller gets its bytes,
/// and each payment is submitted, with its payment.submitted, once.
#[tokio::test]
async fn concurrent_exports_write_one_file() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let d = collection_date();
        for amount in [1_000, 2_000, 3_000] {
            let m = env.mandate(admin, &account.id).await;
            env.schedule(admin, &m, &[(d, amount)]).await;
        }
        let prepared = env.prepare(admin, &account.id, d).await.expect("prepare");
        let batch = prepared.batch.expect("batch");
        let env = &env;
        let batch_id = batch.id.as_str();
        let files = futures::future::join_all(
            (0..8).map(|_| async move { env.export(admin, batch_id, pb::PainVersion::V02).await }),
        )
        .await;
        let first = &files[0];
        assert_eq!(
            count(&String::from_utf8_lossy(&first.xml), "<DrctDbtTxInf>"),
            3
        );
        for f in &files {
            assert_eq!(f.xml, first.xml, "one file");
            assert_eq!(f.sha256, first.sha256);
        }
        let submitted = env.outbox(admin.org, "payment.submitted").await;
        assert_eq!(submitted.len(), 3, "one per payment");
        for p in &prepared.payments {
            let read = env.payment(admin, &p.id).await.expect("payment");
            assert_eq!(read.status, pb::PaymentStatus::Submitted as i32);
        }
        let read = env
            .client()
            .get_batch(env.req(
                admin,
                pb::GetBatchRequest {
                    batch_id: batch.id.clone(),
                },
            ))
            .await
            .expect("batch")
            .into_inner()
            .batch
            .expect("batch");
        assert_eq!(read.status, pb::BatchStatus::Exported as i32);
        assert_eq!(read.sha256, first.sha256);
    }
}

/// A mandate collects FRST, then RCUR once a collection settled; after an IBAN change
/// (and a new reference) the next collection is FRST again and carries the amendment
/// details, which the one after no longer carries.
#[tokio::test]
async fn sequence_types_follow_settlements_and_amendments() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let d1 = collection_date();
        let d2 = next_target(d1);
        let d3 = next_target(d2);
        let d4 = next_target(d3);
        let original_iban = crm_sepa::testing::fr_iban(424_242);
        let m = env
            .create_mandate(
                admin,
                env.mandate_request(&account.id, &umr(), &original_iban),
            )
            .await
            .expect("mandate");
        env.schedule(
            admin,
            &m,
            &[(d1, 1_000), (d2, 1_000), (d3, 1_000), (d4, 1_000)],
        )
        .await;
        let collect = |on: NaiveDate| {
            let env = &env;
            let account = account.id.clone();
            async move {
                let prepared = env.prepare(admin, &account, on).await.expect("prepare");
                let id = prepared.batch.expect("batch").id;
                let xml = env.export(admin, &id, pb::PainVersion::V02).await.xml;
                (prepared.payments, String::from_utf8(xml).expect("utf-8"))
            }
        };
        let (p1, x1) = collect(d1).await;
        assert!(x1.contains("<SeqTp>FRST</SeqTp>"));
        assert!(x1.contains("<AmdmntInd>false</AmdmntInd>"));
        // The FRST is still with the bank: the next collection waits.
        let err = env
            .prepare(admin, &account.id, d2)
            .await
            .expect_err("FRST pending");
        assert_eq!(err.code(), Code::FailedPrecondition);
        env.settle(admin, &[p1[0].id.clone()], d1).await;
        let (_, x2) = collect(d2).await;
        assert!(x2.contains("<SeqTp>RCUR</SeqTp>"), "one collection settled");

        let new_iban = crm_sepa::testing::fr_iban(535_353);
        let new_reference = umr();
        env.client()
            .amend_mandate(env.req(
                admin,
                pb::AmendMandateRequest {
                    mandate_id: m.id.clone(),
                    new_iban: new_iban.clone(),
                    new_bic: String::new(),
                    new_reference: new_reference.clone(),
                },
            ))
            .await
            .expect("amend");
        let (p3, x3) = collect(d3).await;
        assert_eq!(p3[0].sequence_type, ev::SequenceType::Frst as i32);
        assert!(x3.contains("<SeqTp>FRST</SeqTp>"), "{x3}");
        assert!(x3.contains("<AmdmntInd>true</AmdmntInd>"), "{x3}");
        assert!(x3.contains(&format!("<OrgnlMndtId>{}</OrgnlMndtId>", m.reference)));
        assert!(x3.contains(&format!("<MndtId>{new_reference}</MndtId>")));
        assert!(
            x3.contains("<OrgnlDbtrAcct>"),
            "same bank: the original IBAN"
        );
        assert!(x3.contains(&original_iban));
        assert!(x3.contains(&new_iban));
        let read = env.get_mandate(admin, &m.id).await.expect("mandate");
        assert!(
            read.pending_amendment.is_none(),
            "the amendment travelled once"
        );
        let err = env
            .prepare(admin, &account.id, d4)
            .await
            .expect_err("FRST pending");
        assert_eq!(err.code(), Code::FailedPrecondition);
        env.settle(admin, &[p3[0].id.clone()], d3).await;
        let (p4, x4) = collect(next_target(d4)).await;
        assert_eq!(p4.len(), 1);
        assert!(
            x4.contains("<SeqTp>RCUR</SeqTp>"),
            "the new account's FRST settled"
        );
        assert!(
            !x4.contains("AmdmntInfDtls"),
            "carried on the next collection only"
        );
    }
}

/// The calendar service down makes PrepareBatch UNAVAILABLE, with nothing written.
#[tokio::test]
async fn prepare_batch_needs_the_calendar() {
    for mut env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let m = env.mandate(admin, &account.id).await;
        let d = collection_date();
        env.schedule(admin, &m, &[(d, 1_000)]).await;
        env.calendar.halt().await.expect("halt");
        let err = env
            .prepare(admin, &account.id, d)
            .await
            .expect_err("calendar down");
        assert_eq!(err.code(), Code::Unavailable, "{err:?}");
        let batches = env
            .client()
            .list_batches(env.req(admin, pb::ListBatchesRequest::default()))
            .await
            .expect("list")
            .into_inner()
            .batches;
        assert!(batches.is_empty());
    }
}
