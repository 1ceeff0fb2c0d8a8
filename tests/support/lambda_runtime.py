"""A stand-in for the Lambda Python runtime (the logic lives in babelcast_devstack.runtime_python,
which the local stack also uses to run functions); kept here for the tests that import it."""

from __future__ import annotations

from babelcast_devstack.runtime_python import find_lambda_python, lambda_python_version, repo_root, runtime_environment

ROOT = repo_root()
LAMBDA_PYTHON = lambda_python_version(ROOT)

__all__ = ["LAMBDA_PYTHON", "ROOT", "find_lambda_python", "runtime_environment"]
