-- The claim reads runnable jobs of one queue in priority and time order. With `status` in the
-- key, `status in ('waiting', 'failed')` made every claim sort all runnable rows; a partial index
-- over exactly those statuses hands them over in order.
drop index jobs_claim;
create index jobs_runnable on jobs (queue, priority desc, run_at, id) where status in ('waiting', 'failed');
