// Package rpc is the one table of internode methods: the number, name and
// owner of every request one Dynago node sends another, and Table, which a
// node serves them from.
//
// Every method is declared here, in this file, and nowhere else: the
// constants give the numbers, and methods lists each one with its name and
// the package that defines its messages (their bytes are written and read
// with package wire): the package that sends it, or, for the methods a
// replica serves, package replica, whose functions its senders call. A number appears once in that list
// — the package panics at start-up if two methods share one — and a Table
// refuses a method the list does not declare, so two packages cannot pick
// the same number without every test failing. TestMethods lists the table.
//
// The numbers are the protocol. Nodes of different releases talk to each
// other during a rolling upgrade, so a number is never renumbered or reused:
// a retired method's number stays retired. A node answers a number it does
// not serve with UnknownMethodError, which a newer node takes as an older
// peer's word and falls back (see coordinator's MethodReadDigests).
//
// rpc imports nothing of Dynago: coordinator, handoff, antientropy and
// transfer declare the interfaces they call through with its Method,
// without importing the transport; transport carries it.
package rpc

import "fmt"

// Method is the number of an internode request, the method byte of its
// frame.
type Method uint8

// Every internode method, by owner. Each owner numbers in a range of its
// own: the coordinator and the replica server below 32 (one package when
// they were numbered), anti-entropy from 32, transfers from 48, the node
// from 64.
const (
	// 1 and 2 were single-key reads and merges, now sent in batches
	// (MethodReadBatch, MethodMergeBatch). Retired: never reuse them.

	// 3 and 8 forwarded client commands as RESP text (one, and a
	// pipeline wave's); typed operations replaced them (MethodOps).
	// Retired: never reuse them.

	// MethodHint asks a stand-in to keep a write for an owner that is
	// down. Reply: the receiver's flush generation.
	MethodHint Method = 4
	// MethodMergeBatch gives a node objects to merge into its own (replica
	// writes, read repair, hint delivery, anti-entropy repairs). Reply: the
	// receiver's flush generation.
	MethodMergeBatch Method = 5
	// MethodReadBatch asks a replica for its objects of many keys.
	MethodReadBatch Method = 6
	// MethodReadDigests reads keys from a replica, given the reader's
	// digests: it answers "same" instead of an object the reader has.
	MethodReadDigests Method = 7
	// MethodReadElements asks a replica for its element records of a key
	// (a hash's fields), a page at a time.
	MethodReadElements Method = 10
	// MethodElementsDigest asks a replica for the digest of its element
	// records of a key (a collection's), to tell whether it holds what the
	// reader holds.
	MethodElementsDigest Method = 11
	// MethodOps sends typed write operations (package op), on distinct
	// keys, to the node that coordinates their writes, which decides and
	// replicates each and answers its typed result.
	MethodOps Method = 9

	// MethodScan asks an owner for the live keys of a hash range.
	MethodScan Method = 16
	// MethodCount asks a node for its live-key count of some partitions.
	MethodCount Method = 17
	// MethodFlush asks a node for its flush generation, or to move to a
	// newer one, removing every key it holds (FLUSHALL).
	MethodFlush Method = 18

	// MethodRoots asks a replica for the hash-tree roots of partitions.
	MethodRoots Method = 32
	// MethodNodes asks for the children of inner tree nodes.
	MethodNodes Method = 33
	// MethodLeafKeys asks for the (key, digest) pairs of tree leaves.
	MethodLeafKeys Method = 34

	// MethodFetch asks a previous owner for a batch of a partition's
	// records.
	MethodFetch Method = 48
	// MethodPush gives a new owner a batch of a partition's records
	// (DYNAGO LEAVE).
	MethodPush Method = 49

	// MethodNodeStatus asks a node for its dashboard figures (JSON).
	MethodNodeStatus Method = 64
)

// Info describes one method.
type Info struct {
	Method Method
	Name   string // in logs and errors
	Owner  string // the package that defines its messages
}

// methods is the table: every method, by number.
var methods = []Info{
	{MethodHint, "hint", "replica"},
	{MethodMergeBatch, "merge-batch", "replica"},
	{MethodReadBatch, "read-batch", "replica"},
	{MethodReadDigests, "read-digests", "replica"},
	{MethodOps, "ops", "coordinator"},
	{MethodReadElements, "read-elements", "replica"},
	{MethodElementsDigest, "elements-digest", "replica"},
	{MethodScan, "scan", "coordinator"},
	{MethodCount, "count", "coordinator"},
	{MethodFlush, "flush", "coordinator"},
	{MethodRoots, "roots", "antientropy"},
	{MethodNodes, "nodes", "antientropy"},
	{MethodLeafKeys, "leaf-keys", "antientropy"},
	{MethodFetch, "fetch", "transfer"},
	{MethodPush, "push", "transfer"},
	{MethodNodeStatus, "node-status", "node"},
}

// retired are the numbers of methods no release serves any more; they are
// never declared again.
var retired = []Method{1, 2, 3, 8}

// byNumber indexes methods by number; nil for a number nobody declared.
var byNumber = index(methods, retired)

// index builds byNumber, panicking if two methods share a number or a
// method takes a retired one.
func index(list []Info, retired []Method) *[256]*Info {
	var by [256]*Info
	for _, m := range retired {
		by[m] = &Info{Method: m, Name: "retired"}
	}
	for i := range list {
		in := &list[i]
		if prev := by[in.Method]; prev != nil {
			panic(fmt.Sprintf("rpc: method %d declared twice (%s and %s)", in.Method, prev.Name, in.Name))
		}
		by[in.Method] = in
	}
	for _, m := range retired {
		by[m] = nil
	}
	return &by
}

// Methods returns every method, by number.
func Methods() []Info { return append([]Info(nil), methods...) }

// Lookup returns method m's description, and false if no method has that
// number.
func Lookup(m Method) (Info, bool) {
	if in := byNumber[m]; in != nil {
		return *in, true
	}
	return Info{}, false
}

// String is m's name, or its number for a number nobody declared.
func (m Method) String() string {
	if in := byNumber[m]; in != nil {
		return in.Name
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}
