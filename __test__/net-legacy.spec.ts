/**
 * net.spec's cases again, on the paths kernels before 5.19 take (here too, with the features
 * turned off): socket(2), bind(2) and listen(2) as synchronous calls, a loop of single accepts,
 * one single-shot recv at a time from a PROVIDE_BUFFERS group (which, unlike a buffer ring, takes a
 * buffer for the 0-byte receive of EOF), no send_zc; and shutdown(2) as on 5.10 (IORING_OP_SHUTDOWN
 * is 5.11).
 */
import { _setFeatures } from '../lib/net'
import './net.spec'

_setFeatures({ socketOp: false, bindListenOps: false, shutdownOp: false, multishotAccept: false, multishotRecv: false, zc: false, group: 'legacy' })
