// Package difftest owns Dynago's differential tester: seeded random command
// streams sent to a reference redis-server 7 and to a Dynago node, with every
// reply compared exactly.
//
// It holds the generator of command streams (Generate, weighted toward edge
// values, wrong arity, unknown and repeated options, keys that expire
// mid-stream, transactions with queue-time and runtime errors and WATCHed
// keys), a raw RESP client that reads each reply as a typed tree (so a
// null is not an empty string and a RESP3 map is not an array), the
// per-command comparators for replies that Redis itself does not fix (TIME,
// RANDOMKEY, SCAN cursors, TTL drift, ...), the runner that replays a stream on
// both servers and shrinks a mismatch to the fewest commands that still
// differ, and the one list of intended differences (Intended), each with its
// reason. Anything else that differs is a bug in Dynago.
//
// Expiry is made deterministic without racing sleeps: the runner knows, from
// each command it sent, the window in which a key's expiry may fire on either
// server, and before a command that looks at such a key (or at the whole key
// space) while its window is near or open, it waits until the window has
// passed on both servers (a bounded wait: only short expiries are near).
package difftest
