# deidflow: `make demo` runs the whole pipeline on the bundled demo study; `make test` runs the tests.
# Both build what they need first: the pip environments (pinned) and the Debian tools the rules call.

PYTHON   ?= python3
VENV     := .venv
SYNTH    := .venv-synth
CORES    ?= $(shell nproc)
SUBJECTS ?= 20
SEED     ?= 7
SNAKEMAKE := $(VENV)/bin/snakemake
# Pip requirement sets of the main venv: every group except those that need their own interpreter.
OWN_VENV_GROUPS := envs/synth.txt envs/peers.txt
GROUP_REQS := $(filter-out $(OWN_VENV_GROUPS),$(sort $(wildcard envs/*.txt)))
GROUP_REQS := $(filter-out envs/constraints.txt,$(GROUP_REQS))
DEBIAN_PKGS := libimage-exiftool-perl dcmtk chromium

.PHONY: demo test venv venv-synth sysdeps key dryrun lint clean clean-demo

demo: venv venv-synth sysdeps demo/study demo/keys/pseudonym.key
	$(SNAKEMAKE) --cores $(CORES) --rerun-incomplete --keep-going --quiet rules
	@echo
	@cat results/work/gate.passed
	@echo "release (share this):           results/release"
	@echo "secrets (keep private, 0700):   results/secrets"
	@echo "risk report:                    results/reports/risk.html (and risk.json)"
	@echo "logs and per-job benchmarks:    results/logs"

test: venv venv-synth sysdeps
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider

venv: $(VENV)/.installed
$(VENV)/.installed: $(GROUP_REQS) envs/constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip==25.3
	$(VENV)/bin/python -m pip install -q $(addprefix -r ,$(GROUP_REQS)) -c envs/constraints.txt
	touch $@

venv-synth: $(SYNTH)/.installed
$(SYNTH)/.installed: envs/synth.txt
	test ! -f envs/synth.txt || { test -x $(SYNTH)/bin/python || $(PYTHON) -m venv $(SYNTH); \
	  $(SYNTH)/bin/python -m pip install -q --upgrade pip==25.3 && $(SYNTH)/bin/python -m pip install -q -r envs/synth.txt; }
	mkdir -p $(SYNTH) && touch $@

envs/synth.txt:
	@true

sysdeps:
	@command -v exiftool >/dev/null && command -v dcmdump >/dev/null && command -v chromium >/dev/null || { \
	  echo "installing Debian packages: $(DEBIAN_PKGS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PKGS) >/dev/null; }

demo/study: | venv
	$(VENV)/bin/python scripts/make_demo_study.py demo/study --subjects $(SUBJECTS) --seed $(SEED)

demo/keys/pseudonym.key: | venv
	$(VENV)/bin/python scripts/make_key.py $@

key: demo/keys/pseudonym.key

dryrun: venv demo/study demo/keys/pseudonym.key
	$(SNAKEMAKE) -n --cores $(CORES)

lint: venv
	$(SNAKEMAKE) --lint
	$(VENV)/bin/snakefmt --check Snakefile workflow/rules

clean-demo:
	rm -rf demo results .snakemake

clean: clean-demo
	rm -rf $(VENV) $(SYNTH) .venv-*
