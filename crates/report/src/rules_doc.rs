//! The installer's rules document (KAW-2.2.7, items ア–キ), generated from the live
//! configuration so that it never drifts from what the system enforces.

use maud::{DOCTYPE, Markup, html};
use serde::{Deserialize, Serialize};

/// One item of the document: its mark (ア…キ), heading, and paragraphs or list lines.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Item {
    /// ア, イ, …
    pub mark: String,
    /// 設置目的, …
    pub heading: String,
    /// Lines.
    pub lines: Vec<String>,
}

/// The document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct RulesDoc {
    /// Title.
    pub title: String,
    /// Who keeps it.
    pub installer: String,
    /// Made at (JST).
    pub generated_at: String,
    /// Governing law.
    pub law: String,
    /// Items ア–キ.
    pub items: Vec<Item>,
}

/// The document as printable A4 HTML.
pub fn html(d: &RulesDoc) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                title { (d.title) }
                style { "@page{size:A4;margin:20mm}body{font-family:serif;max-width:170mm;margin:auto;line-height:1.7}h1{text-align:center;font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.2rem}.meta{text-align:right}" }
            }
            body {
                h1 { (d.title) }
                p.meta { (d.installer) br; (d.generated_at) " 現在の設定から作成" }
                p { "この規程は、" (d.law) "に基づき、防犯カメラの設置及び運用に関し必要な事項を定める。" }
                @for it in &d.items {
                    h2 { "（" (it.mark) "）" (it.heading) }
                    @if it.lines.len() == 1 { p { (it.lines[0]) } } @else { ul { @for l in &it.lines { li { (l) } } } }
                }
            }
        }
    }
}

/// The document as Markdown.
pub fn markdown(d: &RulesDoc) -> String {
    let mut s = format!(
        "# {}\n\n{}  \n{} 現在の設定から作成\n\nこの規程は、{}に基づき、防犯カメラの設置及び運用に関し必要な事項を定める。\n",
        d.title, d.installer, d.generated_at, d.law
    );
    for it in &d.items {
        s.push_str(&format!("\n## （{}）{}\n\n", it.mark, it.heading));
        if it.lines.len() == 1 {
            s.push_str(&it.lines[0]);
            s.push('\n');
        } else {
            for l in &it.lines {
                s.push_str(&format!("- {l}\n"));
            }
        }
    }
    s
}
