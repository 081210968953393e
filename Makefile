# plenary: a thin Makefile over meson. `make run` and `make test` are the two commands of the
# README; each installs the Debian packages it needs first (when root), so a fresh Debian 12
# machine needs nothing by hand.

PLENARY_DB   ?= ./plenary.db
PLENARY_BIND ?= 127.0.0.1
PLENARY_PORT ?= 8080
export PLENARY_DB PLENARY_BIND PLENARY_PORT

BUILD      := build
BUILD_ASAN := build-asan
PLENARY    := $(BUILD)/server/plenary

# Debian 12 package names: to build and run, and to test.
RUN_PACKAGES  := gcc meson ninja-build pkg-config python3 libmicrohttpd-dev libjansson-dev \
                 libsqlite3-dev zlib1g-dev libsodium-dev libxxhash-dev
TEST_PACKAGES := libcmocka-dev libcurl4-openssl-dev curl nodejs npm

.PHONY: run test build deps test-deps db clean bench profile lint format

run: deps build db
	exec $(PLENARY) serve --db "$(PLENARY_DB)" --bind "$(PLENARY_BIND)" --port "$(PLENARY_PORT)"

test: deps test-deps
	@bash tests/run-all.sh

deps:
	@bash tools/ensure-packages $(RUN_PACKAGES)

test-deps:
	@bash tools/ensure-packages $(TEST_PACKAGES)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

build: $(BUILD)/build.ninja
	meson compile -C $(BUILD)

# The default database: created from the embedded schema and fixtures when absent.
db: build
	@if [ ! -e "$(PLENARY_DB)" ]; then \
	  echo "creating $(PLENARY_DB) from schema/ and fixtures/"; \
	  $(PLENARY) init --db "$(PLENARY_DB)" --with-fixtures; \
	fi

bench: deps
	@bash bench/run.sh

profile: deps
	@bash bench/profile.sh

lint:
	@bash tests/lint-openapi.sh

format:
	clang-format -i server/*.c server/*.h tests/unit/*.c tests/integration/*.c

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
