import { sql, type Kysely } from 'kysely'

// The API's reliability (security requirements 21 and 22):
// - idempotency_key: one row per (practitioner, key) a client sent on a create; the first request claims it
//   ('pending'), its response is kept ('done') and replayed for the same key and body; a different body under the
//   same key is refused. Keys live 24 hours.
// - row_version on concern and referral, bumped by a trigger on every update (pages and API alike), so the API's
//   ETag / If-Match can refuse a stale update with 412.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table idempotency_key (
  partnership_id uuid not null references partnership(id),
  practitioner_id uuid not null references practitioner(id),
  key text not null check (length(key) between 8 and 255),
  method text not null,
  path text not null,
  request_hash text not null,
  state text not null check (state in ('pending','done')),
  status_code integer,
  response text,
  content_type text,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (partnership_id, practitioner_id, key)
);
create index idempotency_key_expiry on idempotency_key (partnership_id, expires_at);

alter table concern add column row_version integer not null default 1;
alter table referral add column row_version integer not null default 1;

create function bump_row_version() returns trigger language plpgsql as $$
begin
  new.row_version := old.row_version + 1;
  return new;
end $$;
create trigger concern_row_version before update on concern for each row execute function bump_row_version();
create trigger referral_row_version before update on referral for each row execute function bump_row_version();
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
drop trigger if exists referral_row_version on referral;
drop trigger if exists concern_row_version on concern;
drop function if exists bump_row_version();
alter table referral drop column if exists row_version;
alter table concern drop column if exists row_version;
drop table if exists idempotency_key;
`.execute(db)
}
