//! Both migration trees define the same tables and columns, and apply, revert and re-apply.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel_migrations::MigrationHarness;
use intake_api::db::{Backend, DbConn, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

use crate::helpers::TestDb;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
}

/// table -> column -> (normalised type, not null)
type Shape = BTreeMap<String, BTreeMap<String, (String, bool)>>;

fn normalise(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    match t.as_str() {
        "text" | "character varying" => "text".into(),
        "integer" | "int" | "int4" => "integer".into(),
        "bigint" | "int8" => "bigint".into(),
        "boolean" | "bool" => "boolean".into(),
        "timestamp" | "timestamp without time zone" => "timestamp".into(),
        "date" => "date".into(),
        "double precision" | "double" | "real" | "float8" => "double".into(),
        other => other.into(),
    }
}

fn shape(db: &TestDb) -> Shape {
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let cols: Vec<Column> = match &mut *conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             (p.\"notnull\" OR p.pk) AS not_null \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
        )
        .load(c)
        .unwrap(),
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT table_name::text, column_name::text, data_type::text, \
             (CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END) AS not_null \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name <> '__diesel_schema_migrations'",
        )
        .load(c)
        .unwrap(),
    };
    let mut out = Shape::new();
    for c in cols {
        out.entry(c.table_name)
            .or_default()
            .insert(c.column_name, (normalise(&c.data_type), c.not_null != 0));
    }
    out
}

#[::core::prelude::v1::test]
fn both_trees_define_the_same_tables_and_columns() {
    let sqlite = shape(&TestDb::new(Backend::Sqlite));
    let postgres = shape(&TestDb::new(Backend::Postgres));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}

#[::core::prelude::v1::test]
fn migrations_revert_and_reapply() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = TestDb::new(backend);
        let pool = db.pool();
        let mut conn = pool.get().unwrap();
        match &mut *conn {
            DbConn::Sqlite(c) => {
                c.revert_all_migrations(SQLITE_MIGRATIONS).unwrap();
                c.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
            }
            DbConn::Pg(c) => {
                c.revert_all_migrations(POSTGRES_MIGRATIONS).unwrap();
                c.run_pending_migrations(POSTGRES_MIGRATIONS).unwrap();
            }
        }
    }
}
