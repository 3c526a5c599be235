//! The centre's fleet: recorder nodes on other machines (issue 21). Every central process keeps
//! the list of enrolled, unrevoked nodes (so any of them routes a camera's export to its node);
//! the one holding the `fleet.contact` lease asks each node every few seconds who it is and
//! what it records (its last contact and cameras kept in the store), every minute how its
//! disk, footage, keys and clock stand, sends it the cameras the registry assigns it and the
//! holds in force. A node that does not answer is shown stale; what the centre asks of it
//! meanwhile fails with "the recorder node cannot be reached".

use crate::state::AppState;
use nodelink::remote::RemoteNode;
use std::sync::Arc;
use std::time::Duration;

/// How often the centre contacts each node.
pub const CONTACT_EVERY: Duration = Duration::from_secs(10);
/// A node not heard from for this long is stale.
pub const STALE_MS: i64 = 45_000;
/// How often a node's storage and clock are read.
const HEALTH_EVERY_MS: i64 = 60_000;
/// How often a node is asked to verify its audit log against its checkpoints witnessed here.
const AUDIT_EVERY_MS: i64 = 3_600_000;

/// Asks node `n` to verify its audit log against the checkpoints of it the centre's log
/// witnessed (issue 17's witnessing, across the link); keeps the findings and, when there are
/// new ones, records `audit.node_log_failed` in the centre's log.
async fn verify_node_log(
    st: &AppState,
    r: &store::fleet::RecorderNode,
    n: &RemoteNode,
) -> anyhow::Result<()> {
    let id = node::Node::audit_log_id(n).await?;
    let outside = st.audit.store().witnessed(&id).await?;
    let report = node::Node::verify_audit(n, outside).await?;
    let found: Vec<String> = report.findings.iter().map(|f| f.describe()).collect();
    let json = serde_json::to_string(&found)?;
    if !found.is_empty() && json != r.audit_findings {
        tracing::error!(node = %r.name, findings = ?found, "a recorder node's audit log failed verification");
        let mut ev = audit::Event::new(
            "system",
            "audit.node_log_failed",
            format!("node:{}", r.name),
            audit::Outcome::Failed,
        );
        ev.detail = serde_json::json!({ "findings": found });
        st.audit.append_at(ev, st.clock.now()).await?;
    }
    st.db.recorder_node_audit(r.id, &json, st.clock.now_ms()).await?;
    Ok(())
}

/// Free space under which a node is flagged (it pauses recording at its own minimum).
pub const DISK_LOW_BYTES: u64 = 1 << 30;
/// A node not heard from for this long is an incident, not only an alert.
pub const STALE_INCIDENT_MS: i64 = 5 * 60_000;

/// What is wrong with a recorder node, as its alerts and incidents name it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NodeAlert {
    /// Not heard from for [`STALE_MS`].
    Stale,
    /// Its audit log failed verification against its witnessed checkpoints.
    AuditLog,
    /// Its clock is off the centre's by more than the profile's tolerance (PROD-TIME-1).
    ClockDrift,
    /// Under [`DISK_LOW_BYTES`] free.
    DiskLow,
}

// Its names in incidents and audit entries (`clock_drift`).
policy::stored_names!(NodeAlert, "node alert", {
    Stale => "stale",
    AuditLog => "audit_log",
    ClockDrift => "clock_drift",
    DiskLow => "disk_low",
});

/// Node `r`'s alerts at `now`: `stale` (enrolled, unrevoked, not heard from for
/// [`STALE_MS`]), `audit_log` (its log failed verification against its checkpoints witnessed
/// here), `clock_drift` (its clock off the centre's by more than `tolerance_ms`, PROD-TIME-1),
/// `disk_low` (under 1 GiB free).
pub fn alerts(r: &store::fleet::RecorderNode, now: i64, tolerance_ms: i64) -> Vec<NodeAlert> {
    let mut out = Vec::new();
    let live = r.revoked_at.is_none() && r.enrolled_at.is_some();
    if live && r.last_contact_at.is_none_or(|t| now - t.ms() > STALE_MS) {
        out.push(NodeAlert::Stale);
    }
    if serde_json::from_str::<Vec<String>>(&r.audit_findings).is_ok_and(|f| !f.is_empty()) {
        out.push(NodeAlert::AuditLog);
    }
    let health = r.health.as_deref().and_then(|h| serde_json::from_str::<node::NodeHealth>(h).ok());
    if let (Some(h), Some(at)) = (health, r.health_at) {
        if h.clock.is_some_and(|c| (c.at_ms - at.ms()).abs() > tolerance_ms) {
            out.push(NodeAlert::ClockDrift);
        }
        if h.disk_free_bytes.is_some_and(|b| b < DISK_LOW_BYTES) {
            out.push(NodeAlert::DiskLow);
        }
    }
    out
}

/// Hands a node's alerts to whoever reviews incidents (issue 21): for each enrolled, unrevoked
/// node, each alert opens an incident `node_<alert>` once per node and JST day, kept by the
/// node's organisation and audited (`node.alert`); a node counts as not answering here only
/// after [`STALE_INCIDENT_MS`] (since its last contact, or its enrolment). How many opened.
pub async fn escalate(st: &AppState) -> anyhow::Result<usize> {
    let now = st.clock.now_ms();
    let day = policy::jst::date(st.clock.now()).to_string();
    let tolerance = i64::from(st.profile.recording.clock_tolerance_ms);
    let mut opened = 0;
    for r in st.db.recorder_nodes().await? {
        if r.revoked_at.is_some() || r.enrolled_at.is_none() {
            continue;
        }
        let silent_since = r.last_contact_at.or(r.enrolled_at).map_or(now, store::At::ms);
        for alert in alerts(&r, now, tolerance) {
            if alert == NodeAlert::Stale && now - silent_since < STALE_INCIDENT_MS {
                continue;
            }
            let facts = crate::incidents::IncidentFacts::node(crate::incidents::NodeIncident {
                node: r.name.clone(),
                site: r.site.clone(),
                alert,
                last_contact_at: r.last_contact_at.map(crate::api::types::jst),
                audit_findings: serde_json::from_str(&r.audit_findings).ok(),
                health: r.health.as_deref().and_then(|h| serde_json::from_str(h).ok()),
            });
            let kind = format!("node_{}", alert.as_str());
            let ch = st.change().await.map_err(|e| anyhow::anyhow!("{}", e.0.detail))?;
            let at = crate::incidents::Place {
                month: &day,
                workstation: 0,
                key: &r.name,
                owner: Some(r.organisation_id),
            };
            if crate::incidents::open(&ch, at, &facts, now)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.0.detail))?
            {
                let mut ev = audit::Event::new(
                    "system",
                    "node.alert",
                    format!("node:{}", r.name),
                    audit::Outcome::Failed,
                );
                if alert == NodeAlert::ClockDrift {
                    ev.rule = Some(policy::rule::cited::CLOCK_SYNC.to_string());
                }
                ev.detail = serde_json::json!({ "alert": alert, "incident": kind });
                st.audit_in(&ch, ev).await.map_err(|e| anyhow::anyhow!("{}", e.0.detail))?;
                opened += 1;
            }
            ch.commit().await?;
        }
    }
    if opened > 0 {
        tracing::warn!(opened, "recorder node alerts: incidents opened");
    }
    Ok(opened)
}

/// How many erasures are asked for at a time.
const ERASURES_PER_ASK: u32 = 500;

/// Takes the erasures node `n` made since the last one kept here, in the node's order (those
/// made while the centre was down arrive once it is back, issue 21 item 3). How many arrived.
async fn collect_erasures(st: &AppState, id: i64, n: &RemoteNode) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let after = st.db.last_node_erasure(id).await?;
        let list = node::Node::erasures_since(n, after, ERASURES_PER_ASK).await?;
        let received_at = st.clock.now_ms();
        let rows: Vec<store::fleet::NodeErasure> = list
            .iter()
            .filter(|e| e.seq > after)
            .map(|e| store::fleet::NodeErasure {
                node_id: id,
                seq: e.seq,
                camera: e.camera.clone(),
                day: e.day.clone(),
                segments: e.segments,
                frames: e.frames,
                bytes: e.bytes,
                erased_at: store::At::saturating(e.erased_at_ms),
                received_at: store::At::saturating(received_at),
            })
            .collect();
        st.db.record_node_erasures(id, &rows).await?;
        total += rows.len();
        if rows.is_empty() || list.len() < ERASURES_PER_ASK as usize {
            return Ok(total);
        }
    }
}

/// The fleet's CA (made on first use, beside the signing key).
pub fn ca(st: &AppState) -> Result<nodelink::pki::Ca, nodelink::LinkError> {
    nodelink::pki::Ca::open_or_create(&st.fleet_dir.join("ca"))
}

/// Where packages sent by remote nodes are kept.
pub fn exports_dir(st: &AppState) -> std::path::PathBuf {
    st.fleet_dir.join("exports")
}

/// The cameras stored as a JSON list.
fn cameras_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The cameras the registry assigns to node `name`: active, with a stream address, recorded
/// by it (the camera's `recorder`), with their retention and the masks the recorder burns in.
/// Only cameras of the organisation that keeps the node (issue 21; the registration refuses
/// others, and a camera whose site changed hands is not sent either).
pub async fn assignments(st: &AppState, name: &str) -> anyhow::Result<Vec<node::Assignment>> {
    let Some(node) = st.db.recorder_nodes().await?.into_iter().find(|n| n.name == name) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for c in st.db.cameras().await? {
        if c.recorder != name
            || c.status != store::registry::CameraStatus::Active
            || c.rtsp_url.is_empty()
        {
            continue;
        }
        if c.owner_org_id.is_some_and(|o| o != node.organisation_id) {
            tracing::warn!(camera = %c.code, node = name, "camera of another organisation not assigned to the recorder node");
            continue;
        }
        let retention = crate::api::camera_period(st, &c)
            .await
            .map_err(|e| anyhow::anyhow!("retention of camera {}: {}", c.code, e.0.detail))?;
        let (mask_version, masks) = crate::nodes::recorder_masks(&st.db, &c.code).await?;
        // Credentials sealed to this node only: sealed to another, they would not open here.
        let credentials =
            c.stream_credentials.filter(|_| c.credentials_node.as_deref() == Some(name));
        out.push(node::Assignment {
            camera: c.code,
            url: c.rtsp_url,
            retention,
            mask_version,
            masks,
            credentials,
            onvif: c.onvif_url,
        });
    }
    Ok(out)
}

/// Sends node `n` the cameras the registry assigns it, when they changed since last sent or
/// the node does not record one of them. Whether they were sent.
async fn assign(st: &AppState, n: &RemoteNode, recorded: &[String]) -> anyhow::Result<bool> {
    let name = node::Node::id(n).to_owned();
    let list = assignments(st, &name).await?;
    let digest = serde_json::to_string(&list)?;
    let sent = st.fleet_sent.lock().unwrap_or_else(|p| p.into_inner()).get(&name).cloned();
    let missing = list.iter().any(|a| !recorded.contains(&a.camera));
    if sent.as_deref() == Some(digest.as_str()) && !missing {
        return Ok(false);
    }
    node::Node::set_cameras(n, list).await?;
    st.fleet_sent.lock().unwrap_or_else(|p| p.into_inner()).insert(name, digest);
    Ok(true)
}

/// Brings the remote nodes in line with the store and contacts each: enrolled and unrevoked
/// nodes are asked who they are (their cameras and last contact kept); revoked ones are
/// dropped at once.
pub async fn refresh(st: &AppState) -> anyhow::Result<()> {
    let rows = st.db.recorder_nodes().await?;
    let current = st.remote_nodes();
    let live: Vec<_> =
        rows.into_iter().filter(|r| r.revoked_at.is_none() && r.cert_sha256.is_some()).collect();
    if live.is_empty() {
        st.set_remote_nodes(Vec::new());
        return Ok(());
    }
    let ca = ca(st)?;
    let mut next = Vec::new();
    for r in &live {
        let pin = r.cert_sha256.clone().unwrap_or_default();
        let node = match current
            .iter()
            .find(|n| node::Node::id(&***n) == r.name && n.is(&r.address, &pin))
        {
            Some(n) => n.clone(),
            None => match RemoteNode::new(
                &r.name,
                &r.address,
                &pin,
                &ca,
                exports_dir(st),
                cameras_of(&r.cameras),
            ) {
                Ok(n) => Arc::new(n),
                Err(e) => {
                    tracing::error!(node = %r.name, error = %e, "recorder node cannot be set up");
                    continue;
                }
            },
        };
        next.push((r.id, node));
    }
    st.set_remote_nodes(next.iter().map(|(_, n)| n.clone()).collect());
    // One central process contacts the nodes (issue 21, item 6).
    if !st.leased("fleet.contact", 3 * CONTACT_EVERY).await {
        return Ok(());
    }
    let now = st.clock.now_ms();
    for (id, n) in &next {
        match n.hello().await {
            Ok(h) => {
                let h = match assign(st, n, &h.cameras).await {
                    Ok(true) => n.hello().await.unwrap_or(h),
                    Ok(false) => h,
                    Err(e) => {
                        tracing::warn!(node = %h.node, error = %e, "cameras not assigned to the recorder node");
                        h
                    }
                };
                st.db.recorder_node_contact(*id, &serde_json::to_string(&h.cameras)?, now).await?;
                if let Err(e) = collect_erasures(st, *id, n).await {
                    tracing::warn!(node = %h.node, error = %e, "the node's erasures not collected; asked again next time");
                }
                let row = live.iter().find(|r| r.id == *id);
                if let Some(r) = row
                    .filter(|r| r.audit_checked_at.is_none_or(|t| now - t.ms() >= AUDIT_EVERY_MS))
                    && let Err(e) = verify_node_log(st, r, n).await
                {
                    tracing::warn!(node = %r.name, error = %e, "the node's audit log could not be checked");
                }
                let due =
                    row.is_none_or(|r| r.health_at.is_none_or(|t| now - t.ms() >= HEALTH_EVERY_MS));
                if due {
                    // The node's clock is compared with the centre's at the middle of the call
                    // (not at the start of the round, which would count the round's own time).
                    let asked = st.clock.now_ms();
                    if let Ok(health) = node::Node::health(&**n).await {
                        let at = asked + (st.clock.now_ms() - asked) / 2;
                        st.db
                            .recorder_node_health(*id, &serde_json::to_string(&health)?, at)
                            .await?;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(node = %node::Node::id(&**n), error = %e, "recorder node did not answer")
            }
        }
    }
    escalate(st).await?;
    Ok(())
}

/// Contacts the fleet every [`CONTACT_EVERY`] and sends the holds in force to every node
/// (each keeps its last copy, so erasure keeps its schedule while the centre is down).
pub fn spawn(st: Arc<AppState>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = refresh(&st).await {
                tracing::error!(error = %e, "recorder fleet not refreshed");
            }
            if !st.remote_nodes().is_empty()
                && st.leased("fleet.contact", 3 * CONTACT_EVERY).await
                && let Err(e) = crate::nodes::send_holds(&st).await
            {
                tracing::warn!(error = %e, "holds not sent to every recorder node; each keeps its last copy");
            }
            tokio::time::sleep(CONTACT_EVERY).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::NodeAlert;

    #[test]
    fn alert_names_are_the_serde_names() {
        policy::serde_names_agree(&NodeAlert::ALL, NodeAlert::as_str).unwrap();
        assert_eq!(NodeAlert::parse("clock_drift"), Some(NodeAlert::ClockDrift));
    }
}
