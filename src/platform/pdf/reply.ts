// A PDF export's answer: the PDF, or one "not available" page when this server cannot make PDFs. Every PDF route
// asks pdfAvailable() before it reads (so nothing is read or audited as exported for a PDF nobody receives), then
// renders its document and sends it here.
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

/** The HTML printed to PDF and sent as a download; the "not available" page if Chromium went away meanwhile. */
export async function sendPdf(reply: FastifyReply, html: string, opts: { chromiumPath: string; filename: string; alternative?: string }): Promise<FastifyReply> {
  let pdf: Buffer
  try {
    pdf = await htmlToPdf(html, { chromiumPath: opts.chromiumPath })
  } catch (err) {
    if (err instanceof PdfUnavailableError) return pdfUnavailable(reply, opts.alternative)
    throw err
  }
  return reply.type('application/pdf').header('content-disposition', `attachment; filename="${opts.filename}"`).send(pdf)
}
