//! Spreadsheets in and out: the CSV and Excel files agencies keep.
//!
//! [`read`] turns a CSV (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030, Big5; comma,
//! semicolon, tab or bar between fields; quoted fields with newlines) or a workbook (XLSX, XLS,
//! ODS: the first non-empty visible sheet) into a header row and data rows of text, each row
//! with the number Excel shows for it. Dates become `YYYY-MM-DD`, whole numbers print without
//! `.0` (phone numbers), formulas give their cached values. Problems come back as a
//! [`FieldError`] on the field `file` with a stable code (`file-too-large`, `file-empty`,
//! `file-format`, `file-encoding`, `too-many-rows`, `too-many-cells`); no input makes it panic.
//!
//! [`write_csv`] and [`write_xlsx`] produce the export files.

use calamine::{DataRef, Reader, SheetType, SheetVisible};
use chrono::NaiveDate;
use encoding_rs::Encoding;
use shegong_domain::FieldError;
use std::collections::BTreeMap;
use std::io::Cursor;

/// Files larger than this are refused.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Data rows (the header not counted) beyond this are refused.
pub const MAX_ROWS: usize = 200_000;
/// Columns beyond this are dropped (no register has that many fields).
pub const MAX_COLUMNS: usize = 512;
/// Non-empty cells a workbook may hold.
pub const MAX_CELLS: usize = 10_000_000;
/// What the parts of a zipped workbook may unpack to (guards against zip bombs).
const MAX_UNZIPPED_BYTES: u64 = 1024 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Xlsx => "XLSX",
            Format::Xlsb => "XLSB",
            Format::Xls => "XLS",
            Format::Ods => "ODS",
        }
    }
}

/// One data row and the row number Excel shows for it (the header is usually row 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub number: u32,
    pub cells: Vec<String>,
}

/// A sheet read into text.
#[derive(Clone, Debug)]
pub struct Table {
    pub format: Format,
    /// The text encoding of a CSV file (`UTF-8`, `GBK`, `Big5`, `UTF-16LE`, …).
    pub encoding: Option<&'static str>,
    /// The field delimiter of a CSV file.
    pub delimiter: Option<char>,
    /// The sheet read from a workbook.
    pub sheet: Option<String>,
    /// The row number of the header.
    pub header_row: u32,
    /// Column names, trimmed; every row has exactly this many cells.
    pub header: Vec<String>,
    /// Rows with at least one non-blank cell, in file order.
    pub rows: Vec<Row>,
}

impl Table {
    pub fn width(&self) -> usize {
        self.header.len()
    }
}

/// How to read a file.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// The CSV encoding when the user knows it; detected when None.
    pub encoding: Option<&'static Encoding>,
    /// A country hint for encoding detection (`b"hk"`: Big5 is likelier, `b"cn"`: GBK).
    pub region: Option<&'static [u8]>,
}

/// The encodings a user may choose explicitly (label, encoding).
pub fn known_encodings() -> [(&'static str, &'static Encoding); 5] {
    [
        ("utf-8", encoding_rs::UTF_8),
        ("gb18030", encoding_rs::GB18030),
        ("big5", encoding_rs::BIG5),
        ("utf-16le", encoding_rs::UTF_16LE),
        ("windows-1252", encoding_rs::WINDOWS_1252),
    ]
}

/// Looks an encoding up by its label (`gbk`, `big5`, `utf-8`, …).
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    Encoding::for_label(label.trim().as_bytes())
}

fn file_error(code: &'static str) -> FieldError {
    FieldError::new("file", code)
}

/// The spreadsheet column letter of a zero-based index (`0` → `A`, `27` → `AB`).
pub fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads a file with the default options.
pub fn read(bytes: &[u8], file_name: &str) -> Result<Table, FieldError> {
    read_with(bytes, file_name, &ReadOptions::default())
}

/// Reads a CSV or workbook file into text. The format is told by the file's content; the
/// name's extension only decides what a file that is neither zip nor OLE claims to be.
pub fn read_with(bytes: &[u8], file_name: &str, options: &ReadOptions) -> Result<Table, FieldError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(file_error("file-too-large").with("max", MAX_FILE_BYTES / (1024 * 1024)));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(file_error("file-empty"));
    }
    let ext = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let workbook = if bytes.starts_with(b"PK\x03\x04") {
        Some(zip_format(bytes)?)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(Format::Xls)
    } else if matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods") {
        // Named a workbook but not one: a damaged or mislabelled file.
        return Err(file_error("file-format"));
    } else {
        None
    };
    match workbook {
        // Parsers of binary formats are the likeliest to meet input their authors never saw:
        // a panic deep inside one becomes a clean "not a readable file" for the user.
        Some(format) => std::panic::catch_unwind(|| read_workbook(bytes, format)).unwrap_or_else(|_| Err(file_error("file-format"))),
        None => read_csv(bytes, options),
    }
}

/// Tells XLSX, XLSB and ODS apart and refuses archives that would unpack to too much.
fn zip_format(bytes: &[u8]) -> Result<Format, FieldError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| file_error("file-format"))?;
    let mut total: u64 = 0;
    let (mut xlsx, mut xlsb, mut ods) = (false, false, false);
    for i in 0..archive.len() {
        let f = archive.by_index_raw(i).map_err(|_| file_error("file-format"))?;
        total = total.saturating_add(f.size());
        let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
        match name.as_str() {
            "xl/workbook.xml" => xlsx = true,
            "xl/workbook.bin" => xlsb = true,
            "content.xml" => ods = true,
            _ => {}
        }
    }
    if total > MAX_UNZIPPED_BYTES {
        return Err(file_error("file-too-large").with("max", MAX_FILE_BYTES / (1024 * 1024)));
    }
    match (xlsx, xlsb, ods) {
        (true, _, _) => Ok(Format::Xlsx),
        (_, true, _) => Ok(Format::Xlsb),
        (_, _, true) => Ok(Format::Ods),
        _ => Err(file_error("file-format")),
    }
}

/// Cells of one sheet, sparse, with the limits applied as they arrive.
#[derive(Default)]
struct Grid {
    rows: BTreeMap<u32, Vec<(u32, String)>>,
    cells: usize,
}

impl Grid {
    fn push(&mut self, row: u32, col: u32, value: String) -> Result<(), FieldError> {
        if value.trim().is_empty() {
            return Ok(());
        }
        self.cells += 1;
        if self.cells > MAX_CELLS {
            return Err(file_error("too-many-cells").with("max", MAX_CELLS));
        }
        self.rows.entry(row).or_default().push((col, value));
        // The header plus MAX_ROWS data rows.
        if self.rows.len() > MAX_ROWS + 1 {
            return Err(file_error("too-many-rows").with("max", MAX_ROWS));
        }
        Ok(())
    }

    /// None when the sheet holds nothing.
    fn into_table(self, format: Format, sheet: String) -> Option<Table> {
        let first_col = self.rows.values().flat_map(|r| r.iter().map(|(c, _)| *c)).min()?;
        let last_col = self.rows.values().flat_map(|r| r.iter().map(|(c, _)| *c)).max()?;
        let width = ((last_col - first_col) as usize + 1).min(MAX_COLUMNS);
        let mut rows = self.rows.into_iter().map(|(r, cells)| {
            let mut out = vec![String::new(); width];
            for (c, v) in cells {
                if let Some(slot) = out.get_mut((c - first_col) as usize) {
                    *slot = v;
                }
            }
            Row { number: r.saturating_add(1), cells: out }
        });
        let header = rows.next()?;
        Some(Table {
            format,
            encoding: None,
            delimiter: None,
            sheet: Some(sheet),
            header_row: header.number,
            header: header.cells.iter().map(|h| clean_header(h)).collect(),
            rows: rows.collect(),
        })
    }
}

fn clean_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').split_whitespace().collect::<Vec<_>>().join(" ")
}

fn bad<E>(_: E) -> FieldError {
    file_error("file-format")
}

fn read_workbook(bytes: &[u8], format: Format) -> Result<Table, FieldError> {
    if format == Format::Xlsx {
        // The cell reader streams the sheet, so limits apply before anything large is built.
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(bad)?;
        for name in sheet_names(&wb) {
            let mut grid = Grid::default();
            let mut cells = wb.worksheet_cells_reader(&name).map_err(bad)?;
            while let Some(cell) = cells.next_cell().map_err(bad)? {
                let (r, c) = cell.get_position();
                grid.push(r, c, cell_text(cell.get_value()))?;
            }
            if let Some(t) = grid.into_table(format, name) {
                return Ok(t);
            }
        }
        return Err(file_error("file-empty"));
    }
    let mut wb = match format {
        Format::Xls => calamine::Sheets::Xls(calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(bad)?),
        Format::Xlsb => calamine::Sheets::Xlsb(calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(bad)?),
        _ => calamine::Sheets::Ods(calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(bad)?),
    };
    for name in sheet_names(&wb) {
        let range = wb.worksheet_range(&name).map_err(bad)?;
        let mut grid = Grid::default();
        for (r, c, v) in range.used_cells() {
            let (r0, c0) = range.start().unwrap_or((0, 0));
            grid.push(r0 + r as u32, c0 + c as u32, cell_text(&data_ref(v)))?;
        }
        if let Some(t) = grid.into_table(format, name) {
            return Ok(t);
        }
    }
    Err(file_error("file-empty"))
}

/// Visible worksheets, in workbook order (chart sheets and hidden sheets are skipped).
fn sheet_names<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(wb: &R) -> Vec<String> {
    wb.sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect()
}

fn data_ref(d: &calamine::Data) -> DataRef<'_> {
    use calamine::Data;
    match d {
        Data::Int(i) => DataRef::Int(*i),
        Data::Float(f) => DataRef::Float(*f),
        Data::String(s) => DataRef::SharedString(s),
        Data::Bool(b) => DataRef::Bool(*b),
        Data::DateTime(d) => DataRef::DateTime(*d),
        Data::DateTimeIso(s) => DataRef::DateTimeIso(s.clone()),
        Data::DurationIso(s) => DataRef::DurationIso(s.clone()),
        Data::Error(e) => DataRef::Error(e.clone()),
        Data::Empty => DataRef::Empty,
    }
}

/// A cell as the user sees it: whole numbers without `.0`, dates as `YYYY-MM-DD`.
fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(true) => "TRUE".into(),
        DataRef::Bool(false) => "FALSE".into(),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let v = dt.as_f64();
            if !(0.0..2_958_466.0).contains(&v) {
                return number_text(v);
            }
            let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
            if v.fract() == 0.0 || (hh, mm, ss) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else if v < 1.0 {
                format!("{hh:02}:{mm:02}:{ss:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
            }
        }
        DataRef::DateTime(dt) => number_text(dt.as_f64()),
        DataRef::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).to_string(),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// A number as text: `91234567.0` → `91234567`; others in the shortest exact form.
pub fn number_text(f: f64) -> String {
    if !f.is_finite() {
        String::new()
    } else if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// The date of an Excel serial number (1900 date system; whole days, time ignored).
/// Serials before 1900-03-01 are refused: Excel's calendar is wrong there.
pub fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !(61.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(serial.trunc() as u64))
}

// ---------------------------------------------------------------------------------------
// CSV

fn read_csv(bytes: &[u8], options: &ReadOptions) -> Result<Table, FieldError> {
    let (text, encoding) = decode(bytes, options)?;
    // Binary data that happened to decode is not a table.
    if text.contains('\0') {
        return Err(file_error("file-format"));
    }
    let mut body = text.as_str();
    // Excel's own hint line: `sep=;`.
    let mut delimiter = None;
    let mut skipped_lines = 0u32;
    if let Some(rest) = body.strip_prefix("sep=") {
        let mut chars = rest.chars();
        if let Some(d @ (',' | ';' | '\t' | '|')) = chars.next() {
            let after = chars.as_str();
            if after.starts_with('\n') || after.starts_with("\r\n") || after.is_empty() {
                delimiter = Some(d as u8);
                body = after.trim_start_matches('\r').strip_prefix('\n').unwrap_or(after);
                skipped_lines = 1;
            }
        }
    }
    let delimiter = delimiter.unwrap_or_else(|| detect_delimiter(body));
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(body.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut header: Option<(u32, Vec<String>)> = None;
    let mut rows: Vec<Row> = Vec::new();
    let mut width = 0usize;
    // Excel shows one row per record (whatever newlines its quoted cells hold) and one per
    // blank line. The reader skips blank lines and gives each record's start as the byte
    // after the previous record's terminator, so the blank lines are counted here.
    let raw = body.as_bytes();
    let mut excel_row: u32 = skipped_lines;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => return Err(file_error("file-format")),
        }
        let mut from = record.position().map(|p| p.byte() as usize).unwrap_or(0).min(raw.len());
        // The `\n` of a `\r\n` the reader stopped inside.
        if from > 0 && raw[from - 1] == b'\r' && raw.get(from) == Some(&b'\n') {
            from += 1;
        }
        let mut start = from;
        while matches!(raw.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        // `\n`, `\r\n` and a lone `\r` each end a line.
        let span = &raw[from..start];
        let blank = span.iter().enumerate().filter(|&(i, &b)| b == b'\n' || (b == b'\r' && span.get(i + 1) != Some(&b'\n'))).count();
        excel_row = excel_row.saturating_add(1).saturating_add(u32::try_from(blank).unwrap_or(u32::MAX));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let cells: Vec<String> = record.iter().take(MAX_COLUMNS).map(str::to_string).collect();
        width = width.max(cells.len());
        match header {
            None => header = Some((excel_row, cells.iter().map(|h| clean_header(h)).collect())),
            Some(_) => {
                if rows.len() >= MAX_ROWS {
                    return Err(file_error("too-many-rows").with("max", MAX_ROWS));
                }
                rows.push(Row { number: excel_row, cells });
            }
        }
    }
    let Some((header_row, mut header)) = header else {
        return Err(file_error("file-empty"));
    };
    header.resize(width, String::new());
    for r in &mut rows {
        r.cells.resize(width, String::new());
    }
    Ok(Table { format: Format::Csv, encoding: Some(encoding), delimiter: Some(delimiter as char), sheet: None, header_row, header, rows })
}

/// Text of a CSV file and the name of its encoding.
fn decode(bytes: &[u8], options: &ReadOptions) -> Result<(String, &'static str), FieldError> {
    let strict = |enc: &'static Encoding, b: &[u8]| -> Option<String> {
        let (text, had_errors) = enc.decode_without_bom_handling(b);
        (!had_errors).then(|| text.into_owned())
    };
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let rest = bytes.get(bom..).unwrap_or_default();
        return strict(enc, rest).map(|t| (t, enc.name())).ok_or_else(|| file_error("file-encoding"));
    }
    if let Some(enc) = options.encoding {
        return strict(enc, bytes).map(|t| (t, enc.name())).ok_or_else(|| file_error("file-encoding"));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), encoding_rs::UTF_8.name()));
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(options.region, chardetng::Utf8Detection::Allow);
    // The guess first; then the two legacy Chinese encodings, whichever decodes cleanly.
    let preferred = if options.region == Some(b"hk".as_slice()) { encoding_rs::BIG5 } else { encoding_rs::GB18030 };
    let other = if preferred == encoding_rs::BIG5 { encoding_rs::GB18030 } else { encoding_rs::BIG5 };
    for enc in [guess, preferred, other] {
        if let Some(t) = strict(enc, bytes) {
            return Ok((t, enc.name()));
        }
    }
    Err(file_error("file-encoding"))
}

/// The delimiter that splits the first lines into the same number (2+) of fields most often.
fn detect_delimiter(text: &str) -> u8 {
    let mut end = text.len().min(64 * 1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = &text[..end];
    let mut best = (b',', 0usize, 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(d).from_reader(sample.as_bytes());
        let counts: Vec<usize> = reader.records().take(30).filter_map(|r| r.ok()).map(|r| r.len()).collect();
        let Some(&first) = counts.first() else { continue };
        if first < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&n| n == first).count();
        if (consistent, first) > (best.1, best.2) {
            best = (d, consistent, first);
        }
    }
    best.0
}

// ---------------------------------------------------------------------------------------
// Writers

/// Leading characters that make spreadsheet programs run a cell as a formula.
fn formula_like(s: &str) -> bool {
    match s.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        // `+85291234567` and `-3` are numbers, not formulas.
        Some('+' | '-') => !s[1..].chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '.'),
        _ => false,
    }
}

fn csv_field(out: &mut String, s: &str) {
    let guarded;
    let s = if formula_like(s) {
        guarded = format!("'{s}");
        guarded.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r', ';', '\t']) || s.starts_with(' ') || s.ends_with(' ') {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A CSV file Excel opens correctly in every language: UTF-8 with a byte-order mark, comma
/// separated, CRLF line ends. Cells that would run as formulas get a leading `'`.
pub fn write_csv(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::with_capacity(64 * (rows.len() + 1));
    out.push('\u{feff}');
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, cell);
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// How wide a text shows: CJK and other wide characters take two columns.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) >= 0x1100 && !matches!(c as u32, 0x2000..=0x206F) { 2 } else { 1 }).sum()
}

/// The most characters an Excel cell holds.
const XLSX_CELL_MAX: usize = 32_767;

/// A workbook of one sheet: bold, frozen header row with a filter, widths fitted to the
/// content, and every cell text (phone and identity numbers keep their digits and stay text
/// when edited).
pub fn write_xlsx(sheet_name: &str, header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let name: String = sheet_name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect::<String>()
        .trim_matches('\'')
        .to_string();
    ws.set_name(if name.trim().is_empty() { "Sheet1" } else { name.as_str() }).map_err(e)?;
    let text = Format::new().set_num_format("@");
    let bold =
        Format::new().set_bold().set_num_format("@").set_background_color(Color::RGB(0xE8EEF7)).set_border_bottom(FormatBorder::Thin);
    let cols = header.len().max(rows.iter().map(Vec::len).max().unwrap_or(0)).min(16_384);
    let clip = |s: &str| -> String {
        if s.len() <= XLSX_CELL_MAX {
            s.to_string()
        } else {
            s.chars().take(XLSX_CELL_MAX).collect()
        }
    };
    for c in 0..cols {
        let col = c as u16;
        let h = header.get(c).map(String::as_str).unwrap_or("");
        let widest = rows.iter().take(2000).filter_map(|r| r.get(c)).map(|v| display_width(v)).max().unwrap_or(0).max(display_width(h));
        ws.set_column_width(col, (widest + 2).clamp(8, 60) as f64).map_err(e)?;
        ws.set_column_format(col, &text).map_err(e)?;
        ws.write_string_with_format(0, col, clip(h), &bold).map_err(e)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| "too many rows".to_string())?;
        for (c, v) in row.iter().enumerate().take(cols) {
            if !v.is_empty() {
                ws.write_string_with_format(r, c as u16, clip(v), &text).map_err(e)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(e)?;
    if cols > 0 {
        ws.autofilter(0, 0, rows.len() as u32, (cols - 1) as u16).map_err(e)?;
    }
    wb.save_to_buffer().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cells(t: &Table) -> Vec<Vec<&str>> {
        t.rows.iter().map(|r| r.cells.iter().map(String::as_str).collect()).collect()
    }

    #[test]
    fn utf8_with_and_without_bom() {
        for bytes in [&b"\xEF\xBB\xBFname,phone\nChan,91234567\n"[..], b"name,phone\r\nChan,91234567\r\n"] {
            let t = read(bytes, "a.csv").expect("csv");
            assert_eq!(t.header, ["name", "phone"]);
            assert_eq!(cells(&t), [["Chan", "91234567"]]);
            assert_eq!(t.encoding, Some("UTF-8"));
            assert_eq!(t.rows[0].number, 2);
        }
    }

    #[test]
    fn gbk_csv_is_detected() {
        let text =
            "姓名,性别,电话,地址\n张伟,男,13800138000,北京市朝阳区建国路八十八号\n王芳,女,13900139000,上海市浦东新区世纪大道一百号\n";
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        assert!(std::str::from_utf8(&bytes).is_err());
        let t = read(&bytes, "clients.csv").expect("gbk");
        assert_eq!(t.header, ["姓名", "性别", "电话", "地址"]);
        assert_eq!(t.rows[1].cells[3], "上海市浦东新区世纪大道一百号");
        assert_eq!(t.encoding, Some("GBK"));
    }

    #[test]
    fn big5_csv_is_detected() {
        let text = "姓名,性別,電話,地址\n陳大文,男,91234567,香港灣仔軒尼詩道一百三十號\n李小華,女,61234567,九龍觀塘道四百一十八號\n";
        let (bytes, _, _) = encoding_rs::BIG5.encode(text);
        let t = read_with(&bytes, "clients.csv", &ReadOptions { region: Some(b"hk"), ..Default::default() }).expect("big5");
        assert_eq!(t.header, ["姓名", "性別", "電話", "地址"]);
        assert_eq!(t.rows[0].cells[0], "陳大文");
        assert_eq!(t.rows[1].cells[3], "九龍觀塘道四百一十八號");
        assert_eq!(t.encoding, Some("Big5"));
        // Without the hint the text still decodes to the same characters.
        let t = read(&bytes, "clients.csv").expect("big5");
        assert_eq!(t.rows[0].cells[0], "陳大文");
    }

    #[test]
    fn utf16_with_bom_and_tabs() {
        // Excel's "Unicode text" export.
        let text = "姓名\t電話\n陳大文\t91234567\n";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let t = read(&bytes, "a.txt").expect("utf-16");
        assert_eq!(t.header, ["姓名", "電話"]);
        assert_eq!(t.delimiter, Some('\t'));
        assert_eq!(cells(&t), [["陳大文", "91234567"]]);
    }

    #[test]
    fn an_explicit_encoding_is_used() {
        let (bytes, _, _) = encoding_rs::BIG5.encode("姓名\n陳大文\n");
        let t = read_with(&bytes, "a.csv", &ReadOptions { encoding: encoding_for_label("big5"), region: None }).expect("big5");
        assert_eq!(t.rows[0].cells[0], "陳大文");
        // A file that is not in the chosen encoding is refused rather than garbled.
        let err = read_with(&[0x81, 0x20, 0xFF, 0xFE], "a.csv", &ReadOptions { encoding: Some(encoding_rs::UTF_8), region: None })
            .expect_err("bad");
        assert_eq!(err.code, "file-encoding");
    }

    #[test]
    fn semicolons_and_quoted_newlines() {
        let text = "Name;Address;Phone\n\"Chan; Tai Man\";\"Flat A,\n12/F\";91234567\n\nLee;\"Say \"\"hi\"\"\";61234567\n";
        let t = read(text.as_bytes(), "a.csv").expect("csv");
        assert_eq!(t.delimiter, Some(';'));
        assert_eq!(cells(&t), [vec!["Chan; Tai Man", "Flat A,\n12/F", "91234567"], vec!["Lee", "Say \"hi\"", "61234567"]]);
        // Excel rows: header 1, Chan 2, blank 3, Lee 4.
        assert_eq!(t.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 4]);
    }

    #[test]
    fn crlf_and_blank_lines_count_as_excel_rows() {
        let t = read(b"\r\na;b\r\n\"x\r\ny\";1\r\n\r\nz;2\r\n\r\r\nw;3", "a.csv").expect("csv");
        assert_eq!(t.header_row, 2);
        assert_eq!(t.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [3, 5, 8]);
        assert_eq!(t.rows[0].cells, ["x\r\ny", "1"]);
    }

    #[test]
    fn sep_line_and_ragged_rows() {
        let t = read(b"sep=;\na;b\n1\n1;2;3\n", "a.csv").expect("csv");
        assert_eq!(t.delimiter, Some(';'));
        assert_eq!(t.header, ["a", "b", ""]);
        assert_eq!(cells(&t), [["1", "", ""], ["1", "2", "3"]]);
        assert_eq!(t.header_row, 2);
        assert_eq!(t.rows[0].number, 3);
    }

    #[test]
    fn empty_and_binary_files_are_refused() {
        assert_eq!(read(b"", "a.csv").expect_err("empty").code, "file-empty");
        assert_eq!(read(b" \n\r\n", "a.csv").expect_err("empty").code, "file-empty");
        assert_eq!(read(b",,,\n,,\n", "a.csv").expect_err("empty").code, "file-empty");
        assert_eq!(read(b"\x00\x01\x02abc", "a.csv").expect_err("binary").code, "file-format");
        assert_eq!(read(b"name\nx", "a.xlsx").expect_err("not a workbook").code, "file-format");
        assert_eq!(read(b"PK\x03\x04garbage", "a.xlsx").expect_err("broken zip").code, "file-format");
    }

    #[test]
    fn limits_are_enforced() {
        let big = vec![b'a'; MAX_FILE_BYTES + 1];
        let e = read(&big, "a.csv").expect_err("too large");
        assert_eq!(e.code, "file-too-large");
        assert_eq!(e.args, [("max", "20".to_string())]);
        let mut many = String::from("n\n");
        for _ in 0..=MAX_ROWS {
            many.push_str("x\n");
        }
        assert_eq!(read(many.as_bytes(), "a.csv").expect_err("rows").code, "too-many-rows");
    }

    fn xlsx(build: impl FnOnce(&mut rust_xlsxwriter::Workbook)) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        build(&mut wb);
        wb.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn xlsx_dates_numbers_and_formulas() {
        use rust_xlsxwriter::{ExcelDateTime, Format, Formula};
        let bytes = xlsx(|wb| {
            let ws = wb.add_worksheet();
            let date = Format::new().set_num_format("yyyy-mm-dd");
            for (c, h) in ["姓名", "出生日期", "電話", "年齡", "計算", "比率"].iter().enumerate() {
                ws.write_string(2, c as u16 + 1, *h).expect("h");
            }
            ws.write_string(3, 1, "陳大文").expect("w");
            ws.write_datetime_with_format(3, 2, ExcelDateTime::from_ymd(1948, 5, 17).expect("d"), &date).expect("w");
            ws.write_number(3, 3, 91234567.0).expect("w");
            ws.write_number(3, 4, 78.0).expect("w");
            ws.write_formula(3, 5, Formula::new("=E4+1").set_result("79")).expect("w");
            ws.write_number(3, 6, 0.25).expect("w");
            // Row 6 blank, row 7 data.
            ws.write_string(6, 1, "李小華").expect("w");
            ws.write_number(6, 3, 13800138000.0).expect("w");
        });
        let t = read(&bytes, "clients.xlsx").expect("xlsx");
        assert_eq!(t.format, super::Format::Xlsx);
        assert_eq!(t.header, ["姓名", "出生日期", "電話", "年齡", "計算", "比率"]);
        assert_eq!(t.header_row, 3);
        assert_eq!(
            cells(&t),
            [vec!["陳大文", "1948-05-17", "91234567", "78", "79", "0.25"], vec!["李小華", "", "13800138000", "", "", ""]]
        );
        assert_eq!(t.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [4, 7]);
    }

    #[test]
    fn the_first_non_empty_sheet_is_read() {
        let bytes = xlsx(|wb| {
            wb.add_worksheet().set_name("Empty").expect("name");
            let ws = wb.add_worksheet();
            ws.write_string(0, 0, "Name").expect("w");
            ws.write_string(1, 0, "Chan").expect("w");
        });
        let t = read(&bytes, "a.xlsx").expect("xlsx");
        assert_eq!(t.sheet.as_deref(), Some("Sheet2"));
        assert_eq!(cells(&t), [["Chan"]]);
    }

    #[test]
    fn an_empty_workbook_is_refused() {
        let bytes = xlsx(|wb| {
            wb.add_worksheet();
        });
        assert_eq!(read(&bytes, "a.xlsx").expect_err("empty").code, "file-empty");
        // A header alone is a table with no rows, not an error.
        let bytes = xlsx(|wb| {
            wb.add_worksheet().write_string(0, 0, "Name").expect("w");
        });
        assert!(read(&bytes, "a.xlsx").expect("header only").rows.is_empty());
    }

    #[test]
    fn serials_and_numbers_print_as_people_expect() {
        assert_eq!(excel_serial_date(17670.0), NaiveDate::from_ymd_opt(1948, 5, 17));
        assert_eq!(excel_serial_date(45943.5), NaiveDate::from_ymd_opt(2025, 10, 13));
        assert_eq!(excel_serial_date(12.0), None);
        assert_eq!(number_text(91234567.0), "91234567");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(0.1), "0.1");
        assert_eq!(number_text(f64::NAN), "");
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(27), "AB");
    }

    #[test]
    fn csv_export_round_trips_and_guards_formulas() {
        let header = vec!["姓名".to_string(), "電話".to_string(), "備註".to_string()];
        let rows = vec![
            vec!["陳大文".to_string(), "+97714412345".to_string(), "=HYPERLINK(\"x\")".to_string()],
            vec!["Lee, Siu".to_string(), "61234567".to_string(), "line\nbreak".to_string()],
        ];
        let bytes = write_csv(&header, &rows);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let t = read(&bytes, "out.csv").expect("read back");
        assert_eq!(t.header, header);
        assert_eq!(t.rows[0].cells, ["陳大文", "+97714412345", "'=HYPERLINK(\"x\")"]);
        assert_eq!(t.rows[1].cells, ["Lee, Siu", "61234567", "line\nbreak"]);
    }

    #[test]
    fn xlsx_export_reads_back_as_text() {
        let header = vec!["姓名".to_string(), "電話".to_string()];
        let rows = vec![vec!["陳大文".to_string(), "91234567".to_string()], vec!["李".to_string(), String::new()]];
        let bytes = write_xlsx("服務使用者 [2026]", &header, &rows).expect("xlsx");
        let t = read(&bytes, "out.xlsx").expect("read back");
        assert_eq!(t.sheet.as_deref(), Some("服務使用者 2026"));
        assert_eq!(t.header, header);
        assert_eq!(cells(&t), [["陳大文", "91234567"], ["李", ""]]);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), xlsx_name in any::<bool>()) {
            let name = if xlsx_name { "f.xlsx" } else { "f.csv" };
            if let Ok(t) = read(&bytes, name) {
                prop_assert!(t.rows.iter().all(|r| r.cells.len() == t.header.len()));
            }
        }

        #[test]
        fn damaged_zip_workbooks_never_panic(cut in 0usize..4000, flip in 0usize..4000, byte in any::<u8>()) {
            let mut bytes = xlsx(|wb| {
                let ws = wb.add_worksheet();
                ws.write_string(0, 0, "Name").expect("w");
                ws.write_number(1, 0, 1.5).expect("w");
            });
            if let Some(b) = bytes.get_mut(flip) {
                *b = byte;
            }
            bytes.truncate(cut.max(4));
            let _ = read(&bytes, "f.xlsx");
        }

        #[test]
        fn csv_like_text_never_panics(text in "[a-z陳,;\t\"\r\n =+-]{0,300}") {
            if let Ok(t) = read(text.as_bytes(), "f.csv") {
                prop_assert!(t.rows.iter().all(|r| r.cells.len() == t.header.len()));
                prop_assert!(t.rows.windows(2).all(|w| w[0].number < w[1].number));
                prop_assert!(t.rows.first().is_none_or(|r| r.number > t.header_row));
            }
        }

        /// Chinese text saved by Excel as GBK or Big5 reads back exactly when the encoding is
        /// named, and is read or refused without a panic when it must be guessed.
        #[test]
        fn gbk_and_big5_csv_read_back(rows in proptest::collection::vec(proptest::collection::vec("[陳大文李小明黃志強張嘉欣中心長者義工服務電話地址, ]{1,6}", 2), 1..6), big5 in any::<bool>()) {
            let encoding = if big5 { encoding_rs::BIG5 } else { encoding_rs::GBK };
            let header = vec!["姓名".to_string(), "地址".to_string()];
            let text = String::from_utf8(write_csv(&header, &rows)).expect("utf-8").trim_start_matches('\u{feff}').to_string();
            let (bytes, _, unmappable) = encoding.encode(&text);
            prop_assume!(!unmappable);
            let named = ReadOptions { encoding: Some(encoding), ..ReadOptions::default() };
            let t = read_with(&bytes, "f.csv", &named).expect("reads with its encoding named");
            let back: Vec<Vec<String>> = t.rows.iter().map(|r| r.cells.clone()).collect();
            let expected: Vec<Vec<String>> = rows.into_iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
            prop_assert_eq!(back, expected);
            for region in [Some(&b"hk"[..]), Some(&b"cn"[..]), None] {
                let guessed = ReadOptions { region, ..ReadOptions::default() };
                if let Ok(t) = read_with(&bytes, "f.csv", &guessed) {
                    prop_assert!(t.rows.iter().all(|r| r.cells.len() == t.header.len()));
                }
            }
        }

        #[test]
        fn exported_csv_reads_back(rows in proptest::collection::vec(proptest::collection::vec("[a-z陳,\"\n ]{1,8}", 3), 1..8)) {
            let header = vec!["a".to_string(), "b".to_string(), "c".to_string()];
            let bytes = write_csv(&header, &rows);
            let t = read(&bytes, "x.csv").expect("own output reads");
            let back: Vec<Vec<String>> = t.rows.iter().map(|r| r.cells.clone()).collect();
            let expected: Vec<Vec<String>> = rows.into_iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
            prop_assert_eq!(back, expected);
        }
    }
}
