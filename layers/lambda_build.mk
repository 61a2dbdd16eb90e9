# Shared by the layer and function Makefiles that `sam build` runs (BuildMethod: makefile,
# WorkingDirectory: the repository root). Third-party wheels are vendored from each requirements.txt
# for Lambda's platform (x86_64 manylinux, CPython of LAMBDA_RUNTIME) whatever the host, as `sam build`
# does for a plain python function: the embedded local cloud runs exactly these packages.
#
# LAMBDA_RUNTIME must equal the template's LambdaRuntime parameter (a test checks the defaults match);
# `sam build` tells a Makefile nothing about the runtime, so overriding one means overriding both:
#   LAMBDA_RUNTIME=python3.13 sam build --parameter-overrides LambdaRuntime=python3.13
#
# Cache: each vendored set is kept under LAMBDA_BUILD_CACHE, keyed by the runtime and the SHA-256 of
# the requirements file and pip flags, and copied from there on the next build (seconds instead of
# minutes; hard links where the build folder is on the same file system). It lives in the user's cache
# (XDG_CACHE_HOME, else ~/.cache), beside pip's, so a fresh clone on a machine with warm package caches
# reuses it; the key is the content, so any checkout may share it. Change a pin and the key changes;
# `rm -rf ~/.cache/review-sentiment/lambda-build` empties it.
PYTHON ?= python3
LAMBDA_RUNTIME ?= python3.12
LAMBDA_BUILD_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/review-sentiment/lambda-build
LAMBDA_PYTHON_VERSION := $(patsubst python%,%,$(LAMBDA_RUNTIME))
PIP_FOR_LAMBDA := $(PYTHON) -m pip install --quiet --disable-pip-version-check --no-compile --upgrade \
	--only-binary=:all: --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
	--implementation cp --python-version $(LAMBDA_PYTHON_VERSION)

# $(call vendor,<requirements file>,<target dir>,<extra pip flags>)
define vendor
	@if ! grep -qvE '^[[:space:]]*(#|$$)' "$(1)"; then echo "$(1): nothing to vendor"; exit 0; fi; \
	key=$$( { cat "$(1)"; echo "$(LAMBDA_RUNTIME) $(3) $(PIP_FOR_LAMBDA)"; } | sha256sum | cut -c1-16); \
	cached="$(LAMBDA_BUILD_CACHE)/$(LAMBDA_RUNTIME)/$$key"; \
	if [ ! -f "$$cached/.complete" ]; then \
		echo "vendoring $(1) for $(LAMBDA_RUNTIME) (cache key $$key) ..."; \
		staging="$$cached.tmp.$$$$"; rm -rf "$$staging"; mkdir -p "$$staging"; \
		$(PIP_FOR_LAMBDA) $(3) --target "$$staging" -r "$(1)" || { rm -rf "$$staging"; exit 1; }; \
		touch "$$staging/.complete"; [ -f "$$cached/.complete" ] || rm -rf "$$cached"; \
		mv -T "$$staging" "$$cached" 2>/dev/null || rm -rf "$$staging"; \
	else echo "vendoring $(1) for $(LAMBDA_RUNTIME): cached ($$key)"; fi; \
	mkdir -p "$(2)"; \
	cp -al "$$cached/." "$(2)/" 2>/dev/null || cp -R "$$cached/." "$(2)/"; rm -f "$(2)/.complete"
endef

# $(call function_code,<function folder>): the handler and its folder's other modules
define function_code
	mkdir -p "$(ARTIFACTS_DIR)"
	cp $(1)/*.py "$(ARTIFACTS_DIR)/"
endef
