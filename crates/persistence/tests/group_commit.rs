//! SQLite's group commit (`src/writer.rs`), through `Database::write` from many
//! threads at once: a unit's `Ok` means its writes are committed, a unit that
//! fails leaves no trace and does not disturb the others, and a unit that
//! panics takes down only the units of its own group, none of which reports
//! success.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use diesel::prelude::*;
use followup_domain::DomainError;
use followup_persistence::schema::server_settings;
use followup_persistence::sql_types::DbTime;
use followup_persistence::{Database, DatabaseUrl, PoolOptions, StoreError};

fn database(dir: &tempfile::TempDir) -> Database {
    let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("group.db").display())).unwrap();
    let db = Database::connect(&url, &PoolOptions::default()).unwrap();
    db.migrate().unwrap();
    db
}

fn insert(conn: &mut followup_persistence::DbConnection, name: &str) -> Result<(), StoreError> {
    diesel::insert_into(server_settings::table)
        .values((
            server_settings::name.eq(name),
            server_settings::value.eq("v"),
            server_settings::created_at.eq(DbTime(followup_persistence::now())),
        ))
        .execute(conn)?;
    Ok(())
}

fn names(db: &Database) -> BTreeSet<String> {
    db.read(|c| Ok(server_settings::table.select(server_settings::name).load::<String>(c)?))
        .unwrap()
        .into_iter()
        .filter(|n| n.starts_with("t"))
        .collect()
}

/// An error as the tests compare it: its kind, then its text.
fn describe(e: StoreError) -> String {
    match e {
        StoreError::Domain(e) => format!("domain: {e}"),
        StoreError::Unavailable(e) => format!("unavailable: {e}"),
        StoreError::Db(e) => format!("db: {e}"),
    }
}

/// What one unit of work does.
#[derive(Clone, Copy)]
enum Kind {
    Commit,
    /// Writes, then refuses: must leave nothing.
    Refuse,
    /// Writes, then panics.
    Panic,
}

/// `threads` threads each run `per_thread` units, started together; returns
/// (name, kind, outcome) for every unit that returned.
fn hammer(
    db: &Database,
    threads: usize,
    per_thread: usize,
    kind_of: fn(usize, usize) -> Kind,
) -> Vec<(String, Result<(), String>)> {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (db, barrier) = (db.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let mut seen = Vec::new();
                for i in 0..per_thread {
                    let name = format!("t{t}-{i}");
                    let kind = kind_of(t, i);
                    let key = name.clone();
                    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        db.write(|c| {
                            insert(c, &key)?;
                            match kind {
                                Kind::Commit => Ok(()),
                                Kind::Refuse => Err(DomainError::NotFound { entity: "setting" }.into()),
                                Kind::Panic => panic!("a unit of work panics"),
                            }
                        })
                    }));
                    match run {
                        Ok(outcome) => seen.push((name, outcome.map_err(describe))),
                        Err(_) => assert!(matches!(kind, Kind::Panic), "only the panicking unit panics"),
                    }
                }
                seen
            })
        })
        .collect();
    handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
}

#[test]
fn every_ok_is_committed_and_every_refusal_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let outcomes = hammer(&db, 16, 60, |t, i| if (t + i) % 7 == 0 { Kind::Refuse } else { Kind::Commit });
    assert_eq!(outcomes.len(), 16 * 60);
    let committed: BTreeSet<String> =
        outcomes.iter().filter(|(_, o)| o.is_ok()).map(|(n, _)| n.clone()).collect();
    let refused = outcomes.iter().filter(|(_, o)| o.is_err()).count();
    assert_eq!(refused, (0..16).flat_map(|t| (0..60).map(move |i| (t + i) % 7)).filter(|r| *r == 0).count());
    assert!(outcomes
        .iter()
        .filter(|(_, o)| o.is_err())
        .all(|(_, o)| o.as_ref().unwrap_err().starts_with("domain: ")));
    // Exactly the units that said Ok are there, whatever groups they shared
    // with refused ones.
    assert_eq!(names(&db), committed);

    // And they survive reopening the database.
    drop(db);
    assert_eq!(names(&database(&dir)), committed);
}

#[test]
fn a_panicking_unit_fails_its_group_but_never_reports_a_lost_write_as_done() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let outcomes = hammer(&db, 12, 40, |t, i| if t == 3 && i % 10 == 5 { Kind::Panic } else { Kind::Commit });
    let stored = names(&db);
    for (name, outcome) in &outcomes {
        match outcome {
            Ok(()) => assert!(stored.contains(name), "{name} answered Ok but is not stored"),
            Err(e) => {
                assert!(e.starts_with("unavailable: "), "{name}: {e}");
                assert!(!stored.contains(name), "{name} answered an error but is stored");
            }
        }
    }
    // The panicking units' writes are gone, and the writer goes on afterwards.
    assert!((0..40).filter(|i| i % 10 == 5).all(|i| !stored.contains(&format!("t3-{i}"))));
    db.write(|c| insert(c, "t-after")).unwrap();
    assert!(names(&db).contains("t-after"));
}
