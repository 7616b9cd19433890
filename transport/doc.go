// Package transport carries requests between Dynago nodes: replica reads and
// writes, forwarded commands, hints, anti-entropy exchanges and partition
// transfers. It owns the internode port (P+20000 by default): connections,
// framing, compression, the handshake that keeps clusters apart, the cluster
// secret's TLS, deadlines, and the fault injection tests use to partition a
// cluster. It knows nothing of keys or versions; a request is a Method (a
// number of internal/rpc's table of internode methods) and an opaque payload
// (encoded with package wire by the packages that send it).
//
// Two implementations share one contract, Transport: TCP for real nodes, and
// MemNetwork, an in-memory twin on which a whole cluster runs inside one test
// process with the same deadlines, handler errors, cluster check and faults.
//
// # Connections
//
// A node keeps Config.ConnsPerPeer persistent connections to each peer it
// calls, dialed on first use and re-dialed (with backoff) after they break.
// A connection carries requests in one direction only: the dialer sends
// requests, the acceptor answers. Two nodes that call each other therefore
// share two connections, one dialed by each, and neither ever has to decide
// which of two simultaneous dials wins. Many calls are in flight on a
// connection at once; each carries an id and responses come back in whatever
// order the handlers finish.
//
// # Handshake
//
// On connect both ends send a hello at once, then a verdict on the other's
// hello, then read the other's verdict:
//
//	hello   = magic "DYNAGO\r\n" | version u16 | body length u16 | body
//	body    = cluster id (u8 length + bytes) | node name (u8 length + bytes)
//	          | listen address (u8 length + bytes) | nonce [16]byte
//	verdict = status u8 (0 accepted, 1 refused) | reason (u16 length + bytes)
//	          | proof (u8 length + bytes; empty in version 1)
//
// A node that does not know its cluster id yet (a new node listens before it
// joins, and learns the id by joining) sends its hello once it does, within
// the dial timeout (Config.ClusterID, Transport.SetClusterID).
//
// The hello header and the verdict keep their layout in every protocol
// version, so two versions can always tell each other why they disagree. The
// body is read only when the versions match. In version 1 the proof is empty
// and not checked: the cluster secret is enforced underneath, by TLS with a
// key derived from it (see secret.go).
//
// # Frames
//
// After the verdicts, each direction is a stream of frames. Integers are
// big-endian:
//
//	offset size
//	0      1    kind: 1 request, 2 response, 3 error response (payload = message)
//	1      1    flags: bit 0 = payload is S2-compressed (block format); others 0
//	2      1    method (requests; 0 otherwise)
//	3      1    reserved, 0
//	4      4    milliseconds the caller will wait (requests; 0 otherwise)
//	8      8    request id, chosen by the caller, unique on its connection
//	16     4    payload length on the wire (at most Config.MaxFrameBytes)
//	20     n    payload
//
// A compressed payload's decoded length must not exceed MaxFrameBytes either.
// A frame that breaks any of these rules closes its connection; the reader
// checks the length before allocating, and grows its buffer as bytes actually
// arrive, so a lying header costs the reader nothing.
//
// The timeout field carries the caller's remaining deadline as a duration
// rather than an instant, so clock skew between nodes does not matter; the
// handler's context ends when the caller stops waiting.
package transport
