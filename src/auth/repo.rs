//! Users and login failures in the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::domain::{Actor, Role};
use crate::db::DbConn;
use crate::ids::{PatientId, SessionId, UserId};
use crate::schema::{login_failures, mfa_recovery_codes, mfa_totp, patients, refresh_tokens, sessions, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub password_hash: Option<String>,
    pub role: Role,
    pub display_name: String,
    pub disabled: bool,
    pub external_subject: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Carried by this service's tokens; a disable or role change increments it.
    pub token_version: i64,
    /// Identity-provider tokens issued before this are refused.
    pub tokens_valid_after: Option<NaiveDateTime>,
    /// The provider's last `amr` claim (space-separated methods), for its users.
    pub external_amr: Option<String>,
}

impl UserRow {
    /// The user as the actor of what they do before a request is authenticated (sign-in,
    /// registration): the audit needs id, role and name, not the patient profile.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            role: self.role,
            display_name: self.display_name.clone(),
            patient_id: None,
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUserRow<'a> {
    pub id: UserId,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub role: Role,
    pub display_name: &'a str,
    pub disabled: bool,
    pub external_subject: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub role: Option<Role>,
    pub display_name: Option<String>,
    pub disabled: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &NewUserRow<'_>) -> QueryResult<()> {
    diesel::insert_into(users::table).values(row).execute(conn).map(|_| ())
}

pub fn find(conn: &mut DbConn, id: UserId) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_external_subject(conn: &mut DbConn, subject: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::external_subject.eq(subject))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// What every authenticated request needs: role, name, disabled, the own patient profile, what
/// decides whether a token is still good (token version, tokens valid after, whether its session
/// is still open) and whether the user has a second factor.
#[derive(Debug, Queryable)]
pub struct ActorRow {
    pub id: UserId,
    pub role: Role,
    pub display_name: String,
    pub disabled: bool,
    pub patient_id: Option<PatientId>,
    pub token_version: i64,
    pub tokens_valid_after: Option<NaiveDateTime>,
    pub session_open: bool,
    pub mfa_enabled: bool,
}

/// Whom a request's actor row is for: the token's user and session, at a time.
#[derive(Debug, Clone, Copy)]
pub struct ActorKey {
    pub user_id: UserId,
    /// The token's session; a token without one asks about no session (the nil id).
    pub session: Option<SessionId>,
    pub now: NaiveDateTime,
}

/// The columns of an [`ActorRow`], for a query of `users` filtered to the caller: with the state
/// of the token's session and of their second factor, in the same statement.
#[diesel::dsl::auto_type(no_type_alias)]
pub fn actor_columns(session: SessionId, now: NaiveDateTime) -> _ {
    let session_open = diesel::dsl::exists(
        sessions::table
            .filter(sessions::id.eq(session))
            .filter(sessions::user_id.eq(users::id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now)),
    );
    let mfa_enabled = diesel::dsl::exists(
        mfa_totp::table
            .filter(mfa_totp::user_id.eq(users::id))
            .filter(mfa_totp::confirmed_at.is_not_null()),
    );
    // A scalar subquery, not a LEFT JOIN: when most `patients.user_id` are NULL (profiles staff
    // created), SQLite's statistics make the join scan every patient; the subquery always uses
    // the unique index.
    let own_patient = patients::table
        .filter(patients::user_id.eq(users::id.nullable()))
        .select(patients::id)
        .single_value();
    (
        users::id,
        users::role,
        users::display_name,
        users::disabled,
        own_patient,
        users::token_version,
        users::tokens_valid_after,
        session_open,
        mfa_enabled,
    )
}

impl ActorKey {
    /// The session to ask about: the nil id, which no session has, for a token without one.
    pub fn session_or_nil(&self) -> SessionId {
        self.session.unwrap_or(SessionId(uuid::Uuid::nil()))
    }
}

/// The caller's row, in one statement with the state of the token's session and of their
/// second factor.
pub fn actor(conn: &mut DbConn, key: ActorKey) -> QueryResult<Option<ActorRow>> {
    let query = users::table
        .filter(users::id.eq(key.user_id))
        .select(actor_columns(key.session_or_nil(), key.now));
    crate::on_backend!(conn, c => query.first(c).optional())
}

/// A sign-in session.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions, treat_none_as_default_value = false)]
pub struct SessionRow {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

pub fn insert_session(conn: &mut DbConn, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Stores a refresh token of a session by its hash.
pub fn insert_refresh_token(conn: &mut DbConn, hash: &str, session: SessionId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::hash.eq(hash),
            refresh_tokens::session_id.eq(session),
            refresh_tokens::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The session a refresh token belongs to, and when the token was spent (if it was).
pub fn find_refresh_token(conn: &mut DbConn, hash: &str) -> QueryResult<Option<(Option<NaiveDateTime>, SessionRow)>> {
    refresh_tokens::table
        .inner_join(sessions::table)
        .filter(refresh_tokens::hash.eq(hash))
        .select((refresh_tokens::spent_at, SessionRow::as_select()))
        .first(conn)
        .optional()
}

/// Spends a refresh token; false when it was spent already (by a concurrent refresh).
pub fn spend_refresh_token(conn: &mut DbConn, hash: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::hash.eq(hash))
            .filter(refresh_tokens::spent_at.is_null()),
    )
    .set(refresh_tokens::spent_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn touch_session(conn: &mut DbConn, id: SessionId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_used_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

/// Ends one session of the user; false when it is not theirs or already ended.
pub fn revoke_session(conn: &mut DbConn, user: UserId, id: SessionId, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Ends every open session of the user but `keep`; returns how many.
pub fn revoke_sessions(
    conn: &mut DbConn,
    user: UserId,
    keep: Option<SessionId>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let keep = keep.unwrap_or(SessionId(uuid::Uuid::nil()));
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::id.ne(keep)),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)
}

/// The user's open sessions (not ended, not expired, used since `idle_since`), newest first.
pub fn open_sessions(
    conn: &mut DbConn,
    user: UserId,
    now: NaiveDateTime,
    idle_since: NaiveDateTime,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_used_at.gt(idle_since))
        .order(sessions::created_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

pub fn set_password(conn: &mut DbConn, id: UserId, hash: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)
        .map(|_| ())
}

/// Refuses every token issued to the user so far (a disable, a role change).
pub fn revoke_tokens(conn: &mut DbConn, id: UserId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::token_version.eq(users::token_version + 1),
            users::tokens_valid_after.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records how the identity provider authenticated its user (its `amr` claim).
pub fn set_external_amr(conn: &mut DbConn, id: UserId, amr: Option<&str>) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::external_amr.eq(amr))
        .execute(conn)
        .map(|_| ())
}

pub fn update(conn: &mut DbConn, id: UserId, changes: &UserChanges) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(changes).execute(conn)
}

/// Users ordered by email; `after` is the last email of the previous page.
pub fn list(conn: &mut DbConn, role: Option<Role>, after: Option<&str>, limit: i64) -> QueryResult<Vec<UserRow>> {
    let mut q = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(r) = role {
        q = q.filter(users::role.eq(r));
    }
    if let Some(a) = after {
        q = q.filter(users::email.gt(a));
    }
    q.order(users::email.asc()).limit(limit + 1).load(conn)
}

/// The patient profiles of these users, where they have one.
pub fn patient_profiles(conn: &mut DbConn, users: &[UserId]) -> QueryResult<Vec<(UserId, PatientId)>> {
    patients::table
        .filter(patients::user_id.eq_any(users.iter().map(|u| Some(*u))))
        .select((patients::user_id.assume_not_null(), patients::id))
        .load(conn)
}

pub fn count_enabled_admins(conn: &mut DbConn) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)
}

/// Failures under `key` since `since`, and the oldest of them.
pub fn recent_failures(
    conn: &mut DbConn,
    key: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    login_failures::table
        .filter(login_failures::key.eq(key))
        .filter(login_failures::failed_at.gt(since))
        .select((diesel::dsl::count_star(), diesel::dsl::min(login_failures::failed_at)))
        .first(conn)
}

pub fn record_failure(conn: &mut DbConn, id: &str, key: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::id.eq(id),
            login_failures::key.eq(key),
            login_failures::failed_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn delete_failures(conn: &mut DbConn, ids: &[String]) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::id.eq_any(ids)))
        .execute(conn)
        .map(|_| ())
}

pub fn clear_failures(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::key.eq(key)))
        .execute(conn)
        .map(|_| ())
}

/// Old failures no longer count towards any limit.
pub fn prune_failures(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.le(before)))
        .execute(conn)
        .map(|_| ())
}

/// A user's TOTP factor, pending (`confirmed_at` empty) or on.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mfa_totp, treat_none_as_default_value = false)]
pub struct TotpRow {
    pub user_id: UserId,
    /// Base32, as authenticator apps take it.
    pub secret: String,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    /// The time step of the last code accepted.
    pub last_step: Option<i64>,
}

pub fn totp(conn: &mut DbConn, user: UserId) -> QueryResult<Option<TotpRow>> {
    mfa_totp::table
        .find(user)
        .select(TotpRow::as_select())
        .first(conn)
        .optional()
}

/// Starts an enrolment, replacing a pending one (never a confirmed one: the caller checks).
pub fn put_pending_totp(conn: &mut DbConn, row: &TotpRow) -> QueryResult<()> {
    diesel::delete(
        mfa_totp::table
            .filter(mfa_totp::user_id.eq(row.user_id))
            .filter(mfa_totp::confirmed_at.is_null()),
    )
    .execute(conn)?;
    diesel::insert_into(mfa_totp::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Accepts a code of time step `step` once: true when no code of this or a later step was
/// accepted before (the compare-and-set makes two racing requests with one code accept one).
pub fn accept_totp_step(conn: &mut DbConn, user: UserId, step: i64) -> QueryResult<bool> {
    let n = diesel::update(
        mfa_totp::table
            .filter(mfa_totp::user_id.eq(user))
            .filter(mfa_totp::last_step.is_null().or(mfa_totp::last_step.lt(step))),
    )
    .set(mfa_totp::last_step.eq(step))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn confirm_totp(conn: &mut DbConn, user: UserId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(mfa_totp::table.find(user))
        .set(mfa_totp::confirmed_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

/// Replaces the user's recovery codes.
pub fn put_recovery_codes(conn: &mut DbConn, user: UserId, hashes: &[String]) -> QueryResult<()> {
    diesel::delete(mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(user))).execute(conn)?;
    // One statement per code: batch inserts are not available through the multi-backend
    // connection, and there are ten.
    for hash in hashes {
        diesel::insert_into(mfa_recovery_codes::table)
            .values((
                mfa_recovery_codes::user_id.eq(user),
                mfa_recovery_codes::code_hash.eq(hash),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Spends an unused recovery code; false when it is unknown or spent.
pub fn spend_recovery_code(conn: &mut DbConn, user: UserId, hash: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        mfa_recovery_codes::table
            .filter(mfa_recovery_codes::user_id.eq(user))
            .filter(mfa_recovery_codes::code_hash.eq(hash))
            .filter(mfa_recovery_codes::used_at.is_null()),
    )
    .set(mfa_recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Removes the user's second factor and recovery codes; true when there was one.
pub fn delete_mfa(conn: &mut DbConn, user: UserId) -> QueryResult<bool> {
    diesel::delete(mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(user))).execute(conn)?;
    Ok(diesel::delete(mfa_totp::table.find(user)).execute(conn)? == 1)
}
