"""Planning (work sharing) and execution (joblib backends) of a job grid."""
