rule fit_accuracy_curves:
    input:
        f"{RESULTS}/jamming/accuracy.nc",
    output:
        netcdf=f"{RESULTS}/fit/accuracy_fit.nc",
        table=report(
            f"{RESULTS}/fit/accuracy_fit.csv",
            caption="../report/fit_table.rst",
            category="Accuracy under jamming",
        ),
    log:
        f"{RESULTS}/logs/fit_accuracy_curves.log",
    conda:
        "../../envs/ajci.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/fit_accuracy_curves.py"


rule plot_accuracy_fit:
    input:
        measured=f"{RESULTS}/jamming/accuracy.nc",
        fit=f"{RESULTS}/fit/accuracy_fit.nc",
    output:
        png=report(
            f"{FIGURES}/fig3_fit.png",
            caption="../report/fit_figure.rst",
            category="Accuracy under jamming",
        ),
        pdf=f"{FIGURES}/fig3_fit.pdf",
    log:
        f"{RESULTS}/logs/plot_accuracy_fit.log",
    conda:
        "../../envs/ajci.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        a_min=config["system"]["a_min"],
    script:
        "../scripts/plot_accuracy_fit.py"
