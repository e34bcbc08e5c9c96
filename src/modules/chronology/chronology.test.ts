import assert from 'node:assert/strict'
import { it } from 'node:test'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import { describeApp } from '../../../test/support/app.ts'
import { assertPdfUndelivered, assertPdfUnavailable, pdfText } from '../../../test/support/pdf.ts'
import { stableUuid } from '../../data/ids.ts'
import { EXPORT_LIMIT, PAGE_SIZE } from './repository.ts'

const id = (k: string) => stableUuid(`northshire:${k}`)

describeApp('the merged chronology', (ctx) => {
  let childId: string
  let siblingId: string

  it('setup: a Brookside pupil with a sibling, and 120 entries from three agencies with mixed visibility', async () => {
    const rows = await ctx.s.t.db
      .selectFrom('family_member as f')
      .innerJoin('relationship as r1', (j) => j.onRef('r1.child_id', '=', 'f.child_id').on('r1.type', '=', 'pupil_at').on('r1.holder_agency_id', '=', id('agency:brookside')))
      .innerJoin('relationship as r2', (j) => j.onRef('r2.child_id', '=', 'f.related_child_id').on('r2.type', '=', 'pupil_at').on('r2.holder_agency_id', '=', id('agency:brookside')))
      .select(['f.child_id', 'f.related_child_id'])
      .executeTakeFirstOrThrow()
    childId = rows.child_id
    siblingId = rows.related_child_id!
    const agencies = [id('agency:brookside'), id('agency:police'), id('agency:health')]
    const vis = ['team', 'agency', 'restricted', 'sealed', 'front_door', 'team', 'team'] as const
    await ctx.s.t.db
      .insertInto('entry')
      .values(
        Array.from({ length: 120 }, (_, i) => ({
          id: randomUUID(),
          partnership_id: stableUuid('partnership:northshire'),
          child_id: childId,
          type: i % 3 === 0 ? 'incident' : 'health_attendance',
          category: i % 2 ? 'neglect' : 'domestic_abuse',
          occurred_at: new Date(Date.UTC(2026, 0, 1) + i * 86_400_000),
          recorded_at: new Date(Date.UTC(2026, 0, 1) + i * 86_400_000),
          author_membership_id: null,
          author_team_id: null,
          source_agency_id: agencies[i % 3]!,
          significance: i % 4 === 0 ? ('high' as const) : ('low' as const),
          summary: `Entry ${i} =cmd|' /C calc'!A0`,
          visibility: vis[i % 7]!,
          restricted_agency_ids: i % 7 === 2 ? [id('agency:police')] : [],
        })),
      )
      .execute()
  })

  it('a DSL sees team entries and their own school’s agency entries only — never sealed or front-door ones; paged by 50', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/children/${childId}/chronology`)
    assert.equal(page.statusCode, 200)
    const api = await ctx.s.t.db.selectFrom('entry').select(['visibility', 'source_agency_id']).where('child_id', '=', childId).execute()
    const expected = api.filter((e) => e.visibility === 'team' || (e.visibility === 'agency' && e.source_agency_id === id('agency:brookside'))).length
    assert.match(page.body, new RegExp(`${expected} entries`))
    assert.equal((page.body.match(/<tr class="govuk-table__row">/g) ?? []).length - 1, Math.min(50, expected))
    assert.match(page.body, /govuk-pagination/)
    assert.ok(expected > 50)
    assert.doesNotMatch(page.body, /Entry 3 /) // sealed (i % 7 === 3)
    assert.doesNotMatch(page.body, /Entry 4 /) // front door only
  })

  it('filters by agency and date; a bad date gives an error summary', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const f = await dsl.get(`/children/${childId}/chronology?agency=${id('agency:police')}&from=2026-01-01&to=2026-02-28`)
    assert.equal(f.statusCode, 200)
    assert.doesNotMatch(f.body, /Brookside Primary School<br>/)
    const bad = await dsl.get(`/children/${childId}/chronology?from=31-01-2026`)
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /govuk-error-summary/)
  })

  it('the statement, built once for a viewer and a shape, takes each request’s own values: child, page, filter, request and time', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const before = await ctx.s.t.db.selectFrom('audit_event').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()
    const one = await dsl.get(`/children/${childId}/chronology`)
    const two = await dsl.get(`/children/${childId}/chronology?page=2`)
    const neglect = await dsl.get(`/children/${childId}/chronology?category=neglect`)
    const domestic = await dsl.get(`/children/${childId}/chronology?category=domestic_abuse`)
    const sibling = await dsl.get(`/children/${siblingId}/chronology`)
    const other = await ctx.s.signIn('dsl.stannes')
    const outOfReach = await other.get(`/children/${childId}/chronology`)
    const alsoOutOfReach = await other.get(`/children/${childId}/chronology?page=2`)
    for (const r of [one, two, neglect, domestic, sibling]) assert.equal(r.statusCode, 200)
    assert.equal(outOfReach.statusCode, 404)
    assert.equal(alsoOutOfReach.statusCode, 404)
    const firstRow = (body: string) => /<a class="govuk-link" href="\/entries\/([0-9a-f-]+)">/.exec(body)?.[1]
    assert.notEqual(firstRow(one.body), firstRow(two.body))
    assert.match(neglect.body, /\(Neglect\)/)
    assert.doesNotMatch(neglect.body, /\(Domestic abuse\)/)
    assert.match(domestic.body, /\(Domestic abuse\)/)
    assert.doesNotMatch(domestic.body, /\(Neglect\)/)
    const sib = await ctx.s.t.db.selectFrom('child').select(['given_name', 'family_name']).where('id', '=', siblingId).executeTakeFirstOrThrow()
    assert.match(sibling.body, new RegExp(`<h1 class="govuk-heading-l">${sib.given_name} ${sib.family_name}</h1>`))
    const audit = await ctx.s.t.db
      .selectFrom('audit_event')
      .select(['entity_id', 'outcome', 'request_id', 'details', 'at', 'actor_membership_id'])
      .where('action', '=', 'chronology.view')
      .where('id', '>', Number(before.id ?? 0))
      .orderBy('id')
      .execute()
    assert.deepEqual(
      audit.map((a) => [a.entity_id, a.outcome, (a.details as { page?: number }).page, (a.details as { filter?: { category?: string } }).filter?.category ?? null]),
      [
        [childId, 'success', 1, null],
        [childId, 'success', 2, null],
        [childId, 'success', 1, 'neglect'],
        [childId, 'success', 1, 'domestic_abuse'],
        [siblingId, 'success', 1, null],
        [childId, 'not_found', undefined, null],
        [childId, 'not_found', undefined, null],
      ],
    )
    assert.equal(new Set(audit.map((a) => a.request_id)).size, audit.length, 'each row carries its own request id')
    assert.ok(audit.every((a) => a.at.getTime() > Date.parse('2026-01-01')), 'each row carries the time of its request')
    assert.notEqual(audit[5]!.actor_membership_id, audit[0]!.actor_membership_id)
  })

  it('a filter value PostgreSQL cannot hold (a NUL) is bad input, not a server error', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    for (const q of ['category=%00child', 'type=a%00b', 'agency=%00']) {
      const r = await dsl.get(`/children/${childId}/chronology?${q}`)
      assert.ok(r.statusCode < 500, `${q}: ${r.statusCode}`)
    }
  })

  it('an agency that is not one of the filter’s choices is said to be wrong, on the page and for a download, not quietly ignored', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/children/${childId}/chronology?agency=not-an-agency`)
    assert.equal(page.statusCode, 400)
    assert.match(page.body, /govuk-error-summary[\s\S]*href="#agency"[^>]*>Choose an agency from the list/)
    assert.match(page.body, /<p id="agency-error" class="govuk-error-message">/)
    const csv = await dsl.get(`/children/${childId}/chronology.csv?agency=not-an-agency`)
    assert.equal(csv.statusCode, 400)
    assert.match(csv.body, /Choose an agency from the list/)
  })

  it('the timeline picture is an SVG of the same entries, cacheable for this viewer only, and legible at 500 entries', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const svg = await dsl.get(`/children/${childId}/timeline.svg`)
    assert.equal(svg.statusCode, 200)
    assert.match(String(svg.headers['content-type']), /image\/svg\+xml/)
    // kept by this browser only, and asked for again on every use: a membership switch keeps the same cookie
    assert.equal(svg.headers['cache-control'], 'private, no-cache')
    assert.match(svg.body, /<title id="tl-title">/)
    assert.doesNotMatch(svg.body, /<script/i)
    const before = await ctx.s.t.db.selectFrom('audit_event').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()
    const again = await dsl.get(`/children/${childId}/timeline.svg`, { 'if-none-match': String(svg.headers.etag) })
    assert.equal(again.statusCode, 304)
    const looked = await ctx.s.t.db.selectFrom('audit_event').select(['action', 'outcome']).where('id', '>', before.id!).where('action', '=', 'chronology.timeline').execute()
    assert.deepEqual(looked, [{ action: 'chronology.timeline', outcome: 'success' }], 'the revalidation is a look, and audited')
    const { timelineSvg } = await import('./timeline.ts')
    const many = Array.from({ length: 500 }, (_, i) => ({ id: String(i), occurred_at: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000 * 17), agency: ['School', 'Police', 'Health', 'Social care'][i % 4]!, type: 'incident', category: ['neglect', 'missing', 'domestic_abuse'][i % 3]!, significance: (['low', 'medium', 'high', 'critical'] as const)[i % 4]! }))
    const big = timelineSvg(many, { title: 'Big' })
    assert.equal((big.match(/<title>/g) ?? []).length, 500)
    assert.ok(big.length < 300_000)
  })

  it('the family view adds siblings in reach', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const f = await dsl.get(`/children/${childId}/chronology?family=1`)
    const sib = await ctx.s.t.db.selectFrom('child').select(['given_name']).where('id', '=', siblingId).executeTakeFirstOrThrow()
    assert.match(f.body, new RegExp(sib.given_name))
  })

  it('CSV export holds exactly what the viewer sees, neutralises formulae, and is audited', async () => {
    const police = await ctx.s.t.db.selectFrom('relationship').select('id').where('child_id', '=', childId).where('holder_agency_id', '=', id('agency:police')).executeTakeFirst()
    if (!police) {
      await ctx.s.t.db.insertInto('relationship').values({ id: randomUUID(), partnership_id: stableUuid('partnership:northshire'), child_id: childId, type: 'agency_record', holder_agency_id: id('agency:police'), holder_team_id: null, holder_membership_id: null, starts_at: new Date('2026-01-01'), ends_at: null, source: 'test', reason: 'test', created_by_membership_id: null, created_at: new Date('2026-01-01') }).execute()
    }
    const officer = await ctx.s.signIn('police.mash')
    const csv = await officer.get(`/children/${childId}/chronology.csv`)
    assert.equal(csv.statusCode, 200)
    assert.match(String(csv.headers['content-type']), /text\/csv/)
    const lines = csv.body.trim().split('\r\n')
    const all = await ctx.s.t.db.selectFrom('entry').select(['visibility', 'source_agency_id', 'restricted_agency_ids']).where('child_id', '=', childId).execute()
    const expected = all.filter((e) => e.visibility === 'team' || (e.visibility === 'agency' && e.source_agency_id === id('agency:police')) || (e.visibility === 'restricted' && e.restricted_agency_ids.includes(id('agency:police')))).length
    assert.equal(lines.length - 1, expected)
    assert.ok(lines.slice(1).every((l) => !/,=cmd/.test(l)), 'formulae are neutralised')
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['action', 'child_ids']).where('action', '=', 'chronology.export').execute()
    assert.equal(audit.length, 1)
  })

  it('PDF export: Chromium prints exactly what the viewer sees, and the export is audited', async () => {
    const officer = await ctx.s.signIn('police.mash')
    const pdf = await officer.get(`/children/${childId}/chronology.pdf`)
    assert.equal(pdf.statusCode, 200)
    assert.match(String(pdf.headers['content-type']), /application\/pdf/)
    assert.equal(pdf.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-')
    assert.ok(pdf.rawPayload.length > 2000)
    // the PDF is printed from the same read as the page: the same count of entries, audited as a PDF export
    const audit = await ctx.s.t.db.selectFrom('audit_event').select(['details', 'child_ids']).where('action', '=', 'chronology.export').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()
    const details = audit.details as { format?: string; returned?: number }
    assert.equal(details.format, 'pdf')
    const page = await officer.get(`/children/${childId}/chronology`)
    const total = Number(/(\d+) entr(?:y|ies), /.exec(page.body)?.[1])
    assert.equal(details.returned, total)
    assert.ok(audit.child_ids.includes(childId))
    // out of reach: the same 404 as a child that does not exist
    const other = await ctx.s.signIn('dsl.stannes')
    assert.equal((await other.get(`/children/${childId}/chronology.pdf`)).statusCode, 404)
    assert.equal((await officer.get(`/children/${childId}/chronology.pdf?from=yesterday`)).statusCode, 400)
  })

  it('PDF export on a server without Chromium: 503 with the CSV offered, and nothing read or audited as exported', async () => {
    const officer = await ctx.s.signIn('police.mash')
    const exports = async () => (await ctx.s.t.db.selectFrom('audit_event').select('id').where('action', '=', 'chronology.export').execute()).length
    const before = await exports()
    await assertPdfUnavailable(ctx.s, () => officer.get(`/children/${childId}/chronology.pdf`), /download the chronology as a spreadsheet \(CSV\) instead/)
    assert.equal(await exports(), before)
  })

  it('a PDF Chromium fails to make: 503 with the CSV offered, and the export’s audit row is followed by one saying it was not delivered, naming the same children', async () => {
    const officer = await ctx.s.signIn('police.mash')
    const rows = await assertPdfUndelivered(ctx.s, () => officer.get(`/children/${childId}/chronology.pdf`), /download the chronology as a spreadsheet \(CSV\) instead/, 'chronology.export')
    assert.deepEqual(rows[1]!.child_ids, rows[0]!.child_ids)
    assert.ok(rows[1]!.child_ids.includes(childId))
  })

  it('a teacher sees only their own concerns and outcomes; another school’s DSL gets 404', async () => {
    const teacher = await ctx.s.signIn('teacher.brookside')
    const page = await teacher.get(`/children/${childId}/chronology`)
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /0 entries/)
    const other = await ctx.s.signIn('dsl.stannes')
    assert.equal((await other.get(`/children/${childId}/chronology`)).statusCode, 404)
  })

  it('a family’s pages, one after another, are its whole chronology newest first: each entry once, ties broken by when recorded, then by id', async () => {
    // the sibling's entries fall between the child's, and half of them at the very moment of one of the child's
    await ctx.s.t.db
      .insertInto('entry')
      .values(
        Array.from({ length: 40 }, (_, i) => ({
          id: randomUUID(),
          partnership_id: stableUuid('partnership:northshire'),
          child_id: siblingId,
          type: 'incident',
          category: 'neglect',
          occurred_at: new Date(Date.UTC(2026, 0, 1) + i * 86_400_000 + (i % 2 ? 0 : 43_200_000)),
          // of those at the same moment as one of the child's, half recorded an hour later, half at the same time
          recorded_at: new Date(Date.UTC(2026, 0, 1) + i * 86_400_000 + (i % 4 === 1 ? 3_600_000 : 0)),
          author_membership_id: null,
          author_team_id: null,
          source_agency_id: id('agency:brookside'),
          significance: 'low' as const,
          summary: `Sibling entry ${i}`,
          visibility: 'team' as const,
          restricted_agency_ids: [],
        })),
      )
      .execute()
    const dsl = await ctx.s.signIn('dsl.brookside')
    const first = await dsl.get(`/children/${childId}/chronology?family=1`)
    const total = Number(/(\d+) entr(?:y|ies), /.exec(first.body)?.[1])
    assert.ok(total > 50, `${total} entries: more than one page`)
    const ids = (body: string) => [...body.matchAll(/<a class="govuk-link" href="\/entries\/([0-9a-f-]+)"><strong>/g)].map((m) => m[1]!)
    const paged: string[] = []
    for (let page = 1; page <= Math.ceil(total / 50); page++) paged.push(...ids((await dsl.get(`/children/${childId}/chronology?family=1&page=${page}`)).body))
    assert.equal(paged.length, total)
    assert.equal(new Set(paged).size, total, 'no entry on two pages')
    // the export reads everything at once: the same entries in the same order
    const csv = await dsl.get(`/children/${childId}/chronology.csv?family=1`)
    const exported = csv.body.trim().split('\r\n').slice(1).map((l) => /,([0-9a-f-]{36}),(?:[0-9a-f-]{36})?$/.exec(l)?.[1])
    assert.deepEqual(paged, exported)
    // newest first; at the same moment, the later recorded first; then by id
    const rows = await ctx.s.t.db.selectFrom('entry').select(['id', 'occurred_at', 'recorded_at', 'child_id']).where('id', 'in', paged).execute()
    const at = new Map(rows.map((r) => [r.id, r]))
    const sorted = [...paged].sort((a, b) => at.get(b)!.occurred_at.getTime() - at.get(a)!.occurred_at.getTime() || at.get(b)!.recorded_at.getTime() - at.get(a)!.recorded_at.getTime() || (a < b ? -1 : a > b ? 1 : 0))
    assert.deepEqual(paged, sorted)
    assert.ok(new Set(rows.map((r) => r.child_id)).size >= 2, 'both children’s entries are there')
  })
  it('an export holds everything the viewer can see or nothing: a chronology longer than a download can hold is refused with what to do, and a filtered part downloads whole', async () => {
    const other = await ctx.s.t.db
      .selectFrom('relationship')
      .select('child_id')
      .where('type', '=', 'pupil_at')
      .where('holder_agency_id', '=', id('agency:brookside'))
      .where('child_id', 'not in', [childId, siblingId])
      .executeTakeFirstOrThrow()
    const longId = other.child_id
    const rows = Array.from({ length: EXPORT_LIMIT + 1 }, (_, i) => ({
      id: randomUUID(),
      partnership_id: stableUuid('partnership:northshire'),
      child_id: longId,
      type: 'incident',
      category: 'neglect',
      // the last one in a later year than the rest
      occurred_at: new Date(i === EXPORT_LIMIT ? Date.UTC(2027, 5, 1) : Date.UTC(2020, 0, 1) + i * 3_600_000),
      recorded_at: new Date(Date.UTC(2027, 6, 1)),
      author_membership_id: null,
      author_team_id: null,
      source_agency_id: id('agency:brookside'),
      significance: 'low' as const,
      summary: `Long chronology entry ${i}`,
      visibility: 'team' as const,
      restricted_agency_ids: [],
    }))
    for (let i = 0; i < rows.length; i += 1000) await ctx.s.t.db.insertInto('entry').values(rows.slice(i, i + 1000)).execute()
    const dsl = await ctx.s.signIn('dsl.brookside')
    const before = await ctx.s.t.db.selectFrom('audit_event').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()
    const csv = await dsl.get(`/children/${longId}/chronology.csv`)
    assert.equal(csv.statusCode, 422)
    assert.match(csv.body, /too long to download in one go/)
    assert.match(csv.body, new RegExp(`href="/children/${longId}/chronology" class="govuk-back-link"`), 'the way back it speaks of')
    const seen = Number(/You can see ([\d,]+) entries/.exec(csv.body)?.[1]?.replace(/,/g, ''))
    assert.ok(seen > EXPORT_LIMIT, `${seen} entries said`)
    // the audit says nothing left: a refused export, not an export of 5,000 entries
    const refused = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'details']).where('id', '>', before.id!).where('action', '=', 'chronology.export').execute()
    assert.deepEqual(refused.map((a) => [a.outcome, (a.details as { returned?: number }).returned, (a.details as { visible?: number }).visible]), [['refused', 0, seen]])
    assert.doesNotMatch(csv.body, /Long chronology entry/)
    const part = await dsl.get(`/children/${longId}/chronology.csv?from=2027-01-01`)
    assert.equal(part.statusCode, 200)
    const done = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'details']).where('id', '>', before.id!).where('action', '=', 'chronology.export').orderBy('id').execute()
    assert.deepEqual([done[1]!.outcome, (done[1]!.details as { returned?: number }).returned], ['success', 1])
    assert.equal(part.body.trim().split('\r\n').filter((l) => l.includes('Long chronology entry')).length, 1, 'the one entry of 2027')
    assert.match(part.body, /Long chronology entry 5000/)
    // the page says the picture holds only the newest of them, and so does the picture's own description
    const page = await dsl.get(`/children/${longId}/chronology`)
    assert.match(page.body, new RegExp(`The picture shows the newest ${EXPORT_LIMIT.toLocaleString('en-GB')} of these ${seen.toLocaleString('en-GB')} entries`))
    const svg = await dsl.get(`/children/${longId}/timeline.svg`)
    assert.match(svg.body, new RegExp(`<desc id="tl-desc">The newest ${EXPORT_LIMIT} of the ${seen} entries you may see: `))
    // the text alternatives say which entries the picture draws, and that the table has them all, a page at a time
    assert.match(page.body, new RegExp(`alt="Timeline picture, one row per agency, of the newest ${EXPORT_LIMIT.toLocaleString('en-GB')} of these ${seen.toLocaleString('en-GB')} entries\\. The table below lists them all as text, ${PAGE_SIZE} to a page: this is page 1 of ${Math.ceil(seen / PAGE_SIZE)}\\."`))
    assert.match(svg.body, new RegExp(`The chronology table lists all ${seen} as text, page by page\\.</desc>`))
    const filtered = await dsl.get(`/children/${longId}/chronology?from=2027-01-01`)
    assert.doesNotMatch(filtered.body, /The picture shows the newest/)
  })

  it('a page past the last says so and links to the last page, keeping the filter, rather than "No entries"', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const first = await dsl.get(`/children/${childId}/chronology?category=neglect`)
    const pages = Number(/aria-label="Page (\d+)"[^>]*>\s*\d+\s*<\/a>\s*<\/li>\s*<\/ul>/.exec(first.body)?.[1] ?? 1)
    const past = await dsl.get(`/children/${childId}/chronology?category=neglect&page=${pages + 3}`)
    assert.equal(past.statusCode, 200)
    assert.doesNotMatch(past.body, /No entries you are entitled to see/)
    assert.match(past.body, new RegExp(`There is no page ${pages + 3}: [\\s\\S]*<a class="govuk-link" href="\\?category=neglect&amp;page=${pages}">Go to the last page \\(${pages}\\)</a>`))
    // a chronology with nothing in it (a teacher's view) still says simply that there is nothing
    const teacher = await ctx.s.signIn('teacher.brookside')
    assert.match((await teacher.get(`/children/${childId}/chronology?page=3`)).body, /No entries you are entitled to see/)
  })

  it('an agency or a category the viewer has no entries from is said to be wrong, not shown as "All" over an empty page', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const agency = await dsl.get(`/children/${childId}/chronology?agency=${id('agency:no-such-agency')}`)
    assert.equal(agency.statusCode, 400)
    assert.match(agency.body, /govuk-error-summary[\s\S]*href="#agency"[^>]*>Choose an agency from the list/)
    const category = await dsl.get(`/children/${childId}/chronology?category=no_such_category`)
    assert.equal(category.statusCode, 400)
    assert.match(category.body, /govuk-error-summary[\s\S]*href="#category"[^>]*>Choose a category from the list/)
    assert.match(category.body, /<p id="category-error" class="govuk-error-message">/)
    assert.equal((await dsl.get(`/children/${childId}/chronology?category=neglect&agency=${id('agency:police')}`)).statusCode, 200, 'choices from the list are fine')
  })

  it('a download checks its filter as the page does: a value not in the lists, or a bad date, is refused with the page’s message before anything is exported', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    const audited = async (after: number, action: string) =>
      (await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'details']).where('id', '>', after).where('action', '=', action).orderBy('id').execute()).map((a) => [a.outcome, (a.details as { returned?: number }).returned, (a.details as { refusedBecause?: string }).refusedBecause])
    const cases: [query: string, field: string, message: string, read: boolean][] = [
      ['category=no_such_category', 'category', 'Choose a category from the list', true],
      ['type=not_a_type', 'type', 'Choose a type of entry from the list', true],
      [`agency=${id('agency:no-such-agency')}`, 'agency', 'Choose an agency from the list', true],
      // a category this viewer has no entries under, though it is the partnership's: not among the choices either
      ['category=radicalisation', 'category', 'Choose a category from the list', true],
      // one value among the choices and one not: refused on the one
      [`agency=${id('agency:brookside')}&category=neglect&type=not_a_type`, 'type', 'Choose a type of entry from the list', true],
      ['agency=not-an-agency', 'agency', 'Choose an agency from the list', false],
      ['from=yesterday', 'from', 'Enter the “from” date as YYYY-MM-DD', false],
      ['to=2026-02-30', 'to', 'Enter the “to” date as YYYY-MM-DD: it must be a real date', false],
      ['from=2026-03-01&to=2026-02-01', 'from', 'The “from” date must be before the “to” date', false],
    ]
    for (const [query, field, message, read] of cases) {
      // the page's own answer: a 400 with this message in its error summary, linked to the field
      const beforePage = await ctx.s.t.db.selectFrom('audit_event').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()
      const page = await dsl.get(`/children/${childId}/chronology?${query}`)
      assert.equal(page.statusCode, 400, query)
      assert.match(page.body, new RegExp(`govuk-error-summary[\\s\\S]*href="#${field}"[^>]*>${re(message)}<`), query)
      // the page is shown (with its error), and audited as shown, not as a refusal: with a value not in the lists, a
      // view of no entries
      const viewed = await audited(beforePage.id!, 'chronology.view')
      assert.deepEqual(viewed.map(([outcome, , why]) => [outcome, why]), [['success', undefined]], `page ${query}`)
      if (read) assert.equal(viewed[0]![1], 0, `page ${query}`)
      for (const format of ['csv', 'pdf']) {
        const before = await ctx.s.t.db.selectFrom('audit_event').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()
        const download = await dsl.get(`/children/${childId}/chronology.${format}?${query}`)
        assert.equal(download.statusCode, 400, `${format} ${query}`)
        assert.match(String(download.headers['content-type']), /^text\/html/, `${format} ${query}: no file`)
        assert.equal(download.headers['content-disposition'], undefined)
        // the same message, in a GOV.UK error summary linking to the field on the chronology page with this filter
        assert.match(download.body, new RegExp(`govuk-error-summary[\\s\\S]*href="/children/${childId}/chronology\\?${re(query.replace(/&/g, '&amp;'))}#${field}"[^>]*>${re(message)}<`), `${format} ${query}`)
        assert.doesNotMatch(download.body, /Entry \d+ /, 'no entry in the answer')
        // refused before anything is exported: a bad date is refused before the read, a value not in the lists after
        // the read of the choices, which holds no entry, none leaving — and audited by that read as refused, and why
        assert.deepEqual(await audited(before.id!, 'chronology.export'), read ? [['refused', 0, 'a filter value not among the choices']] : [], `${format} ${query}`)
      }
    }
  })

  it('a download with a valid filter holds exactly what the page shows with that filter, and is audited as an export', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const query = `agency=${id('agency:brookside')}&category=neglect&type=incident&from=2026-01-15&to=2026-04-15`
    const shown: string[] = []
    for (let n = 1; ; n++) {
      const page = await dsl.get(`/children/${childId}/chronology?${query}&page=${n}`)
      assert.equal(page.statusCode, 200)
      const ids = [...page.body.matchAll(/<a class="govuk-link" href="\/entries\/([0-9a-f-]{36})">/g)].map(([, e]) => e!)
      if (!ids.length) break
      shown.push(...ids)
    }
    assert.ok(shown.length > 0, 'the filter shows some entries')
    const before = await ctx.s.t.db.selectFrom('audit_event').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()
    const csv = await dsl.get(`/children/${childId}/chronology.csv?${query}`)
    assert.equal(csv.statusCode, 200)
    const lines = csv.body.trim().split('\r\n')
    assert.equal(lines[0]!.split(',').at(-2), 'entry_id')
    assert.deepEqual(lines.slice(1).map((l) => /,([0-9a-f-]{36}),(?:[0-9a-f-]{36})?$/.exec(l)?.[1]), shown, 'the same entries, in the same order')
    const pdf = await dsl.get(`/children/${childId}/chronology.pdf?${query}`)
    assert.equal(pdf.statusCode, 200)
    assert.match(String(pdf.headers['content-type']), /application\/pdf/)
    const audits = await ctx.s.t.db.selectFrom('audit_event').select(['outcome', 'details']).where('id', '>', before.id!).where('action', '=', 'chronology.export').orderBy('id').execute()
    assert.deepEqual(audits.map((a) => [a.outcome, (a.details as { format?: string }).format, (a.details as { returned?: number }).returned]), [['success', 'csv', shown.length], ['success', 'pdf', shown.length]])
  })

  it('an entry a child or parent disputes is marked as disputed in the CSV export, as it is on the page', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const entry = await ctx.s.t.db.selectFrom('entry').select(['id', 'child_id']).where('child_id', '=', childId).where('visibility', '=', 'team').orderBy('occurred_at', 'desc').limit(1).executeTakeFirstOrThrow()
    await ctx.s.t.db
      .insertInto('entry_dispute')
      .values({ partnership_id: stableUuid('partnership:northshire'), id: randomUUID(), entry_id: entry.id, child_id: entry.child_id, kind: 'dispute', raised_by_name: 'A parent', raised_by_relationship: 'parent', statement: 'That did not happen', subject_access_item_id: null, recorded_by: id('membership:dsl.brookside:0'), recorded_at: new Date(), outcome: null, correcting_entry_id: null, response: null, responded_by: null, responded_at: null })
      .execute()
    const page = await dsl.get(`/children/${childId}/chronology`)
    assert.match(page.body, new RegExp(`href="/entries/${entry.id}#disputes"`))
    const csv = await dsl.get(`/children/${childId}/chronology.csv`)
    const lines = csv.body.trim().split('\r\n')
    const header = lines[0]!.split(',')
    const col = header.indexOf('disputed')
    assert.ok(col >= 0, 'a disputed column')
    const row = lines.find((l) => l.includes(entry.id))!
    // these rows' cells hold no comma (the summaries are not quoted): a split finds the column
    assert.equal(row.split(',')[col], 'yes', row)
    const others = lines.slice(1).filter((l) => !l.includes(entry.id))
    assert.ok(others.length > 0 && others.every((l) => l.split(',')[col] === ''), 'only the disputed entry is marked')
  })

  it('the CSV gives an entry of unknown time its date only, as the page does, not a time of day nobody recorded', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const entryId = randomUUID()
    await ctx.s.t.db.insertInto('entry').values({ id: entryId, partnership_id: stableUuid('partnership:northshire'), child_id: childId, type: 'health_attendance', category: 'neglect', occurred_at: new Date('2026-07-14T12:00:00Z'), occurred_time_known: false, recorded_at: new Date('2026-07-15T09:00:00Z'), author_membership_id: null, author_team_id: null, source_agency_id: id('agency:health'), significance: 'low', summary: 'Dated only', visibility: 'team' }).execute()
    const page = await dsl.get(`/children/${childId}/chronology?from=2026-07-14&to=2026-07-14`)
    assert.match(page.body, /<td class="govuk-table__cell">14 July 2026<\/td>/)
    const csv = await dsl.get(`/children/${childId}/chronology.csv?from=2026-07-14&to=2026-07-14`)
    const row = csv.body.trim().split('\r\n').find((l) => l.includes(entryId))!
    assert.equal(row.split(',')[0], '2026-07-14', row)
    const timed = csv.body.trim().split('\r\n').slice(1).filter((l) => !l.includes(entryId))
    assert.ok(timed.every((l) => /^2026-07-14T\d\d:\d\d:\d\d\.\d{3}Z,/.test(l)), 'an entry with its time keeps it')
  })
  it('the timeline’s text alternatives say which entries it draws, and that the table lists them page by page', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/children/${childId}/chronology`)
    const total = Number(/(\d+) entr(?:y|ies), /.exec(page.body)?.[1])
    assert.ok(total > PAGE_SIZE, 'more entries than one page of the table holds')
    const alt = /<img src="\/children\/[^"]+\/timeline\.svg[^"]*" alt="([^"]*)"/.exec(page.body)?.[1]
    // the picture draws every entry the filter finds (this page of the table holds only the first 50 of them)
    assert.equal(alt, `Timeline picture, one row per agency, of all ${total} of these entries. The table below lists them all as text, ${PAGE_SIZE} to a page: this is page 1 of ${Math.ceil(total / PAGE_SIZE)}.`)
    const last = await dsl.get(`/children/${childId}/chronology?page=${Math.ceil(total / PAGE_SIZE)}`)
    assert.match(last.body, new RegExp(`to a page: this is page ${Math.ceil(total / PAGE_SIZE)} of ${Math.ceil(total / PAGE_SIZE)}\\."`))
    const svg = await dsl.get(`/children/${childId}/timeline.svg`)
    const desc = /<desc id="tl-desc">([^<]*)<\/desc>/.exec(svg.body)?.[1] ?? ''
    assert.match(desc, new RegExp(`^${total} entries from `), 'the picture draws all of them')
    assert.match(desc, / The chronology table lists these entries as text, page by page\.$/)
    assert.doesNotMatch(`${alt} ${desc}`, /same entries/)
    // one entry, on one page
    const one = await dsl.get(`/children/${childId}/chronology?from=2026-01-01&to=2026-01-01`)
    assert.match(one.body, /alt="Timeline picture, one row per agency, of this entry\. The table below lists it as text, 50 to a page\."/)
    const none = await dsl.get(`/children/${childId}/chronology?from=2019-01-01&to=2019-01-02`)
    assert.match(none.body, /alt="Timeline picture: no entries to draw\."/)
  })

  it('the CSV has the author’s role, as the page names it, after the author; the other columns keep their names and order', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const byDsl = randomUUID()
    const byTeacher = randomUUID()
    const base = { partnership_id: stableUuid('partnership:northshire'), child_id: childId, type: 'dsl_action', category: 'domestic_abuse', occurred_time_known: true, author_team_id: null, source_agency_id: id('agency:brookside'), significance: 'medium' as const, visibility: 'team' as const }
    await ctx.s.t.db
      .insertInto('entry')
      .values([
        { ...base, id: byDsl, occurred_at: new Date('2026-08-03T09:00:00Z'), recorded_at: new Date('2026-08-03T09:00:00Z'), author_membership_id: id('membership:dsl.brookside:0'), summary: 'Written by the DSL' },
        { ...base, id: byTeacher, occurred_at: new Date('2026-08-04T09:00:00Z'), recorded_at: new Date('2026-08-04T09:00:00Z'), author_membership_id: id('membership:teacher.brookside:0'), summary: 'Written by a teacher' },
      ])
      .execute()
    const page = await dsl.get(`/children/${childId}/chronology?from=2026-08-03&to=2026-08-04`)
    assert.match(page.body, /, Designated safeguarding lead<\/span>/)
    assert.match(page.body, /, Teacher<\/span>/)
    const csv = await dsl.get(`/children/${childId}/chronology.csv`)
    assert.equal(csv.statusCode, 200)
    const lines = csv.body.trim().split('\r\n')
    const header = lines[0]!.split(',')
    assert.deepEqual(header, ['occurred_at', 'child', 'agency', 'author', 'author_role', 'type', 'category', 'significance', 'summary', 'disputed', 'recorded_at', 'entry_id', 'supersedes'])
    const col = header.indexOf('author_role')
    // these rows' cells hold no comma: a split finds the column
    const cells = (entryId: string) => lines.find((l) => l.includes(entryId))!.split(',')
    const dslName = /<span class="govuk-hint">([^,<]+), Designated safeguarding lead<\/span>/.exec(page.body)![1]
    assert.deepEqual([cells(byDsl)[col - 1], cells(byDsl)[col]], [dslName, 'Designated safeguarding lead'])
    assert.equal(cells(byTeacher)[col], 'Teacher')
    assert.equal(cells(byTeacher)[header.indexOf('summary')], 'Written by a teacher', 'the columns after it are where the header says')
    // an entry with no author recorded has no role either
    const unauthored = lines.slice(1).filter((l) => !l.includes(byDsl) && !l.includes(byTeacher))
    assert.ok(unauthored.length > 0 && unauthored.every((l) => l.split(',')[col - 1] === '' && l.split(',')[col] === ''))
  })

  it('the PDF’s filter line names the category and type as the page does, not by their codes', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const query = `category=domestic_abuse&type=dsl_action&agency=${id('agency:brookside')}`
    const page = await dsl.get(`/children/${childId}/chronology?${query}`)
    assert.equal(page.statusCode, 200)
    // the page's own names for the filter (its choices), the ones the PDF must use too
    assert.match(page.body, /<option value="domestic_abuse" selected>Domestic abuse<\/option>/)
    assert.match(page.body, /<strong>DSL action<\/strong>/)
    if (!fs.existsSync(ctx.s.config.chromiumPath)) {
      console.log(`skipped the PDF content check: no Chromium at ${ctx.s.config.chromiumPath}`)
      return
    }
    const pdf = await dsl.get(`/children/${childId}/chronology.pdf?${query}`)
    assert.equal(pdf.statusCode, 200)
    const text = (await pdfText(pdf.rawPayload)).replace(/\s+/g, ' ')
    assert.match(text, /filtered by Brookside[^,]*, Domestic abuse, DSL action, newest first/)
    assert.doesNotMatch(text, /domestic_abuse|dsl_action/)
  })
})

describeApp('the chronology names categories as the partnership does, and shows its type-of-entry filter', (ctx) => {
  const P = stableUuid('partnership:northshire')
  const db = () => ctx.s.t.db
  let childId: string
  const ids = { fgm: randomUUID(), neglect: randomUUID(), countyLines: randomUUID(), imported: randomUUID() }

  it('setup: the administrator adds a category in the settings, another is renamed; a pupil has entries under them, one under a code the partnership does not have', async () => {
    const admin = await ctx.s.signIn('partnership.admin')
    await admin.get('/settings')
    assert.equal((await admin.post('/settings/categories', { label: 'County lines (CCE)' })).statusCode, 303)
    await db().updateTable('concern_category').set({ label: 'Neglect (long-standing)' }).where('partnership_id', '=', P).where('code', '=', 'neglect').execute()
    childId = (
      await db()
        .selectFrom('relationship')
        .select('child_id')
        .where('type', '=', 'pupil_at')
        .where('holder_agency_id', '=', id('agency:brookside'))
        .orderBy('child_id')
        .executeTakeFirstOrThrow()
    ).child_id
    const now = ctx.s.clock.now().getTime()
    const entry = (entryId: string, type: string, category: string | null, daysAgo: number) => ({
      id: entryId,
      partnership_id: P,
      child_id: childId,
      type,
      category,
      occurred_at: new Date(now - daysAgo * 86_400_000),
      recorded_at: new Date(now - daysAgo * 86_400_000),
      author_membership_id: null,
      author_team_id: null,
      source_agency_id: id('agency:brookside'),
      significance: 'medium' as const,
      summary: `Labelled ${type} ${category ?? ''}`,
      visibility: 'team' as const,
    })
    await db()
      .insertInto('entry')
      .values([
        entry(ids.fgm, 'incident', 'fgm', 1),
        entry(ids.neglect, 'incident', 'neglect', 2),
        entry(ids.countyLines, 'health_attendance', 'county_lines_cce', 3),
        entry(ids.imported, 'incident', 'agency_specific_code', 4),
        // older home visits, more than a page of them
        ...Array.from({ length: PAGE_SIZE + 5 }, (_, i) => entry(randomUUID(), 'home_visit', null, 400 + i)),
      ])
      .execute()
  })

  it('the page, its category choices, the timeline legend and the PDF use the partnership’s labels; a code it does not have is humanised; the CSV keeps the code', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const page = await dsl.get(`/children/${childId}/chronology`)
    assert.equal(page.statusCode, 200)
    for (const [code, label] of [
      ['fgm', 'Female genital mutilation (FGM)'],
      ['neglect', 'Neglect (long-standing)'],
      ['county_lines_cce', 'County lines (CCE)'],
      ['agency_specific_code', 'Agency specific code'],
    ] as const) {
      assert.match(page.body, new RegExp(`<option value="${code}">${label.replace(/[()]/g, '\\$&')}</option>`), `${code} in the choices`)
      assert.match(page.body, new RegExp(`</a> \\(${label.replace(/[()]/g, '\\$&')}\\)<br>Labelled`), `${code} in the rows`)
    }
    assert.doesNotMatch(page.body, /\(Fgm\)|>Fgm<|County lines cce|>Neglect</)
    // a category filter the page names as it names the choice
    const filtered = await dsl.get(`/children/${childId}/chronology?category=neglect`)
    assert.match(filtered.body, /<option value="neglect" selected>Neglect \(long-standing\)<\/option>/)

    const svg = (await dsl.get(`/children/${childId}/timeline.svg`)).body
    const legend = (code: string) => new RegExp(`<g class="tl-legend" data-category="${code}"[^>]*>.*?<text[^>]*>(?:<title>[^<]*</title>)?([^<]*)</text></g>`).exec(svg)?.[1]
    assert.equal(legend('neglect'), 'Neglect (long-standing)')
    assert.equal(legend('county_lines_cce'), 'County lines (CCE)')
    assert.equal(legend('agency_specific_code'), 'Agency specific code')
    // and so do the markers' hover texts, from the same read (the labels come with the chronology's choices)
    const hover = [...svg.matchAll(/<g class="tl-m">.*?<title>([^<]*)<\/title><\/g>/g)].map(([, t]) => t!.replace(/&#39;/g, "'").replace(/&amp;/g, '&'))
    for (const label of ['Female genital mutilation (FGM)', 'Neglect (long-standing)', 'County lines (CCE)', 'Agency specific code']) {
      assert.ok(hover.some((t) => t.endsWith(`: ${/County/.test(label) ? 'Health attendance' : 'Incident'} (${label}), medium significance`)), `${label} in a marker's title`)
    }
    assert.ok(hover.every((t) => !/\((fgm|Fgm|neglect|Neglect|county lines cce|County lines cce)\)/.test(t)), hover.join('\n'))

    const csv = (await dsl.get(`/children/${childId}/chronology.csv`)).body.split('\r\n')
    const column = csv[0]!.split(',').indexOf('category')
    assert.equal(csv.find((l) => l.includes(ids.neglect))!.split(',')[column], 'neglect', 'integrations read the code')

    if (!fs.existsSync(ctx.s.config.chromiumPath)) {
      console.log(`skipped the PDF content check: no Chromium at ${ctx.s.config.chromiumPath}`)
      return
    }
    const pdf = await dsl.get(`/children/${childId}/chronology.pdf?category=neglect`)
    assert.equal(pdf.statusCode, 200)
    const text = (await pdfText(pdf.rawPayload)).replace(/\s+/g, ' ')
    assert.match(text, /filtered by Neglect \(long-standing\), newest first/)
    assert.match(text, /\(Neglect \(long-standing\)\)/)
  })

  it('the child’s page and the entry’s page name the category as the partnership does', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const child = await dsl.get(`/children/${childId}`)
    assert.equal(child.statusCode, 200)
    assert.match(child.body, /Incident<\/a> \(Female genital mutilation \(FGM\)\)/)
    assert.match(child.body, /Incident<\/a> \(Neglect \(long-standing\)\)/)
    assert.match(child.body, /Health attendance<\/a> \(County lines \(CCE\)\)/)
    assert.match(child.body, /Incident<\/a> \(Agency specific code\)/)
    const entry = await dsl.get(`/entries/${ids.countyLines}`)
    assert.equal(entry.statusCode, 200)
    assert.match(entry.body, /Category\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*County lines \(CCE\)\s*<\/dd>/)
  })

  it('the filter has a “Type of entry” choice: the type asked for is selected, kept by the pagination and downloads, and one not offered is said to be wrong', async () => {
    const dsl = await ctx.s.signIn('dsl.brookside')
    const all = await dsl.get(`/children/${childId}/chronology`)
    assert.match(all.body, /<label class="govuk-label" for="type">\s*Type of entry\s*<\/label>\s*<select class="govuk-select govuk-!-width-full" id="type" name="type">\s*<option value="">All types<\/option>/)
    assert.match(all.body, /<option value="home_visit">Home visit<\/option>/)
    const page = await dsl.get(`/children/${childId}/chronology?type=home_visit`)
    assert.equal(page.statusCode, 200)
    // inside the filter's form, so that Apply keeps it
    const form = /<form method="get" action="\/children\/[^"]+\/chronology"[\s\S]*?<\/form>/.exec(page.body)![0]
    assert.match(form, /<option value="home_visit" selected>Home visit<\/option>/)
    assert.match(page.body, new RegExp(`${PAGE_SIZE + 5} entries`))
    assert.match(page.body, /href="\?type=home_visit&amp;page=2"/)
    assert.match(page.body, /chronology\.csv\?type=home_visit"/)
    const bad = await dsl.get(`/children/${childId}/chronology?type=not_a_type`)
    assert.equal(bad.statusCode, 400)
    assert.match(bad.body, /govuk-error-summary[\s\S]*href="#type"[^>]*>Choose a type of entry from the list/)
    assert.match(bad.body, /No entries you are entitled to see match the filter\./)
  })
})
