//! One palette, one type scale, one font, used by every chart.
//!
//! The palette is Okabe and Ito's, safe for colour-blind readers; the fan
//! bands differ in lightness as well as hue, so they survive greyscale
//! printing. Sizes are chosen for a 1200 × 675 image pasted at half width
//! into an A4 board paper: the smallest text is still about 8 pt there.

use plotters::style::{FontFamily, FontStyle, RGBColor};

/// The embedded font (DejaVu Sans; licence in `assets/fonts/LICENSE-DejaVu.txt`),
/// so that PNGs render the same on a machine with no fonts installed.
pub const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub const FONT_NAME: &str = "DejaVu Sans";
/// What SVG readers fall back to if they lack the font.
pub const SVG_FONT_STACK: &str = "DejaVu Sans, Verdana, Arial, sans-serif";

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 675;

pub const TITLE: u32 = 32;
pub const LABEL: u32 = 26;
pub const TICK: u32 = 22;
pub const NOTE: u32 = 22;

/// Okabe–Ito blue: the main series.
pub const MAIN: RGBColor = RGBColor(0, 114, 178);
/// Okabe–Ito vermillion: markers (funding changes, percentiles).
pub const ACCENT: RGBColor = RGBColor(213, 94, 0);
/// Okabe–Ito bluish green: a second series.
pub const SECOND: RGBColor = RGBColor(0, 158, 115);
/// Okabe–Ito orange.
pub const THIRD: RGBColor = RGBColor(230, 159, 0);
/// Shading for scheduled disruptions.
pub const SHADE: RGBColor = RGBColor(120, 120, 120);
pub const INK: RGBColor = RGBColor(30, 30, 30);

/// The font family every chart uses.
pub fn family() -> FontFamily<'static> {
    FontFamily::Name(FONT_NAME)
}

/// Registers the embedded font with plotters' text renderer; harmless if repeated.
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to be valid; if registration ever
        // failed, plotters would report the missing font when drawing.
        let _ = plotters::style::register_font(FONT_NAME, FontStyle::Normal, FONT_BYTES);
    });
}

/// One colour per line when several share a chart (scenarios compared,
/// values swept), in order: the four above, the rest of Okabe and Ito's
/// palette (their yellow is too pale on white), grey, then ink. More lines
/// reuse them in turn.
pub const SERIES: [RGBColor; 8] = [
    MAIN,
    ACCENT,
    SECOND,
    THIRD,
    RGBColor(86, 180, 233),
    RGBColor(204, 121, 167),
    RGBColor(120, 120, 120),
    INK,
];
