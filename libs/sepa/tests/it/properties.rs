//! Properties of random valid batches: figures add up, the PmtInf blocks partition the
//! transactions, every text is in the SEPA set, and a sample validates against the XSD.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use crm_sepa::testing;
use crm_sepa::{
    Amendment, Batch, LocalInstrument, MAX_AMOUNT_MINOR, SequenceType, Transaction, Version,
    write_pain008,
};
use crm_shared::validate::is_sepa_charset;
use proptest::prelude::*;

/// Characters names and remittance texts are drawn from: SEPA text, accents, other
/// scripts, XML markup, whitespace and characters with no replacement. None expands to
/// more than three characters, which keeps generated texts within their limits.
const CHARS: &[char] = &[
    'a', 'Z', '7', ' ', '/', '-', '?', ':', '(', ')', '.', ',', '\'', '+', 'é', 'È', 'ß', 'Ø', 'œ',
    'ñ', 'Ł', 'ü', 'Ω', 'щ', 'Ж', '李', '👍', '&', '<', '>', '"', '%', '@', '€', '\t', '\n',
    '\u{a0}', '\u{200b}', '_', '—', '«', '’',
];

fn text(max_chars: usize) -> impl Strategy<Value = String> {
    (
        prop::char::range('A', 'Z'),
        prop::collection::vec(prop::sample::select(CHARS), 0..max_chars),
    )
        .prop_map(|(first, rest)| std::iter::once(first).chain(rest).collect())
}

/// A reference with a slash in the middle, unique through its number.
fn reference(prefix: &'static str, n: usize) -> impl Strategy<Value = String> {
    "[A-Za-z0-9?:().,'+-]{1,20}".prop_map(move |tail| format!("{prefix}{n}/{tail}"))
}

fn amendment(n: usize) -> impl Strategy<Value = Option<Amendment>> {
    prop::option::weighted(
        0.3,
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            move |(mandate, creditor, iban, smnda)| Amendment {
                original_mandate_id: mandate.then(|| format!("OLD-{n}")),
                original_creditor_id: creditor.then(|| "DE98ZZZ09999999999".to_owned()),
                original_debtor_iban: iban.then(|| testing::de_iban(n as u64)),
                // At least one change.
                same_mandate_new_account: smnda || !(mandate || creditor || iban),
            },
        ),
    )
}

fn transaction(n: usize, version: Version) -> impl Strategy<Value = Transaction> {
    let sequences: Vec<SequenceType> = SequenceType::ALL
        .into_iter()
        .filter(|s| s.is_allowed_in(version))
        .collect();
    (
        reference("E", n),
        1..=MAX_AMOUNT_MINOR,
        amendment(n),
        text(20),
        prop::option::of(prop::sample::select(vec![
            "BNPAFRPP",
            "SOGEFRPPXXX",
            "DEUTDEFF",
            "CRLYFRPP",
        ])),
        prop::option::of(text(40)),
        prop::sample::select(sequences),
        1u64..40,
        prop::sample::select(LocalInstrument::ALL.to_vec()),
    )
        .prop_map(
            move |(
                end_to_end_id,
                amount_minor,
                amendment,
                debtor_name,
                bic,
                remittance,
                sequence,
                days,
                instrument,
            )| Transaction {
                end_to_end_id,
                amount_minor,
                mandate_id: format!("UMR-{n}"),
                mandate_signed_on: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
                amendment,
                debtor_name,
                debtor_iban: testing::fr_iban(n as u64),
                debtor_bic: bic.map(str::to_owned),
                remittance: remittance.unwrap_or_default(),
                sequence,
                collection_date: testing::created_at().date_naive() + Days::new(days),
                instrument,
            },
        )
}

fn batch(version: Version, max: usize) -> impl Strategy<Value = Batch> {
    (1..=max)
        .prop_flat_map(move |count| {
            let transactions: Vec<_> = (0..count).map(|n| transaction(n, version)).collect();
            (
                "[A-Z0-9][A-Za-z0-9-]{0,33}",
                text(20),
                prop::option::of(prop::sample::select(vec!["BNPAFRPP", "CRLYFRPPXXX"])),
                transactions,
            )
        })
        .prop_map(|(message_id, initiating_party, bic, transactions)| {
            let mut creditor = testing::creditor();
            creditor.bic = bic.map(str::to_owned);
            Batch {
                message_id,
                created_at: testing::created_at(),
                initiating_party,
                creditor,
                transactions,
            }
        })
}

fn version() -> impl Strategy<Value = Version> {
    prop::sample::select(Version::ALL.to_vec())
}

/// Returns every text node of `xml` (between a `>` and the next `<`), without the
/// indentation.
fn text_nodes(xml: &str) -> Vec<&str> {
    xml.split('>')
        .filter_map(|chunk| chunk.split('<').next())
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The header and every block add up, and the blocks partition the transactions by
    /// (date, instrument, sequence type).
    #[test]
    fn figures_add_up_and_blocks_partition((version, batch) in version().prop_flat_map(|v| (Just(v), batch(v, 30)))) {
        let document = write_pain008(&batch, version).expect("valid batch");
        let by_id: BTreeMap<&str, &Transaction> = batch
            .transactions
            .iter()
            .map(|tx| (tx.end_to_end_id.as_str(), tx))
            .collect();
        prop_assert_eq!(document.number_of_transactions, batch.transactions.len() as u64);
        prop_assert_eq!(
            document.control_sum_minor,
            batch.transactions.iter().map(|tx| tx.amount_minor).sum::<i64>()
        );
        let mut seen = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for info in &document.payment_infos {
            prop_assert!(keys.insert((info.collection_date, info.instrument, info.sequence)));
            prop_assert_eq!(info.number_of_transactions, info.end_to_end_ids.len() as u64);
            let mut sum = 0;
            for id in &info.end_to_end_ids {
                prop_assert!(seen.insert(id.clone()));
                let tx = by_id[id.as_str()];
                prop_assert_eq!(
                    (tx.collection_date, tx.instrument, tx.sequence),
                    (info.collection_date, info.instrument, info.sequence)
                );
                sum += tx.amount_minor;
            }
            prop_assert_eq!(info.control_sum_minor, sum);
            prop_assert!(info.id.len() <= 35);
        }
        prop_assert_eq!(seen.len(), batch.transactions.len());
        prop_assert_eq!(
            document.xml.matches("<DrctDbtTxInf>").count(),
            batch.transactions.len()
        );
        prop_assert_eq!(document.xml.matches("<PmtInf>").count(), document.payment_infos.len());
    }

    /// Every text of the document is in the SEPA character set, whatever the input.
    #[test]
    fn every_text_is_in_the_sepa_charset((version, batch) in version().prop_flat_map(|v| (Just(v), batch(v, 10)))) {
        let document = write_pain008(&batch, version).expect("valid batch");
        let body = document.xml.split_once("?>").map_or("", |(_, body)| body);
        for text in text_nodes(body) {
            prop_assert!(is_sepa_charset(text), "{:?}", text);
        }
    }
}

proptest! {
    // Each case runs xmllint: a sample is enough.
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// A sample of random batches validates against the XSD of its version.
    #[test]
    fn random_batches_validate_against_the_xsd((version, batch) in version().prop_flat_map(|v| (Just(v), batch(v, 25)))) {
        let document = write_pain008(&batch, version).expect("valid batch");
        prop_assert_eq!(testing::validate(&document.xml, version), Ok(()));
    }
}
