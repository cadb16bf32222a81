//! A tiny RFC 4180 writer for the exports: CRLF line ends; a field holding
//! `"`, `,`, CR or LF is quoted, with quotes doubled. Text that people typed
//! is neutralised against formula injection (OWASP, "CSV Injection"): a cell
//! starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'`, so a
//! spreadsheet shows it as text instead of evaluating it. Values the server
//! produces (numbers, dates, instants, ids, enum words) are written as they
//! are, so a negative number would stay a number.

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Free text from users: neutralised, then quoted as needed.
    Text(&'a str),
    /// A value the server formats itself (number, date, id, enum word).
    Value(&'a str),
    /// An empty cell (no value).
    Empty,
}

impl<'a> Cell<'a> {
    /// Text, or an empty cell.
    pub fn text_or_empty(v: Option<&'a str>) -> Self {
        v.map_or(Cell::Empty, Cell::Text)
    }

    /// A value, or an empty cell.
    pub fn value_or_empty(v: Option<&'a str>) -> Self {
        v.map_or(Cell::Empty, Cell::Value)
    }
}

const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Append one field to `out`.
fn field(out: &mut String, raw: &str, neutralise: bool) {
    let prefix = neutralise && raw.starts_with(FORMULA_STARTS);
    let quote = raw.contains(['"', ',', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if prefix {
        out.push('\'');
    }
    if quote {
        for c in raw.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(raw);
    }
}

/// Append one record (with its CRLF) to `out`.
pub fn write_row(out: &mut String, cells: &[Cell<'_>]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match cell {
            Cell::Text(t) => field(out, t, true),
            Cell::Value(v) => field(out, v, false),
            Cell::Empty => {}
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[Cell<'_>]) -> String {
        let mut out = String::new();
        write_row(&mut out, cells);
        out
    }

    #[test]
    fn quotes_only_what_needs_it_and_doubles_quotes() {
        assert_eq!(row(&[Cell::Text("plain"), Cell::Value("3"), Cell::Empty]), "plain,3,\r\n");
        assert_eq!(row(&[Cell::Text("a, b")]), "\"a, b\"\r\n");
        assert_eq!(row(&[Cell::Text("say \"hi\"")]), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(row(&[Cell::Text("two\nlines")]), "\"two\nlines\"\r\n");
        assert_eq!(row(&[Cell::Text("Pelatihan 사회복지")]), "Pelatihan 사회복지\r\n");
    }

    #[test]
    fn text_that_a_spreadsheet_would_evaluate_is_neutralised() {
        assert_eq!(row(&[Cell::Text("=1+1")]), "'=1+1\r\n");
        assert_eq!(row(&[Cell::Text("+1")]), "'+1\r\n");
        assert_eq!(row(&[Cell::Text("-2")]), "'-2\r\n");
        assert_eq!(row(&[Cell::Text("@SUM(A1)")]), "'@SUM(A1)\r\n");
        assert_eq!(row(&[Cell::Text("\tx")]), "'\tx\r\n");
        assert_eq!(row(&[Cell::Text("\rx")]), "\"'\rx\"\r\n");
        assert_eq!(row(&[Cell::Text("=HYPERLINK(\"http://x\")")]), "\"'=HYPERLINK(\"\"http://x\"\")\"\r\n");
        assert_eq!(row(&[Cell::Value("-2")]), "-2\r\n", "server-made values stay as they are");
        assert_eq!(row(&[Cell::Text("a=b")]), "a=b\r\n", "only the first character matters");
    }
}
