# CallHeat: `make run` runs the whole system on the embedded default; `make test` runs the suite.
.PHONY: run test lint bench clean

run:
	@scripts/bootstrap.sh run
	.venv/bin/callheat run

test:
	@scripts/bootstrap.sh test
	.venv/bin/ruff check streaming dashboard tests
	.venv/bin/mypy
	.venv/bin/python -m pytest

lint:
	@scripts/bootstrap.sh test
	.venv/bin/ruff check streaming dashboard tests
	.venv/bin/mypy

bench:
	@scripts/bootstrap.sh run
	.venv/bin/callheat bench --broker

clean:
	rm -rf .venv .callheat .pytest_cache .mypy_cache .ruff_cache test-artifacts
