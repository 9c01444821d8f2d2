//! Writing a pain.008 file of 100,000 collections (target: under 5 s), once per
//! version. The file is validated against its XSD once, before measuring, so the
//! figure is for a file banks accept.
//!
//! Run with `cargo bench -p crm-sepa`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm_sepa::{Batch, SequenceType, Version, testing, write_pain008};

const TRANSACTIONS: u64 = 100_000;

/// 100,000 collections over four collection dates and three sequence types.
fn batch() -> Batch {
    let mut batch = testing::batch(TRANSACTIONS);
    for (n, tx) in batch.transactions.iter_mut().enumerate() {
        tx.collection_date = tx
            .collection_date
            .checked_add_days(chrono::Days::new((n % 4) as u64))
            .unwrap();
        tx.sequence = match n % 10 {
            0 => SequenceType::Frst,
            1 => SequenceType::Ooff,
            _ => SequenceType::Rcur,
        };
    }
    batch
}

fn write(c: &mut Criterion) {
    let batch = batch();
    for version in Version::ALL {
        let started = Instant::now();
        let document = write_pain008(&batch, version).expect("valid batch");
        let written = started.elapsed();
        testing::assert_valid(&document.xml, version);
        eprintln!(
            "{}: {} transactions, {} PmtInf, {} MB, written in {written:?}, valid against the XSD",
            version.message_name(),
            document.number_of_transactions,
            document.payment_infos.len(),
            document.xml.len() / 1_000_000
        );
    }
    let mut group = c.benchmark_group("pain008");
    group.sample_size(10);
    group.throughput(Throughput::Elements(TRANSACTIONS));
    for version in Version::ALL {
        group.bench_function(format!("write_100k_{}", version.message_name()), |b| {
            b.iter(|| write_pain008(black_box(&batch), version).expect("valid batch"))
        });
    }
    group.finish();
}

criterion_group!(benches, write);
criterion_main!(benches);
