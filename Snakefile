# Anti-jamming device-edge collaborative inference: measure how jamming
# degrades a split ResNet-18, fit it, and optimise partition, power and
# edge computation. Stages, in order: data, train, profile, jamming, fit,
# solve, figures.


configfile: f"{workflow.basedir}/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/profile.smk"
include: "workflow/rules/jamming.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/solve.smk"
include: "workflow/rules/figures.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
