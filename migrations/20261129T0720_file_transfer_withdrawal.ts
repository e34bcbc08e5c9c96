import { sql, type Kysely } from 'kysely'

// Withdrawing a child-protection file transfer (issue 6, scope 7; R9). The sending school's DSL (or deputy) may
// withdraw a transfer that has not been received — sent to the wrong school, or the move fell through — with the
// reason. A withdrawn transfer is no longer incoming at the new school, can no longer be received, its R9 clock is
// stopped, and its encrypted exports (outside the partnership) are emptied; `withdrawn_after_download` records
// whether an export had been downloaded before (withdrawing cannot take back what was downloaded). The four columns
// are set together, exactly when the status is 'withdrawn'; a withdrawn transfer was never received.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table file_transfer drop constraint file_transfer_status_check;
alter table file_transfer add constraint file_transfer_status_check check (status in ('sent','received','withdrawn'));
alter table file_transfer
  add column withdrawn_by uuid references membership(id),
  add column withdrawn_at timestamptz,
  add column withdraw_reason text,
  add column withdrawn_after_download boolean;
alter table file_transfer add constraint file_transfer_withdrawal check (
  (status = 'withdrawn') = (withdrawn_by is not null)
  and (withdrawn_by is null) = (withdrawn_at is null)
  and (withdrawn_by is null) = (withdraw_reason is null)
  and (withdrawn_by is null) = (withdrawn_after_download is null)
);
alter table file_transfer add constraint file_transfer_withdrawn_not_received check (status <> 'withdrawn' or (received_by is null and received_at is null));
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
alter table file_transfer drop constraint if exists file_transfer_withdrawn_not_received;
alter table file_transfer drop constraint if exists file_transfer_withdrawal;
alter table file_transfer drop column if exists withdrawn_after_download, drop column if exists withdraw_reason, drop column if exists withdrawn_at, drop column if exists withdrawn_by;
alter table file_transfer drop constraint file_transfer_status_check;
alter table file_transfer add constraint file_transfer_status_check check (status in ('sent','received'));
`.execute(db)
}
