# Dynago — the targets the README and CI use.
GO      ?= go
BIN     ?= bin/dynago
PORT    ?= 6379
DIR     ?= ./dynago-data

.PHONY: build run cluster cluster-stop test e2e fuzz bench chaos chaos-strict difftest lint clean

build:
	$(GO) build -o $(BIN) ./cmd/dynago

## run: one node, RESP on 127.0.0.1:$(PORT), data in $(DIR)
run: build
	./$(BIN) --port $(PORT) --dir $(DIR)

## cluster: three local nodes on 7001-7003 (data under ./dynago-cluster)
cluster: build
	BIN=$(BIN) ./scripts/cluster.sh start

cluster-stop:
	./scripts/cluster.sh stop

# The race detector sleeps a second as each test binary exits
# (atexit_sleep_ms); the testing package already fails a test on the races
# found while it ran, so the sleep only adds a second per package.
export GORACE := atexit_sleep_ms=0 $(GORACE)

## test: vet, then every test with the race detector (integration tests included)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

## e2e: only the tests that start real servers
e2e:
	$(GO) test -race -count=1 -timeout 20m ./resp/... ./internal/...

## fuzz: each fuzz target for FUZZTIME
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeObject$$' -fuzztime $(FUZZTIME) ./version/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeContext$$' -fuzztime $(FUZZTIME) ./version/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./counter/
	$(GO) test -run '^$$' -fuzz '^FuzzReadFrame$$' -fuzztime $(FUZZTIME) ./transport/
	$(GO) test -run '^$$' -fuzz '^FuzzReadHello$$' -fuzztime $(FUZZTIME) ./transport/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRing$$' -fuzztime $(FUZZTIME) ./membership/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeMeta$$' -fuzztime $(FUZZTIME) ./membership/
	$(GO) test -run '^$$' -fuzz '^FuzzParseText$$' -fuzztime $(FUZZTIME) ./bench/
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./op/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeInternode$$' -fuzztime $(FUZZTIME) ./coordinator/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeInternode$$' -fuzztime $(FUZZTIME) ./replica/
	$(GO) test -run '^$$' -fuzz '^FuzzServe$$' -fuzztime $(FUZZTIME) ./antientropy/
	$(GO) test -run '^$$' -fuzz '^FuzzFramer$$' -fuzztime $(FUZZTIME) ./resp/
	$(GO) test -run '^$$' -fuzz '^FuzzCommands$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./resp/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./transfer/
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./wire/

## chaos: 20 rounds of faults against 5 local dynago processes, then the checker;
## the nodes run the default sloppy quorum, so siblings of writes ordered in real
## time are excused near a fault (kill, stop, cut) and a violation elsewhere
CHAOS_FLAGS ?=
chaos: build
	$(GO) run ./cmd/dynago-chaos -bin $(BIN) -rounds 20 $(CHAOS_FLAGS)

## chaos-strict: the same run with the nodes under --strict-quorum: every read is
## held to the real-time sibling bound, faults or not
chaos-strict: build
	$(GO) run ./cmd/dynago-chaos -bin $(BIN) -rounds 20 -strict-quorum $(CHAOS_FLAGS)

## difftest: the differential tester's long run: the same seeded command streams to
## redis-server and to a Dynago node, every reply compared (make test runs a bounded one)
DIFFTEST_FLAGS ?= -seeds 500 -commands 2000
difftest:
	$(GO) run ./cmd/dynago-difftest $(DIFFTEST_FLAGS)

## bench: Dynago side by side with redis-server under redis-benchmark
bench:
	$(GO) run ./cmd/dynago-bench

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (gofmt -l .; echo "gofmt needed"; exit 1)

clean:
	rm -rf bin
