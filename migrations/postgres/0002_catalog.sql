-- Master data of a shop: bank accounts, items with their stock ledger, customers with their money ledger.

create table bank_accounts (
    id text primary key,
    tenant_id text not null references users (id),
    bank_name text not null,
    account_number text not null default '',
    ifsc_code text not null default '',
    branch_name text not null default '',
    account_type text not null default 'savings',
    opening_balance bigint not null default 0,
    current_balance bigint not null default 0,
    is_active bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null,
    deleted_at bigint
);
create index bank_accounts_tenant_created on bank_accounts (tenant_id, created_at);

create table items (
    id text primary key,
    tenant_id text not null references users (id),
    name text not null,
    name_key text collate "C" not null,
    sku text,
    sku_key text collate "C",
    barcode text,
    supplier_sku text,
    category text not null default '',
    hsn_code text not null default '',
    tax_rate_bp bigint not null default 1800,
    cost_price bigint not null,
    selling_price bigint not null,
    stock_qty bigint not null default 0,
    reserved_stock bigint not null default 0,
    in_transit_stock bigint not null default 0,
    low_stock_limit bigint not null default 5000,
    unit text not null default 'pcs',
    track_batch bigint not null default 0,
    track_expiry bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null,
    deleted_at bigint,
    check (stock_qty >= 0),
    check (reserved_stock >= 0),
    check (in_transit_stock >= 0)
);
create index items_tenant_created on items (tenant_id, created_at, id);
create unique index items_tenant_name_key_live_unique on items (tenant_id, name_key) where deleted_at is null;
create unique index items_tenant_sku_key_live_unique on items (tenant_id, sku_key)
    where sku_key is not null and deleted_at is null;
create index items_tenant_category on items (tenant_id, category);
create index items_tenant_stock on items (tenant_id, stock_qty);
create index items_tenant_barcode on items (tenant_id, barcode) where barcode is not null;

-- Append-only: every change of stock_qty or reserved_stock, with the quantity before and after.
create table stock_movements (
    id text primary key,
    tenant_id text not null references users (id),
    item_id text not null references items (id),
    type text not null,
    quantity bigint not null,
    before_qty bigint not null,
    after_qty bigint not null,
    reference_type text,
    reference_id text,
    reference text not null default '',
    note text not null default '',
    created_at bigint not null
);
create index stock_movements_item_created on stock_movements (item_id, created_at, id);
create index stock_movements_tenant_created on stock_movements (tenant_id, created_at);

create table customers (
    id text primary key,
    tenant_id text not null references users (id),
    name text not null,
    name_key text collate "C" not null,
    phone text not null,
    email text not null default '',
    email_key text collate "C",
    address text not null default '',
    dues bigint not null default 0,
    referred_by text references customers (id),
    created_at bigint not null,
    updated_at bigint not null,
    deleted_at bigint
);
create index customers_tenant_name on customers (tenant_id, name_key, id);
create index customers_tenant_dues on customers (tenant_id, dues);
create unique index customers_tenant_phone_live_unique on customers (tenant_id, phone) where deleted_at is null;
create index customers_tenant_email_key on customers (tenant_id, email_key) where email_key is not null;

create table due_adjustments (
    id text primary key,
    tenant_id text not null references users (id),
    customer_id text not null references customers (id),
    amount bigint not null,
    method text not null,
    previous_due bigint not null,
    updated_due bigint not null,
    notes text not null default '',
    created_at bigint not null,
    updated_at bigint not null
);
create index due_adjustments_tenant_created on due_adjustments (tenant_id, created_at);
create index due_adjustments_customer_created on due_adjustments (customer_id, created_at);
