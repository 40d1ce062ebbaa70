rule profile_model:
    input:
        f"{RESULTS}/model/resnet18.pt",
    output:
        f"{RESULTS}/profile/profile.nc",
    log:
        f"{RESULTS}/logs/profile_model.log",
    benchmark:
        f"{RESULTS}/benchmarks/profile_model.tsv"
    conda:
        "../../envs/ajci.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        settings=config["profile"],
    script:
        "../scripts/profile_model.py"
