"""FaceSynth64 quality report (issue 3 §4): reconstruction, probes, pixel-classifier checks of decodes and
edits, interpolation, samples, Fréchet distance, targets and the training curve.

  DIFFAE_RUNS=/work/diffae-runs /usr/bin/python3 -m diffae_toolkit.facesynth.report --split test

Writes <out>/facesynth64.md and <out>/facesynth64/{report.json,*.png}."""
