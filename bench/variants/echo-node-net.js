'use strict'
// Workload 4, node net: socket.on('data', d => socket.write(d)).
const net = require('node:net')
const { listening } = require('./echo-common')

const server = net.createServer((sock) => {
  sock.on('data', (d) => sock.write(d))
  sock.on('error', () => sock.destroy())
})
server.listen(0, '127.0.0.1', () => listening(server))
