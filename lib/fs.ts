/**
 * `uring/fs` (L4): a drop-in for `node:fs/promises` on io_uring. (Being built: issue 6.)
 */
export {}
