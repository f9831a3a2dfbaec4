'use strict'
// Workload 4, uring/net with async iteration: for await (const chunk of sock) sock.write(chunk).
const { skip } = require('./common')
const { listening } = require('./echo-common')

let net
try {
  net = require('uring/net')
} catch (e) {
  skip(`uring/net does not load: ${e.message.split('\n')[0]}`)
}
if (typeof net.createServer !== 'function') skip('uring/net not built (no createServer)')

const server = net.createServer(async (sock) => {
  try {
    for await (const chunk of sock) sock.write(chunk)
  } catch {
    sock.destroy()
  }
})
server.listen(0, '127.0.0.1', () => listening(server))
