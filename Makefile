# The two set-up commands (README): `make demo` and `make test`. Each installs
# the Debian packages it needs (scripts/install-deps.sh), configures and builds.
# Other targets: build, test-slow, test-sanitize, test-nompi, fuzz, fuzz-replay, bench, format, clean.
# Every build compiles through ccache when it is installed (install-deps.sh installs it), with the
# project's own cache directory, $(DPEVAL_CCACHE_DIR) by default ~/.cache/dpeval/ccache
# (cmake/dpeval_ccache.cmake); `DPEVAL_CCACHE_DIR=/some/dir make ...` picks another, DPEVAL_CCACHE=OFF none.

JOBS ?= $(shell nproc)
RELEASE := build/release
CMAKE_FLAGS ?=
ifdef CI
CMAKE_FLAGS += -DDPEVAL_WERROR=ON
endif
ifdef DPEVAL_CCACHE
CMAKE_FLAGS += -DDPEVAL_CCACHE=$(DPEVAL_CCACHE)
endif
# Sanitizer and fuzz builds: warnings are errors in the release build only (gcc's sanitizer
# instrumentation raises false ones).
INSTRUMENTED_FLAGS := $(filter-out -DDPEVAL_WERROR=ON,$(CMAKE_FLAGS))
FUZZ_SECONDS ?= 60
# One fuzz target per corpus directory: tests/fuzz/corpus/<t> seeds build/fuzz/tests/fuzz/fuzz_<t>.
FUZZ_TARGETS := $(notdir $(wildcard tests/fuzz/corpus/*))
# Labels the sanitizer run leaves out: the real-accuracy runs (slow), and `heavy`: tests whose time
# goes into work the sanitizers add nothing to (tests/CMakeLists.txt says which and why).
SANITIZE_SKIP := slow|heavy

.PHONY: deps build demo test test-slow test-sanitize test-nompi fuzz fuzz-replay bench clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS)

# The main job: a data-parallel training run of the MLP on Fashion-MNIST (two
# workers), with the final model's evaluation and the data audit. Progress on
# stderr; ends by printing where the run report is (runs/demo/report.html: run,
# training, parallelism, data, model). Builds only the dpeval binary: the demo
# runs nothing else (tests build under `make test`, benchmarks under `make bench`).
demo: deps
	@cmake --preset release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS) --target dpeval
	@$(RELEASE)/dpeval train --model mlp --data fashion-mnist --workers 2 --out runs/demo

# Unit, golden and CLI tests (fast). CI also runs test-slow and test-sanitize.
test: build
	@cd $(RELEASE) && ctest --output-on-failure -j $(JOBS) -LE slow

# Real-accuracy runs on Fashion-MNIST (minutes).
test-slow: build
	@cd $(RELEASE) && ctest --output-on-failure -j $(JOBS) -L slow

# The tests (all but the labels in SANITIZE_SKIP) in one build under AddressSanitizer and
# UndefinedBehaviorSanitizer together (preset `sanitize`; the `asan` and `ubsan` presets build each alone).
test-sanitize: deps
	@cmake --preset sanitize $(INSTRUMENTED_FLAGS) >/dev/null
	@cmake --build build/sanitize -j $(JOBS)
	@cd build/sanitize && ctest --output-on-failure -j $(JOBS) -LE '$(SANITIZE_SKIP)'

# A build without MPI (preset nompi; Note [MPI is optional] in src/dpeval/comm/CMakeLists.txt):
# the threads backend trains, --backend mpi is refused naming what is missing (exit 1).
test-nompi: deps
	@cmake --preset nompi $(CMAKE_FLAGS) >/dev/null
	@cmake --build build/nompi -j $(JOBS) --target dpeval comm_without_mpi_test comm_threads_communicator_test
	@build/nompi/tests/comm/comm_without_mpi_test --gtest_brief=1
	@build/nompi/tests/comm/comm_threads_communicator_test --gtest_brief=1
	@rm -rf build/nompi/run && build/nompi/dpeval train --model mlp --workers 2 --epochs 1 --max-steps 40 \
	  --audit off --out build/nompi/run >/dev/null 2>build/nompi/train.log || { cat build/nompi/train.log; exit 1; }
	@test -s build/nompi/run/summary.json
	@build/nompi/dpeval train --backend mpi --epochs 1 --out build/nompi/mpi 2>build/nompi/mpi.log; rc=$$?; \
	  if [ $$rc -ne 1 ] || ! grep -q "built without MPI" build/nompi/mpi.log; then \
	    echo "test-nompi: --backend mpi gave exit $$rc:"; cat build/nompi/mpi.log; exit 1; fi
	@echo "test-nompi: threads trained without MPI; --backend mpi refused naming what is missing"

# libFuzzer targets for the IDX, NPY, CSV, model-config, checkpoint, prediction and manifest readers, the PII scanner and the audit CSV scan.
# Only the fuzz targets (dpeval_fuzz_all) and the libraries they link are built.
fuzz: deps
	@scripts/install-deps.sh --fuzz
	@cmake --preset fuzz $(INSTRUMENTED_FLAGS) >/dev/null && cmake --build build/fuzz -j $(JOBS) --target dpeval_fuzz_all
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus-$$t && \
	  build/fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# Replays the committed seed corpora through every fuzz target (CI).
fuzz-replay: deps
	@scripts/install-deps.sh --fuzz
	@cmake --preset fuzz $(INSTRUMENTED_FLAGS) >/dev/null && cmake --build build/fuzz -j $(JOBS) --target dpeval_fuzz_all
	@for t in $(FUZZ_TARGETS); do \
	  build/fuzz/tests/fuzz/fuzz_$$t -runs=0 tests/fuzz/corpus/$$t || exit 1; \
	done

bench: build
	@scripts/install-deps.sh --peers
	@bench/train_vs_torch --model mlp --batch 64

clean:
	rm -rf build
