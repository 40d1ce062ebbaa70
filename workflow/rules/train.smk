rule train_resnet18:
    input:
        f"{RESULTS}/data/cifar10.npz",
    output:
        checkpoint=f"{RESULTS}/model/resnet18.pt",
        metrics=f"{RESULTS}/model/train_metrics.json",
    log:
        f"{RESULTS}/logs/train_resnet18.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_resnet18.tsv"
    conda:
        "../../envs/ajci.yaml"
    threads: config["train"]["threads"]
    resources:
        mem_mb=8000,
        runtime=240,
        gpus=0,
    params:
        settings=config["train"],
    script:
        "../scripts/train_resnet18.py"
