# Set-up, demo and tests on a fresh Debian machine (run as root). Every target is idempotent.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
APT_PKGS := libosmesa6 libgl1-mesa-dri libegl1 libegl-mesa0 libglu1-mesa libgl1 \
            libglib2.0-0 libopengl0 libgbm1 ffmpeg chromium redis-server
WEB     := server/web
export PYOPENGL_PLATFORM ?= osmesa

.PHONY: setup system-packages demo test fuzz bench clean

setup: system-packages $(STAMP) $(WEB)/node_modules/.installed

system-packages:
	@if ! dpkg -s $(APT_PKGS) >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PKGS); \
	fi
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)

$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund   # three.js, served to browsers from here (no CDN)
	touch $@

$(STAMP): pyproject.toml
	test -x $(PY) || python3.11 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/fitroom serve --host 127.0.0.1 --port 8000 --data out/store --bots 6

test: setup
	$(VENV)/bin/pytest -q

FUZZ_MINUTES ?= 10
# The protocol fuzz tests, random (not derandomized) for FUZZ_MINUTES: rounds of 20,000 examples a
# test with fresh seeds; failures found are appended to tests/fuzz_regressions.jsonl (replayed by `make test`).
fuzz: setup
	@end=$$(( $$(date +%s) + 60 * $(FUZZ_MINUTES) )); rounds=0; \
	while [ $$(date +%s) -lt $$end ]; do \
	    FITROOM_FUZZ_SAVE=1 $(VENV)/bin/pytest -q -p no:cacheprovider --hypothesis-profile=fuzz \
	        --hypothesis-seed=$$RANDOM$$RANDOM tests/test_protocol_fuzz.py || exit 1; \
	    rounds=$$((rounds + 1)); \
	done; echo "fuzz: $$rounds rounds x 3 tests x 20000 examples, no failure"

bench: setup
	$(PY) -m pip install -q newton==1.8.0   # the drape benchmark's peer solver
	$(PY) benchmarks/avatar_accuracy.py --json out/avatar_accuracy.json
	$(PY) benchmarks/render_speed.py --json out/render_speed.json
	$(PY) benchmarks/drape.py --json out/drape.json
	$(PY) benchmarks/recommend.py --json out/recommend.json
	$(PY) benchmarks/size_feedback.py --json out/size_feedback.json
	$(PY) benchmarks/forecast.py --json out/forecast.json
	$(PY) benchmarks/guide.py --json out/guide.json
	$(PY) benchmarks/recommend_latency.py --json out/recommend_latency.json
	$(PY) benchmarks/photo_avatar.py --json out/photo_avatar.json
	cd benchmarks/loadgen && npm ci --no-audit --no-fund   # the load test's clients (Node ws)
	$(PY) benchmarks/store_load.py --json out/store_load.json
	$(PY) benchmarks/store_logs.py --json out/store_logs.json
	$(PY) benchmarks/tryon_latency.py --json out/tryon_latency.json

clean:
	rm -rf out
