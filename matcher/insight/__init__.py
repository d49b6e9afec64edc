"""Reading results: why each pair (explain), what if the rules change (whatif), whether every rule
holds (audit), and how well the scores predict ratings (evaluate). Nothing here re-derives rules."""
