# One entry point for set-up, checks, the main job and the tests. Run from the repository root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
INVENTORY ?= inventory/local
PLAYBOOK := ansible-playbook -i $(INVENTORY)
# Extra arguments for ansible-playbook, e.g. make plan ARGS="-e plan_file=/tmp/plan.json"
ARGS ?=

.PHONY: setup validate plan apply mailserver mailserver-up mailserver-down policy codeowners \
	directory lint unit test test-deps clean

## setup: create the virtual environment .venv/ (fast when nothing changed)
setup: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

## validate: check every file under mailboxes/ (ARGS="-e mailboxes_dir=DIR" for another tree)
validate: setup
	$(PLAYBOOK) playbooks/validate.yml $(ARGS)

## plan: compare the declared mailboxes with the live server; writes .state/plan.json and .md
plan: setup
	$(PLAYBOOK) playbooks/plan.yml $(ARGS)

## apply: set up the mail server if needed, then validate, plan and apply in one batch
apply: setup
	$(PLAYBOOK) playbooks/apply.yml $(ARGS)

## mailserver: install and configure Postfix + Dovecot on the inventory's mail hosts
mailserver: setup
	$(PLAYBOOK) playbooks/mailserver.yml $(ARGS)

## mailserver-up / mailserver-down: start or stop the embedded server (no systemd needed)
mailserver-up: setup
	$(PLAYBOOK) playbooks/mailserver.yml -e mailserver_state=started $(ARGS)

mailserver-down: setup
	@if [ -x .state/bin/mailserverctl ]; then .state/bin/mailserverctl stop; else echo "mailserver: not set up"; fi

## policy: may this change go ahead? ARGS="-e base=REF -e head=REF -e author=USER"
##   (defaults: CI_MERGE_REQUEST_DIFF_BASE_SHA or origin/main, HEAD, GITLAB_USER_LOGIN)
policy: setup
	$(PLAYBOOK) playbooks/policy.yml $(ARGS)

## codeowners: regenerate CODEOWNERS from the owners of each agency file (commit it too)
codeowners: setup
	PYTHONPATH=plugins/module_utils python -m hymail.policy_cli codeowners --write

## directory: build the published directory (danh bạ) into build/directory/
directory: setup
	$(PLAYBOOK) playbooks/directory.yml $(ARGS)

## lint: ruff, yamllint and ansible-lint (production profile)
lint: setup
	ruff check .
	yamllint --strict .
	ansible-lint --offline -q

## unit: the in-process tests only (no mail server, no playbook)
unit: setup
	pytest -m "not server and not playbook and not browser" $(ARGS)

## test-deps: Debian packages the tests need beyond the product's own (browser, rsync)
TEST_APT := chromium chromium-driver rsync
test-deps:
	@missing=$$(for p in $(TEST_APT); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  rm -f /var/lib/man-db/auto-update; apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

## test: lint, then the whole suite against a real Postfix + Dovecot started by the tests
test: lint test-deps
	pytest $(ARGS)

clean:
	rm -rf .pytest_cache .ruff_cache
