/**
 * The seccomp launcher of the setup-error and fallback tests (not a spec itself).
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const source = path.resolve(__dirname, '..', '..', '__test__', 'fixtures', 'noring.c')

/**
 * fixtures/noring (`noring ERRNO CMD [ARGS...]`) in a fresh temp dir (mode 0755, so nobody can run
 * it too), or undefined when it cannot be had. Built with `cc`; where there is no compiler (the
 * kernel matrix's guests) URING_TEST_NORING names a prebuilt one, which is copied instead.
 */
export function buildNoring(): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uring-noring-'))
  fs.chmodSync(dir, 0o755)
  const bin = path.join(dir, 'noring')
  const prebuilt = process.env.URING_TEST_NORING
  try {
    if (prebuilt) {
      fs.copyFileSync(prebuilt, bin)
      fs.chmodSync(bin, 0o755)
    } else execFileSync('cc', ['-O2', '-o', bin, source], { stdio: 'ignore' })
    return bin
  } catch {
    fs.rmSync(dir, { recursive: true, force: true })
    return undefined
  }
}
