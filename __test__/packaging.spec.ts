// The per-platform packages in npm/ stay in step with package.json's napi targets and version,
// and with the names the generated binding.js loads.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import path from 'node:path'

const repo = path.resolve(__dirname, '..', '..')

test('npm/ packages match the napi targets, version and binding.js', (t) => {
  const r = spawnSync(process.execPath, [path.join(repo, 'scripts', 'check-npm.js'), '--strict'], { encoding: 'utf8' })
  t.is(r.status, 0, r.stdout + r.stderr)
})
