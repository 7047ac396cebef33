# Herald: the two commands of the README, and a few helpers.
#   make run   install deps, build (server, SDK, demo), serve on 127.0.0.1:8000
#              with data in ./data and the demo app at /
#   make test  install deps, build, run every test through ctest
#   make web   build the JS SDK (clients/js/dist) and the demo (web/dist)
#   make fuzz  build the libFuzzer targets with clang in build-fuzz/ and run
#              each for FUZZ_SECONDS (default 60); tests/fuzz/README.md
BUILD_DIR ?= build
JOBS ?= 2
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= ./data
FUZZ_SECONDS ?= 60

.PHONY: deps configure build web run test fuzz bench bench-quick bench-tail clean

deps:
	@bash scripts/install-deps.sh

configure: deps
	@test -f $(BUILD_DIR)/build.ninja || cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: configure web
	cmake --build $(BUILD_DIR) -j $(JOBS)

web: deps
	@bash scripts/build-js.sh

run: configure web
	cmake --build $(BUILD_DIR) -j $(JOBS) --target herald
	$(BUILD_DIR)/herald serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j 1 --timeout 1500

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) bash scripts/fuzz.sh

bench: build
	bash bench/scripts/run-bench.sh

bench-quick: build
	bash bench/scripts/run-bench.sh --quick

bench-tail: build
	bash bench/scripts/chat-tail.sh

clean:
	rm -rf $(BUILD_DIR)
