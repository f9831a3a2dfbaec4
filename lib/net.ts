/**
 * `uring/net` (L4): TCP, Unix and UDP sockets on io_uring. (Being built: issue 6.)
 */
export * from './net-dgram'
