// Package transfer moves partitions between nodes when the ring changes:
// Dynamo's handoff of key ranges on join, leave and removal.
//
// A node that becomes an owner of a partition pulls it. Manager.RingChanged
// compares the old ring with the new one and queues every partition this node
// gained; a single background worker takes them one at a time and asks a
// previous owner (the first live one in the old ring's preference order) for
// the partition's records in batches (rpc.MethodFetch), resuming from a ring
// position cursor, and merges each batch into the local store with
// version.Merge semantics. Merging makes the transfer safe to repeat, to
// resume from another source, and to overlap with live writes: nothing the
// receiver already holds is lost, concurrent versions become siblings. When
// no previous owner answers, the partition is retried after RetryInterval for
// as long as this node owns it. A node that leaves on purpose does the
// opposite with Manager.Leave: it pushes every partition it holds to the
// owners that replace it (rpc.MethodPush) before it exits, so a planned
// departure never depends on the remaining replicas alone.
//
// Batches carry whole records (key and encoded version.Object), S2-compressed,
// about BatchBytes each before compression, and both directions are paced to
// RateBytes so that a transfer does not starve client traffic. The server
// side (HandleFetch, HandlePush) validates every message off the network and
// bounds what it allocates before decoding.
//
// The queue (queue.go) and the pacer (pacer.go) are plain state machines that
// take the time as an argument; Manager wraps them with the one goroutine and
// the network calls.
package transfer
