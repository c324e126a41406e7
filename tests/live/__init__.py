"""A private Volna stack for the fault, load and anonymity tests: servers, simulated respondents."""
