# Thin wrapper over CMake. `make` builds, `make test` runs the whole suite
# twice, an optimised build with the default compiler and a clang ASan+UBSan
# build, then the multi-threaded stress tests under ThreadSanitizer.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake

.PHONY: all build test test-fast test-asan test-tsan demo bench fuzz clean install

all: build

build:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	$(CMAKE) --build $(BUILD) -j $(JOBS) -- --no-print-directory

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan:
	CC=clang CXX=clang++ $(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DIOAS_SANITIZE=ON >/dev/null
	$(CMAKE) --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# The multi-threaded stress tests under ThreadSanitizer (clang).
TSAN_BUILD ?= build-tsan
TSAN_TESTS = test_iommu_stress test_iotlb_stress test_viommu_hostdom test_viommu_model test_rwlock
space := $(subst ,, )
test-tsan:
	CC=clang CXX=clang++ $(CMAKE) -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOAS_TSAN=ON >/dev/null
	$(CMAKE) --build $(TSAN_BUILD) -j $(JOBS) --target $(TSAN_TESTS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R '^($(subst $(space),|,$(TSAN_TESTS)))$$'

test: test-fast test-asan test-tsan

# Bounded fuzzing: every fuzz target for FUZZ_TIME seconds (clang, ASan+UBSan).
FUZZ_TIME ?= 60
fuzz:
	CC=clang CXX=clang++ $(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DIOAS_SANITIZE=ON -DIOAS_FUZZ_TIME=$(FUZZ_TIME) >/dev/null
	$(CMAKE) --build $(ASAN_BUILD) -j $(JOBS) --target fuzz

# The main job: replay a real QEMU virtio-iommu trace (bundled, see
# data/traces/README.md) through the device and check every translation.
demo: build
	./$(BUILD)/tools/ioas replay --check data/traces/viommu-boot-strict.trace

# Benchmarks (figures, not pass/fail): optimised build.
bench: build
	$(CMAKE) --build $(BUILD) --target bench

install: build
	$(CMAKE) --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
