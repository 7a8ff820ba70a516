"""Per-fold preprocessing, fitted on the training rows only.

Numeric columns: median imputation, then standard scaling (``scale``). Categorical columns (text,
category): missing values become their own level; up to ``max_onehot_categories`` levels one-hot
encoded (levels unseen in training encode as all zeros), beyond it ordinal codes (unseen: -1), scaled
like numerics. Columns constant on the training fold are dropped last.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "build_preprocessor",
    "categorical_columns",
    "categorical_output_columns",
    "fit_transform",
    "transform",
]


def categorical_columns(X: pd.DataFrame) -> list[str]:
    """Text/categorical columns, on pandas 2 (object) and 3 (str) alike."""
    return list(X.select_dtypes(include=["object", "string", "category"]).columns)


def build_preprocessor(
    X: pd.DataFrame, *, impute: bool = True, scale: bool = True, max_onehot_categories: int = 20
) -> Any:
    """An unfitted scikit-learn transformer for ``X``'s columns (fit it on the training fold)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    cat_all = categorical_columns(X)
    # low-cardinality categoricals are one-hot encoded; beyond the cap, ordinal codes (one column)
    n_levels = {c: X[c].nunique(dropna=True) for c in cat_all}
    cat = [c for c in cat_all if n_levels[c] <= max_onehot_categories]
    high = [c for c in cat_all if n_levels[c] > max_onehot_categories]
    num = [c for c in X.columns if c not in cat_all]
    num_steps: list[tuple[str, Any]] = []
    if impute:
        num_steps.append(("impute", SimpleImputer(strategy="median", keep_empty_features=True)))
    if scale:
        num_steps.append(("scale", StandardScaler()))
    cat_steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
    ]
    ord_steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
        ("ordinal", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
    ]
    if scale:
        ord_steps.append(("scale", StandardScaler()))
    transformers = []
    if num:
        transformers.append(("num", Pipeline(num_steps) if num_steps else "passthrough", num))
    if cat:
        transformers.append(("cat", Pipeline(cat_steps), cat))
    if high:
        transformers.append(("ord", Pipeline(ord_steps), high))
    return Pipeline(
        [
            ("columns", ColumnTransformer(transformers, sparse_threshold=0.0)),
            # constant columns (on the training fold) carry no information and break some samplers
            ("drop_constant", VarianceThreshold(0.0)),
        ]
    )


def categorical_output_columns(pre: Any) -> list[int]:
    """Indices of the fitted preprocessor's output columns that encode categorical features."""
    names = pre.get_feature_names_out()
    return [i for i, n in enumerate(names) if str(n).startswith("cat__")]


def fit_transform(pre: Any, X_train: pd.DataFrame) -> np.ndarray:
    """Fit on the training rows and transform them."""
    return np.asarray(pre.fit_transform(X_train), dtype=np.float64)


def transform(pre: Any, X: pd.DataFrame) -> np.ndarray:
    """Transform rows with an already fitted preprocessor."""
    return np.asarray(pre.transform(X), dtype=np.float64)
