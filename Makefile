# laurel's front door. `make test` and `make up` install what they need and build first.
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build test test-unit test-sim asan canaries soak clean up down bench format

all: build

deps:
	@scripts/install-deps

$(BUILD_DIR)/build.ninja:
	@scripts/install-deps
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The whole suite: unit, simulation and integration tests, plus the bad-input tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer.
test: build
	scripts/run-tests $(BUILD_DIR)

asan: deps
	cmake -S . -B build-asan -G Ninja -DLAUREL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR) build-asan

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
	@for i in 0 1 2 3; do echo "  node$$i  http://127.0.0.1:870$$i"; done
	@echo "try: curl -s http://127.0.0.1:8700/v1/status"

down:
	@testnet/testnet down
