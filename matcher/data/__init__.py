"""Data in and out: frozen models, the rules vocabulary, the domain taxonomy, reading and writing
files (the only layer that touches them), eligibility screening and preferences."""
