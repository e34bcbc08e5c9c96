// Property test: for random children, relationships and entries, the chronology a practitioner gets from the
// database is exactly the set an independent model of the rules allows — never an entry outside their
// entitlement, never one missing. The model reads the reach table (src/access/policy.ts) and the visibility labels
// of domain-model.md; the database applies the compiled SQL predicates. Every way entries are read is checked
// against the same model — the chronology (its page, counts and filter choices), the child page's latest entries
// and count, and the API's entry list and total — so a sealed entry's existence shows nowhere outside its
// authoring team (not even to its author or addressee outside that team).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import fc from 'fast-check'
import { describeEachEngine } from '../../../test/support/db.ts'
import { FakeClock } from '../../platform/clock.ts'
import { REACH, type Role } from '../../access/policy.ts'
import { dataAccess } from '../../data/index.ts'
import { seedDemo, demoPractitioners } from '../../data/seed.ts'
import { stableUuid } from '../../data/ids.ts'
import type { Actor } from '../../data/actor.ts'
import type { RelationshipType } from '../../data/schema.ts'

const P = stableUuid('partnership:northshire')
const NOW = new Date('2026-11-23T10:00:00Z')
const VISIBILITIES = ['agency', 'team', 'front_door', 'restricted', 'sealed'] as const
type Visibility = (typeof VISIBILITIES)[number]
const REL_TYPES: RelationshipType[] = ['pupil_at', 'agency_record', 'allocated_worker', 'front_door_contact', 'team_member', 'break_glass', 'self_claimed']

interface World {
  rels: { type: RelationshipType; current: boolean }[]
  entries: {
    visibility: Visibility
    sourceIsMine: boolean
    authorIsMe: boolean
    addressedToMe: boolean
    authorTeamIsMine: boolean
    restrictedToMyAgency: boolean
    restrictedRoles: 'none' | 'mine' | 'other'
  }[]
}

const world = fc.record({
  rels: fc.array(fc.record({ type: fc.constantFrom(...REL_TYPES), current: fc.boolean() }), { maxLength: 4 }),
  entries: fc.array(
    fc.record({
      visibility: fc.constantFrom(...VISIBILITIES),
      sourceIsMine: fc.boolean(),
      authorIsMe: fc.boolean(),
      addressedToMe: fc.boolean(),
      authorTeamIsMine: fc.boolean(),
      restrictedToMyAgency: fc.boolean(),
      restrictedRoles: fc.constantFrom('none' as const, 'mine' as const, 'other' as const),
    }),
    { minLength: 1, maxLength: 10 },
  ),
})

/** The rules, restated: which of the world's entries may this role see? */
function model(role: Role, hasTeam: boolean, w: World): boolean[] {
  const reach = REACH[role]
  const current = w.rels.filter((r) => r.current).map((r) => r.type)
  // front_door_contact is held by a team: only a member of a team can hold it
  const reaching = current.filter((t) => t === 'break_glass' || ((reach.through as readonly string[]).includes(t) && (t !== 'front_door_contact' || hasTeam)))
  const anyRel = reaching.length > 0
  const breakGlass = reaching.includes('break_glass')
  const allocated = reaching.includes('allocated_worker')
  return w.entries.map((e) => {
    if (!anyRel) return false
    // sealed: the authoring team only — its existence hidden from everyone else, whoever wrote it or was addressed
    if (e.visibility !== 'sealed' && (e.authorIsMe || e.addressedToMe)) return true
    switch (e.visibility) {
      case 'team':
        return reach.entries.team || breakGlass
      case 'agency':
        return reach.entries.ownAgency && e.sourceIsMine
      case 'front_door':
        return reach.entries.frontDoor === 'always' || (reach.entries.frontDoor === 'when-allocated' && allocated)
      case 'restricted':
        return reach.entries.restrictedIfNamed && e.restrictedToMyAgency && e.restrictedRoles !== 'other'
      case 'sealed':
        return hasTeam && e.authorTeamIsMine
    }
  })
}

describeEachEngine('chronology visibility, property-tested against a model of the rules', (ctx) => {
  const clock = new FakeClock(NOW.toISOString())
  const people = demoPractitioners()
  // "someone else" is always another agency, team and person than the viewer's own
  const others = [
    { agency: stableUuid('northshire:agency:stannes'), team: stableUuid('northshire:team:stannes:safeguarding'), membership: stableUuid('northshire:membership:dsl.stannes:0') },
    { agency: stableUuid('northshire:agency:academy'), team: stableUuid('northshire:team:academy:safeguarding'), membership: stableUuid('northshire:membership:dsl.academy:0') },
  ]

  it('seeds', async () => {
    await seedDemo(ctx.t.db, { children: 10 })
  })

  // one demo practitioner per case role, acting in their first membership
  const viewers = people.filter((p, i) => REACH[p.memberships[0]!.role as Role].identity && people.findIndex((q) => q.memberships[0]!.role === p.memberships[0]!.role) === i)

  for (const person of viewers) {
    const role = person.memberships[0]!.role as Role
    it(`${role}: sees exactly the entries the rules allow`, async () => {
      const m = await ctx.t.db.selectFrom('membership').select(['id', 'agency_id', 'team_id', 'practitioner_id']).where('id', '=', stableUuid(`northshire:membership:${person.key}:0`)).executeTakeFirstOrThrow()
      const actor: Actor = { kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role, requestId: 'property' }
      const data = dataAccess(ctx.t.database, clock)
      const other = others.find((o) => o.agency !== m.agency_id && o.team !== m.team_id && o.membership !== m.id)!
      const [otherAgency, otherTeam, otherMembership] = [other.agency, other.team, other.membership]
      await fc.assert(
        fc.asyncProperty(world, async (w) => {
          const childId = randomUUID()
          await ctx.t.db.insertInto('child').values({ id: childId, partnership_id: P, given_name: 'Property', family_name: role, date_of_birth: '2016-03-03', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: NOW }).execute()
          for (const r of w.rels) {
            const holder =
              r.type === 'pupil_at' || r.type === 'agency_record'
                ? { holder_agency_id: m.agency_id, holder_team_id: null, holder_membership_id: null }
                : r.type === 'front_door_contact'
                  ? m.team_id
                    ? { holder_agency_id: null, holder_team_id: m.team_id, holder_membership_id: null }
                    : null
                  : { holder_agency_id: null, holder_team_id: null, holder_membership_id: m.id }
            if (!holder) continue
            await ctx.t.db
              .insertInto('relationship')
              .values({ id: randomUUID(), partnership_id: P, child_id: childId, type: r.type, ...holder, starts_at: new Date(NOW.getTime() - 86_400_000), ends_at: r.current ? null : new Date(NOW.getTime() - 3_600_000), source: 'property', reason: 'property', created_by_membership_id: null, created_at: NOW })
              .execute()
          }
          const ids = w.entries.map(() => randomUUID())
          await ctx.t.db
            .insertInto('entry')
            .values(
              w.entries.map((e, i) => ({
                id: ids[i]!,
                partnership_id: P,
                child_id: childId,
                // a type, category and agency that only this label's entries have: a filter choice or a count that
                // came from an entry the viewer may not see would show
                type: `incident_${e.visibility}`,
                category: `category_${e.visibility}`,
                occurred_at: new Date(NOW.getTime() - (i + 1) * 86_400_000),
                recorded_at: NOW,
                author_membership_id: e.authorIsMe ? m.id : otherMembership,
                author_team_id: e.authorTeamIsMine && m.team_id ? m.team_id : otherTeam,
                source_agency_id: e.sourceIsMine ? m.agency_id : otherAgency,
                significance: 'high' as const,
                summary: `Property entry ${i}`,
                visibility: e.visibility,
                restricted_agency_ids: e.restrictedToMyAgency ? [m.agency_id] : [otherAgency],
                restricted_roles: e.restrictedRoles === 'none' ? [] : e.restrictedRoles === 'mine' ? [role] : [role === 'gp' ? 'dsl' : 'gp'],
                addressed_to_membership_id: e.addressedToMe ? m.id : null,
              })),
            )
            .execute()
          const allowed = model(role, Boolean(m.team_id), w)
          const expected = ids.filter((_, i) => allowed[i])
          const visibleEntries = w.entries.filter((_, i) => allowed[i])
          const repos = data.forActor(actor)
          const got = await repos.chronology.read(childId, { all: true })
          const seen = got ? got.entries.map((e) => e.id).sort() : []
          // no reaching relationship: the child itself is not found, and so nothing is seen
          assert.deepEqual(seen, [...expected].sort())
          if (got) {
            // counts and filter choices come from what the viewer may see, and nothing else
            assert.equal(got.total, expected.length)
            assert.equal(got.significant, expected.length)
            assert.deepEqual(got.types, [...new Set(visibleEntries.map((e) => `incident_${e.visibility}`))].sort())
            assert.deepEqual(got.categories, [...new Set(visibleEntries.map((e) => `category_${e.visibility}`))].sort())
            assert.deepEqual(got.agencies.map((a) => a.id).sort(), [...new Set(visibleEntries.map((e) => (e.sourceIsMine ? m.agency_id : otherAgency)))].sort())
            const filtered = await repos.chronology.read(childId, { all: true, filter: { type: 'incident_sealed' } })
            assert.deepEqual(filtered!.entries.map((e) => e.id).sort(), ids.filter((_, i) => allowed[i] && w.entries[i]!.visibility === 'sealed').sort())
          }
          // the API's list of entries and its total (what /api/v1/children/:id/entries returns)
          const api = await repos.entries.forChild(childId, { limit: 200 })
          assert.equal(Boolean(api), Boolean(got), 'the API finds the child exactly when the chronology does')
          if (api) {
            assert.deepEqual(api.entries.map((e) => e.id).sort(), [...expected].sort())
            assert.equal(api.total, expected.length)
          }
          // the child's page: the latest entries and how many there are
          const page = await repos.children.page(childId, { entries: 50 })
          if (page) {
            assert.deepEqual(page.entries.map((e) => e.id).sort(), [...expected].sort())
            assert.equal(page.total, expected.length)
          }
        }),
        { numRuns: 40, seed: 20261128 },
      )
    })
  }
})
