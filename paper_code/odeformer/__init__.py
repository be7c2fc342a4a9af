"""ODEFormer (d'Ascoli et al., ICLR 2024): ODE integration, benchmarks, scoring, generator."""
