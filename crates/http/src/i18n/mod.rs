//! Problem texts in the caller's language: catalogue lookups, template
//! rendering, `Accept-Language` negotiation, and the language of the request
//! being answered.
//!
//! Every problem `code` has a title and a detail template, every field-error
//! `code` a message template, each in English and Indonesian ([`catalogue`]).
//! A more specific wording is a key `code.variant` (`invalid_state.edit`).
//! Templates name their dynamic parts `{max}`, `{status}`; the error carries
//! the values and [`render`] substitutes them. The value of a parameter named
//! `entity` is a resource kind (`plan`, `check-in`) and is itself translated
//! ([`TERMS`]), as is the value of `status` ([`STATUSES`]): an Indonesian text
//! never shows an English status word.
//!
//! The tests in `tests/catalogue.rs` scan the sources for codes and keys
//! passed to the error constructors and fail naming any the catalogue lacks.

use std::collections::BTreeSet;
use std::future::Future;

use followup_domain::values::Locale;

pub mod catalogue;

pub use catalogue::{Text, DETAILS, FIELDS, PROBLEMS, STATUSES, TERMS};

fn lookup(table: &'static [(&'static str, Text)], key: &str) -> Option<Text> {
    table.iter().find(|(k, _)| *k == key).map(|(_, text)| *text)
}

/// The title of problem `code`.
pub fn title(code: &str, lang: Locale) -> Option<&'static str> {
    PROBLEMS.iter().find(|(c, _, _)| *c == code).map(|(_, title, _)| title.get(lang))
}

/// The detail template of `key`: a problem code or `code.variant`.
pub fn detail_template(key: &str) -> Option<Text> {
    PROBLEMS.iter().find(|(c, _, _)| *c == key).map(|(_, _, detail)| *detail).or_else(|| lookup(DETAILS, key))
}

/// The message template of a field-error `key`.
pub fn field_template(key: &str) -> Option<Text> {
    lookup(FIELDS, key)
}

/// The word for a resource kind (`plan` → `rencana aksi`); unknown kinds stay as they are.
pub fn term(kind: &str, lang: Locale) -> String {
    lookup(TERMS, kind).map_or_else(|| kind.to_owned(), |text| text.get(lang).to_owned())
}

/// The `{placeholders}` a template names.
pub fn placeholders(template: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or_default();
        match after.find('}') {
            Some(close) => {
                names.insert(after.get(..close).unwrap_or_default());
                rest = after.get(close + 1..).unwrap_or_default();
            }
            None => break,
        }
    }
    names
}

/// Substitute `params` into `template`; `None` when a placeholder has no value.
/// The result starts with a capital letter when the template starts with a
/// placeholder (`{entity} tidak ditemukan` → `Rencana aksi tidak ditemukan`).
pub fn render(template: &str, lang: Locale, params: &[(&'static str, String)]) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        let close = after.find('}')?;
        let name = after.get(..close).unwrap_or_default();
        let value = params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())?;
        if name == "entity" {
            out.push_str(&term(value, lang));
        } else if name == "status" {
            out.push_str(lookup(STATUSES, value).map_or(value, |text| text.get(lang)));
        } else {
            out.push_str(value);
        }
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    if template.starts_with('{') {
        let mut chars = out.chars();
        if let Some(first) = chars.next() {
            out = first.to_uppercase().chain(chars).collect();
        }
    }
    Some(out)
}

// ---- negotiation ---------------------------------------------------------------

/// The language for an `Accept-Language` value (RFC 9110 §12.5.4): the
/// supported language with the highest q-value wins, `id`/`in` (the old ISO
/// code) and `id-ID` are Indonesian, `en-*` English; `*` stands for any
/// language not named otherwise. Ties keep the listed order. No header,
/// nothing acceptable or a malformed value answer English.
pub fn negotiate(header: Option<&str>) -> Locale {
    let Some(header) = header else { return Locale::En };
    let mut best: Option<(u16, Locale)> = None;
    let mut named = [false, false];
    let mut wildcard: Option<u16> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let Some(q) = parts.map(str::trim).try_fold(1000u16, |q, param| match param.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("q") => qvalue(value.trim()),
            Some(_) => Some(q),
            None if param.is_empty() => Some(q),
            None => None,
        }) else {
            continue;
        };
        let primary = tag.split('-').next().unwrap_or_default();
        let lang = match primary {
            "id" | "in" => Locale::Id,
            "en" => Locale::En,
            "*" if tag == "*" => {
                wildcard = Some(wildcard.map_or(q, |w| w.max(q)));
                continue;
            }
            _ => continue,
        };
        let slot = usize::from(lang == Locale::Id);
        if let Some(seen) = named.get_mut(slot) {
            *seen = true;
        }
        if q > 0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    // `*` speaks for the languages the header does not name.
    if let Some(w) = wildcard.filter(|w| *w > 0) {
        for (slot, lang) in [(0, Locale::En), (1, Locale::Id)] {
            if !named.get(slot).copied().unwrap_or(true) && best.is_none_or(|(b, _)| w > b) {
                best = Some((w, lang));
            }
        }
    }
    best.map_or(Locale::En, |(_, lang)| lang)
}

/// An RFC 9110 qvalue in thousandths: `0`, `0.5`, `1.000`; anything else is `None`.
fn qvalue(raw: &str) -> Option<u16> {
    let (int, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

// ---- the request's language --------------------------------------------------------

/// The language of the caller's profile, kept in the request's extensions
/// once their session is checked: problem details follow it when the request
/// sends no `Accept-Language` ([`crate::problem::localize`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileLocale(pub Locale);

tokio::task_local! {
    /// The language negotiated for the request whose future is being polled.
    static LANGUAGE: Locale;
}

/// Run `request` with `lang` as its language: what [`current`] answers while
/// `request` is polled (not in tasks it spawns).
pub async fn in_language<F: Future>(lang: Locale, request: F) -> F::Output {
    LANGUAGE.scope(lang, request).await
}

/// The language of the request being answered; English outside [`in_language`].
pub fn current() -> Locale {
    LANGUAGE.try_with(|lang| *lang).unwrap_or(Locale::En)
}

#[cfg(test)]
mod tests {
    use super::*;
    use followup_domain::values::{ActivityStatus, PlanStatus, ProgramStatus, ReviewStatus};

    /// Every status word the API has.
    fn status_words() -> Vec<&'static str> {
        let mut words: Vec<&str> = PlanStatus::ALL.iter().map(|s| s.as_str()).collect();
        words.extend(ReviewStatus::ALL.iter().map(|s| s.as_str()));
        words.extend(ProgramStatus::ALL.iter().map(|s| s.as_str()));
        words.extend(ActivityStatus::ALL.iter().map(|s| s.as_str()));
        words
    }

    /// Whether `text` holds `word` as a word of its own.
    fn has_word(text: &str, word: &str) -> bool {
        text.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|w| w.eq_ignore_ascii_case(word))
    }

    #[test]
    fn no_indonesian_text_names_an_english_status_word() {
        let words = status_words();
        for word in &words {
            assert!(lookup(STATUSES, word).is_some(), "{word} has no Indonesian word");
        }
        let mut texts: Vec<(&str, &str)> = Vec::new();
        for (code, title, detail) in PROBLEMS {
            texts.push((code, title.id));
            texts.push((code, detail.id));
        }
        for (key, text) in DETAILS.iter().chain(FIELDS).chain(TERMS).chain(STATUSES) {
            texts.push((key, text.id));
        }
        for (key, template) in &texts {
            // Rendered with every status a `{status}` may hold.
            for status in &words {
                let params: Vec<(&'static str, String)> = placeholders(template)
                    .into_iter()
                    .map(|name| match name {
                        "status" => ("status", (*status).to_owned()),
                        _ => ("other", String::new()),
                    })
                    .collect();
                let rendered =
                    render(template, Locale::Id, &params).unwrap_or_else(|| (*template).to_owned());
                for english in &words {
                    assert!(
                        !has_word(&rendered, english),
                        "{key}: Indonesian text names `{english}`: {rendered}"
                    );
                }
            }
        }
    }

    #[test]
    fn negotiation_follows_q_values() {
        use Locale::{En, Id};
        for (header, expected) in [
            ("id", Id),
            ("ID", Id),
            ("id-ID", Id),
            ("in", Id),
            ("in-ID", Id),
            ("en", En),
            ("en-US,en;q=0.9", En),
            ("fr, id;q=0.5", Id),
            ("id;q=0.4, en;q=0.8", En),
            ("en;q=0.4, id-ID;q=0.8", Id),
            ("en;q=0, id", Id),
            ("id;q=0", En),
            ("fr", En),
            ("*", En),
            ("en;q=0, *", Id),
            ("fr, *;q=0.5", En),
            ("id, en", Id),
            ("en, id", En),
            ("id;q=0.5, en;q=0.5", Id),
            ("", En),
            ("id;q=2", En),
            ("id;q=abc, en;q=0.1", En),
            ("indonesian", En),
            ("id;level=1;q=0.7", Id),
        ] {
            assert_eq!(negotiate(Some(header)), expected, "{header:?}");
        }
        assert_eq!(negotiate(None), En);
    }

    #[test]
    fn odd_headers_never_panic_and_answer_a_language() {
        let pieces = [
            "", ",", ";", "=", "q", "q=", "q=1", "q=0.", "q=.5", "q=1.0001", "q=0.999", "id", "in", "en",
            "*", "-", "id-", "-id", " ", "\t", "é", "日本", "{", "%", "\u{0}",
        ];
        let mut count = 0;
        for a in pieces {
            for b in pieces {
                for sep in [",", ";", ", ", ";q=0.5,", "-"] {
                    let header = format!("{a}{sep}{b}");
                    let lang = negotiate(Some(&header));
                    assert!(matches!(lang, Locale::En | Locale::Id));
                    count += 1;
                }
            }
        }
        assert!(count > 3000);
    }

    #[test]
    fn templates_take_their_parameters() {
        let params = vec![("entity", "plan".to_owned())];
        let Some(not_found) = detail_template("not_found.entity") else { panic!("missing entry") };
        assert_eq!(
            render(not_found.id, Locale::Id, &params).as_deref(),
            Some("Rencana aksi tidak ditemukan atau tidak dapat Anda akses.")
        );
        assert_eq!(
            render(not_found.en, Locale::En, &params).as_deref(),
            Some("No plan with that id is visible to you.")
        );
        assert_eq!(render("paling banyak {max} karakter", Locale::Id, &[]), None);
        assert_eq!(placeholders("{a} and {b} and {a}").into_iter().collect::<Vec<_>>(), vec!["a", "b"]);
    }
}
