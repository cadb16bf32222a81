//! The charts of the outcome report, drawn on the server as SVG with
//! plotters (its SVG backend only: without a font feature plotters estimates
//! text sizes from the number of characters, and the browser draws the text
//! in its own sans-serif face, so nothing is loaded). Every chart is a
//! horizontal bar chart, one row per category and one bar per series, with
//! its number at the end of each bar, a title and axis descriptions in the
//! report's language, and `role="img"`, `aria-label` and `<title>` on the
//! `<svg>` element.

use followup_domain::outcome_report::OutcomeReport;
use followup_domain::values::Locale;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figures::plan_key;
use super::labels::label;

/// One drawn chart and the section it belongs to.
#[derive(Debug, Clone)]
pub struct Chart {
    pub section: &'static str,
    /// `chart-plans`, …: unique in the page.
    pub id: String,
    pub title: String,
    pub svg: String,
}

/// One series of bars: its name, one value per category and the colour of
/// each bar (the first colour for any bar without one of its own).
struct Series {
    name: String,
    colors: Vec<RGBColor>,
    values: Vec<i64>,
}

impl Series {
    fn color(&self, i: usize) -> RGBColor {
        self.colors.get(i).or(self.colors.first()).copied().unwrap_or(BLUE_)
    }
}

/// What a chart shows.
struct Bars {
    title: String,
    /// The value axis (horizontal).
    x_desc: String,
    /// The category axis (vertical).
    y_desc: String,
    categories: Vec<String>,
    series: Vec<Series>,
}

const WIDTH: u32 = 680;
const BLUE_: RGBColor = RGBColor(31, 94, 160);
const TEAL: RGBColor = RGBColor(0, 128, 128);
const GREEN_: RGBColor = RGBColor(46, 125, 50);
const AMBER: RGBColor = RGBColor(191, 120, 0);
const RED_: RGBColor = RGBColor(183, 28, 28);
const GREY: RGBColor = RGBColor(117, 117, 117);

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size).into_font()).color(&BLACK)
}

fn drawing_error(e: impl std::fmt::Display) -> String {
    format!("drawing a chart: {e}")
}

/// Draw `b` as SVG.
fn draw(b: &Bars) -> Result<String, String> {
    let n = b.categories.len().max(1);
    let k = b.series.len().max(1);
    let row = 16 * k as u32 + 12;
    let legend = if k > 1 { 30 } else { 0 };
    let height = 110 + n as u32 * row + legend;
    let max = b.series.iter().flat_map(|s| s.values.iter()).copied().max().unwrap_or(0).max(1);
    let x_max = (max as f64 * 1.15).ceil().max(max as f64 + 1.0);
    let longest = b.categories.iter().map(|c| c.chars().count()).max().unwrap_or(0) as u32;
    let label_area = (longest * 7 + 40).clamp(90, 260);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing_error)?;
        let (plot, legend_area) = root.split_vertically(height - legend);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&b.title, font(17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(label_area)
            .build_cartesian_2d(0f64..x_max, 0f64..n as f64)
            .map_err(drawing_error)?;
        let ticks = (x_max as usize).min(8) + 1;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(ticks)
            .x_label_formatter(&|v| if v.fract() == 0.0 { format!("{v:.0}") } else { String::new() })
            .x_desc(b.x_desc.as_str())
            .y_desc(b.y_desc.as_str())
            .label_style(font(12))
            .axis_desc_style(font(13))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(drawing_error)?;
        let band = 0.8 / k as f64;
        for (j, s) in b.series.iter().enumerate() {
            let top = |i: usize| (n - i) as f64 - 0.1 - j as f64 * band;
            chart
                .draw_series(s.values.iter().enumerate().map(|(i, v)| {
                    Rectangle::new([(0.0, top(i) - band), (*v as f64, top(i))], s.color(i).filled())
                }))
                .map_err(drawing_error)?;
            chart
                .draw_series(s.values.iter().enumerate().map(|(i, v)| {
                    Text::new(
                        v.to_string(),
                        (*v as f64 + x_max * 0.01, top(i) - band / 2.0),
                        font(11).pos(Pos::new(HPos::Left, VPos::Center)),
                    )
                }))
                .map_err(drawing_error)?;
        }
        // Category names left of the plotting area, centred on their row.
        for (i, name) in b.categories.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, (n - i) as f64 - 0.5));
            plot.draw(&Text::new(
                name.clone(),
                (x - 8, y),
                font(12).pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(drawing_error)?;
        }
        // The legend, under the chart: a swatch and the name of each series.
        if k > 1 {
            let mut x = 20;
            for s in &b.series {
                legend_area
                    .draw(&Rectangle::new([(x, 8), (x + 14, 22)], s.color(0).filled()))
                    .map_err(drawing_error)?;
                legend_area
                    .draw(&Text::new(
                        s.name.clone(),
                        (x + 20, 15),
                        font(12).pos(Pos::new(HPos::Left, VPos::Center)),
                    ))
                    .map_err(drawing_error)?;
                x += 40 + 7 * s.name.chars().count() as i32;
            }
        }
        root.present().map_err(drawing_error)?;
    }
    Ok(accessible(&svg, &b.title))
}

/// Escape text for HTML and XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `<svg>` plotters wrote, its opening tag replaced by one for inline
/// use: sized by its view box, `role="img"`, `aria-label` and a `<title>`
/// (the namespace declaration, which HTML does not need, is left out).
fn accessible(svg: &str, title: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let body = svg.get(start..).unwrap_or_default();
    let (open, rest) = body.split_once('>').unwrap_or((body, ""));
    let view_box =
        open.split_once("viewBox=\"").and_then(|(_, v)| v.split_once('"')).map_or("0 0 680 400", |(v, _)| v);
    let title = escape(title);
    format!(
        "<svg viewBox=\"{view_box}\" role=\"img\" aria-label=\"{title}\" class=\"chart\"><title>{title}</title>{rest}"
    )
}

/// Counts of indicators by standing, in the order reached, on track, behind.
fn standings(s: &followup_domain::outcome_report::Standing) -> Vec<i64> {
    vec![s.reached, s.on_track, s.behind]
}

/// The charts of the report, in the report's language.
pub fn charts(r: &OutcomeReport, lang: Locale) -> Result<Vec<Chart>, String> {
    let l = |key: &str| label(key, lang).to_owned();
    let s = &r.sections;
    let mut out = Vec::new();
    let mut add = |section: &'static str, id: &str, bars: Bars| -> Result<(), String> {
        let svg = draw(&bars)?;
        out.push(Chart { section, id: id.to_owned(), title: bars.title, svg });
        Ok(())
    };

    add(
        "plans",
        "chart-plans",
        Bars {
            title: l("chart.plans"),
            x_desc: l("axis.plans"),
            y_desc: l("axis.status"),
            categories: s.plans.by_status.iter().map(|(st, _)| l(plan_key(*st))).collect(),
            series: vec![Series {
                name: l("axis.plans"),
                colors: vec![BLUE_],
                values: s.plans.by_status.iter().map(|(_, n)| *n).collect(),
            }],
        },
    )?;

    let a = &s.activities;
    let activity_rows = [
        ("activities.done_on_time", a.done_on_time, GREEN_),
        ("activities.done_late", a.done_late, AMBER),
        ("activities.open", a.open, BLUE_),
        ("activities.overdue", a.overdue, RED_),
        ("activities.cancelled", a.cancelled, GREY),
        ("activities.unfinished", a.unfinished, RGBColor(94, 53, 177)),
    ];
    add(
        "activities",
        "chart-activities",
        Bars {
            title: l("chart.activities"),
            x_desc: l("axis.activities"),
            y_desc: l("axis.status"),
            categories: activity_rows.iter().map(|(key, _, _)| l(key)).collect(),
            series: vec![Series {
                name: l("axis.activities"),
                colors: activity_rows.iter().map(|(_, _, c)| *c).collect(),
                values: activity_rows.iter().map(|(_, n, _)| *n).collect(),
            }],
        },
    )?;

    add(
        "indicators",
        "chart-indicators",
        Bars {
            title: l("chart.indicators"),
            x_desc: l("axis.indicators"),
            y_desc: l("axis.standing"),
            categories: vec![l("standing.reached"), l("standing.on_track"), l("standing.behind")],
            series: vec![
                Series {
                    name: l("series.original"),
                    colors: vec![GREY],
                    values: standings(&s.indicators.against_original),
                },
                Series {
                    name: l("series.current"),
                    colors: vec![BLUE_],
                    values: standings(&s.indicators.against_current),
                },
            ],
        },
    )?;

    let delegates = &s.check_ins.delegates;
    add(
        "check_ins",
        "chart-check-ins",
        Bars {
            title: l("chart.check_ins"),
            x_desc: l("axis.check_ins"),
            y_desc: l("axis.delegate"),
            categories: delegates.iter().map(|d| d.display_name.clone()).collect(),
            series: vec![
                Series {
                    name: l("series.made"),
                    colors: vec![TEAL],
                    values: delegates.iter().map(|d| d.made).collect(),
                },
                Series {
                    name: l("series.expected"),
                    colors: vec![GREY],
                    values: delegates.iter().map(|d| d.expected).collect(),
                },
            ],
        },
    )?;

    let q = &s.change_requests;
    let request_rows = [
        ("change_requests.approved", q.approved),
        ("change_requests.declined", q.declined),
        ("change_requests.open", q.open),
        ("change_requests.moved_end_date", q.moved_end_date),
        ("change_requests.changed_target", q.changed_target),
    ];
    add(
        "change_requests",
        "chart-change-requests",
        Bars {
            title: l("chart.change_requests"),
            x_desc: l("axis.requests"),
            y_desc: String::new(),
            categories: request_rows.iter().map(|(key, _)| l(key)).collect(),
            series: vec![Series {
                name: l("axis.requests"),
                colors: vec![AMBER],
                values: request_rows.iter().map(|(_, n)| *n).collect(),
            }],
        },
    )?;

    // Each survey round with scale questions: its answers per step.
    let palette = [BLUE_, TEAL, AMBER, GREEN_, GREY];
    for (n, round) in s.surveys.iter().enumerate() {
        let series = super::surveys::scale_series(round);
        if series.is_empty() {
            continue;
        }
        add(
            "surveys",
            &format!("chart-survey-{}", n + 1),
            Bars {
                title: format!("{}: {}", round.title.in_language(lang == Locale::Id), l("chart.surveys")),
                x_desc: l("axis.answers"),
                y_desc: l("axis.scale"),
                categories: (1..=5).map(|v| v.to_string()).collect(),
                series: series
                    .into_iter()
                    .enumerate()
                    .map(|(i, (name, values))| Series {
                        name,
                        colors: vec![palette.get(i % palette.len()).copied().unwrap_or(BLUE_)],
                        values,
                    })
                    .collect(),
            },
        )?;
    }
    Ok(out)
}
