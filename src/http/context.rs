//! The current request's id and path, kept in a task-local so that problem bodies can name them
//! without threading the request through every error. A leaf: it imports nothing of the crate.

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What the rest of the request can learn about itself.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub request_id: String,
    pub path: String,
}

tokio::task_local! {
    static CTX: RequestCtx;
}

/// The current request's context, when called inside a request.
pub fn current() -> Option<RequestCtx> {
    CTX.try_with(Clone::clone).ok()
}

/// Runs `f` with `ctx` as the current request's context.
pub async fn scope<F: std::future::Future>(ctx: RequestCtx, f: F) -> F::Output {
    CTX.scope(ctx, f).await
}
