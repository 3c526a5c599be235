//! The server's side of the recorder seam ([`node::Node`]): what the governance store sends a
//! node (privacy masks, holds) and the chores that run while one is attached.

use crate::state::AppState;
use node::{Hold, Polygon};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Erases expired evidence packages every hour until `shutdown` changes.
pub fn spawn_package_sweeper(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        loop {
            // One central process at a time erases (the `packages.sweep` lease).
            if state.leased("packages.sweep", Duration::from_secs(3300)).await
                && let Err(e) = crate::api::erase_expired_packages(&state).await
            {
                tracing::error!(error = ?e.0.detail, "evidence package sweep failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                _ = shutdown.changed() => return,
            }
        }
    });
}

/// Sends the governance store's holds in force to the attached node every 30 s until
/// `shutdown` changes. The node keeps its last copy, so erasure keeps its schedule while the
/// store is unreachable (SAK-8, KAW-2.3.4).
pub fn spawn_hold_sync(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = send_holds(&state).await {
                tracing::warn!(error = %e, "holds not sent to the recorder; it keeps its last copy");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                _ = shutdown.changed() => return,
            }
        }
    });
}

/// Sends the holds in force now to every recorder node (nothing without one). A node that
/// cannot be reached keeps its last copy; the others still get theirs.
pub async fn send_holds(state: &AppState) -> anyhow::Result<()> {
    let nodes = state.nodes();
    if nodes.is_empty() {
        return Ok(());
    }
    let holds: Vec<Hold> = state
        .db
        .holds_in_force(state.clock.now_ms())
        .await?
        .into_iter()
        .map(|h| Hold {
            id: h.id,
            camera: h.camera,
            range_from: h.range_from.ms(),
            range_to: h.range_to.ms(),
            until_ms: h.until_at.ms().min(h.released_at.map_or(i64::MAX, store::At::ms)),
        })
        .collect();
    let mut failed = Vec::new();
    let remote = state.db.recorder_nodes().await?;
    for node in nodes {
        match node.set_holds(holds.clone()).await {
            // A remote node's copy is recorded: a hold placed after it is pending there.
            Ok(()) => {
                if let Some(r) = remote.iter().find(|r| r.name == node.id()) {
                    state.db.recorder_node_holds_sent(r.id, state.clock.now_ms()).await?;
                }
            }
            Err(e) => failed.push(format!("{}: {e}", node.id())),
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("{}", failed.join("; "));
    }
    Ok(())
}

/// The privacy masks a recorder must burn in for `camera`: the newest registered version, if
/// it is marked "in recorder" (ASA-2.1), with its version (0 and none when there is none). Read
/// when the recorder starts; later versions reach it through [`node::Node::set_masks`].
pub async fn recorder_masks(
    db: &store::Db,
    camera: &str,
) -> Result<(i64, Vec<Polygon>), store::StoreError> {
    let Some(c) = db.camera_by_code(camera).await? else { return Ok((0, Vec::new())) };
    let Some(m) = db.camera_masks(c.id).await?.into_iter().next() else {
        return Ok((0, Vec::new()));
    };
    Ok((m.version, mask_polygons(&m)))
}

/// Where the registry has `camera`'s masks applied (PROD-MASK-1): its ONVIF service, or
/// `None` — burned in by the recorder (also for a camera the registry does not know). Read when
/// the recorder starts; changes reach it through [`node::Node::set_masks_source`].
pub async fn masks_source(
    db: &store::Db,
    camera: &str,
) -> Result<Option<String>, store::StoreError> {
    Ok(db.camera_by_code(camera).await?.and_then(|c| c.onvif_url))
}

/// The polygons a mask version has the recorder burn in (none unless "in recorder").
pub fn mask_polygons(m: &store::registry::CameraMasks) -> Vec<Polygon> {
    if !*m.in_recorder {
        return Vec::new();
    }
    let polys: Vec<Vec<Vec<f64>>> = serde_json::from_str(&m.polygons).unwrap_or_default();
    polys
        .iter()
        .map(|p| {
            Polygon::from_pairs(
                &p.iter().filter_map(|xy| Some((*xy.first()?, *xy.get(1)?))).collect::<Vec<_>>(),
            )
        })
        .filter(|p| p.validate().is_ok())
        .collect()
}
