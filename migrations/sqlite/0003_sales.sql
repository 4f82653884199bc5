-- Documents: invoices, returns, sales orders, delivery challans, and the customer ledger.

create table invoices (
    id text primary key,
    tenant_id text not null references users (id),
    invoice_no text not null,
    customer_id text references customers (id),
    sales_order_id text,
    subtotal bigint not null,
    tax bigint not null default 0,
    discount bigint not null default 0,
    previous_due_amount bigint not null default 0,
    total_amount bigint not null,
    paid_amount bigint not null default 0,
    change_returned bigint not null default 0,
    credit_applied bigint not null default 0,
    returned_amount bigint not null default 0,
    carried_forward_amount bigint not null default 0,
    balance_due bigint not null default 0,
    payment_status text not null,
    payment_method text not null,
    paid_via_method text,
    bank_account_id text references bank_accounts (id),
    split_payment_details text not null default '[]',
    has_returns bigint not null default 0,
    cost_of_goods bigint not null default 0,
    local_date text not null,
    version bigint not null default 1,
    is_deleted bigint not null default 0,
    deleted_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    check (balance_due >= 0)
);
create index invoices_tenant_created on invoices (tenant_id, created_at, id);
create index invoices_customer_created on invoices (customer_id, created_at);
create unique index invoices_tenant_invoice_no_unique on invoices (tenant_id, invoice_no);
create index invoices_tenant_payment_status on invoices (tenant_id, payment_status);
create index invoices_tenant_local_date on invoices (tenant_id, local_date);
-- Open items, oldest first: where FIFO settlement of a customer's money looks.
create index invoices_customer_open on invoices (customer_id, created_at, id)
    where balance_due > 0 and is_deleted = 0;

create table invoice_lines (
    id text primary key,
    tenant_id text not null references users (id),
    invoice_id text not null references invoices (id),
    line_no bigint not null,
    item_id text not null references items (id),
    name text not null,
    sku text not null default '',
    unit text not null default 'pcs',
    quantity bigint not null,
    price bigint not null,
    list_price bigint not null,
    cost_price bigint not null,
    tax bigint not null default 0,
    discount bigint not null default 0,
    total bigint not null,
    returned_qty bigint not null default 0,
    check (quantity > 0),
    check (returned_qty >= 0 and returned_qty <= quantity)
);
create index invoice_lines_invoice on invoice_lines (invoice_id, line_no);
create index invoice_lines_item on invoice_lines (item_id);

create table returns (
    id text primary key,
    tenant_id text not null references users (id),
    return_no text not null,
    invoice_id text not null references invoices (id),
    customer_id text references customers (id),
    customer_name text not null default 'Walk-in Customer',
    return_date bigint not null,
    return_type text not null,
    refund_method text not null,
    actual_refund_method text not null,
    bank_account_id text references bank_accounts (id),
    refund_processed bigint not null default 0,
    subtotal bigint not null,
    tax_amount bigint not null default 0,
    discount_amount bigint not null default 0,
    total_return_amount bigint not null,
    credited_to_invoice bigint not null default 0,
    refunded_amount bigint not null default 0,
    status text not null default 'processed',
    notes text not null default '',
    local_date text not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index returns_tenant_created on returns (tenant_id, created_at, id);
create index returns_invoice on returns (invoice_id);
create index returns_customer on returns (customer_id);
create unique index returns_tenant_return_no_unique on returns (tenant_id, return_no);

create table return_lines (
    id text primary key,
    tenant_id text not null references users (id),
    return_id text not null references returns (id),
    invoice_line_id text not null references invoice_lines (id),
    item_id text not null references items (id),
    product_name text not null,
    original_qty bigint not null,
    returned_qty bigint not null,
    rate bigint not null,
    tax_percent_bp bigint not null default 0,
    tax_amount bigint not null default 0,
    line_total bigint not null,
    condition text not null,
    reason text not null,
    inventory_adjusted bigint not null default 0,
    check (returned_qty > 0)
);
create index return_lines_return on return_lines (return_id);

create table sales_orders (
    id text primary key,
    tenant_id text not null references users (id),
    order_number text not null,
    customer_id text not null references customers (id),
    order_date bigint not null,
    expected_delivery_date bigint not null,
    subtotal bigint not null,
    tax_total bigint not null default 0,
    discount_total bigint not null default 0,
    order_discount bigint not null default 0,
    total_amount bigint not null,
    status text not null,
    notes text not null default '',
    is_confirmed bigint not null default 0,
    is_cancelled bigint not null default 0,
    prices_locked bigint not null default 0,
    confirmed_at bigint,
    cancelled_at bigint,
    created_at bigint not null,
    updated_at bigint not null
);
create index sales_orders_tenant_status on sales_orders (tenant_id, status);
create index sales_orders_tenant_created on sales_orders (tenant_id, created_at, id);
create index sales_orders_customer_status on sales_orders (customer_id, status);
create unique index sales_orders_tenant_order_number_unique on sales_orders (tenant_id, order_number);

create table sales_order_lines (
    id text primary key,
    tenant_id text not null references users (id),
    sales_order_id text not null references sales_orders (id),
    line_no bigint not null,
    item_id text not null references items (id),
    quantity bigint not null,
    rate bigint not null,
    tax_percent_bp bigint not null default 0,
    discount bigint not null default 0,
    reserved_qty bigint not null default 0,
    delivered_qty bigint not null default 0,
    invoiced_qty bigint not null default 0,
    total bigint not null,
    check (quantity > 0)
);
create index sales_order_lines_order on sales_order_lines (sales_order_id, line_no);

create table delivery_challans (
    id text primary key,
    tenant_id text not null references users (id),
    challan_number text not null,
    sales_order_id text not null references sales_orders (id),
    customer_id text not null references customers (id),
    delivery_date bigint not null,
    vehicle_no text not null default '',
    driver_name text not null default '',
    transport_mode text not null default 'road',
    notes text not null default '',
    status text not null default 'Delivered',
    created_at bigint not null,
    updated_at bigint not null
);
create index delivery_challans_tenant_created on delivery_challans (tenant_id, created_at);
create index delivery_challans_order on delivery_challans (sales_order_id);
create unique index delivery_challans_tenant_number_unique on delivery_challans (tenant_id, challan_number);

create table delivery_challan_lines (
    id text primary key,
    tenant_id text not null references users (id),
    delivery_challan_id text not null references delivery_challans (id),
    sales_order_line_id text not null references sales_order_lines (id),
    item_id text not null references items (id),
    quantity bigint not null,
    unit text not null default 'pcs',
    description text not null default '',
    check (quantity > 0)
);
create index delivery_challan_lines_challan on delivery_challan_lines (delivery_challan_id);

-- One row per money movement of a customer. amount > 0; effect is its signed effect on dues.
create table ledger_transactions (
    id text primary key,
    tenant_id text not null references users (id),
    customer_id text references customers (id),
    invoice_id text references invoices (id),
    return_id text references returns (id),
    due_adjustment_id text references due_adjustments (id),
    type text not null,
    amount bigint not null,
    effect bigint not null,
    payment_method text not null,
    bank_account_id text references bank_accounts (id),
    reference text not null default '',
    notes text not null default '',
    description text not null default '',
    created_at bigint not null,
    check (amount > 0)
);
create index ledger_transactions_customer_created on ledger_transactions (customer_id, created_at, id);
create index ledger_transactions_invoice on ledger_transactions (invoice_id);
create index ledger_transactions_tenant_created on ledger_transactions (tenant_id, created_at);
