// Governance: an entry's visibility (narrowed with a reason, widened as a sharing decision), sealing and unsealing
// with two different people, the per-record access log ("who has seen this and why") and the partnership's
// unusual-access report, verified against the audit chain first.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { startTestApp, type TestApp } from '../../../test/support/app.ts'
import { testEngines } from '../../../test/support/db.ts'
import { membershipOf, PARTNERSHIP as P } from '../../../test/support/tac.ts'
import { loadConfig } from '../../platform/config.ts'
import { sealOnce } from '../../data/audit-seal.ts'
import { stableUuid } from '../../data/ids.ts'
import { GOLDEN_RULES } from '../sharing/codes.ts'
import { changeKind } from './visibility.ts'

const strip = (s: string) => s.replace(/nonce-[^'"]+|nonce="[^"]+"|value="[^"]*"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '')
const CSC = stableUuid('northshire:agency:csc')
const POLICE = stableUuid('northshire:agency:police')
const NORTH = stableUuid('northshire:team:csc:north')

describe('what widens an entry’s visibility', () => {
  const own = CSC
  const v = (visibility: 'agency' | 'team' | 'front_door' | 'restricted' | 'sealed', restrictedAgencyIds: string[] = [], restrictedRoles: string[] = []) => ({ visibility, restrictedAgencyIds, restrictedRoles })
  it('more people outside the authoring agency is a widening; fewer, or only the agency’s own, is not', () => {
    assert.equal(changeKind(v('agency'), v('team'), own), 'widen')
    assert.equal(changeKind(v('restricted', [POLICE]), v('team'), own), 'widen')
    assert.equal(changeKind(v('agency'), v('restricted', [POLICE]), own), 'widen')
    assert.equal(changeKind(v('restricted', [POLICE], ['police_officer']), v('restricted', [POLICE]), own), 'widen')
    assert.equal(changeKind(v('agency'), v('front_door'), own), 'widen')
    assert.equal(changeKind(v('team'), v('agency'), own), 'narrow')
    assert.equal(changeKind(v('team'), v('restricted', [POLICE]), own), 'narrow')
    assert.equal(changeKind(v('restricted', [POLICE]), v('restricted', [POLICE], ['police_officer']), own), 'narrow')
    assert.equal(changeKind(v('agency'), v('restricted', [own]), own), 'narrow')
    assert.equal(changeKind(v('front_door'), v('agency'), own), 'narrow')
  })
})

for (const engine of testEngines()) {
  describe(`governance: entry visibility, two-person sealing, access reports [${engine}]`, () => {
    const ctx = {} as { s: TestApp; dir: string; checkpointPath: string }
    before(async () => {
      ctx.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-governance-'))
      ctx.checkpointPath = path.join(ctx.dir, 'checkpoints.log')
      ctx.s = await startTestApp(engine, { config: { audit: { ...loadConfig().audit, checkpointPath: ctx.checkpointPath } } })
    })
    after(async () => {
      await ctx.s?.close()
      fs.rmSync(ctx.dir, { recursive: true, force: true })
    })
    const db = () => ctx.s.t.db
    let childId: string
    let entryId: string
    const entryOf = () => db().selectFrom('entry').selectAll().where('id', '=', entryId).executeTakeFirstOrThrow()
    const audits = (action: string) => db().selectFrom('audit_event').selectAll().where('action', '=', action).orderBy('id', 'desc').execute()
    const approvalsOf = () => db().selectFrom('approval_request').selectAll().where('subject_ids', '@>', sql<string[]>`array[${entryId}]::uuid[]`).orderBy('requested_at', 'desc').orderBy('row_version', 'desc').execute()
    const rel = (holder: string, type: 'team_member' | 'break_glass' | 'self_claimed' | 'allocated_worker', child = childId, at = new Date('2026-11-01T09:00:00Z'), ends: Date | null = null) =>
      db()
        .insertInto('relationship')
        .values({ id: randomUUID(), partnership_id: P, child_id: child, type, holder_agency_id: null, holder_team_id: null, holder_membership_id: membershipOf(holder), starts_at: at, ends_at: ends, source: 'test', reason: `Test ${type}`, created_by_membership_id: null, created_at: at })
        .returning('id')
        .executeTakeFirstOrThrow()

    /** Seals every committed audit row (repeated: on a shared PostgreSQL a round may take fewer). */
    async function sealAll() {
      const deadline = Date.now() + 15_000
      for (;;) {
        await sealOnce({ db: db(), clock: ctx.s.clock, hmacKey: ctx.s.config.audit.hmacKey, checkpointPath: ctx.checkpointPath })
        const left = await db().selectFrom('audit_event as a').select((eb) => eb.fn.countAll<number>().as('n')).where(({ not, exists, selectFrom }) => not(exists(selectFrom('audit_seal as s').select('s.audit_id').whereRef('s.audit_id', '=', 'a.id')))).executeTakeFirstOrThrow()
        if (Number(left.n) === 0 || Date.now() > deadline) return
        await new Promise((r) => setTimeout(r, 50))
      }
    }

    async function approve(agentKey: string, approvalId: string, decision: 'approve' | 'refuse', reason = '') {
      const a = await ctx.s.signIn(agentKey)
      const page = await a.get(`/approvals/${approvalId}`)
      const rowVersion = /name="rowVersion" value="(\d+)"/.exec(page.body)?.[1] ?? '1'
      return { agent: a, page, res: await a.post(`/approvals/${approvalId}/decide`, { decision, reason, rowVersion }) }
    }

    it('setup: an entry by the north team about a child allocated to its social worker; a police officer in the child’s team', async () => {
      const alloc = await db().selectFrom('relationship').select('child_id').where('type', '=', 'allocated_worker').where('holder_membership_id', '=', membershipOf('sw.north')).where('ends_at', 'is', null).orderBy('child_id').executeTakeFirstOrThrow()
      childId = alloc.child_id
      entryId = randomUUID()
      const at = new Date('2026-11-20T10:00:00Z')
      await db()
        .insertInto('entry')
        .values({ id: entryId, partnership_id: P, child_id: childId, type: 'home_visit', category: 'neglect', occurred_at: at, recorded_at: at, author_membership_id: membershipOf('sw.north'), author_team_id: NORTH, source_agency_id: CSC, significance: 'high', summary: 'Disclosure during the home visit: details held by the social worker.', visibility: 'team', addressed_to_membership_id: null, agency_record_id: null, supersedes_entry_id: null, detail_type: null, detail_id: null })
        .execute()
      await rel('police.missing', 'team_member')
      await rel('sw2.north', 'team_member')
      const police = await ctx.s.signIn('police.missing')
      assert.equal((await police.get(`/entries/${entryId}`)).statusCode, 200)
      assert.match((await police.get(`/children/${childId}/chronology`)).body, new RegExp(`/entries/${entryId}`))
    })

    it('the entry’s page: shown to those who may see the entry; otherwise the same 404 as an entry that does not exist', async () => {
      const sw = await ctx.s.signIn('sw.north')
      const page = await sw.get(`/entries/${entryId}`)
      assert.equal(page.statusCode, 200)
      assert.match(page.body, /Disclosure during the home visit/)
      assert.match(page.body, /Ask for it to be sealed/)
      assert.match(page.body, /Change who can see it/)
      const viewed = (await audits('entry.view'))[0]!
      assert.equal(viewed.outcome, 'success')
      assert.deepEqual(viewed.child_ids, [childId])
      assert.equal(viewed.entity_id, entryId)
      assert.ok(viewed.relationship_id, 'the view names the relationship that granted it')
      const south = await ctx.s.signIn('sw.south')
      const hidden = await south.get(`/entries/${entryId}`)
      const absent = await south.get(`/entries/${randomUUID()}`)
      assert.equal(hidden.statusCode, 404)
      assert.equal(absent.statusCode, 404)
      assert.equal(strip(hidden.body), strip(absent.body))
      assert.equal((await south.get('/entries/not-a-uuid')).statusCode, 404)
      // a police officer in the team sees it, but it is not their agency's to change, nor their team's to seal
      const police = await ctx.s.signIn('police.missing')
      const theirs = await police.get(`/entries/${entryId}`)
      assert.doesNotMatch(theirs.body, /Change who can see it|Ask for it to be sealed/)
      const refused = await police.post(`/entries/${entryId}/visibility`, { visibility: 'agency', reason: 'Trying' })
      assert.equal(refused.statusCode, 400)
      assert.match(refused.body, /Only the agency that recorded this entry can change who sees it/)
      assert.equal((await police.post(`/entries/${entryId}/seal`, { reason: 'Trying' })).statusCode, 400)
      assert.equal((await entryOf()).visibility, 'team')
      // a role without the permission: the same 404 (record routes hide existence)
      const teacher = await ctx.s.signIn('teacher.brookside')
      assert.equal((await teacher.post(`/entries/${entryId}/visibility`, { visibility: 'agency', reason: 'x' })).statusCode, 404)
    })

    it('narrowing needs only a reason, and is recorded as a change — not a silent update', async () => {
      const sw = await ctx.s.signIn('sw.north')
      await sw.get(`/entries/${entryId}`)
      const noReason = await sw.post(`/entries/${entryId}/visibility`, { visibility: 'agency', reason: '' })
      assert.equal(noReason.statusCode, 400)
      assert.match(noReason.body, /Give the reason for the change/)
      const same = await sw.post(`/entries/${entryId}/visibility`, { visibility: 'team', reason: 'No change' })
      assert.equal(same.statusCode, 400)
      assert.match(same.body, /already has this visibility/)
      const noAgency = await sw.post(`/entries/${entryId}/visibility`, { visibility: 'restricted', reason: 'Police only' })
      assert.match(noAgency.body, /Choose the agencies that may see the entry/)
      const res = await sw.post(`/entries/${entryId}/visibility`, { visibility: 'agency', reason: 'The disclosure names an adult: our agency only for now' })
      assert.equal(res.statusCode, 303, res.body.slice(0, 400))
      const e = await entryOf()
      assert.equal(e.visibility, 'agency')
      assert.match(e.summary, /Disclosure during the home visit/, 'the content is untouched')
      const [change] = await db().selectFrom('entry_visibility_change').selectAll().where('entry_id', '=', entryId).execute()
      assert.equal(change!.kind, 'narrow')
      assert.equal(change!.from_visibility, 'team')
      assert.equal(change!.to_visibility, 'agency')
      assert.equal(change!.changed_by, membershipOf('sw.north'))
      assert.equal(change!.sharing_decision_id, null)
      const [audit] = await audits('entry.visibility.narrow')
      assert.equal(audit!.outcome, 'success')
      assert.deepEqual(audit!.child_ids, [childId])
      // the police officer no longer sees it: not in the chronology, and the page is not found
      const police = await ctx.s.signIn('police.missing')
      assert.equal((await police.get(`/entries/${entryId}`)).statusCode, 404)
      assert.doesNotMatch((await police.get(`/children/${childId}/chronology`)).body, new RegExp(entryId))
      // an update that is not recorded as a change is refused by the database itself
      await assert.rejects(db().updateTable('entry').set({ visibility: 'team' }).where('id', '=', entryId).execute(), /immutable/)
      await assert.rejects(db().updateTable('entry').set({ summary: 'Rewritten' }).where('id', '=', entryId).execute(), /immutable/)
    })

    it('sealing needs two different people: the requester cannot approve, not even acting in another membership', async () => {
      const manager = await ctx.s.signIn('manager.north')
      await manager.get(`/entries/${entryId}`)
      const noReason = await manager.post(`/entries/${entryId}/seal`, { reason: ' ' })
      assert.equal(noReason.statusCode, 400)
      assert.match(noReason.body, /Give the reason for asking to seal the entry/)
      const asked = await manager.post(`/entries/${entryId}/seal`, { reason: 'Allegation against a relative who works in a partner agency' })
      assert.equal(asked.statusCode, 303, asked.body.slice(0, 400))
      assert.equal((await entryOf()).visibility, 'agency', 'nothing changes until a second person approves')
      const [request] = await approvalsOf()
      assert.equal(request!.kind, 'seal_entry')
      assert.equal(request!.state, 'requested')
      assert.equal(request!.requested_by, membershipOf('manager.north'))
      assert.equal(request!.requested_by_practitioner, stableUuid('northshire:practitioner:manager.north'))
      const [reqAudit] = await audits('entry.seal.request')
      assert.equal(reqAudit!.outcome, 'success')
      assert.equal(reqAudit!.entity_id, entryId)
      // the second people are told: information governance (and no one is told twice)
      const told = await db().selectFrom('notification').select('membership_id').where('kind', '=', 'approval.requested').where('subject_id', '=', request!.id).execute()
      assert.ok(told.some((n) => n.membership_id === membershipOf('ig')))
      assert.ok(!told.some((n) => n.membership_id === membershipOf('manager.north')), 'not the requester')
      // a second request for the same entry while one is open is refused
      const again = await manager.post(`/entries/${entryId}/seal`, { reason: 'Again' })
      assert.equal(again.statusCode, 400)
      // the open request and its reason show only to the one who asked and those who may decide it — not to the
      // entry's other viewers (its author here), whom the seal would hide it from
      const authorPage = await (await ctx.s.signIn('sw.north')).get(`/entries/${entryId}`)
      assert.equal(authorPage.statusCode, 200)
      assert.doesNotMatch(authorPage.body, /Allegation against a relative|Waiting for a second person/)
      assert.match((await manager.get(`/entries/${entryId}`)).body, /Waiting for a second person[\s\S]*Allegation against a relative who works in a partner agency/)
      assert.match((await (await ctx.s.signIn('ig')).get(`/approvals/${(await approvalsOf())[0]!.id}`)).body, /Allegation against a relative/)

      // the requester approving: refused, audited, nothing changes
      const self = await manager.get(`/approvals/${request!.id}`)
      assert.equal(self.statusCode, 200)
      assert.doesNotMatch(self.body, /Record your decision/)
      const selfRes = await manager.post(`/approvals/${request!.id}/decide`, { decision: 'approve', reason: '', rowVersion: '1' })
      assert.equal(selfRes.statusCode, 403)
      assert.match(selfRes.body, /a second person must decide it/)
      const [refusedAudit] = await audits('approval.approve')
      assert.equal(refusedAudit!.outcome, 'refused')
      assert.equal(refusedAudit!.entity_id, request!.id)

      // the same practitioner acting as information governance (a second membership): still refused
      const igMembership = randomUUID()
      await db().insertInto('membership').values({ id: igMembership, partnership_id: P, practitioner_id: stableUuid('northshire:practitioner:manager.north'), agency_id: CSC, team_id: stableUuid('northshire:team:csc:ig'), role: 'ig_officer', starts_at: new Date('2026-09-01T00:00:00Z'), ends_at: null, created_at: new Date('2026-09-01T00:00:00Z') }).execute()
      const twoHats = await ctx.s.signIn('manager.north')
      await twoHats.get('/account/role')
      assert.equal((await twoHats.post('/account/role', { membership: igMembership })).statusCode, 303)
      const asIg = await twoHats.get(`/approvals/${request!.id}`)
      assert.equal(asIg.statusCode, 200)
      assert.doesNotMatch(asIg.body, /Record your decision/)
      const asIgRes = await twoHats.post(`/approvals/${request!.id}/decide`, { decision: 'approve', reason: '', rowVersion: '1' })
      assert.equal(asIgRes.statusCode, 403)
      assert.equal((await approvalsOf())[0]!.state, 'requested')
      assert.equal((await entryOf()).visibility, 'agency')
      // and the database refuses it too, whatever the application does
      await assert.rejects(
        db().updateTable('approval_request').set({ state: 'approved', decided_by: igMembership, decided_at: new Date(), decided_by_practitioner: stableUuid('northshire:practitioner:ig') }).where('id', '=', request!.id).execute(),
        /approval_request_two_people/,
      )
      await db().updateTable('membership').set({ ends_at: new Date('2026-09-02T00:00:00Z') }).where('id', '=', igMembership).execute()

      // information governance (a different person) approves: sealed, recorded with the approval
      const { page, res } = await approve('ig', request!.id, 'approve')
      assert.equal(page.statusCode, 200)
      assert.doesNotMatch(page.body, /Disclosure during the home visit/, 'IG sees what the entry is, not what it says')
      assert.match(page.body, /Allegation against a relative/)
      assert.equal(res.statusCode, 303, res.body.slice(0, 400))
      assert.equal((await entryOf()).visibility, 'sealed')
      const decided = (await approvalsOf())[0]!
      assert.equal(decided.state, 'approved')
      assert.equal(decided.decided_by, membershipOf('ig'))
      const seal = await db().selectFrom('entry_visibility_change').selectAll().where('entry_id', '=', entryId).where('kind', '=', 'seal').executeTakeFirstOrThrow()
      assert.equal(seal.approval_id, request!.id)
      assert.equal(seal.from_visibility, 'agency')
      const [approved] = await audits('approval.approve')
      assert.equal(approved!.outcome, 'success')
      assert.deepEqual(approved!.child_ids, [childId])
      assert.equal((approved!.details as { state: string }).state, 'approved')
      assert.ok(await db().selectFrom('notification').select('id').where('kind', '=', 'approval.decided').where('membership_id', '=', membershipOf('manager.north')).executeTakeFirst())
      // decided once: deciding again is a conflict
      const late = await approve('ig', request!.id, 'refuse', 'Too late')
      assert.doesNotMatch(late.page.body, /Record your decision/)
      assert.equal(late.res.statusCode, 409, 'decided once: it cannot be decided again')
      assert.equal((await approvalsOf())[0]!.state, 'approved')
    })

    it('a sealed entry: its authoring team sees it; nobody else can tell it exists — lists, counts, API, page, access log', async () => {
      await rel('police.missing', 'team_member') // a standing reason to see the child (and `team` entries)
      // the north team (author, colleague with a relationship, manager) still sees it
      for (const key of ['sw.north', 'sw2.north']) {
        const a = await ctx.s.signIn(key)
        assert.equal((await a.get(`/entries/${entryId}`)).statusCode, 200, key)
        assert.match((await a.get(`/children/${childId}/chronology`)).body, new RegExp(entryId), key)
      }
      // the front door's manager and a police officer with a relationship: nothing
      const fdChild = await db().insertInto('relationship').values({ id: randomUUID(), partnership_id: P, child_id: childId, type: 'front_door_contact', holder_agency_id: null, holder_team_id: stableUuid('northshire:team:csc:front-door'), holder_membership_id: null, starts_at: new Date('2026-11-01T00:00:00Z'), ends_at: null, source: 'test', reason: 'Open contact', created_by_membership_id: null, created_at: new Date('2026-11-01T00:00:00Z') }).returning('id').executeTakeFirstOrThrow()
      assert.ok(fdChild)
      for (const key of ['police.missing', 'manager.frontdoor']) {
        const a = await ctx.s.signIn(key)
        const page = await a.get(`/entries/${entryId}`)
        assert.equal(page.statusCode, 404, key)
        assert.equal(strip(page.body), strip((await a.get(`/entries/${randomUUID()}`)).body))
        const chron = await a.get(`/children/${childId}/chronology`)
        assert.equal(chron.statusCode, 200)
        assert.doesNotMatch(chron.body, new RegExp(entryId))
        assert.doesNotMatch(chron.body, /Home visit/, `${key}: not even its type in the filter choices`)
        const api = await a.get(`/api/v1/children/${childId}/entries?limit=200`)
        const body = JSON.parse(api.body) as { data: { id: string }[]; meta: { total: number } }
        assert.ok(!body.data.some((x) => x.id === entryId))
        assert.equal(body.meta.total, body.data.length, 'the count does not include it')
        const csv = await a.get(`/children/${childId}/chronology.csv`)
        assert.doesNotMatch(csv.body, new RegExp(entryId))
      }
      // the front door's manager reads the access log: nothing about the sealed entry or its approval
      const fdm = await ctx.s.signIn('manager.frontdoor')
      const log = await fdm.get(`/children/${childId}/access-log?pageSize=200`)
      assert.equal(log.statusCode, 200)
      assert.doesNotMatch(log.body, /entry\.seal|approval\.|entry\.view|entry\.visibility/)
      // information governance sees every row
      const ig = await ctx.s.signIn('ig')
      const igLog = await ig.get(`/children/${childId}/access-log?pageSize=200`)
      assert.match(igLog.body, /approval\.approve/)
      // and the sealed entry's page stays closed to IG (no case content)
      assert.equal((await ig.get(`/entries/${entryId}`)).statusCode, 404)
    })

    it('a refused request leaves the entry sealed; the refusal needs a reason', async () => {
      const sw = await ctx.s.signIn('sw.north')
      await sw.get(`/entries/${entryId}`)
      assert.equal((await sw.post(`/entries/${entryId}/unseal`, { reason: 'The allegation has been investigated' })).statusCode, 303)
      const [request] = await approvalsOf()
      assert.equal(request!.kind, 'unseal_entry')
      // a manager of another team cannot see the request at all
      const south = await ctx.s.signIn('manager.south')
      assert.equal((await south.get(`/approvals/${request!.id}`)).statusCode, 404)
      assert.equal((await south.post(`/approvals/${request!.id}/decide`, { decision: 'approve', rowVersion: '1' })).statusCode, 404)
      const noReason = await approve('manager.north', request!.id, 'refuse', '')
      assert.equal(noReason.res.statusCode, 400)
      assert.match(noReason.res.body, /Give the reason for refusing/)
      const { res } = await approve('manager.north', request!.id, 'refuse', 'The investigation has not concluded')
      assert.equal(res.statusCode, 303, res.body.slice(0, 400))
      assert.equal((await approvalsOf())[0]!.state, 'refused')
      assert.equal((await entryOf()).visibility, 'sealed')
      const [audit] = await audits('approval.refuse')
      assert.equal(audit!.outcome, 'success')
    })

    it('a withdrawn request: only its requester withdraws it; a stale decision is a conflict', async () => {
      const sw = await ctx.s.signIn('sw.north')
      await sw.get(`/entries/${entryId}`)
      assert.equal((await sw.post(`/entries/${entryId}/unseal`, { reason: 'Asked too soon?' })).statusCode, 303)
      const [request] = await approvalsOf()
      const list = await (await ctx.s.signIn('manager.north')).get('/approvals')
      assert.match(list.body, new RegExp(request!.id), 'the manager sees it waiting')
      const other = await ctx.s.signIn('sw2.north')
      assert.equal((await other.post(`/approvals/${request!.id}/withdraw`, { rowVersion: '1' })).statusCode, 404)
      const page = await sw.get(`/approvals/${request!.id}`)
      assert.match(page.body, /Withdraw the request/)
      assert.equal((await sw.post(`/approvals/${request!.id}/withdraw`, { rowVersion: '1' })).statusCode, 303)
      assert.equal((await approvalsOf())[0]!.state, 'withdrawn')
      const [audit] = await audits('approval.withdraw')
      assert.equal(audit!.outcome, 'success')
      const stale = await approve('manager.north', request!.id, 'approve')
      assert.equal(stale.res.statusCode, 409, 'a withdrawn request cannot be decided')
      assert.equal((await entryOf()).visibility, 'sealed')
    })

    it('unsealing, approved by the team’s manager, restores the visibility the entry had before its seal', async () => {
      const sw = await ctx.s.signIn('sw.north')
      await sw.get(`/entries/${entryId}`)
      assert.equal((await sw.post(`/entries/${entryId}/unseal`, { reason: 'The investigation has concluded' })).statusCode, 303)
      const [request] = await approvalsOf()
      const { res } = await approve('manager.north', request!.id, 'approve')
      assert.equal(res.statusCode, 303, res.body.slice(0, 400))
      assert.equal((await entryOf()).visibility, 'agency', 'as before the seal, not the default')
      const changes = await db().selectFrom('entry_visibility_change').select(['kind', 'from_visibility', 'to_visibility', 'approval_id']).where('entry_id', '=', entryId).orderBy('changed_at').orderBy('kind').execute()
      assert.deepEqual(changes.map((c) => c.kind).sort(), ['narrow', 'seal', 'unseal'])
      const unseal = changes.find((c) => c.kind === 'unseal')!
      assert.equal(unseal.approval_id, request!.id)
      assert.equal(unseal.to_visibility, 'agency')
      const history = await sw.get(`/entries/${entryId}`)
      assert.match(history.body, /Unsealed/)
      assert.match(history.body, /Sealed/)
    })

    it('widening from the entry’s page is a sharing decision, recorded with the change', async () => {
      const sw = await ctx.s.signIn('sw.north')
      await sw.get(`/entries/${entryId}`)
      const step1 = await sw.post(`/entries/${entryId}/visibility`, { visibility: 'team', reason: 'The team around the child needs this to keep her safe' })
      assert.equal(step1.statusCode, 200)
      assert.match(step1.body, /Record the sharing decision/)
      assert.equal((await entryOf()).visibility, 'agency', 'not widened before the decision is recorded')
      const sharing = { step: 'sharing', visibility: 'team', reason: 'The team around the child needs this to keep her safe', purpose: 'safeguarding', lawfulBasis: '6.1.e', specialCategory: 'no', consent: 'not_sought', consentReason: 'Asking would alert the adult named', goldenRules: GOLDEN_RULES.map((g) => g.code), outsideAgreementReason: 'Protecting the child' }
      const bad = await sw.post(`/entries/${entryId}/visibility`, { ...sharing, lawfulBasis: '', goldenRules: [] })
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /Choose the lawful basis/)
      assert.match(bad.body, /golden rules/)
      assert.equal((await entryOf()).visibility, 'agency')
      assert.equal((await db().selectFrom('sharing_decision').select('id').where('child_id', '=', childId).where('context', '=', 'visibility_change').execute()).length, 0)
      // an answer sent twice (a hand-made request) is refused, on the sharing step, never read as another answer:
      // specialCategory=yes&specialCategory=yes was recorded as not special-category
      const twice = await sw.post(`/entries/${entryId}/visibility`, { ...sharing, specialCategory: ['yes', 'yes'] })
      assert.equal(twice.statusCode, 400)
      assert.match(twice.body, /This answer was sent more than once: enter it once/)
      assert.match(twice.body, /Record the sharing decision/)
      assert.equal((await entryOf()).visibility, 'agency')
      assert.equal((await db().selectFrom('sharing_decision').select('id').where('child_id', '=', childId).where('context', '=', 'visibility_change').execute()).length, 0)
      const done = await sw.post(`/entries/${entryId}/visibility`, sharing)
      assert.equal(done.statusCode, 303, done.body.slice(0, 600))
      assert.equal((await entryOf()).visibility, 'team')
      const change = await db().selectFrom('entry_visibility_change').selectAll().where('entry_id', '=', entryId).where('kind', '=', 'widen').executeTakeFirstOrThrow()
      assert.ok(change.sharing_decision_id)
      const decision = await db().selectFrom('sharing_decision').selectAll().where('id', '=', change.sharing_decision_id).executeTakeFirstOrThrow()
      assert.equal(decision.context, 'visibility_change')
      assert.equal(decision.context_id, change.id)
      assert.equal(decision.shared, true)
      assert.deepEqual(decision.entry_ids, [entryId])
      assert.ok(decision.with_agency_ids.includes(POLICE), 'the police, who work with the child, now see it')
      assert.ok(!decision.with_agency_ids.includes(CSC))
      const [audit] = await audits('entry.visibility.widen')
      assert.equal(audit!.outcome, 'success')
      assert.equal((audit!.details as { sharingDecision: string }).sharingDecision, decision.id)
      assert.equal((await audits('sharing.decision.record')).filter((a) => a.request_id === audit!.request_id).length, 0, 'one audit row for the request')
      const police = await ctx.s.signIn('police.missing')
      assert.equal((await police.get(`/entries/${entryId}`)).statusCode, 200)
    })

    it('the access log: who, role, agency, when, what, and which relationship let them; by date range, a page at a time', async () => {
      // enough looks to need more than one page
      const at = new Date(ctx.s.clock.now().getTime() - 86_400_000)
      await db()
        .insertInto('audit_event')
        .values(Array.from({ length: 60 }, (_, i) => ({ partnership_id: P, at: new Date(at.getTime() + i * 1000), actor_kind: 'practitioner' as const, actor_practitioner_id: stableUuid('northshire:practitioner:sw.north'), actor_membership_id: membershipOf('sw.north'), action: 'child.view', entity_type: 'child', entity_id: childId, child_ids: [childId], relationship_id: null, outcome: 'success' as const, request_id: `paging-${i}`, details: '{}' as unknown as Record<string, unknown> })))
        .execute()
      const manager = await ctx.s.signIn('manager.north')
      const log = await manager.get(`/children/${childId}/access-log?pageSize=200`)
      assert.equal(log.statusCode, 200)
      assert.match(log.body, /Ben Carter/)
      assert.match(log.body, /Social worker/)
      assert.match(log.body, /Northshire Children&#39;s Social Care|Northshire Children's Social Care/)
      assert.match(log.body, /Allocated worker/)
      assert.match(log.body, /Allocated by the team manager/, 'the relationship’s reason')
      assert.match(log.body, /Member of the team around the child/)
      const [audit] = await audits('audit.access-log')
      assert.equal(audit!.outcome, 'success')
      assert.deepEqual(audit!.child_ids, [childId])
      // a date range with nothing in it
      const empty = await manager.get(`/children/${childId}/access-log?from=2026-01-01&to=2026-01-31`)
      assert.equal(empty.statusCode, 200)
      assert.match(empty.body, /0 looks between/)
      const bad = await manager.get(`/children/${childId}/access-log?from=2026-13-45`)
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /Enter the “from” date as YYYY-MM-DD/)
      const backwards = await manager.get(`/children/${childId}/access-log?from=2026-11-30&to=2026-11-01`)
      assert.equal(backwards.statusCode, 400)
      // pages of 50
      const total = Number(/(\d+) looks/.exec(log.body)?.[1])
      assert.ok(total > 50, `enough rows to page (${total})`)
      assert.match((await manager.get(`/children/${childId}/access-log`)).body, /page 1 of \d+/)
      const p2 = await manager.get(`/children/${childId}/access-log?page=2`)
      assert.equal(p2.statusCode, 200)
      assert.match(p2.body, /page 2 of/)
      // out of reach: the same 404 as a record that does not exist
      const south = await ctx.s.signIn('manager.south')
      const hidden = await south.get(`/children/${childId}/access-log`)
      assert.equal(hidden.statusCode, 404)
      assert.equal(strip(hidden.body), strip((await south.get(`/children/${randomUUID()}/access-log`)).body))
    })

    it('the unusual-access report: counts from the audit, the chain verified first, reading it audited', async () => {
      // a known world: a child nobody else touches, looked at through break-glass, a self-claim and no relationship;
      // one bulk list of 60 children and a practitioner who sees 120 different children in a day
      const now = ctx.s.clock.now()
      const lone = randomUUID()
      await db().insertInto('child').values({ id: lone, partnership_id: P, given_name: 'Report', family_name: 'Child', date_of_birth: '2015-02-02', expected_date_of_birth: null, sex: 'female', nhs_number: null, upn: null, ethnicity: null, first_language: null, disability: null, created_at: now }).execute()
      const bg = await rel('police.mash', 'break_glass', lone, new Date(now.getTime() - 3_600_000), new Date(now.getTime() + 3_600_000))
      const sc = await rel('nurse', 'self_claimed', lone, new Date(now.getTime() - 3_600_000))
      const row = (key: string, action: string, childIds: string[], relationshipId: string | null = null) => ({
        partnership_id: P,
        at: new Date(now.getTime() - 60_000),
        actor_kind: 'practitioner' as const,
        actor_practitioner_id: stableUuid(`northshire:practitioner:${key}`),
        actor_membership_id: membershipOf(key),
        action,
        entity_type: 'child',
        entity_id: childIds[0] ?? null,
        child_ids: childIds,
        relationship_id: relationshipId,
        outcome: 'success' as const,
        request_id: `report-test-${randomUUID()}`,
        details: '{}' as unknown as Record<string, unknown>,
      })
      const many = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => stableUuid(`northshire:child:${i + offset}`))
      await db()
        .insertInto('audit_event')
        .values([
          row('police.mash', 'child.view', [lone], bg.id),
          row('police.mash', 'chronology.view', [lone], bg.id),
          row('nurse', 'child.view', [lone], sc.id),
          row('gp', 'child.view', [lone]), // no relationship at all
          row('dsl.academy', 'child.list', many(60)),
          row('frontdoor2', 'child.search', many(60, 60)),
          row('frontdoor2', 'child.search', many(60, 100)),
        ])
        .execute()
      await sealAll()
      const ig = await ctx.s.signIn('ig')
      await sealAll()
      const res = await ig.get('/governance/access-report')
      assert.equal(res.statusCode, 200, res.body.slice(0, 600))
      assert.match(res.body, /The audit chain is intact/)
      const body = res.body
      // break-glass: DC Mark Evans, one granted, two looks through it
      assert.match(body, /DC Mark Evans[\s\S]*?<td class="govuk-table__cell govuk-table__cell--numeric">1<\/td><td class="govuk-table__cell govuk-table__cell--numeric">1<\/td><td class="govuk-table__cell govuk-table__cell--numeric">2<\/td>/)
      // looks without a standing relationship: 2 through break-glass, 1 self-claimed, and the GP's with none
      const w = /(\d+) looks? at one child’s record[^(]*\((\d+)\)[^(]*\((\d+)\)[^(]*\((\d+)\)/.exec(body)
      assert.ok(w, 'the summary line')
      assert.ok(Number(w[2]) >= 2 && Number(w[3]) >= 1 && Number(w[4]) >= 1, w[0])
      assert.match(body, /Dr Simon Wright[\s\S]*?Report Child[\s\S]*?No relationship at the time/)
      assert.match(body, /Claire Dawson[\s\S]*?Report Child[\s\S]*?Self-claimed relationship/)
      // bulk: the list of 60, and 120 different children in a day for the front door worker
      assert.match(body, /Fatima Khan[\s\S]*?child\.list[\s\S]*?>60</)
      assert.match(body, /Marcus Reid[\s\S]*?23 November 2026[\s\S]*?>100</)
      const [audit] = await audits('audit.access-report')
      assert.equal(audit!.outcome, 'success')
      assert.equal((audit!.details as { chainOk: boolean }).chainOk, true)
      assert.ok(audit!.child_ids.includes(lone))
      // thresholds are the partnership's settings
      await db().insertInto('partnership_setting').values({ partnership_id: P, key: 'access_report.bulk_per_day', value: JSON.stringify(200) as unknown as number, updated_at: now, updated_by: null }).execute()
      const fewer = await ig.get('/governance/access-report')
      assert.doesNotMatch(fewer.body, /Marcus Reid[\s\S]*?23 November 2026[\s\S]*?>100</)
      assert.match(fewer.body, /200 or more different children/)
      // only information governance
      const manager = await ctx.s.signIn('manager.north')
      assert.equal((await manager.get('/governance/access-report')).statusCode, 403)
      const bad = await ig.get('/governance/access-report?from=yesterday')
      assert.equal(bad.statusCode, 400)
      assert.match(bad.body, /Enter the “from” date as YYYY-MM-DD/)
    })

    it('a tampered audit row: the report says so, names the first bad row, and withholds the figures; the access log flags it', async () => {
      await sealAll()
      const target = await db().selectFrom('audit_event').select('id').where('action', '=', 'audit.access-log').where('child_ids', '@>', sql<string[]>`array[${childId}]::uuid[]`).orderBy('id').executeTakeFirstOrThrow()
      await ctx.s.t.privileged(async (pdb) => {
        await sql`set session_replication_role = replica`.execute(pdb)
        try {
          await sql`update audit_event set action = 'nothing.to.see' where id = ${target.id}`.execute(pdb)
        } finally {
          await sql`set session_replication_role = origin`.execute(pdb)
        }
      })
      const ig = await ctx.s.signIn('ig')
      await sealAll()
      const res = await ig.get('/governance/access-report?from=2026-01-01')
      assert.equal(res.statusCode, 200)
      assert.match(res.body, /The audit chain failed verification: these figures cannot be trusted/)
      assert.match(res.body, new RegExp(`audit row ${target.id}, seal \\d+`))
      assert.doesNotMatch(res.body, /<h2 class="govuk-heading-m">Break-glass|DC Mark Evans|Report Child/, 'no figures presented as if they were sound')
      assert.match(res.body, /Show the unverified figures anyway/)
      const [audit] = await audits('audit.access-report')
      const details = audit!.details as { chainOk: boolean; firstBad: { auditId: number } }
      assert.equal(details.chainOk, false)
      assert.equal(details.firstBad.auditId, Number(target.id))
      const anyway = await ig.get('/governance/access-report?from=2026-01-01&unverified=1')
      assert.match(anyway.body, /Unverified figures/)
      assert.match(anyway.body, /Break-glass \(unverified\)/)
      // the per-record log flags the changed row among those it shows
      const log = await ig.get(`/children/${childId}/access-log`)
      let found = /Changed since sealed/.test(log.body)
      for (let page = 2; !found && page <= 10; page++) found = /Changed since sealed/.test((await ig.get(`/children/${childId}/access-log?page=${page}`)).body)
      assert.ok(found, 'the changed row is flagged')
    })
  })
}
