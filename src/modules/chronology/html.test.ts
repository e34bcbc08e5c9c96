import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, it } from 'node:test'
import nunjucks from 'nunjucks'
import { inputHtml, selectHtml } from './html.ts'

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([path.resolve(import.meta.dirname, '../../../node_modules/govuk-frontend/dist')]), { autoescape: true })
const select = nunjucks.compile(
  '{% from "govuk/components/select/macro.njk" import govukSelect %}{{ govukSelect({ id: id, name: id, label: { text: label }, classes: "govuk-!-width-full", items: items, errorMessage: error }) }}',
  env,
)
const input = nunjucks.compile(
  '{% from "govuk/components/input/macro.njk" import govukInput %}{{ govukInput({ id: id, name: id, label: { text: label }, value: value, errorMessage: error }) }}',
  env,
)
// the same markup, whitespace apart
const norm = (html: string) => html.replace(/\s+/g, ' ').replace(/>\s+</g, '><').replace(/\s+>/g, '>').replace(/>\s+/g, '>').replace(/\s+</g, '<').trim()

describe('the chronology filter’s fields, written by functions', () => {
  it('are the markup govukSelect gives, with and without an error, escaping what needs it', () => {
    const items = [
      { value: '', text: 'All agencies' },
      { value: 'a"b', text: 'Police <North> & “East”', selected: true },
      { value: 'c', text: 'School' },
    ]
    for (const error of [undefined, { text: 'Choose an agency from the list' }, { text: 'A <b>bold</b> "error"' }]) {
      assert.equal(norm(selectHtml('agency', 'Agency', items, error)), norm(select.render({ id: 'agency', label: 'Agency', items, error: error ?? false })))
    }
  })

  it('are the markup govukInput gives, with and without an error', () => {
    for (const [value, error] of [['', undefined], ['2026-02-30', { text: 'Enter the “from” date as YYYY-MM-DD' }], ['"><script>', undefined]] as const) {
      assert.equal(norm(inputHtml('from', 'From (YYYY-MM-DD)', value, error)), norm(input.render({ id: 'from', label: 'From (YYYY-MM-DD)', value, error: error ?? false })))
    }
  })
})

describe('the chronology’s PDF (the page Chromium prints)', () => {
  it('marks an entry a child or parent disputes, as the chronology page does', async () => {
    const { createRenderer } = await import('../../platform/http/render.ts')
    const render = createRenderer(process.cwd(), false)
    const entry = (id: string, disputed: boolean) => ({ id, child_id: 'c', type: 'incident', category: 'neglect', occurred_at: new Date('2026-07-14T09:00:00Z'), occurred_time_known: true, recorded_at: new Date('2026-07-14T10:00:00Z'), significance: 'high', summary: `Summary ${id}`, supersedes_entry_id: null, disputed, agency: 'Police', author: null, role: null, childName: 'A B' })
    const html = render.render('chronology/views/print.njk', { children: [{ id: 'c', given_name: 'A', family_name: 'B' }], entries: [entry('one', true), entry('two', false)], total: 2, family: false, title: 't', exportedBy: 'Claire Dawson', exportedAt: new Date('2026-12-01T10:00:00Z'), filterText: '' })
    const rows = html.split('<tr>').slice(2)
    assert.equal(rows.length, 2)
    assert.match(rows[0]!, /Summary one[\s\S]*Disputed/)
    assert.doesNotMatch(rows[1]!, /Disputed/)
  })
})
