'use strict'
// Workload 4, uring/net: the node:net code with `require('uring/net')`:
// socket.on('data', d => socket.write(d)).
const { skip } = require('./common')
const { listening } = require('./echo-common')

let net
try {
  net = require('uring/net')
} catch (e) {
  skip(`uring/net does not load: ${e.message.split('\n')[0]}`)
}
if (typeof net.createServer !== 'function') skip('uring/net not built (no createServer)')

const server = net.createServer((sock) => {
  sock.on('data', (d) => sock.write(d))
  sock.on('error', () => sock.destroy())
})
server.listen(0, '127.0.0.1', () => listening(server))
