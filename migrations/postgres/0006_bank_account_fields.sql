-- Bank accounts with the original's field names and status, and one account number per shop.
alter table bank_accounts rename column ifsc_code to ifsc;
alter table bank_accounts rename column branch_name to branch;
alter table bank_accounts drop column is_active;
alter table bank_accounts add column status text not null default 'active';
create unique index bank_accounts_tenant_number_live_unique on bank_accounts (tenant_id, account_number)
    where deleted_at is null;
