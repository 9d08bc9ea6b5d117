# laurel's front door. `make test` and `make up` install what they need and build first.
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build deb test test-unit test-sim asan canaries soak clean up down bench format fuzz fuzz-build fuzz-seeds chaos

all: build

deps:
	@scripts/install-deps

$(BUILD_DIR)/build.ninja:
	@scripts/install-deps
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The Debian package (docs/packaging.md): $(BUILD_DIR)/package/laurel_<version>_amd64.deb.
deb: build
	cd $(BUILD_DIR) && cpack -G DEB
	@ls -l $(BUILD_DIR)/package/*.deb

# The whole suite: unit, simulation and integration tests, plus the bad-input tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer.
test: build
	scripts/run-tests $(BUILD_DIR)

asan: deps
	cmake -S . -B build-asan -G Ninja -DLAUREL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)

# Consensus mutation canaries (a)-(h): each breaks one rule at run time (TestHooks) and searches
# for a violation of it (safety for (a)-(g); for (h), the leader election, evidence against an
# honest validator) — adversarial, random and Twins scenarios in turn — then runs
# the directed scenarios and reports them apart; prints how many scenarios the search needed.
# Exit 1 if the search misses one within CANARY_MAX scenarios.
CANARY_MAX ?= 5000
canaries: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target laurel-sim
	$(BUILD_DIR)/bin/laurel-sim --canaries --max $(CANARY_MAX)

# Consensus soak: SEEDS random fault schedules and SEEDS Twins scenarios beyond the ones
# `make test` runs (LAUREL_SIM_SEEDS is the CLI's own default). Fails on the first violation,
# printing the scenario and the command that replays it.
SEEDS ?= 20000
SOAK_FROM ?= 100000
soak: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target laurel-sim
	$(BUILD_DIR)/bin/laurel-sim --random --seed $(SOAK_FROM) --seeds $(SEEDS)
	$(BUILD_DIR)/bin/laurel-sim --twins --seed $(SOAK_FROM) --seeds $(SEEDS)

# Chaos campaign (docs/testing.md): a real 4-validator testnet under load and CHAOS_MINUTES of
# random faults drawn from CHAOS_SEED (default: a random seed, printed) - kill -9, pause,
# restart, wipe, partitions (as root), frame delay/loss/reorder. Prints a summary table, writes
# it and the manifest to $(BUILD_DIR)/chaos/; exit 1 on a violation, with the replay command.
CHAOS_MINUTES ?= 10
CHAOS_SEED ?=
chaos: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target laureld laurel
	scripts/chaos --bin $(BUILD_DIR)/bin --minutes $(CHAOS_MINUTES) $(if $(CHAOS_SEED),--seed $(CHAOS_SEED))

# libFuzzer targets (fuzz/README.md), built with clang-14 and ASan+UBSan in build-fuzz: runs
# each target FUZZ_SECONDS seconds over its corpus (fuzz/corpus/<target>/, plus what it finds,
# kept in build-fuzz/fuzz-corpus/). FUZZ_TARGETS picks some ("wire rpc"); crashes are written
# to build-fuzz/fuzz-crashes/. Exit 1 on the first target that crashes.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz-build: deps
	scripts/fuzz build
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz run $(FUZZ_TARGETS)
# Rewrites the seed corpora from the project's encoders (after a change of an encoding).
fuzz-seeds: fuzz-build
	build-fuzz/fuzz/laurel-fuzz-seeds fuzz/corpus

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz

format:
	find common crypto types ledger storage consensus node rpc cli tests bench \
	  -name '*.h' -o -name '*.cpp' | xargs clang-format -i

# A local 4-validator testnet on loopback with demo data (docs/operator.md). Data in .testnet/;
# `make down` stops it, `rm -rf .testnet` forgets it.
up: build
	@if [ ! -f "$${LAUREL_TESTNET_DIR:-.testnet}/genesis.json" ]; then LAUREL_BIN=$(BUILD_DIR)/bin testnet/testnet init 4; fi
	@LAUREL_BIN=$(BUILD_DIR)/bin testnet/testnet up
	@LAUREL_BIN=$(BUILD_DIR)/bin scripts/demo-data
	@echo
	@echo "laurel testnet is up (testnet/testnet status | down | kill I | start I | wipe I):"
	@b=$${LAUREL_RPC_BASE:-8700}; for i in 0 1 2 3; do echo "  node$$i  http://127.0.0.1:$$((b + i))"; done; \
	  echo "try: curl -s http://127.0.0.1:$$b/v1/status"; \
	  echo "web console (explorer, gate, issuer; docs/console.md): http://127.0.0.1:$$b/console/"

down:
	@testnet/testnet down

# Benchmarks (issue 6; bench/run): the machine's ceiling, a 4-validator testnet's committed
# tx/s, commit latency and gate verification, in bench/results/. BENCH_MODE=quick (a few
# minutes), full (the record), or scale (1.5 M cards and an audit of them).
BENCH_MODE ?= quick
bench: deps
	BENCH_MODE=$(BENCH_MODE) BENCH_JOBS=$(JOBS) bench/run
