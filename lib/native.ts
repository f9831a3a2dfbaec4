/**
 * Loads the native addon (generated `binding.js`), with a clear error where there is none.
 * @internal
 */
import { UringError } from './errors'

type Binding = typeof import('../binding')

function load(): Binding {
  if (process.platform !== 'linux') {
    throw new UringError(
      'ERR_URING_UNSUPPORTED_PLATFORM',
      `io_uring is a Linux interface; this is ${process.platform}. uring publishes binaries for linux-x64-gnu, linux-arm64-gnu, linux-x64-musl and linux-arm64-musl.`,
    )
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../../binding.js') as Binding
  } catch (e) {
    const err = new UringError(
      'ERR_URING_UNSUPPORTED_PLATFORM',
      `the uring native addon could not be loaded for linux-${process.arch} (${(e as Error).message}). Published targets: linux-x64-gnu, linux-arm64-gnu, linux-x64-musl, linux-arm64-musl; elsewhere install Rust and run \`npm rebuild uring\` to build from source.`,
    )
    ;(err as Error & { cause?: unknown }).cause = e
    throw err
  }
}

export const native: Binding = load()
export const LAYOUT = native.layout()
