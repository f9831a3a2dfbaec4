/**
 * The C launchers of some specs (not a spec itself): fixtures/noring.c, the seccomp launcher of
 * the setup-error and fallback tests, and fixtures/withevfd.c, which gives a child an eventfd.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const fixtures = path.resolve(__dirname, '..', '..', '__test__', 'fixtures')

/**
 * fixtures/noring (`noring ERRNO CMD [ARGS...]`) in a fresh temp dir (mode 0755, so nobody can run
 * it too), or undefined when it cannot be had. Built with `cc`; where there is no compiler (the
 * kernel matrix's guests) URING_TEST_NORING names a prebuilt one, which is copied instead.
 */
export function buildNoring(): string | undefined {
  return buildLauncher('noring', process.env.URING_TEST_NORING)
}

/**
 * fixtures/withevfd (`withevfd CMD [ARGS...]`: CMD gets a non-blocking eventfd as fd 3), like
 * buildNoring; URING_TEST_WITHEVFD names a prebuilt one.
 */
export function buildWithEvfd(): string | undefined {
  return buildLauncher('withevfd', process.env.URING_TEST_WITHEVFD)
}

function buildLauncher(name: string, prebuilt: string | undefined): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `uring-${name}-`))
  fs.chmodSync(dir, 0o755)
  const bin = path.join(dir, name)
  try {
    if (prebuilt) {
      fs.copyFileSync(prebuilt, bin)
      fs.chmodSync(bin, 0o755)
    } else execFileSync('cc', ['-O2', '-o', bin, path.join(fixtures, `${name}.c`)], { stdio: 'ignore' })
    return bin
  } catch {
    fs.rmSync(dir, { recursive: true, force: true })
    return undefined
  }
}
