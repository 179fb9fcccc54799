//! Patient rows, their search tokens, and the optimistic-concurrency update.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::api::{Address, EmergencyContact, Language, SexAtBirth};
use crate::db::DbConn;
use crate::ids::{Json, PatientId, UserId};
use crate::schema::{patient_name_tokens, patients};
use crate::vault;

crate::sealed_row! {
    table patients, row id;
    /// A profile as services see it (names, birth date and contact in clear).
    #[derive(Debug, Clone)]
    pub struct PatientRow;
    #[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
    #[diesel(table_name = patients, treat_none_as_null = true, treat_none_as_default_value = false)]
    pub struct PatientRecord {
        pub id: PatientId,
        pub user_id: Option<UserId>,
        pub sex_at_birth: SexAtBirth,
        pub preferred_language: Language,
        pub created_by: UserId,
        pub version: i64,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
    }
    sealed {
        pub given_name: String,
        pub family_name: String,
        pub date_of_birth: NaiveDate,
    }
    sealed_opt {
        pub gender_identity: String,
        pub email: String,
        pub phone: String,
        pub address: Json<Address>,
        pub emergency_contact: Json<EmergencyContact>,
    }
}

pub fn insert(conn: &mut DbConn, row: &PatientRow) -> QueryResult<()> {
    diesel::insert_into(patients::table).values(row.seal()?).execute(conn)?;
    replace_tokens(conn, row)
}

pub fn find(conn: &mut DbConn, id: PatientId) -> QueryResult<Option<PatientRow>> {
    let found = patients::table
        .find(id)
        .select(PatientRecord::as_select())
        .first(conn)
        .optional()?;
    Ok(found.map(PatientRecord::open).transpose()?)
}

/// The row, locked until the transaction ends on PostgreSQL (see `intake::repo::find_for_update`).
pub fn find_for_update(conn: &mut DbConn, id: PatientId) -> QueryResult<Option<PatientRow>> {
    if let DbConn::Pg(c) = conn {
        let found = patients::table
            .find(id)
            .select(PatientRecord::as_select())
            .for_update()
            .first(c)
            .optional()?;
        return Ok(found.map(PatientRecord::open).transpose()?);
    }
    find(conn, id)
}

/// Links a profile to the account created for it (a redeemed invitation); only a profile without
/// one.
pub fn link_user(conn: &mut DbConn, id: PatientId, user: UserId) -> QueryResult<bool> {
    diesel::update(patients::table.find(id).filter(patients::user_id.is_null()))
        .set(patients::user_id.eq(Some(user)))
        .execute(conn)
        .map(|n| n == 1)
}

/// The stored version of a profile (to report in a 412).
pub fn current_version(conn: &mut DbConn, id: PatientId) -> QueryResult<Option<i64>> {
    patients::table
        .find(id)
        .select(patients::version)
        .first(conn)
        .optional()
}

/// Writes `row` only if the stored version is still `expected`; returns whether it did.
pub fn update_if_version(conn: &mut DbConn, row: &PatientRow, expected: i64) -> QueryResult<bool> {
    let n = diesel::update(
        patients::table
            .filter(patients::id.eq(row.id))
            .filter(patients::version.eq(expected)),
    )
    .set(row.seal()?)
    .execute(conn)?;
    if n == 1 {
        replace_tokens(conn, row)?;
    }
    Ok(n == 1)
}

/// A patient's given and family name as stored (sealed), opened.
fn open_names(id: PatientId, given: &str, family: &str) -> Result<(String, String), vault::VaultError> {
    let row = id.to_string();
    let place = |column| vault::Place {
        table: "patients",
        row: &row,
        column,
    };
    Ok((
        vault::open(given, place("given_name"))?,
        vault::open(family, place("family_name"))?,
    ))
}

/// The opened given and family names of these patients, read in one statement: a list reads
/// its page first and then its patients' names, so that planning the page's query (PostgreSQL
/// plans each list query anew for its values) has one table fewer to join (bench/NOTES.md).
fn names_of(
    conn: &mut DbConn,
    ids: impl IntoIterator<Item = PatientId>,
) -> QueryResult<HashMap<PatientId, (String, String)>> {
    let mut ids: Vec<PatientId> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(PatientId, String, String)> = crate::on_backend!(conn, c => patients::table
        .filter(patients::id.eq_any(&ids))
        .select((patients::id, patients::given_name, patients::family_name))
        .load(c))?;
    rows.into_iter()
        .map(|(id, given, family)| Ok((id, open_names(id, &given, &family)?)))
        .collect()
}

/// The names of a list's rows: each row with its patient's given and family name.
pub fn with_names<R>(
    conn: &mut DbConn,
    rows: Vec<R>,
    patient: impl Fn(&R) -> PatientId,
) -> QueryResult<Vec<(R, String, String)>> {
    let names = names_of(conn, rows.iter().map(&patient))?;
    rows.into_iter()
        .map(|r| {
            // Every row's patient exists (foreign key), and was just read.
            let (given, family) = names
                .get(&patient(&r))
                .cloned()
                .ok_or(diesel::result::Error::NotFound)?;
            Ok((r, given, family))
        })
        .collect()
}

/// The name index of a profile: keyed hashes of its name prefixes under the current key.
fn replace_tokens(conn: &mut DbConn, row: &PatientRow) -> QueryResult<()> {
    let tokens = vault::names::index_tokens(vault::ring()?.current(), &row.given_name, &row.family_name);
    diesel::delete(patient_name_tokens::table.filter(patient_name_tokens::patient_id.eq(row.id))).execute(conn)?;
    let rows: Vec<_> = tokens
        .iter()
        .map(|t| {
            (
                patient_name_tokens::token.eq(t),
                patient_name_tokens::patient_id.eq(row.id),
            )
        })
        .collect();
    if !rows.is_empty() {
        crate::on_backend!(conn, c => diesel::insert_into(patient_name_tokens::table).values(&rows).execute(c))?;
    }
    Ok(())
}

/// The index tokens that find a folded search word (one per key of the ring, so rows not yet
/// re-indexed by a rotation are found too).
pub fn name_tokens(word: &str) -> QueryResult<Vec<String>> {
    Ok(vault::names::search_tokens(vault::ring()?, word))
}

/// Patients whose name has, for every query word, a word starting with it; newest first, after
/// the cursor `(created_at, id)`. (Names are sealed, so the database cannot sort by them.)
pub fn search(
    conn: &mut DbConn,
    query_words: &[String],
    after: Option<(NaiveDateTime, PatientId)>,
    limit: i64,
) -> QueryResult<Vec<PatientRow>> {
    let mut q = patients::table.select(PatientRecord::as_select()).into_boxed();
    for word in query_words {
        q = q.filter(patients::id.eq_any(ids_with_name_word(name_tokens(word)?)));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            patients::created_at
                .lt(at)
                .or(patients::created_at.eq(at).and(patients::id.lt(id))),
        );
    }
    let found = q
        .order((patients::created_at.desc(), patients::id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    Ok(found.into_iter().map(PatientRecord::open).collect::<Result<_, _>>()?)
}

/// Ids of patients with a name word starting with the word these tokens find (also used by the
/// intake worklist and the course list).
#[diesel::dsl::auto_type(no_type_alias)]
pub fn ids_with_name_word(tokens: Vec<String>) -> _ {
    patient_name_tokens::table
        .filter(patient_name_tokens::token.eq_any(tokens))
        .select(patient_name_tokens::patient_id)
}

/// Most name tokens a query word may match for a list to start from those patients.
///
/// A list walks its own order (newest first) and checks each row's name; a page costs about
/// `page × patients / matching patients` rows. Starting from the matching patients costs all of
/// their rows, sorted. With 20,000 patients and 5 intakes each, the two meet near 200 patients;
/// below that, and for names no one has, starting from the names is cheaper.
pub const RARE_NAME_TOKENS: i64 = 200;

/// Most name tokens a query word may match for a list's walk to check its rows against the set
/// of those patients (read once per page) rather than probe each row's patient.
///
/// On the bench database a word matching 1,054 patients of 20,000 walked 380 intakes for a page,
/// and probing the token index for each cost 1,150 of the page's 1,604 buffer reads (bench/NOTES.md,
/// issue 17). Reading the set costs about one buffer per 37 tokens; the probes cost three buffers a
/// walked row, and the walk is `page × patients / matching` rows long, so the set is cheaper up to
/// several thousand matching patients. The bound also keeps the set well inside PostgreSQL's
/// `work_mem`, which it needs to be hashed.
pub const NAME_SET_TOKENS: i64 = 5_000;

/// How a list finds the patients named by a search's words (see [`name_match`]).
#[derive(Debug, Clone, Default)]
pub struct NameMatch {
    /// Every patient with the rarest word, when they are few: the list starts from their rows.
    pub patients: Option<Vec<PatientId>>,
    /// Every query word, each a filter on the list's rows.
    pub words: Vec<NameWord>,
}

/// One query word of a name search: its index tokens and how a list checks it.
#[derive(Debug, Clone)]
pub struct NameWord {
    pub tokens: Vec<String>,
    /// The word matches at most [`NAME_SET_TOKENS`] tokens: rows are checked against the set of
    /// its patients, read once per query. Otherwise each row's patient is looked up in the token
    /// index (a common word matches within a few rows of the walk).
    pub as_set: bool,
}

/// What a list needs to filter by the folded query `words`: the patients of the rarest word
/// when it matches at most [`RARE_NAME_TOKENS`] tokens, and for each word whether it matches at
/// most [`NAME_SET_TOKENS`] (at most two bounded index reads per word).
pub fn name_match(conn: &mut DbConn, words: &[String]) -> QueryResult<NameMatch> {
    let mut found = NameMatch::default();
    for word in words {
        let tokens = name_tokens(word)?;
        let matching = || ids_with_name_word(tokens.clone());
        let mut ids: Vec<PatientId> = matching().limit(RARE_NAME_TOKENS + 1).load(conn)?;
        let as_set = if ids.len() as i64 <= RARE_NAME_TOKENS {
            ids.sort_unstable();
            ids.dedup();
            if found.patients.as_ref().is_none_or(|r| ids.len() < r.len()) {
                found.patients = Some(ids);
            }
            true
        } else {
            matching()
                .offset(NAME_SET_TOKENS)
                .limit(1)
                .load::<PatientId>(conn)?
                .is_empty()
        };
        found.words.push(NameWord { tokens, as_set });
    }
    Ok(found)
}

diesel::postfix_operator!(IsTrue, " IS TRUE");

/// `condition IS TRUE`: the same rows as `condition` in a filter. PostgreSQL turns a top-level
/// `column IN (subquery)` into a join, and for a list's first page it then prefers probing the
/// subquery's index once per walked row; under `IS TRUE` the subquery stays a filter, which
/// PostgreSQL runs once and hashes ("hashed SubPlan"), as SQLite does for any `IN (subquery)`.
pub fn is_true<E>(condition: E) -> IsTrue<E> {
    IsTrue::new(condition)
}

/// The type of [`is_true`], for `diesel::dsl::auto_type`.
#[allow(non_camel_case_types)]
pub type is_true<E> = IsTrue<E>;
