"""Writers of export files: CSV, SPSS, Stata and the codebook (docs/exports.md)."""
