from ajci.experiments.sweep import solve_sweep_value
from ajci.provenance import configure_logging, provenance_attrs, write_netcdf
from ajci.system.inputs import load_solve_inputs

configure_logging(snakemake.log[0])
profile, fit = load_solve_inputs(snakemake.input.profile, snakemake.input.fit)
dataset = solve_sweep_value(
    snakemake.config,
    profile,
    fit,
    sweep=snakemake.wildcards.sweep,
    value=snakemake.params.value["value"],
    grid_value=snakemake.params.value["grid_value"],
)
dataset.attrs.update(provenance_attrs(snakemake.config))
write_netcdf(dataset, snakemake.output[0])
