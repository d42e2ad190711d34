# One entry point for set-up, checks, the main job and the tests. Run from the repository root.
SHELL := /bin/bash
PYTHON ?= python3
# HYMAIL_VENV: a virtual environment elsewhere (CI jobs that run in a copy of the checkout).
# Paths may hold spaces (a checkout in "~/my work"): they are quoted in recipes, never make
# targets, and the absolute path is built without $(abspath), which splits on spaces.
VENV := $(or $(HYMAIL_VENV),.venv)
VENV_PATH := $(if $(patsubst /%,,$(firstword $(VENV))),$(CURDIR)/$(VENV),$(VENV))
STAMP := $(VENV_PATH)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
export PATH := $(VENV_PATH)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
INVENTORY ?= inventory/local
PLAYBOOK := ansible-playbook -i "$(INVENTORY)"
# Extra arguments for ansible-playbook, e.g. make plan ARGS="-e plan_file=/tmp/plan.json"
ARGS ?=

.PHONY: setup validate plan apply mailserver mailserver-up mailserver-down policy codeowners head-data \
	code-warnings guide messages \
	directory dns lint sanity unit test test-deps clean drift emergency notify report bench \
	alerts-test \
	backup restore purge mailserver-destroy glossary testhost testhost-destroy

## setup: create the virtual environment .venv/ (fast when nothing changed)
# The repository is the collection hungyen.mail (galaxy.yml): Ansible, the tests and the
# tools find it through this link (ansible.cfg collections_path, pyproject.toml pythonpath).
COLLECTION_LINK := .collections/ansible_collections/hungyen/mail
# Python commands of the collection's code (tools, benchmarks, CI helpers).
COLLECTION_PYTHON := PYTHONPATH="$(CURDIR)/.collections" python
MODULE_UTILS := ansible_collections.hungyen.mail.plugins.module_utils

setup:
	@if [ ! -e "$(STAMP)" ]; then \
	  test -x "$(VENV_PATH)/bin/python" || $(PYTHON) -m venv "$(VENV_PATH)" || exit 1; \
	  "$(VENV_PATH)/bin/pip" install --disable-pip-version-check -q -r requirements.txt \
	    || exit 1; \
	  rm -f "$(VENV_PATH)"/.installed-* && touch "$(STAMP)"; \
	fi
	@[ -L $(COLLECTION_LINK) ] || { mkdir -p $(dir $(COLLECTION_LINK)) && \
	  ln -sfn ../../.. $(COLLECTION_LINK); }

# What clerks and reviewers run prints only the project's Vietnamese messages, each once
# (plugins/callback/messages.py: no PLAY/TASK/RECAP framing; -v adds the English originals).
MESSAGES_CALLBACK := ANSIBLE_STDOUT_CALLBACK=hungyen.mail.messages

## validate: check every file under mailboxes/ (ARGS="-e mailboxes_dir=DIR" for another tree)
validate: setup
	$(MESSAGES_CALLBACK) $(PLAYBOOK) playbooks/validate.yml $(ARGS)

## plan: compare the declared mailboxes with the live server; writes .state/plan.json and .md
plan: setup
	$(MESSAGES_CALLBACK) $(PLAYBOOK) playbooks/plan.yml $(ARGS)

## apply: set up the mail server if needed, then validate, plan and apply in one batch
apply: setup
	$(PLAYBOOK) playbooks/apply.yml $(ARGS)

## mailserver: install and configure Postfix + Dovecot on the inventory's mail hosts
mailserver: setup
	$(PLAYBOOK) playbooks/mailserver.yml $(ARGS)

## mailserver-up / mailserver-down: start or stop the embedded server (no systemd needed)
mailserver-up: setup
	$(PLAYBOOK) playbooks/mailserver.yml -e mailserver_state=started $(ARGS)

# The local server's state: HYMAIL_STATE_DIR, or where the checkout's .state link points.
STATE := $${HYMAIL_STATE_DIR:-.state}

mailserver-down:
	@ctl="$(STATE)/bin/mailserverctl"; \
	if [ -x "$$ctl" ]; then "$$ctl" stop; else echo "mailserver: not set up"; fi

## mailserver-destroy: stop the embedded server and delete its state (all its mail) and the
##   .state link, so that deleting the checkout leaves nothing running or behind
mailserver-destroy:
	@state="$(STATE)"; \
	if [ ! -e "$$state" ]; then echo "mailserver: not set up"; rm -f .state; exit 0; fi; \
	real=$$(readlink -f -- "$$state"); \
	if [ ! -x "$$real/bin/mailserverctl" ] || [ "$$real" = / ]; then \
	  echo "mailserver-destroy: $$real holds no mail server of this project; left as it is" >&2; \
	  exit 1; \
	fi; \
	"$$real/bin/mailserverctl" stop || exit 1; \
	rm -rf -- "$$real" && echo "mailserver: removed $$real"; \
	if [ -L .state ]; then rm -f .state; fi; \
	rmdir --ignore-fail-on-non-empty /var/lib/hymail-local 2>/dev/null; true

## drift: what the server has that the repository does not say; build/drift.{json,md};
##   exit 0 no drift, 2 drift
drift: setup
	$(PLAYBOOK) playbooks/drift.yml $(ARGS)

## plan-note (CI): publish PLAN_MD (build/plan.md) as the merge request's one note (skipped
##   without HYMAIL_GITLAB_NOTE_TOKEN); reviewed-plan (CI): fetch the merged request's
##   reviewed plan into REVIEWED_PLAN (HYMAIL_GITLAB_READ_TOKEN)
PLAN_MD ?= build/plan.md
REVIEWED_PLAN ?= build/reviewed/plan.json
plan-note: setup
	$(COLLECTION_PYTHON) -m $(MODULE_UTILS).change_request.pipeline_cli publish-note \
	  --plan "$(PLAN_MD)"

reviewed-plan: setup
	$(COLLECTION_PYTHON) -m $(MODULE_UTILS).change_request.pipeline_cli reviewed-plan \
	  --output "$(REVIEWED_PLAN)"

## code-warnings (CI): list in PLAN_MD every path of BASE_COMMIT..HEAD_COMMIT in POLICY_REPO
##   that is not agency data (code, configuration: HP040), for the reviewers
code-warnings: setup
	$(COLLECTION_PYTHON) -m $(MODULE_UTILS).change_request.pipeline_cli code-warnings \
	  --repo "$(POLICY_REPO)" --base "$(BASE_COMMIT)" --head "$(HEAD_COMMIT)" --plan "$(PLAN_MD)"

## head-data (CI): the mailboxes/*.yml and approvals/*.yml blobs of HEAD_COMMIT in POLICY_REPO,
##   written as plain files under DATA_DIR (read through git, never checked out)
head-data: setup
	$(COLLECTION_PYTHON) -m $(MODULE_UTILS).change_request.policy_cli export-data \
	  --repo "$(POLICY_REPO)" --commit "$(HEAD_COMMIT)" --to "$(DATA_DIR)"

## emergency: Điều 10.1.g, at once, e.g.
##   make emergency ARGS="-e address=nvan -e action=lock|revoke|release -e '{\"reason\": \"...\"}'"
emergency: setup
	$(PLAYBOOK) playbooks/emergency.yml $(ARGS)

## backup: a verified backup of the data files, journal and maildirs (Điều 10.2.đ) into
##   <state_dir>/backups/<UTC stamp>/; ARGS="-e backup_dir=DIR -e backup_keep=7
##   -e backup_keep_days=30", or ARGS="-e backup_verify=all" to re-read every backup
backup: setup
	$(PLAYBOOK) playbooks/backup.yml $(ARGS)

## restore: everything from the newest verified backup, never deleting mail; one mailbox:
##   ARGS="-e address=nvan"; ARGS="-e backup_name=STAMP" for another backup, "--check" to see
restore: setup
	$(PLAYBOOK) playbooks/restore.yml $(ARGS)

## purge: remove a revoked mailbox's mail once a verified backup holds it, e.g.
##   make purge ARGS="-e address=nvan -e '{\"reason\": \"...\"}'"   (--check: what would go)
purge: setup
	$(PLAYBOOK) playbooks/purge.yml $(ARGS)

## policy: may this change go ahead? ARGS="-e base=REF -e author=USER [-e approved_by=u1,u2]
##   [-e head=REF]" (base default origin/main; author required, HP001 without). The code,
##   schema and authority are REF's, whatever the working tree says: REF's tree is exported
##   afresh to build/trusted/<sha>/ and its own playbook runs against this repository, whose
##   head is only read as mailboxes/*.yml and approvals/*.yml blobs. In CI:
##   ARGS="-e base=<target tip> -e merge_request=IID" (people from GitLab, docs/pipeline.md)
# POLICY_REPO: the repository judged (CI runs the trusted tree's make against the checkout).
POLICY_REPO ?= $(CURDIR)
TRUSTED_DIR := $(CURDIR)/build/trusted
policy: setup
	@base=$$(printf '%s\n' $(ARGS) | sed -n 's/^base=//p' | tail -n 1); base=$${base:-origin/main}; \
	sha=$$(git -C "$(POLICY_REPO)" rev-parse --verify --quiet --end-of-options "$$base^{commit}") \
	  || { echo "Chính sách: không có bản sửa (commit) '$$base' trong $(POLICY_REPO); ghi -e base=<nhánh hoặc commit>" >&2; exit 2; }; \
	tree="$(TRUSTED_DIR)/$$sha"; rm -rf -- "$$tree"; \
	mkdir -p "$$tree/.collections/ansible_collections/hungyen" && \
	git -C "$(POLICY_REPO)" archive --format=tar "$$sha" | tar -x -C "$$tree" && \
	ln -sfn ../../.. "$$tree/.collections/ansible_collections/hungyen/mail" || exit 2; \
	echo "Chính sách: mã và thẩm quyền lấy từ $$base ($$sha), dữ liệu từ $(POLICY_REPO)"; \
	callback=ansible.builtin.default; \
	if [ -f "$$tree/plugins/callback/messages.py" ]; then callback=hungyen.mail.messages; fi; \
	cd "$$tree" && ANSIBLE_CONFIG="$$tree/ansible.cfg" ANSIBLE_STDOUT_CALLBACK="$$callback" \
	  ansible-playbook -i "$$tree/inventory/local" \
	  playbooks/policy.yml $(ARGS) -e base="$$sha" \
	  -e '{"repository": "'"$(POLICY_REPO)"'"}'

## codeowners: regenerate CODEOWNERS from the owners of each agency file (commit it too)
codeowners: setup
	$(COLLECTION_PYTHON) -m $(MODULE_UTILS).change_request.policy_cli codeowners --write

## guide: regenerate the table of codes of docs/huong-dan-van-thu.md (the clerks' guide in
##   Vietnamese) from the catalogs and the examples of tests/fixtures/codes/
guide: setup
	$(COLLECTION_PYTHON) tools/guide.py

## messages: write docs/thong-diep-mau.md, every message as users see it (fixed clock, ids
##   and passwords), so that every change to a message shows in review
messages: setup
	$(COLLECTION_PYTHON) tools/messages_page.py

## glossary: write docs/thuat-ngu.md, the glossary page, from common/glossary.py (commit it too)
glossary: setup
	$(COLLECTION_PYTHON) tools/glossary_page.py

## dns: the mail records of mail_domain (MX, SPF, DKIM, DMARC, SRV) for the province's DNS
##   administrators, from the mail host's DKIM key: build/dns/<mail_domain>.zone (docs/dns.md)
dns: setup
	$(MESSAGES_CALLBACK) $(PLAYBOOK) playbooks/dns.yml $(ARGS)

## directory: build the published directory (danh bạ) into build/directory/
directory: setup
	$(PLAYBOOK) playbooks/directory.yml $(ARGS)

## notify: send the pending notices of the outbox to the agencies (apply does it too)
notify: setup
	$(PLAYBOOK) playbooks/notify.yml $(ARGS)

## report: the report on the system into build/report/, and print the province's report
##   ARGS="-e report_since=2026-11-01 -e report_until=2026-11-30 -e report_stale_days=7"
report: setup
	$(PLAYBOOK) playbooks/report.yml $(ARGS)

## bench: the performance benchmark of docs/benchmarks.md (about 15 min; its own mail server)
##   make bench BENCH_SIZES=10000   for a quicker run; results in build/bench/
##   make bench BENCH_PARTS=smtp,login,idle   only those parts (pipeline: the steps above)
BENCH_SIZES ?= 10000 100000
BENCH_PARTS ?=
bench: setup
	$(COLLECTION_PYTHON) bench/run.py --sizes $(BENCH_SIZES) \
	  $(if $(BENCH_PARTS),--parts $(BENCH_PARTS)) --out build/bench

## lint: ruff, yamllint and ansible-lint (production profile)
lint: setup
	ruff check .
	yamllint --strict .
	ansible-lint --offline -q

## sanity: ansible-test sanity of the pinned ansible-core, all its tests, Python 3.11, on a
##   copy of the collection in build/ansible_collections/hungyen/mail (tests/sanity/README.md);
##   the first run on a machine installs the tests' tools from PyPI (~2 min, then ~30 s);
##   one test: make sanity SANITY_ARGS="--test validate-modules"
SANITY_COPY := build/ansible_collections/hungyen/mail
sanity: setup
	python tests/sanity/prepare.py
	cd $(SANITY_COPY) && ansible-test sanity --python 3.11 --local --color no $(SANITY_ARGS)

## alerts-test: promtool checks the alert rules of monitoring/ and runs their unit tests
##   (monitoring/tests/; promtool from Debian's prometheus, installed by make test-deps)
alerts-test:
	@$(call apt_install_stopped,$(PROMETHEUS_APT))
	promtool check rules monitoring/hymail.rules.yml
	promtool check config monitoring/prometheus.example.yml
	promtool test rules monitoring/tests/hymail.test.yml

## unit: the in-process tests only (no mail server, no playbook, no test host)
unit: setup
	pytest -m "not server and not playbook and not browser and not pipeline and not testhost" \
	  $(ARGS)

## testhost: boot a bare Debian 12 host with systemd (systemd-nspawn) beside this checkout,
##   reachable over SSH, its inventory in build/testhost/inventory (make apply
##   INVENTORY=build/testhost/inventory); HYMAIL_TESTHOST_NAME=<name> for another one
##   (build/testhost-<name>/); as root; docs/testhost.md
testhost:
	@$(call apt_install,$(TESTHOST_APT))
	$(PYTHON) tools/testhost.py up

## testhost-destroy: remove the test host: container, machine directory, interface, nft
##   table, build output; restores ip_forward when it was the last one
testhost-destroy:
	$(PYTHON) tools/testhost.py down

## test-deps: what the tests need beyond the product: Debian packages (browser, rsync) and
##   gitlab-ci-local (npm ci from the committed lock file into .ci/gitlab-ci-local/)
# The test host (tools/testhost.py): systemd-nspawn, debootstrap, nft, openssl.
TESTHOST_APT := systemd-container debootstrap nftables openssl
# logrotate: tests/unit/test_logrotate_config.py dry-runs the role's configuration; restic:
# tests/e2e/test_offsite_backup.py (collected before the session's server installs it).
TEST_APT := chromium chromium-driver rsync faketime logrotate restic $(TESTHOST_APT)
# apt_install: install the Debian packages of $(1) that are missing (one apt-get run)
apt_install = missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  rm -f /var/lib/man-db/auto-update; apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
GCL_DIR := .ci/gitlab-ci-local
GCL_STAMP := $(GCL_DIR)/node_modules/.installed-$(shell sha1sum $(GCL_DIR)/package-lock.json | cut -c1-12)
# promtool comes only with Debian's prometheus, whose package would start a Prometheus server:
# installed with policy-rc.d saying no (the file is left alone when the host has one).
PROMETHEUS_APT := prometheus
apt_install_stopped = if ! dpkg -s $(1) >/dev/null 2>&1; then \
	  policy=/usr/sbin/policy-rc.d; made=; \
	  if [ ! -e $$policy ]; then printf '\043!/bin/sh\nexit 101\n' > $$policy && chmod 755 $$policy && made=1; fi; \
	  $(call apt_install,$(1)); rc=$$?; \
	  if [ -n "$$made" ]; then rm -f $$policy; fi; exit $$rc; \
	fi
test-deps: $(GCL_STAMP)
	@$(call apt_install,$(TEST_APT))
	@$(call apt_install_stopped,$(PROMETHEUS_APT))

$(GCL_STAMP): $(GCL_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "test-deps: gitlab-ci-local needs Node.js 20 and npm"; exit 1; }
	cd $(GCL_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## test: lint and ansible-test sanity beside the whole suite against a real Postfix + Dovecot
##   started by the tests, and beside those the tests against a Debian 12 test host
# The test-host tests (tests/host, marker testhost: a Debian 12 host booted beside, deployed
# over SSH) mostly wait on that host: they run at the same time as the rest of the suite, in
# a second pytest whose output follows the suite's (docs/testhost.md). So do lint and sanity
# (one after the other, a few minutes that need no server; their output follows too). The
# run fails when any of them fails, as when they ran first; only the order of the output
# changes. Exit status 5 (no test selected, e.g. ARGS naming other tests) counts as success
# for either pytest.
HOST_TESTS_LOG := build/host-tests.log
CHECKS_LOG := build/lint-sanity.log
# Through a variable: a recipe line naming $(MAKE) itself would run under make -n.
CHECKS_MAKE := $(MAKE) --no-print-directory
test: setup test-deps
	@mkdir -p build; \
	{ $(CHECKS_MAKE) lint; lint=$$?; \
	  $(CHECKS_MAKE) sanity; sanity=$$?; \
	  echo "lint: exit $$lint, sanity: exit $$sanity"; \
	  exit $$(( lint != 0 || sanity != 0 )); } > "$(CHECKS_LOG)" 2>&1 & checks=$$!; \
	pytest -m testhost -p no:cacheprovider --durations=15 $(ARGS) > "$(HOST_TESTS_LOG)" 2>&1 & host=$$!; \
	pytest -m "not testhost" --durations=30 $(ARGS); suite=$$?; \
	wait $$host; hosts=$$?; wait $$checks; checks=$$?; \
	echo "=== tests/host, run beside the suite ($(HOST_TESTS_LOG)):"; cat "$(HOST_TESTS_LOG)"; \
	echo "=== lint and sanity, run beside the suite ($(CHECKS_LOG)):"; cat "$(CHECKS_LOG)"; \
	[ $$suite -eq 5 ] && suite=0; [ $$hosts -eq 5 ] && hosts=0; \
	exit $$(( suite != 0 || hosts != 0 || checks != 0 ))

clean:
	rm -rf .pytest_cache .ruff_cache
