# Drover: the two commands a new machine needs.
#   make demo   installs what is missing, builds, and runs the quick-start end to end
#   make test   runs the whole test suite against a throwaway PostgreSQL

.PHONY: demo demo-stop test conformance build release bench

demo:
	bash scripts/demo.sh

demo-stop:
	bash -c '. scripts/lib.sh; d=$${TMPDIR:-/tmp}/drover-demo-$$(id -u); for dev in "$$d"/state/devpg/*/; do stop_private_postgres "$${dev%/}"; done; stop_private_postgres "$$d"'

test:
	bash scripts/test.sh

conformance:
	bash scripts/conformance.sh

build:
	swift build

release:
	swift build -c release --static-swift-stdlib

bench:
	bash scripts/bench.sh
