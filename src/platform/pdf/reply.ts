// A PDF export's answer: the PDF, or one "not available" page when this server cannot make PDFs. Every PDF route
// asks pdfAvailable() before it reads (so nothing is read or audited as exported for a PDF nobody receives), then
// renders its document and sends it here, saying how to record that it was not delivered if printing fails.
import type { FastifyReply } from 'fastify'
import { htmlToPdf, PdfUnavailableError } from './print.ts'

export const PDF_UNAVAILABLE_TITLE = 'Sorry, you cannot download a PDF at the moment'

/**
 * 503 with the same page for every PDF route. `alternative` is the route's own way to the same content, in a sentence
 * (the chronology's CSV, the plan's printable page), so the user is not left without one.
 */
export function pdfUnavailable(reply: FastifyReply, alternative?: string): FastifyReply {
  return reply.code(503).page('error.njk', { title: PDF_UNAVAILABLE_TITLE, detail: ['Try again later.', alternative].filter(Boolean).join(' '), status: 503 })
}

/**
 * The HTML printed to PDF and sent as a download. When no PDF comes of it — Chromium went away meanwhile, failed, timed
 * out, or wrote something that is not a PDF — the route's `undelivered` records that the export it has just read (and
 * audited as exported) never left (`deliveries.undelivered`: a follow-up audit row), and the user gets the "not
 * available" page with the route's alternative.
 */
export async function sendPdf(reply: FastifyReply, html: string, opts: { chromiumPath: string; filename: string; alternative?: string; undelivered: (reason: string) => Promise<void> }): Promise<FastifyReply> {
  let pdf: Buffer
  try {
    pdf = await htmlToPdf(html, { chromiumPath: opts.chromiumPath })
  } catch (err) {
    const reason = err instanceof PdfUnavailableError ? 'Chromium is not available' : 'Chromium did not make the PDF'
    if (!(err instanceof PdfUnavailableError)) reply.log.error({ err }, 'PDF export failed')
    await opts.undelivered(reason)
    return pdfUnavailable(reply, opts.alternative)
  }
  return reply.type('application/pdf').header('content-disposition', `attachment; filename="${opts.filename}"`).send(pdf)
}
