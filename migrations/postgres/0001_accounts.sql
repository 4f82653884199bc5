-- Shops (one user = one shop = one tenant), sessions and the tables every operation shares.

create table users (
    id text primary key,
    email text not null,
    email_key text collate "C" not null,
    name text not null,
    password_hash text not null,
    phone text not null default '',
    shop_name text not null default '',
    gst_number text not null default '',
    shop_address text not null default '',
    timezone text not null,
    role text not null default 'owner',
    created_at bigint not null,
    updated_at bigint not null,
    deleted_at bigint
);
-- A deleted account frees its e-mail: it then logs in like an unknown one.
create unique index users_email_key_live_unique on users (email_key) where deleted_at is null;

-- Consecutive failed logins per e-mail key, for known and unknown addresses alike (no enumeration).
create table login_throttles (
    email_key text primary key,
    failures bigint not null default 0,
    locked_until bigint,
    updated_at bigint not null
);
create index login_throttles_updated_at on login_throttles (updated_at);

create table sessions (
    id text primary key,
    user_id text not null references users (id),
    device_id text not null,
    user_agent text not null default '',
    ip text not null default '',
    created_at bigint not null,
    expires_at bigint not null,
    revoked_at bigint,
    revoked_reason text
);
create index sessions_user_id on sessions (user_id, revoked_at);
create index sessions_expires_at on sessions (expires_at);

-- Rotating refresh tokens; a session is their family. Only the SHA-256 of a token is stored.
create table refresh_tokens (
    id text primary key,
    session_id text not null references sessions (id),
    user_id text not null references users (id),
    token_hash text not null,
    created_at bigint not null,
    expires_at bigint not null,
    rotated_at bigint
);
create unique index refresh_tokens_token_hash_unique on refresh_tokens (token_hash);
create index refresh_tokens_session_id on refresh_tokens (session_id);
create index refresh_tokens_expires_at on refresh_tokens (expires_at);

create table password_reset_tokens (
    id text primary key,
    user_id text not null references users (id),
    token_hash text not null,
    created_at bigint not null,
    expires_at bigint not null,
    used_at bigint
);
create unique index password_reset_tokens_token_hash_unique on password_reset_tokens (token_hash);
create index password_reset_tokens_user_id on password_reset_tokens (user_id);
create index password_reset_tokens_expires_at on password_reset_tokens (expires_at);

-- Development secrets generated once and shared by every instance on one PostgreSQL database.
create table app_secrets (
    name text primary key,
    value text not null,
    created_at bigint not null
);

-- Per-shop document counters (INV, RET, SO, DC), advanced inside the document's transaction.
create table counters (
    tenant_id text not null references users (id),
    name text not null,
    value bigint not null,
    primary key (tenant_id, name)
);

create table idempotency_keys (
    tenant_id text not null references users (id),
    method text not null,
    route text not null,
    key text not null,
    request_hash text not null,
    state text not null,
    response_status bigint,
    response_body text,
    created_at bigint not null,
    updated_at bigint not null,
    primary key (tenant_id, method, route, key)
);
create index idempotency_keys_created_at on idempotency_keys (created_at);
