"""Entanglement-aware partitioning (packet hypergraph, KaHyPar or FM, hop/fidelity costs)."""
