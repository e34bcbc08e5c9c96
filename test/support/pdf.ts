// A PDF route on a server without Chromium: the one "not available" page (src/platform/pdf/reply.ts), with the route's
// own alternative; and the text a PDF export shows, to check what it says.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from './app.ts'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'

/** The response to `get` while Chromium is missing, checked as a 503 page naming `alternative`. */
export async function assertPdfUnavailable(s: TestApp, get: () => Promise<LightMyRequestResponse>, alternative: RegExp): Promise<void> {
  const chromium = s.config.chromiumPath
  s.config.chromiumPath = '/nonexistent/chromium'
  try {
    const res = await get()
    assert.equal(res.statusCode, 503)
    assert.match(res.body, /<h1 class="govuk-heading-l">Sorry, you cannot download a PDF at the moment<\/h1>/)
    assert.match(res.body, /Try again later\./)
    assert.match(res.body, alternative)
  } finally {
    s.config.chromiumPath = chromium
  }
}

/**
 * The response to `get` while Chromium is there but makes no PDF (a stand-in that exits at once, having written
 * nothing): the same 503 page naming `alternative`; and the export's audit rows of that request — its read's (success,
 * written before printing) and the follow-up saying it was not delivered — checked and returned.
 */
export async function assertPdfUndelivered(s: TestApp, get: () => Promise<LightMyRequestResponse>, alternative: RegExp, action: string): Promise<{ outcome: string; details: unknown; child_ids: string[] }[]> {
  const chromium = s.config.chromiumPath
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-fake-chromium-'))
  const fake = path.join(dir, 'chromium')
  fs.writeFileSync(fake, '#!/bin/sh\nexit 0\n', { mode: 0o755 })
  s.config.chromiumPath = fake
  try {
    const before = new Set((await s.t.db.selectFrom('audit_event').select('id').where('action', '=', action).execute()).map((r) => String(r.id)))
    const res = await get()
    assert.equal(res.statusCode, 503)
    assert.match(res.body, /<h1 class="govuk-heading-l">Sorry, you cannot download a PDF at the moment<\/h1>/)
    assert.match(res.body, alternative)
    const rows = (await s.t.db.selectFrom('audit_event').select(['id', 'outcome', 'details', 'child_ids', 'request_id']).where('action', '=', action).orderBy('id').execute()).filter((r) => !before.has(String(r.id)))
    assert.deepEqual(rows.map((r) => r.outcome), ['success', 'failure'], 'the export as read, then that it was not delivered')
    assert.equal(rows[1]!.request_id, rows[0]!.request_id, 'the follow-up is the same request’s')
    assert.equal((rows[1]!.details as { undelivered?: boolean }).undelivered, true)
    return rows.map((r) => ({ outcome: r.outcome, details: r.details, child_ids: [...r.child_ids] }))
  } finally {
    s.config.chromiumPath = chromium
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The text a PDF shows, page by page, a line for each line of text, read by Mozilla's pdf.js (pdfjs-dist): to check
 * what a PDF export says. Ligatures Chromium sets ("ﬁ" in "filtered") are read as the letters they join.
 */
export async function pdfText(pdf: Buffer): Promise<string> {
  const task = getDocument({ data: new Uint8Array(pdf), useSystemFonts: false })
  const doc = await task.promise
  try {
    const pages: string[] = []
    for (let n = 1; n <= doc.numPages; n++) {
      const { items } = await (await doc.getPage(n)).getTextContent()
      pages.push(items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''))
    }
    return pages.join('\n').normalize('NFKC')
  } finally {
    await task.destroy()
  }
}
