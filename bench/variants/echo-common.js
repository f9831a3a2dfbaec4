'use strict'
// Workload 4 (TCP echo): what the Node servers share. A server listens on 127.0.0.1 on a port
// the kernel picks, prints {"port":N,"pid":P} on one line, and serves until bench/run.js kills
// it (SIGTERM). The load client (c/echo-client.c) counts the messages and reads the server's CPU
// time and peak RSS from /proc.

/** Call once the server listens. */
function listening(server) {
  const { port } = server.address()
  process.stdout.write(JSON.stringify({ port, pid: process.pid }) + '\n')
}

module.exports = { listening }
