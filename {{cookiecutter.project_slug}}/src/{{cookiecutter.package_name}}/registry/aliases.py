"""The registry's aliases: `champion` names the version that serves, `challenger` the newest
registered one. The registry moves them (versions.py); the service loads and routes between
the versions they name (serving/), which installs no MLflow and so cannot import the registry.
"""

CHAMPION = "champion"
CHALLENGER = "challenger"
