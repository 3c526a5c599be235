//! Lists as CSV for the clerk's spreadsheet (issue 19, item 5): `/requests.csv`, `/ledger.csv`,
//! `/audit.csv` — the same filters as the page, every page of the API's list followed, UTF-8
//! with a BOM (Excel in Japan opens it without mojibake), CRLF, Japanese or English column
//! names, and every cell that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab,
//! CR) quoted with a leading apostrophe (CSV injection, OWASP). The API calls are the page's —
//! audited and scoped the same way; a file is only another view of what the person may list.

use super::*;

/// The most rows one file holds (the API pages are followed up to it).
const MAX_ROWS: usize = 50_000;

/// A cell a spreadsheet will not evaluate.
fn cell(v: &str) -> String {
    server::api::types::spreadsheet_text(v)
}

/// Every item of an API list, from `first` on through its `next` pages; the failing answer if
/// a page fails.
async fn all_pages(ui: &Ui, headers: &HeaderMap, first: String) -> Result<Vec<Value>, Answer> {
    let mut out = Vec::new();
    let mut path = Some(first);
    while let Some(p) = path.take() {
        let a = ui.api.get(&p, headers).await;
        if !a.ok() {
            return Err(a);
        }
        let items = a.json.get("items").cloned().unwrap_or(a.json.clone());
        out.extend(items.as_array().cloned().unwrap_or_default());
        if out.len() >= MAX_ROWS {
            out.truncate(MAX_ROWS);
            break;
        }
        path = a.next.clone();
    }
    Ok(out)
}

/// The CSV file: BOM, header, rows, CRLF.
fn csv_file(name: &str, header: &[String], rows: &[Vec<String>]) -> Response {
    let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(vec![]);
    let mut ok = w.write_record(header).is_ok();
    for r in rows {
        ok &= w.write_record(r.iter().map(|c| cell(c))).is_ok();
    }
    let body = match (ok, w.into_inner()) {
        (true, Ok(bytes)) => [b"\xEF\xBB\xBF".as_slice(), &bytes].concat(),
        _ => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => String::new(),
        Value::Array(a) => a.iter().map(s).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// The query string of the page's filters that the API takes.
/// The complaints register's filters, as its page and the API name them.
pub(super) const COMPLAINT_FILTERS: &[&str] = &["state", "category", "q"];

/// The usage ledger's filters, as its page and the API name them.
pub(super) const LEDGER_FILTERS: &[&str] = &["q", "camera", "from", "to"];

pub(super) fn filters(q: &HashMap<String, String>, keys: &[&str]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for k in keys {
        if let Some(v) = q.get(*k).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            out.append_pair(k, v);
        }
    }
    out.finish()
}

/// How a column is read from an API item.
#[derive(Clone, Copy)]
enum Col {
    /// The field as text (lists joined with spaces).
    Field(&'static str),
    /// A request state, named in the person's language.
    State(&'static str),
    /// The field as JSON.
    Json(&'static str),
}

/// A column: its header (a catalogue key, or the text itself when `raw`) and how it is read.
struct Column {
    header: &'static str,
    raw: bool,
    col: Col,
}

const fn column(header: &'static str, col: Col) -> Column {
    Column { header, raw: false, col }
}

const fn raw(header: &'static str, col: Col) -> Column {
    Column { header, raw: true, col }
}

/// Every item of the API list at `first` (and its next pages) as the CSV file `name`.
async fn export(ui: &Ui, s_: Session, first: String, name: &str, columns: &[Column]) -> Response {
    let Session { l, me, headers } = s_;
    let rows = match all_pages(ui, &headers, first).await {
        Ok(r) => r,
        Err(a) => return problem_page(l, Some(&me), &a),
    };
    let header: Vec<String> =
        columns.iter().map(|c| if c.raw { c.header.to_owned() } else { t(l, c.header) }).collect();
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|c| match c.col {
                    Col::Field(f) => s(&item[f]),
                    Col::State(f) => state_label(l, item[f].as_str().unwrap_or("")),
                    Col::Json(f) if item[f].is_null() => String::new(),
                    Col::Json(f) => item[f].to_string(),
                })
                .collect()
        })
        .collect();
    csv_file(name, &header, &body)
}

/// `GET /requests.csv`: the requests the person may list, with the page's filters.
pub async fn requests_csv(
    State(ui): State<Arc<Ui>>,
    s_: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    const COLUMNS: [Column; 6] = [
        column("number", Col::Field("number")),
        column("state", Col::State("state")),
        column("recipient", Col::Field("recipient")),
        column("cameras_field", Col::Field("cameras")),
        column("range_from", Col::Field("from")),
        column("range_to", Col::Field("to")),
    ];
    let path = format!("/api/v1/requests?{}", filters(&q, &["state", "q"]));
    export(&ui, s_, path, "requests.csv", &COLUMNS).await
}

/// `GET /ledger.csv`: the usage ledger the person may read.
pub async fn ledger_csv(
    State(ui): State<Arc<Ui>>,
    s_: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    const COLUMNS: [Column; 8] = [
        raw("#", Col::Field("id")),
        column("cameras_field", Col::Field("cameras")),
        column("range_from", Col::Field("from")),
        column("range_to", Col::Field("to")),
        column("recipient", Col::Field("recipient")),
        column("purpose", Col::Field("purpose")),
        column("handover_date", Col::Field("handover_date")),
        column("data_hashes", Col::Field("data_hashes")),
    ];
    let path = format!("/api/v1/ledger?limit=500&{}", filters(&q, LEDGER_FILTERS));
    export(&ui, s_, path, "ledger.csv", &COLUMNS).await
}

/// `GET /audit.csv`: the audit trail with the page's filters (the auditor's working copy; the
/// verifiable original stays the database and its signed checkpoints).
pub async fn audit_csv(
    State(ui): State<Arc<Ui>>,
    s_: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    const COLUMNS: [Column; 9] = [
        raw("seq", Col::Field("seq")),
        column("at", Col::Field("at")),
        column("actor", Col::Field("actor")),
        column("role", Col::Field("role")),
        column("action", Col::Field("action")),
        column("object", Col::Field("object")),
        column("outcome", Col::Field("outcome")),
        raw("rule", Col::Field("rule")),
        raw("detail", Col::Json("detail")),
    ];
    let path =
        format!("/api/v1/audit?{}", filters(&q, &["actor", "action", "object", "from", "to"]));
    export(&ui, s_, path, "audit.csv", &COLUMNS).await
}

/// `GET /complaints.csv`: the complaints register (KIT-7 and the others' complaint clauses),
/// for those who handle complaints — with the complainant's contact, as the register has it.
pub async fn complaints_csv(
    State(ui): State<Arc<Ui>>,
    s_: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    const COLUMNS: [Column; 10] = [
        column("number", Col::Field("number")),
        column("received_at", Col::Field("received_at")),
        column("channel", Col::Field("channel")),
        column("category", Col::Field("category")),
        column("cameras_field", Col::Field("camera")),
        column("contact_body", Col::Field("body")),
        column("answer_by", Col::Field("due_at")),
        column("response", Col::Field("response")),
        column("closed", Col::Field("closed_at")),
        column("complainant_contact", Col::Field("contact")),
    ];
    let path = format!("/api/v1/complaints?{}", filters(&q, COMPLAINT_FILTERS));
    export(&ui, s_, path, "complaints.csv", &COLUMNS).await
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_are_not_evaluated() {
        for f in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(cell(f).starts_with('\''), "{f:?}");
        }
        assert_eq!(cell("旭川東警察署"), "旭川東警察署");
        assert_eq!(cell("2026-0001"), "2026-0001");
    }
}
