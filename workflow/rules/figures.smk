rule plot_sweep_figure:
    input:
        lambda wildcards: f"{RESULTS}/sweeps/{sweep_of_figure(wildcards.figure)}.nc",
    output:
        png=report(
            f"{FIGURES}/{{figure}}_{{kind}}.png",
            caption="../report/sweep_figure.rst",
            category="Sweeps",
            subcategory="{figure}",
        ),
        pdf=f"{FIGURES}/{{figure}}_{{kind}}.pdf",
    log:
        f"{RESULTS}/logs/plot_sweep_figure/{{figure}}_{{kind}}.log",
    wildcard_constraints:
        kind="|".join(SWEEP_FIGURES),
    conda:
        "../../envs/ajci.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/plot_sweep_figure.py"
