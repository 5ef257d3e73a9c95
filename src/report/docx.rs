//! A [`Page`] of blocks as a Word document (`report.docx`), written with
//! `docx-rs`: A4 with 20 mm margins, the page's title, headings, tables,
//! lists, and each figure as its PNG (1200 pixels wide, about 180 dpi at the
//! 170 mm text width) with its reading as the caption.
//!
//! Paragraphs name Word's built-in styles by their identifiers (`Title`,
//! `Heading1` to `Heading3`, `Caption`, `Normal`), so that an
//! organisation's template ([`Template`], `--docx-template FILE`) restyles
//! the report: its `word/styles.xml` replaces spcap's, and spcap's own
//! definition is kept only for a style the template lacks; its theme (the
//! fonts and colours its styles may name by theme) comes along.

use super::blocks::{Block, Cell, Inline, Item, Page, Table};
use crate::exit::{Exit, ExitWith};
use crate::plot::Figure;
use docx_rs::{
    AbstractNumbering, AlignmentType, BorderType, Docx, Hyperlink, HyperlinkType, IndentLevel, Level, LevelJc,
    LevelText, LineSpacing, LineSpacingType, NumberFormat, Numbering, NumberingId, PageMargin, Paragraph, Pic, Run,
    RunFonts, SpecialIndentType, Start, Style, StyleType, TableBorder, TableBorderPosition, TableCell, TableCellBorder,
    TableCellBorderPosition, TableCellBorders, TableLayoutType, TableRow, WidthType,
};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

/// A4 in twentieths of a point.
const PAGE_WIDTH: u32 = 11906;
const PAGE_HEIGHT: u32 = 16838;
/// 20 mm.
const MARGIN: i32 = 1134;
/// The text's width: A4 less both margins (170 mm).
const TEXT_WIDTH: u32 = PAGE_WIDTH - 2 * MARGIN as u32;
/// English Metric Units per twentieth of a point.
const EMU_PER_TWIP: u64 = 635;
const FONT: &str = "Arial";
const MONO: &str = "Courier New";
/// The bullet list's numbering: docx-rs defines number 1 itself (a decimal list).
const BULLETS: usize = 2;

/// Where a .docx keeps its theme.
const THEME: &str = "word/theme/theme1.xml";

/// The WordprocessingML namespace, which every part of a .docx uses.
const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/// The styles of an organisation's Word template (`--docx-template FILE`),
/// read and checked before anything runs.
#[derive(Clone, Debug)]
pub struct Template {
    pub file: PathBuf,
    /// `word/styles.xml`, checked to be a well-formed styles part.
    styles: String,
    /// `word/theme/theme1.xml`, if the template has one: the fonts and colours
    /// its styles name by theme ("minor font", "accent 1") rather than by name.
    theme: Option<String>,
}

/// A template that cannot be used: the user's input, so exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{file}: cannot be used as a --docx-template: {message}", file = file.display())]
pub struct TemplateError {
    pub file: PathBuf,
    pub message: String,
}

impl ExitWith for TemplateError {
    fn exit_with(&self) -> Exit {
        Exit::BadInput
    }
}

impl Template {
    /// Reads a .docx (or .dotx) and takes its `word/styles.xml`.
    pub fn read(file: &Path) -> Result<Template, TemplateError> {
        let fail = |message: String| TemplateError {
            file: file.to_path_buf(),
            message,
        };
        let bytes = std::fs::read(file).map_err(|e| fail(format!("cannot be read: {e}")))?;
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
            fail(format!(
                "not a Word document (.docx is a zip archive; this is not one: {e})"
            ))
        })?;
        let mut styles = String::new();
        archive
            .by_name("word/styles.xml")
            .map_err(|_| fail("a zip archive without word/styles.xml, so not a Word document (.docx or .dotx)".into()))?
            .read_to_string(&mut styles)
            .map_err(|e| fail(format!("word/styles.xml cannot be read as UTF-8 text: {e}")))?;
        check_styles(&styles).map_err(fail)?;
        let theme = match archive.by_name(THEME) {
            Err(_) => None,
            Ok(mut entry) => {
                let mut theme = String::new();
                entry
                    .read_to_string(&mut theme)
                    .map_err(|e| fail(format!("{THEME} cannot be read as UTF-8 text: {e}")))?;
                roxmltree::Document::parse(&theme).map_err(|e| fail(format!("{THEME} is not well-formed XML: {e}")))?;
                Some(theme)
            }
        };
        Ok(Template {
            file: file.to_path_buf(),
            styles,
            theme,
        })
    }
}

/// Checks that `styles.xml` is well-formed and is a styles part.
fn check_styles(styles: &str) -> Result<(), String> {
    let doc = roxmltree::Document::parse(styles).map_err(|e| format!("word/styles.xml is not well-formed XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "styles" || root.tag_name().namespace() != Some(W_NS) {
        return Err(format!(
            "word/styles.xml is not a styles part: its root element is <{}>, not <w:styles>",
            root.tag_name().name()
        ));
    }
    Ok(())
}

/// The template's styles, with spcap's definition added for every style the
/// report uses that the template does not define.
fn merge_styles(template: &str, ours: &str) -> Result<String, String> {
    let theirs = roxmltree::Document::parse(template).map_err(|e| e.to_string())?;
    let defined: std::collections::HashSet<&str> = theirs
        .root_element()
        .children()
        .filter(|n| n.tag_name().name() == "style")
        .filter_map(|n| n.attribute((W_NS, "styleId")))
        .collect();
    let ours_doc = roxmltree::Document::parse(ours).map_err(|e| e.to_string())?;
    let missing: String = ours_doc
        .root_element()
        .children()
        .filter(|n| n.tag_name().name() == "style")
        .filter(|n| n.attribute((W_NS, "styleId")).is_some_and(|id| !defined.contains(id)))
        .map(|n| &ours[n.range()])
        .collect();
    let close = template.rfind("</").ok_or("word/styles.xml has no closing tag")?;
    // Our elements use the prefix w:, bound on our root; the template may bind
    // another prefix, so each copied element declares w: itself.
    let missing = missing.replace("<w:style ", &format!("<w:style xmlns:w=\"{W_NS}\" "));
    Ok(format!("{}{missing}{}", &template[..close], &template[close..]))
}

/// The report as a .docx file's bytes.
pub fn render(page: &Page, figures: &[Figure], template: Option<&Template>) -> Result<Vec<u8>, String> {
    let mut doc = styled(Docx::new())
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(
            PageMargin::new()
                .top(MARGIN)
                .bottom(MARGIN)
                .left(MARGIN)
                .right(MARGIN)
                .header(567)
                .footer(567),
        )
        .add_abstract_numbering(
            AbstractNumbering::new(BULLETS).add_level(
                Level::new(
                    0,
                    Start::new(1),
                    NumberFormat::new("bullet"),
                    LevelText::new("\u{2022}"),
                    LevelJc::new("left"),
                )
                .indent(Some(360), Some(SpecialIndentType::Hanging(360)), None, None),
            ),
        )
        .add_numbering(Numbering::new(BULLETS, BULLETS));
    doc = doc.add_paragraph(
        Paragraph::new()
            .style("Title")
            .add_run(Run::new().add_text(&page.title)),
    );
    for block in &page.blocks {
        doc = match block {
            Block::Heading(level, text) => doc.add_paragraph(heading(*level, text)),
            Block::Paragraph(content) => doc.add_paragraph(paragraph(content)),
            Block::Lead(content) => doc.add_paragraph(runs(Paragraph::new(), content, Some(24))),
            Block::Table(t) => doc.add_table(table(t)),
            Block::List(_, items) => items.iter().fold(doc, |d, item| d.add_paragraph(bullet(item))),
            Block::Figures => figures.iter().enumerate().try_fold(doc, |d, (i, f)| {
                let (picture, caption) = figure(i + 1, f)?;
                Ok::<_, String>(d.add_paragraph(picture).add_paragraph(caption))
            })?,
            Block::Appendix(text) => doc.add_paragraph(heading(2, text).page_break_before(true)),
        };
    }
    let mut xml = doc.build();
    // A heading row is the only row that may not split (see `table`); docx-rs
    // has no way to say it repeats on each page a long table runs onto, so it
    // is said here. Should docx-rs ever write the row otherwise, the tables
    // merely lose their repeated headings.
    xml.document = String::from_utf8_lossy(&xml.document)
        .replace(
            "<w:trPr><w:cantSplit /></w:trPr>",
            "<w:trPr><w:cantSplit /><w:tblHeader /></w:trPr>",
        )
        .into_bytes();
    if let Some(t) = template {
        let ours = String::from_utf8_lossy(&xml.styles).into_owned();
        xml.styles = merge_styles(&t.styles, &ours)?.into_bytes();
    }
    let mut out = Cursor::new(Vec::new());
    xml.pack(&mut out).map_err(|e| e.to_string())?;
    match template.and_then(|t| t.theme.as_deref()) {
        Some(theme) => with_theme(out.into_inner(), theme).map_err(|e| format!("adding the template's theme: {e}")),
        None => Ok(out.into_inner()),
    }
}

/// The package with the template's theme added as a part of its own, which
/// docx-rs does not write: declared in `[Content_Types].xml` and related to
/// the document, as Word relates its own.
fn with_theme(docx: Vec<u8>, theme: &str) -> zip::result::ZipResult<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(docx))?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let insert = |data: Vec<u8>, before: &str, what: &str| {
        let text = String::from_utf8_lossy(&data).into_owned();
        match text.rfind(before) {
            Some(at) => format!("{}{what}{}", &text[..at], &text[at..]).into_bytes(),
            None => data,
        }
    };
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i)?;
        let name = entry.name().to_string();
        if entry.is_dir() {
            out.add_directory(name, options)?;
            continue;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data)?;
        let data = match name.as_str() {
            "[Content_Types].xml" => insert(
                data,
                "</Types>",
                "<Override PartName=\"/word/theme/theme1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.theme+xml\"/>",
            ),
            "word/_rels/document.xml.rels" => insert(
                data,
                "</Relationships>",
                "<Relationship Id=\"rIdSpcapTheme\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme\" Target=\"theme/theme1.xml\"/>",
            ),
            _ => data,
        };
        out.start_file(name, options)?;
        std::io::Write::write_all(&mut out, &data)?;
    }
    out.start_file(THEME, options)?;
    std::io::Write::write_all(&mut out, theme.as_bytes())?;
    Ok(out.finish()?.into_inner())
}

/// spcap's own styles: the house look, used where no template restyles it.
fn styled(doc: Docx) -> Docx {
    let font = || RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT);
    let heading = |id: &str, name: &str, size: usize, before: u32, level: usize| {
        Style::new(id, StyleType::Paragraph)
            .name(name)
            .based_on("Normal")
            .next("Normal")
            .bold()
            .size(size)
            .color("1E1E1E")
            .line_spacing(LineSpacing::new().before(before).after(120))
            .outline_lvl(level)
    };
    doc.default_fonts(font())
        .default_size(20)
        .default_line_spacing(LineSpacing::new().after(100).line(264).line_rule(LineSpacingType::Auto))
        .add_style(Style::new("Normal", StyleType::Paragraph).name("Normal"))
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .based_on("Normal")
                .next("Normal")
                .bold()
                .size(36)
                .line_spacing(LineSpacing::new().after(200)),
        )
        .add_style(heading("Heading1", "heading 1", 28, 360, 0))
        .add_style(heading("Heading2", "heading 2", 24, 240, 1))
        .add_style(heading("Heading3", "heading 3", 22, 200, 2))
        .add_style(
            Style::new("Caption", StyleType::Paragraph)
                .name("caption")
                .based_on("Normal")
                .next("Normal")
                .size(18)
                .line_spacing(LineSpacing::new().before(60).after(240)),
        )
}

/// An HTML heading level (2, 3) as a Word heading (1, 2): the title is Word's Title.
fn heading(level: u8, text: &str) -> Paragraph {
    let level = level.saturating_sub(1).clamp(1, 3);
    Paragraph::new()
        .style(&format!("Heading{level}"))
        .keep_next(true)
        .add_run(Run::new().add_text(text))
}

fn paragraph(content: &[Inline]) -> Paragraph {
    runs(Paragraph::new(), content, None)
}

/// Adds the inlines to a paragraph as runs; `size` (half-points) for the whole paragraph.
fn runs(mut p: Paragraph, content: &[Inline], size: Option<usize>) -> Paragraph {
    let sized = |r: Run| match size {
        Some(s) => r.size(s),
        None => r,
    };
    for inline in content {
        p = match inline {
            Inline::Text(s) => p.add_run(sized(Run::new().add_text(s))),
            Inline::Strong(s) => p.add_run(sized(Run::new().add_text(s).bold())),
            Inline::Code(s) => p.add_run(
                Run::new()
                    .add_text(s)
                    .fonts(RunFonts::new().ascii(MONO).hi_ansi(MONO).cs(MONO))
                    .size(size.map_or(18, |s| s - 2)),
            ),
            Inline::Small(s) => p.add_run(Run::new().add_text(s).size(16).color("555555")),
            Inline::Link { text, href } => {
                p.add_hyperlink(Hyperlink::new(href, HyperlinkType::External).add_run(sized(Run::new().add_text(text))))
            }
            Inline::Break => p.add_run(Run::new().add_break(docx_rs::BreakType::TextWrapping)),
        };
    }
    p
}

fn bullet(item: &Item) -> Paragraph {
    runs(
        Paragraph::new().numbering(NumberingId::new(BULLETS), IndentLevel::new(0)),
        &item.content,
        None,
    )
}

/// A table across the text width, its columns in the proportions asked for,
/// rules between rows and a darker one under the heading.
fn table(t: &Table) -> docx_rs::Table {
    let columns = t
        .head
        .len()
        .max(t.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0))
        .max(1);
    let weights: Vec<u32> = if t.widths.len() == columns {
        t.widths.clone()
    } else {
        vec![1; columns]
    };
    let total: u32 = weights.iter().sum::<u32>().max(1);
    let grid: Vec<usize> = weights.iter().map(|w| (TEXT_WIDTH * w / total) as usize).collect();
    // A short table (a run's metadata, the key figures) stays on one page:
    // every row but the last keeps with the next.
    let short = t.rows.len() <= 12;
    let cell = |c: &Cell, width: usize, head: bool, keep: bool| {
        // Spacing of its own, so that a template whose Normal has none still leaves the rows room.
        let p = runs(
            Paragraph::new().line_spacing(
                LineSpacing::new()
                    .before(40)
                    .after(40)
                    .line(240)
                    .line_rule(LineSpacingType::Auto),
            ),
            &c.content,
            Some(18),
        );
        let p = if c.numeric { p.align(AlignmentType::Right) } else { p };
        let p = if head || keep { p.keep_next(true) } else { p };
        let cell = TableCell::new().add_paragraph(p).width(width, WidthType::Dxa);
        if head {
            // Only the rule beneath: a cell given borders has all four unless told otherwise.
            cell.set_borders(
                TableCellBorders::with_empty().set(
                    TableCellBorder::new(TableCellBorderPosition::Bottom)
                        .color("888888")
                        .size(8)
                        .border_type(BorderType::Single),
                ),
            )
        } else {
            cell
        }
    };
    let mut rows = Vec::new();
    if !t.head.is_empty() {
        let cells = t
            .head
            .iter()
            .zip(&grid)
            .enumerate()
            .map(|(i, (h, w))| {
                // A column of numbers has its heading over the numbers, on the right.
                let numeric = t.rows.first().and_then(|r| r.cells.get(i)).is_some_and(|c| c.numeric);
                let c = Cell {
                    content: vec![Inline::Strong(h.clone())],
                    numeric,
                    attrs: Vec::new(),
                };
                cell(&c, *w, true, true)
            })
            .collect();
        rows.push(TableRow::new(cells).cant_split());
    }
    for (i, row) in t.rows.iter().enumerate() {
        let keep = short && i + 1 < t.rows.len();
        let mut cells: Vec<TableCell> = row
            .cells
            .iter()
            .zip(&grid)
            .map(|(c, w)| cell(c, *w, false, keep))
            .collect();
        // A short row is filled out, as Word requires a cell for every column.
        for w in grid.iter().skip(cells.len()) {
            cells.push(
                TableCell::new()
                    .add_paragraph(Paragraph::new())
                    .width(*w, WidthType::Dxa),
            );
        }
        // A long answer may run onto the next page rather than leave a gap.
        rows.push(TableRow::new(cells));
    }
    let rule = |position| {
        TableBorder::new(position)
            .color("DDDDDD")
            .size(4)
            .border_type(BorderType::Single)
    };
    docx_rs::Table::without_borders(rows)
        .set_grid(grid)
        .width(TEXT_WIDTH as usize, WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .set_border(rule(TableBorderPosition::InsideH))
        .set_border(rule(TableBorderPosition::Bottom))
}

/// The figure across the text width, kept with its caption: "Figure 1. reading".
fn figure(n: usize, f: &Figure) -> Result<(Paragraph, Paragraph), String> {
    let (width, height) = png_size(&f.png).ok_or_else(|| format!("{}.png is not a PNG image", f.name))?;
    let w_emu = TEXT_WIDTH as u64 * EMU_PER_TWIP;
    let h_emu = w_emu * height as u64 / width.max(1) as u64;
    let pic = Pic::new_with_dimensions(f.png.clone(), width, height).size(w_emu as u32, h_emu as u32);
    // Single spacing set on the picture's own paragraph: a fixed line height would crop it.
    let picture = Paragraph::new()
        .align(AlignmentType::Center)
        .line_spacing(
            LineSpacing::new()
                .before(120)
                .after(0)
                .line(240)
                .line_rule(LineSpacingType::Auto),
        )
        .keep_next(true)
        .add_run(Run::new().add_image(pic));
    let caption = Paragraph::new()
        .style("Caption")
        .add_run(Run::new().add_text(format!("Figure {n}. ")).bold())
        .add_run(Run::new().add_text(&f.reading));
    Ok((picture, caption))
}

/// A PNG's width and height, from its IHDR chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" || &png[12..16] != b"IHDR" {
        return None;
    }
    let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    Some((word(16), word(20)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:rPr><w:color w:val="FF0000"/></w:rPr></w:style></w:styles>"#;

    #[test]
    fn a_template_keeps_its_styles_and_gains_only_the_missing_ones() {
        let ours = String::from_utf8(styled(Docx::new()).build().styles).unwrap();
        let merged = merge_styles(STYLES, &ours).unwrap();
        let doc = roxmltree::Document::parse(&merged).unwrap();
        let ids: Vec<&str> = doc
            .root_element()
            .children()
            .filter_map(|n| n.attribute((W_NS, "styleId")))
            .collect();
        assert_eq!(ids.iter().filter(|i| **i == "Title").count(), 1, "{ids:?}");
        assert!(merged.contains("FF0000"), "the template's Title is kept");
        for id in ["Heading1", "Heading2", "Caption", "Normal"] {
            assert!(ids.contains(&id), "{id} is missing: {ids:?}");
        }
    }

    #[test]
    fn a_styles_part_must_be_one() {
        assert!(check_styles(STYLES).is_ok());
        assert!(check_styles("<w:styles").unwrap_err().contains("not well-formed"));
        assert!(check_styles("<html/>").unwrap_err().contains("<html>"));
    }

    #[test]
    fn png_sizes_are_read_from_the_header() {
        let mut png = Vec::new();
        image::ImageEncoder::write_image(
            image::codecs::png::PngEncoder::new(&mut png),
            &[0u8; 3 * 6 * 4],
            6,
            4,
            image::ColorType::Rgb8,
        )
        .unwrap();
        assert_eq!(png_size(&png), Some((6, 4)));
        assert_eq!(png_size(b"GIF89a"), None);
    }
}
