-- The durable job queue, in the application database so that a job commits with the business
-- write that caused it.

create table jobs (
    id text primary key,
    tenant_id text references users (id),
    queue text not null,
    kind text not null,
    payload text not null,
    status text not null,
    priority bigint not null default 0,
    attempts bigint not null default 0,
    max_attempts bigint not null,
    backoff_ms bigint not null,
    run_at bigint not null,
    lease_until bigint,
    attempt_token text,
    worker_id text,
    unique_key text collate "C",
    last_error text,
    result text,
    created_at bigint not null,
    updated_at bigint not null,
    started_at bigint,
    finished_at bigint
);
create index jobs_claim on jobs (queue, status, priority, run_at);
create index jobs_lease on jobs (status, lease_until);
create index jobs_retention on jobs (queue, status, finished_at);
create index jobs_tenant_created on jobs (tenant_id, created_at);
-- A unique key blocks a second enqueue only while its job is not finished.
create unique index jobs_unique_key_live on jobs (unique_key)
    where unique_key is not null and status in ('waiting', 'active', 'failed');

-- Periodic jobs: the instance whose compare-and-set advances next_run_at enqueues the period's job.
create table job_schedules (
    name text primary key,
    next_run_at bigint not null,
    last_run_at bigint
);
