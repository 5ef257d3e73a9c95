//! Blocks as Markdown (CommonMark with pipe tables, as GitHub and pandoc
//! read it): `stress_des.md`, to paste into a paper's appendix.

use super::blocks::{Block, Inline, Table};

/// The blocks as Markdown; `title` is the level-1 heading.
pub fn render(title: &str, blocks: &[Block]) -> String {
    let mut out = format!("# {}\n\n", escape(title));
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                out.push_str(&format!("{} {}\n\n", "#".repeat(*level as usize), escape(text)))
            }
            Block::Paragraph(content) | Block::Lead(content) => out.push_str(&format!("{}\n\n", inlines(content))),
            Block::Table(t) => out.push_str(&table(t)),
            Block::List(_, items) => {
                for item in items {
                    out.push_str(&format!("- {}\n", inlines(&item.content)));
                }
                out.push('\n');
            }
            // Markdown of the appendix alone has no figures, and its own title.
            Block::Figures | Block::Appendix(_) => {}
        }
    }
    out
}

/// Escapes the characters that would start markup in running text: an
/// underscore only at a word's edge (`waiting_mean` stays as it is, as
/// CommonMark takes no emphasis inside a word).
fn escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let inside_word = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphanumeric());
        let markup = match c {
            '\\' | '*' | '`' | '<' | '|' => true,
            '_' => !(inside_word(i.checked_sub(1)) && inside_word(Some(i + 1))),
            _ => false,
        };
        if markup {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn inlines(content: &[Inline]) -> String {
    content
        .iter()
        .map(|i| match i {
            Inline::Text(s) | Inline::Small(s) => escape(s),
            Inline::Strong(s) => format!("**{}**", escape(s)),
            // A code span holds anything but a backtick run as long as its fence.
            Inline::Code(s) if s.contains('`') => format!("`` {s} ``"),
            Inline::Code(s) => format!("`{s}`"),
            Inline::Link { text, href } => format!("[{}]({href})", escape(text)),
            Inline::Break => "<br>".into(),
        })
        .collect()
}

fn table(t: &Table) -> String {
    let columns = t
        .head
        .len()
        .max(t.rows.iter().map(|r| r.cells.len()).max().unwrap_or(0));
    if columns == 0 {
        return String::new();
    }
    let head: Vec<String> = if t.head.is_empty() {
        vec![String::new(); columns]
    } else {
        t.head.iter().map(|h| escape(h)).collect()
    };
    let mut out = format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(columns));
    for row in &t.rows {
        let cells: Vec<String> = row
            .cells
            .iter()
            .map(|c| inlines(&c.content).replace('\n', " "))
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::blocks::{code, text, Cell, Row};

    #[test]
    fn tables_keep_one_row_a_line_and_escape_pipes() {
        let t = Table {
            class: "x",
            head: vec!["Item".into(), "Answer".into()],
            rows: vec![Row::new(vec![
                Cell::text("1.1"),
                Cell::new(vec![text("a | b"), Inline::Break, code("spcap run")]),
            ])],
            widths: vec![],
        };
        let md = render("T", &[Block::Table(t)]);
        assert_eq!(
            md,
            "# T\n\n| Item | Answer |\n|---|---|\n| 1.1 | a \\| b<br>`spcap run` |\n\n"
        );
    }
}
