//! The Word report and the STRESS-DES answers: `report.docx` opened as the
//! zip it is, its XML parsed, every figure and every key figure found and
//! checked against the PNGs and `summary.csv`; a template's styles used, and
//! a bad template refused with exit code 2 and its name; `stress_des.md`
//! answering every item, with a rerun command that reproduces the run.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
mod common;

use common::{run_baseline_into, spcap, FIGURES};
use spcap::stats::metric;

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const A: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
const IMAGE: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image";

/// Every STRESS-DES item, numbered as the guideline numbers them.
const ITEMS: [&str; 20] = [
    "1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5.1", "2.5.2", "2.5.3", "2.5.4", "2.5.5", "3.1", "3.2", "3.3",
    "3.4", "4.1", "4.2", "4.3", "5.1",
];
const MORE_ITEMS: [&str; 4] = ["5.2", "5.3", "5.4", "6.1"];

/// Every part of a .docx, by name.
fn parts(file: &Path) -> BTreeMap<String, Vec<u8>> {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("report.docx is a zip archive");
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.insert(entry.name().to_string(), data);
    }
    out
}

fn text_of(part: &[u8]) -> &str {
    std::str::from_utf8(part).expect("XML parts are UTF-8")
}

/// The text of a node: its w:t descendants, joined.
fn text(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.has_tag_name((W, "t")))
        .filter_map(|n| n.text())
        .collect()
}

/// Every table row of the document, as its cells' texts.
fn rows(doc: &roxmltree::Document) -> Vec<Vec<String>> {
    doc.descendants()
        .filter(|n| n.has_tag_name((W, "tr")))
        .map(|tr| tr.children().filter(|c| c.has_tag_name((W, "tc"))).map(text).collect())
        .collect()
}

fn summary(dir: &Path) -> BTreeMap<String, Vec<f64>> {
    std::fs::read_to_string(dir.join("summary.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (
                cells[0].to_string(),
                cells[1..].iter().map(|c| c.parse().unwrap_or(f64::NAN)).collect(),
            )
        })
        .collect()
}

#[test]
fn the_word_report_has_every_figure_and_every_key_figure_of_summary_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run_baseline_into(dir);
    let parts = parts(&dir.join("report.docx"));
    for required in [
        "[Content_Types].xml",
        "word/document.xml",
        "word/styles.xml",
        "word/_rels/document.xml.rels",
    ] {
        assert!(parts.contains_key(required), "report.docx has no {required}");
    }
    let document = text_of(&parts["word/document.xml"]);
    let doc = roxmltree::Document::parse(document).expect("word/document.xml parses");
    let all_text = text(doc.root_element());
    assert!(all_text.contains("Baseline PCN service"), "no title");
    assert!(
        all_text.contains("One Primary Care Network social prescribing service"),
        "no description"
    );
    assert!(all_text.contains("Assumptions that drive the result"));

    // Every picture is an image relationship to a PNG in the package, and
    // the pictures are exactly the run's six charts, each once.
    let rels_xml = text_of(&parts["word/_rels/document.xml.rels"]);
    let rels = roxmltree::Document::parse(rels_xml).unwrap();
    let images: BTreeMap<&str, &str> = rels
        .descendants()
        .filter(|n| n.attribute("Type") == Some(IMAGE))
        .map(|n| (n.attribute("Id").unwrap(), n.attribute("Target").unwrap()))
        .collect();
    let embeds: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name((A, "blip")))
        .map(|n| n.attribute((R, "embed")).expect("a picture names its image"))
        .collect();
    assert_eq!(embeds.len(), FIGURES.len(), "one picture per chart: {embeds:?}");
    let mut unmatched: Vec<Vec<u8>> = FIGURES
        .iter()
        .map(|name| std::fs::read(dir.join(format!("{name}.png"))).unwrap())
        .collect();
    for id in &embeds {
        let target = images
            .get(id)
            .unwrap_or_else(|| panic!("{id} is not an image relationship"));
        let bytes = &parts[&format!("word/{target}")];
        image::load_from_memory(bytes).unwrap_or_else(|e| panic!("{target} does not decode: {e}"));
        let at = unmatched
            .iter()
            .position(|png| png == bytes)
            .unwrap_or_else(|| panic!("{target} is not one of the charts, or is there twice"));
        unmatched.remove(at);
    }
    // Each picture is followed by its numbered caption, and fits the text width of A4.
    for n in 1..=FIGURES.len() {
        assert!(all_text.contains(&format!("Figure {n}. ")), "no caption for figure {n}");
    }
    let twips = |tag: &str, attr: &str| -> u64 {
        let node = doc.descendants().find(|n| n.has_tag_name((W, tag))).unwrap();
        node.attribute((W, attr)).unwrap().parse().unwrap()
    };
    assert_eq!(
        (twips("pgSz", "w"), twips("pgSz", "h")),
        (11906, 16838),
        "the page is A4"
    );
    // 635 EMU to a twip.
    let text_width = (twips("pgSz", "w") - twips("pgMar", "left") - twips("pgMar", "right")) * 635;
    for extent in doc.descendants().filter(|n| n.tag_name().name() == "extent") {
        let (cx, cy): (u64, u64) = (
            extent.attribute("cx").unwrap().parse().unwrap(),
            extent.attribute("cy").unwrap().parse().unwrap(),
        );
        assert!(
            cx > 0 && cx <= text_width,
            "a picture {cx} EMU wide does not fit the text width {text_width}"
        );
        let height = cy as f64 * 1200.0 / cx as f64;
        assert!(
            (height - 675.0).abs() < 0.5,
            "a picture keeps the chart's proportions: {height}"
        );
    }

    // Each table's heading row repeats on every page it runs onto.
    let headed = doc
        .descendants()
        .filter(|n| n.has_tag_name((W, "tbl")))
        .filter(|t| {
            let first = t.children().find(|c| c.has_tag_name((W, "tr")));
            first.is_some_and(|tr| tr.descendants().any(|n| n.has_tag_name((W, "tblHeader"))))
        })
        .count();
    // Key figures, assumptions, six sections of the appendix and its parameters; not the metadata.
    assert_eq!(headed, 9, "tables with a repeated heading row");

    // Every key figure, as the metric table formats summary.csv's numbers.
    let rows = rows(&doc);
    let summary = summary(dir);
    for k in metric::key_metrics() {
        let s = &summary[k.column];
        let row = rows
            .iter()
            .find(|r| r.len() == 3 && r[0].starts_with(&k.label_with_unit()))
            .unwrap_or_else(|| panic!("no key figure row for {}", k.column));
        assert_eq!(row[1], k.format(s[0]), "{}: mean differs from summary.csv", k.column);
        assert_eq!(
            row[2],
            format!("{} to {}", k.format(s[1]), k.format(s[2])),
            "{}: interval differs from summary.csv",
            k.column
        );
    }
    // The metadata, and the appendix with every item.
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert!(rows
        .iter()
        .any(|r| r == &["Scenario hash", meta["scenario_hash"].as_str().unwrap()]));
    assert!(rows.iter().any(|r| r == &["Seed", "1"]));
    for item in ITEMS.iter().chain(&MORE_ITEMS) {
        assert!(
            rows.iter().any(|r| r[0].starts_with(&format!("{item} "))),
            "the appendix has no item {item}"
        );
    }
    // The HTML report has the same appendix.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for item in ITEMS.iter().chain(&MORE_ITEMS) {
        assert!(
            html.contains(&format!("<tr id=\"stress-{item}\">")),
            "report.html has no item {item}"
        );
    }
}

fn stress_rows(md: &str) -> BTreeMap<String, String> {
    md.lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| {
            let (item, answer) = l.split_once(" | ")?;
            let number = item.split_whitespace().next()?;
            number
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
                .then(|| (number.to_string(), answer.to_string()))
        })
        .collect()
}

#[test]
fn stress_des_answers_every_item_from_the_run_and_its_rerun_reproduces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    run_baseline_into(&dir);
    let md = std::fs::read_to_string(dir.join("stress_des.md")).unwrap();
    let items = stress_rows(&md);
    for item in ITEMS.iter().chain(&MORE_ITEMS) {
        let answer = items
            .get(*item)
            .unwrap_or_else(|| panic!("stress_des.md has no item {item}:\n{md}"));
        assert!(answer.len() > 20, "item {item} has no real answer: {answer}");
    }
    // What only the author knows is left to the author, and what the run knows is answered.
    for item in ["1.1", "1.3", "3.1", "3.2", "6.1"] {
        assert!(
            items[item].contains("To be completed by the author"),
            "{item}: {}",
            items[item]
        );
    }
    for item in ["1.2", "2.5.3", "4.2", "5.2", "5.3", "5.4"] {
        assert!(!items[item].contains("To be completed"), "{item}: {}", items[item]);
    }
    assert!(
        items["4.2"].contains("731 days of warm-up then 1826 days measured"),
        "{}",
        items["4.2"]
    );
    assert!(items["5.2"].contains("seed 1") && items["5.2"].contains("Xoshiro256++"));
    assert!(items["5.4"].contains("12 replicates in") && items["5.4"].contains("cores available"));
    assert!(items["2.3"].contains("random VCSE closures") && items["2.3"].contains("link worker turnover"));
    assert!(
        !items["2.3"].contains("funding change"),
        "the baseline changes no funding"
    );
    // The precision reached, from summary.csv.
    let s = &summary(&dir)["waiting_mean"];
    let precision = format!("Mean wait {:.1}%", 100.0 * (s[2] - s[0]) / s[0]);
    assert!(items["4.3"].contains(&precision), "{precision}: {}", items["4.3"]);
    // Every parameter with its source: the [sources] entries, and those it lacks.
    assert!(
        md.contains("| `referrals.rate_per_month` | 85.0 | assumption, sized to 200-250 supported per FTE a year (NHS England, public) |"),
        "{md}"
    );
    assert!(md.contains("| `link_workers.annual_cost_per_fte` | 36428.0 | ARRS 2022/23 (public) |"));
    assert!(md.contains("| `vcse.services[0].places` | 45 | assumption (places and attendance) |"));
    assert!(md.contains("| `holding.check_in_interval` | 4w | none in [sources]; To be completed by the author |"));

    // The rerun command, run, gives the same results.
    let rerun = md
        .lines()
        .find_map(|l| l.strip_prefix("To rerun it exactly: `"))
        .and_then(|l| l.strip_suffix('`'))
        .expect("a rerun command");
    let words: Vec<&str> = rerun.split_whitespace().collect();
    assert_eq!(words[..2], ["spcap", "run"]);
    let before = std::fs::read(dir.join("summary.csv")).unwrap();
    std::fs::remove_file(dir.join("summary.csv")).unwrap();
    let out = spcap(&words[1..]);
    assert!(
        out.status.success(),
        "{rerun}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(dir.join("summary.csv")).unwrap(),
        before,
        "{rerun} gave other results"
    );
}

/// The count the appendix gives is the one `spcap replications` finds.
#[test]
fn the_replicates_stress_des_asks_for_are_those_spcap_replications_finds() {
    let tmp = tempfile::tempdir().unwrap();
    // A loaded service with no turnover, no closures and nobody held: the mean wait settles in a few
    // dozen replicates, and the mean time held is 0 throughout.
    let file = tmp.path().join("steady.toml");
    let steady = format!(
        "extends = \"{}/scenarios/baseline.toml\"\n{STEADY}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::write(&file, steady).unwrap();
    let file = file.to_str().unwrap();
    let found = spcap(&[
        "replications",
        file,
        "--quiet",
        "--out",
        tmp.path().join("r").to_str().unwrap(),
    ]);
    assert!(found.status.success(), "{}", String::from_utf8_lossy(&found.stderr));
    let stdout = String::from_utf8_lossy(&found.stdout);
    let n: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Recommended: "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no recommendation: {stdout}"));
    let out = tmp.path().join("out");
    let run = spcap(&[
        "run",
        file,
        "-n",
        &(2 * n + 10).to_string(),
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let md = std::fs::read_to_string(out.join("stress_des.md")).unwrap();
    let items = stress_rows(&md);
    assert!(
        items["4.3"].contains(&format!("as spcap replications does, asks for {n} replicates")),
        "spcap replications recommends {n}: {}",
        items["4.3"]
    );
    // Too few replicates for the rule: said so, with the command that would find the count.
    let short = spcap(&["run", file, "-n", "6", "-q", "--out", out.to_str().unwrap()]);
    assert!(short.status.success());
    let md = std::fs::read_to_string(out.join("stress_des.md")).unwrap();
    assert!(
        stress_rows(&md)["4.3"].contains("is not met within these 6 replicates"),
        "{md}"
    );
}

const STEADY: &str = r#"
name = "Steady"
[calendar]
horizon = "2y"
[referrals]
rate_per_month = 125
[holding]
policy = "discharge"
[vcse]
closures = { annual_rate = 0.0 }
[link_workers]
turnover = { annual_rate = 0.0 }
[[link_workers.posts]]
count = 3
fte = 1.0
"#;

fn write_zip(path: &Path, files: &[(&str, &str)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, text) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn a_bad_template_is_refused_by_name_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let not_zip = tmp.path().join("letterhead.docx");
    std::fs::write(&not_zip, "this is not a Word file").unwrap();
    let no_styles = tmp.path().join("no_styles.docx");
    write_zip(&no_styles, &[("word/document.xml", "<w:document/>")]);
    let broken = tmp.path().join("broken.docx");
    write_zip(&broken, &[("word/styles.xml", "<w:styles xmlns:w=\"x\"><w:style>")]);
    let missing = tmp.path().join("missing.docx");
    let out = tmp.path().join("out");
    for (template, says) in [
        (&not_zip, "not a Word document"),
        (&no_styles, "without word/styles.xml"),
        (&broken, "not well-formed XML"),
        (&missing, "cannot be read"),
    ] {
        let run = spcap(&[
            "run",
            "scenarios/baseline.toml",
            "-n",
            "2",
            "-q",
            "--out",
            out.to_str().unwrap(),
            "--docx-template",
            template.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(template.to_str().unwrap()) && stderr.contains(says),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.exists(), "nothing is run or written for a bad template");
    }
    // plot and compare refuse it the same way.
    run_baseline_into(&out);
    let plot = spcap(&[
        "plot",
        out.to_str().unwrap(),
        "--docx-template",
        not_zip.to_str().unwrap(),
    ]);
    assert_eq!(plot.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&plot.stderr).contains("letterhead.docx"));
    let compare = spcap(&[
        "compare",
        "scenarios/baseline.toml",
        "scenarios/invest_vcse.toml",
        "-n",
        "2",
        "-q",
        "--out",
        tmp.path().join("cmp").to_str().unwrap(),
        "--docx-template",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(compare.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&compare.stderr).contains("broken.docx"));
    assert!(!tmp.path().join("cmp").exists());
}

#[test]
fn a_template_restyles_the_report_and_keeps_the_styles_it_lacks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    run_baseline_into(&dir);
    let before = parts(&dir.join("report.docx"));
    // A template as Word writes one: its own prefix for the namespace, a Title and a Normal style.
    let template = tmp.path().join("house.docx");
    let styles = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:styles xmlns:x="{W}"><x:style x:type="paragraph" x:default="1" x:styleId="Normal"><x:name x:val="Normal"/><x:rPr><x:rFonts x:ascii="Georgia" x:hAnsi="Georgia"/></x:rPr></x:style><x:style x:type="paragraph" x:styleId="Title"><x:name x:val="Title"/><x:rPr><x:color x:val="AA0000"/></x:rPr></x:style></x:styles>"#
    );
    let theme = r#"<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="House"><a:themeElements><a:fontScheme name="House"><a:majorFont><a:latin typeface="Georgia"/></a:majorFont><a:minorFont><a:latin typeface="Georgia"/></a:minorFont></a:fontScheme></a:themeElements></a:theme>"#;
    write_zip(
        &template,
        &[
            ("word/styles.xml", &styles),
            ("word/document.xml", "<x/>"),
            ("word/theme/theme1.xml", theme),
        ],
    );
    let plot = spcap(&[
        "plot",
        dir.to_str().unwrap(),
        "--docx-template",
        template.to_str().unwrap(),
    ]);
    assert!(plot.status.success(), "{}", String::from_utf8_lossy(&plot.stderr));
    let after = parts(&dir.join("report.docx"));
    let styles = text_of(&after["word/styles.xml"]);
    let doc = roxmltree::Document::parse(styles).expect("the merged styles parse");
    let ids: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name((W, "style")))
        .filter_map(|n| n.attribute((W, "styleId")))
        .collect();
    assert_eq!(ids.iter().filter(|i| **i == "Title").count(), 1, "{ids:?}");
    assert_eq!(ids.iter().filter(|i| **i == "Normal").count(), 1, "{ids:?}");
    assert!(
        styles.contains("Georgia") && styles.contains("AA0000"),
        "the template's styles are used"
    );
    for id in ["Heading1", "Heading2", "Caption"] {
        assert!(ids.contains(&id), "{id}, which the template lacks, is kept: {ids:?}");
    }
    // The template's theme comes along, declared and related as Word relates its own.
    assert_eq!(text_of(&after["word/theme/theme1.xml"]), theme);
    assert!(text_of(&after["[Content_Types].xml"]).contains(
        "<Override PartName=\"/word/theme/theme1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.theme+xml\"/>"
    ));
    let rels = roxmltree::Document::parse(text_of(&after["word/_rels/document.xml.rels"])).unwrap();
    assert!(rels
        .descendants()
        .any(|n| n.attribute("Target") == Some("theme/theme1.xml")
            && n.attribute("Type")
                == Some("http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme")));
    assert!(
        !before.contains_key("word/theme/theme1.xml"),
        "no theme without a template"
    );
    // The content is the same; only the styles changed.
    let words = |p: &BTreeMap<String, Vec<u8>>| {
        text(
            roxmltree::Document::parse(text_of(&p["word/document.xml"]))
                .unwrap()
                .root_element(),
        )
    };
    assert_eq!(words(&before), words(&after));
}

#[test]
fn a_comparison_writes_its_word_report_and_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cmp");
    let out = spcap(&[
        "compare",
        "scenarios/baseline.toml",
        "scenarios/invest_link_workers.toml",
        "-n",
        "6",
        "-q",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let parts = parts(&dir.join("comparison.docx"));
    let doc = roxmltree::Document::parse(text_of(&parts["word/document.xml"])).unwrap();
    let all = text(doc.root_element());
    assert!(all.contains("Verdict") && all.contains("Differences from Baseline PCN service"));
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name((A, "blip"))).count(), 4);
    let md = std::fs::read_to_string(dir.join("stress_des.md")).unwrap();
    let items = stress_rows(&md);
    assert!(items["1.3"].contains("Scenario analysis"), "{}", items["1.3"]);
    assert!(
        items["2.3"].contains("Keys that differ from the base"),
        "{}",
        items["2.3"]
    );
    assert!(md.contains("To rerun it exactly: `spcap compare scenarios/baseline.toml scenarios/invest_link_workers.toml --replicates 6 --seed 1"));
    // Each scenario's own folder has its report and answers too.
    for label in ["baseline", "invest_link_workers"] {
        assert!(dir.join(label).join("report.docx").exists() && dir.join(label).join("stress_des.md").exists());
    }
}

/// A folder written before run.json recorded the build and the machine is
/// still redrawn, and its answers say what is not known rather than guess.
#[test]
fn an_older_folder_says_what_it_did_not_record() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    run_baseline_into(&dir);
    let path = dir.join("run.json");
    let mut run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let fields = run.as_object_mut().unwrap();
    assert!(fields.remove("build").is_some() && fields.remove("machine").is_some());
    std::fs::write(&path, serde_json::to_string_pretty(&run).unwrap()).unwrap();
    let plot = spcap(&["plot", dir.to_str().unwrap()]);
    assert!(plot.status.success(), "{}", String::from_utf8_lossy(&plot.stderr));
    let items = stress_rows(&std::fs::read_to_string(dir.join("stress_des.md")).unwrap());
    assert!(items["5.1"].contains("build not recorded"), "{}", items["5.1"]);
    assert!(
        items["5.4"].contains("the machine was not recorded") && !items["5.4"].contains("merged"),
        "{}",
        items["5.4"]
    );
    assert!(items["5.4"].contains("To be completed by the author: the hardware"));
}
