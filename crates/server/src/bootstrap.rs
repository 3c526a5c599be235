//! Creating the first administrator: the account that holds the profile's account-administration
//! role (ASA: 管理責任者; KAW: 設置者; SAK: 市（総務課）…). Everyone else is created through the API.

use policy::{Permission, Profile};
use store::Db;
use store::accounts::{Account, NewAccount};

/// Why bootstrapping failed.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The profile names no role that administers accounts.
    #[error("profile {0} has no role with accounts.administer")]
    NoAdminRole(String),
    /// Weak password.
    #[error("the initial password needs at least 12 characters")]
    WeakPassword,
    /// Store error.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Hashing failed.
    #[error("could not hash the password")]
    Hash,
}

/// The role the first administrator receives.
pub fn admin_role(profile: &Profile) -> Option<&policy::profile::RoleDef> {
    profile.roles.iter().find(|r| r.permissions.contains(&Permission::AccountsAdminister))
}

/// Creates (or reuses) the organisation, the account and its designation. The account must
/// change its password and acknowledge the confidentiality duty at first login.
#[allow(clippy::too_many_arguments)]
pub async fn create_admin(
    db: &Db,
    profile: &Profile,
    org_name: &str,
    login: &str,
    display_name: &str,
    password: &str,
    now: i64,
) -> Result<Account, BootstrapError> {
    let role = admin_role(profile)
        .ok_or_else(|| BootstrapError::NoAdminRole(profile.profile.id.clone()))?;
    if password.chars().count() < 12 {
        return Err(BootstrapError::WeakPassword);
    }
    let kind = role.organisations.first().map_or("city".to_owned(), |k| {
        serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "city".into())
    });
    let org = match db.organisations().await?.into_iter().find(|o| o.name == org_name) {
        Some(o) => o,
        None => db.create_organisation(&kind, org_name, now).await?,
    };
    let hash = crate::auth::hash_password(password).map_err(|_| BootstrapError::Hash)?;
    let account = db
        .create_account(
            &NewAccount {
                login,
                display_name,
                organisation_id: org.id,
                password_hash: &hash,
                must_change_password: true,
                created_by: None,
                pending_activation: false,
            },
            now,
        )
        .await?;
    db.designate(account.id, &role.id, None, now, None, "bootstrap").await?;
    Ok(account)
}
