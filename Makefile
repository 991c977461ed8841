# The two set-up commands (README): `make demo` and `make test`. Each installs
# the Debian packages it needs (scripts/install-deps.sh), configures and builds.
# Other targets: build, test-slow, test-sanitize, fuzz, fuzz-replay, bench, format, clean.

JOBS ?= $(shell nproc)
RELEASE := build/release
CMAKE_FLAGS ?=
ifdef CI
CMAKE_FLAGS += -DDPEVAL_WERROR=ON
endif
FUZZ_SECONDS ?= 60

.PHONY: deps build demo test test-slow test-sanitize fuzz fuzz-replay bench clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS)

# The main job: a training run of the MLP on Fashion-MNIST with its evaluation
# summary. Progress on stderr; ends by printing where the summary and the
# report (runs/demo/report.html, from the final model on the test split) are.
demo: build
	@$(RELEASE)/dpeval train --model mlp --data fashion-mnist --workers 2 --out runs/demo

# Unit, golden and CLI tests (fast). CI also runs test-slow and test-sanitize.
test: build
	@cd $(RELEASE) && ctest --output-on-failure -j $(JOBS) -LE slow

# Real-accuracy runs on Fashion-MNIST (minutes).
test-slow: build
	@cd $(RELEASE) && ctest --output-on-failure -L slow

# Bad-input and parser tests under AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	@for p in asan ubsan; do \
	  cmake --preset $$p $(CMAKE_FLAGS) >/dev/null && cmake --build build/$$p -j $(JOBS) && \
	  (cd build/$$p && ctest --output-on-failure -j $(JOBS) -LE slow) || exit 1; \
	done

# libFuzzer targets for the IDX, NPY, CSV, model-config, checkpoint, prediction and manifest readers, the PII scanner and the audit CSV scan.
fuzz: deps
	@scripts/install-deps.sh --fuzz
	@cmake --preset fuzz >/dev/null && cmake --build build/fuzz -j $(JOBS)
	@for t in idx npy csv config checkpoint predictions manifest pii audit_csv; do \
	  mkdir -p build/fuzz/corpus-$$t && \
	  build/fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# Replays the committed seed corpora through every fuzz target (CI).
fuzz-replay: deps
	@scripts/install-deps.sh --fuzz
	@cmake --preset fuzz >/dev/null && cmake --build build/fuzz -j $(JOBS)
	@for t in idx npy csv config checkpoint predictions manifest pii audit_csv; do \
	  build/fuzz/tests/fuzz/fuzz_$$t -runs=0 tests/fuzz/corpus/$$t || exit 1; \
	done

bench: build
	@scripts/install-deps.sh --peers
	@bench/train_vs_torch --model mlp --batch 64

clean:
	rm -rf build
