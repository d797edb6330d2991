"""Training of FaceSynth64, the embedded default model (autoencoder, latent DPM, classifier, lite encoder)."""
