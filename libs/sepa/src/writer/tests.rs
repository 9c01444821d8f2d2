//! Unit tests of the writer's rules. XSD validation lives in `tests/it`.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::*;
use crate::model::{Amendment, Transaction};
use crate::testing;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Returns the problems of `batch` in `version` as (field, description) pairs.
fn problems(batch: &Batch, version: Version) -> Vec<(String, String)> {
    match write_pain008(batch, version) {
        Ok(_) => Vec::new(),
        Err(error) => error.field_violations(),
    }
}

fn fields(batch: &Batch, version: Version) -> BTreeSet<String> {
    problems(batch, version)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

fn one_transaction(edit: impl FnOnce(&mut Transaction)) -> Batch {
    let mut batch = testing::batch(1);
    edit(&mut batch.transactions[0]);
    batch
}

#[test]
fn a_valid_batch_has_no_problem() {
    for version in Version::ALL {
        assert_eq!(problems(&testing::batch(5), version), []);
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut batch = testing::batch(3);
    batch.message_id = "/MSG".into();
    batch.initiating_party = " ".into();
    batch.creditor.iban = "FR76 0000".into();
    batch.creditor.creditor_id = "FR07ZZZ519993".into();
    batch.transactions[0].amount_minor = 0;
    batch.transactions[0].debtor_iban = "DE00 1234".into();
    batch.transactions[2].mandate_id = "UMR//1".into();
    batch.transactions[2].sequence = SequenceType::Rpre;
    let found = fields(&batch, Version::V02);
    let expected: BTreeSet<String> = [
        "message_id",
        "initiating_party",
        "creditor.iban",
        "creditor.creditor_id",
        "transactions[0].amount_minor",
        "transactions[0].debtor_iban",
        "transactions[2].mandate_id",
        "transactions[2].sequence",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(found, expected);
    let error = write_pain008(&batch, Version::V02).unwrap_err();
    assert_eq!(error.problems.len(), 8);
    assert_eq!(error.problems[0].field, "message_id");
}

#[test]
fn identifiers_follow_the_slash_rules() {
    for bad in ["/E2E1", "E2E1/", "E2E//1", "/"] {
        let batch = one_transaction(|tx| tx.end_to_end_id = bad.into());
        assert_eq!(
            problems(&batch, Version::V02),
            [(
                "transactions[0].end_to_end_id".to_owned(),
                "must not start or end with '/' or contain '//'".to_owned()
            )],
            "{bad}"
        );
    }
    for good in ["E2E/1", "A/B/C", "2026/03/000001"] {
        let batch = one_transaction(|tx| tx.mandate_id = good.into());
        assert_eq!(problems(&batch, Version::V02), [], "{good}");
    }
    let mut batch = testing::batch(1);
    batch.message_id = "MSG//2026".into();
    batch.transactions[0].amendment = Some(Amendment {
        original_mandate_id: Some("OLD/".into()),
        ..Amendment::default()
    });
    assert_eq!(
        fields(&batch, Version::V02),
        BTreeSet::from([
            "message_id".to_owned(),
            "transactions[0].amendment.original_mandate_id".to_owned()
        ])
    );
}

#[test]
fn identifiers_are_max35_sepa_text_never_converted() {
    let batch = one_transaction(|tx| tx.end_to_end_id = "E".repeat(36));
    assert_eq!(
        problems(&batch, Version::V02)[0].1,
        "must have between 1 and 35 characters, got 36"
    );
    let batch = one_transaction(|tx| tx.end_to_end_id = "E".repeat(35));
    assert_eq!(problems(&batch, Version::V02), []);
    let batch = one_transaction(|tx| tx.mandate_id = "MANDAT-É1".into());
    assert_eq!(
        problems(&batch, Version::V02),
        [(
            "transactions[0].mandate_id".to_owned(),
            "character 'É' is not allowed".to_owned()
        )]
    );
    let batch = one_transaction(|tx| tx.end_to_end_id = String::new());
    assert_eq!(problems(&batch, Version::V02)[0].1, "is required");
}

#[test]
fn amounts_are_bounded_eur_cents() {
    for ok in [MIN_AMOUNT_MINOR, 100, MAX_AMOUNT_MINOR] {
        let batch = one_transaction(|tx| tx.amount_minor = ok);
        assert_eq!(problems(&batch, Version::V02), [], "{ok}");
    }
    for bad in [0, -1, MAX_AMOUNT_MINOR + 1, i64::MIN, i64::MAX] {
        let batch = one_transaction(|tx| tx.amount_minor = bad);
        assert_eq!(
            fields(&batch, Version::V02),
            BTreeSet::from(["transactions[0].amount_minor".to_owned()]),
            "{bad}"
        );
    }
    let batch = one_transaction(|tx| tx.amount_minor = MAX_AMOUNT_MINOR);
    let document = write_pain008(&batch, Version::V02).unwrap();
    assert!(
        document
            .xml
            .contains("<InstdAmt Ccy=\"EUR\">999999999.99</InstdAmt>")
    );
    assert!(document.xml.contains("<CtrlSum>999999999.99</CtrlSum>"));
}

#[test]
fn texts_are_transliterated_then_measured() {
    let batch = one_transaction(|tx| {
        tx.debtor_name = "Zoé Größe & Cie".into();
        tx.remittance = "Échéance n° 3 – mars".into();
    });
    let xml = write_pain008(&batch, Version::V02).unwrap().xml;
    assert!(xml.contains("<Nm>Zoe Grosse + Cie</Nm>"), "{xml}");
    assert!(xml.contains("<Ustrd>Echeance n. 3 - mars</Ustrd>"), "{xml}");
    assert!(xml.contains("<Nm>Assurances Dupont + Fils</Nm>"));

    // 35 × "ß" is 70 characters once converted: the limit.
    let batch = one_transaction(|tx| tx.debtor_name = "ß".repeat(35));
    assert_eq!(problems(&batch, Version::V02), []);
    let batch = one_transaction(|tx| tx.debtor_name = "ß".repeat(36));
    assert_eq!(
        problems(&batch, Version::V02),
        [(
            "transactions[0].debtor_name".to_owned(),
            "must have at most 70 characters once converted to the sepa character set, got 72"
                .to_owned()
        )]
    );
    let batch = one_transaction(|tx| tx.remittance = "r".repeat(141));
    assert_eq!(
        fields(&batch, Version::V02),
        BTreeSet::from(["transactions[0].remittance".to_owned()])
    );
    let batch = one_transaction(|tx| tx.debtor_name = "  ".into());
    assert_eq!(problems(&batch, Version::V02)[0].1, "is required");
    let batch = one_transaction(|tx| tx.debtor_name = "\u{200b}".into());
    assert_eq!(
        problems(&batch, Version::V02)[0].1,
        "has nothing left once converted to the sepa character set"
    );
    // An empty remittance is allowed and leaves RmtInf out.
    let batch = one_transaction(|tx| tx.remittance = String::new());
    let xml = write_pain008(&batch, Version::V02).unwrap().xml;
    assert!(!xml.contains("RmtInf"));
}

#[test]
fn bank_identifiers_are_normalised_and_checked_per_version() {
    let batch = one_transaction(|tx| {
        tx.debtor_iban = tx.debtor_iban.to_lowercase();
        tx.debtor_iban.insert(4, ' ');
        tx.debtor_bic = Some("sogefrpp".into());
    });
    let xml = write_pain008(&batch, Version::V02).unwrap().xml;
    assert!(xml.contains(&format!("<IBAN>{}</IBAN>", testing::fr_iban(1_000))));
    assert!(xml.contains("<BIC>SOGEFRPP</BIC>"));

    // A valid ISO 9362 BIC whose location code starts with 1 fails the .02 pattern.
    let batch = one_transaction(|tx| tx.debtor_bic = Some("BNPAFR1A".into()));
    assert_eq!(
        problems(&batch, Version::V02),
        [(
            "transactions[0].debtor_bic".to_owned(),
            "is not a bic pain.008.001.02 accepts".to_owned()
        )]
    );
    assert_eq!(problems(&batch, Version::V08), []);
    let batch = one_transaction(|tx| tx.debtor_bic = Some("BNPA".into()));
    assert_eq!(
        problems(&batch, Version::V08)[0].1,
        "bic must have 8 or 11 characters, got 4"
    );
}

#[test]
fn agents_without_bic_are_not_provided() {
    let mut batch = testing::batch(2);
    batch.creditor.bic = None;
    for tx in &mut batch.transactions {
        tx.debtor_bic = None;
    }
    for version in Version::ALL {
        let xml = write_pain008(&batch, version).unwrap().xml;
        assert_eq!(
            xml.matches("<Id>NOTPROVIDED</Id>").count(),
            3,
            "{version:?}"
        );
        assert!(!xml.contains("<BIC>") && !xml.contains("<BICFI>"));
    }
    let batch = testing::batch(2);
    let v02 = write_pain008(&batch, Version::V02).unwrap().xml;
    let v08 = write_pain008(&batch, Version::V08).unwrap().xml;
    assert!(v02.contains("<BIC>BNPAFRPP</BIC>") && !v02.contains("BICFI"));
    assert!(v08.contains("<BICFI>BNPAFRPP</BICFI>") && !v08.contains("<BIC>"));
    assert!(v02.contains("xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.008.001.02\""));
    assert!(v08.contains("xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.008.001.08\""));
}

#[test]
fn rpre_exists_only_in_v08() {
    let batch = one_transaction(|tx| tx.sequence = SequenceType::Rpre);
    assert_eq!(
        problems(&batch, Version::V02),
        [(
            "transactions[0].sequence".to_owned(),
            "RPRE is not allowed in pain.008.001.02".to_owned()
        )]
    );
    let xml = write_pain008(&batch, Version::V08).unwrap().xml;
    assert!(xml.contains("<SeqTp>RPRE</SeqTp>"));
}

#[test]
fn duplicates_are_refused() {
    let mut batch = testing::batch(3);
    batch.transactions[2].end_to_end_id = batch.transactions[0].end_to_end_id.clone();
    assert_eq!(
        problems(&batch, Version::V02),
        [(
            "transactions[2].end_to_end_id".to_owned(),
            "duplicates transactions[0].end_to_end_id".to_owned()
        )]
    );
    let mut batch = testing::batch(3);
    for tx in &mut batch.transactions {
        tx.mandate_id = "UMR-SAME".into();
    }
    // Several RCUR on one mandate are fine (instalments); two FRST are not.
    assert_eq!(problems(&batch, Version::V02), []);
    batch.transactions[0].sequence = SequenceType::Frst;
    batch.transactions[1].sequence = SequenceType::Frst;
    assert_eq!(
        fields(&batch, Version::V02),
        BTreeSet::from(["transactions[1].sequence".to_owned()])
    );
}

#[test]
fn dates_are_consistent() {
    let created = testing::created_at().date_naive();
    let batch = one_transaction(|tx| tx.mandate_signed_on = tx.collection_date.succ_opt().unwrap());
    assert_eq!(
        problems(&batch, Version::V02)[0].1,
        "must not be after the collection date"
    );
    let batch = one_transaction(|tx| tx.mandate_signed_on = created.succ_opt().unwrap());
    assert_eq!(
        problems(&batch, Version::V02)[0].1,
        "must not be after the message creation date"
    );
    let batch = one_transaction(|tx| tx.mandate_signed_on = created);
    assert_eq!(problems(&batch, Version::V02), []);
    for bad in [created, created.pred_opt().unwrap()] {
        let batch = one_transaction(|tx| {
            tx.collection_date = bad;
            tx.mandate_signed_on = d(2025, 1, 1);
        });
        assert_eq!(
            fields(&batch, Version::V02),
            BTreeSet::from(["transactions[0].collection_date".to_owned()])
        );
    }
}

#[test]
fn amendments_need_a_real_change() {
    let batch = one_transaction(|tx| tx.amendment = Some(Amendment::default()));
    assert_eq!(
        problems(&batch, Version::V02),
        [(
            "transactions[0].amendment".to_owned(),
            "must give at least one original value or same_mandate_new_account".to_owned()
        )]
    );
    let batch = one_transaction(|tx| {
        tx.amendment = Some(Amendment {
            original_mandate_id: Some(tx.mandate_id.clone()),
            original_creditor_id: Some("fr72 zzz 123456".into()),
            original_debtor_iban: Some(tx.debtor_iban.clone()),
            same_mandate_new_account: false,
        })
    });
    let found = problems(&batch, Version::V02);
    assert_eq!(
        found,
        [
            (
                "transactions[0].amendment.original_mandate_id".to_owned(),
                "equals the current mandate id".to_owned()
            ),
            (
                "transactions[0].amendment.original_creditor_id".to_owned(),
                "equals the current creditor identifier".to_owned()
            ),
            (
                "transactions[0].amendment.original_debtor_iban".to_owned(),
                "equals the current debtor iban".to_owned()
            ),
        ]
    );
    let batch = one_transaction(|tx| {
        tx.amendment = Some(Amendment {
            original_creditor_id: Some("FR07ZZZ519993".into()),
            original_debtor_iban: Some("FR7630006000011234567890188".into()),
            ..Amendment::default()
        })
    });
    assert_eq!(
        fields(&batch, Version::V02),
        BTreeSet::from([
            "transactions[0].amendment.original_creditor_id".to_owned(),
            "transactions[0].amendment.original_debtor_iban".to_owned(),
        ])
    );
}

#[test]
fn amendments_are_written_in_schema_order() {
    let batch = one_transaction(|tx| {
        tx.amendment = Some(Amendment {
            original_mandate_id: Some("UMR-OLD-1".into()),
            original_creditor_id: Some("DE98ZZZ09999999999".into()),
            original_debtor_iban: Some(testing::fr_iban(77)),
            same_mandate_new_account: true,
        })
    });
    let xml = write_pain008(&batch, Version::V02).unwrap().xml;
    let order = [
        "<AmdmntInd>true</AmdmntInd>",
        "<OrgnlMndtId>UMR-OLD-1</OrgnlMndtId>",
        "<OrgnlCdtrSchmeId>",
        "<Id>DE98ZZZ09999999999</Id>",
        "<OrgnlDbtrAcct>",
        &format!("<IBAN>{}</IBAN>", testing::fr_iban(77)),
        "<OrgnlDbtrAgt>",
        "<Id>SMNDA</Id>",
        "</AmdmntInfDtls>",
    ];
    let mut from = 0;
    for needle in order {
        let at = xml[from..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} after {from}"));
        from += at + needle.len();
    }
    let plain = write_pain008(&testing::batch(1), Version::V02).unwrap().xml;
    assert!(plain.contains("<AmdmntInd>false</AmdmntInd>"));
    assert!(!plain.contains("AmdmntInfDtls"));
}

/// Builds transactions over two dates, two instruments and two sequence types.
fn mixed_batch() -> Batch {
    let mut batch = testing::batch(16);
    for (n, tx) in batch.transactions.iter_mut().enumerate() {
        tx.collection_date = if n % 2 == 0 {
            d(2026, 3, 16)
        } else {
            d(2026, 3, 20)
        };
        tx.instrument = if n % 4 < 2 {
            LocalInstrument::Core
        } else {
            LocalInstrument::B2b
        };
        tx.sequence = if n % 8 < 4 {
            SequenceType::Rcur
        } else {
            SequenceType::Ooff
        };
    }
    batch
}

#[test]
fn one_payment_info_per_date_instrument_and_sequence() {
    let batch = mixed_batch();
    let document = write_pain008(&batch, Version::V02).unwrap();
    let keys: Vec<_> = document
        .payment_infos
        .iter()
        .map(|p| (p.collection_date, p.instrument, p.sequence))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "ordered and distinct");
    assert_eq!(keys.len(), 8);
    assert_eq!(document.xml.matches("<PmtInf>").count(), 8);
    // A partition: every transaction in exactly one block, with the block's key.
    let mut seen = BTreeSet::new();
    for info in &document.payment_infos {
        assert_eq!(info.number_of_transactions, 2);
        let mut sum = 0;
        for id in &info.end_to_end_ids {
            assert!(seen.insert(id.clone()), "{id} twice");
            let tx = batch
                .transactions
                .iter()
                .find(|t| &t.end_to_end_id == id)
                .unwrap();
            assert_eq!(
                (tx.collection_date, tx.instrument, tx.sequence),
                (info.collection_date, info.instrument, info.sequence)
            );
            sum += tx.amount_minor;
        }
        assert_eq!(info.control_sum_minor, sum);
    }
    assert_eq!(seen.len(), 16);
    let total: i64 = batch.transactions.iter().map(|t| t.amount_minor).sum();
    assert_eq!(document.control_sum_minor, total);
    assert_eq!(document.number_of_transactions, 16);
}

#[test]
fn output_does_not_depend_on_input_order() {
    let batch = mixed_batch();
    let mut reversed = batch.clone();
    reversed.transactions.reverse();
    let a = write_pain008(&batch, Version::V08).unwrap();
    let b = write_pain008(&reversed, Version::V08).unwrap();
    assert_eq!(a, b);
    // Inside a block, transactions follow their end-to-end ids.
    for info in &a.payment_infos {
        let mut sorted = info.end_to_end_ids.clone();
        sorted.sort();
        assert_eq!(info.end_to_end_ids, sorted);
    }
}

#[test]
fn payment_info_ids_derive_from_the_message_id() {
    assert_eq!(payment_info_id("MSG-1", 1), "MSG-1-001");
    assert_eq!(payment_info_id("MSG-1", 1234), "MSG-1-1234");
    let long = "M".repeat(35);
    assert_eq!(payment_info_id(&long, 7), format!("{}-007", "M".repeat(31)));
    assert_eq!(payment_info_id(&long, 1000).len(), 35);
    let mut batch = mixed_batch();
    batch.message_id = long;
    let document = write_pain008(&batch, Version::V02).unwrap();
    let ids: BTreeSet<_> = document
        .payment_infos
        .iter()
        .map(|p| p.id.clone())
        .collect();
    assert_eq!(ids.len(), 8);
    for id in ids {
        assert!(id.len() <= 35);
        assert!(document.xml.contains(&format!("<PmtInfId>{id}</PmtInfId>")));
    }
}

#[test]
fn header_figures_and_fixed_codes() {
    let document = write_pain008(&testing::batch(3), Version::V02).unwrap();
    let xml = &document.xml;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document "));
    assert!(xml.contains("<MsgId>MSG-2026-03-02-0001</MsgId>"));
    assert!(xml.contains("<CreDtTm>2026-03-02T09:30:00Z</CreDtTm>"));
    // 1000 + 1001 + 1002 cents.
    assert_eq!(xml.matches("<NbOfTxs>3</NbOfTxs>").count(), 2);
    assert_eq!(xml.matches("<CtrlSum>30.03</CtrlSum>").count(), 2);
    assert!(xml.contains("<Nm>Cabinet Etoile Courtage</Nm>"));
    for fixed in [
        "<PmtMtd>DD</PmtMtd>",
        "<Cd>SEPA</Cd>",
        "<Cd>CORE</Cd>",
        "<SeqTp>RCUR</SeqTp>",
        "<ReqdColltnDt>2026-03-16</ReqdColltnDt>",
        "<ChrgBr>SLEV</ChrgBr>",
        "<Id>FR72ZZZ123456</Id>",
        "<Prtry>SEPA</Prtry>",
        "<DtOfSgntr>2025-11-03</DtOfSgntr>",
        "<InstdAmt Ccy=\"EUR\">10.00</InstdAmt>",
    ] {
        assert!(xml.contains(fixed), "{fixed}");
    }
    assert_eq!(document.message_id, "MSG-2026-03-02-0001");
    assert_eq!(document.control_sum_minor, 3_003);
}

#[test]
fn validation_alone_reports_the_same_problems() {
    let batch = one_transaction(|tx| tx.amount_minor = 0);
    let written = write_pain008(&batch, Version::V02).unwrap_err();
    let validated = validate_batch(&batch, Version::V02).unwrap_err();
    assert_eq!(written, validated);
    assert_eq!(validate_batch(&testing::batch(2), Version::V08), Ok(()));
}

#[test]
fn an_empty_batch_is_refused() {
    let mut batch = testing::batch(0);
    batch.transactions.clear();
    assert_eq!(
        problems(&batch, Version::V02),
        [(
            "transactions".to_owned(),
            "must hold at least one transaction".to_owned()
        )]
    );
}
