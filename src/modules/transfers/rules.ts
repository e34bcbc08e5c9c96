// Child-protection file transfer (R9): the arithmetic and the cryptography, apart from the repository so the pages and
// the tests share them.
//
// When the file is due (KCSIE: "within 5 days for an in-year transfer or within the first 5 days of the start of a new
// term"), counted on the SENDING school's calendar (its terms, closures and the partnership's bank holidays):
// - the clock starts on the later of the day the child left and the day they start at the new school (when known);
// - in-year: that day falls inside one of the sending school's terms, after its first day → due at the end of the
//   working day (17:00) of the 5th school day after it (a weekend or a closure day inside a term counts as in-year: the
//   usual "next school day" rule of statutory-clocks.md applies);
// - a new term: that day falls outside every term (the summer or Christmas holidays, a half-term break — the next term,
//   or half term, starts after it) or is the first day of a term → due at the end of the 5th school day of the term that
//   starts then (the first school day counts as day 1);
// - a school with no term dates recorded counts working days, as in-year; so do the days after the last term a school
//   has recorded (next year's dates not yet entered: a July leaver starting in September; `isSchoolDay`), so the due
//   time is never lost — before, a day past the recorded terms found no school day and the clock could not be computed.
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto'
import { addSchoolDays, isSchoolDay, type Calendar } from '../calendar/calendar.ts'
import { londonDateTime } from '../../web/dates.ts'

export const TRANSFER_SUBJECT = 'file_transfer'
export const TRANSFER_RULE = 'R9'
export const KEEPS_SETTING = 'transfer.old_school_keeps'
export type OldSchoolKeeps = 'all' | 'none_after_receipt'
export const KEEPS_DEFAULT: OldSchoolKeeps = 'all'
export const TRANSFER_ENTRY = 'file_transfer'
/** Visibilities of the old school's own entries that travel in the file (never restricted, sealed or front door entries). */
export const FILE_VISIBILITIES = ['team', 'agency'] as const

export const STATUS_LABELS = { sent: 'Sent: waiting for receipt', received: 'Received', withdrawn: 'Withdrawn' } as const
/** The R9 clock of a withdrawn transfer: stopped as not applicable (the free-text reason stays on the transfer, where retention reaches it). */
export const WITHDRAWN_CLOCK_REASON = 'Not applicable: the transfer was withdrawn by the sending school (the reason is on the transfer)'

export interface R9Due {
  clockStartsOn: string
  newTerm: boolean
  dueAt: Date
}

/** The day the R9 clock starts: the later of the leaving day and the start at the new school (when known). */
export function clockStartDay(leftOn: string, startsOn: string | null): string {
  return startsOn && startsOn > leftOn ? startsOn : leftOn
}

/** When the file is due, on the sending school's calendar (see the header). */
export function r9Due(cal: Calendar, schoolId: string, leftOn: string, startsOn: string | null): R9Due {
  const day = clockStartDay(leftOn, startsOn)
  const terms = cal.schools.get(schoolId)?.terms ?? []
  const midTerm = terms.some(([start, end]) => day > start && day <= end)
  const newTerm = terms.length > 0 && !midTerm
  const from = londonDateTime.toInstant(day, '00:00')
  // in-year: the 5th school day after the day; a new term: the first school day on or after it is day 1
  const dueAt = addSchoolDays(cal, schoolId, from, newTerm ? 4 : 5)
  return { clockStartsOn: day, newTerm, dueAt }
}

export { isSchoolDay }

// --- the encrypted export for a school outside the partnership -------------------------------------------------------
// A JSON envelope (one .json file) holding the file's JSON encrypted with AES-256-GCM (node:crypto); the key is derived
// from a random passphrase with scrypt (N = 2^15, r = 8, p = 1, a 16-byte salt). The passphrase is shown to the DSL
// once, to send by another channel (a phone call), and never stored. The format name is authenticated data.
export const EXPORT_FORMAT = 'teamaround.cp-file.v1'
const SCRYPT = { N: 32768, r: 8, p: 1 } as const
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789' // no 0/O, 1/I

export interface ExportEnvelope {
  format: typeof EXPORT_FORMAT
  cipher: 'aes-256-gcm'
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string }
  iv: string
  tag: string
  ciphertext: string
}

/** A passphrase of 24 random characters (120 bits) in groups of four: XXXX-XXXX-XXXX-XXXX-XXXX-XXXX. */
export function newPassphrase(): string {
  const bytes = randomBytes(24)
  const chars = [...bytes].map((b) => ALPHABET[b % 32]!)
  return Array.from({ length: 6 }, (_, i) => chars.slice(i * 4, i * 4 + 4).join('')).join('-')
}

const keyFor = (passphrase: string, salt: Buffer, k: { N: number; r: number; p: number }) => scryptSync(passphrase.trim().toUpperCase(), salt, 32, { N: k.N, r: k.r, p: k.p, maxmem: 128 * k.N * k.r * 2 })

export function encryptExport(plaintext: string, passphrase: string): Buffer {
  const salt = randomBytes(16)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyFor(passphrase, salt, SCRYPT), iv)
  cipher.setAAD(Buffer.from(EXPORT_FORMAT))
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  const envelope: ExportEnvelope = {
    format: EXPORT_FORMAT,
    cipher: 'aes-256-gcm',
    kdf: { name: 'scrypt', ...SCRYPT, salt: salt.toString('base64') },
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  }
  return Buffer.from(JSON.stringify(envelope, null, 2))
}

/** The file's JSON from an export; throws on a wrong passphrase or a changed file (the GCM tag does not verify). */
export function decryptExport(file: Buffer | string, passphrase: string): string {
  const e = JSON.parse(file.toString()) as ExportEnvelope
  if (e.format !== EXPORT_FORMAT || e.cipher !== 'aes-256-gcm' || e.kdf?.name !== 'scrypt') throw new Error('not a TeamAround child-protection file export')
  const decipher = createDecipheriv('aes-256-gcm', keyFor(passphrase, Buffer.from(e.kdf.salt, 'base64'), e.kdf), Buffer.from(e.iv, 'base64'))
  decipher.setAAD(Buffer.from(EXPORT_FORMAT))
  decipher.setAuthTag(Buffer.from(e.tag, 'base64'))
  return Buffer.concat([decipher.update(Buffer.from(e.ciphertext, 'base64')), decipher.final()]).toString('utf8')
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
