import { sql, type Kysely } from 'kysely'

// Information requests between agencies (issue 6, scope 2): a practitioner working with a child asks another
// agency what it knows — one row per agency asked, with the question, the urgency and the due time of its response
// clock (IR / IRU). The agency answers with entries in the child's chronology (through its own agency record of
// the child; `entry.detail_type = 'information_request'`), says nothing is known, or declines with its reasons;
// answering or declining is a sharing decision (`sharing_decision_id`, recorded by the sharing store). The requester
// may withdraw an open request with a reason. Nothing is deleted.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table information_request (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  batch_id uuid not null,
  to_agency_id uuid not null references agency(id),
  requested_by uuid not null references membership(id),
  requester_agency_id uuid not null references agency(id),
  requester_team_id uuid references team(id),
  referral_id uuid references referral(id),
  question text not null,
  urgency text not null check (urgency in ('urgent','standard')),
  asked_at timestamptz not null,
  due_at timestamptz not null,
  escalate_to_membership_id uuid references membership(id),
  status text not null default 'open' check (status in ('open','answered','declined','withdrawn')),
  responded_by uuid references membership(id),
  responded_at timestamptz,
  nothing_known boolean,
  response_note text,
  agency_record_id uuid references agency_record(id),
  sharing_decision_id uuid,
  withdrawn_by uuid references membership(id),
  withdrawn_at timestamptz,
  withdrawn_reason text,
  idempotency_key text,
  row_version integer not null default 1,
  created_at timestamptz not null,
  check (status <> 'withdrawn' or (withdrawn_at is not null and withdrawn_reason is not null)),
  check (status not in ('answered','declined') or (responded_by is not null and responded_at is not null)),
  check (status <> 'declined' or response_note is not null)
);
create index information_request_inbox on information_request (partnership_id, to_agency_id, status, due_at);
create index information_request_mine on information_request (partnership_id, requested_by, asked_at);
create index information_request_child on information_request (partnership_id, child_id);
create unique index information_request_idempotency on information_request (partnership_id, requested_by, idempotency_key, to_agency_id) where idempotency_key is not null;
`.execute(db)
  await sql`
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'teamaround_app') then
    grant select, insert, update on information_request to teamaround_app;
  end if;
end $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists information_request cascade`.execute(db)
}
