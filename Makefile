# make demo   set up, build the package and serve www/ on http://127.0.0.1:8080
# make test   set up and run every test (what .ci/run calls)
# make pkg    build the npm package into pkg/
# make bench  run the benchmarks
# make quality  measure balance, disruption and cost of the hashing strategies into docs/quality.md
# make fuzz   the long fuzzing run (FUZZ_SECONDS per target, default 600; HOSTILE_SEEDS x 20k boundary ops)
# make soak   the full leak and soak run (1M routers freed, 100k dropped, 100M picks)
# make wheel  the Python package: an abi3 wheel into target/wheels/ (docs/python.md); make bench-python: against uhashring
SHELL := bash
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: setup pkg test demo bench quality fuzz soak clean
FUZZ_SECONDS ?= 600
HOSTILE_SEEDS ?= 200

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
	node --expose-gc bench/pick.mjs
	node --expose-gc bench/peers.mjs
	node --expose-gc bench/changes.mjs
	node bench/coldstart.mjs
	cargo bench --bench pick -- --warm-up-time 1 --measurement-time 3
	node bench/runtimes.mjs

quality: pkg
	bash scripts/quality.sh

fuzz:
	bash scripts/setup.sh test
	bash scripts/fuzz.sh $(FUZZ_SECONDS)
	node scripts/build-pkg.mjs
	# Node 24 (installed by setup.sh test): Node 20's V8 aborts in its deoptimizer on long runs (docs/reliability.md).
	.tools/node-24/bin/node scripts/hostile.mjs $(HOSTILE_SEEDS)

soak: pkg
	rm -rf test-js/.work/soak && mkdir -p test-js/.work/soak/node_modules
	cp -r pkg test-js/.work/soak/node_modules/edgeroute && cp test-js/soak/soak.mjs test-js/.work/soak/
	cd test-js/.work/soak && SOAK=full node --expose-gc soak.mjs

clean:
	rm -rf target build pkg test-js/.work

# The Python package (python/, docs/python.md): scripts/python.sh makes the venv, the wheel and runs its tests.
.PHONY: wheel bench-python
wheel:
	bash scripts/python.sh wheel

bench-python:
	bash scripts/python.sh bench
