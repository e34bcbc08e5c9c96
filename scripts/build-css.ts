// `npm run build:css`: compiles src/web/scss/app.scss (GOV.UK Frontend with a system font) to src/web/public/app.css.
import fs from 'node:fs'
import path from 'node:path'
import * as sass from 'sass'

const root = path.resolve(import.meta.dirname, '..')
const out = sass.compile(path.join(root, 'src/web/scss/app.scss'), {
  loadPaths: [path.join(root, 'node_modules/govuk-frontend/dist')],
  style: 'compressed',
  quietDeps: true,
  silenceDeprecations: ['import', 'global-builtin', 'color-functions', 'slash-div'] as sass.DeprecationOrId[],
})
fs.writeFileSync(path.join(root, 'src/web/public/app.css'), out.css)
console.log(`src/web/public/app.css: ${out.css.length} bytes`)
