//! The outcome report as one printable HTML page: inline CSS (A4 in print),
//! inline SVG charts, every figure in a table cell marked
//! `data-figure="<key>"` and `data-value="<value as the CSV writes it>"`.
//! No script, no external resource of any kind: the response's
//! Content-Security-Policy forbids everything but inline styles.

use chrono::SecondsFormat;
use followup_domain::outcome_report::OutcomeReport;
use followup_domain::values::Locale;

use super::charts::{escape, Chart};
use super::figures::{Figure, Value, SECTIONS};
use super::labels::label;

/// The Content-Security-Policy of the page.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const CSS: &str = "\
@page{size:A4;margin:14mm}\
*{box-sizing:border-box}\
body{font-family:sans-serif;color:#1f2328;margin:0 auto;max-width:200mm;padding:16px;font-size:14px;line-height:1.4}\
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 8px;border-bottom:2px solid #1f5ea0;padding-bottom:2px}\
.programme{font-size:16px;margin:0 0 8px}.code{color:#57606a}\
dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:0 0 8px}dl.facts dt{font-weight:bold}dl.facts dd{margin:0}\
.note{color:#57606a;font-size:12px;margin:4px 0}\
section{margin:18px 0;break-inside:avoid;page-break-inside:avoid}\
figure{margin:0 0 8px}svg.chart{width:100%;height:auto;max-width:680px;display:block}\
table{border-collapse:collapse;margin:4px 0 8px;font-size:13px}\
th,td{border-bottom:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}\
td{text-align:right;font-variant-numeric:tabular-nums}thead th{background:#f6f8fa}\
.definitions dt{font-weight:bold;margin-top:6px}.definitions dd{margin:0 0 4px}\
@media print{body{padding:0;max-width:none;font-size:10pt}h2{font-size:13pt}\
section{margin:10px 0}svg.chart{max-width:170mm}table{font-size:9pt}.definitions{break-before:page}}";

/// How a value reads on the page.
fn display(value: &Value, lang: Locale) -> String {
    match value {
        Value::Count(n) => n.to_string(),
        Value::Share(Some(s)) => format!("{:.0}%", s * 100.0),
        Value::Date(Some(d)) => d.to_string(),
        Value::Number(Some(n)) => n.to_string(),
        Value::Share(None) | Value::Date(None) | Value::Number(None) => label("page.none", lang).to_owned(),
    }
}

fn cell(out: &mut String, f: &Figure, lang: Locale) {
    out.push_str(&format!(
        "<td data-figure=\"{}\" data-value=\"{}\">{}</td>",
        escape(&f.key),
        escape(&f.value.text()),
        escape(&display(&f.value, lang))
    ));
}

/// The measures of the per-delegate table, in column order.
const DELEGATE_MEASURES: [&str; 6] = [
    "check_ins.delegate.made",
    "check_ins.delegate.expected",
    "check_ins.delegate.windows_on_schedule",
    "check_ins.delegate.share_on_schedule",
    "check_ins.delegate.longest_gap_days",
    "check_ins.delegate.last_reported_on",
];

fn section(out: &mut String, name: &str, figures: &[Figure], charts: &[Chart], lang: Locale) {
    out.push_str(&format!(
        "<section id=\"section-{name}\"><h2>{}</h2>",
        escape(label(&format!("section.{name}"), lang))
    ));
    for chart in charts.iter().filter(|c| c.section == name) {
        out.push_str(&format!("<figure id=\"{}\">{}</figure>", escape(&chart.id), chart.svg));
    }
    let overall: Vec<&Figure> =
        figures.iter().filter(|f| f.section == name && f.delegate.is_none()).collect();
    if !overall.is_empty() {
        out.push_str(&format!(
            "<table class=\"figures\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            escape(label("page.figure", lang)),
            escape(label("page.value", lang))
        ));
        for f in overall {
            out.push_str(&format!(
                "<tr><th scope=\"row\">{}</th>",
                escape(&super::figures::label_of(f, lang))
            ));
            cell(out, f, lang);
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
    }
    let per_delegate: Vec<&Figure> =
        figures.iter().filter(|f| f.section == name && f.delegate.is_some()).collect();
    if !per_delegate.is_empty() {
        out.push_str(&format!(
            "<table class=\"delegates\"><thead><tr><th scope=\"col\">{}</th>",
            escape(label("page.delegate", lang))
        ));
        for measure in DELEGATE_MEASURES {
            out.push_str(&format!("<th scope=\"col\">{}</th>", escape(label(measure, lang))));
        }
        out.push_str("</tr></thead><tbody>");
        // Figures come delegate by delegate, in column order.
        for row in per_delegate.chunks(DELEGATE_MEASURES.len()) {
            let name = row.first().and_then(|f| f.delegate.as_ref()).map_or("", |(_, n)| n.as_str());
            out.push_str(&format!("<tr><th scope=\"row\">{}</th>", escape(name)));
            for f in row {
                cell(out, f, lang);
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

/// The whole page.
pub fn page(r: &OutcomeReport, figures: &[Figure], charts: &[Chart], lang: Locale) -> String {
    let l = |key: &str| escape(label(key, lang));
    let p = &r.program;
    let mut out = String::with_capacity(64 * 1024);
    out.push_str(&format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · {}</title><style>{CSS}</style></head><body><header>",
        lang.as_str(),
        l("page.title"),
        escape(&p.code)
    ));
    out.push_str(&format!(
        "<h1>{}</h1><p class=\"programme\">{} <span class=\"code\">({})</span></p><dl class=\"facts\">",
        l("page.title"),
        escape(&p.title),
        escape(&p.code)
    ));
    if let Some(funder) = &p.funder {
        out.push_str(&format!("<dt>{}</dt><dd>{}</dd>", l("page.funder"), escape(funder)));
    }
    out.push_str(&format!(
        "<dt>{}</dt><dd>{} – {}</dd><dt>{}</dt><dd>{}</dd></dl>",
        l("page.follow_up"),
        p.training_ends_on,
        p.follow_up_until,
        l("page.generated"),
        r.generated_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    ));
    if r.mentees_only {
        out.push_str(&format!("<p class=\"note\">{}</p>", l("page.scope_mentees")));
    }
    out.push_str(&format!("<p class=\"note\">{}</p></header><main>", l("page.no_drafts")));
    for name in SECTIONS {
        section(&mut out, name, figures, charts, lang);
    }
    out.push_str(&format!("<section class=\"definitions\"><h2>{}</h2><dl>", l("page.definitions")));
    for (section, key) in [
        ("section.activities", "def.activities"),
        ("section.indicators", "def.indicators"),
        ("section.check_ins", "def.check_ins"),
        ("section.change_requests", "def.change_requests"),
    ] {
        out.push_str(&format!("<dt>{}</dt><dd>{}</dd>", l(section), l(key)));
    }
    out.push_str("</dl></section></main></body></html>");
    out
}
