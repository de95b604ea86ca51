# The two set-up commands of a fresh machine (see README.md):
#   make demo   install what is missing, build, and walk spawn -> exec -> deprovision
#   make test   install what is missing, build, and run the whole suite (also under ASan+UBSan),
#               then print what each step and suite took (scripts/test.sh)
SHELL := /bin/bash
.PHONY: all deps interop-deps k8s-deps image-test-deps build build-asan test test-release test-asan demo bench format clean

all: build

deps:
	@scripts/install-deps.sh

interop-deps:
	@scripts/install-interop.sh

# kube-apiserver, etcd, kube-scheduler, kubectl and kwok for tests/k8s, built from the Go module
# proxy once per machine (~6 minutes on 2 cores), then cached in ~/.cache/hive/k8s.
k8s-deps:
	@tests/k8s/build-cluster.sh >/dev/null

# The registry, skopeo, umoci and busybox the image tests build and pull their images with
# (tests/images), from Debian's packages.
image-test-deps:
	@scripts/install-image-test-deps.sh

build: deps
	@cmake --preset default >/dev/null
	@cmake --build --preset default

build-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan

test:
	@scripts/test.sh

test-release: build interop-deps k8s-deps image-test-deps
	@ctest --preset default

test-asan: build-asan interop-deps k8s-deps image-test-deps
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --preset asan

demo: build
	@scripts/demo.sh

bench: build
	@build/bin/hive-bench

format:
	@clang-format -i $$(git ls-files -co --exclude-standard -- '*.cpp' '*.hpp')

clean:
	@rm -rf build build-asan
