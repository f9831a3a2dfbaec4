#!/usr/bin/env node
// `npm run test:kernels [-- --full] [-- --rows=host,5.10,6.1,6.12,6.12-disabled,host-seccomp]`:
// the kernel matrix (issue 8). Runs the compiled specs (dist/__test__) natively on the host and in
// qemu guests booting Debian's 5.10, 6.1 and 6.12 kernels, plus two rows where io_uring is switched
// off (a 6.12 guest with kernel.io_uring_disabled=2, the host under a seccomp filter); prints a
// table of passed / failed / skipped per row with the skip reasons grouped, writes a JSON report,
// exits 1 when a row failed. See docs/kernels.md (and /work/shared/KERNELS.md for the facts).
//
// Everything fetched or built is cached under $URING_KERNELS_CACHE (default ~/.cache/uring-kernels):
// the kernel packages, their unpacked vmlinux and 9p modules, and the initramfs base (busybox-static,
// node and its libraries). A second run fetches and rebuilds nothing.
'use strict'
const cp = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
const CACHE = path.resolve(process.env.URING_KERNELS_CACHE || path.join(os.homedir(), '.cache', 'uring-kernels'))
const argv = process.argv.slice(2)
const FULL = argv.includes('--full')
const rowsArg = (argv.find((a) => a.startsWith('--rows=')) || '').slice('--rows='.length)
const GUEST_TIMEOUT_S = Number(process.env.URING_KERNELS_TIMEOUT || 1800)
const REPORT = path.resolve(process.env.URING_KERNELS_REPORT || (process.env.URING_KERNELS_RUNS ? path.join(process.env.URING_KERNELS_RUNS, 'kernels-report.json') : path.join(CACHE, 'kernels-report.json')))
const MARK = 'URING-KERNELS-EXIT'
// ava's inactivity timeout: a test that hangs on an old kernel (net.spec on 5.10) costs this much;
// under TCG no passing test here is silent for more than ~30 s
const AVA_TIMEOUT = process.env.URING_KERNELS_AVA_TIMEOUT || '3m'

// The default selection: the specs whose outcome depends on the kernel (setup flags and errors,
// the probe and op table, every op family, registered files/buffers, buffer groups, queues, fs,
// net basics, chains, the driver). Left out unless --full: fs-diff (1033 differential cases, ~40 s
// natively, 15+ min under TCG; the io_uring-off rows run it anyway), the other net/driver variants,
// ESM and packaging checks, which do not depend on the kernel.
const SUBSET = [
  'setup.spec.js', 'setup-errors.spec.js', 'optable.spec.js', 'os.spec.js', 'ops.spec.js', 'ops-fs.spec.js',
  'ops-net.spec.js', 'ops-ctl.spec.js', 'registrar.spec.js', 'groups.spec.js', 'queues.spec.js', 'chains.spec.js',
  'fs.spec.js', 'net.spec.js', 'net-dgram.spec.js', 'driver.spec.js', 'badinput.spec.js',
]
const FS_SPECS = ['fs-diff.spec.js', 'fs.spec.js']
// URING_KERNELS_SPECS=a.spec.js,b.spec.js: these spec files instead of the selection (every row)
const SPECS_ENV = process.env.URING_KERNELS_SPECS
const NO_PACKAGING = (f) => f !== 'packaging.spec.js' // runs npm pack: no npm and no network in a guest

const KERNELS = {
  '5.10': { prefix: 'linux-image-5.10.0-', re: /^linux-image-5\.10\.0-(\d+)-amd64$/, suite: 'bullseye' },
  '6.1': { prefix: 'linux-image-6.1.0-', re: /^linux-image-6\.1\.0-(\d+)-amd64$/ },
  '6.12': { prefix: 'linux-image-6.12.', re: /^linux-image-6\.12\.(\d+)\+deb12-amd64$/ },
}
const ALL_ROWS = ['host', '5.10', '6.1', '6.12', '6.12-disabled', 'host-seccomp']
// the rows where io_uring is switched off: they run the setup/doctor checks and uring/fs's fallback
const OFF_ROWS = ['6.12-disabled', 'host-seccomp']
const rows = rowsArg ? rowsArg.split(',') : ALL_ROWS
for (const r of rows) if (!ALL_ROWS.includes(r)) die(`unknown row ${r} (rows: ${ALL_ROWS.join(', ')})`)

function die(msg) {
  console.error(`test:kernels: ${msg}`)
  process.exit(2)
}
function log(msg) {
  console.error(`[test:kernels ${new Date().toISOString().slice(11, 19)}] ${msg}`)
}
function sh(cmd, args, opts = {}) {
  const r = cp.spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts })
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`)
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-2000)}`)
  return r
}
const which = (cmd) => cp.spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || undefined
const mkdirp = (d) => fs.mkdirSync(d, { recursive: true })

// ---- tools --------------------------------------------------------------------------------------

let aptUpdated = false
function aptUpdate() {
  if (aptUpdated) return
  log('apt-get update')
  sh('apt-get', ['update', '-qq'], { stdio: 'inherit' })
  aptUpdated = true
}

function ensureTools() {
  const need = []
  if (!which('qemu-system-x86_64')) need.push('qemu-system-x86')
  if (cp.spawnSync('dpkg-query', ['-W', '-f=${Status}', 'busybox-static'], { encoding: 'utf8' }).stdout !== 'install ok installed') need.push('busybox-static')
  if (!which('cpio')) need.push('cpio')
  if (!which('depmod') || !which('modprobe')) need.push('kmod')
  if (!which('xz')) need.push('xz-utils')
  if (!which('zstd')) need.push('zstd')
  if (!which('cc')) need.push('gcc', 'libc6-dev')
  if (need.length === 0) return
  if (process.getuid() !== 0) die(`missing packages ${need.join(' ')}: install them (apt-get install --no-install-recommends ${need.join(' ')}) or run as root`)
  aptUpdate()
  log(`apt-get install ${need.join(' ')}`)
  sh('apt-get', ['install', '-y', '--no-install-recommends', ...need], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

// ---- kernels ------------------------------------------------------------------------------------

/** apt options for a private package list (bullseye), leaving the host's sources alone. */
function aptPrivate(suite) {
  const dir = path.join(CACHE, 'apt', suite)
  mkdirp(path.join(dir, 'lists', 'partial'))
  mkdirp(path.join(dir, 'cache', 'archives', 'partial'))
  mkdirp(path.join(dir, 'parts'))
  const list = path.join(dir, 'sources.list')
  fs.writeFileSync(list, `deb http://deb.debian.org/debian ${suite} main\ndeb http://security.debian.org/debian-security ${suite}-security main\n`)
  return [
    '-o', `Dir::Etc::SourceList=${list}`, '-o', `Dir::Etc::SourceParts=${path.join(dir, 'parts')}`,
    '-o', `Dir::State::Lists=${path.join(dir, 'lists')}`, '-o', `Dir::Cache=${path.join(dir, 'cache')}`,
    '-o', 'Dir::State::status=/dev/null', '-o', 'APT::Get::List-Cleanup=0',
  ]
}

/** The newest package for kernel `name`: its name, from the host's lists or a private one. */
function newestPackage(name) {
  const k = KERNELS[name]
  const opts = k.suite ? aptPrivate(k.suite) : []
  const list = () => sh('apt-cache', [...opts, 'pkgnames', k.prefix]).stdout.split('\n').filter((p) => k.re.test(p))
  let names = list()
  if (names.length === 0) {
    if (k.suite) {
      log(`apt-get update (private ${k.suite} list, for the download only)`)
      sh('apt-get', [...opts, 'update', '-qq'], { stdio: 'inherit' })
    } else aptUpdate()
    names = list()
  }
  if (names.length === 0) throw new Error(`no package matches ${k.re} in the apt lists`)
  names.sort((a, b) => Number(k.re.exec(a)[1]) - Number(k.re.exec(b)[1]))
  return { pkg: names[names.length - 1], opts }
}

/** Extracts the uncompressed vmlinux from a bzImage (as the kernel's scripts/extract-vmlinux does). */
function extractVmlinux(bzImage, out) {
  const img = fs.readFileSync(bzImage)
  const tries = [
    [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'xz', ['-dc', '--single-stream']],
    [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd', ['-dcq']],
    [Buffer.from([0x1f, 0x8b, 0x08]), 'gzip', ['-dc']],
  ]
  for (const [magic, cmd, args] of tries) {
    for (let off = img.indexOf(magic); off >= 0; off = img.indexOf(magic, off + 1)) {
      const r = cp.spawnSync(cmd, args, { input: img.subarray(off), maxBuffer: 1 << 30 })
      if (r.stdout && r.stdout.length > 1e6 && r.stdout.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'))) {
        fs.writeFileSync(out, r.stdout)
        return true
      }
    }
  }
  return false
}

/** Fetches, unpacks and prepares kernel `name`; cached in CACHE/kernels/NAME/ready.json. */
function prepareKernel(name) {
  const dir = path.join(CACHE, 'kernels', name)
  const readyFile = path.join(dir, 'ready.json')
  if (fs.existsSync(readyFile)) return JSON.parse(fs.readFileSync(readyFile, 'utf8'))
  const t0 = Date.now()
  fs.rmSync(dir, { recursive: true, force: true })
  mkdirp(dir)
  const { pkg, opts } = newestPackage(name)
  log(`${name}: apt-get download ${pkg}`)
  sh('apt-get', [...opts, 'download', pkg], { cwd: dir, stdio: 'inherit' })
  const deb = fs.readdirSync(dir).find((f) => f.endsWith('.deb'))
  const rootfs = path.join(dir, 'root')
  sh('dpkg-deb', ['-x', path.join(dir, deb), rootfs])
  // usr-merged packages put modules under usr/lib; depmod -b looks under lib
  if (!fs.existsSync(path.join(rootfs, 'lib', 'modules')) && fs.existsSync(path.join(rootfs, 'usr', 'lib', 'modules'))) {
    fs.symlinkSync('usr/lib', path.join(rootfs, 'lib'))
  }
  const kver = fs.readdirSync(path.join(rootfs, 'lib', 'modules'))[0]
  const bz = path.join(rootfs, 'boot', `vmlinuz-${kver}`)
  sh('depmod', ['-b', rootfs, kver])
  const dep = sh('modprobe', ['-d', rootfs, '-S', kver, '--show-depends', '-a', 'virtio_pci', '9pnet_virtio', '9p']).stdout
  const mods = []
  const modDir = path.join(dir, 'modules')
  mkdirp(modDir)
  for (const line of dep.split('\n')) {
    const m = /^insmod (\S+)/.exec(line)
    if (!m) continue
    const base = path.basename(m[1]).replace(/\.(xz|zst|gz)$/, '')
    if (mods.includes(base)) continue
    const src = m[1]
    const data = src.endsWith('.xz') ? sh('xz', ['-dc', src], { encoding: 'buffer' }).stdout
      : src.endsWith('.zst') ? sh('zstd', ['-dcq', src], { encoding: 'buffer' }).stdout : fs.readFileSync(src)
    fs.writeFileSync(path.join(modDir, base), data)
    mods.push(base)
  }
  const vmlinux = path.join(dir, 'vmlinux')
  const kernel = extractVmlinux(bz, vmlinux) ? vmlinux : bz
  fs.copyFileSync(bz, path.join(dir, 'vmlinuz'))
  fs.rmSync(rootfs, { recursive: true, force: true })
  fs.rmSync(path.join(dir, deb))
  const ready = { name, pkg, kver, kernel, bzImage: path.join(dir, 'vmlinuz'), modules: mods, preparedIn: (Date.now() - t0) / 1000 }
  fs.writeFileSync(readyFile, JSON.stringify(ready, null, 2))
  log(`${name}: ${pkg} (${kver}) ready in ${ready.preparedIn.toFixed(1)} s, modules ${mods.join(' ') || '(all built in)'}`)
  return ready
}

// ---- initramfs ----------------------------------------------------------------------------------

/** Writes a newc cpio archive of the tree `dir` to `out`. */
function cpio(dir, out) {
  const files = sh('find', ['.', '-mindepth', '1'], { cwd: dir }).stdout
  sh('cpio', ['-o', '-H', 'newc', '--quiet', '-R', '0:0', '-O', out], { cwd: dir, input: files })
}

/** Copies `bin` and every library ldd lists for it into `dest` at the same paths. */
function copyWithLibs(bin, dest, as) {
  const put = (src, at) => {
    const to = path.join(dest, at)
    if (fs.existsSync(to)) return
    mkdirp(path.dirname(to))
    fs.copyFileSync(fs.realpathSync(src), to)
    fs.chmodSync(to, 0o755)
  }
  put(bin, as || bin)
  const ldd = cp.spawnSync('ldd', [bin], { encoding: 'utf8' }).stdout || ''
  for (const line of ldd.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) || /^\s*(\/\S+)/.exec(line)
    if (m) put(m[1], m[1])
  }
}

/** The cached base archive: busybox-static, node, util-linux's prlimit/setpriv and their libraries. */
function initramfsBase() {
  const node = fs.realpathSync(process.execPath)
  const st = fs.statSync(node)
  const key = `${node} ${st.size} ${st.mtimeMs} ${process.version} v1`
  const dir = path.join(CACHE, 'initramfs')
  const out = path.join(dir, 'base.cpio')
  const keyFile = path.join(dir, 'base.key')
  if (fs.existsSync(out) && fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') === key) return out
  log('building the initramfs base (busybox-static, node and its libraries)')
  const stage = path.join(dir, 'stage')
  fs.rmSync(stage, { recursive: true, force: true })
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root', 'modules', 'out']) mkdirp(path.join(stage, d))
  fs.copyFileSync('/bin/busybox', path.join(stage, 'bin', 'busybox'))
  fs.chmodSync(path.join(stage, 'bin', 'busybox'), 0o755)
  copyWithLibs(node, stage, '/usr/bin/node')
  for (const tool of ['prlimit', 'setpriv']) {
    const p = which(tool)
    if (p) copyWithLibs(p, stage, `/usr/bin/${tool}`)
  }
  copyWithLibs(path.join(root, 'uring.linux-x64-gnu.node'), path.join(dir, 'scratch')) // only for its libraries
  for (const lib of fs.readdirSync(path.join(dir, 'scratch'), { recursive: true })) {
    const src = path.join(dir, 'scratch', lib)
    if (fs.statSync(src).isFile() && !lib.endsWith('.node') && !fs.existsSync(path.join(stage, lib))) {
      mkdirp(path.dirname(path.join(stage, lib)))
      fs.copyFileSync(src, path.join(stage, lib))
    }
  }
  fs.rmSync(path.join(dir, 'scratch'), { recursive: true, force: true })
  fs.writeFileSync(path.join(stage, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n')
  fs.writeFileSync(path.join(stage, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n')
  fs.writeFileSync(path.join(stage, 'etc', 'hosts'), '127.0.0.1 localhost\n::1 localhost ip6-localhost\n')
  cpio(stage, out)
  fs.rmSync(stage, { recursive: true, force: true })
  fs.writeFileSync(keyFile, key)
  return out
}

/** The specs' C launchers (fixtures/noring.c, fixtures/withevfd.c), built on the host: guests have no compiler. */
function buildLaunchers() {
  mkdirp(CACHE)
  const out = {}
  for (const name of ['noring', 'withevfd']) {
    out[name] = path.join(CACHE, name)
    sh('cc', ['-O2', '-o', out[name], path.join(root, '__test__', 'fixtures', `${name}.c`)])
  }
  return out
}

// ---- running the specs --------------------------------------------------------------------------

const AVA = path.join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs')

function specFiles(list) {
  const all = fs.readdirSync(path.join(root, 'dist', '__test__')).filter((f) => f.endsWith('.spec.js')).sort()
  const chosen = list === 'all' ? all.filter(NO_PACKAGING) : list
  for (const f of chosen) if (!all.includes(f)) die(`dist/__test__/${f} is missing: run npm run build:ts`)
  return chosen.map((f) => path.join('dist', '__test__', f))
}

/**
 * Parses ava's TAP output of one spec file into counts and the tests' titles, each prefixed with
 * `<spec> › ` as ava does when it runs several files. `titles` holds them without what depends on
 * the kernel (a skip suffix, the running release), to match a guest's tests against the host's.
 */
function parseTap(text, spec) {
  const res = { passed: 0, failed: 0, skipped: 0, todo: 0, failures: [], skips: [], titles: new Set() }
  for (const line of text.split('\n')) {
    const m = /^(not ok|ok) \d+ - (.*)$/.exec(line)
    if (!m) continue
    let title = m[2]
    const dir = /\s+#\s+(SKIP|TODO)\b.*$/i.exec(title)
    if (dir) title = title.slice(0, dir.index)
    if (spec && !title.startsWith(`${spec} › `)) title = `${spec} › ${title}`
    res.titles.add(title.replace(/ \(skipped: .*$/, '').replace(/([;,] (?:running|this is) )[^);,]+/g, '$1*'))
    if (dir && /skip/i.test(dir[1])) {
      res.skipped++
      res.skips.push(title)
    } else if (dir) res.todo++
    else if (m[1] === 'ok') res.passed++
    else {
      res.failed++
      res.failures.push(title)
    }
  }
  return res
}

/** The reason in a skipped test's title, without the running kernel's release. */
function skipReason(title) {
  // the specs end a skipped title with `(skipped: <reason>)`; the reason may hold parentheses itself
  const i = title.lastIndexOf('(skipped: ')
  let reason
  if (i >= 0) reason = title.slice(i + '(skipped: '.length).replace(/\)\s*$/, '')
  else {
    const m = /\(([^()]*(?:needs|no |not |without|requires)[^()]*)\)\s*$/i.exec(title)
    if (!m) return '(no reason in the title)'
    reason = m[1]
  }
  return reason.replace(/[,;] (this is|running) [^,;]*$/, '').trim()
}

/**
 * The shell commands a row runs (in a guest or on the host) and what they write to OUT. Each spec
 * file runs in its own ava process (TAP in OUT/tap-<spec>.txt, stderr in ava-<spec>.err, exit
 * status in status-<spec>), so that a file that hangs until ava's inactivity timeout costs only
 * its own tests: ava stops every file at a timeout, and its TAP reporter then dies before naming
 * the pending tests. Two lanes take the files from one queue (mkdir is the lock), as ava's own
 * concurrency would on 2 CPUs. PRE prefixes every command (timeout, the seccomp launcher).
 */
function rowScript(row, files, out, pre = '') {
  const disabled = OFF_ROWS.includes(row)
  const cause = row === 'host-seccomp' ? 'seccomp' : 'sysctl'
  const lines = []
  if (disabled) lines.push(`${pre}node scripts/test-kernels-check.js ${cause} > ${out}/checks.json 2> ${out}/checks.err; echo $? > ${out}/checks.status`)
  lines.push(
    'lane() {',
    `  for f in ${files.join(' ')}; do`,
    '    b=$(basename $f .js)',
    `    mkdir ${out}/claim-$b 2>/dev/null || continue`,
    `    ${pre}node ${AVA} --tap --timeout=${AVA_TIMEOUT} $f > ${out}/tap-$b.txt 2> ${out}/ava-$b.err`,
    `    echo $? > ${out}/status-$b`,
    '  done',
    '}',
    // URING_KERNELS_PS=n: a process listing every n seconds in OUT/ps.txt, to see what hangs
    // (with each node thread's kernel stack and wchan: where a blocked syscall waits; the fdinfo of
    // every io_uring and eventfd fd: SQ/CQ heads and tails, overflow, eventfd counts; the TCP table)
    ...(process.env.URING_KERNELS_PS ? [`(while sleep ${process.env.URING_KERNELS_PS}; do { ps; cat /proc/loadavg; for t in /proc/[0-9]*/task/*; do case "$(cat $t/comm 2>/dev/null)" in node*|MainThread|*Worker*|libuv*) echo "$t $(cat $t/comm) $(cat $t/wchan 2>/dev/null)"; cat $t/stack 2>/dev/null;; esac; done; for f in /proc/[0-9]*/fd/*; do case "$(readlink $f 2>/dev/null)" in *io_uring*|*eventfd*) echo "$f $(readlink $f)"; cat $(echo $f | sed s,/fd/,/fdinfo/,) 2>/dev/null;; esac; done; cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; echo ---; } >> ${out}/ps.txt 2>&1; done) & ps=$!`] : []),
    'lane & l1=$!; lane & l2=$!; wait $l1 $l2',
    ...(process.env.URING_KERNELS_PS ? ['kill $ps'] : []),
    `s=0; for x in ${out}/status-*; do [ "$(cat $x)" = 0 ] || s=1; done; echo $s > ${out}/ava.status`,
  )
  return lines.join('\n')
}

function runHost(row, files, outDir, launchers) {
  const { noring } = launchers
  const env = { ...process.env, URING_TEST_NORING: noring, URING_TEST_WITHEVFD: launchers.withevfd, FORCE_COLOR: '0' }
  // a hung spec must not hang the matrix
  const pre = `timeout -k 10 ${GUEST_TIMEOUT_S} ${row === 'host-seccomp' ? `${noring} 1 ` : ''}`
  const t0 = Date.now()
  cp.spawnSync('sh', ['-c', rowScript(row, files, outDir, pre)], { cwd: root, env, stdio: 'inherit' })
  return { seconds: (Date.now() - t0) / 1000 }
}

let qemuChild
function killQemu() {
  if (qemuChild && qemuChild.exitCode === null) {
    try {
      process.kill(qemuChild.pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
}
process.on('exit', killQemu)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killQemu()
    process.exit(130)
  })
}

function kvmUsable() {
  if (process.env.URING_KERNELS_ACCEL) return process.env.URING_KERNELS_ACCEL === 'kvm'
  try {
    const mods = fs.readFileSync('/proc/modules', 'utf8')
    return /^kvm_(intel|amd) /m.test(mods) && fs.existsSync('/dev/kvm')
  } catch {
    return false
  }
}

async function runGuest(row, kernel, files, outDir, base, launchers) {
  const runDir = path.join(outDir, 'initramfs')
  fs.rmSync(runDir, { recursive: true, force: true })
  mkdirp(path.join(runDir, 'modules'))
  mkdirp(path.join(runDir, 'usr', 'bin'))
  for (const m of kernel.modules) fs.copyFileSync(path.join(CACHE, 'kernels', kernel.name, 'modules', m), path.join(runDir, 'modules', m))
  for (const [name, bin] of Object.entries(launchers)) {
    fs.copyFileSync(bin, path.join(runDir, 'usr', 'bin', name))
    fs.chmodSync(path.join(runDir, 'usr', 'bin', name), 0o755)
  }
  // shares: the checkout at its own path, node_modules' real directory when it lies outside it, OUT
  const shares = [{ tag: 'repo', host: root, guest: root, ro: false }]
  const nm = fs.realpathSync(path.join(root, 'node_modules'))
  if (!nm.startsWith(root + path.sep)) shares.push({ tag: 'nm', host: nm, guest: nm, ro: true })
  shares.push({ tag: 'out', host: outDir, guest: '/out', ro: false })
  const init = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME=/root TMPDIR=/tmp FORCE_COLOR=0 URING_TEST_NORING=/usr/bin/noring URING_TEST_WITHEVFD=/usr/bin/withevfd
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmp /tmp; mount -t tmpfs shm /dev/shm
for m in ${kernel.modules.join(' ')}; do insmod /modules/$m || echo "insmod $m failed"; done
ip link set lo up
${shares.map((s) => `mkdir -p ${s.guest} && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144${s.ro ? ',ro' : ''} ${s.tag} ${s.guest} || echo "mount ${s.tag} failed"`).join('\n')}
${row === '6.12-disabled' ? 'sysctl -w kernel.io_uring_disabled=2' : ''}
echo "guest up: $(uname -r), $(cat /proc/uptime)"
cd ${root}
${rowScript(row, files, '/out')}
sync
echo "${MARK} $(cat /out/ava.status)"
poweroff -f
`
  fs.writeFileSync(path.join(runDir, 'init'), init, { mode: 0o755 })
  const runCpio = path.join(outDir, 'run.cpio')
  cpio(runDir, runCpio)
  const initrd = path.join(outDir, 'initrd.cpio')
  fs.writeFileSync(initrd, Buffer.concat([fs.readFileSync(base), fs.readFileSync(runCpio)]))
  fs.rmSync(runDir, { recursive: true, force: true })
  fs.rmSync(runCpio)

  const kvm = kvmUsable()
  const pidfile = path.join(outDir, 'qemu.pid')
  const consoleLog = path.join(outDir, 'console.log')
  const args = [
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    ...(kvm ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
    '-smp', '2', '-m', '3G',
    '-kernel', kernel.kernel, '-initrd', initrd,
    '-append', 'console=ttyS0 panic=-1 rdinit=/init quiet',
    '-serial', `file:${consoleLog}`, '-pidfile', pidfile,
    '-device', 'virtio-rng-pci',
    ...shares.flatMap((s) => ['-virtfs', `local,path=${s.host},mount_tag=${s.tag},security_model=none${s.ro ? ',readonly=on' : ''}`]),
  ]
  const t0 = Date.now()
  log(`${row}: booting ${kernel.kver} (${kvm ? 'KVM' : 'TCG'}) with ${files.length} spec files`)
  const status = await new Promise((resolve) => {
    qemuChild = cp.spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'inherit', 'inherit'] })
    const timer = setTimeout(() => {
      log(`${row}: timed out after ${GUEST_TIMEOUT_S} s, killing qemu`)
      killQemu()
    }, GUEST_TIMEOUT_S * 1000)
    qemuChild.on('exit', (code, sig) => {
      clearTimeout(timer)
      resolve(sig ? `signal ${sig}` : code)
    })
  })
  fs.rmSync(initrd, { force: true })
  const seconds = (Date.now() - t0) / 1000
  const text = fs.existsSync(consoleLog) ? fs.readFileSync(consoleLog, 'utf8') : ''
  const marker = new RegExp(`^${MARK} (\\S*)`, 'm').exec(text)
  return { seconds, qemuStatus: status, marker: marker ? marker[1] : undefined, console: consoleLog }
}

function hostTitles(outDir, f) {
  const file = path.join(outDir, `tap-${path.basename(f, '.js')}.txt`)
  return fs.existsSync(file) ? parseTap(fs.readFileSync(file, 'utf8'), path.basename(f, '.spec.js')).titles : new Set()
}

function lastLine(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  const err = lines.find((l) => /^(\w*Error|Uncaught|✘)/.test(l))
  return (err || lines[lines.length - 1] || '(no output)').slice(0, 200)
}

/** Counts a row's results from the per-file TAP files; EXPECTED maps a spec to the host row's titles. */
function collect(row, outDir, run, files, expected) {
  const read = (f) => (fs.existsSync(path.join(outDir, f)) ? fs.readFileSync(path.join(outDir, f), 'utf8') : undefined)
  const res = { passed: 0, failed: 0, skipped: 0, todo: 0, failures: [], skips: [], errors: [], perFile: {} }
  for (const f of files) {
    const b = path.basename(f, '.js')
    const tap = read(`tap-${b}.txt`) || ''
    const r = parseTap(tap, b.replace(/\.spec$/, ''))
    for (const k of ['passed', 'failed', 'skipped', 'todo']) res[k] += r[k]
    res.failures.push(...r.failures)
    res.skips.push(...r.skips)
    const status = read(`status-${b}`)
    const err = read(`ava-${b}.err`) || ''
    const reported = r.passed + r.failed + r.skipped + r.todo
    res.perFile[b] = { passed: r.passed, failed: r.failed, skipped: r.skipped, status: status === undefined ? null : Number(status) }
    // the tests of this file the host reported (when the host row ran) and this row did not
    const missing = expected && expected.has(b) ? [...expected.get(b)].filter((t) => !r.titles.has(t)) : []
    let why
    if (status === undefined) why = `did not finish${run.marker === undefined && run.console ? ` (no ${MARK} line on the console, see ${run.console})` : ''}`
    else if (/Timed out|writeTimeout/.test(err)) why = `hit ava's inactivity timeout (${AVA_TIMEOUT}) after ${reported} tests`
    else if (Number(status) !== 0 && r.failed === 0) why = `ava exited ${status.trim()} with no failed test: ${lastLine(err)}`
    if (why) res.errors.push(`${b}: ${why}${missing.length ? `; ${missing.length} of its tests never reported` : ''} (see ${path.join(outDir, `ava-${b}.err`)})`)
    if (missing.length) {
      // a test that never reported did not pass: it counts as failed
      res.failed += missing.length
      res.failures.push(...missing.map((t) => `${t} (never reported)`))
    }
  }
  if (OFF_ROWS.includes(row)) {
    let checks
    try {
      checks = JSON.parse(read('checks.json')).checks
    } catch {
      res.errors.push(`the io_uring-off checks printed no report (${read('checks.err') || ''})`)
    }
    res.checks = checks || []
    for (const c of res.checks) {
      if (c.ok) res.passed++
      else {
        res.failed++
        res.failures.push(`check: ${c.name}: ${c.detail}`)
      }
    }
  }
  return { row, ...run, ...res }
}

function table(results) {
  const head = ['row', 'kernel', 'passed', 'failed', 'skipped', 'errors', 'time']
  const body = results.map((r) => [r.row, r.kver || '', String(r.passed), String(r.failed), String(r.skipped), String(r.errors.length), `${r.seconds.toFixed(0)} s`])
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)))
  const fmt = (cells) => '| ' + cells.map((c, i) => (i >= 2 ? c.padStart(w[i]) : c.padEnd(w[i]))).join(' | ') + ' |'
  return [fmt(head), '|' + w.map((n, i) => (i >= 2 ? '-'.repeat(n + 1) + ':' : '-'.repeat(n + 2))).join('|') + '|', ...body.map(fmt)].join('\n')
}

async function main() {
  const tStart = Date.now()
  if (!fs.existsSync(path.join(root, 'dist', '__test__'))) die('no dist/__test__: run npm run build:ts first')
  ensureTools()
  mkdirp(CACHE)
  const launchers = buildLaunchers()
  const guestRows = rows.filter((r) => !r.startsWith('host'))
  const kernels = {}
  for (const r of guestRows) {
    const name = r.replace(/-disabled$/, '')
    kernels[name] ??= prepareKernel(name)
  }
  const base = guestRows.length ? initramfsBase() : undefined
  const tPrepared = Date.now()
  const chosen = SPECS_ENV ? SPECS_ENV.split(',').map((f) => (f.endsWith('.js') ? f : `${f}.js`)) : undefined
  const selection = chosen || (FULL ? 'all' : SUBSET)
  if (chosen) log(`running the spec files of URING_KERNELS_SPECS: ${chosen.join(' ')}`)
  else log(FULL ? 'running every spec file (--full)' : `running the default subset (${SUBSET.length} spec files; --full for all): ${SUBSET.join(' ')}`)
  const results = []
  const expected = new Map() // spec -> the titles the host row reported, to name what a guest never did
  const runsDir = path.resolve(process.env.URING_KERNELS_RUNS || path.join(CACHE, 'runs'))
  for (const row of rows) {
    const outDir = path.join(runsDir, row)
    fs.rmSync(outDir, { recursive: true, force: true })
    mkdirp(outDir)
    const disabled = OFF_ROWS.includes(row)
    const files = specFiles(disabled && !chosen ? FS_SPECS : selection)
    let run
    let kver = os.release()
    if (row.startsWith('host')) {
      log(`${row}: running ${files.length} spec files natively${row === 'host-seccomp' ? ' under fixtures/noring (io_uring_setup -> EPERM)' : ''}`)
      run = runHost(row, files, outDir, launchers)
    } else {
      const k = kernels[row.replace(/-disabled$/, '')]
      kver = k.kver
      run = await runGuest(row, k, files, outDir, base, launchers)
    }
    const res = collect(row, outDir, run, files, expected)
    if (row === 'host') for (const f of files) expected.set(path.basename(f, '.js'), hostTitles(outDir, f))
    res.kver = kver
    res.files = files.map((f) => path.basename(f))
    results.push(res)
    log(`${row}: ${res.passed} passed, ${res.failed} failed, ${res.skipped} skipped in ${res.seconds.toFixed(0)} s${res.errors.length ? ' — ' + res.errors.join('; ') : ''}`)
  }
  const total = (Date.now() - tStart) / 1000

  // the report
  const what = chosen ? `URING_KERNELS_SPECS: ${chosen.join(' ')}` : FULL ? 'every spec file, --full' : `default subset of ${SUBSET.length} spec files; --full runs all; the io_uring-off rows run ${FS_SPECS.join(' + ')}`
  console.log(`\nKernel matrix (${what}; the io_uring-off rows also run the setup/doctor checks)\n`)
  console.log(table(results))
  const reasons = new Map()
  for (const r of results) {
    for (const t of r.skips) {
      const k = skipReason(t)
      if (!reasons.has(k)) reasons.set(k, new Map())
      reasons.get(k).set(r.row, (reasons.get(k).get(r.row) || 0) + 1)
    }
  }
  if (reasons.size) {
    console.log('\nSkipped, by reason (row: count):')
    const sorted = [...reasons].sort((a, b) => a[0].localeCompare(b[0], 'en', { numeric: true }))
    for (const [k, m] of sorted) console.log(`  ${k}  [${[...m].map(([row, n]) => `${row}: ${n}`).join(', ')}]`)
  }
  for (const r of results) {
    if (r.checks && r.checks.length) {
      console.log(`\n${r.row} checks:`)
      for (const c of r.checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.ok ? '' : ': ' + c.detail}`)
    }
  }
  const bad = results.filter((r) => r.failed || r.errors.length)
  for (const r of bad) {
    console.log(`\n${r.row} (${r.kver}) failures:`)
    for (const f of r.failures) console.log(`  not ok ${f}`)
    for (const e of r.errors) console.log(`  error: ${e}`)
    console.log(`  (TAP output: ${path.join(runsDir, r.row, 'tap-<spec>.txt')})`)
  }
  console.log(`\nprepare ${((tPrepared - tStart) / 1000).toFixed(0)} s, total ${total.toFixed(0)} s; report: ${REPORT}`)
  mkdirp(path.dirname(REPORT))
  fs.writeFileSync(REPORT, JSON.stringify({
    date: new Date().toISOString(), host: os.release(), full: FULL, subset: chosen || (FULL ? undefined : SUBSET), accel: kvmUsable() ? 'kvm' : 'tcg',
    prepareSeconds: (tPrepared - tStart) / 1000, totalSeconds: total,
    kernels: Object.values(kernels).map((k) => ({ name: k.name, pkg: k.pkg, kver: k.kver })),
    rows: results.map((r) => ({
      row: r.row, kernel: r.kver, seconds: r.seconds, passed: r.passed, failed: r.failed, skipped: r.skipped, todo: r.todo,
      errors: r.errors, failures: r.failures, skips: r.skips.map((t) => ({ title: t, reason: skipReason(t) })), checks: r.checks, files: r.files, perFile: r.perFile,
    })),
  }, null, 2) + '\n')
  process.exitCode = bad.length ? 1 : 0
}

main().catch((e) => {
  console.error(e.stack || String(e))
  killQemu()
  process.exit(2)
})
