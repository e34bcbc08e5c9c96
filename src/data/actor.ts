import type { Role } from '../access/policy.ts'

/** The practitioner acting in one membership, resolved once per request (session → practitioner → membership). */
export interface Actor {
  kind: 'practitioner'
  partnershipId: string
  practitionerId: string
  membershipId: string
  agencyId: string
  teamId: string | null
  role: Role
  requestId: string
}

/** A job acting outside any one practitioner's scope (sealer, clocks, notifications, retention). */
export interface SystemActor {
  kind: 'system'
  partnershipId: string
  job: string
  requestId: string
}
