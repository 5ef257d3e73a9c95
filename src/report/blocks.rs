//! What a report says, as blocks: headings, paragraphs, tables, lists and
//! the place of the figures. The run and comparison pages are written once
//! as a [`Page`] of blocks; [`html`](super::html) renders them as the
//! self-contained page, [`docx`](super::docx) as the Word report and
//! [`markdown`](super::markdown) as `stress_des.md`, so the three can never
//! say different things.
//!
//! Attributes (`id`, `class`, `data-*`) are for the HTML page alone: they let
//! a script or a test read the exact value behind a rounded number. The other
//! renderers ignore them.

/// Text within a paragraph, a cell or a list item.
#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    Text(String),
    Strong(String),
    /// A file name, key or command, in a monospace font.
    Code(String),
    /// A note in smaller type ("12 of 20 replicates had a value").
    Small(String),
    /// A link; `href` is relative to the report's folder or absolute.
    Link {
        text: String,
        href: String,
    },
    Break,
}

/// Plain text.
pub fn text(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

/// Monospace text.
pub fn code(s: impl Into<String>) -> Inline {
    Inline::Code(s.into())
}

/// An HTML attribute of a cell, row or item: (name, value).
pub type Attribute = (&'static str, String);

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    pub content: Vec<Inline>,
    pub attrs: Vec<Attribute>,
    /// A number, right-aligned.
    pub numeric: bool,
}

impl Cell {
    pub fn new(content: Vec<Inline>) -> Cell {
        Cell {
            content,
            ..Cell::default()
        }
    }

    /// A cell of plain text.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::new(vec![text(s)])
    }

    /// A right-aligned number.
    pub fn number(content: Vec<Inline>) -> Cell {
        Cell {
            numeric: true,
            ..Cell::new(content)
        }
    }

    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Cell {
        self.attrs.push((name, value.into()));
        self
    }

    /// The cell's text, as a renderer without markup would show it.
    pub fn plain(&self) -> String {
        plain(&self.content)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    pub id: Option<String>,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Row {
        Row { id: None, cells }
    }

    pub fn id(mut self, id: impl Into<String>) -> Row {
        self.id = Some(id.into());
        self
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// The HTML class: `key` (figures), `meta` (metadata), `assumptions`...
    pub class: &'static str,
    /// Column headings; none for a two-column table of names and values.
    pub head: Vec<String>,
    pub rows: Vec<Row>,
    /// Relative column widths for print (Word); even when empty.
    pub widths: Vec<u32>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item {
    pub id: Option<String>,
    pub class: Option<&'static str>,
    pub attrs: Vec<Attribute>,
    pub content: Vec<Inline>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A heading of level 2 or 3 (the page's title is level 1).
    Heading(u8, String),
    Paragraph(Vec<Inline>),
    /// The opening paragraph, a little larger.
    Lead(Vec<Inline>),
    Table(Table),
    /// A bulleted list; the class is the HTML list's.
    List(Option<&'static str>, Vec<Item>),
    /// The page's figures, each with its reading, in order.
    Figures,
    /// Where the appendix starts: a new page in print.
    Appendix(String),
}

/// A whole report: a title and its blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub title: String,
    /// What the page is, after the title in a browser's tab: "spcap report".
    pub what: &'static str,
    /// Style rules the HTML page adds to the house style.
    pub extra_css: &'static str,
    pub blocks: Vec<Block>,
}

/// The text of inlines without markup.
pub fn plain(content: &[Inline]) -> String {
    content
        .iter()
        .map(|i| match i {
            Inline::Text(s) | Inline::Strong(s) | Inline::Code(s) | Inline::Small(s) => s.clone(),
            Inline::Link { text, .. } => text.clone(),
            Inline::Break => " ".into(),
        })
        .collect()
}

/// A paragraph from parts: `para([text("See "), code("run.json")])`.
pub fn para(content: Vec<Inline>) -> Block {
    Block::Paragraph(content)
}

/// A two-column table of names and values (a run's metadata).
pub fn name_values(class: &'static str, rows: Vec<(&str, String)>) -> Table {
    Table {
        class,
        head: Vec::new(),
        rows: rows
            .into_iter()
            .map(|(name, value)| Row::new(vec![Cell::text(name), Cell::text(value)]))
            .collect(),
        widths: vec![1, 2],
    }
}
