//! Free text converted to the SEPA character set `[EPC-CHARSET]` (domain-rules §0.4).
//!
//! The basic set is `a-z A-Z 0-9 / - ? : ( ) . , ' +` and space. Every other character
//! is converted, one at a time, by the first rule that applies:
//! 1. whitespace and control characters become a space; zero-width characters and
//!    combining marks disappear;
//! 2. the conversion table below: `&` becomes `+` (the EPC conversion), letters with no
//!    Unicode decomposition are spelt out (`ß` → `ss`, `Æ` → `AE`, `Ø` → `O`, `Ł` → `L`,
//!    `Þ` → `TH`), Greek and Cyrillic letters are romanised letter by letter (ELOT 743
//!    with its `ου` → `ou`, and the Bulgarian streamlined system: the alphabets of
//!    SEPA members), and punctuation becomes the closest allowed sign (brackets →
//!    `( )`, quotes → `'`, dashes and `_` → `-`, `\` and `|` → `/`, `;` → `,`,
//!    `€` → `EUR`);
//! 3. the Unicode compatibility decomposition (NFKD) without its combining marks:
//!    accented letters lose their accents (`é` → `e`, `Å` → `A`), ligatures and
//!    full-width forms become plain letters (`ﬁ` → `fi`, `Ａ` → `A`), and each resulting
//!    character goes through these rules again;
//! 4. anything left, with no meaningful replacement (CJK, emoji, `%`, `@`, `*`, ...),
//!    becomes a full stop, as the EPC conversion table recommends.
//!
//! Runs of spaces then collapse to one and the ends are trimmed, so that names typed
//! with stray spaces compare and fit as expected.

use crm_shared::validate::is_sepa_char;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Returns `text` converted to the SEPA character set (see the module documentation
/// for the rules), with whitespace runs collapsed and the ends trimmed.
///
/// The result satisfies [`crm_shared::validate::is_sepa_charset`], converting it again
/// changes nothing, and text already in the set only has its spaces normalised. It may
/// be longer than the input (`ß` → `ss`): check lengths after converting.
pub fn transliterate(text: &str) -> String {
    let mut converted = String::with_capacity(text.len());
    let mut after_omicron = false;
    for c in text.chars() {
        let base = if c.is_ascii() {
            c
        } else {
            std::iter::once(c).nfd().next().unwrap_or(c)
        };
        // ELOT 743 writes the Greek digraph ου as "ou", not letter by letter.
        if after_omicron && matches!(base, 'υ' | 'Υ') {
            converted.push(if base == 'Υ' { 'U' } else { 'u' });
            after_omicron = false;
            continue;
        }
        after_omicron = matches!(base, 'ο' | 'Ο');
        convert(c, &mut converted);
    }
    collapse_spaces(&converted)
}

/// Returns `text` transliterated, then cut to at most `max_chars` characters without a
/// trailing space: a name or remittance text made to fit its field (`Nm` 70, `Ustrd`
/// 140). The pain.008 writer never cuts text itself; callers that prefer a shortened
/// name to a rejected batch prepare it with this.
pub fn fit_text(text: &str, max_chars: usize) -> String {
    let mut fitted = transliterate(text);
    // Transliterated text is ASCII, so bytes and characters agree.
    fitted.truncate(max_chars);
    fitted.truncate(fitted.trim_end().len());
    fitted
}

/// Appends the SEPA form of `c` to `out`.
fn convert(c: char, out: &mut String) {
    if is_sepa_char(c) {
        out.push(c);
    } else if c.is_whitespace() || c.is_control() {
        out.push(' ');
    } else if is_invisible(c) || is_combining_mark(c) {
        // Nothing to write: the base letter before a combining mark stays on its own.
    } else if let Some(replacement) = table(c) {
        out.push_str(replacement);
    } else if romanise(c, out) {
        // Greek or Cyrillic letter written.
    } else {
        let mut decomposed = std::iter::once(c).nfkd().peekable();
        if decomposed.peek() == Some(&c) {
            // No decomposition: nothing meaningful to write.
            out.push('.');
        } else {
            // NFKD output is fully decomposed, so this recursion is one level deep.
            for part in decomposed {
                convert(part, out);
            }
        }
    }
}

/// Zero-width and formatting characters that carry no text: soft hyphen, zero-width
/// space and joiners, word joiner, byte order mark.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// The conversion table for characters NFKD does not reduce to the basic set.
fn table(c: char) -> Option<&'static str> {
    let replacement = match c {
        // The EPC conversion of the ampersand.
        '&' => "+",
        // Latin letters without a decomposition.
        'ß' => "ss",
        'ẞ' => "SS",
        'Æ' => "AE",
        'æ' => "ae",
        'Œ' => "OE",
        'œ' => "oe",
        'Ø' => "O",
        'ø' => "o",
        'Đ' | 'Ð' => "D",
        'đ' | 'ð' => "d",
        'Þ' => "TH",
        'þ' => "th",
        'Ł' | 'Ŀ' => "L",
        'ł' | 'ŀ' => "l",
        'Ħ' => "H",
        'ħ' => "h",
        'ı' => "i",
        'ĸ' => "k",
        'Ŋ' => "N",
        'ŋ' => "n",
        'Ŧ' => "T",
        'ŧ' => "t",
        'Ə' => "E",
        'ə' => "e",
        // Punctuation: the closest allowed sign.
        '[' | '{' | '<' => "(",
        ']' | '}' | '>' => ")",
        '"' | '`' | '´' | '‘' | '’' | '‚' | '‛' | '“' | '”' | '„' | '«' | '»' | '‹' | '›' => {
            "'"
        }
        '_' | '~' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => "-",
        '\\' | '|' | '⁄' => "/",
        ';' => ",",
        '·' | '•' => ".",
        '€' => "EUR",
        _ => return None,
    };
    Some(replacement)
}

/// Appends the Latin spelling of a Greek or Cyrillic letter (capitalised for a capital)
/// and returns true, or returns false for any other character. Accented Greek letters
/// arrive here already decomposed.
fn romanise(c: char, out: &mut String) -> bool {
    let mut lower = c.to_lowercase();
    let (Some(small), None) = (lower.next(), lower.next()) else {
        return false;
    };
    let Some(latin) = cyrillic(small).or_else(|| greek(small)) else {
        return false;
    };
    if small == c {
        out.push_str(latin);
    } else {
        let mut letters = latin.chars();
        if let Some(first) = letters.next() {
            out.push(first.to_ascii_uppercase());
        }
        out.extend(letters);
    }
    true
}

/// Cyrillic lowercase letters: the Bulgarian streamlined system, plus the letters of
/// other Cyrillic alphabets.
fn cyrillic(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "h",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "sht",
        'ъ' => "a",
        'ь' => "y",
        'ю' => "yu",
        'я' => "ya",
        'ы' => "y",
        'э' => "e",
        'ё' => "yo",
        'є' => "ye",
        'і' => "i",
        'ї' => "yi",
        'ґ' => "g",
        'ђ' => "dj",
        'ј' => "j",
        'љ' => "lj",
        'њ' => "nj",
        'ћ' => "c",
        'џ' => "dz",
        'ѓ' => "gj",
        'ќ' => "kj",
        'ѕ' => "dz",
        _ => return None,
    })
}

/// Greek lowercase letters, after ELOT 743.
fn greek(c: char) -> Option<&'static str> {
    Some(match c {
        'α' => "a",
        'β' => "v",
        'γ' => "g",
        'δ' => "d",
        'ε' => "e",
        'ζ' => "z",
        'η' => "i",
        'θ' => "th",
        'ι' => "i",
        'κ' => "k",
        'λ' => "l",
        'μ' => "m",
        'ν' => "n",
        'ξ' => "x",
        'ο' => "o",
        'π' => "p",
        'ρ' => "r",
        'σ' | 'ς' => "s",
        'τ' => "t",
        'υ' => "y",
        'φ' => "f",
        'χ' => "ch",
        'ψ' => "ps",
        'ω' => "o",
        _ => return None,
    })
}

/// Returns `text` with every run of spaces made one space and no space at either end.
fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_shared::validate::is_sepa_charset;
    use proptest::prelude::*;

    #[test]
    fn accents_are_dropped() {
        assert_eq!(transliterate("Société Générale"), "Societe Generale");
        assert_eq!(
            transliterate("Müller Åström Çelik Ñúñez"),
            "Muller Astrom Celik Nunez"
        );
        assert_eq!(
            transliterate("Dvořák, Łódź, Šťastný"),
            "Dvorak, Lodz, Stastny"
        );
        // Already decomposed input: the mark goes, the letter stays.
        assert_eq!(transliterate("e\u{301}te\u{301}"), "ete");
    }

    #[test]
    fn letters_without_decomposition_are_spelt_out() {
        assert_eq!(transliterate("Straße"), "Strasse");
        assert_eq!(transliterate("GROẞ"), "GROSS");
        assert_eq!(transliterate("Ærøskøbing"), "AEroskobing");
        assert_eq!(transliterate("Œuvre, cœur"), "OEuvre, coeur");
        assert_eq!(transliterate("Þórður Đorđević"), "THordur Dordevic");
    }

    #[test]
    fn greek_and_cyrillic_are_romanised() {
        assert_eq!(transliterate("Ελλάδα"), "Ellada");
        assert_eq!(transliterate("Θεσσαλονίκη"), "Thessaloniki");
        assert_eq!(transliterate("Παπαδοπούλου ΚΟΥΡΟΣ"), "Papadopoulou KOUROS");
        assert_eq!(transliterate("София"), "Sofiya");
        assert_eq!(transliterate("Жечев Щерев"), "Zhechev Shterev");
        assert_eq!(transliterate("ЦЪРКВА"), "TsARKVA");
    }

    #[test]
    fn punctuation_becomes_the_closest_allowed_sign() {
        assert_eq!(transliterate("Dupont & Fils"), "Dupont + Fils");
        assert_eq!(transliterate("a_b~c–d—e"), "a-b-c-d-e");
        assert_eq!(transliterate("[x] {y} <z>"), "(x) (y) (z)");
        assert_eq!(transliterate("« l’été »"), "' l'ete '");
        assert_eq!(transliterate("\"quoted\""), "'quoted'");
        assert_eq!(transliterate("a\\b|c"), "a/b/c");
        assert_eq!(transliterate("a;b"), "a,b");
        assert_eq!(transliterate("12 €"), "12 EUR");
        assert_eq!(transliterate("½"), "1/2");
    }

    #[test]
    fn compatibility_forms_become_plain_letters() {
        assert_eq!(transliterate("ﬁnance"), "finance");
        assert_eq!(transliterate("ＡＢＣ１２"), "ABC12");
        assert_eq!(transliterate("m²"), "m2");
        assert_eq!(transliterate("…"), "...");
        assert_eq!(transliterate("№ 5"), "No 5");
    }

    #[test]
    fn characters_without_replacement_become_full_stops() {
        assert_eq!(transliterate("50%"), "50.");
        assert_eq!(transliterate("a@b.fr"), "a.b.fr");
        assert_eq!(transliterate("漢字"), "..");
        assert_eq!(transliterate("ok 👍"), "ok .");
        assert_eq!(transliterate("a*b=c!"), "a.b.c.");
    }

    #[test]
    fn whitespace_is_normalised() {
        assert_eq!(transliterate("  Jean \t\n Dupont\u{a0} "), "Jean Dupont");
        assert_eq!(transliterate("soft\u{ad}hyphen\u{200b}"), "softhyphen");
        assert_eq!(transliterate(""), "");
        assert_eq!(transliterate(" \t "), "");
    }

    #[test]
    fn sepa_text_is_kept() {
        let text = "Facture F-2026/000123 (acompte) : M. O'Neil, ref+1?";
        assert_eq!(transliterate(text), text);
    }

    #[test]
    fn fitting_cuts_after_converting_and_trims() {
        assert_eq!(fit_text("Straße", 5), "Stras");
        assert_eq!(fit_text("ab  cd", 3), "ab");
        assert_eq!(fit_text("Société", 70), "Societe");
        assert_eq!(fit_text("x".repeat(200).as_str(), 140).len(), 140);
    }

    proptest! {
        #[test]
        fn output_is_always_in_the_charset_and_stable(text in any::<String>()) {
            let once = transliterate(&text);
            prop_assert!(is_sepa_charset(&once), "{once:?}");
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
            prop_assert_eq!(transliterate(&once), once.clone());
        }

        #[test]
        fn latin_text_keeps_its_letters(text in "[a-zA-Z0-9àâäçéèêëîïôöùûüÿÀÂÄÇÉÈÊËÎÏÔÖÙÛÜ ]{0,60}") {
            let out = transliterate(&text);
            let letters = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
            prop_assert_eq!(letters(&out), letters(&text));
        }

        #[test]
        fn fitted_text_fits(text in any::<String>(), max in 1usize..150) {
            let fitted = fit_text(&text, max);
            prop_assert!(fitted.len() <= max);
            prop_assert!(is_sepa_charset(&fitted));
            prop_assert!(!fitted.ends_with(' '));
        }
    }
}
