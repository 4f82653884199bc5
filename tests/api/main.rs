//! Black-box HTTP tests: each test starts the real application on a random port with a fresh
//! database, and the same test runs on SQLite and on PostgreSQL (see `both_backends!`).

mod helpers;

mod auth_lockout;
mod auth_login;
mod auth_register;
mod auth_sessions;
mod cashbank;
mod cli;
mod customers;
mod dashboard;
mod due;
mod http_basics;
mod inventory;
mod inventory_import;
mod invoice_documents;
mod jobs_email;
mod jobs_process;
mod jobs_queue;
mod outage;
mod process;
mod rate_limits;
mod sales_concurrency;
mod sales_model;
mod sales_payments;
mod sales_pos;
mod seed_demo;
mod shop;
mod smtp_sink;
mod storage;
mod tcp_proxy;
mod users;
