"""Pure evaluation code: metrics at K, baseline scorers and the report writer."""
