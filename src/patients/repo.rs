//! Patient rows, their search tokens, and the optimistic-concurrency update.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::api::{Address, EmergencyContact, Language, SexAtBirth};
use crate::db::DbConn;
use crate::ids::{Json, PatientId, UserId};
use crate::schema::{patient_name_tokens, patients};
use crate::text;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = patients, treat_none_as_default_value = false)]
pub struct PatientRow {
    pub id: PatientId,
    pub user_id: Option<UserId>,
    pub given_name: String,
    pub family_name: String,
    pub sort_name: String,
    pub date_of_birth: NaiveDate,
    pub sex_at_birth: SexAtBirth,
    pub gender_identity: Option<String>,
    pub preferred_language: Language,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<Json<Address>>,
    pub emergency_contact: Option<Json<EmergencyContact>>,
    pub created_by: UserId,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &PatientRow) -> QueryResult<()> {
    diesel::insert_into(patients::table).values(row).execute(conn)?;
    replace_tokens(conn, row.id, &row.given_name, &row.family_name)
}

pub fn find(conn: &mut DbConn, id: PatientId) -> QueryResult<Option<PatientRow>> {
    patients::table
        .find(id)
        .select(PatientRow::as_select())
        .first(conn)
        .optional()
}

/// The row, locked until the transaction ends on PostgreSQL (see `intake::repo::find_for_update`).
pub fn find_for_update(conn: &mut DbConn, id: PatientId) -> QueryResult<Option<PatientRow>> {
    if let DbConn::Pg(c) = conn {
        return patients::table
            .find(id)
            .select(PatientRow::as_select())
            .for_update()
            .first(c)
            .optional();
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
    .set(row)
    .execute(conn)?;
    if n == 1 {
        replace_tokens(conn, row.id, &row.given_name, &row.family_name)?;
    }
    Ok(n == 1)
}

fn replace_tokens(conn: &mut DbConn, id: PatientId, given: &str, family: &str) -> QueryResult<()> {
    diesel::delete(patient_name_tokens::table.filter(patient_name_tokens::patient_id.eq(id))).execute(conn)?;
    let rows: Vec<_> = text::tokens(&format!("{given} {family}"))
        .into_iter()
        .map(|t| (patient_name_tokens::token.eq(t), patient_name_tokens::patient_id.eq(id)))
        .collect();
    if !rows.is_empty() {
        crate::on_backend!(conn, c => diesel::insert_into(patient_name_tokens::table).values(&rows).execute(c))?;
    }
    Ok(())
}

/// Patients whose name has, for every query word, a word starting with it; ordered by
/// `sort_name, id` after the cursor.
pub fn search(
    conn: &mut DbConn,
    query_words: &[String],
    after: Option<(String, PatientId)>,
    limit: i64,
) -> QueryResult<Vec<PatientRow>> {
    let mut q = patients::table.select(PatientRow::as_select()).into_boxed();
    for word in query_words {
        let (lo, hi) = word_range(word);
        q = q.filter(patients::id.eq_any(ids_with_name_word(lo, hi)));
    }
    if let Some((name, id)) = after {
        q = q.filter(
            patients::sort_name
                .gt(name.clone())
                .or(patients::sort_name.eq(name).and(patients::id.gt(id))),
        );
    }
    q.order((patients::sort_name.asc(), patients::id.asc()))
        .limit(limit + 1)
        .load(conn)
}

/// Ids of patients with a name word starting with `word` (also used by the intake worklist).
#[diesel::dsl::auto_type(no_type_alias)]
pub fn ids_with_name_word(word: String, upper: String) -> _ {
    patient_name_tokens::table
        .filter(patient_name_tokens::token.ge(word))
        .filter(patient_name_tokens::token.lt(upper))
        .select(patient_name_tokens::patient_id)
}

/// Most name tokens a query word may match for a list to start from those patients.
///
/// A list walks its own order (newest first) and checks each row's name; a page costs about
/// `page × patients / matching patients` rows. Starting from the matching patients costs all of
/// their rows, sorted. With 20,000 patients and 5 intakes each, the two meet near 200 patients;
/// below that, and for names no one has, starting from the names is cheaper.
pub const RARE_NAME_TOKENS: i64 = 200;

/// The patients having a name word that starts with the rarest of `words`, if it matches at most
/// [`RARE_NAME_TOKENS`] tokens (one bounded index range read per word); `None` when every word is
/// common.
pub fn rare_name_patients(conn: &mut DbConn, words: &[String]) -> QueryResult<Option<Vec<PatientId>>> {
    let mut rarest: Option<Vec<PatientId>> = None;
    for word in words {
        let (lo, hi) = word_range(word);
        let mut ids: Vec<PatientId> = patient_name_tokens::table
            .filter(patient_name_tokens::token.ge(lo))
            .filter(patient_name_tokens::token.lt(hi))
            .select(patient_name_tokens::patient_id)
            .limit(RARE_NAME_TOKENS + 1)
            .load(conn)?;
        if ids.len() as i64 > RARE_NAME_TOKENS {
            continue;
        }
        ids.sort_unstable();
        ids.dedup();
        if rarest.as_ref().is_none_or(|r| ids.len() < r.len()) {
            rarest = Some(ids);
        }
    }
    Ok(rarest)
}

/// The `[word, upper)` range of tokens that start with `word`.
pub fn word_range(word: &str) -> (String, String) {
    let upper = text::prefix_upper_bound(word).unwrap_or_else(|| format!("{word}\u{10FFFF}"));
    (word.to_owned(), upper)
}
