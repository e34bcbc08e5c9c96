// The chronology page's repeated parts — the table's rows, the filter's fields and the pagination — written as
// plain functions rather than a GOV.UK macro call per row, field and page link: the same markup as the govukTag,
// govukSelect, govukInput and govukPagination macros give for these uses, at a fraction of the rendering cost
// (measured: the macros were most of the page's rendering time). Every value is escaped as Nunjucks escapes it.
import { ROLE_LABELS, isRole } from '../../access/policy.ts'
import { categoryLabel, entryTypeLabel, formatDate, formatDateTime, humanise } from '../../platform/http/render.ts'

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const SPECIAL = /[&<>"']/
export const esc = (v: unknown): string => {
  if (v === null || v === undefined) return ''
  const s = String(v)
  return SPECIAL.test(s) ? s.replace(/[&<>"']/g, (c) => ESC[c]!) : s
}
/** An author's role as the page names it ("Designated safeguarding lead"), for the page and its exports. */
export const roleLabel = (r: string) => (isRole(r) ? ROLE_LABELS[r] : r)

const TAG: Record<string, string> = { critical: 'govuk-tag--red', high: 'govuk-tag--orange', medium: 'govuk-tag--yellow', low: 'govuk-tag--grey' }

export interface RowEntry {
  id: string
  occurred_at: Date
  occurred_time_known: boolean
  childName: string
  agency: string
  author: string | null
  role: string | null
  type: string
  category: string | null
  summary: string
  supersedes_entry_id: string | null
  /** A dispute is recorded beside the entry: a "Disputed" marker linking to it. */
  disputed?: boolean
  significance: string
}

/** The table's rows (the `<tr>`s of its body); each category as the partnership names it (`labels`: code → label). */
export function rowsHtml(entries: readonly RowEntry[], family: boolean, labels: Readonly<Record<string, string>>): string {
  let out = ''
  for (const e of entries) {
    out +=
      `<tr class="govuk-table__row">\n` +
      `      <td class="govuk-table__cell">${esc(e.occurred_time_known ? formatDateTime(e.occurred_at) : formatDate(e.occurred_at))}</td>\n` +
      (family ? `      <td class="govuk-table__cell">${esc(e.childName)}</td>\n` : '') +
      `      <td class="govuk-table__cell">${esc(e.agency)}${e.author ? `<br><span class="govuk-hint">${esc(e.author)}, ${esc(roleLabel(e.role ?? ''))}</span>` : ''}</td>\n` +
      `      <td class="govuk-table__cell"><a class="govuk-link" href="/entries/${esc(e.id)}"><strong>${esc(entryTypeLabel(e.type))}</strong></a>${e.category ? ` (${esc(categoryLabel(e.category, labels))})` : ''}<br>${esc(e.summary)}${e.supersedes_entry_id ? '<br><span class="govuk-hint">A correction of an earlier entry.</span>' : ''}${e.disputed ? `<br><a class="govuk-link" href="/entries/${esc(e.id)}#disputes"><strong class="govuk-tag govuk-tag--orange">Disputed</strong></a>` : ''}</td>\n` +
      `      <td class="govuk-table__cell"><strong class="govuk-tag ${TAG[e.significance] ?? ''}">\n  ${esc(humanise(e.significance))}\n</strong>\n</td>\n` +
      `    </tr>\n    `
  }
  return out
}

/** A govukSelect with a label, full width, and, when given, its error message. */
export function selectHtml(id: string, label: string, items: readonly { value: string; text: string; selected?: boolean }[], error?: { text: string }): string {
  const options = items.map((i) => `\n    <option value="${esc(i.value)}"${i.selected ? ' selected' : ''}>${esc(i.text)}</option>`).join('')
  return `<div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}">
  <label class="govuk-label" for="${id}">
    ${esc(label)}
  </label>${error ? `\n  <p id="${id}-error" class="govuk-error-message">\n    <span class="govuk-visually-hidden">Error:</span> ${esc(error.text)}\n  </p>` : ''}
  <select class="govuk-select govuk-!-width-full${error ? ' govuk-select--error' : ''}" id="${id}" name="${id}"${error ? ` aria-describedby="${id}-error"` : ''}>${options}
  </select>
</div>`
}

/** A govukInput (text) with a label and, when given, its error message. */
export function inputHtml(id: string, label: string, value: string, error?: { text: string }): string {
  return `<div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}">
  <label class="govuk-label" for="${id}">
    ${esc(label)}
  </label>${error ? `\n  <p id="${id}-error" class="govuk-error-message">\n    <span class="govuk-visually-hidden">Error:</span> ${esc(error.text)}\n  </p>` : ''}
  <input class="govuk-input${error ? ' govuk-input--error' : ''}" id="${id}" name="${id}" type="text" value="${esc(value)}"${error ? ` aria-describedby="${id}-error"` : ''}>
</div>`
}

const ARROW_PREV = `<svg class="govuk-pagination__icon govuk-pagination__icon--prev" xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13">
        <path d="m6.5938-0.0078125-6.7266 6.7266 6.7441 6.4062 1.377-1.449-4.1856-3.9768h12.896v-2h-12.984l4.2931-4.293-1.414-1.414z"></path>
      </svg>`
const ARROW_NEXT = `<svg class="govuk-pagination__icon govuk-pagination__icon--next" xmlns="http://www.w3.org/2000/svg" height="13" width="15" aria-hidden="true" focusable="false" viewBox="0 0 15 13">
        <path d="m8.107-0.0078125-1.4136 1.414 4.2926 4.293h-12.986v2h12.896l-4.1855 3.9766 1.377 1.4492 6.7441-6.4062-6.7246-6.7266z"></path>
      </svg>`

/** A govukPagination: the first and last pages, two either side of this one, ellipses between; previous and next. */
export function paginationHtml(page: number, pages: number, query: string): string {
  if (pages <= 1) return ''
  const href = (p: number) => esc(`?${query ? `${query}&` : ''}page=${p}`)
  let items = ''
  for (let p = 1; p <= pages; p++) {
    if (p === 1 || p === pages || (p >= page - 2 && p <= page + 2)) {
      const current = p === page
      items += `
    <li class="govuk-pagination__item${current ? ' govuk-pagination__item--current' : ''}">
      <a class="govuk-link govuk-pagination__link" href="${href(p)}" aria-label="Page ${p}"${current ? ' aria-current="page"' : ''}>
        ${p}
      </a>
    </li>`
    } else if (p === page - 3 || p === page + 3) {
      items += `
    <li class="govuk-pagination__item govuk-pagination__item--ellipsis">
      &ctdot;
    </li>`
    }
  }
  const prev =
    page > 1
      ? `
  <div class="govuk-pagination__prev">
    <a class="govuk-link govuk-pagination__link" href="${href(page - 1)}" rel="prev">
      ${ARROW_PREV}
      <span class="govuk-pagination__link-title">
        Previous<span class="govuk-visually-hidden"> page</span>
      </span>
    </a>
  </div>`
      : ''
  const next =
    page < pages
      ? `
  <div class="govuk-pagination__next">
    <a class="govuk-link govuk-pagination__link" href="${href(page + 1)}" rel="next">
      <span class="govuk-pagination__link-title">
        Next<span class="govuk-visually-hidden"> page</span>
      </span>
      ${ARROW_NEXT}
    </a>
  </div>`
      : ''
  return `<nav class="govuk-pagination" aria-label="Pagination">${prev}
  <ul class="govuk-pagination__list">${items}
  </ul>${next}
</nav>`
}
