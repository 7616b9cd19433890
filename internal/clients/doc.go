// Package clients holds the tests that drive a Dynago node with real Redis
// client libraries in other languages: redis-py (python/) and ioredis
// (node/, its dependencies pinned by package-lock.json; npm ci installs
// them). Each script checks what its library answers and prints one line
// per check; the Go tests start a node, run the scripts and read their
// output.
package clients
