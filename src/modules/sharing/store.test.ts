// The sharing-decision store used by every capability that moves information: validation (each rule), the
// information-sharing agreement check, the decision row, its chronology entry and its audit row.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { it } from 'node:test'
import { describeApp } from '../../../test/support/app.ts'
import { membershipOf, pupilOf, PARTNERSHIP as P } from '../../../test/support/tac.ts'
import type { Actor } from '../../data/actor.ts'
import type { Role } from '../../access/policy.ts'
import { stableUuid } from '../../data/ids.ts'
import { checkAgainstAgreement, recordSharingDecision, SharingValidationError, GOLDEN_RULES, type SharingDecisionInput } from './store.ts'

const agency = (k: string) => stableUuid(`northshire:agency:${k}`)
const allRules = Object.fromEntries(GOLDEN_RULES.map((r) => [r.code, true]))

describeApp('the sharing decision store', (ctx) => {
  const db = () => ctx.s.t.db
  let childId: string
  async function actorOf(key: string): Promise<Actor> {
    const m = await db().selectFrom('membership').select(['id', 'practitioner_id', 'agency_id', 'team_id', 'role']).where('id', '=', membershipOf(key)).executeTakeFirstOrThrow()
    return { kind: 'practitioner', partnershipId: P, practitionerId: m.practitioner_id, membershipId: m.id, agencyId: m.agency_id, teamId: m.team_id, role: m.role as Role, requestId: 'test' }
  }
  const base = (over: Partial<SharingDecisionInput> = {}): SharingDecisionInput => ({
    childId,
    shared: true,
    what: 'The concern of 3 November and the attendance record',
    withAgencyIds: [agency('csc')],
    purpose: 'safeguarding',
    categories: ['safeguarding', 'education'],
    lawfulBasis: '6.1.e',
    specialCategory: false,
    consent: 'not_sought',
    consentReason: 'Telling the family would put the child at risk',
    goldenRules: allRules,
    reasons: 'Neglect concerns over several weeks',
    context: 'manual',
    ...over,
  })
  const record = async (key: string, input: SharingDecisionInput) => {
    const actor = await actorOf(key)
    const now = ctx.s.clock.now()
    return db().transaction().execute((trx) => recordSharingDecision(trx, actor, now, input))
  }
  const problems = async (key: string, input: SharingDecisionInput) => {
    try {
      await record(key, input)
    } catch (err) {
      if (err instanceof SharingValidationError) return err.fields.map((f) => f.path)
      throw err
    }
    assert.fail('expected a validation error')
  }

  it('records a decision to share: the row, one entry (team), one audit row', async () => {
    childId = await pupilOf(db(), 'brookside')
    const done = await record('dsl.brookside', base())
    assert.equal(done.withinAgreement, true)
    assert.equal(done.entryIds.length, 1)
    const row = await db().selectFrom('sharing_decision').selectAll().where('id', '=', done.id).executeTakeFirstOrThrow()
    assert.equal(row.partnership_id, P)
    assert.equal(row.author_agency_id, agency('brookside'))
    assert.equal(row.within_agreement, true)
    assert.equal(row.agreement_version, 1)
    assert.deepEqual(row.golden_rules, allRules)
    const entry = await db().selectFrom('entry').selectAll().where('id', '=', done.entryIds[0]!).executeTakeFirstOrThrow()
    assert.equal(entry.type, 'sharing_decision')
    assert.equal(entry.visibility, 'team')
    assert.equal(entry.detail_id, done.id)
    assert.match(entry.summary, /shared with Northshire Children's Social Care/)
    const audit = await db().selectFrom('audit_event').selectAll().where('entity_id', '=', done.id).execute()
    assert.equal(audit.length, 1)
    assert.equal(audit[0]!.action, 'sharing.decision.record')
  })

  it('every validation rule', async () => {
    assert.deepEqual(await problems('dsl.brookside', base({ shared: false, reasons: ' ' })), ['reasons'])
    assert.deepEqual(await problems('dsl.brookside', base({ specialCategory: true })), ['art9Condition'])
    assert.deepEqual(await problems('dsl.brookside', base({ consentReason: '' })), ['consentReason'])
    assert.deepEqual(await problems('dsl.brookside', base({ withAgencyIds: [agency('gp')], purpose: 'crime_prevention' })), ['outsideAgreementReason'])
    assert.deepEqual(await problems('dsl.brookside', base({ goldenRules: { child_protected: true } })), ['goldenRules'])
    assert.deepEqual(await problems('dsl.brookside', base({ withAgencyIds: [], withOther: null })), ['withAgencyIds'])
    assert.deepEqual(await problems('dsl.brookside', base({ purpose: 'gossip', lawfulBasis: '6.1.z' })), ['purpose', 'lawfulBasis'])
  })

  it('recipients and entries: not the own agency; only entries of this child the practitioner can see', async () => {
    assert.deepEqual(await problems('dsl.brookside', base({ withAgencyIds: [agency('brookside')] })), ['withAgencyIds'])
    const theirs = await db().selectFrom('entry').select('id').where('child_id', '!=', childId).executeTakeFirstOrThrow()
    assert.deepEqual(await problems('dsl.brookside', base({ entryIds: [theirs.id] })), ['entryIds'])
    // the first test's entry is this child's and the DSL's own
    const mine = await db().selectFrom('entry').select('id').where('child_id', '=', childId).where('author_membership_id', '=', membershipOf('dsl.brookside')).executeTakeFirstOrThrow()
    const done = await record('dsl.brookside', base({ entryIds: [mine.id] }))
    const row = await db().selectFrom('sharing_decision').select('entry_ids').where('id', '=', done.id).executeTakeFirstOrThrow()
    assert.deepEqual(row.entry_ids, [mine.id])
  })

  it('recipients are the partnership’s agencies whether shared or not, an id in capitals the same agency', async () => {
    // not shared: a recipient that is no agency is refused as when shared (it would read "an agency" for ever)
    assert.deepEqual(await problems('dsl.brookside', base({ shared: false, withAgencyIds: [randomUUID()], reasons: 'Not needed' })), ['withAgencyIds'])
    assert.deepEqual(await problems('dsl.brookside', base({ withAgencyIds: [randomUUID()] })), ['withAgencyIds'])
    // the own agency written in capitals is still the own agency
    assert.deepEqual(await problems('dsl.brookside', base({ shared: false, withAgencyIds: [agency('brookside').toUpperCase()], reasons: 'Not needed' })), ['withAgencyIds'])
    // another agency in capitals, and again in lower case: one recipient, stored as ids are
    const done = await record('dsl.brookside', base({ withAgencyIds: [agency('csc').toUpperCase(), agency('csc')] }))
    const row = await db().selectFrom('sharing_decision').select('with_agency_ids').where('id', '=', done.id).executeTakeFirstOrThrow()
    assert.deepEqual(row.with_agency_ids, [agency('csc')])
  })

  it('a caller that writes its own audit row passes audit: false; a decision not to share is an agency entry', async () => {
    const actor = await actorOf('police.mash')
    const now = ctx.s.clock.now()
    const done = await db().transaction().execute((trx) => recordSharingDecision(trx, actor, now, base({ shared: false, withAgencyIds: [agency('health')], reasons: 'Not relevant to their work with the child' }), { audit: false }))
    assert.equal(done.withinAgreement, null)
    assert.equal(done.auditRecord.action, 'sharing.decision.record')
    assert.equal((await db().selectFrom('audit_event').select('id').where('entity_id', '=', done.id).execute()).length, 0)
    const entry = await db().selectFrom('entry').selectAll().where('id', '=', done.entryIds[0]!).executeTakeFirstOrThrow()
    assert.equal(entry.visibility, 'agency')
    assert.equal(entry.source_agency_id, agency('police'))
  })

  it('the agreement check names what is not covered', async () => {
    const c = await db().transaction().execute((trx) => checkAgainstAgreement(trx, P, ctx.s.clock.now(), { fromAgencyId: agency('brookside'), withAgencyIds: [agency('police'), agency('csc')], withOther: 'A school in another county', purpose: 'referral' }))
    assert.equal(c.covered, false)
    assert.deepEqual(c.notCovered.map((n) => n.agencyId), [agency('police'), null])
  })
})
