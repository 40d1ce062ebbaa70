rule measure_point_accuracy:
    input:
        data=f"{RESULTS}/data/cifar10.npz",
        checkpoint=f"{RESULTS}/model/resnet18.pt",
    output:
        f"{RESULTS}/jamming/point_{{point}}.nc",
    log:
        f"{RESULTS}/logs/measure_point_accuracy/{{point}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/measure_point_accuracy/{{point}}.tsv"
    wildcard_constraints:
        point=r"\d+",
    conda:
        "../../envs/ajci.yaml"
    threads: config["jamming"]["threads"]
    resources:
        mem_mb=4000,
        runtime=60,
        gpus=0,
    params:
        settings=config["jamming"],
    script:
        "../scripts/measure_point_accuracy.py"


rule merge_point_accuracy:
    input:
        expand(f"{RESULTS}/jamming/point_{{point}}.nc", point=POINTS),
    output:
        f"{RESULTS}/jamming/accuracy.nc",
    log:
        f"{RESULTS}/logs/merge_point_accuracy.log",
    conda:
        "../../envs/ajci.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/merge_point_accuracy.py"
