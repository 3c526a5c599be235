//! `mimamori admin bootstrap`: the first administrator account.

use super::load_profile;
use anyhow::Context;
use clap::Subcommand;
use std::process::ExitCode;

/// Administration subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Create the first administrator: the account holding the profile's account-administration
    /// role. The password comes from MIMAMORI_INITIAL_PASSWORD or is generated and printed once;
    /// it must be changed at first login.
    Bootstrap {
        /// Database: SQLite path or postgres:// URL.
        #[arg(long, default_value = "mimamori-data/mimamori.db")]
        db: String,
        /// Regulation profile.
        #[arg(long, default_value = "asahikawa")]
        profile: String,
        /// The administrator's organisation (created if missing), e.g. 防災安全部交通防犯課.
        #[arg(long)]
        org: String,
        /// Login name.
        #[arg(long)]
        login: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
}

impl AdminCmd {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let AdminCmd::Bootstrap { db, profile, org, login, name } = self;
        let profile = load_profile(&profile)?;
        let (password, generated) = match std::env::var("MIMAMORI_INITIAL_PASSWORD") {
            Ok(p) => (p, false),
            Err(_) => {
                let mut b = [0u8; 12];
                getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
                (hex::encode(b), true)
            }
        };
        super::ensure_db_dir(&db)?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let account = rt.block_on(async {
            let store = store::Db::connect(&db).await.context("open the database")?;
            let now = jiff::Timestamp::now().as_millisecond();
            let a = server::bootstrap::create_admin(
                &store, &profile, &org, &login, &name, &password, now,
            )
            .await?;
            store.close().await;
            anyhow::Ok(a)
        })?;
        let role =
            server::bootstrap::admin_role(&profile).map(|r| r.name_ja.clone()).unwrap_or_default();
        println!(
            "created account {} ({}) as {role} of profile {}",
            account.login, account.display_name, profile.profile.id
        );
        if generated {
            println!("initial password (shown once; change it at first login): {password}");
        }
        Ok(ExitCode::SUCCESS)
    }
}
