rule build_dataset_cache:
    input:
        dataset_archive_input,
    output:
        f"{RESULTS}/data/cifar10.npz",
    log:
        f"{RESULTS}/logs/build_dataset_cache.log",
    conda:
        "../../envs/ajci.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        archive=str(resolve_path(config["dataset"]["archive"], REPO)),
        sha256=config["dataset"]["sha256"],
        download=config["dataset"]["download"],
        download_root=config["dataset"]["download_root"],
    script:
        "../scripts/build_dataset_cache.py"
