//! Generated documents validate against the pain.008.001.02 and .001.08 XSDs, and the
//! validation really rejects what the schemas forbid.

use chrono::NaiveDate;
use crm_sepa::testing::{self, assert_valid, validate};
use crm_sepa::{Amendment, Batch, Document, LocalInstrument, SequenceType, Version, write_pain008};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Writes `batch` in `version` and validates it against the version's XSD.
fn write_valid(batch: &Batch, version: Version) -> Document {
    let document = write_pain008(batch, version).expect("valid batch");
    assert_valid(&document.xml, version);
    document
}

/// The sample batch (debtor BICs on every other transaction) validates in both versions.
#[test]
fn sample_batches_validate_in_both_versions() {
    for version in Version::ALL {
        let document = write_valid(&testing::batch(10), version);
        assert_eq!(document.number_of_transactions, 10);
        assert_eq!(document.payment_infos.len(), 1);
    }
}

/// Without any BIC, creditor and debtor agents carry NOTPROVIDED, which both schemas
/// accept.
#[test]
fn batches_without_bic_validate() {
    let mut batch = testing::batch(4);
    batch.creditor.bic = None;
    for tx in &mut batch.transactions {
        tx.debtor_bic = None;
    }
    for version in Version::ALL {
        let document = write_valid(&batch, version);
        assert_eq!(document.xml.matches("NOTPROVIDED").count(), 5);
    }
}

/// Eleven-character BICs (with a branch code) validate as BIC and as BICFI.
#[test]
fn branch_bics_validate() {
    let mut batch = testing::batch(2);
    batch.creditor.bic = Some("BNPAFRPPXXX".into());
    batch.transactions[1].debtor_bic = Some("DEUTDEFF500".into());
    for version in Version::ALL {
        write_valid(&batch, version);
    }
}

/// Every kind of amendment, alone and all together, validates in both versions.
#[test]
fn amendments_validate() {
    let kinds = [
        Amendment {
            original_mandate_id: Some("UMR-OLD-0001".into()),
            ..Amendment::default()
        },
        Amendment {
            original_creditor_id: Some("DE98ZZZ09999999999".into()),
            ..Amendment::default()
        },
        Amendment {
            original_debtor_iban: Some(testing::de_iban(42)),
            ..Amendment::default()
        },
        Amendment {
            same_mandate_new_account: true,
            ..Amendment::default()
        },
        Amendment {
            original_mandate_id: Some("UMR/OLD/0002".into()),
            original_creditor_id: Some("DE98ZZZ09999999999".into()),
            original_debtor_iban: Some(testing::fr_iban(99_999)),
            same_mandate_new_account: true,
        },
    ];
    let mut batch = testing::batch(kinds.len() as u64);
    for (tx, amendment) in batch.transactions.iter_mut().zip(kinds) {
        tx.amendment = Some(amendment);
        tx.sequence = SequenceType::Frst;
    }
    for version in Version::ALL {
        let document = write_valid(&batch, version);
        assert_eq!(
            document.xml.matches("<AmdmntInd>true</AmdmntInd>").count(),
            5
        );
        assert_eq!(document.xml.matches("<Id>SMNDA</Id>").count(), 2);
        assert_eq!(document.xml.matches("<OrgnlCdtrSchmeId>").count(), 2);
    }
}

/// Several dates, both instruments and every sequence type give several PmtInf blocks,
/// each valid; RPRE only in .08.
#[test]
fn several_payment_infos_validate() {
    let dates = [d(2026, 3, 16), d(2026, 3, 17), d(2026, 4, 7)];
    let instruments = LocalInstrument::ALL;
    for version in Version::ALL {
        let sequences: Vec<SequenceType> = SequenceType::ALL
            .into_iter()
            .filter(|s| s.is_allowed_in(version))
            .collect();
        let count = dates.len() * instruments.len() * sequences.len();
        let mut batch = testing::batch(count as u64);
        let mut n = 0;
        for date in dates {
            for instrument in instruments {
                for sequence in &sequences {
                    let tx = &mut batch.transactions[n];
                    tx.collection_date = date;
                    tx.instrument = instrument;
                    tx.sequence = *sequence;
                    n += 1;
                }
            }
        }
        let document = write_valid(&batch, version);
        assert_eq!(document.payment_infos.len(), count);
        assert_eq!(document.xml.matches("<PmtInf>").count(), count);
        assert_eq!(
            document
                .payment_infos
                .iter()
                .map(|p| p.number_of_transactions)
                .sum::<u64>(),
            count as u64
        );
        assert_eq!(
            document.xml.contains("<SeqTp>RPRE</SeqTp>"),
            version == Version::V08
        );
        assert!(document.xml.contains("<Cd>B2B</Cd>"));
    }
}

/// Values at the limits validate: the largest amount, 35-character identifiers,
/// 70-character names, 140 characters of remittance using every SEPA punctuation sign.
#[test]
fn limits_validate() {
    let mut batch = testing::batch(2);
    batch.message_id = "M".repeat(35);
    batch.initiating_party = "I".repeat(70);
    batch.creditor.name = "C".repeat(70);
    let tx = &mut batch.transactions[0];
    tx.amount_minor = 99_999_999_999;
    tx.end_to_end_id = format!("E/{}", "e".repeat(33));
    tx.mandate_id = format!("{}/U", "u".repeat(33));
    tx.debtor_name = "Ø".repeat(70);
    let punctuation = "/-?:().,'+ ";
    tx.remittance = punctuation.repeat(140 / punctuation.len());
    tx.remittance.push_str("abc");
    tx.remittance.truncate(140);
    batch.transactions[1].amount_minor = 1;
    for version in Version::ALL {
        let document = write_valid(&batch, version);
        assert_eq!(document.control_sum_minor, 100_000_000_000);
        assert!(document.xml.contains("<CtrlSum>1000000000.00</CtrlSum>"));
        assert!(
            document
                .xml
                .contains("<InstdAmt Ccy=\"EUR\">0.01</InstdAmt>")
        );
    }
}

/// Names full of characters outside the SEPA set, including XML markup, are converted
/// and the document stays well-formed and valid.
#[test]
fn converted_texts_validate() {
    let mut batch = testing::batch(3);
    batch.initiating_party = "<Courtage & Cie> \"Étoile\"".into();
    batch.transactions[0].debtor_name = "Ζωή Παπαδοπούλου".into();
    batch.transactions[1].debtor_name = "Йордан Щерев".into();
    batch.transactions[2].debtor_name = "李小龍 & Søren".into();
    batch.transactions[2].remittance = "Facture <F-1> & \"acompte\" 50% — payée".into();
    for version in Version::ALL {
        let document = write_valid(&batch, version);
        assert!(document.xml.contains("<Nm>(Courtage + Cie) 'Etoile'</Nm>"));
        assert!(document.xml.contains("<Nm>Zoi Papadopoulou</Nm>"));
        assert!(document.xml.contains("<Nm>Yordan Shterev</Nm>"));
        assert!(document.xml.contains("<Nm>... + Soren</Nm>"));
    }
}

/// The validation is real: documents the schemas forbid are rejected, so a passing
/// test means a valid document.
#[test]
fn invalid_documents_are_rejected() {
    let xml = write_pain008(&testing::batch(2), Version::V02).unwrap().xml;
    assert_eq!(validate(&xml, Version::V02), Ok(()));
    let broken = [
        // A payment method other than DD.
        xml.replace("<PmtMtd>DD</PmtMtd>", "<PmtMtd>TRF</PmtMtd>"),
        // RPRE does not exist in .02.
        xml.replace("<SeqTp>RCUR</SeqTp>", "<SeqTp>RPRE</SeqTp>"),
        // BICFI is the .08 tag.
        xml.replace("<BIC>", "<BICFI>")
            .replace("</BIC>", "</BICFI>"),
        // Elements out of order.
        xml.replace("<ChrgBr>SLEV</ChrgBr>\n", "").replace(
            "<PmtMtd>DD</PmtMtd>",
            "<PmtMtd>DD</PmtMtd><ChrgBr>SLEV</ChrgBr>",
        ),
        // Three decimals are not a SEPA amount, but the XSD allows five: a text one.
        xml.replace(
            "<InstdAmt Ccy=\"EUR\">10.00</InstdAmt>",
            "<InstdAmt Ccy=\"EUR\">ten</InstdAmt>",
        ),
        // Not well-formed.
        xml.replace("</GrpHdr>", ""),
    ];
    for (i, doc) in broken.iter().enumerate() {
        assert_ne!(doc, &xml, "mutation {i} changed nothing");
        assert!(
            validate(doc, Version::V02).is_err(),
            "mutation {i} validated"
        );
    }
    // A .02 document is not a .08 one.
    assert!(validate(&xml, Version::V08).is_err());
    let v08 = write_pain008(&testing::batch(2), Version::V08).unwrap().xml;
    assert!(validate(&v08, Version::V02).is_err());
}
