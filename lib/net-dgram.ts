/**
 * UDP sockets for `uring/net` (a `dgram`-like socket on sendmsg/recvmsg). (Being built: issue 6.)
 */
export {}
