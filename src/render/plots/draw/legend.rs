//! The legend panel right of the plot: entries (series, swatches, SLA, capacity, misses)
//! and notes, word-wrapped to the panel.

use std::error::Error as StdError;

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::{Entry, Figure, FONT, LEGEND_PX, NOTE_GREY, NOTE_PX, SLA_LIGHT, SLA_RED};
use super::{color, draw_hollow, draw_marker, draw_miss, Drawn, Part, PlotArea, GRID_DARK};
const SAMPLE_W: i32 = 56;
const PANEL_PAD: i32 = 16;
const MAX_LABEL_CHARS: usize = 40;

fn legend_text(e: &Entry) -> String {
    match e {
        Entry::Series { label, .. } | Entry::Swatch { label, .. } => shorten(label),
        Entry::Sla { text, .. }
        | Entry::Capacity { text, .. }
        | Entry::Miss { text }
        | Entry::Hollow { text, .. } => text.clone(),
    }
}

fn shorten(label: &str) -> String {
    let label = if label.is_empty() {
        "(no label)"
    } else {
        label
    };
    if label.chars().count() <= MAX_LABEL_CHARS {
        return label.to_string();
    }
    let head: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
    format!("{head}…")
}

/// Wide enough for the longest series label, within 380..=520 px; longer text wraps.
pub(super) fn panel_width<
    DB: DrawingBackend<ErrorType = E>,
    E: StdError + Send + Sync + 'static,
>(
    root: &PlotArea<DB>,
    fig: &Figure,
) -> Result<u32, Box<dyn StdError>> {
    let style = TextStyle::from((FONT, LEGEND_PX));
    let mut widest = 0;
    for e in &fig.legend {
        if let Entry::Series { .. } | Entry::Swatch { .. } = e {
            widest = widest.max(root.estimate_text_size(&legend_text(e), &style)?.0);
        }
    }
    Ok((widest + (SAMPLE_W + 3 * PANEL_PAD) as u32).clamp(380, 520))
}

pub(super) fn draw_panel<DB: DrawingBackend>(
    panel: &PlotArea<DB>,
    fig: &Figure,
    extra_notes: &[String],
    part: Part,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (w, _) = panel.dim_in_pixel();
    let text_x = SAMPLE_W + 2 * PANEL_PAD;
    let text_w = w as i32 - text_x - PANEL_PAD;
    let legend_style = TextStyle::from((FONT, LEGEND_PX)).pos(Pos::new(HPos::Left, VPos::Center));
    let line_h = LEGEND_PX as i32 + 8;
    let mut y = 20;
    for (i, e) in fig.legend.iter().enumerate() {
        let lines = wrap(panel, &legend_text(e), &legend_style, text_w)?;
        let draw = part.legend(i, e);
        if draw {
            draw_sample(panel, e, (PANEL_PAD, y + line_h / 2))?;
        }
        for line in &lines {
            if draw {
                panel.draw_text(line, &legend_style, (text_x, y + line_h / 2))?;
            }
            y += line_h;
        }
        y += 12;
    }
    if !part.frame() {
        return Ok(());
    }
    y += 16;
    let note_style = TextStyle::from((FONT, NOTE_PX).into_font()).color(&NOTE_GREY);
    let note_h = NOTE_PX as i32 + 7;
    for note in fig.notes.iter().chain(extra_notes) {
        for line in wrap(panel, note, &note_style, w as i32 - 2 * PANEL_PAD)? {
            panel.draw_text(&line, &note_style, (PANEL_PAD, y))?;
            y += note_h;
        }
        y += 10;
    }
    Ok(())
}

/// The little picture before a legend entry, from x to x + SAMPLE_W, centred on y.
fn draw_sample<DB: DrawingBackend>(panel: &PlotArea<DB>, e: &Entry, (x, y): (i32, i32)) -> Drawn
where
    DB::ErrorType: 'static,
{
    let centre = (x + SAMPLE_W / 2, y);
    match e {
        Entry::Series { color: c, line, .. } => {
            if *line {
                panel.draw(&PathElement::new(
                    vec![(x, y), (x + SAMPLE_W, y)],
                    color(*c).stroke_width(3),
                ))?;
            }
            draw_marker(panel, centre, *c)?;
        }
        Entry::Swatch { color: c, .. } => {
            let rect = [(x + 8, y - 11), (x + SAMPLE_W - 8, y + 11)];
            panel.draw(&Rectangle::new(rect, color(*c).mix(0.3).filled()))?;
            panel.draw(&Rectangle::new(rect, color(*c).stroke_width(3)))?;
        }
        Entry::Sla { strong, .. } => {
            let c = if *strong { SLA_RED } else { SLA_LIGHT };
            panel.draw(&DashedPathElement::new(
                vec![(x, y), (x + SAMPLE_W, y)],
                12,
                6,
                c.stroke_width(3),
            ))?;
        }
        Entry::Capacity { strong, .. } => {
            let c = if *strong { NOTE_GREY } else { GRID_DARK };
            panel.draw(&DashedPathElement::new(
                vec![(centre.0, y - 14), (centre.0, y + 14)],
                8,
                5,
                c.stroke_width(3),
            ))?;
        }
        Entry::Miss { .. } => {
            panel.draw(&Circle::new(centre, 9, RGBColor(150, 150, 150).filled()))?;
            draw_miss(panel, centre)?;
        }
        Entry::Hollow { color: c, .. } => draw_hollow(panel, centre, *c)?,
    }
    Ok(())
}

/// Greedy word wrap to `max_w` pixels, keeping `\n` breaks; only plain spaces break
/// (so "500\u{a0}ms" stays together), and an over-long word gets a line of its own.
fn wrap<DB: DrawingBackend<ErrorType = E>, E: StdError + Send + Sync + 'static>(
    area: &PlotArea<DB>,
    text: &str,
    style: &TextStyle,
    max_w: i32,
) -> Result<Vec<String>, Box<dyn StdError>> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        lines.extend(wrap_paragraph(area, paragraph, style, max_w)?);
    }
    Ok(lines)
}

fn wrap_paragraph<DB: DrawingBackend<ErrorType = E>, E: StdError + Send + Sync + 'static>(
    area: &PlotArea<DB>,
    text: &str,
    style: &TextStyle,
    max_w: i32,
) -> Result<Vec<String>, Box<dyn StdError>> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        let fits = area.estimate_text_size(&candidate, style)?.0 as i32 <= max_w;
        if fits || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    Ok(lines)
}
