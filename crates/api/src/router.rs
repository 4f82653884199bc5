//! Every route in one list, and the middleware stack around them.

use std::any::Any;

use axum::Extension;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;

use crate::auth::routes as auth;
use crate::error::ApiError;
use crate::http::body::BodyLimit;
use crate::http::{cors, error_bodies, request_id};
use crate::inventory::routes as inventory;
use crate::state::AppState;
use crate::{cashbank, customers, due, health, jobs_api, reports, sales, users};

pub fn build(state: AppState) -> Router {
    let settings = state.settings.clone();
    let api = Router::new()
        // health
        .route("/api/health", get(health::health))
        .route("/api/health/live", get(health::live))
        .route("/api/health/ready", get(health::ready))
        // auth and sessions
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/force-logout", post(auth::force_logout))
        .route("/api/auth/refresh", post(auth::refresh))
        .route("/api/auth/revoke", post(auth::revoke))
        .route("/api/auth/revoke-all", post(auth::revoke_all))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/profile", get(users::profile))
        .route("/api/auth/csrf-token", get(auth::csrf_token))
        .route("/api/auth/forgot-password", post(auth::forgot_password))
        .route("/api/auth/reset-password", post(auth::reset_password))
        // inventory (static segments before `{id}`)
        .route(
            "/api/inventory",
            post(inventory::create).get(inventory::list),
        )
        .route(
            "/api/inventory/import",
            post(crate::inventory::import::import)
                .layer(Extension(BodyLimit(settings.import_max_bytes))),
        )
        .route("/api/inventory/low-stock", get(inventory::low_stock))
        .route("/api/inventory/scan", get(inventory::scan))
        .route(
            "/api/inventory/{id}",
            get(inventory::get)
                .put(inventory::update)
                .delete(inventory::delete),
        )
        .route("/api/inventory/{id}/movements", get(inventory::movements))
        // customers
        .route(
            "/api/customers",
            post(customers::create).get(customers::list),
        )
        .route(
            "/api/customers/{id}",
            get(customers::get)
                .put(customers::update)
                .delete(customers::delete),
        )
        .route(
            "/api/customers/{id}/transactions",
            get(customers::transactions),
        )
        // due adjustments (the legacy due routes answer 501, as in the original)
        .route("/api/due/adjust", post(due::adjust))
        .route("/api/due/adjustments", get(due::list))
        .route("/api/due/customer/{id}/adjustments", get(due::of_customer))
        .route("/api/due", get(due::legacy).post(due::legacy))
        .route("/api/due/customer/{id}", get(due::legacy))
        .route("/api/due/{id}", put(due::legacy))
        .route("/api/due/{id}/clear", put(due::legacy))
        // POS sales and sales invoices
        .route("/api/pos/invoice", post(sales::checkout::create))
        .route("/api/pos/invoices", get(sales::views::list))
        .route(
            "/api/pos/invoice/{id}",
            get(sales::views::pos_detail).delete(sales::void::delete),
        )
        .route("/api/pos/invoice/{id}/payment", put(sales::payment::pos))
        .route("/api/pos/invoice/{id}/pdf", get(sales::documents::pdf))
        .route("/api/pos/invoice/{id}/email", post(sales::documents::email))
        .route("/api/sales-invoice/summary", get(sales::views::summary))
        .route("/api/sales-invoice/invoices", get(sales::views::list))
        .route(
            "/api/sales-invoice/invoice/{id}",
            get(sales::views::sales_detail).delete(sales::void::delete),
        )
        .route(
            "/api/sales-invoice/invoice/{id}/mark-paid",
            put(sales::payment::mark_paid),
        )
        // reports
        .route("/api/reports/dashboard-stats", get(reports::dashboard))
        .route("/api/reports/stock", get(reports::stock))
        .route("/api/reports/customers", get(reports::customers))
        // bank accounts, and the lists bizzai does not keep
        .route(
            "/api/cashbank/accounts",
            get(cashbank::list).post(cashbank::create),
        )
        .route(
            "/api/cashbank/accounts/{id}",
            put(cashbank::update).delete(cashbank::delete),
        )
        .route("/api/expenses", get(cashbank::empty_list))
        .route("/api/bills", get(cashbank::empty_list))
        // background jobs of the shop
        .route("/api/jobs/{id}", get(jobs_api::get))
        // the shop's own account
        .route("/api/users", get(users::list))
        .route("/api/users/{id}", put(users::update).delete(users::delete))
        .route("/", get(health::banner))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(BodyLimit(settings.body_limit)))
        .with_state(state);

    api.layer(
        ServiceBuilder::new()
            .layer(SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
                header::COOKIE,
            ]))
            .layer(axum::middleware::from_fn(request_id::middleware))
            // CORS outside the error layers, so errors (a panic's 500 too) reach the browser.
            .layer(cors::layer(
                settings.allowed_origins.clone(),
                settings.production,
            ))
            .layer(axum::middleware::from_fn(error_bodies::middleware))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                settings.request_timeout,
            )),
    )
}

async fn not_found() -> ApiError {
    ApiError::not_found("Route not found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!(request_id = %request_id::current_request_id(), "handler panicked");
    ApiError::internal(anyhow::anyhow!("panic")).into_response()
}
