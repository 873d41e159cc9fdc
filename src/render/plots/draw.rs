//! Drawing a [`Figure`]: title, axes, data, SLA marks and the legend panel.

use std::error::Error as StdError;

use image::codecs::png::PngEncoder;
use image::{ColorType, ImageEncoder};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use super::axis::{Axis, Ticks};
use super::{
    CapMark, Entry, Figure, AXIS_PX, FONT, GRID, HEIGHT, NOTE_PX, PALETTE, SLA_LIGHT, SLA_RED,
    TICK_PX, TITLE_H, TITLE_PX, WIDTH,
};
use crate::util::error::Error;

mod legend;
use legend::{draw_panel, panel_width};

type Drawn = Result<(), Box<dyn StdError>>;
/// A pixel area of the image (title, chart, legend panel), on any backend (PNG or SVG).
type PlotArea<DB> = DrawingArea<DB, Shift>;
/// The chart's plotting area, in plot coordinates.
type ChartArea<DB> = DrawingArea<DB, Cartesian2d<Ticks, Ticks>>;

/// Which part of a figure to draw: all of it (the PNG), or one layer of the SVG, which
/// wraps each series, point and legend entry in its own group. Every part is drawn by the
/// same code at the same place, so the PNG and the SVG cannot disagree.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    All,
    /// Background, title, axes, grid, SLA lines, capacity marks, notes, the other legend entries.
    Frame,
    /// Series `i`'s line.
    Line(usize),
    /// Mark `j` of series `i`: its whisker, marker, SLA ring and tag.
    Mark(usize, usize),
    /// Box `i` of a box plot.
    Box(usize),
    /// Legend entry `i` (a series' or a swatch's).
    Legend(usize),
}

impl Part {
    fn frame(self) -> bool {
        matches!(self, Part::All | Part::Frame)
    }

    fn line(self, i: usize) -> bool {
        self == Part::All || self == Part::Line(i)
    }

    fn mark(self, i: usize, j: usize) -> bool {
        self == Part::All || self == Part::Mark(i, j)
    }

    fn boxed(self, i: usize) -> bool {
        self == Part::All || self == Part::Box(i)
    }

    /// Legend entry `i`: series and swatches have parts of their own, the rest is frame.
    fn legend(self, i: usize, e: &Entry) -> bool {
        match e {
            Entry::Series { .. } | Entry::Swatch { .. } => {
                self == Part::All || self == Part::Legend(i)
            }
            _ => self.frame(),
        }
    }
}
/// Text colour of a light (other statistic) SLA line's label.
const SLA_LIGHT_TEXT: RGBColor = RGBColor(200, 90, 90);
/// The legend sample of a capacity mark judged on another statistic than the SLA's.
const GRID_DARK: RGBColor = RGBColor(170, 170, 170);

/// Draws `fig` as PNG bytes; `name` (the file it is meant for) names it in errors.
pub fn render_png(fig: &Figure, name: &str) -> Result<Vec<u8>, Error> {
    let fail = |e: Box<dyn StdError>| Error::Write {
        path: name.into(),
        source: std::io::Error::other(format!("cannot draw the chart: {e}")),
    };
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw_figure(&root, fig, Part::All).map_err(fail)?;
        root.present().map_err(|e| fail(Box::new(e)))?;
    }
    // The encoder and settings plotters uses when it saves to a path, so the bytes match.
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&rgb, WIDTH, HEIGHT, ColorType::Rgb8)
        .map_err(|e| fail(Box::new(e)))?;
    Ok(png)
}

/// One part of `fig` as the SVG text of its elements (no `<svg>` element around them).
pub(super) fn svg_part(fig: &Figure, part: Part) -> Result<String, Box<dyn StdError>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw_figure(&root, fig, part)?;
        root.present()?;
    }
    // The backend wraps what it drew in `<svg ...>\n` ... `</svg>\n`; keep the inside.
    let body = svg.split_once(">\n").map_or("", |(_, rest)| rest);
    Ok(compact(body.trim_end().trim_end_matches("</svg>")))
}

/// The backend's SVG with its redundant bytes taken out, nothing drawn changed:
/// `opacity="1"` (the default), font sizes to two decimals (`22.580645161290324` -> `22.58`),
/// and runs of polylines of one style (a dashed line is one per dash) as one `<path>`.
fn compact(svg: &str) -> String {
    static LONG: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let long = LONG.get_or_init(|| regex::Regex::new(r"(\d\.\d\d)\d+").expect("a valid regex"));
    let plain = svg.replace(" opacity=\"1\"", "");
    let svg = long.replace_all(&plain, "$1");
    let mut out = String::with_capacity(svg.len());
    // The style of the run of polylines being merged, and its path data.
    let mut run: Option<(&str, String)> = None;
    let flush = |out: &mut String, run: &mut Option<(&str, String)>| {
        if let Some((style, d)) = run.take() {
            out.push_str(&format!("<path {style} d=\"{}\"/>\n", d.trim_end()));
        }
    };
    for line in svg.lines() {
        let parsed = line
            .strip_prefix("<polyline ")
            .and_then(|l| l.strip_suffix("\"/>"))
            .and_then(|l| l.split_once(" points=\""));
        let Some((style, points)) = parsed else {
            flush(&mut out, &mut run);
            out.push_str(line);
            out.push('\n');
            continue;
        };
        if run.as_ref().is_some_and(|(s, _)| *s != style) {
            flush(&mut out, &mut run);
        }
        let d = &mut run.get_or_insert_with(|| (style, String::new())).1;
        for (k, p) in points.split_whitespace().enumerate() {
            d.push_str(if k == 0 { "M" } else { "L" });
            d.push_str(p);
            d.push(' ');
        }
    }
    flush(&mut out, &mut run);
    out
}

fn draw_figure<DB: DrawingBackend>(root: &PlotArea<DB>, fig: &Figure, part: Part) -> Drawn
where
    DB::ErrorType: 'static,
{
    let (head, body) = root.split_vertically(TITLE_H);
    if part.frame() {
        root.fill(&WHITE)?;
        // FontDesc::style() keeps the regular glyphs in plotters 0.3.7; new() loads the bold ones.
        let bold = FontDesc::new(FontFamily::SansSerif, TITLE_PX.into(), FontStyle::Bold);
        let title = TextStyle::from(bold).pos(Pos::new(HPos::Center, VPos::Center));
        head.draw_text(
            &fig.title,
            &title,
            ((WIDTH / 2) as i32, (TITLE_H / 2) as i32),
        )?;
    }
    let panel_w = panel_width(root, fig)?;
    let (plot, panel) = body.split_horizontally(WIDTH - panel_w);
    let omitted = draw_chart(&plot, fig, part)?;
    let extra = if omitted > 0 {
        vec![format!(
            "{omitted} number(s) left out where they would cover others."
        )]
    } else {
        Vec::new()
    };
    draw_panel(&panel, fig, &extra, part)
}

/// Draws axes and data; returns how many point tags were left out for lack of room.
fn draw_chart<DB: DrawingBackend>(
    area: &PlotArea<DB>,
    fig: &Figure,
    part: Part,
) -> Result<usize, Box<dyn StdError>>
where
    DB::ErrorType: 'static,
{
    let (x, y) = (&fig.x, &fig.y);
    let (x_title, y_title) = (x.full_title(), y.full_title());
    let mut chart = ChartBuilder::on(area)
        .margin_top(10)
        .margin_left(20)
        .margin_right(30)
        .margin_bottom(20)
        .x_label_area_size(90)
        .y_label_area_size(y_label_area(area, y)?)
        .build_cartesian_2d(Ticks::of(x), Ticks::of(y))?;
    if !part.frame() {
        let pa = chart.plotting_area();
        draw_boxes(pa, fig, part)?;
        return draw_series(pa, fig, part);
    }
    chart
        .configure_mesh()
        .x_desc(x_title)
        .y_desc(y_title)
        .axis_desc_style((FONT, AXIS_PX))
        .label_style((FONT, TICK_PX))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(GRID.stroke_width(1))
        .axis_style(BLACK.stroke_width(2))
        .set_all_tick_mark_size(8)
        .draw()?;
    let pa = chart.plotting_area();
    draw_sla_lines(pa, fig)?;
    draw_boxes(pa, fig, part)?;
    draw_series(pa, fig, part)
}

/// Room for the widest y tick label plus the rotated axis title.
fn y_label_area<DB: DrawingBackend<ErrorType = E>, E: StdError + Send + Sync + 'static>(
    area: &PlotArea<DB>,
    y: &Axis,
) -> Result<u32, Box<dyn StdError>> {
    let style = TextStyle::from((FONT, TICK_PX));
    let mut widest = 0;
    for (_, label) in &y.ticks {
        widest = widest.max(area.estimate_text_size(label, &style)?.0);
    }
    Ok(widest + AXIS_PX + 44)
}

fn color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

fn draw_sla_lines<DB: DrawingBackend>(pa: &ChartArea<DB>, fig: &Figure) -> Drawn
where
    DB::ErrorType: 'static,
{
    for line in &fig.sla_lines {
        let Some(y) = fig.y.map(line.limit_ms) else {
            continue;
        };
        let style = if line.strong {
            SLA_RED.stroke_width(3)
        } else {
            SLA_LIGHT.stroke_width(3)
        };
        pa.draw(&DashedPathElement::new(
            vec![(fig.x.lo, y), (fig.x.hi, y)],
            18,
            10,
            style,
        ))?;
        let text_color = if line.strong { SLA_RED } else { SLA_LIGHT_TEXT };
        let font = (FONT, NOTE_PX).into_font().color(&text_color);
        pa.draw(&(EmptyElement::at((fig.x.lo, y)) + Text::new(line.tag.clone(), (14, -30), font)))?;
    }
    Ok(())
}

/// Lines, then markers and SLA rings, then tags; returns how many tags were left out.
fn draw_series<DB: DrawingBackend>(
    pa: &ChartArea<DB>,
    fig: &Figure,
    part: Part,
) -> Result<usize, Box<dyn StdError>>
where
    DB::ErrorType: 'static,
{
    let map = |x: f64, y: f64| Some((fig.x.map(x)?, fig.y.map(y)?));
    for cap in fig.caps.iter().filter(|c| part.line(c.series)) {
        draw_capacity(pa, fig, cap)?;
    }
    for (i, s) in fig.series.iter().enumerate() {
        let line: Vec<(f64, f64)> = s.line.iter().filter_map(|&(x, y)| map(x, y)).collect();
        if line.len() > 1 && part.line(i) {
            pa.draw(&PathElement::new(line, color(s.color).stroke_width(3)))?;
        }
    }
    // Run-to-run spread behind each mean, under the markers.
    for (i, s) in fig.series.iter().enumerate() {
        for (j, m) in s.marks.iter().enumerate() {
            let Some([lo, hi]) = m.whisker.filter(|_| part.mark(i, j)) else {
                continue;
            };
            let (Some(a), Some(b)) = (map(m.x, lo), map(m.x, hi)) else {
                continue;
            };
            pa.draw(&PathElement::new(
                vec![a, b],
                color(s.color).stroke_width(2),
            ))?;
            for end in [a, b] {
                let cap = EmptyElement::at(end)
                    + PathElement::new(vec![(-6, 0), (6, 0)], color(s.color).stroke_width(2));
                pa.draw(&cap)?;
            }
        }
    }
    // Markers are obstacles for tags so a number never hides a point.
    let mut taken: Vec<PxRect> = Vec::new();
    for (i, s) in fig.series.iter().enumerate() {
        for (j, m) in s.marks.iter().enumerate() {
            let Some(at) = map(m.x, m.y) else { continue };
            if part.mark(i, j) {
                if m.hollow {
                    draw_hollow(pa, at, s.color)?;
                } else {
                    draw_marker(pa, at, s.color)?;
                }
                if m.miss {
                    draw_miss(pa, at)?;
                }
            }
            let (px, py) = pa.map_coordinate(&at);
            taken.push(PxRect::around(px, py, 10));
        }
    }
    // Every part places every tag (the same spots in every layer) and draws its own.
    let mut omitted = 0;
    for (i, s) in fig.series.iter().enumerate() {
        for (j, m) in s.marks.iter().enumerate() {
            let (Some(at), Some(tag)) = (map(m.x, m.y), &m.tag) else {
                continue;
            };
            if !draw_tag(pa, at, tag, s.color, &mut taken, part.mark(i, j))? {
                omitted += 1;
            }
        }
    }
    Ok(omitted)
}

/// A capacity mark: a dashed vertical line in the series' colour (lighter when judged on
/// another statistic than the SLA's) from the bottom of the plot, tagged at the top.
fn draw_capacity<DB: DrawingBackend>(pa: &ChartArea<DB>, fig: &Figure, cap: &CapMark) -> Drawn
where
    DB::ErrorType: 'static,
{
    let Some(x) = fig.x.map(cap.conc) else {
        return Ok(());
    };
    let series = fig.series.get(cap.series).map_or(0, |s| s.color);
    let c = color(series);
    let style = if cap.strong {
        c.stroke_width(3)
    } else {
        c.mix(0.45).stroke_width(3)
    };
    pa.draw(&DashedPathElement::new(
        vec![(x, fig.y.lo), (x, fig.y.hi)],
        10,
        8,
        style,
    ))?;
    let font = (FONT, NOTE_PX).into_font().color(&c);
    let dy = 8 + 26 * (cap.series as i32 % 3);
    pa.draw(&(EmptyElement::at((x, fig.y.hi)) + Text::new(cap.tag.clone(), (8, dy), font)))?;
    Ok(())
}

/// A pixel rectangle, for keeping tags apart.
#[derive(Clone, Copy)]
struct PxRect {
    x0: i32,
    y0: i32,
    x1: i32,
    y1: i32,
}

impl PxRect {
    fn around(x: i32, y: i32, r: i32) -> PxRect {
        PxRect {
            x0: x - r,
            y0: y - r,
            x1: x + r,
            y1: y + r,
        }
    }

    fn overlaps(&self, o: &PxRect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
}

/// Writes a point's tag (its concurrency) in the first free spot around it: above-right
/// first for even labels, below-left first for odd ones (off a falling frontier line).
/// Returns false when every spot would cover another tag or marker.
fn draw_tag<DB: DrawingBackend>(
    pa: &ChartArea<DB>,
    at: (f64, f64),
    tag: &str,
    series: usize,
    taken: &mut Vec<PxRect>,
    draw: bool,
) -> Result<bool, Box<dyn StdError>>
where
    DB::ErrorType: 'static,
{
    let c = color(series);
    let style = TextStyle::from((FONT, NOTE_PX)).color(&c);
    let (w, h) = pa.estimate_text_size(tag, &style)?;
    let (w, h) = (w as i32, h as i32 + 4);
    let (px, py) = pa.map_coordinate(&at);
    let mut spots = [(12, -12 - h), (-12 - w, 12), (-12 - w, -12 - h), (12, 12)];
    if series % 2 == 1 {
        spots.swap(0, 1);
    }
    let (area_w, area_h) = pa.dim_in_pixel();
    let (ox, oy) = pa.get_base_pixel();
    for (dx, dy) in spots {
        let rect = PxRect {
            x0: px + dx,
            y0: py + dy,
            x1: px + dx + w,
            y1: py + dy + h,
        };
        let inside = rect.x0 >= ox
            && rect.y0 >= oy
            && rect.x1 <= ox + area_w as i32
            && rect.y1 <= oy + area_h as i32;
        if inside && !taken.iter().any(|t| t.overlaps(&rect)) {
            if draw {
                pa.draw(
                    &(EmptyElement::at(at) + Text::new(tag.to_string(), (dx, dy), style.clone())),
                )?;
            }
            taken.push(rect);
            return Ok(true);
        }
    }
    Ok(false)
}

/// A filled marker whose shape cycles with the label, so series differ without colour too.
fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    series: usize,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let fill = color(series).filled();
    match series % 3 {
        0 => area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), 9, fill)))?,
        1 => area.draw(&(EmptyElement::at(at) + Rectangle::new([(-8, -8), (8, 8)], fill)))?,
        _ => area.draw(
            &(EmptyElement::at(at) + Polygon::new(vec![(0, -11), (10, 7), (-10, 7)], fill)),
        )?,
    }
    Ok(())
}

/// A derived value: a white disc ringed in the series' colour.
fn draw_hollow<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    series: usize,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    let ring = Circle::new((0, 0), 9, color(series).stroke_width(3));
    area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), 9, WHITE.filled()) + ring))?;
    Ok(())
}

/// The SLA-miss mark: a red ring around the marker.
fn draw_miss<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
) -> Drawn
where
    DB::ErrorType: 'static,
{
    area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), 16, SLA_RED.stroke_width(3))))?;
    Ok(())
}

fn draw_boxes<DB: DrawingBackend>(pa: &ChartArea<DB>, fig: &Figure, part: Part) -> Drawn
where
    DB::ErrorType: 'static,
{
    for (i, b) in fig.boxes.iter().enumerate() {
        if !part.boxed(i) {
            continue;
        }
        let Some(q) = map_quantiles(&fig.y, &b.q) else {
            continue;
        };
        let c = color(b.color);
        let (l, r) = (b.x - b.half_width, b.x + b.half_width);
        let (cl, cr) = (b.x - b.half_width / 2.0, b.x + b.half_width / 2.0);
        pa.draw(&Rectangle::new([(l, q[1]), (r, q[3])], c.mix(0.3).filled()))?;
        pa.draw(&Rectangle::new([(l, q[1]), (r, q[3])], c.stroke_width(3)))?;
        for seg in [
            [(b.x, q[3]), (b.x, q[4])],
            [(b.x, q[1]), (b.x, q[0])],
            [(cl, q[4]), (cr, q[4])],
            [(cl, q[0]), (cr, q[0])],
        ] {
            pa.draw(&PathElement::new(seg.to_vec(), c.stroke_width(3)))?;
        }
        pa.draw(&PathElement::new(
            vec![(l, q[2]), (r, q[2])],
            BLACK.stroke_width(4),
        ))?;
        if b.miss {
            // Above the whisker, sized to the box, so the mark never hides the box.
            let (left, _) = pa.map_coordinate(&(l, q[4]));
            let (right, _) = pa.map_coordinate(&(r, q[4]));
            let radius = ((right - left) / 2 + 2).clamp(6, 14);
            let ring = Circle::new((0, -radius - 8), radius, SLA_RED.stroke_width(3));
            pa.draw(&(EmptyElement::at((b.x, q[4])) + ring))?;
        }
    }
    Ok(())
}

fn map_quantiles(y: &Axis, q: &[f64; 5]) -> Option<[f64; 5]> {
    let mut out = [0.0; 5];
    for (o, v) in out.iter_mut().zip(q) {
        *o = y.map(*v)?;
    }
    Some(out)
}
