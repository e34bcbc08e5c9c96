// Progressive enhancement only: every page works without it.
import { initAll } from '/public/govuk/govuk-frontend.min.js'

initAll()

// Idle-timeout warning: two minutes before the session would end, offer to stay signed in. Staying signed in
// extends the session in the background, so nothing typed on the page is lost.
const dialog = document.getElementById('ta-timeout')
if (dialog && typeof dialog.showModal === 'function') {
  const idleMs = Number(dialog.dataset.idleMinutes) * 60_000
  const warnAt = Math.max(idleMs - 2 * 60_000, 10_000)
  let timer
  const arm = () => {
    clearTimeout(timer)
    timer = setTimeout(() => dialog.showModal(), warnAt)
  }
  dialog.querySelector('[data-ta-stay]').addEventListener('click', async () => {
    const res = await fetch('/session/extend', {
      method: 'POST',
      headers: { 'x-csrf-token': dialog.dataset.csrf, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      credentials: 'same-origin',
    })
    dialog.close()
    if (res.ok) arm()
  })
  arm()
}
