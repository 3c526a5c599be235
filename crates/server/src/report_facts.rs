//! Gathers the yearly report's facts (KIT-8) from the governance records, the recorder in this
//! process (uptime, gaps, erasures) and the audit chain. Only categories and counts are taken:
//! no name, case text, account or complaint body is read into the facts.

use crate::state::AppState;
use audit::Store as _;
use policy::jst;
use policy::workflow::RequestState;
use report::{AuditDigest, CameraFact, ComplaintFact, Facts, OrderFact, RequestFact};
use std::collections::HashMap;

/// An error gathering the facts.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The fiscal year is out of range.
    #[error("fiscal year {0} is out of range")]
    Year(i16),
    /// The period has not begun.
    #[error("fiscal year {0} has not begun")]
    Future(i16),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The audit log failed.
    #[error("audit log: {0}")]
    Audit(String),
}

/// `[1 April of fy, 1 April of fy + 1)` in UTC milliseconds.
pub fn fiscal_year_bounds(fy: i16) -> Result<(i64, i64), ReportError> {
    let start = |y: i16| {
        jst::fiscal_year_start(y).map(|t| t.as_millisecond()).map_err(|_| ReportError::Year(fy))
    };
    Ok((start(fy)?, start(fy + 1)?))
}

fn in_range(t: Option<store::At>, from: i64, to: i64) -> bool {
    t.is_some_and(|t| t.ms() >= from && t.ms() < to)
}

/// The period of fiscal year `fy` as far as it has run at `now`: `(from, to)` in UTC ms.
pub fn period(fy: i16, now: i64) -> Result<(i64, i64), ReportError> {
    let (from, end) = fiscal_year_bounds(fy)?;
    if from > now {
        return Err(ReportError::Future(fy));
    }
    // Up to and including this millisecond.
    Ok((from, end.min(now + 1)))
}

/// The facts of fiscal year `fy`, up to now if it has not ended. `node` is the recorder's
/// records for the period (uptime, gaps, erasures), when they are available.
pub async fn gather(
    st: &AppState,
    fy: i16,
    node: Option<node::NodeFacts>,
) -> Result<Facts, ReportError> {
    let now = st.clock.now_ms();
    let (from, to) = period(fy, now)?;
    let p = &st.profile;
    let sites: HashMap<i64, store::registry::Site> =
        st.db.sites().await?.into_iter().map(|s| (s.id, s)).collect();
    let mut cameras = Vec::new();
    for c in st.db.cameras().await? {
        let group = sites
            .get(&c.site_id)
            .map(|s| if s.system.is_empty() { s.name.clone() } else { s.system.clone() })
            .unwrap_or_default();
        let began = c.commissioned_at.unwrap_or(c.created_at).ms();
        let operating = began < to && c.decommissioned_at.is_none_or(|d| d.ms() > from);
        let (mut period_ms, mut gap_ms, mut gaps) = (None, None, None);
        if let Some(n) = &node
            && let Some(first) = n.first_recorded.get(&c.code)
        {
            let start = from.max(*first);
            let stop = to.min(c.decommissioned_at.map_or(to, store::At::ms));
            if stop > start {
                let mine: Vec<(i64, i64)> = n
                    .gaps
                    .iter()
                    .filter(|g| g.camera == c.code)
                    .map(|g| (g.start_ms.max(start), g.end_ms.unwrap_or(stop).min(stop)))
                    .filter(|(a, b)| b > a)
                    .collect();
                period_ms = Some(stop - start);
                gap_ms = Some(mine.iter().map(|(a, b)| b - a).sum());
                gaps = Some(mine.len() as u64);
            }
        }
        cameras.push(CameraFact { code: c.code, group, operating, period_ms, gap_ms, gaps });
    }

    // Requests received in the period, by basis and the requesting organisation's kind.
    let org_kind: HashMap<i64, String> =
        st.db.organisations().await?.into_iter().map(|o| (o.id, o.kind.to_string())).collect();
    let account_kind: HashMap<i64, String> = st
        .db
        .accounts()
        .await?
        .into_iter()
        .map(|a| (a.id, org_kind.get(&a.organisation_id).cloned().unwrap_or_default()))
        .collect();
    let mut requests = Vec::new();
    for r in st.db.requests().await? {
        if !in_range(Some(r.created_at), from, to) {
            continue;
        }
        let basis = p.bases.iter().find(|b| b.id == r.basis);
        requests.push(RequestFact {
            basis: r.basis.clone(),
            basis_ja: basis.map_or_else(|| r.basis.clone(), |b| b.name_ja.clone()),
            basis_en: basis.map_or_else(|| r.basis.clone(), |b| b.name_en.clone()),
            recipient_kind: r
                .requester_id
                .and_then(|a| account_kind.get(&a).cloned())
                .unwrap_or_else(|| "city".into()),
            provided: matches!(
                r.state,
                RequestState::Extracted | RequestState::Reported | RequestState::Closed
            ),
            refused: r.state == RequestState::Refused,
        });
    }

    // Emergency orders of the period.
    let orders = st
        .db
        .orders()
        .await?
        .into_iter()
        .filter(|o| in_range(Some(o.ordered_at), from, to))
        .map(|o| OrderFact {
            extracted: o.extraction_id.is_some(),
            filed: o.filed_at.is_some(),
            late: o
                .filing_due_at
                .is_some_and(|due| o.filed_at.map_or(now, store::At::ms) > due.ms()),
        })
        .collect();

    let holds =
        st.db.holds().await?.iter().filter(|h| in_range(Some(h.placed_at), from, to)).count()
            as u64;

    let complaints = st
        .db
        .complaints()
        .await?
        .into_iter()
        .filter(|c| in_range(Some(c.received_at), from, to) || in_range(c.closed_at, from, to))
        .map(|c| ComplaintFact {
            received: in_range(Some(c.received_at), from, to),
            closed: in_range(c.closed_at, from, to),
            overdue: c.responded_at.map_or(now, store::At::ms) > c.due_at.ms(),
            category: c.category,
        })
        .collect();

    // Oversight incidents opened in the period (issue 18 item 1).
    let mut incidents = report::IncidentFacts::default();
    for i in st.db.incidents().await?.iter().filter(|i| in_range(Some(i.opened_at), from, to)) {
        if i.kind == crate::duties::LAPSED {
            incidents.duties_lapsed += 1;
        } else {
            incidents.reconciliation += 1;
        }
        incidents.closed += u64::from(i.closed_at.is_some_and(|c| c.ms() < to));
    }

    // The audit chain's state at the end of the period.
    let mut audit = AuditDigest::default();
    let store = st.audit.store();
    let mut skip = 0u64;
    loop {
        let page =
            store.entries(skip, 5000).await.map_err(|e| ReportError::Audit(e.to_string()))?;
        if page.is_empty() {
            break;
        }
        skip += page.len() as u64;
        for e in &page {
            let at = e.at.as_millisecond();
            if at >= from && at < to {
                audit.entries += 1;
                if audit.last_seq.is_none_or(|s| (e.seq as i64) > s) {
                    audit.last_seq = Some(e.seq as i64);
                    audit.last_hash = Some(e.hash.to_hex().to_string());
                }
            }
        }
    }

    Ok(Facts {
        profile: p.profile.id.clone(),
        city_ja: p.profile.name_ja.clone(),
        city_en: p.profile.name_en.clone(),
        fiscal_year: fy,
        from: jst::rfc3339(jiff::Timestamp::from_millisecond(from).unwrap_or_default()),
        to: jst::rfc3339(jiff::Timestamp::from_millisecond(to).unwrap_or_default()),
        generated_at: jst::rfc3339(st.clock.now()),
        suppress_below: p.report.suppress_below,
        suppression_rule: p.report.suppression_rule.to_string(),
        rule: p.report.rule.as_ref().map(|r| r.to_string()),
        cameras,
        requests,
        orders,
        holds,
        complaints,
        erasures: node.map(|n| n.erased_camera_days),
        incidents,
        audit,
    })
}

/// The installer's rules document (KAW-2.2.7 ア–キ) from the live configuration: the profile,
/// the registry, the designations and contracts in force.
pub async fn rules_doc(st: &AppState) -> Result<report::rules_doc::RulesDoc, ReportError> {
    installer_rules_doc(st, None).await
}

/// The rules document of one installer (KAW-2.2.7: 設置者は…規程を定めるよう努める): a camera
/// owner other than the city — a Kawaguchi community group, a Saku facility — keeps its own,
/// naming itself, its own sites and cameras and its own staff; the rules are the profile's.
/// `None`: the city's, over every camera.
pub async fn installer_rules_doc(
    st: &AppState,
    installer: Option<&store::accounts::Organisation>,
) -> Result<report::rules_doc::RulesDoc, ReportError> {
    use report::rules_doc::{Item, RulesDoc};
    let p = &st.profile;
    let owned = |owner: Option<i64>| installer.is_none_or(|o| owner == Some(o.id));
    let now = st.clock.now_ms();
    let item = |mark: &str, heading: &str, lines: Vec<String>| Item {
        mark: mark.into(),
        heading: heading.into(),
        lines,
    };
    let period = |days: Option<u32>, months: Option<u32>| match (days, months) {
        (Some(d), _) => format!("{d}日"),
        (None, Some(m)) => format!("{m}か月"),
        _ => "（未設定）".into(),
    };

    // ア 設置目的
    let mut purpose = vec![p.profile.purpose_ja.trim().to_owned()];
    purpose.extend(p.purposes.iter().map(|x| format!("{}（{}）", x.name_ja, x.rule)));

    // イ 設置場所
    let sites = st.db.sites().await?;
    let cams = st.db.cameras().await?;
    let mut places = Vec::new();
    for s in sites.iter().filter(|s| owned(s.owner_org_id)) {
        let mine: Vec<String> = cams
            .iter()
            .filter(|c| {
                c.site_id == s.id && c.status != store::registry::CameraStatus::Decommissioned
            })
            .map(|c| match c.public_share_permille {
                Some(pm) => format!("{}（公共空間 {:.1}%）", c.code, pm as f64 / 10.0),
                None => c.code.clone(),
            })
            .collect();
        if !mine.is_empty() {
            places.push(format!(
                "{} {}（{}）: {} — 表示「{}」",
                s.code,
                s.name,
                s.address,
                mine.join("、"),
                s.signage_text
            ));
        }
    }
    if places.is_empty() {
        places.push("（登録されたカメラはありません）".into());
    }

    // ウ 管理責任者及び従事者
    let members: Option<Vec<i64>> = match installer {
        Some(o) => Some(
            st.db
                .accounts()
                .await?
                .into_iter()
                .filter(|a| a.organisation_id == o.id)
                .map(|a| a.id)
                .collect(),
        ),
        None => None,
    };
    let designations: Vec<_> = st
        .db
        .all_designations()
        .await?
        .into_iter()
        .filter(|d| members.as_ref().is_none_or(|m| m.contains(&d.account_id)))
        .collect();
    let staff = p
        .roles
        .iter()
        .map(|r| {
            let n = designations.iter().filter(|d| d.role == r.id && d.in_force(now)).count();
            format!("{}（{}名を指定）", r.name_ja, n)
        })
        .collect();

    // エ 画像の取扱い制限 — the procedure in this city's own words: who decides, what the
    // ledger is called, which forms file (issue 18: not the same text in every city).
    let names = |roles: &[String]| {
        roles
            .iter()
            .map(|r| p.role(r).map_or(r.clone(), |d| d.name_ja.clone()))
            .collect::<Vec<_>>()
            .join("・")
    };
    let form_name = |id: &str| p.form(id).map_or(id.to_owned(), |f| f.name_ja.clone());
    let request = p
        .workflow
        .request_form
        .as_deref()
        .map_or_else(|| "文書による依頼".to_owned(), |f| format!("「{}」の提出", form_name(f)));
    let mut limits = vec![
        "ライブ映像を表示する機能を持たず、録画のみを行う（モニターによる監視をしない）。"
            .to_owned(),
        format!(
            "画像の提供は、次の場合に限り、{request}、{}の判断、抽出の指示、抽出及び「{}」への記録を経て行う。",
            names(&p.workflow.reviewed_by),
            form_name(&p.workflow.ledger_form)
        ),
    ];
    limits.extend(p.bases.iter().map(|b| format!("{}（{}）", b.name_ja, b.rule)));
    let chain: Vec<String> = p
        .workflow
        .chain
        .iter()
        .map(|s| {
            s.roles
                .iter()
                .map(|r| p.role(r).map_or(r.clone(), |d| d.name_ja.clone()))
                .collect::<Vec<_>>()
                .join("・")
        })
        .collect();
    limits.push(format!("抽出の指示は {} の順に行う（{}）。", chain.join(" → "), p.workflow.rule));
    if p.workflow.workstation_required {
        limits.push("画像の抽出は登録した専用パソコンでのみ行う。".into());
    }
    if let Some(em) = &p.emergency {
        let forms: Vec<String> =
            em.filing.forms.iter().map(|f| format!("「{}」", form_name(f))).collect();
        limits.push(format!(
            "夜間・休日等の緊急時には、{}の命令により専用パソコンで抽出し、遅滞なく{}を提出する（{}）。毎月、抽出履歴を照合する。",
            names(&em.ordered_by),
            forms.join("又は"),
            em.rule
        ));
    }

    // オ 漏えい、滅失、毀損及び改ざんの防止
    let workstations = st.db.workstations().await?;
    let ws = workstations.iter().filter(|w| w.revoked_at.is_none()).count();
    let contracts = st.db.contracts().await?;
    let signed =
        contracts.iter().filter(|c| c.signed_off_at.is_some() && c.valid_until.ms() > now).count();
    let protect = vec![
        "録画は撮影と同時に暗号化（AES-256-GCM、カメラ・日ごとの鍵）して保存し、鍵は録画装置の鍵で保護する。".to_owned(),
        "各フレームのハッシュ値と連鎖により、録画の欠落・差替え・改ざんを検出できるようにする。提供する画像には署名付きの検証情報を添える。".to_owned(),
        format!("操作できる者を役割ごとに指定し、パスワードは{}日ごとに変更する。専用パソコンは{}台を登録している。", p.accounts.password_rotation_days, ws),
        "すべての操作・閲覧・拒否は改ざん検知可能な操作記録に残す。".to_owned(),
        format!("保守を委託する場合は、契約に①〜⑦の事項を定め、管理責任者が確認する（現在有効な契約 {signed} 件）。"),
    ];

    // カ 保存期間、消去、廃棄及び記録媒体の保管
    let r = &p.retention;
    let mut keep = vec![format!(
        "保存期間は{}（{}）とし、{}から起算する。",
        period(r.default.days, r.default.months),
        r.rule,
        match r.counting {
            policy::retention::Counting::FromNextDay => "撮影した日の翌日",
            policy::retention::Counting::FromRecordingDay => "撮影した日",
        }
    )];
    keep.push(
        "保存期間を過ぎた画像は、その日の鍵を破棄して復元できない状態にし、ファイルを削除する。"
            .into(),
    );
    keep.push(if r.extension.allowed {
        format!("保存期間の延長は、理由を記録した場合に限り行う（{}）。", r.extension.rule)
    } else {
        format!("保存期間の延長は行わない（{}）。", r.extension.rule)
    });
    let d = &p.disposal;
    keep.push(format!(
        "録画装置・記録媒体を廃棄するときは、すべての鍵の破棄を確認した上で、{}名以上（{}を含む）が確認し、記録する（{}）。",
        d.min_confirmers,
        d.required_roles.iter().map(|r| p.role(r).map_or(r.clone(), |x| x.name_ja.clone())).collect::<Vec<_>>().join("・"),
        d.rules.iter().map(ToString::to_string).collect::<Vec<_>>().join("、")
    ));

    // キ その他
    let mut other = vec![format!(
        "苦情・問合せには{}日以内に回答する（{}）。",
        p.complaints.respond_within_days,
        p.complaints.deadline_rule()
    )];
    if let Some(cov) = &p.coverage {
        other.push(format!(
            "画像の{}/{}以上が公共空間となるよう設置し、困難な場合も{}/{}以上とする。{}（{}）",
            cov.min_public_share[0],
            cov.min_public_share[1],
            cov.exemption_min_public_share[0],
            cov.exemption_min_public_share[1],
            cov.minimum_operation_years
                .map_or(String::new(), |y| format!("設置後{y}年間は運用する。")),
            cov.rule
        ));
    }
    if p.report.yearly_required {
        other.push(format!(
            "運用状況及び情報提供状況を年1回以上公表する（{}）。",
            p.report.rule.as_ref().map_or_else(String::new, ToString::to_string)
        ));
    }
    other.push("設置場所には、防犯カメラが作動中である旨と設置者を表示する。".into());

    Ok(RulesDoc {
        title: format!(
            "{} 防犯カメラの設置及び運用に関する規程",
            installer.map_or(p.profile.name_ja.as_str(), |o| o.name.as_str())
        ),
        installer: installer.map_or_else(|| p.profile.name_ja.clone(), |o| o.name.clone()),
        generated_at: jst::rfc3339(st.clock.now())[..16].replace('T', " "),
        // The law, with the clause of the rules that names it (KIT-1.2, KAW-3) where there is one.
        law: match &p.profile.governing_law_rule {
            Some(rule) => format!("{}（{rule}）", p.profile.governing_law_ja),
            None => p.profile.governing_law_ja.clone(),
        },
        items: vec![
            item("ア", "設置目的", purpose),
            item("イ", "設置場所", places),
            item("ウ", "管理責任者及び従事者", staff),
            item("エ", "画像の取扱いの制限", limits),
            item("オ", "漏えい、滅失、毀損及び改ざんの防止", protect),
            item("カ", "保存期間、消去、廃棄及び記録媒体の保管", keep),
            item("キ", "その他", other),
        ],
    })
}
