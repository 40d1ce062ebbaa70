rule plot_sweep_metric:
    input:
        lambda wildcards: f"{RESULTS}/sweeps/{sweep_of_figure(wildcards.figure)}.nc",
    output:
        png=f"{FIGURES}/{{figure}}_{{metric}}.png",
        pdf=f"{FIGURES}/{{figure}}_{{metric}}.pdf",
    log:
        f"{RESULTS}/logs/plot_sweep_metric/{{figure}}_{{metric}}.log",
    wildcard_constraints:
        metric="|".join(METRICS),
    conda:
        "../../envs/ajci.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_sweep_metric.py"
