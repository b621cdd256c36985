"""Feature mining: media decoding, encoders, the on-disk unit-feature store."""
