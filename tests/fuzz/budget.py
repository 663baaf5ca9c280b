"""Budgets for the fuzz harnesses: short in the normal suite, long on request.

The settings object `FUZZ` is applied to each harness as a decorator instead of loading a
global profile, so the rest of the suite keeps its own Hypothesis settings.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz-ci",
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "fuzz-long",
    max_examples=20_000,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def fuzz_settings() -> settings:
    """The settings for this run: `HYPOTHESIS_PROFILE=long`, or a number of examples."""
    profile = "fuzz-long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "fuzz-ci"
    chosen = settings.get_profile(profile)
    examples = os.environ.get("HYPOTHESIS_FUZZ_EXAMPLES", "")
    if examples.isdigit():
        chosen = settings(chosen, max_examples=int(examples))
    return chosen
