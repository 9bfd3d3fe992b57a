//! The output report as files: an XLSX workbook (a summary sheet with period, scope and rules,
//! then one sheet per breakdown, numbers as numbers so Excel can add them) and a CSV in long
//! form (one figure a row). Headers are in the reader's language; a hidden small cell reads `<5`.

use super::OutputReport;
use crate::i18n;
use shegong_domain::locale::Locale;
use shegong_domain::reports::{BreakdownRow, Figure, Line, Measure, SMALL_CELL};
use std::collections::HashMap;

/// Names for the keys of the breakdowns, in the reader's language.
pub struct Labels {
    pub locale: Locale,
    pub agency: String,
    pub scope: String,
    pub units: HashMap<String, String>,
    pub domains: HashMap<String, String>,
    pub categories: HashMap<String, String>,
}

impl Labels {
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.locale, key)
    }

    pub fn measure(&self, m: Measure) -> String {
        self.t(&format!("report-measure-{}", m.as_str()))
    }

    fn key(&self, sheet: Sheet, key: &str) -> String {
        let map = match sheet {
            Sheet::UnitMonths => {
                let (unit, month) = key.split_once('/').unwrap_or((key, ""));
                return format!("{} · {month}", self.units.get(unit).map_or(unit, String::as_str));
            }
            Sheet::Units => &self.units,
            Sheet::Domains => &self.domains,
            Sheet::Categories => &self.categories,
        };
        map.get(key).cloned().unwrap_or_else(|| if key == "-" { self.t("report-none") } else { key.to_string() })
    }
}

#[derive(Clone, Copy)]
enum Sheet {
    Units,
    UnitMonths,
    Domains,
    Categories,
}

impl Sheet {
    fn title_key(self) -> &'static str {
        match self {
            Sheet::Units => "report-by-unit",
            Sheet::UnitMonths => "report-by-unit-month",
            Sheet::Domains => "report-by-domain",
            Sheet::Categories => "report-by-category",
        }
    }
}

fn sheets(r: &OutputReport) -> [(Sheet, &[BreakdownRow]); 4] {
    [(Sheet::Units, &r.by_unit), (Sheet::UnitMonths, &r.by_unit_month), (Sheet::Domains, &r.by_domain), (Sheet::Categories, &r.by_category)]
}

/// The measures that appear in any row of a breakdown, in report order.
fn columns(rows: &[BreakdownRow]) -> Vec<Measure> {
    Measure::ALL.iter().copied().filter(|m| rows.iter().any(|r| r.figures.iter().any(|l| l.measure == *m))).collect()
}

fn cell(f: &Figure) -> String {
    match f.value {
        Some(v) if v.fract() == 0.0 => format!("{}", v as i64),
        Some(v) => format!("{v:.2}"),
        None => format!("<{SMALL_CELL}"),
    }
}

fn find(figures: &[Line], m: Measure) -> Option<&Figure> {
    figures.iter().find(|l| l.measure == m).map(|l| &l.figure)
}

/// One figure a row: breakdown, key, measure, value.
pub fn csv(r: &OutputReport, l: &Labels) -> Vec<u8> {
    let header = vec![l.t("report-col-breakdown"), l.t("report-col-key"), l.t("report-col-measure"), l.t("report-col-value")];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let total = l.t("report-total");
    for line in &r.lines {
        rows.push(vec![total.clone(), l.scope.clone(), l.measure(line.measure), cell(&line.figure)]);
    }
    for (sheet, list) in sheets(r) {
        for row in list {
            for line in &row.figures {
                rows.push(vec![l.t(sheet.title_key()), l.key(sheet, &row.key), l.measure(line.measure), cell(&line.figure)]);
            }
        }
    }
    crate::tabular::write_csv(&header, &rows)
}

/// The workbook: a summary sheet and one sheet per breakdown.
pub fn xlsx(r: &OutputReport, l: &Labels) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet};
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let bold = Format::new().set_bold().set_background_color(Color::RGB(0xE8EEF7)).set_border_bottom(FormatBorder::Thin);
    let title = Format::new().set_bold().set_font_size(14);
    let wrap = Format::new().set_text_wrap();
    let number = Format::new().set_num_format("#,##0.##");
    let write_figure = |ws: &mut Worksheet, row: u32, col: u16, f: &Figure| -> Result<(), String> {
        match f.value {
            Some(v) => ws.write_number_with_format(row, col, v, &number).map(|_| ()).map_err(e),
            None => ws.write_string(row, col, format!("<{SMALL_CELL}")).map(|_| ()).map_err(e),
        }
    };
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name(&l.t("report-sheet-summary"))).map_err(e)?;
    ws.set_column_width(0, 34).map_err(e)?;
    ws.set_column_width(1, 18).map_err(e)?;
    ws.write_string_with_format(0, 0, format!("{} · {}", l.agency, l.t("report-title")), &title).map_err(e)?;
    ws.write_string(1, 0, l.t("report-period")).map_err(e)?;
    ws.write_string(1, 1, format!("{} ({} – {})", r.period.label, r.period.from, r.period.to)).map_err(e)?;
    ws.write_string(2, 0, l.t("report-scope")).map_err(e)?;
    ws.write_string(2, 1, &l.scope).map_err(e)?;
    ws.write_string(3, 0, l.t("report-rules")).map_err(e)?;
    ws.write_string_with_format(3, 1, &r.rules, &wrap).map_err(e)?;
    if r.small_cells_hidden {
        ws.write_string(4, 0, l.t("report-small-cells")).map_err(e)?;
    }
    ws.write_string_with_format(6, 0, l.t("report-col-measure"), &bold).map_err(e)?;
    ws.write_string_with_format(6, 1, l.t("report-col-value"), &bold).map_err(e)?;
    for (i, line) in r.lines.iter().enumerate() {
        let row = 7 + i as u32;
        ws.write_string(row, 0, l.measure(line.measure)).map_err(e)?;
        write_figure(ws, row, 1, &line.figure)?;
    }
    for (sheet, list) in sheets(r) {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&l.t(sheet.title_key()))).map_err(e)?;
        let cols = columns(list);
        ws.set_column_width(0, 28).map_err(e)?;
        ws.write_string_with_format(0, 0, l.t(sheet.title_key()), &bold).map_err(e)?;
        for (c, m) in cols.iter().enumerate() {
            let col = 1 + c as u16;
            ws.set_column_width(col, 14).map_err(e)?;
            ws.write_string_with_format(0, col, l.measure(*m), &bold).map_err(e)?;
        }
        for (i, row) in list.iter().enumerate() {
            let n = 1 + i as u32;
            ws.write_string(n, 0, l.key(sheet, &row.key)).map_err(e)?;
            for (c, m) in cols.iter().enumerate() {
                if let Some(f) = find(&row.figures, *m) {
                    write_figure(ws, n, 1 + c as u16, f)?;
                }
            }
        }
        ws.set_freeze_panes(1, 1).map_err(e)?;
    }
    wb.save_to_buffer().map_err(e)
}

/// Excel refuses some characters and more than 31 in a sheet name.
fn sheet_name(s: &str) -> String {
    let n: String = s.chars().filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\')).take(31).collect();
    if n.trim().is_empty() {
        "Sheet".into()
    } else {
        n
    }
}
