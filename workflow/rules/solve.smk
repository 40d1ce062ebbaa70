rule solve_sweep_value:
    input:
        profile=f"{RESULTS}/profile/profile.nc",
        fit=f"{RESULTS}/fit/accuracy_fit.nc",
    output:
        f"{RESULTS}/solve/{{sweep}}/{{value}}.nc",
    log:
        f"{RESULTS}/logs/solve_sweep_value/{{sweep}}/{{value}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/solve_sweep_value/{{sweep}}/{{value}}.tsv"
    conda:
        "../../envs/ajci.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        value=sweep_value,
        system=config["system"],
        solver=config["solver"],
        experiments=lambda wildcards: {
            "n_seeds": config["experiments"]["n_seeds"],
            "schemes": config["experiments"]["schemes"],
            "sweep": SWEEPS[wildcards.sweep]["parameter"],
            "grid": SWEEPS[wildcards.sweep].get("grid", {}).get("parameter"),
        },
    script:
        "../scripts/solve_sweep_value.py"


rule merge_sweep:
    input:
        sweep_value_files,
    output:
        f"{RESULTS}/sweeps/{{sweep}}.nc",
    log:
        f"{RESULTS}/logs/merge_sweep/{{sweep}}.log",
    conda:
        "../../envs/ajci.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        parameter=lambda wildcards: SWEEPS[wildcards.sweep]["parameter"],
    script:
        "../scripts/merge_sweep.py"
