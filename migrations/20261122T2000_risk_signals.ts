import { sql, type Kysely } from 'kysely'

// Risk signals (issue 4, M3): partnership-configurable, versioned rules that fire when strands combine; a fired
// signal names the entries that caused it and is acknowledged with a recorded response.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table signal_rule (
  partnership_id uuid not null references partnership(id),
  code text not null,
  version integer not null,
  name text not null,
  definition jsonb not null,
  active boolean not null default true,
  created_at timestamptz not null,
  primary key (partnership_id, code, version)
);

create table risk_signal (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  child_id uuid not null references child(id),
  rule_code text not null,
  rule_version integer not null,
  fingerprint text not null,
  entry_ids uuid[] not null,
  fired_at timestamptz not null,
  routed_to uuid[] not null default '{}',
  acknowledged_at timestamptz,
  acknowledged_by uuid references membership(id),
  response text,
  unique (partnership_id, child_id, rule_code, fingerprint)
);
create index risk_signal_open on risk_signal (partnership_id, acknowledged_at, fired_at);

-- the evaluator's watermark: entries recorded after it have not been looked at yet
create table signal_watermark (
  partnership_id uuid primary key references partnership(id),
  evaluated_through timestamptz not null
);
create index entry_recorded on entry (partnership_id, recorded_at);
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists entry_recorded; drop table if exists signal_watermark, risk_signal, signal_rule cascade`.execute(db)
}
