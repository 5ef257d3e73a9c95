//! A [`Page`] of blocks as one self-contained HTML page: the house style
//! inline, figures as inline SVG, no scripts and nothing fetched. Each row,
//! cell and list item is one line, with its attributes, so that a script
//! (or a test) can find a key figure's exact value beside its rounded text.

use super::blocks::{Attribute, Block, Cell, Inline, Item, Page, Table};
use super::kit::{escape, figures_html, page_start};
use crate::plot::Figure;

/// The page's HTML, the figures in place of [`Block::Figures`].
pub fn render(page: &Page, figures: &[Figure]) -> String {
    let mut out = page_start(&escape(&page.title), page.what, page.extra_css);
    for block in &page.blocks {
        match block {
            Block::Heading(level, text) => out.push_str(&format!("<h{level}>{}</h{level}>\n", escape(text))),
            Block::Paragraph(content) => out.push_str(&format!("<p>{}</p>\n", inlines(content))),
            Block::Lead(content) => out.push_str(&format!("<p class=\"lead\">{}</p>\n", inlines(content))),
            Block::Table(t) => out.push_str(&table(t)),
            Block::List(class, items) => out.push_str(&list(*class, items)),
            Block::Figures => out.push_str(&figures_html(figures)),
            Block::Appendix(text) => out.push_str(&format!("<h2 class=\"appendix\">{}</h2>\n", escape(text))),
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Inlines as HTML, text escaped.
pub fn inlines(content: &[Inline]) -> String {
    content
        .iter()
        .map(|i| match i {
            Inline::Text(s) => escape(s),
            Inline::Strong(s) => format!("<strong>{}</strong>", escape(s)),
            Inline::Code(s) => format!("<code>{}</code>", escape(s)),
            Inline::Small(s) => format!("<small>{}</small>", escape(s)),
            Inline::Link { text, href } => format!("<a href=\"{}\">{}</a>", escape(href), escape(text)),
            Inline::Break => "<br>".into(),
        })
        .collect()
}

fn attributes(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .map(|(name, value)| format!(" {name}=\"{}\"", escape(value)))
        .collect()
}

fn cell(c: &Cell) -> String {
    let class = if c.numeric { " class=\"num\"" } else { "" };
    format!("<td{class}{}>{}</td>", attributes(&c.attrs), inlines(&c.content))
}

fn table(t: &Table) -> String {
    let mut out = format!("<table class=\"{}\">\n", t.class);
    if !t.head.is_empty() {
        let head: String = t.head.iter().map(|h| format!("<th>{}</th>", escape(h))).collect();
        out.push_str(&format!("<thead><tr>{head}</tr></thead>\n"));
    }
    out.push_str("<tbody>\n");
    for row in &t.rows {
        let id = row
            .id
            .as_ref()
            .map_or(String::new(), |id| format!(" id=\"{}\"", escape(id)));
        let cells: String = row.cells.iter().map(cell).collect();
        out.push_str(&format!("<tr{id}>{cells}</tr>\n"));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn list(class: Option<&str>, items: &[Item]) -> String {
    let class = class.map_or(String::new(), |c| format!(" class=\"{c}\""));
    let mut out = format!("<ul{class}>\n");
    for item in items {
        let id = item
            .id
            .as_ref()
            .map_or(String::new(), |id| format!(" id=\"{}\"", escape(id)));
        let class = item.class.map_or(String::new(), |c| format!(" class=\"{c}\""));
        out.push_str(&format!(
            "<li{id}{class}{}>{}</li>\n",
            attributes(&item.attrs),
            inlines(&item.content)
        ));
    }
    out.push_str("</ul>\n");
    out
}
