# Shared by the layer and function Makefiles that `sam build` runs (BuildMethod: makefile,
# WorkingDirectory: the repository root). Third-party wheels are fetched for Lambda's platform
# (x86_64, CPython 3.11) whatever the host.
#
# VENDOR_DEPENDENCIES=no (set by `python -m stack` for the embedded local cloud, whose executor runs
# handlers with the project's own environment) skips the wheels: the local build keeps the code and
# the layer layout but not 200 MB of packages nobody there imports. Deploys to AWS keep the default.
PYTHON ?= python3
VENDOR_DEPENDENCIES ?= yes
PIP_FOR_LAMBDA := $(PYTHON) -m pip install --quiet --no-compile --upgrade --only-binary=:all: \
	--platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 --implementation cp --python-version 3.11

# $(call vendor,<requirements file>,<target dir>,<extra pip flags>)
define vendor
	@if [ "$(VENDOR_DEPENDENCIES)" = "yes" ]; then \
		echo "vendoring $(1)"; $(PIP_FOR_LAMBDA) $(3) --target "$(2)" -r "$(1)"; \
	else echo "VENDOR_DEPENDENCIES=$(VENDOR_DEPENDENCIES): not vendoring $(1)"; fi
endef

# $(call function_code,<function folder>): the handler and its folder's other modules
define function_code
	mkdir -p "$(ARTIFACTS_DIR)"
	cp $(1)/*.py "$(ARTIFACTS_DIR)/"
endef
