//! The migration commands, shared by `migration <cmd>` and `literature migrate <cmd>`: both
//! run the same [`Migrator`], print which database they work on first, and refuse to drop a
//! production database unless forced.

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::migrator::MigrationStatus;
use sea_orm_migration::sea_orm::{DatabaseConnection, DbErr};

use crate::Migrator;

#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum MigrateCommand {
    /// Apply pending migrations (all, or the next N).
    Up {
        /// Apply only this many.
        #[arg(short, long)]
        num: Option<u32>,
    },
    /// Roll back applied migrations (the last one, or the last N).
    Down {
        #[arg(short, long, default_value_t = 1)]
        num: u32,
    },
    /// List every migration and whether it is applied.
    Status,
    /// DROP EVERY TABLE, then apply all migrations. Refused with APP_ENV=production unless
    /// --force.
    Fresh,
    /// Roll back every migration, then apply all (drops all data). Refused in production
    /// unless --force.
    Refresh,
    /// Roll back every migration (drops all data). Refused in production unless --force.
    Reset,
}

impl MigrateCommand {
    /// True for the commands that throw all data away.
    pub fn destroys_data(&self) -> bool {
        matches!(self, Self::Fresh | Self::Refresh | Self::Reset)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Up { .. } => "up",
            Self::Down { .. } => "down",
            Self::Status => "status",
            Self::Fresh => "fresh",
            Self::Refresh => "refresh",
            Self::Reset => "reset",
        }
    }
}

/// Refuses a data-destroying command on a production database unless `force` is set.
pub fn check_allowed(cmd: &MigrateCommand, production: bool, force: bool) -> Result<(), String> {
    if cmd.destroys_data() && production && !force {
        return Err(format!(
            "refusing `{}` with APP_ENV=production: it drops every table. Add --force if you really mean it",
            cmd.name()
        ));
    }
    Ok(())
}

/// Whether `APP_ENV` names production (the same spellings the server accepts).
pub fn is_production_env(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "production" | "prod"
        )
    })
}

/// Runs a command and prints what it did to stdout.
pub async fn run(db: &DatabaseConnection, cmd: &MigrateCommand) -> Result<(), DbErr> {
    match cmd {
        MigrateCommand::Status => {
            for m in Migrator::get_migration_with_status(db).await? {
                let status = match m.status() {
                    MigrationStatus::Applied => "applied",
                    MigrationStatus::Pending => "pending",
                };
                println!("{status:8} {}", m.name());
            }
        }
        MigrateCommand::Up { num } => {
            let pending = names(Migrator::get_pending_migrations(db).await?);
            Migrator::up(db, *num).await?;
            let done = num.map_or(pending.len(), |n| pending.len().min(n as usize));
            report("applied", &pending[..done]);
        }
        MigrateCommand::Down { num } => {
            let mut applied = names(Migrator::get_applied_migrations(db).await?);
            applied.reverse();
            Migrator::down(db, Some(*num)).await?;
            report("rolled back", &applied[..applied.len().min(*num as usize)]);
        }
        MigrateCommand::Fresh => {
            Migrator::fresh(db).await?;
            println!("dropped every table and applied all migrations");
        }
        MigrateCommand::Refresh => {
            Migrator::refresh(db).await?;
            println!("rolled back and re-applied all migrations");
        }
        MigrateCommand::Reset => {
            Migrator::reset(db).await?;
            println!("rolled back all migrations");
        }
    }
    Ok(())
}

fn names(migrations: Vec<sea_orm_migration::migrator::Migration>) -> Vec<String> {
    migrations.iter().map(|m| m.name().to_owned()).collect()
}

fn report(what: &str, names: &[String]) {
    if names.is_empty() {
        println!("nothing to do: no migration {what}");
    } else {
        println!("{what} {} migration(s): {}", names.len(), names.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_destruction_unless_forced() {
        assert!(check_allowed(&MigrateCommand::Fresh, true, false).is_err());
        assert!(check_allowed(&MigrateCommand::Reset, true, false).is_err());
        assert!(check_allowed(&MigrateCommand::Fresh, true, true).is_ok());
        assert!(check_allowed(&MigrateCommand::Fresh, false, false).is_ok());
        assert!(check_allowed(&MigrateCommand::Up { num: None }, true, false).is_ok());
        assert!(is_production_env(Some(" Production")));
        assert!(!is_production_env(Some("development")) && !is_production_env(None));
    }
}
