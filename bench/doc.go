// Package bench measures Dynago side by side with redis-server.
//
// It owns the benchmark runner behind `make bench`: starting the systems under
// test on loopback (a Target, made from a TargetSpec), driving load against them
// (redis-benchmark for throughput and latency, a go-redis loader for the memory
// footprint), parsing the results and printing them as a table or in the format
// benchstat reads.
//
// A Scenario names the targets it needs and measures them; the runner starts
// fresh targets for each scenario and stops them afterwards, also on error and
// on interrupt. A new measurement (for example a three-node Dynago cluster
// joined with --join) is a new Scenario plus, if needed, a new TargetSpec.
//
// The pure parts (CSV parsing, merging and medians, formatting) do no I/O and are
// tested without servers; everything that starts processes lives at the edge.
package bench
