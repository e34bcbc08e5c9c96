// HTML to PDF with Chromium's own print (headless, a fresh temporary profile, no network: the page is a file
// with its styles inline). Used for exports that must hold exactly what the viewer can see on screen.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export class PdfUnavailableError extends Error {}

/**
 * Whether PDFs can be made here at all. Export routes ask before they read, so that a server without Chromium
 * answers 503 without first reading (and auditing as exported) a record nobody receives.
 */
export function pdfAvailable(chromiumPath: string): boolean {
  return fs.existsSync(chromiumPath)
}

export async function htmlToPdf(html: string, opts: { chromiumPath: string; timeoutMs?: number }): Promise<Buffer> {
  if (!pdfAvailable(opts.chromiumPath)) throw new PdfUnavailableError(`Chromium is not installed at ${opts.chromiumPath}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ta-pdf-'))
  try {
    const input = path.join(dir, 'export.html')
    const output = path.join(dir, 'export.pdf')
    fs.writeFileSync(input, html, { mode: 0o600 })
    await new Promise<void>((resolve, reject) => {
      execFile(
        opts.chromiumPath,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--proxy-server=127.0.0.1:9', // nothing leaves the machine: the page needs no network
          `--user-data-dir=${path.join(dir, 'profile')}`,
          '--no-pdf-header-footer',
          `--print-to-pdf=${output}`,
          `file://${input}`,
        ],
        { timeout: opts.timeoutMs ?? 60_000 },
        (err) => (err ? reject(err) : resolve()),
      )
    })
    const pdf = fs.readFileSync(output)
    if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error('Chromium did not produce a PDF')
    return pdf
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
