# SPDX-License-Identifier: BSD-2-Clause
# Thin wrapper around CMake.  `make run` and `make test` are the two entry
# points; both install missing dependencies first (scripts/setup.sh).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
PORT       ?= 2222

.PHONY: all setup build run test test-unit test-asan format format-check clean

all: build

setup:
	@scripts/setup.sh

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)
	cmake --build $(BUILD) -j$(JOBS)

# Start qsshd in the embedded default mode on 127.0.0.1:$(PORT).
run: build
	@scripts/run-qsshd.sh $(BUILD) $(PORT)

# The whole suite: unit, fuzz-replay, interop and system tests, then the
# unit and fuzz tests again under ASan/UBSan, then the format check.
test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory format-check

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L 'unit|fuzz'

test-asan: setup
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DQSSH_SANITIZE=address,undefined $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j$(JOBS) -L 'unit|fuzz'

SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || \
	find common crypto-offload dataplane drivers control fido sshd client tests perf -name '*.[ch]')

format:
	clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run -Werror $(SOURCES) && echo "format: ok"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
