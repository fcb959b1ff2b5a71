# Two commands do all the set-up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed-stamp

.PHONY: help install run demo promtool alertmanager chromium firefox poppler java lint test test-unit test-integration test-browser screenshots test-faults test-kafka bench bench-history clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "Python 3.11 is required (found $$($(PYTHON) --version))"; exit 1; }
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV) || { apt-get update -q && apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	@touch $@

install: $(STAMP) ## create .venv and install the pipeline into it

run: $(STAMP) ## start the whole pipeline on the embedded broker (Ctrl-C stops it)
	exec $(VENV)/bin/ioc run

demo: $(STAMP) ## a demo pipeline fed by the record simulator in the source systems' own formats from today's midnight, a simulated day a minute, own state in var/demo (Ctrl-C stops both)
	exec $(VENV)/bin/ioc simulate --with-pipeline --wire --start today --speed 1440 $(DEMO_ARGS)

promtool: ## Debian's prometheus package: `promtool check/test rules`, and the server the delivery tests start
	@test -x /usr/bin/prometheus -a -x /usr/bin/promtool || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus; }

alertmanager: ## Debian's prometheus-alertmanager (amtool check-config; the delivery tests start a real one)
	@test -x /usr/bin/prometheus-alertmanager -a -x /usr/bin/amtool || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus-alertmanager; }

chromium: ## Debian's headless Chromium, for the ops screens' browser tests (Playwright drives it)
	@test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }

firefox: ## Debian's Firefox ESR, for the ops screens' tests in Firefox (driven over WebDriver BiDi)
	@command -v firefox-esr >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends firefox-esr; }

poppler: ## Debian's poppler-utils: the report tests render the PDF to PNG and text (pdftoppm, pdftotext)
	@command -v pdftoppm >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends poppler-utils; }

java: ## Java 17 and Maven (Debian's), for the Apache Kafka brokers of the tests (jars from Maven Central)
	@{ command -v java >/dev/null && command -v mvn >/dev/null; } || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openjdk-17-jre-headless maven; }

lint: $(STAMP) ## ruff (imports, unused code, line length, bug patterns) and mypy (strict for the kernel and the KPIs)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint promtool alertmanager chromium firefox poppler java ## lint and types, unit tests, the integration suite on the real embedded broker, a short Apache Kafka subset
	$(VENV)/bin/pytest -q tests

test-unit: $(STAMP) promtool alertmanager ## pure-function tests only
	$(VENV)/bin/pytest -q tests/unit

test-integration: $(STAMP) promtool alertmanager poppler ## pipeline tests through the embedded broker
	$(VENV)/bin/pytest -q tests/integration

test-browser: $(STAMP) chromium firefox ## the ops screens in headless Chromium and Firefox against a real pipeline; saves docs/screenshots
	$(VENV)/bin/pytest -q tests/browser

screenshots: $(STAMP) chromium firefox ## regenerate the README's screenshots in docs/screenshots (both languages)
	IOC_SCREENSHOTS_DIR=docs/screenshots $(VENV)/bin/pytest -q tests/browser

test-faults: $(STAMP) ## fault trials (SIGKILLs, broker restart, stop/start) and property runs; prints a summary (~30 min)
	$(VENV)/bin/python -m tests.faults

test-kafka: $(STAMP) java ## the whole pipeline on a three-broker Apache Kafka cluster: fault trials, compaction, retention, lag, two installations with SCRAM/ACLs; prints the Kafka version and every trial (~15 min)
	$(VENV)/bin/python -m tests.kafka

bench: $(STAMP) ## print throughput figures beside raw baselines measured in the same run
	$(VENV)/bin/python -m tests.bench.run

bench-history: $(STAMP) ## restart, rebalance and memory after months and a year of a province (long: about an hour)
	$(VENV)/bin/python -m tests.bench.history

clean: ## remove the venv and local state
	rm -rf $(VENV) var

.PHONY: kafka kafka-stop

kafka: $(STAMP) java ## a real Apache Kafka cluster (3 KRaft nodes on loopback, jars from Maven Central) in var/kafka-cluster; keeps running (KAFKA_ARGS=--sasl adds SCRAM users and ACLs)
	$(VENV)/bin/python -m tests.kafka.cli start --dir var/kafka-cluster $(KAFKA_ARGS)

kafka-stop: $(STAMP) ## stop the cluster of `make kafka`; its topics stay in var/kafka-cluster for the next start
	$(VENV)/bin/python -m tests.kafka.cli stop --dir var/kafka-cluster
