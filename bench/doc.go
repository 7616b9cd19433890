// Package bench measures Dynago side by side with redis-server.
//
// It owns the benchmark runner behind `make bench`: starting the systems under
// test on loopback (a Target, made from a TargetSpec: redis-server, one Dynago
// node, or a Dynago cluster joined with --join), driving load against them
// (redis-benchmark for throughput and latency, a go-redis loader for the memory
// footprint, a paced go-redis generator for latency at a fixed request rate),
// parsing the results and printing them as a table or in the format benchstat
// reads.
//
// A Scenario names the targets it needs and measures them; the runner starts
// fresh targets for each scenario and stops them afterwards, also on error and
// on interrupt. The scenarios are throughput (redis-benchmark, CSV summaries),
// memory (RSS while loading a million keys), cluster (redis-benchmark's text
// report, for p99.9, against one node and a cluster, then the fixed-rate run)
// and failover (Dynago clusters with nodes killed with SIGKILL under load:
// the error rate meanwhile, and the time a restarted node takes until every
// partition's Merkle roots agree).
//
// The pure parts (CSV and text-report parsing, latency distributions and
// their merging, medians, pacing bookkeeping, formatting) do no I/O and are
// tested without servers; everything that starts processes lives at the edge.
package bench
