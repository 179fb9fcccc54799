//! Sealing what was stored before encryption existed, re-sealing under a new key
//! (`intake-api keys rotate`), and the start-up check that `DATA_KEYS` opens this database.
//!
//! Both passes walk each sealed column in primary-key order, a batch per transaction, and
//! change a value only if it is still what was read (compare-and-set): a request that writes
//! the row meanwhile wins, and its value is already under the current key. A pass that stops
//! part-way is resumed by running it again; it only touches values not yet under the current
//! key. The service keeps serving throughout (every key in the ring opens).

use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{Nullable, Text};

use super::cipher::{PREFIX, Place, open_with, seal_with};
use super::keys::KeyRing;
use super::names;
use crate::db::{self, Backend, DbConn, DbPool};

/// A table with sealed columns: its key columns (joined by `/` into the row id bound into each
/// value) and those columns. Every repository that seals a column is listed here.
pub struct SealedTable {
    pub table: &'static str,
    /// Which rows hold sealed values (SQL), when not all do.
    pub rows: &'static str,
    pub key: &'static [&'static str],
    pub columns: &'static [&'static str],
}

pub const SEALED_TABLES: &[SealedTable] = &[
    SealedTable {
        table: "patients",
        rows: "TRUE",
        key: &["id"],
        columns: &[
            "given_name",
            "family_name",
            "date_of_birth",
            "gender_identity",
            "email",
            "phone",
            "address",
            "emergency_contact",
        ],
    },
    SealedTable {
        table: "intakes",
        rows: "TRUE",
        key: &["id"],
        columns: &["sections", "review_note", "exam", "scores", "assessment"],
    },
    SealedTable {
        table: "intake_submissions",
        rows: "TRUE",
        key: &["id"],
        columns: &["sections", "scores", "assessment"],
    },
    SealedTable {
        table: "intake_reviews",
        rows: "TRUE",
        key: &["id"],
        columns: &["note"],
    },
    SealedTable {
        table: "courses",
        rows: "TRUE",
        key: &["id"],
        columns: &["notes", "end_note"],
    },
    SealedTable {
        table: "course_sessions",
        rows: "TRUE",
        key: &["id"],
        columns: &["blocks", "staff_notes", "cancel_reason"],
    },
    SealedTable {
        table: "checkins",
        rows: "TRUE",
        key: &["id"],
        columns: &["answers", "scores"],
    },
    SealedTable {
        table: "idempotency_keys",
        rows: "TRUE",
        key: &["user_id", "key"],
        columns: &["body"],
    },
    SealedTable {
        table: "outbox",
        // A webhook message's recipient is an endpoint id, not a person.
        rows: "channel IN ('email', 'sms')",
        key: &["id"],
        columns: &["recipient"],
    },
];

/// Which values a pass re-seals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Values stored in clear (a database from before encryption): sealed once at start.
    Clear,
    /// Values under any key but the current one: `keys rotate`.
    Rotate,
}

/// What a pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Values re-sealed under the current key.
    pub resealed: u64,
    /// Patients whose name index was rebuilt under the current key.
    pub reindexed: u64,
    /// Values a request changed between our read and our write (already current: left alone).
    pub raced: u64,
    /// Places that did not open (never their values); the pass went on past them.
    pub failed: Vec<String>,
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Text)]
    k1: String,
    #[diesel(sql_type = Text)]
    k2: String,
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

#[derive(QueryableByName)]
struct Names {
    #[diesel(sql_type = Text)]
    given_name: String,
    #[diesel(sql_type = Text)]
    family_name: String,
}

#[derive(QueryableByName)]
struct Canary {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    canary: String,
}

fn backend(conn: &DbConn) -> Backend {
    match conn {
        DbConn::Pg(_) => Backend::Postgres,
        DbConn::Sqlite(_) => Backend::Sqlite,
    }
}

/// `n`-th bind placeholder (1-based) in the connection's dialect.
fn ph(b: Backend, n: usize) -> String {
    match b {
        Backend::Sqlite => "?".into(),
        Backend::Postgres => format!("${n}"),
    }
}

/// SQL condition: `expr` is not yet what the pass wants.
fn stale(pass: Pass, ring: &KeyRing, expr: &str, index: bool) -> String {
    let want = match (pass, index) {
        (_, true) => format!("{}:", ring.current().id()),
        (Pass::Clear, false) => PREFIX.to_owned(),
        (Pass::Rotate, false) => format!("{PREFIX}{}:", ring.current().id()),
    };
    // Key ids are letters, digits and '-' (checked when parsed): safe inside a literal.
    format!("substr({expr}, 1, {}) <> '{want}'", want.len())
}

/// Runs a pass over every sealed column, then the name index. `progress` hears each batch.
pub fn run(
    pool: &DbPool,
    ring: &KeyRing,
    pass: Pass,
    batch: i64,
    progress: &mut dyn FnMut(&str, &Report),
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for t in SEALED_TABLES {
        for column in t.columns {
            let mut after: Option<(String, String)> = None;
            loop {
                let mut conn = pool.get()?;
                let (n, last) = db::write_tx(&mut conn, |c| {
                    reseal_batch(c, ring, pass, t, column, after.as_ref(), batch, &mut report)
                })?;
                progress(&format!("{}.{column}", t.table), &report);
                if n < batch {
                    break;
                }
                after = last;
            }
        }
    }
    let mut after: Option<String> = None;
    loop {
        let mut conn = pool.get()?;
        let (n, last) = db::write_tx(&mut conn, |c| {
            reindex_batch(c, ring, pass, after.as_deref(), batch, &mut report)
        })?;
        progress("patient_name_tokens", &report);
        if n < batch {
            break;
        }
        after = last;
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn reseal_batch(
    conn: &mut DbConn,
    ring: &KeyRing,
    pass: Pass,
    t: &SealedTable,
    column: &str,
    after: Option<&(String, String)>,
    batch: i64,
    report: &mut Report,
) -> QueryResult<(i64, Option<(String, String)>)> {
    let b = backend(conn);
    let k1 = t.key[0];
    let k2 = t.key.get(1).copied();
    let k2_expr = k2.unwrap_or("''");
    let mut sql = format!(
        "SELECT {k1} AS k1, {k2_expr} AS k2, {column} AS v FROM {table} \
         WHERE {rows} AND {column} IS NOT NULL AND {column} <> '' AND {cond}",
        rows = t.rows,
        table = t.table,
        cond = stale(pass, ring, column, false),
    );
    if after.is_some() {
        match k2 {
            Some(k2) => sql.push_str(&format!(" AND ({k1}, {k2}) > ({}, {})", ph(b, 1), ph(b, 2))),
            None => sql.push_str(&format!(" AND {k1} > {}", ph(b, 1))),
        }
    }
    let order = k2.map_or(k1.to_owned(), |k2| format!("{k1}, {k2}"));
    sql.push_str(&format!(" ORDER BY {order} LIMIT {batch}"));
    let rows: Vec<Found> = crate::on_backend!(conn, c => {
        let q = sql_query(&sql).into_boxed();
        let q = match (after, k2) {
            (Some((a, b2)), Some(_)) => q.bind::<Text, _>(a.clone()).bind::<Text, _>(b2.clone()),
            (Some((a, _)), None) => q.bind::<Text, _>(a.clone()),
            (None, _) => q,
        };
        q.load(c)
    })?;
    // Binds in order: the new value, the key column(s), the value read.
    let update = format!(
        "UPDATE {table} SET {column} = {p1} WHERE {k1} = {p2}{k2_cond} AND {column} = {last}",
        table = t.table,
        p1 = ph(b, 1),
        p2 = ph(b, 2),
        k2_cond = k2.map_or(String::new(), |k2| format!(" AND {k2} = {}", ph(b, 3))),
        last = ph(b, 3 + usize::from(k2.is_some())),
    );
    let n = rows.len() as i64;
    let last = rows.last().map(|r| (r.k1.clone(), r.k2.clone()));
    for row in rows {
        let Some(stored) = row.v else { continue };
        let id = if k2.is_some() {
            format!("{}/{}", row.k1, row.k2)
        } else {
            row.k1.clone()
        };
        let place = Place {
            table: t.table,
            row: &id,
            column: static_column(t, column),
        };
        let plain = match pass {
            Pass::Clear => stored.clone(),
            Pass::Rotate => match open_with(ring, &stored, place) {
                Ok(p) => p,
                Err(e) => {
                    report.failed.push(e.to_string());
                    continue;
                }
            },
        };
        let sealed = seal_with(ring.current(), &plain, place)?;
        let changed = crate::on_backend!(conn, c => {
            let q = sql_query(&update).into_boxed().bind::<Text, _>(sealed).bind::<Text, _>(row.k1.clone());
            let q = if k2.is_some() { q.bind::<Text, _>(row.k2.clone()) } else { q };
            q.bind::<Text, _>(stored).execute(c)
        })?;
        if changed == 1 {
            report.resealed += 1;
        } else {
            report.raced += 1;
        }
    }
    Ok((n, last))
}

/// The catalogue's `&'static str` for a column name (places are built from static names).
fn static_column(t: &SealedTable, column: &str) -> &'static str {
    t.columns.iter().copied().find(|c| *c == column).unwrap_or("?")
}

#[derive(QueryableByName)]
struct PatientKey {
    #[diesel(sql_type = Text)]
    patient_id: String,
}

fn reindex_batch(
    conn: &mut DbConn,
    ring: &KeyRing,
    _pass: Pass,
    after: Option<&str>,
    batch: i64,
    report: &mut Report,
) -> QueryResult<(i64, Option<String>)> {
    let b = backend(conn);
    let mut sql = format!(
        "SELECT DISTINCT patient_id FROM patient_name_tokens WHERE {}",
        stale(Pass::Rotate, ring, "token", true)
    );
    if after.is_some() {
        sql.push_str(&format!(" AND patient_id > {}", ph(b, 1)));
    }
    sql.push_str(&format!(" ORDER BY patient_id LIMIT {batch}"));
    let ids: Vec<PatientKey> = crate::on_backend!(conn, c => {
        let q = sql_query(&sql).into_boxed();
        let q = match after {
            Some(a) => q.bind::<Text, _>(a.to_owned()),
            None => q,
        };
        q.load(c)
    })?;
    let n = ids.len() as i64;
    let last = ids.last().map(|k| k.patient_id.clone());
    for PatientKey { patient_id } in ids {
        // Locked on PostgreSQL so a concurrent rename cannot interleave with our tokens.
        let lock = if b == Backend::Postgres { " FOR UPDATE" } else { "" };
        let select = format!(
            "SELECT given_name, family_name FROM patients WHERE id = {}{lock}",
            ph(b, 1)
        );
        let found: Vec<Names> =
            crate::on_backend!(conn, c => sql_query(&select).bind::<Text, _>(patient_id.clone()).load(c))?;
        let Some(names) = found.into_iter().next() else {
            continue;
        };
        let place = |column| Place {
            table: "patients",
            row: &patient_id,
            column,
        };
        let opened = open_with(ring, &names.given_name, place("given_name"))
            .and_then(|g| open_with(ring, &names.family_name, place("family_name")).map(|f| (g, f)));
        let (given, family) = match opened {
            Ok(v) => v,
            Err(e) => {
                report.failed.push(e.to_string());
                continue;
            }
        };
        replace_index(
            conn,
            b,
            &patient_id,
            &names::index_tokens(ring.current(), &given, &family),
        )?;
        report.reindexed += 1;
    }
    Ok((n, last))
}

/// Replaces a patient's name index rows (also used by the patients repository).
pub fn replace_index(conn: &mut DbConn, b: Backend, patient_id: &str, tokens: &[String]) -> QueryResult<()> {
    let delete = format!("DELETE FROM patient_name_tokens WHERE patient_id = {}", ph(b, 1));
    crate::on_backend!(conn, c => sql_query(&delete).bind::<Text, _>(patient_id.to_owned()).execute(c))?;
    let insert = format!(
        "INSERT INTO patient_name_tokens (token, patient_id) VALUES ({}, {})",
        ph(b, 1),
        ph(b, 2)
    );
    for token in tokens {
        crate::on_backend!(conn, c => sql_query(&insert)
            .bind::<Text, _>(token.clone())
            .bind::<Text, _>(patient_id.to_owned())
            .execute(c))?;
    }
    Ok(())
}

/// Values (and name index rows) not yet under the current key, by `table.column`.
pub fn remaining(conn: &mut DbConn, ring: &KeyRing, pass: Pass) -> QueryResult<Vec<(String, i64)>> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut out = Vec::new();
    let mut count = |conn: &mut DbConn, name: String, sql: String| -> QueryResult<()> {
        let rows: Vec<Count> = crate::on_backend!(conn, c => sql_query(&sql).load(c))?;
        let n = rows.first().map_or(0, |r| r.n);
        if n > 0 {
            out.push((name, n));
        }
        Ok(())
    };
    for t in SEALED_TABLES {
        for column in t.columns {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {} WHERE {} AND {column} IS NOT NULL AND {column} <> '' AND {}",
                t.table,
                t.rows,
                stale(pass, ring, column, false)
            );
            count(conn, format!("{}.{column}", t.table), sql)?;
        }
    }
    let sql = format!(
        "SELECT COUNT(*) AS n FROM patient_name_tokens WHERE {}",
        stale(pass, ring, "token", true)
    );
    count(conn, "patient_name_tokens.token".into(), sql)?;
    Ok(out)
}

/// What the start-up key check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// Every key this database records opens its check value.
    Ready,
    /// A database never sealed (new, or from before encryption): seal it, then record the key.
    Unsealed,
}

const CANARY: &str = "intake-api data key check";

fn canary_place(id: &str) -> Place<'_> {
    Place {
        table: "vault_keys",
        row: id,
        column: "canary",
    }
}

/// Checks `DATA_KEYS` against the keys this database records: each recorded key must be in the
/// ring and open its check value. Errors name `DATA_KEYS` and say what to do.
pub fn check(conn: &mut DbConn, ring: &KeyRing) -> anyhow::Result<KeyCheck> {
    let recorded: Vec<Canary> =
        crate::on_backend!(conn, c => sql_query("SELECT id, canary FROM vault_keys ORDER BY id").load(c))?;
    if recorded.is_empty() {
        probe_unrecorded(conn, ring)?;
        return Ok(KeyCheck::Unsealed);
    }
    for r in &recorded {
        match ring.get(&r.id) {
            None => anyhow::bail!(
                "DATA_KEYS lacks key {:?}, which this database's data is sealed with: put it back in \
                 DATA_KEYS (after the current key) until `intake-api keys rotate` has finished",
                r.id
            ),
            Some(_) => {
                if open_with(ring, &r.canary, canary_place(&r.id)).as_deref() != Ok(CANARY) {
                    anyhow::bail!(
                        "DATA_KEYS: key {:?} is not the key this database was sealed with (its check \
                         value does not open); use the key the database was created with",
                        r.id
                    )
                }
            }
        }
    }
    Ok(KeyCheck::Ready)
}

/// Records the current key (its check value), if it is not recorded yet.
pub fn record_current(conn: &mut DbConn, ring: &KeyRing) -> anyhow::Result<()> {
    let b = backend(conn);
    let id = ring.current().id().to_owned();
    let canary = seal_with(ring.current(), CANARY, canary_place(&id))?;
    let sql = match b {
        Backend::Sqlite => "INSERT OR IGNORE INTO vault_keys (id, canary, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)",
        Backend::Postgres => {
            "INSERT INTO vault_keys (id, canary, created_at) VALUES ($1, $2, CURRENT_TIMESTAMP) ON CONFLICT (id) DO NOTHING"
        }
    };
    crate::on_backend!(conn, c => sql_query(sql).bind::<Text, _>(id.clone()).bind::<Text, _>(canary).execute(c))?;
    Ok(())
}

/// After a complete rotation: forgets the keys no value is sealed with any more, so the service
/// may start without them. Counts and forgets in one write transaction; if anything is still
/// under another key (an instance not yet given the new ring wrote it), forgets nothing and
/// returns what remains.
pub fn forget_retired(conn: &mut DbConn, ring: &KeyRing) -> anyhow::Result<Result<u64, Vec<(String, i64)>>> {
    let b = backend(conn);
    db::write_tx(conn, |c| {
        let left = remaining(c, ring, Pass::Rotate)?;
        if !left.is_empty() {
            return Ok(Err(left));
        }
        let sql = format!("DELETE FROM vault_keys WHERE id <> {}", ph(b, 1));
        let n = crate::on_backend!(c, c => sql_query(&sql).bind::<Text, _>(ring.current().id().to_owned()).execute(c))?;
        Ok(Ok(n as u64))
    })
}

/// A database with no recorded key may still hold sealed values (rows written by a tool, or a
/// key check lost to a downgrade): one sealed value of each table must open with the ring, or
/// the ring is not this database's.
fn probe_unrecorded(conn: &mut DbConn, ring: &KeyRing) -> anyhow::Result<()> {
    for t in SEALED_TABLES {
        let column = t.columns[0];
        let k2 = t.key.get(1).copied().unwrap_or("''");
        let sql = format!(
            "SELECT {k1} AS k1, {k2} AS k2, {column} AS v FROM {table} WHERE {rows} AND substr({column}, 1, {n}) = '{PREFIX}' LIMIT 1",
            rows = t.rows,
            k1 = t.key[0],
            table = t.table,
            n = PREFIX.len(),
        );
        let found: Vec<Found> = crate::on_backend!(conn, c => sql_query(&sql).load(c))?;
        let Some(Found {
            k1,
            k2,
            v: Some(stored),
        }) = found.into_iter().next()
        else {
            continue;
        };
        let id = if t.key.len() > 1 { format!("{k1}/{k2}") } else { k1 };
        let place = Place {
            table: t.table,
            row: &id,
            column,
        };
        if let Err(e) = open_with(ring, &stored, place) {
            anyhow::bail!("DATA_KEYS does not open this database's sealed data ({e}); use the keys it was sealed with");
        }
    }
    Ok(())
}

/// At start, after migrations: refuses a ring that does not open this database; seals a database
/// from before encryption (then, on SQLite, rewrites the file so no clear text stays in its free
/// pages); records the current key.
pub fn on_start(pool: &DbPool, ring: &KeyRing) -> anyhow::Result<Option<Report>> {
    let mut conn = pool.get()?;
    let state = check(&mut conn, ring)?;
    drop(conn);
    let report = if state == KeyCheck::Unsealed {
        let report = run(pool, ring, Pass::Clear, 500, &mut |_, _| {})?;
        if !report.failed.is_empty() {
            anyhow::bail!("sealing stored data failed at: {}", report.failed.join("; "));
        }
        // Always, not only when this start sealed something: a start that died between sealing
        // and recording the key must still scrub the clear text from the file's free pages.
        let mut conn = pool.get()?;
        if let DbConn::Sqlite(c) = &mut *conn {
            use diesel::connection::SimpleConnection;
            c.batch_execute("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
        }
        Some(report)
    } else {
        None
    };
    let mut conn = pool.get()?;
    record_current(&mut conn, ring)?;
    // Again: another instance starting at the same time may have recorded a different key
    // under the same id (our insert was then ignored).
    check(&mut conn, ring)?;
    Ok(report)
}
