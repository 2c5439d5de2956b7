# Front door. `make check` and `make demo` work on a fresh Debian 12 machine:
# they install what is missing (scripts/install-deps.sh), then build.
BUILD      ?= build
BUILD_SAN  ?= build-san
JOBS       ?= $(shell nproc)

.PHONY: all deps build build-products build-san build-fuzz check unit bench fuzz soak install install-built deb deb-built clean demo demo-down

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-san: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DCALICO_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)

# What a package ships (make install, make deb).
PRODUCT_TARGETS = calicoctl calico-node calico-cni calico-ipam calico_mesos calico-libnetwork calico-stars
build-products: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target $(PRODUCT_TARGETS)

# All tests, on the sanitizer build; prints `N passed, N failed` last. What
# ships is compiled optimised too, so warnings that only -O2 sees in it fail
# here (the tests, tools and benchmarks are compiled by the sanitizer build;
# `make build` compiles them optimised too, in about 20 s more).
check: build-products build-san
	@tests/run-all.sh $(BUILD_SAN)

# The long loops of issue 8 on the sanitizer build: tests/lab/faults.sh with
# SOAK_FAULT_ITERATIONS kills per datastore (default 1000), then
# tests/lab/load.sh with SOAK_LOAD_ENDPOINTS endpoints for SOAK_LOAD_SECONDS.
# TAP on stdout.
SOAK_FAULT_ITERATIONS ?= 1000
SOAK_LOAD_ENDPOINTS   ?= 1000
SOAK_LOAD_SECONDS     ?= 600
soak: build-san
	@b=$$(cd $(BUILD_SAN) && pwd); export CALICO_BUILD=$$b PATH=$$b:$$PATH; rc=0; \
	FAULT_ITERATIONS=$(SOAK_FAULT_ITERATIONS) bash tests/lab/faults.sh || rc=1; \
	LOAD_ENDPOINTS=$(SOAK_LOAD_ENDPOINTS) LOAD_SECONDS=$(SOAK_LOAD_SECONDS) bash tests/lab/load.sh || rc=1; \
	exit $$rc

bench: build
	@bench/run-all.sh $(BUILD)

# libFuzzer targets (clang, ASan+UBSan), each run FUZZ_SECONDS (default 60)
# from its seed corpus in fuzz/corpus/; findings land in fuzz/findings/.
BUILD_FUZZ ?= build-fuzz
build-fuzz: deps
	@CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=Debug -DCALICO_FUZZ=ON >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzzers

fuzz: build-fuzz
	@fuzz/run.sh $(BUILD_FUZZ)

# The stars policy demo on a 2-host cluster in network namespaces; the UI at
# http://127.0.0.1:9001. DEMO=auto|up, DEMO_PORT, DEMO_DIR, DEMO_POLICY=v3
# (scripts/demo.sh; make passes them on as the environment).
# Builds (optimised) only the binaries the demo runs.
DEMO_TARGETS = calicoctl calico-node calico-cni calico-ipam calico_mesos calico-stars
demo: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target $(DEMO_TARGETS)
	@scripts/demo.sh $(BUILD)

demo-down:
	@scripts/demo/down.sh

# make install: calicoctl, calico-node, calico_mesos, calico-libnetwork into
# $(PREFIX)/bin; the CNI plugins calico and calico-ipam into $(CNI_BIN_DIR);
# the systemd units into $(PREFIX)/lib/systemd/system; /etc/calico/calico.env
# unless it exists. DESTDIR stages the whole tree elsewhere.
# make deb: build/calico-c_<version>_<arch>.deb (scripts/make-deb.sh), or into DEB_DIR.
# The *-built targets package $(BUILD) as it is, without building or
# configuring it (the tests package the sanitizer build they already have).
PREFIX      ?= /usr/local
CNI_BIN_DIR ?= /opt/cni/bin
DESTDIR     ?=
DEB_DIR     ?= $(BUILD)

install: build
	@cmake -S . -B $(BUILD) -DCALICO_CNI_BIN_DIR=$(CNI_BIN_DIR) >/dev/null
	@$(MAKE) --no-print-directory install-built

install-built:
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix $(PREFIX)

deb: build
	@$(MAKE) --no-print-directory deb-built

deb-built:
	@scripts/make-deb.sh $(BUILD) $(DEB_DIR)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)
