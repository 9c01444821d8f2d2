//! What the other services say of a contract's references, and the rules built on it:
//! the client must exist (and not be archived), the sales agent must be active, every
//! product must exist, not be archived and have a price on the pricing date, all in one
//! currency. Each problem is a (field, description) pair, so all are reported at once.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use super::{ClientKind, Frequency, Line, LineRequest, Money};

/// Problems found: (field, description).
pub type Problems = Vec<(String, String)>;

/// What the clients service says of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientFacts {
    /// Person or company.
    pub kind: ClientKind,
    /// Whether it is archived.
    pub archived: bool,
}

/// What the commerciaux service says of a sales agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommercialFacts {
    /// Whether the agent is active.
    pub active: bool,
}

/// What the payments service says of a SEPA mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MandateFacts {
    /// Whether it can be collected on (ACTIVE).
    pub active: bool,
    /// The client it was signed by.
    pub client_id: Option<Uuid>,
}

/// What the products service says of a product, with its price on the pricing date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFacts {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Whether it is archived.
    pub archived: bool,
    /// Billing frequency; `None` for one-off products.
    pub billing_frequency: Option<Frequency>,
    /// VAT category key.
    pub vat_category: String,
    /// The price on the pricing date, when one is in force.
    pub price: Option<Money>,
}

/// Records a problem with the client at `field`; `None` means the clients service does
/// not know it in the caller's organisation (or, for an agent, among their clients).
pub fn check_client(found: Option<&ClientFacts>, field: &str, out: &mut Problems) {
    match found {
        None => out.push((
            field.to_owned(),
            "no such client in the organisation".into(),
        )),
        Some(c) if c.archived => out.push((field.to_owned(), "the client is archived".into())),
        Some(_) => {}
    }
}

/// Records why the mandate (`found`) cannot carry a contract of `client`, if it cannot:
/// a SEPA contract is signed only with an active mandate of its own client.
pub fn check_mandate(found: Option<&MandateFacts>, client: Uuid, field: &str, out: &mut Problems) {
    match found {
        None => out.push((
            field.to_owned(),
            "no such mandate in the organisation".into(),
        )),
        Some(m) if m.client_id != Some(client) => {
            out.push((field.to_owned(), "the mandate is another client's".into()))
        }
        Some(m) if !m.active => out.push((field.to_owned(), "the mandate is not active".into())),
        Some(_) => {}
    }
}

/// Records a problem with the sales agent at `field`.
pub fn check_commercial(found: Option<&CommercialFacts>, field: &str, out: &mut Problems) {
    match found {
        None => out.push((
            field.to_owned(),
            "no such sales agent in the organisation".into(),
        )),
        Some(c) if !c.active => {
            out.push((field.to_owned(), "the sales agent is not active".into()))
        }
        Some(_) => {}
    }
}

/// Returns the lines of `requested` priced from `products` (the facts of each product,
/// `None` when unknown) on `priced_on`, recording a problem per unusable line at
/// `<prefix>[i].product_id`. Products in `keep` are not priced again: they keep their
/// line's product details and price, with the requested quantity (an amendment changing
/// a quantity keeps the signed price).
pub fn price_lines(
    requested: &[LineRequest],
    products: &HashMap<Uuid, Option<ProductFacts>>,
    keep: &[Line],
    priced_on: NaiveDate,
    prefix: &str,
    out: &mut Problems,
) -> Vec<Line> {
    let mut lines = Vec::with_capacity(requested.len());
    let mut currency: Option<String> = None;
    for (i, r) in requested.iter().enumerate() {
        let field = format!("{prefix}[{i}].product_id");
        let line = match keep.iter().find(|l| l.product_id == r.product_id) {
            Some(kept) => Line {
                quantity: r.quantity,
                ..kept.clone()
            },
            None => match products.get(&r.product_id) {
                None | Some(None) => {
                    out.push((field, "no such product in the organisation".into()));
                    continue;
                }
                Some(Some(p)) if p.archived => {
                    out.push((field, "the product is archived".into()));
                    continue;
                }
                Some(Some(p)) => match &p.price {
                    None => {
                        out.push((field, format!("the product has no price on {priced_on}")));
                        continue;
                    }
                    Some(price) => Line {
                        product_id: r.product_id,
                        quantity: r.quantity,
                        product_code: p.code.clone(),
                        product_name: p.name.clone(),
                        unit_price: price.clone(),
                        billing_frequency: p.billing_frequency,
                        vat_category: p.vat_category.clone(),
                    },
                },
            },
        };
        let code = &line.unit_price.currency_code;
        match &currency {
            Some(first) if first != code => out.push((
                field,
                format!("the product is priced in {code}, the contract's other lines in {first}"),
            )),
            Some(_) => {}
            None => currency = Some(code.clone()),
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(amount_minor: i64) -> Money {
        Money {
            currency_code: "EUR".into(),
            amount_minor,
        }
    }

    fn product(code: &str, price: Option<Money>, archived: bool) -> ProductFacts {
        ProductFacts {
            code: code.into(),
            name: format!("Product {code}"),
            archived,
            billing_frequency: Some(Frequency::Monthly),
            vat_category: "exempt".into(),
            price,
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 1).expect("date")
    }

    #[test]
    fn lines_take_the_catalogue_price_and_details() {
        let id = Uuid::now_v7();
        let products = HashMap::from([(id, Some(product("SANTE", Some(eur(4_990)), false)))]);
        let mut out = Problems::new();
        let lines = price_lines(
            &[LineRequest {
                product_id: id,
                quantity: 2,
            }],
            &products,
            &[],
            day(),
            "contract.lines",
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(lines[0].unit_price, eur(4_990));
        assert_eq!(lines[0].product_code, "SANTE");
        assert_eq!(lines[0].quantity, 2);
        assert_eq!(lines[0].vat_category, "exempt");
    }

    #[test]
    fn every_unusable_line_is_reported() {
        let (missing, archived, unpriced, dollars, ok) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let usd = Money {
            currency_code: "USD".into(),
            amount_minor: 100,
        };
        let products = HashMap::from([
            (missing, None),
            (archived, Some(product("OLD", Some(eur(1)), true))),
            (unpriced, Some(product("NEW", None, false))),
            (ok, Some(product("OK", Some(eur(1)), false))),
            (dollars, Some(product("USD", Some(usd), false))),
        ]);
        let requested: Vec<LineRequest> = [ok, missing, archived, unpriced, dollars]
            .into_iter()
            .map(|product_id| LineRequest {
                product_id,
                quantity: 1,
            })
            .collect();
        let mut out = Problems::new();
        let lines = price_lines(&requested, &products, &[], day(), "lines", &mut out);
        let fields: Vec<&str> = out.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "lines[1].product_id",
                "lines[2].product_id",
                "lines[3].product_id",
                "lines[4].product_id"
            ]
        );
        assert!(out[2].1.contains("2026-05-01"));
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn kept_lines_keep_their_price_with_the_new_quantity() {
        let id = Uuid::now_v7();
        let signed = Line {
            product_id: id,
            quantity: 1,
            product_code: "SANTE".into(),
            product_name: "Santé".into(),
            unit_price: eur(1_000),
            billing_frequency: Some(Frequency::Monthly),
            vat_category: "exempt".into(),
        };
        let mut out = Problems::new();
        // The catalogue now says something else; the kept line does not ask it.
        let products = HashMap::from([(id, Some(product("SANTE", Some(eur(9_999)), true)))]);
        let lines = price_lines(
            &[LineRequest {
                product_id: id,
                quantity: 3,
            }],
            &products,
            std::slice::from_ref(&signed),
            day(),
            "lines",
            &mut out,
        );
        assert!(out.is_empty());
        assert_eq!(lines[0].unit_price, eur(1_000));
        assert_eq!(lines[0].quantity, 3);
    }

    #[test]
    fn references_must_be_usable() {
        let mut out = Problems::new();
        check_client(None, "client_id", &mut out);
        check_client(
            Some(&ClientFacts {
                kind: ClientKind::Person,
                archived: true,
            }),
            "client_id",
            &mut out,
        );
        check_client(
            Some(&ClientFacts {
                kind: ClientKind::Company,
                archived: false,
            }),
            "client_id",
            &mut out,
        );
        check_commercial(None, "commercial_id", &mut out);
        check_commercial(
            Some(&CommercialFacts { active: false }),
            "commercial_id",
            &mut out,
        );
        check_commercial(
            Some(&CommercialFacts { active: true }),
            "commercial_id",
            &mut out,
        );
        assert_eq!(out.len(), 4);
    }
}
