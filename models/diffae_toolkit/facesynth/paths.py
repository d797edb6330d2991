"""Where training data and runs live: outside the repository, so resume checkpoints survive a fresh
checkout. Override with $DIFFAE_RUNS."""
import os

RUNS_ROOT = os.environ.get('DIFFAE_RUNS', os.path.expanduser('~/diffae-runs'))
DATA_DIR = os.path.join(RUNS_ROOT, 'data', 'facesynth64')
RUN_DIR = os.path.join(RUNS_ROOT, 'facesynth64')
# The shipped default bundle (tracked in git).
BUNDLE_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'bundles', 'facesynth64'))
