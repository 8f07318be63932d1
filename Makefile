# make demo   set up, build the package and serve www/ on http://127.0.0.1:8080
# make test   set up and run every test (what .ci/run calls)
# make pkg    build the npm package into pkg/
# make bench  run the benchmarks
# make quality  measure balance, disruption and cost of the hashing strategies into docs/quality.md
SHELL := bash
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup pkg test demo bench quality clean

setup:
	bash scripts/setup.sh build

pkg: setup
	node scripts/build-pkg.mjs

test:
	bash scripts/setup.sh test
	node scripts/build-pkg.mjs
	bash scripts/test.sh

demo: pkg
	node scripts/serve.mjs

bench: pkg
	node bench/pick.mjs

quality: pkg
	bash scripts/quality.sh

clean:
	rm -rf target build pkg test-js/.work
