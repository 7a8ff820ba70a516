import climb_cli

config = {
    "name": "notebook-demo",
    "datasets": ["keel/ecoli3"],
    "cv": {"n_splits": 3},
    "resamplers": ["none", "smote"],
    "class_weights": ["none", "balanced"],
    "classifiers": {"logreg": {}},
    "metrics": ["f1", "roc_auc"],
}
result = climb_cli.run(config, output="results/notebook-demo", n_jobs=1, save_predictions=True)
print(result.summary["status_counts"])  # {'ok': 12}
print(result.results[["method", "fold", "f1"]].head())
print(len(result.predictions), "test-fold predictions")

report = climb_cli.report(result.output, metrics=["f1"])
print(report.leaderboards["f1"][["rank", "method", "mean", "mean_rank"]])
print(report.statistics[["metric", "n_methods", "n_datasets"]])
report.to_html("results/notebook-demo/report.html")
