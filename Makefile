# nudge: thin wrapper. `make demo` = set-up + the main job; `make test` = set-up + every test.
BUILD ?= build
JOBS  ?= 2
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps configure build demo test bench splits scenes task-model model model-jepa sanitize install fuzz clean

all: build

deps:
	@bash scripts/deps.sh

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

demo: build
	@bash scripts/demo.sh $(BUILD)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash bench/run.sh $(BUILD)

# the leave-one-factor-out splits of the training family: data, one training per split, the
# table of 60-tick errors against in distribution (bench/splits.sh; SPLIT_* variables tune it)
splits: build
	@bash bench/splits.sh $(BUILD)/nudge $(BUILD)/splits

# a model on whole scenes outside its training family (scenarios/demo/; bench/scenes.sh: SCENES,
# EPISODES, IN_DIST tune it), per scene against constant velocity and issue 10's targets
MODEL ?= assets/models/default.wm
scenes: build
	@bash bench/scenes.sh $(BUILD)/nudge $(MODEL) $(BUILD)/scenes

# the command, libnudge (.so and .a), its headers, nudge.pc, the scenarios and the Python binding
# into PREFIX (bin/, lib/, include/nudge/, share/nudge/)
PREFIX ?= /usr/local
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# the planner's world model for scenarios/tasks/ (scripts/task_model.sh; TASK_MODEL_* variables)
task-model: build
	@bash scripts/task_model.sh $(BUILD)

# the default world model by the standard recipe, into build/model/default.wm (OUT=assets/models/default.wm
# ships it): gen on the training family, train, eval on held-out episodes (README, "The default model")
model: build
	@bash scripts/model.sh $(BUILD)

# the pixel (JEPA) world model by its standard recipe: gen with antialiased frames on the training family and
# push_off_table, train --kind jepa, eval on held-out episodes, voe (README, "The pixel model")
model-jepa: build
	@bash scripts/model_jepa.sh $(BUILD)

# the whole suite under AddressSanitizer and UndefinedBehaviorSanitizer
sanitize:
	@LSAN_OPTIONS="suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0$${LSAN_OPTIONS:+:$$LSAN_OPTIONS}" \
	  $(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Debug -DNUDGE_SANITIZE=ON"

# the libFuzzer harnesses of tests/fuzz, built with clang (ASan + UBSan) in build-fuzz, each run for
# SECONDS (default 60) from its seed corpus; a crash is copied into tests/fuzz/regressions/NAME
# (replayed by `make test` from then on) and fails the target. FUZZERS picks some, e.g. "npy dataset".
SECONDS ?= 60
FUZZERS ?= scenario checkpoint npy dataset recording
fuzz: build
	@bash scripts/fuzz.sh $(BUILD) build-fuzz $(SECONDS) "$(FUZZERS)"

clean:
	rm -rf $(BUILD) build-asan build-fuzz
