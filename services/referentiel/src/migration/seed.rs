//! The facts the first seed migration writes, with their sources. Never edit these
//! after release: a change to a data set is a new migration (and changes the data set's
//! version, which callers cache on).

/// Countries: (ISO 3166-1 alpha-2, English name, French name, SEPA, EU member, IBAN
/// length or 0). SEPA scope and IBAN lengths as in domain-rules §0.3 (SWIFT IBAN registry
/// v101, as bundled by python-stdnum), the same table as `crm_shared::validate`; a few
/// non-SEPA countries the tenants' clients come from, with their registry IBAN length
/// or 0 where the country has no IBAN.
#[rustfmt::skip]
pub const COUNTRIES: &[(&str, &str, &str, bool, bool, i32)] = &[
    ("AD", "Andorra", "Andorre", true, false, 24),
    ("AE", "United Arab Emirates", "Émirats arabes unis", false, false, 23),
    ("AT", "Austria", "Autriche", true, true, 20),
    ("AU", "Australia", "Australie", false, false, 0),
    ("BE", "Belgium", "Belgique", true, true, 16),
    ("BG", "Bulgaria", "Bulgarie", true, true, 22),
    ("BR", "Brazil", "Brésil", false, false, 29),
    ("CA", "Canada", "Canada", false, false, 0),
    ("CH", "Switzerland", "Suisse", true, false, 21),
    ("CI", "Côte d'Ivoire", "Côte d'Ivoire", false, false, 0),
    ("CN", "China", "Chine", false, false, 0),
    ("CY", "Cyprus", "Chypre", true, true, 28),
    ("CZ", "Czechia", "Tchéquie", true, true, 24),
    ("DE", "Germany", "Allemagne", true, true, 22),
    ("DK", "Denmark", "Danemark", true, true, 18),
    ("DZ", "Algeria", "Algérie", false, false, 0),
    ("EE", "Estonia", "Estonie", true, true, 20),
    ("ES", "Spain", "Espagne", true, true, 24),
    ("FI", "Finland", "Finlande", true, true, 18),
    ("FR", "France", "France", true, true, 27),
    ("GB", "United Kingdom", "Royaume-Uni", true, false, 22),
    ("GI", "Gibraltar", "Gibraltar", true, false, 23),
    ("GR", "Greece", "Grèce", true, true, 27),
    ("HR", "Croatia", "Croatie", true, true, 21),
    ("HU", "Hungary", "Hongrie", true, true, 28),
    ("IE", "Ireland", "Irlande", true, true, 22),
    ("IL", "Israel", "Israël", false, false, 23),
    ("IN", "India", "Inde", false, false, 0),
    ("IS", "Iceland", "Islande", true, false, 26),
    ("IT", "Italy", "Italie", true, true, 27),
    ("JP", "Japan", "Japon", false, false, 0),
    ("LI", "Liechtenstein", "Liechtenstein", true, false, 21),
    ("LT", "Lithuania", "Lituanie", true, true, 20),
    ("LU", "Luxembourg", "Luxembourg", true, true, 20),
    ("LV", "Latvia", "Lettonie", true, true, 21),
    ("MA", "Morocco", "Maroc", false, false, 0),
    ("MC", "Monaco", "Monaco", true, false, 27),
    ("MT", "Malta", "Malte", true, true, 31),
    ("NL", "Netherlands", "Pays-Bas", true, true, 18),
    ("NO", "Norway", "Norvège", true, false, 15),
    ("PL", "Poland", "Pologne", true, true, 28),
    ("PT", "Portugal", "Portugal", true, true, 25),
    ("RO", "Romania", "Roumanie", true, true, 24),
    ("RS", "Serbia", "Serbie", false, false, 22),
    ("SE", "Sweden", "Suède", true, true, 24),
    ("SI", "Slovenia", "Slovénie", true, true, 19),
    ("SK", "Slovakia", "Slovaquie", true, true, 24),
    ("SM", "San Marino", "Saint-Marin", true, false, 27),
    ("SN", "Senegal", "Sénégal", false, false, 0),
    ("TN", "Tunisia", "Tunisie", false, false, 24),
    ("TR", "Türkiye", "Turquie", false, false, 26),
    ("UA", "Ukraine", "Ukraine", false, false, 29),
    ("US", "United States", "États-Unis", false, false, 0),
    ("VA", "Holy See", "Saint-Siège", true, false, 22),
];

/// Currencies: (ISO 4217 code, numeric code, name, minor units), per ISO 4217.
#[rustfmt::skip]
pub const CURRENCIES: &[(&str, &str, &str, i32)] = &[
    ("AED", "784", "UAE Dirham", 2),
    ("AUD", "036", "Australian Dollar", 2),
    ("BGN", "975", "Bulgarian Lev", 2),
    ("BRL", "986", "Brazilian Real", 2),
    ("CAD", "124", "Canadian Dollar", 2),
    ("CHF", "756", "Swiss Franc", 2),
    ("CNY", "156", "Yuan Renminbi", 2),
    ("CZK", "203", "Czech Koruna", 2),
    ("DKK", "208", "Danish Krone", 2),
    ("EUR", "978", "Euro", 2),
    ("GBP", "826", "Pound Sterling", 2),
    ("HUF", "348", "Forint", 2),
    ("INR", "356", "Indian Rupee", 2),
    ("ISK", "352", "Iceland Krona", 0),
    ("JPY", "392", "Yen", 0),
    ("KWD", "414", "Kuwaiti Dinar", 3),
    ("MAD", "504", "Moroccan Dirham", 2),
    ("NOK", "578", "Norwegian Krone", 2),
    ("PLN", "985", "Zloty", 2),
    ("RON", "946", "Romanian Leu", 2),
    ("SEK", "752", "Swedish Krona", 2),
    ("TND", "788", "Tunisian Dinar", 3),
    ("TRY", "949", "Turkish Lira", 2),
    ("USD", "840", "US Dollar", 2),
    ("XOF", "952", "CFA Franc BCEAO", 0),
    ("XPF", "953", "CFP Franc", 0),
];

/// French VAT rates of metropolitan France (CGI art. 278 to 281 nonies; domain-rules
/// §5.3): (country, category key, basis points, valid from, valid to or ""). The series
/// starts on 1 April 2000, when the standard rate went to 19.6 %; the categories whose
/// rate did not change then were in force before that date, which the set does not
/// cover. The standard rate went from 19.6 % to 20 % and the intermediate rate (created
/// at 7 % on 1 January 2012) to 10 % on 1 January 2014.
#[rustfmt::skip]
pub const VAT_RATES: &[(&str, &str, i32, &str, &str, &str)] = &[
    ("FR", "standard", 1960, "2000-04-01", "2014-01-01", "Taux normal : la plupart des biens et services"),
    ("FR", "standard", 2000, "2014-01-01", "", "Taux normal : la plupart des biens et services"),
    ("FR", "intermediate", 700, "2012-01-01", "2014-01-01", "Taux intermédiaire : notamment restauration, transport de voyageurs, travaux de rénovation"),
    ("FR", "intermediate", 1000, "2014-01-01", "", "Taux intermédiaire : notamment restauration, transport de voyageurs, travaux de rénovation"),
    ("FR", "reduced", 550, "2000-04-01", "", "Taux réduit : notamment la plupart des produits alimentaires"),
    ("FR", "super_reduced", 210, "2000-04-01", "", "Taux particulier : notamment médicaments remboursables et publications de presse"),
    ("FR", "exempt", 0, "2000-04-01", "", "Opérations exonérées, dont les opérations d'assurance et les prestations des courtiers et intermédiaires (CGI art. 261 C 2°)"),
];

/// French legal interest rates (taux de l'intérêt légal, Code monétaire et financier
/// L313-2, set each half-year by arrêté), in basis points: (valid from, valid to,
/// individuals, other cases). H1 2026 is the value domain-rules §5.6 gives; the earlier
/// half-years since the 2015 reform are the published arrêtés (service-public
/// "Taux de l'intérêt légal" table). H2 2026 is not in this set: a later migration adds
/// each new half-year, and until then GetLegalInterestRate answers NOT_FOUND for it.
#[rustfmt::skip]
pub const LEGAL_INTEREST_RATES: &[(&str, &str, i32, i32)] = &[
    ("2015-01-01", "2015-07-01", 406, 93),
    ("2015-07-01", "2016-01-01", 429, 99),
    ("2016-01-01", "2016-07-01", 454, 101),
    ("2016-07-01", "2017-01-01", 435, 93),
    ("2017-01-01", "2017-07-01", 416, 90),
    ("2017-07-01", "2018-01-01", 394, 90),
    ("2018-01-01", "2018-07-01", 373, 89),
    ("2018-07-01", "2019-01-01", 360, 88),
    ("2019-01-01", "2019-07-01", 340, 86),
    ("2019-07-01", "2020-01-01", 326, 87),
    ("2020-01-01", "2020-07-01", 315, 87),
    ("2020-07-01", "2021-01-01", 311, 84),
    ("2021-01-01", "2021-07-01", 314, 79),
    ("2021-07-01", "2022-01-01", 312, 76),
    ("2022-01-01", "2022-07-01", 313, 76),
    ("2022-07-01", "2023-01-01", 315, 77),
    ("2023-01-01", "2023-07-01", 447, 206),
    ("2023-07-01", "2024-01-01", 682, 422),
    ("2024-01-01", "2024-07-01", 801, 507),
    ("2024-07-01", "2025-01-01", 816, 492),
    ("2025-01-01", "2025-07-01", 721, 371),
    ("2025-07-01", "2026-01-01", 665, 276),
    ("2026-01-01", "2026-07-01", 667, 262),
];

/// ECB main refinancing operations rate (fixed rate tenders), in basis points, by the
/// date each decision took effect (ECB "Key ECB interest rates"). domain-rules gives no
/// value; the set starts in November 2013, so every half-year since 2014 has its
/// 1 January / 1 July reference, and ends with the decision effective 11 June 2025: a
/// later decision is a new migration.
#[rustfmt::skip]
pub const ECB_RATES: &[(&str, i32)] = &[
    ("2013-11-13", 25),
    ("2014-06-11", 15),
    ("2014-09-10", 5),
    ("2016-03-16", 0),
    ("2022-07-27", 50),
    ("2022-09-14", 125),
    ("2022-11-02", 200),
    ("2022-12-21", 250),
    ("2023-02-08", 300),
    ("2023-03-22", 350),
    ("2023-05-10", 375),
    ("2023-06-21", 400),
    ("2023-08-02", 425),
    ("2023-09-20", 450),
    ("2024-06-12", 425),
    ("2024-09-18", 365),
    ("2024-10-23", 340),
    ("2024-12-18", 315),
    ("2025-02-05", 290),
    ("2025-03-12", 265),
    ("2025-04-23", 240),
    ("2025-06-11", 215),
];

/// Civilities: (code, label, abbreviation, position); the codes are the names of
/// crm.clients.v1.Civility.
#[rustfmt::skip]
pub const CIVILITIES: &[(&str, &str, &str, i32)] = &[
    ("MR", "Monsieur", "M.", 1),
    ("MRS", "Madame", "Mme", 2),
    ("MX", "Mx", "Mx", 3),
];

/// French legal forms: (country, code, name, INSEE catégorie juridique or "", legal
/// person). The INSEE code is left empty where the form spans several categories (SA:
/// board of directors 5599 or management board 5699).
#[rustfmt::skip]
pub const LEGAL_FORMS: &[(&str, &str, &str, &str, bool)] = &[
    ("FR", "ASSO", "Association déclarée (loi 1901)", "9220", true),
    ("FR", "EI", "Entrepreneur individuel", "1000", false),
    ("FR", "EURL", "Entreprise unipersonnelle à responsabilité limitée", "5498", true),
    ("FR", "MICRO", "Micro-entrepreneur (régime de la micro-entreprise)", "1000", false),
    ("FR", "SA", "Société anonyme", "", true),
    ("FR", "SARL", "Société à responsabilité limitée", "5499", true),
    ("FR", "SAS", "Société par actions simplifiée", "5710", true),
    ("FR", "SASU", "Société par actions simplifiée unipersonnelle", "5720", true),
    ("FR", "SCI", "Société civile immobilière", "6540", true),
    ("FR", "SELARL", "Société d'exercice libéral à responsabilité limitée", "5485", true),
    ("FR", "SNC", "Société en nom collectif", "5202", true),
];
