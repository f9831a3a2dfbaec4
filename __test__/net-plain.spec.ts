/**
 * net.spec's cases again with no provided-buffer group (a ring that could not register one):
 * each socket receives into a buffer of its own, single-shot.
 */
import { _setFeatures } from '../lib/net'
import './net.spec'

_setFeatures({ group: false, multishotRecv: false })
