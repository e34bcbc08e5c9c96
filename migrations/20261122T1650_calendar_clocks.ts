import { sql, type Kysely } from 'kysely'

// Calendars as data (bank holidays per partnership, school terms and closures, each school's start of day is on
// agency) and stored statutory clocks, so restarts lose nothing.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table bank_holiday (
  partnership_id uuid not null references partnership(id),
  on_date date not null,
  name text not null,
  primary key (partnership_id, on_date)
);

create table school_term (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  school_agency_id uuid not null references agency(id),
  name text not null,
  starts_on date not null,
  ends_on date not null,
  check (ends_on >= starts_on)
);
create index school_term_school on school_term (partnership_id, school_agency_id, starts_on);

create table school_closure (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  school_agency_id uuid not null references agency(id),
  on_date date not null,
  reason text not null
);
create index school_closure_school on school_closure (partnership_id, school_agency_id, on_date);

create table clock (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  rule text not null,
  child_id uuid references child(id),
  subject_type text not null,
  subject_id uuid not null,
  started_at timestamptz not null,
  due_at timestamptz not null,
  state text not null default 'running' check (state in ('running','overdue','met','met_late','stopped')),
  met_at timestamptz,
  reason text,
  escalate_to_membership_id uuid references membership(id),
  escalated_at timestamptz,
  created_at timestamptz not null,
  check (state not in ('met_late','stopped') or reason is not null)
);
create index clock_due on clock (partnership_id, state, due_at);
create index clock_subject on clock (partnership_id, subject_type, subject_id);
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists clock, school_closure, school_term, bank_holiday cascade`.execute(db)
}
