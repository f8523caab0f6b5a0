"""One module per pipeline stage; each reads the outputs of the one before it from disk.

`STAGES` is the one list of the stages, in order, with the help the CLI shows for each: the
pipeline, the CLI and its progress lines all count from it. Importing it loads no stage.
"""

STAGES: dict[str, str] = {
    "extract": "Load the configured dataset and record its content hash.",
    "analyse": "Profile the raw data (rows, columns, missing values, label).",
    "prepare": "Split into train and test sets, deterministically.",
    "validate_data": "The data gate: contract and deepchecks data suites; exits 1 naming each failed check.",
    "train": "Fit the scikit-learn pipeline.",
    "evaluate": "Score the model on the test set.",
    "validate_model": "The model gate: deepchecks model suite, metric floors and the champion; exits 1 naming each failed check.",
    "register": "Log the run to MLflow; register the model if the gates passed.",
    "package": "Import the registered model into BentoML and build a bento.",
}
