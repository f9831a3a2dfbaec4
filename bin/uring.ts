#!/usr/bin/env node
/**
 * The `uring` command. `uring doctor [--json]`: can io_uring be used here, and what the kernel has.
 */
import { doctor, formatDoctor } from '../lib/doctor'

function usage(): never {
  console.error('usage: uring doctor [--json]')
  process.exit(2)
}

const [cmd, ...rest] = process.argv.slice(2)
if (cmd !== 'doctor') usage()
for (const a of rest) if (a !== '--json') usage()
const report = doctor()
if (rest.includes('--json')) {
  process.stdout.write(JSON.stringify(report, null, 2) + '\n')
} else {
  process.stdout.write(formatDoctor(report) + '\n')
}
// Not an error for the command itself: the report says what is wrong. Exit 1 lets scripts test it.
process.exitCode = report.available ? 0 : 1
