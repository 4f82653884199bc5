-- Per-shop daily figures in the shop's time zone, maintained in the same transactions as the
-- documents they sum (sales, payments, voids), so the dashboard reads O(days) rows. Each can be
-- rebuilt from the documents (`bizzai aggregates rebuild`).

-- The shop's local date of every ledger row (day buckets of money received).
alter table ledger_transactions add column local_date text not null default '';

create table daily_sales (
    tenant_id text not null references users (id),
    local_date text not null,
    invoices bigint not null default 0,
    -- goods sold (subtotal − discount) less returns credited
    net_sales bigint not null default 0,
    cost_of_goods bigint not null default 0,
    primary key (tenant_id, local_date)
);

-- Sales grouped by the invoice's original payment method.
create table daily_payment_methods (
    tenant_id text not null references users (id),
    local_date text not null,
    method text not null,
    invoices bigint not null default 0,
    net_sales bigint not null default 0,
    primary key (tenant_id, local_date, method)
);
-- All-time totals per method read in index order (no sort, no table look-up).
create index daily_payment_methods_totals on daily_payment_methods (tenant_id, method, invoices, net_sales);

-- Money received (net of change, less money refunded), by the way it arrived.
create table daily_collections (
    tenant_id text not null references users (id),
    local_date text not null,
    method text not null,
    amount bigint not null default 0,
    primary key (tenant_id, local_date, method)
);
create index daily_collections_totals on daily_collections (tenant_id, method, amount);
