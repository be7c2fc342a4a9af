"""Pipeline entry points called by ``dvc.yaml`` stages (notebook runner, scorecard)."""
