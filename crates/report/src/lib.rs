//! # report — the yearly public report (KIT-8)
//!
//! A city publishes, at least once a year, how its cameras ran and how footage was provided.
//! [`build`] turns [`Facts`] — one row per camera, request, emergency order, hold, complaint,
//! erasure, gathered by the server for a Japanese fiscal year (1 April – 31 March) — into an
//! [`AnnualReport`] of tables of counts. Nothing personal goes in: the facts carry no names, case
//! text, accounts or complaint bodies, only categories; and every count from 1 up to the
//! profile's threshold is suppressed (PROD-REPORT-1), so a single provision cannot be singled
//! out. The report renders as a static HTML page (Japanese or English) for the city website,
//! open-data CSV (UTF-8 with BOM, one table per file, Japanese column names) and JSON.

pub mod rules_doc;

use maud::{DOCTYPE, Markup, html};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One camera in the period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CameraFact {
    /// Camera code (cameras are public: signage and the public map name them).
    pub code: String,
    /// The site group (KIT-1's system, or the site's name).
    pub group: String,
    /// Whether it operated at some point in the period.
    pub operating: bool,
    /// Recording time in the period, ms, when the recorder's records are available.
    pub period_ms: Option<i64>,
    /// Time lost to gaps in the period, ms.
    pub gap_ms: Option<i64>,
    /// Number of gaps in the period.
    pub gaps: Option<u64>,
}

/// One request (application for footage) decided or pending in the period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestFact {
    /// Legal basis id.
    pub basis: String,
    /// Its name in Japanese.
    pub basis_ja: String,
    /// Its name in English.
    pub basis_en: String,
    /// The requesting organisation's kind (`police`, `agency`, `city`…), never its name.
    pub recipient_kind: String,
    /// Footage was provided (extracted).
    pub provided: bool,
    /// Refused.
    pub refused: bool,
}

/// One emergency order in the period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderFact {
    /// Extracted.
    pub extracted: bool,
    /// Filed afterwards.
    pub filed: bool,
    /// Filed after the deadline, or still unfiled past it.
    pub late: bool,
}

/// One complaint or inquiry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComplaintFact {
    /// Category (`privacy`, `signage`, `placement`, `footage`, `other`).
    pub category: String,
    /// Received in the period.
    pub received: bool,
    /// Closed in the period.
    pub closed: bool,
    /// Answered late or still open past its deadline.
    pub overdue: bool,
}

/// The audit chain at the end of the period: anyone holding the city's published checkpoint can
/// check that the log the report was computed from is the one that continued.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AuditDigest {
    /// Entries written in the period.
    pub entries: u64,
    /// Sequence number of the last entry in the period.
    pub last_seq: Option<i64>,
    /// Its chain hash (hex).
    pub last_hash: Option<String>,
}

/// Everything the report is computed from, for one fiscal year.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Facts {
    /// Profile id.
    pub profile: String,
    /// The city, in Japanese.
    pub city_ja: String,
    /// The city, in English.
    pub city_en: String,
    /// Fiscal year (令和 or Western: the year in which it starts).
    pub fiscal_year: i16,
    /// Period covered (RFC 3339, JST): 1 April …
    pub from: String,
    /// … to 31 March, or the day the report was made if earlier.
    pub to: String,
    /// When it was made.
    pub generated_at: String,
    /// Counts from 1 below this are suppressed.
    pub suppress_below: u32,
    /// The rule behind the suppression.
    pub suppression_rule: String,
    /// Rule that requires the report (KIT-8), if the profile does.
    pub rule: Option<String>,
    /// Cameras.
    pub cameras: Vec<CameraFact>,
    /// Requests.
    pub requests: Vec<RequestFact>,
    /// Emergency orders.
    pub orders: Vec<OrderFact>,
    /// Retention extensions placed in the period.
    pub holds: u64,
    /// Complaints.
    pub complaints: Vec<ComplaintFact>,
    /// Camera-days of footage erased at the end of retention (when the recorder's records are
    /// available).
    pub erasures: Option<u64>,
    /// Oversight incidents opened in the period (reconciliation mismatches, lapsed duties).
    #[serde(default)]
    pub incidents: IncidentFacts,
    /// The audit chain.
    pub audit: AuditDigest,
}

/// Oversight incidents of the period: what the manager's checks found (ASA-3.5c, NIS-11.3) and
/// the recurring duties not done in time (issue 18, PROD-DUTY-5). No person is named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFacts {
    /// Mismatches the monthly reconciliation found.
    pub reconciliation: u64,
    /// Recurring duties not done by their deadline.
    pub duties_lapsed: u64,
    /// Of these, closed with a note by the end of the period.
    pub closed: u64,
}

/// A cell of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub enum Cell {
    /// Text.
    Text(String),
    /// A count shown as is.
    Count(u64),
    /// A count from 1 to the threshold, withheld.
    Suppressed,
    /// A percentage.
    Percent(f64),
    /// Not available (e.g. no recorder records on this server).
    Unavailable,
}

/// One table of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Table {
    /// File name stem for the CSV (`cameras`, `provisions`…).
    pub id: String,
    /// Title in Japanese.
    pub title_ja: String,
    /// Title in English.
    pub title_en: String,
    /// Column names (Japanese, English).
    pub columns: Vec<(String, String)>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

/// The report.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AnnualReport {
    /// What it covers and how it was made.
    pub meta: Meta,
    /// Its tables.
    pub tables: Vec<Table>,
}

/// About the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Meta {
    /// Profile.
    pub profile: String,
    /// City (ja).
    pub city_ja: String,
    /// City (en).
    pub city_en: String,
    /// Fiscal year.
    pub fiscal_year: i16,
    /// Period start.
    pub from: String,
    /// Period end.
    pub to: String,
    /// Made at.
    pub generated_at: String,
    /// Threshold.
    pub suppress_below: u32,
    /// Its rule.
    pub suppression_rule: String,
    /// The rule requiring the report.
    pub rule: Option<String>,
    /// Audit digest.
    pub audit: AuditDigest,
}

/// Counts from 1 to `below - 1` become [`Cell::Suppressed`]; zero is shown (a zero identifies
/// nobody).
fn count(n: u64, below: u32) -> Cell {
    if n > 0 && n < u64::from(below) { Cell::Suppressed } else { Cell::Count(n) }
}

fn col(ja: &str, en: &str) -> (String, String) {
    (ja.to_owned(), en.to_owned())
}

fn recipient_ja(kind: &str) -> &str {
    match kind {
        "police" => "警察等の捜査機関",
        "agency" => "その他の行政機関",
        "city" => "市（内部利用）",
        "facility" => "施設管理者",
        "community" => "地域団体",
        "contractor" => "委託業者",
        other => other,
    }
}

fn category_ja(c: &str) -> &str {
    match c {
        "privacy" => "プライバシー",
        "signage" => "表示",
        "placement" => "設置場所",
        "footage" => "画像の提供",
        "other" => "その他",
        other => other,
    }
}

/// Computes the report from the facts.
pub fn build(f: &Facts) -> AnnualReport {
    let k = f.suppress_below;
    let mut tables = Vec::new();

    // 1. Cameras in operation per site group.
    let mut groups: BTreeMap<&str, u64> = BTreeMap::new();
    for c in f.cameras.iter().filter(|c| c.operating) {
        *groups.entry(c.group.as_str()).or_default() += 1;
    }
    // Camera numbers are public (signs, the public map): not suppressed.
    let total: u64 = groups.values().sum();
    let mut rows: Vec<Vec<Cell>> =
        groups.iter().map(|(g, n)| vec![Cell::Text((*g).to_owned()), Cell::Count(*n)]).collect();
    rows.push(vec![Cell::Text("合計".into()), Cell::Count(total)]);
    tables.push(Table {
        id: "cameras".into(),
        title_ja: "設置・稼働台数".into(),
        title_en: "Cameras in operation".into(),
        columns: vec![col("地区・系統", "Site group"), col("稼働台数", "Cameras")],
        rows,
    });

    // 2. Recording uptime and gaps per camera.
    let rows = f
        .cameras
        .iter()
        .filter(|c| c.operating)
        .map(|c| {
            let uptime = match (c.period_ms, c.gap_ms) {
                (Some(p), Some(g)) if p > 0 => {
                    Cell::Percent(((p - g.min(p)) as f64 / p as f64 * 1000.0).round() / 10.0)
                }
                _ => Cell::Unavailable,
            };
            vec![
                Cell::Text(c.code.clone()),
                Cell::Text(c.group.clone()),
                uptime,
                c.gaps.map_or(Cell::Unavailable, Cell::Count),
                c.gap_ms.map_or(Cell::Unavailable, |g| Cell::Count((g / 60_000) as u64)),
            ]
        })
        .collect();
    tables.push(Table {
        id: "recording".into(),
        title_ja: "録画の稼働状況".into(),
        title_en: "Recording uptime and gaps".into(),
        columns: vec![
            col("カメラ", "Camera"),
            col("地区・系統", "Site group"),
            col("稼働率（%）", "Uptime (%)"),
            col("欠落回数", "Gaps"),
            col("欠落時間（分）", "Gap time (min)"),
        ],
        rows,
    });

    // 3. Provisions by legal basis and recipient type.
    // (basis, basis in Japanese, recipient kind) → (requests, provided, refused)
    type Key = (String, String, String);
    let mut prov: BTreeMap<Key, (u64, u64, u64)> = BTreeMap::new();
    for r in &f.requests {
        let e = prov
            .entry((r.basis.clone(), r.basis_ja.clone(), r.recipient_kind.clone()))
            .or_default();
        e.0 += 1;
        e.1 += u64::from(r.provided);
        e.2 += u64::from(r.refused);
    }
    let rows = prov
        .iter()
        .map(|((_, ja, kind), (n, p, x))| {
            vec![
                Cell::Text(ja.clone()),
                Cell::Text(recipient_ja(kind).to_owned()),
                count(*n, k),
                count(*p, k),
                count(*x, k),
            ]
        })
        .collect();
    tables.push(Table {
        id: "provisions".into(),
        title_ja: "画像の提供状況".into(),
        title_en: "Provision of footage".into(),
        columns: vec![
            col("根拠", "Legal basis"),
            col("提供先の種別", "Recipient type"),
            col("申請件数", "Requests"),
            col("提供件数", "Provided"),
            col("不承認件数", "Refused"),
        ],
        rows,
    });

    // 4. Emergency extractions and their filings.
    let o = &f.orders;
    let n = |p: &dyn Fn(&OrderFact) -> bool| o.iter().filter(|x| p(x)).count() as u64;
    tables.push(Table {
        id: "emergency".into(),
        title_ja: "緊急時の抽出（夜間・休日）".into(),
        title_en: "Emergency extractions (nights and holidays)".into(),
        columns: vec![
            col("緊急抽出件数", "Emergency extractions"),
            col("事後の申請済み", "Filed afterwards"),
            col("期限後の提出・未提出", "Filed late or not yet"),
        ],
        rows: vec![vec![
            count(n(&|x| x.extracted), k),
            count(n(&|x| x.extracted && x.filed), k),
            count(n(&|x| x.extracted && x.late), k),
        ]],
    });

    // 5. Extensions, erasures.
    tables.push(Table {
        id: "retention".into(),
        title_ja: "保存期間の延長と消去".into(),
        title_en: "Retention extensions and erasures".into(),
        columns: vec![
            col("保存期間の延長件数", "Extensions"),
            col("消去したカメラ・日数", "Camera-days erased"),
        ],
        rows: vec![vec![
            count(f.holds, k),
            // Erasure is routine, one per camera and day: never identifying.
            f.erasures.map_or(Cell::Unavailable, Cell::Count),
        ]],
    });

    // 6. Complaints and inquiries by category.
    let mut cats: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
    for c in &f.complaints {
        let e = cats.entry(c.category.as_str()).or_default();
        e.0 += u64::from(c.received);
        e.1 += u64::from(c.closed);
        e.2 += u64::from(c.overdue);
    }
    let rows = cats
        .iter()
        .map(|(c, (r, cl, od))| {
            vec![Cell::Text(category_ja(c).to_owned()), count(*r, k), count(*cl, k), count(*od, k)]
        })
        .collect();
    tables.push(Table {
        id: "complaints".into(),
        title_ja: "苦情・問合せ".into(),
        title_en: "Complaints and inquiries".into(),
        columns: vec![
            col("分類", "Category"),
            col("受付件数", "Received"),
            col("完了件数", "Closed"),
            col("回答期限超過", "Past the deadline"),
        ],
        rows,
    });

    // 7. Oversight: the checks' findings and duties not done in time. These count the
    // office's own lapses, not people: shown as they are.
    let i = &f.incidents;
    tables.push(Table {
        id: "oversight".into(),
        title_ja: "点検・照合の結果".into(),
        title_en: "Checks and reconciliation".into(),
        columns: vec![
            col("照合で見つかった不一致", "Reconciliation mismatches"),
            col("期限内に行われなかった定期業務", "Recurring duties not done in time"),
            col("対応済み", "Resolved"),
        ],
        rows: vec![vec![
            Cell::Count(i.reconciliation),
            Cell::Count(i.duties_lapsed),
            Cell::Count(i.closed),
        ]],
    });

    AnnualReport {
        meta: Meta {
            profile: f.profile.clone(),
            city_ja: f.city_ja.clone(),
            city_en: f.city_en.clone(),
            fiscal_year: f.fiscal_year,
            from: f.from.clone(),
            to: f.to.clone(),
            generated_at: f.generated_at.clone(),
            suppress_below: f.suppress_below,
            suppression_rule: f.suppression_rule.clone(),
            rule: f.rule.clone(),
            audit: f.audit.clone(),
        },
        tables,
    }
}

impl Cell {
    /// The cell as text: `ja` picks the wording of suppressed and unavailable cells.
    pub fn text(&self, ja: bool, below: u32) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Suppressed if ja => format!("{below}未満"),
            Cell::Suppressed => format!("<{below}"),
            Cell::Percent(p) => format!("{p:.1}"),
            Cell::Unavailable => "-".into(),
        }
    }
}

/// A report file: name and bytes.
pub type File = (String, Vec<u8>);

/// Open-data CSV, one file per table: UTF-8 with a byte-order mark (as Japanese spreadsheet
/// software expects), Japanese column names, suppressed counts as `3未満`.
pub fn csv_files(r: &AnnualReport) -> Result<Vec<File>, csv::Error> {
    let mut out = Vec::new();
    for t in &r.tables {
        let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
        w.write_record(t.columns.iter().map(|c| c.0.as_str()))?;
        for row in &t.rows {
            w.write_record(row.iter().map(|c| c.text(true, r.meta.suppress_below)))?;
        }
        let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
        out.push((format!("{}-{}.csv", r.meta.fiscal_year, t.id), bytes));
    }
    Ok(out)
}

/// The report as JSON.
pub fn json(r: &AnnualReport) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(r)
}

/// The report as a static HTML page, in Japanese (`ja`) or English, ready for the city website
/// (no scripts, no external resources).
pub fn html(r: &AnnualReport, ja: bool) -> Markup {
    let m = &r.meta;
    let below = m.suppress_below;
    let title = if ja {
        let fy = policy::jst::fiscal_year_ja(m.fiscal_year);
        format!("{} 防犯カメラの運用状況・情報提供状況（{fy}）", m.city_ja)
    } else {
        format!(
            "{}: street security cameras, operation and provision of footage (FY{})",
            m.city_en, m.fiscal_year
        )
    };
    html! {
        (DOCTYPE)
        html lang=(if ja { "ja" } else { "en" }) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { "body{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.6}table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #bbb;padding:.2rem .6rem;text-align:left}td.n{text-align:right}.note{color:#555;font-size:.9rem}" }
            }
            body {
                h1 { (title) }
                p {
                    @if ja { "対象期間: " } @else { "Period: " }
                    (&m.from[..10]) " 〜 " (&m.to[..10])
                    @if ja { "（作成日時 " } @else { " (made " } (m.generated_at) ")"
                }
                @if let Some(rule) = &m.rule {
                    p.note { @if ja { "根拠: " } @else { "Required by: " } (rule) }
                }
                @for t in &r.tables {
                    section {
                        h2 { @if ja { (t.title_ja) } @else { (t.title_en) } }
                        table {
                            thead { tr { @for c in &t.columns { th { @if ja { (c.0) } @else { (c.1) } } } } }
                            tbody {
                                @for row in &t.rows {
                                    tr { @for c in row { td.n[!matches!(c, Cell::Text(_))] { (c.text(ja, below)) } } }
                                }
                            }
                        }
                    }
                }
                p.note {
                    @if ja {
                        "個人が特定されることのないよう、1件以上" (below) "件未満の件数は「" (below) "未満」と表示しています（" (m.suppression_rule) "）。"
                    } @else {
                        "To protect individuals, counts from 1 to " (below - 1) " are shown as \"<" (below) "\" (" (m.suppression_rule) ")."
                    }
                }
                @if let (Some(seq), Some(hash)) = (m.audit.last_seq, &m.audit.last_hash) {
                    p.note {
                        @if ja { "操作記録（改ざん検知用の連鎖）: 期間中 " (m.audit.entries) " 件、最終記録 #" (seq) " のハッシュ " }
                        @else { "Audit chain: " (m.audit.entries) " entries in the period, last entry #" (seq) ", hash " }
                        code { (hash) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_suppressed_but_zero_is_not() {
        assert_eq!(count(0, 3), Cell::Count(0));
        assert_eq!(count(1, 3), Cell::Suppressed);
        assert_eq!(count(2, 3), Cell::Suppressed);
        assert_eq!(count(3, 3), Cell::Count(3));
        assert_eq!(Cell::Suppressed.text(true, 3), "3未満");
    }
}
