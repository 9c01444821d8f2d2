//! Test support (feature `testsuite`): validation of pain.008 documents against the
//! bundled ISO 20022 schemas with `xmllint`, and valid sample data.
//!
//! `xmllint` (libxml2) must be on the `PATH`: without it validation fails, it is never
//! skipped.

// Test helpers report broken fixtures by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use chrono::{NaiveDate, TimeZone, Utc};
use crm_shared::validate::{build_iban, rib_key};

use crate::model::{Batch, Creditor, LocalInstrument, SequenceType, Transaction, Version};

/// Returns the path of the bundled XSD of `version` (`libs/sepa/schemas/`).
pub fn schema_path(version: Version) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(format!("{}.xsd", version.message_name()))
}

/// Validates `xml` against the XSD of `version` with
/// `xmllint --noout --nonet --stream --schema <xsd> -`; returns xmllint's report on
/// failure, or why it could not run.
pub fn validate(xml: &str, version: Version) -> Result<(), String> {
    let schema = schema_path(version);
    let mut child = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        // Streaming keeps memory flat for the 100,000-transaction benchmark file.
        .arg("--stream")
        .arg("--schema")
        .arg(&schema)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run xmllint (libxml2-utils is required): {e}"))?;
    let mut stdin = child.stdin.take().ok_or("xmllint has no stdin")?;
    // Write from another thread: xmllint may fill its stderr pipe before reading all
    // of a large document.
    let output = std::thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(xml.as_bytes()));
        let output = child.wait_with_output();
        let written = writer.join();
        (output, written)
    });
    let (output, written) = output;
    let output = output.map_err(|e| format!("xmllint failed: {e}"))?;
    let report = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        return Err(format!(
            "{} rejects the document ({}):\n{report}",
            schema.display(),
            output.status
        ));
    }
    match written {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("writing to xmllint failed: {e}")),
        Err(_) => Err("the thread writing to xmllint panicked".to_owned()),
    }
}

/// Panics with xmllint's report unless `xml` validates against the XSD of `version`.
pub fn assert_valid(xml: &str, version: Version) {
    if let Err(report) = validate(xml, version) {
        panic!("{} document is not valid: {report}", version.message_name());
    }
}

/// Returns a valid French IBAN, a different one for each `n` (bank 30006, branch
/// 00001, account `n`).
pub fn fr_iban(n: u64) -> String {
    let account = format!("{:011}", n % 100_000_000_000);
    let key = rib_key("30006", "00001", &account).expect("rib key");
    build_iban("FR", &format!("3000600001{account}{key:02}"))
        .expect("iban")
        .into_string()
}

/// Returns a valid German IBAN, a different one for each `n`.
pub fn de_iban(n: u64) -> String {
    build_iban("DE", &format!("37040044{:010}", n % 10_000_000_000))
        .expect("iban")
        .into_string()
}

/// The sample message's creation instant: 2 March 2026, 09:30 UTC.
pub fn created_at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap()
}

/// The sample collection date: Monday 16 March 2026, 14 days after [`created_at`].
pub fn collection_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 16).unwrap()
}

/// Returns a creditor with a valid IBAN, BIC and ICS (`FR72ZZZ123456`).
pub fn creditor() -> Creditor {
    Creditor {
        name: "Assurances Dupont & Fils".to_owned(),
        iban: fr_iban(1),
        bic: Some("BNPAFRPP".to_owned()),
        creditor_id: "FR72ZZZ123456".to_owned(),
    }
}

/// Returns valid transaction number `n`: RCUR, CORE, on [`collection_date`], with a
/// debtor name and remittance text that need transliterating.
pub fn transaction(n: u64) -> Transaction {
    Transaction {
        end_to_end_id: format!("E2E-{n:08}"),
        amount_minor: 1_000 + i64::try_from(n % 100_000).unwrap(),
        mandate_id: format!("UMR-2026-{n:08}"),
        mandate_signed_on: NaiveDate::from_ymd_opt(2025, 11, 3).unwrap(),
        amendment: None,
        debtor_name: format!("Zoé Müller-Größe {n}"),
        debtor_iban: fr_iban(1_000 + n),
        debtor_bic: n.is_multiple_of(2).then(|| "SOGEFRPP".to_owned()),
        remittance: format!("Prime d'assurance échéance mars 2026 n° {n}"),
        sequence: SequenceType::Rcur,
        collection_date: collection_date(),
        instrument: LocalInstrument::Core,
    }
}

/// Returns a valid batch of `count` [`transaction`]s for [`creditor`].
pub fn batch(count: u64) -> Batch {
    Batch {
        message_id: "MSG-2026-03-02-0001".to_owned(),
        created_at: created_at(),
        initiating_party: "Cabinet Étoile Courtage".to_owned(),
        creditor: creditor(),
        transactions: (0..count).map(transaction).collect(),
    }
}
