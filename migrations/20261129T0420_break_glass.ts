import { sql, type Kysely } from 'kysely'

// Break-glass and self-claimed relationships (issue 6, scope 3; security requirements 5 and 6; ASVS 7.5.3): every
// request for emergency access, and every claim "I work with this child", is a row in the information-governance
// review queue — whether or not a child was found, so that trying identifiers is itself accountable. The row keeps
// what IG needs and no more: which kind of identifiers were used and a keyed hash of them (repeated attempts with the
// same identifiers can be seen without keeping the identifiers), the child only when one was found, the reason, the
// window, and the review: outcome, notes, reviewer. Each decision is also kept in its own row (a follow-up and a later
// final outcome both stay), and the relationship it granted can be ended early by the reviewer.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table access_review (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  kind text not null check (kind in ('break_glass','self_claimed')),
  membership_id uuid not null references membership(id),
  relationship_id uuid references relationship(id),
  child_id uuid references child(id),
  identifier_kind text not null check (identifier_kind in ('nhs_number','name_and_dob','identity_index')),
  identifier_hash text not null,
  reason text not null check (length(btrim(reason)) >= 20),
  requested_at timestamptz not null,
  expires_at timestamptz,
  outcome text check (outcome in ('appropriate','inappropriate','needs_follow_up')),
  reviewer_membership_id uuid references membership(id),
  review_notes text,
  reviewed_at timestamptz,
  ended_at timestamptz,
  ended_by uuid references membership(id),
  row_version integer not null default 1,
  check ((child_id is null) = (relationship_id is null)),
  check ((child_id is null) = (expires_at is null)),
  check ((outcome is null) = (reviewed_at is null))
);
create index access_review_queue on access_review (partnership_id, requested_at) where outcome is null or outcome = 'needs_follow_up';
create index access_review_reviewed on access_review (partnership_id, reviewed_at desc) where outcome in ('appropriate','inappropriate');
create index access_review_membership on access_review (partnership_id, membership_id, requested_at);

create table access_review_decision (
  id uuid primary key,
  partnership_id uuid not null references partnership(id),
  review_id uuid not null references access_review(id),
  outcome text not null check (outcome in ('appropriate','inappropriate','needs_follow_up')),
  notes text not null default '',
  ended_access boolean not null default false,
  decided_by uuid not null references membership(id),
  decided_at timestamptz not null
);
create index access_review_decision_review on access_review_decision (partnership_id, review_id, decided_at);
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists access_review_decision, access_review cascade;`.execute(db)
}
