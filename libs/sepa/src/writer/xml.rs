//! The XML text of a checked batch: element names and order exactly as the
//! pain.008.001.02 and .001.08 schemas give them, two-space indentation, text escaped.

use std::fmt::Write;

use crm_shared::{Currency, Money};

use super::Group;
use super::check::{Checked, CheckedAmendment, CheckedTransaction};
use crate::model::Version;

/// `FinInstnId/Othr/Id` of an agent whose BIC is not given.
const NOT_PROVIDED: &str = "NOTPROVIDED";
/// `OrgnlDbtrAgt/FinInstnId/Othr/Id` of a debtor who moved to another bank: "same
/// mandate, new debtor account".
const SMNDA: &str = "SMNDA";
/// Bytes written per transaction (about 830 without an amendment), to size the buffer
/// once.
const BYTES_PER_TRANSACTION: usize = 1_000;

/// Returns the document of `checked`, its transactions in `groups`.
pub(super) fn render(checked: &Checked<'_>, groups: &[Group], version: Version) -> String {
    let mut xml = Xml {
        out: String::with_capacity(4_096 + checked.transactions.len() * BYTES_PER_TRANSACTION),
        depth: 0,
    };
    xml.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(xml.out, "<Document xmlns=\"{}\">", version.namespace());
    xml.depth = 1;
    xml.open("CstmrDrctDbtInitn");
    group_header(&mut xml, checked, groups);
    for group in groups {
        payment_info(&mut xml, checked, group, version);
    }
    xml.close("CstmrDrctDbtInitn");
    xml.depth = 0;
    xml.out.push_str("</Document>\n");
    xml.out
}

fn group_header(xml: &mut Xml, checked: &Checked<'_>, groups: &[Group]) {
    let count: usize = groups.iter().map(|g| g.members.len()).sum();
    xml.open("GrpHdr");
    xml.leaf("MsgId", checked.message_id);
    xml.leaf("CreDtTm", &checked.created_at);
    xml.leaf("NbOfTxs", &count.to_string());
    xml.leaf("CtrlSum", &amount(checked.control_sum_minor));
    xml.open("InitgPty");
    xml.leaf("Nm", &checked.initiating_party);
    xml.close("InitgPty");
    xml.close("GrpHdr");
}

fn payment_info(xml: &mut Xml, checked: &Checked<'_>, group: &Group, version: Version) {
    xml.open("PmtInf");
    xml.leaf("PmtInfId", &group.id);
    xml.leaf("PmtMtd", "DD");
    xml.leaf("NbOfTxs", &group.members.len().to_string());
    xml.leaf("CtrlSum", &amount(group.control_sum_minor));
    xml.open("PmtTpInf");
    xml.open("SvcLvl");
    xml.leaf("Cd", "SEPA");
    xml.close("SvcLvl");
    xml.open("LclInstrm");
    xml.leaf("Cd", group.instrument.code());
    xml.close("LclInstrm");
    xml.leaf("SeqTp", group.sequence.code());
    xml.close("PmtTpInf");
    xml.leaf("ReqdColltnDt", &group.collection_date.to_string());
    xml.open("Cdtr");
    xml.leaf("Nm", &checked.creditor_name);
    xml.close("Cdtr");
    account(xml, "CdtrAcct", &checked.creditor_iban);
    agent(xml, "CdtrAgt", checked.creditor_bic.as_deref(), version);
    xml.leaf("ChrgBr", "SLEV");
    scheme_id(xml, "CdtrSchmeId", &checked.creditor_id);
    for tx in group
        .members
        .iter()
        .filter_map(|i| checked.transactions.get(*i))
    {
        transaction(xml, tx, version);
    }
    xml.close("PmtInf");
}

fn transaction(xml: &mut Xml, tx: &CheckedTransaction<'_>, version: Version) {
    xml.open("DrctDbtTxInf");
    xml.open("PmtId");
    xml.leaf("EndToEndId", tx.end_to_end_id);
    xml.close("PmtId");
    xml.indent();
    let _ = writeln!(
        xml.out,
        "<InstdAmt Ccy=\"EUR\">{}</InstdAmt>",
        amount(tx.amount_minor)
    );
    xml.open("DrctDbtTx");
    xml.open("MndtRltdInf");
    xml.leaf("MndtId", tx.mandate_id);
    xml.leaf("DtOfSgntr", &tx.mandate_signed_on.to_string());
    xml.leaf(
        "AmdmntInd",
        if tx.amendment.is_some() {
            "true"
        } else {
            "false"
        },
    );
    if let Some(amendment) = &tx.amendment {
        amendment_details(xml, amendment);
    }
    xml.close("MndtRltdInf");
    xml.close("DrctDbtTx");
    agent(xml, "DbtrAgt", tx.debtor_bic.as_deref(), version);
    xml.open("Dbtr");
    xml.leaf("Nm", &tx.debtor_name);
    xml.close("Dbtr");
    account(xml, "DbtrAcct", &tx.debtor_iban);
    if !tx.remittance.is_empty() {
        xml.open("RmtInf");
        xml.leaf("Ustrd", &tx.remittance);
        xml.close("RmtInf");
    }
    xml.close("DrctDbtTxInf");
}

/// `AmdmntInfDtls`, its children in schema order.
fn amendment_details(xml: &mut Xml, amendment: &CheckedAmendment<'_>) {
    xml.open("AmdmntInfDtls");
    if let Some(id) = amendment.original_mandate_id {
        xml.leaf("OrgnlMndtId", id);
    }
    if let Some(id) = &amendment.original_creditor_id {
        scheme_id(xml, "OrgnlCdtrSchmeId", id);
    }
    if let Some(iban) = &amendment.original_debtor_iban {
        account(xml, "OrgnlDbtrAcct", iban);
    }
    if amendment.same_mandate_new_account {
        xml.open("OrgnlDbtrAgt");
        xml.open("FinInstnId");
        other_id(xml, SMNDA);
        xml.close("FinInstnId");
        xml.close("OrgnlDbtrAgt");
    }
    xml.close("AmdmntInfDtls");
}

/// An agent: its BIC (`BIC` in .02, `BICFI` in .08) or `Othr/Id = NOTPROVIDED`.
fn agent(xml: &mut Xml, tag: &str, bic: Option<&str>, version: Version) {
    xml.open(tag);
    xml.open("FinInstnId");
    match bic {
        Some(bic) => xml.leaf(
            match version {
                Version::V02 => "BIC",
                Version::V08 => "BICFI",
            },
            bic,
        ),
        None => other_id(xml, NOT_PROVIDED),
    }
    xml.close("FinInstnId");
    xml.close(tag);
}

fn other_id(xml: &mut Xml, id: &str) {
    xml.open("Othr");
    xml.leaf("Id", id);
    xml.close("Othr");
}

fn account(xml: &mut Xml, tag: &str, iban: &str) {
    xml.open(tag);
    xml.open("Id");
    xml.leaf("IBAN", iban);
    xml.close("Id");
    xml.close(tag);
}

/// A SEPA creditor identifier: `Id/PrvtId/Othr/(Id, SchmeNm/Prtry = SEPA)`.
fn scheme_id(xml: &mut Xml, tag: &str, creditor_id: &str) {
    xml.open(tag);
    xml.open("Id");
    xml.open("PrvtId");
    xml.open("Othr");
    xml.leaf("Id", creditor_id);
    xml.open("SchmeNm");
    xml.leaf("Prtry", "SEPA");
    xml.close("SchmeNm");
    xml.close("Othr");
    xml.close("PrvtId");
    xml.close("Id");
    xml.close(tag);
}

/// Returns cents as a decimal string with two decimals, through [`Money`]: no floats.
fn amount(cents: i64) -> String {
    Money::new(cents, Currency::EUR).format_decimal()
}

/// An indenting XML text builder. Element names are constants of this module; text is
/// escaped.
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn open(&mut self, tag: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, tag: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }

    fn leaf(&mut self, tag: &str, text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }
}

/// Appends `text` with the characters XML gives a meaning escaped. Checked text is in
/// the SEPA set, where only `'` could matter (and not in element content); escaping
/// anyway keeps the writer safe whatever reaches it.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_characters() {
        let mut out = String::new();
        escape_into(&mut out, "a&b<c>d\"e'f");
        assert_eq!(out, "a&amp;b&lt;c&gt;d&quot;e'f");
    }

    #[test]
    fn amounts_are_exact_decimal_strings() {
        assert_eq!(amount(1), "0.01");
        assert_eq!(amount(10), "0.10");
        assert_eq!(amount(100), "1.00");
        assert_eq!(amount(123_456), "1234.56");
        assert_eq!(amount(99_999_999_999), "999999999.99");
        assert_eq!(amount(999_999_999_999_999_999), "9999999999999999.99");
    }

    #[test]
    fn builder_indents_and_nests() {
        let mut xml = Xml {
            out: String::new(),
            depth: 0,
        };
        xml.open("A");
        xml.leaf("B", "x&y");
        xml.close("A");
        assert_eq!(xml.out, "<A>\n  <B>x&amp;y</B>\n</A>\n");
    }
}
