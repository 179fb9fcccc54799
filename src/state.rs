//! The running service's shared state, and authenticated access to patient data: every
//! protected handler goes through here.
//!
//! [`Authenticated`] verifies the bearer token (signature, issuer, audience, expiry) without
//! I/O. [`AppState::read`], [`AppState::write`] and [`AppState::query`] then load the user row in
//! the same blocking call as the work itself, so a disabled account or a changed role is refused
//! before any data is touched, at the cost of no extra round trip. (A request that is malformed
//! anyway may get its 4xx before that check; it reaches no data either way.) Writes audit inside
//! their own transaction; reads go through the group-committing sink before the data is returned;
//! refused attempts ([`Caller::deny`]) go through the sink too, whatever became of the work.

use std::cell::RefCell;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use diesel::QueryResult;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::audit::event::{self, AuditEvent, Origin, Outcome, RequestMeta};
use crate::audit::repo::AuditBatch;
use crate::audit::sink::AuditSink;
use crate::auth::actor;
use crate::auth::domain::Actor;
use crate::auth::repo::{ActorKey, ActorRow};
use crate::auth::token::{Identity, TokenService};
use crate::config::Settings;
use crate::db::{self, DbConn, DbPool};
use crate::error::ApiError;
use crate::http::pagination::{CursorCodec, Page};
use crate::ids::SessionId;

/// Shared state of one running service (one instance, shared by every worker).
pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: DbPool,
    pub metrics: PrometheusMetrics,
    pub tokens: Arc<TokenService>,
    pub audit: AuditSink,
    pub cursors: CursorCodec,
    /// Bounds concurrent Argon2 work (19 MiB each) so a burst of sign-ins cannot exhaust memory.
    pub hashing: Semaphore,
}

impl AppState {
    pub fn new(settings: Settings, pool: DbPool) -> anyhow::Result<Self> {
        let metrics = PrometheusMetricsBuilder::new("intake_api")
            // Unmatched paths share one label so scanners cannot blow up the series count.
            .mask_unmatched_patterns("UNMATCHED")
            .build()
            .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
        crate::vault::install(settings.data_keys.clone()).map_err(anyhow::Error::msg)?;
        let tokens = Arc::new(TokenService::new(&settings.jwt, settings.jwt_secret_bytes())?);
        let cursors = CursorCodec::new(settings.jwt_secret_bytes());
        // The audit writer has a connection of its own: taking one from the request pool, it
        // queued behind the very requests waiting for it to commit their events (bench/NOTES.md).
        let writer = db::build_pool(
            &settings.database_url,
            &db::PoolOptions {
                max_size: 1,
                checkout_timeout: settings.db_timeout,
                statement_timeout: settings.db_timeout,
            },
        )?;
        let audit = AuditSink::start(writer)?;
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2);
        Ok(Self {
            settings: Arc::new(settings),
            pool,
            metrics,
            tokens,
            audit,
            cursors,
            hashing: Semaphore::new(permits),
        })
    }
}

/// The signed-in caller of a protected route, as services see it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub meta: RequestMeta,
    /// The sign-in session the token names, if any.
    pub session: Option<SessionId>,
    /// Refused or failed attempts, committed whatever becomes of the work (see [`Caller::deny`]).
    denied: RefCell<Vec<AuditEvent>>,
}

impl Caller {
    pub fn new(actor: Actor, meta: RequestMeta, session: Option<SessionId>) -> Self {
        Self {
            actor,
            meta,
            session,
            denied: RefCell::default(),
        }
    }

    pub fn origin(&self) -> Origin<'_> {
        Origin {
            actor: Some(&self.actor),
            meta: &self.meta,
        }
    }

    /// Records a refused attempt. It is committed after the request's work whether the work
    /// succeeds or fails: a refused change rolls back, its audit event must not.
    pub fn deny(&self, event: AuditEvent) {
        self.record_anyway(event.outcome(Outcome::Denied));
    }

    /// Records an event that is committed after the request's work whatever its outcome (a
    /// refused or failed attempt, which the work's rollback must not take with it).
    pub fn record_anyway(&self, event: AuditEvent) {
        self.denied.borrow_mut().push(event);
    }

    fn take_denied(&self) -> AuditBatch {
        event::batch(self.origin(), &self.denied.take())
    }
}

/// A request with a valid bearer token; the user row is checked with the work itself.
#[derive(Clone)]
pub struct Authenticated {
    pub identity: Identity,
    pub meta: RequestMeta,
    /// Refuse staff without a second factor (`REQUIRE_STAFF_MFA`), unless the route is one of
    /// the few they need to turn one on ([`Authenticated::mfa_exempt`]).
    require_staff_mfa: bool,
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready((|| {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
            let token = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .ok_or(ApiError::Unauthenticated)?;
            let identity = state.tokens.verify(token.trim())?;
            let meta = RequestMeta::from_request(req, payload).into_inner().unwrap_or_default();
            Ok(Authenticated {
                identity,
                meta,
                require_staff_mfa: state.settings.require_staff_mfa,
            })
        })())
    }
}

impl Authenticated {
    /// For the routes staff without a second factor still reach: enrolment, `me` and logout.
    pub fn mfa_exempt(mut self) -> Self {
        self.require_staff_mfa = false;
        self
    }

    /// Loads the caller's user row: unknown or disabled users are a 401.
    pub fn load(self, conn: &mut DbConn) -> Result<Caller, ApiError> {
        let actor = actor::load(conn, &self.identity, self.require_staff_mfa)?;
        Ok(self.caller(actor))
    }

    /// [`Authenticated::load`], with a row the request needs read in the same statement
    /// ([`actor::load_with`]).
    pub fn load_with<R>(
        self,
        conn: &mut DbConn,
        fetch: impl FnOnce(&mut DbConn, ActorKey) -> QueryResult<Option<(ActorRow, R)>>,
    ) -> Result<(Caller, R), ApiError> {
        let (actor, fetched) = actor::load_with(conn, &self.identity, self.require_staff_mfa, fetch)?;
        Ok((self.caller(actor), fetched))
    }

    fn caller(self, actor: Actor) -> Caller {
        let session = match &self.identity {
            Identity::Local { session, .. } => *session,
            Identity::External { .. } => None,
        };
        Caller::new(actor, self.meta, session)
    }
}

/// A read's result and the events that must be durable before it is disclosed.
pub struct Audited<T> {
    pub value: T,
    pub events: Vec<AuditEvent>,
}

impl<T> Audited<T> {
    pub fn new(value: T, events: Vec<AuditEvent>) -> Self {
        Self { value, events }
    }
}

impl AppState {
    /// Runs `work` for the caller on a pooled connection, then commits the audit rows it returns
    /// and every refused attempt it recorded (even when the work failed) before answering.
    async fn audited<T, F>(&self, auth: Authenticated, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Caller) -> Result<(T, AuditBatch), ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.audited_as(
            move |conn| Ok((auth.load(conn)?, ())),
            move |conn, caller, ()| work(conn, caller),
        )
        .await
    }

    /// [`AppState::audited`], with the caller (and whatever came with them) loaded by `load`.
    async fn audited_as<X, T, L, F>(&self, load: L, work: F) -> Result<T, ApiError>
    where
        L: FnOnce(&mut DbConn) -> Result<(Caller, X), ApiError> + Send + 'static,
        F: FnOnce(&mut DbConn, &Caller, X) -> Result<(T, AuditBatch), ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let (outcome, rows) = db::run(&self.pool, move |conn| {
            let (caller, loaded) = load(conn)?;
            let outcome = work(conn, &caller, loaded);
            let mut rows = caller.take_denied();
            let outcome = outcome.map(|(value, batch)| {
                rows.append(batch);
                value
            });
            Ok((outcome, rows))
        })
        .await?;
        self.audit.commit(rows).await?;
        outcome
    }

    /// Runs a read for the caller; returns only after its audit events are committed.
    pub async fn read<T, F>(&self, auth: Authenticated, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Caller) -> Result<Audited<T>, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.audited(auth, move |conn, caller| {
            let Audited { value, events } = f(conn, caller)?;
            Ok((value, event::batch(caller.origin(), &events)))
        })
        .await
    }

    /// [`AppState::read`] of a row that is read in the same statement as the caller's row
    /// (`fetch`, see [`actor::load_with`]): one round trip fewer, for the busiest reads. `f`
    /// gets the row (or its absence) to check and disclose.
    pub async fn read_fetched<R, T, Fr, F>(&self, auth: Authenticated, fetch: Fr, f: F) -> Result<T, ApiError>
    where
        Fr: FnOnce(&mut DbConn, ActorKey) -> QueryResult<Option<(ActorRow, R)>> + Send + 'static,
        F: FnOnce(&mut DbConn, &Caller, R) -> Result<Audited<T>, ApiError> + Send + 'static,
        R: Send + 'static,
        T: Send + 'static,
    {
        self.audited_as(
            move |conn| auth.load_with(conn, fetch),
            move |conn, caller, row| {
                let Audited { value, events } = f(conn, caller, row)?;
                Ok((value, event::batch(caller.origin(), &events)))
            },
        )
        .await
    }

    /// A page of a list for the caller, answered as 200 once its audit event (one per page, naming
    /// every listed item: [`AuditEvent::listing`]) is committed: the handler of every paged list.
    pub async fn list_page<T, F>(&self, auth: Authenticated, f: F) -> Result<HttpResponse, ApiError>
    where
        F: FnOnce(&mut DbConn, &Caller, &CursorCodec) -> Result<Audited<Page<T>>, ApiError> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        let codec = self.cursors.clone();
        let page = self.read(auth, move |conn, caller| f(conn, caller, &codec)).await?;
        Ok(HttpResponse::Ok().json(page))
    }

    /// Runs a change for the caller in one write transaction (the service audits inside it).
    pub async fn write<T, F>(&self, auth: Authenticated, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Caller) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.audited(auth, move |conn, caller| {
            Ok((db::write_tx(conn, |conn| f(conn, caller))?, AuditBatch::default()))
        })
        .await
    }

    /// A change whose expensive part needs no lock: `prepare` runs first, outside any
    /// transaction, and `commit` then runs in the write transaction with its result.
    pub async fn write_prepared<P, T, Fp, Fc>(
        &self,
        auth: Authenticated,
        prepare: Fp,
        commit: Fc,
    ) -> Result<T, ApiError>
    where
        Fp: FnOnce(&mut DbConn, &Caller) -> Result<P, ApiError> + Send + 'static,
        Fc: FnOnce(&mut DbConn, &Caller, P) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.audited(auth, move |conn, caller| {
            let prepared = prepare(conn, caller)?;
            Ok((
                db::write_tx(conn, |conn| commit(conn, caller, prepared))?,
                AuditBatch::default(),
            ))
        })
        .await
    }

    /// Runs something for the caller that discloses no patient data (no audit needed, but a
    /// refused attempt is still recorded).
    pub async fn query<T, F>(&self, auth: Authenticated, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Caller) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.audited(auth, move |conn, caller| Ok((f(conn, caller)?, AuditBatch::default())))
            .await
    }
}
