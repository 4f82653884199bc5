-- Rendered invoice PDFs, one per invoice version (a payment, return or void makes a new
-- version), in the database so every instance serves the same file.
create table invoice_pdfs (
    tenant_id text not null references users (id),
    invoice_id text not null references invoices (id),
    version bigint not null,
    content blob not null,
    created_at bigint not null,
    primary key (invoice_id, version)
);

-- The latest job of a unique key, finished or not (the PDF endpoint reports a dead render).
create index jobs_unique_key_any on jobs (unique_key, created_at) where unique_key is not null;
