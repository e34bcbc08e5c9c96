import { sql, type Kysely } from 'kysely'

// Passkeys (issue 6, scope 8; ASVS 6.3.3): WebAuthn credentials as a phishing-resistant second factor beside TOTP,
// required for information-governance officers and administrators. A passkey keeps only its public key, the
// signature counter (clone detection), and what the practitioner named it. A ceremony's challenge is kept on the
// server, tied to the session that asked for it, single use (deleted when spent) and short-lived. Sessions gain the
// state 'passkey_enrol': a practitioner whose role requires a passkey and who has none must add one before anything else.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
create table passkey (
  partnership_id uuid not null references partnership(id),
  id uuid not null,
  practitioner_id uuid not null references practitioner(id),
  credential_id text not null,
  public_key text not null,
  sign_count bigint not null default 0 check (sign_count >= 0),
  transports text[] not null default '{}',
  device_type text not null check (device_type in ('singleDevice','multiDevice')),
  backed_up boolean not null default false,
  name text not null check (length(btrim(name)) between 1 and 60),
  created_at timestamptz not null,
  last_used_at timestamptz,
  primary key (partnership_id, id),
  unique (partnership_id, credential_id)
);
create index passkey_practitioner on passkey (partnership_id, practitioner_id);

create table webauthn_challenge (
  partnership_id uuid not null references partnership(id),
  session_id_hash text not null references session(id_hash) on delete cascade,
  purpose text not null check (purpose in ('register','authenticate')),
  challenge text not null,
  expires_at timestamptz not null,
  primary key (partnership_id, session_id_hash, purpose)
);

alter table session drop constraint if exists session_state_check;
alter table session add constraint session_state_check check (state in ('mfa_enrol','mfa_challenge','passkey_enrol','active'));
`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
drop table if exists webauthn_challenge, passkey cascade;
update session set ended_at = coalesce(ended_at, now()), end_reason = coalesce(end_reason, 'migration'), state = 'mfa_challenge' where state = 'passkey_enrol';
alter table session drop constraint if exists session_state_check;
alter table session add constraint session_state_check check (state in ('mfa_enrol','mfa_challenge','active'));
`.execute(db)
}
