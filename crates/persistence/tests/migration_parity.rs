//! Migration parity: the SQLite tree, the PostgreSQL tree and the hand-written
//! `src/schema.rs` must describe the same schema, and every `down.sql` must
//! undo its `up.sql`.
//!
//! Each database is migrated for real and introspected into a normalised
//! [`Model`] (tables, columns in order with logical type and nullability,
//! primary keys, foreign keys, unique constraints, indexes, views); `schema.rs`
//! is parsed as text into the same model. [`compare`] lists every difference
//! between two models as readable lines.
//!
//! PostgreSQL: set `FOLLOWUP_TEST_POSTGRES_URL` (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates a fresh
//! database through it and drops it afterwards. Without the variable the
//! PostgreSQL half is skipped (with a note on stderr), unless `CI=true`, in
//! which case the tests fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use followup_persistence::migrations::{POSTGRES, SQLITE};

/// The table diesel keeps its bookkeeping in; not part of the schema.
const DIESEL_MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

// ---------------------------------------------------------------------------
// The normalised model
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sqlite,
    Postgres,
    SchemaRs,
}

impl Kind {
    /// Whether the model knows constraints and indexes (`schema.rs` does not).
    fn is_database(self) -> bool {
        !matches!(self, Kind::SchemaRs)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    /// SQLite: the storage type (`TEXT`, `INTEGER`, `REAL`, ...).
    /// PostgreSQL and schema.rs: the logical type in schema.rs vocabulary
    /// (`DbUuid`, `Instant`, `Text`, `Date`, `Bool`, `Integer`, `BigInt`,
    /// `Double`), or `unmapped(...)`.
    ty: String,
    /// The type as the source spells it, for messages.
    raw: String,
    nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Index {
    unique: bool,
    partial: bool,
    /// Key columns or expressions, normalised (lower case, no blanks, no quotes).
    keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Table {
    columns: Vec<Column>,
    /// Primary key columns in key order.
    primary_key: Vec<String>,
    /// Referencing columns (`a, b`) -> sorted targets (`organizations(id) ON DELETE RESTRICT`).
    foreign_keys: BTreeMap<String, Vec<String>>,
    /// Unique constraints (not unique indexes), as `(a, b)`.
    unique_constraints: BTreeSet<String>,
    /// Explicitly created indexes (not those backing a primary key or unique constraint).
    indexes: BTreeMap<String, Index>,
    /// SQLite only: whether the table is STRICT.
    strict: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Model {
    label: String,
    kind: Kind,
    tables: BTreeMap<String, Table>,
    views: BTreeSet<String>,
    /// Other schema objects (triggers, sequences, functions, types); compared
    /// only between models of the same backend.
    extras: BTreeSet<String>,
}

impl Model {
    fn new(label: &str, kind: Kind) -> Self {
        Self {
            label: label.to_owned(),
            kind,
            tables: BTreeMap::new(),
            views: BTreeSet::new(),
            extras: BTreeSet::new(),
        }
    }
}

/// The SQLite storage type a schema.rs type is stored as.
fn sqlite_storage_of(logical: &str) -> Option<&'static str> {
    match logical {
        "DbUuid" | "Instant" | "Text" | "Date" => Some("TEXT"),
        "Bool" | "Integer" | "BigInt" => Some("INTEGER"),
        "Double" => Some("REAL"),
        _ => None,
    }
}

/// A PostgreSQL `information_schema.columns` type in schema.rs vocabulary.
fn postgres_logical_type(data_type: &str, udt_name: &str) -> String {
    match data_type {
        "uuid" => "DbUuid".into(),
        "timestamp with time zone" => "Instant".into(),
        "text" => "Text".into(),
        "date" => "Date".into(),
        "boolean" => "Bool".into(),
        "integer" => "Integer".into(),
        "bigint" => "BigInt".into(),
        "double precision" => "Double".into(),
        other => format!("unmapped({other}/{udt_name})"),
    }
}

/// A SQLite declared type as a STRICT table stores it.
fn sqlite_storage_type(declared: &str) -> String {
    let upper = declared.trim().to_ascii_uppercase();
    match upper.as_str() {
        "INT" => "INTEGER".into(),
        _ => upper,
    }
}

fn types_agree(left_kind: Kind, left: &str, right_kind: Kind, right: &str) -> bool {
    match (left_kind, right_kind) {
        (Kind::Sqlite, Kind::Sqlite) => left == right,
        (Kind::Sqlite, _) => sqlite_storage_of(right) == Some(left),
        (_, Kind::Sqlite) => sqlite_storage_of(left) == Some(right),
        _ => left == right,
    }
}

fn describe_type(kind: Kind, column: &Column) -> String {
    match kind {
        Kind::Sqlite | Kind::SchemaRs => column.raw.clone(),
        Kind::Postgres => format!("{} ({})", column.raw, column.ty),
    }
}

fn nullability(nullable: bool) -> &'static str {
    if nullable {
        "nullable"
    } else {
        "NOT NULL"
    }
}

fn list(items: &[String]) -> String {
    format!("({})", items.join(", "))
}

// ---------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------

/// Every difference between two models, one readable line each; empty when
/// they agree. Types are compared exactly between logical models
/// (PostgreSQL, schema.rs) and by storage type against SQLite; constraints,
/// indexes and views only between two databases.
fn compare(left: &Model, right: &Model) -> Vec<String> {
    let (l, r) = (left.label.as_str(), right.label.as_str());
    let mut diffs = Vec::new();

    for (name, table) in &left.tables {
        if !right.tables.contains_key(name) {
            diffs.push(format!("table {name} exists in {l} but not in {r}"));
        }
        if table.strict == Some(false) && right.kind != Kind::Sqlite {
            diffs.push(format!("table {name}: {l} table is not STRICT"));
        }
    }
    for (name, table) in &right.tables {
        if !left.tables.contains_key(name) {
            diffs.push(format!("table {name} exists in {r} but not in {l}"));
        }
        if table.strict == Some(false) && left.kind != Kind::Sqlite {
            diffs.push(format!("table {name}: {r} table is not STRICT"));
        }
    }

    for (name, lt) in &left.tables {
        let Some(rt) = right.tables.get(name) else {
            continue;
        };
        let mut table_diffs = Vec::new();
        compare_columns(left, lt, right, rt, &mut table_diffs);
        if lt.primary_key != rt.primary_key {
            table_diffs.push(format!(
                "primary key {} in {l} but {} in {r}",
                list(&lt.primary_key),
                list(&rt.primary_key)
            ));
        }
        if left.kind.is_database() && right.kind.is_database() {
            compare_foreign_keys(l, lt, r, rt, &mut table_diffs);
            for unique in lt.unique_constraints.difference(&rt.unique_constraints) {
                table_diffs.push(format!("unique constraint {unique} exists in {l} but not in {r}"));
            }
            for unique in rt.unique_constraints.difference(&lt.unique_constraints) {
                table_diffs.push(format!("unique constraint {unique} exists in {r} but not in {l}"));
            }
            compare_indexes(l, lt, r, rt, &mut table_diffs);
            if left.kind == right.kind && lt.strict != rt.strict {
                table_diffs.push(format!("STRICT is {:?} in {l} but {:?} in {r}", lt.strict, rt.strict));
            }
        }
        diffs.extend(table_diffs.into_iter().map(|d| format!("table {name}: {d}")));
    }

    if left.kind.is_database() && right.kind.is_database() {
        for view in left.views.difference(&right.views) {
            diffs.push(format!("view {view} exists in {l} but not in {r}"));
        }
        for view in right.views.difference(&left.views) {
            diffs.push(format!("view {view} exists in {r} but not in {l}"));
        }
    }
    if left.kind == right.kind {
        for extra in left.extras.difference(&right.extras) {
            diffs.push(format!("{extra} exists in {l} but not in {r}"));
        }
        for extra in right.extras.difference(&left.extras) {
            diffs.push(format!("{extra} exists in {r} but not in {l}"));
        }
    }
    diffs
}

fn compare_columns(left: &Model, lt: &Table, right: &Model, rt: &Table, diffs: &mut Vec<String>) {
    let (l, r) = (left.label.as_str(), right.label.as_str());
    let right_by_name: BTreeMap<&str, &Column> = rt.columns.iter().map(|c| (c.name.as_str(), c)).collect();
    let left_by_name: BTreeMap<&str, &Column> = lt.columns.iter().map(|c| (c.name.as_str(), c)).collect();

    for lc in &lt.columns {
        let Some(rc) = right_by_name.get(lc.name.as_str()) else {
            diffs.push(format!("column {} exists in {l} but not in {r}", lc.name));
            continue;
        };
        if !types_agree(left.kind, &lc.ty, right.kind, &rc.ty) {
            diffs.push(format!(
                "column {}: type {} in {l} does not match {} in {r}",
                lc.name,
                describe_type(left.kind, lc),
                describe_type(right.kind, rc)
            ));
        }
        if lc.nullable != rc.nullable {
            diffs.push(format!(
                "column {}: {} in {l} but {} in {r}",
                lc.name,
                nullability(lc.nullable),
                nullability(rc.nullable)
            ));
        }
    }
    for rc in &rt.columns {
        if !left_by_name.contains_key(rc.name.as_str()) {
            diffs.push(format!("column {} exists in {r} but not in {l}", rc.name));
        }
    }

    // Order, over the columns both sides have.
    let left_order: Vec<String> = lt
        .columns
        .iter()
        .filter(|c| right_by_name.contains_key(c.name.as_str()))
        .map(|c| c.name.clone())
        .collect();
    let right_order: Vec<String> = rt
        .columns
        .iter()
        .filter(|c| left_by_name.contains_key(c.name.as_str()))
        .map(|c| c.name.clone())
        .collect();
    if left_order != right_order {
        diffs.push(format!(
            "column order differs: {l} has {}, {r} has {}",
            list(&left_order),
            list(&right_order)
        ));
    }
}

fn compare_foreign_keys(l: &str, lt: &Table, r: &str, rt: &Table, diffs: &mut Vec<String>) {
    for (columns, targets) in &lt.foreign_keys {
        match rt.foreign_keys.get(columns) {
            None => diffs.push(format!(
                "foreign key ({columns}) -> {} exists in {l} but not in {r}",
                targets.join(" and ")
            )),
            Some(other) if other != targets => diffs.push(format!(
                "foreign key ({columns}): {l} has -> {}, {r} has -> {}",
                targets.join(" and "),
                other.join(" and ")
            )),
            Some(_) => {}
        }
    }
    for (columns, targets) in &rt.foreign_keys {
        if !lt.foreign_keys.contains_key(columns) {
            diffs.push(format!(
                "foreign key ({columns}) -> {} exists in {r} but not in {l}",
                targets.join(" and ")
            ));
        }
    }
}

fn compare_indexes(l: &str, lt: &Table, r: &str, rt: &Table, diffs: &mut Vec<String>) {
    for (name, li) in &lt.indexes {
        let Some(ri) = rt.indexes.get(name) else {
            diffs.push(format!("index {name} exists in {l} but not in {r}"));
            continue;
        };
        if li.unique != ri.unique {
            diffs.push(format!(
                "index {name}: {} in {l} but {} in {r}",
                if li.unique { "unique" } else { "not unique" },
                if ri.unique { "unique" } else { "not unique" }
            ));
        }
        if li.keys != ri.keys {
            diffs.push(format!("index {name}: keys {} in {l} but {} in {r}", list(&li.keys), list(&ri.keys)));
        }
        if li.partial != ri.partial {
            diffs.push(format!(
                "index {name}: {} in {l} but {} in {r}",
                if li.partial { "partial" } else { "not partial" },
                if ri.partial { "partial" } else { "not partial" }
            ));
        }
    }
    for name in rt.indexes.keys() {
        if !lt.indexes.contains_key(name) {
            diffs.push(format!("index {name} exists in {r} but not in {l}"));
        }
    }
}

#[track_caller]
fn assert_no_differences(what: &str, diffs: &[String]) {
    assert!(diffs.is_empty(), "{what}: {} difference(s):\n  - {}", diffs.len(), diffs.join("\n  - "));
}

// ---------------------------------------------------------------------------
// Index definitions (shared by SQLite's sqlite_master.sql and pg_get_indexdef)
// ---------------------------------------------------------------------------

/// The key list of a `CREATE [UNIQUE] INDEX name ON table [USING m] (k1, k2) [WHERE …]`
/// statement, each key normalised; `None` when the text has no such list.
fn index_keys(definition: &str) -> Option<Vec<String>> {
    let lower = definition.to_ascii_lowercase();
    let on = lower.find(" on ")?;
    let open = on + lower.get(on..)?.find('(')?;
    let mut depth = 0usize;
    let mut current = String::new();
    let mut keys = Vec::new();
    for ch in definition.get(open + 1..)?.chars() {
        match ch {
            '(' => {
                depth += 1;
                current.push(ch);
            }
            ')' if depth == 0 => {
                keys.push(normalize_key(&current));
                return Some(keys);
            }
            ')' => {
                depth -= 1;
                current.push(ch);
            }
            ',' if depth == 0 => keys.push(normalize_key(&std::mem::take(&mut current))),
            _ => current.push(ch),
        }
    }
    None
}

/// `lower(email)`, `LOWER( "email" )`, `lower((email)::text)` and `email ASC`
/// vs `email` all normalise alike.
fn normalize_key(key: &str) -> String {
    let mut key = key.trim().to_ascii_lowercase();
    if let Some(stripped) = key.strip_suffix(" asc") {
        key = stripped.trim_end().to_owned();
    }
    let mut key: String = key.chars().filter(|c| !c.is_whitespace() && *c != '"').collect();
    key = key.replace("::text", "");
    // `(email)` -> `email` (PostgreSQL parenthesises casted or compound keys).
    loop {
        let inner = key.strip_prefix('(').and_then(|k| k.strip_suffix(')')).filter(|inner| balanced(inner));
        match inner {
            Some(inner) => key = inner.to_owned(),
            None => break,
        }
    }
    // `lower((email))` -> `lower(email)`.
    while key.contains("((") && key.contains("))") {
        let replaced = key.replacen("((", "(", 1).replacen("))", ")", 1);
        if !balanced(&replaced) || replaced == key {
            break;
        }
        key = replaced;
    }
    key
}

fn balanced(text: &str) -> bool {
    let mut depth = 0i64;
    for ch in text.chars() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

// ---------------------------------------------------------------------------
// SQLite introspection
// ---------------------------------------------------------------------------

#[derive(QueryableByName)]
struct SqliteTableRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    strict: i32,
}

#[derive(QueryableByName)]
struct SqliteColumnRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    decl_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct SqliteForeignKeyRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    ref_table: String,
    #[diesel(sql_type = Text)]
    from_col: String,
    #[diesel(sql_type = Nullable<Text>)]
    to_col: Option<String>,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

#[derive(QueryableByName)]
struct SqliteIndexRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    is_unique: i32,
    #[diesel(sql_type = Text)]
    origin: String,
    #[diesel(sql_type = Integer)]
    partial: i32,
}

#[derive(QueryableByName)]
struct SqliteIndexColumnRow {
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
}

#[derive(QueryableByName)]
struct SqliteSqlRow {
    #[diesel(sql_type = Nullable<Text>)]
    sql: Option<String>,
}

#[derive(QueryableByName)]
struct SqliteObjectRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    tbl_name: String,
}

fn sqlite_model(conn: &mut SqliteConnection, label: &str) -> Model {
    let mut model = Model::new(label, Kind::Sqlite);
    let tables: Vec<SqliteTableRow> = diesel::sql_query(
        "SELECT name, strict FROM pragma_table_list \
         WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         ORDER BY name",
    )
    .load(conn)
    .expect("list SQLite tables");

    // Primary keys of every table first: a foreign key without a target
    // column refers to the parent's primary key.
    let mut columns_of: BTreeMap<String, Vec<SqliteColumnRow>> = BTreeMap::new();
    for table in tables.iter().filter(|t| t.name != DIESEL_MIGRATIONS_TABLE) {
        let columns: Vec<SqliteColumnRow> = diesel::sql_query(
            "SELECT name, type AS decl_type, \"notnull\" AS not_null, pk \
             FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind::<Text, _>(&table.name)
        .load(conn)
        .unwrap_or_else(|e| panic!("columns of SQLite table {}: {e}", table.name));
        columns_of.insert(table.name.clone(), columns);
    }
    let primary_key_of = |columns: &[SqliteColumnRow]| -> Vec<String> {
        let mut pk: Vec<(i32, String)> =
            columns.iter().filter(|c| c.pk > 0).map(|c| (c.pk, c.name.clone())).collect();
        pk.sort();
        pk.into_iter().map(|(_, name)| name).collect()
    };

    for table in tables.iter().filter(|t| t.name != DIESEL_MIGRATIONS_TABLE) {
        let name = &table.name;
        let rows = &columns_of[name];
        let primary_key = primary_key_of(rows);
        let columns = rows
            .iter()
            .map(|c| {
                let storage = sqlite_storage_type(&c.decl_type);
                // An INTEGER PRIMARY KEY is the rowid and can never be NULL.
                let rowid_alias = primary_key.len() == 1 && c.pk == 1 && storage == "INTEGER";
                Column {
                    name: c.name.clone(),
                    ty: storage,
                    raw: c.decl_type.clone(),
                    nullable: c.not_null == 0 && !rowid_alias,
                }
            })
            .collect();

        let fk_rows: Vec<SqliteForeignKeyRow> = diesel::sql_query(
            "SELECT id, \"table\" AS ref_table, \"from\" AS from_col, \"to\" AS to_col, on_delete \
             FROM pragma_foreign_key_list(?) ORDER BY id, seq",
        )
        .bind::<Text, _>(name)
        .load(conn)
        .unwrap_or_else(|e| panic!("foreign keys of SQLite table {name}: {e}"));
        let mut grouped: BTreeMap<i32, Vec<&SqliteForeignKeyRow>> = BTreeMap::new();
        for row in &fk_rows {
            grouped.entry(row.id).or_default().push(row);
        }
        let mut foreign_keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for rows in grouped.values() {
            let first = rows[0];
            let from: Vec<String> = rows.iter().map(|r| r.from_col.clone()).collect();
            let to: Vec<String> = if rows.iter().all(|r| r.to_col.is_some()) {
                rows.iter().filter_map(|r| r.to_col.clone()).collect()
            } else {
                columns_of.get(&first.ref_table).map(|c| primary_key_of(c)).unwrap_or_default()
            };
            foreign_keys.entry(from.join(", ")).or_default().push(format!(
                "{}{} ON DELETE {}",
                first.ref_table,
                list(&to),
                first.on_delete.to_ascii_uppercase()
            ));
        }
        for targets in foreign_keys.values_mut() {
            targets.sort();
        }

        let index_rows: Vec<SqliteIndexRow> = diesel::sql_query(
            "SELECT name, \"unique\" AS is_unique, origin, partial FROM pragma_index_list(?)",
        )
        .bind::<Text, _>(name)
        .load(conn)
        .unwrap_or_else(|e| panic!("indexes of SQLite table {name}: {e}"));
        let mut unique_constraints = BTreeSet::new();
        let mut indexes = BTreeMap::new();
        for index in index_rows {
            let key_columns: Vec<String> =
                diesel::sql_query("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind::<Text, _>(&index.name)
                    .load::<SqliteIndexColumnRow>(conn)
                    .unwrap_or_else(|e| panic!("columns of SQLite index {}: {e}", index.name))
                    .into_iter()
                    .map(|c| c.name.unwrap_or_else(|| "<expression>".into()))
                    .collect();
            match index.origin.as_str() {
                "pk" => {}
                "u" => {
                    unique_constraints.insert(list(&key_columns));
                }
                _ => {
                    let sql =
                        diesel::sql_query("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
                            .bind::<Text, _>(&index.name)
                            .get_result::<SqliteSqlRow>(conn)
                            .unwrap_or_else(|e| panic!("SQL of SQLite index {}: {e}", index.name))
                            .sql;
                    let keys = sql
                        .as_deref()
                        .and_then(index_keys)
                        .unwrap_or_else(|| key_columns.iter().map(|k| normalize_key(k)).collect());
                    indexes.insert(
                        index.name.clone(),
                        Index { unique: index.is_unique != 0, partial: index.partial != 0, keys },
                    );
                }
            }
        }

        model.tables.insert(
            name.clone(),
            Table {
                columns,
                primary_key,
                foreign_keys,
                unique_constraints,
                indexes,
                strict: Some(table.strict != 0),
            },
        );
    }

    let objects: Vec<SqliteObjectRow> = diesel::sql_query(
        "SELECT type AS kind, name, tbl_name FROM sqlite_master \
         WHERE type IN ('view', 'trigger') ORDER BY type, name",
    )
    .load(conn)
    .expect("list SQLite views and triggers");
    for object in objects {
        if object.kind == "view" {
            model.views.insert(object.name);
        } else {
            model.extras.insert(format!("{} {}.{}", object.kind, object.tbl_name, object.name));
        }
    }
    model
}

// ---------------------------------------------------------------------------
// PostgreSQL introspection
// ---------------------------------------------------------------------------

#[derive(QueryableByName)]
struct PgNameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct PgColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

#[derive(QueryableByName)]
struct PgConstraintRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Text)]
    ref_table: String,
    #[diesel(sql_type = Text)]
    ref_columns: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

#[derive(QueryableByName)]
struct PgIndexRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    #[diesel(sql_type = Bool)]
    is_partial: bool,
    #[diesel(sql_type = Text)]
    definition: String,
}

const PG_TABLES: &str = "\
SELECT table_name::text AS name FROM information_schema.tables \
WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1";

const PG_VIEWS: &str = "\
SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm') ORDER BY 1";

const PG_COLUMNS: &str = "\
SELECT table_name::text AS table_name, column_name::text AS column_name, \
       data_type::text AS data_type, udt_name::text AS udt_name, is_nullable::text AS is_nullable \
FROM information_schema.columns WHERE table_schema = 'public' \
ORDER BY table_name, ordinal_position";

const PG_CONSTRAINTS: &str = "\
SELECT cl.relname::text AS table_name, c.contype::text AS kind, \
       array_to_string(ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS columns, \
       COALESCE(rt.relname::text, '') AS ref_table, \
       array_to_string(ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord) \
           JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS ref_columns, \
       CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' \
           WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' ELSE '' END AS on_delete \
FROM pg_constraint c \
JOIN pg_class cl ON cl.oid = c.conrelid \
JOIN pg_namespace n ON n.oid = cl.relnamespace \
LEFT JOIN pg_class rt ON rt.oid = c.confrelid \
WHERE n.nspname = 'public' AND c.contype IN ('p', 'f', 'u') \
ORDER BY 1, c.conname";

/// Indexes that do not back a primary key, unique or exclusion constraint.
const PG_INDEXES: &str = "\
SELECT t.relname::text AS table_name, i.relname::text AS name, ix.indisunique AS is_unique, \
       (ix.indpred IS NOT NULL) AS is_partial, pg_get_indexdef(ix.indexrelid) AS definition \
FROM pg_index ix \
JOIN pg_class i ON i.oid = ix.indexrelid \
JOIN pg_class t ON t.oid = ix.indrelid \
JOIN pg_namespace n ON n.oid = t.relnamespace \
WHERE n.nspname = 'public' AND NOT EXISTS ( \
    SELECT 1 FROM pg_constraint c \
    WHERE c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid AND c.contype IN ('p', 'u', 'x')) \
ORDER BY 1, 2";

/// Everything else a migration could leave behind in `public`.
const PG_EXTRAS: &str = "\
SELECT 'sequence ' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = 'public' AND c.relkind = 'S' \
UNION ALL SELECT 'function ' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
    WHERE n.nspname = 'public' \
UNION ALL SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
    WHERE n.nspname = 'public' AND (t.typtype IN ('e', 'd', 'r', 'm') \
        OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c'))) \
UNION ALL SELECT 'trigger ' || c.relname || '.' || tg.tgname FROM pg_trigger tg \
    JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = 'public' AND NOT tg.tgisinternal";

fn postgres_model(conn: &mut PgConnection, label: &str) -> Model {
    let mut model = Model::new(label, Kind::Postgres);
    let tables: Vec<PgNameRow> = diesel::sql_query(PG_TABLES).load(conn).expect("list PostgreSQL tables");
    for table in tables {
        if table.name != DIESEL_MIGRATIONS_TABLE {
            model.tables.insert(table.name, Table::default());
        }
    }

    let columns: Vec<PgColumnRow> =
        diesel::sql_query(PG_COLUMNS).load(conn).expect("list PostgreSQL columns");
    for column in columns {
        if let Some(table) = model.tables.get_mut(&column.table_name) {
            table.columns.push(Column {
                ty: postgres_logical_type(&column.data_type, &column.udt_name),
                raw: column.data_type,
                name: column.column_name,
                nullable: column.is_nullable == "YES",
            });
        }
    }

    let constraints: Vec<PgConstraintRow> =
        diesel::sql_query(PG_CONSTRAINTS).load(conn).expect("list PostgreSQL constraints");
    for constraint in constraints {
        let Some(table) = model.tables.get_mut(&constraint.table_name) else {
            continue;
        };
        let columns: Vec<String> = constraint.columns.split(',').map(str::to_owned).collect();
        match constraint.kind.as_str() {
            "p" => table.primary_key = columns,
            "u" => {
                table.unique_constraints.insert(list(&columns));
            }
            "f" => {
                let to: Vec<String> = constraint.ref_columns.split(',').map(str::to_owned).collect();
                table.foreign_keys.entry(columns.join(", ")).or_default().push(format!(
                    "{}{} ON DELETE {}",
                    constraint.ref_table,
                    list(&to),
                    constraint.on_delete
                ));
            }
            _ => {}
        }
    }
    for table in model.tables.values_mut() {
        for targets in table.foreign_keys.values_mut() {
            targets.sort();
        }
    }

    let indexes: Vec<PgIndexRow> = diesel::sql_query(PG_INDEXES).load(conn).expect("list PostgreSQL indexes");
    for index in indexes {
        let Some(table) = model.tables.get_mut(&index.table_name) else {
            continue;
        };
        let keys = index_keys(&index.definition)
            .unwrap_or_else(|| vec![format!("<unparsed: {}>", index.definition)]);
        table.indexes.insert(index.name, Index { unique: index.is_unique, partial: index.is_partial, keys });
    }

    let views: Vec<PgNameRow> = diesel::sql_query(PG_VIEWS).load(conn).expect("list PostgreSQL views");
    model.views = views.into_iter().map(|v| v.name).collect();
    let extras: Vec<PgNameRow> =
        diesel::sql_query(PG_EXTRAS).load(conn).expect("list other PostgreSQL objects");
    model.extras = extras.into_iter().map(|e| e.name).collect();
    model
}

// ---------------------------------------------------------------------------
// schema.rs
// ---------------------------------------------------------------------------

const SCHEMA_RS: &str = include_str!("../src/schema.rs");

/// `#[sql_name = "x"]` -> `x`.
fn sql_name_attribute(line: &str) -> Option<String> {
    let rest = line.strip_prefix("#[")?.trim_start();
    let rest = rest.strip_prefix("sql_name")?.trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest.split('"').next()?.to_owned())
}

fn rust_ident(name: &str) -> String {
    name.trim().trim_start_matches("r#").to_owned()
}

/// Parse the `diesel::table!` blocks of schema.rs as text.
fn schema_rs_model() -> Model {
    let mut model = Model::new("schema.rs", Kind::SchemaRs);
    let mut lines = SCHEMA_RS.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if !line.starts_with("diesel::table!") {
            continue;
        }
        // Header: `[schema.]name (pk, ...) {` after `use` lines and attributes.
        let mut table_sql_name = None;
        let header = loop {
            let Some(l) = lines.next() else {
                panic!("schema.rs: a diesel::table! block has no table header");
            };
            if let Some(sql_name) = sql_name_attribute(l) {
                table_sql_name = Some(sql_name);
                continue;
            }
            if l.is_empty() || l.starts_with("use ") || l.starts_with("//") || l.starts_with("#") {
                continue;
            }
            break l;
        };
        let header = header
            .strip_suffix('{')
            .unwrap_or_else(|| panic!("schema.rs: unexpected table header `{header}`"))
            .trim();
        let (rust_name, primary_key) = match header.split_once('(') {
            Some((name, pk)) => (
                rust_ident(name),
                pk.trim_end_matches(')').split(',').map(rust_ident).filter(|c| !c.is_empty()).collect(),
            ),
            None => (rust_ident(header), vec!["id".to_owned()]),
        };
        let rust_name = rust_name.rsplit('.').next().unwrap_or(&rust_name).to_owned();
        let table_name = table_sql_name.unwrap_or(rust_name);

        let mut table = Table { primary_key, ..Table::default() };
        let mut column_sql_name = None;
        for l in lines.by_ref() {
            if l.starts_with('}') {
                break;
            }
            if let Some(sql_name) = sql_name_attribute(l) {
                column_sql_name = Some(sql_name);
                continue;
            }
            if l.is_empty() || l.starts_with("//") || l.starts_with('#') {
                continue;
            }
            let Some((name, ty)) = l.split_once("->") else {
                panic!("schema.rs: table {table_name}: unexpected line `{l}`");
            };
            let raw = ty.trim().trim_end_matches(',').trim().to_owned();
            let (nullable, inner) = match raw.strip_prefix("Nullable<").and_then(|t| t.strip_suffix('>')) {
                Some(inner) => (true, inner.trim()),
                None => (false, raw.as_str()),
            };
            let logical = inner.rsplit("::").next().unwrap_or(inner).to_owned();
            table.columns.push(Column {
                name: column_sql_name.take().unwrap_or_else(|| rust_ident(name)),
                ty: logical,
                raw: raw.clone(),
                nullable,
            });
        }
        model.tables.insert(table_name, table);
    }
    model
}

// ---------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------

/// A fresh SQLite database file, configured like the application's connections.
struct SqliteTestDatabase {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl SqliteTestDatabase {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("parity.db");
        Self { _dir: dir, path }
    }

    fn connect(&self) -> SqliteConnection {
        let url = self.path.to_str().expect("UTF-8 temp path");
        let mut conn = SqliteConnection::establish(url).expect("open SQLite database");
        conn.batch_execute("PRAGMA foreign_keys = ON;").expect("enable SQLite foreign keys");
        conn
    }
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "<unparsable URL>".into(),
    }
}

/// The PostgreSQL server to test against, or `None` (after saying so on
/// stderr) when none is configured outside CI.
fn postgres_admin_url(test: &str) -> Option<String> {
    match std::env::var("FOLLOWUP_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"));
            assert!(
                !ci,
                "FOLLOWUP_TEST_POSTGRES_URL is not set but CI=true: the PostgreSQL half of the \
                 migration parity test must run in CI (e.g. \
                 FOLLOWUP_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres)"
            );
            eprintln!(
                "migration_parity::{test}: FOLLOWUP_TEST_POSTGRES_URL is not set; \
                 the PostgreSQL half was skipped (only the SQLite checks ran)"
            );
            None
        }
    }
}

/// A database created for one test and dropped (forcibly) when the guard goes
/// out of scope, also when the test panics.
struct PgTestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgTestDatabase {
    fn create(admin_url: &str) -> Self {
        let mut admin_url_parsed = url::Url::parse(admin_url)
            .unwrap_or_else(|e| panic!("FOLLOWUP_TEST_POSTGRES_URL is not a valid URL: {e}"));
        // Fail fast on an unreachable server instead of waiting for the TCP timeout.
        if !admin_url_parsed.query_pairs().any(|(k, _)| k == "connect_timeout") {
            admin_url_parsed.query_pairs_mut().append_pair("connect_timeout", "5");
        }
        let admin_url = admin_url_parsed.to_string();
        let name = format!("followup_parity_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
            panic!(
                "FOLLOWUP_TEST_POSTGRES_URL is set but PostgreSQL at {} is unreachable: {e}",
                redact(&admin_url)
            )
        });
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let mut url = admin_url_parsed;
        url.set_path(&format!("/{name}"));
        Self { admin_url, name, url: url.to_string() }
    }

    fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url)
            .unwrap_or_else(|e| panic!("connect to test database {}: {e}", self.name))
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        let dropped =
            PgConnection::establish(&self.admin_url).map_err(|e| e.to_string()).and_then(|mut admin| {
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

fn migrate_sqlite(conn: &mut SqliteConnection) {
    conn.run_pending_migrations(SQLITE).unwrap_or_else(|e| panic!("SQLite migrations failed: {e}"));
}

fn migrate_postgres(conn: &mut PgConnection) {
    conn.run_pending_migrations(POSTGRES).unwrap_or_else(|e| panic!("PostgreSQL migrations failed: {e}"));
}

fn migrated_sqlite_model(label: &str) -> Model {
    let db = SqliteTestDatabase::new();
    let mut conn = db.connect();
    migrate_sqlite(&mut conn);
    sqlite_model(&mut conn, label)
}

fn migrated_postgres_model(admin_url: &str, label: &str) -> Model {
    let db = PgTestDatabase::create(admin_url);
    let mut conn = db.connect();
    migrate_postgres(&mut conn);
    let model = postgres_model(&mut conn, label);
    drop(conn);
    drop(db);
    model
}

fn migrations_dir(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations").join(backend)
}

fn version_dirs(backend: &str) -> Vec<String> {
    let dir = migrations_dir(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry"))
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn migration_trees_have_identical_versions() {
    let sqlite = version_dirs("sqlite");
    let postgres = version_dirs("postgres");
    assert!(!sqlite.is_empty(), "no migrations under migrations/sqlite");

    let mut diffs = Vec::new();
    for version in sqlite.iter().filter(|v| !postgres.contains(v)) {
        diffs.push(format!("migration {version} exists in migrations/sqlite but not in migrations/postgres"));
    }
    for version in postgres.iter().filter(|v| !sqlite.contains(v)) {
        diffs.push(format!("migration {version} exists in migrations/postgres but not in migrations/sqlite"));
    }
    for backend in ["sqlite", "postgres"] {
        for version in version_dirs(backend) {
            for file in ["up.sql", "down.sql"] {
                let path = migrations_dir(backend).join(&version).join(file);
                if !path.is_file() {
                    diffs.push(format!("migrations/{backend}/{version}/{file} is missing"));
                }
            }
        }
    }

    // The embedded migrations are the trees on disk (a stale build would not be).
    let embedded_sqlite: Vec<String> = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE)
        .expect("embedded SQLite migrations")
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let embedded_postgres: Vec<String> = MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES)
        .expect("embedded PostgreSQL migrations")
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let mut embedded_sqlite_sorted = embedded_sqlite.clone();
    embedded_sqlite_sorted.sort();
    let mut embedded_postgres_sorted = embedded_postgres.clone();
    embedded_postgres_sorted.sort();
    if embedded_sqlite_sorted != sqlite {
        diffs.push(format!(
            "embedded SQLite migrations {embedded_sqlite:?} differ from migrations/sqlite {sqlite:?}"
        ));
    }
    if embedded_postgres_sorted != postgres {
        diffs.push(format!(
            "embedded PostgreSQL migrations {embedded_postgres:?} differ from migrations/postgres {postgres:?}"
        ));
    }
    assert_no_differences("migration trees", &diffs);
}

#[test]
fn schema_rs_parses_every_table() {
    let model = schema_rs_model();
    let blocks = SCHEMA_RS.matches("diesel::table!").count();
    assert!(blocks > 0, "schema.rs has no diesel::table! blocks");
    assert_eq!(
        model.tables.len(),
        blocks,
        "parsed {} tables from {blocks} diesel::table! blocks (duplicate table names?)",
        model.tables.len()
    );
    for (name, table) in &model.tables {
        assert!(!table.columns.is_empty(), "schema.rs table {name} has no columns");
        for column in &table.columns {
            assert!(
                sqlite_storage_of(&column.ty).is_some(),
                "schema.rs table {name}: column {} has type {} outside the parity vocabulary \
                 (DbUuid, Instant, Text, Date, Bool, Integer, BigInt, Double); extend the test",
                column.name,
                column.raw
            );
        }
        for pk in &table.primary_key {
            assert!(
                table.columns.iter().any(|c| &c.name == pk),
                "schema.rs table {name}: primary key column {pk} is not a column"
            );
        }
    }
}

#[test]
fn sqlite_schema_matches_schema_rs() {
    let sqlite = migrated_sqlite_model("sqlite");
    assert!(!sqlite.tables.is_empty(), "SQLite migrations created no tables");
    assert_no_differences("SQLite migrations vs src/schema.rs", &compare(&sqlite, &schema_rs_model()));
}

#[test]
fn postgres_schema_matches_schema_rs() {
    let Some(admin_url) = postgres_admin_url("postgres_schema_matches_schema_rs") else {
        return;
    };
    let postgres = migrated_postgres_model(&admin_url, "postgres");
    assert!(!postgres.tables.is_empty(), "PostgreSQL migrations created no tables");
    assert_no_differences("PostgreSQL migrations vs src/schema.rs", &compare(&postgres, &schema_rs_model()));
}

#[test]
fn sqlite_and_postgres_schemas_match() {
    let Some(admin_url) = postgres_admin_url("sqlite_and_postgres_schemas_match") else {
        return;
    };
    let sqlite = migrated_sqlite_model("sqlite");
    let postgres = migrated_postgres_model(&admin_url, "postgres");
    assert_no_differences("SQLite migrations vs PostgreSQL migrations", &compare(&sqlite, &postgres));
}

#[track_caller]
fn assert_reports(diffs: &[String], needles: &[&str]) {
    assert!(
        diffs.iter().any(|d| needles.iter().all(|needle| d.contains(needle))),
        "expected a difference mentioning {needles:?}, got:\n  - {}",
        diffs.join("\n  - ")
    );
}

#[test]
fn comparison_reports_drift() {
    let db = SqliteTestDatabase::new();
    let mut conn = db.connect();
    migrate_sqlite(&mut conn);
    conn.batch_execute("ALTER TABLE programs ADD COLUMN extra TEXT;").expect("add a drifting column");
    let drifted = sqlite_model(&mut conn, "sqlite");

    let diffs = compare(&drifted, &schema_rs_model());
    assert_reports(&diffs, &["programs", "extra", "sqlite", "schema.rs"]);
    assert_eq!(diffs.len(), 1, "unexpected differences: {diffs:#?}");

    if let Some(admin_url) = postgres_admin_url("comparison_reports_drift") {
        let postgres = migrated_postgres_model(&admin_url, "postgres");
        let diffs = compare(&drifted, &postgres);
        assert_reports(&diffs, &["programs", "extra", "exists in sqlite but not in postgres"]);
        assert_eq!(diffs.len(), 1, "unexpected differences: {diffs:#?}");

        // And the other way round: drift on PostgreSQL is caught as well.
        let pg = PgTestDatabase::create(&admin_url);
        let mut pg_conn = pg.connect();
        migrate_postgres(&mut pg_conn);
        pg_conn
            .batch_execute("ALTER TABLE programs ADD COLUMN extra text; DROP INDEX programs_status_idx;")
            .expect("drift PostgreSQL");
        let pg_drifted = postgres_model(&mut pg_conn, "postgres");
        let clean_sqlite = migrated_sqlite_model("sqlite");
        let diffs = compare(&clean_sqlite, &pg_drifted);
        assert_reports(&diffs, &["programs", "extra", "exists in postgres but not in sqlite"]);
        assert_reports(&diffs, &["programs", "programs_status_idx"]);
        assert_reports(&compare(&pg_drifted, &schema_rs_model()), &["programs", "extra"]);
    }
}

/// The comparison notices each kind of difference it claims to check.
#[test]
fn comparison_reports_each_kind_of_difference() {
    let base = migrated_sqlite_model("left");
    let mut other = base.clone();
    other.label = "right".into();
    assert_no_differences("a model against itself", &compare(&base, &other));

    let users = other.tables.get_mut("users").expect("users table");
    users.columns.retain(|c| c.name != "position");
    users.columns.swap(1, 2);
    users.columns.iter_mut().find(|c| c.name == "organization_id").expect("users.organization_id").nullable =
        false;
    let active = users.columns.iter_mut().find(|c| c.name == "active").expect("users.active");
    active.ty = "TEXT".into();
    active.raw = "TEXT".into();
    users.indexes.get_mut("users_email_key").expect("index").unique = false;
    users.indexes.get_mut("users_organization_idx").expect("index").keys = vec!["id".into()];
    users.foreign_keys.insert("organization_id".into(), vec!["organizations(id) ON DELETE CASCADE".into()]);
    users.primary_key = vec!["email".into()];
    other.tables.remove("server_settings");

    let diffs = compare(&base, &other);
    for needles in [
        &["users", "column position exists in left but not in right"][..],
        &["users", "column order differs"],
        &["users", "organization_id", "nullable in left but NOT NULL in right"],
        &["users", "active", "type INTEGER in left does not match TEXT in right"],
        &["users", "users_email_key", "unique in left but not unique in right"],
        &["users", "users_organization_idx", "keys"],
        &["users", "foreign key (organization_id)", "RESTRICT", "CASCADE"],
        &["users", "primary key (id) in left but (email) in right"],
        &["table server_settings exists in left but not in right"],
    ] {
        assert_reports(&diffs, needles);
    }
}

#[test]
fn index_definitions_normalise_alike() {
    assert_eq!(
        index_keys("CREATE UNIQUE INDEX users_email_key ON users (lower(email))"),
        Some(vec!["lower(email)".to_owned()])
    );
    assert_eq!(
        index_keys("CREATE UNIQUE INDEX users_email_key ON public.users USING btree (lower((email)::text))"),
        Some(vec!["lower(email)".to_owned()])
    );
    assert_eq!(
        index_keys("CREATE INDEX a_idx ON public.a USING btree (\"b\", c ASC) WHERE (c IS NULL)"),
        Some(vec!["b".to_owned(), "c".to_owned()])
    );
}

/// Run each migration, revert it, check the schema is exactly as before, and
/// run it again.
fn check_down_undoes_up<C, F>(
    conn: &mut C,
    source: fn() -> EmbeddedMigrations,
    backend: &str,
    mut snapshot: F,
) where
    C: MigrationHarness<C::Backend> + Connection,
    F: FnMut(&mut C, &str) -> Model,
{
    let mut applied = 0usize;
    while conn
        .has_pending_migration(source())
        .unwrap_or_else(|e| panic!("{backend}: pending migrations: {e}"))
    {
        let before = snapshot(conn, "before");
        let version = conn
            .run_next_migration(source())
            .unwrap_or_else(|e| panic!("{backend}: up.sql of migration #{applied}: {e}"))
            .to_string();
        let reverted = conn
            .revert_last_migration(source())
            .unwrap_or_else(|e| panic!("{backend}: down.sql of {version}: {e}"))
            .to_string();
        assert_eq!(reverted, version, "{backend}: reverted a different migration");
        let after = snapshot(conn, "after up + down");
        assert_no_differences(
            &format!("{backend}: migration {version}: down.sql does not undo up.sql"),
            &compare(&before, &after),
        );
        assert_eq!(before.tables, after.tables, "{backend}: {version}");
        conn.run_next_migration(source())
            .unwrap_or_else(|e| panic!("{backend}: re-running up.sql of {version}: {e}"));
        applied += 1;
    }
    assert_eq!(applied, version_dirs(backend).len(), "{backend}: number of migrations applied");
}

#[test]
fn sqlite_down_migrations_undo_up_migrations() {
    let db = SqliteTestDatabase::new();
    let mut conn = db.connect();
    check_down_undoes_up(&mut conn, || SQLITE, "sqlite", sqlite_model);
    // Stepping through ends where a plain run does.
    let stepped = sqlite_model(&mut conn, "sqlite (stepped)");
    let fresh = migrated_sqlite_model("sqlite (fresh)");
    assert_no_differences("sqlite: stepped vs fresh", &compare(&stepped, &fresh));
}

#[test]
fn postgres_down_migrations_undo_up_migrations() {
    let Some(admin_url) = postgres_admin_url("postgres_down_migrations_undo_up_migrations") else {
        return;
    };
    let db = PgTestDatabase::create(&admin_url);
    let mut conn = db.connect();
    check_down_undoes_up(&mut conn, || POSTGRES, "postgres", postgres_model);
    let stepped = postgres_model(&mut conn, "postgres (stepped)");
    let fresh = migrated_postgres_model(&admin_url, "postgres (fresh)");
    assert_no_differences("postgres: stepped vs fresh", &compare(&stepped, &fresh));
}
