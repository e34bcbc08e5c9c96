import { sql, type Kysely } from 'kysely'

// Operation Encompass notices (police → the child's school before the next school day) and missing episodes
// with return home interviews (issue 3, M4).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table encompass_notice (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  submission_id uuid not null,
  child_id uuid not null references child(id),
  school_agency_id uuid not null references agency(id),
  recorded_by_membership_id uuid not null references membership(id),
  incident_reference text,
  incident_at timestamptz not null,
  summary text not null,
  due_at timestamptz not null,
  acknowledged_at timestamptz,
  acknowledged_by uuid references membership(id),
  school_response text,
  entry_id uuid references entry(id),
  idempotency_key text,
  created_at timestamptz not null,
  unique (partnership_id, idempotency_key, child_id)
);
create index encompass_school on encompass_notice (partnership_id, school_agency_id, acknowledged_at, due_at);

create table missing_episode (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  reported_by_membership_id uuid not null references membership(id),
  police_reference text,
  missing_from timestamptz not null,
  found_at timestamptz,
  where_found text,
  risk text not null check (risk in ('no_apparent_risk','low','medium','high')),
  circumstances text not null,
  rhi_offered_at timestamptz,
  rhi_by text,
  rhi_independent boolean,
  rhi_accepted boolean,
  rhi_held_at timestamptz,
  rhi_child_said text,
  rhi_recorded_by uuid references membership(id),
  strategy_meeting_prompted boolean not null default false,
  entry_id uuid references entry(id),
  created_at timestamptz not null
);
create index missing_child on missing_episode (partnership_id, child_id, missing_from);
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists missing_episode, encompass_notice cascade`.execute(db)
}
