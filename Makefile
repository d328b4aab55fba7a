# Convenience wrapper around CMake. `make run` and `make test` do all set-up.
JOBS  ?= $(shell nproc)
BUILD ?= build
ASAN  ?= build-asan
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test test-release test-asan asan bench format format-check clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja $(BUILD)/Makefile: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DHVSIM_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN) -j $(JOBS)

# The main job: boot the built-in demo kernel and report what happened.
run: build
	./$(BUILD)/hvsim -kernel $(BUILD)/tests/guest/demo.elf -serial stdio -display none \
	    -device isa-debug-exit,iobase=0xf4,iosize=0x4 -no-reboot --report; \
	    st=$$?; [ $$st -eq 1 ] || [ $$st -eq 0 ] || { echo "hvsim exited with status $$st"; exit $$st; }

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: asan
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS) -LE slow

test: test-release test-asan format-check

bench: build
	./tests/bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check: deps
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h') && echo "format: clean"

clean:
	rm -rf $(BUILD) $(ASAN)
